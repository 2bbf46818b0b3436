// bench_server: the whole server, as a user runs it -- `pikoci server
// --run-worker` as a separate process, driven over tcp on loopback through
// the client library the CLI uses:
//   - N one-task builds (exec /bin/true) triggered back to back, until every
//     one succeeded, against the runner-only floor (the same builds sent
//     straight to a runner actor, same concurrency) measured in this run;
//   - trigger -> build started latency, p50 and p99, one build at a time,
//     against the runner-only time of one whole build;
//   - a commit to a local git repository, `check`, and the build it
//     triggers: check -> created and check -> started, against the 1 s target;
//   - a 200 MB log: the server's peak RSS while it streams (the target is
//     32 MB) and the log read back through `logs` ranges, byte-exact;
//   - idle RSS with 100 pipelines loaded against the RSS with one;
//   - a cluster: `pikoci broker`, `pikoci server --pubsub-system zmq` and 8
//     `pikoci worker`s, 5 N builds, none lost or duplicated, builds/s
//     against the single-node server of this run.
#include "bench_util.h"
#include "pk_client.h"
#include "pk_msg.h"
#include "pk_sha256.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_BIG_CMD "yes 'pikoci bench log line: 0123456789 abcdefghijklmnopqrstuvwxyz' 2>/dev/null | head -c 200000000"

static const char *s_pipeline =
    "job \"one\" {\n"
    "  task \"t\" {\n"
    "    run \"exec\" {\n"
    "      path = \"/bin/true\"\n"
    "    }\n"
    "  }\n"
    "}\n"
    "job \"big\" {\n"
    "  task \"t\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"" S_BIG_CMD "\"\n"
    "    }\n"
    "  }\n"
    "}\n";

static const char *s_idle_pipeline =
    "resource_type \"cron\" {\n  source = \"pikoci://cron\"\n}\n"
    "resource \"cron\" \"tick\" {\n  check_interval = \"@every 1h\"\n}\n"
    "job \"j\" {\n  get \"cron\" \"tick\" {\n    trigger = true\n  }\n"
    "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n";

#define S_PROCS_MAX 16

typedef struct {
    pid_t pid;                  // the server (or broker) the client talks to
    pk_client_t *client;
    pid_t procs[S_PROCS_MAX];   // every process started, the first is pid
    char logs[S_PROCS_MAX][64];
    int count;
} s_server_t;

// VmRSS, or with anon the private part alone (RssAnon: the log store's
// pages, mapped while logs are read back, are not the server's own memory).
static long
s_rss_kb_of(pid_t pid, bool anon)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, anon ? "RssAnon:" : "VmRSS:", anon ? 8 : 6))
            kb = strtol(line + (anon ? 8 : 6), NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static long
s_rss_kb(pid_t pid)
{
    return s_rss_kb_of(pid, false);
}

// The pikoci binary beside this build's bench/ directory.
static void
s_pikoci_path(char *out, size_t size)
{
    char self[PATH_MAX - 32];       // room for the suffix in out
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(out, size, "%s/../tools/pikoci", self);
}

// Starts `pikoci ARGS...` with its stderr in a log of its own.
static pid_t
s_spawn(s_server_t *s, char *const args[])
{
    char bin[PATH_MAX];
    s_pikoci_path(bin, sizeof bin);
    if (s->count == S_PROCS_MAX)
        return -1;
    char *log = s->logs[s->count];
    snprintf(log, sizeof s->logs[0], "/tmp/pikoci-bench-%d-%d.log", (int) getpid(), s->count);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(127);
        execv(bin, args);
        _exit(127);
    }
    s->procs[s->count++] = pid;
    return pid;
}

// Waits for "needle" in a log; with endpoint, copies the tcp endpoint that
// follows "listening on ". 0 or -1.
static int
s_wait_log(const char *log, const char *needle, char *endpoint, size_t size)
{
    int64_t end = bench_now_us() + 30 * 1000000LL;
    while (bench_now_us() < end) {
        FILE *f = fopen(log, "r");
        char line[512];
        bool found = false;
        while (f && fgets(line, sizeof line, f) && !found) {
            char *at = strstr(line, needle);
            if (at && endpoint) {
                snprintf(endpoint, size, "%s", at + strlen(needle));
                endpoint[strcspn(endpoint, " \n")] = 0;
            }
            found = at != NULL;
        }
        if (f)
            fclose(f);
        if (found)
            return 0;
        usleep(20000);          // a log is all we can watch
    }
    fprintf(stderr, "bench_server: \"%s\" never appeared in %s\n", needle, log);
    return -1;
}

