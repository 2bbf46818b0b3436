// pk_proc: see pk_proc.h for the contract. Two facts shape this file:
// - a background grandchild keeps the output pipe open after the main child
//   exits, so once the child is reaped we SIGKILL the rest of its group; EOF
//   then comes promptly and nothing outlives the step;
// - the group id is the child's pid, and it stays valid for kill(-pgid) while
//   any member (or an unreaped zombie of one) exists; we reap the main child
//   through its pidfd, never by waitpid(-1), so no other child's status is stolen.
#include "pk_proc.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct _pk_proc_t {
    pid_t pid;
    bool guarded;    // registered with the guardian
    int out_fd;      // read end of the merged stdout/stderr pipe
    int pid_fd;      // pidfd of the child
    bool exited;
    int status;      // shell-style
};

static int
s_pidfd_open(pid_t pid)
{
    return (int) syscall(SYS_pidfd_open, pid, 0);
}

static char *
s_errf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return strdup(buf);
}

static const char *
s_env_path(char *const envp[])
{
    for (size_t i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], "PATH=", 5))
            return envp[i] + 5;
    const char *p = getenv("PATH");
    return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

// Resolve a bare name against PATH ourselves: posix_spawnp would use the
// caller's PATH, not the one the task is given.
static char *
s_resolve(const char *path, char *const envp[])
{
    if (strchr(path, '/'))
        return strdup(path);
    const char *dirs = s_env_path(envp);
    while (*dirs) {
        const char *end = strchr(dirs, ':');
        size_t n = end ? (size_t) (end - dirs) : strlen(dirs);
        char cand[4096];
        snprintf(cand, sizeof cand, "%.*s/%s", (int) n, n ? dirs : ".", path);
        if (access(cand, X_OK) == 0)
            return strdup(cand);
        dirs += n + (end ? 1 : 0);
    }
    return NULL;
}

// --- the guardian (see pk_proc.h)

static int s_guard_fd = -1;     // write end; the guardian reads the other
#define S_GUARD_MAX 8192        // groups registered at once

static bool
s_guard_tell(char op, pid_t pgid)
{
    if (s_guard_fd < 0)
        return false;
    char line[32];
    int n = snprintf(line, sizeof line, "%c%d\n", op, (int) pgid);
    // shorter than PIPE_BUF: one atomic write whichever thread sends it
    return write(s_guard_fd, line, (size_t) n) == n;
}

static void
s_guard_run(int fd)
{
    static pid_t groups[S_GUARD_MAX];
    size_t count = 0;
    char buf[4096], line[32];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;      // the runner's process is gone
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof line - 1)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = 0;
            long pgid = 0;
            for (size_t k = 1; k < len && line[k] >= '0' && line[k] <= '9'; k++)
                pgid = pgid * 10 + (line[k] - '0');
            if (pgid > 1 && line[0] == '+' && count < S_GUARD_MAX)
                groups[count++] = (pid_t) pgid;
            else
            if (pgid > 1 && line[0] == '-')
                for (size_t k = 0; k < count; k++)
                    if (groups[k] == (pid_t) pgid) {
                        groups[k] = groups[--count];
                        break;
                    }
            len = 0;
        }
    }
    for (size_t k = 0; k < count; k++)
        kill(-groups[k], SIGKILL);
    _exit(0);
}

int
pk_proc_guard_start(void)
{
    if (s_guard_fd >= 0)
        return 0;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        // a terminal's ^C reaches our whole group: the guardian stays for
        // the runner's own orderly stop, and ends on EOF like always
        const int ign[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE };
        struct sigaction sa = { .sa_handler = SIG_IGN };
        for (size_t i = 0; i < sizeof ign / sizeof ign[0]; i++)
            sigaction(ign[i], &sa, NULL);
        if (fds[0] != 3) {
            dup2(fds[0], 3);
            fds[0] = 3;
        }
        syscall(SYS_close_range, 4, ~0U, 0);
        syscall(SYS_close_range, 0, 2, 0);
        s_guard_run(fds[0]);
    }
    close(fds[0]);
    s_guard_fd = fds[1];
    return 0;
}

// Signals a daemon may ignore or catch: the child resets them to their
// default before the exec (exec resets caught ones by itself, not ignored
// ones). A full set would cost the child one sigaction per signal.
static const int s_reset_sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1,
                                    SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ, SIGURG,
                                    SIGWINCH };
