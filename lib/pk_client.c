// pk_client: see pk_client.h. A request is a send and a receive loop with
// one deadline; everything that is not our REPLY is either kept (EVENTs, in
// a bounded queue: a client that never reads its events must not grow
// without bound) or dropped (stale REPLYs, anything else).
#include "pk_client.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_EVENTS_MAX 100000     // kept EVENTs; older ones are dropped beyond this
#define S_SUBSCRIBE_MS 5000

struct _pk_client_t {
    zsock_t *sock;
    char *endpoint;
    bool curve;
    uint64_t rid;
    bool hello_sent;
    zlist_t *events;            // pk_msg_t *, oldest first
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

static void
s_event_free(void *item)
{
    pk_msg_t *m = item;
    pk_msg_clear(m);
    free(m);
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
    pk_client_t *self = calloc(1, sizeof *self);
    self->sock = zsock_new(ZMQ_DEALER);
    if (!self->sock) {
        free(self);
        if (err)
            *err = strdup("cannot create a socket");
        return NULL;
    }
    zsock_set_immediate(self->sock, 1);
    zsock_set_linger(self->sock, 100);
    zsock_set_maxmsgsize(self->sock, PK_MSG_MAX_FRAME + 4096);
    zsock_set_rcvhwm(self->sock, 100000);
    if (pk_curve_apply_client(self->sock, curve, err) != 0) {
        zsock_destroy(&self->sock);
        free(self);
        return NULL;
    }
    self->curve = pk_curve_client_set(curve);
    if (zsock_connect(self->sock, "%s", endpoint) != 0) {
        if (err && asprintf(err, "cannot connect to \"%s\": %s", endpoint,
                            zmq_strerror(zmq_errno())) < 0)
            *err = NULL;
        zsock_destroy(&self->sock);
        free(self);
        return NULL;
    }
    self->endpoint = strdup(endpoint);
    self->events = zlist_new();
    return self;
}

void
pk_client_destroy(pk_client_t **self_p)
{
    pk_client_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    pk_msg_t *m;
    while ((m = zlist_pop(self->events)))
        s_event_free(m);
    zlist_destroy(&self->events);
    zsock_destroy(&self->sock);
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

static int
s_remaining(int64_t deadline)
{
    int64_t left = deadline - zclock_mono();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

int
pk_client_connect(pk_client_t *self, int timeout_ms)
{
    if (!self)
        return -1;
    self->error[0] = 0;
    // with ZMQ_IMMEDIATE, POLLOUT means a connection exists
    zmq_pollitem_t item = { zsock_resolve(self->sock), 0, ZMQ_POLLOUT, 0 };
    int64_t deadline = zclock_mono() + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        int rc = zmq_poll(&item, 1, s_remaining(deadline));
        if (rc > 0)
            return 0;
        if (rc == 0 || zmq_errno() != EINTR || zclock_mono() >= deadline)
            break;
    }
    s_error(self, "cannot reach the server at %s%s", self->endpoint,
            self->curve ? " (or it refuses our CURVE key, or the server key is not its own)" : "");
    return -1;
}

// Send m (HELLO first, once), waiting for a connection until deadline.
static int
s_send(pk_client_t *self, const pk_msg_t *m, int64_t deadline)
{
    if (pk_client_connect(self, s_remaining(deadline)) != 0)
        return -1;
    zsock_set_sndtimeo(self->sock, s_remaining(deadline));
    if (!self->hello_sent) {
        char name[64];
        snprintf(name, sizeof name, "client-%ld", (long) getpid());
        pk_msg_t h = { .type = PK_MSG_HELLO };
        h.hello.name = name;
        h.hello.role = "client";
        if (pk_msg_send(self->sock, &h) != 0) {
            s_error(self, "cannot reach the server at %s", self->endpoint);
            return -1;
        }
        self->hello_sent = true;
    }
    if (pk_msg_send(self->sock, m) != 0) {
        s_error(self, "cannot send to the server at %s", self->endpoint);
        return -1;
    }
    return 0;
}

static void
s_keep_event(pk_client_t *self, pk_msg_t *m)
{
    if (zlist_size(self->events) >= S_EVENTS_MAX) {
        pk_msg_t *old = zlist_pop(self->events);
        s_event_free(old);
    }
    pk_msg_t *copy = malloc(sizeof *copy);
    *copy = *m;
    memset(m, 0, sizeof *m);
    zlist_append(self->events, copy);
}

// The next message before deadline: 0, or -1 on timeout. Malformed
// messages are skipped.
static int
s_recv(pk_client_t *self, pk_msg_t *m, int64_t deadline)
{
    for (;;) {
        zsock_set_rcvtimeo(self->sock, s_remaining(deadline));
        zmsg_t *z = zmsg_recv(self->sock);
        if (!z) {
            if (zmq_errno() == EINTR && zclock_mono() < deadline)
                continue;
            return -1;
        }
        int rc = pk_msg_from_zmsg(z, m, NULL, 0);
        zmsg_destroy(&z);
        if (rc == 0)
            return 0;
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
    if (!self || !op)
        return -1;
    self->error[0] = 0;
    self->denied = false;
    int64_t deadline = zclock_mono() + (timeout_ms < 0 ? 0 : timeout_ms);
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
    for (;;) {
        pk_msg_t m;
        if (s_recv(self, &m, deadline) != 0) {
            s_error(self, "no answer from the server at %s within %d ms", self->endpoint,
                    timeout_ms);
            return -1;
        }
        if (m.type == PK_MSG_EVENT) {
            s_keep_event(self, &m);
            continue;
        }
        if (m.type != PK_MSG_REPLY || m.reply.rid != q.request.rid) {
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
    pk_msg_t *kept = zlist_pop(self->events);
    if (kept) {
        *event_out = *kept;
        free(kept);
        return 0;
    }
    int64_t deadline = zclock_mono() + (timeout_ms < 0 ? 0 : timeout_ms);
    pk_msg_t m;
    while (s_recv(self, &m, deadline) == 0) {
        if (m.type == PK_MSG_EVENT) {
            *event_out = m;
            return 0;
        }
        pk_msg_clear(&m);
    }
    s_error(self, "no event within %d ms", timeout_ms);
    return -1;
}
