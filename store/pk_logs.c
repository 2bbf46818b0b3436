// pk_logs: the logs keyspaces (layout and rules in pk_logs.h). Appends touch
// each log's meta once per batch however many chunks it brings, because the
// sink's batches are the unit of commit. Reads find the chunk holding the
// first wanted byte with one reverse seek and then walk forward, so any
// offset of a log of any size costs one seek and the bytes asked for.
//
// Chunks are compressed (pk_logs_codec.h), so a stored chunk is no longer
// what the sink sent: a log's bytes are re-cut into chunks of up to
// CHUNK_MAX, and a last chunk under MERGE_BELOW (a log that trickles in a
// line per commit) is decoded and re-encoded with the next bytes, because
// small chunks compress badly (a 200-byte chunk keeps 83 % of its bytes, a
// 2 KiB one 41 %, 64 KiB 24 %). The meta's `z` is where the encoded chunks
// begin: a log begun by an older pikoci keeps its plain chunks below it and
// reads the same; `last` is the offset of the last stored chunk.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pk_key.h"
#include "pk_logs.h"
#include "pk_logs_codec.h"
#include "pk_store_internal.h"

typedef pk_log_step_t s_step_t;

#define CHUNK_MAX (128 * 1024)      // a stored chunk decodes to at most this
#define MERGE_BELOW (32 * 1024)     // a last chunk this small takes the next bytes in

typedef struct {
    const char *id;
    uint32_t attempt;
    pk_log_meta_t m;
    s_step_t *steps;
    size_t nsteps;
    uint64_t z;             // chunks from here on are encoded
    bool has_z;
    uint64_t last;          // offset of the last stored chunk
    bool has_last;
    // the chunk being filled by an append: its offset, its bytes so far, and
    // whether it is already stored (a small last chunk reopened)
    uint8_t *tail;
    size_t tail_len;
    uint64_t tail_off;
    bool tail_open, tail_stored;
} s_meta_t;

static int
s_dbis(pk_store_t *store, MDB_dbi *logs, MDB_dbi *meta)
{
    if (!store) {
        pk_store_fail(EINVAL, "logs: no store");
        return -1;
    }
    *logs = pk_store_dbi(store, "logs");
    *meta = *logs != PK_STORE_NO_DBI ? pk_store_dbi(store, "log_meta") : PK_STORE_NO_DBI;
    return *meta != PK_STORE_NO_DBI ? 0 : -1;
}

int
pk_logs_init(pk_store_t *store)
{
    MDB_dbi logs, meta;
    return s_dbis(store, &logs, &meta);
}

static int
s_check_id(const char *id)
{
    if (!id || strlen(id) > PK_LOGS_ID_MAX) {
        pk_store_fail(EINVAL, "logs: build id must be given and at most %d bytes",
                      PK_LOGS_ID_MAX);
        return -1;
    }
    return 0;
}

// (id, attempt[, offset])
static void
s_key(pk_key_t *k, const char *id, uint32_t attempt)
{
    pk_key_init(k);
    pk_key_str(k, id);
    pk_key_u32(k, attempt);
}

// --- meta

static int
s_meta_decode(const msgpack_object *o, s_meta_t *mt)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return -1;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            return -1;
        const char *name = k->via.str.ptr;
        size_t len = k->via.str.size;
        bool *has = len == 1 && *name == 'z' ? &mt->has_z
                  : len == 4 && !memcmp(name, "last", 4) ? &mt->has_last : NULL;
        uint64_t *field = len == 4 && !memcmp(name, "size", 4) ? &mt->m.size
                        : len == 6 && !memcmp(name, "chunks", 6) ? &mt->m.chunks
                        : len == 8 && !memcmp(name, "next_seq", 8) ? &mt->m.next_seq
                        : len == 1 && *name == 'z' ? &mt->z
                        : len == 4 && !memcmp(name, "last", 4) ? &mt->last : NULL;
        if (field) {
            if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                return -1;
            *field = v->via.u64;
            if (has)
                *has = true;
            continue;
        }
        if (len != 5 || memcmp(name, "steps", 5))
            continue;       // a newer writer's field
        if (v->type != MSGPACK_OBJECT_ARRAY)
            return -1;
        free(mt->steps);
        mt->nsteps = 0;
        mt->steps = calloc(v->via.array.size + 1, sizeof *mt->steps);
        for (uint32_t j = 0; j < v->via.array.size; j++) {
            const msgpack_object *t = &v->via.array.ptr[j];
            if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != 3)
                return -1;
            for (int f = 0; f < 3; f++)
                if (t->via.array.ptr[f].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                    return -1;
            mt->steps[j] = (s_step_t) { (uint32_t) t->via.array.ptr[0].via.u64,
                                        t->via.array.ptr[1].via.u64,
                                        t->via.array.ptr[2].via.u64 };
            mt->nsteps++;
        }
    }
    return 0;
}

