// cli: what the client subcommands of pikoci share (tools/cmd_common.c):
// the global options (--server, --json, --timeout, --curve-cert,
// --curve-server-key, --token, --team), one request helper that
// turns every outcome into the exit code the CLI promises (0 ok, 1 refused
// by the server, 2 usage, 3 the server cannot be reached or did not answer,
// 4 not logged in or not allowed),
// P/J/N argument splitting, reply field access and aligned tables.
//
// Replies are decoded into pk_value trees: the CLI only reads them, and the
// same tree prints as JSON for --json.
#ifndef PK_CLI_H
#define PK_CLI_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "pk_client.h"
#include "pk_value.h"

#define PK_CLI_OK 0
#define PK_CLI_REFUSED 1
#define PK_CLI_USAGE 2
#define PK_CLI_UNREACHABLE 3
#define PK_CLI_DENIED 4

#define PK_CLI_GLOBAL_HELP \
    "global options:\n" \
    "  --server ENDPOINT  the server (default: $PIKOCI_SERVER, else tcp://127.0.0.1:7650)\n" \
    "  --json             print the server's reply as JSON instead of a table\n" \
    "  --timeout DURATION how long to wait for the server (default 15s; e.g. 500ms, 1m)\n" \
    "  --curve-cert FILE  talk CURVE with this secret certificate (from `pikoci keygen`;\n" \
    "                     default $PIKOCI_CURVE_CERT); needs --curve-server-key\n" \
    "  --curve-server-key KEY|FILE  the server's public key, or its .cert file\n" \
    "                     (default $PIKOCI_CURVE_SERVER_KEY)\n" \
    "  --token TOKEN      the API token to use (default $PIKOCI_TOKEN, else the one\n" \
    "                     `pikoci login` stored for this server, else, for a server\n" \
    "                     on this machine run by you, the token it wrote at first start)\n" \
    "  --team TEAM        the team whose pipelines are meant (default $PIKOCI_TEAM;\n" \
    "                     else a pipeline's own team, main for a new one, and\n" \
    "                     every team you can read for `pipelines`)\n" \
    "  -h, --help         show this help\n"

#define PK_CLI_EXIT_HELP \
    "exit status: 0 ok, 1 refused by the server (unknown name, invalid input),\n" \
    "2 usage error, 3 the server cannot be reached or did not answer,\n" \
    "4 not logged in, or not allowed (the token or the role in the team).\n"

typedef struct {
    const char *cmd;        // "pikoci jobs", for messages
    const char *server;
    bool json;
    int timeout_ms;
    pk_curve_client_t curve;    // --curve-cert, --curve-server-key (both or neither)
    const char *token;          // --token (else found by pk_cred_find)
    const char *team;           // --team / $PIKOCI_TEAM, NULL: the server's default
    pk_client_t *client;    // opened by pk_cli_open
} pk_cli_t;

// Defaults from the environment.
void pk_cli_init(pk_cli_t *cli, const char *cmd);
// Settings this program's client cannot serve (pk_client_speaks): the
// small front end execs the full program with the same arguments (never
// returns); the full program serves everything (returns). pk_cli_init and
// pk_cli_global call it as soon as the settings say so. (tools/pikoci.c)
void pk_cli_handoff(pk_cli_t *cli);
void pk_cli_close(pk_cli_t *cli);

