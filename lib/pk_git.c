// pk_git: the git resource (see pk_git.h). Three pieces share this file:
// the connection (remote creation, credentials that never leak the token,
// messages that mask it), check (ls-remote, then a fetch into the mirror or
// a temporary repository only when there is history to list), and pull
// (the mirror's objects linked into a new repository, pk_git_local.c, or a
// clone from the URL without a mirror; then an exact detached checkout).
//
// Remotes are created with SKIP_INSTEADOF: the server's own url.*.insteadOf
// rewriting is not applied (and libgit2 1.5.1 leaks a pcre2 match block per
// config entry it matches against while applying it).
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include "pk_git2.h"          // <git2.h>, dlopen'd (pk_dl.h)
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pk_json.h"
#include "pk_git.h"
#include "pk_git_local.h"
#include "pk_git_mirrors.h"
#include "pk_hash.h"

#define S_MIRROR "repo"
#define S_BRANCH_LIST_MAX 20

typedef struct {
    const pk_git_params_t *p;
    char *url_shown;            // the URL for messages, secrets masked
    char *url_secret;           // the password part of the URL, if any
    unsigned int creds_tried;   // GIT_CREDENTIAL_* types already offered
    bool auth_refused;          // our credentials callback gave up
} s_ctx_t;

// Replaces every occurrence of secret in s (in place, reallocating) by "***".
static char *
s_scrub(char *s, const char *secret)
{
    if (!s || !secret || !*secret)
        return s;
    size_t n = strlen(secret);
    char *hit;
    while ((hit = strstr(s, secret))) {
        char *out = NULL;
        if (asprintf(&out, "%.*s***%s", (int) (hit - s), s, hit + n) < 0)
            return s;
        free(s);
        s = out;
    }
    return s;
}

// Sets *err_out (token scrubbed) and returns -1.
static int
s_err(s_ctx_t *ctx, char **err_out, const char *fmt, ...)
{
    if (!err_out)
        return -1;
    free(*err_out);
    va_list args;
    va_start(args, fmt);
    if (vasprintf(err_out, fmt, args) < 0)
        *err_out = NULL;
    va_end(args);
    if (ctx) {
        *err_out = s_scrub(*err_out, ctx->p->token);
        *err_out = s_scrub(*err_out, ctx->url_secret);
    }
    return -1;
}

static const char *
s_git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

// The URL as shown to users: "scheme://user:password@host" → "user:***@";
// the password goes to *secret (NULL when none) so messages can scrub it.
static char *
s_url_shown(const char *url, const char *token, char **secret)
{
    char *shown = strdup(url);
    const char *scheme = shown ? strstr(shown, "://") : NULL;
    *secret = NULL;
    if (scheme) {
        char *auth = (char *) scheme + 3;
        size_t auth_len = strcspn(auth, "/");
        char *at = memchr(auth, '@', auth_len);
        char *colon = at ? memchr(auth, ':', (size_t) (at - auth)) : NULL;
        char *out = NULL;
        if (colon && at > colon + 1
            && asprintf(&out, "%.*s:***%s", (int) (colon - shown), shown, at) >= 0) {
            *secret = strndup(colon + 1, (size_t) (at - colon - 1));
            free(shown);
            shown = out;
        }
    }
    return s_scrub(shown, token);
}

static bool
s_is_github(const char *url)
{
    const char *host = strstr(url, "://");
    host = host ? host + 3 : url;
    const char *at = strchr(host, '@');
    if (at && at < host + strcspn(host, "/"))
        host = at + 1;
    return !strncmp(host, "github.com", 10) && strchr("/:", host[10]) && host[10];
}

// Offers each kind of credential once; asking again means it was refused,
// and libgit2 would otherwise ask forever.
static int
s_credentials(git_credential **out, const char *url, const char *user_from_url,
              unsigned int allowed, void *payload)
{
    s_ctx_t *ctx = payload;
    const char *token = ctx->p->token;
    unsigned int pass = GIT_CREDENTIAL_USERPASS_PLAINTEXT;
    if ((allowed & pass) && token && *token && !(ctx->creds_tried & pass)) {
        ctx->creds_tried |= pass;
        const char *user = user_from_url && *user_from_url ? user_from_url
                         : s_is_github(url) ? "x-access-token" : "oauth2";
        return git_credential_userpass_plaintext_new(out, user, token);
    }
    if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !(ctx->creds_tried & GIT_CREDENTIAL_SSH_KEY)) {
        ctx->creds_tried |= GIT_CREDENTIAL_SSH_KEY;
        return git_credential_ssh_key_from_agent(out, user_from_url ? user_from_url : "git");
    }
    if ((allowed & GIT_CREDENTIAL_USERNAME) && !(ctx->creds_tried & GIT_CREDENTIAL_USERNAME)) {
        ctx->creds_tried |= GIT_CREDENTIAL_USERNAME;
        return git_credential_username_new(out, user_from_url ? user_from_url : "git");
    }
    ctx->auth_refused = true;
    git_error_set_str(GIT_ERROR_NET, (allowed & pass) && !(token && *token)
                      ? "the server asks for credentials and no token is set"
                      : "the server refused the credentials");
    return GIT_EAUTH;
}

