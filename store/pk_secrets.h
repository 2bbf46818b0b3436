// pk_secrets: the server's own secret store (`secret "pikoci" { key = "NAME" }`),
// the keyspace "secrets", written only by control (reads by anyone who has
// the key: the scheduler, to hand a build the values its plan names).
//
// A secret belongs to a scope: a team ("t:<team>") or a pipeline
// ("p:<pipeline>"); a pipeline's secret shadows its team's of the same name.
// Key: scope, NUL, name. Value: msgpack {n: nonce, c: box, t: updated_ms}
// where box = crypto_secretbox_easy(scope NUL name NUL value) under the
// server's 32-byte key -- the scope and name inside the box bind it to its
// slot, so a box copied to another key does not open. Values are never
// stored in clear, and nothing here returns one but pk_secrets_get.
#ifndef PK_SECRETS_H
#define PK_SECRETS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_store.h"

#define PK_SECRETS_KEY_BYTES 32
#define PK_SECRETS_MAX_VALUE (64 * 1024)
#define PK_SECRETS_KEYSPACE "secrets"

// What a reader or the writer of the store needs: the store, the keyspace
// and the server's key, or why there is none. Control (writes) and the
// scheduler (reads) each hold one.
typedef struct {
    pk_store_t *store;
    MDB_dbi dbi;
    bool has_key;
    uint8_t key[PK_SECRETS_KEY_BYTES];
    char *missing;                      // why there is no key
} pk_secrets_box_t;

// key copied (NULL: the store is off, for the reason missing).
void pk_secrets_box_init(pk_secrets_box_t *self, pk_store_t *store, const uint8_t *key,
                         const char *missing);
// Wipes the key.
void pk_secrets_box_clear(pk_secrets_box_t *self);

// The key from 64 hex digits (the key file's first line, or
// $PIKOCI_SECRET_KEY): 0, or -1 when it is not that.
int pk_secrets_key_parse(const char *hex, uint8_t key[PK_SECRETS_KEY_BYTES]);
// "t:<team>" or "p:<pipeline>" into buf.
const char *pk_secrets_scope(char *buf, size_t size, const char *team, const char *pipeline);

int pk_secrets_put(pk_store_txn_t *txn, MDB_dbi dbi, const uint8_t *key, const char *scope,
                   const char *name, const void *value, size_t size, int64_t now_ms);
// 0 with *value (NUL-terminated, caller frees), PK_STORE_NOTFOUND, or -1
// (store error, or a box that does not open under key: a wrong key).
int pk_secrets_get(pk_store_txn_t *txn, MDB_dbi dbi, const uint8_t *key, const char *scope,
                   const char *name, char **value);
// 0, PK_STORE_NOTFOUND, or -1.
int pk_secrets_del(pk_store_txn_t *txn, MDB_dbi dbi, const char *scope, const char *name);

// The names of a scope in order: fn(name, updated_ms, arg) for each; 0 or -1.
typedef void (pk_secrets_list_fn)(const char *name, int64_t updated_ms, void *arg);
int pk_secrets_list(pk_store_txn_t *txn, MDB_dbi dbi, const char *scope,
                    pk_secrets_list_fn *fn, void *arg);

#endif
