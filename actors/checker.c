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
// and answers are stored S_FLUSH_MS after the first of them arrived, in one
// write transaction. Only after the commit are the scheduler and the bus
// told -- a version announced is a version stored. Both delays are tiny
// next to any check_interval.
#include "pk_actor.h"
#include "pk_checker.h"
#include "pk_cron.h"
#include "pk_duration.h"
#include "pk_msg.h"
#include "pk_plan.h"
#include "pk_suggest.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"
#include "pk_webhooks.h"
#include <inttypes.h>
#include <pthread.h>
#include <unistd.h>

#define S_BATCH_MAX 256         // VERSIONS per write transaction
#define S_FIRE_MAX 256          // checks fired before the sockets are looked at again
#define S_SLACK_MS 5            // a check may fire this late, to go with others
#define S_FLUSH_MS 10           // answers wait this long for others to share a commit
#define S_HELLO_MS 5000         // HELLO again: a restarted broker learns our role
#define S_REQUEUE_MS 1000       // a check its worker took down is checked again after this
#define S_TIMEOUT_MAX_MS (366LL * 24 * 3600 * 1000)
#define S_NOT_IN_HEAP SIZE_MAX
#define S_DEFAULT_INTERVAL "@every 1m"

typedef struct {
    char *pipeline;
    char *canonical;
    char *interval;             // check_interval as written, to notice changes
    pk_cron_t *cron;
    int64_t every_ms;           // @every interval; 0 for cron
    int64_t offset_ms;          // cron: fixed spread after each fire time
    pk_strs_t tags;
    uint8_t *plan;              // packed map without "version"
    size_t plan_size, plan_hdr; // its bytes, and how many are the map header
    uint32_t plan_n;            // its entries
    int64_t timeout_ms;
    uint8_t *version;           // current version (packed), NULL before the first
    size_t version_size;
    int64_t due;                // mono ms: next check, or (in flight) when to give up
    size_t heap_at;
    uint64_t seq;               // the check in flight, 0 when none
    int64_t next_due;           // in flight: when the next check is due
    bool again;                 // check.now while in flight
    bool manual;                // the next fire restarts the interval from now
    bool pending;               // an answer of it waits in the batch
} s_res_t;

typedef struct {
    int64_t due;                // a copy of res->due: the heap walks stay in one array
    s_res_t *res;
} s_slot_t;

typedef struct {
    s_res_t *res;
    pk_msg_t msg;               // the VERSIONS (owns the bytes r points to), or none
    bool has_msg;
    char *error;                // our own error (unanswered check)
    pk_check_result_t r;
} s_item_t;

typedef struct {
    zsock_t *pipe, *dealer;
    pk_versions_t *versions;
    pk_webhooks_t *webhooks;    // the webhook tokens of the resources checked here
    char *name;
    int64_t check_timeout_ms, grace_ms, first_max_ms;
    zhash_t *pipelines;         // name -> zhash (canonical -> s_res_t)
    s_slot_t *heap;
    size_t heap_n, heap_cap;
    uint64_t seq, rng;
    uint64_t inflight, checks, failures, news, ignored;
    s_item_t batch[S_BATCH_MAX];
    size_t batch_n;
    int64_t flush_at;           // when the batch is stored
    int64_t hello_at;
    msgpack_sbuffer scratch;
} s_checker_t;

// --- the heap: earliest due first

static void
s_heap_set(s_checker_t *self, size_t i, s_slot_t slot)
{
    self->heap[i] = slot;
    slot.res->heap_at = i;
}

static void
s_heap_up(s_checker_t *self, size_t i)
{
    s_slot_t slot = self->heap[i];
    while (i > 0 && slot.due < self->heap[(i - 1) / 2].due) {
        s_heap_set(self, i, self->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    s_heap_set(self, i, slot);
}

static void
s_heap_down(s_checker_t *self, size_t i)
{
    s_slot_t slot = self->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= self->heap_n)
            break;
        if (c + 1 < self->heap_n && self->heap[c + 1].due < self->heap[c].due)
            c++;
        if (self->heap[c].due >= slot.due)
            break;
        s_heap_set(self, i, self->heap[c]);
        i = c;
    }
    s_heap_set(self, i, slot);
}

static void
s_heap_remove(s_checker_t *self, s_res_t *r)
{
    size_t i = r->heap_at;
    if (i == S_NOT_IN_HEAP)
        return;
    r->heap_at = S_NOT_IN_HEAP;
    s_slot_t last = self->heap[--self->heap_n];
    if (i == self->heap_n)
        return;
    s_heap_set(self, i, last);
    s_heap_up(self, i);
    s_heap_down(self, last.res->heap_at);
}

