// hcl_dump: parses an HCL file and prints it as one JSON document, with every
// attribute evaluated against a fixed context. It is the C side of the
// differential test against HashiCorp's Go implementation (hcl_diff.py), so
// its output contract is fixed:
//   syntax errors: {"$error":"syntax"} on stdout, diagnostics on stderr, exit 1
//   otherwise:     {"attributes":{NAME:VALUE,...},"blocks":[{"type":T,
//                  "labels":[...],"body":BODY},...]} and exit 0, where a VALUE
//                  whose evaluation fails is {"$error":"eval"} (diagnostic on
//                  stderr).
#include "pk_hcl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pk_value_t *
s_strings(const char *const *items)
{
    pk_value_t *list = pk_value_new_list();
    for (; *items; items++)
        pk_value_list_append(list, pk_value_new_string(*items));
    return list;
}

// var and each, exactly as the Go oracle defines them.
static pk_hcl_ctx_t *
s_context(void)
{
    pk_value_t *var = pk_value_new_object();
    pk_value_object_set(var, "name", pk_value_new_string("pikoci"));
    pk_value_object_set(var, "n", pk_value_new_number(3));
    pk_value_object_set(var, "pi", pk_value_new_number(3.5));
    pk_value_object_set(var, "flag", pk_value_new_bool(true));
    pk_value_object_set(var, "empty", pk_value_new_string(""));
    pk_value_object_set(var, "list", s_strings((const char *const[]) { "a", "b", "c", NULL }));
    pk_value_t *nums = pk_value_new_list();
    for (int i = 1; i <= 3; i++)
        pk_value_list_append(nums, pk_value_new_number(i));
    pk_value_object_set(var, "nums", nums);
    pk_value_t *obj = pk_value_new_object();
    pk_value_object_set(obj, "a", pk_value_new_number(1));
    pk_value_object_set(obj, "b", pk_value_new_string("x"));
    pk_value_object_set(var, "obj", obj);
    pk_value_t *nested = pk_value_new_object();
    pk_value_object_set(nested, "os", s_strings((const char *const[]) { "linux", "darwin", NULL }));
    pk_value_object_set(var, "nested", nested);

    pk_value_t *each = pk_value_new_object();
    pk_value_object_set(each, "key", pk_value_new_string("k1"));
    pk_value_t *value = pk_value_new_object();
    pk_value_object_set(value, "os", pk_value_new_string("linux"));
    pk_value_object_set(value, "arch", pk_value_new_string("amd64"));
    pk_value_object_set(each, "value", value);

    pk_hcl_ctx_t *ctx = pk_hcl_ctx_new();
    pk_hcl_ctx_set(ctx, "var", var);
    pk_hcl_ctx_set(ctx, "each", each);
    return ctx;
}

static void
s_json_string(FILE *out, const char *s)
{
    pk_value_t *v = pk_value_new_string(s);
    char *json = pk_value_to_json(v);
    fputs(json ? json : "\"\"", out);
    free(json);
    pk_value_destroy(&v);
}

static void
s_body(FILE *out, const pk_hcl_body_t *body, const pk_hcl_ctx_t *ctx, pk_diags_t *diags)
{
    fputs("{\"attributes\":{", out);
    for (size_t i = 0; i < pk_hcl_body_attr_count(body); i++) {
        const pk_hcl_attr_t *attr = pk_hcl_body_attr(body, i);
        if (i)
            fputc(',', out);
        s_json_string(out, pk_hcl_attr_name(attr));
        fputc(':', out);
        pk_value_t *v = pk_hcl_eval(pk_hcl_attr_expr(attr), ctx, diags);
        char *json = v ? pk_value_to_json(v) : NULL;
        fputs(json ? json : "{\"$error\":\"eval\"}", out);
        free(json);
        pk_value_destroy(&v);
    }
    fputs("},\"blocks\":[", out);
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *block = pk_hcl_body_block(body, i);
        if (i)
            fputc(',', out);
        fputs("{\"type\":", out);
        s_json_string(out, pk_hcl_block_type(block));
        fputs(",\"labels\":[", out);
        for (size_t k = 0; k < pk_hcl_block_label_count(block); k++) {
            if (k)
                fputc(',', out);
            s_json_string(out, pk_hcl_block_label(block, k));
        }
        fputs("],\"body\":", out);
        s_body(out, pk_hcl_block_body(block), ctx, diags);
        fputc('}', out);
    }
    fputs("]}", out);
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hcl_dump FILE\n");
        return 2;
    }
    pk_diags_t *diags = pk_diags_new();
    pk_hcl_file_t *file = pk_hcl_parse_file(argv[1], diags);
    if (!file || pk_diags_errors(diags) > 0) {
        puts("{\"$error\":\"syntax\"}");
        pk_diags_print(diags, stderr);
        pk_hcl_file_destroy(&file);
        pk_diags_destroy(&diags);
        return 1;
    }
    pk_diags_print(diags, stderr);      // warnings
    size_t printed = pk_diags_count(diags);
    pk_hcl_ctx_t *ctx = s_context();
    s_body(stdout, pk_hcl_file_body(file), ctx, diags);
    fputc('\n', stdout);
    for (size_t i = printed; i < pk_diags_count(diags); i++) {
        const pk_diag_t *d = pk_diags_at(diags, i);
        fprintf(stderr, "%s:%d:%d: error: %s\n", d->range.start.file, d->range.start.line,
                d->range.start.col, d->message);
    }
    pk_hcl_ctx_destroy(&ctx);
    pk_hcl_file_destroy(&file);
    pk_diags_destroy(&diags);
    return 0;
}
