// hcl_funcs: the one table of built-in functions (name, parameters,
// implementation) and the call machinery around it: "..." expansion,
// argument counts, conversion of each argument to its parameter type, null
// checks, and turning implementation errors into diagnostics worded as
// hclsyntax words them. The table is sorted by name for bsearch and for
// pk_hcl_function_names().
#include "hcl_funcs.h"
#include "pk_suggest.h"
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STR(n) { n, HCL_P_STRING, false }
#define S_NUM(n) { n, HCL_P_NUMBER, false }
#define S_BOOL(n) { n, HCL_P_BOOL, false }
#define S_LIST(n) { n, HCL_P_LIST, false }
#define S_MAP(n) { n, HCL_P_MAP, false }
#define S_ANY(n) { n, HCL_P_ANY, false }
#define S_NULLOK(n) { n, HCL_P_ANY, true }
#define S_NONE { NULL, HCL_P_ANY, false }

#define F0(name, var) { #name, hcl_fn_##name, 0, { S_NONE }, var }
#define F1(name, a, var) { #name, hcl_fn_##name, 1, { a }, var }
#define F2(name, a, b, var) { #name, hcl_fn_##name, 2, { a, b }, var }
#define F3(name, a, b, c) { #name, hcl_fn_##name, 3, { a, b, c }, S_NONE }

