// runner_build: one work item on a runner -- a build plan or a check -- from
// WORK to DONE/VERSIONS, in its own thread. It owns the build's $WORKDIR
// (made at start, removed at the end), the log sequence and credit, and the
// cancel generation every process of the build watches. It never touches a
// socket: messages leave through the emit callback, so the same code serves
// the runner actor on a worker, in the server, and in `pikoci run`.
//
// It also keeps what a restarted server would need to hear again
// (runner_build_resync): every LOG chunk until the sink credits it (the
// credit window, a copy of each message), the last STEP of each step and
// the final DONE. Credit from a sink is counted against that window only,
// so a sink that credits a retransmit as well as its original cannot make
// the window look emptier than it is.
#include "runner_internal.h"
#include "pk_duration.h"
#include "pk_value_msgpack.h"
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define S_LOG_LOST "the log could not be stored"     // logsink.c's cancel reason

static void
s_emit(runner_build_t *b, pk_msg_t *msg)
{
    b->emit(b->emit_arg, msg);
}

// Emits a copy of a message kept as z (for a resync). Under b->lock.
static void
s_reemit(runner_build_t *b, zmsg_t *z)
{
    zmsg_t *copy = zmsg_dup(z);
    pk_msg_t m;
    if (copy && pk_msg_from_zmsg(copy, &m, NULL, 0) == 0)
        s_emit(b, &m);
    zmsg_destroy(&copy);
}

// A LOG leaves and joins the window until credited. Under b->lock.
static void
s_emit_log(runner_build_t *b, pk_msg_t *m)
{
    zmsg_t *z = pk_msg_to_zmsg(m);
    if (z)
        zlist_append(b->window, z);
    b->credits--;
    s_emit(b, m);
}

void
runner_build_log(runner_build_t *b, uint32_t step, const void *data, size_t len)
{
    if (!len || atomic_load(&b->log_lost))
        return;
    pk_msg_t m = { .type = PK_MSG_LOG };
    m.log.id = strdup(b->id);
    m.log.attempt = b->attempt;
    m.log.step = step;
    m.log.data.data = malloc(len);
    memcpy(m.log.data.data, data, len);
    m.log.data.size = len;
    // sequence numbers must reach the sink in order: assign and emit together
    pthread_mutex_lock(&b->lock);
    m.log.seq = b->log_seq++;
    s_emit_log(b, &m);
    pthread_mutex_unlock(&b->lock);
}

void
runner_build_logf(runner_build_t *b, uint32_t step, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    char *masked = runner_build_mask(b, buf);   // our own lines may quote a value
    runner_build_log(b, step, masked, strlen(masked));
    free(masked);
}

void
runner_build_step_msg(runner_build_t *b, uint32_t step, const char *kind, const char *name,
                      const char *status, int64_t exit_code, uint64_t started_ms,
                      const char *message, const pk_env_t *outputs)
{
    runner_build_step_msg_put(b, step, kind, name, status, exit_code, started_ms, message,
                              outputs, NULL, NULL);
}

// A put's versions leave masked like everything else: as JSON text through
// the mask and back (a version whose masked text no longer parses is dropped).
static void
s_pack_put_versions(runner_build_t *b, const pk_value_t *versions, pk_bytes_t *out)
{
    char *json = pk_value_to_json(versions);
    char *masked = json ? runner_build_mask(b, json) : NULL;
    pk_value_t *v = masked ? pk_value_from_json(masked, strlen(masked), NULL) : NULL;
    if (v && pk_value_kind(v) == PK_V_LIST && pk_value_len(v))
        pk_value_pack_bytes(v, &out->data, &out->size);
    pk_value_destroy(&v);
    free(masked);
    free(json);
}

