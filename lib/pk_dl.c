// pk_dl: see pk_dl.h.
#include "pk_dl.h"
#include <dlfcn.h>
#include <stdio.h>

// scripts/package finds this line with `strings` (the .deb must depend on
// what is dlopen'd, which dpkg-shlibdeps cannot see); the macros come
// from cmake/dl.cmake.
static const char s_sonames[] = "pikoci-dlopen: " PK_SONAME_GIT2 " " PK_SONAME_CURL " "
                                PK_SONAME_MHD " " PK_SONAME_CRYPTO;

const char *
pk_dl_sonames(void)
{
    return s_sonames + sizeof "pikoci-dlopen: " - 1;
}

void *
pk_dl_open(const char *soname, char *err, size_t size)
{
    // RTLD_LOCAL: the library's symbols do not resolve anyone else's
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(err, size, "cannot load %s: %s", soname, why ? why : "unknown error");
    }
    return h;
}

void
pk_dl_sym(void *handle, const char *soname, const char *name, void **slot, char *err,
          size_t size)
{
    if (err[0] || !handle)
        return;
    dlerror();
    *slot = dlsym(handle, name);
    if (!*slot)
        snprintf(err, size, "cannot load %s: it has no %s", soname, name);
}
