// bench_footprint: what pikoci costs standing still -- the stripped binary's
// size, the time from exec to a server that answers (`pikoci server`, no
// worker, in memory and on a fresh lmdb store: the port polled until it
// accepts, then `pipelines` asked until answered, counting the tries), and the
// server's idle memory with 0 and with 100 pipelines loaded: VmRSS (which
// counts the shared libraries) and its private part (RssAnon).
#include "bench_util.h"
#include "pk_cred.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <czmq.h>
#include <dirent.h>
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

// A free loopback port: bound and closed, the server binds it next.
static int
s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = fd >= 0 && bind(fd, (struct sockaddr *) &a, sizeof a) == 0
            && getsockname(fd, (struct sockaddr *) &a, &len) == 0 ? ntohs(a.sin_port) : 0;
    if (fd >= 0)
        close(fd);
    return port;
}

static bool
s_accepts(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

// The CPU time (ms) all threads of pid have run, and how many there are
// (from /proc/PID/task/*/schedstat: ns, not clock ticks).
static double
s_cpu_ms(pid_t pid, int *threads)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *d = opendir(path);
    struct dirent *e;
    double ns = 0;
    *threads = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char stat[300];
        snprintf(stat, sizeof stat, "/proc/%d/task/%s/schedstat", (int) pid, e->d_name);
        FILE *f = fopen(stat, "r");
        unsigned long long run = 0;
        if (f && fscanf(f, "%llu", &run) == 1)
            ns += (double) run, ++*threads;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return ns / 1e6;
}

static double s_answer_cpu_ms;         // s_exec_to_answer's server, at its answer
static int s_answer_threads;

// exec -> the first answered query, in us, as a user sees it: the port is
// polled until it accepts, then `pipelines` is asked (with the server's
// first-start token, as the CLI finds it); a refusal is a try, asked again.
// lmdb: a fresh store each time; http_off: --http off (no web face, so no
// libmicrohttpd loaded, lib/pk_dl.h), else the web face on a port of its
// own (the default 8080 may be another server's, and then there is none).
// *tries: how many asks it took.
static double
s_exec_to_answer(bool lmdb, bool http_off, int *tries)
{
    bench_server_t s = { 0 };
    int port = s_free_port();
    char listen[64], dir[64] = "/tmp/pikoci-bench-start-XXXXXX", db[96];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", port);
    if (lmdb && !mkdtemp(dir))
        return 0;
    snprintf(db, sizeof db, "%s/db", dir);
    char *args[12] = { "pikoci", "server", "--run-worker=false", "--listen", listen };
    int n = 5;
    args[n++] = "--http";
    args[n++] = http_off ? "off" : "127.0.0.1:0";
    if (lmdb) {
        args[n++] = "--db-system";
        args[n++] = "lmdb";
        args[n++] = "--db-path";
        args[n++] = db;
    }
    args[n] = NULL;
    *tries = 0;
    int64_t t0 = bench_now_us(), deadline = t0 + 10000000;
    s.pid = port ? bench_spawn(&s, args) : -1;
    while (s.pid > 0 && !s_accepts(port) && bench_now_us() < deadline)
        usleep(100);            // nothing to wait on but the port itself
    double us = 0;
    while (s.pid > 0 && !us && bench_now_us() < deadline) {
        char *err = NULL;
        pk_client_t *c = pk_client_new(listen, &err);
        pk_cred_apply(c, listen);
        uint8_t *reply = NULL;
        size_t size = 0;
        ++*tries;
        if (c && pk_client_request(c, "pipelines", NULL, NULL, 0, 5000, &reply, &size,
                                   &err) == 0)
            us = (double) (bench_now_us() - t0),
            s_answer_cpu_ms = s_cpu_ms(s.pid, &s_answer_threads);
        else
            fprintf(stderr, "bench: try %d refused: %s\n", *tries, err ? err : "?");
        free(reply);
        free(err);
        pk_client_destroy(&c);
    }
    bench_server_stop(&s);
    if (lmdb) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: cannot remove %s\n", dir);
    }
    return us;
}

// Median of 9 starts, with the most tries any of them needed.
static void
s_start_rows(bool lmdb, bool http_off, double spawn)
{
    double t[9];
    int most = 0;
    for (int i = 0; i < 9; i++) {
        int tries = 0;
        t[i] = s_exec_to_answer(lmdb, http_off, &tries);
        most = tries > most ? tries : most;
    }
    qsort(t, 9, sizeof(double), bench_cmp_double);
    char name[128];
    snprintf(name, sizeof name, "footprint: exec -> 1st answered query, %s%s (tries <= %d)",
             lmdb ? "fresh lmdb" : "mem", http_off ? ", --http off" : ", --http", most);
    bench_row(name, t[4] / 1000, "ms", 10, "target");
    bench_row(name, t[4] / 1000, "ms", spawn / 1000, "posix_spawn+wait");
}

// `bench_footprint start mem|http|lmdb [N]`: only N (default 1) starts of
// one kind, each one's exec -> answer printed: for profiling one start
// (e.g. with tools/pikoci swapped for a script that runs it under strace).
static int
s_starts_only(const char *kind, int n)
{
    for (int i = 0; i < n; i++) {
        int tries = 0;
        double us = s_exec_to_answer(!strcmp(kind, "lmdb"), !strcmp(kind, "mem"), &tries);
        printf("%s: %.2f ms, %d tries; server's CPU until then %.2f ms, %d threads\n", kind,
               us / 1000, tries, s_answer_cpu_ms, s_answer_threads);
    }
    return 0;
}

int
main(int argc, char **argv)
{
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    if (argc > 2 && !strcmp(argv[1], "start"))
        return s_starts_only(argv[2], argc > 3 ? atoi(argv[3]) : 1);
    bench_row("footprint: pikoci binary (front end), stripped", s_stripped_kb("") / 1024, "MB",
              1, "target");
    bench_row("footprint: pikoci-core binary, stripped", s_stripped_kb("-core") / 1024, "MB",
              1, "target");
    double spawn = bench_spawn_floor_us("/bin/true", 100) / 100;
    s_start_rows(false, false, spawn);
    s_start_rows(false, true, spawn);
    s_start_rows(true, false, spawn);
    // without the web face (libmicrohttpd and gnutls not loaded)
    bench_server_t off = { 0 };
    if (bench_server_start(&off, (const char *[]) { "--http", "off", NULL }) == 0) {
        usleep(500000);
        bench_row("footprint: idle RSS, 0 pipelines, --http off",
                  (double) bench_rss_kb(off.pid) / 1024, "MB", 6, "target");
        bench_row("footprint: idle private memory, 0 pipelines, --http off",
                  (double) bench_rss_kb_of(off.pid, true) / 1024, "MB", 6, "target");
    }
    bench_server_stop(&off);
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
