// pipeline_types: the five type blocks (resource_type, runner_type,
// secret_type, service_type, notification_type). They share one shape --
// either `source = "pikoci://NAME" | "https://..."` or inline command blocks,
// plus `params` and an optional type-level `runner "NAME" {}` -- so one
// table-driven decoder handles all of them, with a small per-kind tail.
#include "pipeline_internal.h"
#include <stdlib.h>
#include <string.h>

#define S_CMD(name) { name, 1, 1, "runner" }
#define S_END { NULL, 0, 0, NULL }

static const char *const s_rt_attrs[] = { "source", "params", "cache", NULL };
static const pk_block_spec_t s_rt_blocks[] = {
    S_CMD("check"), S_CMD("pull"), S_CMD("push"), S_CMD("runner"), S_END
};
static const char *const s_runner_attrs[] = { "source", NULL };
static const pk_block_spec_t s_runner_blocks[] = { { "run", 0, 0, NULL }, S_END };
static const char *const s_run_attrs[] = { "path", "args", NULL };
static const pk_block_spec_t s_no_blocks[] = { S_END };
static const pk_block_spec_t s_secret_blocks[] = { S_CMD("get"), S_CMD("runner"), S_END };
static const char *const s_svc_attrs[] = { "source", "params", NULL };
static const pk_block_spec_t s_svc_blocks[] = {
    S_CMD("start"), S_CMD("ready_check"), S_CMD("stop"), S_CMD("runner"), S_END
};
static const char *const s_nt_attrs[] = { "source", "params", NULL };
static const pk_block_spec_t s_nt_blocks[] = { S_CMD("notify"), S_CMD("runner"), S_END };
static const char *const s_ready_skip[] = { "interval", "timeout", NULL };
static const char *const s_secret_skip[] = { "source", "params", NULL };

// 1 set (and valid), 0 absent, -1 error.
static int
s_source(pk_dec_t *d, const pk_hcl_body_t *body, char **out)
{
    int rc = pk_dec_string(d, body, "source", out);
    if (rc <= 0)
        return rc;
    const char *s = *out;
    bool ok = (!strncmp(s, "pikoci://", 9) && s[9]) || !strncmp(s, "https://", 8)
              || !strncmp(s, "http://", 7);
    if (ok)
        return 1;
    const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "source");
    pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(a)),
                   "\"source\" must be \"pikoci://NAME\" or an http(s) URL, not \"%s\"", s);
    return -1;
}

// Finds the first definition of `name` among the types already decoded.
static const pk_range_t *
s_existing(pk_dec_t *d, const char *kind, const char *name)
{
    pk_pipeline_t *p = d->p;
    if (!strcmp(kind, "resource_type")) {
        const pk_resource_type_t *t = pk_pipeline_resource_type(p, name);
        return t ? &t->range : NULL;
    }
    if (!strcmp(kind, "runner_type")) {
        const pk_runner_type_t *t = pk_pipeline_runner_type(p, name);
        return t ? &t->range : NULL;
    }
    if (!strcmp(kind, "secret_type")) {
        const pk_secret_type_t *t = pk_pipeline_secret_type(p, name);
        return t ? &t->range : NULL;
    }
    if (!strcmp(kind, "service_type")) {
        const pk_service_type_t *t = pk_pipeline_service_type(p, name);
        return t ? &t->range : NULL;
    }
    const pk_notification_type_t *t = pk_pipeline_notification_type(p, name);
    return t ? &t->range : NULL;
}

