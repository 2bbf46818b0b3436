# PikoCI's documented command lines (tools/cmd_client.c, cmd_run.c,
# cmd_server.c's flag table): each PikoCI form does what its pikoci form
# does, against the real binary and, for the client tree, a real server.
pk_add_script_test(cli_compat_local ${CMAKE_CURRENT_SOURCE_DIR}/cli_compat/local.sh)
pk_add_script_test(cli_compat_client ${CMAKE_CURRENT_SOURCE_DIR}/cli_compat/client.sh)
pk_add_script_test(cli_compat_signals ${CMAKE_CURRENT_SOURCE_DIR}/cli_compat/signals.sh)
pk_add_script_test(cli_compat_server ${CMAKE_CURRENT_SOURCE_DIR}/cli_compat/server.sh)
