// broker: the broker actor (see pk_broker.h for what it routes where).
// Work ids say who asked for them -- "check:..." came from the checker,
// anything else from the scheduler -- so replies route without remembering
// senders, and a worker re-announcing work after a broker restart is routed
// the same way. Everything here belongs to the actor's thread.
//
// Re-adoption: a worker's READY lists the work it still holds ("id:attempt");
// held work is assigned to it again and counts against its slots, whether
// we restarted or it reconnected. A worker we had declared lost is told to
// CANCEL what it holds instead: that work was reported errored and may run
// elsewhere by now. A new scheduler or log sink (a routing id we have not
// seen saying HELLO for the role: the server restarted behind us, or we
// restarted and our workers came back before it) makes every worker
// announce itself again (DISCONNECT), so the actor hears about the builds
// and logs in progress -- what workers re-sent before it was there was
// dropped.
//
// Trust: who a peer is decides what it may say (s_senders). Peers in the
// broker's own process (inproc: their frames carry no connection metadata)
// are the server and may say anything. Over the network, a HELLO for any
// role but "client" needs the server token (a standalone broker's
// config.server_token; an embedded broker has none, so nobody gets a server
// role from the network), a READY needs a worker token from the list in
// config.worker_tokens, and only an admitted worker may send what workers
// send (STARTED, STEP, LOG, DONE, VERSIONS). Everyone else is a client: it
// may say HELLO{client} and REQUEST, and nothing else. A refusal is
// counted (broker.stats "refused") and logged once per peer and kind; a
// refused READY is answered with DISCONNECT{reason "refused: ..."} so the
// worker can say why it gets no work.
//
// Routing ids cannot be borrowed: ZeroMQ gives peers without an identity
// one starting with a zero byte, which no peer may choose, and runners pick
// "NAME.<random>" (router handover gives a reconnecting worker its route
// back, but only to whoever knows the suffix).
//
// Teams: a worker's token binds it to a team or to every team; WORK names
// its team (absent: "main") and goes only to workers of every team or of
// that one.
#include "pk_actor.h"
#include "pk_broker.h"
#include "pk_curve.h"
#include "pk_msg.h"
#include <inttypes.h>
#include "pk_tokens.h"
#include <msgpack.h>
#include <sys/stat.h>

typedef struct {
    char *name;
    zframe_t *rid;
    pk_strs_t tags;
    uint32_t slots, busy;
    bool exclusive, lost;
    bool unreachable;     // silent past hb_timeout: its work waits out the grace
    int64_t last_seen;
    int64_t silent_since; // when it became unreachable (mono ms)
    int64_t lost_at;      // when it was declared lost (mono ms), for pruning
    uint64_t assigned_total;
    zhash_t *stale;       // "id:attempt" it was told to cancel (given elsewhere): fenced
    char *key;            // its CURVE key (ZAP User-Id), NULL on plain links
    char *team;           // "" for every team
    char *rid_key;        // hex of rid, its key in worker_rids
} s_worker_t;

typedef struct {
    char *key;            // "id:attempt"
    char *id;
    uint32_t attempt;
    char *kind;
    char *team;
    pk_strs_t tags;
    zmsg_t *msg;          // [WORK][body]: kept until the work starts, to hand it on
    s_worker_t *worker;   // when assigned
    int64_t queued_at;
    bool started;         // its runner said STARTED: it cannot be handed on
    int64_t orphan_at;    // its worker's READY left it out: errored unless its DONE comes
} s_work_t;

typedef struct {
    zframe_t *rid;
    char *prefix;
    char *key;            // the subscriber's CURVE key, NULL on plain links
} s_sub_t;

// A worker silent this long gets no new work (it beats every second).
#define S_SUSPECT_MS(self) ((self)->hb_timeout < 1500 ? (self)->hb_timeout \
                            : (self)->hb_timeout / 2 > 1500 ? (self)->hb_timeout / 2 : 1500)
// A gap this long between two ticks (every 250 ms) is the broker's own stall.
#define S_STALL_MS 1000
// Work a READY left out waits this long for the DONE the resync re-sends.
#define S_ORPHAN_MS 5000
// Messages queued here for one peer that does not read (a stalled
// follower: log events are up to 64 KB, so about 2 MB each): beyond, they
// are dropped and counted. Actors and clients keep their own large receive
// queues, so a peer that reads never gets near it; and what goes to an
// actor (a log chunk to the sink) waits a moment for room rather than
// being dropped (S_ROLE_WAIT_MS).
#define S_PEER_HWM 32
#define S_ROLE_WAIT_MS 100
// Subscriptions one connection may hold (pikoci-top needs a handful).
#define S_SUBS_PER_PEER 256
// Worker names one connection may register (a worker process has one).
#define S_NAMES_PER_PEER 8
// Lost workers are forgotten after this long (pk_broker_config_t can say).
#define S_LOST_RETENTION_MS (3600 * 1000)

typedef struct {
    zsock_t *router;
    zhash_t *workers;     // name -> s_worker_t
    zhash_t *roles;       // role -> zframe_t routing id
    zlist_t *pending;     // s_work_t, FIFO
    zhash_t *assigned;    // key -> s_work_t
    zlist_t *subs;        // s_sub_t
    uint64_t event_seq;
    uint64_t dropped;
    uint64_t oversized;   // answers too big for one message, refused (and counted in dropped)
    uint64_t events;
    int hb_timeout;
    int64_t grace;            // how long an unreachable worker's work waits for it
    int64_t retention;        // how long a lost worker stays listed
    uint64_t refused_names;   // READYs over S_NAMES_PER_PEER
    int64_t last_tick;        // mono ms of the last tick: a large gap is our own stall
    size_t stale_total;       // keys fenced across workers (LOG is checked only then)
    int64_t handed_at;        // mono ms of the last work handed on (LOG is checked a while)
    zhash_t *keys;            // CURVE keys of live sessions -> "" allowed, "revoked"
    size_t revoked;           // how many of them are revoked (messages checked only then)
    int64_t keys_checked_at;
    const char *cur_key;      // the key of the message being handled (NULL: plain)
    char *tcp_endpoint;
    zhash_t *asked;           // name -> int64_t mono ms: unknown workers asked for READY
    pk_curve_auth_t *auth;    // the ZAP handler when the tcp listener is CURVE
    zsock_t *pipe;
    char *awaiting;           // "AWAIT" roles not all known yet (space-separated)
    zlist_t *held;            // s_held_t: requests that came before control's first HELLO
    int64_t hold_until;       // mono ms they may wait till (0: control came, or no hold)
    bool trust_network;       // config.trust_network: every peer is the server's
    char *server_token;       // what a network HELLO needs for a server role
    pk_worker_tokens_t *worker_tokens;  // what a network READY needs
    zhash_t *client_keys;     // rid hex -> CURVE key of a client whose broker op control weighs
    zhash_t *servers;         // rid hex -> role: network peers admitted to a server role
    zhash_t *worker_rids;     // rid hex -> worker name: admitted network workers
    zhash_t *logged;          // refusals logged already (bounded)
    uint64_t refused;
} s_broker_t;

