// hcl_eval: expression evaluation per the HCL spec and hclsyntax's
// expression.go: variables and traversals, index and attribute access,
// splats, tuples, objects and for expressions, plus the evaluation context
// (pk_hcl_ctx_t) and the resource budget. Traversals walk borrowed pointers
// into the context and copy only the final value, so `var.big.list[0]`
// costs one small copy. Operators, conditionals and templates are in
// hcl_eval_ops.c; functions in hcl_funcs*.c.
#include "hcl_eval.h"
#include "pk_suggest.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Context

struct _pk_hcl_ctx_t {
    pk_value_t *vars;   // object: name -> value
};

pk_hcl_ctx_t *
pk_hcl_ctx_new(void)
{
    pk_hcl_ctx_t *self = calloc(1, sizeof *self);
    if (self)
        self->vars = pk_value_new_object();
    return self;
}

void
pk_hcl_ctx_destroy(pk_hcl_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_value_destroy(&(*self_p)->vars);
    free(*self_p);
    *self_p = NULL;
}

void
pk_hcl_ctx_set(pk_hcl_ctx_t *self, const char *name, pk_value_t *value)
{
    if (!self || !name) {
        pk_value_destroy(&value);
        return;
    }
    pk_value_object_set(self->vars, name, value ? value : pk_value_new_null());
}

const pk_value_t *
pk_hcl_ctx_get(const pk_hcl_ctx_t *self, const char *name)
{
    return self ? pk_value_object_get(self->vars, name) : NULL;
}

// Errors and budget

void
hcl_eval_error(hcl_eval_t *ev, pk_range_t range, const char *fmt, ...)
{
    ev->errors++;
    if (ev->stopped && ev->errors > 1)
        return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    pk_diags_error(ev->diags, range, "%s", msg ? msg : "evaluation failed");
    free(msg);
}

static bool
s_stop(hcl_eval_t *ev, pk_range_t range, const char *msg)
{
    if (!ev->stopped) {
        ev->stopped = true;
        ev->errors++;
        pk_diags_error(ev->diags, range, "%s", msg);
    }
    return false;
}

bool
hcl_eval_charge(hcl_eval_t *ev, pk_value_t **v, pk_range_t range)
{
    if (!*v)
        return false;
    size_t w = hcl_value_weight(*v);
    ev->steps += w / 64;
    if (w > HCL_MAX_WEIGHT) {
        pk_value_destroy(v);
        return s_stop(ev, range, "Value too large; This expression builds a value larger than the 64 MiB "
                      "evaluation limit.");
    }
    if (ev->steps > HCL_MAX_STEPS) {
        pk_value_destroy(v);
        return s_stop(ev, range, "Expression too complex; Evaluating this expression takes more work than "
                      "the evaluation limit allows.");
    }
    return true;
}

// Variables

static const pk_value_t *
s_lookup(hcl_eval_t *ev, const char *name)
{
    for (const hcl_scope_t *s = ev->scope; s; s = s->up)
        if (s->name && strcmp(s->name, name) == 0)
            return s->value;
    return pk_hcl_ctx_get(ev->ctx, name);
}

static void
s_unknown_variable(hcl_eval_t *ev, const char *name, pk_range_t range)
{
    size_t n = 0;
    for (const hcl_scope_t *s = ev->scope; s; s = s->up)
        n++;
    const pk_value_t *vars = ev->ctx ? ev->ctx->vars : NULL;
    const char **cands = calloc(n + pk_value_len(vars) + 1, sizeof *cands);
    size_t k = 0;
    for (const hcl_scope_t *s = ev->scope; cands && s; s = s->up)
        if (s->name)
            cands[k++] = s->name;
    for (size_t i = 0; cands && i < pk_value_len(vars); i++)
        cands[k++] = pk_value_object_key(vars, i);
    const char *sugg = cands ? pk_suggest(name, cands) : NULL;
    hcl_eval_error(ev, range, "Unknown variable; There is no variable named \"%s\".%s%s%s", name,
                   sugg ? " Did you mean \"" : "", sugg ? sugg : "", sugg ? "\"?" : "");
    free(cands);
}

// Attribute and index access, on borrowed values.

