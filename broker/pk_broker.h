// pk_broker: the broker actor, the one socket everything talks through.
//
// A ROUTER bound on an inproc endpoint (actors in the same process) and
// optionally a tcp one (workers, the CLI, pikoci-top on other machines): the
// same messages either way. Peers say who they are first -- runners with
// READY, actors with HELLO{role} -- and the broker routes by message type:
//   WORK (from scheduler/checker)  -> a runner whose tags include the work's
//                                     tags and that has a free slot, fairly;
//                                     work nobody can take waits, visible
//   STARTED, STEP, DONE, VERSIONS  -> the role that sent the work
//   LOG -> logsink;  CREDIT, CANCEL -> the runner holding the work
//   REQUEST (from clients) -> control, REPLY -> back to that client; the
//     broker answers five ops itself: subscribe {prefix} -> {seq},
//     broker.workers -> [{name, tags, slots, busy, exclusive,
//     heartbeat_age_ms, state (healthy, unreachable, lost), team}],
//     broker.workers.prune -> {pruned} (forgets lost workers now; they are
//     forgotten by themselves after lost_retention_ms), broker.pending ->
//     [{id, attempt, tags, waiting_ms}], broker.stats -> {workers, pending,
//     dropped, events, rejected, refused}
//   SIGNAL{to} (actor to actor) -> the actor with that role
//   EVENT (from anyone) -> every client subscribed to a matching topic prefix,
//                          stamped with one global sequence number
// Runners heartbeat; one silent for heartbeat_timeout_ms is shown
// unreachable and gets no new work, but keeps its work for worker_grace_ms:
// when it comes back (READY with what it holds) it carries on. Only after
// the grace is it lost: work it started is reported back to its sender as
// errored ("worker W lost"), work it never started goes to another worker.
// A stall of the broker itself (a gap in its own timer) counts against no
// worker.
// Malformed frames are dropped and counted, never fatal.
//
// Between hosts the tcp listener is a CURVE server (curve_cert) that lets in
// only the client keys of curve_allow (a ZAP handler, lib/pk_curve.h); the
// inproc endpoint stays plain. A listen address that is not loopback
// without both is refused before anything binds.
//
// Trust (broker.c has the rules): inproc peers are the server; a network
// peer gets a server role only with server_token, registers as a worker
// only with a token listed in worker_tokens (which also binds it to a team),
// and otherwise may only say HELLO{client} and REQUEST.
#ifndef PK_BROKER_H
#define PK_BROKER_H
#include <czmq.h>

// What `pikoci broker` and `pikoci server` give workers by default (as
// Buildkite's agents get about 3 minutes).
#define PK_WORKER_GRACE_MS 180000

typedef struct {
    const char *inproc;           // "inproc://..." for in-process actors (may be NULL)
    const char *listen;           // "tcp://127.0.0.1:7650" (may be NULL; port may be *)
    int heartbeat_timeout_ms;     // default 3000
    int64_t worker_grace_ms;      // 0: none (lost as soon as unreachable); the CLI's 180 s
    int64_t lost_retention_ms;    // a lost worker is forgotten after this (0: an hour)
    const char *curve_cert;       // the broker's secret certificate (may be NULL)
    const char *curve_allow;      // directory of allowed clients' public certificates
    const char *server_token;     // a network HELLO for a server role must carry it
                                  // (NULL: server roles only from inproc)
    const char *worker_tokens;    // the worker token list file (pk_tokens.h; NULL: no
                                  // worker over the network)
    int hold_ms;                  // a REQUEST for control that comes before control's
                                  // first HELLO waits up to this long for it (the
                                  // server's listener is bound before its actors
                                  // start); 0: refused at once
    bool trust_network;           // every network peer is trusted as the server's own:
                                  // only for tests of other actors over tcp
} pk_broker_config_t;

// Is the config usable as far as can be told without binding: CURVE set
// up right (both or neither, files that load), and CURVE present when the
// listen address is not loopback. 0, or -1 with *reason (caller frees).
int pk_broker_config_check(const pk_broker_config_t *config, char **reason);

// NULL when the config fails pk_broker_config_check or an endpoint cannot
// be bound (the reason is logged).
// Pipe commands: "ENDPOINT" -> the bound tcp endpoint (string reply);
// "AWAIT role role..." -> "ready" once each role has said HELLO (at once when
// they all have; the caller bounds the wait with a receive timeout);
// "STATS" -> "workers pending dropped events rejected refused" as a string
// (rejected: connections refused for an unknown CURVE key; refused:
// messages refused because of who sent them).
zactor_t *pk_broker_new(const pk_broker_config_t *config);

#endif
