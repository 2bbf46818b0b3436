// runner_forge: the git resource's pull-request mode (`pr = true`). Which
// pull requests are open is something only the forge knows -- a repository
// keeps refs/pull/N/head long after N is closed -- so the check asks the
// forge's REST API, through libcurl (pk_http_call), not a curl binary:
//   github         GET {api}/repos/{repo}/pulls?state=open&sort=updated...
//   gitlab         GET {api}/projects/{repo, %-encoded}/merge_requests?...
//   gitea/forgejo  GET {api}/repos/{repo}/pulls?state=open&sort=recentupdate
// The forge comes from the `provider` param or the URL's host; the API base
// from `api_url` or the host (api.github.com, HOST/api/v3 for GitHub
// Enterprise, HOST/api/v4, HOST/api/v1); the repository path from
// `repository` or the URL's path. Versions are {"ref": head sha, "pr": "N"},
// as PikoCI's git type prints them: a first check gives the most recently
// updated one, later checks every open one (one page of 100), least recently
// updated first; versions already known are dropped by the checker, so a
// push to a pull request (a new head sha) is what makes a new version.
// The pull fetches the forge's ref for N (refs/pull/N/head, GitLab's
// refs/merge-requests/N/head) and checks the version's commit out on branch
// pr-N. The token goes in a header, never in a URL or a message.
#include "runner_internal.h"
#include "pk_http_call.h"
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { S_GITHUB, S_GITLAB, S_GITEA };

static const char *const s_forge_names[] = { "github", "gitlab", "gitea" };