#define S_NRESET (sizeof s_reset_sigs / sizeof s_reset_sigs[0])

static int
s_spawn_posix(pid_t *pid, const char *exe, char *const argv[], char *const envp[],
              const char *cwd, int out_fd)
{
    extern char **environ;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    // no zmq eventfds, LMDB or sockets leak into tasks
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);

    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t none, ignorable;
    sigemptyset(&none);
    sigemptyset(&ignorable);
    for (size_t i = 0; i < S_NRESET; i++)
        sigaddset(&ignorable, s_reset_sigs[i]);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &ignorable);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                  | POSIX_SPAWN_SETSIGDEF);
    int rc = posix_spawn(pid, exe, &fa, &at, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc;
}

// --- the clone path (see pk_proc.h). Everything the child needs is made
// before the clone; the child writes what failed into c->err / c->what,
// which the parent reads once the clone returns (CLONE_VFORK: after the
// child's exec or exit).
typedef struct {
    const char *exe;
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int out_fd;
    pid_t parent;
    bool pdeath;
    const pk_proc_user_t *user;
    int err;
    const char *what;
} s_child_t;

// the kernel's struct sigaction for rt_sigaction(2)
typedef struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
} s_ksigaction_t;

#define S_CHILD_FAIL(c, w) do { (c)->err = errno; (c)->what = (w); syscall(SYS_exit, 127); } while (0)

// Runs on its own stack in the parent's memory: raw system calls only
// (glibc's syscall() is async-signal-safe and not intercepted by ASan).
__attribute__((no_sanitize("address", "undefined")))
static int
s_child(void *arg)
{
    s_child_t *c = arg;
    s_ksigaction_t dfl = { .handler = SIG_DFL };
    for (size_t i = 0; i < S_NRESET; i++)
        syscall(SYS_rt_sigaction, s_reset_sigs[i], &dfl, NULL, sizeof(uint64_t));
    if (syscall(SYS_setpgid, 0, 0) != 0)
        S_CHILD_FAIL(c, "setpgid");
    if (c->user) {
        // groups first: after setuid we could no longer change them
        if (syscall(SYS_setgroups, c->user->ngroups, c->user->groups) != 0)
            S_CHILD_FAIL(c, "setgroups");
        if (syscall(SYS_setresgid, c->user->gid, c->user->gid, c->user->gid) != 0)
            S_CHILD_FAIL(c, "setgid");
        if (syscall(SYS_setresuid, c->user->uid, c->user->uid, c->user->uid) != 0)
            S_CHILD_FAIL(c, "setuid");
        if (syscall(SYS_getuid) != (long) c->user->uid || syscall(SYS_geteuid) != (long) c->user->uid) {
            errno = EPERM;
            S_CHILD_FAIL(c, "setuid");
        }
    }
    if (c->pdeath) {
        // after the setuid: a change of credentials clears the setting
        if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            S_CHILD_FAIL(c, "prctl(PR_SET_PDEATHSIG)");
        // the parent died before the prctl: nobody would kill us
        if (syscall(SYS_getppid) != (long) c->parent)
            syscall(SYS_exit, 137);
    }
    long null = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY, 0);
    if (null < 0 || (null != 0 && syscall(SYS_dup2, null, 0) != 0))
        S_CHILD_FAIL(c, "open /dev/null");
    if (syscall(SYS_dup2, c->out_fd, 1) != 1 || syscall(SYS_dup2, c->out_fd, 2) != 2)
        S_CHILD_FAIL(c, "dup2");
    if (syscall(SYS_close_range, 3, ~0U, 0) != 0)
        S_CHILD_FAIL(c, "close_range");
    if (c->cwd && syscall(SYS_chdir, c->cwd) != 0)
        S_CHILD_FAIL(c, "chdir");
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof none);
    syscall(SYS_execve, c->exe, c->argv, c->envp);
    S_CHILD_FAIL(c, "exec");
    return 127;
}

#define S_CHILD_STACK (64 * 1024)

