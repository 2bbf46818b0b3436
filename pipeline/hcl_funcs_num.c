// hcl_funcs_num: numeric functions (cty number.go) and the explicit type
// conversions tobool/tolist/tomap/tonumber/tostring (Terraform's
// "Type Conversion Functions"). Conversions pass null through unchanged, as
// Terraform does, and use the same primitive rules as automatic conversion.
#include "hcl_funcs.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static pk_value_t *
s_number(hcl_call_t *call, double n)
{
    if (!isfinite(n))
        return hcl_func_error(call, -1, "the result is out of range");
    return pk_value_new_number(n == 0 ? 0 : n);
}

HCL_FN(abs)
{
    return s_number(call, fabs(hcl_arg_num(call, 0)));
}

HCL_FN(ceil)
{
    return s_number(call, ceil(hcl_arg_num(call, 0)));
}

HCL_FN(floor)
{
    return s_number(call, floor(hcl_arg_num(call, 0)));
}

HCL_FN(log)
{
    return s_number(call, log(hcl_arg_num(call, 0)) / log(hcl_arg_num(call, 1)));
}

HCL_FN(pow)
{
    return s_number(call, pow(hcl_arg_num(call, 0), hcl_arg_num(call, 1)));
}

HCL_FN(signum)
{
    long long i;
    if (!hcl_arg_int(call, 0, &i))      // cty's signum takes whole numbers only
        return NULL;
    double n = (double) i;
    return pk_value_new_number(n > 0 ? 1 : n < 0 ? -1 : 0);
}

static pk_value_t *
s_extreme(hcl_call_t *call, bool want_max)
{
    if (call->nargs == 0)
        return hcl_func_error(call, -1, "must pass at least one number");
    double best = hcl_arg_num(call, 0);
    for (size_t i = 1; i < call->nargs; i++) {
        double n = hcl_arg_num(call, i);
        if (want_max ? n > best : n < best)
            best = n;
    }
    return pk_value_new_number(best);
}

HCL_FN(max)
{
    return s_extreme(call, true);
}

HCL_FN(min)
{
    return s_extreme(call, false);
}

static int
s_digit(char c, long base)
{
    int d = -1;
    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'z')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z')
        d = base <= 36 ? c - 'A' + 10 : c - 'A' + 36;
    return d >= 0 && d < base ? d : -1;
}

HCL_FN(parseint)
{
    size_t len;
    const char *s = hcl_arg_str(call, 0, &len);
    long long base;
    if (!hcl_arg_int(call, 1, &base))
        return NULL;
    if (base < 2 || base > 62)
        return hcl_func_error(call, 1, "base must be a whole number between 2 and 62 inclusive");
    size_t i = 0;
    bool neg = false;
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len)
        return hcl_func_error(call, 0, "cannot parse \"%.*s\" as a base %lld integer", (int) len, s, base);
    double n = 0;
    for (; i < len; i++) {
        int d = s_digit(s[i], (long) base);
        if (d < 0)
            return hcl_func_error(call, 0, "cannot parse \"%.*s\" as a base %lld integer", (int) len, s, base);
        n = n * (double) base + d;
    }
    return s_number(call, neg ? -n : n);
}

HCL_FN(tobool)
{
    const pk_value_t *v = call->args[0];
    bool b;
    if (pk_value_kind(v) == PK_V_NULL)
        return pk_value_new_null();
    if (hcl_to_bool(v, &b) < 0)
        return hcl_func_error(call, 0, "cannot convert %s to bool", pk_value_kind(v) == PK_V_STRING
                              ? "this string" : hcl_type_name(v));
    return pk_value_new_bool(b);
}

HCL_FN(tonumber)
{
    const pk_value_t *v = call->args[0];
    double n;
    if (pk_value_kind(v) == PK_V_NULL)
        return pk_value_new_null();
    if (hcl_to_number(v, &n) == 0)
        return pk_value_new_number(n);
    if (pk_value_kind(v) == PK_V_STRING)
        return hcl_func_error(call, 0, "cannot convert \"%s\" to number; given string must be a decimal "
                              "representation of a number", pk_value_string(v));
    return hcl_func_error(call, 0, "cannot convert %s to number", hcl_type_name(v));
}

HCL_FN(tostring)
{
    const pk_value_t *v = call->args[0];
    if (pk_value_kind(v) == PK_V_NULL)
        return pk_value_new_null();
    size_t len;
    char *s = hcl_to_string(v, &len);
    if (!s)
        return hcl_func_error(call, 0, "cannot convert %s to string", hcl_type_name(v));
    return hcl_value_string_take(s, len);
}

HCL_FN(tolist)
{
    const pk_value_t *v = call->args[0];
    if (pk_value_kind(v) == PK_V_NULL)
        return pk_value_new_null();
    if (pk_value_kind(v) != PK_V_LIST)
        return hcl_func_error(call, 0, "cannot convert %s to list of any single type", hcl_type_name(v));
    pk_value_t *out = pk_value_dup(v);
    hcl_value_clear_set(out);
    if (hcl_unify_elements(out) < 0) {
        pk_value_destroy(&out);
        return hcl_func_error(call, 0, "cannot convert tuple to list of any single type");
    }
    return out;
}

HCL_FN(tomap)
{
    const pk_value_t *v = call->args[0];
    if (pk_value_kind(v) == PK_V_NULL)
        return pk_value_new_null();
    if (pk_value_kind(v) != PK_V_OBJECT)
        return hcl_func_error(call, 0, "cannot convert %s to map of any single type", hcl_type_name(v));
    pk_value_t *vals = pk_value_new_list();
    for (size_t i = 0; i < pk_value_len(v); i++)
        pk_value_list_append(vals, pk_value_dup(pk_value_object_at(v, i)));
    if (hcl_unify_elements(vals) < 0) {
        pk_value_destroy(&vals);
        return hcl_func_error(call, 0, "cannot convert object to map of any single type");
    }
    pk_value_t *out = pk_value_new_object();
    for (size_t i = 0; i < pk_value_len(v); i++)
        pk_value_object_set(out, pk_value_object_key(v, i), pk_value_dup(pk_value_list_at(vals, i)));
    pk_value_destroy(&vals);
    return out;
}
