# actors/control + lib/pk_client: the control actor with a real broker, store
# and client. control's sources are compiled in directly (not via pk_actors)
# so this test builds while other actors are being changed.
# The checker (and the plan helpers it uses) is compiled in for the same
# reason: its reply to control's check.now is tested here.
pk_add_test(test_control
    SOURCES test_control.c ${CMAKE_SOURCE_DIR}/actors/control.c
            ${CMAKE_SOURCE_DIR}/actors/control_queries.c
            ${CMAKE_SOURCE_DIR}/actors/control_lookup.c
            ${CMAKE_SOURCE_DIR}/actors/checker.c ${CMAKE_SOURCE_DIR}/actors/pk_plan.c
    LIBS pk_broker pk_pipeline pk_store pk_msgs pk_lib)
target_include_directories(test_control PRIVATE ${PK_INCLUDE_DIRS})
