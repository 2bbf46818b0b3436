// builtin_notify: the slack and discord notification types -- one JSON
// POST to an incoming webhook -- and the dispatch of `pikoci builtin NAME`
// (see pk_builtin.h). The message is what the runner interpolated into
// $NOTIFY_MESSAGE; an empty one becomes PikoCI's default line. The webhook
// URL is a credential (it is the whole authentication), so messages here
// name the service, never the URL.
#include "pk_builtin.h"
#include "pk_http_call.h"
#include "pk_value.h"
#include <stdlib.h>
#include <string.h>

const char *const pk_builtin_names[] = { "slack", "discord", "github-check", "github-check-put",
                                          "vault", NULL };

const char *
pk_builtin_env(const pk_env_t *env, const char *name, const char *dflt)
{
    const char *v = pk_env_get(env, name);
    return v && *v ? v : dflt;
}

const char *
pk_builtin_status(const pk_env_t *env)
{
    const char *s = pk_env_get(env, "notify_build_status");
    return s ? s : "";
}

// PikoCI's default line: "<icon> [pipeline/job] Build #N - <status>", or
// without icon and status for a notify step (no $notify_build_status), then
// " - <base_url>/pipelines/P/jobs/J/builds/N" when param base_url is given.
char *
pk_builtin_message(const pk_env_t *env)
{
    const char *msg = pk_env_get(env, "NOTIFY_MESSAGE");
    if (msg && *msg)
        return strdup(msg);
    const char *p = pk_builtin_env(env, "BUILD_PIPELINE_NAME", "");
    const char *j = pk_builtin_env(env, "BUILD_JOB_NAME", "");
    const char *n = pk_builtin_env(env, "BUILD_NUMBER", "");
    const char *status = pk_builtin_status(env);
    const char *icon = !strcmp(status, "success") ? "\u2705 " : !strcmp(status, "failure")
                     ? "\u274C " : !strcmp(status, "cancel") ? "\u26A0\uFE0F " : "";
    char *text = NULL, *link = NULL;
    const char *base = pk_builtin_env(env, "param_base_url", NULL);
    if (base) {
        size_t len = strlen(base);
        while (len && base[len - 1] == '/')
            len--;
        // pikoci's own page of the build (the github-check details link's
        // too); PikoCI's has /teams/<team> in front
        if (asprintf(&link, " - %.*s/pipelines/%s/jobs/%s/builds/%s", (int) len, base, p, j,
                     n) < 0)
            link = NULL;
    }
    int rc = *status ? asprintf(&text, "%s[%s/%s] Build #%s - %s%s", icon, p, j, n, status,
                                link ? link : "")
                     : asprintf(&text, "[%s/%s] Build #%s%s", p, j, n, link ? link : "");
    free(link);
    return rc < 0 ? NULL : text;
}

int
pk_builtin_http(FILE *out, const char *what, const char *method, const char *url,
                const char *const *headers, const char *body, long *status, char **answer)
{
    pk_http_call_t req = { .method = method, .url = url, .headers = headers, .body = body };
    char *err = NULL;
    if (pk_http_call(&req, status, answer, &err) == 0)
        return 0;
    // err names the URL, which may be a secret webhook: say only what failed
    const char *why = err ? strstr(err, ": ") : NULL;
    fprintf(out, "%s: the request failed%s\n", what, why ? why : "");
    free(err);
    return -1;
}

// One webhook POST of {key: message}; 2xx is success.
static int
s_webhook(const pk_env_t *env, FILE *out, const char *service, const char *key)
{
    const char *url = pk_env_get(env, "param_webhook_url");
    if (!url || !*url) {
        fprintf(out, "%s: param \"webhook_url\" is required\n", service);
        return 2;
    }
    char *msg = pk_builtin_message(env);
    pk_value_t *payload = pk_value_new_object();
    pk_value_object_set(payload, key, pk_value_new_string(msg ? msg : ""));
    char *json = pk_value_to_json(payload);
    pk_value_destroy(&payload);
    free(msg);
    static const char *const headers[] = { "Content-Type: application/json", NULL };
    long status = 0;
    char *answer = NULL;
    int rc = pk_builtin_http(out, service, "POST", url, headers, json, &status, &answer);
    free(json);
    if (rc == 0 && (status < 200 || status > 299)) {
        fprintf(out, "%s: the webhook answered HTTP %ld: %.300s\n", service, status, answer);
        rc = -1;
    }
    else
    if (rc == 0)
        fprintf(out, "%s: message sent (HTTP %ld)\n", service, status);
    free(answer);
    return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}

int
pk_builtin_run(const char *name, const pk_env_t *env, FILE *out)
{
    if (!strcmp(name, "slack"))
        return s_webhook(env, out, "slack", "text");
    if (!strcmp(name, "discord"))
        return s_webhook(env, out, "discord", "content");
    if (!strcmp(name, "github-check") || !strcmp(name, "github-check-put"))
        return pk_builtin_github_check(env, out, !strcmp(name, "github-check-put"));
    if (!strcmp(name, "vault"))
        return pk_builtin_vault(env, out);
    fprintf(out, "pikoci builtin: unknown built-in \"%s\"\n", name);
    return 2;
}
