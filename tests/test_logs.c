// test_logs: the log keyspaces (store/pk_logs) on real LMDB, both systems.
// Logs are appended in random batches of random-sized chunks while the test
// keeps the same bytes in a reference buffer; every read (random offsets,
// chunk boundaries, the first and last byte, past the end, early stops) is
// compared with it. Also: logs that share a prefix stay apart, meta and step
// ranges, delete, map growth under a batch, and bad input.
// Seeds come from PK_TEST_SEED or the clock and are printed for replay.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "pk_key.h"
#include "pk_logs.h"

static uint64_t s_rng;

static uint64_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static pk_store_t *
s_open(const char *system, char *dir, const pk_store_opts_t *opts)
{
    char *err = NULL;
    if (dir) {
        strcpy(dir, "/tmp/pk-test-logs-XXXXXX");
        assert_non_null(mkdtemp(dir));
    }
    pk_store_t *s = pk_store_open_opts(system, dir, opts, &err);
    if (!s)
        fail_msg("open %s: %s", system, err);
    assert_int_equal(pk_logs_init(s), 0);
    return s;
}

static void
s_remove_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

// A log being built: its bytes and where each stored chunk starts.
typedef struct {
    const char *id;
    uint32_t attempt;
    uint8_t *bytes;
    size_t size, cap;
    uint64_t *starts;
    size_t nstarts;
    uint64_t seq;
} ref_t;

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

// One batch: count random chunks spread over the refs, committed together.
static void
s_append_batch(pk_store_t *store, ref_t *refs, size_t nrefs, size_t count, size_t max_chunk)
{
    pk_log_chunk_t *chunks = calloc(count, sizeof *chunks);
    ref_t **owner = calloc(count, sizeof *owner);
    for (size_t i = 0; i < count; i++) {
        ref_t *r = &refs[s_rand() % nrefs];
        size_t n = 1 + s_rand() % max_chunk;
        uint8_t *data = malloc(n);
        for (size_t j = 0; j < n; j++)
            data[j] = (uint8_t) s_rand();
        chunks[i] = (pk_log_chunk_t) { .id = r->id, .attempt = r->attempt,
                                       .step = (uint32_t) (r->seq / 4), .seq = r->seq++,
                                       .data = data, .size = n };
        owner[i] = r;
    }
    batch_t b = { store, chunks, count };
    if (pk_store_write(store, s_append_fn, &b) != 0)
        fail_msg("append: %s", pk_store_error());
    for (size_t i = 0; i < count; i++) {
        ref_t *r = owner[i];
        assert_int_equal(chunks[i].offset, r->size);     // contiguous, in order
        if (r->size + chunks[i].size > r->cap) {
            r->cap = (r->size + chunks[i].size) * 2;
            r->bytes = realloc(r->bytes, r->cap);
        }
        memcpy(r->bytes + r->size, chunks[i].data, chunks[i].size);
        r->size += chunks[i].size;
        r->starts = realloc(r->starts, (r->nstarts + 1) * sizeof(uint64_t));
        r->starts[r->nstarts++] = chunks[i].offset;
        free((void *) chunks[i].data);
    }
    free(chunks);
    free(owner);
}

static void
s_check_read(pk_store_t *store, const ref_t *r, uint64_t offset, size_t len)
{
    uint8_t *buf = malloc(len + 1);
    int64_t got = pk_logs_read_buf(store, r->id, r->attempt, offset, buf, len);
    size_t want = offset >= r->size ? 0 : (r->size - offset < len ? r->size - offset : len);
    if (got != (int64_t) want)
        fail_msg("%s#%u: read(%llu, %zu) gave %lld bytes, want %zu (%s)", r->id, r->attempt,
                 (unsigned long long) offset, len, (long long) got, want, pk_store_error());
    if (want && memcmp(buf, r->bytes + offset, want))
        fail_msg("%s#%u: read(%llu, %zu) differs from the reference", r->id, r->attempt,
                 (unsigned long long) offset, len);
    free(buf);
}

static void
s_check_all(pk_store_t *store, const ref_t *r, int random_reads)
{
    pk_log_meta_t m;
    assert_int_equal(pk_logs_meta(store, r->id, r->attempt, &m), 0);
    assert_int_equal(m.size, r->size);
    // stored chunks are re-cut (pk_logs.c): never more than were appended
    assert_true(m.chunks <= r->nstarts);
    assert_true(m.chunks > 0 || !r->size);
    assert_int_equal(m.next_seq, r->seq);
    assert_int_equal(pk_logs_size(store, r->id, r->attempt), (int64_t) r->size);
    // the whole log, the edges, every chunk boundary and its neighbours
    s_check_read(store, r, 0, r->size + 10);
    s_check_read(store, r, 0, 1);
    if (r->size)
        s_check_read(store, r, r->size - 1, 5);
    s_check_read(store, r, r->size, 5);
    s_check_read(store, r, r->size + 1000, 5);
    s_check_read(store, r, UINT64_MAX, 5);
    s_check_read(store, r, UINT64_MAX - 1, 5);
    for (size_t i = 0; i < r->nstarts; i++) {
        s_check_read(store, r, r->starts[i], 1 + s_rand() % 3000);
        if (r->starts[i])
            s_check_read(store, r, r->starts[i] - 1, 2);
    }
    for (int i = 0; i < random_reads; i++)
        s_check_read(store, r, s_rand() % (r->size + 100), s_rand() % 20000);
    uint8_t b;
    assert_int_equal(pk_logs_read_buf(store, r->id, r->attempt, 0, &b, 0), 0);
}