// Load (id, attempt)'s meta through txn; a missing one is an empty log.
static int
s_meta_load(pk_store_txn_t *txn, MDB_dbi dbi, const char *id, uint32_t attempt, s_meta_t *mt,
            bool *found)
{
    memset(mt, 0, sizeof *mt);
    mt->id = id;
    mt->attempt = attempt;
    pk_key_t k;
    s_key(&k, id, attempt);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    int rc = pk_store_get_msgpack(txn, dbi, k.data, k.size, &up);
    if (found)
        *found = rc == 0;
    if (rc == PK_STORE_NOTFOUND)
        rc = 0;
    else
    if (rc == 0 && s_meta_decode(&up.data, mt) != 0) {
        pk_store_fail(MDB_CORRUPTED, "logs: meta of %s#%u is not a log meta map", id, attempt);
        rc = -1;
    }
    msgpack_unpacked_destroy(&up);
    return rc;
}

static void
s_pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static int
s_meta_store(pk_store_txn_t *txn, MDB_dbi dbi, const s_meta_t *mt)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 5 + mt->has_last);
    s_pack_str(&pk, "z");
    msgpack_pack_uint64(&pk, mt->z);
    if (mt->has_last) {
        s_pack_str(&pk, "last");
        msgpack_pack_uint64(&pk, mt->last);
    }
    s_pack_str(&pk, "size");
    msgpack_pack_uint64(&pk, mt->m.size);
    s_pack_str(&pk, "chunks");
    msgpack_pack_uint64(&pk, mt->m.chunks);
    s_pack_str(&pk, "next_seq");
    msgpack_pack_uint64(&pk, mt->m.next_seq);
    s_pack_str(&pk, "steps");
    msgpack_pack_array(&pk, mt->nsteps);
    for (size_t i = 0; i < mt->nsteps; i++) {
        msgpack_pack_array(&pk, 3);
        msgpack_pack_uint32(&pk, mt->steps[i].step);
        msgpack_pack_uint64(&pk, mt->steps[i].first);
        msgpack_pack_uint64(&pk, mt->steps[i].end);
    }
    pk_key_t k;
    s_key(&k, mt->id, mt->attempt);
    int rc = pk_store_put_msgpack(txn, dbi, k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void
s_meta_add(s_meta_t *mt, const pk_log_chunk_t *c)
{
    if (c->seq >= mt->m.next_seq)
        mt->m.next_seq = c->seq == UINT64_MAX ? UINT64_MAX : c->seq + 1;
    if (!c->size)
        return;
    mt->m.size += c->size;
    s_step_t *st = NULL;
    for (size_t i = 0; i < mt->nsteps && !st; i++)
        if (mt->steps[i].step == c->step)
            st = &mt->steps[i];
    if (!st) {
        mt->steps = realloc(mt->steps, (mt->nsteps + 1) * sizeof *mt->steps);
        st = &mt->steps[mt->nsteps++];
        *st = (s_step_t) { c->step, c->offset, c->offset };
    }
    st->end = mt->m.size;
}

// --- writes

static void
s_chunk_key(pk_key_t *k, const s_meta_t *mt, uint64_t offset)
{
    s_key(k, mt->id, mt->attempt);
    pk_key_u64(k, offset);
}

// Start the chunk the next bytes go into: the stored last chunk again when
// it is small and encoded, else a new one at the log's end.
static int
s_tail_open(pk_store_txn_t *txn, MDB_dbi logs, s_meta_t *mt)
{
    mt->tail_open = true;
    mt->tail_off = mt->m.size;
    mt->tail_len = 0;
    mt->tail_stored = false;
    if (!mt->tail)
        mt->tail = malloc(CHUNK_MAX);
    if (!mt->has_last || mt->last < mt->z || mt->last >= mt->m.size
        || mt->m.size - mt->last >= MERGE_BELOW)
        return 0;
    pk_key_t k;
    s_chunk_key(&k, mt, mt->last);
    const void *v;
    size_t vsize;
    int rc = pk_store_get(txn, logs, k.data, k.size, &v, &vsize);
    if (rc < 0)
        return -1;
    if (rc == PK_STORE_NOTFOUND)
        return 0;           // not ours to repair: the new bytes start a chunk
    uint8_t *buf = NULL;
    size_t cap = 0;
    const uint8_t *data;
    int64_t n = pk_logs_decode(v, vsize, &buf, &cap, &data);
    if (n >= 0 && (uint64_t) n != mt->m.size - mt->last) {
        pk_store_fail(MDB_CORRUPTED, "logs: the last chunk of %s#%u has the wrong size",
                      mt->id, mt->attempt);
        n = -1;
    }
    if (n > 0) {
        memcpy(mt->tail, data, (size_t) n);
        mt->tail_len = (size_t) n;
        mt->tail_off = mt->last;
        mt->tail_stored = true;
    }
    free(buf);
    return n < 0 ? -1 : 0;
}

// Store the tail chunk, if it holds anything; the next bytes start a new one.
static int
s_tail_flush(pk_store_txn_t *txn, MDB_dbi logs, s_meta_t *mt)
{
    if (!mt->tail_open || !mt->tail_len)
        return 0;
    uint8_t *v;
    size_t vsize;
    if (pk_logs_encode(mt->tail, mt->tail_len, &v, &vsize) != 0)
        return -1;
    pk_key_t k;
    s_chunk_key(&k, mt, mt->tail_off);
    int rc = pk_store_put(txn, logs, k.data, k.size, v, vsize);
    free(v);
    if (rc != 0)
        return -1;
    if (!mt->tail_stored)
        mt->m.chunks++;
    mt->last = mt->tail_off;
    mt->has_last = true;
    mt->tail_off += mt->tail_len;
    mt->tail_len = 0;
    mt->tail_stored = false;
    return 0;
}

static int
s_tail_add(pk_store_txn_t *txn, MDB_dbi logs, s_meta_t *mt, const uint8_t *data, size_t size)
{
    if (!mt->tail_open && s_tail_open(txn, logs, mt) != 0)
        return -1;
    while (size) {
        size_t n = CHUNK_MAX - mt->tail_len < size ? CHUNK_MAX - mt->tail_len : size;
        memcpy(mt->tail + mt->tail_len, data, n);
        mt->tail_len += n;
        data += n;
        size -= n;
        if (mt->tail_len == CHUNK_MAX && s_tail_flush(txn, logs, mt) != 0)
            return -1;
    }
    return 0;
}

int
pk_logs_append(pk_store_t *store, pk_store_txn_t *txn, pk_log_chunk_t *chunks, size_t count)
{
    MDB_dbi logs, meta;
    if (s_dbis(store, &logs, &meta) != 0)
        return -1;
    if (!chunks && count) {
        pk_store_fail(EINVAL, "logs: no chunks");
        return -1;
    }
    // refuse a bad batch before writing any of it
    for (size_t i = 0; i < count; i++) {
        if (s_check_id(chunks[i].id) != 0)
            return -1;
        if (!chunks[i].data && chunks[i].size) {
            pk_store_fail(EINVAL, "logs: chunk %zu has a size and no data", i);
            return -1;
        }
    }
    s_meta_t *metas = calloc(count + 1, sizeof *metas);
    size_t nmetas = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        pk_log_chunk_t *c = &chunks[i];
        s_meta_t *mt = NULL;
        for (size_t j = 0; j < nmetas && !mt; j++)
            if (metas[j].attempt == c->attempt && !strcmp(metas[j].id, c->id))
                mt = &metas[j];
        if (!mt) {
            mt = &metas[nmetas++];
            if (s_meta_load(txn, meta, c->id, c->attempt, mt, NULL) != 0) {
                rc = -1;
                break;
            }
            // a log begun by an older pikoci: its plain chunks stay below z
            if (!mt->has_z) {
                mt->z = mt->m.size;
                mt->has_z = true;
            }
        }
        c->offset = mt->m.size;
        if (c->size)
            rc = s_tail_add(txn, logs, mt, c->data, c->size);
        s_meta_add(mt, c);
    }
    for (size_t j = 0; j < nmetas; j++) {
        if (rc == 0)
            rc = s_tail_flush(txn, logs, &metas[j]);
        if (rc == 0)
            rc = s_meta_store(txn, meta, &metas[j]);
        free(metas[j].steps);
        free(metas[j].tail);
    }
    free(metas);
    return rc;
}

