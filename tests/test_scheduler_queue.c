// test_scheduler_queue: what the scheduler dispatches and when -- job
// concurrency, serial groups (FIFO across jobs), pause/unpause of jobs and
// pipelines, pins, interruptible jobs, DRAIN/RUNNING, and recovery after a
// restart. The real scheduler and broker over inproc with a real store; a
// fake runner sees the WORK and CANCEL messages (test_scheduler_util.h).
// "Not dispatched" is read from the store after a round trip through the
// scheduler, never guessed from a quiet socket.
#include "test_scheduler_util.h"
#include "pk_value_msgpack.h"
#include <string.h>

static tenv_t *s_live;

static tenv_t *
s_start(void)
{
    s_live = tenv_start(NULL);
    tset(s_live, TPIPELINE);
    return s_live;
}

static void
s_stop(tenv_t *e)
{
    s_live = NULL;
    tenv_stop(e, false);
}

static const char *
s_trigger(tenv_t *e, const char *job)
{
    return tok(e, "trigger", "number", "pipeline", "p", "job", job, NULL);
}

// concurrency = 1: the second build waits for the first.
static void
test_concurrency(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tversion(e, "git.app", "r1", false);
    assert_string_equal(s_trigger(e, "one"), "1");
    tstart(e, "build:p/one/1", NULL);
    assert_string_equal(s_trigger(e, "one"), "2");
    tsync(e);
    assert_string_equal(tstatus(e, "one", "2"), "pending");
    assert_false(tdispatched(e, "one", "2"));
    zstr_send(e->scheduler, "RUNNING");
    char *running = zstr_recv(e->scheduler);
    assert_string_equal(running, "1");
    zstr_free(&running);
    treport(e, PK_MSG_DONE, "build:p/one/1", 1, "succeeded");
    tstart(e, "build:p/one/2", NULL);
    assert_true(tdispatched(e, "one", "2"));
    s_stop(e);
}

// Serial group g: a and b never run together, and an older b is not
// overtaken by a younger a while a's first build holds the group.
static void
test_serial_groups_fifo(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tversion(e, "git.lib", "l1", false);
    s_trigger(e, "a");
    tstart(e, "build:p/a/1", NULL);
    s_trigger(e, "b");
    s_trigger(e, "a");
    tsync(e);
    assert_false(tdispatched(e, "b", "1"));
    assert_false(tdispatched(e, "a", "2"));     // FIFO: b/1 is older
    treport(e, PK_MSG_DONE, "build:p/a/1", 1, "succeeded");
    tstart(e, "build:p/b/1", NULL);
    assert_false(tdispatched(e, "a", "2"));
    treport(e, PK_MSG_DONE, "build:p/b/1", 1, "failed");
    tstart(e, "build:p/a/2", NULL);
    s_stop(e);
}

// A paused job gets no builds from versions, refuses manual triggers, and
// after unpausing only versions found afterwards trigger. A paused pipeline
// holds its pending builds; flags survive pipeline.set.
static void
test_pause(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tok(e, "job.pause", NULL, "pipeline", "p", "job", "one", NULL);
    pk_value_t *ev = tevent(e, "job.paused", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "job")), "one");
    pk_value_destroy(&ev);
    tversion(e, "git.app", "while-paused", true);
    assert_int_equal(tcount(e, "one"), 0);
    treply_t r = top(e, "trigger", NULL, "pipeline", "p", "job", "one", NULL);
    assert_false(r.ok);
    assert_string_equal(r.error, "job \"one\" is paused");
    treply_clear(&r);
    tset(e, TPIPELINE);                         // the flag survives a set
    pk_job_rec_t jr;
    assert_int_equal(pk_builds_job_get(e->builds, NULL, "p", "one", &jr), 0);
    assert_true(jr.paused);
    pk_job_rec_clear(&jr);

    tok(e, "job.unpause", NULL, "pipeline", "p", "job", "one", NULL);
    tsync(e);
    assert_int_equal(tcount(e, "one"), 0);      // found while paused: skipped
    uint64_t v2 = tversion(e, "git.app", "after-unpause", true);
    tstart(e, "build:p/one/1", NULL);
    pk_build_t b = tbuild(e, "one", "1");
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), v2);
    pk_build_clear(&b);

    // the pipeline: running builds go on, new ones wait, then go
    tok(e, "pipeline.pause", NULL, "pipeline", "p", NULL);
    tset(e, TPIPELINE);
    pk_pipeline_rec_t pr;
    assert_int_equal(pk_builds_pipeline_get(e->builds, NULL, "p", &pr), 0);
    assert_true(pr.paused);
    pk_pipeline_rec_clear(&pr);
    r = top(e, "trigger", NULL, "pipeline", "p", "job", "a", NULL);
    assert_false(r.ok);
    assert_string_equal(r.error, "pipeline \"p\" is paused");
    treply_clear(&r);
    tversion(e, "git.app", "pipeline-paused", true);
    assert_int_equal(tcount(e, "one"), 1);
    treport(e, PK_MSG_DONE, "build:p/one/1", 1, "succeeded");
    assert_string_equal(tstatus(e, "one", "1"), "succeeded");
    tok(e, "pipeline.unpause", NULL, "pipeline", "p", NULL);
    ev = tevent(e, "pipeline.unpaused", 5000);
    assert_non_null(ev);
    pk_value_destroy(&ev);
    assert_int_equal(tcount(e, "one"), 1);
    tversion(e, "git.app", "pipeline-unpaused", true);
    tstart(e, "build:p/one/2", NULL);
    s_stop(e);
}

