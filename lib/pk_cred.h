// pk_cred: where a client's API token comes from, and where tokens are
// kept on disk (files of mode 0600 in directories of mode 0700).
//
// A client (the CLI, pikoci-top) looks, in order, at:
//   1. --token / $PIKOCI_TOKEN (the caller's choice);
//   2. the token `pikoci login` stored for this server:
//      ${XDG_CONFIG_HOME:-~/.config}/pikoci/token-<server>;
//   3. for a loopback server only, the token the server wrote for its own
//      OS user on first start: <runtime>/server-<port>.token, where
//      <runtime> is $XDG_RUNTIME_DIR/pikoci, else /tmp/pikoci-<uid>.
// Inside a build ($PIKOCI_IN_BUILD, set by the runner for every command it
// starts) only 1 counts: a build's task that runs `pikoci` with default
// settings is anonymous, and refused. (A task running as the server's OS
// user could still read those files itself: --run-as is the barrier.)
#ifndef PK_CRED_H
#define PK_CRED_H
#include <stdbool.h>
#include "pk_client.h"

// The marker the runner sets in every build command's environment.
#define PK_CRED_BUILD_MARKER "PIKOCI_IN_BUILD"

bool pk_cred_in_build(void);
// <runtime>/server-<port>.token for a loopback tcp:// endpoint,
// <runtime>/server-<host>-<port>.token for another host (a standalone
// broker's), NULL for anything else.
// Caller frees. Creates nothing.
char *pk_cred_server_file(const char *endpoint);
// The login token file for endpoint. Caller frees.
char *pk_cred_login_file(const char *endpoint);
// Write token to path (its directory made 0700 if missing; the file 0600,
// replaced atomically): 0, or -1 with *err (caller frees).
int pk_cred_write(const char *path, const char *token, char **err);
// A server's first-start token in two steps, so the file appears the
// moment the port is known (a CLI that finds the port open finds the token
// too): staged under a temporary name in the runtime directory (the caller
// frees the path it returns, NULL with *err), then published as
// pk_cred_server_file(endpoint) with a rename (*path_out, caller frees).
char *pk_cred_stage(const char *token, char **err);
int pk_cred_publish(const char *staged, const char *endpoint, char **path_out, char **err);
// The token in path (one line), or NULL when missing, unreadable, or
// readable by anyone but its owner (then *err says so; caller frees).
char *pk_cred_read(const char *path, char **err);
// The token to use for endpoint, following the order above, or NULL.
// *source_out (may be NULL) names where it came from.
char *pk_cred_find(const char *endpoint, const char *explicit_token, const char **source_out);
// Give client the token pk_cred_find finds for endpoint (none: anonymous).
void pk_cred_apply(pk_client_t *client, const char *endpoint);

#endif