// Put r in the heap at due (or move it there).
static void
s_schedule(s_checker_t *self, s_res_t *r, int64_t due)
{
    r->due = due;
    if (r->heap_at != S_NOT_IN_HEAP) {
        size_t i = r->heap_at;
        self->heap[i].due = due;
        s_heap_up(self, i);
        s_heap_down(self, r->heap_at);
        return;
    }
    if (self->heap_n == self->heap_cap) {
        self->heap_cap = self->heap_cap ? self->heap_cap * 2 : 64;
        self->heap = realloc(self->heap, self->heap_cap * sizeof(*self->heap));
    }
    s_heap_set(self, self->heap_n++, (s_slot_t) { due, r });
    s_heap_up(self, r->heap_at);
}

// --- time

static uint64_t
s_random(s_checker_t *self)
{
    uint64_t x = self->rng;      // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int64_t
s_random_below(s_checker_t *self, int64_t n)
{
    return n > 0 ? (int64_t) (s_random(self) % (uint64_t) n) : 0;
}

// The shortest gap between two checks of r.
static int64_t
s_gap_ms(const s_res_t *r)
{
    return r->every_ms ? r->every_ms : pk_cron_min_interval_ms(r->cron);
}

// Mono ms of the first cron fire after mono time `after` (INT64_MAX: never).
static int64_t
s_cron_due(const s_res_t *r, int64_t after_mono)
{
    int64_t now_mono = zclock_mono(), now_wall = zclock_time();
    int64_t after_wall = now_wall + (after_mono - now_mono);
    int64_t next = pk_cron_next(r->cron, after_wall / 1000);
    if (next < 0)
        return INT64_MAX;
    return now_mono + (next * 1000 - now_wall) + r->offset_ms;
}

// When the check after one fired at `now` (planned for `base`) is due.
static int64_t
s_next_due(const s_res_t *r, int64_t base, int64_t now)
{
    // a second past the fire it follows: cron fires whole minutes apart, and
    // a wall clock slewed a little behind the monotonic one must not make
    // the same minute fire twice
    if (!r->every_ms)
        return s_cron_due(r, (base > now ? base : now) + 1000);
    if (base + r->every_ms > now)
        return base + r->every_ms;
    // late by more than an interval: skip the missed ones, keep the phase
    return base + ((now - base) / r->every_ms + 1) * r->every_ms;
}

static int64_t
s_first_due(s_checker_t *self, const s_res_t *r, int64_t now, int64_t stored_next_wall)
{
    int64_t wall = zclock_time();
    if (stored_next_wall > wall) {
        // known from before a restart and not yet due: keep its timer
        int64_t stored = now + (stored_next_wall - wall);
        if (r->every_ms && stored <= now + r->every_ms)
            return stored;
        if (!r->every_ms)
            return s_cron_due(r, now);
    }
    int64_t window = s_gap_ms(r);
    if (window > self->first_max_ms)
        window = self->first_max_ms;
    return now + s_random_below(self, window);
}

// --- sending

static void
s_send(s_checker_t *self, pk_msg_t *m)
{
    if (pk_msg_send(zsock_resolve(self->dealer), m) != 0)
        zsys_warning("%s: cannot send %s to the broker", self->name, pk_msg_command(m->type));
}

static void
s_signal_scheduler(s_checker_t *self, const char *what, const s_res_t *r, uint64_t first,
                   uint64_t last)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = "scheduler";
    m.signal.what = (char *) what;
    if (r) {
        char a[24], b[24];
        snprintf(a, sizeof a, "%" PRIu64, first);
        snprintf(b, sizeof b, "%" PRIu64, last);
        pk_kv_set(&m.signal.args, "pipeline", r->pipeline);
        pk_kv_set(&m.signal.args, "resource", r->canonical);
        pk_kv_set(&m.signal.args, "first_id", a);
        pk_kv_set(&m.signal.args, "last_id", b);
    }
    s_send(self, &m);
    m.signal.to = m.signal.what = NULL;
    pk_msg_clear(&m);
}

static void
s_pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
s_event(s_checker_t *self, const char *topic, const s_res_t *r, const char *error, bool ok,
        uint64_t first, uint64_t last)
{
    msgpack_sbuffer_clear(&self->scratch);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &self->scratch, msgpack_sbuffer_write);
    bool checked = !strcmp(topic, "resource.checked");
    msgpack_pack_map(&pk, checked ? (error ? 5 : 4) : 4);
    s_pack_str(&pk, "pipeline");
    s_pack_str(&pk, r->pipeline);
    s_pack_str(&pk, "resource");
    s_pack_str(&pk, r->canonical);
    if (checked) {
        s_pack_str(&pk, "ok");
        ok ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
        s_pack_str(&pk, "checked_ms");
        msgpack_pack_int64(&pk, zclock_time());
        if (error) {
            s_pack_str(&pk, "error");
            s_pack_str(&pk, error);
        }
    }
    else {
        s_pack_str(&pk, "first_id");
        msgpack_pack_uint64(&pk, first);
        s_pack_str(&pk, "last_id");
        msgpack_pack_uint64(&pk, last);
    }
    pk_msg_t m = { .type = PK_MSG_EVENT };
    m.event.topic = (char *) topic;
    m.event.body.data = (uint8_t *) self->scratch.data;
    m.event.body.size = self->scratch.size;
    s_send(self, &m);
}