// A pending build made before a pipeline pause is held until unpause.
static void
test_pause_holds_pending(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tversion(e, "git.app", "r1", false);
    s_trigger(e, "one");
    tstart(e, "build:p/one/1", NULL);
    s_trigger(e, "one");                        // held by concurrency
    tok(e, "pipeline.pause", NULL, "pipeline", "p", NULL);
    treport(e, PK_MSG_DONE, "build:p/one/1", 1, "succeeded");
    assert_false(tdispatched(e, "one", "2"));   // free slot, but paused
    tok(e, "pipeline.unpause", NULL, "pipeline", "p", NULL);
    tstart(e, "build:p/one/2", NULL);
    s_stop(e);
}

// Pins: unknown versions refused; only the pinned version triggers and is
// got; queued builds with another version are cancelled; unpin resumes.
static void
test_pins(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    uint64_t v1 = tversion(e, "git.app", "r1", false);
    uint64_t v2 = tversion(e, "git.app", "r2", false);
    treply_t r = top(e, "pin", NULL, "pipeline", "p", "resource", "app", "version", "99", NULL);
    assert_false(r.ok);
    assert_non_null(strstr(r.error, "has no version 99"));
    treply_clear(&r);
    r = top(e, "pin", NULL, "pipeline", "p", "resource", "ap", "version", "1", NULL);
    assert_false(r.ok);
    assert_string_equal(r.error, "no resource \"ap\" in pipeline \"p\" (did you mean \"git.app\"?)");
    treply_clear(&r);

    // one/1 with v1 runs (concurrency 1), one/2 with v2 waits
    tok(e, "pipeline.pause", NULL, "pipeline", "p", NULL);
    tok(e, "pipeline.unpause", NULL, "pipeline", "p", NULL);    // baseline: v2
    s_trigger(e, "one");
    tstart(e, "build:p/one/1", NULL);
    s_trigger(e, "one");
    char v1s[24];
    snprintf(v1s, sizeof v1s, "%" PRIu64, v1);
    tok(e, "pin", NULL, "pipeline", "p", "resource", "app", "version", v1s, NULL);
    pk_value_t *ev = tevent(e, "resource.pinned", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "resource")), "git.app");
    pk_value_destroy(&ev);
    uint64_t pin = 0;
    assert_int_equal(pk_builds_pin_get(e->builds, NULL, "p", "git.app", &pin), 0);
    assert_int_equal(pin, v1);
    assert_string_equal(tstatus(e, "one", "2"), "cancelled");
    assert_string_equal(tstatus(e, "one", "1"), "started");     // dispatched: not touched
    pk_build_t b = tbuild(e, "one", "2");
    assert_non_null(strstr(b.reason, "pinned"));
    pk_build_clear(&b);

    uint64_t v3 = tversion(e, "git.app", "r3", true);   // not the pin: no build
    assert_int_equal(tcount(e, "one"), 2);
    treport(e, PK_MSG_DONE, "build:p/one/1", 1, "succeeded");
    s_trigger(e, "one");                        // manual: the pin
    tstart(e, "build:p/one/3", NULL);
    b = tbuild(e, "one", "3");
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), v1);
    pk_build_clear(&b);
    treport(e, PK_MSG_DONE, "build:p/one/3", 1, "succeeded");

    tok(e, "unpin", NULL, "pipeline", "p", "resource", "git.app", NULL);
    r = top(e, "unpin", NULL, "pipeline", "p", "resource", "git.app", NULL);
    assert_false(r.ok);                         // not pinned any more
    treply_clear(&r);
    tstart(e, "build:p/one/4", NULL);          // unpin resumes the newest version
    b = tbuild(e, "one", "4");
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), v3);
    pk_build_clear(&b);
    treport(e, PK_MSG_DONE, "build:p/one/4", 1, "succeeded");
    uint64_t v4 = tversion(e, "git.app", "r4", true);
    tstart(e, "build:p/one/5", NULL);
    b = tbuild(e, "one", "5");
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), v4);
    assert_true(v4 > v2);
    pk_build_clear(&b);
    s_stop(e);
}

