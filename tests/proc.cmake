# lib/pk_proc: real processes
pk_add_test(test_proc SOURCES test_proc.c LIBS pk_lib)
# build processes die with their runner (kill -9), a new runner sweeps the
# dead one's work root and nothing else
pk_add_script_test(proc_runner_death ${CMAKE_CURRENT_SOURCE_DIR}/proc/death.sh)
