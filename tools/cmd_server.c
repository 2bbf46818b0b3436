// pikoci server: the whole CI server in one process. It only wires things:
// a store, the broker (inproc for its own actors, --listen for the CLI,
// pikoci-top and workers), the log sink, checker, scheduler and control
// actors and a runner (unless --run-worker=false, as in PikoCI) -- the same
// actors a distributed setup spreads over machines. Every option is a flag,
// an environment variable and a line of a --config file, from one table
// (s_flags): flag over environment over file. With --pubsub-system zmq the actors connect
// to a standalone broker (--broker) instead of starting one.
//
// A pipeline given with --pipeline-config is validated here first, so a bad
// file stops the server before it starts anything, then set through control
// like `pikoci pipelines set` does. --allow-remote-types is the scheduler's
// too, so a pipeline set later is held to the same rule as the start-up
// one (a restart uses the definitions stored when each was set). Signals arrive on a signalfd (czmq's
// handlers are off): SIGINT/SIGTERM stop at once -- running builds are
// cancelled and, with lmdb, marked errored at the next start -- and SIGQUIT
// drains: no new builds start, running ones get --drain-timeout to finish.
//
// CURVE: --curve-cert/--curve-allow make the embedded broker's --listen a
// CURVE server (required when it is not loopback; refused before anything
// binds otherwise); with --pubsub-system zmq, --curve-client-cert and
// --curve-server-key are what every actor's DEALER (and the start-up
// pipeline's client) uses to reach the remote broker.
#include "pk_slug.h"
#include "pk_broker.h"
#include "pk_secrets.h"
#include "pk_tokens.h"
#include "pk_builds.h"
#include "pk_checker.h"
#include "pk_client.h"
#include "conf.h"
#include "pk_cmds.h"
#include "pk_control.h"
#include "pk_cred.h"
#include <sodium.h>
#include "pk_curve.h"
#include "pk_duration.h"
#include "pk_git.h"
#include "pk_http.h"
#include "pk_logsink.h"
#include "pk_pipeline.h"
#include "pk_proc.h"
#include "pk_runner.h"
#include "pk_scheduler.h"
#include "pk_store.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <ctype.h>
#include <stddef.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <errno.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_DEFAULT_LISTEN "tcp://127.0.0.1:7650"
#define S_HTTP_DEFAULT "127.0.0.1:8080"    // PikoCI's port
#define S_ROLES_WAIT_MS 15000           // the actors' HELLOs to the broker, at start

typedef struct {
    const char *db_system, *db_path, *pubsub, *broker, *listen, *tags;
    const char *pipeline_file, *pipeline_name, *vars_file;
    const char *curve_cert, *curve_allow;
    const char *run_as;                 // --run-as USER (with --run-worker)
    const char *http;                   // --http HOST:PORT, NULL: no http face
    bool http_default;                  // no --http given: S_HTTP_DEFAULT, and a busy
                                        // port there only warns
    const char *config;                 // --config FILE
    const char *worker_tokens;          // --worker-tokens FILE (NULL: the runtime dir's)
    const char *server_token;           // --server-token FILE (NULL: the runtime dir's)
    const char *secret_key_file;        // --secret-key-file FILE (NULL: the default)
    const char *http_cert, *http_key;   // --http-cert, --http-key: HTTPS
    bool http_insecure;                 // --http-insecure
    pk_curve_client_t curve;            // the actors' CURVE to a --broker
    const char **kvs;                   // --var, from one source (see s_set)
    size_t kv_count;
    int kv_source;
    bool run_worker;
    bool remote_types;                  // --allow-remote-types
    uint32_t concurrency;
    int64_t drain_ms;
    int64_t adopt_grace_ms;             // -1: the scheduler's default
    int64_t heartbeat_ms;               // 0: the broker's default
    int64_t worker_grace_ms;
    zlist_t *owned;                     // the strings read from --config
    int retain_builds, retain_days;     // default retention (0: keep everything)
    int retain_versions;                // versions kept per resource (0: all)
    int login_failures, login_address_failures;     // 0: no backoff
    int64_t login_window_ms, login_backoff_ms, login_backoff_max_ms;
    uint32_t login_verifiers, login_queue;
} s_opts_t;

// Every setting is a flag, a variable of the environment and a line of the
// --config file at once, all three from this one table. The sources, in
// the order they are applied (later wins): the file, the environment, the
// command line.
typedef enum { S_FILE, S_ENV, S_ARGV } s_source_t;

typedef enum {
    S_STR,          // any text
    S_CHOICE,       // one of meta's |-separated words
    S_SWITCH,       // --x (true), --x=true|false (also 1/0, yes/no, on/off)
    S_COUNT,        // 1 to 1024
    S_NUMBER,       // 0 to 100,000,000 (an int)
    S_DURATION,     // 500ms, 10s, 5m (pk_duration)
    S_LIST,         // repeatable; the values of the latest source that has any
    S_IGNORED,      // PikoCI's, accepted with a note (help says why)
    S_CONFIG        // --config itself
} s_kind_t;

typedef struct {
    const char *name;       // --NAME; NAME (or NAME with _) in the file; $PIKOCI_NAME
    const char *alias;      // PikoCI's short spelling, or NULL
    s_kind_t kind;
    size_t field;           // where in s_opts_t
    const char *meta;       // the value, in help
    bool pikoci;            // a PikoCI flag: its bare $NAME (Server.md) is read too
    const char *help;       // lines after the first are indented under it
} s_flag_t;

#define S_AT(f) offsetof(s_opts_t, f)

