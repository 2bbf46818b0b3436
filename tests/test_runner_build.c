// The runner's executor with real processes: plan semantics (order, first
// failure stops, attempts, step and job timeouts, every hook order, cancel,
// in_parallel with limit and fail_fast, if/else, GET_/TASK_ exports,
// inputs/outputs), check results, credit-based flow control and flat memory
// under 200 MB of output.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "runner_harness.h"
#include "pk_proc.h"
#include "pk_value_msgpack.h"
#include "test_work_root.h"

// Freed chunks must really be freed for the flat-memory test: keep ASan's
// quarantine (256 MB by default) small in this binary.
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
    return "quarantine_size_mb=8";
}

// A task step running `sh -ec SCRIPT` through the shell runner.
#define SH(name, script) \
    "{\"kind\":\"task\",\"name\":\"" name "\",\"cmd\":{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":\"" script "\"}}"

static harness_t *
s_build(const char *json)
{
    return harness_start("build", json, true);
}

static void
s_done(harness_t *h, const char *status)
{
    assert_true(harness_wait(h, 30000));
    assert_true(h->seq_ok);
    if (strcmp(h->done_status, status))
        fail_msg("build %s, expected %s; log:\n%s", h->done_status, status, h->log ? h->log : "");
}

static void
test_sequence_and_first_failure(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"env\":{\"BUILD_NUMBER\":\"7\"},\"steps\":["
        SH("one", "echo one $BUILD_NUMBER") "},"
        SH("two", "echo two; exit 3") "},"
        SH("three", "echo three") "}]}");
    s_done(h, "failed");
    assert_string_equal(h->log, "one 7\ntwo\n");
    assert_true(harness_has_step(h, "succeeded one"));
    assert_true(harness_has_step(h, "failed two"));
    assert_false(harness_has_step(h, "started three"));
    harness_destroy(&h);
}

static void
test_exec_and_user_runner(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"steps\":["
        "{\"kind\":\"task\",\"name\":\"e\",\"cmd\":{\"runner\":{\"name\":\"exec\"},"
        "  \"params\":{\"path\":\"/bin/echo\",\"args\":[\"a b\",\"$HOME-not-expanded\"]}}},"
        "{\"kind\":\"task\",\"name\":\"u\",\"cmd\":{\"runner\":{\"name\":\"bash\",\"path\":\"/bin/sh\","
        "  \"args\":[\"-c\",\"$script\",\"$nothing\",\"x\"]},"
        "  \"params\":{\"script\":\"echo $0 $greet\",\"greet\":\"hi\"}}}]}");
    s_done(h, "succeeded");
    // $args is spliced unexpanded; "$nothing" expands to "" and is dropped,
    // so "x" becomes $0; params are exported as environment
    assert_string_equal(h->log, "a b $HOME-not-expanded\nx hi\n");
    harness_destroy(&h);
}

static void
test_attempts(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    char json[2048];
    snprintf(json, sizeof json, "{\"steps\":[{\"kind\":\"task\",\"name\":\"flaky\",\"attempts\":3,"
        "\"cmd\":{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":"
        "\"echo x >> %s/n; test $(wc -l < %s/n) -ge 2\"}}}]}", dir, dir);
    harness_t *h = s_build(json);
    s_done(h, "succeeded");
    assert_non_null(strstr(h->log, "--- attempt 2/3 ---"));
    assert_null(strstr(h->log, "--- attempt 3/3 ---"));
    harness_destroy(&h);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void
test_step_timeout_and_hooks(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"steps\":[{\"kind\":\"task\",\"name\":\"slow\",\"timeout_ms\":300,"
        "\"cmd\":{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":\"sleep 30\"}},"
        "\"hooks\":{"
        "  \"on_success\":[" SH("s", "echo SUCCESS") "}],"
        "  \"on_failure\":[" SH("f", "echo FAILURE") "}],"
        "  \"ensure\":[" SH("e", "echo ENSURE") "}]}}],"
        "\"hooks\":{\"on_failure\":[" SH("jf", "echo JOB $BUILD_STATUS") "}],"
        "           \"ensure\":[" SH("je", "echo JOBENSURE") "}]}}");
    s_done(h, "failed");
    assert_string_equal(h->log, "step timed out after 300ms\nFAILURE\nENSURE\nJOB failed\nJOBENSURE\n");
    assert_true(harness_has_step(h, "succeeded slow:on_failure:f"));
    assert_true(harness_has_step(h, "succeeded on_failure:jf"));
    harness_destroy(&h);
}

