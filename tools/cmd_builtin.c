// cmd_builtin: `pikoci builtin NAME`, the entry point of the built-in types
// implemented in C (actors/pk_builtin.h). Not a command for people: the
// embedded definitions of slack, discord, github-check and vault run it
// through the exec runner with the step's environment.
#include "pk_builtin.h"
#include "pk_cmds.h"
#include <stdio.h>
#include <string.h>

int
pk_cmd_builtin(int argc, char **argv)
{
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr, "usage: pikoci builtin NAME\n\nRuns a built-in "
                "type implemented in pikoci itself, with the environment the runner gives\n"
                "its command. NAME is one of:");
        for (size_t i = 0; pk_builtin_names[i]; i++)
            fprintf(argc == 2 ? stdout : stderr, " %s", pk_builtin_names[i]);
        fprintf(argc == 2 ? stdout : stderr, "\n");
        return argc == 2 ? 0 : 2;
    }
    pk_env_t *env = pk_env_from_environ();
    int rc = pk_builtin_run(argv[1], env, stdout);
    fflush(stdout);
    pk_env_destroy(&env);
    return rc;
}
