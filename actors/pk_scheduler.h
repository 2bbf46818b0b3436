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
//   pipeline.set {pipeline} {source, vars?, types?, errors?}: decoded and
//       validated (pk_pipeline_parse, pk_pipeline_load_sources). Control
//       fetches first, off this thread, and adds `types` {"KIND SOURCE":
//       text}, every definition fetched, used as kept so nothing is fetched
//       here -- or `errors` [line], taken as the verdict without decoding.
//       Without either (a signal not from control) the https:// sources,
//       and pikoci:// names not built in when allow_remote_types, are
//       fetched here, on the scheduler's thread.
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
//       Pausing (unpausing) a pipeline sets (clears) every job's flag too,
//       and a job's own flag decides: a job unpaused inside a paused
//       pipeline runs; a job added to a paused pipeline starts paused.
//       A paused job gets no builds from
//       versions or upstream jobs, refuses manual triggers, and its pending
//       builds are not dispatched; running builds finish. Unpausing moves
//       the baseline to the newest versions: only versions found after
//       unpausing trigger.
//   trigger {pipeline, job} {inputs?, versions?}: inputs checked against the
//       job's input blocks (known names, options, types, defaults filled in,
//       required ones present), stored on the build and given to the plan
//       ($INPUT_<NAME>); a manual build with the newest versions (or pins).
//       versions {resource: id (number or decimal text)}: those versions of
//       resources the job gets instead (stored ones; a get with passed only
//       one that passed, a pinned resource only its pin).
//   cancel {pipeline, job, number "N"|"N.M"}: an unfinished build becomes
//       cancelled at once; a dispatched one also gets CANCEL{id, attempt,
//       reason} (routed to its runner), and its later reports are fenced.
//   retry {pipeline, job, number}: a finished build N (or N.M) is built
//       again as N.M+1 with its versions and inputs, trigger "retry", no
//       approval gate; refused with disable_retry.
//   build.warning {pipeline, job, number, user?}: a failed build that ran
//       becomes warning (reason "marked as warning by USER; it failed: ..."),
//       so passed accepts it and the jobs downstream look again.
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
//       with trigger = true and no passed gets ONE build, of the newest
//       version above its baseline (Concourse's model: a push of five
//       commits is five versions, one build) -- or, when the get says
//       version = "every", one build per version above it (at most the
//       newest 100); a pinned resource builds only its pin. The baseline
//       moves with each build in the same transaction, so a version is
//       built once even across crashes. A get with passed takes the
//       newest version in a succeeded (or warning) build of every listed
//       job; none -> no build.
//   checker.ready: pipeline.set to the checker again, for all.
//   put.recorded {pipeline, resource, build, attempt, id}: the checker
//       stored the versions a put of that build made (scheduler_puts.c):
//       id becomes the build's version of resource, so `passed` sees it;
//       a build that already succeeded gets its downstream looked at again.
// A STEP of a put that succeeded with {resource, versions} (Concourse's
// implicit get after put) goes on as SIGNAL{to "checker", what
// "put.versions", args {pipeline, resource, build, attempt}, body}; for a
// resource of type trigger, also to every other pipeline declaring that
// resource (without build).
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
//         while it is unfinished (fencing; others are counted as ignored,
//         and a STARTED of a finished build or an old attempt gets a CANCEL
//         so its runner stops). A STARTED of a build already started is a
//         runner re-announcing it after a reconnect: the worker is recorded.
//         STEP is merged into build_steps -- also after the build was
//         cancelled (same attempt): its runner ends the step it was in and
//         runs the on_cancel/ensure hooks, and those steps are kept. When a
//         build ends, its steps still marked started end with it
//         (cancelled or errored, with the build's end time). DONE failed of an allow_failure
//         job is recorded as warning. After succeeded or warning, every job
//         with a get (trigger = true) whose passed lists the job gets a build
//         with the newest versions that passed, unless its newest build had
//         exactly those. A DONE errored made by the broker (no finished_ms:
//         the runner never said it) has its reason appended to the build's
//         log; "worker W lost" becomes "worker W lost at step S" (the last
//         step build_steps has as started).
//   out SIGNAL{to "logsink", what "append", args {id, attempt, text, step}}
//         for those reasons (pk_logsink.h): `pikoci logs` shows them.
//   out EVENT "build.<status>" {pipeline, job, number "N"|"N.M", status,
//         reason?, approvals?} on every change of status (and each vote).
// At start (before the actor answers STATUS): every stored pipeline is
// decoded again (one that no longer decodes is logged and skipped) and the
// checker told; builds that were dispatched or started wait adopt_grace_ms
// for a runner to claim them (workers re-announce what they hold when they
// reconnect, and the broker asks them to when a new scheduler says HELLO):
// any report of the build's attempt adopts it (EVENT "build.adopted"
// {pipeline, job, number, status, worker}) and it goes on as if nothing
// happened; when the grace ends, those nobody claimed are errored ("the
// server restarted while the build ran and no worker holds it", also
// appended to their logs). Pending and waiting builds are queued again;
// versions above each job's baseline are built; downstream builds a crash
// cut off are created.
// Pipe commands: "$TERM"; "STATUS" -> "ok"; "STATS" -> "pipelines builds
// ignored" (builds created; ignored: stale, unknown or malformed messages
// and refused signals without ref); "DRAIN" -> "ok" (nothing more is
// dispatched; pending builds stay pending); "RUNNING" -> the decimal count
// of builds dispatched or started and not finished.
//
// Retention (scheduler_retain.c): on a timer, each job's finished builds
// beyond its build_log_retention (or the server's default) are trimmed, a
// few per write transaction: their step records deleted, the row marked
// trimmed_ms, and SIGNAL{to "logsink", what "forget", args {id, attempt}}
// asks the log sink to delete the log.
//
// Not done: re-dispatch of a build whose worker was lost (the broker reports
// it as DONE errored; the build ends errored; retry makes a new one).
#ifndef PK_SCHEDULER_H
#define PK_SCHEDULER_H
#include <czmq.h>
#include "pk_curve.h"
#include "pk_store.h"

typedef struct {
    const char *endpoint;         // broker endpoint (inproc:// or tcp://)
    pk_store_t *store;            // borrowed: must outlive the actor
    const char *name;             // HELLO name (default "scheduler")
    int adopt_grace_ms;           // after a restart, how long running builds wait for
                                  // their runners to claim them: 0 = the default
                                  // ($PIKOCI_ADOPT_GRACE_MS, else 10 s); < 0 = none,
                                  // they are errored at once
    pk_curve_client_t curve;      // CURVE to a broker on another machine (optional)
    bool allow_remote_types;      // a pipeline set may fetch a pikoci:// type not
                                  // built in from the remote registry
                                  // (PK_SOURCES_REMOTE_BUILTINS); false: an error.
                                  // What a set fetched is stored with the pipeline
                                  // and reused when it is reloaded at start
    const uint8_t *secret_key;    // the secret store's 32-byte key (copied), to hand
                                  // a build the values its plan names; NULL: off,
                                  // and a build that needs one fails saying
    const char *secret_key_missing;   // ... this
    int retain_builds;            // retention of a job without build_log_retention:
    int retain_days;              // keep the newest N builds / D days whole (0: all)
    int retain_interval_ms;       // the collector's period (0: $PIKOCI_RETAIN_INTERVAL_MS,
                                  // else 10 s)
} pk_scheduler_config_t;

// NULL when the config is unusable (no endpoint or store; the reason is logged).
zactor_t *pk_scheduler_new(const pk_scheduler_config_t *cfg);

#endif
