// cmd_graph: `pikoci graph P` -- the pipeline graph the server's "graph"
// query answers (actors/control_graph.c), printed as Graphviz DOT for
// scripts (`pikoci graph P | dot -Tsvg > p.svg`), or as it came with --json.
// --from FILE draws a graph saved earlier (the JSON of --json or of
// GET /api/v1/pipelines/P/graph) without asking a server.
//
// The drawing follows PikoCI's: left to right, jobs coloured by their newest
// build's status (the PICO-8 palette), paused jobs with a blue border,
// pinned resources with an amber one. A get without passed is an edge from
// its resource; a get with passed is drawn as edges from the jobs it names,
// labelled with the resource (the JSON keeps both). Dashed edges do not
// trigger. Every name is written as a quoted DOT string with its quotes and
// backslashes escaped, so any name makes valid DOT.
#include "cli.h"
#include "pk_cmds.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: pikoci graph PIPELINE [--json] [global options]\n"
            "       pikoci graph --from FILE\n\n"
            "The pipeline as a graph: jobs and resources as nodes; get, put and passed\n"
            "edges. Printed as Graphviz DOT, laid out left to right (render it with\n"
            "`pikoci graph P | dot -Tsvg > p.svg`): jobs are coloured by their newest\n"
            "build (green succeeded, red failed, orange errored, salmon warning, yellow\n"
            "started, grey dashed pending, purple waiting for approval, white none),\n"
            "paused jobs have a blue border, pinned resources an amber one; a label\n"
            "says \"running\" or \"waiting for approval\" when some build of the job is.\n"
            "A get with passed is drawn as an edge from each job it names, labelled\n"
            "with the resource; dashed edges do not trigger builds.\n\n"
            "options:\n"
            "  --json             print the graph as the server sent it (what\n"
            "                     GET /api/v1/pipelines/P/graph answers)\n"
            "  --from FILE        draw a graph saved with --json (- for stdin); no server\n"
            "\n" PK_CLI_GLOBAL_HELP "\n" PK_CLI_EXIT_HELP);
}

// A DOT quoted string: quotes and backslashes escaped, newlines as \n,
// other control characters as spaces.
static void
s_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *) s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else
        if (*p == '\n')
            fputs("\\n", out);
        else
            fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
    }
    fputc('"', out);
}

typedef struct {
    const char *status, *fill, *font, *style;
} s_look_t;

static const s_look_t s_looks[] = {
    { "succeeded", "#00E436", "#000000", "filled,rounded" },
    { "failed", "#FF004D", "#FFFFFF", "filled,rounded" },
    { "errored", "#FFA300", "#000000", "filled,rounded" },
    { "cancelled", "#83769C", "#FFFFFF", "filled,rounded" },
    { "aborted", "#83769C", "#FFFFFF", "filled,rounded" },
    { "warning", "#FFCCAA", "#000000", "filled,rounded" },
    { "started", "#FFEC27", "#000000", "filled,rounded,bold" },
    { "pending", "#C2C3C7", "#000000", "filled,rounded,dashed" },
    { "waiting_for_approval", "#7E2553", "#FFFFFF", "filled,rounded" },
    { NULL, "#FFF1E8", "#000000", "filled,rounded" }     // none, or unknown
};

static const s_look_t *
s_look(const char *status)
{
    const s_look_t *l = s_looks;
    while (l->status && strcmp(l->status, status))
        l++;
    return l;
}

static void
s_job(FILE *out, const pk_value_t *n)
{
    const char *status = pk_cli_str(n, "status"), *build = pk_cli_str(n, "build");
    const s_look_t *l = s_look(status);
    bool paused = pk_cli_bool(n, "paused");
    char *label = NULL;
    if (asprintf(&label, "%s\n%s%s%s%s%s%s", pk_cli_str(n, "name"), *build ? "#" : "", build,
                 *build ? " " : "", *status ? status : "none", paused ? "\npaused" : "",
                 pk_cli_bool(n, "waiting") && strcmp(status, "waiting_for_approval")
                 ? "\nwaiting for approval"
                 : pk_cli_bool(n, "running") && strcmp(status, "started") ? "\nrunning" : "") < 0)
        label = NULL;
    fputs("  ", out);
    s_quoted(out, pk_cli_str(n, "id"));
    fprintf(out, " [shape=box, style=\"%s\", fillcolor=\"%s\", fontcolor=\"%s\"%s, label=",
            l->style, l->fill, l->font, paused ? ", color=\"#29ADFF\", penwidth=3" : "");
    s_quoted(out, label ? label : pk_cli_str(n, "name"));
    fputs("];\n", out);
    free(label);
}

static void
s_resource(FILE *out, const pk_value_t *n)
{
    bool pinned = pk_cli_bool(n, "pinned"), failing = *pk_cli_str(n, "check_error") != 0;
    char *label = NULL;
    if (asprintf(&label, "%s%s%s", pk_cli_str(n, "name"),
                 pinned ? "\npinned" : "", failing ? "\ncheck failed" : "") < 0)
        label = NULL;
    if (pinned && pk_cli_int(n, "pinned_id")) {
        char *more = NULL;
        long long id = (long long) pk_cli_int(n, "pinned_id");
        if (label && asprintf(&more, "%s #%lld", label, id) >= 0) {
            free(label);
            label = more;
        }
    }
    fputs("  ", out);
    s_quoted(out, pk_cli_str(n, "id"));
    fprintf(out, " [shape=box, style=filled, fillcolor=\"%s\", fontcolor=\"#FFF1E8\"%s, label=",
            failing ? "#AB5236" : "#1D2B53", pinned ? ", color=\"#FFA300\", penwidth=3" : "");
    s_quoted(out, label ? label : pk_cli_str(n, "name"));
    fputs("];\n", out);
    free(label);
}

