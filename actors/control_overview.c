// control_overview: the "overview" query, pikoci-top's snapshot. Every
// pipeline (with its jobs' pause flags), every unfinished build (with why it
// waits, or the step it is at), the newest finished builds across pipelines
// and every resource, from one read transaction.
//
// Why a build waits is worked out here from the same rules the scheduler
// dispatches by (scheduler_queue.c: paused, concurrency, serial groups
// oldest first, approval), so the scheduler keeps no extra state for
// monitors. A dispatched build that has not started waits for a worker:
// the broker holds it (broker.pending tells which tags nobody offers).
//
// It costs what it returns, not the history: unfinished builds come from
// the builds_open index, finished ones from a reverse scan of each job's
// newest `recent` builds (the newest builds by number are the newest to
// finish, but for a slow one overtaken by later ones).
#include "control_internal.h"
#include <inttypes.h>

#define S_RECENT_DEFAULT 100
#define S_RECENT_LIMIT 1000


// --- the builds

typedef struct {
    const char *pipeline;               // borrowed from the names list
    char *job, *wait, *step;
    pk_build_t b;                       // without its versions and inputs
} s_ov_build_t;

typedef struct {
    const char *pipeline;
    s_ov_build_t *items;
    size_t count, cap;
    s_ov_build_t *done;                 // finished ones
    size_t done_count, done_cap;
} s_ov_t;

static char *
s_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void
s_ov_free(s_ov_build_t *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        s_ov_build_t *b = &items[i];
        free(b->job), free(b->wait), free(b->step);
        pk_build_clear(&b->b);
    }
    free(items);
}

static int
s_ov_collect(const char *job, const pk_build_t *b, void *arg)
{
    s_ov_t *ov = arg;
    bool done = pk_build_status_terminal(b->status);
    s_ov_build_t **items = done ? &ov->done : &ov->items;
    size_t *count = done ? &ov->done_count : &ov->count, *cap = done ? &ov->done_cap : &ov->cap;
    if (*count == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *items = realloc(*items, *cap * sizeof **items);
    }
    s_ov_build_t *o = &(*items)[(*count)++];
    *o = (s_ov_build_t) { .pipeline = ov->pipeline, .job = strdup(job), .b = *b };
    // b is the scan's: keep its strings, not its versions and inputs
    o->b.status = s_dup(b->status), o->b.reason = s_dup(b->reason);
    o->b.trigger = s_dup(b->trigger), o->b.worker = s_dup(b->worker);
    o->b.by = s_dup(b->by), o->b.voters = s_dup(b->voters);
    o->b.versions = (pk_idmap_t) { 0 };
    o->b.inputs = NULL, o->b.inputs_size = 0;
    return 0;
}

static int
s_ov_open(const char *pipeline, const char *job, const pk_build_t *b, void *arg)
{
    (void) pipeline;
    return s_ov_collect(job, b, arg);
}

// The newest `recent` finished builds of each job of the pipeline (those
// with a record, and those of its definition).
static int
s_ov_recent(ctl_q_t *q, const char *pipeline, const pk_pipeline_t *def, size_t recent,
            s_ov_t *ov)
{
    char **jobs = NULL;
    size_t nj = 0;
    if (pk_builds_jobs_list(q->self->builds, q->txn, pipeline, &jobs, &nj) != 0)
        return -1;
    for (size_t d = 0; d < def->job_count; d++) {
        bool known = false;
        for (size_t j = 0; j < nj && !known; j++)
            known = !strcmp(jobs[j], def->jobs[d]->name);
        if (!known) {
            jobs = realloc(jobs, (nj + 1) * sizeof *jobs);
            jobs[nj++] = strdup(def->jobs[d]->name);
        }
    }
    int rc = 0;
    for (size_t j = 0; j < nj && rc == 0 && recent; j++) {
        pk_build_t *bs = NULL;
        size_t n = 0;
        if (pk_builds_page(q->self->builds, q->txn, pipeline, jobs[j], 0, 0, recent, &bs,
                           &n) != 0)
            rc = -1;
        for (size_t i = 0; i < n; i++)
            if (pk_build_status_terminal(bs[i].status))
                s_ov_collect(jobs[j], &bs[i], ov);
        pk_builds_list_free(&bs, n);
    }
    pk_builds_names_free(&jobs, nj);
    return rc;
}

static bool
s_ov_busy(const s_ov_build_t *b)
{
    return b->b.dispatched || !strcmp(b->b.status, "started");
}

static bool
s_ov_older(const s_ov_build_t *a, const s_ov_build_t *b)
{
    if (a->b.created_ms != b->b.created_ms)
        return a->b.created_ms < b->b.created_ms;
    return a->b.number != b->b.number ? a->b.number < b->b.number : a->b.retry < b->b.retry;
}

