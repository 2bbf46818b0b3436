// cmd_auth: who you are to a server -- `pikoci login`, `logout`, `whoami`
// and `tokens` (your API tokens). The token `login` gets is stored per
// server in ${XDG_CONFIG_HOME:-~/.config}/pikoci/ (mode 0600), where every
// later command finds it (lib/pk_cred.h has the order).
#include "cli.h"
#include "pk_cmds.h"
#include "pk_cred.h"
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

// One line of stdin, the prompt shown and echo off when it is a terminal
// and secret. Caller frees; NULL at end of input.
static char *
s_read_line(const char *prompt, bool secret)
{
    bool tty = isatty(STDIN_FILENO) && secret;
    if (isatty(STDIN_FILENO) && !secret)
        fprintf(stderr, "%s", prompt);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= (tcflag_t) ~ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (n <= 0) {
        free(line);
        return NULL;
    }
    line[strcspn(line, "\r\n")] = 0;
    return line;
}

// A password: one line of stdin (echo off when it is a terminal). Caller frees.
char *
pk_cli_read_password(const char *prompt)
{
    return s_read_line(prompt, true);
}

static void
s_login_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci login [--user NAME] [--expires DURATION] [global options]\n"
        "       pikoci login --token TOKEN [global options]\n"
        "       pikoci logout [global options]\n"
        "       pikoci whoami [global options]\n"
        "\n"
        "login asks the server for an API token with a user's password (read from the\n"
        "terminal, or one line of stdin) and stores it for this server in\n"
        "${XDG_CONFIG_HOME:-~/.config}/pikoci/ (mode 0600); later commands to the same\n"
        "--server use it. With --token, that token is checked and stored instead.\n"
        "logout revokes the stored token at the server and deletes it. whoami says\n"
        "which user the token is, and their role in each team.\n"
        "\n"
        "options:\n"
        "  --user NAME        the user (default: asked for, else $USER)\n"
        "  --expires DURATION the token stops working after this long (e.g. 12h, 30d)\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "\n"
        PK_CLI_EXIT_HELP);
}

static int
s_whoami_print(pk_cli_t *cli, const pk_value_t *v)
{
    if (cli->json) {
        pk_cli_print_json(v);
        return PK_CLI_OK;
    }
    printf("%s%s\n", pk_cli_str(v, "user"), pk_cli_bool(v, "admin") ? " (global admin)" : "");
    const pk_value_t *teams = pk_value_object_get(v, "teams");
    for (size_t i = 0; i < pk_value_len(teams); i++)
        printf("  %s: %s\n", pk_value_object_key(teams, i),
               pk_value_string(pk_value_object_at(teams, i)));
    return PK_CLI_OK;
}

static int
s_store(pk_cli_t *cli, const char *token, const char *user)
{
    char *path = pk_cred_login_file(cli->server), *err = NULL;
    if (!path || pk_cred_write(path, token, &err) != 0) {
        fprintf(stderr, "%s: %s\n", cli->cmd, err ? err : "no place to keep the token ($HOME)");
        free(err);
        free(path);
        return PK_CLI_USAGE;
    }
    fprintf(stderr, "logged in to %s as %s (token in %s)\n", cli->server, user, path);
    free(path);
    return PK_CLI_OK;
}

int
pk_cmd_login(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci login");
    const char *user = NULL, *expires = NULL;
    for (int i = 1; i < argc; i++) {
        bool missing = false;
        const char *v;
        if (pk_cli_is_help(argv[i])) {
            s_login_usage(stdout);
            return PK_CLI_OK;
        }
        if ((v = pk_cli_option(argc, argv, &i, "--user", &missing))) {
            user = v;
            continue;
        }
        if (!missing && (v = pk_cli_option(argc, argv, &i, "--expires", &missing))) {
            expires = v;
            continue;
        }
        if (missing)
            return pk_cli_usage_error(&cli, "%s needs a value", argv[i]);
        int g = pk_cli_global(&cli, argc, argv, &i);
        if (g < 0)
            return PK_CLI_USAGE;
        if (!g)
            return pk_cli_usage_error(&cli, "unexpected argument '%s'", argv[i]);
    }
    int rc;
    pk_value_t *v = NULL;
    if (cli.token) {                    // check it, then keep it
        if ((rc = pk_cli_request(&cli, "whoami", NULL, 0, &v, NULL)) == PK_CLI_OK)
            rc = s_store(&cli, cli.token, pk_cli_str(v, "user"));
        pk_value_destroy(&v);
        pk_cli_close(&cli);
        return rc;
    }
    char *asked = NULL;
    if (!user && isatty(STDIN_FILENO)) {
        asked = s_read_line("user: ", false);
        user = asked;
    }
    if (!user || !*user)
        user = getenv("USER");
    if (!user || !*user) {
        free(asked);
        return pk_cli_usage_error(&cli, "which user? (--user NAME)");
    }
    char *password = pk_cli_read_password("password: ");
    if (!password) {
        free(asked);
        return pk_cli_usage_error(&cli, "no password given (on the terminal or stdin)");
    }
    rc = pk_cli_request(&cli, "login", NULL, 0, &v, "user", user, "password", password,
                        "expires", expires, NULL);
    explicit_bzero(password, strlen(password));
    free(password);
    if (rc == PK_CLI_OK)
        rc = s_store(&cli, pk_cli_str(v, "token"), pk_cli_str(v, "user"));
    pk_value_destroy(&v);
    free(asked);
    pk_cli_close(&cli);
    return rc;
}

int
pk_cmd_logout(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci logout");
    int early = pk_cli_only_globals(&cli, argc, argv, s_login_usage);
    if (early >= 0)
        return early;
    char *path = pk_cred_login_file(cli.server), *err = NULL;
    char *token = pk_cred_read(path, &err);
    free(err);
    if (!token) {
        fprintf(stderr, "%s: not logged in to %s\n", cli.cmd, cli.server);
        free(path);
        return PK_CLI_REFUSED;
    }
    cli.token = token;
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, "logout", NULL, 0, &v, NULL);
    // the token is gone from here either way; a denied one was dead already
    unlink(path);
    if (rc == PK_CLI_OK || rc == PK_CLI_DENIED) {
        fprintf(stderr, "logged out of %s\n", cli.server);
        rc = PK_CLI_OK;
    }
    pk_value_destroy(&v);
    explicit_bzero(token, strlen(token));
    free(token);
    free(path);
    pk_cli_close(&cli);
    return rc;
}

int
pk_cmd_whoami(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci whoami");
    int early = pk_cli_only_globals(&cli, argc, argv, s_login_usage);
    if (early >= 0)
        return early;
    pk_value_t *v = NULL;
    int rc = pk_cli_request(&cli, "whoami", NULL, 0, &v, NULL);
    if (rc == PK_CLI_OK)
        rc = s_whoami_print(&cli, v);
    pk_value_destroy(&v);
    pk_cli_close(&cli);
    return rc;
}
