// pk_builds: the pipelines, jobs and builds keyspaces (pk_builds.h); steps,
// pins, listings and removal are in pk_builds_more.c, id maps and build
// numbers in pk_builds_ids.c.
//
// Records are msgpack maps packed here field by field and read back by
// walking the map, so an unknown field is skipped and a missing one left at
// zero: the format can grow without a migration.
#include "pk_builds_internal.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pk_builds_t *
pk_builds_new(pk_store_t *store, char **err_out)
{
    pk_builds_t *self = calloc(1, sizeof(*self));
    self->store = store;
    self->pipelines = pk_store_dbi(store, "pipelines");
    self->jobs = pk_store_dbi(store, "jobs");
    self->builds = pk_store_dbi(store, "builds");
    self->steps = pk_store_dbi(store, "build_steps");
    self->pins = pk_store_dbi(store, "pins");
    self->open = pk_store_dbi(store, "builds_open");
    self->passed = pk_store_dbi(store, "builds_passed");
    self->lives = pk_store_dbi(store, "pipeline_lives");
    self->meta = pk_store_dbi(store, "builds_meta");
    self->uses = pk_store_dbi(store, "builds_uses");
    self->store_meta = pk_store_dbi(store, "store_meta");
    if (self->pipelines == PK_STORE_NO_DBI || self->jobs == PK_STORE_NO_DBI
        || self->builds == PK_STORE_NO_DBI || self->steps == PK_STORE_NO_DBI
        || self->pins == PK_STORE_NO_DBI || self->open == PK_STORE_NO_DBI
        || self->passed == PK_STORE_NO_DBI || self->lives == PK_STORE_NO_DBI
        || self->meta == PK_STORE_NO_DBI || self->store_meta == PK_STORE_NO_DBI
        || self->uses == PK_STORE_NO_DBI) {
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

// --- packing and reading, shared with pk_builds_more.c

void
builds_pack_str(msgpack_packer *pk, const char *s)
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
        builds_pack_str(pk, map->names[i]);
        msgpack_pack_uint64(pk, map->ids[i]);
    }
}

char *
builds_dup_str(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return strndup(o->via.str.ptr, o->via.str.size);
}

uint64_t
builds_u64(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return o->via.u64;
    return 0;
}

int64_t
builds_i64(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t) o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return 0;
}

static bool
s_bool(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
}

// A bin field into a malloc'd copy (left alone when empty or set already).
static void
s_bin(const msgpack_object *o, uint8_t **data, size_t *size)
{
    if (o->type != MSGPACK_OBJECT_BIN || !o->via.bin.size || *data)
        return;
    *data = malloc(o->via.bin.size);
    memcpy(*data, o->via.bin.ptr, o->via.bin.size);
    *size = o->via.bin.size;
}

static void
s_idmap_read(const msgpack_object *o, pk_idmap_t *map)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        char *name = builds_dup_str(&kv->key);
        if (name)
            pk_idmap_set(map, name, builds_u64(&kv->val));
        free(name);
    }
}

bool
builds_is(const msgpack_object *key, const char *name)
{
    return key->type == MSGPACK_OBJECT_STR && key->via.str.size == strlen(name)
        && !memcmp(key->via.str.ptr, name, key->via.str.size);
}

static int
s_fields(const msgpack_object *o, builds_field_fn *fn, void *out)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return -1;
    for (uint32_t i = 0; i < o->via.map.size; i++)
        fn(&o->via.map.ptr[i].key, &o->via.map.ptr[i].val, out);
    return 0;
}

int
builds_decode(const void *value, size_t size, builds_field_fn *fn, void *out)
{
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = pk_store_decode(value, size, &u) == 0 ? s_fields(&u.data, fn, out) : -1;
    msgpack_unpacked_destroy(&u);
    return rc;
}

int
builds_read(pk_builds_t *self, pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *key,
            builds_field_fn *fn, void *out)
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
    if (rc == 0)
        rc = s_fields(&u.data, fn, out);
    msgpack_unpacked_destroy(&u);
    if (own)
        pk_store_abort(&own);
    return rc;
}

int
builds_write(pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *key, msgpack_sbuffer *sb)
{
    int rc = pk_key_ok(key) ? pk_store_put_msgpack(txn, dbi, key->data, key->size, sb) : -1;
    msgpack_sbuffer_destroy(sb);
    return rc;
}

