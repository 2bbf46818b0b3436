// scheduler_ops: control's commands on pipelines, jobs, resources and
// builds -- pause/unpause, pin/unpin, approve/reject, cancel, retry,
// build.warning (mark a failed build as warning). Each
// fills a sched_reply_t (scheduler.c sends it when the signal had a ref);
// errors are sentences for the person at the CLI.
//
// Pause.md: pausing a pipeline sets every job's paused flag and unpausing it
// clears them; a job's own flag is what holds it, so a job unpaused inside
// a paused pipeline runs. Unpausing moves the job's baseline to the newest
// versions: what was found while it was paused is skipped, as PikoCI does;
// only versions found after unpausing trigger. A pin is checked against the stored versions, and
// pinning cancels queued builds (not yet dispatched) made with another
// version of that resource.
#include "scheduler_internal.h"

static void
s_event2(sched_t *self, const char *topic, const char *pipeline, const char *k,
         const char *v)
{
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    if (k)
        pk_value_object_set(o, k, pk_value_new_string(v));
    sched_send_event(self, topic, o);
    pk_value_destroy(&o);
}

// --- pause

typedef struct {
    sched_t *self;
    sched_pipe_t *sp;
    const pk_job_t *job;        // NULL: the pipeline
    bool paused;
} s_pause_t;

static int
s_rebase(s_pause_t *a, pk_store_txn_t *txn, const pk_job_t *job, pk_job_rec_t *rec)
{
    sched_gets_t g = sched_gets(job);
    for (size_t i = 0; i < g.count; i++)
        pk_idmap_set(&rec->baseline, g.items[i]->canonical,
                     sched_latest_id(a->self, txn, a->sp->name, g.items[i]->canonical));
    free(g.items);
    return 0;
}

static int
s_pause_txn(pk_store_txn_t *txn, void *arg)
{
    s_pause_t *a = arg;
    pk_builds_t *b = a->self->builds;
    if (!a->job) {
        pk_pipeline_rec_t rec;
        if (pk_builds_pipeline_get(b, txn, a->sp->name, &rec) != 0)
            return -1;
        rec.paused = a->paused;
        int rc = pk_builds_pipeline_put(b, txn, a->sp->name, &rec);
        pk_pipeline_rec_clear(&rec);
        if (rc != 0)
            return -1;
    }
    for (size_t j = 0; j < a->sp->model->job_count; j++) {
        const pk_job_t *job = a->sp->model->jobs[j];
        if (a->job && a->job != job)
            continue;
        pk_job_rec_t rec;
        if (pk_builds_job_get(b, txn, a->sp->name, job->name, &rec) != 0)
            return -1;
        rec.paused = a->paused;         // Pause.md: the pipeline's (un)pause sets every job's
        if (!a->paused)
            s_rebase(a, txn, job, &rec);
        int rc = pk_builds_job_put(b, txn, a->sp->name, job->name, &rec);
        pk_job_rec_clear(&rec);
        if (rc != 0)
            return -1;
    }
    return 0;
}

void
sched_op_pause(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    const char *what = m->signal.what;
    sched_pipe_t *sp = sched_find_pipe(self, m, r);
    if (!sp)
        return;
    s_pause_t a = { self, sp, NULL, !strstr(what, "unpause") };
    if (!strncmp(what, "job.", 4) && !(a.job = sched_find_job(self, sp, m, r)))
        return;
    if (pk_store_write(self->store, s_pause_txn, &a) != 0) {
        sched_fail(r, "the scheduler cannot store the change: %s", pk_store_error());
        return;
    }
    if (!a.job)
        sp->paused = a.paused;
    char topic[32];
    snprintf(topic, sizeof topic, "%s.%s", a.job ? "job" : "pipeline",
             a.paused ? "paused" : "unpaused");
    s_event2(self, topic, sp->name, a.job ? "job" : NULL, a.job ? a.job->name : NULL);
    zsys_info("%s: %s %s%s%s", self->name, topic, sp->name, a.job ? "/" : "",
              a.job ? a.job->name : "");
    r->body = pk_value_new_object();
    sched_queue_run(self);
}

