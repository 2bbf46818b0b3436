// http_api: GET /api/v1/... (and /api/...) -- the JSON the CLI's --json
// prints, for the page and for scripts -- and the two Server-Sent Event
// streams the page lives on. Each is asked as the caller (http_call with
// their token): a stream keeps a copy of it; the change stream shows only
// the events of pipelines its caller may read (s_may_see). Paths below are
// as http.c hands them over, without the prefix:
//
//   /pipelines[?team=T]                     pipelines (without T: of every team
//                                           the caller may read, and exposed ones)
//   /overview[?pipeline=P]                  overview (what pikoci-top starts from)
//   /workers, /pending                      broker.workers, broker.pending
//   /pipelines/P/jobs                       jobs
//   /pipelines/P/resources                  resources (no webhook tokens: a
//                                           public pipeline's are read by anyone)
//   /pipelines/P/resources/R/versions       versions [?limit=N&before=ID&after=ID]
//   /pipelines/P/jobs/J/builds              builds [?limit=N&before=N&after=N]
//                                           (a page: the newest 50 by default)
//   /pipelines/P/jobs/J/builds/N            build
//   /pipelines/P/jobs/J/builds/N/log        the log's bytes [?offset=&max=],
//                                           X-Log-Offset/-Next/-Size/-Finished
//   .../log/stream[?offset=O|tail=BYTES]    SSE: meta {offset, size}, then
//                                           messages {offset, next, text} as the
//                                           log grows, end {status, size}
//   /tokens, /teams, /audit[?user&action&limit&before&since]
//                                           tokens.list, teams.list, audit
//   /version                                {version, commit} of this binary
//   /events                                 SSE: change {topic, seq, body} for
//                                           every build/job/pipeline/resource/
//                                           worker event; dropped {dropped}
//                                           when a reader fell so far behind
//                                           that events were lost
// A stream waits on the hub (http_hub.c: the actor's one subscription) and
// never queues log text of its own: a log follower that keeps up copies its
// next bytes from the tail of the log the hub keeps for all its followers
// (the chunks the log sink published); one that fell behind it, or whose
// build changed, reads the store from its own byte offset, S_LOG_CHUNK at a
// time, so one that reads slowly falls behind in the store, not in memory.
// Every S_POLL_MS it reads the store anyway, as its caller: the store is the
// truth, and a token revoked meanwhile ends the stream. A change stream asks
// what its caller may read every S_RECHECK_MS. Both ask at once when control
// says their caller's token was revoked or their access changed (the hub's
// HTTP_NEWS_AUTH): the periodic checks are the backstop. At most streams_max
// streams are open at once. Log text is sent only up to whole UTF-8
// characters, so a chunk boundary never garbles one.
#include "http_internal.h"
#include "pk_builds.h"
#include "pk_value_msgpack.h"
#include "pk_version.h"
#include <czmq.h>
#include <sys/socket.h>

#define S_LOG_CHUNK (128 * 1024)     // a follower holds about this much
#define S_COPY_CHUNK (32 * 1024)     // what a follower copies from its tail at once
#define S_WAIT_MS 500
#define S_POLL_MS 2000
#define S_KEEPALIVE_MS 10000
#define S_RECHECK_MS 30000         // a change stream asks again what its caller may read

typedef struct {
    http_t *h;
    http_sub_t *sub;            // its news from the bus (http_hub.c)
    bool log;                   // a log stream, else the change stream
    char *pipeline, *job, *number, *topic;
    char *said;                 // log stream: the number as build events say it ("3.1")
    uint64_t offset;
    uint32_t attempt;           // log stream: whose log offset is in
    char *out;
    size_t len, pos, cap;
    bool fetch, copy, done, counted;     // fetch: read the store; copy: the hub's tail
    int64_t poll_at, wrote_at;
    http_who_t who;             // the caller: a stream reads as they may
    char *user;                 // change stream: whose token it is (whoami)
    zhash_t *readable;          // change stream: the pipelines they may read (NULL: all)
    bool anonymous;             // change stream: none but an exposed pipeline's events
    int64_t recheck_at;         // when readable is asked again
} s_stream_t;

// --- JSON text for the streams

void
http_json_put(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = 0;
}

