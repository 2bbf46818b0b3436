// logsink: the log sink actor (see pk_logsink.h for its contract).
//
// Why it is shaped so: LMDB commits are the cost (an fsync each with a
// durable store), so chunks wait in memory for one group commit per flush
// (a sink that has not committed for flush_ms commits a chunk at once: the
// first line of a build is not held for the timer)
// and a runner's consecutive messages (up to ~64 KiB each: a read of its
// task's pipe) are merged into one stored chunk of up to SEGMENT_MAX, the
// store's chunk size, so a steady stream is compressed in whole chunks. Credit is what bounds that memory: a runner
// has RUNNER_INITIAL_CREDIT messages in flight at most, and gets credit back
// only for messages whose bytes are committed (or were retransmits). A
// runner that uses up its window stalls, so a log with flush_chunks (half a
// window) uncredited messages is committed at once: the runner keeps
// sending the other half while we commit, and credit goes out before the
// events so it never queues behind them. If a commit fails, everything stays
// pending and is retried a tick later; no credit leaves until the bytes are
// stored.
//
// A store that keeps failing (a full disk: ENOSPC, MDB_MAP_FULL once the map
// cannot grow, EIO) is given GIVE_UP_MS; then every build whose chunks are
// waiting is cancelled with the store's error as the reason (CANCEL, routed
// by the broker to the runner that holds it). Its chunks stay pending and
// are still retried, but the runner gets no credit for them, so it reports
// the build errored -- "the log could not be stored" -- never succeeded with
// a log that is not there (runner_build.c, s_settle_log).
//
// A chunk beyond the expected seq is held back for HOLD_MS before it is
// stored as a gap: after a server restart a runner's chunks queued while we
// were away arrive before the ones it resends from its window (and chunks
// that reached the broker before we said HELLO were dropped), so the gap is
// usually filled a moment later and the log stays whole and in order.
// SIGNAL "append" (the scheduler's words about a build, e.g. its worker was
// lost) is stored after everything the runner sent, under a seq so high that
// whatever the runner sends later counts as a retransmit: the log is closed.
#include "pk_tokens.h"
#include "pk_actor.h"
#include "pk_logsink.h"
#include "pk_logs.h"
#include "pk_msg.h"
#include <msgpack.h>

#define SEGMENT_MAX (128 * 1024)    // bytes merged into one stored chunk
#define MAX_PENDING (64u << 20)     // while commits fail, memory stops here
#define HELLO_MS 2000               // re-announce ourselves (a restarted broker forgets)
#define IDLE_MS 60000               // forget a quiet log's state after this
#define READ_BATCH 256              // messages read per wake-up
#define DRAIN_MAX 100000            // messages a pipe command takes in at most
#define HOLD_MS 3000                // a chunk beyond a gap waits this long for it to fill
#define HOLD_MAX 64                 // chunks held per log, at most (a window is 16)
#define GIVE_UP_MS 5000             // commits failing this long: cancel the builds waiting

typedef struct {
    char *id;
    uint32_t attempt;
    uint64_t expected;      // next seq we want
    uint32_t owed;          // messages received since its last CREDIT
    size_t tail;            // 1 + index of its last pending segment, when tail_gen == gen
    uint64_t tail_gen;
    int64_t last_seen;
    pk_msg_log_t *held;     // chunks beyond a gap, in arrival order
    size_t nheld;
    int64_t held_since;
    bool gave_up;           // its build was cancelled: its log could not be stored
} s_log_t;

typedef struct {
    s_log_t *log;
    uint32_t step;
    uint64_t seq;           // of the last message merged in
    uint8_t *data;
    size_t size, cap;
} s_seg_t;

typedef struct {
    zsock_t *broker;
    pk_store_t *store;
    int flush_ms;
    int64_t committed_at;   // mono ms of the last commit (or of the start)
    size_t flush_bytes;
    uint32_t flush_chunks;
    zhash_t *logs;          // "attempt:id" -> s_log_t
    s_seg_t *segs;          // pending, in arrival order
    size_t nsegs, capsegs;
    size_t pending_bytes;
    uint64_t pending_chunks, owed_total;
    uint64_t gen;           // bumped by each commit: segment indexes start over
    bool draining;          // no automatic commits while a pipe command drains
    bool stopping;          // $TERM: nobody waits for credit any more
    bool connected;
    size_t held_logs;       // logs with chunks held back
    size_t held_bytes;
    int64_t retry_at;       // after a failed commit, not before this
    int64_t failing_since;  // first of the failed commits in a row (0: none)
    uint64_t ping_rid;
    uint64_t chunks, bytes, dropped, duplicates, gaps, commits, errors;
    uint64_t forgotten;     // logs deleted for retention ("forget")
    char last_error[256];
} s_sink_t;

