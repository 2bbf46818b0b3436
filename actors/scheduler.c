// scheduler: the scheduler actor (pk_scheduler.h has the message contract).
//
// One thread, one poll loop over the pipe and a DEALER to the broker. The
// decoded pipeline models live in memory (one per pipeline, replaced whole
// when a valid pipeline is set); everything that must survive -- pipelines,
// job records, builds, pins -- is in the store, and a build is committed
// there before its WORK leaves, so a crash can lose a dispatch but never a
// build. Every change to a build re-reads it in a write transaction: the
// store, not memory, decides the current attempt and status (fencing).
// This file holds the actor, its pipe commands, the routing of signals with
// their replies to control, and the order of recovery at start.
#include "pk_tokens.h"
#include "pk_actor.h"
#include "scheduler_internal.h"
#include <pthread.h>
#include <stdarg.h>

#define S_HELLO_MS 5000         // HELLO again: a restarted broker learns our role
#define S_ADOPT_GRACE_MS 10000  // default: a few heartbeats and reconnect back-offs

static void
s_pipe_destroy(void *arg)
{
    sched_pipe_t *sp = arg;
    pk_pipeline_destroy(&sp->model);
    free(sp->name);
    free(sp);
}

void
sched_pipes_insert(sched_t *self, sched_pipe_t *sp)
{
    zhash_update(self->pipelines, sp->name, sp);
    zhash_freefn(self->pipelines, sp->name, s_pipe_destroy);
}

char *
sched_work_id(sched_t *self, const char *pipeline, const char *job, uint64_t number,
              uint32_t retry)
{
    sched_pipe_t *sp = zhash_lookup(self->pipelines, pipeline);
    return pk_builds_work_id(pipeline, sp ? sp->life : 1, job, number, retry);
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

int
sched_fail(sched_reply_t *r, const char *fmt, ...)
{
    if (r->error)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&r->error, fmt, ap) < 0)
        r->error = strdup("out of memory");
    va_end(ap);
    return -1;
}

// SIGNAL{to "control", what "reply", args {ref, ok, error?}, body}
static void
s_reply(sched_t *self, const char *ref, sched_reply_t *r)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup("control");
    m.signal.what = strdup("reply");
    pk_kv_set(&m.signal.args, "ref", ref);
    pk_kv_set(&m.signal.args, "ok", r->error ? "0" : "1");
    if (r->error)
        pk_kv_set(&m.signal.args, "error", r->error);
    pk_value_t *body = r->body ? r->body : pk_value_new_object();
    pk_value_pack_bytes(body, &m.signal.body.data, &m.signal.body.size);
    if (body != r->body)
        pk_value_destroy(&body);
    sched_send(self, &m);
    pk_msg_clear(&m);
}

// --- signals

typedef void (s_op_fn)(sched_t *self, pk_msg_t *m, sched_reply_t *r);

static void
s_checker_ready(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    (void) m;
    (void) r;
    for (sched_pipe_t *sp = zhash_first(self->pipelines); sp; sp = zhash_next(self->pipelines))
        sched_tell_checker(self, sp);
}

static void
s_versions_new(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    (void) r;
    sched_versions_new(self, m);
}

static void
s_registered(sched_t *self, pk_msg_t *m, sched_reply_t *r)
{
    (void) m;
    (void) r;
    sched_reconcile(self);
}

static const struct {
    const char *what;
    s_op_fn *fn;
} s_ops[] = {
    { "pipeline.set", sched_pipeline_set },
    { "pipeline.remove", sched_pipeline_remove },
    { "pipeline.pause", sched_op_pause },
    { "pipeline.unpause", sched_op_pause },
    { "job.pause", sched_op_pause },
    { "job.unpause", sched_op_pause },
    { "trigger", sched_trigger },
    { "cancel", sched_op_cancel },
    { "retry", sched_op_retry },
    { "build.warning", sched_op_warning },
    { "approve", sched_op_vote },
    { "reject", sched_op_vote },
    { "pin", sched_op_pin },
    { "unpin", sched_op_pin },
    { "versions.new", s_versions_new },
    { "put.recorded", sched_put_recorded },
    { "checker.ready", s_checker_ready },
    { "sched.registered", s_registered },
};

