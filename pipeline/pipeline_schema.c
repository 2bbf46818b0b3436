// pipeline_schema: the generic half of decoding. Body schema checks (unknown
// attributes and blocks with "did you mean", label counts), typed attribute
// getters with HCL-style conversions, command blocks and small containers.
// Block decoders in the other pipeline_*.c files are written in terms of
// these, so every message about a misspelt or mistyped attribute is worded
// in one place.
#include "pipeline_internal.h"
#include "pk_duration.h"
#include "pk_suggest.h"
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
pk_dec_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *
pk_dec_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

int
pk_dec_push(void ***items, size_t *count, void *item)
{
    // Capacity is the next power of two at or above count.
    size_t n = *count;
    if (n == 0 || (n & (n - 1)) == 0) {
        void **grown = realloc(*items, (n ? n * 2 : 1) * sizeof *grown);
        if (!grown)
            return -1;
        *items = grown;
    }
    (*items)[(*count)++] = item;
    return 0;
}

static bool
s_in(const char *const *names, const char *name)
{
    for (; names && *names; names++)
        if (!strcmp(*names, name))
            return true;
    return false;
}

static const char **
s_block_names(const pk_block_spec_t *blocks)
{
    size_t n = 0;
    while (blocks && blocks[n].name)
        n++;
    const char **names = calloc(n + 1, sizeof *names);
    for (size_t i = 0; names && i < n; i++)
        names[i] = blocks[i].name;
    return names;
}

static const pk_block_spec_t *
s_spec_find(const pk_block_spec_t *blocks, const char *name)
{
    for (; blocks && blocks->name; blocks++)
        if (!strcmp(blocks->name, name))
            return blocks;
    return NULL;
}

char *
pk_dec_where(const pk_hcl_block_t *b)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fputs(pk_hcl_block_type(b), f);
    for (size_t i = 0; i < pk_hcl_block_label_count(b); i++)
        fprintf(f, " \"%s\"", pk_hcl_block_label(b, i));
    fclose(f);
    return out;
}

static void
s_label_error(pk_dec_t *d, const pk_hcl_block_t *b, const pk_block_spec_t *spec)
{
    size_t n = pk_hcl_block_label_count(b);
    pk_range_t r = n > (size_t) spec->max_labels
                   ? pk_hcl_block_label_range(b, (size_t) spec->max_labels)
                   : pk_hcl_block_type_range(b);
    if (spec->max_labels == 0)
        pk_diags_error(d->diags, r, "%s block takes no labels, found %zu", spec->name, n);
    else if (spec->min_labels == spec->max_labels)
        pk_diags_error(d->diags, r, "%s block needs %d label%s (%s), found %zu", spec->name,
                       spec->max_labels, spec->max_labels == 1 ? "" : "s", spec->labels, n);
    else
        pk_diags_error(d->diags, r, "%s block takes at most %d label (%s), found %zu",
                       spec->name, spec->max_labels, spec->labels, n);
}

void
pk_dec_check_body(pk_dec_t *d, const pk_hcl_body_t *body, const char *where,
                  const char *const *attrs, const pk_block_spec_t *blocks)
{
    static const char *const none[] = { NULL };
    char *in = where ? pk_dec_fmt(" in %s", where) : strdup("");
    const char **bnames = s_block_names(blocks);
    for (size_t i = 0; attrs && i < pk_hcl_body_attr_count(body); i++) {
        const pk_hcl_attr_t *a = pk_hcl_body_attr(body, i);
        const char *name = pk_hcl_attr_name(a);
        if (s_in(attrs, name))
            continue;
        pk_range_t r = pk_hcl_attr_name_range(a);
        const char *hint = pk_suggest(name, attrs);
        if (s_spec_find(blocks, name))
            pk_diags_error(d->diags, r, "\"%s\" is a block, not an attribute: write %s { ... }",
                           name, name);
        else if (hint)
            pk_diags_error(d->diags, r, "unknown attribute \"%s\"%s; did you mean \"%s\"?",
                           name, in ? in : "", hint);
        else
            pk_diags_error(d->diags, r, "unknown attribute \"%s\"%s", name, in ? in : "");
    }
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *b = pk_hcl_body_block(body, i);
        const char *type = pk_hcl_block_type(b);
        const pk_block_spec_t *spec = s_spec_find(blocks, type);
        if (spec) {
            size_t n = pk_hcl_block_label_count(b);
            if (n < (size_t) spec->min_labels || n > (size_t) spec->max_labels)
                s_label_error(d, b, spec);
            continue;
        }
        pk_range_t r = pk_hcl_block_type_range(b);
        const char *hint = pk_suggest(type, bnames ? bnames : none);
        if (attrs && s_in(attrs, type))
            pk_diags_error(d->diags, r, "\"%s\" is an attribute, not a block: write %s = ...",
                           type, type);
        else if (hint)
            pk_diags_error(d->diags, r, "unknown block \"%s\"%s; did you mean \"%s\"?",
                           type, in ? in : "", hint);
        else
            pk_diags_error(d->diags, r, "unknown block \"%s\"%s", type, in ? in : "");
    }
    free(bnames);
    free(in);
}