static git_remote_callbacks
s_callbacks(s_ctx_t *ctx)
{
    git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
    cb.credentials = s_credentials;
    cb.payload = ctx;
    return cb;
}

// Network failure message: authentication problems said as such.
static int
s_net_err(s_ctx_t *ctx, int rc, const char *what, char **err_out)
{
    if (rc == GIT_EAUTH || ctx->auth_refused)
        return s_err(ctx, err_out, "git: authentication to %s failed: %s",
                     ctx->url_shown, s_git_msg());
    return s_err(ctx, err_out, "git: %s %s: %s", what, ctx->url_shown, s_git_msg());
}

// A connected remote: detached (ls only) when repo is NULL, else anonymous
// in repo (to fetch into it).
static int
s_connect(s_ctx_t *ctx, git_repository *repo, git_remote **remote_out, char **err_out)
{
    // A new connection asks for credentials afresh.
    ctx->creds_tried = 0;
    ctx->auth_refused = false;
    git_remote_create_options o = GIT_REMOTE_CREATE_OPTIONS_INIT;
    o.repository = repo;
    o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    git_remote *remote = NULL;
    if (git_remote_create_with_opts(&remote, ctx->p->url, &o) != 0)
        return s_err(ctx, err_out, "git: invalid url %s: %s", ctx->url_shown, s_git_msg());
    git_remote_callbacks cb = s_callbacks(ctx);
    int rc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL);
    if (rc != 0) {
        s_net_err(ctx, rc, "cannot reach", err_out);
        git_remote_free(remote);
        return -1;
    }
    *remote_out = remote;
    return 0;
}

