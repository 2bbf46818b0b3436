// Function library tests, one case per family (string, format, collection,
// numeric, conversion, encoding, set, regex, time), with results checked
// against Terraform/cty behaviour (the differential test compares the same
// calls with the Go implementation), plus the error wording.
#include "test_hcl_util.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#define EXPECT(expr, want) s_expect(expr, want, __LINE__)

static void
s_expect(const char *expr, const char *want, int line)
{
    char *got = thu_eval(expr);
    bool is_err = strncmp(want, "error:", 6) == 0;
    if (!got || (is_err ? !strstr(got, want + 7) || strncmp(got, "error:", 6) : strcmp(got, want) != 0))
        fail_msg("line %d: %s\n got: %s\nwant: %s", line, expr, got ? got : "(null)", want);
    free(got);
}

static void
test_names(void **state)
{
    (void) state;
    static const char *required[] = {
        "chomp", "endswith", "format", "formatlist", "indent", "join", "lower", "replace", "split",
        "startswith", "strcontains", "strlen", "strrev", "substr", "title", "trim", "trimprefix",
        "trimsuffix", "trimspace", "upper", "alltrue", "anytrue", "chunklist", "coalesce", "coalescelist",
        "compact", "concat", "contains", "distinct", "element", "flatten", "index", "keys", "length",
        "lookup", "merge", "one", "range", "reverse", "slice", "sort", "sum", "transpose", "values",
        "zipmap", "abs", "ceil", "floor", "log", "max", "min", "parseint", "pow", "signum", "base64decode",
        "base64encode", "csvdecode", "jsondecode", "jsonencode", "urlencode", "toset", "setproduct",
        "setintersection", "setunion", "setsubtract", "setsymmetricdifference", "tobool", "tolist", "tomap",
        "tonumber", "tostring", "regex", "regexall", "regexreplace", "formatdate", "timeadd", "timestamp",
    };
    const char *const *names = pk_hcl_function_names();
    size_t n = 0;
    for (; names[n]; n++)
        if (n > 0 && strcmp(names[n - 1], names[n]) >= 0)
            fail_msg("function table not sorted at %s", names[n]);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        bool found = false;
        for (size_t k = 0; k < n; k++)
            found |= strcmp(names[k], required[i]) == 0;
        if (!found)
            fail_msg("missing function %s", required[i]);
    }
}

static void
test_strings(void **state)
{
    (void) state;
    EXPECT("chomp(\"hello\\n\\r\\n\")", "\"hello\"");
    EXPECT("endswith(\"hello\", \"lo\")", "true");
    EXPECT("startswith(\"hello\", \"lo\")", "false");
    EXPECT("strcontains(\"hello\", \"ell\")", "true");
    EXPECT("indent(2, \"a\\nb\")", "\"a\\n  b\"");
    EXPECT("join(\", \", [\"a\", \"b\"], [\"c\"])", "\"a, b, c\"");
    EXPECT("join(\"-\", [1, true])", "\"1-true\"");
    EXPECT("lower(\"HeLLo ÀÉ\")", "\"hello àé\"");
    EXPECT("upper(\"hello àé\")", "\"HELLO ÀÉ\"");
    EXPECT("replace(\"a-b-c\", \"-\", \"+\")", "\"a+b+c\"");
    EXPECT("replace(\"hello world\", \"/o(.)/\", \"0$1\")", "\"hell0 w0rld\"");
    EXPECT("replace(\"abc\", \"\", \"-\")", "\"-a-b-c-\"");
    EXPECT("split(\",\", \"a,b,,c\")", "[\"a\",\"b\",\"\",\"c\"]");
    EXPECT("split(\",\", \"\")", "[\"\"]");
    EXPECT("strlen(\"héllo🚀\")", "6");
    EXPECT("strlen(\"e\\u0301\")", "1");
    EXPECT("strrev(\"abc🚀\")", "\"🚀cba\"");
    EXPECT("substr(\"hello world\", 1, 4)", "\"ello\"");
    EXPECT("substr(\"hello\", -3, -1)", "\"llo\"");
    EXPECT("substr(\"hello\", 10, 2)", "\"\"");
    EXPECT("title(\"hello world-foo_bar\")", "\"Hello World-Foo_bar\"");
    EXPECT("trim(\"?!hello?!\", \"!?\")", "\"hello\"");
    EXPECT("trimprefix(\"helloworld\", \"hello\")", "\"world\"");
    EXPECT("trimsuffix(\"helloworld\", \"world\")", "\"hello\"");
    EXPECT("trimspace(\"  \\t hi \\n \")", "\"hi\"");
    EXPECT("\"e\\u0301\" == \"\\u00e9\"", "true");      // strings are NFC-normalised, as in cty
    EXPECT("indent(-1, \"x\")", "error: Invalid value for \"spaces\" parameter: the number of spaces must not be negative.");
}

