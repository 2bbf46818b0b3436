// pk_fsres: the "fs" resource. One walker lists a tree (sorted entries with
// kind, mode, and content hash or link target); the tree hash is a digest of
// that listing and pull replays the listing into the destination, then
// hashes the copy, so "what was hashed" and "what was copied" cannot drift.
//
// Records in the tree digest are length-prefixed ("<kind> <n>:<path> <m>:
// <payload>\n"), so no file name or link target can forge another listing.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pk_json.h"
#include "pk_fsres.h"
#include "pk_sha256.h"

#define S_CHUNK 65536

typedef struct {
    char *rel;          // path relative to the root, no leading '/'
    char kind;          // 'd' directory, 'f' file, 'x' executable file, 'l' symlink
    mode_t mode;        // permission bits (files)
    char *payload;      // hex hash (files, when hashing), link target, or NULL
} s_entry_t;

typedef struct {
    s_entry_t *items;
    size_t count, cap;
    bool hash_files;
    char *err;
} s_tree_t;

// Sets *err_out (replacing any earlier message) and returns -1.
static int
s_err(char **err_out, const char *fmt, ...)
{
    if (err_out) {
        free(*err_out);
        va_list args;
        va_start(args, fmt);
        if (vasprintf(err_out, fmt, args) < 0)
            *err_out = NULL;
        va_end(args);
    }
    return -1;
}

static int
s_hash_fd(int fd, const char *path, char hex[65], char **err_out)
{
    pk_sha256_t ctx;
    pk_sha256_init(&ctx);
    unsigned char *buf = malloc(S_CHUNK);
    if (!buf)
        return s_err(err_out, "fs: cannot read \"%s\": %s", path, strerror(ENOMEM));
    for (;;) {
        ssize_t n = read(fd, buf, S_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            free(buf);
            return s_err(err_out, "fs: cannot read \"%s\": %s", path, strerror(saved));
        }
        if (n == 0)
            break;
        pk_sha256_update(&ctx, buf, (size_t) n);
    }
    free(buf);
    uint8_t digest[PK_SHA256_LEN];
    pk_sha256_final(&ctx, digest);
    pk_sha256_hex(digest, hex);
    return 0;
}

static int
s_hash_file(const char *path, bool follow, char hex[65], char **err_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (fd < 0)
        return s_err(err_out, "fs: cannot open \"%s\": %s", path, strerror(errno));
    int rc = s_hash_fd(fd, path, hex, err_out);
    close(fd);
    return rc;
}

static char *
s_join(const char *a, const char *b)
{
    char *out = NULL;
    if (!*a)
        return strdup(b);
    if (asprintf(&out, "%s/%s", a, b) < 0)
        return NULL;
    return out;
}

static char *
s_readlink(const char *path, size_t hint)
{
    size_t size = hint + 2;
    for (;;) {
        char *buf = malloc(size);
        if (!buf)
            return NULL;
        ssize_t n = readlink(path, buf, size);
        if (n >= 0 && (size_t) n < size) {
            buf[n] = '\0';
            return buf;
        }
        free(buf);
        if (n < 0)
            return NULL;
        size *= 2;
    }
}

static int
s_add(s_tree_t *tree, char *rel, char kind, mode_t mode, char *payload)
{
    if (tree->count == tree->cap) {
        size_t cap = tree->cap ? tree->cap * 2 : 64;
        s_entry_t *items = realloc(tree->items, cap * sizeof *items);
        if (!items) {
            free(rel);
            free(payload);
            return s_err(&tree->err, "fs: out of memory listing a tree");
        }
        tree->items = items;
        tree->cap = cap;
    }
    tree->items[tree->count++] = (s_entry_t) { rel, kind, mode, payload };
    return 0;
}

static const char *
s_kind_name(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a fifo";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "of an unknown type";
}

