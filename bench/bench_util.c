// bench_util: see bench_util.h.
#include "bench_util.h"
#include "pk_cred.h"
#include "pk_msg.h"
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

int64_t
bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
bench_row(const char *name, double ours, const char *unit, double floor, const char *floor_what)
{
    printf("BENCH | %-44s | %12.1f %-6s | %12.1f %-6s (%s) | %6.2fx\n", name, ours, unit, floor,
           unit, floor_what, floor > 0 ? ours / floor : 0.0);
    fflush(stdout);
}

double
bench_spawn_floor_us(const char *path, int n)
{
    extern char **environ;
    char *argv[] = { (char *) path, NULL };
    int64_t t0 = bench_now_us();
    for (int i = 0; i < n; i++) {
        pid_t pid;
        if (posix_spawn(&pid, path, NULL, NULL, argv, environ) == 0)
            waitpid(pid, NULL, 0);
    }
    return (double) (bench_now_us() - t0);
}

double
bench_runner_builds_us(int n, int slots)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_bind(router, "inproc://bench-runner-%d", slots);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://bench-runner-%d", slots);
    pk_runner_config_t cfg = { .name = "bench", .endpoint = ep, .slots = (uint32_t) slots,
                               .work_root = "/tmp/pikoci-bench-work" };
    zactor_t *runner = pk_runner_new(&cfg);
    zmsg_t *z = zmsg_recv(router);           // READY
    zframe_t *peer = zmsg_pop(z);
    zmsg_destroy(&z);
    const char *json = "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\",\"cmd\":{\"runner\":"
                       "{\"name\":\"exec\"},\"params\":{\"path\":\"/bin/true\"}}}]}";
    pk_value_t *plan = pk_value_from_json(json, strlen(json), NULL);
    uint8_t *packed;
    size_t packed_size;
    pk_value_pack_bytes(plan, &packed, &packed_size);
    int sent = 0, done = 0, failed = 0;
    int64_t t0 = bench_now_us();
    while (done < n) {
        while (sent < n && sent - done < slots) {
            char id[64];
            snprintf(id, sizeof id, "build:bench/t/%d", sent);
            pk_msg_t m = { .type = PK_MSG_WORK };
            m.work.id = id;
            m.work.attempt = 1;
            m.work.kind = "build";
            m.work.plan.data = packed;
            m.work.plan.size = packed_size;
            zmsg_t *w = pk_msg_to_zmsg(&m);
            zmsg_pushmem(w, zframe_data(peer), zframe_size(peer));
            zmsg_send(&w, router);
            sent++;
        }
        zmsg_t *r = zmsg_recv(router);
        zframe_t *id = zmsg_pop(r);
        zframe_destroy(&id);
        pk_msg_t m;
        if (pk_msg_from_zmsg(r, &m, NULL, 0) == 0 && m.type == PK_MSG_DONE) {
            done++;
            failed += strcmp(m.done.status, "succeeded") != 0;
        }
        pk_msg_clear(&m);
        zmsg_destroy(&r);
    }
    double us = (double) (bench_now_us() - t0);
    if (failed)
        fprintf(stderr, "bench: %d runner builds did not succeed\n", failed);
    free(packed);
    pk_value_destroy(&plan);
    zactor_destroy(&runner);
    zframe_destroy(&peer);
    zsock_destroy(&router);
    return us;
}

// --- a pikoci server (or broker, workers) as separate processes


// VmRSS, or with anon the private part alone (RssAnon: the log store's
// pages, mapped while logs are read back, are not the server's own memory).
long
bench_rss_kb_of(pid_t pid, bool anon)
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

long
bench_rss_kb(pid_t pid)
{
    return bench_rss_kb_of(pid, false);
}

// The pikoci binary beside this build's bench/ directory.
void
bench_pikoci_path(char *out, size_t size)
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
pid_t
bench_spawn(bench_server_t *s, char *const args[])
{
    char bin[PATH_MAX];
    bench_pikoci_path(bin, sizeof bin);
    if (s->count == BENCH_PROCS_MAX)
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

// Waits for "needle" in a log; with endpoint, copies what follows it up to
// a space (the tcp endpoint after "listening on ", the port after "http on
// ..."). 0 or -1.
int
bench_wait_log(const char *log, const char *needle, char *endpoint, size_t size)
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
    fprintf(stderr, "bench: \"%s\" never appeared in %s\n", needle, log);
    return -1;
}

int
bench_connect(bench_server_t *s, const char *endpoint)
{
    char *err = NULL;
    s->client = pk_client_new(endpoint, &err);
    if (!s->client) {
        fprintf(stderr, "bench: %s\n", err ? err : "cannot connect");
        free(err);
        return -1;
    }
    pk_cred_apply(s->client, endpoint);     // the server's first-start token

    return 0;
}

// pikoci server --listen tcp://127.0.0.1:* --run-worker, then extra (NULL
// terminated, may be NULL): 0 once a client is connected, or -1.
int
bench_server_start(bench_server_t *s, const char *const extra[])
{
    const char *args[32] = { "pikoci", "server", "--listen", "tcp://127.0.0.1:*", "--run-worker" };
    size_t n = 5;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    s->pid = bench_spawn(s, (char *const *) args);
    char endpoint[256];
    if (s->pid < 0 || bench_wait_log(s->logs[s->count - 1], "listening on ", endpoint,
                                     sizeof endpoint) != 0)
        return -1;
    return bench_connect(s, endpoint);
}

void
bench_server_stop(bench_server_t *s)
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
int
bench_request(bench_server_t *s, const char *op, const char *k1, const char *v1, const char *k2,
          const char *v2, const pk_value_t *body, pk_value_t **reply_out)
{
    pk_kv_t args = { 0 };
    if (k1)
        pk_kv_set(&args, k1, v1);
    if (k2)
        pk_kv_set(&args, k2, v2);
    int rc = bench_request_kv(s, op, &args, body, reply_out);
    pk_kv_clear(&args);
    return rc;
}

int
bench_request_kv(bench_server_t *s, const char *op, const pk_kv_t *args, const pk_value_t *body,
                 pk_value_t **reply_out)
{
    uint8_t *packed = NULL, *reply = NULL;
    size_t packed_size = 0, reply_size = 0;
    if (body)
        pk_value_pack_bytes(body, &packed, &packed_size);
    char *err = NULL;
    int rc = pk_client_request(s->client, op, args, packed, packed_size, 30000, &reply,
                               &reply_size, &err);
    if (rc != 0)
        fprintf(stderr, "bench: %s: %s\n", op, err ? err : "no answer");
    if (rc == 0 && reply_out)
        *reply_out = pk_value_unpack(reply, reply_size);
    free(err);
    free(reply);
    free(packed);
    return rc == 0 ? 0 : -1;
}

int
bench_set(bench_server_t *s, const char *name, const char *source)
{
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(source));
    int rc = bench_request(s, "pipeline.set", "pipeline", name, NULL, NULL, body, NULL);
    pk_value_destroy(&body);
    return rc;
}

// Waits for an EVENT whose topic is `topic` and whose body's job is `job`
// (any job when NULL); its number in *number. 0 or -1 on timeout.
int
bench_await(bench_server_t *s, const char *topic, const char *job, char *number, size_t size,
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

int
bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}
