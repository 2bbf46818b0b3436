# A year of history (#21): pipeline re-created under the same name, cancel
# frees a slot in every state, an answer too big for one message, queued
# builds surviving kill -9 -- the real binary, lmdb stores on disk.
pk_add_script_test(history_recreate ${CMAKE_CURRENT_SOURCE_DIR}/history/recreate.sh)
pk_add_script_test(history_cancel ${CMAKE_CURRENT_SOURCE_DIR}/history/cancel.sh)
pk_add_script_test(history_queued ${CMAKE_CURRENT_SOURCE_DIR}/history/queued.sh)
# an lmdb store as a long-lived server left it: thousands of builds, and
# with --old, written before the history indexes
add_executable(history_fill ${CMAKE_CURRENT_SOURCE_DIR}/history/history_fill.c)
target_link_libraries(history_fill PRIVATE pk_store)
pk_add_script_test(history_big ${CMAKE_CURRENT_SOURCE_DIR}/history/big.sh $<TARGET_FILE:history_fill>)
