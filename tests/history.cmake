# A year of history (#21): pipeline re-created under the same name, cancel
# frees a slot in every state, an answer too big for one message, queued
# builds surviving kill -9 -- the real binary, lmdb stores on disk.
pk_add_script_test(history_recreate ${CMAKE_CURRENT_SOURCE_DIR}/history/recreate.sh)
pk_add_script_test(history_cancel ${CMAKE_CURRENT_SOURCE_DIR}/history/cancel.sh)
pk_add_script_test(history_queued ${CMAKE_CURRENT_SOURCE_DIR}/history/queued.sh)
