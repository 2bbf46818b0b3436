// test_registry_yaml: the YAML subset the built-in `file` secret type reads
// (actors/runner_secrets_yaml.c): each document is compared with the same
// data written as JSON, and what is outside the subset is an error naming
// its line -- never a value, never a partial object.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "runner_internal.h"

static void
s_same(const char *yaml, const char *json)
{
    char *err = NULL;
    pk_value_t *got = runner_secrets_yaml(yaml, strlen(yaml), &err);
    if (!got)
        fail_msg("%s\n-- gave error: %s", yaml, err);
    pk_value_t *want = pk_value_from_json(json, strlen(json), NULL);
    assert_non_null(want);
    if (!pk_value_equal(got, want)) {
        char *text = pk_value_to_json(got);
        fail_msg("%s\n-- gave %s, want %s", yaml, text, json);
    }
    pk_value_destroy(&got);
    pk_value_destroy(&want);
}

static void
s_error(const char *yaml, const char *want)
{
    char *err = NULL;
    pk_value_t *got = runner_secrets_yaml(yaml, strlen(yaml), &err);
    assert_null(got);
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("%s\n-- gave \"%s\", want \"%s\"", yaml, err, want);
    assert_null(strstr(err, "hunter2"));
    free(err);
}

static void
test_mappings(void **state)
{
    (void) state;
    s_same("", "{}");
    s_same("# only a comment\n---\n", "{}");
    s_same("token: abc123\nuser: ci\n", "{\"token\":\"abc123\",\"user\":\"ci\"}");
    s_same("a: plain value with spaces   # and a comment\n", "{\"a\":\"plain value with spaces\"}");
    s_same("url: http://x:8080/a#frag\n", "{\"url\":\"http://x:8080/a#frag\"}");
    s_same("q: \"two\\nlines \\\"quoted\\\"\"\ns: 'it''s'\n",
           "{\"q\":\"two\\nlines \\\"quoted\\\"\",\"s\":\"it's\"}");
    s_same("\"quoted key\": v\r\nn: 42\r\n", "{\"quoted key\":\"v\",\"n\":\"42\"}");
    s_same("db:\n  user: app\n  password: p4ss\n  replica:\n    host: r1\napi: k\n",
           "{\"db\":{\"user\":\"app\",\"password\":\"p4ss\",\"replica\":{\"host\":\"r1\"}},"
           "\"api\":\"k\"}");
    s_same("outer:\n    deep: 1\nnext:\n  x: 2\n", "{\"outer\":{\"deep\":\"1\"},\"next\":{\"x\":\"2\"}}");
}

static void
test_outside_the_subset(void **state)
{
    (void) state;
    s_error("keys:\n  - hunter2\n", "line 2: lists are not supported");
    s_error("a: |\n  hunter2\n", "line 1: block scalars");
    s_error("a: [hunter2]\n", "line 1: block scalars, anchors and flow collections");
    s_error("a: b\n   c: hunter2\n", "line 2: the indentation does not match");
    s_error("just hunter2\n", "line 1: expected \"key: value\"");
    s_error("a: \"hunter2\n", "line 1: an unterminated quoted value");
    s_error("a:\n\tb: hunter2\n", "line 2: tabs cannot indent YAML");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mappings),
        cmocka_unit_test(test_outside_the_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
