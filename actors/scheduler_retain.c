// scheduler_retain: the retention collector. Builds beyond a job's
// build_log_retention (or the server's --retain-builds/--retain-days) lose
// their step records (here, the scheduler's keyspace) and their log (the log
// sink's: asked by a "forget" signal); the build row stays as a summary,
// marked trimmed_ms. Work comes in small batches -- at most S_BATCH builds
// per write transaction, one transaction per run -- so the writer is held a
// few milliseconds and builds never wait on the collector; a run that
// filled its batch asks for another soon, otherwise the timer's period.
// Which builds are past retention is read outside the write transaction.
// Marks (in memory: per pipeline life and job, every build at or below is
// trimmed or kept for good) keep each run from reading the same old builds
// again; after a restart the first runs walk past trimmed rows once.
#include "scheduler_internal.h"

#define S_BATCH 8               // builds per write transaction
#define S_PAGE 64               // builds read per job per run
#define S_SUCCEEDED_SCAN 500    // how far back minimum_succeeded_builds looks
#define S_DAY_MS 86400000LL

typedef struct {
    const char *pipeline, *job;         // borrowed from the loaded model
    uint64_t number, life;
    uint32_t retry, attempt;
} s_cut_t;

typedef struct {
    s_cut_t cuts[S_BATCH];
    size_t count;
} s_batch_t;

static bool
s_passes(const char *status)
{
    return status && (!strcmp(status, "succeeded") || !strcmp(status, "warning"));
}

static uint64_t *
s_mark(sched_t *self, const sched_pipe_t *sp, const char *job)
{
    if (!self->retain_marks)
        self->retain_marks = zhash_new();
    char key[600];
    snprintf(key, sizeof key, "%s\x1f%" PRIu64 "\x1f%s", sp->name, sp->life, job);
    uint64_t *mark = zhash_lookup(self->retain_marks, key);
    if (!mark && (mark = calloc(1, sizeof *mark))) {
        zhash_insert(self->retain_marks, key, mark);
        zhash_freefn(self->retain_marks, key, free);
    }
    return mark;
}

// The lowest number of the newest n builds of the job; 0 when it has fewer.
static uint64_t
s_count_bound(sched_t *self, const char *pipeline, const char *job, int n)
{
    pk_build_t *items = NULL;
    size_t count = 0;
    uint64_t from = 0;
    if (pk_builds_page(self->builds, NULL, pipeline, job, 0, 0, (size_t) n, &items, &count) == 0
        && count == (size_t) n)
        from = items[count - 1].number;
    pk_builds_list_free(&items, count);
    return from;
}

// The number of the m-th newest succeeded build: succeeded builds at or
// above it are kept. 1 (keep every succeeded build) when there are fewer
// in the builds looked at; UINT64_MAX when m is 0.
static uint64_t
s_succeeded_bound(sched_t *self, const char *pipeline, const char *job, int m)
{
    if (m <= 0)
        return UINT64_MAX;
    pk_build_t *items = NULL;
    size_t count = 0;
    uint64_t from = 1;
    int seen = 0;
    if (pk_builds_page(self->builds, NULL, pipeline, job, 0, 0, S_SUCCEEDED_SCAN, &items,
                       &count) == 0)
        for (size_t i = 0; i < count && seen < m; i++)
            if (s_passes(items[i].status) && ++seen == m)
                from = items[i].number;
    pk_builds_list_free(&items, count);
    return from;
}