static void
s_free_ref(ref_t *r)
{
    free(r->bytes);
    free(r->starts);
}

// Logs whose keys share prefixes: "a"/"ab", and two attempts of one id.
static void
s_random_logs(const char *system)
{
    char dir[64];
    pk_store_t *store = s_open(system, strcmp(system, "lmdb") ? NULL : dir, NULL);
    ref_t refs[4] = { { .id = "build:p/j/1", .attempt = 1 }, { .id = "build:p/j/1", .attempt = 2 },
                      { .id = "a", .attempt = 1 }, { .id = "ab", .attempt = 1 } };
    for (int batch = 0; batch < 40; batch++)
        s_append_batch(store, refs, 4, 1 + s_rand() % 30, batch % 3 ? 5000 : 70000);
    for (int i = 0; i < 4; i++)
        s_check_all(store, &refs[i], 300);
    assert_int_equal(pk_logs_size(store, "build:p/j/1", 3), 0);
    assert_int_equal(pk_logs_size(store, "build:p/j/", 1), 0);
    uint8_t b[4];
    assert_int_equal(pk_logs_read_buf(store, "nothing", 1, 0, b, 4), 0);
    // delete one: the others, including its sibling attempt and "ab", stay
    pk_store_txn_t *txn = pk_store_begin(store, true);
    assert_int_equal(pk_logs_delete(store, txn, "build:p/j/1", 1), 0);
    assert_int_equal(pk_logs_delete(store, txn, "a", 1), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    assert_int_equal(pk_logs_size(store, "build:p/j/1", 1), 0);
    assert_int_equal(pk_logs_meta(store, "a", 1, NULL), PK_STORE_NOTFOUND);
    assert_int_equal(pk_logs_read_buf(store, "a", 1, 0, b, 4), 0);
    s_check_all(store, &refs[1], 50);
    s_check_all(store, &refs[3], 50);
    txn = pk_store_begin(store, true);
    assert_int_equal(pk_logs_delete(store, txn, "a", 1), PK_STORE_NOTFOUND);
    pk_store_abort(&txn);
    pk_store_close(&store);
    if (!strcmp(system, "lmdb")) {
        // durable: everything left is there after reopening
        store = pk_store_open("lmdb", dir, NULL);
        assert_non_null(store);
        s_check_all(store, &refs[1], 50);
        s_check_all(store, &refs[3], 50);
        pk_store_close(&store);
        s_remove_dir(dir);
    }
    for (int i = 0; i < 4; i++)
        s_free_ref(&refs[i]);
}

static void
test_random_logs_mem(void **state)
{
    (void) state;
    s_random_logs("mem");
}

static void
test_random_logs_lmdb(void **state)
{
    (void) state;
    s_random_logs("lmdb");
}

// A callback that stops after n calls; reads deliver exactly what it saw.
typedef struct {
    int calls, stop_after;
    size_t bytes;
} stop_t;

static int
s_stop_fn(const void *data, size_t size, void *arg)
{
    (void) data;
    stop_t *s = arg;
    s->bytes += size;
    return ++s->calls == s->stop_after;
}

static void
test_meta_steps_and_stops(void **state)
{
    (void) state;
    pk_store_t *store = s_open("mem", NULL, NULL);
    // steps 0, 1, 0 again (parallel output), and an empty chunk moving next_seq
    const char *text[] = { "zero-a ", "one ", "zero-b ", "" };
    uint32_t steps[] = { 0, 1, 0, 1 };
    pk_log_chunk_t c[4];
    for (int i = 0; i < 4; i++)
        c[i] = (pk_log_chunk_t) { .id = "b", .attempt = 7, .step = steps[i], .seq = (uint64_t) i + 10,
                                  .data = text[i], .size = strlen(text[i]) };
    batch_t b = { store, c, 4 };
    assert_int_equal(pk_store_write(store, s_append_fn, &b), 0);
    pk_log_meta_t m;
    assert_int_equal(pk_logs_meta(store, "b", 7, &m), 0);
    size_t total = strlen(text[0]) + strlen(text[1]) + strlen(text[2]);
    assert_int_equal(m.size, total);
    assert_int_equal(m.chunks, 1);     // one batch of small chunks: one stored chunk
    assert_int_equal(m.next_seq, 14);
    uint64_t first, end;
    assert_int_equal(pk_logs_step_range(store, "b", 7, 0, &first, &end), 0);
    assert_int_equal(first, 0);
    assert_int_equal(end, total);
    assert_int_equal(pk_logs_step_range(store, "b", 7, 1, &first, &end), 0);
    assert_int_equal(first, strlen(text[0]));
    assert_int_equal(end, strlen(text[0]) + strlen(text[1]));
    assert_int_equal(pk_logs_step_range(store, "b", 7, 2, &first, &end), PK_STORE_NOTFOUND);
    // a callback that stops: reading ends there (the three small chunks
    // were stored as one, so one call saw them all)
    stop_t st = { .stop_after = 1 };
    int64_t delivered = pk_logs_read(store, "b", 7, 0, 1000, s_stop_fn, &st);
    assert_int_equal(delivered, (int64_t) st.bytes);
    assert_int_equal(st.calls, 1);
    assert_int_equal(st.bytes, total);
    char buf[64] = "";
    assert_int_equal(pk_logs_read_buf(store, "b", 7, 3, buf, 8), 8);
    assert_memory_equal(buf, "o-a one ", 8);
    pk_store_close(&store);
}

// Batches bigger than the map: pk_store_write grows it and redoes the batch.
static void
test_map_growth(void **state)
{
    (void) state;
    pk_store_opts_t opts = { .map_size = 1 << 20 };
    pk_store_t *store = s_open("mem", NULL, &opts);
    ref_t r = { .id = "big", .attempt = 1 };
    for (int i = 0; i < 12; i++)
        s_append_batch(store, &r, 1, 20, 65536);
    assert_true(pk_store_map_size(store) > (1u << 20));
    s_check_all(store, &r, 200);
    s_free_ref(&r);
    pk_store_close(&store);
}

static int
s_garbage_fn(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, "junk");
    pk_key_u32(&k, 1);
    return pk_store_put(txn, pk_store_dbi(store, "log_meta"), k.data, k.size, "\x93\x01\x02\x03", 4);
}

