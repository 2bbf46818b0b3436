// pk_diag: see pk_diag.h. A plain growable array: diagnostics are few and
// appended in parse/validation order; sorting is a stable merge on demand so
// that errors on the same position keep the order they were found in.
#include "pk_diag.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct _pk_diags_t {
    pk_diag_t *items;
    size_t count;
    size_t cap;
    size_t errors;
};

pk_diags_t *
pk_diags_new(void)
{
    return calloc(1, sizeof(pk_diags_t));
}

void
pk_diags_destroy(pk_diags_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_diags_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->items[i].message);
    free(self->items);
    free(self);
    *self_p = NULL;
}

static void
s_add(pk_diags_t *self, pk_diag_severity_t sev, pk_range_t range, const char *fmt, va_list ap)
{
    if (!self)
        return;
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    if (!msg)
        return;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        pk_diag_t *items = realloc(self->items, cap * sizeof(pk_diag_t));
        if (!items) {
            free(msg);
            return;
        }
        self->items = items;
        self->cap = cap;
    }
    self->items[self->count++] = (pk_diag_t) { sev, range, msg };
    if (sev == PK_DIAG_ERROR)
        self->errors++;
}

void
pk_diags_error(pk_diags_t *self, pk_range_t range, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_add(self, PK_DIAG_ERROR, range, fmt, ap);
    va_end(ap);
}

void
pk_diags_warning(pk_diags_t *self, pk_range_t range, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s_add(self, PK_DIAG_WARNING, range, fmt, ap);
    va_end(ap);
}

size_t
pk_diags_count(const pk_diags_t *self)
{
    return self ? self->count : 0;
}

size_t
pk_diags_errors(const pk_diags_t *self)
{
    return self ? self->errors : 0;
}

const pk_diag_t *
pk_diags_at(const pk_diags_t *self, size_t index)
{
    return self && index < self->count ? &self->items[index] : NULL;
}

static int
s_cmp(const pk_diag_t *a, const pk_diag_t *b)
{
    const char *fa = a->range.start.file ? a->range.start.file : "";
    const char *fb = b->range.start.file ? b->range.start.file : "";
    int c = strcmp(fa, fb);
    if (c)
        return c;
    if (a->range.start.line != b->range.start.line)
        return a->range.start.line < b->range.start.line ? -1 : 1;
    if (a->range.start.col != b->range.start.col)
        return a->range.start.col < b->range.start.col ? -1 : 1;
    return 0;
}

void
pk_diags_sort(pk_diags_t *self)
{
    if (!self || self->count < 2)
        return;
    pk_diag_t *tmp = malloc(self->count * sizeof(pk_diag_t));
    if (!tmp)
        return;
    // Bottom-up merge sort: stable, O(n log n), no recursion.
    pk_diag_t *src = self->items, *dst = tmp;
    for (size_t width = 1; width < self->count; width *= 2) {
        for (size_t lo = 0; lo < self->count; lo += 2 * width) {
            size_t mid = lo + width < self->count ? lo + width : self->count;
            size_t hi = lo + 2 * width < self->count ? lo + 2 * width : self->count;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = s_cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        pk_diag_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != self->items)
        memcpy(self->items, src, self->count * sizeof(pk_diag_t));
    free(tmp);
}

void
pk_diags_print(const pk_diags_t *self, FILE *out)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++) {
        const pk_diag_t *d = &self->items[i];
        const char *sev = d->severity == PK_DIAG_ERROR ? "error" : "warning";
        if (d->range.start.line > 0)
            fprintf(out, "%s:%d:%d: ", d->range.start.file ? d->range.start.file : "<input>",
                    d->range.start.line, d->range.start.col);
        else if (d->range.start.file)
            fprintf(out, "%s: ", d->range.start.file);
        fprintf(out, "%s: %s\n", sev, d->message);
    }
}