static void
test_failing_hook_keeps_status(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"steps\":[" SH("ok", "true") ","
        "\"hooks\":{\"on_success\":[" SH("bad", "exit 1") "}]}}]}");
    s_done(h, "succeeded");
    assert_true(harness_has_step(h, "failed ok:on_success:bad"));
    harness_destroy(&h);
}

static void
test_job_timeout_runs_cancel_hooks(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"timeout_ms\":400,\"steps\":[" SH("slow", "sleep 30") "}],"
        "\"hooks\":{\"on_cancel\":[" SH("c", "echo CANCELHOOK $BUILD_STATUS") "}],"
        "           \"ensure\":[" SH("e", "echo ENSURE") "}]}}");
    s_done(h, "failed");
    assert_non_null(h->done_reason);
    assert_string_equal(h->done_reason, "job timed out after 400ms");
    assert_non_null(strstr(h->log, "CANCELHOOK failed\nENSURE\n"));
    harness_destroy(&h);
}

static void
test_cancel_kills_group_and_runs_on_cancel(void **state)
{
    (void) state;
    pk_proc_make_subreaper();
    char *dir = harness_tmpdir();
    char json[2048];
    snprintf(json, sizeof json, "{\"steps\":[{\"kind\":\"task\",\"name\":\"long\","
        "\"cmd\":{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":"
        "\"sh -c 'trap \\\"\\\" TERM; echo $$ > %s/pid; echo started; while :; do sleep 1; done' & wait\"}},"
        "\"hooks\":{\"on_cancel\":[" SH("oc", "echo ONCANCEL") "}]}}]}", dir);
    harness_t *h = s_build(json);
    assert_true(harness_wait_text(h, "started\n", 10000));
    char path[512];
    snprintf(path, sizeof path, "%s/pid", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int pid = 0;
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    assert_int_equal(kill(pid, 0), 0);
    runner_build_cancel(h->build, "cancelled by alice");
    s_done(h, "cancelled");
    assert_string_equal(h->done_reason, "cancelled by alice");
    assert_non_null(strstr(h->log, "ONCANCEL\n"));
    // the grandchild ignored SIGTERM: it got SIGKILL after the grace period
    // and was reaped (we are its subreaper), so not even a zombie is left
    int gone = 0;
    for (int i = 0; i < 500 && !gone; i++) {
        gone = kill(pid, 0) != 0;
        if (!gone)
            usleep(10000);
    }
    assert_true(gone);
    harness_destroy(&h);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    assert_int_equal(system(path), 0);
    free(dir);
}

// Regression: a cancel that lands before the build's thread has started its
// plan must not be lost (the build used to run to its end).
static void
test_cancel_before_start(void **state)
{
    (void) state;
    char *err = NULL;
    const char *json = "{\"steps\":[" SH("long", "sleep 30") "}]}";
    pk_value_t *plan = pk_value_from_json(json, strlen(json), &err);
    harness_t *h = calloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->auto_credit = true;
    h->keep_log = true;
    h->seq_ok = true;
    h->steps = zlist_new();
    zlist_autofree(h->steps);
    h->build = runner_build_new("build:test/job/2", 1, "build", plan, test_work_root(),
                                "test-worker", NULL, harness_emit, h);
    runner_build_cancel(h->build, "cancelled early");
    runner_build_start(h->build);
    s_done(h, "cancelled");
    assert_string_equal(h->done_reason, "cancelled early");
    harness_destroy(&h);
}

static void
test_exports_and_io(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"steps\":["
        "{\"kind\":\"get\",\"name\":\"my-tick\",\"native\":{\"type\":\"cron\"},"
        "  \"version\":{\"date\":\"2026-01-01\",\"nested\":{\"a\":[1,\"x\"]}}},"
        SH("make-out", "mkdir out; echo hi > out/f; echo KEY=v1 >> $PIKOCI_OUTPUT; echo '# c' >> $PIKOCI_OUTPUT; echo lower-k=2 >> $PIKOCI_OUTPUT") ",\"outputs\":[\"out\"]},"
        SH("use", "echo $GET_MY_TICK_DATE $GET_MY_TICK_NESTED_A_0 $GET_MY_TICK_NESTED_A_1 $TASK_MAKE_OUT_KEY $TASK_MAKE_OUT_LOWER_K; cat out/f") ",\"inputs\":[\"out\"]},"
        SH("missing-in", "true") ",\"inputs\":[\"nope\"]}]}");
    s_done(h, "failed");
    // the cron get prints its date, as PikoCI's type does
    assert_string_equal(h->log, "date: 2026-01-01\n2026-01-01 1 x v1 2\nhi\n"
                                "input \"nope\" does not exist\n");
    harness_destroy(&h);

    h = s_build("{\"steps\":[" SH("t", "true") ",\"outputs\":[\"never\"]}]}");
    s_done(h, "failed");
    assert_string_equal(h->log, "task finished but output \"never\" was not produced\n");
    harness_destroy(&h);
}

