// test_checker_retain: the checker's version collector (actors/
// checker_retain.c) with a real broker and a real lmdb store. Versions and
// builds are written straight into the store (as the checker and the
// scheduler would have); the test plays the scheduler peer. What must stay:
// the newest N, the versions an untrimmed build uses, a pinned one, the
// check's current one, and those found less than a settling time ago. The store layer
// under it (builds_uses kept by pk_builds_put and pk_builds_trim, the
// candidates, one trim) is tested first on its own.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pk_broker.h"
#include "pk_builds.h"
#include "pk_checker.h"
#include "pk_msg.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"

static char T[256];

typedef struct {
    pk_store_t *store;
    pk_versions_t *versions;
    pk_builds_t *builds;
} s_db_t;

static s_db_t
s_db(void)
{
    char dir[300], *err = NULL;
    snprintf(dir, sizeof dir, "%s/db", T);
    s_db_t d = { 0 };
    d.store = pk_store_open("lmdb", dir, &err);
    if (!d.store)
        fail_msg("store: %s", err);
    d.versions = pk_versions_new(d.store, &err);
    d.builds = pk_builds_new(d.store, &err);
    assert_non_null(d.versions);
    assert_non_null(d.builds);
    return d;
}

static void
s_db_close(s_db_t *d)
{
    pk_builds_destroy(&d->builds);
    pk_versions_destroy(&d->versions);
    pk_store_close(&d->store);
}

// versions {"ref": "<resource>-<i>"}, i from..to, of resource in pipeline
// "p", one check: they get ids from..to.
static void
s_record_more(s_db_t *d, const char *resource, int from, int n)
{
    pk_value_t *list = pk_value_new_list();
    for (int i = from; i <= n; i++) {
        char ref[64];
        snprintf(ref, sizeof ref, "%s-%d", resource, i);
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "ref", pk_value_new_string(ref));
        pk_value_list_append(list, o);
    }
    uint8_t *data;
    size_t size;
    pk_value_pack_bytes(list, &data, &size);
    assert_non_null(data);
    pk_check_result_t r = { .pipeline = "p", .resource = resource, .versions = data,
                            .versions_size = size, .checked_ms = zclock_time() };
    assert_int_equal(pk_versions_record(d->versions, &r, 1), 0);
    assert_int_equal(r.last_new, (uint64_t) n);
    pk_version_clear(&r.current);
    free(data);
    pk_value_destroy(&list);
}

static void
s_record(s_db_t *d, const char *resource, int n)
{
    s_record_more(d, resource, 1, n);
}

typedef struct {
    s_db_t *d;
    const char *job, *resource;
    uint64_t number, version;
    bool trim;
} s_build_arg_t;

static int
s_build_txn(pk_store_txn_t *txn, void *arg)
{
    s_build_arg_t *a = arg;
    pk_build_t b = { .number = a->number, .status = "succeeded", .attempt = 1,
                     .trigger = "version" };
    pk_idmap_set(&b.versions, a->resource, a->version);
    int rc = pk_builds_put(a->d->builds, txn, "p", a->job, &b);
    pk_idmap_clear(&b.versions);
    uint64_t steps;
    if (rc == 0 && a->trim)
        rc = pk_builds_trim(a->d->builds, txn, "p", a->job, a->number, 0, zclock_time(), &steps);
    return rc;
}

static void
s_build(s_db_t *d, const char *job, uint64_t number, const char *resource, uint64_t version,
        bool trim)
{
    s_build_arg_t a = { d, job, resource, number, version, trim };
    assert_int_equal(pk_store_write(d->store, s_build_txn, &a), 0);
}

static int
s_pin_txn(pk_store_txn_t *txn, void *arg)
{
    s_db_t *d = arg;
    return pk_builds_pin_put(d->builds, txn, "p", "x.r", 7);
}

static size_t
s_count(s_db_t *d, const char *resource)
{
    pk_version_t *items;
    size_t n;
    assert_int_equal(pk_versions_list(d->versions, NULL, "p", resource, 0, 0, &items, &n), 0);
    pk_versions_list_free(&items, n);
    return n;
}

static bool
s_has(s_db_t *d, const char *resource, uint64_t id)
{
    pk_version_t v;
    int rc = pk_versions_get(d->versions, NULL, "p", resource, id, &v);
    pk_version_clear(&v);
    return rc == 0;
}

