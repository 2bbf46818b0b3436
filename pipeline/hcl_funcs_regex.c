// hcl_funcs_regex: regex(), regexall(), regexreplace() and replace()'s
// /pattern/ form on POSIX extended regular expressions (regex.h), as an
// approximation of the RE2 syntax Terraform uses. Patterns are translated
// first: \d \s \w and their negations, escapes inside brackets, (?:...)
// non-capturing and (?P<name>...) named groups, a leading (?i). What POSIX
// cannot express (non-greedy repeats, backreferences, other flags, Unicode
// classes) is rejected with an error rather than silently matched
// differently. Known remaining difference: POSIX picks the leftmost-longest
// alternative where RE2 picks the leftmost-first, and "." also matches a
// newline. Patterns whose expansion would be huge ({1000} nested in
// {1000}) and subjects over 1 MiB are refused to keep matching bounded.
#include "hcl_funcs.h"
#include "hcl_utf8.h"
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_GROUPS 64
#define S_MAX_PATTERN 4096
#define S_MAX_SUBJECT ((size_t) 1 << 20)
#define S_MAX_SIZE 3000

typedef struct {
    regex_t re;
    size_t ngroups;                 // POSIX groups
    bool capturing[S_MAX_GROUPS];   // per POSIX group (1-based index - 1)
    char *names[S_MAX_GROUPS];      // per POSIX group, or NULL
    size_t ncapture;                // capturing groups the user wrote
    size_t nnamed;
} s_regex_t;

// Appends a bracket expression's items from an RE2 class body.
static const char *
s_bracket(const char *p, size_t len, size_t *i, hcl_buf_t *out)
{
    hcl_buf_addc(out, '[');
    (*i)++;
    if (*i < len && p[*i] == '^') {
        hcl_buf_addc(out, '^');
        (*i)++;
    }
    // Collect items; ']' must come first and '-' last in POSIX.
    hcl_buf_t items;
    hcl_buf_init(&items);
    bool close_bracket = false, dash = false, first = true;
    while (*i < len && (p[*i] != ']' || first)) {
        char c = p[*i];
        first = false;
        if (c == '[' && *i + 1 < len && p[*i + 1] == ':') {
            const char *end = memmem(p + *i, len - *i, ":]", 2);
            if (!end) {
                hcl_buf_free(&items);
                return "missing closing ]";
            }
            hcl_buf_add(&items, p + *i, (size_t) (end + 2 - (p + *i)));
            *i = (size_t) (end + 2 - p);
            continue;
        }
        if (c == '\\' && *i + 1 < len) {
            char e = p[*i + 1];
            *i += 2;
            switch (e) {
            case 'd': hcl_buf_adds(&items, "0-9"); continue;
            case 's': hcl_buf_adds(&items, "[:space:]"); continue;
            case 'w': hcl_buf_adds(&items, "[:alnum:]_"); continue;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'D': case 'S': case 'W': case 'p': case 'P':
                hcl_buf_free(&items);
                return "negated or Unicode classes inside brackets are not supported";
            default:
                if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                    hcl_buf_free(&items);
                    return "invalid escape sequence";
                }
                c = e;
            }
            if (c == ']')
                close_bracket = true;
            else if (c == '-')
                dash = true;
            else
                hcl_buf_addc(&items, c);
            continue;
        }
        if (c == ']')
            close_bracket = true;
        else if (c == '-' && (items.len == 0 || *i + 1 >= len || p[*i + 1] == ']'))
            dash = true;
        else
            hcl_buf_addc(&items, c);
        (*i)++;
    }
    if (*i >= len) {
        hcl_buf_free(&items);
        return "missing closing ]";
    }
    (*i)++;
    if (close_bracket)
        hcl_buf_addc(out, ']');
    if (items.len)
        hcl_buf_add(out, items.data, items.len);
    if (dash)
        hcl_buf_addc(out, '-');
    if (!close_bracket && !dash && !items.len)
        return "empty character class";
    hcl_buf_addc(out, ']');
    hcl_buf_free(&items);
    return NULL;
}

