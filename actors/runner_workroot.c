// runner_workroot: a runner's work root (the directory its builds' $WORKDIRs
// are made in), claimed for the runner's life and swept after a death.
//
// A runner killed with -9 leaves its work root behind, with the workdirs of
// the builds it was running. Work roots are named per process
// (DIR/pikoci-work-PID), so the next runner on the same DIR cannot know
// them by name; it knows them by a lock instead: a live runner holds a
// shared flock on its work root's directory for as long as it lives (the
// kernel drops it when the process dies, however it dies), and marks the
// directory with MARKER. Shared, because runners in one process may share
// a work root (their workdirs are mkdtemp'd): the first to claim it (an
// exclusive lock at that moment) clears leftovers of an earlier life under
// the same name, the last to release it removes it. A starting runner removes, in its work root's
// parent, every pikoci-work-* directory that is ours (same owner, a real
// directory, not a link), carries the marker, and whose lock it can take:
// only a dead runner's. A directory without the marker (an older pikoci,
// or anything else) is never touched; a live runner's lock is never free.
#include "runner_internal.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARKER ".pikoci-runner"
#define PREFIX "pikoci-work-"

static int
s_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    remove(path);
    return 0;
}

// Depth first, never following a link, never leaving the file system
void
runner_rm_tree(const char *path)
{
    nftw(path, s_rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void
s_mkdirs(const char *path, mode_t mode)
{
    char *p = strdup(path);
    for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        mkdir(p, 0755);
        *slash = '/';
    }
    mkdir(p, mode);
    free(p);
}

// A dead runner's work root in dir (an fd on the parent), by name: swept.
static bool
s_sweep_one(int dirfd, const char *parent, const char *name)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)
        || st.st_uid != geteuid())
        return false;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat mk;
    bool ours = fstatat(fd, MARKER, &mk, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(mk.st_mode)
             && mk.st_uid == geteuid();
    bool swept = false;
    if (ours && flock(fd, LOCK_EX | LOCK_NB) == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", parent, name);
        runner_rm_tree(path);
        swept = true;
        zsys_info("runner: removed %s, the work root of a runner that died", path);
    }
    close(fd);
    return swept;
}

int
runner_workroot_claim(const char *work_root, bool shared, char **err_out)
{
    *err_out = NULL;
    // with --run-as the build user must pass through (not list) the root
    // to reach its own, randomly named, workdir
    mode_t mode = shared ? 0711 : 0700;
    s_mkdirs(work_root, mode);
    int fd = open(work_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *err_out = runner_fmt("work root %s: %s", work_root, strerror(errno));
        return -1;
    }
    bool first = flock(fd, LOCK_EX | LOCK_NB) == 0;
    fchmod(fd, mode);
    int mk = openat(fd, MARKER, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (mk >= 0) {
        static const char text[] = "the work root of a running pikoci runner (locked while it runs)\n";
        if (write(mk, text, sizeof text - 1) < 0) {
            // the marker's existence is what counts
        }
        close(mk);
    }
    // leftovers of an earlier life under the very same name (a reused pid),
    // when no other runner uses it now
    DIR *own = first ? opendir(work_root) : NULL;
    for (struct dirent *e = own ? readdir(own) : NULL; e; e = readdir(own))
        if (!strncmp(e->d_name, "build-", 6)) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", work_root, e->d_name);
            runner_rm_tree(path);
        }
    if (own)
        closedir(own);
    if (flock(fd, LOCK_SH) != 0) {
        *err_out = runner_fmt("work root %s: cannot lock it: %s", work_root, strerror(errno));
        close(fd);
        return -1;
    }
    // dead runners' roots beside ours
    char *parent = strdup(work_root);
    char *slash = strrchr(parent, '/');
    char *self_name = strdup(slash ? slash + 1 : work_root);
    if (slash == parent)
        parent[1] = 0;
    else
    if (slash)
        *slash = 0;
    else
        strcpy(parent, ".");
    if (!strncmp(self_name, PREFIX, strlen(PREFIX))) {
        DIR *d = opendir(parent);
        int dfd = d ? dirfd(d) : -1;
        for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
            if (!strncmp(e->d_name, PREFIX, strlen(PREFIX)) && strcmp(e->d_name, self_name))
                s_sweep_one(dfd, parent, e->d_name);
        if (d)
            closedir(d);
    }
    free(parent);
    free(self_name);
    return fd;
}

void
runner_workroot_release(int fd, const char *work_root)
{
    if (fd < 0)
        return;
    // the last runner on it (no other holds the lock) removes it
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/" MARKER, work_root);
        unlink(path);
        rmdir(work_root);   // empty by now: every build removed its workdir
    }
    close(fd);
}

// --- --run-as: what the runner makes for a build, handed to the build user

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
        if (fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        struct stat st;
        if (depth < 64 && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISDIR(st.st_mode)) {
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
