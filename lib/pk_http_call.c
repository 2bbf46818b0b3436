// pk_http_call: see pk_http_call.h. curl_global_init is not thread-safe, so
// it runs once under pthread_once before the first transfer.
#include "pk_http_call.h"
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *data;
    size_t len;
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
    if (b->len + n > PK_HTTP_CALL_MAX_BYTES) {
        b->too_big = 1;
        return 0;
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
s_fail(char **err_out, const pk_http_call_t *req, const char *what)
{
    if (asprintf(err_out, "%s %s: %s", req->method, req->url, what) < 0)
        *err_out = NULL;
    return -1;
}

int
pk_http_call(const pk_http_call_t *req, long *status_out, char **body_out, char **err_out)
{
    *status_out = 0;
    *body_out = NULL;
    *err_out = NULL;
    if (!req->url || (strncmp(req->url, "http://", 7) && strncmp(req->url, "https://", 8)))
        return s_fail(err_out, req, "only http:// and https:// URLs can be called");
    pthread_once(&s_once, s_init);
    CURL *c = curl_easy_init();
    if (!c)
        return s_fail(err_out, req, "cannot start a transfer");
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : PK_HTTP_CALL_TIMEOUT_MS;
    struct curl_slist *headers = NULL;
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        headers = curl_slist_append(headers, req->headers[i]);
    headers = curl_slist_append(headers, "Expect:");     // no 100-continue round trip
    s_body_t body = { calloc(1, 1), 0, 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(req->body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "pikoci");
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status_out);
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    char what[CURL_ERROR_SIZE + 64];
    if (body.too_big)
        snprintf(what, sizeof what, "the answer is larger than %d bytes", PK_HTTP_CALL_MAX_BYTES);
    else
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(what, sizeof what, "no complete answer within %ld ms", timeout);
    else
    if (rc != CURLE_OK)
        snprintf(what, sizeof what, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
    else {
        *body_out = body.data;
        return 0;
    }
    free(body.data);
    return s_fail(err_out, req, what);
}
