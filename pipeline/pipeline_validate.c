// pipeline_validate: cross-reference checks, run once every block is
// decoded. Resolves what names refer to -- resource types, runners, secret
// types (adding implicit declarations for built-ins used undeclared),
// resources, notifications, service types, jobs in passed -- and reports
// each miss with a "did you mean". Then checks what needs the whole graph:
// an upstream job in `passed` must itself get the resource, and passed
// dependencies must not form a cycle.
#include "pipeline_internal.h"
#include "pk_suggest.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_builtin_runners[] = { "exec", "shell", "docker", NULL };
static const char *const s_builtin_resource_types[] = {
    "git", "cron", "fs", "trigger", "artifact", NULL
};
// pikoci: the server's own secret store (pikoci secrets set), needs no secret_type
static const char *const s_builtin_secret_types[] = { "file", "pikoci", NULL };

// Params each built-in resource type passes on (PikoCI's definitions).
static const struct {
    const char *type;
    const char *params[10];
} s_builtin_params[] = {
    { "git", { "url", "branch", "name", "token", "pr", "tag", "provider", "api_url", "repository",
               NULL } },
    { "cron", { NULL } },
    { "fs", { "path", NULL } },
    { "artifact", { "dir", "base_dir", NULL } },
    { "trigger", { NULL } },
};

static bool
s_in(const char *const *names, const char *name)
{
    for (; *names; names++)
        if (!strcmp(*names, name))
            return true;
    return false;
}

// Candidates for "did you mean": a NULL-terminated array built from the
// model (borrowed strings) plus a static list; caller frees the array.
#define S_MAX_CANDIDATES 1000    // beyond this, "did you mean" costs more than it helps

static const char **
s_names(void **items, size_t count, size_t offset, const char *const *extra)
{
    if (count > S_MAX_CANDIDATES)
        return NULL;
    size_t nextra = 0;
    while (extra && extra[nextra])
        nextra++;
    const char **names = calloc(count + nextra + 1, sizeof *names);
    for (size_t i = 0; names && i < count; i++)
        names[i] = *(const char **) ((const char *) items[i] + offset);
    for (size_t i = 0; names && i < nextra; i++)
        names[count + i] = extra[i];
    return names;
}

static void
s_undefined(pk_dec_t *d, pk_range_t r, const char *what, const char *name, const char **names,
            const char *suffix)
{
    const char *hint = names ? pk_suggest(name, names) : NULL;
    if (hint)
        pk_diags_error(d->diags, r, "undefined %s \"%s\"%s; did you mean \"%s\"?", what, name,
                       suffix, hint);
    else
        pk_diags_error(d->diags, r, "undefined %s \"%s\"%s", what, name, suffix);
    free(names);
}

static char *
s_pikoci_source(const char *name)
{
    return pk_dec_fmt("pikoci://%s", name);
}

static void
s_check_resource_types(pk_dec_t *d)
{
    pk_pipeline_t *p = d->p;
    for (size_t i = 0; i < p->resource_count; i++) {
        pk_resource_t *r = p->resources[i];
        if (pk_pipeline_resource_type(p, r->type))
            continue;
        if (!s_in(s_builtin_resource_types, r->type)) {
            s_undefined(d, r->type_range, "resource type", r->type,
                        s_names((void **) p->resource_types, p->resource_type_count,
                                offsetof(pk_resource_type_t, name), s_builtin_resource_types),
                        "");
            continue;
        }
        pk_resource_type_t *t = calloc(1, sizeof *t);
        if (!t || pk_dec_push((void ***) &p->resource_types, &p->resource_type_count, t)) {
            free(t);
            return;
        }
        t->name = strdup(r->type);
        t->source = s_pikoci_source(r->type);
        t->implicit = true;
        t->range = r->type_range;
        t->cache = !strcmp(r->type, "git") || !strcmp(r->type, "artifact");
        for (size_t k = 0; k < sizeof s_builtin_params / sizeof s_builtin_params[0]; k++)
            if (!strcmp(s_builtin_params[k].type, r->type))
                for (size_t j = 0; s_builtin_params[k].params[j]; j++)
                    pk_strlist_add(&t->params, s_builtin_params[k].params[j]);
    }
    // A param the type does not declare never reaches $param_*: likely a typo.
    for (size_t i = 0; i < p->resource_count; i++) {
        pk_resource_t *r = p->resources[i];
        const pk_resource_type_t *t = pk_pipeline_resource_type(p, r->type);
        if (!t || (t->source && !t->implicit))
            continue;   // remote definitions declare their params elsewhere
        for (size_t k = 0; k < pk_value_len(r->params); k++) {
            const char *key = pk_value_object_key(r->params, k);
            if (pk_strlist_has(&t->params, key))
                continue;
            const char *hint = t->params.count
                               ? pk_suggest(key, (const char *const *) t->params.items) : NULL;
            if (hint)
                pk_diags_warning(d->diags, r->range, "resource type \"%s\" does not take param "
                                 "\"%s\"; did you mean \"%s\"?", t->name, key, hint);
            else
                pk_diags_warning(d->diags, r->range, "resource type \"%s\" does not take param "
                                 "\"%s\"", t->name, key);
        }
    }
}

