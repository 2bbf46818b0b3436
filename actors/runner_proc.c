// runner_proc: one process of a step, from spawn to reaping. One poll loop
// watches the output pipe (only while log credit remains, so a slow log sink
// back-pressures the task through its pipe instead of filling our memory),
// the pidfd, and an eventfd poked on credit or cancel. Deadlines (step, job)
// and cancellation terminate the whole process group: `docker kill` first for
// a container, SIGTERM, then SIGKILL after RUNNER_KILL_GRACE_MS.
//
// Secrets: just before the spawn the build's secrets are resolved (once per
// build, runner_secrets.c) and their placeholders replaced in argv and env;
// everything read from the process goes through a mask stream (one per
// process: its output is one merged stream) before it is logged or captured,
// and the stream's held-back tail is flushed when the output ends.
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

int64_t
runner_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
runner_deadline(int64_t timeout_ms)
{
    int64_t now = runner_now_ms();
    return timeout_ms > INT64_MAX - now ? INT64_MAX : now + timeout_ms;
}

// Checks keep the tail of their output: the last line is the result, and the
// output is shown when the check fails.
#define CAPTURE_MAX (1024 * 1024)

static void
s_capture(run_ctx_t *ctx, const char *data, size_t len)
{
    if (ctx->capture_len + len > CAPTURE_MAX) {
        size_t drop = ctx->capture_len + len - CAPTURE_MAX;
        if (drop >= ctx->capture_len) {
            data += drop - ctx->capture_len;
            len -= drop - ctx->capture_len;
            ctx->capture_len = 0;
        }
        else {
            memmove(ctx->capture, ctx->capture + drop, ctx->capture_len - drop);
            ctx->capture_len -= drop;
        }
    }
    if (ctx->capture_len + len + 1 > ctx->capture_cap) {
        ctx->capture_cap = (ctx->capture_len + len + 1) * 2;
        ctx->capture = realloc(ctx->capture, ctx->capture_cap);
    }
    memcpy(ctx->capture + ctx->capture_len, data, len);
    ctx->capture_len += len;
    ctx->capture[ctx->capture_len] = 0;
}

// `docker kill NAME`, waited for at most a few seconds: killing the docker
// CLI does not stop its container.
static void
s_docker_kill(const char *container, pk_env_t *env)
{
    char *argv[] = { "docker", "kill", (char *) container, NULL };
    pk_proc_t *p = pk_proc_spawn("docker", argv, pk_env_envp(env), NULL, NULL);
    if (!p)
        return;
    int64_t end = runner_now_ms() + 5000;
    char buf[512];
    while (!pk_proc_done(p) && runner_now_ms() < end) {
        struct pollfd fds[2] = { { pk_proc_output_fd(p), POLLIN, 0 }, { pk_proc_exit_fd(p), POLLIN, 0 } };
        poll(fds, 2, 100);
        while (pk_proc_read(p, buf, sizeof buf) > 0)
            ;
        pk_proc_reap(p);
    }
    pk_proc_destroy(&p);
}

// Output of the process, masked, to the capture (checks) or the log, in
// chunks of at most RUNNER_LOG_CHUNK (masking may hold a few bytes back and
// release them with the next read).
static void
s_deliver(run_ctx_t *ctx, const char *data, size_t len)
{
    while (len) {
        size_t n = len < RUNNER_LOG_CHUNK ? len : RUNNER_LOG_CHUNK;
        if (ctx->capture)
            s_capture(ctx, data, n);
        if (!ctx->capture || ctx->tee)
            runner_build_log(ctx->build, ctx->step, data, n);
        data += n;
        len -= n;
    }
}

static void
s_note(run_ctx_t *ctx, const runner_mask_t *mask, const char *text)
{
    char *shown = runner_mask_str(mask, text);
    s_deliver(ctx, shown, strlen(shown));
    s_deliver(ctx, "\n", 1);
    free(shown);
}

pk_proc_t *
runner_spawn(runner_build_t *b, runner_cmdline_t *cl, char **err, bool *privs)
{
    pk_proc_opts_t opts = { .die_with_parent = true,
                            .user = b->run_as.name ? &b->run_as : NULL };
    pk_proc_t *p = pk_proc_spawn_opts(cl->argv[0], cl->argv, pk_env_envp(cl->env), b->workdir,
                                      &opts, err);
    if (privs)
        *privs = !p && opts.setup_failed;
    return p;
}

static run_result_t s_run(run_ctx_t *ctx, runner_cmdline_t *cl, int *status,
                          const runner_mask_t *mask);

run_result_t
runner_proc_run_plain(run_ctx_t *ctx, runner_cmdline_t *cl, int *status)
{
    return s_run(ctx, cl, status, NULL);
}