static const s_flag_t s_flags[] = {
    { "config", "-c", S_CONFIG, S_AT(config), "FILE", false,
      "read settings from FILE, one a line: `NAME = VALUE`\n"
      "or `NAME: VALUE`, NAME as the flag without -- (# comments;\n"
      "a list in [ ] for --var)" },
    { "db-system", NULL, S_CHOICE, S_AT(db_system), "mem|lmdb", true,
      "where state lives (default mem: in memory, nothing on\n"
      "disk; lmdb: durable, in --db-path)" },
    { "db-path", NULL, S_STR, S_AT(db_path), "DIR", false,
      "the lmdb directory (required with --db-system lmdb)" },
    { "pubsub-system", NULL, S_CHOICE, S_AT(pubsub), "mem|zmq", true,
      "mem (default): start the broker in this process;\n"
      "zmq: connect the actors to the broker at --broker" },
    { "broker", NULL, S_STR, S_AT(broker), "ENDPOINT", false,
      "the standalone broker (with --pubsub-system zmq)" },
    { "listen", NULL, S_STR, S_AT(listen), "ENDPOINT", false,
      "where the CLI, pikoci-top and workers connect\n"
      "(default " S_DEFAULT_LISTEN "; port * picks one;\n"
      "beyond loopback it needs --curve-cert/--curve-allow)" },
    { "curve-cert", NULL, S_STR, S_AT(curve_cert), "FILE", false,
      "this server's secret certificate (pikoci keygen): with\n"
      "--curve-allow, --listen is a CURVE server; with\n"
      "--pubsub-system zmq, the actors reach --broker over\n"
      "CURVE with it (--curve-client-cert: its old name)" },
    { "curve-allow", NULL, S_STR, S_AT(curve_allow), "DIR", false,
      "with --curve-cert: the public certificates (NAME.cert)\n"
      "of the workers and users allowed to connect" },
    { "curve-client-cert", NULL, S_STR, S_AT(curve.cert), "FILE", false,
      "the old name of --curve-cert with --pubsub-system zmq" },
    { "curve-server-key", NULL, S_STR, S_AT(curve.server_key), "KEY|FILE", false,
      "the --broker's public key or .cert file (with\n"
      "--curve-cert)" },
    { "run-worker", NULL, S_SWITCH, S_AT(run_worker), "[=false]", true,
      "run builds and checks in this process too (the default);\n"
      "--run-worker=false: only separate `pikoci worker`s run them" },
    { "concurrency", NULL, S_COUNT, S_AT(concurrency), "N", true,
      "work items the embedded worker runs at once\n"
      "(default: the number of CPUs)" },
    { "tags", NULL, S_STR, S_AT(tags), "T1,T2", false, "tags of the embedded worker" },
    { "pipeline-config", NULL, S_STR, S_AT(pipeline_file), "FILE", true,
      "set this pipeline at start (validated first)" },
    { "pipeline-name", "-n", S_STR, S_AT(pipeline_name), "NAME", true,
      "its name (default: the file's base name)" },
    { "var", NULL, S_LIST, S_AT(kvs), "NAME=VALUE", false,
      "a pipeline variable (repeatable)" },
    { "vars", "-v", S_STR, S_AT(vars_file), "FILE.json", true,
      "pipeline variables from a JSON object" },
    { "allow-remote-types", NULL, S_SWITCH, S_AT(remote_types), "", false,
      "a type whose pikoci://NAME is not built into pikoci is\n"
      "fetched from PikoCI's registry as\n"
      "BASE/<kind dir>/NAME.hcl (BASE: $PIKOCI_REMOTE_TYPES_URL,\n"
      "else " PK_SOURCES_REMOTE_BASE ")\n"
      "when a pipeline is set (--pipeline-config, pikoci\n"
      "pipelines set); without it such a name is an error.\n"
      "Built-in names are never fetched. What is fetched is\n"
      "stored with the pipeline: a restart fetches nothing" },
    { "drain-timeout", NULL, S_DURATION, S_AT(drain_ms), "DURATION", true,
      "how long SIGQUIT waits for running builds (default 5m)" },
    { "adopt-grace", NULL, S_DURATION, S_AT(adopt_grace_ms), "DURATION", false,
      "after a restart, how long builds that were running wait\n"
      "for their worker to claim them before they are errored\n"
      "(default 10s; 0s: error them at once)" },
    { "heartbeat-timeout", NULL, S_DURATION, S_AT(heartbeat_ms), "DURATION", false,
      "a worker silent this long is shown unreachable and\n"
      "gets no new work (default 3s, at least 2s)" },
    { "worker-grace", NULL, S_DURATION, S_AT(worker_grace_ms), "DURATION", false,
      "how long an unreachable worker's builds wait for it: one\n"
      "back within it carries on with them; after it they are\n"
      "errored and work it never started goes elsewhere\n"
      "(default 3m; 0s: at once)" },
    { "run-as", NULL, S_STR, S_AT(run_as), "USER", false,
      "the embedded worker runs every build process as USER,\n"
      "an unprivileged user who cannot read the store (the\n"
      "server must run as root); without it builds run with\n"
      "the server's own rights: its store and keys" },
    { "http", NULL, S_STR, S_AT(http), "HOST:PORT", false,
      "serve the web UI, /api/v1, webhooks, /metrics and\n"
      "/healthz there (default 127.0.0.1:8080: when that port\n"
      "is taken the server warns and runs without it; \"off\":\n"
      "no web face; port 0 or * picks one); beyond loopback it\n"
      "needs --http-cert/--http-key or --http-insecure" },
    { "http-cert", NULL, S_STR, S_AT(http_cert), "FILE", false,
      "serve --http as HTTPS with this PEM certificate (chain)" },
    { "http-key", NULL, S_STR, S_AT(http_key), "FILE", false,
      "and this PEM private key" },
    { "http-insecure", NULL, S_SWITCH, S_AT(http_insecure), "", false,
      "allow plain HTTP on a --http address beyond loopback" },
    { "retain-builds", NULL, S_NUMBER, S_AT(retain_builds), "N", false,
      "a job without build_log_retention keeps the logs and\n"
      "steps of its newest N builds; older builds keep only\n"
      "their summary row (default 0: keep everything)" },
    { "retain-days", NULL, S_NUMBER, S_AT(retain_days), "D", false,
      "the same for builds younger than D days (with both,\n"
      "a build is trimmed once it is past both)" },
    { "retain-versions", NULL, S_NUMBER, S_AT(retain_versions), "N", false,
      "each resource keeps its newest N versions; older ones\n"
      "no untrimmed build refers to (nor a pin, nor a check's\n"
      "current one) are trimmed (default 100; 0: keep all)" },
    { "worker-tokens", NULL, S_STR, S_AT(worker_tokens), "FILE", false,
      "the worker tokens --listen accepts in a worker's READY\n"
      "(lines \"<sha256 of token> <team|*> [label]\"; made by\n"
      "pikoci worker-token new; re-read when it changes).\n"
      "Default: worker-tokens in the runtime dir, made on\n"
      "first start with the token of worker.token there,\n"
      "which `pikoci worker` of the same user finds itself\n"
      "(runtime dir: $PIKOCI_RUNTIME_DIR, else\n"
      "$XDG_RUNTIME_DIR/pikoci, else /tmp/pikoci-UID)" },
    { "server-token", NULL, S_STR, S_AT(server_token), "FILE", false,
      "with --pubsub-system zmq: the token the actors show\n"
      "the --broker to take the server's roles (default:\n"
      "server.token in the runtime dir, as the broker's)" },
    { "secret-key-file", NULL, S_STR, S_AT(secret_key_file), "FILE", false,
      "the key of the secret store (pikoci secrets; 64 hex\n"
      "digits); default $PIKOCI_SECRET_KEY, else a file made\n"
      "0600 on first start: DIR.secret-key beside --db-path\n"
      "DIR, or secret.key in the runtime dir. A given FILE\n"
      "that is missing turns the store off (said at start;\n"
      "plain variables still work)" },
    { "login-failures", NULL, S_NUMBER, S_AT(login_failures), "N", false,
      "failed logins of one user name (known or not), each\n"
      "within --login-window of the one before, after which\n"
      "its logins are refused without checking the password\n"
      "for --login-backoff, doubled per further failure up to\n"
      "--login-backoff-max; a success resets it (default 5;\n"
      "0: no backoff)" },
    { "login-window", NULL, S_DURATION, S_AT(login_window_ms), "DURATION", false,
      "how long a failed login counts (default 15m)" },
    { "login-backoff", NULL, S_DURATION, S_AT(login_backoff_ms), "DURATION", false,
      "the first backoff (default 30s)" },
    { "login-backoff-max", NULL, S_DURATION, S_AT(login_backoff_max_ms), "DURATION", false,
      "the longest backoff (default 5m)" },
    { "login-address-failures", NULL, S_NUMBER, S_AT(login_address_failures), "N", false,
      "the same per client address at the web face's\n"
      "/api/v1/login, answered 429 with Retry-After (the\n"
      "socket's address: behind a proxy, the proxy's;\n"
      "X-Forwarded-For is not trusted) (default 20; 0: none)" },
    { "login-verifiers", NULL, S_COUNT, S_AT(login_verifiers), "N", false,
      "threads checking login passwords (Argon2id, 64 MB\n"
      "each while it runs; default 2, at most 8)" },
    { "login-queue", NULL, S_COUNT, S_AT(login_queue), "N", false,
      "logins being checked or waiting at most; more are\n"
      "refused at once: \"too many login attempts; retry in\n"
      "N s\" (default 16)" },
    { "jwt-secret", NULL, S_IGNORED, 0, "SECRET", true,
      "PikoCI's; accepted and ignored: pikoci signs no JWTs\n"
      "(links between machines are authenticated with CURVE)" },
    { NULL, NULL, S_STR, 0, NULL, false, NULL }
};

