// scheduler_builds: from versions to new builds. Choosing versions, creating
// a build (committed before anything else happens to it), versions.new and
// the catch-up at start, downstream builds, and a manual trigger's inputs.
//
// Version choice (sched_choose): a pinned resource takes its pin, always; a
// triggering get takes the version that triggered; a get with passed takes
// the newest version id found in a succeeded (or warned) build of every
// listed job (none: no build at all, never a version that did not pass); any
// other get takes the newest version. Ids grow in the order checks found
// versions, so "newest" is the highest id. A manual trigger may name
// versions (sched_choose_given): each is taken as a pin would be -- by a
// get with passed only if it passed, and never against a pin.
//
// No version builds twice, none is lost: a job's baseline holds the newest
// version id handled per resource, and a build made for a version moves it
// in the same write transaction. Whatever is above it is built by the next
// versions.new or at start (sched_catch_up): by default only the newest of
// the versions above it (a push of five commits is five versions and one
// build, as in Concourse), every one of them when the get says
// version = "every".
#include "scheduler_internal.h"
#include "pk_suggest.h"

#define S_VERSIONS_MAX 100      // builds per job from one catch-up: the newest ones

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

bool
sched_triggered_by(const pk_job_t *job, const char *resource)
{
    sched_gets_t g = sched_gets(job);
    bool triggers = false;
    for (size_t i = 0; i < g.count && !triggers; i++)
        triggers = !strcmp(g.items[i]->canonical, resource) && g.items[i]->trigger
                && g.items[i]->passed_jobs.count == 0;
    free(g.items);
    return triggers;
}

// A git resource with pr = true: each version is another pull request, not
// a newer state of one thing, so skipping all but the newest would leave
// pull requests unbuilt -- every version builds unless the get says
// version = "latest".
static bool
s_pr_resource(const pk_pipeline_t *p, const char *resource)
{
    const pk_resource_t *res = pk_pipeline_resource(p, resource);
    const pk_value_t *pr = res && !strcmp(res->type, "git") && res->params
                         ? pk_value_object_get(res->params, "pr") : NULL;
    return pr && ((pk_value_kind(pr) == PK_V_BOOL && pk_value_bool(pr))
                  || (pk_value_kind(pr) == PK_V_STRING && !strcmp(pk_value_string(pr), "true")));
}

