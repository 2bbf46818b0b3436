// control: the control actor (pk_control.h has the contract). This file is
// the actor: the socket, the op table, and the commands forwarded to their
// owner; control_queries.c answers the queries from the store.
//
// Why commands are forwarded rather than done here: the scheduler and the
// checker are the only writers of their keyspaces and hold state (timers,
// builds in flight) that a write from here would bypass. So control only
// checks what it can check without that state (required arguments, number
// syntax, names), remembers the client under a `ref` and answers when the
// owner does -- or, after forward_timeout_ms, says the owner did not. One
// thread, one poll; the poll timeout is the earliest of the next HELLO and
// the earliest pending deadline.
//
// pipeline.set is held before it is forwarded: its type definitions may be
// fetched over the network, which must not happen on the scheduler's
// thread (control_fetch.c). The fetch actor's pipe is polled with the rest,
// so control answers everything else meanwhile; the owner's timeout starts
// when the signal goes, as the fetch has its own bounds (the fetch
// timeouts). Sets of one pipeline are forwarded in the order they came,
// whichever fetch ends first, so the last set asked for is the one kept.
//
// login is answered later too: its password is checked (Argon2id) in
// control_login.c's verifier threads, whose pipes are polled with the rest,
// so a flood of logins never holds up the other requests.
//
// Identity (when config->authenticate): every REQUEST's token is checked
// and the caller's role in the team concerned checked by ctl_authorise (one
// row per op, control_access.c) before anything is answered or forwarded.
// The team concerned is the pipeline's for pipeline ops (its record, else
// "main"; a new pipeline goes to the request's "team"), the request's
// "team" (default "main") for team ops. Forwarded commands carry the
// caller's name as args "user" (whatever the client sent there is
// replaced), so the scheduler knows who approves and who triggers. Every
// state-changing request and every refusal is appended to the audit log.
#include "pk_tokens.h"
#include "pk_actor.h"
#include "pk_builds.h"
#include "pk_control.h"
#include "control_internal.h"
#include "control_secrets.h"
#include "pk_suggest.h"
#include "pk_slug.h"
#include <ctype.h>
#include <inttypes.h>

#define S_HELLO_MS 5000
#define S_DEFAULT_TIMEOUT_MS 10000
#define S_READ_BATCH 256

typedef enum { A_PIPELINE = 1, A_JOB = 2, A_NUMBER = 4, A_RESOURCE = 8, A_VERSION = 16,
               A_BODY = 32 } s_need_t;

typedef struct {
    const char *op;
    const char *to;             // the owner's role
    const char *what;           // the SIGNAL's what
    int needs;                  // s_need_t bits
} s_command_t;

static const s_command_t s_commands[] = {
    { "pipeline.set", "scheduler", "pipeline.set", A_PIPELINE | A_BODY },
    { "pipeline.remove", "scheduler", "pipeline.remove", A_PIPELINE },
    { "pipeline.pause", "scheduler", "pipeline.pause", A_PIPELINE },
    { "pipeline.unpause", "scheduler", "pipeline.unpause", A_PIPELINE },
    { "job.pause", "scheduler", "job.pause", A_PIPELINE | A_JOB },
    { "job.unpause", "scheduler", "job.unpause", A_PIPELINE | A_JOB },
    { "trigger", "scheduler", "trigger", A_PIPELINE | A_JOB },
    { "cancel", "scheduler", "cancel", A_PIPELINE | A_JOB | A_NUMBER },
    { "retry", "scheduler", "retry", A_PIPELINE | A_JOB | A_NUMBER },
    { "approve", "scheduler", "approve", A_PIPELINE | A_JOB | A_NUMBER },
    { "reject", "scheduler", "reject", A_PIPELINE | A_JOB | A_NUMBER },
    { "build.warning", "scheduler", "build.warning", A_PIPELINE | A_JOB | A_NUMBER },
    { "pin", "scheduler", "pin", A_PIPELINE | A_RESOURCE | A_VERSION },
    { "unpin", "scheduler", "unpin", A_PIPELINE | A_RESOURCE },
    { "check", "checker", "check.now", A_PIPELINE | A_RESOURCE },
    // webhook tokens live in the checker's keyspace (store/pk_webhooks.h)
    { "webhook.regenerate", "checker", "webhook.regenerate", A_PIPELINE | A_RESOURCE },
    { "webhook.tokens", "checker", "webhook.tokens", A_PIPELINE },
    { "webhook.resolve", "checker", "webhook.resolve", 0 },
    { "checker.stats", "checker", "stats", 0 },
    { NULL, NULL, NULL, 0 }
};

