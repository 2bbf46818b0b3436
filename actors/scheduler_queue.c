// scheduler_queue: the unfinished builds and what may run. Every change to
// a build goes through sched_mutate (one write transaction that re-reads
// the build, so the store decides; then the in-memory queue and the event
// bus follow), and every change that can free or take a slot runs the
// queue again.
//
// A pending build is dispatched when nothing holds it: the scheduler is not
// draining, its job is not paused (pausing a pipeline pauses its jobs), it
// has fewer dispatched builds than `concurrency` (0: no limit), no build of
// another job sharing one of its serial_groups is dispatched. The queue is
// walked oldest first, and a build held by a serial group holds that group
// for the younger builds behind it, so a busy job cannot starve another of
// the group (FIFO by creation).
//
// Cancelling a dispatched build marks it cancelled at once and sends CANCEL
// to its runner; of the runner's later reports only its STEPs count (the
// cancelled step's end, the on_cancel and ensure hooks it runs); the rest
// are fenced out like any report of a finished build.
#include "scheduler_internal.h"

// --- the queue in memory

void
sched_active_set(sched_t *self, const char *pipeline, const char *job, const pk_build_t *b)
{
    size_t i = 0;
    while (i < self->active_count
           && (self->active[i].number != b->number || self->active[i].retry != b->retry
               || strcmp(self->active[i].job, job) || strcmp(self->active[i].pipeline, pipeline)))
        i++;
    if (pk_build_status_terminal(b->status)) {
        if (i < self->active_count) {
            free(self->active[i].pipeline);
            free(self->active[i].job);
            self->active[i] = self->active[--self->active_count];
        }
        return;
    }
    if (i == self->active_count) {
        self->active = realloc(self->active, (self->active_count + 1) * sizeof(sched_active_t));
        sched_active_t *a = &self->active[self->active_count++];
        memset(a, 0, sizeof(*a));
        a->pipeline = strdup(pipeline);
        a->job = strdup(job);
        a->number = b->number;
        a->retry = b->retry;
        a->created_ms = b->created_ms;
    }
    sched_active_t *a = &self->active[i];
    snprintf(a->status, sizeof a->status, "%s", b->status);
    a->dispatched = b->dispatched;
    a->attempt = b->attempt;
}

void
sched_active_drop_pipeline(sched_t *self, const char *pipeline)
{
    for (size_t i = 0; i < self->active_count; )
        if (!strcmp(self->active[i].pipeline, pipeline)) {
            free(self->active[i].pipeline);
            free(self->active[i].job);
            self->active[i] = self->active[--self->active_count];
        }
        else
            i++;
}

size_t
sched_running(sched_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->active_count; i++)
        n += self->active[i].dispatched || !strcmp(self->active[i].status, "started");
    return n;
}

// --- changes to a build

void
sched_build_event(sched_t *self, const char *pipeline, const char *job, const pk_build_t *b)
{
    char topic[64];
    snprintf(topic, sizeof topic, "build.%s", b->status);
    char *num = pk_build_number_str(b->number, b->retry);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    pk_value_object_set(o, "job", pk_value_new_string(job));
    pk_value_object_set(o, "number", pk_value_new_string(num));
    pk_value_object_set(o, "status", pk_value_new_string(b->status));
    if (b->reason)
        pk_value_object_set(o, "reason", pk_value_new_string(b->reason));
    if (!strcmp(b->status, "waiting_for_approval"))
        pk_value_object_set(o, "approvals", pk_value_new_number(b->approvals));
    sched_send_event(self, topic, o);
    pk_value_destroy(&o);
    free(num);
}

typedef sched_mut_t s_mutate_t;