static void
s_strs_clear(pk_strs_t *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static void
s_strs_copy(pk_strs_t *dst, const pk_strs_t *src)
{
    s_strs_clear(dst);
    for (size_t i = 0; i < src->count; i++)
        pk_strs_push(dst, src->items[i]);
}

static void
s_work_destroy(s_work_t **w_p)
{
    s_work_t *w = *w_p;
    if (!w)
        return;
    free(w->key);
    free(w->id);
    free(w->kind);
    free(w->team);
    s_strs_clear(&w->tags);
    zmsg_destroy(&w->msg);
    free(w);
    *w_p = NULL;
}

static void
s_worker_free(void *item)
{
    s_worker_t *wk = item;
    free(wk->name);
    free(wk->team);
    free(wk->rid_key);
    zframe_destroy(&wk->rid);
    s_strs_clear(&wk->tags);
    zhash_destroy(&wk->stale);
    free(wk->key);
    free(wk);
}

static void
s_sub_free(s_sub_t *s)
{
    zframe_destroy(&s->rid);
    free(s->prefix);
    free(s->key);
    free(s);
}

static void
s_frame_free(void *item)
{
    zframe_t *f = item;
    zframe_destroy(&f);
}

static char *
s_key(const char *id, uint32_t attempt)
{
    char *k = malloc(strlen(id) + 16);
    sprintf(k, "%s:%u", id, attempt);
    return k;
}

// Send [frames of msg] to rid; msg is consumed either way.
static void
s_send_to(s_broker_t *self, const zframe_t *rid, zmsg_t **msg_p)
{
    zmsg_t *msg = *msg_p;
    *msg_p = NULL;
    if (!msg || !rid)
        return;
    zmsg_pushmem(msg, zframe_data((zframe_t *) rid), zframe_size((zframe_t *) rid));
    if (zmsg_send(&msg, self->router) != 0) {
        self->dropped++;           // peer gone, or a slow client over its HWM
        zmsg_destroy(&msg);
    }
}

static void
s_send_msg(s_broker_t *self, const zframe_t *rid, const pk_msg_t *m)
{
    zmsg_t *z = pk_msg_to_zmsg(m);
    s_send_to(self, rid, &z);
}

// The role that asked for a piece of work.
static const char *
s_owner_role(const char *id)
{
    return !strncmp(id, "check:", 6) ? "checker" : "scheduler";
}

static void
s_to_role(s_broker_t *self, const char *role, zmsg_t **msg_p)
{
    zframe_t *rid = zhash_lookup(self->roles, role);
    if (!rid || !*msg_p) {
        self->dropped++;
        zmsg_destroy(msg_p);
        return;
    }
    // an actor's queue that is full for now (a burst) is waited for, a
    // moment: a log chunk dropped here would stall its build's log
    zsock_set_sndtimeo(self->router, S_ROLE_WAIT_MS);
    s_send_to(self, rid, msg_p);
    zsock_set_sndtimeo(self->router, 0);
}

// A request held until control says HELLO for the first time (config
// hold_ms): the embedded broker listens before the server's actors start.
typedef struct {
    zmsg_t *msg;              // ready for control: the client's id appended
    zframe_t *rid;
    uint64_t rid_no;
} s_held_t;

#define S_HELD_MAX 1000

static void s_reply(s_broker_t *self, zframe_t *rid, uint64_t rid_no, bool ok,
                    const char *error, msgpack_sbuffer *body);

// Control is here (send them on) or the hold is over (refuse them).
static void
s_release_held(s_broker_t *self)
{
    self->hold_until = 0;
    s_held_t *h;
    while (self->held && (h = zlist_pop(self->held))) {
        if (zhash_lookup(self->roles, "control"))
            s_to_role(self, "control", &h->msg);
        else
            s_reply(self, h->rid, h->rid_no, false, "the server's control actor is not running",
                    NULL);
        zmsg_destroy(&h->msg);
        zframe_destroy(&h->rid);
        free(h);
    }
}

// Tell whoever sent the work that it will not complete.
static void
s_fail_work(s_broker_t *self, s_work_t *w, const char *status, const char *reason)
{
    pk_msg_t m;
    if (!strcmp(w->kind, "check")) {
        m = (pk_msg_t) { .type = PK_MSG_VERSIONS };
        m.versions.id = w->id;
        m.versions.attempt = w->attempt;
        m.versions.resource = "";
        m.versions.error = (char *) reason;
    }
    else {
        m = (pk_msg_t) { .type = PK_MSG_DONE };
        m.done.id = w->id;
        m.done.attempt = w->attempt;
        m.done.status = (char *) status;
        m.done.reason = (char *) reason;
    }
    zmsg_t *z = pk_msg_to_zmsg(&m);
    s_to_role(self, s_owner_role(w->id), &z);
}

static void
s_publish(s_broker_t *self, const char *topic, pk_msg_t *event);

static const char *
s_state(const s_worker_t *wk)
{
    return wk->lost ? "lost" : wk->unreachable ? "unreachable" : "healthy";
}

static void
s_worker_event(s_broker_t *self, s_worker_t *wk, const char *what)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "name", 4);
    msgpack_pack_str_with_body(&pk, wk->name, strlen(wk->name));
    msgpack_pack_str_with_body(&pk, "state", 5);
    const char *state = s_state(wk);
    msgpack_pack_str_with_body(&pk, state, strlen(state));
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_uint32(&pk, wk->slots);
    msgpack_pack_str_with_body(&pk, "busy", 4);
    msgpack_pack_uint32(&pk, wk->busy);
    pk_msg_t ev = { .type = PK_MSG_EVENT };
    char topic[256];
    snprintf(topic, sizeof topic, "worker.%s", what);
    ev.event.topic = topic;
    ev.event.body.data = (uint8_t *) sb.data;
    ev.event.body.size = sb.size;
    s_publish(self, topic, &ev);
    msgpack_sbuffer_destroy(&sb);
}

// --- dispatch

// A worker that missed a beat gets no new work: what is sent to a worker
// that is already cut off would wait out its grace for nothing.
static bool
s_eligible(const s_broker_t *self, const s_worker_t *wk, const s_work_t *w, int64_t now)
{
    if (wk->lost || wk->unreachable || wk->busy >= wk->slots)
        return false;
    if (now - wk->last_seen > S_SUSPECT_MS(self))
        return false;
    if (wk->exclusive && w->tags.count == 0)
        return false;
    if (wk->team && *wk->team && strcmp(wk->team, w->team))
        return false;
    for (size_t i = 0; i < w->tags.count; i++) {
        bool has = false;
        for (size_t j = 0; j < wk->tags.count && !has; j++)
            has = !strcmp(w->tags.items[i], wk->tags.items[j]);
        if (!has)
            return false;
    }
    return true;
}

// Fair choice: the least loaded eligible worker, then the one given least work.
static s_worker_t *
s_pick(s_broker_t *self, const s_work_t *w)
{
    s_worker_t *best = NULL;
    int64_t now = zclock_mono();
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers)) {
        if (!s_eligible(self, wk, w, now))
            continue;
        if (!best) {
            best = wk;
            continue;
        }
        uint64_t a = (uint64_t) wk->busy * best->slots, b = (uint64_t) best->busy * wk->slots;
        if (a < b || (a == b && wk->assigned_total < best->assigned_total))
            best = wk;
    }
    return best;
}

static void
s_dispatch(s_broker_t *self)
{
    s_work_t *w = zlist_first(self->pending);
    while (w) {
        s_work_t *next = zlist_next(self->pending);
        s_worker_t *wk = s_pick(self, w);
        if (wk) {
            zlist_remove(self->pending, w);
            w->worker = wk;
            wk->busy++;
            wk->assigned_total++;
            w->orphan_at = 0;
            zmsg_t *z = zmsg_dup(w->msg);    // the original stays until STARTED
            s_send_to(self, wk->rid, &z);
            zhash_insert(self->assigned, w->key, w);
        }
        w = next;
    }
}

// --- handlers

static s_work_t *
s_pending_find(s_broker_t *self, const char *key)
{
    for (s_work_t *p = zlist_first(self->pending); p; p = zlist_next(self->pending))
        if (!strcmp(p->key, key))
            return p;
    return NULL;
}

static void
s_on_work(s_broker_t *self, pk_msg_t *m, zmsg_t **raw)
{
    char *key = s_key(m->work.id, m->work.attempt);
    if (zhash_lookup(self->assigned, key)) {
        free(key);                        // a duplicate: that attempt is already out
        zmsg_destroy(raw);
        return;
    }
    for (s_work_t *p = zlist_first(self->pending); p; p = zlist_next(self->pending))
        if (!strcmp(p->key, key)) {
            free(key);
            zmsg_destroy(raw);
            return;
        }
    s_work_t *w = calloc(1, sizeof(*w));
    w->key = key;
    w->id = strdup(m->work.id);
    w->attempt = m->work.attempt;
    w->kind = strdup(m->work.kind);
    w->team = strdup(m->work.team && *m->work.team ? m->work.team : "main");
    s_strs_copy(&w->tags, &m->work.tags);
    w->msg = *raw;
    *raw = NULL;
    w->queued_at = zclock_mono();
    zlist_append(self->pending, w);
    s_dispatch(self);
}

static void
s_release(s_broker_t *self, const char *id, uint32_t attempt, const char *worker_name)
{
    char *key = s_key(id, attempt);
    s_work_t *w = zhash_lookup(self->assigned, key);
    // only the worker holding this attempt frees it: a late report from a
    // worker that was declared lost must not free someone else's slot
    if (w && w->worker && !strcmp(w->worker->name, worker_name)) {
        zhash_delete(self->assigned, key);
        if (!w->orphan_at && w->worker->busy)
            w->worker->busy--;
        s_work_destroy(&w);
    }
    free(key);
}

static void
s_on_cancel(s_broker_t *self, pk_msg_t *m, zmsg_t **raw)
{
    char *key = s_key(m->cancel.id, m->cancel.attempt);
    s_work_t *w = zhash_lookup(self->assigned, key);
    if (w)
        s_send_to(self, w->worker->rid, raw);
    else {
        // still queued: it never ran
        for (s_work_t *p = zlist_first(self->pending); p; p = zlist_next(self->pending))
            if (!strcmp(p->key, key)) {
                zlist_remove(self->pending, p);
                s_fail_work(self, p, "cancelled", m->cancel.reason ? m->cancel.reason : "cancelled");
                s_work_destroy(&p);
                break;
            }
        zmsg_destroy(raw);
    }
    free(key);
}

