// pk_store: opening and closing the environment in both systems, the
// keyspace registry, and the thread-local error. "mem" and "lmdb" differ only
// here, in where the directory comes from, one sync flag and the unlinking
// after open; everything past pk_store_open is the same code.
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include "pk_store_internal.h"
#include "pk_secrets.h"

#define MIB ((size_t) 1 << 20)
#define PK_STORE_NAME_MAX 255

static _Thread_local int s_errcode;
static _Thread_local char s_errmsg[512];

void
pk_store_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s_errmsg, sizeof s_errmsg, fmt, ap);
    va_end(ap);
    if (code && n >= 0 && (size_t) n < sizeof s_errmsg)
        snprintf(s_errmsg + n, sizeof s_errmsg - (size_t) n, ": %s", mdb_strerror(code));
    s_errcode = code ? code : EINVAL;
}

void
pk_store_clear_error(void)
{
    s_errcode = 0;
    s_errmsg[0] = '\0';
}

int
pk_store_errcode(void)
{
    return s_errcode;
}

const char *
pk_store_error(void)
{
    return s_errmsg;
}

// Report an open failure both thread-locally and through err_out.
static void
s_open_error(char **err_out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
s_open_error(char **err_out, int code, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    pk_store_fail(code, "%s", what);
    if (err_out)
        *err_out = strdup(pk_store_error());
}

// mkdir -p with private permissions (the store may hold pipeline secrets).
static int
s_mkdirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int rc = 0;
    for (char *c = copy + 1; *c && rc == 0; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST)
            rc = -1;
        *c = '/';
    }
    if (rc == 0 && mkdir(copy, 0700) != 0 && errno != EEXIST)
        rc = -1;
    free(copy);
    return rc;
}

static char *
s_lmdb_dir(const char *path, char **err_out)
{
    if (!path || !*path) {
        s_open_error(err_out, EINVAL, "the lmdb store needs a directory (--db-path)");
        return NULL;
    }
    struct stat st;
    if (s_mkdirs(path) != 0) {
        s_open_error(err_out, errno, "cannot create store directory '%s'", path);
        return NULL;
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        s_open_error(err_out, ENOTDIR, "store path '%s'", path);
        return NULL;
    }
    if (access(path, R_OK | W_OK | X_OK) != 0) {
        s_open_error(err_out, errno, "store directory '%s' is not writable", path);
        return NULL;
    }
    char *dir = strdup(path);
    if (!dir)
        s_open_error(err_out, ENOMEM, "store");
    return dir;
}

// A fresh private directory for a mem store: the first of mem_dir, $TMPDIR,
// /tmp that exists, has min_free bytes available and accepts mkdtemp.
static char *
s_mem_dir(const pk_store_opts_t *opts, char **err_out)
{
    const char *candidates[3] = { opts->mem_dir, getenv("TMPDIR"), "/tmp" };
    char tried[300] = "";
    size_t used = 0;
    for (int i = 0; i < 3; i++) {
        const char *base = candidates[i];
        if (!base || !*base)
            continue;
        bool seen = false;
        for (int j = 0; j < i; j++)
            seen = seen || (candidates[j] && strcmp(candidates[j], base) == 0);
        if (seen)
            continue;
        const char *why = NULL;
        char whybuf[64];
        struct statvfs vfs;
        char *dir = NULL;
        if (statvfs(base, &vfs) != 0)
            why = strerror(errno);
        else
        if ((size_t) vfs.f_bavail * vfs.f_frsize < opts->mem_min_free) {
            snprintf(whybuf, sizeof whybuf, "%zu MiB free",
                     (size_t) vfs.f_bavail * vfs.f_frsize / MIB);
            why = whybuf;
        }
        else
        if (asprintf(&dir, "%s/pikoci-store-XXXXXX", base) < 0) {
            dir = NULL;
            why = strerror(ENOMEM);
        }
        else
        if (!mkdtemp(dir)) {
            why = strerror(errno);
            free(dir);
            dir = NULL;
        }
        if (dir)
            return dir;
        int n = snprintf(tried + used, sizeof tried - used, "%s%s (%s)",
                         used ? ", " : "", base, why);
        if (n > 0 && (size_t) n < sizeof tried - used)
            used += (size_t) n;
    }
    s_open_error(err_out, ENOSPC,
                 "mem store: no usable temporary directory with %zu MiB free; tried %s",
                 opts->mem_min_free / MIB, tried);
    return NULL;
}