void
runner_build_step_msg_put(runner_build_t *b, uint32_t step, const char *kind, const char *name,
                          const char *status, int64_t exit_code, uint64_t started_ms,
                          const char *message, const pk_env_t *outputs, const char *resource,
                          const pk_value_t *versions)
{
    pk_msg_t m = { .type = PK_MSG_STEP };
    if (resource && versions) {
        s_pack_put_versions(b, versions, &m.step.versions);
        if (m.step.versions.size)
            m.step.resource = strdup(resource);
    }
    m.step.id = strdup(b->id);
    m.step.attempt = b->attempt;
    m.step.step = step;
    m.step.kind = kind ? strdup(kind) : NULL;
    m.step.name = strdup(name);
    m.step.status = strdup(status);
    m.step.exit_code = exit_code;
    m.step.started_ms = started_ms ? started_ms : (uint64_t) zclock_time();
    if (strcmp(status, "started"))
        m.step.finished_ms = (uint64_t) zclock_time();
    // a task may write a secret to $PIKOCI_OUTPUT or quote one in an error:
    // nothing leaves the runner unmasked
    m.step.message = message ? runner_build_mask(b, message) : NULL;
    for (size_t i = 0; outputs && i < pk_env_size(outputs); i++) {
        const char *e = pk_env_entry(outputs, i);
        char *name_only = strndup(e, (size_t) (strchr(e, '=') - e));
        char *value = runner_build_mask(b, pk_env_value(outputs, i));
        pk_kv_set(&m.step.outputs, name_only, value);
        free(value);
        free(name_only);
    }
    // STEP goes through the same lock as LOG so a step's lines and its
    // status keep their order
    pthread_mutex_lock(&b->lock);
    if (step >= b->step_cap) {
        size_t cap = step + 16;
        b->step_msgs = realloc(b->step_msgs, cap * sizeof(zmsg_t *));
        memset(b->step_msgs + b->step_cap, 0, (cap - b->step_cap) * sizeof(zmsg_t *));
        b->step_cap = cap;
    }
    zmsg_destroy(&b->step_msgs[step]);
    b->step_msgs[step] = pk_msg_to_zmsg(&m);
    s_emit(b, &m);
    pthread_mutex_unlock(&b->lock);
}

void
runner_build_add_waiter(runner_build_t *b, int fd)
{
    pthread_mutex_lock(&b->lock);
    b->waiters = realloc(b->waiters, (b->waiter_count + 1) * sizeof(int));
    b->waiters[b->waiter_count++] = fd;
    pthread_mutex_unlock(&b->lock);
}

void
runner_build_remove_waiter(runner_build_t *b, int fd)
{
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->waiter_count; i++)
        if (b->waiters[i] == fd) {
            b->waiters[i] = b->waiters[--b->waiter_count];
            break;
        }
    pthread_mutex_unlock(&b->lock);
}

static void
s_poke_waiters(runner_build_t *b)
{
    uint64_t one = 1;
    for (size_t i = 0; i < b->waiter_count; i++)
        if (write(b->waiters[i], &one, sizeof one) < 0) {
            // the eventfd is saturated: already awake
        }
}

void
runner_build_credit(runner_build_t *b, uint32_t credits)
{
    pthread_mutex_lock(&b->lock);
    // only what is in the window can be credited (see the top of the file)
    for (uint32_t i = 0; i < credits && zlist_size(b->window); i++) {
        zmsg_t *z = zlist_pop(b->window);
        zmsg_destroy(&z);
        b->credits++;
    }
    s_poke_waiters(b);
    pthread_mutex_unlock(&b->lock);
}

size_t
runner_build_window(runner_build_t *b)
{
    pthread_mutex_lock(&b->lock);
    size_t n = zlist_size(b->window);
    pthread_mutex_unlock(&b->lock);
    return n;
}

