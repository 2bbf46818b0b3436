// checker: the checker actor (pk_checker.h has the message contract).
//
// One thread, one poll loop over the pipe and a DEALER to the broker, with
// the poll timeout taken from a min-heap of resource deadlines: firing a
// check is a heap pop, a memcpy of the pre-packed plan and one send.
//
// What costs at 1,000 checks/s is not the bookkeeping but waking other
// threads (every send to an idle broker is an eventfd write) and LMDB commits
// (page writes, an fsync when durable). So work is gathered: the loop sleeps
// S_SLACK_MS past the earliest deadline and fires everything due by then,
// and answers share one write transaction, at most one commit per
// flush_ms (checker_checks.c; an idle checker stores at once). Only after the commit are the
// scheduler and the bus told -- a version announced is a version stored.
// Both delays are tiny next to any check_interval.
//
// The pieces (checker_internal.h has the map): this file is the loop and
// what it sends; timing, the resource sets, the checks' round trip and the
// webhook tokens each have a file of their own.
#include "pk_tokens.h"
#include "checker_internal.h"
#include "pk_actor.h"
#include "pk_value_msgpack.h"
#include <pthread.h>
#include <unistd.h>

#define S_FIRE_MAX 256          // checks fired before the sockets are looked at again
#define S_SLACK_MS 5            // a check may fire this late, to go with others
#define S_HELLO_MS 5000         // HELLO again: a restarted broker learns our role

// --- sending

void
checker_send(checker_t *self, pk_msg_t *m)
{
    if (pk_msg_send(zsock_resolve(self->dealer), m) != 0)
        zsys_warning("%s: cannot send %s to the broker", self->name, pk_msg_command(m->type));
}

void
checker_signal_scheduler(checker_t *self, const char *what, const checker_res_t *r,
                         uint64_t first, uint64_t last)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = "scheduler";
    m.signal.what = (char *) what;
    // tests only (tests/server/lostnews.sh): the first N versions.new are
    // not sent, as if the broker had dropped them
    if (r && self->drop_news > 0 && !strcmp(what, "versions.new")) {
        self->drop_news--;
        zsys_info("%s: test: versions.new of %s/%s dropped", self->name, r->pipeline,
                  r->canonical);
        return;
    }
    if (r) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%" PRIu64, first);
        snprintf(b, sizeof b, "%" PRIu64, last);
        pk_kv_set(&m.signal.args, "pipeline", r->pipeline);
        pk_kv_set(&m.signal.args, "resource", r->canonical);
        pk_kv_set(&m.signal.args, "first_id", a);
        pk_kv_set(&m.signal.args, "last_id", b);
    }
    checker_send(self, &m);
    m.signal.to = m.signal.what = NULL;
    pk_msg_clear(&m);
}

// A signal that carries `ref` came from control, which waits for this
// SIGNAL{to "control", what "reply", args {ref, ok, error}} (CONTRACT.md),
// with a body when there is one to carry (body may be NULL).
void
checker_reply_control(checker_t *self, pk_msg_t *m, const char *error, const pk_value_t *body)
{
    const char *ref = pk_kv_get(&m->signal.args, "ref");
    if (!ref)
        return;
    pk_msg_t r = { .type = PK_MSG_SIGNAL };
    r.signal.to = "control";
    r.signal.what = "reply";
    pk_kv_set(&r.signal.args, "ref", ref);
    pk_kv_set(&r.signal.args, "ok", error ? "0" : "1");
    if (error)
        pk_kv_set(&r.signal.args, "error", error);
    if (body)
        pk_value_pack_bytes(body, &r.signal.body.data, &r.signal.body.size);
    checker_send(self, &r);
    r.signal.to = r.signal.what = NULL;
    pk_msg_clear(&r);
}

