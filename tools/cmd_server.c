// pikoci server: the whole CI server in one process. It only wires things:
// a store, the broker (inproc for its own actors, --listen for the CLI,
// pikoci-top and workers), the log sink, checker, scheduler and control
// actors and, with --run-worker, a runner -- the same actors a distributed
// setup spreads over machines. With --pubsub-system zmq the actors connect
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
#include "pk_broker.h"
#include "pk_checker.h"
#include "pk_client.h"
#include "pk_cmds.h"
#include "pk_control.h"
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
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define S_DEFAULT_LISTEN "tcp://127.0.0.1:7650"

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci server [OPTIONS]\n\n"
        "Runs the CI server: broker, checker, scheduler, log sink and control in one\n"
        "process, and with --run-worker a runner too -- a complete CI system.\n\n"
        "options:\n"
        "  --db-system mem|lmdb     where state lives (default mem: in memory, nothing on\n"
        "                           disk; lmdb: durable, in --db-path)\n"
        "  --db-path DIR            the lmdb directory (required with --db-system lmdb)\n"
        "  --pubsub-system mem|zmq  mem (default): start the broker in this process;\n"
        "                           zmq: connect the actors to the broker at --broker\n"
        "  --broker ENDPOINT        the standalone broker (with --pubsub-system zmq)\n"
        "  --listen ENDPOINT        where the CLI, pikoci-top and workers connect\n"
        "                           (default " S_DEFAULT_LISTEN "; port * picks one;\n"
        "                           beyond loopback it needs --curve-cert/--curve-allow)\n"
        "  --curve-cert FILE        make --listen a CURVE server with this secret\n"
        "                           certificate (pikoci keygen)\n"
        "  --curve-allow DIR        with --curve-cert: the public certificates (NAME.cert)\n"
        "                           of the workers and users allowed to connect\n"
        "  --curve-client-cert FILE with --pubsub-system zmq: connect to --broker over\n"
        "                           CURVE with this secret certificate\n"
        "  --curve-server-key KEY|FILE  the --broker's public key or .cert file (with\n"
        "                           --curve-client-cert)\n"
        "  --run-worker             also run builds and checks in this process\n"
        "  --concurrency N          work items the embedded worker runs at once\n"
        "                           (default: the number of CPUs)\n"
        "  --tags T1,T2             tags of the embedded worker\n"
        "  --pipeline-config FILE   set this pipeline at start (validated first)\n"
        "  --pipeline-name NAME     its name (default: the file's base name)\n"
        "  --var NAME=VALUE         a pipeline variable (repeatable)\n"
        "  --vars FILE.json         pipeline variables from a JSON object\n"
        "  --allow-remote-types     a type whose pikoci://NAME is not built into pikoci is\n"
        "                           fetched from PikoCI's registry as\n"
        "                           BASE/<kind dir>/NAME.hcl (BASE: $PIKOCI_REMOTE_TYPES_URL,\n"
        "                           else " PK_SOURCES_REMOTE_BASE ")\n"
        "                           when a pipeline is set (--pipeline-config, pikoci\n"
        "                           pipelines set); without it such a name is an error.\n"
        "                           Built-in names are never fetched. What is fetched is\n"
        "                           stored with the pipeline: a restart fetches nothing\n"
        "  --drain-timeout DURATION how long SIGQUIT waits for running builds (default 5m)\n"
        "  --adopt-grace DURATION   after a restart, how long builds that were running wait\n"
        "                           for their worker to claim them before they are errored\n"
        "                           (default 10s; 0s: error them at once)\n"
        "  --heartbeat-timeout DURATION  a worker silent this long is lost (default 3s)\n"
        "  --http HOST:PORT         serve webhooks, /metrics, /healthz, /api and a read-only\n"
        "                           page there (off by default; port 0 or * picks one);\n"
        "                           beyond loopback it needs --http-cert/--http-key or\n"
        "                           --http-insecure\n"
        "  --http-cert FILE         serve --http as HTTPS with this PEM certificate (chain)\n"
        "  --http-key FILE          and this PEM private key\n"
        "  --http-insecure          allow plain HTTP on a --http address beyond loopback\n\n"
        "Signals: SIGINT/SIGTERM stop now; SIGQUIT stops starting builds, waits for the\n"
        "running ones (up to --drain-timeout), then stops.\n"
        "exit status: 0 stopped by a signal, 2 bad options, invalid pipeline or a part\n"
        "             that could not start\n");
}

