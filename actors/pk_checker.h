// pk_checker: the checker actor. It keeps a timer per checked resource
// (check_interval "@every D" or a cron expression, UTC), sends each due
// check to a runner as WORK through the broker, stores the versions that
// come back (store/pk_versions.h: in order, never twice) and tells the
// scheduler about new ones. The scheduler decides which resources are
// checked (only those some job gets) and resolves their check plans; the
// checker never reads a pipeline.
//
// Timers: one binary heap of deadlines and ONE poll timeout set to the
// earliest, so 10,000 resources cost a heap, not 10,000 timers. A resource is
// always in the heap: idle, keyed by its next check; in flight, keyed by when
// to give up on the answer. A new resource's first check comes at a random
// moment within min(interval, first_check_max_ms), so a thousand resources
// set at once are spread out; cron resources also get a fixed random offset
// (up to min(first_check_max_ms, a quarter of their shortest gap)) so equal
// schedules do not fire in the same millisecond. After a restart a resource
// whose stored next check is still ahead keeps it (no storm, and a cron
// resource is not checked early).
//
// Checks may fire up to 5 ms late so that those due together go together,
// and answers are stored up to 10 ms after they arrive, several per write
// transaction (see checker.c): at 1,000 checks/s that nearly halves the CPU.
//
// Messages (all through the broker). The checker says HELLO{role "checker"}
// (again every 5 s, so a restarted broker relearns it), then SIGNAL{to
// "scheduler", what "checker.ready"} so a scheduler already up sends its
// pipelines again:
//   in  SIGNAL{what "pipeline.set", args {pipeline}, body [ {canonical,
//         check_interval ("@every 30s" or cron; default "@every 1m"),
//         tags [..], plan {CHECK PLAN without "version"}} ]}
//         replaces the pipeline's checked resources: new ones scheduled,
//         missing ones unscheduled (a check in flight is cancelled),
//         present ones updated in place and keep their timer (a changed
//         check_interval schedules them afresh)
//   in  SIGNAL{what "pipeline.remove", args {pipeline, purge?}}: unschedule
//         all; purge "true" also forgets its versions and check state
//   in  SIGNAL{what "check.now", args {pipeline, resource}}: check at once
//         and restart the interval from now; if a check of it is running,
//         one more runs as soon as it answers
//   out WORK{id "check:<pipeline>/<resource>:<seq>", attempt 1, kind "check",
//         tags, timeout_ms, plan (+ "version": the version the last check
//         ended at, absent on the first check; "timeout_ms": the plan's,
//         at most a year, or check_timeout_ms)}
//         -- never two of one resource at a time
//   in  VERSIONS{id, attempt, versions | error, output}: stale or unknown
//         ids are ignored; "worker W lost" and refusals are failed checks
//   in  SIGNAL{what "put.versions", args {pipeline, resource, build?,
//         attempt?}, body [versions]}: a put's versions (checker_puts.c),
//         stored; "put.recorded" {.., build, attempt, id} back to the
//         scheduler when build was given, then versions.new as below
//   out SIGNAL{to "scheduler", what "versions.new", args {pipeline,
//         resource, first_id, last_id}} after the versions are committed
//   out EVENT "resource.versions" {pipeline, resource, first_id, last_id}
//   out EVENT "resource.checked" {pipeline, resource, ok, error?, checked_ms}
//         when a check fails, and when one succeeds after a failure
//   out CANCEL{id, attempt 1, reason} for a check of a removed resource, or
//         one unanswered past its timeout + answer_grace_ms (then counted as
//         failed with "no answer to the check within ...")
// Versions beyond the newest retain_versions of a resource that no
// untrimmed build refers to are trimmed in the background (checker_retain.c).
// Pipe commands: "$TERM"; "STATS" -> "scheduled inflight checks failures
// new_versions ignored" (ignored: stale, unknown or malformed messages).
#ifndef PK_CHECKER_H
#define PK_CHECKER_H
#include <czmq.h>
#include <stdint.h>
#include "pk_curve.h"
#include "pk_store.h"

typedef struct {
    const char *endpoint;         // broker endpoint (inproc:// or tcp://)
    pk_store_t *store;            // versions and check state go here
    const char *name;             // HELLO name (default "checker")
    int64_t check_timeout_ms;     // a check's timeout when its plan has none (default 5 min)
    int64_t answer_grace_ms;      // how long past it to wait for an answer (default 30 s)
    int64_t first_check_max_ms;   // spread of first checks (default 10 s)
    int64_t flush_ms;             // answers share a commit, at most one per
                                  // flush_ms (default 10 ms; an idle checker
                                  // stores at once)
    pk_curve_client_t curve;      // CURVE to a broker on another machine (optional)
    int retain_versions;          // keep the newest N versions per resource; 0: 100,
                                  // < 0: keep every version (checker_retain.c)
    int64_t retain_interval_ms;   // the version collector's period (0: 10 s, or
                                  // $PIKOCI_RETAIN_INTERVAL_MS)
} pk_checker_config_t;

// NULL when the config is unusable (no endpoint or store; the reason is logged).
zactor_t *pk_checker_new(const pk_checker_config_t *config);

#endif
