// test_logs_codec: compressed log chunks (store/pk_logs_codec, pk_logs) on
// real LMDB. Text logs are stored in a fraction of their size and read back
// byte for byte from any offset; a log written by the older layout (plain
// chunks, no `z` in its meta) reads the same and can be continued; small
// appends are merged into their log's last chunk; random sizes and random
// bytes (which do not compress) round-trip; a corrupt chunk is an error.
// Seeds come from PK_TEST_SEED or the clock and are printed for replay.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "pk_key.h"
#include "pk_logs.h"
#include "pk_logs_codec.h"

static uint64_t s_rng;

static uint64_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

// n bytes of build-log-like text
static uint8_t *
s_text(size_t n)
{
    static const char *words[] = { "Building", "C", "object", "src/store/pk_logs.c.o", "ok",
                                   "warning:", "unused", "test_", "[ 42%]", "-O2", "-Wall" };
    uint8_t *t = malloc(n + 1);
    size_t at = 0;
    while (at < n) {
        char w[64];
        int len = s_rand() % 8 ? snprintf(w, sizeof w, "%s ", words[s_rand() % 11])
                               : snprintf(w, sizeof w, "%llu\n",
                                          (unsigned long long) (s_rand() % 100000));
        for (int i = 0; i < len && at < n; i++)
            t[at++] = (uint8_t) w[i];
    }
    return t;
}

typedef struct {
    pk_store_t *store;
    pk_log_chunk_t *chunks;
    size_t count;
} batch_t;

static int
s_append_fn(pk_store_txn_t *txn, void *arg)
{
    batch_t *b = arg;
    return pk_logs_append(b->store, txn, b->chunks, b->count);
}

static void
s_append(pk_store_t *store, const char *id, const uint8_t *data, size_t size, uint64_t seq)
{
    pk_log_chunk_t c = { .id = id, .attempt = 1, .seq = seq, .data = data, .size = size };
    batch_t b = { store, &c, 1 };
    if (pk_store_write(store, s_append_fn, &b) != 0)
        fail_msg("append: %s", pk_store_error());
}

static void
s_check(pk_store_t *store, const char *id, const uint8_t *want, size_t size, uint64_t offset,
        size_t len)
{
    uint8_t *buf = malloc(len + 1);
    int64_t got = pk_logs_read_buf(store, id, 1, offset, buf, len);
    size_t n = offset >= size ? 0 : size - offset < len ? size - offset : len;
    if (got != (int64_t) n)
        fail_msg("%s: read(%llu, %zu) gave %lld, want %zu (%s)", id, (unsigned long long) offset,
                 len, (long long) got, n, pk_store_error());
    if (n && memcmp(buf, want + offset, n))
        fail_msg("%s: read(%llu, %zu) differs", id, (unsigned long long) offset, len);
    free(buf);
}

// Bytes of values stored under a log's keys.
typedef struct {
    size_t bytes, count;
} sum_t;

static int
s_sum(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) key;
    (void) key_size;
    (void) value;
    sum_t *s = arg;
    s->bytes += value_size;
    s->count++;
    return 0;
}

// Stops after its second call; counts the bytes it saw.
static int
s_two_fn(const void *data, size_t size, void *arg)
{
    (void) data;
    static int calls;
    size_t *seen = arg;
    *seen += size;
    return ++calls % 2 == 0;
}

static sum_t
s_stored(pk_store_t *store, const char *id)
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, id);
    pk_key_u32(&k, 1);
    sum_t s = { 0 };
    pk_store_txn_t *txn = pk_store_begin(store, false);
    assert_true(pk_store_scan(txn, pk_store_dbi(store, "logs"), k.data, k.size, false, s_sum,
                              &s) >= 0);
    pk_store_abort(&txn);
    return s;
}

