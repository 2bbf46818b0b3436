// cmd_pipelines: `pikoci pipelines [list|set|get|rm|pause|unpause|expose|hide]`.
// `set` sends the file's text and the variables as given; the server
// decodes and validates it (the same checks as `pikoci validate`) and
// answers with every error, which are printed as they come
// ("file:line:col: error: ..."), so nothing is validated twice.
#include "cli.h"
#include "pk_cmds.h"
#include "pk_pipeline.h"
#include "pk_slug.h"
#include "pk_value_msgpack.h"
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci pipelines [list]                     [global options]\n"
        "       pikoci pipelines set [NAME] FILE [--var NAME=VALUE]... [--vars FILE]\n"
        "       pikoci pipelines get NAME\n"
        "       pikoci pipelines rm NAME\n"
        "       pikoci pipelines pause NAME | unpause NAME\n"
        "       pikoci pipelines expose NAME | hide NAME\n"
        "\n"
        "list     the pipelines you may read: of every team you are a member of\n"
        "         (a global admin: all) and the exposed ones -- with a TEAM column\n"
        "         when they are of several teams; --team T lists team T's only.\n"
        "         Columns: version, paused, jobs, resources, when it was set\n"
        "set      set (create or replace) pipeline NAME from FILE; without NAME, the\n"
        "         file's base name without its extension (ci/app.hcl -> app).\n"
        "         The server validates it: an invalid file changes nothing and every\n"
        "         error is printed as FILE:LINE:COL: error: MESSAGE (exit 1).\n"
        "         Pause flags and pins survive a set.\n"
        "         --var NAME=VALUE  give variable NAME a value (repeatable)\n"
        "         --vars FILE       variable values from a JSON object; --var wins\n"
        "get      print the pipeline's source as set (--json: with version and vars)\n"
        "rm       remove the pipeline with its jobs, builds and pins\n"
        "pause    no new builds of any of its jobs until unpause\n"
        "expose   make the pipeline public: anyone, even without logging in, may read\n"
        "         its jobs, builds, logs, resources and versions in the web UI and\n"
        "         the API (never its source, params or webhook tokens); `hide`\n"
        "         makes it private again (both: the role maintain; audited)\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "\n"
        PK_CLI_EXIT_HELP);
}

static int
s_list(pk_cli_t *cli)
{
    pk_value_t *v;
    int rc = pk_cli_request(cli, "pipelines", NULL, 0, &v, NULL);
    if (rc != PK_CLI_OK)
        return rc;
    if (cli->json) {
        pk_cli_print_json(v);
        pk_value_destroy(&v);
        return rc;
    }
    // without --team the list spans every team the caller may read: a TEAM
    // column then, when its rows are of more than one
    bool teams = false;
    const char *first = pk_value_len(v) ? pk_cli_str(pk_value_list_at(v, 0), "team") : NULL;
    for (size_t i = 1; i < pk_value_len(v) && first && !teams; i++) {
        const char *team = pk_cli_str(pk_value_list_at(v, i), "team");
        teams = team && strcmp(team, first);
    }
    pk_cli_table_t *t = teams
        ? pk_cli_table_new(7, "NAME", "TEAM", "VERSION", "PAUSED", "JOBS", "RESOURCES",
                           "SET (UTC)")
        : pk_cli_table_new(6, "NAME", "VERSION", "PAUSED", "JOBS", "RESOURCES", "SET (UTC)");
    for (size_t i = 0; i < pk_value_len(v); i++) {
        const pk_value_t *p = pk_value_list_at(v, i);
        char ver[24], jobs[24], res[24], when[32];
        snprintf(ver, sizeof ver, "%lld", (long long) pk_cli_int(p, "version"));
        snprintf(jobs, sizeof jobs, "%lld", (long long) pk_cli_int(p, "jobs"));
        snprintf(res, sizeof res, "%lld", (long long) pk_cli_int(p, "resources"));
        const char *paused = pk_cli_bool(p, "paused") ? "yes" : "no";
        pk_cli_time(pk_cli_int(p, "set_ms"), when, sizeof when);
        if (teams)
            pk_cli_table_row(t, pk_cli_str(p, "name"), pk_cli_str(p, "team"), ver, paused, jobs,
                             res, when);
        else
            pk_cli_table_row(t, pk_cli_str(p, "name"), ver, paused, jobs, res, when);
    }
    pk_cli_table_print(t, stdout);
    pk_cli_table_destroy(&t);
    pk_value_destroy(&v);
    return rc;
}