// Decodes the command blocks of body: slots[i] receives the block named
// ops[i]. A type with a source must not define commands other than runner.
static void
s_commands(pk_dec_t *d, const pk_hcl_block_t *b, const pk_block_spec_t *spec,
           const char *const *ops, pk_command_t **slots[], bool has_source,
           pk_service_type_t *svc)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *cb = pk_hcl_body_block(body, i);
        if (!pk_dec_block_spec(spec, cb))
            continue;
        const char *op = pk_hcl_block_type(cb);
        for (size_t k = 0; ops[k]; k++) {
            if (strcmp(ops[k], op))
                continue;
            if (*slots[k]) {
                pk_diags_error(d->diags, pk_hcl_block_type_range(cb),
                               "duplicate %s block in %s \"%s\"", op, pk_hcl_block_type(b),
                               pk_hcl_block_label(b, 0));
                break;
            }
            if (has_source && strcmp(op, "runner")) {
                pk_diags_error(d->diags, pk_hcl_block_type_range(cb),
                               "%s \"%s\" has a source, so it cannot also define a %s command",
                               pk_hcl_block_type(b), pk_hcl_block_label(b, 0), op);
                break;
            }
            *slots[k] = pk_dec_command(d, cb, !strcmp(op, "ready_check") ? s_ready_skip : NULL);
            if (!strcmp(op, "ready_check") && *slots[k] && svc) {
                // interval/timeout belong to the service, not to the command
                pk_dec_duration(d, pk_hcl_block_body(cb), "interval", &svc->ready_interval_ms);
                pk_dec_duration(d, pk_hcl_block_body(cb), "timeout", &svc->ready_timeout_ms);
            }
            break;
        }
    }
}

static void
s_missing(pk_dec_t *d, const pk_hcl_block_t *b, const char *what)
{
    pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0), "%s \"%s\" needs %s",
                   pk_hcl_block_type(b), pk_hcl_block_label(b, 0), what);
}

static void
s_resource_type(pk_dec_t *d, const pk_hcl_block_t *b, const pk_hcl_body_t *body)
{
    pk_resource_type_t *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(pk_hcl_block_label(b, 0)))
        || pk_dec_push((void ***) &d->p->resource_types, &d->p->resource_type_count, t)) {
        if (t)
            free(t->name);
        free(t);
        return;
    }
    t->range = pk_hcl_block_range(b);
    bool src = s_source(d, body, &t->source) != 0;
    pk_dec_strlist(d, body, "params", &t->params);
    pk_dec_bool(d, body, "cache", &t->cache);
    static const char *const ops[] = { "check", "pull", "push", "runner", NULL };
    pk_command_t **slots[] = { &t->check, &t->pull, &t->push, &t->runner };
    s_commands(d, b, s_rt_blocks, ops, slots, src, NULL);
    if (!src && !t->check && !t->pull && !t->push)
        s_missing(d, b, "a source or at least one of check, pull, push");
}

static void
s_runner_type(pk_dec_t *d, const pk_hcl_block_t *b, const pk_hcl_body_t *body)
{
    pk_runner_type_t *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(pk_hcl_block_label(b, 0)))
        || pk_dec_push((void ***) &d->p->runner_types, &d->p->runner_type_count, t)) {
        if (t)
            free(t->name);
        free(t);
        return;
    }
    t->range = pk_hcl_block_range(b);
    bool src = s_source(d, body, &t->source) != 0;
    bool run = false;
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *rb = pk_hcl_body_block(body, i);
        if (!pk_dec_block_spec(s_runner_blocks, rb))
            continue;
        if (run || src) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(rb), run
                           ? "duplicate run block in runner_type \"%s\""
                           : "runner_type \"%s\" has a source, so it cannot also define run",
                           t->name);
            continue;
        }
        run = true;
        const pk_hcl_body_t *rbody = pk_hcl_block_body(rb);
        char *where = pk_dec_where(rb);
        pk_dec_check_body(d, rbody, where, s_run_attrs, s_no_blocks);
        free(where);
        pk_dec_string(d, rbody, "path", &t->run_path);
        pk_dec_strlist(d, rbody, "args", &t->run_args);
    }
    if (!src && !run)
        s_missing(d, b, "a source or a run block");
}

static void
s_secret_type(pk_dec_t *d, const pk_hcl_block_t *b, const pk_hcl_body_t *body)
{
    pk_secret_type_t *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(pk_hcl_block_label(b, 0)))
        || pk_dec_push((void ***) &d->p->secret_types, &d->p->secret_type_count, t)) {
        if (t)
            free(t->name);
        free(t);
        return;
    }
    t->range = pk_hcl_block_range(b);
    bool src = s_source(d, body, &t->source) != 0;
    pk_dec_strlist(d, body, "params", &t->params);
    t->config = pk_dec_attrs_object(d, body, s_secret_skip, false);
    static const char *const ops[] = { "get", "runner", NULL };
    pk_command_t **slots[] = { &t->get, &t->runner };
    s_commands(d, b, s_secret_blocks, ops, slots, src, NULL);
    if (!src && !t->get)
        s_missing(d, b, "a source or a get command");
}