void
runner_build_resync(runner_build_t *b)
{
    pthread_mutex_lock(&b->lock);
    if (b->started_ms && !atomic_load(&b->reported)) {
        pk_msg_t m = { .type = PK_MSG_STARTED };
        m.started.id = strdup(b->id);
        m.started.attempt = b->attempt;
        m.started.worker = strdup(b->worker);
        m.started.started_ms = b->started_ms;
        s_emit(b, &m);
    }
    for (size_t i = 0; i < b->step_cap; i++)
        if (b->step_msgs[i])
            s_reemit(b, b->step_msgs[i]);
    for (zmsg_t *z = zlist_first(b->window); z; z = zlist_next(b->window))
        s_reemit(b, z);
    if (b->final)
        s_reemit(b, b->final);
    pthread_mutex_unlock(&b->lock);
}

void
runner_build_cancel(runner_build_t *b, const char *reason)
{
    pthread_mutex_lock(&b->lock);
    free(b->cancel_reason);
    b->cancel_reason = strdup(reason && *reason ? reason : "cancelled");
    if (!strncmp(b->cancel_reason, S_LOG_LOST, strlen(S_LOG_LOST)))
        atomic_store(&b->log_lost, true);
    atomic_fetch_add(&b->cancel_gen, 1);
    s_poke_waiters(b);
    pthread_mutex_unlock(&b->lock);
}

void
runner_build_stop(runner_build_t *b)
{
    atomic_store(&b->stopping, true);
    runner_build_cancel(b, "runner shutting down");
}

// --- checks

char *
runner_last_line(const char *out, size_t len)
{
    while (len && (out[len - 1] == '\n' || out[len - 1] == '\r'))
        len--;
    size_t start = len;
    while (start && out[start - 1] != '\n')
        start--;
    return strndup(out + start, len - start);
}

static void
s_emit_versions(runner_build_t *b, pk_value_t *versions, const char *error, const char *output)
{
    pk_msg_t m = { .type = PK_MSG_VERSIONS };
    m.versions.id = strdup(b->id);
    m.versions.attempt = b->attempt;
    m.versions.resource = strdup(pk_plan_str(b->plan, "resource", "?"));
    if (versions)
        pk_value_pack_bytes(versions, &m.versions.versions.data, &m.versions.versions.size);
    m.versions.error = error ? runner_build_mask(b, error) : NULL;
    m.versions.output = output && *output ? runner_build_mask(b, output) : NULL;
    pthread_mutex_lock(&b->lock);
    atomic_store(&b->reported, true);
    b->final = pk_msg_to_zmsg(&m);
    s_emit(b, &m);
    pthread_mutex_unlock(&b->lock);
}

// JSON text -> list of version objects, or NULL with *why.
static pk_value_t *
s_parse_versions(const char *json, char **why)
{
    char *err = NULL;
    pk_value_t *v = pk_value_from_json(json, strlen(json), &err);
    if (!v) {
        char buf[512];
        snprintf(buf, sizeof buf, "check output is not JSON (%s): %.200s", err ? err : "?", json);
        free(err);
        *why = strdup(buf);
        return NULL;
    }
    bool ok = pk_value_kind(v) == PK_V_LIST;
    for (size_t i = 0; ok && i < pk_value_len(v); i++)
        ok = pk_value_kind(pk_value_list_at(v, i)) == PK_V_OBJECT;
    if (!ok) {
        char buf[512];
        snprintf(buf, sizeof buf, "check must print a JSON array of objects, got: %.200s", json);
        *why = strdup(buf);
        pk_value_destroy(&v);
    }
    return v;
}