static int
s_spawn_clone(pid_t *pid, s_child_t *c)
{
    void *stack = mmap(NULL, S_CHILD_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return errno;
    // no handler of ours may run in the child while it shares our memory:
    // everything blocked until the child has reset the dispositions
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    c->parent = getpid();
    *pid = clone(s_child, (char *) stack + S_CHILD_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, c);
    int rc = *pid < 0 ? errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, S_CHILD_STACK);
    if (rc == 0 && c->what) {
        // the child failed before its exec and has exited: reap it
        waitpid(*pid, NULL, 0);
        rc = c->err ? c->err : EINVAL;
    }
    return rc;
}

pk_proc_t *
pk_proc_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
              char **err_out)
{
    return pk_proc_spawn_opts(path, argv, envp, cwd, NULL, err_out);
}

pk_proc_t *
pk_proc_spawn_opts(const char *path, char *const argv[], char *const envp[], const char *cwd,
                   pk_proc_opts_t *opts, char **err_out)
{
    extern char **environ;
    if (err_out)
        *err_out = NULL;
    if (opts)
        opts->setup_failed = false;
    char *exe = s_resolve(path, envp);
    if (!exe) {
        if (err_out)
            *err_out = s_errf("%s: command not found", path);
        return NULL;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        free(exe);
        if (err_out)
            *err_out = s_errf("pipe: %s", strerror(errno));
        return NULL;
    }
    pid_t pid;
    int rc;
    s_child_t c = { .exe = exe, .argv = argv, .envp = envp ? envp : environ, .cwd = cwd,
                    .out_fd = pipefd[1] };
    if (opts && (opts->die_with_parent || opts->user)) {
        c.pdeath = opts->die_with_parent;
        c.user = opts->user;
        rc = s_spawn_clone(&pid, &c);
    }
    else
        rc = s_spawn_posix(&pid, exe, argv, envp, cwd, pipefd[1]);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        bool privs = c.what && (!strcmp(c.what, "setgroups") || !strcmp(c.what, "setgid")
                                || !strcmp(c.what, "setuid"));
        if (opts)
            opts->setup_failed = privs || (c.what && !strncmp(c.what, "prctl", 5));
        if (err_out && privs)
            *err_out = s_errf("%s: cannot run as user %s (uid %u): %s failed: %s", path,
                              c.user->name ? c.user->name : "?", (unsigned) c.user->uid,
                              c.what, strerror(rc));
        else
        // the child's chdir failing also comes back as the spawn's error
        if (err_out && cwd && (c.what ? !strcmp(c.what, "chdir") : access(cwd, X_OK) != 0))
            *err_out = s_errf("%s: cannot start in %s: %s", path, cwd, strerror(rc));
        else
        if (err_out && c.what && strcmp(c.what, "exec"))
            *err_out = s_errf("%s: cannot start: %s: %s", path, c.what, strerror(rc));
        else
        if (err_out)
            *err_out = s_errf("%s: cannot start: %s", path, strerror(rc));
        free(exe);
        return NULL;
    }
    free(exe);
    fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
    pk_proc_t *self = calloc(1, sizeof(*self));
    self->pid = pid;
    self->out_fd = pipefd[0];
    self->pid_fd = s_pidfd_open(pid);
    fcntl(self->pid_fd, F_SETFD, FD_CLOEXEC);
    if (opts && opts->die_with_parent)
        self->guarded = s_guard_tell('+', pid);
    return self;
}

pid_t
pk_proc_pid(const pk_proc_t *self)
{
    return self->pid;
}

int
pk_proc_output_fd(const pk_proc_t *self)
{
    return self->out_fd;
}

int
pk_proc_exit_fd(const pk_proc_t *self)
{
    return self->exited ? -1 : self->pid_fd;
}

ssize_t
pk_proc_read(pk_proc_t *self, void *buf, size_t len)
{
    if (self->out_fd < 0)
        return 0;
    for (;;) {
        ssize_t n = read(self->out_fd, buf, len);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return -1;
        close(self->out_fd);   // EOF, or an error we treat as EOF
        self->out_fd = -1;
        pk_proc_reap_group(self);
        return 0;
    }
}

bool
pk_proc_reap(pk_proc_t *self)
{
    if (self->exited)
        return true;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid((idtype_t) P_PIDFD, (id_t) self->pid_fd, &si, WEXITED | WNOHANG) != 0
    ||  si.si_pid == 0)
        return false;
    self->exited = true;
    self->status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
    close(self->pid_fd);
    self->pid_fd = -1;
    // what is left of the group (background jobs) would hold the pipe open
    kill(-self->pid, SIGKILL);
    pk_proc_reap_group(self);
    return true;
}

