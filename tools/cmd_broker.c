// pikoci broker: the broker alone, for a server whose actors and workers run
// in other processes or on other machines (`pikoci server --pubsub-system
// zmq --broker ...`, `pikoci worker --broker ...`). Everything it does is
// the broker actor's (broker/pk_broker.h); this file parses options and
// waits for SIGINT/SIGTERM on a signalfd. A listen address beyond loopback
// needs CURVE keys: the config is checked (and refused with the reason)
// before anything binds.
#include "pk_broker.h"
#include "pk_cmds.h"
#include "pk_curve.h"
#include "pk_duration.h"
#include "pk_tokens.h"
#include "pk_runner.h"
#include <czmq.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci broker [--listen ENDPOINT] [--heartbeat-timeout DURATION]\n"
        "                     [--worker-grace DURATION]\n"
        "                     [--curve-cert FILE --curve-allow DIR]\n"
        "                     [--server-token FILE] [--worker-tokens FILE]\n\n"
        "Runs the broker alone: servers' actors, workers, the CLI and pikoci-top\n"
        "connect to it and it routes their messages.\n\n"
        "options:\n"
        "  --listen ENDPOINT            where to listen (default tcp://127.0.0.1:7650;\n"
        "                               port * picks a free one)\n"
        "  --heartbeat-timeout DURATION a worker silent this long is shown unreachable and\n"
        "                               gets no new work (default 3s, at least 2s)\n"
        "  --worker-grace DURATION      how long an unreachable worker's work waits for it:\n"
        "                               one back within it carries on; after it, work it\n"
        "                               started is errored and work it never started goes\n"
        "                               to another worker (default 3m; 0s: at once)\n"
        "  --curve-cert FILE            encrypt and authenticate the tcp listener with CURVE:\n"
        "                               the broker's secret certificate (pikoci keygen)\n"
        "  --curve-allow DIR            with --curve-cert: only clients whose public\n"
        "                               certificate (NAME.cert) is in DIR may connect; DIR\n"
        "                               is re-read when it changes; refused keys are logged\n"
        "  --server-token FILE          a peer takes a server role (control, scheduler,\n"
        "                               checker, logsink) only with this token in its\n"
        "                               HELLO (pikoci server --server-token); default:\n"
        "                               server.token in the runtime dir, made if missing\n"
        "  --worker-tokens FILE         a worker's READY must carry a token listed here\n"
        "                               (\"<sha256> <team|*> [label]\" lines, see pikoci\n"
        "                               worker-token new); default: worker-tokens in the\n"
        "                               runtime dir, made with worker.token's hash\n"
        PK_LOG_HELP "\n"
        "Runtime dir: $PIKOCI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/pikoci, else\n"
        "/tmp/pikoci-UID. Refused HELLOs and READYs are logged once and counted\n"
        "(broker.stats \"refused\", pikoci_broker_refused in /metrics).\n"
        "A listen address that is not loopback (tcp://127.x.x.x, localhost, ipc://) is\n"
        "refused without --curve-cert and --curve-allow.\n\n"
        "exit status: 0 stopped by SIGINT/SIGTERM, 2 bad options, unusable keys or cannot\n"
        "             listen\n");
}

int
pk_cmd_broker(int argc, char **argv)
{
    if (pk_log_options(&argc, argv, "pikoci broker") != 0)
        return 2;
    const char *listen = "tcp://127.0.0.1:7650", *curve_cert = NULL, *curve_allow = NULL;
    const char *worker_tokens = NULL, *server_token = NULL;
    int64_t hb_ms = 3000, grace_ms = PK_WORKER_GRACE_MS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage(stdout);
            return 0;
        }
        bool known = !strcmp(a, "--listen") || !strcmp(a, "--heartbeat-timeout")
                  || !strcmp(a, "--worker-grace")
                  || !strcmp(a, "--curve-cert") || !strcmp(a, "--curve-allow")
                  || !strcmp(a, "--worker-tokens") || !strcmp(a, "--server-token");
        if (!known || i + 1 >= argc) {
            fprintf(stderr, known ? "pikoci broker: %s needs a value\n"
                                  : "pikoci broker: unknown option %s (see pikoci broker --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--listen"))
            listen = v;
        else
        if (!strcmp(a, "--curve-cert"))
            curve_cert = v;
        else
        if (!strcmp(a, "--curve-allow"))
            curve_allow = v;
        else
        if (!strcmp(a, "--worker-grace")) {
            char *err = NULL;
            if (pk_duration_parse(v, &grace_ms, &err) != 0) {
                fprintf(stderr, "pikoci broker: --worker-grace %s: %s\n", v, err ? err : "?");
                free(err);
                return 2;
            }
        }
        else
        if (!strcmp(a, "--worker-tokens"))
            worker_tokens = v;
        else
        if (!strcmp(a, "--server-token"))
            server_token = v;
        else {
            char *err = NULL;
            if (pk_duration_parse(v, &hb_ms, &err) != 0 || hb_ms < PK_HEARTBEAT_TIMEOUT_MIN_MS) {
                fprintf(stderr, "pikoci broker: --heartbeat-timeout %s: %s\n", v,
                        err ? err : "at least 2s (workers beat every second)");
                free(err);
                return 2;
            }
        }
    }
    char *list = NULL, *token = NULL, *reason = NULL;
    if (pk_tokens_setup(worker_tokens, server_token, &list, &token, &reason) != 0) {
        fprintf(stderr, "pikoci broker: %s\n", reason ? reason : "cannot set up the tokens");
        free(reason);
        return 2;
    }
    pk_broker_config_t cfg = { .listen = listen, .heartbeat_timeout_ms = (int) hb_ms,
                               .worker_grace_ms = grace_ms,
                               .curve_cert = curve_cert, .curve_allow = curve_allow,
                               .server_token = token, .worker_tokens = list };
    if (pk_broker_config_check(&cfg, &reason) != 0) {
        fprintf(stderr, "pikoci broker: %s\n", reason ? reason : "unusable options");
        free(reason);
        free(list);
        free(token);
        return 2;
    }
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    zsys_handler_set(NULL);
    pk_log_start("pikoci-broker");
    zactor_t *broker = pk_broker_new(&cfg);
    if (!broker) {
        fprintf(stderr, "pikoci broker: cannot listen on %s\n", listen);
        close(sigfd);
        free(list);
        free(token);
        return 2;
    }
    zstr_send(broker, "ENDPOINT");
    char *bound = zstr_recv(broker);
    zsys_info("listening on %s", bound ? bound : listen);
    zstr_free(&bound);
    struct signalfd_siginfo si;
    while (read(sigfd, &si, sizeof si) != sizeof si)
        ;
    zstr_send(broker, "STATS");
    char *stats = zstr_recv(broker);
    zsys_info("signal %d: stopping (workers pending dropped events rejected refused: %s)",
              (int) si.ssi_signo, stats ? stats : "?");
    zstr_free(&stats);
    zactor_destroy(&broker);
    close(sigfd);
    free(list);
    free(token);
    return 0;
}
