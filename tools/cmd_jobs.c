// cmd_jobs: the read side of jobs and builds -- `pikoci jobs P`,
// `pikoci builds P/J`, `pikoci build P/J/N` -- and `pikoci pause|unpause
// P[/J]`. Every command here is one request and a table (or the reply as
// JSON with --json).
#include "cli.h"
#include "pk_cmds.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    const char *usage;      // after "pikoci NAME "
    const char *about;
    const char *options;    // command options help, or ""
    const char *what;       // the target, for errors: "PIPELINE/JOB"
    int min, max;           // parts of the target
} s_spec_t;

static void
s_usage(const s_spec_t *s, FILE *out)
{
    fprintf(out, "usage: pikoci %s %s [global options]\n\n%s\n%s%s\n" PK_CLI_GLOBAL_HELP "\n"
            PK_CLI_EXIT_HELP, s->name, s->usage, s->about, s->options, *s->options ? "\n" : "");
}

// Parse "pikoci NAME TARGET [--limit N --before N --after N] [global
// options]" into parts; page (NULL: no such options) gets the three values.
// Returns the part count, or -(exit code + 1) when done already (help or
// usage error).
static int
s_parse(const s_spec_t *s, pk_cli_t *cli, int argc, char **argv, char **parts,
        const char **page)
{
    const char *target = NULL;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (pk_cli_is_help(argv[i])) {
            s_usage(s, stdout);
            return -(PK_CLI_OK + 1);
        }
        int g = pk_cli_global(cli, argc, argv, &i);
        if (g < 0)
            return -(PK_CLI_USAGE + 1);
        if (g)
            continue;
        if (page && (v = pk_cli_option(argc, argv, &i, "--limit", &missing)))
            page[0] = v;
        else if (page && !missing && (v = pk_cli_option(argc, argv, &i, "--before", &missing)))
            page[1] = v;
        else if (page && !missing && (v = pk_cli_option(argc, argv, &i, "--after", &missing)))
            page[2] = v;
        else if (missing)
            return -(pk_cli_usage_error(cli, "%s needs a value", argv[i]) + 1);
        else if (argv[i][0] == '-' && argv[i][1])
            return -(pk_cli_usage_error(cli, "unknown option '%s'", argv[i]) + 1);
        else if (target)
            return -(pk_cli_usage_error(cli, "one %s at a time ('%s' and '%s')", s->what,
                                        target, argv[i]) + 1);
        else
            target = argv[i];
    }
    if (!target)
        return -(pk_cli_usage_error(cli, "give %s", s->what) + 1);
    int n = pk_cli_split(cli, target, s->what, s->min, s->max, parts);
    return n < 0 ? -(PK_CLI_USAGE + 1) : n;
}

static void
s_free_parts(char **parts, int n)
{
    for (int k = 0; k < n; k++)
        free(parts[k]);
}

int
pk_cmd_jobs(int argc, char **argv)
{
    static const s_spec_t spec = { "jobs", "PIPELINE",
        "The jobs of a pipeline in file order: paused or not, and their newest build.", "",
        "PIPELINE", 1, 1 };
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci jobs");
    char *parts[1];
    int n = s_parse(&spec, &cli, argc, argv, parts, NULL);
    if (n < 0)
        return -n - 1;
    pk_value_t *v;
    int rc = pk_cli_request(&cli, "jobs", NULL, 0, &v, "pipeline", parts[0], NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK) {
        pk_cli_table_t *t = pk_cli_table_new(5, "JOB", "PAUSED", "LATEST", "STATUS", "CREATED (UTC)");
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *j = pk_value_list_at(v, i);
            const pk_value_t *b = pk_value_object_get(j, "latest");
            char when[32];
            pk_cli_table_row(t, pk_cli_str(j, "name"), pk_cli_bool(j, "paused") ? "yes" : "no",
                             pk_cli_str(b, "number"), pk_cli_str(b, "status"),
                             pk_cli_time(pk_cli_int(b, "created_ms"), when, sizeof when));
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
    }
    pk_value_destroy(&v);
    s_free_parts(parts, n);
    pk_cli_close(&cli);
    return rc;
}

