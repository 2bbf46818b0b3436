// hcl_parse_expr: the expression grammar (hclsyntax parser.go's
// parseTernaryConditional down to parseExpressionTerm): conditionals,
// binary operators by precedence level, postfix traversals and splats, and
// terms (literals, variables, parentheses; calls, tuples, objects and for
// expressions are in hcl_parse_coll.c). Every construct that nests counts against HCL_MAX_DEPTH,
// including long operator chains and index chains, because they become deep
// left-nested trees that the evaluator walks recursively.
#include "hcl_ast.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static pk_hcl_expr_t *s_parse_postfix(hcl_parser_t *p);

static pk_hcl_expr_t *
s_error_expr(hcl_parser_t *p, pk_range_t range)
{
    return hcl_p_new_expr(p, HCL_E_ERROR, range);
}

static size_t
s_tok_len(const hcl_tok_t *tok)
{
    return tok->range.end.byte - tok->range.start.byte;
}

// Number literal text to a value, as cty.ParseNumberVal accepts it.
static bool
s_number(hcl_parser_t *p, const hcl_tok_t *tok, double *out)
{
    const char *s = p->src + tok->range.start.byte;
    size_t n = s_tok_len(tok);
    char buf[128];
    if (n >= sizeof buf) {
        // Very long digit strings are still valid numbers; strtod needs a copy.
        char *copy = strndup(s, n);
        if (!copy)
            return false;
        char *end;
        *out = strtod(copy, &end);
        bool ok = *end == '\0' && isfinite(*out);
        free(copy);
        return ok;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    // Reject forms strtod accepts but HCL does not (the lexer already
    // guarantees digits first; "1..2" and "1.2.3" fail the end check).
    char *end;
    *out = strtod(buf, &end);
    return *end == '\0' && isfinite(*out);
}

static pk_hcl_expr_t *
s_number_expr(hcl_parser_t *p, const hcl_tok_t *tok)
{
    pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_LITERAL, tok->range);
    e->u.lit.kind = HCL_LIT_NUMBER;
    if (!s_number(p, tok, &e->u.lit.n))
        hcl_p_error(p, tok->range, "Invalid number literal; Failed to recognize the value of this number "
                    "literal.");
    return e;
}

// Attaches pending static steps to ret: a fresh variable takes them
// directly, anything else gets wrapped in a relative traversal.
static pk_hcl_expr_t *
s_flush_steps(hcl_parser_t *p, pk_hcl_expr_t *ret, hcl_arr_t *steps)
{
    if (steps->count == 0)
        return ret;
    size_t n = steps->count;
    hcl_step_t *arr = hcl_p_arr_finish(p, steps, sizeof(hcl_step_t));
    *steps = (hcl_arr_t) { 0 };
    pk_range_t range = hcl_range_between(ret->range, arr ? arr[n - 1].range : ret->range);
    if (ret->kind == HCL_E_SCOPE && ret->u.trav.nsteps == 0) {
        ret->u.trav.steps = arr;
        ret->u.trav.nsteps = arr ? n : 0;
        ret->range = range;
        return ret;
    }
    pk_hcl_expr_t *rel = hcl_p_new_expr(p, HCL_E_RELATIVE, range);
    rel->u.trav.source = ret;
    rel->u.trav.steps = arr;
    rel->u.trav.nsteps = arr ? n : 0;
    return rel;
}

// ".0" legacy index. Returns false (after an error) for ".0.1".
static bool
s_legacy_index(hcl_parser_t *p, const hcl_tok_t *num, hcl_step_t *step)
{
    const char *s = p->src + num->range.start.byte;
    size_t n = s_tok_len(num);
    const char *dot = memchr(s, '.', n);
    step->is_index = true;
    step->key.kind = HCL_LIT_NUMBER;
    if (dot) {
        hcl_p_error(p, num->range, "Invalid legacy index syntax; When using the legacy index syntax, "
                    "chaining two indexes together is not permitted. Use the proper index syntax instead, "
                    "like [%.*s][%.*s].", (int) (dot - s), s, (int) (n - (size_t) (dot - s) - 1), dot + 1);
        step->key.kind = HCL_LIT_NULL;
        return false;
    }
    if (!s_number(p, num, &step->key.n))
        hcl_p_error(p, num->range, "Invalid number literal; Failed to recognize the value of this number "
                    "literal.");
    return true;
}

