// top_feed: pikoci-top's side of the server. One pk_client; on connecting
// it subscribes (build., worker., resource., pipeline., job.) and only then
// asks for the snapshot, so every change after the snapshot arrives as an
// event queued behind it (events are idempotent in the model: one the
// snapshot already shows changes nothing).
//
// Events carry status changes at once. What they do not carry -- a
// running build's worker and step, why a queued build waits, heartbeat
// ages, a resource's next check -- is refreshed every 2 s, and only while
// it matters: workers always (that request doubles as the liveness check),
// the unfinished builds (an overview without history) while there are any
// or an event asked for it. A full snapshot every minute heals events a
// slow monitor may have been denied (PUB/SUB may drop; nothing durable
// depends on it).
//
// The server going away is seen as the connection dropping (ZMQ_IMMEDIATE:
// no connection, no POLLOUT) or a request without answer. The client is
// then dropped and made again after a back-off (250 ms doubling to 5 s), so
// a restarted server -- which knows nothing of our subscriptions -- gets
// them again with a fresh snapshot.
#include "top.h"
#include "pk_client.h"
#include "pk_cred.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <stdarg.h>

#define S_BACKOFF_MIN_MS 250
#define S_BACKOFF_MAX_MS 5000
#define S_CONNECT_MS 1000           // a client not connected by then: try again later
#define S_REFRESH_MS 2000
#define S_FULL_MS 60000
#define S_STALE_MS 500              // an event asked for a snapshot: at most this soon
#define S_REQUEST_MS 3000
#define S_COMMAND_MS 8000           // control forwards commands with a 10 s limit
#define S_EVENTS_PER_TICK 5000
#define S_HISTORY "1000"

typedef enum { S_DOWN, S_CONNECTING, S_UP } s_state_t;

struct _top_feed_t {
    char *endpoint;
    pk_client_t *client;
    s_state_t state;
    int64_t backoff_ms, next_try, connect_deadline;
    int64_t next_refresh, next_full, last_snapshot;
    uint64_t events;
    bool ever_up;
    char text[128];
};

static const char *const s_prefixes[] = { "build.", "worker.", "resource.", "pipeline.", "job.",
                                          NULL };

top_feed_t *
top_feed_new(const char *endpoint, char **err)
{
    if (err)
        *err = NULL;
    // an unusable endpoint is told now, not retried forever
    pk_client_t *probe = pk_client_new(endpoint, err);
    if (!probe)
        return NULL;
    pk_cred_apply(probe, endpoint);
    top_feed_t *self = calloc(1, sizeof *self);
    self->endpoint = strdup(endpoint);
    self->client = probe;
    self->state = S_CONNECTING;
    self->connect_deadline = zclock_mono() + S_CONNECT_MS;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    snprintf(self->text, sizeof self->text, "connecting");
    return self;
}

void
top_feed_destroy(top_feed_t **self_p)
{
    top_feed_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    pk_client_destroy(&self->client);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

static void
s_down(top_feed_t *self)
{
    pk_client_destroy(&self->client);
    self->state = S_DOWN;
    self->next_try = zclock_mono() + self->backoff_ms;
    self->backoff_ms = self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS
                                                               : self->backoff_ms * 2;
}

// A request whose reply body is decoded: 0, 1 refused (*error), -1 no answer.
static int
s_request(top_feed_t *self, const char *op, const pk_kv_t *args, int timeout_ms,
          pk_value_t **out, char **error)
{
    uint8_t *body = NULL;
    size_t size = 0;
    *out = NULL;
    int rc = pk_client_request(self->client, op, args, NULL, 0, timeout_ms, &body, &size, error);
    if (rc >= 0 && body)
        *out = pk_value_unpack(body, size);
    free(body);
    return rc;
}

// The overview (all history when full, else only what is unfinished).
static int
s_snapshot(top_feed_t *self, top_model_t *model, bool full)
{
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "recent", full ? S_HISTORY : "0");
    pk_value_t *v = NULL;
    char *error = NULL;
    int rc = s_request(self, "overview", &args, S_REQUEST_MS, &v, &error);
    pk_kv_clear(&args);
    int64_t now = zclock_mono();
    if (rc == 0 && top_model_snapshot(model, v, zclock_time()) == 0) {
        snprintf(self->text, sizeof self->text, "connected");
        self->last_snapshot = now;
        if (full)
            self->next_full = now + S_FULL_MS;
    }
    else
    if (rc == 1) {
        // an old server without "overview", or control not running yet
        snprintf(self->text, sizeof self->text, "connected (%s)", error ? error : "refused");
        self->last_snapshot = now;
    }
    pk_value_destroy(&v);
    free(error);
    return rc < 0 ? -1 : 0;
}

static bool
s_any_dispatched(top_model_t *model)
{
    const top_build_t *const *rows;
    size_t n = top_model_queue(model, &rows);
    for (size_t i = 0; i < n; i++)
        if (rows[i]->dispatched)
            return true;
    return false;
}

// Workers (and what the broker holds, when a build waits for one).
static int
s_workers(top_feed_t *self, top_model_t *model)
{
    pk_value_t *v = NULL;
    char *error = NULL;
    int rc = s_request(self, "broker.workers", NULL, S_REQUEST_MS, &v, &error);
    if (rc == 0)
        top_model_workers(model, v);
    pk_value_destroy(&v);
    free(error);
    if (rc == 0 && s_any_dispatched(model)) {
        rc = s_request(self, "broker.pending", NULL, S_REQUEST_MS, &v, &error);
        if (rc == 0)
            top_model_pending(model, v);
        pk_value_destroy(&v);
        free(error);
    }
    return rc < 0 ? -1 : 0;
}

