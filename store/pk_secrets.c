// pk_secrets: the secret store's keyspace (pk_secrets.h).
#include "pk_secrets.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pk_secrets_box_init(pk_secrets_box_t *self, pk_store_t *store, const uint8_t *key,
                    const char *missing)
{
    *self = (pk_secrets_box_t) { .store = store };
    self->dbi = pk_store_dbi(store, PK_SECRETS_KEYSPACE);
    if (key) {
        memcpy(self->key, key, sizeof self->key);
        self->has_key = true;
    }
    self->missing = strdup(missing ? missing : "the server has no secret key");
}

void
pk_secrets_box_clear(pk_secrets_box_t *self)
{
    sodium_memzero(self->key, sizeof self->key);
    free(self->missing);
    self->missing = NULL;
    self->has_key = false;
}

int
pk_secrets_key_parse(const char *hex, uint8_t key[PK_SECRETS_KEY_BYTES])
{
    size_t len = 0;
    if (!hex || strlen(hex) != 2 * PK_SECRETS_KEY_BYTES
        || sodium_hex2bin(key, PK_SECRETS_KEY_BYTES, hex, strlen(hex), NULL, &len, NULL) != 0
        || len != PK_SECRETS_KEY_BYTES)
        return -1;
    return 0;
}

const char *
pk_secrets_scope(char *buf, size_t size, const char *team, const char *pipeline)
{
    if (pipeline && *pipeline)
        snprintf(buf, size, "p:%s", pipeline);
    else
        snprintf(buf, size, "t:%s", team && *team ? team : "main");
    return buf;
}

// scope NUL name (the store key; with a final NUL the box's prefix too)
static char *
s_key(const char *scope, const char *name, size_t *size)
{
    size_t a = strlen(scope), b = strlen(name);
    char *k = malloc(a + b + 2);
    memcpy(k, scope, a + 1);
    memcpy(k + a + 1, name, b + 1);
    *size = a + 1 + b;
    return k;
}

int
pk_secrets_put(pk_store_txn_t *txn, MDB_dbi dbi, const uint8_t *key, const char *scope,
               const char *name, const void *value, size_t size, int64_t now_ms)
{
    if (sodium_init() < 0 || size > PK_SECRETS_MAX_VALUE)
        return -1;
    size_t ksize;
    char *k = s_key(scope, name, &ksize);
    size_t plain_size = ksize + 1 + size;
    uint8_t *plain = malloc(plain_size), *box = malloc(plain_size + crypto_secretbox_MACBYTES);
    memcpy(plain, k, ksize + 1);
    memcpy(plain + ksize + 1, value, size);
    uint8_t nonce[crypto_secretbox_NONCEBYTES];
    randombytes_buf(nonce, sizeof nonce);
    crypto_secretbox_easy(box, plain, plain_size, nonce, key);
    sodium_memzero(plain, plain_size);
    free(plain);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_bin_with_body(&pk, nonce, sizeof nonce);
    msgpack_pack_str_with_body(&pk, "c", 1);
    msgpack_pack_bin_with_body(&pk, box, plain_size + crypto_secretbox_MACBYTES);
    msgpack_pack_str_with_body(&pk, "t", 1);
    msgpack_pack_int64(&pk, now_ms);
    int rc = pk_store_put(txn, dbi, k, ksize, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    free(box);
    free(k);
    return rc;
}

// The field of a stored record, or NULL.
static const msgpack_object *
s_field(const msgpack_object *o, const char *name)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(name)
            && !memcmp(k->via.str.ptr, name, k->via.str.size))
            return &o->via.map.ptr[i].val;
    }
    return NULL;
}

int
pk_secrets_get(pk_store_txn_t *txn, MDB_dbi dbi, const uint8_t *key, const char *scope,
               const char *name, char **value)
{
    *value = NULL;
    if (sodium_init() < 0)
        return -1;
    size_t ksize;
    char *k = s_key(scope, name, &ksize);
    const void *v;
    size_t vsize;
    int rc = pk_store_get(txn, dbi, k, ksize, &v, &vsize);
    if (rc != 0) {
        free(k);
        return rc;
    }
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    rc = -1;
    if (pk_store_decode(v, vsize, &u) == 0) {
        const msgpack_object *n = s_field(&u.data, "n"), *c = s_field(&u.data, "c");
        if (n && c && n->type == MSGPACK_OBJECT_BIN && c->type == MSGPACK_OBJECT_BIN
            && n->via.bin.size == crypto_secretbox_NONCEBYTES
            && c->via.bin.size >= crypto_secretbox_MACBYTES + ksize + 1) {
            size_t plain_size = c->via.bin.size - crypto_secretbox_MACBYTES;
            uint8_t *plain = malloc(plain_size + 1);
            if (crypto_secretbox_open_easy(plain, (const uint8_t *) c->via.bin.ptr,
                                           c->via.bin.size, (const uint8_t *) n->via.bin.ptr,
                                           key) == 0
                && !memcmp(plain, k, ksize + 1)) {
                size_t size = plain_size - ksize - 1;
                *value = malloc(size + 1);
                memcpy(*value, plain + ksize + 1, size);
                (*value)[size] = 0;
                rc = 0;
            }
            sodium_memzero(plain, plain_size);
            free(plain);
        }
    }
    msgpack_unpacked_destroy(&u);
    free(k);
    return rc;
}

int
pk_secrets_del(pk_store_txn_t *txn, MDB_dbi dbi, const char *scope, const char *name)
{
    size_t ksize;
    char *k = s_key(scope, name, &ksize);
    int rc = pk_store_del(txn, dbi, k, ksize);
    free(k);
    return rc;
}

typedef struct {
    size_t prefix;
    pk_secrets_list_fn *fn;
    void *arg;
} s_list_t;

static int
s_list_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    s_list_t *l = arg;
    if (key_size <= l->prefix)
        return 0;
    char *name = strndup((const char *) key + l->prefix, key_size - l->prefix);
    int64_t t = 0;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    if (pk_store_decode(value, value_size, &u) == 0) {
        const msgpack_object *o = s_field(&u.data, "t");
        if (o && (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER
                  || o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER))
            t = o->via.i64;
    }
    msgpack_unpacked_destroy(&u);
    l->fn(name, t, l->arg);
    free(name);
    return 0;
}

int
pk_secrets_list(pk_store_txn_t *txn, MDB_dbi dbi, const char *scope, pk_secrets_list_fn *fn,
                void *arg)
{
    s_list_t l = { strlen(scope) + 1, fn, arg };
    return pk_store_scan(txn, dbi, scope, l.prefix, false, s_list_one, &l) < 0 ? -1 : 0;
}
