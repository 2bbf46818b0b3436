// pk_builds_format: the store's format version and the upgrade of an older
// store at start. The format is one key, store_meta "format" -> msgpack
// uint, written only here, by the server before any actor starts (so no
// actor ever writes this keyspace). A store without the key is told apart by
// what it holds: the "indexes" mark of builds_meta (written by the index
// migration of format 2) means 2, any pipeline or build means 1 (the format
// before the indexes), nothing at all means a new store.
//   1  pipelines, jobs, builds, steps, pins, versions, logs
//   2  + builds_open, builds_passed, pipeline_lives, builds_meta (indexes)
//   3  log chunks written from now on are tagged and may be zstd frames
//      (pk_logs_codec.h); plain chunks of format 2 read as before, so the
//      upgrade only records the number -- an older binary must refuse it
//   4  + builds_uses (the versions each untrimmed build refers to: the
//      checker's version trimming keeps them); the upgrade indexes every
//      stored build -- an older binary would not keep it, so it must refuse
// An upgrade runs in one write transaction: a crash leaves the old format
// whole, and the next start does it again.
#include "pk_builds_internal.h"
#include "pk_store_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_format_key(pk_key_t *k)
{
    pk_key_init(k);
    pk_key_str(k, "format");
}

// The stored format, or the one inferred from the contents (0: empty).
static int
s_format_read(pk_builds_t *self, pk_store_txn_t *txn, uint64_t *format)
{
    pk_key_t k;
    s_format_key(&k);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = pk_store_get_msgpack(txn, self->store_meta, k.data, k.size, &u);
    if (rc == 0) {
        if (u.data.type != MSGPACK_OBJECT_POSITIVE_INTEGER) {
            msgpack_unpacked_destroy(&u);
            pk_store_fail(EINVAL, "store format: not a number");
            return -1;
        }
        *format = u.data.via.u64;
    }
    msgpack_unpacked_destroy(&u);
    if (rc != PK_STORE_NOTFOUND)
        return rc;
    pk_key_init(&k);
    pk_key_str(&k, "indexes");
    const void *v;
    size_t size;
    rc = pk_store_get(txn, self->meta, k.data, k.size, &v, &size);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        *format = 2;
        return 0;
    }
    int64_t n = pk_store_count(txn, self->pipelines);
    int64_t m = pk_store_count(txn, self->builds);
    if (n < 0 || m < 0)
        return -1;
    *format = n + m > 0 ? 1 : 0;
    return 0;
}

int
pk_builds_format(pk_builds_t *self, pk_store_txn_t *txn, uint64_t *format_out)
{
    pk_store_txn_t *own = NULL;
    *format_out = 0;
    if (!txn && !(own = txn = pk_store_begin(self->store, false)))
        return -1;
    int rc = s_format_read(self, txn, format_out);
    if (own)
        pk_store_abort(&own);
    return rc;
}

typedef struct {
    pk_builds_t *self;
    uint64_t from, count;
} s_up_t;

static int
s_up_txn(pk_store_txn_t *txn, void *arg)
{
    s_up_t *u = arg;
    u->count = 0;
    if (u->from < 4 && builds_index_all(u->self, txn, &u->count) != 0)
        return -1;
    pk_key_t k;
    s_format_key(&k);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_uint64(&pk, PK_STORE_FORMAT);
    int rc = pk_store_put_msgpack(txn, u->self->store_meta, k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

int
pk_builds_upgrade(pk_builds_t *self, uint64_t *from_out, uint64_t *builds_out)
{
    *builds_out = 0;
    uint64_t from = 0;
    if (pk_builds_format(self, NULL, &from) != 0)
        return -1;
    *from_out = from;
    if (from > PK_STORE_FORMAT) {
        pk_store_fail(0, "store format %llu is newer than this pikoci understands "
                      "(%d): upgrade pikoci", (unsigned long long) from, PK_STORE_FORMAT);
        return -2;
    }
    pk_key_t k;
    s_format_key(&k);
    pk_store_txn_t *txn = pk_store_begin(self->store, false);
    if (!txn)
        return -1;
    const void *v;
    size_t size;
    int stored = pk_store_get(txn, self->store_meta, k.data, k.size, &v, &size);
    pk_store_abort(&txn);
    if (stored < 0)
        return -1;
    if (from == PK_STORE_FORMAT && stored == 0)
        return 0;
    s_up_t u = { self, from, 0 };
    if (pk_store_write(self->store, s_up_txn, &u) != 0)
        return -1;
    *builds_out = u.count;
    return 1;
}

int
pk_builds_migrate(pk_builds_t *self, uint64_t *builds_out)
{
    uint64_t from;
    int rc = pk_builds_upgrade(self, &from, builds_out);
    return rc < 0 ? -1 : rc;
}
