// pipeline_sources: types defined elsewhere. `source = "pikoci://NAME"` names
// a definition compiled into pikoci (pk_registry); `source = "https://..."`
// one fetched once, now, while the pipeline is being set (pk_fetch: size and
// time capped, HTTP status checked). A definition is HCL holding a block of
// the same kind; its commands, params and cache fill the type, and whatever
// the pipeline's own block says (params, cache, a runner override) stays on
// top. Names pikoci runs natively (git, cron, fs; exec, shell, docker) need
// no definition, and nothing here touches them. A pipeline's own block with
// commands (check/pull/push, get, start, notify; run for a runner) is its own
// definition, so a type named like a built-in overrides it.
//
// A pikoci:// name that is not built in is an error listing the names that
// are -- unless the caller allows PK_SOURCES_REMOTE_BUILTINS
// (--allow-remote-types), when it is fetched from PikoCI's registry layout,
// BASE/<kind dir>/NAME.hcl, as PikoCI itself does. Built-in names never
// reach the network, flag or not: what pikoci ships is what runs. NAME
// becomes part of a URL path, so only [A-Za-z0-9_-] is fetched ("../x" could
// otherwise leave the registry directory). Every failure is reported at the
// type's own position and names the URL, since that is what a user fixes.
//
// What was fetched can be kept (pk_pipeline_load_sources_kept): the server
// stores it with the pipeline and hands it back when it reloads the
// pipeline at start, so a definition is resolved once, when the pipeline is
// set (as PikoCI does), and a restart needs no network and picks up no
// remote change. A kept definition is used whatever the flags say: they
// govern what may be fetched now, not what was accepted then.
//
// runner_type sources load here too (a `run { path, args }` block), so a
// runner named after something pikoci does not have fails when the pipeline
// is set rather than when a step first uses it. pk_dec_type_definition knows
// the four command-based kinds only; a runner's definition is one run block,
// read here.
#include "pipeline_internal.h"
#include "pk_fetch.h"
#include "pk_registry.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// One load: the decoder, what may be fetched, and the definitions kept
// (key "KIND SOURCE" -> text; NULL when the caller keeps none).
typedef struct {
    pk_dec_t *d;
    int flags;
    pk_value_t *kept;
} s_loader_t;

// PikoCI's directory under the registry base for each kind.
static const char *
s_remote_dir(const char *kind)
{
    static const char *const dirs[][2] = {
        { "resource_type", "resource_types" }, { "runner_type", "runners" },
        { "secret_type", "secret_types" }, { "service_type", "services" },
        { "notification_type", "notification_types" },
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (!strcmp(dirs[i][0], kind))
            return dirs[i][1];
    return kind;
}

// BASE/<dir>/NAME.hcl (caller frees). $PIKOCI_REMOTE_TYPES_URL stands in
// for PikoCI's registry: a mirror, or a server a test controls.
static char *
s_remote_url(const char *kind, const char *builtin)
{
    const char *base = getenv("PIKOCI_REMOTE_TYPES_URL");
    if (!base || !*base)
        base = PK_SOURCES_REMOTE_BASE;
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    return pk_dec_fmt("%.*s/%s/%s.hcl", (int) len, base, s_remote_dir(kind), builtin);
}

// Only names that stay one path segment are fetched.
static bool
s_fetchable(const char *builtin)
{
    size_t n = strlen(builtin);
    if (n == 0 || n > 128)
        return false;
    for (const char *c = builtin; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
              || *c == '_' || *c == '-'))
            return false;
    return true;
}

// Parses a definition and keeps it alive as long as the pipeline (its
// ranges name it in diagnostics). origin names it in messages: the
// pikoci:// source of a built-in, the URL of a fetched one. The block of
// `kind` in it, or NULL after an error at `where`.
static const pk_hcl_block_t *
s_definition(pk_dec_t *d, const char *kind, const char *name, const char *origin,
             const char *text, size_t len, pk_range_t where)
{
    pk_pipeline_priv_t *priv = d->p->priv;
    size_t before = pk_diags_errors(d->diags);
    pk_hcl_file_t *file = pk_hcl_parse(origin, text, len, d->diags);
    if (!file)
        return NULL;
    pk_hcl_file_t **grown = realloc(priv->sources, (priv->source_count + 1) * sizeof *grown);
    if (!grown) {
        pk_hcl_file_destroy(&file);
        return NULL;
    }
    priv->sources = grown;
    priv->sources[priv->source_count++] = file;
    if (pk_diags_errors(d->diags) > before) {
        // the syntax errors point into the definition; this one points at
        // the pipeline line that asked for it
        pk_diags_error(d->diags, where, "%s \"%s\": %s is not a valid HCL definition",
                       kind, name, origin);
        return NULL;
    }
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
        pk_diags_error(d->diags, where, "%s \"%s\": %s holds no %s block", kind, name, origin, kind);
    return first;
}