static bool
s_used(s_db_t *d, const char *resource, uint64_t id)
{
    bool used = false;
    assert_int_equal(pk_builds_version_used(d->builds, NULL, "p", resource, id, &used), 0);
    return used;
}

static void
test_store_layer(void **state)
{
    (void) state;
    s_db_t d = s_db();
    s_record(&d, "x.r", 10);
    s_build(&d, "j", 1, "x.r", 3, false);
    s_build(&d, "j", 2, "x.r", 4, true);
    assert_true(s_used(&d, "x.r", 3));
    assert_false(s_used(&d, "x.r", 4));         // its build was trimmed
    assert_false(s_used(&d, "x.r", 5));
    s_build(&d, "j", 1, "x.r", 3, true);        // trimmed later: freed
    assert_false(s_used(&d, "x.r", 3));

    pk_store_txn_t *txn = pk_store_begin(d.store, false);
    uint64_t ids[8];
    size_t n;
    assert_int_equal(pk_versions_trim_candidates(d.versions, txn, "p", "x.r", 4, 0, ids, 8, &n), 0);
    assert_int_equal(n, 6);                     // 1..6: older than the newest 4
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[5], 6);
    assert_int_equal(pk_versions_trim_candidates(d.versions, txn, "p", "x.r", 4, 4, ids, 8, &n), 0);
    assert_int_equal(n, 2);                     // above the cursor
    assert_int_equal(pk_versions_trim_candidates(d.versions, txn, "p", "x.r", 20, 0, ids, 8, &n), 0);
    assert_int_equal(n, 0);                     // fewer than it keeps
    pk_store_abort(&txn);

    // a trimmed version is gone with its index entry: the same version
    // found again is new (a new id), never the old one
    txn = pk_store_begin(d.store, true);
    assert_int_equal(pk_versions_trim(d.versions, txn, "p", "x.r", 2), 0);
    assert_int_equal(pk_versions_trim(d.versions, txn, "p", "x.r", 2), PK_STORE_NOTFOUND);
    assert_int_equal(pk_store_commit(&txn), 0);
    assert_false(s_has(&d, "x.r", 2));
    assert_int_equal(s_count(&d, "x.r"), 9);
    pk_value_t *list = pk_value_from_json("[{\"ref\":\"x.r-2\"}]", 17, NULL);
    assert_non_null(list);
    uint8_t *data;
    size_t size;
    pk_value_pack_bytes(list, &data, &size);
    assert_non_null(data);
    pk_check_result_t r = { .pipeline = "p", .resource = "x.r", .versions = data,
                            .versions_size = size, .checked_ms = zclock_time() };
    assert_int_equal(pk_versions_record(d.versions, &r, 1), 0);
    assert_int_equal(r.first_new, 11);
    pk_version_clear(&r.current);
    free(data);
    pk_value_destroy(&list);
    s_db_close(&d);
}

