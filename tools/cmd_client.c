// cmd_client: PikoCI's documented command lines -- `pikoci client NOUN VERB
// -t TEAM -p PIPELINE -j JOB ...` (its CLI.md) and `pikoci pipeline
// validate FILE` -- rewritten into pikoci's own commands and run by them, so
// every behaviour keeps one copy. Nothing here talks to a server.
//
// One table row per PikoCI form: the pikoci command it becomes, as a
// template whose %X are the values of PikoCI's options (see s_opts), plus
// the options it may take besides. The help of both sides, the "needs -p"
// errors and the README's table come from these rows. A form with no
// counterpart yet answers "not available yet" with exit 2, never a guess.
//
// Output: PikoCI's client prints JSON only, so every translated command
// gets --json (give --table to get pikoci's tables instead).
#include "pk_cmds.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// When pikoci's client commands take a team (`--team T`), set this to that
// option: -t/--team-canonical is then passed on. Until then only the team
// every pipeline is in, main, is accepted.
#define S_TEAM_OPTION "--team"

#define S_NOT_YET 2     // the exit code of a form that is not available yet

// PikoCI's options, each filling one slot (a letter used in templates).
typedef struct {
    char slot;
    const char *names;      // "|"-separated spellings
    const char *meta;       // its value, for help
} s_opt_t;

static const s_opt_t s_opts[] = {
    { 't', "-t|--team|--team-canonical|-tc", "TEAM" },
    { 'p', "-p|--pipeline|--pipeline-name|-pn", "PIPELINE" },
    { 'j', "-j|--job|--job-name|-jn", "JOB" },
    { 'n', "-n|--name", "NAME" },     // the pipeline (pipelines) or the job (jobs)
    { 'b', "-b|--build|--build-number", "NUMBER" },
    { 'r', "-r|--resource|--resource-canonical", "RESOURCE" },
    { 'c', "-c|--config|--pipeline-config", "FILE" },
    { 'v', "-v|--vars", "VARS.json" },
    { 'k', "--var", "NAME=VALUE" },   // repeatable
    { 'N', "--new-name", "NAME" },
    { 'm', "-m|--message", "MESSAGE" },
    { 'f', "-f|--format", "FORMAT" },
    { 0, NULL, NULL }
};

// What the optional slots become on pikoci's side.
static const struct { char slot; const char *option; } s_passed[] = {
    { 'v', "--vars" }, { 'k', "--var" }, { 'm', "--message" }, { 0, NULL }
};

typedef struct {
    const char *noun, *verb;
    const char *target;     // pikoci's form, %X = a slot; NULL: not available yet
    const char *optional;   // slots it may take besides those in target
    const char *note;       // what to use instead (not available), or a remark
    bool own_output;        // prints what PikoCI's prints without --json (graph: DOT)
} s_row_t;

