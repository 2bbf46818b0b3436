// control_admin: the ops control answers from its own keyspaces -- users,
// teams and members, API tokens, login/logout and the audit log. control.c
// has already checked the caller's role (its table); what is left here is
// the rules that need the data: a user may only see and revoke their own
// tokens (a global admin anyone's), a team keeps at least one admin, the
// last global admin stays. Every change is appended to the audit log.
#include "control_internal.h"
#include "pk_duration.h"
#include <ctype.h>
#include <inttypes.h>
#include <sodium.h>

typedef struct {
    ctl_auth_t *ca;
    pk_auth_t *auth;
    pk_audit_t *audit;
    const pk_kv_t *args;
    const ctl_who_t *who;
    const char *token;
    msgpack_packer pk;
    char **error;
    const char *op;
} s_op_t;

typedef int (s_op_fn)(s_op_t *o);

static int
s_fail(s_op_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_fail(s_op_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(o->error, fmt, ap) < 0)
        *o->error = NULL;
    va_end(ap);
    return 1;
}

static const char *
s_arg(s_op_t *o, const char *name)
{
    const char *v = pk_kv_get(o->args, name);
    return v && *v ? v : NULL;
}

static void
s_audit(s_op_t *o, const char *target, int rc)
{
    if (o->audit)
        pk_audit_append(o->audit, o->who->user ? o->who->user : "anonymous", o->op, target,
                        rc == 0 ? "ok" : "refused", rc == 0 ? NULL : *o->error);
}

static bool
s_valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 100)
        return false;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char) *c) || *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

static int
s_need_name(s_op_t *o, const char *arg, const char **out)
{
    *out = s_arg(o, arg);
    if (!*out)
        return s_fail(o, "%s needs the argument \"%s\"", o->op, arg);
    if (!s_valid_name(*out))
        return s_fail(o, "\"%s\" cannot be a %s name: use letters, digits, '_', '-' and '.' "
                      "(at most 100)", *out, arg);
    return 0;
}

// An optional "expires" duration ("30d", "12h") from now: 0 (never), or 1.
static int
s_expiry(s_op_t *o, int64_t *expires_ms)
{
    *expires_ms = 0;
    const char *v = s_arg(o, "expires");
    if (!v)
        return 0;
    // whole days too ("30d"): token lifetimes are counted in days, which Go's
    // durations (pk_duration) have no unit for
    int64_t ms;
    char *err = NULL, *end = NULL;
    long long days = strtoll(v, &end, 10);
    if (end != v && isdigit((unsigned char) *v) && !strcmp(end, "d") && days > 0
        && days <= 36500)
        ms = days * 86400000LL;
    else
    if (pk_duration_parse(v, &ms, &err) != 0 || ms <= 0) {
        s_fail(o, "expires \"%s\" is not a duration (like 12h or 30d)%s%s", v, err ? ": " : "",
               err ? err : "");
        free(err);
        return 1;
    }
    *expires_ms = zclock_time() + ms;
    return 0;
}

// Run fn in one write transaction: fn returns 0 to commit, else its refusal.
static int
s_write(s_op_t *o, int (*fn)(s_op_t *o, pk_store_txn_t *txn))
{
    pk_store_txn_t *txn = pk_store_begin(pk_auth_store(o->auth), true);
    if (!txn)
        return s_fail(o, "the server cannot write its users: %s", pk_store_error());
    int rc = fn(o, txn);
    if (rc == 0 && pk_store_commit(&txn) != 0)
        rc = s_fail(o, "the server cannot write its users: %s", pk_store_error());
    pk_store_abort(&txn);
    return rc;
}

static void
s_pack_token(s_op_t *o, const char *token, const char *id, const char *user, int64_t expires)
{
    msgpack_pack_map(&o->pk, 4);
    ctl_kstr(&o->pk, "token", token);
    ctl_kstr(&o->pk, "id", id);
    ctl_kstr(&o->pk, "user", user);
    ctl_kint(&o->pk, "expires_ms", expires);
}

