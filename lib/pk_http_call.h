// pk_http_call: one HTTP(S) request with a body and headers, for the
// built-in types that talk to web APIs from C instead of shelling out to
// curl (slack and discord webhooks, the GitHub checks API, vault). Capped
// like pk_fetch (size, time, http/https only, no redirects: an API answer
// is never a redirect worth following with credentials attached). Unlike
// pk_fetch, a non-2xx status is not an error here: the caller gets it with
// the body, because APIs explain failures in their bodies.
#ifndef PK_HTTP_CALL_H
#define PK_HTTP_CALL_H
#include <stddef.h>

#define PK_HTTP_CALL_MAX_BYTES (1024 * 1024)
#define PK_HTTP_CALL_TIMEOUT_MS 30000

typedef struct {
    const char *method;          // "GET", "POST", "PATCH"...
    const char *url;
    const char *const *headers;  // NULL-terminated "Name: value" lines, or NULL
    const char *body;            // NULL: none
    long timeout_ms;             // 0: PK_HTTP_CALL_TIMEOUT_MS
} pk_http_call_t;

// 0 with *status_out and *body_out (NUL-terminated, caller frees), or -1
// with *err_out (caller frees) when no HTTP answer came back.
int pk_http_call(const pk_http_call_t *req, long *status_out, char **body_out, char **err_out);

#endif