static const pk_value_t *
s_get_attr(hcl_eval_t *ev, const pk_value_t *v, const char *name, pk_range_t range)
{
    switch (pk_value_kind(v)) {
    case PK_V_NULL:
        hcl_eval_error(ev, range, "Attempt to get attribute from null value; This value is null, so it does "
                       "not have any attributes.");
        return NULL;
    case PK_V_OBJECT: {
        const pk_value_t *item = pk_value_object_get(v, name);
        if (item)
            return item;
        size_t n = pk_value_len(v);
        const char **keys = calloc(n + 1, sizeof *keys);
        for (size_t i = 0; keys && i < n; i++)
            keys[i] = pk_value_object_key(v, i);
        const char *sugg = keys ? pk_suggest(name, keys) : NULL;
        hcl_eval_error(ev, range, "Unsupported attribute; This object does not have an attribute named "
                       "\"%s\".%s%s%s", name, sugg ? " Did you mean \"" : "", sugg ? sugg : "",
                       sugg ? "\"?" : "");
        free(keys);
        return NULL;
    }
    case PK_V_LIST:
        if (pk_value_is_set(v))
            hcl_eval_error(ev, range, "Unsupported attribute; Can't access attributes on a set of objects. "
                           "Did you mean to access an attribute across all elements of the set?");
        else
            hcl_eval_error(ev, range, "Unsupported attribute; Can't access attributes on a list of objects. "
                           "Did you mean to access attribute \"%s\" for a specific element of the list, or "
                           "across all elements of the list?", name);
        return NULL;
    default:
        hcl_eval_error(ev, range, "Unsupported attribute; Can't access attributes on a primitive-typed value "
                       "(%s).", hcl_type_name(v));
        return NULL;
    }
}

static const pk_value_t *
s_index(hcl_eval_t *ev, const pk_value_t *coll, const pk_value_t *key, pk_range_t range)
{
    if (pk_value_kind(coll) == PK_V_NULL) {
        hcl_eval_error(ev, range, "Attempt to index null value; This value is null, so it does not have any "
                       "indices.");
        return NULL;
    }
    if (pk_value_kind(key) == PK_V_NULL) {
        hcl_eval_error(ev, range, "Invalid index; Can't use a null value as an indexing key.");
        return NULL;
    }
    if (pk_value_kind(coll) == PK_V_LIST) {
        if (pk_value_is_set(coll)) {
            hcl_eval_error(ev, range, "Invalid index; Elements of a set are identified only by their value and "
                           "don't have any separate index or key to select with, so it's only possible to "
                           "perform operations across all elements of the set.");
            return NULL;
        }
        double n;
        if (hcl_to_number(key, &n) < 0) {
            hcl_eval_error(ev, range, "Invalid index; The given key does not identify an element in this "
                           "collection value: a number is required.");
            return NULL;
        }
        if (n != floor(n)) {
            hcl_eval_error(ev, range, "Invalid index; The given key does not identify an element in this "
                           "collection value: indexing a sequence requires a whole number, but the given index "
                           "has a fractional part.");
            return NULL;
        }
        if (n < 0) {
            hcl_eval_error(ev, range, "Invalid index; The given key does not identify an element in this "
                           "collection value: a negative number is not a valid index for a sequence.");
            return NULL;
        }
        if (n >= (double) pk_value_len(coll)) {
            hcl_eval_error(ev, range, "Invalid index; The given key does not identify an element in this "
                           "collection value: %s.", pk_value_len(coll) == 0 ? "the collection has no elements"
                           : "the given index is greater than or equal to the length of the collection");
            return NULL;
        }
        return pk_value_list_at(coll, (size_t) n);
    }
    if (pk_value_kind(coll) == PK_V_OBJECT) {
        char *name = hcl_to_string(key, NULL);
        if (!name) {
            hcl_eval_error(ev, range, "Invalid index; The given key does not identify an element in this "
                           "collection value: string required.");
            return NULL;
        }
        const pk_value_t *item = pk_value_object_get(coll, name);
        if (!item)
            hcl_eval_error(ev, range, "Invalid index; The given key does not identify an element in this "
                           "collection value.");
        free(name);
        return item;
    }
    hcl_eval_error(ev, range, "Invalid index; This value does not have any indices.");
    return NULL;
}

static pk_value_t *
s_lit_value(const hcl_lit_t *lit)
{
    switch (lit->kind) {
    case HCL_LIT_BOOL: return pk_value_new_bool(lit->b);
    case HCL_LIT_NUMBER: return pk_value_new_number(lit->n);
    case HCL_LIT_STRING: return pk_value_new_stringn(lit->s, lit->len);
    default: return pk_value_new_null();
    }
}

