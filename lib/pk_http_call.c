// pk_http_call: see pk_http_call.h. The libcurl set-up is pk_curl_internal.h's.
#include "pk_http_call.h"
#include "pk_curl_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : PK_HTTP_CALL_TIMEOUT_MS;
    pk_curl_body_t body = { calloc(1, 1), 0, PK_HTTP_CALL_MAX_BYTES, 0 };
    char errbuf[CURL_ERROR_SIZE];
    CURL *c = pk_curl_new(req->url, timeout, &body, errbuf);
    if (!c) {
        free(body.data);
        return s_fail(err_out, req, *errbuf ? errbuf : "cannot start a transfer");
    }
    struct curl_slist *headers = NULL;
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        headers = curl_slist_append(headers, req->headers[i]);
    headers = curl_slist_append(headers, "Expect:");     // no 100-continue round trip
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(req->body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
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