// --- login, logout, whoami

// The password was verified already (control_login.c, off control's
// thread): make the token.
static int
s_login(s_op_t *o)
{
    const char *user = s_arg(o, "user");
    int64_t expires;
    if (!user)
        return s_fail(o, "login needs a user and a password");
    if (s_expiry(o, &expires))
        return 1;
    char *token = NULL, id[PK_AUTH_TOKEN_ID_LEN + 1];
    pk_store_txn_t *txn = pk_store_begin(pk_auth_store(o->auth), true);
    const char *label = s_arg(o, "label");
    if (!txn || pk_auth_token_new(o->auth, txn, user, label ? label : "login", expires, &token,
                                  id) != 0
        || pk_store_commit(&txn) != 0) {
        pk_store_abort(&txn);
        return s_fail(o, "the server cannot write its tokens: %s", pk_store_error());
    }
    s_pack_token(o, token, id, user, expires);
    sodium_memzero(token, strlen(token));
    free(token);
    pk_audit_append(o->audit, user, "login", user, "ok", id);
    return 0;
}

int
ctl_login_issue(ctl_auth_t *auth, pk_audit_t *audit, const pk_kv_t *args, msgpack_sbuffer *out,
                char **error)
{
    *error = NULL;
    static const ctl_who_t nobody = { 0 };
    s_op_t o = { auth, ctl_auth_store(auth), audit, args, &nobody, NULL, { 0 }, error,
                 "login" };
    msgpack_packer_init(&o.pk, out, msgpack_sbuffer_write);
    int rc = s_login(&o);
    if (rc && !*error)
        *error = strdup("refused");
    return rc ? 1 : 0;
}

static int
s_logout_fn(s_op_t *o, pk_store_txn_t *txn)
{
    if (!o->who->token_id[0])
        return s_fail(o, "this identity has no token to revoke");
    int rc = pk_auth_token_revoke(o->auth, txn, o->who->user, o->who->token_id);
    return rc == 0 ? 0 : s_fail(o, "the token is already gone");
}

static int
s_logout(s_op_t *o)
{
    int rc = s_write(o, s_logout_fn);
    if (rc == 0)
        msgpack_pack_nil(&o->pk);
    s_audit(o, o->who->token_id, rc);
    return rc;
}

static int
s_whoami(s_op_t *o)
{
    char **teams = pk_auth_teams(o->auth, NULL);
    size_t n = 0, mine = 0;
    for (; teams && teams[n]; n++)
        mine += ctl_auth_role(o->ca, o->who, teams[n]) != PK_ROLE_NONE;
    msgpack_pack_map(&o->pk, 4);
    ctl_kstr(&o->pk, "user", o->who->user);
    ctl_kbool(&o->pk, "admin", o->who->admin);
    ctl_kstr(&o->pk, "token", o->who->token_id[0] ? o->who->token_id : NULL);
    ctl_str(&o->pk, "teams");
    msgpack_pack_map(&o->pk, mine);
    for (size_t i = 0; i < n; i++) {
        pk_role_t r = ctl_auth_role(o->ca, o->who, teams[i]);
        if (r != PK_ROLE_NONE)
            ctl_kstr(&o->pk, teams[i], pk_role_name(r));
        free(teams[i]);
    }
    free(teams);
    return 0;
}

// --- tokens

static int
s_tokens_create(s_op_t *o)
{
    int64_t expires;
    if (s_expiry(o, &expires))
        return 1;
    char *token = NULL, id[PK_AUTH_TOKEN_ID_LEN + 1];
    pk_store_txn_t *txn = pk_store_begin(pk_auth_store(o->auth), true);
    const char *label = s_arg(o, "label");
    int rc = 0;
    if (o->who->service)
        rc = s_fail(o, "the server's own identity cannot make tokens");
    else
    if (!txn || pk_auth_token_new(o->auth, txn, o->who->user, label ? label : "", expires,
                                  &token, id) != 0
        || pk_store_commit(&txn) != 0)
        rc = s_fail(o, "the server cannot write its tokens: %s", pk_store_error());
    pk_store_abort(&txn);
    if (rc == 0) {
        s_pack_token(o, token, id, o->who->user, expires);
        sodium_memzero(token, strlen(token));
        free(token);
    }
    s_audit(o, rc == 0 ? id : NULL, rc);
    return rc;
}