static void
s_check_secret_types(pk_dec_t *d)
{
    pk_pipeline_t *p = d->p;
    for (size_t i = 0; i < p->variable_count; i++) {
        const pk_variable_t *v = p->variables[i];
        if (!v->secret_type || pk_pipeline_secret_type(p, v->secret_type))
            continue;
        if (!s_in(s_builtin_secret_types, v->secret_type)) {
            s_undefined(d, v->secret_range, "secret type", v->secret_type,
                        s_names((void **) p->secret_types, p->secret_type_count,
                                offsetof(pk_secret_type_t, name), s_builtin_secret_types), "");
            continue;
        }
        pk_secret_type_t *t = calloc(1, sizeof *t);
        if (!t || pk_dec_push((void ***) &p->secret_types, &p->secret_type_count, t)) {
            free(t);
            return;
        }
        t->name = strdup(v->secret_type);
        t->source = s_pikoci_source(v->secret_type);
        t->config = pk_value_new_object();
        t->implicit = true;
        t->range = v->secret_range;
    }
}

// Built-in runners get their required attributes checked; user-defined
// ones take whatever their run block expands.
static void
s_check_command(pk_dec_t *d, const pk_command_t *c)
{
    if (!c)
        return;
    pk_pipeline_t *p = d->p;
    const pk_runner_type_t *rt = pk_pipeline_runner_type(p, c->runner);
    if (!rt) {
        if (!s_in(s_builtin_runners, c->runner)) {
            s_undefined(d, c->runner_range, "runner type", c->runner,
                        s_names((void **) p->runner_types, p->runner_type_count,
                                offsetof(pk_runner_type_t, name), s_builtin_runners), "");
            return;
        }
        pk_runner_type_t *t = calloc(1, sizeof *t);
        if (!t || pk_dec_push((void ***) &p->runner_types, &p->runner_type_count, t)) {
            free(t);
            return;
        }
        t->name = strdup(c->runner);
        t->source = s_pikoci_source(c->runner);
        t->implicit = true;
        t->range = c->runner_range;
        rt = t;
    }
    if (!rt->implicit || !strcmp(c->op, "runner"))
        return;     // a type-level override only adds params to each command
    const pk_value_t *a = c->attrs;
    pk_range_t r = c->runner_range;
    if (!strcmp(c->runner, "shell")) {
        bool cmd = pk_value_object_get(a, "cmd"), file = pk_value_object_get(a, "file");
        if (cmd == file)
            pk_diags_error(d->diags, r, "%s \"shell\" needs exactly one of \"cmd\" or \"file\"",
                           c->op);
    }
    else if (!strcmp(c->runner, "docker")) {
        if (!pk_value_object_get(a, "image"))
            pk_diags_error(d->diags, r, "%s \"docker\" needs an \"image\"", c->op);
        if (!pk_value_object_get(a, "cmd"))
            pk_diags_error(d->diags, r, "%s \"docker\" needs a \"cmd\"", c->op);
    }
}

