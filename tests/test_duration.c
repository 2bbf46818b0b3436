// pk_duration: the Go duration forms pipelines use, the mistakes users make
// (and that each gets a message naming it), and format/parse round trips.
// The digit-for-digit agreement with Go's time.ParseDuration is checked
// separately against Go itself (tests/cron/duration_reference.go).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_duration.h"

#define MS  1LL
#define SEC (1000 * MS)
#define MIN (60 * SEC)
#define HR  (60 * MIN)

static int64_t
s_parse_ok(const char *text)
{
    int64_t ms = -12345;
    char *err = NULL;
    int rc = pk_duration_parse(text, &ms, &err);
    if (rc != 0)
        fail_msg("\"%s\" rejected: %s", text, err ? err : "(no message)");
    assert_null(err);
    return ms;
}

// The message must contain every given fragment.
static void
s_parse_fails(const char *text, const char *frag1, const char *frag2)
{
    int64_t ms = -12345;
    char *err = NULL;
    int rc = pk_duration_parse(text, &ms, &err);
    if (rc != -1)
        fail_msg("\"%s\" accepted as %lld ms", text ? text : "(null)", (long long) ms);
    assert_int_equal(ms, -12345);       // untouched on failure
    assert_non_null(err);
    if (!strstr(err, frag1) || (frag2 && !strstr(err, frag2)))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"%s%s", text ? text : "(null)", err, frag1,
                 frag2 ? " / " : "", frag2 ? frag2 : "");
    free(err);
    // And without a message buffer.
    assert_int_equal(pk_duration_parse(text, &ms, NULL), -1);
}

static void
test_valid(void **state)
{
    (void) state;
    assert_int_equal(s_parse_ok("0"), 0);
    assert_int_equal(s_parse_ok("+0"), 0);
    assert_int_equal(s_parse_ok("0s"), 0);
    assert_int_equal(s_parse_ok("0.0h"), 0);
    assert_int_equal(s_parse_ok("1s"), SEC);
    assert_int_equal(s_parse_ok("30s"), 30 * SEC);
    assert_int_equal(s_parse_ok("30m"), 30 * MIN);
    assert_int_equal(s_parse_ok("1m30s"), MIN + 30 * SEC);
    assert_int_equal(s_parse_ok("1h30m"), HR + 30 * MIN);
    assert_int_equal(s_parse_ok("2h45m10s"), 2 * HR + 45 * MIN + 10 * SEC);
    assert_int_equal(s_parse_ok("1h1m1s1ms"), HR + MIN + SEC + 1);
    assert_int_equal(s_parse_ok("1.5h"), HR + 30 * MIN);
    assert_int_equal(s_parse_ok(".5s"), 500);
    assert_int_equal(s_parse_ok("1.s"), SEC);
    assert_int_equal(s_parse_ok("1.25m"), MIN + 15 * SEC);
    assert_int_equal(s_parse_ok("250ms"), 250);
    assert_int_equal(s_parse_ok("1500us"), 1);                  // truncated to ms
    assert_int_equal(s_parse_ok("1500\xc2\xb5s"), 1);           // micro sign
    assert_int_equal(s_parse_ok("1500\xce\xbcs"), 1);           // Greek mu
    assert_int_equal(s_parse_ok("2000000ns"), 2);
    assert_int_equal(s_parse_ok("1h0m0s"), HR);
    assert_int_equal(s_parse_ok("10m10m"), 20 * MIN);           // Go adds repeats
    assert_int_equal(s_parse_ok("+5s"), 5 * SEC);
    assert_int_equal(s_parse_ok("0001s"), SEC);
    assert_int_equal(s_parse_ok("24h"), 24 * HR);
    // Go's limit: int64 nanoseconds.
    assert_int_equal(s_parse_ok("2562047h47m16.854775807s"), INT64_MAX / 1000000);
    assert_int_equal(s_parse_ok("9223372036854775807ns"), INT64_MAX / 1000000);
    // Excess fraction digits are dropped, as Go does.
    assert_int_equal(s_parse_ok("1.0000000000000000000000000001s"), SEC);
}

