// pipeline_steps: plan steps and hooks. A body's blocks are walked in
// source order; step kinds become pk_step_t, and consecutive if / else_if /
// else blocks fold into one PK_STEP_IF step with branches, so the runner
// never has to re-discover chains. Where a step may stand is checked here,
// with a message naming what is allowed (no service or nesting inside
// in_parallel; only task/put/notify in hooks; only notify in on_trigger).
#include "pipeline_internal.h"
#include "pk_suggest.h"
#include <stdlib.h>
#include <string.h>

const char *const pk_dec_hook_names[PK_HOOK_COUNT] = {
    "on_success", "on_failure", "on_cancel", "ensure", "on_trigger"
};

static const pk_block_spec_t s_step_kinds[] = { PK_DEC_STEP_SPECS, { NULL, 0, 0, NULL } };
static const pk_block_spec_t s_hook_only[] = { PK_DEC_HOOK_SPECS, { NULL, 0, 0, NULL } };
static const pk_block_spec_t s_task_blocks[] = {
    { "run", 1, 1, "runner" }, PK_DEC_HOOK_SPECS, { NULL, 0, 0, NULL }
};
static const pk_block_spec_t s_put_blocks[] = {
    { "params", 0, 0, NULL }, PK_DEC_HOOK_SPECS, { NULL, 0, 0, NULL }
};
static const pk_block_spec_t s_parallel_blocks[] = {
    PK_DEC_STEP_SPECS, PK_DEC_HOOK_SPECS, { NULL, 0, 0, NULL }
};
static const pk_block_spec_t s_no_blocks[] = { { NULL, 0, 0, NULL } };
static const char *const s_get_attrs[] = {
    "timeout", "attempts", "trigger", "passed", "version", NULL
};
static const char *const s_task_attrs[] = { "timeout", "attempts", "inputs", "outputs", NULL };
static const char *const s_parallel_attrs[] = {
    "timeout", "attempts", "limit", "fail_fast", NULL
};
static const char *const s_common_attrs[] = { "timeout", "attempts", NULL };
static const char *const s_if_attrs[] = { "condition", NULL };
static const char *const s_none[] = { NULL };

static void s_step_destroy(pk_step_t **self_p);

static void
s_branch_destroy(pk_branch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_branch_t *b = *self_p;
    free(b->name);
    free(b->condition);
    pk_condition_destroy(&b->cond);
    pk_dec_steps_clear(&b->steps);
    free(b);
    *self_p = NULL;
}

void
pk_dec_steps_clear(pk_steps_t *steps)
{
    for (size_t i = 0; i < steps->count; i++)
        s_step_destroy(&steps->items[i]);
    free(steps->items);
    steps->items = NULL;
    steps->count = 0;
}

void
pk_dec_hooks_clear(pk_hooks_t *hooks, size_t nkinds)
{
    for (size_t k = 0; k < nkinds; k++) {
        for (size_t i = 0; i < hooks[k].count; i++) {
            pk_hook_t *h = hooks[k].items[i];
            pk_command_destroy(&h->command);
            pk_dec_steps_clear(&h->steps);
            free(h);
        }
        free(hooks[k].items);
        hooks[k].items = NULL;
        hooks[k].count = 0;
    }
}

static void
s_step_destroy(pk_step_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_step_t *s = *self_p;
    free(s->type);
    free(s->name);
    free(s->canonical);
    pk_dec_hooks_clear(s->hooks, PK_HOOK_ENSURE + 1);
    pk_strlist_clear(&s->passed);
    pk_strlist_clear(&s->passed_jobs);
    pk_command_destroy(&s->run);
    pk_strlist_clear(&s->inputs);
    pk_strlist_clear(&s->outputs);
    pk_value_destroy(&s->attrs);
    pk_dec_steps_clear(&s->steps);
    for (size_t i = 0; i < s->branch_count; i++)
        s_branch_destroy(&s->branches[i]);
    free(s->branches);
    free(s);
    *self_p = NULL;
}