static char *
s_work_id(const s_res_t *r, uint64_t seq)
{
    size_t len = strlen(r->pipeline) + strlen(r->canonical) + 32;
    char *id = malloc(len);
    snprintf(id, len, "check:%s/%s:%" PRIu64, r->pipeline, r->canonical, seq);
    return id;
}

static void
s_cancel(s_checker_t *self, s_res_t *r, const char *reason)
{
    char *id = s_work_id(r, r->seq);
    pk_msg_t m = { .type = PK_MSG_CANCEL };
    m.cancel.id = id;
    m.cancel.attempt = 1;
    m.cancel.reason = (char *) reason;
    s_send(self, &m);
    free(id);
}

// Send r's check now.
static void
s_fire(s_checker_t *self, s_res_t *r, int64_t now)
{
    int64_t base = r->manual ? now : r->due;
    r->manual = false;
    r->seq = ++self->seq;
    r->next_due = s_next_due(r, base, now);
    self->inflight++;
    // the plan plus "version": one more map entry, appended after the others
    msgpack_sbuffer_clear(&self->scratch);
    const uint8_t *plan = r->plan;
    size_t plan_size = r->plan_size;
    if (r->version) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &self->scratch, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, r->plan_n + 1);
        msgpack_sbuffer_write(&self->scratch, (const char *) r->plan + r->plan_hdr,
                              r->plan_size - r->plan_hdr);
        s_pack_str(&pk, "version");
        msgpack_sbuffer_write(&self->scratch, (const char *) r->version, r->version_size);
        plan = (const uint8_t *) self->scratch.data;
        plan_size = self->scratch.size;
    }
    char *id = s_work_id(r, r->seq);
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = id;
    m.work.attempt = 1;
    m.work.kind = "check";
    m.work.tags = r->tags;
    m.work.timeout_ms = (uint64_t) r->timeout_ms;
    m.work.plan.data = (uint8_t *) plan;
    m.work.plan.size = plan_size;
    s_send(self, &m);
    free(id);
    s_schedule(self, r, now + r->timeout_ms + self->grace_ms);
}

// --- results

static s_res_t *
s_lookup(s_checker_t *self, const char *pipeline, const char *canonical)
{
    zhash_t *set = zhash_lookup(self->pipelines, pipeline);
    return set ? zhash_lookup(set, canonical) : NULL;
}

// The check ended (answered, or given up on): free the slot, plan the next.
static void
s_landed(s_checker_t *self, s_res_t *r, int64_t now)
{
    r->seq = 0;
    self->inflight--;
    self->checks++;
    if (r->again) {
        r->again = false;
        r->manual = true;
        s_schedule(self, r, now);       // fired right after the batch is stored
    }
    else
        s_schedule(self, r, r->next_due > now ? r->next_due : now);
}

static s_item_t *
s_batch_add(s_checker_t *self, s_res_t *r)
{
    if (!self->batch_n)
        self->flush_at = zclock_mono() + S_FLUSH_MS;
    r->pending = true;
    s_item_t *it = &self->batch[self->batch_n++];
    memset(it, 0, sizeof(*it));
    it->res = r;
    it->r.pipeline = r->pipeline;
    it->r.resource = r->canonical;
    it->r.checked_ms = zclock_time();
    return it;
}

