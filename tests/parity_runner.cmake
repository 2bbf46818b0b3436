# PikoCI parity of the runner and the pipeline language (#16, #22): fs
# merge, flattened $version_*, cron's date, github-check as a resource
# type, slug names -- end to end with the real binary.
pk_add_script_test(parity_runner_e2e ${CMAKE_CURRENT_SOURCE_DIR}/parity_runner/run.sh)
# the slug of names, valid names and tags, the notifications' default line
pk_add_test(test_parity_runner SOURCES test_parity_runner.c LIBS pk_actors)
