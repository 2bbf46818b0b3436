// pikoci worker: runner actors only, on a machine of their own, connected to
// a broker (`pikoci broker`, or a server's --listen address). The runner
// actor does the work (actors/pk_runner.h): READY with its tags and slots,
// heartbeats, reconnection (the DEALER reconnects by itself; the broker asks
// a worker it does not know to announce itself again). This file parses
// options, makes the process a child subreaper, and stops on SIGINT/SIGTERM:
// running builds are cancelled (their on_cancel and ensure hooks run).
// With --curve-cert/--curve-server-key the link is CURVE (a broker listening
// beyond loopback requires it); the keys are loaded here first so a bad
// file stops the worker with its reason instead of a silent retry loop.
#include "pk_cmds.h"
#include "pk_curve.h"
#include "pk_git.h"
#include "pk_proc.h"
#include "pk_runner.h"
#include "pk_tokens.h"
#include <czmq.h>
#include <limits.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci worker --broker ENDPOINT [--name NAME] [--tags T1,T2] [--exclusive-tags]\n"
        "                     [--concurrency N] [--work-dir DIR] [--run-as USER]\n"
        "                     [--curve-cert FILE --curve-server-key KEY|FILE]\n"
        "                     [--worker-token FILE]\n\n"
        "Runs builds and checks for the server behind the broker at ENDPOINT.\n\n"
        "options:\n"
        "  --broker ENDPOINT   the broker (or a server's --listen address); default\n"
        "                      $PIKOCI_BROKER\n"
        "  --name NAME         this worker's name (default HOST-PID); unique per broker\n"
        "  --tags T1,T2        work tagged with a subset of these may run here\n"
        "  --exclusive-tags    take only tagged work\n"
        "  --concurrency N     work items at once (default: the number of CPUs)\n"
        "  --work-dir DIR      where builds' $WORKDIRs are made (default $TMPDIR or /tmp);\n"
        "                      a worker removes the work directories dead workers left there\n"
        "  --run-as USER       run every build process as USER (an unprivileged user;\n"
        "                      the worker must run as root): without it builds run with\n"
        "                      the worker's own rights, keys included\n"
        "  --curve-cert FILE   connect with CURVE using this worker's secret certificate\n"
        "                      (pikoci keygen; the broker must have its NAME.cert in its\n"
        "                      --curve-allow directory)\n"
        "  --curve-server-key KEY|FILE  the broker's public key (40 Z85 characters) or\n"
        "                      its .cert file; goes with --curve-cert\n"
        "  --worker-token FILE the worker token shown to the broker in READY (a file\n"
        "                      holding it); default $PIKOCI_WORKER_TOKEN (the token\n"
        "                      itself), else worker.token in the runtime dir, which a\n"
        "                      server or broker of the same user made there\n"
        "                      ($PIKOCI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/pikoci, else\n"
        "                      /tmp/pikoci-UID). A broker gives work only to a worker\n"
        "                      whose token is in its list; a token bound to a team gets\n"
        "                      only that team's work. A refused worker logs why and\n"
        "                      keeps asking.\n"
        PK_LOG_HELP "\n"
        "A worker whose key the broker does not allow, or with the wrong server key,\n"
        "never connects: the broker logs the refused key, the worker says why it\n"
        "cannot get in. Cut off from the broker, a worker keeps running its builds\n"
        "and reports them when it is back (the broker keeps them for its\n"
        "--worker-grace); its log says when it loses and regains the broker.\n"
        "exit status: 0 stopped by SIGINT/SIGTERM, 2 bad options or unusable keys\n");
}

