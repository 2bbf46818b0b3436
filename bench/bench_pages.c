// bench_pages: do open build pages slow the scheduler? (issue #18: "50 open
// build pages do not slow the scheduler".) A build page of the web face
// holds two Server-Sent Event streams: the log of a running build
// (/api/.../builds/N/log/stream) and the server's events (/api/events).
// This opens 50 such pages -- 100 streams, read as fast as they come by one
// thread, as browsers would -- on a build that writes a line every 20 ms,
// and measures trigger -> build started (the build.started event) of a
// one-task job, against the same figure with no page open, measured in the
// same run before and after (so both see the same machine). Prints BENCH
// rows (bench_util.h).
//
// The server takes at most 32 connections per address: the pages connect
// from 127.0.0.2, .3, ... (all loopback), 20 streams each.
#include "bench_util.h"
#include "pk_cred.h"
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_PAGES 50
#define S_STREAMS (2 * S_PAGES)
#define S_ROUNDS 40             // without pages (before + after), and with them

typedef struct {
    int fds[S_STREAMS];
    int count;
    atomic_bool stop;
    atomic_llong bytes;
} s_readers_t;

// A connection from 127.0.0.<host> that asked for path: the fd, or -1.
static int
s_open_stream(int port, int host, const char *path, const char *token)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in from = { .sin_family = AF_INET };
    from.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t) host);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *) &from, sizeof from) != 0
        || connect(fd, (struct sockaddr *) &to, sizeof to) != 0) {
        fprintf(stderr, "bench_pages: connect from 127.0.0.%d: %s\n", host, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: bench\r\n"
                     "Accept: text/event-stream\r\n%s%s%s\r\n", path,
                     token ? "Authorization: Bearer " : "", token ? token : "",
                     token ? "\r\n" : "");
    char head[64] = "";
    // the status line arrives with the headers, before any event
    if (write(fd, req, (size_t) n) != n || read(fd, head, sizeof head - 1) <= 0
        || strncmp(head, "HTTP/1.1 200", 12)) {
        fprintf(stderr, "bench_pages: GET %s answered \"%.20s\"\n", path, head);
        close(fd);
        return -1;
    }
    return fd;
}

static void *
s_read_all(void *arg)
{
    s_readers_t *r = arg;
    struct pollfd p[S_STREAMS];
    for (int i = 0; i < r->count; i++)
        p[i] = (struct pollfd) { .fd = r->fds[i], .events = POLLIN };
    char buf[65536];
    while (!atomic_load(&r->stop)) {
        if (poll(p, (nfds_t) r->count, 100) <= 0)
            continue;
        for (int i = 0; i < r->count; i++)
            if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t got = read(p[i].fd, buf, sizeof buf);
                if (got > 0)
                    atomic_fetch_add(&r->bytes, got);
                else
                    p[i].fd = -1;       // closed: poll ignores it from now on
            }
    }
    return NULL;
}

// The CPU time pid used so far (user + system), ms.
static double
s_cpu_ms(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen(path, "r");
    char *at = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    if (f)
        fclose(f);
    unsigned long long ut = 0, st = 0;
    // after "pid (comm)": state and 10 more fields, then utime and stime
    if (!at || sscanf(at + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                      &ut, &st) != 2)
        return 0;
    return (double) (ut + st) * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

// n rounds of trigger -> build.started of job "one" into lat[] (ms).
static int
s_rounds(bench_server_t *s, double *lat, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t t0 = bench_now_us();
        if (bench_request(s, "trigger", "pipeline", "pages", "job", "one", NULL, NULL) != 0
            || bench_await(s, "build.started", "one", NULL, 0, 30000) != 0)
            return -1;
        lat[i] = (double) (bench_now_us() - t0) / 1000;
        if (bench_await(s, "build.succeeded", "one", NULL, 0, 30000) != 0)
            return -1;
    }
    return 0;
}

