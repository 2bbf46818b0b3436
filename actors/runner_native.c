// runner_native: the resource operations pikoci does in-process instead of
// spawning a command -- git (libgit2: no git binary needed on a worker), fs,
// cron -- plus "dir", the stand-in `pikoci run --resource T.N=./dir` uses to
// get a local directory instead of pulling. Native checks keep a per-runner
// cache (a bare mirror per git URL) under $PIKOCI_CACHE_DIR, default
// /tmp/pikoci-cache, so a check of an unchanged repository is an ls-remote.
#include "runner_internal.h"
#include "pk_cronres.h"
#include "pk_fsres.h"
#include "pk_git.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int
s_fail(char **err_out, const char *fmt, const char *a)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a);
    *err_out = strdup(buf);
    return -1;
}

static const char *
s_param(const pk_value_t *native, const char *key)
{
    return pk_plan_str(pk_plan_object(native, "params"), key, NULL);
}

// A boolean param given as true or "true" (PikoCI's types take strings).
static bool
s_flag(const pk_value_t *params, const char *key)
{
    return pk_plan_bool(params, key, false) || !strcmp(pk_plan_str(params, key, ""), "true");
}

static pk_git_params_t
s_git_params(const pk_value_t *native)
{
    const pk_value_t *params = pk_plan_object(native, "params");
    pk_git_params_t p = {
        .url = pk_plan_str(params, "url", NULL),
        .branch = pk_plan_str(params, "branch", NULL),
        .token = pk_plan_str(params, "token", NULL),
        .tag = s_flag(params, "tag"),
    };
    return p;
}

const char *
runner_cache_root(void)
{
    const char *root = getenv("PIKOCI_CACHE_DIR");
    return root && *root ? root : "/tmp/pikoci-cache";
}

// mkdir -p, for paths we build ourselves
static void
s_mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(path, 0700);
            *p = '/';
        }
    mkdir(path, 0700);
}

void
runner_set_cache_dir(const pk_value_t *obj, pk_env_t *env)
{
    const char *key = pk_plan_str(obj, "cache", NULL);
    if (!key || strstr(key, ".."))
        return;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/resources/%s", runner_cache_root(), key);
    s_mkdirs(dir);
    pk_env_set(env, "CACHE_DIR", dir);
}

// The mirror directory for a git URL under the cache root.
static char *
s_git_cache(const char *url)
{
    const char *root = runner_cache_root();
    mkdir(root, 0700);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/git", root);
    mkdir(dir, 0700);
    size_t len = strlen(dir);
    snprintf(dir + len, sizeof dir - len, "/");
    len++;
    for (const char *u = url; *u && len < sizeof dir - 1; u++)
        dir[len++] = (*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9')
                   || *u == '.' || *u == '-' ? *u : '_';
    dir[len] = 0;
    return strdup(dir);
}

int
runner_native_check(const pk_value_t *native, const pk_value_t *last_version,
                    const char *workdir, char **versions_json_out, char **err_out)
{
    (void) workdir;
    *versions_json_out = NULL;
    *err_out = NULL;
    const char *type = pk_plan_str(native, "type", "");
    if (!strcmp(type, "cron"))
        return pk_cronres_check(versions_json_out, err_out);
    if (!strcmp(type, "fs")) {
        const char *path = s_param(native, "path");
        if (!path)
            return s_fail(err_out, "fs resource: param \"path\" is required%s", "");
        return pk_fsres_check(path, pk_plan_str(last_version, PK_FSRES_VERSION_KEY, NULL),
                              versions_json_out, err_out);
    }
    const pk_value_t *params = pk_plan_object(native, "params");
    if (!strcmp(type, "git") && s_flag(params, "pr")) {
        if (s_flag(params, "tag"))
            return s_fail(err_out, "git resource: tag = true and pr = true cannot be combined: "
                          "use two resources%s", "");
        return runner_forge_check(params, pk_plan_str(last_version, "pr", NULL),
                                  versions_json_out, err_out);
    }
    if (!strcmp(type, "git")) {
        pk_git_params_t p = s_git_params(native);
        if (!p.url)
            return s_fail(err_out, "git resource: param \"url\" is required%s", "");
        char *cache = s_git_cache(p.url);
        int rc = pk_git_check(&p, pk_plan_str(last_version, pk_git_version_key(&p), NULL), cache,
                              versions_json_out, err_out);
        free(cache);
        return rc;
    }
    return s_fail(err_out, "native resource type \"%s\" is not available in this runner", type);
}

int
runner_native_get(const pk_value_t *native, const pk_value_t *version, const char *workdir,
                  char **err_out)
{
    *err_out = NULL;
    const char *type = pk_plan_str(native, "type", "");
    if (!strcmp(type, "cron"))
        return pk_cronres_pull(pk_plan_str(version, PK_CRONRES_VERSION_KEY, ""), err_out);
    if (!strcmp(type, "fs")) {
        const char *path = s_param(native, "path");
        if (!path)
            return s_fail(err_out, "fs resource: param \"path\" is required%s", "");
        return pk_fsres_pull(path, pk_plan_str(version, PK_FSRES_VERSION_KEY, NULL), workdir, err_out);
    }
    if (!strcmp(type, "dir")) {
        const char *path = s_param(native, "path");
        const char *name = s_param(native, "name");
        char dest[4096];
        snprintf(dest, sizeof dest, "%s/%s", workdir, name ? name : "");
        mkdir(dest, 0755);
        return pk_fsres_pull(path ? path : ".", NULL, dest, err_out);
    }
    if (!strcmp(type, "git")) {
        pk_git_params_t p = s_git_params(native);
        const char *ref = pk_plan_str(version, "ref", NULL);
        if (!p.url || !ref)
            return s_fail(err_out, "git resource: %s", !p.url ? "param \"url\" is required"
                                                             : "the version has no \"ref\"");
        // A pull request's head is on the forge's own ref, checked out as
        // branch pr-N (PikoCI's name for it).
        char *pr_ref = NULL, branch[48];
        const char *pr = pk_plan_str(version, "pr", NULL);
        if (s_flag(pk_plan_object(native, "params"), "pr") && pr) {
            if (runner_forge_pr_ref(pk_plan_object(native, "params"), pr, &pr_ref, err_out) != 0)
                return -1;
            snprintf(branch, sizeof branch, "pr-%s", pr);
            p.fetch_ref = pr_ref;
            p.checkout_branch = branch;
        }
        const char *name = s_param(native, "name");
        char dest[4096];
        snprintf(dest, sizeof dest, "%s/%s", workdir, name && *name ? name : "repo");
        char *cache = s_git_cache(p.url);
        int rc = pk_git_pull(&p, ref, dest, cache, err_out);
        free(cache);
        free(pr_ref);
        return rc;
    }
    return s_fail(err_out, "native resource type \"%s\" is not available in this runner", type);
}
