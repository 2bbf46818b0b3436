// pk_curve: CURVE (zcert) for links between hosts -- the few things every
// socket owner needs: load a certificate with an error a person can act on,
// make a socket a CURVE server or client, tell a loopback endpoint from one
// that reaches other machines, and (pk_curve_auth, lib/pk_curve_auth.c) the
// ZAP handler that lets in only the client keys of an allow directory.
//
// Certificates are czmq's zcert text files: `pikoci keygen` writes
// NAME.cert (public key) and NAME.cert_secret (both keys). Wherever a
// secret certificate is wanted either name may be given: zcert_load reads
// NAME.cert_secret when it is next to NAME.cert.
//
// Client settings travel as one small struct (pk_curve_client_t) in every
// actor config and in pk_client, so a socket that connects to a broker is
// made secure by one call right before its connect.
#ifndef PK_CURVE_H
#define PK_CURVE_H
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

// A connecting peer's CURVE settings; both NULL: plain (no CURVE).
typedef struct {
    const char *cert;         // this peer's secret certificate (NAME.cert_secret or NAME.cert)
    const char *server_key;   // the server's public key: 40 Z85 characters, or its .cert file
} pk_curve_client_t;

// Load the certificate at path. need_secret: refuse one without a secret
// key. NULL with *err (caller frees) on a missing file, a file that is not
// a certificate, or a missing secret key.
zcert_t *pk_curve_cert_load(const char *path, bool need_secret, char **err);

// The server public key given as Z85 text or as a certificate file, into
// key_out (40 characters and NUL). 0, or -1 with *err (caller frees).
int pk_curve_server_key(const char *key_or_path, char key_out[41], char **err);

// Make sock a CURVE server with cert (which has a secret key). Call before
// bind, and only once a ZAP handler runs (pk_curve_auth_new): without one
// libzmq lets every client key in.
void pk_curve_apply_server(zsock_t *sock, zcert_t *cert);

// Make sock a CURVE client per curve, before its connect. Nothing to do
// (curve NULL or both fields NULL): 0. One field without the other, or a
// field that does not load: -1 with *err (caller frees). Either way a send
// on sock never blocks for want of a peer (a send timeout of 0 unless one
// was set) and ZMTP heartbeats notice a dead link within seconds.
int pk_curve_apply_client(zsock_t *sock, const pk_curve_client_t *curve, char **err);

// Are client settings given, and are they usable? pk_curve_client_check
// loads both and says what is wrong (0, or -1 with *err; caller frees) so
// a command can refuse to start instead of an actor failing later.
bool pk_curve_client_set(const pk_curve_client_t *curve);
int pk_curve_client_check(const pk_curve_client_t *curve, char **err);

// Does endpoint stay on this machine? tcp://127.x.x.x, tcp://localhost,
// tcp://[::1], ipc:// and inproc:// do; a wildcard (tcp://*, 0.0.0.0, [::])
// or any other address does not.
bool pk_curve_is_loopback(const char *endpoint);

// --- the ZAP handler (pk_curve_auth.c)

typedef struct _pk_curve_auth_t pk_curve_auth_t;

// Bind the process's ZAP endpoint and accept CURVE clients whose public key
// is in a certificate file in allow_dir (re-read when the directory
// changes, so keys can be added while it runs). Each refused key is logged
// once, in Z85, with the file to add. Refusals are ZAP 300 (temporary):
// the client is dropped when the server socket's handshake interval ends
// and retries, so set a short one (zsock_set_handshake_ivl) on the server. One per process (libzmq has one ZAP
// endpoint per context): NULL with *err (caller frees) when the directory
// is unusable or another handler is bound.
pk_curve_auth_t *pk_curve_auth_new(const char *allow_dir, const char *who, char **err);
void pk_curve_auth_destroy(pk_curve_auth_t **self_p);

// The REP socket to poll; call pk_curve_auth_handle when it is readable.
zsock_t *pk_curve_auth_socket(pk_curve_auth_t *self);
void pk_curve_auth_handle(pk_curve_auth_t *self);

// Connections refused so far (a client retrying counts each time).
uint64_t pk_curve_auth_rejected(pk_curve_auth_t *self);
// Is the client key (Z85) still in the allow directory? For revocation:
// the owner asks about the keys of its live sessions now and then.
bool pk_curve_auth_allows(pk_curve_auth_t *self, const char *key);
uint64_t pk_curve_auth_accepted(pk_curve_auth_t *self);

#endif
