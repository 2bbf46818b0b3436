// pk_auth: the identity keyspaces -- users, teams and their members, API
// tokens, and the team each pipeline belongs to. Written only by control
// (DESIGN.md: one writer per keyspace); anyone may read.
//
//   auth_users     name -> [argon2id hash or "", admin, created_ms]
//   auth_teams     name -> [created_ms]
//   auth_members   team NUL user NUL -> [role]
//   auth_tokens    sha256(token) (32 bytes) -> [user, label, created_ms,
//                  expires_ms (0: never), last_used_ms]
//   auth_pipeteams pipeline NUL -> [team, exposed (absent: false)]
//
// Passwords are stored only as libsodium's crypto_pwhash_str (Argon2id,
// interactive limits); tokens only as their SHA-256: a token is 32 random
// bytes shown once as "pkt_" + 64 hex characters, and its public id (for
// listing and revoking) is the first 12 hex characters of its hash. A
// revoked token is deleted, so the next lookup of it fails.
#ifndef PK_AUTH_H
#define PK_AUTH_H
#include <stdbool.h>
#include <stdint.h>
#include "pk_store.h"

typedef enum {
    PK_ROLE_NONE = 0,
    PK_ROLE_READ,               // see pipelines, builds, logs
    PK_ROLE_WRITE,              // + trigger, cancel, retry, pause, pin, check
    PK_ROLE_MAINTAIN,           // + set/remove pipelines, approve/reject, webhook tokens
    PK_ROLE_ADMIN               // + members, team settings
} pk_role_t;

const char *pk_role_name(pk_role_t role);
// 0 with *out, or -1 for a name that is not a role.
int pk_role_parse(const char *name, pk_role_t *out);

#define PK_AUTH_TOKEN_LEN 68        // "pkt_" + 64 hex
#define PK_AUTH_TOKEN_ID_LEN 12

typedef struct _pk_auth_t pk_auth_t;

typedef struct {
    char *name;
    bool admin;                 // global admin: users, teams, workers, every team
    bool has_password;
    int64_t created_ms;
} pk_user_t;

typedef struct {
    char id[PK_AUTH_TOKEN_ID_LEN + 1];
    char *user, *label;
    int64_t created_ms, expires_ms, last_used_ms;
} pk_token_t;

void pk_user_clear(pk_user_t *u);
void pk_token_clear(pk_token_t *t);

// Opens the keyspaces. NULL with *err_out (caller frees; may be NULL).
// Also initialises libsodium.
pk_auth_t *pk_auth_new(pk_store_t *store, char **err_out);
void pk_auth_destroy(pk_auth_t **self_p);
pk_store_t *pk_auth_store(pk_auth_t *self);

// Writers take a write transaction; readers any transaction, or NULL for a
// read transaction of their own. 0, PK_STORE_NOTFOUND / PK_STORE_EXISTS, -1.

// password NULL: a user who can only use tokens (until one is set).
int pk_auth_user_add(pk_auth_t *self, pk_store_txn_t *txn, const char *name,
                     const char *password, bool admin);
int pk_auth_user_get(pk_auth_t *self, pk_store_txn_t *txn, const char *name, pk_user_t *out);
int pk_auth_user_set_password(pk_auth_t *self, pk_store_txn_t *txn, const char *name,
                              const char *password);