static int
s_connect(s_server_t *s, const char *endpoint)
{
    char *err = NULL;
    s->client = pk_client_new(endpoint, &err);
    if (!s->client) {
        fprintf(stderr, "bench_server: %s\n", err ? err : "cannot connect");
        free(err);
        return -1;
    }
    return 0;
}

// A single-node server with an embedded worker of 2 slots.
static int
s_start(s_server_t *s)
{
    char *args[] = { "pikoci", "server", "--listen", "tcp://127.0.0.1:*", "--run-worker",
                     "--concurrency", "2", NULL };
    s->pid = s_spawn(s, args);
    char endpoint[256];
    if (s->pid < 0 || s_wait_log(s->logs[0], "listening on ", endpoint, sizeof endpoint) != 0)
        return -1;
    return s_connect(s, endpoint);
}

static void
s_stop(s_server_t *s)
{
    pk_client_destroy(&s->client);
    for (int i = s->count - 1; i >= 0; i--) {     // workers first, the broker last
        kill(s->procs[i], SIGTERM);
        waitpid(s->procs[i], NULL, 0);
        unlink(s->logs[i]);
    }
    s->count = 0;
}

// A request whose reply body we may want; 0 or -1 (printed).
static int
s_request(s_server_t *s, const char *op, const char *k1, const char *v1, const char *k2,
          const char *v2, const pk_value_t *body, pk_value_t **reply_out)
{
    pk_kv_t args = { 0 };
    if (k1)
        pk_kv_set(&args, k1, v1);
    if (k2)
        pk_kv_set(&args, k2, v2);
    uint8_t *packed = NULL, *reply = NULL;
    size_t packed_size = 0, reply_size = 0;
    if (body)
        pk_value_pack_bytes(body, &packed, &packed_size);
    char *err = NULL;
    int rc = pk_client_request(s->client, op, &args, packed, packed_size, 30000, &reply,
                               &reply_size, &err);
    if (rc != 0)
        fprintf(stderr, "bench_server: %s: %s\n", op, err ? err : "no answer");
    if (rc == 0 && reply_out)
        *reply_out = pk_value_unpack(reply, reply_size);
    free(err);
    free(reply);
    free(packed);
    pk_kv_clear(&args);
    return rc == 0 ? 0 : -1;
}

static int
s_set(s_server_t *s, const char *name, const char *source)
{
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(source));
    int rc = s_request(s, "pipeline.set", "pipeline", name, NULL, NULL, body, NULL);
    pk_value_destroy(&body);
    return rc;
}

// Waits for an EVENT whose topic is `topic` and whose body's job is `job`
// (any job when NULL); its number in *number. 0 or -1 on timeout.
static int
s_await(s_server_t *s, const char *topic, const char *job, char *number, size_t size,
        int timeout_ms)
{
    int64_t end = bench_now_us() + (int64_t) timeout_ms * 1000;
    while (bench_now_us() < end) {
        pk_msg_t e;
        if (pk_client_event(s->client, 1000, &e) != 0)
            continue;
        bool match = !strcmp(e.event.topic, topic);
        pk_value_t *b = match ? pk_value_unpack(e.event.body.data, e.event.body.size) : NULL;
        const pk_value_t *j = pk_value_object_get(b, "job");
        const pk_value_t *n = pk_value_object_get(b, "number");
        match = match && (!job || (j && !strcmp(pk_value_string(j), job)));
        if (match && number) {
            if (n && pk_value_kind(n) == PK_V_STRING)
                snprintf(number, size, "%s", pk_value_string(n));
            else
                snprintf(number, size, "%.0f", n ? pk_value_number(n) : 0.0);
        }
        pk_value_destroy(&b);
        pk_msg_clear(&e);
        if (match)
            return 0;
    }
    return -1;
}

static int
s_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

