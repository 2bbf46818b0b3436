// cmd_common: the helpers every client subcommand uses (cli.h). Kept apart
// from the commands so that each cmd_*.c reads as argument parsing plus
// printing, and the exit-code rules live in one place.
#include "cli.h"
#include "pk_cred.h"
#include "pk_duration.h"
#include "pk_value_msgpack.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_DEFAULT_SERVER "tcp://127.0.0.1:7650"
#define S_DEFAULT_TIMEOUT_MS 15000      // above control's 10 s forward timeout
#define S_CONNECT_MAX_MS 3000

// A server this program's client cannot reach itself (CURVE, a transport
// other than tcp:// and ipc:// in the small front end) goes to the full
// program, as soon as the settings say so: before a command reads stdin or
// a password, which the full program will read.
static void
s_reachable(pk_cli_t *cli)
{
    if (!pk_client_speaks(cli->server, &cli->curve))
        pk_cli_handoff(cli);
}

void
pk_cli_init(pk_cli_t *cli, const char *cmd)
{
    memset(cli, 0, sizeof *cli);
    cli->cmd = cmd;
    // czmq would install handlers with the first socket that only set
    // zsys_interrupted, which no command looks at: `logs -f` and `trigger
    // --watch` outlived Ctrl-C and `timeout`. A client has nothing to tidy,
    // so the dispositions it started with stand: die by the signal (the
    // shell shows 130 for SIGINT, 143 for SIGTERM). (The front end has no
    // czmq, and so no handlers.)
#ifndef PK_FRONT_END
    zsys_handler_set(NULL);
#endif
    const char *env = getenv("PIKOCI_SERVER");
    cli->server = env && *env ? env : S_DEFAULT_SERVER;
    cli->timeout_ms = S_DEFAULT_TIMEOUT_MS;
    env = getenv("PIKOCI_CURVE_CERT");
    cli->curve.cert = env && *env ? env : NULL;
    env = getenv("PIKOCI_CURVE_SERVER_KEY");
    cli->curve.server_key = env && *env ? env : NULL;
    env = getenv("PIKOCI_TEAM");
    cli->team = env && *env ? env : NULL;
    s_reachable(cli);
}

void
pk_cli_close(pk_cli_t *cli)
{
    pk_client_destroy(&cli->client);
}

bool
pk_cli_is_help(const char *arg)
{
    return !strcmp(arg, "-h") || !strcmp(arg, "--help");
}

int
pk_cli_usage_error(pk_cli_t *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli->cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see '%s --help')\n", cli->cmd);
    va_end(ap);
    return PK_CLI_USAGE;
}

