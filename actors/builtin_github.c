// builtin_github: the github-check notification type, and the resource
// type of the same name (PikoCI's older form: `put` with $put_status,
// $put_conclusion, $put_name, $put_head_sha, $put_details_url). A GitHub App
// authenticates in three steps: an RS256 JWT signed with its private key
// (pk_jwt) buys an installation token (POST /app/installations/ID/
// access_tokens), which creates a check run (POST /repos/R/check-runs) or
// completes it (PATCH .../check-runs/ID). The run's id is kept in
// $WORKDIR/.github-check-<check name>.id between the notify that starts it
// (status = "in_progress") and the one that finishes it (conclusion = ...),
// so one build can open a check early and close it from a hook; a
// conclusion with no open run creates it completed. An automatic
// notification (no status, no conclusion) concludes from the build's
// status. $param_api_url points at another API (GitHub Enterprise, tests).
#include "pk_builtin.h"
#include "pk_jwt.h"
#include "pk_value.h"
#include <dirent.h>
#include "pk_git2.h"          // <git2.h>, dlopen'd (pk_dl.h)
#include <stdlib.h>
#include <string.h>
#include <time.h>

// The private key: PEM text, or a path to a PEM file.
static char *
s_key(const char *param)
{
    if (strstr(param, "-----BEGIN"))
        return strdup(param);
    FILE *f = fopen(param, "rb");
    if (!f)
        return NULL;
    char *text = calloc(1, 65537);
    size_t n = text ? fread(text, 1, 65536, f) : 0;
    fclose(f);
    if (text)
        text[n] = 0;
    return text;
}

// HEAD of the first git repository in $WORKDIR (or $WORKDIR itself).
static char *
s_head_sha(const char *workdir)
{
    if (!workdir || pk_dl_git_load())    // no libgit2: no sha, as with no repository
        return NULL;
    git_libgit2_init();
    char *sha = NULL;
    DIR *d = opendir(workdir);
    struct dirent *e;
    for (int self = 1; !sha && (self || (d && (e = readdir(d)))); self = 0) {
        char path[4096];
        if (self)
            snprintf(path, sizeof path, "%s", workdir);
        else
        if (e->d_name[0] == '.')
            continue;
        else
            snprintf(path, sizeof path, "%s/%s", workdir, e->d_name);
        git_repository *repo = NULL;
        git_oid oid;
        if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0
        &&  git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
            sha = malloc(GIT_OID_HEXSZ + 1);
            git_oid_tostr(sha, GIT_OID_HEXSZ + 1, &oid);
        }
        git_repository_free(repo);
    }
    if (d)
        closedir(d);
    git_libgit2_shutdown();
    return sha;
}

static const char *
s_conclusion_of(const char *build_status)
{
    return !strcmp(build_status, "succeeded") || !strcmp(build_status, "success") ? "success"
         : !strcmp(build_status, "cancelled") || !strcmp(build_status, "cancel") ? "cancelled"
         : "failure";
}

// The installation token, or NULL with a line on out.
static char *
s_token(const pk_env_t *env, FILE *out, const char *api)
{
    const char *app = pk_builtin_env(env, "param_app_id", NULL);
    const char *inst = pk_builtin_env(env, "param_installation_id", NULL);
    const char *keyp = pk_builtin_env(env, "param_private_key", NULL);
    if (!app || !inst || !keyp) {
        fprintf(out, "github-check: params app_id, installation_id and private_key are required\n");
        return NULL;
    }
    char *pem = s_key(keyp), *err = NULL;
    char *jwt = pem ? pk_jwt_github_app(app, (long long) time(NULL), pem, &err) : NULL;
    if (pem)
        explicit_bzero(pem, strlen(pem));
    free(pem);
    if (!jwt) {
        if (err)
            fprintf(out, "github-check: %s\n", err);
        else
            fprintf(out, "github-check: cannot read the private key file %s\n", keyp);
        free(err);
        return NULL;
    }
    char *url = NULL, *auth = NULL, *answer = NULL;
    long status = 0;
    char *token = NULL;
    if (asprintf(&url, "%s/app/installations/%s/access_tokens", api, inst) >= 0
    &&  asprintf(&auth, "Authorization: Bearer %s", jwt) >= 0) {
        const char *headers[] = { "Accept: application/vnd.github+json",
                                  "X-GitHub-Api-Version: 2022-11-28", auth, NULL };
        if (pk_builtin_http(out, "github-check: installation token", "POST", url, headers, NULL,
                            &status, &answer) == 0) {
            pk_value_t *v = pk_value_from_json(answer, strlen(answer), NULL);
            const pk_value_t *t = v ? pk_value_object_get(v, "token") : NULL;
            if (status / 100 == 2 && t && pk_value_kind(t) == PK_V_STRING)
                token = strdup(pk_value_string(t));
            else
                fprintf(out, "github-check: no installation token (HTTP %ld): %.300s\n", status,
                        answer);
            pk_value_destroy(&v);
        }
    }
    explicit_bzero(jwt, strlen(jwt));
    free(jwt);
    free(url);
    free(auth);
    free(answer);
    return token;
}

// Where the open check run's id is kept: one file per check name.
static void
s_id_path(const pk_env_t *env, const char *name, char *buf, size_t size)
{
    const char *wd = pk_builtin_env(env, "WORKDIR", NULL);
    snprintf(buf, size, "%s/.github-check-", wd ? wd : ".");
    size_t len = strlen(buf);
    for (const char *c = name; *c && len + 4 < size; c++)
        buf[len++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                  || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' ? *c : '_';
    snprintf(buf + len, size - len, ".id");
}

// A step attribute: $notify_<key>, or $put_<key> for the resource type's put.
static const char *
s_attr(const pk_env_t *env, bool put, const char *key, const char *dflt)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%s", put ? "put" : "notify", key);
    return pk_builtin_env(env, name, dflt);
}

