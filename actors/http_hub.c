// http_hub: the Server-Sent Event streams' view of the event bus.
//
// The http actor's own thread holds the face's one subscription (every
// event, drained as fast as it comes) and hands each event to the hub; a
// stream never subscribes on its own. Before, each stream had a broker
// client of its own, and one whose HTTP client did not read stopped reading
// its socket too: the bus queued every log chunk for it (10 such followers
// of a 100 MB log held a GB) -- a queue nobody bounded.
//
// Now nothing queues for a log follower: it only learns that its log grew
// or a build changed (a flag) and reads the store from its own byte offset,
// however far behind it is. A change stream gets the events themselves, as
// JSON text, in a queue of its own capped at S_QUEUE_MAX events and
// S_QUEUE_BYTES; beyond that events are dropped and counted -- the stream
// tells its client how many (event "dropped"), /metrics the total.
// One mutex guards every subscription; each has its own condition, so an
// event wakes only the streams it concerns.
#include "http_internal.h"
#include "pk_value_msgpack.h"
#include <czmq.h>

#define S_QUEUE_MAX 128            // a page refreshes on events: it needs few
#define S_QUEUE_BYTES (256 * 1024)

struct _http_sub_t {
    char *topic;                // a log follower's "log.ID"; NULL: a change stream
    bool news;                  // log follower: the log or a build changed
    char **queue;               // change stream: S_QUEUE_MAX slots, a ring
    size_t head, n, bytes;
    uint64_t dropped;           // since the stream last looked
    pthread_cond_t cond;
    http_sub_t *next;
};

struct _http_hub_t {
    pthread_mutex_t lock;
    http_sub_t *subs;
    size_t changes;             // how many change streams (no JSON without one)
    bool stopping;
    atomic_uint_fast64_t dropped;
};

http_hub_t *
http_hub_new(void)
{
    http_hub_t *self = calloc(1, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

void
http_hub_destroy(http_hub_t **self_p)
{
    http_hub_t *self = *self_p;
    if (!self)
        return;
    *self_p = NULL;
    assert(!self->subs);        // the daemon stopped first: every stream has left
    pthread_mutex_destroy(&self->lock);
    free(self);
}

static bool
s_is_change(const char *topic)
{
    static const char *prefixes[] = { "build.", "job.", "pipeline.", "resource.", "worker.",
                                      NULL };
    for (int i = 0; prefixes[i]; i++)
        if (!strncmp(topic, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

// {"topic", "seq", "body"} of ev (caller frees).
static char *
s_change_json(const pk_msg_t *ev)
{
    pk_value_t *body = ev->event.body.size
                     ? pk_value_unpack(ev->event.body.data, ev->event.body.size) : NULL;
    char *bj = body ? pk_value_to_json(body) : NULL;
    pk_value_destroy(&body);
    char *json = NULL;
    size_t len = 0, cap = 0;
    http_json_put(&json, &len, &cap, "{\"topic\":", 9);
    http_json_str(&json, &len, &cap, ev->event.topic, strlen(ev->event.topic));
    char seq[64];
    int k = snprintf(seq, sizeof seq, ",\"seq\":%" PRIu64 ",\"body\":", ev->event.seq);
    http_json_put(&json, &len, &cap, seq, (size_t) k);
    http_json_put(&json, &len, &cap, bj ? bj : "null", strlen(bj ? bj : "null"));
    http_json_put(&json, &len, &cap, "}", 1);
    free(bj);
    return json;
}

void
http_hub_publish(http_hub_t *self, const pk_msg_t *ev)
{
    bool change = s_is_change(ev->event.topic);
    bool build = !strncmp(ev->event.topic, "build.", 6);
    pthread_mutex_lock(&self->lock);
    char *json = change && self->changes ? s_change_json(ev) : NULL;
    size_t len = json ? strlen(json) : 0;
    for (http_sub_t *s = self->subs; s; s = s->next) {
        if (s->topic) {
            if (build || !strcmp(ev->event.topic, s->topic)) {
                s->news = true;
                pthread_cond_signal(&s->cond);
            }
            continue;
        }
        if (!json)
            continue;
        if (s->n == S_QUEUE_MAX || s->bytes + len > S_QUEUE_BYTES) {
            s->dropped++;
            atomic_fetch_add(&self->dropped, 1);
        }
        else {
            s->queue[(s->head + s->n++) % S_QUEUE_MAX] = strdup(json);
            s->bytes += len;
        }
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&self->lock);
    free(json);
}

void
http_hub_stop(http_hub_t *self)
{
    pthread_mutex_lock(&self->lock);
    self->stopping = true;
    for (http_sub_t *s = self->subs; s; s = s->next)
        pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&self->lock);
}

uint64_t
http_hub_dropped(http_hub_t *self)
{
    return (uint64_t) atomic_load(&self->dropped);
}

http_sub_t *
http_hub_join(http_hub_t *self, const char *log_topic)
{
    http_sub_t *s = calloc(1, sizeof *s);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (log_topic)
        s->topic = strdup(log_topic);
    else
        s->queue = calloc(S_QUEUE_MAX, sizeof *s->queue);
    pthread_mutex_lock(&self->lock);
    s->next = self->subs;
    self->subs = s;
    self->changes += !log_topic;
    pthread_mutex_unlock(&self->lock);
    return s;
}

void
http_hub_leave(http_hub_t *self, http_sub_t **sub_p)
{
    http_sub_t *s = *sub_p;
    if (!s)
        return;
    *sub_p = NULL;
    pthread_mutex_lock(&self->lock);
    for (http_sub_t **p = &self->subs; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    self->changes -= !s->topic;
    pthread_mutex_unlock(&self->lock);
    for (size_t i = 0; s->queue && i < s->n; i++)
        free(s->queue[(s->head + i) % S_QUEUE_MAX]);
    free(s->queue);
    free(s->topic);
    pthread_cond_destroy(&s->cond);
    free(s);
}

int
http_hub_wait(http_hub_t *self, http_sub_t *s, int timeout_ms, char **json, uint64_t *dropped)
{
    *json = NULL;
    *dropped = 0;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long) (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&self->lock);
    int rc = 0;
    while (!self->stopping && !s->news && !s->n && !s->dropped && rc == 0)
        rc = pthread_cond_timedwait(&s->cond, &self->lock, &until);
    bool news = s->news || s->n || s->dropped;
    s->news = false;
    if (!s->n) {                // what was dropped came after everything queued
        *dropped = s->dropped;
        s->dropped = 0;
    }
    else {
        *json = s->queue[s->head];
        s->queue[s->head] = NULL;
        s->head = (s->head + 1) % S_QUEUE_MAX;
        s->n--;
        s->bytes -= strlen(*json);
    }
    pthread_mutex_unlock(&self->lock);
    return news ? 1 : 0;
}