static int
s_start(top_feed_t *self, top_model_t *model)
{
    // a refusal (these prefixes span pipelines: a global admin's) is no
    // outage: the snapshot is refreshed every S_REFRESH_MS all the same
    for (size_t i = 0; s_prefixes[i]; i++)
        if (pk_client_subscribe(self->client, s_prefixes[i], NULL) < 0)
            return -1;
    snprintf(self->text, sizeof self->text, "connected");
    if (s_snapshot(self, model, true) != 0 || s_workers(self, model) != 0)
        return -1;
    self->state = S_UP;
    self->ever_up = true;
    self->backoff_ms = S_BACKOFF_MIN_MS;
    self->next_refresh = zclock_mono() + S_REFRESH_MS;
    return 0;
}

static bool
s_apply(top_feed_t *self, top_model_t *model, pk_msg_t *ev)
{
    self->events++;
    pk_value_t *body = ev->event.body.size
                     ? pk_value_unpack(ev->event.body.data, ev->event.body.size) : NULL;
    bool changed = top_model_event(model, ev->event.topic, body, zclock_time());
    pk_value_destroy(&body);
    pk_msg_clear(ev);
    return changed;
}

bool
top_feed_tick(top_feed_t *self, top_model_t *model, int wait_ms)
{
    int64_t now = zclock_mono();
    uint64_t before = top_model_version(model);
    if (self->state == S_DOWN && now >= self->next_try) {
        self->client = pk_client_new(self->endpoint, NULL);
        pk_cred_apply(self->client, self->endpoint);
        self->state = self->client ? S_CONNECTING : S_DOWN;
        self->connect_deadline = now + S_CONNECT_MS;
        if (!self->client)
            s_down(self);
    }
    if (self->state == S_CONNECTING) {
        if (pk_client_connect(self->client, 0) == 0) {
            if (s_start(self, model) != 0)
                s_down(self);
        }
        else
        if (now >= self->connect_deadline)
            s_down(self);
    }
    if (self->state == S_UP && pk_client_connect(self->client, 0) != 0)
        s_down(self);
    if (self->state != S_UP) {
        if (self->state == S_DOWN) {
            int64_t left = self->next_try - zclock_mono();
            snprintf(self->text, sizeof self->text, "disconnected: retrying in %.1fs",
                     left > 0 ? left / 1000.0 : 0.0);
        }
        return top_model_version(model) != before;
    }
    pk_msg_t ev;
    int n = 0;
    if (pk_client_event(self->client, wait_ms, &ev) == 0) {
        s_apply(self, model, &ev);
        while (++n < S_EVENTS_PER_TICK && pk_client_event(self->client, 0, &ev) == 0)
            s_apply(self, model, &ev);
    }
    now = zclock_mono();
    int rc = 0;
    if (now >= self->next_full)
        rc = s_snapshot(self, model, true);
    else
    if (top_model_stale(model) && now - self->last_snapshot >= S_STALE_MS)
        rc = s_snapshot(self, model, false);
    if (rc == 0 && now >= self->next_refresh) {
        const top_build_t *const *rows;
        if (top_model_running(model, &rows) || top_model_queue(model, &rows))
            rc = s_snapshot(self, model, false);
        if (rc == 0)
            rc = s_workers(self, model);
        self->next_refresh = zclock_mono() + S_REFRESH_MS;
    }
    if (rc != 0)
        s_down(self);
    return top_model_version(model) != before;
}

bool
top_feed_connected(top_feed_t *self)
{
    return self->state == S_UP;
}

const char *
top_feed_state(top_feed_t *self)
{
    return self->text;
}

const char *
top_feed_endpoint(top_feed_t *self)
{
    return self->endpoint;
}

uint64_t
top_feed_events(top_feed_t *self)
{
    return self->events;
}

int
top_feed_command(top_feed_t *self, char **msg, const char *op, ...)
{
    *msg = NULL;
    if (self->state != S_UP) {
        *msg = strdup("not connected to the server");
        return -1;
    }
    pk_kv_t args = { 0 };
    va_list ap;
    va_start(ap, op);
    pk_kv_set_va(&args, ap);
    va_end(ap);
    pk_value_t *v = NULL;
    char *error = NULL;
    int rc = s_request(self, op, &args, S_COMMAND_MS, &v, &error);
    const char *p = pk_kv_get(&args, "pipeline"), *j = pk_kv_get(&args, "job");
    const char *num = pk_value_kind(pk_value_object_get(v, "number")) == PK_V_STRING
                    ? pk_value_string(pk_value_object_get(v, "number"))
                    : pk_kv_get(&args, "number");
    int w;
    if (rc == 0)
        w = asprintf(msg, "%s: %s%s%s%s%s", op, p ? p : "", j ? "/" : "", j ? j : "",
                     num ? " #" : "", num ? num : "");
    else
    if (rc == 1)
        w = asprintf(msg, "%s refused: %s", op, error ? error : "?");
    else
        w = asprintf(msg, "%s: %s", op, pk_client_error(self->client));
    if (w < 0)
        *msg = NULL;
    pk_value_destroy(&v);
    pk_kv_clear(&args);
    free(error);
    return rc == 0 ? 0 : -1;
}
