// pk_store_txn: transaction lifecycle, map growth and the write-batch helper.
//
// Why readers are tracked: mdb_env_set_mapsize unmaps and remaps the file,
// so any value pointer a read transaction holds in this process would
// dangle. Growth therefore waits until every open read transaction of the
// process has ended (new ones wait for it), with a deadline so a reader that
// never ends turns into an error rather than a hang. A thread may not begin a
// write while it holds a read transaction itself: growth during that write
// could never happen, and the rule is enforced always, not only on the rare
// write that fills the map.
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "pk_store_internal.h"

// True if the calling thread began one of the open read txns (lock held).
static bool
s_thread_reads(pk_store_t *self)
{
    pthread_t me = pthread_self();
    for (pk_store_txn_t *txn = self->readers; txn; txn = txn->next)
        if (pthread_equal(txn->thread, me))
            return true;
    return false;
}

static void
s_reader_add(pk_store_t *self, pk_store_txn_t *txn)
{
    pthread_mutex_lock(&self->lock);
    while (self->growing)
        pthread_cond_wait(&self->cond, &self->lock);
    txn->prev = NULL;
    txn->next = self->readers;
    if (self->readers)
        self->readers->prev = txn;
    self->readers = txn;
    self->nreaders++;
    pthread_mutex_unlock(&self->lock);
}

static void
s_reader_remove(pk_store_t *self, pk_store_txn_t *txn)
{
    pthread_mutex_lock(&self->lock);
    if (txn->prev)
        txn->prev->next = txn->next;
    else
        self->readers = txn->next;
    if (txn->next)
        txn->next->prev = txn->prev;
    self->nreaders--;
    if (self->growing && self->nreaders == 0)
        pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->lock);
}

int
pk_store_resize(pk_store_t *self, size_t size)
{
    pthread_mutex_lock(&self->lock);
    if (s_thread_reads(self)) {
        pthread_mutex_unlock(&self->lock);
        pk_store_fail(EDEADLK, "cannot resize the store map: this thread holds a "
                      "read transaction");
        return -1;
    }
    self->growing = true;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += self->grow_wait_ms / 1000;
    deadline.tv_nsec += (long) (self->grow_wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    while (self->nreaders > 0 && rc == 0)
        rc = pthread_cond_timedwait(&self->cond, &self->lock, &deadline);
    size_t stuck = self->nreaders;
    if (stuck == 0)
        rc = mdb_env_set_mapsize(self->env, size);
    self->growing = false;
    pthread_cond_broadcast(&self->cond);
    pthread_mutex_unlock(&self->lock);
    if (stuck) {
        pk_store_fail(ETIMEDOUT, "cannot grow the store map: %zu read transactions "
                      "stayed open for %d ms", stuck, self->grow_wait_ms);
        return -1;
    }
    if (rc != 0) {
        pk_store_fail(rc, "cannot resize the store map to %zu bytes", size);
        return -1;
    }
    return 0;
}

int
pk_store_grow(pk_store_t *self)
{
    size_t size = pk_store_map_size(self);
    if (size >= self->max_map_size) {
        pk_store_fail(MDB_MAP_FULL, "store is full at its maximum map of %zu MiB",
                      self->max_map_size >> 20);
        return -1;
    }
    size = size > self->max_map_size / 2 ? self->max_map_size : size * 2;
    return pk_store_resize(self, size);
}

// Take in the map size another process grew the environment to.
static int
s_adopt_size(pk_store_t *self)
{
    int rc = pthread_mutex_lock(&self->writer);
    if (rc != 0) {
        pk_store_fail(rc, "store map was resized by another process");
        return -1;
    }
    rc = pk_store_resize(self, 0);
    pthread_mutex_unlock(&self->writer);
    return rc;
}

static pk_store_txn_t *
s_begin_write(pk_store_t *self, pk_store_txn_t *txn)
{
    int rc = pthread_mutex_lock(&self->writer);
    if (rc != 0) {
        pk_store_fail(rc, "this thread already has a write transaction");
        return NULL;
    }
    pthread_mutex_lock(&self->lock);
    bool reads = s_thread_reads(self);
    pthread_mutex_unlock(&self->lock);
    if (reads) {
        pthread_mutex_unlock(&self->writer);
        pk_store_fail(EBUSY, "this thread holds a read transaction: read through "
                      "the write transaction instead");
        return NULL;
    }
    rc = mdb_txn_begin(self->env, NULL, 0, &txn->txn);
    if (rc == MDB_MAP_RESIZED && pk_store_resize(self, 0) == 0)
        rc = mdb_txn_begin(self->env, NULL, 0, &txn->txn);
    if (rc != 0) {
        pthread_mutex_unlock(&self->writer);
        pk_store_fail(rc, "cannot begin a write transaction");
        return NULL;
    }
    return txn;
}

static pk_store_txn_t *
s_begin_read(pk_store_t *self, pk_store_txn_t *txn)
{
    s_reader_add(self, txn);
    int rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn->txn);
    if (rc == MDB_MAP_RESIZED) {
        s_reader_remove(self, txn);
        if (s_adopt_size(self) != 0)
            return NULL;
        s_reader_add(self, txn);
        rc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn->txn);
    }
    if (rc != 0) {
        s_reader_remove(self, txn);
        pk_store_fail(rc, "cannot begin a read transaction");
        return NULL;
    }
    return txn;
}