static void
s_on_signal(sched_t *self, pk_msg_t *m)
{
    const char *what = m->signal.what;
    const char *ref = pk_kv_get(&m->signal.args, "ref");
    sched_reply_t r = { 0 };
    size_t i = 0, n = sizeof s_ops / sizeof s_ops[0];
    while (i < n && strcmp(s_ops[i].what, what))
        i++;
    if (i < n)
        s_ops[i].fn(self, m, &r);
    else {
        zsys_warning("%s: unknown signal \"%s\"", self->name, what);
        sched_fail(&r, "the scheduler has no command \"%s\"", what);
    }
    if (r.error && !ref)
        self->ignored++;                // no one to tell: counted
    if (ref)
        s_reply(self, ref, &r);
    free(r.error);
    pk_value_destroy(&r.body);
}

#define S_REPORTS_MAX 32        // runners' reports committed together at most

static void
s_flush_reports(sched_t *self, pk_msg_t *reports, size_t *n)
{
    if (*n == 1)
        sched_on_report(self, &reports[0]);
    else
    if (*n)
        sched_on_reports(self, reports, *n);
    for (size_t i = 0; i < *n; i++)
        pk_msg_clear(&reports[i]);
    *n = 0;
}

// Runners' reports that arrive together are committed together
// (sched_on_reports); anything else first lets those before it through.
static void
s_on_broker(sched_t *self)
{
    pk_msg_t reports[S_REPORTS_MAX];
    size_t count = 0;
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
        if (m.type == PK_MSG_STARTED || m.type == PK_MSG_STEP || m.type == PK_MSG_DONE) {
            reports[count++] = m;
            if (count == S_REPORTS_MAX)
                s_flush_reports(self, reports, &count);
            continue;
        }
        s_flush_reports(self, reports, &count);
        if (m.type == PK_MSG_SIGNAL)
            s_on_signal(self, &m);
        else
            self->ignored++;
        pk_msg_clear(&m);
    }
    s_flush_reports(self, reports, &count);
}

// --- the loop

static void
s_hello(sched_t *self)
{
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = self->name;
    h.hello.role = "scheduler";
    h.hello.token = (char *) pk_server_token();   // set only behind a standalone broker
    self->hello_at = zclock_mono() + S_HELLO_MS;
    sched_send(self, &h);
    sched_registered_ask(self);         // back through the broker: we are routed to
}

// Returns false on $TERM.
static bool
s_on_pipe(sched_t *self)
{
    char *cmd = zstr_recv(self->pipe);
    bool go_on = cmd && !streq(cmd, "$TERM");
    if (go_on && streq(cmd, "STATS"))
        zstr_sendf(self->pipe, "%zu %" PRIu64 " %" PRIu64, zhash_size(self->pipelines),
                   self->created, self->ignored);
    else
    if (go_on && streq(cmd, "STATUS"))
        zstr_send(self->pipe, "ok");
    else
    if (go_on && streq(cmd, "DRAIN")) {
        self->draining = true;
        zstr_send(self->pipe, "ok");
    }
    else
    if (go_on && streq(cmd, "RUNNING"))
        zstr_sendf(self->pipe, "%zu", sched_running(self));
    else
    if (go_on)
        zsys_warning("%s: unknown pipe command \"%s\"", self->name, cmd);
    zstr_free(&cmd);
    return go_on;
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
        if (self->adopting_count && now >= self->adopt_until)
            sched_adopt_expire(self);
        if (now >= self->retain_at)
            self->retain_at = now + (sched_retain_run(self) ? 20 : self->retain_every_ms);
        int64_t wake = self->hello_at;
        if (self->adopting_count && self->adopt_until < wake)
            wake = self->adopt_until;
        if (self->retain_at < wake)
            wake = self->retain_at;
        if (zmq_poll(items, 2, (long) (wake > now ? wake - now : 0)) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;
        }
        if ((items[0].revents & ZMQ_POLLIN) && !s_on_pipe(self))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_on_broker(self);
    }
}