static void
s_on_credit(s_broker_t *self, pk_msg_t *m, zmsg_t **raw)
{
    char *key = s_key(m->credit.id, m->credit.attempt);
    s_work_t *w = zhash_lookup(self->assigned, key);
    if (w)
        s_send_to(self, w->worker->rid, raw);
    else
        zmsg_destroy(raw);
    free(key);
}

// Unstarted work back to the front of the queue: it never ran, so another
// worker may take it (the one it was sent to is fenced if it shows up with it).
static void
s_requeue(s_broker_t *self, s_work_t *w)
{
    zhash_delete(self->assigned, w->key);
    w->worker = NULL;
    w->orphan_at = 0;
    w->queued_at = zclock_mono();
    zlist_push(self->pending, w);
}

// wk holds work that is now someone else's (or was handed on): it must stop
// it, and whatever it says about it is dropped (its DONE "cancelled" is not
// the build's end).
static void
s_fence(s_broker_t *self, s_worker_t *wk, const char *key)
{
    const char *colon = strrchr(key, ':');
    if (!colon)
        return;
    if (!wk->stale)
        wk->stale = zhash_new();
    if (!zhash_lookup(wk->stale, key)) {
        zhash_insert(wk->stale, key, "");
        self->stale_total++;
    }
    char *id = strndup(key, (size_t) (colon - key));
    pk_msg_t c = { .type = PK_MSG_CANCEL };
    c.cancel.id = id;
    c.cancel.attempt = (uint32_t) atol(colon + 1);
    c.cancel.reason = "this work was handed to another worker while this one was away";
    s_send_msg(self, wk->rid, &c);
    free(id);
}

static void
s_unfence(s_broker_t *self, s_worker_t *wk, const char *key)
{
    if (wk->stale && zhash_lookup(wk->stale, key)) {
        zhash_delete(wk->stale, key);
        self->stale_total--;
    }
}
// --- trust (see the top)

enum { S_CLIENT = 1, S_WORKER = 2, S_SERVER = 4, S_ANY = 7 };

// Who may send each message; READY, HELLO and HEARTBEAT are let in by
// anyone and judged by their handlers.
static const int s_senders[PK_MSG_COUNT] = {
    [PK_MSG_READY] = S_ANY, [PK_MSG_HEARTBEAT] = S_ANY, [PK_MSG_HELLO] = S_ANY,
    [PK_MSG_REQUEST] = S_ANY,
    [PK_MSG_STARTED] = S_WORKER | S_SERVER, [PK_MSG_STEP] = S_WORKER | S_SERVER,
    [PK_MSG_LOG] = S_WORKER | S_SERVER, [PK_MSG_DONE] = S_WORKER | S_SERVER,
    [PK_MSG_VERSIONS] = S_WORKER | S_SERVER, [PK_MSG_DISCONNECT] = S_WORKER | S_SERVER,
    [PK_MSG_WORK] = S_SERVER, [PK_MSG_CANCEL] = S_SERVER, [PK_MSG_CREDIT] = S_SERVER,
    [PK_MSG_EVENT] = S_SERVER, [PK_MSG_REPLY] = S_SERVER, [PK_MSG_SIGNAL] = S_SERVER,
};

static void
s_rid_key(const zframe_t *rid, char *out, size_t size)
{
    const uint8_t *d = zframe_data((zframe_t *) rid);
    size_t n = zframe_size((zframe_t *) rid), i;
    for (i = 0; i < n && 2 * i + 2 < size; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
    out[2 * i] = 0;
}

// A frame that came over a connection carries its metadata (libzmq sets
// Socket-Type in the ZMTP handshake); an inproc pipe has none.
static bool
s_is_network(const zframe_t *frame)
{
    return zframe_meta((zframe_t *) frame, "Socket-Type") != NULL;
}

static int
s_peer_class(s_broker_t *self, const zframe_t *rid, const zframe_t *cmd)
{
    if (self->trust_network || !s_is_network(cmd))
        return S_SERVER;
    char key[520];
    s_rid_key(rid, key, sizeof key);
    if (zhash_lookup(self->servers, key))
        return S_SERVER;
    if (zhash_lookup(self->worker_rids, key))
        return S_WORKER;
    return S_CLIENT;
}

// Count a refusal; log it the first time this peer is refused this way.
static void
s_refuse(s_broker_t *self, const zframe_t *rid, const zframe_t *cmd, const char *what,
         const char *why)
{
    self->refused++;
    char key[1100];
    s_rid_key(rid, key, 520);
    size_t n = strlen(key);
    snprintf(key + n, sizeof key - n, "|%s", what);
    if (zhash_size(self->logged) > 10000) {
        zhash_destroy(&self->logged);
        self->logged = zhash_new();
    }
    if (zhash_lookup(self->logged, key))
        return;
    zhash_insert(self->logged, key, (void *) 1);
    const char *addr = zframe_meta((zframe_t *) cmd, "Peer-Address");
    zsys_warning("broker: refused %s from %s: %s (counted in broker.stats \"refused\")", what,
                 addr ? addr : "a network peer", why);
}

static void s_check_awaiting(s_broker_t *self);
static void s_reannounce(s_broker_t *self, const char *role);

static void
s_on_hello(s_broker_t *self, zframe_t *rid, zframe_t *cmd, pk_msg_t *m)
{
    const char *role = m->hello.role;
    if (!strcmp(role, "client"))
        return;                 // nothing to remember: clients are anyone
    if (!self->trust_network && s_is_network(cmd)) {
        char key[520];
        s_rid_key(rid, key, sizeof key);
        bool ok = self->server_token && m->hello.token
               && pk_token_equal(self->server_token, m->hello.token);
        if (!ok) {
            char what[300];
            snprintf(what, sizeof what, "HELLO{role %.100s}", role);
            s_refuse(self, rid, cmd, what,
                     self->server_token ? "a server role needs the server token"
                                        : "server roles belong to the server's own process");
            return;
        }
        zhash_update(self->servers, key, strdup(role));
        zhash_freefn(self->servers, key, free);
    }
    zframe_t *was = zhash_lookup(self->roles, role);
    bool renewed = !was || !zframe_eq(was, rid);
    zhash_update(self->roles, role, zframe_dup(rid));
    zhash_freefn(self->roles, role, s_frame_free);
    if (renewed && (!strcmp(role, "scheduler") || !strcmp(role, "logsink")))
        s_reannounce(self, role);
    if (!strcmp(role, "control"))
        s_release_held(self);
    s_check_awaiting(self);
}

// The team a READY's sender may work for ("" every team; caller frees), or
// NULL when it is refused (then it was told why).
static char *
s_ready_team(s_broker_t *self, zframe_t *rid, zframe_t *cmd, pk_msg_t *m)
{
    if (self->trust_network || !s_is_network(cmd))
        return strdup("");      // the server's own runner
    const char *team = NULL, *why = "this broker takes no workers from the network";
    if (self->worker_tokens
        && pk_worker_tokens_check(self->worker_tokens, m->ready.token, &team, &why) == 0) {
        s_worker_t *wk = zhash_lookup(self->workers, m->ready.name);
        if (!wk || wk->lost || !strcmp(wk->team ? wk->team : "", team))
            return strdup(team);
        why = "a worker of another team has that name";
    }
    char what[400], reason[400];
    snprintf(what, sizeof what, "READY from worker %.100s", m->ready.name);
    s_refuse(self, rid, cmd, what, why);
    snprintf(reason, sizeof reason, "refused: %s", why);
    pk_msg_t d = { .type = PK_MSG_DISCONNECT };
    d.disconnect.name = m->ready.name;
    d.disconnect.reason = reason;
    s_send_msg(self, rid, &d);
    return NULL;
}

static void
s_on_ready(s_broker_t *self, zframe_t *rid, zframe_t *cmd, pk_msg_t *m)
{
    char *team = s_ready_team(self, rid, cmd, m);
    if (!team)
        return;
    s_worker_t *wk = zhash_lookup(self->workers, m->ready.name);
    if (!wk) {
        wk = calloc(1, sizeof(*wk));
        wk->name = strdup(m->ready.name);
        zhash_insert(self->workers, wk->name, wk);
        zhash_freefn(self->workers, wk->name, s_worker_free);
    }
    free(wk->team);
    wk->team = team;
    if (wk->rid_key)
        zhash_delete(self->worker_rids, wk->rid_key);
    char key[520];
    s_rid_key(rid, key, sizeof key);
    free(wk->rid_key);
    wk->rid_key = strdup(key);
    zhash_update(self->worker_rids, key, wk->name);
    zframe_destroy(&wk->rid);
    wk->rid = zframe_dup(rid);
    s_strs_copy(&wk->tags, &m->ready.tags);
    wk->slots = m->ready.slots ? m->ready.slots : 1;
    wk->exclusive = m->ready.exclusive;
    bool was_lost = wk->lost;
    int64_t now = zclock_mono();
    if (wk->unreachable && !was_lost)
        zsys_info("broker: worker %s is back after %d s; it reports %zu work items",
                  wk->name, (int) ((now - wk->silent_since) / 1000), m->ready.holding.count);
    wk->lost = wk->unreachable = false;
    wk->lost_at = 0;
    wk->last_seen = now;
    // what the worker still runs is its own again (a broker or server
    // restart, or a reconnect). What we thought it held but it does not
    // report: never started -> handed on; started -> its DONE may be on its
    // way (the resync after this READY re-sends it), errored if it is not
    wk->busy = 0;
    zlist_t *keys = zhash_keys(self->assigned);
    for (char *k = zlist_first(keys); k; k = zlist_next(keys)) {
        s_work_t *w = zhash_lookup(self->assigned, k);
        if (w->worker != wk)
            continue;
        bool held = false;
        for (size_t i = 0; i < m->ready.holding.count && !held; i++)
            held = !strcmp(m->ready.holding.items[i], k);
        if (held)
            w->orphan_at = 0;
        else
        if (!w->started && w->msg)
            s_requeue(self, w);
        else
        if (!w->orphan_at)
            w->orphan_at = now;
    }
    zlist_destroy(&keys);
    for (size_t i = 0; i < m->ready.holding.count; i++) {
        const char *k = m->ready.holding.items[i];
        const char *colon = strrchr(k, ':');
        s_work_t *w = zhash_lookup(self->assigned, k);
        if (w && w->worker != wk) {
            s_fence(self, wk, k);           // handed on while it was away
            continue;
        }
        if (!w && (w = s_pending_find(self, k))) {
            // handed back to the queue but not taken yet: it never left
            zlist_remove(self->pending, w);
            w->worker = wk;
            w->started = true;
            zmsg_destroy(&w->msg);
            zhash_insert(self->assigned, w->key, w);
        }
        if (!w && colon) {
            w = calloc(1, sizeof(*w));
            w->key = strdup(k);
            w->id = strndup(k, (size_t) (colon - k));
            w->attempt = (uint32_t) atol(colon + 1);
            w->kind = strdup(!strncmp(k, "check:", 6) ? "check" : "build");
            w->team = strdup(wk->team && *wk->team ? wk->team : "main");
            w->worker = wk;
            w->started = true;
            zhash_insert(self->assigned, w->key, w);
            if (was_lost) {
                // reported errored when we lost the worker: stop it (its
                // DONE frees the slot; the scheduler fences its reports)
                pk_msg_t c = { .type = PK_MSG_CANCEL };
                c.cancel.id = w->id;
                c.cancel.attempt = w->attempt;
                c.cancel.reason = "the worker was declared lost; its work was given up";
                s_send_msg(self, wk->rid, &c);
            }
        }
        if (w) {
            w->orphan_at = 0;
            wk->busy++;
        }
    }
    s_worker_event(self, wk, "ready");
    s_dispatch(self);
}

// A new instance of role connected: every worker announces itself again.
static void
s_reannounce(s_broker_t *self, const char *role)
{
    char reason[96];
    snprintf(reason, sizeof reason, "a new %s: send READY", role);
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers)) {
        if (wk->lost)
            continue;
        pk_msg_t d = { .type = PK_MSG_DISCONNECT };
        d.disconnect.name = wk->name;
        d.disconnect.reason = reason;
        s_send_msg(self, wk->rid, &d);
    }
}

