// test_runner_secrets: secret-backed variables from the pipeline to the
// process. Pipelines are parsed and resolved (pk_resolve) into plans that run
// through the real executor (runner_harness): the built-in file type (json,
// env, raw), an inline secret_type's get, chaining; hand-made plans cover
// what the decoder would refuse (cycles, chains too deep, placeholders
// without a secrets section). Every test checks both that the process got
// the value and that the log shows only "***".
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner_harness.h"
#include "pk_resolve.h"
#include "test_pipeline_util.h"

static char *s_dir;

static int
s_setup(void **state)
{
    (void) state;
    s_dir = harness_tmpdir();
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    int rc = system(cmd);
    free(s_dir);
    return rc;
}

static void
s_write(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

// "%D" in text becomes the test's directory.
static char *
s_subst_dir(const char *text)
{
    size_t cap = strlen(text) + 64 * strlen(s_dir) + 1, o = 0;
    char *out = malloc(cap);
    for (const char *p = text; *p; p++) {
        if (p[0] == '%' && p[1] == 'D') {
            o += (size_t) sprintf(out + o, "%s", s_dir);
            p++;
        }
        else
            out[o++] = *p;
    }
    out[o] = 0;
    return out;
}

// The plan pk_resolve makes for job "j" of the pipeline (JSON, caller frees).
static char *
s_plan(const char *hcl)
{
    char *src = s_subst_dir(hcl);
    pk_diags_t *diags = NULL;
    pk_pipeline_t *p = t_valid(src, &diags);
    pk_resolve_build_t args = { .pipeline = "p", .number = "1" };
    char *err = NULL;
    pk_value_t *plan = pk_resolve_build(p, pk_pipeline_job(p, "j"), &args, &err);
    if (!plan)
        fail_msg("resolve: %s", err);
    char *json = pk_value_to_json(plan);
    pk_value_destroy(&plan);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    free(src);
    return json;
}

// Runs a plan; returns the harness (finished) for the caller to inspect.
static harness_t *
s_run(const char *plan_json)
{
    harness_t *h = harness_start("build", plan_json, true);
    assert_true(harness_wait(h, 60000));
    return h;
}

static void
s_assert_absent(const harness_t *h, const char *const *values)
{
    for (size_t i = 0; values[i]; i++)
        if (h->log && strstr(h->log, values[i]))
            fail_msg("the log shows \"%s\":\n%s", values[i], h->log);
}

static void
test_file_json(void **state)
{
    (void) state;
    s_write("creds.json", "{\"username\": \"admin-user\", \"password\": \"s3cret-pw\", \"n\": 12345}");
    char *plan = s_plan(
        "secret_type \"creds\" {\n  source = \"pikoci://file\"\n  path = \"%D/creds.json\"\n}\n"
        "variable \"user\" {\n  type = string\n  secret \"creds\" {\n    key = \"username\"\n  }\n}\n"
        "variable \"pass\" {\n  type = string\n  secret \"creds\" {\n    key = \"password\"\n  }\n}\n"
        "variable \"num\" {\n  type = string\n  secret \"creds\" {\n    key = \"n\"\n  }\n}\n"
        "job \"j\" {\n  task \"show\" {\n    run \"exec\" {\n      path = \"/bin/sh\"\n"
        "      args = [\"-c\", \"echo u=${var.user} p=$P n=${var.num}; [ \\\"$P\\\" = s3cret-pw ] && echo got-it\"]\n"
        "      P = var.pass\n    }\n  }\n}\n");
    // the plan holds placeholders and how to get them, never a value
    assert_non_null(strstr(plan, "\"secrets\":{"));
    assert_non_null(strstr(plan, "((pikoci_secret:pass))"));
    assert_non_null(strstr(plan, "\"native\":{\"params\":{\"path\":"));
    assert_null(strstr(plan, "admin-user"));
    harness_t *h = s_run(plan);
    assert_string_equal(h->done_status, "succeeded");
    assert_non_null(strstr(h->log, "u=*** p=*** n=***"));
    assert_non_null(strstr(h->log, "got-it"));
    const char *values[] = { "admin-user", "s3cret-pw", "12345", NULL };
    s_assert_absent(h, values);
    harness_destroy(&h);
    free(plan);
}

static void
test_file_env_and_raw(void **state)
{
    (void) state;
    s_write("app.env", "# a comment\nAPI_KEY=key-1234\nexport QUOTED=\"quoted value\"\n"
            "DB_CONN=host=db;port=5432\nnot a line\n  SPACED = 'single'  \n");
    s_write("tls.pem", "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----\n");
    char *plan = s_plan(
        "variable \"key\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/app.env\"\n    key = \"API_KEY\"\n  }\n}\n"
        "variable \"q\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/app.env\"\n    key = \"QUOTED\"\n  }\n}\n"
        "variable \"conn\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/app.env\"\n    key = \"DB_CONN\"\n  }\n}\n"
        "variable \"sp\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/app.env\"\n    key = \"SPACED\"\n  }\n}\n"
        "variable \"pem\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/tls.pem\"\n    key = \"content\"\n  }\n}\n"
        "job \"j\" {\n  task \"show\" {\n    run \"exec\" {\n      path = \"/bin/sh\"\n"
        "      args = [\"-c\", \"echo \\\"k=$K q=$Q c=$C s=$S\\\"; echo \\\"$PEM\\\"; printf 'trimmed=%s|' \\\"$(printf %s \\\"$PEM\\\")\\\";"
        " [ \\\"$C\\\" = 'host=db;port=5432' ] && [ \\\"$Q\\\" = 'quoted value' ] && [ \\\"$S\\\" = single ] && echo all-right\"]\n"
        "      K = var.key\n      Q = var.q\n      C = var.conn\n      S = var.sp\n      PEM = var.pem\n    }\n  }\n}\n");
    harness_t *h = s_run(plan);
    assert_string_equal(h->done_status, "succeeded");
    assert_non_null(strstr(h->log, "k=*** q=*** c=*** s=***"));
    assert_non_null(strstr(h->log, "all-right"));
    assert_non_null(strstr(h->log, "trimmed=***|"));
    const char *values[] = { "key-1234", "quoted value", "port=5432", "single", "MIIBOgIB",
                             "BEGIN KEY", NULL };
    s_assert_absent(h, values);
    harness_destroy(&h);
    free(plan);
}

// An inline secret_type: its config reaches the get as $param_*, the
// variable's path as $param_path, and each secret's get runs once per build
// however many steps use it.
static void
test_cmd_get_once(void **state)
{
    (void) state;
    s_write("get.sh", "echo x >> \"$param_log\"\necho noise\n"
            "printf '{\"username\":\"%s-admin\",\"password\":\"%s-pw\"}\\n' \"$param_prefix\" \"$param_path\"\n");
    char *plan = s_plan(
        "secret_type \"vault\" {\n  prefix = \"pre\"\n  log = \"%D/gets\"\n"
        "  get \"exec\" {\n    path = \"/bin/sh\"\n    args = [\"%D/get.sh\"]\n  }\n}\n"
        "variable \"user\" {\n  type = string\n  secret \"vault\" {\n    key = \"username\"\n  }\n}\n"
        "variable \"pass\" {\n  type = string\n  secret \"vault\" {\n    path = \"kv/db\"\n    key = \"password\"\n  }\n}\n"
        "job \"j\" {\n"
        "  task \"one\" {\n    run \"shell\" {\n      cmd = \"echo db_username=${var.user}\"\n    }\n  }\n"
        "  task \"two\" {\n    run \"shell\" {\n      cmd = \"echo db_password=${var.pass}; [ ${var.pass} = kv/db-pw ] && echo matches\"\n    }\n  }\n"
        "  task \"three\" {\n    run \"shell\" {\n      cmd = \"echo again ${var.user}\"\n    }\n  }\n}\n");
    harness_t *h = s_run(plan);
    assert_string_equal(h->done_status, "succeeded");
    assert_non_null(strstr(h->log, "db_username=***"));
    assert_non_null(strstr(h->log, "db_password=***"));
    assert_non_null(strstr(h->log, "again ***"));
    assert_non_null(strstr(h->log, "matches"));
    assert_null(strstr(h->log, "noise"));       // a get's output is never logged
    const char *values[] = { "pre-admin", "kv/db-pw", NULL };
    s_assert_absent(h, values);
    char path[512];
    snprintf(path, sizeof path, "%s/gets", s_dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int lines = 0;
    for (int c; (c = fgetc(f)) != EOF; )
        lines += c == '\n';
    fclose(f);
    assert_int_equal(lines, 2);     // one get per secret per build, not per step
    harness_destroy(&h);
    free(plan);
}

// A secret's path names another secret: that one is resolved first.
static void
test_chaining(void **state)
{
    (void) state;
    s_write("where.env", "TOKEN_FILE=%D/token.json\n");
    char *where = s_subst_dir("TOKEN_FILE=%D/token.json\n");
    s_write("where.env", where);
    free(where);
    s_write("token.json", "{\"token\": \"chained-tok-999\"}");
    char *plan = s_plan(
        "variable \"where\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/where.env\"\n    key = \"TOKEN_FILE\"\n  }\n}\n"
        "variable \"tok\" {\n  type = string\n  secret \"file\" {\n    path = var.where\n    key = \"token\"\n  }\n}\n"
        "job \"j\" {\n  task \"show\" {\n    run \"shell\" {\n"
        "      cmd = \"echo tok=${var.tok}; [ ${var.tok} = chained-tok-999 ] && echo chained-ok\"\n    }\n  }\n}\n");
    // tok is used; where is pulled in by tok's path
    assert_non_null(strstr(plan, "\"where\":{"));
    assert_non_null(strstr(plan, "\"path\":\"((pikoci_secret:where))\""));
    harness_t *h = s_run(plan);
    assert_string_equal(h->done_status, "succeeded");
    assert_non_null(strstr(h->log, "tok=***"));
    assert_non_null(strstr(h->log, "chained-ok"));
    const char *values[] = { "chained-tok-999", "token.json", NULL };
    s_assert_absent(h, values);
    harness_destroy(&h);
    free(plan);
}

static const char *s_task_using_a =
    " \"steps\": [{\"kind\": \"task\", \"name\": \"t\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
    " \"params\": {\"cmd\": \"echo SHOULD-NOT-RUN ((pikoci_secret:a))\"}}}]}";

static harness_t *
s_run_section(const char *section)
{
    char *plan = malloc(strlen(section) + strlen(s_task_using_a) + 64);
    sprintf(plan, "{\"secrets\": %s,%s", section, s_task_using_a);
    char *full = s_subst_dir(plan);
    harness_t *h = s_run(full);
    free(plan);
    free(full);
    return h;
}

static void
test_cycle(void **state)
{
    (void) state;
    harness_t *h = s_run_section(
        "{\"a\": {\"type\": \"file\", \"key\": \"k\", \"path\": \"((pikoci_secret:b))\", \"native\": {\"type\": \"file\"}},"
        " \"b\": {\"type\": \"file\", \"key\": \"k\", \"path\": \"/x/((pikoci_secret:c))\", \"native\": {\"type\": \"file\"}},"
        " \"c\": {\"type\": \"file\", \"key\": \"((pikoci_secret:a))\", \"native\": {\"type\": \"file\"}}}");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "secrets form a dependency cycle: a -> b -> c -> a"));
    assert_null(strstr(h->log, "SHOULD-NOT-RUN"));
    harness_destroy(&h);
}