// RE2 syntax to POSIX ERE; records which groups capture and their names.
static const char *
s_translate(const char *p, size_t len, hcl_buf_t *out, s_regex_t *rx, int *cflags)
{
    size_t i = 0;
    if (len >= 4 && memcmp(p, "(?i)", 4) == 0) {
        *cflags |= REG_ICASE;
        i = 4;
    }
    while (i < len) {
        char c = p[i];
        if (c == '[') {
            const char *err = s_bracket(p, len, &i, out);
            if (err)
                return err;
            continue;
        }
        if (c == '(') {
            if (rx->ngroups >= S_MAX_GROUPS)
                return "too many groups";
            size_t g = rx->ngroups++;
            rx->capturing[g] = true;
            i++;
            if (i < len && p[i] == '?') {
                if (i + 1 < len && p[i + 1] == ':') {
                    rx->capturing[g] = false;
                    i += 2;
                }
                else if (i + 1 < len && (p[i + 1] == 'P' || p[i + 1] == '<')) {
                    size_t s = i + (p[i + 1] == 'P' ? 2 : 1);
                    if (s >= len || p[s] != '<')
                        return "invalid named capture";
                    const char *end = memchr(p + s, '>', len - s);
                    if (!end || end == p + s + 1)
                        return "invalid named capture";
                    rx->names[g] = strndup(p + s + 1, (size_t) (end - (p + s + 1)));
                    rx->nnamed++;
                    i = (size_t) (end + 1 - p);
                }
                else
                    return "flags and lookaround groups are not supported";
            }
            if (rx->capturing[g] && !rx->names[g])
                rx->ncapture++;
            hcl_buf_addc(out, '(');
            continue;
        }
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < len && p[i + 1] == '?')
            return "non-greedy repetition is not supported";
        if (c == '{') {
            // Counted repetition: RE2 allows at most 1000.
            size_t k = i + 1;
            long a = 0, b = -1;
            while (k < len && p[k] >= '0' && p[k] <= '9' && a <= 1000)
                a = a * 10 + (p[k++] - '0');
            if (k < len && p[k] == ',') {
                k++;
                b = 0;
                bool any = false;
                while (k < len && p[k] >= '0' && p[k] <= '9' && b <= 1000) {
                    b = b * 10 + (p[k++] - '0');
                    any = true;
                }
                if (!any)
                    b = -1;
            }
            if (k < len && p[k] == '}' && k > i + 1) {
                if (a > 1000 || b > 1000)
                    return "invalid repeat count";
            }
        }
        if (c == '\\') {
            if (i + 1 >= len)
                return "trailing backslash at end of expression";
            char e = p[i + 1];
            i += 2;
            switch (e) {
            case 'd': hcl_buf_adds(out, "[0-9]"); continue;
            case 'D': hcl_buf_adds(out, "[^0-9]"); continue;
            case 's': hcl_buf_adds(out, "[[:space:]]"); continue;
            case 'S': hcl_buf_adds(out, "[^[:space:]]"); continue;
            case 'w': hcl_buf_adds(out, "[[:alnum:]_]"); continue;
            case 'W': hcl_buf_adds(out, "[^[:alnum:]_]"); continue;
            case 'b': case 'B': hcl_buf_addc(out, '\\'); hcl_buf_addc(out, e); continue;
            case 'A': hcl_buf_addc(out, '^'); continue;
            case 'z': hcl_buf_addc(out, '$'); continue;
            case 'n': hcl_buf_addc(out, '\n'); continue;
            case 't': hcl_buf_addc(out, '\t'); continue;
            case 'r': hcl_buf_addc(out, '\r'); continue;
            default:
                if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9'))
                    return "invalid escape sequence";
                hcl_buf_addc(out, '\\');
                hcl_buf_addc(out, e);
                continue;
            }
        }
        hcl_buf_addc(out, c);
        i++;
    }
    return out->overflow ? "pattern too long" : NULL;
}

// Rough size of the compiled expression with counted repeats expanded.
static bool
s_size_ok(const char *ere)
{
    size_t total[101] = { 0 }, last[101] = { 0 };
    int depth = 0;
    for (size_t i = 0; ere[i]; i++) {
        char c = ere[i];
        if (c == '\\' && ere[i + 1]) {
            i++;
            last[depth] = 1;
            total[depth]++;
        }
        else if (c == '[') {
            size_t k = i + 1;
            if (ere[k] == '^')
                k++;
            if (ere[k] == ']')
                k++;
            while (ere[k] && ere[k] != ']') {
                const char *cls = ere[k] == '[' && ere[k + 1] == ':' ? strstr(ere + k, ":]") : NULL;
                k += cls ? (size_t) (cls - (ere + k)) + 2 : 1;
            }
            i = ere[k] ? k : k - 1;
            last[depth] = 1;
            total[depth]++;
        }
        else if (c == '(') {
            if (++depth > 100)
                return false;
            total[depth] = last[depth] = 0;
        }
        else if (c == ')' && depth > 0) {
            size_t inner = total[depth] + 1;
            depth--;
            last[depth] = inner;
            total[depth] += inner;
        }
        else if (c == '{') {
            long a = strtol(ere + i + 1, NULL, 10);
            const char *comma = strchr(ere + i, ',');
            const char *end = strchr(ere + i, '}');
            long b = comma && end && comma < end ? strtol(comma + 1, NULL, 10) : a;
            long r = a > b ? a : b;
            if (r > 1)
                total[depth] += last[depth] * (size_t) (r - 1);
            last[depth] *= (size_t) (r > 0 ? r : 1);
            if (end)
                i = (size_t) (end - ere);
        }
        else if (c != '*' && c != '+' && c != '?' && c != '|') {
            last[depth] = 1;
            total[depth]++;
        }
        if (total[depth] > S_MAX_SIZE || last[depth] > S_MAX_SIZE)
            return false;
    }
    return true;
}