static void
test_format(void **state)
{
    (void) state;
    EXPECT("format(\"%s-%d-%05.2f|%-5s|%5s|\", \"a\", 42, 3.14159, \"ab\", \"cd\")", "\"a-42-03.14|ab   |   cd|\"");
    EXPECT("format(\"%x %X %o %b %#x %+d %t\", 255, 255, 8, 5, 255, 5, true)", "\"ff FF 10 101 0xff +5 true\"");
    EXPECT("format(\"%q %v %#v\", \"q\\\"<\", [1, \"a\"], {a = 1})", "\"\\\"q\\\\\\\"\\\\u003c\\\" [1,\\\"a\\\"] {\\\"a\\\":1}\"");
    EXPECT("format(\"%[2]s %[1]s %s\", \"x\", \"y\")", "\"y x y\"");
    EXPECT("format(\"%v %v %v\", 1234567, 0.000012, 100)", "\"1.234567e+06 1.2e-05 100\"");
    EXPECT("format(\"%e %.3g %8.2f|\", 1234.5678, 3.14159, 2.5)", "\"1.234568e+03 3.14     2.50|\"");
    EXPECT("format(\"%.2s|%5.1s\", \"héllo\", \"abc\")", "\"hé|    a\"");
    EXPECT("format(\"100%%\")", "\"100%\"");
    EXPECT("formatlist(\"%s=%d\", [\"a\", \"b\"], [1, 2])", "[\"a=1\",\"b=2\"]");
    EXPECT("formatlist(\"%s-%s\", \"p\", [\"x\", \"y\"])", "[\"p-x\",\"p-y\"]");
    EXPECT("format(\"%d\", 1.5)", "error: an integer is required");
    EXPECT("format(\"%s %s\", \"a\")", "error: not enough arguments for \"%s\" at 3: need index 2 but have 1 total");
    EXPECT("format(\"%s\", \"a\", \"b\")", "error: too many arguments; only 1 used by format string");
    EXPECT("format(\"%s\", null)", "error: null value cannot be formatted");
    EXPECT("formatlist(\"%s%s\", [1], [1, 2])", "error: argument 2 has length 2, which is inconsistent with argument 1 of length 1");
}

static void
test_collections(void **state)
{
    (void) state;
    EXPECT("alltrue([true, \"true\"])", "true");
    EXPECT("alltrue([])", "true");
    EXPECT("anytrue([false, null])", "false");
    EXPECT("chunklist([1, 2, 3, 4, 5], 2)", "[[1,2],[3,4],[5]]");
    EXPECT("coalesce(null, \"\", \"b\")", "\"b\"");
    EXPECT("coalesce(1, \"2\")", "\"1\"");
    EXPECT("coalescelist([], [1, 2])", "[1,2]");
    EXPECT("compact([\"a\", \"\", null, \"b\"])", "[\"a\",\"b\"]");
    EXPECT("concat([1], [2, 3], [])", "[1,2,3]");
    EXPECT("contains([\"a\", \"b\"], \"b\")", "true");
    EXPECT("distinct([1, 2, 1, 3, 2])", "[1,2,3]");
    EXPECT("element([\"a\", \"b\", \"c\"], 5)", "\"c\"");
    EXPECT("flatten([[1, [2, 3]], 4, []])", "[1,2,3,4]");
    EXPECT("index([\"a\", \"b\"], \"b\")", "1");
    EXPECT("keys({b = 1, a = 2})", "[\"a\",\"b\"]");
    EXPECT("length(\"héllo\")", "5");
    EXPECT("length(var.obj)", "2");
    EXPECT("lookup({a = 1}, \"b\", \"def\")", "\"def\"");
    EXPECT("merge({a = 1, b = 2}, {b = 3}, null)", "{\"a\":1,\"b\":3}");
    EXPECT("one([])", "null");
    EXPECT("one([\"x\"])", "\"x\"");
    EXPECT("range(3)", "[0,1,2]");
    EXPECT("range(10, 0, -3)", "[10,7,4,1]");
    EXPECT("range(0, 1, 0.25)", "[0,0.25,0.5,0.75]");
    EXPECT("reverse([1, 2, 3])", "[3,2,1]");
    EXPECT("slice([1, 2, 3, 4], 1, 3)", "[2,3]");
    EXPECT("sort([\"b\", \"a\", \"10\", \"9\"])", "[\"10\",\"9\",\"a\",\"b\"]");
    EXPECT("sum([1, 2.5, \"3\"])", "6.5");
    EXPECT("transpose({a = [\"1\", \"2\"], b = [\"2\", \"3\"]})", "{\"1\":[\"a\"],\"2\":[\"a\",\"b\"],\"3\":[\"b\"]}");
    EXPECT("values({b = 1, a = 2})", "[2,1]");
    EXPECT("zipmap([\"a\", \"b\"], [1, 2])", "{\"a\":1,\"b\":2}");
    EXPECT("element([], 0)", "error: cannot use element function with an empty list");
    EXPECT("sum([])", "error: cannot sum an empty list");
    EXPECT("range(2000)", "error: more than 1024 values were generated");
    EXPECT("lookup({a = 1}, \"b\")", "error: lookup failed to find key \"b\"");
    EXPECT("one([1, 2])", "error: must be a list, set, or tuple value with either zero or one elements");
    EXPECT("slice([1, 2], 2, 1)", "error: start index must not be greater than end index");
    EXPECT("zipmap([\"a\"], [1, 2])", "error: number of keys (1) does not match number of values (2)");
    EXPECT("coalesce(null, \"\")", "error: no non-null, non-empty-string arguments");
}