static void
test_parallel(void **state)
{
    (void) state;
    // a and b each wait for the other's marker: they can only both finish
    // if they really run at the same time
    harness_t *h = s_build("{\"steps\":[{\"kind\":\"parallel\",\"name\":\"par\",\"steps\":["
        SH("a", "touch a; for i in $(seq 100); do test -e b && break; sleep 0.05; done; test -e b; echo A=1 >> $PIKOCI_OUTPUT") "},"
        SH("b", "touch b; for i in $(seq 100); do test -e a && break; sleep 0.05; done; test -e a; echo B=2 >> $PIKOCI_OUTPUT") "}]},"
        SH("after", "echo $TASK_A_A$TASK_B_B") "}]}");
    s_done(h, "succeeded");
    assert_non_null(strstr(h->log, "12\n"));
    harness_destroy(&h);

    // limit 1 serialises: b starts only after a is done
    h = s_build("{\"steps\":[{\"kind\":\"parallel\",\"name\":\"par\",\"limit\":1,\"steps\":["
        SH("a", "test ! -e b; touch a") "}," SH("b", "test -e a; touch b") "}]}]}");
    s_done(h, "succeeded");
    harness_destroy(&h);

    // fail_fast: the failure of one cancels its running sibling (bad fails
    // only once slow runs: a sibling not yet started is not run at all)
    h = s_build("{\"steps\":[{\"kind\":\"parallel\",\"name\":\"par\",\"fail_fast\":true,\"steps\":["
        SH("bad", "until test -e slow; do sleep 0.01; done; exit 1") "},"
        SH("slow", "touch slow; sleep 30") "}]}]}");
    s_done(h, "failed");
    assert_true(harness_has_step(h, "cancelled slow"));
    harness_destroy(&h);
}

static void
test_if_else(void **state)
{
    (void) state;
    harness_t *h = s_build("{\"env\":{\"INPUT_ENV\":\"prod\"},\"steps\":["
        SH("detect", "echo ENV=staging >> $PIKOCI_OUTPUT") "},"
        "{\"kind\":\"if\",\"name\":\"chain\",\"branches\":["
        "  {\"name\":\"is-prod\",\"condition\":\"$TASK_DETECT_ENV == 'production'\",\"steps\":[" SH("p", "echo PROD") "}]},"
        "  {\"name\":\"is-staging\",\"condition\":\"$TASK_DETECT_ENV == 'staging' && $INPUT_ENV == prod\",\"steps\":[" SH("s", "echo STAGING") "}]},"
        "  {\"name\":\"else\",\"steps\":[" SH("e", "echo ELSE") "}]}]}]}");
    s_done(h, "succeeded");
    assert_non_null(strstr(h->log, "STAGING\n"));
    assert_null(strstr(h->log, "PROD\n"));
    assert_null(strstr(h->log, "ELSE\n"));
    harness_destroy(&h);
}

