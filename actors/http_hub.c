// http_hub: the Server-Sent Event streams' view of the event bus.
//
// The http actor's own thread holds the face's one subscription (every
// event, drained as fast as it comes) and hands each event to the hub; a
// stream never subscribes on its own. Before, each stream had a broker
// client of its own, and one whose HTTP client did not read stopped reading
// its socket too: the bus queued every log chunk for it (10 such followers
// of a 100 MB log held a GB) -- a queue nobody bounded.
//
// Nothing queues per log follower either. The log sink publishes each chunk
// it committed (log.ID {attempt, offset, data}); the hub keeps, per log
// that someone follows, the latest S_TAIL_BYTES of them in one buffer all
// its followers share. A follower that keeps up copies its next bytes from
// there; one that fell behind the tail (a slow reader, a dropped event)
// reads the store from its own byte offset, however far behind it is. So 50
// followers of a chatty build cost no request through the broker and
// control per line -- they did, 2,500 a second for 50 lines a second, on
// the path a trigger takes (bench/bench_pages.c).
//
// A change stream gets the events themselves, as JSON text, in a queue of
// its own capped at S_QUEUE_MAX events and S_QUEUE_BYTES; beyond that
// events are dropped and counted -- the stream tells its client how many
// (event "dropped"), /metrics the total.
//
// Streams are woken in batches: news marks a stream due S_BATCH_MS later,
// and the actor's thread (http_hub_flush) wakes those whose time came. A
// trigger's few build events within a millisecond or two, or a log's
// chunks, then wake each stream once, not once each -- on 2 cores, 100
// threads woken per event were what slowed the scheduler. A page cannot
// tell 100 ms.
//
// Control tells when a caller loses access (control.c, s_access_events):
// token.revoked {id} names a token by its public id, user.changed {user} a
// user, team.removed {team} nobody in particular. The hub wakes the streams
// concerned -- those of that token; of that user or of a user it does not
// know (a log follower never asked); with a token at all -- with
// HTTP_NEWS_AUTH, and each asks control again as its caller at once: a
// revoked token, a logout, a user removed ends it within S_BATCH_MS, not at
// its next periodic check. The event only makes a stream ask: whoever could
// publish one could not end a stream whose caller may still read.
// One mutex guards every subscription and tail; each subscription has its
// own condition, so a wake-up reaches only the streams concerned.
#include "http_internal.h"
#include "pk_auth.h"
#include "pk_value_msgpack.h"
#include <czmq.h>

#define S_QUEUE_MAX 128            // a page refreshes on events: it needs few
#define S_QUEUE_BYTES (256 * 1024)
#define S_TAIL_BYTES (128 * 1024)  // per followed log, shared by its followers
#define S_BATCH_MS 100             // news waits this long for more before it wakes a stream

typedef struct s_tail {
    char *topic;                // "log.ID"
    unsigned refs;              // its followers
    bool valid;                 // holds bytes [base, base + len) of attempt's log
    uint32_t attempt;
    uint64_t base;
    char *buf;                  // S_TAIL_BYTES, a ring: base's byte is at head
    size_t head, len;
    struct s_tail *next;
} s_tail_t;

struct _http_sub_t {
    s_tail_t *tail;             // a log follower's log; NULL: a change stream
    char *build[3];             // a log follower's pipeline, job, number
    int news;                   // HTTP_NEWS_* not taken yet
    int64_t due;                // when the actor wakes it (0: not due)
    http_change_t *queue;       // change stream: S_QUEUE_MAX slots, a ring
    size_t head, n, bytes;
    uint64_t dropped;           // since the stream last looked
    pthread_cond_t cond;
    bool token;                 // its caller has one (else anonymous)
    char id[PK_AUTH_TOKEN_ID_LEN + 1];   // its public id
    char *user;                 // whose it is, when the stream asked (NULL: not known)
    http_sub_t *next;
};

