// pk_builds_more: the build_steps and pins keyspaces, listings across
// pipelines and jobs, and removing a pipeline (pk_builds.h).
//
// Removal collects the keys first and deletes them after the scan (a scan
// must not modify its keyspace), all in the caller's write transaction, so a
// pipeline disappears whole or not at all.
#include "pk_builds_internal.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

// --- names (pipelines, jobs)

typedef struct {
    char **names;
    size_t count;
    int skip;                   // leading string fields of the key to skip
} s_names_t;

static int
s_name_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_names_t *n = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    for (int i = 0; i < n->skip; i++)
        pk_key_read_str(&r, NULL);
    const char *name = pk_key_read_str(&r, NULL);
    if (pk_key_reader_done(&r) != 0)
        return 0;                       // not a record of this shape: skipped
    n->names = realloc(n->names, (n->count + 1) * sizeof(char *));
    n->names[n->count++] = strdup(name);
    return 0;
}

static int
s_names(pk_builds_t *self, pk_store_txn_t *txn, MDB_dbi dbi, const char *pipeline,
        char ***names_out, size_t *count_out)
{
    *names_out = NULL;
    *count_out = 0;
    pk_key_t k;
    pk_key_init(&k);
    if (pipeline)
        pk_key_str(&k, pipeline);
    s_names_t n = { .skip = pipeline ? 1 : 0 };
    if (builds_scan(self, txn, dbi, &k, false, s_name_one, &n) < 0) {
        pk_builds_names_free(&n.names, n.count);
        return -1;
    }
    *names_out = n.names;
    *count_out = n.count;
    return 0;
}

int
pk_builds_pipelines_list(pk_builds_t *self, pk_store_txn_t *txn, char ***names_out,
                         size_t *count_out)
{
    return s_names(self, txn, self->pipelines, NULL, names_out, count_out);
}

int
pk_builds_jobs_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                    char ***names_out, size_t *count_out)
{
    return s_names(self, txn, self->jobs, pipeline, names_out, count_out);
}

void
pk_builds_names_free(char ***names_p, size_t count)
{
    if (!names_p || !*names_p)
        return;
    for (size_t i = 0; i < count; i++)
        free((*names_p)[i]);
    free(*names_p);
    *names_p = NULL;
}

// --- removal

typedef struct {
    pk_key_t *keys;
    size_t count, cap;          // doubling: a pipeline of 100,000 builds goes in linear time
} s_keys_t;

static int
s_key_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_keys_t *ks = arg;
    if (key_size > PK_KEY_MAX)
        return -1;
    if (ks->count == ks->cap) {
        ks->cap = ks->cap ? ks->cap * 2 : 64;
        ks->keys = realloc(ks->keys, ks->cap * sizeof(pk_key_t));
    }
    pk_key_t *k = &ks->keys[ks->count++];
    pk_key_init(k);
    pk_key_bytes(k, key, key_size);
    return 0;
}

static int
s_del_prefix(pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *prefix)
{
    s_keys_t ks = { 0 };
    int rc = pk_store_scan(txn, dbi, prefix->data, prefix->size, false, s_key_one, &ks) < 0
           ? -1 : 0;
    for (size_t i = 0; i < ks.count && rc == 0; i++)
        if (pk_store_del(txn, dbi, ks.keys[i].data, ks.keys[i].size) < 0)
            rc = -1;
    free(ks.keys);
    return rc;
}

int
pk_builds_pipeline_del(pk_builds_t *self, pk_store_txn_t *txn, const char *name)
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, name);
    if (!pk_key_ok(&k))
        return -1;
    uint64_t life = pk_builds_life(self, txn, name);
    int rc = pk_store_del(txn, self->pipelines, k.data, k.size);
    if (rc != 0)
        return rc;
    if (builds_index_del_pipeline(self, txn, name, life) != 0)
        return -1;
    const MDB_dbi dbis[] = { self->jobs, self->builds, self->steps, self->pins, self->open,
                             self->passed };
    for (size_t i = 0; i < sizeof dbis / sizeof dbis[0]; i++)
        if (s_del_prefix(txn, dbis[i], &k) != 0)
            return -1;
    return 0;
}

