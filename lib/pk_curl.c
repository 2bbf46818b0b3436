// pk_curl: see pk_curl_internal.h. curl_global_init is not thread-safe, so
// it runs once under pthread_once before the first transfer, after libcurl
// is loaded (pk_dl_curl.h).
#include "pk_curl_internal.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_init(void)
{
    if (!pk_dl_curl_load())
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
s_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    pk_curl_body_t *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > b->max) {
        b->too_big = 1;
        return 0;               // aborts the transfer
    }
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = 0;
    return n;
}

CURL *
pk_curl_new(const char *url, long timeout_ms, pk_curl_body_t *body, char *errbuf)
{
    *errbuf = 0;
    pthread_once(&s_once, s_init);
    const char *dl_err = pk_dl_curl_load();
    if (dl_err) {
        snprintf(errbuf, CURL_ERROR_SIZE, "%s", dl_err);
        return NULL;
    }
    CURL *c = curl_easy_init();
    if (!c)
        return NULL;
    *errbuf = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);               // threads: no SIGALRM
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pikoci");
    return c;
}
