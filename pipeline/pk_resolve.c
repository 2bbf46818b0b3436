// pk_resolve: see pk_resolve.h. Built-in resource types that pikoci does in
// process (git, cron, fs) resolve to "native" operations; types with inline
// commands resolve to commands with their runner spelled out. Services and
// automatic notifications are settled here too (type commands, $param_*,
// the job filters of `notification` blocks); when they run and what the
// final status decides is the runner's business.
#include "pk_resolve.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const pk_pipeline_t *p;
    const pk_resolve_build_t *args;
    char *err;
} s_ctx_t;

static pk_value_t *s_steps(s_ctx_t *c, const pk_steps_t *steps);
static void s_steps_into(s_ctx_t *c, const pk_steps_t *steps, pk_value_t *list);

static void
s_fail(s_ctx_t *c, const char *fmt, ...)
{
    if (c->err)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->err = strdup(buf);
}

static void
s_set_str(pk_value_t *obj, const char *key, const char *value)
{
    pk_value_object_set(obj, key, pk_value_new_string(value));
}

static void
s_set_num(pk_value_t *obj, const char *key, double n)
{
    pk_value_object_set(obj, key, pk_value_new_number(n));
}

// A value as environment text: scalars as HCL renders them, the rest as JSON.
static char *
s_text(const pk_value_t *v)
{
    char *t = pk_value_to_string(v);
    return t ? t : pk_value_to_json(v);
}

static void
s_env_from(pk_value_t *env, const char *prefix, const pk_value_t *attrs,
           const pk_strlist_t *only)
{
    for (size_t i = 0; attrs && i < pk_value_len(attrs); i++) {
        const char *key = pk_value_object_key(attrs, i);
        if (only) {
            bool listed = false;
            for (size_t j = 0; j < only->count && !listed; j++)
                listed = !strcmp(only->items[j], key);
            if (!listed)
                continue;
        }
        char name[512];
        snprintf(name, sizeof name, "%s%s", prefix, key);
        char *t = s_text(pk_value_object_at(attrs, i));
        s_set_str(env, name, t ? t : "");
        free(t);
    }
}

static const char *
s_builtin_name(const char *source)
{
    return source && !strncmp(source, "pikoci://", 9) ? source + 9 : NULL;
}

// The RUNNER object for a runner name.
static pk_value_t *
s_runner(s_ctx_t *c, const char *name)
{
    pk_value_t *r = pk_value_new_object();
    const pk_runner_type_t *rt = pk_pipeline_runner_type(c->p, name);
    if (rt && rt->run_path) {
        s_set_str(r, "name", name);
        s_set_str(r, "path", rt->run_path);
        pk_value_t *args = pk_value_new_list();
        for (size_t i = 0; i < rt->run_args.count; i++)
            pk_value_list_append(args, pk_value_new_string(rt->run_args.items[i]));
        pk_value_object_set(r, "args", args);
        return r;
    }
    const char *builtin = rt ? s_builtin_name(rt->source) : NULL;
    if (!rt && (!strcmp(name, "exec") || !strcmp(name, "shell") || !strcmp(name, "docker")))
        builtin = name;
    if (!builtin) {
        s_fail(c, "runner \"%s\" has no definition this runner can use (source %s)", name,
               rt && rt->source ? rt->source : "missing");
        builtin = "exec";
    }
    s_set_str(r, "name", builtin);
    return r;
}

// CMD for a command, with an optional type-level runner override whose
// attributes are merged under the command's own.
static pk_value_t *
s_cmd(s_ctx_t *c, const pk_command_t *cmd, const pk_command_t *override)
{
    pk_value_t *out = pk_value_new_object();
    pk_value_t *params = pk_value_new_object();
    const char *runner = cmd->runner;
    if (override) {
        runner = override->runner;
        for (size_t i = 0; i < pk_value_len(override->attrs); i++)
            pk_value_object_set(params, pk_value_object_key(override->attrs, i),
                                pk_value_dup(pk_value_object_at(override->attrs, i)));
    }
    for (size_t i = 0; cmd->attrs && i < pk_value_len(cmd->attrs); i++)
        pk_value_object_set(params, pk_value_object_key(cmd->attrs, i),
                            pk_value_dup(pk_value_object_at(cmd->attrs, i)));
    pk_value_object_set(out, "runner", s_runner(c, runner));
    pk_value_object_set(out, "params", params);
    return out;
}

