// hcl_funcs_string: string functions with Terraform/cty semantics. Lengths,
// offsets and reversal count grapheme clusters (approximated, see
// hcl_utf8.h) as cty does; case mapping covers Latin, Greek and Cyrillic.
// Every result is built in an hcl_buf so outsized results become errors.
#include "hcl_funcs.h"
#include "hcl_utf8.h"
#include <stdlib.h>
#include <string.h>

static pk_value_t *
s_bool(bool b)
{
    return pk_value_new_bool(b);
}

HCL_FN(chomp)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        len--;
    return pk_value_new_stringn(s, len);
}

HCL_FN(startswith)
{
    size_t len, plen;
    const char *s = hcl_arg_str(call, 0, &len), *p = hcl_arg_str(call, 1, &plen);
    return s_bool(plen <= len && memcmp(s, p, plen) == 0);
}

HCL_FN(endswith)
{
    size_t len, plen;
    const char *s = hcl_arg_str(call, 0, &len), *p = hcl_arg_str(call, 1, &plen);
    return s_bool(plen <= len && memcmp(s + len - plen, p, plen) == 0);
}

HCL_FN(strcontains)
{
    size_t len, plen;
    const char *s = hcl_arg_str(call, 0, &len), *p = hcl_arg_str(call, 1, &plen);
    return s_bool(plen == 0 || memmem(s, len, p, plen) != NULL);
}

HCL_FN(indent)
{
    long long spaces;
    if (!hcl_arg_int(call, 0, &spaces))
        return NULL;
    if (spaces < 0)
        return hcl_func_error(call, 0, "the number of spaces must not be negative");
    size_t len;
    const char *s = hcl_arg_str(call, 1, &len);
    hcl_buf_t b;
    hcl_buf_init(&b);
    for (size_t i = 0; i < len && !b.overflow; i++) {
        hcl_buf_addc(&b, s[i]);
        for (long long k = 0; s[i] == '\n' && k < spaces && !b.overflow; k++)
            hcl_buf_addc(&b, ' ');
    }
    return hcl_func_string(call, &b);
}

HCL_FN(join)
{
    size_t slen;
    const char *sep = hcl_arg_str(call, 0, &slen);
    if (call->nargs < 2)
        return hcl_func_error(call, -1, "at least one list is required");
    hcl_buf_t b;
    hcl_buf_init(&b);
    bool first = true;
    for (size_t a = 1; a < call->nargs; a++) {
        const pk_value_t *list = call->args[a];
        for (size_t i = 0; i < pk_value_len(list); i++) {
            const pk_value_t *item = pk_value_list_at(list, i);
            size_t len;
            char *s = hcl_to_string(item, &len);
            if (!s) {
                hcl_buf_free(&b);
                if (pk_value_kind(item) == PK_V_NULL)
                    return call->nargs > 2
                        ? hcl_func_error(call, (int) a, "element %zu of list %zu is null; cannot concatenate "
                                         "null values", i, a)
                        : hcl_func_error(call, (int) a, "element %zu is null; cannot concatenate null values", i);
                return hcl_func_error(call, (int) a, "element %zu: string required", i);
            }
            if (!first)
                hcl_buf_add(&b, sep, slen);
            first = false;
            hcl_buf_add(&b, s, len);
            free(s);
        }
    }
    return hcl_func_string(call, &b);
}

static pk_value_t *
s_map_case(hcl_call_t *call, unsigned (*map)(unsigned))
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    hcl_buf_t b;
    hcl_buf_init(&b);
    for (size_t i = 0; i < len;) {
        size_t n = hcl_utf8_valid_len(s + i, len - i);
        if (n == 0) {
            hcl_buf_addc(&b, s[i++]);
            continue;
        }
        unsigned cp;
        hcl_utf8_decode(s + i, n, &cp);
        hcl_buf_add_utf8(&b, map(cp));
        i += n;
    }
    return hcl_func_string(call, &b);
}

HCL_FN(lower)
{
    return s_map_case(call, hcl_utf8_lower);
}

HCL_FN(upper)
{
    return s_map_case(call, hcl_utf8_upper);
}

// Go's strings.Title: upper-case letters that follow a separator.
static bool
s_is_separator(unsigned cp)
{
    if (cp < 0x80) {
        bool alnum = (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
        return !(alnum || cp == '_');
    }
    if (hcl_utf8_is_letter(cp))
        return false;
    return hcl_utf8_is_space(cp);
}

HCL_FN(title)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    hcl_buf_t b;
    hcl_buf_init(&b);
    unsigned prev = ' ';
    for (size_t i = 0; i < len;) {
        size_t n = hcl_utf8_valid_len(s + i, len - i);
        if (n == 0) {
            hcl_buf_addc(&b, s[i++]);
            prev = 0xFFFD;
            continue;
        }
        unsigned cp;
        hcl_utf8_decode(s + i, n, &cp);
        hcl_buf_add_utf8(&b, s_is_separator(prev) ? hcl_utf8_title(cp) : cp);
        prev = cp;
        i += n;
    }
    return hcl_func_string(call, &b);
}

