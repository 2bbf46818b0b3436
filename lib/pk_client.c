// pk_client: see pk_client.h. A request is a send and a receive loop with
// one deadline; everything that is not our REPLY is either kept (EVENTs, in
// a bounded queue: a client that never reads its events must not grow
// without bound) or dropped (stale REPLYs, anything else). How messages
// move is the link's business (pk_client_link.h: libzmq in the full
// program, plain ZMTP in the small front end); the rules are here, once.
#include "pk_client.h"
#include "pk_client_link.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_EVENTS_MAX 100000     // kept EVENTs; older ones are dropped beyond this
#define S_SUBSCRIBE_MS 5000

typedef struct s_event_t {
    pk_msg_t msg;
    struct s_event_t *next;
} s_event_t;

struct _pk_client_t {
    pk_link_t *link;
    char *endpoint;
    bool curve;
    uint64_t rid;
    unsigned hello_epoch;       // the link's connection our HELLO went on
    s_event_t *head, *tail;     // kept EVENTs, oldest first
    size_t events;
    char *token;                // sent with every REQUEST (NULL: anonymous)
    bool denied;                // the last REPLY's
    char error[512];
};

static void
s_error(pk_client_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->error, sizeof self->error, fmt, ap);
    va_end(ap);
}

// The oldest kept EVENT into *m: true, or false when none is kept.
static bool
s_event_pop(pk_client_t *self, pk_msg_t *m)
{
    s_event_t *e = self->head;
    if (!e)
        return false;
    self->head = e->next;
    if (!self->head)
        self->tail = NULL;
    self->events--;
    *m = e->msg;
    free(e);
    return true;
}

bool
pk_client_speaks(const char *endpoint, const pk_curve_client_t *curve)
{
    return endpoint && *endpoint && pk_link_speaks(endpoint, curve);
}

pk_client_t *
pk_client_new(const char *endpoint, char **err)
{
    return pk_client_new_secure(endpoint, NULL, err);
}

pk_client_t *
pk_client_new_secure(const char *endpoint, const pk_curve_client_t *curve, char **err)
{
    if (err)
        *err = NULL;
    if (!endpoint || !*endpoint) {
        if (err)
            *err = strdup("no server endpoint given");
        return NULL;
    }
    pk_link_t *link = pk_link_new(endpoint, curve, err);
    if (!link)
        return NULL;
    pk_client_t *self = calloc(1, sizeof *self);
    self->link = link;
    self->curve = pk_curve_client_set(curve);
    self->endpoint = strdup(endpoint);
    return self;
}

void
pk_client_destroy(pk_client_t **self_p)
{
    pk_client_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    pk_msg_t m;
    while (s_event_pop(self, &m))
        pk_msg_clear(&m);
    pk_link_destroy(&self->link);
    free(self->endpoint);
    if (self->token)
        explicit_bzero(self->token, strlen(self->token));
    free(self->token);
    free(self);
    *self_p = NULL;
}

const char *
pk_client_error(pk_client_t *self)
{
    return self ? self->error : "no client";
}

bool
pk_client_denied(pk_client_t *self)
{
    return self && self->denied;
}

void
pk_client_set_token(pk_client_t *self, const char *token)
{
    if (!self)
        return;
    if (self->token)
        explicit_bzero(self->token, strlen(self->token));
    free(self->token);
    self->token = token && *token ? strdup(token) : NULL;
}

const char *
pk_client_endpoint(pk_client_t *self)
{
    return self ? self->endpoint : "";
}

int
pk_client_connect(pk_client_t *self, int timeout_ms)
{
    if (!self)
        return -1;
    self->error[0] = 0;
    if (pk_link_wait(self->link, pk_link_now() + (timeout_ms < 0 ? 0 : timeout_ms)) == 0)
        return 0;
    s_error(self, "cannot reach the server at %s%s", self->endpoint,
            self->curve ? " (or it refuses our CURVE key, or the server key is not its own)" : "");
    return -1;
}

// Send m (HELLO first, once per connection), waiting for a connection
// until deadline.
static int
s_send(pk_client_t *self, const pk_msg_t *m, int64_t deadline)
{
    int64_t left = deadline - pk_link_now();
    if (pk_client_connect(self, left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left) != 0)
        return -1;
    if (self->hello_epoch != pk_link_epoch(self->link)) {
        char name[64];
        snprintf(name, sizeof name, "client-%ld", (long) getpid());
        pk_msg_t h = { .type = PK_MSG_HELLO };
        h.hello.name = name;
        h.hello.role = "client";
        if (pk_link_send(self->link, &h, deadline) != 0) {
            s_error(self, "cannot reach the server at %s", self->endpoint);
            return -1;
        }
        self->hello_epoch = pk_link_epoch(self->link);
    }
    if (pk_link_send(self->link, m, deadline) != 0) {
        s_error(self, "cannot send to the server at %s", self->endpoint);
        return -1;
    }
    return 0;
}

