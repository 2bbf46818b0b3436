// pikoci validate: decode and check a pipeline file the same way it is
// checked when set on a server (built-in and https:// type definitions
// loaded too, unless --offline; pikoci:// names not built in fetched from
// the remote registry only with --allow-remote-types, as on the server),
// and print every problem at once as
// "file:line:col: error: message" (editors jump to them). Secret-backed
// variables need no credentials: they validate as placeholders.
#include "pk_cmds.h"
#include "pk_pipeline.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci validate FILE [--var NAME=VALUE]... [--vars VARS.json]\n"
        "                       [--offline | --allow-remote-types]\n"
        "\n"
        "Check a pipeline file: HCL syntax, every block and attribute, types,\n"
        "durations and check intervals, references between resources, types,\n"
        "runners and jobs, passed dependencies and if conditions. Every problem\n"
        "is printed on stderr as FILE:LINE:COL: error: MESSAGE; warnings\n"
        "(FILE:LINE:COL: warning: ...) point at likely mistakes but do not make\n"
        "the file invalid.\n"
        "\n"
        "options:\n"
        "  --var NAME=VALUE   give variable NAME a value (repeatable; converted to\n"
        "                     the variable's declared type)\n"
        "  --vars FILE        read variable values from a JSON object; --var wins\n"
        "  --offline          do not fetch type definitions given by an https:// source\n"
        "                     (built-in pikoci:// definitions are still checked)\n"
        "  --allow-remote-types\n"
        "                     fetch a type whose pikoci://NAME is not built into pikoci\n"
        "                     from PikoCI's registry as BASE/<kind dir>/NAME.hcl (BASE:\n"
        "                     $PIKOCI_REMOTE_TYPES_URL, else\n"
        "                     " PK_SOURCES_REMOTE_BASE ");\n"
        "                     without it such a name is an error. Built-in names are\n"
        "                     never fetched. Not together with --offline\n"
        "  -h, --help         show this help\n"
        "\n"
        "Variables take, in order: --var/--vars, their secret (a placeholder here,\n"
        "resolved by runners at run time), their default.\n"
        "\n"
        "exit status: 0 valid (a summary on stdout), 2 invalid or usage error.\n");
}

static const char *
s_plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

// The value of "--opt VALUE" or "--opt=VALUE" at argv[*i], or NULL.
static const char *
s_option(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t len = strlen(opt);
    if (strncmp(argv[*i], opt, len))
        return NULL;
    if (argv[*i][len] == '=')
        return argv[*i] + len + 1;
    if (argv[*i][len] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int
pk_cmd_validate(int argc, char **argv)
{
    const char *file = NULL, *vars_file = NULL;
    const char **kvs = calloc((size_t) argc + 1, sizeof *kvs);
    size_t nkv = 0;
    int rc = 2;
    bool offline = false, remote_types = false;
    if (!kvs)
        return 2;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            s_usage(stdout);
            rc = 0;
            goto done;
        }
        if (!strcmp(argv[i], "--offline"))
            offline = true;
        else if (!strcmp(argv[i], "--allow-remote-types"))
            remote_types = true;
        else if ((v = s_option(argc, argv, &i, "--vars", &missing)))
            vars_file = v;
        else if (!missing && (v = s_option(argc, argv, &i, "--var", &missing)))
            kvs[nkv++] = v;
        else if (missing) {
            fprintf(stderr, "pikoci validate: %s needs a value\n", argv[i]);
            goto usage;
        }
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "pikoci validate: unknown option '%s'\n", argv[i]);
            goto usage;
        }
        else if (file) {
            fprintf(stderr, "pikoci validate: one pipeline file at a time ('%s' and '%s')\n",
                    file, argv[i]);
            goto usage;
        }
        else
            file = argv[i];
    }
    if (!file) {
        fprintf(stderr, "pikoci validate: no pipeline file given\n");
        goto usage;
    }
    if (offline && remote_types) {
        fprintf(stderr, "pikoci validate: --offline and --allow-remote-types contradict each "
                "other (--offline fetches nothing)\n");
        goto usage;
    }
    char *err = NULL;
    pk_value_t *vars = pk_pipeline_vars_new(vars_file, kvs, nkv, &err);
    if (!vars) {
        fprintf(stderr, "pikoci validate: %s\n", err ? err : "out of memory");
        free(err);
        goto done;
    }
    pk_diags_t *diags = pk_diags_new();
    pk_pipeline_t *p = diags ? pk_pipeline_load(file, vars, diags, &err) : NULL;
    if (!p)
        fprintf(stderr, "pikoci validate: %s\n", err ? err : "out of memory");
    else {
        // definitions only matter for a pipeline that decoded cleanly
        if (!pk_diags_errors(diags))
            pk_pipeline_load_sources(p, offline ? 0 : PK_SOURCES_HTTPS
                                     | (remote_types ? PK_SOURCES_REMOTE_BUILTINS : 0), diags);
        pk_diags_print(diags, stderr);
        size_t errors = pk_diags_errors(diags);
        if (errors)
            fprintf(stderr, "%s: invalid: %zu %s\n", file, errors,
                    s_plural(errors, "error", "errors"));
        else {
            printf("%s: valid: %zu %s, %zu %s, %zu %s\n", file,
                   p->resource_count, s_plural(p->resource_count, "resource", "resources"),
                   p->job_count, s_plural(p->job_count, "job", "jobs"),
                   p->variable_count, s_plural(p->variable_count, "variable", "variables"));
            rc = 0;
        }
    }
    free(err);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    pk_value_destroy(&vars);
    goto done;
usage:
    fprintf(stderr, "usage: pikoci validate FILE [--var NAME=VALUE]... [--vars VARS.json]\n"
                    "                       [--offline | --allow-remote-types]\n"
                    "       pikoci validate --help\n");
done:
    free(kvs);
    return rc;
}
