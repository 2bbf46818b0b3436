// test_builds_index: the history indexes of pk_builds (pk_builds_index.c) on
// a real LMDB store: pages with cursors, the unfinished-builds index kept by
// every write, the passed index and the newest version every job passed,
// pipeline lives and work ids, removal of a pipeline's index entries, and
// the migration that indexes a store written before the indexes.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_builds.h"
#include "pk_key.h"

typedef struct {
    pk_store_t *store;
    pk_builds_t *b;
} fx_t;

static int
s_setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    f->store = pk_store_open("mem", NULL, NULL);
    assert_non_null(f->store);
    f->b = pk_builds_new(f->store, NULL);
    assert_non_null(f->b);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    pk_builds_destroy(&f->b);
    pk_store_close(&f->store);
    free(f);
    return 0;
}

typedef struct {
    pk_builds_t *b;
    const char *pipeline, *job, *status, *res;
    uint64_t number, version;
    uint32_t retry;
} s_put_t;

static int
s_put_txn(pk_store_txn_t *txn, void *arg)
{
    s_put_t *a = arg;
    pk_build_t b = { .number = a->number, .retry = a->retry, .status = (char *) a->status,
                     .attempt = 1 };
    if (a->res)
        pk_idmap_set(&b.versions, a->res, a->version);
    int rc = pk_builds_put(a->b, txn, a->pipeline, a->job, &b);
    pk_idmap_clear(&b.versions);
    return rc;
}

static void
s_put(fx_t *f, const char *pipeline, const char *job, uint64_t number, uint32_t retry,
      const char *status, const char *res, uint64_t version)
{
    s_put_t a = { f->b, pipeline, job, status, res, number, version, retry };
    assert_int_equal(pk_store_write(f->store, s_put_txn, &a), 0);
}

static char *
s_numbers(pk_build_t *items, size_t n)
{
    static char out[256];
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        char *num = pk_build_number_str(items[i].number, items[i].retry);
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", num);
        free(num);
    }
    pk_builds_list_free(&items, n);
    return out;
}

static const char *
s_page(fx_t *f, uint64_t before, uint64_t after, size_t limit)
{
    pk_build_t *items;
    size_t n;
    assert_int_equal(pk_builds_page(f->b, NULL, "p", "j", before, after, limit, &items, &n), 0);
    return s_numbers(items, n);
}

static void
test_page(void **state)
{
    fx_t *f = *state;
    for (uint64_t n = 1; n <= 20; n++)
        s_put(f, "p", "j", n, 0, "succeeded", NULL, 0);
    s_put(f, "p", "j", 3, 1, "succeeded", NULL, 0);
    s_put(f, "p", "k", 99, 0, "succeeded", NULL, 0);     // another job: never listed
    assert_string_equal(s_page(f, 0, 0, 5), "20 19 18 17 16");
    assert_string_equal(s_page(f, 10, 0, 3), "9 8 7");
    assert_string_equal(s_page(f, 0, 15, 3), "18 17 16");   // the page forward from 15
    assert_string_equal(s_page(f, 5, 2, 0), "4 3.1 3");
    assert_string_equal(s_page(f, 3, 2, 0), "");
    assert_string_equal(s_page(f, 0, 20, 0), "");
    assert_string_equal(s_page(f, 0, 18, 0), "20 19");
}

typedef struct {
    char seen[512];
} s_open_t;

static int
s_open_fn(const char *pipeline, const char *job, const pk_build_t *b, void *arg)
{
    s_open_t *o = arg;
    snprintf(o->seen + strlen(o->seen), sizeof o->seen - strlen(o->seen), "%s/%s/%lu:%s ",
             pipeline, job, (unsigned long) b->number, b->status);
    return 0;
}

static const char *
s_open(fx_t *f, const char *pipeline)
{
    static s_open_t o;
    o.seen[0] = 0;
    assert_int_equal(pk_builds_open_each(f->b, NULL, pipeline, s_open_fn, &o), 0);
    return o.seen;
}

