// top_log: the build log pikoci-top follows in its pane. As with
// `pikoci logs -f` (tools/cmd_logs.c), events only wake it up: the bytes
// always come from the store through the "logs" query, from the offset
// read so far, so nothing is shown twice or skipped even when events are
// dropped; a poll every 500 ms while the build runs covers events that
// never come.
//
// It has a client of its own, subscribed to this build's "log." topic: the
// broker has no unsubscribe, so closing the pane closes the client and its
// subscription with it. A long log is not read whole: its last 256 KiB
// first, then what follows; at most S_LINES_MAX lines are kept for
// scrolling back (the oldest go).
#include "top.h"
#include "pk_client.h"
#include "pk_cred.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <inttypes.h>

#define S_TAIL_BYTES (256u << 10)
#define S_READ_MAX "262144"
#define S_POLL_MS 500
#define S_LINES_MAX 10000
#define S_REQUEST_MS 3000

struct _top_log_t {
    pk_client_t *client;
    char *pipeline, *job, *number;
    char title[300];
    char status[128];
    uint64_t offset;
    bool started, finished, subscribed;
    bool skip;                  // drop up to the first newline (a tail starts mid-line)
    int64_t next_poll;
    char **lines;               // a ring of S_LINES_MAX
    size_t first, count;
    char *partial;              // the last line while it has no newline yet
    size_t partial_len;
};

top_log_t *
top_log_new(const char *endpoint, const char *pipeline, const char *job, const char *number)
{
    top_log_t *self = calloc(1, sizeof *self);
    self->client = pk_client_new(endpoint, NULL);
    pk_cred_apply(self->client, endpoint);
    self->pipeline = strdup(pipeline);
    self->job = strdup(job);
    self->number = strdup(number);
    snprintf(self->title, sizeof self->title, "%s/%s #%s", pipeline, job, number);
    snprintf(self->status, sizeof self->status, "reading");
    self->lines = calloc(S_LINES_MAX, sizeof *self->lines);
    return self;
}

void
top_log_destroy(top_log_t **self_p)
{
    top_log_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free(self->lines[(self->first + i) % S_LINES_MAX]);
    free(self->lines);
    free(self->partial);
    pk_client_destroy(&self->client);
    free(self->pipeline), free(self->job), free(self->number);
    free(self);
    *self_p = NULL;
}

// What a terminal can show of a line: tabs as spaces, escape sequences
// and other control bytes left out (a log may colour itself).
static char *
s_printable(const char *s, size_t len)
{
    char *out = malloc(len * 8 + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c == '\t') {
            do
                *o++ = ' ';
            while ((o - out) % 8);
        }
        else
        if (c == 0x1b && i + 1 < len && s[i + 1] == '[') {
            i += 2;
            while (i < len && !((s[i] >= '@' && s[i] <= '~')))
                i++;
        }
        else
        if (c >= 0x20 && c != 0x7f)
            *o++ = (char) c;
    }
    *o = 0;
    return out;
}

static void
s_push(top_log_t *self, char *line)
{
    if (self->count == S_LINES_MAX) {
        free(self->lines[self->first]);
        self->first = (self->first + 1) % S_LINES_MAX;
        self->count--;
    }
    self->lines[(self->first + self->count++) % S_LINES_MAX] = line;
}

static void
s_add(top_log_t *self, const char *data, size_t len)
{
    while (len && self->skip) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t) (nl - data) + 1 : len;
        self->skip = !nl;
        data += n;
        len -= n;
    }
    while (len) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t) (nl - data) : len;
        self->partial = realloc(self->partial, self->partial_len + n + 1);
        memcpy(self->partial + self->partial_len, data, n);
        self->partial_len += n;
        self->partial[self->partial_len] = 0;
        if (!nl)
            return;
        s_push(self, s_printable(self->partial, self->partial_len));
        self->partial_len = 0;
        data += n + 1;
        len -= n + 1;
    }
}

