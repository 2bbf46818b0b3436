// pk_plan: typed reads and the shape check of resolved plans (see pk_plan.h).
// The check walks the whole tree once up front; executors can then read
// fields with defaults and never meet a wrong type half-way through a build.
#include "pk_plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
pk_plan_str(const pk_value_t *obj, const char *key, const char *dflt)
{
    const pk_value_t *v = obj && pk_value_kind(obj) == PK_V_OBJECT ? pk_value_object_get(obj, key) : NULL;
    return v && pk_value_kind(v) == PK_V_STRING ? pk_value_string(v) : dflt;
}

int64_t
pk_plan_int(const pk_value_t *obj, const char *key, int64_t dflt)
{
    const pk_value_t *v = obj && pk_value_kind(obj) == PK_V_OBJECT ? pk_value_object_get(obj, key) : NULL;
    if (!v || pk_value_kind(v) != PK_V_NUMBER)
        return dflt;
    // plans come from the network: a NaN or a number past int64 is clamped,
    // never cast (that would be undefined behaviour)
    double n = pk_value_number(v);
    if (n != n)
        return dflt;
    if (n >= 9.2e18)
        return INT64_MAX;
    if (n <= -9.2e18)
        return INT64_MIN;
    return (int64_t) n;
}

bool
pk_plan_bool(const pk_value_t *obj, const char *key, bool dflt)
{
    const pk_value_t *v = obj && pk_value_kind(obj) == PK_V_OBJECT ? pk_value_object_get(obj, key) : NULL;
    return v && pk_value_kind(v) == PK_V_BOOL ? pk_value_bool(v) : dflt;
}

static const pk_value_t *
s_get(const pk_value_t *obj, const char *key, pk_value_kind_t kind)
{
    const pk_value_t *v = obj && pk_value_kind(obj) == PK_V_OBJECT ? pk_value_object_get(obj, key) : NULL;
    return v && pk_value_kind(v) == kind ? v : NULL;
}

const pk_value_t *
pk_plan_list(const pk_value_t *obj, const char *key)
{
    return s_get(obj, key, PK_V_LIST);
}

const pk_value_t *
pk_plan_object(const pk_value_t *obj, const char *key)
{
    return s_get(obj, key, PK_V_OBJECT);
}

typedef struct {
    char *err;
    int depth;
} s_check_t;

static bool s_check_steps(s_check_t *c, const pk_value_t *steps, const char *where);

static bool
s_fail(s_check_t *c, const char *where, const char *what)
{
    if (!c->err) {
        char buf[512];
        snprintf(buf, sizeof buf, "invalid plan at %s: %s", where, what);
        c->err = strdup(buf);
    }
    return false;
}

// key, if present, must be of kind
static bool
s_opt(s_check_t *c, const pk_value_t *obj, const char *key, pk_value_kind_t kind, const char *where)
{
    const pk_value_t *v = pk_value_object_get(obj, key);
    if (v && pk_value_kind(v) != kind) {
        char what[128];
        snprintf(what, sizeof what, "'%s' must be a %s", key, pk_value_kind_name(kind));
        return s_fail(c, where, what);
    }
    return true;
}

static bool
s_check_env(s_check_t *c, const pk_value_t *obj, const char *where)
{
    if (!s_opt(c, obj, "env", PK_V_OBJECT, where))
        return false;
    const pk_value_t *env = pk_plan_object(obj, "env");
    for (size_t i = 0; env && i < pk_value_len(env); i++)
        if (pk_value_kind(pk_value_object_at(env, i)) != PK_V_STRING)
            return s_fail(c, where, "env values must be strings");
    return true;
}

static bool
s_check_cmd(s_check_t *c, const pk_value_t *cmd, const char *where)
{
    if (!cmd || pk_value_kind(cmd) != PK_V_OBJECT)
        return s_fail(c, where, "'cmd' must be an object");
    const pk_value_t *runner = pk_plan_object(cmd, "runner");
    if (!runner || !pk_plan_str(runner, "name", NULL))
        return s_fail(c, where, "'cmd.runner.name' is required");
    return s_opt(c, runner, "path", PK_V_STRING, where)
        && s_opt(c, runner, "args", PK_V_LIST, where)
        && s_opt(c, cmd, "params", PK_V_OBJECT, where);
}

static bool
s_check_hooks(s_check_t *c, const pk_value_t *obj, const char *where)
{
    if (!s_opt(c, obj, "hooks", PK_V_OBJECT, where))
        return false;
    const pk_value_t *hooks = pk_plan_object(obj, "hooks");
    const char *names[] = { "on_success", "on_failure", "on_cancel", "ensure" };
    for (size_t i = 0; hooks && i < 4; i++) {
        if (!s_opt(c, hooks, names[i], PK_V_LIST, where))
            return false;
        const pk_value_t *steps = pk_plan_list(hooks, names[i]);
        if (steps && !s_check_steps(c, steps, where))
            return false;
    }
    return true;
}