void
pk_dec_hooks(pk_dec_t *d, const pk_hcl_body_t *body, pk_hooks_t *hooks, size_t nkinds)
{
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *b = pk_hcl_body_block(body, i);
        size_t k = 0;
        while (k < nkinds && strcmp(pk_hcl_block_type(b), pk_dec_hook_names[k]))
            k++;
        size_t labels = pk_hcl_block_label_count(b);
        if (k == nkinds || labels > (k == PK_HOOK_ON_TRIGGER ? 0u : 1u))
            continue;   // not a hook, or a label error already reported
        pk_hook_t *h = calloc(1, sizeof *h);
        if (!h || pk_dec_push((void ***) &hooks[k].items, &hooks[k].count, h)) {
            free(h);
            return;
        }
        h->range = pk_hcl_block_range(b);
        if (labels == 1) {
            h->command = pk_dec_command(d, b, NULL);
            continue;
        }
        char *where = pk_dec_where(b);
        pk_dec_check_body(d, pk_hcl_block_body(b), where, s_none, s_step_kinds);
        free(where);
        pk_dec_steps(d, pk_hcl_block_body(b),
                     k == PK_HOOK_ON_TRIGGER ? PK_STEPS_TRIGGER : PK_STEPS_HOOK, &h->steps);
    }
}

// Free-form bodies (put, notify, service) pass every attribute on; warn when
// one looks like a misspelt step attribute, since it would be passed silently.
static void
s_near_misses(pk_dec_t *d, const pk_hcl_body_t *body, const char *what)
{
    for (size_t i = 0; i < pk_hcl_body_attr_count(body); i++) {
        const pk_hcl_attr_t *a = pk_hcl_body_attr(body, i);
        const char *name = pk_hcl_attr_name(a);
        const char *hint = pk_suggest(name, s_common_attrs);
        if (hint && strcmp(hint, name))
            pk_diags_warning(d->diags, pk_hcl_attr_name_range(a),
                             "\"%s\" is passed to the %s as a parameter; did you mean \"%s\"?",
                             name, what, hint);
    }
}

static void
s_common(pk_dec_t *d, pk_step_t *s, const pk_hcl_body_t *body)
{
    s->attempts = 1;
    pk_dec_duration(d, body, "timeout", &s->timeout_ms);
    pk_dec_int(d, body, "attempts", 1, &s->attempts);
    pk_dec_hooks(d, body, s->hooks, PK_HOOK_ENSURE + 1);
}

static void
s_task(pk_dec_t *d, pk_step_t *s, const pk_hcl_block_t *b, const pk_hcl_body_t *body)
{
    bool any = false;   // a run block with bad labels was already reported
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *rb = pk_hcl_body_block(body, i);
        if (strcmp(pk_hcl_block_type(rb), "run"))
            continue;
        any = true;
        if (pk_hcl_block_label_count(rb) != 1)
            continue;
        if (s->run) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(rb),
                           "task \"%s\" has more than one run block", s->name);
            continue;
        }
        s->run = pk_dec_command(d, rb, NULL);
    }
    if (!any)
        pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0),
                       "task \"%s\" needs a run block, e.g. run \"shell\" { cmd = \"...\" }",
                       s->name);
    pk_dec_strlist(d, body, "inputs", &s->inputs);
    pk_dec_strlist(d, body, "outputs", &s->outputs);
}

// put: attributes plus an optional nested params {} block, merged.
static void
s_put_attrs(pk_dec_t *d, pk_step_t *s, const pk_hcl_body_t *body)
{
    s->attrs = pk_dec_attrs_object(d, body, s_common_attrs, false);
    for (size_t i = 0; s->attrs && i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *pb = pk_hcl_body_block(body, i);
        if (strcmp(pk_hcl_block_type(pb), "params") || pk_hcl_block_label_count(pb))
            continue;
        pk_dec_check_body(d, pk_hcl_block_body(pb), "the params of a put", NULL, s_no_blocks);
        pk_value_t *params = pk_dec_attrs_object(d, pk_hcl_block_body(pb), NULL, false);
        for (size_t k = 0; params && k < pk_value_len(params); k++) {
            const char *key = pk_value_object_key(params, k);
            if (pk_value_object_get(s->attrs, key))
                pk_diags_error(d->diags, pk_hcl_block_type_range(pb),
                               "\"%s\" is set both as an attribute and in params", key);
            else
                pk_value_object_set(s->attrs, key, pk_value_dup(pk_value_object_at(params, k)));
        }
        pk_value_destroy(&params);
    }
}

