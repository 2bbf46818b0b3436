// pipeline_jobs: `job` blocks. A job with for_each (a set or a map; a raw
// list is refused, as in PikoCI) or a matrix (cartesian product of its axes,
// sorted by axis name, keys like "1-21-linux") becomes one pk_job_t per
// instance, named "job--slug(key)" and decoded with `each = {key, value}` in
// scope. The body is decoded once per instance because values differ; the
// diagnostics of instances after the first are merged without duplicates
// so a typo inside a for_each job is reported once, not once per instance.
#include "pipeline_internal.h"
#include "pk_slug.h"
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_TAGS 10
#define S_MAX_INSTANCES 1000    // per for_each/matrix job
#define S_MAX_JOBS 10000        // per pipeline: keeps hostile files cheap to validate

static const char *const s_job_attrs[] = {
    "concurrency", "serial_groups", "timeout", "tags", "interruptible", "allow_failure",
    "disable_retry", "for_each", NULL
};
static const pk_block_spec_t s_job_blocks[] = {
    PK_DEC_STEP_SPECS, PK_DEC_HOOK_SPECS, { "on_trigger", 0, 0, NULL },
    { "matrix", 0, 0, NULL }, { "approve", 1, 1, "label" }, { "input", 1, 1, "name" },
    { "build_log_retention", 0, 0, NULL }, { NULL, 0, 0, NULL }
};
static const pk_block_spec_t s_no_blocks[] = { { NULL, 0, 0, NULL } };
static const char *const s_approve_attrs[] = { "approvals", "self_approve", NULL };
static const char *const s_retention_attrs[] = {
    "builds", "days", "minimum_succeeded_builds", NULL
};
static const char *const s_input_attrs[] = { "type", "default", "options", "multiple", NULL };
static const char *const s_input_types[] = { "string", "number", "bool", NULL };

typedef struct {
    char *key;
    char *slug;
    pk_value_t *each;   // { key, value }
} s_instance_t;

char *
pk_pipeline_slug(const char *key)
{
    return pk_slug(key);
}

// A name that is not a slug could not be addressed as P/J or P/R, and could
// carry '/', '..' or escape sequences into paths, logs and terminals.
void
pk_dec_check_name(pk_dec_t *d, const char *what, const char *name, pk_range_t range)
{
    if (pk_slug_valid(name))
        return;
    char *slug = pk_slug(name), *shown = pk_slug_printable(name);
    bool hint = slug && *slug && strlen(slug) <= PK_SLUG_MAX;
    pk_diags_error(d->diags, range, "%s \"%s\" is not allowed: a name is " PK_SLUG_RULE
                   "%s%s%s", what, shown ? shown : "?", hint ? " (did you mean \"" : "",
                   hint ? slug : "", hint ? "\"?)" : "");
    free(slug);
    free(shown);
}

void
pk_dec_check_tags(pk_dec_t *d, const char *owner, const pk_strlist_t *tags)
{
    for (size_t i = 0; i < tags->count; i++)
        if (!pk_slug_valid(tags->items[i])) {
            char *what = pk_dec_fmt("tag of %s", owner);
            pk_dec_check_name(d, what ? what : "tag", tags->items[i], tags->range);
            free(what);
            return;
        }
}

static int
s_instance_cmp(const void *a, const void *b)
{
    return strcmp(((const s_instance_t *) a)->key, ((const s_instance_t *) b)->key);
}

static int
s_add_instance(s_instance_t **list, size_t *n, const char *key, pk_value_t *value)
{
    s_instance_t *grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        pk_value_destroy(&value);
        return -1;
    }
    *list = grown;
    s_instance_t *in = &grown[(*n)++];
    in->key = strdup(key);
    in->slug = pk_pipeline_slug(key);
    in->each = pk_value_new_object();
    pk_value_object_set(in->each, "key", pk_value_new_string(key));
    pk_value_object_set(in->each, "value", value);
    return 0;
}

