// pikoci: the single binary. Every subcommand lives in a tools/cmd_*.c and is
// listed once in s_commands below; this file only dispatches and prints help.
#include "pk_cmds.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
    const char *name;
    pk_cmd_fn *fn;
    const char *summary;
} s_command_t;

static const s_command_t s_commands[] = {
    { "validate", pk_cmd_validate, "check a pipeline file and print every error" },
    { "run", pk_cmd_run, "run one job of a pipeline locally, with no server" },
    { "server", pk_cmd_server, "run the CI server: broker, checker, scheduler, log sink, "
                               "control and optionally a runner" },
    { "broker", pk_cmd_broker, "run the broker alone (actors and workers elsewhere)" },
    { "worker", pk_cmd_worker, "run runners on this machine for a broker or server" },
    { "keygen", pk_cmd_keygen, "write a CURVE certificate pair for links between machines" },
    { "pipelines", pk_cmd_pipelines, "list, set, get, remove, pause or unpause pipelines" },
    { "jobs", pk_cmd_jobs, "the jobs of a pipeline and their newest builds" },
    { "pause", pk_cmd_pause, "pause a pipeline or one job (no new builds)" },
    { "unpause", pk_cmd_unpause, "let a paused pipeline or job build again" },
    { "trigger", pk_cmd_trigger, "start a build of a job now (--watch: follow it)" },
    { "builds", pk_cmd_builds, "a job's builds, newest first" },
    { "build", pk_cmd_build, "one build: status, versions, steps, durations" },
    { "logs", pk_cmd_logs, "write a build's log (-f: follow it)" },
    { "cancel", pk_cmd_cancel, "cancel a pending or running build" },
    { "retry", pk_cmd_retry, "run a finished build again (as N.M)" },
    { "approve", pk_cmd_approve, "approve a build waiting for approval" },
    { "reject", pk_cmd_reject, "reject a build waiting for approval" },
    { "warn", pk_cmd_warn, "mark a failed build as warning (passed downstream then)" },
    { "graph", pk_cmd_graph, "the pipeline as a Graphviz DOT graph (--json: as data)" },
    { "resources", pk_cmd_resources, "the resources of a pipeline and their checks" },
    { "versions", pk_cmd_versions, "the versions of a resource, newest first" },
    { "check", pk_cmd_check, "check a resource now" },
    { "pin", pk_cmd_pin, "pin a resource to one version" },
    { "unpin", pk_cmd_unpin, "unpin a resource" },
    { "webhook-token", pk_cmd_webhook, "a resource's webhook token (--regenerate: a new one)" },
    { "workers", pk_cmd_workers, "the workers connected to the server" },
    { "login", pk_cmd_login, "log in to a server (stores an API token for it)" },
    { "logout", pk_cmd_logout, "revoke and forget the token login stored" },
    { "whoami", pk_cmd_whoami, "the user your token is, and your role in each team" },
    { "tokens", pk_cmd_tokens, "create, list or revoke your API tokens" },
    { "users", pk_cmd_users, "list, create or remove users; set a password" },
    { "teams", pk_cmd_teams, "teams and their members' roles" },
    { "audit", pk_cmd_audit, "the audit log: who changed what, and what was refused" },
    { "secrets", pk_cmd_secrets, "set, list or remove secrets of the server's store" },
    { "worker-token", pk_cmd_worker_token, "make a worker token (for a team, or every team)" },
    { "store", pk_cmd_store, "what the store holds: keyspaces, pages used and free, retention" },
    { "backup", pk_cmd_backup, "copy the running server's store into a file (a hot backup)" },
    { "types", pk_cmd_types, "the built-in types (pikoci://NAME) and their params" },
    { "builtin", pk_cmd_builtin, "(internal) run a built-in type implemented in pikoci" },
    { "client", pk_cmd_client, "PikoCI's `client NOUN VERB` lines, run as the commands above" },
    { "pipeline", pk_cmd_pipeline, "PikoCI's `pipeline validate FILE` (= validate)" },
    { NULL, NULL, NULL }
};

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: pikoci COMMAND [ARGS...]\n\ncommands:\n");
    for (const s_command_t *c = s_commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "  %-12s %s\n", "version", "print the version and the git commit it was built from");
    fprintf(out, "\n'pikoci COMMAND --help' describes each command.\n");
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    // a server or broker holds a descriptor per connection: the usual soft
    // limit of 1,024 is reached by a thousand idle clients, and then nothing
    // is accepted any more (not the CLI, not /healthz). Take what is allowed
    // (up to 65,536: builds inherit it, and some programs close every
    // descriptor up to the limit).
    struct rlimit rl;
    if ((!strcmp(cmd, "server") || !strcmp(cmd, "broker"))
        && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
        && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        s_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("pikoci %s (commit %s)\n", PK_VERSION, PK_GIT_COMMIT);
        return 0;
    }
    for (const s_command_t *c = s_commands; c->name; c++)
        if (!strcmp(c->name, cmd))
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "pikoci: unknown command '%s'\n", cmd);
    s_usage(stderr);
    return 2;
}