static const pk_value_t *
s_steps(hcl_eval_t *ev, const pk_value_t *v, const hcl_step_t *steps, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        if (!steps[i].is_index)
            v = s_get_attr(ev, v, steps[i].name, steps[i].range);
        else {
            pk_value_t *key = s_lit_value(&steps[i].key);
            v = s_index(ev, v, key, steps[i].range);
            pk_value_destroy(&key);
        }
    }
    return v;
}

static pk_value_t *
s_eval_scope(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    const pk_value_t *root = s_lookup(ev, e->u.trav.root);
    if (!root) {
        pk_range_t r = e->range;
        if (e->u.trav.nsteps > 0)
            r.end = e->u.trav.steps[0].range.start;
        s_unknown_variable(ev, e->u.trav.root, r);
        return NULL;
    }
    const pk_value_t *v = s_steps(ev, root, e->u.trav.steps, e->u.trav.nsteps);
    return v ? pk_value_dup(v) : NULL;
}

static pk_value_t *
s_eval_relative(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *src = hcl_eval_expr(ev, e->u.trav.source);
    if (!src)
        return NULL;
    const pk_value_t *v = s_steps(ev, src, e->u.trav.steps, e->u.trav.nsteps);
    pk_value_t *out = v ? pk_value_dup(v) : NULL;
    pk_value_destroy(&src);
    return out;
}

static pk_value_t *
s_eval_index(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *coll = hcl_eval_expr(ev, e->u.index.coll);
    pk_value_t *key = hcl_eval_expr(ev, e->u.index.key);
    pk_value_t *out = NULL;
    if (coll && key) {
        const pk_value_t *v = s_index(ev, coll, key, e->u.index.bracket);
        out = v ? pk_value_dup(v) : NULL;
    }
    pk_value_destroy(&coll);
    pk_value_destroy(&key);
    return out;
}

static pk_value_t *
s_eval_anon(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    for (const hcl_scope_t *s = ev->scope; s; s = s->up)
        if (!s->name && s->anon == e)
            return pk_value_dup(s->value);
    hcl_eval_error(ev, e->range, "Invalid use of splat item; The splat symbol can only be used inside a "
                   "splat expression.");
    return NULL;
}

static pk_value_t *
s_eval_splat(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *src = hcl_eval_expr(ev, e->u.splat.source);
    if (!src)
        return NULL;
    pk_value_t *out = pk_value_new_list();
    if (pk_value_kind(src) == PK_V_NULL) {
        pk_value_destroy(&src);
        return out;
    }
    if (pk_value_kind(src) != PK_V_LIST) {
        pk_value_t *wrap = pk_value_new_list();
        pk_value_list_append(wrap, src);
        src = wrap;
    }
    const hcl_scope_t *saved = ev->scope;
    for (size_t i = 0; i < pk_value_len(src); i++) {
        hcl_scope_t scope = { NULL, e->u.splat.item, pk_value_list_at(src, i), saved };
        ev->scope = &scope;
        pk_value_t *item = hcl_eval_expr(ev, e->u.splat.each);
        ev->scope = saved;
        if (!item) {
            pk_value_destroy(&out);
            break;
        }
        pk_value_list_append(out, item);
        if (!hcl_eval_charge(ev, &out, e->range))
            break;
    }
    pk_value_destroy(&src);
    return out;
}

static pk_value_t *
s_eval_tuple(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *out = pk_value_new_list();
    bool failed = false;
    for (size_t i = 0; i < e->u.list.count && !ev->stopped; i++) {
        pk_value_t *item = hcl_eval_expr(ev, e->u.list.items[i]);
        if (!item)
            failed = true;
        else if (!failed)
            pk_value_list_append(out, item);
        else
            pk_value_destroy(&item);
        if (!failed && !hcl_eval_charge(ev, &out, e->range))
            return NULL;
    }
    if (failed || ev->stopped)
        pk_value_destroy(&out);
    return out;
}

// A key expression's string value, or NULL after an error.
static char *
s_key_string(hcl_eval_t *ev, const pk_value_t *key, pk_range_t range, const char *what)
{
    if (pk_value_kind(key) == PK_V_NULL) {
        hcl_eval_error(ev, range, "%s", what);
        return NULL;
    }
    char *s = hcl_to_string(key, NULL);
    if (!s)
        hcl_eval_error(ev, range, "Incorrect key type; Can't use this value as a key: string required.");
    return s;
}