static int
s_fail(char **err_out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
s_fail(char **err_out, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    if (vasprintf(err_out, fmt, args) < 0)
        *err_out = NULL;
    va_end(args);
    return -1;
}

static const char *
s_param(const pk_value_t *params, const char *key)
{
    const char *v = pk_plan_str(params, key, NULL);
    return v && *v ? v : NULL;
}

// Host and path of a git URL: scheme://[user@]host[:port]/path, the
// scp-like user@host:path, or NULL host for file:// and plain paths.
static void
s_split_url(const char *url, char **host, char **path)
{
    *host = *path = NULL;
    const char *scheme = strstr(url, "://");
    const char *rest;
    if (scheme) {
        if (!strncmp(url, "file://", 7))
            return;
        rest = scheme + 3;
        size_t auth = strcspn(rest, "/");
        const char *at = memchr(rest, '@', auth);
        if (at) {
            auth -= (size_t) (at + 1 - rest);
            rest = at + 1;
        }
        *host = strndup(rest, strcspn(rest, ":/"));
        rest += auth;
    }
    else {
        const char *colon = strchr(url, ':'), *slash = strchr(url, '/');
        if (!colon || (slash && slash < colon))
            return;                     // a local path
        const char *at = memchr(url, '@', (size_t) (colon - url));
        const char *h = at ? at + 1 : url;
        *host = strndup(h, (size_t) (colon - h));
        rest = colon + 1;
    }
    while (*rest == '/')
        rest++;
    size_t len = strcspn(rest, "?#");
    while (len && rest[len - 1] == '/')
        len--;
    if (len > 4 && !strncmp(rest + len - 4, ".git", 4))
        len -= 4;
    *path = len ? strndup(rest, len) : NULL;
}

int
runner_forge_target(const pk_value_t *params, runner_forge_t *t, char **err_out)
{
    *t = (runner_forge_t) { 0 };
    const char *url = s_param(params, "url");
    const char *provider = s_param(params, "provider");
    const char *api = s_param(params, "api_url");
    const char *repo = s_param(params, "repository");
    if (!url)
        return s_fail(err_out, "git resource: param \"url\" is required");
    char *host = NULL, *path = NULL;
    s_split_url(url, &host, &path);
    int rc = 0;
    if (provider) {
        if (!strcmp(provider, "github"))
            t->forge = S_GITHUB;
        else if (!strcmp(provider, "gitlab"))
            t->forge = S_GITLAB;
        else if (!strcmp(provider, "gitea") || !strcmp(provider, "forgejo"))
            t->forge = S_GITEA;
        else
            rc = s_fail(err_out, "git resource: provider \"%s\" is not one of github, gitlab, "
                        "gitea, forgejo", provider);
    }
    else if (host && !strcmp(host, "github.com"))
        t->forge = S_GITHUB;
    else if (host && (!strcmp(host, "gitlab.com") || !strncmp(host, "gitlab.", 7)))
        t->forge = S_GITLAB;
    else if (host && (!strcmp(host, "codeberg.org") || !strncmp(host, "gitea.", 6)))
        t->forge = S_GITEA;
    else
        rc = s_fail(err_out, "git resource: pr = true lists pull requests through the forge's "
                    "API, and the URL does not say which forge %s is: set provider = \"github\", "
                    "\"gitlab\", \"gitea\" or \"forgejo\"", host ? host : "this");
    if (rc == 0 && !repo && !(repo = path))
        rc = s_fail(err_out, "git resource: pr = true needs the repository's path on the forge "
                    "and this URL has none: set repository = \"owner/name\"");
    // the path goes into the API's URL as it is: only what forges allow in
    // names, so it cannot add a query or climb out of /repos/
    if (rc == 0 && (strspn(repo, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789._-/") != strlen(repo) || strstr(repo, "..")))
        rc = s_fail(err_out, "git resource: \"%s\" is not a repository path on a forge "
                    "(owner/name: letters, digits, '.', '_', '-', '/')", repo);
    if (rc == 0 && !api && !host)
        rc = s_fail(err_out, "git resource: pr = true needs the forge's API address and this URL "
                    "has no host: set api_url");
    if (rc == 0) {
        t->name = s_forge_names[t->forge];
        t->repo = strdup(repo);
        if (api)
            t->api = strndup(api, strlen(api) - (api[strlen(api) - 1] == '/'));
        else if (t->forge == S_GITHUB && !strcmp(host, "github.com"))
            t->api = strdup("https://api.github.com");
        else if (asprintf(&t->api, "https://%s/api/%s", host,
                          t->forge == S_GITHUB ? "v3" : t->forge == S_GITLAB ? "v4" : "v1") < 0)
            t->api = NULL;
        if (!t->repo || !t->api)
            rc = s_fail(err_out, "git resource: out of memory");
    }
    free(host);
    free(path);
    return rc;
}

void
runner_forge_clear(runner_forge_t *t)
{
    free(t->api);
    free(t->repo);
    *t = (runner_forge_t) { 0 };
}

// GitLab names a project by its path with every "/" as %2F.
static char *
s_escape_path(const char *s)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    if (!f)
        return NULL;
    for (; *s; s++)
        if (isalnum((unsigned char) *s) || strchr("-._~", *s))
            fputc(*s, f);
        else
            fprintf(f, "%%%02X", (unsigned char) *s);
    fclose(f);
    return out;
}

static char *
s_list_url(const runner_forge_t *t, int per_page)
{
    char *url = NULL;
    int n = -1;
    if (t->forge == S_GITLAB) {
        char *project = s_escape_path(t->repo);
        if (project)
            n = asprintf(&url, "%s/projects/%s/merge_requests?state=opened&order_by=updated_at"
                         "&sort=desc&per_page=%d", t->api, project, per_page);
        free(project);
    }
    else if (t->forge == S_GITHUB)
        n = asprintf(&url, "%s/repos/%s/pulls?state=open&sort=updated&direction=desc"
                     "&per_page=%d", t->api, t->repo, per_page);
    else
        n = asprintf(&url, "%s/repos/%s/pulls?state=open&sort=recentupdate&limit=%d",
                     t->api, t->repo, per_page);
    return n < 0 ? NULL : url;
}

static bool
s_is_sha(const char *s)
{
    if (!s || strlen(s) != 40)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char) *s))
            return false;
    return true;
}

// The forge's own words on a failed call ("message" on GitHub and Gitea,
// "message" or "error" on GitLab), else the start of the body.
static char *
s_api_reason(const char *body)
{
    pk_value_t *v = body ? pk_value_from_json(body, strlen(body), NULL) : NULL;
    const char *msg = pk_plan_str(v, "message", NULL);
    if (!msg)
        msg = pk_plan_str(v, "error", NULL);
    char *out = NULL;
    if (asprintf(&out, "%.200s", msg ? msg : body ? body : "") < 0)
        out = NULL;
    pk_value_destroy(&v);
    return out;
}