// Length of the UTF-8 character at s (n bytes left), or 0 when invalid.
static size_t
s_utf8_len(const unsigned char *s, size_t n)
{
    size_t want = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
                : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!want || want > n || (want == 2 && s[0] < 0xC2) || (want == 4 && s[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < want; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return want;
}

size_t
http_utf8_whole(const char *data, size_t n)
{
    // only the last 3 bytes can be an unfinished character
    size_t from = n > 3 ? n - 3 : 0;
    for (size_t i = from; i < n; i++) {
        const unsigned char c = (unsigned char) data[i];
        size_t want = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (want && i + want > n)
            return i;
    }
    return n;
}

void
http_json_str(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    http_json_put(buf, len, cap, "\"", 1);
    const unsigned char *s = (const unsigned char *) data;
    for (size_t i = 0; i < n;) {
        size_t run = 0;             // plain ASCII goes in one piece: logs are mostly that
        while (i + run < n && s[i + run] >= 0x20 && s[i + run] < 0x80 && s[i + run] != '"'
               && s[i + run] != '\\')
            run++;
        if (run) {
            http_json_put(buf, len, cap, (const char *) s + i, run);
            i += run;
            continue;
        }
        size_t k = s_utf8_len(s + i, n - i);
        char esc[8];
        if (k == 0) {
            http_json_put(buf, len, cap, "\\ufffd", 6);
            i++;
            continue;
        }
        if (k == 1 && (s[i] < 0x20 || s[i] == '"' || s[i] == '\\')) {
            const char *e = s[i] == '"' ? "\\\"" : s[i] == '\\' ? "\\\\" : s[i] == '\n' ? "\\n"
                          : s[i] == '\r' ? "\\r" : s[i] == '\t' ? "\\t" : NULL;
            if (!e) {
                snprintf(esc, sizeof esc, "\\u%04x", s[i]);
                e = esc;
            }
            http_json_put(buf, len, cap, e, strlen(e));
        }
        else
            http_json_put(buf, len, cap, (const char *) s + i, k);
        i += k;
    }
    http_json_put(buf, len, cap, "\"", 1);
}

static void
s_emit(s_stream_t *s, const char *event, const char *json)
{
    char head[64];
    int n = event ? snprintf(head, sizeof head, "event: %s\n", event) : 0;
    http_json_put(&s->out, &s->len, &s->cap, head, (size_t) n);
    http_json_put(&s->out, &s->len, &s->cap, "data: ", 6);
    http_json_put(&s->out, &s->len, &s->cap, json, strlen(json));
    http_json_put(&s->out, &s->len, &s->cap, "\n\n", 2);
}

// --- the streams

static pk_kv_t
s_build_args(const s_stream_t *s)
{
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", s->pipeline);
    pk_kv_set(&args, "job", s->job);
    pk_kv_set(&args, "number", s->number);
    return args;
}

// A message with the text from s->offset, up to its last whole UTF-8
// character unless the log is finished: how many bytes it took.
static size_t
s_log_text(s_stream_t *s, const char *text, size_t n, bool finished)
{
    size_t whole = finished ? n : http_utf8_whole(text, n);
    if (!whole)
        return 0;
    char *json = NULL;
    size_t len = 0, cap = 0;
    char head[96];
    int k = snprintf(head, sizeof head, "{\"offset\":%" PRIu64 ",\"next\":%" PRIu64
                     ",\"text\":", s->offset, s->offset + whole);
    http_json_put(&json, &len, &cap, head, (size_t) k);
    http_json_str(&json, &len, &cap, text, whole);
    http_json_put(&json, &len, &cap, "}", 1);
    s_emit(s, NULL, json);
    free(json);
    s->offset += whole;
    return whole;
}

// The log's next bytes out of the hub's tail of it, without asking anyone:
// the stream was authorised, and is again at every poll. A tail that does
// not hold s->offset sends it to the store.
static void
s_log_copy(s_stream_t *s)
{
    s->copy = false;
    char buf[S_COPY_CHUNK];
    int64_t n = http_hub_log_copy(s->h->hub, s->sub, s->attempt, s->offset, buf, sizeof buf);
    if (n < 0) {
        s->fetch = true;
        return;
    }
    atomic_fetch_add(&s->h->log_tail_bytes, (uint64_t) n);
    s_log_text(s, buf, (size_t) n, false);
    s->copy = n == (int64_t) sizeof buf;     // the tail has more
}

// One "logs" read from s->offset: a message with the text, the end when the
// build is over and everything was sent.
static void
s_log_fetch(s_stream_t *s)
{
    s->fetch = false;
    pk_kv_t args = s_build_args(s);
    char num[24];
    snprintf(num, sizeof num, "%" PRIu64, s->offset);
    pk_kv_set(&args, "offset", num);
    snprintf(num, sizeof num, "%d", S_LOG_CHUNK);
    pk_kv_set(&args, "max", num);
    pk_value_t *v = NULL;
    char *err = NULL;
    int rc = http_call(s->h, &s->who, "logs", &args, NULL, 0, &v, &err);
    pk_kv_clear(&args);
    atomic_fetch_add(&s->h->log_reads, 1);
    if (rc != 0)
        pk_value_destroy(&v);
    if (rc == 1) {
        char *json = NULL;
        size_t len = 0, cap = 0;
        http_json_put(&json, &len, &cap, "{\"error\":", 9);
        http_json_str(&json, &len, &cap, err ? err : "refused", strlen(err ? err : "refused"));
        http_json_put(&json, &len, &cap, "}", 1);
        s_emit(s, "end", json);
        free(json);
        s->done = true;
    }
    free(err);
    if (!v)
        return;
    const pk_value_t *data = pk_value_object_get(v, "data");
    size_t n = pk_value_len(data);
    const char *text = pk_value_string(data);
    uint64_t total = (uint64_t) pk_value_number(pk_value_object_get(v, "size"));
    bool finished = pk_value_bool(pk_value_object_get(v, "finished"));
    s->attempt = (uint32_t) pk_value_number(pk_value_object_get(v, "attempt"));
    size_t whole = s_log_text(s, text, n, finished);
    if (s->offset < total && whole == n)
        s->fetch = true;            // more is there already
    else
    if (finished && s->offset >= total) {
        char json[256];
        snprintf(json, sizeof json, "{\"status\":\"%s\",\"size\":%" PRIu64 "}",
                 pk_value_string(pk_value_object_get(v, "status")), total);
        s_emit(s, "end", json);
        s->done = true;
    }
    pk_value_destroy(&v);
}

// The pipelines s's caller may read, asked as them (their "pipelines"; a
// global admin's whoami says all): 0, or -1 when they may not even list
// (a token revoked or expired meanwhile). Asked again every S_RECHECK_MS.
static int
s_readable(s_stream_t *s)
{
    s->recheck_at = zclock_mono() + S_RECHECK_MS;
    pk_value_t *v = NULL;
    char *err = NULL;
    bool admin = false;
    if (s->who.token) {
        if (http_call(s->h, &s->who, "whoami", NULL, NULL, 0, &v, &err) != 0) {
            free(err);
            pk_value_destroy(&v);
            return -1;
        }
        admin = pk_value_bool(pk_value_object_get(v, "admin"));
        const char *user = pk_value_string(pk_value_object_get(v, "user"));
        if (!s->user && user)
            s->user = strdup(user);
        pk_value_destroy(&v);
    }
    s->anonymous = !s->who.token;
    zhash_destroy(&s->readable);
    if (admin)
        return 0;
    int rc = http_call(s->h, &s->who, "pipelines", NULL, NULL, 0, &v, &err);
    free(err);
    if (rc != 0) {
        pk_value_destroy(&v);
        return -1;
    }
    s->readable = zhash_new();
    for (size_t i = 0; i < pk_value_len(v); i++) {
        const char *name = pk_value_string(pk_value_object_get(pk_value_list_at(v, i), "name"));
        if (name)
            zhash_insert(s->readable, name, (void *) 1);
    }
    pk_value_destroy(&v);
    return 0;
}

// May s's caller see the change event json ({topic, seq, body})? Its
// pipeline must be one they may read; events of no pipeline (workers) are
// for users, not for anonymous visitors. A pipeline set since the list was
// asked makes it be asked again.
static bool
s_may_see(s_stream_t *s, const http_change_t *c)
{
    if (!s->readable)
        return true;
    if (!c->pipeline)
        return !s->anonymous;
    if (!zhash_lookup(s->readable, c->pipeline) && c->pipeline_event)
        s_readable(s);
    return s->readable && zhash_lookup(s->readable, c->pipeline);
}

static ssize_t
s_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void) pos;
    s_stream_t *s = cls;
    for (;;) {
        if (s->pos < s->len) {
            size_t n = s->len - s->pos < max ? s->len - s->pos : max;
            memcpy(buf, s->out + s->pos, n);
            s->pos += n;
            s->wrote_at = zclock_mono();
            return (ssize_t) n;
        }
        s->pos = s->len = 0;
        if (s->done || atomic_load(&s->h->stopping))
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (s->fetch) {
            s_log_fetch(s);
            continue;
        }
        if (s->copy) {
            s_log_copy(s);
            continue;
        }
        int64_t now = zclock_mono();
        if (s->log && now >= s->poll_at) {
            s->fetch = true;
            s->poll_at = now + S_POLL_MS;
            continue;
        }
        if (!s->log && now >= s->recheck_at && s_readable(s) != 0) {
            s->done = true;         // logged out, revoked, expired: the stream ends
            continue;
        }
        int wait = s->log && s->poll_at - now < S_WAIT_MS ? (int) (s->poll_at - now) : S_WAIT_MS;
        http_change_t change;
        uint64_t dropped = 0;
        int news = http_hub_wait(s->h->hub, s->sub, wait, &change, &dropped);
        // control said its caller may have lost access: ask again now, as
        // them -- a log follower by reading its log, before it copies more
        if ((news & HTTP_NEWS_AUTH) && !s->log && s_readable(s) != 0) {
            http_change_clear(&change);
            s->done = true;         // revoked, logged out, removed: the stream ends now
            continue;
        }
        s->copy = (news & HTTP_NEWS_LOG) && !(news & HTTP_NEWS_AUTH);
        // its status: the store says if it ended
        s->fetch = s->log && (news & (HTTP_NEWS_BUILD | HTTP_NEWS_AUTH));
        // a change stream writes all it was woken for at once
        while (change.json || dropped) {
            if (change.json && s_may_see(s, &change))
                s_emit(s, "change", change.json);
            http_change_clear(&change);
            if (dropped) {
                char msg[64];
                snprintf(msg, sizeof msg, "{\"dropped\":%" PRIu64 "}", dropped);
                s_emit(s, "dropped", msg);
            }
            dropped = 0;
            if (!http_hub_wait(s->h->hub, s->sub, 0, &change, &dropped))
                break;
        }
        if (!news && !s->len && zclock_mono() - s->wrote_at >= S_KEEPALIVE_MS)
            http_json_put(&s->out, &s->len, &s->cap, ": keepalive\n\n", 13);
    }
}