static pk_branch_t *
s_branch(pk_dec_t *d, const pk_hcl_block_t *b, bool is_else)
{
    pk_branch_t *br = calloc(1, sizeof *br);
    if (!br)
        return NULL;
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *where = pk_dec_where(b);
    pk_dec_check_body(d, body, where, is_else ? s_none : s_if_attrs, s_step_kinds);
    br->range = pk_hcl_block_range(b);
    if (!is_else) {
        br->name = strdup(pk_hcl_block_label(b, 0));
        int rc = pk_dec_string(d, body, "condition", &br->condition);
        if (rc == 0)
            pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0), "%s needs a condition",
                           where ? where : "if");
        if (rc > 0) {
            char *err = NULL;
            br->cond = pk_condition_new(br->condition, &err);
            if (!br->cond) {
                const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "condition");
                pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(a)),
                               "invalid condition in %s: %s", where ? where : "if",
                               err ? err : "?");
                free(err);
            }
        }
    }
    free(where);
    pk_dec_steps(d, body, PK_STEPS_PLAN, &br->steps);
    return br;
}

// The plan step kinds allowed in each context, for the error message too.
static const char *
s_disallowed(pk_steps_ctx_t ctx, const char *kind)
{
    static const char *const parallel_ok[] = { "get", "task", "put", "notify", NULL };
    static const char *const hook_ok[] = { "task", "put", "notify", NULL };
    const char *const *ok = ctx == PK_STEPS_PARALLEL ? parallel_ok
                          : ctx == PK_STEPS_HOOK ? hook_ok : NULL;
    if (ctx == PK_STEPS_TRIGGER)
        return strcmp(kind, "notify") ? "in on_trigger (only notify steps)" : NULL;
    for (size_t i = 0; ok && ok[i]; i++)
        if (!strcmp(ok[i], kind))
            return NULL;
    if (ctx == PK_STEPS_PARALLEL)
        return "inside in_parallel (only get, task, put and notify)";
    if (ctx == PK_STEPS_HOOK)
        return "in a hook (only task, put and notify)";
    return NULL;
}

static pk_range_t
s_label_range(const pk_hcl_block_t *b)
{
    size_t n = pk_hcl_block_label_count(b);
    if (n == 0)
        return pk_hcl_block_type_range(b);
    pk_range_t r = pk_hcl_block_label_range(b, 0);
    r.end = pk_hcl_block_label_range(b, n - 1).end;
    return r;
}

// `version = "every"` (Concourse's opt-in: every new version triggers a
// build) or "latest" (the default: a trigger builds only the newest; the
// scheduler's default for a git pr = true resource is every, each version
// being another pull request).
static void
s_get_version(pk_dec_t *d, pk_step_t *s, const pk_hcl_body_t *body, const char *where)
{
    char *v = NULL;
    if (pk_dec_string(d, body, "version", &v) > 0) {
        if (!strcmp(v, "every"))
            s->every_version = true;
        else
        if (!strcmp(v, "latest"))
            s->latest_version = true;
        else {
            const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "version");
            pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(a)),
                           "version of %s must be \"every\" or \"latest\", not \"%s\"",
                           where, v);
        }
    }
    free(v);
}