static pk_value_t *
s_eval_object(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *out = pk_value_new_object();
    bool failed = false;
    for (size_t i = 0; i < e->u.obj.count && !ev->stopped; i++) {
        const hcl_obj_item_t *item = &e->u.obj.items[i];
        char *key = NULL;
        const char *keyword = item->key_is_expr ? NULL : pk_hcl_expr_keyword(item->key);
        if (keyword)
            key = strdup(keyword);
        else if (!item->key_is_expr && item->key->kind == HCL_E_SCOPE) {
            hcl_eval_error(ev, item->key->range, "Ambiguous attribute key; If this expression is intended to "
                           "be a reference, wrap it in parentheses. If it's instead intended as a literal name "
                           "containing periods, wrap it in quotes to create a string literal.");
            failed = true;
        }
        else {
            pk_value_t *kv = hcl_eval_expr(ev, item->key);
            if (kv)
                key = s_key_string(ev, kv, item->key->range, "Null value as key; Can't use a null value as "
                                   "a key.");
            pk_value_destroy(&kv);
        }
        pk_value_t *val = failed ? NULL : hcl_eval_expr(ev, item->value);
        if (!key || !val)
            failed = true;
        if (!failed) {
            ev->steps += pk_value_len(out) / 32;
            pk_value_object_set(out, key, val);
            val = NULL;
        }
        pk_value_destroy(&val);
        free(key);
        if (!failed && !hcl_eval_charge(ev, &out, e->range))
            return NULL;
    }
    if (failed || ev->stopped)
        pk_value_destroy(&out);
    return out;
}

// One iteration of a for expression; returns false to stop with an error.
static bool
s_for_item(hcl_eval_t *ev, const pk_hcl_expr_t *e, const pk_value_t *key, const pk_value_t *val,
           pk_value_t *out)
{
    const hcl_scope_t *saved = ev->scope;
    hcl_scope_t kscope = { e->u.fr.key_var, NULL, key, saved };
    hcl_scope_t vscope = { e->u.fr.val_var, NULL, val, e->u.fr.key_var ? &kscope : saved };
    ev->scope = &vscope;
    bool ok = false;
    pk_value_t *k = NULL, *v = NULL;
    if (e->u.fr.cond) {
        pk_value_t *c = hcl_eval_expr(ev, e->u.fr.cond);
        int verdict = -1;   // -1 error, 0 filtered out, 1 kept
        bool b = false;
        if (c && pk_value_kind(c) == PK_V_NULL)
            hcl_eval_error(ev, e->u.fr.cond->range, "Condition is null; The value of the 'if' clause must not "
                           "be null.");
        else if (c && hcl_to_bool(c, &b) < 0)
            hcl_eval_error(ev, e->u.fr.cond->range, "Invalid 'for' condition; The 'if' clause value is "
                           "invalid: a bool is required.");
        else if (c)
            verdict = b;
        pk_value_destroy(&c);
        if (verdict <= 0) {
            ev->scope = saved;
            return verdict == 0;
        }
    }
    if (e->u.fr.is_object) {
        k = e->u.fr.key ? hcl_eval_expr(ev, e->u.fr.key) : NULL;
        v = hcl_eval_expr(ev, e->u.fr.val);
        char *name = k ? s_key_string(ev, k, e->u.fr.key->range, "Invalid object key; Key expression in "
                                      "'for' expression must not produce a null value.") : NULL;
        if (name && v) {
            pk_value_t *group = (pk_value_t *) pk_value_object_get(out, name);
            if (e->u.fr.group) {
                if (!group) {
                    pk_value_object_set(out, name, pk_value_new_list());
                    group = (pk_value_t *) pk_value_object_get(out, name);
                }
                pk_value_list_append(group, v);
                hcl_value_reweigh(out);
                v = NULL;
                ok = true;
            }
            else if (group)
                hcl_eval_error(ev, e->u.fr.key->range, "Duplicate object key; Two different items produced the "
                               "key \"%s\" in this 'for' expression. If duplicates are expected, use the "
                               "ellipsis (...) after the value expression to enable grouping by key.", name);
            else {
                // Inserting into a sorted object may move the others: count it.
                ev->steps += pk_value_len(out) / 32;
                pk_value_object_set(out, name, v);
                v = NULL;
                ok = true;
            }
        }
        free(name);
    }
    else {
        v = hcl_eval_expr(ev, e->u.fr.val);
        if (v) {
            pk_value_list_append(out, v);
            v = NULL;
            ok = true;
        }
    }
    pk_value_destroy(&k);
    pk_value_destroy(&v);
    ev->scope = saved;
    return ok;
}

