// test_pipeline_util: helpers shared by the pipeline model tests: parse a
// pipeline held in a string and look for one exact "line:col: error: msg".
#ifndef TEST_PIPELINE_UTIL_H
#define TEST_PIPELINE_UTIL_H
#include "pk_pipeline.h"

// Parses src as "t.hcl" with vars (may be NULL); *diags receives the list.
pk_pipeline_t *t_parse(const char *src, const pk_value_t *vars, pk_diags_t **diags);
// Every diagnostic as "line:col: error: message\n" (caller frees).
char *t_diags_text(const pk_diags_t *diags);
// Fails the test unless parsing src reports exactly the line `want`
// ("3:5: error: ..."), along with any others.
void t_expect(const char *src, const char *want);
// Fails unless src has no errors (warnings allowed); returns the pipeline.
pk_pipeline_t *t_valid(const char *src, pk_diags_t **diags);
// Writes text to a new temporary file; returns its path (caller frees and unlinks).
char *t_temp_file(const char *text);

#endif
