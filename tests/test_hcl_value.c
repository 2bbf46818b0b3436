// pk_value and pk_diag tests: ownership and copies, object key order,
// equality, number and string rendering, JSON in both directions (including
// hostile input), and diagnostic ordering and printing.
#include "pk_diag.h"
#include "pk_value.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void
test_scalars(void **state)
{
    (void) state;
    pk_value_t *v = pk_value_new_stringn("a\0b", 3);
    assert_int_equal(pk_value_kind(v), PK_V_STRING);
    assert_int_equal(pk_value_len(v), 3);
    assert_memory_equal(pk_value_string(v), "a\0b", 4);
    char *json = pk_value_to_json(v);
    assert_string_equal(json, "\"a\\u0000b\"");
    free(json);
    pk_value_destroy(&v);
    assert_null(v);
    pk_value_destroy(&v);       // destroying NULL is fine
    const struct { double n; const char *text; } nums[] = {
        { 3, "3" }, { -2.5, "-2.5" }, { 1e21, "1000000000000000000000" }, { 0.000001, "0.000001" },
        { 9007199254740991.0, "9007199254740991" }, { 1.0 / 3, "0.333333333333333" }, { -0.0, "0" },
    };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        v = pk_value_new_number(nums[i].n);
        char *s = pk_value_to_string(v);
        assert_string_equal(s, nums[i].text);
        free(s);
        pk_value_destroy(&v);
    }
    v = pk_value_new_bool(false);
    char *s = pk_value_to_string(v);
    assert_string_equal(s, "false");
    free(s);
    pk_value_destroy(&v);
    v = pk_value_new_null();
    assert_null(pk_value_to_string(v));
    assert_string_equal(pk_value_kind_name(pk_value_kind(v)), "null");
    pk_value_destroy(&v);
}

static void
test_containers(void **state)
{
    (void) state;
    pk_value_t *obj = pk_value_new_object();
    pk_value_object_set(obj, "b", pk_value_new_number(2));
    pk_value_object_set(obj, "a", pk_value_new_string("x"));
    pk_value_object_set(obj, "c", pk_value_new_list());
    pk_value_object_set(obj, "b", pk_value_new_bool(true));    // replaces
    assert_int_equal(pk_value_len(obj), 3);
    assert_string_equal(pk_value_object_key(obj, 0), "a");
    assert_string_equal(pk_value_object_key(obj, 1), "b");
    assert_true(pk_value_bool(pk_value_object_get(obj, "b")));
    assert_null(pk_value_object_get(obj, "zz"));
    assert_null(pk_value_object_key(obj, 3));
    pk_value_t *list = (pk_value_t *) pk_value_object_get(obj, "c");
    pk_value_list_append(list, pk_value_new_number(1));
    pk_value_t *copy = pk_value_dup(obj);
    assert_true(pk_value_equal(obj, copy));
    pk_value_object_set(copy, "a", pk_value_new_string("y"));
    assert_false(pk_value_equal(obj, copy));
    char *json = pk_value_to_json(obj);
    assert_string_equal(json, "{\"a\":\"x\",\"b\":true,\"c\":[1]}");
    free(json);
    assert_null(pk_value_list_at(list, 1));
    assert_false(pk_value_is_set(list));
    pk_value_destroy(&copy);
    pk_value_destroy(&obj);
}

static void
test_equality(void **state)
{
    (void) state;
    pk_value_t *a = pk_value_new_number(1), *b = pk_value_new_string("1"), *c = pk_value_new_number(1.0);
    assert_false(pk_value_equal(a, b));
    assert_true(pk_value_equal(a, c));
    pk_value_destroy(&a);
    pk_value_destroy(&b);
    pk_value_destroy(&c);
}

static void
test_json_round_trip(void **state)
{
    (void) state;
    const char *text = "{\"z\":[1,2.5,-3e2,true,false,null,\"\\u00e9\\ud83d\\ude80\\n\"],\"a\":{}}";
    char *err = NULL;
    pk_value_t *v = pk_value_from_json(text, strlen(text), &err);
    assert_non_null(v);
    assert_null(err);
    char *json = pk_value_to_json(v);
    assert_string_equal(json, "{\"a\":{},\"z\":[1,2.5,-300,true,false,null,\"é🚀\\n\"]}");
    pk_value_t *again = pk_value_from_json(json, strlen(json), NULL);
    assert_true(pk_value_equal(v, again));
    free(json);
    pk_value_destroy(&again);
    pk_value_destroy(&v);
}

static void
test_json_errors(void **state)
{
    (void) state;
    const char *bad[] = { "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "\"\\x\"", "tru", "[1] 2", "\"a\nb\"", "1e999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        pk_value_t *v = pk_value_from_json(bad[i], strlen(bad[i]), &err);
        if (v)
            fail_msg("accepted bad JSON %s", bad[i]);
        assert_non_null(err);
        free(err);
    }
    // Deep nesting is refused instead of recursing without bound.
    size_t n = 100000;
    char *deep = malloc(n + 1);
    memset(deep, '[', n);
    deep[n] = '\0';
    char *err = NULL;
    assert_null(pk_value_from_json(deep, n, &err));
    assert_non_null(strstr(err, "nesting too deep"));
    free(err);
    free(deep);
}

static void
test_diags(void **state)
{
    (void) state;
    pk_diags_t *diags = pk_diags_new();
    pk_range_t r2 = { { "b.hcl", 2, 1, 10 }, { "b.hcl", 2, 4, 13 } };
    pk_range_t r1 = { { "b.hcl", 1, 5, 4 }, { "b.hcl", 1, 6, 5 } };
    pk_range_t r0 = { { "a.hcl", 9, 9, 90 }, { "a.hcl", 9, 10, 91 } };
    pk_diags_error(diags, r2, "second %d", 2);
    pk_diags_warning(diags, r1, "first");
    pk_diags_error(diags, r0, "other file");
    pk_diags_error(diags, r1, "first too");
    assert_int_equal(pk_diags_count(diags), 4);
    assert_int_equal(pk_diags_errors(diags), 3);
    pk_diags_sort(diags);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pk_diags_print(diags, f);
    fclose(f);
    assert_string_equal(buf, "a.hcl:9:9: error: other file\n"
                             "b.hcl:1:5: warning: first\n"
                             "b.hcl:1:5: error: first too\n"
                             "b.hcl:2:1: error: second 2\n");
    free(buf);
    assert_null(pk_diags_at(diags, 4));
    pk_diags_destroy(&diags);
    assert_null(diags);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_errors),
        cmocka_unit_test(test_diags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
