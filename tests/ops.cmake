# Operations (issue #19): version, backup/restore, build reports, logging, packages.
pk_add_script_test(ops_version ${CMAKE_CURRENT_SOURCE_DIR}/ops/version.sh)
pk_add_script_test(ops_backup ${CMAKE_CURRENT_SOURCE_DIR}/ops/backup.sh)
pk_add_script_test(ops_report ${CMAKE_CURRENT_SOURCE_DIR}/ops/report.sh)
pk_add_script_test(ops_logging ${CMAKE_CURRENT_SOURCE_DIR}/ops/logging.sh)
pk_add_script_test(ops_package ${CMAKE_CURRENT_SOURCE_DIR}/ops/package.sh)
set_tests_properties(ops_package PROPERTIES SKIP_RETURN_CODE 77)
# the .deb installed on a clean Debian 12 root (debootstrap, cached under
# the build dir: ~45 s once, then ~20 s) and the units' commands run there;
# label "debian" (ctest -L debian / -LE debian); skipped without root,
# debootstrap or the mirror
pk_add_script_test(ops_debinstall ${CMAKE_CURRENT_SOURCE_DIR}/ops/debinstall.sh)
set_tests_properties(ops_debinstall PROPERTIES SKIP_RETURN_CODE 77 LABELS debian TIMEOUT 600)
