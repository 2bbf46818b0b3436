// cmd_logs: `pikoci logs P/J[/N] [-f]`, and the log follower that
// `pikoci trigger --watch` shares (pk_cli_logs in cli.h).
//
// The store is the only source of log bytes: events only say "something
// changed", and the follower then reads from its offset with the `logs`
// query, so what is printed is exactly what is stored, in order, without
// gaps or repeats -- even if events are dropped for a slow client. The
// 200 ms poll covers events that never come (a broker restart, a missed
// "build." event at the very end).
//
// A log that is already stored is read with S_AHEAD requests in flight:
// the server reads and sends the next piece while this one is written
// (the server answers in order; a piece shorter than asked means the
// requests in flight asked for the wrong offsets, and they are dropped).
#include "cli.h"
#include "pk_cmds.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define S_POLL_MS 200
#define S_PIECE (1u << 20)      // bytes one `logs` request asks for
#define S_AHEAD 2               // requests in flight while a stored log is read

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci logs PIPELINE/JOB[/NUMBER] [-f] [--offset BYTES] [global options]\n"
        "\n"
        "Write a build's log to stdout exactly as stored (every byte, no decoration).\n"
        "NUMBER is a build number (3) or a retry (3.1); without it, the job's newest\n"
        "build. The log is read from the server in pieces of 1 MiB, the next one\n"
        "asked for while the last is written.\n"
        "\n"
        "options:\n"
        "  -f, --follow       keep writing as the log grows, until the build has finished\n"
        "                     (SIGINT/SIGTERM stop it at once: exit 130/143)\n"
        "  --offset BYTES     start at this byte of the log (default 0)\n"
        "\n"
        PK_CLI_GLOBAL_HELP
        "With --json, the log is not written: its size, build and status are printed.\n"
        "\n"
        PK_CLI_EXIT_HELP);
}

// Wait for a wake-up: an event, or the poll interval. Events that queued
// meanwhile are all taken: one read catches up with all of them.
static void
s_wait(pk_cli_t *cli)
{
    pk_msg_t ev;
    if (pk_client_event(cli->client, S_POLL_MS, &ev) != 0)
        return;
    pk_msg_clear(&ev);
    while (pk_client_event(cli->client, 0, &ev) == 0)
        pk_msg_clear(&ev);
}

// Ask for the piece of the log at offset (number: NULL for the newest build).
static int
s_ask(pk_cli_t *cli, const char *pipeline, const char *job, const char *number,
      uint64_t offset, uint64_t *rid)
{
    char off[32], max[32];
    snprintf(off, sizeof off, "%" PRIu64, offset);
    snprintf(max, sizeof max, "%u", S_PIECE);
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", pipeline);
    pk_kv_set(&args, "job", job);
    if (number)
        pk_kv_set(&args, "number", number);
    pk_kv_set(&args, "offset", off);
    pk_kv_set(&args, "max", max);
    int rc = pk_cli_send_kv(cli, "logs", &args, NULL, 0, rid);
    pk_kv_clear(&args);
    return rc;
}

// Take the replies of the requests still in flight, unread.
static void
s_drop(pk_cli_t *cli, uint64_t *rids, size_t *n)
{
    for (size_t i = 0; i < *n; i++) {
        uint8_t *body = NULL;
        char *err = NULL;
        pk_client_reply(cli->client, rids[i], cli->timeout_ms, &body, NULL, &err);
        free(body);
        free(err);
    }
    *n = 0;
}

