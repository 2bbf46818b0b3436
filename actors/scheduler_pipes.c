// scheduler_pipes: pipelines in the scheduler -- set (decoded, validated,
// stored, the checker told), removed, reloaded at start -- and the lookups
// of names in control's commands, which answer an unknown name with the
// nearest known one ("did you mean").
//
// A set keeps what belongs to the pipeline's life rather than its text:
// pause flags, pins, job numbers and baselines. A job new to the pipeline
// gets a baseline of the newest versions, so it does not replay history.
// The type definitions fetched at a set are stored with the pipeline and
// used when it is reloaded: resolved once, no network needed at start.
#include "scheduler_internal.h"
#include "pk_suggest.h"

// --- lookups

// The nearest of names to word, or NULL.
static const char *
s_nearest(const char *word, const char **names, size_t n)
{
    const char **c = calloc(n + 1, sizeof(char *));
    memcpy(c, names, n * sizeof(char *));
    const char *best = pk_suggest(word, c);
    free(c);
    return best;
}

static void
s_unknown(sched_reply_t *r, const char *what, const char *name, const char *where,
          const char **names, size_t n)
{
    const char *near = s_nearest(name, names, n);
    char *in = NULL, *hint = NULL;
    if (!where || asprintf(&in, " in pipeline \"%s\"", where) < 0)
        in = NULL;
    if (!near || asprintf(&hint, " (did you mean \"%s\"?)", near) < 0)
        hint = NULL;
    sched_fail(r, "no %s \"%s\"%s%s", what, name, in ? in : "", hint ? hint : "");
    free(in);
    free(hint);
}

sched_pipe_t *
sched_find_pipe(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    const char *name = pk_kv_get(&m->signal.args, "pipeline");
    if (!name || !*name) {
        sched_fail(r, "%s needs a pipeline", m->signal.what);
        return NULL;
    }
    sched_pipe_t *sp = zhash_lookup(self->pipelines, name);
    if (sp)
        return sp;
    size_t n = zhash_size(self->pipelines), i = 0;
    const char **names = calloc(n + 1, sizeof(char *));
    for (sched_pipe_t *p = zhash_first(self->pipelines); p; p = zhash_next(self->pipelines))
        names[i++] = p->name;
    s_unknown(r, "pipeline", name, NULL, names, i);
    free(names);
    return NULL;
}

const pk_job_t *
sched_find_job(sched_t *self, sched_pipe_t *sp, pk_msg_t *m, sched_reply_t *r)
{
    (void) self;
    const char *name = pk_kv_get(&m->signal.args, "job");
    if (!name || !*name) {
        sched_fail(r, "%s needs a job", m->signal.what);
        return NULL;
    }
    const pk_job_t *job = pk_pipeline_job(sp->model, name);
    if (job)
        return job;
    const char **names = calloc(sp->model->job_count + 1, sizeof(char *));
    for (size_t i = 0; i < sp->model->job_count; i++)
        names[i] = sp->model->jobs[i]->name;
    s_unknown(r, "job", name, sp->name, names, sp->model->job_count);
    free(names);
    return NULL;
}

const pk_resource_t *
sched_find_resource(sched_pipe_t *sp, const char *name, sched_reply_t *r)
{
    if (!name || !*name) {
        sched_fail(r, "a resource is needed");
        return NULL;
    }
    const pk_pipeline_t *p = sp->model;
    const pk_resource_t *found = pk_pipeline_resource(p, name);
    size_t bare = 0;
    for (size_t i = 0; i < p->resource_count && !found; i++)
        if (!strcmp(p->resources[i]->name, name))
            bare++;
    if (!found && bare > 1) {
        sched_fail(r, "resource name \"%s\" is ambiguous in pipeline \"%s\": give it as "
                   "\"type.%s\"", name, sp->name, name);
        return NULL;
    }
    for (size_t i = 0; i < p->resource_count && !found; i++)
        if (!strcmp(p->resources[i]->name, name))
            found = p->resources[i];
    if (found)
        return found;
    // the nearest canonical name, else the canonical of the nearest bare one
    const char **names = calloc(p->resource_count + 1, sizeof(char *));
    for (size_t i = 0; i < p->resource_count; i++)
        names[i] = p->resources[i]->canonical;
    const char *near = s_nearest(name, names, p->resource_count);
    for (size_t i = 0; i < p->resource_count; i++)
        names[i] = p->resources[i]->name;
    const char *bare_near = near ? NULL : s_nearest(name, names, p->resource_count);
    for (size_t i = 0; i < p->resource_count && bare_near; i++)
        if (names[i] == bare_near)
            near = p->resources[i]->canonical;
    if (near)
        sched_fail(r, "no resource \"%s\" in pipeline \"%s\" (did you mean \"%s\"?)", name,
                   sp->name, near);
    else
        sched_fail(r, "no resource \"%s\" in pipeline \"%s\"", name, sp->name);
    free(names);
    return NULL;
}

