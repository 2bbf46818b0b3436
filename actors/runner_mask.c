// runner_mask: replaces secret values by "***" in output before it leaves
// the runner. A mask is a set of byte patterns -- each secret value plus the
// forms it is likely to be printed in (base64 without padding, JSON-escaped,
// trailing newline trimmed); values shorter than RUNNER_MASK_MIN are not
// masked (masking "a" or "42" would garble every log and hide nothing).
//
// The coverage is the union of every occurrence of every pattern, and each
// maximal covered run becomes one "***": overlapping secrets ("abcdef",
// "defghi" in "abcdefghi") are masked as a whole, never half-revealed.
//
// Output arrives in chunks cut anywhere, so a stream keeps, per output
// stream, the bytes it already emitted that a match could still begin in
// (context, max_len-1) and holds back only bytes that could be the start of
// a secret that the next chunk completes (pending, at most max_len-1).
// Everything else is emitted at once. A stream's output equals the one-shot
// masking of the whole text, however it was cut (tests/test_runner_mask.c
// checks every cut). The filter on the first two bytes of the patterns keeps
// the common case -- no pattern starts here -- to one bit test per byte.
#include "runner_internal.h"
#include <stdlib.h>
#include <string.h>

#define S_STARS "***"

struct _runner_mask_t {
    size_t count;
    char **pats;
    size_t *lens;
    size_t max_len;                 // longest pattern, 0 when none
    uint64_t filter[65536 / 64];    // bit (b0 << 8 | b1) set: some pattern starts b0 b1
};

struct _runner_mask_stream_t {
    const runner_mask_t *mask;
    char *buf;                      // context | pending | new chunk, worked on in place
    size_t ctx_len, pend_len, cap;
    bool last_masked;               // the output so far ends inside a covered run
    char *out;
    size_t out_cap;
};

runner_mask_t *
runner_mask_new(void)
{
    return calloc(1, sizeof(runner_mask_t));
}

void
runner_mask_destroy(runner_mask_t **self_p)
{
    runner_mask_t *m = *self_p;
    if (!m)
        return;
    for (size_t i = 0; i < m->count; i++) {
        explicit_bzero(m->pats[i], m->lens[i]);
        free(m->pats[i]);
    }
    free(m->pats);
    free(m->lens);
    free(m);
    *self_p = NULL;
}

static void
s_add_pattern(runner_mask_t *m, const char *p, size_t len)
{
    if (len < RUNNER_MASK_MIN)
        return;
    for (size_t i = 0; i < m->count; i++)
        if (m->lens[i] == len && !memcmp(m->pats[i], p, len))
            return;
    m->pats = realloc(m->pats, (m->count + 1) * sizeof(char *));
    m->lens = realloc(m->lens, (m->count + 1) * sizeof(size_t));
    m->pats[m->count] = malloc(len);
    memcpy(m->pats[m->count], p, len);
    m->lens[m->count++] = len;
    if (len > m->max_len)
        m->max_len = len;
    unsigned k = (unsigned) (unsigned char) p[0] << 8 | (unsigned char) p[1];
    m->filter[k / 64] |= (uint64_t) 1 << (k % 64);
}

// Standard base64 without the '=' padding: the padded form contains it, and
// so does the value encoded inside a longer text that starts with it.
static char *
s_base64(const unsigned char *in, size_t len, size_t *out_len)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(len / 3 * 4 + 5);
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8 | in[i + 2];
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = tbl[v >> 6 & 63];
        out[o++] = tbl[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned) in[i] << 16;
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
    }
    else
    if (len - i == 2) {
        unsigned v = (unsigned) in[i] << 16 | (unsigned) in[i + 1] << 8;
        out[o++] = tbl[v >> 18 & 63];
        out[o++] = tbl[v >> 12 & 63];
        out[o++] = tbl[v >> 6 & 63];
    }
    *out_len = o;
    return out;
}