struct _http_hub_t {
    pthread_mutex_t lock;
    http_sub_t *subs;
    s_tail_t *tails;
    size_t changes, logs;       // how many change streams, log followers
    bool stopping;
    atomic_int_fast64_t next_due;   // the earliest due (0: none), read without the lock
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
    assert(!self->tails);
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

// {"topic", "seq", "body"} of ev, body its body decoded (caller frees).
static char *
s_change_json(const pk_msg_t *ev, const pk_value_t *body)
{
    char *bj = body ? pk_value_to_json(body) : NULL;
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

// s has news: it is woken S_BATCH_MS from its first news not taken.
static void
s_due(http_hub_t *self, http_sub_t *s, int news, int64_t now)
{
    s->news |= news;
    if (s->due)
        return;
    s->due = now + S_BATCH_MS;
    int64_t next = atomic_load(&self->next_due);
    if (!next || s->due < next)
        atomic_store(&self->next_due, s->due);
}

static s_tail_t *
s_tail_find(http_hub_t *self, const char *topic)
{
    for (s_tail_t *t = self->tails; t; t = t->next)
        if (!strcmp(t->topic, topic))
            return t;
    return NULL;
}

void
http_hub_tail_add(http_hub_t *self, const char *topic, uint32_t attempt, uint64_t offset,
                  const char *data, size_t n)
{
    pthread_mutex_lock(&self->lock);
    s_tail_t *t = s_tail_find(self, topic);
    if (!t || !n) {
        pthread_mutex_unlock(&self->lock);
        return;
    }
    if (!t->valid || t->attempt != attempt || offset != t->base + t->len) {
        t->valid = true;        // a new attempt, or events were lost: start again here
        t->attempt = attempt;
        t->base = offset;
        t->head = t->len = 0;
    }
    if (n > S_TAIL_BYTES) {     // only the last S_TAIL_BYTES of it
        t->base += t->len + (n - S_TAIL_BYTES);
        t->head = t->len = 0;
        data += n - S_TAIL_BYTES;
        n = S_TAIL_BYTES;
    }
    if (t->len + n > S_TAIL_BYTES) {       // the oldest bytes make room
        size_t drop = t->len + n - S_TAIL_BYTES;
        t->head = (t->head + drop) % S_TAIL_BYTES;
        t->len -= drop;
        t->base += drop;
    }
    if (!t->buf)
        t->buf = malloc(S_TAIL_BYTES);
    size_t at = (t->head + t->len) % S_TAIL_BYTES, first = S_TAIL_BYTES - at < n
                                                         ? S_TAIL_BYTES - at : n;
    memcpy(t->buf + at, data, first);
    memcpy(t->buf, data + first, n - first);
    t->len += n;
    int64_t now = zclock_mono();
    for (http_sub_t *s = self->subs; s; s = s->next)
        if (s->tail == t)
            s_due(self, s, HTTP_NEWS_LOG, now);
    pthread_mutex_unlock(&self->lock);
}

// A log.ID event: its bytes into the tail of ID's followers, if any.
static void
s_publish_log(http_hub_t *self, const pk_msg_t *ev)
{
    pthread_mutex_lock(&self->lock);
    bool followed = s_tail_find(self, ev->event.topic) != NULL;
    pthread_mutex_unlock(&self->lock);
    if (!followed || !ev->event.body.size)
        return;
    pk_value_t *v = pk_value_unpack(ev->event.body.data, ev->event.body.size);
    const pk_value_t *data = pk_value_object_get(v, "data");
    if (data)
        http_hub_tail_add(self, ev->event.topic,
                          (uint32_t) pk_value_number(pk_value_object_get(v, "attempt")),
                          (uint64_t) pk_value_number(pk_value_object_get(v, "offset")),
                          pk_value_string(data), pk_value_len(data));
    pk_value_destroy(&v);
}

static bool
s_same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

// Is topic one of control's access events?
static bool
s_is_access(const char *topic)
{
    return !strcmp(topic, "token.revoked") || !strcmp(topic, "user.changed")
        || !strcmp(topic, "team.removed");
}

// An access event: the streams of the caller it names ask again.
static void
s_publish_access(http_hub_t *self, const pk_msg_t *ev)
{
    pk_value_t *body = ev->event.body.size
                     ? pk_value_unpack(ev->event.body.data, ev->event.body.size) : NULL;
    const char *id = pk_value_string(pk_value_object_get(body, "id"));
    const char *user = pk_value_string(pk_value_object_get(body, "user"));
    bool revoked = !strcmp(ev->event.topic, "token.revoked");
    bool changed = !strcmp(ev->event.topic, "user.changed");
    int64_t now = zclock_mono();
    pthread_mutex_lock(&self->lock);
    for (http_sub_t *s = self->subs; s; s = s->next) {
        if (!s->token)
            continue;
        bool concerned = revoked ? id && !strcmp(id, s->id)
                       : changed ? user && (!s->user || !strcmp(user, s->user))
                       : true;
        if (concerned)
            s_due(self, s, HTTP_NEWS_AUTH, now);
    }
    pthread_mutex_unlock(&self->lock);
    pk_value_destroy(&body);
}

void
http_hub_caller(http_hub_t *self, http_sub_t *sub, const char *token, const char *user)
{
    char id[PK_AUTH_TOKEN_ID_LEN + 1] = "";
    if (token)
        pk_auth_token_id(token, id);
    char *copy = user ? strdup(user) : NULL;
    pthread_mutex_lock(&self->lock);
    sub->token = token != NULL;
    memcpy(sub->id, id, sizeof id);
    free(sub->user);
    sub->user = copy;
    pthread_mutex_unlock(&self->lock);
}

void
http_hub_publish(http_hub_t *self, const pk_msg_t *ev)
{
    if (!strncmp(ev->event.topic, "log.", 4)) {
        s_publish_log(self, ev);
        return;
    }
    if (s_is_access(ev->event.topic)) {
        s_publish_access(self, ev);
        return;
    }
    if (!s_is_change(ev->event.topic))
        return;
    bool build = !strncmp(ev->event.topic, "build.", 6);
    pk_value_t *body = ev->event.body.size
                     ? pk_value_unpack(ev->event.body.data, ev->event.body.size) : NULL;
    const char *pipeline = pk_value_string(pk_value_object_get(body, "pipeline"));
    const char *job = pk_value_string(pk_value_object_get(body, "job"));
    const char *number = pk_value_string(pk_value_object_get(body, "number"));
    pthread_mutex_lock(&self->lock);
    char *json = self->changes ? s_change_json(ev, body) : NULL;
    size_t len = json ? strlen(json) : 0;
    int64_t now = zclock_mono();
    for (http_sub_t *s = self->subs; s; s = s->next) {
        if (s->tail) {          // a follower hears of its own build only
            if (build && s_same(pipeline, s->build[0]) && s_same(job, s->build[1])
                && s_same(number, s->build[2]))
                s_due(self, s, HTTP_NEWS_BUILD, now);
            continue;
        }
        if (!json)
            continue;
        if (s->n == S_QUEUE_MAX || s->bytes + len > S_QUEUE_BYTES) {
            s->dropped++;
            atomic_fetch_add(&self->dropped, 1);
        }
        else {
            http_change_t *c = &s->queue[(s->head + s->n++) % S_QUEUE_MAX];
            c->json = strdup(json);
            c->pipeline = pipeline && *pipeline ? strdup(pipeline) : NULL;
            c->pipeline_event = !strncmp(ev->event.topic, "pipeline.", 9);
            s->bytes += len;
        }
        s_due(self, s, HTTP_NEWS_CHANGE, now);
    }
    pthread_mutex_unlock(&self->lock);
    free(json);
    pk_value_destroy(&body);
}

int
http_hub_flush(http_hub_t *self)
{
    int64_t now = zclock_mono(), next = atomic_load(&self->next_due);
    if (!next)
        return -1;
    if (now < next)
        return (int) (next - now);
    pthread_mutex_lock(&self->lock);
    next = 0;
    for (http_sub_t *s = self->subs; s; s = s->next) {
        if (!s->due)
            continue;
        if (s->due <= now) {
            s->due = 0;
            pthread_cond_signal(&s->cond);
        }
        else
        if (!next || s->due < next)
            next = s->due;
    }
    atomic_store(&self->next_due, next);
    pthread_mutex_unlock(&self->lock);
    return next ? (int) (next - now) : -1;
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
http_hub_join(http_hub_t *self, const char *log_topic, const char *const build[3])
{
    http_sub_t *s = calloc(1, sizeof *s);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (log_topic)
        for (int i = 0; i < 3; i++)
            s->build[i] = strdup(build && build[i] ? build[i] : "");
    else
        s->queue = calloc(S_QUEUE_MAX, sizeof *s->queue);
    pthread_mutex_lock(&self->lock);
    if (log_topic) {
        s->tail = s_tail_find(self, log_topic);
        if (!s->tail) {
            s->tail = calloc(1, sizeof *s->tail);
            s->tail->topic = strdup(log_topic);
            s->tail->next = self->tails;
            self->tails = s->tail;
        }
        s->tail->refs++;
    }
    s->next = self->subs;
    self->subs = s;
    self->changes += !log_topic;
    self->logs += !!log_topic;
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
    s_tail_t *gone = NULL;
    pthread_mutex_lock(&self->lock);
    for (http_sub_t **p = &self->subs; *p; p = &(*p)->next)
        if (*p == s) {
            *p = s->next;
            break;
        }
    self->changes -= !s->tail;
    self->logs -= !!s->tail;
    if (s->tail && --s->tail->refs == 0) {
        for (s_tail_t **p = &self->tails; *p; p = &(*p)->next)
            if (*p == s->tail) {
                *p = s->tail->next;
                break;
            }
        gone = s->tail;
    }
    pthread_mutex_unlock(&self->lock);
    if (gone) {
        free(gone->topic);
        free(gone->buf);
        free(gone);
    }
    for (size_t i = 0; s->queue && i < s->n; i++)
        http_change_clear(&s->queue[(s->head + i) % S_QUEUE_MAX]);
    free(s->queue);
    for (int i = 0; i < 3; i++)
        free(s->build[i]);
    free(s->user);
    pthread_cond_destroy(&s->cond);
    free(s);
}

void
http_change_clear(http_change_t *c)
{
    free(c->json);
    free(c->pipeline);
    *c = (http_change_t) { 0 };
}

int
http_hub_wait(http_hub_t *self, http_sub_t *s, int timeout_ms, http_change_t *change,
              uint64_t *dropped)
{
    *change = (http_change_t) { 0 };
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
    while (timeout_ms > 0 && !self->stopping && !s->news && !s->n && !s->dropped && rc == 0)
        rc = pthread_cond_timedwait(&s->cond, &self->lock, &until);
    int news = s->news | (s->n || s->dropped ? HTTP_NEWS_CHANGE : 0);
    s->news = 0;
    if (!s->n) {                // what was dropped came after everything queued
        *dropped = s->dropped;
        s->dropped = 0;
        s->due = 0;             // taken: nothing to wake it for
    }
    else {
        *change = s->queue[s->head];
        s->queue[s->head] = (http_change_t) { 0 };
        s->head = (s->head + 1) % S_QUEUE_MAX;
        s->n--;
        s->bytes -= strlen(change->json);
        s->news = s->n || s->dropped ? HTTP_NEWS_CHANGE : 0;
    }
    pthread_mutex_unlock(&self->lock);
    return news;
}

int64_t
http_hub_log_copy(http_hub_t *self, http_sub_t *s, uint32_t attempt, uint64_t offset,
                  char *buf, size_t max)
{
    int64_t n = -1;
    pthread_mutex_lock(&self->lock);
    const s_tail_t *t = s->tail;
    if (t && t->valid && t->attempt == attempt && offset >= t->base) {
        uint64_t end = t->base + t->len;
        n = offset >= end ? 0 : (int64_t) (end - offset < max ? end - offset : max);
        size_t at = (t->head + (size_t) (offset - t->base)) % S_TAIL_BYTES;
        size_t first = S_TAIL_BYTES - at < (size_t) n ? S_TAIL_BYTES - at : (size_t) n;
        if (n > 0) {
            memcpy(buf, t->buf + at, first);
            memcpy(buf + first, t->buf, (size_t) n - first);
        }
    }
    pthread_mutex_unlock(&self->lock);
    return n;
}
