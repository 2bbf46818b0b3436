// pk_curl_internal: what pk_fetch (GET of type definitions, redirects
// followed, status checked) and pk_http_call (API calls, no redirects,
// status returned) share -- one libcurl set-up, so the caps every transfer
// of ours has (size, time, http/https only, no signals) live in one place.
// Not a public API: pk_fetch.h and pk_http_call.h are.
#ifndef PK_CURL_INTERNAL_H
#define PK_CURL_INTERNAL_H
#include "pk_curl2.h"         // <curl/curl.h>, dlopen'd (pk_dl.h)
#include <stddef.h>

typedef struct {
    char *data;                 // NUL-terminated; the caller frees
    size_t len;
    size_t max;                 // more than this aborts the transfer
    int too_big;
} pk_curl_body_t;

// A transfer of url with the options every call sets: the answer collected
// into body (up to body->max bytes), errors into errbuf (CURL_ERROR_SIZE),
// http and https only, no signals (threads), timeout_ms in all and at most
// 10 s to connect, our user agent. libcurl's global state is set up once,
// thread-safely, before the first. NULL when no transfer can be started;
// errbuf then says why when libcurl cannot be loaded, else it is empty.
CURL *pk_curl_new(const char *url, long timeout_ms, pk_curl_body_t *body, char *errbuf);

#endif
