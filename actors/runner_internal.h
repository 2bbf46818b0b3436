// runner_internal: the pieces of the runner actor (runner.c).
// - runner_expand: a step's command -> argv + environment (runner types);
// - runner_build: one work item (a build plan or a check) executing in its own
//   thread(s), talking to the actor only through an emit callback (outgoing
//   messages) and two calls (credit, cancel), so it is testable without zmq;
// - runner_proc: one process of a step, with output streaming under credit,
//   step/job deadlines and cancellation (SIGTERM, grace, SIGKILL);
// - runner_native: resource operations done in-process (git, fs, cron);
// - runner_forge: the git type's pull-request mode through the forge's API.
#ifndef RUNNER_INTERNAL_H
#define RUNNER_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "pk_env.h"
#include "pk_msg.h"
#include "pk_plan.h"
#include "pk_proc.h"
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
#define RUNNER_LOG_CHUNK (65536 - 512)  // bytes per LOG message: a read takes what the pipe has,
                                        // and the packed message still fits in 64 KiB
#define RUNNER_INITIAL_CREDIT 16        // LOG messages in flight before the first CREDIT
#define RUNNER_LOG_SETTLE_MS 60000      // DONE waits this long at most for the log to be stored
#define RUNNER_KEEP_MS 60000            // a finished build's DONE is re-sent on reconnect this long
#define RUNNER_KEEP_MAX 64              // finished builds kept for that, at most

// Takes ownership of plan. work_root is the directory under which the
// build's $WORKDIR is made (and removed when the build ends); spare (may be
// NULL; it must outlive the build) gives one made ahead, and the build
// makes the next one when it ends (runner_workroot.c).
typedef struct _runner_spare_t runner_spare_t;
runner_build_t *runner_build_new(const char *id, uint32_t attempt, const char *kind,
                                 pk_value_t *plan, const char *work_root, const char *worker,
                                 runner_spare_t *spare, runner_emit_fn *emit, void *emit_arg);
// Starts the build's thread. It emits STARTED, STEP and LOG messages, then
// exactly one DONE (builds) or VERSIONS (checks), then finishes.
void runner_build_start(runner_build_t *self);
// Before runner_build_start: every process of the build runs as user (a
// copy is kept): its $WORKDIR is handed to that user, $HOME/$USER/$LOGNAME
// are that user's. 0, or -1 with *err_out when the workdir cannot be given.
int runner_build_run_as(runner_build_t *self, const pk_proc_user_t *user, char **err_out);
void runner_build_cancel(runner_build_t *self, const char *reason);
// The runner stops: cancels the build, which then reports without waiting
// for the log's credit (the runner's loop, which would receive it, is gone).
void runner_build_stop(runner_build_t *self);
void runner_build_credit(runner_build_t *self, uint32_t credits);
bool runner_build_finished(runner_build_t *self);
// Once finished: waits for the thread's last instructions and frees its
// stack for the next build (the build itself stays, for a resync).
void runner_build_join(runner_build_t *self);
// The final DONE/VERSIONS has been emitted: the work's slot is free again
// even though its thread may still be cleaning up.
bool runner_build_reported(runner_build_t *self);
const char *runner_build_id(const runner_build_t *self);
// The last non-empty line of a process's output (a check's result, a secret
// get's answer), caller frees.
char *runner_last_line(const char *out, size_t len);
uint32_t runner_build_attempt(const runner_build_t *self);
const char *runner_build_kind(const runner_build_t *self);
// The broker or server restarted (or asked us to announce ourselves): emit
// again, in order, what it may have lost -- STARTED with its original time
// (while running), the last STEP of each step, every LOG chunk not credited
// yet with its original seq (the sink drops what it already stored), and
// the final DONE once reported. Credit is not reset: it always equals
// RUNNER_INITIAL_CREDIT minus the chunks in that window, and a resent chunk
// stays in the window until credited.
void runner_build_resync(runner_build_t *self);
// LOG chunks sent and not credited yet.
size_t runner_build_window(runner_build_t *self);
// Cancels if still running, waits for the thread, frees.
void runner_build_destroy(runner_build_t **self_p);

