# Operations (#19): the store's format version, retention of build history.
# The real binary on lmdb stores; history_fill (tests/history.cmake) writes
# the older or newer stores.
pk_add_script_test(retain_format ${CMAKE_CURRENT_SOURCE_DIR}/retain/format.sh $<TARGET_FILE:history_fill>)
pk_add_script_test(retain_retention ${CMAKE_CURRENT_SOURCE_DIR}/retain/retention.sh)
pk_add_script_test(retain_validate ${CMAKE_CURRENT_SOURCE_DIR}/retain/validate.sh)
# A full filesystem under the store (a small tmpfs in a mount namespace of
# its own; skipped where unshare -m is not allowed).
pk_add_script_test(retain_diskfull ${CMAKE_CURRENT_SOURCE_DIR}/retain/diskfull.sh)
set_tests_properties(retain_diskfull PROPERTIES SKIP_RETURN_CODE 77)
# the checker's version collector (--retain-versions) on a real server
pk_add_script_test(retain_versions ${CMAKE_CURRENT_SOURCE_DIR}/retain/versions.sh)