static void
s_flush(s_checker_t *self)
{
    if (!self->batch_n)
        return;
    int64_t now = zclock_mono(), wall = zclock_time();
    pk_check_result_t results[S_BATCH_MAX];
    for (size_t i = 0; i < self->batch_n; i++) {
        s_item_t *it = &self->batch[i];
        s_res_t *r = it->res;
        int64_t due = r->due == INT64_MAX ? 0 : wall + (r->due - now);
        it->r.next_check_ms = due > 0 ? due : 0;
        results[i] = it->r;
    }
    bool stored = pk_versions_record(self->versions, results, self->batch_n) == 0;
    if (!stored)
        zsys_error("%s: cannot store %zu check results: %s", self->name, self->batch_n,
                   pk_store_error());
    for (size_t i = 0; i < self->batch_n; i++) {
        s_item_t *it = &self->batch[i];
        pk_check_result_t *res = &results[i];
        s_res_t *r = it->res;
        r->pending = false;
        const char *error = res->rejected[0] ? res->rejected : it->r.error;
        if (error)
            self->failures++;
        if (stored) {
            if (res->current.id) {
                free(r->version);
                r->version = res->current.data;
                r->version_size = res->current.size;
                res->current.data = NULL;
            }
            if (error)
                s_event(self, "resource.checked", r, error, false, 0, 0);
            else
            if (res->error_cleared)
                s_event(self, "resource.checked", r, NULL, true, 0, 0);
            if (res->first_new) {
                self->news += res->last_new - res->first_new + 1;
                s_event(self, "resource.versions", r, NULL, true, res->first_new, res->last_new);
                s_signal_scheduler(self, "versions.new", r, res->first_new, res->last_new);
            }
        }
        pk_version_clear(&res->current);
        if (it->has_msg)
            pk_msg_clear(&it->msg);
        free(it->error);
        // a check asked for while this one ran goes now, ahead of the backlog
        if (r->manual && r->seq == 0 && r->due <= now)
            s_fire(self, r, now);
    }
    self->batch_n = 0;
}

// Work ids are "check:<pipeline>/<canonical>:<seq>"; canonical has no '/'.
static s_res_t *
s_res_of_id(s_checker_t *self, const char *id, uint64_t *seq_out)
{
    if (strncmp(id, "check:", 6))
        return NULL;
    const char *colon = strrchr(id, ':');
    char *end;
    uint64_t seq = strtoull(colon + 1, &end, 10);
    if (colon < id + 6 || *end || !seq)
        return NULL;
    char *key = strndup(id + 6, (size_t) (colon - id - 6));
    char *slash = strrchr(key, '/');
    s_res_t *r = NULL;
    if (slash) {
        *slash = 0;
        r = s_lookup(self, key, slash + 1);
    }
    free(key);
    *seq_out = seq;
    return r;
}

static void
s_on_versions(s_checker_t *self, pk_msg_t *m)
{
    uint64_t seq = 0;
    s_res_t *r = s_res_of_id(self, m->versions.id, &seq);
    if (!r || r->seq != seq || m->versions.attempt != 1) {
        self->ignored++;            // stale, or a resource no longer checked
        pk_msg_clear(m);
        return;
    }
    int64_t now = zclock_mono();
    s_landed(self, r, now);
    // the broker's answer, not a runner's: the check never ran to the end
    // (its worker was lost). Recorded like any failure, and checked again
    // soon rather than an interval later.
    if (m->versions.error && m->versions.resource && !*m->versions.resource
        && r->due > now + S_REQUEUE_MS)
        s_schedule(self, r, now + S_REQUEUE_MS);
    s_item_t *it = s_batch_add(self, r);
    it->msg = *m;
    it->has_msg = true;
    it->r.versions = it->msg.versions.versions.data;
    it->r.versions_size = it->msg.versions.versions.size;
    it->r.error = it->msg.versions.error;
    it->r.output = it->msg.versions.output;
    if (self->batch_n == S_BATCH_MAX)
        s_flush(self);
}

// r's check has not been answered within its timeout and grace.
static void
s_give_up(s_checker_t *self, s_res_t *r, int64_t now)
{
    s_cancel(self, r, "no answer in time");
    char *d = pk_duration_format(r->timeout_ms + self->grace_ms);
    char buf[128];
    snprintf(buf, sizeof buf, "no answer to the check within %s", d ? d : "?");
    free(d);
    s_landed(self, r, now);
    s_item_t *it = s_batch_add(self, r);
    it->error = strdup(buf);
    it->r.error = it->error;
    if (self->batch_n == S_BATCH_MAX)
        s_flush(self);
}

// --- the set of checked resources

static void
s_res_destroy(s_res_t **r_p)
{
    s_res_t *r = *r_p;
    if (!r)
        return;
    free(r->pipeline);
    free(r->canonical);
    free(r->interval);
    pk_cron_destroy(&r->cron);
    for (size_t i = 0; i < r->tags.count; i++)
        free(r->tags.items[i]);
    free(r->tags.items);
    free(r->plan);
    free(r->version);
    free(r);
    *r_p = NULL;
}

// Unschedule (cancelling a check in flight) and free.
static void
s_res_drop(s_checker_t *self, s_res_t *r)
{
    if (r->seq) {
        s_cancel(self, r, "resource no longer checked");
        self->inflight--;
    }
    s_heap_remove(self, r);
    s_res_destroy(&r);
}

static void
s_pipeline_free(void *item)
{
    zhash_t *set = item;
    zhash_destroy(&set);
}

