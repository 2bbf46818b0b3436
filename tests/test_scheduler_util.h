// test_scheduler_util: the harness of the scheduler's queue and command
// tests. A real broker on its own inproc endpoint, a real store, the real
// scheduler; the test plays control (signals with `ref`, the replies, the
// event bus), a fake runner (sees every WORK and CANCEL, reports what it
// is told) and, when a test needs it, the checker (sees its signals).
// Versions are recorded in the store as the checker would, then announced
// with versions.new -- or not, to play a crash in between.
#ifndef TEST_SCHEDULER_UTIL_H
#define TEST_SCHEDULER_UTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <czmq.h>
#include "pk_builds.h"
#include "pk_msg.h"
#include "pk_scheduler.h"
#include "pk_value.h"
#include "pk_versions.h"

typedef struct {
    zactor_t *broker, *scheduler;
    zsock_t *ctl, *runner, *checker;
    pk_store_t *store;
    pk_builds_t *builds;
    pk_versions_t *versions;
    char endpoint[128];
    uint64_t ref;
    zlist_t *events;        // events seen while waiting for replies: "topic\0" + JSON body
} tenv_t;

typedef struct {
    bool ok;
    char *error;
    pk_value_t *body;
} treply_t;

#define WAIT_FOR(cond, ms) \
    do { \
        int64_t end_ = zclock_mono() + (ms); \
        while (!(cond) && zclock_mono() < end_) \
            zclock_sleep(5); \
        if (!(cond)) \
            fail_msg("timed out waiting for %s", #cond); \
    } while (0)

// The pipeline most tests use ("p"), see test_scheduler_util.c.
extern const char *TPIPELINE;

tenv_t *tenv_start(pk_store_t *store);      // store NULL: a new mem store
void tenv_stop(tenv_t *e, bool keep_store);
void tenv_restart_scheduler(tenv_t *e);

// A signal to the scheduler with a ref, and its reply (free with treply_clear).
// args: NULL-terminated key, value pairs.
treply_t top(tenv_t *e, const char *what, const pk_value_t *body, ...);
void treply_clear(treply_t *r);
// The same, asserting ok; returns the reply body's string field (static) or "".
const char *tok(tenv_t *e, const char *what, const char *field, ...);
void tset(tenv_t *e, const char *source);   // pipeline.set "p", asserting ok
// A new version of resource (canonical) in the store: its id. announce:
// versions.new to the scheduler.
uint64_t tversion(tenv_t *e, const char *resource, const char *ref, bool announce);

// The next WORK / CANCEL to the fake runner within ms (false: none).
bool twork(tenv_t *e, pk_msg_t *m, pk_msg_type_t type, int ms);
// A report from the fake runner (step: the STEP's index; a failed step
// exits 1), sent without waiting -- reports back to back, as a runner's
// can reach the scheduler together.
void tsend_report(tenv_t *e, pk_msg_type_t type, const char *id, uint32_t attempt,
                  uint32_t step, const char *status);
// The same for step 1, then waits until the scheduler has it.
void treport(tenv_t *e, pk_msg_type_t type, const char *id, uint32_t attempt,
             const char *status);
// The next WORK, which must be id (its plan in *plan_out when not NULL); the
// fake runner then reports it STARTED.
void tstart(tenv_t *e, const char *id, pk_value_t **plan_out);
// Waits until every earlier signal was handled (a round trip through it).
void tsync(tenv_t *e);
// The next EVENT with this topic (those seen earlier first), or NULL.
pk_value_t *tevent(tenv_t *e, const char *topic, int ms);

// The build "N" or "N.M" of job in "p": its status ("" when absent).
const char *tstatus(tenv_t *e, const char *job, const char *number);
pk_build_t tbuild(tenv_t *e, const char *job, const char *number);
bool tdispatched(tenv_t *e, const char *job, const char *number);
size_t tcount(tenv_t *e, const char *job);

#endif