static int
s_tokens_list(s_op_t *o)
{
    const char *user = s_arg(o, "user");
    if (user && strcmp(user, o->who->user) && !o->who->admin)
        return s_fail(o, "only a global admin may list another user's tokens");
    if (!user && !o->who->admin)
        user = o->who->user;
    if (user && !strcmp(user, "*"))
        user = NULL;
    pk_token_t *t = NULL;
    size_t n = 0;
    if (pk_auth_tokens(o->auth, NULL, user, &t, &n) != 0)
        return s_fail(o, "the server cannot read its tokens: %s", pk_store_error());
    msgpack_pack_array(&o->pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&o->pk, 7);
        ctl_kstr(&o->pk, "id", t[i].id);
        ctl_kstr(&o->pk, "user", t[i].user);
        ctl_kstr(&o->pk, "label", t[i].label);
        ctl_kint(&o->pk, "created_ms", t[i].created_ms);
        ctl_kint(&o->pk, "expires_ms", t[i].expires_ms);
        ctl_kint(&o->pk, "last_used_ms", t[i].last_used_ms);
        ctl_kbool(&o->pk, "current", !strcmp(t[i].id, o->who->token_id));
        pk_token_clear(&t[i]);
    }
    free(t);
    return 0;
}

static int
s_tokens_revoke_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *id = s_arg(o, "id");
    if (!id)
        return s_fail(o, "tokens.revoke needs the argument \"id\" (see pikoci tokens list)");
    int rc = pk_auth_token_revoke(o->auth, txn, o->who->admin ? NULL : o->who->user, id);
    if (rc == PK_STORE_NOTFOUND)
        return s_fail(o, "no token \"%s\"%s (see pikoci tokens list)", id,
                      o->who->admin ? "" : " of yours");
    return rc == 0 ? 0 : s_fail(o, "the server cannot write its tokens: %s", pk_store_error());
}

static int
s_tokens_revoke(s_op_t *o)
{
    int rc = s_write(o, s_tokens_revoke_fn);
    if (rc == 0)
        msgpack_pack_nil(&o->pk);
    s_audit(o, s_arg(o, "id"), rc);
    return rc;
}

// --- users

static int
s_users_list(s_op_t *o)
{
    pk_user_t *u = NULL;
    size_t n = 0;
    if (pk_auth_users(o->auth, NULL, &u, &n) != 0)
        return s_fail(o, "the server cannot read its users: %s", pk_store_error());
    msgpack_pack_array(&o->pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&o->pk, 4);
        ctl_kstr(&o->pk, "name", u[i].name);
        ctl_kbool(&o->pk, "admin", u[i].admin);
        ctl_kbool(&o->pk, "password", u[i].has_password);
        ctl_kint(&o->pk, "created_ms", u[i].created_ms);
        pk_user_clear(&u[i]);
    }
    free(u);
    return 0;
}

static int
s_users_create_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *user;
    if (s_need_name(o, "user", &user))
        return 1;
    const char *admin = s_arg(o, "admin");
    int rc = pk_auth_user_add(o->auth, txn, user, s_arg(o, "password"),
                              admin && !strcmp(admin, "1"));
    if (rc == PK_STORE_EXISTS)
        return s_fail(o, "user \"%s\" exists already", user);
    return rc == 0 ? 0 : s_fail(o, "the server cannot write its users: %s", pk_store_error());
}