// Every op, for refusals and "did you mean" (the queries first).
static const char *const s_ops[] = {
    "pipelines", "pipeline.get", "pipeline.expose", "pipeline.hide", "jobs", "builds", "build",
    "logs", "resources", "versions",
    "overview", "store", "pipeline.set", "pipeline.remove", "pipeline.pause", "pipeline.unpause",
    "job.pause", "job.unpause", "trigger", "cancel", "retry", "approve", "reject", "pin",
    "unpin", "check", "webhook.regenerate", "webhook.tokens", "webhook.resolve", "checker.stats",
    "login", "logout", "whoami", "tokens.create", "tokens.list", "tokens.revoke", "users.list",
    "users.create", "users.remove", "users.passwd", "teams.list", "teams.create",
    "teams.remove", "teams.members", "teams.grant", "teams.revoke", "audit",
    "secrets.set", "secrets.list", "secrets.rm",
    "store.backup",
    "graph", "build.warning",           // the web face's (issue #18)
    NULL
};

typedef struct {
    char ref[24];
    uint64_t rid;               // the client's request id
    zframe_t *client;           // the client's routing id at the broker
    const char *owner;          // role, for the timeout message
    int64_t deadline;
    char *op, *user, *target;   // for the audit log
    char *claimed;              // a new pipeline recorded in this team before its set
} s_pending_t;

typedef struct {
    zsock_t *pipe, *dealer;
    char *name;
    pk_control_queries_t *queries;
    ctl_secrets_t *secrets;     // the secret store's ops (control_secrets.c)
    int timeout_ms;
    zhash_t *pending;           // ref -> s_pending_t
    ctl_sets_t *sets;           // pipeline.sets being fetched
    ctl_backup_t *backup;       // store.backup's copy thread (control_backup.c)
    ctl_login_t *login;         // login's verifier threads (control_login.c)
    uint64_t next_ref;
    uint64_t ping_rid;
    bool connected;
    int64_t hello_at;
    uint64_t nqueries, forwarded, answered, timeouts, refused, dropped, denied;
    ctl_auth_t *auth;           // the identity keyspaces
    pk_audit_t *audit;
    bool authenticate;
} s_control_t;

const char *const *
pk_control_ops(void)
{
    return s_ops;
}

static void
s_pending_free(void *item)
{
    s_pending_t *p = item;
    zframe_destroy(&p->client);
    free(p->op);
    free(p->user);
    free(p->target);
    free(p->claimed);
    free(p);
}

static void
s_send(s_control_t *self, zmsg_t **z_p)
{
    if (*z_p && zmsg_send(z_p, self->dealer) != 0) {
        zmsg_destroy(z_p);
        self->dropped++;
    }
}

// REPLY{rid, ok, error, body} to a client: the broker routes it by the
// client id frame we put last.
static void
s_reply_as(s_control_t *self, const zframe_t *client, uint64_t rid, bool ok, const char *error,
           const void *body, size_t body_size, bool denied)
{
    pk_msg_t r = { .type = PK_MSG_REPLY };
    r.reply.rid = rid;
    r.reply.denied = denied;
    r.reply.ok = ok;
    r.reply.error = (char *) error;
    r.reply.body.data = (uint8_t *) body;
    r.reply.body.size = body ? body_size : 0;
    zmsg_t *z = pk_msg_to_zmsg(&r);
    if (!z) {                   // a body that is not one object: say so instead
        r.reply.ok = false;
        r.reply.error = "the server produced a malformed reply";
        r.reply.body.size = 0;
        z = pk_msg_to_zmsg(&r);
    }
    if (!ok)
        self->refused++;
    zmsg_append(z, &(zframe_t *) { zframe_dup((zframe_t *) client) });
    s_send(self, &z);
}

static void
s_reply(s_control_t *self, const zframe_t *client, uint64_t rid, bool ok, const char *error,
        const void *body, size_t body_size)
{
    s_reply_as(self, client, rid, ok, error, body, body_size, false);
}

static void
s_hello(s_control_t *self)
{
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = self->name;
    h.hello.role = "control";
    h.hello.token = (char *) pk_server_token();   // set only behind a standalone broker
    zmsg_t *z = pk_msg_to_zmsg(&h);
    s_send(self, &z);
    if (!self->connected) {
        // the broker answers this itself: its REPLY proves our HELLO arrived
        pk_msg_t q = { .type = PK_MSG_REQUEST };
        q.request.rid = ++self->ping_rid;
        q.request.op = "broker.pending";
        z = pk_msg_to_zmsg(&q);
        s_send(self, &z);
    }
    self->hello_at = zclock_mono() + S_HELLO_MS;
}

static void s_unclaim(s_control_t *self, const char *pipeline);

static const s_command_t *
s_command(const char *op)
{
    for (const s_command_t *c = s_commands; c->op; c++)
        if (!strcmp(c->op, op))
            return c;
    return NULL;
}

static char *
s_unknown_op(const char *op)
{
    size_t len = 0;
    for (const char *const *o = s_ops; *o; o++)
        len += strlen(*o) + 2;
    char *list = malloc(len + 1);
    list[0] = 0;
    for (const char *const *o = s_ops; *o; o++) {
        if (o != s_ops)
            strcat(list, ", ");
        strcat(list, *o);
    }
    const char *near = pk_suggest(op, s_ops);
    char *msg;
    if (asprintf(&msg, "unknown op \"%s\"%s%s%s (known ops: %s)", op,
                 near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "",
                 list) < 0)
        msg = NULL;
    free(list);
    return msg;
}

