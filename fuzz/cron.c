// Fuzz target for pk_cron and pk_duration: arbitrary bytes as a schedule and
// as a duration must give a result or a message, never a crash, leak, UB or
// hang; and the promises callers build on must hold: pk_cron_next is
// strictly after its argument, on a whole minute for cron, stable (asking
// again from just before a fire finds that fire), and never closer to the
// previous fire than pk_cron_min_interval_ms; a parsed duration formats and
// parses back to itself.
// PK_FUZZ_LIBS: pk_lib
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_cron.h"
#include "pk_duration.h"

#define S_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "cron fuzz: %s failed for \"%s\"\n", #cond, text); abort(); } } while (0)

static void
s_check_schedule(const pk_cron_t *c, const char *text, int64_t from)
{
    int64_t min_gap_ms = pk_cron_min_interval_ms(c);
    S_CHECK(min_gap_ms > 0);
    S_CHECK(pk_cron_is_every(c) || min_gap_ms >= 60000);
    int64_t prev = -1, t = from;
    for (int i = 0; i < 4; i++) {
        int64_t n = pk_cron_next(c, t);
        if (n == -1)
            return;
        S_CHECK(n > t);
        if (!pk_cron_is_every(c)) {
            S_CHECK(n % 60 == 0);
            S_CHECK(pk_cron_next(c, n - 1) == n);
        }
        if (prev != -1)
            S_CHECK((n - prev) * 1000 >= min_gap_ms);
        prev = n;
        t = n;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    // An instant that depends on the input, spread over years 1..9999 and a
    // little beyond on both sides.
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    int64_t instants[] = { 0, 1718000000, -1, INT64_MIN, INT64_MAX, 253402300799LL,
                           -62135596800LL, (int64_t) (h % 320000000000ULL) - 63000000000LL };

    char *err = NULL;
    pk_cron_t *c = pk_cron_new(text, &err);
    if (c) {
        S_CHECK(err == NULL);
        for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
            s_check_schedule(c, text, instants[i]);
        pk_cron_destroy(&c);
        S_CHECK(c == NULL);
    }
    else
        S_CHECK(err != NULL && strstr(err, "cron") != NULL);
    free(err);

    err = NULL;
    int64_t ms = -1;
    if (pk_duration_parse(text, &ms, &err) == 0) {
        S_CHECK(err == NULL && ms >= 0);
        char *back_text = pk_duration_format(ms);
        int64_t back = -1;
        S_CHECK(back_text && pk_duration_parse(back_text, &back, NULL) == 0 && back == ms);
        free(back_text);
    }
    else
        S_CHECK(err != NULL && ms == -1);
    free(err);
    free(text);
    return 0;
}