// Ask a worker to announce itself (READY with what it holds, then a resync
// of what it may have sent into the void) -- once a second at most, since
// the heartbeats it queued while we were away arrive together and each
// READY makes it re-send its unconfirmed log.
static void
s_ask_ready(s_broker_t *self, zframe_t *rid, const char *name, const char *reason)
{
    int64_t now = zclock_mono();
    if (!self->asked || zhash_size(self->asked) > 10000) {
        zhash_destroy(&self->asked);
        self->asked = zhash_new();
    }
    int64_t *at = zhash_lookup(self->asked, name);
    if (at && now - *at < 1000)
        return;
    if (!at) {
        at = malloc(sizeof *at);
        zhash_insert(self->asked, name, at);
        zhash_freefn(self->asked, name, free);
    }
    *at = now;
    pk_msg_t d = { .type = PK_MSG_DISCONNECT };
    d.disconnect.name = (char *) name;
    d.disconnect.reason = (char *) reason;
    s_send_msg(self, rid, &d);
}

static void
s_on_heartbeat(s_broker_t *self, zframe_t *rid, pk_msg_t *m)
{
    s_worker_t *wk = zhash_lookup(self->workers, m->heartbeat.name);
    // a beat in a known worker's name from another connection is a stranger's
    if (!wk || wk->lost || !zframe_eq(wk->rid, rid)) {
        // we do not know it (we restarted) or declared it lost
        s_ask_ready(self, rid, m->heartbeat.name, "unknown worker: send READY");
        return;
    }
    wk->last_seen = zclock_mono();
    if (wk->unreachable) {
        // heard again within its grace: its READY takes its work back
        s_ask_ready(self, rid, m->heartbeat.name, "you were unreachable: send READY");
        return;
    }
    if (zlist_size(self->pending))
        s_dispatch(self);       // it may have been passed over while it was late
}

static void
s_publish(s_broker_t *self, const char *topic, pk_msg_t *event)
{
    event->event.seq = ++self->event_seq;
    self->events++;
    s_sub_t *s = zlist_first(self->subs);
    while (s) {
        s_sub_t *next = zlist_next(self->subs);
        if (!strncmp(topic, s->prefix, strlen(s->prefix))) {
            zmsg_t *z = pk_msg_to_zmsg(event);
            zmsg_pushmem(z, zframe_data(s->rid), zframe_size(s->rid));
            if (zmsg_send(&z, self->router) != 0) {
                zmsg_destroy(&z);
                if (zmq_errno() == EHOSTUNREACH) {     // the client went away
                    zlist_remove(self->subs, s);
                    s_sub_free(s);
                }
                else
                    self->dropped++;    // a slow subscriber: monitors may miss events
            }
        }
        s = next;
    }
}

static void
s_reply(s_broker_t *self, zframe_t *rid, uint64_t rid_no, bool ok, const char *error,
        msgpack_sbuffer *body)
{
    pk_msg_t r = { .type = PK_MSG_REPLY };
    r.reply.rid = rid_no;
    r.reply.ok = ok;
    r.reply.error = (char *) error;
    if (body) {
        r.reply.body.data = (uint8_t *) body->data;
        r.reply.body.size = body->size;
    }
    s_send_msg(self, rid, &r);
}

static void
s_pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
s_workers_body(s_broker_t *self, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, zhash_size(self->workers));
    int64_t now = zclock_mono();
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers)) {
        msgpack_pack_map(&pk, 8);
        s_pack_str(&pk, "name");
        s_pack_str(&pk, wk->name);
        s_pack_str(&pk, "tags");
        msgpack_pack_array(&pk, wk->tags.count);
        for (size_t i = 0; i < wk->tags.count; i++)
            s_pack_str(&pk, wk->tags.items[i]);
        s_pack_str(&pk, "slots");
        msgpack_pack_uint32(&pk, wk->slots);
        s_pack_str(&pk, "busy");
        msgpack_pack_uint32(&pk, wk->busy);
        s_pack_str(&pk, "exclusive");
        wk->exclusive ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
        s_pack_str(&pk, "heartbeat_age_ms");
        msgpack_pack_int64(&pk, now - wk->last_seen);
        s_pack_str(&pk, "state");
        s_pack_str(&pk, s_state(wk));
        s_pack_str(&pk, "team");       // "" for every team
        s_pack_str(&pk, wk->team ? wk->team : "");
    }
}

