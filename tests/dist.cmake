# Distributed: real `pikoci server`, `pikoci broker` and `pikoci worker`
# processes on loopback, and the pieces of re-adoption (runner resync,
# scheduler grace) on their own.
# SIGKILL of the server while a remote worker runs a build: re-adopted, whole log
pk_add_script_test(dist_adopt ${CMAKE_CURRENT_SOURCE_DIR}/dist/adopt.sh)
# SIGKILL / SIGSTOP+SIGCONT of a worker mid-build: errored with the reason, late reports fenced
pk_add_script_test(dist_loss ${CMAKE_CURRENT_SOURCE_DIR}/dist/loss.sh)
# The runner's side of re-adoption: resync after DISCONNECT, credit window
pk_add_test(test_readopt SOURCES test_readopt.c fake_broker.c LIBS pk_actors)
# The scheduler's side: adoption grace after a restart, worker loss at a step
pk_add_test(test_scheduler_adopt SOURCES test_scheduler_adopt.c test_scheduler_util.c
            LIBS pk_actors pk_broker pk_store pk_lib)
# SIGSTOP of the broker (standalone, then inside the server) past the heartbeat timeout: no worker lost
pk_add_script_test(dist_stall ${CMAKE_CURRENT_SOURCE_DIR}/dist/stall.sh)
# set-up mistakes against a CURVE broker: said in each process's log; every process stops on SIGTERM
pk_add_script_test(dist_setup ${CMAKE_CURRENT_SOURCE_DIR}/dist/setup.sh)
# network partitions in namespaces the test makes (veth pair, ip link set down): shorter and longer than the grace
pk_add_script_test(dist_partition ${CMAKE_CURRENT_SOURCE_DIR}/dist/partition.sh)
set_tests_properties(dist_partition PROPERTIES SKIP_RETURN_CODE 77)
# a key taken out of --curve-allow cuts the sessions already in (worker lost, follower silenced)
pk_add_script_test(dist_revoke ${CMAKE_CURRENT_SOURCE_DIR}/dist/revoke.sh)
# 1,100 idle TCP connections under a soft limit of 1,024: the CLI and /healthz keep working, the log stays small
pk_add_script_test(dist_fds ${CMAKE_CURRENT_SOURCE_DIR}/dist/fds.sh)
set_tests_properties(dist_fds PROPERTIES SKIP_RETURN_CODE 77)
# soak: big logs, stalled/slow/passing followers, idle connections; bounded server memory, whole logs
pk_add_script_test(dist_soak ${CMAKE_CURRENT_SOURCE_DIR}/dist/soak.sh)
