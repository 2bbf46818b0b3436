// What a user sees when a dlopen'd library (lib/pk_dl.h) is not installed:
// this test's loaders are built with SONAMEs that do not exist, so each
// user of a library -- the git resource, fetches, JWTs, --http-cert --
// answers its own error naming the library, and nothing crashes.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pk_fetch.h"
#include "pk_git.h"
#include "pk_http.h"
#include "pk_jwt.h"

static void
s_starts_with(const char *s, const char *prefix)
{
    assert_non_null(s);
    if (strncmp(s, prefix, strlen(prefix)) != 0)
        fail_msg("'%s' does not start with '%s'", s, prefix);
}

static void
test_git_check_and_pull(void **state)
{
    (void) state;
    pk_git_params_t p = { .url = "file:///nonexistent/repo" };
    char *versions = NULL, *err = NULL;
    assert_int_equal(pk_git_check(&p, NULL, NULL, &versions, &err), -1);
    assert_null(versions);
    s_starts_with(err, "git resource: cannot load libpikoci-missing-git.so.0: ");
    free(err);
    err = NULL;
    // the same answer again (pthread_once: loaded, or not, once)
    assert_int_equal(pk_git_pull(&p, "0123456789012345678901234567890123456789", "/nonexistent",
                                 NULL, &err), -1);
    s_starts_with(err, "git resource: cannot load libpikoci-missing-git.so.0: ");
    free(err);
    pk_git_shutdown();          // nothing started: nothing to stop
}

static void
test_fetch(void **state)
{
    (void) state;
    char *body = NULL, *err = NULL;
    size_t len = 0;
    assert_int_equal(pk_fetch("http://127.0.0.1:9/types.hcl", 1024, 1000, &body, &len, &err), -1);
    assert_null(body);
    s_starts_with(err, "fetching http://127.0.0.1:9/types.hcl: cannot load "
                       "libpikoci-missing-curl.so.0: ");
    free(err);
}

static void
test_jwt(void **state)
{
    (void) state;
    char *err = NULL;
    assert_null(pk_jwt_rs256("{}", "-----BEGIN PRIVATE KEY-----\n", &err));
    s_starts_with(err, "cannot sign the token: cannot load libpikoci-missing-crypto.so.0: ");
    free(err);
}

static void
test_http_cert(void **state)
{
    (void) state;
    char *err = NULL;
    assert_int_equal(pk_http_exposure_check("127.0.0.1:0", "cert.pem", "key.pem", false, &err),
                     -1);
    s_starts_with(err, "--http-cert: cannot load libpikoci-missing-mhd.so.0: ");
    free(err);
    // plain http does not need the library to check its address
    err = NULL;
    assert_int_equal(pk_http_exposure_check("127.0.0.1:0", NULL, NULL, false, &err), 0);
    assert_null(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_git_check_and_pull),
        cmocka_unit_test(test_fetch),
        cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_http_cert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
