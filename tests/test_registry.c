// test_registry: the embedded type registry. Every built-in definition
// resolves to a type with its commands (checked per block the registry
// itself lists, so a new definition is covered without editing this file);
// an unknown pikoci:// name is an error listing the names there are; a
// definition of the wrong kind is an error; a type the pipeline defines
// itself under a built-in's name overrides the built-in.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_registry.h"
#include "test_pipeline_util.h"

// Parses src, loads its sources; returns the pipeline, *text the diagnostics.
static pk_pipeline_t *
s_load(const char *src, char **text, size_t *errors)
{
    pk_diags_t *diags = NULL;
    pk_pipeline_t *p = t_parse(src, NULL, &diags);
    assert_int_equal(pk_diags_errors(diags), 0);
    *errors = pk_pipeline_load_sources(p, false, diags);
    *text = t_diags_text(diags);
    pk_diags_destroy(&diags);
    return p;
}

static int
s_check_one(const char *kind, const char *name, const char *params, const char *summary,
            void *arg)
{
    (void) params;
    int *count = arg;
    if (!strcmp(kind, "runner_type"))
        return 0;
    assert_true(*summary);                 // every definition says what it is
    char *src = NULL;
    assert_true(asprintf(&src, "%s \"t\" {\n  source = \"pikoci://%s\"\n}\n", kind, name) > 0);
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load(src, &text, &errors);
    if (errors)
        fail_msg("%s pikoci://%s: %s", kind, name, text);
    bool native = pk_registry_native(kind, name);
    if (!strcmp(kind, "resource_type")) {
        const pk_resource_type_t *t = pk_pipeline_resource_type(p, "t");
        assert_true(native || t->check || t->push);
    }
    else
    if (!strcmp(kind, "service_type")) {
        const pk_service_type_t *t = pk_pipeline_service_type(p, "t");
        assert_true(t->start && t->stop && t->ready_check);
    }
    else
    if (!strcmp(kind, "secret_type"))
        assert_true(native || pk_pipeline_secret_type(p, "t")->get);
    else
    if (!strcmp(kind, "notification_type"))
        assert_non_null(pk_pipeline_notification_type(p, "t")->notify);
    else
        fail_msg("unexpected kind %s", kind);
    (*count)++;
    pk_pipeline_destroy(&p);
    free(text);
    free(src);
    return 0;
}

static void
test_every_builtin_resolves(void **state)
{
    (void) state;
    int count = 0;
    assert_int_equal(pk_registry_each(s_check_one, &count), 0);
    // what the issue asks for at least, found among the listed names
    static const char *const want[][2] = {
        { "resource_type", "git" }, { "resource_type", "cron" }, { "resource_type", "fs" },
        { "resource_type", "artifact" }, { "resource_type", "trigger" },
        { "runner_type", "exec" }, { "runner_type", "shell" }, { "runner_type", "docker" },
        { "service_type", "postgresql" }, { "service_type", "mariadb" },
        { "service_type", "redis" }, { "service_type", "nats" }, { "service_type", "rabbitmq" },
        { "service_type", "kafka" }, { "service_type", "vault" }, { "service_type", "keycloak" },
        { "secret_type", "file" }, { "secret_type", "vault" },
        { "notification_type", "slack" }, { "notification_type", "discord" },
        { "notification_type", "github-check" } };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char *names = pk_registry_names(want[i][0]);
        char *padded = NULL;
        assert_true(asprintf(&padded, ", %s, ", names) > 0);
        char *needle = NULL;
        assert_true(asprintf(&needle, ", %s, ", want[i][1]) > 0);
        if (!strstr(padded, needle))
            fail_msg("%s %s is not built in (have: %s)", want[i][0], want[i][1], names);
        free(needle);
        free(padded);
        free(names);
    }
    assert_true(count >= 18);
}

static void
test_unknown_name_lists_known(void **state)
{
    (void) state;
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load("service_type \"db\" {\n  source = \"pikoci://postgres\"\n}\n",
                              &text, &errors);
    assert_int_equal(errors, 1);
    assert_non_null(strstr(text, "1:1: error: service_type \"db\": \"pikoci://postgres\" is not a "
                                 "built-in service_type"));
    char *names = pk_registry_names("service_type");
    assert_non_null(strstr(text, names));
    assert_non_null(strstr(names, "postgresql"));
    free(names);
    free(text);
    pk_pipeline_destroy(&p);
}

static void
test_wrong_kind(void **state)
{
    (void) state;
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load("secret_type \"s\" {\n  source = \"pikoci://slack\"\n}\n",
                              &text, &errors);
    assert_int_equal(errors, 1);
    assert_non_null(strstr(text, "holds no secret_type block"));
    free(text);
    pk_pipeline_destroy(&p);
}

static void
test_pipeline_type_overrides_builtin(void **state)
{
    (void) state;
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load(
        "notification_type \"slack\" {\n"
        "  notify \"shell\" {\n    cmd = \"echo mine\"\n  }\n}\n"
        "service_type \"redis\" {\n"
        "  start \"shell\" {\n    cmd = \"redis-server\"\n  }\n"
        "  stop \"shell\" {\n    cmd = \"true\"\n  }\n}\n"
        "notification_type \"discord\" {\n  source = \"pikoci://discord\"\n}\n",
        &text, &errors);
    assert_int_equal(errors, 0);
    const pk_notification_type_t *slack = pk_pipeline_notification_type(p, "slack");
    const pk_value_t *cmd = pk_value_object_get(slack->notify->attrs, "cmd");
    assert_string_equal(pk_value_string(cmd), "echo mine");
    assert_string_equal(slack->notify->runner, "shell");
    const pk_service_type_t *redis = pk_pipeline_service_type(p, "redis");
    assert_null(redis->ready_check);        // nothing of the built-in redis leaked in
    assert_string_equal(pk_value_string(pk_value_object_get(redis->start->attrs, "cmd")),
                        "redis-server");
    // the built-in next to it still resolves to pikoci's own
    const pk_notification_type_t *discord = pk_pipeline_notification_type(p, "discord");
    assert_string_equal(discord->notify->runner, "exec");
    free(text);
    pk_pipeline_destroy(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_builtin_resolves),
        cmocka_unit_test(test_unknown_name_lists_known),
        cmocka_unit_test(test_wrong_kind),
        cmocka_unit_test(test_pipeline_type_overrides_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
