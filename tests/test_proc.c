// pk_proc with real processes: exit statuses, merged output, environment and
// PATH from the task's env, fd hygiene, whole-group kill of a grandchild that
// ignores SIGTERM, and 200 MB of output read with flat memory. The same
// tests run again through the clone path (pk_proc_spawn_opts), which also
// kills a process when the thread that spawned it ends, and, as root, runs
// one as an unprivileged user.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pk_proc.h"

// NULL: posix_spawn; the second group runs everything through the clone path
static pk_proc_opts_t *s_opts;

static pk_proc_t *
s_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd, char **err)
{
    return pk_proc_spawn_opts(path, argv, envp, cwd, s_opts, err);
}

static int64_t
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Drive a process to completion the way the runner's loop will: poll the
// output and exit fds. Collects up to cap bytes of output in out (if given)
// and counts all bytes. Fails the test past the deadline.
static size_t
s_run(pk_proc_t *p, char *out, size_t cap, int deadline_ms)
{
    int64_t end = s_now_ms() + deadline_ms;
    size_t total = 0;
    char buf[65536];
    while (!pk_proc_done(p)) {
        struct pollfd fds[2];
        int n = 0;
        if (pk_proc_output_fd(p) >= 0)
            fds[n++] = (struct pollfd) { .fd = pk_proc_output_fd(p), .events = POLLIN };
        if (pk_proc_exit_fd(p) >= 0)
            fds[n++] = (struct pollfd) { .fd = pk_proc_exit_fd(p), .events = POLLIN };
        int left = (int) (end - s_now_ms());
        assert_true(left > 0);
        poll(fds, (nfds_t) n, left);
        ssize_t r;
        while ((r = pk_proc_read(p, buf, sizeof buf)) > 0) {
            if (out && total < cap) {
                size_t c = (size_t) r < cap - total ? (size_t) r : cap - total;
                memcpy(out + total, buf, c);
            }
            total += (size_t) r;
        }
        pk_proc_reap(p);
    }
    if (out)
        out[total < cap ? total : cap - 1] = 0;
    return total;
}

static pk_proc_t *
s_sh(const char *script, char *const envp[], const char *cwd)
{
    char *argv[] = { "sh", "-c", (char *) script, NULL };
    char *err = NULL;
    pk_proc_t *p = s_spawn("/bin/sh", argv, envp, cwd, &err);
    if (!p)
        fail_msg("spawn failed: %s", err);
    return p;
}