// The job's triggering get of resource builds every version it is told of.
static bool
s_every_version(const pk_pipeline_t *p, const pk_job_t *job, const char *resource)
{
    sched_gets_t g = sched_gets(job);
    bool every = false;
    for (size_t i = 0; i < g.count; i++)
        if (!strcmp(g.items[i]->canonical, resource))
            every = g.items[i]->every_version
                 || (!g.items[i]->latest_version && s_pr_resource(p, resource));
    free(g.items);
    return every;
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

// The newest version id of resource found in a succeeded (or warned) build
// of every job in passed -- or want, when want is such a version -- else 0.
// From the builds_passed index, which the transaction that finished each
// build kept: the cost does not grow with the jobs' history.
static uint64_t
s_passed_id(sched_t *self, const char *pipeline, const char *resource,
            const pk_strlist_t *passed, uint64_t want)
{
    uint64_t id = 0;
    if (pk_builds_passed_newest(self->builds, NULL, pipeline, resource,
                                (const char *const *) passed->items, passed->count, want,
                                &id) != 0)
        return 0;
    return id;
}

int
sched_choose(sched_t *self, const char *pipeline, const pk_job_t *job, const char *trigger_res,
             uint64_t trigger_id, pk_idmap_t *out, char **why)
{
    return sched_choose_given(self, pipeline, job, trigger_res, trigger_id, NULL, out, why);
}

int
sched_choose_given(sched_t *self, const char *pipeline, const pk_job_t *job,
                   const char *trigger_res, uint64_t trigger_id, const pk_idmap_t *given,
                   pk_idmap_t *out, char **why)
{
    memset(out, 0, sizeof(*out));
    *why = NULL;
    sched_gets_t g = sched_gets(job);
    int rc = 0;
    for (size_t i = 0; i < g.count && rc == 0; i++) {
        const pk_step_t *get = g.items[i];
        uint64_t pin = 0, id, asked = given ? pk_idmap_get(given, get->canonical) : 0;
        if (pk_builds_pin_get(self->builds, NULL, pipeline, get->canonical, &pin) < 0)
            rc = -1;
        if (asked && pin && asked != pin) {
            rc = asprintf(why, "resource \"%s\" is pinned to version %" PRIu64 " (unpin it, "
                          "or ask for that version)", get->canonical, pin) < 0 ? -1 : 1;
            break;
        }
        if (asked)
            id = get->passed_jobs.count ? s_passed_id(self, pipeline, get->canonical,
                                                      &get->passed_jobs, asked)
                                        : asked;
        else
        if (get->passed_jobs.count)
            id = s_passed_id(self, pipeline, get->canonical, &get->passed_jobs, pin);
        else
        if (pin)
            id = pin;
        else
        if (trigger_res && !strcmp(get->canonical, trigger_res))
            id = trigger_id;
        else
            id = sched_latest_id(self, NULL, pipeline, get->canonical);
        if (id)
            pk_idmap_set(out, get->canonical, id);
        else
        if (rc == 0) {
            rc = 1;
            const char *first = get->passed_jobs.count ? get->passed_jobs.items[0] : "";
            if (asked)
                rc = asprintf(why, "version %" PRIu64 " of \"%s\" has not passed \"%s\"%s",
                              asked, get->canonical, first,
                              get->passed_jobs.count > 1 ? " and the rest" : "");
            else
            if (get->passed_jobs.count && pin)
                rc = asprintf(why, "the pinned version of \"%s\" has not passed \"%s\"%s",
                              get->canonical, first, get->passed_jobs.count > 1 ? " and the rest" : "");
            else
            if (get->passed_jobs.count)
                rc = asprintf(why, "no version of \"%s\" has passed \"%s\"%s yet", get->canonical,
                              first, get->passed_jobs.count > 1 ? " and the rest" : "");
            else
                rc = asprintf(why, "resource \"%s\" has no version yet", get->canonical);
            rc = rc < 0 ? -1 : 1;
        }
    }
    free(g.items);
    if (rc != 0)
        pk_idmap_clear(out);
    return rc;
}

// --- creating builds

typedef struct {
    sched_t *self;
    const char *pipeline;
    const pk_job_t *job;
    const sched_new_build_t *nb;
    pk_build_t b;               // out: the build as stored
} s_create_t;

static int
s_create_txn(pk_store_txn_t *txn, void *arg)
{
    s_create_t *c = arg;
    const sched_new_build_t *nb = c->nb;
    pk_builds_t *bs = c->self->builds;
    pk_job_rec_t rec;
    int rc = pk_builds_job_get(bs, txn, c->pipeline, c->job->name, &rec);
    if (rc < 0)
        return -1;
    if (rc == PK_STORE_NOTFOUND || rec.next_number == 0)
        rec.next_number = 1;
    pk_build_t *b = &c->b;
    pk_build_clear(b);
    if (nb->retry_of) {
        uint32_t last;
        if (pk_builds_last_retry(bs, txn, c->pipeline, c->job->name, nb->retry_of, &last) != 0) {
            pk_job_rec_clear(&rec);
            return -1;
        }
        b->number = nb->retry_of;
        b->retry = last + 1;
    }
    else
        b->number = rec.next_number++;
    for (size_t i = 0; nb->advance && i < nb->advance->count; i++)
        if (nb->advance->ids[i] > pk_idmap_get(&rec.baseline, nb->advance->names[i]))
            pk_idmap_set(&rec.baseline, nb->advance->names[i], nb->advance->ids[i]);
    // only a retry of a build that passed its gate skips it (a rejected or
    // never-approved build's retry waits for votes again); the retry keeps
    // the votes, so a retry of the retry skips it too
    bool approved = nb->retry_of && nb->approved_needed
                 && nb->approved_votes >= nb->approved_needed;
    bool gated = c->job->approve_label && !approved;
    b->status = strdup(gated ? "waiting_for_approval" : "pending");
    b->approvals_needed = gated ? (uint32_t) c->job->approvals
                        : approved ? nb->approved_needed : 0;
    b->approvals = approved ? nb->approved_votes : 0;
    b->attempt = 1;
    b->created_ms = zclock_time();
    pk_idmap_copy(&b->versions, nb->versions);
    b->trigger = strdup(nb->trigger);
    b->by = nb->by && *nb->by ? strdup(nb->by) : NULL;
    if (nb->inputs)
        pk_value_pack_bytes(nb->inputs, &b->inputs, &b->inputs_size);
    rc = pk_builds_job_put(bs, txn, c->pipeline, c->job->name, &rec) == 0
      && pk_builds_put(bs, txn, c->pipeline, c->job->name, b) == 0 ? 0 : -1;
    pk_job_rec_clear(&rec);
    return rc;
}

// An interruptible job's older unfinished builds give way to the new one.
static void
s_interrupt(sched_t *self, const char *pipeline, const pk_job_t *job, const pk_build_t *nb)
{
    char *num = pk_build_number_str(nb->number, nb->retry), *reason = NULL;
    if (asprintf(&reason, "interrupted by build #%s", num) < 0)
        reason = NULL;
    for (size_t i = 0; i < self->active_count; ) {
        sched_active_t *a = &self->active[i];
        bool older = !strcmp(a->pipeline, pipeline) && !strcmp(a->job, job->name)
                  && (a->number != nb->number || a->retry != nb->retry);
        if (older) {
            char *p = strdup(a->pipeline), *j = strdup(a->job);
            uint64_t n = a->number;
            uint32_t r = a->retry;
            sched_finish(self, p, j, n, r, "cancelled", reason ? reason : "interrupted");
            free(p);
            free(j);
            i = 0;                      // the queue changed under us: look again
        }
        else
            i++;
    }
    free(reason);
    free(num);
}

int
sched_create(sched_t *self, sched_pipe_t *sp, const pk_job_t *job, const sched_new_build_t *nb,
             uint64_t *number_out, uint32_t *retry_out)
{
    s_create_t c = { .self = self, .pipeline = sp->name, .job = job, .nb = nb };
    if (pk_store_write(self->store, s_create_txn, &c) != 0) {
        zsys_error("%s: cannot store a build of %s/%s: %s", self->name, sp->name, job->name,
                   pk_store_error());
        pk_build_clear(&c.b);
        return -1;
    }
    self->created++;
    sched_active_set(self, sp->name, job->name, &c.b);
    sched_build_event(self, sp->name, job->name, &c.b);
    if (number_out)
        *number_out = c.b.number;
    if (retry_out)
        *retry_out = c.b.retry;
    if (job->interruptible)
        s_interrupt(self, sp->name, job, &c.b);
    pk_build_clear(&c.b);
    sched_queue_run(self);
    return 0;
}

// --- versions

static int
s_advance_txn(pk_store_txn_t *txn, void *arg)
{
    void **a = arg;
    sched_t *self = a[0];
    const char *pipeline = a[1], *job = a[2], *resource = a[3];
    uint64_t id = *(uint64_t *) a[4];
    pk_job_rec_t rec;
    int rc = pk_builds_job_get(self->builds, txn, pipeline, job, &rec);
    if (rc != 0)
        return rc < 0 ? -1 : 1;
    if (pk_idmap_get(&rec.baseline, resource) < id) {
        pk_idmap_set(&rec.baseline, resource, id);
        rc = pk_builds_job_put(self->builds, txn, pipeline, job, &rec);
    }
    pk_job_rec_clear(&rec);
    return rc;
}

static void
s_advance(sched_t *self, const char *pipeline, const char *job, const char *resource, uint64_t id)
{
    void *a[5] = { self, (void *) pipeline, (void *) job, (void *) resource, &id };
    pk_store_write(self->store, s_advance_txn, a);
}

void
sched_catch_up(sched_t *self, sched_pipe_t *sp, const char *resource, uint64_t last)
{
    for (size_t j = 0; j < sp->model->job_count && last; j++) {
        const pk_job_t *job = sp->model->jobs[j];
        if (!sched_triggered_by(job, resource))
            continue;
        pk_job_rec_t rec;
        if (pk_builds_job_get(self->builds, NULL, sp->name, job->name, &rec) != 0)
            continue;
        uint64_t base = pk_idmap_get(&rec.baseline, resource);
        bool paused = rec.paused;       // set too by pausing the pipeline
        pk_job_rec_clear(&rec);
        if (last <= base || paused)
            continue;                   // paused: unpausing moves the baseline
        uint64_t pin = 0, from = base + 1;
        pk_builds_pin_get(self->builds, NULL, sp->name, resource, &pin);
        if (last - from >= S_VERSIONS_MAX)
            from = last - S_VERSIONS_MAX + 1;
        if (!pin && !s_every_version(sp->model, job, resource))
            from = last;                // Concourse: the newest of what was found

        for (uint64_t id = from; id <= last; id++) {
            pk_idmap_t versions, advance = { 0 };
            char *why = NULL;
            if (pin && pin != id)
                continue;               // only the pinned version triggers
            if (sched_choose(self, sp->name, job, resource, id, &versions, &why) != 0) {
                free(why);              // a passed constraint not met yet: no build
                continue;
            }
            pk_idmap_set(&advance, resource, id);
            sched_new_build_t nb = { .trigger = "version", .versions = &versions,
                                     .advance = &advance };
            sched_create(self, sp, job, &nb, NULL, NULL);
            pk_idmap_clear(&versions);
            pk_idmap_clear(&advance);
        }
        s_advance(self, sp->name, job->name, resource, last);
    }
}

void
sched_versions_new(sched_t *self, pk_msg_t *m)
{
    const char *name = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    const char *ls = pk_kv_get(&m->signal.args, "last_id");
    sched_pipe_t *sp = name ? zhash_lookup(self->pipelines, name) : NULL;
    uint64_t last = ls ? strtoull(ls, NULL, 10) : 0;
    if (!sp || !resource || !last) {
        self->ignored++;
        return;
    }
    sched_catch_up(self, sp, resource, last);
}

void
sched_downstream(sched_t *self, sched_pipe_t *sp, const char *jobname)
{
    for (size_t j = 0; j < sp->model->job_count; j++) {
        const pk_job_t *job = sp->model->jobs[j];
        sched_gets_t g = sched_gets(job);
        bool follows = false;
        for (size_t i = 0; i < g.count && !follows; i++)
            follows = g.items[i]->trigger && (jobname ? s_lists(&g.items[i]->passed_jobs, jobname)
                                                      : g.items[i]->passed_jobs.count > 0);
        free(g.items);
        pk_job_rec_t rec;
        if (!follows || pk_builds_job_get(self->builds, NULL, sp->name, job->name, &rec) != 0)
            continue;
        bool paused = rec.paused;
        pk_job_rec_clear(&rec);
        pk_idmap_t versions;
        char *why = NULL;
        if (paused || sched_choose(self, sp->name, job, NULL, 0, &versions, &why) != 0) {
            free(why);
            continue;
        }
        pk_build_t last;
        int rc = pk_builds_latest(self->builds, NULL, sp->name, job->name, &last);
        bool same = rc == 0 && pk_idmap_equal(&last.versions, &versions);
        if (rc == 0)
            pk_build_clear(&last);
        if (!same && rc >= 0) {
            sched_new_build_t nb = { .trigger = "passed", .versions = &versions };
            sched_create(self, sp, job, &nb, NULL, NULL);
        }
        pk_idmap_clear(&versions);
    }
}

// --- manual triggers

static bool
s_in_options(const pk_input_t *in, const char *value)
{
    return in->options.count == 0 || s_lists(&in->options, value);
}

static int
s_check_value(const pk_job_t *job, const pk_input_t *in, const char *v, sched_reply_t *r)
{
    if (in->type == PK_INPUT_NUMBER) {
        char *end;
        strtod(v, &end);
        if (!*v || *end)
            return sched_fail(r, "input \"%s\" of job \"%s\" must be a number, not \"%s\"",
                              in->name, job->name, v);
    }
    if (in->type == PK_INPUT_BOOL && strcmp(v, "true") && strcmp(v, "false"))
        return sched_fail(r, "input \"%s\" of job \"%s\" must be true or false, not \"%s\"",
                          in->name, job->name, v);
    bool ok = true;
    if (in->multiple) {
        char *copy = strdup(v), *save = NULL;
        for (char *one = strtok_r(copy, ",", &save); one && ok; one = strtok_r(NULL, ",", &save))
            ok = s_in_options(in, one);
        free(copy);
    }
    else
        ok = s_in_options(in, v);
    if (ok)
        return 0;
    size_t len = 1;
    for (size_t i = 0; i < in->options.count; i++)
        len += strlen(in->options.items[i]) + 2;
    char *list = calloc(1, len);
    for (size_t i = 0; i < in->options.count; i++) {
        if (i)
            strcat(list, ", ");
        strcat(list, in->options.items[i]);
    }
    sched_fail(r, "input \"%s\" of job \"%s\" must be %s: %s (not \"%s\")", in->name, job->name,
               in->multiple ? "a comma-separated list of" : "one of", list, v);
    free(list);
    return -1;
}

pk_value_t *
sched_inputs(const pk_job_t *job, const pk_value_t *given, sched_reply_t *r)
{
    if (given && pk_value_kind(given) != PK_V_OBJECT && pk_value_kind(given) != PK_V_NULL) {
        sched_fail(r, "inputs must be an object {name: value}");
        return NULL;
    }
    pk_value_t *out = pk_value_new_object();
    size_t n = given && pk_value_kind(given) == PK_V_OBJECT ? pk_value_len(given) : 0;
    for (size_t i = 0; i < n && !r->error; i++) {
        const char *key = pk_value_object_key(given, i);
        const pk_value_t *val = pk_value_object_at(given, i);
        const pk_input_t *in = NULL;
        const char **names = calloc(job->input_count + 1, sizeof(char *));
        for (size_t k = 0; k < job->input_count; k++) {
            names[k] = job->inputs[k]->name;
            if (!strcmp(names[k], key))
                in = job->inputs[k];
        }
        const char *near = in ? NULL : pk_suggest(key, names);
        if (!in && near)
            sched_fail(r, "job \"%s\" has no input \"%s\" (did you mean \"%s\"?)", job->name,
                       key, near);
        else
        if (!in)
            sched_fail(r, "job \"%s\" has no input \"%s\"", job->name, key);
        free(names);
        if (!in)
            break;
        char *text = pk_value_kind(val) == PK_V_STRING ? strdup(pk_value_string(val))
                   : pk_value_to_string(val);
        if (s_check_value(job, in, text ? text : "", r) == 0)
            pk_value_object_set(out, key, pk_value_new_string(text ? text : ""));
        free(text);
    }
    for (size_t k = 0; k < job->input_count && !r->error; k++) {
        const pk_input_t *in = job->inputs[k];
        if (pk_value_object_get(out, in->name))
            continue;
        if (!in->default_value)
            sched_fail(r, "input \"%s\" of job \"%s\" is required (it has no default)",
                       in->name, job->name);
        else
            pk_value_object_set(out, in->name, pk_value_dup(in->default_value));
    }
    if (r->error)
        pk_value_destroy(&out);
    return out;
}

// A manual trigger's versions {resource: id} (a bare or canonical name; the
// id a number or its decimal text) as resource canonical -> id: each a
// resource the job gets, each id a version the checker stored. -1 with
// r->error otherwise.
static int
s_given_versions(sched_t *self, sched_pipe_t *sp, const pk_job_t *job, const pk_value_t *given,
                 pk_idmap_t *out, sched_reply_t *r)
{
    memset(out, 0, sizeof *out);
    if (!given || pk_value_kind(given) == PK_V_NULL)
        return 0;
    if (pk_value_kind(given) != PK_V_OBJECT)
        return sched_fail(r, "versions must be an object {resource: version id}");
    sched_gets_t g = sched_gets(job);
    for (size_t i = 0; i < pk_value_len(given) && !r->error; i++) {
        const char *name = pk_value_object_key(given, i);
        const pk_value_t *v = pk_value_object_at(given, i);
        const pk_resource_t *res = sched_find_resource(sp, name, r);
        if (!res)
            break;
        bool got = false;
        for (size_t k = 0; k < g.count && !got; k++)
            got = !strcmp(g.items[k]->canonical, res->canonical);
        uint64_t id = 0;
        uint32_t retry = 1;
        if (pk_value_kind(v) == PK_V_STRING
            && pk_build_number_parse(pk_value_string(v), &id, &retry) != 0)
            id = 0;
        else
        if (pk_value_kind(v) == PK_V_NUMBER && pk_value_number(v) >= 1
            && pk_value_number(v) < 9007199254740992.0
            && pk_value_number(v) == (double) (uint64_t) pk_value_number(v))
            id = (uint64_t) pk_value_number(v), retry = 0;
        pk_version_t ver;
        if (!got)
            sched_fail(r, "job \"%s\" does not get resource \"%s\"", job->name,
                       res->canonical);
        else
        if (!id || retry) {
            char *text = pk_value_to_string(v);
            sched_fail(r, "\"%s\" is not a version id of \"%s\" (a number from 1, see "
                       "pikoci versions %s/%s)", text ? text : "?", res->canonical, sp->name,
                       res->name);
            free(text);
        }
        else
        if (pk_versions_get(self->versions, NULL, sp->name, res->canonical, id, &ver) != 0)
            sched_fail(r, "resource \"%s\" of pipeline \"%s\" has no version %" PRIu64
                       " (see pikoci versions %s/%s)", res->canonical, sp->name, id, sp->name,
                       res->name);
        else {
            pk_version_clear(&ver);
            pk_idmap_set(out, res->canonical, id);
        }
    }
    free(g.items);
    if (r->error)
        pk_idmap_clear(out);
    return r->error ? -1 : 0;
}

void
sched_trigger(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    sched_pipe_t *sp = sched_find_pipe(self, m, r);
    const pk_job_t *job = sp ? sched_find_job(self, sp, m, r) : NULL;
    if (!job)
        return;
    pk_job_rec_t rec;
    bool paused = false;
    if (pk_builds_job_get(self->builds, NULL, sp->name, job->name, &rec) == 0) {
        paused = rec.paused;
        pk_job_rec_clear(&rec);
    }
    if (paused) {
        if (sp->paused)                 // (the pipeline's pause set the job's flag)
            sched_fail(r, "pipeline \"%s\" is paused", sp->name);
        else
            sched_fail(r, "job \"%s\" is paused", job->name);
        return;
    }
    pk_value_t *body = m->signal.body.size
                     ? pk_value_unpack(m->signal.body.data, m->signal.body.size) : NULL;
    pk_value_t *inputs = sched_inputs(job, pk_value_object_get(body, "inputs"), r);
    pk_idmap_t given;
    if (inputs && s_given_versions(self, sp, job, pk_value_object_get(body, "versions"), &given,
                                   r) != 0)
        pk_value_destroy(&inputs);
    pk_value_destroy(&body);
    if (!inputs)
        return;
    pk_idmap_t versions;
    char *why = NULL;
    int rc = sched_choose_given(self, sp->name, job, NULL, 0, &given, &versions, &why);
    bool asked = given.count > 0;
    pk_idmap_clear(&given);
    if (rc != 0) {
        sched_fail(r, "job \"%s\" cannot run %s: %s", job->name, asked ? "so" : "yet",
                   why ? why : "a store error");
        free(why);
        pk_value_destroy(&inputs);
        return;
    }
    sched_new_build_t nb = { .trigger = "manual", .versions = &versions,
                             .inputs = job->input_count ? inputs : NULL,
                             .by = pk_kv_get(&m->signal.args, "user") };
    uint64_t number = 0;
    if (sched_create(self, sp, job, &nb, &number, NULL) != 0)
        sched_fail(r, "the scheduler cannot store the build: %s", pk_store_error());
    else {
        char *num = pk_build_number_str(number, 0);
        r->body = pk_value_new_object();
        pk_value_object_set(r->body, "number", pk_value_new_string(num));
        pk_value_object_set(r->body, "status", pk_value_new_string(
            job->approve_label ? "waiting_for_approval" : "pending"));
        free(num);
    }
    pk_idmap_clear(&versions);
    pk_value_destroy(&inputs);
}
