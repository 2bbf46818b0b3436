// pk_value: see pk_value.h. One tagged struct per node. Objects keep their
// entries in a sorted array (binary search on get/set) because HCL iterates
// maps in key order and objects are small; lists are pointer arrays. Each
// node caches the approximate byte weight of its subtree (hcl_value.h) so the
// evaluator can cap runaway growth without walking trees. JSON lives in
// pk_value_json.c.
#include "hcl_utf8.h"
#include "hcl_value.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    pk_value_t *val;
} s_kv_t;

struct _pk_value_t {
    pk_value_kind_t kind;
    bool is_set;
    size_t weight;
    union {
        bool b;
        double n;
        struct {
            char *s;
            size_t len;
        } str;
        struct {
            pk_value_t **items;
            size_t len, cap;
        } list;
        struct {
            s_kv_t *items;
            size_t len, cap;
        } obj;
    } u;
};

#define S_NODE_WEIGHT 48

static void *
s_alloc(size_t size)
{
    void *p = calloc(1, size);
    if (!p)
        abort();    // out of memory: nothing sensible to do in a value tree
    return p;
}

static void *
s_realloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q)
        abort();
    return q;
}

static pk_value_t *
s_new(pk_value_kind_t kind)
{
    pk_value_t *self = s_alloc(sizeof(pk_value_t));
    self->kind = kind;
    self->weight = S_NODE_WEIGHT;
    return self;
}

pk_value_t *
pk_value_new_null(void)
{
    return s_new(PK_V_NULL);
}

pk_value_t *
pk_value_new_bool(bool b)
{
    pk_value_t *self = s_new(PK_V_BOOL);
    self->u.b = b;
    return self;
}

pk_value_t *
pk_value_new_number(double n)
{
    pk_value_t *self = s_new(PK_V_NUMBER);
    self->u.n = n;
    return self;
}

pk_value_t *
hcl_value_string_take(char *s, size_t len)
{
    pk_value_t *self = s_new(PK_V_STRING);
    self->u.str.s = s;
    self->u.str.len = len;
    self->weight += len;
    return self;
}

pk_value_t *
hcl_value_string_nfc(char *s, size_t len)
{
    size_t n;
    char *nfc = hcl_utf8_nfc(s, len, &n);
    if (!nfc)
        return hcl_value_string_take(s, len);
    free(s);
    return hcl_value_string_take(nfc, n);
}

pk_value_t *
pk_value_new_stringn(const char *s, size_t len)
{
    char *copy = s_alloc(len + 1);
    if (len)
        memcpy(copy, s, len);
    return hcl_value_string_take(copy, len);
}

pk_value_t *
pk_value_new_string(const char *s)
{
    return pk_value_new_stringn(s ? s : "", s ? strlen(s) : 0);
}

pk_value_t *
pk_value_new_list(void)
{
    return s_new(PK_V_LIST);
}

pk_value_t *
pk_value_new_object(void)
{
    return s_new(PK_V_OBJECT);
}

void
pk_value_destroy(pk_value_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_value_t *self = *self_p;
    switch (self->kind) {
    case PK_V_STRING:
        free(self->u.str.s);
        break;
    case PK_V_LIST:
        for (size_t i = 0; i < self->u.list.len; i++)
            pk_value_destroy(&self->u.list.items[i]);
        free(self->u.list.items);
        break;
    case PK_V_OBJECT:
        for (size_t i = 0; i < self->u.obj.len; i++) {
            free(self->u.obj.items[i].key);
            pk_value_destroy(&self->u.obj.items[i].val);
        }
        free(self->u.obj.items);
        break;
    default:
        break;
    }
    free(self);
    *self_p = NULL;
}