static int
s_pause(int argc, char **argv, bool pause)
{
    static const s_spec_t specs[2] = {
        { "unpause", "PIPELINE[/JOB]",
          "Let a paused pipeline, or one job of it, build again.", "",
          "PIPELINE or PIPELINE/JOB", 1, 2 },
        { "pause", "PIPELINE[/JOB]",
          "Pause a whole pipeline, or one job of it: no new builds (new versions and\n"
          "manual triggers are refused) until unpause. Running builds go on.", "",
          "PIPELINE or PIPELINE/JOB", 1, 2 } };
    const s_spec_t *spec = &specs[pause];
    pk_cli_t cli;
    pk_cli_init(&cli, pause ? "pikoci pause" : "pikoci unpause");
    char *parts[2];
    int n = s_parse(spec, &cli, argc, argv, parts, NULL);
    if (n < 0)
        return -n - 1;
    const char *op = n == 1 ? (pause ? "pipeline.pause" : "pipeline.unpause")
                            : (pause ? "job.pause" : "job.unpause");
    pk_value_t *v;
    int rc = pk_cli_request(&cli, op, NULL, 0, &v, "pipeline", parts[0], "job",
                            n == 2 ? parts[1] : NULL, NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK)
        printf("%s %s%s%s %s\n", n == 1 ? "pipeline" : "job", parts[0], n == 2 ? "/" : "",
               n == 2 ? parts[1] : "", pause ? "paused" : "unpaused");
    pk_value_destroy(&v);
    s_free_parts(parts, n);
    pk_cli_close(&cli);
    return rc;
}

int
pk_cmd_pause(int argc, char **argv)
{
    return s_pause(argc, argv, true);
}

int
pk_cmd_unpause(int argc, char **argv)
{
    return s_pause(argc, argv, false);
}

int
pk_cmd_builds(int argc, char **argv)
{
    static const s_spec_t spec = { "builds", "PIPELINE/JOB [--limit N] [--before N | --after N]",
        "A job's builds, newest first (a retry 3.1 is listed before 3), a page at a time:\n"
        "the newest 50 unless told otherwise.",
        "options:\n"
        "  --limit N          at most N builds (default 50; 0: all, if the answer fits\n"
        "                     in one message)\n"
        "  --before N         builds numbered below N (the next page back)\n"
        "  --after N          builds numbered above N (the page forward from N)\n",
        "PIPELINE/JOB", 2, 2 };
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci builds");
    char *parts[2];
    const char *page[3] = { NULL, NULL, NULL };
    int n = s_parse(&spec, &cli, argc, argv, parts, page);
    if (n < 0)
        return -n - 1;
    pk_value_t *v;
    int rc = pk_cli_request(&cli, "builds", NULL, 0, &v, "pipeline", parts[0], "job", parts[1],
                            "limit", page[0], "before", page[1], "after", page[2], NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK) {
        pk_cli_table_t *t = pk_cli_table_new(6, "BUILD", "STATUS", "TRIGGER", "CREATED (UTC)",
                                             "DURATION", "WORKER");
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *b = pk_value_list_at(v, i);
            char when[32], took[32];
            pk_cli_table_row(t, pk_cli_str(b, "number"), pk_cli_str(b, "status"),
                             pk_cli_str(b, "trigger"),
                             pk_cli_time(pk_cli_int(b, "created_ms"), when, sizeof when),
                             pk_cli_span(pk_cli_int(b, "started_ms"),
                                         pk_cli_int(b, "finished_ms"), took, sizeof took),
                             pk_cli_str(b, "worker"));
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
        size_t shown = pk_value_len(v);
        unsigned long want = page[0] ? strtoul(page[0], NULL, 10) : 50;
        const char *oldest = shown ? pk_cli_str(pk_value_list_at(v, shown - 1), "number") : "";
        if (want && shown == want && strtoul(oldest, NULL, 10) > 1)
            fprintf(stderr, "(%zu shown; older ones: pikoci builds %s/%s --before %lu)\n",
                    shown, parts[0], parts[1], strtoul(oldest, NULL, 10));
    }
    pk_value_destroy(&v);
    s_free_parts(parts, n);
    pk_cli_close(&cli);
    return rc;
}