int64_t
builds_scan(pk_builds_t *self, pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *prefix,
            bool reverse, pk_store_scan_fn *fn, void *arg)
{
    if (prefix->size && !pk_key_ok(prefix))
        return -1;
    pk_store_txn_t *own = NULL;
    if (!txn) {
        own = txn = pk_store_begin(self->store, false);
        if (!txn)
            return -1;
    }
    int64_t rc = pk_store_scan(txn, dbi, prefix->data, prefix->size, reverse, fn, arg);
    if (own)
        pk_store_abort(&own);
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
    uint64_t life = rec->life;
    if (!life && builds_life_for_put(self, txn, name, &life) != 0)
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, life ? 7 : 6);
    if (life) {
        builds_pack_str(&pk, "life");
        msgpack_pack_uint64(&pk, life);
    }
    builds_pack_str(&pk, "source");
    builds_pack_str(&pk, rec->source);
    builds_pack_str(&pk, "vars");
    msgpack_pack_bin_with_body(&pk, rec->vars, rec->vars ? rec->vars_size : 0);
    builds_pack_str(&pk, "types");
    msgpack_pack_bin_with_body(&pk, rec->types, rec->types ? rec->types_size : 0);
    builds_pack_str(&pk, "set_ms");
    msgpack_pack_int64(&pk, rec->set_ms);
    builds_pack_str(&pk, "version");
    msgpack_pack_uint64(&pk, rec->version);
    builds_pack_str(&pk, "paused");
    if (rec->paused)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    return builds_write(txn, self->pipelines, &k, &sb);
}

static void
s_pipeline_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_pipeline_rec_t *out = arg;
    if (builds_is(key, "source") && !out->source)
        out->source = builds_dup_str(val);
    else
    if (builds_is(key, "vars"))
        s_bin(val, &out->vars, &out->vars_size);
    else
    if (builds_is(key, "types"))
        s_bin(val, &out->types, &out->types_size);
    else
    if (builds_is(key, "set_ms"))
        out->set_ms = builds_i64(val);
    else
    if (builds_is(key, "version"))
        out->version = builds_u64(val);
    else
    if (builds_is(key, "paused"))
        out->paused = s_bool(val);
    else
    if (builds_is(key, "life"))
        out->life = builds_u64(val);
}

int
pk_builds_pipeline_get(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                       pk_pipeline_rec_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    s_pipeline_key(&k, name);
    int rc = builds_read(self, txn, self->pipelines, &k, s_pipeline_field, out);
    if (rc != 0)
        pk_pipeline_rec_clear(out);
    return rc;
}

void
pk_pipeline_rec_clear(pk_pipeline_rec_t *rec)
{
    free(rec->source);
    free(rec->vars);
    free(rec->types);
    memset(rec, 0, sizeof(*rec));
}

// --- jobs

void
builds_job_key(pk_key_t *k, const char *pipeline, const char *job)
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
    builds_job_key(&k, pipeline, job);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    builds_pack_str(&pk, "next_number");
    msgpack_pack_uint64(&pk, rec->next_number);
    builds_pack_str(&pk, "baseline");
    s_idmap_pack(&pk, &rec->baseline);
    builds_pack_str(&pk, "paused");
    if (rec->paused)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    return builds_write(txn, self->jobs, &k, &sb);
}

static void
s_job_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_job_rec_t *out = arg;
    if (builds_is(key, "next_number"))
        out->next_number = builds_u64(val);
    else
    if (builds_is(key, "baseline"))
        s_idmap_read(val, &out->baseline);
    else
    if (builds_is(key, "paused"))
        out->paused = s_bool(val);
}

int
pk_builds_job_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, pk_job_rec_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    builds_job_key(&k, pipeline, job);
    int rc = builds_read(self, txn, self->jobs, &k, s_job_field, out);
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

void
builds_build_key(pk_key_t *k, const char *pipeline, const char *job, uint64_t number,
                 uint32_t retry)
{
    builds_job_key(k, pipeline, job);
    pk_key_u64(k, number);
    pk_key_u32(k, retry);
}

int
pk_builds_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
              const char *job, const pk_build_t *b)
{
    pk_key_t k;
    builds_build_key(&k, pipeline, job, b->number, b->retry);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 15 + (b->by ? 1 : 0) + (b->voters ? 1 : 0) + (b->trimmed_ms ? 1 : 0));
    builds_pack_str(&pk, "number");
    msgpack_pack_uint64(&pk, b->number);
    builds_pack_str(&pk, "retry");
    msgpack_pack_uint32(&pk, b->retry);
    builds_pack_str(&pk, "status");
    builds_pack_str(&pk, b->status);
    builds_pack_str(&pk, "attempt");
    msgpack_pack_uint32(&pk, b->attempt);
    builds_pack_str(&pk, "created_ms");
    msgpack_pack_int64(&pk, b->created_ms);
    builds_pack_str(&pk, "started_ms");
    msgpack_pack_int64(&pk, b->started_ms);
    builds_pack_str(&pk, "finished_ms");
    msgpack_pack_int64(&pk, b->finished_ms);
    builds_pack_str(&pk, "reason");
    builds_pack_str(&pk, b->reason);
    builds_pack_str(&pk, "versions");
    s_idmap_pack(&pk, &b->versions);
    builds_pack_str(&pk, "trigger");
    builds_pack_str(&pk, b->trigger);
    builds_pack_str(&pk, "worker");
    builds_pack_str(&pk, b->worker);
    builds_pack_str(&pk, "inputs");
    msgpack_pack_bin_with_body(&pk, b->inputs, b->inputs ? b->inputs_size : 0);
    builds_pack_str(&pk, "approvals_needed");
    msgpack_pack_uint32(&pk, b->approvals_needed);
    builds_pack_str(&pk, "approvals");
    msgpack_pack_uint32(&pk, b->approvals);
    if (b->by) {
        builds_pack_str(&pk, "by");
        builds_pack_str(&pk, b->by);
    }
    if (b->voters) {
        builds_pack_str(&pk, "voters");
        builds_pack_str(&pk, b->voters);
    }
    builds_pack_str(&pk, "dispatched");
    if (b->dispatched)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
    if (b->trimmed_ms) {
        builds_pack_str(&pk, "trimmed_ms");
        msgpack_pack_int64(&pk, b->trimmed_ms);
    }
    if (builds_write(txn, self->builds, &k, &sb) != 0)
        return -1;
    return builds_index_put(self, txn, pipeline, job, b);
}

