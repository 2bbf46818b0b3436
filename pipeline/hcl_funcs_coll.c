// hcl_funcs_coll: collection functions (Terraform's "Collection Functions"
// page; cty's collection.go and sequence.go). Lists, tuples and sets are one
// PK_V_LIST kind here, so functions that cty splits by type (reverse, slice)
// reject sets explicitly. coalesce() follows Terraform, which also skips
// empty strings, rather than cty's stdlib which skips only nulls.
#include "hcl_funcs.h"
#include "hcl_utf8.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

// cty converts a list(any) argument to one element type first: a tuple
// mixing strings and numbers becomes a list of strings.
static pk_value_t *
s_unified(hcl_call_t *call, size_t arg)
{
    pk_value_t *copy = pk_value_dup(call->args[arg]);
    if (hcl_unify_elements(copy) < 0) {
        pk_value_destroy(&copy);
        return hcl_func_error(call, (int) arg, "all list elements must have the same type");
    }
    return copy;
}

HCL_FN(alltrue)
{
    const pk_value_t *list = call->args[0];
    bool all = true;
    for (size_t i = 0; i < pk_value_len(list) && all; i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        bool b = false;
        if (pk_value_kind(item) != PK_V_NULL && hcl_to_bool(item, &b) < 0)
            return hcl_func_error(call, 0, "element %zu: a bool is required", i);
        all = b;
    }
    return pk_value_new_bool(all);
}

HCL_FN(anytrue)
{
    const pk_value_t *list = call->args[0];
    bool any = false;
    for (size_t i = 0; i < pk_value_len(list) && !any; i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        bool b = false;
        if (pk_value_kind(item) != PK_V_NULL && hcl_to_bool(item, &b) < 0)
            return hcl_func_error(call, 0, "element %zu: a bool is required", i);
        any = b;
    }
    return pk_value_new_bool(any);
}

HCL_FN(chunklist)
{
    long long size;
    if (!hcl_arg_int(call, 1, &size))
        return NULL;
    if (size < 0)
        return hcl_func_error(call, 1, "the size argument must be positive");
    pk_value_t *owned = s_unified(call, 0);
    if (!owned)
        return NULL;
    const pk_value_t *list = owned;
    pk_value_t *out = pk_value_new_list();
    size_t n = pk_value_len(list);
    if (n > 0 && size == 0) {
        hcl_value_clear_set(owned);
        pk_value_list_append(out, owned);
        return out;
    }
    for (size_t i = 0; i < n; i += (size_t) size) {
        pk_value_t *chunk = pk_value_new_list();
        for (size_t k = i; k < n && k < i + (size_t) size; k++)
            pk_value_list_append(chunk, pk_value_dup(pk_value_list_at(list, k)));
        pk_value_list_append(out, chunk);
    }
    pk_value_destroy(&owned);
    return out;
}

HCL_FN(coalesce)
{
    if (call->nargs == 0)
        return hcl_func_error(call, -1, "at least one argument is required");
    pk_value_t *all = pk_value_new_list();
    for (size_t i = 0; i < call->nargs; i++)
        if (pk_value_kind(call->args[i]) != PK_V_NULL)
            pk_value_list_append(all, pk_value_dup(call->args[i]));
    if (hcl_unify_elements(all) < 0) {
        pk_value_destroy(&all);
        return hcl_func_error(call, -1, "all arguments must have the same type");
    }
    for (size_t i = 0; i < pk_value_len(all); i++) {
        const pk_value_t *v = pk_value_list_at(all, i);
        if (pk_value_kind(v) == PK_V_STRING && pk_value_len(v) == 0)
            continue;
        pk_value_t *out = hcl_value_list_take(all, i);
        pk_value_destroy(&all);
        return out;
    }
    pk_value_destroy(&all);
    return hcl_func_error(call, -1, "no non-null, non-empty-string arguments");
}

HCL_FN(coalescelist)
{
    if (call->nargs == 0)
        return hcl_func_error(call, -1, "at least one argument is required");
    for (size_t i = 0; i < call->nargs; i++) {
        const pk_value_t *v = call->args[i];
        if (pk_value_kind(v) == PK_V_NULL)
            continue;
        if (pk_value_kind(v) != PK_V_LIST)
            return hcl_func_error(call, (int) i, "coalescelist arguments must be lists or tuples");
        if (pk_value_len(v) > 0)
            return pk_value_dup(v);
    }
    return hcl_func_error(call, -1, "no non-null arguments");
}

