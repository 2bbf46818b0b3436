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
//     "hooks": HOOKS }          job hooks; they see $BUILD_STATUS
//
//   CHECK PLAN (work kind "check")
//   { "env": {K: V}, "resource": "git.app", "timeout_ms": 0, "cache": KEY,
//     "cmd": CMD | "native": NATIVE,
//     "version": {K: V} }       latest known version ($version_<k>), absent on first check
//
//   HOOKS = { "on_success": [STEP], "on_failure": [STEP],
//             "on_cancel": [STEP], "ensure": [STEP] }
//
//   STEP  = { "kind": "get" | "task" | "put" | "notify" | "parallel" | "if",
//             "name": "unit",   shown in logs; GET_/TASK_ export prefix
//             "timeout_ms": 0, "attempts": 1, "hooks": HOOKS,
//             "env": {K: V},    step-specific: param_*, put_*, notify_*, NOTIFY_MESSAGE
//             get:      "cmd": CMD (pull) | "native": NATIVE, "version": {K: V}, "cache": KEY
//             task:     "cmd": CMD, "inputs": [path], "outputs": [path]
//             put:      "cmd": CMD (push), "cache": KEY
//             notify:   "cmd": CMD
//             parallel: "steps": [STEP], "limit": 0, "fail_fast": false
//             if:       "branches": [{ "name": N, "condition": C, "steps": [STEP] },
//                                    ...,
//                                    { "name": "else", "steps": [STEP] }] }
//
//   CMD    = { "runner": RUNNER, "params": {attr: value} }   the step's run-block
//   RUNNER = { "name": "exec" | "shell" | "docker" }          built-ins, or user-defined:
//            { "name": N, "path": "$x", "args": ["...", "$args"] }
//   NATIVE = { "type": "git" | "fs" | "cron" | "dir", "params": {...} }
//   KEY    = "team/pipeline/resource": the resource's $CACHE_DIR on the runner,
//            a directory that outlives builds (absent: no cache)
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