const pk_block_spec_t *
pk_dec_block_spec(const pk_block_spec_t *blocks, const pk_hcl_block_t *b)
{
    const pk_block_spec_t *spec = s_spec_find(blocks, pk_hcl_block_type(b));
    size_t n = pk_hcl_block_label_count(b);
    if (!spec || n < (size_t) spec->min_labels || n > (size_t) spec->max_labels)
        return NULL;
    return spec;
}

char *
pk_dec_describe(const pk_value_t *v)
{
    switch (pk_value_kind(v)) {
    case PK_V_STRING: {
        const char *s = pk_value_string(v);
        size_t len = strlen(s);
        return len > 40 ? pk_dec_fmt("\"%.37s...\"", s) : pk_dec_fmt("\"%s\"", s);
    }
    case PK_V_NUMBER: return pk_dec_fmt("%g", pk_value_number(v));
    case PK_V_BOOL: return strdup(pk_value_bool(v) ? "true" : "false");
    case PK_V_LIST: return strdup("a list");
    case PK_V_OBJECT: return strdup("an object");
    default: return strdup("null");
    }
}

int
pk_dec_to_bool(const pk_value_t *v, bool *out)
{
    if (pk_value_kind(v) == PK_V_BOOL) {
        *out = pk_value_bool(v);
        return 0;
    }
    if (pk_value_kind(v) == PK_V_STRING) {
        const char *s = pk_value_string(v);
        if (!strcmp(s, "true") || !strcmp(s, "false")) {
            *out = s[0] == 't';
            return 0;
        }
    }
    return -1;
}

int
pk_dec_to_number(const pk_value_t *v, double *out)
{
    if (pk_value_kind(v) == PK_V_NUMBER) {
        *out = pk_value_number(v);
        return 0;
    }
    if (pk_value_kind(v) == PK_V_STRING) {
        // decimal notation only, as HCL converts strings: no hex, inf or nan
        const char *s = pk_value_string(v);
        char *end = NULL;
        double n = strtod(s, &end);
        if (*s && strspn(s, "0123456789+-.eE") == strlen(s) && end && *end == '\0'
            && isfinite(n)) {
            *out = n;
            return 0;
        }
    }
    return -1;
}

char *
pk_dec_to_string(const pk_value_t *v)
{
    pk_value_kind_t k = pk_value_kind(v);
    if (k == PK_V_STRING || k == PK_V_NUMBER || k == PK_V_BOOL)
        return pk_value_to_string(v);
    return NULL;
}

pk_value_t *
pk_dec_eval(pk_dec_t *d, const pk_hcl_attr_t *attr)
{
    return pk_hcl_eval(pk_hcl_attr_expr(attr), d->ctx, d->diags);
}

// Evaluates attribute `name` of body; 0 absent, -1 error, 1 with *out.
static int
s_eval_named(pk_dec_t *d, const pk_hcl_body_t *body, const char *name,
             const pk_hcl_attr_t **attr, pk_value_t **out)
{
    *attr = pk_hcl_body_attr_find(body, name);
    if (!*attr)
        return 0;
    *out = pk_dec_eval(d, *attr);
    if (!*out)
        return -1;
    if (pk_value_kind(*out) == PK_V_NULL) {
        pk_value_destroy(out);
        return 0;       // null means unset, as in HCL
    }
    return 1;
}

