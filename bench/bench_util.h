// bench_util: timing and the one output format every benchmark prints, so
// scripts/bench can gather them into one table.
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H
#include <stdint.h>

int64_t bench_now_us(void);
// One row: name, our figure and unit, the floor/reference figure, their ratio.
void bench_row(const char *name, double ours, const char *unit, double floor, const char *floor_what);
// The floor every process benchmark compares to: n posix_spawn+wait of path.
double bench_spawn_floor_us(const char *path, int n);
// The runner-only floor of a build: n one-task builds (exec /bin/true) sent
// straight to a runner actor over inproc with `slots` at a time; total us.
double bench_runner_builds_us(int n, int slots);

#endif