// Types with a cache get $CACHE_DIR on the runner: a directory per resource
// that outlives builds ("<team>/<pipeline>/<resource>" under the runner's cache).
static void
s_cache(pk_value_t *out, const pk_resource_t *res, const pk_resource_type_t *rt,
        const char *pipeline, const char *team)
{
    if (res->cache == 1 || (res->cache == -1 && rt->cache)) {
        char key[1024];
        snprintf(key, sizeof key, "%s/%s/%s", team ? team : "main", pipeline ? pipeline : "",
                 res->canonical);
        s_set_str(out, "cache", key);
    }
}

static const char *s_natives[] = { "git", "cron", "fs", NULL };

static bool
s_is_native(const pk_resource_type_t *rt)
{
    const char *b = s_builtin_name(rt->source);
    for (size_t i = 0; b && s_natives[i]; i++)
        if (!strcmp(b, s_natives[i]))
            return true;
    return false;
}

static pk_value_t *
s_native(const pk_resource_type_t *rt, const pk_resource_t *res)
{
    pk_value_t *n = pk_value_new_object();
    s_set_str(n, "type", s_builtin_name(rt->source));
    pk_value_object_set(n, "params", pk_value_dup(res->params));
    return n;
}

static void
s_common(s_ctx_t *c, pk_value_t *out, const pk_step_t *st)
{
    if (st->timeout_ms)
        s_set_num(out, "timeout_ms", (double) st->timeout_ms);
    if (st->attempts > 1)
        s_set_num(out, "attempts", st->attempts);
    static const char *names[] = { "on_success", "on_failure", "on_cancel", "ensure" };
    pk_value_t *hooks = NULL;
    for (int k = PK_HOOK_ON_SUCCESS; k <= PK_HOOK_ENSURE; k++) {
        const pk_hooks_t *hs = &st->hooks[k];
        if (!hs->count)
            continue;
        pk_value_t *list = pk_value_new_list();
        for (size_t i = 0; i < hs->count; i++) {
            const pk_hook_t *h = hs->items[i];
            if (h->command) {
                pk_value_t *t = pk_value_new_object();
                s_set_str(t, "kind", "task");
                s_set_str(t, "name", "");
                pk_value_object_set(t, "cmd", s_cmd(c, h->command, NULL));
                pk_value_list_append(list, t);
            }
            else
                s_steps_into(c, &h->steps, list);
        }
        if (!hooks)
            hooks = pk_value_new_object();
        pk_value_object_set(hooks, names[k], list);
    }
    if (hooks)
        pk_value_object_set(out, "hooks", hooks);
}