static void
s_instances_free(s_instance_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].key);
        free(list[i].slug);
        pk_value_destroy(&list[i].each);
    }
    free(list);
}

static int
s_for_each(pk_dec_t *d, const pk_hcl_attr_t *a, s_instance_t **list, size_t *n)
{
    pk_value_t *v = pk_dec_eval(d, a);
    if (!v)
        return -1;
    pk_range_t r = pk_hcl_expr_range(pk_hcl_attr_expr(a));
    int rc = 0;
    if (pk_value_kind(v) == PK_V_OBJECT) {
        for (size_t i = 0; i < pk_value_len(v); i++)
            s_add_instance(list, n, pk_value_object_key(v, i),
                           pk_value_dup(pk_value_object_at(v, i)));
    }
    else if (pk_value_kind(v) == PK_V_LIST && pk_value_is_set(v)) {
        for (size_t i = 0; i < pk_value_len(v) && rc == 0; i++) {
            char *key = pk_dec_to_string(pk_value_list_at(v, i));
            if (!key) {
                pk_diags_error(d->diags, r, "the elements of a for_each set must be strings");
                rc = -1;
            }
            else
                s_add_instance(list, n, key, pk_value_new_string(key));
            free(key);
        }
    }
    else {
        char *desc = pk_dec_describe(v);
        pk_diags_error(d->diags, r, "for_each must be a set (use toset([...])) or a map, not %s",
                       desc ? desc : "?");
        free(desc);
        rc = -1;
    }
    pk_value_destroy(&v);
    if (rc == 0 && *n > 1)
        qsort(*list, *n, sizeof **list, s_instance_cmp);
    return rc;
}

typedef struct {
    const char *name;
    pk_strlist_t values;
} s_axis_t;

static int
s_axis_cmp(const void *a, const void *b)
{
    return strcmp(((const s_axis_t *) a)->name, ((const s_axis_t *) b)->name);
}

// Instance `index` of the product: one value per axis, the last axis fastest.
static void
s_matrix_instance(s_axis_t *axes, size_t naxes, size_t index, s_instance_t **list, size_t *n)
{
    pk_value_t *value = pk_value_new_object();
    char *key = strdup("");
    for (size_t k = naxes; k-- > 0; ) {
        const char *v = axes[k].values.items[index % axes[k].values.count];
        index /= axes[k].values.count;
        pk_value_object_set(value, axes[k].name, pk_value_new_string(v));
        char *slug = pk_pipeline_slug(v);
        char *joined = pk_dec_fmt("%s%s%s", slug ? slug : "", key && *key ? "-" : "",
                                  key ? key : "");
        free(slug);
        free(key);
        key = joined;
    }
    if (key)
        s_add_instance(list, n, key, value);
    else
        pk_value_destroy(&value);
    free(key);
}

static int
s_matrix(pk_dec_t *d, const pk_hcl_block_t *mb, s_instance_t **list, size_t *n)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(mb);
    pk_dec_check_body(d, body, "matrix", NULL, s_no_blocks);
    size_t naxes = pk_hcl_body_attr_count(body);
    if (naxes == 0) {
        pk_diags_error(d->diags, pk_hcl_block_type_range(mb), "matrix has no axes");
        return -1;
    }
    s_axis_t *axes = calloc(naxes, sizeof *axes);
    int rc = axes ? 0 : -1;
    size_t total = 1;
    for (size_t i = 0; rc == 0 && i < naxes; i++) {
        const pk_hcl_attr_t *a = pk_hcl_body_attr(body, i);
        axes[i].name = pk_hcl_attr_name(a);
        if (pk_dec_strlist(d, body, axes[i].name, &axes[i].values) < 0)
            rc = -1;
        else if (axes[i].values.count == 0) {
            pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(a)),
                           "matrix axis \"%s\" is empty", axes[i].name);
            rc = -1;
        }
        else if ((total *= axes[i].values.count) > S_MAX_INSTANCES) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(mb),
                           "matrix expands to more than %d jobs", S_MAX_INSTANCES);
            rc = -1;
        }
    }
    if (rc == 0) {
        qsort(axes, naxes, sizeof *axes, s_axis_cmp);
        for (size_t i = 0; i < total; i++)
            s_matrix_instance(axes, naxes, i, list, n);
    }
    for (size_t i = 0; axes && i < naxes; i++)
        pk_strlist_clear(&axes[i].values);
    free(axes);
    return rc;
}