static void
test_invalid(void **state)
{
    (void) state;
    s_parse_fails(NULL, "missing", NULL);
    s_parse_fails("", "empty", NULL);
    s_parse_fails("-5s", "\"-5s\"", "negative");
    s_parse_fails("-0", "negative", NULL);
    s_parse_fails("10", "missing unit after \"10\"", "valid units: ns, us, ms, s, m, h");
    s_parse_fails("1h30", "missing unit after \"30\"", NULL);
    s_parse_fails("10x", "unknown unit \"x\" in duration \"10x\"", "valid units");
    s_parse_fails("5sec", "unknown unit \"sec\"", NULL);
    s_parse_fails("10S", "unknown unit \"S\"", "lower-case: \"s\"");
    s_parse_fails("1H30M", "unknown unit \"H\"", "lower-case: \"h\"");
    s_parse_fails("1d", "unknown unit \"d\"", "24h");
    s_parse_fails("h", "expected a number at \"h\"", NULL);
    s_parse_fails("1h.", "expected a number at \".\"", NULL);
    s_parse_fails(".s", "expected a number", NULL);
    s_parse_fails("+", "no number", NULL);
    s_parse_fails("10 s", "whitespace", NULL);
    s_parse_fails(" 10s", "whitespace", NULL);
    s_parse_fails("10s\n", "whitespace", NULL);
    s_parse_fails("1.5.3s", "missing unit after \"1.5\"", NULL);
    s_parse_fails("1us", "shorter than 1ms", NULL);
    s_parse_fails("999999ns", "shorter than 1ms", NULL);
    s_parse_fails("2562048h", "too large", NULL);
    s_parse_fails("9223372036854775808ns", "too large", NULL);
    s_parse_fails("99999999999999999999s", "too large", NULL);
    s_parse_fails("2562047h47m16.854775808s", "too large", NULL);
    s_parse_fails("1500000h1500000h", "too large", NULL);
}

static void
s_round_trip(int64_t ms)
{
    char *text = pk_duration_format(ms);
    assert_non_null(text);
    int64_t back = -1;
    char *err = NULL;
    if (pk_duration_parse(text, &back, &err) != 0)
        fail_msg("format(%lld) = \"%s\" does not parse: %s", (long long) ms, text, err);
    if (back != ms)
        fail_msg("format(%lld) = \"%s\" parses back as %lld", (long long) ms, text,
                 (long long) back);
    free(text);
}

static void
s_format_is(int64_t ms, const char *expected)
{
    char *text = pk_duration_format(ms);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void
test_format(void **state)
{
    (void) state;
    s_format_is(0, "0s");
    s_format_is(1, "1ms");
    s_format_is(250, "250ms");
    s_format_is(SEC, "1s");
    s_format_is(1500, "1.5s");
    s_format_is(1001, "1.001s");
    s_format_is(MIN + 30 * SEC, "1m30s");
    s_format_is(MIN + 30 * SEC + 500, "1m30.5s");
    s_format_is(HR + 30 * MIN, "1h30m");
    s_format_is(HR, "1h");
    s_format_is(HR + 5 * SEC, "1h5s");
    s_format_is(26 * HR, "26h");
    s_format_is(-90 * SEC, "-1m30s");
    s_format_is(-5, "-5ms");
    char *text = pk_duration_format(INT64_MIN);     // no overflow on negation
    assert_non_null(text);
    assert_int_equal(text[0], '-');
    free(text);
}

static void
test_round_trip(void **state)
{
    (void) state;
    int64_t edges[] = { 0, 1, 999, 1000, 1001, 59999, 60000, 3599999, 3600000, 86400000,
                        INT64_MAX / 1000000, INT64_MAX / 1000000 - 1 };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        s_round_trip(edges[i]);
    // Deterministic spread over every magnitude up to Go's limit.
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int bits = 1 + (int) (x % 43);              // 2^43 ms > Go's 2^63 ns limit
        int64_t ms = (int64_t) ((x >> 8) & ((1ULL << bits) - 1));
        if (ms > INT64_MAX / 1000000)
            ms = INT64_MAX / 1000000;
        s_round_trip(ms);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
