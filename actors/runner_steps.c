// runner_steps: interpretation of a build plan's steps, PikoCI's semantics:
// steps run in order and the first failure stops the sequence; `attempts`
// re-runs a failed step (each attempt with a fresh timeout, a
// "--- attempt N/M ---" marker from the second); hooks run after the final
// attempt (on_success | on_failure | on_cancel, then ensure) and a failing
// hook never changes the step's result; in_parallel runs its steps in threads
// (limit, fail_fast), each seeing the exports from before the block and all
// exports visible after it; if/else_if/else picks the first branch whose
// condition holds. GET_<STEP>_<KEY> and TASK_<STEP>_<KEY> exports flow to
// later steps through the exports environment. Service steps are
// runner_services.c's: the top-level plan opens the build's service list
// and stops them all when it ends; the job-level hooks are followed by the
// automatic notifications (runner_notify.c).
#include "runner_internal.h"
#include <ctype.h>
#include "pk_condition.h"
#include "pk_duration.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

_Thread_local atomic_bool *runner_tl_abort;

const char *
runner_result_status(run_result_t r)
{
    switch (r) {
    case RUN_OK:           return "succeeded";
    case RUN_CANCELLED:    return "cancelled";
    case RUN_ERRORED:      return "errored";
    default:               return "failed";
    }
}

static run_result_t s_step(runner_build_t *b, const pk_value_t *step, pk_env_t *exports,
                           run_scope_t scope, const char *prefix);

static bool
s_stop(runner_build_t *b, run_scope_t scope, run_result_t *r)
{
    if (atomic_load(&b->cancel_gen) != scope.gen || (runner_tl_abort && atomic_load(runner_tl_abort))) {
        *r = RUN_CANCELLED;
        return true;
    }
    if (!scope.hook && b->job_deadline_ms && runner_now_ms() >= b->job_deadline_ms) {
        *r = RUN_JOB_TIMEOUT;
        return true;
    }
    return false;
}

static run_result_t
s_sequence(runner_build_t *b, const pk_value_t *steps, pk_env_t *exports, run_scope_t scope,
           const char *prefix)
{
    for (size_t i = 0; steps && i < pk_value_len(steps); i++) {
        run_result_t r;
        if (s_stop(b, scope, &r))
            return r;
        r = s_step(b, pk_value_list_at(steps, i), exports, scope, prefix);
        if (r != RUN_OK)
            return r;
    }
    return RUN_OK;
}

run_result_t
runner_steps_run(runner_build_t *b, const pk_value_t *steps, pk_env_t *exports,
                 run_scope_t scope, const char *prefix)
{
    return s_sequence(b, steps, exports, scope, prefix);
}

run_result_t
runner_hooks_run(runner_build_t *b, const pk_value_t *hooks, run_result_t result,
                 pk_env_t *exports, const char *prefix)
{
    const char *first = result == RUN_OK ? "on_success"
                      : result == RUN_CANCELLED || result == RUN_JOB_TIMEOUT ? "on_cancel"
                      : "on_failure";
    const char *order[] = { first, "ensure" };
    run_result_t worst = RUN_OK;
    for (size_t i = 0; hooks && i < 2; i++) {
        const pk_value_t *steps = pk_plan_list(hooks, order[i]);
        if (!steps)
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s%s:", prefix, order[i]);
        // hooks run even after a cancel or a job timeout: they get the
        // current cancel generation and are not held to the job deadline
        run_scope_t scope = { 0, atomic_load(&b->cancel_gen), true };
        run_result_t r = runner_steps_run(b, steps, exports, scope, p);
        if (r != RUN_OK)
            worst = r;
    }
    return worst;
}

// --- exports