static const s_row_t s_rows[] = {
    { "pipelines", "create", "pipelines set %p %c", "vk", NULL },
    { "pipelines", "update", "pipelines set %p %c", "vk", NULL },
    { "pipelines", "list", "pipelines list", "", NULL },
    { "pipelines", "get", "pipelines get %p", "", NULL },
    { "pipelines", "graph", "graph %p", "f", "DOT, as PikoCI's; `pikoci graph P --json` gives data",
      true },
    { "pipelines", "delete", "pipelines rm %p", "", NULL },
    { "pipelines", "rename", NULL, "pN", "set it under the new name, then `pikoci pipelines rm OLD`" },
    { "pipelines", "pause", "pipelines pause %p", "", NULL },
    { "pipelines", "unpause", "pipelines unpause %p", "", NULL },
    { "jobs", "get", "builds %p/%j", "", "a job's builds, newest first" },
    { "jobs", "trigger", "trigger %p/%j", "", NULL },
    { "jobs", "pause", "pause %p/%j", "", NULL },
    { "jobs", "unpause", "unpause %p/%j", "", NULL },
    { "builds", "list", "builds %p/%j", "", NULL },
    { "builds", "get", "build %p/%j/%b", "", NULL },
    { "builds", "cancel", "cancel %p/%j/%b", "", NULL },
    { "builds", "retry", "retry %p/%j/%b", "", NULL },
    { "builds", "approve", "approve %p/%j/%b", "m", NULL },
    { "builds", "reject", "reject %p/%j/%b", "m", NULL },
    { "builds", "delete", NULL, "pjb", "builds are kept; `pikoci pipelines rm P` removes a pipeline's" },
    { "builds", "report", NULL, "pjb", "`pikoci build P/J/N --json` and `pikoci logs P/J/N`" },
    { "resources", "get", NULL, "pr", "`pikoci resources P` shows every resource of P" },
    { "resources", "trigger", "check %p/%r", "", NULL },
    { "resources", "versions", "versions %p/%r", "", NULL },
    { "resources", "webhook-regenerate", "webhook-token %p/%r --regenerate", "", NULL },
    { NULL, NULL, NULL, NULL, NULL }
};

// Nouns of PikoCI's client with no counterpart in pikoci yet.
static const char *s_missing_nouns[] = {
    "login", "users", "teams", "api-tokens", "export", "triggers", "audit", "secrets",
    "config", NULL
};

// pikoci's own global client options that take a value: passed on as given.
static const char *s_global_valued[] = {
    "--server", "--timeout", "--curve-cert", "--curve-server-key", "--token", NULL
};

// The commands the templates name.
static const struct { const char *name; pk_cmd_fn *fn; } s_targets[] = {
    { "pipelines", pk_cmd_pipelines }, { "builds", pk_cmd_builds }, { "build", pk_cmd_build },
    { "trigger", pk_cmd_trigger }, { "pause", pk_cmd_pause }, { "unpause", pk_cmd_unpause },
    { "cancel", pk_cmd_cancel }, { "retry", pk_cmd_retry }, { "approve", pk_cmd_approve },
    { "reject", pk_cmd_reject }, { "graph", pk_cmd_graph }, { "check", pk_cmd_check },
    { "versions", pk_cmd_versions },
    { "webhook-token", pk_cmd_webhook }, { "validate", pk_cmd_validate }, { NULL, NULL }
};

static bool
s_is_name(const char *names, const char *arg)
{
    size_t len = strlen(arg);
    for (const char *p = names; *p; ) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t) (bar - p) : strlen(p);
        if (n == len && !strncmp(p, arg, n))
            return true;
        p += n + (bar ? 1 : 0);
    }
    return false;
}

static const s_opt_t *
s_opt(char slot)
{
    for (const s_opt_t *o = s_opts; o->slot; o++)
        if (o->slot == slot)
            return o;
    return NULL;
}

// "-p PIPELINE" for help and errors: the first long spelling and the first
// short one.
static void
s_opt_print(FILE *out, char slot, bool meta)
{
    const s_opt_t *o = s_opt(slot);
    char first[32];
    size_t n = strcspn(o->names, "|");
    snprintf(first, sizeof first, "%.*s", (int) n, o->names);
    fprintf(out, "%s%s%s", first, meta ? " " : "", meta ? o->meta : "");
}

// What -n/--name names in a noun's verbs: 'p' (pipelines), 'j' (jobs), 0.
static char
s_name_slot(const char *noun)
{
    return !strcmp(noun, "pipelines") ? 'p' : !strcmp(noun, "jobs") ? 'j' : 0;
}

