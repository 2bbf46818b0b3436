// control_login: the `login` op, with the password verified off control's
// thread. Argon2id costs tens of milliseconds and 64 MB per attempt: on
// control's thread a flood of wrong logins (anyone who reaches the web face
// may try) would hold up every other request. So control reads the user's
// hash (one cheap read) and hands [hash, password] to one of a few verifier
// threads (zactors, each polled with the rest of control's sockets); the
// client is answered when the verdict comes back, and control goes on
// answering everything else meanwhile.
//
// Bounded: at most `queue` logins verifying or waiting; beyond that a login
// is refused at once ("too many login attempts; retry in N s"), so a flood
// costs a bounded amount of memory and of waiting.
//
// Throttled per user name (pk_throttle): after `failures` failed logins a
// name is refused without verifying ("too many failed logins for this
// user; retry in N s") for a backoff that doubles per further failure; a
// success resets it. The same is checked again when a waiting login
// reaches a verifier, so a burst queued before the backoff cannot run past
// it. Unknown names are throttled and verified just like known ones (their
// check runs against a hash no password matches: pk_auth_password_check),
// with the same words: no telling which users exist by time or message.
//
// The audit log gets every failed verification, the start of each backoff
// ("throttled"), and logins refused because too many were waiting (at most
// one entry a second, with how many).
#include "control_internal.h"
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>

#define S_VERIFIERS 2
#define S_QUEUE 16
#define S_KEY_MAX 200               // the throttle's key: the name, cut here

typedef struct {
    uint64_t rid;
    zframe_t *client;
    pk_kv_t args;                   // user, password, expires, label
    char *hash;                     // NULL: no such user (or no password)
} s_job_t;

typedef struct {
    zactor_t *actor;
    s_job_t *job;                   // being verified, NULL when idle
    int64_t started;
} s_slot_t;

struct _ctl_login_t {
    ctl_auth_t *auth;
    pk_audit_t *audit;
    pk_throttle_t *throttle;
    s_slot_t slots[CTL_LOGIN_VERIFIERS_MAX];
    int nslots;
    bool started_verifiers;         // at the first login (s_verifiers_start)
    int queue;
    zlist_t *waiting;               // s_job_t, oldest first
    zlist_t *done;                  // ctl_login_result_t, to answer
    int64_t verify_ms;              // a verification's time, averaged
    int64_t busy_audit_at;          // the last "too many at once" audit entry
    uint64_t busy_refused;          // refused for that since
};

// A verifier: VERIFY [hash] [password] -> "ok" or "no". An empty hash: no
// such user.
static void
s_verifier(zsock_t *pipe, void *arg)
{
    (void) arg;
    pthread_setname_np(pthread_self(), "pk-ctl-login");
    zsock_signal(pipe, 0);
    for (;;) {
        zmsg_t *m = zmsg_recv(pipe);
        if (!m)
            break;
        char *cmd = zmsg_popstr(m);
        bool verify = cmd && !strcmp(cmd, "VERIFY") && zmsg_size(m) == 2;
        bool term = !cmd || !strcmp(cmd, "$TERM");
        free(cmd);
        if (verify) {
            char *hash = zmsg_popstr(m);
            zframe_t *f = zmsg_pop(m);
            char *pw = zframe_strdup(f);
            sodium_memzero(zframe_data(f), zframe_size(f));
            zframe_destroy(&f);
            int rc = pk_auth_password_check(hash, pw);
            sodium_memzero(pw, strlen(pw));
            free(hash);
            free(pw);
            zstr_send(pipe, rc == 0 ? "ok" : "no");
        }
        zmsg_destroy(&m);
        if (term)
            break;
    }
}

static void
s_job_free(s_job_t **job_p)
{
    s_job_t *job = *job_p;
    if (!job)
        return;
    zframe_destroy(&job->client);
    const char *pw = pk_kv_get(&job->args, "password");
    if (pw)
        sodium_memzero((char *) pw, strlen(pw));
    pk_kv_clear(&job->args);
    free(job->hash);
    free(job);
    *job_p = NULL;
}