// The first serial group jobs a and b share, or NULL.
static const char *
s_ov_group(const pk_job_t *a, const pk_job_t *b)
{
    for (size_t i = 0; a && b && i < a->serial_groups.count; i++)
        for (size_t j = 0; j < b->serial_groups.count; j++)
            if (!strcmp(a->serial_groups.items[i], b->serial_groups.items[j]))
                return a->serial_groups.items[i];
    return NULL;
}

// Why the unfinished build me (of a pipeline whose unfinished builds are
// all[0..n)) is not running, or NULL when it runs.
static char *
s_ov_wait(ctl_q_t *q, const pk_pipeline_t *def, bool paused, const s_ov_build_t *all,
          size_t n, const s_ov_build_t *me)
{
    char *w = NULL;
    if (!strcmp(me->b.status, "waiting_for_approval")) {
        if (asprintf(&w, "approval (%u of %u)", me->b.approvals, me->b.approvals_needed) < 0)
            w = NULL;
        return w;
    }
    if (strcmp(me->b.status, "pending"))
        return NULL;
    if (me->b.dispatched)
        return strdup("waiting for a worker");
    const pk_job_t *job = pk_pipeline_job(def, me->job);
    if (!job)
        return strdup("its job is no longer in the pipeline");
    pk_job_rec_t jr = { 0 };
    bool job_paused = pk_builds_job_get(q->self->builds, q->txn, me->pipeline, me->job, &jr) == 0
                   && jr.paused;
    pk_job_rec_clear(&jr);
    if (paused || job_paused)
        return strdup(paused ? "pipeline paused" : "job paused");
    int same_job = 0;
    const s_ov_build_t *behind = NULL;
    const char *group = NULL;
    for (size_t k = 0; k < n && !w; k++) {
        const s_ov_build_t *o = &all[k];
        if (o == me)
            continue;
        if (!strcmp(o->job, me->job)) {
            same_job += s_ov_busy(o);
            continue;
        }
        const char *g = s_ov_group(job, pk_pipeline_job(def, o->job));
        if (!g)
            continue;
        char *num = pk_build_number_str(o->b.number, o->b.retry);
        if (s_ov_busy(o) && asprintf(&w, "serial group %s (%s #%s runs)", g, o->job, num) < 0)
            w = NULL;
        if (!s_ov_busy(o) && s_ov_older(o, me) && (!behind || s_ov_older(o, behind))) {
            behind = o;
            group = g;
        }
        free(num);
    }
    if (w)
        return w;
    if (behind) {                       // the older one keeps its group (FIFO)
        char *num = pk_build_number_str(behind->b.number, behind->b.retry);
        if (asprintf(&w, "serial group %s (behind %s #%s)", group, behind->job, num) < 0)
            w = NULL;
        free(num);
        return w;
    }
    if (job->concurrency > 0 && same_job >= job->concurrency) {
        if (asprintf(&w, "concurrency %d reached", job->concurrency) < 0)
            w = NULL;
        return w;
    }
    return strdup("queued");
}

// "task unit": the step a started build is at (the last one started).
static char *
s_ov_step(ctl_q_t *q, const s_ov_build_t *b)
{
    pk_build_step_t *steps = NULL;
    size_t n = 0;
    if (pk_builds_steps_list(q->self->builds, q->txn, b->pipeline, b->job, b->b.number, b->b.retry,
                             &steps, &n) != 0 || n == 0)
        return NULL;
    const pk_build_step_t *at = &steps[n - 1];
    for (size_t i = 0; i < n; i++)
        if (steps[i].status && !strcmp(steps[i].status, "started"))
            at = &steps[i];
    char *s;
    if (asprintf(&s, "%s %s", at->kind ? at->kind : "step", at->name ? at->name : "") < 0)
        s = NULL;
    pk_build_steps_free(&steps, n);
    return s;
}

static void
s_ov_pack(ctl_q_t *q, const s_ov_build_t *b)
{
    msgpack_packer *pk = &q->pk;
    msgpack_pack_map(pk, CTL_BUILD_HEAD_PAIRS + 5);
    ctl_pack_build_head(pk, b->pipeline, b->job, &b->b);
    ctl_kbool(pk, "dispatched", b->b.dispatched);
    ctl_kint(pk, "approvals_needed", b->b.approvals_needed);
    ctl_kint(pk, "approvals", b->b.approvals);
    ctl_kstr(pk, "wait", b->wait);
    ctl_kstr(pk, "step", b->step);
}

static int
s_ov_by_age(const void *x, const void *y)
{
    const s_ov_build_t *a = x, *b = y;
    return s_ov_older(a, b) ? -1 : s_ov_older(b, a) ? 1 : strcmp(a->job, b->job);
}

static int
s_ov_by_finish(const void *x, const void *y)
{
    const s_ov_build_t *a = x, *b = y;
    if (a->b.finished_ms != b->b.finished_ms)
        return a->b.finished_ms > b->b.finished_ms ? -1 : 1;
    return -s_ov_by_age(x, y);
}