static void
s_free(s_regex_t *rx, bool compiled)
{
    if (compiled)
        regfree(&rx->re);
    for (size_t i = 0; i < S_MAX_GROUPS; i++)
        free(rx->names[i]);
}

static bool
s_compile(hcl_call_t *call, int arg, const char *pattern, size_t plen, s_regex_t *rx)
{
    memset(rx, 0, sizeof *rx);
    if (plen > S_MAX_PATTERN || memchr(pattern, '\0', plen)) {
        hcl_func_error(call, arg, "invalid regexp pattern: pattern too long or contains NUL");
        return false;
    }
    hcl_buf_t ere;
    hcl_buf_init(&ere);
    int cflags = REG_EXTENDED;
    const char *err = s_translate(pattern, plen, &ere, rx, &cflags);
    if (!err && rx->ncapture > 0 && rx->nnamed > 0)
        err = "cannot mix both named and unnamed capture groups";
    if (!err && !s_size_ok(ere.data ? ere.data : ""))
        err = "expression too large";
    int rc = err ? 0 : regcomp(&rx->re, ere.data ? ere.data : "", cflags);
    hcl_buf_free(&ere);
    if (err || rc != 0) {
        char msg[128] = "";
        if (!err)
            regerror(rc, &rx->re, msg, sizeof msg);
        hcl_func_error(call, arg, "invalid regexp pattern: %s", err ? err : msg);
        s_free(rx, false);
        return false;
    }
    return true;
}

// Next match at or after pos: fills m (POSIX groups + 1); false when none.
static bool
s_exec(s_regex_t *rx, const char *s, size_t len, size_t pos, regmatch_t *m)
{
    m[0].rm_so = (regoff_t) pos;
    m[0].rm_eo = (regoff_t) len;
    int flags = REG_STARTEND | (pos > 0 ? REG_NOTBOL : 0);
    return regexec(&rx->re, s, rx->ngroups + 1, m, flags) == 0;
}

static pk_value_t *
s_capture(const char *s, const regmatch_t *m)
{
    if (m->rm_so < 0)
        return pk_value_new_null();
    return pk_value_new_stringn(s + m->rm_so, (size_t) (m->rm_eo - m->rm_so));
}

// A match in the shape regex() returns: string, list or object.
static pk_value_t *
s_result(const s_regex_t *rx, const char *s, const regmatch_t *m)
{
    if (rx->ncapture == 0 && rx->nnamed == 0)
        return s_capture(s, &m[0]);
    pk_value_t *out = rx->nnamed ? pk_value_new_object() : pk_value_new_list();
    for (size_t g = 0; g < rx->ngroups; g++) {
        if (!rx->capturing[g])
            continue;
        if (rx->names[g])
            pk_value_object_set(out, rx->names[g], s_capture(s, &m[g + 1]));
        else
            pk_value_list_append(out, s_capture(s, &m[g + 1]));
    }
    return out;
}

static bool
s_subject_ok(hcl_call_t *call, int arg, size_t len)
{
    if (len <= S_MAX_SUBJECT)
        return true;
    hcl_func_error(call, arg, "the string is longer than the %zu KiB regular expressions may search",
                   S_MAX_SUBJECT >> 10);
    return false;
}

HCL_FN(regex)
{
    size_t plen, len;
    const char *pattern = hcl_arg_str(call, 0, &plen), *s = hcl_arg_str(call, 1, &len);
    s_regex_t rx;
    if (!s_subject_ok(call, 1, len) || !s_compile(call, 0, pattern, plen, &rx))
        return NULL;
    regmatch_t m[S_MAX_GROUPS + 1];
    pk_value_t *out = s_exec(&rx, s, len, 0, m) ? s_result(&rx, s, m)
                    : hcl_func_error(call, -1, "pattern did not match any part of the given string");
    s_free(&rx, true);
    return out;
}

// Byte length of the character at s (at least 1), for stepping past empty matches.
static size_t
s_step(const char *s, size_t len)
{
    size_t n = hcl_utf8_valid_len(s, len);
    return n ? n : 1;
}