// The STATS figures as a map, for /metrics: {workers, pending, dropped,
// events, rejected}.
static void
s_stats_body(s_broker_t *self, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    s_pack_str(&pk, "workers");
    msgpack_pack_uint64(&pk, zhash_size(self->workers));
    s_pack_str(&pk, "pending");
    msgpack_pack_uint64(&pk, zlist_size(self->pending));
    s_pack_str(&pk, "dropped");
    msgpack_pack_uint64(&pk, self->dropped);
    s_pack_str(&pk, "events");
    msgpack_pack_uint64(&pk, self->events);
    s_pack_str(&pk, "rejected");
    msgpack_pack_uint64(&pk, pk_curve_auth_rejected(self->auth));
    s_pack_str(&pk, "refused");
    msgpack_pack_uint64(&pk, self->refused);
}

static void
s_pending_body(s_broker_t *self, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, zlist_size(self->pending));
    int64_t now = zclock_mono();
    for (s_work_t *w = zlist_first(self->pending); w; w = zlist_next(self->pending)) {
        msgpack_pack_map(&pk, 4);
        s_pack_str(&pk, "id");
        s_pack_str(&pk, w->id);
        s_pack_str(&pk, "attempt");
        msgpack_pack_uint32(&pk, w->attempt);
        s_pack_str(&pk, "tags");
        msgpack_pack_array(&pk, w->tags.count);
        for (size_t i = 0; i < w->tags.count; i++)
            s_pack_str(&pk, w->tags.items[i]);
        s_pack_str(&pk, "waiting_ms");
        msgpack_pack_int64(&pk, now - w->queued_at);
    }
}

static size_t s_prune(s_broker_t *self, int64_t now, int64_t older_ms);

// The ops the broker answers itself. From the server's own peers they are
// answered at once; a network client's go to control first, which
// authorises them by the token and SIGNALs "authorised" back (s_on_authorised).
static bool
s_broker_op(const char *op)
{
    return !strcmp(op, "subscribe") || !strcmp(op, "broker.workers")
        || !strcmp(op, "broker.pending") || !strcmp(op, "broker.stats")
        || !strcmp(op, "broker.workers.prune");
}

static void s_broker_answer(s_broker_t *self, zframe_t *rid, pk_msg_t *m, zmsg_t **raw);

static void
s_on_request(s_broker_t *self, zframe_t *rid, pk_msg_t *m, zmsg_t **raw, bool direct)
{
    if (direct && s_broker_op(m->request.op)) {
        s_broker_answer(self, rid, m, raw);
        return;
    }
    // everything else is control's; it answers with the client's id appended
    bool hold = !zhash_lookup(self->roles, "control") && self->hold_until
             && zclock_mono() < self->hold_until && zlist_size(self->held) < S_HELD_MAX;
    if (!zhash_lookup(self->roles, "control") && !hold) {
        s_reply(self, rid, m->request.rid, false, "the server's control actor is not running", NULL);
        zmsg_destroy(raw);
        return;
    }
    if (self->cur_key && s_broker_op(m->request.op)) {
        char key[520];                  // the subscriber's CURVE key, for when control says yes
        s_rid_key(rid, key, sizeof key);
        if (zhash_size(self->client_keys) > 10000) {
            zhash_destroy(&self->client_keys);  // control answers in moments: these are stale
            self->client_keys = zhash_new();
        }
        zhash_update(self->client_keys, key, strdup(self->cur_key));
        zhash_freefn(self->client_keys, key, free);
    }
    zframe_t *client = zframe_dup(rid);
    zmsg_append(*raw, &client);
    s_held_t *h = hold ? calloc(1, sizeof(*h)) : NULL;
    if (h) {
        h->msg = *raw;
        *raw = NULL;
        h->rid = zframe_dup(rid);
        h->rid_no = m->request.rid;
        zlist_append(self->held, h);
        return;
    }
    s_to_role(self, "control", raw);
}

// control's SIGNAL{to "broker", what "authorised", args {op, rid, client
// (hex id), the request's args}}: do what the client asked, answer it.
// Only control's own link may send it (a SIGNAL needs a server peer too).
static void
s_on_authorised(s_broker_t *self, zframe_t *from, pk_msg_signal_t *s)
{
    zframe_t *control = zhash_lookup(self->roles, "control");
    const char *op = pk_kv_get(&s->args, "op");
    const char *hex = pk_kv_get(&s->args, "client");
    const char *rid = pk_kv_get(&s->args, "rid");
    size_t n = hex ? strlen(hex) : 0;
    if (!control || !zframe_eq(control, from) || strcmp(s->what, "authorised") || !op
        || !s_broker_op(op) || !rid || !n || n % 2 || n > 512) {
        self->dropped++;
        return;
    }
    uint8_t id[256];
    for (size_t i = 0; i < n / 2; i++) {
        unsigned b;
        if (sscanf(hex + 2 * i, "%2x", &b) != 1) {
            self->dropped++;
            return;
        }
        id[i] = (uint8_t) b;
    }
    zframe_t *client = zframe_new(id, n / 2);
    pk_msg_t m = { .type = PK_MSG_REQUEST };
    m.request.op = (char *) op;
    m.request.rid = strtoull(rid, NULL, 10);
    m.request.args = s->args;
    const char *was = self->cur_key;
    self->cur_key = zhash_lookup(self->client_keys, hex);
    zmsg_t *none = NULL;
    s_broker_answer(self, client, &m, &none);
    self->cur_key = was;
    zhash_delete(self->client_keys, hex);
    zframe_destroy(&client);
}

static void
s_broker_answer(s_broker_t *self, zframe_t *rid, pk_msg_t *m, zmsg_t **raw)
{
    const char *op = m->request.op;
    if (!strcmp(op, "subscribe")) {
        const char *prefix = pk_kv_get(&m->request.args, "prefix");
        size_t mine = 0;
        bool again = false;
        for (s_sub_t *o = zlist_first(self->subs); o && !again; o = zlist_next(self->subs))
            if (zframe_eq(o->rid, rid)) {
                mine++;
                again = !strcmp(o->prefix, prefix ? prefix : "");
            }
        if (!again && mine >= S_SUBS_PER_PEER) {
            char why[96];
            snprintf(why, sizeof why, "too many subscriptions on this connection (at most %d)",
                     S_SUBS_PER_PEER);
            self->dropped++;
            s_reply(self, rid, m->request.rid, false, why, NULL);
            zmsg_destroy(raw);
            return;
        }
        s_sub_t *s = again ? NULL : calloc(1, sizeof(*s));
        if (s) {                        // the same prefix twice is one subscription
            s->rid = zframe_dup(rid);
            s->prefix = strdup(prefix ? prefix : "");
            s->key = self->cur_key ? strdup(self->cur_key) : NULL;
            zlist_append(self->subs, s);
        }
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        s_pack_str(&pk, "seq");
        msgpack_pack_uint64(&pk, self->event_seq);      // events after this one follow
        s_reply(self, rid, m->request.rid, true, NULL, &sb);
        msgpack_sbuffer_destroy(&sb);
        zmsg_destroy(raw);
        return;
    }
    if (!strcmp(op, "broker.workers.prune")) {
        size_t n = s_prune(self, zclock_mono(), 0);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, 1);
        s_pack_str(&pk, "pruned");
        msgpack_pack_uint64(&pk, n);
        s_reply(self, rid, m->request.rid, true, NULL, &sb);
        msgpack_sbuffer_destroy(&sb);
        zmsg_destroy(raw);
        return;
    }
    if (!strcmp(op, "broker.workers") || !strcmp(op, "broker.pending")
        || !strcmp(op, "broker.stats")) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        if (!strcmp(op, "broker.workers"))
            s_workers_body(self, &sb);
        else
        if (!strcmp(op, "broker.pending"))
            s_pending_body(self, &sb);
        else
            s_stats_body(self, &sb);
        s_reply(self, rid, m->request.rid, true, NULL, &sb);
        msgpack_sbuffer_destroy(&sb);
        zmsg_destroy(raw);
        return;
    }
}

static void s_check_awaiting(s_broker_t *self);

static s_worker_t *
s_worker_by_rid(s_broker_t *self, zframe_t *rid)
{
    for (s_worker_t *w = zhash_first(self->workers); w; w = zhash_next(self->workers))
        if (w->rid && zframe_eq(w->rid, rid))
            return w;
    return NULL;
}

// A report about work its sender no longer has a say in -- work it was
// told to give up, or that is another worker's or back in the queue since
// it was lost -- is dropped: the same (id, attempt) runs or will run
// elsewhere, so the scheduler's fencing cannot tell the two apart. A
// worker's final word (DONE, VERSIONS) on a fenced key lifts the fence.
static bool
s_fenced(s_broker_t *self, zframe_t *rid, const char *id, uint32_t attempt, bool final)
{
    char *key = s_key(id, attempt);
    s_worker_t *wk = s_worker_by_rid(self, rid);
    bool fenced = false;
    if (wk && wk->stale && zhash_lookup(wk->stale, key)) {
        fenced = true;
        if (final)
            s_unfence(self, wk, key);
    }
    else {
        s_work_t *w = zhash_lookup(self->assigned, key);
        if (w)
            fenced = wk && w->worker != wk;
        else
        if (self->handed_at && zclock_mono() - self->handed_at < 600000)
            fenced = s_pending_find(self, key) != NULL;
    }
    free(key);
    return fenced;
}

