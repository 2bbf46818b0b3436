// Re-adoption and loss, the scheduler's side: the real scheduler and broker
// with a real store (test_scheduler_util.c); the test plays the runner, the
// log sink (to see what the scheduler appends to logs) and control.
//   - after a restart, running builds wait PIKOCI_ADOPT_GRACE_MS for their
//     runner: a re-announce adopts them (EVENT build.adopted) and their
//     reports count; those nobody claims are errored when the grace ends,
//     with the reason appended to their logs;
//   - the broker asks workers to re-announce when a new scheduler appears;
//   - a worker lost mid-build: "worker W lost at step S", in the log too;
//   - a runner re-announcing a build that has ended gets CANCEL;
//   - a negative grace errors running builds at once, as before.
#include "test_scheduler_util.h"
#include "pk_value_msgpack.h"
#include <stdlib.h>
#include <string.h>

#define GRACE_MS 800

static tenv_t *s_live;
static zsock_t *s_sink;

static tenv_t *
s_start(const char *grace)
{
    setenv("PIKOCI_ADOPT_GRACE_MS", grace, 1);
    s_live = tenv_start(NULL);
    tset(s_live, TPIPELINE);
    s_sink = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(s_sink, "%s", s_live->endpoint), 0);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = "logsink";
    h.hello.role = "logsink";
    assert_int_equal(pk_msg_send(zsock_resolve(s_sink), &h), 0);
    tsync(s_live);
    return s_live;
}

static int
s_teardown(void **state)
{
    (void) state;
    zsock_destroy(&s_sink);
    if (s_live)
        tenv_stop(s_live, false);
    s_live = NULL;
    unsetenv("PIKOCI_ADOPT_GRACE_MS");
    return 0;
}

// Triggers job "fixed", takes its WORK and reports it started: its id.
static char *
s_running(tenv_t *e)
{
    tok(e, "trigger", NULL, "pipeline", "p", "job", "fixed", NULL);
    pk_msg_t m;
    if (!twork(e, &m, PK_MSG_WORK, 5000))
        fail_msg("no WORK");
    char *id = strdup(m.work.id);
    assert_int_equal(m.work.attempt, 1);
    pk_msg_clear(&m);
    treport(e, PK_MSG_STARTED, id, 1, NULL);
    treport(e, PK_MSG_STEP, id, 1, "started");
    return id;
}

// The next "append" the scheduler sends the log sink.
static bool
s_append(pk_msg_t *m, int ms)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        zsock_set_rcvtimeo(s_sink, (int) (end - zclock_mono()));
        zmsg_t *z = zmsg_recv(s_sink);
        if (!z)
            return false;
        int rc = pk_msg_from_zmsg(z, m, NULL, 0);
        zmsg_destroy(&z);
        if (rc == 0 && m->type == PK_MSG_SIGNAL && !strcmp(m->signal.what, "append"))
            return true;
        if (rc == 0)
            pk_msg_clear(m);
    }
    return false;
}

static void
s_expect_append(const char *id, const char *text)
{
    pk_msg_t m;
    if (!s_append(&m, 5000))
        fail_msg("nothing appended to the log of %s", id);
    assert_string_equal(pk_kv_get(&m.signal.args, "id"), id);
    assert_string_equal(pk_kv_get(&m.signal.args, "attempt"), "1");
    assert_string_equal(pk_kv_get(&m.signal.args, "text"), text);
    pk_msg_clear(&m);
}

static const char *
s_reason(tenv_t *e, const char *number)
{
    static char reason[256];
    pk_build_t b = tbuild(e, "fixed", number);
    snprintf(reason, sizeof reason, "%s", b.reason ? b.reason : "");
    pk_build_clear(&b);
    return reason;
}

// DONE errored as the broker sends it: no finished_ms.
static void
s_broker_done(tenv_t *e, const char *id, const char *reason)
{
    pk_msg_t m = { .type = PK_MSG_DONE };
    m.done.id = (char *) id;
    m.done.attempt = 1;
    m.done.status = "errored";
    m.done.reason = (char *) reason;
    assert_int_equal(pk_msg_send(zsock_resolve(e->runner), &m), 0);
    tsync(e);
    tsync(e);
}

