// pk_dl_curl: libcurl's table, filled at the first pk_dl_curl_load().
#include "pk_dl_curl.h"
#include <pthread.h>

pk_dl_curl_t pk_dl_curl;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static char s_err[512];

static void
s_load(void)
{
    void *h = pk_dl_open(PK_SONAME_CURL, s_err, sizeof s_err);
#define S_SYM(f) pk_dl_sym(h, PK_SONAME_CURL, #f, (void **) &pk_dl_curl.f, s_err, sizeof s_err);
    PK_DL_CURL_FUNCS(S_SYM)
#undef S_SYM
}

const char *
pk_dl_curl_load(void)
{
    pthread_once(&s_once, s_load);
    return s_err[0] ? s_err : NULL;
}
