// bench_cluster: pikoci spread over processes as over machines -- `pikoci
// broker`, `pikoci server --pubsub-system zmq` and 8 `pikoci worker`s of one
// slot on loopback: 5 N one-task builds triggered back to back, every one
// checked to have run exactly once, builds/s against a single-node server
// (`pikoci server --run-worker --concurrency 2`) measured in the same run.
#include "bench_util.h"
#include "pk_msg.h"
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *s_pipeline =
    "job \"one\" {\n  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n"
    "    }\n  }\n}\n";

// Single node: us per build of n back to back, 0 when they did not all succeed.
static double
s_single(int n)
{
    bench_server_t s = { 0 };
    const char *conc[] = { "--concurrency", "2", NULL };
    double us = 0;
    if (bench_server_start(&s, conc) == 0 && bench_set(&s, "cluster", s_pipeline) == 0) {
        pk_client_subscribe(s.client, "build.", NULL);
        int64_t t0 = bench_now_us();
        int done = 0;
        for (int i = 0; i < n; i++)
            if (bench_request(&s, "trigger", "pipeline", "cluster", "job", "one", NULL, NULL))
                break;
        while (done < n && bench_await(&s, "build.succeeded", "one", NULL, 0, 60000) == 0)
            done++;
        if (done == n)
            us = (double) (bench_now_us() - t0) / n;
    }
    bench_server_stop(&s);
    return us;
}

// 1 broker, 1 server whose actors connect to it, 8 workers of one slot, all
// separate processes on loopback: n builds triggered back to back, none lost
// or duplicated; builds/s against the single-node server of this run.
static void
s_cluster(int n, double single_us)
{
    bench_server_t s = { 0 };
    char endpoint[256];
    char *broker[] = { "pikoci", "broker", "--listen", "tcp://127.0.0.1:*", NULL };
    s.pid = bench_spawn(&s, broker);
    if (s.pid < 0 || bench_wait_log(s.logs[0], "listening on ", endpoint, sizeof endpoint) != 0) {
        bench_server_stop(&s);
        return;
    }
    char *server[] = { "pikoci", "server", "--run-worker=false", "--pubsub-system", "zmq",
                       "--broker", endpoint, NULL };
    bool ok = bench_spawn(&s, server) > 0 && bench_wait_log(s.logs[1], "server ready", NULL, 0) == 0;
    for (int i = 0; ok && i < 8; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        char *worker[] = { "pikoci", "worker", "--broker", endpoint, "--name", name,
                           "--concurrency", "1", NULL };
        ok = bench_spawn(&s, worker) > 0;
    }
    ok = ok && bench_connect(&s, endpoint) == 0;
    size_t workers = 0;
    int64_t end = bench_now_us() + 30 * 1000000LL;
    while (ok && workers < 8 && bench_now_us() < end) {
        pk_value_t *list = NULL;
        bench_request(&s, "broker.workers", NULL, NULL, NULL, NULL, NULL, &list);
        workers = list ? pk_value_len(list) : 0;
        pk_value_destroy(&list);
        if (workers < 8)
            usleep(50000);      // workers announce themselves: poll with a deadline
    }
    if (!ok || workers < 8 || bench_set(&s, "cluster", s_pipeline) != 0) {
        fprintf(stderr, "bench_cluster: the cluster did not come up (%zu workers)\n", workers);
        bench_server_stop(&s);
        return;
    }
    pk_client_subscribe(s.client, "build.", NULL);
    int64_t t0 = bench_now_us();
    int done = 0;
    for (int i = 0; i < n; i++)
        if (bench_request(&s, "trigger", "pipeline", "cluster", "job", "one", NULL, NULL) != 0)
            break;
    while (done < n && bench_await(&s, "build.succeeded", "one", NULL, 0, 60000) == 0)
        done++;
    double secs = (double) (bench_now_us() - t0) / 1e6;
    // every build once: n records, numbers 1..n, all succeeded
    pk_value_t *list = NULL;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "cluster");
    pk_kv_set(&args, "job", "one");
    pk_kv_set(&args, "limit", "0");             // all of them, not the first page
    bench_request_kv(&s, "builds", &args, NULL, &list);
    pk_kv_clear(&args);
    size_t count = list ? pk_value_len(list) : 0, good = 0;
    char *seen = calloc((size_t) n + 1, 1);
    for (size_t i = 0; i < count; i++) {
        const pk_value_t *b = pk_value_list_at(list, i);
        const pk_value_t *num = pk_value_object_get(b, "number");
        const pk_value_t *st = pk_value_object_get(b, "status");
        long k = num ? strtol(pk_value_string(num), NULL, 10) : 0;
        if (k >= 1 && k <= n && !seen[k] && st && !strcmp(pk_value_string(st), "succeeded")) {
            seen[k] = 1;
            good++;
        }
    }
    free(seen);
    pk_value_destroy(&list);
    char name[160];
    snprintf(name, sizeof name, "cluster: %d builds, broker+server+8 workers (%zu/%d once each)",
             n, good, n);
    bench_row(name, done / secs, "b/s", single_us > 0 ? 1e6 / single_us : 0, "single node");
    bench_server_stop(&s);
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    s_cluster(5 * n, s_single(n));
    zsys_shutdown();
    return 0;
}
