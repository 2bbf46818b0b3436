// control_secrets: the secret store's ops (control_secrets.h). Values come
// in a request's body and go only into the store, sealed (pk_secrets.c);
// replies carry names, scopes and times.
#include "control_secrets.h"
#include "pk_secrets.h"
#include <ctype.h>
#include <czmq.h>
#include <string.h>

const ctl_secret_op_t ctl_secret_ops[] = {
    { "secrets.set", "maintain" },
    { "secrets.list", "maintain" },
    { "secrets.rm", "maintain" },
    { NULL, NULL }
};

struct _ctl_secrets_t {
    pk_secrets_box_t box;
};

ctl_secrets_t *
ctl_secrets_new(pk_store_t *store, const uint8_t *key, const char *missing)
{
    ctl_secrets_t *self = calloc(1, sizeof *self);
    pk_secrets_box_init(&self->box, store, key, missing);
    return self;
}

void
ctl_secrets_destroy(ctl_secrets_t **self_p)
{
    ctl_secrets_t *self = *self_p;
    if (!self)
        return;
    pk_secrets_box_clear(&self->box);
    free(self);
    *self_p = NULL;
}

bool
ctl_secrets_is_op(const char *op)
{
    for (const ctl_secret_op_t *o = ctl_secret_ops; o->op; o++)
        if (!strcmp(o->op, op))
            return true;
    return false;
}

static bool
s_valid(const char *s)
{
    if (!s || !*s || strlen(s) > 200)
        return false;
    for (const char *c = s; *c; c++)
        if (!(isalnum((unsigned char) *c) || *c == '_' || *c == '-' || *c == '.'))
            return false;
    return true;
}

static int
s_fail(char **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(error, fmt, ap) < 0)
        *error = NULL;
    va_end(ap);
    return 1;
}

static void
s_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

// The value in a secrets.set body: one msgpack str or bin.
static int
s_value(const pk_msg_request_t *q, const char **data, size_t *size, msgpack_unpacked *u)
{
    msgpack_unpacked_init(u);
    if (!q->body.size
        || msgpack_unpack_next(u, (const char *) q->body.data, q->body.size, NULL)
               != MSGPACK_UNPACK_SUCCESS)
        return -1;
    if (u->data.type == MSGPACK_OBJECT_STR) {
        *data = u->data.via.str.ptr;
        *size = u->data.via.str.size;
    }
    else
    if (u->data.type == MSGPACK_OBJECT_BIN) {
        *data = u->data.via.bin.ptr;
        *size = u->data.via.bin.size;
    }
    else
        return -1;
    return 0;
}

typedef struct {
    msgpack_packer *pk;
    const char *scope;
    size_t count;
    zlist_t *names;
} s_collect_t;

static void
s_collect(const char *name, int64_t updated_ms, void *arg)
{
    s_collect_t *c = arg;
    char *line = NULL;
    if (asprintf(&line, "%" PRId64 " %s", updated_ms, name) >= 0)
        zlist_append(c->names, line);
}

typedef struct {
    ctl_secrets_t *self;
    const char *scope, *name, *data;
    size_t size;
    int rc;
} s_write_t;

static int
s_set_fn(pk_store_txn_t *txn, void *arg)
{
    s_write_t *w = arg;
    return pk_secrets_put(txn, w->self->box.dbi, w->self->box.key, w->scope, w->name, w->data,
                          w->size, zclock_time());
}

static int
s_rm_fn(pk_store_txn_t *txn, void *arg)
{
    s_write_t *w = arg;
    w->rc = pk_secrets_del(txn, w->self->box.dbi, w->scope, w->name);
    return w->rc < 0 ? -1 : 0;
}

int
ctl_secrets_request(ctl_secrets_t *self, const pk_msg_request_t *q, msgpack_sbuffer *out,
                    char **error)
{
    *error = NULL;
    if (!self->box.has_key)
        return s_fail(error, "the secret store is off: %s", self->box.missing);
    const char *name = pk_kv_get(&q->args, "name"), *pipeline = pk_kv_get(&q->args, "pipeline");
    const char *team = pk_kv_get(&q->args, "team");
    if ((pipeline && *pipeline && !s_valid(pipeline)) || (team && *team && !s_valid(team)))
        return s_fail(error, "%s: not a pipeline or team name", q->op);
    char scope[300];
    pk_secrets_scope(scope, sizeof scope, team, pipeline);
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    if (!strcmp(q->op, "secrets.list")) {
        s_collect_t c = { &pk, scope, 0, zlist_new() };
        zlist_autofree(c.names);
        pk_store_txn_t *txn = pk_store_begin(self->box.store, false);
        int rc = txn ? pk_secrets_list(txn, self->box.dbi, scope, s_collect, &c) : -1;
        pk_store_abort(&txn);
        if (rc != 0) {
            zlist_destroy(&c.names);
            return s_fail(error, "the store failed: %s", pk_store_error());
        }
        msgpack_pack_array(&pk, zlist_size(c.names));
        for (char *l = zlist_first(c.names); l; l = zlist_next(c.names)) {
            char *sp = strchr(l, ' ');
            msgpack_pack_map(&pk, 3);
            s_str(&pk, "name");
            s_str(&pk, sp + 1);
            s_str(&pk, "scope");
            s_str(&pk, scope);
            s_str(&pk, "updated_ms");
            msgpack_pack_int64(&pk, strtoll(l, NULL, 10));
        }
        zlist_destroy(&c.names);
        return 0;
    }
    if (!s_valid(name))
        return s_fail(error, "%s needs the argument \"name\": letters, digits, '_', '-' and '.' "
                      "(at most 200)", q->op);
    s_write_t w = { self, scope, name, NULL, 0, 0 };
    if (!strcmp(q->op, "secrets.set")) {
        msgpack_unpacked u;
        int bad = s_value(q, &w.data, &w.size, &u);
        int rc = 1;
        if (bad || !w.size)
            s_fail(error, "secrets.set needs the value in its body (a string, not empty)");
        else
        if (w.size > PK_SECRETS_MAX_VALUE)
            s_fail(error, "a secret's value is at most %d bytes", PK_SECRETS_MAX_VALUE);
        else
        if (pk_store_write(self->box.store, s_set_fn, &w) != 0)
            s_fail(error, "the store failed: %s", pk_store_error());
        else
            rc = 0;
        msgpack_unpacked_destroy(&u);
        if (rc)
            return rc;
        msgpack_pack_map(&pk, 3);
        s_str(&pk, "name");
        s_str(&pk, name);
        s_str(&pk, "scope");
        s_str(&pk, scope);
        s_str(&pk, "updated_ms");
        msgpack_pack_int64(&pk, zclock_time());
        return 0;
    }
    if (pk_store_write(self->box.store, s_rm_fn, &w) != 0)
        return s_fail(error, "the store failed: %s", pk_store_error());
    if (w.rc == PK_STORE_NOTFOUND)
        return s_fail(error, "no secret \"%s\" in %s", name, scope);
    msgpack_pack_map(&pk, 2);
    s_str(&pk, "name");
    s_str(&pk, name);
    s_str(&pk, "scope");
    s_str(&pk, scope);
    return 0;
}
