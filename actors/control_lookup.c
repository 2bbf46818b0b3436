// control_lookup: turning a request's arguments into what they name --
// the pipeline (its record and its parsed definition), a job, a resource,
// a build -- with one wording for every "not found" and a "did you mean"
// from lib/pk_suggest.h. Also the queries' state (new/destroy).
//
// Jobs and resources are not keyspaces of their own: what a pipeline has is
// what its stored source says. So a pipeline's source is parsed (with its
// stored vars) once per (name, version, set time) and the definition kept
// until it changes or the pipeline goes.
#include "control_internal.h"
#include "pk_logs.h"
#include "pk_suggest.h"
#include "pk_value_msgpack.h"
#include <stdarg.h>

typedef struct {
    uint64_t version;
    int64_t set_ms;
    pk_pipeline_t *def;
} s_def_t;

int
ctl_fail(ctl_q_t *q, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(q->error, fmt, ap) < 0)
        *q->error = NULL;
    va_end(ap);
    return 1;
}

int
ctl_store_fail(ctl_q_t *q)
{
    return ctl_fail(q, "cannot read the store: %s", pk_store_error());
}

// " (did you mean \"X\"?)" or "" (static buffer: use before the next call).
static const char *
s_hint(const char *word, const char *const *candidates)
{
    static _Thread_local char buf[300];
    const char *near = candidates ? pk_suggest(word, candidates) : NULL;
    if (!near)
        return "";
    snprintf(buf, sizeof buf, " (did you mean \"%s\"?)", near);
    return buf;
}

// --- arguments

const char *
ctl_arg(ctl_q_t *q, const char *name)
{
    const char *v = pk_kv_get(q->args, name);
    return v && *v ? v : NULL;
}

int
ctl_uint_arg(ctl_q_t *q, const char *name, uint64_t dflt, uint64_t *out)
{
    const char *v = ctl_arg(q, name);
    *out = dflt;
    if (!v)
        return 0;
    if (strspn(v, "0123456789") != strlen(v) || strlen(v) > 19)
        return ctl_fail(q, "\"%s\" is not a valid %s (a number from 0)", v, name);
    *out = strtoull(v, NULL, 10);
    return 0;
}

// --- pipelines, their definitions, jobs and resources

static void
s_def_free(void *item)
{
    s_def_t *d = item;
    pk_pipeline_destroy(&d->def);
    free(d);
}

static int
s_no_pipeline(ctl_q_t *q, const char *name)
{
    char **names = NULL;
    size_t n = 0;
    if (pk_builds_pipelines_list(q->self->builds, q->txn, &names, &n) != 0)
        n = 0;
    const char **cands = calloc(n + 1, sizeof *cands);
    for (size_t i = 0; i < n; i++)
        cands[i] = names[i];
    ctl_fail(q, "no pipeline \"%s\"%s", name, s_hint(name, cands));
    free(cands);
    pk_builds_names_free(&names, n);
    return 1;
}

// The stored record of the pipeline named by the "pipeline" argument and
// its parsed definition (cached, borrowed). 0, or 1 with the error set.
int
ctl_pipeline(ctl_q_t *q, const char **name_out, pk_pipeline_rec_t *rec, pk_pipeline_t **def_out)
{
    const char *name = ctl_arg(q, "pipeline");
    if (!name)
        return ctl_fail(q, "the argument \"pipeline\" is missing");
    *name_out = name;
    memset(rec, 0, sizeof *rec);
    int rc = pk_builds_pipeline_get(q->self->builds, q->txn, name, rec);
    if (rc == PK_STORE_NOTFOUND) {
        zhash_delete(q->self->defs, name);
        return s_no_pipeline(q, name);
    }
    if (rc != 0)
        return ctl_store_fail(q);
    s_def_t *d = zhash_lookup(q->self->defs, name);
    if (d && d->version == rec->version && d->set_ms == rec->set_ms) {
        *def_out = d->def;
        return 0;
    }
    pk_value_t *vars = rec->vars ? pk_value_unpack(rec->vars, rec->vars_size) : NULL;
    pk_diags_t *diags = pk_diags_new();
    char filename[256];
    snprintf(filename, sizeof filename, "%s.hcl", name);
    const char *src = rec->source ? rec->source : "";
    pk_pipeline_t *def = pk_pipeline_parse(filename, src, strlen(src), vars, diags);
    pk_diags_destroy(&diags);
    pk_value_destroy(&vars);
    if (!def) {
        pk_pipeline_rec_clear(rec);
        return ctl_fail(q, "cannot read the definition of pipeline \"%s\"", name);
    }
    d = calloc(1, sizeof *d);
    d->version = rec->version;
    d->set_ms = rec->set_ms;
    d->def = def;
    zhash_update(q->self->defs, name, d);
    zhash_freefn(q->self->defs, name, s_def_free);
    *def_out = def;
    return 0;
}