// Lists root/rel recursively. Each directory is read completely and closed
// before descending, so depth costs no file descriptors.
static int
s_walk(s_tree_t *tree, const char *root, const char *rel)
{
    char *dir_path = *rel ? s_join(root, rel) : strdup(root);
    if (!dir_path)
        return s_err(&tree->err, "fs: %s: %s", root, strerror(ENOMEM));
    // The root may be a symlink (the user named it); nothing below it is followed.
    int fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (*rel ? O_NOFOLLOW : 0));
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dir) {
        s_err(&tree->err, "fs: cannot list \"%s\": %s", dir_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(dir_path);
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    errno = 0;
    while (rc == 0 && (de = readdir(dir))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) {
                rc = s_err(&tree->err, "fs: cannot list \"%s\": %s", dir_path, strerror(ENOMEM));
                break;
            }
            names = grown;
        }
        if (!(names[count] = strdup(de->d_name)))
            rc = s_err(&tree->err, "fs: cannot list \"%s\": %s", dir_path, strerror(ENOMEM));
        else
            count++;
    }
    if (rc == 0 && errno)
        rc = s_err(&tree->err, "fs: cannot list \"%s\": %s", dir_path, strerror(errno));
    closedir(dir);

    for (size_t i = 0; i < count && rc == 0; i++) {
        char *child = s_join(rel, names[i]);
        char *full = child ? s_join(root, child) : NULL;
        struct stat st;
        if (!full) {
            rc = s_err(&tree->err, "fs: %s: %s", dir_path, strerror(ENOMEM));
        }
        else if (lstat(full, &st) != 0) {
            rc = s_err(&tree->err, "fs: cannot stat \"%s\": %s", full, strerror(errno));
        }
        else if (S_ISDIR(st.st_mode)) {
            char *rel_copy = strdup(child);
            rc = rel_copy ? s_add(tree, rel_copy, 'd', st.st_mode & 07777, NULL)
                          : s_err(&tree->err, "fs: %s: %s", full, strerror(ENOMEM));
            if (rc == 0)
                rc = s_walk(tree, root, child);
        }
        else if (S_ISREG(st.st_mode)) {
            char hex[65], *payload = NULL;
            if (tree->hash_files) {
                rc = s_hash_file(full, false, hex, &tree->err);
                if (rc == 0 && !(payload = strdup(hex)))
                    rc = s_err(&tree->err, "fs: %s: %s", full, strerror(ENOMEM));
            }
            if (rc == 0) {
                rc = s_add(tree, child, (st.st_mode & S_IXUSR) ? 'x' : 'f',
                           st.st_mode & 0777, payload);
                child = NULL;
            }
        }
        else if (S_ISLNK(st.st_mode)) {
            char *target = s_readlink(full, (size_t) st.st_size);
            if (!target)
                rc = s_err(&tree->err, "fs: cannot read link \"%s\": %s", full, strerror(errno));
            else {
                rc = s_add(tree, child, 'l', 0, target);
                child = NULL;
            }
        }
        else {
            rc = s_err(&tree->err, "fs: \"%s\" is %s; an fs resource holds only "
                       "files, directories and symlinks", full, s_kind_name(st.st_mode));
        }
        free(child);
        free(full);
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free(dir_path);
    return rc;
}

static int
s_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const s_entry_t *) a)->rel, ((const s_entry_t *) b)->rel);
}

static void
s_tree_free(s_tree_t *tree)
{
    for (size_t i = 0; i < tree->count; i++) {
        free(tree->items[i].rel);
        free(tree->items[i].payload);
    }
    free(tree->items);
    free(tree->err);
}

static int
s_tree_list(s_tree_t *tree, const char *root, char **err_out)
{
    if (s_walk(tree, root, "") != 0) {
        if (err_out) {
            free(*err_out);
            *err_out = tree->err;
            tree->err = NULL;
        }
        return -1;
    }
    qsort(tree->items, tree->count, sizeof *tree->items, s_entry_cmp);
    return 0;
}

static void
s_feed_field(pk_sha256_t *ctx, const char *s)
{
    char len[32];
    size_t n = s ? strlen(s) : 0;
    int w = snprintf(len, sizeof len, "%zu:", n);
    pk_sha256_update(ctx, len, (size_t) w);
    if (n)
        pk_sha256_update(ctx, s, n);
}

// The digest of a listing whose file entries carry their content hash.
static void
s_tree_digest(const s_tree_t *tree, char hex[65])
{
    pk_sha256_t ctx;
    pk_sha256_init(&ctx);
    for (size_t i = 0; i < tree->count; i++) {
        const s_entry_t *e = &tree->items[i];
        char kind[2] = { e->kind, ' ' };
        pk_sha256_update(&ctx, kind, 2);
        s_feed_field(&ctx, e->rel);
        pk_sha256_update(&ctx, " ", 1);
        s_feed_field(&ctx, e->payload);
        pk_sha256_update(&ctx, "\n", 1);
    }
    uint8_t digest[PK_SHA256_LEN];
    pk_sha256_final(&ctx, digest);
    pk_sha256_hex(digest, hex);
}

