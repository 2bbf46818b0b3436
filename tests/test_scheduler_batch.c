// test_scheduler_batch: runners' reports that reach the scheduler together
// (STARTED with the first STEP, the last STEP with DONE) are committed in
// one transaction, with the same outcome as one by one: every step and the
// build's end recorded, events in order, a report in the same batch
// said twice changing nothing, two builds' reports interleaved. The
// real scheduler and broker over inproc with a real store; the test plays
// the runner (test_scheduler_util.h) and sends each build's four reports
// back to back.
#include "test_scheduler_util.h"
#include "pk_store_internal.h"
#include <string.h>

static tenv_t *s_live;

static void
s_teardown_fn(void)
{
    if (s_live)
        tenv_stop(s_live, false);
    s_live = NULL;
}

static int
s_teardown(void **state)
{
    (void) state;
    s_teardown_fn();
    return 0;
}

// The id of the store's last committed write transaction.
static size_t
s_txn_id(tenv_t *e)
{
    pk_store_txn_t *t = pk_store_begin(e->store, false);
    assert_non_null(t);
    size_t id = mdb_txn_id(t->txn);
    pk_store_abort(&t);
    return id;
}

static void
s_expect_event(tenv_t *e, const char *topic, const char *number)
{
    pk_value_t *ev = tevent(e, topic, 5000);
    if (!ev)
        fail_msg("no %s event for build %s", topic, number);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "number")), number);
    pk_value_destroy(&ev);
}

// Build number of job in "p" has one step, finished with status.
static void
s_expect_step(tenv_t *e, const char *job, uint64_t number, const char *status)
{
    pk_build_step_t *steps = NULL;
    size_t n = 0;
    assert_int_equal(pk_builds_steps_list(e->builds, NULL, "p", job, number, 0, &steps, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(steps[0].status, status);
    assert_true(steps[0].finished_ms > 0);
    pk_build_steps_free(&steps, n);
}

// Eight builds, each reported STARTED, STEP started, STEP succeeded, DONE
// at once: each ends succeeded with its step, its events come in order,
// and together they take fewer commits than one per report.
static void
test_reports_together(void **state)
{
    (void) state;
    tenv_t *e = s_live = tenv_start(NULL);
    tset(e, TPIPELINE);
    tversion(e, "git.app", "r1", false);
    size_t fewest = 4;
    for (int i = 1; i <= 8; i++) {
        char number[16], id[64];
        snprintf(number, sizeof number, "%d", i);
        snprintf(id, sizeof id, "build:p/one/%d", i);
        assert_string_equal(tok(e, "trigger", "number", "pipeline", "p", "job", "one", NULL),
                            number);
        pk_msg_t w;
        assert_true(twork(e, &w, PK_MSG_WORK, 5000));
        assert_string_equal(w.work.id, id);
        uint32_t attempt = w.work.attempt;
        pk_msg_clear(&w);
        s_expect_event(e, "build.pending", number);
        size_t before = s_txn_id(e);
        tsend_report(e, PK_MSG_STARTED, id, attempt, 0, NULL);
        tsend_report(e, PK_MSG_STEP, id, attempt, 1, "started");
        tsend_report(e, PK_MSG_STEP, id, attempt, 1, "succeeded");
        tsend_report(e, PK_MSG_DONE, id, attempt, 0, "succeeded");
        WAIT_FOR(!strcmp(tstatus(e, "one", number), "succeeded"), 5000);
        tsync(e);
        size_t commits = s_txn_id(e) - before;
        assert_true(commits >= 1 && commits <= 4);
        if (commits < fewest)
            fewest = commits;
        s_expect_step(e, "one", (uint64_t) i, "succeeded");
        pk_build_t b = tbuild(e, "one", number);
        assert_string_equal(b.worker, "fake");
        assert_true(b.started_ms > 0 && b.finished_ms >= b.started_ms);
        pk_build_clear(&b);
        s_expect_event(e, "build.started", number);
        s_expect_event(e, "build.succeeded", number);
    }
    // the reports of a build come in one read of the socket nearly always
    if (fewest >= 4)
        fail_msg("every build's four reports took four commits: none were batched");
    s_teardown_fn();
}

// Two builds' reports interleaved in one batch, with a STARTED said twice
// (a runner's resync): both builds end as reported, their steps recorded,
// and the repeated STARTED changes nothing (no CANCEL: it is current).
static void
test_interleaved_in_batch(void **state)
{
    (void) state;
    tenv_t *e = s_live = tenv_start(NULL);
    tset(e, TPIPELINE);
    tversion(e, "git.app", "r1", false);
    tversion(e, "git.lib", "l1", false);
    assert_string_equal(tok(e, "trigger", "number", "pipeline", "p", "job", "one", NULL), "1");
    assert_string_equal(tok(e, "trigger", "number", "pipeline", "p", "job", "a", NULL), "1");
    uint32_t att[2] = { 0, 0 };
    for (int i = 0; i < 2; i++) {
        pk_msg_t w;
        assert_true(twork(e, &w, PK_MSG_WORK, 5000));
        att[strcmp(w.work.id, "build:p/one/1") ? 1 : 0] = w.work.attempt;
        pk_msg_clear(&w);
    }
    assert_true(att[0] && att[1]);
    tsend_report(e, PK_MSG_STARTED, "build:p/one/1", att[0], 0, NULL);
    tsend_report(e, PK_MSG_STARTED, "build:p/a/1", att[1], 0, NULL);
    tsend_report(e, PK_MSG_STARTED, "build:p/one/1", att[0], 0, NULL);
    tsend_report(e, PK_MSG_STEP, "build:p/a/1", att[1], 1, "failed");
    tsend_report(e, PK_MSG_STEP, "build:p/one/1", att[0], 1, "succeeded");
    tsend_report(e, PK_MSG_DONE, "build:p/a/1", att[1], 0, "failed");
    tsend_report(e, PK_MSG_DONE, "build:p/one/1", att[0], 0, "succeeded");
    WAIT_FOR(!strcmp(tstatus(e, "one", "1"), "succeeded"), 5000);
    WAIT_FOR(!strcmp(tstatus(e, "a", "1"), "failed"), 5000);
    const char *jobs[] = { "one", "a" }, *want[] = { "succeeded", "failed" };
    for (int i = 0; i < 2; i++)
        s_expect_step(e, jobs[i], 1, want[i]);
    pk_msg_t c;
    assert_false(twork(e, &c, PK_MSG_CANCEL, 200));
    s_teardown_fn();
}

int
main(void)
{
    zsys_handler_set(NULL);
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_reports_together, s_teardown),
        cmocka_unit_test_teardown(test_interleaved_in_batch, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
