// pk_git_local: a working copy from the runner's mirror (see pk_git_local.h).
#include "pk_git_local.h"
#include <git2/sys/odb_backend.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// HEAD while the tree is checked out: unborn, so the checkout's baseline is
// the empty tree and every file is written. The real HEAD comes after.
#define S_UNBORN "ref: refs/heads/pikoci-checkout-in-progress\n"

static int
s_fail(char **err_out, const char *fmt, ...)
{
    free(*err_out);
    va_list args;
    va_start(args, fmt);
    if (vasprintf(err_out, fmt, args) < 0)
        *err_out = NULL;
    va_end(args);
    return -1;
}

#define S_PATH 4096

// dir/rest into out, or an error: a path cut short would name another file.
static int
s_join(char out[S_PATH], const char *dir, const char *rest, char **err_out)
{
    int n = snprintf(out, S_PATH, "%s/%s", dir, rest);
    return n >= 0 && n < S_PATH ? 0 : s_fail(err_out, "path too long: %s/%s", dir, rest);
}

static const char *
s_git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

// 0 when dest is absent or an empty directory (*exists says which).
static int
s_usable(const char *dest, bool *exists, char **err_out)
{
    DIR *d = opendir(dest);
    *exists = d != NULL || errno != ENOENT;
    if (!d && errno == ENOENT)
        return 0;
    if (!d)
        return s_fail(err_out, "'%s' exists and is not an empty directory", dest);
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty ? 0 : s_fail(err_out, "'%s' exists and is not an empty directory", dest);
}

static int
s_mkdir(const char *path, char **err_out)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return s_fail(err_out, "cannot create \"%s\": %s", path, strerror(errno));
    return 0;
}

// mkdir -p
static int
s_mkdirs(const char *path, char **err_out)
{
    char *copy = strdup(path);
    if (!copy)
        return s_fail(err_out, "out of memory");
    int rc = 0;
    for (char *p = copy + 1; rc == 0 && *p; p++)
        if (*p == '/') {
            *p = '\0';
            rc = s_mkdir(copy, err_out);
            *p = '/';
        }
    if (rc == 0)
        rc = s_mkdir(copy, err_out);
    free(copy);
    return rc;
}

static int
s_write_file(const char *path, const char *text, size_t len, mode_t mode, char **err_out)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    size_t done = 0;
    while (fd >= 0 && done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t) n;
    }
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && done == len)
        done = 0, saved = errno;
    if (fd < 0 || done < len)
        return s_fail(err_out, "cannot write %s: %s", path, strerror(saved));
    return 0;
}

// A hard link, or a copy where links cannot go (another file system).
static int
s_link(const char *src, const char *dst, char **err_out)
{
    if (link(src, dst) == 0)
        return 0;
    if (errno != EXDEV && errno != EPERM && errno != EMLINK && errno != ENOTSUP)
        return s_fail(err_out, "cannot link %s: %s", dst, strerror(errno));
    int in = open(src, O_RDONLY | O_CLOEXEC);
    int out = in < 0 ? -1 : open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    char buf[65536];
    ssize_t n = 0;
    while (out >= 0 && (n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || write(out, buf, (size_t) n) != n) {
            n = -1;
            break;
        }
    }
    int saved = errno;
    if (out >= 0 && close(out) != 0)
        n = -1, saved = errno;
    if (in >= 0)
        close(in);
    if (in < 0 || out < 0 || n < 0)
        return s_fail(err_out, "cannot copy %s: %s", src, strerror(saved));
    return 0;
}

static bool
s_is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]) || !s[i])
            return false;
    return s[n] == '\0';
}

static bool
s_pack_file(const char *name)
{
    size_t n = strlen(name);
    return !strncmp(name, "pack-", 5) && n > 4
        && (!strcmp(name + n - 5, ".pack") || !strcmp(name + n - 4, ".idx")
            || !strcmp(name + n - 4, ".rev"));
}

// Links the files of src/ that keep() accepts into dst/ (created).
static int
s_link_dir(const char *src, const char *dst, bool (*keep)(const char *), char **err_out)
{
    DIR *d = opendir(src);
    if (!d)
        return errno == ENOENT ? 0 : s_fail(err_out, "cannot read %s: %s", src, strerror(errno));
    int rc = s_mkdir(dst, err_out);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        if (!keep(e->d_name))
            continue;
        char *from = NULL, *to = NULL;
        if (asprintf(&from, "%s/%s", src, e->d_name) < 0)
            from = NULL;
        if (asprintf(&to, "%s/%s", dst, e->d_name) < 0)
            to = NULL;
        rc = from && to ? s_link(from, to, err_out) : s_fail(err_out, "out of memory");
        free(from);
        free(to);
    }
    closedir(d);
    return rc;
}