// The PikoCI form of a row, as CLI.md writes it: "pikoci client pipelines
// get -n PIPELINE", "pikoci client builds get -p PIPELINE -j JOB -b NUMBER".
static void
s_print_pikoci_form(FILE *out, const s_row_t *r)
{
    fprintf(out, "pikoci client %s %s", r->noun, r->verb);
    for (const char *t = r->target ? r->target : ""; *t; t++)
        if (*t == '%') {
            char slot = *++t;
            if (slot == s_name_slot(r->noun))
                fprintf(out, " -n %s", s_opt(slot)->meta);
            else {
                fputc(' ', out);
                s_opt_print(out, slot, true);
            }
        }
    for (const char *o = r->optional; *o; o++) {
        fputs(" [", out);
        s_opt_print(out, *o, true);
        fputs(*o == 'k' ? "]..." : "]", out);
    }
}

// The pikoci form: the template with each %X as its meta.
static void
s_print_own_form(FILE *out, const s_row_t *r)
{
    if (!r->target) {
        fprintf(out, "not available yet: %s", r->note);
        return;
    }
    fputs("pikoci ", out);
    for (const char *t = r->target; *t; t++)
        if (*t == '%')
            fputs(s_opt(*++t)->meta, out);
        else
            fputc(*t, out);
    for (const char *o = r->optional; *o; o++)
        for (int k = 0; s_passed[k].slot; k++)
            if (s_passed[k].slot == *o)
                fprintf(out, " [%s %s]%s", s_passed[k].option, s_opt(*o)->meta,
                        *o == 'k' ? "..." : "");
}

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci client [-u|--url ENDPOINT] NOUN VERB [OPTIONS] [global options]\n\n"
        "PikoCI's client command lines, each run as the pikoci command beside it\n"
        "(`pikoci client NOUN VERB --help` shows both helps). Output is JSON, as\n"
        "PikoCI's is (--table: pikoci's tables instead).\n\n");
    for (const s_row_t *r = s_rows; r->noun; r++) {
        fputs("  ", out);
        s_print_pikoci_form(out, r);
        fputs("\n      = ", out);
        s_print_own_form(out, r);
        fputc('\n', out);
    }
    fprintf(out,
        "\noptions: -t|--team-canonical TEAM (pikoci's --team),\n"
        "  -p|--pipeline-name|-pn, -j|--job-name|-jn, -n|--name (the pipeline for\n"
        "  `pipelines`, the job for `jobs`), -b|--build-number, -r|--resource-canonical,\n"
        "  -c|--config, -v|--vars, --var, -m|--message;\n"
        "  -u|--url ENDPOINT is --server (HOST:PORT means tcp://HOST:PORT);\n"
        "  pikoci's --server, --timeout, --curve-cert, --curve-server-key pass through.\n"
        "Not available yet (exit 2):");
    for (const char **n = s_missing_nouns; *n; n++)
        fprintf(out, " %s", *n);
    fprintf(out, ", --jwt, --public.\n\n"
        "exit status: that of the pikoci command run; 2 usage error or not available yet.\n");
}

static const s_row_t *
s_row(const char *noun, const char *verb)
{
    for (const s_row_t *r = s_rows; r->noun; r++)
        if (!strcmp(r->noun, noun) && verb && !strcmp(r->verb, verb))
            return r;
    return NULL;
}

static bool
s_noun_known(const char *noun)
{
    for (const s_row_t *r = s_rows; r->noun; r++)
        if (!strcmp(r->noun, noun))
            return true;
    return false;
}

// The argv being built for the pikoci command.
typedef struct {
    char **argv;
    int argc, cap;
} s_args_t;

static void
s_push(s_args_t *a, const char *s, size_t len)
{
    if (a->argc + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->argv = realloc(a->argv, (size_t) a->cap * sizeof(char *));
    }
    a->argv[a->argc++] = strndup(s, len);
    a->argv[a->argc] = NULL;
}

static void
s_args_free(s_args_t *a)
{
    for (int i = 0; i < a->argc; i++)
        free(a->argv[i]);
    free(a->argv);
}

