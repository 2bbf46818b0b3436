// pk_versions: resource versions and check state (see pk_versions.h).
//
// The canonicaliser reads msgpack bytes itself instead of unpacking with
// msgpack-c: versions come from runners on other machines, and walking the
// bytes bounds every container by the bytes that remain before anything is
// allocated, so a short frame cannot ask for gigabytes.
#include "pk_versions_internal.h"
#include "pk_store_internal.h"
#include "pk_hash.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_DEPTH 16


// --- canonical form

typedef struct {
    const uint8_t *p;
    size_t n, pos;
    char *why;
    size_t whylen;
} s_reader_t;

typedef struct {
    const uint8_t *key;
    size_t key_len;
    msgpack_sbuffer value;
} s_entry_t;

static int
s_bad(s_reader_t *r, const char *fmt, ...)
{
    if (r->why && r->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, r->whylen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int
s_take(s_reader_t *r, size_t len, const uint8_t **out)
{
    *out = NULL;
    if (r->n - r->pos < len)
        return s_bad(r, "truncated at byte %zu", r->pos);
    *out = r->p + r->pos;
    r->pos += len;
    return 0;
}

static int
s_uint(s_reader_t *r, size_t width, uint64_t *out)
{
    const uint8_t *b;
    if (s_take(r, width, &b) != 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = v << 8 | b[i];
    *out = v;
    return 0;
}

static void
s_raw(msgpack_packer *pk, const void *data, size_t len)
{
    pk->callback(pk->data, data, len);
}

// Integral floats become integers (JSON does not tell 1 from 1.0); one NaN.
static void
s_pack_double(msgpack_packer *pk, double d)
{
    if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && (double) (int64_t) d == d) {
        msgpack_pack_int64(pk, (int64_t) d);
        return;
    }
    if (d >= 9223372036854775808.0 && d < 18446744073709551616.0 && (double) (uint64_t) d == d) {
        msgpack_pack_uint64(pk, (uint64_t) d);
        return;
    }
    msgpack_pack_double(pk, isnan(d) ? NAN : d);
}

static int
s_key_cmp(const void *a, const void *b)
{
    const s_entry_t *x = a, *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

// A string (str or bin) header: its length.
static bool
s_str_len(s_reader_t *r, uint8_t b, uint64_t *len, int *rc)
{
    *rc = 0;
    if (b >= 0xa0 && b <= 0xbf)
        *len = b & 0x1f;
    else
    if (b == 0xd9 || b == 0xc4)
        *rc = s_uint(r, 1, len);
    else
    if (b == 0xda || b == 0xc5)
        *rc = s_uint(r, 2, len);
    else
    if (b == 0xdb || b == 0xc6)
        *rc = s_uint(r, 4, len);
    else
        return false;
    return true;
}

static int s_canon(s_reader_t *r, msgpack_packer *pk, int depth);

static int
s_canon_map(s_reader_t *r, msgpack_packer *pk, int depth, uint64_t count)
{
    if (count > (r->n - r->pos) / 2)
        return s_bad(r, "map of %llu entries in %zu bytes", (unsigned long long) count, r->n - r->pos);
    s_entry_t *entries = calloc(count ? count : 1, sizeof(*entries));
    if (!entries)
        return s_bad(r, "out of memory");
    int rc = 0;
    size_t done = 0;
    for (; done < count && rc == 0; done++) {
        s_entry_t *e = &entries[done];
        msgpack_sbuffer_init(&e->value);
        const uint8_t *b;
        uint64_t len = 0;
        int hrc;
        if (s_take(r, 1, &b) != 0)
            rc = -1;
        else
        if (!s_str_len(r, *b, &len, &hrc))
            rc = s_bad(r, "map key at byte %zu is not a string", r->pos - 1);
        else
        if (hrc != 0 || s_take(r, len, &e->key) != 0)
            rc = -1;
        else {
            e->key_len = len;
            msgpack_packer sub;
            msgpack_packer_init(&sub, &e->value, msgpack_sbuffer_write);
            rc = s_canon(r, &sub, depth + 1);
        }
    }
    if (rc == 0) {
        qsort(entries, count, sizeof(*entries), s_key_cmp);
        for (size_t i = 1; i < count && rc == 0; i++)
            if (s_key_cmp(&entries[i - 1], &entries[i]) == 0)
                rc = s_bad(r, "map key \"%.*s\" appears twice", (int) entries[i].key_len,
                           (const char *) entries[i].key);
    }
    if (rc == 0) {
        msgpack_pack_map(pk, count);
        for (size_t i = 0; i < count; i++) {
            msgpack_pack_str_with_body(pk, entries[i].key, entries[i].key_len);
            s_raw(pk, entries[i].value.data, entries[i].value.size);
        }
    }
    for (size_t i = 0; i < done; i++)
        msgpack_sbuffer_destroy(&entries[i].value);
    free(entries);
    return rc;
}

static int
s_canon(s_reader_t *r, msgpack_packer *pk, int depth)
{
    if (depth > S_MAX_DEPTH)
        return s_bad(r, "nested deeper than %d", S_MAX_DEPTH);
    const uint8_t *b;
    if (s_take(r, 1, &b) != 0)
        return -1;
    uint8_t t = *b;
    uint64_t u = 0, len = 0;
    int rc;
    if (t <= 0x7f) {
        msgpack_pack_uint64(pk, t);
        return 0;
    }
    if (t >= 0xe0) {
        msgpack_pack_int64(pk, (int8_t) t);
        return 0;
    }
    if (s_str_len(r, t, &len, &rc)) {
        const uint8_t *s;
        if (rc != 0 || s_take(r, len, &s) != 0)
            return -1;
        msgpack_pack_str_with_body(pk, s, len);
        return 0;
    }
    if ((t >= 0x80 && t <= 0x8f) || t == 0xde || t == 0xdf) {
        if (t == 0xde || t == 0xdf) {
            if (s_uint(r, t == 0xde ? 2 : 4, &u) != 0)
                return -1;
        }
        else
            u = t & 0x0f;
        return s_canon_map(r, pk, depth, u);
    }
    if ((t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd) {
        if (t == 0xdc || t == 0xdd) {
            if (s_uint(r, t == 0xdc ? 2 : 4, &u) != 0)
                return -1;
        }
        else
            u = t & 0x0f;
        if (u > r->n - r->pos)
            return s_bad(r, "array of %llu items in %zu bytes", (unsigned long long) u, r->n - r->pos);
        msgpack_pack_array(pk, u);
        for (uint64_t i = 0; i < u; i++)
            if (s_canon(r, pk, depth + 1) != 0)
                return -1;
        return 0;
    }
    switch (t) {
    case 0xc0:
        msgpack_pack_nil(pk);
        return 0;
    case 0xc2:
        msgpack_pack_false(pk);
        return 0;
    case 0xc3:
        msgpack_pack_true(pk);
        return 0;
    case 0xca: {
        if (s_uint(r, 4, &u) != 0)
            return -1;
        uint32_t bits = (uint32_t) u;
        float f;
        memcpy(&f, &bits, sizeof f);
        s_pack_double(pk, f);
        return 0;
    }
    case 0xcb: {
        if (s_uint(r, 8, &u) != 0)
            return -1;
        double d;
        memcpy(&d, &u, sizeof d);
        s_pack_double(pk, d);
        return 0;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        if (s_uint(r, (size_t) 1 << (t - 0xcc), &u) != 0)
            return -1;
        msgpack_pack_uint64(pk, u);
        return 0;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        size_t w = (size_t) 1 << (t - 0xd0);
        if (s_uint(r, w, &u) != 0)
            return -1;
        int64_t v = w == 8 ? (int64_t) u
                  : (int64_t) (u ^ (1ull << (w * 8 - 1))) - (int64_t) (1ull << (w * 8 - 1));
        if (v >= 0)
            msgpack_pack_uint64(pk, (uint64_t) v);
        else
            msgpack_pack_int64(pk, v);
        return 0;
    }
    default:
        return s_bad(r, "unsupported msgpack type 0x%02x at byte %zu", t, r->pos - 1);
    }
}

// One version from the reader: canonical bytes into sb, or -1.
static int
s_canon_version(s_reader_t *r, msgpack_sbuffer *sb)
{
    if (r->pos >= r->n)
        return s_bad(r, "truncated");
    uint8_t t = r->p[r->pos];
    if (!((t >= 0x80 && t <= 0x8f) || t == 0xde || t == 0xdf))
        return s_bad(r, "a version is not a map (msgpack type 0x%02x)", t);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    return s_canon(r, &pk, 1);
}

int
pk_versions_canonical(const void *data, size_t size, uint8_t **out, size_t *out_size,
                      char *why, size_t whylen)
{
    s_reader_t r = { .p = data, .n = data ? size : 0, .why = why, .whylen = whylen };
    *out = NULL;
    *out_size = 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (s_canon_version(&r, &sb) != 0 || (r.pos != r.n && s_bad(&r, "trailing bytes") != 0)) {
        msgpack_sbuffer_destroy(&sb);
        return -1;
    }
    *out = (uint8_t *) sb.data;
    *out_size = sb.size;
    return 0;
}

uint64_t
versions_hash(const void *data, size_t size)
{
    return pk_fnv1a(data, size);
}

// --- keys

int
versions_res_key(pk_key_t *k, const char *pipeline, const char *resource)
{
    pk_key_init(k);
    if (!pipeline || !resource)
        return -1;
    pk_key_str(k, pipeline);
    pk_key_str(k, resource);
    return pk_key_ok(k) ? 0 : -1;
}

// --- state

void
pk_resource_state_clear(pk_resource_state_t *state)
{
    if (!state)
        return;
    free(state->error);
    free(state->output);
    memset(state, 0, sizeof(*state));
}

void
pk_version_clear(pk_version_t *version)
{
    if (!version)
        return;
    free(version->data);
    memset(version, 0, sizeof(*version));
}

static char *
s_strdup_obj(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return strndup(o->via.str.ptr, o->via.str.size);
}

static void
s_state_decode(const msgpack_object *o, pk_resource_state_t *s)
{
    memset(s, 0, sizeof(*s));
    if (o->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            continue;
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int) k->via.str.size, k->via.str.ptr);
        int64_t n = v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t) v->via.u64
                  : v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? v->via.i64 : 0;
        if (!strcmp(name, "last_check_ms"))
            s->last_check_ms = n;
        else
        if (!strcmp(name, "next_check_ms"))
            s->next_check_ms = n;
        else
        if (!strcmp(name, "error"))
            s->error = s_strdup_obj(v);
        else
        if (!strcmp(name, "output"))
            s->output = s_strdup_obj(v);
        else
        if (!strcmp(name, "last_id"))
            s->last_id = (uint64_t) n;
        else
        if (!strcmp(name, "current_id"))
            s->current_id = (uint64_t) n;
        else
        if (!strcmp(name, "checks"))
            s->checks = (uint64_t) n;
        else
        if (!strcmp(name, "failures"))
            s->failures = (uint64_t) n;
    }
}

static void
s_pack_kstr(msgpack_packer *pk, const char *key, const char *value)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    if (value)
        msgpack_pack_str_with_body(pk, value, strlen(value));
    else
        msgpack_pack_nil(pk);
}

