// test_scheduler_ops: control's commands to the scheduler and their replies
// -- approve/reject/cancel of gated builds, trigger inputs, retries,
// allow_failure (warning, and passed accepts it), cancel of a running build,
// build steps, pipeline.set/remove and the errors with "did you mean". The
// real scheduler and broker over inproc with a real store; the test plays
// control, a fake runner and the checker (test_scheduler_util.h).
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

static treply_t
s_trigger_with(tenv_t *e, const char *job, const char *inputs_json)
{
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "inputs", pk_value_from_json(inputs_json, strlen(inputs_json), NULL));
    treply_t r = top(e, "trigger", body, "pipeline", "p", "job", job, NULL);
    pk_value_destroy(&body);
    return r;
}

static void
s_refused(treply_t r, const char *error)
{
    if (r.ok)
        fail_msg("accepted, expected: %s", error);
    assert_string_equal(r.error, error);
    treply_clear(&r);
}

// approve "ship it" { approvals = 2 }: waiting until two votes, then run;
// reject fails with the message; cancel; a retry of an approved build
// skips the gate, one of a rejected build does not.
static void
test_approvals(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tversion(e, "git.app", "r1", false);
    treply_t r = top(e, "trigger", NULL, "pipeline", "p", "job", "gate", NULL);
    assert_true(r.ok);
    assert_string_equal(pk_value_string(pk_value_object_get(r.body, "number")), "1");
    assert_string_equal(pk_value_string(pk_value_object_get(r.body, "status")),
                        "waiting_for_approval");
    treply_clear(&r);
    pk_build_t b = tbuild(e, "gate", "1");
    assert_string_equal(b.status, "waiting_for_approval");
    assert_int_equal(b.approvals_needed, 2);
    assert_false(b.dispatched);
    pk_build_clear(&b);
    assert_string_equal(tok(e, "approve", "status", "pipeline", "p", "job", "gate", "number", "1",
                            NULL), "waiting_for_approval");
    assert_false(tdispatched(e, "gate", "1"));
    assert_string_equal(tok(e, "approve", "status", "pipeline", "p", "job", "gate", "number", "1",
                            NULL), "pending");
    tstart(e, "build:p/gate/1", NULL);
    s_refused(top(e, "approve", NULL, "pipeline", "p", "job", "gate", "number", "1", NULL),
              "build #1 of p/gate is not waiting for approval (it is started)");

    tok(e, "trigger", NULL, "pipeline", "p", "job", "gate", NULL);
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "message", pk_value_new_string("not today"));
    r = top(e, "reject", body, "pipeline", "p", "job", "gate", "number", "2", NULL);
    pk_value_destroy(&body);
    assert_true(r.ok);
    assert_string_equal(pk_value_string(pk_value_object_get(r.body, "status")), "failed");
    treply_clear(&r);
    b = tbuild(e, "gate", "2");
    assert_string_equal(b.status, "failed");
    assert_string_equal(b.reason, "rejected: not today");
    pk_build_clear(&b);

    tok(e, "trigger", NULL, "pipeline", "p", "job", "gate", NULL);
    assert_string_equal(tok(e, "cancel", "status", "pipeline", "p", "job", "gate", "number", "3",
                            NULL), "cancelled");
    assert_string_equal(tstatus(e, "gate", "3"), "cancelled");

    treport(e, PK_MSG_DONE, "build:p/gate/1", 1, "succeeded");
    assert_string_equal(tok(e, "retry", "number", "pipeline", "p", "job", "gate", "number", "1",
                            NULL), "1.1");
    tstart(e, "build:p/gate/1.1", NULL);
    b = tbuild(e, "gate", "1.1");
    assert_string_equal(b.trigger, "retry");
    assert_int_equal(b.approvals_needed, 2);    // the votes it skipped the gate with
    assert_int_equal(b.approvals, 2);
    pk_build_clear(&b);
    // a rejected build's retry waits for votes again; a reject needs a reason
    assert_string_equal(tok(e, "retry", "status", "pipeline", "p", "job", "gate", "number", "2",
                            NULL), "waiting_for_approval");
    s_refused(top(e, "reject", NULL, "pipeline", "p", "job", "gate", "number", "2.1", NULL),
              "a rejection needs a reason (--message)");
    s_stop(e);
}