static void
test_exit_status(void **state)
{
    (void) state;
    struct { const char *script; int status; } cases[] = {
        { "exit 0", 0 }, { "exit 3", 3 }, { "exit 255", 255 },
        { "kill -TERM $$", 128 + SIGTERM }, { "kill -KILL $$", 128 + SIGKILL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pk_proc_t *p = s_sh(cases[i].script, NULL, NULL);
        s_run(p, NULL, 0, 10000);
        assert_true(pk_proc_exited(p));
        assert_int_equal(pk_proc_status(p), cases[i].status);
        pk_proc_destroy(&p);
        assert_null(p);
    }
}

static void
test_merged_output_env_cwd(void **state)
{
    (void) state;
    char *envp[] = { "PATH=/nonexistent:/usr/bin:/bin", "FOO=bar baz", NULL };
    pk_proc_t *p = s_sh("echo out; echo err >&2; echo \"$FOO\"; pwd; echo $PATH", envp, "/tmp");
    char out[4096];
    s_run(p, out, sizeof out, 10000);
    assert_string_equal(out, "out\nerr\nbar baz\n/tmp\n/nonexistent:/usr/bin:/bin\n");
    assert_int_equal(pk_proc_status(p), 0);
    pk_proc_destroy(&p);

    // a bare program name is found on the task's PATH
    char *argv[] = { "true", NULL };
    char *err = NULL;
    p = s_spawn("true", argv, envp, NULL, &err);
    assert_non_null(p);
    s_run(p, NULL, 0, 10000);
    assert_int_equal(pk_proc_status(p), 0);
    pk_proc_destroy(&p);
}

static void
test_spawn_errors(void **state)
{
    (void) state;
    char *argv[] = { "x", NULL };
    char *err = NULL;
    assert_null(s_spawn("no-such-program-pikoci", argv, NULL, NULL, &err));
    assert_non_null(strstr(err, "command not found"));
    free(err);
    assert_null(s_spawn("/no/such/file", argv, NULL, NULL, &err));
    assert_non_null(strstr(err, "cannot start"));
    free(err);
    assert_null(s_spawn("/bin/true", argv, NULL, "/no/such/dir", &err));
    assert_non_null(strstr(err, "/no/such/dir"));
    free(err);
}

// Only 0, 1, 2 reach the child, whatever the parent has open.
static void
test_fd_hygiene(void **state)
{
    (void) state;
    int leak = open("/dev/null", O_RDONLY);   // deliberately not CLOEXEC
    assert_true(leak >= 3);
    // ls runs in its own process: it lists the shell's descriptors
    pk_proc_t *p = s_sh("ls /proc/$$/fd", NULL, NULL);
    char out[4096];
    s_run(p, out, sizeof out, 10000);
    assert_string_equal(out, "0\n1\n2\n");
    pk_proc_destroy(&p);
    close(leak);
}

// A daemon ignores SIGPIPE (and more): its tasks must not inherit that.
static void
test_ignored_signals_reset(void **state)
{
    (void) state;
    struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe, old_term;
    sigaction(SIGPIPE, &ign, &old_pipe);
    sigaction(SIGTERM, &ign, &old_term);
    char *argv[] = { "grep", "SigIgn", "/proc/self/status", NULL };
    char *err = NULL;
    pk_proc_t *p = s_spawn("/bin/grep", argv, NULL, NULL, &err);
    assert_non_null(p);
    char out[256];
    s_run(p, out, sizeof out, 10000);
    pk_proc_destroy(&p);
    // glibc's posix_spawn always leaves its own two internal real-time
    // signals (32, 33) ignored in the child; every ordinary signal is default
    unsigned long long mask = strtoull(out + strlen("SigIgn:"), NULL, 16);
    mask &= ~((1ull << 31) | (1ull << 32));
    assert_int_equal(mask, 0);
    sigaction(SIGPIPE, &old_pipe, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

static bool
s_alive(pid_t pid)
{
    return kill(pid, 0) == 0;
}

static bool
s_wait_gone(pid_t pid, int ms)
{
    int64_t end = s_now_ms() + ms;
    while (s_now_ms() < end) {
        if (!s_alive(pid))
            return true;
        struct timespec ts = { 0, 5 * 1000000 };
        nanosleep(&ts, NULL);   // polling another process's death: no fd to wait on
    }
    return !s_alive(pid);
}

// Read one line (the grandchild's pid) as soon as it is printed.
static pid_t
s_read_pid(pk_proc_t *p)
{
    char buf[64];
    size_t n = 0;
    int64_t end = s_now_ms() + 10000;
    while (n < sizeof buf - 1 && s_now_ms() < end) {
        struct pollfd f = { .fd = pk_proc_output_fd(p), .events = POLLIN };
        poll(&f, 1, 100);
        ssize_t r = pk_proc_read(p, buf + n, 1);
        if (r > 0 && buf[n++] == '\n')
            break;
    }
    buf[n] = 0;
    return (pid_t) atoi(buf);
}

static void
test_group_kill_grandchild_ignoring_term(void **state)
{
    (void) state;
    pk_proc_make_subreaper();
    pk_proc_t *p = s_sh("sh -c 'trap \"\" TERM; echo $$; while :; do sleep 1; done' & wait", NULL, NULL);
    pid_t grandchild = s_read_pid(p);
    assert_true(grandchild > 0);
    assert_true(s_alive(grandchild));
    assert_int_equal(pk_proc_signal(p, SIGTERM), 0);
    s_run(p, NULL, 0, 10000);    // main sh dies of TERM; reap then SIGKILLs the rest
    assert_int_equal(pk_proc_status(p), 128 + SIGTERM);
    pk_proc_destroy(&p);
    assert_true(s_wait_gone(grandchild, 5000));   // not even a zombie
}

static void
test_destroy_kills_running(void **state)
{
    (void) state;
    pk_proc_make_subreaper();
    pk_proc_t *p = s_sh("sleep 1000 & echo $!; wait", NULL, NULL);
    pid_t bg = s_read_pid(p);
    pid_t pid = pk_proc_pid(p);
    pk_proc_destroy(&p);
    assert_false(s_alive(pid));
    assert_true(s_wait_gone(bg, 5000));
}

static long
s_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    fclose(f);
    return kb;
}

static void
test_200mb_output_flat_memory(void **state)
{
    (void) state;
    long before = s_rss_kb();
    pk_proc_t *p = s_sh("head -c 209715200 /dev/zero", NULL, NULL);
    size_t total = s_run(p, NULL, 0, 120000);
    long after = s_rss_kb();
    assert_int_equal(total, 209715200);
    assert_int_equal(pk_proc_status(p), 0);
    print_message("200 MB read; RSS before %ld kB, after %ld kB\n", before, after);
    assert_true(after - before < 8 * 1024);
    pk_proc_destroy(&p);
}

// PR_SET_PDEATHSIG watches the spawning THREAD: a process whose thread
// ends is killed (the runner spawns from threads that outlive their
// processes; a runner killed with -9 ends them all).
static void *
s_spawn_thread(void *arg)
{
    char *argv[] = { "sh", "-c", "sleep 30", NULL };
    char *err = NULL;
    pk_proc_opts_t opts = { .die_with_parent = true };
    *(pk_proc_t **) arg = pk_proc_spawn_opts("/bin/sh", argv, NULL, NULL, &opts, &err);
    free(err);
    return NULL;
}

static void
test_dies_with_its_thread(void **state)
{
    (void) state;
    pk_proc_t *p = NULL;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, s_spawn_thread, &p), 0);
    pthread_join(t, NULL);
    assert_non_null(p);
    int64_t t0 = s_now_ms();
    s_run(p, NULL, 0, 10000);
    assert_int_equal(pk_proc_status(p), 128 + SIGKILL);
    assert_true(s_now_ms() - t0 < 5000);
    pk_proc_destroy(&p);
}