// --- the checker

void
sched_tell_checker(sched_t *self, sched_pipe_t *sp)
{
    pk_pipeline_t *p = sp->model;
    pk_value_t *list = pk_value_new_list();
    for (size_t r = 0; r < p->resource_count; r++) {
        const pk_resource_t *res = p->resources[r];
        bool got = false;
        for (size_t j = 0; j < p->job_count && !got; j++) {
            sched_gets_t g = sched_gets(p->jobs[j]);
            for (size_t i = 0; i < g.count && !got; i++)
                got = !strcmp(g.items[i]->canonical, res->canonical);
            free(g.items);
        }
        if (!got)
            continue;                   // nobody gets it: not checked
        char *err = NULL;
        pk_value_t *plan = pk_resolve_check(p, res, sp->name, NULL, &err);
        if (!plan) {
            zsys_warning("%s: %s/%s is not checked: %s", self->name, sp->name, res->canonical,
                         err ? err : "?");
            free(err);
            continue;
        }
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "canonical", pk_value_new_string(res->canonical));
        pk_value_object_set(o, "check_interval", pk_value_new_string(res->check_interval));
        pk_value_t *tags = pk_value_new_list();
        for (size_t t = 0; t < res->tags.count; t++)
            pk_value_list_append(tags, pk_value_new_string(res->tags.items[t]));
        pk_value_object_set(o, "tags", tags);
        pk_value_object_set(o, "plan", plan);
        pk_value_list_append(list, o);
    }
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup("checker");
    m.signal.what = strdup("pipeline.set");
    pk_kv_set(&m.signal.args, "pipeline", sp->name);
    pk_value_pack_bytes(list, &m.signal.body.data, &m.signal.body.size);
    pk_value_destroy(&list);
    sched_send(self, &m);
    pk_msg_clear(&m);
}

// --- decoding

// The model of a pipeline text, or NULL with the errors as a list of
// "file:line:col: error: ..." lines in *errors. Type sources load as the
// scheduler was configured (self->sources); kept holds the definitions
// fetched when the pipeline was set (stored with it, so a reload at start
// fetches nothing again) and gets what is fetched now.
static pk_pipeline_t *
s_decode(sched_t *self, const char *name, const char *source, size_t len,
         const pk_value_t *vars, pk_value_t *kept, pk_value_t **errors)
{
    return pk_pipeline_from_text(name, source, len, vars, self->sources, kept, errors);
}

static void
s_reject(sched_t *self, const char *pipeline, pk_value_t *errors, sched_reply_t *r)
{
    zsys_info("%s: pipeline %s rejected (%zu errors)", self->name, pipeline,
              pk_value_len(errors));
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    pk_value_object_set(o, "errors", pk_value_dup(errors));
    sched_send_event(self, "pipeline.rejected", o);
    pk_value_destroy(&o);
    sched_fail(r, "pipeline \"%s\" is not valid", pipeline);
    r->body = pk_value_new_object();
    pk_value_object_set(r->body, "errors", errors);
}

// --- set

typedef struct {
    sched_t *self;
    const char *name;
    const char *source;
    const uint8_t *vars;
    size_t vars_size;
    const uint8_t *types;
    size_t types_size;
    const pk_pipeline_t *model;
    uint64_t version;           // out
    bool paused;                // out: the flag it keeps
} s_store_pipe_t;

