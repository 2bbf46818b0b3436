// pk_dl_crypto: OpenSSL's libcrypto's table, filled at the first pk_dl_crypto_load().
#include "pk_dl_crypto.h"
#include <pthread.h>

pk_dl_crypto_t pk_dl_crypto;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static char s_err[512];

static void
s_load(void)
{
    void *h = pk_dl_open(PK_SONAME_CRYPTO, s_err, sizeof s_err);
#define S_SYM(f) pk_dl_sym(h, PK_SONAME_CRYPTO, #f, (void **) &pk_dl_crypto.f, s_err, sizeof s_err);
    PK_DL_CRYPTO_FUNCS(S_SYM)
#undef S_SYM
}

const char *
pk_dl_crypto_load(void)
{
    pthread_once(&s_once, s_load);
    return s_err[0] ? s_err : NULL;
}