// The build was just cut off: a step still marked started ends with it
// (status cancelled or errored, the build's end time), so no step's duration keeps
// growing when its runner cannot say more. A runner that can (a cancelled
// build's runner ends its step and runs the hooks) still reports; its word
// replaces ours (scheduler_reports.c).
static int
s_close_steps(s_mutate_t *c, pk_store_txn_t *txn)
{
    pk_build_step_t *steps = NULL;
    size_t n = 0;
    if (pk_builds_steps_list(c->self->builds, txn, c->pipeline, c->job, c->number, c->retry,
                             &steps, &n) != 0)
        return -1;
    const char *status = c->b.status;   // cancelled or errored: see s_mutate_txn
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!steps[i].status || strcmp(steps[i].status, "started"))
            continue;
        sched_set_str(&steps[i].status, status);
        steps[i].finished_ms = c->b.finished_ms ? c->b.finished_ms : zclock_time();
        rc = pk_builds_step_put(c->self->builds, txn, c->pipeline, c->job, c->number, c->retry,
                                &steps[i]);
    }
    pk_build_steps_free(&steps, n);
    return rc;
}

int
sched_mutate_in(pk_store_txn_t *txn, sched_mut_t *c)
{
    pk_build_clear(&c->b);
    int rc = pk_builds_get(c->self->builds, txn, c->pipeline, c->job, c->number, c->retry, &c->b);
    c->left = rc == PK_STORE_NOTFOUND;
    if (rc != 0)
        return rc < 0 ? -1 : 1;
    char *before = strdup(c->b.status);
    uint32_t votes = c->b.approvals;
    bool was_open = !pk_build_status_terminal(before);
    rc = c->fn(&c->b, c->arg);
    c->event = rc == 0 && (strcmp(before, c->b.status) || votes != c->b.approvals);
    free(before);
    c->left = rc != 0;
    if (rc != 0)
        return 1;
    // (a runner's own DONE comes after its every STEP: only a build ended
    // under it -- cancelled, or errored for a lost worker -- can have any)
    bool cut = !strcmp(c->b.status, "cancelled") || !strcmp(c->b.status, "errored");
    if (was_open && cut && s_close_steps(c, txn) != 0)
        return -1;
    return pk_builds_put(c->self->builds, txn, c->pipeline, c->job, &c->b) == 0 ? 0 : -1;
}

static int
s_mutate_txn(pk_store_txn_t *txn, void *arg)
{
    return sched_mutate_in(txn, arg);
}

void
sched_mutate_done(sched_mut_t *c, pk_build_t *after)
{
    sched_active_set(c->self, c->pipeline, c->job, &c->b);
    if (c->event)
        sched_build_event(c->self, c->pipeline, c->job, &c->b);
    if (after)
        *after = c->b;
    else
        pk_build_clear(&c->b);
    memset(&c->b, 0, sizeof c->b);
}

int
sched_mutate(sched_t *self, const char *pipeline, const char *job, uint64_t number,
             uint32_t retry, sched_mutate_fn *fn, void *arg, pk_build_t *after)
{
    s_mutate_t c = { .self = self, .pipeline = pipeline, .job = job, .number = number,
                     .retry = retry, .fn = fn, .arg = arg };
    int rc = pk_store_write(self->store, s_mutate_txn, &c);
    if (rc != 0) {                      // left as it was, or a store error
        bool left = c.left;
        pk_build_clear(&c.b);
        if (!left)
            zsys_error("%s: cannot update a build of %s/%s: %s", self->name, pipeline, job,
                       pk_store_error());
        return left ? 1 : -1;
    }
    sched_mutate_done(&c, after);
    return 0;
}

void
sched_set_str(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
}

typedef struct {
    const char *status, *reason;
    bool was_dispatched;        // out
} s_finish_t;

static int
s_finish_fn(pk_build_t *b, void *arg)
{
    s_finish_t *f = arg;
    if (pk_build_status_terminal(b->status))
        return 1;
    f->was_dispatched = b->dispatched || !strcmp(b->status, "started");
    sched_set_str(&b->status, f->status);
    sched_set_str(&b->reason, f->reason);
    b->finished_ms = zclock_time();
    return 0;
}

static void
s_send_cancel(sched_t *self, const char *pipeline, const char *job, const pk_build_t *b,
              const char *reason)
{
    pk_msg_t c = { .type = PK_MSG_CANCEL };
    if ((c.cancel.id = sched_work_id(self, pipeline, job, b->number, b->retry))) {
        c.cancel.attempt = b->attempt;
        c.cancel.reason = strdup(reason ? reason : "cancelled");
        sched_send(self, &c);
    }
    pk_msg_clear(&c);
}

