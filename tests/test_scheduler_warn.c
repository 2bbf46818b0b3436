// test_scheduler_warn: issue #18's two scheduler commands -- build.warning
// (a failed build marked as warning: passed downstream accepts it and the
// job behind it builds; refused for builds that did not fail or never ran)
// and trigger with versions {resource: id} (ids as numbers, as the web
// face's JSON sends them, or as text, as the CLI does; unknown resources,
// versions and ids refused; a pin and a passed constraint still hold). The
// real scheduler and broker over inproc with a real store; the test plays
// control, a fake runner and the checker (test_scheduler_util.h).
#include "test_scheduler_util.h"
#include "pk_value_msgpack.h"
#include <string.h>

static const char *s_pipeline =
    "resource \"git\" \"lib\" {\n"
    "  params {\n    url = \"file:///nonexistent/lib.git\"\n  }\n"
    "  check_interval = \"@every 1h\"\n"
    "}\n"
    "job \"up\" {\n"
    "  get \"git\" \"lib\" {\n    trigger = true\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"down\" {\n"
    "  get \"git\" \"lib\" {\n    trigger = true\n    passed = [\"up\"]\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"gate\" {\n"
    "  approve \"ship it\" {\n    approvals = 1\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"plain\" {\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n";

static tenv_t *s_live;

static int
s_teardown(void **state)
{
    (void) state;
    if (s_live)
        tenv_stop(s_live, false);
    s_live = NULL;
    return 0;
}

// trigger job with body {"versions": <json>}
static treply_t
s_trigger(tenv_t *e, const char *job, const char *versions_json)
{
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "versions", pk_value_from_json(versions_json,
                                                             strlen(versions_json), NULL));
    treply_t r = top(e, "trigger", body, "pipeline", "p", "job", job, NULL);
    pk_value_destroy(&body);
    return r;
}

static void
s_refused(treply_t r, const char *error)
{
    if (r.ok)
        fail_msg("accepted, expected: %s", error);
    if (!strstr(r.error, error))
        fail_msg("refused with \"%s\", expected \"%s\"", r.error, error);
    treply_clear(&r);
}

static treply_t
s_warn(tenv_t *e, const char *job, const char *number)
{
    return top(e, "build.warning", NULL, "pipeline", "p", "job", job, "number", number,
               "user", "alice", NULL);
}

static void
test_warning(void **state)
{
    (void) state;
    tenv_t *e = s_live = tenv_start(NULL);
    tset(e, s_pipeline);
    uint64_t v1 = tversion(e, "git.lib", "l1", false);
    tok(e, "trigger", NULL, "pipeline", "p", "job", "up", NULL);
    tstart(e, "build:p/up/1", NULL);
    s_refused(s_warn(e, "up", "1"), "build #1 of p/up is started: only a failed build");
    treport(e, PK_MSG_DONE, "build:p/up/1", 1, "failed");
    assert_string_equal(tstatus(e, "up", "1"), "failed");
    tsync(e);
    assert_int_equal(tcount(e, "down"), 0);         // a failure passes nothing

    treply_t r = s_warn(e, "up", "1");
    assert_true(r.ok);
    assert_string_equal(pk_value_string(pk_value_object_get(r.body, "status")), "warning");
    treply_clear(&r);
    pk_build_t b = tbuild(e, "up", "1");
    assert_string_equal(b.status, "warning");
    assert_non_null(strstr(b.reason, "marked as warning by alice"));
    pk_build_clear(&b);
    pk_value_t *ev = tevent(e, "build.warning", 5000);
    assert_non_null(ev);
    pk_value_destroy(&ev);
    tstart(e, "build:p/down/1", NULL);             // passed takes the warned build
    b = tbuild(e, "down", "1");
    assert_string_equal(b.trigger, "passed");
    assert_int_equal(pk_idmap_get(&b.versions, "git.lib"), v1);
    pk_build_clear(&b);
    s_refused(s_warn(e, "up", "1"), "build #1 of p/up is warning: only a failed build");
    s_refused(s_warn(e, "up", "7"), "no build #7 of job \"up\"");

    // a rejected build failed without running: it cannot pass anything
    tok(e, "trigger", NULL, "pipeline", "p", "job", "gate", NULL);
    pk_value_t *msg = pk_value_new_object();
    pk_value_object_set(msg, "message", pk_value_new_string("no"));
    r = top(e, "reject", msg, "pipeline", "p", "job", "gate", "number", "1", NULL);
    pk_value_destroy(&msg);
    assert_true(r.ok);
    treply_clear(&r);
    assert_string_equal(tstatus(e, "gate", "1"), "failed");
    s_refused(s_warn(e, "gate", "1"), "never ran");
    assert_string_equal(tstatus(e, "gate", "1"), "failed");
}