pk_store_txn_t *
pk_store_begin(pk_store_t *self, bool write)
{
    if (!self) {
        pk_store_fail(EINVAL, "no store");
        return NULL;
    }
    if (self->pid != getpid()) {
        pk_store_fail(EINVAL, "store used in a child after fork (exec first)");
        return NULL;
    }
    pk_store_txn_t *txn = calloc(1, sizeof *txn);
    if (!txn) {
        pk_store_fail(ENOMEM, "cannot begin a transaction");
        return NULL;
    }
    txn->store = self;
    txn->write = write;
    txn->thread = pthread_self();
    if (!(write ? s_begin_write(self, txn) : s_begin_read(self, txn))) {
        free(txn);
        return NULL;
    }
    return txn;
}

// A failed commit's code as the user should read it. LMDB reports a short
// write (the filesystem filled up part way through its pwrite) as EIO; when
// the store's filesystem has (almost) no room left, it is ENOSPC -- "No
// space left on device" -- whichever LMDB said. Counted for
// pk_store_health; the committed state is untouched either way (LMDB writes
// the meta page last).
static int
s_commit_failed(pk_store_t *self, int rc)
{
    if (rc == EIO && strcmp(self->system, "mem")) {
        struct statvfs vfs;
        if (statvfs(self->dir, &vfs) == 0
            && (uint64_t) vfs.f_bavail * vfs.f_frsize < ((uint64_t) 1 << 20))
            rc = ENOSPC;
    }
    if (rc == MDB_MAP_FULL)
        return rc;
    atomic_fetch_add(&self->write_errors, 1);
    if (rc == ENOSPC) {
        atomic_fetch_add(&self->no_space_errors, 1);
        atomic_store(&self->no_space, true);
    }
    return rc;
}

void
pk_store_health(pk_store_t *self, pk_store_health_t *out)
{
    out->write_errors = atomic_load(&self->write_errors);
    out->no_space_errors = atomic_load(&self->no_space_errors);
    out->no_space = atomic_load(&self->no_space);
}

// End a transaction. For a write txn that filled the map, grow it before
// releasing the writer lock, so the caller's retry finds room (*grew).
static int
s_end(pk_store_txn_t *txn, bool commit, bool *grew)
{
    pk_store_t *self = txn->store;
    int rc = 0;
    *grew = false;
    if (!txn->write) {
        if (commit)
            rc = mdb_txn_commit(txn->txn);
        else
            mdb_txn_abort(txn->txn);
        s_reader_remove(self, txn);
        if (rc != 0)
            pk_store_fail(rc, "cannot end a read transaction");
    }
    else {
        if (commit && txn->failed) {
            mdb_txn_abort(txn->txn);
            rc = txn->map_full ? MDB_MAP_FULL : MDB_BAD_TXN;
            pk_store_fail(rc, "commit refused: a write in this transaction failed");
        }
        else
        if (commit) {
            rc = mdb_txn_commit(txn->txn);
            if (rc == MDB_MAP_FULL)
                txn->map_full = true;
            if (rc != 0)
                rc = s_commit_failed(self, rc);
            else
                atomic_store(&self->no_space, false);
            if (rc == ENOSPC)
                pk_store_fail(rc, "cannot commit to the store in '%s'", self->dir);
            else
            if (rc != 0)
                pk_store_fail(rc, "cannot commit");
        }
        else
            mdb_txn_abort(txn->txn);
        if (txn->map_full) {
            if (pk_store_grow(self) == 0)
                *grew = true;
            else
                rc = rc ? rc : -1;
        }
        pthread_mutex_unlock(&self->writer);
    }
    free(txn);
    return rc == 0 ? 0 : -1;
}

int
pk_store_commit(pk_store_txn_t **txn_p)
{
    if (!txn_p || !*txn_p) {
        pk_store_fail(EINVAL, "commit: no transaction");
        return -1;
    }
    bool grew;
    int rc = s_end(*txn_p, true, &grew);
    *txn_p = NULL;
    return rc;
}

void
pk_store_abort(pk_store_txn_t **txn_p)
{
    if (!txn_p || !*txn_p)
        return;
    bool grew;
    s_end(*txn_p, false, &grew);
    *txn_p = NULL;
}

int
pk_store_write(pk_store_t *self, pk_store_write_fn *fn, void *arg)
{
    if (!self || !fn) {
        pk_store_fail(EINVAL, "pk_store_write: no store or function");
        return -1;
    }
    // Each retry doubles the map, so max_map_size ends the loop well before this.
    for (int attempt = 0; attempt < 64; attempt++) {
        pk_store_txn_t *txn = pk_store_begin(self, true);
        if (!txn)
            return -1;
        pk_store_clear_error();
        int rc = fn(txn, arg);
        bool full = txn->map_full;
        bool grew;
        if (rc == 0 && !full) {
            if (s_end(txn, true, &grew) == 0)
                return 0;
            if (grew)
                continue;
            return -1;
        }
        s_end(txn, false, &grew);
        if (full && grew)
            continue;
        if (!full && pk_store_errcode() == 0)
            pk_store_fail(ECANCELED, "write function returned %d", rc);
        return -1;
    }
    pk_store_fail(MDB_MAP_FULL, "pk_store_write: map still full after growing");
    return -1;
}