static int
s_run(s_args_t *a)
{
    for (int i = 0; s_targets[i].name; i++)
        if (!strcmp(s_targets[i].name, a->argv[0]))
            return s_targets[i].fn(a->argc, a->argv);
    fprintf(stderr, "pikoci client: internal error: no command %s\n", a->argv[0]);
    return 2;
}

// PikoCI's --url is HOST:PORT of its http server; pikoci's CLI talks to the
// broker's endpoint.
static int
s_url(const char *url, s_args_t *globals)
{
    if (!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8)) {
        fprintf(stderr, "pikoci client: --url %s: pikoci's CLI talks to the server's broker "
                "endpoint (tcp://HOST:PORT, `pikoci server --listen`), not to its http face\n",
                url);
        return 2;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", strstr(url, "://") ? "" : "tcp://", url);
    s_push(globals, "--server", 8);
    s_push(globals, buf, strlen(buf));
    return 0;
}

// Append the template's words, each %X replaced by its slot. 0, or 2 with
// "needs -p PIPELINE" printed.
static int
s_expand(const s_row_t *r, const char **slots, s_args_t *out)
{
    const char *t = r->target;
    while (*t) {
        char word[2048];
        size_t len = 0;
        for (; *t && *t != ' '; t++) {
            if (*t == '%') {
                char slot = *++t;
                if (!slots[(unsigned char) slot]) {
                    fprintf(stderr, "pikoci client %s %s: needs ", r->noun, r->verb);
                    s_opt_print(stderr, slot, true);
                    if (slot == 'p' && !strcmp(r->noun, "pipelines"))
                        fputs(" (or -n NAME)", stderr);
                    if (slot == 'j' && !strcmp(r->noun, "jobs"))
                        fputs(" (or -n NAME)", stderr);
                    fputc('\n', stderr);
                    return 2;
                }
                len += (size_t) snprintf(word + len, sizeof word - len, "%s",
                                         slots[(unsigned char) slot]);
            }
            else
            if (len + 1 < sizeof word)
                word[len++] = *t;
            if (len >= sizeof word)
                len = sizeof word - 1;
        }
        s_push(out, word, len);
        while (*t == ' ')
            t++;
    }
    return 0;
}

// pikoci's own command for a PikoCI noun whose client form is not mapped
// (its options differ), or NULL when pikoci has none.
static const char *
s_own_form(const char *noun)
{
    static const char *const own[][2] = {
        { "login", "use `pikoci login` (see pikoci login --help)" },
        { "users", "use `pikoci users` (see pikoci users --help)" },
        { "teams", "use `pikoci teams` (see pikoci teams --help)" },
        { "api-tokens", "use `pikoci tokens` (see pikoci tokens --help)" },
        { "audit", "use `pikoci audit` (see pikoci audit --help)" },
        { NULL, NULL } };
    for (int i = 0; own[i][0]; i++)
        if (!strcmp(own[i][0], noun))
            return own[i][1];
    return NULL;
}

static int
s_not_yet(const char *what, const char *instead)
{
    fprintf(stderr, "pikoci client: %s: not available yet as a client form%s%s\n", what,
            instead ? "; " : "", instead ? instead : "");
    return S_NOT_YET;
}