#define S_HELP_COL 27

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci server [OPTIONS]\n\n"
        "Runs the CI server: broker, checker, scheduler, log sink, control and a runner\n"
        "in one process -- a complete CI system (--run-worker=false: no runner).\n\n"
        "options:\n");
    for (const s_flag_t *f = s_flags; f->name; f++) {
        char head[128];
        int n = snprintf(head, sizeof head, "  %s%s--%s%s%s", f->alias ? f->alias : "",
                         f->alias ? ", " : "", f->name,
                         f->kind == S_SWITCH || !*f->meta ? "" : " ",
                         f->kind == S_SWITCH ? f->meta : f->meta);
        fputs(head, out);
        const char *h = f->help;
        if (n + 1 >= S_HELP_COL)
            fprintf(out, "\n%*s", S_HELP_COL, "");
        else
            fprintf(out, "%*s", S_HELP_COL - n, "");
        for (; *h; h++) {
            fputc(*h, out);
            if (*h == '\n')
                fprintf(out, "%*s", S_HELP_COL, "");
        }
        fputc('\n', out);
    }
    fputs(PK_LOG_HELP, out);        // taken out of argv before this table (lib/pk_log.c)
    fprintf(out,
        "\n"
        "Every option can also come from the environment, as PIKOCI_ and its name in\n"
        "capitals with _ for - (--db-path: $PIKOCI_DB_PATH); PikoCI's own options also\n"
        "from its bare name (Server.md: $DB_SYSTEM, $RUN_WORKER...), PIKOCI_ winning.\n"
        "A flag wins over the environment, which wins over --config FILE ($PIKOCI_CONFIG).\n"
        "PikoCI's --port has no counterpart: --http is the web face, --listen the CLI's.\n\n"
        "Every request needs an API token. On first start (a store with no user) the\n"
        "server makes user \"admin\" (a global admin) and a token for it, written (mode\n"
        "0600) to $XDG_RUNTIME_DIR/pikoci/ (else /tmp/pikoci-UID/) as server-PORT.token,\n"
        "where the CLI of the same OS user finds it, and with lmdb to DIR/admin.token.\n"
        "Builds get no token (see README, Identity and access).\n\n"
        "Over the network nobody takes a server role (control, scheduler, ...) from\n"
        "this server's broker, and a worker needs a listed token; the embedded runner\n"
        "is in-process and needs none.\n\n"
        "Signals: SIGINT/SIGTERM stop now; SIGQUIT stops starting builds, waits for the\n"
        "running ones (up to --drain-timeout), then stops.\n"
        "exit status: 0 stopped by a signal, 2 bad options, invalid pipeline or a part\n"
        "             that could not start\n");
}

static bool
s_word_in(const char *words, const char *w)
{
    size_t len = strlen(w);
    for (const char *p = words; *p; ) {
        size_t n = strcspn(p, "|");
        if (n == len && !strncmp(p, w, n))
            return true;
        p += n + (p[n] ? 1 : 0);
    }
    return false;
}

// Set flag f to v, which came from source; what names them in messages
// ("--db-system sqlite", "PIKOCI_DB_SYSTEM=sqlite", "FILE:3: db-system =
// sqlite"). 0, or 2 with the reason printed.
static int
s_set(s_opts_t *o, const s_flag_t *f, const char *v, s_source_t source, const char *what)
{
    void *field = (char *) o + f->field;
    switch (f->kind) {
    case S_STR:
    case S_CONFIG:
        *(const char **) field = v;
        return 0;
    case S_CHOICE:
        if (s_word_in(f->meta, v)) {
            *(const char **) field = v;
            return 0;
        }
        fprintf(stderr, "pikoci server: %s: unknown value; valid choices: ", what);
        for (const char *p = f->meta; *p; p++)
            fputs(*p == '|' ? ", " : (char[]) { *p, 0 }, stderr);
        fputc('\n', stderr);
        return 2;
    case S_SWITCH:
        if (!v || s_word_in("true|1|yes|on", v))
            *(bool *) field = true;
        else
        if (s_word_in("false|0|no|off", v))
            *(bool *) field = false;
        else {
            fprintf(stderr, "pikoci server: %s: expected true or false\n", what);
            return 2;
        }
        return 0;
    case S_COUNT: {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || !*v || n < 1 || n > 1024) {
            fprintf(stderr, "pikoci server: %s: expected a number from 1 to 1024\n", what);
            return 2;
        }
        *(uint32_t *) field = (uint32_t) n;
        return 0;
    }
    case S_NUMBER: {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || !*v || n < 0 || n > 100000000) {
            fprintf(stderr, "pikoci server: %s: expected a whole number (0: keep everything)\n",
                    what);
            return 2;
        }
        *(int *) field = (int) n;
        return 0;
    }
    case S_DURATION: {
        int64_t ms = 0;
        char *err = NULL;
        bool heartbeat = field == &o->heartbeat_ms;
        int bad = pk_duration_parse(v, &ms, &err);
        bool short_beat = !bad && heartbeat && ms < PK_HEARTBEAT_TIMEOUT_MIN_MS;
        if (bad || ms > INT32_MAX || short_beat) {
            fprintf(stderr, "pikoci server: %s: %s\n", what,
                    err ? err : short_beat ? "at least 2s (workers beat every second)" : "too long");
            free(err);
            return 2;
        }
        *(int64_t *) field = ms;
        return 0;
    }
    case S_LIST:
        // a source that gives any replaces those of the sources beneath it
        if ((int) source != o->kv_source) {
            o->kv_count = 0;
            o->kv_source = (int) source;
        }
        o->kvs = realloc(o->kvs, (o->kv_count + 1) * sizeof(char *));
        o->kvs[o->kv_count++] = v;
        return 0;
    case S_IGNORED:
        fprintf(stderr, "pikoci server: %s: ignored (PikoCI's option; see pikoci server --help)\n",
                what);
        return 0;
    }
    return 2;
}

// The flag named "--NAME" (or its alias) in argv, or NAME (- or _) in a file.
static const s_flag_t *
s_flag(const char *name, bool dashes)
{
    for (const s_flag_t *f = s_flags; f->name; f++) {
        if (dashes) {
            if ((f->alias && !strcmp(name, f->alias))
                || (!strncmp(name, "--", 2) && !strcmp(name + 2, f->name)))
                return f;
            continue;
        }
        size_t i = 0;
        for (; f->name[i] && name[i]; i++)
            if (tolower((unsigned char) name[i]) != f->name[i]
                && !(name[i] == '_' && f->name[i] == '-'))
                break;
        if (!f->name[i] && !name[i])
            return f;
    }
    return NULL;
}

// "PIKOCI_DB_PATH" (prefixed) or "DB_PATH" for f.
static void
s_env_name(const s_flag_t *f, bool prefixed, char *buf, size_t size)
{
    size_t n = (size_t) snprintf(buf, size, "%s", prefixed ? "PIKOCI_" : "");
    for (const char *p = f->name; *p && n + 1 < size; p++)
        buf[n++] = *p == '-' ? '_' : (char) toupper((unsigned char) *p);
    buf[n] = 0;
}

