// runner_internal: the pieces of the runner actor (runner.c).
// - runner_expand: a step's command -> argv + environment (runner types);
// - runner_build: one work item (a build plan or a check) executing in its own
//   thread(s), talking to the actor only through an emit callback (outgoing
//   messages) and two calls (credit, cancel), so it is testable without zmq;
// - runner_proc: one process of a step, with output streaming under credit,
//   step/job deadlines and cancellation (SIGTERM, grace, SIGKILL);
// - runner_native: resource operations done in-process (git, fs, cron).
#ifndef RUNNER_INTERNAL_H
#define RUNNER_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "pk_env.h"
#include "pk_msg.h"
#include "pk_plan.h"
#include "pk_value.h"

// --- runner_expand.c
typedef struct {
    char **argv;          // NULL-terminated; NULL when the command is a no-op
    pk_env_t *env;        // full environment of the process
    char *container;      // docker container name, to `docker kill` on cancel
} runner_cmdline_t;

int runner_expand(const pk_value_t *cmd, const pk_env_t *env, const pk_env_t *exported,
                  const char *workdir, const char *container, runner_cmdline_t *out, char **err);
void runner_cmdline_clear(runner_cmdline_t *self);

// --- runner_build.c
// Called from build threads with a message whose contents it now owns
// (it must pk_msg_clear it). Must be thread-safe. Called once more with NULL
// when the build's thread has finished (its slot is free).
typedef void (runner_emit_fn)(void *arg, pk_msg_t *msg);

typedef struct _runner_build_t runner_build_t;

#define RUNNER_KILL_GRACE_MS 2000       // SIGTERM -> SIGKILL
#define RUNNER_LOG_CHUNK 16384          // bytes per LOG message
#define RUNNER_INITIAL_CREDIT 16        // LOG messages in flight before the first CREDIT
#define RUNNER_LOG_SETTLE_MS 10000      // DONE waits this long at most for the log to be stored

// Takes ownership of plan. work_root is the directory under which the
// build's $WORKDIR is made (and removed when the build ends).
runner_build_t *runner_build_new(const char *id, uint32_t attempt, const char *kind,
                                 pk_value_t *plan, const char *work_root, const char *worker,
                                 runner_emit_fn *emit, void *emit_arg);
// Starts the build's thread. It emits STARTED, STEP and LOG messages, then
// exactly one DONE (builds) or VERSIONS (checks), then finishes.
void runner_build_start(runner_build_t *self);
void runner_build_cancel(runner_build_t *self, const char *reason);
void runner_build_credit(runner_build_t *self, uint32_t credits);
bool runner_build_finished(runner_build_t *self);
// The final DONE/VERSIONS has been emitted: the work's slot is free again
// even though its thread may still be cleaning up.
bool runner_build_reported(runner_build_t *self);
const char *runner_build_id(const runner_build_t *self);
uint32_t runner_build_attempt(const runner_build_t *self);
// Cancels if still running, waits for the thread, frees.
void runner_build_destroy(runner_build_t **self_p);

// --- runner_build internals shared with runner_proc.c / runner_steps.c
typedef enum {
    RUN_OK,              // succeeded
    RUN_FAILED,          // non-zero exit, missing input/output, failed condition...
    RUN_ERRORED,         // could not run at all (infrastructure, bad plan)
    RUN_CANCELLED,       // cancelled by a user or an interruptible build
    RUN_STEP_TIMEOUT,    // the step's own timeout
    RUN_JOB_TIMEOUT      // the build's timeout
} run_result_t;

struct _runner_build_t {
    char *id;
    uint32_t attempt;
    char *kind;
    pk_value_t *plan;
    char *workdir;
    char *worker;
    runner_emit_fn *emit;
    void *emit_arg;
    pthread_t thread;
    bool started;
    atomic_bool finished;
    atomic_bool reported;

    pthread_mutex_t lock;        // guards everything below
    int64_t credits;
    uint64_t log_seq;
    int *waiters;                // eventfds of running processes: poked on credit/cancel
    size_t waiter_count;
    char *cancel_reason;
    atomic_int cancel_gen;       // bumped by each cancel
    atomic_uint step_counter;    // next step index
    int64_t job_deadline_ms;     // monotonic; 0 = none
    int64_t job_timeout_ms;
    pk_env_t *base_env;          // runner's environment + plan env + WORKDIR
};

typedef struct {
    runner_build_t *build;
    uint32_t step;               // step index for LOG/STEP messages
    int64_t deadline_ms;         // step deadline (monotonic), 0 = none
    int64_t step_timeout_ms;     // for the message
    int gen;                     // cancel generation this work runs under
    bool ignore_job_deadline;    // hooks run after a job timeout
    char *capture;               // when non-NULL (checks): keep output here instead of LOG
    size_t capture_len, capture_cap;
} run_ctx_t;

int64_t runner_now_ms(void);
// now + timeout_ms, saturating (plans come from the network)
int64_t runner_deadline(int64_t timeout_ms);
// LOG message for step with bytes (consumes a credit; internal notes may drive
// credits negative so they are never lost)
void runner_build_log(runner_build_t *b, uint32_t step, const void *data, size_t len);
void runner_build_logf(runner_build_t *b, uint32_t step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void runner_build_step_msg(runner_build_t *b, uint32_t step, const char *kind, const char *name,
                           const char *status, int64_t exit_code, uint64_t started_ms,
                           const char *message, const pk_env_t *outputs);
void runner_build_add_waiter(runner_build_t *b, int fd);
void runner_build_remove_waiter(runner_build_t *b, int fd);

// --- runner_proc.c: run one command line to completion under ctx.
// *status gets the exit status when RUN_OK/RUN_FAILED.
run_result_t runner_proc_run(run_ctx_t *ctx, runner_cmdline_t *cl, int *status);

// --- runner_steps.c: plan interpretation
// What a sequence of steps runs under: the nearest deadline (monotonic ms,
// 0 = none), the cancel generation it was started in, and whether it is a
// hook (hooks run after a cancel or a job timeout, so neither stops them).
typedef struct {
    int64_t deadline_ms;
    int gen;
    bool hook;
} run_scope_t;

// The fail_fast flag of the in_parallel group this thread runs in, if any.
extern _Thread_local atomic_bool *runner_tl_abort;

run_result_t runner_steps_run(runner_build_t *b, const pk_value_t *steps, pk_env_t *exports,
                              run_scope_t scope, const char *prefix);
run_result_t runner_hooks_run(runner_build_t *b, const pk_value_t *hooks, run_result_t result,
                              pk_env_t *exports, const char *prefix);
const char *runner_result_status(run_result_t r);
// $version_<key> for every field of a version (checks: the latest known;
// gets: the chosen one); non-scalar fields as JSON.
void runner_set_version_env(pk_env_t *env, const pk_value_t *version);

// --- runner_native.c: in-process resource operations.
// check: versions_json_out gets the JSON array text. get: materialise the
// version into dest. 0 or -1 with *err_out.
int runner_native_check(const pk_value_t *native, const pk_value_t *last_version,
                        const char *workdir, char **versions_json_out, char **err_out);
int runner_native_get(const pk_value_t *native, const pk_value_t *version, const char *workdir,
                      char **err_out);
// The runner's cache root ($PIKOCI_CACHE_DIR, default /tmp/pikoci-cache).
const char *runner_cache_root(void);
// Sets $CACHE_DIR in env (creating the directory) when obj has a "cache" key.
void runner_set_cache_dir(const pk_value_t *obj, pk_env_t *env);

#endif
