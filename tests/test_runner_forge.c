// runner_forge_target: which forge, API base and repository a git
// resource's params name, for every URL form git accepts (https with or
// without credentials, ssh://, scp-like, file://), with and without the
// provider / api_url / repository params, and the errors that tell a user
// which param to set. The API calls themselves are tested end to end in
// tests/registry/git_pr_e2e.py against a recording forge on loopback.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner_internal.h"

static pk_value_t *
s_params(const char *url, const char *provider, const char *api, const char *repo)
{
    pk_value_t *p = pk_value_new_object();
    const char *keys[] = { "url", "provider", "api_url", "repository" };
    const char *vals[] = { url, provider, api, repo };
    for (int i = 0; i < 4; i++)
        if (vals[i])
            pk_value_object_set(p, keys[i], pk_value_new_string(vals[i]));
    return p;
}

static void
s_expect(const char *url, const char *provider, const char *api, const char *repo,
         const char *want_forge, const char *want_api, const char *want_repo)
{
    pk_value_t *p = s_params(url, provider, api, repo);
    runner_forge_t t;
    char *err = NULL;
    if (runner_forge_target(p, &t, &err) != 0)
        fail_msg("%s: %s", url, err);
    assert_string_equal(t.name, want_forge);
    assert_string_equal(t.api, want_api);
    assert_string_equal(t.repo, want_repo);
    runner_forge_clear(&t);
    pk_value_destroy(&p);
}

static void
s_expect_err(const char *url, const char *provider, const char *api, const char *repo,
             const char *want)
{
    pk_value_t *p = s_params(url, provider, api, repo);
    runner_forge_t t;
    char *err = NULL;
    assert_int_equal(runner_forge_target(p, &t, &err), -1);
    assert_non_null(err);
    if (!strstr(err, want))
        fail_msg("%s: \"%s\" does not say \"%s\"", url, err, want);
    assert_null(t.api);
    free(err);
    pk_value_destroy(&p);
}

static void
test_guessed_from_the_url(void **state)
{
    (void) state;
    s_expect("https://github.com/acme/app.git", NULL, NULL, NULL,
             "github", "https://api.github.com", "acme/app");
    s_expect("https://x-access-token:s3cret@github.com/acme/app", NULL, NULL, NULL,
             "github", "https://api.github.com", "acme/app");
    s_expect("git@github.com:acme/app.git", NULL, NULL, NULL,
             "github", "https://api.github.com", "acme/app");
    s_expect("github.com:app", NULL, NULL, NULL, "github", "https://api.github.com", "app");
    s_expect("ssh://git@gitlab.com:2222/group/sub/app.git", NULL, NULL, NULL,
             "gitlab", "https://gitlab.com/api/v4", "group/sub/app");
    s_expect("https://gitlab.example.org/group/app/", NULL, NULL, NULL,
             "gitlab", "https://gitlab.example.org/api/v4", "group/app");
    s_expect("https://codeberg.org/someone/tool.git", NULL, NULL, NULL,
             "gitea", "https://codeberg.org/api/v1", "someone/tool");
}

static void
test_given_by_params(void **state)
{
    (void) state;
    // GitHub Enterprise: the API lives under /api/v3 on the same host.
    s_expect("https://ghe.corp.example/acme/app.git", "github", NULL, NULL,
             "github", "https://ghe.corp.example/api/v3", "acme/app");
    s_expect("https://git.example.net/acme/app", "forgejo", NULL, NULL,
             "gitea", "https://git.example.net/api/v1", "acme/app");
    // api_url and repository win over the URL (a trailing / is dropped).
    s_expect("https://github.com/acme/app", NULL, "http://127.0.0.1:9/gh/", "other/repo",
             "github", "http://127.0.0.1:9/gh", "other/repo");
    s_expect("file:///srv/git/app.git", "gitlab", "http://127.0.0.1:9", "g/app",
             "gitlab", "http://127.0.0.1:9", "g/app");
}

