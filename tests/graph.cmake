# Issue #18's data side: the pipeline graph (`pikoci graph`, GET .../graph),
# the jobs' form fields, mark-as-warning and trigger with a version.
pk_add_script_test(graph_dot ${CMAKE_CURRENT_SOURCE_DIR}/graph/dot.sh)
pk_add_script_test(graph_e2e ${CMAKE_CURRENT_SOURCE_DIR}/graph/graph.sh)
# build.warning and trigger with versions in the scheduler itself: real
# scheduler and broker, a fake runner and control played by the test.
pk_add_test(test_scheduler_warn SOURCES test_scheduler_warn.c test_scheduler_util.c
            LIBS pk_actors pk_broker pk_store pk_lib)
