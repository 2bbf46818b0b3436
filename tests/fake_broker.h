// fake_broker: the test plays the broker for one runner actor -- a ROUTER
// the runner connects to -- and talks to it in real messages over real
// ZeroMQ (inproc or tcp loopback). Shared by the runner actor's tests.
#ifndef FAKE_BROKER_H
#define FAKE_BROKER_H
#include <stdbool.h>
#include <stddef.h>
#include <czmq.h>
#include "pk_msg.h"
#include "pk_runner.h"

typedef struct {
    zsock_t *router;
    zactor_t *runner;
    zframe_t *peer;          // routing id of the runner, from its first message
    char endpoint[256];      // where the ROUTER is bound (a tcp :* resolved)
    char done_reason[256];   // the last DONE's reason, for failure messages
} fake_broker_t;

// Binds the ROUTER at bind and starts a runner with cfg pointed at it; waits
// for its READY, given back in *ready (caller clears) or dropped if NULL.
void fake_broker_start(fake_broker_t *f, const char *bind, pk_runner_config_t cfg,
                       pk_msg_t *ready);
// The next message from the runner within timeout_ms, heartbeats skipped
// unless wanted; false on timeout.
bool fake_broker_recv(fake_broker_t *f, pk_msg_t *m, int timeout_ms, bool want_heartbeats);
void fake_broker_send(fake_broker_t *f, const pk_msg_t *m);
// Sends WORK (attempt 1) of kind with the plan given as JSON.
void fake_broker_work(fake_broker_t *f, const char *id, const char *kind,
                      const char *plan_json);
// Collects until DONE for id, granting a credit per LOG like the log sink;
// the log text (caller frees), the DONE's status in status (its reason
// in f->done_reason).
char *fake_broker_until_done(fake_broker_t *f, const char *id, char *status,
                             size_t status_len);
void fake_broker_stop(fake_broker_t *f);

#endif