bool
pk_proc_exited(const pk_proc_t *self)
{
    return self->exited;
}

int
pk_proc_status(const pk_proc_t *self)
{
    return self->status;
}

bool
pk_proc_done(const pk_proc_t *self)
{
    return self->exited && self->out_fd < 0;
}

int
pk_proc_signal(pk_proc_t *self, int sig)
{
    return kill(-self->pid, sig);
}

int
pk_proc_make_subreaper(void)
{
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void
pk_proc_reap_group(pk_proc_t *self)
{
    // Grandchildren reparented to us (subreaper) keep the group id. Until the
    // main child is reaped, leave it to its pidfd.
    if (!self->exited)
        return;
    siginfo_t si;
    for (;;) {
        memset(&si, 0, sizeof si);
        if (waitid(P_PGID, (id_t) self->pid, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0)
            break;
    }
}

void
pk_proc_destroy(pk_proc_t **self_p)
{
    pk_proc_t *self = *self_p;
    if (!self)
        return;
    if (!self->exited) {
        siginfo_t si;
        kill(-self->pid, SIGKILL);
        waitid((idtype_t) P_PIDFD, (id_t) self->pid_fd, &si, WEXITED);
        self->exited = true;
        close(self->pid_fd);
    }
    // Every member got SIGKILL, so waiting for our children in the group is
    // short; it leaves no zombie behind. Members that are not our children
    // (when we are no subreaper) are not waited for: waitid says ECHILD.
    kill(-self->pid, SIGKILL);
    siginfo_t si;
    while (waitid(P_PGID, (id_t) self->pid, &si, WEXITED) == 0)
        ;
    if (self->out_fd >= 0)
        close(self->out_fd);
    if (self->guarded)
        s_guard_tell('-', self->pid);
    free(self);
    *self_p = NULL;
}

// --- users (--run-as)

int
pk_proc_user_lookup(const char *name, pk_proc_user_t *out, char **err_out)
{
    memset(out, 0, sizeof *out);
    *err_out = NULL;
    struct passwd pw, *found = NULL;
    char buf[16384];
    int rc = getpwnam_r(name, &pw, buf, sizeof buf, &found);
    if (!found) {
        char *end;
        unsigned long uid = strtoul(name, &end, 10);
        if (*name && !*end && uid <= 0xfffffffeUL)
            rc = getpwuid_r((uid_t) uid, &pw, buf, sizeof buf, &found);
    }
    if (!found) {
        *err_out = s_errf("no such user: %s%s%s", name, rc ? ": " : "", rc ? strerror(rc) : "");
        return -1;
    }
    if (pw.pw_uid == 0 || pw.pw_gid == 0) {
        *err_out = s_errf("%s: uid/gid 0 is root; builds would hold the keys (give an "
                          "unprivileged user, or leave --run-as out)", name);
        return -1;
    }
    int n = 64;
    gid_t *groups = malloc((size_t) n * sizeof(gid_t));
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0) {
        groups = realloc(groups, (size_t) n * sizeof(gid_t));
        if (getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) < 0)
            n = 0;
    }
    for (int i = 0; i < n; i++)
        if (groups[i] == 0) {
            free(groups);
            *err_out = s_errf("%s is in group 0 (root); builds would hold the keys", name);
            return -1;
        }
    out->name = strdup(pw.pw_name);
    out->uid = pw.pw_uid;
    out->gid = pw.pw_gid;
    out->groups = groups;
    out->ngroups = (size_t) n;
    out->home = strdup(pw.pw_dir ? pw.pw_dir : "/");
    return 0;
}

void
pk_proc_user_clear(pk_proc_user_t *self)
{
    free(self->name);
    free(self->groups);
    free(self->home);
    memset(self, 0, sizeof *self);
}

void
pk_proc_user_copy(pk_proc_user_t *dst, const pk_proc_user_t *src)
{
    *dst = *src;
    dst->name = src->name ? strdup(src->name) : NULL;
    dst->home = src->home ? strdup(src->home) : NULL;
    dst->groups = malloc((src->ngroups ? src->ngroups : 1) * sizeof(gid_t));
    if (src->ngroups)
        memcpy(dst->groups, src->groups, src->ngroups * sizeof(gid_t));
}