static int
s_tree_hash(const char *root, char hex[65], char **err_out)
{
    s_tree_t tree = { .hash_files = true };
    if (s_tree_list(&tree, root, err_out) != 0) {
        s_tree_free(&tree);
        return -1;
    }
    s_tree_digest(&tree, hex);
    s_tree_free(&tree);
    return 0;
}

int
pk_fsres_hash(const char *path, char hash[65], char **err_out)
{
    struct stat st;
    if (!path || !*path)
        return s_err(err_out, "fs: param \"path\" is required");
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        return s_err(err_out, "fs: cannot stat \"%s\": %s", path, strerror(errno));
    }
    if (S_ISREG(st.st_mode))
        return s_hash_file(path, true, hash, err_out);
    if (S_ISDIR(st.st_mode))
        return s_tree_hash(path, hash, err_out);
    return s_err(err_out, "fs: \"%s\" is %s; an fs resource watches a file or a "
                 "directory", path, s_kind_name(st.st_mode));
}

int
pk_fsres_check(const char *path, const char *last_hash,
               char **versions_json_out, char **err_out)
{
    char hash[65];
    *versions_json_out = NULL;
    int rc = pk_fsres_hash(path, hash, err_out);
    if (rc < 0)
        return -1;
    if (rc == 1 || (last_hash && !strcmp(last_hash, hash))) {
        *versions_json_out = strdup("[]");
        return *versions_json_out ? 0 : -1;
    }
    // PikoCI's fs.hcl gives a file's mtime and size too (as strings); a
    // directory only path and hash
    struct stat st;
    bool file = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    size_t size = 0;
    FILE *out = open_memstream(versions_json_out, &size);
    if (!out)
        return s_err(err_out, "fs: %s: %s", path, strerror(errno));
    fputs("[{\"path\":", out);
    pk_json_write_str(out, path);
    fprintf(out, ",\"hash\":\"%s\"", hash);
    if (file)
        fprintf(out, ",\"modified\":\"%lld\",\"size\":\"%lld\"", (long long) st.st_mtime,
                (long long) st.st_size);
    fputs("}]", out);
    fclose(out);
    return 0;
}