static const hcl_func_t s_funcs[] = {
    F1(abs, S_NUM("num"), S_NONE),
    F1(alltrue, S_LIST("list"), S_NONE),
    F1(anytrue, S_LIST("list"), S_NONE),
    F1(base64decode, S_STR("str"), S_NONE),
    F1(base64encode, S_STR("str"), S_NONE),
    F1(ceil, S_NUM("num"), S_NONE),
    F1(chomp, S_STR("str"), S_NONE),
    F2(chunklist, S_LIST("list"), S_NUM("size"), S_NONE),
    F0(coalesce, S_NULLOK("vals")),
    F0(coalescelist, S_NULLOK("vals")),
    F1(compact, S_LIST("list"), S_NONE),
    F0(concat, S_LIST("seqs")),
    F2(contains, S_LIST("list"), S_NULLOK("value"), S_NONE),
    F1(csvdecode, S_STR("str"), S_NONE),
    F1(distinct, S_LIST("list"), S_NONE),
    F2(element, S_LIST("list"), S_NUM("index"), S_NONE),
    F2(endswith, S_STR("str"), S_STR("suffix"), S_NONE),
    F1(flatten, S_LIST("list"), S_NONE),
    F1(floor, S_NUM("num"), S_NONE),
    F1(format, S_STR("format"), S_NULLOK("args")),
    F2(formatdate, S_STR("format"), S_STR("time"), S_NONE),
    F1(formatlist, S_STR("format"), S_NULLOK("args")),
    F2(indent, S_NUM("spaces"), S_STR("str"), S_NONE),
    F2(index, S_LIST("list"), S_NULLOK("value"), S_NONE),
    F1(join, S_STR("separator"), S_LIST("lists")),
    F1(jsondecode, S_STR("str"), S_NONE),
    F1(jsonencode, S_NULLOK("val"), S_NONE),
    F1(keys, S_MAP("inputMap"), S_NONE),
    F1(length, S_ANY("value"), S_NONE),
    F2(log, S_NUM("num"), S_NUM("base"), S_NONE),
    F2(lookup, S_MAP("inputMap"), S_STR("key"), S_NULLOK("default")),
    F1(lower, S_STR("str"), S_NONE),
    F0(max, S_NUM("numbers")),
    F0(merge, S_NULLOK("maps")),
    F0(min, S_NUM("numbers")),
    F1(one, S_LIST("list"), S_NONE),
    F2(parseint, S_STR("number"), S_NUM("base"), S_NONE),
    F2(pow, S_NUM("num"), S_NUM("power"), S_NONE),
    F0(range, S_NUM("params")),
    F2(regex, S_STR("pattern"), S_STR("string"), S_NONE),
    F2(regexall, S_STR("pattern"), S_STR("string"), S_NONE),
    F3(regexreplace, S_STR("str"), S_STR("pattern"), S_STR("replace")),
    F3(replace, S_STR("str"), S_STR("substr"), S_STR("replace")),
    F1(reverse, S_LIST("list"), S_NONE),
    F1(setintersection, S_LIST("first_set"), S_LIST("other_sets")),
    F0(setproduct, S_LIST("sets")),
    F2(setsubtract, S_LIST("a"), S_LIST("b"), S_NONE),
    F1(setsymmetricdifference, S_LIST("first_set"), S_LIST("other_sets")),
    F1(setunion, S_LIST("first_set"), S_LIST("other_sets")),
    F1(signum, S_NUM("num"), S_NONE),
    F3(slice, S_LIST("list"), S_NUM("start_index"), S_NUM("end_index")),
    F1(sort, S_LIST("list"), S_NONE),
    F2(split, S_STR("separator"), S_STR("str"), S_NONE),
    F2(startswith, S_STR("str"), S_STR("prefix"), S_NONE),
    F2(strcontains, S_STR("str"), S_STR("substr"), S_NONE),
    F1(strlen, S_STR("str"), S_NONE),
    F1(strrev, S_STR("str"), S_NONE),
    F3(substr, S_STR("str"), S_NUM("offset"), S_NUM("length")),
    F1(sum, S_LIST("list"), S_NONE),
    F2(timeadd, S_STR("timestamp"), S_STR("duration"), S_NONE),
    F0(timestamp, S_NONE),
    F1(title, S_STR("str"), S_NONE),
    F1(tobool, S_NULLOK("v"), S_NONE),
    F1(tolist, S_NULLOK("v"), S_NONE),
    F1(tomap, S_NULLOK("v"), S_NONE),
    F1(tonumber, S_NULLOK("v"), S_NONE),
    F1(toset, S_NULLOK("v"), S_NONE),
    F1(tostring, S_NULLOK("v"), S_NONE),
    F1(transpose, S_MAP("inputMap"), S_NONE),
    F2(trim, S_STR("str"), S_STR("cutset"), S_NONE),
    F2(trimprefix, S_STR("str"), S_STR("prefix"), S_NONE),
    F1(trimspace, S_STR("str"), S_NONE),
    F2(trimsuffix, S_STR("str"), S_STR("suffix"), S_NONE),
    F1(upper, S_STR("str"), S_NONE),
    F1(urlencode, S_STR("str"), S_NONE),
    F1(values, S_MAP("mapping"), S_NONE),
    F2(zipmap, S_LIST("keys"), S_LIST("values"), S_NONE),
};

#define S_NFUNCS (sizeof s_funcs / sizeof s_funcs[0])

// lookup's third parameter is optional: modelled as a variadic "default".
static size_t
s_max_args(const hcl_func_t *f)
{
    if (f->fn == hcl_fn_lookup)
        return 3;
    return f->var.name ? SIZE_MAX : f->nparams;
}

static size_t
s_min_args(const hcl_func_t *f)
{
    return f->fn == hcl_fn_lookup ? 2 : f->nparams;
}

static const hcl_param_t *
s_param(const hcl_func_t *f, size_t i)
{
    if (f->fn == hcl_fn_lookup)
        return &f->params[i < 3 ? i : 2];
    return i < f->nparams ? &f->params[i] : &f->var;
}

static int
s_cmp_name(const void *key, const void *elem)
{
    return strcmp(key, ((const hcl_func_t *) elem)->name);
}

static const char *s_names[S_NFUNCS + 1];
static pthread_once_t s_names_once = PTHREAD_ONCE_INIT;

static void
s_names_init(void)
{
    for (size_t i = 0; i < S_NFUNCS; i++)
        s_names[i] = s_funcs[i].name;
}

const char *const *
pk_hcl_function_names(void)
{
    pthread_once(&s_names_once, s_names_init);
    return s_names;
}