// Log the 1st, 2nd, 4th, 8th... occurrence: a flood of bad frames must not
// become a flood of log lines.
static bool
s_worth_logging(uint64_t count)
{
    return (count & (count - 1)) == 0;
}

static void
s_log_free(void *item)
{
    s_log_t *log = item;
    for (size_t i = 0; i < log->nheld; i++) {
        pk_msg_t m = { .type = PK_MSG_LOG, .log = log->held[i] };
        pk_msg_clear(&m);
    }
    free(log->held);
    free(log->id);
    free(log);
}

static s_log_t *
s_log(s_sink_t *self, const char *id, uint32_t attempt)
{
    char key[PK_LOGS_ID_MAX + 16];
    snprintf(key, sizeof key, "%u:%s", attempt, id);
    s_log_t *log = zhash_lookup(self->logs, key);
    if (log)
        return log;
    log = calloc(1, sizeof *log);
    log->id = strdup(id);
    log->attempt = attempt;
    // a log we wrote before (a sink restart): retransmits are below next_seq
    pk_log_meta_t meta;
    if (pk_logs_meta(self->store, id, attempt, &meta) < 0)
        zsys_warning("logsink: cannot read the log meta of %s#%u: %s", id, attempt,
                     pk_store_error());
    log->expected = meta.next_seq;
    zhash_insert(self->logs, key, log);
    zhash_freefn(self->logs, key, s_log_free);
    return log;
}

static void
s_send(s_sink_t *self, const pk_msg_t *m, int timeout_ms)
{
    zmsg_t *z = pk_msg_to_zmsg(m);
    zsock_set_sndtimeo(self->broker, timeout_ms);
    if (z && zmsg_send(&z, self->broker) != 0) {
        zmsg_destroy(&z);
        if (m->type == PK_MSG_CREDIT)
            zsys_warning("logsink: could not send CREDIT for %s#%u", m->credit.id,
                         m->credit.attempt);
    }
}

// HELLO, and until the broker has answered once, a request it answers
// itself: its REPLY proves the HELLO sent before it has been processed.
static void
s_hello(s_sink_t *self)
{
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = "logsink";
    h.hello.role = "logsink";
    // never heard from the broker: a link it refuses has no peer to wait
    // for, and a wait here delays $TERM (SIGTERM) by the timeouts
    h.hello.token = (char *) pk_server_token();   // set only behind a standalone broker
    int wait_ms = self->connected ? 1000 : 0;
    s_send(self, &h, wait_ms);
    if (self->connected)
        return;
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = ++self->ping_rid;
    q.request.op = "broker.pending";
    s_send(self, &q, wait_ms);
}

static void
s_publish(s_sink_t *self, const s_seg_t *seg, uint64_t offset)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "attempt", 7);
    msgpack_pack_uint32(&pk, seg->log->attempt);
    msgpack_pack_str_with_body(&pk, "step", 4);
    msgpack_pack_uint32(&pk, seg->step);
    msgpack_pack_str_with_body(&pk, "offset", 6);
    msgpack_pack_uint64(&pk, offset);
    msgpack_pack_str_with_body(&pk, "data", 4);
    msgpack_pack_bin_with_body(&pk, seg->data, seg->size);
    char topic[PK_LOGS_ID_MAX + 8];
    snprintf(topic, sizeof topic, "log.%s", seg->log->id);
    pk_msg_t ev = { .type = PK_MSG_EVENT };
    ev.event.topic = topic;
    ev.event.body.data = (uint8_t *) sb.data;
    ev.event.body.size = sb.size;
    s_send(self, &ev, 0);       // followers may miss lines; the store has them
    msgpack_sbuffer_destroy(&sb);
}

typedef struct {
    s_sink_t *self;
    pk_log_chunk_t *chunks;
} s_batch_t;

