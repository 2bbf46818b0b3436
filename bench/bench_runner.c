// bench_runner: per-task overhead of the runner. N one-task builds
// (`exec /bin/true`) go through the real runner actor over inproc, the way
// `pikoci run` and the server drive it (WORK in; STARTED, STEP, DONE out),
// at concurrency 1 and 2, against N plain posix_spawn+wait of /bin/true
// measured in the same run.
#include "bench_util.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    zsys_handler_set(NULL);
    bench_runner_builds_us(20, 1);     // warm up
    double floor = bench_spawn_floor_us("/bin/true", n);
    double one = bench_runner_builds_us(n, 1);
    double floor2 = bench_spawn_floor_us("/bin/true", n);
    double two = bench_runner_builds_us(n, 2);
    char name[128];
    snprintf(name, sizeof name, "runner: %d exec /bin/true builds, conc 1", n);
    bench_row(name, one / n, "us", floor / n, "posix_spawn+wait");
    snprintf(name, sizeof name, "runner: %d exec /bin/true builds, conc 2", n);
    bench_row(name, two / n, "us", floor2 / n, "posix_spawn+wait");
    zsys_shutdown();
    return 0;
}
