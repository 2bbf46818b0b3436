// hcl_funcs_time: timestamp(), timeadd() and formatdate() (cty
// datetime.go). Timestamps are RFC 3339 as Go's time.Parse reads them;
// durations are Go's time.ParseDuration syntax. Calendar arithmetic is done
// here on day numbers (Hinnant's civil-from-days) in the timestamp's own UTC
// offset, so no libc time zone state is involved and results never depend on
// the machine's TZ.
#include "hcl_funcs.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
    int64_t secs;       // seconds since 1970-01-01T00:00:00 UTC
    long nanos;
    int offset;         // seconds east of UTC
} s_time_t;

typedef struct {
    long long year;
    int month, day, hour, min, sec, wday;
} s_civil_t;

static int64_t
s_days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static s_civil_t
s_civil(int64_t local_secs)
{
    int64_t days = local_secs / 86400, rem = local_secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    s_civil_t c;
    c.hour = (int) (rem / 3600);
    c.min = (int) (rem % 3600 / 60);
    c.sec = (int) (rem % 60);
    c.wday = (int) ((days % 7 + 11) % 7);  // 1970-01-01 was a Thursday (4)
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    c.day = (int) (doy - (153 * mp + 2) / 5 + 1);
    c.month = (int) (mp < 10 ? mp + 3 : mp - 9);
    c.year = (long long) (yoe + era * 400 + (c.month <= 2));
    return c;
}

static bool
s_num(const char *s, size_t len, size_t *i, int digits, int *out)
{
    int v = 0;
    for (int k = 0; k < digits; k++, (*i)++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[*i] - '0');
    }
    *out = v;
    return true;
}

static bool
s_lit(const char *s, size_t len, size_t *i, char c)
{
    if (*i >= len || s[*i] != c)
        return false;
    (*i)++;
    return true;
}

static int
s_month_days(long long y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static const char *
s_parse_rfc3339(const char *s, size_t len, s_time_t *t)
{
    size_t i = 0;
    int y, mo, d, h, mi, se;
    if (!s_num(s, len, &i, 4, &y) || !s_lit(s, len, &i, '-') || !s_num(s, len, &i, 2, &mo)
    ||  !s_lit(s, len, &i, '-') || !s_num(s, len, &i, 2, &d))
        return "not a valid RFC3339 timestamp: cannot use it as a date";
    if (!s_lit(s, len, &i, 'T'))
        return "not a valid RFC3339 timestamp: missing required time introducer 'T'";
    if (!s_num(s, len, &i, 2, &h) || !s_lit(s, len, &i, ':') || !s_num(s, len, &i, 2, &mi)
    ||  !s_lit(s, len, &i, ':') || !s_num(s, len, &i, 2, &se))
        return "not a valid RFC3339 timestamp: cannot use it as a time of day";
    long nanos = 0;
    if (i < len && s[i] == '.') {
        i++;
        int digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (digits++ < 9)
                nanos = nanos * 10 + (s[i] - '0');
            i++;
        }
        if (digits == 0)
            return "not a valid RFC3339 timestamp: missing fractional seconds";
        for (; digits < 9; digits++)
            nanos *= 10;
    }
    int offset = 0;
    if (i < len && s[i] == 'Z')
        i++;
    else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, oh, om;
        if (!s_num(s, len, &i, 2, &oh) || !s_lit(s, len, &i, ':') || !s_num(s, len, &i, 2, &om))
            return "not a valid RFC3339 timestamp: cannot use it as a UTC offset";
        if (oh > 24 || om > 59)
            return "not a valid RFC3339 timestamp: UTC offset out of range";
        offset = sign * (oh * 3600 + om * 60);
    }
    else
        return "not a valid RFC3339 timestamp: missing UTC offset";
    if (i != len)
        return "not a valid RFC3339 timestamp: extra text after the UTC offset";
    if (mo < 1 || mo > 12)
        return "not a valid RFC3339 timestamp: month out of range";
    if (d < 1 || d > s_month_days(y, mo))
        return "not a valid RFC3339 timestamp: day out of range";
    if (h > 23 || mi > 59 || se > 59)
        return "not a valid RFC3339 timestamp: time of day out of range";
    t->secs = s_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
    t->nanos = nanos;
    t->offset = offset;
    return NULL;
}

