// pk_dl: the libraries pikoci-core loads with dlopen at their first use
// instead of linking them -- libgit2 (pk_dl_git.h), libcurl (pk_dl_curl.h),
// libmicrohttpd (pk_dl_mhd.h) and OpenSSL's libcrypto (pk_dl_crypto.h).
// An idle server calls none of them, and linked they were most of its start
// (the dynamic loader: ~29 libraries, their relocations and constructors)
// and of its idle memory (their relocated data): bench/PROFILE-server.md.
//
// Each library has ONE list of the functions we call (an X-macro list in
// its pk_dl_*.h); from it come the table of pointers, typed from the real
// header (__typeof__(git_clone) *), the dlsym calls, and -- generated at
// configure time by cmake/dl.cmake -- a header mapping each name to its
// table entry, so code that includes pk_git2.h (pk_curl2.h, ...) instead
// of <git2.h> keeps calling git_clone(...) as before. A function missing
// from the list fails pikoci-core's link (it no longer links libgit2).
//
// The SONAMEs are found at configure time (objdump -p of the library
// pkg-config names) and compiled in: PK_SONAME_GIT2 "libgit2.so.1.5"...
// scripts/package reads them back from the binary (the "pikoci-dlopen:"
// string, pk_dl.c) to keep the .deb's Depends.
//
// Loading happens once per library, under pthread_once, at the first
// pk_dl_*_load(): it returns NULL, or a message ("cannot load
// libgit2.so.1.5: <dlerror>") the caller turns into its own error. The
// handles are never closed (a library's threads and atexit handlers may
// outlive any user of ours). Tests that call a library directly link it as
// before: dlopen then finds the loaded copy by its SONAME.
#ifndef PK_DL_H
#define PK_DL_H
#include <stddef.h>

// A table field per function of a list: its pointer type from the header.
#define PK_DL_FIELD(f) __typeof__(f) *f;

// dlopen(soname): the handle, or NULL with err "cannot load SONAME: why".
void *pk_dl_open(const char *soname, char *err, size_t size);

// *slot = dlsym(handle, name) unless err is already set; on a missing
// symbol err says "SONAME has no NAME". For the loaders' X-macro lists.
void pk_dl_sym(void *handle, const char *soname, const char *name, void **slot,
               char *err, size_t size);

// The SONAMEs pikoci-core loads, space-separated (for --version-like uses
// and the packaging's check).
const char *pk_dl_sonames(void);

#endif
