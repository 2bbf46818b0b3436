// hcl_funcs_format: format() and formatlist(), following cty's format.go:
// verbs %v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q, flags "+ -#0",
// width, precision and explicit argument indexes %[n]d. Integers are
// formatted by hand (C has no %b and Go's flag rules differ slightly);
// floats go through snprintf. Widths and precisions are capped so a format
// string cannot ask for gigabytes.
#include "hcl_funcs.h"
#include "hcl_utf8.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_WIDTH 100000

typedef struct {
    bool zero, sharp, plus, minus, space;
    long width, prec;       // -1 when absent
    size_t argnum;          // 1-based
    char mode;
    const char *raw;
    size_t raw_len, offset;
} s_verb_t;

static void
s_pad(hcl_buf_t *b, const s_verb_t *v, const char *s, size_t len)
{
    size_t have = hcl_utf8_graphemes(s, len);
    size_t pad = v->width > 0 && (size_t) v->width > have ? (size_t) v->width - have : 0;
    if (!v->minus)
        for (size_t i = 0; i < pad; i++)
            hcl_buf_addc(b, v->zero ? '0' : ' ');
    hcl_buf_add(b, s, len);
    if (v->minus)
        for (size_t i = 0; i < pad; i++)
            hcl_buf_addc(b, ' ');
}

// Shortest round-trip digits of |n| and its decimal point position.
static size_t
s_digits(double n, char *digits, int *dp)
{
    // Same digit policy as hcl_number_format: whole numbers shortest
    // round-trip, anything else at most 15 significant digits.
    char e[40];
    int max = n == floor(n) ? 17 : 15;
    for (int prec = 0; prec < max; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, fabs(n));
        if (strtod(e, NULL) == fabs(n))
            break;
    }
    size_t nd = 0;
    char *p = e;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    *dp = atoi(p + 1) + 1;
    return nd;
}

