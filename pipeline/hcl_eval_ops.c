// hcl_eval_ops: operators, conditionals and templates, following hclsyntax's
// expression_ops.go / expression_template.go and cty's stdlib operator
// functions. Both operands are always evaluated (no short circuit), as in
// hclsyntax. Deviation: x/0 is an error rather than cty's infinity, because
// infinity has no JSON or string form the rest of the system could use.
#include "hcl_buf.h"
#include "hcl_eval.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *
s_side(int side)
{
    return side == 0 ? "left" : side == 1 ? "right" : "unary";
}

// Operand conversion; on failure reports and returns -1.
static int
s_number_operand(hcl_eval_t *ev, const pk_hcl_expr_t *operand, const pk_value_t *v, int side, double *out)
{
    if (pk_value_kind(v) == PK_V_NULL)
        return 1;   // converts, but the operation itself rejects it later
    if (hcl_to_number(v, out) == 0)
        return 0;
    hcl_eval_error(ev, operand->range, "Invalid operand; Unsuitable value for %s operand: a number is "
                   "required.", s_side(side));
    return -1;
}

static int
s_bool_operand(hcl_eval_t *ev, const pk_hcl_expr_t *operand, const pk_value_t *v, int side, bool *out)
{
    if (pk_value_kind(v) == PK_V_NULL)
        return 1;
    if (hcl_to_bool(v, out) == 0)
        return 0;
    hcl_eval_error(ev, operand->range, "Invalid operand; Unsuitable value for %s operand: a bool is "
                   "required.", s_side(side));
    return -1;
}

static pk_value_t *
s_op_failed(hcl_eval_t *ev, const pk_hcl_expr_t *e, const char *why)
{
    hcl_eval_error(ev, e->range, "Operation failed; Error during operation: %s.", why);
    return NULL;
}

pk_value_t *
hcl_eval_unary(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *v = hcl_eval_expr(ev, e->u.op.lhs);
    if (!v)
        return NULL;
    pk_value_t *out = NULL;
    if (e->u.op.op == HCL_OP_NOT) {
        bool b = false;
        int rc = s_bool_operand(ev, e->u.op.lhs, v, 2, &b);
        if (rc == 0)
            out = pk_value_new_bool(!b);
        else if (rc > 0)
            s_op_failed(ev, e, "argument must not be null");
    }
    else {
        double n = 0;
        int rc = s_number_operand(ev, e->u.op.lhs, v, 2, &n);
        if (rc == 0)
            out = pk_value_new_number(n == 0 ? 0 : -n);
        else if (rc > 0)
            s_op_failed(ev, e, "argument must not be null");
    }
    pk_value_destroy(&v);
    return out;
}

static pk_value_t *
s_arith(hcl_eval_t *ev, const pk_hcl_expr_t *e, double a, double b)
{
    double r = 0;
    switch (e->u.op.op) {
    case HCL_OP_ADD: r = a + b; break;
    case HCL_OP_SUB: r = a - b; break;
    case HCL_OP_MUL: r = a * b; break;
    case HCL_OP_DIV:
        if (b == 0)
            return s_op_failed(ev, e, a == 0 ? "can't divide zero by zero" : "can't divide by zero");
        r = a / b;
        break;
    case HCL_OP_MOD: r = b == 0 ? a : fmod(a, b); break;
    case HCL_OP_LT: return pk_value_new_bool(a < b);
    case HCL_OP_LE: return pk_value_new_bool(a <= b);
    case HCL_OP_GT: return pk_value_new_bool(a > b);
    case HCL_OP_GE: return pk_value_new_bool(a >= b);
    default: break;
    }
    if (!isfinite(r))
        return s_op_failed(ev, e, "the result is out of range");
    return pk_value_new_number(r == 0 ? 0 : r);
}

