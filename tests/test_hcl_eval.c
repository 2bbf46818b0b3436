// Evaluator tests: literals, every operator and their precedence and
// associativity, conversions, conditionals, templates with directives and
// strip markers, heredocs, for expressions, splats, indexing, and the exact
// wording and position of evaluation errors (with did-you-mean hints).
#include "test_hcl_util.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define EXPECT(expr, want) s_expect(expr, want, __LINE__)

static void
s_expect(const char *expr, const char *want, int line)
{
    char *got = thu_eval(expr);
    if (!got || strncmp(got, want, strlen(want)) != 0 || (strncmp(want, "error:", 6) && strlen(got) != strlen(want)))
        fail_msg("line %d: %s\n got: %s\nwant: %s", line, expr, got ? got : "(null)", want);
    free(got);
}

static void
test_literals(void **state)
{
    (void) state;
    EXPECT("1", "1");
    EXPECT("1.5e2", "150");
    EXPECT("true", "true");
    EXPECT("null", "null");
    EXPECT("\"a\\tb\\\"\\\\\\u00e9\\U0001F680\"", "\"a\\tb\\\"\\\\é🚀\"");
    EXPECT("[1, \"a\", [true], {}]", "[1,\"a\",[true],{}]");
    EXPECT("{b = 1, a: 2, \"c d\" = 3, (var.name) = 4, 5 = 6, true = 7}",
           "{\"5\":6,\"a\":2,\"b\":1,\"c d\":3,\"pikoci\":4,\"true\":7}");
    EXPECT("{a = 1, a = 2}", "{\"a\":2}");
}

static void
test_operators(void **state)
{
    (void) state;
    EXPECT("1 + 2 * 3", "7");
    EXPECT("(1 + 2) * 3", "9");
    EXPECT("10 - 4 - 3", "3");              // left associative
    EXPECT("2 * 6 / 3 % 3", "1");
    EXPECT("7 % 3", "1");
    EXPECT("-7 % 3", "-1");
    EXPECT("5.5 % 2", "1.5");
    EXPECT("-2 + 5", "3");                  // unary binds tighter
    EXPECT("- - 2", "2");
    EXPECT("1 / 4", "0.25");
    EXPECT("0.1 + 0.2", "0.3");
    EXPECT("\"5\" + 1", "6");
    EXPECT("1 < 2", "true");
    EXPECT("2 <= 2", "true");
    EXPECT("1 > 2", "false");
    EXPECT("2 >= 3", "false");
    EXPECT("1 + 1 == 2", "true");           // arithmetic before equality
    EXPECT("1 < 2 == 2 > 1", "true");       // comparison before equality
    EXPECT("1 == \"1\"", "false");          // different types are never equal
    EXPECT("[1, \"a\"] == [1, \"a\"]", "true");
    EXPECT("{a = 1} != {a = 2}", "true");
    EXPECT("null == null", "true");
    EXPECT("true || false && false", "true");   // && before ||
    EXPECT("!true || true", "true");
    EXPECT("!(true || true)", "false");
    EXPECT("\"true\" && true", "true");
    EXPECT("var.n * var.pi", "10.5");
}

static void
test_operator_errors(void **state)
{
    (void) state;
    EXPECT("1 + \"x\"", "error: 1:9: Invalid operand; Unsuitable value for right operand: a number is required.");
    EXPECT("[] + 1", "error: 1:5: Invalid operand; Unsuitable value for left operand: a number is required.");
    EXPECT("!1", "error: 1:6: Invalid operand; Unsuitable value for unary operand: a bool is required.");
    EXPECT("-true", "error: 1:6: Invalid operand; Unsuitable value for unary operand: a number is required.");
    EXPECT("null + 1", "error: 1:5: Operation failed; Error during operation: argument must not be null.");
    EXPECT("1 / 0", "error: 1:5: Operation failed; Error during operation: can't divide by zero.");
    EXPECT("1e300 * 1e300", "error: 1:5: Operation failed; Error during operation: the result is out of range.");
    EXPECT("false && null", "error: 1:5: Operation failed");   // both operands are evaluated
}

