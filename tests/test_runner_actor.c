// The runner actor over real ZeroMQ sockets: the test plays the broker
// (a ROUTER on inproc and on tcp loopback) and checks READY, heartbeats,
// WORK -> STARTED/STEP/LOG/DONE, CANCEL, CREDIT, slot limits, malformed
// frames, and the docker runner against a recording `docker` on PATH (there
// is no Docker engine here).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "pk_runner.h"
#include "pk_msg.h"
#include "test_work_root.h"
#include "fake_broker.h"

static void
s_start(fake_broker_t *f, const char *bind, uint32_t slots)
{
    pk_runner_config_t cfg = { .name = "w1", .slots = slots, .tags = "linux,gpu",
                               .work_root = test_work_root() };
    pk_msg_t m;
    fake_broker_start(f, bind, cfg, &m);
    assert_string_equal(m.ready.name, "w1");
    assert_int_equal(m.ready.slots, slots);
    assert_int_equal(m.ready.tags.count, 2);
    assert_string_equal(m.ready.tags.items[1], "gpu");
    pk_msg_clear(&m);
}

static void
test_work_over_inproc_and_tcp(void **state)
{
    (void) state;
    const char *binds[] = { "inproc://pk-test-runner", "tcp://127.0.0.1:*" };
    for (size_t i = 0; i < 2; i++) {
        fake_broker_t f;
        s_start(&f, binds[i], 2);
        fake_broker_work(&f, "build:p/j/1", "build", "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\","
               "\"cmd\":{\"runner\":{\"name\":\"exec\"},\"params\":{\"path\":\"/bin/echo\",\"args\":[\"hello\"]}}}]}");
        char status[32];
        char *log = fake_broker_until_done(&f, "build:p/j/1", status, sizeof status);
        assert_string_equal(status, "succeeded");
        assert_string_equal(log, "hello\n");
        free(log);
        fake_broker_stop(&f);
    }
}

static void
test_heartbeat_and_slots(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-runner-hb", 1);
    pk_msg_t m;
    assert_true(fake_broker_recv(&f, &m, 3000, true));
    assert_int_equal(m.type, PK_MSG_HEARTBEAT);
    assert_int_equal(m.heartbeat.slots_free, 1);
    pk_msg_clear(&m);
    // one slot: the second WORK is refused while the first runs
    fake_broker_work(&f, "build:p/j/1", "build", "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\","
           "\"cmd\":{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":\"sleep 30\"}}}]}");
    fake_broker_work(&f, "build:p/j/2", "build", "{\"steps\":[]}");
    char status[32];
    char *log = fake_broker_until_done(&f, "build:p/j/2", status, sizeof status);
    assert_string_equal(status, "errored");
    free(log);
    // cancel the first
    pk_msg_t c = { .type = PK_MSG_CANCEL };
    c.cancel.id = "build:p/j/1";
    c.cancel.attempt = 1;
    c.cancel.reason = "cancelled by test";
    fake_broker_send(&f, &c);
    log = fake_broker_until_done(&f, "build:p/j/1", status, sizeof status);
    assert_string_equal(status, "cancelled");
    free(log);
    fake_broker_stop(&f);
}

static void
test_malformed_frames_dropped(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-runner-bad", 1);
    // garbage of every shape, then a real job: the runner must still work
    zmsg_t *z = zmsg_new();
    zmsg_addmem(z, zframe_data(f.peer), zframe_size(f.peer));
    zmsg_addstr(z, "WORK");
    zmsg_addmem(z, "\xdd\xff\xff\xff\xff", 5);
    zmsg_send(&z, f.router);
    z = zmsg_new();
    zmsg_addmem(z, zframe_data(f.peer), zframe_size(f.peer));
    zmsg_addstr(z, "NONSENSE");
    zmsg_send(&z, f.router);
    fake_broker_work(&f, "build:p/j/9", "build", "{\"steps\":[]}");
    char status[32];
    char *log = fake_broker_until_done(&f, "build:p/j/9", status, sizeof status);
    assert_string_equal(status, "succeeded");
    free(log);
    fake_broker_stop(&f);
}

// A recording docker: writes its argv, one per line, to $DOCKER_LOG, then
// behaves like `docker run` of `sh -ec CMD` (runs the last argument) or
// succeeds for `docker kill`.
static char *
s_fake_docker(void)
{
    char tmpl[] = "/tmp/pikoci-docker-XXXXXX";
    char *dir = strdup(mkdtemp(tmpl));
    char path[512];
    snprintf(path, sizeof path, "%s/docker", dir);
    FILE *fp = fopen(path, "w");
    fprintf(fp, "#!/bin/sh\n"
                "for a in \"$@\"; do printf '%%s\\n' \"$a\"; done >> \"$DOCKER_LOG\"\n"
                "echo --- >> \"$DOCKER_LOG\"\n"
                "[ \"$1\" = run ] || exit 0\n"
                "shift\n"
                "while [ $# -gt 0 ]; do\n"       // skip docker's own flags up to the image
                "  case \"$1\" in\n"
                "    --rm|--init) shift ;;\n"
                "    --name|-v|-w|-e|--network) shift 2 ;;\n"
                "    *) break ;;\n"
                "  esac\n"
                "done\n"
                "shift\n"                          // the image
                "exec \"$@\"\n");
    fclose(fp);
    chmod(path, 0755);
    return dir;
}