// A type-level `runner "X" {}` re-routes exec commands; any other runner
// on the type's own commands contradicts it.
static void
s_check_type_commands(pk_dec_t *d, const char *kind, const char *name,
                      const pk_command_t *override, pk_command_t *const *cmds, size_t n)
{
    s_check_command(d, override);
    for (size_t i = 0; i < n; i++) {
        s_check_command(d, cmds[i]);
        if (override && cmds[i] && strcmp(cmds[i]->runner, "exec"))
            pk_diags_error(d->diags, cmds[i]->runner_range,
                           "%s \"%s\" routes its commands through runner \"%s\", so %s must use "
                           "\"exec\", not \"%s\"", kind, name, override->runner, cmds[i]->op,
                           cmds[i]->runner);
    }
}

static void
s_check_types(pk_dec_t *d)
{
    pk_pipeline_t *p = d->p;
    for (size_t i = 0; i < p->resource_type_count; i++) {
        pk_resource_type_t *t = p->resource_types[i];
        pk_command_t *cmds[] = { t->check, t->pull, t->push };
        s_check_type_commands(d, "resource_type", t->name, t->runner, cmds, 3);
    }
    for (size_t i = 0; i < p->secret_type_count; i++) {
        pk_secret_type_t *t = p->secret_types[i];
        s_check_type_commands(d, "secret_type", t->name, t->runner, &t->get, 1);
    }
    for (size_t i = 0; i < p->service_type_count; i++) {
        pk_service_type_t *t = p->service_types[i];
        pk_command_t *cmds[] = { t->start, t->ready_check, t->stop };
        s_check_type_commands(d, "service_type", t->name, t->runner, cmds, 3);
    }
    for (size_t i = 0; i < p->notification_type_count; i++) {
        pk_notification_type_t *t = p->notification_types[i];
        s_check_type_commands(d, "notification_type", t->name, t->runner, &t->notify, 1);
    }
}

static bool
s_is_artifact(const pk_pipeline_t *p, const char *canonical)
{
    const pk_resource_t *r = pk_pipeline_resource(p, canonical);
    const pk_resource_type_t *t = r ? pk_pipeline_resource_type(p, r->type) : NULL;
    if (!r || !t)
        return false;
    return t->source && !strcmp(t->source, "pikoci://artifact");
}

// Whether a job's plan fetches the resource: a get, or a put to an
// artifact (followed by an implicit get in PikoCI).
static bool
s_steps_get(const pk_pipeline_t *p, const pk_steps_t *steps, const char *canonical)
{
    for (size_t i = 0; i < steps->count; i++) {
        const pk_step_t *s = steps->items[i];
        if (s->canonical && !strcmp(s->canonical, canonical)
            && (s->kind == PK_STEP_GET || (s->kind == PK_STEP_PUT && s_is_artifact(p, canonical))))
            return true;
        if (s_steps_get(p, &s->steps, canonical))
            return true;
        for (size_t b = 0; b < s->branch_count; b++)
            if (s_steps_get(p, &s->branches[b]->steps, canonical))
                return true;
    }
    return false;
}

static const char **
s_job_names(const pk_pipeline_t *p)
{
    if (p->job_count > S_MAX_CANDIDATES)
        return NULL;
    const char **names = calloc(2 * p->job_count + 1, sizeof *names);
    for (size_t i = 0; names && i < p->job_count; i++) {
        names[2 * i] = p->jobs[i]->name;
        names[2 * i + 1] = p->jobs[i]->group;
    }
    return names;
}

// Adds the jobs `name` stands for (a job, or every instance of a for_each
// group) to out; false when it names nothing.
static bool
s_expand_job(pk_dec_t *d, const char *name, pk_strlist_t *out)
{
    if (pk_pipeline_job(d->p, name)) {
        if (out && !pk_strlist_has(out, name))
            pk_strlist_add(out, name);
        return true;
    }
    // Instances of a group are decoded one after the other: contiguous.
    bool found = false;
    size_t first = pk_pipeline_find(d->p, PK_INDEX_GROUPS, name);
    for (size_t i = first; i < d->p->job_count; i++) {
        const pk_job_t *j = d->p->jobs[i];
        if (strcmp(j->group, name))
            break;
        if (!j->each)
            continue;
        found = true;
        if (out && !pk_strlist_has(out, j->name))
            pk_strlist_add(out, j->name);
    }
    return found || pk_strlist_has(&d->broken_jobs, name);
}