int
pk_cli_logs(pk_cli_t *cli, const char *pipeline, const char *job, const char *number,
            uint64_t offset, bool follow, char **status_out)
{
    if (status_out)
        *status_out = NULL;
    int rc = pk_cli_open(cli);
    if (rc != PK_CLI_OK)
        return rc;
    if (follow) {
        // SIGINT/SIGTERM end a follower at once: pk_cli_init keeps czmq's
        // handlers out (stdout is flushed after every write)
        char *prefix;
        if (asprintf(&prefix, "log.build:%s/%s/", pipeline, job) < 0)
            return PK_CLI_UNREACHABLE;
        // wake-ups only: without them the poll still gets everything
        pk_client_subscribe(cli->client, prefix, NULL);
        pk_client_subscribe(cli->client, "build.", NULL);
        free(prefix);
    }
    char *num = number ? strdup(number) : NULL;
    char *status = NULL;
    uint64_t rids[S_AHEAD], asked[S_AHEAD], ask_at = offset;
    size_t n = 0;           // requests in flight, oldest first
    for (;;) {
        // ahead only once the build is known (a number pins it), never
        // while following (the next piece is not there yet)
        size_t depth = num && !follow ? S_AHEAD : 1;
        if (!n)
            ask_at = offset;
        rc = PK_CLI_OK;
        while (n < depth && rc == PK_CLI_OK) {
            rc = s_ask(cli, pipeline, job, num, ask_at, &rids[n]);
            asked[n++] = ask_at;
            ask_at += S_PIECE;
        }
        pk_value_t *v = NULL;
        if (rc == PK_CLI_OK)
            rc = pk_cli_reply(cli, rids[0], &v);
        memmove(rids, rids + 1, (S_AHEAD - 1) * sizeof *rids);
        memmove(asked, asked + 1, (S_AHEAD - 1) * sizeof *asked);
        n--;
        if (rc != PK_CLI_OK)
            break;
        if (!num)       // the newest build, from now on always that one
            num = strdup(pk_cli_str(v, "number"));
        free(status);
        status = strdup(pk_cli_str(v, "status"));
        const pk_value_t *data = pk_value_object_get(v, "data");
        size_t len = pk_value_kind(data) == PK_V_STRING ? pk_value_len(data) : 0;
        if (len && (fwrite(pk_value_string(data), 1, len, stdout) != len || fflush(stdout))) {
            pk_value_destroy(&v);
            rc = PK_CLI_REFUSED;                 // stdout is gone: nothing more to do
            break;
        }
        uint64_t next = (uint64_t) pk_cli_int(v, "next_offset");
        uint64_t size = (uint64_t) pk_cli_int(v, "size");
        bool finished = pk_cli_bool(v, "finished");
        pk_value_destroy(&v);
        bool moved = next > offset;
        offset = next;
        if (finished || (!follow && (offset >= size || !moved)))
            break;
        if (n && asked[0] != offset)
            s_drop(cli, rids, &n);
        if (offset < size && moved)
            continue;                           // more is stored already
        s_drop(cli, rids, &n);
        s_wait(cli);
    }
    s_drop(cli, rids, &n);
    free(num);
    if (status_out && rc == PK_CLI_OK)
        *status_out = status;
    else
        free(status);
    return rc;
}

// --json: what the server knows of the log, without its bytes.
static int
s_json(pk_cli_t *cli, const char *pipeline, const char *job, const char *number,
       const char *offset)
{
    pk_value_t *v = NULL;
    int rc = pk_cli_request(cli, "logs", NULL, 0, &v, "pipeline", pipeline, "job", job,
                            "number", number, "offset", offset, "max", "1", NULL);
    if (rc == PK_CLI_OK) {
        pk_value_t *meta = pk_value_new_object();
        for (size_t i = 0; v && i < pk_value_len(v); i++)
            if (strcmp(pk_value_object_key(v, i), "data"))
                pk_value_object_set(meta, pk_value_object_key(v, i),
                                    pk_value_dup(pk_value_object_at(v, i)));
        pk_cli_print_json(meta);
        pk_value_destroy(&meta);
    }
    pk_value_destroy(&v);
    return rc;
}

int
pk_cmd_logs(int argc, char **argv)
{
    pk_cli_t cli;
    pk_cli_init(&cli, "pikoci logs");
    const char *target = NULL, *offset = NULL;
    bool follow = false, missing = false;
    for (int i = 1; i < argc; i++) {
        int g;
        if (pk_cli_is_help(argv[i])) {
            s_usage(stdout);
            return PK_CLI_OK;
        }
        if ((g = pk_cli_global(&cli, argc, argv, &i)) < 0)
            return PK_CLI_USAGE;
        if (g)
            continue;
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
            follow = true;
        else
        if ((offset = pk_cli_option(argc, argv, &i, "--offset", &missing)) || missing) {
            if (missing)
                return pk_cli_usage_error(&cli, "--offset needs a number of bytes");
        }
        else
        if (argv[i][0] == '-' && argv[i][1])
            return pk_cli_usage_error(&cli, "unknown option '%s'", argv[i]);
        else
        if (target)
            return pk_cli_usage_error(&cli, "one build at a time ('%s' and '%s')", target,
                                      argv[i]);
        else
            target = argv[i];
    }
    if (!target)
        return pk_cli_usage_error(&cli, "which build? give PIPELINE/JOB[/NUMBER]");
    char *parts[3] = { 0 };
    int n = pk_cli_split(&cli, target, "PIPELINE/JOB[/NUMBER]", 2, 3, parts);
    if (n < 0)
        return PK_CLI_USAGE;
    char *end = NULL;
    uint64_t from = offset ? strtoull(offset, &end, 10) : 0;
    int rc;
    if (offset && (*end || *offset == '-'))
        rc = pk_cli_usage_error(&cli, "--offset %s: expected a number of bytes", offset);
    else
    if (cli.json)
        rc = s_json(&cli, parts[0], parts[1], n == 3 ? parts[2] : NULL, offset ? offset : "0");
    else
        rc = pk_cli_logs(&cli, parts[0], parts[1], n == 3 ? parts[2] : NULL, from, follow, NULL);
    for (int k = 0; k < n; k++)
        free(parts[k]);
    pk_cli_close(&cli);
    return rc;
}
