// pk_dl_git: libgit2's table, filled at the first pk_dl_git_load().
#include "pk_dl_git.h"
#include <pthread.h>

pk_dl_git_t pk_dl_git;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static char s_err[512];

static void
s_load(void)
{
    void *h = pk_dl_open(PK_SONAME_GIT2, s_err, sizeof s_err);
#define S_SYM(f) pk_dl_sym(h, PK_SONAME_GIT2, #f, (void **) &pk_dl_git.f, s_err, sizeof s_err);
    PK_DL_GIT_FUNCS(S_SYM)
#undef S_SYM
}

const char *
pk_dl_git_load(void)
{
    pthread_once(&s_once, s_load);
    return s_err[0] ? s_err : NULL;
}