static void
s_on_signal(checker_t *self, pk_msg_t *m)
{
    if (!strcmp(m->signal.what, "pipeline.set"))
        checker_pipeline_set(self, m);
    else
    if (!strcmp(m->signal.what, "pipeline.remove"))
        checker_pipeline_remove(self, m);
    else
    if (!strcmp(m->signal.what, "check.now"))
        checker_check_now(self, m);
    else
    if (!strcmp(m->signal.what, "put.versions"))
        checker_on_put(self, m);
    else
    if (!strncmp(m->signal.what, "webhook.", 8) || !strcmp(m->signal.what, "stats"))
        checker_on_webhook(self, m);
    else {
        zsys_warning("%s: unknown signal \"%s\"", self->name, m->signal.what);
        self->ignored++;
    }
}

// --- the loop

static void
s_on_broker(checker_t *self)
{
    for (int n = 0; n < 4 * CHECKER_BATCH_MAX; n++) {
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
        if (m.type == PK_MSG_VERSIONS) {
            checker_on_versions(self, &m);
            continue;
        }
        if (m.type == PK_MSG_SIGNAL) {
            checker_flush(self);        // results refer to resources a signal may remove
            s_on_signal(self, &m);
        }
        else
        if (m.type != PK_MSG_STARTED)
            self->ignored++;
        pk_msg_clear(&m);
    }
}

static bool
s_on_pipe(checker_t *self)
{
    char *cmd = zstr_recv(self->pipe);
    bool go_on = cmd && !streq(cmd, "$TERM");
    if (go_on && streq(cmd, "STATS"))
        zstr_sendf(self->pipe, "%zu %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
                   self->heap_n, self->inflight, self->checks, self->failures, self->news,
                   self->ignored);
    else
    if (go_on && streq(cmd, "STATUS"))
        zstr_send(self->pipe, "ok");
    zstr_free(&cmd);
    return go_on;
}

static void
s_hello(checker_t *self, int64_t now)
{
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = self->name;
    h.hello.role = "checker";
    h.hello.token = (char *) pk_server_token();   // set only behind a standalone broker
    checker_send(self, &h);
    self->hello_at = now + S_HELLO_MS;
}

