// Services in the runner's executor, with real processes: a service's
// marker seen by the task; stop after success, a failing task, a cancel and
// a job timeout; a never-ready service failing the build at its timeout (or
// at the step's own timeout); stops newest first; a start that keeps running
// (terminated with its group after stop) or leaves a daemon behind; a hung
// stop cut short; a service refused inside in_parallel; secrets substituted
// into a service and masked in its output; a real redis-server on a free
// loopback port.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "services_util.h"

static void
test_marker_seen_then_stopped(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"steps\":[" MARKER "," TASK("t", "echo task sees $(cat $D/marker)") "]");
    t_done(h, "succeeded");
    assert_non_null(strstr(h->log, "task sees up"));
    assert_false(t_exists(dir, "marker"));
    // NAME:start, NAME:ready before the task, NAME:stop after it
    int start = t_pos(h, "succeeded db:start"), ready = t_pos(h, "succeeded db:ready");
    int task = t_pos(h, "succeeded t"), stop = t_pos(h, "succeeded db:stop");
    assert_true(start >= 0 && ready >= 0 && task >= 0 && stop >= 0);
    assert_true(ready < t_pos(h, "started t") && task < t_pos(h, "started db:stop"));
    assert_true(start < task && stop > task);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_stop_after_failing_task(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"steps\":[" MARKER "," TASK("t", "test -f $D/marker; exit 7") ","
                                TASK("never", "echo SHOULD-NOT-RUN") "]");
    t_done(h, "failed");
    assert_true(harness_has_step(h, "failed t"));
    assert_true(harness_has_step(h, "succeeded db:stop"));
    assert_false(harness_has_step(h, "started never"));
    assert_false(t_exists(dir, "marker"));
    char *stops = t_read(dir, "stops");
    assert_string_equal(stops, "stopped-db\n");
    free(stops);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_stop_after_cancel(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"steps\":[" MARKER "," TASK("t", "echo task-running; sleep 30") "],"
                                "\"hooks\":{\"on_cancel\":[" TASK("jc", "echo JOB-CANCEL-HOOK") "]}");
    assert_true(harness_wait_text(h, "task-running", 30000));
    assert_true(t_exists(dir, "marker"));
    int64_t t0 = t_now_ms();
    runner_build_cancel(h->build, "cancelled by a test");
    t_done(h, "cancelled");
    assert_true(t_now_ms() - t0 < 10000);
    assert_string_equal(h->done_reason, "cancelled by a test");
    assert_true(harness_has_step(h, "succeeded db:stop"));
    assert_false(t_exists(dir, "marker"));
    // the services are stopped when the plan ends, before the job hooks
    assert_true(t_pos(h, "succeeded db:stop") < t_pos(h, "started on_cancel:jc"));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_stop_after_job_timeout(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"timeout_ms\":1500,\"steps\":[" MARKER ","
                                TASK("t", "echo task-running; sleep 30") "]");
    t_done(h, "failed");
    assert_non_null(strstr(h->done_reason, "job timed out"));
    assert_true(harness_has_step(h, "succeeded db:stop"));
    assert_false(t_exists(dir, "marker"));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_never_ready_fails_at_timeout(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    int64_t t0 = t_now_ms();
    harness_t *h = t_build(dir, "\"steps\":["
        "{\"kind\":\"service\",\"name\":\"slow\",\"start\":" SH("echo starting")
        ",\"ready_check\":" SH("echo probe >> $D/probes; exit 1")
        ",\"ready_interval_ms\":100,\"ready_timeout_ms\":700"
        ",\"stop\":" SH("echo stopped-slow >> $D/stops") "},"
        TASK("t", "echo SHOULD-NOT-RUN") "]");
    t_done(h, "failed");
    int64_t took = t_now_ms() - t0;
    assert_true(took >= 700);
    assert_true(took < 10000);
    assert_true(harness_has_step(h, "failed slow:ready"));
    assert_false(harness_has_step(h, "started t"));
    assert_null(strstr(h->log, "SHOULD-NOT-RUN"));
    assert_non_null(strstr(h->log, "service slow was not ready after 700ms"));
    // polled at its interval: several probes, not a busy loop
    char *probes = t_read(dir, "probes");
    size_t n = 0;
    for (char *p = probes; (p = strstr(p, "probe")); p++)
        n++;
    assert_true(n >= 3 && n <= 12);
    free(probes);
    // stop still runs for a service that never became ready
    assert_true(harness_has_step(h, "succeeded slow:stop"));
    char *stops = t_read(dir, "stops");
    assert_string_equal(stops, "stopped-slow\n");
    free(stops);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_service_step_timeout(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    int64_t t0 = t_now_ms();
    // the step's own timeout (400 ms) wins over the ready timeout (5 s)
    harness_t *h = t_build(dir, "\"steps\":["
        SVC("late", "true", "exit 1", "echo stopped-late >> $D/stops", ",\"timeout_ms\":400") ","
        TASK("t", "echo SHOULD-NOT-RUN") "]");
    t_done(h, "failed");
    assert_true(t_now_ms() - t0 < 4000);
    assert_non_null(strstr(h->log, "step timed out after 400ms"));
    assert_true(harness_has_step(h, "failed late:start"));
    assert_false(harness_has_step(h, "started t"));
    char *stops = t_read(dir, "stops");
    assert_string_equal(stops, "stopped-late\n");
    free(stops);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_two_services_stop_in_reverse(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"steps\":["
        SVC("first", "echo first > $D/first", "test -f $D/first", "echo first >> $D/stops", "") ","
        SVC("second", "echo second > $D/second", "test -f $D/second", "echo second >> $D/stops", "") ","
        TASK("t", "cat $D/first $D/second") "]");
    t_done(h, "succeeded");
    char *stops = t_read(dir, "stops");
    assert_string_equal(stops, "second\nfirst\n");
    free(stops);
    assert_true(t_pos(h, "succeeded second:stop") < t_pos(h, "started first:stop"));
    harness_destroy(&h);
    t_rmdir(dir);
}

static bool
s_alive(pid_t pid)
{
    return kill(pid, 0) == 0;
}

static pid_t
s_pid(const char *dir, const char *name)
{
    char *text = t_read(dir, name);
    pid_t pid = (pid_t) atoi(text);
    free(text);
    return pid;
}

static void
test_long_running_start_is_terminated(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    // the start command is the server itself: it keeps running and talking
    harness_t *h = t_build(dir, "\"steps\":["
        SVC("fg", "echo $$ > $D/pid; echo serving; exec sleep 313.71", "test -s $D/pid",
            "echo stopping", "") ","
        TASK("t", "kill -0 $(cat $D/pid) && echo server-alive-during-task") "]");
    t_done(h, "succeeded");
    assert_non_null(strstr(h->log, "serving"));
    assert_non_null(strstr(h->log, "server-alive-during-task"));
    assert_non_null(strstr(h->log, "still running after stop: terminated"));
    pid_t pid = s_pid(dir, "pid");
    assert_true(pid > 0);
    assert_false(s_alive(pid));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_daemon_left_behind_is_killed_with_the_group(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    // start exits at once, leaving a daemon in its process group; its stop
    // forgets it: the group goes after stop anyway
    harness_t *h = t_build(dir, "\"steps\":["
        SVC("daemon", "sleep 313.72 & echo $! > $D/pid", "test -s $D/pid", "echo not-stopping", "") ","
        TASK("t", "kill -0 $(cat $D/pid) && echo daemon-alive") "]");
    t_done(h, "succeeded");
    assert_non_null(strstr(h->log, "daemon-alive"));
    assert_true(harness_has_step(h, "succeeded daemon:start"));
    pid_t pid = s_pid(dir, "pid");
    assert_true(pid > 0);
    // the runner (our process) reaps what it started; poll for the group to go
    int64_t end = t_now_ms() + 5000;
    while (s_alive(pid) && t_now_ms() < end)
        usleep(20000);
    assert_false(s_alive(pid));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_start_without_ready_check(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    // exits 0 at once: started; exits 3: the build fails and stop still runs
    harness_t *h = t_build(dir, "\"steps\":["
        "{\"kind\":\"service\",\"name\":\"quick\",\"start\":" SH("echo > $D/quick")
        ",\"stop\":" SH("echo quick >> $D/stops") "},"
        "{\"kind\":\"service\",\"name\":\"broken\",\"start\":" SH("echo cannot-start; exit 3")
        ",\"stop\":" SH("echo broken >> $D/stops") "},"
        TASK("t", "echo SHOULD-NOT-RUN") "]");
    t_done(h, "failed");
    assert_true(harness_has_step(h, "succeeded quick:start"));
    assert_true(harness_has_step(h, "failed broken:start"));
    assert_non_null(strstr(h->log, "cannot-start"));
    assert_false(harness_has_step(h, "started t"));
    char *stops = t_read(dir, "stops");
    assert_string_equal(stops, "broken\nquick\n");
    free(stops);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_hung_stop_is_cut_short(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    int64_t t0 = t_now_ms();
    harness_t *h = t_build(dir, "\"steps\":["
        SVC("stuck", "true", "true", "echo stopping; sleep 313.73", ",\"stop_timeout_ms\":400") ","
        TASK("t", "echo ran") "]");
    t_done(h, "succeeded");     // a stop never changes the build's status
    assert_true(t_now_ms() - t0 < 10000);
    assert_true(harness_has_step(h, "failed stuck:stop"));
    assert_non_null(strstr(h->log, "stop timed out after 400ms"));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_service_refused_in_parallel(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"steps\":[{\"kind\":\"parallel\",\"name\":\"in_parallel\",\"steps\":["
        SVC("p", "true", "true", "true", "") "]}]");
    t_done(h, "failed");
    assert_non_null(strstr(h->log, "a service can only run in a job's plan"));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_service_secrets_substituted_and_masked(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    // a secret-backed override reaches the service's commands as its value,
    // and what the (long-running) start prints is masked like any step's
    harness_t *h = t_build(dir, "\"secrets\":{\"pw\":{\"type\":\"inline\",\"key\":\"password\","
        "\"cmd\":" SH("echo '{\\\"password\\\":\\\"s3cr3t-val\\\"}'") "}},\"steps\":["
        SVC("vault", "echo start-pw=$param_password; echo $param_password > $D/seen; exec sleep 313.74",
            "test -s $D/seen", "echo stop-pw=$param_password",
            ",\"env\":{\"param_password\":\"((pikoci_secret:pw))\"}") ","
        TASK("t", "echo task-ran") "]");
    t_done(h, "succeeded");
    assert_non_null(strstr(h->log, "start-pw=***"));
    assert_non_null(strstr(h->log, "stop-pw=***"));
    assert_null(strstr(h->log, "s3cr3t-val"));
    assert_null(strstr(h->log, "pikoci_secret"));
    char *seen = t_read(dir, "seen");
    assert_string_equal(seen, "s3cr3t-val\n");
    free(seen);
    harness_destroy(&h);
    t_rmdir(dir);
}

static int
s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void
test_real_redis_server(void **state)
{
    (void) state;
    if (system("command -v redis-server >/dev/null && command -v redis-cli >/dev/null") != 0) {
        fprintf(stderr, "SKIPPED: redis-server/redis-cli not installed (apt-get install redis-server)\n");
        skip();
    }
    char *dir = harness_tmpdir();
    int port = s_free_port();
    // the port as the service's $param_port (what a service override gives)
    // and, for the task, in the build's environment
    char json[2048];
    snprintf(json, sizeof json, "{\"env\":{\"D\":\"%s\",\"BUILD_NUMBER\":\"4\",\"PORT\":\"%d\"},"
        "\"steps\":[{\"kind\":\"service\",\"name\":\"redis\",\"env\":{\"param_port\":\"%d\"},"
        "\"start\":" SH("exec redis-server --port $param_port --bind 127.0.0.1 --save '' "
                        "--appendonly no --daemonize no")
        ",\"ready_check\":" SH("redis-cli -p $param_port ping | grep -q PONG")
        ",\"ready_interval_ms\":100,\"ready_timeout_ms\":20000"
        ",\"stop\":" SH("redis-cli -p $param_port shutdown nosave || true") "},"
        TASK("t", "redis-cli -p $PORT set greeting hello-from-redis-$BUILD_NUMBER && "
                  "echo got=$(redis-cli -p $PORT get greeting)")
        "]}", dir, port, port);
    harness_t *h = harness_start("build", json, true);
    t_done(h, "succeeded");
    assert_non_null(strstr(h->log, "got=hello-from-redis-4"));
    assert_true(harness_has_step(h, "succeeded redis:ready"));
    assert_true(harness_has_step(h, "succeeded redis:stop"));
    // shutdown stopped the server itself: nothing left to terminate
    assert_null(strstr(h->log, "still running after stop"));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d ping >/dev/null 2>&1", port);
    assert_int_not_equal(system(cmd), 0);
    harness_destroy(&h);
    t_rmdir(dir);
}

// --- notifications

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_seen_then_stopped),
        cmocka_unit_test(test_stop_after_failing_task),
        cmocka_unit_test(test_stop_after_cancel),
        cmocka_unit_test(test_stop_after_job_timeout),
        cmocka_unit_test(test_never_ready_fails_at_timeout),
        cmocka_unit_test(test_service_step_timeout),
        cmocka_unit_test(test_two_services_stop_in_reverse),
        cmocka_unit_test(test_long_running_start_is_terminated),
        cmocka_unit_test(test_daemon_left_behind_is_killed_with_the_group),
        cmocka_unit_test(test_start_without_ready_check),
        cmocka_unit_test(test_hung_stop_is_cut_short),
        cmocka_unit_test(test_service_refused_in_parallel),
        cmocka_unit_test(test_service_secrets_substituted_and_masked),
        cmocka_unit_test(test_real_redis_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
