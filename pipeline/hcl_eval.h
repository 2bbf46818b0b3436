// hcl_eval: internal interface between the evaluator (hcl_eval.c,
// hcl_eval_ops.c), the value conversions (hcl_convert.c) and the function
// library (hcl_funcs*.c). One hcl_eval_t lives for one pk_hcl_eval call and
// carries the scope chain of for/splat variables and the resource budget
// that bounds hostile expressions (steps and value sizes).
#ifndef HCL_EVAL_H
#define HCL_EVAL_H
#include "hcl_ast.h"
#include "hcl_value.h"

// Evaluation steps allowed per pk_hcl_eval call (nodes visited, plus one per
// 64 bytes of values built by functions and templates).
#define HCL_MAX_STEPS 4000000

typedef struct hcl_scope {
    const char *name;               // for-expression variable, or NULL
    const pk_hcl_expr_t *anon;      // splat item bound here, when name is NULL
    const pk_value_t *value;
    const struct hcl_scope *up;
} hcl_scope_t;

typedef struct {
    const pk_hcl_ctx_t *ctx;
    pk_diags_t *diags;
    const hcl_scope_t *scope;
    size_t steps;
    size_t errors;
    bool stopped;                   // a resource cap was hit: unwind quietly
} hcl_eval_t;

pk_value_t *hcl_eval_expr(hcl_eval_t *ev, const pk_hcl_expr_t *e);
void hcl_eval_error(hcl_eval_t *ev, pk_range_t range, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// Charges the budget for a freshly built value; false (after reporting) when
// it is too large or the step budget is spent. Destroys *v on failure.
bool hcl_eval_charge(hcl_eval_t *ev, pk_value_t **v, pk_range_t range);

// hcl_eval_ops.c
pk_value_t *hcl_eval_unary(hcl_eval_t *ev, const pk_hcl_expr_t *e);
pk_value_t *hcl_eval_binary(hcl_eval_t *ev, const pk_hcl_expr_t *e);
pk_value_t *hcl_eval_cond(hcl_eval_t *ev, const pk_hcl_expr_t *e);
pk_value_t *hcl_eval_template(hcl_eval_t *ev, const pk_hcl_expr_t *e);
pk_value_t *hcl_eval_join(hcl_eval_t *ev, const pk_hcl_expr_t *e);

// hcl_convert.c: cty's automatic conversions between primitive types.
// Number syntax accepted when converting strings (cty.ParseNumberVal).
bool hcl_parse_number(const char *s, size_t len, double *out);
int hcl_to_number(const pk_value_t *v, double *out);
int hcl_to_bool(const pk_value_t *v, bool *out);
// Primitive to string (numbers as cty prints them); NULL for null/containers.
char *hcl_to_string(const pk_value_t *v, size_t *len);
// "string", "number", "bool", "list", "set", "object" or "null".
const char *hcl_type_name(const pk_value_t *v);
bool hcl_is_primitive(const pk_value_t *v);
// cty type unification, applied to values in place: primitives of mixed
// kinds become strings (number with bool cannot unify), lists of one length
// unify element by element (else all elements together), objects with the
// same keys unify attribute by attribute (else all values together, as a
// map). -1 when no common type exists. NULL entries and nulls are skipped.
int hcl_unify(pk_value_t **vals, size_t n);
// hcl_unify over a list's (or object's) own elements.
int hcl_unify_elements(pk_value_t *coll);

// hcl_funcs.c
pk_value_t *hcl_eval_call(hcl_eval_t *ev, const pk_hcl_expr_t *e);

#endif
