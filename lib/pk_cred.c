// pk_cred: token files and the order a client looks for its token
// (pk_cred.h). A directory or file that someone else could read or replace
// is not trusted: /tmp is shared, and a token file planted by another user
// would make us talk as them, one readable by others leaks ours.
#include "pk_cred.h"
#include "pk_client.h"
#include "pk_curve.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool
pk_cred_in_build(void)
{
    const char *v = getenv(PK_CRED_BUILD_MARKER);
    return v && *v;
}

static char *
s_runtime_dir(void)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char *dir = NULL;
    if (xdg && *xdg && xdg[0] == '/') {
        if (asprintf(&dir, "%s/pikoci", xdg) < 0)
            dir = NULL;
    }
    else
    if (asprintf(&dir, "/tmp/pikoci-%d", (int) getuid()) < 0)
        dir = NULL;
    return dir;
}

char *
pk_cred_server_file(const char *endpoint)
{
    if (!endpoint || strncmp(endpoint, "tcp://", 6))
        return NULL;
    const char *host = endpoint + 6, *colon = strrchr(endpoint, ':');
    if (!colon || colon < host || !colon[1]
        || strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return NULL;
    // a broker beyond loopback: its exact host names the file, so the token
    // only ever goes back to the broker of the server that wrote it
    size_t hlen = (size_t) (colon - host);
    bool loopback = pk_curve_is_loopback(endpoint);
    if (!loopback && (!hlen || hlen > 253
                      || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789.-") < hlen))
        return NULL;
    char *dir = s_runtime_dir(), *path = NULL;
    if (dir && (loopback ? asprintf(&path, "%s/server-%s.token", dir, colon + 1)
                         : asprintf(&path, "%s/server-%.*s-%s.token", dir, (int) hlen, host,
                                    colon + 1)) < 0)
        path = NULL;
    free(dir);
    return path;
}

char *
pk_cred_login_file(const char *endpoint)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char *base = NULL, *path = NULL;
    if (xdg && *xdg && xdg[0] == '/')
        base = strdup(xdg);
    else
    if (!home || !*home || asprintf(&base, "%s/.config", home) < 0)
        base = NULL;
    if (!base)
        return NULL;
    char *name = strdup(endpoint ? endpoint : "");
    for (char *c = name; *c; c++)
        if (!isalnum((unsigned char) *c) && *c != '.' && *c != '-')
            *c = '_';
    if (asprintf(&path, "%s/pikoci/token-%s", base, name) < 0)
        path = NULL;
    free(name);
    free(base);
    return path;
}

// The directory of path, made (one level, and its parent) with mode 0700,
// and refused when it is not ours or others may write or read it.
static int
s_dir(const char *path, char **err)
{
    char *dir = strdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    char *parent = strdup(dir);
    char *ps = strrchr(parent, '/');
    if (ps && ps != parent) {
        *ps = 0;
        mkdir(parent, 0700);            // ~/.config may be missing
    }
    free(parent);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        if (asprintf(err, "cannot make %s: %s", dir, strerror(errno)) < 0)
            *err = NULL;
        free(dir);
        return -1;
    }
    struct stat st;
    int rc = 0;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()
        || (st.st_mode & 077)) {
        if (asprintf(err, "%s is not a private directory of this user (mode 0700): not used",
                     dir) < 0)
            *err = NULL;
        rc = -1;
    }
    free(dir);
    return rc;
}

// durable: fsync before the rename (the copy that must outlive a power cut);
// the runtime copy a server stages at each start needs not: it is written
// again by the next start and removed by this one's stop.
static int
s_write(const char *path, const char *token, bool durable, char **err)
{
    *err = NULL;
    if (s_dir(path, err) != 0)
        return -1;
    char *tmp = NULL;
    if (asprintf(&tmp, "%s.%d.tmp", path, (int) getpid()) < 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0
           && write(fd, token, strlen(token)) == (ssize_t) strlen(token)
           && write(fd, "\n", 1) == 1 && (!durable || fsync(fd) == 0);
    if (fd >= 0)
        close(fd);
    ok = ok && rename(tmp, path) == 0;
    if (!ok) {
        if (asprintf(err, "cannot write %s: %s", path, strerror(errno)) < 0)
            *err = NULL;
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

int
pk_cred_write(const char *path, const char *token, char **err)
{
    return s_write(path, token, true, err);
}

char *
pk_cred_stage(const char *token, char **err)
{
    *err = NULL;
    char *dir = s_runtime_dir(), *path = NULL;
    if (!dir || asprintf(&path, "%s/server-starting-%d.token", dir, (int) getpid()) < 0)
        path = NULL;
    free(dir);
    if (path && s_write(path, token, false, err) != 0) {
        free(path);
        path = NULL;
    }
    return path;
}

int
pk_cred_publish(const char *staged, const char *endpoint, char **path_out, char **err)
{
    *err = NULL;
    *path_out = NULL;
    char *path = pk_cred_server_file(endpoint);
    if (!path || rename(staged, path) != 0) {
        if (asprintf(err, "cannot write %s: %s", path ? path : "the token for the CLI",
                     path ? strerror(errno) : "not a tcp://HOST:PORT endpoint") < 0)
            *err = NULL;
        unlink(staged);
        free(path);
        return -1;
    }
    *path_out = path;
    return 0;
}

char *
pk_cred_read(const char *path, char **err)
{
    *err = NULL;
    if (!path)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid()
        || (st.st_mode & 077)) {
        if (asprintf(err, "%s is readable by others or not this user's: not used (chmod 600 it)",
                     path) < 0)
            *err = NULL;
        close(fd);
        return NULL;
    }
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    buf[strcspn(buf, "\r\n")] = 0;
    return buf[0] ? strdup(buf) : NULL;
}

char *
pk_cred_find(const char *endpoint, const char *explicit_token, const char **source_out)
{
    const char *dummy;
    const char **source = source_out ? source_out : &dummy;
    *source = NULL;
    if (explicit_token && *explicit_token) {
        *source = "--token";
        return strdup(explicit_token);
    }
    const char *env = getenv("PIKOCI_TOKEN");
    if (env && *env) {
        *source = "$PIKOCI_TOKEN";
        return strdup(env);
    }
    if (pk_cred_in_build())
        return NULL;
    char *err = NULL, *path = pk_cred_login_file(endpoint);
    char *token = pk_cred_read(path, &err);
    if (err)
        fprintf(stderr, "pikoci: %s\n", err);
    free(err);
    free(path);
    if (token) {
        *source = "login";
        return token;
    }
    path = pk_cred_server_file(endpoint);
    token = pk_cred_read(path, &err);
    if (err)
        fprintf(stderr, "pikoci: %s\n", err);
    free(err);
    free(path);
    if (token)
        *source = "the server's first-start token";
    return token;
}

void
pk_cred_apply(pk_client_t *client, const char *endpoint)
{
    char *token = client ? pk_cred_find(endpoint, NULL, NULL) : NULL;
    pk_client_set_token(client, token);
    if (token)
        explicit_bzero(token, strlen(token));
    free(token);
}
