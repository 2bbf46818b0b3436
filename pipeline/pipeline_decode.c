// pipeline_decode: entry points of the pipeline model. Parses the HCL text,
// checks the top level, hands each block to its family's decoder (variables
// first, since everything else is evaluated against `var`), runs the
// cross-reference validation and sorts the diagnostics. The pipeline keeps
// the HCL AST alive because every range in the model (and in the
// diagnostics) borrows the file name the parser interned.
#include "pipeline_internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_no_attrs[] = { NULL };
static const pk_block_spec_t s_top_blocks[] = {
    { "variable", 1, 1, "name" },
    { "resource_type", 1, 1, "name" },
    { "resource", 2, 2, "type and name" },
    { "runner_type", 1, 1, "name" },
    { "secret_type", 1, 1, "name" },
    { "service_type", 1, 1, "name" },
    { "notification_type", 1, 1, "name" },
    { "notification", 2, 2, "type and name" },
    { "job", 1, 1, "name" },
    { NULL, 0, 0, NULL }
};

pk_pipeline_t *
pk_pipeline_parse(const char *filename, const char *src, size_t len, const pk_value_t *vars,
                  pk_diags_t *diags)
{
    size_t errors_before = pk_diags_errors(diags);
    pk_hcl_file_t *file = pk_hcl_parse(filename, src, len, diags);
    if (!file)
        return NULL;
    pk_pipeline_t *p = calloc(1, sizeof *p);
    pk_pipeline_priv_t *priv = calloc(1, sizeof *priv);
    pk_dec_t d = { .p = p, .diags = diags, .ctx = pk_hcl_ctx_new(), .file = file };
    if (!p || !priv || !d.ctx || !(p->filename = strdup(filename))) {
        pk_hcl_ctx_destroy(&d.ctx);
        pk_hcl_file_destroy(&file);
        free(priv);
        if (p)
            pk_pipeline_destroy(&p);
        return NULL;
    }
    priv->file = file;
    p->priv = priv;
    d.syntax_errors = pk_diags_errors(diags) > errors_before;
    const pk_hcl_body_t *root = pk_hcl_file_body(file);
    pk_dec_check_body(&d, root, NULL, s_no_attrs, s_top_blocks);
    pk_dec_variables(&d, root, vars);
    for (size_t i = 0; i < pk_hcl_body_block_count(root); i++) {
        const pk_hcl_block_t *b = pk_hcl_body_block(root, i);
        const pk_block_spec_t *spec = pk_dec_block_spec(s_top_blocks, b);
        if (!spec || !strcmp(spec->name, "variable"))
            continue;
        if (!strcmp(spec->name, "resource"))
            pk_dec_resource(&d, b);
        else if (!strcmp(spec->name, "notification"))
            pk_dec_notification(&d, b);
        else if (!strcmp(spec->name, "job"))
            pk_dec_job(&d, b);
        else
            pk_dec_type_block(&d, b);
    }
    // After a syntax error parts of the file are missing, and "undefined
    // job" and the like would mostly be noise: fix the syntax first.
    if (!d.syntax_errors)
        pk_pipeline_validate(&d);
    pk_pipeline_index_all(p);     // from now on lookups only read
    pk_strlist_clear(&d.broken_jobs);
    pk_hcl_ctx_destroy(&d.ctx);
    pk_diags_sort(diags);
    return p;
}

pk_pipeline_t *
pk_pipeline_load(const char *path, const pk_value_t *vars, pk_diags_t *diags, char **err)
{
    *err = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = pk_dec_fmt("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[8192];
    size_t got;
    while (mem && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        fwrite(chunk, 1, got, mem);
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (!mem || fclose(mem) != 0 || read_errno) {
        *err = pk_dec_fmt("cannot read %s: %s", path, strerror(read_errno ? read_errno : ENOMEM));
        free(buf);
        return NULL;
    }
    pk_pipeline_t *p = pk_pipeline_parse(path, buf, len, vars, diags);
    free(buf);
    if (!p)
        *err = pk_dec_fmt("out of memory reading %s", path);
    return p;
}

void
pk_pipeline_destroy(pk_pipeline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_pipeline_t *p = *self_p;
    for (size_t i = 0; i < p->variable_count; i++)
        pk_dec_variable_destroy(&p->variables[i]);
    free(p->variables);
    pk_dec_types_destroy(p);
    pk_dec_resources_destroy(p);
    for (size_t i = 0; i < p->job_count; i++)
        pk_dec_job_destroy(&p->jobs[i]);
    free(p->jobs);
    pk_pipeline_priv_t *priv = p->priv;
    if (priv) {
        pk_hcl_file_destroy(&priv->file);
        for (size_t i = 0; i < priv->source_count; i++)
            pk_hcl_file_destroy(&priv->sources[i]);
        free(priv->sources);
        pk_pipeline_index_clear(priv);
        free(priv);
    }
    free(p->filename);
    free(p);
    *self_p = NULL;
}