// --- runner_workroot.c: the runner's work root, held for its life (see the
// file's top). claim: made (0700, or 0711 when shared with a --run-as user),
// locked (shared: runners of one process may share it), marked, and dead
// runners' roots beside it removed; returns the lock's fd, or -1 with *err_out.
int runner_workroot_claim(const char *work_root, bool shared, char **err_out);
void runner_workroot_release(int fd, const char *work_root);
// A fresh $WORKDIR made ahead under work_root (see the file): take gives
// it (caller frees the path; NULL when none is ready), make makes one when
// none is waiting, destroy removes the unused one.
runner_spare_t *runner_spare_new(const char *work_root);
char *runner_spare_take(runner_spare_t *self);
void runner_spare_make(runner_spare_t *self);
void runner_spare_destroy(runner_spare_t **self_p);
// rm -r that never follows a link nor crosses into another file system
// (an empty directory, a task's usual $WORKDIR, is one rmdir).
void runner_rm_tree(const char *path);
// --- runner_runas.c
// With --run-as (no-ops without): dir and everything in it become the build
// user's (a native get's checkout, made by the runner itself); the step's
// $CACHE_DIR too, its parents made passable.
void runner_give_tree(runner_build_t *b, const char *dir);
void runner_give_cache_dir(runner_build_t *b, const pk_env_t *env);
// runner_native_get into b's workdir; for a path on this machine ("fs",
// "dir") under --run-as, made by a child running as the build user.
int runner_native_get_as(runner_build_t *b, const pk_value_t *native, const pk_value_t *version,
                         char **err_out);

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
    bool joined;                 // its thread is joined (runner_build_join)
    atomic_bool finished;
    atomic_bool reported;

    pthread_mutex_t lock;        // guards everything below
    int64_t credits;             // RUNNER_INITIAL_CREDIT - chunks in window
    uint64_t log_seq;
    uint64_t started_ms;         // wall time STARTED said (0 before it)
    zlist_t *window;             // zmsg_t LOG sent, not credited, oldest first
    zmsg_t **step_msgs;          // the last STEP of each step index (or NULL)
    size_t step_cap;
    zmsg_t *final;               // DONE / VERSIONS once emitted
    int *waiters;                // eventfds of running processes: poked on credit/cancel
    size_t waiter_count;
    char *cancel_reason;
    atomic_int cancel_gen;       // bumped by each cancel
    atomic_bool stopping;        // the runner is stopping: no credit can come any more
    atomic_bool log_lost;        // the sink cannot store our log: output is dropped
                                 // (so hooks read to the end instead of waiting for credit)
    atomic_uint step_counter;    // next step index
    int64_t job_deadline_ms;     // monotonic; 0 = none
    int64_t job_timeout_ms;
    pk_env_t *base_env;          // runner's environment + plan env + WORKDIR
    pk_proc_user_t run_as;       // run_as.name NULL: processes run as the runner
    runner_spare_t *spare;       // the runner's $WORKDIR made ahead (may be NULL)
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
    bool tee;                    // with capture (puts): keep it here and LOG it too
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
// The same for a put that succeeded: resource and the versions it produced
// (a list of objects) go back to the scheduler with it.
void runner_build_step_msg_put(runner_build_t *b, uint32_t step, const char *kind,
                               const char *name, const char *status, int64_t exit_code,
                               uint64_t started_ms, const char *message,
                               const pk_env_t *outputs, const char *resource,
                               const pk_value_t *versions);
void runner_build_add_waiter(runner_build_t *b, int fd);
void runner_build_remove_waiter(runner_build_t *b, int fd);

// --- runner_proc.c: run one command line to completion under ctx.
// *status gets the exit status when RUN_OK/RUN_FAILED.
run_result_t runner_proc_run(run_ctx_t *ctx, runner_cmdline_t *cl, int *status);
// Every process of build b starts here: as b's --run-as user if it has
// one, and dying with the thread that spawns it (the build's own thread or
// one of its in_parallel threads, which outlive their processes), so
// nothing of a build outlives a runner that is killed. NULL with *err;
// *privs true when dropping privileges failed (the step errors).
pk_proc_t *runner_spawn(runner_build_t *b, runner_cmdline_t *cl, char **err, bool *privs);

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
// gets: the chosen one); nested fields flattened as PikoCI does
// (version_metadata_sha, version_tags_0).
void runner_set_version_env(pk_env_t *env, const pk_value_t *version);

// --- runner_native.c: in-process resource operations.
// check: versions_json_out gets the JSON array text. get: materialise the
// version into dest. 0 or -1 with *err_out; a get may set *err_out on
// success too, a line for the step's log (cron prints its date).
int runner_native_check(const pk_value_t *native, const pk_value_t *last_version,
                        const char *workdir, char **versions_json_out, char **err_out);