int
ctl_q_overview(ctl_q_t *q)
{
    uint64_t recent;
    if (ctl_uint_arg(q, "recent", S_RECENT_DEFAULT, &recent))
        return 1;
    if (recent > S_RECENT_LIMIT)
        return ctl_fail(q, "recent %" PRIu64 " is too many (at most %d)", recent,
                        S_RECENT_LIMIT);
    const char *only = ctl_arg(q, "pipeline");
    char **names = NULL;
    size_t n = 0;
    if (only) {                                 // an unknown name gets "did you mean"
        const char *name;
        pk_pipeline_rec_t rec;
        pk_pipeline_t *def;
        if (ctl_pipeline(q, &name, &rec, &def))
            return 1;
        pk_pipeline_rec_clear(&rec);
        names = calloc(1, sizeof *names);
        names[n++] = strdup(only);
    }
    else
    if (pk_builds_pipelines_list(q->self->builds, q->txn, &names, &n) != 0)
        return ctl_store_fail(q);
    else
        ctl_filter_names(q, names, &n);
    pk_pipeline_t **defs = calloc(n + 1, sizeof *defs);
    bool *paused = calloc(n + 1, sizeof *paused);
    s_ov_t ov = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        pk_kv_t args = { 0 };
        pk_kv_set(&args, "pipeline", names[i]);
        const pk_kv_t *saved = q->args;
        q->args = &args;
        const char *name;
        pk_pipeline_rec_t rec;
        if (ctl_pipeline(q, &name, &rec, &defs[i]) == 0) {
            paused[i] = rec.paused;
            pk_pipeline_rec_clear(&rec);
            size_t first = ov.count;
            ov.pipeline = names[i];
            if (pk_builds_open_each(q->self->builds, q->txn, names[i], s_ov_open, &ov) != 0
                || s_ov_recent(q, names[i], defs[i], (size_t) recent, &ov) != 0)
                rc = ctl_store_fail(q);
            for (size_t k = first; k < ov.count && rc == 0; k++) {
                s_ov_build_t *b = &ov.items[k];
                b->wait = s_ov_wait(q, defs[i], paused[i], ov.items + first, ov.count - first, b);
                if (!strcmp(b->b.status, "started"))
                    b->step = s_ov_step(q, b);
            }
        }
        else
            defs[i] = NULL;         // a pipeline whose source no longer reads: skipped
        free(*q->error);
        *q->error = NULL;
        q->args = saved;
        pk_kv_clear(&args);
    }
    if (rc == 0) {
        msgpack_packer *pk = &q->pk;
        msgpack_pack_map(pk, 5);
        ctl_kint(pk, "now_ms", zclock_time());
        ctl_str(pk, "pipelines");
        size_t live = 0;
        for (size_t i = 0; i < n; i++)
            live += defs[i] != NULL;
        msgpack_pack_array(pk, live);
        for (size_t i = 0; i < n; i++) {
            if (!defs[i])
                continue;
            msgpack_pack_map(pk, 3);
            ctl_kstr(pk, "name", names[i]);
            ctl_kbool(pk, "paused", paused[i]);
            ctl_str(pk, "jobs");
            msgpack_pack_array(pk, defs[i]->job_count);
            for (size_t j = 0; j < defs[i]->job_count; j++) {
                pk_job_rec_t jr = { 0 };
                const char *job = defs[i]->jobs[j]->name;
                bool jp = pk_builds_job_get(q->self->builds, q->txn, names[i], job, &jr) == 0
                       && jr.paused;
                pk_job_rec_clear(&jr);
                msgpack_pack_map(pk, 2);
                ctl_kstr(pk, "name", job);
                ctl_kbool(pk, "paused", jp);
            }
        }
        if (ov.count)
            qsort(ov.items, ov.count, sizeof *ov.items, s_ov_by_age);
        ctl_str(pk, "active");
        msgpack_pack_array(pk, ov.count);
        for (size_t i = 0; i < ov.count; i++)
            s_ov_pack(q, &ov.items[i]);
        if (ov.done_count)
            qsort(ov.done, ov.done_count, sizeof *ov.done, s_ov_by_finish);
        size_t keep = ov.done_count < recent ? ov.done_count : (size_t) recent;
        ctl_str(pk, "recent");
        msgpack_pack_array(pk, keep);
        for (size_t i = 0; i < keep; i++)
            s_ov_pack(q, &ov.done[i]);
        size_t res = 0;
        for (size_t i = 0; i < n; i++)
            res += defs[i] ? defs[i]->resource_count : 0;
        ctl_str(pk, "resources");
        msgpack_pack_array(pk, res);
        for (size_t i = 0; i < n; i++)
            for (size_t r = 0; defs[i] && r < defs[i]->resource_count; r++)
                ctl_pack_resource(q, names[i], defs[i]->resources[r], true);
    }
    s_ov_free(ov.items, ov.count);
    s_ov_free(ov.done, ov.done_count);
    free(defs);
    free(paused);
    pk_builds_names_free(&names, n);
    return rc;
}