static pk_value_t *
s_format_rfc3339(hcl_call_t *call, const s_time_t *t)
{
    s_civil_t c = s_civil(t->secs + t->offset);
    if (c.year < 0 || c.year > 9999)
        return hcl_func_error(call, -1, "the resulting year %lld is outside the range 0-9999", c.year);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                     c.min, c.sec);
    if (t->offset == 0)
        snprintf(buf + n, sizeof buf - (size_t) n, "Z");
    else {
        int off = t->offset < 0 ? -t->offset : t->offset;
        snprintf(buf + n, sizeof buf - (size_t) n, "%c%02d:%02d", t->offset < 0 ? '-' : '+', off / 3600,
                 off % 3600 / 60);
    }
    return pk_value_new_string(buf);
}

HCL_FN(timestamp)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    s_time_t t = { (int64_t) ts.tv_sec, 0, 0 };
    return s_format_rfc3339(call, &t);
}

// Go's time.ParseDuration into nanoseconds.
static bool
s_parse_duration(const char *s, size_t len, int64_t *out)
{
    static const struct { const char *unit; double ns; } units[] = {
        { "ns", 1 }, { "us", 1e3 }, { "\xC2\xB5s", 1e3 }, { "\xCE\xBCs", 1e3 }, { "ms", 1e6 },
        { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
    };
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (len - i == 1 && s[i] == '0') {
        *out = 0;
        return true;
    }
    if (i == len)
        return false;
    double total = 0;
    while (i < len) {
        double v = 0, scale = 1;
        size_t digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (s[i++] - '0');
            digits++;
        }
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                scale /= 10;
                v += (s[i++] - '0') * scale;
                digits++;
            }
        }
        if (digits == 0)
            return false;
        size_t u = i;
        while (u < len && s[u] != '.' && (s[u] < '0' || s[u] > '9'))
            u++;
        bool found = false;
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
            if (strlen(units[k].unit) == u - i && memcmp(units[k].unit, s + i, u - i) == 0) {
                total += v * units[k].ns;
                found = true;
            }
        if (!found)
            return false;
        i = u;
    }
    if (total > 9.2e18)
        return false;
    *out = (int64_t) (neg ? -total : total);
    return true;
}

HCL_FN(timeadd)
{
    size_t len, dlen;
    const char *ts = hcl_arg_str(call, 0, &len), *ds = hcl_arg_str(call, 1, &dlen);
    s_time_t t;
    const char *err = s_parse_rfc3339(ts, len, &t);
    if (err)
        return hcl_func_error(call, 0, "%s", err);
    int64_t d;
    if (!s_parse_duration(ds, dlen, &d))
        return hcl_func_error(call, 1, "time: invalid duration \"%.*s\"", (int) dlen, ds);
    int64_t nanos = t.nanos + d % 1000000000;
    t.secs += d / 1000000000 + nanos / 1000000000;
    nanos %= 1000000000;
    if (nanos < 0) {
        nanos += 1000000000;
        t.secs--;
    }
    t.nanos = (long) nanos;
    return s_format_rfc3339(call, &t);
}

static bool
s_is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

