// test_store: the store library, every behaviour run twice: on "lmdb" in a
// temporary directory and on "mem". Expected orders and contents are
// computed (sorted references, regenerated payloads), not written down.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pk_key.h"
#include "pk_store.h"

#define MIB ((size_t) 1 << 20)

typedef struct {
    const char *system;
    char tmp[256];          // per-test scratch directory (lmdb stores live here)
    pk_store_t *store;
} fixture_t;

static fixture_t s_lmdb = { .system = "lmdb" };
static fixture_t s_mem = { .system = "mem" };

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove(path);
}

static void
s_rm_rf(const char *path)
{
    nftw(path, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
s_make_tmp(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, size, "%s/pk-test-store-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(out));
}

// Open a store of the fixture's system; lmdb ones in tmp/<sub>.
static pk_store_t *
s_open(fixture_t *f, const char *sub, const pk_store_opts_t *opts)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->tmp, sub);
    char *err = NULL;
    pk_store_t *store = pk_store_open_opts(f->system, path, opts, &err);
    if (!store)
        fail_msg("open %s: %s", f->system, err);
    assert_null(err);
    return store;
}

static int
s_setup(void **state)
{
    fixture_t *f = *state;
    s_make_tmp(f->tmp, sizeof f->tmp);
    f->store = s_open(f, "db", NULL);
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    pk_store_close(&f->store);
    s_rm_rf(f->tmp);
    return 0;
}

static size_t
s_key3(uint8_t *out, uint32_t pipeline, uint32_t job, uint64_t build)
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_u32(&k, pipeline);
    pk_key_u32(&k, job);
    pk_key_u64(&k, build);
    assert_true(pk_key_ok(&k));
    memcpy(out, k.data, k.size);
    return k.size;
}

// Deterministic payload for record i: size and bytes both derive from i.
static size_t
s_payload(uint64_t i, uint8_t *out, size_t base)
{
    size_t size = base + (size_t) (i % 97);
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    for (size_t n = 0; n < size; n++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        out[n] = (uint8_t) x;
    }
    return size;
}

// ---------------------------------------------------------------- keys

static int
s_tuple_cmp(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

static void
test_key_order(void **state)
{
    (void) state;
    uint8_t k9[PK_KEY_MAX], k10[PK_KEY_MAX];
    size_t n9 = s_key3(k9, 1, 1, 9), n10 = s_key3(k10, 1, 1, 10);
    assert_int_equal(n9, 16);
    assert_int_equal(n10, 16);
    assert_true(memcmp(k9, k10, n9) < 0);           // build 10 sorts after 9
    assert_true(s_key3(k10, 1, 1, 256) == 16 && memcmp(k9, k10, 16) < 0);

    // Random tuples: memcmp order of the keys equals numeric tuple order.
    enum { N = 500 };
    static uint64_t tuples[N][3];
    static uint8_t keys[N][16];
    srand(7);
    for (int i = 0; i < N; i++) {
        tuples[i][0] = (uint64_t) rand() % 4;
        tuples[i][1] = (uint64_t) rand() % 300;     // crosses byte boundaries
        tuples[i][2] = ((uint64_t) rand() << 20) ^ (uint64_t) rand();
    }
    for (int i = 0; i < N; i++)
        s_key3(keys[i], (uint32_t) tuples[i][0], (uint32_t) tuples[i][1], tuples[i][2]);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j += 7) {
            int numeric = s_tuple_cmp(tuples[i], tuples[j]);
            int bytes = memcmp(keys[i], keys[j], 16);
            assert_int_equal(numeric < 0, bytes < 0);
            assert_int_equal(numeric == 0, bytes == 0);
        }

    // Signed values and strings.
    int64_t signs[] = { INT64_MIN, -5, -1, 0, 3, INT64_MAX };
    uint8_t prev[8];
    for (size_t i = 0; i < sizeof signs / sizeof signs[0]; i++) {
        pk_key_t k;
        pk_key_init(&k);
        pk_key_i64(&k, signs[i]);
        if (i)
            assert_true(memcmp(prev, k.data, 8) < 0);
        memcpy(prev, k.data, 8);
    }
    const char *names[] = { "a", "ab", "b", "ba" };
    for (int i = 1; i < 4; i++) {
        pk_key_t a, b;
        pk_key_init(&a);
        pk_key_init(&b);
        pk_key_str(&a, names[i - 1]);
        pk_key_str(&b, names[i]);
        size_t n = a.size < b.size ? a.size : b.size;
        assert_true(memcmp(a.data, b.data, n) < 0);
    }
}

static void
test_key_read(void **state)
{
    (void) state;
    pk_key_t k;
    pk_key_init(&k);
    assert_false(pk_key_ok(&k));                    // empty keys are not valid
    pk_key_u32(&k, 0xA1B2C3D4);
    pk_key_u16(&k, 0xBEEF);
    pk_key_u8(&k, 0x7F);
    pk_key_u64(&k, UINT64_C(0x0102030405060708));
    pk_key_str(&k, "main");
    pk_key_i64(&k, -42);
    pk_key_str(&k, "");
    assert_true(pk_key_ok(&k));
    assert_int_equal(k.size, 4 + 2 + 1 + 8 + 5 + 8 + 1);
    assert_int_equal(k.data[0], 0xA1);              // big-endian on the wire
    assert_int_equal(k.data[7], 0x01);

    pk_key_reader_t r;
    pk_key_reader_init(&r, k.data, k.size);
    assert_int_equal(pk_key_read_u32(&r), 0xA1B2C3D4);
    assert_int_equal(pk_key_read_u16(&r), 0xBEEF);
    assert_int_equal(pk_key_read_u8(&r), 0x7F);
    assert_true(pk_key_read_u64(&r) == UINT64_C(0x0102030405060708));
    size_t len;
    assert_string_equal(pk_key_read_str(&r, &len), "main");
    assert_int_equal(len, 4);
    assert_true(pk_key_read_i64(&r) == -42);
    assert_string_equal(pk_key_read_str(&r, NULL), "");
    assert_int_equal(pk_key_reader_done(&r), 0);

    // Truncated keys and strings without a terminator are errors, not overreads.
    pk_key_reader_init(&r, k.data, 3);
    assert_int_equal(pk_key_read_u32(&r), 0);
    assert_int_equal(pk_key_reader_done(&r), -1);
    pk_key_reader_init(&r, "abc", 3);
    assert_null(pk_key_read_str(&r, &len));
    assert_int_equal(pk_key_reader_done(&r), -1);
    pk_key_reader_init(&r, k.data, k.size);
    pk_key_read_u32(&r);
    assert_int_equal(pk_key_reader_done(&r), -1);   // not all consumed
    pk_key_reader_init(&r, NULL, 0);
    assert_null(pk_key_read_str(&r, NULL));

    // Overflow marks the key instead of truncating it.
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pk_key_init(&k);
    pk_key_u32(&k, 1);
    pk_key_str(&k, big);
    assert_false(pk_key_ok(&k));
    pk_key_u8(&k, 1);
    assert_int_equal(k.size, 4);

    // next_prefix: carry over 0xFF, none when all 0xFF.
    uint8_t out[4];
    assert_int_equal(pk_key_next_prefix((uint8_t[]) { 1, 2 }, 2, out), 2);
    assert_memory_equal(out, ((uint8_t[]) { 1, 3 }), 2);
    assert_int_equal(pk_key_next_prefix((uint8_t[]) { 1, 0xFF, 0xFF }, 3, out), 1);
    assert_int_equal(out[0], 2);
    assert_int_equal(pk_key_next_prefix((uint8_t[]) { 0xFF, 0xFF }, 2, out), 0);
    assert_int_equal(pk_key_next_prefix(NULL, 0, out), 0);
}

