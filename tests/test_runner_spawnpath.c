// The runner's per-build path (issue #20, a trivial build through the
// server): what a build costs beyond its process, with the test playing the
// broker over inproc. A finished build's thread is joined at once (its
// stack is reused, not kept mapped while the build is kept for a resync);
// $WORKDIR is made ahead by the build before (fresh, empty, 0700, never an
// earlier build's), made again when the work root went away under a running
// runner; an empty $WORKDIR and one a task replaced with a link are removed
// without following the link, and the one made ahead when the runner stops.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "pk_runner.h"
#include "pk_msg.h"
#include "test_work_root.h"
#include "fake_broker.h"

static void
s_start(fake_broker_t *f, const char *ep)
{
    pk_runner_config_t cfg = { .name = "w1", .slots = 1, .work_root = test_work_root() };
    fake_broker_start(f, ep, cfg, NULL);
}

// One build of a shell command; its log (caller frees) once DONE says status.
static char *
s_build(fake_broker_t *f, const char *id, const char *cmd, const char *want_status)
{
    char json[2048];
    snprintf(json, sizeof json, "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\",\"cmd\":"
             "{\"runner\":{\"name\":\"exec\"},\"params\":{\"path\":\"/bin/sh\","
             "\"args\":[\"-c\",\"%s\"]}}}]}", cmd);
    fake_broker_work(f, id, "build", json);
    char status[32];
    char *log = fake_broker_until_done(f, id, status, sizeof status);
    if (strcmp(status, want_status))
        fail_msg("%s: %s (%s), log: %s", id, status, f->done_reason, log);
    return log;
}

static long
s_vm_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmSize:", 7))
            kb = strtol(line + 7, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

// build-* entries in the work root; the path of one in *one when asked
static int
s_workdirs(char *one, size_t size)
{
    DIR *d = opendir(test_work_root());
    int n = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        if (!strncmp(e->d_name, "build-", 6)) {
            n++;
            if (one)
                snprintf(one, size, "%s/%s", test_work_root(), e->d_name);
        }
    if (d)
        closedir(d);
    return n;
}

// Waits until path is gone (a $WORKDIR goes after its DONE): 0, or -1.
static int
s_gone(const char *path, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    struct stat st;
    while (lstat(path, &st) == 0) {
        if (zclock_mono() >= end)
            return -1;
        zclock_sleep(10);       // a directory is all we can watch
    }
    return 0;
}

// A build that prints its $WORKDIR (its log's first line, in *dir) and
// whether it starts empty and private.
static void
s_build_dir(fake_broker_t *f, const char *id, char *dir, size_t size)
{
    char *log = s_build(f, id, "echo $WORKDIR; ls -A | wc -l; stat -c %a .", "succeeded");
    char *nl = strchr(log, '\n');
    assert_non_null(nl);
    snprintf(dir, size, "%.*s", (int) (nl - log), log);
    int entries = -1;
    char mode[16] = "";
    assert_int_equal(sscanf(nl + 1, "%d %15s", &entries, mode), 2);
    assert_int_equal(entries, 0);
    assert_string_equal(mode, "700");
    free(log);
}

// Kept builds (for a resync) no longer keep their threads' stacks: 24
// builds one after another map at most a few stacks, not 24 (8 MB each).
static void
test_stacks_reused(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-spawnpath-stacks");
    free(s_build(&f, "build:p/j/0", "true", "succeeded"));
    long before = s_vm_kb();
    for (int i = 1; i <= 24; i++) {
        char id[64];
        snprintf(id, sizeof id, "build:p/j/%d", i);
        free(s_build(&f, id, "true", "succeeded"));
    }
    long grown = s_vm_kb() - before;
    if (grown >= 4 * 8192)
        fail_msg("24 builds grew the address space by %ld kB: their stacks are kept", grown);
    fake_broker_stop(&f);
    assert_int_equal(s_workdirs(NULL, 0), 0);
}

// Each build gets a $WORKDIR of its own -- fresh, empty, 0700, never an
// earlier build's -- made ahead by the build before it; each is removed
// after its build, and the one made ahead when the runner stops.
static void
test_workdir_made_ahead(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-spawnpath-ahead");
    char dirs[6][512];
    for (int i = 0; i < 6; i++) {
        char id[64];
        snprintf(id, sizeof id, "build:p/j/%d", i);
        s_build_dir(&f, id, dirs[i], sizeof dirs[i]);
        assert_int_equal(strncmp(dirs[i], test_work_root(), strlen(test_work_root())), 0);
        for (int k = 0; k < i; k++)
            assert_string_not_equal(dirs[i], dirs[k]);
        assert_int_equal(s_gone(dirs[i], 5000), 0);
    }
    // the one made ahead is the next build's
    int64_t end = zclock_mono() + 5000;
    while (s_workdirs(NULL, 0) != 1 && zclock_mono() < end)
        zclock_sleep(10);
    char ahead[512] = "";
    assert_int_equal(s_workdirs(ahead, sizeof ahead), 1);
    char next[512];
    s_build_dir(&f, "build:p/j/next", next, sizeof next);
    assert_string_equal(next, ahead);
    fake_broker_stop(&f);
    assert_int_equal(s_workdirs(NULL, 0), 0);
}

// The work root went away under a running runner: the next build makes it
// again and gets its $WORKDIR; every $WORKDIR is removed, an empty one and
// one the task replaced with a link (the link goes, never what it points to).
static void
test_workdirs(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "inproc://pk-test-spawnpath-workdirs");
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -f %s/.pikoci-runner && rmdir %s", test_work_root(),
             test_work_root());
    assert_int_equal(system(cmd), 0);
    char *log = s_build(&f, "build:p/j/1", "test -d \\\"$WORKDIR\\\" && touch f && echo $WORKDIR",
                        "succeeded");
    log[strcspn(log, "\n")] = 0;
    assert_int_equal(strncmp(log, test_work_root(), strlen(test_work_root())), 0);
    assert_int_equal(s_gone(log, 5000), 0);
    free(log);
    char dir[512];
    s_build_dir(&f, "build:p/j/2", dir, sizeof dir);
    assert_int_equal(s_gone(dir, 5000), 0);
    char keep[64];
    snprintf(keep, sizeof keep, "/tmp/pikoci-test-keep.%d", (int) getpid());
    mkdir(keep, 0700);
    snprintf(cmd, sizeof cmd, "%s/precious", keep);
    FILE *p = fopen(cmd, "w");
    assert_non_null(p);
    fclose(p);
    snprintf(cmd, sizeof cmd, "cd / && rmdir \\\"$WORKDIR\\\" && ln -s %s \\\"$WORKDIR\\\" "
             "&& echo $WORKDIR", keep);
    log = s_build(&f, "build:p/j/3", cmd, "succeeded");
    log[strcspn(log, "\n")] = 0;
    assert_int_equal(s_gone(log, 5000), 0);
    free(log);
    snprintf(cmd, sizeof cmd, "%s/precious", keep);
    struct stat st;
    assert_int_equal(stat(cmd, &st), 0);
    unlink(cmd);
    rmdir(keep);
    fake_broker_stop(&f);
    assert_int_equal(s_workdirs(NULL, 0), 0);
}

int
main(void)
{
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stacks_reused),
        cmocka_unit_test(test_workdir_made_ahead),
        cmocka_unit_test(test_workdirs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