// The value as it appears inside a JSON string.
static char *
s_json_escape(const unsigned char *in, size_t len, size_t *out_len)
{
    char *out = malloc(len * 6 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = in[i];
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f" : NULL;
        if (esc) {
            memcpy(out + o, esc, 2);
            o += 2;
        }
        else
        if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[c >> 4];
            out[o + 5] = hex[c & 15];
            o += 6;
        }
        else
            out[o++] = (char) c;
    }
    *out_len = o;
    return out;
}

void
runner_mask_add(runner_mask_t *self, const char *value, size_t len)
{
    if (len < RUNNER_MASK_MIN)
        return;
    s_add_pattern(self, value, len);
    size_t trimmed = len;
    while (trimmed && (value[trimmed - 1] == '\n' || value[trimmed - 1] == '\r'))
        trimmed--;
    s_add_pattern(self, value, trimmed);    // `$(cat file)` drops the final newline
    size_t n;
    char *form = s_base64((const unsigned char *) value, len, &n);
    s_add_pattern(self, form, n);
    explicit_bzero(form, n);
    free(form);
    form = s_json_escape((const unsigned char *) value, len, &n);
    s_add_pattern(self, form, n);
    explicit_bzero(form, n);
    free(form);
}

size_t
runner_mask_count(const runner_mask_t *self)
{
    return self ? self->count : 0;
}

size_t
runner_mask_max_len(const runner_mask_t *self)
{
    return self ? self->max_len : 0;
}

// --- matching

static inline bool
s_maybe(const runner_mask_t *m, const unsigned char *p)
{
    unsigned k = (unsigned) p[0] << 8 | p[1];
    return m->filter[k / 64] >> (k % 64) & 1;
}

// Where output must stop so that a pattern begun in w[s..] and continued by
// the next chunk can still be recognised: the smallest s (>= from) whose
// w[s..wlen) is a proper prefix of a pattern; wlen when there is none.
static size_t
s_hold(const runner_mask_t *m, const char *w, size_t wlen, size_t from)
{
    size_t first = wlen > m->max_len - 1 ? wlen - (m->max_len - 1) : 0;
    for (size_t s = first; s < wlen; s++)
        for (size_t k = 0; k < m->count; k++) {
            size_t rest = wlen - s;
            if (m->lens[k] > rest && !memcmp(w + s, m->pats[k], rest))
                return s < from ? from : s;
        }
    return wlen;
}

static void
s_reserve(char **buf, size_t *cap, size_t need)
{
    if (need > *cap) {
        *cap = need * 2;
        *buf = realloc(*buf, *cap);
    }
}

// --- streams

runner_mask_stream_t *
runner_mask_stream_new(const runner_mask_t *mask)
{
    runner_mask_stream_t *s = calloc(1, sizeof(*s));
    s->mask = mask;
    return s;
}

void
runner_mask_stream_destroy(runner_mask_stream_t **self_p)
{
    runner_mask_stream_t *s = *self_p;
    if (!s)
        return;
    if (s->buf)
        explicit_bzero(s->buf, s->ctx_len + s->pend_len);
    free(s->buf);
    free(s->out);
    free(s);
    *self_p = NULL;
}

// Emits the uncovered bytes before a covered run [rs, re) and the run's
// "***" -- the part of it inside [e, h), the rest was or will be emitted by
// another call. A run that continues the previous call's last run adds no
// second "***".
static void
s_emit_run(runner_mask_stream_t *s, size_t e, size_t h, size_t rs, size_t re, size_t *pos,
           size_t *o)
{
    size_t a = rs > e ? rs : e, b = re < h ? re : h;
    if (a >= b)
        return;
    if (a > *pos) {
        memcpy(s->out + *o, s->buf + *pos, a - *pos);
        *o += a - *pos;
        s->last_masked = false;
    }
    if (!(a == e && s->last_masked)) {
        memcpy(s->out + *o, S_STARS, 3);
        *o += 3;
    }
    s->last_masked = true;
    *pos = b;
}