static int
s_fetch(s_ctx_t *ctx, git_remote *remote, char **specs, size_t count, char **err_out)
{
    git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
    fo.callbacks = s_callbacks(ctx);
    // the tags on what is fetched come along (git's auto-follow): a get
    // whose commit a check already fetched fetches nothing, and `git
    // describe` in its checkout needs them
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_AUTO;
    fo.update_fetchhead = 0;
    git_strarray refspecs = { specs, count };
    int rc = git_remote_fetch(remote, &refspecs, &fo, "pikoci fetch");
    return rc == 0 ? 0 : s_net_err(ctx, rc, "cannot fetch from", err_out);
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

// rm -rf, never following symlinks. keep_root leaves path as an empty dir.
static void
s_rmtree(const char *path, bool keep_root)
{
    nftw(path, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    if (keep_root)
        mkdir(path, 0777);
}

static int
s_mkdirs(s_ctx_t *ctx, const char *path, char **err_out)
{
    char *copy = *path ? strdup(path) : NULL;
    if (!copy)
        return s_err(ctx, err_out, "git: cannot create \"%s\"", path);
    for (char *p = copy + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            s_err(ctx, err_out, "git: cannot create \"%s\": %s", copy, strerror(errno));
            free(copy);
            return -1;
        }
        *p = saved;
        if (!saved)
            break;
    }
    free(copy);
    return 0;
}

// The local repository history is fetched into: the cache mirror (locked
// against other calls on the same cache) or a fresh temporary one.
typedef struct {
    git_repository *repo;
    char *path;
    char *tmp_dir;          // set for a temporary repository: removed on close
    int lock_fd;
    pk_git_mirror_t *kept;  // the mirror's entry, repo kept there on close
    bool drop;              // repo no longer matches the mirror (packs removed)
} s_local_t;

// ok: the operation succeeded (a failed one does not keep its repository).
static void
s_local_close_ok(s_local_t *local, bool ok)
{
    if (local->kept)
        pk_git_mirror_give(local->kept, local->repo, ok && !local->drop);
    else
        git_repository_free(local->repo);
    local->kept = NULL;
    local->repo = NULL;
    if (local->tmp_dir)
        s_rmtree(local->tmp_dir, false);
    free(local->tmp_dir);
    local->tmp_dir = NULL;
    free(local->path);
    local->path = NULL;
    if (local->lock_fd >= 0)
        close(local->lock_fd);      // releases the flock
    local->lock_fd = -1;
}

static void
s_local_close(s_local_t *local)
{
    s_local_close_ok(local, false);
}

static int
s_local_open(s_ctx_t *ctx, const char *cache_dir, s_local_t *local, char **err_out)
{
    *local = (s_local_t) { .lock_fd = -1 };
    if (!cache_dir || !*cache_dir) {
        const char *tmp = getenv("TMPDIR");
        if (asprintf(&local->tmp_dir, "%s/pk-git-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
            local->tmp_dir = NULL;
            return s_err(ctx, err_out, "git: out of memory");
        }
        if (!mkdtemp(local->tmp_dir)) {
            s_err(ctx, err_out, "git: cannot create a temporary repository in %s: %s",
                  tmp && *tmp ? tmp : "/tmp", strerror(errno));
            free(local->tmp_dir);
            local->tmp_dir = NULL;
            return -1;
        }
        local->path = strdup(local->tmp_dir);
        if (!local->path || git_repository_init(&local->repo, local->path, 1) != 0) {
            s_err(ctx, err_out, "git: cannot create a temporary repository: %s", s_git_msg());
            s_local_close(local);
            return -1;
        }
        return 0;
    }
    char *lock_path = NULL;
    if (asprintf(&lock_path, "%s/" S_MIRROR ".lock", cache_dir) < 0
        || asprintf(&local->path, "%s/" S_MIRROR, cache_dir) < 0) {
        free(lock_path);
        local->path = NULL;
        return s_err(ctx, err_out, "git: out of memory");
    }
    local->kept = pk_git_mirror_take(local->path);     // lock order: entry, then flock
    local->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (local->lock_fd < 0 && errno == ENOENT) {
        // The cache's directories only when they are missing (the first use).
        if (s_mkdirs(ctx, cache_dir, err_out) != 0) {
            free(lock_path);
            s_local_close(local);
            return -1;
        }
        local->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    }
    int rc = local->lock_fd < 0 ? -1 : 0;
    while (rc == 0 && flock(local->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR)
            rc = -1;
    if (rc != 0) {
        s_err(ctx, err_out, "git: cannot lock the cache %s: %s", lock_path, strerror(errno));
        free(lock_path);
        s_local_close(local);
        return -1;
    }
    free(lock_path);
    if (local->kept && (local->repo = pk_git_mirror_repo(local->kept)))
        return 0;
    rc = git_repository_open_bare(&local->repo, local->path);
    if (rc != 0) {
        // Missing or damaged: the cache is ours and disposable, so rebuild it.
        git_error_clear();
        s_rmtree(local->path, false);
    }
    if (rc != 0 && git_repository_init(&local->repo, local->path, 1) != 0) {
        s_err(ctx, err_out, "git: cannot create the cache repository %s: %s",
              local->path, s_git_msg());
        s_local_close(local);
        return -1;
    }
    return 0;
}

static bool
s_has_object(git_repository *repo, const git_oid *oid, git_object_t type)
{
    git_object *obj = NULL;
    if (git_object_lookup(&obj, repo, oid, type) != 0) {
        git_error_clear();
        return false;
    }
    git_object_free(obj);
    return true;
}

// ---------------------------------------------------------------- versions

typedef struct {
    FILE *out;
    char *text;
    size_t size;
    int count;
} s_json_t;

static int
s_json_open(s_json_t *j)
{
    *j = (s_json_t) { 0 };
    j->out = open_memstream(&j->text, &j->size);
    if (!j->out)
        return -1;
    fputc('[', j->out);
    return 0;
}

static void
s_json_add(s_json_t *j, const git_oid *ref, const char *tag)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, ref);
    fprintf(j->out, "%s{\"ref\":\"%s\"", j->count++ ? "," : "", hex);
    if (tag) {
        fputs(",\"tag\":", j->out);
        pk_json_write_str(j->out, tag);
    }
    fputc('}', j->out);
}

static int
s_json_close(s_json_t *j, char **out)
{
    fputc(']', j->out);
    int rc = fclose(j->out) == 0 ? 0 : -1;
    if (rc == 0)
        *out = j->text;
    else
        free(j->text);
    return rc;
}

static int
s_one_version(const git_oid *ref, const char *tag, char **out)
{
    s_json_t j;
    if (s_json_open(&j) != 0)
        return -1;
    s_json_add(&j, ref, tag);
    return s_json_close(&j, out);
}

// ---------------------------------------------------------------- check

static int
s_name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

// "a, b, c" of the advertised branches (sorted, at most S_BRANCH_LIST_MAX
// then "and N more"); NULL when there are none or out of memory.
static char *
s_branch_list(const git_remote_head **heads, size_t count)
{
    const char **names = calloc(count + 1, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; names && i < count; i++)
        if (!strncmp(heads[i]->name, "refs/heads/", 11))
            names[n++] = heads[i]->name + 11;
    char *list = NULL;
    size_t size = 0;
    FILE *out = n ? open_memstream(&list, &size) : NULL;
    if (out) {
        qsort(names, n, sizeof *names, s_name_cmp);
        for (size_t i = 0; i < n && i < S_BRANCH_LIST_MAX; i++)
            fprintf(out, "%s%s", i ? ", " : "", names[i]);
        if (n > S_BRANCH_LIST_MAX)
            fprintf(out, " and %zu more", n - S_BRANCH_LIST_MAX);
        fclose(out);
    }
    free(names);
    return list;
}

// The branch to follow as a full ref name and its tip, or -1 with a message
// naming the branches there are.
static int
s_branch_tip(s_ctx_t *ctx, git_remote *remote, char **refname_out, git_oid *tip,
             char **err_out)
{
    const git_remote_head **heads = NULL;
    size_t count = 0;
    if (git_remote_ls(&heads, &count, remote) != 0)
        return s_net_err(ctx, -1, "cannot list the refs of", err_out);
    const char *branch = ctx->p->branch;
    char *refname = NULL;
    git_buf buf = { 0 };
    if (branch && *branch) {
        if (!strncmp(branch, "refs/", 5))
            refname = strdup(branch);
        else if (asprintf(&refname, "refs/heads/%s", branch) < 0)
            refname = NULL;
    }
    else if (git_remote_default_branch(&buf, remote) == 0) {
        refname = strdup(buf.ptr);
        git_buf_dispose(&buf);
    }
    else {
        // No HEAD to follow: an empty repository, or a detached HEAD.
        git_error_clear();
        char *list = s_branch_list(heads, count);
        if (list)
            s_err(ctx, err_out, "git: %s has no default branch (HEAD); set the \"branch\" "
                  "param (branches: %s)", ctx->url_shown, list);
        else
            s_err(ctx, err_out, "git: %s has no branches yet", ctx->url_shown);
        free(list);
        return -1;
    }
    if (!refname)
        return s_err(ctx, err_out, "git: out of memory");
    for (size_t i = 0; i < count; i++)
        if (!strcmp(heads[i]->name, refname)) {
            *tip = heads[i]->oid;
            *refname_out = refname;
            return 0;
        }
    char *list = s_branch_list(heads, count);
    const char *shown = strncmp(refname, "refs/heads/", 11) ? refname : refname + 11;
    if (list)
        s_err(ctx, err_out, "git: branch \"%s\" not found in %s (branches: %s)",
              shown, ctx->url_shown, list);
    else
        s_err(ctx, err_out, "git: branch \"%s\" not found in %s: it has no branches yet",
              shown, ctx->url_shown);
    free(list);
    free(refname);
    return -1;
}

// The repository a check fetches into: local, when it is already open (the
// mirror: remote is connected from it, and fetches on the ls connection),
// else opened now (a temporary one: the ls connection was detached, so the
// fetch opens its own). The caller closes local.
static int
s_check_local(s_ctx_t *ctx, git_remote *remote, const char *cache_dir, s_local_t *local,
              char **err_out)
{
    if (local->repo)
        return 0;
    git_remote_disconnect(remote);
    return s_local_open(ctx, cache_dir, local, err_out);
}

// After a fetch into the mirror (rc 0): its packs kept few (pk_git_local.h).
// A failure leaves the packs as they were, and the check or pull goes on.
static void
s_repack(s_local_t *local, int rc)
{
    char *err = NULL;
    int merged = rc == 0 && !local->tmp_dir
               ? pk_git_local_repack(local->repo, local->path, &err) : 0;
    if (merged < 0)
        git_error_clear();
    if (merged > 0)
        local->drop = true;     // its object database still lists the packs removed
    free(err);
}

// Fetches specs into local->repo: on remote itself when it was connected
// from there (no second connection), else on a new one.
static int
s_check_fetch(s_ctx_t *ctx, git_remote *remote, s_local_t *local, char *spec, char **err_out)
{
    int rc;
    if (git_remote_owner(remote) == local->repo)
        rc = s_fetch(ctx, remote, &spec, 1, err_out);
    else {
        git_remote *fetcher = NULL;
        rc = s_connect(ctx, local->repo, &fetcher, err_out) != 0 ? -1
           : s_fetch(ctx, fetcher, &spec, 1, err_out);
        git_remote_free(fetcher);
    }
    s_repack(local, rc);
    return rc;
}

static int
s_check_commits(s_ctx_t *ctx, git_remote *remote, const char *last,
                const char *cache_dir, s_local_t *local_, char **versions_out, char **err_out)
{
    char *refname = NULL;
    git_oid tip, last_oid;
    if (s_branch_tip(ctx, remote, &refname, &tip, err_out) != 0)
        return -1;
    bool last_valid = last && strlen(last) == GIT_OID_HEXSZ
                      && git_oid_fromstr(&last_oid, last) == 0;
    git_error_clear();
    if (last_valid && git_oid_equal(&last_oid, &tip)) {
        free(refname);
        *versions_out = strdup("[]");
        return *versions_out ? 0 : s_err(ctx, err_out, "git: out of memory");
    }
    if (!last_valid) {
        // First check, or a last version that is not a sha: only the tip.
        free(refname);
        return s_one_version(&tip, NULL, versions_out) == 0 ? 0
             : s_err(ctx, err_out, "git: out of memory");
    }
    // History to list: it needs the objects.
    if (s_check_local(ctx, remote, cache_dir, local_, err_out) != 0) {
        free(refname);
        return -1;
    }
    s_local_t local = *local_;
    int rc = 0;
    if (!s_has_object(local.repo, &tip, GIT_OBJECT_COMMIT)) {
        char *spec = NULL;
        if (asprintf(&spec, "+%s:%s", refname, refname) < 0)
            spec = NULL;
        rc = !spec ? s_err(ctx, err_out, "git: out of memory")
           : s_check_fetch(ctx, remote, local_, spec, err_out);
        free(spec);
        // The branch may have moved since ls: list up to what was fetched.
        if (rc == 0 && git_reference_name_to_id(&tip, local.repo, refname) != 0)
            rc = s_err(ctx, err_out, "git: %s vanished from %s while fetching",
                       refname, ctx->url_shown);
    }
    free(refname);
    if (rc == 0 && git_oid_equal(&tip, &last_oid)) {
        // ... even back to last.
        *versions_out = strdup("[]");
        return *versions_out ? 0 : s_err(ctx, err_out, "git: out of memory");
    }
    if (rc == 0 && (!s_has_object(local.repo, &last_oid, GIT_OBJECT_COMMIT)
                    || git_graph_descendant_of(local.repo, &tip, &last_oid) != 1)) {
        git_error_clear();
        // Unknown or not an ancestor (history rewritten): the new tip only.
        rc = s_one_version(&tip, NULL, versions_out) == 0 ? 0
           : s_err(ctx, err_out, "git: out of memory");
        return rc;
    }
    git_revwalk *walk = NULL;
    s_json_t j = { 0 };
    if (rc == 0 && (git_revwalk_new(&walk, local.repo) != 0
                    || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME
                                                 | GIT_SORT_REVERSE) != 0
                    || git_revwalk_push(walk, &tip) != 0
                    || git_revwalk_hide(walk, &last_oid) != 0))
        rc = s_err(ctx, err_out, "git: cannot walk the history of %s: %s",
                   ctx->url_shown, s_git_msg());
    if (rc == 0 && s_json_open(&j) != 0)
        rc = s_err(ctx, err_out, "git: out of memory");
    if (rc == 0) {
        git_oid oid;
        int step;
        while ((step = git_revwalk_next(&oid, walk)) == 0)
            s_json_add(&j, &oid, NULL);
        if (step != GIT_ITEROVER)
            rc = s_err(ctx, err_out, "git: cannot walk the history of %s: %s",
                       ctx->url_shown, s_git_msg());
        if (s_json_close(&j, versions_out) != 0 && rc == 0)
            rc = s_err(ctx, err_out, "git: out of memory");
        if (rc != 0) {
            free(*versions_out);
            *versions_out = NULL;
        }
    }
    git_revwalk_free(walk);
    return rc;
}

