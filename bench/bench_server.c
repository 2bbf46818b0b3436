// bench_server: the per-build cost and the latencies of the whole server, as
// a user runs it -- `pikoci server --run-worker` as a separate process,
// driven over tcp on loopback through the client library the CLI uses:
//   - N one-task builds (exec /bin/true) triggered back to back until every
//     one succeeded, one at a time (a job with concurrency = 1) and two at a
//     time, against N posix_spawn+wait of /bin/true and against the same
//     builds sent straight to a runner actor (the runner-only floor);
//   - trigger -> build started, p50 and p99, one build at a time;
//   - a commit to a local git repository, `check`, and the first byte of the
//     triggered task's output (its first log event), p50 and p99.
#include "bench_util.h"
#include "pk_msg.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *s_pipeline =
    "job \"one\" {\n"
    "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n"
    "job \"single\" {\n  concurrency = 1\n"
    "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n";

// n builds of job back to back: us per build, 0 when they did not all succeed.
static double
s_builds(bench_server_t *s, const char *job, int n)
{
    int64_t t0 = bench_now_us();
    for (int i = 0; i < n; i++)
        if (bench_request(s, "trigger", "pipeline", "bench", "job", job, NULL, NULL) != 0)
            return 0;
    for (int i = 0; i < n; i++)
        if (bench_await(s, "build.succeeded", job, NULL, 0, 60000) != 0) {
            fprintf(stderr, "bench_server: only %d of %d builds succeeded\n", i, n);
            return 0;
        }
    return (double) (bench_now_us() - t0) / n;
}

static void
s_overhead(bench_server_t *s, int n)
{
    double spawn = bench_spawn_floor_us("/bin/true", n) / n;
    double runner1 = bench_runner_builds_us(n, 1) / n;
    double one = s_builds(s, "single", n);
    double runner2 = bench_runner_builds_us(n, 2) / n;
    double two = s_builds(s, "one", n);
    char name[128];
    snprintf(name, sizeof name, "server: %d builds end to end, conc 1", n);
    bench_row(name, one / 1000, "ms", spawn / 1000, "posix_spawn+wait");
    snprintf(name, sizeof name, "server: %d builds end to end, conc 1", n);
    bench_row(name, one / 1000, "ms", runner1 / 1000, "runner only");
    snprintf(name, sizeof name, "server: %d builds end to end, conc 2", n);
    bench_row(name, two / 1000, "ms", spawn / 1000, "posix_spawn+wait");
    snprintf(name, sizeof name, "server: %d builds end to end, conc 2", n);
    bench_row(name, two / 1000, "ms", runner2 / 1000, "runner only, conc 2");
}

static void
s_latency(bench_server_t *s, int n)
{
    double floor = bench_runner_builds_us(n, 1) / n;
    // one build at a time, so queueing does not count
    double *lat = calloc((size_t) n, sizeof(double));
    for (int i = 0; i < n; i++) {
        int64_t t0 = bench_now_us();
        if (bench_request(s, "trigger", "pipeline", "bench", "job", "one", NULL, NULL) != 0
            || bench_await(s, "build.started", "one", NULL, 0, 30000) != 0) {
            free(lat);
            return;
        }
        lat[i] = (double) (bench_now_us() - t0);
        bench_await(s, "build.succeeded", "one", NULL, 0, 30000);
    }
    qsort(lat, (size_t) n, sizeof(double), bench_cmp_double);
    bench_row("server: trigger -> build started, p50", lat[n / 2] / 1000, "ms", floor / 1000,
              "one whole runner-only build");
    bench_row("server: trigger -> build started, p99", lat[(n * 99) / 100] / 1000, "ms",
              floor / 1000, "one whole runner-only build");
    free(lat);
}

static int
s_git(const char *dir, int i)
{
    char cmd[1024];
    if (i == 0)
        snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && git init -q --bare %s/repo.git && "
                 "git clone -q %s/repo.git %s/wc 2>/dev/null && cd %s/wc && echo 0 > V && "
                 "git add V && git -c user.name=b -c user.email=b@b commit -qm 0 && "
                 "git push -q origin HEAD 2>/dev/null", dir, dir, dir, dir, dir, dir);
    else
        snprintf(cmd, sizeof cmd, "cd %s/wc && echo %d > V && git -c user.name=b -c "
                 "user.email=b@b commit -qam %d && git push -q origin HEAD 2>/dev/null", dir, i, i);
    return system(cmd) == 0 ? 0 : -1;
}