// A new build of an interruptible job cancels the older ones: the running
// one gets a CANCEL and is cancelled; its late DONE changes nothing.
static void
test_interruptible(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tversion(e, "git.app", "r1", false);
    s_trigger(e, "intr");
    tstart(e, "build:p/intr/1", NULL);
    s_trigger(e, "intr");
    pk_msg_t m;
    assert_true(twork(e, &m, PK_MSG_CANCEL, 5000));
    assert_string_equal(m.cancel.id, "build:p/intr/1");
    assert_int_equal(m.cancel.attempt, 1);
    pk_msg_clear(&m);
    assert_string_equal(tstatus(e, "intr", "1"), "cancelled");
    tstart(e, "build:p/intr/2", NULL);
    treport(e, PK_MSG_DONE, "build:p/intr/1", 1, "succeeded");
    assert_string_equal(tstatus(e, "intr", "1"), "cancelled");
    s_stop(e);
}

// DRAIN: pending builds stay pending; RUNNING counts what runs.
static void
test_drain(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tversion(e, "git.app", "r1", false);
    tversion(e, "git.lib", "l1", false);
    s_trigger(e, "one");
    tstart(e, "build:p/one/1", NULL);
    zstr_send(e->scheduler, "DRAIN");
    char *ok = zstr_recv(e->scheduler);
    assert_string_equal(ok, "ok");
    zstr_free(&ok);
    s_trigger(e, "a");
    tsync(e);
    assert_false(tdispatched(e, "a", "1"));
    treport(e, PK_MSG_DONE, "build:p/one/1", 1, "succeeded");
    zstr_send(e->scheduler, "RUNNING");
    char *n = zstr_recv(e->scheduler);
    assert_string_equal(n, "0");
    zstr_free(&n);
    assert_string_equal(tstatus(e, "a", "1"), "pending");
    s_stop(e);
}

// A restart without an adoption grace (PIKOCI_ADOPT_GRACE_MS=-1; adoption
// is test_scheduler_adopt's): the running build is errored, the queued one
// dispatched, a version stored but never announced is built once, and a
// second restart builds nothing more. A stored pipeline that no longer
// decodes is skipped.
static int
s_bad_pipeline(pk_store_txn_t *txn, void *arg)
{
    pk_pipeline_rec_t rec = { .source = "job {", .version = 1 };
    return pk_builds_pipeline_put(arg, txn, "broken", &rec);
}

static void
test_restart(void **state)
{
    (void) state;
    setenv("PIKOCI_ADOPT_GRACE_MS", "-1", 1);
    tenv_t *e = s_start();
    tversion(e, "git.app", "r1", true);
    tstart(e, "build:p/one/1", NULL);
    s_trigger(e, "one");                        // queued behind it
    tok(e, "job.pause", NULL, "pipeline", "p", "job", "a", NULL);
    assert_int_equal(pk_store_write(e->store, s_bad_pipeline, e->builds), 0);
    zactor_destroy(&e->scheduler);
    uint64_t v2 = tversion(e, "git.app", "r2", false);   // the crash window

    tenv_restart_scheduler(e);
    pk_build_t b = tbuild(e, "one", "1");
    assert_string_equal(b.status, "errored");
    assert_string_equal(b.reason, "the server restarted while the build ran");
    pk_build_clear(&b);
    tstart(e, "build:p/one/2", NULL);
    treport(e, PK_MSG_DONE, "build:p/one/2", 1, "succeeded");
    tstart(e, "build:p/one/3", NULL);          // the version never announced
    b = tbuild(e, "one", "3");
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), v2);
    assert_string_equal(b.trigger, "version");
    pk_build_clear(&b);
    treport(e, PK_MSG_DONE, "build:p/one/3", 1, "succeeded");
    treply_t r = top(e, "trigger", NULL, "pipeline", "p", "job", "a", NULL);
    assert_false(r.ok);                         // still paused
    treply_clear(&r);
    r = top(e, "trigger", NULL, "pipeline", "broken", "job", "x", NULL);
    assert_false(r.ok);                         // skipped, not loaded
    treply_clear(&r);

    tenv_restart_scheduler(e);
    tsync(e);
    assert_int_equal(tcount(e, "one"), 3);      // nothing twice
    s_stop(e);
    unsetenv("PIKOCI_ADOPT_GRACE_MS");
}

static int
s_teardown(void **state)
{
    (void) state;
    if (s_live)
        s_stop(s_live);
    return 0;
}

int
main(void)
{
    zsys_handler_set(NULL);
    zsys_set_logstream(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_concurrency, s_teardown),
        cmocka_unit_test_teardown(test_serial_groups_fifo, s_teardown),
        cmocka_unit_test_teardown(test_pause, s_teardown),
        cmocka_unit_test_teardown(test_pause_holds_pending, s_teardown),
        cmocka_unit_test_teardown(test_pins, s_teardown),
        cmocka_unit_test_teardown(test_interruptible, s_teardown),
        cmocka_unit_test_teardown(test_drain, s_teardown),
        cmocka_unit_test_teardown(test_restart, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
