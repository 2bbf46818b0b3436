// control_auth: who is asking, and what may they do (control_internal.h).
// control.c calls these for every REQUEST before anything is answered or
// forwarded; the identity keyspaces themselves are store/pk_auth.c.
//
// A token is looked up in the store on every request -- no cache -- so a
// revoked token stops working at its very next request. Only "last used" is
// kept lazily: written at most once a minute per token, so a busy client
// costs a read per request, not a write.
//
// Seam for worker identities (another part of the system): a token that is
// not a user's API token is asked of ctl_auth_worker_team() below, which
// today knows none.
#include "control_internal.h"
#include <sodium.h>
#include <sys/stat.h>

#define S_TOUCH_MS 60000

struct _ctl_auth_t {
    pk_auth_t *auth;
    char *service;              // the in-process clients' token (http, --pipeline-config)
    zhash_t *touched;           // token id -> last-used write (ms, as a string)
};

ctl_auth_t *
ctl_auth_new(pk_store_t *store, const char *service_token, char **err)
{
    pk_auth_t *auth = pk_auth_new(store, err);
    if (!auth)
        return NULL;
    ctl_auth_t *self = calloc(1, sizeof *self);
    self->auth = auth;
    self->service = service_token && *service_token ? strdup(service_token) : NULL;
    self->touched = zhash_new();
    zhash_autofree(self->touched);
    return self;
}

void
ctl_auth_destroy(ctl_auth_t **self_p)
{
    ctl_auth_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    pk_auth_destroy(&self->auth);
    if (self->service)
        sodium_memzero(self->service, strlen(self->service));
    free(self->service);
    zhash_destroy(&self->touched);
    free(self);
    *self_p = NULL;
}

pk_auth_t *
ctl_auth_store(ctl_auth_t *self)
{
    return self->auth;
}

void
ctl_who_clear(ctl_who_t *who)
{
    free(who->user);
    memset(who, 0, sizeof *who);
}

// The seam for worker tokens: the team a worker's token is bound to, or
// NULL when the token is no worker's. Workers never send client REQUESTs
// today, so none is known here.
static char *
ctl_auth_worker_team(ctl_auth_t *self, const char *token)
{
    (void) self;
    (void) token;
    return NULL;
}

static int64_t
s_now_ms(void)
{
    return zclock_time();
}

int
ctl_auth_identify(ctl_auth_t *self, const char *token, ctl_who_t *who, char **error)
{
    memset(who, 0, sizeof *who);
    *error = NULL;
    if (!token || !*token) {
        *error = strdup("not logged in: run `pikoci login --server ENDPOINT` (or pass --token; "
                        "see `pikoci login --help`)");
        return 1;
    }
    if (self->service && strlen(token) == strlen(self->service)
        && sodium_memcmp(token, self->service, strlen(token)) == 0) {
        who->user = strdup("system");
        who->admin = true;
        who->service = true;
        return 0;
    }
    int64_t now = s_now_ms();
    pk_token_t t;
    pk_store_txn_t *txn = pk_store_begin(pk_auth_store(self->auth), false);
    int rc = txn ? pk_auth_token_check(self->auth, txn, token, now, &t) : -1;
    pk_user_t u = { 0 };
    if (rc == 0 && pk_auth_user_get(self->auth, txn, t.user, &u) != 0)
        rc = PK_STORE_NOTFOUND;
    pk_store_abort(&txn);
    if (rc != 0) {
        char *team = ctl_auth_worker_team(self, token);
        free(team);
        *error = strdup(rc < 0 ? "the server cannot read its users: try again"
                        : "the token is not valid (revoked, expired, or not from this server): "
                          "run `pikoci login`");
        return 1;
    }
    who->user = t.user;
    t.user = NULL;
    who->admin = u.admin;
    snprintf(who->token_id, sizeof who->token_id, "%s", t.id);
    pk_user_clear(&u);
    // last used: at most one write a minute per token
    const char *last = zhash_lookup(self->touched, t.id);
    if (!last || now - strtoll(last, NULL, 10) >= S_TOUCH_MS) {
        pk_store_txn_t *w = pk_store_begin(pk_auth_store(self->auth), true);
        if (w && pk_auth_token_touch(self->auth, w, token, now) == 0)
            pk_store_commit(&w);
        else
            pk_store_abort(&w);
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, now);
        zhash_update(self->touched, t.id, buf);     // autofree: copied
    }
    pk_token_clear(&t);
    return 0;
}

pk_role_t
ctl_auth_role(ctl_auth_t *self, const ctl_who_t *who, const char *team)
{
    if (who->admin)
        return PK_ROLE_ADMIN;
    if (!who->user || !team)
        return PK_ROLE_NONE;
    return pk_auth_member_role(self->auth, NULL, team, who->user);
}

char *
ctl_auth_pipeline_team(ctl_auth_t *self, const char *pipeline)
{
    char *team = pipeline ? pk_auth_pipeline_team(self->auth, NULL, pipeline) : NULL;
    return team ? team : strdup(CTL_DEFAULT_TEAM);
}

// --- first start

typedef struct {
    pk_auth_t *auth;
    char *token;
} s_boot_t;

static int
s_boot_fn(pk_store_txn_t *txn, void *arg)
{
    s_boot_t *b = arg;
    free(b->token);
    b->token = NULL;
    if (!pk_auth_team_exists(b->auth, txn, CTL_DEFAULT_TEAM)
        && pk_auth_team_add(b->auth, txn, CTL_DEFAULT_TEAM) < 0)
        return -1;
    if (pk_store_count(txn, pk_store_dbi(pk_auth_store(b->auth), "auth_users")) > 0)
        return 0;
    char id[PK_AUTH_TOKEN_ID_LEN + 1];
    if (pk_auth_user_add(b->auth, txn, "admin", NULL, true) != 0
        || pk_auth_member_set(b->auth, txn, CTL_DEFAULT_TEAM, "admin", PK_ROLE_ADMIN) != 0
        || pk_auth_token_new(b->auth, txn, "admin", "first start", 0, &b->token, id) != 0)
        return -1;
    return 0;
}

int
pk_control_bootstrap(pk_store_t *store, char **token_out, char **err)
{
    *token_out = NULL;
    s_boot_t b = { pk_auth_new(store, err), NULL };
    if (!b.auth)
        return -1;
    int rc = pk_store_write(store, s_boot_fn, &b);
    pk_auth_destroy(&b.auth);
    if (rc != 0) {
        free(b.token);
        if (err && asprintf(err, "cannot create the first user: %s", pk_store_error()) < 0)
            *err = NULL;
        return -1;
    }
    *token_out = b.token;
    return b.token ? 1 : 0;
}
