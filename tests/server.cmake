# pikoci server end to end: the real binary, the CLI over tcp on loopback
pk_add_script_test(server_e2e ${CMAKE_CURRENT_SOURCE_DIR}/server/e2e.sh)
# SIGKILL during a stream of builds, restart on the same lmdb directory
pk_add_script_test(server_crash ${CMAKE_CURRENT_SOURCE_DIR}/server/crash.sh)
# scheduling features through the CLI (approve, inputs, pause, pin, concurrency, serial groups, interruptible)
pk_add_script_test(server_features ${CMAKE_CURRENT_SOURCE_DIR}/server/features.sh)
# lmdb restart: pipelines, versions, builds, logs, pins, pause flags come back
pk_add_script_test(server_restart ${CMAKE_CURRENT_SOURCE_DIR}/server/restart.sh)
# versions.new dropped while the scheduler's role is unknown to the broker
# (server_crash's flake): the scheduler reconciles from the store
pk_add_script_test(server_lostnews ${CMAKE_CURRENT_SOURCE_DIR}/server/lostnews.sh)
# the first query after the port accepts is answered on the first try (fresh lmdb, mem)
pk_add_script_test(server_first_query ${CMAKE_CURRENT_SOURCE_DIR}/server/first_query.sh)
