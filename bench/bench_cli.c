// bench_cli: the CLI as a user feels it, end to end -- one `pikoci` process
// per command, from spawn to exit, stdout to /dev/null -- against /bin/true
// spawned in the same rounds (the floor: what any command costs at least):
//   - `pikoci --help` (nothing but the program's own start);
//   - one read-only query (`pikoci pipelines`) against a running mem server;
//   - `pikoci trigger --watch` of a one-task job (exec /bin/true) until the
//     build has finished, against a mem server and an lmdb server;
//   - the same query through pikoci-core, the full program the front end
//     execs for the server side (what every command cost before the front
//     end: bench/PROFILE-cli.md).
// The calls of a round are interleaved, so a noisy machine hits all alike;
// each figure is a median.
#include "bench_util.h"
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_ROUNDS 200
#define S_WATCH_ROUNDS 60

static const char *s_pipeline =
    "job \"t\" {\n  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n";

// One run of argv (stdout and stderr to /dev/null): its wall time in us, or
// -1 when it did not exit 0.
static double
s_run_us(char *const argv[])
{
    extern char **environ;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int64_t t0 = bench_now_us();
    pid_t pid;
    int status = -1;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0)
        waitpid(pid, &status, 0);
    int64_t t1 = bench_now_us();
    posix_spawn_file_actions_destroy(&fa);
    if (status != 0) {
        fprintf(stderr, "bench_cli: %s %s failed (status %d)\n", argv[0], argv[1], status);
        return -1;
    }
    return (double) (t1 - t0);
}

static double
s_median(double *v, int n)
{
    qsort(v, (size_t) n, sizeof *v, bench_cmp_double);
    return v[n / 2];
}

// rounds of the commands in cmds (each a NULL-terminated argv), interleaved;
// the median of each into out. -1 when one failed.
static int
s_measure(char **cmds[], int count, int rounds, double *out)
{
    double *t = calloc((size_t) (count * rounds), sizeof *t);
    int rc = 0;
    for (int r = 0; r < rounds && rc == 0; r++)
        for (int c = 0; c < count && rc == 0; c++)
            if ((t[c * rounds + r] = s_run_us(cmds[c])) < 0)
                rc = -1;
    for (int c = 0; c < count && rc == 0; c++)
        out[c] = s_median(t + c * rounds, rounds) / 1000;
    free(t);
    return rc;
}

int
main(void)
{
    char bin[PATH_MAX], core[PATH_MAX + 8];
    bench_pikoci_path(bin, sizeof bin);
    snprintf(core, sizeof core, "%s-core", bin);
    bench_server_t mem = { 0 }, lmdb = { 0 };
    char dir[] = "/tmp/pikoci-bench-cli-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    const char *lmdb_args[] = { "--db-system", "lmdb", "--db-path", dir, NULL };
    if (bench_server_start(&mem, NULL) != 0 || bench_set(&mem, "bench", s_pipeline) != 0
        || bench_server_start(&lmdb, lmdb_args) != 0 || bench_set(&lmdb, "bench", s_pipeline) != 0) {
        bench_server_stop(&mem);
        bench_server_stop(&lmdb);
        return 1;
    }
    char *mem_ep = strdup(pk_client_endpoint(mem.client));
    char *lmdb_ep = strdup(pk_client_endpoint(lmdb.client));
    char *floor[] = { "/bin/true", NULL };
    char *help[] = { bin, "--help", NULL };
    char *query[] = { bin, "pipelines", "--server", mem_ep, NULL };
    char *query_core[] = { core, "pipelines", "--server", mem_ep, NULL };
    char *watch_mem[] = { bin, "trigger", "--watch", "bench/t", "--server", mem_ep, NULL };
    char *watch_lmdb[] = { bin, "trigger", "--watch", "bench/t", "--server", lmdb_ep, NULL };
    char **quick[] = { floor, help, query, query_core };
    char **watch[] = { floor, watch_mem, watch_lmdb };
    double q[4], w[3];
    int rc = s_measure(quick, 4, S_ROUNDS, q);
    if (rc == 0)
        rc = s_measure(watch, 3, S_WATCH_ROUNDS, w);
    if (rc == 0) {
        bench_row("CLI: pikoci --help", q[1] * 1000, "us", q[0] * 1000, "/bin/true");
        bench_row("CLI: read-only query (pikoci pipelines), mem", q[2] * 1000, "us",
                  q[0] * 1000, "/bin/true");
        bench_row("CLI: same query through pikoci-core", q[3] * 1000, "us", q[0] * 1000,
                  "/bin/true");
        bench_row("CLI: trigger --watch, trivial job, mem", w[1], "ms", w[0], "/bin/true");
        bench_row("CLI: trigger --watch, trivial job, lmdb", w[2], "ms", w[0], "/bin/true");
    }
    free(mem_ep);
    free(lmdb_ep);
    bench_server_stop(&mem);
    bench_server_stop(&lmdb);
    char cmd[64 + sizeof dir];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_cli: could not remove %s\n", dir);
    return rc == 0 ? 0 : 1;
}
