// runner: the runner actor (see pk_runner.h). One zloop watches the pipe,
// the DEALER to the broker, a heartbeat timer and an eventfd the executor
// threads poke after queueing outgoing messages. Executor threads never touch
// a socket (zmq sockets are not thread-safe): their messages wait in a
// mutex-guarded queue that this thread drains onto the DEALER.
//
// Reconnection: the DEALER reconnects by itself, but a restarted broker or
// server has forgotten us and what we said while it was away (messages to a
// dead peer are lost or queued, and a queued message may reach the new
// broker before the actor it is for has said HELLO). So when the broker
// sends DISCONNECT (it does not know us, it declared us lost, or a new
// scheduler or log sink asked everyone to announce themselves) we send
// READY with the work we hold and every build re-sends what may have been
// lost (runner_build_resync): its STARTED, steps, uncredited LOG chunks and,
// for builds finished in the last RUNNER_KEEP_MS, their DONE. Receivers
// drop what they already have (the sink by seq, the scheduler by fencing).
//
// The link itself is watched (a ZeroMQ socket monitor; ZMTP heartbeats
// close a link the network cut within seconds): the worker's log says when
// it loses and regains the broker and what it did with its builds. Builds
// keep running while the broker is away; when the link comes back the same
// resync runs (what was in flight on the dead connection is gone), and the
// broker takes them back if its grace has not run out. Finished builds are
// kept for a resync only while connected, so a long cut loses no DONE.
//
// Identity: the socket identity is the name plus a random suffix made once
// per process, so a reconnect takes its routing back (router handover) but
// nobody who only knows the name can. READY carries the worker token
// (config.token); a broker that refuses it answers DISCONNECT{"refused:
// why"}, logged once here -- we then wait for the broker to ask again
// (about once a second) instead of insisting.
#include "pk_runner.h"
#include "runner_internal.h"
#include "pk_tokens.h"
#include "pk_value_msgpack.h"
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct {
    char *name;
    char *tags;
    uint32_t slots;
    bool exclusive;
    char *work_root;
    int work_lock;            // flock'd fd on work_root (runner_workroot.c)
    runner_spare_t *spare;    // a $WORKDIR made ahead (runner_workroot.c)
    pk_proc_user_t run_as;    // name NULL: builds run as we are
    zsock_t *broker;
    int wake_fd;
    pthread_mutex_t lock;
    zlist_t *outbox;          // zmsg_t * waiting for the DEALER (guarded by lock)
    zlist_t *builds;          // runner_build_t * running or finishing (actor thread only)
    zlist_t *kept;            // finished builds, oldest first, for a resync (actor thread)
    zlist_t *kept_at;         // their finish times (int64_t *, mono ms), same order
    uint64_t heartbeat_seq;
    uint64_t dropped;         // malformed frames received
    zsock_t *monitor;         // the DEALER's connection events
    char *endpoint;
    bool connected;           // a handshake succeeded and the link has not closed since
    bool ever_connected;
    int64_t lost_at;          // mono ms the link closed
    int64_t last_complaint;   // mono ms of the last "cannot get in" line
    int failed_handshakes;
    char *token;              // the worker token for READY (NULL: none)
    bool refused;             // the broker refused a READY of ours (logged once)
} s_runner_t;

static void
s_emit(void *arg, pk_msg_t *msg)
{
    s_runner_t *self = arg;
    if (msg) {      // NULL: an executor finished; just wake up to free its slot
        zmsg_t *z = pk_msg_to_zmsg(msg);
        pk_msg_clear(msg);
        if (!z)
            return;
        pthread_mutex_lock(&self->lock);
        zlist_append(self->outbox, z);
        pthread_mutex_unlock(&self->lock);
    }
    uint64_t one = 1;
    if (write(self->wake_fd, &one, sizeof one) < 0) {
        // saturated counter: the actor is already due to wake
    }
}

static void
s_send(s_runner_t *self, const pk_msg_t *msg)
{
    pk_msg_send(self->broker, msg);
}

// Slots in use: work that has not reported its end yet.
static uint32_t
s_busy(s_runner_t *self)
{
    uint32_t busy = 0;
    for (runner_build_t *b = zlist_first(self->builds); b; b = zlist_next(self->builds))
        busy += !runner_build_reported(b);
    return busy;
}

