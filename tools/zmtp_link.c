// zmtp_link: pk_client's link (lib/pk_client_link.h) for the small `pikoci`
// front end: a DEALER's side of ZMTP 3.1 (rfc.zeromq.org/spec/37) with the
// NULL mechanism, over one plain tcp:// or ipc:// socket. libzmq plus
// libczmq map ~30 shared libraries (libstdc++, Kerberos, libsystemd, ...)
// whose loading alone costs several times a whole CLI query
// (bench/PROFILE-cli.md); this is the few hundred lines a client needs.
//
// What it does not do is handed to the full program before a link is made
// (pk_link_speaks false: CURVE settings, other transports): the CLI execs
// pikoci-core then (tools/pikoci.c). Like the libzmq link, a connection is
// made and its handshake finished within the caller's deadline, retried
// while nothing listens; a lost connection is made again on the next wait
// (a new epoch: the client says HELLO again). PINGs are answered, so a
// broker's heartbeats never drop a client that waits long for events.
#include "pk_client_link.h"
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_FRAME (PK_MSG_MAX_FRAME + 4096)   // as the libzmq link's maxmsgsize
#define S_RETRY_MAX_MS 100                      // libzmq's reconnect interval

struct _pk_link_t {
    char *endpoint;
    int fd;                 // -1: no connection
    unsigned epoch;
    uint8_t *in;            // bytes read; in[in_off, in_len) not parsed yet
    size_t in_off, in_len, in_cap;
    uint8_t *frames[2];     // the message being assembled: command, body
    size_t sizes[2];
    int nframes;            // frames of it seen so far (beyond 2 are dropped)
};

int64_t
pk_link_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
s_left(int64_t deadline)
{
    int64_t left = deadline - pk_link_now();
    return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

bool
pk_link_speaks(const char *endpoint, const pk_curve_client_t *curve)
{
    if (pk_curve_client_set(curve))
        return false;
    return !strncmp(endpoint, "tcp://", 6) || !strncmp(endpoint, "ipc://", 6);
}

// The front end never checks CURVE settings: a pk_cli with any is handed to
// the full program first (pk_link_speaks), so any here are unusable.
int
pk_curve_client_check(const pk_curve_client_t *curve, char **err)
{
    if (err)
        *err = NULL;
    if (!pk_curve_client_set(curve))
        return 0;
    if (err)
        *err = strdup("CURVE needs the full program (pikoci-core)");
    return -1;
}

pk_link_t *
pk_link_new(const char *endpoint, const pk_curve_client_t *curve, char **err)
{
    if (!pk_link_speaks(endpoint, curve)) {
        if (err && asprintf(err, "cannot connect to \"%s\": not a plain tcp:// or ipc:// "
                            "endpoint", endpoint) < 0)
            *err = NULL;
        return NULL;
    }
    const char *rest = endpoint + 6;
    if (!strncmp(endpoint, "tcp://", 6) && (!strrchr(rest, ':') || strchr(rest, ';'))) {
        if (err && asprintf(err, "cannot connect to \"%s\": Invalid argument", endpoint) < 0)
            *err = NULL;
        return NULL;
    }
    pk_link_t *self = calloc(1, sizeof *self);
    self->endpoint = strdup(endpoint);
    self->fd = -1;
    return self;
}

static void
s_drop(pk_link_t *self)
{
    if (self->fd >= 0)
        close(self->fd);
    self->fd = -1;
    self->in_off = self->in_len = 0;
    for (int i = 0; i < 2; i++) {
        free(self->frames[i]);
        self->frames[i] = NULL;
    }
    self->nframes = 0;
}

void
pk_link_destroy(pk_link_t **self_p)
{
    pk_link_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    s_drop(self);
    free(self->in);
    free(self->endpoint);
    free(self);
    *self_p = NULL;
}

unsigned
pk_link_epoch(pk_link_t *self)
{
    return self->epoch;
}

// --- bytes

static int
s_write_all(pk_link_t *self, struct iovec *iov, int n, int64_t deadline)
{
    while (n > 0) {
        // MSG_NOSIGNAL: a server gone is an error here, not SIGPIPE
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t) n };
        ssize_t w = sendmsg(self->fd, &mh, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = { self->fd, POLLOUT, 0 };
            if (poll(&p, 1, s_left(deadline)) <= 0 && pk_link_now() >= deadline)
                return -1;
            continue;
        }
        if (w < 0)
            return -1;
        while (n > 0 && (size_t) w >= iov->iov_len) {
            w -= (ssize_t) iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *) iov->iov_base + w;
            iov->iov_len -= (size_t) w;
        }
    }
    return 0;
}