// --- pins

typedef struct {
    sched_t *self;
    const char *pipeline, *resource;
    uint64_t id;                // 0: unpin
    int rc;                     // out: the store call's
} s_pin_t;

static int
s_pin_txn(pk_store_txn_t *txn, void *arg)
{
    s_pin_t *a = arg;
    a->rc = a->id ? pk_builds_pin_put(a->self->builds, txn, a->pipeline, a->resource, a->id)
                  : pk_builds_pin_del(a->self->builds, txn, a->pipeline, a->resource);
    return a->rc;
}

// Queued builds made with another version of the pinned resource go.
static void
s_cancel_unpinned(sched_t *self, const char *pipeline, const char *resource, uint64_t id)
{
    char *reason = NULL;
    if (asprintf(&reason, "%s was pinned to version %" PRIu64, resource, id) < 0)
        return;
    for (size_t i = 0; i < self->active_count; i++) {
        sched_active_t *a = &self->active[i];
        if (strcmp(a->pipeline, pipeline) || a->dispatched || !strcmp(a->status, "started"))
            continue;
        pk_build_t b;
        if (pk_builds_get(self->builds, NULL, pipeline, a->job, a->number, a->retry, &b) != 0)
            continue;
        uint64_t used = pk_idmap_get(&b.versions, resource);
        pk_build_clear(&b);
        if (!used || used == id)
            continue;
        char *job = strdup(a->job);
        if (sched_finish(self, pipeline, job, a->number, a->retry, "cancelled", reason) == 0)
            i = (size_t) -1;            // the queue changed: look again from the start
        free(job);
    }
    free(reason);
}

// Unpinned: every job the resource triggers builds its newest version now
// (unless its newest build already has it), as if it had just been found --
// while pinned the baseline moved past the versions skipped, so no check
// would ever bring them back. Jobs behind `passed` follow their upstream.
static void
s_resume_latest(sched_t *self, sched_pipe_t *sp, const char *resource)
{
    uint64_t latest = sched_latest_id(self, NULL, sp->name, resource);
    for (size_t j = 0; j < sp->model->job_count && latest; j++) {
        const pk_job_t *job = sp->model->jobs[j];
        pk_job_rec_t rec;
        if (!sched_triggered_by(job, resource)
            || pk_builds_job_get(self->builds, NULL, sp->name, job->name, &rec) != 0)
            continue;
        bool paused = rec.paused;
        pk_job_rec_clear(&rec);
        pk_build_t last;
        int rc = pk_builds_latest(self->builds, NULL, sp->name, job->name, &last);
        bool has = rc == 0 && pk_idmap_get(&last.versions, resource) == latest;
        if (rc == 0)
            pk_build_clear(&last);
        pk_idmap_t versions, advance = { 0 };
        char *why = NULL;
        if (paused || has || rc < 0
            || sched_choose(self, sp->name, job, resource, latest, &versions, &why) != 0) {
            free(why);
            continue;
        }
        pk_idmap_set(&advance, resource, latest);
        sched_new_build_t nb = { .trigger = "version", .versions = &versions,
                                 .advance = &advance };
        sched_create(self, sp, job, &nb, NULL, NULL);
        pk_idmap_clear(&versions);
        pk_idmap_clear(&advance);
    }
    sched_downstream(self, sp, NULL);
}

