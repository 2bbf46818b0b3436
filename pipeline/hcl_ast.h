// hcl_ast: the internal shape of a parsed HCL file, shared by the parser
// (hcl_parse*.c), the evaluator (hcl_eval*.c) and the accessors (hcl_ast.c).
// Every node lives in one arena per file: parsing a 10,000-line pipeline
// makes a few hundred thousand small nodes, and freeing them is one pass over
// a handful of chunks. Node kinds follow hclsyntax's expression types so its
// evaluation rules carry over one to one.
#ifndef HCL_AST_H
#define HCL_AST_H
#include "hcl_lex.h"
#include "pk_hcl.h"
#include <stdint.h>

// Arena

typedef struct _hcl_arena_t hcl_arena_t;
hcl_arena_t *hcl_arena_new(void);
void hcl_arena_destroy(hcl_arena_t **self_p);
void *hcl_arena_alloc(hcl_arena_t *self, size_t size);      // zeroed; NULL on OOM
char *hcl_arena_strndup(hcl_arena_t *self, const char *s, size_t len);
void *hcl_arena_memdup(hcl_arena_t *self, const void *p, size_t size);

// Literal values (numbers, bools, null, strings) stored inline in nodes.
typedef enum { HCL_LIT_NULL, HCL_LIT_BOOL, HCL_LIT_NUMBER, HCL_LIT_STRING } hcl_lit_kind_t;
typedef struct {
    hcl_lit_kind_t kind;
    bool b;
    double n;
    const char *s;      // arena, NUL-terminated, may hold NULs (len counts)
    size_t len;
} hcl_lit_t;

// One static traversal step: ".name" or "[literal]" (also legacy ".0").
typedef struct {
    bool is_index;
    const char *name;   // attribute name, when !is_index
    hcl_lit_t key;      // index key, when is_index
    pk_range_t range;
} hcl_step_t;

typedef enum {
    HCL_E_LITERAL,      // lit
    HCL_E_TEMPLATE,     // list: parts concatenated into a string
    HCL_E_WRAP,         // inner: "${x}" alone, passes the value through
    HCL_E_JOIN,         // inner: a tuple "for" (template %{for}) joined to a string
    HCL_E_SCOPE,        // trav: root variable plus static steps
    HCL_E_RELATIVE,     // trav: source expression plus static steps
    HCL_E_INDEX,        // index: collection[key] with a non-literal key
    HCL_E_SPLAT,        // splat: source, each (rooted at item), item (ANON)
    HCL_E_ANON,         // the splat's current element
    HCL_E_CALL,         // call
    HCL_E_UNARY,        // op (lhs only)
    HCL_E_BINARY,       // op
    HCL_E_COND,         // cond (also template %{if})
    HCL_E_FOR,          // fr
    HCL_E_TUPLE,        // list
    HCL_E_OBJECT,       // obj
    HCL_E_PAREN,        // inner
    HCL_E_ERROR         // placeholder left by a syntax error
} hcl_expr_kind_t;

typedef enum {
    HCL_OP_OR, HCL_OP_AND, HCL_OP_EQ, HCL_OP_NE, HCL_OP_LT, HCL_OP_LE, HCL_OP_GT,
    HCL_OP_GE, HCL_OP_ADD, HCL_OP_SUB, HCL_OP_MUL, HCL_OP_DIV, HCL_OP_MOD,
    HCL_OP_NEG, HCL_OP_NOT
} hcl_op_t;

typedef struct {
    pk_hcl_expr_t *key;
    pk_hcl_expr_t *value;
    bool key_is_expr;   // key written in parentheses: always evaluated
} hcl_obj_item_t;

struct _pk_hcl_expr_t {
    hcl_expr_kind_t kind;
    pk_range_t range;
    union {
        hcl_lit_t lit;
        struct {
            pk_hcl_expr_t **items;
            size_t count;
        } list;
        pk_hcl_expr_t *inner;
        struct {
            const char *root;           // SCOPE
            pk_hcl_expr_t *source;      // RELATIVE
            hcl_step_t *steps;
            size_t nsteps;
        } trav;
        struct {
            pk_hcl_expr_t *coll, *key;
            pk_range_t bracket;         // "[" through "]"
        } index;
        struct {
            pk_hcl_expr_t *source, *each, *item;
        } splat;
        struct {
            const char *name;
            pk_range_t name_range;
            pk_hcl_expr_t **args;
            size_t nargs;
            bool expand;                // last argument followed by "..."
        } call;
        struct {
            hcl_op_t op;
            pk_hcl_expr_t *lhs, *rhs;
        } op;
        struct {
            pk_hcl_expr_t *cond, *yes, *no;
        } cond;
        struct {
            const char *key_var;        // NULL when only a value variable
            const char *val_var;
            pk_hcl_expr_t *coll, *key, *val, *cond;
            bool is_object, group;
        } fr;
        struct {
            hcl_obj_item_t *items;
            size_t count;
        } obj;
    } u;
};