// GET_<STEP>_<KEY>: nested objects flatten with '_', lists with _0, _1...
static void
s_flatten(pk_env_t *out, const char *prefix, const pk_value_t *v)
{
    if (pk_value_kind(v) == PK_V_OBJECT || pk_value_kind(v) == PK_V_LIST) {
        bool obj = pk_value_kind(v) == PK_V_OBJECT;
        for (size_t i = 0; i < pk_value_len(v); i++) {
            char idx[32];
            snprintf(idx, sizeof idx, "%zu", i);
            char *key = pk_env_name_from(NULL, obj ? pk_value_object_key(v, i) : idx);
            char *name = malloc(strlen(prefix) + strlen(key) + 2);
            sprintf(name, "%s_%s", prefix, key);
            s_flatten(out, name, obj ? pk_value_object_at(v, i) : pk_value_list_at(v, i));
            free(name);
            free(key);
        }
        return;
    }
    char *text = pk_value_to_string(v);
    pk_env_set(out, prefix, text ? text : "");
    free(text);
}

// $PIKOCI_OUTPUT: KEY=VALUE lines, '#' comments and blanks skipped, at most 1 MB.
static void
s_read_task_output(const char *path, const char *step_name, pk_env_t *out)
{
    // the task made it: a link (to a file only we may read) or a FIFO
    // (that would block us) is not its output
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return;
    }
    char *prefix = pk_env_name_from("TASK_", step_name);
    char line[65536];
    size_t total = 0;
    while (fgets(line, sizeof line, f) && total < 1024 * 1024) {
        total += strlen(line);
        line[strcspn(line, "\r\n")] = 0;
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq || eq == line)
            continue;
        *eq = 0;
        char *key = pk_env_name_from(NULL, line);
        char *name = malloc(strlen(prefix) + strlen(key) + 2);
        sprintf(name, "%s_%s", prefix, key);
        pk_env_set(out, name, eq + 1);
        free(name);
        free(key);
    }
    free(prefix);
    fclose(f);
}

static bool
s_exists(const char *workdir, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", workdir, rel);
    struct stat st;
    return stat(path, &st) == 0;
}

// $version_<k> as PikoCI gives it: nested objects flatten with '_', lists
// with _0, _1... (version_metadata_sha, version_tags_0); keys keep their
// case, characters that cannot be in a variable name become '_'.
static void
s_version_env(pk_env_t *env, const char *name, const pk_value_t *v)
{
    if (pk_value_kind(v) == PK_V_OBJECT || pk_value_kind(v) == PK_V_LIST) {
        bool obj = pk_value_kind(v) == PK_V_OBJECT;
        for (size_t i = 0; i < pk_value_len(v); i++) {
            char idx[32];
            snprintf(idx, sizeof idx, "%zu", i);
            const char *key = obj ? pk_value_object_key(v, i) : idx;
            size_t len = strlen(name);
            char *sub = malloc(len + strlen(key) + 2);
            sprintf(sub, "%s_%s", name, key);
            for (char *c = sub + len + 1; *c; c++)
                if (!isalnum((unsigned char) *c) && *c != '_')
                    *c = '_';
            s_version_env(env, sub, obj ? pk_value_object_at(v, i) : pk_value_list_at(v, i));
            free(sub);
        }
        return;
    }
    char *text = pk_value_to_string(v);
    pk_env_set(env, name, text ? text : "");
    free(text);
}

void
runner_set_version_env(pk_env_t *env, const pk_value_t *version)
{
    for (size_t i = 0; version && i < pk_value_len(version); i++) {
        char name[256];
        snprintf(name, sizeof name, "version_%s", pk_value_object_key(version, i));
        s_version_env(env, name, pk_value_object_at(version, i));
    }
}

void
runner_step_env(runner_build_t *b, const pk_value_t *step, const pk_env_t *exports,
                pk_env_t **env_out, pk_env_t **own_out)
{
    pk_env_t *env = pk_env_dup(b->base_env);
    pk_env_merge(env, exports);
    // what pikoci itself provides (build, step, exports): the variables
    // docker's $env forwards into the container
    pk_env_t *own = pk_env_new();
    const pk_value_t *layers[] = { pk_plan_object(b->plan, "env"), pk_plan_object(step, "env") };
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; layers[l] && i < pk_value_len(layers[l]); i++)
            pk_env_set(own, pk_value_object_key(layers[l], i),
                       pk_value_string(pk_value_object_at(layers[l], i)));
    pk_env_merge(own, exports);
    pk_env_merge(env, own);
    *env_out = env;
    *own_out = own;
}

