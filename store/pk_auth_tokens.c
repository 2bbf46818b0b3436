// pk_auth_tokens: the API tokens of pk_auth.h -- made from 32 random bytes,
// stored under their SHA-256 only, looked up by a presented token, listed
// and revoked by their public id (the first 12 hex characters of the hash).
#include "pk_auth_internal.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

// --- tokens

static void
s_token_hash(const char *token, uint8_t out[crypto_hash_sha256_BYTES])
{
    crypto_hash_sha256(out, (const uint8_t *) token, strlen(token));
}

static void
s_id_of_hash(const uint8_t *hash, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < PK_AUTH_TOKEN_ID_LEN / 2; i++) {
        out[2 * i] = hex[hash[i] >> 4];
        out[2 * i + 1] = hex[hash[i] & 15];
    }
    out[PK_AUTH_TOKEN_ID_LEN] = 0;
}

void
pk_auth_token_id(const char *token, char *out)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    s_token_hash(token, h);
    s_id_of_hash(h, out);
}

static int
s_token_put(pk_auth_t *self, pk_store_txn_t *txn, const uint8_t *hash, const pk_token_t *t)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 5);
    auth_pstr(&pk, t->user);
    auth_pstr(&pk, t->label);
    msgpack_pack_int64(&pk, t->created_ms);
    msgpack_pack_int64(&pk, t->expires_ms);
    msgpack_pack_int64(&pk, t->last_used_ms);
    return auth_put(txn, self->tokens, hash, crypto_hash_sha256_BYTES, &sb);
}

int
pk_auth_token_new(pk_auth_t *self, pk_store_txn_t *txn, const char *user, const char *label,
                  int64_t expires_ms, char **token_out, char *id_out)
{
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    char *token = malloc(PK_AUTH_TOKEN_LEN + 1);
    memcpy(token, "pkt_", 4);
    sodium_bin2hex(token + 4, PK_AUTH_TOKEN_LEN - 4 + 1, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    uint8_t hash[crypto_hash_sha256_BYTES];
    s_token_hash(token, hash);
    pk_token_t t = { .user = (char *) user, .label = (char *) label,
                     .created_ms = auth_now_ms(), .expires_ms = expires_ms };
    if (s_token_put(self, txn, hash, &t) != 0) {
        free(token);
        return -1;
    }
    s_id_of_hash(hash, id_out);
    *token_out = token;
    return 0;
}

static void
s_token_read(const msgpack_object *a, const uint8_t *hash, pk_token_t *out)
{
    s_id_of_hash(hash, out->id);
    out->user = auth_ostr(&a[0]);
    out->label = auth_ostr(&a[1]);
    out->created_ms = auth_oint(&a[2]);
    out->expires_ms = auth_oint(&a[3]);
    out->last_used_ms = auth_oint(&a[4]);
}

int
pk_auth_token_check(pk_auth_t *self, pk_store_txn_t *txn, const char *token, int64_t now_ms,
                    pk_token_t *out)
{
    memset(out, 0, sizeof *out);
    if (!token || strlen(token) != PK_AUTH_TOKEN_LEN)
        return PK_STORE_NOTFOUND;
    uint8_t hash[crypto_hash_sha256_BYTES];
    s_token_hash(token, hash);
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return -1;
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    int rc = auth_get_array(txn, self->tokens, hash, sizeof hash, 5, &un);
    if (rc == 0) {
        s_token_read(un.data.via.array.ptr, hash, out);
        if (out->expires_ms && out->expires_ms <= now_ms) {
            pk_token_clear(out);
            rc = PK_STORE_NOTFOUND;
        }
    }
    msgpack_unpacked_destroy(&un);
    auth_end(&txn, own);
    return rc;
}

int
pk_auth_token_touch(pk_auth_t *self, pk_store_txn_t *txn, const char *token, int64_t now_ms)
{
    pk_token_t t;
    int rc = pk_auth_token_check(self, txn, token, 0, &t);
    if (rc != 0)
        return rc;
    uint8_t hash[crypto_hash_sha256_BYTES];
    s_token_hash(token, hash);
    t.last_used_ms = now_ms;
    rc = s_token_put(self, txn, hash, &t);
    pk_token_clear(&t);
    return rc;
}

typedef struct {
    pk_token_t *tokens;
    size_t n;
    const char *user;
} s_tokens_t;

static int
s_token_cb(const void *key, size_t ks, const void *value, size_t vs, void *arg)
{
    s_tokens_t *c = arg;
    if (ks != crypto_hash_sha256_BYTES)
        return 0;
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    if (pk_store_decode(value, vs, &un) == 0 && un.data.type == MSGPACK_OBJECT_ARRAY
        && un.data.via.array.size >= 5) {
        pk_token_t t = { 0 };
        s_token_read(un.data.via.array.ptr, key, &t);
        if (!c->user || !strcmp(c->user, t.user)) {
            c->tokens = realloc(c->tokens, (c->n + 1) * sizeof *c->tokens);
            c->tokens[c->n++] = t;
        }
        else
            pk_token_clear(&t);
    }
    msgpack_unpacked_destroy(&un);
    return 0;
}

int
pk_auth_tokens(pk_auth_t *self, pk_store_txn_t *txn, const char *user, pk_token_t **out,
               size_t *n)
{
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return -1;
    s_tokens_t c = { NULL, 0, user };
    int64_t rc = pk_store_scan(txn, self->tokens, NULL, 0, false, s_token_cb, &c);
    auth_end(&txn, own);
    *out = c.tokens;
    *n = c.n;
    return rc < 0 ? -1 : 0;
}

typedef struct {
    const char *id, *user;
    pk_key_t key;
    bool found;
} s_revoke_t;

static int
s_revoke_cb(const void *key, size_t ks, const void *value, size_t vs, void *arg)
{
    s_revoke_t *c = arg;
    if (ks != crypto_hash_sha256_BYTES)
        return 0;
    char id[PK_AUTH_TOKEN_ID_LEN + 1];
    s_id_of_hash(key, id);
    if (strcmp(id, c->id))
        return 0;
    s_tokens_t t = { NULL, 0, c->user };
    s_token_cb(key, ks, value, vs, &t);
    if (t.n) {
        c->found = true;
        pk_key_init(&c->key);
        pk_key_bytes(&c->key, key, ks);
        pk_token_clear(&t.tokens[0]);
    }
    free(t.tokens);
    return c->found ? 1 : 0;
}

int
pk_auth_token_revoke(pk_auth_t *self, pk_store_txn_t *txn, const char *user, const char *id)
{
    s_revoke_t c = { .id = id, .user = user };
    if (!id || pk_store_scan(txn, self->tokens, NULL, 0, false, s_revoke_cb, &c) < 0)
        return id ? -1 : PK_STORE_NOTFOUND;
    if (!c.found)
        return PK_STORE_NOTFOUND;
    return pk_store_del(txn, self->tokens, c.key.data, c.key.size);
}