HCL_FN(compact)
{
    const pk_value_t *list = call->args[0];
    pk_value_t *out = pk_value_new_list();
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        if (pk_value_kind(item) == PK_V_NULL)
            continue;
        size_t len;
        char *s = hcl_to_string(item, &len);
        if (!s) {
            pk_value_destroy(&out);
            return hcl_func_error(call, 0, "element %zu: string required", i);
        }
        if (len == 0)
            free(s);
        else
            pk_value_list_append(out, hcl_value_string_take(s, len));
    }
    return out;
}

HCL_FN(concat)
{
    if (call->nargs == 0)
        return hcl_func_error(call, -1, "at least one argument is required");
    size_t total = 0;
    for (size_t a = 0; a < call->nargs; a++) {
        if (pk_value_is_set(call->args[a]))
            return hcl_func_error(call, (int) a, "all arguments must be lists or tuples; got set");
        total += hcl_value_weight(call->args[a]);
    }
    if (total > HCL_MAX_WEIGHT)
        return hcl_func_error(call, -1, "the result would be too large");
    pk_value_t *out = pk_value_new_list();
    for (size_t a = 0; a < call->nargs; a++)
        for (size_t i = 0; i < pk_value_len(call->args[a]); i++)
            pk_value_list_append(out, pk_value_dup(pk_value_list_at(call->args[a], i)));
    return out;
}

HCL_FN(contains)
{
    const pk_value_t *list = call->args[0];
    for (size_t i = 0; i < pk_value_len(list); i++)
        if (pk_value_equal(pk_value_list_at(list, i), call->args[1]))
            return pk_value_new_bool(true);
    return pk_value_new_bool(false);
}

typedef struct {
    const pk_value_t *v;
    size_t index;
} s_ref_t;