// 0 when the job is not expanded, 1 with instances, -1 after an error.
// The first job past the limit says so, once; the others are only dropped.
static void
s_too_many_jobs(pk_dec_t *d, pk_range_t r, const pk_hcl_block_t *b)
{
    if (d->too_many_jobs)
        return;
    d->too_many_jobs = true;
    pk_diags_error(d->diags, r, "job \"%s\": a pipeline may hold at most %d jobs (this job "
                   "and every later one are over the limit)", pk_hcl_block_label(b, 0),
                   S_MAX_JOBS);
}

static int
s_expand(pk_dec_t *d, const pk_hcl_block_t *b, s_instance_t **list, size_t *n)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    const pk_hcl_attr_t *fe = pk_hcl_body_attr_find(body, "for_each");
    const pk_hcl_block_t *mb = NULL;
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *x = pk_hcl_body_block(body, i);
        if (strcmp(pk_hcl_block_type(x), "matrix") || pk_hcl_block_label_count(x))
            continue;
        if (mb || fe) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(x), mb
                           ? "job \"%s\" has more than one matrix block"
                           : "job \"%s\" cannot have both for_each and matrix",
                           pk_hcl_block_label(b, 0));
            return -1;
        }
        mb = x;
    }
    if (!fe && !mb)
        return 0;
    if ((fe ? s_for_each(d, fe, list, n) : s_matrix(d, mb, list, n)) < 0)
        return -1;
    pk_range_t r = fe ? pk_hcl_expr_range(pk_hcl_attr_expr(fe)) : pk_hcl_block_type_range(mb);
    if (*n == 0 || *n > S_MAX_INSTANCES) {
        pk_diags_error(d->diags, r, *n ? "%s of job \"%s\" produces more than 1000 jobs"
                       : "%s of job \"%s\" produces no jobs", fe ? "for_each" : "matrix",
                       pk_hcl_block_label(b, 0));
        return -1;
    }
    if (d->p->job_count + *n > S_MAX_JOBS) {
        s_too_many_jobs(d, r, b);
        return -1;
    }
    for (size_t i = 0; i < *n; i++) {
        if (!(*list)[i].slug || !(*list)[i].slug[0]) {
            pk_diags_error(d->diags, r, "key \"%s\" of job \"%s\" gives an empty instance name",
                           (*list)[i].key, pk_hcl_block_label(b, 0));
            return -1;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp((*list)[i].slug, (*list)[j].slug)) {
                pk_diags_error(d->diags, r, "keys \"%s\" and \"%s\" of job \"%s\" both name the "
                               "job \"%s--%s\"", (*list)[j].key, (*list)[i].key,
                               pk_hcl_block_label(b, 0), pk_hcl_block_label(b, 0),
                               (*list)[i].slug);
                return -1;
            }
    }
    return 1;
}

static void
s_input_destroy(pk_input_t **self_p)
{
    if (!*self_p)
        return;
    pk_input_t *in = *self_p;
    free(in->name);
    pk_value_destroy(&in->default_value);
    pk_strlist_clear(&in->options);
    free(in);
    *self_p = NULL;
}

