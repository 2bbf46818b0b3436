# Issue #18's data side: the pipeline graph (`pikoci graph`, GET .../graph),
# the jobs' form fields, mark-as-warning and trigger with a version.
pk_add_script_test(graph_dot ${CMAKE_CURRENT_SOURCE_DIR}/graph/dot.sh)
pk_add_script_test(graph_e2e ${CMAKE_CURRENT_SOURCE_DIR}/graph/graph.sh)
