# pipeline model, validation and the if-condition language
pk_add_test(test_condition SOURCES test_condition.c LIBS pk_pipeline)
pk_add_test(test_pipeline_decode SOURCES test_pipeline_decode.c test_pipeline_util.c LIBS pk_pipeline)
pk_add_test(test_pipeline_vars SOURCES test_pipeline_vars.c test_pipeline_util.c LIBS pk_pipeline)
pk_add_test(test_pipeline_validate SOURCES test_pipeline_validate.c test_pipeline_util.c LIBS pk_pipeline)
# The real binary on examples/*.hcl (all valid) and tests/validate/invalid/*.hcl
# (each with its .expected error lines).
pk_add_script_test(validate_cli ${CMAKE_CURRENT_SOURCE_DIR}/validate/run.sh)
