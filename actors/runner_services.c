// runner_services: the service steps of a build. A service lives longer than
// its step: its start command may keep running through the rest of the plan
// (a server in the foreground) or exit after starting a daemon, and its stop
// must run when the plan ends whatever happened. So each started service
// gets a pump thread that owns its start process -- draining its output into
// the NAME:start log under the build's credit, so a chatty server never
// blocks on a full pipe, and terminating its process group when asked --
// while the build thread polls the ready_check and carries on with the plan.
//
// The services of a build are kept in a list local to the build's thread:
// the top-level plan opens it and, once the plan has ended, stops every
// service whose start ran, newest first. Only the plan's own sequence (and
// its if branches) runs on that thread; in_parallel branches and hooks do
// not see the list, which is how a service there is refused at run time too.
//
// ready_check and stop run through runner_proc_run like any step; the start
// command is spawned here, so it gets the same secret treatment by hand: the
// build's secrets substituted into its command line, its output masked.
#include "runner_internal.h"
#include "pk_duration.h"
#include "pk_proc.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    runner_build_t *build;
    char *name;                 // shown as NAME:start, NAME:ready, NAME:stop
    const pk_value_t *step;     // in the plan, which outlives the build's thread
    pk_env_t *env, *own;        // what the start command saw; ready_check and stop too
    uint32_t start_idx;
    pk_proc_t *proc;            // the start process; the pump thread's once it runs
    runner_secrets_t *secrets;  // the build's, for masking the start's output
    pthread_t pump;
    bool pumping;
    int pump_wake;              // eventfd: credit, cancel, kill request -> pump
    int main_wake;              // eventfd: cancel, start exited -> build thread
    atomic_bool exited;         // the start process has exited...
    atomic_int status;          // ...with this status
    atomic_bool kill;           // stop ran: terminate what is left of its group
} s_service_t;

typedef struct {
    s_service_t **items;
    size_t count;
} s_list_t;

static _Thread_local s_list_t *s_services;

static void
s_poke(int fd)
{
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof one) < 0) {
        // saturated: already awake
    }
}

static void
s_drain(int fd)
{
    uint64_t n;
    if (read(fd, &n, sizeof n) < 0) {
        // nothing pending
    }
}

// Sleeps on fd until poked or for ms at most.
static void
s_nap(int fd, int64_t ms)
{
    struct pollfd pfd = { fd, POLLIN, 0 };
    if (ms > 0 && poll(&pfd, 1, ms > 60000 ? 60000 : (int) ms) > 0)
        s_drain(fd);
}

// The pump: owns the start process from spawn to reaping.
static void *
s_pump(void *arg)
{
    s_service_t *s = arg;
    runner_build_t *b = s->build;
    char *buf = malloc(RUNNER_LOG_CHUNK);
    const runner_mask_t *mask = runner_secrets_mask(s->secrets);
    runner_mask_stream_t *masker = mask && runner_mask_count(mask)
                                 ? runner_mask_stream_new(mask) : NULL;
    const char *shown = NULL;
    int64_t kill_at = 0, give_up = 0;
    bool terminating = false;
    while (!pk_proc_done(s->proc)) {
        int64_t now = runner_now_ms();
        if (atomic_load(&s->kill) && !terminating) {
            terminating = true;
            pk_proc_signal(s->proc, SIGTERM);
            kill_at = now + RUNNER_KILL_GRACE_MS;
        }
        if (kill_at && now >= kill_at) {
            pk_proc_signal(s->proc, SIGKILL);
            kill_at = 0;
            give_up = now + 1000;   // a daemon outside the group may still hold the pipe
        }
        if (give_up && now >= give_up)
            break;
        bool may_read = terminating || atomic_load(&b->log_lost);
        if (!may_read) {
            pthread_mutex_lock(&b->lock);
            may_read = b->credits > 0;
            pthread_mutex_unlock(&b->lock);
        }
        struct pollfd fds[3];
        nfds_t n = 0;
        fds[n++] = (struct pollfd) { s->pump_wake, POLLIN, 0 };
        if (pk_proc_exit_fd(s->proc) >= 0)
            fds[n++] = (struct pollfd) { pk_proc_exit_fd(s->proc), POLLIN, 0 };
        if (may_read && pk_proc_output_fd(s->proc) >= 0)
            fds[n++] = (struct pollfd) { pk_proc_output_fd(s->proc), POLLIN, 0 };
        int64_t next = now + 1000;
        if (kill_at && kill_at < next)
            next = kill_at;
        if (give_up && give_up < next)
            next = give_up;
        if (poll(fds, n, next > now ? (int) (next - now) : 0) < 0 && errno != EINTR)
            break;
        s_drain(s->pump_wake);
        if (may_read) {
            ssize_t r = pk_proc_read(s->proc, buf, RUNNER_LOG_CHUNK);
            if (r > 0 && masker) {
                size_t n = runner_mask_stream_write(masker, buf, (size_t) r, &shown);
                runner_build_log(b, s->start_idx, shown, n);
            }
            else
            if (r > 0)
                runner_build_log(b, s->start_idx, buf, (size_t) r);
        }
        if (pk_proc_reap(s->proc) && !atomic_load(&s->exited)) {
            atomic_store(&s->status, pk_proc_status(s->proc));
            atomic_store(&s->exited, true);
            s_poke(s->main_wake);
        }
    }
    if (masker) {
        size_t n = runner_mask_stream_flush(masker, &shown);
        runner_build_log(b, s->start_idx, shown, n);
        runner_mask_stream_destroy(&masker);
    }
    free(buf);
    pk_proc_reap_group(s->proc);
    if (pk_proc_reap(s->proc) && !atomic_load(&s->exited)) {
        atomic_store(&s->status, pk_proc_status(s->proc));
        atomic_store(&s->exited, true);
    }
    return NULL;
}

