// pk_fetch: one HTTP(S) GET with every cap a server process needs -- size,
// time, protocols (http and https only, redirects included, so a redirect
// cannot reach file:// or gopher://), redirect count -- and the HTTP status
// checked (a 404 is an error, not a body). Used to fetch remote type
// definitions (`source = "https://..."`) once, when a pipeline is set.
#ifndef PK_FETCH_H
#define PK_FETCH_H
#include <stdatomic.h>
#include <stddef.h>

#define PK_FETCH_MAX_BYTES (1024 * 1024)
#define PK_FETCH_TIMEOUT_MS 15000

// 0 with *body_out (NUL-terminated, caller frees) and *len_out, or -1 with
// *err_out (caller frees) saying what went wrong in words a user can act on.
int pk_fetch(const char *url, size_t max_bytes, long timeout_ms, char **body_out,
             size_t *len_out, char **err_out);

// From now on, pk_fetch calls on this thread give up ("aborted") soon
// after *flag becomes non-zero -- libcurl looks at least once a second,
// even while it waits -- so whoever owns a fetching thread can stop it
// without waiting out the timeout. NULL: never (the default).
void pk_fetch_abort_on(const atomic_int *flag);

#endif
