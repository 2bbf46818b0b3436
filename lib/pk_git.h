// pk_git: the built-in "git" resource type through libgit2, run in-process
// by the runner (no git binary needed, no process per check).
//
// Versions are JSON text, exactly what a command-based check prints on its
// last line, so the runner treats native and command checks alike:
//   commit mode  [{"ref":"<40-hex sha>"}, ...]                 oldest first
//   tag mode     [{"ref":"<commit sha>","tag":"<name>"}, ...]  oldest first
// A check resumes from one field of the last version (pk_git_version_key):
// "ref" in commit mode, "tag" in tag mode.
//
// check asks the remote for its refs first (ls-remote) and stops there when
// the tip is the last known ref or on a first check, so an unchanged
// repository costs one round trip. Only when there is something to list does
// it fetch: into a bare mirror kept in <cache_dir>/repo (incremental, reused
// by later checks and pulls; the ls connection is made from the mirror and
// the fetch goes on it, and past PK_GIT_PACKS_MAX packs they are merged), or,
// with no cache_dir, into a temporary bare repository removed afterwards
// (the ls then needs no local repository, the fetch connects again).
//
// Errors come back as a caller-freed message a user can act on, naming the
// URL with any password and the token masked as "***".
//
// Threading: call pk_git_init() once in main before any thread uses pk_git,
// and pk_git_shutdown() at exit (libgit2 itself starts at the first check or
// pull: its start parses the CA bundle, ~55 M instructions). Each call opens its own libgit2 objects and
// shares none, so calls may run on different threads at once; calls that
// touch the same mirror serialise on a lock file (<cache_dir>/repo.lock).
#ifndef PK_GIT_H
#define PK_GIT_H
#include <stdbool.h>

typedef struct {
    const char *url;        // file://, https://, ssh:// (or user@host:path), or a path
    const char *branch;     // NULL or "": the remote HEAD's branch
    const char *token;      // https credentials (user "x-access-token" on
                            // github.com, else "oauth2"); never printed
    bool tag;               // tag mode: versions are tags
    // Pull only (a pull request's head, which no branch or tag holds):
    const char *fetch_ref;  // also fetched when the commit is missing
                            // ("refs/pull/7/head"); NULL: branches and tags
    const char *checkout_branch;  // the commit checked out on this new local
                            // branch ("pr-7"); NULL: a detached HEAD
} pk_git_params_t;

// libgit2 global state (refcounted by libgit2). 0 or -1.
int pk_git_init(void);
void pk_git_shutdown(void);

// "ref" or "tag": the version field whose value a later check passes as last.
const char *pk_git_version_key(const pk_git_params_t *p);

// Commit mode: last NULL (first check) → only the tip; otherwise every
// commit after last up to the tip, oldest first; "[]" when the tip is last;
// just the tip when last is unknown or not an ancestor of the tip (history
// was rewritten): never an error, never a replay of history.
// Tag mode: tags ordered by creation (tagger date of annotated tags, commit
// date of lightweight ones; ties by version-aware name order); first check
// → the newest tag; later checks → the tags after last, oldest first; just
// the newest when last no longer exists; "[]" when there are no tags.
// Ordering tags needs their objects, so tag mode fetches on every check
// without a cache_dir (with one, only when a tag is new to the mirror).
// Returns 0 with *versions_json_out, or -1 with *err_out.
int pk_git_check(const pk_git_params_t *p, const char *last, const char *cache_dir,
                 char **versions_json_out, char **err_out);

// Clones into dest_dir (created; must not exist or be empty) and checks out
// exactly commit ref (40 hex): detached HEAD (or p->checkout_branch), index
// and working tree equal to that commit's tree, remote "origin" set to
// p->url. With cache_dir the repository is made from the mirror (fetched
// first when it lacks the commit): its objects hard-linked, its branches as
// origin's, its tags (pk_git_local.h); otherwise a clone of the URL; either way
// p->fetch_ref is fetched too when the commit is in no branch or tag. On failure dest_dir is left as it was
// found (what the clone created is removed).
int pk_git_pull(const pk_git_params_t *p, const char *ref, const char *dest_dir,
                const char *cache_dir, char **err_out);

#endif