// ---------------------------------------------------------------- basics

static void
test_put_get_del(void **state)
{
    fixture_t *f = *state;
    pk_store_t *s = f->store;
    MDB_dbi dbi = pk_store_dbi(s, "things");
    assert_int_not_equal(dbi, PK_STORE_NO_DBI);
    assert_int_equal(pk_store_dbi(s, "things"), dbi);

    pk_store_txn_t *txn = pk_store_begin(s, true);
    assert_non_null(txn);
    assert_int_equal(pk_store_put(txn, dbi, "alpha", 5, "one", 3), 0);
    assert_int_equal(pk_store_put(txn, dbi, "beta", 4, "", 0), 0);     // empty value
    assert_int_equal(pk_store_insert(txn, dbi, "alpha", 5, "nope", 4), PK_STORE_EXISTS);
    assert_int_equal(pk_store_insert(txn, dbi, "gamma", 5, "three", 5), 0);
    const void *v;
    size_t n;
    assert_int_equal(pk_store_get(txn, dbi, "alpha", 5, &v, &n), 0);    // own writes
    assert_int_equal(n, 3);
    assert_memory_equal(v, "one", 3);
    assert_int_equal(pk_store_commit(&txn), 0);
    assert_null(txn);

    txn = pk_store_begin(s, false);
    assert_int_equal(pk_store_get(txn, dbi, "alpha", 5, &v, &n), 0);
    assert_memory_equal(v, "one", 3);
    assert_int_equal(pk_store_get(txn, dbi, "beta", 4, &v, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(pk_store_get(txn, dbi, "delta", 5, &v, &n), PK_STORE_NOTFOUND);
    assert_null(v);
    assert_int_equal(pk_store_count(txn, dbi), 3);
    // Writes through a read transaction are refused.
    assert_int_equal(pk_store_put(txn, dbi, "x", 1, "y", 1), -1);
    assert_int_equal(pk_store_errcode(), EACCES);
    assert_non_null(strstr(pk_store_error(), "read-only"));
    pk_store_abort(&txn);
    assert_null(txn);

    txn = pk_store_begin(s, true);
    assert_int_equal(pk_store_put(txn, dbi, "alpha", 5, "uno", 3), 0);  // overwrite
    assert_int_equal(pk_store_del(txn, dbi, "beta", 4), 0);
    assert_int_equal(pk_store_del(txn, dbi, "beta", 4), PK_STORE_NOTFOUND);
    assert_int_equal(pk_store_commit(&txn), 0);

    // An aborted transaction leaves nothing behind.
    txn = pk_store_begin(s, true);
    assert_int_equal(pk_store_put(txn, dbi, "zeta", 4, "z", 1), 0);
    pk_store_abort(&txn);

    txn = pk_store_begin(s, false);
    assert_int_equal(pk_store_get(txn, dbi, "alpha", 5, &v, &n), 0);
    assert_memory_equal(v, "uno", 3);
    assert_int_equal(pk_store_get(txn, dbi, "beta", 4, NULL, NULL), PK_STORE_NOTFOUND);
    assert_int_equal(pk_store_get(txn, dbi, "zeta", 4, NULL, NULL), PK_STORE_NOTFOUND);
    assert_int_equal(pk_store_count(txn, dbi), 2);
    pk_store_abort(&txn);
}

static void
test_bad_input(void **state)
{
    fixture_t *f = *state;
    pk_store_t *s = f->store;
    MDB_dbi dbi = pk_store_dbi(s, "things");
    uint8_t big[PK_KEY_MAX + 1] = { 0 };

    assert_int_equal(pk_store_dbi(s, ""), PK_STORE_NO_DBI);
    assert_int_equal(pk_store_dbi(s, NULL), PK_STORE_NO_DBI);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(pk_store_dbi(s, longname), PK_STORE_NO_DBI);
    assert_non_null(strstr(pk_store_error(), "keyspace name"));

    assert_int_equal(pk_store_put(NULL, dbi, "k", 1, "v", 1), -1);
    assert_int_equal(pk_store_get(NULL, dbi, "k", 1, NULL, NULL), -1);
    assert_int_equal(pk_store_commit(NULL), -1);
    pk_store_txn_t *none = NULL;
    assert_int_equal(pk_store_commit(&none), -1);
    pk_store_abort(&none);
    pk_store_abort(NULL);
    assert_null(pk_store_begin(NULL, false));

    pk_store_txn_t *txn = pk_store_begin(s, true);
    assert_int_equal(pk_store_put(txn, PK_STORE_NO_DBI, "k", 1, "v", 1), -1);
    assert_non_null(strstr(pk_store_error(), "invalid keyspace"));
    assert_int_equal(pk_store_put(txn, dbi, "", 0, "v", 1), -1);
    assert_int_equal(pk_store_errcode(), MDB_BAD_VALSIZE);
    assert_int_equal(pk_store_get(txn, dbi, big, sizeof big, NULL, NULL), -1);
    assert_non_null(strstr(pk_store_error(), "512 bytes"));
    assert_int_equal(pk_store_put(txn, dbi, "k", 1, NULL, 5), -1);
    assert_int_equal(pk_store_scan(txn, dbi, big, sizeof big, false, NULL, NULL), -1);
    assert_int_equal(pk_store_count(txn, 9999), -1);
    assert_non_null(strstr(pk_store_error(), "not usable"));
    // A failed write poisons the transaction: commit is refused, nothing lands.
    assert_int_equal(pk_store_put(txn, dbi, "kept?", 5, "v", 1), 0);
    assert_int_equal(pk_store_put(txn, 9999, "k", 1, "v", 1), -1);
    assert_int_equal(pk_store_put(txn, dbi, "later", 5, "v", 1), -1);
    assert_int_equal(pk_store_commit(&txn), -1);
    assert_non_null(strstr(pk_store_error(), "commit refused"));

    txn = pk_store_begin(s, false);
    assert_int_equal(pk_store_get(txn, dbi, "kept?", 5, NULL, NULL), PK_STORE_NOTFOUND);
    pk_store_abort(&txn);
}

// ---------------------------------------------------------------- scans

typedef struct {
    uint8_t keys[512][PK_KEY_MAX];
    size_t sizes[512];
    size_t n;
    size_t stop_after;      // 0: never
} collect_t;

static int
s_collect(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    collect_t *c = arg;
    assert_true(c->n < 512);
    // Every value holds its own key, so a scan can't pair a key with another's value.
    assert_int_equal(value_size, key_size);
    assert_memory_equal(value, key, key_size);
    memcpy(c->keys[c->n], key, key_size);
    c->sizes[c->n++] = key_size;
    return c->stop_after && c->n == c->stop_after ? 1 : 0;
}

typedef struct {
    uint8_t data[PK_KEY_MAX];
    size_t size;
} rawkey_t;

static int
s_rawkey_cmp(const void *a, const void *b)
{
    const rawkey_t *x = a, *y = b;
    size_t n = x->size < y->size ? x->size : y->size;
    int c = memcmp(x->data, y->data, n);
    return c ? c : (x->size > y->size) - (x->size < y->size);
}

// Reference answer: the inserted keys with this prefix (and >= lo), sorted.
static size_t
s_expect(const rawkey_t *all, size_t n_all, const void *prefix, size_t prefix_size,
         rawkey_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < n_all; i++)
        if (all[i].size >= prefix_size
        &&  (prefix_size == 0 || memcmp(all[i].data, prefix, prefix_size) == 0))
            out[n++] = all[i];
    qsort(out, n, sizeof *out, s_rawkey_cmp);
    return n;
}

static void
s_check_scan(pk_store_txn_t *txn, MDB_dbi dbi, const rawkey_t *all, size_t n_all,
             const void *prefix, size_t prefix_size)
{
    static rawkey_t expect[512];
    static collect_t got;
    size_t n = s_expect(all, n_all, prefix, prefix_size, expect);
    for (int reverse = 0; reverse < 2; reverse++) {
        got.n = 0;
        got.stop_after = 0;
        assert_int_equal(pk_store_scan(txn, dbi, prefix, prefix_size, reverse,
                                       s_collect, &got), (int64_t) n);
        assert_int_equal(got.n, n);
        for (size_t i = 0; i < n; i++) {
            const rawkey_t *e = &expect[reverse ? n - 1 - i : i];
            assert_int_equal(got.sizes[i], e->size);
            assert_memory_equal(got.keys[i], e->data, e->size);
        }
    }
}

static void
test_prefix_scan(void **state)
{
    fixture_t *f = *state;
    pk_store_t *s = f->store;
    MDB_dbi dbi = pk_store_dbi(s, "builds");
    static rawkey_t all[512];
    size_t n_all = 0;
    // (pipeline, job, build): 12 builds so 9/10 ordering matters; a pipeline
    // id of 0xFFFFFFFF and a job of 255/256 exercise next_prefix carries.
    uint32_t pipelines[] = { 1, 2, 3, 0xFFFFFFFF };
    uint32_t jobs[] = { 1, 255, 256 };
    for (size_t p = 0; p < 4; p++)
        for (size_t j = 0; j < 3; j++)
            for (uint64_t b = 1; b <= 12; b++) {
                all[n_all].size = s_key3(all[n_all].data, pipelines[p], jobs[j], b);
                n_all++;
            }
    // Named keys: whole-string vs start-of-string prefixes.
    const char *names[] = { "jo", "job", "jobs", "jobz", "k" };
    for (size_t i = 0; i < 5; i++) {
        pk_key_t k;
        pk_key_init(&k);
        pk_key_u32(&k, 7);
        pk_key_str(&k, names[i]);
        memcpy(all[n_all].data, k.data, k.size);
        all[n_all++].size = k.size;
    }
    pk_store_txn_t *txn = pk_store_begin(s, true);
    // Insert in a scrambled order so the store, not insertion, orders them.
    for (size_t i = 0; i < n_all; i++) {
        size_t at = (i * 37) % n_all;
        assert_int_equal(pk_store_put(txn, dbi, all[at].data, all[at].size,
                                      all[at].data, all[at].size), 0);
    }
    assert_int_equal(pk_store_commit(&txn), 0);

    txn = pk_store_begin(s, false);
    uint8_t prefix[PK_KEY_MAX];
    pk_key_t k;
    // One job's builds, forward and reverse.
    pk_key_init(&k);
    pk_key_u32(&k, 2);
    pk_key_u32(&k, 255);
    s_check_scan(txn, dbi, all, n_all, k.data, k.size);
    // One pipeline; the all-0xFF pipeline (no upper bound); everything.
    s_check_scan(txn, dbi, all, n_all, k.data, 4);
    memset(prefix, 0xFF, 4);
    s_check_scan(txn, dbi, all, n_all, prefix, 4);
    s_check_scan(txn, dbi, all, n_all, NULL, 0);
    // Whole string "job" vs names starting with "job".
    pk_key_init(&k);
    pk_key_u32(&k, 7);
    pk_key_str(&k, "job");
    s_check_scan(txn, dbi, all, n_all, k.data, k.size);
    pk_key_init(&k);
    pk_key_u32(&k, 7);
    pk_key_str_prefix(&k, "job");
    s_check_scan(txn, dbi, all, n_all, k.data, k.size);
    // A prefix nothing has.
    pk_key_init(&k);
    pk_key_u32(&k, 5);
    s_check_scan(txn, dbi, all, n_all, k.data, k.size);

    // The explicit assertions the reference could share a bug with:
    // job (1, 1) in order is builds 1..12, so 10 comes after 9.
    static collect_t got;
    got.n = 0;
    got.stop_after = 0;
    pk_key_init(&k);
    pk_key_u32(&k, 1);
    pk_key_u32(&k, 1);
    assert_int_equal(pk_store_scan(txn, dbi, k.data, k.size, false, s_collect, &got), 12);
    for (size_t i = 0; i < 12; i++) {
        pk_key_reader_t r;
        pk_key_reader_init(&r, got.keys[i], got.sizes[i]);
        assert_int_equal(pk_key_read_u32(&r), 1);
        assert_int_equal(pk_key_read_u32(&r), 1);
        assert_int_equal(pk_key_read_u64(&r), i + 1);
        assert_int_equal(pk_key_reader_done(&r), 0);
    }
    // Newest three, reverse from the end of the range: 12, 11, 10.
    got.n = 0;
    got.stop_after = 3;
    assert_int_equal(pk_store_scan(txn, dbi, k.data, k.size, true, s_collect, &got), 3);
    for (size_t i = 0; i < 3; i++) {
        pk_key_reader_t r;
        pk_key_reader_init(&r, got.keys[i] + 8, 8);
        assert_int_equal(pk_key_read_u64(&r), 12 - i);
    }
    // Range from build 5 up to (not including) build 10, both directions.
    uint8_t lo[16], hi[16];
    s_key3(lo, 1, 1, 5);
    s_key3(hi, 1, 1, 10);
    for (int reverse = 0; reverse < 2; reverse++) {
        got.n = 0;
        got.stop_after = 0;
        assert_int_equal(pk_store_range(txn, dbi, lo, 16, hi, 16, reverse, s_collect, &got), 5);
        for (size_t i = 0; i < 5; i++)
            assert_int_equal(got.keys[i][15], reverse ? 9 - i : 5 + i);
    }
    pk_store_abort(&txn);
}

static int
s_fail_cb(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) key; (void) key_size; (void) value; (void) value_size;
    (*(int *) arg)++;
    return -1;
}