int
main(void)
{
    bench_server_t s = { 0 };
    const char *extra[] = { "--http", "127.0.0.1:0", "--concurrency", "2", NULL };
    s_readers_t r = { .count = 0 };
    pthread_t reader;
    bool reading = false;
    int status = 1;
    char http[64], endpoint[256], slow[32] = "1";
    char *token = NULL;
    if (bench_server_start(&s, extra) != 0
        || bench_wait_log(s.logs[0], "http on http://127.0.0.1:", http, sizeof http) != 0
        || bench_wait_log(s.logs[0], "listening on ", endpoint, sizeof endpoint) != 0)
        goto out;
    token = pk_cred_find(endpoint, NULL, NULL);
    if (bench_set(&s, "pages",
                  "job \"one\" {\n  task \"t\" {\n    run \"exec\" {\n"
                  "      path = \"/bin/true\"\n    }\n  }\n}\n"
                  "job \"chatty\" {\n  task \"talk\" {\n    run \"shell\" {\n"
                  "      cmd = \"i=0; while [ $i -lt 6000 ]; do echo line $i of a build "
                  "someone watches; i=$((i+1)); sleep 0.02; done\"\n    }\n  }\n}\n") != 0
        || pk_client_subscribe(s.client, "build.", NULL) != 0
        || bench_request(&s, "trigger", "pipeline", "pages", "job", "chatty", NULL, NULL) != 0
        || bench_await(&s, "build.started", "chatty", slow, sizeof slow, 30000) != 0)
        goto out;
    double before[S_ROUNDS / 2], after[S_ROUNDS / 2], with[S_ROUNDS], without[S_ROUNDS];
    if (s_rounds(&s, before, S_ROUNDS / 2) != 0)
        goto out;
    int port = atoi(http);
    char log[256];
    snprintf(log, sizeof log, "/api/pipelines/pages/jobs/chatty/builds/%s/log/stream", slow);
    for (int i = 0; i < S_PAGES; i++) {
        int host = 2 + i / 10;          // 10 pages, 20 streams, per address
        int a = s_open_stream(port, host, log, token);
        int b = a >= 0 ? s_open_stream(port, host, "/api/events", token) : -1;
        if (a >= 0)
            r.fds[r.count++] = a;
        if (b < 0)
            goto out;
        r.fds[r.count++] = b;
    }
    reading = pthread_create(&reader, NULL, s_read_all, &r) == 0;
    usleep(500000);                     // the pages' first screenful
    long long opened = atomic_load(&r.bytes);
    double cpu0 = s_cpu_ms(s.pid);
    int64_t t0 = bench_now_us();
    if (!reading || s_rounds(&s, with, S_ROUNDS) != 0)
        goto out;
    double cpu_with = (s_cpu_ms(s.pid) - cpu0) * 100000.0 / (double) (bench_now_us() - t0);
    long long streamed = atomic_load(&r.bytes) - opened;
    atomic_store(&r.stop, true);
    pthread_join(reader, NULL);
    reading = false;
    for (int i = 0; i < r.count; i++)
        close(r.fds[i]);
    r.count = 0;
    cpu0 = s_cpu_ms(s.pid);
    t0 = bench_now_us();
    if (s_rounds(&s, after, S_ROUNDS / 2) != 0)
        goto out;
    double cpu_without = (s_cpu_ms(s.pid) - cpu0) * 100000.0 / (double) (bench_now_us() - t0);
    memcpy(without, before, sizeof before);
    memcpy(without + S_ROUNDS / 2, after, sizeof after);
    qsort(with, S_ROUNDS, sizeof(double), bench_cmp_double);
    qsort(without, S_ROUNDS, sizeof(double), bench_cmp_double);
    fprintf(stderr, "bench_pages: the %d streams read %lld bytes while measured; the server "
            "used %.0f %% of a core with the pages open, %.0f %% without\n", S_STREAMS,
            streamed, cpu_with, cpu_without);
    bench_row("http: trigger -> started, 50 build pages open (100 SSE streams), p50",
              with[S_ROUNDS / 2], "ms", without[S_ROUNDS / 2], "no page open, p50");
    bench_row("http: trigger -> started, 50 build pages open (100 SSE streams), p90",
              with[S_ROUNDS * 9 / 10], "ms", without[S_ROUNDS * 9 / 10], "no page open, p90");
    status = streamed > 0 ? 0 : 1;
    if (!streamed)
        fprintf(stderr, "bench_pages: the pages received nothing: not a fair measure\n");
out:
    if (reading) {
        atomic_store(&r.stop, true);
        pthread_join(reader, NULL);
    }
    for (int i = 0; i < r.count; i++)
        close(r.fds[i]);
    if (status != 0 && s.count) {        // the log goes with the server: show it first
        char cmd[128];
        snprintf(cmd, sizeof cmd, "tail -20 %s >&2", s.logs[0]);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_pages: no server log\n");
    }
    free(token);
    bench_server_stop(&s);
    return status;
}