pk_value_t *
pk_value_dup(const pk_value_t *self)
{
    if (!self)
        return NULL;
    pk_value_t *copy;
    switch (self->kind) {
    case PK_V_STRING:
        return pk_value_new_stringn(self->u.str.s, self->u.str.len);
    case PK_V_LIST:
        copy = s_new(PK_V_LIST);
        copy->is_set = self->is_set;
        copy->weight = self->weight;
        copy->u.list.len = copy->u.list.cap = self->u.list.len;
        copy->u.list.items = s_alloc((self->u.list.len + 1) * sizeof(pk_value_t *));
        for (size_t i = 0; i < self->u.list.len; i++)
            copy->u.list.items[i] = pk_value_dup(self->u.list.items[i]);
        return copy;
    case PK_V_OBJECT:
        copy = s_new(PK_V_OBJECT);
        copy->weight = self->weight;
        copy->u.obj.len = copy->u.obj.cap = self->u.obj.len;
        copy->u.obj.items = s_alloc((self->u.obj.len + 1) * sizeof(s_kv_t));
        for (size_t i = 0; i < self->u.obj.len; i++) {
            copy->u.obj.items[i].key = strdup(self->u.obj.items[i].key);
            if (!copy->u.obj.items[i].key)
                abort();
            copy->u.obj.items[i].val = pk_value_dup(self->u.obj.items[i].val);
        }
        return copy;
    default:
        copy = s_new(self->kind);
        copy->u = self->u;
        return copy;
    }
}

pk_value_kind_t
pk_value_kind(const pk_value_t *self)
{
    return self ? self->kind : PK_V_NULL;
}

const char *
pk_value_kind_name(pk_value_kind_t kind)
{
    switch (kind) {
    case PK_V_NULL: return "null";
    case PK_V_BOOL: return "bool";
    case PK_V_NUMBER: return "number";
    case PK_V_STRING: return "string";
    case PK_V_LIST: return "list";
    case PK_V_OBJECT: return "object";
    }
    return "unknown";
}

bool
pk_value_bool(const pk_value_t *self)
{
    return self && self->kind == PK_V_BOOL && self->u.b;
}

double
pk_value_number(const pk_value_t *self)
{
    return self && self->kind == PK_V_NUMBER ? self->u.n : 0;
}

const char *
pk_value_string(const pk_value_t *self)
{
    return self && self->kind == PK_V_STRING ? self->u.str.s : NULL;
}

size_t
pk_value_len(const pk_value_t *self)
{
    if (!self)
        return 0;
    switch (self->kind) {
    case PK_V_STRING: return self->u.str.len;
    case PK_V_LIST: return self->u.list.len;
    case PK_V_OBJECT: return self->u.obj.len;
    default: return 0;
    }
}

bool
pk_value_is_set(const pk_value_t *self)
{
    return self && self->kind == PK_V_LIST && self->is_set;
}

size_t
hcl_value_weight(const pk_value_t *self)
{
    return self ? self->weight : 0;
}

void
hcl_value_reweigh(pk_value_t *self)
{
    if (!self)
        return;
    size_t w = S_NODE_WEIGHT;
    if (self->kind == PK_V_LIST)
        for (size_t i = 0; i < self->u.list.len; i++)
            w += self->u.list.items[i]->weight + sizeof(pk_value_t *);
    else if (self->kind == PK_V_OBJECT)
        for (size_t i = 0; i < self->u.obj.len; i++)
            w += self->u.obj.items[i].val->weight + strlen(self->u.obj.items[i].key) + 1 + sizeof(s_kv_t);
    else
        return;
    self->weight = w;
}

void
pk_value_list_append(pk_value_t *self, pk_value_t *item)
{
    if (!self || self->kind != PK_V_LIST || !item) {
        pk_value_destroy(&item);
        return;
    }
    if (self->u.list.len == self->u.list.cap) {
        self->u.list.cap = self->u.list.cap ? self->u.list.cap * 2 : 4;
        self->u.list.items = s_realloc(self->u.list.items,
                                       self->u.list.cap * sizeof(pk_value_t *));
    }
    self->u.list.items[self->u.list.len++] = item;
    self->weight += item->weight + sizeof(pk_value_t *);
}

const pk_value_t *
pk_value_list_at(const pk_value_t *self, size_t index)
{
    if (!self || self->kind != PK_V_LIST || index >= self->u.list.len)
        return NULL;
    return self->u.list.items[index];
}

pk_value_t *
hcl_value_list_take(pk_value_t *self, size_t index)
{
    if (!self || self->kind != PK_V_LIST || index >= self->u.list.len)
        return NULL;
    pk_value_t *item = self->u.list.items[index];
    memmove(&self->u.list.items[index], &self->u.list.items[index + 1],
            (self->u.list.len - index - 1) * sizeof(pk_value_t *));
    self->u.list.len--;
    self->weight -= item->weight + sizeof(pk_value_t *);
    return item;
}

