// scheduler_builds: from versions to builds and back. Choosing versions,
// creating a build (committed before its WORK is sent), applying runners'
// reports with fencing, and the downstream builds a success brings.
//
// Version choice (s_choose): a triggering get takes the version that
// triggered; a get with passed takes the newest version id found in a
// succeeded build of every listed job (none: no build at all, never a
// version that did not pass); any other get takes the newest version.
// Ids grow in the order checks found versions, so "newest" is the highest id.
#include "scheduler_internal.h"

#define S_VERSIONS_MAX 100      // builds per job from one versions.new: the newest ones

static void
s_build_event(sched_t *self, const char *pipeline, const char *job, uint64_t number,
              const char *status)
{
    char topic[64];
    snprintf(topic, sizeof topic, "build.%s", status);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    pk_value_object_set(o, "job", pk_value_new_string(job));
    pk_value_object_set(o, "number", pk_value_new_number((double) number));
    pk_value_object_set(o, "status", pk_value_new_string(status));
    sched_send_event(self, topic, o);
    pk_value_destroy(&o);
}

// --- the gets of a job

static void
s_collect_get(const pk_step_t *get, void *arg)
{
    sched_gets_t *g = arg;
    for (size_t i = 0; i < g->count; i++)
        if (!strcmp(g->items[i]->canonical, get->canonical))
            return;                     // a resource got twice is chosen once
    g->items = realloc(g->items, (g->count + 1) * sizeof(*g->items));
    g->items[g->count++] = get;
}

sched_gets_t
sched_gets(const pk_job_t *job)
{
    sched_gets_t g = { 0 };
    pk_resolve_each_get(job, s_collect_get, &g);
    return g;
}

static bool
s_lists(const pk_strlist_t *l, const char *name)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->items[i], name))
            return true;
    return false;
}

// --- choosing versions

uint64_t
sched_latest_id(sched_t *self, pk_store_txn_t *txn, const char *pipeline, const char *resource)
{
    pk_version_t v;
    if (pk_versions_latest(self->versions, txn, pipeline, resource, &v) != 0)
        return 0;
    uint64_t id = v.id;
    pk_version_clear(&v);
    return id;
}

// The newest version id of resource found in a succeeded build of every job
// in passed, or 0. hook: an index (resource, version) -> jobs passed, once
// jobs keep thousands of builds.
static uint64_t
s_passed_id(sched_t *self, const char *pipeline, const char *resource,
            const pk_strlist_t *passed)
{
    uint64_t *cand = NULL;
    size_t n = 0;
    for (size_t j = 0; j < passed->count; j++) {
        pk_build_t *bs;
        size_t bn;
        if (pk_builds_list(self->builds, NULL, pipeline, passed->items[j], 0, &bs, &bn) != 0) {
            n = 0;
            break;
        }
        if (j == 0) {
            cand = calloc(bn + 1, sizeof(uint64_t));
            for (size_t i = 0; i < bn; i++)
                if (!strcmp(bs[i].status, "succeeded")) {
                    uint64_t id = pk_idmap_get(&bs[i].versions, resource);
                    if (id)
                        cand[n++] = id;
                }
        }
        else {
            size_t kept = 0;
            for (size_t c = 0; c < n; c++) {
                bool ok = false;
                for (size_t i = 0; i < bn && !ok; i++)
                    ok = !strcmp(bs[i].status, "succeeded")
                      && pk_idmap_get(&bs[i].versions, resource) == cand[c];
                if (ok)
                    cand[kept++] = cand[c];
            }
            n = kept;
        }
        pk_builds_list_free(&bs, bn);
    }
    uint64_t best = 0;
    for (size_t c = 0; c < n; c++)
        if (cand[c] > best)
            best = cand[c];
    free(cand);
    return best;
}

