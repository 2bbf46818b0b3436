# The dlopen'd libraries (lib/pk_dl.h): test_dl loads the real ones (every
# listed function is exported); test_dl_missing builds the loaders and their
# users with SONAMEs that do not exist, to see the errors a user would get.
pk_add_test(test_dl SOURCES test_dl.c LIBS pk_lib)
target_compile_definitions(test_dl PRIVATE PK_TEST_SONAME_GIT2="${PK_SONAME_GIT2}")
# its own copies of the users come first on the link line, so pk_lib's
# members with the real SONAMEs are not pulled in
pk_add_test(test_dl_missing SOURCES test_dl_missing.c
    ${CMAKE_SOURCE_DIR}/lib/pk_dl_git.c ${CMAKE_SOURCE_DIR}/lib/pk_git.c
    ${CMAKE_SOURCE_DIR}/lib/pk_dl_curl.c ${CMAKE_SOURCE_DIR}/lib/pk_curl.c
    ${CMAKE_SOURCE_DIR}/lib/pk_dl_crypto.c ${CMAKE_SOURCE_DIR}/lib/pk_jwt.c
    ${CMAKE_SOURCE_DIR}/lib/pk_dl_mhd.c ${CMAKE_SOURCE_DIR}/actors/http.c
    LIBS pikoci_core)
target_compile_definitions(test_dl_missing PRIVATE
    PK_SONAME_GIT2="libpikoci-missing-git.so.0" PK_SONAME_CURL="libpikoci-missing-curl.so.0"
    PK_SONAME_CRYPTO="libpikoci-missing-crypto.so.0" PK_SONAME_MHD="libpikoci-missing-mhd.so.0")
# the real server: an idle one maps none of them (--http: libmicrohttpd only)
pk_add_script_test(server_lazy_libs ${CMAKE_CURRENT_SOURCE_DIR}/server/lazy_libs.sh)