// A pipeline name is set as its slug (PikoCI: "My Pipeline" is my-pipeline).
static bool
s_valid_name(const char *s)
{
    char *slug = s ? pk_slug(s) : NULL;
    bool ok = slug && *slug && strlen(slug) <= PK_SLUG_MAX;
    free(slug);
    return ok;
}

// What is wrong with a command's arguments (caller frees), or NULL.
static char *
s_check_args(const s_command_t *c, const pk_msg_request_t *q)
{
    char *msg = NULL;
    static const struct { int bit; const char *name; } names[] = {
        { A_PIPELINE, "pipeline" }, { A_JOB, "job" }, { A_NUMBER, "number" },
        { A_RESOURCE, "resource" }, { A_VERSION, "version" }, { 0, NULL } };
    for (int i = 0; names[i].name; i++) {
        if (!(c->needs & names[i].bit))
            continue;
        const char *v = pk_kv_get(&q->args, names[i].name);
        if (!v || !*v) {
            if (asprintf(&msg, "%s needs the argument \"%s\"", c->op, names[i].name) < 0)
                msg = NULL;
            return msg;
        }
    }
    const char *pipeline = pk_kv_get(&q->args, "pipeline");
    const char *number = pk_kv_get(&q->args, "number");
    const char *version = pk_kv_get(&q->args, "version");
    uint64_t n;
    uint32_t r;
    int rc = 0;
    if (!strcmp(c->op, "pipeline.set") && !s_valid_name(pipeline))
        rc = asprintf(&msg, "\"%s\" cannot be a pipeline name: it is set as its slug "
                      "(lowercase letters, digits, '-' and '_'), which must not be empty or "
                      "longer than %d", pipeline, PK_SLUG_MAX);
    else
    if ((c->needs & A_NUMBER) && pk_build_number_parse(number, &n, &r) != 0)
        rc = asprintf(&msg, "\"%s\" is not a build number (like 3, or 3.1 for a retry)",
                      number);
    else
    if ((c->needs & A_VERSION)
        && (strspn(version, "0123456789") != strlen(version) || strtoull(version, NULL, 10) == 0))
        rc = asprintf(&msg, "\"%s\" is not a version id (a number from 1, see pikoci versions)",
                      version);
    else
    if ((c->needs & A_BODY) && !q->body.size)
        rc = asprintf(&msg, "%s needs a body with the pipeline's source", c->op);
    return rc < 0 ? NULL : msg;
}

// What a request is about, for the audit log: "P/J/N", "P/resource", "P".
static char *
s_target(const pk_kv_t *args)
{
    const char *parts[] = { pk_kv_get(args, "pipeline"), pk_kv_get(args, "job"),
                            pk_kv_get(args, "number"), pk_kv_get(args, "resource") };
    char buf[1024] = "";
    size_t len = 0;
    for (int i = 0; i < 4; i++)
        if (parts[i] && *parts[i] && len < sizeof buf)
            len += (size_t) snprintf(buf + len, sizeof buf - len, "%s%s", len ? "/" : "",
                                     parts[i]);
    return len ? strdup(buf) : NULL;
}

static void
s_audit(s_control_t *self, const char *user, const char *op, const char *target,
        const char *result, const char *detail)
{
    if (self->audit && pk_audit_append(self->audit, user ? user : "anonymous", op, target,
                                       result, detail) != 0)
        zsys_warning("control: cannot append to the audit log: %s", pk_store_error());
}

// SIGNAL the owner, remember the client under a new ref: the owner's time
// to answer starts now. canonical (optional) replaces the resource argument.
static void
s_signal(s_control_t *self, const s_command_t *c, const pk_kv_t *args, const char *canonical,
         pk_bytes_t body, uint64_t rid, zframe_t **client)
{
    s_pending_t *p = calloc(1, sizeof *p);
    snprintf(p->ref, sizeof p->ref, "%" PRIu64, ++self->next_ref);
    p->rid = rid;
    p->client = *client;
    *client = NULL;
    p->owner = c->to;
    p->deadline = zclock_mono() + self->timeout_ms;
    p->op = strdup(c->op);
    const char *user = pk_kv_get(args, "user");
    p->user = strdup(user && *user ? user : "anonymous");
    p->target = s_target(args);
    const char *claimed = pk_kv_get(args, CTL_CLAIMED);
    p->claimed = claimed ? strdup(claimed) : NULL;
    pk_msg_t s = { .type = PK_MSG_SIGNAL };
    s.signal.to = (char *) c->to;
    s.signal.what = (char *) c->what;
    for (size_t i = 0; i < args->count; i++)
        if (strcmp(args->keys[i], "ref") && strcmp(args->keys[i], CTL_CLAIMED)
            && (!canonical || strcmp(args->keys[i], "resource")))
            pk_kv_set(&s.signal.args, args->keys[i], args->values[i]);
    if (canonical)
        pk_kv_set(&s.signal.args, "resource", canonical);
    pk_kv_set(&s.signal.args, "ref", p->ref);
    s.signal.body = body;
    zmsg_t *z = pk_msg_to_zmsg(&s);
    s.signal.to = s.signal.what = NULL;
    s.signal.body = (pk_bytes_t) { 0 };
    pk_msg_clear(&s);
    zhash_insert(self->pending, p->ref, p);
    zhash_freefn(self->pending, p->ref, s_pending_free);
    self->forwarded++;
    s_send(self, &z);
}