static bool
s_check_step(s_check_t *c, const pk_value_t *step, const char *where)
{
    if (pk_value_kind(step) != PK_V_OBJECT)
        return s_fail(c, where, "a step must be an object");
    const char *kind = pk_plan_str(step, "kind", NULL);
    const char *name = pk_plan_str(step, "name", NULL);
    if (!kind || !name)
        return s_fail(c, where, "a step needs 'kind' and 'name'");
    char here[256];
    snprintf(here, sizeof here, "%s %s \"%s\"", where, kind, name);
    if (!s_opt(c, step, "timeout_ms", PK_V_NUMBER, here) || !s_opt(c, step, "attempts", PK_V_NUMBER, here)
    ||  !s_check_env(c, step, here) || !s_check_hooks(c, step, here))
        return false;
    if (!strcmp(kind, "put") && !s_opt(c, step, "version", PK_V_OBJECT, here))
        return false;
    if (!strcmp(kind, "task") || !strcmp(kind, "put") || !strcmp(kind, "notify"))
        return s_check_cmd(c, pk_value_object_get(step, "cmd"), here)
            && s_opt(c, step, "inputs", PK_V_LIST, here) && s_opt(c, step, "outputs", PK_V_LIST, here);
    if (!strcmp(kind, "get")) {
        if (!s_opt(c, step, "version", PK_V_OBJECT, here))
            return false;
        if (pk_plan_object(step, "native"))
            return pk_plan_str(pk_plan_object(step, "native"), "type", NULL)
                 ? true : s_fail(c, here, "'native.type' is required");
        return s_check_cmd(c, pk_value_object_get(step, "cmd"), here);
    }
    if (!strcmp(kind, "service"))
        return s_check_cmd(c, pk_value_object_get(step, "start"), here)
            && s_check_cmd(c, pk_value_object_get(step, "stop"), here)
            && (!pk_value_object_get(step, "ready_check")
                || s_check_cmd(c, pk_value_object_get(step, "ready_check"), here))
            && s_opt(c, step, "ready_interval_ms", PK_V_NUMBER, here)
            && s_opt(c, step, "ready_timeout_ms", PK_V_NUMBER, here)
            && s_opt(c, step, "stop_timeout_ms", PK_V_NUMBER, here);
    if (!strcmp(kind, "parallel")) {
        const pk_value_t *steps = pk_plan_list(step, "steps");
        return steps ? s_check_steps(c, steps, here) : s_fail(c, here, "'steps' is required");
    }
    if (!strcmp(kind, "if")) {
        const pk_value_t *branches = pk_plan_list(step, "branches");
        if (!branches)
            return s_fail(c, here, "'branches' is required");
        for (size_t i = 0; i < pk_value_len(branches); i++) {
            const pk_value_t *b = pk_value_list_at(branches, i);
            if (!s_opt(c, b, "condition", PK_V_STRING, here))
                return false;
            const pk_value_t *steps = pk_plan_list(b, "steps");
            if (!steps || !s_check_steps(c, steps, here))
                return c->err ? false : s_fail(c, here, "a branch needs 'steps'");
        }
        return true;
    }
    return s_fail(c, here, "unknown step kind");
}

// Automatic notifications: notify steps with "on", or an "error" to log.
static bool
s_check_notes(s_check_t *c, const pk_value_t *plan)
{
    if (!s_opt(c, plan, "notifications", PK_V_LIST, "build"))
        return false;
    const pk_value_t *notes = pk_plan_list(plan, "notifications");
    for (size_t i = 0; notes && i < pk_value_len(notes); i++) {
        const pk_value_t *n = pk_value_list_at(notes, i);
        if (pk_value_kind(n) != PK_V_OBJECT || strcmp(pk_plan_str(n, "kind", ""), "notify"))
            return s_fail(c, "build notifications", "each must be a notify step");
        if (!s_opt(c, n, "on", PK_V_LIST, "build notifications")
        ||  !s_opt(c, n, "error", PK_V_STRING, "build notifications"))
            return false;
        if (!pk_plan_str(n, "error", NULL) && !s_check_step(c, n, "build notifications"))
            return false;
    }
    return true;
}

static bool
s_check_steps(s_check_t *c, const pk_value_t *steps, const char *where)
{
    if (++c->depth > 64)
        return s_fail(c, where, "steps nested too deeply");
    for (size_t i = 0; i < pk_value_len(steps); i++)
        if (!s_check_step(c, pk_value_list_at(steps, i), where))
            return false;
    c->depth--;
    return true;
}

int
pk_plan_validate(const pk_value_t *plan, const char *kind, char **err_out)
{
    s_check_t c = { NULL, 0 };
    bool ok;
    if (!plan || pk_value_kind(plan) != PK_V_OBJECT)
        ok = s_fail(&c, "top", "the plan must be an object");
    else
    if (!strcmp(kind, "check")) {
        ok = s_check_env(&c, plan, "check") && s_opt(&c, plan, "version", PK_V_OBJECT, "check")
          && (pk_plan_object(plan, "native")
              ? (pk_plan_str(pk_plan_object(plan, "native"), "type", NULL) ? true
                 : s_fail(&c, "check", "'native.type' is required"))
              : s_check_cmd(&c, pk_value_object_get(plan, "cmd"), "check"));
    }
    else
    if (!strcmp(kind, "build")) {
        const pk_value_t *steps = pk_plan_list(plan, "steps");
        ok = s_check_env(&c, plan, "build") && s_check_hooks(&c, plan, "build")
          && (steps ? s_check_steps(&c, steps, "build") : s_fail(&c, "build", "'steps' is required"))
          && s_check_notes(&c, plan);
    }
    else
        ok = s_fail(&c, "top", "work kind must be \"build\" or \"check\"");
    if (!ok && err_out)
        *err_out = c.err;
    else
        free(c.err);
    return ok ? 0 : -1;
}