// us per build, or 0 when it did not complete.
static double
s_throughput(s_server_t *s, int n)
{
    double floor = bench_runner_builds_us(n, 2);
    int64_t t0 = bench_now_us();
    for (int i = 0; i < n; i++)
        if (s_request(s, "trigger", "pipeline", "bench", "job", "one", NULL, NULL) != 0)
            return 0;
    for (int i = 0; i < n; i++)
        if (s_await(s, "build.succeeded", "one", NULL, 0, 60000) != 0) {
            fprintf(stderr, "bench_server: only %d of %d builds succeeded\n", i, n);
            return 0;
        }
    double us = (double) (bench_now_us() - t0);
    char name[128];
    snprintf(name, sizeof name, "server: %d one-task builds, back to back", n);
    bench_row(name, us / n, "us", floor / n, "runner only, conc 2");
    return us / n;
}

// 1 broker, 1 server whose actors connect to it, 8 workers of one slot, all
// separate processes on loopback: n builds triggered back to back, none lost
// or duplicated; builds/s against the single-node server of this run.
static void
s_cluster(int n, double single_us)
{
    s_server_t s = { 0 };
    char endpoint[256];
    char *broker[] = { "pikoci", "broker", "--listen", "tcp://127.0.0.1:*", NULL };
    s.pid = s_spawn(&s, broker);
    if (s.pid < 0 || s_wait_log(s.logs[0], "listening on ", endpoint, sizeof endpoint) != 0) {
        s_stop(&s);
        return;
    }
    char *server[] = { "pikoci", "server", "--pubsub-system", "zmq", "--broker", endpoint, NULL };
    bool ok = s_spawn(&s, server) > 0 && s_wait_log(s.logs[1], "server ready", NULL, 0) == 0;
    for (int i = 0; ok && i < 8; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        char *worker[] = { "pikoci", "worker", "--broker", endpoint, "--name", name,
                           "--concurrency", "1", NULL };
        ok = s_spawn(&s, worker) > 0;
    }
    ok = ok && s_connect(&s, endpoint) == 0;
    size_t workers = 0;
    int64_t end = bench_now_us() + 30 * 1000000LL;
    while (ok && workers < 8 && bench_now_us() < end) {
        pk_value_t *list = NULL;
        s_request(&s, "broker.workers", NULL, NULL, NULL, NULL, NULL, &list);
        workers = list ? pk_value_len(list) : 0;
        pk_value_destroy(&list);
        if (workers < 8)
            usleep(50000);      // workers announce themselves: poll with a deadline
    }
    if (!ok || workers < 8 || s_set(&s, "cluster", s_pipeline) != 0) {
        fprintf(stderr, "bench_server: the cluster did not come up (%zu workers)\n", workers);
        s_stop(&s);
        return;
    }
    pk_client_subscribe(s.client, "build.", NULL);
    int64_t t0 = bench_now_us();
    int done = 0;
    for (int i = 0; i < n; i++)
        if (s_request(&s, "trigger", "pipeline", "cluster", "job", "one", NULL, NULL) != 0)
            break;
    while (done < n && s_await(&s, "build.succeeded", "one", NULL, 0, 60000) == 0)
        done++;
    double secs = (double) (bench_now_us() - t0) / 1e6;
    // every build once: n records, numbers 1..n, all succeeded
    pk_value_t *list = NULL;
    s_request(&s, "builds", "pipeline", "cluster", "job", "one", NULL, &list);
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
    s_stop(&s);
}

static void
s_latency(s_server_t *s, int n)
{
    double floor = bench_runner_builds_us(n, 1) / n;
    // one build at a time, so queueing does not count
    double *lat = calloc((size_t) n, sizeof(double));
    for (int i = 0; i < n; i++) {
        int64_t t0 = bench_now_us();
        if (s_request(s, "trigger", "pipeline", "bench", "job", "one", NULL, NULL) != 0
            || s_await(s, "build.started", "one", NULL, 0, 30000) != 0) {
            free(lat);
            return;
        }
        lat[i] = (double) (bench_now_us() - t0);
        s_await(s, "build.succeeded", "one", NULL, 0, 30000);
    }
    qsort(lat, (size_t) n, sizeof(double), s_cmp_double);
    bench_row("server: trigger -> build started, p50", lat[n / 2], "us", floor,
              "one whole runner-only build");
    bench_row("server: trigger -> build started, p99", lat[(n * 99) / 100], "us", floor,
              "one whole runner-only build");
    free(lat);
}

