// bench_parse: a generated pipeline of 1,000 resources and 1,000 jobs (over
// 10,000 lines), parsed and fully validated in-process, against HashiCorp's
// Go hclsyntax on the same file (tests/hcl_oracle, built with the tests),
// both as whole programs that parse, evaluate and dump it: C's hcl_dump vs
// Go's hcl2dump. Without the Go dumper the floor is reading the file.
#include "bench_util.h"
#include "pk_pipeline.h"
#include "pk_hcl.h"
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *
s_generate(size_t *len, int *lines)
{
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    *lines = 0;
#define EMIT(...) do { \
        int w = snprintf(buf + n, cap - n, __VA_ARGS__); \
        while ((size_t) w >= cap - n) { cap *= 2; buf = realloc(buf, cap); \
            w = snprintf(buf + n, cap - n, __VA_ARGS__); } \
        n += (size_t) w; } while (0)
    EMIT("variable \"base\" {\n  type    = string\n  default = \"file:///srv/git\"\n}\n\n");
    for (int i = 0; i < 1000; i++)
        EMIT("resource \"git\" \"repo-%d\" {\n  params {\n    url  = \"${var.base}/r%d.git\"\n"
             "    name = \"repo-%d\"\n  }\n  check_interval = \"@every %ds\"\n}\n\n", i, i, i, 30 + i % 60);
    for (int i = 0; i < 1000; i++)
        EMIT("job \"build-%d\" {\n  get \"git\" \"repo-%d\" {\n    trigger = true\n  }\n"
             "  task \"test\" {\n    run \"shell\" {\n      cmd = \"cd repo-%d && make test\"\n    }\n  }\n}\n\n",
             i, i, i);
    for (size_t i = 0; i < n; i++)
        *lines += buf[i] == '\n';
    *len = n;
    return buf;
}

static double
s_spawn_us(const char *path, const char *file)
{
    extern char **environ;
    char *argv[] = { (char *) path, (char *) file, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    // the dumpers' complaints (thousands of lines from the Go one) are not the table
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int64_t t0 = bench_now_us();
    pid_t pid;
    int status = -1;
    if (posix_spawn(&pid, path, &fa, NULL, argv, environ) == 0)
        waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&fa);
    return status == 0 ? (double) (bench_now_us() - t0) : -1;
}

int
main(int argc, char **argv)
{
    size_t len;
    int lines;
    char *text = s_generate(&len, &lines);
    char path[] = "/tmp/pikoci-bench-parse-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, text, len) != (ssize_t) len)
        return 1;
    close(fd);
    int reps = 5;
    double best_parse = 1e18, best_full = 1e18;
    for (int r = 0; r < reps; r++) {
        pk_diags_t *diags = pk_diags_new();
        int64_t t0 = bench_now_us();
        pk_hcl_file_t *f = pk_hcl_parse(path, text, len, diags);
        double us = (double) (bench_now_us() - t0);
        if (us < best_parse)
            best_parse = us;
        pk_hcl_file_destroy(&f);
        t0 = bench_now_us();
        pk_pipeline_t *p = pk_pipeline_parse(path, text, len, NULL, diags);
        us = (double) (bench_now_us() - t0);
        if (us < best_full)
            best_full = us;
        if (pk_diags_errors(diags)) {
            pk_diags_print(diags, stderr);
            return 1;
        }
        pk_pipeline_destroy(&p);
        pk_diags_destroy(&diags);
    }
    char name[128];
    snprintf(name, sizeof name, "parse+validate a %d-line pipeline", lines);
    const char *c_dump = argc > 2 ? argv[1] : NULL, *go_dump = argc > 2 ? argv[2] : NULL;
    double c_us = -1, go_us = -1;
    for (int r = 0; c_dump && go_dump && r < 3; r++) {
        double a = s_spawn_us(c_dump, path), b = s_spawn_us(go_dump, path);
        if (a > 0 && (c_us < 0 || a < c_us))
            c_us = a;
        if (b > 0 && (go_us < 0 || b < go_us))
            go_us = b;
    }
    bench_row(name, best_full / 1000, "ms", 1000, "the 1 s budget");
    if (c_us > 0 && go_us > 0)
        bench_row("same file: C hcl_dump vs Go hcl2dump (process)", c_us / 1000, "ms", go_us / 1000,
                  "Go hclsyntax");
    fprintf(stderr, "bench_parse: HCL parse alone %.1f ms of %.1f ms\n", best_parse / 1000,
            best_full / 1000);
    unlink(path);
    free(text);
    return 0;
}
