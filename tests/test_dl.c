// The dlopen'd libraries' tables (lib/pk_dl.h) against the real libraries:
// each loads with every function of its list, and the loader's own errors
// name the SONAME and the reason.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <string.h>
#include "pk_dl_crypto.h"
#include "pk_dl_curl.h"
#include "pk_dl_git.h"
#include "pk_dl_mhd.h"

static void
test_every_listed_function_loads(void **state)
{
    (void) state;
    assert_null(pk_dl_git_load());
    assert_null(pk_dl_curl_load());
    assert_null(pk_dl_mhd_load());
    assert_null(pk_dl_crypto_load());
    // the pointers are the library's own functions
    assert_ptr_equal(pk_dl_git.git_libgit2_init,
                     dlsym(dlopen(PK_TEST_SONAME_GIT2, RTLD_NOW | RTLD_NOLOAD), "git_libgit2_init"));
    assert_true(pk_dl_git.git_libgit2_init() > 0);
    pk_dl_git.git_libgit2_shutdown();
    assert_string_equal(pk_dl_curl.curl_easy_strerror(CURLE_OK), "No error");
    // a second call answers the same, without loading again
    assert_null(pk_dl_git_load());
}

static void
test_sonames_are_named(void **state)
{
    (void) state;
    const char *s = pk_dl_sonames();
    assert_non_null(strstr(s, "libgit2.so."));
    assert_non_null(strstr(s, "libcurl.so."));
    assert_non_null(strstr(s, "libmicrohttpd.so."));
    assert_non_null(strstr(s, "libcrypto.so."));
}

static void
test_errors_name_the_library(void **state)
{
    (void) state;
    char err[256] = "";
    assert_null(pk_dl_open("libpikoci-none.so.0", err, sizeof err));
    assert_true(strncmp(err, "cannot load libpikoci-none.so.0: ", 33) == 0);
    assert_non_null(strstr(err, "No such file"));

    err[0] = 0;
    void *libc = pk_dl_open("libc.so.6", err, sizeof err);
    assert_non_null(libc);
    void *slot = NULL;
    pk_dl_sym(libc, "libc.so.6", "pk_no_such_function", &slot, err, sizeof err);
    assert_null(slot);
    assert_string_equal(err, "cannot load libc.so.6: it has no pk_no_such_function");
    // after a first error the others are skipped: the message stays the first
    pk_dl_sym(libc, "libc.so.6", "malloc", &slot, err, sizeof err);
    assert_null(slot);
    assert_string_equal(err, "cannot load libc.so.6: it has no pk_no_such_function");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_listed_function_loads),
        cmocka_unit_test(test_sonames_are_named),
        cmocka_unit_test(test_errors_name_the_library),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
