// pk_builds: the pipelines, jobs and builds keyspaces (pk_builds.h).
//
// Records are msgpack maps packed here field by field and read back by
// walking the map, so an unknown field is skipped and a missing one left at
// zero: the format can grow without a migration.
#include "pk_builds.h"
#include "pk_key.h"
#include <stdlib.h>
#include <string.h>

struct _pk_builds_t {
    pk_store_t *store;
    MDB_dbi pipelines, jobs, builds;
};

pk_builds_t *
pk_builds_new(pk_store_t *store, char **err_out)
{
    pk_builds_t *self = calloc(1, sizeof(*self));
    self->store = store;
    self->pipelines = pk_store_dbi(store, "pipelines");
    self->jobs = pk_store_dbi(store, "jobs");
    self->builds = pk_store_dbi(store, "builds");
    if (self->pipelines == PK_STORE_NO_DBI || self->jobs == PK_STORE_NO_DBI
        || self->builds == PK_STORE_NO_DBI) {
        if (err_out)
            *err_out = strdup(pk_store_error());
        free(self);
        return NULL;
    }
    return self;
}

void
pk_builds_destroy(pk_builds_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

// --- idmap

void
pk_idmap_set(pk_idmap_t *map, const char *name, uint64_t id)
{
    for (size_t i = 0; i < map->count; i++)
        if (!strcmp(map->names[i], name)) {
            map->ids[i] = id;
            return;
        }
    map->names = realloc(map->names, (map->count + 1) * sizeof(char *));
    map->ids = realloc(map->ids, (map->count + 1) * sizeof(uint64_t));
    map->names[map->count] = strdup(name);
    map->ids[map->count++] = id;
}

uint64_t
pk_idmap_get(const pk_idmap_t *map, const char *name)
{
    for (size_t i = 0; i < map->count; i++)
        if (!strcmp(map->names[i], name))
            return map->ids[i];
    return 0;
}

void
pk_idmap_clear(pk_idmap_t *map)
{
    for (size_t i = 0; i < map->count; i++)
        free(map->names[i]);
    free(map->names);
    free(map->ids);
    memset(map, 0, sizeof(*map));
}

bool
pk_idmap_equal(const pk_idmap_t *a, const pk_idmap_t *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        bool found = false;
        for (size_t j = 0; j < b->count && !found; j++)
            found = !strcmp(a->names[i], b->names[j]) && a->ids[i] == b->ids[j];
        if (!found)
            return false;
    }
    return true;
}

// --- packing

static void
s_str(msgpack_packer *pk, const char *s)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static void
s_idmap_pack(msgpack_packer *pk, const pk_idmap_t *map)
{
    msgpack_pack_map(pk, map->count);
    for (size_t i = 0; i < map->count; i++) {
        s_str(pk, map->names[i]);
        msgpack_pack_uint64(pk, map->ids[i]);
    }
}

static char *
s_dup_str(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return strndup(o->via.str.ptr, o->via.str.size);
}

static uint64_t
s_u64(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return o->via.u64;
    return 0;
}

static int64_t
s_i64(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t) o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return 0;
}

static void
s_idmap_read(const msgpack_object *o, pk_idmap_t *map)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        char *name = s_dup_str(&kv->key);
        if (name)
            pk_idmap_set(map, name, s_u64(&kv->val));
        free(name);
    }
}

static bool
s_is(const msgpack_object *key, const char *name)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(name)
        && !memcmp(key->via.str.ptr, name, key->via.str.size);
}

// Reads the record under key as a map and calls fn on every field.
typedef void (s_field_fn)(const msgpack_object *key, const msgpack_object *val, void *out);

