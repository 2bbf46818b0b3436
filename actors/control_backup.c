// control_backup: store.backup -- a hot copy of the store (pk_store_copy)
// in a thread of control's own, so control's poll loop goes on answering
// while a big store is copied. One backup at a time: a second one is
// refused while the first runs. The copy thread answers on its pipe with
// one message ("ok", bytes, ms) or ("error", why) and ends; control polls
// that pipe with the rest and answers the client then. Stopping control
// waits for a running copy to end (LMDB cannot abort one, and the store
// must not close under it).
#include "control_internal.h"
#include <inttypes.h>
#include <pthread.h>

struct _ctl_backup_t {
    pk_store_t *store;
    zactor_t *copy;             // the running copy, NULL when idle
    uint64_t rid;
    zframe_t *client;
    char *path, *user;
};

typedef struct {
    pk_store_t *store;
    char *path;
} s_job_t;

static void
s_actor(zsock_t *pipe, void *arg)
{
    s_job_t *job = arg;
    pthread_setname_np(pthread_self(), "pk-ctl-backup");
    zsock_signal(pipe, 0);
    int64_t t0 = zclock_mono();
    uint64_t bytes = 0;
    char *err = NULL;
    if (pk_store_copy(job->store, job->path, &bytes, &err) == 0) {
        zstr_sendfm(pipe, "ok");
        zstr_sendfm(pipe, "%" PRIu64, bytes);
        zstr_sendf(pipe, "%" PRId64, zclock_mono() - t0);
    }
    else
        zstr_sendx(pipe, "error", err ? err : "the copy failed", NULL);
    free(err);
    free(job->path);
    free(job);
}

ctl_backup_t *
ctl_backup_new(pk_store_t *store)
{
    ctl_backup_t *self = calloc(1, sizeof *self);
    self->store = store;
    return self;
}

static void
s_idle(ctl_backup_t *self)
{
    zactor_destroy(&self->copy);
    zframe_destroy(&self->client);
    free(self->path);
    free(self->user);
    self->path = self->user = NULL;
}

void
ctl_backup_destroy(ctl_backup_t **self_p)
{
    ctl_backup_t *self = *self_p;
    if (!self)
        return;
    s_idle(self);               // waits for a running copy
    free(self);
    *self_p = NULL;
}

int
ctl_backup_start(ctl_backup_t *self, const char *path, const char *user, uint64_t rid,
                 zframe_t **client, char **error)
{
    *error = NULL;
    if (self->copy)
        return asprintf(error, "a backup is running already (to %s): try again when it is "
                        "done", self->path) < 0 ? (*error = NULL, -1) : -1;
    if (!path || path[0] != '/')
        return asprintf(error, "the backup file must be an absolute path on the server's "
                        "machine (got \"%s\")", path ? path : "") < 0 ? (*error = NULL, -1)
                                                                       : -1;
    s_job_t *job = calloc(1, sizeof *job);
    job->store = self->store;
    job->path = strdup(path);
    self->copy = zactor_new(s_actor, job);
    if (!self->copy) {
        free(job->path);
        free(job);
        *error = strdup("cannot start the backup's thread");
        return -1;
    }
    self->rid = rid;
    self->client = *client;
    *client = NULL;
    self->path = strdup(path);
    self->user = strdup(user ? user : "anonymous");
    return 0;
}

int
ctl_backup_items(ctl_backup_t *self, zmq_pollitem_t *items)
{
    if (!self->copy)
        return 0;
    items[0] = (zmq_pollitem_t) { zsock_resolve(self->copy), 0, ZMQ_POLLIN, 0 };
    return 1;
}

bool
ctl_backup_done(ctl_backup_t *self, const zmq_pollitem_t *items, int n,
                ctl_backup_result_t *r)
{
    if (n < 1 || !self->copy || !(items[0].revents & ZMQ_POLLIN))
        return false;
    char *what = NULL, *a = NULL, *b = NULL;
    zstr_recvx(self->copy, &what, &a, &b, NULL);
    memset(r, 0, sizeof *r);
    r->ok = what && !strcmp(what, "ok");
    if (r->ok) {
        r->bytes = strtoull(a ? a : "0", NULL, 10);
        r->ms = strtoll(b ? b : "0", NULL, 10);
    }
    else
        r->error = strdup(a ? a : "the backup's thread ended without an answer");
    zstr_free(&what);
    zstr_free(&a);
    zstr_free(&b);
    r->rid = self->rid;
    r->client = self->client;
    self->client = NULL;
    r->path = self->path;
    r->user = self->user;
    self->path = self->user = NULL;
    s_idle(self);
    return true;
}

void
ctl_backup_result_clear(ctl_backup_result_t *r)
{
    zframe_destroy(&r->client);
    free(r->path);
    free(r->user);
    free(r->error);
    memset(r, 0, sizeof *r);
}