int
pk_cmd_client(int argc, char **argv)
{
    const char *slots[128] = { 0 };
    const char *noun = NULL, *verb = NULL;
    s_args_t globals = { 0 }, vars = { 0 }, out = { 0 };
    bool help = false, table = false;
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-' || !a[1]) {
            if (!noun) {
                noun = a;
                // a noun pikoci lacks: say so before its options (login's -u
                // is not --url) are taken apart
                for (const char **n = s_missing_nouns; *n; n++)
                    if (!strcmp(*n, noun)) {
                        char what[64];
                        snprintf(what, sizeof what, "`client %s`", noun);
                        rc = s_not_yet(what, s_own_form(noun));
                        goto out;
                    }
                if (!s_noun_known(noun)) {
                    fprintf(stderr, "pikoci client: unknown noun '%s' (see pikoci client "
                            "--help)\n", noun);
                    goto out;
                }
            }
            else
            if (!verb)
                verb = a;
            else {
                fprintf(stderr, "pikoci client: unexpected argument '%s'\n", a);
                goto out;
            }
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            help = true;
            continue;
        }
        if (!strcmp(a, "--json"))
            continue;       // the default here
        if (!strcmp(a, "--table")) {
            table = true;
            continue;
        }
        if (!strcmp(a, "--jwt") || !strncmp(a, "--jwt=", 6) || !strcmp(a, "--public")) {
            rc = s_not_yet(a, !strcmp(a, "--public") ? "pipelines are seen by everyone who "
                           "can reach the server" : "identity comes from CURVE keys");
            goto out;
        }
        // --opt=VALUE is --opt VALUE
        char name[64];
        const char *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL;
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int) (eq - a), a);
            a = name;
            val = eq + 1;
        }
        bool global = false;
        for (const char **g = s_global_valued; *g && !global; g++)
            global = !strcmp(a, *g);
        bool url = !strcmp(a, "-u") || !strcmp(a, "--url");
        const s_opt_t *o = NULL;
        for (const s_opt_t *p = s_opts; p->slot && !o; p++)
            if (s_is_name(p->names, a))
                o = p;
        if (!global && !url && !o) {
            fprintf(stderr, "pikoci client: unknown option '%s' (see pikoci client --help)\n", a);
            goto out;
        }
        if (!val) {
            fprintf(stderr, "pikoci client: %s needs a value\n", a);
            goto out;
        }
        i += eq ? 0 : 1;
        if (global) {
            s_push(&globals, a, strlen(a));
            s_push(&globals, val, strlen(val));
        }
        else
        if (url) {
            if (s_url(val, &globals) != 0)
                goto out;
        }
        else
        if (o->slot == 'k')
            s_push(&vars, val, strlen(val));
        else
            slots[(unsigned char) o->slot] = val;
    }
    if (!noun) {
        s_usage(help ? stdout : stderr);
        rc = help ? 0 : 2;
        goto out;
    }
    const s_row_t *r = s_row(noun, verb);
    if (!r) {
        fprintf(stderr, "pikoci client %s: %s '%s'; the verbs are:", noun,
                verb ? "unknown verb" : "which verb?", verb ? verb : "");
        for (const s_row_t *x = s_rows; x->noun; x++)
            if (!strcmp(x->noun, noun))
                fprintf(stderr, " %s", x->verb);
        fputc('\n', stderr);
        goto out;
    }
    if (help) {
        printf("usage: ");
        s_print_pikoci_form(stdout, r);
        printf(" [global options]\n   is: ");
        s_print_own_form(stdout, r);
        printf("%s%s\n", r->target && r->note ? "  -- " : "", r->target && r->note ? r->note : "");
        if (!r->target) {
            rc = 0;
            goto out;
        }
        printf("\nThe help of the pikoci command follows.\n\n");
        fflush(stdout);
        s_push(&out, r->target, strcspn(r->target, " "));
        s_push(&out, "--help", 6);
        rc = s_run(&out);
        goto out;
    }
    if (!r->target) {
        char what[96];
        snprintf(what, sizeof what, "`client %s %s`", noun, verb);
        rc = s_not_yet(what, r->note);
        goto out;
    }
    // -n NAME is the pipeline of `pipelines` and the job of `jobs`
    char n_is = s_name_slot(noun);
    if (slots['n']) {
        if (!n_is) {
            fprintf(stderr, "pikoci client %s %s: -n/--name is not one of its options\n",
                    noun, verb);
            goto out;
        }
        if (slots[(unsigned char) n_is] && strcmp(slots[(unsigned char) n_is], slots['n'])) {
            fprintf(stderr, "pikoci client %s %s: -n %s and ", noun, verb, slots['n']);
            s_opt_print(stderr, n_is, false);
            fprintf(stderr, " %s disagree\n", slots[(unsigned char) n_is]);
            goto out;
        }
        slots[(unsigned char) n_is] = slots['n'];
        slots['n'] = NULL;
    }
    if (slots['t'] && strcmp(slots['t'], "main") && !S_TEAM_OPTION) {
        fprintf(stderr, "pikoci client: team %s: teams are not available yet in pikoci; every "
                "pipeline is in team main (give -t main, or no -t)\n", slots['t']);
        goto out;
    }
    if (vars.argc)
        slots['k'] = vars.argv[0];
    // an option the form does not take is a mistake worth stopping for
    for (const s_opt_t *o = s_opts; o->slot; o++) {
        char s = o->slot;
        if (!slots[(unsigned char) s] || s == 't' || strchr(r->optional, s))
            continue;
        char pat[3] = { '%', s, 0 };
        if (strstr(r->target, pat))
            continue;
        fprintf(stderr, "pikoci client %s %s: ", noun, verb);
        s_opt_print(stderr, s, false);
        fprintf(stderr, " is not one of its options (see pikoci client %s %s --help)\n",
                noun, verb);
        goto out;
    }
    if (s_expand(r, slots, &out) != 0)
        goto out;
    for (int k = 0; s_passed[k].slot; k++) {
        char s = s_passed[k].slot;
        if (!slots[(unsigned char) s] || s == 'k')
            continue;
        s_push(&out, s_passed[k].option, strlen(s_passed[k].option));
        s_push(&out, slots[(unsigned char) s], strlen(slots[(unsigned char) s]));
    }
    for (int k = 0; k < vars.argc; k++) {
        s_push(&out, "--var", 5);
        s_push(&out, vars.argv[k], strlen(vars.argv[k]));
    }
    if (S_TEAM_OPTION && slots['t']) {
        s_push(&out, S_TEAM_OPTION, strlen(S_TEAM_OPTION));
        s_push(&out, slots['t'], strlen(slots['t']));
    }
    for (int k = 0; k < globals.argc; k++)
        s_push(&out, globals.argv[k], strlen(globals.argv[k]));
    if (!table && !r->own_output)
        s_push(&out, "--json", 6);
    rc = s_run(&out);