typedef struct {
    const char *db_system, *db_path, *pubsub, *broker, *listen, *tags;
    const char *pipeline_file, *pipeline_name, *vars_file;
    const char *curve_cert, *curve_allow;
    const char *http;                   // --http HOST:PORT, NULL: no http face
    const char *http_cert, *http_key;   // --http-cert, --http-key: HTTPS
    bool http_insecure;                 // --http-insecure
    pk_curve_client_t curve;            // the actors' CURVE to a --broker
    const char **kvs;
    size_t kv_count;
    bool run_worker;
    bool remote_types;                  // --allow-remote-types
    uint32_t concurrency;
    int64_t drain_ms;
    int64_t adopt_grace_ms;             // -1: the scheduler's default
    int64_t heartbeat_ms;               // 0: the broker's default
} s_opts_t;

static bool
s_choice(const char *opt, const char *val, const char *a, const char *b)
{
    if (!strcmp(val, a) || !strcmp(val, b))
        return true;
    fprintf(stderr, "pikoci server: %s %s: unknown value; valid choices: %s, %s\n", opt, val, a, b);
    return false;
}

// 0 parsed, 1 --help printed, 2 usage error (printed).
static int
s_parse(int argc, char **argv, s_opts_t *o)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (s_opts_t) { .db_system = "mem", .pubsub = "mem", .listen = S_DEFAULT_LISTEN,
                      .concurrency = cpus > 0 ? (uint32_t) cpus : 1, .drain_ms = 300000,
                      .adopt_grace_ms = -1,
                      .kvs = calloc((size_t) argc, sizeof(char *)) };
    static const char *with_value[] = { "--db-system", "--db-path", "--pubsub-system", "--broker",
        "--listen", "--concurrency", "--tags", "--pipeline-config", "--pipeline-name", "--var",
        "--vars", "--drain-timeout", "--adopt-grace", "--heartbeat-timeout", "--curve-cert", "--curve-allow", "--curve-client-cert",
        "--curve-server-key", "--http", "--http-cert", "--http-key", NULL };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (!strcmp(a, "--http-insecure")) {
            o->http_insecure = true;
            continue;
        }
        if (!strcmp(a, "--run-worker")) {
            o->run_worker = true;
            continue;
        }
        if (!strcmp(a, "--allow-remote-types")) {
            o->remote_types = true;
            continue;
        }
        bool known = false;
        for (const char **w = with_value; *w && !known; w++)
            known = !strcmp(a, *w);
        if (!known) {
            fprintf(stderr, "pikoci server: unknown %s %s (see pikoci server --help)\n",
                    a[0] == '-' ? "option" : "argument", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "pikoci server: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--db-system")) {
            if (!s_choice(a, v, "mem", "lmdb"))
                return 2;
            o->db_system = v;
        }
        else
        if (!strcmp(a, "--pubsub-system")) {
            if (!s_choice(a, v, "mem", "zmq"))
                return 2;
            o->pubsub = v;
        }
        else
        if (!strcmp(a, "--concurrency")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1024) {
                fprintf(stderr, "pikoci server: --concurrency %s: expected a number from 1 to 1024\n", v);
                return 2;
            }
            o->concurrency = (uint32_t) n;
        }
        else
        if (!strcmp(a, "--drain-timeout") || !strcmp(a, "--adopt-grace")
            || !strcmp(a, "--heartbeat-timeout")) {
            int64_t *ms = !strcmp(a, "--drain-timeout") ? &o->drain_ms
                        : !strcmp(a, "--adopt-grace") ? &o->adopt_grace_ms : &o->heartbeat_ms;
            char *err = NULL;
            if (pk_duration_parse(v, ms, &err) != 0 || *ms > INT32_MAX
                || (ms == &o->heartbeat_ms && *ms < 100)) {
                fprintf(stderr, "pikoci server: %s %s: %s\n", a, v,
                        err ? err : ms == &o->heartbeat_ms ? "at least 100ms" : "too long");
                free(err);
                return 2;
            }
        }
        else
        if (!strcmp(a, "--db-path"))         o->db_path = v;
        else if (!strcmp(a, "--broker"))          o->broker = v;
        else if (!strcmp(a, "--listen"))          o->listen = v;
        else if (!strcmp(a, "--tags"))            o->tags = v;
        else if (!strcmp(a, "--pipeline-config")) o->pipeline_file = v;
        else if (!strcmp(a, "--pipeline-name"))   o->pipeline_name = v;
        else if (!strcmp(a, "--vars"))            o->vars_file = v;
        else if (!strcmp(a, "--curve-cert"))      o->curve_cert = v;
        else if (!strcmp(a, "--curve-allow"))     o->curve_allow = v;
        else if (!strcmp(a, "--curve-client-cert")) o->curve.cert = v;
        else if (!strcmp(a, "--curve-server-key"))  o->curve.server_key = v;
        else if (!strcmp(a, "--http"))            o->http = v;
        else if (!strcmp(a, "--http-cert"))       o->http_cert = v;
        else if (!strcmp(a, "--http-key"))        o->http_key = v;
        else                                      o->kvs[o->kv_count++] = v;
    }
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
    if ((o->curve_cert || o->curve_allow) && !strcmp(o->pubsub, "zmq")) {
        fprintf(stderr, "pikoci server: --curve-cert and --curve-allow are for the embedded "
                "broker's --listen; with --pubsub-system zmq use --curve-client-cert and "
                "--curve-server-key\n");
        return 2;
    }
    if (pk_curve_client_set(&o->curve) && strcmp(o->pubsub, "zmq")) {
        fprintf(stderr, "pikoci server: --curve-client-cert and --curve-server-key go with "
                "--pubsub-system zmq (the embedded broker takes --curve-cert/--curve-allow)\n");
        return 2;
    }
    char *http_err = NULL;
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
    if ((o->pipeline_name || o->kv_count || o->vars_file) && !o->pipeline_file) {
        fprintf(stderr, "pikoci server: --pipeline-name, --var and --vars go with --pipeline-config\n");
        return 2;
    }
    return 0;
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
               const char *source, const pk_value_t *vars)
{
    char *err = NULL;
    pk_client_t *client = pk_client_new_secure(endpoint, curve, &err);
    if (!client) {
        fprintf(stderr, "pikoci server: %s\n", err ? err : "cannot connect to the broker");
        free(err);
        return 2;
    }
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
    zactor_t *broker, *logsink, *checker, *scheduler, *control, *runner;
    zactor_t *http;                     // --http
    char inproc[64], listen[256], work_root[PATH_MAX];
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
    if (s->work_root[0])
        rmdir(s->work_root);
}