void
sched_op_pin(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    bool pin = !strcmp(m->signal.what, "pin");
    sched_pipe_t *sp = sched_find_pipe(self, m, r);
    const pk_resource_t *res = sp ? sched_find_resource(sp, pk_kv_get(&m->signal.args,
                                                                      "resource"), r) : NULL;
    if (!res)
        return;
    s_pin_t a = { self, sp->name, res->canonical, 0, 0 };
    if (pin) {
        const char *v = pk_kv_get(&m->signal.args, "version");
        uint32_t none;
        pk_version_t ver;
        if (!v || pk_build_number_parse(v, &a.id, &none) != 0 || none) {
            sched_fail(r, "pin needs a version id (a number, see the resource's versions), "
                       "not \"%s\"", v ? v : "");
            return;
        }
        if (pk_versions_get(self->versions, NULL, sp->name, res->canonical, a.id, &ver) != 0) {
            sched_fail(r, "resource \"%s\" of pipeline \"%s\" has no version %" PRIu64,
                       res->canonical, sp->name, a.id);
            return;
        }
        pk_version_clear(&ver);
    }
    if (pk_store_write(self->store, s_pin_txn, &a) != 0) {
        if (a.rc == PK_STORE_NOTFOUND)
            sched_fail(r, "resource \"%s\" of pipeline \"%s\" is not pinned", res->canonical,
                       sp->name);
        else
            sched_fail(r, "the scheduler cannot store the pin: %s", pk_store_error());
        return;
    }
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%" PRIu64, a.id);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(sp->name));
    pk_value_object_set(o, "resource", pk_value_new_string(res->canonical));
    if (pin)
        pk_value_object_set(o, "version", pk_value_new_string(idtext));
    sched_send_event(self, pin ? "resource.pinned" : "resource.unpinned", o);
    pk_value_destroy(&o);
    if (pin)
        s_cancel_unpinned(self, sp->name, res->canonical, a.id);
    else
        s_resume_latest(self, sp, res->canonical);
    r->body = pk_value_new_object();
}

// --- builds named by control

int
sched_find_build(sched_t *self, pk_msg_t *m, sched_pipe_t **sp_out, const pk_job_t **job_out,
                 pk_build_t *b, sched_reply_t *r)
{
    memset(b, 0, sizeof(*b));
    sched_pipe_t *sp = sched_find_pipe(self, m, r);
    const pk_job_t *job = sp ? sched_find_job(self, sp, m, r) : NULL;
    if (!job)
        return -1;
    const char *num = pk_kv_get(&m->signal.args, "number");
    uint64_t number;
    uint32_t retry;
    if (!num || pk_build_number_parse(num, &number, &retry) != 0)
        return sched_fail(r, "\"%s\" is not a build number (N or N.M)", num ? num : "");
    int rc = pk_builds_get(self->builds, NULL, sp->name, job->name, number, retry, b);
    if (rc == PK_STORE_NOTFOUND)
        return sched_fail(r, "no build #%s of job \"%s\" in pipeline \"%s\"", num, job->name,
                          sp->name);
    if (rc != 0)
        return sched_fail(r, "the scheduler cannot read the build: %s", pk_store_error());
    *sp_out = sp;
    *job_out = job;
    return 0;
}

typedef struct {
    bool approve;
    const char *message;
    const char *user;           // who votes (control says), NULL when unknown
} s_vote_t;

// Has user approved b already? (voters: one name per line)
static bool
s_voted(const pk_build_t *b, const char *user)
{
    size_t len = strlen(user);
    for (const char *p = b->voters; p && *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] != 0))
        if (strcspn(p, "\n") == len && !strncmp(p, user, len))
            return true;
    return false;
}

static int
s_vote_fn(pk_build_t *b, void *arg)
{
    s_vote_t *v = arg;
    if (strcmp(b->status, "waiting_for_approval"))
        return 1;
    if (v->approve && v->user && s_voted(b, v->user))
        return 1;                       // one vote per user (checked before, too)
    free(b->status);
    if (v->approve) {
        if (v->user) {
            char *voters = NULL;
            if (asprintf(&voters, "%s%s%s", b->voters ? b->voters : "", b->voters ? "\n" : "",
                         v->user) < 0)
                voters = NULL;
            free(b->voters);
            b->voters = voters;
        }
        b->approvals++;
        b->status = strdup(b->approvals >= b->approvals_needed ? "pending" : "waiting_for_approval");
        return 0;
    }
    b->status = strdup("failed");
    free(b->reason);
    if (!v->message || !*v->message || asprintf(&b->reason, "rejected: %s", v->message) < 0)
        b->reason = strdup("rejected");
    b->finished_ms = zclock_time();
    return 0;
}