void
runner_container_name(runner_build_t *b, uint32_t step, char *buf, size_t size)
{
    snprintf(buf, size, "pikoci-%s-%u-%u", b->id, b->attempt, step);
    for (char *c = buf; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || *c == '-' || *c == '_' || *c == '.'))
            *c = '-';
}

// The versions a put produced (Concourse's implicit get after put), NULL
// when none: a trigger's one version is its params plus where it came from;
// any other type's are what its push printed on its last line, a JSON array
// of objects (or one object) -- anything else there is just output.
static pk_value_t *
s_put_versions(runner_build_t *b, const pk_value_t *step, const char *output, size_t len)
{
    if (!strcmp(pk_plan_str(step, "version_from", ""), "params")) {
        pk_value_t *v = pk_value_new_object();
        const pk_value_t *env = pk_plan_object(step, "env");
        for (size_t i = 0; env && i < pk_value_len(env); i++) {
            const char *k = pk_value_object_key(env, i);
            const pk_value_t *val = pk_value_object_at(env, i);
            if (!strncmp(k, "put_", 4) && k[4] && pk_value_kind(val) == PK_V_STRING)
                pk_value_object_set(v, k + 4, pk_value_dup(val));
        }
        const char *from[][2] = { { "trigger_pipeline", "BUILD_PIPELINE_NAME" },
                                  { "trigger_job", "BUILD_JOB_NAME" },
                                  { "trigger_build", "BUILD_NUMBER" } };
        for (size_t i = 0; i < 3; i++) {
            const char *val = pk_env_get(b->base_env, from[i][1]);
            pk_value_object_set(v, from[i][0], pk_value_new_string(val ? val : ""));
        }
        pk_value_t *list = pk_value_new_list();
        pk_value_list_append(list, v);
        return list;
    }
    char *line = output ? runner_last_line(output, len) : NULL;
    pk_value_t *v = line && (*line == '[' || *line == '{')
                  ? pk_value_from_json(line, strlen(line), NULL) : NULL;
    free(line);
    if (v && pk_value_kind(v) == PK_V_OBJECT) {
        pk_value_t *list = pk_value_new_list();
        pk_value_list_append(list, v);
        v = list;
    }
    bool ok = v && pk_value_kind(v) == PK_V_LIST && pk_value_len(v);
    for (size_t i = 0; ok && i < pk_value_len(v); i++)
        ok = pk_value_kind(pk_value_list_at(v, i)) == PK_V_OBJECT;
    if (!ok)
        pk_value_destroy(&v);
    return v;
}

