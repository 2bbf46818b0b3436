// pk_cron unit cases: every error names its field, descriptors, @every,
// vixie's day-of-month/day-of-week rule, schedules that never fire, instant
// edges and the minimum interval. Agreement with croniter over thousands of
// random schedules is the separate cron_reference test; expected dates here
// are built with timegm(3), not typed in as numbers.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pk_cron.h"

static int64_t
s_utc(int y, int mon, int d, int h, int min, int s)
{
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = min, .tm_sec = s };
    return (int64_t) timegm(&tm);
}

static pk_cron_t *
s_new_ok(const char *expr)
{
    char *err = NULL;
    pk_cron_t *c = pk_cron_new(expr, &err);
    if (!c)
        fail_msg("\"%s\" rejected: %s", expr, err ? err : "(no message)");
    assert_null(err);
    return c;
}

static int64_t
s_next(const char *expr, int64_t after)
{
    pk_cron_t *c = s_new_ok(expr);
    int64_t t = pk_cron_next(c, after);
    pk_cron_destroy(&c);
    return t;
}

static void
s_fails(const char *expr, const char *frag1, const char *frag2)
{
    char *err = NULL;
    pk_cron_t *c = pk_cron_new(expr, &err);
    if (c)
        fail_msg("\"%s\" accepted", expr);
    assert_non_null(err);
    if (!strstr(err, frag1) || (frag2 && !strstr(err, frag2)))
        fail_msg("\"%s\": message \"%s\" lacks \"%s\"%s%s", expr, err, frag1,
                 frag2 ? " / " : "", frag2 ? frag2 : "");
    free(err);
    assert_null(pk_cron_new(expr, NULL));
}

static void
test_field_errors(void **state)
{
    (void) state;
    s_fails("61 * * * *", "cron \"61 * * * *\": minute field: 61 is out of range 0-59", NULL);
    s_fails("* 24 * * *", "hour field: 24 is out of range 0-23", NULL);
    s_fails("* * 0 * *", "day-of-month field: 0 is out of range 1-31", NULL);
    s_fails("* * 32 * *", "day-of-month field: 32 is out of range 1-31", NULL);
    s_fails("* * * 13 *", "month field: 13 is out of range 1-12", NULL);
    s_fails("* * * 0 *", "month field: 0 is out of range 1-12", NULL);
    s_fails("* * * * 8", "day-of-week field: 8 is out of range 0-7", NULL);
    s_fails("* * *", "cron \"* * *\": expected 5 fields (minute hour day-of-month month "
            "day-of-week), got 3", NULL);
    s_fails("0 * * * * *", "got 6", "seconds");
    s_fails("", "empty expression", NULL);
    s_fails("   ", "empty expression", NULL);
    s_fails("x * * * *", "minute field: \"x\" is not a number", NULL);
    s_fails("* jan * * *", "hour field: \"jan\" is not a number", NULL);
    s_fails("* * * jna *", "month field: unknown month name \"jna\"", "did you mean \"jan\"");
    s_fails("* * * * mno", "day-of-week field: unknown day name \"mno\"", "\"mon\"");
    s_fails("* * * * monday", "day-of-week field", "3 letters: \"mon\"");
    s_fails("* * * xyz *", "month field: unknown month name \"xyz\"", "JAN-DEC");
    s_fails("* * * * 1x", "day-of-week field: \"1x\" is not a number or day name", NULL);
    s_fails("5-1 * * * *", "minute field: range \"5-1\" goes backwards", NULL);
    s_fails("* 1-2-3 * * *", "hour field: unexpected \"-\" in \"1-2-3\"", NULL);
    s_fails("*/0 * * * *", "minute field: step 0", "at least 1");
    s_fails("*/x * * * *", "minute field: step \"x\"", "not a number");
    s_fails("*/ * * * *", "minute field: step \"\"", NULL);
    s_fails("*/99999999 * * * *", "minute field: step 99999999", "too large");
    s_fails("* * 1,,2 * *", "day-of-month field: empty entry in list \"1,,2\"", NULL);
    s_fails("* * 1, * *", "day-of-month field: empty entry", NULL);
    s_fails("-5 * * * *", "minute field: missing number in \"-5\"", NULL);
    s_fails("1- * * * *", "minute field: missing number in \"1-\"", NULL);
    s_fails("*-5 * * * *", "minute field: unexpected \"-\" in \"*-5\"", NULL);
    s_fails("? * * * *", "minute field: unexpected \"?\"", NULL);
    s_fails("* * * * 99999999999999999999", "day-of-week field: 99999999999999999999 is out "
            "of range 0-7", NULL);
    s_fails("0-60/5 * * * *", "minute field: 60 is out of range 0-59", NULL);
    s_fails("@daly", "unknown descriptor \"@daly\"", "did you mean \"@daily\"");
    s_fails("@fortnightly", "unknown descriptor", "@every <duration>");
    s_fails("@daily 5", "unexpected \"5\" after @daily", NULL);
    s_fails("@every", "@every needs a duration", NULL);
    s_fails("@every 0s", "cron \"@every 0s\": interval must be positive", NULL);
    s_fails("@every 0", "interval must be positive", NULL);
    s_fails("@every 10x", "unknown unit \"x\" in duration \"10x\"", NULL);
    s_fails("@every -5s", "negative", NULL);
    s_fails("@every 5m extra", "whitespace", NULL);
    s_fails(NULL, "missing", NULL);
}

