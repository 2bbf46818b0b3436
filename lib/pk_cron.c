// pk_cron: see pk_cron.h. Parsing turns each field into a bitmask; the
// search in pk_cron_next walks months and settles day, hour and minute with
// mask arithmetic (count-trailing-zeros), so one call costs a few dozen
// operations for ordinary schedules and at most one step per month of the
// 401-year horizon otherwise. Day matching per month is precomputed as seven
// 31-bit masks, one per weekday of the month's first day.
#include "pk_cron.h"
#include "pk_duration.h"
#include "pk_suggest.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Years 1..9999 in and out: ample for schedules, far from int64 overflow.
#define S_MIN_INSTANT    (-62135596800LL)   // 0001-01-01T00:00:00Z
#define S_MAX_INSTANT    253402300799LL     // 9999-12-31T23:59:59Z
// The Gregorian calendar repeats every 400 years (146097 days = 20871 weeks):
// whatever does not fire within 401 years never fires.
#define S_HORIZON_MONTHS (401 * 12)

struct _pk_cron_t {
    bool every;
    int64_t every_ms;
    uint64_t minutes;           // bit n: minute n
    uint32_t hours;             // bit n: hour n
    uint32_t doms;              // bits 1..31
    uint32_t months;            // bits 1..12
    uint32_t dows;              // bits 0..6 (7 folded into 0)
    bool day_and;               // a day field starts with '*': both must match
    bool never;                 // no month holds a matching day
    uint32_t dow_days[7];       // days of a month starting on weekday w whose weekday is in dows
};

typedef struct {
    const char *name;
    int lo, hi;
    const char *const *names;   // lower-case; value = index + names_base
    int names_base;
    const char *name_kind;      // "month" or "day"
    const char *name_range;
} s_field_t;