typedef struct {
    char *name;             // without refs/tags/
    git_oid oid;            // the ref's object (tag object or commit)
    git_oid commit;         // what it peels to
    git_time_t when;        // tagger date, or the commit's date
} s_tag_t;

static int
s_tag_cmp(const void *a, const void *b)
{
    const s_tag_t *x = a, *y = b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    return strverscmp(x->name, y->name);
}

// Date and commit of a tag; false when it does not peel to a commit.
static bool
s_tag_resolve(git_repository *repo, s_tag_t *tag)
{
    git_object *obj = NULL, *peeled = NULL;
    bool ok = false;
    if (git_object_lookup(&obj, repo, &tag->oid, GIT_OBJECT_ANY) == 0
        && git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
        tag->commit = *git_object_id(peeled);
        tag->when = git_commit_time((git_commit *) peeled);
        if (git_object_type(obj) == GIT_OBJECT_TAG) {
            const git_signature *tagger = git_tag_tagger((git_tag *) obj);
            if (tagger)
                tag->when = tagger->when.time;
        }
        ok = true;
    }
    git_error_clear();
    git_object_free(peeled);
    git_object_free(obj);
    return ok;
}

static int
s_check_tags(s_ctx_t *ctx, git_remote *remote, const char *last,
             const char *cache_dir, s_local_t *local_, char **versions_out, char **err_out)
{
    const git_remote_head **heads = NULL;
    size_t count = 0;
    if (git_remote_ls(&heads, &count, remote) != 0)
        return s_net_err(ctx, -1, "cannot list the refs of", err_out);
    s_tag_t *tags = calloc(count + 1, sizeof *tags);
    if (!tags)
        return s_err(ctx, err_out, "git: out of memory");
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const char *name = heads[i]->name;
        size_t len = strlen(name);
        // Peeled entries ("refs/tags/x^{}") are redundant: we peel locally.
        if (strncmp(name, "refs/tags/", 10) || (len > 3 && !strcmp(name + len - 3, "^{}")))
            continue;
        if (!(tags[n].name = strdup(name + 10)))
            rc = s_err(ctx, err_out, "git: out of memory");
        else
            tags[n++].oid = heads[i]->oid;
    }
    bool missing = false;
    s_local_t local = { .lock_fd = -1 };
    if (rc == 0 && n == 0) {
        *versions_out = strdup("[]");
        rc = *versions_out ? 0 : s_err(ctx, err_out, "git: out of memory");
        goto done;
    }
    if (rc == 0 && s_check_local(ctx, remote, cache_dir, local_, err_out) != 0)
        rc = -1;
    if (rc == 0)
        local = *local_;
    for (size_t i = 0; rc == 0 && i < n && !missing; i++)
        missing = !s_has_object(local.repo, &tags[i].oid, GIT_OBJECT_ANY);
    if (rc == 0 && missing)
        rc = s_check_fetch(ctx, remote, local_, "+refs/tags/*:refs/tags/*", err_out);
    if (rc != 0)
        goto done;
    // Keep the tags that resolve to a commit (tags of trees or blobs, or
    // deleted between ls and fetch, cannot be versions).
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (s_tag_resolve(local.repo, &tags[i]))
            tags[kept++] = tags[i];
        else
            free(tags[i].name);
    }
    n = kept;
    qsort(tags, n, sizeof *tags, s_tag_cmp);
    size_t from = n ? n - 1 : 0;        // first check: the newest only
    if (last && n) {
        for (size_t i = 0; i < n; i++)
            if (!strcmp(tags[i].name, last))
                from = i + 1;           // a vanished last tag leaves the newest
    }
    s_json_t j;
    if (s_json_open(&j) != 0) {
        rc = s_err(ctx, err_out, "git: out of memory");
        goto done;
    }
    for (size_t i = from; i < n; i++)
        s_json_add(&j, &tags[i].commit, tags[i].name);
    if (s_json_close(&j, versions_out) != 0)
        rc = s_err(ctx, err_out, "git: out of memory");