static void
test_bad_input(void **state)
{
    (void) state;
    pk_store_t *store = s_open("mem", NULL, NULL);
    char long_id[PK_LOGS_ID_MAX + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    uint8_t buf[8];
    assert_int_equal(pk_logs_read_buf(store, NULL, 1, 0, buf, 8), -1);
    assert_int_equal(pk_logs_read_buf(store, long_id, 1, 0, buf, 8), -1);
    assert_non_null(strstr(pk_store_error(), "at most"));
    assert_int_equal(pk_logs_read(store, "x", 1, 0, 8, NULL, NULL), -1);
    assert_int_equal(pk_logs_size(NULL, "x", 1), -1);
    assert_int_equal(pk_logs_init(NULL), -1);
    // a bad chunk fails the batch before anything is written
    pk_log_chunk_t c[2] = { { .id = "ok", .attempt = 1, .data = "abc", .size = 3 },
                            { .id = long_id, .attempt = 1, .data = "abc", .size = 3 } };
    batch_t b = { store, c, 2 };
    assert_int_equal(pk_store_write(store, s_append_fn, &b), -1);
    c[1] = (pk_log_chunk_t) { .id = "ok", .attempt = 1, .data = NULL, .size = 3 };
    assert_int_equal(pk_store_write(store, s_append_fn, &b), -1);
    assert_int_equal(pk_logs_size(store, "ok", 1), 0);
    // the longest id fits
    long_id[PK_LOGS_ID_MAX] = 0;
    c[1] = (pk_log_chunk_t) { .id = long_id, .attempt = UINT32_MAX, .data = "abc", .size = 3 };
    assert_int_equal(pk_store_write(store, s_append_fn, &b), 0);
    assert_int_equal(pk_logs_read_buf(store, long_id, UINT32_MAX, 1, buf, 8), 2);
    // a corrupt meta is an error with a message, not a crash
    assert_int_equal(pk_store_write(store, s_garbage_fn, store), 0);
    assert_int_equal(pk_logs_size(store, "junk", 1), -1);
    assert_non_null(strstr(pk_store_error(), "not a log meta"));
    c[0] = (pk_log_chunk_t) { .id = "junk", .attempt = 1, .data = "abc", .size = 3 };
    b.count = 1;
    assert_int_equal(pk_store_write(store, s_append_fn, &b), -1);
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
        cmocka_unit_test(test_random_logs_mem),
        cmocka_unit_test(test_random_logs_lmdb),
        cmocka_unit_test(test_meta_steps_and_stops),
        cmocka_unit_test(test_map_growth),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
