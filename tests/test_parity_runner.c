// PikoCI parity pieces under the end-to-end script (parity_runner/run.sh):
// the slug of names (pk_slug, PikoCI 0.1.0's pipeline canonicals), what a
// valid job/resource name or tag is, and the default message and status
// words of the built-in slack/discord notifications (PikoCI's success,
// failure, cancel; no "unknown" for a notify step).
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "pk_builtin.h"
#include "pk_env.h"
#include "pk_slug.h"

static void
test_slug(void **state)
{
    (void) state;
    static const char *const cases[][2] = {
        { "My Pipeline", "my-pipeline" }, { "Build & Test!", "build-test" },
        { "already-a_slug", "already-a_slug" }, { "  --Lead--trail__ ", "lead-trail" },
        { "a.b/c", "a-b-c" }, { "v1.2", "v1-2" }, { "x\x1b[31my", "x-31my" },
        { "!!!", "" }, { "", "" }, { "UPPER", "upper" }, { "a--b", "a-b" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = pk_slug(cases[i][0]);
        assert_non_null(s);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

static void
test_slug_valid(void **state)
{
    (void) state;
    static const char *const good[] = { "a", "build-1", "x_y", "9lives", "test--a", NULL };
    static const char *const bad[] = { "", "A", "a/b", "..", "a.b", "-a", "_a", "a b",
                                       "x\x1b[31m", "caf\xc3\xa9", "a\n", NULL };
    for (size_t i = 0; good[i]; i++)
        assert_true(pk_slug_valid(good[i]));
    for (size_t i = 0; bad[i]; i++)
        assert_false(pk_slug_valid(bad[i]));
    char longest[PK_SLUG_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[PK_SLUG_MAX] = 0;
    assert_true(pk_slug_valid(longest));
    longest[PK_SLUG_MAX] = 'a';
    longest[PK_SLUG_MAX + 1] = 0;
    assert_false(pk_slug_valid(longest));
    char *p = pk_slug_printable("x\x1b[31my\x07 \xc2\x9b caf\xc3\xa9");
    assert_string_equal(p, "x\\x1b[31my\\x07 \\xc2\\x9b caf\xc3\xa9");
    free(p);
}

static char *
s_message(const char *status, const char *base_url)
{
    pk_env_t *env = pk_env_new();
    pk_env_set(env, "BUILD_PIPELINE_NAME", "p");
    pk_env_set(env, "BUILD_JOB_NAME", "j");
    pk_env_set(env, "BUILD_NUMBER", "7");
    pk_env_set(env, "BUILD_STATUS", "failed");     // a hook's: not the notification's word
    if (status)
        pk_env_set(env, "notify_build_status", status);
    if (base_url)
        pk_env_set(env, "param_base_url", base_url);
    char *msg = pk_builtin_message(env);
    pk_env_destroy(&env);
    return msg;
}

static void
test_notify_message(void **state)
{
    (void) state;
    static const char *const cases[][2] = {
        { "success", "\xe2\x9c\x85 [p/j] Build #7 - success" },
        { "failure", "\xe2\x9d\x8c [p/j] Build #7 - failure" },
        { "cancel", "\xe2\x9a\xa0\xef\xb8\x8f [p/j] Build #7 - cancel" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *m = s_message(cases[i][0], NULL);
        assert_string_equal(m, cases[i][1]);
        free(m);
    }
    // a notify step has no status: PikoCI's line without one, never "unknown"
    char *m = s_message(NULL, NULL);
    assert_string_equal(m, "[p/j] Build #7");
    free(m);
    m = s_message("success", "https://ci.example.org/");
    assert_string_equal(m, "\xe2\x9c\x85 [p/j] Build #7 - success - "
                           "https://ci.example.org/pipelines/p/jobs/j/builds/7");
    free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slug),
        cmocka_unit_test(test_slug_valid),
        cmocka_unit_test(test_notify_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
