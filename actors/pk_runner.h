// pk_runner: the runner actor. It connects a DEALER to a broker endpoint
// (inproc:// in one process, tcp:// from a worker machine -- the actor is
// given an endpoint, never a mode), announces itself with READY, heartbeats
// every second, and runs each WORK it receives (a build plan or a check) in
// its own executor thread, up to `slots` at once. Executors' LOG, STEP,
// STARTED, DONE and VERSIONS messages go back through the broker; CANCEL and
// CREDIT messages reach the executor they name by (id, attempt).
#ifndef PK_RUNNER_H
#define PK_RUNNER_H

// A runner's heartbeat interval, and the least silence a broker may take for
// a lost worker: a timeout at one beat turns every late beat into
// "unreachable" (with --worker-grace 0s: a lost worker and its builds).
#define PK_RUNNER_HEARTBEAT_MS 1000
#define PK_HEARTBEAT_TIMEOUT_MIN_MS (2 * PK_RUNNER_HEARTBEAT_MS)
#include <czmq.h>
#include "pk_curve.h"
#include "pk_proc.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    const char *name;         // worker name (the socket identity is it plus a random suffix)
    const char *endpoint;     // broker endpoint to connect to
    uint32_t slots;           // concurrent work items (default 1)
    const char *tags;         // comma-separated, may be NULL
    bool exclusive;           // take only tagged work
    const char *work_root;    // where per-build $WORKDIRs are made
    pk_curve_client_t curve;    // CURVE to a broker on another machine (optional)
    const pk_proc_user_t *run_as; // run every build process as this user (NULL: as we are)
    const char *token;        // the worker token sent in READY (pk_tokens.h); a
                              // broker over the network refuses a worker without one
} pk_runner_config_t;

// The work root is claimed for the actor's life (a shared lock) and work
// roots of dead runners beside it are removed
// (actors/runner_workroot.c). Every build process dies with the runner,
// even with kill -9 (PR_SET_PDEATHSIG).

// Starts the actor; returns NULL if the config is unusable. Destroy with
// zactor_destroy: running work is cancelled and its threads joined.
zactor_t *pk_runner_new(const pk_runner_config_t *config);

#endif
