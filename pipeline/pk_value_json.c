// pk_value_json: JSON text to and from pk_value trees (pk_value_to_json,
// pk_value_from_json, and jsonencode's Go-compatible variant). A strict
// RFC 8259 recursive-descent reader with a nesting cap, so hostile input
// gives an error message instead of a deep stack; the writer escapes as Go's
// encoding/json does so jsonencode() output matches Terraform's byte for byte.
#include "hcl_buf.h"
#include "hcl_utf8.h"
#include "hcl_value.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_DEPTH 512

static void
s_write_string(hcl_buf_t *b, const char *s, size_t len, bool html_safe)
{
    static const char hex[] = "0123456789abcdef";
    hcl_buf_addc(b, '"');
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char) s[i];
        if (c >= 0x80) {
            size_t n = hcl_utf8_valid_len(s + i, len - i);
            if (n == 0) {
                hcl_buf_adds(b, "\\ufffd");
                i++;
                continue;
            }
            unsigned cp;
            hcl_utf8_decode(s + i, n, &cp);
            if (cp == 0x2028 || cp == 0x2029)
                hcl_buf_addf(b, "\\u%04x", cp);
            else
                hcl_buf_add(b, s + i, n);
            i += n;
            continue;
        }
        switch (c) {
        case '"': hcl_buf_adds(b, "\\\""); break;
        case '\\': hcl_buf_adds(b, "\\\\"); break;
        case '\n': hcl_buf_adds(b, "\\n"); break;
        case '\r': hcl_buf_adds(b, "\\r"); break;
        case '\t': hcl_buf_adds(b, "\\t"); break;
        default:
            if (c < 0x20 || (html_safe && (c == '<' || c == '>' || c == '&'))) {
                char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
                hcl_buf_adds(b, esc);
            }
            else
                hcl_buf_addc(b, (char) c);
        }
        i++;
    }
    hcl_buf_addc(b, '"');
}

static int
s_write(hcl_buf_t *b, const pk_value_t *v, bool html_safe)
{
    char num[HCL_NUMBER_BUF];
    switch (pk_value_kind(v)) {
    case PK_V_NULL:
        hcl_buf_adds(b, "null");
        break;
    case PK_V_BOOL:
        hcl_buf_adds(b, pk_value_bool(v) ? "true" : "false");
        break;
    case PK_V_NUMBER:
        if (!isfinite(pk_value_number(v)))
            return -1;
        hcl_buf_adds(b, hcl_number_format(pk_value_number(v), num));
        break;
    case PK_V_STRING:
        s_write_string(b, pk_value_string(v), pk_value_len(v), html_safe);
        break;
    case PK_V_LIST:
        hcl_buf_addc(b, '[');
        for (size_t i = 0; i < pk_value_len(v); i++) {
            if (i)
                hcl_buf_addc(b, ',');
            if (s_write(b, pk_value_list_at(v, i), html_safe) < 0)
                return -1;
        }
        hcl_buf_addc(b, ']');
        break;
    case PK_V_OBJECT:
        hcl_buf_addc(b, '{');
        for (size_t i = 0; i < pk_value_len(v); i++) {
            if (i)
                hcl_buf_addc(b, ',');
            const char *key = pk_value_object_key(v, i);
            s_write_string(b, key, strlen(key), html_safe);
            hcl_buf_addc(b, ':');
            if (s_write(b, pk_value_object_at(v, i), html_safe) < 0)
                return -1;
        }
        hcl_buf_addc(b, '}');
        break;
    }
    return b->overflow ? -1 : 0;
}

char *
hcl_value_to_json(const pk_value_t *self, bool html_safe)
{
    hcl_buf_t b;
    hcl_buf_init(&b);
    if (s_write(&b, self, html_safe) < 0) {
        hcl_buf_free(&b);
        return NULL;
    }
    return hcl_buf_take(&b, NULL);
}

char *
pk_value_to_json(const pk_value_t *self)
{
    return hcl_value_to_json(self, false);
}

// Reader

typedef struct {
    const char *s;
    size_t len;
    size_t pos;
    char *err;
} s_reader_t;

static pk_value_t *
s_fail(s_reader_t *r, const char *what)
{
    if (!r->err && asprintf(&r->err, "%s at offset %zu", what, r->pos) < 0)
        r->err = NULL;
    return NULL;
}

static void
s_skip_ws(s_reader_t *r)
{
    while (r->pos < r->len && strchr(" \t\r\n", r->s[r->pos]) && r->s[r->pos])
        r->pos++;
}