static void
test_open(void **state)
{
    fx_t *f = *state;
    s_put(f, "p", "j", 1, 0, "succeeded", NULL, 0);
    s_put(f, "p", "j", 2, 0, "started", NULL, 0);
    s_put(f, "p", "j", 3, 0, "pending", NULL, 0);
    s_put(f, "p", "k", 1, 0, "waiting_for_approval", NULL, 0);
    s_put(f, "q", "j", 1, 0, "pending", NULL, 0);
    assert_string_equal(s_open(f, NULL),
                        "p/j/2:started p/j/3:pending p/k/1:waiting_for_approval q/j/1:pending ");
    assert_string_equal(s_open(f, "q"), "q/j/1:pending ");
    s_put(f, "p", "j", 2, 0, "succeeded", NULL, 0);     // finished: out of the index
    s_put(f, "p", "j", 3, 0, "cancelled", NULL, 0);
    assert_string_equal(s_open(f, "p"), "p/k/1:waiting_for_approval ");
}

static uint64_t
s_newest(fx_t *f, const char *pipeline, const char *res, const char *jobs, uint64_t want)
{
    const char *list[4];
    size_t n = 0;
    char *copy = strdup(jobs), *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t && n < 4; t = strtok_r(NULL, ",", &save))
        list[n++] = t;
    uint64_t id = 99;
    assert_int_equal(pk_builds_passed_newest(f->b, NULL, pipeline, res, list, n, want, &id), 0);
    free(copy);
    return id;
}

static void
test_passed(void **state)
{
    fx_t *f = *state;
    s_put(f, "p", "up", 1, 0, "succeeded", "git.app", 1);
    s_put(f, "p", "up", 2, 0, "warning", "git.app", 2);
    s_put(f, "p", "up", 3, 0, "failed", "git.app", 3);
    s_put(f, "p", "up", 4, 0, "pending", "git.app", 4);
    s_put(f, "p", "up2", 1, 0, "succeeded", "git.app", 1);
    s_put(f, "q", "up2", 1, 0, "succeeded", "git.app", 2);     // another pipeline's
    assert_int_equal(s_newest(f, "p", "git.app", "up", 0), 2);
    assert_int_equal(s_newest(f, "p", "git.app", "up,up2", 0), 1);
    assert_int_equal(s_newest(f, "p", "git.app", "up2,up", 0), 1);
    assert_int_equal(s_newest(f, "p", "git.app", "up,up2", 2), 0);
    assert_int_equal(s_newest(f, "p", "git.app", "up,up2", 1), 1);
    assert_int_equal(s_newest(f, "p", "git.app", "up", 3), 0);
    assert_int_equal(s_newest(f, "p", "git.other", "up", 0), 0);
    assert_int_equal(s_newest(f, "p", "git.app", "none", 0), 0);
    s_put(f, "p", "up", 4, 0, "succeeded", "git.app", 4);     // the build finishing adds it
    assert_int_equal(s_newest(f, "p", "git.app", "up", 0), 4);
}

static int
s_pipe_txn(pk_store_txn_t *txn, void *arg)
{
    void **a = arg;
    pk_pipeline_rec_t rec;
    int rc = pk_builds_pipeline_get(a[0], txn, a[1], &rec);
    if (rc == PK_STORE_NOTFOUND)
        rec = (pk_pipeline_rec_t) { .source = strdup("x") };
    rc = rc < 0 ? -1 : pk_builds_pipeline_put(a[0], txn, a[1], &rec);
    pk_pipeline_rec_clear(&rec);
    return rc;
}

static int
s_del_txn(pk_store_txn_t *txn, void *arg)
{
    void **a = arg;
    return pk_builds_pipeline_del(a[0], txn, a[1]) == 0 ? 0 : -1;
}

