// cmd_secrets: `pikoci secrets set|list|rm` -- the server's own secret store
// (`secret "pikoci" { key = "NAME" }` in a pipeline). A value goes to the
// server once, in the request's body, and never comes back: list shows
// names and times. Scope: a pipeline's (--pipeline P) shadows its team's
// (--team T, default main).
#include "cli.h"
#include "pk_cmds.h"
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_VALUE (64 * 1024)

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: pikoci secrets set NAME [--pipeline P | --team T]\n"
            "                           [--value VALUE | --from-file FILE] [global options]\n"
            "       pikoci secrets list [--pipeline P | --team T] [global options]\n"
            "       pikoci secrets rm NAME [--pipeline P | --team T] [global options]\n\n"
            "The server's secret store: a pipeline variable with\n"
            "  secret \"pikoci\" { key = \"NAME\" }\n"
            "gets NAME's value when a build needs it -- the pipeline's secret if there is\n"
            "one, else its team's -- and the value is masked (***) in the build's log.\n"
            "Values are encrypted at rest with the server's key (pikoci server\n"
            "--secret-key-file) and no command ever shows one.\n\n"
            "options:\n"
            "  --pipeline P       the pipeline's scope\n"
            "  --team T           the team's scope (default main)\n"
            "  --value VALUE      the value (visible to other users of this machine in the\n"
            "                     process list: prefer stdin or --from-file)\n"
            "  --from-file FILE   the value is FILE's content, as is\n"
            "                     (without either, set reads the value from stdin; one\n"
            "                     trailing newline is dropped)\n\n"
            PK_CLI_GLOBAL_HELP "\n" PK_CLI_EXIT_HELP);
}

// The whole of f, at most S_MAX_VALUE + 1 bytes (more is refused by the caller).
static char *
s_read_all(FILE *f, size_t *size)
{
    char *buf = malloc(S_MAX_VALUE + 2);
    *size = fread(buf, 1, S_MAX_VALUE + 1, f);
    buf[*size] = 0;
    return buf;
}

int
pk_cmd_secrets(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci secrets");
    const char *verb = NULL, *name = NULL, *pipeline = NULL, *team = NULL, *value = NULL;
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
        bool missing = false;
        const char *v;
        if ((v = pk_cli_option(argc, argv, &i, "--pipeline", &missing)))
            pipeline = v;
        else if ((v = pk_cli_option(argc, argv, &i, "--team", &missing)))
            team = v;
        else if ((v = pk_cli_option(argc, argv, &i, "--value", &missing)))
            value = v;
        else if ((v = pk_cli_option(argc, argv, &i, "--from-file", &missing)))
            file = v;
        else if (missing)
            return pk_cli_usage_error(&cli, "%s needs a value", argv[i]);
        else if (argv[i][0] == '-' && argv[i][1])
            return pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
        else if (!verb)
            verb = argv[i];
        else if (!name)
            name = argv[i];
        else
            return pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
    }
    if (!verb || (strcmp(verb, "set") && strcmp(verb, "list") && strcmp(verb, "rm")))
        return pk_cli_usage_error(&cli, "usage: pikoci secrets set|list|rm [NAME] (see --help)");
    if (strcmp(verb, "list") && !name)
        return pk_cli_usage_error(&cli, "secrets %s needs the secret's NAME", verb);
    if (!strcmp(verb, "list") && name)
        return pk_cli_usage_error(&cli, "unexpected argument '%s'", name);
    if (pipeline && team)
        return pk_cli_usage_error(&cli, "give --pipeline or --team, not both");
    if ((value || file) && strcmp(verb, "set"))
        return pk_cli_usage_error(&cli, "--value and --from-file go with secrets set");
    if (value && file)
        return pk_cli_usage_error(&cli, "give --value or --from-file, not both");
    uint8_t *body = NULL;
    size_t body_size = 0;
    if (!strcmp(verb, "set")) {
        char *data = NULL;
        size_t size = 0;
        if (value)
            size = strlen(data = strdup(value));
        else {
            FILE *f = file ? fopen(file, "rb") : stdin;
            if (!f) {
                fprintf(stderr, "pikoci secrets: cannot read %s\n", file);
                return PK_CLI_USAGE;
            }
            data = s_read_all(f, &size);
            if (file)
                fclose(f);
            else
            if (size && data[size - 1] == '\n')
                data[--size] = 0;
        }
        if (!size || size > S_MAX_VALUE) {
            fprintf(stderr, "pikoci secrets: the value must be 1 to %d bytes\n", S_MAX_VALUE);
            free(data);
            return PK_CLI_USAGE;
        }
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_str_with_body(&pk, data, size);
        memset(data, 0, size);
        free(data);
        body = (uint8_t *) sb.data;
        body_size = sb.size;
    }
    char op[32];
    snprintf(op, sizeof op, "secrets.%s", verb);
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, op, body, body_size, &v, "name", name, "pipeline", pipeline,
                            "team", team, NULL);
    if (body)
        memset(body, 0, body_size);
    free(body);
    if (rc == PK_CLI_OK) {
        if (cli.json)
            pk_cli_print_json(v);
        else
        if (!strcmp(verb, "list")) {
            pk_cli_table_t *t = pk_cli_table_new(3, "NAME", "SCOPE", "UPDATED");
            for (size_t i = 0; i < pk_value_len(v); i++) {
                const pk_value_t *s = pk_value_list_at(v, i);
                char when[64];
                pk_cli_table_row(t, pk_cli_str(s, "name"), pk_cli_str(s, "scope"),
                                 pk_cli_time(pk_cli_int(s, "updated_ms"), when, sizeof when));
            }
            pk_cli_table_print(t, stdout);
            pk_cli_table_destroy(&t);
        }
        else
            printf("%s %s (%s)\n", pk_cli_str(v, "name"), !strcmp(verb, "set") ? "set" : "removed",
                   pk_cli_str(v, "scope"));
    }
    pk_value_destroy(&v);
    pk_cli_close(&cli);
    return rc;
}