static pk_value_t *
s_get(s_ctx_t *c, const pk_step_t *st, pk_value_t *out)
{
    const pk_resource_t *res = pk_pipeline_resource(c->p, st->canonical);
    const pk_resource_type_t *rt = res ? pk_pipeline_resource_type(c->p, res->type) : NULL;
    if (!res || !rt) {
        s_fail(c, "get \"%s\": no such resource", st->canonical);
        return out;
    }
    const pk_value_t *local = c->args->local ? pk_value_object_get(c->args->local, res->canonical) : NULL;
    const pk_value_t *version = c->args->versions ? pk_value_object_get(c->args->versions, res->canonical) : NULL;
    if (local) {
        // a local directory stands in for the resource: copied into $WORKDIR/<name>
        pk_value_t *n = pk_value_new_object();
        s_set_str(n, "type", "dir");
        pk_value_t *params = pk_value_new_object();
        pk_value_object_set(params, "path", pk_value_dup(local));
        const pk_value_t *pname = pk_value_object_get(res->params, "name");
        s_set_str(params, "name", pname && pk_value_kind(pname) == PK_V_STRING
                                  ? pk_value_string(pname) : res->name);
        pk_value_object_set(n, "params", params);
        pk_value_object_set(out, "native", n);
        pk_value_t *v = pk_value_new_object();
        pk_value_object_set(v, "path", pk_value_dup(local));
        pk_value_object_set(out, "version", v);
        return out;
    }
    if (!version) {
        s_fail(c, "get \"%s\": the resource has no version yet", res->canonical);
        return out;
    }
    pk_value_object_set(out, "version", pk_value_dup(version));
    s_cache(out, res, rt, c->args->pipeline, c->args->team);
    if (s_is_native(rt))
        pk_value_object_set(out, "native", s_native(rt, res));
    else
    if (rt->pull) {
        pk_value_object_set(out, "cmd", s_cmd(c, rt->pull, rt->runner));
        pk_value_t *env = pk_value_new_object();
        s_env_from(env, "param_", res->params, &rt->params);
        pk_value_object_set(out, "env", env);
    }
    else
        s_fail(c, "get \"%s\": resource type \"%s\" %s", res->canonical, rt->name,
               rt->source ? "is not available in this version of pikoci" : "has no pull command");
    return out;
}

// A service step carries its type's commands with the overrides as
// $param_* (only the params the type declares, when it declares any), the
// ready_check's polling settings, and its name for the NAME:start/ready/stop
// log steps; the runner starts it in place and stops it when the plan ends.
static pk_value_t *
s_service(s_ctx_t *c, const pk_step_t *st, pk_value_t *out)
{
    const pk_service_type_t *t = pk_pipeline_service_type(c->p, st->type);
    if (!t || !t->start || !t->stop) {
        s_fail(c, "service \"%s\": service type %s %s", st->type, t ? t->name : "?",
               t && !t->source ? "needs start and stop commands"
                               : "is not available in this version of pikoci");
        return out;
    }
    pk_value_object_set(out, "start", s_cmd(c, t->start, t->runner));
    if (t->ready_check) {
        pk_value_object_set(out, "ready_check", s_cmd(c, t->ready_check, t->runner));
        s_set_num(out, "ready_interval_ms", (double) (t->ready_interval_ms > 0
                                                      ? t->ready_interval_ms : 1000));
        s_set_num(out, "ready_timeout_ms", (double) (t->ready_timeout_ms > 0
                                                     ? t->ready_timeout_ms : 60000));
    }
    pk_value_object_set(out, "stop", s_cmd(c, t->stop, t->runner));
    pk_value_t *env = pk_value_new_object();
    s_env_from(env, "param_", st->attrs, t->params.count ? &t->params : NULL);
    pk_value_object_set(out, "env", env);
    return out;
}