static void
s_pack_kint(msgpack_packer *pk, const char *key, int64_t value)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
    msgpack_pack_int64(pk, value);
}

static void
s_state_encode(const pk_resource_state_t *s, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 8);
    s_pack_kint(&pk, "last_check_ms", s->last_check_ms);
    s_pack_kint(&pk, "next_check_ms", s->next_check_ms);
    s_pack_kstr(&pk, "error", s->error);
    s_pack_kstr(&pk, "output", s->output);
    s_pack_kint(&pk, "last_id", (int64_t) s->last_id);
    s_pack_kint(&pk, "current_id", (int64_t) s->current_id);
    s_pack_kint(&pk, "checks", (int64_t) s->checks);
    s_pack_kint(&pk, "failures", (int64_t) s->failures);
}

static int
s_state_get(pk_versions_t *self, pk_store_txn_t *txn, const pk_key_t *k, pk_resource_state_t *out)
{
    memset(out, 0, sizeof(*out));
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    int rc = pk_store_get_msgpack(txn, self->state, k->data, k->size, &u);
    if (rc == 0)
        s_state_decode(&u.data, out);
    msgpack_unpacked_destroy(&u);
    return rc;
}

// The first len bytes of s at most, not ending inside a UTF-8 sequence.
static char *
s_head(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len > max) {
        len = max;
        while (len && ((unsigned char) s[len] & 0xc0) == 0x80)
            len--;
    }
    return strndup(s, len);
}