static int
s_from_file(const char *key, const char *value, const char *where, void *arg)
{
    s_opts_t *o = arg;
    const s_flag_t *f = s_flag(key, false);
    if (!f || f->kind == S_CONFIG) {
        fprintf(stderr, "pikoci server: %s: %s '%s' (see pikoci server --help)\n", where,
                f ? "a settings file cannot name another one:" : "unknown setting", key);
        return -1;
    }
    zlist_append(o->owned, (void *) value);     // a copy (autofree) that lives on
    const char *v = zlist_last(o->owned);
    char what[1400];
    snprintf(what, sizeof what, "%s: %s = %s", where, key, value);
    return s_set(o, f, v, S_FILE, what) == 0 ? 0 : -1;
}

static int
s_from_env(s_opts_t *o)
{
    for (const s_flag_t *f = s_flags; f->name; f++) {
        if (f->kind == S_CONFIG)
            continue;
        char name[64];
        s_env_name(f, true, name, sizeof name);
        const char *v = getenv(name);
        if ((!v || !*v) && f->pikoci) {
            s_env_name(f, false, name, sizeof name);
            v = getenv(name);
        }
        if (!v || !*v)
            continue;
        char what[1200];
        snprintf(what, sizeof what, "%s=%s", name, v);
        if (s_set(o, f, v, S_ENV, what) != 0)
            return 2;
    }
    return 0;
}

// The flag at argv[*i] and its value (advancing *i): 0 set, 2 error.
static int
s_from_argv(s_opts_t *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    char name[128];
    const char *eq = strncmp(a, "--", 2) ? NULL : strchr(a, '=');
    snprintf(name, sizeof name, "%.*s", (int) (eq ? eq - a : (ptrdiff_t) strlen(a)), a);
    const s_flag_t *f = s_flag(name, true);
    if (!f) {
        if (!strcmp(name, "--port") || !strcmp(name, "-p"))
            fprintf(stderr, "pikoci server: %s: PikoCI's one port has no counterpart: --http "
                    "HOST:PORT serves the web face and webhooks, --listen ENDPOINT the CLI, "
                    "pikoci-top and workers\n", name);
        else
            fprintf(stderr, "pikoci server: unknown %s %s (see pikoci server --help)\n",
                    a[0] == '-' ? "option" : "argument", a);
        return 2;
    }
    const char *v = eq ? eq + 1 : NULL;
    if (!v && f->kind != S_SWITCH) {
        if (*i + 1 >= argc) {
            fprintf(stderr, "pikoci server: %s needs a value\n", a);
            return 2;
        }
        v = argv[++*i];
    }
    char what[1200];
    snprintf(what, sizeof what, "%s%s%s", name, v ? " " : "", v ? v : "");
    return s_set(o, f, v, S_ARGV, what);
}

// 0 parsed, 1 --help printed, 2 usage error (printed).
static int
s_parse(int argc, char **argv, s_opts_t *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (s_opts_t) { .db_system = "mem", .pubsub = "mem", .listen = S_DEFAULT_LISTEN,
                      .concurrency = cpus > 0 ? (uint32_t) cpus : 1, .drain_ms = 300000,
                      .adopt_grace_ms = -1, .worker_grace_ms = PK_WORKER_GRACE_MS,
                      .run_worker = true, .kv_source = -1, .retain_versions = 100,
                      .login_failures = PK_THROTTLE_FAILURES, .login_address_failures = 20,
                      .login_window_ms = PK_THROTTLE_WINDOW_MS,
                      .login_backoff_ms = PK_THROTTLE_BACKOFF_MS,
                      .login_backoff_max_ms = PK_THROTTLE_BACKOFF_MAX_MS,
                      .login_verifiers = 2, .login_queue = 16,
                      .owned = zlist_new() };
    zlist_autofree(o->owned);
    // --help and --config first: the file is the lowest source
    const char *config = getenv("PIKOCI_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
        if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) && i + 1 < argc)
            config = argv[++i];
        else
        if (!strncmp(argv[i], "--config=", 9))
            config = argv[i] + 9;
    }
    if (config && *config && pk_conf_read(config, "pikoci server", s_from_file, o) != 0)
        return 2;
    if (s_from_env(o) != 0)
        return 2;
    for (int i = 1; i < argc; i++)
        if (s_from_argv(o, argc, argv, &i) != 0)
            return 2;
    if (!strcmp(o->db_system, "lmdb") && !o->db_path) {
        fprintf(stderr, "pikoci server: --db-system lmdb needs --db-path DIR\n");
        return 2;
    }
    if (!strcmp(o->pubsub, "zmq") && !o->broker) {
        fprintf(stderr, "pikoci server: --pubsub-system zmq needs --broker tcp://HOST:PORT\n");
        return 2;
    }
    if (o->broker && strcmp(o->pubsub, "zmq")) {
        fprintf(stderr, "pikoci server: --broker is used with --pubsub-system zmq\n");
        return 2;
    }
    // one name per concept: with --broker, --curve-cert is this side's
    // certificate as for a worker or the CLI (--curve-client-cert, its old
    // name, still works)
    if (o->curve_cert && !o->curve_allow && !strcmp(o->pubsub, "zmq") && !o->curve.cert) {
        o->curve.cert = o->curve_cert;
        o->curve_cert = NULL;
    }
    if ((o->curve_cert || o->curve_allow) && !strcmp(o->pubsub, "zmq")) {
        fprintf(stderr, "pikoci server: --curve-allow is for the embedded broker's --listen; "
                "with --pubsub-system zmq give --curve-cert and --curve-server-key (the "
                "broker's key)\n");
        return 2;
    }
    if (pk_curve_client_set(&o->curve) && strcmp(o->pubsub, "zmq")) {
        fprintf(stderr, "pikoci server: --curve-client-cert and --curve-server-key go with "
                "--pubsub-system zmq (the embedded broker takes --curve-cert/--curve-allow)\n");
        return 2;
    }
    char *http_err = NULL;
    if (!o->http) {
        o->http = S_HTTP_DEFAULT;
        o->http_default = true;
    }
    else
    if (!strcmp(o->http, "off"))
        o->http = NULL;
    if ((o->http_cert || o->http_key || o->http_insecure) && !o->http) {
        fprintf(stderr, "pikoci server: --http-cert, --http-key and --http-insecure go with "
                "--http\n");
        return 2;
    }
    if (o->http && pk_http_exposure_check(o->http, o->http_cert, o->http_key,
                                          o->http_insecure, &http_err) != 0) {
        fprintf(stderr, "pikoci server: %s\n", http_err ? http_err : "bad --http");
        free(http_err);
        return 2;
    }
    if (o->run_as && !o->run_worker) {
        fprintf(stderr, "pikoci server: --run-as goes with --run-worker (workers take it too)\n");
        return 2;
    }
    if ((o->pipeline_name || o->kv_count || o->vars_file) && !o->pipeline_file) {
        fprintf(stderr, "pikoci server: --pipeline-name, --var and --vars go with --pipeline-config\n");
        return 2;
    }
    return 0;
}

static void
s_opts_free(s_opts_t *o)
{
    free(o->kvs);
    zlist_destroy(&o->owned);
}

