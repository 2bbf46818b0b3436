# PikoCI parity of the scheduler and checker (issue #16), end to end against
# a real `pikoci server`: each script fails without its fix.
foreach(t approval unpin pause every steps put)
    pk_add_script_test(parity_${t} ${CMAKE_CURRENT_SOURCE_DIR}/parity/${t}.sh)
endforeach()