static pk_step_t *
s_step(pk_dec_t *d, const pk_hcl_block_t *b, const char *kind)
{
    pk_step_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *where = pk_dec_where(b);
    s->range = pk_hcl_block_range(b);
    s->label_range = s_label_range(b);
    s->attempts = 1;
    if (!strcmp(kind, "get") || !strcmp(kind, "put") || !strcmp(kind, "notify")) {
        s->kind = kind[0] == 'g' ? PK_STEP_GET : kind[0] == 'p' ? PK_STEP_PUT : PK_STEP_NOTIFY;
        s->type = strdup(pk_hcl_block_label(b, 0));
        s->name = strdup(pk_hcl_block_label(b, 1));
        s->canonical = pk_dec_fmt("%s.%s", s->type, s->name);
    }
    else if (strcmp(kind, "in_parallel"))
        s->name = strdup(pk_hcl_block_label(b, 0));
    if (!strcmp(kind, "get")) {
        pk_dec_check_body(d, body, where, s_get_attrs, s_hook_only);
        pk_dec_bool(d, body, "trigger", &s->trigger);
        pk_dec_strlist(d, body, "passed", &s->passed);
        s_get_version(d, s, body, where);
    }
    else if (!strcmp(kind, "task")) {
        s->kind = PK_STEP_TASK;
        pk_dec_check_body(d, body, where, s_task_attrs, s_task_blocks);
        s_task(d, s, b, body);
    }
    else if (!strcmp(kind, "put")) {
        pk_dec_check_body(d, body, where, NULL, s_put_blocks);
        s_near_misses(d, body, "put");
        s_put_attrs(d, s, body);
    }
    else if (!strcmp(kind, "notify") || !strcmp(kind, "service")) {
        if (kind[0] == 's') {
            s->kind = PK_STEP_SERVICE;
            s->type = strdup(s->name);
        }
        pk_dec_check_body(d, body, where, NULL, s_hook_only);
        s_near_misses(d, body, kind);
        s->attrs = pk_dec_attrs_object(d, body, s_common_attrs, false);
    }
    else {
        s->kind = PK_STEP_IN_PARALLEL;
        pk_dec_check_body(d, body, where, s_parallel_attrs, s_parallel_blocks);
        pk_dec_int(d, body, "limit", 0, &s->limit);
        pk_dec_bool(d, body, "fail_fast", &s->fail_fast);
        pk_dec_steps(d, body, PK_STEPS_PARALLEL, &s->steps);
    }
    free(where);
    s_common(d, s, body);
    return s;
}

// Tasks of one step list share an env prefix ($TASK_<NAME>_*): names must differ.
static void
s_check_sibling(pk_dec_t *d, const pk_steps_t *out, pk_name_index_t *tasks)
{
    const pk_step_t *s = out->items[out->count - 1];
    size_t first;
    if (s->kind != PK_STEP_TASK || !s->name)
        return;
    if (pk_name_index_get(tasks, s->name, &first))
        pk_diags_error(d->diags, s->range,
                       "duplicate task \"%s\" in the same plan (first defined at line %d)",
                       s->name, out->items[first]->range.start.line);
    else
        pk_name_index_put(tasks, s->name, out->count - 1);
}

void
pk_dec_steps(pk_dec_t *d, const pk_hcl_body_t *body, pk_steps_ctx_t ctx, pk_steps_t *out)
{
    pk_step_t *chain = NULL;    // the IF step an else_if/else may extend
    pk_name_index_t tasks = { 0 };
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *b = pk_hcl_body_block(body, i);
        const char *kind = pk_hcl_block_type(b);
        const pk_block_spec_t *spec = pk_dec_block_spec(s_step_kinds, b);
        if (!spec) {
            bool is_step = false;
            for (size_t k = 0; s_step_kinds[k].name; k++)
                is_step = is_step || !strcmp(s_step_kinds[k].name, kind);
            if (is_step)
                chain = NULL;   // a step with bad labels still ends a chain
            continue;
        }
        const char *bad = s_disallowed(ctx, kind);
        if (bad) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(b), "%s is not allowed %s", kind, bad);
            chain = NULL;
            continue;
        }
        bool is_if = !strcmp(kind, "if"), is_else = !strcmp(kind, "else");
        if (is_if || is_else || !strcmp(kind, "else_if")) {
            if (!is_if && !chain) {
                pk_diags_error(d->diags, pk_hcl_block_type_range(b),
                               "%s without a preceding if or else_if", kind);
                continue;
            }
            pk_branch_t *br = s_branch(d, b, is_else);
            pk_step_t *s = chain;
            if (is_if && br) {
                s = calloc(1, sizeof *s);
                if (!s || pk_dec_push((void ***) &out->items, &out->count, s)) {
                    free(s);
                    s_branch_destroy(&br);
                    break;
                }
                s->kind = PK_STEP_IF;
                s->attempts = 1;
                s->name = strdup(br->name);
                s->range = br->range;
                s->label_range = s_label_range(b);
            }
            if (br && s && pk_dec_push((void ***) &s->branches, &s->branch_count, br))
                s_branch_destroy(&br);
            chain = is_else ? NULL : s;
            continue;
        }
        chain = NULL;
        pk_step_t *s = s_step(d, b, kind);
        if (!s || pk_dec_push((void ***) &out->items, &out->count, s)) {
            s_step_destroy(&s);
            break;
        }
        s_check_sibling(d, out, &tasks);
    }
    pk_name_index_clear(&tasks);
}