ctl_login_t *
ctl_login_new(ctl_auth_t *auth, pk_audit_t *audit, int verifiers, int queue,
              const pk_throttle_config_t *throttle)
{
    ctl_login_t *self = calloc(1, sizeof *self);
    self->auth = auth;
    self->audit = audit;
    pk_throttle_config_t tc = throttle ? *throttle : (pk_throttle_config_t) { 0 };
    tc.failures = tc.failures == 0 ? PK_THROTTLE_FAILURES : tc.failures < 0 ? 0 : tc.failures;
    self->throttle = pk_throttle_new(&tc);
    self->nslots = verifiers <= 0 ? S_VERIFIERS
                 : verifiers > CTL_LOGIN_VERIFIERS_MAX ? CTL_LOGIN_VERIFIERS_MAX : verifiers;
    self->queue = queue > 0 ? queue : S_QUEUE;
    if (self->queue < self->nslots)
        self->queue = self->nslots;
    self->waiting = zlist_new();
    self->done = zlist_new();
    self->verify_ms = 100;
    return self;
}

// The verifiers start with the first login: a server nobody logs in to by
// password (tokens only) keeps neither their threads nor the unknown
// users' hash, whose making (an Argon2id hash, ~25 ms of CPU and 64 MB)
// held up the first answer of every start when it ran there.
static int
s_verifiers_start(ctl_login_t *self)
{
    for (int i = 0; i < self->nslots; i++)
        if (!self->slots[i].actor && !(self->slots[i].actor = zactor_new(s_verifier, NULL)))
            return -1;
    self->started_verifiers = true;
    return 0;
}

void
ctl_login_destroy(ctl_login_t **self_p)
{
    ctl_login_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (int i = 0; i < self->nslots; i++) {
        zactor_destroy(&self->slots[i].actor);      // after its verification ends
        s_job_free(&self->slots[i].job);
    }
    s_job_t *job;
    while ((job = zlist_pop(self->waiting)))
        s_job_free(&job);
    zlist_destroy(&self->waiting);
    ctl_login_result_t *r;
    while ((r = zlist_pop(self->done))) {
        ctl_login_result_clear(r);
        free(r);
    }
    zlist_destroy(&self->done);
    pk_throttle_destroy(&self->throttle);
    free(self);
    *self_p = NULL;
}

static void
s_key(const char *user, char key[S_KEY_MAX + 1])
{
    snprintf(key, S_KEY_MAX + 1, "%s", user);
}

static char *
s_throttled(int64_t wait_ms)
{
    char *msg;
    if (asprintf(&msg, "too many failed logins for this user; retry in %" PRId64 " s",
                 pk_throttle_seconds(wait_ms)) < 0)
        msg = NULL;
    return msg;
}

static void
s_finish(ctl_login_t *self, s_job_t **job_p, bool ok, char *error)
{
    s_job_t *job = *job_p;
    ctl_login_result_t *r = calloc(1, sizeof *r);
    msgpack_sbuffer_init(&r->body);
    r->rid = job->rid;
    r->client = job->client;
    job->client = NULL;
    r->ok = ok;
    if (ok && ctl_login_issue(self->auth, self->audit, &job->args, &r->body, &r->error) != 0)
        r->ok = false;
    else
    if (!ok)
        r->error = error ? error : strdup("wrong user or password");
    zlist_append(self->done, r);
    s_job_free(job_p);
}

// Hand waiting logins to idle verifiers; a name throttled meanwhile is
// refused without verifying.
static void
s_dispatch(ctl_login_t *self)
{
    for (int i = 0; i < self->nslots && zlist_size(self->waiting); i++) {
        s_slot_t *s = &self->slots[i];
        if (s->job)
            continue;
        while (!s->job && zlist_size(self->waiting)) {
            s_job_t *job = zlist_pop(self->waiting);
            char key[S_KEY_MAX + 1];
            s_key(pk_kv_get(&job->args, "user"), key);
            int64_t wait = pk_throttle_wait(self->throttle, key, zclock_mono());
            if (wait > 0) {
                s_finish(self, &job, false, s_throttled(wait));
                continue;
            }
            zmsg_t *m = zmsg_new();
            zmsg_addstr(m, "VERIFY");
            zmsg_addstr(m, job->hash ? job->hash : "");
            zmsg_addstr(m, pk_kv_get(&job->args, "password"));
            if (zmsg_send(&m, s->actor) != 0) {
                zmsg_destroy(&m);
                s_finish(self, &job, false, strdup("the server cannot verify passwords now: "
                                                   "try again"));
                continue;
            }
            s->job = job;
            s->started = zclock_mono();
        }
    }
}