// "server ready" means a request is answered: the actors say HELLO to the
// broker from their own threads, so wait until it knows every role.
static int
s_await_roles(zactor_t *broker)
{
    zstr_send(broker, "AWAIT control scheduler checker logsink");
    zpoller_t *poller = zpoller_new(broker, NULL);
    bool ok = zpoller_wait(poller, 15000) == broker;
    zpoller_destroy(&poller);
    char *reply = ok ? zstr_recv(broker) : NULL;
    ok = reply && streq(reply, "ready");
    zstr_free(&reply);
    if (!ok)
        fprintf(stderr, "pikoci server: the actors did not announce themselves to the broker "
                "within 15 s\n");
    return ok ? 0 : -1;
}

static int
s_start(s_server_t *s, const s_opts_t *o)
{
    char *err = NULL;
    s->store = pk_store_open(o->db_system, o->db_path, &err);
    if (!s->store) {
        fprintf(stderr, "pikoci server: cannot open the %s store: %s\n", o->db_system,
                err ? err : "?");
        free(err);
        return 2;
    }
    const char *endpoint = o->broker;
    if (!strcmp(o->pubsub, "mem")) {
        snprintf(s->inproc, sizeof s->inproc, "inproc://pikoci-server-%d", (int) getpid());
        pk_broker_config_t bc = { .inproc = s->inproc, .listen = o->listen,
                                  .curve_cert = o->curve_cert, .curve_allow = o->curve_allow,
                                  .heartbeat_timeout_ms = (int) o->heartbeat_ms };
        s->broker = pk_broker_new(&bc);
        if (!s->broker) {
            fprintf(stderr, "pikoci server: cannot listen on %s (is another server running?)\n",
                    o->listen);
            return 2;
        }
        zstr_send(s->broker, "ENDPOINT");
        char *bound = zstr_recv(s->broker);
        snprintf(s->listen, sizeof s->listen, "%s", bound && *bound ? bound : o->listen);
        zstr_free(&bound);
        endpoint = s->inproc;
    }
    // in-process actors use inproc (plain); o->curve is only set with --broker
    pk_logsink_config_t lc = { .endpoint = endpoint, .store = s->store, .curve = o->curve };
    pk_checker_config_t cc = { .endpoint = endpoint, .store = s->store, .curve = o->curve };
    // the scheduler's adopt_grace_ms: 0 its default, negative "at once"
    pk_scheduler_config_t sc = { .endpoint = endpoint, .store = s->store, .curve = o->curve,
                                 .adopt_grace_ms = o->adopt_grace_ms < 0 ? 0
                                                 : o->adopt_grace_ms == 0 ? -1
                                                 : (int) o->adopt_grace_ms,
                                 .allow_remote_types = o->remote_types };
    pk_control_config_t ctl = { .endpoint = endpoint, .store = s->store, .curve = o->curve,
                                .allow_remote_types = o->remote_types };
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
                                  .curve = o->curve };
        if (!(s->runner = pk_runner_new(&rc))) {
            fprintf(stderr, "pikoci server: the embedded worker could not start\n");
            return 2;
        }
    }
    return 0;
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

