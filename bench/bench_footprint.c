// bench_footprint: what pikoci costs standing still -- the stripped binary's
// size, the time from exec to a server that answers (`pikoci server`, no
// worker, until the client's first `pipelines` request is answered), and the
// server's idle memory with 0 and with 100 pipelines loaded: VmRSS (which
// counts the shared libraries) and its private part (RssAnon).
#include "bench_util.h"
#include <czmq.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_pipeline =
    "resource_type \"cron\" {\n  source = \"pikoci://cron\"\n}\n"
    "resource \"cron\" \"tick\" {\n  check_interval = \"@every 1h\"\n}\n"
    "job \"j\" {\n  get \"cron\" \"tick\" {\n    trigger = true\n  }\n"
    "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n";

// The stripped size of pikoci (suffix "") or of pikoci-core ("-core").
static double
s_stripped_kb(const char *suffix)
{
    char bin[PATH_MAX - 16], tmp[64], cmd[PATH_MAX + 256];
    bench_pikoci_path(bin, sizeof bin);
    strcat(bin, suffix);
    snprintf(tmp, sizeof tmp, "/tmp/pikoci-bench-strip-%d", (int) getpid());
    snprintf(cmd, sizeof cmd, "cp '%s' %s && strip %s", bin, tmp, tmp);
    struct stat st;
    double kb = system(cmd) == 0 && stat(tmp, &st) == 0 ? (double) st.st_size / 1024 : 0;
    unlink(tmp);
    return kb;
}

// exec -> the first answered request, in us (a server on a fresh port each time).
static double
s_start_to_ready(void)
{
    bench_server_t s = { 0 };
    char *args[] = { "pikoci", "server", "--run-worker=false", "--listen", "tcp://127.0.0.1:*",
                     NULL };
    int64_t t0 = bench_now_us();
    s.pid = bench_spawn(&s, args);
    char endpoint[256];
    double us = 0;
    if (s.pid > 0 && bench_wait_log(s.logs[0], "listening on ", endpoint, sizeof endpoint) == 0
        && bench_connect(&s, endpoint) == 0) {
        pk_value_t *reply = NULL;
        while (bench_now_us() - t0 < 10000000 && !reply)
            if (bench_request(&s, "pipelines", NULL, NULL, NULL, NULL, NULL, &reply) != 0)
                usleep(1000);
        if (reply)
            us = (double) (bench_now_us() - t0);
        pk_value_destroy(&reply);
    }
    bench_server_stop(&s);
    return us;
}

int
main(void)
{
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    bench_row("footprint: pikoci binary (front end), stripped", s_stripped_kb("") / 1024, "MB",
              1, "target");
    bench_row("footprint: pikoci-core binary, stripped", s_stripped_kb("-core") / 1024, "MB",
              1, "target");
    double t[9];
    for (int i = 0; i < 9; i++)
        t[i] = s_start_to_ready();
    qsort(t, 9, sizeof(double), bench_cmp_double);
    double spawn = bench_spawn_floor_us("/bin/true", 100) / 100;
    bench_row("footprint: start -> answering, median of 9", t[4] / 1000, "ms", 20, "target");
    bench_row("footprint: start -> answering, median of 9", t[4] / 1000, "ms", spawn / 1000,
              "posix_spawn+wait");
    bench_server_t s = { 0 };
    if (bench_server_start(&s, NULL) != 0) {
        bench_server_stop(&s);
        return 1;
    }
    usleep(500000);     // idle means after start-up: nothing to wait for but time
    long none = bench_rss_kb(s.pid), none_anon = bench_rss_kb_of(s.pid, true);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "idle%03d", i);
        if (bench_set(&s, name, s_pipeline) != 0)
            break;
    }
    pk_value_t *list = NULL;
    bench_request(&s, "pipelines", NULL, NULL, NULL, NULL, NULL, &list);
    size_t count = list ? pk_value_len(list) : 0;
    pk_value_destroy(&list);
    long hundred = bench_rss_kb(s.pid), hundred_anon = bench_rss_kb_of(s.pid, true);
    bench_row("footprint: idle RSS, 0 pipelines", (double) none / 1024, "MB", 6, "target");
    bench_row("footprint: idle private memory, 0 pipelines", (double) none_anon / 1024, "MB", 6,
              "target");
    char name[128];
    snprintf(name, sizeof name, "footprint: idle RSS, %zu pipelines", count);
    bench_row(name, (double) hundred / 1024, "MB", 6, "target");
    snprintf(name, sizeof name, "footprint: idle private memory, %zu pipelines", count);
    bench_row(name, (double) hundred_anon / 1024, "MB", 6, "target");
    bench_server_stop(&s);
    zsys_shutdown();
    return 0;
}