// Executors' messages onto the DEALER, in the order they were emitted.
static void
s_drain_outbox(s_runner_t *self)
{
    for (;;) {
        pthread_mutex_lock(&self->lock);
        zmsg_t *z = zlist_pop(self->outbox);
        pthread_mutex_unlock(&self->lock);
        if (!z)
            break;
        if (zmsg_send(&z, self->broker) != 0)
            zmsg_destroy(&z);   // only when the context ends: the queue is unbounded
    }
}

static void
s_send_ready(s_runner_t *self)
{
    pk_msg_t m = { .type = PK_MSG_READY };
    m.ready.name = self->name;
    m.ready.slots = self->slots;
    m.ready.exclusive = self->exclusive;
    m.ready.token = self->token;
    char *tags = self->tags ? strdup(self->tags) : NULL;
    for (char *tok = tags ? strtok(tags, ",") : NULL; tok; tok = strtok(NULL, ","))
        if (*tok)
            pk_strs_push(&m.ready.tags, tok);
    for (runner_build_t *b = zlist_first(self->builds); b; b = zlist_next(self->builds)) {
        if (runner_build_reported(b))
            continue;
        char held[512];
        snprintf(held, sizeof held, "%s:%u", runner_build_id(b), runner_build_attempt(b));
        pk_strs_push(&m.ready.holding, held);
    }
    // a DONE emitted before that snapshot leaves before the READY, or the
    // broker would take the build missing from `holding` for one that ended
    // without a word; one emitted after it finds the build still held
    s_drain_outbox(self);
    s_send(self, &m);
    m.ready.name = NULL;   // borrowed
    m.ready.token = NULL;
    pk_msg_clear(&m);
    free(tags);
}

static runner_build_t *
s_find(s_runner_t *self, const char *id, uint32_t attempt)
{
    for (runner_build_t *b = zlist_first(self->builds); b; b = zlist_next(self->builds))
        if (!strcmp(runner_build_id(b), id) && runner_build_attempt(b) == attempt)
            return b;
    for (runner_build_t *b = zlist_first(self->kept); b; b = zlist_next(self->kept))
        if (!strcmp(runner_build_id(b), id) && runner_build_attempt(b) == attempt)
            return b;
    return NULL;
}

// Finished builds older than RUNNER_KEEP_MS, or beyond RUNNER_KEEP_MAX, go.
static void
s_expire_kept(s_runner_t *self, bool all)
{
    int64_t now = zclock_mono();
    for (;;) {
        int64_t *at = zlist_first(self->kept_at);
        // while the broker is away it has not heard their DONE for sure
        if (!at || (!all && zlist_size(self->kept) <= RUNNER_KEEP_MAX
                    && (!self->connected || now - *at < RUNNER_KEEP_MS)))
            break;
        runner_build_t *b = zlist_pop(self->kept);
        zlist_pop(self->kept_at);
        free(at);
        runner_build_destroy(&b);
    }
}

static void
s_resync(s_runner_t *self)
{
    s_send_ready(self);
    for (runner_build_t *b = zlist_first(self->builds); b; b = zlist_next(self->builds))
        if (!strcmp(runner_build_kind(b), "build"))
            runner_build_resync(b);
    for (runner_build_t *b = zlist_first(self->kept); b; b = zlist_next(self->kept))
        runner_build_resync(b);
}

static void
s_refuse(s_runner_t *self, const pk_msg_work_t *w, const char *why)
{
    pk_msg_t m;
    if (!strcmp(w->kind, "check")) {
        m = (pk_msg_t) { .type = PK_MSG_VERSIONS };
        m.versions.id = strdup(w->id);
        m.versions.attempt = w->attempt;
        m.versions.resource = strdup("?");
        m.versions.error = strdup(why);
    }
    else {
        m = (pk_msg_t) { .type = PK_MSG_DONE };
        m.done.id = strdup(w->id);
        m.done.attempt = w->attempt;
        m.done.status = strdup("errored");
        m.done.reason = strdup(why);
    }
    s_send(self, &m);
    pk_msg_clear(&m);
}

