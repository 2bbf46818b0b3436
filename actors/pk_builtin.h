// pk_builtin: the built-in types pikoci implements in C rather than as
// shell commands -- the slack, discord and github-check notification types
// and the vault secret type. Their embedded definitions
// (pipeline/registry/*.hcl) run `pikoci builtin NAME` through the exec
// runner (path /proc/self/exe: the very binary running the worker), so
// these go through the runner like any other command -- deadlines,
// cancellation, log streaming, secret substitution and masking all apply
// unchanged -- while needing no curl, jq, openssl or vault binary on the
// worker. Each reads only the environment the runner gives the command
// ($param_*, $notify_*, $NOTIFY_MESSAGE, $BUILD_*, $WORKDIR).
#ifndef PK_BUILTIN_H
#define PK_BUILTIN_H
#include <stdbool.h>
#include <stdio.h>
#include "pk_env.h"

// Runs builtin name with env; messages to out (errors included: the runner
// merges both streams). The process exit code: 0 done, 1 failed, 2 misuse.
int pk_builtin_run(const char *name, const pk_env_t *env, FILE *out);

// The names pk_builtin_run knows, NULL-terminated.
extern const char *const pk_builtin_names[];

// --- builtin_notify.c (shared with builtin_github.c / builtin_vault.c)
// The value of name in env when set and not empty, else dflt (a param left
// empty means "not given", as in PikoCI's shell definitions).
const char *pk_builtin_env(const pk_env_t *env, const char *name, const char *dflt);
// The message a notification sends: $NOTIFY_MESSAGE, else PikoCI's default
// "<icon> [pipeline/job] Build #N - status" (a notify step, which has no
// status: "[pipeline/job] Build #N"), plus " - <build link>" with param
// base_url. Caller frees.
char *pk_builtin_message(const pk_env_t *env);
// The build status an automatic notification reports: $notify_build_status
// (success, failure or cancel, PikoCI's words), "" for a notify step.
const char *pk_builtin_status(const pk_env_t *env);
// An HTTP request; 0 with *status and *body (caller frees) or -1 with a
// line on out. what names the call for messages.
int pk_builtin_http(FILE *out, const char *what, const char *method, const char *url,
                    const char *const *headers, const char *body, long *status, char **answer);

// put: as the github-check resource type's push ($put_* attributes), else
// as the notification type ($notify_*).
int pk_builtin_github_check(const pk_env_t *env, FILE *out, bool put);
int pk_builtin_vault(const pk_env_t *env, FILE *out);

#endif