static void
s_stream_free(void *cls)
{
    s_stream_t *s = cls;
    http_hub_leave(s->h->hub, &s->sub);
    if (s->counted)
        atomic_fetch_sub(&s->h->streams_open, 1);
    free(s->pipeline);
    free(s->job);
    free(s->number);
    free(s->said);
    free(s->topic);
    free(s->out);
    free(s->user);
    http_who_clear(&s->who);
    zhash_destroy(&s->readable);
    free(s);
}

// A stream's state, or NULL when streams_max are open already: a client
// with many streams must leave connections for everyone's short requests.
static s_stream_t *
s_stream_new(http_t *h, const http_who_t *who)
{
    unsigned open = atomic_fetch_add(&h->streams_open, 1);
    if (open >= h->streams_max) {
        atomic_fetch_sub(&h->streams_open, 1);
        return NULL;
    }
    s_stream_t *s = calloc(1, sizeof *s);
    s->h = h;
    s->counted = true;
    s->who.token = who->token ? strdup(who->token) : NULL;
    s->who.cookie = who->cookie;
    return s;
}

static http_answer_t
s_too_many(http_t *h)
{
    http_answer_t a = http_error(MHD_HTTP_SERVICE_UNAVAILABLE, "%u streams are open, the most "
                                 "this server keeps; try again later", h->streams_max);
    if (a.response)
        MHD_add_response_header(a.response, "Retry-After", "10");
    return a;
}