// One attempt of a leaf step (get, task, put, notify). produced gets the
// step's own exports on success; *put_versions a put's versions.
static run_result_t
s_leaf_once(runner_build_t *b, const pk_value_t *step, uint32_t idx, const pk_env_t *exports,
            run_scope_t scope, pk_env_t *produced, int *status, pk_value_t **put_versions)
{
    const char *kind = pk_plan_str(step, "kind", "");
    const char *name = pk_plan_str(step, "name", "");
    const pk_value_t *version = pk_plan_object(step, "version");
    *status = 0;
    if (!strcmp(kind, "task")) {
        const pk_value_t *inputs = pk_plan_list(step, "inputs");
        for (size_t i = 0; inputs && i < pk_value_len(inputs); i++) {
            const char *in = pk_value_string(pk_value_list_at(inputs, i));
            if (in && !s_exists(b->workdir, in)) {
                runner_build_logf(b, idx, "input \"%s\" does not exist\n", in);
                return RUN_FAILED;
            }
        }
    }
    run_ctx_t ctx = { .build = b, .step = idx, .deadline_ms = scope.deadline_ms, .gen = scope.gen,
                      .ignore_job_deadline = scope.hook };
    run_result_t r;
    if (!strcmp(kind, "get") && pk_plan_object(step, "native")) {
        // native params (a git url with a token) may hold secrets too
        char *err = NULL;
        runner_secrets_t *secrets = runner_build_secrets(b, &ctx, &err);
        pk_value_t *native = err ? NULL
                           : runner_secrets_subst_value(secrets, pk_plan_object(step, "native"),
                                                        &err);
        r = native && runner_native_get_as(b, native, version, &err) == 0
          ? RUN_OK : RUN_FAILED;
        if (r == RUN_OK)
            runner_give_tree(b, b->workdir);    // --run-as: the checkout is the task's
        if (err)
            runner_build_logf(b, idx, "%s\n", err);    // masked there
        free(err);
        pk_value_destroy(&native);
        runner_secrets_destroy(&secrets);
    }
    else {
        pk_env_t *env, *own;
        runner_step_env(b, step, exports, &env, &own);
        if (!strcmp(kind, "notify"))
            runner_notify_prepare(b, env, own);
        runner_set_version_env(env, version);
        runner_set_cache_dir(step, env);
        runner_give_cache_dir(b, env);
        char outpath[4200] = "";
        if (!strcmp(kind, "task")) {
            snprintf(outpath, sizeof outpath, "%s/.pikoci-output-%u", b->workdir, idx);
            remove(outpath);
            pk_env_set(env, "PIKOCI_OUTPUT", outpath);
            pk_env_set(own, "PIKOCI_OUTPUT", outpath);
        }
        char container[256];
        runner_container_name(b, idx, container, sizeof container);
        runner_cmdline_t cl;
        char *err = NULL;
        if (runner_expand(pk_plan_object(step, "cmd"), env, own, b->workdir, container, &cl, &err) != 0) {
            runner_build_logf(b, idx, "%s\n", err);
            free(err);
            r = RUN_ERRORED;
        }
        else {
            bool put = !strcmp(kind, "put");
            if (put) {                  // its last line may be its versions
                ctx.capture = calloc(1, 1);
                ctx.capture_cap = 1;
                ctx.tee = true;
            }
            r = runner_proc_run(&ctx, &cl, status);
            runner_cmdline_clear(&cl);
            if (put && r == RUN_OK) {
                pk_value_destroy(put_versions);
                *put_versions = s_put_versions(b, step, ctx.capture, ctx.capture_len);
            }
            free(ctx.capture);
        }
        pk_env_destroy(&own);
        pk_env_destroy(&env);
        if (r == RUN_OK && *outpath)
            s_read_task_output(outpath, name, produced);
    }
    if (r == RUN_OK && !strcmp(kind, "task")) {
        const pk_value_t *outputs = pk_plan_list(step, "outputs");
        for (size_t i = 0; outputs && i < pk_value_len(outputs); i++) {
            const char *out = pk_value_string(pk_value_list_at(outputs, i));
            if (out && !s_exists(b->workdir, out)) {
                runner_build_logf(b, idx, "task finished but output \"%s\" was not produced\n", out);
                r = RUN_FAILED;
            }
        }
    }
    if (r == RUN_OK && !strcmp(kind, "get") && version) {
        char *prefix = pk_env_name_from("GET_", name);
        s_flatten(produced, prefix, version);
        free(prefix);
    }
    return r;
}

typedef struct {
    runner_build_t *b;
    const pk_value_t *steps;
    const pk_env_t *exports;    // what every branch starts from (read-only)
    pk_env_t **branch_exports;
    run_result_t *results;
    run_scope_t scope;
    const char *prefix;
    bool fail_fast;
    atomic_bool abort;
    atomic_size_t next;
} s_par_t;