// Would removing user's admin role in every team (or the user) leave a
// team without an admin, or the server without a global admin?
static int
s_last_admin(s_op_t *o, pk_store_txn_t *txn, const char *user, const char *only_team)
{
    char **teams = pk_auth_teams(o->auth, txn);
    int rc = 0;
    for (size_t i = 0; teams && teams[i]; i++) {
        if (rc == 0 && (!only_team || !strcmp(only_team, teams[i]))
            && pk_auth_member_role(o->auth, txn, teams[i], user) == PK_ROLE_ADMIN
            && pk_auth_team_admins(o->auth, txn, teams[i]) <= 1)
            rc = s_fail(o, "\"%s\" is the only admin of team \"%s\": make someone else its "
                        "admin first (pikoci teams grant)", user, teams[i]);
        free(teams[i]);
    }
    free(teams);
    return rc;
}

static int
s_users_remove_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *user;
    if (s_need_name(o, "user", &user))
        return 1;
    pk_user_t u;
    if (pk_auth_user_get(o->auth, txn, user, &u) != 0)
        return s_fail(o, "no user \"%s\"", user);
    bool admin = u.admin;
    pk_user_clear(&u);
    if (admin) {
        pk_user_t *all = NULL;
        size_t n = 0, admins = 0;
        pk_auth_users(o->auth, txn, &all, &n);
        for (size_t i = 0; i < n; i++) {
            admins += all[i].admin;
            pk_user_clear(&all[i]);
        }
        free(all);
        if (admins <= 1)
            return s_fail(o, "\"%s\" is the last global admin", user);
    }
    if (s_last_admin(o, txn, user, NULL))
        return 1;
    return pk_auth_user_del(o->auth, txn, user) == 0
         ? 0 : s_fail(o, "the server cannot write its users: %s", pk_store_error());
}

static int
s_users_passwd_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *user = s_arg(o, "user") ? s_arg(o, "user") : o->who->user;
    const char *password = s_arg(o, "password");
    if (strcmp(user, o->who->user) && !o->who->admin)
        return s_fail(o, "only a global admin may set another user's password");
    if (!password || strlen(password) < 8)
        return s_fail(o, "a password needs at least 8 characters");
    int rc = pk_auth_user_set_password(o->auth, txn, user, password);
    if (rc == PK_STORE_NOTFOUND)
        return s_fail(o, "no user \"%s\"", user);
    return rc == 0 ? 0 : s_fail(o, "the server cannot write its users: %s", pk_store_error());
}

// --- teams

static int
s_teams_list(s_op_t *o)
{
    char **teams = pk_auth_teams(o->auth, NULL);
    size_t n = 0, shown = 0;
    for (; teams && teams[n]; n++)
        shown += ctl_auth_role(o->ca, o->who, teams[n]) != PK_ROLE_NONE;
    msgpack_pack_array(&o->pk, shown);
    for (size_t i = 0; i < n; i++) {
        pk_role_t r = ctl_auth_role(o->ca, o->who, teams[i]);
        if (r != PK_ROLE_NONE) {
            msgpack_pack_map(&o->pk, 2);
            ctl_kstr(&o->pk, "name", teams[i]);
            ctl_kstr(&o->pk, "role", pk_role_name(r));
        }
        free(teams[i]);
    }
    free(teams);
    return 0;
}

static int
s_teams_create_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *team, *admin = s_arg(o, "admin") ? s_arg(o, "admin") : o->who->user;
    if (s_need_name(o, "team", &team))
        return 1;
    pk_user_t u;
    if (pk_auth_user_get(o->auth, txn, admin, &u) != 0)
        return s_fail(o, "no user \"%s\" to be the team's admin", admin);
    pk_user_clear(&u);
    int rc = pk_auth_team_add(o->auth, txn, team);
    if (rc == PK_STORE_EXISTS)
        return s_fail(o, "team \"%s\" exists already", team);
    if (rc != 0 || pk_auth_member_set(o->auth, txn, team, admin, PK_ROLE_ADMIN) != 0)
        return s_fail(o, "the server cannot write its teams: %s", pk_store_error());
    return 0;
}