static int
s_write(pk_store_txn_t *txn, void *arg)
{
    s_batch_t *b = arg;
    return pk_logs_append(b->self->store, txn, b->chunks, b->self->nsegs);
}

// The store has failed for GIVE_UP_MS: cancel every build whose log waits
// (see the top), once each.
static void
s_give_up(s_sink_t *self)
{
    for (s_log_t *log = zhash_first(self->logs); log; log = zhash_next(self->logs)) {
        if (log->gave_up || !log->owed)
            continue;
        log->gave_up = true;
        char reason[400];
        snprintf(reason, sizeof reason, "the log could not be stored: %s", self->last_error);
        zsys_error("logsink: cancelling %s#%u: %s", log->id, log->attempt, reason);
        pk_msg_t c = { .type = PK_MSG_CANCEL };
        c.cancel.id = log->id;
        c.cancel.attempt = log->attempt;
        c.cancel.reason = reason;
        s_send(self, &c, self->stopping ? 0 : 5000);
    }
}

// Commit everything pending in one transaction, then credit and publish.
static int
s_flush(s_sink_t *self)
{
    if (!self->nsegs && !self->owed_total)
        return 0;
    pk_log_chunk_t *chunks = calloc(self->nsegs + 1, sizeof *chunks);
    for (size_t i = 0; i < self->nsegs; i++) {
        s_seg_t *s = &self->segs[i];
        chunks[i] = (pk_log_chunk_t) { .id = s->log->id, .attempt = s->log->attempt,
                                       .step = s->step, .seq = s->seq, .data = s->data,
                                       .size = s->size };
    }
    s_batch_t batch = { self, chunks };
    if (self->nsegs && pk_store_write(self->store, s_write, &batch) != 0) {
        self->errors++;
        snprintf(self->last_error, sizeof self->last_error, "%s", pk_store_error());
        if (s_worth_logging(self->errors))
            zsys_error("logsink: commit of %zu bytes failed (kept, will retry): %s",
                       self->pending_bytes, self->last_error);
        self->retry_at = zclock_mono() + self->flush_ms;
        if (!self->failing_since)
            self->failing_since = zclock_mono();
        else
        if (zclock_mono() - self->failing_since >= GIVE_UP_MS)
            s_give_up(self);
        free(chunks);
        return -1;
    }
    self->failing_since = 0;
    if (self->nsegs)
        self->committed_at = zclock_mono();
    self->commits += self->nsegs > 0;
    self->retry_at = 0;
    // credit first: a runner waiting for it should not wait behind the events
    for (s_log_t *log = zhash_first(self->logs); log; log = zhash_next(self->logs)) {
        if (!log->owed)
            continue;
        pk_msg_t c = { .type = PK_MSG_CREDIT };
        c.credit.id = log->id;
        c.credit.attempt = log->attempt;
        c.credit.credits = log->owed;
        s_send(self, &c, self->stopping ? 0 : 5000);
        log->owed = 0;
    }
    for (size_t i = 0; i < self->nsegs; i++) {
        s_publish(self, &self->segs[i], chunks[i].offset);
        free(self->segs[i].data);
    }
    free(chunks);
    self->nsegs = 0;
    self->pending_bytes = 0;
    self->pending_chunks = self->owed_total = 0;
    self->gen++;
    return 0;
}

static void
s_maybe_flush(s_sink_t *self, const s_log_t *log, bool now)
{
    if (self->draining || (self->retry_at && zclock_mono() < self->retry_at))
        return;
    // an idle sink commits at once: a lone chunk (a build's first line) is
    // not held for the timer, and commits stay at most one per flush_ms
    bool idle = zclock_mono() - self->committed_at >= self->flush_ms;
    if (now || idle || self->pending_bytes >= self->flush_bytes
        || log->owed >= self->flush_chunks)
        s_flush(self);
}

static void
s_drop(s_sink_t *self, const char *why)
{
    self->dropped++;
    if (s_worth_logging(self->dropped))
        zsys_warning("logsink: dropped a message (%llu so far): %s",
                     (unsigned long long) self->dropped, why);
}