// The last max bytes of s at most, starting on a UTF-8 sequence.
static char *
s_tail(const char *s, size_t max)
{
    size_t len = strlen(s);
    const char *start = s;
    if (len > max) {
        start = s + len - max;
        while (*start && ((unsigned char) *start & 0xc0) == 0x80)
            start++;
    }
    return strdup(start);
}

// --- lifecycle

pk_versions_t *
pk_versions_new(pk_store_t *store, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    pk_versions_t *self = store ? calloc(1, sizeof(*self)) : NULL;
    if (!self) {
        if (err_out)
            *err_out = strdup("pk_versions: no store");
        return NULL;
    }
    self->store = store;
    self->versions = pk_store_dbi(store, "versions");
    self->index = pk_store_dbi(store, "version_index");
    self->state = pk_store_dbi(store, "resource_state");
    self->meta = pk_store_dbi(store, "versions_meta");
    if (self->versions == PK_STORE_NO_DBI || self->index == PK_STORE_NO_DBI
        || self->state == PK_STORE_NO_DBI || self->meta == PK_STORE_NO_DBI) {
        if (err_out) {
            char buf[512];
            snprintf(buf, sizeof buf, "pk_versions: cannot open keyspaces: %s", pk_store_error());
            *err_out = strdup(buf);
        }
        free(self);
        return NULL;
    }
    return self;
}