// Consume a global option at argv[*i] (advancing *i past its value):
// 1 consumed, 0 not a global option, -1 bad (message printed: exit 2).
int pk_cli_global(pk_cli_t *cli, int argc, char **argv, int *i);
// "--opt VALUE" or "--opt=VALUE" at argv[*i]: the value (advancing *i), or
// NULL. *missing is set when the option is there without a value.
const char *pk_cli_option(int argc, char **argv, int *i, const char *opt, bool *missing);
// A command that takes only the global options: -1 when argv holds nothing
// else (go on), else the exit code (PK_CLI_OK after usage(stdout) for
// --help, PK_CLI_USAGE with the message printed).
int pk_cli_only_globals(pk_cli_t *cli, int argc, char **argv, void (*usage)(FILE *));
// Is argv[i] -h or --help?
bool pk_cli_is_help(const char *arg);
// Print "CMD: message" on stderr and return PK_CLI_USAGE.
int pk_cli_usage_error(pk_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Split "a/b/c" into at least min and at most max non-empty parts (copied
// into parts[], caller frees each). The count, or -1 (message printed).
int pk_cli_split(pk_cli_t *cli, const char *arg, const char *what, int min, int max,
                 char **parts);

// Connect (waiting at most min(timeout, 3 s) for the connection): 0, or
// PK_CLI_UNREACHABLE with the reason printed (PK_CLI_USAGE when the CURVE
// files do not load).
int pk_cli_open(pk_cli_t *cli);
// Request op; args as NULL-terminated key/value pairs. Returns PK_CLI_OK
// with *out set (the reply body, or NULL when it had none; caller
// destroys), or PK_CLI_REFUSED / PK_CLI_UNREACHABLE with the reason printed
// (and each line of a reply's "errors" list). Opens the client if needed.
int pk_cli_request(pk_cli_t *cli, const char *op, const void *body, size_t body_size,
                   pk_value_t **out, ...);
int pk_cli_request_kv(pk_cli_t *cli, const char *op, const pk_kv_t *args, const void *body,
                      size_t body_size, pk_value_t **out);
// The same in two halves, for requests in flight together (`logs` reads
// the next piece while the last one is written): replies are collected
// with pk_cli_reply in the order the requests were sent.
int pk_cli_send_kv(pk_cli_t *cli, const char *op, const pk_kv_t *args, const void *body,
                   size_t body_size, uint64_t *rid);
int pk_cli_reply(pk_cli_t *cli, uint64_t rid, pk_value_t **out);
// Print v as JSON and a newline.
void pk_cli_print_json(const pk_value_t *v);

// Reply fields: "" / 0 / false when absent or of another kind.
const char *pk_cli_str(const pk_value_t *o, const char *key);
int64_t pk_cli_int(const pk_value_t *o, const char *key);
bool pk_cli_bool(const pk_value_t *o, const char *key);
// "2026-11-28 14:03:07" (UTC) or "-" for 0, into buf.
const char *pk_cli_time(int64_t unix_ms, char *buf, size_t len);
// "1m30s" between two unix ms times (to 0: until now), "-" when from is 0.
const char *pk_cli_span(int64_t from_ms, int64_t to_ms, char *buf, size_t len);

// Aligned tables: add the header, then rows (each cell copied), print.
typedef struct _pk_cli_table_t pk_cli_table_t;
pk_cli_table_t *pk_cli_table_new(int columns, ...);
void pk_cli_table_row(pk_cli_table_t *self, ...);
void pk_cli_table_print(pk_cli_table_t *self, FILE *out);
void pk_cli_table_destroy(pk_cli_table_t **self_p);

// Write the log of P/J[/N] to stdout from byte offset on, exactly as stored,
// until its end -- or, when follow, until the build has finished (woken by
// "log." and "build." events, polling every 200 ms). *status_out (may be
// NULL) gets the build's last known status (caller frees). Exit code.
int pk_cli_logs(pk_cli_t *cli, const char *pipeline, const char *job, const char *number,
                uint64_t offset, bool follow, char **status_out);

// How many workers the broker knows, or -1 (no answer; nothing printed
// beyond pk_cli_request's reason).
int pk_cli_worker_count(pk_cli_t *cli);
// What a server with no worker means, said by `pikoci workers` and by a
// refused trigger.
#define PK_CLI_NO_WORKER \
    "no worker is connected: checks and builds wait for one (`pikoci worker --broker " \
    "ENDPOINT`; `pikoci server` runs one itself unless --run-worker=false)"
// `pikoci build P/J/N --report`: the build as one JSON document on stdout
// (cmd_report.c describes its shape). Exit code.
int pk_cli_build_report(pk_cli_t *cli, const char *pipeline, const char *job,
                        const char *number);

#endif