static int
s_type_error(pk_dec_t *d, const pk_hcl_attr_t *a, pk_value_t **v, const char *expected)
{
    char *desc = pk_dec_describe(*v);
    pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(a)), "\"%s\" must be %s, not %s",
                   pk_hcl_attr_name(a), expected, desc ? desc : "?");
    free(desc);
    pk_value_destroy(v);
    return -1;
}

int
pk_dec_string(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, char **out)
{
    const pk_hcl_attr_t *a;
    pk_value_t *v = NULL;
    int rc = s_eval_named(d, body, name, &a, &v);
    if (rc <= 0)
        return rc;
    char *s = pk_dec_to_string(v);
    if (!s)
        return s_type_error(d, a, &v, "a string");
    pk_value_destroy(&v);
    free(*out);
    *out = s;
    return 1;
}

int
pk_dec_bool(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, bool *out)
{
    const pk_hcl_attr_t *a;
    pk_value_t *v = NULL;
    int rc = s_eval_named(d, body, name, &a, &v);
    if (rc <= 0)
        return rc;
    if (pk_dec_to_bool(v, out))
        return s_type_error(d, a, &v, "true or false");
    pk_value_destroy(&v);
    return 1;
}

int
pk_dec_int(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, int min, int *out)
{
    const pk_hcl_attr_t *a;
    pk_value_t *v = NULL;
    int rc = s_eval_named(d, body, name, &a, &v);
    if (rc <= 0)
        return rc;
    double n;
    if (pk_dec_to_number(v, &n) || n != floor(n) || n < min || n > INT_MAX) {
        char *expected = pk_dec_fmt("a whole number of at least %d", min);
        rc = s_type_error(d, a, &v, expected ? expected : "a whole number");
        free(expected);
        return rc;
    }
    *out = (int) n;
    pk_value_destroy(&v);
    return 1;
}

int
pk_dec_duration(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, int64_t *out_ms)
{
    const pk_hcl_attr_t *a;
    pk_value_t *v = NULL;
    int rc = s_eval_named(d, body, name, &a, &v);
    if (rc <= 0)
        return rc;
    if (pk_value_kind(v) != PK_V_STRING)
        return s_type_error(d, a, &v, "a duration such as \"30s\" or \"5m\"");
    pk_range_t r = pk_hcl_expr_range(pk_hcl_attr_expr(a));
    char *err = NULL;
    int64_t ms = 0;
    if (pk_duration_parse(pk_value_string(v), &ms, &err) != 0) {
        pk_diags_error(d->diags, r, "invalid duration for \"%s\": %s", name,
                       err ? err : "not a duration");
        free(err);
        rc = -1;
    }
    else if (ms <= 0) {
        pk_diags_error(d->diags, r, "\"%s\" must be a positive duration, not \"%s\"", name,
                       pk_value_string(v));
        rc = -1;
    }
    else
        *out_ms = ms;
    pk_value_destroy(&v);
    return rc;
}