// A commit, `check`, and the first byte of the task it triggers: the time
// from the check request to the first log.* event of the build.
static void
s_check_latency(bench_server_t *s, int n)
{
    char dir[64], src[1024];
    snprintf(dir, sizeof dir, "/tmp/pikoci-bench-git-%d", (int) getpid());
    if (s_git(dir, 0) != 0) {
        fprintf(stderr, "bench_server: cannot make a git repository in %s\n", dir);
        return;
    }
    snprintf(src, sizeof src,
             "resource_type \"git\" {\n  source = \"pikoci://git\"\n  params = [\"url\", \"name\"]\n}\n"
             "resource \"git\" \"app\" {\n  params {\n    url  = \"file://%s/repo.git\"\n"
             "    name = \"app\"\n  }\n  check_interval = \"@every 1h\"\n}\n"
             "job \"ci\" {\n  get \"git\" \"app\" {\n    trigger = true\n  }\n"
             "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/echo\"\n"
             "      args = [\"first byte\"]\n    }\n  }\n}\n", dir);
    double *created = calloc((size_t) n, sizeof(double));
    double *first = calloc((size_t) n, sizeof(double));
    int done = 0;
    if (bench_set(s, "gitbench", src) == 0) {
        pk_client_subscribe(s->client, "log.build:gitbench/", NULL);
        // the first check finds the first commit: settle it before measuring
        bench_request(s, "check", "pipeline", "gitbench", "resource", "app", NULL, NULL);
        bench_await(s, "build.succeeded", "ci", NULL, 0, 30000);
        for (; done < n && s_git(dir, done + 1) == 0; done++) {
            int64_t t0 = bench_now_us();
            if (bench_request(s, "check", "pipeline", "gitbench", "resource", "app", NULL, NULL)
                || bench_await(s, "build.pending", "ci", NULL, 0, 30000))
                break;
            created[done] = (double) (bench_now_us() - t0);
            int64_t end = bench_now_us() + 30000000;
            bool got = false;
            while (!got && bench_now_us() < end) {
                pk_msg_t e;
                if (pk_client_event(s->client, 1000, &e) != 0)
                    continue;
                got = !strncmp(e.event.topic, "log.build:gitbench/", 19);
                pk_msg_clear(&e);
            }
            if (!got)
                break;
            first[done] = (double) (bench_now_us() - t0);
            bench_await(s, "build.succeeded", "ci", NULL, 0, 30000);
        }
    }
    if (done == n) {
        qsort(created, (size_t) n, sizeof(double), bench_cmp_double);
        qsort(first, (size_t) n, sizeof(double), bench_cmp_double);
        bench_row("server: git commit, check -> build created, p50", created[n / 2] / 1000,
                  "ms", 20, "target");
        bench_row("server: git commit, check -> task's 1st byte, p50", first[n / 2] / 1000,
                  "ms", 12, "target (issue #20)");
        bench_row("server: git commit, check -> task's 1st byte, p99",
                  first[(n * 99) / 100] / 1000, "ms", 12, "target (issue #20)");
    }
    else
        fprintf(stderr, "bench_server: the git benchmark stopped after %d of %d\n", done, n);
    free(created);
    free(first);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_server: could not remove %s\n", dir);
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    // the runner's git mirrors go under the bench's own directory, removed
    // at the end (not the shared /tmp/pikoci-cache)
    char cache[64];
    snprintf(cache, sizeof cache, "/tmp/pikoci-bench-cache-%d", (int) getpid());
    setenv("PIKOCI_CACHE_DIR", cache, 1);
    bench_server_t s = { 0 };
    const char *conc[] = { "--concurrency", "2", NULL };
    if (bench_server_start(&s, conc) != 0 || bench_set(&s, "bench", s_pipeline) != 0) {
        bench_server_stop(&s);
        return 1;
    }
    pk_client_subscribe(s.client, "build.", NULL);
    // PK_BENCH_GIT=N: only the git rows, N commits (quick iteration on the
    // check -> first byte path); unset: every row, 50 commits.
    const char *git_only = getenv("PK_BENCH_GIT");
    if (!git_only || !*git_only) {
        bench_runner_builds_us(20, 1);     // warm up both
        s_builds(&s, "one", 20);
        s_overhead(&s, n);
        s_latency(&s, n / 5 > 20 ? n / 5 : 20);
    }
    int git_n = git_only && atoi(git_only) > 0 ? atoi(git_only) : 50;
    s_check_latency(&s, git_n);
    bench_server_stop(&s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_server: could not remove %s\n", cache);
    zsys_shutdown();
    return 0;
}