void
pk_versions_destroy(pk_versions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

pk_store_t *
pk_versions_store(pk_versions_t *self)
{
    return self ? self->store : NULL;
}

// --- writing

typedef struct {
    pk_versions_t *self;
    pk_store_txn_t *txn;
    const pk_key_t *res;
    const uint8_t *data;
    size_t size;
    uint64_t found;
} s_find_t;

static uint64_t
s_key_tail_u64(const void *key, size_t key_size)
{
    const uint8_t *k = key;
    uint64_t id = 0;
    for (size_t i = key_size - 8; i < key_size; i++)
        id = id << 8 | k[i];
    return id;
}

static int
s_find_cb(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_find_t *f = arg;
    if (key_size < 8)
        return 0;
    pk_key_t vk = *f->res;
    pk_key_u64(&vk, s_key_tail_u64(key, key_size));
    const void *stored;
    size_t stored_size;
    int rc = pk_store_get(f->txn, f->self->versions, vk.data, vk.size, &stored, &stored_size);
    if (rc < 0)
        return -1;
    if (rc == 0 && stored_size == f->size && !memcmp(stored, f->data, f->size)) {
        f->found = s_key_tail_u64(key, key_size);
        return 1;
    }
    return 0;
}

// The id of an already stored version with exactly these canonical bytes
// (0 when there is none), or -1.
static int
s_find(pk_versions_t *self, pk_store_txn_t *txn, const pk_key_t *res, uint64_t hash,
       const uint8_t *data, size_t size, uint64_t *id_out)
{
    pk_key_t prefix = *res;
    pk_key_u64(&prefix, hash);
    s_find_t f = { self, txn, res, data, size, 0 };
    if (pk_store_scan(txn, self->index, prefix.data, prefix.size, false, s_find_cb, &f) < 0)
        return -1;
    *id_out = f.found;
    return 0;
}

// Canonical forms of every version in a packed array, or -1 with why.
static int
s_canon_array(const void *data, size_t size, msgpack_sbuffer **out, size_t *count_out,
              char *why, size_t whylen)
{
    s_reader_t r = { .p = data, .n = size, .why = why, .whylen = whylen };
    *out = NULL;
    *count_out = 0;
    const uint8_t *b;
    uint64_t count = 0;
    if (s_take(&r, 1, &b) != 0)
        return -1;
    if (*b >= 0x90 && *b <= 0x9f)
        count = *b & 0x0f;
    else
    if (*b == 0xdc || *b == 0xdd) {
        if (s_uint(&r, *b == 0xdc ? 2 : 4, &count) != 0)
            return -1;
    }
    else
        return s_bad(&r, "versions are not an array (msgpack type 0x%02x)", *b);
    if (count > r.n - r.pos)
        return s_bad(&r, "array of %llu versions in %zu bytes", (unsigned long long) count, r.n - r.pos);
    msgpack_sbuffer *list = calloc(count ? count : 1, sizeof(*list));
    if (!list)
        return s_bad(&r, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        msgpack_sbuffer_init(&list[i]);
        rc = s_canon_version(&r, &list[i]);
    }
    if (rc == 0 && r.pos != r.n)
        rc = s_bad(&r, "trailing bytes after the versions");
    if (rc != 0) {
        for (size_t i = 0; i < count; i++)
            msgpack_sbuffer_destroy(&list[i]);
        free(list);
        return -1;
    }
    *out = list;
    *count_out = count;
    return 0;
}

static int
s_store_version(pk_versions_t *self, pk_store_txn_t *txn, const pk_key_t *res,
                pk_resource_state_t *st, const msgpack_sbuffer *c, uint64_t *id_out)
{
    uint64_t hash = pk_fnv1a(c->data, c->size);
    if (s_find(self, txn, res, hash, (const uint8_t *) c->data, c->size, id_out) != 0)
        return -1;
    if (*id_out)
        return 0;
    uint64_t id = st->last_id + 1;
    pk_key_t vk = *res, ik = *res;
    pk_key_u64(&vk, id);
    pk_key_u64(&ik, hash);
    pk_key_u64(&ik, id);
    if (!pk_key_ok(&vk) || !pk_key_ok(&ik)) {
        pk_store_fail(EINVAL, "versions: pipeline and resource names too long for a key");
        return -1;
    }
    if (pk_store_put(txn, self->versions, vk.data, vk.size, c->data, c->size) != 0
        || pk_store_put(txn, self->index, ik.data, ik.size, NULL, 0) != 0)
        return -1;
    st->last_id = id;
    *id_out = id;
    return 1;
}

static int
s_record_one(pk_versions_t *self, pk_store_txn_t *txn, pk_check_result_t *r)
{
    pk_key_t res;
    if (versions_res_key(&res, r->pipeline, r->resource) != 0) {
        pk_store_fail(EINVAL, "versions: no pipeline/resource, or names too long for a key");
        return -1;
    }
    pk_resource_state_t st;
    if (s_state_get(self, txn, &res, &st) < 0)
        return -1;
    if (!r->put) {
        st.checks++;
        st.last_check_ms = r->checked_ms;
        if (r->next_check_ms)
            st.next_check_ms = r->next_check_ms;
    }
    const char *error = r->error;
    msgpack_sbuffer *list = NULL;
    size_t count = 0;
    char why[120] = "";
    if (!error && r->versions && r->versions_size
        && s_canon_array(r->versions, r->versions_size, &list, &count, why, sizeof why) != 0) {
        snprintf(r->rejected, sizeof r->rejected, "check returned malformed versions: %s", why);
        error = r->rejected;
    }
    int rc = 0;
    if (error && r->put)
        ;                               // rejected says why; the check's state stays
    else
    if (error) {
        st.failures++;
        free(st.error);
        free(st.output);
        st.error = s_head(error, PK_VERSIONS_ERROR_MAX);
        st.output = r->output && *r->output ? s_tail(r->output, PK_VERSIONS_OUTPUT_MAX) : NULL;
    }
    else
    if (r->put && !count)
        ;                               // a put with nothing to record
    else {
        if (!r->put) {                  // a put says nothing about the check
            r->error_cleared = st.error != NULL;
            free(st.error);
            free(st.output);
            st.error = st.output = NULL;
        }
        uint64_t cur = 0;
        for (size_t i = 0; i < count && rc == 0; i++) {
            int added = s_store_version(self, txn, &res, &st, &list[i], &cur);
            if (added < 0)
                rc = -1;
            else
            if (added) {
                if (!r->first_new)
                    r->first_new = cur;
                r->last_new = cur;
            }
        }
        r->given_last = cur;
        if (rc == 0 && count && cur != st.current_id) {
            st.current_id = cur;
            r->current.id = cur;
            r->current.data = (uint8_t *) list[count - 1].data;
            r->current.size = list[count - 1].size;
            list[count - 1].data = NULL;
            list[count - 1].size = 0;
        }
    }
    for (size_t i = 0; i < count; i++)
        msgpack_sbuffer_destroy(&list[i]);
    free(list);
    if (rc == 0) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        s_state_encode(&st, &sb);
        rc = pk_store_put_msgpack(txn, self->state, res.data, res.size, &sb);
        msgpack_sbuffer_destroy(&sb);
    }
    pk_resource_state_clear(&st);
    return rc;
}

