// test_hcl_util: helpers shared by the HCL unit tests: evaluate one
// expression against the same fixed context hcl_dump uses, and get back
// either its JSON or its first error ("file:line:col: message").
#ifndef TEST_HCL_UTIL_H
#define TEST_HCL_UTIL_H
#include "pk_hcl.h"

// The var/each context of the differential test. Caller destroys.
pk_hcl_ctx_t *thu_context(void);
// Parses "x = <expr>\n" and evaluates x. Returns the JSON of the value, or
// "error: <line>:<col>: <message>" for the first parse or evaluation error.
// Caller frees.
char *thu_eval(const char *expr);
// Parses src (file name "t.hcl"); returns NULL when it parses cleanly, else
// "<line>:<col>: <message>" of the first error (sorted). Caller frees.
char *thu_parse_error(const char *src);
// All errors of src, one "<line>:<col>: <message>\n" each. Caller frees.
char *thu_parse_errors(const char *src);

#endif