static void
test_numbers_and_conversions(void **state)
{
    (void) state;
    EXPECT("abs(-3.5)", "3.5");
    EXPECT("ceil(1.2)", "2");
    EXPECT("floor(-1.2)", "-2");
    EXPECT("log(8, 2)", "3");
    EXPECT("max(1, 5, 3)", "5");
    EXPECT("min(4, -1)", "-1");
    EXPECT("parseint(\"ff\", 16)", "255");
    EXPECT("parseint(\"-101\", 2)", "-5");
    EXPECT("pow(2, 10)", "1024");
    EXPECT("signum(-5)", "-1");
    EXPECT("parseint(\"12\", 1)", "error: base must be a whole number between 2 and 62 inclusive");
    EXPECT("parseint(\"1g\", 16)", "error: cannot parse \"1g\" as a base 16 integer");
    EXPECT("tobool(\"true\")", "true");
    EXPECT("tobool(null)", "null");
    EXPECT("tolist([\"a\", 1])", "[\"a\",\"1\"]");
    EXPECT("tomap({a = 1, b = \"x\"})", "{\"a\":\"1\",\"b\":\"x\"}");
    EXPECT("tonumber(\"42.5\")", "42.5");
    EXPECT("tostring(5)", "\"5\"");
    EXPECT("tonumber(\"abc\")", "error: cannot convert \"abc\" to number");
    EXPECT("tostring([1])", "error: cannot convert list to string");
    EXPECT("tobool(1)", "error: cannot convert number to bool");
}

static void
test_encoding(void **state)
{
    (void) state;
    EXPECT("base64encode(\"hello wörld\")", "\"aGVsbG8gd8O2cmxk\"");
    EXPECT("base64decode(\"aGVsbG8=\")", "\"hello\"");
    EXPECT("base64decode(base64encode(\"round trip\"))", "\"round trip\"");
    EXPECT("csvdecode(\"a,b\\n1,2\\n\\\"x,y\\\",\\\"q\\\"\\\"z\\\"\\n\")",
           "[{\"a\":\"1\",\"b\":\"2\"},{\"a\":\"x,y\",\"b\":\"q\\\"z\"}]");
    EXPECT("jsondecode(\"{\\\"a\\\":[1,2,{\\\"b\\\":null}],\\\"c\\\":\\\"\\\\u00e9\\\"}\")",
           "{\"a\":[1,2,{\"b\":null}],\"c\":\"é\"}");
    EXPECT("jsonencode({a = [1, \"x\", true, null], b = \"<&>\"})",
           "\"{\\\"a\\\":[1,\\\"x\\\",true,null],\\\"b\\\":\\\"\\\\u003c\\\\u0026\\\\u003e\\\"}\"");
    EXPECT("urlencode(\"a b&c=d/é~\")", "\"a+b%26c%3Dd%2F%C3%A9~\"");
    EXPECT("csvdecode(\"a,\\n1,\\n\")", "[{\"\":\"\",\"a\":\"1\"}]");     // empty fields (fuzz regression)
    EXPECT("base64decode(\"!!!\")", "error: failed to decode base64 data");
    EXPECT("base64decode(\"/w==\")", "error: not valid UTF-8");
    EXPECT("csvdecode(\"a,b\\n1\\n\")", "error: CSV parse error on line 2: wrong number of fields");
    EXPECT("jsondecode(\"{bad\")", "error: Invalid value for \"str\" parameter");
}