static pk_value_t *
s_step(s_ctx_t *c, const pk_step_t *st)
{
    pk_value_t *out = pk_value_new_object();
    static const char *kinds[] = { "get", "task", "put", "notify", "service", "parallel", "if" };
    s_set_str(out, "kind", kinds[st->kind]);
    s_set_str(out, "name", st->name ? st->name : "in_parallel");
    s_common(c, out, st);
    switch (st->kind) {
    case PK_STEP_GET:
        return s_get(c, st, out);
    case PK_STEP_TASK: {
        pk_value_object_set(out, "cmd", s_cmd(c, st->run, NULL));
        pk_value_t *in = pk_value_new_list(), *outs = pk_value_new_list();
        for (size_t i = 0; i < st->inputs.count; i++)
            pk_value_list_append(in, pk_value_new_string(st->inputs.items[i]));
        for (size_t i = 0; i < st->outputs.count; i++)
            pk_value_list_append(outs, pk_value_new_string(st->outputs.items[i]));
        pk_value_object_set(out, "inputs", in);
        pk_value_object_set(out, "outputs", outs);
        return out;
    }
    case PK_STEP_PUT: {
        const pk_resource_t *res = pk_pipeline_resource(c->p, st->canonical);
        const pk_resource_type_t *rt = res ? pk_pipeline_resource_type(c->p, res->type) : NULL;
        if (!rt || !rt->push) {
            s_fail(c, "put \"%s\": resource type %s has no push command", st->canonical,
                   rt ? rt->name : "?");
            return out;
        }
        pk_value_object_set(out, "cmd", s_cmd(c, rt->push, rt->runner));
        s_cache(out, res, rt, c->args->pipeline, c->args->team);
        // the build's version of the resource, as $version_* (PikoCI's push sees it)
        const pk_value_t *version = c->args->versions
                                  ? pk_value_object_get(c->args->versions, res->canonical) : NULL;
        if (version && pk_value_kind(version) == PK_V_OBJECT)
            pk_value_object_set(out, "version", pk_value_dup(version));
        pk_value_t *env = pk_value_new_object();
        s_env_from(env, "param_", res->params, &rt->params);
        s_env_from(env, "put_", st->attrs, NULL);
        pk_value_object_set(out, "env", env);
        // the put's version goes back to the scheduler (Concourse's implicit
        // get): a trigger's is its params, any other type's is what its
        // push prints as a JSON array of versions on its last line
        s_set_str(out, "resource", st->canonical);
        if (rt->source && !strcmp(rt->source, "pikoci://trigger"))
            s_set_str(out, "version_from", "params");
        return out;
    }
    case PK_STEP_NOTIFY: {
        const pk_notification_t *n = pk_pipeline_notification(c->p, st->canonical);
        const pk_notification_type_t *nt = n ? pk_pipeline_notification_type(c->p, n->type) : NULL;
        if (!nt || !nt->notify) {
            s_fail(c, "notify \"%s\": notification type %s is not available in this version of pikoci",
                   st->canonical, nt ? nt->name : "?");
            return out;
        }
        pk_value_object_set(out, "cmd", s_cmd(c, nt->notify, nt->runner));
        pk_value_t *env = pk_value_new_object();
        s_env_from(env, "param_", n->params, NULL);
        s_env_from(env, "notify_", st->attrs, NULL);
        const pk_value_t *msg = st->attrs ? pk_value_object_get(st->attrs, "message") : NULL;
        char *text = msg ? s_text(msg) : n->message ? strdup(n->message) : strdup("");
        s_set_str(env, "NOTIFY_MESSAGE", text);
        free(text);
        pk_value_object_set(out, "env", env);
        return out;
    }
    case PK_STEP_SERVICE:
        return s_service(c, st, out);
    case PK_STEP_IN_PARALLEL:
        pk_value_object_set(out, "steps", s_steps(c, &st->steps));
        if (st->limit)
            s_set_num(out, "limit", st->limit);
        pk_value_object_set(out, "fail_fast", pk_value_new_bool(st->fail_fast));
        return out;
    case PK_STEP_IF: {
        pk_value_t *branches = pk_value_new_list();
        for (size_t i = 0; i < st->branch_count; i++) {
            const pk_branch_t *br = st->branches[i];
            pk_value_t *b = pk_value_new_object();
            s_set_str(b, "name", br->name ? br->name : "else");
            if (br->condition)
                s_set_str(b, "condition", br->condition);
            pk_value_object_set(b, "steps", s_steps(c, &br->steps));
            pk_value_list_append(branches, b);
        }
        pk_value_object_set(out, "branches", branches);
        return out;
    }
    }
    return out;
}

static void
s_steps_into(s_ctx_t *c, const pk_steps_t *steps, pk_value_t *list)
{
    for (size_t i = 0; i < steps->count; i++)
        pk_value_list_append(list, s_step(c, steps->items[i]));
}

static pk_value_t *
s_steps(s_ctx_t *c, const pk_steps_t *steps)
{
    pk_value_t *list = pk_value_new_list();
    s_steps_into(c, steps, list);
    return list;
}