// The forge's pull requests (most recently updated first) as versions,
// least recently updated first.
static int
s_versions(const runner_forge_t *t, const pk_value_t *list, char **out, char **err_out)
{
    if (pk_value_kind(list) != PK_V_LIST)
        return s_fail(err_out, "git resource: %s did not answer with a list of pull requests",
                      t->api ? t->api : "the forge");
    pk_value_t *versions = pk_value_new_list();
    for (size_t i = pk_value_len(list); i-- > 0;) {
        const pk_value_t *pr = pk_value_list_at(list, i);
        const pk_value_t *number = pk_value_object_get(pr, t->forge == S_GITLAB ? "iid" : "number");
        const char *sha = t->forge == S_GITLAB ? pk_plan_str(pr, "sha", NULL)
                        : pk_plan_str(pk_plan_object(pr, "head"), "sha", NULL);
        // An entry without a number (a positive integer) or a head commit
        // cannot be built.
        double n = number && pk_value_kind(number) == PK_V_NUMBER ? pk_value_number(number) : 0;
        if (!(n >= 1 && n <= 1e15 && n == (double) (int64_t) n) || !s_is_sha(sha))
            continue;
        char num[32];
        snprintf(num, sizeof num, "%" PRId64, (int64_t) n);
        pk_value_t *v = pk_value_new_object();
        pk_value_object_set(v, "ref", pk_value_new_string(sha));
        pk_value_object_set(v, "pr", pk_value_new_string(num));
        pk_value_list_append(versions, v);
    }
    *out = pk_value_to_json(versions);
    pk_value_destroy(&versions);
    return *out ? 0 : s_fail(err_out, "git resource: out of memory");
}

int
runner_forge_versions(const runner_forge_t *t, const char *body, size_t len, char **out,
                      char **err_out)
{
    *out = NULL;
    pk_value_t *list = pk_value_from_json(body, len, NULL);
    int rc = s_versions(t, list, out, err_out);
    pk_value_destroy(&list);
    return rc;
}

int
runner_forge_check(const pk_value_t *params, const char *last_pr, char **versions_json_out,
                   char **err_out)
{
    *versions_json_out = NULL;
    runner_forge_t t;
    if (runner_forge_target(params, &t, err_out) != 0)
        return -1;
    // First check: only the newest, so adding a resource does not build
    // every open pull request at once.
    char *url = s_list_url(&t, last_pr ? 100 : 1);
    const char *token = s_param(params, "token");
    char *auth = NULL;
    int n = !token ? 0
          : t.forge == S_GITLAB ? asprintf(&auth, "PRIVATE-TOKEN: %s", token)
          : t.forge == S_GITHUB ? asprintf(&auth, "Authorization: Bearer %s", token)
                                : asprintf(&auth, "Authorization: token %s", token);
    if (!url || n < 0) {
        free(url);
        runner_forge_clear(&t);
        return s_fail(err_out, "git resource: out of memory");
    }
    const char *headers[] = {
        "Accept: application/json",
        "User-Agent: pikoci",           // GitHub refuses requests without one
        auth,
        NULL
    };
    pk_http_call_t req = { .method = "GET", .url = url, .headers = headers };
    long status = 0;
    char *body = NULL, *err = NULL;
    int rc = 0;
    if (pk_http_call(&req, &status, &body, &err) != 0)
        rc = s_fail(err_out, "git resource: cannot list the pull requests of %s on %s: %s",
                    t.repo, t.name, err ? err : "no answer");
    else if (status / 100 != 2) {
        char *why = s_api_reason(body);
        rc = s_fail(err_out, "git resource: %s answered HTTP %ld listing the pull requests of "
                    "%s%s%s%s", t.api, status, t.repo, why && *why ? ": " : "", why ? why : "",
                    status == 401 || status == 403 ? (token ? " (check the token)"
                                                            : " (no token is set)") : "");
        free(why);
    }
    else
        rc = runner_forge_versions(&t, body, strlen(body), versions_json_out, err_out);
    free(err);
    free(body);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    free(url);
    runner_forge_clear(&t);
    return rc;
}

int
runner_forge_pr_ref(const pk_value_t *params, const char *number, char **ref_out,
                    char **err_out)
{
    *ref_out = NULL;
    for (const char *c = number; c && *c; c++)
        if (!isdigit((unsigned char) *c))
            number = NULL;
    if (!number || !*number)
        return s_fail(err_out, "git resource: the version's \"pr\" is not a pull request "
                      "number");
    runner_forge_t t;
    if (runner_forge_target(params, &t, err_out) != 0)
        return -1;
    int n = asprintf(ref_out, t.forge == S_GITLAB ? "refs/merge-requests/%s/head"
                                                  : "refs/pull/%s/head", number);
    runner_forge_clear(&t);
    if (n < 0) {
        *ref_out = NULL;
        return s_fail(err_out, "git resource: out of memory");
    }
    return 0;
}
