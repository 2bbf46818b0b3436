// runner_runas: what a runner with --run-as USER does for a build besides
// starting its processes as USER (runner_spawn, pk_proc): the directories
// it makes for the build -- a native get's checkout, the $CACHE_DIR -- are
// handed to USER, and a native get of a path on this machine is made by a
// child running as USER, so a pipeline reaches through the runner nothing
// its tasks could not read. Without --run-as every function here is the
// plain operation (or nothing).
#include "runner_internal.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// fd's entries, recursively, to uid:gid. Only through directory fds opened
// with O_NOFOLLOW, never a path: a build process racing us (a parallel
// step) cannot swap in a link that would make us chown outside the tree.
static void
s_give_fd(int fd, uid_t uid, gid_t gid, int depth)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        // A file with other links is shared with something outside the
        // tree (a git get links the runner's mirror's packs): its owner
        // stays, or the build user could rewrite the mirror for everyone.
        if (S_ISREG(st.st_mode) && st.st_nlink > 1)
            continue;
        if (fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (depth < 64 && S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                s_give_fd(sub, uid, gid, depth + 1);
        }
    }
    closedir(d);
}

void
runner_give_tree(runner_build_t *b, const char *dir)
{
    if (!b->run_as.name)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    if (fchown(fd, b->run_as.uid, b->run_as.gid) != 0) {
        close(fd);
        return;
    }
    s_give_fd(fd, b->run_as.uid, b->run_as.gid, 0);
}

void
runner_give_cache_dir(runner_build_t *b, const pk_env_t *env)
{
    const char *dir = pk_env_get(env, "CACHE_DIR");
    if (!b->run_as.name || !dir)
        return;
    // the build user passes through the cache root to its resource's cache
    char up[4096];
    snprintf(up, sizeof up, "%s", runner_cache_root());
    chmod(up, 0711);
    snprintf(up, sizeof up, "%s/resources", runner_cache_root());
    chmod(up, 0711);
    runner_give_tree(b, dir);
}

// A native get of a path on this machine ("fs", "dir") with --run-as: the
// copy is made by a child running as the build user, so a pipeline cannot
// read through the runner what its tasks may not (the store, keys). After a
// fork in a threaded process the child only uses what glibc keeps usable
// (malloc, stdio, its own setuid: a single thread) and ends with _exit.
int
runner_native_get_as(runner_build_t *b, const pk_value_t *native, const pk_value_t *version,
                     char **err_out)
{
    const char *type = pk_plan_str(native, "type", "");
    if (!b->run_as.name || (strcmp(type, "fs") && strcmp(type, "dir")))
        return runner_native_get(native, version, b->workdir, err_out);
    *err_out = NULL;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        *err_out = runner_fmt("get: pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        *err_out = runner_fmt("get: fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        const pk_proc_user_t *u = &b->run_as;
        char *err = NULL;
        int rc = -1;
        if (setgroups(u->ngroups, u->groups) != 0 || setgid(u->gid) != 0 || setuid(u->uid) != 0
            || getuid() != u->uid)
            err = runner_fmt("get: cannot run as user %s: %s", u->name, strerror(errno));
        else {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            rc = runner_native_get(native, version, b->workdir, &err);
        }
        if (err && write(fds[1], err, strlen(err)) < 0) {
            // the parent reports a failure without its words
        }
        _exit(rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    char buf[2048];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t) n;
        if (len == sizeof buf - 1)
            break;
    }
    buf[len] = 0;
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    *err_out = strdup(len ? buf : "get: the copy as the build user failed");
    return -1;
}