// A commit to a local bare repository, `check`, and the build it triggers:
// the time from the check request to the build's creation (build.pending)
// and start (build.started), one commit at a time.
static void
s_check_latency(s_server_t *s, int n)
{
    char dir[64], cmd[1024], src[1024];
    snprintf(dir, sizeof dir, "/tmp/pikoci-bench-git-%d", (int) getpid());
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && git init -q --bare %s/repo.git && "
             "git clone -q %s/repo.git %s/wc 2>/dev/null && cd %s/wc && echo 0 > V && git add V && "
             "git -c user.name=b -c user.email=b@b commit -qm 0 && git push -q origin HEAD 2>/dev/null",
             dir, dir, dir, dir, dir, dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_server: cannot make a git repository in %s\n", dir);
        return;
    }
    snprintf(src, sizeof src,
             "resource_type \"git\" {\n  source = \"pikoci://git\"\n  params = [\"url\", \"name\"]\n}\n"
             "resource \"git\" \"app\" {\n  params {\n    url  = \"file://%s/repo.git\"\n"
             "    name = \"app\"\n  }\n  check_interval = \"@every 1h\"\n}\n"
             "job \"ci\" {\n  get \"git\" \"app\" {\n    trigger = true\n  }\n"
             "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n", dir);
    double *created = calloc((size_t) n, sizeof(double)), *started = calloc((size_t) n, sizeof(double));
    int done = 0;
    if (s_set(s, "gitbench", src) == 0) {
        // the first check finds the first commit: settle it before measuring
        s_request(s, "check", "pipeline", "gitbench", "resource", "app", NULL, NULL);
        s_await(s, "build.succeeded", "ci", NULL, 0, 30000);
        for (; done < n; done++) {
            snprintf(cmd, sizeof cmd, "cd %s/wc && echo %d > V && git -c user.name=b -c "
                     "user.email=b@b commit -qam %d && git push -q origin HEAD 2>/dev/null",
                     dir, done + 1, done + 1);
            if (system(cmd) != 0)
                break;
            int64_t t0 = bench_now_us();
            if (s_request(s, "check", "pipeline", "gitbench", "resource", "app", NULL, NULL) != 0
                || s_await(s, "build.pending", "ci", NULL, 0, 30000) != 0)
                break;
            created[done] = (double) (bench_now_us() - t0);
            if (s_await(s, "build.started", "ci", NULL, 0, 30000) != 0)
                break;
            started[done] = (double) (bench_now_us() - t0);
            s_await(s, "build.succeeded", "ci", NULL, 0, 30000);
        }
    }
    if (done == n) {
        qsort(created, (size_t) n, sizeof(double), s_cmp_double);
        qsort(started, (size_t) n, sizeof(double), s_cmp_double);
        bench_row("server: git commit, check -> build created, p50", created[n / 2] / 1000, "ms",
                  1000, "1 s target");
        bench_row("server: git commit, check -> build started, p99", started[(n * 99) / 100] / 1000,
                  "ms", 1000, "1 s target");
    }
    else
        fprintf(stderr, "bench_server: the git check benchmark stopped after %d of %d\n", done, n);
    free(created);
    free(started);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_server: could not remove %s\n", dir);
}