static int
s_store_pipe_txn(pk_store_txn_t *txn, void *arg)
{
    s_store_pipe_t *a = arg;
    pk_builds_t *b = a->self->builds;
    pk_pipeline_rec_t old;
    int rc = pk_builds_pipeline_get(b, txn, a->name, &old);
    if (rc < 0)
        return -1;
    pk_pipeline_rec_t rec = { .source = (char *) a->source, .vars = (uint8_t *) a->vars,
                              .vars_size = a->vars_size, .types = (uint8_t *) a->types,
                              .types_size = a->types_size, .set_ms = zclock_time(),
                              .version = (rc == 0 ? old.version : 0) + 1,
                              .paused = rc == 0 && old.paused };
    pk_pipeline_rec_clear(&old);
    a->version = rec.version;
    a->paused = rec.paused;
    if (pk_builds_pipeline_put(b, txn, a->name, &rec) != 0)
        return -1;
    for (size_t j = 0; j < a->model->job_count; j++) {
        const pk_job_t *job = a->model->jobs[j];
        pk_job_rec_t jr;
        rc = pk_builds_job_get(b, txn, a->name, job->name, &jr);
        if (rc < 0)
            return -1;
        if (rc == 0) {                  // an existing job keeps numbers, baseline, pause
            pk_job_rec_clear(&jr);
            continue;
        }
        jr.next_number = 1;
        jr.paused = a->paused;          // a new job of a paused pipeline is paused too
        sched_gets_t g = sched_gets(job);
        for (size_t i = 0; i < g.count; i++)
            pk_idmap_set(&jr.baseline, g.items[i]->canonical,
                         sched_latest_id(a->self, txn, a->name, g.items[i]->canonical));
        free(g.items);
        rc = pk_builds_job_put(b, txn, a->name, job->name, &jr);
        pk_job_rec_clear(&jr);
        if (rc != 0)
            return -1;
    }
    return 0;
}

void
sched_pipeline_set(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    const char *name = pk_kv_get(&m->signal.args, "pipeline");
    if (!name || !*name || strchr(name, '/')) {
        zsys_warning("%s: pipeline.set without a usable pipeline name", self->name);
        sched_fail(r, "a pipeline name is needed, without \"/\"");
        return;
    }
    pk_value_t *body = m->signal.body.size
                     ? pk_value_unpack(m->signal.body.data, m->signal.body.size) : NULL;
    const pk_value_t *src = pk_value_object_get(body, "source");
    const pk_value_t *vars = pk_value_object_get(body, "vars");
    if (!src || pk_value_kind(src) != PK_V_STRING
        || (vars && pk_value_kind(vars) != PK_V_OBJECT && pk_value_kind(vars) != PK_V_NULL)) {
        pk_value_t *errors = pk_value_new_list();
        pk_value_list_append(errors, pk_value_new_string(
            "pipeline.set needs a body {source: text, vars: object}"));
        s_reject(self, name, errors, r);
        pk_value_destroy(&body);
        return;
    }
    if (vars && pk_value_kind(vars) == PK_V_NULL)
        vars = NULL;
    // control fetched the types already (control_fetch.c): its verdict, or
    // every definition as kept, so nothing here waits on the network
    const pk_value_t *found = pk_value_object_get(body, "errors");
    if (found && pk_value_kind(found) == PK_V_LIST && pk_value_len(found)) {
        s_reject(self, name, pk_value_dup(found), r);
        pk_value_destroy(&body);
        return;
    }
    const pk_value_t *types = pk_value_object_get(body, "types");
    pk_value_t *errors = NULL;
    pk_value_t *kept = types && pk_value_kind(types) == PK_V_OBJECT ? pk_value_dup(types)
                                                                   : pk_value_new_object();
    pk_pipeline_t *p = s_decode(self, name, pk_value_string(src), pk_value_len(src), vars,
                                kept, &errors);
    if (!p) {
        s_reject(self, name, errors, r);
        pk_value_destroy(&kept);
        pk_value_destroy(&body);
        return;
    }
    uint8_t *vbytes = NULL, *tbytes = NULL;
    size_t vsize = 0, tsize = 0;
    if (vars)
        pk_value_pack_bytes(vars, &vbytes, &vsize);
    if (pk_value_len(kept))
        pk_value_pack_bytes(kept, &tbytes, &tsize);
    pk_value_destroy(&kept);
    s_store_pipe_t a = { self, name, pk_value_string(src), vbytes, vsize, tbytes, tsize, p, 0,
                         false };
    int rc = pk_store_write(self->store, s_store_pipe_txn, &a);
    free(vbytes);
    free(tbytes);
    pk_value_destroy(&body);
    if (rc != 0) {
        zsys_error("%s: cannot store pipeline %s: %s", self->name, name, pk_store_error());
        sched_fail(r, "the scheduler cannot store pipeline \"%s\": %s", name, pk_store_error());
        pk_pipeline_destroy(&p);
        return;
    }
    sched_pipe_t *sp = calloc(1, sizeof(*sp));
    sp->name = strdup(name);
    sp->model = p;
    sp->paused = a.paused;
    sp->life = pk_builds_life(self->builds, NULL, name);
    sched_pipes_insert(self, sp);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(name));
    pk_value_object_set(o, "version", pk_value_new_number((double) a.version));
    sched_send_event(self, "pipeline.set", o);
    pk_value_destroy(&o);
    r->body = pk_value_new_object();
    pk_value_object_set(r->body, "version", pk_value_new_number((double) a.version));
    sched_tell_checker(self, sp);
    sched_queue_run(self);              // a job may have changed its limits
}