static bool
s_loose_file(const char *name)
{
    return s_is_hex(name, GIT_OID_HEXSZ - 2);
}

// The mirror's objects: every pack, and the loose objects if there are any
// (libgit2 fetches write packs; a mirror git itself touched may have both).
static int
s_link_objects(const char *mirror_path, const char *gitdir, char **err_out)
{
    char src[S_PATH], dst[S_PATH];
    if (s_join(src, mirror_path, "objects/pack", err_out) != 0
        || s_join(dst, gitdir, "objects/pack", err_out) != 0
        || s_link_dir(src, dst, s_pack_file, err_out) != 0
        || s_join(src, mirror_path, "objects", err_out) != 0)
        return -1;
    DIR *d = opendir(src);
    if (!d)
        return s_fail(err_out, "cannot read %s: %s", src, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)))
        if (s_is_hex(e->d_name, 2)) {
            char sub[16];
            snprintf(sub, sizeof sub, "objects/%.2s", e->d_name);
            rc = s_join(src, mirror_path, sub, err_out) != 0 || s_join(dst, gitdir, sub, err_out) != 0
               ? -1 : s_link_dir(src, dst, s_loose_file, err_out);
        }
    closedir(d);
    return rc;
}

// packed-refs: the mirror's branches as origin's, its tags as they are,
// and the local branch when there is one.
static int
s_write_refs(git_repository *mirror, const char *gitdir, const git_oid *oid, const char *branch,
             char **err_out)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return s_fail(err_out, "out of memory");
    char hex[GIT_OID_HEXSZ + 1];
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    int rc = git_reference_iterator_new(&it, mirror);
    while (rc == 0 && (rc = git_reference_next(&ref, it)) == 0) {
        const char *name = git_reference_name(ref);
        if (git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
            git_oid_tostr(hex, sizeof hex, git_reference_target(ref));
            if (!strncmp(name, "refs/heads/", 11))
                fprintf(out, "%s refs/remotes/origin/%s\n", hex, name + 11);
            else
            if (!strncmp(name, "refs/tags/", 10))
                fprintf(out, "%s %s\n", hex, name);
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    if (rc != GIT_ITEROVER) {
        fclose(out);
        free(text);
        return s_fail(err_out, "cannot list the mirror's refs: %s", s_git_msg());
    }
    git_error_clear();
    if (branch && *branch) {
        git_oid_tostr(hex, sizeof hex, oid);
        fprintf(out, "%s refs/heads/%s\n", hex, branch);
    }
    if (fclose(out) != 0) {
        free(text);
        return s_fail(err_out, "out of memory");
    }
    char path[S_PATH];
    rc = s_join(path, gitdir, "packed-refs", err_out) != 0 ? -1
       : s_write_file(path, text, size, 0644, err_out);
    free(text);
    return rc;
}

// A config value in double quotes, escaped as git reads it back.
static void
s_config_value(FILE *out, const char *v)
{
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', out);
        if (*v == '\n')
            fputs("\\n", out);
        else
        if (*v == '\t')
            fputs("\\t", out);
        else
            fputc(*v, out);
    }
    fputc('"', out);
}

static int
s_write_config(const char *gitdir, const char *origin_url, char **err_out)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out)
        return s_fail(err_out, "out of memory");
    fputs("[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n"
          "\tlogallrefupdates = true\n[remote \"origin\"]\n\turl = ", out);
    s_config_value(out, origin_url);
    fputs("\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n", out);
    if (fclose(out) != 0) {
        free(text);
        return s_fail(err_out, "out of memory");
    }
    char path[S_PATH];
    int rc = s_join(path, gitdir, "config", err_out) != 0 ? -1
           : s_write_file(path, text, size, 0644, err_out);
    free(text);
    return rc;
}

static int
s_write_head(const char *gitdir, const char *text, char **err_out)
{
    char path[S_PATH];
    return s_join(path, gitdir, "HEAD", err_out) != 0 ? -1
         : s_write_file(path, text, strlen(text), 0644, err_out);
}