// Inputs: validated, defaults filled in, stored, and seen as $INPUT_*.
static void
test_inputs(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    s_refused(s_trigger_with(e, "inp", "{\"evn\":\"staging\",\"count\":\"1\"}"),
              "job \"inp\" has no input \"evn\" (did you mean \"env\"?)");
    s_refused(s_trigger_with(e, "inp", "{\"env\":\"prod\",\"count\":\"1\"}"),
              "input \"env\" of job \"inp\" must be one of: staging, production (not \"prod\")");
    s_refused(s_trigger_with(e, "inp", "{\"env\":\"staging\"}"),
              "input \"count\" of job \"inp\" is required (it has no default)");
    s_refused(s_trigger_with(e, "inp", "{\"count\":\"many\"}"),
              "input \"count\" of job \"inp\" must be a number, not \"many\"");
    assert_int_equal(tcount(e, "inp"), 0);

    treply_t r = s_trigger_with(e, "inp", "{\"env\":\"production\",\"count\":\"3\"}");
    assert_true(r.ok);
    treply_clear(&r);
    pk_value_t *plan;
    tstart(e, "build:p/inp/1", &plan);
    const pk_value_t *env = pk_value_object_get(plan, "env");
    assert_string_equal(pk_value_string(pk_value_object_get(env, "INPUT_ENV")), "production");
    assert_string_equal(pk_value_string(pk_value_object_get(env, "INPUT_COUNT")), "3");
    pk_value_destroy(&plan);
    r = s_trigger_with(e, "inp", "{\"count\":\"7\"}");
    assert_true(r.ok);
    treply_clear(&r);
    tstart(e, "build:p/inp/2", &plan);
    env = pk_value_object_get(plan, "env");
    assert_string_equal(pk_value_string(pk_value_object_get(env, "INPUT_ENV")), "staging");
    pk_value_destroy(&plan);
    pk_build_t b = tbuild(e, "inp", "2");
    pk_value_t *stored = pk_value_unpack(b.inputs, b.inputs_size);
    assert_string_equal(pk_value_string(pk_value_object_get(stored, "count")), "7");
    assert_string_equal(pk_value_string(pk_value_object_get(stored, "env")), "staging");
    pk_value_destroy(&stored);
    pk_build_clear(&b);

    // a retry keeps the inputs
    treport(e, PK_MSG_DONE, "build:p/inp/1", 1, "failed");
    assert_string_equal(tok(e, "retry", "number", "pipeline", "p", "job", "inp", "number", "1",
                            NULL), "1.1");
    tstart(e, "build:p/inp/1.1", &plan);
    env = pk_value_object_get(plan, "env");
    assert_string_equal(pk_value_string(pk_value_object_get(env, "INPUT_ENV")), "production");
    assert_string_equal(pk_value_string(pk_value_object_get(env, "BUILD_NUMBER")), "1.1");
    pk_value_destroy(&plan);
    s_stop(e);
}