// Forward the pipeline.sets whose fetch is done, in the order asked.
static void
s_forward_sets(s_control_t *self)
{
    const s_command_t *c = s_command("pipeline.set");
    ctl_set_t *set;
    while ((set = ctl_sets_next(self->sets))) {
        s_signal(self, c, &set->args, NULL, (pk_bytes_t) { set->body, set->body_size },
                 set->rid, &set->client);
        ctl_set_destroy(&set);
    }
}

static void
s_forward(s_control_t *self, const s_command_t *c, pk_msg_request_t *q, zframe_t **client)
{
    char *why = s_check_args(c, q);
    const char *user = pk_kv_get(&q->args, "user");
    if (why) {
        char *target = s_target(&q->args);
        s_audit(self, user && *user ? user : NULL, c->op, target, "failed", why);
        free(target);
        s_reply(self, *client, q->rid, false, why, NULL, 0);
        free(why);
        return;
    }
    if (!strcmp(c->op, "pipeline.set")) {
        // a new pipeline belongs to its team from now on: a set of the same
        // name for another team meanwhile is refused, not merged
        const char *claimed = pk_kv_get(&q->args, CTL_CLAIMED);
        const char *pipeline = pk_kv_get(&q->args, "pipeline");
        if (claimed && self->auth) {
            pk_auth_t *auth = ctl_auth_store(self->auth);
            pk_store_txn_t *txn = pk_store_begin(pk_auth_store(auth), true);
            if (txn && pk_auth_pipeline_team_set(auth, txn, pipeline, claimed) == 0)
                pk_store_commit(&txn);
            pk_store_abort(&txn);
        }
        if (ctl_sets_start(self->sets, q, client) != 0) {
            s_reply(self, *client, q->rid, false, "too many pipelines are being set at once: "
                    "try again when one is done", NULL, 0);
            if (claimed && self->auth)
                s_unclaim(self, pipeline);
        }
        return;
    }
    // the checker knows resources by canonical name only; resolving here
    // also gives the scheduler's ops one wording for an unknown resource
    char *canonical = NULL;
    if (c->needs & A_RESOURCE) {
        if (pk_control_resource(self->queries, pk_kv_get(&q->args, "pipeline"),
                                pk_kv_get(&q->args, "resource"), &canonical, &why) != 0) {
            s_reply(self, *client, q->rid, false, why ? why : "no such resource", NULL, 0);
            free(why);
            return;
        }
    }
    s_signal(self, c, &q->args, canonical, q->body, q->rid, client);
    free(canonical);
}

// What a list shows: the pipelines of one team (NULL: any) that who may read.
typedef struct {
    s_control_t *self;
    const ctl_who_t *who;
    const char *team;
} s_visible_t;

static bool
s_visible(void *arg, const char *pipeline)
{
    s_visible_t *v = arg;
    char *team = ctl_auth_pipeline_team(v->self->auth, pipeline);
    bool yes = (!v->team || !strcmp(team, v->team))
            && (ctl_auth_role(v->self->auth, v->who, team) >= PK_ROLE_READ
                || pk_auth_pipeline_exposed(ctl_auth_store(v->self->auth), NULL, pipeline));
    free(team);
    return yes;
}

// A refusal for who they are or what they may do: its own counter, the
// audit log, and a reply that starts with what the CLI recognises.
static void
s_deny(s_control_t *self, pk_msg_request_t *q, zframe_t *client, const char *user,
       const char *why)
{
    self->denied++;
    char *target = s_target(&q->args);
    s_audit(self, user, q->op, target, "refused", why);
    free(target);
    s_reply_as(self, client, q->rid, false, why, NULL, 0, true);
}

