# Tags and exclusive workers across processes: broker, server, workers
pk_add_script_test(dist_tags ${CMAKE_CURRENT_SOURCE_DIR}/dist/tags.sh)