typedef struct {
    pk_versions_t *self;
    pk_check_result_t *results;
    size_t count;
} s_batch_t;

static void
s_reset_outputs(pk_check_result_t *r)
{
    r->first_new = r->last_new = 0;
    pk_version_clear(&r->current);
    r->error_cleared = false;
    r->given_last = 0;
    r->rejected[0] = 0;
}

static int
s_record_fn(pk_store_txn_t *txn, void *arg)
{
    s_batch_t *b = arg;
    // pk_store_write may run this again after growing the map: start clean
    for (size_t i = 0; i < b->count; i++)
        s_reset_outputs(&b->results[i]);
    for (size_t i = 0; i < b->count; i++)
        if (s_record_one(b->self, txn, &b->results[i]) != 0)
            return -1;
    return 0;
}

int
pk_versions_record(pk_versions_t *self, pk_check_result_t *results, size_t count)
{
    if (!self || (!results && count)) {
        pk_store_fail(EINVAL, "pk_versions_record: no versions handle or results");
        return -1;
    }
    if (count == 0)
        return 0;
    s_batch_t b = { self, results, count };
    int rc = pk_store_write(self->store, s_record_fn, &b);
    if (rc != 0)
        for (size_t i = 0; i < count; i++)
            s_reset_outputs(&results[i]);
    return rc;
}

