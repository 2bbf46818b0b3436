// pipeline_sources: types defined elsewhere. `source = "pikoci://NAME"` names
// a definition compiled into pikoci (pk_registry); `source = "https://..."`
// one fetched once, now, while the pipeline is being set (pk_fetch: size and
// time capped, HTTP status checked). A definition is HCL holding a block of
// the same kind; its commands, params and cache fill the type, and whatever
// the pipeline's own block says (params, cache, a runner override) stays on
// top. Names pikoci runs natively (git, cron, fs; exec, shell, docker) need
// no definition, and nothing here touches them. A pikoci:// name that is not
// built in is an error listing the names that are: never a network fetch.
// A pipeline's own block with commands (check/pull/push, get, start, notify)
// is its own definition, so a type named like a built-in overrides it.
#include "pipeline_internal.h"
#include "pk_fetch.h"
#include "pk_registry.h"
#include <stdlib.h>
#include <string.h>

// Parses a definition and keeps it alive as long as the pipeline (its
// ranges name it in diagnostics). The block of `kind` in it, or NULL.
static const pk_hcl_block_t *
s_definition(pk_dec_t *d, const char *kind, const char *name, const char *source,
             const char *text, size_t len, pk_range_t where)
{
    pk_pipeline_priv_t *priv = d->p->priv;
    pk_hcl_file_t *file = pk_hcl_parse(source, text, len, d->diags);
    if (!file)
        return NULL;
    pk_hcl_file_t **grown = realloc(priv->sources, (priv->source_count + 1) * sizeof *grown);
    if (!grown) {
        pk_hcl_file_destroy(&file);
        return NULL;
    }
    priv->sources = grown;
    priv->sources[priv->source_count++] = file;
    const pk_hcl_body_t *body = pk_hcl_file_body(file);
    const pk_hcl_block_t *first = NULL;
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *b = pk_hcl_body_block(body, i);
        if (strcmp(pk_hcl_block_type(b), kind))
            continue;
        if (pk_hcl_block_label_count(b) && !strcmp(pk_hcl_block_label(b, 0), name))
            return b;        // the block named like the type wins
        if (!first)
            first = b;
    }
    if (!first)
        pk_diags_error(d->diags, where, "%s \"%s\": %s holds no %s block", kind, name, source, kind);
    return first;
}

static void
s_load(pk_dec_t *d, const char *kind, const char *name, const char *source, pk_range_t where,
       void *type, bool fetch_remote)
{
    if (!source || (strncmp(source, "pikoci://", 9) && !fetch_remote))
        return;
    const pk_hcl_block_t *def = NULL;
    if (!strncmp(source, "pikoci://", 9)) {
        const char *builtin = source + 9;
        if (pk_registry_native(kind, builtin))
            return;
        const char *text = pk_registry_lookup(builtin);
        if (!text) {
            char *names = pk_registry_names(kind);
            pk_diags_error(d->diags, where, "%s \"%s\": \"%s\" is not a built-in %s "
                           "(built in: %s; `pikoci types` lists them all)",
                           kind, name, source, kind, names);
            free(names);
            return;
        }
        def = s_definition(d, kind, name, source, text, strlen(text), where);
    }
    else {
        char *body = NULL, *err = NULL;
        size_t len = 0;
        if (pk_fetch(source, PK_FETCH_MAX_BYTES, PK_FETCH_TIMEOUT_MS, &body, &len, &err) != 0) {
            pk_diags_error(d->diags, where, "%s \"%s\": %s", kind, name, err);
            free(err);
            return;
        }
        def = s_definition(d, kind, name, source, body, len, where);
        free(body);
    }
    if (def)
        pk_dec_type_definition(d, kind, type, def);
}

size_t
pk_pipeline_load_sources(pk_pipeline_t *p, bool fetch_remote, pk_diags_t *diags)
{
    size_t before = pk_diags_errors(diags);
    // definitions may use var.*, like the pipeline itself
    pk_dec_t dd = { .p = p, .diags = diags, .ctx = pk_hcl_ctx_new() };
    pk_dec_t *d = &dd;
    pk_value_t *vars = pk_value_new_object();
    for (size_t i = 0; i < p->variable_count; i++)
        pk_value_object_set(vars, p->variables[i]->name, pk_value_dup(p->variables[i]->value));
    pk_hcl_ctx_set(d->ctx, "var", vars);
    for (size_t i = 0; i < p->resource_type_count; i++) {
        pk_resource_type_t *t = p->resource_types[i];
        if (!t->check && !t->pull && !t->push)
            s_load(d, "resource_type", t->name, t->source, t->range, t, fetch_remote);
    }
    for (size_t i = 0; i < p->notification_type_count; i++) {
        pk_notification_type_t *t = p->notification_types[i];
        if (!t->notify)
            s_load(d, "notification_type", t->name, t->source, t->range, t, fetch_remote);
    }
    for (size_t i = 0; i < p->secret_type_count; i++) {
        pk_secret_type_t *t = p->secret_types[i];
        if (!t->get)
            s_load(d, "secret_type", t->name, t->source, t->range, t, fetch_remote);
    }
    for (size_t i = 0; i < p->service_type_count; i++) {
        pk_service_type_t *t = p->service_types[i];
        if (!t->start)
            s_load(d, "service_type", t->name, t->source, t->range, t, fetch_remote);
    }
    pk_hcl_ctx_destroy(&d->ctx);
    pk_diags_sort(diags);
    return pk_diags_errors(diags) - before;
}
