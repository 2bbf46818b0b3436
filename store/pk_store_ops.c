// pk_store_ops: what runs inside a transaction: put/get/del, ordered range
// scans with a cursor, and the thin msgpack helpers. Every entry point checks
// its arguments first so bad input is an error message, not an LMDB assert.
// A failed write poisons its transaction (never committed, see s_end), so an
// ignored error can't commit half of what the caller meant.
#include <errno.h>
#include <string.h>
#include "pk_key.h"
#include "pk_store_internal.h"

static int
s_check_txn(pk_store_txn_t *txn, MDB_dbi dbi, bool write, const char *op)
{
    if (!txn) {
        pk_store_fail(EINVAL, "%s: no transaction", op);
        return -1;
    }
    if (dbi == PK_STORE_NO_DBI) {
        pk_store_fail(EINVAL, "%s: invalid keyspace", op);
        return -1;
    }
    if (write && !txn->write) {
        pk_store_fail(EACCES, "%s: read-only transaction", op);
        return -1;
    }
    if (write && txn->failed) {
        pk_store_fail(MDB_BAD_TXN, "%s: an earlier write in this transaction failed", op);
        return -1;
    }
    return 0;
}

static int
s_check(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
        bool write, const char *op)
{
    if (s_check_txn(txn, dbi, write, op) != 0)
        return -1;
    if (!key || key_size == 0 || key_size > PK_KEY_MAX) {
        pk_store_fail(MDB_BAD_VALSIZE, "%s: key of %zu bytes (must be 1..%d)",
                      op, key ? key_size : 0, PK_KEY_MAX);
        return -1;
    }
    return 0;
}

static void
s_lmdb_error(pk_store_txn_t *txn, int rc, const char *op, MDB_dbi dbi, bool write_op)
{
    if (write_op) {
        txn->failed = true;
        if (rc == MDB_MAP_FULL)
            txn->map_full = true;
    }
    if (rc == EINVAL)
        pk_store_fail(rc, "%s: keyspace %u is not usable in this transaction "
                      "(opened after it began?)", op, dbi);
    else
        pk_store_fail(rc, "%s in keyspace %u", op, dbi);
}

static int
s_put(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
      const void *value, size_t value_size, unsigned flags, const char *op)
{
    if (s_check(txn, dbi, key, key_size, true, op) != 0)
        return -1;
    if (!value && value_size) {
        pk_store_fail(EINVAL, "%s: no value", op);
        return -1;
    }
    MDB_val k = { key_size, (void *) key };
    MDB_val v = { value_size, (void *) (value ? value : "") };
    int rc = mdb_put(txn->txn, dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST)
        return PK_STORE_EXISTS;
    if (rc != 0) {
        s_lmdb_error(txn, rc, op, dbi, true);
        return -1;
    }
    return 0;
}

int
pk_store_put(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
             const void *value, size_t value_size)
{
    return s_put(txn, dbi, key, key_size, value, value_size, 0, "put");
}

int
pk_store_insert(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
                const void *value, size_t value_size)
{
    return s_put(txn, dbi, key, key_size, value, value_size, MDB_NOOVERWRITE, "insert");
}

int
pk_store_get(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
             const void **value, size_t *value_size)
{
    if (value)
        *value = NULL;
    if (value_size)
        *value_size = 0;
    if (s_check(txn, dbi, key, key_size, false, "get") != 0)
        return -1;
    MDB_val k = { key_size, (void *) key };
    MDB_val v;
    int rc = mdb_get(txn->txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND)
        return PK_STORE_NOTFOUND;
    if (rc != 0) {
        s_lmdb_error(txn, rc, "get", dbi, false);
        return -1;
    }
    if (value)
        *value = v.mv_data;
    if (value_size)
        *value_size = v.mv_size;
    return 0;
}

int
pk_store_del(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size)
{
    if (s_check(txn, dbi, key, key_size, true, "del") != 0)
        return -1;
    MDB_val k = { key_size, (void *) key };
    int rc = mdb_del(txn->txn, dbi, &k, NULL);
    if (rc == MDB_NOTFOUND)
        return PK_STORE_NOTFOUND;
    if (rc != 0) {
        s_lmdb_error(txn, rc, "del", dbi, true);
        return -1;
    }
    return 0;
}

int64_t
pk_store_count(pk_store_txn_t *txn, MDB_dbi dbi)
{
    if (s_check_txn(txn, dbi, false, "count") != 0)
        return -1;
    MDB_stat st;
    int rc = mdb_stat(txn->txn, dbi, &st);
    if (rc != 0) {
        s_lmdb_error(txn, rc, "count", dbi, false);
        return -1;
    }
    return (int64_t) st.ms_entries;
}

// memcmp order with the shorter key first on a tie, as LMDB compares keys.
static int
s_keycmp(const MDB_val *a, const void *b, size_t b_size)
{
    size_t n = a->mv_size < b_size ? a->mv_size : b_size;
    int c = n ? memcmp(a->mv_data, b, n) : 0;
    if (c)
        return c;
    return a->mv_size < b_size ? -1 : a->mv_size > b_size;
}

