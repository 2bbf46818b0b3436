# A year of history (#21, and the restart item of #22).
# The history indexes of store/pk_builds: pages, unfinished builds, passed,
# lives and work ids, migration of an older store.
pk_add_test(test_builds_index SOURCES test_builds_index.c LIBS pk_store pk_lib)
# The real binary on lmdb stores: a pipeline re-created under the same name,
# cancel frees a slot in every state, queued builds surviving kill -9.
pk_add_script_test(history_recreate ${CMAKE_CURRENT_SOURCE_DIR}/history/recreate.sh)
pk_add_script_test(history_cancel ${CMAKE_CURRENT_SOURCE_DIR}/history/cancel.sh)
pk_add_script_test(history_queued ${CMAKE_CURRENT_SOURCE_DIR}/history/queued.sh)
# A store as a long-lived server left it (history_fill: thousands of builds,
# with --old written before the indexes): migration at start, listing pages
# and cursors, an answer too big for one message refused at once.
add_executable(history_fill ${CMAKE_CURRENT_SOURCE_DIR}/history/history_fill.c)
target_link_libraries(history_fill PRIVATE pk_store)
pk_add_script_test(history_big ${CMAKE_CURRENT_SOURCE_DIR}/history/big.sh $<TARGET_FILE:history_fill>)