// LOG is forwarded undecoded; only while some work was handed on lately is
// it decoded to be fenced like the other reports.
static bool
s_log_fenced(s_broker_t *self, zframe_t *rid, zmsg_t *raw)
{
    if (!self->stale_total && !(self->handed_at && zclock_mono() - self->handed_at < 600000))
        return false;
    pk_msg_t m;
    zmsg_t *copy = zmsg_dup(raw);
    bool fenced = false;
    if (pk_msg_from_zmsg(copy, &m, NULL, 0) == 0) {
        fenced = m.type == PK_MSG_LOG && s_fenced(self, rid, m.log.id, m.log.attempt, false);
        pk_msg_clear(&m);
    }
    zmsg_destroy(&copy);
    return fenced;
}

// REPLY from control: [REPLY][body][client id]
static void
s_on_reply(s_broker_t *self, zmsg_t **raw)
{
    zframe_t *client = zmsg_last(*raw);
    if (zmsg_size(*raw) < 3 || !client) {
        self->dropped++;
        zmsg_destroy(raw);
        return;
    }
    zframe_t *rid = zframe_dup(client);
    zmsg_remove(*raw, client);
    zframe_destroy(&client);
    s_send_to(self, rid, raw);
    zframe_destroy(&rid);
}

// An answer of control's too big for one message would be refused by every
// decoder after it (the client would wait out its timeout): the client gets
// an error naming the size instead, and the refusal is counted and logged.
static bool
s_reply_oversized(s_broker_t *self, zmsg_t *raw, zframe_t *body)
{
    size_t size = zframe_size(body);
    zframe_t *client = zmsg_last(raw);
    if (size <= PK_MSG_MAX_FRAME || zmsg_size(raw) != 3 || !client)
        return false;
    // REPLY{rid, ok, error?, body?}: only rid is needed to answer
    uint64_t rid = 0;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    if (msgpack_unpack_next(&up, (const char *) zframe_data(body), size, &off)
            == MSGPACK_UNPACK_SUCCESS && up.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < up.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &up.data.via.map.ptr[i];
            if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == 3
                && !memcmp(kv->key.via.str.ptr, "rid", 3)
                && kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                rid = kv->val.via.u64;
        }
    msgpack_unpacked_destroy(&up);
    self->dropped++;
    self->oversized++;
    char why[256];
    snprintf(why, sizeof why, "the answer is %zu bytes, over the %u byte limit of one "
             "message: ask for less (a smaller --limit, or a page with --before/--after)",
             size, PK_MSG_MAX_FRAME);
    zsys_warning("broker: refused an answer of %zu bytes (over %u; %" PRIu64 " so far)", size,
                 PK_MSG_MAX_FRAME, self->oversized);
    s_reply(self, client, rid, false, why, NULL);
    return true;
}

static bool s_key_revoked(s_broker_t *self, const char *key);

// One connection registering many worker names (a flood of fake READYs
// grew the registry by 177 MB per 100,000): refused beyond a few.
static bool
s_names_over(s_broker_t *self, zframe_t *rid, const char *name)
{
    if (zhash_lookup(self->workers, name))
        return false;
    size_t mine = 0;
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers))
        mine += wk->rid && !wk->lost && zframe_eq(wk->rid, rid);
    if (mine < S_NAMES_PER_PEER)
        return false;
    if (self->refused_names++ % 1000 == 0)
        zsys_warning("broker: a connection registered more than %d worker names; more are "
                     "refused (%llu so far)", S_NAMES_PER_PEER,
                     (unsigned long long) self->refused_names);
    return true;
}

static void
s_route(s_broker_t *self, zmsg_t *raw)
{
    zframe_t *rid = zmsg_pop(raw);
    zframe_t *cmd = zmsg_first(raw);
    zframe_t *body = zmsg_next(raw);
    int type = cmd ? pk_msg_type_from_command((const char *) zframe_data(cmd), zframe_size(cmd)) : -1;
    if (!rid || type < 0 || !body || zmsg_size(raw) > 3) {
        self->dropped++;
        goto done;
    }
    self->cur_key = self->auth ? zframe_meta(cmd, "User-Id") : NULL;
    if (self->cur_key && !*self->cur_key)
        self->cur_key = NULL;                   // a plain (inproc) peer
    if (self->cur_key && s_key_revoked(self, self->cur_key)) {
        self->dropped++;                        // revoked: as if it were not there
        goto done;
    }
    if (!(s_senders[type] & s_peer_class(self, rid, cmd))) {
        char what[64];
        snprintf(what, sizeof what, "%s", pk_msg_command((pk_msg_type_t) type));
        s_refuse(self, rid, cmd, what, "not a message this peer may send");
        goto done;
    }
    if (type == PK_MSG_LOG) {
        // the hot path: validated by the log sink, forwarded as is
        if (pk_msgpack_check(zframe_data(body), zframe_size(body), NULL, 0) != 0
            || s_log_fenced(self, rid, raw))
            self->dropped++;
        else
            s_to_role(self, "logsink", &raw);
        goto done;
    }
    if (type == PK_MSG_REPLY && s_reply_oversized(self, raw, body))
        goto done;
    pk_msg_t m;
    zmsg_t *copy = zmsg_dup(raw);
    if (pk_msg_from_zmsg(copy, &m, NULL, 0) != 0) {
        zmsg_destroy(&copy);
        self->dropped++;
        goto done;
    }
    zmsg_destroy(&copy);
    switch (m.type) {
    case PK_MSG_HELLO:
        s_on_hello(self, rid, cmd, &m);
        break;
    case PK_MSG_READY: {
        if (s_names_over(self, rid, m.ready.name)) {
            self->dropped++;
            break;
        }
        s_on_ready(self, rid, cmd, &m);
        s_worker_t *wk = zhash_lookup(self->workers, m.ready.name);
        if (wk && wk->rid && zframe_eq(wk->rid, rid)) {
            free(wk->key);
            wk->key = self->cur_key ? strdup(self->cur_key) : NULL;
        }
        break;
    }
    case PK_MSG_HEARTBEAT:
        s_on_heartbeat(self, rid, &m);
        break;
    case PK_MSG_WORK:
        s_on_work(self, &m, &raw);
        break;
    case PK_MSG_CANCEL:
        s_on_cancel(self, &m, &raw);
        break;
    case PK_MSG_CREDIT:
        s_on_credit(self, &m, &raw);
        break;
    case PK_MSG_STARTED:
    case PK_MSG_STEP: {
        const char *id = m.type == PK_MSG_STARTED ? m.started.id : m.step.id;
        uint32_t attempt = m.type == PK_MSG_STARTED ? m.started.attempt : m.step.attempt;
        if (s_fenced(self, rid, id, attempt, false)) {
            self->dropped++;
            break;
        }
        if (m.type == PK_MSG_STARTED) {
            // from now on it cannot be handed on: it may have done anything
            char *key = s_key(id, attempt);
            s_work_t *w = zhash_lookup(self->assigned, key);
            if (w) {
                w->started = true;
                zmsg_destroy(&w->msg);
            }
            free(key);
        }
        s_to_role(self, s_owner_role(id), &raw);
        break;
    }
    case PK_MSG_DONE:
    case PK_MSG_VERSIONS: {
        const char *id = m.type == PK_MSG_DONE ? m.done.id : m.versions.id;
        uint32_t attempt = m.type == PK_MSG_DONE ? m.done.attempt : m.versions.attempt;
        if (s_fenced(self, rid, id, attempt, true)) {
            self->dropped++;
            break;
        }
        s_worker_t *wk = s_worker_by_rid(self, rid);
        if (wk)
            s_release(self, id, attempt, wk->name);
        s_to_role(self, s_owner_role(id), &raw);
        s_dispatch(self);
        break;
    }
    case PK_MSG_REQUEST:
        s_on_request(self, rid, &m, &raw, s_peer_class(self, rid, cmd) == S_SERVER);
        break;
    case PK_MSG_REPLY:
        s_on_reply(self, &raw);
        break;
    case PK_MSG_EVENT:
        s_publish(self, m.event.topic, &m);
        break;
    case PK_MSG_SIGNAL:
        if (!strcmp(m.signal.to, "broker"))
            s_on_authorised(self, rid, &m.signal);
        else
            s_to_role(self, m.signal.to, &raw);
        break;
    default:
        self->dropped++;
        break;
    }
    pk_msg_clear(&m);
done:
    zframe_destroy(&rid);
    zmsg_destroy(&raw);
}