static char *
s_message(pk_msg_t *m)
{
    pk_value_t *body = m->signal.body.size
                     ? pk_value_unpack(m->signal.body.data, m->signal.body.size) : NULL;
    const pk_value_t *msg = pk_value_object_get(body, "message");
    char *s = msg && pk_value_kind(msg) == PK_V_STRING ? strdup(pk_value_string(msg)) : NULL;
    pk_value_destroy(&body);
    return s;
}

// Approval-Gates: a reject must say why.
static bool
s_reject_without_reason(pk_msg_t *m)
{
    if (strcmp(m->signal.what, "reject"))
        return false;
    char *message = s_message(m);
    bool none = !message || !*message || strspn(message, " \t\r\n") == strlen(message);
    free(message);
    return none;
}

static void
s_status_body(sched_reply_t *r, const char *status)
{
    r->body = pk_value_new_object();
    pk_value_object_set(r->body, "status", pk_value_new_string(status));
}

void
sched_op_vote(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    sched_pipe_t *sp;
    const pk_job_t *job;
    pk_build_t b;
    if (sched_find_build(self, m, &sp, &job, &b, r) != 0)
        return;
    char *num = pk_build_number_str(b.number, b.retry);
    const char *user = pk_kv_get(&m->signal.args, "user");
    bool approve = !strcmp(m->signal.what, "approve");
    if (user && !*user)
        user = NULL;
    if (strcmp(b.status, "waiting_for_approval"))
        sched_fail(r, "build #%s of %s/%s is not waiting for approval (it is %s)", num,
                   sp->name, job->name, b.status);
    else
    if (s_reject_without_reason(m))
        sched_fail(r, "a rejection needs a reason (--message)");
    else
    if (approve && user && s_voted(&b, user))
        sched_fail(r, "user \"%s\" has approved build #%s of %s/%s already (one vote per user; "
                   "%u of %u)", user, num, sp->name, job->name, b.approvals, b.approvals_needed);
    else
    if (approve && user && !job->self_approve && b.by && !strcmp(b.by, user))
        sched_fail(r, "user \"%s\" triggered build #%s of %s/%s and may not approve it "
                   "(the job's approve block says self_approve = false)", user, num, sp->name,
                   job->name);
    else {
        char *message = s_message(m);
        s_vote_t v = { approve, message, user };
        pk_build_t after;
        if (sched_mutate(self, sp->name, job->name, b.number, b.retry, s_vote_fn, &v,
                         &after) != 0)
            sched_fail(r, "build #%s of %s/%s changed meanwhile; try again", num, sp->name,
                       job->name);
        else {
            s_status_body(r, after.status);
            pk_build_clear(&after);
        }
        free(message);
        sched_queue_run(self);
    }
    free(num);
    pk_build_clear(&b);
}

void
sched_op_cancel(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    sched_pipe_t *sp;
    const pk_job_t *job;
    pk_build_t b;
    if (sched_find_build(self, m, &sp, &job, &b, r) != 0)
        return;
    char *num = pk_build_number_str(b.number, b.retry);
    if (pk_build_status_terminal(b.status)
        || sched_finish(self, sp->name, job->name, b.number, b.retry, "cancelled",
                        "cancelled by a user") != 0)
        sched_fail(r, "build #%s of %s/%s has already finished (%s)", num, sp->name, job->name,
                   b.status);
    else
        s_status_body(r, "cancelled");
    free(num);
    pk_build_clear(&b);
}

