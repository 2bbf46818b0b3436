// cmd_trigger: the commands that act on builds -- `pikoci trigger P/J`
// (optionally watching the build to its end, or with chosen versions),
// `cancel`, `retry`, `approve`, `reject` and `warn P/J/N`. The server's
// scheduler decides; these only send the request and print its answer.
// --watch reuses the log follower of cmd_logs.c and turns the build's final
// status into the exit code.
#include "cli.h"
#include "pk_cmds.h"
#include "pk_value_msgpack.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;       // command and op (warn: build.warning)
    const char *usage;
    const char *about;
    const char *options;
    bool message;           // takes --message
} s_spec_t;

static const s_spec_t s_specs[] = {
    { "trigger", "PIPELINE/JOB [--input NAME=VALUE]... [--version RESOURCE=ID]... [--watch]",
      "Start a build of JOB now with the newest versions of its resources, and print\n"
      "\"PIPELINE/JOB #N STATUS\". Inputs are checked against the job's input blocks\n"
      "(unknown names, values not in options, missing inputs without default are\n"
      "refused). A paused job refuses manual triggers. --version builds with that\n"
      "version of a resource the job gets instead of the newest (the ids `pikoci\n"
      "versions` shows); a get with passed takes it only if it passed those jobs,\n"
      "a pinned resource only its pinned version.",
      "options:\n"
      "  --input NAME=VALUE give input NAME a value (repeatable)\n"
      "  --version R=ID     use version ID of resource R (repeatable)\n"
      "  --watch            then write the build's log as it arrives and exit with\n"
      "                     the build's result: 0 succeeded or warning, 1 otherwise;\n"
      "                     SIGINT/SIGTERM stop watching at once (exit 130/143, as\n"
      "                     killed by the signal) and the build goes on\n",
      false },
    { "cancel", "PIPELINE/JOB/NUMBER",
      "Cancel a pending or running build.", "", false },
    { "retry", "PIPELINE/JOB/NUMBER",
      "Run a finished build again with the same versions and inputs, as NUMBER.M\n"
      "(refused when the job has disable_retry or the build has not finished).", "",
      false },
    { "approve", "PIPELINE/JOB/NUMBER [--message M]",
      "Approve a build waiting for approval.",
      "options:\n  --message M        a note kept with the approval\n", true },
    { "reject", "PIPELINE/JOB/NUMBER --message M",
      "Reject a build waiting for approval: it ends failed without running. A\n"
      "rejection needs a reason: --message is required. A retry of a rejected\n"
      "build waits for approval again.",
      "options:\n  --message M        why (required), kept with the build as its reason\n", true },
    { "warn", "PIPELINE/JOB/NUMBER",
      "Mark a failed build as warning, as allow_failure would have: jobs whose get\n"
      "has passed on JOB then take its versions, and those that trigger from it\n"
      "start. Needs the role write when the job has allow_failure, maintain\n"
      "otherwise; only a build that ran and failed can be marked.", "", false },
    { NULL, NULL, NULL, NULL, false }
};

static void
s_usage(const s_spec_t *s, FILE *out)
{
    fprintf(out, "usage: pikoci %s %s [global options]\n\n%s\n\n%s%s" PK_CLI_GLOBAL_HELP "\n",
            s->name, s->usage, s->about, s->options, *s->options ? "\n" : "");
    if (!strcmp(s->name, "trigger"))
        fprintf(out, "exit status: 0 ok (with --watch: the build succeeded), 1 refused by the\n"
                "server or (--watch) the build did not succeed, 2 usage error, 3 the server\n"
                "cannot be reached or did not answer.\n");
    else
        fprintf(out, PK_CLI_EXIT_HELP);
}

static const s_spec_t *
s_spec(const char *name)
{
    for (const s_spec_t *s = s_specs; s->name; s++)
        if (!strcmp(s->name, name))
            return s;
    return NULL;
}