pk_value_t *
hcl_eval_binary(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *lhs = hcl_eval_expr(ev, e->u.op.lhs);
    pk_value_t *rhs = hcl_eval_expr(ev, e->u.op.rhs);
    pk_value_t *out = NULL;
    if (!lhs || !rhs)
        goto done;
    hcl_op_t op = e->u.op.op;
    if (op == HCL_OP_EQ || op == HCL_OP_NE) {
        bool eq = pk_value_equal(lhs, rhs);
        out = pk_value_new_bool(op == HCL_OP_EQ ? eq : !eq);
    }
    else if (op == HCL_OP_AND || op == HCL_OP_OR) {
        bool a = false, b = false;
        int ra = s_bool_operand(ev, e->u.op.lhs, lhs, 0, &a);
        int rb = s_bool_operand(ev, e->u.op.rhs, rhs, 1, &b);
        if (ra == 0 && rb == 0)
            out = pk_value_new_bool(op == HCL_OP_AND ? a && b : a || b);
        else if (ra >= 0 && rb >= 0)
            s_op_failed(ev, e, "argument must not be null");
    }
    else {
        double a = 0, b = 0;
        int ra = s_number_operand(ev, e->u.op.lhs, lhs, 0, &a);
        int rb = s_number_operand(ev, e->u.op.rhs, rhs, 1, &b);
        if (ra == 0 && rb == 0)
            out = s_arith(ev, e, a, b);
        else if (ra >= 0 && rb >= 0)
            s_op_failed(ev, e, "argument must not be null");
    }
done:
    pk_value_destroy(&lhs);
    pk_value_destroy(&rhs);
    return out;
}

// Evaluates a conditional branch into its own diagnostics list, so errors
// in the branch that is not taken can be dropped (spec: "errors are passed
// through only if the erroneous expression is selected").
static pk_value_t *
s_branch(hcl_eval_t *ev, const pk_hcl_expr_t *e, pk_diags_t *into, size_t *errors)
{
    pk_diags_t *saved = ev->diags;
    size_t saved_errors = ev->errors;
    ev->diags = into;
    ev->errors = 0;
    pk_value_t *v = hcl_eval_expr(ev, e);
    *errors = ev->errors;
    ev->diags = saved;
    ev->errors = saved_errors;
    return v;
}

static void
s_copy_diags(hcl_eval_t *ev, const pk_diags_t *from, size_t errors)
{
    for (size_t i = 0; i < pk_diags_count(from); i++) {
        const pk_diag_t *d = pk_diags_at(from, i);
        pk_diags_error(ev->diags, d->range, "%s", d->message);
    }
    ev->errors += errors;
}

// Both results are converted to their common type (cty unification), so
// `true ? 1 : "a"` is the string "1"; results with no common type are an
// error even when the condition would pick one of them.
static bool
s_unify(hcl_eval_t *ev, const pk_hcl_expr_t *e, pk_value_t **yes, pk_value_t **no)
{
    if (!*yes || !*no)
        return true;
    const char *ty = hcl_type_name(*yes), *tn = hcl_type_name(*no);
    pk_value_t *pair[2] = { *yes, *no };
    int rc = hcl_unify(pair, 2);
    *yes = pair[0];
    *no = pair[1];
    if (rc == 0)
        return true;
    hcl_eval_error(ev, hcl_range_between(e->u.cond.yes->range, e->u.cond.no->range),
                   "Inconsistent conditional result types; The true and false result expressions must have "
                   "consistent types. The 'true' value is %s, but the 'false' value is %s.", ty, tn);
    return false;
}