static void
test_trigger_versions(void **state)
{
    (void) state;
    tenv_t *e = s_live = tenv_start(NULL);
    tset(e, s_pipeline);
    uint64_t v1 = tversion(e, "git.lib", "l1", false);
    uint64_t v2 = tversion(e, "git.lib", "l2", false);
    char json[128];

    // a number (the web face's JSON), then text by the canonical name (the CLI)
    snprintf(json, sizeof json, "{\"lib\": %llu}", (unsigned long long) v1);
    treply_t r = s_trigger(e, "up", json);
    assert_true(r.ok);
    treply_clear(&r);
    tstart(e, "build:p/up/1", NULL);
    pk_build_t b = tbuild(e, "up", "1");
    assert_int_equal(pk_idmap_get(&b.versions, "git.lib"), v1);
    assert_string_equal(b.trigger, "manual");
    pk_build_clear(&b);
    snprintf(json, sizeof json, "{\"git.lib\": \"%llu\"}", (unsigned long long) v2);
    r = s_trigger(e, "up", json);
    assert_true(r.ok);
    treply_clear(&r);
    tstart(e, "build:p/up/2", NULL);
    b = tbuild(e, "up", "2");
    assert_int_equal(pk_idmap_get(&b.versions, "git.lib"), v2);
    pk_build_clear(&b);
    treport(e, PK_MSG_DONE, "build:p/up/2", 1, "succeeded");
    tstart(e, "build:p/down/1", NULL);             // v2 passed up
    treport(e, PK_MSG_DONE, "build:p/down/1", 1, "succeeded");
    treport(e, PK_MSG_DONE, "build:p/up/1", 1, "failed");

    // what is refused
    s_refused(s_trigger(e, "up", "{\"nope\": 1}"), "no resource \"nope\" in pipeline \"p\"");
    s_refused(s_trigger(e, "up", "{\"lib\": 99}"),
              "resource \"git.lib\" of pipeline \"p\" has no version 99");
    s_refused(s_trigger(e, "up", "{\"lib\": 1.5}"), "\"1.5\" is not a version id of \"git.lib\"");
    s_refused(s_trigger(e, "up", "{\"lib\": \"x\"}"), "\"x\" is not a version id");
    s_refused(s_trigger(e, "up", "{\"lib\": 0}"), "is not a version id");
    s_refused(s_trigger(e, "up", "[1]"), "versions must be an object {resource: version id}");
    s_refused(s_trigger(e, "plain", "{\"lib\": 1}"), "job \"plain\" does not get resource "
              "\"git.lib\"");
    // passed: v1 failed up, v2 passed it
    snprintf(json, sizeof json, "{\"lib\": %llu}", (unsigned long long) v1);
    s_refused(s_trigger(e, "down", json), "job \"down\" cannot run so: version 1 of \"git.lib\" "
              "has not passed \"up\"");
    snprintf(json, sizeof json, "{\"lib\": %llu}", (unsigned long long) v2);
    r = s_trigger(e, "down", json);
    assert_true(r.ok);
    treply_clear(&r);
    tstart(e, "build:p/down/2", NULL);
    // a pin holds against another version, not against itself
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long) v1);
    tok(e, "pin", NULL, "pipeline", "p", "resource", "lib", "version", id, NULL);
    snprintf(json, sizeof json, "{\"lib\": %llu}", (unsigned long long) v2);
    s_refused(s_trigger(e, "up", json), "resource \"git.lib\" is pinned to version 1");
    snprintf(json, sizeof json, "{\"lib\": %llu}", (unsigned long long) v1);
    r = s_trigger(e, "up", json);
    assert_true(r.ok);
    treply_clear(&r);
    tstart(e, "build:p/up/3", NULL);
    assert_int_equal(tcount(e, "up"), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_warning, s_teardown),
        cmocka_unit_test_teardown(test_trigger_versions, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