static void
test_codec_round_trip(void **state)
{
    (void) state;
    size_t sizes[] = { 1, 2, 100, 4096, 65536, 131072 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int random = 0; random < 2; random++) {
            uint8_t *raw = random ? malloc(sizes[i]) : s_text(sizes[i]);
            for (size_t j = 0; random && j < sizes[i]; j++)
                raw[j] = (uint8_t) s_rand();
            uint8_t *v = NULL, *buf = NULL;
            size_t vsize = 0, cap = 0;
            const uint8_t *data = NULL;
            assert_int_equal(pk_logs_encode(raw, sizes[i], &v, &vsize), 0);
            // what does not shrink is kept as it is, behind its tag
            assert_true(vsize <= sizes[i] + 1);
            if (random || sizes[i] < 8)
                assert_int_equal(v[0], PK_LOGS_RAW);
            if (!random && sizes[i] >= 4096) {
                assert_int_equal(v[0], PK_LOGS_ZSTD);
                assert_true(vsize < sizes[i] / 2);
            }
            assert_int_equal(pk_logs_decoded_size(v, vsize), (int64_t) sizes[i]);
            assert_int_equal(pk_logs_decode(v, vsize, &buf, &cap, &data), (int64_t) sizes[i]);
            assert_memory_equal(data, raw, sizes[i]);
            // a damaged value is refused, never read past
            v[0] = 7;
            assert_int_equal(pk_logs_decoded_size(v, vsize), -1);
            assert_int_equal(pk_logs_decode(v, vsize, &buf, &cap, &data), -1);
            assert_int_equal(pk_logs_decoded_size(v, 1), -1);
            free(v);
            free(buf);
            free(raw);
        }
    }
}

// 4 MB of text in sink-sized chunks: stored in under a third, read back
// from every chunk boundary and random offsets.
static void
test_text_compresses(void **state)
{
    (void) state;
    pk_store_t *store = pk_store_open("mem", NULL, NULL);
    assert_non_null(store);
    assert_int_equal(pk_logs_init(store), 0);
    size_t size = 4 << 20;
    uint8_t *text = s_text(size);
    uint64_t seq = 0;
    for (size_t at = 0; at < size; at += 65536)
        s_append(store, "t", text + at, size - at < 65536 ? size - at : 65536, seq++);
    sum_t s = s_stored(store, "t");
    print_message("4 MB of text stored in %zu bytes (%.1f %%), %zu chunks\n", s.bytes,
                  100.0 * (double) s.bytes / (double) size, s.count);
    assert_true(s.bytes < size / 3);
    pk_log_meta_t m;
    assert_int_equal(pk_logs_meta(store, "t", 1, &m), 0);
    assert_int_equal(m.size, size);
    assert_int_equal(m.chunks, s.count);
    s_check(store, "t", text, size, 0, size + 1);
    for (size_t at = 0; at <= size; at += 65536) {
        s_check(store, "t", text, size, at, 10);
        if (at)
            s_check(store, "t", text, size, at - 3, 7);     // across a boundary
    }
    for (int i = 0; i < 200; i++)
        s_check(store, "t", text, size, s_rand() % (size + 10), s_rand() % 300000);
    // one callback per stored chunk touched, and a stop is a stop
    size_t seen = 0;
    assert_int_equal(pk_logs_read(store, "t", 1, 1000, size, s_two_fn, &seen), (int64_t) seen);
    assert_true(seen > 1000 && seen < size / 2);
    free(text);
    pk_store_close(&store);
}

// A line per commit: the last chunk takes the next lines in, so the log is
// a few chunks that compress, not thousands of tiny ones.
static void
test_small_appends_merge(void **state)
{
    (void) state;
    pk_store_t *store = pk_store_open("mem", NULL, NULL);
    assert_non_null(store);
    assert_int_equal(pk_logs_init(store), 0);
    size_t size = 300000;
    uint8_t *text = s_text(size);
    size_t at = 0;
    uint64_t seq = 0;
    while (at < size) {
        size_t n = 1 + s_rand() % 120;
        n = n < size - at ? n : size - at;
        s_append(store, "small", text + at, n, seq++);
        at += n;
        if (seq % 97 == 0)
            s_check(store, "small", text, at, s_rand() % at, 500);
    }
    sum_t s = s_stored(store, "small");
    print_message("%llu appends: %zu chunks, %zu bytes (%.1f %%)\n", (unsigned long long) seq,
                  s.count, s.bytes, 100.0 * (double) s.bytes / (double) size);
    assert_true(s.count <= size / (32 * 1024) + 2);
    assert_true(s.bytes < size / 3);
    s_check(store, "small", text, size, 0, size);
    for (int i = 0; i < 100; i++)
        s_check(store, "small", text, size, s_rand() % size, s_rand() % 70000);
    free(text);
    pk_store_close(&store);
}

