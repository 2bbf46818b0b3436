// runner_expand: turns a step's command (a runner type plus the step's
// run-block params) into the argv and environment of a process, the way
// PikoCI runner types work:
// - every element of the runner's path/args is expanded $VAR / ${VAR} style
//   against the params, then the command's environment (WORKDIR, build and
//   step variables, the runner's own environment); unknown names expand to "";
// - an element that is exactly "$args" is replaced by the step's own args
//   list, NOT expanded, so shell variables inside survive to the shell;
// - an element that is exactly "$env" becomes "-e NAME=VALUE" pairs for the
//   build's own variables (docker forwards them into the container);
// - elements that expand to "" are dropped;
// - the params are also exported as environment variables.
// exec, shell and docker are built in; a user-defined runner_type brings its
// own path and args.
#include "runner_internal.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char **items;
    size_t count;
} s_argv_t;

static void
s_push(s_argv_t *a, const char *s)
{
    a->items = realloc(a->items, (a->count + 2) * sizeof(char *));
    a->items[a->count++] = strdup(s);
    a->items[a->count] = NULL;
}

// A param as text: strings as is, numbers and bools rendered; NULL otherwise.
static char *
s_param_text(const pk_value_t *params, const char *name)
{
    const pk_value_t *v = params ? pk_value_object_get(params, name) : NULL;
    if (!v || pk_value_kind(v) == PK_V_LIST || pk_value_kind(v) == PK_V_OBJECT
    ||  pk_value_kind(v) == PK_V_NULL)
        return NULL;
    return pk_value_to_string(v);
}

static char *
s_expand(const char *in, const pk_value_t *params, const pk_env_t *env)
{
    size_t cap = strlen(in) + 64, len = 0;
    char *out = malloc(cap);
    for (const char *p = in; *p; ) {
        const char *name = NULL;
        size_t nlen = 0, skip = 0;
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            if (close) {
                name = p + 2;
                nlen = (size_t) (close - name);
                skip = nlen + 3;
            }
        }
        else
        if (p[0] == '$' && (isalpha((unsigned char) p[1]) || p[1] == '_')) {
            name = p + 1;
            while (isalnum((unsigned char) name[nlen]) || name[nlen] == '_')
                nlen++;
            skip = nlen + 1;
        }
        const char *val = NULL;
        char *owned = NULL;
        if (name) {
            char *key = strndup(name, nlen);
            owned = s_param_text(params, key);
            val = owned ? owned : pk_env_get(env, key);
            free(key);
            if (!val)
                val = "";
            p += skip;
        }
        size_t vlen = name ? strlen(val) : 1;
        if (len + vlen + 1 > cap) {
            cap = (len + vlen + 1) * 2;
            out = realloc(out, cap);
        }
        memcpy(out + len, name ? val : p, vlen);
        len += vlen;
        if (!name)
            p++;
        free(owned);
    }
    out[len] = 0;
    return out;
}

static void
s_push_args_list(s_argv_t *a, const pk_value_t *params)
{
    const pk_value_t *args = params ? pk_value_object_get(params, "args") : NULL;
    if (!args || pk_value_kind(args) != PK_V_LIST)
        return;
    for (size_t i = 0; i < pk_value_len(args); i++) {
        char *s = pk_value_to_string(pk_value_list_at(args, i));
        if (s)
            s_push(a, s);
        free(s);
    }
}

// Expand one template element into a (possibly several elements, or none).
static void
s_push_expanded(s_argv_t *a, const char *tmpl, const pk_value_t *params, const pk_env_t *env,
                const pk_env_t *exported, const char *workdir)
{
    if (!strcmp(tmpl, "$args")) {
        s_push_args_list(a, params);
        return;
    }
    if (!strcmp(tmpl, "$env")) {
        for (size_t i = 0; exported && i < pk_env_size(exported); i++) {
            const char *entry = pk_env_entry(exported, i);
            const char *val = pk_env_value(exported, i);
            // paths into the workdir are seen at /workdir inside the container
            size_t wl = workdir ? strlen(workdir) : 0;
            char buf[8192];
            if (wl && !strncmp(val, workdir, wl) && (val[wl] == '/' || val[wl] == 0))
                snprintf(buf, sizeof buf, "%.*s/workdir%s", (int) (val - entry), entry, val + wl);
            else
                snprintf(buf, sizeof buf, "%s", entry);
            s_push(a, "-e");
            s_push(a, buf);
        }
        return;
    }
    char *s = s_expand(tmpl, params, env);
    if (*s)
        s_push(a, s);
    free(s);
}

void
runner_cmdline_clear(runner_cmdline_t *self)
{
    for (size_t i = 0; self->argv && self->argv[i]; i++)
        free(self->argv[i]);
    free(self->argv);
    free(self->container);
    pk_env_destroy(&self->env);
    memset(self, 0, sizeof(*self));
}

static int
s_fail(char **err, const char *fmt, const char *a)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a);
    *err = strdup(buf);
    return -1;
}

