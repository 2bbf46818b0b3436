// pk_dl_curl: libcurl, loaded at first use (see pk_dl.h). Code that calls
// it includes pk_curl2.h, not <curl/curl.h>.
#ifndef PK_DL_CURL_H
#define PK_DL_CURL_H
#include "pk_dl.h"
#include <curl/curl.h>

// The functions of libcurl that pikoci-core calls (lib/pk_curl.c, pk_fetch.c, pk_http_call.c).
// A new call needs its name here: pikoci-core does not link libcurl.
#define PK_DL_CURL_FUNCS(X) \
    X(curl_easy_cleanup) \
    X(curl_easy_getinfo) \
    X(curl_easy_init) \
    X(curl_easy_perform) \
    X(curl_easy_setopt) \
    X(curl_easy_strerror) \
    X(curl_global_init) \
    X(curl_slist_append) \
    X(curl_slist_free_all)

typedef struct {
    PK_DL_CURL_FUNCS(PK_DL_FIELD)
} pk_dl_curl_t;
extern pk_dl_curl_t pk_dl_curl;

// Loads libcurl once (thread-safe): NULL, or why it cannot be loaded
// ("cannot load SONAME: ..."), the same message every time.
const char *pk_dl_curl_load(void);

#endif