// A pipeline record as a binary from before lives wrote it.
static int
s_old_pipe_txn(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "source", 6);
    msgpack_pack_str_with_body(&pk, "x", 1);
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, "old");
    int rc = pk_store_put_msgpack(txn, pk_store_dbi(store, "pipelines"), k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

static void
test_lives(void **state)
{
    fx_t *f = *state;
    void *p[2] = { f->b, "p" }, *old[2] = { f->b, "old" };
    assert_int_equal(pk_builds_life(f->b, NULL, "p"), 1);       // no record yet
    assert_int_equal(pk_store_write(f->store, s_pipe_txn, p), 0);
    assert_int_equal(pk_builds_life(f->b, NULL, "p"), 1);
    assert_int_equal(pk_store_write(f->store, s_pipe_txn, p), 0);   // set again: same life
    assert_int_equal(pk_builds_life(f->b, NULL, "p"), 1);
    s_put(f, "p", "j", 1, 0, "pending", NULL, 0);
    s_put(f, "p", "up", 1, 0, "succeeded", "git.app", 1);
    assert_int_equal(pk_store_write(f->store, s_del_txn, p), 0);
    assert_string_equal(s_open(f, "p"), "");                    // its index entries went too
    assert_int_equal(s_newest(f, "p", "git.app", "up", 0), 0);
    assert_int_equal(pk_store_write(f->store, s_pipe_txn, p), 0);
    assert_int_equal(pk_builds_life(f->b, NULL, "p"), 2);       // a new life, never reused
    assert_int_equal(pk_store_write(f->store, s_del_txn, p), 0);
    assert_int_equal(pk_store_write(f->store, s_pipe_txn, p), 0);
    assert_int_equal(pk_builds_life(f->b, NULL, "p"), 3);
    // a record from before lives counts as the first life
    assert_int_equal(pk_store_write(f->store, s_old_pipe_txn, f->store), 0);
    assert_int_equal(pk_builds_life(f->b, NULL, "old"), 1);
    assert_int_equal(pk_store_write(f->store, s_del_txn, old), 0);
    assert_int_equal(pk_store_write(f->store, s_pipe_txn, old), 0);
    assert_int_equal(pk_builds_life(f->b, NULL, "old"), 2);

    char *id = pk_builds_work_id("p", 1, "j", 3, 0);
    assert_string_equal(id, "build:p/j/3");
    free(id);
    id = pk_builds_work_id("p", 0, "j", 3, 1);
    assert_string_equal(id, "build:p/j/3.1");
    free(id);
    id = pk_builds_work_id("p", 2, "j", 3, 1);
    assert_string_equal(id, "build:p/j/3.1@2");
    free(id);
}

typedef struct {
    uint8_t keys[64][PK_KEY_MAX];
    size_t sizes[64], count;
} s_keys_t;

static int
s_key_fn(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_keys_t *k = arg;
    memcpy(k->keys[k->count], key, key_size);
    k->sizes[k->count++] = key_size;
    return k->count == 64;
}

// The index keyspaces emptied: a store as written before them.
static int
s_forget_txn(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    const char *names[] = { "builds_open", "builds_passed", "builds_meta", "store_meta" };
    for (size_t i = 0; i < 4; i++) {
        MDB_dbi dbi = pk_store_dbi(store, names[i]);
        s_keys_t *k = calloc(1, sizeof *k);
        assert_true(pk_store_scan(txn, dbi, NULL, 0, false, s_key_fn, k) >= 0);
        for (size_t j = 0; j < k->count; j++)
            assert_int_equal(pk_store_del(txn, dbi, k->keys[j], k->sizes[j]), 0);
        free(k);
    }
    return 0;
}

static void
test_migrate(void **state)
{
    fx_t *f = *state;
    uint64_t n = 99;
    assert_int_equal(pk_builds_migrate(f->b, &n), 1);       // a new store: marked, 0 builds
    assert_int_equal(n, 0);
    assert_int_equal(pk_builds_migrate(f->b, &n), 0);
    s_put(f, "p", "j", 1, 0, "succeeded", "git.app", 5);
    s_put(f, "p", "j", 2, 0, "pending", "git.app", 6);
    s_put(f, "p", "k", 1, 0, "started", NULL, 0);
    assert_int_equal(pk_store_write(f->store, s_forget_txn, f->store), 0);
    assert_string_equal(s_open(f, NULL), "");
    assert_int_equal(s_newest(f, "p", "git.app", "j", 0), 0);
    assert_int_equal(pk_builds_migrate(f->b, &n), 1);
    assert_int_equal(n, 3);
    assert_string_equal(s_open(f, NULL), "p/j/2:pending p/k/1:started ");
    assert_int_equal(s_newest(f, "p", "git.app", "j", 0), 5);
    assert_int_equal(pk_builds_migrate(f->b, &n), 0);       // once
    uint64_t format = 0;
    assert_int_equal(pk_builds_format(f->b, NULL, &format), 0);
    assert_int_equal(format, PK_STORE_FORMAT);
}

// A format-3 store: no builds_uses yet.
static int
s_format3_txn(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    MDB_dbi dbi = pk_store_dbi(store, "builds_uses");
    s_keys_t *k = calloc(1, sizeof *k);
    assert_true(pk_store_scan(txn, dbi, NULL, 0, false, s_key_fn, k) >= 0);
    for (size_t j = 0; j < k->count; j++)
        assert_int_equal(pk_store_del(txn, dbi, k->keys[j], k->sizes[j]), 0);
    free(k);
    pk_key_t key;
    pk_key_init(&key);
    pk_key_str(&key, "format");
    uint8_t three = 3;                  // msgpack positive fixint
    return pk_store_put(txn, pk_store_dbi(store, "store_meta"), key.data, key.size, &three, 1);
}

static bool
s_used(fx_t *f, const char *res, uint64_t id)
{
    bool used = false;
    assert_int_equal(pk_builds_version_used(f->b, NULL, "p", res, id, &used), 0);
    return used;
}

// Format 4: builds_uses, which the checker's version trimming reads, is
// built for every stored build when a format-3 store is upgraded.
static void
test_migrate_uses(void **state)
{
    fx_t *f = *state;
    uint64_t n;
    assert_int_equal(pk_builds_migrate(f->b, &n), 1);
    s_put(f, "p", "j", 1, 0, "succeeded", "git.app", 5);
    s_put(f, "p", "j", 2, 0, "failed", "git.app", 6);
    assert_true(s_used(f, "git.app", 5));
    assert_int_equal(pk_store_write(f->store, s_format3_txn, f->store), 0);
    assert_false(s_used(f, "git.app", 5));
    uint64_t from = 0;
    assert_int_equal(pk_builds_upgrade(f->b, &from, &n), 1);
    assert_int_equal(from, 3);
    assert_int_equal(n, 2);
    assert_true(s_used(f, "git.app", 5));
    assert_true(s_used(f, "git.app", 6));
    assert_false(s_used(f, "git.app", 7));
    assert_int_equal(pk_builds_upgrade(f->b, &from, &n), 0);       // once
}

static int
s_newer_txn(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, "format");
    uint8_t three = PK_STORE_FORMAT + 1;   // msgpack positive fixint
    return pk_store_put(txn, pk_store_dbi(store, "store_meta"), k.data, k.size, &three, 1);
}