// --- remove

static int
s_remove_txn(pk_store_txn_t *txn, void *arg)
{
    sched_t *self = ((void **) arg)[0];
    return pk_builds_pipeline_del(self->builds, txn, ((void **) arg)[1]) == 0 ? 0 : -1;
}

void
sched_pipeline_remove(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    sched_pipe_t *sp = sched_find_pipe(self, m, r);
    if (!sp)
        return;
    char *name = strdup(sp->name);
    uint64_t life = sp->life;
    // running builds are stopped first: their records go with the pipeline
    for (size_t i = 0; i < self->active_count; i++) {
        sched_active_t *a = &self->active[i];
        if (strcmp(a->pipeline, name) || !a->dispatched)
            continue;
        pk_msg_t c = { .type = PK_MSG_CANCEL };
        if ((c.cancel.id = pk_builds_work_id(a->pipeline, sp->life, a->job, a->number,
                                             a->retry))) {
            c.cancel.attempt = a->attempt;
            c.cancel.reason = strdup("the pipeline was removed");
            sched_send(self, &c);
        }
        pk_msg_clear(&c);
    }
    void *args[2] = { self, name };
    if (pk_store_write(self->store, s_remove_txn, args) != 0) {
        sched_fail(r, "the scheduler cannot remove pipeline \"%s\": %s", name, pk_store_error());
        free(name);
        return;
    }
    sched_active_drop_pipeline(self, name);
    zhash_delete(self->pipelines, name);
    pk_msg_t c = { .type = PK_MSG_SIGNAL };
    c.signal.to = strdup("checker");
    c.signal.what = strdup("pipeline.remove");
    pk_kv_set(&c.signal.args, "pipeline", name);
    pk_kv_set(&c.signal.args, "purge", "true");
    sched_send(self, &c);
    pk_msg_clear(&c);
    // its logs are the log sink's to remove (every life up to this one)
    char lives[24];
    snprintf(lives, sizeof lives, "%" PRIu64, life);
    c = (pk_msg_t) { .type = PK_MSG_SIGNAL };
    c.signal.to = strdup("logsink");
    c.signal.what = strdup("purge");
    pk_kv_set(&c.signal.args, "pipeline", name);
    pk_kv_set(&c.signal.args, "life", lives);
    sched_send(self, &c);
    pk_msg_clear(&c);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(name));
    sched_send_event(self, "pipeline.removed", o);
    pk_value_destroy(&o);
    zsys_info("%s: pipeline %s removed", self->name, name);
    free(name);
    sched_queue_run(self);              // serial groups and limits of it are gone
}

// --- start-up

void
sched_pipelines_load(sched_t *self)
{
    char **names;
    size_t n;
    if (pk_builds_pipelines_list(self->builds, NULL, &names, &n) != 0) {
        zsys_error("%s: cannot list the stored pipelines: %s", self->name, pk_store_error());
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pk_pipeline_rec_t rec;
        if (pk_builds_pipeline_get(self->builds, NULL, names[i], &rec) != 0)
            continue;
        pk_value_t *vars = rec.vars ? pk_value_unpack(rec.vars, rec.vars_size) : NULL;
        pk_value_t *kept = rec.types ? pk_value_unpack(rec.types, rec.types_size) : NULL;
        pk_value_t *errors = NULL;
        pk_pipeline_t *p = rec.source ? s_decode(self, names[i], rec.source, strlen(rec.source),
                                                 vars, kept, &errors) : NULL;
        pk_value_destroy(&kept);
        if (!p) {
            const pk_value_t *first = pk_value_list_at(errors, 0);
            zsys_error("%s: stored pipeline %s no longer decodes, skipped: %s", self->name,
                       names[i], first ? pk_value_string(first) : "no source");
        }
        else {
            sched_pipe_t *sp = calloc(1, sizeof(*sp));
            sp->name = strdup(names[i]);
            sp->model = p;
            sp->paused = rec.paused;
            sp->life = rec.life ? rec.life : 1;
            sched_pipes_insert(self, sp);
            sched_tell_checker(self, sp);
        }
        pk_value_destroy(&errors);
        pk_value_destroy(&vars);
        pk_pipeline_rec_clear(&rec);
    }
    pk_builds_names_free(&names, n);
}