// ".*" followed by attribute steps, applied to each element.
static pk_hcl_expr_t *
s_attr_splat(hcl_parser_t *p, pk_hcl_expr_t *source, const hcl_tok_t *dot, const hcl_tok_t *star)
{
    pk_hcl_expr_t *item = hcl_p_new_expr(p, HCL_E_ANON, hcl_range_between(dot->range, star->range));
    hcl_arr_t steps = { 0 };
    pk_range_t last = star->range;
    while (hcl_p_peek(p)->type == HCL_T_DOT && !p->abort) {
        const hcl_tok_t *d = hcl_p_read(p);
        const hcl_tok_t *t = hcl_p_peek(p);
        if (t->type == HCL_T_NUMBER) {
            hcl_p_read(p);
            hcl_step_t *step = hcl_p_arr_push(p, &steps, sizeof *step);
            if (step) {
                s_legacy_index(p, t, step);
                step->range = hcl_range_between(d->range, t->range);
            }
            last = t->range;
            continue;
        }
        if (t->type != HCL_T_IDENT) {
            if (!p->recovery) {
                if (t->type == HCL_T_STAR)
                    hcl_p_error(p, t->range, "Nested splat expression not allowed; A splat expression (*) "
                                "cannot be used inside another attribute-only splat expression.");
                else
                    hcl_p_error(p, t->range, "Invalid attribute name; An attribute name is required after "
                                "a dot.");
            }
            p->recovery = true;
            break;
        }
        hcl_p_read(p);
        hcl_step_t *step = hcl_p_arr_push(p, &steps, sizeof *step);
        if (step) {
            step->name = hcl_p_text(p, t);
            step->range = hcl_range_between(d->range, t->range);
        }
        last = t->range;
    }
    pk_hcl_expr_t *each = item;
    if (steps.count) {
        size_t n = steps.count;
        each = hcl_p_new_expr(p, HCL_E_RELATIVE, hcl_range_between(dot->range, last));
        each->u.trav.source = item;
        each->u.trav.steps = hcl_p_arr_finish(p, &steps, sizeof(hcl_step_t));
        each->u.trav.nsteps = each->u.trav.steps ? n : 0;
    }
    else
        free(steps.items);
    pk_hcl_expr_t *splat = hcl_p_new_expr(p, HCL_E_SPLAT, hcl_range_between(source->range, last));
    splat->u.splat.source = source;
    splat->u.splat.each = each;
    splat->u.splat.item = item;
    return splat;
}

// Postfix operators after a term: ".attr", ".0", "[key]", ".*", "[*]".
static pk_hcl_expr_t *
s_parse_traversals(hcl_parser_t *p, pk_hcl_expr_t *from)
{
    pk_hcl_expr_t *ret = from;
    hcl_arr_t steps = { 0 };
    int entered = 0;
    while (!p->abort) {
        const hcl_tok_t *next = hcl_p_peek(p);
        if (next->type == HCL_T_DOT) {
            const hcl_tok_t *dot = hcl_p_read(p);
            const hcl_tok_t *t = hcl_p_peek(p);
            if (t->type == HCL_T_IDENT || t->type == HCL_T_NUMBER) {
                hcl_p_read(p);
                hcl_step_t *step = hcl_p_arr_push(p, &steps, sizeof *step);
                if (!step)
                    break;
                step->range = hcl_range_between(dot->range, t->range);
                if (t->type == HCL_T_IDENT)
                    step->name = hcl_p_text(p, t);
                else
                    s_legacy_index(p, t, step);
                continue;
            }
            if (t->type == HCL_T_STAR) {
                const hcl_tok_t *star = hcl_p_read(p);
                ret = s_flush_steps(p, ret, &steps);
                ret = s_attr_splat(p, ret, dot, star);
                continue;
            }
            if (!p->recovery)
                hcl_p_error(p, t->range, "Invalid attribute name; An attribute name is required after a dot.");
            p->recovery = true;
            continue;
        }
        if (next->type != HCL_T_OBRACK)
            break;
        const hcl_tok_t *open = hcl_p_read(p);
        if (hcl_p_peek(p)->type == HCL_T_STAR) {
            hcl_p_read(p);
            const hcl_tok_t *close = hcl_p_read(p);
            if (close->type != HCL_T_CBRACK && !p->recovery) {
                hcl_p_error(p, close->range, "Missing close bracket on splat index; The star for a full "
                            "splat operator must be immediately followed by a closing bracket (\"]\").");
                close = hcl_p_recover(p, HCL_T_CBRACK);
            }
            ret = s_flush_steps(p, ret, &steps);
            if (!hcl_p_enter(p, open->range))
                break;
            entered++;
            pk_hcl_expr_t *item = hcl_p_new_expr(p, HCL_E_ANON, hcl_range_between(open->range, close->range));
            pk_hcl_expr_t *each = s_parse_traversals(p, item);
            pk_hcl_expr_t *splat = hcl_p_new_expr(p, HCL_E_SPLAT, hcl_range_between(from->range, each->range));
            splat->u.splat.source = ret;
            splat->u.splat.each = each;
            splat->u.splat.item = item;
            ret = splat;
            continue;
        }
        hcl_p_push_nl(p, false);
        size_t errors = p->errors;
        pk_hcl_expr_t *key = hcl_parse_expression(p);
        const hcl_tok_t *close;
        if (p->recovery && p->errors > errors)
            close = hcl_p_recover(p, HCL_T_CBRACK);
        else {
            close = hcl_p_read(p);
            if (close->type != HCL_T_CBRACK && !p->recovery) {
                hcl_p_error(p, close->range, "Missing close bracket on index; The index operator must end "
                            "with a closing bracket (\"]\").");
                close = hcl_p_recover(p, HCL_T_CBRACK);
            }
        }
        hcl_p_pop_nl(p);
        pk_range_t range = hcl_range_between(open->range, close->range);
        const pk_hcl_expr_t *lit = key;
        if (key->kind == HCL_E_TEMPLATE && key->u.list.count == 1
        &&  key->u.list.items[0]->kind == HCL_E_LITERAL)
            lit = key->u.list.items[0];
        if (lit->kind == HCL_E_LITERAL) {
            hcl_step_t *step = hcl_p_arr_push(p, &steps, sizeof *step);
            if (!step)
                break;
            step->is_index = true;
            step->key = lit->u.lit;
            step->range = range;
            continue;
        }
        ret = s_flush_steps(p, ret, &steps);
        if (!hcl_p_enter(p, open->range))
            break;
        entered++;
        pk_hcl_expr_t *index = hcl_p_new_expr(p, HCL_E_INDEX, hcl_range_between(from->range, range));
        index->u.index.coll = ret;
        index->u.index.key = key;
        index->u.index.bracket = range;
        ret = index;
    }
    ret = s_flush_steps(p, ret, &steps);
    p->depth -= entered;
    return ret;
}