HCL_FN(regexall)
{
    size_t plen, len;
    const char *pattern = hcl_arg_str(call, 0, &plen), *s = hcl_arg_str(call, 1, &len);
    s_regex_t rx;
    if (!s_subject_ok(call, 1, len) || !s_compile(call, 0, pattern, plen, &rx))
        return NULL;
    pk_value_t *out = pk_value_new_list();
    regmatch_t m[S_MAX_GROUPS + 1];
    size_t pos = 0;
    long prev_end = -1;
    while (pos <= len && s_exec(&rx, s, len, pos, m)) {
        size_t so = (size_t) m[0].rm_so, eo = (size_t) m[0].rm_eo;
        if (!(eo == so && (long) so == prev_end))
            pk_value_list_append(out, s_result(&rx, s, m));
        prev_end = (long) eo;
        pos = eo > so ? eo : eo + (eo < len ? s_step(s + eo, len - eo) : 1);
    }
    s_free(&rx, true);
    return out;
}

// Go's regexp.Expand template: $1, ${1}, $name, ${name}, $$.
static void
s_expand(hcl_buf_t *b, const s_regex_t *rx, const char *s, const regmatch_t *m, const char *t, size_t tlen)
{
    for (size_t i = 0; i < tlen; i++) {
        if (t[i] != '$' || i + 1 >= tlen) {
            hcl_buf_addc(b, t[i]);
            continue;
        }
        if (t[i + 1] == '$') {
            hcl_buf_addc(b, '$');
            i++;
            continue;
        }
        size_t start = i + 1, end;
        bool braced = t[start] == '{';
        if (braced)
            start++;
        end = start;
        while (end < tlen && ((t[end] >= 'a' && t[end] <= 'z') || (t[end] >= 'A' && t[end] <= 'Z')
               || (t[end] >= '0' && t[end] <= '9') || t[end] == '_'))
            end++;
        if (end == start || (braced && (end >= tlen || t[end] != '}'))) {
            hcl_buf_addc(b, '$');
            continue;
        }
        size_t nlen = end - start;
        bool digits = true;
        long num = 0;
        for (size_t k = start; k < end; k++) {
            digits &= t[k] >= '0' && t[k] <= '9';
            if (digits && num < 1000)
                num = num * 10 + (t[k] - '0');
        }
        // Map the user's group number/name to the POSIX group.
        long user = 0;
        for (size_t g = 0; g <= rx->ngroups; g++) {
            bool hit;
            if (g == 0)
                hit = digits && num == 0;
            else if (!rx->capturing[g - 1])
                continue;
            else if (digits)
                hit = ++user == num;
            else
                hit = rx->names[g - 1] && strlen(rx->names[g - 1]) == nlen
                   && memcmp(rx->names[g - 1], t + start, nlen) == 0;
            if (hit && m[g].rm_so >= 0) {
                hcl_buf_add(b, s + m[g].rm_so, (size_t) (m[g].rm_eo - m[g].rm_so));
                break;
            }
            if (hit)
                break;
        }
        i = braced ? end : end - 1;
    }
}

pk_value_t *
hcl_regex_replace(hcl_call_t *call, const char *s, size_t len, const char *pattern, size_t plen,
                  const char *repl, size_t rlen)
{
    s_regex_t rx;
    if (!s_subject_ok(call, 0, len) || !s_compile(call, 1, pattern, plen, &rx))
        return NULL;
    hcl_buf_t b;
    hcl_buf_init(&b);
    regmatch_t m[S_MAX_GROUPS + 1];
    size_t pos = 0;
    long prev_end = -1;
    while (pos <= len && !b.overflow && s_exec(&rx, s, len, pos, m)) {
        size_t so = (size_t) m[0].rm_so, eo = (size_t) m[0].rm_eo;
        hcl_buf_add(&b, s + pos, so - pos);
        if (!(eo == so && (long) so == prev_end))
            s_expand(&b, &rx, s, m, repl, rlen);
        prev_end = (long) eo;
        pos = eo;
        if (eo == so) {
            if (eo >= len)
                break;
            size_t n = s_step(s + eo, len - eo);
            hcl_buf_add(&b, s + eo, n);
            pos = eo + n;
        }
    }
    if (pos < len)
        hcl_buf_add(&b, s + pos, len - pos);
    s_free(&rx, true);
    return hcl_func_string(call, &b);
}

HCL_FN(regexreplace)
{
    size_t len, plen, rlen;
    const char *s = hcl_arg_str(call, 0, &len);
    const char *pattern = hcl_arg_str(call, 1, &plen);
    const char *repl = hcl_arg_str(call, 2, &rlen);
    return hcl_regex_replace(call, s, len, pattern, plen, repl, rlen);
}
