// pk_json: the one JSON string writer the native resources need to print
// versions (quote, backslash and control characters escaped; other bytes
// pass through, so UTF-8 stays UTF-8).
#ifndef PK_JSON_H
#define PK_JSON_H
#include <stdio.h>

void pk_json_write_str(FILE *out, const char *s);

#endif
