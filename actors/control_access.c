// control_access: who may do what -- one row per op saying in which scope
// the caller's role is checked and which role it needs (control_internal.h).
// control.c asks ctl_authorise for every request before it answers or
// forwards anything.
#include "control_internal.h"

// Who may do what: the scope the role is checked in, and the role needed.
typedef enum {
    Z_ANON,                     // anyone, even without a token (login)
    Z_USER,                     // any user (their own tokens, whoami)
    Z_VISIBLE,                  // any user; the answer shows what they may read
                                // (overview; with a pipeline: as Z_PIPE)
    Z_TEAM,                     // the role in the request's team
    Z_PIPE,                     // the role in the pipeline's team
    Z_ADMIN,                    // a global admin
    Z_SERVICE                   // only the server's own clients (http's webhooks)
} s_scope_t;

typedef struct {
    const char *op;
    s_scope_t scope;
    pk_role_t role;
} s_access_t;

static const s_access_t s_access[] = {
    { "pipelines", Z_TEAM, PK_ROLE_READ },
    { "pipeline.get", Z_PIPE, PK_ROLE_READ },
    { "jobs", Z_PIPE, PK_ROLE_READ },
    { "builds", Z_PIPE, PK_ROLE_READ },
    { "build", Z_PIPE, PK_ROLE_READ },
    { "logs", Z_PIPE, PK_ROLE_READ },
    { "resources", Z_PIPE, PK_ROLE_READ },
    { "versions", Z_PIPE, PK_ROLE_READ },
    { "overview", Z_VISIBLE, PK_ROLE_READ },
    { "graph", Z_PIPE, PK_ROLE_READ },
    { "pipeline.set", Z_PIPE, PK_ROLE_MAINTAIN },
    { "pipeline.remove", Z_PIPE, PK_ROLE_MAINTAIN },
    // public pipelines (control_admin.c): readable without login
    { "pipeline.expose", Z_PIPE, PK_ROLE_MAINTAIN },
    { "pipeline.hide", Z_PIPE, PK_ROLE_MAINTAIN },
    { "pipeline.pause", Z_PIPE, PK_ROLE_WRITE },
    { "pipeline.unpause", Z_PIPE, PK_ROLE_WRITE },
    { "job.pause", Z_PIPE, PK_ROLE_WRITE },
    { "job.unpause", Z_PIPE, PK_ROLE_WRITE },
    { "trigger", Z_PIPE, PK_ROLE_WRITE },
    { "cancel", Z_PIPE, PK_ROLE_WRITE },
    { "retry", Z_PIPE, PK_ROLE_WRITE },
    { "approve", Z_PIPE, PK_ROLE_MAINTAIN },
    { "reject", Z_PIPE, PK_ROLE_MAINTAIN },
    // write for a job with allow_failure, else maintain (ctl_authorise_job)
    { "build.warning", Z_PIPE, PK_ROLE_WRITE },
    { "pin", Z_PIPE, PK_ROLE_WRITE },
    { "unpin", Z_PIPE, PK_ROLE_WRITE },
    { "check", Z_PIPE, PK_ROLE_WRITE },
    { "webhook.regenerate", Z_PIPE, PK_ROLE_MAINTAIN },
    { "webhook.tokens", Z_PIPE, PK_ROLE_MAINTAIN },
    { "webhook.resolve", Z_SERVICE, PK_ROLE_ADMIN },
    { "checker.stats", Z_ADMIN, PK_ROLE_ADMIN },
    // the broker answers these once control said yes (ctl_access_broker_op);
    // subscribe: a pipeline's log needs read in its team, any other prefix
    // spans pipelines and needs a global admin (ctl_authorise)
    { "subscribe", Z_VISIBLE, PK_ROLE_READ },
    { "broker.workers", Z_USER, PK_ROLE_NONE },
    { "broker.pending", Z_USER, PK_ROLE_NONE },
    { "broker.stats", Z_USER, PK_ROLE_NONE },
    { "broker.workers.prune", Z_ADMIN, PK_ROLE_ADMIN },
    // control_admin.c audits these itself
    { "login", Z_ANON, PK_ROLE_NONE },
    { "logout", Z_USER, PK_ROLE_NONE },
    { "whoami", Z_USER, PK_ROLE_NONE },
    { "tokens.create", Z_USER, PK_ROLE_NONE },
    { "tokens.list", Z_USER, PK_ROLE_NONE },
    { "tokens.revoke", Z_USER, PK_ROLE_NONE },
    { "users.list", Z_ADMIN, PK_ROLE_ADMIN },
    { "users.create", Z_ADMIN, PK_ROLE_ADMIN },
    { "users.remove", Z_ADMIN, PK_ROLE_ADMIN },
    { "users.passwd", Z_USER, PK_ROLE_NONE },
    { "teams.list", Z_USER, PK_ROLE_NONE },
    { "teams.create", Z_ADMIN, PK_ROLE_ADMIN },
    { "teams.remove", Z_ADMIN, PK_ROLE_ADMIN },
    { "teams.members", Z_TEAM, PK_ROLE_READ },
    { "teams.grant", Z_TEAM, PK_ROLE_ADMIN },
    { "teams.revoke", Z_TEAM, PK_ROLE_ADMIN },
    { "audit", Z_ADMIN, PK_ROLE_ADMIN },
    { "store", Z_ADMIN, PK_ROLE_ADMIN },        // keyspace sizes, pages, retention
    // the secret store: a pipeline's (its team's role) or a team's
    { "secrets.set", Z_PIPE, PK_ROLE_MAINTAIN },
    { "secrets.list", Z_PIPE, PK_ROLE_MAINTAIN },
    { "secrets.rm", Z_PIPE, PK_ROLE_MAINTAIN },
    // a hot copy of the whole store (control_backup.c): every team's data
    { "store.backup", Z_ADMIN, PK_ROLE_ADMIN },
    { NULL, Z_ANON, PK_ROLE_NONE }
};