// The plan packed without "version" and with a timeout; -1 if not an object.
static int
s_set_plan(s_checker_t *self, s_res_t *r, const pk_value_t *plan)
{
    if (pk_value_kind(plan) != PK_V_OBJECT)
        return -1;
    pk_value_t *copy = pk_value_new_object();
    for (size_t i = 0; i < pk_value_len(plan); i++)
        if (strcmp(pk_value_object_key(plan, i), "version"))
            pk_value_object_set(copy, pk_value_object_key(plan, i),
                                pk_value_dup(pk_value_object_at(plan, i)));
    const pk_value_t *t = pk_value_object_get(copy, "timeout_ms");
    double ms = t && pk_value_kind(t) == PK_V_NUMBER ? pk_value_number(t) : 0;
    if (!(ms >= 1))
        ms = (double) self->check_timeout_ms;
    r->timeout_ms = ms < S_TIMEOUT_MAX_MS ? (int64_t) ms : S_TIMEOUT_MAX_MS;
    pk_value_object_set(copy, "timeout_ms", pk_value_new_number((double) r->timeout_ms));
    free(r->plan);
    pk_value_pack_bytes(copy, &r->plan, &r->plan_size);
    // msgpack's map header: fixmap, map16 or map32 by the entry count
    r->plan_n = (uint32_t) pk_value_len(copy);
    r->plan_hdr = r->plan_n < 16 ? 1 : r->plan_n < 65536 ? 3 : 5;
    pk_value_destroy(&copy);
    return 0;
}

static int
s_set_interval(s_checker_t *self, s_res_t *r, const char *text, char **err)
{
    pk_cron_t *cron = pk_cron_new(text, err);
    if (!cron)
        return -1;
    pk_cron_destroy(&r->cron);
    r->cron = cron;
    free(r->interval);
    r->interval = strdup(text);
    r->every_ms = pk_cron_is_every(cron) ? pk_cron_every_ms(cron) : 0;
    int64_t spread = pk_cron_min_interval_ms(cron) / 4;
    if (spread > self->first_max_ms)
        spread = self->first_max_ms;
    r->offset_ms = r->every_ms ? 0 : s_random_below(self, spread);
    return 0;
}

static void
s_set_tags(s_res_t *r, const pk_value_t *tags)
{
    for (size_t i = 0; i < r->tags.count; i++)
        free(r->tags.items[i]);
    free(r->tags.items);
    memset(&r->tags, 0, sizeof r->tags);
    for (size_t i = 0; pk_value_kind(tags) == PK_V_LIST && i < pk_value_len(tags); i++) {
        const pk_value_t *t = pk_value_list_at(tags, i);
        if (pk_value_kind(t) == PK_V_STRING)
            pk_strs_push(&r->tags, pk_value_string(t));
    }
}

// A new resource: its current version and stored next check (read in txn),
// then its timer.
static void
s_res_start(s_checker_t *self, pk_store_txn_t *txn, s_res_t *r, int64_t now)
{
    pk_resource_state_t st;
    int64_t stored_next = 0;
    if (txn && pk_versions_state(self->versions, txn, r->pipeline, r->canonical, &st) == 0) {
        stored_next = st.next_check_ms;
        pk_version_t v;
        if (st.current_id && pk_versions_get(self->versions, txn, r->pipeline, r->canonical,
                                             st.current_id, &v) == 0) {
            r->version = v.data;
            r->version_size = v.size;
        }
        pk_resource_state_clear(&st);
    }
    s_schedule(self, r, s_first_due(self, r, now, stored_next));
}

// Detach r from a pipeline's set without freeing it.
static void
s_detach(zhash_t *set, const char *canonical)
{
    zhash_freefn(set, canonical, NULL);
    zhash_delete(set, canonical);
}

static void
s_drop_all(s_checker_t *self, zhash_t *set)
{
    for (s_res_t *r = zhash_first(set); r; r = zhash_next(set))
        s_res_drop(self, r);
}

static void s_webhooks_ensure(s_checker_t *self, const char *pipeline, zhash_t *set);