// A caller lost (or changed) access: an event, so that the http face ends
// or re-checks their streams at once instead of at its next periodic check
// (http_hub.c). It names a token by its public id (the first 12 hex digits
// of its SHA-256: the id `pikoci tokens list` shows), a user or a team by
// name -- never a token -- and only global admins and the server's own
// clients may subscribe to topics outside a pipeline's log (ctl_authorise).
static void
s_access_event(s_control_t *self, const char *topic, const char *key, const char *value)
{
    if (!value || !*value)
        return;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    ctl_kstr(&pk, key, value);
    pk_msg_t m = { .type = PK_MSG_EVENT };
    m.event.topic = (char *) topic;
    m.event.body.data = (uint8_t *) sb.data;
    m.event.body.size = sb.size;
    zmsg_t *z = pk_msg_to_zmsg(&m);
    s_send(self, &z);
    msgpack_sbuffer_destroy(&sb);
}

// The events of an admin op that succeeded: token.revoked {id} (logout,
// tokens.revoke), user.changed {user} (removed, or a role granted or
// revoked), team.removed {team}.
static void
s_access_events(s_control_t *self, const pk_msg_request_t *q, const ctl_who_t *who)
{
    const char *op = q->op;
    if (!strcmp(op, "logout"))
        s_access_event(self, "token.revoked", "id", who->token_id);
    else
    if (!strcmp(op, "tokens.revoke"))
        s_access_event(self, "token.revoked", "id", pk_kv_get(&q->args, "id"));
    else
    if (!strcmp(op, "users.remove") || !strcmp(op, "teams.grant")
        || !strcmp(op, "teams.revoke"))
        s_access_event(self, "user.changed", "user", pk_kv_get(&q->args, "user"));
    else
    if (!strcmp(op, "teams.remove"))
        s_access_event(self, "team.removed", "team", pk_kv_get(&q->args, "team"));
}

static void
s_answer(s_control_t *self, pk_msg_request_t *q, zframe_t *client, const ctl_who_t *who,
         const char *team)
{
    self->nqueries++;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char *error = NULL;
    int rc;
    if (ctl_is_admin_op(q->op)) {
        rc = ctl_admin(self->auth, self->audit, q->op, &q->args, who, q->token, &sb, &error);
        if (rc == 0)
            s_access_events(self, q, who);
    }
    else {
        // "pipelines" lists the asked team's, else every pipeline the
        // caller may read: of each team they have a role in (a global
        // admin: all) and the exposed ones
        const char *asked = pk_kv_get(&q->args, "team");
        bool one_team = !strcmp(q->op, "pipelines") && asked && *asked;
        s_visible_t v = { self, who, one_team ? team : NULL };
        if (self->authenticate) {
            self->queries->visible = s_visible;
            self->queries->visible_arg = &v;
            self->queries->auth = ctl_auth_store(self->auth);
            // a pipeline read only because it is exposed: as the public sees it
            self->queries->redact = team && ctl_auth_role(self->auth, who, team) < PK_ROLE_READ;
        }
        rc = pk_control_query(self->queries, q->op, &q->args, &sb, &error);
        self->queries->visible = NULL;
        self->queries->visible_arg = NULL;
        self->queries->redact = false;
    }
    if (rc == 0)
        s_reply(self, client, q->rid, true, NULL, sb.data, sb.size);
    else        // a failed login is a "who are you" refusal too
        s_reply_as(self, client, q->rid, false, error ? error : "the query failed", NULL, 0,
                   !strcmp(q->op, "login"));
    free(error);
    msgpack_sbuffer_destroy(&sb);
}

// secrets.set/list/rm in the team the access check settled on (a
// pipeline's, or the asked one); changes are audited, values never.
static void
s_secrets(s_control_t *self, pk_msg_request_t *q, zframe_t *client, const ctl_who_t *who,
          const char *team)
{
    if (team)
        pk_kv_set(&q->args, "team", team);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    char *error = NULL;
    int rc = ctl_secrets_request(self->secrets, q, &sb, &error);
    if (strcmp(q->op, "secrets.list")) {
        char *target = NULL;
        if (asprintf(&target, "%s/%s", pk_kv_get(&q->args, "pipeline") ? pk_kv_get(&q->args,
                     "pipeline") : team ? team : "main", pk_kv_get(&q->args, "name")
                     ? pk_kv_get(&q->args, "name") : "?") < 0)
            target = NULL;
        s_audit(self, who->user, q->op, target, rc == 0 ? "ok" : "failed", error);
        free(target);
    }
    s_reply(self, client, q->rid, rc == 0, error, rc == 0 ? sb.data : NULL,
            rc == 0 ? sb.size : 0);
    free(error);
    msgpack_sbuffer_destroy(&sb);
}

// store.backup{path}: the copy runs in control_backup.c's thread; the
// client hears when it is done (s_backup_done), or at once why not.
static void
s_backup(s_control_t *self, pk_msg_request_t *q, zframe_t **client, const char *user)
{
    const char *path = pk_kv_get(&q->args, "path");
    char *why = NULL;
    if (ctl_backup_start(self->backup, path, user, q->rid, client, &why) != 0) {
        s_audit(self, user, q->op, path, "failed", why);
        s_reply(self, *client, q->rid, false, why ? why : "cannot start the backup", NULL, 0);
        free(why);
        return;
    }
    zsys_info("control: backup of the store to %s started", path);
}

