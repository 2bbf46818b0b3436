// scheduler_reports: what runners tell about builds (STARTED, STEP, DONE)
// and what a restart finds. A report counts only for the build's current
// attempt while the build is unfinished (fencing): a late, duplicated or
// foreign report changes nothing and is counted as ignored.
//
// At start (from the index of unfinished builds, not the whole history), a
// build that was dispatched or started may still be running on a worker
// that outlived us: it waits adopt_grace_ms for its runner to re-announce it
// (any report of its attempt claims it). Nobody did: a started one is
// errored; one that never started (it waited in the broker for a slot) is
// queued again under a new attempt, so a late report of the old one is
// fenced off. Pending and waiting builds join the queue as they are.
//
// The broker speaks for runners that cannot: a DONE errored without a
// finished_ms is its ("worker W lost", "the worker no longer runs this
// work"). Those reasons end up in the build's log too, through the log sink
// (its only writer), since a user reading the log would otherwise see it
// stop mid-line.
#include "scheduler_internal.h"

// "build:<pipeline>/<job>/<3 or 3.1>[@life]" -> its parts (pipeline names
// hold no '/'; no life: the first).
int
sched_parse_build_id(const char *id, char **pipeline, char **job, uint64_t *number,
                     uint32_t *retry, uint64_t *life)
{
    if (!id || strncmp(id, "build:", 6))
        return -1;
    const char *p = id + 6, *a = strchr(p, '/'), *b = strrchr(p, '/');
    if (!a || a == p || b == a || b == a + 1 || !b[1])
        return -1;
    const char *at = strchr(b + 1, '@');
    char *digits = at ? strndup(b + 1, (size_t) (at - b - 1)) : strdup(b + 1);
    *life = 1;
    if (at) {
        char *end;
        *life = strtoull(at + 1, &end, 10);
        if (!at[1] || *end || *life < 2)
            *life = 0;
    }
    int rc = *life ? pk_build_number_parse(digits, number, retry) : -1;
    free(digits);
    if (rc != 0)
        return -1;
    *pipeline = strndup(p, (size_t) (a - p));
    *job = strndup(a + 1, (size_t) (b - a - 1));
    return 0;
}

typedef struct {
    uint32_t attempt;
    const pk_msg_t *m;
    const char *status;         // DONE: the status to record
    const char *reason;         // DONE: the reason to record (may be NULL)
    bool current;               // out: the report is for the build's current attempt
} s_report_t;