done:
    for (size_t i = 0; i < n; i++)
        free(tags[i].name);
    free(tags);
    return rc;
}

static int
s_ctx_init(s_ctx_t *ctx, const pk_git_params_t *p, char **err_out)
{
    *ctx = (s_ctx_t) { .p = p };
    if (!p || !p->url || !*p->url) {
        static const pk_git_params_t none = { 0 };
        ctx->p = &none;
        return s_err(ctx, err_out, "git: param \"url\" is required");
    }
    if (!(ctx->url_shown = s_url_shown(p->url, p->token, &ctx->url_secret)))
        return s_err(ctx, err_out, "git: out of memory");
    return 0;
}

static void
s_ctx_fini(s_ctx_t *ctx)
{
    free(ctx->url_shown);
    free(ctx->url_secret);
    ctx->url_shown = ctx->url_secret = NULL;
}

// libgit2 starts at the first check or pull, not in pk_git_init: its start
// parses the whole CA bundle (mbedtls), two thirds of an idle server's start.
// libgit2 itself is loaded then too (pk_dl_git.h): an idle server never
// maps it.
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static atomic_bool s_started;
static int s_start_rc;

static void
s_start(void)
{
    s_start_rc = !pk_dl_git_load() && git_libgit2_init() >= 0 ? 0 : -1;
    atomic_store(&s_started, s_start_rc == 0);
}