// A runner stopped in the middle of a build that has logged stops at once:
// its build cannot wait for the sink's credit (the runner's own loop is what
// would receive it, and it is gone), so it must not sit out the log's settle
// time (RUNNER_LOG_SETTLE_MS, a minute) -- a server or worker asked to stop
// during a build hung that long.
static void
test_stop_during_build(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-runner-stop", 1);
    fake_broker_work(&f, "build:p/j/9", "build", "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\","
           "\"cmd\":{\"runner\":{\"name\":\"exec\"},\"params\":{\"path\":\"/bin/sh\","
           "\"args\":[\"-c\",\"echo started; exec sleep 600\"]}}}]}");
    pk_msg_t m;
    bool logged = false;
    while (!logged && fake_broker_recv(&f, &m, 10000, false)) {
        logged = m.type == PK_MSG_LOG;           // no credit: as if the sink were slow
        pk_msg_clear(&m);
    }
    assert_true(logged);
    int64_t t0 = zclock_mono();
    fake_broker_stop(&f);
    int64_t took = zclock_mono() - t0;
    if (took > 20000)
        fail_msg("the runner took %lld ms to stop", (long long) took);
}

static void
test_docker_runner_recorded(void **state)
{
    (void) state;
    char *dir = s_fake_docker();
    char logpath[600], path_env[4096];
    snprintf(logpath, sizeof logpath, "%s/calls", dir);
    setenv("DOCKER_LOG", logpath, 1);
    snprintf(path_env, sizeof path_env, "%s:%s", dir, getenv("PATH"));
    setenv("PATH", path_env, 1);
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-runner-docker", 1);
    fake_broker_work(&f, "build:p/j/3", "build", "{\"env\":{\"BUILD_NUMBER\":\"3\"},\"steps\":[{\"kind\":\"task\",\"name\":\"d\","
           "\"cmd\":{\"runner\":{\"name\":\"docker\"},\"params\":{\"image\":\"alpine:3\",\"cmd\":\"echo in-container\",\"args\":[\"--network\",\"none\"]}}}]}");
    char status[32];
    char *log = fake_broker_until_done(&f, "build:p/j/3", status, sizeof status);
    assert_string_equal(status, "succeeded");
    assert_string_equal(log, "in-container\n");
    free(log);
    FILE *fp = fopen(logpath, "r");
    char calls[8192] = "";
    size_t n = fread(calls, 1, sizeof calls - 1, fp);
    calls[n] = 0;
    fclose(fp);
    assert_non_null(strstr(calls, "run\n--rm\n--name\npikoci-build-p-j-3-1-0\n--init\n-v\n"));
    assert_non_null(strstr(calls, ":/workdir\n-w\n/workdir\n"));
    assert_non_null(strstr(calls, "-e\nBUILD_NUMBER=3\n"));
    assert_non_null(strstr(calls, "--network\nnone\nalpine:3\n/bin/sh\n-ec\n"));

    // an exec command routed through docker (a type-level runner override):
    // path and args run in the container as they are
    remove(logpath);
    fake_broker_work(&f, "build:p/j/5", "build", "{\"steps\":[{\"kind\":\"task\",\"name\":\"x\","
           "\"cmd\":{\"runner\":{\"name\":\"docker\"},\"params\":{\"image\":\"alpine/git\","
           "\"path\":\"/bin/echo\",\"args\":[\"exec-in-docker\"]}}}]}");
    log = fake_broker_until_done(&f, "build:p/j/5", status, sizeof status);
    assert_string_equal(status, "succeeded");
    free(log);
    fp = fopen(logpath, "r");
    n = fread(calls, 1, sizeof calls - 1, fp);
    calls[n] = 0;
    fclose(fp);
    assert_non_null(strstr(calls, "alpine/git\n/bin/echo\nexec-in-docker\n---\n"));

    // cancel: `docker kill NAME` is called, not only a signal to the CLI
    remove(logpath);
    fake_broker_work(&f, "build:p/j/4", "build", "{\"steps\":[{\"kind\":\"task\",\"name\":\"d\","
           "\"cmd\":{\"runner\":{\"name\":\"docker\"},\"params\":{\"image\":\"alpine:3\",\"cmd\":\"echo up; sleep 30\"}}}]}");
    pk_msg_t m;
    do {
        assert_true(fake_broker_recv(&f, &m, 10000, false));
        bool up = m.type == PK_MSG_LOG;
        if (up) {
            // stored, as a sink would say: a log never confirmed errors the build
            pk_msg_t cr = { .type = PK_MSG_CREDIT };
            cr.credit.id = "build:p/j/4";
            cr.credit.attempt = 1;
            cr.credit.credits = 1;
            fake_broker_send(&f, &cr);
        }
        pk_msg_clear(&m);
        if (up)
            break;
    } while (1);
    pk_msg_t c = { .type = PK_MSG_CANCEL };
    c.cancel.id = "build:p/j/4";
    c.cancel.attempt = 1;
    fake_broker_send(&f, &c);
    log = fake_broker_until_done(&f, "build:p/j/4", status, sizeof status);
    assert_string_equal(status, "cancelled");
    free(log);
    fp = fopen(logpath, "r");
    n = fread(calls, 1, sizeof calls - 1, fp);
    calls[n] = 0;
    fclose(fp);
    assert_non_null(strstr(calls, "kill\npikoci-build-p-j-4-1-0\n"));
    fake_broker_stop(&f);
    snprintf(path_env, sizeof path_env, "rm -rf %s", dir);
    assert_int_equal(system(path_env), 0);
    free(dir);
}

int
main(void)
{
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_work_over_inproc_and_tcp),
        cmocka_unit_test(test_heartbeat_and_slots),
        cmocka_unit_test(test_malformed_frames_dropped),
        cmocka_unit_test(test_stop_during_build),
        cmocka_unit_test(test_docker_runner_recorded),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
