// pikoci: the dispatcher. Every subcommand lives in a tools/cmd_*.c and is
// listed once in s_commands below; this file only dispatches and prints help.
//
// It is built twice (tools/CMakeLists.txt), the way git dispatches to its
// helpers:
//   pikoci       (PK_FRONT_END) the program the user runs. It links only
//                libc and msgpack-c and runs the client commands itself,
//                speaking ZMTP over a plain socket (zmtp_link.c); for the
//                commands marked PK_CORE, and for a client command whose
//                server needs CURVE or another transport (pk_cli_handoff),
//                it execs
//   pikoci-core  everything (libzmq, libgit2, libcurl, LMDB, ...): the
//                server, broker, worker, run, builtin, keygen -- and every
//                client command too. It is looked for next to the running
//                pikoci first (a build directory), then in the install's
//                libexec directory.
// A CLI command so costs only the libraries it uses (bench/PROFILE-cli.md).
#include "pk_cmds.h"
#include "cli.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef PK_FRONT_END
#define PK_CORE(fn) NULL        // exec'd: pikoci-core runs it
#else
#define PK_CORE(fn) fn
#endif

typedef struct {
    const char *name;
    pk_cmd_fn *fn;
    const char *summary;
} s_command_t;

static const s_command_t s_commands[] = {
    { "validate", PK_CORE(pk_cmd_validate), "check a pipeline file and print every error" },
    { "run", PK_CORE(pk_cmd_run), "run one job of a pipeline locally, with no server" },
    { "server", PK_CORE(pk_cmd_server), "run the CI server: broker, checker, scheduler, log sink, "
                               "control and optionally a runner" },
    { "broker", PK_CORE(pk_cmd_broker), "run the broker alone (actors and workers elsewhere)" },
    { "worker", PK_CORE(pk_cmd_worker), "run runners on this machine for a broker or server" },
    { "keygen", PK_CORE(pk_cmd_keygen), "write a CURVE certificate pair for links between machines" },
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
    { "worker-token", PK_CORE(pk_cmd_worker_token), "make a worker token (for a team, or every team)" },
    { "store", pk_cmd_store, "what the store holds: keyspaces, pages used and free, retention" },
    { "backup", pk_cmd_backup, "copy the running server's store into a file (a hot backup)" },
    { "types", pk_cmd_types, "the built-in types (pikoci://NAME) and their params" },
    { "builtin", PK_CORE(pk_cmd_builtin), "(internal) run a built-in type implemented in pikoci" },
    { "client", PK_CORE(pk_cmd_client), "PikoCI's `client NOUN VERB` lines, run as the commands above" },
    { "pipeline", PK_CORE(pk_cmd_pipeline), "PikoCI's `pipeline validate FILE` (= validate)" },
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

static char **s_argv;

#ifdef PK_FRONT_END
// Replace this process with pikoci-core and the same arguments (the pid, the
// descriptors and the signal dispositions stay: a server started as
// `pikoci server` is that process). Looked for next to this program (a
// build directory), then in ../libexec/pikoci beside it (an install under
// any prefix: /usr/bin/pikoci, /usr/libexec/pikoci/pikoci-core), then in
// the libexec directory of the configured prefix. Returns only when it
// cannot be run.
static int
s_exec_core(char **argv)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 64);
    char *slash = n > 0 ? (path[n] = 0, strrchr(path, '/')) : NULL;
    if (slash) {
        strcpy(slash, "/pikoci-core");
        execv(path, argv);
        strcpy(slash, "/../libexec/pikoci/pikoci-core");
        execv(path, argv);
    }
    execv(PK_LIBEXEC_DIR "/pikoci-core", argv);
    fprintf(stderr, "pikoci %s: cannot run pikoci-core (looked next to pikoci, in "
            "../libexec/pikoci and in " PK_LIBEXEC_DIR "): %s\n", argv[1], strerror(errno));
    return 2;
}
#endif

void
pk_cli_handoff(pk_cli_t *cli)
{
    (void) cli;
#ifdef PK_FRONT_END
    exit(s_exec_core(s_argv));
#endif
}

int
main(int argc, char **argv)
{
    s_argv = argv;
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
        if (!strcmp(c->name, cmd)) {
#ifdef PK_FRONT_END
            if (!c->fn)
                return s_exec_core(argv);
#endif
            return c->fn(argc - 1, argv + 1);
        }
    fprintf(stderr, "pikoci: unknown command '%s'\n", cmd);
    s_usage(stderr);
    return 2;
}