static void
s_pipeline_set(s_checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    pk_value_t *list = m->signal.body.data
                     ? pk_value_unpack(m->signal.body.data, m->signal.body.size) : NULL;
    if (!pipeline || !*pipeline || strchr(pipeline, '/') || pk_value_kind(list) != PK_V_LIST) {
        zsys_warning("%s: pipeline.set without a pipeline name or a list of resources", self->name);
        self->ignored++;
        pk_value_destroy(&list);
        return;
    }
    zhash_t *old = zhash_lookup(self->pipelines, pipeline);
    zhash_t *set = zhash_new();
    int64_t now = zclock_mono();
    // one snapshot for every new resource's stored state
    pk_store_txn_t *txn = pk_store_begin(pk_versions_store(self->versions), false);
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *e = pk_value_list_at(list, i);
        const char *canonical = pk_plan_str(e, "canonical", NULL);
        const char *interval = pk_plan_str(e, "check_interval", S_DEFAULT_INTERVAL);
        const pk_value_t *plan = pk_plan_object(e, "plan");
        if (!canonical || !*canonical || strchr(canonical, '/') || !plan
            || zhash_lookup(set, canonical)) {
            zsys_warning("%s: pipeline %s: resource %zu has no canonical name or plan, "
                         "or comes twice", self->name, pipeline, i);
            self->ignored++;
            continue;
        }
        s_res_t *r = old ? zhash_lookup(old, canonical) : NULL;
        bool fresh = !r;
        if (r)
            s_detach(old, canonical);
        else {
            r = calloc(1, sizeof(*r));
            r->pipeline = strdup(pipeline);
            r->canonical = strdup(canonical);
            r->heap_at = S_NOT_IN_HEAP;
        }
        bool changed = !r->interval || strcmp(r->interval, interval);
        char *err = NULL;
        if (changed && s_set_interval(self, r, interval, &err) != 0) {
            zsys_warning("%s: %s/%s: %s", self->name, pipeline, canonical, err);
            free(err);
            self->ignored++;
            changed = false;
            if (fresh) {
                s_res_destroy(&r);
                continue;
            }
        }
        s_set_plan(self, r, plan);
        s_set_tags(r, pk_plan_list(e, "tags"));
        zhash_insert(set, canonical, r);
        if (fresh)
            s_res_start(self, txn, r, now);
        else
        if (changed && !r->seq)
            s_schedule(self, r, s_first_due(self, r, now, 0));
        else
        if (changed)
            r->next_due = s_next_due(r, now, now);
    }
    pk_store_abort(&txn);
    if (old)
        s_drop_all(self, old);
    zhash_update(self->pipelines, pipeline, set);
    zhash_freefn(self->pipelines, pipeline, s_pipeline_free);
    pk_value_destroy(&list);
    s_webhooks_ensure(self, pipeline, set);
}

static void
s_pipeline_remove(s_checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *purge = pk_kv_get(&m->signal.args, "purge");
    zhash_t *set = pipeline ? zhash_lookup(self->pipelines, pipeline) : NULL;
    if (set) {
        s_drop_all(self, set);
        zhash_delete(self->pipelines, pipeline);
    }
    if (pipeline && purge && !strcmp(purge, "true")
        && (pk_versions_purge(self->versions, pipeline, NULL) != 0
            || pk_webhooks_purge(self->webhooks, pipeline) != 0))
        zsys_error("%s: cannot purge pipeline %s: %s", self->name, pipeline, pk_store_error());
}

// A signal that carries `ref` came from control, which waits for this
// SIGNAL{to "control", what "reply", args {ref, ok, error}} (CONTRACT.md).
static void
s_reply_control(s_checker_t *self, pk_msg_t *m, const char *error)
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
    s_send(self, &r);
    r.signal.to = r.signal.what = NULL;
    pk_msg_clear(&r);
}

// Why pipeline/resource cannot be checked now, with a "did you mean" among
// the resources it does check (caller frees).
static char *
s_not_checked(s_checker_t *self, const char *pipeline, const char *resource)
{
    zhash_t *set = pipeline ? zhash_lookup(self->pipelines, pipeline) : NULL;
    char *msg = NULL;
    if (!pipeline || !resource)
        msg = strdup("check.now needs a pipeline and a resource");
    else
    if (!set && asprintf(&msg, "pipeline \"%s\" has no checked resources", pipeline) < 0)
        msg = NULL;
    else
    if (set) {
        zlist_t *keys = zhash_keys(set);
        const char **cands = calloc(zlist_size(keys) + 1, sizeof *cands);
        size_t n = 0;
        for (const char *k = zlist_first(keys); k; k = zlist_next(keys))
            cands[n++] = k;
        const char *near = pk_suggest(resource, cands);
        if (asprintf(&msg, "resource \"%s\" of pipeline \"%s\" is not checked (no job gets "
                     "it)%s%s%s", resource, pipeline, near ? " (did you mean \"" : "",
                     near ? near : "", near ? "\"?)" : "") < 0)
            msg = NULL;
        free(cands);
        zlist_destroy(&keys);
    }
    return msg;
}

static void
s_check_now(s_checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    s_res_t *r = pipeline && resource ? s_lookup(self, pipeline, resource) : NULL;
    if (!r) {
        zsys_warning("%s: check.now: %s/%s is not checked", self->name,
                     pipeline ? pipeline : "?", resource ? resource : "?");
        self->ignored++;
        char *why = s_not_checked(self, pipeline, resource);
        s_reply_control(self, m, why ? why : "not checked");
        free(why);
        return;
    }
    s_reply_control(self, m, NULL);
    if (r->seq)
        r->again = true;
    else {
        r->manual = true;
        s_fire(self, r, zclock_mono());
    }
}