pk_value_t *
hcl_eval_cond(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_diags_t *dy = pk_diags_new(), *dn = pk_diags_new();
    size_t ey = 0, en = 0;
    pk_value_t *yes = s_branch(ev, e->u.cond.yes, dy, &ey);
    pk_value_t *no = s_branch(ev, e->u.cond.no, dn, &en);
    pk_value_t *out = NULL;
    if (ev->stopped) {
        s_copy_diags(ev, dy, ey);
        s_copy_diags(ev, dn, en);
        goto done;
    }
    pk_value_t *c = hcl_eval_expr(ev, e->u.cond.cond);
    bool b = false;
    if (c && pk_value_kind(c) == PK_V_NULL)
        hcl_eval_error(ev, e->u.cond.cond->range, "Null condition; The condition value is null. Conditions "
                       "must either be true or false.");
    else if (c && hcl_to_bool(c, &b) < 0)
        hcl_eval_error(ev, e->u.cond.cond->range, "Incorrect condition type; The condition expression must "
                       "be of type bool.");
    else if (c) {
        pk_value_t **chosen = b ? &yes : &no;
        s_copy_diags(ev, b ? dy : dn, b ? ey : en);
        if (*chosen && s_unify(ev, e, &yes, &no)) {
            out = *chosen;
            *chosen = NULL;
        }
    }
    pk_value_destroy(&c);
done:
    pk_value_destroy(&yes);
    pk_value_destroy(&no);
    pk_diags_destroy(&dy);
    pk_diags_destroy(&dn);
    return out;
}

static pk_value_t *
s_finish_string(hcl_eval_t *ev, const pk_hcl_expr_t *e, hcl_buf_t *b, bool failed)
{
    if (b->overflow && !failed) {
        hcl_eval_error(ev, e->range, "String too long; This template produces a string longer than the "
                       "%zu MiB limit.", (size_t) HCL_MAX_STRING >> 20);
        failed = true;
    }
    if (failed) {
        hcl_buf_free(b);
        return NULL;
    }
    size_t len;
    char *s = hcl_buf_take(b, &len);
    pk_value_t *v = s ? hcl_value_string_nfc(s, len) : NULL;
    return hcl_eval_charge(ev, &v, e->range) ? v : NULL;
}

pk_value_t *
hcl_eval_template(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    hcl_buf_t b;
    hcl_buf_init(&b);
    bool failed = false;
    for (size_t i = 0; i < e->u.list.count && !ev->stopped && !b.overflow; i++) {
        const pk_hcl_expr_t *part = e->u.list.items[i];
        if (part->kind == HCL_E_LITERAL && part->u.lit.kind == HCL_LIT_STRING) {
            hcl_buf_add(&b, part->u.lit.s, part->u.lit.len);
            continue;
        }
        pk_value_t *v = hcl_eval_expr(ev, part);
        if (!v) {
            failed = true;
            continue;
        }
        size_t len;
        char *s = hcl_to_string(v, &len);
        if (pk_value_kind(v) == PK_V_NULL) {
            hcl_eval_error(ev, part->range, "Invalid template interpolation value; The expression result is "
                           "null. Cannot include a null value in a string template.");
            failed = true;
        }
        else if (!s) {
            hcl_eval_error(ev, part->range, "Invalid template interpolation value; Cannot include the given "
                           "value in a string template: string required.");
            failed = true;
        }
        else
            hcl_buf_add(&b, s, len);
        free(s);
        pk_value_destroy(&v);
    }
    return s_finish_string(ev, e, &b, failed || ev->stopped);
}

pk_value_t *
hcl_eval_join(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *list = hcl_eval_expr(ev, e->u.inner);
    if (!list)
        return NULL;
    hcl_buf_t b;
    hcl_buf_init(&b);
    bool failed = false;
    for (size_t i = 0; i < pk_value_len(list) && !b.overflow; i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        size_t len;
        char *s = hcl_to_string(item, &len);
        if (!s) {
            hcl_eval_error(ev, e->range, "Invalid template interpolation value; An iteration result is null. "
                           "Cannot include a null value in a string template.");
            failed = true;
            break;
        }
        hcl_buf_add(&b, s, len);
        free(s);
    }
    pk_value_destroy(&list);
    return s_finish_string(ev, e, &b, failed);
}