static int
s_teams_remove_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *team;
    if (s_need_name(o, "team", &team))
        return 1;
    if (!strcmp(team, CTL_DEFAULT_TEAM))
        return s_fail(o, "team \"%s\" cannot be removed", CTL_DEFAULT_TEAM);
    int rc = pk_auth_team_del(o->auth, txn, team);
    if (rc == PK_STORE_NOTFOUND)
        return s_fail(o, "no team \"%s\"", team);
    return rc == 0 ? 0 : s_fail(o, "the server cannot write its teams: %s", pk_store_error());
}

static int
s_members(s_op_t *o)
{
    const char *team = s_arg(o, "team") ? s_arg(o, "team") : CTL_DEFAULT_TEAM;
    char **users = NULL;
    pk_role_t *roles = NULL;
    size_t n = 0;
    if (pk_auth_members(o->auth, NULL, team, &users, &roles, &n) != 0)
        return s_fail(o, "the server cannot read its teams: %s", pk_store_error());
    msgpack_pack_array(&o->pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&o->pk, 2);
        ctl_kstr(&o->pk, "user", users[i]);
        ctl_kstr(&o->pk, "role", pk_role_name(roles[i]));
        free(users[i]);
    }
    free(users);
    free(roles);
    return 0;
}

static int
s_grant_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *team = s_arg(o, "team") ? s_arg(o, "team") : CTL_DEFAULT_TEAM;
    const char *user, *rname = s_arg(o, "role");
    if (s_need_name(o, "user", &user))
        return 1;
    pk_role_t role = PK_ROLE_NONE;
    if (!strcmp(o->op, "teams.grant") && pk_role_parse(rname, &role) != 0)
        return s_fail(o, "\"%s\" is not a role: read, write, maintain or admin",
                      rname ? rname : "");
    pk_user_t u;
    if (pk_auth_user_get(o->auth, txn, user, &u) != 0)
        return s_fail(o, "no user \"%s\"", user);
    pk_user_clear(&u);
    if (role != PK_ROLE_ADMIN && s_last_admin(o, txn, user, team))
        return 1;
    return pk_auth_member_set(o->auth, txn, team, user, role) == 0
         ? 0 : s_fail(o, "the server cannot write its teams: %s", pk_store_error());
}

// --- the audit log

static int
s_time_arg(s_op_t *o, const char *name, int64_t *out)
{
    *out = 0;
    const char *v = s_arg(o, name);
    if (!v)
        return 0;
    if (strspn(v, "0123456789") != strlen(v))
        return s_fail(o, "%s \"%s\" is not a time in unix milliseconds", name, v);
    *out = strtoll(v, NULL, 10);
    return 0;
}

static int
s_audit_query(s_op_t *o)
{
    pk_audit_filter_t f = { .user = s_arg(o, "user"), .action = s_arg(o, "action") };
    int64_t limit;
    if (s_time_arg(o, "since_ms", &f.since_ms) || s_time_arg(o, "before_ms", &f.before_ms)
        || s_time_arg(o, "limit", &limit))
        return 1;
    if (limit < 0 || limit > 10000)
        return s_fail(o, "limit %" PRId64 " is out of range (1 to 10000)", limit);
    f.limit = (size_t) limit;
    pk_audit_entry_t *e = NULL;
    size_t n = 0;
    if (pk_audit_query(o->audit, &f, &e, &n) != 0)
        return s_fail(o, "the server cannot read its audit log: %s", pk_store_error());
    msgpack_pack_array(&o->pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&o->pk, 6);
        ctl_kint(&o->pk, "time_ms", e[i].time_ms);
        ctl_kstr(&o->pk, "user", e[i].user);
        ctl_kstr(&o->pk, "action", e[i].action);
        ctl_kstr(&o->pk, "target", e[i].target);
        ctl_kstr(&o->pk, "result", e[i].result);
        ctl_kstr(&o->pk, "detail", e[i].detail);
        pk_audit_entry_clear(&e[i]);
    }
    free(e);
    return 0;
}

// --- the table