// The job named by the "job" argument: in the definition, or (a job since
// removed from it) in the job records. 0, or 1 with the error set.
int
ctl_job(ctl_q_t *q, const char *pipeline, const pk_pipeline_t *def, const char **job_out)
{
    const char *job = ctl_arg(q, "job");
    if (!job)
        return ctl_fail(q, "the argument \"job\" is missing");
    *job_out = job;
    if (pk_pipeline_job(def, job))
        return 0;
    pk_job_rec_t rec = { 0 };
    int rc = pk_builds_job_get(q->self->builds, q->txn, pipeline, job, &rec);
    pk_job_rec_clear(&rec);
    if (rc == 0)
        return 0;
    const char **cands = calloc(def->job_count + 1, sizeof *cands);
    for (size_t i = 0; i < def->job_count; i++)
        cands[i] = def->jobs[i]->name;
    ctl_fail(q, "no job \"%s\" in pipeline \"%s\"%s", job, pipeline, s_hint(job, cands));
    free(cands);
    return 1;
}

// The resource named by the "resource" argument: its canonical "type.name",
// or its bare name when no other resource has it.
int
ctl_resource(ctl_q_t *q, const char *pipeline, const pk_pipeline_t *def, const pk_resource_t **out)
{
    const char *name = ctl_arg(q, "resource");
    if (!name)
        return ctl_fail(q, "the argument \"resource\" is missing");
    const pk_resource_t *found = NULL;
    size_t bare = 0;
    for (size_t i = 0; i < def->resource_count; i++) {
        const pk_resource_t *r = def->resources[i];
        if (!strcmp(r->canonical, name)) {
            *out = r;
            return 0;
        }
        if (!strcmp(r->name, name)) {
            found = r;
            bare++;
        }
    }
    if (bare == 1) {
        *out = found;
        return 0;
    }
    if (bare > 1)
        return ctl_fail(q, "\"%s\" names several resources in pipeline \"%s\": "
                      "give it as TYPE.NAME", name, pipeline);
    // a bare name is compared with bare names, then told as "type.name"
    bool dotted = strchr(name, '.') != NULL;
    const char **cands = calloc(def->resource_count + 1, sizeof *cands);
    for (size_t i = 0; i < def->resource_count; i++)
        cands[i] = dotted ? def->resources[i]->canonical : def->resources[i]->name;
    const char *near = pk_suggest(name, cands);
    for (size_t i = 0; near && !dotted && i < def->resource_count; i++)
        if (cands[i] == near)
            near = def->resources[i]->canonical;
    ctl_fail(q, "no resource \"%s\" in pipeline \"%s\"%s%s%s", name, pipeline,
           near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
    free(cands);
    return 1;
}

// --- builds

// The build named by the "number" argument, or (absent and allowed) the
// job's newest. 0, or 1 with the error set.
int
ctl_build(ctl_q_t *q, const char *pipeline, const char *job, bool newest_if_absent,
        pk_build_t *out)
{
    const char *number = ctl_arg(q, "number");
    int rc;
    if (!number && newest_if_absent) {
        rc = pk_builds_latest(q->self->builds, q->txn, pipeline, job, out);
        if (rc == PK_STORE_NOTFOUND)
            return ctl_fail(q, "job \"%s/%s\" has no builds yet", pipeline, job);
        return rc == 0 ? 0 : ctl_store_fail(q);
    }
    uint64_t n;
    uint32_t r;
    if (!number)
        return ctl_fail(q, "the argument \"number\" is missing");
    if (pk_build_number_parse(number, &n, &r) != 0)
        return ctl_fail(q, "\"%s\" is not a build number (like 3, or 3.1 for a retry)", number);
    rc = pk_builds_get(q->self->builds, q->txn, pipeline, job, n, r, out);
    if (rc == PK_STORE_NOTFOUND)
        return ctl_fail(q, "no build %s of job \"%s/%s\"", number, pipeline, job);
    return rc == 0 ? 0 : ctl_store_fail(q);
}

int
pk_control_resource(pk_control_queries_t *self, const char *pipeline, const char *resource,
                    char **canonical, char **error)
{
    *canonical = NULL;
    *error = NULL;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", pipeline ? pipeline : "");
    pk_kv_set(&args, "resource", resource ? resource : "");
    ctl_q_t q = { .self = self, .args = &args, .error = error };
    int rc = 1;
    q.txn = pk_store_begin(self->store, false);
    if (!q.txn)
        ctl_store_fail(&q);
    else {
        const char *name;
        pk_pipeline_rec_t rec;
        pk_pipeline_t *def;
        const pk_resource_t *r;
        if (ctl_pipeline(&q, &name, &rec, &def) == 0) {
            pk_pipeline_rec_clear(&rec);
            if (ctl_resource(&q, name, def, &r) == 0) {
                *canonical = strdup(r->canonical);
                rc = 0;
            }
        }
        pk_store_abort(&q.txn);
    }
    pk_kv_clear(&args);
    return rc;
}

pk_control_queries_t *
pk_control_queries_new(pk_store_t *store, char **err)
{
    if (err)
        *err = NULL;
    if (!store) {
        if (err)
            *err = strdup("no store");
        return NULL;
    }
    pk_control_queries_t *self = calloc(1, sizeof *self);
    self->store = store;
    self->builds = pk_builds_new(store, err);
    if (self->builds) {
        char *e2 = NULL;
        self->versions = pk_versions_new(store, err ? &e2 : NULL);
        if (!self->versions && err)
            *err = e2;
    }
    if (!self->builds || !self->versions || pk_logs_init(store) != 0) {
        if (err && !*err)
            *err = strdup(pk_store_error());
        pk_control_queries_destroy(&self);
        return NULL;
    }
    self->defs = zhash_new();
    return self;
}

void
pk_control_queries_destroy(pk_control_queries_t **self_p)
{
    pk_control_queries_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zhash_destroy(&self->defs);
    pk_versions_destroy(&self->versions);
    pk_builds_destroy(&self->builds);
    free(self);
    *self_p = NULL;
}

int
ctl_job_allows_failure(pk_control_queries_t *self, const char *pipeline, const char *job,
                       bool *out)
{
    *out = false;
    char *error = NULL;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", pipeline ? pipeline : "");
    pk_kv_set(&args, "job", job ? job : "");
    ctl_q_t q = { .self = self, .args = &args, .error = &error };
    int rc = 1;
    q.txn = pk_store_begin(self->store, false);
    const char *name, *jobname;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    if (q.txn && ctl_pipeline(&q, &name, &rec, &def) == 0) {
        pk_pipeline_rec_clear(&rec);
        if (ctl_job(&q, name, def, &jobname) == 0) {
            const pk_job_t *j = pk_pipeline_job(def, jobname);
            *out = j && j->allow_failure;
            rc = j ? 0 : 1;
        }
    }
    pk_store_abort(&q.txn);
    pk_kv_clear(&args);
    free(error);
    return rc;
}