// --- reading

static pk_store_txn_t *
s_read_txn(pk_versions_t *self, pk_store_txn_t *txn, bool *own)
{
    *own = !txn;
    return txn ? txn : pk_store_begin(self->store, false);
}

static void
s_end_read(pk_store_txn_t **txn_p, bool own)
{
    if (own)
        pk_store_abort(txn_p);
}

static int
s_copy_version(pk_version_t *out, uint64_t id, const void *data, size_t size)
{
    out->data = malloc(size ? size : 1);
    if (!out->data) {
        pk_store_fail(ENOMEM, "versions: out of memory");
        return -1;
    }
    memcpy(out->data, data, size);
    out->size = size;
    out->id = id;
    return 0;
}

typedef struct {
    pk_version_t *items;
    size_t count, cap, limit;
} s_list_t;

static int
s_list_cb(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    s_list_t *l = arg;
    if (key_size < 8)
        return 0;
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        pk_version_t *items = realloc(l->items, cap * sizeof(*items));
        if (!items) {
            pk_store_fail(ENOMEM, "versions: out of memory");
            return -1;
        }
        l->items = items;
        l->cap = cap;
    }
    if (s_copy_version(&l->items[l->count], s_key_tail_u64(key, key_size), value, value_size) != 0)
        return -1;
    l->count++;
    return l->limit && l->count >= l->limit ? 1 : 0;
}

int
pk_versions_list(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                 const char *resource, uint64_t before, size_t limit,
                 pk_version_t **items_out, size_t *count_out)
{
    if (items_out)
        *items_out = NULL;
    if (count_out)
        *count_out = 0;
    pk_key_t res;
    if (!self || !items_out || !count_out || versions_res_key(&res, pipeline, resource) != 0) {
        pk_store_fail(EINVAL, "pk_versions_list: bad arguments");
        return -1;
    }
    bool own;
    txn = s_read_txn(self, txn, &own);
    if (!txn)
        return -1;
    s_list_t l = { .limit = limit };
    int64_t rc;
    if (before) {
        pk_key_t hi = res;
        pk_key_u64(&hi, before);
        rc = pk_store_range(txn, self->versions, res.data, res.size, hi.data, hi.size, true,
                            s_list_cb, &l);
    }
    else
        rc = pk_store_scan(txn, self->versions, res.data, res.size, true, s_list_cb, &l);
    s_end_read(&txn, own);
    if (rc < 0) {
        pk_versions_list_free(&l.items, l.count);
        return -1;
    }
    *items_out = l.items;
    *count_out = l.count;
    return 0;
}

