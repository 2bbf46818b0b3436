// hcl_convert: cty's automatic primitive conversions (convert package):
// strings that spell numbers or bools convert to them, numbers and bools
// convert to strings, nothing else converts implicitly. Operators, function
// parameters, conditions and index keys all go through these so that
// "5" + 1 and upper(5) behave as they do in Terraform.
#include "hcl_eval.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool
hcl_parse_number(const char *s, size_t len, double *out)
{
    // big.ParseFloat base 10: sign, digits with an optional point (at least
    // one digit), optional exponent. No spaces, hex, inf or nan.
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp++;
        }
        if (exp == 0)
            return false;
    }
    if (i != len)
        return false;
    char buf[64];
    char *copy = len < sizeof buf ? buf : malloc(len + 1);
    if (!copy)
        return false;
    memcpy(copy, s, len);
    copy[len] = '\0';
    double d = strtod(copy, NULL);
    if (copy != buf)
        free(copy);
    if (!isfinite(d))
        return false;
    *out = d;
    return true;
}

int
hcl_to_number(const pk_value_t *v, double *out)
{
    switch (pk_value_kind(v)) {
    case PK_V_NUMBER:
        *out = pk_value_number(v);
        return 0;
    case PK_V_STRING:
        return hcl_parse_number(pk_value_string(v), pk_value_len(v), out) ? 0 : -1;
    default:
        return -1;
    }
}

int
hcl_to_bool(const pk_value_t *v, bool *out)
{
    if (pk_value_kind(v) == PK_V_BOOL) {
        *out = pk_value_bool(v);
        return 0;
    }
    if (pk_value_kind(v) == PK_V_STRING) {
        const char *s = pk_value_string(v);
        size_t n = pk_value_len(v);
        if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1')) {
            *out = true;
            return 0;
        }
        if ((n == 5 && memcmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0')) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

char *
hcl_to_string(const pk_value_t *v, size_t *len)
{
    char *s = pk_value_to_string(v);
    if (s && len)
        *len = pk_value_kind(v) == PK_V_STRING ? pk_value_len(v) : strlen(s);
    return s;
}

const char *
hcl_type_name(const pk_value_t *v)
{
    if (pk_value_is_set(v))
        return "set";
    return pk_value_kind_name(pk_value_kind(v));
}

bool
hcl_is_primitive(const pk_value_t *v)
{
    pk_value_kind_t k = pk_value_kind(v);
    return k == PK_V_BOOL || k == PK_V_NUMBER || k == PK_V_STRING;
}

// Unifies the values in slots (pointers into their containers) in place.
static int
s_unify(pk_value_t **slots[], size_t n)
{
    bool kinds[PK_V_OBJECT + 1] = { false };
    size_t first = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (*slots[i]) {
            kinds[pk_value_kind(*slots[i])] = true;
            if (first == SIZE_MAX && pk_value_kind(*slots[i]) != PK_V_NULL)
                first = i;
        }
    int primitive = kinds[PK_V_BOOL] + kinds[PK_V_NUMBER] + kinds[PK_V_STRING];
    if ((primitive > 0 && (kinds[PK_V_LIST] || kinds[PK_V_OBJECT])) || (kinds[PK_V_LIST] && kinds[PK_V_OBJECT]))
        return -1;
    if (first == SIZE_MAX || (primitive == 1 && !kinds[PK_V_LIST] && !kinds[PK_V_OBJECT]))
        return 0;
    if (primitive > 1) {
        if (!kinds[PK_V_STRING])
            return -1;  // number and bool have no common type
        for (size_t i = 0; i < n; i++) {
            pk_value_kind_t k = pk_value_kind(*slots[i]);
            if (!*slots[i] || (k != PK_V_BOOL && k != PK_V_NUMBER))
                continue;
            size_t len;
            char *str = hcl_to_string(*slots[i], &len);
            if (str) {
                pk_value_destroy(slots[i]);
                *slots[i] = hcl_value_string_take(str, len);
            }
        }
        return 0;
    }
    // Containers: element-wise when every one has the same shape.
    const pk_value_t *ref = *slots[first];
    bool same = true;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const pk_value_t *v = *slots[i];
        if (!v || pk_value_kind(v) == PK_V_NULL)
            continue;
        total += pk_value_len(v);
        same &= pk_value_len(v) == pk_value_len(ref);
        for (size_t k = 0; same && pk_value_kind(v) == PK_V_OBJECT && k < pk_value_len(v); k++)
            same = strcmp(pk_value_object_key(v, k), pk_value_object_key(ref, k)) == 0;
    }
    pk_value_t ***sub = calloc((same ? n : total) + 1, sizeof *sub);
    if (!sub)
        return -1;
    int rc = 0;
    size_t width = same ? pk_value_len(ref) : 1;
    for (size_t k = 0; k < width && rc == 0; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            pk_value_t *v = *slots[i];
            if (!v || pk_value_kind(v) == PK_V_NULL)
                continue;
            if (same)
                sub[m++] = hcl_value_slot(v, k);
            else
                for (size_t j = 0; j < pk_value_len(v); j++)
                    sub[m++] = hcl_value_slot(v, j);
        }
        rc = s_unify(sub, m);
    }
    free(sub);
    for (size_t i = 0; i < n; i++)
        if (*slots[i])
            hcl_value_reweigh(*slots[i]);
    return rc;
}

int
hcl_unify(pk_value_t **vals, size_t n)
{
    pk_value_t ***slots = calloc(n + 1, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < n; i++)
        slots[i] = &vals[i];
    int rc = s_unify(slots, n);
    free(slots);
    return rc;
}

int
hcl_unify_elements(pk_value_t *coll)
{
    size_t n = pk_value_len(coll);
    pk_value_t ***slots = calloc(n + 1, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < n; i++)
        slots[i] = hcl_value_slot(coll, i);
    int rc = s_unify(slots, n);
    free(slots);
    hcl_value_reweigh(coll);
    return rc;
}
