// test_builds: the pk_builds keyspaces alone, on both store systems: build
// keys with retries (newest first), the new build fields, pause flags, steps,
// pins, listings, removal of a pipeline (and nothing of its neighbours), and
// the "3" / "3.1" number forms.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_builds.h"

static char T[256];

typedef struct {
    pk_builds_t *b;
    const char *pipeline, *job;
    uint64_t number;
    uint32_t retry;
} s_put_t;

static int
s_put_build(pk_store_txn_t *txn, void *arg)
{
    s_put_t *a = arg;
    uint8_t inputs[] = { 0x81, 0xa1, 'k', 0xa1, 'v' };     // {"k": "v"}
    pk_build_t b = { .number = a->number, .retry = a->retry, .status = "pending",
                     .attempt = 1, .created_ms = 7, .trigger = a->retry ? "retry" : "manual",
                     .inputs = a->retry ? inputs : NULL, .inputs_size = sizeof inputs,
                     .approvals_needed = 2, .approvals = a->retry, .dispatched = a->retry };
    pk_idmap_set(&b.versions, "git.app", a->number * 10);
    int rc = pk_builds_put(a->b, txn, a->pipeline, a->job, &b);
    pk_idmap_clear(&b.versions);
    if (rc != 0)
        return rc;
    pk_build_step_t s = { .step = a->retry, .kind = "task", .name = "unit", .status = "failed",
                          .exit_code = 3, .started_ms = 1, .finished_ms = 2 };
    rc = pk_builds_step_put(a->b, txn, a->pipeline, a->job, a->number, a->retry, &s);
    if (rc == 0) {
        s.step = 10;
        s.message = "late";
        rc = pk_builds_step_put(a->b, txn, a->pipeline, a->job, a->number, a->retry, &s);
    }
    return rc;
}

static int
s_records(pk_store_txn_t *txn, void *arg)
{
    pk_builds_t *b = arg;
    pk_pipeline_rec_t p = { .source = "x", .set_ms = 5, .version = 1, .paused = true };
    pk_job_rec_t j = { .next_number = 4, .paused = true };
    pk_idmap_set(&j.baseline, "git.app", 9);
    int rc = pk_builds_pipeline_put(b, txn, "p", &p) || pk_builds_pipeline_put(b, txn, "p2", &p)
          || pk_builds_job_put(b, txn, "p", "test", &j) || pk_builds_job_put(b, txn, "p2", "test", &j)
          || pk_builds_pin_put(b, txn, "p", "git.app", 42) || pk_builds_pin_put(b, txn, "p2", "git.app", 43)
          ? -1 : 0;
    pk_idmap_clear(&j.baseline);
    return rc;
}

static int
s_count_each(const char *job, const pk_build_t *b, void *arg)
{
    (void) b;
    (*(int *) arg) += !strcmp(job, "test") ? 1 : 100;
    return 0;
}

static int
s_del(pk_store_txn_t *txn, void *arg)
{
    return pk_builds_pipeline_del(arg, txn, "p");
}

static int
s_unpin(pk_store_txn_t *txn, void *arg)
{
    return pk_builds_pin_del(arg, txn, "p2", "git.app");
}

