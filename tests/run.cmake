# pikoci run, end to end with the real binary
pk_add_script_test(run_e2e ${CMAKE_CURRENT_SOURCE_DIR}/run_e2e.sh)
