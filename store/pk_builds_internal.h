// pk_builds_internal: what pk_builds.c (pipelines, jobs, builds) and
// pk_builds_more.c (steps, pins, listings, removal) share: the keyspace
// handles and the lenient msgpack map reading. Not a public API.
#ifndef PK_BUILDS_INTERNAL_H
#define PK_BUILDS_INTERNAL_H
#include "pk_builds.h"
#include "pk_key.h"

struct _pk_builds_t {
    pk_store_t *store;
    MDB_dbi pipelines, jobs, builds, steps, pins;
    MDB_dbi open, passed, lives, meta, uses;    // pk_builds_index.c
    MDB_dbi store_meta;                     // pk_builds_format.c
};

// pk_builds_index.c: the indexes every build write keeps in step (same
// transaction), removal of a pipeline's index entries, and lives.
int builds_index_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *job, const pk_build_t *b);
int builds_index_del_pipeline(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                              uint64_t life);
// Builds the indexes of every stored build and marks them built ("indexes"
// in builds_meta); *count_out builds. 0 or -1.
int builds_index_all(pk_builds_t *self, pk_store_txn_t *txn, uint64_t *count_out);
// The life a pipeline record written now gets: the stored record's, or the
// next one of the name's counter (written here) when there is none.
int builds_life_for_put(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                        uint64_t *life);

void builds_pack_str(msgpack_packer *pk, const char *s);
bool builds_is(const msgpack_object *key, const char *name);
char *builds_dup_str(const msgpack_object *o);
uint64_t builds_u64(const msgpack_object *o);
int64_t builds_i64(const msgpack_object *o);

// Calls fn on every field of the map stored under key: 0, PK_STORE_NOTFOUND
// or -1 (also when the value is not a map). txn NULL: a read of its own.
typedef void (builds_field_fn)(const msgpack_object *key, const msgpack_object *val, void *out);
int builds_read(pk_builds_t *self, pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *key,
                builds_field_fn *fn, void *out);
// The same for a value already in hand (a scan's).
int builds_decode(const void *value, size_t size, builds_field_fn *fn, void *out);
// Stores sb under key and destroys sb: 0 or -1.
int builds_write(pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *key, msgpack_sbuffer *sb);
// pk_store_scan with a read transaction of its own when txn is NULL.
int64_t builds_scan(pk_builds_t *self, pk_store_txn_t *txn, MDB_dbi dbi, const pk_key_t *prefix,
                    bool reverse, pk_store_scan_fn *fn, void *arg);

void builds_job_key(pk_key_t *k, const char *pipeline, const char *job);
void builds_build_key(pk_key_t *k, const char *pipeline, const char *job, uint64_t number,
                      uint32_t retry);
void builds_build_field(const msgpack_object *key, const msgpack_object *val, void *out);

#endif
