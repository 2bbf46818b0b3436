// hcl_funcs: the built-in function library's internal interface. The call
// machinery (hcl_funcs.c) checks argument counts, converts each argument to
// its declared parameter type (as cty's function.Spec does) and rejects
// nulls, so the implementations in hcl_funcs_*.c see clean values and only
// report what is specific to them through hcl_func_error.
#ifndef HCL_FUNCS_H
#define HCL_FUNCS_H
#include "hcl_buf.h"
#include "hcl_eval.h"

typedef enum {
    HCL_P_ANY,      // any value, unconverted
    HCL_P_STRING,   // converted to a string value
    HCL_P_NUMBER,   // converted to a number value
    HCL_P_BOOL,     // converted to a bool value
    HCL_P_LIST,     // a list, tuple or set
    HCL_P_MAP,      // an object or map
} hcl_ptype_t;

typedef struct {
    const char *name;
    hcl_ptype_t type;
    bool allow_null;
} hcl_param_t;

typedef struct {
    const char *fname;
    pk_value_t **args;      // converted arguments, owned by the caller
    size_t nargs;
    char *err;              // set by hcl_func_error
    int err_arg;            // argument the error is about, or -1
} hcl_call_t;

typedef pk_value_t *(hcl_func_fn)(hcl_call_t *call);

typedef struct {
    const char *name;
    hcl_func_fn *fn;
    size_t nparams;
    hcl_param_t params[3];
    hcl_param_t var;        // variadic parameter; var.name NULL when none
} hcl_func_t;

// Records an error (arg -1: about the call as a whole) and returns NULL.
pk_value_t *hcl_func_error(hcl_call_t *call, int arg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
// Shorthands for converted arguments.
const char *hcl_arg_str(hcl_call_t *call, size_t i, size_t *len);
double hcl_arg_num(hcl_call_t *call, size_t i);
// Whole-number argument; false (after an error) when fractional or huge.
bool hcl_arg_int(hcl_call_t *call, size_t i, long long *out);
// A finished buffer as a string value, or an error if it overflowed.
pk_value_t *hcl_func_string(hcl_call_t *call, hcl_buf_t *b);

// Families, each defined in its own file.
#define HCL_FN(name) pk_value_t *hcl_fn_##name(hcl_call_t *call)
// hcl_funcs_string.c
HCL_FN(chomp); HCL_FN(endswith); HCL_FN(indent); HCL_FN(join); HCL_FN(lower);
HCL_FN(replace); HCL_FN(split); HCL_FN(startswith); HCL_FN(strcontains);
HCL_FN(strlen); HCL_FN(strrev); HCL_FN(substr); HCL_FN(title); HCL_FN(trim);
HCL_FN(trimprefix); HCL_FN(trimsuffix); HCL_FN(trimspace); HCL_FN(upper);
// hcl_funcs_format.c
HCL_FN(format); HCL_FN(formatlist);
// hcl_funcs_coll.c
HCL_FN(alltrue); HCL_FN(anytrue); HCL_FN(chunklist); HCL_FN(coalesce);
HCL_FN(coalescelist); HCL_FN(compact); HCL_FN(concat); HCL_FN(contains);
HCL_FN(distinct); HCL_FN(element); HCL_FN(flatten); HCL_FN(index); HCL_FN(keys);
HCL_FN(length); HCL_FN(lookup); HCL_FN(merge); HCL_FN(one); HCL_FN(range);
HCL_FN(reverse); HCL_FN(slice); HCL_FN(sort); HCL_FN(sum); HCL_FN(transpose);
HCL_FN(values); HCL_FN(zipmap);
// hcl_funcs_num.c (numbers and type conversions)
HCL_FN(abs); HCL_FN(ceil); HCL_FN(floor); HCL_FN(log); HCL_FN(max); HCL_FN(min);
HCL_FN(parseint); HCL_FN(pow); HCL_FN(signum); HCL_FN(tobool); HCL_FN(tolist);
HCL_FN(tomap); HCL_FN(tonumber); HCL_FN(tostring);
// hcl_funcs_encode.c
HCL_FN(base64decode); HCL_FN(base64encode); HCL_FN(csvdecode); HCL_FN(jsondecode);
HCL_FN(jsonencode); HCL_FN(urlencode);
// hcl_funcs_set.c
HCL_FN(toset); HCL_FN(setproduct); HCL_FN(setintersection); HCL_FN(setunion);
HCL_FN(setsubtract); HCL_FN(setsymmetricdifference);
// hcl_funcs_regex.c
HCL_FN(regex); HCL_FN(regexall); HCL_FN(regexreplace);
// replace() with a /pattern/: regex replacement with $1-style references.
pk_value_t *hcl_regex_replace(hcl_call_t *call, const char *str, size_t len, const char *pattern,
                              size_t plen, const char *repl, size_t rlen);
// hcl_funcs_time.c
HCL_FN(formatdate); HCL_FN(timeadd); HCL_FN(timestamp);

#endif