// Append m's bytes to its log's last pending segment, or start one (taking
// the decoded buffer, so a message is copied at most once).
static void
s_buffer(s_sink_t *self, s_log_t *log, pk_msg_log_t *m)
{
    s_seg_t *tail = log->tail && log->tail_gen == self->gen ? &self->segs[log->tail - 1] : NULL;
    if (tail && tail->step == m->step && tail->size + m->data.size <= SEGMENT_MAX) {
        if (tail->size + m->data.size > tail->cap) {
            tail->cap = tail->size + m->data.size > tail->cap * 2 ? tail->size + m->data.size
                                                                  : tail->cap * 2;
            tail->data = realloc(tail->data, tail->cap);
        }
        memcpy(tail->data + tail->size, m->data.data, m->data.size);
        tail->size += m->data.size;
        tail->seq = m->seq;
    }
    else {
        if (self->nsegs == self->capsegs) {
            self->capsegs = self->capsegs ? self->capsegs * 2 : 64;
            self->segs = realloc(self->segs, self->capsegs * sizeof *self->segs);
        }
        self->segs[self->nsegs++] = (s_seg_t) { log, m->step, m->seq, m->data.data,
                                                m->data.size, m->data.size };
        m->data = (pk_bytes_t) { 0 };
        log->tail = self->nsegs;
        log->tail_gen = self->gen;
    }
}

// A chunk in its turn (or a retransmit, or a gap we stop waiting for).
// credit: it came from a runner (an "append" did not).
static void
s_take(s_sink_t *self, s_log_t *log, pk_msg_log_t *m, bool credit)
{
    bool last = m->data.size == 0;  // a runner's last word: see below
    if (credit) {
        log->owed++;        // it used a credit, whatever we do with it
        self->owed_total++;
    }
    if (m->seq < log->expected) {
        self->duplicates++;
    }
    else {
        if (m->seq > log->expected && s_worth_logging(++self->gaps))
            zsys_warning("logsink: %s#%u: LOG seq %llu where %llu was expected (%llu gaps so far)",
                         m->id, m->attempt, (unsigned long long) m->seq,
                         (unsigned long long) log->expected, (unsigned long long) self->gaps);
        log->expected = m->seq + 1;
        self->chunks++;
        self->pending_chunks++;
        self->bytes += m->data.size;
        self->pending_bytes += m->data.size;
        if (m->data.size)
            s_buffer(self, log, m);
    }
    // after an empty chunk the runner waits for our credit (everything
    // stored) before it reports the build done: commit now
    s_maybe_flush(self, log, last);
}

static void
s_unhold(s_sink_t *self, s_log_t *log, size_t i)
{
    pk_msg_t m = { .type = PK_MSG_LOG, .log = log->held[i] };
    memmove(log->held + i, log->held + i + 1, (log->nheld - i - 1) * sizeof *log->held);
    if (--log->nheld == 0)
        self->held_logs--;
    self->held_bytes -= m.log.data.size;
    s_take(self, log, &m.log, true);
    pk_msg_clear(&m);
}

// Held chunks whose turn has come (the gap before them filled), in seq order.
static void
s_unhold_ready(s_sink_t *self, s_log_t *log)
{
    for (bool again = true; again && log->nheld; ) {
        again = false;
        for (size_t i = 0; i < log->nheld; i++)
            if (log->held[i].seq <= log->expected) {
                s_unhold(self, log, i);
                again = true;
                break;
            }
    }
}

// Stop waiting: take everything held, in arrival order (gaps stay gaps).
static void
s_unhold_all(s_sink_t *self, s_log_t *log)
{
    while (log->nheld)
        s_unhold(self, log, 0);
}

static void
s_unhold_every_log(s_sink_t *self, bool expired_only)
{
    if (!self->held_logs)
        return;
    int64_t now = zclock_mono();
    for (s_log_t *log = zhash_first(self->logs); log; log = zhash_next(self->logs))
        if (log->nheld && (!expired_only || now - log->held_since >= HOLD_MS))
            s_unhold_all(self, log);
}

