# pk_duration and pk_cron: unit tests, and differential tests against the
# references: Debian's python3-croniter for cron (cron_reference.py makes the
# pairs and asks croniter, cron_check runs pk_cron on them) and Go's
# time.ParseDuration for durations (duration_reference.py, duration_check).
# /usr/bin/python3, not the python3 on PATH: only Debian's sees croniter.
pk_add_test(test_duration SOURCES test_duration.c LIBS pk_lib)
pk_add_test(test_cron SOURCES test_cron.c LIBS pk_lib)

add_executable(cron_check ${CMAKE_CURRENT_SOURCE_DIR}/cron/cron_check.c)
target_link_libraries(cron_check PRIVATE pk_lib)
pk_add_script_test(cron_reference /usr/bin/python3
    ${CMAKE_CURRENT_SOURCE_DIR}/cron/cron_reference.py $<TARGET_FILE:cron_check>)

add_executable(duration_check ${CMAKE_CURRENT_SOURCE_DIR}/cron/duration_check.c)
target_link_libraries(duration_check PRIVATE pk_lib)
pk_add_script_test(duration_reference /usr/bin/python3
    ${CMAKE_CURRENT_SOURCE_DIR}/cron/duration_reference.py $<TARGET_FILE:duration_check>)