// --- webhook tokens (store/pk_webhooks.h) and counters for the http face

// Every resource of a pipeline set has a token from the moment it is
// checked; a resource set again keeps its token (even after a restart).
static void
s_webhooks_ensure(s_checker_t *self, const char *pipeline, zhash_t *set)
{
    zlist_t *keys = zhash_keys(set);
    const char **names = calloc(zlist_size(keys) + 1, sizeof *names);
    size_t n = 0;
    for (const char *k = zlist_first(keys); k; k = zlist_next(keys))
        names[n++] = k;
    if (pk_webhooks_ensure(self->webhooks, pipeline, names, n) < 0)
        zsys_error("%s: cannot store the webhook tokens of %s: %s", self->name, pipeline,
                   pk_store_error());
    free(names);
    zlist_destroy(&keys);
}

// The reply to control carrying a body (s_reply_control has none).
static void
s_reply_body(s_checker_t *self, pk_msg_t *m, const char *error, const pk_value_t *body)
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
    s_send(self, &r);
    r.signal.to = r.signal.what = NULL;
    pk_msg_clear(&r);
}

// webhook.tokens {pipeline} -> {resource: token}; webhook.regenerate
// {pipeline, resource} -> {pipeline, resource, token}; webhook.resolve
// {token} -> {pipeline, resource} (refused alike for a token that is
// unknown, malformed or of a resource no longer checked); stats -> the
// STATS counters and lag_ms, how late the most overdue check is.
static void
s_on_webhook(s_checker_t *self, pk_msg_t *m)
{
    const char *what = m->signal.what;
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    pk_value_t *body = pk_value_new_object();
    char *error = NULL, *token = NULL, *p = NULL, *r = NULL;
    if (!strcmp(what, "stats")) {
        int64_t now = zclock_mono(), lag = 0;
        if (self->heap_n && !self->heap[0].res->seq && self->heap[0].due < now)
            lag = now - self->heap[0].due;
        const char *keys[] = { "scheduled", "inflight", "checks", "failures", "new_versions",
                               "ignored", "lag_ms" };
        double vals[] = { (double) self->heap_n, (double) self->inflight, (double) self->checks,
                          (double) self->failures, (double) self->news, (double) self->ignored,
                          (double) lag };
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
            pk_value_object_set(body, keys[i], pk_value_new_number(vals[i]));
    }
    else
    if (!strcmp(what, "webhook.tokens")) {
        zhash_t *set = pipeline ? zhash_lookup(self->pipelines, pipeline) : NULL;
        for (s_res_t *res = set ? zhash_first(set) : NULL; res; res = zhash_next(set))
            if (pk_webhooks_get(self->webhooks, pipeline, res->canonical, &token) == 0) {
                pk_value_object_set(body, res->canonical, pk_value_new_string(token));
                zstr_free(&token);
            }
    }
    else
    if (!strcmp(what, "webhook.regenerate")) {
        if (!pipeline || !resource || !s_lookup(self, pipeline, resource))
            error = s_not_checked(self, pipeline, resource);
        else
        if (pk_webhooks_regenerate(self->webhooks, pipeline, resource, &token) != 0)
            error = strdup("cannot store the new webhook token");
        else {
            zsys_info("%s: %s/%s: new webhook token", self->name, pipeline, resource);
            pk_value_object_set(body, "pipeline", pk_value_new_string(pipeline));
            pk_value_object_set(body, "resource", pk_value_new_string(resource));
            pk_value_object_set(body, "token", pk_value_new_string(token));
        }
    }
    else
    if (!strcmp(what, "webhook.resolve")) {
        const char *t = pk_kv_get(&m->signal.args, "token");
        if (pk_webhooks_find(self->webhooks, t, &p, &r) != 0 || !s_lookup(self, p, r))
            error = strdup("unknown webhook token");
        else {
            pk_value_object_set(body, "pipeline", pk_value_new_string(p));
            pk_value_object_set(body, "resource", pk_value_new_string(r));
        }
    }
    else {
        zsys_warning("%s: unknown signal \"%s\"", self->name, what);
        self->ignored++;
        error = strdup("unknown webhook operation");
    }
    s_reply_body(self, m, error ? error : NULL, error ? NULL : body);
    free(error);
    free(token);
    free(p);
    free(r);
    pk_value_destroy(&body);
}

