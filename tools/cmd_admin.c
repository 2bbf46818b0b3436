// cmd_admin: `pikoci tokens`, `users`, `teams` and `audit` -- thin clients
// of control's identity ops (actors/control_admin.c). Each subcommand is a
// row: its op, its positional arguments (request args, in order) and the
// options it takes; the answer prints as a table, or JSON with --json.
#include "cli.h"
#include "pk_cmds.h"
#include "pk_duration.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *pk_cli_read_password(const char *prompt);     // cmd_auth.c

typedef struct {
    const char *name;           // "create"
    const char *op;             // "tokens.create"
    const char *pos[3];         // positional args, in order (required unless '?' ends it)
    const char *opts;           // options with a value, space-separated: "label expires"
    const char *flags;          // options without one (value "1"): "admin"
    bool password;              // reads a password (terminal or stdin)
    const char *help;
} s_sub_t;

typedef struct {
    const char *cmd;
    const s_sub_t *subs;
    const char *about;
} s_group_t;

static const s_sub_t s_tokens[] = {
    { "create", "tokens.create", { NULL }, "label expires", "", false,
      "a new API token for you, printed once (--label TEXT, --expires 30d)" },
    { "list", "tokens.list", { NULL }, "user", "all", false,
      "your tokens (a global admin: --user NAME, or --all)" },
    { "revoke", "tokens.revoke", { "id" }, "", "", false,
      "revoke token ID at once (a global admin: anyone's)" },
    { NULL }
};

static const s_sub_t s_users[] = {
    { "list", "users.list", { NULL }, "", "", false, "every user (global admin)" },
    { "create", "users.create", { "user" }, "", "admin", true,
      "a user with a password from the terminal or stdin (--admin: a global admin)" },
    { "remove", "users.remove", { "user" }, "", "", false,
      "remove a user, their memberships and tokens" },
    { "passwd", "users.passwd", { "user?" }, "", "", true,
      "set your password (a global admin: anyone's), from the terminal or stdin" },
    { NULL }
};

static const s_sub_t s_teams[] = {
    { "list", "teams.list", { NULL }, "", "", false, "the teams you are in, with your role" },
    { "create", "teams.create", { "team" }, "admin", "", false,
      "a team, with --admin USER (default you) as its admin (global admin)" },
    { "remove", "teams.remove", { "team" }, "", "", false, "remove a team (global admin)" },
    { "members", "teams.members", { "team?" }, "", "", false,
      "a team's members and roles (default --team)" },
    { "grant", "teams.grant", { "team", "user", "role" }, "", "", false,
      "give USER the ROLE (read, write, maintain, admin) in TEAM" },
    { "revoke", "teams.revoke", { "team", "user" }, "", "", false,
      "take USER out of TEAM (a team keeps at least one admin)" },
    { NULL }
};

static void
s_group_usage(const s_group_t *g, FILE *out)
{
    fprintf(out, "usage: pikoci %s SUBCOMMAND [ARGS] [global options]\n\n%s\n\nsubcommands:\n",
            g->cmd, g->about);
    for (const s_sub_t *s = g->subs; s->name; s++) {
        char line[256];
        int n = snprintf(line, sizeof line, "%s", s->name);
        for (int i = 0; i < 3 && s->pos[i]; i++) {
            bool opt = s->pos[i][strlen(s->pos[i]) - 1] == '?';
            char up[32];
            snprintf(up, sizeof up, "%.*s", (int) strlen(s->pos[i]) - (opt ? 1 : 0), s->pos[i]);
            for (char *c = up; *c; c++)
                *c = (char) (*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            n += snprintf(line + n, sizeof line - (size_t) n, opt ? " [%s]" : " %s", up);
        }
        fprintf(out, "  %-26s %s\n", line, s->help);
    }
    fprintf(out, "\n" PK_CLI_GLOBAL_HELP "\n" PK_CLI_EXIT_HELP);
}

static bool
s_in(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ' ' || !p[len]))
            return true;
    return false;
}