int
ctl_login_start(ctl_login_t *self, const pk_msg_request_t *q, zframe_t **client, char **error)
{
    *error = NULL;
    const char *user = pk_kv_get(&q->args, "user"), *pw = pk_kv_get(&q->args, "password");
    if (!user || !*user || !pw || !*pw) {
        *error = strdup("login needs a user and a password");
        return 1;
    }
    char key[S_KEY_MAX + 1];
    s_key(user, key);
    int64_t now = zclock_mono();
    int64_t wait = pk_throttle_wait(self->throttle, key, now);
    if (wait > 0) {
        *error = s_throttled(wait);
        return 1;
    }
    size_t busy = zlist_size(self->waiting);
    for (int i = 0; i < self->nslots; i++)
        busy += self->slots[i].job != NULL;
    if (busy >= (size_t) self->queue) {
        // the queue drains at nslots verifications per verify_ms
        int64_t ms = (int64_t) (busy / (size_t) self->nslots + 1) * self->verify_ms;
        if (asprintf(error, "too many login attempts; retry in %" PRId64 " s",
                     pk_throttle_seconds(ms)) < 0)
            *error = NULL;
        self->busy_refused++;
        if (now - self->busy_audit_at >= 1000) {
            char detail[128];
            snprintf(detail, sizeof detail, "too many login attempts at once: %" PRIu64
                     " refused", self->busy_refused);
            pk_audit_append(self->audit, user, "login", user, "refused", detail);
            self->busy_audit_at = now;
            self->busy_refused = 0;
        }
        return 1;
    }
    if (!self->started_verifiers && s_verifiers_start(self) != 0) {
        *error = strdup("the server cannot start a password check: try again");
        return 1;
    }
    char *hash = NULL;
    int rc = pk_auth_user_hash(ctl_auth_store(self->auth), user, &hash);
    if (rc < 0) {
        *error = strdup("the server cannot read its users: try again");
        return 1;
    }
    s_job_t *job = calloc(1, sizeof *job);
    job->rid = q->rid;
    job->client = *client;
    *client = NULL;
    job->hash = rc == 0 ? hash : NULL;
    if (rc != 0)
        free(hash);
    static const char *const keep[] = { "user", "password", "expires", "label", NULL };
    for (int i = 0; keep[i]; i++)
        if (pk_kv_get(&q->args, keep[i]))
            pk_kv_set(&job->args, keep[i], pk_kv_get(&q->args, keep[i]));
    zlist_append(self->waiting, job);
    s_dispatch(self);
    return 0;
}

int
ctl_login_items(ctl_login_t *self, zmq_pollitem_t *items)
{
    if (!self->started_verifiers)
        return 0;
    for (int i = 0; i < self->nslots; i++)
        items[i] = (zmq_pollitem_t) { zsock_resolve(self->slots[i].actor), 0, ZMQ_POLLIN, 0 };
    return self->nslots;
}

void
ctl_login_answered(ctl_login_t *self, const zmq_pollitem_t *items, int n)
{
    for (int i = 0; i < n && i < self->nslots; i++) {
        s_slot_t *s = &self->slots[i];
        if (!(items[i].revents & ZMQ_POLLIN))
            continue;
        char *verdict = zstr_recv(s->actor);
        if (!s->job) {
            zstr_free(&verdict);
            continue;
        }
        int64_t now = zclock_mono();
        self->verify_ms = (self->verify_ms * 7 + (now - s->started)) / 8 + 1;
        bool ok = verdict && !strcmp(verdict, "ok");
        zstr_free(&verdict);
        const char *user = pk_kv_get(&s->job->args, "user");
        char key[S_KEY_MAX + 1];
        s_key(user, key);
        if (ok)
            pk_throttle_ok(self->throttle, key);
        else {
            pk_audit_append(self->audit, user, "login", user, "refused",
                            "wrong user or password");
            int64_t wait = pk_throttle_failed(self->throttle, key, now);
            if (wait > 0) {
                char detail[160];
                snprintf(detail, sizeof detail, "failed logins: further logins of this user "
                         "refused for %" PRId64 " s", pk_throttle_seconds(wait));
                pk_audit_append(self->audit, user, "login", user, "throttled", detail);
                zsys_notice("control: logins of \"%.100s\" refused for %" PRId64 " s after "
                            "failed attempts", user, pk_throttle_seconds(wait));
            }
        }
        s_finish(self, &s->job, ok, NULL);
    }
    s_dispatch(self);
}

bool
ctl_login_next(ctl_login_t *self, ctl_login_result_t *r)
{
    ctl_login_result_t *d = zlist_pop(self->done);
    if (!d)
        return false;
    *r = *d;
    free(d);
    return true;
}

void
ctl_login_result_clear(ctl_login_result_t *r)
{
    zframe_destroy(&r->client);
    free(r->error);
    msgpack_sbuffer_destroy(&r->body);
    memset(r, 0, sizeof *r);
}
