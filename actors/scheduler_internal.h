// scheduler_internal: what the scheduler's files share. Not a public API:
// pk_scheduler.h is.
//   scheduler.c        the actor: loop, pipe commands, signals and replies,
//                      recovery at start
//   scheduler_pipes.c  pipelines: set, remove, reload, the checker told;
//                      name lookups with "did you mean"
//   scheduler_builds.c versions chosen (pins, passed), builds created,
//                      versions.new, downstream, trigger inputs
//   scheduler_queue.c  the queue of unfinished builds: changes to a build,
//                      dispatch decisions, cancels
//   scheduler_reports.c runners' reports (fenced), builds found at start
//   scheduler_ops.c    control's commands: pause, pin, approve, cancel, retry
//   scheduler_puts.c   a put's versions: to the checker, back as the build's
#ifndef SCHEDULER_INTERNAL_H
#define SCHEDULER_INTERNAL_H
#include "pk_scheduler.h"
#include "pk_builds.h"
#include "pk_auth.h"
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
    bool paused;                // the pipeline record's flag, kept in step with it
    uint64_t life;              // its life (pk_builds.h): part of its work ids
} sched_pipe_t;

// An unfinished build (pending, waiting_for_approval or started): the queue.
// The store stays the truth; this is what dispatch decisions scan.
typedef struct {
    char *pipeline, *job;
    uint64_t number;
    uint32_t retry, attempt;
    int64_t created_ms;
    char status[24];
    bool dispatched;
} sched_active_t;

// A build that ran before a restart, until a runner claims it.
typedef struct {
    char *pipeline, *job;
    uint64_t number;
    uint32_t retry, attempt;
} sched_adopt_t;

// The secret store's values for a WORK (scheduler_secrets.c).
typedef struct _sched_secrets_t sched_secrets_t;
sched_secrets_t *sched_secrets_new(pk_store_t *store, const uint8_t *key, const char *missing);
void sched_secrets_destroy(sched_secrets_t **self_p);
// Sets out[NAME] for each store secret the plan names, or out["!NAME"] = why not.
void sched_secrets_fill(sched_secrets_t *self, const char *pipeline, const char *team,
                        const pk_value_t *plan, pk_kv_t *out);

typedef struct {
    zsock_t *pipe, *dealer;
    char *name;
    sched_secrets_t *secrets;
    pk_auth_t *auth;            // read only: a pipeline's team (control writes it)
    pk_store_t *store;
    pk_builds_t *builds;
    pk_versions_t *versions;
    zhash_t *pipelines;         // name -> sched_pipe_t
    sched_active_t *active;
    size_t active_count;
    bool draining;              // DRAIN: nothing more is dispatched
    int64_t hello_at;
    uint64_t created, ignored;
    sched_adopt_t *adopting;    // builds waiting to be claimed (restart)
    size_t adopting_count;
    int64_t adopt_grace_ms;     // < 0: no grace
    int64_t adopt_until;        // mono ms when the grace ends
    int sources;                // pk_pipeline_load_sources flags for every decode
    int retain_builds, retain_days; // the server's default retention (0: keep)
    int64_t retain_every_ms;    // the collector's period
    int64_t retain_at;          // mono ms of its next run
    zhash_t *retain_marks;      // "pipeline\x1fjob" -> uint64_t*: builds at or below
                                // are trimmed or kept for good (this run's memory)
    uint64_t retain_total;      // builds trimmed since start
    zhash_t *reconciled;        // "pipeline\x1flife\x1fresource" -> uint64_t*: the
                                // newest version id the last reconcile saw
    uint64_t reconcile_passes;
} sched_t;

// What a signal with `ref` gets back: ok, or error (+ body).
typedef struct {
    char *error;                // NULL: ok
    pk_value_t *body;           // may be NULL
} sched_reply_t;

typedef struct {
    const pk_step_t **items;    // borrowed from the model; free(items) only
    size_t count;
} sched_gets_t;

// scheduler_reconcile.c
void sched_registered_ask(sched_t *self);
void sched_reconcile(sched_t *self);

