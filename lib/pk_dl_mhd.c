// pk_dl_mhd: libmicrohttpd's table, filled at the first pk_dl_mhd_load().
#include "pk_dl_mhd.h"
#include <pthread.h>

pk_dl_mhd_t pk_dl_mhd;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static char s_err[512];

static void
s_load(void)
{
    void *h = pk_dl_open(PK_SONAME_MHD, s_err, sizeof s_err);
#define S_SYM(f) pk_dl_sym(h, PK_SONAME_MHD, #f, (void **) &pk_dl_mhd.f, s_err, sizeof s_err);
    PK_DL_MHD_FUNCS(S_SYM)
#undef S_SYM
}

const char *
pk_dl_mhd_load(void)
{
    pthread_once(&s_once, s_load);
    return s_err[0] ? s_err : NULL;
}