// Versions for a build of job: 0 with out filled, 1 when some get has no
// acceptable version (no build), -1 on a store error.
static int
s_choose(sched_t *self, const char *pipeline, const pk_job_t *job, const char *trigger_res,
         uint64_t trigger_id, pk_idmap_t *out)
{
    memset(out, 0, sizeof(*out));
    sched_gets_t g = sched_gets(job);
    int rc = 0;
    for (size_t i = 0; i < g.count && rc == 0; i++) {
        const pk_step_t *get = g.items[i];
        uint64_t id;
        if (trigger_res && !strcmp(get->canonical, trigger_res) && get->passed_jobs.count == 0)
            id = trigger_id;
        else
        if (get->passed_jobs.count)
            id = s_passed_id(self, pipeline, get->canonical, &get->passed_jobs);
        else
            id = sched_latest_id(self, NULL, pipeline, get->canonical);
        if (id)
            pk_idmap_set(out, get->canonical, id);
        else
            rc = 1;
    }
    free(g.items);
    if (rc != 0)
        pk_idmap_clear(out);
    return rc;
}

// --- creating and dispatching builds

typedef struct {
    sched_t *self;
    const char *pipeline, *job, *trigger;
    const pk_idmap_t *versions;
    uint64_t number;            // out
} s_create_t;

static int
s_create_txn(pk_store_txn_t *txn, void *arg)
{
    s_create_t *c = arg;
    pk_job_rec_t rec;
    int rc = pk_builds_job_get(c->self->builds, txn, c->pipeline, c->job, &rec);
    if (rc < 0)
        return -1;
    if (rc == PK_STORE_NOTFOUND || rec.next_number == 0)
        rec.next_number = 1;
    c->number = rec.next_number++;
    pk_build_t b = { .number = c->number, .status = "pending", .attempt = 1,
                     .created_ms = zclock_time(), .versions = *c->versions,
                     .trigger = (char *) c->trigger };
    rc = pk_builds_job_put(c->self->builds, txn, c->pipeline, c->job, &rec) == 0
      && pk_builds_put(c->self->builds, txn, c->pipeline, c->job, &b) == 0 ? 0 : -1;
    pk_job_rec_clear(&rec);
    return rc;
}

typedef struct {
    sched_t *self;
    const char *pipeline, *job;
    uint64_t number;
    uint32_t attempt;           // 0: any (our own updates)
    const char *status, *worker, *reason;
    int64_t started_ms, finished_ms;
    bool applied;               // out
} s_update_t;

static bool
s_terminal(const char *status)
{
    return strcmp(status, "pending") && strcmp(status, "started");
}

static int
s_update_txn(pk_store_txn_t *txn, void *arg)
{
    s_update_t *u = arg;
    u->applied = false;
    pk_build_t b;
    int rc = pk_builds_get(u->self->builds, txn, u->pipeline, u->job, u->number, &b);
    if (rc != 0)
        return rc < 0 ? -1 : 1;
    if ((u->attempt && b.attempt != u->attempt) || s_terminal(b.status)
        || (!strcmp(u->status, "started") && strcmp(b.status, "pending"))) {
        pk_build_clear(&b);
        return 1;                       // stale or late: leave it as it is
    }
    free(b.status);
    b.status = strdup(u->status);
    if (u->worker) {
        free(b.worker);
        b.worker = strdup(u->worker);
    }
    if (u->reason) {
        free(b.reason);
        b.reason = strdup(u->reason);
    }
    if (u->started_ms)
        b.started_ms = u->started_ms;
    if (u->finished_ms)
        b.finished_ms = u->finished_ms;
    rc = pk_builds_put(u->self->builds, txn, u->pipeline, u->job, &b);
    pk_build_clear(&b);
    u->applied = rc == 0;
    return rc;
}

static bool
s_update(sched_t *self, s_update_t *u)
{
    u->self = self;
    if (pk_store_write(self->store, s_update_txn, u) != 0 || !u->applied)
        return false;
    s_build_event(self, u->pipeline, u->job, u->number, u->status);
    return true;
}

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