// Remove a mem store's files and directory; LMDB keeps them through its fds.
static int
s_unlink_dir(const char *dir)
{
    const char *files[] = { "data.mdb", "lock.mdb" };
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            rc = -1;
    }
    if (rmdir(dir) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

pk_store_t *
pk_store_open(const char *system, const char *path, char **err_out)
{
    return pk_store_open_opts(system, path, NULL, err_out);
}

pk_store_t *
pk_store_open_opts(const char *system, const char *path,
                   const pk_store_opts_t *user_opts, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    pk_store_opts_t opts = user_opts ? *user_opts : (pk_store_opts_t) { 0 };
    if (!opts.map_size)     opts.map_size = 64 * MIB;
    if (!opts.max_map_size) opts.max_map_size = (size_t) 1 << 40;
    if (!opts.max_dbs)      opts.max_dbs = 64;
    if (!opts.mem_dir)      opts.mem_dir = "/dev/shm";
    if (!opts.mem_min_free) opts.mem_min_free = 256 * MIB;
    if (!opts.grow_wait_ms) opts.grow_wait_ms = 30000;
    if (opts.max_map_size < opts.map_size)
        opts.max_map_size = opts.map_size;

    if (!system)
        system = "mem";
    bool mem = strcmp(system, "mem") == 0;
    if (!mem && strcmp(system, "lmdb") != 0) {
        s_open_error(err_out, EINVAL,
                     "unknown store system '%s' (valid: \"mem\", \"lmdb\")", system);
        return NULL;
    }
    char *dir = mem ? s_mem_dir(&opts, err_out) : s_lmdb_dir(path, err_out);
    if (!dir)
        return NULL;

    pk_store_t *self = calloc(1, sizeof *self);
    if (!self || !(self->system = strdup(system))) {
        s_open_error(err_out, ENOMEM, "store");
        free(self);
        if (mem)
            s_unlink_dir(dir);
        free(dir);
        return NULL;
    }
    self->dir = dir;
    self->pid = getpid();
    self->max_map_size = opts.max_map_size;
    self->grow_wait_ms = opts.grow_wait_ms;
    self->max_keyspaces = opts.max_dbs;
    self->keyspaces = calloc(opts.max_dbs, sizeof *self->keyspaces);

    unsigned flags = MDB_NOTLS | (mem ? MDB_NOSYNC : 0);
    int rc = self->keyspaces ? mdb_env_create(&self->env) : ENOMEM;
    if (rc == 0)
        rc = mdb_env_set_mapsize(self->env, opts.map_size);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(self->env, opts.max_dbs);
    if (rc == 0)
        rc = mdb_env_open(self->env, dir, flags, 0600);
    if (mem && s_unlink_dir(dir) != 0 && rc == 0)
        rc = errno;
    if (rc == 0)
        rc = mdb_reader_check(self->env, &self->stale_readers);
    if (rc != 0) {
        s_open_error(err_out, rc, "cannot open %s store in '%s'", system, dir);
        if (self->env)
            mdb_env_close(self->env);
        self->env = NULL;
        pk_store_close(&self);
        return NULL;
    }
    pthread_mutexattr_t mattr;
    pthread_mutexattr_init(&mattr);
    pthread_mutexattr_settype(&mattr, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&self->writer, &mattr);
    pthread_mutexattr_destroy(&mattr);
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->cond, &cattr);
    pthread_condattr_destroy(&cattr);
    return self;
}

