// test_registry: the embedded type registry. Every built-in definition
// resolves to a type with its commands (checked per block the registry
// itself lists, so a new definition is covered without editing this file);
// an unknown pikoci:// name is an error listing the names there are; a
// definition of the wrong kind is an error; a type the pipeline defines
// itself under a built-in's name overrides the built-in. Without
// PK_SOURCES_REMOTE_BUILTINS the unknown-name error says how to fetch it
// (--allow-remote-types and the URL); with it, a name that would leave the
// registry directory is refused before any URL is built. The fetching
// itself is tested against a loopback server (registry/remote_types_e2e.py).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_registry.h"
#include "test_pipeline_util.h"

// Parses src, loads its sources with flags; returns the pipeline, *text the
// diagnostics.
static pk_pipeline_t *
s_load_flags(const char *src, int flags, char **text, size_t *errors)
{
    pk_diags_t *diags = NULL;
    pk_pipeline_t *p = t_parse(src, NULL, &diags);
    assert_int_equal(pk_diags_errors(diags), 0);
    *errors = pk_pipeline_load_sources(p, flags, diags);
    *text = t_diags_text(diags);
    pk_diags_destroy(&diags);
    return p;
}

// Nothing fetched: what every built-in must resolve with.
static pk_pipeline_t *
s_load(const char *src, char **text, size_t *errors)
{
    return s_load_flags(src, 0, text, errors);
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

// The hint names the flag and the very URL it would fetch, per kind.
static void
test_unknown_name_hints_remote(void **state)
{
    (void) state;
    setenv("PIKOCI_REMOTE_TYPES_URL", "http://127.0.0.1:9/mirror/", 1);
    static const char *const kinds[][2] = {
        { "resource_type", "resource_types" }, { "runner_type", "runners" },
        { "secret_type", "secret_types" }, { "service_type", "services" },
        { "notification_type", "notification_types" } };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char *src = NULL, *want = NULL, *text = NULL;
        assert_true(asprintf(&src, "%s \"x\" {\n  source = \"pikoci://no-such_type9\"\n}\n",
                             kinds[i][0]) > 0);
        size_t errors = 0;
        // offline (no flags): the error, without a hint to fetch
        pk_pipeline_t *p = s_load(src, &text, &errors);
        assert_int_equal(errors, 1);
        assert_null(strstr(text, "--allow-remote-types"));
        free(text);
        pk_pipeline_destroy(&p);
        p = s_load_flags(src, PK_SOURCES_HTTPS, &text, &errors);
        assert_int_equal(errors, 1);
        assert_true(asprintf(&want, "1:1: error: %s \"x\": \"pikoci://no-such_type9\" is not "
                             "a built-in %s (built in: ", kinds[i][0], kinds[i][0]) > 0);
        if (!strstr(text, want))
            fail_msg("%s: %s", kinds[i][0], text);
        char *names = pk_registry_names(kinds[i][0]);
        assert_non_null(strstr(text, names));
        free(names);
        free(want);
        // the trailing '/' of the base is not doubled
        assert_true(asprintf(&want, "pass --allow-remote-types to fetch it from "
                             "http://127.0.0.1:9/mirror/%s/no-such_type9.hcl", kinds[i][1]) > 0);
        if (!strstr(text, want))
            fail_msg("%s: %s", kinds[i][0], text);
        free(want);
        free(text);
        free(src);
        pk_pipeline_destroy(&p);
    }
    // without the variable, PikoCI's own registry
    unsetenv("PIKOCI_REMOTE_TYPES_URL");
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load_flags("resource_type \"r\" {\n  source = \"pikoci://counter\"\n}\n",
                                    PK_SOURCES_HTTPS, &text, &errors);
    assert_int_equal(errors, 1);
    assert_non_null(strstr(text, PK_SOURCES_REMOTE_BASE "/resource_types/counter.hcl"));
    assert_string_equal(PK_SOURCES_REMOTE_BASE,
                        "https://raw.githubusercontent.com/PikoCI/pikoci/master/pikoci/builtin");
    free(text);
    pk_pipeline_destroy(&p);
}