static int
s_report_fn(pk_build_t *b, void *arg)
{
    s_report_t *r = arg;
    if (b->attempt != r->attempt || pk_build_status_terminal(b->status))
        return 1;
    r->current = true;
    if (r->m->type == PK_MSG_STARTED) {
        if (!strcmp(b->status, "started")) {
            // re-announced after a reconnect: only the worker may be news
            if (!r->m->started.worker || (b->worker && !strcmp(b->worker, r->m->started.worker)))
                return 1;
            sched_set_str(&b->worker, r->m->started.worker);
            return 0;
        }
        if (strcmp(b->status, "pending"))
            return 1;
        sched_set_str(&b->status, "started");
        sched_set_str(&b->worker, r->m->started.worker);
        b->started_ms = r->m->started.started_ms ? (int64_t) r->m->started.started_ms
                                                 : zclock_time();
        return 0;
    }
    sched_set_str(&b->status, r->status);
    if (r->reason)
        sched_set_str(&b->reason, r->reason);
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
    // a cancelled build's runner goes on a little: it ends the step it was
    // in and runs the on_cancel and ensure hooks, and those steps are kept
    bool current = b.attempt == c->s->attempt
                && (!pk_build_status_terminal(b.status) || !strcmp(b.status, "cancelled"));
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
sched_log_append(sched_t *self, const char *id, uint32_t attempt, uint32_t step,
                 const char *text)
{
    char a[16], st[16];
    snprintf(a, sizeof a, "%u", attempt);
    snprintf(st, sizeof st, "%u", step);
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = "logsink";
    m.signal.what = "append";
    pk_kv_set(&m.signal.args, "id", id);
    pk_kv_set(&m.signal.args, "attempt", a);
    pk_kv_set(&m.signal.args, "step", st);
    pk_kv_set(&m.signal.args, "text", text);
    sched_send(self, &m);
    pk_kv_clear(&m.signal.args);
}

// "worker W lost" -> "worker W lost at step S" (the latest step started and
// not finished; else after the last one; else before the first). *step_out
// gets the step's index for the log line.
static char *
s_loss_reason(sched_t *self, const char *pipeline, const char *job, uint64_t number,
              uint32_t retry, const char *reason, uint32_t *step_out)
{
    pk_build_step_t *steps = NULL;
    size_t n = 0;
    *step_out = 0;
    if (pk_builds_steps_list(self->builds, NULL, pipeline, job, number, retry, &steps, &n) != 0)
        return strdup(reason);
    const pk_build_step_t *at = NULL, *after = NULL;
    for (size_t i = 0; i < n; i++) {
        if (steps[i].status && !strcmp(steps[i].status, "started"))
            at = &steps[i];         // in step order: the latest wins
        after = &steps[i];
    }
    const pk_build_step_t *which = at ? at : after;
    char *out = NULL;
    int rc = which ? asprintf(&out, "%s %s step %s", reason, at ? "at" : "after",
                              which->name ? which->name : "?")
                   : asprintf(&out, "%s before its first step", reason);
    if (which)
        *step_out = which->step;
    pk_build_steps_free(&steps, n);
    return rc < 0 ? strdup(reason) : out;
}

// A report of an attempt a restart left waiting claims it.
static bool
s_claim(sched_t *self, const char *pipeline, const char *job, uint64_t number, uint32_t retry,
        uint32_t attempt)
{
    for (size_t i = 0; i < self->adopting_count; i++) {
        sched_adopt_t *a = &self->adopting[i];
        if (a->number != number || a->retry != retry || a->attempt != attempt
            || strcmp(a->job, job) || strcmp(a->pipeline, pipeline))
            continue;
        free(a->pipeline);
        free(a->job);
        *a = self->adopting[--self->adopting_count];
        return true;
    }
    return false;
}

static void
s_adopted_event(sched_t *self, const char *pipeline, const char *job, uint64_t number,
                uint32_t retry, const char *worker)
{
    pk_build_t b;
    if (pk_builds_get(self->builds, NULL, pipeline, job, number, retry, &b) != 0)
        return;
    char *num = pk_build_number_str(number, retry);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    pk_value_object_set(o, "job", pk_value_new_string(job));
    pk_value_object_set(o, "number", pk_value_new_string(num));
    pk_value_object_set(o, "status", pk_value_new_string(b.status));
    if (worker || b.worker)
        pk_value_object_set(o, "worker", pk_value_new_string(worker ? worker : b.worker));
    sched_send_event(self, "build.adopted", o);
    zsys_info("%s: build %s/%s/%s adopted from %s", self->name, pipeline, job, num,
              worker ? worker : b.worker ? b.worker : "its worker");
    pk_value_destroy(&o);
    free(num);
    pk_build_clear(&b);
}

// A runner re-announcing a build that ended or moved on to another attempt
// (it was lost and came back, or the grace ended without it): stop it.
static void
s_cancel_stale(sched_t *self, const pk_msg_started_t *st)
{
    pk_msg_t c = { .type = PK_MSG_CANCEL };
    c.cancel.id = st->id;
    c.cancel.attempt = st->attempt;
    c.cancel.reason = "this build has already ended";
    sched_send(self, &c);
}

// A runner's report (STARTED, STEP, DONE): the build id and attempt it names.
static const char *
s_report_id(const pk_msg_t *m)
{
    return m->type == PK_MSG_STARTED ? m->started.id : m->type == PK_MSG_DONE ? m->done.id
                                                                              : m->step.id;
}

static uint32_t
s_report_attempt(const pk_msg_t *m)
{
    return m->type == PK_MSG_STARTED ? m->started.attempt
         : m->type == PK_MSG_DONE ? m->done.attempt : m->step.attempt;
}

// The status a DONE records: an unknown word is errored, and a failure of a
// job that allows failure is a warning.
static const char *
s_done_status(const pk_msg_t *m, const pk_job_t *jm)
{
    const char *st = m->done.status;
    bool known = st && (!strcmp(st, "succeeded") || !strcmp(st, "failed")
                     || !strcmp(st, "errored") || !strcmp(st, "cancelled"));
    if (!known)
        return "errored";
    return !strcmp(st, "failed") && jm && jm->allow_failure ? "warning" : st;
}

void
sched_on_report(sched_t *self, pk_msg_t *m)
{
    const char *id = s_report_id(m);
    uint32_t attempt = s_report_attempt(m);
    char *pipeline = NULL, *job = NULL;
    uint64_t number = 0, life = 0;
    uint32_t retry = 0;
    if (sched_parse_build_id(id, &pipeline, &job, &number, &retry, &life) != 0 || attempt == 0) {
        self->ignored++;
        return;
    }
    sched_pipe_t *sp = zhash_lookup(self->pipelines, pipeline);
    if (!sp || sp->life != life) {      // a removed pipeline's, or an earlier life's
        self->ignored++;
        if (m->type == PK_MSG_STARTED)
            s_cancel_stale(self, &m->started);
        free(pipeline);
        free(job);
        return;
    }
    const pk_job_t *jm = sp ? pk_pipeline_job(sp->model, job) : NULL;
    // any report of the attempt proves a runner holds it; a stale one is
    // fenced below and claims nothing that matters
    bool claimed = self->adopting_count && s_claim(self, pipeline, job, number, retry, attempt);
    if (m->type == PK_MSG_STEP) {
        s_step_t c = { self, pipeline, job, number, retry, &m->step };
        if (pk_store_write(self->store, s_step_txn, &c) != 0)
            self->ignored++;
        else {
            if (claimed)
                s_adopted_event(self, pipeline, job, number, retry, NULL);
            sched_put_forward(self, pipeline, &m->step);
        }
        free(pipeline);
        free(job);
        return;
    }
    s_report_t r = { attempt, m, NULL, NULL, false };
    char *reason = NULL;
    uint32_t step = 0;
    bool broker_said = false;
    if (m->type == PK_MSG_DONE) {
        r.status = s_done_status(m, jm);
        r.reason = m->done.reason;
        const char *why = m->done.reason;
        broker_said = !m->done.finished_ms && !strcmp(r.status, "errored") && why && *why;
        size_t len = why ? strlen(why) : 0;
        if (broker_said && !strncmp(why, "worker ", 7) && len > 12
            && !strcmp(why + len - 5, " lost"))
            r.reason = reason = s_loss_reason(self, pipeline, job, number, retry, why, &step);
    }
    int rc = sched_mutate(self, pipeline, job, number, retry, s_report_fn, &r, NULL);
    if (rc != 0 && !r.current) {
        self->ignored++;                // stale attempt, finished build or unknown build
        if (m->type == PK_MSG_STARTED && rc == 1)
            s_cancel_stale(self, &m->started);
    }
    else
    if (m->type == PK_MSG_STARTED) {
        if (claimed)
            s_adopted_event(self, pipeline, job, number, retry, m->started.worker);
    }
    else
    if (rc == 0) {                      // DONE recorded
        if (broker_said)
            sched_log_append(self, id, attempt, step, r.reason);
        if (sp && pk_build_status_passes(r.status))
            sched_downstream(self, sp, job);
        sched_queue_run(self);
    }
    free(reason);
    free(pipeline);
    free(job);
}

// --- reports that arrived together
//
// A runner says STARTED and its first step's STEP at once, and its last
// STEP and DONE at once: those reach us in one read of the socket, and each
// used to be a commit of its own. Here they are one: the same per-report
// changes, in arrival order, in one write transaction (a report that
// changes nothing writes nothing, and the others still count), and what
// follows a commit -- events, the queue, downstream builds, puts' versions
// -- only once it is committed, so nothing is announced or dispatched that
// a crash could take back. Anything out of the ordinary (a report that may
// claim a build a restart left waiting, the broker's word for a lost
// worker, an unknown build or pipeline) goes one by one, as before, and so
// does the whole batch when its transaction fails.

typedef struct {
    pk_msg_t *m;
    char *pipeline, *job;
    uint64_t number;
    uint32_t retry;
    const pk_job_t *jm;
    s_report_t r;               // STARTED, DONE
    sched_mut_t mut;            // STARTED, DONE
    s_step_t step;              // STEP
    int rc;                     // in the transaction: 0 written, 1 left
} s_batched_t;

typedef struct {
    s_batched_t *items;
    size_t count;
} s_batch_t;

// A runner's own report of a build of a loaded pipeline (fills it), or false.
static bool
s_batchable(sched_t *self, pk_msg_t *m, s_batched_t *it)
{
    const char *id = s_report_id(m);
    uint32_t attempt = s_report_attempt(m);
    uint64_t life = 0;
    memset(it, 0, sizeof *it);
    if (self->adopting_count || attempt == 0 || (m->type == PK_MSG_DONE && !m->done.finished_ms)
        || sched_parse_build_id(id, &it->pipeline, &it->job, &it->number, &it->retry, &life) != 0)
        return false;
    sched_pipe_t *sp = zhash_lookup(self->pipelines, it->pipeline);
    if (!sp || sp->life != life) {
        free(it->pipeline);
        free(it->job);
        it->pipeline = it->job = NULL;
        return false;
    }
    it->m = m;
    it->jm = pk_pipeline_job(sp->model, it->job);
    if (m->type == PK_MSG_STEP) {
        it->step = (s_step_t) { self, it->pipeline, it->job, it->number, it->retry, &m->step };
        return true;
    }
    it->r = (s_report_t) { attempt, m, NULL, NULL, false };
    if (m->type == PK_MSG_DONE) {
        it->r.status = s_done_status(m, it->jm);
        it->r.reason = m->done.reason;
    }
    it->mut = (sched_mut_t) { .self = self, .pipeline = it->pipeline, .job = it->job,
                              .number = it->number, .retry = it->retry, .fn = s_report_fn,
                              .arg = &it->r };
    return true;
}

static int
s_batch_txn(pk_store_txn_t *txn, void *arg)
{
    s_batch_t *batch = arg;
    for (size_t i = 0; i < batch->count; i++) {
        s_batched_t *it = &batch->items[i];
        it->r.current = false;          // a retry (the map grew) starts again
        it->rc = it->m->type == PK_MSG_STEP ? s_step_txn(txn, &it->step)
                                            : sched_mutate_in(txn, &it->mut);
        if (it->rc < 0)
            return -1;
    }
    return 0;
}

static void
s_batched_clear(s_batched_t *it)
{
    pk_build_clear(&it->mut.b);
    free(it->pipeline);
    free(it->job);
}

void
sched_on_reports(sched_t *self, pk_msg_t *msgs, size_t n)
{
    s_batch_t batch = { calloc(n ? n : 1, sizeof(s_batched_t)), 0 };
    bool plain = n > 1;
    for (size_t i = 0; plain && i < n; i++)
        plain = s_batchable(self, &msgs[i], &batch.items[batch.count++]);
    if (!plain || pk_store_write(self->store, s_batch_txn, &batch) != 0) {
        for (size_t i = 0; i < batch.count; i++)
            s_batched_clear(&batch.items[i]);
        free(batch.items);
        for (size_t i = 0; i < n; i++)
            sched_on_report(self, &msgs[i]);
        return;
    }
    // committed: what sched_on_report does after each of its commits
    bool queue = false;
    for (size_t i = 0; i < n; i++) {
        s_batched_t *it = &batch.items[i];
        pk_msg_t *m = it->m;
        if (m->type == PK_MSG_STEP) {
            if (it->rc != 0)
                self->ignored++;
            else
                sched_put_forward(self, it->pipeline, &m->step);
        }
        else
        if (it->rc == 0) {
            sched_mutate_done(&it->mut, NULL);
            if (m->type == PK_MSG_DONE) {
                sched_pipe_t *sp = zhash_lookup(self->pipelines, it->pipeline);
                if (sp && pk_build_status_passes(it->r.status))
                    sched_downstream(self, sp, it->job);
                queue = true;
            }
        }
        else
        if (!it->r.current) {
            self->ignored++;            // stale attempt, finished build or unknown build
            if (m->type == PK_MSG_STARTED)
                s_cancel_stale(self, &m->started);
        }
        s_batched_clear(it);
    }
    free(batch.items);
    if (queue)
        sched_queue_run(self);
}

// --- start-up

typedef struct {
    char *pipeline, *job;
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
s_found_one(const char *pipeline, const char *job, const pk_build_t *b, void *arg)
{
    s_founds_t *f = arg;
    f->items = realloc(f->items, (f->count + 1) * sizeof(s_found_t));
    s_found_t *it = &f->items[f->count++];
    memset(it, 0, sizeof(*it));
    it->pipeline = strdup(pipeline);
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

// A build that was dispatched but never reported started: no runner ran it
// (or one will be fenced off): it goes back to the queue under a new attempt.
static int
s_requeue_fn(pk_build_t *b, void *arg)
{
    (void) arg;
    if (strcmp(b->status, "pending") || !b->dispatched)
        return 1;
    b->dispatched = false;
    b->attempt++;
    return 0;
}

// The unfinished builds only (builds_open), not the whole history.
void
sched_recover_builds(sched_t *self)
{
    s_founds_t f = { 0 };
    if (pk_builds_open_each(self->builds, NULL, NULL, s_found_one, &f) != 0)
        zsys_error("%s: cannot read the unfinished builds: %s", self->name, pk_store_error());
    for (size_t i = 0; i < f.count; i++) {
        s_found_t *it = &f.items[i];
        if (zhash_lookup(self->pipelines, it->pipeline))
            sched_active_set(self, it->pipeline, it->job, &it->b);
        bool started = !strcmp(it->b.status, "started");
        if (!zhash_lookup(self->pipelines, it->pipeline))
            ;                           // a pipeline that no longer decodes: left as it is
        else
        if (it->ran && self->adopt_grace_ms < 0 && started)
            sched_finish(self, it->pipeline, it->job, it->number, it->retry, "errored",
                         "the server restarted while the build ran");
        else
        if (it->ran && self->adopt_grace_ms < 0)
            sched_mutate(self, it->pipeline, it->job, it->number, it->retry, s_requeue_fn,
                         NULL, NULL);
        else
        if (it->ran) {
            self->adopting = realloc(self->adopting,
                                     (self->adopting_count + 1) * sizeof(sched_adopt_t));
            self->adopting[self->adopting_count++] = (sched_adopt_t) {
                strdup(it->pipeline), strdup(it->job), it->number, it->retry, it->b.attempt };
        }
        free(it->pipeline);
        free(it->job);
        pk_build_clear(&it->b);
    }
    free(f.items);
}

void
sched_adopt_expire(sched_t *self)
{
    static const char why[] = "the server restarted while the build ran and no worker holds it";
    while (self->adopting_count) {
        sched_adopt_t a = self->adopting[--self->adopting_count];
        // never started: it waits in the queue again (as Concourse's do)
        if (sched_mutate(self, a.pipeline, a.job, a.number, a.retry, s_requeue_fn, NULL,
                         NULL) == 0)
            zsys_info("%s: build %s/%s/%" PRIu64 " was queued, not running, before the "
                      "restart: queued again", self->name, a.pipeline, a.job, a.number);
        else
        if (sched_finish(self, a.pipeline, a.job, a.number, a.retry, "errored", why) == 0) {
            char *id = sched_work_id(self, a.pipeline, a.job, a.number, a.retry);
            if (id)
                sched_log_append(self, id, a.attempt, 0, why);
            free(id);
        }
        free(a.pipeline);
        free(a.job);
    }
    sched_queue_run(self);              // the builds queued again may go now
}
