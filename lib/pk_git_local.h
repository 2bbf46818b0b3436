// pk_git_local: the runner's bare mirror on disk. A working copy is made from it the way
// `git clone --local` makes one (pk_git.c's pull, when there is a mirror):
// the mirror's packs and loose objects are hard-linked (copied across file
// systems), its branches become refs/remotes/origin/*, its tags are kept,
// then the one commit is checked out. No transport, no negotiation, no
// second object database walk: libgit2's git_clone from a local path does
// all of those, and most of its cost was there.
//
// The objects are the checkout's own (links, not objects/info/alternates):
// a task may run in a container that sees only $WORKDIR, or as another user
// who cannot read the runner's cache; the mirror may be fetched into or
// rebuilt while the build runs. Linking an immutable pack is what git does.
#ifndef PK_GIT_LOCAL_H
#define PK_GIT_LOCAL_H
#include "pk_git2.h"
#include <stdbool.h>

// Makes dest (absent, or an empty directory) a repository whose origin is
// origin_url, with HEAD detached at oid (or on a new branch named branch),
// index and working tree equal to that commit. The caller holds the
// mirror's lock. 0, or -1 with *err_out (caller-freed; names no URL);
// *created says whether anything was made in dest (to remove on failure).
// skeleton: NULL, or a directory pk_git_local_skeleton made for this
// origin_url, renamed into dest when it is there (then it is gone).
int pk_git_local_clone(git_repository *mirror, const char *mirror_path, const char *skeleton,
                       const char *dest, const char *origin_url, const git_oid *oid,
                       const char *branch, bool *created, char **err_out);

// The part of a checkout's repository that depends on nothing but the URL
// (directories, config, an unborn HEAD), made at skeleton (a path beside
// the mirror) unless one is there: an idle check makes it, so the get of
// the next new commit renames it into place instead of creating 7 inodes
// while a build waits (~0.5 ms each on a busy disk). 0 or -1 (best effort:
// nothing left behind but a complete skeleton).
int pk_git_local_skeleton(const char *skeleton, const char *origin_url);

// Every fetch into the mirror adds a pack (libgit2 never explodes small
// ones into loose objects nor runs gc): left alone, a mirror checked after
// each of 1,000 commits has 1,000 packs, which every object lookup searches
// and every checkout links. When there are more than PK_GIT_PACKS_MAX, the
// packs but the largest become one (git's gc.autoPackLimit is 50; what is
// packed is every object of those packs, reachable or not, so no checkout
// made from them loses anything). The caller holds the mirror's lock.
// Best effort: 1 when packs were merged (and removed), 0 when there was
// nothing to do, or -1 with the mirror as it was (*err_out says why).
#define PK_GIT_PACKS_MAX 16
int pk_git_local_repack(git_repository *mirror, const char *mirror_path, char **err_out);

#endif