void
pk_store_close(pk_store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_store_t *self = *self_p;
    *self_p = NULL;
    if (self->env) {
        if (self->nreaders)
            fprintf(stderr, "pk_store_close: %zu read transactions still open\n",
                    self->nreaders);
        // In a forked child LMDB would clear the parent's reader slots.
        if (self->pid == getpid())
            mdb_env_close(self->env);
        pthread_mutex_destroy(&self->writer);
        pthread_mutex_destroy(&self->lock);
        pthread_cond_destroy(&self->cond);
    }
    for (size_t i = 0; i < self->nkeyspaces; i++)
        free(self->keyspaces[i].name);
    free(self->keyspaces);
    free(self->system);
    free(self->dir);
    free(self);
}

const char *
pk_store_system(pk_store_t *self)
{
    return self->system;
}

const char *
pk_store_dir(pk_store_t *self)
{
    return self->dir;
}

size_t
pk_store_map_size(pk_store_t *self)
{
    // Under the lock: a resize unmaps what mdb_env_info reads.
    MDB_envinfo info;
    pthread_mutex_lock(&self->lock);
    int rc = mdb_env_info(self->env, &info);
    pthread_mutex_unlock(&self->lock);
    return rc == 0 ? info.me_mapsize : 0;
}

int
pk_store_stale_readers(pk_store_t *self)
{
    return self->stale_readers;
}

static MDB_dbi
s_cached(pk_store_t *self, const char *name)
{
    MDB_dbi dbi = PK_STORE_NO_DBI;
    pthread_mutex_lock(&self->lock);
    for (size_t i = 0; i < self->nkeyspaces && dbi == PK_STORE_NO_DBI; i++)
        if (strcmp(self->keyspaces[i].name, name) == 0)
            dbi = self->keyspaces[i].dbi;
    pthread_mutex_unlock(&self->lock);
    return dbi;
}

static void
s_open_failed(int rc, const char *const *names, size_t n)
{
    if (n == 1)
        pk_store_fail(rc, "cannot open keyspace '%s'", names[0]);
    else
        pk_store_fail(rc, "cannot open the store's keyspaces");
}

// Create or open the n named databases in one write txn of their own (the
// writer lock is held), adopting a map another process grew and growing a
// full one.
static int
s_open_txn(pk_store_t *self, const char *const *names, size_t n, MDB_dbi *dbis)
{
    for (int attempt = 0; attempt < 64; attempt++) {
        MDB_txn *txn = NULL;
        int rc = mdb_txn_begin(self->env, NULL, 0, &txn);
        if (rc == MDB_MAP_RESIZED) {
            if (pk_store_resize(self, 0) != 0)
                return -1;
            continue;
        }
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = mdb_dbi_open(txn, names[i], MDB_CREATE, &dbis[i]);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
        if (txn)
            mdb_txn_abort(txn);
        if (rc == MDB_MAP_FULL) {
            if (pk_store_grow(self) != 0)
                return -1;
            continue;
        }
        if (rc != 0) {
            s_open_failed(rc, names, n);
            return -1;
        }
        return 0;
    }
    s_open_failed(MDB_MAP_FULL, names, n);
    return -1;
}

// A fresh store's start creates a score of keyspaces: their commits' meta
// pages are written without a sync of their own (MDB_NOMETASYNC; the pages
// are still synced first, so a crash can only forget an empty keyspace,
// which the next open creates again, and the next commit's sync carries the
// meta), half of those syncs. Every write transaction holds the writer
// lock, so no other commit of this process sees the flag. On a store that
// has them all, the transaction writes nothing (LMDB's commit of a clean
// transaction does no I/O).
static int
s_open_keyspaces(pk_store_t *self, const char *const *names, size_t n, MDB_dbi *dbis)
{
    unsigned flags = 0;
    bool relax = mdb_env_get_flags(self->env, &flags) == 0
              && !(flags & (MDB_NOSYNC | MDB_NOMETASYNC))
              && mdb_env_set_flags(self->env, MDB_NOMETASYNC, 1) == 0;
    int rc = s_open_txn(self, names, n, dbis);
    if (relax)
        mdb_env_set_flags(self->env, MDB_NOMETASYNC, 0);
    return rc;
}