// Masks buf[e..h) into s->out -- e is where the context ends, h where the
// held-back bytes start (the end when final) -- and keeps the new context
// and the pending bytes for the next call. Covered runs are the union of
// every occurrence of every pattern, found in one left-to-right scan.
static size_t
s_process(runner_mask_stream_t *s, size_t wlen, bool final, const char **out)
{
    const runner_mask_t *m = s->mask;
    size_t e = s->ctx_len;
    size_t h = final ? wlen : s_hold(m, s->buf, wlen, e);
    s_reserve(&s->out, &s->out_cap, h - e + 8);    // a run cut at h may exceed its bytes
    const unsigned char *u = (const unsigned char *) s->buf;
    size_t o = 0, pos = e, rs = 0, re = 0;
    bool run = false;
    for (size_t i = 0; i + 1 < wlen && i < h; i++) {
        if (!s_maybe(m, u + i))
            continue;
        size_t best = 0;
        for (size_t k = 0; k < m->count; k++) {
            size_t l = m->lens[k];
            if (l > best && l <= wlen - i && !memcmp(u + i, m->pats[k], l))
                best = l;
        }
        if (!best)
            continue;
        if (run && i <= re) {
            if (i + best > re)
                re = i + best;
            continue;
        }
        if (run)
            s_emit_run(s, e, h, rs, re, &pos, &o);
        rs = i;
        re = i + best;
        run = true;
    }
    if (run)
        s_emit_run(s, e, h, rs, re, &pos, &o);
    if (pos < h) {
        memcpy(s->out + o, s->buf + pos, h - pos);
        o += h - pos;
        s->last_masked = false;
    }
    // keep the last max_len-1 emitted bytes as context, then what is pending
    size_t keep_ctx = m->max_len - 1;
    size_t ctx_from = h > keep_ctx ? h - keep_ctx : 0;
    size_t new_ctx = h - ctx_from, pend = wlen - h;
    memmove(s->buf, s->buf + ctx_from, new_ctx + pend);
    explicit_bzero(s->buf + new_ctx + pend, wlen - new_ctx - pend);
    s->ctx_len = new_ctx;
    s->pend_len = pend;
    *out = s->out;
    return o;
}

size_t
runner_mask_stream_write(runner_mask_stream_t *self, const void *data, size_t len,
                         const char **out)
{
    if (!self->mask || !self->mask->count) {
        *out = data;
        return len;
    }
    size_t wlen = self->ctx_len + self->pend_len + len;
    s_reserve(&self->buf, &self->cap, wlen + 1);
    memcpy(self->buf + self->ctx_len + self->pend_len, data, len);
    return s_process(self, wlen, false, out);
}

size_t
runner_mask_stream_flush(runner_mask_stream_t *self, const char **out)
{
    *out = "";
    if (!self->mask || !self->mask->count || !self->pend_len)
        return 0;
    size_t o = s_process(self, self->ctx_len + self->pend_len, true, out);
    self->last_masked = false;
    return o;
}

char *
runner_mask_apply(const runner_mask_t *self, const void *data, size_t len, size_t *out_len)
{
    runner_mask_stream_t *s = runner_mask_stream_new(self);
    const char *part;
    size_t n = runner_mask_stream_write(s, data, len, &part);
    char *res = malloc(n + 1);
    memcpy(res, part, n);
    size_t total = n;
    n = runner_mask_stream_flush(s, &part);
    res = realloc(res, total + n + 1);
    memcpy(res + total, part, n);
    total += n;
    res[total] = 0;
    runner_mask_stream_destroy(&s);
    *out_len = total;
    return res;
}

char *
runner_mask_str(const runner_mask_t *self, const char *text)
{
    size_t n;
    return runner_mask_apply(self, text, strlen(text), &n);
}