int
sched_finish(sched_t *self, const char *pipeline, const char *job, uint64_t number,
             uint32_t retry, const char *status, const char *reason)
{
    s_finish_t f = { status, reason, false };
    pk_build_t b;
    int rc = sched_mutate(self, pipeline, job, number, retry, s_finish_fn, &f, &b);
    if (rc != 0)
        return 1;
    if (f.was_dispatched)
        s_send_cancel(self, pipeline, job, &b, reason);
    pk_build_clear(&b);
    sched_queue_run(self);
    return 0;
}

// --- dispatch

static pk_value_t *
s_version_values(sched_t *self, const char *pipeline, const pk_idmap_t *ids, char **err)
{
    pk_value_t *o = pk_value_new_object();
    for (size_t i = 0; i < ids->count; i++) {
        pk_version_t v;
        if (pk_versions_get(self->versions, NULL, pipeline, ids->names[i], ids->ids[i], &v) != 0) {
            *err = strdup("a chosen version is missing from the store");
            pk_value_destroy(&o);
            return NULL;
        }
        pk_value_t *val = pk_value_unpack(v.data, v.size);
        pk_version_clear(&v);
        if (!val) {
            *err = strdup("a chosen version cannot be decoded");
            pk_value_destroy(&o);
            return NULL;
        }
        pk_value_object_set(o, ids->names[i], val);
    }
    return o;
}

static int
s_dispatched_fn(pk_build_t *b, void *arg)
{
    (void) arg;
    if (strcmp(b->status, "pending") || b->dispatched)
        return 1;
    b->dispatched = true;
    return 0;
}

// Resolves the build and sends its WORK, marked dispatched first: after a
// crash a dispatched build waits to be claimed by its runner, never runs
// twice (scheduler_reports.c).
static void
s_dispatch(sched_t *self, sched_pipe_t *sp, const pk_job_t *job, uint64_t number,
           uint32_t retry)
{
    pk_build_t b;
    if (pk_builds_get(self->builds, NULL, sp->name, job->name, number, retry, &b) != 0)
        return;
    char *num = pk_build_number_str(number, retry), *err = NULL;
    pk_value_t *vals = s_version_values(self, sp->name, &b.versions, &err);
    pk_value_t *inputs = b.inputs ? pk_value_unpack(b.inputs, b.inputs_size) : NULL;
    pk_value_t *plan = NULL;
    if (vals) {
        pk_resolve_build_t args = { .pipeline = sp->name, .number = num, .versions = vals,
                                    .inputs = inputs };
        plan = pk_resolve_build(sp->model, job, &args, &err);
    }
    pk_value_destroy(&vals);
    pk_value_destroy(&inputs);
    pk_build_clear(&b);
    if (!plan) {
        s_finish_t f = { "errored", err ? err : "cannot resolve the build", false };
        sched_mutate(self, sp->name, job->name, number, retry, s_finish_fn, &f, NULL);
    }
    else
    if (sched_mutate(self, sp->name, job->name, number, retry, s_dispatched_fn, NULL, &b) == 0) {
        pk_msg_t m = { .type = PK_MSG_WORK };
        m.work.id = pk_builds_work_id(sp->name, sp->life, job->name, number, retry);
        m.work.attempt = b.attempt;
        m.work.kind = strdup("build");
        m.work.timeout_ms = job->timeout_ms > 0 ? (uint64_t) job->timeout_ms : 0;
        for (size_t i = 0; i < job->tags.count; i++)
            pk_strs_push(&m.work.tags, job->tags.items[i]);
        // the pipeline's team (control records it when the pipeline is first
        // set): a team-bound worker takes only its team's work, and the
        // secret store's team scope is this one
        char *team = self->auth ? pk_auth_pipeline_team(self->auth, NULL, sp->name) : NULL;
        m.work.team = team ? team : strdup("main");
        team = m.work.team;
        sched_secrets_fill(self->secrets, sp->name, team, plan, &m.work.secrets);
        pk_value_pack_bytes(plan, &m.work.plan.data, &m.work.plan.size);
        if (m.work.id)
            sched_send(self, &m);
        pk_msg_clear(&m);
        pk_build_clear(&b);
    }
    pk_value_destroy(&plan);
    free(err);
    free(num);
}

