// test_hcl_util: see test_hcl_util.h.
#include "test_hcl_util.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_vars[] =
    "{\"var\":{\"name\":\"pikoci\",\"n\":3,\"pi\":3.5,\"flag\":true,\"empty\":\"\","
    "\"list\":[\"a\",\"b\",\"c\"],\"nums\":[1,2,3],\"obj\":{\"a\":1,\"b\":\"x\"},"
    "\"nested\":{\"os\":[\"linux\",\"darwin\"]}},"
    "\"each\":{\"key\":\"k1\",\"value\":{\"os\":\"linux\",\"arch\":\"amd64\"}}}";

pk_hcl_ctx_t *
thu_context(void)
{
    pk_value_t *vars = pk_value_from_json(s_vars, sizeof s_vars - 1, NULL);
    pk_hcl_ctx_t *ctx = pk_hcl_ctx_new();
    pk_hcl_ctx_set(ctx, "var", pk_value_dup(pk_value_object_get(vars, "var")));
    pk_hcl_ctx_set(ctx, "each", pk_value_dup(pk_value_object_get(vars, "each")));
    pk_value_destroy(&vars);
    return ctx;
}

static char *
s_first(pk_diags_t *diags)
{
    pk_diags_sort(diags);
    const pk_diag_t *d = pk_diags_at(diags, 0);
    char *out = NULL;
    if (asprintf(&out, "error: %d:%d: %s", d->range.start.line, d->range.start.col, d->message) < 0)
        out = NULL;
    return out;
}

char *
thu_eval(const char *expr)
{
    char *src = NULL;
    if (asprintf(&src, "x = %s\n", expr) < 0)
        return NULL;
    pk_diags_t *diags = pk_diags_new();
    pk_hcl_file_t *file = pk_hcl_parse("t.hcl", src, strlen(src), diags);
    char *out = NULL;
    if (pk_diags_errors(diags) > 0)
        out = s_first(diags);
    else {
        pk_hcl_ctx_t *ctx = thu_context();
        const pk_hcl_attr_t *x = pk_hcl_body_attr_find(pk_hcl_file_body(file), "x");
        pk_value_t *v = pk_hcl_eval(pk_hcl_attr_expr(x), ctx, diags);
        out = v ? pk_value_to_json(v) : s_first(diags);
        pk_value_destroy(&v);
        pk_hcl_ctx_destroy(&ctx);
    }
    pk_hcl_file_destroy(&file);
    pk_diags_destroy(&diags);
    free(src);
    return out;
}

char *
thu_parse_errors(const char *src)
{
    pk_diags_t *diags = pk_diags_new();
    pk_hcl_file_t *file = pk_hcl_parse("t.hcl", src, strlen(src), diags);
    pk_diags_sort(diags);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < pk_diags_count(diags); i++) {
        const pk_diag_t *d = pk_diags_at(diags, i);
        if (d->severity == PK_DIAG_ERROR)
            fprintf(f, "%d:%d: %s\n", d->range.start.line, d->range.start.col, d->message);
    }
    fclose(f);
    pk_hcl_file_destroy(&file);
    pk_diags_destroy(&diags);
    return buf;
}

char *
thu_parse_error(const char *src)
{
    char *all = thu_parse_errors(src);
    if (!all || !*all) {
        free(all);
        return NULL;
    }
    char *nl = strchr(all, '\n');
    if (nl)
        *nl = '\0';
    return all;
}