static void *
s_par_worker(void *arg)
{
    s_par_t *par = arg;
    runner_tl_abort = &par->abort;
    for (;;) {
        size_t i = atomic_fetch_add(&par->next, 1);
        if (i >= pk_value_len(par->steps))
            break;
        if (atomic_load(&par->abort)) {
            par->results[i] = RUN_CANCELLED;
            continue;
        }
        par->branch_exports[i] = pk_env_dup(par->exports);
        par->results[i] = s_step(par->b, pk_value_list_at(par->steps, i), par->branch_exports[i],
                                 par->scope, par->prefix);
        if (par->results[i] != RUN_OK && par->fail_fast) {
            atomic_store(&par->abort, true);
            pthread_mutex_lock(&par->b->lock);
            for (size_t w = 0; w < par->b->waiter_count; w++) {
                uint64_t one = 1;
                if (write(par->b->waiters[w], &one, sizeof one) < 0) {
                    // saturated: already awake
                }
            }
            pthread_mutex_unlock(&par->b->lock);
        }
    }
    return NULL;
}

static run_result_t
s_parallel(runner_build_t *b, const pk_value_t *step, pk_env_t *exports, run_scope_t scope,
           const char *prefix)
{
    const pk_value_t *steps = pk_plan_list(step, "steps");
    size_t n = pk_value_len(steps);
    if (!n)
        return RUN_OK;
    size_t limit = (size_t) pk_plan_int(step, "limit", 0);
    if (!limit || limit > n)
        limit = n;
    s_par_t par = { .b = b, .steps = steps, .exports = exports, .scope = scope,
                    .prefix = prefix, .fail_fast = pk_plan_bool(step, "fail_fast", false) };
    atomic_init(&par.abort, false);
    atomic_init(&par.next, 0);
    par.branch_exports = calloc(n, sizeof(pk_env_t *));
    par.results = calloc(n, sizeof(run_result_t));
    pthread_t *threads = calloc(limit, sizeof(pthread_t));
    size_t started = 0;
    for (size_t t = 0; t < limit; t++)
        if (pthread_create(&threads[t], NULL, s_par_worker, &par) == 0)
            started++;
    if (!started)
        s_par_worker(&par);    // no thread to be had: run them here, one by one
    for (size_t t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    run_result_t r = RUN_OK;
    bool aborted_by_group = atomic_load(&par.abort);
    for (size_t i = 0; i < n; i++) {
        pk_env_merge(exports, par.branch_exports[i]);
        pk_env_destroy(&par.branch_exports[i]);
        run_result_t ri = par.results[i];
        if (ri == RUN_CANCELLED && aborted_by_group && atomic_load(&b->cancel_gen) == scope.gen)
            ri = RUN_FAILED;    // a sibling failed: the group failed, nobody cancelled it
        if (ri == RUN_JOB_TIMEOUT || (ri == RUN_CANCELLED && r != RUN_JOB_TIMEOUT)
        ||  (ri != RUN_OK && r == RUN_OK))
            r = ri;
    }
    free(threads);
    free(par.branch_exports);
    free(par.results);
    return r;
}

static const char *
s_lookup(const char *name, void *arg)
{
    return pk_env_get((const pk_env_t *) arg, name);
}

static run_result_t
s_if(runner_build_t *b, const pk_value_t *step, uint32_t idx, pk_env_t *exports,
     run_scope_t scope, const char *prefix)
{
    const pk_value_t *branches = pk_plan_list(step, "branches");
    pk_env_t *vars = pk_env_dup(b->base_env);
    pk_env_merge(vars, exports);
    run_result_t r = RUN_OK;
    for (size_t i = 0; i < pk_value_len(branches); i++) {
        const pk_value_t *br = pk_value_list_at(branches, i);
        const char *cond = pk_plan_str(br, "condition", NULL);
        bool take = true;
        if (cond) {
            char *err = NULL;
            if (pk_condition_evaluate(cond, s_lookup, vars, &take, &err) != 0) {
                runner_build_logf(b, idx, "condition of \"%s\": %s\n", pk_plan_str(br, "name", "?"), err);
                free(err);
                r = RUN_FAILED;
                break;
            }
        }
        runner_build_logf(b, idx, "%s \"%s\": %s\n", cond ? "condition" : "else",
                          pk_plan_str(br, "name", "?"), take ? "taken" : "skipped");
        if (take) {
            r = runner_steps_run(b, pk_plan_list(br, "steps"), exports, scope, prefix);
            break;
        }
    }
    pk_env_destroy(&vars);
    return r;
}

static run_result_t
s_step(runner_build_t *b, const pk_value_t *step, pk_env_t *exports, run_scope_t parent,
       const char *prefix)
{
    const char *kind = pk_plan_str(step, "kind", "");
    if (!strcmp(kind, "service"))
        return runner_service_step(b, step, exports, parent, prefix);
    char full[512];
    snprintf(full, sizeof full, "%s%s", prefix, pk_plan_str(step, "name", ""));
    if (!*pk_plan_str(step, "name", "") && *prefix)
        full[strlen(full) - 1] = 0;   // a labelled hook is named after its hook
    uint32_t idx = atomic_fetch_add(&b->step_counter, 1);
    int64_t timeout = pk_plan_int(step, "timeout_ms", 0);
    int64_t attempts = pk_plan_int(step, "attempts", 1);
    if (attempts < 1)
        attempts = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t started = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    runner_build_step_msg(b, idx, kind, full, "started", 0, started, NULL, NULL);
    pk_env_t *produced = pk_env_new();
    pk_value_t *put_versions = NULL;
    run_result_t r = RUN_OK;
    int status = 0;
    char *message = NULL;
    for (int64_t attempt = 1; attempt <= attempts; attempt++) {
        if (attempt > 1)
            runner_build_logf(b, idx, "--- attempt %lld/%lld ---\n", (long long) attempt,
                              (long long) attempts);
        run_scope_t scope = parent;    // each attempt gets a fresh step timeout
        if (timeout > 0) {
            int64_t mine = runner_deadline(timeout);
            if (!scope.deadline_ms || mine < scope.deadline_ms)
                scope.deadline_ms = mine;
        }
        if (!strcmp(kind, "parallel"))
            r = s_parallel(b, step, exports, scope, prefix);
        else
        if (!strcmp(kind, "if"))
            r = s_if(b, step, idx, exports, scope, prefix);
        else
            r = s_leaf_once(b, step, idx, exports, scope, produced, &status, &put_versions);
        if (r == RUN_STEP_TIMEOUT) {
            char *d = pk_duration_format(timeout);
            char buf[128];
            snprintf(buf, sizeof buf, "step timed out after %s", d);
            free(d);
            runner_build_logf(b, idx, "%s\n", buf);
            free(message);
            message = strdup(buf);
        }
        if (r == RUN_OK || r == RUN_CANCELLED || r == RUN_JOB_TIMEOUT || r == RUN_ERRORED)
            break;
    }
    if (r == RUN_STEP_TIMEOUT)
        r = RUN_FAILED;
    pk_env_merge(exports, produced);
    runner_build_step_msg_put(b, idx, kind, full, runner_result_status(r), status, started,
                              message, produced, pk_plan_str(step, "resource", NULL),
                              r == RUN_OK ? put_versions : NULL);
    pk_value_destroy(&put_versions);
    free(message);
    pk_env_destroy(&produced);
    char hook_prefix[sizeof full + 1];
    snprintf(hook_prefix, sizeof hook_prefix, "%s:", full);
    runner_hooks_run(b, pk_plan_object(step, "hooks"), r, exports, hook_prefix);
    return r;
}

run_result_t
runner_step_run(runner_build_t *b, const pk_value_t *step, pk_env_t *exports, run_scope_t scope,
                const char *prefix)
{
    return s_step(b, step, exports, scope, prefix);
}
