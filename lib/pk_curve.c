// pk_curve: certificates, CURVE socket settings and the loopback test (see
// pk_curve.h). Certificates are read here rather than with zcert_load, so
// each way a file can be wrong (missing, not a small regular file, no valid
// public key, no secret key) gets its own message.
#include "pk_curve.h"
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_CERT_MAX_BYTES (64 * 1024)      // a zcert file is a few hundred bytes

static void
s_err(char **err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) < 0)
        *err = NULL;
    va_end(ap);
}

// The file's text, when it is a small regular file: 0, or -1 (*err).
static int
s_slurp(const char *path, zchunk_t **out, char **err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        s_err(err, "cannot read the certificate %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > S_CERT_MAX_BYTES) {
        s_err(err, "%s is not a certificate (make one with `pikoci keygen`)", path);
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        s_err(err, "cannot read the certificate %s: %s", path, strerror(errno));
        return -1;
    }
    char buf[S_CERT_MAX_BYTES];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    *out = zchunk_new(buf, n);
    return 0;
}

// A key value of a zcert file: 40 Z85 characters decoded into key, or false.
static bool
s_key(zconfig_t *root, const char *path, byte key[32])
{
    const char *text = zconfig_get(root, path, NULL);
    return text && strlen(text) == 40 && zmq_z85_decode(key, text) != NULL;
}

// zcert_load's file rules (NAME_secret is read instead of NAME when it is
// there), done here because czmq 4.2.1's zconfig_load leaks on a file that
// does not parse and zcert_load says nothing about why it failed.
zcert_t *
pk_curve_cert_load(const char *path, bool need_secret, char **err)
{
    if (err)
        *err = NULL;
    if (!path || !*path) {
        s_err(err, "no certificate file given");
        return NULL;
    }
    if (!zsys_has_curve()) {
        s_err(err, "this libzmq was built without CURVE support");
        return NULL;
    }
    char *secret_path = NULL;
    if (asprintf(&secret_path, "%s_secret", path) < 0)
        return NULL;
    struct stat st;
    const char *read_path = stat(secret_path, &st) == 0 ? secret_path : path;
    zchunk_t *text = NULL;
    int rc = s_slurp(path, &text, err);         // the name given must exist itself
    zchunk_destroy(&text);
    if (rc == 0)
        rc = s_slurp(read_path, &text, err);
    zconfig_t *root = rc == 0 ? zconfig_chunk_load(text) : NULL;
    zchunk_destroy(&text);
    byte public_key[32] = { 0 }, secret_key[32] = { 0 };
    zcert_t *cert = NULL;
    if (rc != 0)
        ;
    else
    if (!root || !s_key(root, "/curve/public-key", public_key))
        s_err(err, "%s is not a certificate (no valid curve public-key; make one with "
              "`pikoci keygen`)", read_path);
    else
    if (!s_key(root, "/curve/secret-key", secret_key) && need_secret)
        s_err(err, "%s has no secret key: give the NAME.cert_secret file `pikoci keygen` "
              "wrote (or NAME.cert next to it)", path);
    else
        cert = zcert_new_from(public_key, secret_key);
    zconfig_destroy(&root);
    free(secret_path);
    return cert;
}

static bool
s_is_z85_key(const char *s)
{
    if (strlen(s) != 40)
        return false;
    byte key[32];
    return zmq_z85_decode(key, s) != NULL;
}

int
pk_curve_server_key(const char *key_or_path, char key_out[41], char **err)
{
    if (err)
        *err = NULL;
    key_out[0] = 0;
    if (!key_or_path || !*key_or_path) {
        s_err(err, "no server key given");
        return -1;
    }
    struct stat st;
    if (stat(key_or_path, &st) != 0 && s_is_z85_key(key_or_path)) {
        memcpy(key_out, key_or_path, 41);
        return 0;
    }
    if (stat(key_or_path, &st) != 0) {
        s_err(err, "the server key \"%s\" is neither a public key (40 Z85 characters) nor "
              "a readable certificate file", key_or_path);
        return -1;
    }
    zcert_t *cert = pk_curve_cert_load(key_or_path, false, err);
    if (!cert)
        return -1;
    snprintf(key_out, 41, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return 0;
}

void
pk_curve_apply_server(zsock_t *sock, zcert_t *cert)
{
    zcert_apply(cert, sock);
    zsock_set_curve_server(sock, 1);
    zsock_set_zap_domain(sock, "pikoci");
}

// Both parts loaded: the client's certificate and the server's key.
static zcert_t *
s_client_load(const pk_curve_client_t *curve, char key[41], char **err)
{
    bool has_cert = curve->cert && *curve->cert;
    bool has_key = curve->server_key && *curve->server_key;
    if (!has_cert || !has_key) {
        s_err(err, has_cert ? "a CURVE certificate needs the server's public key too "
                              "(--curve-server-key KEY|FILE)"
                            : "a CURVE server key needs this side's certificate too "
                              "(--curve-cert FILE; make one with `pikoci keygen`)");
        return NULL;
    }
    if (pk_curve_server_key(curve->server_key, key, err) != 0)
        return NULL;
    return pk_curve_cert_load(curve->cert, true, err);
}

int
pk_curve_client_check(const pk_curve_client_t *curve, char **err)
{
    if (err)
        *err = NULL;
    if (!pk_curve_client_set(curve))
        return 0;
    char key[41];
    zcert_t *cert = s_client_load(curve, key, err);
    int rc = cert ? 0 : -1;
    zcert_destroy(&cert);
    return rc;
}

int
pk_curve_apply_client(zsock_t *sock, const pk_curve_client_t *curve, char **err)
{
    if (err)
        *err = NULL;
    // every link to the broker: a send never waits for a peer that may
    // never come (a handshake the broker refuses for good leaves the
    // socket without one, and an actor blocked there ignores $TERM, so the
    // process ignores SIGTERM); with no limit on the queue that is the only
    // way a send fails. Sockets that chose their own timeout keep it.
    if (zsock_sndtimeo(sock) < 0)
        zsock_set_sndtimeo(sock, 0);
    // ZMTP heartbeats: a broker cut off by the network is noticed within
    // seconds (and the socket reconnects) instead of TCP's quarter hour
    zsock_set_heartbeat_ivl(sock, 1000);
    zsock_set_heartbeat_timeout(sock, 5000);
    if (!pk_curve_client_set(curve))
        return 0;
    char key[41];
    zcert_t *cert = s_client_load(curve, key, err);
    if (!cert)
        return -1;
    zcert_apply(cert, sock);
    zsock_set_curve_serverkey(sock, key);
    zcert_destroy(&cert);
    return 0;
}