static void
s_backup_done(s_control_t *self, ctl_backup_result_t *r)
{
    s_audit(self, r->user, "store.backup", r->path, r->ok ? "ok" : "failed", r->error);
    if (!r->ok) {
        zsys_error("control: backup to %s failed: %s", r->path, r->error);
        s_reply(self, r->client, r->rid, false, r->error, NULL, 0);
        return;
    }
    zsys_info("control: backup of the store to %s done: %" PRIu64 " bytes in %" PRId64 " ms",
              r->path, r->bytes, r->ms);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    ctl_kstr(&pk, "path", r->path);
    ctl_kint(&pk, "bytes", (int64_t) r->bytes);
    ctl_kint(&pk, "ms", r->ms);
    s_reply(self, r->client, r->rid, true, NULL, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

static void s_to_broker(s_control_t *self, pk_msg_request_t *q, zframe_t *client,
                        const char *user);

// login: its password is verified in control_login.c's threads, and the
// client answered from s_run when the verdict is back; a refusal before
// that (throttled, too many waiting) is answered now, audited there.
static void
s_login(s_control_t *self, pk_msg_request_t *q, zframe_t **client)
{
    self->nqueries++;
    char *why = NULL;
    if (ctl_login_start(self->login, q, client, &why) != 0) {
        self->denied++;
        s_reply_as(self, *client, q->rid, false, why ? why : "refused", NULL, 0, true);
    }
    free(why);
}

static void
s_on_request(s_control_t *self, pk_msg_request_t *q, zframe_t **client)
{
    if (!strcmp(q->op, "pipeline.set")) {
        // set as its slug (PikoCI: "My Pipeline" is my-pipeline), before
        // anything is decided about the name: access, claims, the owner
        char *slug = pk_slug(pk_kv_get(&q->args, "pipeline"));
        if (slug && *slug)      // no slug at all: the name check says why
            pk_kv_set(&q->args, "pipeline", slug);
        free(slug);
    }
    if (!ctl_access_known(q->op)) {
        char *msg = s_unknown_op(q->op);
        s_reply(self, *client, q->rid, false, msg, NULL, 0);
        free(msg);
        return;
    }
    ctl_who_t who = { 0 };
    char *team = NULL, *why = NULL;
    if (self->authenticate) {
        // no token at all: anonymous, which may read exposed pipelines only
        // (ctl_authorise); a token that is not valid is refused here
        bool anonymous = (!q->token || !*q->token) && ctl_access_public_read(q->op);
        if (!ctl_access_anonymous(q->op) && !anonymous
            && ctl_auth_identify(self->auth, q->token, &who, &why) != 0) {
            s_deny(self, q, *client, NULL, why);
            free(why);
            return;
        }
        if (ctl_authorise(self->auth, self->queries->builds, q, &who, &team, &why) != 0
            || ctl_authorise_job(self->auth, self->queries, q, &who, team, &why) != 0) {
            s_deny(self, q, *client, who.user, why ? why : "not allowed");
            free(why);
            free(team);
            ctl_who_clear(&who);
            return;
        }
    }
    if (ctl_access_broker_op(q->op)) {
        s_to_broker(self, q, *client, who.user);
        free(team);
        ctl_who_clear(&who);
        return;
    }
    if (!strcmp(q->op, "login") || !strcmp(q->op, "store.backup")) {
        if (!strcmp(q->op, "login"))
            s_login(self, q, client);
        else
            s_backup(self, q, client, who.user);
        free(team);
        ctl_who_clear(&who);
        return;
    }
    const s_command_t *c = s_command(q->op);
    if (self->authenticate && c) {
        // the caller, as the owners see it: never what the client claimed
        pk_kv_set(&q->args, "user", who.user ? who.user : "");
        if (team)
            pk_kv_set(&q->args, "team", team);
    }
    if (ctl_secrets_is_op(q->op))          // control's own keyspace: answered here
        s_secrets(self, q, *client, &who, team);
    else
    if (c)
        s_forward(self, c, q, client);
    else
        s_answer(self, q, *client, &who, team);
    free(team);
    ctl_who_clear(&who);
}

// An authorised broker op (subscribe, broker.*): the broker does it and
// answers the client itself, told so by SIGNAL{to "broker", what
// "authorised", args {op, rid, client (hex id), the request's args}}.
static void
s_to_broker(s_control_t *self, pk_msg_request_t *q, zframe_t *client, const char *user)
{
    char hex[520], rid[32];
    const uint8_t *d = zframe_data(client);
    size_t n = zframe_size(client), i;
    for (i = 0; i < n && 2 * i + 2 < sizeof hex; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    hex[2 * i] = 0;
    snprintf(rid, sizeof rid, "%" PRIu64, q->rid);
    pk_msg_t s = { .type = PK_MSG_SIGNAL };
    s.signal.to = "broker";
    s.signal.what = "authorised";
    for (size_t k = 0; k < q->args.count; k++)
        pk_kv_set(&s.signal.args, q->args.keys[k], q->args.values[k]);
    pk_kv_set(&s.signal.args, "op", q->op);
    pk_kv_set(&s.signal.args, "rid", rid);
    pk_kv_set(&s.signal.args, "client", hex);
    zmsg_t *z = pk_msg_to_zmsg(&s);
    s.signal.to = s.signal.what = NULL;
    pk_msg_clear(&s);
    if (!strcmp(q->op, "broker.workers.prune"))   // the only one that changes anything
        s_audit(self, user, q->op, NULL, "ok", NULL);
    self->forwarded++;
    s_send(self, &z);
}

// Forget the team of a pipeline that is gone, or whose first set failed
// (unless an earlier set made it after all).
static void
s_unclaim(s_control_t *self, const char *pipeline)
{
    pk_pipeline_rec_t rec;
    if (pk_builds_pipeline_get(self->queries->builds, NULL, pipeline, &rec) == 0) {
        pk_pipeline_rec_clear(&rec);
        return;
    }
    pk_store_txn_t *txn = pk_store_begin(pk_auth_store(ctl_auth_store(self->auth)), true);
    if (txn && pk_auth_pipeline_team_set(ctl_auth_store(self->auth), txn, pipeline, NULL) == 0)
        pk_store_commit(&txn);
    pk_store_abort(&txn);
}

// The owner's SIGNAL{what "reply", args {ref, ok, error}, body}.
static void
s_on_owner_reply(s_control_t *self, pk_msg_signal_t *s)
{
    const char *ref = pk_kv_get(&s->args, "ref");
    s_pending_t *p = ref ? zhash_lookup(self->pending, ref) : NULL;
    if (!p) {
        self->dropped++;            // late (timed out already) or never ours
        return;
    }
    const char *ok = pk_kv_get(&s->args, "ok");
    const char *error = pk_kv_get(&s->args, "error");
    bool yes = ok && !strcmp(ok, "1");
    if (!yes && (!error || !*error))
        error = "refused";
    // the audit entry is committed before the caller hears the answer
    s_audit(self, p->user, p->op, p->target, yes ? "ok" : "failed", yes ? NULL : error);
    s_reply(self, p->client, p->rid, yes, yes ? NULL : error, s->body.data, s->body.size);
    self->answered++;
    if (self->auth && p->target && ((yes && !strcmp(p->op, "pipeline.remove"))
                                    || (!yes && p->claimed)))
        s_unclaim(self, p->target);
    zhash_delete(self->pending, ref);
}

static void
s_expire(s_control_t *self, int64_t now)
{
    zlist_t *refs = zhash_keys(self->pending);
    for (char *ref = zlist_first(refs); ref; ref = zlist_next(refs)) {
        s_pending_t *p = zhash_lookup(self->pending, ref);
        if (p->deadline > now)
            continue;
        char msg[96];
        snprintf(msg, sizeof msg, "the %s did not answer", p->owner);
        s_audit(self, p->user, p->op, p->target, "failed", msg);
        s_reply(self, p->client, p->rid, false, msg, NULL, 0);
        if (p->claimed && p->target)
            s_unclaim(self, p->target);     // unless the late set made it after all
        self->timeouts++;
        zhash_delete(self->pending, ref);
    }
    zlist_destroy(&refs);
}

static void
s_on_broker(s_control_t *self)
{
    for (int n = 0; n < S_READ_BATCH; n++) {
        zmsg_t *z = zmsg_recv(self->dealer);       // rcvtimeo 0: NULL when drained
        if (!z)
            break;
        pk_msg_t m;
        if (pk_msg_from_zmsg(z, &m, NULL, 0) != 0) {
            self->dropped++;
            zmsg_destroy(&z);
            continue;
        }
        zframe_t *client = zmsg_pop(z);             // what is left: the client's id
        zmsg_destroy(&z);
        if (m.type == PK_MSG_REQUEST && client)
            s_on_request(self, &m.request, &client);
        else
        if (m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "reply"))
            s_on_owner_reply(self, &m.signal);
        else
        if (m.type == PK_MSG_REPLY && m.reply.rid == self->ping_rid)
            self->connected = true;
        else
            self->dropped++;
        zframe_destroy(&client);
        pk_msg_clear(&m);
    }
}

static bool
s_on_pipe(s_control_t *self)
{
    char *cmd = zstr_recv(self->pipe);
    bool go_on = cmd && !streq(cmd, "$TERM");
    if (go_on && streq(cmd, "STATUS"))
        zstr_send(self->pipe, "ok");
    else
    if (go_on && streq(cmd, "CONNECTED"))
        zstr_send(self->pipe, self->connected ? "yes" : "no");
    else
    if (go_on && streq(cmd, "STATS"))
        zstr_sendf(self->pipe, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                   " %" PRIu64 " %" PRIu64, self->nqueries, self->forwarded, self->answered,
                   self->timeouts, self->refused, self->dropped, self->denied);
    zstr_free(&cmd);
    return go_on;
}

static void
s_run(s_control_t *self)
{
    zmq_pollitem_t items[3 + CTL_SETS_MAX + CTL_LOGIN_VERIFIERS_MAX] = {
        { zsock_resolve(self->pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0 } };
    s_hello(self);
    for (;;) {
        int64_t now = zclock_mono();
        if (now >= self->hello_at)
            s_hello(self);
        s_expire(self, now);
        int64_t wake = self->hello_at;
        for (s_pending_t *p = zhash_first(self->pending); p; p = zhash_next(self->pending))
            if (p->deadline < wake)
                wake = p->deadline;
        int64_t wait = wake - zclock_mono();
        int nl = ctl_login_items(self->login, items + 2);
        int nb = ctl_backup_items(self->backup, items + 2 + nl);
        int n = 2 + nl + nb + ctl_sets_items(self->sets, items + 2 + nl + nb);
        if (zmq_poll(items, n, wait < 0 ? 0 : (long) wait) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;                      // the context is terminating
        }
        if ((items[0].revents & ZMQ_POLLIN) && !s_on_pipe(self))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_on_broker(self);
        ctl_login_answered(self->login, items + 2, nl);
        ctl_login_result_t lr;
        while (ctl_login_next(self->login, &lr)) {
            s_reply_as(self, lr.client, lr.rid, lr.ok, lr.error, lr.body.data, lr.body.size,
                       !lr.ok);
            ctl_login_result_clear(&lr);
        }
        ctl_backup_result_t done;
        if (ctl_backup_done(self->backup, items + 2 + nl, nb, &done)) {
            s_backup_done(self, &done);
            ctl_backup_result_clear(&done);
        }
        ctl_sets_answered(self->sets, items + 2 + nl + nb, n - 2 - nl - nb);
        s_forward_sets(self);
    }
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_control_config_t *cfg = arg;
    s_control_t self = { 0 };
    self.pipe = pipe;
    self.name = strdup(cfg->name && *cfg->name ? cfg->name : "control");
    self.timeout_ms = cfg->forward_timeout_ms > 0 ? cfg->forward_timeout_ms
                                                  : S_DEFAULT_TIMEOUT_MS;
    self.sets = ctl_sets_new(PK_SOURCES_HTTPS
                             | (cfg->allow_remote_types ? PK_SOURCES_REMOTE_BUILTINS : 0));
    self.backup = ctl_backup_new(cfg->store);
    char *err = NULL;
    self.authenticate = cfg->authenticate;
    self.queries = pk_control_queries_new(cfg->store, &err);
    if (self.queries)
        self.auth = ctl_auth_new(cfg->store, cfg->service_token, &err);
    if (self.auth)
        self.audit = pk_audit_new(cfg->store, &err);
    if (self.audit)
        self.login = ctl_login_new(self.auth, self.audit, cfg->login_verifiers,
                                   cfg->login_queue, &cfg->login_throttle);
    self.secrets = ctl_secrets_new(cfg->store, cfg->secret_key, cfg->secret_key_missing);
    self.dealer = zsock_new(ZMQ_DEALER);
    if (self.dealer) {
        zsock_set_rcvtimeo(self.dealer, 0);
        zsock_set_sndtimeo(self.dealer, 1000);
        zsock_set_linger(self.dealer, 500);
        zsock_set_maxmsgsize(self.dealer, PK_MSG_MAX_FRAME + 4096);
    }
    bool ok = self.queries && self.auth && self.audit && self.login && self.dealer
           && pk_curve_apply_client(self.dealer, &cfg->curve, &err) == 0
           && zsock_connect(self.dealer, "%s", cfg->endpoint) == 0;
    if (!ok)
        zsys_error("control: cannot start: %s", err ? err : "cannot connect to the broker");
    free(err);
    zsock_signal(pipe, 0);      // cfg is the caller's: not used past this point
    if (ok) {
        self.pending = zhash_new();
        s_run(&self);
        zhash_destroy(&self.pending);
    }
    else {
        pk_actor_failed(pipe);
    }
    zsock_destroy(&self.dealer);
    ctl_sets_destroy(&self.sets);       // waits for the fetches still running
    ctl_backup_destroy(&self.backup);   // ... and for a copy still running
    ctl_login_destroy(&self.login);     // ... and for the verifications running
    pk_control_queries_destroy(&self.queries);
    ctl_auth_destroy(&self.auth);
    pk_audit_destroy(&self.audit);
    ctl_secrets_destroy(&self.secrets);
    free(self.name);
}

zactor_t *
pk_control_new(const pk_control_config_t *config)
{
    if (!config || !config->endpoint || !config->store) {
        zsys_error("control: a broker endpoint and a store are required");
        return NULL;
    }
    return pk_actor_new(s_actor, (void *) config);
}
