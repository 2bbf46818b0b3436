// pk_duration: see pk_duration.h. The parser is a port of Go's
// time.ParseDuration (unsigned nanosecond accumulator, overflow checked at
// each step, fraction digits beyond 63 bits dropped, fraction scaled through
// a double) so both implementations agree digit for digit; only the error
// messages are ours, written to say what is wrong and how to fix it.
#include "pk_duration.h"
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_VALID_UNITS "valid units: ns, us, ms, s, m, h"
#define S_NS_PER_MS   1000000ULL
#define S_LIMIT       (1ULL << 63)     // Go's bound before the sign is applied

static const struct {
    const char *name;
    uint64_t ns;
} s_units[] = {
    { "ns", 1ULL },
    { "us", 1000ULL },
    { "\xc2\xb5s", 1000ULL },          // U+00B5 micro sign
    { "\xce\xbcs", 1000ULL },          // U+03BC Greek mu
    { "ms", 1000000ULL },
    { "s", 1000000000ULL },
    { "m", 60000000000ULL },
    { "h", 3600000000000ULL },
};

static int
s_fail(char **err_out, const char *fmt, ...)
{
    if (err_out) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(err_out, fmt, ap) < 0)
            *err_out = NULL;
        va_end(ap);
    }
    return -1;
}

static uint64_t
s_unit_ns(const char *unit, size_t len)
{
    for (size_t i = 0; i < sizeof s_units / sizeof s_units[0]; i++)
        if (strlen(s_units[i].name) == len && memcmp(s_units[i].name, unit, len) == 0)
            return s_units[i].ns;
    return 0;
}

// A unit Go does not know, with the hint that fixes the usual mistakes.
static int
s_unknown_unit(const char *text, const char *unit, size_t len, char **err_out)
{
    char lower[8] = "";
    bool has_lower = len < sizeof lower;
    for (size_t i = 0; has_lower && i < len; i++)
        lower[i] = (char) tolower((unsigned char) unit[i]);
    if (has_lower && strcmp(lower, unit) != 0 && s_unit_ns(lower, len))
        return s_fail(err_out, "unknown unit \"%.*s\" in duration \"%s\" "
                      "(units are lower-case: \"%s\")", (int) len, unit, text, lower);
    if (has_lower && (strcmp(lower, "d") == 0 || strcmp(lower, "w") == 0))
        return s_fail(err_out, "unknown unit \"%.*s\" in duration \"%s\" "
                      "(" S_VALID_UNITS "; write days as hours, e.g. \"24h\")",
                      (int) len, unit, text);
    return s_fail(err_out, "unknown unit \"%.*s\" in duration \"%s\" (" S_VALID_UNITS ")",
                  (int) len, unit, text);
}

int
pk_duration_parse(const char *text, int64_t *ms_out, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    if (!text)
        return s_fail(err_out, "duration is missing");
    if (!*text)
        return s_fail(err_out, "duration is empty (write e.g. \"30s\", \"5m\" or \"1h30m\")");
    for (const char *p = text; *p; p++)
        if (isspace((unsigned char) *p))
            return s_fail(err_out, "duration \"%s\" contains whitespace "
                          "(write e.g. \"1m30s\")", text);
    const char *s = text;
    if (*s == '-')
        return s_fail(err_out, "duration \"%s\" is negative (only positive "
                      "durations or \"0\" are allowed)", text);
    if (*s == '+')
        s++;
    if (strcmp(s, "0") == 0) {
        *ms_out = 0;
        return 0;
    }
    if (!*s)
        return s_fail(err_out, "duration \"%s\" has no number", text);

    uint64_t total = 0;
    while (*s) {
        const char *num = s;
        uint64_t v = 0, f = 0;
        double scale = 1;
        bool pre = false, post = false, f_overflow = false;
        for (; isdigit((unsigned char) *s); s++) {
            if (v > S_LIMIT / 10)
                goto too_large;
            v = v * 10 + (uint64_t) (*s - '0');
            if (v > S_LIMIT)
                goto too_large;
            pre = true;
        }
        if (*s == '.') {
            for (s++; isdigit((unsigned char) *s); s++) {
                post = true;
                if (f_overflow)
                    continue;
                if (f > (S_LIMIT - 1) / 10) {
                    f_overflow = true;
                    continue;
                }
                uint64_t y = f * 10 + (uint64_t) (*s - '0');
                if (y > S_LIMIT) {
                    f_overflow = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
        }
        if (!pre && !post)
            return s_fail(err_out, "duration \"%s\": expected a number at \"%s\"",
                          text, num);
        const char *unit = s;
        while (*s && *s != '.' && !isdigit((unsigned char) *s))
            s++;
        size_t ulen = (size_t) (s - unit);
        if (ulen == 0)
            return s_fail(err_out, "duration \"%s\": missing unit after \"%.*s\" "
                          "(" S_VALID_UNITS ")", text, (int) (s - num), num);
        uint64_t unit_ns = s_unit_ns(unit, ulen);
        if (!unit_ns)
            return s_unknown_unit(text, unit, ulen, err_out);
        if (v > S_LIMIT / unit_ns)
            goto too_large;
        v *= unit_ns;
        if (f > 0) {
            v += (uint64_t) ((double) f * ((double) unit_ns / scale));
            if (v > S_LIMIT)
                goto too_large;
        }
        total += v;
        if (total > S_LIMIT)
            goto too_large;
    }
    if (total > S_LIMIT - 1)
        goto too_large;
    if (total > 0 && total < S_NS_PER_MS)
        return s_fail(err_out, "duration \"%s\" is shorter than 1ms, the smallest "
                      "usable duration", text);
    *ms_out = (int64_t) (total / S_NS_PER_MS);
    return 0;

too_large:
    return s_fail(err_out, "duration \"%s\" is too large (the maximum is about 2562047h)",
                  text);
}

char *
pk_duration_format(int64_t ms)
{
    uint64_t u = ms < 0 ? 0 - (uint64_t) ms : (uint64_t) ms;
    const char *sign = ms < 0 ? "-" : "";
    if (u == 0)
        return strdup("0s");
    if (u < 1000) {
        char *out;
        return asprintf(&out, "%s%" PRIu64 "ms", sign, u) < 0 ? NULL : out;
    }
    uint64_t h = u / 3600000, m = u / 60000 % 60, s = u / 1000 % 60, frac = u % 1000;
    char buf[64];
    size_t n = (size_t) snprintf(buf, sizeof buf, "%s", sign);
    if (h)
        n += (size_t) snprintf(buf + n, sizeof buf - n, "%" PRIu64 "h", h);
    if (m)
        n += (size_t) snprintf(buf + n, sizeof buf - n, "%" PRIu64 "m", m);
    if (s || frac) {
        n += (size_t) snprintf(buf + n, sizeof buf - n, "%" PRIu64, s);
        if (frac) {
            int width = 3;          // milliseconds, trailing zeros dropped
            for (; frac % 10 == 0; frac /= 10)
                width--;
            n += (size_t) snprintf(buf + n, sizeof buf - n, ".%0*" PRIu64, width, frac);
        }
        snprintf(buf + n, sizeof buf - n, "s");
    }
    return strdup(buf);
}
