// runner_secrets_get: fetching one secret -- the built-in `file` type read
// here (json, env, yaml, raw), any other type's `get` command run like a step's
// command but with its output captured, never logged -- then the field
// `key` of the JSON object it gave. The order secrets are fetched in,
// substitution and sharing are runner_secrets.c's. No message here ever
// holds a value: a failing get's output is shown masked by the secrets
// fetched so far, a missing key lists the keys there are.
#include "runner_internal.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_FILE_MAX (1024 * 1024)

// The built-in `file` type: json, env (KEY=VALUE lines) or raw ({"content"}).
static pk_value_t *
s_file_get(const char *name, const pk_value_t *native, const char *path, char **err)
{
    const pk_value_t *params = pk_plan_object(native, "params");
    if (!path)
        path = pk_plan_str(params, "path", NULL);
    if (!path || !*path) {
        *err = runner_fmt("secret \"%s\": the file secret type needs a path (in the secret_type "
                     "or in the variable's secret block)", name);
        return NULL;
    }
    const char *format = pk_plan_str(params, "format", NULL);
    const char *dot = strrchr(path, '.');
    if (!format)
        format = dot && !strcmp(dot, ".json") ? "json" : dot && !strcmp(dot, ".env") ? "env"
               : dot && (!strcmp(dot, ".yml") || !strcmp(dot, ".yaml")) ? "yaml" : "raw";
    if (strcmp(format, "json") && strcmp(format, "env") && strcmp(format, "raw")
    &&  strcmp(format, "yaml")) {
        *err = runner_fmt("secret \"%s\": file format \"%s\" is not supported (json, env, yaml, raw)",
                     name, format);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = runner_fmt("secret \"%s\": cannot read %s: %s", name, path, strerror(errno));
        return NULL;
    }
    char *text = malloc(S_FILE_MAX + 1);
    size_t n = fread(text, 1, S_FILE_MAX + 1, f);
    fclose(f);
    pk_value_t *obj = NULL;
    if (n > S_FILE_MAX)
        *err = runner_fmt("secret \"%s\": %s is larger than %d bytes", name, path, S_FILE_MAX);
    else
    if (!strcmp(format, "raw")) {
        obj = pk_value_new_object();
        pk_value_object_set(obj, "content", pk_value_new_stringn(text, n));
    }
    else
    if (!strcmp(format, "yaml")) {
        char *why = NULL;
        obj = runner_secrets_yaml(text, n, &why);
        if (!obj)
            *err = runner_fmt("secret \"%s\": %s: %s", name, path, why ? why : "unreadable YAML");
        free(why);
    }
    else
    if (!strcmp(format, "json")) {
        obj = pk_value_from_json(text, n, NULL);
        if (!obj || pk_value_kind(obj) != PK_V_OBJECT) {
            pk_value_destroy(&obj);
            *err = runner_fmt("secret \"%s\": %s does not hold a JSON object", name, path);
        }
    }
    else {
        obj = pk_value_new_object();
        text[n] = 0;
        for (char *line = text, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = 0;
            while (*line == ' ' || *line == '\t')
                line++;
            if (!strncmp(line, "export ", 7))
                line += 7;
            char *eq = strchr(line, '=');
            if (*line == '#' || !eq || eq == line)
                continue;
            char *kend = eq;
            while (kend > line && (kend[-1] == ' ' || kend[-1] == '\t'))
                kend--;
            *kend = 0;
            char *val = eq + 1;
            size_t vl = strlen(val);
            while (vl && (val[vl - 1] == '\r' || val[vl - 1] == ' ' || val[vl - 1] == '\t'))
                val[--vl] = 0;
            while (*val == ' ' || *val == '\t')
                val++, vl--;
            if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
                val[vl - 1] = 0;
                val++;
            }
            pk_value_object_set(obj, line, pk_value_new_string(val));
        }
    }
    explicit_bzero(text, n < S_FILE_MAX ? n : S_FILE_MAX);
    free(text);
    return obj;
}