static void
test_sets(void **state)
{
    (void) state;
    EXPECT("toset([\"b\", \"a\", \"b\"])", "[\"a\",\"b\"]");
    EXPECT("toset([3, 1, 10])", "[1,3,10]");
    EXPECT("setproduct([\"a\", \"b\"], [1, 2])", "[[\"a\",1],[\"a\",2],[\"b\",1],[\"b\",2]]");
    EXPECT("setintersection([\"a\", \"b\", \"c\"], [\"b\", \"c\", \"d\"], [\"c\", \"b\"])", "[\"b\",\"c\"]");
    EXPECT("setunion([\"a\"], [\"b\", \"a\"])", "[\"a\",\"b\"]");
    EXPECT("setsubtract([\"a\", \"b\", \"c\"], [\"b\"])", "[\"a\",\"c\"]");
    EXPECT("setsymmetricdifference([\"a\", \"b\"], [\"b\", \"c\"])", "[\"a\",\"c\"]");
    EXPECT("setunion([\"a\"], [1])", "[\"1\",\"a\"]");
    EXPECT("toset([[1], [\"a\"]])", "[[\"1\"],[\"a\"]]");          // unified element-wise
    EXPECT("setproduct(range(1000), range(1000))", "error: more than the 1000000 allowed");
}

static void
test_regex(void **state)
{
    (void) state;
    EXPECT("regex(\"[a-z]+\", \"123abc456\")", "\"abc\"");
    EXPECT("regex(\"(\\\\d+)-(\\\\d+)\", \"x 12-34 y\")", "[\"12\",\"34\"]");
    EXPECT("regex(\"(?P<first>\\\\w+) (?P<last>\\\\w+)\", \"John Smith\")", "{\"first\":\"John\",\"last\":\"Smith\"}");
    EXPECT("regexall(\"\\\\d\", \"a1b2c3\")", "[\"1\",\"2\",\"3\"]");
    EXPECT("regexall(\"a*\", \"baaac\")", "[\"\",\"aaa\",\"\"]");
    EXPECT("regexreplace(\"2024-01-02\", \"(\\\\d+)-(\\\\d+)-(\\\\d+)\", \"$3/$2/$1\")", "\"02/01/2024\"");
    EXPECT("regexreplace(\"abc\", \"x*\", \"-\")", "\"-a-b-c-\"");
    EXPECT("regex(\"(?i)HELLO\", \"say hello\")", "\"hello\"");
    EXPECT("regex(\"(?:ab)+(c)\", \"ababc\")", "[\"c\"]");
    EXPECT("regex(\"(a)|(b)\", \"b\")", "[null,\"b\"]");
    EXPECT("regex(\"x\", \"abc\")", "error: pattern did not match any part of the given string");
    EXPECT("regex(\"a+?\", \"aa\")", "error: non-greedy repetition is not supported");
    EXPECT("regex(\"(a)\\\\1\", \"aa\")", "error: invalid escape sequence");
    EXPECT("regex(\"((a{1000}){1000}){1000}\", \"a\")", "error: expression too large");
    EXPECT("regex(\"(\", \"a\")", "error: invalid regexp pattern");
}

static void
test_time(void **state)
{
    (void) state;
    EXPECT("formatdate(\"YYYY-MM-DD hh:mm:ss ZZZZZ\", \"2018-01-02T23:12:01Z\")", "\"2018-01-02 23:12:01 +00:00\"");
    EXPECT("formatdate(\"EEEE, DD-MMM-YY HH:mm:ss AA\", \"2018-01-02T23:12:01-08:00\")",
           "\"Tuesday, 02-Jan-18 11:12:01 PM\"");
    EXPECT("formatdate(\"MMMM D, YYYY 'at' h:mm Z\", \"2024-02-29T09:05:00+05:30\")",
           "\"February 29, 2024 at 9:05 +05:30\"");
    EXPECT("formatdate(\"'it''s' ZZZ\", \"2018-01-02T23:12:01Z\")", "\"it's UTC\"");
    EXPECT("timeadd(\"2017-11-22T00:00:00Z\", \"10m\")", "\"2017-11-22T00:10:00Z\"");
    EXPECT("timeadd(\"2017-11-22T00:00:00+01:00\", \"-1h30m\")", "\"2017-11-21T22:30:00+01:00\"");
    EXPECT("timeadd(\"2020-02-28T12:00:00Z\", \"24h\")", "\"2020-02-29T12:00:00Z\"");
    EXPECT("formatdate(\"YYY\", \"2018-01-02T23:12:01Z\")", "error: invalid date format verb \"YYY\"");
    EXPECT("timeadd(\"bad\", \"1h\")", "error: not a valid RFC3339 timestamp");
    EXPECT("timeadd(\"2017-11-22T00:00:00Z\", \"1x\")", "error: time: invalid duration \"1x\"");
    // timestamp() is now, in UTC, to the second.
    char *got = thu_eval("timestamp()");
    time_t before = time(NULL);
    struct tm tm = { 0 };
    assert_non_null(strptime(got + 1, "%Y-%m-%dT%H:%M:%SZ", &tm));
    time_t when = timegm(&tm);
    assert_true(when >= before - 5 && when <= before + 5);
    free(got);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_collections),
        cmocka_unit_test(test_numbers_and_conversions),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