static int
s_ref_cmp(const void *a, const void *b)
{
    const s_ref_t *x = a, *y = b;
    int c = hcl_value_compare(x->v, y->v);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

HCL_FN(distinct)
{
    pk_value_t *owned = s_unified(call, 0);
    if (!owned)
        return NULL;
    const pk_value_t *list = owned;
    size_t n = pk_value_len(list);
    s_ref_t *refs = calloc(n + 1, sizeof *refs);
    bool *keep = calloc(n + 1, sizeof *keep);
    if (!refs || !keep) {
        free(refs);
        free(keep);
        pk_value_destroy(&owned);
        return hcl_func_error(call, -1, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        refs[i] = (s_ref_t) { pk_value_list_at(list, i), i };
    qsort(refs, n, sizeof *refs, s_ref_cmp);
    for (size_t i = 0; i < n; i++)
        keep[refs[i].index] = i == 0 || !pk_value_equal(refs[i - 1].v, refs[i].v);
    pk_value_t *out = pk_value_new_list();
    for (size_t i = 0; i < n; i++)
        if (keep[i])
            pk_value_list_append(out, pk_value_dup(pk_value_list_at(list, i)));
    free(refs);
    free(keep);
    pk_value_destroy(&owned);
    return out;
}

HCL_FN(element)
{
    const pk_value_t *list = call->args[0];
    long long index;
    if (!hcl_arg_int(call, 1, &index))
        return NULL;
    if (index < 0)
        return hcl_func_error(call, -1, "cannot use element function with a negative index");
    if (pk_value_len(list) == 0)
        return hcl_func_error(call, -1, "cannot use element function with an empty list");
    return pk_value_dup(pk_value_list_at(list, (size_t) index % pk_value_len(list)));
}

static void
s_flatten(const pk_value_t *list, pk_value_t *out)
{
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        if (pk_value_kind(item) == PK_V_LIST)
            s_flatten(item, out);
        else
            pk_value_list_append(out, pk_value_dup(item));
    }
}

HCL_FN(flatten)
{
    pk_value_t *out = pk_value_new_list();
    s_flatten(call->args[0], out);
    return out;
}

HCL_FN(index)
{
    const pk_value_t *list = call->args[0];
    for (size_t i = 0; i < pk_value_len(list); i++)
        if (pk_value_equal(pk_value_list_at(list, i), call->args[1]))
            return pk_value_new_number((double) i);
    return hcl_func_error(call, -1, "item not found");
}

HCL_FN(keys)
{
    const pk_value_t *map = call->args[0];
    pk_value_t *out = pk_value_new_list();
    for (size_t i = 0; i < pk_value_len(map); i++)
        pk_value_list_append(out, pk_value_new_string(pk_value_object_key(map, i)));
    return out;
}

HCL_FN(length)
{
    const pk_value_t *v = call->args[0];
    switch (pk_value_kind(v)) {
    case PK_V_STRING:
        return pk_value_new_number((double) hcl_utf8_graphemes(pk_value_string(v), pk_value_len(v)));
    case PK_V_LIST:
    case PK_V_OBJECT:
        return pk_value_new_number((double) pk_value_len(v));
    default:
        return hcl_func_error(call, 0, "argument must be a string, a collection type, or a structural type");
    }
}

HCL_FN(lookup)
{
    const pk_value_t *item = pk_value_object_get(call->args[0], pk_value_string(call->args[1]));
    if (item)
        return pk_value_dup(item);
    if (call->nargs > 2)
        return pk_value_dup(call->args[2]);
    return hcl_func_error(call, -1, "lookup failed to find key \"%s\"", pk_value_string(call->args[1]));
}

HCL_FN(merge)
{
    pk_value_t *out = pk_value_new_object();
    for (size_t a = 0; a < call->nargs; a++) {
        const pk_value_t *m = call->args[a];
        if (pk_value_kind(m) == PK_V_NULL)
            continue;
        if (pk_value_kind(m) != PK_V_OBJECT) {
            pk_value_destroy(&out);
            return hcl_func_error(call, (int) a, "arguments must be maps or objects, got %s", hcl_type_name(m));
        }
        for (size_t i = 0; i < pk_value_len(m); i++)
            pk_value_object_set(out, pk_value_object_key(m, i), pk_value_dup(pk_value_object_at(m, i)));
    }
    return out;
}

HCL_FN(one)
{
    const pk_value_t *list = call->args[0];
    if (pk_value_len(list) == 0)
        return pk_value_new_null();
    if (pk_value_len(list) == 1)
        return pk_value_dup(pk_value_list_at(list, 0));
    return hcl_func_error(call, 0, "must be a list, set, or tuple value with either zero or one elements");
}

HCL_FN(range)
{
    double start = 0, end, step = 1;
    switch (call->nargs) {
    case 1:
        end = hcl_arg_num(call, 0);
        step = end < 0 ? -1 : 1;
        break;
    case 2:
        start = hcl_arg_num(call, 0);
        end = hcl_arg_num(call, 1);
        step = end < start ? -1 : 1;
        break;
    case 3:
        start = hcl_arg_num(call, 0);
        end = hcl_arg_num(call, 1);
        step = hcl_arg_num(call, 2);
        break;
    default:
        return hcl_func_error(call, -1, "must have one, two, or three arguments");
    }
    if (step == 0)
        return hcl_func_error(call, 2, "step must not be zero");
    if (step < 0 && end > start)
        return hcl_func_error(call, 1, "end must be less than start when step is negative");
    if (step > 0 && end < start)
        return hcl_func_error(call, 1, "end must be greater than start when step is positive");
    // start + i * step rather than repeated addition, and a tolerance of a
    // billionth of a step, so range(0, 1, 0.1) stops before 1 as it does
    // in cty's decimal arithmetic.
    pk_value_t *out = pk_value_new_list();
    double eps = fabs(step) * 1e-9;
    for (size_t i = 0;; i++) {
        double n = start + (double) i * step;
        if (step < 0 ? n <= end + eps : n >= end - eps)
            break;
        if (i >= 1024) {
            pk_value_destroy(&out);
            return hcl_func_error(call, -1, "more than 1024 values were generated; either decrease the "
                                  "difference between start and end or use a smaller step");
        }
        pk_value_list_append(out, pk_value_new_number(n));
    }
    return out;
}

HCL_FN(reverse)
{
    const pk_value_t *list = call->args[0];
    pk_value_t *out = pk_value_new_list();
    for (size_t i = pk_value_len(list); i > 0; i--)
        pk_value_list_append(out, pk_value_dup(pk_value_list_at(list, i - 1)));
    return out;
}

HCL_FN(slice)
{
    const pk_value_t *list = call->args[0];
    if (pk_value_is_set(list))
        return hcl_func_error(call, 0, "cannot slice a set, because its elements do not have indices; "
                              "explicitly convert to a list if the ordering of the result is not important");
    long long start, end, n = (long long) pk_value_len(list);
    if (!hcl_arg_int(call, 1, &start) || !hcl_arg_int(call, 2, &end))
        return NULL;
    if (start < 0)
        return hcl_func_error(call, 1, "start index must not be less than zero");
    if (start > n)
        return hcl_func_error(call, 1, "start index must not be greater than the length of the list");
    if (end < 0)
        return hcl_func_error(call, 2, "end index must not be less than zero");
    if (end > n)
        return hcl_func_error(call, 2, "end index must not be greater than the length of the list");
    if (start > end)
        return hcl_func_error(call, 1, "start index must not be greater than end index");
    pk_value_t *out = pk_value_new_list();
    for (long long i = start; i < end; i++)
        pk_value_list_append(out, pk_value_dup(pk_value_list_at(list, (size_t) i)));
    return out;
}

static int
s_str_cmp(const void *a, const void *b)
{
    return hcl_value_compare(*(pk_value_t *const *) a, *(pk_value_t *const *) b);
}

HCL_FN(sort)
{
    const pk_value_t *list = call->args[0];
    size_t n = pk_value_len(list);
    pk_value_t **items = calloc(n + 1, sizeof *items);
    if (!items)
        return hcl_func_error(call, -1, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        size_t len;
        char *s = hcl_to_string(item, &len);
        if (!s) {
            for (size_t k = 0; k < i; k++)
                pk_value_destroy(&items[k]);
            free(items);
            if (pk_value_kind(item) == PK_V_NULL)
                return hcl_func_error(call, 0, "given list element %zu is null; a null string cannot be sorted", i);
            return hcl_func_error(call, 0, "element %zu: string required", i);
        }
        items[i] = hcl_value_string_take(s, len);
    }
    qsort(items, n, sizeof *items, s_str_cmp);
    pk_value_t *out = pk_value_new_list();
    for (size_t i = 0; i < n; i++)
        pk_value_list_append(out, items[i]);
    free(items);
    return out;
}

HCL_FN(sum)
{
    const pk_value_t *list = call->args[0];
    if (pk_value_len(list) == 0)
        return hcl_func_error(call, -1, "cannot sum an empty list");
    double total = 0;
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *item = pk_value_list_at(list, i);
        double n;
        if (pk_value_kind(item) == PK_V_NULL)
            return hcl_func_error(call, 0, "element %zu is null; cannot sum null values", i);
        if (hcl_to_number(item, &n) < 0)
            return hcl_func_error(call, 0, "element %zu: a number is required", i);
        total += n;
    }
    if (!isfinite(total))
        return hcl_func_error(call, -1, "the result is out of range");
    return pk_value_new_number(total);
}

HCL_FN(transpose)
{
    const pk_value_t *map = call->args[0];
    pk_value_t *out = pk_value_new_object();
    for (size_t i = 0; i < pk_value_len(map); i++) {
        const char *key = pk_value_object_key(map, i);
        const pk_value_t *list = pk_value_object_at(map, i);
        if (pk_value_kind(list) != PK_V_LIST) {
            pk_value_destroy(&out);
            return hcl_func_error(call, 0, "element \"%s\": list of string required", key);
        }
        for (size_t k = 0; k < pk_value_len(list); k++) {
            char *name = hcl_to_string(pk_value_list_at(list, k), NULL);
            if (!name) {
                pk_value_destroy(&out);
                return hcl_func_error(call, 0, "element \"%s\": list of string required", key);
            }
            pk_value_t *group = (pk_value_t *) pk_value_object_get(out, name);
            if (!group) {
                pk_value_object_set(out, name, pk_value_new_list());
                group = (pk_value_t *) pk_value_object_get(out, name);
            }
            pk_value_list_append(group, pk_value_new_string(key));
            free(name);
        }
    }
    hcl_value_reweigh(out);
    return out;
}

HCL_FN(values)
{
    const pk_value_t *map = call->args[0];
    pk_value_t *out = pk_value_new_list();
    for (size_t i = 0; i < pk_value_len(map); i++)
        pk_value_list_append(out, pk_value_dup(pk_value_object_at(map, i)));
    return out;
}

HCL_FN(zipmap)
{
    const pk_value_t *keys = call->args[0], *vals = call->args[1];
    if (pk_value_len(keys) != pk_value_len(vals))
        return hcl_func_error(call, -1, "number of keys (%zu) does not match number of values (%zu)",
                              pk_value_len(keys), pk_value_len(vals));
    pk_value_t *out = pk_value_new_object();
    for (size_t i = 0; i < pk_value_len(keys); i++) {
        const pk_value_t *k = pk_value_list_at(keys, i);
        char *name = hcl_to_string(k, NULL);
        if (!name) {
            pk_value_destroy(&out);
            if (pk_value_kind(k) == PK_V_NULL)
                return hcl_func_error(call, 0, "keys list has null value at index %zu", i);
            return hcl_func_error(call, 0, "element %zu: string required", i);
        }
        pk_value_object_set(out, name, pk_value_dup(pk_value_list_at(vals, i)));
        free(name);
    }
    return out;
}
