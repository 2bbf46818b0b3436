// scheduler_reports: what runners tell about builds (STARTED, STEP, DONE)
// and what a restart finds. A report counts only for the build's current
// attempt while the build is unfinished (fencing): a late, duplicated or
// foreign report changes nothing and is counted as ignored.
//
// At start, a build that was dispatched or started cannot be trusted to
// report (its runner's answers went to a scheduler that no longer exists),
// so it is errored; pending and waiting builds join the queue as they are.
#include "scheduler_internal.h"

// "build:<pipeline>/<job>/<3 or 3.1>" -> its parts (pipeline names hold no '/').
static int
s_parse_id(const char *id, char **pipeline, char **job, uint64_t *number, uint32_t *retry)
{
    if (!id || strncmp(id, "build:", 6))
        return -1;
    const char *p = id + 6, *a = strchr(p, '/'), *b = strrchr(p, '/');
    if (!a || a == p || b == a || b == a + 1 || !b[1])
        return -1;
    if (pk_build_number_parse(b + 1, number, retry) != 0)
        return -1;
    *pipeline = strndup(p, (size_t) (a - p));
    *job = strndup(a + 1, (size_t) (b - a - 1));
    return 0;
}

typedef struct {
    uint32_t attempt;
    const pk_msg_t *m;
    const char *status;         // DONE: the status to record
} s_report_t;

static int
s_report_fn(pk_build_t *b, void *arg)
{
    s_report_t *r = arg;
    if (b->attempt != r->attempt || pk_build_status_terminal(b->status))
        return 1;
    if (r->m->type == PK_MSG_STARTED) {
        if (strcmp(b->status, "pending"))
            return 1;
        sched_set_str(&b->status, "started");
        sched_set_str(&b->worker, r->m->started.worker);
        b->started_ms = r->m->started.started_ms ? (int64_t) r->m->started.started_ms
                                                 : zclock_time();
        return 0;
    }
    sched_set_str(&b->status, r->status);
    if (r->m->done.reason)
        sched_set_str(&b->reason, r->m->done.reason);
    b->finished_ms = r->m->done.finished_ms ? (int64_t) r->m->done.finished_ms : zclock_time();
    return 0;
}

// STEP: merged into the build's step record, in the same transaction that
// checks the build is unfinished and of this attempt.
typedef struct {
    sched_t *self;
    const char *pipeline, *job;
    uint64_t number;
    uint32_t retry;
    const pk_msg_step_t *s;
} s_step_t;

static int
s_step_txn(pk_store_txn_t *txn, void *arg)
{
    s_step_t *c = arg;
    pk_build_t b;
    int rc = pk_builds_get(c->self->builds, txn, c->pipeline, c->job, c->number, c->retry, &b);
    if (rc != 0)
        return 1;
    bool current = b.attempt == c->s->attempt && !pk_build_status_terminal(b.status);
    pk_build_clear(&b);
    if (!current)
        return 1;
    pk_build_step_t st;
    if (pk_builds_step_get(c->self->builds, txn, c->pipeline, c->job, c->number, c->retry,
                           c->s->step, &st) < 0)
        return -1;
    st.step = c->s->step;
    if (c->s->kind)
        sched_set_str(&st.kind, c->s->kind);
    if (c->s->name)
        sched_set_str(&st.name, c->s->name);
    if (c->s->status)
        sched_set_str(&st.status, c->s->status);
    if (c->s->message)
        sched_set_str(&st.message, c->s->message);
    st.exit_code = c->s->exit_code;
    if (c->s->started_ms)
        st.started_ms = (int64_t) c->s->started_ms;
    if (c->s->finished_ms)
        st.finished_ms = (int64_t) c->s->finished_ms;
    rc = pk_builds_step_put(c->self->builds, txn, c->pipeline, c->job, c->number, c->retry, &st);
    pk_build_step_clear(&st);
    return rc;
}

void
sched_on_report(sched_t *self, pk_msg_t *m)
{
    const char *id = m->type == PK_MSG_STARTED ? m->started.id
                   : m->type == PK_MSG_DONE ? m->done.id : m->step.id;
    uint32_t attempt = m->type == PK_MSG_STARTED ? m->started.attempt
                     : m->type == PK_MSG_DONE ? m->done.attempt : m->step.attempt;
    char *pipeline = NULL, *job = NULL;
    uint64_t number = 0;
    uint32_t retry = 0;
    if (s_parse_id(id, &pipeline, &job, &number, &retry) != 0 || attempt == 0) {
        self->ignored++;
        return;
    }
    sched_pipe_t *sp = zhash_lookup(self->pipelines, pipeline);
    const pk_job_t *jm = sp ? pk_pipeline_job(sp->model, job) : NULL;
    if (m->type == PK_MSG_STEP) {
        s_step_t c = { self, pipeline, job, number, retry, &m->step };
        if (pk_store_write(self->store, s_step_txn, &c) != 0)
            self->ignored++;
        free(pipeline);
        free(job);
        return;
    }
    s_report_t r = { attempt, m, NULL };
    if (m->type == PK_MSG_DONE) {
        const char *st = m->done.status;
        bool known = st && (!strcmp(st, "succeeded") || !strcmp(st, "failed")
                         || !strcmp(st, "errored") || !strcmp(st, "cancelled"));
        r.status = known ? st : "errored";
        if (!strcmp(r.status, "failed") && jm && jm->allow_failure)
            r.status = "warning";
    }
    if (sched_mutate(self, pipeline, job, number, retry, s_report_fn, &r, NULL) != 0)
        self->ignored++;                // stale attempt, finished build or unknown build
    else
    if (m->type == PK_MSG_DONE) {
        if (sp && (!strcmp(r.status, "succeeded") || !strcmp(r.status, "warning")))
            sched_downstream(self, sp, job);
        sched_queue_run(self);
    }
    free(pipeline);
    free(job);
}

// --- start-up

typedef struct {
    char *job;
    uint64_t number;
    uint32_t retry;
    bool ran;
    pk_build_t b;
} s_found_t;

typedef struct {
    s_found_t *items;
    size_t count;
} s_founds_t;

static int
s_found_one(const char *job, const pk_build_t *b, void *arg)
{
    s_founds_t *f = arg;
    if (pk_build_status_terminal(b->status))
        return 0;
    f->items = realloc(f->items, (f->count + 1) * sizeof(s_found_t));
    s_found_t *it = &f->items[f->count++];
    memset(it, 0, sizeof(*it));
    it->job = strdup(job);
    it->number = b->number;
    it->retry = b->retry;
    it->ran = b->dispatched || !strcmp(b->status, "started");
    it->b.number = b->number;
    it->b.retry = b->retry;
    it->b.status = strdup(b->status);
    it->b.created_ms = b->created_ms;
    it->b.attempt = b->attempt;
    return 0;
}

void
sched_recover_builds(sched_t *self, sched_pipe_t *sp)
{
    s_founds_t f = { 0 };
    if (pk_builds_each(self->builds, NULL, sp->name, s_found_one, &f) != 0)
        zsys_error("%s: cannot read the builds of %s: %s", self->name, sp->name,
                   pk_store_error());
    for (size_t i = 0; i < f.count; i++) {
        s_found_t *it = &f.items[i];
        if (it->ran) {
            sched_active_set(self, sp->name, it->job, &it->b);
            sched_finish(self, sp->name, it->job, it->number, it->retry, "errored",
                         "the server restarted while the build ran");
        }
        else
            sched_active_set(self, sp->name, it->job, &it->b);
        free(it->job);
        pk_build_clear(&it->b);
    }
    free(f.items);
}
