# The version baked into the binaries: the project's VERSION and the git
# commit of the checkout at configure time (`git describe --always --dirty`),
# "unknown" outside a git checkout (a source tarball). Re-run cmake to refresh
# the commit after new commits. Written to generated/pk_version.h, which every
# layer sees (PK_INCLUDE_DIRS).
set(PK_GIT_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                    OUTPUT_VARIABLE pk_describe OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE pk_rc ERROR_QUIET)
    if(pk_rc EQUAL 0 AND pk_describe)
        set(PK_GIT_COMMIT ${pk_describe})
    endif()
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/pk_version.h.in
               ${CMAKE_BINARY_DIR}/generated/pk_version.h @ONLY)
list(APPEND PK_INCLUDE_DIRS ${CMAKE_BINARY_DIR}/generated)