const char *
pk_cli_option(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t len = strlen(opt);
    *missing = false;
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
pk_cli_only_globals(pk_cli_t *cli, int argc, char **argv, void (*usage)(FILE *))
{
    for (int i = 1; i < argc; i++) {
        if (pk_cli_is_help(argv[i])) {
            usage(stdout);
            return PK_CLI_OK;
        }
        int g = pk_cli_global(cli, argc, argv, &i);
        if (g < 0)
            return PK_CLI_USAGE;
        if (!g)
            return pk_cli_usage_error(cli, "unexpected argument '%s'", argv[i]);
    }
    return -1;
}

int
pk_cli_global(pk_cli_t *cli, int argc, char **argv, int *i)
{
    bool missing = false;
    const char *v;
    if (!strcmp(argv[*i], "--json")) {
        cli->json = true;
        return 1;
    }
    if ((v = pk_cli_option(argc, argv, i, "--server", &missing))) {
        if (!*v)
            return pk_cli_usage_error(cli, "--server needs an endpoint"), -1;
        cli->server = v;
        s_reachable(cli);
        return 1;
    }
    if (!missing && (v = pk_cli_option(argc, argv, i, "--curve-cert", &missing))) {
        cli->curve.cert = *v ? v : NULL;
        s_reachable(cli);
        return 1;
    }
    if (!missing && (v = pk_cli_option(argc, argv, i, "--curve-server-key", &missing))) {
        cli->curve.server_key = *v ? v : NULL;
        s_reachable(cli);
        return 1;
    }
    if (!missing && (v = pk_cli_option(argc, argv, i, "--token", &missing))) {
        cli->token = *v ? v : NULL;
        return 1;
    }
    if (!missing && (v = pk_cli_option(argc, argv, i, "--team", &missing))) {
        if (!*v)
            return pk_cli_usage_error(cli, "--team needs a team name"), -1;
        cli->team = v;
        return 1;
    }
    if (!missing && (v = pk_cli_option(argc, argv, i, "--timeout", &missing))) {
        int64_t ms;
        char *err = NULL;
        // a bare number is milliseconds
        if (strspn(v, "0123456789") == strlen(v) && *v && strlen(v) < 10)
            ms = atol(v);
        else
        if (pk_duration_parse(v, &ms, &err) != 0) {
            pk_cli_usage_error(cli, "--timeout: %s", err ? err : "not a duration");
            free(err);
            return -1;
        }
        if (ms <= 0 || ms > 24LL * 3600 * 1000)
            return pk_cli_usage_error(cli, "--timeout must be between 1ms and 24h"), -1;
        cli->timeout_ms = (int) ms;
        return 1;
    }
    if (missing)
        return pk_cli_usage_error(cli, "%s needs a value", argv[*i]), -1;
    return 0;
}

int
pk_cli_split(pk_cli_t *cli, const char *arg, const char *what, int min, int max, char **parts)
{
    int n = 0;
    const char *at = arg;
    for (;;) {
        const char *slash = strchr(at, '/');
        size_t len = slash ? (size_t) (slash - at) : strlen(at);
        if (!len || n == max) {
            for (int k = 0; k < n; k++)
                free(parts[k]);
            pk_cli_usage_error(cli, "'%s' is not %s", arg, what);
            return -1;
        }
        parts[n++] = strndup(at, len);
        if (!slash)
            break;
        at = slash + 1;
    }
    if (n < min) {
        for (int k = 0; k < n; k++)
            free(parts[k]);
        pk_cli_usage_error(cli, "'%s' is not %s", arg, what);
        return -1;
    }
    return n;
}

int
pk_cli_open(pk_cli_t *cli)
{
    if (cli->client)
        return PK_CLI_OK;
    char *err = NULL;
    // unusable keys are a usage error, not an unreachable server
    if (pk_curve_client_check(&cli->curve, &err) != 0) {
        fprintf(stderr, "%s: %s\n", cli->cmd, err ? err : "bad CURVE settings");
        free(err);
        return PK_CLI_USAGE;
    }
    cli->client = pk_client_new_secure(cli->server, &cli->curve, &err);
    if (!cli->client) {
        fprintf(stderr, "%s: %s\n", cli->cmd, err ? err : "cannot create a client");
        free(err);
        return PK_CLI_UNREACHABLE;
    }
    char *token = pk_cred_find(cli->server, cli->token, NULL);
    pk_client_set_token(cli->client, token);
    if (token)
        explicit_bzero(token, strlen(token));
    free(token);
    int wait = cli->timeout_ms < S_CONNECT_MAX_MS ? cli->timeout_ms : S_CONNECT_MAX_MS;
    if (pk_client_connect(cli->client, wait) != 0) {
        if (pk_curve_client_set(&cli->curve))
            fprintf(stderr, "%s: cannot reach the server at %s over CURVE (is it running? "
                    "does it allow our key, and is --curve-server-key its key?)\n", cli->cmd,
                    cli->server);
        else
        if (!pk_curve_is_loopback(cli->server))
            fprintf(stderr, "%s: cannot reach the server at %s: one beyond loopback uses CURVE, "
                    "so give keys: PIKOCI_CURVE_CERT and PIKOCI_CURVE_SERVER_KEY in the "
                    "environment (or --curve-cert/--curve-server-key)\n", cli->cmd, cli->server);
        else
            fprintf(stderr, "%s: cannot reach the server at %s (is 'pikoci server' running? "
                    "see --server or PIKOCI_SERVER; if it uses CURVE, set PIKOCI_CURVE_CERT "
                    "and PIKOCI_CURVE_SERVER_KEY)\n", cli->cmd, cli->server);
        return PK_CLI_UNREACHABLE;
    }
    return PK_CLI_OK;
}

int
pk_cli_send_kv(pk_cli_t *cli, const char *op, const pk_kv_t *args, const void *body,
               size_t body_size, uint64_t *rid)
{
    *rid = 0;
    int rc = pk_cli_open(cli);
    if (rc != PK_CLI_OK)
        return rc;
    pk_kv_t with_team = { 0 };
    if (cli->team && (!args || !pk_kv_get(args, "team"))) {
        for (size_t i = 0; args && i < args->count; i++)
            pk_kv_set(&with_team, args->keys[i], args->values[i]);
        pk_kv_set(&with_team, "team", cli->team);
        args = &with_team;
    }
    rc = pk_client_send(cli->client, op, args, body, body_size, cli->timeout_ms, rid);
    pk_kv_clear(&with_team);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", cli->cmd, pk_client_error(cli->client));
        return PK_CLI_UNREACHABLE;
    }
    return PK_CLI_OK;
}

int
pk_cli_reply(pk_cli_t *cli, uint64_t rid, pk_value_t **out)
{
    *out = NULL;
    uint8_t *reply = NULL;
    size_t size = 0;
    char *error = NULL;
    int rc = pk_client_reply(cli->client, rid, cli->timeout_ms, &reply, &size, &error);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", cli->cmd, pk_client_error(cli->client));
        return PK_CLI_UNREACHABLE;
    }
    pk_value_t *v = reply ? pk_value_unpack(reply, size) : NULL;
    free(reply);
    if (rc == 1 && pk_client_denied(cli->client)) {
        fprintf(stderr, "%s: %s\n", cli->cmd, error);
        free(error);
        pk_value_destroy(&v);
        return PK_CLI_DENIED;
    }
    if (rc == 1) {
        fprintf(stderr, "%s: %s\n", cli->cmd, error);
        const pk_value_t *errors = pk_value_object_get(v, "errors");
        for (size_t i = 0; i < pk_value_len(errors); i++) {
            const pk_value_t *e = pk_value_list_at(errors, i);
            if (pk_value_kind(e) == PK_V_STRING)
                fprintf(stderr, "%s\n", pk_value_string(e));
        }
        free(error);
        pk_value_destroy(&v);
        return PK_CLI_REFUSED;
    }
    *out = v;
    return PK_CLI_OK;
}