// The pipeline to set at start: validated here, so a bad file stops us
// before anything starts. 0, or 2 with the errors printed.
static int
s_load_pipeline(const s_opts_t *o, char **name_out, char **source_out, pk_value_t **vars_out)
{
    char *err = NULL;
    pk_value_t *vars = pk_pipeline_vars_new(o->vars_file, o->kvs, o->kv_count, &err);
    if (!vars) {
        fprintf(stderr, "pikoci server: %s\n", err ? err : "out of memory");
        free(err);
        return 2;
    }
    pk_diags_t *diags = pk_diags_new();
    pk_pipeline_t *p = pk_pipeline_load(o->pipeline_file, vars, diags, &err);
    if (p && !pk_diags_errors(diags))
        pk_pipeline_load_sources(p, PK_SOURCES_HTTPS
                                 | (o->remote_types ? PK_SOURCES_REMOTE_BUILTINS : 0), diags);
    pk_diags_print(diags, stderr);
    bool ok = p && !pk_diags_errors(diags);
    if (!p)
        fprintf(stderr, "pikoci server: %s\n", err ? err : "out of memory");
    free(err);
    pk_diags_destroy(&diags);
    pk_pipeline_destroy(&p);
    char *source = NULL;
    size_t size = 0;
    FILE *f = ok ? fopen(o->pipeline_file, "r") : NULL;
    if (f) {
        source = calloc(1, 1);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
            source = realloc(source, size + n + 1);
            memcpy(source + size, buf, n);
            size += n;
            source[size] = 0;
        }
        fclose(f);
    }
    if (!ok || !source) {
        if (ok)
            fprintf(stderr, "pikoci server: cannot read %s\n", o->pipeline_file);
        pk_value_destroy(&vars);
        free(source);
        return 2;
    }
    char *name;
    if (o->pipeline_name)
        name = strdup(o->pipeline_name);
    else {
        char *path = strdup(o->pipeline_file);
        name = strdup(basename(path));
        free(path);
        char *dot = strrchr(name, '.');
        if (dot && dot != name)
            *dot = 0;
    }
    // set as its slug, as PikoCI does ("My Pipeline" -> my-pipeline)
    char *slug = pk_slug(name);
    free(name);
    name = slug;
    if (!name || !*name) {
        fprintf(stderr, "pikoci server: the pipeline name has no letter or digit\n");
        pk_value_destroy(&vars);
        free(source);
        free(name);
        return 2;
    }
    *name_out = name;
    *source_out = source;
    *vars_out = vars;
    return 0;
}

// Sets the start-up pipeline through control, as the CLI would. Behind an
// in-process broker the roles are known by now (s_await_roles); behind
// another one (--broker) they are announced over tcp, and a refusal because
// control is not known there yet is retried for a few seconds.
static int
s_set_pipeline(const char *endpoint, const pk_curve_client_t *curve, const char *name,
               const char *source, const pk_value_t *vars, const char *token)
{
    char *err = NULL;
    pk_client_t *client = pk_client_new_secure(endpoint, curve, &err);
    if (!client) {
        fprintf(stderr, "pikoci server: %s\n", err ? err : "cannot connect to the broker");
        free(err);
        return 2;
    }
    pk_client_set_token(client, token);
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(source));
    pk_value_object_set(body, "vars", pk_value_dup(vars));
    uint8_t *packed = NULL, *reply = NULL;
    size_t packed_size = 0, reply_size = 0;
    pk_value_pack_bytes(body, &packed, &packed_size);
    pk_value_destroy(&body);
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", name);
    int rc = -1;
    int64_t deadline = zclock_mono() + 15000;
    while (zclock_mono() < deadline) {
        free(err);
        err = NULL;
        // the set may fetch type definitions first (15 s each at most)
        rc = pk_client_request(client, "pipeline.set", &args, packed, packed_size, 120000,
                               &reply, &reply_size, &err);
        if (rc == 1 && err && strstr(err, "not running")) {
            free(reply);
            reply = NULL;
            zclock_sleep(50);       // that broker tells no one when a role arrives
            continue;
        }
        break;
    }
    int status = 0;
    if (rc == 0) {
        pk_value_t *v = pk_value_unpack(reply, reply_size);
        const pk_value_t *ver = pk_value_object_get(v, "version");
        zsys_info("pipeline %s set (version %.0f)", name, ver ? pk_value_number(ver) : 0.0);
        pk_value_destroy(&v);
    }
    else {
        fprintf(stderr, "pikoci server: pipeline %s: %s\n", name,
                err ? err : "the server did not answer");
        pk_value_t *v = reply ? pk_value_unpack(reply, reply_size) : NULL;
        const pk_value_t *errors = pk_value_object_get(v, "errors");
        for (size_t i = 0; errors && i < pk_value_len(errors); i++)
            fprintf(stderr, "%s\n", pk_value_string(pk_value_list_at(errors, i)));
        pk_value_destroy(&v);
        status = 2;
    }
    free(err);
    free(reply);
    free(packed);
    pk_kv_clear(&args);
    pk_client_destroy(&client);
    return status;
}

// Keys that do not load, or a listen address beyond loopback without them,
// stop the server before anything starts. 0, or 2 with the reason printed.
static int
s_check_curve(const s_opts_t *o)
{
    char *reason = NULL;
    int rc = 0;
    if (!strcmp(o->pubsub, "mem")) {
        pk_broker_config_t bc = { .listen = o->listen, .curve_cert = o->curve_cert,
                                  .curve_allow = o->curve_allow };
        rc = pk_broker_config_check(&bc, &reason);
    }
    else {
        rc = pk_curve_client_check(&o->curve, &reason);
        if (rc == 0 && !pk_curve_client_set(&o->curve) && !pk_curve_is_loopback(o->broker))
            fprintf(stderr, "pikoci server: connecting to %s without CURVE: a broker listening "
                    "beyond loopback refuses that (see --curve-client-cert)\n", o->broker);
    }
    if (rc != 0)
        fprintf(stderr, "pikoci server: %s\n", reason ? reason : "unusable CURVE settings");
    free(reason);
    return rc != 0 ? 2 : 0;
}

typedef struct {
    pk_store_t *store;
    bool has_key;
    uint8_t secret_key[PK_SECRETS_KEY_BYTES];
    char *key_missing;                  // why there is no key
    zactor_t *broker, *logsink, *checker, *scheduler, *control, *runner;
    zactor_t *http;                     // --http
    char inproc[64], listen[256], work_root[PATH_MAX];
    char service[72];                   // the in-process clients' token (never stored)
    char url[300];                      // the web face's, to open ("" without one)
    char *token_file;                   // the runtime copy of admin's token, removed at stop
    char *token_staged;                 // it before the port is known (s_first_token)
    bool first_start;                   // admin was created by this start
    pk_proc_user_t run_as;              // name NULL: no --run-as
} s_server_t;

static void
s_stop(s_server_t *s)
{
    // the runner first so no new report is produced, the log sink after the
    // scheduler so the last chunks are committed, the broker last
    zactor_destroy(&s->http);           // its clients first: nothing waits on them
    zactor_destroy(&s->runner);
    zactor_destroy(&s->control);
    zactor_destroy(&s->checker);
    zactor_destroy(&s->scheduler);
    zactor_destroy(&s->logsink);
    zactor_destroy(&s->broker);
    pk_store_close(&s->store);
    memset(s->secret_key, 0, sizeof s->secret_key);
    free(s->key_missing);
    s->key_missing = NULL;
    if (s->work_root[0])
        rmdir(s->work_root);
    if (s->token_file)
        unlink(s->token_file);
    free(s->token_file);
    if (s->token_staged)
        unlink(s->token_staged);
    free(s->token_staged);
    sodium_memzero(s->service, sizeof s->service);
    pk_proc_user_clear(&s->run_as);
}

