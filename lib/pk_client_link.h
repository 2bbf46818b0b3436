// pk_client_link: how pk_client (pk_client.c) reaches the broker. The
// request/reply and event rules live once in pk_client.c; a link only moves
// whole messages. Each program links one implementation:
//   lib/pk_client_zmq.c  a libzmq DEALER: every transport, CURVE, heartbeats
//                        (pk_lib: the full program, tests, benchmarks);
//   tools/zmtp_link.c    ZMTP 3.1 with the NULL mechanism over a plain
//                        tcp:// or ipc:// socket, for the small `pikoci`
//                        front end, which must not load libzmq's and
//                        libczmq's ~30 shared libraries per command.
// Deadlines are pk_link_now() milliseconds (monotonic).
#ifndef PK_CLIENT_LINK_H
#define PK_CLIENT_LINK_H
#include <stdbool.h>
#include <stdint.h>
#include "pk_curve.h"
#include "pk_msg.h"

typedef struct _pk_link_t pk_link_t;

// Can this link reach endpoint with these settings?
bool pk_link_speaks(const char *endpoint, const pk_curve_client_t *curve);
// A link to endpoint, connecting asynchronously; NULL with *err (caller
// frees) on an unusable endpoint or unusable CURVE settings.
pk_link_t *pk_link_new(const char *endpoint, const pk_curve_client_t *curve, char **err);
void pk_link_destroy(pk_link_t **self_p);
// Wait until a connection exists: 0, or -1 at deadline.
int pk_link_wait(pk_link_t *self, int64_t deadline);
// How many connections the link has made (a HELLO is owed on each).
unsigned pk_link_epoch(pk_link_t *self);
// Send one message (the connection must exist): 0 or -1.
int pk_link_send(pk_link_t *self, const pk_msg_t *m, int64_t deadline);
// The next well-formed message before deadline: 0 (m filled), or -1.
int pk_link_recv(pk_link_t *self, pk_msg_t *m, int64_t deadline);
int64_t pk_link_now(void);

#endif