// A runner's definition: `run { path, args }`, as an inline runner_type.
static void
s_runner_definition(pk_dec_t *d, pk_runner_type_t *t, const pk_hcl_block_t *def,
                    const char *origin, pk_range_t where)
{
    static const char *const no_attrs[] = { NULL };
    static const pk_block_spec_t run_only[] = { { "run", 0, 0, NULL }, { NULL, 0, 0, NULL } };
    static const char *const run_attrs[] = { "path", "args", NULL };
    static const pk_block_spec_t no_blocks[] = { { NULL, 0, 0, NULL } };
    const pk_hcl_body_t *body = pk_hcl_block_body(def);
    char *in = pk_dec_where(def);
    pk_dec_check_body(d, body, in, no_attrs, run_only);
    free(in);
    const pk_hcl_block_t *run = NULL;
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *rb = pk_hcl_body_block(body, i);
        if (!pk_dec_block_spec(run_only, rb))
            continue;
        if (run) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(rb),
                           "duplicate run block in runner_type \"%s\"",
                           pk_hcl_block_label_count(def) ? pk_hcl_block_label(def, 0) : t->name);
            continue;
        }
        run = rb;
    }
    if (!run) {
        pk_diags_error(d->diags, where, "runner_type \"%s\": %s defines no run block", t->name,
                       origin);
        return;
    }
    const pk_hcl_body_t *rbody = pk_hcl_block_body(run);
    in = pk_dec_where(run);
    pk_dec_check_body(d, rbody, in, run_attrs, no_blocks);
    free(in);
    pk_dec_string(d, rbody, "path", &t->run_path);
    pk_dec_strlist(d, rbody, "args", &t->run_args);
}

// Fetches url: the block of `kind` in it, or NULL after an error at where.
// what says why it was fetched, for the message. A definition that parses
// is kept under key.
static const pk_hcl_block_t *
s_fetch(s_loader_t *l, const char *kind, const char *name, const char *url, const char *what,
        pk_range_t where, const char *key)
{
    pk_dec_t *d = l->d;
    char *body = NULL, *err = NULL;
    size_t len = 0;
    if (pk_fetch(url, PK_FETCH_MAX_BYTES, PK_FETCH_TIMEOUT_MS, &body, &len, &err) != 0) {
        pk_diags_error(d->diags, where, "%s \"%s\": %s%s", kind, name, what,
                       err ? err : url);
        free(err);
        return NULL;
    }
    const pk_hcl_block_t *def = s_definition(d, kind, name, url, body, len, where);
    if (def && l->kept)
        pk_value_object_set(l->kept, key, pk_value_new_stringn(body, len));
    free(body);
    return def;
}

// A pikoci:// name that is not built in: fetched from the remote registry
// when flags allow it, else an error that lists what is built in and says
// how to fetch it.
static const pk_hcl_block_t *
s_remote_builtin(s_loader_t *l, const char *kind, const char *name, const char *source,
                 pk_range_t where, const char *key, char **url_out)
{
    pk_dec_t *d = l->d;
    const char *builtin = source + 9;
    if (s_fetchable(builtin) && (l->flags & PK_SOURCES_REMOTE_BUILTINS)) {
        *url_out = s_remote_url(kind, builtin);
        char *what = pk_dec_fmt("\"%s\" is not built in, and ", source);
        const pk_hcl_block_t *def = *url_out && what
                                  ? s_fetch(l, kind, name, *url_out, what, where, key) : NULL;
        free(what);
        return def;
    }
    char *names = pk_registry_names(kind);
    if (!s_fetchable(builtin))
        pk_diags_error(d->diags, where, "%s \"%s\": \"%s\" is not a built-in %s (built in: %s; "
                       "`pikoci types` lists them all), and not a name that can be fetched "
                       "either: a pikoci:// name holds only letters, digits, '_' and '-'",
                       kind, name, source, kind, names ? names : "");
    else if (!(l->flags & PK_SOURCES_HTTPS))
        // offline: suggesting a fetch would be no help
        pk_diags_error(d->diags, where, "%s \"%s\": \"%s\" is not a built-in %s (built in: %s; "
                       "`pikoci types` lists them all)", kind, name, source, kind,
                       names ? names : "");
    else {
        char *url = s_remote_url(kind, builtin);
        pk_diags_error(d->diags, where, "%s \"%s\": \"%s\" is not a built-in %s (built in: %s; "
                       "`pikoci types` lists them all): use one of those, or pass "
                       "--allow-remote-types to fetch it from %s",
                       kind, name, source, kind, names ? names : "", url ? url : "");
        free(url);
    }
    free(names);
    return NULL;
}