static void
s_service_destroy(s_service_t **self_p)
{
    s_service_t *s = *self_p;
    if (!s)
        return;
    if (s->pumping)
        pthread_join(s->pump, NULL);
    runner_build_remove_waiter(s->build, s->pump_wake);
    runner_build_remove_waiter(s->build, s->main_wake);
    pk_proc_destroy(&s->proc);
    runner_secrets_destroy(&s->secrets);
    close(s->pump_wake);
    close(s->main_wake);
    pk_env_destroy(&s->env);
    pk_env_destroy(&s->own);
    free(s->name);
    free(s);
    *self_p = NULL;
}

// Cancel, the job's timeout or an enclosing step's timeout.
static bool
s_halted(runner_build_t *b, run_scope_t scope, run_result_t *r)
{
    int64_t now = runner_now_ms();
    if (atomic_load(&b->cancel_gen) != scope.gen)
        *r = RUN_CANCELLED;
    else
    if (b->job_deadline_ms && now >= b->job_deadline_ms)
        *r = RUN_JOB_TIMEOUT;
    else
    if (scope.deadline_ms && now >= scope.deadline_ms)
        *r = RUN_STEP_TIMEOUT;
    else
        return false;
    return true;
}

// Runs one of the service's commands (ready_check, stop) to completion.
static run_result_t
s_run_cmd(s_service_t *s, const char *key, run_ctx_t *ctx, int *status)
{
    runner_build_t *b = s->build;
    char container[256], *err = NULL;
    runner_container_name(b, ctx->step, container, sizeof container);
    runner_cmdline_t cl;
    if (runner_expand(pk_plan_object(s->step, key), s->env, s->own, b->workdir, container, &cl,
                      &err) != 0) {
        runner_build_logf(b, ctx->step, "%s\n", err);
        free(err);
        return RUN_ERRORED;
    }
    run_result_t r = runner_proc_run(ctx, &cl, status);
    runner_cmdline_clear(&cl);
    return r;
}

static bool
s_start_failed(s_service_t *s, char *message, size_t size)
{
    if (!atomic_load(&s->exited) || atomic_load(&s->status) == 0)
        return false;
    snprintf(message, size, "the start command exited with status %d", atomic_load(&s->status));
    return true;
}

// NAME:ready: the ready_check every interval until it exits 0 or the
// ready timeout passes.
static run_result_t
s_wait_ready(s_service_t *s, run_scope_t scope)
{
    runner_build_t *b = s->build;
    uint32_t idx = atomic_fetch_add(&b->step_counter, 1);
    uint64_t started = (uint64_t) zclock_time();
    char full[600];
    snprintf(full, sizeof full, "%s:ready", s->name);
    runner_build_step_msg(b, idx, "service", full, "started", 0, started, NULL, NULL);
    int64_t interval = pk_plan_int(s->step, "ready_interval_ms", 1000);
    int64_t timeout = pk_plan_int(s->step, "ready_timeout_ms", 60000);
    if (interval < 10)
        interval = 10;
    int64_t deadline = runner_deadline(timeout > 0 ? timeout : 0);
    char message[256] = "";
    int status = 0;
    run_result_t r = RUN_FAILED;
    while (!s_halted(b, scope, &r)) {
        if (s_start_failed(s, message, sizeof message)) {
            r = RUN_FAILED;
            break;
        }
        run_ctx_t ctx = { .build = b, .step = idx, .gen = scope.gen, .deadline_ms = deadline };
        if (scope.deadline_ms && scope.deadline_ms < deadline)
            ctx.deadline_ms = scope.deadline_ms;
        r = s_run_cmd(s, "ready_check", &ctx, &status);
        if (r == RUN_OK || r == RUN_CANCELLED || r == RUN_JOB_TIMEOUT || r == RUN_ERRORED)
            break;
        int64_t now = runner_now_ms();
        if (now >= deadline) {
            char *d = pk_duration_format(timeout);
            snprintf(message, sizeof message, "service %s was not ready after %s", s->name, d);
            free(d);
            r = RUN_FAILED;
            break;
        }
        if (r == RUN_STEP_TIMEOUT)
            break;              // an enclosing step's timeout, not ours
        int64_t wait = interval < deadline - now ? interval : deadline - now;
        if (b->job_deadline_ms && b->job_deadline_ms - now < wait)
            wait = b->job_deadline_ms - now;
        s_nap(s->main_wake, wait);
    }
    if (*message)
        runner_build_logf(b, idx, "%s\n", message);
    runner_build_step_msg(b, idx, "service", full,
                          runner_result_status(r == RUN_STEP_TIMEOUT ? RUN_FAILED : r),
                          status, started, *message ? message : NULL, NULL);
    return r;
}