static char *
s_read_file(pk_cli_t *cli, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot read %s: %m\n", cli->cmd, path);
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0)
            buf = realloc(buf, cap *= 2);
    }
    bool bad = ferror(f);
    fclose(f);
    buf[len] = 0;
    if (bad || strlen(buf) != len) {
        fprintf(stderr, "%s: %s: %s\n", cli->cmd, path,
                bad ? "read error" : "not a text file (it holds a NUL byte)");
        free(buf);
        return NULL;
    }
    return buf;
}

// The pipeline name a file gives: its base name without the extension.
static char *
s_name_of(const char *path)
{
    char *copy = strdup(path);
    char *base = strdup(basename(copy));
    free(copy);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = 0;
    return base;
}

static int
s_set(pk_cli_t *cli, int argc, char **argv)
{
    const char *pos[2] = { 0 }, *vars_file = NULL;
    int npos = 0;
    const char **kvs = calloc((size_t) argc + 1, sizeof *kvs);
    size_t nkv = 0;
    int rc = PK_CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        int g = pk_cli_global(cli, argc, argv, &i);
        if (g < 0)
            goto done;
        if (g)
            continue;
        if ((v = pk_cli_option(argc, argv, &i, "--vars", &missing)))
            vars_file = v;
        else if (!missing && (v = pk_cli_option(argc, argv, &i, "--var", &missing)))
            kvs[nkv++] = v;
        else if (missing) {
            rc = pk_cli_usage_error(cli, "%s needs a value", argv[i]);
            goto done;
        }
        else if (argv[i][0] == '-' && argv[i][1]) {
            rc = pk_cli_usage_error(cli, "unknown option '%s'", argv[i]);
            goto done;
        }
        else if (npos == 2) {
            rc = pk_cli_usage_error(cli, "set takes NAME and FILE, or FILE ('%s' is one too "
                                    "many)", argv[i]);
            goto done;
        }
        else
            pos[npos++] = argv[i];
    }
    if (!npos) {
        rc = pk_cli_usage_error(cli, "set needs a pipeline file");
        goto done;
    }
    const char *file = pos[npos - 1];
    // the name is set as its slug, as PikoCI does ("My Pipeline" -> my-pipeline)
    char *given = npos == 2 ? strdup(pos[0]) : s_name_of(file);
    char *name = given ? pk_slug(given) : NULL;
    if (!name || !*name) {
        rc = pk_cli_usage_error(cli, "\"%s\" cannot be a pipeline name: it has no letter or "
                                "digit", given ? given : "");
        free(given);
        free(name);
        goto done;
    }
    if (strcmp(given, name))
        fprintf(stderr, "%s: pipeline name \"%s\" is set as \"%s\"\n", cli->cmd, given, name);
    free(given);
    char *err = NULL;
    pk_value_t *vars = pk_pipeline_vars_new(vars_file, kvs, nkv, &err);
    char *source = vars ? s_read_file(cli, file) : NULL;
    if (!vars)
        fprintf(stderr, "%s: %s\n", cli->cmd, err ? err : "out of memory");
    free(err);
    if (!source) {
        rc = PK_CLI_USAGE;
        free(name);
        pk_value_destroy(&vars);
        goto done;
    }
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(source));
    if (pk_value_len(vars))
        pk_value_object_set(body, "vars", vars);
    else
        pk_value_destroy(&vars);
    // the server names errors after the pipeline's file as we know it
    pk_value_object_set(body, "filename", pk_value_new_string(file));
    uint8_t *packed;
    size_t size;
    pk_value_pack_bytes(body, &packed, &size);
    pk_value_t *reply = NULL;
    rc = pk_cli_request(cli, "pipeline.set", packed, size, &reply, "pipeline", name, NULL);
    if (rc == PK_CLI_OK) {
        if (cli->json)
            pk_cli_print_json(reply);
        else
            printf("pipeline %s set (version %lld)\n", name,
                   (long long) pk_cli_int(reply, "version"));
    }
    pk_value_destroy(&reply);
    free(packed);
    pk_value_destroy(&body);
    free(source);
    free(name);