// First start: admin's token (only its hash is stored) goes to a file only
// this OS user can read -- <db-path>/admin.token for lmdb, so later starts
// find it again -- and, on every start, to <runtime>/server-<port>.token,
// where the CLI on this machine looks for it (pk_cred.h). That one is
// staged here, before the broker binds, and published (a rename) by
// s_publish_token once the port is known: a CLI that finds the port open
// finds the token. 0, or 2.
static int
s_first_token(s_server_t *s, const s_opts_t *o)
{
    char *token = NULL, *err = NULL;
    int rc = pk_control_bootstrap(s->store, &token, &err);
    if (rc < 0) {
        fprintf(stderr, "pikoci server: %s\n", err ? err : "cannot create the first user");
        free(err);
        return 2;
    }
    s->first_start = rc == 1;
    char *durable = NULL;
    if (!strcmp(o->db_system, "lmdb") && asprintf(&durable, "%s/admin.token", o->db_path) < 0)
        durable = NULL;
    if (rc == 1 && durable && pk_cred_write(durable, token, &err) != 0) {
        zsys_warning("cannot keep admin's first token: %s", err ? err : "?");
        free(err);
        err = NULL;
    }
    if (!token && durable)
        token = pk_cred_read(durable, &err);
    if (err)
        zsys_warning("%s", err);
    free(err);
    err = NULL;
    free(durable);
    s->token_staged = token ? pk_cred_stage(token, &err) : NULL;
    if (token && !s->token_staged) {
        zsys_warning("cannot write admin's token for the CLI: %s", err ? err : "?");
        free(err);
    }
    if (token)
        sodium_memzero(token, strlen(token));
    free(token);
    return 0;
}

// The staged token becomes the file of the server at endpoint.
static void
s_publish_token(s_server_t *s, const s_opts_t *o, const char *endpoint)
{
    char *err = NULL;
    if (s->token_staged && pk_cred_publish(s->token_staged, endpoint, &s->token_file, &err) != 0) {
        zsys_warning("cannot write admin's token for the CLI: %s", err ? err : "?");
        free(err);
    }
    zstr_free(&s->token_staged);
    if (s->first_start)
        zsys_info("first start: created user \"admin\" (a global admin) and an API token for "
                  "it%s%s%s", s->token_file ? " in " : "", s->token_file ? s->token_file : "",
                  !strcmp(o->db_system, "lmdb") ? " and <db-path>/admin.token" : "");
    else
    if (s->token_file)
        zsys_info("admin's first-start token is in %s", s->token_file);
}

// With --run-as the build user must not read the store: a directory we did
// not create (created ones are 0700) loses group and other access.
static void
s_private_store(const s_opts_t *o)
{
    struct stat st;
    if (strcmp(o->db_system, "lmdb") || !o->db_path || stat(o->db_path, &st) != 0
        || !(st.st_mode & 077))
        return;
    if (chmod(o->db_path, st.st_mode & 0700) == 0)
        zsys_info("--run-as: made the store directory %s private to this user (mode 0%o)",
                  o->db_path, (unsigned) (st.st_mode & 0700));
    else
        zsys_warning("--run-as: the store directory %s is open to other users (mode 0%o) and "
                     "cannot be made private: %s", o->db_path, (unsigned) (st.st_mode & 0777),
                     strerror(errno));
}

// "server ready" means a request is answered: the actors say HELLO to the
// broker from their own threads, so wait until it knows every role.
static int
s_await_roles(zactor_t *broker)
{
    zstr_send(broker, "AWAIT control scheduler checker logsink");
    zpoller_t *poller = zpoller_new(broker, NULL);
    bool ok = zpoller_wait(poller, S_ROLES_WAIT_MS) == broker;
    zpoller_destroy(&poller);
    char *reply = ok ? zstr_recv(broker) : NULL;
    ok = reply && streq(reply, "ready");
    zstr_free(&reply);
    if (!ok)
        fprintf(stderr, "pikoci server: the actors did not announce themselves to the broker "
                "within 15 s\n");
    return ok ? 0 : -1;
}

// The secret store's key (see --secret-key-file in the usage): s->has_key,
// or s->key_missing saying what is missing. $PIKOCI_SECRET_KEY is taken out
// of the environment: builds inherit it.
static void
s_secret_key(s_server_t *s, const s_opts_t *o)
{
    const char *env = getenv("PIKOCI_SECRET_KEY");
    char *hex = NULL, *path = NULL, *err = NULL, *dir = NULL;
    const char *from = "$PIKOCI_SECRET_KEY";
    if (env && *env)
        hex = strdup(env);
    else
    if (o->secret_key_file) {
        path = strdup(from = o->secret_key_file);
        hex = pk_token_file(path, false, "", &err);
    }
    else {
        if (o->db_path) {
            if (asprintf(&path, "%.*s.secret-key", (int) strcspn(o->db_path, "\n"),
                         o->db_path) < 0)
                path = NULL;
            size_t n = path ? strlen(path) - strlen(".secret-key") : 0;
            while (n > 1 && path[n - 1] == '/')      // DIR/ -> DIR.secret-key
                memmove(path + n - 1, path + n, strlen(path + n) + 1), n--;
        }
        else
        if ((dir = pk_runtime_dir(&err)))
            path = pk_path_join(dir, "secret.key");
        from = path;
        hex = path ? pk_token_file(path, true, "", &err) : NULL;
    }
    unsetenv("PIKOCI_SECRET_KEY");
    if (hex && pk_secrets_key_parse(hex, s->secret_key) == 0) {
        s->has_key = true;
        zsys_info("secret store: key from %s", from);
    }
    else {
        int rc = hex ? asprintf(&s->key_missing, "%s: not a key (64 hex digits)", from)
                     : err ? asprintf(&s->key_missing, "%s", err)
                           : asprintf(&s->key_missing, "%s cannot be read", from ? from : "the key");
        if (rc < 0)
            s->key_missing = NULL;
        zsys_warning("secret store off: %s (secret \"pikoci\" variables fail; set "
                     "--secret-key-file FILE or $PIKOCI_SECRET_KEY)", s->key_missing);
    }
    if (hex)
        memset(hex, 0, strlen(hex));
    free(hex);
    free(path);
    free(err);
    free(dir);
}

// The store's format: an older store upgraded in one transaction before any
// actor reads it, a newer one refused (pk_builds_format.c).
static int
s_upgrade(pk_store_t *store)
{
    char *err = NULL;
    pk_builds_t *builds = pk_builds_new(store, &err);
    if (!builds) {
        fprintf(stderr, "pikoci server: cannot open the store's keyspaces: %s\n",
                err ? err : "?");
        free(err);
        return -1;
    }
    uint64_t from = 0, indexed = 0;
    int rc = pk_builds_upgrade(builds, &from, &indexed);
    pk_builds_destroy(&builds);
    if (rc < 0) {
        fprintf(stderr, "pikoci server: %s\n", pk_store_error());
        zsys_error("%s", pk_store_error());
        return -1;
    }
    if (rc > 0 && from == 0)
        zsys_info("store format %d (a new store)", PK_STORE_FORMAT);
    else
    if (rc > 0)
        zsys_info("store migrated from format %" PRIu64 " to %d: %" PRIu64 " builds indexed "
                  "(unfinished builds, versions passed and used)", from, PK_STORE_FORMAT, indexed);
    return 0;
}

// --login-*: failures 0 turns the backoff off (the actors' -1)
static pk_throttle_config_t
s_login_throttle(const s_opts_t *o, int failures)
{
    return (pk_throttle_config_t) { .failures = failures > 0 ? failures : -1,
                                    .window_ms = o->login_window_ms,
                                    .backoff_ms = o->login_backoff_ms,
                                    .backoff_max_ms = o->login_backoff_max_ms };
}