int
pk_builtin_github_check(const pk_env_t *env, FILE *out, bool put)
{
    const char *repo = pk_builtin_env(env, "param_repository", NULL);
    if (!repo || !strchr(repo, '/')) {
        fprintf(out, "github-check: param \"repository\" (owner/name) is required\n");
        return 2;
    }
    const char *api = pk_builtin_env(env, "param_api_url", NULL);
    if (!api)
        api = "https://api.github.com";
    char defname[512];
    snprintf(defname, sizeof defname, "%s/%s", pk_builtin_env(env, "BUILD_PIPELINE_NAME", ""),
             pk_builtin_env(env, "BUILD_JOB_NAME", ""));
    const char *name = s_attr(env, put, "name", pk_builtin_env(env, "param_name", defname));
    const char *status = s_attr(env, put, "status", NULL);
    const char *conclusion = s_attr(env, put, "conclusion", NULL);
    if (put && !status && !conclusion) {
        // PikoCI's resource type refuses too: a put has no build status to conclude from
        fprintf(out, "github-check: put needs status = \"in_progress\" or a conclusion\n");
        return 2;
    }
    if (!status && !conclusion) {
        // a notify step in a job hook has no $notify_build_status: the hook's $BUILD_STATUS
        const char *st = pk_builtin_status(env);
        conclusion = s_conclusion_of(*st ? st : pk_builtin_env(env, "BUILD_STATUS", ""));
    }
    char idpath[4400], id[64] = "";
    s_id_path(env, name, idpath, sizeof idpath);
    FILE *f = fopen(idpath, "r");
    if (f) {
        if (!fgets(id, sizeof id, f))
            *id = 0;
        id[strspn(id, "0123456789")] = 0;
        fclose(f);
    }
    const char *given = s_attr(env, put, "head_sha", pk_builtin_env(env, "param_head_sha", NULL));
    char *sha = given ? strdup(given) : s_head_sha(pk_builtin_env(env, "WORKDIR", NULL));
    if (!*id && !sha) {
        fprintf(out, "github-check: no head_sha given and no git repository in $WORKDIR\n");
        return 1;
    }
    char *token = s_token(env, out, api);
    if (!token) {
        free(sha);
        return 1;
    }
    pk_value_t *body = pk_value_new_object();
    if (!*id) {
        pk_value_object_set(body, "name", pk_value_new_string(name));
        pk_value_object_set(body, "head_sha", pk_value_new_string(sha));
    }
    const char *base = pk_builtin_env(env, "param_base_url", NULL);
    const char *details_url = put ? s_attr(env, put, "details_url", NULL) : NULL;
    if (details_url)
        pk_value_object_set(body, "details_url", pk_value_new_string(details_url));
    else
    if (base) {
        char details[2048];
        snprintf(details, sizeof details, "%s/pipelines/%s/jobs/%s/builds/%s", base,
                 pk_builtin_env(env, "BUILD_PIPELINE_NAME", ""),
                 pk_builtin_env(env, "BUILD_JOB_NAME", ""), pk_builtin_env(env, "BUILD_NUMBER", ""));
        pk_value_object_set(body, "details_url", pk_value_new_string(details));
    }
    pk_value_object_set(body, "status", pk_value_new_string(conclusion ? "completed" : status));
    if (conclusion)
        pk_value_object_set(body, "conclusion", pk_value_new_string(conclusion));
    char *msg = pk_builtin_message(env);
    pk_value_t *output = pk_value_new_object();
    pk_value_object_set(output, "title", pk_value_new_string(name));
    pk_value_object_set(output, "summary", pk_value_new_string(msg ? msg : ""));
    pk_value_object_set(body, "output", output);
    free(msg);
    char *json = pk_value_to_json(body);
    pk_value_destroy(&body);
    char *url = NULL, *auth = NULL, *answer = NULL;
    long code = 0;
    int rc = 1;
    if (asprintf(&url, "%s/repos/%s/check-runs%s%s", api, repo, *id ? "/" : "", id) >= 0
    &&  asprintf(&auth, "Authorization: Bearer %s", token) >= 0) {
        const char *headers[] = { "Accept: application/vnd.github+json",
                                  "X-GitHub-Api-Version: 2022-11-28",
                                  "Content-Type: application/json", auth, NULL };
        if (pk_builtin_http(out, "github-check: check run", *id ? "PATCH" : "POST", url, headers,
                            json, &code, &answer) == 0) {
            pk_value_t *v = pk_value_from_json(answer, strlen(answer), NULL);
            const pk_value_t *rid = v ? pk_value_object_get(v, "id") : NULL;
            if (code / 100 != 2 || !rid || pk_value_kind(rid) != PK_V_NUMBER)
                fprintf(out, "github-check: the API answered HTTP %ld: %.300s\n", code, answer);
            else {
                rc = 0;
                fprintf(out, "github-check: check run %.0f \"%s\" %s\n", pk_value_number(rid),
                        name, conclusion ? conclusion : status);
                if (conclusion)
                    remove(idpath);
                else
                if ((f = fopen(idpath, "w"))) {
                    fprintf(f, "%.0f\n", pk_value_number(rid));
                    fclose(f);
                }
            }
            pk_value_destroy(&v);
        }
    }
    explicit_bzero(token, strlen(token));
    free(token);
    free(auth);
    free(url);
    free(answer);
    free(json);
    free(sha);
    return rc;
}
