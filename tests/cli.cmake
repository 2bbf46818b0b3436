# tools/cmd_*.c: the client subcommands' argument handling, help and exit
# codes, with no server (the lead's end-to-end tests run them against one).
pk_add_script_test(cli_usage ${CMAKE_CURRENT_SOURCE_DIR}/cli/usage.sh)
