// "did you mean" suggestions: typos users actually make in pipelines.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "pk_suggest.h"

static void
test_distance(void **state)
{
    (void) state;
    assert_int_equal(pk_edit_distance("", ""), 0);
    assert_int_equal(pk_edit_distance("task", "task"), 0);
    assert_int_equal(pk_edit_distance("tsk", "task"), 1);
    assert_int_equal(pk_edit_distance("triggr", "trigger"), 1);
    assert_int_equal(pk_edit_distance("tirgger", "trigger"), 1);   // swap counts once
    assert_int_equal(pk_edit_distance("kitten", "sitting"), 3);
}

static void
test_suggest(void **state)
{
    (void) state;
    const char *steps[] = { "get", "task", "put", "notify", "service", "in_parallel", NULL };
    assert_string_equal(pk_suggest("tsk", steps), "task");
    assert_string_equal(pk_suggest("servcie", steps), "service");
    assert_string_equal(pk_suggest("in_paralel", steps), "in_parallel");
    assert_null(pk_suggest("zzzzzz", steps));
    assert_null(pk_suggest("task", steps));   // exact match is not a suggestion
    const char *attrs[] = { "trigger", "passed", NULL };
    assert_string_equal(pk_suggest("triggr", attrs), "trigger");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_suggest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
