// pk_client_zmq: pk_client's link over a libzmq DEALER (pk_client_link.h).
// The socket is ZMQ_IMMEDIATE: nothing queues before a connection exists, so
// "cannot be reached" is told apart from "did not answer".
#include "pk_client_link.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _pk_link_t {
    zsock_t *sock;
};

int64_t
pk_link_now(void)
{
    return zclock_mono();
}

static int
s_remaining(int64_t deadline)
{
    int64_t left = deadline - zclock_mono();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

bool
pk_link_speaks(const char *endpoint, const pk_curve_client_t *curve)
{
    (void) endpoint;
    (void) curve;
    return true;
}

pk_link_t *
pk_link_new(const char *endpoint, const pk_curve_client_t *curve, char **err)
{
    pk_link_t *self = calloc(1, sizeof *self);
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
    if (zsock_connect(self->sock, "%s", endpoint) != 0) {
        if (err && asprintf(err, "cannot connect to \"%s\": %s", endpoint,
                            zmq_strerror(zmq_errno())) < 0)
            *err = NULL;
        zsock_destroy(&self->sock);
        free(self);
        return NULL;
    }
    return self;
}

void
pk_link_destroy(pk_link_t **self_p)
{
    pk_link_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

int
pk_link_wait(pk_link_t *self, int64_t deadline)
{
    // with ZMQ_IMMEDIATE, POLLOUT means a connection exists
    zmq_pollitem_t item = { zsock_resolve(self->sock), 0, ZMQ_POLLOUT, 0 };
    for (;;) {
        int rc = zmq_poll(&item, 1, s_remaining(deadline));
        if (rc > 0)
            return 0;
        if (rc == 0 || zmq_errno() != EINTR || zclock_mono() >= deadline)
            return -1;
    }
}

unsigned
pk_link_epoch(pk_link_t *self)
{
    // libzmq reconnects underneath without telling: one HELLO, as ever
    (void) self;
    return 1;
}

int
pk_link_send(pk_link_t *self, const pk_msg_t *m, int64_t deadline)
{
    zsock_set_sndtimeo(self->sock, s_remaining(deadline));
    return pk_msg_send(self->sock, m);
}

int
pk_link_recv(pk_link_t *self, pk_msg_t *m, int64_t deadline)
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