static void
test_scan_callback_error(void **state)
{
    fixture_t *f = *state;
    MDB_dbi dbi = pk_store_dbi(f->store, "things");
    pk_store_txn_t *txn = pk_store_begin(f->store, true);
    assert_int_equal(pk_store_put(txn, dbi, "a", 1, "a", 1), 0);
    assert_int_equal(pk_store_put(txn, dbi, "b", 1, "b", 1), 0);
    int calls = 0;
    assert_int_equal(pk_store_scan(txn, dbi, NULL, 0, false, s_fail_cb, &calls), -1);
    assert_int_equal(calls, 1);
    assert_non_null(strstr(pk_store_error(), "callback"));
    assert_int_equal(pk_store_commit(&txn), 0);     // reads don't poison a txn
}

// ---------------------------------------------------------------- msgpack

static const msgpack_object *
s_map_get(const msgpack_object *map, const char *name)
{
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(name)
        &&  memcmp(kv->key.via.str.ptr, name, kv->key.via.str.size) == 0)
            return &kv->val;
    }
    return NULL;
}

static void
test_msgpack(void **state)
{
    fixture_t *f = *state;
    MDB_dbi dbi = pk_store_dbi(f->store, "records");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    msgpack_pack_str_with_body(&pk, "name", 4);
    msgpack_pack_str_with_body(&pk, "deploy", 6);
    msgpack_pack_str_with_body(&pk, "build", 5);
    msgpack_pack_uint64(&pk, UINT64_C(1) << 40);
    msgpack_pack_str_with_body(&pk, "delta", 5);
    msgpack_pack_int64(&pk, -17);
    msgpack_pack_str_with_body(&pk, "log", 3);
    msgpack_pack_bin_with_body(&pk, "\0\xff\n", 3);

    uint8_t key[16];
    size_t ks = s_key3(key, 1, 2, 3);
    pk_store_txn_t *txn = pk_store_begin(f->store, true);
    assert_int_equal(pk_store_put_msgpack(txn, dbi, key, ks, &sb), 0);
    assert_int_equal(pk_store_put(txn, dbi, "garbage", 7, "\xc1", 1), 0);  // never-used byte
    assert_int_equal(pk_store_put(txn, dbi, "trailing", 8, "\x01\x02", 2), 0);
    assert_int_equal(pk_store_put(txn, dbi, "short", 5, "\x92\x01", 2), 0); // array of 2, one given
    assert_int_equal(pk_store_put(txn, dbi, "empty", 5, "", 0), 0);
    assert_int_equal(pk_store_put_msgpack(txn, dbi, "x", 1, NULL), -1);
    assert_int_equal(pk_store_commit(&txn), 0);

    txn = pk_store_begin(f->store, false);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    assert_int_equal(pk_store_get_msgpack(txn, dbi, key, ks, &up), 0);
    assert_int_equal(up.data.type, MSGPACK_OBJECT_MAP);
    const msgpack_object *o = s_map_get(&up.data, "name");
    assert_non_null(o);
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, 6);
    assert_memory_equal(o->via.str.ptr, "deploy", 6);
    o = s_map_get(&up.data, "build");
    assert_true(o && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == UINT64_C(1) << 40);
    o = s_map_get(&up.data, "delta");
    assert_true(o && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 == -17);
    o = s_map_get(&up.data, "log");
    assert_true(o && o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == 3);
    assert_memory_equal(o->via.bin.ptr, "\0\xff\n", 3);

    // Reusing the holder for the next lookup, and every malformed value.
    assert_int_equal(pk_store_get_msgpack(txn, dbi, "nothing", 7, &up), PK_STORE_NOTFOUND);
    const char *bad[] = { "garbage", "trailing", "short", "empty" };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pk_store_get_msgpack(txn, dbi, bad[i], strlen(bad[i]), &up), -1);
        assert_non_null(strstr(pk_store_error(), "not one msgpack object"));
    }
    assert_int_equal(pk_store_decode(sb.data, sb.size, &up), 0);
    assert_int_equal(pk_store_decode(sb.data, sb.size, NULL), -1);
    msgpack_unpacked_destroy(&up);
    pk_store_abort(&txn);
    msgpack_sbuffer_destroy(&sb);
}

