// pk_proc: see pk_proc.h for the contract. Two facts shape this file:
// - a background grandchild keeps the output pipe open after the main child
//   exits, so once the child is reaped we SIGKILL the rest of its group; EOF
//   then comes promptly and nothing outlives the step;
// - the group id is the child's pid, and it stays valid for kill(-pgid) while
//   any member (or an unreaped zombie of one) exists; we reap the main child
//   through its pidfd, never by waitpid(-1), so no other child's status is stolen.
#include "pk_proc.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct _pk_proc_t {
    pid_t pid;
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

pk_proc_t *
pk_proc_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
              char **err_out)
{
    extern char **environ;
    if (err_out)
        *err_out = NULL;
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
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    // no zmq eventfds, LMDB or sockets leak into tasks
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);

    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    // exec resets caught signals by itself; only signals a daemon may ignore
    // need resetting. A full set would cost the child one sigaction per
    // signal (64 syscalls) while the parent waits on every spawn.
    sigset_t none, ignorable;
    sigemptyset(&none);
    sigemptyset(&ignorable);
    const int sigs[] = { SIGPIPE, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2,
                         SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGXFSZ, SIGURG, SIGWINCH };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&ignorable, sigs[i]);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &ignorable);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK
                                  | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, &at, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        // the child's chdir failing also comes back as the spawn's error
        if (err_out && cwd && access(cwd, X_OK) != 0)
            *err_out = s_errf("%s: cannot start in %s: %s", path, cwd, strerror(errno));
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
    free(self);
    *self_p = NULL;
}