static void
test_checks(void **state)
{
    (void) state;
    harness_t *h = harness_start("check", "{\"resource\":\"x.y\",\"version\":{\"ref\":\"a\"},"
        "\"cmd\":{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":"
        "\"echo noise; echo last was $version_ref; echo '[{\\\"ref\\\":\\\"b\\\"},{\\\"ref\\\":\\\"c\\\"}]'\"}}}", true);
    assert_true(harness_wait(h, 10000));
    assert_null(h->versions.versions.error);
    pk_value_t *v = pk_value_unpack(h->versions.versions.versions.data, h->versions.versions.versions.size);
    char *json = pk_value_to_json(v);
    assert_string_equal(json, "[{\"ref\":\"b\"},{\"ref\":\"c\"}]");
    free(json);
    pk_value_destroy(&v);
    harness_destroy(&h);

    h = harness_start("check", "{\"resource\":\"x.y\",\"cmd\":{\"runner\":{\"name\":\"shell\"},"
        "\"params\":{\"cmd\":\"echo not json\"}}}", true);
    assert_true(harness_wait(h, 10000));
    assert_non_null(h->versions.versions.error);
    assert_non_null(strstr(h->versions.versions.error, "not json"));
    harness_destroy(&h);

    h = harness_start("check", "{\"resource\":\"x.y\",\"cmd\":{\"runner\":{\"name\":\"shell\"},"
        "\"params\":{\"cmd\":\"echo oops; exit 4\"}}}", true);
    assert_true(harness_wait(h, 10000));
    assert_string_equal(h->versions.versions.error, "check failed with exit status 4");
    assert_string_equal(h->versions.versions.output, "oops\n");
    harness_destroy(&h);

    h = harness_start("check", "{\"resource\":\"x.y\",\"cmd\":{\"runner\":{\"name\":\"shell\"},"
        "\"params\":{\"cmd\":\"echo\"}}}", true);    // empty last line: nothing new
    assert_true(harness_wait(h, 10000));
    assert_null(h->versions.versions.error);
    harness_destroy(&h);
}

// Without credit the executor stops reading: the task blocks on its pipe.
static void
test_credit_flow_control(void **state)
{
    (void) state;
    harness_t *h = harness_start("build", "{\"steps\":[" SH("big", "head -c 4000000 /dev/zero") "}]}", false);
    h->keep_log = false;
    assert_true(harness_wait_logs(h, RUNNER_INITIAL_CREDIT, 10000));
    // no credit came back: no more than the initial credit may arrive
    assert_false(harness_wait_logs(h, RUNNER_INITIAL_CREDIT + 1, 300));
    assert_int_equal(h->log_msgs, RUNNER_INITIAL_CREDIT);
    // meanwhile the task filled its pipe: one credit brings one LOG of what
    // a read takes, up to RUNNER_LOG_CHUNK (~64 KiB; the pipe holds 64 KiB
    // in page slots, so it may be a few KiB less), not a 16 KiB piece of it
    pthread_mutex_lock(&h->lock);
    size_t before = h->log_bytes;
    pthread_mutex_unlock(&h->lock);
    runner_build_credit(h->build, 1);
    assert_true(harness_wait_logs(h, RUNNER_INITIAL_CREDIT + 1, 10000));
    assert_false(harness_wait_logs(h, RUNNER_INITIAL_CREDIT + 2, 100));
    pthread_mutex_lock(&h->lock);
    size_t one = h->log_bytes - before;
    pthread_mutex_unlock(&h->lock);
    print_message("one credit, one LOG of %zu bytes\n", one);
    assert_true(one > 32768 && one <= RUNNER_LOG_CHUNK);
    h->auto_credit = true;
    s_done(h, "succeeded");
    assert_int_equal(h->log_bytes, 4000000);
    harness_destroy(&h);
}