static bool
s_shares_group(const pk_job_t *a, const pk_job_t *b)
{
    for (size_t i = 0; i < a->serial_groups.count; i++)
        for (size_t j = 0; j < b->serial_groups.count; j++)
            if (!strcmp(a->serial_groups.items[i], b->serial_groups.items[j]))
                return true;
    return false;
}

static int
s_by_age(const void *x, const void *y)
{
    const sched_active_t *a = x, *b = y;
    if (a->created_ms != b->created_ms)
        return a->created_ms < b->created_ms ? -1 : 1;
    if (a->number != b->number)
        return a->number < b->number ? -1 : 1;
    return a->retry < b->retry ? -1 : a->retry > b->retry;
}

// May the pending build at index i go now? held: builds already found
// waiting on a serial group in this walk (they keep their group).
static bool
s_may_go(sched_t *self, sched_pipe_t *sp, const pk_job_t *job, size_t i, const bool *held)
{
    const sched_active_t *me = &self->active[i];
    int same_job = 0;
    for (size_t k = 0; k < self->active_count; k++) {
        const sched_active_t *o = &self->active[k];
        if (k == i || strcmp(o->pipeline, me->pipeline))
            continue;
        bool busy = o->dispatched || !strcmp(o->status, "started");
        if (!strcmp(o->job, me->job)) {
            same_job += busy;
            continue;
        }
        if (!busy && !(held[k] && k < i))
            continue;
        const pk_job_t *other = pk_pipeline_job(sp->model, o->job);
        if (other && s_shares_group(job, other))
            return false;
    }
    return job->concurrency <= 0 || same_job < job->concurrency;
}

void
sched_queue_run(sched_t *self)
{
    if (self->draining || !self->active_count)
        return;
    qsort(self->active, self->active_count, sizeof(sched_active_t), s_by_age);
    bool *held = calloc(self->active_count, sizeof(bool));
    // jobs found paused or at their limit in this run: their later builds
    // are skipped without a store read or another walk (a backlog of N
    // builds of a concurrency-1 job costs O(N) per run, not O(N^2))
    zhash_t *stopped = zhash_new();
    for (size_t i = 0; i < self->active_count; i++) {
        sched_active_t *a = &self->active[i];
        if (strcmp(a->status, "pending") || a->dispatched)
            continue;
        char key[512];
        snprintf(key, sizeof key, "%s/%s", a->pipeline, a->job);
        if (zhash_lookup(stopped, key))
            continue;
        sched_pipe_t *sp = zhash_lookup(self->pipelines, a->pipeline);
        const pk_job_t *job = sp ? pk_pipeline_job(sp->model, a->job) : NULL;
        if (!job)
            continue;                   // its pipeline is not loaded
        pk_job_rec_t rec;
        bool paused = pk_builds_job_get(self->builds, NULL, sp->name, job->name, &rec) != 0
                   || rec.paused;
        pk_job_rec_clear(&rec);
        if (paused) {
            zhash_insert(stopped, key, (void *) 1);
            continue;
        }
        if (!s_may_go(self, sp, job, i, held)) {
            held[i] = job->serial_groups.count > 0;
            if (!held[i])               // serial groups decide build by build
                zhash_insert(stopped, key, (void *) 1);
            continue;
        }
        // s_dispatch changes only this entry (or removes it when the build
        // cannot be resolved): the walk goes on from the same place
        size_t before = self->active_count;
        s_dispatch(self, sp, job, a->number, a->retry);
        if (self->active_count < before) {
            qsort(self->active, self->active_count, sizeof(sched_active_t), s_by_age);
            memmove(held + i, held + i + 1, (before - i - 1) * sizeof(bool));
            i--;
        }
    }
    zhash_destroy(&stopped);
    free(held);
}
