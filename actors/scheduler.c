// scheduler: the scheduler actor (pk_scheduler.h has the message contract).
//
// One thread, one poll loop over the pipe and a DEALER to the broker. The
// decoded pipeline models live in memory (one per pipeline, replaced whole
// when a valid pipeline is set); everything that must survive -- pipelines,
// job records, builds -- is in the store, and a build is committed there
// before its WORK leaves, so a crash can lose a dispatch but never a build.
// Every report re-reads the build from the store and updates it in one write
// transaction: the store, not memory, decides the current attempt (fencing).
// This file holds the actor and pipelines; scheduler_builds.c the builds.
#include "pk_actor.h"
#include "scheduler_internal.h"
#include <pthread.h>

#define S_HELLO_MS 5000         // HELLO again: a restarted broker learns our role

static void
s_pipe_destroy(void *arg)
{
    sched_pipe_t *sp = arg;
    pk_pipeline_destroy(&sp->model);
    free(sp->name);
    free(sp);
}

// --- sending

void
sched_send(sched_t *self, pk_msg_t *m)
{
    if (pk_msg_send(zsock_resolve(self->dealer), m) != 0)
        zsys_warning("%s: cannot send %s to the broker", self->name, pk_msg_command(m->type));
}

void
sched_send_event(sched_t *self, const char *topic, const pk_value_t *body)
{
    pk_msg_t m = { .type = PK_MSG_EVENT };
    m.event.topic = (char *) topic;
    pk_value_pack_bytes(body, &m.event.body.data, &m.event.body.size);
    sched_send(self, &m);
    free(m.event.body.data);
}

// --- pipelines

static void
s_tell_checker(sched_t *self, sched_pipe_t *sp)
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

static void
s_reject(sched_t *self, const char *pipeline, const pk_diags_t *diags, const char *why)
{
    pk_value_t *errors = pk_value_new_list();
    if (why)
        pk_value_list_append(errors, pk_value_new_string(why));
    for (size_t i = 0; diags && i < pk_diags_count(diags); i++) {
        const pk_diag_t *d = pk_diags_at(diags, i);
        if (d->severity != PK_DIAG_ERROR)
            continue;
        char *line = NULL;
        if (asprintf(&line, "%s:%d:%d: error: %s", d->range.start.file ? d->range.start.file : "",
                     d->range.start.line, d->range.start.col, d->message) < 0)
            continue;
        pk_value_list_append(errors, pk_value_new_string(line));
        free(line);
    }
    zsys_info("%s: pipeline %s rejected (%zu errors)", self->name, pipeline,
              pk_value_len(errors));
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    pk_value_object_set(o, "errors", errors);
    sched_send_event(self, "pipeline.rejected", o);
    pk_value_destroy(&o);
}

typedef struct {
    sched_t *self;
    const char *name;
    const char *source;
    const uint8_t *vars;
    size_t vars_size;
    const pk_pipeline_t *model;
    uint64_t version;           // out
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
                              .vars_size = a->vars_size, .set_ms = zclock_time(),
                              .version = (rc == 0 ? old.version : 0) + 1 };
    pk_pipeline_rec_clear(&old);
    a->version = rec.version;
    if (pk_builds_pipeline_put(b, txn, a->name, &rec) != 0)
        return -1;
    for (size_t j = 0; j < a->model->job_count; j++) {
        const pk_job_t *job = a->model->jobs[j];
        pk_job_rec_t jr;
        rc = pk_builds_job_get(b, txn, a->name, job->name, &jr);
        if (rc < 0)
            return -1;
        if (rc == 0) {                  // an existing job keeps its numbers and baseline
            pk_job_rec_clear(&jr);
            continue;
        }
        jr.next_number = 1;
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

static void
s_pipeline_set(sched_t *self, pk_msg_t *m)
{
    const char *name = pk_kv_get(&m->signal.args, "pipeline");
    if (!name || !*name || strchr(name, '/')) {
        zsys_warning("%s: pipeline.set without a usable pipeline name", self->name);
        self->ignored++;
        return;
    }
    pk_value_t *body = m->signal.body.size
                     ? pk_value_unpack(m->signal.body.data, m->signal.body.size) : NULL;
    const pk_value_t *src = pk_value_object_get(body, "source");
    const pk_value_t *vars = pk_value_object_get(body, "vars");
    if (!src || pk_value_kind(src) != PK_V_STRING
        || (vars && pk_value_kind(vars) != PK_V_OBJECT)) {
        s_reject(self, name, NULL, "pipeline.set needs a body {source: text, vars: object}");
        pk_value_destroy(&body);
        return;
    }
    char *filename = NULL;
    if (asprintf(&filename, "%s.hcl", name) < 0)
        filename = NULL;
    pk_diags_t *diags = pk_diags_new();
    pk_pipeline_t *p = pk_pipeline_parse(filename ? filename : name, pk_value_string(src),
                                         pk_value_len(src), vars, diags);
    if (p && pk_diags_errors(diags) == 0)
        pk_pipeline_load_sources(p, true, diags);
    if (!p || pk_diags_errors(diags) > 0) {
        s_reject(self, name, diags, p ? NULL : "out of memory");
        pk_diags_destroy(&diags);
        pk_pipeline_destroy(&p);
        pk_value_destroy(&body);
        free(filename);
        return;
    }
    pk_diags_destroy(&diags);
    free(filename);
    uint8_t *vbytes = NULL;
    size_t vsize = 0;
    if (vars)
        pk_value_pack_bytes(vars, &vbytes, &vsize);
    s_store_pipe_t a = { self, name, pk_value_string(src), vbytes, vsize, p, 0 };
    int rc = pk_store_write(self->store, s_store_pipe_txn, &a);
    free(vbytes);
    pk_value_destroy(&body);
    if (rc != 0) {
        zsys_error("%s: cannot store pipeline %s: %s", self->name, name, pk_store_error());
        pk_pipeline_destroy(&p);
        return;
    }
    sched_pipe_t *sp = calloc(1, sizeof(*sp));
    sp->name = strdup(name);
    sp->model = p;
    zhash_update(self->pipelines, name, sp);
    zhash_freefn(self->pipelines, name, s_pipe_destroy);
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(name));
    pk_value_object_set(o, "version", pk_value_new_number((double) a.version));
    sched_send_event(self, "pipeline.set", o);
    pk_value_destroy(&o);
    s_tell_checker(self, sp);
}