// Persists a pending build, then resolves and sends it. hook: concurrency,
// serial_groups, pause and approvals decide here whether it waits instead.
static void
s_create(sched_t *self, sched_pipe_t *sp, const pk_job_t *job, const pk_idmap_t *versions,
         const char *trigger)
{
    s_create_t c = { self, sp->name, job->name, trigger, versions, 0 };
    if (pk_store_write(self->store, s_create_txn, &c) != 0) {
        zsys_error("%s: cannot store a build of %s/%s: %s", self->name, sp->name, job->name,
                   pk_store_error());
        return;
    }
    self->created++;
    s_build_event(self, sp->name, job->name, c.number, "pending");

    char number[24], *err = NULL;
    snprintf(number, sizeof number, "%" PRIu64, c.number);
    pk_value_t *vals = s_version_values(self, sp->name, versions, &err);
    pk_value_t *plan = NULL;
    if (vals) {
        pk_resolve_build_t args = { .pipeline = sp->name, .number = number, .versions = vals };
        plan = pk_resolve_build(sp->model, job, &args, &err);
        pk_value_destroy(&vals);
    }
    if (!plan) {
        s_update_t u = { .pipeline = sp->name, .job = job->name, .number = c.number,
                         .status = "errored", .reason = err ? err : "cannot resolve the build",
                         .finished_ms = zclock_time() };
        s_update(self, &u);
        free(err);
        return;
    }
    size_t idlen = strlen(sp->name) + strlen(job->name) + 40;
    char *id = malloc(idlen);
    snprintf(id, idlen, "build:%s/%s/%s", sp->name, job->name, number);
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = id;
    m.work.attempt = 1;
    m.work.kind = strdup("build");
    m.work.timeout_ms = job->timeout_ms > 0 ? (uint64_t) job->timeout_ms : 0;
    for (size_t i = 0; i < job->tags.count; i++)
        pk_strs_push(&m.work.tags, job->tags.items[i]);
    pk_value_pack_bytes(plan, &m.work.plan.data, &m.work.plan.size);
    pk_value_destroy(&plan);
    sched_send(self, &m);
    pk_msg_clear(&m);
}

// --- triggers

void
sched_versions_new(sched_t *self, pk_msg_t *m)
{
    const char *name = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    const char *fs = pk_kv_get(&m->signal.args, "first_id");
    const char *ls = pk_kv_get(&m->signal.args, "last_id");
    sched_pipe_t *sp = name ? zhash_lookup(self->pipelines, name) : NULL;
    uint64_t first = fs ? strtoull(fs, NULL, 10) : 0, last = ls ? strtoull(ls, NULL, 10) : 0;
    if (!sp || !resource || !first || last < first) {
        self->ignored++;
        return;
    }
    for (size_t j = 0; j < sp->model->job_count; j++) {
        const pk_job_t *job = sp->model->jobs[j];
        sched_gets_t g = sched_gets(job);
        bool triggers = false;
        for (size_t i = 0; i < g.count && !triggers; i++)
            triggers = !strcmp(g.items[i]->canonical, resource) && g.items[i]->trigger
                    && g.items[i]->passed_jobs.count == 0;
        free(g.items);
        if (!triggers)
            continue;
        pk_job_rec_t rec;
        uint64_t base = 0;
        if (pk_builds_job_get(self->builds, NULL, sp->name, job->name, &rec) == 0) {
            base = pk_idmap_get(&rec.baseline, resource);
            pk_job_rec_clear(&rec);
        }
        uint64_t from = first > base ? first : base + 1;
        if (last >= from && last - from >= S_VERSIONS_MAX)
            from = last - S_VERSIONS_MAX + 1;
        for (uint64_t id = from; id <= last; id++) {
            pk_idmap_t versions;
            if (s_choose(self, sp->name, job, resource, id, &versions) != 0)
                continue;               // a passed constraint not met yet: no build
            s_create(self, sp, job, &versions, "version");
            pk_idmap_clear(&versions);
        }
    }
}