// --- secrets: how the runner gets each secret-backed variable the plan uses
// (the "secrets" section of pk_plan.h). Only placeholders travel; a value
// never exists outside the runner. Chained secrets (a path, key or type
// config holding another secret's placeholder) pull that one in too.

typedef struct {
    size_t count;
    char **items;
} s_names_t;

static void
s_secret_refs(const char *text, s_names_t *names)
{
    static const char prefix[] = "((pikoci_secret:";
    for (const char *p = strstr(text, prefix); p; p = strstr(p + 1, prefix)) {
        const char *name = p + sizeof prefix - 1;
        const char *end = strstr(name, "))");
        if (!end || end == name)
            continue;
        char **grown = realloc(names->items, (names->count + 1) * sizeof(char *));
        if (!grown)
            return;
        names->items = grown;
        names->items[names->count++] = strndup(name, (size_t) (end - name));
    }
}

static pk_value_t *
s_secret_entry(s_ctx_t *c, const pk_variable_t *v)
{
    pk_value_t *e = pk_value_new_object();
    s_set_str(e, "type", v->secret_type);
    s_set_str(e, "key", v->secret_key ? v->secret_key : "");
    if (v->secret_path)
        s_set_str(e, "path", v->secret_path);
    const pk_secret_type_t *t = pk_pipeline_secret_type(c->p, v->secret_type);
    const char *builtin = t ? s_builtin_name(t->source) : NULL;
    if (t && builtin && !strcmp(builtin, "pikoci") && !t->get) {
        // the server's store: the scheduler puts the value in the WORK (never
        // in the plan), the runner takes it from there
        pk_value_t *n = pk_value_new_object();
        s_set_str(n, "type", "pikoci");
        pk_value_object_set(e, "native", n);
    }
    else
    if (t && builtin && !strcmp(builtin, "file") && !t->get) {
        pk_value_t *n = pk_value_new_object();
        s_set_str(n, "type", "file");
        pk_value_object_set(n, "params", t->config ? pk_value_dup(t->config)
                                                   : pk_value_new_object());
        pk_value_object_set(e, "native", n);
    }
    else
    if (t && t->get) {
        pk_value_object_set(e, "cmd", s_cmd(c, t->get, t->runner));
        pk_value_t *env = pk_value_new_object();
        s_env_from(env, "param_", t->config, NULL);
        pk_value_object_set(e, "env", env);
    }
    else {
        // like a step of a type pikoci does not ship: the build fails when
        // (and only if) it needs the secret, with this message
        char why[512];
        snprintf(why, sizeof why, "secret type \"%s\" is not available in this version of "
                 "pikoci", v->secret_type);
        s_set_str(e, "error", why);
    }
    return e;
}

static void
s_secrets(s_ctx_t *c, pk_value_t *plan)
{
    s_names_t todo = { 0, NULL };
    char *json = pk_value_to_json(plan);
    if (json)
        s_secret_refs(json, &todo);
    free(json);
    pk_value_t *secrets = NULL;
    for (size_t i = 0; i < todo.count; i++) {     // grows as chained secrets are found
        const char *name = todo.items[i];
        const pk_variable_t *v = name ? pk_pipeline_variable(c->p, name) : NULL;
        if (!v || !v->is_placeholder || !v->secret_type
        ||  (secrets && pk_value_object_get(secrets, name)))
            continue;
        pk_value_t *e = s_secret_entry(c, v);
        char *text = pk_value_to_json(e);
        if (text)
            s_secret_refs(text, &todo);
        free(text);
        if (!secrets)
            secrets = pk_value_new_object();
        pk_value_object_set(secrets, name, e);
    }
    for (size_t i = 0; i < todo.count; i++)
        free(todo.items[i]);
    free(todo.items);
    if (secrets)
        pk_value_object_set(plan, "secrets", secrets);
}

static bool
s_names_job(const pk_strlist_t *list, const pk_job_t *job)
{
    for (size_t i = 0; i < list->count; i++)
        if (!strcmp(list->items[i], job->name) || (job->group && !strcmp(list->items[i], job->group)))
            return true;
    return false;
}