void
sched_op_retry(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    sched_pipe_t *sp;
    const pk_job_t *job;
    pk_build_t b;
    if (sched_find_build(self, m, &sp, &job, &b, r) != 0)
        return;
    char *num = pk_build_number_str(b.number, b.retry);
    if (job->disable_retry)
        sched_fail(r, "job \"%s\" does not allow retries (disable_retry)", job->name);
    else
    if (!pk_build_status_terminal(b.status))
        sched_fail(r, "build #%s of %s/%s has not finished yet (it is %s)", num, sp->name,
                   job->name, b.status);
    if (!r->error) {
        pk_value_t *inputs = b.inputs ? pk_value_unpack(b.inputs, b.inputs_size) : NULL;
        sched_new_build_t nb = { .trigger = "retry", .versions = &b.versions, .inputs = inputs,
                                 .retry_of = b.number, .approved_votes = b.approvals,
                                 .approved_needed = b.approvals_needed };
        uint64_t number;
        uint32_t retry;
        if (sched_create(self, sp, job, &nb, &number, &retry) != 0)
            sched_fail(r, "the scheduler cannot store the retry: %s", pk_store_error());
        else {
            char *rn = pk_build_number_str(number, retry);
            r->body = pk_value_new_object();
            pk_value_object_set(r->body, "number", pk_value_new_string(rn));
            free(rn);
            pk_build_t nbuild;          // waiting_for_approval unless it skipped the gate
            if (pk_builds_get(self->builds, NULL, sp->name, job->name, number, retry,
                              &nbuild) == 0) {
                pk_value_object_set(r->body, "status", pk_value_new_string(nbuild.status));
                pk_build_clear(&nbuild);
            }
        }
        pk_value_destroy(&inputs);
    }
    free(num);
    pk_build_clear(&b);
}

// --- mark as warning

static int
s_warning_fn(pk_build_t *b, void *arg)
{
    const char *user = arg;
    if (strcmp(b->status, "failed") || !b->started_ms)
        return 1;
    char *reason = NULL;
    if (asprintf(&reason, "marked as warning%s%s%s%s", user ? " by " : "", user ? user : "",
                 b->reason && *b->reason ? "; it failed: " : "",
                 b->reason && *b->reason ? b->reason : "") < 0)
        return 1;
    free(b->reason);
    b->reason = reason;
    free(b->status);
    b->status = strdup("warning");
    return 0;
}

// A failed build becomes warning, as allow_failure makes it when it ends
// (scheduler_reports.c): the store's passed index takes its versions in the
// same write, and the jobs downstream look again, as after any build that
// passes. Who may is control's business (control_access.c).
void
sched_op_warning(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    sched_pipe_t *sp;
    const pk_job_t *job;
    pk_build_t b;
    if (sched_find_build(self, m, &sp, &job, &b, r) != 0)
        return;
    char *num = pk_build_number_str(b.number, b.retry);
    const char *user = pk_kv_get(&m->signal.args, "user");
    pk_build_t after = { 0 };
    if (strcmp(b.status, "failed"))
        sched_fail(r, "build #%s of %s/%s is %s: only a failed build can be marked as warning",
                   num, sp->name, job->name, b.status);
    else
    if (!b.started_ms)
        sched_fail(r, "build #%s of %s/%s never ran (%s): only a build that ran and failed "
                   "can be marked as warning", num, sp->name, job->name,
                   b.reason && *b.reason ? b.reason : "failed before it started");
    else
    if (sched_mutate(self, sp->name, job->name, b.number, b.retry, s_warning_fn,
                     (void *) (user && *user ? user : NULL), &after) != 0)
        sched_fail(r, "build #%s of %s/%s changed meanwhile; try again", num, sp->name,
                   job->name);
    else {
        s_status_body(r, after.status);
        zsys_info("%s: %s/%s #%s marked as warning%s%s", self->name, sp->name, job->name, num,
                  user && *user ? " by " : "", user && *user ? user : "");
        if (pk_build_status_passes(after.status))
            sched_downstream(self, sp, job->name);
        pk_build_clear(&after);
    }
    free(num);
    pk_build_clear(&b);
}