typedef struct {
    pk_key_t *keys;
    size_t count, max;
} s_keys_t;

static int
s_collect(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_keys_t *ks = arg;
    pk_key_init(&ks->keys[ks->count]);
    pk_key_bytes(&ks->keys[ks->count++], key, key_size);
    return ks->count == ks->max;
}

int
pk_logs_delete(pk_store_t *store, pk_store_txn_t *txn, const char *id, uint32_t attempt)
{
    MDB_dbi logs, meta;
    if (s_dbis(store, &logs, &meta) != 0 || s_check_id(id) != 0)
        return -1;
    pk_key_t prefix;
    s_key(&prefix, id, attempt);
    // a scan must not modify its keyspace: collect a batch, delete it, again
    s_keys_t ks = { calloc(256, sizeof(pk_key_t)), 0, 256 };
    bool any = false;
    int rc = 0;
    do {
        ks.count = 0;
        if (pk_store_scan(txn, logs, prefix.data, prefix.size, false, s_collect, &ks) < 0)
            rc = -1;
        for (size_t i = 0; i < ks.count && rc == 0; i++)
            rc = pk_store_del(txn, logs, ks.keys[i].data, ks.keys[i].size) < 0 ? -1 : 0;
        any = any || ks.count;
    } while (rc == 0 && ks.count);
    free(ks.keys);
    if (rc == 0) {
        int d = pk_store_del(txn, meta, prefix.data, prefix.size);
        rc = d < 0 ? -1 : (any || d == 0) ? 0 : PK_STORE_NOTFOUND;
    }
    return rc;
}