// Chunks of random sizes (1 byte .. 300 KB) and random content, many per
// batch and several logs per batch: every read equals the reference.
static void
test_random_sizes(void **state)
{
    (void) state;
    pk_store_t *store = pk_store_open("mem", NULL, NULL);
    assert_non_null(store);
    assert_int_equal(pk_logs_init(store), 0);
    const char *ids[2] = { "r1", "r2" };
    size_t cap = 8 << 20, size[2] = { 0, 0 };
    uint8_t *ref[2] = { malloc(cap), malloc(cap) };
    uint64_t seq[2] = { 0, 0 };
    for (int batch = 0; batch < 40; batch++) {
        size_t count = 1 + s_rand() % 6;
        pk_log_chunk_t c[6];
        uint8_t *data[6];
        for (size_t i = 0; i < count; i++) {
            int l = (int) (s_rand() % 2);
            size_t n = s_rand() % 4 ? 1 + s_rand() % 3000 : 1 + s_rand() % 300000;
            if (size[l] + n > cap)
                n = 1;
            data[i] = s_rand() % 3 ? s_text(n) : malloc(n);
            if (s_rand() % 3 == 0)
                for (size_t j = 0; j < n; j++)
                    data[i][j] = (uint8_t) s_rand();
            c[i] = (pk_log_chunk_t) { .id = ids[l], .attempt = 1, .seq = seq[l]++,
                                      .data = data[i], .size = n };
            memcpy(ref[l] + size[l], data[i], n);
            size[l] += n;
        }
        batch_t b = { store, c, count };
        if (pk_store_write(store, s_append_fn, &b) != 0)
            fail_msg("append: %s", pk_store_error());
        for (size_t i = 0; i < count; i++)
            free(data[i]);
        for (int l = 0; l < 2; l++)
            if (size[l])
                s_check(store, ids[l], ref[l], size[l], s_rand() % size[l], s_rand() % 200000);
    }
    for (int l = 0; l < 2; l++) {
        s_check(store, ids[l], ref[l], size[l], 0, size[l] + 5);
        for (int i = 0; i < 200; i++)
            s_check(store, ids[l], ref[l], size[l], s_rand() % (size[l] + 5), s_rand() % 150000);
        assert_int_equal(pk_logs_size(store, ids[l], 1), (int64_t) size[l]);
        free(ref[l]);
    }
    pk_store_close(&store);
}

// --- the layout before compression: plain chunk values, a meta without z

static void
s_key_at(pk_key_t *k, const char *id, uint64_t offset)
{
    pk_key_init(k);
    pk_key_str(k, id);
    pk_key_u32(k, 1);
    pk_key_u64(k, offset);
}

typedef struct {
    pk_store_t *store;
    const char *text;
} old_t;