#define S_WRITE_OP(name, fn, target) \
    static int name(s_op_t *o) \
    { \
        int rc = s_write(o, fn); \
        if (rc == 0) \
            msgpack_pack_nil(&o->pk); \
        s_audit(o, target, rc); \
        return rc; \
    }

S_WRITE_OP(s_users_create, s_users_create_fn, s_arg(o, "user"))
S_WRITE_OP(s_users_remove, s_users_remove_fn, s_arg(o, "user"))
S_WRITE_OP(s_users_passwd, s_users_passwd_fn, s_arg(o, "user") ? s_arg(o, "user") : o->who->user)
S_WRITE_OP(s_teams_create, s_teams_create_fn, s_arg(o, "team"))
S_WRITE_OP(s_teams_remove, s_teams_remove_fn, s_arg(o, "team"))
S_WRITE_OP(s_grant, s_grant_fn, s_arg(o, "user"))

// --- public pipelines: pipeline.expose/hide flag the pipeline's record in
// the auth keyspace (its team's), which control's access check reads.

static int
s_expose_fn(s_op_t *o, pk_store_txn_t *txn)
{
    const char *pipeline = s_arg(o, "pipeline");
    if (!pipeline)
        return s_fail(o, "%s needs the argument \"pipeline\"", o->op);
    char *team = ctl_auth_pipeline_team(o->ca, pipeline);
    int rc = pk_auth_pipeline_expose(o->auth, txn, pipeline, team,
                                     !strcmp(o->op, "pipeline.expose"));
    free(team);
    return rc == 0 ? 0 : s_fail(o, "the server cannot write its pipelines' records: %s",
                                pk_store_error());
}

static int
s_expose(s_op_t *o)
{
    int rc = s_write(o, s_expose_fn);
    if (rc == 0) {
        msgpack_pack_map(&o->pk, 2);
        ctl_kstr(&o->pk, "pipeline", s_arg(o, "pipeline"));
        ctl_kbool(&o->pk, "exposed", !strcmp(o->op, "pipeline.expose"));
    }
    s_audit(o, s_arg(o, "pipeline"), rc);
    return rc;
}

static const struct {
    const char *op;
    s_op_fn *fn;
} s_ops[] = {
    { "pipeline.expose", s_expose },
    { "pipeline.hide", s_expose },
    { "logout", s_logout },
    { "whoami", s_whoami },
    { "tokens.create", s_tokens_create },
    { "tokens.list", s_tokens_list },
    { "tokens.revoke", s_tokens_revoke },
    { "users.list", s_users_list },
    { "users.create", s_users_create },
    { "users.remove", s_users_remove },
    { "users.passwd", s_users_passwd },
    { "teams.list", s_teams_list },
    { "teams.create", s_teams_create },
    { "teams.remove", s_teams_remove },
    { "teams.members", s_members },
    { "teams.grant", s_grant },
    { "teams.revoke", s_grant },
    { "audit", s_audit_query },
    { NULL, NULL }
};

bool
ctl_is_admin_op(const char *op)
{
    for (size_t i = 0; op && s_ops[i].op; i++)
        if (!strcmp(s_ops[i].op, op))
            return true;
    return false;
}

int
ctl_admin(ctl_auth_t *auth, pk_audit_t *audit, const char *op, const pk_kv_t *args,
          const ctl_who_t *who, const char *token, msgpack_sbuffer *out, char **error)
{
    *error = NULL;
    static const ctl_who_t nobody = { 0 };
    s_op_t o = { auth, ctl_auth_store(auth), audit, args, who ? who : &nobody, token,
                 { 0 }, error, op };
    msgpack_packer_init(&o.pk, out, msgpack_sbuffer_write);
    for (size_t i = 0; s_ops[i].op; i++)
        if (!strcmp(s_ops[i].op, op)) {
            if (!o.who->user)
                return s_fail(&o, "%s needs a user: run pikoci login", op);
            int rc = s_ops[i].fn(&o);
            if (rc && !*error)
                *error = strdup("refused");
            return rc ? 1 : 0;
        }
    return s_fail(&o, "\"%s\" is not an identity op", op);
}