// --- the loop

static void
s_on_signal(sched_t *self, pk_msg_t *m)
{
    const char *what = m->signal.what;
    if (!strcmp(what, "pipeline.set"))
        s_pipeline_set(self, m);
    else
    if (!strcmp(what, "versions.new"))
        sched_versions_new(self, m);
    else
    if (!strcmp(what, "trigger"))
        sched_trigger(self, m);
    else
    if (!strcmp(what, "checker.ready")) {
        for (sched_pipe_t *sp = zhash_first(self->pipelines); sp; sp = zhash_next(self->pipelines))
            s_tell_checker(self, sp);
    }
    else {
        zsys_warning("%s: unknown signal \"%s\"", self->name, what);
        self->ignored++;
    }
}

static void
s_on_broker(sched_t *self)
{
    for (int n = 0; n < 256; n++) {
        zmsg_t *z = zmsg_recv(self->dealer);      // rcvtimeo 0: NULL when drained
        if (!z)
            break;
        pk_msg_t m;
        char err[256];
        if (pk_msg_from_zmsg(z, &m, err, sizeof err) != 0) {
            zsys_warning("%s: dropped a malformed message: %s", self->name, err);
            self->ignored++;
            zmsg_destroy(&z);
            continue;
        }
        zmsg_destroy(&z);
        if (m.type == PK_MSG_SIGNAL)
            s_on_signal(self, &m);
        else
        if (m.type == PK_MSG_STARTED || m.type == PK_MSG_STEP || m.type == PK_MSG_DONE)
            sched_on_report(self, &m);
        else
            self->ignored++;
        pk_msg_clear(&m);
    }
}

static void
s_hello(sched_t *self)
{
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = self->name;
    h.hello.role = "scheduler";
    sched_send(self, &h);
    self->hello_at = zclock_mono() + S_HELLO_MS;
}

static void
s_run(sched_t *self)
{
    zmq_pollitem_t items[] = { { zsock_resolve(self->pipe), 0, ZMQ_POLLIN, 0 },
                               { zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0 } };
    for (;;) {
        int64_t now = zclock_mono();
        if (now >= self->hello_at)
            s_hello(self);
        if (zmq_poll(items, 2, (long) (self->hello_at - now)) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            char *cmd = zstr_recv(self->pipe);
            bool go_on = cmd && !streq(cmd, "$TERM");
            if (go_on && streq(cmd, "STATS"))
                zstr_sendf(self->pipe, "%zu %" PRIu64 " %" PRIu64, zhash_size(self->pipelines),
                           self->created, self->ignored);
            else
            if (go_on && streq(cmd, "STATUS"))
                zstr_send(self->pipe, "ok");
            zstr_free(&cmd);
            if (!go_on)
                break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_on_broker(self);
    }
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_scheduler_config_t *cfg = arg;
    sched_t self = { 0 };
    pthread_setname_np(pthread_self(), "pk-scheduler");
    self.pipe = pipe;
    self.name = strdup(cfg->name && *cfg->name ? cfg->name : "scheduler");
    self.store = cfg->store;
    char *err = NULL;
    self.versions = pk_versions_new(cfg->store, &err);
    if (self.versions)
        self.builds = pk_builds_new(cfg->store, &err);
    self.dealer = zsock_new(ZMQ_DEALER);
    if (self.dealer) {
        zsock_set_sndhwm(self.dealer, 0);
        zsock_set_rcvhwm(self.dealer, 0);
        zsock_set_rcvtimeo(self.dealer, 0);
        zsock_set_maxmsgsize(self.dealer, PK_MSG_MAX_FRAME + 4096);
    }
    bool ok = self.versions && self.builds && self.dealer
           && zsock_connect(self.dealer, "%s", cfg->endpoint) == 0;
    if (!ok)
        zsys_error("scheduler: cannot start: %s", err ? err : "cannot connect to the broker");
    free(err);
    zsock_signal(pipe, 0);
    if (ok) {
        // hook: restart recovery -- reload pipelines from the store, find
        // builds left pending/started and re-adopt or error them
        self.pipelines = zhash_new();
        s_hello(&self);
        s_run(&self);
        zhash_destroy(&self.pipelines);
    }
    else
        pk_actor_failed(pipe);
    zsock_destroy(&self.dealer);
    pk_builds_destroy(&self.builds);
    pk_versions_destroy(&self.versions);
    free(self.name);
}

zactor_t *
pk_scheduler_new(const pk_scheduler_config_t *cfg)
{
    if (!cfg || !cfg->endpoint || !cfg->store) {
        zsys_error("scheduler: a broker endpoint and a store are required");
        return NULL;
    }
    return pk_actor_new(s_actor, (void *) cfg);
}