// The keyspaces of store/'s modules: pk_store_open_all's list. Keep it in
// step with their pk_store_dbi calls (test_store_keyspaces fails otherwise).
static const char *const s_all[] = {
    "pipelines", "jobs", "builds", "build_steps", "pins", "builds_open", "builds_passed",
    "pipeline_lives", "builds_meta", "builds_uses", "store_meta",            // pk_builds
    "versions", "version_index", "resource_state", "versions_meta",          // pk_versions
    "auth_users", "auth_teams", "auth_members", "auth_tokens", "auth_pipeteams",   // pk_auth
    "webhooks", "webhook_index", "audit", "logs", "log_meta", PK_SECRETS_KEYSPACE
};

int
pk_store_open_all(pk_store_t *self)
{
    enum { N = sizeof s_all / sizeof s_all[0] };
    if (self->pid != getpid()) {
        pk_store_fail(EINVAL, "store used in a child after fork (exec first)");
        return -1;
    }
    int rc = pthread_mutex_lock(&self->writer);
    if (rc != 0) {
        pk_store_fail(rc, "pk_store_open_all in a write transaction");
        return -1;
    }
    MDB_dbi dbis[N];
    rc = s_open_keyspaces(self, s_all, N, dbis);
    for (size_t i = 0; rc == 0 && i < N; i++) {
        if (s_cached(self, s_all[i]) != PK_STORE_NO_DBI)
            continue;
        char *copy = strdup(s_all[i]);
        int code = !copy ? ENOMEM : 0;
        pthread_mutex_lock(&self->lock);
        if (copy && self->nkeyspaces < self->max_keyspaces)
            self->keyspaces[self->nkeyspaces++] = (pk_store_ks_t) { copy, dbis[i] };
        else
        if (copy) {
            free(copy);
            code = MDB_DBS_FULL;
        }
        pthread_mutex_unlock(&self->lock);
        if (code) {
            pk_store_fail(code, "keyspace '%s'", s_all[i]);
            rc = -1;
        }
    }
    pthread_mutex_unlock(&self->writer);
    return rc;
}

size_t
pk_store_keyspace_count(pk_store_t *self)
{
    pthread_mutex_lock(&self->lock);
    size_t n = self->nkeyspaces;
    pthread_mutex_unlock(&self->lock);
    return n;
}

MDB_dbi
pk_store_dbi(pk_store_t *self, const char *name)
{
    if (!self || !name || !*name || strlen(name) > PK_STORE_NAME_MAX) {
        pk_store_fail(EINVAL, "keyspace name must be 1..%d bytes", PK_STORE_NAME_MAX);
        return PK_STORE_NO_DBI;
    }
    MDB_dbi dbi = s_cached(self, name);
    if (dbi != PK_STORE_NO_DBI)
        return dbi;
    if (self->pid != getpid()) {
        pk_store_fail(EINVAL, "store used in a child after fork (exec first)");
        return PK_STORE_NO_DBI;
    }
    int rc = pthread_mutex_lock(&self->writer);
    if (rc != 0) {
        pk_store_fail(rc, "keyspace '%s' is not open yet and this thread has a write "
                      "transaction; open keyspaces before writing", name);
        return PK_STORE_NO_DBI;
    }
    // Another thread may have opened it while we waited for the writer lock.
    dbi = s_cached(self, name);
    if (dbi == PK_STORE_NO_DBI) {
        if (self->nkeyspaces == self->max_keyspaces)
            pk_store_fail(MDB_DBS_FULL, "cannot open keyspace '%s' (%zu already open)",
                          name, self->nkeyspaces);
        else {
            char *copy = strdup(name);
            MDB_dbi opened;
            if (!copy)
                pk_store_fail(ENOMEM, "keyspace '%s'", name);
            else
            if (s_open_keyspaces(self, &name, 1, &opened) == 0) {
                pthread_mutex_lock(&self->lock);
                self->keyspaces[self->nkeyspaces++] = (pk_store_ks_t) { copy, opened };
                pthread_mutex_unlock(&self->lock);
                dbi = opened;
                copy = NULL;
            }
            free(copy);
        }
    }
    pthread_mutex_unlock(&self->writer);
    return dbi;
}