void
sched_trigger(sched_t *self, pk_msg_t *m)
{
    const char *name = pk_kv_get(&m->signal.args, "pipeline");
    const char *jname = pk_kv_get(&m->signal.args, "job");
    sched_pipe_t *sp = name ? zhash_lookup(self->pipelines, name) : NULL;
    const pk_job_t *job = sp && jname ? pk_pipeline_job(sp->model, jname) : NULL;
    if (!job) {
        self->ignored++;
        return;
    }
    // hook: inputs (INPUT_*) and approvals arrive with a manual trigger
    pk_idmap_t versions;
    if (s_choose(self, sp->name, job, NULL, 0, &versions) != 0) {
        zsys_info("%s: %s/%s not triggered: some get has no version yet", self->name,
                  sp->name, job->name);
        return;
    }
    s_create(self, sp, job, &versions, "manual");
    pk_idmap_clear(&versions);
}

// After jobname succeeded: the jobs whose triggering get passes through it.
static void
s_downstream(sched_t *self, sched_pipe_t *sp, const char *jobname)
{
    for (size_t j = 0; j < sp->model->job_count; j++) {
        const pk_job_t *job = sp->model->jobs[j];
        sched_gets_t g = sched_gets(job);
        bool follows = false;
        for (size_t i = 0; i < g.count && !follows; i++)
            follows = g.items[i]->trigger && s_lists(&g.items[i]->passed_jobs, jobname);
        free(g.items);
        if (!follows)
            continue;
        pk_idmap_t versions;
        if (s_choose(self, sp->name, job, NULL, 0, &versions) != 0)
            continue;
        pk_build_t last;
        bool same = pk_builds_latest(self->builds, NULL, sp->name, job->name, &last) == 0
                 && pk_idmap_equal(&last.versions, &versions);
        if (same)
            pk_build_clear(&last);
        else {
            if (last.status)
                pk_build_clear(&last);
            s_create(self, sp, job, &versions, "passed");
        }
        pk_idmap_clear(&versions);
    }
}

// --- reports from runners

// "build:<pipeline>/<job>/<number>" -> its parts (pipeline names hold no '/').
static int
s_parse_id(const char *id, char **pipeline, char **job, uint64_t *number)
{
    if (!id || strncmp(id, "build:", 6))
        return -1;
    const char *p = id + 6, *a = strchr(p, '/'), *b = strrchr(p, '/');
    if (!a || a == p || b == a || b == a + 1 || !b[1])
        return -1;
    char *end;
    *number = strtoull(b + 1, &end, 10);
    if (*end || !*number)
        return -1;
    *pipeline = strndup(p, (size_t) (a - p));
    *job = strndup(a + 1, (size_t) (b - a - 1));
    return 0;
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
    if (s_parse_id(id, &pipeline, &job, &number) != 0 || attempt == 0) {
        self->ignored++;
        return;
    }
    s_update_t u = { .pipeline = pipeline, .job = job, .number = number, .attempt = attempt };
    if (m->type == PK_MSG_STARTED) {
        u.status = "started";
        u.worker = m->started.worker;
        u.started_ms = m->started.started_ms ? (int64_t) m->started.started_ms : zclock_time();
    }
    else
    if (m->type == PK_MSG_DONE) {
        const char *st = m->done.status;
        bool known = st && (!strcmp(st, "succeeded") || !strcmp(st, "failed")
                         || !strcmp(st, "errored") || !strcmp(st, "cancelled"));
        u.status = known ? st : "errored";
        u.reason = m->done.reason;
        u.finished_ms = m->done.finished_ms ? (int64_t) m->done.finished_ms : zclock_time();
    }
    else {
        // hook: build steps (status, times, outputs) get their own keyspace
        free(pipeline);
        free(job);
        return;
    }
    if (!s_update(self, &u))
        self->ignored++;                // stale attempt, finished build or unknown build
    else
    if (!strcmp(u.status, "succeeded")) {
        sched_pipe_t *sp = zhash_lookup(self->pipelines, pipeline);
        if (sp)
            s_downstream(self, sp, job);
    }
    // hook: retries (attempts) and the job's interruptible builds go here
    free(pipeline);
    free(job);
}