static void
s_run_check(runner_build_t *b)
{
    const pk_value_t *plan = b->plan;
    const pk_value_t *last = pk_plan_object(plan, "version");
    char *json = NULL, *err = NULL;
    char *output = NULL;
    const pk_value_t *native = pk_plan_object(plan, "native");
    if (native) {
        // native params (a git url with a token) may hold secrets too
        run_ctx_t ctx = { .build = b, .gen = 0 };
        runner_secrets_t *secrets = runner_build_secrets(b, &ctx, &err);
        pk_value_t *params = err ? NULL : runner_secrets_subst_value(secrets, native, &err);
        int rc = params ? runner_native_check(params, last, b->workdir, &json, &err) : -1;
        pk_value_destroy(&params);
        runner_secrets_destroy(&secrets);
        if (rc != 0)
            goto report;
    }
    else {
        pk_env_t *env = pk_env_dup(b->base_env);
        runner_set_version_env(env, last);
        runner_set_cache_dir(plan, env);
        runner_give_cache_dir(b, env);
        runner_cmdline_t cl;
        if (runner_expand(pk_plan_object(plan, "cmd"), env, NULL, b->workdir, b->id, &cl, &err) != 0) {
            pk_env_destroy(&env);
            goto report;
        }
        pk_env_destroy(&env);
        run_ctx_t ctx = { .build = b, .gen = 0 };   // see s_run_build
        ctx.capture = calloc(1, 1);
        ctx.capture_cap = 1;
        int64_t t = pk_plan_int(plan, "timeout_ms", 0);
        ctx.deadline_ms = t > 0 ? runner_deadline(t) : 0;
        int status = 0;
        run_result_t r = runner_proc_run(&ctx, &cl, &status);
        runner_cmdline_clear(&cl);
        output = ctx.capture;
        if (r != RUN_OK) {
            char buf[256];
            if (r == RUN_STEP_TIMEOUT || r == RUN_JOB_TIMEOUT) {
                char *d = pk_duration_format(t);
                snprintf(buf, sizeof buf, "check timed out after %s", d);
                free(d);
            }
            else
            if (r == RUN_CANCELLED)
                snprintf(buf, sizeof buf, "check cancelled");
            else
                snprintf(buf, sizeof buf, "check failed with exit status %d", status);
            err = strdup(buf);
            goto report;
        }
        json = runner_last_line(output, ctx.capture_len);
    }
report:;
    pk_value_t *versions = NULL;
    if (!err) {
        if (!json || !*json)
            versions = pk_value_new_list();    // an empty last line: nothing new
        else
            versions = s_parse_versions(json, &err);
    }
    s_emit_versions(b, err ? NULL : versions, err, err ? output : NULL);
    pk_value_destroy(&versions);
    free(json);
    free(err);
    free(output);
}

// --- builds

// DONE promises that the log is stored: the sink credits a chunk only once
// it is committed, so when every credit is back, every byte is. An empty
// chunk asks the sink to commit now rather than at its next tick. While the
// server is away (restarting) the wait goes on -- on its return we resend
// the window and the credit comes -- for RUNNER_LOG_SETTLE_MS at most. A
// sink whose store keeps failing (a full disk) says so: it cancels the
// build with S_LOG_LOST as the reason, which ends the wait at once.
// false when the log was not confirmed: the build must not claim a result
// its log cannot back, so it is reported errored instead.
static bool
s_settle_log(runner_build_t *b)
{
    pthread_mutex_lock(&b->lock);
    bool sent = b->log_seq > 0;
    pthread_mutex_unlock(&b->lock);
    if (!sent)
        return true;
    int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake < 0)
        return false;
    runner_build_add_waiter(b, wake);
    pk_msg_t m = { .type = PK_MSG_LOG };
    m.log.id = strdup(b->id);
    m.log.attempt = b->attempt;
    pthread_mutex_lock(&b->lock);
    m.log.seq = b->log_seq++;
    s_emit_log(b, &m);
    pthread_mutex_unlock(&b->lock);
    int64_t deadline = runner_deadline(RUNNER_LOG_SETTLE_MS);
    bool settled = false;
    for (;;) {
        pthread_mutex_lock(&b->lock);
        // a stopping runner takes no credit: what it sent leaves with its
        // outbox, and the build's result ("runner shutting down") stands
        settled = b->credits >= RUNNER_INITIAL_CREDIT || atomic_load(&b->stopping);
        bool lost = b->cancel_reason && !strncmp(b->cancel_reason, S_LOG_LOST,
                                                 strlen(S_LOG_LOST));
        pthread_mutex_unlock(&b->lock);
        int64_t left = deadline - runner_now_ms();
        if (settled || lost || left <= 0) {
            if (!settled)
                zsys_warning("runner: %s: the log sink did not confirm the log; the build "
                             "is reported errored", b->id);
            break;
        }
        struct pollfd pfd = { wake, POLLIN, 0 };
        if (poll(&pfd, 1, (int) left) > 0) {
            uint64_t n;
            if (read(wake, &n, sizeof n) < 0) {
                // nothing to read: woken for another reason
            }
        }
    }
    runner_build_remove_waiter(b, wake);
    close(wake);
    return settled;
}