static void
s_print_build(const pk_value_t *b)
{
    char t1[32], t2[32], t3[32], took[32];
    printf("%s/%s #%s  %s\n", pk_cli_str(b, "pipeline"), pk_cli_str(b, "job"),
           pk_cli_str(b, "number"), pk_cli_str(b, "status"));
    printf("  trigger   %s\n", *pk_cli_str(b, "trigger") ? pk_cli_str(b, "trigger") : "-");
    printf("  worker    %s\n", *pk_cli_str(b, "worker") ? pk_cli_str(b, "worker") : "-");
    printf("  created   %s UTC\n  started   %s\n  finished  %s\n  duration  %s\n",
           pk_cli_time(pk_cli_int(b, "created_ms"), t1, sizeof t1),
           pk_cli_time(pk_cli_int(b, "started_ms"), t2, sizeof t2),
           pk_cli_time(pk_cli_int(b, "finished_ms"), t3, sizeof t3),
           pk_cli_span(pk_cli_int(b, "started_ms"), pk_cli_int(b, "finished_ms"), took,
                       sizeof took));
    if (*pk_cli_str(b, "reason"))
        printf("  reason    %s\n", pk_cli_str(b, "reason"));
    if (pk_cli_int(b, "approvals_needed"))
        printf("  approvals %lld of %lld\n", (long long) pk_cli_int(b, "approvals"),
               (long long) pk_cli_int(b, "approvals_needed"));
    const pk_value_t *inputs = pk_value_object_get(b, "inputs");
    if (pk_value_kind(inputs) == PK_V_OBJECT && pk_value_len(inputs)) {
        char *json = pk_value_to_json(inputs);
        printf("  inputs    %s\n", json);
        free(json);
    }
    const pk_value_t *versions = pk_value_object_get(b, "versions");
    for (size_t i = 0; i < pk_value_len(versions); i++) {
        char *json = pk_value_to_json(pk_value_object_at(versions, i));
        printf("  %s %s %s\n", i ? "         " : "versions ", pk_value_object_key(versions, i),
               json);
        free(json);
    }
    const pk_value_t *steps = pk_value_object_get(b, "steps");
    if (!pk_value_len(steps))
        return;
    printf("\n");
    pk_cli_table_t *t = pk_cli_table_new(7, "STEP", "KIND", "NAME", "STATUS", "EXIT", "DURATION",
                                         "MESSAGE");
    for (size_t i = 0; i < pk_value_len(steps); i++) {
        const pk_value_t *s = pk_value_list_at(steps, i);
        char no[24], code[24];
        snprintf(no, sizeof no, "%lld", (long long) pk_cli_int(s, "step"));
        const char *status = pk_cli_str(s, "status");
        bool ended = strcmp(status, "started") && pk_cli_int(s, "finished_ms");
        snprintf(code, sizeof code, "%lld", (long long) pk_cli_int(s, "exit_code"));
        pk_cli_table_row(t, no, pk_cli_str(s, "kind"), pk_cli_str(s, "name"), status,
                         ended ? code : "-",
                         pk_cli_span(pk_cli_int(s, "started_ms"), pk_cli_int(s, "finished_ms"),
                                     took, sizeof took),
                         pk_cli_str(s, "message"));
    }
    pk_cli_table_print(t, stdout);
    pk_cli_table_destroy(&t);
}

int
pk_cmd_build(int argc, char **argv)
{
    static const s_spec_t spec = { "build", "PIPELINE/JOB/NUMBER [--report]",
        "One build: status, trigger, worker, times, the versions it used, its inputs\n"
        "and each step with its status, exit code and duration. NUMBER is 3, or 3.1\n"
        "for the first retry of 3.",
        "options:\n"
        "  --report           the build as one JSON report: status, times, versions,\n"
        "                     inputs, approvals (with who), steps with their times and\n"
        "                     the whole log (PikoCI's build report; `> r.json` keeps it)\n",
        "PIPELINE/JOB/NUMBER", 3, 3 };
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci build");
    // --report is this command's alone: take it out before the shared parse
    bool report = false;
    int kept = 0;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--report"))
            report = true;
        else
            argv[kept++] = argv[i];
    argc = kept;
    char *parts[3];
    int n = s_parse(&spec, &cli, argc, argv, parts, NULL);
    if (n < 0)
        return -n - 1;
    if (report) {
        int rc = pk_cli_build_report(&cli, parts[0], parts[1], parts[2]);
        s_free_parts(parts, n);
        pk_cli_close(&cli);
        return rc;
    }
    pk_value_t *v;
    int rc = pk_cli_request(&cli, "build", NULL, 0, &v, "pipeline", parts[0], "job", parts[1],
                            "number", parts[2], NULL);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK)
        s_print_build(v);
    pk_value_destroy(&v);
    s_free_parts(parts, n);
    pk_cli_close(&cli);
    return rc;
}
