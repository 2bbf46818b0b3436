# HCL2 parser/evaluator (pipeline/hcl_*.c, pk_value, pk_diag): the hcl_dump
# tool used by the differential test (tests/hcl_diff.cmake) and unit tests.
add_executable(hcl_dump hcl_dump.c)
target_link_libraries(hcl_dump PRIVATE pk_pipeline)
pk_add_test(test_hcl_lex SOURCES test_hcl_lex.c LIBS pk_pipeline)
pk_add_test(test_hcl_parse SOURCES test_hcl_parse.c test_hcl_util.c LIBS pk_pipeline)
pk_add_test(test_hcl_eval SOURCES test_hcl_eval.c test_hcl_util.c LIBS pk_pipeline)
pk_add_test(test_hcl_funcs SOURCES test_hcl_funcs.c test_hcl_util.c LIBS pk_pipeline)
pk_add_test(test_hcl_value SOURCES test_hcl_value.c LIBS pk_pipeline)