run_result_t
runner_proc_run(run_ctx_t *ctx, runner_cmdline_t *cl, int *status)
{
    *status = 0;
    if (!cl->argv)
        return RUN_OK;   // no-op command
    char *err = NULL;
    runner_secrets_t *secrets = runner_build_secrets(ctx->build, ctx, &err);
    if (!err)
        runner_secrets_apply(secrets, cl, &err);
    if (err) {
        s_note(ctx, runner_secrets_mask(secrets), err);
        free(err);
        runner_secrets_destroy(&secrets);
        *status = 1;
        return RUN_FAILED;
    }
    run_result_t r = s_run(ctx, cl, status, runner_secrets_mask(secrets));
    runner_secrets_destroy(&secrets);
    return r;
}

static run_result_t
s_run(run_ctx_t *ctx, runner_cmdline_t *cl, int *status, const runner_mask_t *mask)
{
    runner_build_t *b = ctx->build;
    *status = 0;
    if (!cl->argv)
        return RUN_OK;   // no-op command
    char *err = NULL;
    bool privs = false;
    pk_proc_t *p = runner_spawn(b, cl, &err, &privs);
    if (!p) {
        s_note(ctx, mask, err);     // it may quote argv[0], which may hold a secret
        free(err);
        *status = 127;
        // not the task's fault, and never run with more rights than meant
        return privs ? RUN_ERRORED : RUN_FAILED;
    }
    runner_mask_stream_t *masker = mask && runner_mask_count(mask)
                                 ? runner_mask_stream_new(mask) : NULL;
    const char *masked = NULL;
    int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    runner_build_add_waiter(b, wake);
    run_result_t why = RUN_OK;    // set when we start terminating
    int64_t kill_at = 0;
    char *buf = malloc(RUNNER_LOG_CHUNK);
    while (!pk_proc_done(p)) {
        int64_t now = runner_now_ms();
        int64_t job_dl = ctx->ignore_job_deadline ? 0 : b->job_deadline_ms;
        if (why == RUN_OK) {
            if (atomic_load(&b->cancel_gen) != ctx->gen
            ||  (runner_tl_abort && atomic_load(runner_tl_abort)))
                why = RUN_CANCELLED;
            else
            if (job_dl && now >= job_dl && (!ctx->deadline_ms || job_dl <= ctx->deadline_ms))
                why = RUN_JOB_TIMEOUT;
            else
            if (ctx->deadline_ms && now >= ctx->deadline_ms)
                why = RUN_STEP_TIMEOUT;
            if (why != RUN_OK && !pk_proc_exited(p)) {
                if (cl->container)
                    s_docker_kill(cl->container, cl->env);
                pk_proc_signal(p, SIGTERM);
                kill_at = runner_now_ms() + RUNNER_KILL_GRACE_MS;
            }
        }
        if (kill_at && now >= kill_at && !pk_proc_exited(p)) {
            pk_proc_signal(p, SIGKILL);
            kill_at = 0;
        }
        // how long may we sleep?
        int64_t next = now + 1000;
        if (why == RUN_OK && job_dl && job_dl < next)
            next = job_dl;
        if (why == RUN_OK && ctx->deadline_ms && ctx->deadline_ms < next)
            next = ctx->deadline_ms;
        if (kill_at && kill_at < next)
            next = kill_at;
        bool may_read = (ctx->capture && !ctx->tee) || atomic_load(&b->cancel_gen) != ctx->gen
                     || why != RUN_OK || atomic_load(&b->log_lost);
        if (!may_read) {
            pthread_mutex_lock(&b->lock);
            may_read = b->credits > 0;
            pthread_mutex_unlock(&b->lock);
        }
        struct pollfd fds[3];
        nfds_t n = 0;
        fds[n++] = (struct pollfd) { wake, POLLIN, 0 };
        if (pk_proc_exit_fd(p) >= 0)
            fds[n++] = (struct pollfd) { pk_proc_exit_fd(p), POLLIN, 0 };
        if (may_read && pk_proc_output_fd(p) >= 0)
            fds[n++] = (struct pollfd) { pk_proc_output_fd(p), POLLIN, 0 };
        int timeout = next > now ? (int) (next - now) : 0;
        if (poll(fds, n, timeout) < 0 && errno != EINTR)
            break;
        uint64_t drain;
        if (read(wake, &drain, sizeof drain) < 0) {
            // nothing pending: fine
        }
        if (may_read) {
            ssize_t r = pk_proc_read(p, buf, RUNNER_LOG_CHUNK);
            if (r > 0 && masker) {
                size_t n = runner_mask_stream_write(masker, buf, (size_t) r, &masked);
                s_deliver(ctx, masked, n);
            }
            else
            if (r > 0)
                s_deliver(ctx, buf, (size_t) r);
        }
        pk_proc_reap(p);
    }
    if (masker) {
        size_t n = runner_mask_stream_flush(masker, &masked);
        s_deliver(ctx, masked, n);
        runner_mask_stream_destroy(&masker);
        explicit_bzero(buf, RUNNER_LOG_CHUNK);
    }
    free(buf);
    runner_build_remove_waiter(b, wake);
    close(wake);
    *status = pk_proc_status(p);
    pk_proc_destroy(&p);
    if (why != RUN_OK)
        return why;
    return *status == 0 ? RUN_OK : RUN_FAILED;
}
