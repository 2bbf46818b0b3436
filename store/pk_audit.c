// pk_audit: the audit log (pk_audit.h has the layout). Appends are single
// small write transactions: state changes are rare next to queries, and an
// entry that is not committed before the reply goes out could be lost.
#include "pk_audit.h"
#include "pk_key.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _pk_audit_t {
    pk_store_t *store;
    MDB_dbi dbi;
    int64_t last_ms;
    uint32_t seq;
};

void
pk_audit_entry_clear(pk_audit_entry_t *e)
{
    free(e->user);
    free(e->action);
    free(e->target);
    free(e->result);
    free(e->detail);
    memset(e, 0, sizeof *e);
}

pk_audit_t *
pk_audit_new(pk_store_t *store, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    MDB_dbi dbi = store ? pk_store_dbi(store, "audit") : PK_STORE_NO_DBI;
    if (dbi == PK_STORE_NO_DBI) {
        if (err_out && asprintf(err_out, "pk_audit: cannot open the keyspace: %s",
                                store ? pk_store_error() : "no store") < 0)
            *err_out = NULL;
        return NULL;
    }
    pk_audit_t *self = calloc(1, sizeof *self);
    self->store = store;
    self->dbi = dbi;
    return self;
}

void
pk_audit_destroy(pk_audit_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

static void
s_pstr(msgpack_packer *pk, const char *s)
{
    if (s)
        msgpack_pack_str_with_body(pk, s, strlen(s));
    else
        msgpack_pack_nil(pk);
}

typedef struct {
    pk_audit_t *self;
    pk_key_t key;
    msgpack_sbuffer *sb;
} s_append_t;

static int
s_append_fn(pk_store_txn_t *txn, void *arg)
{
    s_append_t *a = arg;
    return pk_store_put(txn, a->self->dbi, a->key.data, a->key.size, a->sb->data, a->sb->size);
}

int
pk_audit_append(pk_audit_t *self, const char *user, const char *action, const char *target,
                const char *result, const char *detail)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    // a clock that steps back must not overwrite: keep keys increasing
    if (now <= self->last_ms)
        now = self->last_ms, self->seq++;
    else
        self->last_ms = now, self->seq = 0;
    s_append_t a = { .self = self };
    pk_key_init(&a.key);
    pk_key_u64(&a.key, (uint64_t) now);
    pk_key_u32(&a.key, self->seq);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 6);
    msgpack_pack_int64(&pk, now);
    s_pstr(&pk, user);
    s_pstr(&pk, action);
    s_pstr(&pk, target);
    s_pstr(&pk, result);
    s_pstr(&pk, detail);
    a.sb = &sb;
    int rc = pk_store_write(self->store, s_append_fn, &a);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

typedef struct {
    const pk_audit_filter_t *f;
    size_t limit;
    pk_audit_entry_t *out;
    size_t n;
} s_query_t;

static char *
s_ostr(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NULL;
    return o->via.str.size ? strndup(o->via.str.ptr, o->via.str.size) : strdup("");
}

static bool
s_is(const msgpack_object *o, const char *want)
{
    return !want || (o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(want)
                     && (!o->via.str.size || !memcmp(o->via.str.ptr, want, o->via.str.size)));
}

static int
s_query_cb(const void *key, size_t ks, const void *value, size_t vs, void *arg)
{
    s_query_t *q = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, ks);
    int64_t t = (int64_t) pk_key_read_u64(&r);
    uint32_t seq = pk_key_read_u32(&r);
    if (q->f->since_ms && t < q->f->since_ms)
        return 1;                               // newest first: the rest is older
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    if (pk_store_decode(value, vs, &un) == 0 && un.data.type == MSGPACK_OBJECT_ARRAY
        && un.data.via.array.size >= 6) {
        const msgpack_object *a = un.data.via.array.ptr;
        if (s_is(&a[1], q->f->user) && s_is(&a[2], q->f->action)) {
            q->out = realloc(q->out, (q->n + 1) * sizeof *q->out);
            pk_audit_entry_t *e = &q->out[q->n++];
            e->time_ms = t;
            e->seq = seq;
            e->user = s_ostr(&a[1]);
            e->action = s_ostr(&a[2]);
            e->target = s_ostr(&a[3]);
            e->result = s_ostr(&a[4]);
            e->detail = s_ostr(&a[5]);
        }
    }
    msgpack_unpacked_destroy(&un);
    return q->n >= q->limit ? 1 : 0;
}

int
pk_audit_query(pk_audit_t *self, const pk_audit_filter_t *f, pk_audit_entry_t **out, size_t *n)
{
    s_query_t q = { f, f->limit ? f->limit : 100, NULL, 0 };
    pk_key_t hi;
    pk_key_init(&hi);
    if (f->before_ms > 0)
        pk_key_u64(&hi, (uint64_t) f->before_ms);
    pk_store_txn_t *txn = pk_store_begin(self->store, false);
    int64_t rc = txn ? pk_store_range(txn, self->dbi, NULL, 0, f->before_ms > 0 ? hi.data : NULL,
                                      hi.size, true, s_query_cb, &q)
                     : -1;
    pk_store_abort(&txn);
    *out = q.out;
    *n = q.n;
    return rc < 0 ? -1 : 0;
}