pk_value_t *
hcl_func_error(hcl_call_t *call, int arg, const char *fmt, ...)
{
    if (call->err)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&call->err, fmt, ap) < 0)
        call->err = NULL;
    va_end(ap);
    call->err_arg = arg;
    return NULL;
}

const char *
hcl_arg_str(hcl_call_t *call, size_t i, size_t *len)
{
    if (len)
        *len = pk_value_len(call->args[i]);
    return pk_value_string(call->args[i]);
}

double
hcl_arg_num(hcl_call_t *call, size_t i)
{
    return pk_value_number(call->args[i]);
}

bool
hcl_arg_int(hcl_call_t *call, size_t i, long long *out)
{
    double n = pk_value_number(call->args[i]);
    if (n != floor(n)) {
        hcl_func_error(call, (int) i, "value must be a whole number, between %lld and %lld", -(1LL << 53),
                       1LL << 53);
        return false;
    }
    if (fabs(n) > 9007199254740992.0) {
        hcl_func_error(call, (int) i, "value must be a whole number, between %lld and %lld", -(1LL << 53),
                       1LL << 53);
        return false;
    }
    *out = (long long) n;
    return true;
}

pk_value_t *
hcl_func_string(hcl_call_t *call, hcl_buf_t *b)
{
    if (b->overflow) {
        hcl_buf_free(b);
        return hcl_func_error(call, -1, "the result would be longer than %zu MiB",
                              (size_t) HCL_MAX_STRING >> 20);
    }
    size_t len;
    char *s = hcl_buf_take(b, &len);
    return s ? hcl_value_string_nfc(s, len) : hcl_func_error(call, -1, "out of memory");
}

// Converts argument v in place to its parameter's type; error text or NULL.
static const char *
s_convert(const hcl_param_t *param, pk_value_t **v)
{
    pk_value_kind_t kind = pk_value_kind(*v);
    if (kind == PK_V_NULL)
        return param->allow_null ? NULL : "argument must not be null";
    switch (param->type) {
    case HCL_P_STRING:
        if (kind != PK_V_STRING) {
            size_t len;
            char *s = hcl_to_string(*v, &len);
            if (!s)
                return "string required";
            pk_value_destroy(v);
            *v = hcl_value_string_take(s, len);
        }
        return NULL;
    case HCL_P_NUMBER:
        if (kind != PK_V_NUMBER) {
            double n;
            if (hcl_to_number(*v, &n) < 0)
                return "a number is required";
            pk_value_destroy(v);
            *v = pk_value_new_number(n);
        }
        return NULL;
    case HCL_P_BOOL:
        if (kind != PK_V_BOOL) {
            bool b;
            if (hcl_to_bool(*v, &b) < 0)
                return "a bool is required";
            pk_value_destroy(v);
            *v = pk_value_new_bool(b);
        }
        return NULL;
    case HCL_P_LIST:
        return kind == PK_V_LIST ? NULL : "list of any single type required";
    case HCL_P_MAP:
        return kind == PK_V_OBJECT ? NULL : "map of any single type required";
    default:
        return NULL;
    }
}

typedef struct {
    pk_value_t **vals;
    pk_range_t *ranges;
    size_t count, cap;
} s_args_t;

static void
s_args_push(s_args_t *a, pk_value_t *v, pk_range_t r)
{
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        pk_value_t **vals = realloc(a->vals, cap * sizeof *vals);
        pk_range_t *ranges = vals ? realloc(a->ranges, cap * sizeof *ranges) : NULL;
        if (!vals || !ranges)
            abort();
        a->vals = vals;
        a->ranges = ranges;
        a->cap = cap;
    }
    a->vals[a->count] = v;
    a->ranges[a->count++] = r;
}

static void
s_args_free(s_args_t *a)
{
    for (size_t i = 0; i < a->count; i++)
        pk_value_destroy(&a->vals[i]);
    free(a->vals);
    free(a->ranges);
}