// Read what is there into self->in, waiting until deadline: 1 read some,
// 0 deadline, -1 connection gone.
static int
s_fill(pk_link_t *self, int64_t deadline)
{
    for (;;) {
        if (self->in_cap - self->in_len < 65536 && self->in_off) {
            memmove(self->in, self->in + self->in_off, self->in_len - self->in_off);
            self->in_len -= self->in_off;
            self->in_off = 0;
        }
        if (self->in_cap - self->in_len < 65536) {
            self->in_cap = self->in_cap ? self->in_cap * 2 : 131072;
            self->in = realloc(self->in, self->in_cap);
        }
        ssize_t r = read(self->fd, self->in + self->in_len, self->in_cap - self->in_len);
        if (r > 0) {
            self->in_len += (size_t) r;
            return 1;
        }
        if (r == 0)
            return -1;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        struct pollfd p = { self->fd, POLLIN, 0 };
        int rc = poll(&p, 1, s_left(deadline));
        if (rc == 0 || (rc < 0 && errno == EINTR && pk_link_now() >= deadline))
            return 0;
    }
}

// One whole frame at the front of self->in: 1 (flags, body, size set; the
// frame stays until s_consume), 0 not all there yet, -1 oversized.
static int
s_frame(pk_link_t *self, uint8_t *flags, const uint8_t **body, size_t *size, size_t *total)
{
    const uint8_t *p = self->in + self->in_off;
    size_t avail = self->in_len - self->in_off;
    if (avail < 2)
        return 0;
    uint8_t f = p[0];
    size_t head = f & 0x02 ? 9 : 2;
    if (avail < head)
        return 0;
    uint64_t n = 0;
    if (f & 0x02)
        for (int i = 1; i < 9; i++)
            n = n << 8 | p[i];
    else
        n = p[1];
    if (n > S_MAX_FRAME)
        return -1;
    if (avail - head < n)
        return 0;
    *flags = f;
    *body = p + head;
    *size = (size_t) n;
    *total = head + (size_t) n;
    return 1;
}

static void
s_consume(pk_link_t *self, size_t n)
{
    self->in_off += n;
    if (self->in_off == self->in_len)
        self->in_off = self->in_len = 0;
}

static int
s_send_frame(pk_link_t *self, uint8_t flags, const void *a, size_t alen, const void *b,
             size_t blen, int64_t deadline)
{
    uint8_t head[9];
    size_t size = alen + blen, hlen;
    if (size > 255) {
        head[0] = flags | 0x02;
        for (int i = 0; i < 8; i++)
            head[1 + i] = (uint8_t) ((uint64_t) size >> (56 - 8 * i));
        hlen = 9;
    }
    else {
        head[0] = flags;
        head[1] = (uint8_t) size;
        hlen = 2;
    }
    struct iovec iov[3] = { { head, hlen }, { (void *) a, alen }, { (void *) b, blen } };
    return s_write_all(self, iov, 3, deadline);
}

// --- connecting

