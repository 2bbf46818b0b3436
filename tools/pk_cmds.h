// The subcommands of the pikoci binary, one per tools/cmd_<name>.c (client
// commands are grouped by what they act on: cmd_pipelines, cmd_jobs,
// cmd_trigger, cmd_logs, cmd_resources, cmd_workers; their shared helpers
// are in cmd_common.c, declared in cli.h). Each gets argv starting at its
// own name and returns the process exit code (0 ok, 1 failure of the thing
// run or refused by the server, 2 usage or configuration error, 3 the
// server cannot be reached).
#ifndef PK_CMDS_H
#define PK_CMDS_H
#include "pk_proc.h"

#include "pk_log.h"         // --log-level, --log-format (server, worker, broker)
#include "pk_version.h"     // PK_VERSION, PK_GIT_COMMIT (cmake/version.cmake)

typedef int (pk_cmd_fn)(int argc, char **argv);

pk_cmd_fn pk_cmd_validate;
pk_cmd_fn pk_cmd_run;
pk_cmd_fn pk_cmd_server;
pk_cmd_fn pk_cmd_broker;
pk_cmd_fn pk_cmd_worker;
pk_cmd_fn pk_cmd_keygen;
pk_cmd_fn pk_cmd_pipelines;
pk_cmd_fn pk_cmd_jobs;
pk_cmd_fn pk_cmd_pause;
pk_cmd_fn pk_cmd_unpause;
pk_cmd_fn pk_cmd_trigger;
pk_cmd_fn pk_cmd_builds;
pk_cmd_fn pk_cmd_build;
pk_cmd_fn pk_cmd_logs;
pk_cmd_fn pk_cmd_cancel;
pk_cmd_fn pk_cmd_retry;
pk_cmd_fn pk_cmd_approve;
pk_cmd_fn pk_cmd_reject;
pk_cmd_fn pk_cmd_warn;
pk_cmd_fn pk_cmd_graph;
pk_cmd_fn pk_cmd_resources;
pk_cmd_fn pk_cmd_versions;
pk_cmd_fn pk_cmd_check;
pk_cmd_fn pk_cmd_pin;
pk_cmd_fn pk_cmd_unpin;
pk_cmd_fn pk_cmd_workers;
pk_cmd_fn pk_cmd_secrets;
pk_cmd_fn pk_cmd_worker_token;
pk_cmd_fn pk_cmd_store;
pk_cmd_fn pk_cmd_webhook;
pk_cmd_fn pk_cmd_types;
pk_cmd_fn pk_cmd_login;
pk_cmd_fn pk_cmd_logout;
pk_cmd_fn pk_cmd_whoami;
pk_cmd_fn pk_cmd_tokens;
pk_cmd_fn pk_cmd_users;
pk_cmd_fn pk_cmd_teams;
pk_cmd_fn pk_cmd_audit;
pk_cmd_fn pk_cmd_builtin;
pk_cmd_fn pk_cmd_client;      // cmd_client.c: PikoCI's command lines
pk_cmd_fn pk_cmd_pipeline;

// --run-as USER of `pikoci worker` and `pikoci server --run-worker`
// (cmd_runas.c): the user looked up and checked (not root, we are root);
// 0, or 2 with the reason printed as "pikoci CMD: ...".
int pk_cmd_run_as(pk_proc_user_t *user_out, const char *name, const char *cmd);
pk_cmd_fn pk_cmd_backup;

#endif