void
pk_strlist_clear(pk_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

int
pk_strlist_add(pk_strlist_t *list, const char *s)
{
    char **grown = realloc(list->items, (list->count + 2) * sizeof *grown);
    if (!grown)
        return -1;
    list->items = grown;
    grown[list->count] = strdup(s);
    if (!grown[list->count])
        return -1;
    grown[++list->count] = NULL;
    return 0;
}

bool
pk_strlist_has(const pk_strlist_t *list, const char *s)
{
    for (size_t i = 0; i < list->count; i++)
        if (!strcmp(list->items[i], s))
            return true;
    return false;
}

int
pk_dec_strlist(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, pk_strlist_t *out)
{
    const pk_hcl_attr_t *a;
    pk_value_t *v = NULL;
    int rc = s_eval_named(d, body, name, &a, &v);
    if (rc <= 0)
        return rc;
    if (pk_value_kind(v) != PK_V_LIST)
        return s_type_error(d, a, &v, "a list of strings");
    pk_strlist_clear(out);
    out->range = pk_hcl_expr_range(pk_hcl_attr_expr(a));
    for (size_t i = 0; i < pk_value_len(v); i++) {
        const pk_value_t *e = pk_value_list_at(v, i);
        char *s = pk_dec_to_string(e);
        if (!s) {
            char *desc = pk_dec_describe(e);
            pk_diags_error(d->diags, out->range,
                           "\"%s\" must be a list of strings; element %zu is %s", name, i + 1,
                           desc ? desc : "?");
            free(desc);
            pk_strlist_clear(out);
            pk_value_destroy(&v);
            return -1;
        }
        pk_strlist_add(out, s);
        free(s);
    }
    pk_value_destroy(&v);
    return 1;
}

// args: a list of primitives, kept as a list of strings.
static pk_value_t *
s_args_value(pk_dec_t *d, const pk_hcl_attr_t *a, pk_value_t *v)
{
    pk_range_t r = pk_hcl_expr_range(pk_hcl_attr_expr(a));
    if (pk_value_kind(v) != PK_V_LIST) {
        s_type_error(d, a, &v, "a list of strings");
        return NULL;
    }
    pk_value_t *list = pk_value_new_list();
    for (size_t i = 0; list && i < pk_value_len(v); i++) {
        char *s = pk_dec_to_string(pk_value_list_at(v, i));
        if (!s) {
            char *desc = pk_dec_describe(pk_value_list_at(v, i));
            pk_diags_error(d->diags, r, "\"%s\" must be a list of strings; element %zu is %s",
                           pk_hcl_attr_name(a), i + 1, desc ? desc : "?");
            free(desc);
            pk_value_destroy(&list);
            break;
        }
        pk_value_list_append(list, pk_value_new_string(s));
        free(s);
    }
    pk_value_destroy(&v);
    return list;
}

pk_value_t *
pk_dec_attrs_object(pk_dec_t *d, const pk_hcl_body_t *body, const char *const *skip,
                    bool allow_args)
{
    pk_value_t *obj = pk_value_new_object();
    for (size_t i = 0; obj && i < pk_hcl_body_attr_count(body); i++) {
        const pk_hcl_attr_t *a = pk_hcl_body_attr(body, i);
        const char *name = pk_hcl_attr_name(a);
        if (s_in(skip, name))
            continue;
        pk_value_t *v = pk_dec_eval(d, a);
        if (!v)
            continue;
        pk_value_kind_t k = pk_value_kind(v);
        if (k == PK_V_NULL)
            pk_value_destroy(&v);
        else if (allow_args && !strcmp(name, "args")) {
            v = s_args_value(d, a, v);
            if (v)
                pk_value_object_set(obj, name, v);
        }
        else if (k == PK_V_LIST || k == PK_V_OBJECT)
            s_type_error(d, a, &v, "a string, number or bool");
        else
            pk_value_object_set(obj, name, v);
    }
    return obj;
}

pk_command_t *
pk_dec_command(pk_dec_t *d, const pk_hcl_block_t *b, const char *const *skip)
{
    static const pk_block_spec_t no_blocks[] = { { NULL, 0, 0, NULL } };
    pk_command_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *where = pk_dec_where(b);
    pk_dec_check_body(d, body, where, NULL, no_blocks);
    free(where);
    c->op = strdup(pk_hcl_block_type(b));
    c->runner = strdup(pk_hcl_block_label_count(b) ? pk_hcl_block_label(b, 0) : "");
    c->range = pk_hcl_block_range(b);
    c->runner_range = pk_hcl_block_label_count(b) ? pk_hcl_block_label_range(b, 0)
                                                  : pk_hcl_block_type_range(b);
    c->attrs = pk_dec_attrs_object(d, body, skip, true);
    if (!c->op || !c->runner || !c->attrs)
        pk_command_destroy(&c);
    return c;
}

void
pk_command_destroy(pk_command_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_command_t *c = *self_p;
    free(c->op);
    free(c->runner);
    pk_value_destroy(&c->attrs);
    free(c);
    *self_p = NULL;
}

void
pk_dec_merge_diags(pk_diags_t *dst, size_t from, const pk_diags_t *src)
{
    for (size_t i = 0; i < pk_diags_count(src); i++) {
        const pk_diag_t *s = pk_diags_at(src, i);
        bool seen = false;
        for (size_t j = from; j < pk_diags_count(dst) && !seen; j++) {
            const pk_diag_t *t = pk_diags_at(dst, j);
            seen = t->range.start.byte == s->range.start.byte
                   && t->range.start.file == s->range.start.file
                   && !strcmp(t->message, s->message);
        }
        if (seen)
            continue;
        if (s->severity == PK_DIAG_ERROR)
            pk_diags_error(dst, s->range, "%s", s->message);
        else
            pk_diags_warning(dst, s->range, "%s", s->message);
    }
}