struct _pk_hcl_attr_t {
    const char *name;
    pk_range_t name_range;
    pk_range_t range;
    pk_hcl_expr_t *expr;
};

struct _pk_hcl_block_t {
    const char *type;
    pk_range_t type_range;
    pk_range_t range;
    const char **labels;
    pk_range_t *label_ranges;
    size_t nlabels;
    pk_hcl_body_t *body;
};

struct _pk_hcl_body_t {
    pk_hcl_attr_t **attrs;
    size_t nattrs;
    pk_hcl_block_t **blocks;
    size_t nblocks;
    pk_range_t range;
};

struct _pk_hcl_file_t {
    hcl_arena_t *arena;
    const char *name;   // arena
    pk_hcl_body_t *body;
};

// Parser internals shared by hcl_parse.c, hcl_parse_expr.c, hcl_parse_tmpl.c.

#define HCL_MAX_DEPTH 256
#define HCL_MAX_ERRORS 100

typedef struct {
    const char *src;
    const hcl_tok_t *toks;
    size_t ntoks;
    size_t pos;
    bool nl[HCL_MAX_DEPTH * 4 + 8];     // "newlines are significant" stack
    size_t nl_depth;
    bool recovery;      // an error left us somewhere odd: stay quiet
    bool abort;         // nesting too deep or too many errors: stop parsing
    int depth;
    hcl_arena_t *arena;
    pk_diags_t *diags;
    size_t errors;
} hcl_parser_t;

const hcl_tok_t *hcl_p_peek(hcl_parser_t *p);
const hcl_tok_t *hcl_p_read(hcl_parser_t *p);
pk_range_t hcl_p_prev_range(hcl_parser_t *p);
void hcl_p_push_nl(hcl_parser_t *p, bool include);
void hcl_p_pop_nl(hcl_parser_t *p);
void hcl_p_error(hcl_parser_t *p, pk_range_t range, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const hcl_tok_t *hcl_p_recover(hcl_parser_t *p, int end_type);
bool hcl_p_enter(hcl_parser_t *p, pk_range_t at);   // depth++; false when too deep
void hcl_p_leave(hcl_parser_t *p);
bool hcl_p_is_keyword(hcl_parser_t *p, const hcl_tok_t *tok, const char *word);
pk_range_t hcl_range_between(pk_range_t a, pk_range_t b);
pk_hcl_expr_t *hcl_p_new_expr(hcl_parser_t *p, hcl_expr_kind_t kind, pk_range_t range);

typedef struct {
    void *items;
    size_t count, cap;
} hcl_arr_t;
void *hcl_p_arr_push(hcl_parser_t *p, hcl_arr_t *a, size_t size);     // zeroed slot
void *hcl_p_arr_finish(hcl_parser_t *p, hcl_arr_t *a, size_t size);   // into the arena
const char *hcl_p_text(hcl_parser_t *p, const hcl_tok_t *tok);        // token text, arena copy

pk_hcl_expr_t *hcl_parse_expression(hcl_parser_t *p);
// hcl_parse_coll.c; each starts at its opening token ("(" after the name).
pk_hcl_expr_t *hcl_parse_call(hcl_parser_t *p, const hcl_tok_t *name);
pk_hcl_expr_t *hcl_parse_tuple(hcl_parser_t *p);
pk_hcl_expr_t *hcl_parse_object(hcl_parser_t *p);
// After an opening quote or heredoc token has been read.
pk_hcl_expr_t *hcl_parse_template(hcl_parser_t *p, const hcl_tok_t *open);
// A quoted string with no interpolation (block labels); *len gets its length.
char *hcl_parse_string_lit(hcl_parser_t *p, size_t *len, pk_range_t *range);
// Decodes the escapes of a literal token (quoted: backslash escapes too).
char *hcl_p_unescape(hcl_parser_t *p, const hcl_tok_t *tok, bool quoted, size_t *len);

#endif
