// pk_builds_index: what keeps a year of history cheap (pk_builds.h has the
// keyspaces). Every pk_builds_put updates builds_open (unfinished builds)
// and builds_passed ((resource, version) -> jobs it passed) in the same
// write transaction, so the scheduler's restart, the overview and `passed`
// read what they need instead of every build ever made. Pipeline lives give
// a pipeline set again after a removal work ids (log keys) of its own.
// A store written before the indexes gets them at start, in one
// transaction (pk_builds_migrate).
#include "pk_builds_internal.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_passed_key(pk_key_t *k, const char *pipeline, const char *resource, uint64_t id,
             const char *job)
{
    pk_key_init(k);
    pk_key_str(k, pipeline);
    pk_key_str(k, resource);
    pk_key_u64(k, id);
    if (job)
        pk_key_str(k, job);
}

static const uint8_t s_nil = 0xc0;     // msgpack nil: an index entry's value

int
builds_index_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                 const char *job, const pk_build_t *b)
{
    pk_key_t k;
    builds_build_key(&k, pipeline, job, b->number, b->retry);
    if (!pk_key_ok(&k))
        return -1;
    if (!pk_build_status_terminal(b->status ? b->status : "pending")) {
        if (pk_store_put(txn, self->open, k.data, k.size, &s_nil, 1) != 0)
            return -1;
        return 0;
    }
    if (pk_store_del(txn, self->open, k.data, k.size) < 0)
        return -1;
    if (!pk_build_status_passes(b->status))
        return 0;
    for (size_t i = 0; i < b->versions.count; i++) {
        s_passed_key(&k, pipeline, b->versions.names[i], b->versions.ids[i], job);
        if (!pk_key_ok(&k) || pk_store_put(txn, self->passed, k.data, k.size, &s_nil, 1) != 0)
            return -1;
    }
    return 0;
}

// --- lives

static int
s_life_get(pk_builds_t *self, pk_store_txn_t *txn, const char *name, uint64_t *life)
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, name);
    const void *v;
    size_t size;
    *life = 0;
    int rc = pk_key_ok(&k) ? pk_store_get(txn, self->lives, k.data, k.size, &v, &size) : -1;
    if (rc == 0 && size == 8) {
        const uint8_t *p = v;
        for (int i = 0; i < 8; i++)
            *life = *life << 8 | p[i];
    }
    return rc < 0 ? -1 : 0;
}

static int
s_life_set(pk_builds_t *self, pk_store_txn_t *txn, const char *name, uint64_t life)
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, name);
    uint8_t v[8];
    for (int i = 0; i < 8; i++)
        v[i] = (uint8_t) (life >> (56 - 8 * i));
    return pk_key_ok(&k) ? pk_store_put(txn, self->lives, k.data, k.size, v, 8) : -1;
}

int
builds_life_for_put(pk_builds_t *self, pk_store_txn_t *txn, const char *name, uint64_t *life)
{
    pk_pipeline_rec_t rec;
    int rc = pk_builds_pipeline_get(self, txn, name, &rec);
    if (rc < 0)
        return -1;
    if (rc == 0) {                      // set again: it keeps its life (0: from before lives)
        *life = rec.life;
        pk_pipeline_rec_clear(&rec);
        return 0;
    }
    uint64_t last;
    if (s_life_get(self, txn, name, &last) != 0)
        return -1;
    *life = last + 1;
    return s_life_set(self, txn, name, *life);
}

int
builds_index_del_pipeline(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                          uint64_t life)
{
    uint64_t last;
    if (s_life_get(self, txn, name, &last) != 0)
        return -1;
    // a record from before lives was life 1: the next one must be 2
    return last >= life ? 0 : s_life_set(self, txn, name, life);
}

uint64_t
pk_builds_life(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline)
{
    pk_pipeline_rec_t rec;
    uint64_t life = 1;
    if (pk_builds_pipeline_get(self, txn, pipeline, &rec) == 0) {
        life = rec.life ? rec.life : 1;
        pk_pipeline_rec_clear(&rec);
    }
    return life;
}