static void
test_chain_too_deep(void **state)
{
    (void) state;
    char section[8192] = "{";
    for (int i = 0; i < 12; i++) {
        char dep[64] = "";
        if (i < 11)
            snprintf(dep, sizeof dep, "((pikoci_secret:s%d))", i + 1);
        snprintf(section + strlen(section), sizeof section - strlen(section),
                 "%s\"s%d\": {\"type\": \"file\", \"key\": \"k%s\", \"native\": {\"type\": \"file\"}}",
                 i ? "," : "", i, dep);
    }
    strcat(section, ", \"a\": {\"type\": \"file\", \"key\": \"((pikoci_secret:s0))\", \"native\": {\"type\": \"file\"}}}");
    harness_t *h = s_run_section(section);
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "chain of more than 10 secrets"));
    harness_destroy(&h);
}

static void
test_failing_get(void **state)
{
    (void) state;
    s_write("a.json", "{\"k\": \"first-value-abc\"}");
    // b's get fails, printing the (already resolved) value of a: masked
    harness_t *h = s_run_section(
        "{\"a\": {\"type\": \"vault\", \"key\": \"k\", \"env\": {\"param_token\": \"((pikoci_secret:b))\"},"
        "  \"cmd\": {\"runner\": {\"name\": \"shell\"}, \"params\": {\"cmd\": \"echo '{\\\"k\\\":\\\"x\\\"}'\"}}},"
        " \"b\": {\"type\": \"vault\", \"key\": \"k\", \"env\": {\"param_token\": \"((pikoci_secret:c))\"},"
        "  \"cmd\": {\"runner\": {\"name\": \"shell\"}, \"params\": {\"cmd\": \"echo \\\"permission denied for $param_token\\\"; exit 3\"}}},"
        " \"c\": {\"type\": \"file\", \"key\": \"k\", \"path\": \"%D/a.json\", \"native\": {\"type\": \"file\"}}}");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "secret \"b\": the get command of secret type \"vault\" exited "
                                   "with status 3: permission denied for ***"));
    const char *values[] = { "first-value-abc", "SHOULD-NOT-RUN", NULL };
    s_assert_absent(h, values);
    harness_destroy(&h);
}