static void
s_on_work(s_runner_t *self, pk_msg_work_t *w)
{
    if (s_find(self, w->id, w->attempt))
        return;                                   // a duplicate delivery: already running
    if (s_busy(self) >= self->slots) {
        s_refuse(self, w, "runner has no free slot");
        return;
    }
    pk_value_t *plan = pk_value_unpack(w->plan.data, w->plan.size);
    if (!plan) {
        s_refuse(self, w, "work plan is not a valid msgpack value");
        return;
    }
    // values of the server's secret store travel beside the plan, never in
    // it; the build keeps them in its plan's memory only (runner_secrets_get.c)
    pk_value_t *store = pk_value_new_object();
    for (size_t i = 0; i < w->secrets.count; i++)
        pk_value_object_set(store, w->secrets.keys[i], pk_value_new_string(w->secrets.values[i]));
    pk_value_object_set(plan, "store_secrets", store);
    runner_build_t *b = runner_build_new(w->id, w->attempt, w->kind, plan, self->work_root,
                                         self->name, self->spare, s_emit, self);
    char *err = NULL;
    if (self->run_as.name && runner_build_run_as(b, &self->run_as, &err) != 0) {
        zsys_error("runner %s: %s", self->name, err);
        s_refuse(self, w, err);
        free(err);
        runner_build_destroy(&b);
        return;
    }
    zlist_append(self->builds, b);
    runner_build_start(b);
}

static int
s_on_broker(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    s_runner_t *self = arg;
    zmsg_t *z = zmsg_recv(sock);
    if (!z)
        return 0;
    pk_msg_t m;
    char err[256];
    if (pk_msg_from_zmsg(z, &m, err, sizeof err) != 0) {
        self->dropped++;
        zsys_warning("runner %s: dropped a malformed message: %s", self->name, err);
        zmsg_destroy(&z);
        return 0;
    }
    zmsg_destroy(&z);
    runner_build_t *b;
    switch (m.type) {
    case PK_MSG_WORK:
        s_on_work(self, &m.work);
        break;
    case PK_MSG_CANCEL:
        if ((b = s_find(self, m.cancel.id, m.cancel.attempt))) {
            if (!runner_build_reported(b))
                zsys_info("runner %s: stopping %s: %s", self->name, m.cancel.id,
                          m.cancel.reason ? m.cancel.reason : "cancelled");
            runner_build_cancel(b, m.cancel.reason);
        }
        break;
    case PK_MSG_CREDIT:
        if ((b = s_find(self, m.credit.id, m.credit.attempt)))
            runner_build_credit(b, m.credit.credits);
        break;
    case PK_MSG_DISCONNECT:
        // the broker does not know us (it restarted, or declared us lost),
        // or a restarted actor wants to hear it all again (see the top)
        if (m.disconnect.reason && !strncmp(m.disconnect.reason, "refused:", 8)) {
            if (!self->refused)
                zsys_error("runner %s: the broker refused this worker (%s); see --worker-token",
                           self->name, m.disconnect.reason + 9);
            self->refused = true;
            break;
        }
        zsys_info("runner %s: the broker asks us to announce ourselves (%s): reporting %u "
                  "running builds", self->name, m.disconnect.reason ? m.disconnect.reason : "?",
                  s_busy(self));
        s_resync(self);
        break;
    default:
        self->dropped++;
        break;
    }
    pk_msg_clear(&m);
    return 0;
}

// Drain executors' messages onto the DEALER, then forget finished executors.
static int
s_on_wake(zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    s_runner_t *self = arg;
    uint64_t n;
    if (read(self->wake_fd, &n, sizeof n) < 0) {
        // spurious wake-up
    }
    s_drain_outbox(self);
    runner_build_t *b = zlist_first(self->builds);
    while (b) {
        runner_build_t *next = zlist_next(self->builds);
        if (runner_build_finished(b)) {
            runner_build_join(b);
            zlist_remove(self->builds, b);
            if (!strcmp(runner_build_kind(b), "build")) {
                // its DONE may yet be lost with a dying server: keep it a while
                int64_t *at = malloc(sizeof *at);
                *at = zclock_mono();
                zlist_append(self->kept, b);
                zlist_append(self->kept_at, at);
            }
            else
                runner_build_destroy(&b);
        }
        b = next;
    }
    s_expire_kept(self, false);
    return 0;
}

