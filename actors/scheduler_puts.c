// scheduler_puts: a put's versions count as produced by its build
// (Concourse's implicit get after put). A runner's STEP of a put that
// succeeded carries the versions it made; they go to the checker, the only
// writer of versions ("put.versions"), which answers "put.recorded" with the
// id of the put's version once it is stored. That id becomes the build's
// version of the resource, so `passed` downstream sees it; if the build has
// already succeeded, its downstream jobs are looked at again then (the
// answer and the build's DONE may come in either order). The versions.new
// the checker sends as well starts the jobs that trigger on the resource,
// at once, without waiting for a check.
//
// A `trigger` resource is a stream shared by name: a put to trigger "x"
// records the version in every pipeline that declares resource "trigger"
// "x" (PikoCI scopes these to a team; pikoci has one namespace).
#include "scheduler_internal.h"

static bool
s_is_trigger(const pk_pipeline_t *p, const char *canonical)
{
    const pk_resource_t *res = pk_pipeline_resource(p, canonical);
    const pk_resource_type_t *rt = res ? pk_pipeline_resource_type(p, res->type) : NULL;
    return rt && rt->source && !strcmp(rt->source, "pikoci://trigger");
}

static void
s_send_put(sched_t *self, const char *pipeline, const char *resource, const char *build,
           uint32_t attempt, const pk_bytes_t *versions)
{
    char a[16];
    snprintf(a, sizeof a, "%u", attempt);
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = "checker";
    m.signal.what = "put.versions";
    pk_kv_set(&m.signal.args, "pipeline", pipeline);
    pk_kv_set(&m.signal.args, "resource", resource);
    if (build) {
        pk_kv_set(&m.signal.args, "build", build);
        pk_kv_set(&m.signal.args, "attempt", a);
    }
    m.signal.body = *versions;          // borrowed
    sched_send(self, &m);
    pk_kv_clear(&m.signal.args);
}

void
sched_put_forward(sched_t *self, const char *pipeline, const pk_msg_step_t *s)
{
    sched_pipe_t *sp = zhash_lookup(self->pipelines, pipeline);
    if (!sp || !s->resource || !s->versions.size || !s->kind || strcmp(s->kind, "put")
        || !s->status || strcmp(s->status, "succeeded")
        || !pk_pipeline_resource(sp->model, s->resource))
        return;
    s_send_put(self, pipeline, s->resource, s->id, s->attempt, &s->versions);
    if (!s_is_trigger(sp->model, s->resource))
        return;
    for (sched_pipe_t *o = zhash_first(self->pipelines); o; o = zhash_next(self->pipelines))
        if (o != sp && s_is_trigger(o->model, s->resource))
            s_send_put(self, o->name, s->resource, NULL, 0, &s->versions);
}

typedef struct {
    uint32_t attempt;
    const char *resource;
    uint64_t id;
} s_recorded_t;

static int
s_recorded_fn(pk_build_t *b, void *arg)
{
    s_recorded_t *r = arg;
    if (b->attempt != r->attempt || pk_idmap_get(&b->versions, r->resource) == r->id)
        return 1;
    pk_idmap_set(&b->versions, r->resource, r->id);
    return 0;
}

void
sched_put_recorded(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    (void) r;
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    const char *ids = pk_kv_get(&m->signal.args, "id");
    const char *att = pk_kv_get(&m->signal.args, "attempt");
    char *pipeline = NULL, *job = NULL;
    uint64_t number = 0, life = 0;
    uint32_t retry = 0;
    uint64_t id = ids ? strtoull(ids, NULL, 10) : 0;
    if (!resource || !id || !att
        || sched_parse_build_id(pk_kv_get(&m->signal.args, "build"), &pipeline, &job, &number,
                                &retry, &life) != 0) {
        self->ignored++;
        return;
    }
    sched_pipe_t *sp = zhash_lookup(self->pipelines, pipeline);
    if (!sp || sp->life != life) {      // a removed pipeline's, or an earlier life's
        self->ignored++;
        free(pipeline);
        free(job);
        return;
    }
    s_recorded_t rec = { (uint32_t) strtoul(att, NULL, 10), resource, id };
    pk_build_t after;
    if (sched_mutate(self, pipeline, job, number, retry, s_recorded_fn, &rec, &after) == 0) {
        if (sp && pk_build_status_passes(after.status))
            sched_downstream(self, sp, job);
        pk_build_clear(&after);
    }
    free(pipeline);
    free(job);
}