static int
s_read(pk_builds_t *self, pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *key,
       s_field_fn *fn, void *out)
{
    if (!pk_key_ok(key))
        return -1;
    pk_store_txn_t *own = NULL;
    if (!txn) {
        own = txn = pk_store_begin(self->store, false);
        if (!txn)
            return -1;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = pk_store_get_msgpack(txn, dbi, key->data, key->size, &u);
    if (rc == 0) {
        if (u.data.type != MSGPACK_OBJECT_MAP)
            rc = -1;
        else
            for (uint32_t i = 0; i < u.data.via.map.size; i++)
                fn(&u.data.via.map.ptr[i].key, &u.data.via.map.ptr[i].val, out);
    }
    msgpack_unpacked_destroy(&u);
    if (own)
        pk_store_abort(&own);
    return rc;
}

static int
s_write(pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *key, msgpack_sbuffer *sb)
{
    int rc = pk_key_ok(key) ? pk_store_put_msgpack(txn, dbi, key->data, key->size, sb) : -1;
    msgpack_sbuffer_destroy(sb);
    return rc;
}

// --- pipelines

static void
s_pipeline_key(pk_key_t *k, const char *name)
{
    pk_key_init(k);
    pk_key_str(k, name);
}

int
pk_builds_pipeline_put(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                       const pk_pipeline_rec_t *rec)
{
    pk_key_t k;
    s_pipeline_key(&k, name);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    s_str(&pk, "source");
    s_str(&pk, rec->source);
    s_str(&pk, "vars");
    msgpack_pack_bin_with_body(&pk, rec->vars, rec->vars ? rec->vars_size : 0);
    s_str(&pk, "set_ms");
    msgpack_pack_int64(&pk, rec->set_ms);
    s_str(&pk, "version");
    msgpack_pack_uint64(&pk, rec->version);
    return s_write(txn, self->pipelines, &k, &sb);
}

static void
s_pipeline_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_pipeline_rec_t *out = arg;
    if (s_is(key, "source") && !out->source)
        out->source = s_dup_str(val);
    else
    if (s_is(key, "vars") && val->type == MSGPACK_OBJECT_BIN && val->via.bin.size && !out->vars) {
        out->vars = malloc(val->via.bin.size);
        memcpy(out->vars, val->via.bin.ptr, val->via.bin.size);
        out->vars_size = val->via.bin.size;
    }
    else
    if (s_is(key, "set_ms"))
        out->set_ms = s_i64(val);
    else
    if (s_is(key, "version"))
        out->version = s_u64(val);
}

int
pk_builds_pipeline_get(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                       pk_pipeline_rec_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    s_pipeline_key(&k, name);
    int rc = s_read(self, txn, self->pipelines, &k, s_pipeline_field, out);
    if (rc != 0)
        pk_pipeline_rec_clear(out);
    return rc;
}

void
pk_pipeline_rec_clear(pk_pipeline_rec_t *rec)
{
    free(rec->source);
    free(rec->vars);
    memset(rec, 0, sizeof(*rec));
}

// --- jobs

static void
s_job_key(pk_key_t *k, const char *pipeline, const char *job)
{
    pk_key_init(k);
    pk_key_str(k, pipeline);
    pk_key_str(k, job);
}

int
pk_builds_job_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, const pk_job_rec_t *rec)
{
    pk_key_t k;
    s_job_key(&k, pipeline, job);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    s_str(&pk, "next_number");
    msgpack_pack_uint64(&pk, rec->next_number);
    s_str(&pk, "baseline");
    s_idmap_pack(&pk, &rec->baseline);
    return s_write(txn, self->jobs, &k, &sb);
}

static void
s_job_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_job_rec_t *out = arg;
    if (s_is(key, "next_number"))
        out->next_number = s_u64(val);
    else
    if (s_is(key, "baseline"))
        s_idmap_read(val, &out->baseline);
}

int
pk_builds_job_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, pk_job_rec_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    s_job_key(&k, pipeline, job);
    int rc = s_read(self, txn, self->jobs, &k, s_job_field, out);
    if (rc != 0)
        pk_job_rec_clear(out);
    return rc;
}

void
pk_job_rec_clear(pk_job_rec_t *rec)
{
    pk_idmap_clear(&rec->baseline);
    memset(rec, 0, sizeof(*rec));
}

// --- builds

static void
s_build_key(pk_key_t *k, const char *pipeline, const char *job, uint64_t number)
{
    s_job_key(k, pipeline, job);
    pk_key_u64(k, number);
}

int
pk_builds_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
              const char *job, const pk_build_t *b)
{
    pk_key_t k;
    s_build_key(&k, pipeline, job, b->number);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 10);
    s_str(&pk, "number");
    msgpack_pack_uint64(&pk, b->number);
    s_str(&pk, "status");
    s_str(&pk, b->status);
    s_str(&pk, "attempt");
    msgpack_pack_uint32(&pk, b->attempt);
    s_str(&pk, "created_ms");
    msgpack_pack_int64(&pk, b->created_ms);
    s_str(&pk, "started_ms");
    msgpack_pack_int64(&pk, b->started_ms);
    s_str(&pk, "finished_ms");
    msgpack_pack_int64(&pk, b->finished_ms);
    s_str(&pk, "reason");
    s_str(&pk, b->reason);
    s_str(&pk, "versions");
    s_idmap_pack(&pk, &b->versions);
    s_str(&pk, "trigger");
    s_str(&pk, b->trigger);
    s_str(&pk, "worker");
    s_str(&pk, b->worker);
    return s_write(txn, self->builds, &k, &sb);
}