// Logs whose id starts with id_prefix and that match: at most max of them
// deleted in the caller's transaction (the meta keys are collected first).
typedef struct {
    const char *prefix;
    pk_logs_match_fn *match;
    void *arg;
    char **ids;
    uint32_t *attempts;
    size_t count, max;
} s_where_t;

static int
s_where_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_where_t *w = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    const char *id = pk_key_read_str(&r, NULL);
    uint32_t attempt = pk_key_read_u32(&r);
    if (pk_key_reader_done(&r) != 0 || (w->match && !w->match(id, w->arg)))
        return 0;
    w->ids[w->count] = strdup(id);
    w->attempts[w->count++] = attempt;
    return w->count == w->max;
}

int
pk_logs_delete_where(pk_store_t *store, pk_store_txn_t *txn, const char *id_prefix,
                     pk_logs_match_fn *match, void *arg, size_t max, size_t *deleted)
{
    *deleted = 0;
    MDB_dbi logs, meta;
    if (s_dbis(store, &logs, &meta) != 0 || !max)
        return -1;
    pk_key_t prefix;
    pk_key_init(&prefix);
    pk_key_str_prefix(&prefix, id_prefix);
    if (!pk_key_ok(&prefix))
        return -1;
    s_where_t w = { id_prefix, match, arg, calloc(max, sizeof(char *)),
                    calloc(max, sizeof(uint32_t)), 0, max };
    int rc = pk_store_scan(txn, meta, prefix.data, prefix.size, false, s_where_one, &w) < 0
           ? -1 : 0;
    for (size_t i = 0; i < w.count; i++) {
        if (rc == 0 && pk_logs_delete(store, txn, w.ids[i], w.attempts[i]) < 0)
            rc = -1;
        free(w.ids[i]);
    }
    *deleted = rc == 0 ? w.count : 0;
    free(w.ids);
    free(w.attempts);
    return rc;
}

