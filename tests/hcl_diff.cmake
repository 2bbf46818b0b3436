# Differential test of the C HCL2 parser/evaluator against HashiCorp's Go
# hcl v2 (Debian's golang-github-hashicorp-hcl-v2-dev), over tests/hcl_corpus.
#
# hcl2dump (tests/hcl_oracle) is built with the Go toolchain in GOPATH mode
# against /usr/share/gocode only, into the build tree: no module download, no
# network. Two tests:
#   hcl_corpus_oracle   the corpus does what its file names promise under the
#                       reference (err_* rejected, eval_* hold eval errors)
#   hcl_differential    C hcl_dump (tests/hcl.cmake) and hcl2dump agree on
#                       every corpus file (hcl_corpus/divergent/, known
#                       by-design differences, is not part of it)
find_program(PK_GO go)
set(PK_GOPATH /usr/share/gocode)
if(NOT PK_GO OR NOT EXISTS ${PK_GOPATH}/src/github.com/hashicorp/hcl/v2/hclsyntax)
    message(STATUS "hcl_differential: go or golang-github-hashicorp-hcl-v2-dev missing, test skipped")
    return()
endif()
find_program(PK_PYTHON3 python3 REQUIRED)

set(PK_HCL_ORACLE ${CMAKE_CURRENT_BINARY_DIR}/hcl2dump)
set(PK_HCL_CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/hcl_corpus)
file(GLOB PK_HCL_ORACLE_SRCS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/hcl_oracle/*.go)
add_custom_command(
    OUTPUT ${PK_HCL_ORACLE}
    COMMAND ${CMAKE_COMMAND} -E env
            GO111MODULE=off GOPATH=${PK_GOPATH} CGO_ENABLED=0
            GOCACHE=${CMAKE_CURRENT_BINARY_DIR}/gocache HOME=${CMAKE_CURRENT_BINARY_DIR}
            ${PK_GO} build -o ${PK_HCL_ORACLE} .
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/hcl_oracle
    DEPENDS ${PK_HCL_ORACLE_SRCS}
    COMMENT "Building the Go HCL oracle hcl2dump"
    VERBATIM)
add_custom_target(hcl2dump ALL DEPENDS ${PK_HCL_ORACLE})

pk_add_script_test(hcl_corpus_oracle ${PK_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/hcl_diff.py
    --oracle ${PK_HCL_ORACLE} --oracle-only ${PK_HCL_CORPUS})

if(TARGET hcl_dump)
    # Building the oracle also builds the C side, so one target readies the test.
    add_dependencies(hcl2dump hcl_dump)
    pk_add_script_test(hcl_differential ${PK_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/hcl_diff.py
        --oracle ${PK_HCL_ORACLE} --cdump $<TARGET_FILE:hcl_dump> ${PK_HCL_CORPUS})
else()
    message(STATUS "hcl_differential: no hcl_dump target yet (tests/hcl.cmake), test not registered")
endif()
