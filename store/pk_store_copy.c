// pk_store_copy: a consistent, compacted copy of a live store into a new
// file -- the backup of a running server (control's store.backup).
//
// LMDB's own hot copy (mdb_env_copyfd2 with MDB_CP_COMPACT) reads the whole
// store in one read transaction: an MVCC snapshot, so writers go on while it
// runs, and the copy holds exactly the commits made before it began. The
// copy's transaction is LMDB's, not ours, so the store would not know to
// wait for it before remapping the map: we hold a read transaction of our
// own for as long as the copy runs, which makes map growth wait for the
// copy like for any reader (up to grow_wait_ms; a store that must grow
// while a long copy runs fails that write -- a documented limit).
//
// The file appears whole or not at all: the copy goes to a temporary file
// in the same directory, is fsynced, then linked to its name (link fails
// rather than replace a file that appeared meanwhile) and the directory
// fsynced. The result is an LMDB data file: `data.mdb` of a new directory is
// a store `--db-system lmdb --db-path DIR` opens. A mem store copies the same
// way (its environment is an LMDB one too).
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pk_store_internal.h"

static int
s_fail(char **err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
    return -1;
}

int
pk_store_copy(pk_store_t *self, const char *path, uint64_t *bytes, char **err)
{
    if (err)
        *err = NULL;
    if (!path || path[0] != '/')
        return s_fail(err, "the backup file must be an absolute path on the server's "
                      "machine (got \"%s\")", path ? path : "");
    struct stat st;
    if (lstat(path, &st) == 0)
        return s_fail(err, "%s exists: a backup never replaces a file", path);
    char *copy = strdup(path);
    char *dir = strdup(dirname(copy));
    free(copy);
    char *tmp = NULL;
    if (asprintf(&tmp, "%s/.pikoci-backup.XXXXXX", dir) < 0) {
        free(dir);
        return s_fail(err, "out of memory");
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        s_fail(err, "cannot write in %s: %s", dir, strerror(e));
        free(dir);
        return -1;
    }
    // ours keeps map growth waiting while LMDB's own copy transaction reads
    pk_store_txn_t *reader = pk_store_begin(self, false);
    bool began = reader != NULL;
    int rc = began ? mdb_env_copyfd2(self->env, fd, MDB_CP_COMPACT) : EIO;
    pk_store_abort(&reader);
    if (rc == 0 && fsync(fd) != 0)
        rc = errno;
    if (rc == 0 && fstat(fd, &st) != 0)
        rc = errno;
    close(fd);
    if (rc == 0 && link(tmp, path) != 0)
        rc = errno;
    unlink(tmp);
    free(tmp);
    if (rc == 0) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        if (bytes)
            *bytes = (uint64_t) st.st_size;
    }
    free(dir);
    if (rc == EEXIST)
        return s_fail(err, "%s exists: a backup never replaces a file", path);
    if (rc != 0)
        return s_fail(err, "cannot copy the store to %s: %s", path,
                      began ? mdb_strerror(rc) : pk_store_error());
    return 0;
}