char *
pk_builds_work_id(const char *pipeline, uint64_t life, const char *job, uint64_t number,
                  uint32_t retry)
{
    char *num = pk_build_number_str(number, retry), *id = NULL;
    int rc = life > 1 ? asprintf(&id, "build:%s/%s/%s@%" PRIu64, pipeline, job, num, life)
                      : asprintf(&id, "build:%s/%s/%s", pipeline, job, num);
    free(num);
    return rc < 0 ? NULL : id;
}

// --- a page of a job's builds

typedef struct {
    pk_build_t *items;
    size_t count, limit, cap;
    int failed;
} s_page_t;

static int
s_page_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) key;
    (void) key_size;
    s_page_t *l = arg;
    pk_build_t b = { 0 };
    if (builds_decode(value, value_size, builds_build_field, &b) != 0) {
        pk_build_clear(&b);
        l->failed = 1;
        return -1;
    }
    if (!b.status)
        b.status = strdup("pending");
    if (l->count == l->cap) {           // doubling: a page of all is linear
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = realloc(l->items, l->cap * sizeof(pk_build_t));
    }
    l->items[l->count++] = b;
    return l->limit && l->count >= l->limit ? 1 : 0;
}

int
pk_builds_page(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline, const char *job,
               uint64_t before, uint64_t after, size_t limit, pk_build_t **items_out,
               size_t *count_out)
{
    *items_out = NULL;
    *count_out = 0;
    pk_key_t lo, hi;
    builds_job_key(&lo, pipeline, job);
    builds_job_key(&hi, pipeline, job);
    // [job prefix + (after + 1), job prefix + before) or the prefix's end
    pk_key_u64(&lo, after + 1);
    uint8_t end[PK_KEY_MAX];
    size_t hi_size;
    if (before) {
        pk_key_u64(&hi, before);
        hi_size = hi.size;
        memcpy(end, hi.data, hi_size);
    }
    else
        hi_size = pk_key_next_prefix(hi.data, hi.size, end);
    if (!pk_key_ok(&lo) || !pk_key_ok(&hi) || (before && before <= after + 1))
        return before && before <= after + 1 ? 0 : -1;
    pk_store_txn_t *own = NULL;
    if (!txn && !(own = txn = pk_store_begin(self->store, false)))
        return -1;
    s_page_t l = { .limit = limit };
    bool forward = after && !before;
    int64_t rc = pk_store_range(txn, self->builds, lo.data, lo.size, hi_size ? end : NULL,
                                hi_size, !forward, s_page_one, &l);
    if (own)
        pk_store_abort(&own);
    if (rc < 0 || l.failed) {
        pk_builds_list_free(&l.items, l.count);
        return -1;
    }
    for (size_t i = 0; forward && i < l.count / 2; i++) {     // newest first
        pk_build_t t = l.items[i];
        l.items[i] = l.items[l.count - 1 - i];
        l.items[l.count - 1 - i] = t;
    }
    *items_out = l.items;
    *count_out = l.count;
    return 0;
}

// --- unfinished builds

typedef struct {
    pk_builds_t *self;
    pk_store_txn_t *txn;
    pk_builds_open_fn *fn;
    void *arg;
    int failed;
} s_open_t;

static int
s_open_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_open_t *o = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    const char *pipeline = pk_key_read_str(&r, NULL);
    const char *job = pk_key_read_str(&r, NULL);
    uint64_t number = pk_key_read_u64(&r);
    uint32_t retry = pk_key_read_u32(&r);
    if (pk_key_reader_done(&r) != 0)
        return 0;                       // not an entry of ours: skipped
    pk_build_t b;
    int rc = pk_builds_get(o->self, o->txn, pipeline, job, number, retry, &b);
    if (rc == PK_STORE_NOTFOUND)
        return 0;
    if (rc != 0) {
        o->failed = 1;
        return -1;
    }
    rc = pk_build_status_terminal(b.status) ? 0 : o->fn(pipeline, job, &b, o->arg);
    pk_build_clear(&b);
    if (rc < 0)
        o->failed = 1;
    return rc;
}