// 0, or -1 with *err_out saying why libgit2 cannot be used
static int
s_ensure(char **err_out)
{
    pthread_once(&s_once, s_start);
    if (s_start_rc == 0)
        return 0;
    const char *dl_err = pk_dl_git_load();
    if (asprintf(err_out, "git resource: %s", dl_err ? dl_err : "libgit2 does not initialise") < 0)
        *err_out = NULL;
    return -1;
}

int
pk_git_init(void)
{
    return 0;
}

void
pk_git_shutdown(void)
{
    if (atomic_exchange(&s_started, false)) {
        pk_git_mirrors_free();
        git_libgit2_shutdown();
    }
}

const char *
pk_git_version_key(const pk_git_params_t *p)
{
    return p && p->tag ? "tag" : "ref";
}

// Where the next checkout's skeleton waits (pk_git_local.h): beside the
// mirror, named after the URL (whose config it holds).
static char *
s_skeleton_path(const char *cache_dir, const char *url)
{
    uint64_t h = pk_fnv1a_str(url);
    char *path = NULL;
    if (asprintf(&path, "%s/" S_MIRROR ".skel-%016llx", cache_dir, (unsigned long long) h) < 0)
        path = NULL;
    return path;
}

int
pk_git_check(const pk_git_params_t *p, const char *last, const char *cache_dir,
             char **versions_json_out, char **err_out)
{
    s_ctx_t ctx;
    *versions_json_out = NULL;
    if (s_ensure(err_out) != 0)
        return -1;
    if (s_ctx_init(&ctx, p, err_out) != 0) {
        s_ctx_fini(&ctx);
        return -1;
    }
    // With a mirror, ls and fetch share one connection made from it (one
    // round trip less on change, for every transport; the mirror is opened
    // and locked even when nothing changed). Without one, ls is detached:
    // the temporary repository is made only when there is history to list.
    git_remote *remote = NULL;
    s_local_t local = { .lock_fd = -1 };
    int rc = cache_dir && *cache_dir ? s_local_open(&ctx, cache_dir, &local, err_out) : 0;
    if (rc == 0)
        rc = s_connect(&ctx, local.repo, &remote, err_out);
    if (rc == 0)
        rc = p->tag ? s_check_tags(&ctx, remote, last, cache_dir, &local, versions_json_out,
                                   err_out)
                    : s_check_commits(&ctx, remote, last, cache_dir, &local, versions_json_out,
                                      err_out);
    git_remote_free(remote);
    if (rc == 0 && local.repo && !local.tmp_dir && !strcmp(*versions_json_out, "[]")) {
        // Nothing new: a build waits for nobody, so ready the next get.
        char *skeleton = s_skeleton_path(cache_dir, p->url);
        if (skeleton)
            pk_git_local_skeleton(skeleton, p->url);
        free(skeleton);
    }
    s_local_close_ok(&local, rc == 0);
    s_ctx_fini(&ctx);
    return rc;
}