static void
s_on_signal(s_checker_t *self, pk_msg_t *m)
{
    if (!strcmp(m->signal.what, "pipeline.set"))
        s_pipeline_set(self, m);
    else
    if (!strcmp(m->signal.what, "pipeline.remove"))
        s_pipeline_remove(self, m);
    else
    if (!strcmp(m->signal.what, "check.now"))
        s_check_now(self, m);
    else
    if (!strncmp(m->signal.what, "webhook.", 8) || !strcmp(m->signal.what, "stats"))
        s_on_webhook(self, m);
    else {
        zsys_warning("%s: unknown signal \"%s\"", self->name, m->signal.what);
        self->ignored++;
    }
}

// --- the loop

static void
s_on_broker(s_checker_t *self)
{
    for (int n = 0; n < 4 * S_BATCH_MAX; n++) {
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
            s_on_versions(self, &m);
            continue;
        }
        if (m.type == PK_MSG_SIGNAL) {
            s_flush(self);              // results refer to resources a signal may remove
            s_on_signal(self, &m);
        }
        else
        if (m.type != PK_MSG_STARTED)
            self->ignored++;
        pk_msg_clear(&m);
    }
}

static bool
s_on_pipe(s_checker_t *self)
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
s_run(s_checker_t *self)
{
    zmq_pollitem_t items[] = { { zsock_resolve(self->pipe), 0, ZMQ_POLLIN, 0 },
                               { zsock_resolve(self->dealer), 0, ZMQ_POLLIN, 0 } };
    for (;;) {
        int64_t now = zclock_mono();
        int fired = 0;
        while (fired < S_FIRE_MAX && self->heap_n && self->heap[0].due <= now) {
            s_res_t *r = self->heap[0].res;
            if (r->pending) {
                s_flush(self);          // its last answer is stored before it goes again
                continue;
            }
            if (r->seq)
                s_give_up(self, r, now);
            else
                s_fire(self, r, now);
            fired++;
        }
        if (self->batch_n && now >= self->flush_at)
            s_flush(self);
        if (now >= self->hello_at) {
            pk_msg_t h = { .type = PK_MSG_HELLO };
            h.hello.name = self->name;
            h.hello.role = "checker";
            s_send(self, &h);
            self->hello_at = now + S_HELLO_MS;
        }
        int64_t wake = self->hello_at;
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
    s_flush(self);                      // what was answered is kept
}

static void
s_hello(s_checker_t *self)
{
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = self->name;
    h.hello.role = "checker";
    s_send(self, &h);
    self->hello_at = zclock_mono() + S_HELLO_MS;
    s_signal_scheduler(self, "checker.ready", NULL, 0, 0);
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    const pk_checker_config_t *cfg = arg;
    s_checker_t self = { 0 };
    pthread_setname_np(pthread_self(), "pk-checker");     // for top -H and benchmarks
    self.pipe = pipe;
    self.name = strdup(cfg->name && *cfg->name ? cfg->name : "checker");
    self.check_timeout_ms = cfg->check_timeout_ms > 0 ? cfg->check_timeout_ms : 5 * 60 * 1000;
    self.grace_ms = cfg->answer_grace_ms > 0 ? cfg->answer_grace_ms : 30 * 1000;
    self.first_max_ms = cfg->first_check_max_ms > 0 ? cfg->first_check_max_ms : 10 * 1000;
    self.seq = (uint64_t) zclock_time() * 1000;     // a restarted checker's ids are new
    self.rng = ((uint64_t) zclock_time() << 20) ^ (uint64_t) getpid() ^ (uint64_t) (uintptr_t) &self;
    if (!self.rng)
        self.rng = 1;
    msgpack_sbuffer_init(&self.scratch);
    char *err = NULL;
    self.versions = pk_versions_new(cfg->store, &err);
    self.webhooks = self.versions ? pk_webhooks_new(cfg->store, &err) : NULL;
    self.dealer = zsock_new(ZMQ_DEALER);
    if (self.dealer) {
        // one check in flight per resource bounds what queues: never drop
        zsock_set_sndhwm(self.dealer, 0);
        zsock_set_rcvhwm(self.dealer, 0);
        zsock_set_rcvtimeo(self.dealer, 0);
        zsock_set_maxmsgsize(self.dealer, PK_MSG_MAX_FRAME + 4096);
    }
    bool ok = self.versions && self.webhooks && self.dealer
           && pk_curve_apply_client(self.dealer, &cfg->curve, &err) == 0
           && zsock_connect(self.dealer, "%s", cfg->endpoint) == 0;
    if (!ok)
        zsys_error("checker: cannot start: %s", err ? err : "cannot connect to the broker");
    free(err);
    zsock_signal(pipe, 0);
    if (ok) {
        self.pipelines = zhash_new();
        s_hello(&self);
        s_run(&self);
        for (zhash_t *set = zhash_first(self.pipelines); set; set = zhash_next(self.pipelines))
            for (s_res_t *r = zhash_first(set); r; r = zhash_next(set))
                s_res_destroy(&r);
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