static void
s_on_log(s_sink_t *self, pk_msg_log_t *m)
{
    if (strlen(m->id) > PK_LOGS_ID_MAX) {
        s_drop(self, "LOG with an over-long build id");
        return;
    }
    if (self->pending_bytes + self->held_bytes + m->data.size > MAX_PENDING) {
        s_drop(self, "the store keeps failing and the pending logs are full");
        return;
    }
    s_log_t *log = s_log(self, m->id, m->attempt);
    log->last_seen = zclock_mono();
    if (m->seq > log->expected && log->nheld < HOLD_MAX) {
        if (!log->nheld++) {
            self->held_logs++;
            log->held_since = log->last_seen;
        }
        log->held = realloc(log->held, log->nheld * sizeof *log->held);
        log->held[log->nheld - 1] = *m;         // taken: the caller's copy is emptied
        memset(m, 0, sizeof *m);
        self->held_bytes += log->held[log->nheld - 1].data.size;
        return;
    }
    s_take(self, log, m, true);
    s_unhold_ready(self, log);
    if (log->nheld >= HOLD_MAX)
        s_unhold_all(self, log);
}

// The last byte of a log, counting what is pending; -1 when it is empty.
static int
s_last_byte(s_sink_t *self, s_log_t *log)
{
    if (log->tail && log->tail_gen == self->gen) {
        const s_seg_t *seg = &self->segs[log->tail - 1];
        return seg->size ? seg->data[seg->size - 1] : -1;
    }
    int64_t size = pk_logs_size(self->store, log->id, log->attempt);
    uint8_t c;
    if (size <= 0 || pk_logs_read_buf(self->store, log->id, log->attempt, (uint64_t) size - 1,
                                      &c, 1) != 1)
        return -1;
    return c;
}

// SIGNAL{what "append", args {id, attempt, text, step?}}: see the top.
static void
s_on_append(s_sink_t *self, const pk_msg_signal_t *sig)
{
    const char *id = pk_kv_get(&sig->args, "id"), *text = pk_kv_get(&sig->args, "text");
    const char *att = pk_kv_get(&sig->args, "attempt"), *step = pk_kv_get(&sig->args, "step");
    char *end = NULL;
    unsigned long attempt = att ? strtoul(att, &end, 10) : 0;
    if (!id || !*id || strlen(id) > PK_LOGS_ID_MAX || !text || !attempt || *end
        || attempt > UINT32_MAX) {
        s_drop(self, "append without a valid id, attempt and text");
        return;
    }
    s_log_t *log = s_log(self, id, (uint32_t) attempt);
    log->last_seen = zclock_mono();
    s_unhold_all(self, log);                // what the runner sent goes first
    size_t n = strlen(text);
    int last = s_last_byte(self, log);
    bool nl_before = last >= 0 && last != '\n';
    bool nl_after = !n || text[n - 1] != '\n';
    pk_msg_log_t m = { 0 };
    m.step = step ? (uint32_t) strtoul(step, NULL, 10) : 0;
    m.data.size = n + nl_before + nl_after;
    m.data.data = malloc(m.data.size);
    if (nl_before)
        m.data.data[0] = '\n';
    memcpy(m.data.data + nl_before, text, n);
    if (nl_after)
        m.data.data[m.data.size - 1] = '\n';
    if (log->expected < PK_LOGSINK_SEQ_CLOSED)
        log->expected = PK_LOGSINK_SEQ_CLOSED;   // not a gap: a closing line
    m.seq = log->expected;
    s_take(self, log, &m, false);
    free(m.data.data);                      // NULL when s_buffer took it
    s_maybe_flush(self, log, true);
}

// SIGNAL{what "purge", args {pipeline, life}}: the scheduler removed a
// pipeline; its logs, of that life and every earlier one, go too (a later
// life's ids end in a higher "@life", see pk_builds_work_id). Pending chunks
// are committed first so none lands after the purge.
typedef struct {
    s_sink_t *self;
    char *prefix;
    uint64_t life;
    size_t deleted, total;
} s_purge_t;

static bool
s_purge_match(const char *id, void *arg)
{
    s_purge_t *p = arg;
    const char *at = strrchr(id, '/');
    at = at ? strchr(at, '@') : NULL;
    uint64_t life = at ? strtoull(at + 1, NULL, 10) : 1;
    return life <= p->life;
}

static int
s_purge_txn(pk_store_txn_t *txn, void *arg)
{
    s_purge_t *p = arg;
    return pk_logs_delete_where(p->self->store, txn, p->prefix, s_purge_match, p, 256,
                                &p->deleted);
}