// Automatic notifications: the `notification` blocks with `on` whose
// jobs/exclude filters let this job through (by instance or for_each group
// name), as notify steps the runner dispatches after the job hooks when the
// final status is in "on". Their message is interpolated by the runner.
static void
s_notifications(s_ctx_t *c, const pk_job_t *job, pk_value_t *plan)
{
    pk_value_t *list = NULL;
    for (size_t i = 0; i < c->p->notification_count; i++) {
        const pk_notification_t *n = c->p->notifications[i];
        if (!n->on || (n->jobs.count && !s_names_job(&n->jobs, job))
        ||  (n->exclude.count && s_names_job(&n->exclude, job)))
            continue;
        const pk_notification_type_t *nt = pk_pipeline_notification_type(c->p, n->type);
        pk_value_t *st = pk_value_new_object();
        s_set_str(st, "kind", "notify");
        s_set_str(st, "name", n->canonical);
        pk_value_t *on = pk_value_new_list();
        static const struct { int bit; const char *name; } bits[] = {
            { PK_NOTIFY_ON_SUCCESS, "success" }, { PK_NOTIFY_ON_FAILURE, "failure" },
            { PK_NOTIFY_ON_CANCEL, "cancel" } };
        for (size_t b = 0; b < sizeof bits / sizeof bits[0]; b++)
            if (n->on & bits[b].bit)
                pk_value_list_append(on, pk_value_new_string(bits[b].name));
        pk_value_object_set(st, "on", on);
        if (!nt || !nt->notify) {
            // like any step of a type pikoci does not ship: the pipeline is
            // valid, the dispatch fails (logged) and the build is unaffected
            char why[512];
            snprintf(why, sizeof why, "notification type %s is not available in this version "
                     "of pikoci", nt ? nt->name : n->type);
            s_set_str(st, "error", why);
        }
        else {
            pk_value_object_set(st, "cmd", s_cmd(c, nt->notify, nt->runner));
            pk_value_t *env = pk_value_new_object();
            s_env_from(env, "param_", n->params, NULL);
            s_set_str(env, "NOTIFY_MESSAGE", n->message ? n->message : "");
            pk_value_object_set(st, "env", env);
        }
        if (!list)
            list = pk_value_new_list();
        pk_value_list_append(list, st);
    }
    if (list)
        pk_value_object_set(plan, "notifications", list);
}

pk_value_t *
pk_resolve_build(const pk_pipeline_t *pipeline, const pk_job_t *job,
                 const pk_resolve_build_t *args, char **err_out)
{
    s_ctx_t c = { pipeline, args, NULL };
    pk_value_t *plan = pk_value_new_object();
    pk_value_t *env = pk_value_new_object();
    s_set_str(env, "BUILD_PIPELINE_NAME", args->pipeline ? args->pipeline : "");
    s_set_str(env, "BUILD_JOB_NAME", job->name);
    s_set_str(env, "BUILD_NUMBER", args->number ? args->number : "");
    s_set_str(env, "BUILD_TEAM_NAME", args->team ? args->team : "main");
    // inputs: given values, else defaults, else zero values
    for (size_t i = 0; i < job->input_count; i++) {
        const pk_input_t *in = job->inputs[i];
        const pk_value_t *v = args->inputs ? pk_value_object_get(args->inputs, in->name) : NULL;
        if (!v)
            v = in->default_value;
        char *text = v ? s_text(v) : strdup(in->type == PK_INPUT_NUMBER ? "0"
                                          : in->type == PK_INPUT_BOOL ? "false" : "");
        char *name = malloc(strlen(in->name) + 7);
        sprintf(name, "INPUT_%s", in->name);
        for (char *p = name + 6; *p; p++)
            *p = (*p >= 'a' && *p <= 'z') ? (char) (*p - 32)
               : ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) ? *p : '_';
        s_set_str(env, name, text);
        free(name);
        free(text);
    }
    pk_value_object_set(plan, "env", env);
    if (job->timeout_ms)
        s_set_num(plan, "timeout_ms", (double) job->timeout_ms);
    pk_value_object_set(plan, "steps", s_steps(&c, &job->plan));
    // job hooks: the same flattening as a step's
    pk_step_t fake;
    memset(&fake, 0, sizeof fake);
    for (int k = PK_HOOK_ON_SUCCESS; k <= PK_HOOK_ENSURE; k++)
        fake.hooks[k] = job->hooks[k];
    pk_value_t *holder = pk_value_new_object();
    s_common(&c, holder, &fake);
    const pk_value_t *hooks = pk_value_object_get(holder, "hooks");
    if (hooks)
        pk_value_object_set(plan, "hooks", pk_value_dup(hooks));
    pk_value_destroy(&holder);
    s_notifications(&c, job, plan);
    s_secrets(&c, plan);
    if (c.err) {
        pk_value_destroy(&plan);
        *err_out = c.err;
        return NULL;
    }
    return plan;
}