static void
s_big_log(s_server_t *s)
{
    long idle = s_rss_kb(s->pid);
    pk_value_t *reply = NULL;
    if (s_request(s, "trigger", "pipeline", "bench", "job", "big", NULL, &reply) != 0)
        return;
    const pk_value_t *num = pk_value_object_get(reply, "number");
    char number[32];
    snprintf(number, sizeof number, "%s", num ? pk_value_string(num) : "1");
    pk_value_destroy(&reply);
    long peak = 0;
    int64_t t0 = bench_now_us();
    bool done = false;
    while (!done && bench_now_us() - t0 < 600 * 1000000LL) {
        long kb = s_rss_kb(s->pid);
        peak = kb > peak ? kb : peak;
        pk_msg_t e;
        if (pk_client_event(s->client, 20, &e) == 0) {
            done = !strcmp(e.event.topic, "build.succeeded") || !strcmp(e.event.topic, "build.failed");
            pk_msg_clear(&e);
        }
    }
    double secs = (double) (bench_now_us() - t0) / 1e6;
    // read it back in ranges, hash it, and hash what the command produces
    pk_sha256_t got, want;
    pk_sha256_init(&got);
    uint64_t offset = 0, size = 0;
    for (;;) {
        char off[32];
        snprintf(off, sizeof off, "%llu", (unsigned long long) offset);
        pk_kv_t args = { 0 };
        pk_kv_set(&args, "pipeline", "bench");
        pk_kv_set(&args, "job", "big");
        pk_kv_set(&args, "number", number);
        pk_kv_set(&args, "offset", off);
        uint8_t *body = NULL;
        size_t body_size = 0;
        char *err = NULL;
        int rc = pk_client_request(s->client, "logs", &args, NULL, 0, 30000, &body, &body_size, &err);
        pk_kv_clear(&args);
        free(err);
        pk_value_t *v = rc == 0 ? pk_value_unpack(body, body_size) : NULL;
        free(body);
        const pk_value_t *data = pk_value_object_get(v, "data");
        size_t len = data ? pk_value_len(data) : 0;
        if (len)
            pk_sha256_update(&got, pk_value_string(data), len);
        offset += len;
        const pk_value_t *sz = pk_value_object_get(v, "size");
        size = sz ? (uint64_t) pk_value_number(sz) : 0;
        pk_value_destroy(&v);
        if (!len || offset >= size)
            break;
    }
    pk_sha256_init(&want);
    FILE *p = popen(S_BIG_CMD, "r");
    char buf[65536];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        pk_sha256_update(&want, buf, n);
    if (p)
        pclose(p);
    uint8_t a[PK_SHA256_LEN], b[PK_SHA256_LEN];
    pk_sha256_final(&got, a);
    pk_sha256_final(&want, b);
    bool exact = offset == 200000000 && !memcmp(a, b, sizeof a);
    char name[128];
    snprintf(name, sizeof name, "server: 200 MB log, peak RSS (%.0f MB/s, %s)",
             200.0 / secs, exact ? "byte-exact" : "NOT EXACT");
    bench_row(name, (double) peak / 1024, "MB", 32, "target");
    bench_row("server: RSS before the 200 MB log", (double) idle / 1024, "MB", 32, "target");
}

// A fresh server: RSS with one pipeline, then with 100 more.
static void
s_idle(void)
{
    s_server_t s = { 0 };
    if (s_start(&s) != 0 || s_set(&s, "idle", s_idle_pipeline) != 0) {
        s_stop(&s);
        return;
    }
    long one = s_rss_kb(s.pid), one_anon = s_rss_kb_of(s.pid, true);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "idle%03d", i);
        if (s_set(&s, name, s_idle_pipeline) != 0)
            break;
    }
    pk_value_t *list = NULL;
    s_request(&s, "pipelines", NULL, NULL, NULL, NULL, NULL, &list);
    size_t count = list ? pk_value_len(list) : 0;
    pk_value_destroy(&list);
    long hundred = s_rss_kb(s.pid), hundred_anon = s_rss_kb_of(s.pid, true);
    char name[128];
    snprintf(name, sizeof name, "server: idle RSS, %zu pipelines", count);
    bench_row(name, (double) hundred / 1024, "MB", (double) one / 1024, "same server, 1 pipeline");
    snprintf(name, sizeof name, "server: idle private memory, %zu pipelines", count);
    bench_row(name, (double) hundred_anon / 1024, "MB", (double) one_anon / 1024,
              "same server, 1 pipeline");
    s_stop(&s);
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    s_server_t s = { 0 };
    if (s_start(&s) != 0 || s_set(&s, "bench", s_pipeline) != 0) {
        s_stop(&s);
        return 1;
    }
    uint64_t seq;
    pk_client_subscribe(s.client, "build.", &seq);
    bench_runner_builds_us(20, 1);     // warm up both
    for (int i = 0; i < 20; i++)
        s_request(&s, "trigger", "pipeline", "bench", "job", "one", NULL, NULL);
    for (int i = 0; i < 20; i++)
        s_await(&s, "build.succeeded", "one", NULL, 0, 30000);
    double single = s_throughput(&s, n);
    s_latency(&s, n / 5 > 20 ? n / 5 : 20);
    s_check_latency(&s, 50);
    s_big_log(&s);
    s_stop(&s);
    s_idle();
    s_cluster(5 * n, single);
    zsys_shutdown();
    return 0;
}