static void
test_adopted_within_the_grace(void **state)
{
    (void) state;
    char grace[16];
    snprintf(grace, sizeof grace, "%d", GRACE_MS);
    tenv_t *e = s_start(grace);
    char *id1 = s_running(e), *id2 = s_running(e);
    int64_t t0 = zclock_mono();
    tenv_restart_scheduler(e);
    // a new scheduler: the broker asks its workers to announce themselves
    pk_msg_t m;
    assert_true(twork(e, &m, PK_MSG_DISCONNECT, 5000));
    pk_msg_clear(&m);
    // within the grace both are still running
    assert_string_equal(tstatus(e, "fixed", "1"), "started");
    assert_string_equal(tstatus(e, "fixed", "2"), "started");
    // the runner re-announces build 1 only
    treport(e, PK_MSG_STARTED, id1, 1, NULL);
    pk_value_t *ev = tevent(e, "build.adopted", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "number")), "1");
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "worker")), "fake");
    pk_value_destroy(&ev);
    // the grace ends: build 2 nobody holds is errored, with its log told
    WAIT_FOR(!strcmp(tstatus(e, "fixed", "2"), "errored"), 5000);
    assert_true(zclock_mono() - t0 >= GRACE_MS);
    const char *why = "the server restarted while the build ran and no worker holds it";
    assert_string_equal(s_reason(e, "2"), why);
    s_expect_append(id2, why);
    // build 1 goes on: its reports count
    assert_string_equal(tstatus(e, "fixed", "1"), "started");
    treport(e, PK_MSG_STEP, id1, 1, "succeeded");
    treport(e, PK_MSG_DONE, id1, 1, "succeeded");
    assert_string_equal(tstatus(e, "fixed", "1"), "succeeded");
    // the late runner of build 2 re-announces it: it is told to stop
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = "fake";
    r.ready.slots = 16;
    pk_strs_push(&r.ready.holding, "build:p/fixed/2:1");
    assert_int_equal(pk_msg_send(zsock_resolve(e->runner), &r), 0);
    r.ready.name = NULL;                // borrowed; the rest is ours
    pk_msg_clear(&r);
    treport(e, PK_MSG_STARTED, id2, 1, NULL);
    assert_true(twork(e, &m, PK_MSG_CANCEL, 5000));
    assert_string_equal(m.cancel.id, id2);
    assert_int_equal(m.cancel.attempt, 1);
    pk_msg_clear(&m);
    assert_string_equal(tstatus(e, "fixed", "2"), "errored");
    free(id1);
    free(id2);
}

static void
test_worker_lost_at_a_step(void **state)
{
    (void) state;
    tenv_t *e = s_start("60000");
    char *id = s_running(e);            // step "t" started
    s_broker_done(e, id, "worker fake lost");
    assert_string_equal(tstatus(e, "fixed", "1"), "errored");
    assert_string_equal(s_reason(e, "1"), "worker fake lost at step t");
    s_expect_append(id, "worker fake lost at step t");
    // late reports of the lost worker change nothing
    treport(e, PK_MSG_STEP, id, 1, "succeeded");
    treport(e, PK_MSG_DONE, id, 1, "succeeded");
    assert_string_equal(tstatus(e, "fixed", "1"), "errored");
    free(id);
    // lost before any step started
    tok(e, "trigger", NULL, "pipeline", "p", "job", "fixed", NULL);
    pk_msg_t m;
    assert_true(twork(e, &m, PK_MSG_WORK, 5000));
    id = strdup(m.work.id);
    pk_msg_clear(&m);
    s_broker_done(e, id, "worker fake lost");
    assert_string_equal(s_reason(e, "2"), "worker fake lost before its first step");
    s_expect_append(id, "worker fake lost before its first step");
    free(id);
    // a runner's own errored DONE is not the broker's: nothing appended
    id = s_running(e);
    treport(e, PK_MSG_DONE, id, 1, "errored");
    assert_string_equal(tstatus(e, "fixed", "3"), "errored");
    assert_false(s_append(&m, 300));
    free(id);
}

static void
test_no_grace(void **state)
{
    (void) state;
    tenv_t *e = s_start("-1");
    char *id = s_running(e);
    tenv_restart_scheduler(e);
    assert_string_equal(tstatus(e, "fixed", "1"), "errored");
    assert_string_equal(s_reason(e, "1"), "the server restarted while the build ran");
    free(id);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_adopted_within_the_grace, s_teardown),
        cmocka_unit_test_teardown(test_worker_lost_at_a_step, s_teardown),
        cmocka_unit_test_teardown(test_no_grace, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