int runner_native_get(const pk_value_t *native, const pk_value_t *version, const char *workdir,
                      char **err_out);
// The runner's cache root ($PIKOCI_CACHE_DIR, default /tmp/pikoci-cache).
const char *runner_cache_root(void);

// --- runner_forge.c: the git type's pr = true mode through the forge's API.
typedef struct {
    int forge;
    const char *name;       // "github", "gitlab" or "gitea" (also forgejo's)
    char *api;              // the API's base URL, no trailing slash
    char *repo;             // "owner/name" (GitLab: the whole group path)
} runner_forge_t;
// Which forge, API and repository a git resource's params name (provider,
// api_url, repository, else worked out from url). 0, or -1 with *err_out.
int runner_forge_target(const pk_value_t *params, runner_forge_t *out, char **err_out);
void runner_forge_clear(runner_forge_t *self);
// Open pull requests as versions {"ref","pr"} (last_pr NULL: first check,
// the newest only). 0 with *versions_json_out, or -1 with *err_out.
int runner_forge_check(const pk_value_t *params, const char *last_pr, char **versions_json_out,
                       char **err_out);
// The versions in a forge's answer to the listing (JSON text), or -1 with
// *err_out when it is no list; entries without a number or a head sha are
// skipped.
int runner_forge_versions(const runner_forge_t *forge, const char *body, size_t len,
                          char **versions_json_out, char **err_out);
// The forge's ref holding pull request number's head (caller frees *ref_out).
int runner_forge_pr_ref(const pk_value_t *params, const char *number, char **ref_out,
                        char **err_out);
// Sets $CACHE_DIR in env (creating the directory) when obj has a "cache" key.
void runner_set_cache_dir(const pk_value_t *obj, pk_env_t *env);

// --- runner_mask.c: secret values -> "***" in output (see the file's top)
#define RUNNER_MASK_MIN 3       // shorter values are not masked (they would garble every log)
typedef struct _runner_mask_t runner_mask_t;
typedef struct _runner_mask_stream_t runner_mask_stream_t;
runner_mask_t *runner_mask_new(void);
void runner_mask_destroy(runner_mask_t **self_p);
// Masks value and its base64 (unpadded), JSON-escaped and newline-trimmed forms.
void runner_mask_add(runner_mask_t *self, const char *value, size_t len);
size_t runner_mask_count(const runner_mask_t *self);     // patterns, forms included
size_t runner_mask_max_len(const runner_mask_t *self);
// One output stream (one process): write returns the masked bytes that are
// safe to emit now (*out valid until the next call); flush, at the stream's
// end, the rest. mask may be NULL or empty: the data passes through.
runner_mask_stream_t *runner_mask_stream_new(const runner_mask_t *mask);
void runner_mask_stream_destroy(runner_mask_stream_t **self_p);
size_t runner_mask_stream_write(runner_mask_stream_t *self, const void *data, size_t len,
                                const char **out);
size_t runner_mask_stream_flush(runner_mask_stream_t *self, const char **out);
// Whole texts (caller frees; NUL-terminated).
char *runner_mask_apply(const runner_mask_t *self, const void *data, size_t len, size_t *out_len);
char *runner_mask_str(const runner_mask_t *self, const char *text);

// --- runner_secrets.c: the plan's "secrets" section resolved on the runner
typedef struct _runner_secrets_t runner_secrets_t;
#define RUNNER_SECRET_MAX_DEPTH 10      // chained secrets, as PikoCI
#define RUNNER_SECRET_TIMEOUT_MS 120000 // one get command at most
// Resolves section (see pk_plan.h) for build b: runs each get in dependency
// order (cycles and unknown references are errors), ctx gives the cancel
// generation and deadlines they run under. NULL with *err (never holding a
// value) when a secret cannot be resolved.
runner_secrets_t *runner_secrets_new(runner_build_t *b, const pk_value_t *section,
                                     const run_ctx_t *ctx, char **err);