static int
s_hex4(s_reader_t *r, unsigned *out)
{
    if (r->len - r->pos < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = r->s[r->pos + i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned) (c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned) (c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned) (c - 'A' + 10);
        else
            return -1;
    }
    r->pos += 4;
    *out = v;
    return 0;
}

// Reads a string after its opening quote into b.
static int
s_read_string(s_reader_t *r, hcl_buf_t *b)
{
    while (r->pos < r->len) {
        unsigned char c = (unsigned char) r->s[r->pos];
        if (c == '"') {
            r->pos++;
            return b->overflow ? -1 : 0;
        }
        if (c < 0x20) {
            s_fail(r, "control character in string");
            return -1;
        }
        if (c != '\\') {
            hcl_buf_addc(b, (char) c);
            r->pos++;
            continue;
        }
        if (++r->pos >= r->len)
            break;
        char e = r->s[r->pos++];
        unsigned cp;
        switch (e) {
        case '"': hcl_buf_addc(b, '"'); break;
        case '\\': hcl_buf_addc(b, '\\'); break;
        case '/': hcl_buf_addc(b, '/'); break;
        case 'b': hcl_buf_addc(b, '\b'); break;
        case 'f': hcl_buf_addc(b, '\f'); break;
        case 'n': hcl_buf_addc(b, '\n'); break;
        case 'r': hcl_buf_addc(b, '\r'); break;
        case 't': hcl_buf_addc(b, '\t'); break;
        case 'u':
            if (s_hex4(r, &cp) < 0) {
                s_fail(r, "invalid \\u escape");
                return -1;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF && r->len - r->pos >= 6
            &&  r->s[r->pos] == '\\' && r->s[r->pos + 1] == 'u') {
                size_t save = r->pos;
                unsigned lo;
                r->pos += 2;
                if (s_hex4(r, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    r->pos = save;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            hcl_buf_add_utf8(b, cp);
            break;
        default:
            r->pos--;
            s_fail(r, "invalid escape in string");
            return -1;
        }
    }
    s_fail(r, "unterminated string");
    return -1;
}

static pk_value_t *
s_read_number(s_reader_t *r)
{
    size_t start = r->pos;
    const char *s = r->s;
    if (r->pos < r->len && s[r->pos] == '-')
        r->pos++;
    if (r->pos >= r->len || s[r->pos] < '0' || s[r->pos] > '9')
        return s_fail(r, "invalid number");
    if (s[r->pos] == '0')
        r->pos++;
    else
        while (r->pos < r->len && s[r->pos] >= '0' && s[r->pos] <= '9')
            r->pos++;
    if (r->pos < r->len && s[r->pos] == '.') {
        r->pos++;
        if (r->pos >= r->len || s[r->pos] < '0' || s[r->pos] > '9')
            return s_fail(r, "invalid number");
        while (r->pos < r->len && s[r->pos] >= '0' && s[r->pos] <= '9')
            r->pos++;
    }
    if (r->pos < r->len && (s[r->pos] == 'e' || s[r->pos] == 'E')) {
        r->pos++;
        if (r->pos < r->len && (s[r->pos] == '+' || s[r->pos] == '-'))
            r->pos++;
        if (r->pos >= r->len || s[r->pos] < '0' || s[r->pos] > '9')
            return s_fail(r, "invalid number");
        while (r->pos < r->len && s[r->pos] >= '0' && s[r->pos] <= '9')
            r->pos++;
    }
    char tmp[64];
    size_t n = r->pos - start;
    char *text = n < sizeof tmp ? tmp : malloc(n + 1);
    if (!text)
        return s_fail(r, "out of memory");
    memcpy(text, s + start, n);
    text[n] = '\0';
    double d = strtod(text, NULL);
    if (text != tmp)
        free(text);
    if (!isfinite(d))
        return s_fail(r, "number out of range");
    return pk_value_new_number(d);
}

static bool
s_literal(s_reader_t *r, const char *word)
{
    size_t n = strlen(word);
    if (r->len - r->pos >= n && memcmp(r->s + r->pos, word, n) == 0) {
        r->pos += n;
        return true;
    }
    return false;
}

typedef struct {
    char *key;
    pk_value_t *val;
    size_t index;
} s_member_t;

typedef struct {
    s_member_t *items;
    size_t count, cap;
} s_members_t;

static void
s_members_add(s_members_t *m, char *key, pk_value_t *val)
{
    if (m->count == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->items = realloc(m->items, m->cap * sizeof *m->items);
        if (!m->items)
            abort();
    }
    m->items[m->count] = (s_member_t) { key ? key : strdup(""), val, m->count };
    m->count++;
}

static int
s_member_cmp(const void *a, const void *b)
{
    const s_member_t *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->index < y->index ? -1 : 1;
}

// Builds the object (later duplicates win, as in Go) or frees everything.
static pk_value_t *
s_members_finish(s_members_t *m, bool ok)
{
    pk_value_t *obj = ok ? pk_value_new_object() : NULL;
    if (ok)
        qsort(m->items, m->count, sizeof *m->items, s_member_cmp);
    for (size_t i = 0; i < m->count; i++) {
        bool last = i + 1 == m->count || strcmp(m->items[i].key, m->items[i + 1].key) != 0;
        if (ok && last)
            pk_value_object_set(obj, m->items[i].key, m->items[i].val);
        else
            pk_value_destroy(&m->items[i].val);
        free(m->items[i].key);
    }
    free(m->items);
    return obj;
}

static pk_value_t *
s_read_value(s_reader_t *r, int depth)
{
    if (depth > S_MAX_DEPTH)
        return s_fail(r, "nesting too deep");
    s_skip_ws(r);
    if (r->pos >= r->len)
        return s_fail(r, "unexpected end of input");
    char c = r->s[r->pos];
    if (c == '"') {
        r->pos++;
        hcl_buf_t b;
        hcl_buf_init(&b);
        if (s_read_string(r, &b) < 0) {
            if (b.overflow)
                s_fail(r, "string too long");
            hcl_buf_free(&b);
            return NULL;
        }
        size_t len;
        char *s = hcl_buf_take(&b, &len);
        return s ? hcl_value_string_take(s, len) : s_fail(r, "out of memory");
    }
    if (c == '[') {
        r->pos++;
        pk_value_t *list = pk_value_new_list();
        s_skip_ws(r);
        if (r->pos < r->len && r->s[r->pos] == ']') {
            r->pos++;
            return list;
        }
        while (true) {
            pk_value_t *item = s_read_value(r, depth + 1);
            if (!item)
                break;
            pk_value_list_append(list, item);
            s_skip_ws(r);
            if (r->pos < r->len && r->s[r->pos] == ',') {
                r->pos++;
                continue;
            }
            if (r->pos < r->len && r->s[r->pos] == ']') {
                r->pos++;
                return list;
            }
            s_fail(r, "expected ',' or ']'");
            break;
        }
        pk_value_destroy(&list);
        return NULL;
    }
    if (c == '{') {
        r->pos++;
        s_skip_ws(r);
        if (r->pos < r->len && r->s[r->pos] == '}') {
            r->pos++;
            return pk_value_new_object();
        }
        // Members are collected first and inserted in key order, so a big
        // object costs a sort rather than one array move per member.
        s_members_t m = { 0 };
        bool ok = false;
        while (true) {
            s_skip_ws(r);
            if (r->pos >= r->len || r->s[r->pos] != '"') {
                s_fail(r, "expected string key");
                break;
            }
            r->pos++;
            hcl_buf_t key;
            hcl_buf_init(&key);
            if (s_read_string(r, &key) < 0) {
                hcl_buf_free(&key);
                break;
            }
            s_skip_ws(r);
            if (r->pos >= r->len || r->s[r->pos] != ':') {
                hcl_buf_free(&key);
                s_fail(r, "expected ':'");
                break;
            }
            r->pos++;
            pk_value_t *item = s_read_value(r, depth + 1);
            if (!item) {
                hcl_buf_free(&key);
                break;
            }
            s_members_add(&m, hcl_buf_take(&key, NULL), item);
            s_skip_ws(r);
            if (r->pos < r->len && r->s[r->pos] == ',') {
                r->pos++;
                continue;
            }
            if (r->pos < r->len && r->s[r->pos] == '}') {
                r->pos++;
                ok = true;
                break;
            }
            s_fail(r, "expected ',' or '}'");
            break;
        }
        return s_members_finish(&m, ok);
    }
    if (s_literal(r, "true"))
        return pk_value_new_bool(true);
    if (s_literal(r, "false"))
        return pk_value_new_bool(false);
    if (s_literal(r, "null"))
        return pk_value_new_null();
    if (c == '-' || (c >= '0' && c <= '9'))
        return s_read_number(r);
    return s_fail(r, "unexpected character");
}

pk_value_t *
pk_value_from_json(const char *text, size_t len, char **err)
{
    s_reader_t r = { text ? text : "", text ? len : 0, 0, NULL };
    pk_value_t *v = s_read_value(&r, 0);
    if (v) {
        s_skip_ws(&r);
        if (r.pos < r.len) {
            s_fail(&r, "extra data after JSON value");
            pk_value_destroy(&v);
        }
    }
    if (!v && !r.err)
        s_fail(&r, "invalid JSON");
    if (err)
        *err = v ? NULL : r.err;
    else
        free(r.err);
    return v;
}