static int
s_mkdirs(const char *path, char **err_out)
{
    char *copy = *path ? strdup(path) : NULL;
    if (!copy)
        return s_err(err_out, "fs: cannot create \"%s\"", path);
    for (char *p = copy + 1; ; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            s_err(err_out, "fs: cannot create \"%s\": %s", copy, strerror(errno));
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

// Makes room for a file or link at dst: an existing file or link there is
// removed (never written through: a link in the destination must not send
// the copy elsewhere), a directory there is an error.
static int
s_make_room(const char *dst, const char *src, char **err_out)
{
    struct stat st;
    if (lstat(dst, &st) != 0)
        return errno == ENOENT ? 0 : s_err(err_out, "fs: cannot stat \"%s\": %s", dst,
                                           strerror(errno));
    if (S_ISDIR(st.st_mode))
        return s_err(err_out, "fs: cannot copy \"%s\": the destination \"%s\" is a "
                     "directory", src, dst);
    if (unlink(dst) != 0)
        return s_err(err_out, "fs: cannot replace \"%s\": %s", dst, strerror(errno));
    return 0;
}

// Copies src over dst, hashing the bytes written into hex.
static int
s_copy_file(const char *src, const char *dst, mode_t mode, bool follow, char hex[65],
            char **err_out)
{
    if (s_make_room(dst, src, err_out) != 0)
        return -1;
    int in = open(src, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    if (in < 0)
        return s_err(err_out, "fs: cannot open \"%s\": %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) {
        s_err(err_out, "fs: cannot create \"%s\": %s", dst, strerror(errno));
        close(in);
        return -1;
    }
    pk_sha256_t ctx;
    pk_sha256_init(&ctx);
    char *buf = malloc(S_CHUNK);
    int rc = buf ? 0 : s_err(err_out, "fs: cannot copy \"%s\": %s", src, strerror(ENOMEM));
    while (rc == 0) {
        ssize_t n = read(in, buf, S_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = s_err(err_out, "fs: cannot read \"%s\": %s", src, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        pk_sha256_update(&ctx, buf, (size_t) n);
        for (ssize_t off = 0; off < n && rc == 0; ) {
            ssize_t w = write(out, buf + off, (size_t) (n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                rc = s_err(err_out, "fs: cannot write \"%s\": %s", dst, strerror(errno));
            else
                off += w;
        }
    }
    free(buf);
    uint8_t digest[PK_SHA256_LEN];
    pk_sha256_final(&ctx, digest);
    pk_sha256_hex(digest, hex);
    if (rc == 0 && fchmod(out, mode & 0777) != 0)
        rc = s_err(err_out, "fs: cannot chmod \"%s\": %s", dst, strerror(errno));
    if (close(out) != 0 && rc == 0)
        rc = s_err(err_out, "fs: cannot write \"%s\": %s", dst, strerror(errno));
    close(in);
    return rc;
}

// Merges the tree at src into dst (PikoCI's `cp -r SRC/. DST/`): what is
// already in dst stays unless the tree has an entry of the same name. The
// hash of what was copied goes to hex.
static int
s_copy_tree(const char *src, const char *dst, char hex[65], char **err_out)
{
    s_tree_t tree = { .hash_files = false };
    int rc = s_tree_list(&tree, src, err_out);
    // Sorted order puts every directory before its contents.
    for (size_t i = 0; i < tree.count && rc == 0; i++) {
        s_entry_t *e = &tree.items[i];
        char *from = s_join(src, e->rel), *to = s_join(dst, e->rel);
        struct stat st;
        if (!from || !to)
            rc = s_err(err_out, "fs: %s: %s", dst, strerror(ENOMEM));
        else if (e->kind == 'd') {
            if (lstat(to, &st) == 0 && !S_ISDIR(st.st_mode))
                rc = s_err(err_out, "fs: cannot copy directory \"%s\": \"%s\" is in the way",
                           from, to);
            else if (mkdir(to, 0777) != 0 && errno != EEXIST)
                rc = s_err(err_out, "fs: cannot create \"%s\": %s", to, strerror(errno));
        }
        else if (e->kind == 'l') {
            if (s_make_room(to, from, err_out) != 0)
                rc = -1;
            else if (symlink(e->payload, to) != 0)
                rc = s_err(err_out, "fs: cannot create link \"%s\": %s", to, strerror(errno));
        }
        else {
            char got[65];
            rc = s_copy_file(from, to, e->mode, false, got, err_out);
            if (rc == 0 && !(e->payload = strdup(got)))
                rc = s_err(err_out, "fs: %s: %s", to, strerror(ENOMEM));
        }
        free(from);
        free(to);
    }
    if (rc == 0)
        s_tree_digest(&tree, hex);
    s_tree_free(&tree);
    return rc;
}

int
pk_fsres_pull(const char *path, const char *hash, const char *dest_dir, char **err_out)
{
    struct stat st;
    if (!path || !*path || !dest_dir || !*dest_dir)
        return s_err(err_out, "fs: pull needs a path and a destination");
    if (stat(path, &st) != 0)
        return s_err(err_out, "fs: cannot pull \"%s\": %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return s_err(err_out, "fs: \"%s\" is %s; an fs resource watches a file or a "
                     "directory", path, s_kind_name(st.st_mode));
    if (s_mkdirs(dest_dir, err_out) != 0)
        return -1;
    char got[65];
    int rc;
    if (S_ISREG(st.st_mode)) {
        char *tmp = strdup(path);
        char *target = tmp ? s_join(dest_dir, basename(tmp)) : NULL;
        free(tmp);
        if (!target)
            return s_err(err_out, "fs: %s: %s", path, strerror(ENOMEM));
        rc = s_copy_file(path, target, st.st_mode, true, got, err_out);
        free(target);
    }
    else
        rc = s_copy_tree(path, dest_dir, got, err_out);
    // the hash is of the bytes copied, so what the build got is the version
    if (rc == 0 && hash && strcmp(got, hash))
        rc = s_err(err_out, "fs: \"%s\" changed since version %.12s was found (now "
                   "%.12s); fs keeps no history, so only the current content can be "
                   "pulled", path, hash, got);
    return rc;
}