int
pk_builds_open_each(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                    pk_builds_open_fn *fn, void *arg)
{
    pk_key_t k;
    pk_key_init(&k);
    if (pipeline)
        pk_key_str(&k, pipeline);
    pk_store_txn_t *own = NULL;
    if (!txn && !(own = txn = pk_store_begin(self->store, false)))
        return -1;
    s_open_t o = { self, txn, fn, arg, 0 };
    int64_t rc = pk_key_ok(&k) || !pipeline
               ? pk_store_scan(txn, self->open, k.data, pipeline ? k.size : 0, false,
                               s_open_one, &o)
               : -1;
    if (own)
        pk_store_abort(&own);
    return rc < 0 || o.failed ? -1 : 0;
}

// --- passed

typedef struct {
    const char *const *jobs;
    size_t njobs;
    uint64_t id;                // the version being gathered
    bool *seen;
    uint64_t found;
} s_newest_t;

static bool
s_all(const s_newest_t *n)
{
    for (size_t j = 0; j < n->njobs; j++)
        if (!n->seen[j])
            return false;
    return true;
}

static int
s_newest_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_newest_t *n = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    pk_key_read_str(&r, NULL);
    pk_key_read_str(&r, NULL);
    uint64_t id = pk_key_read_u64(&r);
    const char *job = pk_key_read_str(&r, NULL);
    if (pk_key_reader_done(&r) != 0)
        return 0;
    if (id != n->id) {                  // a new (older) version: the last one fell short
        n->id = id;
        memset(n->seen, 0, n->njobs * sizeof(bool));
    }
    for (size_t j = 0; j < n->njobs; j++)
        if (!strcmp(n->jobs[j], job))
            n->seen[j] = true;
    if (s_all(n)) {
        n->found = id;
        return 1;
    }
    return 0;
}

int
pk_builds_passed_newest(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                        const char *resource, const char *const *jobs, size_t njobs,
                        uint64_t want, uint64_t *id_out)
{
    *id_out = 0;
    if (!njobs)
        return 0;
    pk_key_t k;
    s_passed_key(&k, pipeline, resource, want, NULL);
    if (!want) {                        // the whole resource: drop the id field
        pk_key_init(&k);
        pk_key_str(&k, pipeline);
        pk_key_str(&k, resource);
    }
    if (!pk_key_ok(&k))
        return -1;
    s_newest_t n = { jobs, njobs, 0, calloc(njobs, sizeof(bool)), 0 };
    pk_store_txn_t *own = NULL;
    int64_t rc = -1;
    if (txn || (own = txn = pk_store_begin(self->store, false)))
        rc = pk_store_scan(txn, self->passed, k.data, k.size, true, s_newest_one, &n);
    if (own)
        pk_store_abort(&own);
    free(n.seen);
    if (rc < 0)
        return -1;
    *id_out = n.found;
    return 0;
}

// --- migration (the format upgrade is pk_builds_format.c)

typedef struct {
    pk_builds_t *self;
    pk_store_txn_t *txn;
    uint64_t count;
} s_mig_t;

static int
s_mig_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    s_mig_t *m = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    const char *pipeline = pk_key_read_str(&r, NULL);
    const char *job = pk_key_read_str(&r, NULL);
    pk_build_t b = { 0 };
    if (!pipeline || !job || builds_decode(value, value_size, builds_build_field, &b) != 0) {
        pk_build_clear(&b);
        return 0;                       // unreadable: left out of the indexes
    }
    char *p = strdup(pipeline), *j = strdup(job);   // the scan's key may move under puts
    int rc = builds_index_put(m->self, m->txn, p, j, &b);
    free(p);
    free(j);
    pk_build_clear(&b);
    m->count++;
    return rc < 0 ? -1 : 0;
}

int
builds_index_all(pk_builds_t *self, pk_store_txn_t *txn, uint64_t *count_out)
{
    s_mig_t m = { self, txn, 0 };
    *count_out = 0;
    if (pk_store_scan(txn, self->builds, NULL, 0, false, s_mig_one, &m) < 0)
        return -1;
    *count_out = m.count;
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, "indexes");
    uint8_t one = 1;
    return pk_store_put(txn, self->meta, k.data, k.size, &one, 1);
}
