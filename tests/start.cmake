# The server's start (bench/PROFILE-server.md, "Start and idle memory").
if(PK_STATIC_CZMQ AND PK_CZMQ_A)
    pk_add_script_test(server_start_libs ${CMAKE_CURRENT_SOURCE_DIR}/server/start_libs.sh static)
else()
    pk_add_script_test(server_start_libs ${CMAKE_CURRENT_SOURCE_DIR}/server/start_libs.sh)
endif()
set_tests_properties(server_start_libs PROPERTIES SKIP_RETURN_CODE 77)
pk_add_script_test(server_start_http ${CMAKE_CURRENT_SOURCE_DIR}/server/start_http.sh)