static void
s_emit_done(runner_build_t *b, run_result_t r, const char *reason)
{
    char *why = NULL;
    bool settled = s_settle_log(b);
    char *lost = NULL;
    pthread_mutex_lock(&b->lock);
    if (!settled && b->cancel_reason && !strncmp(b->cancel_reason, S_LOG_LOST, strlen(S_LOG_LOST)))
        lost = strdup(b->cancel_reason);
    pthread_mutex_unlock(&b->lock);
    if (lost) {
        r = RUN_ERRORED;            // the sink cancelled us for it (logsink.c) and says why
        reason = why = lost;
    }
    else
    if (!settled) {
        char *d = pk_duration_format(RUNNER_LOG_SETTLE_MS);
        why = runner_fmt(S_LOG_LOST " (the log sink did not confirm it within %s); the build "
                         "itself %s%s%s",
                         d, runner_result_status(r), reason ? ": " : "", reason ? reason : "");
        free(d);
        r = RUN_ERRORED;
        reason = why;
    }
    pk_msg_t m = { .type = PK_MSG_DONE };
    m.done.id = strdup(b->id);
    m.done.attempt = b->attempt;
    m.done.status = strdup(runner_result_status(r));
    m.done.reason = reason ? strdup(reason) : NULL;
    free(why);
    m.done.finished_ms = (uint64_t) zclock_time();
    pthread_mutex_lock(&b->lock);
    atomic_store(&b->reported, true);
    b->final = pk_msg_to_zmsg(&m);
    s_emit(b, &m);
    pthread_mutex_unlock(&b->lock);
}

static void
s_run_build(runner_build_t *b)
{
    pk_env_t *exports = pk_env_new();
    b->job_timeout_ms = pk_plan_int(b->plan, "timeout_ms", 0);
    if (b->job_timeout_ms > 0)
        b->job_deadline_ms = runner_deadline(b->job_timeout_ms);
    // generation 0: the one the build was created in, so a CANCEL that
    // arrives before this thread gets here still stops it
    run_scope_t scope = { 0, 0, false };
    char *reason = NULL;
    run_result_t r;
    if (runner_secrets_prepare(b, &reason) != 0) {
        runner_build_logf(b, 0, "%s\n", reason);
        r = RUN_FAILED;             // as a failing step would: the pipeline's to fix
    }
    else {
        // the plan owns its services: stopped when it ends, before the job
        // hooks, whatever its result
        bool services = runner_services_begin(b);
        r = runner_steps_run(b, pk_plan_list(b->plan, "steps"), exports, scope, "");
        if (services)
            runner_services_end(b);
    }
    if (reason)
        ;                           // the secrets could not be had: said above
    else
    if (r == RUN_JOB_TIMEOUT) {
        char *d = pk_duration_format(b->job_timeout_ms);
        char buf[128];
        snprintf(buf, sizeof buf, "job timed out after %s", d);
        free(d);
        reason = strdup(buf);
    }
    else
    if (r == RUN_CANCELLED) {
        pthread_mutex_lock(&b->lock);
        reason = b->cancel_reason ? strdup(b->cancel_reason) : NULL;
        pthread_mutex_unlock(&b->lock);
    }
    // job hooks see $BUILD_STATUS
    pk_env_set(b->base_env, "BUILD_STATUS", runner_result_status(r));
    runner_hooks_run(b, pk_plan_object(b->plan, "hooks"), r, exports, "");
    runner_notify_all(b, r, exports);   // automatic notifications follow the hooks
    pk_env_destroy(&exports);
    s_emit_done(b, r, reason);
    free(reason);
}

