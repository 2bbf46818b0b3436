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
#include <pthread.h>
#include <sys/file.h>
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
    // rmdir never follows a link: a link named path fails with ENOTDIR
    if (rmdir(path) == 0 || errno == ENOENT)
        return;
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

// --- a $WORKDIR made ahead. On some file systems a directory's creation
// is the dearest part of a trivial build (ext4 without a journal scans the
// inode bitmap past every inode freed in the last seconds: 100-500 us a
// mkdir with a build a millisecond). A finishing build makes the next
// build's while the scheduler records its end, so the next WORK finds it
// ready. It is a fresh directory like any other (mkdtemp, 0700, never
// used): never a finished build's directory handed on.

struct _runner_spare_t {
    pthread_mutex_t lock;
    char *root;
    char *dir;          // made and unused, or NULL
};

runner_spare_t *
runner_spare_new(const char *work_root)
{
    runner_spare_t *self = calloc(1, sizeof *self);
    pthread_mutex_init(&self->lock, NULL);
    self->root = strdup(work_root);
    return self;
}

char *
runner_spare_take(runner_spare_t *self)
{
    if (!self)
        return NULL;
    pthread_mutex_lock(&self->lock);
    char *dir = self->dir;
    self->dir = NULL;
    pthread_mutex_unlock(&self->lock);
    return dir;
}

void
runner_spare_make(runner_spare_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->lock);
    bool have = self->dir != NULL;
    pthread_mutex_unlock(&self->lock);
    if (have)
        return;
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/build-XXXXXX", self->root);
    if (!mkdtemp(tmpl))
        return;                 // the next build makes its own (and says why it cannot)
    pthread_mutex_lock(&self->lock);
    if (!self->dir) {
        self->dir = strdup(tmpl);
        *tmpl = 0;
    }
    pthread_mutex_unlock(&self->lock);
    if (*tmpl)
        rmdir(tmpl);            // another build made one meanwhile
}

void
runner_spare_destroy(runner_spare_t **self_p)
{
    runner_spare_t *self = *self_p;
    if (!self)
        return;
    if (self->dir)
        rmdir(self->dir);
    free(self->dir);
    free(self->root);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
