// checker_internal: what the checker's files share. Not a public API:
// pk_checker.h is.
//   checker.c          the actor: loop, pipe commands, messages from the
//                      broker sorted by kind, sends and replies, start-up
//   checker_due.c      when checks are due: the heap of deadlines and the
//                      check_interval arithmetic (phase, cron, first spread)
//   checker_pipes.c    the checked resources: pipeline.set and .remove,
//                      plans, lookups with "did you mean"
//   checker_checks.c   a check's round trip: fired (due, check.now), answered
//                      or given up on, batched, stored, announced
//   checker_puts.c     the versions a put produced, stored like a check's
//   checker_webhooks.c the webhook tokens and the counters for the http face
//   checker_retain.c   the version collector (trims versions past a horizon)
//
// The files share one checker_t and one checker_res_t per resource, not
// copies: the heap slot, the batch item and the pipeline's set all point at
// the same record, which is what lets a check fire with no lookup.
#ifndef CHECKER_INTERNAL_H
#define CHECKER_INTERNAL_H
#include "pk_checker.h"
#include "pk_cron.h"
#include "pk_msg.h"
#include "pk_value.h"
#include "pk_versions.h"
#include "pk_builds.h"
#include "pk_webhooks.h"
#include <inttypes.h>

#define CHECKER_BATCH_MAX 256   // VERSIONS per write transaction
#define CHECKER_FLUSH_MS 10     // default: answers share a commit, one per this many ms
#define CHECKER_NOT_IN_HEAP SIZE_MAX

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
    uint64_t retain_after;      // the collector's cursor: ids at or below were looked at
    uint64_t retain_seen;       // the newest id when the collector last noted it,
    int64_t retain_seen_at;     // at this mono ms (0: not yet)
    uint64_t retain_settled;    // ids at or below were found a settling time ago
} checker_res_t;

typedef struct {
    int64_t due;                // a copy of res->due: the heap walks stay in one array
    checker_res_t *res;
} checker_slot_t;

typedef struct {
    checker_res_t *res;
    pk_msg_t msg;               // the VERSIONS (owns the bytes r points to), or none
    bool has_msg;
    char *error;                // our own error (unanswered check)
    pk_check_result_t r;
} checker_item_t;

typedef struct {
    zsock_t *pipe, *dealer;
    pk_versions_t *versions;
    pk_webhooks_t *webhooks;    // the webhook tokens of the resources checked here
    char *name;
    int64_t check_timeout_ms, grace_ms, first_max_ms, flush_ms;
    zhash_t *pipelines;         // name -> zhash (canonical -> checker_res_t)
    checker_slot_t *heap;
    size_t heap_n, heap_cap;
    uint64_t seq, rng;
    uint64_t inflight, checks, failures, news, ignored;
    checker_item_t batch[CHECKER_BATCH_MAX];
    size_t batch_n;
    int64_t flush_at;           // when the batch is stored
    int64_t flushed_at;         // when the last batch was stored (mono ms)
    int64_t hello_at;
    msgpack_sbuffer scratch;
    int drop_news;              // tests: versions.new signals not to send
    pk_builds_t *builds;        // read only: which versions builds refer to, pins
    int retain_keep;            // versions kept per resource; <= 0: all
    int64_t retain_every_ms, retain_at;     // the collector's period, next run (mono)
    uint64_t retain_total;      // versions trimmed since start
    uint64_t retain_sweep;      // and since the last line logged
    uint64_t retain_txns;       // this sweep's write transactions,
    int64_t retain_sum_us, retain_max_us;   // their time in all and the longest
} checker_t;

// checker.c
void checker_send(checker_t *self, pk_msg_t *m);
// SIGNAL to the scheduler; r NULL: no args (checker.ready).
void checker_signal_scheduler(checker_t *self, const char *what, const checker_res_t *r,
                              uint64_t first, uint64_t last);
void checker_reply_control(checker_t *self, pk_msg_t *m, const char *error,
                           const pk_value_t *body);

// checker_due.c
void checker_schedule(checker_t *self, checker_res_t *r, int64_t due);
void checker_heap_remove(checker_t *self, checker_res_t *r);
// Parses text into r's timer (and its cron offset); -1 with *err (caller frees).
int checker_set_interval(checker_t *self, checker_res_t *r, const char *text, char **err);
int64_t checker_next_due(const checker_res_t *r, int64_t base, int64_t now);
// A new (or re-timed) resource's first check; stored_next_wall 0: none stored.
int64_t checker_first_due(checker_t *self, const checker_res_t *r, int64_t now,
                          int64_t stored_next_wall);

// checker_pipes.c
checker_res_t *checker_lookup(checker_t *self, const char *pipeline, const char *canonical);
char *checker_not_checked(checker_t *self, const char *pipeline, const char *resource);
void checker_res_destroy(checker_res_t **r_p);
void checker_pipeline_set(checker_t *self, pk_msg_t *m);
void checker_pipeline_remove(checker_t *self, pk_msg_t *m);

// checker_checks.c
void checker_fire(checker_t *self, checker_res_t *r, int64_t now);
void checker_cancel(checker_t *self, checker_res_t *r, const char *reason);
void checker_check_now(checker_t *self, pk_msg_t *m);
void checker_on_versions(checker_t *self, pk_msg_t *m);
void checker_give_up(checker_t *self, checker_res_t *r, int64_t now);
// Stores the batch in one write transaction, then tells the bus and the
// scheduler; a no-op when the batch is empty.
void checker_flush(checker_t *self);

// checker_puts.c
void checker_on_put(checker_t *self, pk_msg_t *m);       // put.versions

// checker_retain.c: one run of the version collector; true when it filled
// its batch (more to do soon).
bool checker_retain_run(checker_t *self);

// checker_webhooks.c
void checker_webhooks_ensure(checker_t *self, const char *pipeline, zhash_t *set);
void checker_on_webhook(checker_t *self, pk_msg_t *m);   // webhook.*, stats

#endif
