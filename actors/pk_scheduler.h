// pk_scheduler: the scheduler actor. It owns pipelines, jobs and builds
// (store/pk_builds.h, the only writer) and turns new versions, finished
// builds and manual triggers into builds, each persisted before its WORK is
// sent. The checker is told which resources to check; runners' reports update
// the builds. Logs never pass through here (runner -> broker -> logsink).
//
// Messages (all through the broker). HELLO{name, role "scheduler"}, again
// every 5 s so a restarted broker relearns the role.
//   in  SIGNAL{what "pipeline.set", args {pipeline}, body {source: text,
//         vars: object?}}: decoded and validated (pk_pipeline_parse, then
//         pk_pipeline_load_sources with remote fetching). Invalid: nothing
//         changes, EVENT "pipeline.rejected" {pipeline, errors [text]}.
//         Valid: stored (version +1), a job record created for each new job
//         (baseline = newest version id of each resource it gets, so a new job
//         does not replay history), EVENT "pipeline.set" {pipeline, version},
//         and the checker gets SIGNAL{to "checker", what "pipeline.set"} with
//         the resources some job gets.
//   in  SIGNAL{what "checker.ready"}: pipeline.set to the checker again, for all
//   in  SIGNAL{what "versions.new", args {pipeline, resource, first_id,
//         last_id}}: every job with a get of it with trigger = true and no
//         passed gets ONE BUILD PER NEW VERSION above its baseline (as PikoCI
//         does), that version for the resource, the newest of every other get
//         (a get with passed: the newest version in a succeeded build of every
//         listed job; none -> no build)
//   in  SIGNAL{what "trigger", args {pipeline, job}}: a manual build with the
//         newest versions
//   out WORK{id "build:<pipeline>/<job>/<number>", attempt, kind "build",
//         tags = job tags, timeout_ms = job timeout, plan = pk_resolve_build}
//   in  STARTED / DONE{id, attempt}: the build's status, worker, times,
//         reason; a report of another attempt than the build's current one,
//         or of a finished build, is ignored (fencing). STEP is fenced and
//         otherwise not kept yet.
//       After a success, every job with a get (trigger = true) whose passed
//       lists the job gets a build with the newest versions that passed all
//       listed jobs, unless its newest build already had exactly those.
//   out EVENT "build.<status>" {pipeline, job, number, status} on every change
//         (pending, started, succeeded, failed, errored, cancelled)
// Pipe commands: "$TERM"; "STATUS" -> "ok"; "STATS" -> "pipelines builds
// ignored" (builds created; ignored: stale, unknown or malformed messages).
//
// Not done yet (hooks are marked "hook:" in scheduler*.c): concurrency,
// serial_groups, pause, pins, approvals, inputs, interruptible, retries,
// worker loss beyond what the broker reports as DONE errored, restart
// recovery (pipelines are not reloaded from the store at start).
#ifndef PK_SCHEDULER_H
#define PK_SCHEDULER_H
#include <czmq.h>
#include "pk_store.h"

typedef struct {
    const char *endpoint;         // broker endpoint (inproc:// or tcp://)
    pk_store_t *store;            // borrowed: must outlive the actor
    const char *name;             // HELLO name (default "scheduler")
} pk_scheduler_config_t;

// NULL when the config is unusable (no endpoint or store; the reason is logged).
zactor_t *pk_scheduler_new(const pk_scheduler_config_t *cfg);

#endif
