// Notifications in the runner's executor: automatic dispatch after the job
// hooks filtered by `on` (success, failure, cancel, all) with
// $notify_build_status and the message interpolated at build time; a failed
// or impossible dispatch that leaves the build's status alone; notify steps
// and notify hooks interpolated too. And the resolver from HCL: service
// params, notification jobs/exclude filters, a service refused in
// in_parallel with file:line:col.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services_util.h"
#include "pk_resolve.h"
#include "test_pipeline_util.h"

#define NOTE(name, on, message) \
    "{\"kind\":\"notify\",\"name\":\"" name "\",\"on\":" on ",\"cmd\":" \
    SH("echo \\\"" name "|$notify_build_status|$param_channel|$NOTIFY_MESSAGE\\\" >> $D/notes") \
    ",\"env\":{\"param_channel\":\"#ci\",\"NOTIFY_MESSAGE\":\"" message "\"}}"

static void
s_notes_case(const char *task_script_json, const char *status, const char *want)
{
    char *dir = harness_tmpdir();
    char rest[4096];
    snprintf(rest, sizeof rest, "\"steps\":[%s],"
        "\"hooks\":{\"ensure\":[" TASK("je", "echo hooks-first >> $D/notes") "]},"
        "\"notifications\":["
        NOTE("chat.ok", "[\"success\"]", "build $BUILD_NUMBER of ${BUILD_JOB_NAME}: $BUILD_STATUS ref=$TASK_T_REF costs $5 $NOPE") ","
        NOTE("chat.bad", "[\"failure\",\"cancel\"]", "broken\\\\nsecond line") ","
        NOTE("chat.all", "[\"all\"]", "any") "]", task_script_json);
    harness_t *h = t_build(dir, rest);
    if (!strcmp(status, "cancelled")) {
        assert_true(harness_wait_text(h, "task-running", 30000));
        runner_build_cancel(h->build, "stop it");
    }
    t_done(h, status);
    char *notes = t_read(dir, "notes");
    if (strcmp(notes, want))
        fail_msg("notes:\n%s\nexpected:\n%s", notes, want);
    free(notes);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_notifications_on_success(void **state)
{
    (void) state;
    s_notes_case(TASK("t", "echo REF=abc123 > $PIKOCI_OUTPUT"), "succeeded",
                 "hooks-first\n"
                 "chat.ok|success|#ci|build 4 of it: succeeded ref=abc123 costs $5 $NOPE\n"
                 "chat.all|success|#ci|any\n");
}

static void
test_notifications_on_failure(void **state)
{
    (void) state;
    s_notes_case(TASK("t", "exit 1"), "failed",
                 "hooks-first\n"
                 "chat.bad|failure|#ci|broken\nsecond line\n"
                 "chat.all|failure|#ci|any\n");
}

static void
test_notifications_on_cancel(void **state)
{
    (void) state;
    s_notes_case(TASK("t", "echo task-running; sleep 30"), "cancelled",
                 "hooks-first\n"
                 "chat.bad|cancel|#ci|broken\nsecond line\n"
                 "chat.all|cancel|#ci|any\n");
}

static void
test_failed_notification_leaves_build_alone(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    harness_t *h = t_build(dir, "\"steps\":[" TASK("t", "true") "],\"notifications\":["
        "{\"kind\":\"notify\",\"name\":\"x.broken\",\"on\":[\"success\"],\"cmd\":" SH("echo webhook down; exit 1") "},"
        "{\"kind\":\"notify\",\"name\":\"x.missing\",\"on\":[\"success\"],"
        "\"error\":\"notification type slack is not available in this version of pikoci\"},"
        "{\"kind\":\"notify\",\"name\":\"x.after\",\"on\":[\"success\"],\"cmd\":" SH("echo after-the-failures") "}]");
    t_done(h, "succeeded");
    assert_true(harness_has_step(h, "failed notify:x.broken"));
    assert_true(harness_has_step(h, "failed notify:x.missing"));
    assert_true(harness_has_step(h, "succeeded notify:x.after"));
    assert_non_null(strstr(h->log, "webhook down"));
    assert_non_null(strstr(h->log, "slack is not available"));
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_notify_step_message_interpolated(void **state)
{
    (void) state;
    char *dir = harness_tmpdir();
    // a notify step in the plan and one in a step hook: both interpolated
    harness_t *h = t_build(dir, "\"steps\":[" TASK("t", "echo REF=r9 > $PIKOCI_OUTPUT") ","
        "{\"kind\":\"notify\",\"name\":\"n\",\"cmd\":" SH("echo \\\"step:$NOTIFY_MESSAGE:$notify_status\\\" >> $D/notes")
        ",\"env\":{\"notify_status\":\"in_progress\",\"NOTIFY_MESSAGE\":\"#$BUILD_NUMBER ${TASK_T_REF}\"},"
        "\"hooks\":{\"on_success\":[{\"kind\":\"notify\",\"name\":\"h\",\"cmd\":"
        SH("echo \\\"hook:$NOTIFY_MESSAGE\\\" >> $D/notes") ",\"env\":{\"NOTIFY_MESSAGE\":\"job $BUILD_JOB_NAME\"}}]}}]");
    t_done(h, "succeeded");
    char *notes = t_read(dir, "notes");
    assert_string_equal(notes, "step:#4 r9:in_progress\nhook:job it\n");
    free(notes);
    harness_destroy(&h);
    t_rmdir(dir);
}

static void
test_interpolate(void **state)
{
    (void) state;
    pk_env_t *vars = pk_env_new();
    pk_env_set(vars, "A", "1");
    pk_env_set(vars, "B_C", "two");
    const struct { const char *in, *out; } cases[] = {
        { "$A ${B_C}", "1 two" },
        { "x$A$A-y", "x11-y" },
        { "$AB ${A", "$AB ${A" },               // unknown / unterminated: as written
        { "$ $5 ${} $", "$ $5 ${} $" },
        { "a\\nb\\tc\\", "a\nb\\tc\\" },        // only \n is special
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = runner_notify_interpolate(cases[i].in, vars);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    pk_env_destroy(&vars);
}

// --- from HCL: the resolver

static const char *s_pipeline =
    "service_type \"pg\" {\n"
    "  params = [\"version\"]\n"
    "  start \"shell\" {\n    cmd = \"echo start $param_version\"\n  }\n"
    "  ready_check \"shell\" {\n    cmd = \"true\"\n    interval = \"250ms\"\n    timeout = \"3s\"\n  }\n"
    "  stop \"shell\" {\n    cmd = \"echo stop\"\n  }\n"
    "}\n"
    "notification_type \"rec\" {\n"
    "  notify \"shell\" {\n    cmd = \"echo $param_to $NOTIFY_MESSAGE\"\n  }\n"
    "}\n"
    "notification \"rec\" \"all\" {\n  params {\n    to = \"ops\"\n  }\n"
    "  message = \"done\"\n  on = [\"success\", \"failure\"]\n}\n"
    "notification \"rec\" \"only_a\" {\n  on = [\"cancel\"]\n  jobs = [\"a\"]\n}\n"
    "notification \"rec\" \"not_a\" {\n  on = [\"all\"]\n  exclude = [\"a\"]\n}\n"
    "notification \"rec\" \"manual\" {\n}\n"
    "job \"a\" {\n  service \"pg\" {\n    version = \"16\"\n    other = \"x\"\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n}\n"
    "job \"b\" {\n  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n}\n";

static char *
s_resolve(const char *job)
{
    pk_diags_t *diags = NULL;
    pk_pipeline_t *p = t_valid(s_pipeline, &diags);
    pk_resolve_build_t args = { .pipeline = "p", .number = "1" };
    char *err = NULL;
    pk_value_t *plan = pk_resolve_build(p, pk_pipeline_job(p, job), &args, &err);
    if (!plan)
        fail_msg("resolve: %s", err);
    assert_int_equal(pk_plan_validate(plan, "build", &err), 0);
    char *json = pk_value_to_json(plan);
    pk_value_destroy(&plan);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    return json;
}

static void
test_resolve_service_and_notifications(void **state)
{
    (void) state;
    char *a = s_resolve("a");
    // the service: its commands, polling settings and declared params only
    assert_non_null(strstr(a, "\"kind\":\"service\""));
    assert_non_null(strstr(a, "\"ready_interval_ms\":250"));
    assert_non_null(strstr(a, "\"ready_timeout_ms\":3000"));
    assert_non_null(strstr(a, "\"param_version\":\"16\""));
    assert_null(strstr(a, "param_other"));
    assert_non_null(strstr(a, "echo start $param_version"));
    // notifications for job a: all (success, failure) and only_a (cancel)
    assert_non_null(strstr(a, "rec.all"));
    assert_non_null(strstr(a, "[\"success\",\"failure\"]"));
    assert_non_null(strstr(a, "rec.only_a"));
    assert_null(strstr(a, "rec.not_a"));
    assert_null(strstr(a, "rec.manual"));
    assert_non_null(strstr(a, "\"param_to\":\"ops\""));
    char *b = s_resolve("b");
    assert_null(strstr(b, "rec.only_a"));
    assert_non_null(strstr(b, "rec.not_a"));
    assert_non_null(strstr(b, "rec.all"));
    free(a);
    free(b);
}

static void
test_service_in_parallel_is_a_validation_error(void **state)
{
    (void) state;
    t_expect("service_type \"s\" {\n  start \"shell\" {\n    cmd = \"true\"\n  }\n"
             "  stop \"shell\" {\n    cmd = \"true\"\n  }\n}\n"
             "job \"j\" {\n  in_parallel {\n    service \"s\" {\n    }\n  }\n}\n",
             "11:5: error: service is not allowed inside in_parallel (only get, task, put and notify)");
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notifications_on_success),
        cmocka_unit_test(test_notifications_on_failure),
        cmocka_unit_test(test_notifications_on_cancel),
        cmocka_unit_test(test_failed_notification_leaves_build_alone),
        cmocka_unit_test(test_notify_step_message_interpolated),
        cmocka_unit_test(test_interpolate),
        cmocka_unit_test(test_resolve_service_and_notifications),
        cmocka_unit_test(test_service_in_parallel_is_a_validation_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