// --- reads

typedef struct {
    size_t prefix_size;
    uint64_t z;             // chunks from here on are encoded
    uint8_t *buf;           // decoded chunks
    size_t cap;
    bool found;
    uint64_t start;         // offset of the chunk holding the first byte
    size_t len;
    uint64_t pos;           // next byte to deliver
    size_t remaining;
    uint64_t delivered;
    pk_logs_read_fn *fn;
    void *arg;
} s_read_t;

static int
s_chunk_offset(const s_read_t *r, const void *key, size_t key_size, uint64_t *offset)
{
    if (key_size != r->prefix_size + 8)
        return -1;
    pk_key_reader_t kr;
    pk_key_reader_init(&kr, (const uint8_t *) key + r->prefix_size, 8);
    *offset = pk_key_read_u64(&kr);
    return pk_key_reader_done(&kr);
}

static int
s_find(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    s_read_t *r = arg;
    if (s_chunk_offset(r, key, key_size, &r->start) != 0) {
        pk_store_fail(MDB_CORRUPTED, "logs: a log key has the wrong shape");
        return -1;
    }
    int64_t len = r->start >= r->z ? pk_logs_decoded_size(value, value_size)
                                    : (int64_t) value_size;
    if (len < 0) {
        pk_store_fail(MDB_CORRUPTED, "logs: a stored chunk is not a valid encoded chunk");
        return -1;
    }
    r->found = true;
    r->len = (size_t) len;
    return 1;
}

static int
s_stream(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    s_read_t *r = arg;
    uint64_t at;
    const uint8_t *data = value;
    if (s_chunk_offset(r, key, key_size, &at) != 0)
        at = UINT64_MAX;
    else
    if (at >= r->z) {
        int64_t n = pk_logs_decode(value, value_size, &r->buf, &r->cap, &data);
        if (n < 0)
            return -1;
        value_size = (size_t) n;
    }
    if (at == UINT64_MAX || at > r->pos || at + value_size <= r->pos) {
        pk_store_fail(MDB_CORRUPTED, "logs: chunks are not contiguous at byte %llu",
                      (unsigned long long) r->pos);
        return -1;
    }
    size_t skip = (size_t) (r->pos - at);
    size_t n = value_size - skip < r->remaining ? value_size - skip : r->remaining;
    int stop = r->fn(data + skip, n, r->arg);
    r->pos += n;
    r->remaining -= n;
    r->delivered += n;
    return stop || r->remaining == 0;
}