// allow_failure: a failed build is a warning, and what passed it (with a
// warning) triggers downstream. Retries: N.M with the same versions,
// refused while running and with disable_retry.
static void
test_warning_and_retry(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    uint64_t v1 = tversion(e, "git.lib", "l1", false);
    tok(e, "trigger", NULL, "pipeline", "p", "job", "soft", NULL);
    tstart(e, "build:p/soft/1", NULL);
    s_refused(top(e, "retry", NULL, "pipeline", "p", "job", "soft", "number", "1", NULL),
              "build #1 of p/soft has not finished yet (it is started)");
    treport(e, PK_MSG_STEP, "build:p/soft/1", 1, "failed");
    treport(e, PK_MSG_DONE, "build:p/soft/1", 1, "failed");
    assert_string_equal(tstatus(e, "soft", "1"), "warning");
    pk_value_t *ev = tevent(e, "build.warning", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "number")), "1");
    pk_value_destroy(&ev);
    tstart(e, "build:p/after/1", NULL);
    pk_build_t b = tbuild(e, "after", "1");
    assert_string_equal(b.trigger, "passed");
    assert_int_equal(pk_idmap_get(&b.versions, "git.lib"), v1);
    pk_build_clear(&b);

    // steps were kept; a step after the end is not
    pk_build_step_t *steps;
    size_t n;
    assert_int_equal(pk_builds_steps_list(e->builds, NULL, "p", "soft", 1, 0, &steps, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(steps[0].status, "failed");
    assert_string_equal(steps[0].name, "t");
    assert_int_equal(steps[0].exit_code, 1);
    pk_build_steps_free(&steps, n);
    treport(e, PK_MSG_STEP, "build:p/soft/1", 1, "succeeded");
    assert_int_equal(pk_builds_steps_list(e->builds, NULL, "p", "soft", 1, 0, &steps, &n), 0);
    assert_string_equal(steps[0].status, "failed");
    pk_build_steps_free(&steps, n);

    tversion(e, "git.lib", "l2", false);
    assert_string_equal(tok(e, "retry", "number", "pipeline", "p", "job", "soft", "number", "1",
                            NULL), "1.1");
    tstart(e, "build:p/soft/1.1", NULL);
    b = tbuild(e, "soft", "1.1");
    assert_int_equal(pk_idmap_get(&b.versions, "git.lib"), v1);     // the original's
    assert_string_equal(b.trigger, "retry");
    pk_build_clear(&b);
    treport(e, PK_MSG_DONE, "build:p/soft/1.1", 1, "succeeded");
    assert_string_equal(tok(e, "retry", "number", "pipeline", "p", "job", "soft", "number", "1",
                            NULL), "1.2");
    tstart(e, "build:p/soft/1.2", NULL);

    tok(e, "trigger", NULL, "pipeline", "p", "job", "fixed", NULL);
    tstart(e, "build:p/fixed/1", NULL);
    treport(e, PK_MSG_DONE, "build:p/fixed/1", 1, "failed");
    assert_string_equal(tstatus(e, "fixed", "1"), "failed");   // no allow_failure
    s_refused(top(e, "retry", NULL, "pipeline", "p", "job", "fixed", "number", "1", NULL),
              "job \"fixed\" does not allow retries (disable_retry)");
    s_stop(e);
}

// Cancel of a running build: cancelled at once, CANCEL to its runner, its
// late reports fenced; cancel of a finished build refused.
static void
test_cancel_running(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    tok(e, "trigger", NULL, "pipeline", "p", "job", "fixed", NULL);
    tstart(e, "build:p/fixed/1", NULL);
    assert_string_equal(tok(e, "cancel", "status", "pipeline", "p", "job", "fixed", "number", "1",
                            NULL), "cancelled");
    pk_msg_t m;
    assert_true(twork(e, &m, PK_MSG_CANCEL, 5000));
    assert_string_equal(m.cancel.id, "build:p/fixed/1");
    pk_msg_clear(&m);
    pk_value_t *ev = tevent(e, "build.cancelled", 5000);
    assert_non_null(ev);
    pk_value_destroy(&ev);
    treport(e, PK_MSG_DONE, "build:p/fixed/1", 1, "succeeded");
    assert_string_equal(tstatus(e, "fixed", "1"), "cancelled");
    s_refused(top(e, "cancel", NULL, "pipeline", "p", "job", "fixed", "number", "1", NULL),
              "build #1 of p/fixed has already finished (cancelled)");
    s_refused(top(e, "cancel", NULL, "pipeline", "p", "job", "fixed", "number", "7", NULL),
              "no build #7 of job \"fixed\" in pipeline \"p\"");
    s_refused(top(e, "cancel", NULL, "pipeline", "p", "job", "fixed", "number", "1.x", NULL),
              "\"1.x\" is not a build number (N or N.M)");
    s_stop(e);
}

// Names and pipelines: did-you-mean, invalid sets change nothing, removal
// takes everything and tells the checker.
static void
test_pipelines_and_names(void **state)
{
    (void) state;
    tenv_t *e = s_start();
    s_refused(top(e, "trigger", NULL, "pipeline", "p", "job", "fxed", NULL),
              "no job \"fxed\" in pipeline \"p\" (did you mean \"fixed\"?)");
    s_refused(top(e, "trigger", NULL, "pipeline", "q", "job", "fixed", NULL),
              "no pipeline \"q\" (did you mean \"p\"?)");
    s_refused(top(e, "frobnicate", NULL, NULL), "the scheduler has no command \"frobnicate\"");

    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string("job \"x\" {\n  tsk \"y\" {\n  }\n}\n"));
    treply_t r = top(e, "pipeline.set", body, "pipeline", "p", NULL);
    pk_value_destroy(&body);
    assert_false(r.ok);
    assert_string_equal(r.error, "pipeline \"p\" is not valid");
    const pk_value_t *errors = pk_value_object_get(r.body, "errors");
    assert_true(pk_value_len(errors) >= 1);
    assert_non_null(strstr(pk_value_string(pk_value_list_at(errors, 0)), "p.hcl:2:"));
    treply_clear(&r);
    pk_pipeline_rec_t pr;
    assert_int_equal(pk_builds_pipeline_get(e->builds, NULL, "p", &pr), 0);
    assert_int_equal(pr.version, 1);
    pk_pipeline_rec_clear(&pr);

    tversion(e, "git.app", "r1", false);
    tok(e, "pin", NULL, "pipeline", "p", "resource", "git.app", "version", "1", NULL);
    tok(e, "trigger", NULL, "pipeline", "p", "job", "one", NULL);
    tstart(e, "build:p/one/1", NULL);
    tok(e, "pipeline.remove", NULL, "pipeline", "p", NULL);
    pk_msg_t m;
    assert_true(twork(e, &m, PK_MSG_CANCEL, 5000));     // its running build is stopped
    assert_string_equal(m.cancel.id, "build:p/one/1");
    pk_msg_clear(&m);
    // the checker is told to forget it
    bool told = false;
    int64_t end = zclock_mono() + 5000;
    while (!told && zclock_mono() < end) {
        zsock_set_rcvtimeo(e->checker, 100);
        zmsg_t *z = zmsg_recv(e->checker);
        if (!z)
            continue;
        if (pk_msg_from_zmsg(z, &m, NULL, 0) == 0) {
            told = m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "pipeline.remove")
                && !strcmp(pk_kv_get(&m.signal.args, "pipeline"), "p");
            pk_msg_clear(&m);
        }
        zmsg_destroy(&z);
    }
    assert_true(told);
    assert_int_equal(pk_builds_pipeline_get(e->builds, NULL, "p", &pr), PK_STORE_NOTFOUND);
    assert_int_equal(tcount(e, "one"), 0);
    uint64_t pin;
    assert_int_equal(pk_builds_pin_get(e->builds, NULL, "p", "git.app", &pin), PK_STORE_NOTFOUND);
    s_refused(top(e, "trigger", NULL, "pipeline", "p", "job", "one", NULL), "no pipeline \"p\"");
    treport(e, PK_MSG_DONE, "build:p/one/1", 1, "cancelled");   // late: harmless
    tset(e, TPIPELINE);                         // back, from 1 again
    tok(e, "trigger", NULL, "pipeline", "p", "job", "fixed", NULL);
    tstart(e, "build:p/fixed/1@2", NULL);  // its second life: ids of its own
    s_stop(e);
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
        cmocka_unit_test_teardown(test_approvals, s_teardown),
        cmocka_unit_test_teardown(test_inputs, s_teardown),
        cmocka_unit_test_teardown(test_warning_and_retry, s_teardown),
        cmocka_unit_test_teardown(test_cancel_running, s_teardown),
        cmocka_unit_test_teardown(test_pipelines_and_names, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