HCL_FN(formatdate)
{
    static const char *months[] = { "January", "February", "March", "April", "May", "June", "July",
                                    "August", "September", "October", "November", "December" };
    static const char *days[] = { "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                  "Saturday" };
    size_t flen, len;
    const char *f = hcl_arg_str(call, 0, &flen), *ts = hcl_arg_str(call, 1, &len);
    s_time_t t;
    const char *err = s_parse_rfc3339(ts, len, &t);
    if (err)
        return hcl_func_error(call, 1, "%s", err);
    s_civil_t c = s_civil(t.secs + t.offset);
    int off = t.offset < 0 ? -t.offset : t.offset;
    char sign = t.offset < 0 ? '-' : '+';
    hcl_buf_t b;
    hcl_buf_init(&b);
    for (size_t i = 0; i < flen && !b.overflow;) {
        size_t j = i + 1;
        if (f[i] == '\'') {
            if (j < flen && f[j] == '\'') {
                hcl_buf_addc(&b, '\'');
                i += 2;
                continue;
            }
            bool closed = false;
            for (; j < flen; j++) {
                if (f[j] == '\'' && j + 1 < flen && f[j + 1] == '\'') {
                    hcl_buf_addc(&b, '\'');
                    j++;
                    continue;
                }
                if (f[j] == '\'') {
                    closed = true;
                    break;
                }
                hcl_buf_addc(&b, f[j]);
            }
            if (!closed) {
                hcl_buf_free(&b);
                return hcl_func_error(call, 0, "unterminated literal '");
            }
            i = j + 1;
            continue;
        }
        if (!s_is_letter(f[i])) {
            while (j < flen && !s_is_letter(f[j]) && f[j] != '\'')
                j++;
            hcl_buf_add(&b, f + i, j - i);
            i = j;
            continue;
        }
        while (j < flen && f[j] == f[i])
            j++;
        size_t n = j - i;
        char v = f[i];
        const char *bad = NULL;
        int h12 = c.hour % 12 ? c.hour % 12 : 12;
        switch (v) {
        case 'Y':
            if (n == 2) hcl_buf_addf(&b, "%02lld", c.year % 100);
            else if (n == 4) hcl_buf_addf(&b, "%04lld", c.year);
            else bad = "year must either be \"YY\" or \"YYYY\"";
            break;
        case 'M':
            if (n == 1) hcl_buf_addf(&b, "%d", c.month);
            else if (n == 2) hcl_buf_addf(&b, "%02d", c.month);
            else if (n == 3) hcl_buf_add(&b, months[c.month - 1], 3);
            else if (n == 4) hcl_buf_adds(&b, months[c.month - 1]);
            else bad = "month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"";
            break;
        case 'D':
            if (n <= 2) hcl_buf_addf(&b, n == 1 ? "%d" : "%02d", c.day);
            else bad = "day of month must either be \"D\" or \"DD\"";
            break;
        case 'E':
            if (n == 3) hcl_buf_add(&b, days[c.wday], 3);
            else if (n == 4) hcl_buf_adds(&b, days[c.wday]);
            else bad = "day of week must either be \"EEE\" or \"EEEE\"";
            break;
        case 'h':
            if (n <= 2) hcl_buf_addf(&b, n == 1 ? "%d" : "%02d", c.hour);
            else bad = "24-hour must either be \"h\" or \"hh\"";
            break;
        case 'H':
            if (n <= 2) hcl_buf_addf(&b, n == 1 ? "%d" : "%02d", h12);
            else bad = "12-hour must either be \"H\" or \"HH\"";
            break;
        case 'A': case 'a':
            if (n == 2) hcl_buf_adds(&b, c.hour < 12 ? (v == 'A' ? "AM" : "am") : (v == 'A' ? "PM" : "pm"));
            else bad = v == 'A' ? "must be \"AA\"" : "must be \"aa\"";
            break;
        case 'm':
            if (n <= 2) hcl_buf_addf(&b, n == 1 ? "%d" : "%02d", c.min);
            else bad = "minute must either be \"m\" or \"mm\"";
            break;
        case 's':
            if (n <= 2) hcl_buf_addf(&b, n == 1 ? "%d" : "%02d", c.sec);
            else bad = "second must either be \"s\" or \"ss\"";
            break;
        case 'Z':
            if (n == 1 && t.offset == 0) hcl_buf_addc(&b, 'Z');
            else if (n == 1 || n == 5) hcl_buf_addf(&b, "%c%02d:%02d", sign, off / 3600, off % 3600 / 60);
            else if (n == 3 && t.offset == 0) hcl_buf_adds(&b, "UTC");
            else if (n == 3 || n == 4) hcl_buf_addf(&b, "%c%02d%02d", sign, off / 3600, off % 3600 / 60);
            else bad = "timezone must be Z, ZZZZ, or ZZZZZ";
            break;
        default:
            bad = "";
        }
        if (bad) {
            hcl_buf_free(&b);
            return hcl_func_error(call, 0, "invalid date format verb \"%.*s\"%s%s", (int) n, f + i,
                                  *bad ? ": " : "", bad);
        }
        i = j;
    }
    return hcl_func_string(call, &b);
}