void
pk_versions_list_free(pk_version_t **items_p, size_t count)
{
    if (!items_p || !*items_p)
        return;
    for (size_t i = 0; i < count; i++)
        free((*items_p)[i].data);
    free(*items_p);
    *items_p = NULL;
}

int
pk_versions_latest(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *resource, pk_version_t *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    pk_version_t *items;
    size_t count;
    if (!out || pk_versions_list(self, txn, pipeline, resource, 0, 1, &items, &count) != 0)
        return -1;
    if (count == 0)
        return PK_STORE_NOTFOUND;
    *out = items[0];
    free(items);
    return 0;
}

int
pk_versions_get(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                const char *resource, uint64_t id, pk_version_t *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    pk_key_t k;
    if (!self || !out || versions_res_key(&k, pipeline, resource) != 0) {
        pk_store_fail(EINVAL, "pk_versions_get: bad arguments");
        return -1;
    }
    pk_key_u64(&k, id);
    bool own;
    txn = s_read_txn(self, txn, &own);
    if (!txn)
        return -1;
    const void *data;
    size_t size;
    int rc = pk_store_get(txn, self->versions, k.data, k.size, &data, &size);
    if (rc == 0 && s_copy_version(out, id, data, size) != 0)
        rc = -1;
    s_end_read(&txn, own);
    return rc;
}

int
pk_versions_state(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *resource, pk_resource_state_t *out)
{
    if (out)
        memset(out, 0, sizeof(*out));
    pk_key_t k;
    if (!self || !out || versions_res_key(&k, pipeline, resource) != 0) {
        pk_store_fail(EINVAL, "pk_versions_state: bad arguments");
        return -1;
    }
    bool own;
    txn = s_read_txn(self, txn, &own);
    if (!txn)
        return -1;
    int rc = s_state_get(self, txn, &k, out);
    s_end_read(&txn, own);
    return rc;
}

// --- purge

typedef struct {
    uint8_t (*keys)[PK_KEY_MAX];
    size_t *sizes;
    size_t count, cap;
} s_keys_t;

static int
s_keys_cb(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_keys_t *ks = arg;
    if (ks->count == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 64;
        void *keys = realloc(ks->keys, cap * PK_KEY_MAX);
        size_t *sizes = realloc(ks->sizes, cap * sizeof(size_t));
        if (keys)
            ks->keys = keys;
        if (sizes)
            ks->sizes = sizes;
        if (!keys || !sizes) {
            pk_store_fail(ENOMEM, "versions: out of memory");
            return -1;
        }
        ks->cap = cap;
    }
    memcpy(ks->keys[ks->count], key, key_size);
    ks->sizes[ks->count++] = key_size;
    return 0;
}

typedef struct {
    pk_versions_t *self;
    pk_key_t prefix;
} s_purge_t;

static int
s_purge_fn(pk_store_txn_t *txn, void *arg)
{
    s_purge_t *p = arg;
    MDB_dbi dbis[3] = { p->self->versions, p->self->index, p->self->state };
    int rc = 0;
    for (int d = 0; d < 3 && rc == 0; d++) {
        s_keys_t ks = { 0 };
        if (pk_store_scan(txn, dbis[d], p->prefix.data, p->prefix.size, false, s_keys_cb, &ks) < 0)
            rc = -1;
        for (size_t i = 0; i < ks.count && rc == 0; i++)
            if (pk_store_del(txn, dbis[d], ks.keys[i], ks.sizes[i]) < 0)
                rc = -1;
        free(ks.keys);
        free(ks.sizes);
    }
    return rc;
}

int
pk_versions_purge(pk_versions_t *self, const char *pipeline, const char *resource)
{
    if (!self || !pipeline) {
        pk_store_fail(EINVAL, "pk_versions_purge: bad arguments");
        return -1;
    }
    s_purge_t p = { .self = self };
    pk_key_init(&p.prefix);
    pk_key_str(&p.prefix, pipeline);
    if (resource)
        pk_key_str(&p.prefix, resource);
    if (!pk_key_ok(&p.prefix)) {
        pk_store_fail(EINVAL, "pk_versions_purge: names too long for a key");
        return -1;
    }
    return pk_store_write(self->store, s_purge_fn, &p);
}