pk_value_t **
hcl_value_slot(pk_value_t *self, size_t index)
{
    if (self && self->kind == PK_V_LIST && index < self->u.list.len)
        return &self->u.list.items[index];
    if (self && self->kind == PK_V_OBJECT && index < self->u.obj.len)
        return &self->u.obj.items[index].val;
    return NULL;
}

void
hcl_value_list_replace(pk_value_t *self, size_t index, pk_value_t *item)
{
    if (!self || self->kind != PK_V_LIST || index >= self->u.list.len || !item) {
        pk_value_destroy(&item);
        return;
    }
    self->weight -= self->u.list.items[index]->weight;
    pk_value_destroy(&self->u.list.items[index]);
    self->u.list.items[index] = item;
    self->weight += item->weight;
}

// Index of key, or of where it would be inserted (with *found false).
static size_t
s_obj_find(const pk_value_t *self, const char *key, bool *found)
{
    size_t lo = 0, hi = self->u.obj.len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(self->u.obj.items[mid].key, key);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

void
pk_value_object_set(pk_value_t *self, const char *key, pk_value_t *item)
{
    if (!self || self->kind != PK_V_OBJECT || !key || !item) {
        pk_value_destroy(&item);
        return;
    }
    bool found = false;
    size_t at = self->u.obj.len;
    // Keys arriving in order (JSON sorted first, for expressions over sorted
    // inputs) append without a search or a move.
    if (at == 0 || strcmp(self->u.obj.items[at - 1].key, key) < 0)
        found = false;
    else
        at = s_obj_find(self, key, &found);
    if (found) {
        self->weight -= self->u.obj.items[at].val->weight;
        pk_value_destroy(&self->u.obj.items[at].val);
        self->u.obj.items[at].val = item;
        self->weight += item->weight;
        return;
    }
    if (self->u.obj.len == self->u.obj.cap) {
        self->u.obj.cap = self->u.obj.cap ? self->u.obj.cap * 2 : 4;
        self->u.obj.items = s_realloc(self->u.obj.items, self->u.obj.cap * sizeof(s_kv_t));
    }
    memmove(&self->u.obj.items[at + 1], &self->u.obj.items[at],
            (self->u.obj.len - at) * sizeof(s_kv_t));
    char *k = strdup(key);
    if (!k)
        abort();
    self->u.obj.items[at] = (s_kv_t) { k, item };
    self->u.obj.len++;
    self->weight += item->weight + strlen(key) + 1 + sizeof(s_kv_t);
}

const pk_value_t *
pk_value_object_get(const pk_value_t *self, const char *key)
{
    if (!self || self->kind != PK_V_OBJECT || !key)
        return NULL;
    bool found;
    size_t at = s_obj_find(self, key, &found);
    return found ? self->u.obj.items[at].val : NULL;
}

const char *
pk_value_object_key(const pk_value_t *self, size_t index)
{
    if (!self || self->kind != PK_V_OBJECT || index >= self->u.obj.len)
        return NULL;
    return self->u.obj.items[index].key;
}

const pk_value_t *
pk_value_object_at(const pk_value_t *self, size_t index)
{
    if (!self || self->kind != PK_V_OBJECT || index >= self->u.obj.len)
        return NULL;
    return self->u.obj.items[index].val;
}

int
hcl_value_compare(const pk_value_t *a, const pk_value_t *b)
{
    pk_value_kind_t ka = pk_value_kind(a), kb = pk_value_kind(b);
    if (ka != kb)
        return ka < kb ? -1 : 1;
    switch (ka) {
    case PK_V_NULL:
        return 0;
    case PK_V_BOOL:
        return (int) a->u.b - (int) b->u.b;
    case PK_V_NUMBER:
        return a->u.n < b->u.n ? -1 : a->u.n > b->u.n ? 1 : 0;
    case PK_V_STRING: {
        size_t n = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
        int c = memcmp(a->u.str.s, b->u.str.s, n);
        if (c)
            return c;
        return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len ? 1 : 0;
    }
    case PK_V_LIST:
        for (size_t i = 0; i < a->u.list.len && i < b->u.list.len; i++) {
            int c = hcl_value_compare(a->u.list.items[i], b->u.list.items[i]);
            if (c)
                return c;
        }
        return a->u.list.len < b->u.list.len ? -1 : a->u.list.len > b->u.list.len ? 1 : 0;
    case PK_V_OBJECT:
        for (size_t i = 0; i < a->u.obj.len && i < b->u.obj.len; i++) {
            int c = strcmp(a->u.obj.items[i].key, b->u.obj.items[i].key);
            if (!c)
                c = hcl_value_compare(a->u.obj.items[i].val, b->u.obj.items[i].val);
            if (c)
                return c;
        }
        return a->u.obj.len < b->u.obj.len ? -1 : a->u.obj.len > b->u.obj.len ? 1 : 0;
    }
    return 0;
}

static int
s_qsort_cmp(const void *a, const void *b)
{
    return hcl_value_compare(*(pk_value_t *const *) a, *(pk_value_t *const *) b);
}

void
hcl_value_make_set(pk_value_t *self)
{
    if (!self || self->kind != PK_V_LIST)
        return;
    if (self->u.list.len > 1)
        qsort(self->u.list.items, self->u.list.len, sizeof(pk_value_t *), s_qsort_cmp);
    size_t out = 0;
    for (size_t i = 0; i < self->u.list.len; i++) {
        pk_value_t *item = self->u.list.items[i];
        if (out > 0 && hcl_value_compare(self->u.list.items[out - 1], item) == 0) {
            self->weight -= item->weight + sizeof(pk_value_t *);
            pk_value_destroy(&item);
            continue;
        }
        self->u.list.items[out++] = item;
    }
    self->u.list.len = out;
    self->is_set = true;
}

void
hcl_value_clear_set(pk_value_t *self)
{
    if (self && self->kind == PK_V_LIST)
        self->is_set = false;
}

bool
pk_value_equal(const pk_value_t *a, const pk_value_t *b)
{
    if (!a || !b)
        return a == b;
    if (a->kind != b->kind)
        return false;
    if (a->kind == PK_V_LIST && a->is_set != b->is_set)
        return false;
    if (a->kind == PK_V_NUMBER)
        return a->u.n == b->u.n;
    return hcl_value_compare(a, b) == 0;
}

// Writes the digits of n in plain decimal notation from its shortest
// round-trip %e form: cty prints numbers with big.Float 'f' formatting.
const char *
hcl_number_format(double n, char *buf)
{
    if (isnan(n))
        return strcpy(buf, "NaN");
    if (isinf(n))
        return strcpy(buf, n < 0 ? "-Inf" : "+Inf");
    if (n == 0)
        return strcpy(buf, "0");
    // Whole numbers print their shortest round-trip digits; anything else
    // at most 15 significant digits, which hides binary rounding noise the
    // way cty's 512-bit decimal arithmetic does (0.1 + 0.2 prints as 0.3).
    char e[40];
    int max = n == floor(n) ? 17 : 15;
    for (int prec = 0; prec < max; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, n);
        if (strtod(e, NULL) == n)
            break;
    }
    // e is "-d.ddde+XX": split into sign, digits and exponent.
    char digits[40];
    size_t nd = 0;
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    int exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = buf;
    if (neg)
        *o++ = '-';
    if (exp < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -exp - 1; i++)
            *o++ = '0';
        for (size_t i = 0; i < nd; i++)
            *o++ = digits[i];
    }
    else {
        for (int i = 0; i <= exp; i++)
            *o++ = (size_t) i < nd ? digits[i] : '0';
        if (nd > (size_t) exp + 1) {
            *o++ = '.';
            for (size_t i = (size_t) exp + 1; i < nd; i++)
                *o++ = digits[i];
        }
    }
    *o = '\0';
    return buf;
}

char *
pk_value_to_string(const pk_value_t *self)
{
    char buf[HCL_NUMBER_BUF];
    switch (pk_value_kind(self)) {
    case PK_V_STRING: {
        char *s = malloc(self->u.str.len + 1);
        if (s)
            memcpy(s, self->u.str.s, self->u.str.len + 1);
        return s;
    }
    case PK_V_NUMBER:
        return strdup(hcl_number_format(self->u.n, buf));
    case PK_V_BOOL:
        return strdup(self->u.b ? "true" : "false");
    default:
        return NULL;
    }
}
