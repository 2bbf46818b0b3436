// pk_git_mirrors: the runner's mirrors stay open between checks and gets.
// Opening a mirror (git_repository_open_bare, then its object database at
// the first lookup) reads three config files and every pack's index: ~1 M
// instructions and ~60 syscalls, once per check and once per get before.
// Now each mirror path has one entry holding its opened repository, which
// one thread at a time takes (the entry's mutex: libgit2 objects may move
// between threads but not be used by two at once), under the mirror's
// flock as before (other processes).
//
// An entry is trusted only while the mirror on disk is the one it opened:
// the directory's inode and the set of pack names are compared on every
// take (one stat, one directory read). Another process's fetch, repack or
// rebuild, or `rm -rf` of the cache, makes the next take open it afresh; a
// caller that removed packs itself (pk_git_local_repack) gives it back to
// be dropped. At most PK_GIT_MIRRORS_MAX entries (each keeps its packs'
// file descriptors open); past that the least recently used idle one goes,
// and when all are busy the caller works uncached (opens and frees itself).
#ifndef PK_GIT_MIRRORS_H
#define PK_GIT_MIRRORS_H
#include "pk_git2.h"
#include <stdbool.h>

#define PK_GIT_MIRRORS_MAX 8

typedef struct pk_git_mirror_t pk_git_mirror_t;

// The entry of the mirror at path, held by this thread until it is given
// back (waits while another thread holds it); NULL: no entry to be had.
pk_git_mirror_t *pk_git_mirror_take(const char *path);

// The entry's repository when it is still the mirror on disk, else NULL
// (a stale one is freed). Call with the mirror's flock held.
git_repository *pk_git_mirror_repo(pk_git_mirror_t *m);

// Gives the entry back with repo (the one taken, or a newly opened one) to
// keep, or frees repo when keep is false. Call before releasing the flock.
void pk_git_mirror_give(pk_git_mirror_t *m, git_repository *repo, bool keep);

// Frees every entry (before git_libgit2_shutdown; no entry may be held).
void pk_git_mirrors_free(void);

#endif
