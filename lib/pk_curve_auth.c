// pk_curve_auth: the ZAP handler (ZeroMQ RFC 27) behind a CURVE server (see
// pk_curve.h). czmq's zauth does the same check but cannot be used here:
// it tells which key it refused only in VERBOSE mode, where it logs every
// request, so "log each refused key once, so the operator can add it" is
// not possible with it; it counts nothing; and when the ZAP endpoint is
// still bound (a second broker in the process, or one restarted before the
// reaper released the name) it dereferences NULL. This one is a plain
// object whose REP socket the owner polls in its own loop: no thread, and
// the counts are read without a round trip.
#include "pk_curve.h"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define S_LOGGED_MAX 1024       // refused keys remembered (logged once each)
#define S_BIND_WAIT_MS 1000

struct _pk_curve_auth_t {
    zsock_t *handler;
    zcertstore_t *store;
    char *dir, *who;
    zhash_t *logged;            // Z85 key -> "" for refused keys already logged
    bool logged_full;
    uint64_t rejected, accepted;
};

// Certificate-looking files in dir, for a start-up warning when there are none.
static int
s_count_certs(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

pk_curve_auth_t *
pk_curve_auth_new(const char *allow_dir, const char *who, char **err)
{
    if (err)
        *err = NULL;
    struct stat st;
    const char *why = NULL;
    if (!allow_dir || !*allow_dir)
        why = "none given";
    else
    if (stat(allow_dir, &st) != 0)
        why = strerror(errno);
    else
    if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    if (why) {
        if (err && asprintf(err, "the CURVE allow directory %s: %s",
                            allow_dir && *allow_dir ? allow_dir : "", why) < 0)
            *err = NULL;
        return NULL;
    }
    if (!zsys_has_curve()) {
        if (err)
            *err = strdup("this libzmq was built without CURVE support");
        return NULL;
    }
    pk_curve_auth_t *self = calloc(1, sizeof *self);
    self->handler = zsock_new(ZMQ_REP);
    int rc = -1;
    // a handler closed a moment ago keeps the name until ZeroMQ's reaper
    // releases it: wait a little for that, not for a live one
    for (int64_t end = zclock_mono() + S_BIND_WAIT_MS; self->handler;) {
        rc = zsock_bind(self->handler, S_ZAP_ENDPOINT);
        if (rc == 0 || zmq_errno() != EADDRINUSE || zclock_mono() >= end)
            break;
        zclock_sleep(20);
    }
    if (rc != 0) {
        if (err && asprintf(err, "cannot start the CURVE authenticator: %s (another one "
                            "runs in this process?)", zmq_strerror(zmq_errno())) < 0)
            *err = NULL;
        zsock_destroy(&self->handler);
        free(self);
        return NULL;
    }
    self->store = zcertstore_new(allow_dir);
    self->dir = strdup(allow_dir);
    self->who = strdup(who ? who : "curve");
    self->logged = zhash_new();
    if (s_count_certs(allow_dir) == 0)
        zsys_warning("%s: %s holds no client certificates yet: every CURVE client is "
                     "refused until one is copied there", self->who, allow_dir);
    return self;
}

void
pk_curve_auth_destroy(pk_curve_auth_t **self_p)
{
    pk_curve_auth_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zsock_unbind(self->handler, S_ZAP_ENDPOINT);     // the name is free at once
    zsock_destroy(&self->handler);
    zcertstore_destroy(&self->store);
    zhash_destroy(&self->logged);
    free(self->dir);
    free(self->who);
    free(self);
    *self_p = NULL;
}

zsock_t *
pk_curve_auth_socket(pk_curve_auth_t *self)
{
    return self->handler;
}

uint64_t
pk_curve_auth_rejected(pk_curve_auth_t *self)
{
    return self ? self->rejected : 0;
}

uint64_t
pk_curve_auth_accepted(pk_curve_auth_t *self)
{
    return self ? self->accepted : 0;
}

static void
s_log_refused(pk_curve_auth_t *self, const char *key, const char *address)
{
    if (zhash_lookup(self->logged, key))
        return;
    if (zhash_size(self->logged) >= S_LOGGED_MAX) {
        if (!self->logged_full)
            zsys_warning("%s: more than %d unknown CURVE keys refused; further ones are "
                         "counted, not logged", self->who, S_LOGGED_MAX);
        self->logged_full = true;
        return;
    }
    zhash_insert(self->logged, key, "");
    zsys_warning("%s: refused a CURVE client from %s: unknown public key %s (to allow it, "
                 "copy its NAME.cert into %s)", self->who, address, key, self->dir);
}

// [version][request id][domain][address][identity][mechanism][credentials...]
void
pk_curve_auth_handle(pk_curve_auth_t *self)
{
    zmsg_t *req = zmsg_recv(self->handler);
    if (!req)
        return;
    zframe_t *version = zmsg_first(req);
    zframe_t *request_id = zmsg_next(req);
    zmsg_next(req);                                 // domain
    zframe_t *address = zmsg_next(req);
    zmsg_next(req);                                 // identity
    zframe_t *mechanism = zmsg_next(req);
    zframe_t *credential = zmsg_next(req);
    const char *code = "400", *text = "No access";
    char key[41] = "", addr[128] = "?";
    if (address)
        snprintf(addr, sizeof addr, "%.*s", (int) zframe_size(address),
                 (const char *) zframe_data(address));
    if (!version || !zframe_streq(version, "1.0") || !mechanism) {
        code = "500";
        text = "Internal error";
    }
    else
    if (zframe_streq(mechanism, "NULL")) {
        code = "200";                               // plain sockets chose no security
        text = "OK";
    }
    else
    if (zframe_streq(mechanism, "CURVE") && credential && zframe_size(credential) == 32) {
        zmq_z85_encode(key, zframe_data(credential), 32);
        if (zcertstore_lookup(self->store, key)) {
            code = "200";
            text = "OK";
            self->accepted++;
        }
        else {
            // 300 (temporary), not 400: after a 400 libzmq sends ERROR and
            // the client never reconnects -- its DEALER is left without a
            // peer and a worker's next blocking send hangs for good. After
            // a 300 the server holds the connection until its handshake
            // interval ends (the broker sets 5 s), then the client
            // reconnects and asks again: a refused worker gets in by itself
            // once the operator copies its certificate into the directory.
            code = "300";
            text = "Unknown key";
            self->rejected++;
            s_log_refused(self, key, addr);
        }
    }
    else
        self->rejected++;
    zmsg_t *rep = zmsg_new();
    zmsg_addstr(rep, "1.0");
    if (request_id)
        zmsg_addmem(rep, zframe_data(request_id), zframe_size(request_id));
    else
        zmsg_addstr(rep, "");
    zmsg_addstr(rep, code);
    zmsg_addstr(rep, text);
    zmsg_addstr(rep, key);                         // user id: the client's key
    zmsg_addmem(rep, NULL, 0);                     // no metadata
    zmsg_send(&rep, self->handler);
    zmsg_destroy(&rep);
    zmsg_destroy(&req);
}

bool
pk_curve_auth_allows(pk_curve_auth_t *self, const char *key)
{
    // the lookup re-reads the directory when it changed
    return self && key && zcertstore_lookup(self->store, key) != NULL;
}