// Starts s on its subscription (a log follower when s->topic is set).
static http_answer_t
s_stream(s_stream_t *s)
{
    atomic_fetch_add(&s->h->streams, 1);
    s->wrote_at = zclock_mono();
    // the followers' polls spread over S_POLL_MS, not all at once
    s->poll_at = s->wrote_at + S_POLL_MS / 2 + (int64_t) (((uintptr_t) s >> 6) % S_POLL_MS);
    const char *const build[3] = { s->pipeline, s->job, s->said };
    s->sub = http_hub_join(s->h->hub, s->log ? s->topic : NULL, build);
    http_hub_caller(s->h->hub, s->sub, s->who.token, s->user);
    struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                               s_read, s, s_stream_free);
    if (!r) {
        s_stream_free(s);
        return http_error(MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot start a stream");
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    return (http_answer_t) { MHD_HTTP_OK, r, true };
}

static http_answer_t
s_events(http_t *h, http_who_t *who, struct MHD_Connection *c)
{
    s_stream_t *s = s_stream_new(h, who);
    if (!s)
        return s_too_many(h);
    if (s_readable(s) != 0) {
        http_answer_t a = http_refused(&s->who, 1, s->who.denied ? "the token is not valid "
                                       "(revoked, expired, or not from this server)"
                                       : "cannot list the pipelines you may read");
        s_stream_free(s);
        return a;
    }
    // Its backlog belongs in the hub's bounded queue, where drops are
    // counted, not in a kernel buffer autotuned up to megabytes: events are
    // small and few, 8 KiB in flight is plenty.
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    int sndbuf = 8 * 1024;
    if (ci)
        setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    http_json_put(&s->out, &s->len, &s->cap, "retry: 2000\n\n", 13);
    return s_stream(s);
}

static const char *
s_arg(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

static http_answer_t
s_log_stream(http_t *h, http_who_t *who, struct MHD_Connection *c, char **seg)
{
    s_stream_t *s = s_stream_new(h, who);
    if (!s)
        return s_too_many(h);
    s->log = true;
    s->pipeline = strdup(seg[0]);
    s->job = strdup(seg[1]);
    s->number = strdup(seg[2]);
    const char *offset = s_arg(c, "offset"), *tail = s_arg(c, "tail");
    s->offset = offset ? strtoull(offset, NULL, 10) : 0;
    // where the log is and how big: the build tells its id, "logs" its size
    pk_kv_t args = s_build_args(s);
    pk_kv_set(&args, "max", "1");
    pk_kv_set(&args, "offset", "0");
    pk_value_t *v = NULL;
    char *err = NULL;
    int rc = http_call(h, &s->who, "logs", &args, NULL, 0, &v, &err);
    pk_kv_clear(&args);
    if (rc != 0) {
        http_answer_t a = http_refused(&s->who, rc, err);
        free(err);
        s_stream_free(s);
        return a;
    }
    uint64_t size = (uint64_t) pk_value_number(pk_value_object_get(v, "size"));
    const char *id = pk_value_string(pk_value_object_get(v, "id"));
    const char *number = pk_value_string(pk_value_object_get(v, "number"));
    s->said = strdup(number ? number : s->number);
    s->attempt = (uint32_t) pk_value_number(pk_value_object_get(v, "attempt"));
    if (asprintf(&s->topic, "log.%s", id ? id : "") < 0)
        s->topic = NULL;
    pk_value_destroy(&v);
    if (tail && !offset) {
        uint64_t t = strtoull(tail, NULL, 10);
        s->offset = size > t ? size - t : 0;
    }
    if (s->offset > size)
        s->offset = size;
    if (!s->topic) {
        s_stream_free(s);
        return http_error(MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot follow the log");
    }
    char meta[128];
    snprintf(meta, sizeof meta, "{\"offset\":%" PRIu64 ",\"size\":%" PRIu64 "}", s->offset, size);
    http_json_put(&s->out, &s->len, &s->cap, "retry: 2000\n\n", 13);
    s_emit(s, "meta", meta);
    s->fetch = true;
    return s_stream(s);
}

// The log's bytes [offset, offset + max) as they are stored.
static http_answer_t
s_log_bytes(http_t *h, http_who_t *who, struct MHD_Connection *c, pk_kv_t *args)
{
    const char *offset = s_arg(c, "offset"), *max = s_arg(c, "max");
    if (offset)
        pk_kv_set(args, "offset", offset);
    if (max)
        pk_kv_set(args, "max", max);
    pk_value_t *v = NULL;
    char *err = NULL;
    int rc = http_call(h, who, "logs", args, NULL, 0, &v, &err);
    http_answer_t a = rc != 0 ? http_refused(who, rc, err) : (http_answer_t) { 0 };
    if (rc == 0) {
        const pk_value_t *data = pk_value_object_get(v, "data");
        a = http_text(MHD_HTTP_OK, "text/plain; charset=utf-8", pk_value_string(data),
                      pk_value_len(data));
        static const char *fields[] = { "offset", "next_offset", "size", NULL };
        static const char *headers[] = { "X-Log-Offset", "X-Log-Next", "X-Log-Size" };
        for (int i = 0; a.response && fields[i]; i++) {
            char num[32];
            snprintf(num, sizeof num, "%.0f", pk_value_number(pk_value_object_get(v, fields[i])));
            MHD_add_response_header(a.response, headers[i], num);
        }
        if (a.response)
            MHD_add_response_header(a.response, "X-Log-Finished",
                                    pk_value_bool(pk_value_object_get(v, "finished"))
                                    ? "true" : "false");
    }
    free(err);
    pk_value_destroy(&v);
    return a;
}

// The cursor of a listing (?limit, ?before, ?after), passed on as given:
// control checks them.
static void
s_page_args(struct MHD_Connection *c, pk_kv_t *args)
{
    static const char *const names[] = { "limit", "before", "after" };
    for (size_t i = 0; i < 3; i++)
        if (s_arg(c, names[i]))
            pk_kv_set(args, names[i], s_arg(c, names[i]));
}

static http_answer_t
s_query(http_t *h, http_who_t *who, const char *op, pk_kv_t *args)
{
    pk_value_t *v = NULL;
    char *err = NULL;
    int rc = http_call(h, who, op, args, NULL, 0, &v, &err);
    http_answer_t a = rc == 0 ? http_json(MHD_HTTP_OK, v) : http_refused(who, rc, err);
    free(err);
    pk_value_destroy(&v);
    return a;
}

// Is s a count: decimal digits only, at most 15 of them (exact as a double)?
static bool
s_is_count(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 15 && !s[n];
}

// A client's mistake in the query or the path, before anything is asked:
// a message for a 400, or NULL. The build number (seg[5] under builds) and
// the numeric arguments must be counts; "0" is no build number.
static char *
s_bad_input(struct MHD_Connection *c, char **seg, int n)
{
    static const char *counts[] = { "limit", "offset", "max", "tail", NULL };
    char *msg = NULL;
    for (int i = 0; counts[i] && !msg; i++) {
        const char *v = s_arg(c, counts[i]);
        if (v && !s_is_count(v) && asprintf(&msg, "%s=%s: expected a whole number, 0 or more",
                                            counts[i], v) < 0)
            msg = NULL;
    }
    bool build = n >= 6 && !strcmp(seg[0], "pipelines") && !strcmp(seg[2], "jobs")
              && !strcmp(seg[4], "builds");
    // a team name as control makes them (control_admin.c): letters, digits,
    // '_', '-' and '.', at most 100
    const char *team = n == 1 && !strcmp(seg[0], "pipelines") ? s_arg(c, "team") : NULL;
    size_t tlen = team ? strlen(team) : 0;
    if (!msg && team && (!tlen || tlen > 100
                         || strspn(team, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-.") != tlen)
        && asprintf(&msg, "team=%s: a team name is letters, digits, '_', '-' and '.' (at most "
                    "100)", team) < 0)
        msg = NULL;
    uint64_t number;
    uint32_t retry;             // a retry's build is N.M (the web page links to it)
    if (!msg && build && pk_build_number_parse(seg[5], &number, &retry) != 0
        && asprintf(&msg, "builds/%s: a build number is a whole number from 1 (N.M for a retry)",
                    seg[5]) < 0)
        msg = NULL;
    return msg;
}

bool
http_api_route(http_t *h, http_who_t *who, struct MHD_Connection *c, const char *path,
               http_answer_t *a)
{
    // split into at most 9 segments
    char *copy = strdup(path), *seg[10] = { 0 }, *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, "/", &save); t && n < 10; t = strtok_r(NULL, "/", &save))
        seg[n++] = t;
    char *bad = s_bad_input(c, seg, n);
    if (bad) {
        *a = http_error(MHD_HTTP_BAD_REQUEST, "%s", bad);
        free(bad);
        free(copy);
        return true;
    }
    pk_kv_t args = { 0 };
    bool pipes = n >= 2 && !strcmp(seg[0], "pipelines");
    if (pipes)
        pk_kv_set(&args, "pipeline", seg[1]);
    if (n == 1 && !strcmp(seg[0], "version")) {
        pk_value_t *v = pk_value_new_object();
        pk_value_object_set(v, "version", pk_value_new_string(PK_VERSION));
        pk_value_object_set(v, "commit", pk_value_new_string(PK_GIT_COMMIT));
        *a = http_json(MHD_HTTP_OK, v);
        pk_value_destroy(&v);
    }
    else
    if (n == 1 && !strcmp(seg[0], "pipelines")) {
        if (s_arg(c, "team"))       // one team's; without it every team's they may read
            pk_kv_set(&args, "team", s_arg(c, "team"));
        *a = s_query(h, who, "pipelines", &args);
    }
    else
    if (n == 1 && !strcmp(seg[0], "overview")) {
        if (s_arg(c, "pipeline"))
            pk_kv_set(&args, "pipeline", s_arg(c, "pipeline"));
        *a = s_query(h, who, "overview", &args);
    }
    else
    if (n == 1 && (!strcmp(seg[0], "workers") || !strcmp(seg[0], "pending")))
        *a = s_query(h, who, !strcmp(seg[0], "workers") ? "broker.workers" : "broker.pending",
                     &args);
    else
    if (n == 1 && !strcmp(seg[0], "tokens"))
        *a = s_query(h, who, "tokens.list", &args);
    else
    if (n == 1 && !strcmp(seg[0], "teams"))
        *a = s_query(h, who, "teams.list", &args);
    else
    if (n == 1 && !strcmp(seg[0], "audit")) {
        static const char *const from[] = { "user", "action", "limit", "before", "since", NULL };
        static const char *const to[] = { "user", "action", "limit", "before_ms", "since_ms" };
        for (int i = 0; from[i]; i++)
            if (s_arg(c, from[i]))
                pk_kv_set(&args, to[i], s_arg(c, from[i]));
        *a = s_query(h, who, "audit", &args);
    }
    else
    if (n == 1 && !strcmp(seg[0], "events"))
        *a = s_events(h, who, c);
    else
    if (pipes && n == 3 && !strcmp(seg[2], "graph"))       // control_graph.c
        *a = s_query(h, who, "graph", &args);
    else
    if (pipes && n == 3 && (!strcmp(seg[2], "jobs") || !strcmp(seg[2], "resources")))
        *a = s_query(h, who, seg[2], &args);
    else
    if (pipes && n == 5 && !strcmp(seg[2], "resources") && !strcmp(seg[4], "versions")) {
        pk_kv_set(&args, "resource", seg[3]);
        s_page_args(c, &args);
        *a = s_query(h, who, "versions", &args);
    }
    else
    if (pipes && n >= 5 && !strcmp(seg[2], "jobs") && !strcmp(seg[4], "builds")) {
        pk_kv_set(&args, "job", seg[3]);
        if (n == 5)
            s_page_args(c, &args);
        if (n >= 6)
            pk_kv_set(&args, "number", seg[5]);
        if (n == 5 || n == 6)
            *a = s_query(h, who, n == 5 ? "builds" : "build", &args);
        else
        if (n == 7 && !strcmp(seg[6], "log"))
            *a = s_log_bytes(h, who, c, &args);
        else
        if (n == 8 && !strcmp(seg[6], "log") && !strcmp(seg[7], "stream")) {
            char *build[3] = { seg[1], seg[3], seg[5] };
            *a = s_log_stream(h, who, c, build);
        }
        else
            *a = http_error(MHD_HTTP_NOT_FOUND, "no such api: %s", path);
    }
    else
        *a = http_error(MHD_HTTP_NOT_FOUND, "no such api: %s (see /api/pipelines)", path);
    pk_kv_clear(&args);
    free(copy);
    return true;
}
