// test_store_keyspaces: pk_store_open_all, the server's first step on its
// store. It must open every keyspace store/'s modules use (else a fresh
// store pays a commit, two syncs on lmdb, for each one missed), in ONE
// transaction, write nothing on a store that has them, and a process killed
// at any point of a fresh store's first start must leave a store that opens
// and works. The killed children are this executable re-executed through
// /proc/self/exe ("child DIR"): LMDB must not cross a fork without an exec.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pk_audit.h"
#include "pk_auth.h"
#include "pk_builds.h"
#include "pk_logs.h"
#include "pk_secrets.h"
#include "pk_store_internal.h"
#include "pk_versions.h"
#include "pk_webhooks.h"

static char s_dir[64];

static int
s_setup(void **state)
{
    (void) state;
    snprintf(s_dir, sizeof s_dir, "/tmp/pk-test-ks-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t
s_last_txnid(pk_store_t *store)
{
    MDB_envinfo info;
    assert_int_equal(mdb_env_info(store->env, &info), 0);
    return info.me_last_txnid;
}

// Every module's keyspaces are in the list: none is opened after it.
static void
s_modules_open_nothing_more(pk_store_t *store)
{
    size_t n = pk_store_keyspace_count(store);
    char *err = NULL;
    pk_builds_t *builds = pk_builds_new(store, &err);
    pk_versions_t *versions = pk_versions_new(store, &err);
    pk_auth_t *auth = pk_auth_new(store, &err);
    pk_webhooks_t *hooks = pk_webhooks_new(store, &err);
    pk_audit_t *audit = pk_audit_new(store, &err);
    assert_non_null(builds);
    assert_non_null(versions);
    assert_non_null(auth);
    assert_non_null(hooks);
    assert_non_null(audit);
    assert_int_equal(pk_logs_init(store), 0);
    uint8_t key[PK_SECRETS_KEY_BYTES] = { 1 };
    pk_secrets_box_t box;
    pk_secrets_box_init(&box, store, key, NULL);
    pk_secrets_box_clear(&box);
    assert_int_equal(pk_store_dbi(store, "auth_users") != PK_STORE_NO_DBI, true);
    assert_int_equal(pk_store_keyspace_count(store), n);
    pk_builds_destroy(&builds);
    pk_versions_destroy(&versions);
    pk_auth_destroy(&auth);
    pk_webhooks_destroy(&hooks);
    pk_audit_destroy(&audit);
    free(err);
}

static void
test_fresh_lmdb_one_commit(void **state)
{
    (void) state;
    char *err = NULL;
    pk_store_t *store = pk_store_open("lmdb", s_dir, &err);
    assert_non_null(store);
    assert_int_equal(s_last_txnid(store), 0);
    assert_int_equal(pk_store_open_all(store), 0);
    assert_int_equal(s_last_txnid(store), 1);      // all of them in one commit
    assert_true(pk_store_keyspace_count(store) >= 20);
    s_modules_open_nothing_more(store);
    assert_int_equal(s_last_txnid(store), 1);      // ... and none after it
    pk_store_close(&store);
    // again on the same store: nothing to create, nothing written
    store = pk_store_open("lmdb", s_dir, &err);
    assert_non_null(store);
    assert_int_equal(pk_store_open_all(store), 0);
    assert_int_equal(s_last_txnid(store), 1);
    pk_store_close(&store);
}

static void
test_mem(void **state)
{
    (void) state;
    char *err = NULL;
    pk_store_t *store = pk_store_open("mem", NULL, &err);
    assert_non_null(store);
    assert_int_equal(pk_store_open_all(store), 0);
    s_modules_open_nothing_more(store);
    assert_int_equal(pk_store_open_all(store), 0);      // twice: no duplicates
    size_t n = pk_store_keyspace_count(store);
    assert_int_equal(pk_store_open_all(store), 0);
    assert_int_equal(pk_store_keyspace_count(store), n);
    pk_store_close(&store);
}

// The child: a server's first steps on a fresh store, in a loop until killed.
static int
s_child(const char *dir)
{
    for (unsigned i = 0;; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/s%u", dir, i);
        char *err = NULL;
        pk_store_t *store = pk_store_open("lmdb", path, &err);
        if (!store || pk_store_open_all(store) != 0)
            return 1;
        pk_builds_t *builds = pk_builds_new(store, &err);
        uint64_t from = 0, indexed = 0;
        if (!builds || pk_builds_upgrade(builds, &from, &indexed) < 0)
            return 1;
        pk_builds_destroy(&builds);
        pk_store_close(&store);
    }
}

// A store left by a killed first start opens, has every keyspace, takes a
// write and reads it back.
static void
s_check_store(const char *path)
{
    char *err = NULL;
    pk_store_t *store = pk_store_open("lmdb", path, &err);
    assert_non_null(store);
    assert_int_equal(pk_store_open_all(store), 0);
    s_modules_open_nothing_more(store);
    pk_builds_t *builds = pk_builds_new(store, &err);
    uint64_t from = 0, indexed = 0;
    assert_non_null(builds);
    assert_true(pk_builds_upgrade(builds, &from, &indexed) >= 0);
    pk_builds_destroy(&builds);
    pk_store_txn_t *txn = pk_store_begin(store, true);
    assert_non_null(txn);
    assert_int_equal(pk_store_put(txn, pk_store_dbi(store, "pins"), "k", 1, "v", 1), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    txn = pk_store_begin(store, false);
    const void *v = NULL;
    size_t size = 0;
    assert_int_equal(pk_store_get(txn, pk_store_dbi(store, "pins"), "k", 1, &v, &size), 0);
    assert_int_equal(size, 1);
    pk_store_abort(&txn);
    pk_store_close(&store);
}

static void
test_killed_first_start(void **state)
{
    (void) state;
    const char *seed_env = getenv("PK_TEST_SEED");
    unsigned seed = seed_env ? (unsigned) atoi(seed_env) : (unsigned) time(NULL);
    printf("# PK_TEST_SEED=%u\n", seed);
    srand(seed);
    for (int round = 0; round < 8; round++) {
        char dir[128];
        snprintf(dir, sizeof dir, "%s/r%d", s_dir, round);
        pid_t pid = fork();
        if (pid == 0) {
            execl("/proc/self/exe", "test_store_keyspaces", "child", dir, (char *) NULL);
            _exit(127);
        }
        assert_true(pid > 0);
        usleep((useconds_t) (2000 + rand() % 30000));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));       // killed, not failed
        // every store it began, the last one cut off anywhere
        for (unsigned i = 0;; i++) {
            char path[160];
            snprintf(path, sizeof path, "%s/s%u", dir, i);
            if (access(path, F_OK) != 0)
                break;
            s_check_store(path);
        }
    }
}

int
main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "child"))
        return s_child(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_lmdb_one_commit, s_setup, s_teardown),
        cmocka_unit_test(test_mem),
        cmocka_unit_test_setup_teardown(test_killed_first_start, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