// Start-up: pipelines from the store, builds that were running errored,
// the others queued, versions found while we were away built, downstream
// builds a crash may have cut off created -- then the queue runs.
static void
s_recover(sched_t *self)
{
    self->draining = true;              // nothing leaves before everything is known
    uint64_t indexed = 0;
    int mig = pk_builds_migrate(self->builds, &indexed);
    if (mig < 0)
        zsys_error("%s: cannot index the stored builds: %s", self->name, pk_store_error());
    else
    if (mig > 0)
        zsys_info("%s: store migrated: %" PRIu64 " builds indexed (unfinished builds, "
                  "versions passed)", self->name, indexed);
    sched_pipelines_load(self);
    sched_recover_builds(self);
    zlist_t *names = zhash_keys(self->pipelines);
    for (char *name = zlist_first(names); name; name = zlist_next(names)) {
        sched_pipe_t *sp = zhash_lookup(self->pipelines, name);
        for (size_t r = 0; r < sp->model->resource_count; r++) {
            const char *res = sp->model->resources[r]->canonical;
            sched_catch_up(self, sp, res, sched_latest_id(self, NULL, sp->name, res));
        }
        sched_downstream(self, sp, NULL);
    }
    zlist_destroy(&names);
    self->draining = false;
    sched_queue_run(self);
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
    self.secrets = sched_secrets_new(cfg->store, cfg->secret_key, cfg->secret_key_missing);
    self.auth = pk_auth_new(cfg->store, NULL);
    self.sources = PK_SOURCES_HTTPS
                 | (cfg->allow_remote_types ? PK_SOURCES_REMOTE_BUILTINS : 0);
    self.adopt_grace_ms = cfg->adopt_grace_ms;
    if (!self.adopt_grace_ms) {
        const char *env = getenv("PIKOCI_ADOPT_GRACE_MS");
        self.adopt_grace_ms = env && *env ? strtoll(env, NULL, 10) : S_ADOPT_GRACE_MS;
    }
    self.adopt_until = zclock_mono() + self.adopt_grace_ms;
    self.retain_builds = cfg->retain_builds;
    self.retain_days = cfg->retain_days;
    self.retain_every_ms = pk_actor_period_ms(cfg->retain_interval_ms,
                                              "PIKOCI_RETAIN_INTERVAL_MS", 10000);
    self.retain_at = zclock_mono() + self.retain_every_ms;
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
           && pk_curve_apply_client(self.dealer, &cfg->curve, &err) == 0
           && zsock_connect(self.dealer, "%s", cfg->endpoint) == 0;
    if (!ok)
        zsys_error("scheduler: cannot start: %s", err ? err : "cannot connect to the broker");
    free(err);
    if (ok) {
        self.pipelines = zhash_new();
        s_hello(&self);
        s_recover(&self);               // before STATUS answers: started means recovered
    }
    zsock_signal(pipe, 0);
    if (ok) {
        s_run(&self);
        for (size_t i = 0; i < self.active_count; i++) {
            free(self.active[i].pipeline);
            free(self.active[i].job);
        }
        free(self.active);
        for (size_t i = 0; i < self.adopting_count; i++) {
            free(self.adopting[i].pipeline);
            free(self.adopting[i].job);
        }
        free(self.adopting);
        zhash_destroy(&self.pipelines);
        zhash_destroy(&self.retain_marks);
        zhash_destroy(&self.reconciled);
    }
    else
        pk_actor_failed(pipe);
    zsock_destroy(&self.dealer);
    pk_builds_destroy(&self.builds);
    pk_versions_destroy(&self.versions);
    free(self.name);
    sched_secrets_destroy(&self.secrets);
    pk_auth_destroy(&self.auth);
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
