// hcl_buf: a growable byte buffer with a hard size cap, used wherever the
// evaluator and function library build strings. The cap turns inputs such as
// huge format widths or repeated replacement into a clean "too large" error
// instead of an out-of-memory abort.
#ifndef HCL_BUF_H
#define HCL_BUF_H
#include <stdbool.h>
#include <stddef.h>

// Longest string an HCL evaluation may produce.
#define HCL_MAX_STRING ((size_t) 16 << 20)

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool overflow;      // an append would have exceeded HCL_MAX_STRING
} hcl_buf_t;

void hcl_buf_init(hcl_buf_t *self);
void hcl_buf_free(hcl_buf_t *self);
int hcl_buf_add(hcl_buf_t *self, const void *data, size_t len);
int hcl_buf_addc(hcl_buf_t *self, char c);
int hcl_buf_adds(hcl_buf_t *self, const char *s);
int hcl_buf_addf(hcl_buf_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Appends the UTF-8 encoding of code point cp.
int hcl_buf_add_utf8(hcl_buf_t *self, unsigned cp);
// Returns the NUL-terminated contents (caller frees) and resets the buffer.
char *hcl_buf_take(hcl_buf_t *self, size_t *len);

#endif