// ---------------------------------------------------------------- pull

// Makes sure repo has commit oid, fetching every branch and tag (and
// p->fetch_ref) from the URL when it does not.
static int
s_fill(s_ctx_t *ctx, git_repository *repo, const git_oid *oid, bool *fetched, char **err_out)
{
    *fetched = false;
    if (s_has_object(repo, oid, GIT_OBJECT_COMMIT))
        return 0;
    *fetched = true;
    char *extra = NULL;
    const char *ref = ctx->p->fetch_ref;
    if (ref && *ref && asprintf(&extra, "+%s:%s", ref, ref) < 0)
        return s_err(ctx, err_out, "git: out of memory");
    git_remote *fetcher = NULL;
    char *specs[] = { "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", extra };
    int rc = s_connect(ctx, repo, &fetcher, err_out) != 0 ? -1
           : s_fetch(ctx, fetcher, specs, extra ? 3 : 2, err_out);
    git_remote_free(fetcher);
    free(extra);
    return rc;
}

// The clone's "origin", created without insteadOf (see the top comment).
static int
s_clone_remote(git_remote **out, git_repository *repo, const char *name, const char *url,
               void *payload)
{
    (void) payload;
    git_remote_create_options o = GIT_REMOTE_CREATE_OPTIONS_INIT;
    o.repository = repo;
    o.name = name;
    o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
    return git_remote_create_with_opts(out, url, &o);
}