int
pk_cli_request_kv(pk_cli_t *cli, const char *op, const pk_kv_t *args, const void *body,
                  size_t body_size, pk_value_t **out)
{
    *out = NULL;
    uint64_t rid;
    int rc = pk_cli_send_kv(cli, op, args, body, body_size, &rid);
    return rc == PK_CLI_OK ? pk_cli_reply(cli, rid, out) : rc;
}

int
pk_cli_request(pk_cli_t *cli, const char *op, const void *body, size_t body_size,
               pk_value_t **out, ...)
{
    pk_kv_t args = { 0 };
    va_list ap;
    va_start(ap, out);
    pk_kv_set_va(&args, ap);
    va_end(ap);
    int rc = pk_cli_request_kv(cli, op, &args, body, body_size, out);
    pk_kv_clear(&args);
    return rc;
}

void
pk_cli_print_json(const pk_value_t *v)
{
    char *json = v ? pk_value_to_json(v) : NULL;
    printf("%s\n", json ? json : "null");
    free(json);
}

const char *
pk_cli_str(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_STRING ? pk_value_string(v) : "";
}

int64_t
pk_cli_int(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_NUMBER ? (int64_t) pk_value_number(v) : 0;
}

bool
pk_cli_bool(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_BOOL && pk_value_bool(v);
}

const char *
pk_cli_time(int64_t unix_ms, char *buf, size_t len)
{
    if (unix_ms <= 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    time_t t = (time_t) (unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

const char *
pk_cli_span(int64_t from_ms, int64_t to_ms, char *buf, size_t len)
{
    if (from_ms <= 0) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (to_ms <= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        to_ms = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    int64_t ms = to_ms > from_ms ? to_ms - from_ms : 0;
    ms -= ms % (ms >= 60000 ? 1000 : ms >= 1000 ? 100 : 1);  // no false precision
    char *s = pk_duration_format(ms);
    snprintf(buf, len, "%s", s ? s : "?");
    free(s);
    return buf;
}

// --- tables

struct _pk_cli_table_t {
    int columns;
    size_t rows, cap;
    char **cells;           // rows * columns, the header first
};

// A cell as the terminal may show it: one line per row (newline and tab
// become spaces), and control bytes -- C0, DEL, and C1 as UTF-8 (0xC2
// 0x80-0x9F) -- written as \xNN, so no value (a check's error, a build's
// reason) can move the cursor, recolour or retitle the user's terminal.
static char *
s_cell(const char *s)
{
    char *out = malloc(strlen(s) * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '\n' || *p == '\t')
            *o++ = ' ';
        else if (*p < 0x20 || *p == 0x7f)
            o += sprintf(o, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            o += sprintf(o, "\\xc2\\x%02x", p[1]);
            p++;
        }
        else
            *o++ = (char) *p;
    }
    *o = 0;
    return out;
}

static void
s_table_add(pk_cli_table_t *self, va_list ap)
{
    if (self->rows == self->cap) {
        self->cap = self->cap ? self->cap * 2 : 16;
        self->cells = realloc(self->cells, self->cap * (size_t) self->columns * sizeof(char *));
    }
    for (int c = 0; c < self->columns; c++) {
        const char *s = va_arg(ap, const char *);
        self->cells[self->rows * (size_t) self->columns + (size_t) c] = s_cell(s && *s ? s : "-");
    }
    self->rows++;
}

pk_cli_table_t *
pk_cli_table_new(int columns, ...)
{
    pk_cli_table_t *self = calloc(1, sizeof *self);
    self->columns = columns;
    va_list ap;
    va_start(ap, columns);
    s_table_add(self, ap);
    va_end(ap);
    return self;
}

void
pk_cli_table_row(pk_cli_table_t *self, ...)
{
    va_list ap;
    va_start(ap, self);
    s_table_add(self, ap);
    va_end(ap);
}

void
pk_cli_table_print(pk_cli_table_t *self, FILE *out)
{
    size_t *width = calloc((size_t) self->columns, sizeof *width);
    for (size_t r = 0; r < self->rows; r++)
        for (int c = 0; c < self->columns; c++) {
            size_t w = strlen(self->cells[r * (size_t) self->columns + (size_t) c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < self->rows; r++) {
        for (int c = 0; c < self->columns; c++) {
            const char *s = self->cells[r * (size_t) self->columns + (size_t) c];
            if (c == self->columns - 1)
                fprintf(out, "%s\n", s);
            else
                fprintf(out, "%-*s  ", (int) width[c], s);
        }
    }
    free(width);
}

void
pk_cli_table_destroy(pk_cli_table_t **self_p)
{
    pk_cli_table_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->rows * (size_t) self->columns; i++)
        free(self->cells[i]);
    free(self->cells);
    free(self);
    *self_p = NULL;
}