int
runner_expand(const pk_value_t *cmd, const pk_env_t *env, const pk_env_t *exported,
              const char *workdir, const char *container, runner_cmdline_t *out, char **err)
{
    memset(out, 0, sizeof(*out));
    *err = NULL;
    const pk_value_t *runner = pk_plan_object(cmd, "runner");
    const pk_value_t *params = pk_plan_object(cmd, "params");
    const char *name = pk_plan_str(runner, "name", "exec");
    out->env = pk_env_dup(env);
    // params are exported too (scalars only)
    for (size_t i = 0; params && i < pk_value_len(params); i++) {
        char *text = pk_value_to_string(pk_value_object_at(params, i));
        if (text)
            pk_env_set(out->env, pk_value_object_key(params, i), text);
        free(text);
    }
    s_argv_t a = { NULL, 0 };
    const pk_value_t *targs = pk_plan_list(runner, "args");
    const char *tpath = pk_plan_str(runner, "path", NULL);
    char *cmd_text = s_param_text(params, "cmd");
    char *file = s_param_text(params, "file");
    char *shell = s_param_text(params, "shell");
    int rc = 0;
    if (tpath) {                                   // user-defined runner_type
        s_push_expanded(&a, tpath, params, out->env, exported, workdir);
        for (size_t i = 0; a.count && targs && i < pk_value_len(targs); i++) {
            const pk_value_t *t = pk_value_list_at(targs, i);
            if (pk_value_kind(t) == PK_V_STRING)
                s_push_expanded(&a, pk_value_string(t), params, out->env, exported, workdir);
        }
    }
    else
    if (!strcmp(name, "exec")) {
        s_push_expanded(&a, "$path", params, out->env, exported, workdir);
        if (a.count)
            s_push_args_list(&a, params);
    }
    else
    if (!strcmp(name, "shell")) {
        if ((cmd_text != NULL) == (file != NULL))
            rc = s_fail(err, "shell runner: set exactly one of 'cmd' and 'file'%s", "");
        else
        if (cmd_text) {
            s_push(&a, shell ? shell : "/bin/sh");
            s_push(&a, "-ec");
            s_push(&a, cmd_text);
        }
        else {
            char path[4096];
            snprintf(path, sizeof path, "%s%s%s", file[0] == '/' ? "" : workdir ? workdir : ".",
                     file[0] == '/' ? "" : "/", file);
            if (shell)
                s_push(&a, shell);
            else
                chmod(path, 0755);   // PikoCI runs the file directly after chmod +x
            s_push(&a, path);
        }
    }
    else
    if (!strcmp(name, "docker")) {
        char *image = s_param_text(params, "image");
        char *path = s_param_text(params, "path");
        if (!image || (!cmd_text && !path))
            rc = s_fail(err, "docker runner: 'image' and 'cmd' (or 'path') are required%s", "");
        else
        if (!cmd_text) {
            // an exec command routed through docker by a type-level runner
            // override: run its path and args in the container as they are
            const char *fixed[] = { "docker", "run", "--rm", "--name", container, "--init",
                                    "-v", NULL, "-w", "/workdir" };
            char vol[4200];
            snprintf(vol, sizeof vol, "%s:/workdir", workdir ? workdir : ".");
            fixed[7] = vol;
            for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
                s_push(&a, fixed[i]);
            s_push_expanded(&a, "$env", params, out->env, exported, workdir);
            const pk_value_t *extra = pk_value_object_get(params, "docker_args");
            for (size_t i = 0; extra && pk_value_kind(extra) == PK_V_LIST && i < pk_value_len(extra); i++) {
                char *t = pk_value_to_string(pk_value_list_at(extra, i));
                if (t)
                    s_push(&a, t);
                free(t);
            }
            s_push(&a, image);
            s_push(&a, path);
            s_push_args_list(&a, params);
            out->container = strdup(container);
        }
        else {
            char vol[4200], script[8192];
            snprintf(vol, sizeof vol, "%s:/workdir", workdir ? workdir : ".");
            snprintf(script, sizeof script,
                     "command -v git >/dev/null && git config --global --add safe.directory '*'; %s",
                     cmd_text);
            const char *fixed[] = { "docker", "run", "--rm", "--name", container, "--init",
                                    "-v", vol, "-w", "/workdir" };
            for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
                s_push(&a, fixed[i]);
            s_push_expanded(&a, "$env", params, out->env, exported, workdir);
            s_push_args_list(&a, params);
            s_push(&a, image);
            s_push(&a, "/bin/sh");
            s_push(&a, "-ec");
            s_push(&a, script);
            out->container = strdup(container);
        }
        free(image);
        free(path);
    }
    else
        rc = s_fail(err, "unknown runner \"%s\" (built-ins: exec, shell, docker)", name);
    free(cmd_text);
    free(file);
    free(shell);
    out->argv = a.items;
    if (rc != 0) {
        runner_cmdline_clear(out);
        return -1;
    }
    if (!a.count) {
        // PikoCI: a command whose path expands to nothing is a successful no-op
        free(a.items);
        out->argv = NULL;
    }
    return 0;
}