static void
s_print(pk_cli_t *cli, const s_sub_t *s, const pk_value_t *v)
{
    if (cli->json) {
        pk_cli_print_json(v);
        return;
    }
    if (!strcmp(s->op, "tokens.create")) {
        printf("%s\n", pk_cli_str(v, "token"));
        fprintf(stderr, "token %s for %s: shown only this once (use it with --token or "
                "PIKOCI_TOKEN, or `pikoci login --token`)\n", pk_cli_str(v, "id"),
                pk_cli_str(v, "user"));
        return;
    }
    if (pk_value_kind(v) != PK_V_LIST) {
        printf("ok\n");
        return;
    }
    char t1[32], t2[32], t3[32];
    pk_cli_table_t *t = NULL;
    for (size_t i = 0; i < pk_value_len(v); i++) {
        const pk_value_t *r = pk_value_list_at(v, i);
        if (!strcmp(s->op, "tokens.list")) {
            if (!t)
                t = pk_cli_table_new(6, "ID", "USER", "LABEL", "CREATED", "EXPIRES", "LAST USED");
            char id[40];
            snprintf(id, sizeof id, "%s%s", pk_cli_str(r, "id"),
                     pk_cli_bool(r, "current") ? " *" : "");
            pk_cli_table_row(t, id, pk_cli_str(r, "user"), pk_cli_str(r, "label"),
                             pk_cli_time(pk_cli_int(r, "created_ms"), t1, sizeof t1),
                             pk_cli_int(r, "expires_ms") ? pk_cli_time(pk_cli_int(r, "expires_ms"),
                                                                       t2, sizeof t2) : "never",
                             pk_cli_time(pk_cli_int(r, "last_used_ms"), t3, sizeof t3));
        }
        else
        if (!strcmp(s->op, "users.list")) {
            if (!t)
                t = pk_cli_table_new(4, "USER", "ADMIN", "PASSWORD", "CREATED");
            pk_cli_table_row(t, pk_cli_str(r, "name"), pk_cli_bool(r, "admin") ? "yes" : "no",
                             pk_cli_bool(r, "password") ? "set" : "none",
                             pk_cli_time(pk_cli_int(r, "created_ms"), t1, sizeof t1));
        }
        else
        if (!strcmp(s->op, "teams.list")) {
            if (!t)
                t = pk_cli_table_new(2, "TEAM", "ROLE");
            pk_cli_table_row(t, pk_cli_str(r, "name"), pk_cli_str(r, "role"));
        }
        else {
            if (!t)
                t = pk_cli_table_new(2, "USER", "ROLE");
            pk_cli_table_row(t, pk_cli_str(r, "user"), pk_cli_str(r, "role"));
        }
    }
    if (t) {
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
    }
}

static int
s_group(const s_group_t *g, int argc, char **argv)
{
    pk_cli_t cli;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "pikoci %s", g->cmd);
    pk_cli_init(&cli, cmd);
    if (argc < 2 || pk_cli_is_help(argv[1])) {
        s_group_usage(g, argc < 2 ? stderr : stdout);
        return argc < 2 ? PK_CLI_USAGE : PK_CLI_OK;
    }
    const s_sub_t *s = g->subs;
    while (s->name && strcmp(s->name, argv[1]))
        s++;
    if (!s->name)
        return pk_cli_usage_error(&cli, "unknown subcommand '%s'", argv[1]);
    pk_kv_t args = { 0 };
    int npos = 0, rc = PK_CLI_OK;
    for (int i = 2; i < argc && rc == PK_CLI_OK; i++) {
        if (pk_cli_is_help(argv[i])) {
            s_group_usage(g, stdout);
            pk_kv_clear(&args);
            return PK_CLI_OK;
        }
        if (!strncmp(argv[i], "--", 2) && s_in(s->flags, argv[i] + 2)) {
            pk_kv_set(&args, argv[i] + 2, "1");
            continue;
        }
        if (!strncmp(argv[i], "--", 2)) {
            char name[40];
            snprintf(name, sizeof name, "%.*s", (int) strcspn(argv[i] + 2, "="), argv[i] + 2);
            bool missing = false;
            const char *v;
            char opt[48];
            snprintf(opt, sizeof opt, "--%s", name);
            if (s_in(s->opts, name) && (v = pk_cli_option(argc, argv, &i, opt, &missing))) {
                pk_kv_set(&args, name, v);
                continue;
            }
            if (missing) {
                rc = pk_cli_usage_error(&cli, "%s needs a value", opt);
                break;
            }
            int gl = pk_cli_global(&cli, argc, argv, &i);
            if (gl < 0)
                rc = PK_CLI_USAGE;
            else
            if (!gl)
                rc = pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
            continue;
        }
        if (npos >= 3 || !s->pos[npos]) {
            rc = pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
            break;
        }
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int) strcspn(s->pos[npos], "?"), s->pos[npos]);
        pk_kv_set(&args, name, argv[i]);
        npos++;
    }
    if (rc == PK_CLI_OK && npos < 3 && s->pos[npos] && !strchr(s->pos[npos], '?'))
        rc = pk_cli_usage_error(&cli, "%s %s needs %s", g->cmd, s->name, s->pos[npos]);
    if (rc == PK_CLI_OK && !strcmp(s->op, "tokens.list") && pk_kv_get(&args, "all"))
        pk_kv_set(&args, "user", "*");
    if (rc == PK_CLI_OK && !strcmp(s->op, "teams.members") && !pk_kv_get(&args, "team")
        && cli.team)
        pk_kv_set(&args, "team", cli.team);
    if (rc == PK_CLI_OK && s->password) {
        char *pw = pk_cli_read_password("password: ");
        if (!pw && !strcmp(s->op, "users.passwd"))
            rc = pk_cli_usage_error(&cli, "no password given (on the terminal or stdin)");
        if (pw && *pw)
            pk_kv_set(&args, "password", pw);
        if (pw)
            explicit_bzero(pw, strlen(pw));
        free(pw);
    }
    if (rc == PK_CLI_OK) {
        // team ops name their team themselves: --team must not overrule it
        if (pk_kv_get(&args, "team"))
            cli.team = NULL;
        pk_value_t *v = NULL;
        rc = pk_cli_request_kv(&cli, s->op, &args, NULL, 0, &v);
        if (rc == PK_CLI_OK)
            s_print(&cli, s, v);
        pk_value_destroy(&v);
    }
    pk_kv_clear(&args);
    pk_cli_close(&cli);
    return rc;
}