// What has arrived, up to S_BATCH messages a wake-up (the router's receive
// timeout is 0): one zloop turn -- a zmq_poll over every socket -- per
// message cost more than routing a build's report does.
#define S_BATCH 64

static int
s_on_router(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    s_broker_t *self = arg;
    zmsg_t *raw;
    for (int n = 0; n < S_BATCH && (raw = zmsg_recv(sock)); n++)
        s_route(self, raw);
    return 0;
}

// The grace is over: work it started is errored ("worker W lost"), work it
// never started goes back to the queue for another worker.
static void
s_lose(s_broker_t *self, s_worker_t *wk, int64_t now)
{
    wk->lost = true;
    wk->unreachable = false;
    wk->lost_at = now;
    char reason[300];
    snprintf(reason, sizeof reason, "worker %s lost", wk->name);
    size_t errored = 0, handed = 0;
    zlist_t *keys = zhash_keys(self->assigned);
    for (char *k = zlist_first(keys); k; k = zlist_next(keys)) {
        s_work_t *w = zhash_lookup(self->assigned, k);
        if (w->worker != wk)
            continue;
        if (!w->started && w->msg) {
            s_requeue(self, w);
            self->handed_at = now;
            handed++;
            continue;
        }
        zhash_delete(self->assigned, k);
        s_fail_work(self, w, "errored", reason);
        s_work_destroy(&w);
        errored++;
    }
    zlist_destroy(&keys);
    wk->busy = 0;
    zsys_warning("broker: worker %s lost (silent for %d ms): %zu work items errored, %zu "
                 "that never started handed on", wk->name, (int) (now - wk->last_seen),
                 errored, handed);
    s_worker_event(self, wk, "lost");
}

// Lost workers whose loss is older than `older_ms` are forgotten (a
// restarted worker comes back under a new name; its old row would stay).
// They hold no work (s_lose gave it all up). The count.
static size_t
s_prune(s_broker_t *self, int64_t now, int64_t older_ms)
{
    zlist_t *names = NULL;
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers))
        if (wk->lost && now - wk->lost_at >= older_ms) {
            if (!names)
                names = zlist_new();
            zlist_append(names, wk->name);
        }
    size_t n = names ? zlist_size(names) : 0;
    for (char *name = names ? zlist_first(names) : NULL; name; name = zlist_next(names)) {
        s_worker_t *wk = zhash_lookup(self->workers, name);
        if (wk->stale)
            self->stale_total -= zhash_size(wk->stale);
        zhash_delete(self->workers, name);     // frees wk and name
    }
    zlist_destroy(&names);
    return n;
}

// --- revocation: a key taken out of the allow directory cuts the sessions
// already in (ZAP only judges new connections). Every message's key
// (the ZAP User-Id) is noted; once a second each noted key is asked about
// again. A revoked key's messages are dropped from then on, its workers
// are lost at once (their running work errored, work they never started
// handed on) and its subscriptions end. Put back, it is let in again.

// Is this message's sender cut off? Notes a key seen for the first time.
static bool
s_key_revoked(s_broker_t *self, const char *key)
{
    if (!self->keys)
        self->keys = zhash_new();
    const char *state = zhash_lookup(self->keys, key);
    if (!state) {
        zhash_insert(self->keys, key, "");      // admitted by ZAP a moment ago
        return false;
    }
    return *state != 0;
}

static void
s_revoke(s_broker_t *self, const char *key, int64_t now)
{
    size_t workers = 0, subs = 0;
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers))
        if (wk->key && !strcmp(wk->key, key) && !wk->lost) {
            s_lose(self, wk, now);
            workers++;
        }
    s_sub_t *s = zlist_first(self->subs);
    while (s) {
        s_sub_t *next = zlist_next(self->subs);
        if (s->key && !strcmp(s->key, key)) {
            zlist_remove(self->subs, s);
            s_sub_free(s);
            subs++;
        }
        s = next;
    }
    zsys_warning("broker: CURVE key %s is no longer allowed: its sessions are cut (%zu "
                 "workers lost, %zu subscriptions ended)", key, workers, subs);
}

static void
s_check_keys(s_broker_t *self, int64_t now)
{
    if (!self->auth || !self->keys || now - self->keys_checked_at < 1000)
        return;
    self->keys_checked_at = now;
    zlist_t *keys = zhash_keys(self->keys);
    bool handed = false;
    for (char *k = zlist_first(keys); k; k = zlist_next(keys)) {
        bool was = *(const char *) zhash_lookup(self->keys, k) != 0;
        bool now_revoked = !pk_curve_auth_allows(self->auth, k);
        if (was == now_revoked)
            continue;
        zhash_update(self->keys, k, now_revoked ? "revoked" : "");
        if (now_revoked) {
            self->revoked++;
            s_revoke(self, k, now);
            handed = true;
        }
        else {
            self->revoked--;
            zsys_info("broker: CURVE key %s is allowed again", k);
        }
    }
    zlist_destroy(&keys);
    // keys of sessions long gone would be asked about forever: forget the
    // allowed ones now and then (a live session notes its key again)
    if (zhash_size(self->keys) > 4096) {
        zhash_destroy(&self->keys);
        self->revoked = 0;
    }
    if (handed)
        s_dispatch(self);
}

static int
s_on_tick(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_broker_t *self = arg;
    int64_t now = zclock_mono();
    int64_t gap = self->last_tick ? now - self->last_tick : 0;
    self->last_tick = now;
    if (self->hold_until && now >= self->hold_until)
        s_release_held(self);
    if (gap > S_STALL_MS) {
        // we did not run (stopped, swapped out, starved): nobody was heard
        // because we did not listen. The time we were away counts against
        // no one, and what was queued meanwhile is read before the next tick.
        zsys_warning("broker: stalled for %d ms; workers' silence is counted from now",
                     (int) gap);
        for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers)) {
            wk->last_seen += gap;
            if (wk->unreachable)
                wk->silent_since += gap;
        }
        for (s_work_t *w = zhash_first(self->assigned); w; w = zhash_next(self->assigned))
            if (w->orphan_at)
                w->orphan_at += gap;
        return 0;
    }
    bool handed = false;
    for (s_worker_t *wk = zhash_first(self->workers); wk; wk = zhash_next(self->workers)) {
        if (wk->lost)
            continue;
        if (!wk->unreachable && now - wk->last_seen >= self->hb_timeout) {
            wk->unreachable = true;
            wk->silent_since = now;
            zsys_warning("broker: worker %s unreachable (silent for %d ms); its %u work items "
                         "wait %d s for it", wk->name, (int) (now - wk->last_seen), wk->busy,
                         (int) (self->grace / 1000));
            s_worker_event(self, wk, "unreachable");
        }
        if (wk->unreachable && now - wk->silent_since >= self->grace) {
            s_lose(self, wk, now);
            handed = true;
        }
    }
    s_check_keys(self, now);
    s_prune(self, now, self->retention);
    zlist_t *keys = NULL;
    for (s_work_t *w = zhash_first(self->assigned); w; w = zhash_next(self->assigned))
        if (w->orphan_at && now - w->orphan_at >= S_ORPHAN_MS) {
            if (!keys)
                keys = zlist_new();
            zlist_append(keys, w->key);
        }
    for (char *k = keys ? zlist_first(keys) : NULL; k; k = zlist_next(keys)) {
        s_work_t *w = zhash_lookup(self->assigned, k);
        zhash_delete(self->assigned, k);
        s_fail_work(self, w, "errored", "the worker no longer runs this work");
        s_work_destroy(&w);
    }
    zlist_destroy(&keys);
    if (handed)
        s_dispatch(self);
    return 0;
}

// Answers a pending AWAIT once every role it names has said HELLO.
static void
s_check_awaiting(s_broker_t *self)
{
    if (!self->awaiting)
        return;
    char *copy = strdup(self->awaiting), *save = NULL;
    bool all = true;
    for (char *r = strtok_r(copy, " ", &save); r && all; r = strtok_r(NULL, " ", &save))
        all = zhash_lookup(self->roles, r) != NULL;
    free(copy);
    if (all) {
        zstr_free(&self->awaiting);
        zstr_send(self->pipe, "ready");
    }
}

