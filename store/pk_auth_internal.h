// pk_auth_internal: what pk_auth.c and pk_auth_tokens.c share -- the
// keyspaces and the small msgpack and transaction helpers.
#ifndef PK_AUTH_INTERNAL_H
#define PK_AUTH_INTERNAL_H
#include "pk_auth.h"
#include "pk_key.h"

struct _pk_auth_t {
    pk_store_t *store;
    MDB_dbi users, teams, members, tokens, pipeteams;
};

// txn, or a read transaction of our own (*own) when it is NULL; end it
// with auth_end.
pk_store_txn_t *auth_txn(pk_auth_t *self, pk_store_txn_t *txn, bool *own);
void auth_end(pk_store_txn_t **txn, bool own);
// A string ("" for NULL); a string object copied ("" when not one); an integer.
void auth_pstr(msgpack_packer *pk, const char *s);
char *auth_ostr(const msgpack_object *o);
int64_t auth_oint(const msgpack_object *o);
// key's value as an array of at least min items into *un: 0, NOTFOUND, -1.
int auth_get_array(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t size, size_t min,
                   msgpack_unpacked *un);
// Put sb (destroyed) under key.
int auth_put(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t size,
             msgpack_sbuffer *sb);
int64_t auth_now_ms(void);

#endif