// big.Float.Text('g', -1): shortest digits, exponent form when the exponent
// is below -4 or at least 6.
static void
s_shortest_g(hcl_buf_t *b, double n, char e_char)
{
    if (n == 0) {
        hcl_buf_addc(b, '0');
        return;
    }
    char digits[40];
    int dp;
    size_t nd = s_digits(n, digits, &dp);
    int exp = dp - 1;
    if (n < 0)
        hcl_buf_addc(b, '-');
    if (exp < -4 || exp >= 6) {
        hcl_buf_addc(b, digits[0]);
        if (nd > 1) {
            hcl_buf_addc(b, '.');
            hcl_buf_add(b, digits + 1, nd - 1);
        }
        hcl_buf_addf(b, "%c%c%02d", e_char, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    char num[HCL_NUMBER_BUF];
    hcl_buf_adds(b, hcl_number_format(fabs(n), num));
}

static int
s_integer(hcl_call_t *call, hcl_buf_t *b, const s_verb_t *v, double n)
{
    if (n != floor(n) || fabs(n) >= 9.2e18)
        return hcl_func_error(call, -1, "unsupported value for \"%.*s\" at %zu: an integer is required",
                              (int) v->raw_len, v->raw, v->offset), -1;
    unsigned long long u = (unsigned long long) fabs(n);
    int base = v->mode == 'b' ? 2 : v->mode == 'o' ? 8 : (v->mode == 'x' || v->mode == 'X') ? 16 : 10;
    const char *set = v->mode == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[80];
    size_t nd = 0;
    do {
        tmp[nd++] = set[u % (unsigned) base];
        u /= (unsigned) base;
    } while (u);
    char out[200];
    size_t o = 0;
    if (n < 0)
        out[o++] = '-';
    else if (v->plus)
        out[o++] = '+';
    else if (v->space)
        out[o++] = ' ';
    if (v->sharp) {
        const char *prefix = base == 2 ? "0b" : base == 8 ? "0" : base == 16 ? (v->mode == 'X' ? "0X" : "0x") : "";
        for (const char *p = prefix; *p; p++)
            out[o++] = *p;
    }
    for (long i = (long) nd; v->prec > 0 && i < v->prec && i < 100; i++)
        out[o++] = '0';
    while (nd > 0)
        out[o++] = tmp[--nd];
    if (v->zero && !v->minus && v->prec < 0 && v->width > (long) o) {
        // Zero padding goes between the sign/prefix and the digits.
        size_t lead = (n < 0 || v->plus || v->space) ? 1 : 0;
        if (v->sharp && base != 10)
            lead += base == 8 ? 1 : 2;
        hcl_buf_add(b, out, lead);
        for (long i = (long) o; i < v->width; i++)
            hcl_buf_addc(b, '0');
        hcl_buf_add(b, out + lead, o - lead);
        return 0;
    }
    s_verb_t plain = *v;
    plain.zero = false;
    s_pad(b, &plain, out, o);
    return 0;
}

static int
s_float(hcl_buf_t *b, const s_verb_t *v, double n)
{
    if ((v->mode == 'g' || v->mode == 'G') && v->prec < 0) {
        hcl_buf_t tmp;
        hcl_buf_init(&tmp);
        if (n >= 0 && v->plus)
            hcl_buf_addc(&tmp, '+');
        else if (n >= 0 && v->space)
            hcl_buf_addc(&tmp, ' ');
        s_shortest_g(&tmp, n, v->mode == 'G' ? 'E' : 'e');
        s_verb_t plain = *v;
        plain.zero = v->zero && !v->minus;
        s_pad(b, &plain, tmp.data ? tmp.data : "", tmp.len);
        hcl_buf_free(&tmp);
        return 0;
    }
    char spec[32];
    int k = 0;
    spec[k++] = '%';
    if (v->minus) spec[k++] = '-';
    if (v->plus) spec[k++] = '+';
    if (v->space) spec[k++] = ' ';
    if (v->zero) spec[k++] = '0';
    if (v->sharp) spec[k++] = '#';
    spec[k++] = '*';
    spec[k++] = '.';
    spec[k++] = '*';
    spec[k++] = v->mode;
    spec[k] = '\0';
    return hcl_buf_addf(b, spec, (int) (v->width < 0 ? 0 : v->width), (int) (v->prec < 0 ? 6 : v->prec), n);
}

static int
s_append(hcl_call_t *call, hcl_buf_t *b, const s_verb_t *v, const pk_value_t *arg)
{
    pk_value_kind_t kind = pk_value_kind(arg);
    if (v->mode != 'v' && kind == PK_V_NULL)
        return hcl_func_error(call, -1, "unsupported value for \"%.*s\" at %zu: null value cannot be formatted",
                              (int) v->raw_len, v->raw, v->offset), -1;
    switch (v->mode) {
    case 'v':
        if (!v->sharp && kind == PK_V_STRING) {
            s_pad(b, v, pk_value_string(arg), pk_value_len(arg));
            return 0;
        }
        if (!v->sharp && kind == PK_V_NUMBER) {
            hcl_buf_t tmp;
            hcl_buf_init(&tmp);
            s_shortest_g(&tmp, pk_value_number(arg), 'e');
            s_pad(b, v, tmp.data, tmp.len);
            hcl_buf_free(&tmp);
            return 0;
        }
        {
            char *json = hcl_value_to_json(arg, true);
            if (!json)
                return hcl_func_error(call, -1, "unsupported value for \"%.*s\" at %zu: the value is too large",
                                      (int) v->raw_len, v->raw, v->offset), -1;
            s_pad(b, v, json, strlen(json));
            free(json);
        }
        return 0;
    case 't': {
        bool t;
        if (hcl_to_bool(arg, &t) < 0)
            return hcl_func_error(call, -1, "unsupported value for \"%.*s\" at %zu: a bool is required",
                                  (int) v->raw_len, v->raw, v->offset), -1;
        hcl_buf_adds(b, t ? "true" : "false");
        return 0;
    }
    case 'b': case 'd': case 'o': case 'x': case 'X':
    case 'e': case 'E': case 'f': case 'g': case 'G': {
        double n;
        if (hcl_to_number(arg, &n) < 0)
            return hcl_func_error(call, -1, "unsupported value for \"%.*s\" at %zu: a number is required",
                                  (int) v->raw_len, v->raw, v->offset), -1;
        if (strchr("bdoxX", v->mode))
            return s_integer(call, b, v, n);
        return s_float(b, v, n);
    }
    case 's': case 'q': {
        size_t len;
        char *s = hcl_to_string(arg, &len);
        if (!s)
            return hcl_func_error(call, -1, "unsupported value for \"%.*s\" at %zu: string required",
                                  (int) v->raw_len, v->raw, v->offset), -1;
        if (v->prec > 0) {
            size_t pos = 0;
            for (long i = 0; i < v->prec && pos < len; i++)
                pos += hcl_utf8_grapheme(s + pos, len - pos);
            len = pos;
        }
        if (v->mode == 's')
            s_pad(b, v, s, len);
        else {
            pk_value_t *tmp = pk_value_new_stringn(s, len);
            char *json = hcl_value_to_json(tmp, true);
            pk_value_destroy(&tmp);
            if (json)
                s_pad(b, v, json, strlen(json));
            free(json);
        }
        free(s);
        return 0;
    }
    default:
        return hcl_func_error(call, -1, "unsupported format verb %c in \"%.*s\" at offset %zu", v->mode,
                              (int) v->raw_len, v->raw, v->offset), -1;
    }
}

static long
s_read_int(const char *f, size_t len, size_t *i)
{
    long n = 0;
    while (*i < len && f[*i] >= '0' && f[*i] <= '9') {
        if (n <= S_MAX_WIDTH)
            n = n * 10 + (f[*i] - '0');
        (*i)++;
    }
    return n;
}

// Formats into b; args are call->args[first..]. 0 or -1 (error set).
static int
s_format(hcl_call_t *call, hcl_buf_t *b, const char *f, size_t len, const pk_value_t *const *args,
         size_t nargs)
{
    size_t next = 1, highest = 0;
    size_t i = 0;
    while (i < len && !b->overflow) {
        if (f[i] != '%') {
            const char *pct = memchr(f + i, '%', len - i);
            size_t n = pct ? (size_t) (pct - (f + i)) : len - i;
            hcl_buf_add(b, f + i, n);
            i += n;
            continue;
        }
        if (i + 1 < len && f[i + 1] == '%') {
            hcl_buf_addc(b, '%');
            i += 2;
            continue;
        }
        s_verb_t v = { .width = -1, .prec = -1, .raw = f + i, .offset = i };
        size_t start = i++;
        for (; i < len && strchr(" +-#0", f[i]) && f[i]; i++) {
            v.zero |= f[i] == '0';
            v.sharp |= f[i] == '#';
            v.plus |= f[i] == '+';
            v.minus |= f[i] == '-';
            v.space |= f[i] == ' ';
        }
        v.argnum = next;
        if (i < len && f[i] == '[') {
            i++;
            v.argnum = (size_t) s_read_int(f, len, &i);
            if (i >= len || f[i] != ']' || v.argnum == 0)
                return hcl_func_error(call, 0, "invalid format string starting at offset %zu", start), -1;
            i++;
        }
        if (i < len && f[i] >= '0' && f[i] <= '9')
            v.width = s_read_int(f, len, &i);
        if (i < len && f[i] == '.') {
            i++;
            v.prec = s_read_int(f, len, &i);
        }
        if (v.width > S_MAX_WIDTH || v.prec > S_MAX_WIDTH)
            return hcl_func_error(call, 0, "width or precision at offset %zu is larger than %d", start,
                                  S_MAX_WIDTH), -1;
        if (i >= len)
            return hcl_func_error(call, 0, "invalid format string starting at offset %zu", start), -1;
        unsigned cp;
        size_t cl = hcl_utf8_decode(f + i, len - i, &cp);
        v.mode = cp < 0x80 ? (char) cp : '?';
        i += cl;
        v.raw_len = i - start;
        if (v.argnum > nargs)
            return hcl_func_error(call, -1, "not enough arguments for \"%.*s\" at %zu: need index %zu but have %zu "
                                  "total", (int) v.raw_len, v.raw, v.offset, v.argnum, nargs), -1;
        if (v.argnum > highest)
            highest = v.argnum;
        next = v.argnum + 1;
        if (s_append(call, b, &v, args[v.argnum - 1]) < 0)
            return -1;
    }
    if (highest < nargs) {
        if (highest == 0)
            return hcl_func_error(call, 1, "too many arguments; no verbs in format string"), -1;
        return hcl_func_error(call, (int) highest + 1, "too many arguments; only %zu used by format string",
                              highest), -1;
    }
    return 0;
}

HCL_FN(format)
{
    size_t len;
    const char *f = hcl_arg_str(call, 0, &len);
    hcl_buf_t b;
    hcl_buf_init(&b);
    if (s_format(call, &b, f, len, (const pk_value_t *const *) call->args + 1, call->nargs - 1) < 0) {
        hcl_buf_free(&b);
        return NULL;
    }
    return hcl_func_string(call, &b);
}

HCL_FN(formatlist)
{
    size_t len;
    const char *f = hcl_arg_str(call, 0, &len);
    size_t nargs = call->nargs - 1;
    long iter = -1;
    size_t chooser = 0;
    for (size_t i = 0; i < nargs; i++) {
        const pk_value_t *a = call->args[i + 1];
        if (pk_value_kind(a) != PK_V_LIST)
            continue;
        if (iter < 0) {
            iter = (long) pk_value_len(a);
            chooser = i;
        }
        else if ((size_t) iter != pk_value_len(a))
            return hcl_func_error(call, (int) i + 1, "argument %zu has length %zu, which is inconsistent with "
                                  "argument %zu of length %ld", i + 1, pk_value_len(a), chooser + 1, iter);
    }
    if (iter < 0)
        iter = 1;
    pk_value_t *out = pk_value_new_list();
    const pk_value_t **row = calloc(nargs + 1, sizeof *row);
    if (!row) {
        pk_value_destroy(&out);
        return hcl_func_error(call, -1, "out of memory");
    }
    for (long k = 0; k < iter; k++) {
        for (size_t i = 0; i < nargs; i++) {
            const pk_value_t *a = call->args[i + 1];
            row[i] = pk_value_kind(a) == PK_V_LIST ? pk_value_list_at(a, (size_t) k) : a;
        }
        hcl_buf_t b;
        hcl_buf_init(&b);
        if (s_format(call, &b, f, len, row, nargs) < 0) {
            hcl_buf_free(&b);
            pk_value_destroy(&out);
            break;
        }
        pk_value_t *s = hcl_func_string(call, &b);
        if (!s) {
            pk_value_destroy(&out);
            break;
        }
        pk_value_list_append(out, s);
        if (hcl_value_weight(out) > HCL_MAX_WEIGHT) {
            pk_value_destroy(&out);
            hcl_func_error(call, -1, "the result would be too large");
            break;
        }
    }
    free(row);
    return out;
}