static int
s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    s_broker_t *self = arg;
    char *cmd = zstr_recv(pipe);
    int rc = 0;
    if (!cmd || streq(cmd, "$TERM"))
        rc = -1;
    else
    if (streq(cmd, "STATUS"))
        zstr_send(pipe, "ok");
    else
    if (streq(cmd, "ENDPOINT"))
        zstr_send(pipe, self->tcp_endpoint ? self->tcp_endpoint : "");
    else
    if (!strncmp(cmd, "AWAIT ", 6)) {
        zstr_free(&self->awaiting);
        self->awaiting = strdup(cmd + 6);
        s_check_awaiting(self);
    }
    else
    if (streq(cmd, "STATS"))
        zstr_sendf(pipe, "%zu %zu %llu %llu %llu %llu", zhash_size(self->workers),
                   zlist_size(self->pending), (unsigned long long) self->dropped,
                   (unsigned long long) self->events,
                   (unsigned long long) pk_curve_auth_rejected(self->auth),
                   (unsigned long long) self->refused);
    zstr_free(&cmd);
    return rc;
}

static int
s_on_zap(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    (void) sock;
    pk_curve_auth_handle(((s_broker_t *) arg)->auth);
    return 0;
}

// The tcp listener as a CURVE server: the ZAP handler first (without one
// libzmq would let any client key in), then the certificate. 0 or -1.
static int
s_curve_setup(s_broker_t *self, const pk_broker_config_t *cfg)
{
    char *err = NULL;
    zcert_t *cert = pk_curve_cert_load(cfg->curve_cert, true, &err);
    if (cert)
        self->auth = pk_curve_auth_new(cfg->curve_allow, "broker", &err);
    if (!cert || !self->auth) {
        zsys_error("broker: %s", err ? err : "cannot set up CURVE");
        free(err);
        zcert_destroy(&cert);
        return -1;
    }
    pk_curve_apply_server(self->router, cert);
    // a refused key's connection is held until the handshake interval ends
    // (see pk_curve_auth.c), then the client retries: keep that short
    zsock_set_handshake_ivl(self->router, 5000);
    zsys_info("broker: CURVE on %s, public key %s, clients allowed from %s", cfg->listen,
              zcert_public_txt(cert), cfg->curve_allow);
    zcert_destroy(&cert);
    return 0;
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_broker_config_t *cfg = arg;
    s_broker_t self = { .pipe = pipe, .trust_network = cfg->trust_network,
                        .hold_until = cfg->hold_ms > 0 ? zclock_mono() + cfg->hold_ms : 0 };
    if (cfg->server_token && *cfg->server_token)
        self.server_token = strdup(cfg->server_token);
    if (cfg->worker_tokens && *cfg->worker_tokens)
        self.worker_tokens = pk_worker_tokens_new(cfg->worker_tokens);
    self.hb_timeout = cfg->heartbeat_timeout_ms > 0 ? cfg->heartbeat_timeout_ms : 3000;
    self.grace = cfg->worker_grace_ms > 0 ? cfg->worker_grace_ms : 0;
    self.retention = cfg->lost_retention_ms > 0 ? cfg->lost_retention_ms : S_LOST_RETENTION_MS;
    self.router = zsock_new(ZMQ_ROUTER);
    zsock_set_router_mandatory(self.router, 1);
    zsock_set_router_handover(self.router, 1);     // a reconnecting worker takes its name back
    zsock_set_sndhwm(self.router, S_PEER_HWM);
    zsock_set_maxmsgsize(self.router, PK_MSG_MAX_FRAME + 4096);
    zsock_set_sndtimeo(self.router, 0);
    zsock_set_rcvtimeo(self.router, 0);            // s_on_router drains what is there
    // ZMTP heartbeats: a peer cut off by the network is closed within
    // seconds instead of TCP's quarter of an hour, and its next connection
    // takes its place (handover)
    zsock_set_heartbeat_ivl(self.router, 1000);
    zsock_set_heartbeat_timeout(self.router, 5000);
    // a connection that never completes its handshake (an idle port scan,
    // a flood of bare TCP connections) is closed, not kept for 30 s
    zsock_set_handshake_ivl(self.router, 5000);
    bool ok = true;
    if (cfg->inproc && zsock_bind(self.router, "%s", cfg->inproc) < 0) {
        zsys_error("broker: cannot bind %s: %s", cfg->inproc, zmq_strerror(zmq_errno()));
        ok = false;
    }
    // inproc is bound before CURVE is set: in-process actors stay plain
    if (ok && cfg->listen && cfg->curve_cert && s_curve_setup(&self, cfg) != 0)
        ok = false;
    if (ok && cfg->listen) {
        if (zsock_bind(self.router, "%s", cfg->listen) < 0) {
            zsys_error("broker: cannot listen on %s: %s", cfg->listen, zmq_strerror(zmq_errno()));
            ok = false;
        }
        else
            self.tcp_endpoint = zsock_last_endpoint(self.router);
    }
    zsock_signal(pipe, ok ? 0 : 1);
    if (ok) {
        self.workers = zhash_new();
        self.roles = zhash_new();
        self.pending = zlist_new();
        self.assigned = zhash_new();
        self.subs = zlist_new();
        self.servers = zhash_new();
        self.client_keys = zhash_new();
        self.worker_rids = zhash_new();
        self.logged = zhash_new();
        self.held = zlist_new();
        zloop_t *loop = zloop_new();
        zloop_set_nonstop(loop, true);
        zloop_reader(loop, pipe, s_on_pipe, &self);
        zloop_reader(loop, self.router, s_on_router, &self);
        if (self.auth)
            zloop_reader(loop, pk_curve_auth_socket(self.auth), s_on_zap, &self);
        zloop_timer(loop, 250, 0, s_on_tick, &self);
        zloop_start(loop);
        zloop_destroy(&loop);
        s_release_held(&self);          // stopping: what is still held is answered
        s_work_t *w;
        while ((w = zlist_pop(self.pending)))
            s_work_destroy(&w);
        for (w = zhash_first(self.assigned); w; w = zhash_next(self.assigned))
            s_work_destroy(&w);
        s_sub_t *s;
        while ((s = zlist_pop(self.subs)))
            s_sub_free(s);
        zhash_destroy(&self.keys);
        zlist_destroy(&self.pending);
        zlist_destroy(&self.subs);
        zhash_destroy(&self.assigned);
        zhash_destroy(&self.workers);
        zhash_destroy(&self.roles);
        zhash_destroy(&self.asked);
        zhash_destroy(&self.servers);
        zhash_destroy(&self.client_keys);
        zhash_destroy(&self.worker_rids);
        zhash_destroy(&self.logged);
        zstr_free(&self.awaiting);
        zlist_destroy(&self.held);
    }
    else {
        pk_actor_failed(pipe);
    }
    zstr_free(&self.tcp_endpoint);
    free(self.server_token);
    pk_worker_tokens_destroy(&self.worker_tokens);
    zsock_destroy(&self.router);
    pk_curve_auth_destroy(&self.auth);
}

int
pk_broker_config_check(const pk_broker_config_t *config, char **reason)
{
    *reason = NULL;
    if (!config) {
        *reason = strdup("no broker configuration");
        return -1;
    }
    const char *cert = config->curve_cert, *allow = config->curve_allow;
    bool has_cert = cert && *cert, has_allow = allow && *allow;
    if (has_cert != has_allow) {
        *reason = strdup(has_cert ? "a CURVE certificate needs --curve-allow DIR too (the "
                                    "directory of the clients' public certificates)"
                                  : "--curve-allow needs the broker's certificate too "
                                    "(--curve-cert FILE; make one with `pikoci keygen`)");
        return -1;
    }
    if (has_cert && !config->listen) {
        *reason = strdup("CURVE keys are given but there is no --listen address to use them on");
        return -1;
    }
    // decided before anything binds: a wildcard is never opened, even briefly
    if (config->listen && !has_cert && !pk_curve_is_loopback(config->listen)) {
        if (asprintf(reason, "refusing to listen on %s without CURVE: make keys with "
                     "`pikoci keygen` and pass --curve-cert/--curve-allow", config->listen) < 0)
            *reason = NULL;
        return -1;
    }
    if (has_cert) {
        zcert_t *c = pk_curve_cert_load(cert, true, reason);
        if (!c)
            return -1;
        zcert_destroy(&c);
        struct stat st;
        if (stat(allow, &st) != 0 || !S_ISDIR(st.st_mode)) {
            if (asprintf(reason, "--curve-allow %s: not a directory", allow) < 0)
                *reason = NULL;
            return -1;
        }
    }
    return 0;
}

zactor_t *
pk_broker_new(const pk_broker_config_t *config)
{
    char *reason = NULL;
    if (pk_broker_config_check(config, &reason) != 0) {
        zsys_error("broker: %s", reason ? reason : "unusable configuration");
        free(reason);
        return NULL;
    }
    return pk_actor_new(s_actor, (void *) config);
}