int
pk_cmd_worker(int argc, char **argv)
{
    if (pk_log_options(&argc, argv, "pikoci worker") != 0)
        return 2;
    const char *broker = getenv("PIKOCI_BROKER"), *name = NULL, *tags = NULL, *dir = NULL;
    const char *run_as = NULL;
    const char *token_file = NULL;
    pk_curve_client_t curve = { 0 };
    bool exclusive = false;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t slots = cpus > 0 ? (uint32_t) cpus : 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--exclusive-tags")) {
            exclusive = true;
            continue;
        }
        bool known = !strcmp(a, "--broker") || !strcmp(a, "--name") || !strcmp(a, "--tags")
                  || !strcmp(a, "--concurrency") || !strcmp(a, "--work-dir")
                  || !strcmp(a, "--curve-cert") || !strcmp(a, "--curve-server-key")
                  || !strcmp(a, "--run-as") || !strcmp(a, "--worker-token");
        if (!known || i + 1 >= argc) {
            fprintf(stderr, known ? "pikoci worker: %s needs a value\n"
                                  : "pikoci worker: unknown option %s (see pikoci worker --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--broker"))
            broker = v;
        else
        if (!strcmp(a, "--name"))
            name = v;
        else
        if (!strcmp(a, "--tags"))
            tags = v;
        else
        if (!strcmp(a, "--work-dir"))
            dir = v;
        else
        if (!strcmp(a, "--run-as"))
            run_as = v;
        else
        if (!strcmp(a, "--curve-cert"))
            curve.cert = v;
        else
        if (!strcmp(a, "--curve-server-key"))
            curve.server_key = v;
        else
        if (!strcmp(a, "--worker-token"))
            token_file = v;
        else {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 1 || n > 1024) {
                fprintf(stderr, "pikoci worker: --concurrency %s: expected a number from 1 to 1024\n", v);
                return 2;
            }
            slots = (uint32_t) n;
        }
    }
    if (!broker || !*broker) {
        fprintf(stderr, "pikoci worker: --broker tcp://HOST:PORT is required\n");
        return 2;
    }
    if (exclusive && (!tags || !*tags)) {
        fprintf(stderr, "pikoci worker: --exclusive-tags needs --tags: it would never take any work\n");
        return 2;
    }
    pk_proc_user_t user = { 0 };
    if (run_as && pk_cmd_run_as(&user, run_as, "worker") != 0)
        return 2;
    char *err = NULL;
    char *token = pk_worker_token_find(token_file, &err);
    unsetenv("PIKOCI_WORKER_TOKEN");    // builds inherit our environment: not this
    if (err) {
        fprintf(stderr, "pikoci worker: --worker-token: %s\n", err);
        free(err);
        return 2;
    }
    if (!token)
        fprintf(stderr, "pikoci worker: no worker token (--worker-token FILE, "
                "$PIKOCI_WORKER_TOKEN, or the runtime dir's worker.token): a broker gives "
                "work only to a worker it knows\n");
    if (pk_curve_client_check(&curve, &err) != 0) {
        pk_proc_user_clear(&user);
        fprintf(stderr, "pikoci worker: %s\n", err ? err : "unusable CURVE keys");
        free(err);
        free(token);
        return 2;
    }
    if (!pk_curve_client_set(&curve) && !pk_curve_is_loopback(broker))
        fprintf(stderr, "pikoci worker: connecting to %s without CURVE: a broker listening "
                "beyond loopback refuses that (see --curve-cert)\n", broker);
    char host[256] = "worker", default_name[320], work_root[PATH_MAX];
    gethostname(host, sizeof host - 1);
    snprintf(default_name, sizeof default_name, "%s-%d", host, (int) getpid());
    const char *tmp = getenv("TMPDIR");
    // absolute: tasks run in their $WORKDIR, which must not depend on where
    // the worker was started
    char cwd[PATH_MAX / 2] = "/";
    if (dir && dir[0] != '/' && !getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "pikoci worker: --work-dir %s: cannot tell the current directory\n", dir);
        free(token);
        return 2;
    }
    if (dir && dir[0] != '/')
        snprintf(work_root, sizeof work_root, "%s/%.*s/pikoci-work-%d", cwd, PATH_MAX / 4, dir,
                 (int) getpid());
    else
        snprintf(work_root, sizeof work_root, "%s/pikoci-work-%d",
                 dir ? dir : tmp && *tmp ? tmp : "/tmp", (int) getpid());
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    zsys_handler_set(NULL);
    pk_log_start("pikoci-worker");
    pk_proc_make_subreaper();
    // before any thread: build processes die with us, even by kill -9
    pk_proc_guard_start();
    pk_git_init();
    pk_runner_config_t cfg = { .name = name ? name : default_name, .endpoint = broker,
                               .slots = slots, .tags = tags, .exclusive = exclusive,
                               .work_root = work_root, .curve = curve,
                               .run_as = run_as ? &user : NULL, .token = token };
    zactor_t *runner = pk_runner_new(&cfg);
    int rc = 2;
    if (runner) {
        zsys_info("worker %s: %u slots%s%s%s, broker %s", cfg.name, slots, tags ? ", tags " : "",
                  tags ? tags : "", exclusive ? " (exclusive)" : "", broker);
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof si) != sizeof si)
            ;
        zsys_info("signal %d: stopping", (int) si.ssi_signo);
        zactor_destroy(&runner);
        rc = 0;
    }
    else
        fprintf(stderr, "pikoci worker: the runner could not start (see above)\n");
    rmdir(work_root);
    pk_proc_user_clear(&user);
    free(token);
    pk_git_shutdown();
    close(sigfd);
    return rc;
}
