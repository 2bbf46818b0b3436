// hcl_funcs_set: toset and the set algebra functions (cty set.go,
// Terraform's setproduct). Sets are sorted unique lists (hcl_value.h), so
// membership is a binary search and every operation is a merge. Arguments
// are first unified to one element type the way cty does: mixed primitive
// elements across all the sets become strings.
#include "hcl_funcs.h"
#include <stdlib.h>

static bool
s_has(const pk_value_t *set, const pk_value_t *v)
{
    size_t lo = 0, hi = pk_value_len(set);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = hcl_value_compare(v, pk_value_list_at(set, mid));
        if (c == 0)
            return true;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return false;
}

// Copies arguments first..nargs-1 into normalised sets sharing one element
// type; NULL (after an error) when they cannot.
static pk_value_t **
s_sets(hcl_call_t *call, size_t first)
{
    size_t n = call->nargs - first;
    pk_value_t **sets = calloc(n + 1, sizeof *sets);
    pk_value_t *all = pk_value_new_list();
    if (!sets) {
        pk_value_destroy(&all);
        hcl_func_error(call, -1, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < pk_value_len(call->args[first + i]); k++)
            pk_value_list_append(all, pk_value_dup(pk_value_list_at(call->args[first + i], k)));
    if (hcl_unify_elements(all) < 0) {
        pk_value_destroy(&all);
        free(sets);
        hcl_func_error(call, -1, "given sets must all have compatible element types");
        return NULL;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        sets[i] = pk_value_new_list();
        for (size_t k = 0; k < pk_value_len(call->args[first + i]); k++)
            pk_value_list_append(sets[i], pk_value_dup(pk_value_list_at(all, at++)));
        hcl_value_make_set(sets[i]);
    }
    pk_value_destroy(&all);
    return sets;
}

static void
s_free_sets(pk_value_t **sets, size_t n)
{
    for (size_t i = 0; sets && i < n; i++)
        pk_value_destroy(&sets[i]);
    free(sets);
}

HCL_FN(toset)
{
    const pk_value_t *v = call->args[0];
    if (pk_value_kind(v) == PK_V_NULL)
        return pk_value_new_null();
    if (pk_value_kind(v) != PK_V_LIST)
        return hcl_func_error(call, 0, "cannot convert %s to set of any single type", hcl_type_name(v));
    pk_value_t *out = pk_value_dup(v);
    if (hcl_unify_elements(out) < 0) {
        pk_value_destroy(&out);
        return hcl_func_error(call, 0, "cannot convert tuple to set of any single type");
    }
    hcl_value_make_set(out);
    return out;
}

HCL_FN(setunion)
{
    pk_value_t **sets = s_sets(call, 0);
    if (!sets)
        return NULL;
    pk_value_t *out = pk_value_new_list();
    for (size_t i = 0; i < call->nargs; i++)
        for (size_t k = 0; k < pk_value_len(sets[i]); k++)
            pk_value_list_append(out, pk_value_dup(pk_value_list_at(sets[i], k)));
    hcl_value_make_set(out);
    s_free_sets(sets, call->nargs);
    return out;
}

HCL_FN(setintersection)
{
    pk_value_t **sets = s_sets(call, 0);
    if (!sets)
        return NULL;
    pk_value_t *out = pk_value_new_list();
    for (size_t k = 0; k < pk_value_len(sets[0]); k++) {
        const pk_value_t *v = pk_value_list_at(sets[0], k);
        bool everywhere = true;
        for (size_t i = 1; i < call->nargs && everywhere; i++)
            everywhere = s_has(sets[i], v);
        if (everywhere)
            pk_value_list_append(out, pk_value_dup(v));
    }
    hcl_value_make_set(out);
    s_free_sets(sets, call->nargs);
    return out;
}

// Elements of a that are not in b.
static void
s_minus(const pk_value_t *a, const pk_value_t *b, pk_value_t *out)
{
    for (size_t k = 0; k < pk_value_len(a); k++)
        if (!s_has(b, pk_value_list_at(a, k)))
            pk_value_list_append(out, pk_value_dup(pk_value_list_at(a, k)));
}

HCL_FN(setsubtract)
{
    pk_value_t **sets = s_sets(call, 0);
    if (!sets)
        return NULL;
    pk_value_t *out = pk_value_new_list();
    s_minus(sets[0], sets[1], out);
    hcl_value_make_set(out);
    s_free_sets(sets, call->nargs);
    return out;
}

HCL_FN(setsymmetricdifference)
{
    pk_value_t **sets = s_sets(call, 0);
    if (!sets)
        return NULL;
    pk_value_t *acc = pk_value_dup(sets[0]);
    for (size_t i = 1; i < call->nargs; i++) {
        pk_value_t *next = pk_value_new_list();
        s_minus(acc, sets[i], next);
        s_minus(sets[i], acc, next);
        hcl_value_make_set(next);
        pk_value_destroy(&acc);
        acc = next;
    }
    s_free_sets(sets, call->nargs);
    return acc;
}

HCL_FN(setproduct)
{
    size_t n = call->nargs;
    if (n < 2)
        return hcl_func_error(call, -1, "at least two arguments are required");
    bool any_set = false;
    double total = 1;
    for (size_t i = 0; i < n; i++) {
        any_set |= pk_value_is_set(call->args[i]);
        total *= (double) pk_value_len(call->args[i]);
    }
    if (total * (double) n > 1e6)
        return hcl_func_error(call, -1, "the product would have %.0f elements, more than the 1000000 allowed",
                              total * (double) n);
    pk_value_t *out = pk_value_new_list();
    size_t *idx = calloc(n, sizeof *idx);
    if (!idx) {
        pk_value_destroy(&out);
        return hcl_func_error(call, -1, "out of memory");
    }
    for (size_t row = 0; row < (size_t) total; row++) {
        pk_value_t *tuple = pk_value_new_list();
        for (size_t i = 0; i < n; i++)
            pk_value_list_append(tuple, pk_value_dup(pk_value_list_at(call->args[i], idx[i])));
        pk_value_list_append(out, tuple);
        if (hcl_value_weight(out) > HCL_MAX_WEIGHT) {
            free(idx);
            pk_value_destroy(&out);
            return hcl_func_error(call, -1, "the result would be too large");
        }
        for (size_t i = n; i-- > 0;) {
            if (++idx[i] < pk_value_len(call->args[i]))
                break;
            idx[i] = 0;
        }
    }
    free(idx);
    if (any_set)
        hcl_value_make_set(out);
    return out;
}