void
builds_build_field(const msgpack_object *key, const msgpack_object *val, void *arg)
{
    pk_build_t *out = arg;
    if (builds_is(key, "number"))
        out->number = builds_u64(val);
    else
    if (builds_is(key, "retry"))
        out->retry = (uint32_t) builds_u64(val);
    else
    if (builds_is(key, "status") && !out->status)
        out->status = builds_dup_str(val);
    else
    if (builds_is(key, "attempt"))
        out->attempt = (uint32_t) builds_u64(val);
    else
    if (builds_is(key, "created_ms"))
        out->created_ms = builds_i64(val);
    else
    if (builds_is(key, "started_ms"))
        out->started_ms = builds_i64(val);
    else
    if (builds_is(key, "finished_ms"))
        out->finished_ms = builds_i64(val);
    else
    if (builds_is(key, "reason") && !out->reason)
        out->reason = builds_dup_str(val);
    else
    if (builds_is(key, "versions"))
        s_idmap_read(val, &out->versions);
    else
    if (builds_is(key, "trigger") && !out->trigger)
        out->trigger = builds_dup_str(val);
    else
    if (builds_is(key, "worker") && !out->worker)
        out->worker = builds_dup_str(val);
    else
    if (builds_is(key, "inputs"))
        s_bin(val, &out->inputs, &out->inputs_size);
    else
    if (builds_is(key, "approvals_needed"))
        out->approvals_needed = (uint32_t) builds_u64(val);
    else
    if (builds_is(key, "approvals"))
        out->approvals = (uint32_t) builds_u64(val);
    else
    if (builds_is(key, "dispatched"))
        out->dispatched = s_bool(val);
    else
    if (builds_is(key, "by") && !out->by)
        out->by = builds_dup_str(val);
    else
    if (builds_is(key, "voters") && !out->voters)
        out->voters = builds_dup_str(val);
    else
    if (builds_is(key, "trimmed_ms"))
        out->trimmed_ms = builds_i64(val);
}

int
pk_builds_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
              const char *job, uint64_t number, uint32_t retry, pk_build_t *out)
{
    memset(out, 0, sizeof(*out));
    pk_key_t k;
    builds_build_key(&k, pipeline, job, number, retry);
    int rc = builds_read(self, txn, self->builds, &k, builds_build_field, out);
    if (rc == 0 && !out->status)
        out->status = strdup("pending");
    if (rc != 0)
        pk_build_clear(out);
    return rc;
}

typedef struct {
    pk_build_t *items;
    size_t count, limit, cap;
    int failed;
} s_list_t;

static int
s_list_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) key;
    (void) key_size;
    s_list_t *l = arg;
    pk_build_t b = { 0 };
    if (builds_decode(value, value_size, builds_build_field, &b) != 0) {
        pk_build_clear(&b);
        l->failed = 1;
        return -1;
    }
    if (!b.status)
        b.status = strdup("pending");
    if (l->count == l->cap) {           // doubling: listing all is linear
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = realloc(l->items, l->cap * sizeof(pk_build_t));
    }
    l->items[l->count++] = b;
    return l->limit && l->count >= l->limit ? 1 : 0;
}

int
pk_builds_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
               const char *job, size_t limit, pk_build_t **items_out, size_t *count_out)
{
    *items_out = NULL;
    *count_out = 0;
    pk_key_t k;
    builds_job_key(&k, pipeline, job);
    s_list_t l = { .limit = limit };
    int64_t rc = builds_scan(self, txn, self->builds, &k, true, s_list_one, &l);
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
    free(b->by);
    free(b->voters);
    free(b->inputs);
    pk_idmap_clear(&b->versions);
    memset(b, 0, sizeof(*b));
}