static void
s_build_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_build_t *out = arg;
    if (s_is(key, "number"))
        out->number = s_u64(val);
    else
    if (s_is(key, "status") && !out->status)
        out->status = s_dup_str(val);
    else
    if (s_is(key, "attempt"))
        out->attempt = (uint32_t) s_u64(val);
    else
    if (s_is(key, "created_ms"))
        out->created_ms = s_i64(val);
    else
    if (s_is(key, "started_ms"))
        out->started_ms = s_i64(val);
    else
    if (s_is(key, "finished_ms"))
        out->finished_ms = s_i64(val);
    else
    if (s_is(key, "reason") && !out->reason)
        out->reason = s_dup_str(val);
    else
    if (s_is(key, "versions"))
        s_idmap_read(val, &out->versions);
    else
    if (s_is(key, "trigger") && !out->trigger)
        out->trigger = s_dup_str(val);
    else
    if (s_is(key, "worker") && !out->worker)
        out->worker = s_dup_str(val);
}

int
pk_builds_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
              const char *job, uint64_t number, pk_build_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    s_build_key(&k, pipeline, job, number);
    int rc = s_read(self, txn, self->builds, &k, s_build_field, out);
    if (rc == 0 && !out->status)
        out->status = strdup("pending");
    if (rc != 0)
        pk_build_clear(out);
    return rc;
}

typedef struct {
    pk_build_t *items;
    size_t count, limit;
    int failed;
} s_list_t;

static int
s_list_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) key;
    (void) key_size;
    s_list_t *l = arg;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (pk_store_decode(value, value_size, &u) != 0 || u.data.type != MSGPACK_OBJECT_MAP) {
        msgpack_unpacked_destroy(&u);
        l->failed = 1;
        return -1;
    }
    l->items = realloc(l->items, (l->count + 1) * sizeof(pk_build_t));
    pk_build_t *b = &l->items[l->count++];
    memset(b, 0, sizeof(*b));
    for (uint32_t i = 0; i < u.data.via.map.size; i++)
        s_build_field(&u.data.via.map.ptr[i].key, &u.data.via.map.ptr[i].val, b);
    if (!b->status)
        b->status = strdup("pending");
    msgpack_unpacked_destroy(&u);
    return l->limit && l->count >= l->limit ? 1 : 0;
}

int
pk_builds_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
               const char *job, size_t limit, pk_build_t **items_out, size_t *count_out)
{
    *items_out = NULL;
    *count_out = 0;
    pk_key_t k;
    s_job_key(&k, pipeline, job);
    if (!pk_key_ok(&k))
        return -1;
    pk_store_txn_t *own = NULL;
    if (!txn) {
        own = txn = pk_store_begin(self->store, false);
        if (!txn)
            return -1;
    }
    s_list_t l = { .limit = limit };
    int64_t rc = pk_store_scan(txn, self->builds, k.data, k.size, true, s_list_one, &l);
    if (own)
        pk_store_abort(&own);
    if (rc < 0 || l.failed) {
        pk_builds_list_free(&l.items, l.count);
        return -1;
    }
    *items_out = l.items;
    *count_out = l.count;
    return 0;
}

void
pk_builds_list_free(pk_build_t **items_p, size_t count)
{
    if (!items_p || !*items_p)
        return;
    for (size_t i = 0; i < count; i++)
        pk_build_clear(&(*items_p)[i]);
    free(*items_p);
    *items_p = NULL;
}

int
pk_builds_latest(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                 const char *job, pk_build_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_build_t *items;
    size_t n;
    if (pk_builds_list(self, txn, pipeline, job, 1, &items, &n) != 0)
        return -1;
    if (n == 0)
        return PK_STORE_NOTFOUND;
    *out = items[0];
    free(items);
    return 0;
}

void
pk_build_clear(pk_build_t *b)
{
    free(b->status);
    free(b->reason);
    free(b->trigger);
    free(b->worker);
    pk_idmap_clear(&b->versions);
    memset(b, 0, sizeof(*b));
}