static pk_value_t *
s_eval_for(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    pk_value_t *coll = hcl_eval_expr(ev, e->u.fr.coll);
    if (!coll)
        return NULL;
    pk_value_kind_t kind = pk_value_kind(coll);
    if (kind == PK_V_NULL) {
        hcl_eval_error(ev, e->u.fr.coll->range, "Iteration over null value; A null value cannot be used as the "
                       "collection in a 'for' expression.");
        pk_value_destroy(&coll);
        return NULL;
    }
    if (kind != PK_V_LIST && kind != PK_V_OBJECT) {
        hcl_eval_error(ev, e->u.fr.coll->range, "Iteration over non-iterable value; A value of type %s cannot "
                       "be used as the collection in a 'for' expression.", hcl_type_name(coll));
        pk_value_destroy(&coll);
        return NULL;
    }
    pk_value_t *out = e->u.fr.is_object ? pk_value_new_object() : pk_value_new_list();
    for (size_t i = 0; i < pk_value_len(coll); i++) {
        pk_value_t *key;
        const pk_value_t *val;
        if (kind == PK_V_OBJECT) {
            key = pk_value_new_string(pk_value_object_key(coll, i));
            val = pk_value_object_at(coll, i);
        }
        else {
            val = pk_value_list_at(coll, i);
            key = pk_value_is_set(coll) ? pk_value_dup(val) : pk_value_new_number((double) i);
        }
        bool ok = s_for_item(ev, e, key, val, out);
        pk_value_destroy(&key);
        ev->steps++;
        if (!ok || !hcl_eval_charge(ev, &out, e->range)) {
            pk_value_destroy(&out);
            break;
        }
    }
    pk_value_destroy(&coll);
    return out;
}

pk_value_t *
hcl_eval_expr(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    if (ev->stopped)
        return NULL;
    if (++ev->steps > HCL_MAX_STEPS) {
        s_stop(ev, e->range, "Expression too complex; Evaluating this expression takes more work than the "
               "evaluation limit allows.");
        return NULL;
    }
    switch (e->kind) {
    case HCL_E_LITERAL: return s_lit_value(&e->u.lit);
    case HCL_E_TEMPLATE: return hcl_eval_template(ev, e);
    case HCL_E_WRAP:
    case HCL_E_PAREN: return hcl_eval_expr(ev, e->u.inner);
    case HCL_E_JOIN: return hcl_eval_join(ev, e);
    case HCL_E_SCOPE: return s_eval_scope(ev, e);
    case HCL_E_RELATIVE: return s_eval_relative(ev, e);
    case HCL_E_INDEX: return s_eval_index(ev, e);
    case HCL_E_SPLAT: return s_eval_splat(ev, e);
    case HCL_E_ANON: return s_eval_anon(ev, e);
    case HCL_E_CALL: return hcl_eval_call(ev, e);
    case HCL_E_UNARY: return hcl_eval_unary(ev, e);
    case HCL_E_BINARY: return hcl_eval_binary(ev, e);
    case HCL_E_COND: return hcl_eval_cond(ev, e);
    case HCL_E_FOR: return s_eval_for(ev, e);
    case HCL_E_TUPLE: return s_eval_tuple(ev, e);
    case HCL_E_OBJECT: return s_eval_object(ev, e);
    case HCL_E_ERROR: break;
    }
    hcl_eval_error(ev, e->range, "Invalid expression; This expression has a syntax error and cannot be "
                   "evaluated.");
    return NULL;
}

pk_value_t *
pk_hcl_eval(const pk_hcl_expr_t *expr, const pk_hcl_ctx_t *ctx, pk_diags_t *diags)
{
    hcl_eval_t ev = { ctx, diags, NULL, 0, 0, false };
    if (!expr) {
        pk_range_t nowhere = { { NULL, 0, 0, 0 }, { NULL, 0, 0, 0 } };
        pk_diags_error(diags, nowhere, "Missing expression; No expression to evaluate.");
        return NULL;
    }
    pk_value_t *v = hcl_eval_expr(&ev, expr);
    if (v && (ev.errors > 0 || ev.stopped))
        pk_value_destroy(&v);
    if (!v && ev.errors == 0)
        pk_diags_error(diags, expr->range, "Evaluation failed; This expression could not be evaluated.");
    return v;
}