static void
s_edge(FILE *out, const pk_value_t *e)
{
    const char *kind = pk_cli_str(e, "kind");
    const pk_value_t *passed = pk_value_object_get(e, "passed");
    if (!strcmp(kind, "get") && pk_value_len(passed) > 0)
        return;                 // drawn as its passed edges
    fputs("  ", out);
    s_quoted(out, pk_cli_str(e, "from"));
    fputs(" -> ", out);
    s_quoted(out, pk_cli_str(e, "to"));
    if (!strcmp(kind, "put"))
        fputs(" [color=\"#5F574F\"]", out);
    else {
        fprintf(out, " [style=%s", pk_cli_bool(e, "trigger") ? "solid" : "dashed");
        if (!strcmp(kind, "passed")) {
            fputs(", label=", out);
            s_quoted(out, pk_cli_str(e, "resource"));
        }
        fputc(']', out);
    }
    fputs(";\n", out);
}

static void
s_dot(FILE *out, const pk_value_t *g)
{
    const char *name = pk_cli_str(g, "pipeline");
    fputs("digraph ", out);
    s_quoted(out, name);
    fputs(" {\n  rankdir=LR;\n  labelloc=t;\n  label=", out);
    char *title = NULL;
    if (asprintf(&title, "%s%s", name, pk_cli_bool(g, "paused") ? " (paused)" : "") < 0)
        title = NULL;
    s_quoted(out, title ? title : name);
    free(title);
    fputs(";\n  node [fontname=\"Helvetica\", fontsize=11];\n"
          "  edge [fontname=\"Helvetica\", fontsize=9];\n", out);
    const pk_value_t *nodes = pk_value_object_get(g, "nodes");
    for (size_t i = 0; i < pk_value_len(nodes); i++) {
        const pk_value_t *n = pk_value_list_at(nodes, i);
        if (!strcmp(pk_cli_str(n, "kind"), "job"))
            s_job(out, n);
        else
            s_resource(out, n);
    }
    const pk_value_t *edges = pk_value_object_get(g, "edges");
    for (size_t i = 0; i < pk_value_len(edges); i++)
        s_edge(out, pk_value_list_at(edges, i));
    fputs("}\n", out);
}

// The graph saved in path ("-": stdin), or NULL with the reason printed.
static pk_value_t *
s_load(pk_cli_t *cli, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "%s: cannot read %s: %s\n", cli->cmd, path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char buf[65536];
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            text = realloc(text, cap);
        }
        memcpy(text + len, buf, n);
        len += n;
    }
    if (f != stdin)
        fclose(f);
    char *err = NULL;
    pk_value_t *v = text ? pk_value_from_json(text, len, &err) : NULL;
    free(text);
    if (!v || pk_value_kind(v) != PK_V_OBJECT || !pk_value_object_get(v, "nodes")) {
        fprintf(stderr, "%s: %s is not a graph (the JSON of `pikoci graph P --json`)%s%s\n",
                cli->cmd, path, err ? ": " : "", err ? err : "");
        pk_value_destroy(&v);
    }
    free(err);
    return v;
}

int
pk_cmd_graph(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci graph");
    const char *target = NULL, *from = NULL;
    int rc = PK_CLI_USAGE;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (pk_cli_is_help(argv[i])) {
            s_usage(stdout);
            rc = PK_CLI_OK;
            goto done;
        }
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            goto done;
        if (g)
            continue;
        if ((v = pk_cli_option(argc, argv, &i, "--from", &missing)))
            from = v;
        else if (missing) {
            rc = pk_cli_usage_error(&cli, "%s needs a value", argv[i]);
            goto done;
        }
        else if (argv[i][0] == '-' && argv[i][1]) {
            rc = pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
            goto done;
        }
        else if (target) {
            rc = pk_cli_usage_error(&cli, "one pipeline at a time ('%s' and '%s')", target,
                                    argv[i]);
            goto done;
        }
        else
            target = argv[i];
    }
    if (!target == !from) {
        rc = pk_cli_usage_error(&cli, from ? "give PIPELINE or --from FILE, not both"
                                           : "give PIPELINE");
        goto done;
    }
    char *parts[1] = { 0 };
    if (target && pk_cli_split(&cli, target, "PIPELINE", 1, 1, parts) < 0)
        goto done;
    pk_value_t *graph = NULL;
    if (from)
        rc = (graph = s_load(&cli, from)) ? PK_CLI_OK : PK_CLI_REFUSED;
    else
        rc = pk_cli_request(&cli, "graph", NULL, 0, &graph, "pipeline", parts[0], NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(graph);
    else
    if (rc == PK_CLI_OK)
        s_dot(stdout, graph);
    pk_value_destroy(&graph);
    free(parts[0]);
done:
    pk_cli_close(&cli);
    return rc;
}
