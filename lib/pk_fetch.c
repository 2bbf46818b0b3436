// pk_fetch: see pk_fetch.h. curl_global_init is not thread-safe, so it runs
// once under pthread_once before the first transfer.
#include "pk_fetch.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;
    size_t max;
    int too_big;
} s_body_t;

static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
s_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_body_t *b = arg;
    size_t n = size * nmemb;
    if (b->len + n > b->max) {
        b->too_big = 1;
        return 0;        // aborts the transfer
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

static int
s_fail(char **err_out, const char *url, const char *what)
{
    if (err_out) {
        size_t n = strlen(url) + strlen(what) + 32;
        *err_out = malloc(n);
        snprintf(*err_out, n, "fetching %s: %s", url, what);
    }
    return -1;
}

int
pk_fetch(const char *url, size_t max_bytes, long timeout_ms, char **body_out,
         size_t *len_out, char **err_out)
{
    *body_out = NULL;
    *len_out = 0;
    if (err_out)
        *err_out = NULL;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return s_fail(err_out, url, "only http:// and https:// sources can be fetched");
    pthread_once(&s_once, s_init);
    CURL *c = curl_easy_init();
    if (!c)
        return s_fail(err_out, url, "cannot start a transfer");
    s_body_t body = { calloc(1, 1), 0, max_bytes, 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);               // threads: no SIGALRM
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) max_bytes);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pikoci");
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    char what[CURL_ERROR_SIZE + 64];
    if (body.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(what, sizeof what, "the response is larger than the %zu byte limit", max_bytes);
    else
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(what, sizeof what, "no complete answer within %ld ms", timeout_ms);
    else
    if (rc != CURLE_OK)
        snprintf(what, sizeof what, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
    else
    if (status < 200 || status > 299)
        snprintf(what, sizeof what, "the server answered HTTP %ld", status);
    else {
        *body_out = body.data;
        *len_out = body.len;
        return 0;
    }
    free(body.data);
    return s_fail(err_out, url, what);
}
