# Trust between peers of the broker (issue #17/#22): server roles only from
# the server's own process or with the server token, workers only with a
# listed worker token, team-bound workers only get their team's work.
add_executable(pk_rawpeer ${CMAKE_CURRENT_SOURCE_DIR}/workerauth/rawpeer.c)
target_link_libraries(pk_rawpeer PRIVATE pk_msgs)
pk_add_script_test(workerauth_trust ${CMAKE_CURRENT_SOURCE_DIR}/workerauth/trust.sh
                   $<TARGET_FILE:pk_rawpeer>)
pk_add_test(test_workerauth SOURCES test_workerauth.c LIBS pk_broker pk_msgs pk_lib)
# The built-in secret store: scopes, masking, nothing in clear at rest or in reads
pk_add_script_test(workerauth_secrets ${CMAKE_CURRENT_SOURCE_DIR}/workerauth/secrets.sh)
# The secret store's keyspace: sealed values, bound to their slot
pk_add_test(test_secrets_store SOURCES test_secrets_store.c LIBS pk_store)