static const s_access_t *
s_access_of(const char *op)
{
    for (const s_access_t *a = s_access; a->op; a++)
        if (!strcmp(a->op, op))
            return a;
    return NULL;
}

bool
ctl_access_known(const char *op)
{
    return op && s_access_of(op) != NULL;
}

bool
ctl_access_anonymous(const char *op)
{
    const s_access_t *a = op ? s_access_of(op) : NULL;
    return a && a->scope == Z_ANON;
}

// The reads an anonymous caller may ask: of an exposed pipeline (and the
// lists, which then show only exposed ones). "graph" is the pipeline graph's.
static const char *const s_public_reads[] = {
    "pipelines", "overview", "pipeline.get", "jobs", "builds", "build", "logs", "resources",
    "versions", "graph", "subscribe", NULL
};

bool
ctl_access_public_read(const char *op)
{
    for (int i = 0; op && s_public_reads[i]; i++)
        if (!strcmp(op, s_public_reads[i]))
            return true;
    return false;
}

bool
ctl_access_broker_op(const char *op)
{
    return op && (!strcmp(op, "subscribe") || !strncmp(op, "broker.", 7));
}

// The pipeline a subscription's prefix is confined to ("log.build:P/..."),
// or NULL (caller frees) when its events may come from any pipeline.
static char *
s_subscribed_pipeline(const char *prefix)
{
    static const char log[] = "log.build:";
    if (!prefix || strncmp(prefix, log, sizeof log - 1))
        return NULL;
    const char *p = prefix + sizeof log - 1, *slash = strchr(p, '/');
    return slash && slash > p ? strndup(p, (size_t) (slash - p)) : NULL;
}

static bool
s_pipeline_exists(pk_builds_t *builds, const char *pipeline)
{
    pk_pipeline_rec_t rec;
    if (pk_builds_pipeline_get(builds, NULL, pipeline, &rec) != 0)
        return false;
    pk_pipeline_rec_clear(&rec);
    return true;
}

