// pk_tokens: token files and the worker token list (pk_tokens.h). Files are
// written whole to a temporary name and linked into place, so two processes
// starting together agree on one token: the loser of link() reads the
// winner's file.
#include "pk_tokens.h"
#include "pk_sha256.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static char *s_server_token;

void
pk_server_token_set(const char *token)
{
    free(s_server_token);
    s_server_token = token ? strdup(token) : NULL;
}

const char *
pk_server_token(void)
{
    return s_server_token;
}

static void
s_fail(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
}

char *
pk_path_join(const char *dir, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", dir, name) < 0)
        p = NULL;
    return p;
}

char *
pk_runtime_dir(char **err)
{
    const char *env = getenv("PIKOCI_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
    char *dir = NULL;
    int rc;
    if (env && *env)
        rc = asprintf(&dir, "%s", env);
    else
    if (xdg && *xdg)
        rc = asprintf(&dir, "%s/pikoci", xdg);
    else
        rc = asprintf(&dir, "/tmp/pikoci-%u", (unsigned) getuid());
    if (rc < 0)
        return NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        s_fail(err, "cannot make the runtime dir %s: %s", dir, strerror(errno));
        free(dir);
        return NULL;
    }
    struct stat st;
    // in /tmp anyone could have made it first: only a dir of ours, closed to others
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()
        || (st.st_mode & 077)) {
        s_fail(err, "the runtime dir %s is not a directory of this user closed to others "
               "(mode 0700); set $PIKOCI_RUNTIME_DIR", dir);
        free(dir);
        return NULL;
    }
    return dir;
}

char *
pk_token_new(const char *prefix)
{
    unsigned char raw[32];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n > 0)
            got += (size_t) n;
        else
        if (errno != EINTR)
            abort();            // no randomness: no token worth making
    }
    size_t plen = strlen(prefix);
    char *t = malloc(plen + 2 * sizeof raw + 1);
    memcpy(t, prefix, plen);
    for (size_t i = 0; i < sizeof raw; i++)
        sprintf(t + plen + 2 * i, "%02x", raw[i]);
    return t;
}

// Write text to path atomically, 0600; 0 (also when another process won
// the race: its file stays), -1 with errno.
static int
s_write_new(const char *path, const char *text)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t) len && fsync(fd) == 0;
    close(fd);
    int rc = ok && (link(tmp, path) == 0 || errno == EEXIST) ? 0 : -1;
    int saved = errno;
    unlink(tmp);
    errno = saved;
    return rc;
}

