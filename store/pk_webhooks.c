// pk_webhooks: the webhook token keyspaces (pk_webhooks.h has the layout).
//
// A token is a "split token": its first 16 hex characters select the
// index entry (a B-tree lookup whose timing may depend on them), the whole
// 64 are then compared with the stored token in constant time. Learning the
// selector by timing still leaves 192 random bits to guess, and the store
// layer needs no hash function for it.
#include "pk_key.h"
#include "pk_webhooks.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define S_SELECTOR_LEN 16

struct _pk_webhooks_t {
    pk_store_t *store;
    MDB_dbi tokens, index;
};

pk_webhooks_t *
pk_webhooks_new(pk_store_t *store, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    pk_webhooks_t *self = store ? calloc(1, sizeof(*self)) : NULL;
    if (!self) {
        if (err_out)
            *err_out = strdup("pk_webhooks: no store");
        return NULL;
    }
    self->store = store;
    self->tokens = pk_store_dbi(store, "webhooks");
    self->index = pk_store_dbi(store, "webhook_index");
    if (self->tokens == PK_STORE_NO_DBI || self->index == PK_STORE_NO_DBI) {
        if (err_out) {
            char buf[512];
            snprintf(buf, sizeof buf, "pk_webhooks: cannot open keyspaces: %s", pk_store_error());
            *err_out = strdup(buf);
        }
        free(self);
        return NULL;
    }
    return self;
}

void
pk_webhooks_destroy(pk_webhooks_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

bool
pk_webhooks_equal(const void *a, const void *b, size_t len)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (uint8_t) (x[i] ^ y[i]);
    return diff == 0;
}

static bool
s_well_formed(const char *token)
{
    if (!token || strlen(token) != PK_WEBHOOK_TOKEN_LEN)
        return false;
    return strspn(token, "0123456789abcdef") == PK_WEBHOOK_TOKEN_LEN;
}

static int
s_new_token(char out[PK_WEBHOOK_TOKEN_LEN + 1])
{
    uint8_t raw[PK_WEBHOOK_TOKEN_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t) n;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[PK_WEBHOOK_TOKEN_LEN] = 0;
    return 0;
}

static bool
s_res_key(pk_key_t *k, const char *pipeline, const char *resource)
{
    pk_key_init(k);
    pk_key_str(k, pipeline);
    if (resource)
        pk_key_str(k, resource);
    return pk_key_ok(k);
}

// Store a fresh token for pipeline/resource, dropping the old one's index entry.
static int
s_put_new(pk_webhooks_t *self, pk_store_txn_t *txn, const pk_key_t *k, char *token)
{
    const void *old;
    size_t old_size;
    if (pk_store_get(txn, self->tokens, k->data, k->size, &old, &old_size) == 0
        && old_size >= S_SELECTOR_LEN) {
        char sel[S_SELECTOR_LEN];       // map memory is not ours across a write
        memcpy(sel, old, sizeof sel);
        pk_store_del(txn, self->index, sel, sizeof sel);
    }
    for (int tries = 0; tries < 8; tries++) {
        if (s_new_token(token) != 0)
            return -1;
        // a selector already in use (2^-64 per pair): draw again
        int rc = pk_store_insert(txn, self->index, token, S_SELECTOR_LEN, k->data, k->size);
        if (rc == PK_STORE_EXISTS)
            continue;
        if (rc != 0)
            return -1;
        return pk_store_put(txn, self->tokens, k->data, k->size, token, PK_WEBHOOK_TOKEN_LEN);
    }
    return -1;
}

typedef struct {
    pk_webhooks_t *self;
    const char *pipeline, *resource;
    const char *const *resources;
    size_t n;
    int created;
    char token[PK_WEBHOOK_TOKEN_LEN + 1];
} s_write_t;

static int
s_ensure(pk_store_txn_t *txn, void *arg)
{
    s_write_t *w = arg;
    w->created = 0;
    for (size_t i = 0; i < w->n; i++) {
        pk_key_t k;
        const void *v;
        size_t size;
        if (!w->resources[i] || !s_res_key(&k, w->pipeline, w->resources[i]))
            continue;
        int rc = pk_store_get(txn, w->self->tokens, k.data, k.size, &v, &size);
        if (rc == 0)
            continue;
        if (rc != PK_STORE_NOTFOUND || s_put_new(w->self, txn, &k, w->token) != 0)
            return -1;
        w->created++;
    }
    return 0;
}

int
pk_webhooks_ensure(pk_webhooks_t *self, const char *pipeline, const char *const *resources,
                   size_t n)
{
    if (!self || !pipeline || (n && !resources))
        return -1;
    // most sets change nothing: look first without taking the writer lock
    pk_store_txn_t *txn = pk_store_begin(self->store, false);
    if (!txn)
        return -1;
    bool missing = false;
    for (size_t i = 0; i < n && !missing; i++) {
        pk_key_t k;
        const void *v;
        size_t size;
        missing = resources[i] && s_res_key(&k, pipeline, resources[i])
               && pk_store_get(txn, self->tokens, k.data, k.size, &v, &size) != 0;
    }
    pk_store_abort(&txn);
    if (!missing)
        return 0;
    s_write_t w = { .self = self, .pipeline = pipeline, .resources = resources, .n = n };
    return pk_store_write(self->store, s_ensure, &w) == 0 ? w.created : -1;
}