static void
test_conditionals(void **state)
{
    (void) state;
    EXPECT("true ? 1 : 2", "1");
    EXPECT("false ? 1 : 2", "2");
    EXPECT("\"true\" ? \"y\" : \"n\"", "\"y\"");
    EXPECT("true ? 1 : \"a\"", "\"1\"");    // unified to string
    EXPECT("false ? 1 : null", "null");
    EXPECT("true ? false ? 1 : 2 : 3", "2");
    EXPECT("true ? [1, 2] : [\"a\"]", "[\"1\",\"2\"]");           // deep unification
    EXPECT("true ? {a = [1]} : {a = [\"s\"]}", "{\"a\":[\"1\"]}");
    EXPECT("true ? {a = 1} : {b = 2}", "{\"a\":1}");
    EXPECT("1 > 2 ? \"a\" : 1 < 2 ? \"b\" : \"c\"", "\"b\"");
    EXPECT("true ? 1 : var.nope", "1");     // errors in the branch not taken are dropped
    EXPECT("false ? 1 : var.nope", "error: 1:20: Unsupported attribute");
    EXPECT("null ? 1 : 2", "error: 1:5: Null condition");
    EXPECT("\"x\" ? 1 : 2", "error: 1:5: Incorrect condition type; The condition expression must be of type bool.");
    EXPECT("true ? 1 : false", "error: 1:12: Inconsistent conditional result types; The true and false result "
           "expressions must have consistent types. The 'true' value is number, but the 'false' value is bool.");
}

static void
test_templates(void **state)
{
    (void) state;
    EXPECT("\"a${1 + 1}b\"", "\"a2b\"");
    EXPECT("\"${1.0}|${0.5}|${true}|${var.name}\"", "\"1|0.5|true|pikoci\"");
    EXPECT("\"${var.n}\"", "3");            // a lone interpolation passes the value through
    EXPECT("\"${var.list}\"", "[\"a\",\"b\",\"c\"]");
    EXPECT("\"$WORKDIR/$${x}/%%{y}/100%\"", "\"$WORKDIR/${x}/%{y}/100%\"");
    EXPECT("\"%{ if var.flag }yes%{ else }no%{ endif }\"", "\"yes\"");
    EXPECT("\"%{ if !var.flag }yes%{ endif }\"", "\"\"");
    EXPECT("\"%{ for i, v in var.list }${i}${v},%{ endfor }\"", "\"0a,1b,2c,\"");
    EXPECT("\"%{ for k, v in var.obj }${k}=${v} %{ endfor }\"", "\"a=1 b=x \"");
    EXPECT("\"%{ for v in [true] }${v}%{ endfor }\"", "\"true\"");
    EXPECT("\"a ${~ \"b\" ~} c\"", "\"abc\"");
    EXPECT("\"${\"hello\" ~} ${\" world\"}\"", "\"hello world\"");
    EXPECT("\"x %{~ if true ~} y %{~ endif ~} z\"", "\"xyz\"");
    EXPECT("\"${null}\"", "null");
    EXPECT("\"a${null}\"", "error: 1:9: Invalid template interpolation value; The expression result is null.");
    EXPECT("\"a${[1]}\"", "error: 1:9: Invalid template interpolation value; Cannot include the given value in a "
           "string template: string required.");
}

static void
test_heredocs(void **state)
{
    (void) state;
    EXPECT("<<EOT\n  a\n    b\nEOT\n", "\"  a\\n    b\\n\"");
    EXPECT("<<-EOT\n    a\n      b\n\n    c\n    EOT\n", "\"a\\n  b\\n\\nc\\n\"");
    EXPECT("<<-EOT\n  ${var.name}\n    x\n  EOT\n", "\"pikoci\\n  x\\n\"");
    EXPECT("[\"-ec\", <<-EOT\n    cd app\n    make\n  EOT\n]", "[\"-ec\",\"cd app\\nmake\\n\"]");
    EXPECT("<<EOT\n%{ for v in var.nums ~}\n${v}\n%{ endfor ~}\nEOT\n", "\"1\\n2\\n3\\n\"");
    EXPECT("<<EOT\nEOT\n", "\"\"");
}