// A value of the input's type, as text: "3", "true", "staging".
static bool
s_input_value_ok(pk_input_type_t type, const char *text)
{
    pk_value_t *v = pk_value_new_string(text);
    double num;
    bool b;
    bool ok = type == PK_INPUT_STRING || (type == PK_INPUT_NUMBER && !pk_dec_to_number(v, &num))
              || (type == PK_INPUT_BOOL && !pk_dec_to_bool(v, &b));
    pk_value_destroy(&v);
    return ok;
}

static void
s_input_default(pk_dec_t *d, pk_input_t *in, const pk_hcl_body_t *body)
{
    const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "default");
    pk_value_t *v = a ? pk_dec_eval(d, a) : NULL;
    if (!v || pk_value_kind(v) == PK_V_NULL) {
        pk_value_destroy(&v);
        return;
    }
    pk_range_t r = pk_hcl_expr_range(pk_hcl_attr_expr(a));
    // With multiple = true a default may list several values: checked one by one.
    pk_strlist_t values = { 0 };
    if (pk_value_kind(v) == PK_V_LIST && in->multiple)
        for (size_t i = 0; i < pk_value_len(v); i++) {
            char *s = pk_dec_to_string(pk_value_list_at(v, i));
            pk_strlist_add(&values, s ? s : "");
            free(s);
        }
    else {
        char *s = pk_dec_to_string(v);
        if (!s) {
            pk_diags_error(d->diags, r, "the default of input \"%s\" must be a %s", in->name,
                           s_input_types[in->type]);
            pk_value_destroy(&v);
            return;
        }
        pk_strlist_add(&values, s);
        free(s);
    }
    bool ok = true;
    for (size_t i = 0; ok && i < values.count; i++) {
        if (!s_input_value_ok(in->type, values.items[i])) {
            pk_diags_error(d->diags, r, "the default of input \"%s\" must be a %s, not \"%s\"",
                           in->name, s_input_types[in->type], values.items[i]);
            ok = false;
        }
        else if (in->options.count && !pk_strlist_has(&in->options, values.items[i])) {
            pk_diags_error(d->diags, r, "the default \"%s\" of input \"%s\" is not one of its "
                           "options", values.items[i], in->name);
            ok = false;
        }
    }
    if (ok)
        in->default_value = pk_value_dup(v);
    pk_strlist_clear(&values);
    pk_value_destroy(&v);
}

static void
s_input(pk_dec_t *d, pk_job_t *job, const pk_hcl_block_t *b)
{
    const char *name = pk_hcl_block_label(b, 0);
    for (size_t i = 0; i < job->input_count; i++)
        if (!strcmp(job->inputs[i]->name, name)) {
            pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0),
                           "duplicate input \"%s\" (first defined at line %d)", name,
                           job->inputs[i]->range.start.line);
            return;
        }
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *where = pk_dec_where(b);
    pk_dec_check_body(d, body, where, s_input_attrs, s_no_blocks);
    free(where);
    pk_input_t *in = calloc(1, sizeof *in);
    if (!in || !(in->name = strdup(name))
        || pk_dec_push((void ***) &job->inputs, &job->input_count, in)) {
        s_input_destroy(&in);
        return;
    }
    in->range = pk_hcl_block_range(b);
    const pk_hcl_attr_t *ta = pk_hcl_body_attr_find(body, "type");
    const char *kw = ta ? pk_hcl_expr_keyword(pk_hcl_attr_expr(ta)) : NULL;
    char *type = kw ? strdup(kw) : NULL;
    if (ta && !kw)
        pk_dec_string(d, body, "type", &type);
    if (type) {
        int t = -1;
        for (int i = 0; s_input_types[i]; i++)
            if (!strcmp(type, s_input_types[i]))
                t = i;
        if (t < 0)
            pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(ta)),
                           "unknown input type \"%s\"; use string, number or bool", type);
        else
            in->type = (pk_input_type_t) t;
        free(type);
    }
    pk_dec_bool(d, body, "multiple", &in->multiple);
    pk_dec_strlist(d, body, "options", &in->options);
    for (size_t i = 0; i < in->options.count; i++)
        if (!s_input_value_ok(in->type, in->options.items[i])) {
            pk_diags_error(d->diags, in->options.range, "option \"%s\" of input \"%s\" is not a %s",
                           in->options.items[i], name, s_input_types[in->type]);
            break;
        }
    s_input_default(d, in, body);
}