static void
test_errors_name_the_param(void **state)
{
    (void) state;
    s_expect_err(NULL, NULL, NULL, NULL, "\"url\" is required");
    s_expect_err("https://git.example.net/a/b", NULL, NULL, NULL, "set provider =");
    s_expect_err("https://github.com/a/b", "bitbucket", NULL, NULL,
                 "github, gitlab, gitea, forgejo");
    s_expect_err("file:///srv/git/app.git", "github", "http://127.0.0.1:9", NULL,
                 "set repository");
    s_expect_err("/srv/git/app.git", "github", NULL, "a/b", "set api_url");
    s_expect_err("https://github.com/", NULL, NULL, NULL, "set repository");
    s_expect_err("https://github.com/a/b", NULL, NULL, "a/b?state=all", "not a repository path");
    s_expect_err("https://github.com/a/b", NULL, NULL, "../../user", "not a repository path");
}

static void
test_pr_ref(void **state)
{
    (void) state;
    pk_value_t *gh = s_params("https://github.com/a/b", NULL, NULL, NULL);
    pk_value_t *gl = s_params("https://gitlab.com/a/b", NULL, NULL, NULL);
    char *ref = NULL, *err = NULL;
    assert_int_equal(runner_forge_pr_ref(gh, "12", &ref, &err), 0);
    assert_string_equal(ref, "refs/pull/12/head");
    free(ref);
    assert_int_equal(runner_forge_pr_ref(gl, "12", &ref, &err), 0);
    assert_string_equal(ref, "refs/merge-requests/12/head");
    free(ref);
    // A version's "pr" goes into a refspec: only a number may.
    const char *bad[] = { "", "1:refs/heads/main", "../x", "12 ", NULL };
    for (int i = 0; bad[i]; i++) {
        assert_int_equal(runner_forge_pr_ref(gh, bad[i], &ref, &err), -1);
        assert_null(ref);
        assert_non_null(strstr(err, "not a pull request number"));
        free(err), err = NULL;
    }
    pk_value_destroy(&gh);
    pk_value_destroy(&gl);
}

static void
s_expect_versions(int forge, const char *answer, const char *want)
{
    runner_forge_t t = { .forge = forge };
    char *got = NULL, *err = NULL;
    if (runner_forge_versions(&t, answer, strlen(answer), &got, &err) != 0)
        fail_msg("%s: %s", answer, err);
    assert_string_equal(got, want);
    free(got);
}

// The forges answer most recently updated first; versions go oldest first.
// Entries that cannot be built (no head sha, a number that is no pull
// request's) are left out rather than failing the whole check.
static void
test_versions(void **state)
{
    (void) state;
    const char *a = "0123456789abcdef0123456789abcdef01234567";
    const char *b = "89abcdef0123456789abcdef0123456789abcdef";
    char answer[1024], want[256];
    snprintf(answer, sizeof answer, "[{\"number\":8,\"head\":{\"sha\":\"%s\"}},"
             "{\"number\":7,\"head\":{\"sha\":\"%s\"}},{\"number\":-2,\"head\":{\"sha\":\"%s\"}},"
             "{\"number\":2.5,\"head\":{\"sha\":\"%s\"}},{\"number\":1e300,\"head\":{\"sha\":\"%s\"}},"
             "{\"number\":9,\"head\":{\"sha\":\"abc\"}},{\"number\":10,\"head\":null}]",
             a, b, a, a, a);
    snprintf(want, sizeof want, "[{\"pr\":\"7\",\"ref\":\"%s\"},{\"pr\":\"8\",\"ref\":\"%s\"}]",
             b, a);
    s_expect_versions(0, answer, want);         // github
    s_expect_versions(2, answer, want);         // gitea: the same shape
    snprintf(answer, sizeof answer, "[{\"iid\":12,\"sha\":\"%s\"},{\"iid\":3,\"sha\":null}]", b);
    snprintf(want, sizeof want, "[{\"pr\":\"12\",\"ref\":\"%s\"}]", b);
    s_expect_versions(1, answer, want);         // gitlab: iid and sha
    s_expect_versions(0, "[]", "[]");
    runner_forge_t t = { .forge = 0 };
    char *got = NULL, *err = NULL;
    assert_int_equal(runner_forge_versions(&t, "{\"message\":\"x\"}", 15, &got, &err), -1);
    assert_null(got);
    assert_non_null(strstr(err, "did not answer with a list"));
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guessed_from_the_url),
        cmocka_unit_test(test_given_by_params),
        cmocka_unit_test(test_errors_name_the_param),
        cmocka_unit_test(test_pr_ref),
        cmocka_unit_test(test_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