// ---------------------------------------------------------------- concurrency

typedef struct {
    pk_store_t *store;
    MDB_dbi dbi;
    atomic_int stage;
    atomic_int main_committed;
    int saw_committed;
    int rc;
} writer_arg_t;

static void *
s_update_thread(void *p)
{
    writer_arg_t *a = p;
    pk_store_txn_t *txn = pk_store_begin(a->store, true);
    a->rc = txn ? 0 : -1;
    if (txn) {
        a->rc |= pk_store_put(txn, a->dbi, "k", 1, "v2", 2);
        a->rc |= pk_store_put(txn, a->dbi, "k2", 2, "new", 3);
        a->rc |= pk_store_commit(&txn);
    }
    return NULL;
}

static void
test_snapshot(void **state)
{
    fixture_t *f = *state;
    writer_arg_t a = { .store = f->store, .dbi = pk_store_dbi(f->store, "snap") };
    pk_store_txn_t *txn = pk_store_begin(f->store, true);
    assert_int_equal(pk_store_put(txn, a.dbi, "k", 1, "v1", 2), 0);
    assert_int_equal(pk_store_commit(&txn), 0);

    pk_store_txn_t *reader = pk_store_begin(f->store, false);
    assert_non_null(reader);
    pthread_t t;
    pthread_create(&t, NULL, s_update_thread, &a);
    pthread_join(t, NULL);                          // the writer has committed
    assert_int_equal(a.rc, 0);

    const void *v;
    size_t n;
    assert_int_equal(pk_store_get(reader, a.dbi, "k", 1, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(v, "v1", 2);                // still the old snapshot
    assert_int_equal(pk_store_get(reader, a.dbi, "k2", 2, &v, &n), PK_STORE_NOTFOUND);
    pk_store_abort(&reader);

    reader = pk_store_begin(f->store, false);
    assert_int_equal(pk_store_get(reader, a.dbi, "k", 1, &v, &n), 0);
    assert_memory_equal(v, "v2", 2);
    assert_int_equal(pk_store_get(reader, a.dbi, "k2", 2, &v, &n), 0);
    pk_store_abort(&reader);
}

static void *
s_second_writer(void *p)
{
    writer_arg_t *a = p;
    atomic_store(&a->stage, 1);
    pk_store_txn_t *txn = pk_store_begin(a->store, true);
    a->saw_committed = atomic_load(&a->main_committed);
    atomic_store(&a->stage, 2);
    a->rc = txn ? pk_store_commit(&txn) : -1;
    return NULL;
}

static void
test_writer_rules(void **state)
{
    fixture_t *f = *state;
    pk_store_t *s = f->store;
    MDB_dbi dbi = pk_store_dbi(s, "rules");
    // A second write txn on the same thread is an error, not a deadlock.
    pk_store_txn_t *w = pk_store_begin(s, true);
    assert_non_null(w);
    assert_null(pk_store_begin(s, true));
    assert_non_null(strstr(pk_store_error(), "already has a write transaction"));
    // Opening a new keyspace needs its own write txn: refused, not deadlocked.
    assert_int_equal(pk_store_dbi(s, "new-while-writing"), PK_STORE_NO_DBI);
    assert_non_null(strstr(pk_store_error(), "open keyspaces before writing"));
    assert_int_equal(pk_store_dbi(s, "rules"), dbi);    // cached ones are fine

    // Writers of different threads are serialized: the second one's begin
    // returns only after the first has committed.
    writer_arg_t a = { .store = s };
    pthread_t t;
    pthread_create(&t, NULL, s_second_writer, &a);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int waited_ms = 0;
    while (atomic_load(&a.stage) < 2 && waited_ms < 100) {  // give it a chance to cheat
        sched_yield();
        clock_gettime(CLOCK_MONOTONIC, &now);
        waited_ms = (int) ((now.tv_sec - start.tv_sec) * 1000
                         + (now.tv_nsec - start.tv_nsec) / 1000000);
    }
    assert_int_not_equal(atomic_load(&a.stage), 2);
    atomic_store(&a.main_committed, 1);
    assert_int_equal(pk_store_put(w, dbi, "k", 1, "v", 1), 0);
    assert_int_equal(pk_store_commit(&w), 0);
    pthread_join(t, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.saw_committed, 1);

    // A thread holding a read txn may not begin a write.
    pk_store_txn_t *r = pk_store_begin(s, false);
    assert_null(pk_store_begin(s, true));
    assert_int_equal(pk_store_errcode(), EBUSY);
    assert_non_null(strstr(pk_store_error(), "read through the write transaction"));
    pk_store_abort(&r);
    w = pk_store_begin(s, true);
    assert_non_null(w);
    pk_store_abort(&w);
}

typedef struct {
    pk_store_t *store;
    atomic_int go;
    MDB_dbi got[4];
} race_arg_t;

static void *
s_open_race(void *p)
{
    race_arg_t *a = p;
    while (!atomic_load(&a->go))
        sched_yield();
    for (int i = 0; i < 4; i++) {
        char name[16];
        snprintf(name, sizeof name, "race-%d", i);
        a->got[i] = pk_store_dbi(a->store, name);
    }
    return NULL;
}

static void
test_keyspaces(void **state)
{
    fixture_t *f = *state;
    pk_store_t *s = f->store;
    // The same key in two keyspaces is two records.
    MDB_dbi a = pk_store_dbi(s, "versions"), b = pk_store_dbi(s, "logs");
    assert_int_not_equal(a, b);
    pk_store_txn_t *txn = pk_store_begin(s, true);
    assert_int_equal(pk_store_put(txn, a, "k", 1, "A", 1), 0);
    assert_int_equal(pk_store_put(txn, b, "k", 1, "B", 1), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    txn = pk_store_begin(s, false);
    const void *v;
    size_t n;
    assert_int_equal(pk_store_get(txn, a, "k", 1, &v, &n), 0);
    assert_memory_equal(v, "A", 1);
    assert_int_equal(pk_store_get(txn, b, "k", 1, &v, &n), 0);
    assert_memory_equal(v, "B", 1);
    pk_store_abort(&txn);

    // Concurrent first use from four threads: one handle per name.
    race_arg_t args[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (race_arg_t) { .store = s };
        pthread_create(&t[i], NULL, s_open_race, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        atomic_store(&args[i].go, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int k = 0; k < 4; k++) {
        assert_int_not_equal(args[0].got[k], PK_STORE_NO_DBI);
        for (int i = 1; i < 4; i++)
            assert_int_equal(args[i].got[k], args[0].got[k]);
    }

    // A keyspace first opened after a transaction began is not usable in it.
    txn = pk_store_begin(s, false);
    MDB_dbi late = pk_store_dbi(s, "late");
    assert_int_not_equal(late, PK_STORE_NO_DBI);
    assert_int_equal(pk_store_get(txn, late, "k", 1, NULL, NULL), -1);
    assert_non_null(strstr(pk_store_error(), "opened after it began"));
    pk_store_abort(&txn);
    txn = pk_store_begin(s, false);
    assert_int_equal(pk_store_get(txn, late, "k", 1, NULL, NULL), PK_STORE_NOTFOUND);
    pk_store_abort(&txn);

    // The 65th keyspace is refused with a clear error (default max 64).
    MDB_dbi last = PK_STORE_NO_DBI;
    int i;
    for (i = 0; i < 80; i++) {
        char name[16];
        snprintf(name, sizeof name, "fill-%d", i);
        last = pk_store_dbi(s, name);
        if (last == PK_STORE_NO_DBI)
            break;
    }
    assert_int_equal(last, PK_STORE_NO_DBI);
    assert_int_equal(i, 64 - 7);     // versions, logs, race-0..3, late were open
    assert_int_equal(pk_store_errcode(), MDB_DBS_FULL);
    assert_non_null(strstr(pk_store_error(), "fill-57"));
}

// A store opened, written, closed and opened again: lmdb keeps the data,
// mem starts empty (a new private environment every time).
static void
test_reopen(void **state)
{
    fixture_t *f = *state;
    MDB_dbi dbi = pk_store_dbi(f->store, "keep");
    pk_store_txn_t *txn = pk_store_begin(f->store, true);
    assert_int_equal(pk_store_put(txn, dbi, "k", 1, "kept", 4), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_store_close(&f->store);
    assert_null(f->store);
    f->store = s_open(f, "db", NULL);
    dbi = pk_store_dbi(f->store, "keep");
    txn = pk_store_begin(f->store, false);
    const void *v;
    size_t n;
    int rc = pk_store_get(txn, dbi, "k", 1, &v, &n);
    if (strcmp(f->system, "lmdb") == 0) {
        assert_int_equal(rc, 0);
        assert_memory_equal(v, "kept", 4);
    }
    else
        assert_int_equal(rc, PK_STORE_NOTFOUND);
    pk_store_abort(&txn);
}

// ---------------------------------------------------------------- map growth

#define GROW_BATCH 128
#define GROW_BASE 3000

typedef struct {
    MDB_dbi data, meta;
    uint64_t first, count;
    int runs;
} batch_t;

static int
s_write_batch(pk_store_txn_t *txn, void *arg)
{
    batch_t *b = arg;
    b->runs++;
    static uint8_t payload[GROW_BASE + 100];
    for (uint64_t i = b->first; i < b->first + b->count; i++) {
        uint8_t key[8];
        pk_key_t k;
        pk_key_init(&k);
        pk_key_u64(&k, i);
        memcpy(key, k.data, 8);
        size_t size = s_payload(i, payload, GROW_BASE);
        if (pk_store_put(txn, b->data, key, 8, payload, size) != 0)
            return -1;
    }
    uint64_t total = b->first + b->count;
    return pk_store_put(txn, b->meta, "count", 5, &total, sizeof total);
}

typedef struct {
    pk_store_t *store;
    MDB_dbi data, meta;
    atomic_int stop;
    long rounds, errors;
} reader_arg_t;

// Reads continuously while the writer grows the map: every snapshot must
// hold exactly the records its count says, intact.
static void *
s_reader_thread(void *p)
{
    reader_arg_t *a = p;
    static uint8_t payload[GROW_BASE + 100];
    while (!atomic_load(&a->stop)) {
        pk_store_txn_t *txn = pk_store_begin(a->store, false);
        if (!txn) {
            a->errors++;
            break;
        }
        const void *v;
        size_t n;
        uint64_t count = 0;
        if (pk_store_get(txn, a->meta, "count", 5, &v, &n) == 0)
            memcpy(&count, v, sizeof count);
        if (pk_store_count(txn, a->data) != (int64_t) count)
            a->errors++;
        // Hold value pointers across several lookups: a remap under this
        // reader would leave them dangling.
        const void *held[8] = { 0 };
        for (uint64_t probe = 0; count && probe < 8; probe++) {
            uint64_t i = ((uint64_t) a->rounds * 8 + probe) * 7919 % count;
            pk_key_t k;
            pk_key_init(&k);
            pk_key_u64(&k, i);
            size_t size = s_payload(i, payload, GROW_BASE);
            if (pk_store_get(txn, a->data, k.data, k.size, &v, &n) != 0
            ||  n != size || memcmp(v, payload, size) != 0)
                a->errors++;
            held[probe] = v;
        }
        for (uint64_t probe = 0; count && probe < 8; probe++)
            if (memcmp(held[probe], held[0], 1) == 256)    // touch them again
                a->errors++;
        pk_store_abort(&txn);
        a->rounds++;
    }
    return NULL;
}

static void
s_verify_records(pk_store_t *s, MDB_dbi dbi, uint64_t count)
{
    static uint8_t payload[GROW_BASE + 100];
    pk_store_txn_t *txn = pk_store_begin(s, false);
    assert_int_equal(pk_store_count(txn, dbi), (int64_t) count);
    for (uint64_t i = 0; i < count; i++) {
        pk_key_t k;
        pk_key_init(&k);
        pk_key_u64(&k, i);
        const void *v;
        size_t n;
        assert_int_equal(pk_store_get(txn, dbi, k.data, k.size, &v, &n), 0);
        size_t size = s_payload(i, payload, GROW_BASE);
        assert_int_equal(n, size);
        assert_memory_equal(v, payload, size);
    }
    pk_store_abort(&txn);
}

static void
test_growth(void **state)
{
    fixture_t *f = *state;
    pk_store_opts_t opts = { .map_size = 1 * MIB };
    pk_store_t *s = s_open(f, "grow", &opts);
    size_t initial = pk_store_map_size(s);
    assert_int_equal(initial, 1 * MIB);
    batch_t b = { .data = pk_store_dbi(s, "data"), .meta = pk_store_dbi(s, "meta") };
    reader_arg_t ra = { .store = s, .data = b.data, .meta = b.meta };
    pthread_t t;
    pthread_create(&t, NULL, s_reader_thread, &ra);

    // One transaction of 8 MiB on its own (it must grow the map several
    // times itself), then 32 MiB more in batches.
    uint64_t total = 0;
    b.first = 0;
    b.count = 16 * GROW_BATCH;
    assert_int_equal(pk_store_write(s, s_write_batch, &b), 0);
    assert_true(b.runs >= 4);                       // 1 -> 2 -> 4 -> 8 -> 16 MiB
    int runs = b.runs;
    total += b.count;
    for (int i = 0; i < 64; i++) {
        b.first = total;
        b.count = GROW_BATCH;
        b.runs = 0;
        assert_int_equal(pk_store_write(s, s_write_batch, &b), 0);
        runs += b.runs;
        total += GROW_BATCH;
    }
    atomic_store(&ra.stop, 1);
    pthread_join(t, NULL);

    size_t grown = pk_store_map_size(s);
    print_message("      %s growth: %zu MiB -> %zu MiB, %d runs for 65 batches, "
                  "%ld reader rounds alongside\n", f->system, initial / MIB,
                  grown / MIB, runs, ra.rounds);
    assert_true(grown >= 40 * MIB);
    assert_true(runs > 65);                         // retries really happened
    assert_int_equal(ra.errors, 0);
    assert_true(ra.rounds > 0);
    s_verify_records(s, b.data, total);
    pk_store_close(&s);

    // lmdb: everything is still there after reopening at the small size.
    if (strcmp(f->system, "lmdb") == 0) {
        s = s_open(f, "grow", &opts);
        assert_true(pk_store_map_size(s) >= 40 * MIB);
        s_verify_records(s, pk_store_dbi(s, "data"), total);
        b.data = pk_store_dbi(s, "data");
        b.meta = pk_store_dbi(s, "meta");
        b.first = total;
        b.count = GROW_BATCH;
        assert_int_equal(pk_store_write(s, s_write_batch, &b), 0);
        pk_store_close(&s);
    }
}

typedef struct {
    pk_store_t *store;
    atomic_int state;       // 1: reader is open, 2: main says end it
} holder_arg_t;

static void *
s_holder_thread(void *p)
{
    holder_arg_t *a = p;
    pk_store_txn_t *txn = pk_store_begin(a->store, false);
    atomic_store(&a->state, 1);
    while (atomic_load(&a->state) != 2)
        sched_yield();
    pk_store_abort(&txn);
    return NULL;
}

// Growth waits for other threads' readers; one that never ends makes the
// write fail with a clear error after the deadline instead of hanging.
static void
test_growth_blocked(void **state)
{
    fixture_t *f = *state;
    pk_store_opts_t opts = { .map_size = 1 * MIB, .grow_wait_ms = 300 };
    pk_store_t *s = s_open(f, "blocked", &opts);
    batch_t b = { .data = pk_store_dbi(s, "data"), .meta = pk_store_dbi(s, "meta"),
                  .count = 4 * GROW_BATCH };
    holder_arg_t h = { .store = s };
    pthread_t t;
    pthread_create(&t, NULL, s_holder_thread, &h);
    while (atomic_load(&h.state) != 1)
        sched_yield();
    assert_int_equal(pk_store_write(s, s_write_batch, &b), -1);
    assert_int_equal(pk_store_errcode(), ETIMEDOUT);
    assert_non_null(strstr(pk_store_error(), "1 read transactions stayed open"));
    atomic_store(&h.state, 2);
    pthread_join(t, NULL);
    assert_int_equal(pk_store_write(s, s_write_batch, &b), 0);
    s_verify_records(s, b.data, b.count);
    pk_store_close(&s);
}

// Without pk_store_write: the failing put and commit report MDB_MAP_FULL,
// the map has grown once the transaction ends, and redoing it succeeds.
static void
test_growth_manual(void **state)
{
    fixture_t *f = *state;
    pk_store_opts_t opts = { .map_size = 1 * MIB };
    pk_store_t *s = s_open(f, "manual", &opts);
    batch_t b = { .data = pk_store_dbi(s, "data"), .meta = pk_store_dbi(s, "meta") };
    pk_store_txn_t *txn = pk_store_begin(s, true);
    uint64_t i;
    for (i = 0; i < 1000; i++) {
        b.first = i;
        b.count = 1;
        if (s_write_batch(txn, &b) != 0)
            break;
    }
    assert_true(i > 0 && i < 1000);
    assert_int_equal(pk_store_errcode(), MDB_MAP_FULL);
    assert_int_equal(pk_store_put(txn, b.data, "k", 1, "v", 1), -1);
    assert_int_equal(pk_store_errcode(), MDB_BAD_TXN);
    assert_int_equal(pk_store_commit(&txn), -1);
    assert_int_equal(pk_store_errcode(), MDB_MAP_FULL);
    assert_int_equal(pk_store_map_size(s), 2 * MIB);
    txn = pk_store_begin(s, true);
    b.first = 0;
    b.count = i + 1;
    assert_int_equal(s_write_batch(txn, &b), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    s_verify_records(s, b.data, i + 1);
    pk_store_close(&s);
}

static void
test_growth_cap(void **state)
{
    fixture_t *f = *state;
    pk_store_opts_t opts = { .map_size = 1 * MIB, .max_map_size = 2 * MIB };
    pk_store_t *s = s_open(f, "cap", &opts);
    batch_t b = { .data = pk_store_dbi(s, "data"), .meta = pk_store_dbi(s, "meta"),
                  .count = 4 * GROW_BATCH };
    assert_int_equal(pk_store_write(s, s_write_batch, &b), -1);
    assert_int_equal(pk_store_errcode(), MDB_MAP_FULL);
    assert_non_null(strstr(pk_store_error(), "maximum map of 2 MiB"));
    assert_int_equal(pk_store_map_size(s), 2 * MIB);
    // Still usable for what fits.
    b.count = 8;
    assert_int_equal(pk_store_write(s, s_write_batch, &b), 0);
    s_verify_records(s, b.data, 8);
    pk_store_close(&s);
}

// ---------------------------------------------------------------- fork

static void
test_fork_guard(void **state)
{
    fixture_t *f = *state;
    MDB_dbi dbi = pk_store_dbi(f->store, "things");
    pk_store_txn_t *mine = pk_store_begin(f->store, false);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        // The child must not touch LMDB: begin refuses, close only frees memory.
        int bad = pk_store_begin(f->store, false) != NULL
               || strstr(pk_store_error(), "after fork") == NULL
               || pk_store_dbi(f->store, "fresh-in-child") != PK_STORE_NO_DBI;
        _exit(bad);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(pk_store_get(mine, dbi, "x", 1, NULL, NULL), PK_STORE_NOTFOUND);
    pk_store_abort(&mine);
}

// ---------------------------------------------------------------- bench

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
test_bench(void **state)
{
    fixture_t *f = *state;
    MDB_dbi dbi = pk_store_dbi(f->store, "bench");
    bool durable = strcmp(f->system, "lmdb") == 0;
    int txns = durable ? 1000 : 20000;
    uint8_t value[100];
    memset(value, 'v', sizeof value);
    double t0 = s_now();
    for (int i = 0; i < txns; i++) {
        pk_key_t key;                               // 12-byte key, as in the reference
        pk_key_init(&key);
        pk_key_u32(&key, 0);
        pk_key_u64(&key, (uint64_t) i);
        pk_store_txn_t *txn = pk_store_begin(f->store, true);
        assert_int_equal(pk_store_put(txn, dbi, key.data, key.size, value, sizeof value), 0);
        assert_int_equal(pk_store_commit(&txn), 0);
    }
    double small = s_now() - t0;
    int batches = 200;
    t0 = s_now();
    for (int i = 0; i < batches; i++) {
        pk_store_txn_t *txn = pk_store_begin(f->store, true);
        for (int j = 0; j < 100; j++) {
            uint8_t key[16];
            s_key3(key, 1, (uint32_t) i, (uint64_t) j);
            assert_int_equal(pk_store_put(txn, dbi, key, 16, value, sizeof value), 0);
        }
        assert_int_equal(pk_store_commit(&txn), 0);
    }
    double batched = s_now() - t0;
    print_message("      %s bench: %d one-put txns in %.3f s = %.0f commits/s; "
                  "100-put txns: %.0f puts/s\n", f->system, txns, small, txns / small,
                  batches * 100 / batched);
}

// ---------------------------------------------------------------- opening

static void
test_open_errors(void **state)
{
    (void) state;
    char tmp[256], path[512];
    s_make_tmp(tmp, sizeof tmp);
    char *err = NULL;

    assert_null(pk_store_open("redis", "/tmp/x", &err));
    assert_non_null(err);
    assert_non_null(strstr(err, "'redis'"));
    assert_non_null(strstr(err, "\"mem\", \"lmdb\""));
    assert_int_equal(pk_store_errcode(), EINVAL);
    free(err);
    assert_null(pk_store_open("", NULL, NULL));     // err_out is optional

    assert_null(pk_store_open("lmdb", NULL, &err));
    assert_non_null(strstr(err, "--db-path"));
    free(err);

    // Under a regular file, and a regular file itself.
    snprintf(path, sizeof path, "%s/file", tmp);
    FILE *fp = fopen(path, "w");
    fclose(fp);
    assert_null(pk_store_open("lmdb", path, &err));
    assert_non_null(strstr(err, "Not a directory"));
    free(err);
    snprintf(path, sizeof path, "%s/file/store", tmp);
    assert_null(pk_store_open("lmdb", path, &err));
    assert_non_null(strstr(err, "cannot create store directory"));
    assert_non_null(strstr(err, path));
    free(err);
    // Somewhere nobody, not even root, can create a directory.
    assert_null(pk_store_open("lmdb", "/proc/pikoci-no/store", &err));
    assert_non_null(strstr(err, "cannot create store directory '/proc/pikoci-no/store'"));
    free(err);
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/ro", tmp);
        assert_int_equal(mkdir(path, 0500), 0);
        assert_null(pk_store_open("lmdb", path, &err));
        assert_non_null(strstr(err, "is not writable"));
        free(err);
        chmod(path, 0700);
    }

    // A directory holding something that is not an LMDB file.
    snprintf(path, sizeof path, "%s/bad", tmp);
    assert_int_equal(mkdir(path, 0700), 0);
    char file[600];
    snprintf(file, sizeof file, "%s/data.mdb", path);
    fp = fopen(file, "w");
    for (int i = 0; i < 16384; i++)
        fputc('x', fp);
    fclose(fp);
    assert_null(pk_store_open("lmdb", path, &err));
    assert_non_null(strstr(err, "cannot open lmdb store"));
    free(err);

    // Nested directories are created.
    snprintf(path, sizeof path, "%s/a/b/c", tmp);
    pk_store_t *s = pk_store_open("lmdb", path, &err);
    assert_non_null(s);
    assert_string_equal(pk_store_system(s), "lmdb");
    assert_string_equal(pk_store_dir(s), path);
    assert_int_equal(pk_store_map_size(s), 64 * MIB);
    pk_store_close(&s);
    pk_store_close(&s);                             // NULL is fine
    pk_store_close(NULL);
    s_rm_rf(tmp);
}

static bool
s_mapped_deleted(const char *dir)
{
    char want[600];
    snprintf(want, sizeof want, "%s/data.mdb (deleted)", dir);
    FILE *fp = fopen("/proc/self/maps", "r");
    char line[1024];
    bool found = false;
    while (fp && fgets(line, sizeof line, fp))
        found = found || strstr(line, want) != NULL;
    if (fp)
        fclose(fp);
    return found;
}

static void
test_mem_leaves_nothing(void **state)
{
    (void) state;
    char *err = NULL;
    pk_store_t *s = pk_store_open("mem", NULL, &err);
    assert_non_null(s);
    assert_null(err);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", pk_store_dir(s));
    assert_non_null(strstr(dir, "/pikoci-store-"));
    struct stat st;
    assert_int_equal(stat(dir, &st), -1);           // gone right after open...
    assert_int_equal(errno, ENOENT);
    assert_true(s_mapped_deleted(dir));             // ...yet LMDB works on it
    MDB_dbi dbi = pk_store_dbi(s, "k");
    pk_store_txn_t *txn = pk_store_begin(s, true);
    assert_int_equal(pk_store_put(txn, dbi, "k", 1, "v", 1), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_store_close(&s);
    assert_int_equal(stat(dir, &st), -1);
    assert_false(s_mapped_deleted(dir));            // and the memory is released
}

static void
test_mem_fallback(void **state)
{
    (void) state;
    char tmp[256], prefix[300];
    s_make_tmp(tmp, sizeof tmp);
    char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", tmp, 1);

    // No /dev/shm (here: a missing mem_dir): $TMPDIR is used the same way.
    pk_store_opts_t opts = { .mem_dir = "/nonexistent-pikoci-shm" };
    char *err = NULL;
    pk_store_t *s = pk_store_open_opts("mem", NULL, &opts, &err);
    assert_non_null(s);
    snprintf(prefix, sizeof prefix, "%s/pikoci-store-", tmp);
    assert_memory_equal(pk_store_dir(s), prefix, strlen(prefix));
    struct stat st;
    assert_int_equal(stat(pk_store_dir(s), &st), -1);
    pk_store_close(&s);
    assert_int_equal(rmdir(tmp), 0);                // empty: nothing was left in it

    // Not enough room anywhere: a clear error naming what was tried.
    opts.mem_min_free = (size_t) 1 << 62;
    assert_null(pk_store_open_opts("mem", NULL, &opts, &err));
    assert_non_null(strstr(err, "no usable temporary directory"));
    assert_non_null(strstr(err, "/nonexistent-pikoci-shm (No such file or directory)"));
    assert_non_null(strstr(err, "/tmp ("));
    free(err);

    if (saved) {
        setenv("TMPDIR", saved, 1);
        free(saved);
    }
    else
        unsetenv("TMPDIR");
}

// One test body, run on each system under its own name.
#define BOTH(fn) \
    { #fn "(lmdb)", fn, s_setup, s_teardown, &s_lmdb }, \
    { #fn "(mem)", fn, s_setup, s_teardown, &s_mem }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_order),
        cmocka_unit_test(test_key_read),
        BOTH(test_put_get_del),
        BOTH(test_bad_input),
        BOTH(test_prefix_scan),
        BOTH(test_scan_callback_error),
        BOTH(test_msgpack),
        BOTH(test_snapshot),
        BOTH(test_writer_rules),
        BOTH(test_keyspaces),
        BOTH(test_reopen),
        BOTH(test_growth),
        BOTH(test_growth_blocked),
        BOTH(test_growth_manual),
        BOTH(test_growth_cap),
        BOTH(test_fork_guard),
        BOTH(test_bench),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_mem_leaves_nothing),
        cmocka_unit_test(test_mem_fallback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