static pk_hcl_expr_t *
s_parse_term(hcl_parser_t *p)
{
    const hcl_tok_t *start = hcl_p_peek(p);
    switch (start->type) {
    case HCL_T_OPAREN: {
        hcl_p_read(p);
        hcl_p_push_nl(p, false);
        size_t errors = p->errors;
        pk_hcl_expr_t *inner = hcl_parse_expression(p);
        const hcl_tok_t *close;
        if (p->errors > errors && p->recovery)
            close = hcl_p_recover(p, HCL_T_CPAREN);
        else {
            close = hcl_p_peek(p);
            if (close->type != HCL_T_CPAREN) {
                if (!p->recovery)
                    hcl_p_error(p, close->range, "Unbalanced parentheses; Expected a closing parenthesis "
                                "to terminate the expression.");
                p->recovery = true;
            }
            close = hcl_p_read(p);
        }
        hcl_p_pop_nl(p);
        pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_PAREN, hcl_range_between(start->range, close->range));
        e->u.inner = inner;
        return e;
    }
    case HCL_T_NUMBER:
        return s_number_expr(p, hcl_p_read(p));
    case HCL_T_IDENT: {
        const hcl_tok_t *tok = hcl_p_read(p);
        if (hcl_p_peek(p)->type == HCL_T_OPAREN)
            return hcl_parse_call(p, tok);
        pk_hcl_expr_t *e;
        if (hcl_p_is_keyword(p, tok, "true") || hcl_p_is_keyword(p, tok, "false")) {
            e = hcl_p_new_expr(p, HCL_E_LITERAL, tok->range);
            e->u.lit.kind = HCL_LIT_BOOL;
            e->u.lit.b = hcl_p_is_keyword(p, tok, "true");
            return e;
        }
        if (hcl_p_is_keyword(p, tok, "null"))
            return hcl_p_new_expr(p, HCL_E_LITERAL, tok->range);
        e = hcl_p_new_expr(p, HCL_E_SCOPE, tok->range);
        e->u.trav.root = hcl_p_text(p, tok);
        return e;
    }
    case HCL_T_OQUOTE:
    case HCL_T_OHEREDOC:
        return hcl_parse_template(p, hcl_p_read(p));
    case HCL_T_MINUS:
    case HCL_T_BANG: {
        const hcl_tok_t *tok = hcl_p_read(p);
        if (!hcl_p_enter(p, tok->range))
            return s_error_expr(p, tok->range);
        pk_hcl_expr_t *operand = s_parse_postfix(p);
        hcl_p_leave(p);
        pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_UNARY, hcl_range_between(tok->range, operand->range));
        e->u.op.op = tok->type == HCL_T_MINUS ? HCL_OP_NEG : HCL_OP_NOT;
        e->u.op.lhs = operand;
        return e;
    }
    case HCL_T_OBRACK:
        return hcl_parse_tuple(p);
    case HCL_T_OBRACE:
        return hcl_parse_object(p);
    default:
        if (!p->recovery) {
            if (start->type == HCL_T_EOF)
                hcl_p_error(p, start->range, "Missing expression; Expected the start of an expression, but "
                            "found the end of the file.");
            else if (start->type != HCL_T_INVALID)
                hcl_p_error(p, start->range, "Invalid expression; Expected the start of an expression, but "
                            "found %s.", hcl_tok_name(start->type));
        }
        p->recovery = true;
        return s_error_expr(p, start->range);
    }
}