static void
test_format_newer(void **state)
{
    fx_t *f = *state;
    s_put(f, "p", "j", 1, 0, "succeeded", "git.app", 5);
    assert_int_equal(pk_store_write(f->store, s_newer_txn, f->store), 0);
    uint64_t from = 0, n = 0;
    assert_int_equal(pk_builds_upgrade(f->b, &from, &n), -2);
    assert_int_equal(from, PK_STORE_FORMAT + 1);
    char want[128];
    snprintf(want, sizeof want, "store format %d is newer than this pikoci understands (%d): "
             "upgrade pikoci", PK_STORE_FORMAT + 1, PK_STORE_FORMAT);
    assert_string_equal(pk_store_error(), want);
    assert_int_equal(pk_builds_migrate(f->b, &n), -1);
    uint64_t format = 0;
    assert_int_equal(pk_builds_format(f->b, NULL, &format), 0);
    assert_int_equal(format, PK_STORE_FORMAT + 1);          // left as it was
}

// --- retention (pk_builds_retain.c)

static int
s_steps_txn(pk_store_txn_t *txn, void *arg)
{
    fx_t *f = arg;
    for (uint32_t n = 1; n <= 2; n++)
        for (uint32_t i = 0; i < 3; i++) {
            pk_build_step_t st = { .step = i, .kind = "task", .name = "t", .status = "succeeded" };
            if (pk_builds_step_put(f->b, txn, "p", "j", n, 0, &st) != 0)
                return -1;
        }
    return 0;
}