// The tree is read through the mirror's object database, already open with
// its packs' indexes loaded (the same packs the new repository links), and
// the checkout reads the new repository's own config alone: libgit2 takes a
// snapshot of the whole config (~/.gitconfig, /etc/gitconfig too) several
// times per checkout, most of its instructions. So the runner user's
// core.autocrlf and the like do not rewrite the files: the working tree is
// the commit's tree (its .gitattributes still apply, as they do for git).
static int
s_checkout(git_repository *mirror, const char *dest, const char *gitdir, const git_oid *oid,
           char **err_out)
{
    git_repository *repo = NULL;
    git_commit *commit = NULL;
    git_odb *odb = NULL;
    git_config *config = NULL;
    char path[4200];
    snprintf(path, sizeof path, "%s/config", gitdir);
    git_checkout_options co = GIT_CHECKOUT_OPTIONS_INIT;
    co.checkout_strategy = GIT_CHECKOUT_FORCE;      // into an empty tree
    int rc = git_repository_open_ext(&repo, dest, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0
          || git_config_new(&config) != 0
          || git_config_add_file_ondisk(config, path, GIT_CONFIG_LEVEL_LOCAL, repo, 0) != 0
          || git_repository_set_config(repo, config) != 0
          || git_repository_odb(&odb, mirror) != 0
          || git_repository_set_odb(repo, odb) != 0
          || git_commit_lookup(&commit, repo, oid) != 0
          || git_checkout_tree(repo, (git_object *) commit, &co) != 0
           ? s_fail(err_out, "%s", s_git_msg()) : 0;
    git_commit_free(commit);
    git_repository_free(repo);
    git_odb_free(odb);
    git_config_free(config);
    return rc;
}

// What git needs to see a repository, before the objects and refs: HEAD
// (unborn), the config, objects/pack and refs/ (refs/heads, refs/tags and
// objects/info git makes when it writes there; every directory made here
// is a new inode, the get's dearest operation on a busy disk).
static int
s_make_skeleton(const char *dest, const char *origin_url, char **err_out)
{
    char gitdir[4096];
    if (snprintf(gitdir, sizeof gitdir, "%s/.git", dest) >= (int) sizeof gitdir)
        return s_fail(err_out, "path too long: %s", dest);
    static const char *const dirs[] = { "objects", "objects/pack", "refs" };
    int rc = mkdir(gitdir, 0777) == 0 || errno == EEXIST ? 0 : s_mkdirs(gitdir, err_out);
    for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof *dirs; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", gitdir, dirs[i]);
        rc = s_mkdir(path, err_out);
    }
    if (rc == 0)
        rc = s_write_head(gitdir, S_UNBORN, err_out);
    if (rc == 0)
        rc = s_write_config(gitdir, origin_url, err_out);
    return rc;
}

int
pk_git_local_skeleton(const char *skeleton, const char *origin_url)
{
    struct stat st;
    if (stat(skeleton, &st) == 0)
        return 0;
    static atomic_uint serial;
    char tmp[4200], *err = NULL;
    snprintf(tmp, sizeof tmp, "%s.tmp-%d-%u", skeleton, (int) getpid(),
             atomic_fetch_add(&serial, 1));
    int rc = mkdir(tmp, 0777) == 0 ? s_make_skeleton(tmp, origin_url, &err) : -1;
    if (rc == 0 && rename(tmp, skeleton) != 0)
        rc = -1;                // another one got there first
    if (rc != 0) {
        static const char *const made[] = { ".git/config", ".git/HEAD", ".git/objects/pack",
                                            ".git/objects", ".git/refs", ".git", "" };
        for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
            char path[4300];
            snprintf(path, sizeof path, "%s/%s", tmp, made[i]);
            if (unlink(path) != 0)
                rmdir(path);
        }
    }
    free(err);
    return rc;
}

