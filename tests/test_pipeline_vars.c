// test_pipeline_vars: variables. Declared types and defaults, secret-backed
// variables as placeholders, values given through --vars files and --var
// (which wins), conversions to the declared type and their errors.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_pipeline_util.h"

static const char *
s_str(const pk_value_t *obj, const char *key)
{
    const pk_value_t *v = pk_value_object_get(obj, key);
    assert_non_null(v);
    assert_int_equal(pk_value_kind(v), PK_V_STRING);
    return pk_value_string(v);
}

static const char *s_vars_src =
    "variable \"n\" {\n"
    "  type    = number\n"
    "  default = 1\n"
    "}\n"
    "variable \"s\" {\n"
    "  type    = \"string\"\n"
    "  default = \"d\"\n"
    "}\n"
    "variable \"tok\" {\n"
    "  type = string\n"
    "  secret \"file\" {\n"
    "    path = \"/etc/${var.s}\"\n"
    "    key  = \"token\"\n"
    "  }\n"
    "}\n"
    "variable \"flag\" {\n"
    "  default = false\n"
    "}\n"
    "resource \"cron\" \"tick\" {\n"
    "  params {\n"
    "    note = \"${var.n}-${var.s}-${var.flag}\"\n"
    "  }\n"
    "}\n";

static void
test_variables_defaults_and_secrets(void **state)
{
    (void) state;
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse(s_vars_src, NULL, &diags);
    // cron takes no params: a warning, not an error
    assert_int_equal(pk_diags_errors(diags), 0);
    const pk_variable_t *n = pk_pipeline_variable(p, "n");
    assert_int_equal(n->type, PK_VAR_NUMBER);
    assert_true(pk_value_number(n->value) == 1);
    const pk_variable_t *tok = pk_pipeline_variable(p, "tok");
    assert_true(tok->is_placeholder);
    char *ph = pk_pipeline_secret_placeholder("tok");
    assert_string_equal(ph, "((pikoci_secret:tok))");
    assert_string_equal(pk_value_string(tok->value), ph);
    free(ph);
    assert_string_equal(tok->secret_type, "file");
    assert_string_equal(tok->secret_path, "/etc/d");
    assert_string_equal(tok->secret_key, "token");
    assert_true(pk_pipeline_secret_type(p, "file")->implicit);
    const pk_variable_t *flag = pk_pipeline_variable(p, "flag");
    assert_int_equal(flag->type, PK_VAR_BOOL);   // inferred from the default
    assert_string_equal(s_str(p->resources[0]->params, "note"), "1-d-false");
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

static void
test_variables_supplied(void **state)
{
    (void) state;
    char *json = t_temp_file("{\"n\": 5, \"s\": \"from-file\", \"flag\": \"true\"}");
    const char *kvs[] = { "s=from-cli", "tok=given", "n=7.5" };
    char *err = NULL;
    pk_value_t *vars = pk_pipeline_vars_new(json, kvs, 3, &err);
    assert_non_null(vars);
    assert_null(err);
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse(s_vars_src, vars, &diags);
    assert_int_equal(pk_diags_errors(diags), 0);
    assert_true(pk_value_number(pk_pipeline_variable(p, "n")->value) == 7.5);  // --var wins
    assert_string_equal(pk_value_string(pk_pipeline_variable(p, "s")->value), "from-cli");
    assert_true(pk_value_bool(pk_pipeline_variable(p, "flag")->value));
    const pk_variable_t *tok = pk_pipeline_variable(p, "tok");
    assert_false(tok->is_placeholder);            // a given value beats the secret
    assert_string_equal(pk_value_string(tok->value), "given");
    assert_string_equal(s_str(p->resources[0]->params, "note"), "7.5-from-cli-true");
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    pk_value_destroy(&vars);
    unlink(json);
    free(json);
}

static void
test_variables_errors(void **state)
{
    (void) state;
    const char *kvs[] = { "n=abc", "flag=yes", "sx=1" };
    char *err = NULL;
    pk_value_t *vars = pk_pipeline_vars_new(NULL, kvs, 3, &err);
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse(s_vars_src, vars, &diags);
    char *text = t_diags_text(diags);
    assert_string_equal(text,
        "1:1: warning: a value is given for \"sx\", which is not a declared variable; "
        "did you mean \"s\"?\n"
        "1:10: error: variable \"n\" must be a number; the value given is \"abc\"\n"
        "16:10: error: variable \"flag\" must be a bool; the value given is \"yes\"\n"
        "19:1: warning: resource type \"cron\" does not take param \"note\"\n");
    free(text);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    pk_value_destroy(&vars);

    t_expect("variable \"x\" {\n  type    = number\n  default = \"0x10\"\n}\n",
             "3:13: error: the default of variable \"x\" must be a number, not \"0x10\"");
    t_expect("variable \"x\" {\n  type = string\n}\n",
             "1:10: error: variable \"x\" has no value: set it with --var x=VALUE or --vars "
             "FILE, or give it a default");
    t_expect("variable \"x\" {\n  type = strng\n}\n",
             "2:10: error: unknown type \"strng\"; did you mean \"string\"?");
    t_expect("variable \"x\" {\n  type    = number\n  default = \"ten\"\n}\n",
             "3:13: error: the default of variable \"x\" must be a number, not \"ten\"");
    t_expect("variable \"a\" {\n  default = 1\n}\nvariable \"b\" {\n  default = var.a\n}\n",
             "5:13: error: the default of variable \"b\" cannot refer to other values");
    t_expect("variable \"a\" {\n  default = 1\n}\nvariable \"a\" {\n  default = 2\n}\n",
             "4:10: error: duplicate variable \"a\" (first defined at line 1)");
    t_expect("variable \"a\" {\n  secret \"file\" {\n    path = \"x\"\n  }\n}\n",
             "2:3: error: the secret of variable \"a\" needs a \"key\"");
    t_expect("variable \"a\" {\n  secret \"file\" {\n    key = var.b\n  }\n}\n"
             "variable \"b\" {\n  secret \"file\" {\n    key = var.a\n  }\n}\n",
             "2:3: error: the secret of variable \"a\" is part of a dependency cycle through "
             "secret path or key");

    // --vars / --var problems are reported before any parsing
    const char *bad[] = { "novalue" };
    assert_null(pk_pipeline_vars_new(NULL, bad, 1, &err));
    assert_string_equal(err, "--var \"novalue\": expected NAME=VALUE");
    free(err);
    const char *empty_name[] = { "=v" };
    assert_null(pk_pipeline_vars_new(NULL, empty_name, 1, &err));
    free(err);
    assert_null(pk_pipeline_vars_new("/nonexistent/vars.json", NULL, 0, &err));
    assert_string_equal(err, "--vars /nonexistent/vars.json: No such file or directory");
    free(err);
    char *notobj = t_temp_file("[1, 2]");
    assert_null(pk_pipeline_vars_new(notobj, NULL, 0, &err));
    assert_non_null(strstr(err, "must hold a JSON object"));
    free(err);
    unlink(notobj);
    free(notobj);
    char *broken = t_temp_file("{\"a\": ");
    assert_null(pk_pipeline_vars_new(broken, NULL, 0, &err));
    assert_non_null(strstr(err, "not valid JSON"));
    free(err);
    unlink(broken);
    free(broken);
}

// Hostile --var values and vars files never crash the decoder.
static void
test_variables_never_crash(void **state)
{
    (void) state;
    const char *values[] = { "", "1e999", "-0", "nan", "0x10", "true ", "\xff\xfe", "${x}" };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char *kv[4];
        assert_true(asprintf(&kv[0], "n=%s", values[i]) > 0);
        assert_true(asprintf(&kv[1], "s=%s", values[i]) > 0);
        assert_true(asprintf(&kv[2], "flag=%s", values[i]) > 0);
        assert_true(asprintf(&kv[3], "tok=%s", values[i]) > 0);
        char *err = NULL;
        pk_value_t *vars = pk_pipeline_vars_new(NULL, (const char *const *) kv, 4, &err);
        assert_non_null(vars);
        pk_diags_t *diags;
        pk_pipeline_t *p = t_parse(s_vars_src, vars, &diags);
        pk_pipeline_destroy(&p);
        pk_diags_destroy(&diags);
        pk_value_destroy(&vars);
        for (int k = 0; k < 4; k++)
            free(kv[k]);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variables_defaults_and_secrets),
        cmocka_unit_test(test_variables_supplied),
        cmocka_unit_test(test_variables_errors),
        cmocka_unit_test(test_variables_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