static int
s_on_heartbeat(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_runner_t *self = arg;
    pk_msg_t m = { .type = PK_MSG_HEARTBEAT };
    m.heartbeat.name = self->name;
    m.heartbeat.slots_free = self->slots - s_busy(self);
    m.heartbeat.seq = ++self->heartbeat_seq;
    s_send(self, &m);
    s_expire_kept(self, false);
    return 0;
}

// Why a handshake failed, in the operator's words.
static const char *
s_handshake_hint(int event, int value, bool curve)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return "the broker refused this worker's key: copy its NAME.cert into the broker's "
               "--curve-allow directory";
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        return curve ? "the broker does not use CURVE: drop --curve-cert/--curve-server-key"
                     : "the broker uses CURVE: give --curve-cert and --curve-server-key";
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        return "CURVE failed: is --curve-server-key the broker's public key?";
    return curve ? "if the broker uses CURVE: is this worker's NAME.cert in its --curve-allow "
                   "directory, and --curve-server-key the broker's public key?"
                 : "if the broker uses CURVE, give --curve-cert and --curve-server-key";
}

static int
s_on_monitor(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    s_runner_t *self = arg;
    zmsg_t *z = zmsg_recv(sock);
    zframe_t *f = z ? zmsg_first(z) : NULL;
    if (!f || zframe_size(f) < 6) {
        zmsg_destroy(&z);
        return 0;
    }
    uint16_t event;
    uint32_t value;
    memcpy(&event, zframe_data(f), 2);
    memcpy(&value, zframe_data(f) + 2, 4);
    zmsg_destroy(&z);
    int64_t now = zclock_mono();
    bool curve = zsock_mechanism(self->broker) == ZMQ_CURVE;
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        self->failed_handshakes = 0;
        if (self->connected)
            return 0;
        self->connected = true;
        if (!self->ever_connected) {
            self->ever_connected = true;
            zsys_info("runner %s: connected to the broker at %s", self->name, self->endpoint);
            return 0;
        }
        uint32_t n = s_busy(self);
        zsys_info("runner %s: the broker is back after %d s; reporting the %u builds that ran "
                  "meanwhile and %zu that ended", self->name, (int) ((now - self->lost_at) / 1000),
                  n, zlist_size(self->kept));
        s_resync(self);         // what was in flight on the dead connection is gone
        return 0;
    }
    if (event == ZMQ_EVENT_DISCONNECTED && self->connected) {
        self->connected = false;
        self->lost_at = now;
        zsys_warning("runner %s: lost the broker at %s; its %u running builds go on and are "
                     "reported when it is back", self->name, self->endpoint, s_busy(self));
        return 0;
    }
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
        || event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        || (event == ZMQ_EVENT_DISCONNECTED && !self->connected)) {
        // a connection that closed before its handshake ended: refused
        self->failed_handshakes++;
        if (now - self->last_complaint >= 30000) {
            self->last_complaint = now;
            zsys_error("runner %s: cannot get in to the broker at %s (%d handshakes failed): %s",
                       self->name, self->endpoint, self->failed_handshakes,
                       s_handshake_hint(event, (int) value, curve));
        }
    }
    return 0;
}

