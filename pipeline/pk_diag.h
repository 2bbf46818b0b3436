// pk_diag: source positions and diagnostics for everything parsed from a file.
// Every HCL node carries a pk_range_t; every error the pipeline layer reports
// becomes one pk_diag entry, printed as "file:line:col: error: message" so
// editors can jump to it. Lists keep insertion order; validation reports all
// errors at once rather than stopping at the first.
#ifndef PK_DIAG_H
#define PK_DIAG_H
#include <stdio.h>
#include <stddef.h>
#include <stdbool.h>

typedef struct {
    const char *file;   // borrowed: interned by the parser, lives as long as the file AST
    int line;           // 1-based
    int col;            // 1-based, counted in Unicode code points (like hclsyntax)
    size_t byte;        // 0-based byte offset
} pk_pos_t;

typedef struct {
    pk_pos_t start;
    pk_pos_t end;       // exclusive
} pk_range_t;

typedef enum { PK_DIAG_ERROR, PK_DIAG_WARNING } pk_diag_severity_t;

typedef struct {
    pk_diag_severity_t severity;
    pk_range_t range;
    char *message;      // owned by the list
} pk_diag_t;

typedef struct _pk_diags_t pk_diags_t;

pk_diags_t *pk_diags_new(void);
void pk_diags_destroy(pk_diags_t **self_p);
// printf-style; the range's file pointer is copied as is (must outlive the list)
void pk_diags_error(pk_diags_t *self, pk_range_t range, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pk_diags_warning(pk_diags_t *self, pk_range_t range, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t pk_diags_count(const pk_diags_t *self);
size_t pk_diags_errors(const pk_diags_t *self);
const pk_diag_t *pk_diags_at(const pk_diags_t *self, size_t index);
// Stable sort by file, line, col (the order a user reads them in)
void pk_diags_sort(pk_diags_t *self);
// One line each: "file:line:col: error: message\n"
void pk_diags_print(const pk_diags_t *self, FILE *out);

#endif