static int
s_checkout(s_ctx_t *ctx, git_repository *repo, const git_oid *oid, const char *ref,
           char **err_out)
{
    git_commit *commit = NULL;
    if (git_commit_lookup(&commit, repo, oid) != 0) {
        git_error_clear();
        return s_err(ctx, err_out, "git: commit %s not found in %s (fetched every branch "
                     "and tag%s%s)", ref, ctx->url_shown, ctx->p->fetch_ref ? " and " : "",
                     ctx->p->fetch_ref ? ctx->p->fetch_ref : "");
    }
    git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
    co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
    int rc = 0;
    const char *branch = ctx->p->checkout_branch;
    git_reference *head = NULL;
    if (git_checkout_tree(repo, (git_object *) commit, &co) != 0
        || (branch && *branch
            ? git_branch_create(&head, repo, branch, commit, 1) != 0
              || git_repository_set_head(repo, git_reference_name(head)) != 0
            : git_repository_set_head_detached(repo, oid) != 0))
        rc = s_err(ctx, err_out, "git: cannot check out %s: %s", ref, s_git_msg());
    git_reference_free(head);
    git_commit_free(commit);
    return rc;
}

int
pk_git_pull(const pk_git_params_t *p, const char *ref, const char *dest_dir,
            const char *cache_dir, char **err_out)
{
    s_ctx_t ctx;
    if (s_ensure(err_out) != 0)
        return -1;
    if (s_ctx_init(&ctx, p, err_out) != 0) {
        s_ctx_fini(&ctx);
        return -1;
    }
    git_oid oid;
    int rc = 0;
    if (!ref || strlen(ref) != GIT_OID_HEXSZ || git_oid_fromstr(&oid, ref) != 0) {
        git_error_clear();
        rc = s_err(&ctx, err_out, "git: \"%s\" is not a commit sha (40 hex digits)",
                   ref ? ref : "(null)");
    }
    else if (!dest_dir || !*dest_dir)
        rc = s_err(&ctx, err_out, "git: pull needs a destination directory");
    if (rc != 0) {
        s_ctx_fini(&ctx);
        return -1;
    }
    struct stat st;
    bool existed = stat(dest_dir, &st) == 0;
    git_repository *repo = NULL;
    bool cloned = false;
    if (cache_dir && *cache_dir) {
        // From the mirror: linked, not cloned (pk_git_local.h).
        s_local_t local;
        rc = s_local_open(&ctx, cache_dir, &local, err_out);
        bool fetched = false;
        if (rc == 0)
            rc = s_fill(&ctx, local.repo, &oid, &fetched, err_out);
        if (fetched)
            s_repack(&local, rc);
        if (rc == 0 && !s_has_object(local.repo, &oid, GIT_OBJECT_COMMIT))
            rc = s_err(&ctx, err_out, "git: commit %s not found in %s (fetched every branch "
                       "and tag%s%s)", ref, ctx.url_shown, p->fetch_ref ? " and " : "",
                       p->fetch_ref ? p->fetch_ref : "");
        char *why = NULL, *skeleton = s_skeleton_path(cache_dir, p->url);
        if (rc == 0 && pk_git_local_clone(local.repo, local.path, skeleton, dest_dir, p->url,
                                          &oid, p->checkout_branch, &cloned, &why) != 0)
            rc = s_err(&ctx, err_out, "git: cannot clone into %s: %s", dest_dir,
                       why ? why : "out of memory");
        free(why);
        free(skeleton);
        s_local_close_ok(&local, rc == 0);
        if (rc != 0 && cloned)
            s_rmtree(dest_dir, existed);
        s_ctx_fini(&ctx);
        return rc;
    }
    git_clone_options co = GIT_CLONE_OPTIONS_INIT;
    co.checkout_opts.checkout_strategy = GIT_CHECKOUT_NONE;
    co.fetch_opts.callbacks = s_callbacks(&ctx);
    co.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL;
    co.remote_cb = s_clone_remote;
    int crc = git_clone(&repo, p->url, dest_dir, &co);
    if (crc != 0)
        rc = s_net_err(&ctx, crc, "cannot clone", err_out);
    cloned = repo != NULL;
    // A clone from the URL has branches and tags only; a pull request's
    // head comes by its own ref.
    bool fetched = false;
    if (rc == 0 && p->fetch_ref && *p->fetch_ref)
        rc = s_fill(&ctx, repo, &oid, &fetched, err_out);
    if (rc == 0)
        rc = s_checkout(&ctx, repo, &oid, ref, err_out);
    git_repository_free(repo);
    if (rc != 0 && cloned)
        s_rmtree(dest_dir, existed);
    s_ctx_fini(&ctx);
    return rc;
}