// --- builds across a pipeline

typedef struct {
    pk_builds_each_fn *fn;
    void *arg;
    int failed;
} s_each_t;

static int
s_each_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    s_each_t *e = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    pk_key_read_str(&r, NULL);
    const char *job = pk_key_read_str(&r, NULL);
    pk_build_t b = { 0 };
    if (!job || builds_decode(value, value_size, builds_build_field, &b) != 0) {
        pk_build_clear(&b);
        e->failed = 1;
        return -1;
    }
    if (!b.status)
        b.status = strdup("pending");
    int rc = e->fn(job, &b, e->arg);
    pk_build_clear(&b);
    if (rc < 0)
        e->failed = 1;
    return rc;
}

int
pk_builds_each(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
               pk_builds_each_fn *fn, void *arg)
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, pipeline);
    s_each_t e = { fn, arg, 0 };
    int64_t rc = builds_scan(self, txn, self->builds, &k, false, s_each_one, &e);
    return rc < 0 || e.failed ? -1 : 0;
}

typedef struct {
    uint32_t retry;
    bool found;
} s_last_t;

static int
s_last_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_last_t *l = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    pk_key_read_str(&r, NULL);
    pk_key_read_str(&r, NULL);
    pk_key_read_u64(&r);
    l->retry = pk_key_read_u32(&r);
    l->found = pk_key_reader_done(&r) == 0;
    return 1;
}

int
pk_builds_last_retry(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *job, uint64_t number, uint32_t *retry_out)
{
    pk_key_t k;
    builds_job_key(&k, pipeline, job);
    pk_key_u64(&k, number);
    s_last_t l = { 0, false };
    if (builds_scan(self, txn, self->builds, &k, true, s_last_one, &l) < 0)
        return -1;
    if (!l.found)
        return PK_STORE_NOTFOUND;
    *retry_out = l.retry;
    return 0;
}

// --- build steps

static void
s_step_key(pk_key_t *k, const char *pipeline, const char *job, uint64_t number,
           uint32_t retry, uint32_t step)
{
    builds_build_key(k, pipeline, job, number, retry);
    pk_key_u32(k, step);
}

int
pk_builds_step_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *job, uint64_t number, uint32_t retry, const pk_build_step_t *s)
{
    pk_key_t k;
    s_step_key(&k, pipeline, job, number, retry, s->step);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    builds_pack_str(&pk, "step");
    msgpack_pack_uint32(&pk, s->step);
    builds_pack_str(&pk, "kind");
    builds_pack_str(&pk, s->kind);
    builds_pack_str(&pk, "name");
    builds_pack_str(&pk, s->name);
    builds_pack_str(&pk, "status");
    builds_pack_str(&pk, s->status);
    builds_pack_str(&pk, "message");
    builds_pack_str(&pk, s->message);
    builds_pack_str(&pk, "exit_code");
    msgpack_pack_int64(&pk, s->exit_code);
    builds_pack_str(&pk, "started_ms");
    msgpack_pack_int64(&pk, s->started_ms);
    builds_pack_str(&pk, "finished_ms");
    msgpack_pack_int64(&pk, s->finished_ms);
    return builds_write(txn, self->steps, &k, &sb);
}

static void
s_step_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_build_step_t *out = arg;
    if (builds_is(key, "step"))
        out->step = (uint32_t) builds_u64(val);
    else
    if (builds_is(key, "kind") && !out->kind)
        out->kind = builds_dup_str(val);
    else
    if (builds_is(key, "name") && !out->name)
        out->name = builds_dup_str(val);
    else
    if (builds_is(key, "status") && !out->status)
        out->status = builds_dup_str(val);
    else
    if (builds_is(key, "message") && !out->message)
        out->message = builds_dup_str(val);
    else
    if (builds_is(key, "exit_code"))
        out->exit_code = builds_i64(val);
    else
    if (builds_is(key, "started_ms"))
        out->started_ms = builds_i64(val);
    else
    if (builds_is(key, "finished_ms"))
        out->finished_ms = builds_i64(val);
}

