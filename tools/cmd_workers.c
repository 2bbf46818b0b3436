// cmd_workers: `pikoci workers`, the runners the broker knows, and the work
// that waits for one (the broker answers broker.workers and broker.pending
// itself, so this works even while control is down).
#include "cli.h"
#include "pk_cmds.h"
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci workers [--pending] [global options]\n"
        "       pikoci workers prune [global options]\n"
        "\n"
        "The workers (runners) connected to the server: state (healthy; unreachable:\n"
        "silent, its builds wait out the grace; lost: its builds were given up), slots\n"
        "in use, tags, whether they take only work that names their tags (exclusive),\n"
        "and how long ago their last heartbeat came. Then the work no worker can take\n"
        "now (no free slot, or no worker with its tags) and how long it has waited.\n"
        "\n"
        "options:\n"
        "  --pending          only the waiting work (with --json: a list of {id, attempt,\n"
        "                     tags, waiting_ms})\n"
        "\n"
        "prune: forget the lost workers now (a restarted worker comes back under a new\n"
        "name; lost ones are forgotten by themselves an hour after their loss)\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "\n"
        PK_CLI_EXIT_HELP);
}

// "gpu,linux" from a list of tags (caller frees).
static char *
s_tags(const pk_value_t *tags)
{
    size_t len = 1;
    for (size_t k = 0; k < pk_value_len(tags); k++) {
        const char *tag = pk_value_string(pk_value_list_at(tags, k));
        len += (tag ? strlen(tag) : 0) + 1;
    }
    char *list = calloc(1, len);
    for (size_t k = 0; k < pk_value_len(tags); k++) {
        const char *tag = pk_value_string(pk_value_list_at(tags, k));
        if (!tag)
            continue;
        if (*list)
            strcat(list, ",");
        strcat(list, tag);
    }
    return list;
}

static int
s_pending(pk_cli_t *cli, bool always)
{
    pk_value_t *v = NULL;
    int rc = pk_cli_request(cli, "broker.pending", NULL, 0, &v, NULL);
    if (rc == PK_CLI_OK && cli->json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK && (always || pk_value_len(v))) {
        if (!always)
            printf("\nwaiting for a worker:\n");
        pk_cli_table_t *t = pk_cli_table_new(3, "WORK", "WAITING", "TAGS");
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *w = pk_value_list_at(v, i);
            char age[32];
            snprintf(age, sizeof age, "%.1fs", (double) pk_cli_int(w, "waiting_ms") / 1000);
            char *tags = s_tags(pk_value_object_get(w, "tags"));
            pk_cli_table_row(t, pk_cli_str(w, "id"), age, tags);
            free(tags);
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
    }
    pk_value_destroy(&v);
    return rc;
}

int
pk_cli_worker_count(pk_cli_t *cli)
{
    pk_value_t *v = NULL;
    int n = pk_cli_request(cli, "broker.workers", NULL, 0, &v, NULL) == PK_CLI_OK
          ? (int) pk_value_len(v) : -1;
    pk_value_destroy(&v);
    return n;
}

int
pk_cmd_workers(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci workers");
    bool pending_only = false, prune = false;
    for (int i = 1; i < argc; i++) {
        if (i == 1 && !strcmp(argv[i], "prune")) {
            prune = true;
            continue;
        }
        if (pk_cli_is_help(argv[i])) {
            s_usage(stdout);
            return PK_CLI_OK;
        }
        if (!strcmp(argv[i], "--pending")) {
            pending_only = true;
            continue;
        }
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            return PK_CLI_USAGE;
        if (!g)
            return pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
    }
    if (prune) {
        pk_value_t *v = NULL;
        int rc = pk_cli_request(&cli, "broker.workers.prune", NULL, 0, &v, NULL);
        if (rc == PK_CLI_OK && cli.json)
            pk_cli_print_json(v);
        else
        if (rc == PK_CLI_OK)
            printf("%lld lost workers forgotten\n", (long long) pk_cli_int(v, "pruned"));
        pk_value_destroy(&v);
        pk_cli_close(&cli);
        return rc;
    }
    if (pending_only) {
        int rc = s_pending(&cli, true);
        pk_cli_close(&cli);
        return rc;
    }
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, "broker.workers", NULL, 0, &v, NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK) {
        pk_cli_table_t *t = pk_cli_table_new(6, "WORKER", "STATE", "BUSY/SLOTS", "EXCLUSIVE",
                                             "HEARTBEAT", "TAGS");
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *w = pk_value_list_at(v, i);
            char slots[48], age[32];
            snprintf(slots, sizeof slots, "%lld/%lld", (long long) pk_cli_int(w, "busy"),
                     (long long) pk_cli_int(w, "slots"));
            snprintf(age, sizeof age, "%.1fs ago", (double) pk_cli_int(w, "heartbeat_age_ms") / 1000);
            char *list = s_tags(pk_value_object_get(w, "tags"));
            pk_cli_table_row(t, pk_cli_str(w, "name"), pk_cli_str(w, "state"), slots,
                             pk_cli_bool(w, "exclusive") ? "yes" : "no", age, list);
            free(list);
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
        if (!pk_value_len(v))
            printf("%s\n", PK_CLI_NO_WORKER);
        rc = s_pending(&cli, false);
    }
    pk_value_destroy(&v);
    pk_cli_close(&cli);
    return rc;
}
