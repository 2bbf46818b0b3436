// test_condition: the `if` condition language (pipeline/pk_condition). Each
// case evaluates a condition against a small variable table; the injection
// cases put operator and quote characters inside variable values and check
// they are compared as data.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "pk_condition.h"

static const char *const s_vars[][2] = {
    { "ENV", "production" },
    { "EMPTY", "" },
    { "ZERO", "0" },
    { "FALSE", "False" },
    { "TEN", "10" },
    { "NINE", "9" },
    { "NINE_AND_A_HALF", "9.5" },
    { "WORD", "banana" },
    { "INJECT", "' || 'a" },
    { "OR", "||" },
    { "SPACED", "a b" },
    { "PAREN", ")" },
    { "BANG", "!x" },
    { "NESTED", "$ENV" },
    { NULL, NULL }
};

static const char *
s_lookup(const char *name, void *arg)
{
    (void) arg;
    for (size_t i = 0; s_vars[i][0]; i++)
        if (!strcmp(s_vars[i][0], name))
            return s_vars[i][1];
    return NULL;
}

static bool
s_eval(const char *text)
{
    bool result = false;
    char *err = NULL;
    int rc = pk_condition_evaluate(text, s_lookup, NULL, &result, &err);
    if (rc != 0)
        fail_msg("condition %s did not parse: %s", text, err ? err : "?");
    free(err);
    return result;
}

// The parse error for text (caller frees), failing when it parses.
static char *
s_error(const char *text)
{
    char *err = NULL;
    pk_condition_t *c = pk_condition_new(text, &err);
    if (c) {
        pk_condition_destroy(&c);
        fail_msg("condition %s parsed but should not", text);
    }
    assert_non_null(err);
    return err;
}

static void
test_equality(void **state)
{
    (void) state;
    assert_true(s_eval("$ENV == 'production'"));
    assert_false(s_eval("$ENV == 'staging'"));
    assert_true(s_eval("$ENV != 'staging'"));
    assert_true(s_eval("production == $ENV"));
    assert_true(s_eval("'$ENV' == production"));        // quoted operands expand too
    assert_true(s_eval("${ENV} == production"));
    // == compares text, even for numbers: "1.0" is not "1"
    assert_false(s_eval("'1.0' == '1'"));
    assert_true(s_eval("$UNSET == ''"));
    assert_true(s_eval("$UNSET_PREFIX$ENV == production"));
}

static void
test_numeric_and_lexical(void **state)
{
    (void) state;
    assert_true(s_eval("$TEN > $NINE"));                // numeric: 10 > 9
    assert_false(s_eval("'10' < '9'"));
    assert_true(s_eval("$NINE < $NINE_AND_A_HALF"));
    assert_true(s_eval("-1 < 0"));
    // one side not a number: byte-wise, where "10" < "9"
    assert_true(s_eval("'10' < '9a'"));
    assert_true(s_eval("apple < banana"));
    assert_false(s_eval("$WORD > cherry"));
    assert_false(s_eval("' 10' > 9"));                  // leading space: not a number
}

static void
test_contains(void **state)
{
    (void) state;
    assert_true(s_eval("$WORD contains nan"));
    assert_false(s_eval("$WORD contains xyz"));
    assert_true(s_eval("$WORD !contains xyz"));
    assert_false(s_eval("$WORD !contains ban"));
    assert_true(s_eval("'a b c' contains 'b c'"));
    assert_true(s_eval("contains == contains"));         // a bare word in value position
    assert_true(s_eval("$WORD contains''"));
}

static void
test_logic_and_parens(void **state)
{
    (void) state;
    assert_true(s_eval("$ENV == production && $TEN > 5"));
    assert_false(s_eval("$ENV == production && $TEN < 5"));
    assert_true(s_eval("$ENV == staging || $TEN > 5"));
    // && binds tighter than ||
    assert_true(s_eval("a == a || a == b && b == c"));
    assert_false(s_eval("(a == a || a == b) && b == c"));
    assert_true(s_eval("((($ENV == production)))"));
    assert_true(s_eval("(a == b) == ''"));              // a group is "true" or "" as a value
    assert_true(s_eval("a==a&&b!=c"));                  // operators need no spaces
}

static void
test_truthiness(void **state)
{
    (void) state;
    assert_true(s_eval("$ENV"));
    assert_false(s_eval("$EMPTY"));
    assert_false(s_eval("$UNSET"));
    assert_false(s_eval("$ZERO"));
    assert_false(s_eval("$FALSE"));                     // any case
    assert_false(s_eval("false"));
    assert_true(s_eval("'0.0'"));
    assert_true(s_eval("true"));
    assert_true(s_eval(""));                            // empty condition: true
    assert_true(s_eval("   "));
}