static int
s_start(s_server_t *s, const s_opts_t *o)
{
    char *err = NULL;
    if (o->run_as && pk_cmd_run_as(&s->run_as, o->run_as, "server") != 0)
        return 2;
    s->store = pk_store_open(o->db_system, o->db_path, &err);
    if (!s->store) {
        fprintf(stderr, "pikoci server: cannot open the %s store: %s\n", o->db_system,
                err ? err : "?");
        free(err);
        return 2;
    }
    // every keyspace in one commit: a fresh lmdb store syncs once, not 26 times
    if (pk_store_open_all(s->store) != 0) {
        fprintf(stderr, "pikoci server: cannot open the store's keyspaces: %s\n",
                pk_store_error());
        return 2;
    }
    if (o->run_as)
        s_private_store(o);
    if (s_upgrade(s->store) != 0)
        return 2;
    const char *endpoint = o->broker;
    char *list = NULL, *token = NULL;
    if (pk_tokens_setup(o->worker_tokens, o->server_token, &list, &token, &err) != 0) {
        fprintf(stderr, "pikoci server: %s\n", err ? err : "cannot set up the tokens");
        free(err);
        return 2;
    }
    if (strcmp(o->pubsub, "mem"))
        pk_server_token_set(token);     // before any actor says HELLO
    free(token);
    if (s_first_token(s, o) != 0) {
        free(list);
        return 2;
    }
    if (!strcmp(o->pubsub, "mem")) {
        snprintf(s->inproc, sizeof s->inproc, "inproc://pikoci-server-%d", (int) getpid());
        pk_broker_config_t bc = { .inproc = s->inproc, .listen = o->listen,
                                  .curve_cert = o->curve_cert, .curve_allow = o->curve_allow,
                                  .heartbeat_timeout_ms = (int) o->heartbeat_ms,
                                  .worker_grace_ms = o->worker_grace_ms,
                                  .worker_tokens = list,
                                  // a query sent as soon as the port accepts waits
                                  // for the actors instead of being refused
                                  .hold_ms = S_ROLES_WAIT_MS };
        // a fixed loopback port: the token is in place before the port
        // accepts; the file it replaced comes back if the port is taken
        char *before = NULL;
        bool early = s->token_staged && pk_curve_is_loopback(o->listen)
                  && (s->token_file = pk_cred_server_file(o->listen));
        if (early) {
            before = pk_cred_read(s->token_file, &err);
            free(err);
            err = NULL;
            zstr_free(&s->token_file);
            s_publish_token(s, o, o->listen);
        }
        s->broker = pk_broker_new(&bc);
        free(list);
        list = NULL;
        if (!s->broker) {
            if (before && s->token_file && pk_cred_write(s->token_file, before, &err) == 0)
                zstr_free(&s->token_file);      // theirs again: not ours to remove
            free(err);
            if (before)
                sodium_memzero(before, strlen(before));
            free(before);
            fprintf(stderr, "pikoci server: cannot listen on %s (is another server running?)\n",
                    o->listen);
            return 2;
        }
        if (before)
            sodium_memzero(before, strlen(before));
        free(before);
        zstr_send(s->broker, "ENDPOINT");
        char *bound = zstr_recv(s->broker);
        snprintf(s->listen, sizeof s->listen, "%s", bound && *bound ? bound : o->listen);
        zstr_free(&bound);
        if (!early)
            s_publish_token(s, o, s->listen);
        endpoint = s->inproc;
    }
    free(list);
    // in-process actors use inproc (plain); o->curve is only set with --broker
    pk_logsink_config_t lc = { .endpoint = endpoint, .store = s->store, .curve = o->curve };
    pk_checker_config_t cc = { .endpoint = endpoint, .store = s->store, .curve = o->curve,
                               .retain_versions = o->retain_versions > 0 ? o->retain_versions
                                                                        : -1 };
    // the scheduler's adopt_grace_ms: 0 its default, negative "at once"
    s_secret_key(s, o);
    pk_scheduler_config_t sc = { .endpoint = endpoint, .store = s->store, .curve = o->curve,
                                 .secret_key = s->has_key ? s->secret_key : NULL,
                                 .secret_key_missing = s->key_missing,
                                 .adopt_grace_ms = o->adopt_grace_ms < 0 ? 0
                                                 : o->adopt_grace_ms == 0 ? -1
                                                 : (int) o->adopt_grace_ms,
                                 .allow_remote_types = o->remote_types,
                                 .retain_builds = o->retain_builds,
                                 .retain_days = o->retain_days };
    // the server's own clients (http, --pipeline-config) hold a token that
    // lives only in this process; everyone else needs a user's
    uint8_t raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(s->service, "pks_", 4);
    sodium_bin2hex(s->service + 4, sizeof s->service - 4, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    if (!s->broker)
        s_publish_token(s, o, o->broker);
    pk_control_config_t ctl = { .endpoint = endpoint, .store = s->store, .curve = o->curve,
                                .allow_remote_types = o->remote_types, .authenticate = true,
                                .service_token = s->service,
                                .secret_key = s->has_key ? s->secret_key : NULL,
                                .secret_key_missing = s->key_missing,
                                .login_verifiers = (int) o->login_verifiers,
                                .login_queue = (int) o->login_queue,
                                .login_throttle = s_login_throttle(o, o->login_failures) };
    if (!(s->logsink = pk_logsink_new(&lc)) || !(s->checker = pk_checker_new(&cc))
        || !(s->scheduler = pk_scheduler_new(&sc)) || !(s->control = pk_control_new(&ctl))) {
        fprintf(stderr, "pikoci server: an actor could not start (see the log above)\n");
        return 2;
    }
    if (s->broker && s_await_roles(s->broker) != 0)
        return 2;
    if (o->run_worker) {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->work_root, sizeof s->work_root, "%s/pikoci-work-%d",
                 tmp && *tmp ? tmp : "/tmp", (int) getpid());
        char name[300];
        char host[256] = "local";
        gethostname(host, sizeof host - 1);
        snprintf(name, sizeof name, "%s-%d", host, (int) getpid());
        pk_runner_config_t rc = { .name = name, .endpoint = endpoint, .slots = o->concurrency,
                                  .tags = o->tags, .work_root = s->work_root,
                                  .curve = o->curve,
                                  .run_as = s->run_as.name ? &s->run_as : NULL };
        if (!(s->runner = pk_runner_new(&rc))) {
            fprintf(stderr, "pikoci server: the embedded worker could not start\n");
            return 2;
        }
    }
    return 0;
}

