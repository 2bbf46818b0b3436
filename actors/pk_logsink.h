// pk_logsink: the log sink actor, the only writer of the logs keyspaces
// (store/pk_logs.h). It connects a DEALER to the broker, says
// HELLO{role "logsink"}, and from then on receives every runner's LOG
// messages. It keeps them in memory only until the next group commit (every
// flush_ms, or at once when flush_bytes are waiting, a runner has used
// half its credit window, or nothing was committed for flush_ms: a build's
// first line is not held for the timer), and only after that commit
// returns does it give the
// runners their credit back and publish EVENT{topic "log.<id>",
// body {attempt, step, offset, data}} for live followers. So memory is
// bounded by the runners' credit, never by the size of a log, and a credit
// always means "stored". An empty LOG chunk is committed at once with
// everything pending: runners send one at the end of a build and report DONE
// only when all their credit is back, so a finished build's log is stored.
//
// Per (id, attempt) it expects LOG seq numbers in order: a seq already seen
// is a retransmit (dropped, but credited: it used a credit), a seq beyond
// the expected one is held back for a few seconds in case the missing ones
// come (a runner resends its uncredited window after a server or broker
// restart) and then, if they have not, stored as a gap (counted and
// logged). Malformed frames are dropped and counted.
//
// SIGNAL{to "logsink", what "append", args {id, attempt, text, step?}}
// (from the scheduler: "worker W lost at step S", "the server restarted...")
// appends text as a line of its own after everything the runner sent, and
// closes the log: the line is stored under seq PK_LOGSINK_SEQ_CLOSED (or
// the next one), so whatever the runner sends later for that attempt is a
// retransmit and is dropped.
//
// SIGNAL{to "logsink", what "forget", args {id, attempt}} (from the
// scheduler's retention collector): the build's log, attempts 1..attempt,
// is deleted, one attempt per write transaction.
#ifndef PK_LOGSINK_H
#define PK_LOGSINK_H
#include <czmq.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_curve.h"
#include "pk_store.h"

#define PK_LOGSINK_SEQ_CLOSED (UINT64_C(1) << 62)

typedef struct {
    const char *endpoint;     // broker endpoint
    pk_store_t *store;        // borrowed: must outlive the actor
    int flush_ms;             // commit at least this often (default 50)
    size_t flush_bytes;       // commit when this much waits (default 1 MiB)
    uint32_t flush_chunks;    // commit when one log has this many uncredited
                              // messages (default 8: half the runners'
                              // initial credit: they keep sending while
                              // we commit)
    pk_curve_client_t curve;  // CURVE to a broker on another machine (optional)
} pk_logsink_config_t;

// NULL when the config is unusable (no endpoint or store) or the store's
// log keyspaces cannot be opened. Pipe commands:
//   "FLUSH"  -> receive what has arrived, commit now: "ok" or "error <why>"
//   "STATS"  -> "chunks bytes dropped duplicates gaps pending commits errors"
//               (chunks/bytes accepted; pending = chunks not committed yet;
//               errors = failed commits)
//   "STATUS" -> "connected" once the broker has answered since our HELLO
//               (so LOG routed to the logsink reaches us), else "waiting"
//   "$TERM"  -> commit what is pending, then stop
zactor_t *pk_logsink_new(const pk_logsink_config_t *cfg);

#endif