static void
test_descriptors(void **state)
{
    (void) state;
    const char *pairs[][2] = {
        { "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
        { "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
        { "@hourly", "0 * * * *" }, { "@HOURLY", "0 * * * *" }, { " @daily ", "0 0 * * *" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        pk_cron_t *a = s_new_ok(pairs[i][0]), *b = s_new_ok(pairs[i][1]);
        assert_false(pk_cron_is_every(a));
        assert_int_equal(pk_cron_every_ms(a), 0);
        int64_t t = s_utc(2023, 11, 7, 13, 37, 21);
        for (int k = 0; k < 50; k++) {
            int64_t ta = pk_cron_next(a, t);
            assert_int_equal(ta, pk_cron_next(b, t));
            assert_true(ta > t);
            t = ta;
        }
        pk_cron_destroy(&a);
        pk_cron_destroy(&b);
        assert_null(a);
    }
    assert_int_equal(s_next("@yearly", s_utc(2024, 3, 1, 0, 0, 0)), s_utc(2025, 1, 1, 0, 0, 0));
    assert_int_equal(s_next("@monthly", s_utc(2024, 1, 31, 12, 0, 0)), s_utc(2024, 2, 1, 0, 0, 0));
    // 2024-01-03 is a Wednesday: @weekly is Sunday midnight.
    assert_int_equal(s_next("@weekly", s_utc(2024, 1, 3, 0, 0, 0)), s_utc(2024, 1, 7, 0, 0, 0));
    assert_int_equal(s_next("@hourly", s_utc(2024, 1, 3, 5, 0, 0)), s_utc(2024, 1, 3, 6, 0, 0));
}

static void
test_every(void **state)
{
    (void) state;
    pk_cron_t *c = s_new_ok("@every 30s");
    assert_true(pk_cron_is_every(c));
    assert_int_equal(pk_cron_every_ms(c), 30000);
    assert_int_equal(pk_cron_min_interval_ms(c), 30000);
    assert_int_equal(pk_cron_next(c, 1000), 1030);
    assert_int_equal(pk_cron_next(c, INT64_MAX - 10), -1);     // no overflow
    pk_cron_destroy(&c);
    c = s_new_ok("@EVERY   1h30m  ");
    assert_int_equal(pk_cron_every_ms(c), 5400000);
    assert_int_equal(pk_cron_next(c, 0), 5400);
    pk_cron_destroy(&c);
    c = s_new_ok("@every 1500ms");          // never earlier than the interval
    assert_int_equal(pk_cron_next(c, 100), 102);
    assert_int_equal(pk_cron_min_interval_ms(c), 1500);
    pk_cron_destroy(&c);
    pk_cron_destroy(&c);                    // destroying NULL is harmless
    pk_cron_destroy(NULL);
    assert_false(pk_cron_is_every(NULL));
    assert_int_equal(pk_cron_next(NULL, 0), -1);
}

static void
test_day_rule(void **state)
{
    (void) state;
    int64_t jan1 = s_utc(2024, 1, 1, 0, 0, 0);  // a Monday; Fridays are 5, 12, 19, 26
    // Both restricted: the 13th OR a Friday.
    const char *either = "0 0 13 * 5";
    int64_t expect_either[] = { s_utc(2024, 1, 5, 0, 0, 0), s_utc(2024, 1, 12, 0, 0, 0),
                                s_utc(2024, 1, 13, 0, 0, 0), s_utc(2024, 1, 19, 0, 0, 0) };
    int64_t t = jan1;
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(t = s_next(either, t), expect_either[i]);
    // A field starting with '*' is not restricted: odd days AND Fridays.
    assert_int_equal(t = s_next("0 0 */2 * 5", jan1), s_utc(2024, 1, 5, 0, 0, 0));
    assert_int_equal(s_next("0 0 */2 * 5", t), s_utc(2024, 1, 19, 0, 0, 0));
    assert_int_equal(s_next("0 0 13 * *", jan1), s_utc(2024, 1, 13, 0, 0, 0));
    assert_int_equal(s_next("0 0 * * 5", jan1), s_utc(2024, 1, 5, 0, 0, 0));
    // A full but unstarred day-of-month still counts as restricted: every day.
    assert_int_equal(s_next("0 0 1-31 * 5", jan1), s_utc(2024, 1, 2, 0, 0, 0));
    // 0 and 7 are both Sunday; names are case-insensitive; FRI-SUN wraps to 7.
    assert_int_equal(s_next("0 0 * * 7", jan1), s_utc(2024, 1, 7, 0, 0, 0));
    assert_int_equal(s_next("0 0 * * 0", jan1), s_utc(2024, 1, 7, 0, 0, 0));
    assert_int_equal(s_next("0 0 * * sUn", jan1), s_utc(2024, 1, 7, 0, 0, 0));
    assert_int_equal(s_next("0 0 * * FRI-SUN", s_utc(2024, 1, 6, 0, 0, 0)),
                     s_utc(2024, 1, 7, 0, 0, 0));
    assert_int_equal(s_next("0 0 * * 5-0", s_utc(2024, 1, 6, 0, 0, 0)),
                     s_utc(2024, 1, 7, 0, 0, 0));
    assert_int_equal(s_next("0 0 1 Feb *", jan1), s_utc(2024, 2, 1, 0, 0, 0));
    // A/N means A-max/N.
    assert_int_equal(s_next("50/5 * * * *", s_utc(2024, 1, 1, 0, 56, 0)),
                     s_utc(2024, 1, 1, 1, 50, 0));
    // Leap day: from March 2024 the next 29 Feb is in 2028.
    assert_int_equal(s_next("0 0 29 2 *", s_utc(2024, 3, 1, 0, 0, 0)),
                     s_utc(2028, 2, 29, 0, 0, 0));
    // 2100 is not a leap year.
    assert_int_equal(s_next("0 0 29 2 *", s_utc(2097, 1, 1, 0, 0, 0)),
                     s_utc(2104, 2, 29, 0, 0, 0));
    // Tabs and extra spaces separate fields.
    assert_int_equal(s_next("  30\t2  * *\t* ", jan1), s_utc(2024, 1, 1, 2, 30, 0));
}

static void
test_instants(void **state)
{
    (void) state;
    pk_cron_t *c = s_new_ok("*/15 * * * *");
    int64_t t = s_utc(2024, 5, 5, 10, 15, 0);
    assert_int_equal(pk_cron_next(c, t), t + 15 * 60);          // strictly after
    assert_int_equal(pk_cron_next(c, t - 1), t);
    assert_int_equal(pk_cron_next(c, t - 59), t);
    assert_int_equal(pk_cron_next(c, s_utc(2024, 12, 31, 23, 59, 59)), s_utc(2025, 1, 1, 0, 0, 0));
    // Before 1970 works too.
    assert_int_equal(pk_cron_next(c, s_utc(1969, 12, 31, 23, 50, 30)), s_utc(1970, 1, 1, 0, 0, 0));
    assert_int_equal(pk_cron_next(c, s_utc(1900, 3, 1, 0, 0, 0)), s_utc(1900, 3, 1, 0, 15, 0));
    // Outside years 1..9999: -1, without overflow.
    assert_int_equal(pk_cron_next(c, INT64_MAX), -1);
    assert_int_equal(pk_cron_next(c, INT64_MIN), -1);
    assert_int_equal(pk_cron_next(c, 253402300800LL), -1);
    assert_int_equal(pk_cron_next(c, 253402300799LL - 3600), 253402300799LL - 3600 + 1);
    pk_cron_destroy(&c);
    // A fire after year 9999 is not reported either.
    assert_int_equal(s_next("0 0 1 1 *", s_utc(9999, 6, 1, 0, 0, 0)), -1);
    assert_int_equal(s_next("0 0 1 1 *", s_utc(9998, 6, 1, 0, 0, 0)), s_utc(9999, 1, 1, 0, 0, 0));
}

static void
test_never(void **state)
{
    (void) state;
    const char *never[] = { "0 0 30 2 *", "0 0 31 4,6,9,11 *", "* * 30-31 feb *",
                            "0 0 31 2 */2", "0 0 30,31 2,feb */3" };
    const char *rare[] = { "0 0 30 2 1", "0 0 29 2 *", "0 0 29 2 */7" };
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        pk_cron_t *c = s_new_ok(never[i]);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int k = 0; k < 10000; k++)
            assert_int_equal(pk_cron_next(c, s_utc(1990, 1, 1, 0, 0, 0) + k * 86400), -1);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double secs = (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
        if (secs > 1.0)
            fail_msg("\"%s\": 10000 calls took %.3f s", never[i], secs);
        pk_cron_destroy(&c);
    }
    // "OR" makes a 30 February harmless: Mondays in February.
    assert_int_equal(s_next(rare[0], s_utc(2024, 3, 1, 0, 0, 0)), s_utc(2025, 2, 3, 0, 0, 0));
    // Rare but real: found, however far.
    int64_t t = s_utc(1990, 1, 1, 0, 0, 0);
    for (int k = 0; k < 30; k++) {
        int64_t n = s_next(rare[2], t);
        assert_true(n > t);
        struct tm tm;
        time_t tt = (time_t) n;
        gmtime_r(&tt, &tm);
        assert_int_equal(tm.tm_mon, 1);
        assert_int_equal(tm.tm_mday, 29);
        assert_int_equal(tm.tm_wday, 0);
        t = n;
    }
}

static void
test_min_interval(void **state)
{
    (void) state;
    struct {
        const char *expr;
        int64_t ms;
        bool exact;     // realised by two consecutive fires
    } cases[] = {
        { "* * * * *", 60000, true },
        { "*/5 * * * *", 300000, true },
        { "0,30 * * * *", 1800000, true },
        { "0,59 * * * *", 60000, true },        // 10:59 then 11:00
        { "0 * * * *", 3600000, true },
        { "15 9-17 * * 1-5", 3600000, true },
        { "0 0 * * *", 86400000, true },
        { "59 23 * * *", 86400000, true },
        { "30 23 * * *", 86400000, true },
        { "0 0,23 * * *", 3600000, true },      // 23:00 then 00:00
        { "5 0 * * 1", 86400000, false },       // weekly: understated, never overstated
        { "0 0 1 1 *", 86400000, false },
        { "@hourly", 3600000, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pk_cron_t *c = s_new_ok(cases[i].expr);
        assert_int_equal(pk_cron_min_interval_ms(c), cases[i].ms);
        int64_t t = pk_cron_next(c, s_utc(2023, 12, 25, 0, 0, 0)), seen = INT64_MAX;
        for (int k = 0; k < 3000; k++) {
            int64_t n = pk_cron_next(c, t);
            if ((n - t) * 1000 < seen)
                seen = (n - t) * 1000;
            t = n;
        }
        if (seen < cases[i].ms || (cases[i].exact && seen != cases[i].ms))
            fail_msg("\"%s\": min interval %lld ms, observed %lld ms", cases[i].expr,
                     (long long) cases[i].ms, (long long) seen);
        pk_cron_destroy(&c);
    }
}

static void
test_speed(void **state)
{
    (void) state;
    const char *exprs[] = { "*/5 * * * *", "0 3 * * 1-5", "0 0 13 * 5", "0 0 29 2 *" };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        pk_cron_t *c = s_new_ok(exprs[i]);
        struct timespec a, b;
        int64_t t = s_utc(2000, 1, 1, 0, 0, 0), sum = 0;
        int n = 200000;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int k = 0; k < n; k++)
            sum += pk_cron_next(c, t + (int64_t) k * 7919);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ns = ((double) (b.tv_sec - a.tv_sec) * 1e9 + (double) (b.tv_nsec - a.tv_nsec)) / n;
        print_message("pk_cron_next(\"%s\"): %.0f ns/call (checksum %lld)\n", exprs[i], ns,
                      (long long) (sum % 1000));
        // Generous even for sanitizer builds: a minute-by-minute scan of a
        // leap-day schedule would take milliseconds per call.
        assert_true(ns < 50000);
        pk_cron_destroy(&c);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_day_rule),
        cmocka_unit_test(test_instants),
        cmocka_unit_test(test_never),
        cmocka_unit_test(test_min_interval),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