int
pk_builds_step_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *job, uint64_t number, uint32_t retry, uint32_t step,
                   pk_build_step_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    s_step_key(&k, pipeline, job, number, retry, step);
    int rc = builds_read(self, txn, self->steps, &k, s_step_field, out);
    if (rc != 0)
        pk_build_step_clear(out);
    return rc;
}

typedef struct {
    pk_build_step_t *items;
    size_t count;
    int failed;
} s_steps_t;

static int
s_steps_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) key;
    (void) key_size;
    s_steps_t *l = arg;
    pk_build_step_t s = { 0 };
    if (builds_decode(value, value_size, s_step_field, &s) != 0) {
        pk_build_step_clear(&s);
        l->failed = 1;
        return -1;
    }
    l->items = realloc(l->items, (l->count + 1) * sizeof(pk_build_step_t));
    l->items[l->count++] = s;
    return 0;
}

int
pk_builds_steps_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *job, uint64_t number, uint32_t retry,
                     pk_build_step_t **items, size_t *count)
{
    *items = NULL;
    *count = 0;
    pk_key_t k;
    builds_build_key(&k, pipeline, job, number, retry);
    s_steps_t l = { 0 };
    if (builds_scan(self, txn, self->steps, &k, false, s_steps_one, &l) < 0 || l.failed) {
        pk_build_steps_free(&l.items, l.count);
        return -1;
    }
    *items = l.items;
    *count = l.count;
    return 0;
}

void
pk_build_step_clear(pk_build_step_t *s)
{
    free(s->kind);
    free(s->name);
    free(s->status);
    free(s->message);
    memset(s, 0, sizeof(*s));
}

void
pk_build_steps_free(pk_build_step_t **items, size_t count)
{
    if (!items || !*items)
        return;
    for (size_t i = 0; i < count; i++)
        pk_build_step_clear(&(*items)[i]);
    free(*items);
    *items = NULL;
}

// --- pins

static void
s_pin_key(pk_key_t *k, const char *pipeline, const char *resource)
{
    pk_key_init(k);
    pk_key_str(k, pipeline);
    pk_key_str(k, resource);
}

static void
s_pin_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    if (builds_is(key, "version_id"))
        *(uint64_t *) arg = builds_u64(val);
}

int
pk_builds_pin_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *resource, uint64_t *version_id)
{
    pk_key_t k;
    s_pin_key(&k, pipeline, resource);
    uint64_t id = 0;
    int rc = builds_read(self, txn, self->pins, &k, s_pin_field, &id);
    if (rc == 0)
        *version_id = id;
    return rc;
}

int
pk_builds_pin_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *resource, uint64_t version_id)
{
    pk_key_t k;
    s_pin_key(&k, pipeline, resource);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    builds_pack_str(&pk, "version_id");
    msgpack_pack_uint64(&pk, version_id);
    builds_pack_str(&pk, "pinned_ms");
    msgpack_pack_int64(&pk, (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    return builds_write(txn, self->pins, &k, &sb);
}

int
pk_builds_pin_del(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *resource)
{
    pk_key_t k;
    s_pin_key(&k, pipeline, resource);
    if (!pk_key_ok(&k))
        return -1;
    return pk_store_del(txn, self->pins, k.data, k.size);
}

typedef struct {
    pk_idmap_t *map;
} s_pins_t;

static int
s_pins_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    s_pins_t *p = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    pk_key_read_str(&r, NULL);
    const char *resource = pk_key_read_str(&r, NULL);
    uint64_t id = 0;
    if (pk_key_reader_done(&r) != 0 || builds_decode(value, value_size, s_pin_field, &id) != 0)
        return -1;
    pk_idmap_set(p->map, resource, id);
    return 0;
}

int
pk_builds_pins_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                    pk_idmap_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, pipeline);
    s_pins_t p = { out };
    if (builds_scan(self, txn, self->pins, &k, false, s_pins_one, &p) < 0) {
        pk_idmap_clear(out);
        return -1;
    }
    return 0;
}
