// checker_retain: the version collector. Each resource keeps its newest
// `keep` versions (--retain-versions); an older one is trimmed unless
//   - a build retention has not trimmed refers to it (builds_uses, kept by
//     the scheduler in the transaction that writes the build: an index, not
//     a question to the scheduler, because only a read inside our own write
//     transaction is exact -- a build the scheduler commits before it is
//     seen, one it commits after cannot be refused by a message already
//     answered -- and it costs one cursor seek per version),
//   - it is pinned, or is the version the next check starts from,
//   - it was found less than a settling time ago (6 collector periods,
//     60 s by default): the scheduler has had no time to handle it yet (a
//     version = "every" build to create, a lost versions.new to reconcile
//     every 5 s). The collector knows this from memory: the newest id it
//     saw a settling time ago; after a restart nothing is trimmed until
//     one settling time has passed.
// Candidates are read in a read transaction; the write transaction checks
// each again (builds and pins may have changed since) and removes at most
// S_BATCH, so the writer is held for a few milliseconds. A run that filled
// its batch asks for another soon, otherwise the period (10 s). Each
// resource has a cursor (retain_after) so runs walk its old versions once
// and start over when they reach the horizon: versions a build held free
// up when retention trims that build.
#include "checker_internal.h"

#define S_BATCH 32              // versions removed per write transaction
#define S_SCAN 64               // candidates read per resource per run

typedef struct {
    checker_res_t *res;
    uint64_t id;
} s_cut_t;

typedef struct {
    checker_t *self;
    s_cut_t cuts[S_BATCH];
    size_t count;
    uint64_t removed, resources;
} s_run_t;

// Whether id may go, read in txn (the write transaction: exact).
static int
s_removable(checker_t *self, pk_store_txn_t *txn, const checker_res_t *r, uint64_t id,
            uint64_t current, bool *ok)
{
    *ok = false;
    uint64_t pin = 0;
    bool used = false;
    if (id == current || id > r->retain_settled)
        return 0;
    int rc = pk_builds_pin_get(self->builds, txn, r->pipeline, r->canonical, &pin);
    if (rc < 0 || pk_builds_version_used(self->builds, txn, r->pipeline, r->canonical, id,
                                         &used) != 0)
        return -1;
    *ok = !used && (rc != 0 || pin != id);
    return 0;
}

// Up to S_SCAN old versions of r that look removable now, into the run.
static void
s_collect(checker_t *self, pk_store_txn_t *txn, checker_res_t *r, s_run_t *run)
{
    pk_resource_state_t st;
    if (pk_versions_state(self->versions, txn, r->pipeline, r->canonical, &st) < 0)
        return;
    uint64_t current = st.current_id, last = st.last_id;
    pk_resource_state_clear(&st);
    int64_t now = zclock_mono();
    if (!r->retain_seen_at)
        r->retain_seen_at = now, r->retain_seen = last;
    else
    if (now - r->retain_seen_at >= 6 * self->retain_every_ms) {
        r->retain_settled = r->retain_seen;   // found at least one settling time ago
        r->retain_seen_at = now, r->retain_seen = last;
    }
    if (!r->retain_settled)
        return;
    uint64_t ids[S_SCAN];
    size_t n = 0;
    if (pk_versions_trim_candidates(self->versions, txn, r->pipeline, r->canonical,
                                    (size_t) self->retain_keep, r->retain_after, ids, S_SCAN,
                                    &n) != 0)
        return;
    if (!n) {
        r->retain_after = 0;            // at the horizon: from the oldest next time
        return;
    }
    size_t i = 0;
    for (; i < n && run->count < S_BATCH; i++) {
        bool ok;
        if (s_removable(self, txn, r, ids[i], current, &ok) != 0)
            return;
        if (ok)
            run->cuts[run->count++] = (s_cut_t) { r, ids[i] };
        r->retain_after = ids[i];
    }
    if (i == n && n < S_SCAN)
        r->retain_after = 0;            // reached the horizon
}

static int
s_trim_txn(pk_store_txn_t *txn, void *arg)
{
    s_run_t *run = arg;
    checker_t *self = run->self;
    run->removed = run->resources = 0;
    const checker_res_t *last = NULL;
    for (size_t i = 0; i < run->count; i++) {
        const s_cut_t *c = &run->cuts[i];
        pk_resource_state_t st;
        bool ok;
        if (pk_versions_state(self->versions, txn, c->res->pipeline, c->res->canonical, &st) < 0)
            return -1;
        uint64_t current = st.current_id;
        pk_resource_state_clear(&st);
        if (s_removable(self, txn, c->res, c->id, current, &ok) != 0)
            return -1;
        if (!ok)
            continue;                   // a build took it meanwhile
        int rc = pk_versions_trim(self->versions, txn, c->res->pipeline, c->res->canonical,
                                  c->id);
        if (rc < 0)
            return -1;
        run->removed += rc == 0;
        run->resources += rc == 0 && c->res != last;
        if (rc == 0)
            last = c->res;
    }
    if (!run->removed)
        return 0;
    pk_versions_retention_t st;
    if (pk_versions_retention_get(self->versions, txn, &st) != 0)
        return -1;
    st = (pk_versions_retention_t) { .at_ms = zclock_time(), .versions = run->removed,
                                     .resources = run->resources,
                                     .total_versions = st.total_versions + run->removed,
                                     .keep = (uint64_t) self->retain_keep };
    return pk_versions_retention_put(self->versions, txn, &st);
}

// One line per sweep (not per batch): what went, and what it cost the writer.
static void
s_log(checker_t *self)
{
    zsys_info("%s: retention: %" PRIu64 " versions trimmed (keeping %d per resource) in %"
              PRIu64 " write transactions of %" PRId64 " us on average, %" PRId64 " us at most",
              self->name, self->retain_sweep, self->retain_keep, self->retain_txns,
              self->retain_txns ? self->retain_sum_us / (int64_t) self->retain_txns : 0,
              self->retain_max_us);
    self->retain_sweep = self->retain_txns = 0;
    self->retain_sum_us = self->retain_max_us = 0;
}

bool
checker_retain_run(checker_t *self)
{
    if (self->retain_keep <= 0)
        return false;
    s_run_t run = { .self = self };
    pk_store_txn_t *txn = pk_store_begin(pk_versions_store(self->versions), false);
    if (!txn)
        return false;
    for (zhash_t *set = zhash_first(self->pipelines); set && run.count < S_BATCH;
         set = zhash_next(self->pipelines))
        for (checker_res_t *r = zhash_first(set); r && run.count < S_BATCH; r = zhash_next(set))
            s_collect(self, txn, r, &run);
    pk_store_abort(&txn);
    if (!run.count) {
        if (self->retain_sweep)
            s_log(self);
        return false;
    }
    int64_t t0 = zclock_usecs();
    if (pk_store_write(pk_versions_store(self->versions), s_trim_txn, &run) != 0) {
        zsys_error("%s: retention: cannot trim versions: %s", self->name, pk_store_error());
        return false;
    }
    int64_t took = zclock_usecs() - t0;
    if (took > self->retain_max_us)
        self->retain_max_us = took;
    self->retain_txns++;
    self->retain_sum_us += took;
    self->retain_total += run.removed;
    self->retain_sweep += run.removed;
    bool full = run.count == S_BATCH;
    if (!full && self->retain_sweep)    // one line per sweep, not per batch
        s_log(self);
    return full;
}