// scheduler.c
void sched_send(sched_t *self, pk_msg_t *m);
void sched_send_event(sched_t *self, const char *topic, const pk_value_t *body);
// Sets r->error to a formatted sentence (the first error wins); returns -1.
int sched_fail(sched_reply_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Adds or replaces a pipeline (the hash owns sp).
void sched_pipes_insert(sched_t *self, sched_pipe_t *sp);
// The work id (and log key) of a build of a loaded pipeline (caller frees).
char *sched_work_id(sched_t *self, const char *pipeline, const char *job, uint64_t number,
                    uint32_t retry);

// scheduler_pipes.c
void sched_pipeline_set(sched_t *self, pk_msg_t *m, sched_reply_t *r);
void sched_pipeline_remove(sched_t *self, pk_msg_t *m, sched_reply_t *r);
void sched_tell_checker(sched_t *self, sched_pipe_t *sp);
// Loads every stored pipeline (start-up); one that no longer decodes is
// logged and skipped.
void sched_pipelines_load(sched_t *self);
// Lookups of a signal's args; NULL with r->error (and "did you mean").
sched_pipe_t *sched_find_pipe(sched_t *self, pk_msg_t *m, sched_reply_t *r);
const pk_job_t *sched_find_job(sched_t *self, sched_pipe_t *sp, pk_msg_t *m, sched_reply_t *r);
const pk_resource_t *sched_find_resource(sched_pipe_t *sp, const char *name, sched_reply_t *r);

// scheduler_builds.c
sched_gets_t sched_gets(const pk_job_t *job);
// True when job has a get of resource with trigger = true and no passed.
bool sched_triggered_by(const pk_job_t *job, const char *resource);
// The newest version id of a resource, 0 when none (txn may be NULL).
uint64_t sched_latest_id(sched_t *self, pk_store_txn_t *txn, const char *pipeline,
                         const char *resource);
// Versions for a new build of job: 0, 1 with *why (caller frees) when some
// get has no acceptable version, -1 on a store error.
int sched_choose(sched_t *self, const char *pipeline, const pk_job_t *job,
                 const char *trigger_res, uint64_t trigger_id, pk_idmap_t *out, char **why);
// The same, with given (may be NULL): resource -> version id a manual
// trigger asked for, taken as a pin would be.
int sched_choose_given(sched_t *self, const char *pipeline, const pk_job_t *job,
                       const char *trigger_res, uint64_t trigger_id, const pk_idmap_t *given,
                       pk_idmap_t *out, char **why);
// Persists a new build (pending, or waiting_for_approval behind a gate),
// then lets the queue decide. 0 with *number_out, or -1.
typedef struct {
    const char *trigger;        // version | passed | manual | retry
    const pk_idmap_t *versions;
    const pk_value_t *inputs;   // object or NULL
    uint64_t retry_of;          // retry: the number retried (a new retry of it)
    uint32_t approved_votes;    // retry: the retried build's approval votes and
    uint32_t approved_needed;   // gate; only an approved build's retry skips it
    const pk_idmap_t *advance;  // resource -> id the job's baseline moves to, same txn
    const char *by;             // who asked for it (manual), or NULL
} sched_new_build_t;
int sched_create(sched_t *self, sched_pipe_t *sp, const pk_job_t *job,
                 const sched_new_build_t *nb, uint64_t *number_out, uint32_t *retry_out);
void sched_versions_new(sched_t *self, pk_msg_t *m);
// Builds for versions above each job's baseline (start-up; versions.new).
void sched_catch_up(sched_t *self, sched_pipe_t *sp, const char *resource, uint64_t last);
// After jobname succeeded (or warned): the jobs whose triggering get passes
// through it. NULL jobname: every job with such a get (start-up).
void sched_downstream(sched_t *self, sched_pipe_t *sp, const char *jobname);
// Manual trigger inputs checked against the job: a new object of the values
// (given or default), or NULL with r->error.
pk_value_t *sched_inputs(const pk_job_t *job, const pk_value_t *given, sched_reply_t *r);
void sched_trigger(sched_t *self, pk_msg_t *m, sched_reply_t *r);

// scheduler_queue.c
void sched_active_set(sched_t *self, const char *pipeline, const char *job,
                      const pk_build_t *b);
void sched_active_drop_pipeline(sched_t *self, const char *pipeline);
size_t sched_running(sched_t *self);
void sched_build_event(sched_t *self, const char *pipeline, const char *job,
                       const pk_build_t *b);
// Changes a build in one write transaction: fn returns 0 to write it, 1 to
// leave it. The queue and the event bus follow. 0 written, 1 left or not
// found, -1 store error. after (may be NULL) gets a copy of the result.
typedef int (sched_mutate_fn)(pk_build_t *b, void *arg);
int sched_mutate(sched_t *self, const char *pipeline, const char *job, uint64_t number,
                 uint32_t retry, sched_mutate_fn *fn, void *arg, pk_build_t *after);
// sched_mutate in two halves, for several changes in one transaction
// (scheduler_reports.c): _in inside the caller's write transaction (0
// written, 1 left: nothing written, -1 store error), _done once it is
// committed (the queue and the event bus follow; after as above).
typedef struct {
    sched_t *self;
    const char *pipeline, *job;
    uint64_t number;
    uint32_t retry;
    sched_mutate_fn *fn;
    void *arg;
    pk_build_t b;               // out
    bool event;                 // out: status or votes changed
    bool left;                  // out: not found, or fn left it
} sched_mut_t;
int sched_mutate_in(pk_store_txn_t *txn, sched_mut_t *c);
void sched_mutate_done(sched_mut_t *c, pk_build_t *after);
// Ends an unfinished build with status and reason (cancelled, failed,
// errored); one that was dispatched gets a CANCEL. 0, 1 (already finished).
int sched_finish(sched_t *self, const char *pipeline, const char *job, uint64_t number,
                 uint32_t retry, const char *status, const char *reason);
// Replaces a malloc'd string field with a copy of value (may be NULL).
void sched_set_str(char **field, const char *value);
// Dispatches every pending build that may go now, oldest first.
void sched_queue_run(sched_t *self);

// scheduler_retain.c: one collection (a bounded batch); returns true when
// it stopped at its batch limit (more is waiting: run again soon).
bool sched_retain_run(sched_t *self);

// scheduler_reports.c
void sched_on_report(sched_t *self, pk_msg_t *m);       // STARTED, STEP, DONE
// Reports that arrived together, in order: committed in one transaction
// when each is a runner's plain report of a known build, else one by one.
void sched_on_reports(sched_t *self, pk_msg_t *msgs, size_t n);
// "build:<pipeline>/<job>/<N or N.M>[@life]" -> its parts (caller frees;
// *life 1 when the id names none); 0 or -1.
int sched_parse_build_id(const char *id, char **pipeline, char **job, uint64_t *number,
                         uint32_t *retry, uint64_t *life);
// Start-up: builds that were running wait to be adopted, the others queued.
void sched_recover_builds(sched_t *self);
// The grace is over: builds nobody claimed are errored.
void sched_adopt_expire(sched_t *self);
// SIGNAL append to the log sink: text becomes the last line of the log.
void sched_log_append(sched_t *self, const char *id, uint32_t attempt, uint32_t step,
                      const char *text);

// scheduler_puts.c
// A STEP of a put that succeeded with versions: they go to the checker
// (and, for a trigger resource, to every pipeline declaring it).
void sched_put_forward(sched_t *self, const char *pipeline, const pk_msg_step_t *s);
void sched_put_recorded(sched_t *self, pk_msg_t *m, sched_reply_t *r);   // put.recorded

// scheduler_ops.c
void sched_op_pause(sched_t *self, pk_msg_t *m, sched_reply_t *r);     // 4 ops
void sched_op_pin(sched_t *self, pk_msg_t *m, sched_reply_t *r);       // pin, unpin
void sched_op_vote(sched_t *self, pk_msg_t *m, sched_reply_t *r);      // approve, reject
void sched_op_cancel(sched_t *self, pk_msg_t *m, sched_reply_t *r);
void sched_op_retry(sched_t *self, pk_msg_t *m, sched_reply_t *r);
void sched_op_warning(sched_t *self, pk_msg_t *m, sched_reply_t *r);   // build.warning
// The build named by args {pipeline, job, number}: 0 with *b, -1 with r->error.
int sched_find_build(sched_t *self, pk_msg_t *m, sched_pipe_t **sp_out,
                     const pk_job_t **job_out, pk_build_t *b, sched_reply_t *r);

#endif
