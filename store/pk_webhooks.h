// pk_webhooks: every checked resource's webhook token -- the secret part of
// the URL a forge posts to (POST /webhooks/<token>) to have the resource
// checked at once. The checker is the only writer (DESIGN.md: one writer per
// keyspace): it creates a token when a resource first appears, keeps it
// across pipeline updates and restarts, and replaces it on request
// (`pikoci webhook-token P/R --regenerate`). Anyone may read.
//
// Keyspaces:
//   webhooks       (str pipeline, str resource) -> token (64 lower-case hex
//                  characters: 32 bytes from getrandom)
//   webhook_index  (SHA-256 of the token, 32 bytes) -> (str pipeline, str resource)
// A token is found by the hash of what was presented, then compared with
// the stored token in constant time: the B-tree walk only ever sees a hash,
// so how long a lookup takes tells nothing about the token.
#ifndef PK_WEBHOOKS_H
#define PK_WEBHOOKS_H
#include <stdbool.h>
#include <stddef.h>
#include "pk_store.h"

#define PK_WEBHOOK_TOKEN_LEN 64     // hex characters

typedef struct _pk_webhooks_t pk_webhooks_t;

// NULL with *err_out (caller frees; may be NULL) when the keyspaces cannot
// be opened.
pk_webhooks_t *pk_webhooks_new(pk_store_t *store, char **err_out);
void pk_webhooks_destroy(pk_webhooks_t **self_p);

// Give every one of resources[0..n) of pipeline a token unless it has one,
// in one write transaction. The number created, or -1.
int pk_webhooks_ensure(pk_webhooks_t *self, const char *pipeline, const char *const *resources,
                       size_t n);
// A new token for pipeline/resource (the old one stops working): 0 with
// *token_out (caller frees), or -1.
int pk_webhooks_regenerate(pk_webhooks_t *self, const char *pipeline, const char *resource,
                           char **token_out);
// The token of pipeline/resource: 0 with *token_out (caller frees),
// PK_STORE_NOTFOUND, or -1.
int pk_webhooks_get(pk_webhooks_t *self, const char *pipeline, const char *resource,
                    char **token_out);
// Whose token is token: 0 with *pipeline_out and *resource_out (caller
// frees), PK_STORE_NOTFOUND (no such token, or not a well-formed one), or -1.
int pk_webhooks_find(pk_webhooks_t *self, const char *token, char **pipeline_out,
                     char **resource_out);
// Forget every token of pipeline: 0 or -1.
int pk_webhooks_purge(pk_webhooks_t *self, const char *pipeline);

// a and b, both of length len, compared in time that depends on len only.
bool pk_webhooks_equal(const void *a, const void *b, size_t len);

#endif
