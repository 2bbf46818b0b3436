// runner_notify: notifications on the runner. A notification's message is
// written when the pipeline is, but means something only once the build
// has run ("build $BUILD_NUMBER: $BUILD_STATUS"), so $NOTIFY_MESSAGE is
// interpolated here, just before the notify command runs, with what pikoci
// itself provides: the build's variables, the step's, the GET_/TASK_ exports
// and $BUILD_STATUS -- never the runner's own environment, so a message
// cannot carry a worker's variables off to a chat room. Unknown names are
// left as written ("costs $5" stays), and a literal backslash-n is a newline.
//
// Automatic notifications (the plan's "notifications") are dispatched after
// the job hooks, each when the final status is in its "on" list; like hooks,
// they run after a cancel or a job timeout and never change the build's
// status -- a failed dispatch shows as a failed step and nothing more.
#include "runner_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *data;
    size_t len, cap;
} s_buf_t;

static void
s_put(s_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *grown = realloc(b->data, cap);
        if (!grown)
            return;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

static bool
s_name_char(char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'
        || (!first && c >= '0' && c <= '9');
}

char *
runner_notify_interpolate(const char *text, const pk_env_t *vars)
{
    s_buf_t out = { calloc(1, 1), 0, 1 };
    if (!out.data)
        return NULL;
    for (const char *p = text; *p;) {
        if (p[0] == '\\' && p[1] == 'n') {
            s_put(&out, "\n", 1);
            p += 2;
            continue;
        }
        if (*p != '$') {
            size_t n = strcspn(p, "$\\");
            s_put(&out, p, n ? n : 1);
            p += n ? n : 1;
            continue;
        }
        bool braced = p[1] == '{';
        const char *name = p + 1 + braced;
        size_t n = 0;
        while (s_name_char(name[n], n == 0))
            n++;
        size_t whole = 1 + braced + n + (braced && name[n] == '}');
        const char *value = NULL;
        if (n && (!braced || name[n] == '}') && n < 256) {
            char key[256];
            memcpy(key, name, n);
            key[n] = 0;
            value = pk_env_get(vars, key);
        }
        if (value)
            s_put(&out, value, strlen(value));
        else
            s_put(&out, p, whole);
        p += whole;
    }
    return out.data;
}

void
runner_notify_prepare(runner_build_t *b, pk_env_t *env, pk_env_t *own)
{
    const char *msg = pk_env_get(own, "NOTIFY_MESSAGE");
    if (!msg)
        return;
    pk_env_t *vars = pk_env_dup(own);
    const char *status = pk_env_get(b->base_env, "BUILD_STATUS");
    if (status && !pk_env_get(vars, "BUILD_STATUS"))
        pk_env_set(vars, "BUILD_STATUS", status);
    char *text = runner_notify_interpolate(msg, vars);
    if (text) {
        pk_env_set(env, "NOTIFY_MESSAGE", text);
        pk_env_set(own, "NOTIFY_MESSAGE", text);
    }
    free(text);
    pk_env_destroy(&vars);
}

static bool
s_listed(const pk_value_t *list, const char *word)
{
    for (size_t i = 0; list && i < pk_value_len(list); i++) {
        const char *s = pk_value_string(pk_value_list_at(list, i));
        if (s && (!strcmp(s, word) || !strcmp(s, "all")))
            return true;
    }
    return false;
}

// A notification whose type this pikoci lacks: a failed step saying so.
static void
s_unavailable(runner_build_t *b, const char *name, const char *why)
{
    uint32_t idx = atomic_fetch_add(&b->step_counter, 1);
    char full[600];
    snprintf(full, sizeof full, "notify:%s", name);
    runner_build_step_msg(b, idx, "notify", full, "started", 0, 0, NULL, NULL);
    runner_build_logf(b, idx, "%s\n", why);
    runner_build_step_msg(b, idx, "notify", full, "failed", 0, 0, why, NULL);
}

void
runner_notify_all(runner_build_t *b, run_result_t result, pk_env_t *exports)
{
    const pk_value_t *notes = pk_plan_list(b->plan, "notifications");
    const char *on = result == RUN_OK ? "success" : result == RUN_CANCELLED ? "cancel" : "failure";
    for (size_t i = 0; notes && i < pk_value_len(notes); i++) {
        const pk_value_t *note = pk_value_list_at(notes, i);
        if (!s_listed(pk_plan_list(note, "on"), on))
            continue;
        const char *error = pk_plan_str(note, "error", NULL);
        if (error) {
            s_unavailable(b, pk_plan_str(note, "name", "?"), error);
            continue;
        }
        pk_value_t *copy = pk_value_dup(note);
        const pk_value_t *env = pk_plan_object(note, "env");
        pk_value_t *own = env ? pk_value_dup(env) : pk_value_new_object();
        // PikoCI's words (its slack, discord and github-check types match on them)
        pk_value_object_set(own, "notify_build_status", pk_value_new_string(on));
        pk_value_object_set(copy, "env", own);
        if (pk_plan_int(note, "timeout_ms", 0) <= 0)
            pk_value_object_set(copy, "timeout_ms",
                                pk_value_new_number((double) RUNNER_NOTIFY_TIMEOUT_MS));
        // like a hook: the current cancel generation, no job deadline
        run_scope_t scope = { 0, atomic_load(&b->cancel_gen), true };
        runner_step_run(b, copy, exports, scope, "notify:");
        pk_value_destroy(&copy);
    }
}
