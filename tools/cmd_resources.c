// cmd_resources: resources and their versions -- `pikoci resources P`,
// `versions P/R`, `check P/R`, `pin P/R ID`, `unpin P/R`. A resource is
// named by its canonical TYPE.NAME or by its bare NAME when no other
// resource of the pipeline has it (the server resolves it).
#include "cli.h"
#include "pk_cmds.h"
#include "pk_value_msgpack.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *usage;
    const char *about;
    const char *options;
    int min, max;           // parts of the target
    bool version;           // takes a VERSION_ID after the target
} s_spec_t;

static const s_spec_t s_specs[] = {
    { "resources", "PIPELINE",
      "The resources of a pipeline: last and next check (UTC), the last check's\n"
      "error, the newest version id, the pinned version, if any, and the webhook\n"
      "token (POST /webhooks/TOKEN on pikoci server --http checks it at once).", "", 1, 1,
      false },
    { "versions", "PIPELINE/RESOURCE [--limit N] [--before ID | --after ID]",
      "The versions a resource's checks found, newest first, the pinned one marked.",
      "options:\n"
      "  --limit N          at most N versions (default 50; 0: all, if the answer fits\n"
      "                     in one message)\n"
      "  --before ID        versions with an id below ID (the next page back)\n"
      "  --after ID         versions with an id above ID (the page forward from ID)\n",
      2, 2, false },
    { "check", "PIPELINE/RESOURCE",
      "Check a resource now (the check interval restarts from now). The command\n"
      "returns once the checker has started the check; see 'pikoci versions'.", "",
      2, 2, false },
    { "pin", "PIPELINE/RESOURCE VERSION_ID",
      "Pin a resource to one of its versions (an id from 'pikoci versions'): every\n"
      "build of the pipeline uses that version until unpin.", "", 2, 2, true },
    { "unpin", "PIPELINE/RESOURCE",
      "Let the builds of a pinned resource use its newest versions again.", "", 2, 2, false },
    { NULL, NULL, NULL, NULL, 0, 0, false }
};

static void
s_usage(const s_spec_t *s, FILE *out)
{
    fprintf(out, "usage: pikoci %s %s [global options]\n\n%s\n\n%s%s" PK_CLI_GLOBAL_HELP "\n"
            PK_CLI_EXIT_HELP, s->name, s->usage, s->about, s->options, *s->options ? "\n" : "");
}

static void
s_print(const char *name, const pk_value_t *v, const char *const *parts, const char *version)
{
    if (!strcmp(name, "resources")) {
        pk_cli_table_t *t = pk_cli_table_new(8, "RESOURCE", "LAST CHECK", "NEXT CHECK", "LAST ID",
                                             "PINNED", "INTERVAL", "WEBHOOK TOKEN", "ERROR");
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *r = pk_value_list_at(v, i);
            char last[32], next[32], id[24], pin[24];
            snprintf(id, sizeof id, "%lld", (long long) pk_cli_int(r, "last_id"));
            snprintf(pin, sizeof pin, "%lld", (long long) pk_cli_int(r, "pinned"));
            pk_cli_table_row(t, pk_cli_str(r, "name"),
                             pk_cli_time(pk_cli_int(r, "last_check_ms"), last, sizeof last),
                             pk_cli_time(pk_cli_int(r, "next_check_ms"), next, sizeof next),
                             pk_cli_int(r, "last_id") ? id : "-",
                             pk_cli_int(r, "pinned") ? pin : "-",
                             pk_cli_str(r, "check_interval"),
                             *pk_cli_str(r, "webhook_token") ? pk_cli_str(r, "webhook_token") : "-",
                             pk_cli_str(r, "error"));
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
    }
    else
    if (!strcmp(name, "versions")) {
        pk_cli_table_t *t = pk_cli_table_new(3, "ID", "PINNED", "VERSION");
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *e = pk_value_list_at(v, i);
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long) pk_cli_int(e, "id"));
            char *json = pk_value_to_json(pk_value_object_get(e, "version"));
            pk_cli_table_row(t, id, pk_cli_bool(e, "pinned") ? "yes" : "", json);
            free(json);
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
    }
    else
    if (!strcmp(name, "check"))
        printf("checking %s/%s\n", parts[0], parts[1]);
    else
    if (!strcmp(name, "pin"))
        printf("%s/%s pinned to version %s\n", parts[0], parts[1], version);
    else
        printf("%s/%s unpinned\n", parts[0], parts[1]);
}

