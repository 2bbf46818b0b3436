// pk_fetch: see pk_fetch.h. The libcurl set-up is pk_curl_internal.h's.
#include "pk_fetch.h"
#include "pk_curl_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Per thread, so one thread's stop never touches another's fetch.
static _Thread_local const atomic_int *s_abort;

void
pk_fetch_abort_on(const atomic_int *flag)
{
    s_abort = flag;
}

static int
s_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
           curl_off_t ulnow)
{
    (void) dltotal, (void) dlnow, (void) ultotal, (void) ulnow;
    const atomic_int *flag = arg;
    return flag && atomic_load(flag) ? 1 : 0;
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
    pk_curl_body_t body = { calloc(1, 1), 0, max_bytes, 0 };
    char errbuf[CURL_ERROR_SIZE];
    CURL *c = pk_curl_new(url, timeout_ms, &body, errbuf);
    if (!c) {
        free(body.data);
        return s_fail(err_out, url, *errbuf ? errbuf : "cannot start a transfer");
    }
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) max_bytes);
    if (s_abort) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, s_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *) s_abort);
    }
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
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        snprintf(what, sizeof what, "aborted (pikoci is stopping)");
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
