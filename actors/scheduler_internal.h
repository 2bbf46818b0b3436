// scheduler_internal: what scheduler.c (the actor: loop, pipelines) and
// scheduler_builds.c (versions chosen, builds created, reports applied)
// share. Not a public API: pk_scheduler.h is.
#ifndef SCHEDULER_INTERNAL_H
#define SCHEDULER_INTERNAL_H
#include "pk_scheduler.h"
#include "pk_builds.h"
#include "pk_msg.h"
#include "pk_pipeline.h"
#include "pk_resolve.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"
#include <inttypes.h>

typedef struct {
    char *name;
    pk_pipeline_t *model;
} sched_pipe_t;

typedef struct {
    zsock_t *pipe, *dealer;
    char *name;
    pk_store_t *store;
    pk_builds_t *builds;
    pk_versions_t *versions;
    zhash_t *pipelines;         // name -> sched_pipe_t
    int64_t hello_at;
    uint64_t created, ignored;
} sched_t;

typedef struct {
    const pk_step_t **items;    // borrowed from the model; free(items) only
    size_t count;
} sched_gets_t;

// scheduler.c
void sched_send(sched_t *self, pk_msg_t *m);
void sched_send_event(sched_t *self, const char *topic, const pk_value_t *body);

// scheduler_builds.c
// The get steps of a job, one per resource (the first when got twice).
sched_gets_t sched_gets(const pk_job_t *job);
// The newest version id of a resource, 0 when none (txn may be NULL).
uint64_t sched_latest_id(sched_t *self, pk_store_txn_t *txn, const char *pipeline,
                         const char *resource);
void sched_versions_new(sched_t *self, pk_msg_t *m);    // SIGNAL versions.new
void sched_trigger(sched_t *self, pk_msg_t *m);         // SIGNAL trigger
void sched_on_report(sched_t *self, pk_msg_t *m);       // STARTED, STEP, DONE

#endif