static int
s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    (void) arg;
    char *cmd = zstr_recv(pipe);
    int rc = !cmd || streq(cmd, "$TERM") ? -1 : 0;
    zstr_free(&cmd);
    return rc;
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_runner_config_t *cfg = arg;
    s_runner_t self = { 0 };
    self.name = strdup(cfg->name ? cfg->name : "runner");
    self.tags = cfg->tags ? strdup(cfg->tags) : NULL;
    self.slots = cfg->slots ? cfg->slots : 1;
    self.exclusive = cfg->exclusive;
    self.work_root = strdup(cfg->work_root ? cfg->work_root : "/tmp/pikoci-work");
    if (cfg->run_as)
        pk_proc_user_copy(&self.run_as, cfg->run_as);
    self.outbox = zlist_new();
    self.builds = zlist_new();
    self.kept = zlist_new();
    self.kept_at = zlist_new();
    pthread_mutex_init(&self.lock, NULL);
    self.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    self.token = cfg->token && *cfg->token ? strdup(cfg->token) : NULL;
    self.broker = zsock_new(ZMQ_DEALER);
    char *secret = pk_token_new(""), identity[400];
    snprintf(identity, sizeof identity, "%.300s.%.16s", self.name, secret);
    free(secret);
    zsock_set_identity(self.broker, identity);
    zsock_set_maxmsgsize(self.broker, PK_MSG_MAX_FRAME + 1024);
    zsock_set_linger(self.broker, 1000);
    // never block the actor while the broker is away: what queues meanwhile
    // is bounded by log credit (16 chunks a build) and one heartbeat a second
    zsock_set_sndhwm(self.broker, 0);
    char *err = NULL;
    self.work_lock = runner_workroot_claim(self.work_root, self.run_as.name != NULL, &err);
    bool ok = self.work_lock >= 0;
    self.spare = runner_spare_new(self.work_root);
    if (!ok)
        zsys_error("runner: %s", err);
    free(err);
    err = NULL;
    ok = ok && pk_curve_apply_client(self.broker, &cfg->curve, &err) == 0;
    // the monitor is attached before the connect: a handshake that ended
    // before it was would never be reported, the link would count as never
    // made, and its first cut would resync nothing (a DONE sent on it lost)
    bool watch = ok && strncmp(cfg->endpoint, "inproc://", 9);   // inproc: no handshake
    if (watch) {
        char ep[64];
        snprintf(ep, sizeof ep, "inproc://pk-runner-monitor-%p", (void *) &self);
        if (zmq_socket_monitor(zsock_resolve(self.broker), ep,
                               ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                               | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                               | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
            self.monitor = zsock_new(ZMQ_PAIR);
            if (self.monitor && zsock_connect(self.monitor, "%s", ep) != 0)
                zsock_destroy(&self.monitor);
        }
    }
    ok = ok && zsock_connect(self.broker, "%s", cfg->endpoint) == 0;
    if (!ok && self.work_lock >= 0)
        zsys_error("runner: cannot connect to %s: %s", cfg->endpoint,
                   err ? err : zmq_strerror(zmq_errno()));
    free(err);
    self.connected = ok && !watch;
    self.endpoint = strdup(cfg->endpoint);
    zsock_signal(pipe, ok ? 0 : 1);
    if (ok) {
        s_send_ready(&self);
        zloop_t *loop = zloop_new();
        zloop_set_nonstop(loop, true);
        zloop_reader(loop, pipe, s_on_pipe, &self);
        zloop_reader(loop, self.broker, s_on_broker, &self);
        if (self.monitor)
            zloop_reader(loop, self.monitor, s_on_monitor, &self);
        zmq_pollitem_t wake = { NULL, self.wake_fd, ZMQ_POLLIN, 0 };
        zloop_poller(loop, &wake, s_on_wake, &self);
        zloop_timer(loop, PK_RUNNER_HEARTBEAT_MS, 0, s_on_heartbeat, &self);
        zloop_start(loop);
        zloop_destroy(&loop);
    }
    // shutting down: cancel and join every executor, flush what they said
    for (runner_build_t *b = zlist_first(self.builds); b; b = zlist_next(self.builds))
        runner_build_stop(b);
    runner_build_t *b;
    while ((b = zlist_pop(self.builds)))
        runner_build_destroy(&b);
    s_expire_kept(&self, true);
    zlist_destroy(&self.kept);
    zlist_destroy(&self.kept_at);
    zmsg_t *z;
    while ((z = zlist_pop(self.outbox)))
        if (zmsg_send(&z, self.broker) != 0)
            zmsg_destroy(&z);
    zlist_destroy(&self.outbox);
    zlist_destroy(&self.builds);
    if (self.monitor)
        zmq_socket_monitor(zsock_resolve(self.broker), NULL, 0);
    zsock_destroy(&self.monitor);
    free(self.endpoint);
    zsock_destroy(&self.broker);
    runner_spare_destroy(&self.spare);     // every build is joined: none makes one now
    runner_workroot_release(self.work_lock, self.work_root);
    pk_proc_user_clear(&self.run_as);
    close(self.wake_fd);
    pthread_mutex_destroy(&self.lock);
    free(self.name);
    free(self.token);
    free(self.tags);
    free(self.work_root);
}

zactor_t *
pk_runner_new(const pk_runner_config_t *config)
{
    if (!config || !config->endpoint)
        return NULL;
    return zactor_new(s_actor, (void *) config);
}