pk_value_t *
pk_resolve_check(const pk_pipeline_t *pipeline, const pk_resource_t *resource,
                 const char *pipeline_name, const pk_value_t *last_version, char **err_out)
{
    pk_resolve_build_t none = { 0 };
    s_ctx_t c = { pipeline, &none, NULL };
    const pk_resource_type_t *rt = pk_pipeline_resource_type(pipeline, resource->type);
    pk_value_t *plan = pk_value_new_object();
    s_set_str(plan, "resource", resource->canonical);
    pk_value_t *env = pk_value_new_object();
    s_set_str(env, "BUILD_PIPELINE_NAME", pipeline_name ? pipeline_name : "");
    if (!rt)
        s_fail(&c, "resource \"%s\": unknown type \"%s\"", resource->canonical, resource->type);
    else
    if (s_is_native(rt))
        pk_value_object_set(plan, "native", s_native(rt, resource));
    else
    if (rt->check) {
        pk_value_object_set(plan, "cmd", s_cmd(&c, rt->check, rt->runner));
        s_env_from(env, "param_", resource->params, &rt->params);
    }
    else
        s_fail(&c, "resource \"%s\": type \"%s\" %s", resource->canonical, rt->name,
               rt->source ? "is not available in this version of pikoci" : "has no check command");
    pk_value_object_set(plan, "env", env);
    if (last_version)
        pk_value_object_set(plan, "version", pk_value_dup(last_version));
    if (rt)
        s_cache(plan, resource, rt, pipeline_name, "main");
    s_secrets(&c, plan);
    if (c.err) {
        pk_value_destroy(&plan);
        *err_out = c.err;
        return NULL;
    }
    return plan;
}

static void
s_each_step(const pk_steps_t *steps, pk_step_kind_t kind, pk_resolve_get_fn *fn, void *arg)
{
    for (size_t i = 0; i < steps->count; i++) {
        const pk_step_t *st = steps->items[i];
        if (st->kind == kind)
            fn(st, arg);
        s_each_step(&st->steps, kind, fn, arg);
        for (size_t b = 0; b < st->branch_count; b++)
            s_each_step(&st->branches[b]->steps, kind, fn, arg);
        for (int k = PK_HOOK_ON_SUCCESS; k <= PK_HOOK_ENSURE; k++)
            for (size_t h = 0; h < st->hooks[k].count; h++)
                s_each_step(&st->hooks[k].items[h]->steps, kind, fn, arg);
    }
}

void
pk_resolve_each_step(const pk_job_t *job, pk_step_kind_t kind, pk_resolve_get_fn *fn, void *arg)
{
    s_each_step(&job->plan, kind, fn, arg);
    for (int k = 0; k < PK_HOOK_COUNT; k++)
        for (size_t h = 0; h < job->hooks[k].count; h++)
            s_each_step(&job->hooks[k].items[h]->steps, kind, fn, arg);
}

void
pk_resolve_each_get(const pk_job_t *job, pk_resolve_get_fn *fn, void *arg)
{
    pk_resolve_each_step(job, PK_STEP_GET, fn, arg);
}