static void
s_service_type(pk_dec_t *d, const pk_hcl_block_t *b, const pk_hcl_body_t *body)
{
    pk_service_type_t *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(pk_hcl_block_label(b, 0)))
        || pk_dec_push((void ***) &d->p->service_types, &d->p->service_type_count, t)) {
        if (t)
            free(t->name);
        free(t);
        return;
    }
    t->range = pk_hcl_block_range(b);
    t->ready_interval_ms = 1000;
    t->ready_timeout_ms = 60000;
    bool src = s_source(d, body, &t->source) != 0;
    pk_dec_strlist(d, body, "params", &t->params);
    static const char *const ops[] = { "start", "ready_check", "stop", "runner", NULL };
    pk_command_t **slots[] = { &t->start, &t->ready_check, &t->stop, &t->runner };
    s_commands(d, b, s_svc_blocks, ops, slots, src, t);
    if (!src && !t->start)
        s_missing(d, b, "a start command (or a source)");
    if (!src && !t->stop)
        s_missing(d, b, "a stop command (or a source)");
}

static void
s_notification_type(pk_dec_t *d, const pk_hcl_block_t *b, const pk_hcl_body_t *body)
{
    pk_notification_type_t *t = calloc(1, sizeof *t);
    if (!t || !(t->name = strdup(pk_hcl_block_label(b, 0)))
        || pk_dec_push((void ***) &d->p->notification_types, &d->p->notification_type_count,
                       t)) {
        if (t)
            free(t->name);
        free(t);
        return;
    }
    t->range = pk_hcl_block_range(b);
    bool src = s_source(d, body, &t->source) != 0;
    pk_dec_strlist(d, body, "params", &t->params);
    static const char *const ops[] = { "notify", "runner", NULL };
    pk_command_t **slots[] = { &t->notify, &t->runner };
    s_commands(d, b, s_nt_blocks, ops, slots, src, NULL);
    if (!src && !t->notify)
        s_missing(d, b, "a source or a notify command");
}

void
pk_dec_type_definition(pk_dec_t *d, const char *kind, void *type, const pk_hcl_block_t *def)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(def);
    char *where = pk_dec_where(def);
    if (!strcmp(kind, "resource_type")) {
        pk_resource_type_t *t = type;
        pk_dec_check_body(d, body, where, s_rt_attrs, s_rt_blocks);
        if (!t->params.count)
            pk_dec_strlist(d, body, "params", &t->params);
        if (!t->cache)
            pk_dec_bool(d, body, "cache", &t->cache);
        static const char *const ops[] = { "check", "pull", "push", "runner", NULL };
        pk_command_t *runner = NULL;
        pk_command_t **slots[] = { &t->check, &t->pull, &t->push, t->runner ? &runner : &t->runner };
        s_commands(d, def, s_rt_blocks, ops, slots, false, NULL);
        pk_command_destroy(&runner);    // the pipeline's own override wins
    }
    else
    if (!strcmp(kind, "notification_type")) {
        pk_notification_type_t *t = type;
        pk_dec_check_body(d, body, where, s_nt_attrs, s_nt_blocks);
        if (!t->params.count)
            pk_dec_strlist(d, body, "params", &t->params);
        static const char *const ops[] = { "notify", "runner", NULL };
        pk_command_t *runner = NULL;
        pk_command_t **slots[] = { &t->notify, t->runner ? &runner : &t->runner };
        s_commands(d, def, s_nt_blocks, ops, slots, false, NULL);
        pk_command_destroy(&runner);
    }
    else
    if (!strcmp(kind, "service_type")) {
        pk_service_type_t *t = type;
        pk_dec_check_body(d, body, where, s_svc_attrs, s_svc_blocks);
        if (!t->params.count)
            pk_dec_strlist(d, body, "params", &t->params);
        static const char *const ops[] = { "start", "ready_check", "stop", "runner", NULL };
        pk_command_t *runner = NULL;
        pk_command_t **slots[] = { &t->start, &t->ready_check, &t->stop,
                                   t->runner ? &runner : &t->runner };
        s_commands(d, def, s_svc_blocks, ops, slots, false, t);
        pk_command_destroy(&runner);
    }
    else
    if (!strcmp(kind, "secret_type")) {
        pk_secret_type_t *t = type;
        if (!t->params.count)
            pk_dec_strlist(d, body, "params", &t->params);
        static const char *const ops[] = { "get", "runner", NULL };
        pk_command_t *runner = NULL;
        pk_command_t **slots[] = { &t->get, t->runner ? &runner : &t->runner };
        s_commands(d, def, s_secret_blocks, ops, slots, false, NULL);
        pk_command_destroy(&runner);
    }
    free(where);
}