// Each checked resource's webhook_token, from its owner, the checker (a
// server without the op, or a resource no job gets, just has none).
static void
s_add_tokens(pk_cli_t *cli, const char *pipeline, pk_value_t *list)
{
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", pipeline);
    uint8_t *body = NULL;
    size_t size = 0;
    if (pk_client_request(cli->client, "webhook.tokens", &args, NULL, 0, cli->timeout_ms, &body,
                          &size, NULL) == 0 && body) {
        pk_value_t *tokens = pk_value_unpack(body, size);
        for (size_t i = 0; i < pk_value_len(list); i++) {
            pk_value_t *r = (pk_value_t *) pk_value_list_at(list, i);
            const pk_value_t *t = pk_value_object_get(tokens, pk_cli_str(r, "name"));
            if (pk_value_kind(t) == PK_V_STRING)
                pk_value_object_set(r, "webhook_token", pk_value_dup(t));
        }
        pk_value_destroy(&tokens);
    }
    free(body);
    pk_kv_clear(&args);
}

static int
s_run(const char *name, int argc, char **argv)
{
    const s_spec_t *spec = s_specs;
    while (strcmp(spec->name, name))
        spec++;
    char cmd[32];
    snprintf(cmd, sizeof cmd, "pikoci %s", name);
    pk_cli_t cli;
    pk_cli_init(&cli, cmd);
    const char *pos[2] = { 0 }, *limit = NULL, *before = NULL, *after = NULL;
    int npos = 0, want = spec->version ? 2 : 1;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (pk_cli_is_help(argv[i])) {
            s_usage(spec, stdout);
            return PK_CLI_OK;
        }
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            return PK_CLI_USAGE;
        if (g)
            continue;
        bool paged = !strcmp(name, "versions");
        if (paged && (v = pk_cli_option(argc, argv, &i, "--limit", &missing)))
            limit = v;
        else if (paged && !missing && (v = pk_cli_option(argc, argv, &i, "--before", &missing)))
            before = v;
        else if (paged && !missing && (v = pk_cli_option(argc, argv, &i, "--after", &missing)))
            after = v;
        else if (missing)
            return pk_cli_usage_error(&cli, "%s needs a value", argv[i]);
        else if (argv[i][0] == '-' && argv[i][1])
            return pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
        else if (npos == want)
            return pk_cli_usage_error(&cli, "unexpected argument '%s' (usage: pikoci %s %s)",
                                      argv[i], name, spec->usage);
        else
            pos[npos++] = argv[i];
    }
    if (npos < want)
        return pk_cli_usage_error(&cli, "usage: pikoci %s %s", name, spec->usage);
    char *parts[2] = { 0 };
    int n = pk_cli_split(&cli, pos[0], spec->min == 1 ? "a PIPELINE" : "PIPELINE/RESOURCE",
                         spec->min, spec->max, parts);
    if (n < 0)
        return PK_CLI_USAGE;
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, name, NULL, 0, &v, "pipeline", parts[0], "resource",
                            n > 1 ? parts[1] : NULL, "limit", limit, "before", before,
                            "after", after, "version", spec->version ? pos[1] : NULL, NULL);
    if (rc == PK_CLI_OK && !strcmp(name, "resources"))
        s_add_tokens(&cli, parts[0], v);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK)
        s_print(name, v, (const char *const *) parts, pos[1]);
    pk_value_destroy(&v);
    for (int k = 0; k < n; k++)
        free(parts[k]);
    pk_cli_close(&cli);
    return rc;
}

int
pk_cmd_resources(int argc, char **argv)
{
    return s_run("resources", argc, argv);
}

int
pk_cmd_versions(int argc, char **argv)
{
    return s_run("versions", argc, argv);
}

int
pk_cmd_check(int argc, char **argv)
{
    return s_run("check", argc, argv);
}

int
pk_cmd_pin(int argc, char **argv)
{
    return s_run("pin", argc, argv);
}

int
pk_cmd_unpin(int argc, char **argv)
{
    return s_run("unpin", argc, argv);
}
