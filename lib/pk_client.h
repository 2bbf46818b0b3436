// pk_client: the client side of the broker's REQUEST/REPLY and EVENT
// traffic, for the CLI, `pikoci server --pipeline-config` and tests.
//
// One DEALER connected to the broker (inproc:// or tcp://), used from one
// thread. Requests are synchronous: a request waits for the REPLY carrying
// its rid; EVENTs (after pk_client_subscribe) that arrive meanwhile are kept
// in order for pk_client_event, and stale REPLYs (of a request that timed
// out) are dropped. The socket is ZMQ_IMMEDIATE: nothing queues before a
// connection exists, so "the server cannot be reached" is told apart from
// "the server did not answer" (pk_client_connect, pk_client_error).
#ifndef PK_CLIENT_H
#define PK_CLIENT_H
#include <stddef.h>
#include <stdint.h>
#include "pk_curve.h"
#include "pk_msg.h"

typedef struct _pk_client_t pk_client_t;

// A client of the broker at endpoint. Connecting is asynchronous: this
// fails only on an unusable endpoint (NULL, *err set when err is not NULL;
// caller frees). HELLO{role "client"} goes out with the first message.
pk_client_t *pk_client_new(const char *endpoint, char **err);
// The same over CURVE when curve has settings (a broker listening beyond
// loopback requires it): this client's secret certificate and the broker's
// public key. Unusable settings fail here with *err saying why. A server
// that refuses the key, or a wrong server key, looks like a server that
// cannot be reached: the connection never completes.
pk_client_t *pk_client_new_secure(const char *endpoint, const pk_curve_client_t *curve,
                                  char **err);
void pk_client_destroy(pk_client_t **self_p);
// Can this program's client reach endpoint with these settings itself? The
// full program's can always; the small `pikoci` front end's speaks plain
// ZMTP over tcp:// and ipc:// only, and hands anything else (CURVE, another
// transport) to the full program (pk_client_link.h).
bool pk_client_speaks(const char *endpoint, const pk_curve_client_t *curve);

// Wait up to timeout_ms for the connection to exist: 0, or -1 (nothing
// listens there yet). Optional: requests wait for it themselves, within
// their own timeout.
int pk_client_connect(pk_client_t *self, int timeout_ms);

// Send REQUEST{op, args, body} and wait for its REPLY.
//   0  ok: *body_out is the reply's packed msgpack object (NULL, size 0 when
//      the reply had none); caller frees.
//   1  refused: *error_out is the server's reason (caller frees); *body_out
//      may be set too (e.g. {errors: [...]} of an invalid pipeline).
//  -1  no reply within timeout_ms (or no connection): nothing is set in
//      the out parameters; pk_client_error says which.
// args and body (one packed msgpack object, or NULL/0) are only read.
// body_out/size_out/error_out may be NULL when not wanted.
int pk_client_request(pk_client_t *self, const char *op, const pk_kv_t *args,
                      const void *body, size_t body_size, int timeout_ms,
                      uint8_t **body_out, size_t *size_out, char **error_out);

// The same in two halves, so that several requests can be in flight (a
// reader asking for the next piece of a log before the last arrives):
// pk_client_send sends REQUEST and sets *rid_out (0, or -1 as above);
// pk_client_reply waits for the REPLY of rid, with pk_client_request's
// results. The server answers in the order it was asked, and a REPLY that
// is not rid's is dropped while waiting: collect in the order sent.
int pk_client_send(pk_client_t *self, const char *op, const pk_kv_t *args, const void *body,
                   size_t body_size, int timeout_ms, uint64_t *rid_out);
int pk_client_reply(pk_client_t *self, uint64_t rid, int timeout_ms, uint8_t **body_out,
                    size_t *size_out, char **error_out);

// Subscribe to EVENTs whose topic starts with prefix ("" = all). *seq_out
// (may be NULL): the broker's event sequence number at that moment; events
// after it follow. 0, or -1 (no answer within 5 s).
int pk_client_subscribe(pk_client_t *self, const char *prefix, uint64_t *seq_out);

// The next EVENT (kept ones first): 0 with *event_out filled (free with
// pk_msg_clear), or -1 when none arrives within timeout_ms (0: do not wait).
int pk_client_event(pk_client_t *self, int timeout_ms, pk_msg_t *event_out);

// Why the last call failed ("cannot reach tcp://...", "no answer from ...
// within 5000 ms"); "" when it did not. Borrowed, valid until the next call.
const char *pk_client_error(pk_client_t *self);
// The API token every later REQUEST carries (copied; NULL or "": none, an
// anonymous caller, whom a server refuses).
void pk_client_set_token(pk_client_t *self, const char *token);
// Was the last request refused for who we are (no token, a revoked one, or
// a role too small)? Such a refusal is also a 1 of pk_client_request.
bool pk_client_denied(pk_client_t *self);
const char *pk_client_endpoint(pk_client_t *self);

#endif
