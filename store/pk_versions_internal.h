// pk_versions_internal: what pk_versions.c (recording, reading) and
// pk_versions_trim.c (trimming) share. Not a public API.
#ifndef PK_VERSIONS_INTERNAL_H
#define PK_VERSIONS_INTERNAL_H
#include "pk_versions.h"
#include "pk_key.h"

struct _pk_versions_t {
    pk_store_t *store;
    MDB_dbi versions, index, state;
    MDB_dbi meta;               // versions_meta: "retention" (pk_versions_trim.c)
};

// The key prefix of one resource's records: pipeline, resource. 0, or -1
// when either is missing or the key is too long.
int versions_res_key(pk_key_t *k, const char *pipeline, const char *resource);

// The 64-bit hash version_index keys hold (of the canonical bytes).
uint64_t versions_hash(const void *data, size_t size);

#endif