static void
s_roundtrip(const char *system)
{
    char dir[300], *err = NULL;
    snprintf(dir, sizeof dir, "%s/db-%s", T, system);
    pk_store_t *store = pk_store_open(system, dir, &err);
    if (!store)
        fail_msg("store: %s", err);
    pk_builds_t *b = pk_builds_new(store, &err);
    assert_non_null(b);
    assert_int_equal(pk_store_write(store, s_records, b), 0);
    // 1, 2, 2.1, 2.2, 3 of p/test; 1 of p2/test
    const struct { uint64_t n; uint32_t r; } order[] = { {1, 0}, {2, 0}, {2, 1}, {2, 2}, {3, 0} };
    for (size_t i = 0; i < 5; i++) {
        s_put_t a = { b, "p", "test", order[i].n, order[i].r };
        assert_int_equal(pk_store_write(store, s_put_build, &a), 0);
    }
    s_put_t other = { b, "p2", "test", 1, 0 };
    assert_int_equal(pk_store_write(store, s_put_build, &other), 0);

    pk_build_t *bs;
    size_t n;
    assert_int_equal(pk_builds_list(b, NULL, "p", "test", 0, &bs, &n), 0);
    assert_int_equal(n, 5);
    // newest number first, the retries of a number before it: 3, 2.2, 2.1, 2, 1
    const uint64_t numbers[] = { 3, 2, 2, 2, 1 };
    const uint32_t retries[] = { 0, 2, 1, 0, 0 };
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bs[i].number, numbers[i]);
        assert_int_equal(bs[i].retry, retries[i]);
    }
    assert_int_equal(bs[1].approvals, 2);
    assert_true(bs[1].dispatched);
    assert_false(bs[3].dispatched);
    assert_int_equal(bs[1].approvals_needed, 2);
    assert_int_equal(bs[1].inputs_size, 5);
    assert_memory_equal(bs[1].inputs, "\x81\xa1k\xa1v", 5);
    assert_null(bs[3].inputs);
    assert_string_equal(bs[1].trigger, "retry");
    pk_builds_list_free(&bs, n);

    uint32_t retry = 99;
    assert_int_equal(pk_builds_last_retry(b, NULL, "p", "test", 2, &retry), 0);
    assert_int_equal(retry, 2);
    assert_int_equal(pk_builds_last_retry(b, NULL, "p", "test", 3, &retry), 0);
    assert_int_equal(retry, 0);
    assert_int_equal(pk_builds_last_retry(b, NULL, "p", "test", 4, &retry), PK_STORE_NOTFOUND);
    pk_build_t one;
    assert_int_equal(pk_builds_get(b, NULL, "p", "test", 2, 1, &one), 0);
    assert_int_equal(pk_idmap_get(&one.versions, "git.app"), 20);
    pk_build_clear(&one);
    assert_int_equal(pk_builds_get(b, NULL, "p", "test", 2, 3, &one), PK_STORE_NOTFOUND);

    pk_build_step_t *steps;
    assert_int_equal(pk_builds_steps_list(b, NULL, "p", "test", 2, 2, &steps, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(steps[0].step, 2);     // step order, 10 after 2 (big-endian)
    assert_int_equal(steps[1].step, 10);
    assert_string_equal(steps[1].message, "late");
    assert_null(steps[0].message);
    assert_int_equal(steps[0].exit_code, 3);
    assert_string_equal(steps[0].kind, "task");
    pk_build_steps_free(&steps, n);

    pk_pipeline_rec_t p;
    assert_int_equal(pk_builds_pipeline_get(b, NULL, "p", &p), 0);
    assert_true(p.paused);
    pk_pipeline_rec_clear(&p);
    pk_job_rec_t j;
    assert_int_equal(pk_builds_job_get(b, NULL, "p", "test", &j), 0);
    assert_true(j.paused);
    assert_int_equal(pk_idmap_get(&j.baseline, "git.app"), 9);
    pk_job_rec_clear(&j);
    uint64_t pin = 0;
    assert_int_equal(pk_builds_pin_get(b, NULL, "p", "git.app", &pin), 0);
    assert_int_equal(pin, 42);
    assert_int_equal(pk_builds_pin_get(b, NULL, "p", "git.other", &pin), PK_STORE_NOTFOUND);
    pk_idmap_t pins;
    assert_int_equal(pk_builds_pins_list(b, NULL, "p2", &pins), 0);
    assert_int_equal(pins.count, 1);
    assert_int_equal(pk_idmap_get(&pins, "git.app"), 43);
    pk_idmap_clear(&pins);

    char **names;
    assert_int_equal(pk_builds_pipelines_list(b, NULL, &names, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "p");
    assert_string_equal(names[1], "p2");
    pk_builds_names_free(&names, n);
    assert_int_equal(pk_builds_jobs_list(b, NULL, "p", &names, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "test");
    pk_builds_names_free(&names, n);
    int counted = 0;
    assert_int_equal(pk_builds_each(b, NULL, "p", s_count_each, &counted), 0);
    assert_int_equal(counted, 5);

    // removing p leaves p2 whole
    assert_int_equal(pk_store_write(store, s_del, b), 0);
    assert_int_equal(pk_builds_pipeline_get(b, NULL, "p", &p), PK_STORE_NOTFOUND);
    assert_int_equal(pk_builds_job_get(b, NULL, "p", "test", &j), PK_STORE_NOTFOUND);
    assert_int_equal(pk_builds_list(b, NULL, "p", "test", 0, &bs, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(pk_builds_steps_list(b, NULL, "p", "test", 2, 2, &steps, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(pk_builds_pin_get(b, NULL, "p", "git.app", &pin), PK_STORE_NOTFOUND);
    assert_int_equal(pk_builds_pipelines_list(b, NULL, &names, &n), 0);
    assert_int_equal(n, 1);
    pk_builds_names_free(&names, n);
    assert_int_equal(pk_builds_get(b, NULL, "p2", "test", 1, 0, &one), 0);
    pk_build_clear(&one);
    assert_int_equal(pk_builds_steps_list(b, NULL, "p2", "test", 1, 0, &steps, &n), 0);
    assert_int_equal(n, 2);
    pk_build_steps_free(&steps, n);
    assert_int_equal(pk_store_write(store, s_del, b), -1);     // NOTFOUND aborts
    assert_int_equal(pk_store_write(store, s_unpin, b), 0);
    assert_int_equal(pk_builds_pin_get(b, NULL, "p2", "git.app", &pin), PK_STORE_NOTFOUND);
    pk_builds_destroy(&b);
    pk_store_close(&store);
}

static void
test_builds_keyspaces(void **state)
{
    (void) state;
    s_roundtrip("mem");
    s_roundtrip("lmdb");
}

static void
test_build_numbers(void **state)
{
    (void) state;
    char *s = pk_build_number_str(3, 0);
    assert_string_equal(s, "3");
    free(s);
    s = pk_build_number_str(3, 12);
    assert_string_equal(s, "3.12");
    free(s);
    uint64_t n;
    uint32_t r;
    assert_int_equal(pk_build_number_parse("3", &n, &r), 0);
    assert_true(n == 3 && r == 0);
    assert_int_equal(pk_build_number_parse("18446744073709551615.4294967295", &n, &r), 0);
    assert_true(n == UINT64_MAX && r == UINT32_MAX);
    const char *bad[] = { "", "0", "3.", ".1", "3.0", "-3", "+3", " 3", "3.1.2", "3a",
                          "18446744073709551616", "1.4294967296", "0x3", NULL };
    for (size_t i = 0; bad[i]; i++)
        if (pk_build_number_parse(bad[i], &n, &r) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
    assert_int_equal(pk_build_number_parse(NULL, &n, &r), -1);
    assert_true(pk_build_status_terminal("warning"));
    assert_true(pk_build_status_terminal("cancelled"));
    assert_false(pk_build_status_terminal("waiting_for_approval"));
    assert_false(pk_build_status_terminal("started"));
    assert_false(pk_build_status_terminal(NULL));
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove(path);
}

int
main(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(T, sizeof T, "%s/pk-test-builds-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(T))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_keyspaces),
        cmocka_unit_test(test_build_numbers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    nftw(T, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return rc;
}
