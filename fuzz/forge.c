// Fuzz target for the git type's pull-request mode, the two places that
// read what others write: a resource's params (url, provider, repository,
// api_url: which forge, API and repository they name) and a forge's answer
// to the listing. The input is lines: byte 0 picks the forge of the answer,
// then url, provider, repository and api_url each up to a newline, then the
// answer. Promises checked: every call ends in a result or an error message,
// never both or neither; a target has an API and a repository; every
// version has a 40-hex "ref" and a decimal "pr", and the ref an answer
// names for pr is refs/pull/N/head or refs/merge-requests/N/head.
// PK_FUZZ_LIBS: pk_actors pk_pipeline pk_msgs pk_lib
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner_internal.h"

// The next line of [*p, end) as a string (caller frees); NULL when empty.
static char *
s_line(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t) (end - *p));
    const uint8_t *stop = nl ? nl : end;
    char *out = stop > *p ? strndup((const char *) *p, (size_t) (stop - *p)) : NULL;
    *p = nl ? nl + 1 : end;
    return out;
}

static void
s_check_versions(const char *json)
{
    pk_value_t *v = pk_value_from_json(json, strlen(json), NULL);
    if (!v || pk_value_kind(v) != PK_V_LIST)
        abort();
    for (size_t i = 0; i < pk_value_len(v); i++) {
        const pk_value_t *e = pk_value_list_at(v, i);
        const pk_value_t *ref = pk_value_object_get(e, "ref");
        const pk_value_t *pr = pk_value_object_get(e, "pr");
        if (!ref || !pr || pk_value_kind(ref) != PK_V_STRING || pk_value_kind(pr) != PK_V_STRING
            || pk_value_len(ref) != 40 || !pk_value_len(pr))
            abort();
        for (const char *c = pk_value_string(ref); *c; c++)
            if (!isxdigit((unsigned char) *c))
                abort();
        for (const char *c = pk_value_string(pr); *c; c++)
            if (!isdigit((unsigned char) *c))
                abort();
    }
    pk_value_destroy(&v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1, *end = data + size;
    const char *keys[] = { "url", "provider", "repository", "api_url" };
    pk_value_t *params = pk_value_new_object();
    for (int i = 0; i < 4; i++) {
        char *line = s_line(&p, end);
        if (line)
            pk_value_object_set(params, keys[i], pk_value_new_string(line));
        free(line);
    }
    runner_forge_t t;
    char *err = NULL;
    if (runner_forge_target(params, &t, &err) == 0) {
        if (err || !t.api || !t.repo || !t.name)
            abort();
        runner_forge_clear(&t);
    }
    else if (!err || t.api)
        abort();
    free(err), err = NULL;
    // the answer, as each forge's
    runner_forge_t forge = { .forge = data[0] % 3 };
    char *versions = NULL;
    int rc = runner_forge_versions(&forge, (const char *) p, (size_t) (end - p), &versions, &err);
    if ((rc == 0) != (versions != NULL) || (rc != 0) != (err != NULL))
        abort();
    if (versions)
        s_check_versions(versions);
    free(versions);
    free(err), err = NULL;
    // a version's pr becomes part of a refspec
    char *number = strndup((const char *) p, (size_t) (end - p) < 24 ? (size_t) (end - p) : 24);
    char *ref = NULL;
    if (runner_forge_pr_ref(params, number, &ref, &err) == 0) {
        if (err || !ref || (strncmp(ref, "refs/pull/", 10) && strncmp(ref, "refs/merge-requests/", 20))
            || strstr(ref, "..") || strchr(ref, ':') || strchr(ref, ' '))
            abort();
    }
    else if (!err || ref)
        abort();
    free(ref);
    free(err);
    free(number);
    pk_value_destroy(&params);
    return 0;
}