int64_t
pk_logs_read(pk_store_t *store, const char *id, uint32_t attempt, uint64_t offset,
             size_t max_bytes, pk_logs_read_fn *fn, void *arg)
{
    MDB_dbi logs, meta;
    if (s_dbis(store, &logs, &meta) != 0 || s_check_id(id) != 0)
        return -1;
    if (!fn) {
        pk_store_fail(EINVAL, "logs: read needs a callback");
        return -1;
    }
    if (!max_bytes || offset == UINT64_MAX)
        return 0;
    pk_key_t lo, hi, end;
    s_key(&lo, id, attempt);
    s_read_t r = { .prefix_size = lo.size, .pos = offset, .remaining = max_bytes,
                   .fn = fn, .arg = arg };
    end.size = pk_key_next_prefix(lo.data, lo.size, end.data);
    hi = lo;
    pk_key_u64(&hi, offset + 1);
    pk_store_txn_t *txn = pk_store_begin(store, false);
    if (!txn)
        return -1;
    // where encoded chunks begin: a log with no z has only plain ones
    s_meta_t mt;
    bool found = false;
    int64_t rc = s_meta_load(txn, meta, id, attempt, &mt, &found);
    r.z = mt.has_z ? mt.z : UINT64_MAX;
    free(mt.steps);
    // the last chunk starting at or before offset, then forward from it
    if (rc == 0)
        rc = pk_store_range(txn, logs, lo.data, lo.size, hi.data, hi.size, true, s_find, &r);
    if (rc >= 0 && r.found && offset < r.start + r.len) {
        pk_key_u64(&lo, r.start);
        rc = pk_store_range(txn, logs, lo.data, lo.size, end.size ? end.data : NULL, end.size,
                            false, s_stream, &r);
    }
    pk_store_abort(&txn);
    free(r.buf);
    return rc < 0 ? -1 : (int64_t) r.delivered;
}

typedef struct {
    uint8_t *buf;
    size_t used;
} s_copy_t;

static int
s_copy(const void *data, size_t size, void *arg)
{
    s_copy_t *c = arg;
    memcpy(c->buf + c->used, data, size);
    c->used += size;
    return 0;
}

int64_t
pk_logs_read_buf(pk_store_t *store, const char *id, uint32_t attempt, uint64_t offset,
                 void *buf, size_t len)
{
    if (!buf && len) {
        pk_store_fail(EINVAL, "logs: read into no buffer");
        return -1;
    }
    s_copy_t c = { buf, 0 };
    return pk_logs_read(store, id, attempt, offset, len, s_copy, &c);
}

// The meta of (id, attempt), read in its own read txn.
static int
s_with_meta(pk_store_t *store, const char *id, uint32_t attempt, s_meta_t *mt, bool *found)
{
    MDB_dbi logs, meta;
    memset(mt, 0, sizeof *mt);
    if (s_dbis(store, &logs, &meta) != 0 || s_check_id(id) != 0)
        return -1;
    pk_store_txn_t *txn = pk_store_begin(store, false);
    if (!txn)
        return -1;
    int rc = s_meta_load(txn, meta, id, attempt, mt, found);
    pk_store_abort(&txn);
    return rc;
}

int
pk_logs_meta(pk_store_t *store, const char *id, uint32_t attempt, pk_log_meta_t *meta)
{
    s_meta_t mt;
    bool found = false;
    int rc = s_with_meta(store, id, attempt, &mt, &found);
    free(mt.steps);
    if (meta)
        *meta = rc == 0 ? mt.m : (pk_log_meta_t) { 0 };
    return rc != 0 ? -1 : found ? 0 : PK_STORE_NOTFOUND;
}

int64_t
pk_logs_size(pk_store_t *store, const char *id, uint32_t attempt)
{
    pk_log_meta_t m;
    int rc = pk_logs_meta(store, id, attempt, &m);
    return rc < 0 ? -1 : (int64_t) m.size;
}

int
pk_logs_steps(pk_store_t *store, const char *id, uint32_t attempt, pk_log_step_t **steps,
              size_t *n)
{
    s_meta_t mt;
    int rc = s_with_meta(store, id, attempt, &mt, NULL);
    *steps = rc == 0 ? mt.steps : NULL;
    *n = rc == 0 ? mt.nsteps : 0;
    if (rc != 0)
        free(mt.steps);
    return rc;
}

int
pk_logs_step_range(pk_store_t *store, const char *id, uint32_t attempt, uint32_t step,
                   uint64_t *first, uint64_t *end)
{
    pk_log_step_t *steps;
    size_t n;
    if (pk_logs_steps(store, id, attempt, &steps, &n) != 0)
        return -1;
    int rc = PK_STORE_NOTFOUND;
    for (size_t i = 0; i < n && rc != 0; i++)
        if (steps[i].step == step) {
            if (first)
                *first = steps[i].first;
            if (end)
                *end = steps[i].end;
            rc = 0;
        }
    free(steps);
    return rc;
}
