# tools/cmd_*.c: the client subcommands' argument handling, help and exit
# codes, with no server (the lead's end-to-end tests run them against one).
pk_add_script_test(cli_usage ${CMAKE_CURRENT_SOURCE_DIR}/cli/usage.sh)
# The front end: its ZMTP link against a real libzmq ROUTER, and its
# dispatch (tests/cli/front.sh: what it links, what it hands to pikoci-core).
pk_add_test(test_zmtp_link SOURCES test_zmtp_link.c ${CMAKE_SOURCE_DIR}/tools/zmtp_link.c)
pk_add_script_test(cli_front ${CMAKE_CURRENT_SOURCE_DIR}/cli/front.sh)