static void *
s_thread(void *arg)
{
    runner_build_t *b = arg;
    pk_msg_t m = { .type = PK_MSG_STARTED };
    m.started.id = strdup(b->id);
    m.started.attempt = b->attempt;
    m.started.worker = strdup(b->worker);
    m.started.started_ms = (uint64_t) zclock_time();
    pthread_mutex_lock(&b->lock);
    b->started_ms = m.started.started_ms;
    s_emit(b, &m);
    pthread_mutex_unlock(&b->lock);

    char *err = NULL;
    if (pk_plan_validate(b->plan, b->kind, &err) != 0) {
        if (!strcmp(b->kind, "check"))
            s_emit_versions(b, NULL, err, NULL);
        else {
            runner_build_logf(b, 0, "%s\n", err);
            s_emit_done(b, RUN_ERRORED, err);
        }
        free(err);
    }
    else
    if (!strcmp(b->kind, "check"))
        s_run_check(b);
    else
        s_run_build(b);
    runner_rm_tree(b->workdir);
    runner_secrets_release(b);          // no value outlives its build in memory
    runner_spare_make(b->spare);        // the next build's, made while its WORK is on its way
    atomic_store(&b->finished, true);
    b->emit(b->emit_arg, NULL);
    return NULL;
}

// mkdir -p: a worker's --work-dir may not exist yet.
static void
s_mkdirs(const char *path)
{
    char *p = strdup(path);
    for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = 0;
        mkdir(p, 0700);
        *slash = '/';
    }
    mkdir(p, 0700);
    free(p);
}