static int
s_run(const char *name, int argc, char **argv)
{
    const s_spec_t *spec = s_spec(name);
    bool trigger = !strcmp(name, "trigger"), watch = false;
    pk_cli_t cli;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "pikoci %s", name);
    pk_cli_init(&cli, cmd);
    const char *target = NULL, *message = NULL;
    pk_value_t *inputs = pk_value_new_object(), *versions = pk_value_new_object();
    int rc = PK_CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (pk_cli_is_help(argv[i])) {
            s_usage(spec, stdout);
            rc = PK_CLI_OK;
            goto done;
        }
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            goto done;
        if (g)
            continue;
        if (trigger && !strcmp(argv[i], "--watch"))
            watch = true;
        else if (trigger && (v = pk_cli_option(argc, argv, &i, "--input", &missing))) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) {
                rc = pk_cli_usage_error(&cli, "--input wants NAME=VALUE, not '%s'", v);
                goto done;
            }
            char *key = strndup(v, (size_t) (eq - v));
            pk_value_object_set(inputs, key, pk_value_new_string(eq + 1));
            free(key);
        }
        else if (trigger && !missing
                 && (v = pk_cli_option(argc, argv, &i, "--version", &missing))) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1] || strspn(eq + 1, "0123456789") != strlen(eq + 1)) {
                rc = pk_cli_usage_error(&cli, "--version wants RESOURCE=ID (a version id "
                                        "from pikoci versions), not '%s'", v);
                goto done;
            }
            char *key = strndup(v, (size_t) (eq - v));
            pk_value_object_set(versions, key, pk_value_new_string(eq + 1));
            free(key);
        }
        else if (spec->message && !missing
                 && (v = pk_cli_option(argc, argv, &i, "--message", &missing)))
            message = v;
        else if (missing) {
            rc = pk_cli_usage_error(&cli, "%s needs a value", argv[i]);
            goto done;
        }
        else if (argv[i][0] == '-' && argv[i][1]) {
            rc = pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
            goto done;
        }
        else if (target) {
            rc = pk_cli_usage_error(&cli, "one build at a time ('%s' and '%s')", target,
                                    argv[i]);
            goto done;
        }
        else
            target = argv[i];
    }
    const char *what = trigger ? "PIPELINE/JOB" : "PIPELINE/JOB/NUMBER";
    if (!target) {
        rc = pk_cli_usage_error(&cli, "give %s", what);
        goto done;
    }
    if (!strcmp(name, "reject") && (!message || !*message)) {
        rc = pk_cli_usage_error(&cli, "a rejection needs a reason: --message M");
        goto done;
    }
    char *parts[3] = { 0 };
    int n = pk_cli_split(&cli, target, what, trigger ? 2 : 3, trigger ? 2 : 3, parts);
    if (n < 0)
        goto done;
    uint8_t *packed = NULL;
    size_t size = 0;
    pk_value_t *body = NULL;
    if (pk_value_len(inputs) || pk_value_len(versions) || message) {
        body = pk_value_new_object();
        if (pk_value_len(inputs))
            pk_value_object_set(body, "inputs", pk_value_dup(inputs));
        if (pk_value_len(versions))
            pk_value_object_set(body, "versions", pk_value_dup(versions));
        if (message)
            pk_value_object_set(body, "message", pk_value_new_string(message));
        pk_value_pack_bytes(body, &packed, &size);
    }
    pk_value_t *reply = NULL;
    const char *op = !strcmp(name, "warn") ? "build.warning" : name;
    rc = pk_cli_request(&cli, op, packed, size, &reply, "pipeline", parts[0], "job", parts[1],
                        "number", trigger ? NULL : parts[2], NULL);
    if (rc == PK_CLI_REFUSED && trigger && pk_cli_worker_count(&cli) == 0)
        // "has no version yet" because no check can run: say why
        fprintf(stderr, "%s: %s\n", cli.cmd, PK_CLI_NO_WORKER);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(reply);
    else
    if (rc == PK_CLI_OK && (trigger || !strcmp(name, "retry")))
        // on stderr with --watch: stdout carries the log bytes only
        fprintf(watch ? stderr : stdout, "%s/%s #%s %s\n", parts[0], parts[1],
                pk_cli_str(reply, "number"),
                *pk_cli_str(reply, "status") ? pk_cli_str(reply, "status") : "pending");
    else
    if (rc == PK_CLI_OK)
        printf("%s/%s #%s %s\n", parts[0], parts[1], parts[2],
               *pk_cli_str(reply, "status") ? pk_cli_str(reply, "status") : "ok");
    if (rc == PK_CLI_OK && watch) {
        char *status = NULL;
        char *number = strdup(pk_cli_str(reply, "number"));
        rc = pk_cli_logs(&cli, parts[0], parts[1], *number ? number : NULL, 0, true, &status);
        if (rc == PK_CLI_OK) {
            fprintf(stderr, "%s/%s #%s %s\n", parts[0], parts[1], number, status);
            rc = !strcmp(status, "succeeded") || !strcmp(status, "warning") ? PK_CLI_OK
                                                                            : PK_CLI_REFUSED;
        }
        free(status);
        free(number);
    }
    pk_value_destroy(&reply);
    pk_value_destroy(&body);
    free(packed);
    for (int k = 0; k < n; k++)
        free(parts[k]);
done:
    pk_value_destroy(&inputs);
    pk_value_destroy(&versions);
    pk_cli_close(&cli);
    return rc;
}

int
pk_cmd_trigger(int argc, char **argv)
{
    return s_run("trigger", argc, argv);
}

int
pk_cmd_cancel(int argc, char **argv)
{
    return s_run("cancel", argc, argv);
}

int
pk_cmd_retry(int argc, char **argv)
{
    return s_run("retry", argc, argv);
}

int
pk_cmd_approve(int argc, char **argv)
{
    return s_run("approve", argc, argv);
}

int
pk_cmd_reject(int argc, char **argv)
{
    return s_run("reject", argc, argv);
}

int
pk_cmd_warn(int argc, char **argv)
{
    return s_run("warn", argc, argv);
}
