// cmd_backup: `pikoci backup FILE` -- the server copies its store, while it
// runs, into FILE on the server's own machine (control's store.backup, a
// global admin's; the copy is LMDB's hot copy, compacted). The path is the
// server's, so a relative one is refused here already: it would name a
// place relative to wherever the server was started.
#include "cli.h"
#include "pk_cmds.h"
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci backup FILE [global options]\n"
        "\n"
        "Make the server copy its whole store, while it runs, into FILE: one consistent\n"
        "snapshot (builds go on meanwhile; the copy holds what was committed when it\n"
        "began), compacted. FILE is a path on the SERVER's machine, written by the\n"
        "server's user (mode 0600): it must be absolute and must not exist yet. The copy\n"
        "is an LMDB data file; to restore it, stop the server, then\n"
        "  mkdir NEWDIR && cp FILE NEWDIR/data.mdb\n"
        "  pikoci server --db-system lmdb --db-path NEWDIR ...\n"
        "A --db-system mem server is copied the same way (its copy is then a durable\n"
        "store). Needs a global admin. Waits up to 10 minutes unless --timeout says.\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "\n"
        PK_CLI_EXIT_HELP);
}

int
pk_cmd_backup(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci backup");
    cli.timeout_ms = 10 * 60 * 1000;        // a big store takes a while
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (pk_cli_is_help(argv[i])) {
            s_usage(stdout);
            return PK_CLI_OK;
        }
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            return PK_CLI_USAGE;
        if (g)
            continue;
        if (argv[i][0] == '-' || file)
            return pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
        file = argv[i];
    }
    if (!file)
        return pk_cli_usage_error(&cli, "which file? (pikoci backup FILE; --help says more)");
    if (file[0] != '/')
        return pk_cli_usage_error(&cli, "FILE must be an absolute path on the server's "
                                  "machine (got '%s')", file);
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, "store.backup", NULL, 0, &v, "path", file, NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK)
        printf("%s: %lld bytes, copied in %.1fs\n", pk_cli_str(v, "path"),
               (long long) pk_cli_int(v, "bytes"), (double) pk_cli_int(v, "ms") / 1000);
    pk_value_destroy(&v);
    pk_cli_close(&cli);
    return rc;
}
