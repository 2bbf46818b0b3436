// pk_plan: the resolved build plan a runner executes -- what travels in
// WORK.plan. The scheduler (or `pikoci run`) resolves a job of the pipeline
// model into this shape; the runner needs nothing else (no pipeline, no store),
// so a worker on another machine runs it as is. It is a pk_value tree (packed
// as msgpack on the wire) with this shape; absent keys take the defaults shown.
//
//   BUILD PLAN (work kind "build")
//   { "env": {K: V},            base environment: BUILD_*, INPUT_*
//     "timeout_ms": 0,          whole build; 0 = none
//     "steps": [STEP],
//     "hooks": HOOKS,           job hooks; they see $BUILD_STATUS
//     "notifications": [NOTE] } automatic notifications, after the job hooks
//
//   CHECK PLAN (work kind "check")
//   { "env": {K: V}, "resource": "git.app", "timeout_ms": 0, "cache": KEY,
//     "cmd": CMD | "native": NATIVE,
//     "version": {K: V} }       latest known version ($version_<k>), absent on first check
//
//   HOOKS = { "on_success": [STEP], "on_failure": [STEP],
//             "on_cancel": [STEP], "ensure": [STEP] }
//
//   STEP  = { "kind": "get" | "task" | "put" | "notify" | "service" | "parallel" | "if",
//             "name": "unit",   shown in logs; GET_/TASK_ export prefix
//             "timeout_ms": 0, "attempts": 1, "hooks": HOOKS,
//             "env": {K: V},    step-specific: param_*, put_*, notify_*, NOTIFY_MESSAGE
//             get:      "cmd": CMD (pull) | "native": NATIVE, "version": {K: V}, "cache": KEY
//             task:     "cmd": CMD, "inputs": [path], "outputs": [path]
//             put:      "cmd": CMD (push), "cache": KEY
//             notify:   "cmd": CMD          $NOTIFY_MESSAGE is interpolated on the runner
//             service:  "start": CMD, "stop": CMD, "ready_check": CMD (optional),
//                       "ready_interval_ms": 1000, "ready_timeout_ms": 60000,
//                       "stop_timeout_ms": 10000      (env holds the $param_* overrides)
//             parallel: "steps": [STEP], "limit": 0, "fail_fast": false
//             if:       "branches": [{ "name": N, "condition": C, "steps": [STEP] },
//                                    ...,
//                                    { "name": "else", "steps": [STEP] }] }
//
//   NOTE   = { "kind": "notify", "name": "slack.deploys", "on": ["success" | "failure" |
//              "cancel"], "cmd": CMD, "env": {param_*, NOTIFY_MESSAGE}, "timeout_ms": 0 }
//            dispatched when the build's final status is in "on" (cancelled -> cancel,
//            failed/errored -> failure) with $notify_build_status; a NOTE may hold
//            "error": TEXT instead of "cmd" (its type is not available): logged, not run.
//            Neither outcome changes the build's status.
//
//   Services: a service step starts its `start` command where it stands (log
//   step NAME:start; the command may run for the whole build or exit after
//   starting a daemon), polls `ready_check` every interval until it exits 0
//   (NAME:ready; past ready_timeout_ms the step and so the build fail), and
//   when the plan ends -- whatever happened -- every service whose start ran
//   gets its `stop`, newest first (NAME:stop, held to stop_timeout_ms), then
//   a start process still running is terminated with its process group.
//   Services are not allowed inside "parallel" nor in hooks.
//
//   CMD    = { "runner": RUNNER, "params": {attr: value} }   the step's run-block
//   RUNNER = { "name": "exec" | "shell" | "docker" }          built-ins, or user-defined:
//            { "name": N, "path": "$x", "args": ["...", "$args"] }
//   NATIVE = { "type": "git" | "fs" | "cron" | "dir", "params": {...} }
//   KEY    = "team/pipeline/resource": the resource's $CACHE_DIR on the runner,
//            a directory that outlives builds (absent: no cache)
//
//   Secrets: a build or check plan that uses secret-backed variables holds
//   their placeholders "((pikoci_secret:NAME))" (in args, params, env) and
//     "secrets": { NAME: SECRET }   every secret the plan uses, chained ones too
//   SECRET = { "type": "vault",     the secret_type's name (for messages)
//              "key": K,            field of the JSON object get prints
//              "path": P,           optional; $param_path of the get
//              "cmd": CMD, "env": {param_<config attr>: V}     a secret_type's get
//            | "native": { "type": "file", "params": {format, path} }
//            | "error": TEXT }      the type is not available: fails when used
//   Strings in a SECRET may hold other secrets' placeholders (chaining). The
//   runner resolves them before the first process that needs them, replaces
//   the placeholders in argv/env just before each spawn and masks the values
//   in all output (actors/runner_secrets.c, runner_mask.c); values never
//   travel in any message, so neither plans nor logs nor events hold them.
#ifndef PK_PLAN_H
#define PK_PLAN_H
#include <stdbool.h>
#include <stdint.h>
#include "pk_value.h"

// Typed reads with defaults (NULL-safe: a missing object gives the default).
const char *pk_plan_str(const pk_value_t *obj, const char *key, const char *dflt);
int64_t pk_plan_int(const pk_value_t *obj, const char *key, int64_t dflt);
bool pk_plan_bool(const pk_value_t *obj, const char *key, bool dflt);
const pk_value_t *pk_plan_list(const pk_value_t *obj, const char *key);    // NULL if absent
const pk_value_t *pk_plan_object(const pk_value_t *obj, const char *key);  // NULL if absent

// Checks the shape of a build or check plan before anything runs, so a bad
// plan fails the work with a message instead of half-running. 0 or -1 with
// *err_out (caller frees).
int pk_plan_validate(const pk_value_t *plan, const char *kind, char **err_out);

#endif
