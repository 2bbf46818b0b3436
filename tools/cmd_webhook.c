// cmd_webhook: `pikoci webhook-token P/R [--regenerate]` -- the token a
// forge posts to (POST /webhooks/TOKEN on `pikoci server --http`) to have a
// resource checked at once. Tokens belong to the checker, which makes one
// when a resource is first checked and keeps it across pipeline updates and
// restarts; --regenerate replaces it (the old URL stops working at once).
#include "cli.h"
#include "pk_cmds.h"
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: pikoci webhook-token PIPELINE/RESOURCE [--regenerate] [global options]\n\n"
            "The webhook token of a resource: a forge's push posted to\n"
            "  http://HOST:PORT/webhooks/TOKEN   (pikoci server --http HOST:PORT)\n"
            "checks the resource at once. Give the resource a webhook_secret to have\n"
            "GitHub's X-Hub-Signature-256 verified too.\n\n"
            "options:\n"
            "  --regenerate       replace the token (the old one stops working)\n\n"
            PK_CLI_GLOBAL_HELP "\n" PK_CLI_EXIT_HELP);
}

// The token of resource (canonical, or a bare name that one key ends with).
static const char *
s_find(const pk_value_t *tokens, const char *resource, const char **canonical)
{
    const char *found = NULL;
    int matches = 0;
    for (size_t i = 0; i < pk_value_len(tokens); i++) {
        const char *k = pk_value_object_key(tokens, i);
        const char *dot = strchr(k, '.');
        if (!strcmp(k, resource)) {
            *canonical = k;
            return pk_value_string(pk_value_object_at(tokens, i));
        }
        if (dot && !strcmp(dot + 1, resource)) {
            found = pk_value_string(pk_value_object_at(tokens, i));
            *canonical = k;
            matches++;
        }
    }
    return matches == 1 ? found : NULL;
}

int
pk_cmd_webhook(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci webhook-token");
    const char *target = NULL;
    bool regenerate = false;
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
        if (!strcmp(argv[i], "--regenerate"))
            regenerate = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
        else if (target)
            return pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
        else
            target = argv[i];
    }
    if (!target)
        return pk_cli_usage_error(&cli, "usage: pikoci webhook-token PIPELINE/RESOURCE "
                                  "[--regenerate]");
    char *parts[2] = { 0 };
    if (pk_cli_split(&cli, target, "PIPELINE/RESOURCE", 2, 2, parts) < 0)
        return PK_CLI_USAGE;
    pk_value_t *v = NULL;
    int rc;
    if (regenerate) {
        rc = pk_cli_request(&cli, "webhook.regenerate", NULL, 0, &v, "pipeline", parts[0],
                            "resource", parts[1], NULL);
        if (rc == PK_CLI_OK && cli.json)
            pk_cli_print_json(v);
        else
        if (rc == PK_CLI_OK)
            printf("%s\n", pk_cli_str(v, "token"));
    }
    else {
        // the name is checked (with a "did you mean") by the versions query
        pk_value_t *res = NULL;
        rc = pk_cli_request(&cli, "versions", NULL, 0, &res, "pipeline", parts[0], "resource",
                            parts[1], "limit", "1", NULL);
        pk_value_destroy(&res);
        if (rc == PK_CLI_OK)
            rc = pk_cli_request(&cli, "webhook.tokens", NULL, 0, &v, "pipeline", parts[0], NULL);
        const char *canonical = NULL;
        const char *token = rc == PK_CLI_OK ? s_find(v, parts[1], &canonical) : NULL;
        if (rc == PK_CLI_OK && !token) {
            fprintf(stderr, "pikoci webhook-token: %s/%s has no webhook token: it is not "
                    "checked (no job gets it)\n", parts[0], parts[1]);
            rc = PK_CLI_REFUSED;
        }
        else
        if (rc == PK_CLI_OK && cli.json) {
            pk_value_t *o = pk_value_new_object();
            pk_value_object_set(o, "pipeline", pk_value_new_string(parts[0]));
            pk_value_object_set(o, "resource", pk_value_new_string(canonical));
            pk_value_object_set(o, "token", pk_value_new_string(token));
            pk_cli_print_json(o);
            pk_value_destroy(&o);
        }
        else
        if (rc == PK_CLI_OK)
            printf("%s\n", token);
    }
    pk_value_destroy(&v);
    free(parts[0]);
    free(parts[1]);
    pk_cli_close(&cli);
    return rc;
}