// Position on the first key to visit: >= lo going forward, < hi going back.
static int
s_seek(MDB_cursor *cur, MDB_val *k, MDB_val *v, const void *lo, size_t lo_size,
       const void *hi, size_t hi_size, bool reverse)
{
    if (!reverse) {
        if (!lo)
            return mdb_cursor_get(cur, k, v, MDB_FIRST);
        *k = (MDB_val) { lo_size, (void *) lo };
        return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    }
    if (!hi)
        return mdb_cursor_get(cur, k, v, MDB_LAST);
    *k = (MDB_val) { hi_size, (void *) hi };
    int rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        return mdb_cursor_get(cur, k, v, MDB_LAST);     // every key is below hi
    if (rc == 0)
        rc = mdb_cursor_get(cur, k, v, MDB_PREV);       // first key >= hi: step back
    return rc;
}

int64_t
pk_store_range(pk_store_txn_t *txn, MDB_dbi dbi,
               const void *lo, size_t lo_size, const void *hi, size_t hi_size,
               bool reverse, pk_store_scan_fn *fn, void *arg)
{
    if (s_check_txn(txn, dbi, false, "scan") != 0)
        return -1;
    if ((lo && (lo_size == 0 || lo_size > PK_KEY_MAX))
    ||  (hi && (hi_size == 0 || hi_size > PK_KEY_MAX)) || !fn) {
        pk_store_fail(EINVAL, "scan: bounds must be 1..%d bytes and a callback given",
                      PK_KEY_MAX);
        return -1;
    }
    pk_store_clear_error();     // so a failing callback's own error survives
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn->txn, dbi, &cur);
    if (rc != 0) {
        s_lmdb_error(txn, rc, "scan", dbi, false);
        return -1;
    }
    MDB_val k, v;
    int64_t visited = 0;
    int stop = 0;
    rc = s_seek(cur, &k, &v, lo, lo_size, hi, hi_size, reverse);
    while (rc == 0) {
        if (!reverse && hi && s_keycmp(&k, hi, hi_size) >= 0)
            break;
        if (reverse && lo && s_keycmp(&k, lo, lo_size) < 0)
            break;
        visited++;
        stop = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, arg);
        if (stop != 0)
            break;
        rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_PREV : MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (stop < 0) {
        if (pk_store_errcode() == 0)
            pk_store_fail(ECANCELED, "scan: callback failed");
        return -1;
    }
    if (rc != 0 && rc != MDB_NOTFOUND) {
        s_lmdb_error(txn, rc, "scan", dbi, false);
        return -1;
    }
    return visited;
}

int64_t
pk_store_scan(pk_store_txn_t *txn, MDB_dbi dbi, const void *prefix, size_t prefix_size,
              bool reverse, pk_store_scan_fn *fn, void *arg)
{
    if (prefix_size > PK_KEY_MAX || (!prefix && prefix_size)) {
        pk_store_fail(EINVAL, "scan: prefix of %zu bytes (at most %d)", prefix_size,
                      PK_KEY_MAX);
        return -1;
    }
    if (prefix_size == 0)
        return pk_store_range(txn, dbi, NULL, 0, NULL, 0, reverse, fn, arg);
    uint8_t hi[PK_KEY_MAX];
    size_t hi_size = pk_key_next_prefix(prefix, prefix_size, hi);
    return pk_store_range(txn, dbi, prefix, prefix_size,
                          hi_size ? hi : NULL, hi_size, reverse, fn, arg);
}

int
pk_store_put_msgpack(pk_store_txn_t *txn, MDB_dbi dbi, const void *key,
                     size_t key_size, const msgpack_sbuffer *buffer)
{
    if (!buffer) {
        pk_store_fail(EINVAL, "put: no msgpack buffer");
        return -1;
    }
    return pk_store_put(txn, dbi, key, key_size, buffer->data, buffer->size);
}

int
pk_store_decode(const void *value, size_t value_size, msgpack_unpacked *unpacked)
{
    if (!unpacked) {
        pk_store_fail(EINVAL, "decode: no msgpack_unpacked");
        return -1;
    }
    size_t off = 0;
    int rc = value && value_size
           ? msgpack_unpack_next(unpacked, value, value_size, &off)
           : MSGPACK_UNPACK_CONTINUE;
    if (rc != MSGPACK_UNPACK_SUCCESS || off != value_size) {
        pk_store_fail(MDB_CORRUPTED, "decode: stored value (%zu bytes) is not one "
                      "msgpack object", value_size);
        return -1;
    }
    return 0;
}

int
pk_store_get_msgpack(pk_store_txn_t *txn, MDB_dbi dbi, const void *key,
                     size_t key_size, msgpack_unpacked *unpacked)
{
    const void *value;
    size_t size;
    int rc = pk_store_get(txn, dbi, key, key_size, &value, &size);
    if (rc != 0)
        return rc;
    return pk_store_decode(value, size, unpacked);
}