static pk_value_t *
s_unknown_function(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    const char *sugg = pk_suggest(e->u.call.name, pk_hcl_function_names());
    hcl_eval_error(ev, e->u.call.name_range, "Call to unknown function; There is no function named \"%s\".%s%s%s",
                   e->u.call.name, sugg ? " Did you mean \"" : "", sugg ? sugg : "", sugg ? "\"?" : "");
    return NULL;
}

// Evaluates the arguments, expanding a final "..." list. False on error.
static bool
s_eval_args(hcl_eval_t *ev, const pk_hcl_expr_t *e, s_args_t *args)
{
    bool ok = true;
    for (size_t i = 0; i < e->u.call.nargs; i++) {
        const pk_hcl_expr_t *arg = e->u.call.args[i];
        pk_value_t *v = hcl_eval_expr(ev, arg);
        if (!v) {
            ok = false;
            continue;
        }
        if (!e->u.call.expand || i + 1 < e->u.call.nargs) {
            s_args_push(args, v, arg->range);
            continue;
        }
        if (pk_value_kind(v) != PK_V_LIST) {
            hcl_eval_error(ev, arg->range, "Invalid expanding argument value; The expanding argument "
                           "(indicated by ...) must %s.", pk_value_kind(v) == PK_V_NULL ? "not be null"
                           : "be of a tuple, list, or set type");
            pk_value_destroy(&v);
            ok = false;
            continue;
        }
        for (size_t k = 0; k < pk_value_len(v); k++)
            s_args_push(args, pk_value_dup(pk_value_list_at(v, k)), arg->range);
        pk_value_destroy(&v);
    }
    return ok;
}

pk_value_t *
hcl_eval_call(hcl_eval_t *ev, const pk_hcl_expr_t *e)
{
    const hcl_func_t *f = bsearch(e->u.call.name, s_funcs, S_NFUNCS, sizeof *s_funcs, s_cmp_name);
    if (!f)
        return s_unknown_function(ev, e);
    s_args_t args = { 0 };
    pk_value_t *out = NULL;
    if (!s_eval_args(ev, e, &args))
        goto done;
    if (args.count < s_min_args(f)) {
        pk_range_t close = { e->range.end, e->range.end };
        close.start.col--;
        close.start.byte--;
        hcl_eval_error(ev, close, "Not enough function arguments; Function \"%s\" expects%s %zu argument(s). "
                       "Missing value for \"%s\".", f->name, f->var.name ? " at least" : "", s_min_args(f),
                       s_param(f, args.count)->name);
        goto done;
    }
    if (args.count > s_max_args(f)) {
        hcl_eval_error(ev, args.ranges[s_max_args(f)], "Too many function arguments; Function \"%s\" expects "
                       "only %zu argument(s).", f->name, s_max_args(f));
        goto done;
    }
    bool ok = true;
    for (size_t i = 0; i < args.count; i++) {
        const hcl_param_t *param = s_param(f, i);
        const char *why = s_convert(param, &args.vals[i]);
        if (why) {
            hcl_eval_error(ev, args.ranges[i], "Invalid function argument; Invalid value for \"%s\" "
                           "parameter: %s.", param->name, why);
            ok = false;
        }
    }
    if (!ok)
        goto done;
    hcl_call_t call = { f->name, args.vals, args.count, NULL, -1 };
    out = f->fn(&call);
    if (call.err || !out) {
        pk_value_destroy(&out);
        const char *why = call.err ? call.err : "the function failed";
        if (call.err_arg >= 0 && (size_t) call.err_arg < args.count)
            hcl_eval_error(ev, args.ranges[call.err_arg], "Invalid function argument; Invalid value for "
                           "\"%s\" parameter: %s.", s_param(f, (size_t) call.err_arg)->name, why);
        else
            hcl_eval_error(ev, e->range, "Error in function call; Call to function \"%s\" failed: %s.",
                           f->name, why);
        free(call.err);
        goto done;
    }
    if (!hcl_eval_charge(ev, &out, e->range))
        out = NULL;
done:
    s_args_free(&args);
    return out;
}
