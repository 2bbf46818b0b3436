// pk_hcl: HCL2 native syntax (hashicorp/hcl hclsyntax/spec.md) in C.
// pk_hcl_parse turns text into an AST (bodies, attributes, blocks, expressions)
// whose every node keeps its source range; pk_hcl_eval evaluates one expression
// against a context of root variables (var, each, ...) and the built-in function
// library. The AST is immutable after parsing and owned by its pk_hcl_file_t.
// The parser reports syntax errors into a pk_diags_t and still returns what it
// could parse, so validation can report everything at once.
#ifndef PK_HCL_H
#define PK_HCL_H
#include "pk_diag.h"
#include "pk_value.h"

typedef struct _pk_hcl_file_t pk_hcl_file_t;
typedef struct _pk_hcl_body_t pk_hcl_body_t;
typedef struct _pk_hcl_attr_t pk_hcl_attr_t;
typedef struct _pk_hcl_block_t pk_hcl_block_t;
typedef struct _pk_hcl_expr_t pk_hcl_expr_t;
typedef struct _pk_hcl_ctx_t pk_hcl_ctx_t;

// Parsing. filename is used in ranges and diagnostics. Returns NULL only on
// out-of-memory or unreadable file; syntax errors go to diags (check
// pk_diags_errors) and the returned AST holds what parsed cleanly.
pk_hcl_file_t *pk_hcl_parse(const char *filename, const char *src, size_t len, pk_diags_t *diags);
pk_hcl_file_t *pk_hcl_parse_file(const char *path, pk_diags_t *diags);
void pk_hcl_file_destroy(pk_hcl_file_t **self_p);
const pk_hcl_body_t *pk_hcl_file_body(const pk_hcl_file_t *self);
const char *pk_hcl_file_name(const pk_hcl_file_t *self);

// Bodies: attributes and blocks, each in source order.
size_t pk_hcl_body_attr_count(const pk_hcl_body_t *body);
const pk_hcl_attr_t *pk_hcl_body_attr(const pk_hcl_body_t *body, size_t index);
const pk_hcl_attr_t *pk_hcl_body_attr_find(const pk_hcl_body_t *body, const char *name);
size_t pk_hcl_body_block_count(const pk_hcl_body_t *body);
const pk_hcl_block_t *pk_hcl_body_block(const pk_hcl_body_t *body, size_t index);
pk_range_t pk_hcl_body_range(const pk_hcl_body_t *body);     // from "{" to "}" (whole file for the root)

const char *pk_hcl_attr_name(const pk_hcl_attr_t *attr);
pk_range_t pk_hcl_attr_name_range(const pk_hcl_attr_t *attr);
pk_range_t pk_hcl_attr_range(const pk_hcl_attr_t *attr);     // name through end of expression
const pk_hcl_expr_t *pk_hcl_attr_expr(const pk_hcl_attr_t *attr);

const char *pk_hcl_block_type(const pk_hcl_block_t *block);
pk_range_t pk_hcl_block_type_range(const pk_hcl_block_t *block);
size_t pk_hcl_block_label_count(const pk_hcl_block_t *block);
const char *pk_hcl_block_label(const pk_hcl_block_t *block, size_t index);
pk_range_t pk_hcl_block_label_range(const pk_hcl_block_t *block, size_t index);
const pk_hcl_body_t *pk_hcl_block_body(const pk_hcl_block_t *block);
pk_range_t pk_hcl_block_range(const pk_hcl_block_t *block);  // type through closing brace

// Expressions
pk_range_t pk_hcl_expr_range(const pk_hcl_expr_t *expr);
// The bare identifier when the expression is exactly one name with no
// traversal steps (`type = string`), else NULL. HCL calls this a keyword.
const char *pk_hcl_expr_keyword(const pk_hcl_expr_t *expr);
// Calls fn for every variable traversal in expr (including inside templates,
// function arguments, for expressions -- but not the for's own iterator
// names): root is the root name ("var"), attr the first attribute step name
// or NULL ("x" in var.x.y), range the traversal's range.
typedef void (pk_hcl_traversal_fn)(const char *root, const char *attr, pk_range_t range, void *arg);
void pk_hcl_expr_traversals(const pk_hcl_expr_t *expr, pk_hcl_traversal_fn *fn, void *arg);

// Evaluation context: named root variables. A NULL context means no variables
// (functions are always available).
pk_hcl_ctx_t *pk_hcl_ctx_new(void);
void pk_hcl_ctx_destroy(pk_hcl_ctx_t **self_p);
void pk_hcl_ctx_set(pk_hcl_ctx_t *self, const char *name, pk_value_t *value);  // takes ownership
const pk_value_t *pk_hcl_ctx_get(const pk_hcl_ctx_t *self, const char *name);

// Returns a new value, or NULL after adding at least one error to diags
// (undefined variable, unknown function with a "did you mean", type error,
// ...; each error names the offending sub-expression's range).
pk_value_t *pk_hcl_eval(const pk_hcl_expr_t *expr, const pk_hcl_ctx_t *ctx, pk_diags_t *diags);

// Names of the built-in functions, NULL-terminated (for `--help` and the README).
const char *const *pk_hcl_function_names(void);

#endif