static void
s_job(sched_t *self, const sched_pipe_t *sp, const pk_job_t *job, s_batch_t *batch,
      int64_t now_ms)
{
    const pk_retention_t *r = &job->retention;
    int keep_n = r->set ? r->builds : self->retain_builds;
    int days = r->set ? r->days : self->retain_days;
    if (keep_n <= 0 && days <= 0)
        return;
    uint64_t count_from = 0;
    if (keep_n > 0 && !(count_from = s_count_bound(self, sp->name, job->name, keep_n)))
        return;                         // fewer builds than it keeps
    int64_t cutoff = days > 0 ? now_ms - days * S_DAY_MS : 0;
    uint64_t ok_from = s_succeeded_bound(self, sp->name, job->name,
                                         r->set ? r->minimum_succeeded_builds : 0);
    uint64_t *mark = s_mark(self, sp, job->name);
    if (!mark)
        return;
    pk_build_t *items = NULL;
    size_t count = 0;
    if (pk_builds_page(self->builds, NULL, sp->name, job->name, 0, *mark, S_PAGE, &items,
                       &count) != 0 || !count) {
        pk_builds_list_free(&items, count);
        return;
    }
    // a full page may end inside a number's retries: done up to the one below
    uint64_t done = count == S_PAGE ? items[0].number - 1 : items[0].number;
    for (size_t i = count; i-- > 0;) {
        const pk_build_t *b = &items[i];
        // kept when inside either bound given (Concourse: trimmed past both)
        bool young = (keep_n > 0 && b->number >= count_from)
                  || (days > 0 && b->created_ms >= cutoff);
        if (young || !pk_build_status_terminal(b->status)) {
            done = b->number - 1;
            break;
        }
        if (b->trimmed_ms || (s_passes(b->status) && b->number >= ok_from))
            continue;
        if (batch->count == S_BATCH) {
            done = b->number - 1;
            break;
        }
        s_cut_t *c = &batch->cuts[batch->count++];
        *c = (s_cut_t) { sp->name, job->name, b->number, sp->life, b->retry, b->attempt };
    }
    if (done > *mark)
        *mark = done;
    pk_builds_list_free(&items, count);
}

typedef struct {
    sched_t *self;
    s_batch_t *batch;
    pk_retention_stats_t st;
} s_trim_t;

static int
s_trim_txn(pk_store_txn_t *txn, void *arg)
{
    s_trim_t *t = arg;
    pk_retention_stats_t prev;
    if (pk_builds_retention_get(t->self->builds, txn, &prev) != 0)
        return -1;
    t->st = (pk_retention_stats_t) { .at_ms = zclock_time(), .logs = t->batch->count,
                                     .total_builds = prev.total_builds };
    for (size_t i = 0; i < t->batch->count; i++) {
        const s_cut_t *c = &t->batch->cuts[i];
        uint64_t steps = 0;
        int rc = pk_builds_trim(t->self->builds, txn, c->pipeline, c->job, c->number, c->retry,
                                t->st.at_ms, &steps);
        if (rc < 0)
            return -1;
        t->st.builds += rc == 0;
        t->st.steps += steps;
    }
    t->st.total_builds += t->st.builds;
    return pk_builds_retention_put(t->self->builds, txn, &t->st);
}

bool
sched_retain_run(sched_t *self)
{
    s_batch_t batch = { .count = 0 };
    int64_t now_ms = zclock_time();
    zlist_t *names = zhash_keys(self->pipelines);
    for (char *name = zlist_first(names); name && batch.count < S_BATCH;
         name = zlist_next(names)) {
        sched_pipe_t *sp = zhash_lookup(self->pipelines, name);
        for (size_t j = 0; sp && j < sp->model->job_count && batch.count < S_BATCH; j++)
            s_job(self, sp, sp->model->jobs[j], &batch, now_ms);
    }
    bool full = batch.count == S_BATCH;
    s_trim_t t = { .self = self, .batch = &batch };
    if (batch.count && pk_store_write(self->store, s_trim_txn, &t) != 0) {
        zsys_error("%s: retention: cannot trim %zu builds: %s", self->name, batch.count,
                   pk_store_error());
        zhash_destroy(&self->retain_marks);     // read them again next time
        full = false;
    }
    else
    for (size_t i = 0; i < batch.count; i++) {
        const s_cut_t *c = &batch.cuts[i];
        pk_msg_t m = { .type = PK_MSG_SIGNAL };
        m.signal.to = strdup("logsink");
        m.signal.what = strdup("forget");
        char *id = pk_builds_work_id(c->pipeline, c->life, c->job, c->number, c->retry);
        char attempt[16];
        snprintf(attempt, sizeof attempt, "%" PRIu32, c->attempt ? c->attempt : 1);
        pk_kv_set(&m.signal.args, "id", id);
        pk_kv_set(&m.signal.args, "attempt", attempt);
        sched_send(self, &m);
        pk_msg_clear(&m);
        free(id);
    }
    if (batch.count && t.st.builds) {
        self->retain_total += t.st.builds;
        zsys_info("%s: retention: %" PRIu64 " builds trimmed (%" PRIu64 " step records; "
                  "their logs go to the log sink)", self->name, t.st.builds, t.st.steps);
    }
    zlist_destroy(&names);
    return full;
}