static pk_value_t *
s_cmd_get(runner_build_t *b, const run_ctx_t *rctx, const char *name, const pk_value_t *entry,
          const runner_mask_t *mask, char **errp, bool *transient)
{
    pk_env_t *env = pk_env_dup(b->base_env);
    const pk_value_t *extra = pk_plan_object(entry, "env");
    for (size_t i = 0; extra && i < pk_value_len(extra); i++) {
        char *t = pk_value_to_string(pk_value_object_at(extra, i));
        if (t)
            pk_env_set(env, pk_value_object_key(extra, i), t);
        runner_wipe(t);
    }
    const char *path = pk_plan_str(entry, "path", NULL);
    if (path)
        pk_env_set(env, "param_path", path);
    pk_env_set(env, "param_key", pk_plan_str(entry, "key", ""));
    char container[256];
    snprintf(container, sizeof container, "pikoci-secret-%s-%u-%s", b->id, b->attempt, name);
    for (char *c = container; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || *c == '-' || *c == '_' || *c == '.'))
            *c = '-';
    runner_cmdline_t cl;
    char *err = NULL;
    const char *type = pk_plan_str(entry, "type", "?");
    int rc = runner_expand(pk_plan_object(entry, "cmd"), env, NULL, b->workdir, container, &cl, &err);
    pk_env_destroy(&env);
    if (rc != 0) {
        *errp = runner_fmt("secret \"%s\" (secret type \"%s\"): %s", name, type, err);
        free(err);
        return NULL;
    }
    if (!cl.argv) {
        runner_cmdline_clear(&cl);
        *errp = runner_fmt("secret \"%s\": secret type \"%s\" has no get command", name, type);
        return NULL;
    }
    run_ctx_t ctx = *rctx;
    ctx.capture = calloc(1, 1);
    ctx.capture_len = 0;
    ctx.capture_cap = 1;
    int64_t cap = runner_deadline(RUNNER_SECRET_TIMEOUT_MS);
    if (!ctx.deadline_ms || cap < ctx.deadline_ms)
        ctx.deadline_ms = cap;
    int status = 0;
    run_result_t res = runner_proc_run_plain(&ctx, &cl, &status);
    runner_cmdline_clear(&cl);
    pk_value_t *obj = NULL;
    if (res == RUN_OK) {
        char *line = runner_last_line(ctx.capture, ctx.capture_len);
        obj = pk_value_from_json(line, strlen(line), NULL);
        if (!obj || pk_value_kind(obj) != PK_V_OBJECT) {
            pk_value_destroy(&obj);
            *errp = runner_fmt("secret \"%s\": the get command of secret type \"%s\" must print a "
                           "JSON object on its last line", name, type);
        }
        runner_wipe(line);
    }
    else {
        *transient = res == RUN_CANCELLED || res == RUN_JOB_TIMEOUT;
        char *line = runner_last_line(ctx.capture, ctx.capture_len);
        char *shown = runner_mask_str(mask, line);
        if (res == RUN_FAILED)
            *errp = runner_fmt("secret \"%s\": the get command of secret type \"%s\" exited with "
                           "status %d%s%.300s", name, type, status, *shown ? ": " : "", shown);
        else
            *errp = runner_fmt("secret \"%s\": the get command of secret type \"%s\" %s", name, type,
                           res == RUN_CANCELLED ? "was cancelled" : "timed out");
        runner_wipe(line);
        runner_wipe(shown);
    }
    explicit_bzero(ctx.capture, ctx.capture_len);
    free(ctx.capture);
    return obj;
}

// The field `key` of what the secret type returned, as text; a dotted key
// walks into nested objects when no field has that exact name.
static char *
s_pick(const pk_value_t *obj, const char *key)
{
    const pk_value_t *v = pk_value_object_get(obj, key);
    if (!v && strchr(key, '.')) {
        char *copy = strdup(key), *save = NULL;
        v = obj;
        for (char *part = strtok_r(copy, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
            v = pk_value_kind(v) == PK_V_OBJECT ? pk_value_object_get(v, part) : NULL;
        free(copy);
    }
    if (!v || pk_value_kind(v) == PK_V_NULL)
        return NULL;
    char *t = pk_value_to_string(v);
    return t ? t : pk_value_to_json(v);
}

// The server's store: the scheduler sent the value with the WORK under the
// store's name (key), or "!key" with why it could not.
static pk_value_t *
s_store_get(runner_build_t *b, const char *name, const char *key, char **err)
{
    const pk_value_t *store = pk_value_object_get(b->plan, "store_secrets");
    const pk_value_t *v = pk_value_object_get(store, key);
    if (v && pk_value_kind(v) == PK_V_STRING) {
        pk_value_t *obj = pk_value_new_object();
        pk_value_object_set(obj, key, pk_value_dup(v));
        return obj;
    }
    char bang[512];
    snprintf(bang, sizeof bang, "!%s", key);
    const pk_value_t *why = pk_value_object_get(store, bang);
    *err = runner_fmt("secret \"%s\": %s", name,
                      why ? pk_value_string(why)
                          : "the server sent no value for it from its secret store");
    return NULL;
}

char *
runner_secret_fetch(runner_build_t *b, const run_ctx_t *ctx, const char *name,
                    const pk_value_t *entry, const runner_mask_t *mask, char **err,
                    bool *transient)
{
    *transient = false;
    const char *key = pk_plan_str(entry, "key", "");
    const char *type = pk_plan_str(entry, "type", "?");
    const pk_value_t *native = pk_plan_object(entry, "native");
    pk_value_t *obj = NULL;
    if (pk_plan_str(entry, "error", NULL))
        *err = runner_fmt("secret \"%s\": %s", name, pk_plan_str(entry, "error", ""));
    else
    if (native && !strcmp(pk_plan_str(native, "type", ""), "file"))
        obj = s_file_get(name, native, pk_plan_str(entry, "path", NULL), err);
    else
    if (native && !strcmp(pk_plan_str(native, "type", ""), "pikoci"))
        obj = s_store_get(b, name, key, err);
    else
    if (native)
        *err = runner_fmt("secret \"%s\": unknown built-in secret type \"%s\"", name,
                     pk_plan_str(native, "type", "?"));
    else
    if (pk_plan_object(entry, "cmd"))
        obj = s_cmd_get(b, ctx, name, entry, mask, err, transient);
    else
        *err = runner_fmt("secret \"%s\": the plan gives no way to get it (no cmd, no native)", name);
    char *value = obj ? s_pick(obj, key) : NULL;
    if (obj && !value) {
        char keys[512] = "";
        for (size_t k = 0; k < pk_value_len(obj); k++)
            snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", k ? ", " : "",
                     pk_value_object_key(obj, k));
        *err = runner_fmt("secret \"%s\": no key \"%s\" in what secret type \"%s\" returned "
                     "(keys: %s)", name, key, type, *keys ? keys : "none");
    }
    pk_value_destroy(&obj);
    return value;
}