static void
s_check_passed(pk_dec_t *d, pk_step_t *s)
{
    pk_pipeline_t *p = d->p;
    bool resource_known = pk_pipeline_resource(p, s->canonical) != NULL;
    for (size_t i = 0; i < s->passed.count; i++) {
        const char *name = s->passed.items[i];
        size_t before = s->passed_jobs.count;
        if (!s_expand_job(d, name, &s->passed_jobs)) {
            s_undefined(d, s->passed.range, "job", name, s_job_names(p), " in passed");
            continue;
        }
        for (size_t k = before; resource_known && k < s->passed_jobs.count; k++) {
            const pk_job_t *up = pk_pipeline_job(p, s->passed_jobs.items[k]);
            if (!s_steps_get(p, &up->plan, s->canonical)) {
                pk_diags_error(d->diags, s->passed.range, "job \"%s\" in passed does not get "
                               "resource \"%s\"", name, s->canonical);
                break;
            }
        }
    }
}

static void s_walk_steps(pk_dec_t *d, pk_steps_t *steps);

static void
s_walk_hooks(pk_dec_t *d, pk_hooks_t *hooks, size_t nkinds)
{
    for (size_t k = 0; k < nkinds; k++)
        for (size_t i = 0; i < hooks[k].count; i++) {
            s_check_command(d, hooks[k].items[i]->command);
            s_walk_steps(d, &hooks[k].items[i]->steps);
        }
}

static void
s_check_step(pk_dec_t *d, pk_step_t *s)
{
    pk_pipeline_t *p = d->p;
    switch (s->kind) {
    case PK_STEP_GET:
    case PK_STEP_PUT:
        if (!pk_pipeline_resource(p, s->canonical))
            s_undefined(d, s->label_range, "resource", s->canonical,
                        s_names((void **) p->resources, p->resource_count,
                                offsetof(pk_resource_t, canonical), NULL), "");
        if (s->kind == PK_STEP_GET)
            s_check_passed(d, s);
        break;
    case PK_STEP_NOTIFY:
        if (!pk_pipeline_notification(p, s->canonical))
            s_undefined(d, s->label_range, "notification", s->canonical,
                        s_names((void **) p->notifications, p->notification_count,
                                offsetof(pk_notification_t, canonical), NULL), "");
        break;
    case PK_STEP_SERVICE:
        if (!pk_pipeline_service_type(p, s->type))
            s_undefined(d, s->label_range, "service type", s->type,
                        s_names((void **) p->service_types, p->service_type_count,
                                offsetof(pk_service_type_t, name), NULL), "");
        break;
    case PK_STEP_TASK:
        s_check_command(d, s->run);
        break;
    default:
        break;
    }
}

static void
s_walk_steps(pk_dec_t *d, pk_steps_t *steps)
{
    for (size_t i = 0; i < steps->count; i++) {
        pk_step_t *s = steps->items[i];
        s_check_step(d, s);
        s_walk_hooks(d, s->hooks, PK_HOOK_ENSURE + 1);
        s_walk_steps(d, &s->steps);
        for (size_t b = 0; b < s->branch_count; b++)
            s_walk_steps(d, &s->branches[b]->steps);
    }
}

static void
s_check_notifications(pk_dec_t *d)
{
    pk_pipeline_t *p = d->p;
    for (size_t i = 0; i < p->notification_count; i++) {
        pk_notification_t *n = p->notifications[i];
        if (!pk_pipeline_notification_type(p, n->type))
            s_undefined(d, n->type_range, "notification type", n->type,
                        s_names((void **) p->notification_types, p->notification_type_count,
                                offsetof(pk_notification_type_t, name), NULL), "");
        pk_strlist_t *lists[] = { &n->jobs, &n->exclude };
        for (int l = 0; l < 2; l++)
            for (size_t k = 0; k < lists[l]->count; k++)
                if (!s_expand_job(d, lists[l]->items[k], NULL))
                    s_undefined(d, lists[l]->range, "job", lists[l]->items[k], s_job_names(p),
                                l ? " in exclude" : " in jobs");
    }
}

