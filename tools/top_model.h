// top_model: what pikoci-top shows, as plain state -- no curses, no
// sockets -- so it can be tested on its own (tests/test_top_model.c).
//
// It is fed decoded reply bodies and events: a snapshot (control's
// "overview"), the broker's "broker.workers" and "broker.pending", then the
// events that follow (build.*, worker.*, resource.*, pipeline.*, job.*),
// each applied at once. Events are idempotent here (a status is set, not
// toggled), so an event that the snapshot already reflects changes nothing.
// What events do not carry (a build's worker and current step, why it
// waits, a resource's next check) comes with the next snapshot; an event
// the model cannot place by itself asks for one (top_model_stale).
//
// Times from the server are unix ms on the server's clock; the model keeps
// the skew measured at the last snapshot and turns the local clock into the
// server's for "elapsed" and "2m ago". Finished builds are kept newest
// first, at most TOP_MODEL_HISTORY; builds per minute are counted in
// one-minute buckets, so the rate and the sparkline cost nothing per frame.
#ifndef TOP_MODEL_H
#define TOP_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_value.h"

#define TOP_MODEL_HISTORY 1000
#define TOP_MODEL_MINUTES 60        // how far back the per-minute counts go

typedef struct _top_model_t top_model_t;

typedef struct {
    char *pipeline, *job, *number;  // number "3" or "3.1"
    char *status;                   // pending | waiting_for_approval | started | ...
    char *reason, *worker, *step, *wait;    // NULL when not known
    int64_t created_ms, started_ms, finished_ms;    // server clock, 0 = not yet
    bool dispatched;
    uint64_t key;                   // hash of pipeline/job/number, for lookups
} top_build_t;

typedef struct {
    char *name, *tags, *state;      // tags joined with ","
    uint32_t slots, busy;
    int64_t heartbeat_age_ms;
} top_worker_t;

typedef struct {
    char *pipeline, *name, *type, *error;
    int64_t last_check_ms, next_check_ms;
    uint64_t pinned;                // 0: not pinned
} top_resource_t;

top_model_t *top_model_new(void);
void top_model_destroy(top_model_t **self_p);

// The "overview" reply: replaces pipelines, unfinished builds, resources;
// the finished builds too unless the reply carries none (a refresh asked
// with recent 0 keeps them). now_ms is the local clock. 0, or -1 when the
// body is not an overview (nothing changes).
int top_model_snapshot(top_model_t *self, const pk_value_t *overview, int64_t now_ms);
// "broker.workers" (replaces the workers) and "broker.pending" (tells the
// builds the broker holds why: no worker has their tags, or all are busy).
void top_model_workers(top_model_t *self, const pk_value_t *list);
void top_model_pending(top_model_t *self, const pk_value_t *list);
// One event: true when what is shown changed.
bool top_model_event(top_model_t *self, const char *topic, const pk_value_t *body,
                     int64_t now_ms);
// Forget everything (the server went away; a new snapshot follows).
void top_model_clear(top_model_t *self);

// Did an event bring something only a snapshot can complete (a new build,
// a pipeline set)? Cleared by the next snapshot.
bool top_model_stale(top_model_t *self);
// Counts every change; a view redraws when it moved.
uint64_t top_model_version(top_model_t *self);

// Show only this pipeline's builds and resources (NULL or "": all).
void top_model_set_filter(top_model_t *self, const char *pipeline);
const char *top_model_filter(top_model_t *self);

// The panels, filtered: borrowed rows, valid until the next change.
// running: started (and dispatched) builds, oldest first; queue: the rest of
// the unfinished ones, oldest first; finished: newest first.
size_t top_model_running(top_model_t *self, const top_build_t *const **rows);
size_t top_model_queue(top_model_t *self, const top_build_t *const **rows);
size_t top_model_finished(top_model_t *self, const top_build_t *const **rows);
size_t top_model_worker_list(top_model_t *self, const top_worker_t *const **rows);
size_t top_model_resources(top_model_t *self, const top_resource_t *const **rows);

bool top_model_pipeline_paused(top_model_t *self, const char *pipeline);
bool top_model_job_paused(top_model_t *self, const char *pipeline, const char *job);
// Is a build of this pipeline/job unfinished?
bool top_model_active(top_model_t *self, const char *pipeline, const char *job,
                      const char *number);

// now_ms (local) on the server's clock.
int64_t top_model_server_ms(top_model_t *self, int64_t now_ms);
// Builds finished per minute over the last 5 minutes.
double top_model_rate(top_model_t *self, int64_t now_ms);
// Builds finished in each of the last n minutes, oldest first (the current
// minute last); n at most TOP_MODEL_MINUTES.
void top_model_per_minute(top_model_t *self, int64_t now_ms, int *counts, int n);

// Is this status finished?
bool top_status_done(const char *status);

#endif
