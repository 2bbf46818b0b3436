# CURVE between hosts: certificates, the loopback rule, a CURVE broker with
# its ZAP handler and runners/clients with right and wrong keys (cmocka);
# `pikoci keygen`, the non-loopback refusal and a CURVE broker, worker,
# server and CLI as separate processes; garbage on a running server's port.
pk_add_test(test_curve SOURCES test_curve.c)
pk_add_script_test(curve_cli ${CMAKE_CURRENT_SOURCE_DIR}/dist/curve_cli.sh)
pk_add_script_test(curve_garbage ${CMAKE_CURRENT_SOURCE_DIR}/dist/garbage.sh)