static void
test_bad_answers(void **state)
{
    (void) state;
    s_write("b.json", "{\"user\": \"someone-secret\", \"pw\": \"pw-secret-1\"}");
    harness_t *h = s_run_section(
        "{\"a\": {\"type\": \"file\", \"key\": \"password\", \"path\": \"%D/b.json\", \"native\": {\"type\": \"file\"}}}");
    assert_string_equal(h->done_status, "failed");
    // the keys there are, never their values
    assert_non_null(strstr(h->log, "no key \"password\" in what secret type \"file\" returned (keys: pw, user)"));
    const char *values[] = { "someone-secret", "pw-secret-1", NULL };
    s_assert_absent(h, values);
    harness_destroy(&h);

    h = s_run_section("{\"a\": {\"type\": \"x\", \"key\": \"k\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
                      " \"params\": {\"cmd\": \"echo not-json-raw-value\"}}}}");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "must print a JSON object on its last line"));
    assert_null(strstr(h->log, "not-json-raw-value"));
    harness_destroy(&h);

    h = s_run_section("{\"a\": {\"type\": \"file\", \"key\": \"k\", \"path\": \"%D/missing.json\", \"native\": {\"type\": \"file\"}}}");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "missing.json: No such file or directory"));
    harness_destroy(&h);

    h = s_run_section("{\"a\": {\"type\": \"vault\", \"key\": \"k\", \"error\": \"secret type \\\"vault\\\" is not available\"}}");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "secret \"a\": secret type \"vault\" is not available"));
    harness_destroy(&h);

    h = s_run_section("[1, 2]");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "\"secrets\" must be an object"));
    harness_destroy(&h);
}

