// bench_util: see bench_util.h.
#include "bench_util.h"
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
