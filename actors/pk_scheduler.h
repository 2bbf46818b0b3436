// pk_scheduler: the scheduler actor. It owns pipelines, jobs, builds, build
// steps and pins (store/pk_builds.h, the only writer) and turns new
// versions, finished builds and control's commands into builds, each
// persisted before anything else happens to it, then dispatched from a
// queue when nothing holds it. The checker is told which resources to
// check; runners' reports update the builds. Logs never pass through here
// (runner -> broker -> logsink).
//
// Messages (all through the broker). HELLO{name, role "scheduler"}, again
// every 5 s so a restarted broker relearns the role.
//
// Commands: SIGNAL{what OP, args (strings), body}. A signal that carries
// args.ref is answered with SIGNAL{to "control", what "reply", args {ref,
// ok "1"|"0", error (a sentence, with "did you mean" for unknown names)},
// body (packed object)}; without ref it is acted on silently (a refusal is
// counted as ignored). OPs (CONTRACT.md has the reply bodies):
//   pipeline.set {pipeline} {source, vars?}: decoded and validated
//       (pk_pipeline_parse, pk_pipeline_load_sources with remote fetching).
//       Invalid: nothing changes, EVENT "pipeline.rejected" {pipeline,
//       errors}, reply error `pipeline "P" is not valid` + {errors}. Valid:
//       stored (version +1; pause flags, pins, numbers and baselines kept),
//       a job record for each new job (baseline = the newest versions),
//       EVENT "pipeline.set" {pipeline, version}, the checker gets
//       SIGNAL{to "checker", what "pipeline.set"} with the resources jobs get.
//   pipeline.remove {pipeline}: its dispatched builds get CANCEL; its jobs,
//       builds, steps and pins are deleted; the checker gets
//       SIGNAL{what "pipeline.remove", args {pipeline, purge "true"}};
//       EVENT "pipeline.removed".
//   pipeline.pause|unpause {pipeline}, job.pause|unpause {pipeline, job}:
//       the flag in the store; EVENT "pipeline.paused" ... "job.unpaused".
//       A paused job (or a job of a paused pipeline) gets no builds from
//       versions or upstream jobs, refuses manual triggers, and its pending
//       builds are not dispatched; running builds finish. Unpausing moves
//       the baseline to the newest versions: only versions found after
//       unpausing trigger.
//   trigger {pipeline, job} {inputs?}: inputs checked against the job's
//       input blocks (known names, options, types, defaults filled in,
//       required ones present), stored on the build and given to the plan
//       ($INPUT_<NAME>); a manual build with the newest versions (or pins).
//   cancel {pipeline, job, number "N"|"N.M"}: an unfinished build becomes
//       cancelled at once; a dispatched one also gets CANCEL{id, attempt,
//       reason} (routed to its runner), and its later reports are fenced.
//   retry {pipeline, job, number}: a finished build N (or N.M) is built
//       again as N.M+1 with its versions and inputs, trigger "retry", no
//       approval gate; refused with disable_retry.
//   approve|reject {pipeline, job, number} {message?}: votes on a build
//       waiting_for_approval: `approvals` votes make it pending; a reject
//       fails it with reason "rejected: <message>".
//   pin {pipeline, resource, version "<id>"} / unpin {pipeline, resource}:
//       resource is "type.name" or a unique bare name; the version must be
//       stored. A pinned resource triggers only with its pin, and every get
//       of it (direct or passed) takes the pin; pinning cancels queued
//       (undispatched) builds with another version of it. EVENT
//       "resource.pinned" {pipeline, resource, version} / "resource.unpinned".
// From the checker:
//   versions.new {pipeline, resource, last_id}: every job with a get of it
//       with trigger = true and no passed gets ONE BUILD PER VERSION above
//       its baseline (as PikoCI does; at most the newest 100), and the
//       baseline moves with each build in the same transaction, so a version
//       is built once even across crashes. A get with passed takes the
//       newest version in a succeeded (or warning) build of every listed
//       job; none -> no build.
//   checker.ready: pipeline.set to the checker again, for all.
// Builds: created pending (or waiting_for_approval behind an approve gate)
// and dispatched oldest first when the scheduler is not draining, neither
// the job nor its pipeline is paused, fewer than `concurrency` builds of the
// job are dispatched (0: no limit), and no build of another job sharing a
// serial group is dispatched (an older build waiting for a group keeps it
// from younger ones). A new build of an interruptible job cancels the
// job's older unfinished builds.
//   out WORK{id "build:<pipeline>/<job>/<N or N.M>", attempt, kind "build",
//         tags = job tags, timeout_ms = job timeout, plan = pk_resolve_build}
//         after `dispatched` is committed.
//   in  STARTED / STEP / DONE{id, attempt}: only for the build's attempt
//         while it is unfinished (fencing; others are counted as ignored).
//         STEP is merged into build_steps. DONE failed of an allow_failure
//         job is recorded as warning. After succeeded or warning, every job
//         with a get (trigger = true) whose passed lists the job gets a build
//         with the newest versions that passed, unless its newest build had
//         exactly those.
//   out EVENT "build.<status>" {pipeline, job, number "N"|"N.M", status,
//         reason?, approvals?} on every change of status (and each vote).
// At start (before the actor answers STATUS): every stored pipeline is
// decoded again (one that no longer decodes is logged and skipped) and the
// checker told; builds that were dispatched or started are errored ("the
// server restarted while the build ran"); pending and waiting builds are
// queued again; versions above each job's baseline are built; downstream
// builds a crash cut off are created.
// Pipe commands: "$TERM"; "STATUS" -> "ok"; "STATS" -> "pipelines builds
// ignored" (builds created; ignored: stale, unknown or malformed messages
// and refused signals without ref); "DRAIN" -> "ok" (nothing more is
// dispatched; pending builds stay pending); "RUNNING" -> the decimal count
// of builds dispatched or started and not finished.
//
// Not done: re-dispatch of a build whose worker was lost (the broker reports
// it as DONE errored; the build ends errored; retry makes a new one).
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