out:
    s_args_free(&globals);
    s_args_free(&vars);
    s_args_free(&out);
    return rc;
}

// `pikoci pipeline validate FILE [--var K=V]... [-v VARS.json]`: PikoCI's
// spelling of `pikoci validate`.
int
pk_cmd_pipeline(int argc, char **argv)
{
    const char *verb = argc > 1 ? argv[1] : NULL;
    if (!verb || !strcmp(verb, "-h") || !strcmp(verb, "--help")) {
        fprintf(verb ? stdout : stderr,
            "usage: pikoci pipeline validate FILE [--var NAME=VALUE]... [-v|--vars VARS.json]\n"
            "                                [validate's other options]\n\n"
            "PikoCI's spelling of `pikoci validate FILE` (-v is --vars); see\n"
            "`pikoci validate --help`. `pikoci pipeline edit` is not available yet.\n");
        return verb ? 0 : 2;
    }
    if (!strcmp(verb, "edit"))
        return s_not_yet("`pipeline edit`", "edit the file, then `pikoci validate FILE`");
    if (strcmp(verb, "validate")) {
        fprintf(stderr, "pikoci pipeline: unknown verb '%s' (validate; edit is not available "
                "yet)\n", verb);
        return 2;
    }
    s_args_t out = { 0 };
    s_push(&out, "validate", 8);
    for (int i = 2; i < argc; i++) {
        const char *a = !strcmp(argv[i], "-v") ? "--vars" : argv[i];
        s_push(&out, a, strlen(a));
    }
    int rc = s_run(&out);
    s_args_free(&out);
    return rc;
}