static void
s_run(checker_t *self)
{
    zmq_pollitem_t items[] = { { zsock_resolve(self->pipe), 0, ZMQ_POLLIN, 0 },
                               { zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0 } };
    for (;;) {
        int64_t now = zclock_mono();
        int fired = 0;
        while (fired < S_FIRE_MAX && self->heap_n && self->heap[0].due <= now) {
            checker_res_t *r = self->heap[0].res;
            if (r->pending) {
                checker_flush(self);    // its last answer is stored before it goes again
                continue;
            }
            if (r->seq)
                checker_give_up(self, r, now);
            else
                checker_fire(self, r, now);
            fired++;
        }
        if (self->batch_n && now >= self->flush_at)
            checker_flush(self);
        if (now >= self->hello_at)
            s_hello(self, now);
        if (self->retain_keep > 0 && now >= self->retain_at)
            self->retain_at = now + (checker_retain_run(self) ? 20 : self->retain_every_ms);
        int64_t wake = self->hello_at;
        if (self->retain_keep > 0 && self->retain_at < wake)
            wake = self->retain_at;
        if (self->heap_n && self->heap[0].due < wake - S_SLACK_MS)
            wake = self->heap[0].due + S_SLACK_MS;
        if (self->batch_n && self->flush_at < wake)
            wake = self->flush_at;
        long timeout = 0;
        if (fired < S_FIRE_MAX) {
            int64_t wait = wake - zclock_mono();
            timeout = wait < 0 ? 0 : (long) wait;
        }
        if (zmq_poll(items, 2, timeout) < 0) {
            if (zmq_errno() == EINTR)
                continue;
            break;                      // the context is terminating
        }
        if ((items[0].revents & ZMQ_POLLIN) && !s_on_pipe(self))
            break;
        if (items[1].revents & ZMQ_POLLIN)
            s_on_broker(self);
    }
    checker_flush(self);                // what was answered is kept
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_checker_config_t *cfg = arg;
    checker_t self = { 0 };
    pthread_setname_np(pthread_self(), "pk-checker");     // for top -H and benchmarks
    self.pipe = pipe;
    self.name = strdup(cfg->name && *cfg->name ? cfg->name : "checker");
    self.check_timeout_ms = cfg->check_timeout_ms > 0 ? cfg->check_timeout_ms : 5 * 60 * 1000;
    self.grace_ms = cfg->answer_grace_ms > 0 ? cfg->answer_grace_ms : 30 * 1000;
    self.first_max_ms = cfg->first_check_max_ms > 0 ? cfg->first_check_max_ms : 10 * 1000;
    self.flush_ms = cfg->flush_ms > 0 ? cfg->flush_ms : CHECKER_FLUSH_MS;
    self.seq = (uint64_t) zclock_time() * 1000;     // a restarted checker's ids are new
    self.rng = ((uint64_t) zclock_time() << 20) ^ (uint64_t) getpid() ^ (uint64_t) (uintptr_t) &self;
    if (!self.rng)
        self.rng = 1;
    msgpack_sbuffer_init(&self.scratch);
    const char *drop = getenv("PIKOCI_TEST_DROP_VERSIONS_NEW");
    self.drop_news = drop && *drop ? atoi(drop) : 0;
    char *err = NULL;
    self.versions = pk_versions_new(cfg->store, &err);
    self.webhooks = self.versions ? pk_webhooks_new(cfg->store, &err) : NULL;
    self.builds = self.webhooks ? pk_builds_new(cfg->store, &err) : NULL;
    self.retain_keep = cfg->retain_versions ? cfg->retain_versions : 100;
    self.retain_every_ms = pk_actor_period_ms(cfg->retain_interval_ms,
                                              "PIKOCI_RETAIN_INTERVAL_MS", 10000);
    self.retain_at = zclock_mono() + self.retain_every_ms;
    self.dealer = zsock_new(ZMQ_DEALER);
    if (self.dealer) {
        // one check in flight per resource bounds what queues: never drop
        zsock_set_sndhwm(self.dealer, 0);
        zsock_set_rcvhwm(self.dealer, 0);
        zsock_set_rcvtimeo(self.dealer, 0);
        zsock_set_maxmsgsize(self.dealer, PK_MSG_MAX_FRAME + 4096);
    }
    bool ok = self.versions && self.webhooks && self.builds && self.dealer
           && pk_curve_apply_client(self.dealer, &cfg->curve, &err) == 0
           && zsock_connect(self.dealer, "%s", cfg->endpoint) == 0;
    if (!ok)
        zsys_error("checker: cannot start: %s", err ? err : "cannot connect to the broker");
    free(err);
    zsock_signal(pipe, 0);
    if (ok) {
        self.pipelines = zhash_new();
        s_hello(&self, zclock_mono());
        checker_signal_scheduler(&self, "checker.ready", NULL, 0, 0);
        s_run(&self);
        for (zhash_t *set = zhash_first(self.pipelines); set; set = zhash_next(self.pipelines))
            for (checker_res_t *r = zhash_first(set); r; r = zhash_next(set))
                checker_res_destroy(&r);
        zhash_destroy(&self.pipelines);
    }
    else {
        pk_actor_failed(pipe);
    }
    self.batch_n = 0;
    free(self.heap);
    msgpack_sbuffer_destroy(&self.scratch);
    zsock_destroy(&self.dealer);
    pk_versions_destroy(&self.versions);
    pk_webhooks_destroy(&self.webhooks);
    pk_builds_destroy(&self.builds);
    free(self.name);
}

zactor_t *
pk_checker_new(const pk_checker_config_t *config)
{
    if (!config || !config->endpoint || !config->store) {
        zsys_error("checker: a broker endpoint and a store are required");
        return NULL;
    }
    return pk_actor_new(s_actor, (void *) config);
}