// build_log_retention { builds, days, minimum_succeeded_builds } (Concourse's
// names): how much of the job's history keeps its logs and steps.
static void
s_retention(pk_dec_t *d, pk_job_t *job, const pk_hcl_block_t *x)
{
    if (job->retention.set) {
        pk_diags_error(d->diags, pk_hcl_block_type_range(x),
                       "job \"%s\" has more than one build_log_retention block", job->group);
        return;
    }
    const pk_hcl_body_t *body = pk_hcl_block_body(x);
    char *where = pk_dec_where(x);
    pk_dec_check_body(d, body, where, s_retention_attrs, s_no_blocks);
    free(where);
    pk_retention_t *r = &job->retention;
    r->set = true;
    pk_dec_int(d, body, "builds", 1, &r->builds);
    pk_dec_int(d, body, "days", 1, &r->days);
    pk_dec_int(d, body, "minimum_succeeded_builds", 0, &r->minimum_succeeded_builds);
    const pk_hcl_attr_t *m = pk_hcl_body_attr_find(body, "minimum_succeeded_builds");
    if (m && r->builds > 0 && r->minimum_succeeded_builds > r->builds)
        pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(m)),
                       "minimum_succeeded_builds (%d) cannot exceed builds (%d)",
                       r->minimum_succeeded_builds, r->builds);
    if (!r->builds && !r->days)
        pk_diags_error(d->diags, pk_hcl_block_type_range(x),
                       "build_log_retention needs builds or days");
}

static void
s_job_body(pk_dec_t *d, pk_job_t *job, const pk_hcl_block_t *b)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    pk_dec_int(d, body, "concurrency", 0, &job->concurrency);
    pk_dec_strlist(d, body, "serial_groups", &job->serial_groups);
    pk_dec_duration(d, body, "timeout", &job->timeout_ms);
    if (pk_dec_strlist(d, body, "tags", &job->tags) > 0 && job->tags.count > S_MAX_TAGS)
        pk_diags_error(d->diags, job->tags.range, "a job may have at most %d tags, not %zu",
                       S_MAX_TAGS, job->tags.count);
    else {
        char *owner = pk_dec_fmt("job \"%s\"", job->name);
        pk_dec_check_tags(d, owner ? owner : "job", &job->tags);
        free(owner);
    }
    pk_dec_bool(d, body, "interruptible", &job->interruptible);
    pk_dec_bool(d, body, "allow_failure", &job->allow_failure);
    pk_dec_bool(d, body, "disable_retry", &job->disable_retry);
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *x = pk_hcl_body_block(body, i);
        const pk_block_spec_t *spec = pk_dec_block_spec(s_job_blocks, x);
        if (spec && !strcmp(spec->name, "input"))
            s_input(d, job, x);
        if (spec && !strcmp(spec->name, "build_log_retention"))
            s_retention(d, job, x);
        if (!spec || strcmp(spec->name, "approve"))
            continue;
        if (job->approve_label) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(x),
                           "job \"%s\" has more than one approve block", job->group);
            continue;
        }
        char *where = pk_dec_where(x);
        pk_dec_check_body(d, pk_hcl_block_body(x), where, s_approve_attrs, s_no_blocks);
        free(where);
        job->approve_label = strdup(pk_hcl_block_label(x, 0));
        job->approvals = 1;
        pk_dec_int(d, pk_hcl_block_body(x), "approvals", 1, &job->approvals);
        job->self_approve = true;
        pk_dec_bool(d, pk_hcl_block_body(x), "self_approve", &job->self_approve);
    }
    pk_dec_hooks(d, body, job->hooks, PK_HOOK_COUNT);
    pk_dec_steps(d, body, PK_STEPS_PLAN, &job->plan);
}