int
pk_git_local_clone(git_repository *mirror, const char *mirror_path, const char *skeleton,
                   const char *dest, const char *origin_url, const git_oid *oid,
                   const char *branch, bool *created, char **err_out)
{
    bool exists = false;
    *created = false;
    if (s_usable(dest, &exists, err_out) != 0)
        return -1;
    char gitdir[4096];
    if (snprintf(gitdir, sizeof gitdir, "%s/.git", dest) >= (int) sizeof gitdir)
        return s_fail(err_out, "path too long: %s", dest);
    *created = true;
    // A skeleton made ahead of time becomes dest (absent or empty) in one
    // rename; none there, or on another file system: made here.
    int rc = skeleton && rename(skeleton, dest) == 0 ? 0
           : s_make_skeleton(dest, origin_url, err_out);
    if (rc == 0)
        rc = s_link_objects(mirror_path, gitdir, err_out);
    if (rc == 0)
        rc = s_write_refs(mirror, gitdir, oid, branch, err_out);
    if (rc == 0)
        rc = s_checkout(mirror, dest, gitdir, oid, err_out);
    if (rc == 0) {
        char head[GIT_OID_HEXSZ + 300];
        if (branch && *branch)
            snprintf(head, sizeof head, "ref: refs/heads/%s\n", branch);
        else {
            git_oid_tostr(head, GIT_OID_HEXSZ + 1, oid);
            strcat(head, "\n");
        }
        rc = s_write_head(gitdir, head, err_out);
    }
    return rc;
}

// ---------------------------------------------------------------- repack

typedef struct {
    char *name;             // "pack-<hex>" (no extension)
    off_t size;
} s_pack_t;

static int
s_pack_insert(const git_oid *id, void *payload)
{
    return git_packbuilder_insert(payload, id, NULL);
}

// The objects of one pack, given by its .idx, into pb.
static int
s_pack_add(git_packbuilder *pb, const char *idx)
{
    git_odb_backend *be = NULL;
    git_odb *odb = NULL;
    if (git_odb_backend_one_pack(&be, idx) != 0)
        return -1;
    if (git_odb_new(&odb) != 0 || git_odb_add_backend(odb, be, 1) != 0) {
        if (odb)
            git_odb_free(odb);
        be->free(be);
        return -1;
    }
    int rc = git_odb_foreach(odb, s_pack_insert, pb);
    git_odb_free(odb);          // frees be too
    return rc;
}

static int
s_pack_cmp(const void *a, const void *b)
{
    const s_pack_t *x = a, *y = b;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

int
pk_git_local_repack(git_repository *mirror, const char *mirror_path, char **err_out)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/objects/pack", mirror_path);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    s_pack_t *packs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    bool keep = false;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && !strcmp(e->d_name + len - 5, ".keep"))
            keep = true;        // someone wants these as they are: leave all alone
        if (strncmp(e->d_name, "pack-", 5) || len < 10 || strcmp(e->d_name + len - 5, ".pack"))
            continue;
        struct stat st;
        snprintf(path, sizeof path, "%s/%.*s.idx", dir, (int) (len - 5), e->d_name);
        if (stat(path, &st) != 0)
            continue;           // not complete
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            s_pack_t *grown = realloc(packs, cap * sizeof *packs);
            if (!grown)
                break;
            packs = grown;
        }
        packs[n].name = strndup(e->d_name, len - 5);
        packs[n].size = st.st_size;
        if (packs[n].name)
            n++;
    }
    closedir(d);
    int rc = 0;
    if (n > PK_GIT_PACKS_MAX && !keep) {
        qsort(packs, n, sizeof *packs, s_pack_cmp);
        git_packbuilder *pb = NULL;
        rc = git_packbuilder_new(&pb, mirror);
        if (rc == 0)
            git_packbuilder_set_threads(pb, 1);
        for (size_t i = 1; rc == 0 && i < n; i++) {
            snprintf(path, sizeof path, "%s/%s.idx", dir, packs[i].name);
            rc = s_pack_add(pb, path);
        }
        if (rc == 0)
            rc = git_packbuilder_write(pb, dir, 0, NULL, NULL);
        const char *made = rc == 0 ? git_packbuilder_name(pb) : NULL;
        // Only now, with every object in the new pack, do the old ones go.
        static const char *const exts[] = { ".pack", ".idx", ".rev" };
        for (size_t i = 1; made && i < n; i++)
            if (strcmp(packs[i].name + 5, made))
                for (size_t x = 0; x < 3; x++) {
                    snprintf(path, sizeof path, "%s/%s%s", dir, packs[i].name, exts[x]);
                    unlink(path);
                }
        if (rc != 0)
            s_fail(err_out, "cannot repack %s: %s", dir, s_git_msg());
        git_packbuilder_free(pb);
        if (rc == 0)
            rc = 1;
    }
    for (size_t i = 0; i < n; i++)
        free(packs[i].name);
    free(packs);
    return rc < 0 ? -1 : rc;
}