static void
test_no_injection(void **state)
{
    (void) state;
    // INJECT holds: ' || 'a -- spliced into the text this would be true
    assert_false(s_eval("'$INJECT' == 'x'"));
    assert_false(s_eval("$INJECT == x"));
    assert_true(s_eval("$INJECT contains '||'"));
    assert_true(s_eval("$OR"));                          // "||" is just a non-empty value
    assert_true(s_eval("$OR == $OR"));
    assert_true(s_eval("$SPACED == 'a b'"));
    assert_true(s_eval("$PAREN == $PAREN"));
    assert_true(s_eval("$BANG == $BANG"));              // "!" from a value is data
    // expansion is single pass: a value holding "$ENV" stays literal
    assert_false(s_eval("$NESTED == production"));
    char *x = pk_condition_expand("$NESTED", s_lookup, NULL);
    assert_string_equal(x, "$ENV");
    free(x);
}

static void
test_expand(void **state)
{
    (void) state;
    const char *cases[][2] = {
        { "$ENV", "production" }, { "${ENV}x", "productionx" }, { "$ENVx", "" },
        { "a$", "a$" }, { "$1", "$1" }, { "${ENV", "${ENV" }, { "$$ENV", "$production" },
        { "cost: $", "cost: $" }, { "${}", "${}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = pk_condition_expand(cases[i][0], s_lookup, NULL);
        assert_non_null(out);
        assert_string_equal(out, cases[i][1]);
        free(out);
    }
}

static void
test_errors(void **state)
{
    (void) state;
    const char *cases[][2] = {
        { "!$FLAG", "\"!\" at character 1: negation is not supported; compare explicitly "
                    "instead (e.g. $X == 'false')" },
        { "a == !b", "\"!\" at character 6: negation is not supported; compare explicitly "
                     "instead (e.g. $X == 'false')" },
        { "a ==", "expected a value after \"==\" at character 3" },
        { "a contains", "expected a value after \"contains\" at character 3" },
        { "'abc", "unterminated quoted string starting at character 1" },
        { "(a == b", "expected \")\" at end of condition" },
        { "a == b)", "unexpected text after the condition, found \")\" at character 7" },
        { "a b", "expected an operator (==, !=, <, >, contains, !contains, &&, ||), "
                 "found \"b\" at character 3" },
        { "a = b", "expected an operator (==, !=, <, >, contains, !contains, &&, ||), "
                   "found \"=\" at character 3" },
        { "== a", "expected a value, found \"==\" at character 1" },
        { "a == b &&", "expected a value at end of condition" },
        { "|| a", "expected a value, found \"||\" at character 1" },
        { "()", "expected a value, found \")\" at character 2" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *err = s_error(cases[i][0]);
        if (strcmp(err, cases[i][1]))
            fail_msg("condition %s: got error \"%s\", want \"%s\"", cases[i][0], err,
                     cases[i][1]);
        free(err);
    }
}

static void
test_deep_nesting(void **state)
{
    (void) state;
    // Hostile nesting must fail cleanly instead of exhausting the stack.
    size_t n = 10000;
    char *text = malloc(2 * n + 2);
    memset(text, '(', n);
    text[n] = 'a';
    memset(text + n + 1, ')', n);
    text[2 * n + 1] = '\0';
    char *err = s_error(text);
    assert_non_null(strstr(err, "nested deeper than"));
    free(err);
    free(text);
    // Long flat chains are fine.
    size_t terms = 5000;
    char *chain = malloc(terms * 10 + 1), *at = chain;
    for (size_t i = 0; i < terms; i++)
        at = stpcpy(at, i ? " || a == b" : "a == b");
    assert_false(s_eval(chain));
    free(chain);
}

static void
test_reuse(void **state)
{
    (void) state;
    // Parsed once, evaluated many times against different variables.
    pk_condition_t *c = pk_condition_new("$ENV == production", NULL);
    assert_non_null(c);
    assert_true(pk_condition_eval(c, s_lookup, NULL));
    assert_false(pk_condition_eval(c, NULL, NULL));
    pk_condition_destroy(&c);
    assert_null(c);
    pk_condition_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_numeric_and_lexical),
        cmocka_unit_test(test_contains),
        cmocka_unit_test(test_logic_and_parens),
        cmocka_unit_test(test_truthiness),
        cmocka_unit_test(test_no_injection),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