static int
s_trim_txn(pk_store_txn_t *txn, void *arg)
{
    fx_t *f = arg;
    uint64_t steps = 0;
    if (pk_builds_trim(f->b, txn, "p", "j", 1, 0, 1234, &steps) != 0 || steps != 3)
        return -1;
    if (pk_builds_trim(f->b, txn, "p", "j", 9, 0, 1234, &steps) != PK_STORE_NOTFOUND)
        return -1;
    pk_retention_stats_t st = { .at_ms = 1234, .builds = 1, .steps = 3, .logs = 1,
                                .total_builds = 7 };
    return pk_builds_retention_put(f->b, txn, &st);
}

static void
test_trim(void **state)
{
    fx_t *f = *state;
    pk_retention_stats_t st;
    assert_int_equal(pk_builds_retention_get(f->b, NULL, &st), 0);
    assert_int_equal(st.at_ms, 0);                          // never collected
    s_put(f, "p", "j", 1, 0, "succeeded", "git.app", 5);
    s_put(f, "p", "j", 2, 0, "failed", "git.app", 6);
    assert_int_equal(pk_store_write(f->store, s_steps_txn, f), 0);
    assert_int_equal(pk_store_write(f->store, s_trim_txn, f), 0);
    pk_build_step_t *steps;
    size_t n;
    assert_int_equal(pk_builds_steps_list(f->b, NULL, "p", "j", 1, 0, &steps, &n), 0);
    assert_int_equal(n, 0);                                 // build 1's steps gone
    pk_build_steps_free(&steps, n);
    assert_int_equal(pk_builds_steps_list(f->b, NULL, "p", "j", 2, 0, &steps, &n), 0);
    assert_int_equal(n, 3);                                 // build 2's kept
    pk_build_steps_free(&steps, n);
    pk_build_t b;
    assert_int_equal(pk_builds_get(f->b, NULL, "p", "j", 1, 0, &b), 0);
    assert_string_equal(b.status, "succeeded");             // the row stays, a summary
    assert_int_equal(b.trimmed_ms, 1234);
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), 5);
    pk_build_clear(&b);
    assert_int_equal(pk_builds_get(f->b, NULL, "p", "j", 2, 0, &b), 0);
    assert_int_equal(b.trimmed_ms, 0);
    pk_build_clear(&b);
    assert_int_equal(s_newest(f, "p", "git.app", "j", 0), 5);   // its index entry stays
    assert_int_equal(pk_builds_retention_get(f->b, NULL, &st), 0);
    assert_int_equal(st.at_ms, 1234);
    assert_int_equal(st.steps, 3);
    assert_int_equal(st.total_builds, 7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_page, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_open, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_passed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lives, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_migrate, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_uses, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_format_newer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_trim, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
