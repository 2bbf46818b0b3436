# lib/pk_proc: real processes
pk_add_test(test_proc SOURCES test_proc.c LIBS pk_lib)
# build processes die with their runner (kill -9), a new runner sweeps the
# dead one's work root and nothing else
pk_add_script_test(proc_runner_death ${CMAKE_CURRENT_SOURCE_DIR}/proc/death.sh)
# --run-as USER: build processes as an unprivileged user who cannot read the
# store, keys or tokens and inherits no credential (root only: else SKIP)
pk_add_script_test(proc_run_as ${CMAKE_CURRENT_SOURCE_DIR}/proc/run_as.sh)
set_tests_properties(proc_run_as PROPERTIES SKIP_RETURN_CODE 77)
# a build whose log cannot be stored (the store's disk is full) ends errored,
# never succeeded (root and mount namespaces: else SKIP)
pk_add_script_test(proc_log_full ${CMAKE_CURRENT_SOURCE_DIR}/proc/log_full.sh)
set_tests_properties(proc_log_full PROPERTIES SKIP_RETURN_CODE 77)