done:
    free(kvs);
    return rc;
}

// get, rm, pause, unpause, expose, hide: one NAME.
static int
s_one(pk_cli_t *cli, const char *sub, int argc, char **argv)
{
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        int g = pk_cli_global(cli, argc, argv, &i);
        if (g < 0)
            return PK_CLI_USAGE;
        if (g)
            continue;
        if (argv[i][0] == '-' && argv[i][1])
            return pk_cli_usage_error(cli, "unknown option '%s'", argv[i]);
        if (name)
            return pk_cli_usage_error(cli, "%s takes one pipeline name", sub);
        name = argv[i];
    }
    if (!name)
        return pk_cli_usage_error(cli, "%s needs a pipeline name", sub);
    const char *op = !strcmp(sub, "get") ? "pipeline.get" : !strcmp(sub, "rm") ? "pipeline.remove"
                   : !strcmp(sub, "pause") ? "pipeline.pause"
                   : !strcmp(sub, "expose") ? "pipeline.expose"
                   : !strcmp(sub, "hide") ? "pipeline.hide" : "pipeline.unpause";
    pk_value_t *v = NULL;
    int rc = pk_cli_request(cli, op, NULL, 0, &v, "pipeline", name, NULL);
    if (rc == PK_CLI_OK) {
        if (cli->json)
            pk_cli_print_json(v);
        else
        if (!strcmp(sub, "get"))
            fputs(pk_cli_str(v, "source"), stdout);
        else
            printf("pipeline %s %s\n", name, !strcmp(sub, "rm") ? "removed"
                   : !strcmp(sub, "pause") ? "paused"
                   : !strcmp(sub, "expose") ? "exposed: readable without login"
                   : !strcmp(sub, "hide") ? "hidden: members only" : "unpaused");
    }
    pk_value_destroy(&v);
    return rc;
}

int
pk_cmd_pipelines(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci pipelines");
    // the subcommand is the first word that is not a global option
    int at = 1;
    for (; at < argc; at++) {
        if (pk_cli_is_help(argv[at])) {
            s_usage(stdout);
            return PK_CLI_OK;
        }
        int g = pk_cli_global(&cli, argc, argv, &at);
        if (g < 0)
            return PK_CLI_USAGE;
        if (!g)
            break;
    }
    const char *sub = at < argc ? argv[at] : "list";
    int sub_argc = at < argc ? argc - at : 1;
    char **sub_argv = at < argc ? argv + at : argv;
    for (int i = 1; i < sub_argc; i++)
        if (pk_cli_is_help(sub_argv[i])) {
            s_usage(stdout);
            return PK_CLI_OK;
        }
    int rc;
    if (!strcmp(sub, "list")) {
        rc = PK_CLI_OK;
        for (int i = 1; i < sub_argc && rc == PK_CLI_OK; i++) {
            int g = pk_cli_global(&cli, sub_argc, sub_argv, &i);
            if (g <= 0)
                rc = g < 0 ? PK_CLI_USAGE
                           : pk_cli_usage_error(&cli, "list takes no arguments ('%s')",
                                                sub_argv[i]);
        }
        if (rc == PK_CLI_OK)
            rc = s_list(&cli);
    }
    else
    if (!strcmp(sub, "set"))
        rc = s_set(&cli, sub_argc, sub_argv);
    else
    if (!strcmp(sub, "get") || !strcmp(sub, "rm") || !strcmp(sub, "pause")
        || !strcmp(sub, "unpause") || !strcmp(sub, "expose") || !strcmp(sub, "hide"))
        rc = s_one(&cli, sub, sub_argc, sub_argv);
    else
        rc = pk_cli_usage_error(&cli, "unknown subcommand '%s' (list, set, get, rm, pause, "
                                "unpause, expose, hide)", sub);
    pk_cli_close(&cli);
    return rc;
}