// No ready_check: the start command's exit (0 = started) or, while it keeps
// running, RUNNER_SERVICE_SETTLE_MS of it.
static run_result_t
s_wait_settle(s_service_t *s, run_scope_t scope)
{
    int64_t until = runner_deadline(RUNNER_SERVICE_SETTLE_MS);
    run_result_t r = RUN_OK;
    while (!atomic_load(&s->exited) && !s_halted(s->build, scope, &r)) {
        int64_t left = until - runner_now_ms();
        if (left <= 0)
            break;
        s_nap(s->main_wake, left);
    }
    return r;
}

// Spawns the start command and hands it to a pump thread; NULL with the
// reason logged when nothing could be started.
static s_service_t *
s_spawn(runner_build_t *b, const pk_value_t *step, pk_env_t *exports, const char *name,
        uint32_t idx, run_scope_t scope)
{
    s_service_t *s = calloc(1, sizeof *s);
    s->build = b;
    s->name = strdup(name);
    s->step = step;
    s->start_idx = idx;
    s->pump_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    s->main_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    runner_build_add_waiter(b, s->pump_wake);
    runner_build_add_waiter(b, s->main_wake);
    runner_step_env(b, step, exports, &s->env, &s->own);
    char container[256], *err = NULL;
    runner_container_name(b, idx, container, sizeof container);
    runner_cmdline_t cl;
    if (runner_expand(pk_plan_object(step, "start"), s->env, s->own, b->workdir, container, &cl,
                      &err) != 0) {
        runner_build_logf(b, idx, "%s\n", err);
        free(err);
        s_service_destroy(&s);
        return NULL;
    }
    if (cl.argv) {
        run_ctx_t ctx = { .build = b, .step = idx, .gen = scope.gen,
                          .deadline_ms = scope.deadline_ms };
        s->secrets = runner_build_secrets(b, &ctx, &err);
        if (!err)
            runner_secrets_apply(s->secrets, &cl, &err);
        if (!err)
            s->proc = runner_spawn(b, &cl, &err, NULL);
    }
    else
        atomic_store(&s->exited, true);     // a no-op start: nothing to run
    if (err) {
        // the message may quote argv[0], which may hold a secret
        char *shown = runner_mask_str(runner_secrets_mask(s->secrets), err);
        runner_build_logf(b, idx, "%s\n", shown ? shown : "the start command could not be run");
        free(shown);
        free(err);
        runner_cmdline_clear(&cl);
        s_service_destroy(&s);
        return NULL;
    }
    runner_cmdline_clear(&cl);
    if (s->proc) {
        s->pumping = pthread_create(&s->pump, NULL, s_pump, s) == 0;
        if (!s->pumping) {
            runner_build_logf(b, idx, "cannot start a thread for the service\n");
            s_service_destroy(&s);
            return NULL;
        }
    }
    return s;
}

static void s_stop(runner_build_t *b, s_service_t *s);