HCL_FN(replace)
{
    size_t len, olen, nlen;
    const char *s = hcl_arg_str(call, 0, &len);
    const char *old = hcl_arg_str(call, 1, &olen);
    const char *rep = hcl_arg_str(call, 2, &nlen);
    if (olen > 1 && old[0] == '/' && old[olen - 1] == '/')
        return hcl_regex_replace(call, s, len, old + 1, olen - 2, rep, nlen);
    hcl_buf_t b;
    hcl_buf_init(&b);
    if (olen == 0) {
        // strings.Replace with an empty old string: insert at every rune boundary.
        for (size_t i = 0; i <= len && !b.overflow;) {
            hcl_buf_add(&b, rep, nlen);
            if (i == len)
                break;
            size_t n = hcl_utf8_valid_len(s + i, len - i);
            n = n ? n : 1;
            hcl_buf_add(&b, s + i, n);
            i += n;
        }
        return hcl_func_string(call, &b);
    }
    size_t i = 0;
    while (i < len && !b.overflow) {
        const char *hit = memmem(s + i, len - i, old, olen);
        if (!hit) {
            hcl_buf_add(&b, s + i, len - i);
            break;
        }
        hcl_buf_add(&b, s + i, (size_t) (hit - (s + i)));
        hcl_buf_add(&b, rep, nlen);
        i = (size_t) (hit - s) + olen;
    }
    return hcl_func_string(call, &b);
}

HCL_FN(split)
{
    size_t slen, len;
    const char *sep = hcl_arg_str(call, 0, &slen);
    const char *s = hcl_arg_str(call, 1, &len);
    pk_value_t *out = pk_value_new_list();
    if (slen == 0) {
        for (size_t i = 0; i < len;) {
            size_t n = hcl_utf8_valid_len(s + i, len - i);
            n = n ? n : 1;
            pk_value_list_append(out, pk_value_new_stringn(s + i, n));
            i += n;
        }
        return out;
    }
    size_t i = 0;
    while (true) {
        const char *hit = i <= len ? memmem(s + i, len - i, sep, slen) : NULL;
        size_t end = hit ? (size_t) (hit - s) : len;
        pk_value_list_append(out, pk_value_new_stringn(s + i, end - i));
        if (!hit)
            break;
        i = end + slen;
        if (hcl_value_weight(out) > HCL_MAX_WEIGHT) {
            pk_value_destroy(&out);
            return hcl_func_error(call, -1, "the result would be too large");
        }
    }
    return out;
}

HCL_FN(strlen)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    return pk_value_new_number((double) hcl_utf8_graphemes(s, len));
}

HCL_FN(strrev)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    char *out = malloc(len + 1);
    if (!out)
        return hcl_func_error(call, -1, "out of memory");
    size_t o = len;
    for (size_t i = 0; i < len;) {
        size_t n = hcl_utf8_grapheme(s + i, len - i);
        o -= n;
        memcpy(out + o, s + i, n);
        i += n;
    }
    out[len] = '\0';
    return hcl_value_string_take(out, len);
}

HCL_FN(substr)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    long long offset, length;
    if (!hcl_arg_int(call, 1, &offset) || !hcl_arg_int(call, 2, &length))
        return NULL;
    if (offset < 0)
        offset += (long long) hcl_utf8_graphemes(s, len);
    else if (length == 0)
        return pk_value_new_string("");
    size_t i = 0;
    for (long long pos = 0; pos < offset && i < len; pos++)
        i += hcl_utf8_grapheme(s + i, len - i);
    if (offset > 0 && i >= len)
        return pk_value_new_string("");
    if (length < 0)
        return pk_value_new_stringn(s + i, len - i);
    size_t j = i;
    for (long long pos = 0; pos < length && j < len; pos++)
        j += hcl_utf8_grapheme(s + j, len - j);
    return pk_value_new_stringn(s + i, j - i);
}

// True when code point cp appears in set (UTF-8, len bytes).
static bool
s_in_set(unsigned cp, const char *set, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned c;
        i += hcl_utf8_decode(set + i, len - i, &c);
        if (c == cp)
            return true;
    }
    return false;
}

// Byte length of the last code point of s[0..len).
static size_t
s_last_cp(const char *s, size_t len, unsigned *cp)
{
    size_t start = len - 1;
    while (start > 0 && len - start < 4 && ((unsigned char) s[start] & 0xC0) == 0x80)
        start--;
    size_t n = hcl_utf8_decode(s + start, len - start, cp);
    if (start + n != len) {
        *cp = 0xFFFD;
        return 1;
    }
    return n;
}

static pk_value_t *
s_trim(const char *s, size_t len, const char *set, size_t setlen)
{
    size_t b = 0, e = len;
    while (b < e) {
        unsigned cp;
        size_t n = hcl_utf8_decode(s + b, e - b, &cp);
        if (set ? !s_in_set(cp, set, setlen) : !hcl_utf8_is_space(cp))
            break;
        b += n;
    }
    while (e > b) {
        unsigned cp;
        size_t n = s_last_cp(s + b, e - b, &cp);
        if (set ? !s_in_set(cp, set, setlen) : !hcl_utf8_is_space(cp))
            break;
        e -= n;
    }
    return pk_value_new_stringn(s + b, e - b);
}

HCL_FN(trim)
{
    size_t len, setlen;
    const char *s = hcl_arg_str(call, 0, &len), *set = hcl_arg_str(call, 1, &setlen);
    return s_trim(s, len, set, setlen);
}

HCL_FN(trimspace)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    return s_trim(s, len, NULL, 0);
}

HCL_FN(trimprefix)
{
    size_t len, plen;
    const char *s = hcl_arg_str(call, 0, &len), *p = hcl_arg_str(call, 1, &plen);
    if (plen <= len && memcmp(s, p, plen) == 0)
        return pk_value_new_stringn(s + plen, len - plen);
    return pk_value_new_stringn(s, len);
}

HCL_FN(trimsuffix)
{
    size_t len, plen;
    const char *s = hcl_arg_str(call, 0, &len), *p = hcl_arg_str(call, 1, &plen);
    if (plen <= len && memcmp(s + len - plen, p, plen) == 0)
        return pk_value_new_stringn(s, len - plen);
    return pk_value_new_stringn(s, len);
}