void
pk_dec_type_block(pk_dec_t *d, const pk_hcl_block_t *b)
{
    const char *kind = pk_hcl_block_type(b);
    const char *name = pk_hcl_block_label(b, 0);
    const pk_range_t *prev = s_existing(d, kind, name);
    if (prev) {
        pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0),
                       "duplicate %s \"%s\" (first defined at line %d)", kind, name,
                       prev->start.line);
        return;
    }
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *where = pk_dec_where(b);
    if (!strcmp(kind, "resource_type")) {
        pk_dec_check_body(d, body, where, s_rt_attrs, s_rt_blocks);
        s_resource_type(d, b, body);
    }
    else if (!strcmp(kind, "runner_type")) {
        pk_dec_check_body(d, body, where, s_runner_attrs, s_runner_blocks);
        s_runner_type(d, b, body);
    }
    else if (!strcmp(kind, "secret_type")) {
        pk_dec_check_body(d, body, where, NULL, s_secret_blocks);
        s_secret_type(d, b, body);
    }
    else if (!strcmp(kind, "service_type")) {
        pk_dec_check_body(d, body, where, s_svc_attrs, s_svc_blocks);
        s_service_type(d, b, body);
    }
    else {
        pk_dec_check_body(d, body, where, s_nt_attrs, s_nt_blocks);
        s_notification_type(d, b, body);
    }
    free(where);
}

void
pk_dec_types_destroy(pk_pipeline_t *p)
{
    for (size_t i = 0; i < p->resource_type_count; i++) {
        pk_resource_type_t *t = p->resource_types[i];
        free(t->name);
        free(t->source);
        pk_strlist_clear(&t->params);
        pk_command_destroy(&t->check);
        pk_command_destroy(&t->pull);
        pk_command_destroy(&t->push);
        pk_command_destroy(&t->runner);
        free(t);
    }
    for (size_t i = 0; i < p->runner_type_count; i++) {
        pk_runner_type_t *t = p->runner_types[i];
        free(t->name);
        free(t->source);
        free(t->run_path);
        pk_strlist_clear(&t->run_args);
        free(t);
    }
    for (size_t i = 0; i < p->secret_type_count; i++) {
        pk_secret_type_t *t = p->secret_types[i];
        free(t->name);
        free(t->source);
        pk_strlist_clear(&t->params);
        pk_value_destroy(&t->config);
        pk_command_destroy(&t->get);
        pk_command_destroy(&t->runner);
        free(t);
    }
    for (size_t i = 0; i < p->service_type_count; i++) {
        pk_service_type_t *t = p->service_types[i];
        free(t->name);
        free(t->source);
        pk_strlist_clear(&t->params);
        pk_command_destroy(&t->start);
        pk_command_destroy(&t->ready_check);
        pk_command_destroy(&t->stop);
        pk_command_destroy(&t->runner);
        free(t);
    }
    for (size_t i = 0; i < p->notification_type_count; i++) {
        pk_notification_type_t *t = p->notification_types[i];
        free(t->name);
        free(t->source);
        pk_strlist_clear(&t->params);
        pk_command_destroy(&t->notify);
        pk_command_destroy(&t->runner);
        free(t);
    }
    free(p->resource_types);
    free(p->runner_types);
    free(p->secret_types);
    free(p->service_types);
    free(p->notification_types);
}