// A placeholder whose secret the plan does not define fails the step
// instead of reaching the process as text.
static void
test_unknown_placeholder(void **state)
{
    (void) state;
    harness_t *h = s_run("{\"steps\": [{\"kind\": \"task\", \"name\": \"t\", \"cmd\": {\"runner\":"
                         " {\"name\": \"shell\"}, \"params\": {\"cmd\": \"echo ((pikoci_secret:nope))\"}}}]}");
    assert_string_equal(h->done_status, "failed");
    assert_non_null(strstr(h->log, "secret \"nope\" is not available to this build"));
    harness_destroy(&h);
}

// Checks resolve secrets too (a resource's params may hold them): the
// output a failing check keeps for the user is masked.
static void
test_check_masked(void **state)
{
    (void) state;
    s_write("c.json", "{\"token\": \"check-tok-5150\"}");
    char *plan = s_subst_dir(
        "{\"resource\": \"x.y\", \"secrets\": {\"a\": {\"type\": \"file\", \"key\": \"token\","
        " \"path\": \"%D/c.json\", \"native\": {\"type\": \"file\"}}},"
        " \"cmd\": {\"runner\": {\"name\": \"shell\"}, \"params\": {\"T\": \"((pikoci_secret:a))\","
        " \"cmd\": \"echo using=$T; [ $T = check-tok-5150 ] && echo real; exit 4\"}}}");
    harness_t *h = harness_start("check", plan, true);
    assert_true(harness_wait(h, 30000));
    assert_non_null(h->versions.versions.error);
    assert_non_null(h->versions.versions.output);
    assert_non_null(strstr(h->versions.versions.output, "using=***"));
    assert_non_null(strstr(h->versions.versions.output, "real"));
    assert_null(strstr(h->versions.versions.output, "check-tok-5150"));
    harness_destroy(&h);
    free(plan);
}

// pk_resolve_check: a resource whose params use a secret gets the section.
static void
test_resolve_check(void **state)
{
    (void) state;
    char *src = s_subst_dir(
        "variable \"tok\" {\n  type = string\n  secret \"file\" {\n    path = \"%D/c.json\"\n    key = \"token\"\n  }\n}\n"
        "resource_type \"api\" {\n  params = [\"token\"]\n"
        "  check \"shell\" {\n    cmd = \"echo []\"\n  }\n}\n"
        "resource \"api\" \"r\" {\n  params {\n    token = var.tok\n  }\n}\n"
        "job \"j\" {\n  get \"api\" \"r\" {\n  }\n}\n");
    pk_diags_t *diags = NULL;
    pk_pipeline_t *p = t_valid(src, &diags);
    char *err = NULL;
    pk_value_t *plan = pk_resolve_check(p, pk_pipeline_resource(p, "api.r"), "p", NULL, &err);
    assert_non_null(plan);
    char *json = pk_value_to_json(plan);
    assert_non_null(strstr(json, "\"param_token\":\"((pikoci_secret:tok))\""));
    assert_non_null(strstr(json, "\"secrets\":{\"tok\":{\"key\":\"token\",\"native\""));
    free(json);
    pk_value_destroy(&plan);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    free(src);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_json),
        cmocka_unit_test(test_file_env_and_raw),
        cmocka_unit_test(test_cmd_get_once),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_chain_too_deep),
        cmocka_unit_test(test_failing_get),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_unknown_placeholder),
        cmocka_unit_test(test_check_masked),
        cmocka_unit_test(test_resolve_check),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
