# Secrets (resolution on the runner, masking) and for_each/matrix end to end
pk_add_test(test_runner_mask SOURCES test_runner_mask.c runner_harness.c LIBS pk_actors)
pk_add_test(test_runner_secrets SOURCES test_runner_secrets.c runner_harness.c test_pipeline_util.c
            LIBS pk_actors pk_pipeline)
# a raw capture of the event bus, used by the script test below
add_executable(secrets_event_dump ${CMAKE_CURRENT_SOURCE_DIR}/secrets/event_dump.c)
target_link_libraries(secrets_event_dump PRIVATE pikoci_core)
# through a real server on LMDB: echoed secrets are masked; their values are in no store file,
# on no event; a rotated value applies without re-setting the pipeline; a failing get fails
pk_add_script_test(secrets_server ${CMAKE_CURRENT_SOURCE_DIR}/secrets/secrets.sh
                   $<TARGET_FILE:secrets_event_dump>)
# a 2x2 matrix through the server: four job--key instances, passed on the group waits for all
# four on the same commit, a pipeline update adds and removes instances
pk_add_script_test(matrix_server ${CMAKE_CURRENT_SOURCE_DIR}/secrets/matrix.sh)