static void
test_collector(void **state)
{
    (void) state;
    s_db_t d = s_db();
    s_record(&d, "x.r", 20);                    // current 20
    s_record(&d, "x.s", 10);
    enum { BIG = 3000 };
    s_record(&d, "x.t", BIG);
    s_build(&d, "j", 1, "x.r", 3, false);       // used: kept
    s_build(&d, "j", 2, "x.r", 5, true);        // its build trimmed: goes
    assert_int_equal(pk_store_write(d.store, s_pin_txn, &d), 0);       // 7 pinned

    char ep[64];
    snprintf(ep, sizeof ep, "inproc://pk-test-checker-retain-%d", getpid());
    pk_broker_config_t bcfg = { .inproc = ep };
    zactor_t *broker = pk_broker_new(&bcfg);
    assert_non_null(broker);
    zsock_t *sched = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(sched, "%s", ep), 0);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = h.hello.role = "scheduler";
    assert_int_equal(pk_msg_send(sched, &h), 0);
    pk_checker_config_t cfg = { .endpoint = ep, .store = d.store, .retain_versions = 4,
                                .retain_interval_ms = 200, .first_check_max_ms = 3600000 };
    zactor_t *checker = pk_checker_new(&cfg);
    assert_non_null(checker);
    pk_value_t *list = pk_value_new_list();
    const char *names[] = { "x.r", "x.s", "x.t" };
    for (int i = 0; i < 3; i++) {
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "canonical", pk_value_new_string(names[i]));
        pk_value_object_set(o, "check_interval", pk_value_new_string("@every 1h"));
        pk_value_object_set(o, "tags", pk_value_new_list());
        pk_value_object_set(o, "plan", pk_value_from_json("{\"resource\":\"x\"}", 16, NULL));
        pk_value_list_append(list, o);
    }
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup("checker");
    m.signal.what = strdup("pipeline.set");
    pk_kv_set(&m.signal.args, "pipeline", "p");
    pk_value_pack_bytes(list, &m.signal.body.data, &m.signal.body.size);
    pk_value_destroy(&list);
    int64_t t0 = zclock_mono();
    assert_int_equal(pk_msg_send(sched, &m), 0);
    pk_msg_clear(&m);

    int64_t end = zclock_mono() + 60000;
    while (zclock_mono() < end && (s_count(&d, "x.r") > 6 || s_count(&d, "x.s") > 4
                                   || s_count(&d, "x.t") > 4))
        zclock_sleep(10);
    int64_t took = zclock_mono() - t0;
    printf("# %d versions of x.t trimmed to 4 in %" PRId64 " ms (from the start: a settling "
           "time of 1.2 s first, then batches of 32)\n", BIG - 4, took);
    assert_true(took >= 1200);                  // nothing before the settling time
    // x.r: 3 (used), 7 (pinned), 17..20 (newest 4; 20 is current) -- 6 in all
    assert_int_equal(s_count(&d, "x.r"), 6);
    assert_true(s_has(&d, "x.r", 3));
    assert_true(s_has(&d, "x.r", 7));
    assert_false(s_has(&d, "x.r", 5));
    assert_true(s_has(&d, "x.r", 17));
    assert_false(s_has(&d, "x.r", 16));
    assert_int_equal(s_count(&d, "x.s"), 4);
    assert_false(s_has(&d, "x.s", 6));
    assert_true(s_has(&d, "x.s", 7));
    assert_int_equal(s_count(&d, "x.t"), 4);
    assert_true(s_has(&d, "x.t", BIG));

    // what it removed is recorded (the last batch, the total)
    pk_versions_retention_t st;
    end = zclock_mono() + 5000;
    do {
        assert_int_equal(pk_versions_retention_get(d.versions, NULL, &st), 0);
        zclock_sleep(10);
    } while (st.total_versions < 14 + 6 + BIG - 4 && zclock_mono() < end);
    assert_int_equal(st.total_versions, 14 + 6 + BIG - 4);
    assert_int_equal(st.keep, 4);
    assert_true(st.at_ms > 0);
    assert_true(st.versions > 0 && st.versions <= 32);

    // the build that used 3 is trimmed by retention: 3 goes too
    s_build(&d, "j", 1, "x.r", 3, true);
    end = zclock_mono() + 10000;
    while (zclock_mono() < end && s_has(&d, "x.r", 3))
        zclock_sleep(10);
    assert_false(s_has(&d, "x.r", 3));
    assert_true(s_has(&d, "x.r", 7));           // still pinned

    // versions just found wait a settling time (the scheduler may still
    // have to build them): 21..30 arrive, 17..26 are past the horizon but
    // stay for now, then go
    s_record_more(&d, "x.r", 21, 30);
    assert_true(s_has(&d, "x.r", 17));
    assert_true(s_has(&d, "x.r", 21));
    zclock_sleep(300);
    assert_true(s_has(&d, "x.r", 21));
    end = zclock_mono() + 20000;
    while (zclock_mono() < end && s_has(&d, "x.r", 26))
        zclock_sleep(10);
    assert_false(s_has(&d, "x.r", 26));
    assert_false(s_has(&d, "x.r", 17));
    assert_true(s_has(&d, "x.r", 27));

    zactor_destroy(&checker);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
    s_db_close(&d);
}

static int
s_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void) sb, (void) flag, (void) ftw;
    return remove(path);
}

static int
s_setup(void **state)
{
    (void) state;
    const char *base = getenv("TMPDIR");
    snprintf(T, sizeof T, "%s/pk-test-retain-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(T));
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    nftw(T, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int
main(void)
{
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_layer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_collector, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
