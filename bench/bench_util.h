// bench_util: timing and the one output format every benchmark prints, so
// scripts/bench can gather them into one table.
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "pk_client.h"
#include "pk_value.h"

int64_t bench_now_us(void);
// One row: name, our figure and unit, the floor/reference figure, their ratio.
void bench_row(const char *name, double ours, const char *unit, double floor, const char *floor_what);
// The floor every process benchmark compares to: n posix_spawn+wait of path.
double bench_spawn_floor_us(const char *path, int n);
// The runner-only floor of a build: n one-task builds (exec /bin/true) sent
// straight to a runner actor over inproc with `slots` at a time; total us.
double bench_runner_builds_us(int n, int slots);

// --- pikoci processes (server, broker, workers) and a client to them.
#define BENCH_PROCS_MAX 16

typedef struct {
    pid_t pid;                  // the server (or broker) the client talks to
    pk_client_t *client;
    pid_t procs[BENCH_PROCS_MAX];   // every process started, the first is pid
    char logs[BENCH_PROCS_MAX][64];
    int count;
} bench_server_t;

// VmRSS of pid in kB, or with anon its private part alone (RssAnon).
long bench_rss_kb_of(pid_t pid, bool anon);
long bench_rss_kb(pid_t pid);
// The pikoci binary of this build (beside bench/).
void bench_pikoci_path(char *out, size_t size);
// Starts `pikoci ARGS...` (args[0] is argv[0]) with its stderr in s->logs[i].
pid_t bench_spawn(bench_server_t *s, char *const args[]);
// Waits up to 30 s for needle in a log; with endpoint, copies what follows it.
int bench_wait_log(const char *log, const char *needle, char *endpoint, size_t size);
int bench_connect(bench_server_t *s, const char *endpoint);
// pikoci server --listen tcp://127.0.0.1:* --run-worker EXTRA...; 0 or -1.
int bench_server_start(bench_server_t *s, const char *const extra[]);
// SIGTERM to every process started, newest first; the client goes.
void bench_server_stop(bench_server_t *s);
// A request with up to two args; 0 with *reply_out (may be NULL) or -1 (printed).
int bench_request(bench_server_t *s, const char *op, const char *k1, const char *v1,
                  const char *k2, const char *v2, const pk_value_t *body, pk_value_t **reply_out);
// The same with any arguments.
int bench_request_kv(bench_server_t *s, const char *op, const pk_kv_t *args,
                     const pk_value_t *body, pk_value_t **reply_out);
int bench_set(bench_server_t *s, const char *name, const char *source);
// The next EVENT with this topic (and job, when not NULL); its number in
// number. 0, or -1 after timeout_ms.
int bench_await(bench_server_t *s, const char *topic, const char *job, char *number, size_t size,
                int timeout_ms);
int bench_cmp_double(const void *a, const void *b);

#endif