void
pk_dec_job_destroy(pk_job_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_job_t *job = *self_p;
    free(job->name);
    free(job->group);
    free(job->each_key);
    pk_value_destroy(&job->each);
    pk_strlist_clear(&job->serial_groups);
    pk_strlist_clear(&job->tags);
    free(job->approve_label);
    for (size_t i = 0; i < job->input_count; i++)
        s_input_destroy(&job->inputs[i]);
    free(job->inputs);
    pk_dec_hooks_clear(job->hooks, PK_HOOK_COUNT);
    pk_dec_steps_clear(&job->plan);
    free(job);
    *self_p = NULL;
}

static void
s_job_instance(pk_dec_t *d, const pk_hcl_block_t *b, const s_instance_t *inst)
{
    const char *group = pk_hcl_block_label(b, 0);
    char *name = inst ? pk_dec_fmt("%s--%s", group, inst->slug) : strdup(group);
    if (!name)
        return;
    const pk_job_t *prev = pk_pipeline_job(d->p, name);
    if (prev) {
        pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0),
                       "duplicate job \"%s\" (first defined at line %d)", name,
                       prev->range.start.line);
        free(name);
        return;
    }
    pk_job_t *job = calloc(1, sizeof *job);
    if (!job || pk_dec_push((void ***) &d->p->jobs, &d->p->job_count, job)) {
        free(job);
        free(name);
        return;
    }
    job->name = name;
    job->group = strdup(group);
    job->range = pk_hcl_block_range(b);
    if (inst) {
        job->each_key = strdup(inst->key);
        job->each = pk_value_dup(inst->each);
    }
    s_job_body(d, job, b);
}

void
pk_dec_job(pk_dec_t *d, const pk_hcl_block_t *b)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *where = pk_dec_where(b);
    pk_dec_check_body(d, body, where, s_job_attrs, s_job_blocks);
    free(where);
    pk_dec_check_name(d, "job name", pk_hcl_block_label(b, 0), pk_hcl_block_label_range(b, 0));
    s_instance_t *list = NULL;
    size_t n = 0;
    int rc = s_expand(d, b, &list, &n);
    if (rc == 0 && d->p->job_count >= S_MAX_JOBS) {
        s_too_many_jobs(d, pk_hcl_block_label_range(b, 0), b);
        rc = -1;
    }
    if (rc == 0)
        s_job_instance(d, b, NULL);
    else if (rc < 0)
        pk_strlist_add(&d->broken_jobs, pk_hcl_block_label(b, 0));
    pk_hcl_ctx_t *saved = d->ctx;
    pk_diags_t *first = d->diags;
    size_t from = pk_diags_count(first);    // this block's diagnostics start here
    for (size_t i = 0; rc > 0 && i < n; i++) {
        pk_hcl_ctx_t *ctx = pk_hcl_ctx_new();
        pk_diags_t *scratch = i ? pk_diags_new() : NULL;
        if (!ctx || (i && !scratch)) {
            pk_hcl_ctx_destroy(&ctx);
            pk_diags_destroy(&scratch);
            break;
        }
        const pk_value_t *var = pk_hcl_ctx_get(saved, "var");
        pk_hcl_ctx_set(ctx, "var", var ? pk_value_dup(var) : pk_value_new_object());
        pk_hcl_ctx_set(ctx, "each", pk_value_dup(list[i].each));
        d->ctx = ctx;
        if (scratch)
            d->diags = scratch;
        s_job_instance(d, b, &list[i]);
        d->ctx = saved;
        d->diags = first;
        if (scratch)
            pk_dec_merge_diags(first, from, scratch);
        pk_diags_destroy(&scratch);
        pk_hcl_ctx_destroy(&ctx);
    }
    s_instances_free(list, n);
}