int
pk_cmd_tokens(int argc, char **argv)
{
    static const s_group_t g = { "tokens", s_tokens,
        "Your API tokens. A token is shown once when made; the server keeps only its\n"
        "hash. Revoking one stops it at its very next request." };
    return s_group(&g, argc, argv);
}

int
pk_cmd_users(int argc, char **argv)
{
    static const s_group_t g = { "users", s_users,
        "The server's users (a global admin's business, except passwd for yourself).\n"
        "Passwords are stored only as Argon2id hashes." };
    return s_group(&g, argc, argv);
}

int
pk_cmd_teams(int argc, char **argv)
{
    static const s_group_t g = { "teams", s_teams,
        "Teams own pipelines; members have a role in each: read (see pipelines, builds,\n"
        "logs) < write (trigger, cancel, retry, pause, pin, check) < maintain (set and\n"
        "remove pipelines, approve, reject, webhook tokens) < admin (members)." };
    return s_group(&g, argc, argv);
}

// --- pikoci audit

static void
s_audit_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci audit [--user U] [--action A] [--since T] [--before MS] [--limit N]\n"
        "                    [global options]\n"
        "\n"
        "The audit log, newest first (a global admin's): every state-changing request,\n"
        "login and token change, and every refused request, with who, when, what, on\n"
        "what and how it ended (ok, failed, refused).\n"
        "\n"
        "options:\n"
        "  --user U           only U's entries (\"anonymous\": requests without a token)\n"
        "  --action A         only op A (trigger, pipeline.set, login, logs, ...)\n"
        "  --since T          only entries of the last T (a duration: 1h, 7d)\n"
        "  --before MS        only entries before this time (unix ms): the next page is\n"
        "                     --before the TIME_MS of the last entry shown (see --json)\n"
        "  --limit N          at most N entries (default 100)\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "\n"
        PK_CLI_EXIT_HELP);
}

int
pk_cmd_audit(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci audit");
    pk_kv_t args = { 0 };
    int rc = PK_CLI_OK;
    for (int i = 1; i < argc && rc == PK_CLI_OK; i++) {
        bool missing = false;
        const char *v = NULL;
        if (pk_cli_is_help(argv[i])) {
            s_audit_usage(stdout);
            pk_kv_clear(&args);
            return PK_CLI_OK;
        }
        static const char *const opts[] = { "user", "action", "since", "before", "limit", NULL };
        bool took = false;
        for (int k = 0; opts[k] && !took && !missing; k++) {
            char opt[32];
            snprintf(opt, sizeof opt, "--%s", opts[k]);
            if ((v = pk_cli_option(argc, argv, &i, opt, &missing))) {
                took = true;
                if (!strcmp(opts[k], "since")) {
                    int64_t ms;
                    char *err = NULL;
                    if (pk_duration_parse(v, &ms, &err) != 0 || ms <= 0) {
                        rc = pk_cli_usage_error(&cli, "--since: %s", err ? err : "not a duration");
                        free(err);
                        break;
                    }
                    char buf[32];
                    snprintf(buf, sizeof buf, "%lld",
                             (long long) ((int64_t) time(NULL) * 1000 - ms));
                    pk_kv_set(&args, "since_ms", buf);
                }
                else
                    pk_kv_set(&args, !strcmp(opts[k], "before") ? "before_ms" : opts[k], v);
            }
        }
        if (took || rc != PK_CLI_OK)
            continue;
        if (missing) {
            rc = pk_cli_usage_error(&cli, "%s needs a value", argv[i]);
            break;
        }
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            rc = PK_CLI_USAGE;
        else
        if (!g)
            rc = pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
    }
    pk_value_t *v = NULL;
    if (rc == PK_CLI_OK)
        rc = pk_cli_request_kv(&cli, "audit", &args, NULL, 0, &v);
    if (rc == PK_CLI_OK && cli.json)
        pk_cli_print_json(v);
    else
    if (rc == PK_CLI_OK) {
        pk_cli_table_t *t = pk_cli_table_new(6, "TIME", "USER", "ACTION", "TARGET", "RESULT",
                                             "DETAIL");
        char when[32];
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *e = pk_value_list_at(v, i);
            pk_cli_table_row(t, pk_cli_time(pk_cli_int(e, "time_ms"), when, sizeof when),
                             pk_cli_str(e, "user"), pk_cli_str(e, "action"),
                             pk_cli_str(e, "target"), pk_cli_str(e, "result"),
                             pk_cli_str(e, "detail"));
        }
        pk_cli_table_print(t, stdout);
        pk_cli_table_destroy(&t);
    }
    pk_value_destroy(&v);
    pk_kv_clear(&args);
    pk_cli_close(&cli);
    return rc;
}
