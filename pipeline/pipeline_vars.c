// pipeline_vars: `variable` blocks, the values users supply (--vars FILE,
// --var k=v) and their resolution, done first because every other block is
// evaluated against `var`. Precedence is PikoCI's: supplied value, then the
// secret (a placeholder string here: secrets resolve on the runner, so
// validating needs no credentials), then the default; with none of them the
// variable is an error and gets its type's zero value so one missing
// variable does not cascade into an error at every use.
#include "pipeline_internal.h"
#include "pk_suggest.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_SECRET_DEPTH 10

static const char *const s_var_attrs[] = { "type", "default", NULL };
static const pk_block_spec_t s_var_blocks[] = {
    { "secret", 1, 1, "secret type" }, { NULL, 0, 0, NULL }
};
static const char *const s_secret_attrs[] = { "path", "key", NULL };
static const pk_block_spec_t s_no_blocks[] = { { NULL, 0, 0, NULL } };
static const char *const s_type_names[] = { "string", "number", "bool", NULL };

char *
pk_pipeline_secret_placeholder(const char *var_name)
{
    return pk_dec_fmt("((pikoci_secret:%s))", var_name);
}

static char *
s_read_file(const char *path, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = pk_dec_fmt("--vars %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    char chunk[4096];
    size_t got;
    while (mem && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, mem);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (mem)
        fclose(mem);
    if (bad || !buf) {
        *err = pk_dec_fmt("--vars %s: cannot read the file", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

pk_value_t *
pk_pipeline_vars_new(const char *vars_file, const char *const *kvs, size_t kv_count, char **err)
{
    *err = NULL;
    pk_value_t *vars = NULL;
    if (vars_file) {
        size_t len = 0;
        char *text = s_read_file(vars_file, &len, err);
        if (!text)
            return NULL;
        char *jerr = NULL;
        vars = pk_value_from_json(text, len, &jerr);
        free(text);
        if (!vars) {
            *err = pk_dec_fmt("--vars %s: not valid JSON: %s", vars_file, jerr ? jerr : "?");
            free(jerr);
            return NULL;
        }
        if (pk_value_kind(vars) != PK_V_OBJECT) {
            *err = pk_dec_fmt("--vars %s: must hold a JSON object of variable values", vars_file);
            pk_value_destroy(&vars);
            return NULL;
        }
    }
    else
        vars = pk_value_new_object();
    for (size_t i = 0; vars && i < kv_count; i++) {
        const char *eq = strchr(kvs[i], '=');
        if (!eq || eq == kvs[i]) {
            *err = pk_dec_fmt("--var \"%s\": expected NAME=VALUE", kvs[i]);
            pk_value_destroy(&vars);
            return NULL;
        }
        char *name = strndup(kvs[i], (size_t) (eq - kvs[i]));
        if (name)
            pk_value_object_set(vars, name, pk_value_new_string(eq + 1));
        free(name);
    }
    return vars;
}

static const char *
s_type_name(pk_var_type_t t)
{
    return s_type_names[t];
}

// A supplied or default value converted to the declared type, or NULL.
static pk_value_t *
s_convert(const pk_value_t *v, pk_var_type_t type)
{
    if (type == PK_VAR_STRING) {
        char *s = pk_dec_to_string(v);
        pk_value_t *out = s ? pk_value_new_string(s) : NULL;
        free(s);
        return out;
    }
    if (type == PK_VAR_NUMBER) {
        double n;
        return pk_dec_to_number(v, &n) ? NULL : pk_value_new_number(n);
    }
    bool b;
    return pk_dec_to_bool(v, &b) ? NULL : pk_value_new_bool(b);
}

static pk_value_t *
s_zero(pk_var_type_t type)
{
    return type == PK_VAR_NUMBER ? pk_value_new_number(0)
         : type == PK_VAR_BOOL ? pk_value_new_bool(false) : pk_value_new_string("");
}

// `type = string` (HCL keyword) or `type = "string"`. 1 set, 0 absent, -1 error.
static int
s_decode_type(pk_dec_t *d, const pk_hcl_body_t *body, pk_var_type_t *out)
{
    const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "type");
    if (!a)
        return 0;
    const char *kw = pk_hcl_expr_keyword(pk_hcl_attr_expr(a));
    char *text = NULL;
    if (!kw && pk_dec_string(d, body, "type", &text) < 0)
        return -1;
    const char *name = kw ? kw : text ? text : "";
    int rc = -1;
    for (int i = 0; s_type_names[i]; i++)
        if (!strcmp(name, s_type_names[i])) {
            *out = (pk_var_type_t) i;
            rc = 1;
        }
    if (rc < 0) {
        const char *hint = pk_suggest(name, s_type_names);
        pk_range_t r = pk_hcl_expr_range(pk_hcl_attr_expr(a));
        if (hint)
            pk_diags_error(d->diags, r, "unknown type \"%s\"; did you mean \"%s\"?", name, hint);
        else
            pk_diags_error(d->diags, r, "unknown type \"%s\"; use string, number or bool", name);
    }
    free(text);
    return rc;
}

static void
s_found_traversal(const char *root, const char *attr, pk_range_t range, void *arg)
{
    (void) root;
    (void) attr;
    pk_range_t *first = arg;
    if (!first->start.file)
        *first = range;
}

static void
s_decode_default(pk_dec_t *d, pk_variable_t *v, const pk_hcl_body_t *body, bool typed)
{
    const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "default");
    if (!a)
        return;
    pk_range_t ref = { 0 };
    pk_hcl_expr_traversals(pk_hcl_attr_expr(a), s_found_traversal, &ref);
    if (ref.start.file) {
        pk_diags_error(d->diags, ref, "the default of variable \"%s\" cannot refer to other values",
                       v->name);
        return;
    }
    pk_value_t *raw = pk_dec_eval(d, a);
    if (!raw || pk_value_kind(raw) == PK_V_NULL) {
        pk_value_destroy(&raw);
        return;
    }
    if (!typed)
        v->type = pk_value_kind(raw) == PK_V_NUMBER ? PK_VAR_NUMBER
                : pk_value_kind(raw) == PK_V_BOOL ? PK_VAR_BOOL : PK_VAR_STRING;
    v->default_value = s_convert(raw, v->type);
    if (!v->default_value) {
        char *desc = pk_dec_describe(raw);
        pk_diags_error(d->diags, pk_hcl_expr_range(pk_hcl_attr_expr(a)),
                       "the default of variable \"%s\" must be a %s, not %s", v->name,
                       s_type_name(v->type), desc ? desc : "?");
        free(desc);
    }
    pk_value_destroy(&raw);
}

static void
s_resolve(pk_dec_t *d, pk_variable_t *v, const pk_hcl_block_t *b, const pk_value_t *vars)
{
    const pk_value_t *given = vars ? pk_value_object_get(vars, v->name) : NULL;
    pk_range_t label = pk_hcl_block_label_range(b, 0);
    if (given) {
        v->value = s_convert(given, v->type);
        if (!v->value) {
            char *desc = pk_dec_describe(given);
            pk_diags_error(d->diags, label, "variable \"%s\" must be a %s; the value given is %s",
                           v->name, s_type_name(v->type), desc ? desc : "?");
            free(desc);
        }
    }
    else if (v->secret_type) {
        char *ph = pk_pipeline_secret_placeholder(v->name);
        v->value = ph ? pk_value_new_string(ph) : NULL;
        v->is_placeholder = true;
        free(ph);
    }
    else if (v->default_value)
        v->value = pk_value_dup(v->default_value);
    else
        pk_diags_error(d->diags, label, "variable \"%s\" has no value: set it with --var %s=VALUE "
                       "or --vars FILE, or give it a default", v->name, v->name);
    if (!v->value)
        v->value = s_zero(v->type);
}

void
pk_dec_variable_destroy(pk_variable_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_variable_t *v = *self_p;
    free(v->name);
    pk_value_destroy(&v->default_value);
    free(v->secret_type);
    free(v->secret_path);
    free(v->secret_key);
    pk_value_destroy(&v->value);
    free(v);
    *self_p = NULL;
}

// Secret chaining: a secret's path/key may name other secret-backed
// variables, which the runner must resolve first. Reject cycles and chains
// deeper than PikoCI's limit.
typedef struct {
    pk_pipeline_t *p;
    size_t from;
    bool *edges;                    // from * n + to
} s_graph_t;

static void
s_edge(const char *root, const char *attr, pk_range_t range, void *arg)
{
    (void) range;
    s_graph_t *g = arg;
    if (strcmp(root, "var") || !attr)
        return;
    for (size_t i = 0; i < g->p->variable_count; i++)
        if (!strcmp(g->p->variables[i]->name, attr) && g->p->variables[i]->is_placeholder)
            g->edges[g->from * g->p->variable_count + i] = true;
}

// Longest chain below v (1 = no dependency); -1 on a cycle.
static int
s_depth(const s_graph_t *g, size_t v, int *state, int *memo)
{
    if (state[v] == 1)
        return -1;
    if (state[v] == 2)
        return memo[v];
    state[v] = 1;
    int best = 1;
    size_t n = g->p->variable_count;
    for (size_t to = 0; to < n && best > 0; to++)
        if (g->edges[v * n + to]) {
            int sub = s_depth(g, to, state, memo);
            best = sub < 0 ? -1 : (sub + 1 > best ? sub + 1 : best);
        }
    state[v] = 2;
    memo[v] = best;
    return best;
}

static void
s_check_secret_chains(pk_dec_t *d, const pk_hcl_block_t **secret_blocks)
{
    size_t n = d->p->variable_count;
    s_graph_t g = { d->p, 0, calloc(n * n + 1, sizeof(bool)) };
    int *state = calloc(n + 1, sizeof *state);
    int *memo = calloc(n + 1, sizeof *memo);
    for (size_t i = 0; g.edges && i < n; i++) {
        if (!secret_blocks[i] || !d->p->variables[i]->is_placeholder)
            continue;
        g.from = i;
        const char *names[] = { "path", "key" };
        for (int k = 0; k < 2; k++) {
            const pk_hcl_attr_t *a =
                pk_hcl_body_attr_find(pk_hcl_block_body(secret_blocks[i]), names[k]);
            if (a)
                pk_hcl_expr_traversals(pk_hcl_attr_expr(a), s_edge, &g);
        }
    }
    for (size_t i = 0; g.edges && state && memo && i < n; i++) {
        if (!secret_blocks[i] || !d->p->variables[i]->is_placeholder)
            continue;
        memset(state, 0, (n + 1) * sizeof *state);
        int depth = s_depth(&g, i, state, memo);
        pk_range_t r = pk_hcl_block_type_range(secret_blocks[i]);
        if (depth < 0)
            pk_diags_error(d->diags, r, "the secret of variable \"%s\" is part of a "
                           "dependency cycle through secret path or key", d->p->variables[i]->name);
        else if (depth > S_MAX_SECRET_DEPTH)
            pk_diags_error(d->diags, r, "the secret of variable \"%s\" depends on a chain of %d "
                           "secrets (at most %d)", d->p->variables[i]->name, depth,
                           S_MAX_SECRET_DEPTH);
    }
    free(g.edges);
    free(state);
    free(memo);
}

static void
s_decode_secret(pk_dec_t *d, pk_variable_t *v, const pk_hcl_block_t *sb)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(sb);
    if (pk_dec_string(d, body, "key", &v->secret_key) == 0)
        pk_diags_error(d->diags, pk_hcl_block_type_range(sb),
                       "the secret of variable \"%s\" needs a \"key\"", v->name);
    pk_dec_string(d, body, "path", &v->secret_path);
}

void
pk_dec_variables(pk_dec_t *d, const pk_hcl_body_t *root, const pk_value_t *vars)
{
    size_t nblocks = pk_hcl_body_block_count(root);
    // Per variable (same index), its secret block or NULL.
    const pk_hcl_block_t **secret_blocks = calloc(nblocks + 1, sizeof *secret_blocks);
    if (!secret_blocks)
        return;
    for (size_t i = 0; i < nblocks; i++) {
        const pk_hcl_block_t *b = pk_hcl_body_block(root, i);
        if (strcmp(pk_hcl_block_type(b), "variable") || pk_hcl_block_label_count(b) != 1)
            continue;
        const char *name = pk_hcl_block_label(b, 0);
        const pk_variable_t *prev = pk_pipeline_variable(d->p, name);
        if (prev) {
            pk_diags_error(d->diags, pk_hcl_block_label_range(b, 0),
                           "duplicate variable \"%s\" (first defined at line %d)", name,
                           prev->range.start.line);
            continue;
        }
        const pk_hcl_body_t *body = pk_hcl_block_body(b);
        char *where = pk_dec_where(b);
        pk_dec_check_body(d, body, where, s_var_attrs, s_var_blocks);
        free(where);
        pk_variable_t *v = calloc(1, sizeof *v);
        if (!v || !(v->name = strdup(name)) ||
            pk_dec_push((void ***) &d->p->variables, &d->p->variable_count, v)) {
            pk_dec_variable_destroy(&v);
            break;
        }
        v->range = pk_hcl_block_range(b);
        bool typed = s_decode_type(d, body, &v->type) != 0;
        s_decode_default(d, v, body, typed);
        for (size_t j = 0; j < pk_hcl_body_block_count(body); j++) {
            const pk_hcl_block_t *sb = pk_hcl_body_block(body, j);
            if (!pk_dec_block_spec(s_var_blocks, sb))
                continue;
            if (v->secret_type) {
                pk_diags_error(d->diags, pk_hcl_block_type_range(sb),
                               "variable \"%s\" has more than one secret block", v->name);
                continue;
            }
            char *swhere = pk_dec_fmt("the secret of variable \"%s\"", v->name);
            pk_dec_check_body(d, pk_hcl_block_body(sb), swhere, s_secret_attrs, s_no_blocks);
            free(swhere);
            v->secret_type = strdup(pk_hcl_block_label(sb, 0));
            v->secret_range = pk_hcl_block_label_range(sb, 0);
            secret_blocks[d->p->variable_count - 1] = sb;
        }
        s_resolve(d, v, b, vars);
    }
    // Values given for names nobody declared are probably typos: warn.
    pk_range_t top = pk_hcl_body_range(root);
    top.end = top.start;
    for (size_t i = 0; vars && i < pk_value_len(vars); i++) {
        const char *key = pk_value_object_key(vars, i);
        if (pk_pipeline_variable(d->p, key))
            continue;
        const char **names = calloc(d->p->variable_count + 1, sizeof *names);
        for (size_t j = 0; names && j < d->p->variable_count; j++)
            names[j] = d->p->variables[j]->name;
        const char *hint = names ? pk_suggest(key, names) : NULL;
        if (hint)
            pk_diags_warning(d->diags, top, "a value is given for \"%s\", which is not a declared "
                             "variable; did you mean \"%s\"?", key, hint);
        else
            pk_diags_warning(d->diags, top, "a value is given for \"%s\", which is not a declared "
                             "variable", key);
        free(names);
    }
    pk_value_t *obj = pk_value_new_object();
    for (size_t i = 0; obj && i < d->p->variable_count; i++)
        pk_value_object_set(obj, d->p->variables[i]->name,
                            pk_value_dup(d->p->variables[i]->value));
    pk_hcl_ctx_set(d->ctx, "var", obj);
    // Secret path/key may use var.*: evaluate them now that var exists.
    for (size_t i = 0; i < d->p->variable_count; i++)
        if (secret_blocks[i])
            s_decode_secret(d, d->p->variables[i], secret_blocks[i]);
    s_check_secret_chains(d, secret_blocks);
    free(secret_blocks);
}