void runner_secrets_destroy(runner_secrets_t **self_p);
// vasprintf that returns the string (NULL on failure), and free that first
// zeroes a string which may hold a secret value.
char *runner_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void runner_wipe(char *s);
const runner_mask_t *runner_secrets_mask(const runner_secrets_t *self);
const char *runner_secrets_get(const runner_secrets_t *self, const char *name);   // NULL if absent
// text with every "((pikoci_secret:NAME))" replaced (caller frees); NULL
// with *err when it names a secret self does not hold (self may be NULL).
char *runner_secrets_subst(const runner_secrets_t *self, const char *text, char **err);
// Replaces the placeholders in a command line's argv and environment. 0 / -1 with *err.
int runner_secrets_apply(const runner_secrets_t *self, runner_cmdline_t *cl, char **err);
// The secrets of build b, resolved once, on first use, shared by all its
// steps: a new reference (runner_secrets_destroy it), NULL when its plan has
// none, NULL with *err when they cannot be resolved.
runner_secrets_t *runner_build_secrets(runner_build_t *b, const run_ctx_t *ctx, char **err);
// A copy of value with the placeholders in its strings replaced (NULL with
// *err): for params used in process, e.g. a native git get's url.
pk_value_t *runner_secrets_subst_value(const runner_secrets_t *self, const pk_value_t *value,
                                       char **err);
// text masked with build b's secrets if they are resolved, else a copy
// (caller frees): for the runner's own messages -- step errors, STEP
// outputs read from $PIKOCI_OUTPUT -- which may quote a value.
char *runner_build_mask(runner_build_t *b, const char *text);
// runner_secrets_get.c: one secret's value from its (substituted) plan
// entry, or NULL with *err (*transient: cancelled or timed out, worth
// another try). Output of a failing get is shown masked with mask.
char *runner_secret_fetch(runner_build_t *b, const run_ctx_t *ctx, const char *name,
                          const pk_value_t *entry, const runner_mask_t *mask, char **err,
                          bool *transient);
// runner_secrets_yaml.c: a YAML secrets file (mappings of scalars, nested by
// indentation) as an object, or NULL with *err (caller frees; names a line,
// never a value).
pk_value_t *runner_secrets_yaml(const char *text, size_t len, char **err);
// Resolves now (at the start of a build) instead of at the first process; 0 / -1 with *err.
int runner_secrets_prepare(runner_build_t *b, char **err);
// Forgets (and wipes) build b's secrets. Ended builds are also swept lazily.
void runner_secrets_release(runner_build_t *b);

// --- runner_proc.c
// runner_proc_run without secrets: no placeholder substitution, no masking
// (the secret types' own get commands).
run_result_t runner_proc_run_plain(run_ctx_t *ctx, runner_cmdline_t *cl, int *status);

// --- services and notifications (runner_services.c, runner_notify.c), and
// what they share with runner_steps.c
#define RUNNER_SERVICE_SETTLE_MS 1000   // a start with no ready_check still running is started
#define RUNNER_SERVICE_STOP_MS 10000    // default stop timeout (plan: stop_timeout_ms)
#define RUNNER_NOTIFY_TIMEOUT_MS 60000  // an automatic notification without its own timeout

// A leaf step's environment: env is the whole of it (runner, build, step,
// exports), own what pikoci provides (docker forwards it). Caller destroys both.
void runner_step_env(runner_build_t *b, const pk_value_t *step, const pk_env_t *exports,
                     pk_env_t **env, pk_env_t **own);
// One step with its attempts, hooks and STEP messages (named prefix + name).
run_result_t runner_step_run(runner_build_t *b, const pk_value_t *step, pk_env_t *exports,
                             run_scope_t scope, const char *prefix);
// "pikoci-<id>-<attempt>-<step>" made safe as a docker container name.
void runner_container_name(runner_build_t *b, uint32_t step, char *buf, size_t size);

// The build thread's service list: begin when the top-level plan starts
// (false when one is open already), end when it ends -- every service whose
// start ran is stopped, newest first, whatever the plan's result.
bool runner_services_begin(runner_build_t *b);
void runner_services_end(runner_build_t *b);
// A "service" step: NAME:start, NAME:ready, then its hooks.
run_result_t runner_service_step(runner_build_t *b, const pk_value_t *step, pk_env_t *exports,
                                 run_scope_t scope, const char *prefix);

// $NAME / ${NAME} from vars (unknown names stay as written), "\n" -> newline.
// Caller frees.
char *runner_notify_interpolate(const char *text, const pk_env_t *vars);
// A notify step's $NOTIFY_MESSAGE interpolated in env and own.
void runner_notify_prepare(runner_build_t *b, pk_env_t *env, pk_env_t *own);
// The plan's automatic notifications whose "on" has the final status.
void runner_notify_all(runner_build_t *b, run_result_t result, pk_env_t *exports);

#endif
