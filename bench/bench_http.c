// bench_http: a forge's push to a running build -- the time from a commit's
// webhook POST (/webhooks/TOKEN on `pikoci server --http`) to the build's
// task starting (build.started), against the floor measured in the same run
// on the same server: the same commit-and-check through the broker client
// (`pikoci check`'s request). Rounds alternate, so both see the same
// machine. Prints BENCH rows (bench_util.h).
#include "bench_util.h"
#include "pk_client.h"
#include "pk_cred.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include <arpa/inet.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_ROUNDS 30

static char s_log[64], s_dir[64];

static int
s_cmp(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static pid_t
s_spawn_server(void)
{
    char self[PATH_MAX - 32], bin[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(bin, sizeof bin, "%s/../tools/pikoci", self);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(s_log, "w", stderr))
            _exit(127);
        execl(bin, "pikoci", "server", "--listen", "tcp://127.0.0.1:*", "--http", "127.0.0.1:0",
              "--run-worker", "--concurrency", "2", (char *) NULL);
        _exit(127);
    }
    return pid;
}

static pk_value_t *
s_request(pk_client_t *c, const char *op, const char *k1, const char *v1, const char *k2,
          const char *v2, const void *body, size_t body_size)
{
    pk_kv_t args = { 0 };
    if (k1)
        pk_kv_set(&args, k1, v1);
    if (k2)
        pk_kv_set(&args, k2, v2);
    uint8_t *reply = NULL;
    size_t size = 0;
    char *err = NULL;
    int rc = pk_client_request(c, op, &args, body, body_size, 15000, &reply, &size, &err);
    pk_kv_clear(&args);
    pk_value_t *v = rc == 0 ? pk_value_unpack(reply, size) : NULL;
    if (rc != 0)
        fprintf(stderr, "bench_http: %s: %s\n", op, err ? err : pk_client_error(c));
    free(reply);
    free(err);
    return rc == 0 && !v ? pk_value_new_null() : v;
}

// Waits for the event topic of job "ci": 0 or -1.
static int
s_await(pk_client_t *c, const char *topic)
{
    int64_t end = bench_now_us() + 30 * 1000000LL;
    while (bench_now_us() < end) {
        pk_msg_t ev;
        if (pk_client_event(c, 1000, &ev) != 0)
            continue;
        bool hit = false;
        if (!strcmp(ev.event.topic, topic)) {
            pk_value_t *v = pk_value_unpack(ev.event.body.data, ev.event.body.size);
            const pk_value_t *job = pk_value_object_get(v, "job");
            hit = job && !strcmp(pk_value_string(job), "ci");
            pk_value_destroy(&v);
        }
        pk_msg_clear(&ev);
        if (hit)
            return 0;
    }
    return -1;
}

// POST /webhooks/token on 127.0.0.1:port; the status code or -1.
static int
s_post(int port, const char *token)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof req, "POST /webhooks/%s HTTP/1.1\r\nHost: bench\r\n"
                     "Content-Length: 2\r\nConnection: close\r\n\r\n{}", token);
    char resp[512] = "";
    ssize_t got = write(fd, req, (size_t) n) == n ? read(fd, resp, sizeof resp - 1) : -1;
    close(fd);
    int code = -1;
    if (got > 0 && sscanf(resp, "HTTP/1.1 %d", &code) != 1)
        code = -1;
    return code;
}

static int
s_commit(int i)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s/wc && echo %d > V && git -c user.name=b -c user.email=b@b "
             "commit -qam %d && git push -q origin HEAD 2>/dev/null", s_dir, i, i);
    return system(cmd);
}