// As root: the child runs as nobody, in its groups only, with its own
// output pipe; a user that cannot be had is refused with the reason.
static void
test_run_as_user(void **state)
{
    (void) state;
    if (geteuid() != 0)
        skip();
    pk_proc_user_t user;
    char *err = NULL;
    if (pk_proc_user_lookup("nobody", &user, &err) != 0) {
        free(err);
        skip();
    }
    pk_proc_opts_t opts = { .die_with_parent = true, .user = &user };
    char *argv[] = { "sh", "-c", "echo $(id -u) $(id -g) $(id -G); cat /proc/self/status | grep -c '^CapEff:.0000000000000000$'", NULL };
    pk_proc_t *p = pk_proc_spawn_opts("/bin/sh", argv, NULL, "/", &opts, &err);
    assert_non_null(p);
    char out[256], want[256];
    s_run(p, out, sizeof out, 10000);
    pk_proc_destroy(&p);
    snprintf(want, sizeof want, "%u %u %u\n1\n", (unsigned) user.uid, (unsigned) user.gid,
             (unsigned) user.gid);
    assert_string_equal(out, want);
    // a cwd the user cannot enter is the spawn's error, not a root process
    assert_null(pk_proc_spawn_opts("/bin/true", argv, NULL, "/root", &opts, &err));
    assert_non_null(strstr(err, "/root"));
    free(err);
    pk_proc_user_clear(&user);
    assert_int_equal(pk_proc_user_lookup("root", &user, &err), -1);
    assert_non_null(strstr(err, "root"));
    free(err);
    assert_int_equal(pk_proc_user_lookup("no-such-user-pikoci", &user, &err), -1);
    assert_non_null(strstr(err, "no such user"));
    free(err);
}

// A process that may not change user (here: a child of the test that gave
// up root) gets no process at all, and the reason, flagged as a failure to
// drop privileges -- never a process running with the rights it had.
static void
test_run_as_refused_without_rights(void **state)
{
    (void) state;
    if (geteuid() != 0)
        skip();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0
            || setresuid(65534, 65534, 65534) != 0)
            _exit(10);
        gid_t g = 2;
        pk_proc_user_t user = { .name = "daemon-ish", .uid = 2, .gid = 2, .groups = &g,
                                .ngroups = 1 };
        pk_proc_opts_t opts = { .die_with_parent = true, .user = &user };
        char *argv[] = { "true", NULL };
        char *err = NULL;
        pk_proc_t *p = pk_proc_spawn_opts("/bin/true", argv, NULL, "/", &opts, &err);
        if (p)
            _exit(11);
        if (!opts.setup_failed)
            _exit(12);
        if (!err || !strstr(err, "cannot run as user daemon-ish (uid 2)")
            || !strstr(err, "Operation not permitted"))
            _exit(13);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static pk_proc_opts_t s_clone_opts = { .die_with_parent = true };

static int
s_clone_path(void **state)
{
    (void) state;
    s_opts = &s_clone_opts;
    return 0;
}

int
main(void)
{
    const struct CMUnitTest clone_tests[] = {
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_merged_output_env_cwd),
        cmocka_unit_test(test_spawn_errors),
        cmocka_unit_test(test_fd_hygiene),
        cmocka_unit_test(test_ignored_signals_reset),
        cmocka_unit_test(test_group_kill_grandchild_ignoring_term),
        cmocka_unit_test(test_destroy_kills_running),
        cmocka_unit_test(test_dies_with_its_thread),
        cmocka_unit_test(test_run_as_user),
        cmocka_unit_test(test_run_as_refused_without_rights),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_merged_output_env_cwd),
        cmocka_unit_test(test_spawn_errors),
        cmocka_unit_test(test_fd_hygiene),
        cmocka_unit_test(test_ignored_signals_reset),
        cmocka_unit_test(test_group_kill_grandchild_ignoring_term),
        cmocka_unit_test(test_destroy_kills_running),
        cmocka_unit_test(test_200mb_output_flat_memory),
    };
    int failed = cmocka_run_group_tests_name("posix_spawn", tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("clone", clone_tests, s_clone_path, NULL);
}
