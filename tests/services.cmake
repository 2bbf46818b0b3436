# services and notifications: the executor with real processes (and a real
# redis-server when installed), `pikoci run` and `pikoci server` end to end
pk_add_test(test_runner_services SOURCES test_runner_services.c services_util.c runner_harness.c
            LIBS pk_actors)
pk_add_test(test_runner_notify SOURCES test_runner_notify.c services_util.c runner_harness.c
            test_pipeline_util.c LIBS pk_actors)
pk_add_script_test(services_e2e ${CMAKE_CURRENT_SOURCE_DIR}/services_e2e.sh)