int
main(void)
{
    snprintf(s_log, sizeof s_log, "/tmp/pikoci-bench-http-%d.log", (int) getpid());
    snprintf(s_dir, sizeof s_dir, "/tmp/pikoci-bench-http-%d", (int) getpid());
    char cmd[1024], src[1024], endpoint[256], http[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && git init -q --bare %s/repo.git && "
             "git clone -q %s/repo.git %s/wc 2>/dev/null && cd %s/wc && echo 0 > V && git add V "
             "&& git -c user.name=b -c user.email=b@b commit -qm 0 && git push -q origin HEAD "
             "2>/dev/null", s_dir, s_dir, s_dir, s_dir, s_dir, s_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "bench_http: cannot make a git repository in %s\n", s_dir);
        return 1;
    }
    pid_t pid = s_spawn_server();
    int status = 1;
    pk_client_t *c = NULL;
    if (bench_wait_log(s_log, "listening on ", endpoint, sizeof endpoint) != 0
        || bench_wait_log(s_log, "http on http://127.0.0.1:", http, sizeof http) != 0
        || !(c = pk_client_new(endpoint, NULL)))
        goto out;
    pk_cred_apply(c, endpoint);     // the server's first-start token
    snprintf(src, sizeof src,
             "resource_type \"git\" {\n  source = \"pikoci://git\"\n  params = [\"url\", \"name\"]\n}\n"
             "resource \"git\" \"app\" {\n  params {\n    url  = \"file://%s/repo.git\"\n"
             "    name = \"app\"\n  }\n  check_interval = \"@every 1h\"\n}\n"
             "job \"ci\" {\n  get \"git\" \"app\" {\n    trigger = true\n  }\n"
             "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n", s_dir);
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(src));
    uint8_t *packed = NULL;
    size_t packed_size = 0;
    pk_value_pack_bytes(body, &packed, &packed_size);
    pk_value_destroy(&body);
    pk_value_t *v = s_request(c, "pipeline.set", "pipeline", "hook", NULL, NULL, packed, packed_size);
    free(packed);
    pk_value_destroy(&v);
    v = s_request(c, "webhook.tokens", "pipeline", "hook", NULL, NULL, NULL, 0);
    const pk_value_t *t = pk_value_object_get(v, "git.app");
    char token[80];
    snprintf(token, sizeof token, "%s", t ? pk_value_string(t) : "");
    pk_value_destroy(&v);
    if (!*token || pk_client_subscribe(c, "build.", NULL) != 0) {
        fprintf(stderr, "bench_http: no webhook token for hook/git.app\n");
        goto out;
    }
    // the first check finds the first commit: settle it before measuring
    v = s_request(c, "check", "pipeline", "hook", "resource", "app", NULL, 0);
    pk_value_destroy(&v);
    s_await(c, "build.succeeded");
    double hook[S_ROUNDS], check[S_ROUNDS];
    int port = atoi(http), done = 0;
    for (; done < S_ROUNDS; done++) {
        for (int k = 0; k < 2; k++) {
            if (s_commit(2 * done + k + 1) != 0)
                goto out;
            int64_t t0 = bench_now_us();
            if (k == 0 && s_post(port, token) != 200) {
                fprintf(stderr, "bench_http: the webhook POST failed\n");
                goto out;
            }
            if (k == 1) {
                v = s_request(c, "check", "pipeline", "hook", "resource", "app", NULL, 0);
                if (!v)
                    goto out;
                pk_value_destroy(&v);
            }
            if (s_await(c, "build.started") != 0)
                goto out;
            (k == 0 ? hook : check)[done] = (double) (bench_now_us() - t0) / 1000;
            s_await(c, "build.succeeded");
        }
    }
    qsort(hook, S_ROUNDS, sizeof(double), s_cmp);
    qsort(check, S_ROUNDS, sizeof(double), s_cmp);
    bench_row("http: webhook POST -> task started, p50", hook[S_ROUNDS / 2], "ms",
              check[S_ROUNDS / 2], "client check -> started p50");
    bench_row("http: webhook POST -> task started, p90", hook[S_ROUNDS * 9 / 10], "ms",
              check[S_ROUNDS * 9 / 10], "client check -> started p90");
    status = 0;
out:
    pk_client_destroy(&c);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (status == 0)
        unlink(s_log);
    else
        fprintf(stderr, "bench_http: stopped; the server's log is %s\n", s_log);
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_http: could not remove %s\n", s_dir);
    return status;
}
