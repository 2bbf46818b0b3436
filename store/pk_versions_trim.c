// pk_versions_trim: dropping old versions (pk_versions.h). The checker's
// collector (actors/checker_retain.c) picks candidates with
// pk_versions_trim_candidates in a read transaction, then removes the ones
// no build refers to with pk_versions_trim in a short write transaction of
// its own. A trimmed version loses its row and its index entry; ids are
// never given again (last_id stays), so a build summary that names a
// trimmed id can never point at another version.
#include "pk_versions_internal.h"
#include "pk_store_internal.h"
#include <errno.h>
#include <string.h>

static uint64_t
s_tail(const void *key, size_t size)
{
    const uint8_t *p = key;
    uint64_t id = 0;
    for (size_t i = size >= 8 ? size - 8 : size; i < size; i++)
        id = id << 8 | p[i];
    return id;
}

typedef struct {
    size_t seen, keep;
    uint64_t bound;             // the id of the keep-th newest
} s_bound_t;

static int
s_bound_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value, (void) value_size;
    s_bound_t *b = arg;
    if (++b->seen < b->keep)
        return 0;
    b->bound = s_tail(key, key_size);
    return 1;
}

typedef struct {
    uint64_t *ids;
    size_t count, max;
} s_ids_t;

static int
s_id_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value, (void) value_size;
    s_ids_t *l = arg;
    l->ids[l->count++] = s_tail(key, key_size);
    return l->count == l->max ? 1 : 0;
}

int
pk_versions_trim_candidates(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                            const char *resource, size_t keep, uint64_t after, uint64_t *ids,
                            size_t max, size_t *count_out)
{
    *count_out = 0;
    pk_key_t res;
    if (!self || !txn || !ids || !max || versions_res_key(&res, pipeline, resource) != 0) {
        pk_store_fail(EINVAL, "pk_versions_trim_candidates: bad arguments");
        return -1;
    }
    // the newest is always kept, whatever keep says
    s_bound_t b = { 0, keep ? keep : 1, 0 };
    if (pk_store_scan(txn, self->versions, res.data, res.size, true, s_bound_one, &b) < 0)
        return -1;
    if (!b.bound)
        return 0;                       // no more than keep versions
    pk_key_t lo = res, hi = res;
    pk_key_u64(&lo, after + 1);
    pk_key_u64(&hi, b.bound);
    s_ids_t l = { ids, 0, max };
    if (after + 1 < b.bound
        && pk_store_range(txn, self->versions, lo.data, lo.size, hi.data, hi.size, false,
                          s_id_one, &l) < 0)
        return -1;
    *count_out = l.count;
    return 0;
}

int
pk_versions_trim(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                 const char *resource, uint64_t id)
{
    pk_key_t vk;
    if (!self || !txn || versions_res_key(&vk, pipeline, resource) != 0) {
        pk_store_fail(EINVAL, "pk_versions_trim: bad arguments");
        return -1;
    }
    pk_key_t ik = vk;
    pk_key_u64(&vk, id);
    const void *data;
    size_t size;
    int rc = pk_store_get(txn, self->versions, vk.data, vk.size, &data, &size);
    if (rc != 0)
        return rc;
    pk_key_u64(&ik, versions_hash(data, size));
    pk_key_u64(&ik, id);
    if (pk_store_del(txn, self->index, ik.data, ik.size) < 0
        || pk_store_del(txn, self->versions, vk.data, vk.size) < 0)
        return -1;
    return 0;
}

// --- what the last collection removed: versions_meta "retention"

static void
s_stats_key(pk_key_t *k)
{
    pk_key_init(k);
    pk_key_str(k, "retention");
}

static void
s_kv(msgpack_packer *pk, const char *key, uint64_t v)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    msgpack_pack_uint64(pk, v);
}

int
pk_versions_retention_put(pk_versions_t *self, pk_store_txn_t *txn,
                          const pk_versions_retention_t *st)
{
    pk_key_t k;
    s_stats_key(&k);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5);
    s_kv(&pk, "at_ms", (uint64_t) st->at_ms);
    s_kv(&pk, "versions", st->versions);
    s_kv(&pk, "resources", st->resources);
    s_kv(&pk, "total_versions", st->total_versions);
    s_kv(&pk, "keep", st->keep);
    int rc = pk_store_put_msgpack(txn, self->meta, k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

int
pk_versions_retention_get(pk_versions_t *self, pk_store_txn_t *txn,
                          pk_versions_retention_t *st)
{
    memset(st, 0, sizeof *st);
    pk_key_t k;
    s_stats_key(&k);
    bool own = !txn;
    if (own && !(txn = pk_store_begin(self->store, false)))
        return -1;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = pk_store_get_msgpack(txn, self->meta, k.data, k.size, &u);
    if (rc == 0 && u.data.type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < u.data.via.map.size; i++) {
            const msgpack_object_kv *kv = &u.data.via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR
                || kv->val.type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                continue;
            uint64_t v = kv->val.via.u64;
            const char *name = kv->key.via.str.ptr;
            size_t len = kv->key.via.str.size;
#define S_IS(s) (len == strlen(s) && !memcmp(name, s, len))
            if (S_IS("at_ms"))
                st->at_ms = (int64_t) v;
            else
            if (S_IS("versions"))
                st->versions = v;
            else
            if (S_IS("resources"))
                st->resources = v;
            else
            if (S_IS("total_versions"))
                st->total_versions = v;
            else
            if (S_IS("keep"))
                st->keep = v;
#undef S_IS
        }
    msgpack_unpacked_destroy(&u);
    if (own)
        pk_store_abort(&txn);
    return rc == PK_STORE_NOTFOUND ? 0 : rc;
}
