# pikoci-top: the model (pure state) as a unit test, the real binary in tmux
# against a real server as a script test.

# the model: snapshot + events -> panels, no curses, no sockets
pk_add_test(test_top_model SOURCES test_top_model.c ${CMAKE_SOURCE_DIR}/tools/top_model.c
            ${CMAKE_SOURCE_DIR}/tools/top_model_events.c
            LIBS pk_pipeline pk_lib)
target_include_directories(test_top_model PRIVATE ${CMAKE_SOURCE_DIR}/tools ${PK_INCLUDE_DIRS})

# the real pikoci-top in tmux against a real server
if(TARGET pikoci-top)
    pk_add_script_test(top_e2e ${CMAKE_CURRENT_SOURCE_DIR}/top/top.sh)
endif()
