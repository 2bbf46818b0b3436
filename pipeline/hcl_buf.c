// hcl_buf: see hcl_buf.h. Doubling growth, always NUL-terminated.
#include "hcl_buf.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
hcl_buf_init(hcl_buf_t *self)
{
    memset(self, 0, sizeof *self);
}

void
hcl_buf_free(hcl_buf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}

static int
s_reserve(hcl_buf_t *self, size_t extra)
{
    if (self->overflow || extra > HCL_MAX_STRING - self->len) {
        self->overflow = true;
        return -1;
    }
    size_t need = self->len + extra + 1;
    if (need <= self->cap)
        return 0;
    size_t cap = self->cap ? self->cap : 32;
    while (cap < need)
        cap *= 2;
    char *data = realloc(self->data, cap);
    if (!data) {
        self->overflow = true;
        return -1;
    }
    self->data = data;
    self->cap = cap;
    return 0;
}

int
hcl_buf_add(hcl_buf_t *self, const void *data, size_t len)
{
    if (s_reserve(self, len) < 0)
        return -1;
    if (len)
        memcpy(self->data + self->len, data, len);
    self->len += len;
    self->data[self->len] = '\0';
    return 0;
}

int
hcl_buf_addc(hcl_buf_t *self, char c)
{
    return hcl_buf_add(self, &c, 1);
}

int
hcl_buf_adds(hcl_buf_t *self, const char *s)
{
    return hcl_buf_add(self, s, strlen(s));
}

int
hcl_buf_addf(hcl_buf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || s_reserve(self, (size_t) n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(self->data + self->len, (size_t) n + 1, fmt, ap);
    va_end(ap);
    self->len += (size_t) n;
    return 0;
}

int
hcl_buf_add_utf8(hcl_buf_t *self, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char) cp;
        n = 1;
    }
    else if (cp < 0x800) {
        b[0] = (char) (0xC0 | (cp >> 6));
        b[1] = (char) (0x80 | (cp & 0x3F));
        n = 2;
    }
    else if (cp < 0x10000) {
        b[0] = (char) (0xE0 | (cp >> 12));
        b[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char) (0x80 | (cp & 0x3F));
        n = 3;
    }
    else {
        b[0] = (char) (0xF0 | (cp >> 18));
        b[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char) (0x80 | (cp & 0x3F));
        n = 4;
    }
    return hcl_buf_add(self, b, n);
}

char *
hcl_buf_take(hcl_buf_t *self, size_t *len)
{
    if (!self->data) {
        if (s_reserve(self, 0) < 0)
            return NULL;
        self->data[0] = '\0';
    }
    char *data = self->data;
    if (len)
        *len = self->len;
    memset(self, 0, sizeof *self);
    return data;
}