// "../x" would leave the registry directory: refused before any URL is
// built, with the flag given. The base points at a port nothing listens on
// (the discard port), so a fetch would show up as a connection error.
static void
test_bad_name_never_fetched(void **state)
{
    (void) state;
    setenv("PIKOCI_REMOTE_TYPES_URL", "http://127.0.0.1:9/base", 1);
    static const char *const bad[] = { "../x", "a/b", "x.hcl", "a%2e%2e", "a b", "..",
                                       "x?y", "\\u00e9" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *src = NULL, *text = NULL;
        assert_true(asprintf(&src, "resource_type \"t\" {\n  source = \"pikoci://%s\"\n}\n",
                             bad[i]) > 0);
        size_t errors = 0;
        pk_pipeline_t *p = s_load_flags(src, PK_SOURCES_HTTPS | PK_SOURCES_REMOTE_BUILTINS,
                                        &text, &errors);
        assert_int_equal(errors, 1);
        if (!strstr(text, "1:1: error: resource_type \"t\": ")
            || !strstr(text, "is not a built-in resource_type (built in: ")
            || !strstr(text, "not a name that can be fetched")
            || !strstr(text, "only letters, digits, '_' and '-'"))
            fail_msg("pikoci://%s: %s", bad[i], text);
        // no URL built, so none named and no fetch error
        assert_null(strstr(text, "127.0.0.1"));
        assert_null(strstr(text, "fetching"));
        free(text);
        free(src);
        pk_pipeline_destroy(&p);
    }
    unsetenv("PIKOCI_REMOTE_TYPES_URL");
}

// With the flag, a built-in name still resolves to pikoci's own (the base
// is unreachable: a fetch would be an error), and natives need nothing.
static void
test_builtin_first_with_flag(void **state)
{
    (void) state;
    setenv("PIKOCI_REMOTE_TYPES_URL", "http://127.0.0.1:9/base", 1);
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load_flags(
        "notification_type \"n\" {\n  source = \"pikoci://slack\"\n}\n"
        "resource_type \"g\" {\n  source = \"pikoci://git\"\n}\n"
        "runner_type \"sh\" {\n  source = \"pikoci://shell\"\n}\n"
        "service_type \"db\" {\n  source = \"pikoci://postgresql\"\n}\n",
        PK_SOURCES_HTTPS | PK_SOURCES_REMOTE_BUILTINS, &text, &errors);
    if (errors)
        fail_msg("%s", text);
    assert_non_null(pk_pipeline_notification_type(p, "n")->notify);
    assert_non_null(pk_pipeline_service_type(p, "db")->start);
    free(text);
    pk_pipeline_destroy(&p);
    unsetenv("PIKOCI_REMOTE_TYPES_URL");
}

// A runner_type sourced from a name pikoci does not have used to pass and
// fail at the first step ("unknown runner"); now it is an error when the
// pipeline is loaded, like every other kind. The natives still need nothing.
static void
test_runner_type_source(void **state)
{
    (void) state;
    char *text = NULL;
    size_t errors = 0;
    pk_pipeline_t *p = s_load("runner_type \"bash\" {\n  source = \"pikoci://bash\"\n}\n"
                              "runner_type \"d\" {\n  source = \"pikoci://docker\"\n}\n",
                              &text, &errors);
    assert_int_equal(errors, 1);
    assert_non_null(strstr(text, "1:1: error: runner_type \"bash\": \"pikoci://bash\" is not a "
                                 "built-in runner_type (built in: exec, shell, docker;"));
    assert_null(pk_pipeline_runner_type(p, "d")->run_path);
    free(text);
    pk_pipeline_destroy(&p);
    // an embedded definition of another kind is no runner
    p = s_load("runner_type \"r\" {\n  source = \"pikoci://slack\"\n}\n", &text, &errors);
    assert_int_equal(errors, 1);
    assert_non_null(strstr(text, "holds no runner_type block"));
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
        cmocka_unit_test(test_unknown_name_hints_remote),
        cmocka_unit_test(test_bad_name_never_fetched),
        cmocka_unit_test(test_builtin_first_with_flag),
        cmocka_unit_test(test_runner_type_source),
        cmocka_unit_test(test_wrong_kind),
        cmocka_unit_test(test_pipeline_type_overrides_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