static void
s_on_purge(s_sink_t *self, const pk_msg_signal_t *sig)
{
    const char *pipeline = pk_kv_get(&sig->args, "pipeline");
    const char *life = pk_kv_get(&sig->args, "life");
    s_purge_t p = { self, NULL, life ? strtoull(life, NULL, 10) : 0, 0, 0 };
    if (!pipeline || !*pipeline || strchr(pipeline, '/') || !p.life
        || asprintf(&p.prefix, "build:%s/", pipeline) < 0) {
        s_drop(self, "purge without a valid pipeline and life");
        return;
    }
    s_flush(self);
    do {
        if (pk_store_write(self->store, s_purge_txn, &p) != 0) {
            zsys_error("logsink: cannot remove the logs of pipeline %s: %s", pipeline,
                       pk_store_error());
            break;
        }
        p.total += p.deleted;
    } while (p.deleted);
    zsys_info("logsink: pipeline %s removed: %zu logs deleted", pipeline, p.total);
    free(p.prefix);
}

// SIGNAL{what "forget", args {id, attempt}}: retention trimmed a build (the
// scheduler decided); its log, every attempt up to attempt, goes, one
// attempt per write transaction so the writer is held only briefly.
static void
s_on_forget(s_sink_t *self, const pk_msg_signal_t *sig)
{
    const char *id = pk_kv_get(&sig->args, "id");
    const char *attempt = pk_kv_get(&sig->args, "attempt");
    uint64_t last = attempt ? strtoull(attempt, NULL, 10) : 0;
    if (!id || strncmp(id, "build:", 6) || !last || last > UINT32_MAX) {
        s_drop(self, "forget without a valid build id and attempt");
        return;
    }
    s_flush(self);
    size_t deleted = 0;
    for (uint32_t a = 1; a <= (uint32_t) last; a++) {
        pk_store_txn_t *txn = pk_store_begin(self->store, true);
        int rc = txn ? pk_logs_delete(self->store, txn, id, a) : -1;
        if (rc >= 0 && pk_store_commit(&txn) != 0)
            rc = -1;
        pk_store_abort(&txn);
        if (rc < 0) {
            zsys_error("logsink: cannot delete the log of %s: %s", id, pk_store_error());
            return;
        }
        deleted += rc == 0;
    }
    self->forgotten += deleted;
}

static void
s_handle(s_sink_t *self, zmsg_t **z_p)
{
    pk_msg_t m;
    char err[256];
    int rc = pk_msg_from_zmsg(*z_p, &m, err, sizeof err);
    zmsg_destroy(z_p);
    if (rc != 0) {
        s_drop(self, err);
        return;
    }
    if (m.type == PK_MSG_LOG)
        s_on_log(self, &m.log);
    else
    if (m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "append"))
        s_on_append(self, &m.signal);
    else
    if (m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "purge"))
        s_on_purge(self, &m.signal);
    else
    if (m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "forget"))
        s_on_forget(self, &m.signal);
    else
    if (m.type == PK_MSG_REPLY && m.reply.rid == self->ping_rid)
        self->connected = true;
    else
    if (m.type != PK_MSG_REPLY)
        s_drop(self, "not a LOG");
    pk_msg_clear(&m);
}

static int
s_on_broker(zloop_t *loop, zsock_t *sock, void *arg)
{
    (void) loop;
    s_sink_t *self = arg;
    zmsg_t *z;
    for (int i = 0; i < READ_BATCH && (z = zmsg_recv(sock)); i++)
        s_handle(self, &z);
    return 0;
}

// Take in everything that has arrived, with automatic commits held back so
// that credit cannot keep the runners sending while we drain.
static void
s_drain(s_sink_t *self)
{
    self->draining = true;
    zmsg_t *z;
    for (int i = 0; i < DRAIN_MAX && (z = zmsg_recv(self->broker)); i++)
        s_handle(self, &z);
    self->draining = false;
}

static int
s_on_flush_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_sink_t *self = arg;
    s_unhold_every_log(self, true);
    if (!self->retry_at || zclock_mono() >= self->retry_at)
        s_flush(self);
    return 0;
}

static int
s_on_hello_timer(zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_sink_t *self = arg;
    s_hello(self);
    // forget quiet logs (nothing owed means nothing pending either)
    int64_t now = zclock_mono();
    zlist_t *keys = zhash_keys(self->logs);
    for (char *k = zlist_first(keys); k; k = zlist_next(keys)) {
        s_log_t *log = zhash_lookup(self->logs, k);
        if (!log->owed && !log->nheld && now - log->last_seen > IDLE_MS)
            zhash_delete(self->logs, k);
    }
    zlist_destroy(&keys);
    return 0;
}