static const char *const s_month_names[] = {
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const s_dow_names[] = {
    "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F_COUNT };
static const s_field_t s_fields[F_COUNT] = {
    { "minute", 0, 59, NULL, 0, NULL, NULL },
    { "hour", 0, 23, NULL, 0, NULL, NULL },
    { "day-of-month", 1, 31, NULL, 0, NULL, NULL },
    { "month", 1, 12, s_month_names, 1, "month", "JAN-DEC" },
    { "day-of-week", 0, 7, s_dow_names, 0, "day", "SUN-SAT" },
};

static const struct {
    const char *name;
    const char *expansion;
} s_descriptors[] = {
    { "@yearly", "0 0 1 1 *" },
    { "@annually", "0 0 1 1 *" },
    { "@monthly", "0 0 1 * *" },
    { "@weekly", "0 0 * * 0" },
    { "@daily", "0 0 * * *" },
    { "@midnight", "0 0 * * *" },
    { "@hourly", "0 * * * *" },
};
static const char *const s_descriptor_names[] = {
    "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
    "@every", NULL
};

static const unsigned s_max_days[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

static char *
s_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

// --- Parsing -----------------------------------------------------------

static void
s_lower(char *dst, size_t size, const char *src, size_t len)
{
    size_t i = 0;
    for (; i < len && i + 1 < size; i++)
        dst[i] = (char) tolower((unsigned char) src[i]);
    dst[i] = '\0';
}

// One number or name; *why gets the problem.
static int
s_value(const s_field_t *f, const char *tok, size_t len, const char *ctx, size_t ctx_len,
        int *out, char **why)
{
    if (len == 0) {
        if (tok < ctx + ctx_len && *tok != '-' && *tok != '/')
            *why = s_printf("unexpected \"%c\" in \"%.*s\"", *tok, (int) ctx_len, ctx);
        else
            *why = s_printf("missing number in \"%.*s\"", (int) ctx_len, ctx);
        return -1;
    }
    size_t digits = 0, alphas = 0;
    for (size_t i = 0; i < len; i++) {
        digits += isdigit((unsigned char) tok[i]) != 0;
        alphas += isalpha((unsigned char) tok[i]) != 0;
    }
    if (digits == len) {
        int v = 0;
        for (size_t i = 0; i < len && v <= f->hi; i++)
            v = v * 10 + (tok[i] - '0');
        if (v < f->lo || v > f->hi) {
            *why = s_printf("%.*s is out of range %d-%d", (int) len, tok, f->lo, f->hi);
            return -1;
        }
        *out = v;
        return 0;
    }
    if (alphas == len && f->names) {
        char word[16];
        s_lower(word, sizeof word, tok, len);
        for (int i = 0; f->names[i]; i++)
            if (len == 3 && strcmp(word, f->names[i]) == 0) {
                *out = i + f->names_base;
                return 0;
            }
        for (int i = 0; f->names[i]; i++)
            if (len > 3 && strncmp(word, f->names[i], 3) == 0) {
                *why = s_printf("unknown %s name \"%.*s\" (names are 3 letters: \"%s\")",
                                f->name_kind, (int) len, tok, f->names[i]);
                return -1;
            }
        const char *near = pk_suggest(word, f->names);
        if (near)
            *why = s_printf("unknown %s name \"%.*s\" (did you mean \"%s\"?)",
                            f->name_kind, (int) len, tok, near);
        else
            *why = s_printf("unknown %s name \"%.*s\" (use %d-%d or %s)", f->name_kind,
                            (int) len, tok, f->lo, f->hi, f->name_range);
        return -1;
    }
    if (f->names)
        *why = s_printf("\"%.*s\" is not a number or %s name", (int) len, tok, f->name_kind);
    else
        *why = s_printf("\"%.*s\" is not a number", (int) len, tok);
    return -1;
}

static size_t
s_span(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && isalnum((unsigned char) *q))
        q++;
    return (size_t) (q - p);
}

// One list entry: * | V | V-V, optionally /STEP; V/STEP means V-max/STEP.
static int
s_item(const s_field_t *f, const char *item, size_t n, uint64_t *bits, char **why)
{
    const char *p = item, *end = item + n;
    int lo, hi;
    bool star = false, range = false;
    if (p < end && *p == '*') {
        star = true;
        lo = f->lo;
        hi = f->hi;
        p++;
    }
    else {
        size_t len = s_span(p, end);
        if (s_value(f, p, len, item, n, &lo, why))
            return -1;
        hi = lo;
        p += len;
        if (p < end && *p == '-') {
            p++;
            len = s_span(p, end);
            if (s_value(f, p, len, item, n, &hi, why))
                return -1;
            p += len;
            range = true;
        }
    }
    int step = 1;
    if (p < end && *p == '/') {
        p++;
        size_t len = s_span(p, end);
        bool numeric = len > 0;
        for (size_t i = 0; i < len; i++)
            numeric = numeric && isdigit((unsigned char) p[i]);
        if (!numeric) {
            *why = s_printf("step \"%.*s\" in \"%.*s\" is not a number", (int) len, p,
                            (int) n, item);
            return -1;
        }
        if (len > 6) {
            *why = s_printf("step %.*s in \"%.*s\" is too large", (int) len, p, (int) n, item);
            return -1;
        }
        step = atoi(p);
        if (step == 0) {
            *why = s_printf("step 0 in \"%.*s\" must be at least 1", (int) n, item);
            return -1;
        }
        p += len;
        if (!star && !range)
            hi = f->hi;
    }
    if (p < end) {
        *why = s_printf("unexpected \"%c\" in \"%.*s\"", *p, (int) n, item);
        return -1;
    }
    if (range && f->names == s_dow_names && hi == 0 && lo > 0)
        hi = 7;                 // "FRI-SUN": Sunday as the 7 that ends a week
    if (lo > hi) {
        *why = s_printf("range \"%.*s\" goes backwards (%d is after %d)", (int) n, item, lo, hi);
        return -1;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ULL << v;
    return 0;
}

static int
s_field(const s_field_t *f, const char *text, size_t n, uint64_t *bits, char **why)
{
    *bits = 0;
    const char *p = text, *end = text + n;
    while (true) {
        const char *comma = memchr(p, ',', (size_t) (end - p));
        const char *stop = comma ? comma : end;
        if (stop == p) {
            *why = s_printf("empty entry in list \"%.*s\"", (int) n, text);
            return -1;
        }
        if (s_item(f, p, (size_t) (stop - p), bits, why))
            return -1;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static void
s_prepare_days(pk_cron_t *self)
{
    for (int w = 0; w < 7; w++) {
        self->dow_days[w] = 0;
        for (int d = 1; d <= 31; d++)
            if (self->dows & (1u << ((w + d - 1) % 7)))
                self->dow_days[w] |= 1u << d;
    }
    // Every valid date falls on every weekday somewhere in the 400-year
    // cycle, so only "both must match" with no valid day-of-month in any
    // chosen month can never fire ("0 0 30 2 *").
    self->never = self->day_and;
    for (unsigned m = 1; m <= 12 && self->never; m++)
        if ((self->months & (1u << m)) && (self->doms & ((2u << s_max_days[m]) - 2)))
            self->never = false;
}

static int
s_parse_fields(pk_cron_t *self, const char *expr, const char *text, char **err_out)
{
    const char *start[F_COUNT];
    size_t len[F_COUNT];
    int count = 0;
    for (const char *p = text; *p;) {
        while (*p && isspace((unsigned char) *p))
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && !isspace((unsigned char) *q))
            q++;
        if (count < F_COUNT) {
            start[count] = p;
            len[count] = (size_t) (q - p);
        }
        count++;
        p = q;
    }
    if (count != F_COUNT) {
        if (err_out)
            *err_out = s_printf("cron \"%s\": expected 5 fields (minute hour day-of-month "
                                "month day-of-week), got %d%s", expr, count,
                                count == 6 ? " (a seconds field is not supported)" : "");
        return -1;
    }
    uint64_t bits[F_COUNT];
    for (int i = 0; i < F_COUNT; i++) {
        char *why = NULL;
        if (s_field(&s_fields[i], start[i], len[i], &bits[i], &why)) {
            if (err_out)
                *err_out = s_printf("cron \"%s\": %s field: %s", expr, s_fields[i].name,
                                    why ? why : "invalid");
            free(why);
            return -1;
        }
    }
    self->minutes = bits[F_MINUTE];
    self->hours = (uint32_t) bits[F_HOUR];
    self->doms = (uint32_t) bits[F_DOM];
    self->months = (uint32_t) bits[F_MONTH];
    self->dows = (uint32_t) ((bits[F_DOW] | bits[F_DOW] >> 7) & 0x7f);
    self->day_and = *start[F_DOM] == '*' || *start[F_DOW] == '*';
    s_prepare_days(self);
    return 0;
}

static int
s_parse_at(pk_cron_t *self, const char *expr, const char *text, char **err_out)
{
    size_t wlen = 0;
    while (text[wlen] && !isspace((unsigned char) text[wlen]))
        wlen++;
    char word[16];
    s_lower(word, sizeof word, text, wlen);
    const char *rest = text + wlen;
    while (*rest && isspace((unsigned char) *rest))
        rest++;
    if (wlen < sizeof word && strcmp(word, "@every") == 0) {
        if (!*rest) {
            if (err_out)
                *err_out = s_printf("cron \"%s\": @every needs a duration "
                                    "(e.g. \"@every 5m\")", expr);
            return -1;
        }
        size_t rlen = strlen(rest);
        while (rlen > 0 && isspace((unsigned char) rest[rlen - 1]))
            rlen--;
        char *dur = strndup(rest, rlen);
        char *why = NULL;
        int rc = dur ? pk_duration_parse(dur, &self->every_ms, &why) : -1;
        free(dur);
        if (rc == 0 && self->every_ms <= 0) {
            rc = -1;
            why = strdup("interval must be positive");
        }
        if (rc) {
            if (err_out)
                *err_out = s_printf("cron \"%s\": %s", expr, why ? why : "out of memory");
            free(why);
            return -1;
        }
        self->every = true;
        return 0;
    }
    for (size_t i = 0; i < sizeof s_descriptors / sizeof s_descriptors[0]; i++) {
        if (wlen >= sizeof word || strcmp(word, s_descriptors[i].name) != 0)
            continue;
        if (*rest) {
            if (err_out)
                *err_out = s_printf("cron \"%s\": unexpected \"%s\" after %s", expr, rest,
                                    s_descriptors[i].name);
            return -1;
        }
        return s_parse_fields(self, expr, s_descriptors[i].expansion, err_out);
    }
    const char *near = wlen < sizeof word ? pk_suggest(word, s_descriptor_names) : NULL;
    if (err_out)
        *err_out = s_printf("cron \"%s\": unknown descriptor \"%.*s\"%s%s%s (valid: @yearly, "
                            "@annually, @monthly, @weekly, @daily, @midnight, @hourly, "
                            "@every <duration>)", expr, (int) wlen, text,
                            near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
    return -1;
}

pk_cron_t *
pk_cron_new(const char *expr, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    if (!expr) {
        if (err_out)
            *err_out = strdup("cron expression is missing");
        return NULL;
    }
    const char *text = expr;
    while (*text && isspace((unsigned char) *text))
        text++;
    if (!*text) {
        if (err_out)
            *err_out = s_printf("cron \"%s\": empty expression (expected 5 fields: minute "
                                "hour day-of-month month day-of-week, or e.g. \"@every 5m\")",
                                expr);
        return NULL;
    }
    pk_cron_t *self = calloc(1, sizeof *self);
    if (!self) {
        if (err_out)
            *err_out = strdup("out of memory");
        return NULL;
    }
    int rc = *text == '@' ? s_parse_at(self, expr, text, err_out)
                          : s_parse_fields(self, expr, text, err_out);
    if (rc)
        pk_cron_destroy(&self);
    return self;
}

void
pk_cron_destroy(pk_cron_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

bool
pk_cron_is_every(const pk_cron_t *self)
{
    return self && self->every;
}

int64_t
pk_cron_every_ms(const pk_cron_t *self)
{
    return self && self->every ? self->every_ms : 0;
}

// --- Calendar (proleptic Gregorian, after H. Hinnant's civil algorithms) ---

static int64_t
s_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
s_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = s_floor_div(y, 400);
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static void
s_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = s_floor_div(z, 146097);
    unsigned doe = (unsigned) (z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static unsigned
s_days_in_month(int64_t y, unsigned m)
{
    if (m != 2)
        return s_max_days[m];
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return leap ? 29 : 28;
}

// Days (bits 1..31) of month m of year y on which the schedule fires.
static uint32_t
s_day_mask(const pk_cron_t *self, int64_t y, unsigned m)
{
    int64_t first = s_days_from_civil(y, m, 1);
    unsigned weekday = (unsigned) (((first % 7) + 11) % 7);    // 1970-01-01 was a Thursday
    uint32_t by_dow = self->dow_days[weekday];
    uint32_t mask = self->day_and ? self->doms & by_dow : self->doms | by_dow;
    return mask & ((2u << s_days_in_month(y, m)) - 2);
}

// First minute of the day at or after hour:minute, or -1.
static int
s_first_time(const pk_cron_t *self, unsigned hour, unsigned minute)
{
    uint32_t hours = self->hours >> hour << hour;
    while (hours) {
        unsigned h = (unsigned) __builtin_ctz(hours);
        unsigned from = h == hour ? minute : 0;
        uint64_t minutes = self->minutes >> from << from;
        if (minutes)
            return (int) (h * 60 + (unsigned) __builtin_ctzll(minutes));
        hours &= hours - 1;
    }
    return -1;
}

int64_t
pk_cron_next(const pk_cron_t *self, int64_t after)
{
    if (!self)
        return -1;
    if (self->every) {
        int64_t secs = self->every_ms / 1000 + (self->every_ms % 1000 != 0);
        return after > INT64_MAX - secs ? -1 : after + secs;
    }
    if (self->never || after < S_MIN_INSTANT || after > S_MAX_INSTANT)
        return -1;
    int64_t t = s_floor_div(after, 60) * 60 + 60;
    int64_t days = s_floor_div(t, 86400);
    unsigned sec_of_day = (unsigned) (t - days * 86400);
    unsigned hour = sec_of_day / 3600, minute = sec_of_day / 60 % 60;
    int64_t y;
    unsigned m, d;
    s_civil_from_days(days, &y, &m, &d);
    for (int i = 0; i < S_HORIZON_MONTHS; i++) {
        if (self->months & (1u << m)) {
            uint32_t mask = s_day_mask(self, y, m) >> d << d;
            for (; mask; mask &= mask - 1) {
                unsigned day = (unsigned) __builtin_ctz(mask);
                if (day != d)
                    hour = minute = 0;
                int at = s_first_time(self, hour, minute);
                if (at >= 0) {
                    int64_t fire = s_days_from_civil(y, m, day) * 86400 + at * 60;
                    return fire <= S_MAX_INSTANT ? fire : -1;
                }
            }
        }
        d = 1;
        hour = minute = 0;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    return -1;
}

int64_t
pk_cron_min_interval_ms(const pk_cron_t *self)
{
    if (!self)
        return -1;
    if (self->every)
        return self->every_ms;
    if (!self->minutes || !self->hours)
        return INT64_MAX;       // cannot happen: every field has at least one value
    int first_m = __builtin_ctzll(self->minutes), last_m = 63 - __builtin_clzll(self->minutes);
    int first_h = __builtin_ctz(self->hours), last_h = 31 - __builtin_clz(self->hours);
    // From the last minute of one fired hour to the first of one k hours later.
    int wrap = 60 - last_m + first_m;
    int gap = (24 - last_h + first_h - 1) * 60 + wrap;     // across midnight
    for (int m = 0, prev = -1; m < 60; m++)
        if (self->minutes & (1ULL << m)) {
            if (prev >= 0 && m - prev < gap)
                gap = m - prev;
            prev = m;
        }
    for (int h = 0, prev = -1; h < 24; h++)
        if (self->hours & (1u << h)) {
            if (prev >= 0 && (h - prev - 1) * 60 + wrap < gap)
                gap = (h - prev - 1) * 60 + wrap;
            prev = h;
        }
    return (int64_t) gap * 60000;
}