int
ctl_authorise(ctl_auth_t *auth, pk_builds_t *builds, pk_msg_request_t *q, const ctl_who_t *who,
              char **team_out, char **error)
{
    *team_out = NULL;
    *error = NULL;
    const s_access_t *a = s_access_of(q->op);
    if (!a)
        return asprintf(error, "unknown op \"%s\"", q->op) < 0 ? (*error = NULL, 1) : 1;
    const char *asked = pk_kv_get(&q->args, "team");
    const char *pipeline = pk_kv_get(&q->args, "pipeline");
    s_scope_t scope = a->scope;
    if (!strcmp(q->op, "subscribe")) {
        // the prefix says whose events these are, never the client's arguments
        char *confined = s_subscribed_pipeline(pk_kv_get(&q->args, "prefix"));
        pk_kv_set(&q->args, "pipeline", confined ? confined : "");
        pipeline = pk_kv_get(&q->args, "pipeline");
        scope = confined ? Z_PIPE : Z_ADMIN;
        free(confined);
    }
    else
    if (scope == Z_VISIBLE && pipeline && *pipeline)
        scope = Z_PIPE;
    else
    if (!strcmp(q->op, "pipelines") && (!asked || !*asked))
        scope = Z_VISIBLE;          // every team's the caller may read (control.c, s_answer)
    if (scope == Z_PIPE && (!pipeline || !*pipeline))
        scope = Z_TEAM;             // its argument check will say what is missing
    int rc = 0;
    switch (scope) {
    case Z_ANON:
    case Z_USER:
    case Z_VISIBLE:
        return 0;
    case Z_SERVICE:
        if (!who->service)
            rc = asprintf(error, "%s is only for the server's own web face", q->op);
        return rc < 0 ? (*error = NULL, 1) : rc > 0;
    case Z_ADMIN:
        if (!who->user)
            rc = asprintf(error, "not logged in: %s needs a global admin", q->op);
        else
        if (!who->admin)
            rc = asprintf(error, "%s needs a global admin; user \"%s\" is not one", q->op,
                          who->user);
        return rc < 0 ? (*error = NULL, 1) : rc > 0;
    case Z_PIPE: {
        if ((!strcmp(q->op, "pipeline.expose") || !strcmp(q->op, "pipeline.hide"))
            && !s_pipeline_exists(builds, pipeline)) {
            rc = asprintf(error, "no pipeline \"%s\" (see pikoci pipelines)", pipeline);
            return rc < 0 ? (*error = NULL, 1) : 1;
        }
        char *recorded = pk_auth_pipeline_team(ctl_auth_store(auth), NULL, pipeline);
        if (!recorded && !strcmp(q->op, "pipeline.set") && !s_pipeline_exists(builds, pipeline)) {
            *team_out = strdup(asked && *asked ? asked : CTL_DEFAULT_TEAM);
            pk_kv_set(&q->args, CTL_CLAIMED, *team_out);      // a new pipeline: the asked team
        }
        else
            *team_out = recorded ? recorded : strdup(CTL_DEFAULT_TEAM);
        if (asked && *asked && strcmp(asked, *team_out)) {
            rc = asprintf(error, "pipeline \"%s\" belongs to team \"%s\", not \"%s\" "
                          "(use --team %s)", pipeline, *team_out, asked, *team_out);
            return rc < 0 ? (*error = NULL, 1) : 1;
        }
        break;
    }
    case Z_TEAM:
        *team_out = strdup(asked && *asked ? asked : CTL_DEFAULT_TEAM);
        break;
    }
    if (!pk_auth_team_exists(ctl_auth_store(auth), NULL, *team_out)) {
        rc = asprintf(error, "no team \"%s\" (see pikoci teams list)", *team_out);
        return rc < 0 ? (*error = NULL, 1) : 1;
    }
    pk_role_t has = ctl_auth_role(auth, who, *team_out);
    if (has >= a->role)
        return 0;
    // an exposed pipeline is anyone's to read, logged in or not
    if (scope == Z_PIPE && a->role == PK_ROLE_READ && ctl_access_public_read(q->op)
        && pk_auth_pipeline_exposed(ctl_auth_store(auth), NULL, pipeline))
        return 0;
    // an anonymous caller may list a team's exposed pipelines
    if (scope == Z_TEAM && !strcmp(q->op, "pipelines") && !who->user)
        return 0;
    if (!who->user) {
        rc = asprintf(error, "not logged in: run `pikoci login --server ENDPOINT` (or pass "
                      "--token, or log in on the web page); %s needs a user", q->op);
        return rc < 0 ? (*error = NULL, 1) : 1;
    }
    rc = has == PK_ROLE_NONE
       ? asprintf(error, "not allowed: user \"%s\" is not a member of team \"%s\" (%s needs "
                  "the role %s)", who->user, *team_out, q->op, pk_role_name(a->role))
       : asprintf(error, "not allowed: %s needs the role %s in team \"%s\"; user \"%s\" has "
                  "%s", q->op, pk_role_name(a->role), *team_out, who->user, pk_role_name(has));
    return rc < 0 ? (*error = NULL, 1) : 1;
}


int
ctl_authorise_job(ctl_auth_t *auth, pk_control_queries_t *queries, const pk_msg_request_t *q,
                  const ctl_who_t *who, const char *team, char **error)
{
    *error = NULL;
    if (strcmp(q->op, "build.warning") || !team)
        return 0;
    const char *pipeline = pk_kv_get(&q->args, "pipeline"), *job = pk_kv_get(&q->args, "job");
    bool allows = false;
    if (ctl_job_allows_failure(queries, pipeline, job, &allows) != 0 || allows)
        return 0;                   // no such job: the scheduler says so
    pk_role_t has = ctl_auth_role(auth, who, team);
    if (has >= PK_ROLE_MAINTAIN)
        return 0;
    if (asprintf(error, "not allowed: marking a build of job \"%s\" as warning needs the role "
                 "maintain in team \"%s\" (write is enough for a job with allow_failure); "
                 "user \"%s\" has %s", job, team, who->user ? who->user : "anonymous",
                 pk_role_name(has)) < 0)
        *error = NULL;
    return 1;
}