static void
s_load(s_loader_t *l, const char *kind, const char *name, const char *source, pk_range_t where,
       void *type)
{
    pk_dec_t *d = l->d;
    if (!source)
        return;
    bool builtin = !strncmp(source, "pikoci://", 9);
    if (builtin && pk_registry_native(kind, source + 9))
        return;
    const char *text = builtin ? pk_registry_lookup(source + 9) : NULL;
    char *key = text ? NULL : pk_dec_fmt("%s %s", kind, source);
    const pk_value_t *kept = key ? pk_value_object_get(l->kept, key) : NULL;
    if (!builtin && !kept && !(l->flags & PK_SOURCES_HTTPS)) {
        free(key);
        return;
    }
    const pk_hcl_block_t *def = NULL;
    char *url = NULL;                   // what a fetched definition is known by
    if (text)
        def = s_definition(d, kind, name, source, text, strlen(text), where);
    else
    if (kept && pk_value_kind(kept) == PK_V_STRING)
        def = s_definition(d, kind, name, source, pk_value_string(kept), pk_value_len(kept),
                           where);
    else
    if (builtin)
        def = s_remote_builtin(l, kind, name, source, where, key, &url);
    else
        def = s_fetch(l, kind, name, source, "", where, key);
    if (def && !strcmp(kind, "runner_type"))
        s_runner_definition(d, type, def, url ? url : source, where);
    else
    if (def)
        pk_dec_type_definition(d, kind, type, def);
    free(url);
    free(key);
}

size_t
pk_pipeline_load_sources(pk_pipeline_t *p, int flags, pk_diags_t *diags)
{
    return pk_pipeline_load_sources_kept(p, flags, NULL, diags);
}

size_t
pk_pipeline_load_sources_kept(pk_pipeline_t *p, int flags, pk_value_t *kept, pk_diags_t *diags)
{
    size_t before = pk_diags_errors(diags);
    // definitions may use var.*, like the pipeline itself
    pk_dec_t dd = { .p = p, .diags = diags, .ctx = pk_hcl_ctx_new() };
    pk_dec_t *d = &dd;
    s_loader_t l = { d, flags, kept };
    pk_value_t *vars = pk_value_new_object();
    for (size_t i = 0; i < p->variable_count; i++)
        pk_value_object_set(vars, p->variables[i]->name, pk_value_dup(p->variables[i]->value));
    pk_hcl_ctx_set(d->ctx, "var", vars);
    for (size_t i = 0; i < p->resource_type_count; i++) {
        pk_resource_type_t *t = p->resource_types[i];
        if (!t->check && !t->pull && !t->push)
            s_load(&l, "resource_type", t->name, t->source, t->range, t);
    }
    for (size_t i = 0; i < p->runner_type_count; i++) {
        pk_runner_type_t *t = p->runner_types[i];
        if (!t->run_path && !t->run_args.count)
            s_load(&l, "runner_type", t->name, t->source, t->range, t);
    }
    for (size_t i = 0; i < p->notification_type_count; i++) {
        pk_notification_type_t *t = p->notification_types[i];
        if (!t->notify)
            s_load(&l, "notification_type", t->name, t->source, t->range, t);
    }
    for (size_t i = 0; i < p->secret_type_count; i++) {
        pk_secret_type_t *t = p->secret_types[i];
        if (!t->get)
            s_load(&l, "secret_type", t->name, t->source, t->range, t);
    }
    for (size_t i = 0; i < p->service_type_count; i++) {
        pk_service_type_t *t = p->service_types[i];
        if (!t->start)
            s_load(&l, "service_type", t->name, t->source, t->range, t);
    }
    pk_hcl_ctx_destroy(&d->ctx);
    pk_diags_sort(diags);
    return pk_diags_errors(diags) - before;
}

pk_pipeline_t *
pk_pipeline_from_text(const char *name, const char *text, size_t len, const pk_value_t *vars,
                      int flags, pk_value_t *kept, pk_value_t **errors)
{
    *errors = NULL;
    char *filename = pk_dec_fmt("%s.hcl", name);
    pk_diags_t *diags = pk_diags_new();
    pk_pipeline_t *p = pk_pipeline_parse(filename ? filename : name, text, len, vars, diags);
    if (p && pk_diags_errors(diags) == 0)
        pk_pipeline_load_sources_kept(p, flags, kept, diags);
    if (!p || pk_diags_errors(diags) > 0) {
        *errors = pk_value_new_list();
        if (!p)
            pk_value_list_append(*errors, pk_value_new_string("out of memory"));
        for (size_t i = 0; i < pk_diags_count(diags); i++) {
            const pk_diag_t *d = pk_diags_at(diags, i);
            char *line = d->severity != PK_DIAG_ERROR ? NULL
                       : pk_dec_fmt("%s:%d:%d: error: %s",
                                    d->range.start.file ? d->range.start.file : "",
                                    d->range.start.line, d->range.start.col, d->message);
            if (line)
                pk_value_list_append(*errors, pk_value_new_string(line));
            free(line);
        }
        pk_pipeline_destroy(&p);
    }
    pk_diags_destroy(&diags);
    free(filename);
    return p;
}