// The http face (--http), a client of the broker like the CLI.
static int
s_start_http(s_server_t *s, const s_opts_t *o)
{
    pk_http_config_t hc = { .endpoint = s->broker ? s->inproc : o->broker, .listen = o->http,
                            .cert = o->http_cert, .key = o->http_key };
    if (!s->broker)
        hc.curve = o->curve;
    if (!(s->http = pk_http_new(&hc))) {
        fprintf(stderr, "pikoci server: cannot serve http on %s (see the log above)\n", o->http);
        return 2;
    }
    zstr_send(s->http, "PORT");
    char *port = zstr_recv(s->http);
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int) (strrchr(o->http, ':') - o->http), o->http);
    zsys_info("http on %s://%s:%s", o->http_cert ? "https" : "http",
              strcmp(host, "*") ? host : "0.0.0.0", port ? port : "?");
    zstr_free(&port);
    return 0;
}

int
pk_cmd_server(int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse(argc, argv, &o);
    if (rc != 0) {
        if (rc == 1)
            s_usage(stdout);
        free(o.kvs);
        return rc == 1 ? 0 : 2;
    }
    if ((rc = s_check_curve(&o)) != 0) {
        free(o.kvs);
        return rc;
    }
    char *pname = NULL, *source = NULL;
    pk_value_t *vars = NULL;
    if (o.pipeline_file && (rc = s_load_pipeline(&o, &pname, &source, &vars)) != 0) {
        free(o.kvs);
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
    zsys_set_logstream(stderr);
    zsys_set_logident("pikoci");
    pk_proc_make_subreaper();
    pk_git_init();
    s_server_t s = { 0 };
    rc = s_start(&s, &o);
    if (rc == 0 && s.broker)
        zsys_info("listening on %s", s.listen);
    if (rc == 0 && o.http)
        rc = s_start_http(&s, &o);
    if (rc == 0 && pname)
        rc = s_set_pipeline(s.broker ? s.inproc : o.broker, s.broker ? NULL : &o.curve, pname,
                            source, vars);
    if (rc == 0) {
        zsys_info("server ready (store %s%s%s, %s)", o.db_system, o.db_path ? " " : "",
                  o.db_path ? o.db_path : "", o.run_worker ? "with a worker" : "no worker");
        s_wait(&s, sigfd, o.drain_ms);
    }
    s_stop(&s);
    pk_git_shutdown();
    close(sigfd);
    free(pname);
    free(source);
    pk_value_destroy(&vars);
    free(o.kvs);
    return rc;
}