static pk_hcl_expr_t *
s_parse_postfix(hcl_parser_t *p)
{
    return s_parse_traversals(p, s_parse_term(p));
}

static int
s_binary_level(int type, hcl_op_t *op)
{
    switch (type) {
    case HCL_T_OR: *op = HCL_OP_OR; return 1;
    case HCL_T_AND: *op = HCL_OP_AND; return 2;
    case HCL_T_EQOP: *op = HCL_OP_EQ; return 3;
    case HCL_T_NOTEQ: *op = HCL_OP_NE; return 3;
    case HCL_T_GT: *op = HCL_OP_GT; return 4;
    case HCL_T_GE: *op = HCL_OP_GE; return 4;
    case HCL_T_LT: *op = HCL_OP_LT; return 4;
    case HCL_T_LE: *op = HCL_OP_LE; return 4;
    case HCL_T_PLUS: *op = HCL_OP_ADD; return 5;
    case HCL_T_MINUS: *op = HCL_OP_SUB; return 5;
    case HCL_T_STAR: *op = HCL_OP_MUL; return 6;
    case HCL_T_SLASH: *op = HCL_OP_DIV; return 6;
    case HCL_T_PERCENT: *op = HCL_OP_MOD; return 6;
    default: return 0;
    }
}

static pk_hcl_expr_t *
s_parse_binary(hcl_parser_t *p, int level)
{
    if (level > 6)
        return s_parse_postfix(p);
    size_t errors = p->errors;
    pk_hcl_expr_t *lhs = s_parse_binary(p, level + 1);
    if (p->recovery && p->errors > errors)
        return lhs;
    int entered = 0;
    while (!p->abort) {
        hcl_op_t op = HCL_OP_OR;
        const hcl_tok_t *tok = hcl_p_peek(p);
        if (s_binary_level(tok->type, &op) != level)
            break;
        if (!hcl_p_enter(p, tok->range))
            break;
        entered++;
        hcl_p_read(p);
        pk_hcl_expr_t *rhs = s_parse_binary(p, level + 1);
        pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_BINARY, hcl_range_between(lhs->range, rhs->range));
        e->u.op.op = op;
        e->u.op.lhs = lhs;
        e->u.op.rhs = rhs;
        lhs = e;
        if (p->recovery && p->errors > errors)
            break;
    }
    p->depth -= entered;
    return lhs;
}

pk_hcl_expr_t *
hcl_parse_expression(hcl_parser_t *p)
{
    const hcl_tok_t *start = hcl_p_peek(p);
    if (!hcl_p_enter(p, start->range))
        return s_error_expr(p, start->range);
    size_t errors = p->errors;
    pk_hcl_expr_t *cond = s_parse_binary(p, 1);
    pk_hcl_expr_t *result = cond;
    if (!(p->recovery && p->errors > errors) && hcl_p_peek(p)->type == HCL_T_QUESTION) {
        hcl_p_read(p);
        pk_hcl_expr_t *yes = hcl_parse_expression(p);
        const hcl_tok_t *colon = hcl_p_peek(p);
        if (p->recovery && p->errors > errors)
            ;
        else if (colon->type != HCL_T_COLON)
            hcl_p_error(p, colon->range, "Missing false expression in conditional; The conditional operator "
                        "(...?...:...) requires a false expression, delimited by a colon.");
        else {
            hcl_p_read(p);
            pk_hcl_expr_t *no = hcl_parse_expression(p);
            result = hcl_p_new_expr(p, HCL_E_COND, hcl_range_between(cond->range, no->range));
            result->u.cond.cond = cond;
            result->u.cond.yes = yes;
            result->u.cond.no = no;
        }
    }
    hcl_p_leave(p);
    return result;
}