char *
pk_token_file(const char *path, bool create, const char *prefix, char **err)
{
    FILE *f = fopen(path, "re");
    if (!f && errno == ENOENT && create) {
        char *t = pk_token_new(prefix), *line = NULL;
        if (asprintf(&line, "%s\n", t) < 0)
            line = NULL;
        int rc = line ? s_write_new(path, line) : -1;
        free(t);
        free(line);
        if (rc != 0) {
            s_fail(err, "cannot write %s: %s", path, strerror(errno));
            return NULL;
        }
        f = fopen(path, "re");
    }
    if (!f) {
        s_fail(err, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char buf[512] = "";
    if (!fgets(buf, sizeof buf, f))
        buf[0] = 0;
    fclose(f);
    buf[strcspn(buf, " \t\r\n")] = 0;
    if (!*buf) {
        s_fail(err, "%s holds no token", path);
        return NULL;
    }
    return strdup(buf);
}

static void
s_hash(const char *token, char hex[PK_SHA256_HEX_LEN + 1])
{
    pk_sha256_t h;
    uint8_t d[PK_SHA256_LEN];
    pk_sha256_init(&h);
    pk_sha256_update(&h, token, strlen(token));
    pk_sha256_final(&h, d);
    pk_sha256_hex(d, hex);
}

int
pk_tokens_defaults(const char *dir, char **err)
{
    char *sp = pk_path_join(dir, PK_TOKENS_SERVER_FILE);
    char *wp = pk_path_join(dir, PK_TOKENS_WORKER_FILE);
    char *lp = pk_path_join(dir, PK_TOKENS_LIST_FILE);
    char *st = pk_token_file(sp, true, "pks_", err);
    char *wt = st ? pk_token_file(wp, true, "pkw_", err) : NULL;
    int rc = wt ? 0 : -1;
    if (wt && access(lp, F_OK) != 0) {
        // derived from worker.token alone, so racing processes write the same
        char hex[PK_SHA256_HEX_LEN + 1], *text = NULL;
        s_hash(wt, hex);
        if (asprintf(&text, "# worker tokens: <sha256 of the token> <team, or * for every "
                     "team> [label]\n%s * local\n", hex) < 0)
            text = NULL;
        if (!text || s_write_new(lp, text) != 0) {
            s_fail(err, "cannot write %s: %s", lp, strerror(errno));
            rc = -1;
        }
        free(text);
    }
    free(st);
    free(wt);
    free(sp);
    free(wp);
    free(lp);
    return rc;
}

int
pk_worker_tokens_add(const char *path, const char *token, const char *team, const char *label,
                     char **err)
{
    char hex[PK_SHA256_HEX_LEN + 1];
    s_hash(token, hex);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        s_fail(err, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int n = snprintf(line, sizeof line, "%s %s%s%s\n", hex, team && *team ? team : "*",
                     label && *label ? " " : "", label ? label : "");
    bool ok = n > 0 && (size_t) n < sizeof line && write(fd, line, (size_t) n) == n;
    close(fd);
    if (!ok) {
        s_fail(err, "cannot write %s", path);
        return -1;
    }
    return 0;
}

bool
pk_token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char) (a[i] ^ b[i]);
    return diff == 0;
}

typedef struct {
    char hash[PK_SHA256_HEX_LEN + 1];
    char *team;
} s_entry_t;

struct _pk_worker_tokens_t {
    char *path;
    struct timespec mtime;
    off_t size;
    bool loaded;
    char *error;
    s_entry_t *entries;
    size_t count;
};

pk_worker_tokens_t *
pk_worker_tokens_new(const char *path)
{
    pk_worker_tokens_t *self = calloc(1, sizeof *self);
    self->path = strdup(path);
    return self;
}

static void
s_clear(pk_worker_tokens_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free(self->entries[i].team);
    free(self->entries);
    self->entries = NULL;
    self->count = 0;
    free(self->error);
    self->error = NULL;
}

void
pk_worker_tokens_destroy(pk_worker_tokens_t **self_p)
{
    pk_worker_tokens_t *self = *self_p;
    if (!self)
        return;
    s_clear(self);
    free(self->path);
    free(self);
    *self_p = NULL;
}

static void
s_reload(pk_worker_tokens_t *self)
{
    struct stat st;
    if (stat(self->path, &st) != 0) {
        s_clear(self);
        self->loaded = false;
        s_fail(&self->error, "the worker token list %s cannot be read: %s", self->path,
               strerror(errno));
        return;
    }
    if (self->loaded && st.st_size == self->size && st.st_mtim.tv_sec == self->mtime.tv_sec
        && st.st_mtim.tv_nsec == self->mtime.tv_nsec)
        return;
    s_clear(self);
    FILE *f = fopen(self->path, "re");
    if (!f) {
        s_fail(&self->error, "the worker token list %s cannot be read: %s", self->path,
               strerror(errno));
        return;
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char hash[128], team[256];
        if (line[0] == '#' || sscanf(line, "%127s %255s", hash, team) != 2
            || strlen(hash) != PK_SHA256_HEX_LEN)
            continue;
        self->entries = realloc(self->entries, (self->count + 1) * sizeof(s_entry_t));
        s_entry_t *e = &self->entries[self->count++];
        memcpy(e->hash, hash, sizeof e->hash);
        e->team = strdup(strcmp(team, "*") ? team : "");
    }
    fclose(f);
    self->loaded = true;
    self->size = st.st_size;
    self->mtime = st.st_mtim;
}

int
pk_worker_tokens_check(pk_worker_tokens_t *self, const char *token, const char **team,
                       const char **why)
{
    *why = NULL;
    s_reload(self);
    if (self->error) {
        *why = self->error;
        return -1;
    }
    if (!token || !*token) {
        *why = "no worker token";
        return -1;
    }
    char hex[PK_SHA256_HEX_LEN + 1];
    s_hash(token, hex);
    for (size_t i = 0; i < self->count; i++)
        if (pk_token_equal(hex, self->entries[i].hash)) {
            *team = self->entries[i].team;
            return 0;
        }
    *why = "the worker token is not in the broker's list";
    return -1;
}

int
pk_tokens_setup(const char *list_opt, const char *token_opt, char **list_path,
                char **server_token, char **err)
{
    *list_path = *server_token = NULL;
    char *dir = NULL;
    if (!list_opt || !token_opt) {
        if (!(dir = pk_runtime_dir(err)) || pk_tokens_defaults(dir, err) != 0) {
            free(dir);
            return -1;
        }
    }
    if (list_opt && access(list_opt, R_OK) != 0) {
        s_fail(err, "--worker-tokens %s: %s", list_opt, strerror(errno));
        free(dir);
        return -1;
    }
    *list_path = list_opt ? strdup(list_opt) : pk_path_join(dir, PK_TOKENS_LIST_FILE);
    char *tp = token_opt ? strdup(token_opt) : pk_path_join(dir, PK_TOKENS_SERVER_FILE);
    *server_token = pk_token_file(tp, false, "", err);
    free(tp);
    free(dir);
    if (!*server_token) {
        free(*list_path);
        *list_path = NULL;
        return -1;
    }
    return 0;
}

char *
pk_worker_token_find(const char *file_opt, char **err)
{
    *err = NULL;
    if (file_opt)
        return pk_token_file(file_opt, false, "", err);
    const char *env = getenv("PIKOCI_WORKER_TOKEN");
    if (env && *env)
        return strdup(env);
    char *dir = pk_runtime_dir(err);
    if (!dir) {
        free(*err);
        *err = NULL;
        return NULL;
    }
    char *path = pk_path_join(dir, PK_TOKENS_WORKER_FILE);
    char *t = access(path, F_OK) == 0 ? pk_token_file(path, false, "", err) : NULL;
    free(path);
    free(dir);
    return t;
}