static void
s_keep_event(pk_client_t *self, pk_msg_t *m)
{
    pk_msg_t old;
    if (self->events >= S_EVENTS_MAX && s_event_pop(self, &old))
        pk_msg_clear(&old);
    s_event_t *e = calloc(1, sizeof *e);
    e->msg = *m;
    memset(m, 0, sizeof *m);
    if (self->tail)
        self->tail->next = e;
    else
        self->head = e;
    self->tail = e;
    self->events++;
}

int
pk_client_send(pk_client_t *self, const char *op, const pk_kv_t *args, const void *body,
               size_t body_size, int timeout_ms, uint64_t *rid_out)
{
    *rid_out = 0;
    if (!self || !op)
        return -1;
    self->error[0] = 0;
    self->denied = false;
    int64_t deadline = pk_link_now() + (timeout_ms < 0 ? 0 : timeout_ms);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = ++self->rid;
    q.request.token = self->token;
    q.request.op = (char *) op;
    if (args)
        q.request.args = *args;
    q.request.body.data = (uint8_t *) body;
    q.request.body.size = body ? body_size : 0;
    if (body && body_size && pk_msgpack_check(body, body_size, NULL, 0) != 0) {
        s_error(self, "the request body is not one msgpack object");
        return -1;
    }
    if (s_send(self, &q, deadline) != 0)
        return -1;
    *rid_out = q.request.rid;
    return 0;
}

int
pk_client_reply(pk_client_t *self, uint64_t rid, int timeout_ms, uint8_t **body_out,
                size_t *size_out, char **error_out)
{
    if (body_out)
        *body_out = NULL;
    if (size_out)
        *size_out = 0;
    if (error_out)
        *error_out = NULL;
    if (!self || !rid)
        return -1;
    self->error[0] = 0;
    self->denied = false;
    int64_t deadline = pk_link_now() + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        pk_msg_t m;
        if (pk_link_recv(self->link, &m, deadline) != 0) {
            s_error(self, "no answer from the server at %s within %d ms", self->endpoint,
                    timeout_ms);
            return -1;
        }
        if (m.type == PK_MSG_EVENT) {
            s_keep_event(self, &m);
            continue;
        }
        if (m.type != PK_MSG_REPLY || m.reply.rid != rid) {
            pk_msg_clear(&m);       // a stale reply, or nothing for a client
            continue;
        }
        int rc = m.reply.ok ? 0 : 1;
        self->denied = !m.reply.ok && m.reply.denied;
        if (body_out && m.reply.body.size) {
            *body_out = m.reply.body.data;
            m.reply.body.data = NULL;
            if (size_out)
                *size_out = m.reply.body.size;
        }
        if (rc == 1) {
            if (error_out)
                *error_out = strdup(m.reply.error && *m.reply.error ? m.reply.error
                                                                    : "refused");
            s_error(self, "%s", m.reply.error ? m.reply.error : "refused");
        }
        pk_msg_clear(&m);
        return rc;
    }
}

int
pk_client_request(pk_client_t *self, const char *op, const pk_kv_t *args,
                  const void *body, size_t body_size, int timeout_ms,
                  uint8_t **body_out, size_t *size_out, char **error_out)
{
    if (body_out)
        *body_out = NULL;
    if (size_out)
        *size_out = 0;
    if (error_out)
        *error_out = NULL;
    uint64_t rid;
    if (pk_client_send(self, op, args, body, body_size, timeout_ms, &rid) != 0)
        return -1;
    return pk_client_reply(self, rid, timeout_ms, body_out, size_out, error_out);
}

int
pk_client_subscribe(pk_client_t *self, const char *prefix, uint64_t *seq_out)
{
    if (seq_out)
        *seq_out = 0;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "prefix", prefix ? prefix : "");
    uint8_t *body = NULL;
    size_t size = 0;
    char *error = NULL;
    int rc = pk_client_request(self, "subscribe", &args, NULL, 0, S_SUBSCRIBE_MS, &body, &size,
                               &error);
    pk_kv_clear(&args);
    if (rc == 0 && seq_out && body) {
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        if (msgpack_unpack_next(&u, (const char *) body, size, NULL) == MSGPACK_UNPACK_SUCCESS
            && u.data.type == MSGPACK_OBJECT_MAP) {
            for (uint32_t i = 0; i < u.data.via.map.size; i++) {
                const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
                if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 3
                    && !memcmp(kv->key.via.str.ptr, "seq", 3)
                    && kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                    *seq_out = kv->val.via.u64;
            }
        }
        msgpack_unpacked_destroy(&u);
    }
    free(body);
    free(error);
    return rc == 0 ? 0 : -1;
}

int
pk_client_event(pk_client_t *self, int timeout_ms, pk_msg_t *event_out)
{
    memset(event_out, 0, sizeof *event_out);
    if (!self)
        return -1;
    self->error[0] = 0;
    if (s_event_pop(self, event_out))
        return 0;
    int64_t deadline = pk_link_now() + (timeout_ms < 0 ? 0 : timeout_ms);
    pk_msg_t m;
    while (pk_link_recv(self->link, &m, deadline) == 0) {
        if (m.type == PK_MSG_EVENT) {
            *event_out = m;
            return 0;
        }
        pk_msg_clear(&m);
    }
    s_error(self, "no event within %d ms", timeout_ms);
    return -1;
}