static int
s_regenerate(pk_store_txn_t *txn, void *arg)
{
    s_write_t *w = arg;
    pk_key_t k;
    if (!s_res_key(&k, w->pipeline, w->resource))
        return -1;
    return s_put_new(w->self, txn, &k, w->token);
}

int
pk_webhooks_regenerate(pk_webhooks_t *self, const char *pipeline, const char *resource,
                       char **token_out)
{
    if (!self || !pipeline || !resource || !token_out)
        return -1;
    s_write_t w = { .self = self, .pipeline = pipeline, .resource = resource };
    if (pk_store_write(self->store, s_regenerate, &w) != 0)
        return -1;
    *token_out = strdup(w.token);
    return 0;
}

int
pk_webhooks_get(pk_webhooks_t *self, const char *pipeline, const char *resource,
                char **token_out)
{
    pk_key_t k;
    if (!self || !pipeline || !resource || !token_out || !s_res_key(&k, pipeline, resource))
        return -1;
    pk_store_txn_t *txn = pk_store_begin(self->store, false);
    if (!txn)
        return -1;
    const void *v;
    size_t size;
    int rc = pk_store_get(txn, self->tokens, k.data, k.size, &v, &size);
    if (rc == 0)
        *token_out = strndup(v, size);
    pk_store_abort(&txn);
    return rc;
}

int
pk_webhooks_find(pk_webhooks_t *self, const char *token, char **pipeline_out,
                 char **resource_out)
{
    if (!self || !pipeline_out || !resource_out)
        return -1;
    if (!s_well_formed(token))
        return PK_STORE_NOTFOUND;
    pk_store_txn_t *txn = pk_store_begin(self->store, false);
    if (!txn)
        return -1;
    const void *key, *stored;
    size_t key_size, stored_size;
    int rc = pk_store_get(txn, self->index, token, S_SELECTOR_LEN, &key, &key_size);
    if (rc == 0)
        rc = pk_store_get(txn, self->tokens, key, key_size, &stored, &stored_size);
    if (rc == 0 && (stored_size != PK_WEBHOOK_TOKEN_LEN
                    || !pk_webhooks_equal(stored, token, PK_WEBHOOK_TOKEN_LEN)))
        rc = PK_STORE_NOTFOUND;
    if (rc == 0) {
        pk_key_reader_t r;
        pk_key_reader_init(&r, key, key_size);
        const char *p = pk_key_read_str(&r, NULL);
        const char *res = pk_key_read_str(&r, NULL);
        if (pk_key_reader_done(&r) != 0)
            rc = -1;
        else {
            *pipeline_out = strdup(p);
            *resource_out = strdup(res);
        }
    }
    pk_store_abort(&txn);
    return rc;
}

static int
s_collect(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    // keys and selectors are copied: the scan must not modify what it walks
    void ***list = arg;
    size_t n = 0;
    while ((*list)[n])
        n++;
    *list = realloc(*list, (n + 3) * sizeof(void *));
    uint8_t *k = malloc(key_size + sizeof(size_t));
    memcpy(k, &key_size, sizeof(size_t));
    memcpy(k + sizeof(size_t), key, key_size);
    char *sel = strndup(value, value_size < S_SELECTOR_LEN ? value_size : S_SELECTOR_LEN);
    (*list)[n] = k;
    (*list)[n + 1] = sel;
    (*list)[n + 2] = NULL;
    return 0;
}

typedef struct {
    pk_webhooks_t *self;
    const char *pipeline;
} s_purge_t;

static int
s_purge(pk_store_txn_t *txn, void *arg)
{
    s_purge_t *p = arg;
    pk_key_t prefix;
    if (!s_res_key(&prefix, p->pipeline, NULL))
        return -1;
    void **list = calloc(1, sizeof(void *));
    int rc = pk_store_scan(txn, p->self->tokens, prefix.data, prefix.size, false, s_collect,
                           &list) < 0 ? -1 : 0;
    for (size_t i = 0; list[i]; i += 2) {
        size_t size;
        memcpy(&size, list[i], sizeof size);
        if (rc == 0 && strlen(list[i + 1]) == S_SELECTOR_LEN)
            pk_store_del(txn, p->self->index, list[i + 1], S_SELECTOR_LEN);
        if (rc == 0 && pk_store_del(txn, p->self->tokens, (uint8_t *) list[i] + sizeof size,
                                    size) < 0)
            rc = -1;
        free(list[i]);
        free(list[i + 1]);
    }
    free(list);
    return rc;
}

int
pk_webhooks_purge(pk_webhooks_t *self, const char *pipeline)
{
    if (!self || !pipeline)
        return -1;
    s_purge_t p = { self, pipeline };
    return pk_store_write(self->store, s_purge, &p);
}