// passed cycles: job -> upstream job edges, depth-first with colours.
typedef struct {
    size_t from, to;
    const pk_step_t *step;
} s_edge_t;

typedef struct {
    pk_dec_t *d;
    s_edge_t *edges;
    size_t nedges, cap;
    size_t *first;      // per job, index of its first edge (edges are grouped by job)
    int *colour;        // 0 unvisited, 1 on the stack, 2 done
    size_t *stack;
    size_t depth;
} s_graph_t;

static size_t
s_job_index(const pk_pipeline_t *p, const char *name)
{
    size_t i = pk_pipeline_find(p, PK_INDEX_JOBS, name);
    return i == SIZE_MAX ? p->job_count : i;
}

static void
s_collect_edges(s_graph_t *g, size_t from, const pk_steps_t *steps)
{
    for (size_t i = 0; i < steps->count; i++) {
        const pk_step_t *s = steps->items[i];
        for (size_t k = 0; s->kind == PK_STEP_GET && k < s->passed_jobs.count; k++) {
            if (g->nedges == g->cap) {
                size_t ncap = g->cap ? g->cap * 2 : 16;
                s_edge_t *e = realloc(g->edges, ncap * sizeof *e);
                if (!e)
                    return;
                g->edges = e;
                g->cap = ncap;
            }
            g->edges[g->nedges++] = (s_edge_t) {
                from, s_job_index(g->d->p, s->passed_jobs.items[k]), s
            };
        }
        s_collect_edges(g, from, &s->steps);
        for (size_t b = 0; b < s->branch_count; b++)
            s_collect_edges(g, from, &s->branches[b]->steps);
    }
}

static void
s_dfs(s_graph_t *g, size_t v)
{
    pk_pipeline_t *p = g->d->p;
    g->colour[v] = 1;
    g->stack[g->depth++] = v;
    for (size_t e = g->first[v]; e < g->first[v + 1]; e++) {
        size_t to = g->edges[e].to;
        if (to >= p->job_count || g->colour[to] == 2)
            continue;
        if (g->colour[to] == 0) {
            s_dfs(g, to);
            continue;
        }
        char *path = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&path, &len);
        size_t at = 0;
        while (g->stack[at] != to)
            at++;
        for (; f && at < g->depth; at++)
            fprintf(f, "%s -> ", p->jobs[g->stack[at]]->name);
        if (f) {
            fputs(p->jobs[to]->name, f);
            fclose(f);
        }
        pk_diags_error(g->d->diags, g->edges[e].step->passed.range,
                       "passed dependencies form a cycle: %s", path ? path : "?");
        free(path);
    }
    g->depth--;
    g->colour[v] = 2;
}

static void
s_check_cycles(pk_dec_t *d)
{
    pk_pipeline_t *p = d->p;
    s_graph_t g = { .d = d };
    g.first = calloc(p->job_count + 1, sizeof *g.first);
    g.colour = calloc(p->job_count + 1, sizeof *g.colour);
    g.stack = calloc(p->job_count + 1, sizeof *g.stack);
    for (size_t i = 0; g.first && i < p->job_count; i++) {
        g.first[i] = g.nedges;
        s_collect_edges(&g, i, &p->jobs[i]->plan);
    }
    if (g.first)
        g.first[p->job_count] = g.nedges;
    for (size_t i = 0; g.first && g.colour && g.stack && i < p->job_count; i++)
        if (g.colour[i] == 0)
            s_dfs(&g, i);
    free(g.edges);
    free(g.first);
    free(g.colour);
    free(g.stack);
}

void
pk_pipeline_validate(pk_dec_t *d)
{
    pk_pipeline_t *p = d->p;
    s_check_resource_types(d);
    s_check_secret_types(d);
    s_check_types(d);
    s_check_notifications(d);
    for (size_t i = 0; i < p->job_count; i++) {
        s_walk_hooks(d, p->jobs[i]->hooks, PK_HOOK_COUNT);
        s_walk_steps(d, &p->jobs[i]->plan);
    }
    s_check_cycles(d);
}