static void
test_for_expressions(void **state)
{
    (void) state;
    EXPECT("[for v in var.list: upper(v)]", "[\"A\",\"B\",\"C\"]");
    EXPECT("[for i, v in var.list: i]", "[0,1,2]");
    EXPECT("[for i, v in [\"a\", \"b\", \"c\"]: v if i < 2]", "[\"a\",\"b\"]");
    EXPECT("{for i, v in [\"a\", \"b\"]: v => i}", "{\"a\":0,\"b\":1}");
    EXPECT("{for i, v in [\"a\", \"a\", \"b\"]: v => i...}", "{\"a\":[0,1],\"b\":[2]}");
    EXPECT("[for k, v in {b = 1, a = 2}: k]", "[\"a\",\"b\"]");     // object keys in order
    EXPECT("[for v in toset([\"b\", \"a\", \"b\"]): v]", "[\"a\",\"b\"]");
    EXPECT("{for p in setproduct([\"l\", \"d\"], [\"x\"]): \"${p[0]}-${p[1]}\" => p}",
           "{\"d-x\":[\"d\",\"x\"],\"l-x\":[\"l\",\"x\"]}");
    EXPECT("[for x in [[1, 2], [3]]: [for y in x: y * 10]]", "[[10,20],[30]]");
    EXPECT("{for i, v in [\"a\", \"a\"]: v => i}", "error: 1:30: Duplicate object key");
    EXPECT("[for x in 5: x]", "error: 1:15: Iteration over non-iterable value; A value of type number cannot be used");
    EXPECT("[for x in null: x]", "error: 1:15: Iteration over null value");
    EXPECT("[for x in [1]: x if x]", "error: 1:25: Invalid 'for' condition");
    EXPECT("{for x in [null]: x => 1}", "error: 1:23: Invalid object key");
}

static void
test_splats_and_indexes(void **state)
{
    (void) state;
    EXPECT("var.list[*]", "[\"a\",\"b\",\"c\"]");
    EXPECT("[{a = 1}, {a = 2}][*].a", "[1,2]");
    EXPECT("[{a = [1]}, {a = [2]}].*.a", "[[1],[2]]");
    EXPECT("[{a = [1]}, {a = [2]}][*].a[0]", "[1,2]");
    EXPECT("[{a = [1]}, {a = [2]}].*.a[0]", "[1]");   // attribute-only splat ends before [0]
    EXPECT("var.name[*]", "[\"pikoci\"]");           // a non-list becomes a one-element list
    EXPECT("null[*]", "[]");
    EXPECT("var.nested.*.os", "[[\"linux\",\"darwin\"]]");
    EXPECT("var.list[1]", "\"b\"");
    EXPECT("var.list.1", "\"b\"");                   // legacy index
    EXPECT("var.list[\"2\"]", "\"c\"");
    EXPECT("var.obj[\"a\"]", "1");
    EXPECT("var.obj.b", "\"x\"");
    EXPECT("each.value.os", "\"linux\"");
    EXPECT("[1, 2, 3][var.n - 1]", "3");
    EXPECT("{a = {b = [10, 20]}}.a.b[1]", "20");
}