// A non-blocking socket connected to addr before deadline, or -1.
static int
s_connect(int family, const struct sockaddr *addr, socklen_t len, int64_t deadline)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, addr, len) != 0) {
        int err = errno;
        if (err == EINPROGRESS || err == EINTR) {
            struct pollfd p = { fd, POLLOUT, 0 };
            socklen_t elen = sizeof err;
            while (poll(&p, 1, s_left(deadline)) < 0 && errno == EINTR && s_left(deadline))
                ;
            if (!(p.revents & (POLLOUT | POLLERR | POLLHUP))
                || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
                err = ETIMEDOUT;
        }
        if (err) {
            close(fd);
            return -1;
        }
    }
    if (family != AF_UNIX) {
        // retried connects to a loopback port nothing listens on can be
        // given that very port as their source: TCP's simultaneous open
        // connects the socket to itself, and our own greeting would answer
        struct sockaddr_storage me, peer;
        socklen_t mlen = sizeof me, plen = sizeof peer;
        if (getsockname(fd, (struct sockaddr *) &me, &mlen) != 0
            || getpeername(fd, (struct sockaddr *) &peer, &plen) != 0
            || (mlen == plen && !memcmp(&me, &peer, mlen))) {
            close(fd);
            return -1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

static int
s_socket(pk_link_t *self, int64_t deadline)
{
    const char *addr = self->endpoint + 6;
    if (!strncmp(self->endpoint, "ipc://", 6)) {
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        size_t len = strlen(addr);
        if (len >= sizeof un.sun_path)
            return -1;
        memcpy(un.sun_path, addr, len);
        if (addr[0] == '@')             // libzmq's abstract namespace
            un.sun_path[0] = 0;
        return s_connect(AF_UNIX, (struct sockaddr *) &un,
                         (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len), deadline);
    }
    const char *colon = strrchr(addr, ':');
    char host[256];
    size_t hlen = (size_t) (colon - addr);
    if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
        addr++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return -1;
    memcpy(host, addr, hlen);
    host[hlen] = 0;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
    struct addrinfo *ai = NULL;
    // a numeric address first: no name service is loaded for it
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
        hints.ai_flags = AI_NUMERICSERV;
        if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
            return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next)
        fd = s_connect(a->ai_family, a->ai_addr, a->ai_addrlen, deadline);
    freeaddrinfo(ai);
    return fd;
}

// The greeting and the NULL mechanism's READY both ways: 0, or -1 (the
// peer is not a ZMTP 3 NULL ROUTER, or went away, or the deadline passed).
static int
s_handshake(pk_link_t *self, int64_t deadline)
{
    static const uint8_t greeting[64] = {
        0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1, 'N', 'U', 'L', 'L'
    };
    static const uint8_t ready[] = {
        5, 'R', 'E', 'A', 'D', 'Y',
        11, 'S', 'o', 'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e', 0, 0, 0, 6,
        'D', 'E', 'A', 'L', 'E', 'R',
        8, 'I', 'd', 'e', 'n', 't', 'i', 't', 'y', 0, 0, 0, 0
    };
    struct iovec iov[1] = { { (void *) greeting, sizeof greeting } };
    if (s_write_all(self, iov, 1, deadline) != 0
        || s_send_frame(self, 0x04, ready, sizeof ready, NULL, 0, deadline) != 0)
        return -1;
    while (self->in_len - self->in_off < 64)
        if (s_fill(self, deadline) != 1)
            return -1;
    const uint8_t *g = self->in + self->in_off;
    if (g[0] != 0xff || g[9] != 0x7f || g[10] < 3 || memcmp(g + 12, "NULL", 5))
        return -1;
    s_consume(self, 64);
    for (;;) {
        uint8_t flags;
        const uint8_t *body;
        size_t size, total;
        int rc = s_frame(self, &flags, &body, &size, &total);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (s_fill(self, deadline) != 1)
                return -1;
            continue;
        }
        // READY (its properties are the peer's business), or ERROR / other
        bool ok = (flags & 0x04) && size >= 6 && !memcmp(body, "\5READY", 6);
        s_consume(self, total);
        return ok ? 0 : -1;
    }
}

int
pk_link_wait(pk_link_t *self, int64_t deadline)
{
    // a server gone since the last message is noticed now, not by a
    // request that then waits out its whole timeout on a dead connection
    struct pollfd hup = { self->fd, POLLRDHUP, 0 };
    if (self->fd >= 0 && poll(&hup, 1, 0) > 0
        && (hup.revents & (POLLRDHUP | POLLHUP | POLLERR)))
        s_drop(self);
    int pause = 10;
    while (self->fd < 0) {
        int fd = s_socket(self, deadline);
        if (fd >= 0) {
            self->fd = fd;
            if (s_handshake(self, deadline) == 0) {
                self->epoch++;
                return 0;
            }
            s_drop(self);
        }
        int left = s_left(deadline);
        if (left <= 0)
            return -1;
        struct timespec ts = { 0, (long) (pause < left ? pause : left) * 1000000L };
        nanosleep(&ts, NULL);
        pause = pause * 2 > S_RETRY_MAX_MS ? S_RETRY_MAX_MS : pause * 2;
    }
    return 0;
}

int
pk_link_send(pk_link_t *self, const pk_msg_t *m, int64_t deadline)
{
    if (self->fd < 0)
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = pk_msg_encode(m, &sb);
    const char *cmd = pk_msg_command(m->type);
    if (rc == 0)
        rc = s_send_frame(self, 0x01, cmd, strlen(cmd), NULL, 0, deadline);
    if (rc == 0)
        rc = s_send_frame(self, 0x00, sb.data, sb.size, NULL, 0, deadline);
    msgpack_sbuffer_destroy(&sb);
    if (rc != 0)
        s_drop(self);
    return rc;
}

// A command after the handshake: PING gets its PONG; the rest is ignored.
static int
s_command(pk_link_t *self, const uint8_t *body, size_t size, int64_t deadline)
{
    if (size >= 7 && !memcmp(body, "\4PING", 5)) {
        size_t ctx = size - 7 > 16 ? 16 : size - 7;
        return s_send_frame(self, 0x04, "\4PONG", 5, body + 7, ctx, deadline);
    }
    if (size >= 6 && !memcmp(body, "\5ERROR", 6))
        return -1;
    return 0;
}

int
pk_link_recv(pk_link_t *self, pk_msg_t *m, int64_t deadline)
{
    memset(m, 0, sizeof *m);
    for (;;) {
        if (self->fd < 0) {
            // like libzmq's DEALER, wait out the deadline (reconnecting)
            if (pk_link_wait(self, deadline) != 0)
                return -1;
            continue;
        }
        uint8_t flags;
        const uint8_t *body;
        size_t size, total;
        int rc = s_frame(self, &flags, &body, &size, &total);
        if (rc < 0) {
            s_drop(self);
            continue;
        }
        if (rc == 0) {
            int got = s_fill(self, deadline);
            if (got == 0)
                return -1;
            if (got < 0)
                s_drop(self);
            continue;
        }
        if (flags & 0x04) {
            int bad = s_command(self, body, size, deadline);
            s_consume(self, total);
            if (bad)
                s_drop(self);
            continue;
        }
        if (self->nframes < 2) {
            self->frames[self->nframes] = malloc(size ? size : 1);
            memcpy(self->frames[self->nframes], body, size);
            self->sizes[self->nframes] = size;
        }
        self->nframes++;
        s_consume(self, total);
        if (flags & 0x01)
            continue;
        // the last frame: [command][body] is a message, anything else is not
        int type = self->nframes >= 2
            ? pk_msg_type_from_command((const char *) self->frames[0], self->sizes[0]) : -1;
        int ok = type >= 0 ? pk_msg_decode((pk_msg_type_t) type, self->frames[1],
                                           self->sizes[1], m, NULL, 0) : -1;
        for (int i = 0; i < 2; i++) {
            free(self->frames[i]);
            self->frames[i] = NULL;
        }
        self->nframes = 0;
        if (ok == 0)
            return 0;
    }
}