static int
s_on_pipe(zloop_t *loop, zsock_t *pipe, void *arg)
{
    (void) loop;
    s_sink_t *self = arg;
    char *cmd = zstr_recv(pipe);
    int rc = 0;
    if (!cmd || streq(cmd, "$TERM")) {
        self->stopping = true;
        s_drain(self);
        s_unhold_every_log(self, false);
        if (s_flush(self) != 0)
            zsys_error("logsink: stopping with %llu log chunks not stored: %s",
                       (unsigned long long) self->pending_chunks, self->last_error);
        rc = -1;
    }
    else
    if (streq(cmd, "FLUSH")) {
        s_drain(self);
        s_unhold_every_log(self, false);
        if (s_flush(self) == 0)
            zstr_send(pipe, "ok");
        else
            zstr_sendf(pipe, "error %s", self->last_error);
    }
    else
    if (streq(cmd, "STATS"))
        zstr_sendf(pipe, "%llu %llu %llu %llu %llu %llu %llu %llu",
                   (unsigned long long) self->chunks, (unsigned long long) self->bytes,
                   (unsigned long long) self->dropped, (unsigned long long) self->duplicates,
                   (unsigned long long) self->gaps, (unsigned long long) self->pending_chunks,
                   (unsigned long long) self->commits, (unsigned long long) self->errors);
    else
    if (streq(cmd, "STATUS"))
        zstr_send(pipe, self->connected ? "connected" : "waiting");
    zstr_free(&cmd);
    return rc;
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_logsink_config_t *cfg = arg;
    s_sink_t self = { 0 };
    self.store = cfg->store;
    self.flush_ms = cfg->flush_ms > 0 ? cfg->flush_ms : 50;
    self.committed_at = zclock_mono();
    self.flush_bytes = cfg->flush_bytes ? cfg->flush_bytes : 1u << 20;
    self.flush_chunks = cfg->flush_chunks ? cfg->flush_chunks : 8;
    self.logs = zhash_new();
    self.broker = zsock_new(ZMQ_DEALER);
    // our queue is bounded by the runners' credit, not by a message count
    zsock_set_rcvhwm(self.broker, 100000);
    zsock_set_maxmsgsize(self.broker, PK_MSG_MAX_FRAME + 1024);
    zsock_set_linger(self.broker, 1000);
    zsock_set_rcvtimeo(self.broker, 0);
    char *err = NULL;
    bool ok = pk_curve_apply_client(self.broker, &cfg->curve, &err) == 0
           && zsock_connect(self.broker, "%s", cfg->endpoint) == 0;
    if (!ok)
        zsys_error("logsink: cannot connect to %s%s%s", cfg->endpoint, err ? ": " : "",
                   err ? err : "");
    free(err);
    zsock_signal(pipe, 0);      // cfg is the caller's: not used past this point
    if (ok) {
        s_hello(&self);
        zloop_t *loop = zloop_new();
        zloop_set_nonstop(loop, true);
        zloop_reader(loop, pipe, s_on_pipe, &self);
        zloop_reader(loop, self.broker, s_on_broker, &self);
        zloop_timer(loop, (size_t) self.flush_ms, 0, s_on_flush_timer, &self);
        zloop_timer(loop, HELLO_MS, 0, s_on_hello_timer, &self);
        zloop_start(loop);
        zloop_destroy(&loop);
    }
    else {
        pk_actor_failed(pipe);
    }
    for (size_t i = 0; i < self.nsegs; i++)
        free(self.segs[i].data);
    free(self.segs);
    zhash_destroy(&self.logs);
    zsock_destroy(&self.broker);
}

zactor_t *
pk_logsink_new(const pk_logsink_config_t *cfg)
{
    if (!cfg || !cfg->endpoint || !cfg->store)
        return NULL;
    if (pk_logs_init(cfg->store) != 0) {
        zsys_error("logsink: cannot open the log keyspaces: %s", pk_store_error());
        return NULL;
    }
    return pk_actor_new(s_actor, (void *) cfg);
}
