# Identity and access end to end (tests/auth/): tokens, roles, teams, builds
# refused at the control port, approvals by people, hashes only, the audit log.
pk_add_script_test(auth_access ${CMAKE_CURRENT_SOURCE_DIR}/auth/access.sh)
# the identity keyspaces and the audit log (store/pk_auth.c, store/pk_audit.c)
pk_add_test(test_auth SOURCES test_auth.c LIBS pk_store)
# control with authenticate on: denied and counted, revoked mid-session, the owner told who
pk_add_test(test_control_auth SOURCES test_control_auth.c)
# subscribe and broker.* from the network are authorised by control first:
# no live logs or worker prunes for anonymous clients or other teams
add_executable(pk_subpeer ${CMAKE_CURRENT_SOURCE_DIR}/auth/subpeer.c)
target_link_libraries(pk_subpeer PRIVATE pk_lib pk_msgs pk_lib)
pk_add_script_test(auth_subscribe ${CMAKE_CURRENT_SOURCE_DIR}/auth/subscribe.sh
                   $<TARGET_FILE:pk_subpeer>)
# a login flood does not hold up control (passwords verified in threads of
# their own, bounded); failed logins back off per user name and, at the
# web face, per client address (429 + Retry-After); unknown users alike
pk_add_script_test(auth_loginguard ${CMAKE_CURRENT_SOURCE_DIR}/auth/loginguard.sh)
