// pk_tokens: the shared secrets that tell the broker who may play which
// part over the network, kept in small 0600 files.
//
//   server token   a standalone `pikoci broker` admits a network peer to a
//                  server role (control, scheduler, checker, logsink) only
//                  when its HELLO carries this token; `pikoci server
//                  --pubsub-system zmq` sends it. Actors in the broker's own
//                  process (inproc) need none, and a server's embedded
//                  broker admits no server role from the network at all.
//   worker tokens  a READY from the network must carry a worker token the
//                  broker's list holds; the list binds a token to a team
//                  (the worker then only gets that team's work) or to every
//                  team ("*"). The list holds SHA-256 hashes only:
//                      # comment
//                      <sha256 hex of the token> <team|*> [label]
//                  It is re-read when it changes, so a token added (pikoci
//                  worker-token new) or a line removed counts at the next READY.
//
// The runtime dir ($PIKOCI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/pikoci, else
// /tmp/pikoci-UID; 0700, ours) holds the defaults, made on first start by
// whichever of server or broker starts first (atomically: a second process
// reads what the first wrote): server.token, worker.token (the plain token
// a `pikoci worker` of the same user finds by itself) and worker-tokens
// (the list, holding worker.token's hash for every team).
#ifndef PK_TOKENS_H
#define PK_TOKENS_H
#include <stdbool.h>

#define PK_TOKENS_SERVER_FILE "server.token"
#define PK_TOKENS_WORKER_FILE "worker.token"
#define PK_TOKENS_LIST_FILE   "worker-tokens"

// The runtime dir, created 0700 when missing (caller frees), or NULL with
// *err when it cannot be made or is not safely ours.
char *pk_runtime_dir(char **err);
// dir/name (caller frees).
char *pk_path_join(const char *dir, const char *name);

// A new random token: prefix then 64 hex digits (caller frees).
char *pk_token_new(const char *prefix);
// The first line of path, trimmed (caller frees). When the file is missing
// and create is set, a new token with prefix is written there first (0600,
// atomically). NULL with *err otherwise (an empty or unreadable file).
char *pk_token_file(const char *path, bool create, const char *prefix, char **err);
// Makes the runtime dir's defaults when missing (see the top): 0, or -1
// with *err.
int pk_tokens_defaults(const char *dir, char **err);
// Appends "hash team label" to the list at path (made 0600 when missing).
int pk_worker_tokens_add(const char *path, const char *token, const char *team,
                         const char *label, char **err);
// Constant-time comparison of two NUL-terminated secrets.
bool pk_token_equal(const char *a, const char *b);

// The list a broker checks READY against (re-read when its mtime or size
// changes). One owner thread.
typedef struct _pk_worker_tokens_t pk_worker_tokens_t;
pk_worker_tokens_t *pk_worker_tokens_new(const char *path);
void pk_worker_tokens_destroy(pk_worker_tokens_t **self_p);
// 0 and *team ("" for every team; borrowed until the next call) when the
// token is listed; -1 when not (or the list cannot be read: *why says so).
int pk_worker_tokens_check(pk_worker_tokens_t *self, const char *token, const char **team,
                           const char **why);

// What a server or standalone broker uses: the worker token list
// (list_opt, else the runtime dir's) and the server token (read from
// token_opt, else the runtime dir's). The runtime dir's defaults are made
// when either is not given. A given file that is missing is an error.
// 0 with *list_path and *server_token (caller frees), or -1 with *err.
int pk_tokens_setup(const char *list_opt, const char *token_opt, char **list_path,
                    char **server_token, char **err);
// The token a worker presents: the file `file_opt`, else $PIKOCI_WORKER_TOKEN
// (the token itself), else the runtime dir's worker.token when there is
// one. NULL when none (*err NULL) or the given file cannot be read (*err).
char *pk_worker_token_find(const char *file_opt, char **err);

// The token this process's server actors put in HELLO (NULL: none; the
// actors in a server's own process need none). Set once by `pikoci server
// --pubsub-system zmq` before any actor starts; read-only afterwards.
void pk_server_token_set(const char *token);
const char *pk_server_token(void);

#endif