int pk_auth_user_set_admin(pk_auth_t *self, pk_store_txn_t *txn, const char *name, bool admin);
// Removes the user, their memberships and their tokens.
int pk_auth_user_del(pk_auth_t *self, pk_store_txn_t *txn, const char *name);
// 0 when the password is the user's, 1 when not (or no such user / no
// password), -1 on a store error. Argon2id: tens of milliseconds and 64 MB,
// the same for an unknown user (pk_auth_password_check). Blocks: control
// verifies logins in threads of their own (actors/control_login.c).
int pk_auth_user_verify(pk_auth_t *self, const char *name, const char *password);
// The user's stored hash (*hash_out, caller frees; "" when the user has no
// password): 0, PK_STORE_NOTFOUND, or -1. Cheap: one read.
int pk_auth_user_hash(pk_auth_t *self, const char *name, char **hash_out);
// 0 when password matches hash, else 1. hash NULL or "" (no such user, no
// password) is checked against a hash no password matches, so it costs
// and answers the same as a wrong password. Thread-safe; pure CPU.
int pk_auth_password_check(const char *hash, const char *password);
// Make that hash now (once per process) rather than in the first check.
void pk_auth_password_warm(void);
// Every user, sorted by name: *out (free each with pk_user_clear, then the array).
int pk_auth_users(pk_auth_t *self, pk_store_txn_t *txn, pk_user_t **out, size_t *n);
int64_t pk_auth_user_count(pk_auth_t *self, pk_store_txn_t *txn);

int pk_auth_team_add(pk_auth_t *self, pk_store_txn_t *txn, const char *team);
bool pk_auth_team_exists(pk_auth_t *self, pk_store_txn_t *txn, const char *team);
// Removes the team and its memberships (pipelines keep their record).
int pk_auth_team_del(pk_auth_t *self, pk_store_txn_t *txn, const char *team);
// Team names, sorted, NULL-terminated (caller frees each and the array).
char **pk_auth_teams(pk_auth_t *self, pk_store_txn_t *txn);
// role PK_ROLE_NONE removes the membership.
int pk_auth_member_set(pk_auth_t *self, pk_store_txn_t *txn, const char *team,
                       const char *user, pk_role_t role);
pk_role_t pk_auth_member_role(pk_auth_t *self, pk_store_txn_t *txn, const char *team,
                              const char *user);
// The team's members: users[i] (caller frees each and the array) with roles[i].
int pk_auth_members(pk_auth_t *self, pk_store_txn_t *txn, const char *team, char ***users,
                    pk_role_t **roles, size_t *n);
size_t pk_auth_team_admins(pk_auth_t *self, pk_store_txn_t *txn, const char *team);

// The team a pipeline belongs to (caller frees), NULL when none is recorded.
char *pk_auth_pipeline_team(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline);
// team NULL removes the record. A set of the team keeps the exposed flag.
int pk_auth_pipeline_team_set(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline,
                              const char *team);
// Is the pipeline public (`pikoci pipelines expose`): readable without login?
bool pk_auth_pipeline_exposed(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline);
// Expose or hide it; a pipeline with no record gets one with team (its
// team as control settled it). 0, or -1.
int pk_auth_pipeline_expose(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline,
                            const char *team, bool exposed);

// A new token for user: *token_out (caller frees; shown once, never stored)
// and out->id. expires_ms 0: never.
int pk_auth_token_new(pk_auth_t *self, pk_store_txn_t *txn, const char *user,
                      const char *label, int64_t expires_ms, char **token_out, char *id_out);
// Look a presented token up: 0 with *out (an expired token is NOTFOUND).
int pk_auth_token_check(pk_auth_t *self, pk_store_txn_t *txn, const char *token,
                        int64_t now_ms, pk_token_t *out);
// Record that the token was used at now_ms.
int pk_auth_token_touch(pk_auth_t *self, pk_store_txn_t *txn, const char *token,
                        int64_t now_ms);
// Tokens of user (NULL: everyone's): *out (free each with pk_token_clear).
int pk_auth_tokens(pk_auth_t *self, pk_store_txn_t *txn, const char *user, pk_token_t **out,
                   size_t *n);
// Delete the token with this id (of user, unless user is NULL): 0 or NOTFOUND.
int pk_auth_token_revoke(pk_auth_t *self, pk_store_txn_t *txn, const char *user,
                         const char *id);
// The public id of a token (out: PK_AUTH_TOKEN_ID_LEN + 1).
void pk_auth_token_id(const char *token, char *out);

#endif
