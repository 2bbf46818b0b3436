// pikoci: the single binary. Every subcommand lives in tools/cmd_<name>.c and
// is listed once in s_commands below; this file only dispatches and prints help.
#include "pk_cmds.h"
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    pk_cmd_fn *fn;
    const char *summary;
} s_command_t;

static const s_command_t s_commands[] = {
    { "validate", pk_cmd_validate, "check a pipeline file and print every error" },
    { "run", pk_cmd_run, "run one job of a pipeline locally, with no server" },
    { NULL, NULL, NULL }
};

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: pikoci COMMAND [ARGS...]\n\ncommands:\n");
    for (const s_command_t *c = s_commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "  %-12s %s\n", "version", "print the version");
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
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        s_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("pikoci %s\n", PK_VERSION);
        return 0;
    }
    for (const s_command_t *c = s_commands; c->name; c++)
        if (!strcmp(c->name, cmd))
            return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "pikoci: unknown command '%s'\n", cmd);
    s_usage(stderr);
    return 2;
}