// One "logs" request from offset: 1 read something, 0 nothing new, -1 failed.
static int
s_read(top_log_t *self, uint64_t *size_out)
{
    char off[32];
    snprintf(off, sizeof off, "%" PRIu64, self->offset);
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", self->pipeline);
    pk_kv_set(&args, "job", self->job);
    pk_kv_set(&args, "number", self->number);
    pk_kv_set(&args, "offset", off);
    pk_kv_set(&args, "max", self->started ? S_READ_MAX : "1");
    uint8_t *body = NULL;
    size_t size = 0;
    char *error = NULL;
    int rc = pk_client_request(self->client, "logs", &args, NULL, 0, S_REQUEST_MS, &body, &size,
                               &error);
    pk_kv_clear(&args);
    pk_value_t *v = rc == 0 && body ? pk_value_unpack(body, size) : NULL;
    free(body);
    if (rc != 0 || !v) {
        snprintf(self->status, sizeof self->status, "%s",
                 rc == 1 && error ? error : pk_client_error(self->client));
        free(error);
        pk_value_destroy(&v);
        return -1;
    }
    const pk_value_t *data = pk_value_object_get(v, "data");
    const pk_value_t *st = pk_value_object_get(v, "status");
    const pk_value_t *next = pk_value_object_get(v, "next_offset");
    const pk_value_t *total = pk_value_object_get(v, "size");
    *size_out = pk_value_kind(total) == PK_V_NUMBER ? (uint64_t) pk_value_number(total) : 0;
    snprintf(self->status, sizeof self->status, "%s",
             pk_value_kind(st) == PK_V_STRING ? pk_value_string(st) : "?");
    uint64_t to = pk_value_kind(next) == PK_V_NUMBER ? (uint64_t) pk_value_number(next)
                                                     : self->offset;
    int got = 0;
    if (self->started && to > self->offset && pk_value_kind(data) == PK_V_STRING) {
        s_add(self, pk_value_string(data), pk_value_len(data));
        got = 1;
    }
    if (self->started)
        self->offset = to > self->offset ? to : self->offset;
    self->finished = pk_value_kind(pk_value_object_get(v, "finished")) == PK_V_BOOL
                  && pk_value_bool(pk_value_object_get(v, "finished"));
    pk_value_destroy(&v);
    return got;
}

// Anything for us since the last look? Events are only wake-ups.
static bool
s_woken(top_log_t *self)
{
    bool any = false;
    pk_msg_t ev;
    while (pk_client_event(self->client, 0, &ev) == 0) {
        pk_msg_clear(&ev);
        any = true;
    }
    return any;
}

bool
top_log_tick(top_log_t *self)
{
    if (!self->client || (self->finished && self->started))
        return false;
    int64_t now = zclock_mono();
    if (!self->subscribed) {
        if (pk_client_connect(self->client, 0) != 0)
            return false;
        char *prefix;
        if (asprintf(&prefix, "log.build:%s/%s/%s", self->pipeline, self->job,
                     self->number) >= 0) {
            pk_client_subscribe(self->client, prefix, NULL);
            free(prefix);
        }
        self->subscribed = true;
    }
    if (!s_woken(self) && now < self->next_poll && self->started)
        return false;
    self->next_poll = now + S_POLL_MS;
    bool changed = false;
    uint64_t size = 0;
    if (!self->started) {                   // where the tail starts
        if (s_read(self, &size) < 0)
            return true;
        self->started = true;
        self->finished = false;
        if (size > S_TAIL_BYTES) {
            self->offset = size - S_TAIL_BYTES;
            s_push(self, strdup("[... earlier output not shown ...]"));
            self->skip = true;
        }
        changed = true;
    }
    // read while more is stored, in bounded pieces
    for (int rounds = 0; rounds < 16; rounds++) {
        int rc = s_read(self, &size);
        if (rc < 0)
            return true;
        changed |= rc > 0;
        if (rc == 0 || self->offset >= size)
            break;
    }
    if (self->finished && self->partial_len) {
        s_push(self, s_printable(self->partial, self->partial_len));
        self->partial_len = 0;
        changed = true;
    }
    return changed || self->finished;
}

size_t
top_log_count(top_log_t *self)
{
    return self->count + (self->partial_len ? 1 : 0);
}

const char *
top_log_line(top_log_t *self, size_t i)
{
    if (i < self->count)
        return self->lines[(self->first + i) % S_LINES_MAX];
    return i == self->count && self->partial_len ? self->partial : "";
}

const char *
top_log_title(top_log_t *self)
{
    return self->title;
}

const char *
top_log_status(top_log_t *self)
{
    return self->status;
}

bool
top_log_finished(top_log_t *self)
{
    return self->finished && self->started;
}