runner_build_t *
runner_build_new(const char *id, uint32_t attempt, const char *kind, pk_value_t *plan,
                 const char *work_root, const char *worker, runner_spare_t *spare,
                 runner_emit_fn *emit, void *emit_arg)
{
    runner_build_t *b = calloc(1, sizeof(*b));
    b->id = strdup(id);
    b->attempt = attempt;
    b->kind = strdup(kind);
    b->plan = plan;
    b->worker = strdup(worker);
    b->emit = emit;
    b->emit_arg = emit_arg;
    b->credits = RUNNER_INITIAL_CREDIT;
    b->window = zlist_new();
    pthread_mutex_init(&b->lock, NULL);
    b->spare = spare;
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/build-XXXXXX", work_root);
    b->workdir = runner_spare_take(spare);
    struct stat st;
    if (b->workdir && (stat(b->workdir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        free(b->workdir);       // it went with the work root
        b->workdir = NULL;
    }
    bool made = b->workdir != NULL;
    if (!made)
        b->workdir = strdup(tmpl);
    // the runner made its work root when it started (runner_workroot.c):
    // only when it has gone since is it made again
    made = made || mkdtemp(b->workdir) != NULL;
    if (!made && errno == ENOENT) {
        s_mkdirs(work_root);
        snprintf(b->workdir, strlen(tmpl) + 1, "%s", tmpl);
        made = mkdtemp(b->workdir) != NULL;
    }
    if (!made) {
        free(b->workdir);
        b->workdir = strdup(work_root);   // the build then fails its first command, loudly
    }
    // builds never hold the keys: no credential of the runner's own reaches
    // a command (lib/pk_env.c), nor the CLI's server and team, and the
    // marker turns off the CLI's token discovery there (lib/pk_cred.h). The
    // pipeline's own env, set below, may still name one.
    b->base_env = pk_env_for_builds();
    pk_env_unset(b->base_env, "PIKOCI_TEAM");
    pk_env_unset(b->base_env, "PIKOCI_SERVER");
    pk_env_set(b->base_env, "PIKOCI_IN_BUILD", "1");
    const pk_value_t *env = pk_plan_object(plan, "env");
    for (size_t i = 0; env && i < pk_value_len(env); i++)
        if (pk_value_kind(pk_value_object_at(env, i)) == PK_V_STRING)
            pk_env_set(b->base_env, pk_value_object_key(env, i),
                       pk_value_string(pk_value_object_at(env, i)));
    pk_env_set(b->base_env, "WORKDIR", b->workdir);
    return b;
}

int
runner_build_run_as(runner_build_t *self, const pk_proc_user_t *user, char **err_out)
{
    *err_out = NULL;
    pk_proc_user_clear(&self->run_as);
    pk_proc_user_copy(&self->run_as, user);
    // the workdir is the build user's, and nobody else's (mkdtemp: 0700);
    // never the work root itself (what workdir is when mkdtemp failed)
    const char *base = strrchr(self->workdir, '/');
    if (!base || strncmp(base, "/build-", 7)) {
        *err_out = runner_fmt("no workdir could be made under %s", self->workdir);
        return -1;
    }
    if (chown(self->workdir, user->uid, user->gid) != 0) {
        *err_out = runner_fmt("cannot give the workdir %s to user %s: %s", self->workdir,
                              user->name, strerror(errno));
        return -1;
    }
    struct stat st;
    bool home = user->home && stat(user->home, &st) == 0 && S_ISDIR(st.st_mode)
             && st.st_uid == user->uid;
    // a home it cannot write would break tools that keep state there
    pk_env_set(self->base_env, "HOME", home ? user->home : self->workdir);
    pk_env_set(self->base_env, "USER", user->name);
    pk_env_set(self->base_env, "LOGNAME", user->name);
    return 0;
}

void
runner_build_start(runner_build_t *self)
{
    self->started = pthread_create(&self->thread, NULL, s_thread, self) == 0;
    if (!self->started)
        atomic_store(&self->finished, true);
}

bool
runner_build_finished(runner_build_t *self)
{
    return atomic_load(&self->finished);
}

// A finished build's thread is joined at once, not when the build is
// forgotten (a kept build lives on for a resync): an unjoined thread keeps
// its stack, so every new build would map and fault in a fresh one.
void
runner_build_join(runner_build_t *self)
{
    if (self->started && !self->joined && atomic_load(&self->finished)) {
        pthread_join(self->thread, NULL);
        self->joined = true;
    }
}

bool
runner_build_reported(runner_build_t *self)
{
    return atomic_load(&self->reported);
}

const char *
runner_build_id(const runner_build_t *self)
{
    return self->id;
}

uint32_t
runner_build_attempt(const runner_build_t *self)
{
    return self->attempt;
}

const char *
runner_build_kind(const runner_build_t *self)
{
    return self->kind;
}

void
runner_build_destroy(runner_build_t **self_p)
{
    runner_build_t *b = *self_p;
    if (!b)
        return;
    if (b->started && !b->joined) {
        if (!atomic_load(&b->finished))
            runner_build_stop(b);
        pthread_join(b->thread, NULL);
    }
    pk_value_destroy(&b->plan);
    pk_env_destroy(&b->base_env);
    pk_proc_user_clear(&b->run_as);
    pthread_mutex_destroy(&b->lock);
    zmsg_t *z;
    while ((z = zlist_pop(b->window)))
        zmsg_destroy(&z);
    zlist_destroy(&b->window);
    for (size_t i = 0; i < b->step_cap; i++)
        zmsg_destroy(&b->step_msgs[i]);
    free(b->step_msgs);
    zmsg_destroy(&b->final);
    free(b->waiters);
    free(b->cancel_reason);
    free(b->id);
    free(b->kind);
    free(b->worker);
    free(b->workdir);
    free(b);
    *self_p = NULL;
}