run_result_t
runner_service_step(runner_build_t *b, const pk_value_t *step, pk_env_t *exports,
                    run_scope_t scope, const char *prefix)
{
    char name[512], full[600];
    snprintf(name, sizeof name, "%s%s", prefix, pk_plan_str(step, "name", ""));
    snprintf(full, sizeof full, "%s:start", name);
    uint32_t idx = atomic_fetch_add(&b->step_counter, 1);
    uint64_t started = (uint64_t) zclock_time();
    runner_build_step_msg(b, idx, "service", full, "started", 0, started, NULL, NULL);
    if (!s_services) {
        const char *why = "a service can only run in a job's plan (not inside in_parallel "
                          "or a hook)";
        runner_build_logf(b, idx, "%s\n", why);
        runner_build_step_msg(b, idx, "service", full, "failed", 0, started, why, NULL);
        return RUN_FAILED;
    }
    // the step's own timeout covers starting and getting ready
    int64_t timeout = pk_plan_int(step, "timeout_ms", 0);
    if (timeout > 0) {
        int64_t mine = runner_deadline(timeout);
        if (!scope.deadline_ms || mine < scope.deadline_ms)
            scope.deadline_ms = mine;
    }
    s_service_t *s = s_spawn(b, step, exports, name, idx, scope);
    if (!s) {
        runner_build_step_msg(b, idx, "service", full, "failed", 127, started,
                              "the start command could not be run", NULL);
        return RUN_FAILED;
    }
    // from here on its stop runs whatever happens
    s_list_t *list = s_services;
    s_service_t **grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (grown) {
        list->items = grown;
        list->items[list->count++] = s;
    }
    run_result_t r = pk_plan_object(step, "ready_check") ? s_wait_ready(s, scope)
                                                         : s_wait_settle(s, scope);
    char message[256] = "";
    int status = 0;
    const char *st = "succeeded";
    if (s_start_failed(s, message, sizeof message)) {
        status = atomic_load(&s->status);
        st = "failed";
        if (r == RUN_OK)
            r = RUN_FAILED;
    }
    else
    if (r == RUN_STEP_TIMEOUT && timeout > 0) {
        char *d = pk_duration_format(timeout);
        snprintf(message, sizeof message, "step timed out after %s", d);
        free(d);
        runner_build_logf(b, idx, "%s\n", message);
        st = "failed";
    }
    else
    if (!atomic_load(&s->exited))
        snprintf(message, sizeof message, "running in the background");
    runner_build_step_msg(b, idx, "service", full, st, status, started, message, NULL);
    if (!grown) {
        // nowhere to remember it: stop it now rather than leak it
        s_stop(b, s);
        s_service_destroy(&s);
        if (r == RUN_OK)
            r = RUN_ERRORED;
    }
    if (r == RUN_STEP_TIMEOUT)
        r = RUN_FAILED;
    char hook_prefix[sizeof name + 1];
    snprintf(hook_prefix, sizeof hook_prefix, "%s:", name);
    runner_hooks_run(b, pk_plan_object(step, "hooks"), r, exports, hook_prefix);
    return r;
}

bool
runner_services_begin(runner_build_t *b)
{
    (void) b;
    if (s_services)
        return false;
    s_services = calloc(1, sizeof *s_services);
    return s_services != NULL;
}

// NAME:stop for one service, then its start process group goes.
static void
s_stop(runner_build_t *b, s_service_t *s)
{
    uint32_t idx = atomic_fetch_add(&b->step_counter, 1);
    uint64_t started = (uint64_t) zclock_time();
    char full[600];
    snprintf(full, sizeof full, "%s:stop", s->name);
    runner_build_step_msg(b, idx, "service", full, "started", 0, started, NULL, NULL);
    int64_t timeout = pk_plan_int(s->step, "stop_timeout_ms", RUNNER_SERVICE_STOP_MS);
    if (timeout <= 0)
        timeout = RUNNER_SERVICE_STOP_MS;
    // the stop runs after a cancel or a job timeout too: it takes the current
    // cancel generation and only its own deadline
    run_ctx_t ctx = { .build = b, .step = idx, .gen = atomic_load(&b->cancel_gen),
                      .deadline_ms = runner_deadline(timeout), .ignore_job_deadline = true };
    int status = 0;
    run_result_t r = s_run_cmd(s, "stop", &ctx, &status);
    char message[256] = "";
    if (r == RUN_STEP_TIMEOUT) {
        char *d = pk_duration_format(timeout);
        snprintf(message, sizeof message, "stop timed out after %s", d);
        free(d);
        runner_build_logf(b, idx, "%s\n", message);
        r = RUN_FAILED;
    }
    if (s->pumping) {
        // a stop that ends the server lets the start command exit by itself
        int64_t until = runner_deadline(RUNNER_SERVICE_SETTLE_MS);
        int64_t left;
        while (!atomic_load(&s->exited) && (left = until - runner_now_ms()) > 0)
            s_nap(s->main_wake, left);
        bool running = !atomic_load(&s->exited);
        atomic_store(&s->kill, true);
        s_poke(s->pump_wake);
        pthread_join(s->pump, NULL);
        s->pumping = false;
        if (running)
            runner_build_logf(b, idx, "the start command was still running after stop: "
                              "terminated\n");
    }
    runner_build_step_msg(b, idx, "service", full, runner_result_status(r), status, started,
                          *message ? message : NULL, NULL);
}

void
runner_services_end(runner_build_t *b)
{
    s_list_t *list = s_services;
    s_services = NULL;
    if (!list)
        return;
    for (size_t i = list->count; i-- > 0;) {
        s_stop(b, list->items[i]);
        s_service_destroy(&list->items[i]);
    }
    free(list->items);
    free(list);
}