static void
test_errors(void **state)
{
    (void) state;
    EXPECT("vra.name", "error: 1:5: Unknown variable; There is no variable named \"vra\". Did you mean \"var\"?");
    EXPECT("nope", "error: 1:5: Unknown variable; There is no variable named \"nope\".");
    EXPECT("[for item in var.list: itme]", "error: 1:28: Unknown variable; There is no variable named \"itme\". "
           "Did you mean \"item\"?");
    EXPECT("var.nmae", "error: 1:8: Unsupported attribute; This object does not have an attribute named \"nmae\". "
           "Did you mean \"name\"?");
    EXPECT("uper(\"x\")", "error: 1:5: Call to unknown function; There is no function named \"uper\". Did you mean "
           "\"upper\"?");
    EXPECT("upper()", "error: 1:11: Not enough function arguments; Function \"upper\" expects 1 argument(s). "
           "Missing value for \"str\".");
    EXPECT("upper(\"a\", \"b\")", "error: 1:16: Too many function arguments; Function \"upper\" expects only 1 "
           "argument(s).");
    EXPECT("upper([])", "error: 1:11: Invalid function argument; Invalid value for \"str\" parameter: string required.");
    EXPECT("upper(null)", "error: 1:11: Invalid function argument; Invalid value for \"str\" parameter: argument "
           "must not be null.");
    EXPECT("var.list.x", "error: 1:13: Unsupported attribute; Can't access attributes on a list of objects.");
    EXPECT("var.name.x", "error: 1:13: Unsupported attribute; Can't access attributes on a primitive-typed value (string).");
    EXPECT("null.x", "error: 1:9: Attempt to get attribute from null value");
    EXPECT("var.list[3]", "error: 1:13: Invalid index; The given key does not identify an element in this collection "
           "value: the given index is greater than or equal to the length of the collection.");
    EXPECT("var.list[-1]", "error: 1:13: Invalid index; The given key does not identify an element in this "
           "collection value: a negative number is not a valid index for a sequence.");
    EXPECT("var.obj[\"z\"]", "error: 1:12: Invalid index; The given key does not identify an element in this "
           "collection value.");
    EXPECT("toset([1])[0]", "error: 1:15: Invalid index; Elements of a set are identified only by their value");
    EXPECT("var.list[null]", "error: 1:13: Invalid index; Can't use a null value as an indexing key.");
    EXPECT("concat([1], 2...)", "error: 1:17: Invalid expanding argument value; The expanding argument "
           "(indicated by ...) must be of a tuple, list, or set type.");
    EXPECT("{(null) = 1}", "error: 1:6: Null value as key");
    EXPECT("{([]) = 1}", "error: 1:6: Incorrect key type");
    EXPECT("{var.name = 1}", "error: 1:6: Ambiguous attribute key");
}

static void
test_expansion(void **state)
{
    (void) state;
    EXPECT("max(var.nums...)", "3");
    EXPECT("format(\"%s-%s\", [\"a\", \"b\"]...)", "\"a-b\"");
    EXPECT("concat([[1], [2]]...)", "[1,2]");
}

static void
test_resource_caps(void **state)
{
    (void) state;
    // Nested loops that would take forever stop with a clear error.
    char *got = thu_eval("[for a in range(1000): [for b in range(1000): [for c in range(1000): c]]]");
    assert_non_null(strstr(got, "Expression too complex"));
    free(got);
    // Values that double at every step stop at the size cap.
    char expr[2048] = "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"";
    for (int i = 0; i < 22; i++) {
        char next[4096];
        snprintf(next, sizeof next, "join(\"\", [for i in range(4): %s])", expr);
        if (strlen(next) >= sizeof expr)
            break;
        strcpy(expr, next);
    }
    got = thu_eval(expr);
    assert_non_null(strstr(got, "error:"));
    free(got);
    EXPECT("length(formatlist(\"%s\", range(1000)))", "1000");
    got = thu_eval("format(\"%99999999d\", 1)");
    assert_non_null(strstr(got, "larger than"));
    free(got);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_operator_errors),
        cmocka_unit_test(test_conditionals),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_heredocs),
        cmocka_unit_test(test_for_expressions),
        cmocka_unit_test(test_splats_and_indexes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_expansion),
        cmocka_unit_test(test_resource_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
