// pikoci keygen: a CURVE certificate pair for a broker, a worker or a CLI
// user (lib/pk_curve.h). The two files are created with O_EXCL before czmq
// writes them, so an existing key is never overwritten and the secret file
// is 0600 from its first byte rather than chmod-ed after the fact.
#include "pk_cmds.h"
#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci keygen [--output DIR] [NAME]\n\n"
        "Writes a CURVE certificate pair for links between machines:\n"
        "  DIR/NAME.cert         the public key: give it to the other side (a broker lets\n"
        "                        in a client whose NAME.cert is in its --curve-allow\n"
        "                        directory; clients name the broker's with\n"
        "                        --curve-server-key)\n"
        "  DIR/NAME.cert_secret  the secret key (mode 0600): stays on this machine; pass\n"
        "                        it (or NAME.cert next to it) to --curve-cert\n"
        "and prints the public key. Existing files are never overwritten.\n\n"
        "options:\n"
        "  --output DIR  where to write (default: the current directory; made if missing)\n"
        "  NAME          the files' name: letters, digits, '.', '_', '-' (default: this\n"
        "                host's name)\n\n"
        "exit status: 0 written, 1 a file exists or cannot be written, 2 bad options\n");
}

static bool
s_valid_name(const char *name)
{
    if (!*name || *name == '.' || strlen(name) > 200)
        return false;           // zcertstore skips dot files: such a key could not be allowed
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char) *p) && !strchr("._-", *p))
            return false;
    return true;
}

// Create path empty with mode, failing if it exists. 0 or -1 (printed).
static int
s_create(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "pikoci keygen: %s %s\n", path,
                errno == EEXIST ? "exists: refusing to overwrite a key" : strerror(errno));
        return -1;
    }
    close(fd);
    return 0;
}

int
pk_cmd_keygen(int argc, char **argv)
{
    const char *dir = ".", *name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--output")) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fprintf(stderr, "pikoci keygen: --output needs a directory\n");
                return 2;
            }
            dir = argv[++i];
            continue;
        }
        if (a[0] == '-' || name) {
            fprintf(stderr, "pikoci keygen: unexpected %s %s (see pikoci keygen --help)\n",
                    a[0] == '-' ? "option" : "argument", a);
            return 2;
        }
        name = a;
    }
    char host[256] = "pikoci";
    if (!name) {
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = 0;
        name = host;
    }
    if (!s_valid_name(name)) {
        fprintf(stderr, "pikoci keygen: \"%s\" is not a usable name: letters, digits, '.', "
                "'_' and '-', not starting with '.'\n", name);
        return 2;
    }
    if (!zsys_has_curve()) {
        fprintf(stderr, "pikoci keygen: this libzmq was built without CURVE support\n");
        return 1;
    }
    if (zsys_dir_create("%s", dir) != 0) {
        fprintf(stderr, "pikoci keygen: cannot make the directory %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char pub[PATH_MAX], sec[PATH_MAX + 8];
    snprintf(pub, sizeof pub, "%s/%s.cert", dir, name);
    snprintf(sec, sizeof sec, "%s_secret", pub);
    if (s_create(sec, 0600) != 0)
        return 1;
    if (s_create(pub, 0644) != 0) {
        unlink(sec);
        return 1;
    }
    zcert_t *cert = zcert_new();
    zcert_set_meta(cert, "name", "%s", name);
    zcert_set_meta(cert, "created-by", "pikoci keygen");
    const char *failed = zcert_save_secret(cert, sec) != 0 ? sec
                       : zcert_save_public(cert, pub) != 0 ? pub : NULL;
    if (failed) {
        fprintf(stderr, "pikoci keygen: cannot write %s: %s\n", failed, strerror(errno));
        unlink(pub);
        unlink(sec);
        zcert_destroy(&cert);
        return 1;
    }
    printf("wrote %s (public: give it to the other side)\n", pub);
    printf("wrote %s (secret: keep it on this machine; pass it to --curve-cert)\n", sec);
    printf("public key: %s\n", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return 0;
}