// Behind a --broker: "server ready" only once the broker answers us (the
// actors' links are as good as ours: same address, same keys). Until then
// say every 10 s what may be wrong. 0 reached, 1 a signal came first (it
// stays pending for s_wait's caller to see: read with MSG_PEEK semantics
// is not possible on a signalfd, so the signal is re-raised).
static int
s_reach_broker(const s_opts_t *o, int sigfd)
{
    char *err = NULL;
    pk_client_t *client = pk_client_new_secure(o->broker, &o->curve, &err);
    if (!client) {
        fprintf(stderr, "pikoci server: %s\n", err ? err : "cannot connect to the broker");
        free(err);
        return -1;
    }
    int64_t start = zclock_mono(), next_word = start + 10000;
    int rc = 1;
    for (;;) {
        uint8_t *body = NULL;
        size_t size = 0;
        // any answer will do: this server's own control is not there yet to
        // authorise broker.stats, so the broker may well refuse it
        if (pk_client_request(client, "broker.stats", NULL, NULL, 0, 500, &body, &size,
                              NULL) >= 0) {
            free(body);
            rc = 0;
            break;
        }
        struct pollfd p = { sigfd, POLLIN, 0 };
        if (poll(&p, 1, 0) == 1)
            break;
        if (zclock_mono() >= next_word) {
            next_word += 10000;
            bool curve = pk_curve_client_set(&o->curve);
            zsys_warning("the broker at %s has not answered for %d s (%s): %s", o->broker,
                         (int) ((zclock_mono() - start) / 1000), pk_client_error(client),
                         curve ? "is it running, is --curve-server-key its public key, and "
                                 "is this server's NAME.cert in its --curve-allow directory?"
                               : pk_curve_is_loopback(o->broker)
                               ? "is it running? if it uses CURVE, give --curve-cert and "
                                 "--curve-server-key"
                               : "a broker beyond loopback uses CURVE: give --curve-cert "
                                 "and --curve-server-key");
        }
    }
    pk_client_destroy(&client);
    return rc;
}

// Waits for a signal; SIGQUIT drains first.
static void
s_wait(s_server_t *s, int sigfd, int64_t drain_ms)
{
    for (;;) {
        zmq_pollitem_t item = { NULL, sigfd, ZMQ_POLLIN, 0 };
        if (zmq_poll(&item, 1, -1) <= 0)
            continue;
        struct signalfd_siginfo si;
        if (read(sigfd, &si, sizeof si) != sizeof si)
            continue;
        if (si.ssi_signo != SIGQUIT) {
            zsys_info("signal %d: stopping", (int) si.ssi_signo);
            return;
        }
        zsys_info("SIGQUIT: draining (no new builds; waiting up to %" PRId64 " ms)", drain_ms);
        zstr_send(s->scheduler, "DRAIN");
        char *ok = zstr_recv(s->scheduler);
        zstr_free(&ok);
        int64_t deadline = zclock_mono() + drain_ms;
        for (;;) {
            zstr_send(s->scheduler, "RUNNING");
            char *n = zstr_recv(s->scheduler);
            long running = n ? strtol(n, NULL, 10) : 0;
            zstr_free(&n);
            if (running == 0) {
                zsys_info("drained: no build running");
                return;
            }
            if (zclock_mono() >= deadline) {
                zsys_info("drain timeout: stopping with %ld builds running", running);
                return;
            }
            // a signal during the drain (SIGTERM) stops at once
            if (zmq_poll(&item, 1, 100) > 0 && read(sigfd, &si, sizeof si) == sizeof si
                && si.ssi_signo != SIGQUIT)
                return;
        }
    }
}

// Can a listening socket be bound at addr ("HOST:PORT")? Only asked of
// the default address, to tell "taken" (warn and go on) from a real error.
static bool
s_port_free(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t) atoi(colon + 1)) };
    char host[64];
    snprintf(host, sizeof host, "%.*s", (int) (colon - addr), addr);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return true;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

// The http face (--http), a client of the broker like the CLI. On the
// default address a port in use (another server, another program) is no
// reason not to run: the server warns and goes on without its web face;
// an address the user gave that cannot be served stops the server.
static int
s_start_http(s_server_t *s, const s_opts_t *o)
{
    unsigned bound = 0;
    pk_http_config_t hc = { .endpoint = s->broker ? s->inproc : o->broker, .listen = o->http,
                            .token = s->service, .port_out = &bound,
                            .cert = o->http_cert, .key = o->http_key,
                            .login_throttle = s_login_throttle(o, o->login_address_failures) };
    if (!s->broker)
        hc.curve = o->curve;
    if (o->http_default && !s_port_free(o->http)) {
        zsys_warning("http: %s is in use (another pikoci server?): running WITHOUT the web "
                     "face; give --http HOST:PORT for another address, or --http off", o->http);
        return 0;
    }
    if (!(s->http = pk_http_new(&hc))) {
        if (o->http_default) {
            zsys_warning("http: cannot serve the default %s: running WITHOUT the web face; "
                         "give --http HOST:PORT for another address, or --http off", o->http);
            return 0;
        }
        fprintf(stderr, "pikoci server: cannot serve http on %s (see the log above)\n", o->http);
        return 2;
    }
    char port[16];
    snprintf(port, sizeof port, "%u", bound);
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int) (strrchr(o->http, ':') - o->http), o->http);
    snprintf(s->url, sizeof s->url, "%s://%s:%s/", o->http_cert ? "https" : "http",
             strcmp(host, "*") && strcmp(host, "0.0.0.0") ? host : "127.0.0.1", port);
    zsys_info("http on %s://%s:%s", o->http_cert ? "https" : "http",
              strcmp(host, "*") ? host : "0.0.0.0", port);
    return 0;
}

int
pk_cmd_server(int argc, char **argv)
{
    if (pk_log_options(&argc, argv, "pikoci server") != 0)
        return 2;
    s_opts_t o;
    int rc = s_parse(argc, argv, &o);
    if (rc != 0) {
        if (rc == 1)
            s_usage(stdout);
        s_opts_free(&o);
        return rc == 1 ? 0 : 2;
    }
    if ((rc = s_check_curve(&o)) != 0) {
        s_opts_free(&o);
        return rc;
    }
    char *pname = NULL, *source = NULL;
    pk_value_t *vars = NULL;
    if (o.pipeline_file && (rc = s_load_pipeline(&o, &pname, &source, &vars)) != 0) {
        s_opts_free(&o);
        return rc;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGQUIT);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);    // before any thread: all inherit it
    int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    zsys_handler_set(NULL);
    pk_log_start("pikoci");
    pk_proc_make_subreaper();
    // before any thread: build processes die with us, even by kill -9
    if (o.run_worker)
        pk_proc_guard_start();
    pk_git_init();
    if (sodium_init() < 0) {
        fprintf(stderr, "pikoci server: libsodium does not initialise\n");
        return 2;
    }
    s_server_t s = { 0 };
    rc = s_start(&s, &o);
    if (rc == 0 && s.broker)
        zsys_info("listening on %s", s.listen);
    if (rc == 0 && o.http)
        rc = s_start_http(&s, &o);
    bool stopped = false;
    if (rc == 0 && !s.broker) {
        int r = s_reach_broker(&o, sigfd);
        stopped = r == 1;
        rc = r < 0 ? 2 : 0;
    }
    if (rc == 0 && pname && !stopped)
        rc = s_set_pipeline(s.broker ? s.inproc : o.broker, s.broker ? NULL : &o.curve, pname,
                            source, vars, s.service);
    if (stopped)
        zsys_info("stopping: a signal came before the broker answered");
    else
    if (rc == 0) {
        zsys_info("server ready (store %s%s%s, %s)", o.db_system, o.db_path ? " " : "",
                  o.db_path ? o.db_path : "", o.run_worker ? "with a worker" : "no worker");
        if (!o.run_worker)
            zsys_info("no worker in this process (--run-worker=false): checks and builds wait "
                      "for a `pikoci worker --broker %s`", s.broker ? s.listen : o.broker);
        if (*s.url)         // last: what to do next
            zsys_info("web UI: open %s (log in with a user's password; `pikoci users "
                      "passwd admin` gives admin one)", s.url);
        s_wait(&s, sigfd, o.drain_ms);
    }
    s_stop(&s);
    pk_server_token_set(NULL);
    pk_git_shutdown();
    close(sigfd);
    free(pname);
    free(source);
    pk_value_destroy(&vars);
    s_opts_free(&o);
    return rc;
}
