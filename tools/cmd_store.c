// cmd_store: `pikoci store`, what the server's store holds (control's
// "store" query): its format, the file's pages used and free (free pages
// are reused before the file grows), every keyspace's entries and pages,
// and what the last retention collection removed.
#include "cli.h"
#include "pk_cmds.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci store [global options]\n"
        "\n"
        "What the server's store holds: its system and format version, the data file's\n"
        "size and pages (used: up to the highest page written; free: pages LMDB will\n"
        "reuse before the file grows), each keyspace's entries and pages (mdb_stat), and\n"
        "what the last retention collections removed (builds trimmed, their step records\n"
        "and logs; versions trimmed past --retain-versions). Read-only.\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "\n"
        PK_CLI_EXIT_HELP);
}

static bool
s_when(int64_t at_ms, char *out, size_t size)
{
    if (!at_ms)
        return false;
    time_t secs = (time_t) (at_ms / 1000);
    strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", gmtime(&secs));
    return true;
}

static void
s_print(const pk_value_t *v)
{
    int64_t psize = pk_cli_int(v, "page_size");
    printf("store: %s, format %lld, file %lld bytes, map %lld bytes\n", pk_cli_str(v, "system"),
           (long long) pk_cli_int(v, "format"), (long long) pk_cli_int(v, "file_bytes"),
           (long long) pk_cli_int(v, "map_size"));
    printf("pages: %lld used, %lld free (%lld bytes each)\n",
           (long long) pk_cli_int(v, "pages_used"), (long long) pk_cli_int(v, "pages_free"),
           (long long) psize);
    const pk_value_t *ks = pk_value_object_get(v, "keyspaces");
    pk_cli_table_t *t = pk_cli_table_new(4, "KEYSPACE", "ENTRIES", "PAGES", "DEPTH");
    for (size_t i = 0; i < pk_value_len(ks); i++) {
        const pk_value_t *k = pk_value_list_at(ks, i);
        char e[24], p[24], d[24];
        snprintf(e, sizeof e, "%lld", (long long) pk_cli_int(k, "entries"));
        snprintf(p, sizeof p, "%lld", (long long) pk_cli_int(k, "pages"));
        snprintf(d, sizeof d, "%lld", (long long) pk_cli_int(k, "depth"));
        pk_cli_table_row(t, pk_cli_str(k, "name"), e, p, d);
    }
    pk_cli_table_print(t, stdout);
    pk_cli_table_destroy(&t);
    const pk_value_t *h = pk_value_object_get(v, "health");
    if (pk_cli_bool(h, "no_space"))
        printf("writes: FAILING, no space left on device (free space under the store; the "
               "server goes on by itself once there is room)\n");
    printf("writes failed since start: %lld (no space left on device: %lld)\n",
           (long long) pk_cli_int(h, "write_errors"), (long long) pk_cli_int(h, "no_space_errors"));
    const pk_value_t *r = pk_value_object_get(v, "retention");
    char when[32];
    if (!s_when(pk_cli_int(r, "at_ms"), when, sizeof when))
        printf("retention: nothing collected yet\n");
    else
        printf("retention: last collection at %s removed %lld builds' logs and %lld step "
               "records (%lld builds trimmed in all)\n", when,
               (long long) pk_cli_int(r, "builds"), (long long) pk_cli_int(r, "steps"),
               (long long) pk_cli_int(r, "total_builds"));
    const pk_value_t *vr = pk_value_object_get(v, "version_retention");
    if (!s_when(pk_cli_int(vr, "at_ms"), when, sizeof when))
        printf("version retention: nothing trimmed yet\n");
    else
        printf("version retention: last collection at %s removed %lld versions of %lld "
               "resources (keeping %lld per resource; %lld versions trimmed in all)\n", when,
               (long long) pk_cli_int(vr, "versions"), (long long) pk_cli_int(vr, "resources"),
               (long long) pk_cli_int(vr, "keep"), (long long) pk_cli_int(vr, "total_versions"));
}

int
pk_cmd_store(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci store");
    int early = pk_cli_only_globals(&cli, argc, argv, s_usage);
    if (early >= 0)
        return early;
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, "store", NULL, 0, &v, NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK)
        s_print(v);
    pk_value_destroy(&v);
    pk_cli_close(&cli);
    return rc;
}