// What the older pk_logs wrote for the chunks "hello " "old " "world\n".
static int
s_old_fn(pk_store_txn_t *txn, void *arg)
{
    old_t *o = arg;
    size_t cuts[] = { 0, 6, 10, 16 };
    for (int i = 0; i < 3; i++) {
        pk_key_t k;
        s_key_at(&k, "old", cuts[i]);
        if (pk_store_put(txn, pk_store_dbi(o->store, "logs"), k.data, k.size, o->text + cuts[i],
                         cuts[i + 1] - cuts[i]) != 0)
            return -1;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "size", 4);
    msgpack_pack_uint64(&pk, 16);
    msgpack_pack_str_with_body(&pk, "chunks", 6);
    msgpack_pack_uint64(&pk, 3);
    msgpack_pack_str_with_body(&pk, "next_seq", 8);
    msgpack_pack_uint64(&pk, 3);
    msgpack_pack_str_with_body(&pk, "steps", 5);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint32(&pk, 0);
    msgpack_pack_uint64(&pk, 0);
    msgpack_pack_uint64(&pk, 16);
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, "old");
    pk_key_u32(&k, 1);
    int rc = pk_store_put_msgpack(txn, pk_store_dbi(o->store, "log_meta"), k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void
test_old_layout(void **state)
{
    (void) state;
    char dir[] = "/tmp/pk-test-logs-codec-XXXXXX";
    assert_non_null(mkdtemp(dir));
    pk_store_t *store = pk_store_open("lmdb", dir, NULL);
    assert_non_null(store);
    assert_int_equal(pk_logs_init(store), 0);
    // a first byte that looks like a tag must not be taken for one
    const char *text = "\001ello old world\n";
    old_t o = { store, text };
    assert_int_equal(pk_store_write(store, s_old_fn, &o), 0);
    for (size_t off = 0; off <= 17; off++)
        for (size_t len = 1; len <= 17; len++)
            s_check(store, "old", (const uint8_t *) text, 16, off, len);
    // continued by today's code: the old chunks stay as they are, the new
    // bytes are encoded, and the whole log reads as one
    size_t more = 200000;
    uint8_t *all = malloc(16 + more);
    memcpy(all, text, 16);
    uint8_t *t = s_text(more);
    memcpy(all + 16, t, more);
    s_append(store, "old", t, 100, 3);
    s_append(store, "old", t + 100, more - 100, 4);
    free(t);
    pk_store_close(&store);
    store = pk_store_open("lmdb", dir, NULL);
    assert_non_null(store);
    assert_int_equal(pk_logs_size(store, "old", 1), (int64_t) (16 + more));
    s_check(store, "old", all, 16 + more, 0, 16 + more);
    for (size_t off = 0; off < 40; off++)
        s_check(store, "old", all, 16 + more, off, 30);
    for (int i = 0; i < 100; i++)
        s_check(store, "old", all, 16 + more, s_rand() % (16 + more), s_rand() % 150000);
    // the old chunks are still plain: the first value is the first 6 bytes
    pk_key_t k;
    s_key_at(&k, "old", 0);
    pk_store_txn_t *txn = pk_store_begin(store, false);
    const void *v;
    size_t vsize;
    assert_int_equal(pk_store_get(txn, pk_store_dbi(store, "logs"), k.data, k.size, &v, &vsize),
                     0);
    assert_int_equal(vsize, 6);
    assert_memory_equal(v, text, 6);
    pk_store_abort(&txn);
    free(all);
    pk_store_close(&store);
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int
s_corrupt_fn(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    pk_key_t k;
    s_key_at(&k, "bad", 0);
    return pk_store_put(txn, pk_store_dbi(store, "logs"), k.data, k.size,
                        "\001\050\265\057\375garbage", 10);
}

static void
test_corrupt_chunk(void **state)
{
    (void) state;
    pk_store_t *store = pk_store_open("mem", NULL, NULL);
    assert_non_null(store);
    assert_int_equal(pk_logs_init(store), 0);
    uint8_t *t = s_text(5000);
    s_append(store, "bad", t, 5000, 0);
    assert_int_equal(pk_store_write(store, s_corrupt_fn, store), 0);
    uint8_t buf[64];
    assert_int_equal(pk_logs_read_buf(store, "bad", 1, 0, buf, sizeof buf), -1);
    assert_non_null(strstr(pk_store_error(), "chunk"));
    free(t);
    pk_store_close(&store);
}

int
main(void)
{
    const char *seed = getenv("PK_TEST_SEED");
    s_rng = seed ? strtoull(seed, NULL, 0) : (uint64_t) time(NULL) * 2654435761u + (uint64_t) getpid();
    if (!s_rng)
        s_rng = 1;
    printf("PK_TEST_SEED=%llu\n", (unsigned long long) s_rng);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_text_compresses),
        cmocka_unit_test(test_small_appends_merge),
        cmocka_unit_test(test_random_sizes),
        cmocka_unit_test(test_old_layout),
        cmocka_unit_test(test_corrupt_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
