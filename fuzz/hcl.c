// PK_FUZZ_LIBS: pk_pipeline
// Fuzz target for the HCL2 lexer, parser and evaluator: parses arbitrary
// bytes, evaluates every attribute of every block against the fixed context
// of the differential test (var, each), renders results as JSON, walks the
// variable traversals and frees everything. Any crash, leak, sanitizer report
// or runaway time/memory (the evaluator's caps must stop it) is a bug.
#include "pk_hcl.h"
#include <stdint.h>
#include <stdlib.h>

static const char s_vars[] =
    "{\"var\":{\"name\":\"pikoci\",\"n\":3,\"pi\":3.5,\"flag\":true,\"empty\":\"\","
    "\"list\":[\"a\",\"b\",\"c\"],\"nums\":[1,2,3],\"obj\":{\"a\":1,\"b\":\"x\"},"
    "\"nested\":{\"os\":[\"linux\",\"darwin\"]}},"
    "\"each\":{\"key\":\"k1\",\"value\":{\"os\":\"linux\",\"arch\":\"amd64\"}}}";

static void
s_traversal(const char *root, const char *attr, pk_range_t range, void *arg)
{
    size_t *count = arg;
    *count += (root != NULL) + (attr != NULL) + (range.start.line > 0);
}

static void
s_body(const pk_hcl_body_t *body, const pk_hcl_ctx_t *ctx)
{
    for (size_t i = 0; i < pk_hcl_body_attr_count(body); i++) {
        const pk_hcl_attr_t *attr = pk_hcl_body_attr(body, i);
        const pk_hcl_expr_t *expr = pk_hcl_attr_expr(attr);
        size_t count = 0;
        pk_hcl_expr_traversals(expr, s_traversal, &count);
        (void) pk_hcl_expr_keyword(expr);
        pk_diags_t *diags = pk_diags_new();
        pk_value_t *v = pk_hcl_eval(expr, ctx, diags);
        if (!v && pk_diags_errors(diags) == 0)
            abort();    // contract: NULL always comes with an error
        char *json = pk_value_to_json(v);
        free(json);
        pk_value_destroy(&v);
        pk_diags_destroy(&diags);
    }
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++)
        s_body(pk_hcl_block_body(pk_hcl_body_block(body, i)), ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pk_hcl_ctx_t *ctx;
    if (!ctx) {
        // Built once and kept for the process (libFuzzer never exits cleanly
        // between inputs), so it is not reported as a per-input leak.
        ctx = pk_hcl_ctx_new();
        pk_value_t *vars = pk_value_from_json(s_vars, sizeof s_vars - 1, NULL);
        pk_hcl_ctx_set(ctx, "var", pk_value_dup(pk_value_object_get(vars, "var")));
        pk_hcl_ctx_set(ctx, "each", pk_value_dup(pk_value_object_get(vars, "each")));
        pk_value_destroy(&vars);
    }
    pk_diags_t *diags = pk_diags_new();
    pk_hcl_file_t *file = pk_hcl_parse("fuzz.hcl", (const char *) data, size, diags);
    if (file)
        s_body(pk_hcl_file_body(file), ctx);
    pk_diags_sort(diags);
    pk_hcl_file_destroy(&file);
    pk_diags_destroy(&diags);
    return 0;
}
