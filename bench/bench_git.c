// bench_git: the git resource's check and get in-process, without a server:
// a commit to a local bare repository (file://), pk_git_check with the last
// version (ls + fetch into the mirror), then pk_git_pull of the new tip into
// a new directory from the mirror, as the runner does for a triggered build;
// before each commit an idle check, untimed, as the periodic checks are.
// Each operation timed on its own, p50 over N commits (argv[1], default 50).
// The floor, measured after each get: the tree's files (a directory and
// S_FILES small files) written with plain open/write/close, the least any
// checkout does -- on a loaded VM its spread says how noisy the disk is.
// valgrind --tool=callgrind --toggle-collect=pk_git_pull bench_git 20
// counts the gets' instructions alone (pk_git_check: the checks', plus
// libgit2's start once); strace -c bench_git 20 their syscalls.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include "bench_util.h"
#include "pk_git.h"

#define S_FILES 20

static int
s_sh(const char *cmd)
{
    return system(cmd) == 0 ? 0 : -1;
}

static char *
s_tip(const char *dir)
{
    char cmd[512], buf[64] = "";
    snprintf(cmd, sizeof cmd, "git -C %s/wc rev-parse HEAD", dir);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    if (!fgets(buf, sizeof buf, p))
        buf[0] = '\0';
    pclose(p);
    buf[strcspn(buf, "\n")] = '\0';
    return strlen(buf) == 40 ? strdup(buf) : NULL;
}

// The floor: S_FILES small files and two directories, written plainly.
static double
s_floor_us(const char *dir, int i)
{
    char path[512];
    int64_t t0 = bench_now_us();
    snprintf(path, sizeof path, "%s/floor-%d", dir, i);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/floor-%d/src", dir, i);
    mkdir(path, 0777);
    for (int f = 0; f < S_FILES; f++) {
        snprintf(path, sizeof path, "%s/floor-%d/src/f%d.c", dir, i, f);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            if (write(fd, "int x;\n", 7) != 7)
                fprintf(stderr, "bench_git: short write\n");
            close(fd);
        }
    }
    return (double) (bench_now_us() - t0);
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 50;
    if (n < 1)
        n = 1;
    char dir[64], cmd[2048], url[128], cache[128];
    snprintf(dir, sizeof dir, "/tmp/pikoci-bench-gitl-%d", (int) getpid());
    snprintf(url, sizeof url, "file://%s/repo.git", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && git init -q --bare %s/repo.git && "
             "git clone -q %s/repo.git %s/wc 2>/dev/null && cd %s/wc && mkdir src && "
             "for f in $(seq 0 %d); do echo \"int f$f;\" > src/f$f.c; done && echo 0 > V && "
             "git add -A && git -c user.name=b -c user.email=b@b commit -qm 0 && "
             "git push -q origin HEAD 2>/dev/null", dir, dir, dir, dir, dir, dir, S_FILES - 2);
    if (s_sh(cmd) != 0 || pk_git_init() != 0) {
        fprintf(stderr, "bench_git: cannot make a git repository in %s\n", dir);
        return 1;
    }
    pk_git_params_t p = { .url = url };
    char *last = s_tip(dir), *err = NULL, *versions = NULL;
    // the first check and get start libgit2 and make the mirror: not counted
    snprintf(cmd, sizeof cmd, "%s/get-0", dir);
    if (!last || pk_git_check(&p, NULL, cache, &versions, &err) != 0
        || pk_git_pull(&p, last, cmd, cache, &err) != 0) {
        fprintf(stderr, "bench_git: %s\n", err ? err : "no tip");
        return 1;
    }
    free(versions);
    double *check = calloc((size_t) n, sizeof(double));
    double *get = calloc((size_t) n, sizeof(double));
    double *floor = calloc((size_t) n, sizeof(double));
    int done = 0;
    for (; done < n; done++) {
        // an idle check first, untimed (the periodic checks between commits)
        versions = NULL;
        if (pk_git_check(&p, last, cache, &versions, &err) != 0)
            break;
        free(versions);
        snprintf(cmd, sizeof cmd, "cd %s/wc && echo %d > V && git -c user.name=b -c "
                 "user.email=b@b commit -qam %d && git push -q origin HEAD 2>/dev/null",
                 dir, done + 1, done + 1);
        char *tip = s_sh(cmd) == 0 ? s_tip(dir) : NULL;
        if (!tip)
            break;
        int64_t t0 = bench_now_us();
        versions = NULL;
        int rc = pk_git_check(&p, last, cache, &versions, &err);
        int64_t t1 = bench_now_us();
        if (rc == 0 && (!versions || !strstr(versions, tip)))
            rc = -1;
        free(versions);
        snprintf(cmd, sizeof cmd, "%s/get-%d", dir, done + 1);
        if (rc == 0)
            rc = pk_git_pull(&p, tip, cmd, cache, &err);
        int64_t t2 = bench_now_us();
        free(last);
        last = tip;
        if (rc != 0) {
            fprintf(stderr, "bench_git: %s\n", err ? err : "no new version");
            break;
        }
        check[done] = (double) (t1 - t0);
        get[done] = (double) (t2 - t1);
        floor[done] = s_floor_us(dir, done);
    }
    if (done == n) {
        qsort(check, (size_t) n, sizeof(double), bench_cmp_double);
        qsort(get, (size_t) n, sizeof(double), bench_cmp_double);
        qsort(floor, (size_t) n, sizeof(double), bench_cmp_double);
        bench_row("git: check after a commit (ls + fetch), p50", check[n / 2] / 1000, "ms",
                  floor[n / 2] / 1000, "writing the tree's files");
        bench_row("git: get from the mirror, p50", get[n / 2] / 1000, "ms",
                  floor[n / 2] / 1000, "writing the tree's files");
    }
    free(check);
    free(get);
    free(floor);
    free(last);
    free(err);
    pk_git_shutdown();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (s_sh(cmd) != 0)
        fprintf(stderr, "bench_git: could not remove %s\n", dir);
    return done == n ? 0 : 1;
}