// A log that cannot be stored: the sink (here the test) never credits it
// and cancels the build with "the log could not be stored: WHY", as
// logsink.c does when its store keeps failing. The build then ends
// errored with that reason, never succeeded -- whether the cancel comes
// while the task runs or while the runner waits for the log at the end.
static void
test_log_not_stored_is_errored(void **state)
{
    (void) state;
    harness_t *h = harness_start("build", "{\"steps\":[" SH("t", "echo one line") "}]}", false);
    // the task is done and the runner waits for its log to be confirmed
    assert_true(harness_wait_text(h, "one line", 10000));
    assert_false(harness_wait(h, 300));
    runner_build_cancel(h->build, "the log could not be stored: No space left on device");
    assert_true(harness_wait(h, 10000));
    assert_string_equal(h->done_status, "errored");
    assert_string_equal(h->done_reason, "the log could not be stored: No space left on device");
    harness_destroy(&h);

    // its hooks still run to their end: with no credit to come, their
    // output is read and dropped instead of stalling them
    h = harness_start("build", "{\"steps\":[" SH("big", "head -c 4000000 /dev/zero") "}],"
                      "\"hooks\":{\"ensure\":[" SH("e", "head -c 1000000 /dev/zero") "}]}}",
                      false);
    h->keep_log = false;
    assert_true(harness_wait_logs(h, RUNNER_INITIAL_CREDIT, 10000));
    runner_build_cancel(h->build, "the log could not be stored: MDB_MAP_FULL");
    assert_true(harness_wait(h, 10000));
    assert_string_equal(h->done_status, "errored");
    assert_non_null(strstr(h->done_reason, "MDB_MAP_FULL"));
    harness_destroy(&h);
}

static long
s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

static void
test_200mb_flat_memory(void **state)
{
    (void) state;
    // a first 100 MB brings the allocators to their steady state (ASan's
    // quarantine alone keeps a few MB per size class of what was freed,
    // more with 64 KiB LOG messages than with 16 KiB ones): flat memory is
    // the next 200 MB adding nothing to that
    harness_t *h = harness_start("build", "{\"steps\":[" SH("warm", "head -c 104857600 /dev/urandom") "}]}", true);
    h->keep_log = false;
    s_done(h, "succeeded");
    harness_destroy(&h);
    long before = s_rss_kb();
    h = harness_start("build", "{\"steps\":[" SH("big", "head -c 209715200 /dev/urandom") "}]}", true);
    h->keep_log = false;
    s_done(h, "succeeded");
    long after = s_rss_kb();
    assert_int_equal(h->log_bytes, 209715200);
    print_message("200 MB through the executor: %zu LOG messages, RSS %ld -> %ld kB\n",
                  h->log_msgs, before, after);
    assert_true(after - before < 16 * 1024);
    harness_destroy(&h);
}

static void
test_bad_plan_errors(void **state)
{
    (void) state;
    // a timeout past int64 must not be undefined behaviour (UBSan aborts)
    harness_t *big = s_build("{\"timeout_ms\":1e300,\"steps\":[" SH("t", "true") ",\"timeout_ms\":1e300}]}");
    s_done(big, "succeeded");
    harness_destroy(&big);
    harness_t *h = s_build("{\"steps\":[{\"kind\":\"dance\",\"name\":\"x\"}]}");
    s_done(h, "errored");
    assert_non_null(strstr(h->done_reason, "unknown step kind"));
    harness_destroy(&h);
    h = s_build("{\"steps\":[{\"kind\":\"task\",\"name\":\"x\",\"cmd\":{\"runner\":{\"name\":\"nope\"}}}]}");
    s_done(h, "errored");
    assert_non_null(strstr(h->log, "unknown runner \"nope\""));
    harness_destroy(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequence_and_first_failure),
        cmocka_unit_test(test_exec_and_user_runner),
        cmocka_unit_test(test_attempts),
        cmocka_unit_test(test_step_timeout_and_hooks),
        cmocka_unit_test(test_failing_hook_keeps_status),
        cmocka_unit_test(test_job_timeout_runs_cancel_hooks),
        cmocka_unit_test(test_cancel_kills_group_and_runs_on_cancel),
        cmocka_unit_test(test_cancel_before_start),
        cmocka_unit_test(test_exports_and_io),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_if_else),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_credit_flow_control),
        cmocka_unit_test(test_log_not_stored_is_errored),
        cmocka_unit_test(test_200mb_flat_memory),
        cmocka_unit_test(test_bad_plan_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
