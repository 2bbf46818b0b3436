// pk_throttle: failures per key back off, doubling up to a cap; a success
// or a quiet window forgets; the keys kept are bounded.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include "pk_throttle.h"

static void
test_backoff(void **state)
{
    (void) state;
    pk_throttle_config_t c = { .failures = 3, .window_ms = 10000, .backoff_ms = 1000,
                               .backoff_max_ms = 3000 };
    pk_throttle_t *t = pk_throttle_new(&c);
    assert_int_equal(pk_throttle_wait(t, "ann", 0), 0);
    assert_int_equal(pk_throttle_failed(t, "ann", 0), 0);
    assert_int_equal(pk_throttle_failed(t, "ann", 100), 0);
    assert_int_equal(pk_throttle_failed(t, "ann", 200), 1000);      // the third: backs off
    assert_int_equal(pk_throttle_wait(t, "ann", 700), 500);
    assert_int_equal(pk_throttle_wait(t, "bob", 700), 0);            // per key
    assert_int_equal(pk_throttle_wait(t, "ann", 1200), 0);
    assert_int_equal(pk_throttle_failed(t, "ann", 1300), 2000);     // doubled
    assert_int_equal(pk_throttle_failed(t, "ann", 3400), 3000);     // capped
    assert_int_equal(pk_throttle_failed(t, "ann", 6500), 3000);
    pk_throttle_ok(t, "ann");                                        // a success resets
    assert_int_equal(pk_throttle_wait(t, "ann", 6600), 0);
    assert_int_equal(pk_throttle_failed(t, "ann", 6600), 0);
    // a window without a failure forgets the count
    assert_int_equal(pk_throttle_failed(t, "cy", 0), 0);
    assert_int_equal(pk_throttle_failed(t, "cy", 5000), 0);
    assert_int_equal(pk_throttle_failed(t, "cy", 15001), 0);
    assert_int_equal(pk_throttle_failed(t, "cy", 15002), 0);
    assert_int_equal(pk_throttle_failed(t, "cy", 15003), 1000);
    assert_int_equal(pk_throttle_seconds(1), 1);
    assert_int_equal(pk_throttle_seconds(1001), 2);
    assert_int_equal(pk_throttle_seconds(0), 1);
    pk_throttle_destroy(&t);
}

static void
test_off_and_bounded(void **state)
{
    (void) state;
    pk_throttle_config_t off = { .failures = 0 };
    pk_throttle_t *t = pk_throttle_new(&off);
    for (int i = 0; i < 100; i++)
        assert_int_equal(pk_throttle_failed(t, "ann", i), 0);
    assert_int_equal(pk_throttle_wait(t, "ann", 100), 0);
    pk_throttle_destroy(&t);
    pk_throttle_config_t c = { .failures = 2, .max_keys = 10 };
    t = pk_throttle_new(&c);
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "name%d", i);
        pk_throttle_failed(t, key, i);
    }
    assert_true(pk_throttle_size(t) <= 10);
    pk_throttle_failed(t, "name999", 1000);                         // the newest are kept
    assert_true(pk_throttle_wait(t, "name999", 1000) > 0);
    pk_throttle_destroy(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_off_and_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
