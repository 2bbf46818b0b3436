// pk_builds_retain: what retention does to the scheduler's keyspaces. A
// trimmed build keeps its row (number, status, times, versions: a summary)
// and loses its step records; its log is the log sink's to delete. The
// collector's last run is recorded in builds_meta "retention" so `pikoci
// store` can show it without asking the scheduler.
#include "pk_builds_internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t (*keys)[PK_KEY_MAX];
    size_t *sizes;
    size_t count, cap;
} s_keys_t;

static int
s_key_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_keys_t *k = arg;
    if (k->count == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        void *keys = realloc(k->keys, cap * sizeof *k->keys);
        if (!keys)
            return -1;
        k->keys = keys;
        size_t *sizes = realloc(k->sizes, cap * sizeof *sizes);
        if (!sizes)
            return -1;
        k->sizes = sizes;
        k->cap = cap;
    }
    memcpy(k->keys[k->count], key, key_size);
    k->sizes[k->count++] = key_size;
    return 0;
}

int
pk_builds_trim(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline, const char *job,
               uint64_t number, uint32_t retry, int64_t now_ms, uint64_t *steps_out)
{
    *steps_out = 0;
    pk_build_t b = { 0 };
    int rc = pk_builds_get(self, txn, pipeline, job, number, retry, &b);
    if (rc != 0) {
        pk_build_clear(&b);
        return rc;
    }
    pk_key_t k;
    builds_build_key(&k, pipeline, job, number, retry);
    s_keys_t keys = { 0 };      // collected first: a scan must not change its keyspace
    rc = pk_store_scan(txn, self->steps, k.data, k.size, false, s_key_one, &keys) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < keys.count; i++)
        rc = pk_store_del(txn, self->steps, keys.keys[i], keys.sizes[i]) < 0 ? -1 : 0;
    *steps_out = keys.count;
    free(keys.keys);
    free(keys.sizes);
    if (rc == 0 && !b.trimmed_ms) {
        b.trimmed_ms = now_ms ? now_ms : 1;
        rc = pk_builds_put(self, txn, pipeline, job, &b);
    }
    pk_build_clear(&b);
    return rc;
}

static void
s_retention_key(pk_key_t *k)
{
    pk_key_init(k);
    pk_key_str(k, "retention");
}

int
pk_builds_retention_put(pk_builds_t *self, pk_store_txn_t *txn, const pk_retention_stats_t *st)
{
    pk_key_t k;
    s_retention_key(&k);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    builds_pack_str(&pk, "at_ms");
    msgpack_pack_int64(&pk, st->at_ms);
    builds_pack_str(&pk, "builds");
    msgpack_pack_uint64(&pk, st->builds);
    builds_pack_str(&pk, "steps");
    msgpack_pack_uint64(&pk, st->steps);
    builds_pack_str(&pk, "logs");
    msgpack_pack_uint64(&pk, st->logs);
    builds_pack_str(&pk, "total_builds");
    msgpack_pack_uint64(&pk, st->total_builds);
    return builds_write(txn, self->meta, &k, &sb);
}

static void
s_retention_field(const msgpack_object *key, const msgpack_object *val, void *out)
{
    pk_retention_stats_t *st = out;
    if (builds_is(key, "at_ms"))
        st->at_ms = builds_i64(val);
    else
    if (builds_is(key, "builds"))
        st->builds = builds_u64(val);
    else
    if (builds_is(key, "steps"))
        st->steps = builds_u64(val);
    else
    if (builds_is(key, "logs"))
        st->logs = builds_u64(val);
    else
    if (builds_is(key, "total_builds"))
        st->total_builds = builds_u64(val);
}

int
pk_builds_retention_get(pk_builds_t *self, pk_store_txn_t *txn, pk_retention_stats_t *st)
{
    memset(st, 0, sizeof *st);
    pk_key_t k;
    s_retention_key(&k);
    int rc = builds_read(self, txn, self->meta, &k, s_retention_field, st);
    return rc == PK_STORE_NOTFOUND ? 0 : rc;
}
