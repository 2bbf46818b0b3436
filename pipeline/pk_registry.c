// pk_registry: lookups over the embedded definitions (see pk_registry.h).
// Listing parses each definition with the pipeline's own HCL parser, so
// what `pikoci types` shows is what a pipeline would get.
#include "pk_registry.h"
#include "pk_diag.h"
#include "pk_hcl.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const pk_registry_native_t pk_registry_natives[] = {
    { "resource_type", "git", "url, branch, name, token, tag, pr, provider, api_url, repository",
      "git repositories through libgit2 (commits of a branch; tags with tag = true; open pull "
      "requests with pr = true, listed through the forge's API: provider github, gitlab, gitea "
      "or forgejo, from the URL's host unless given)" },
    { "resource_type", "cron", "", "a new version on every check (use with check_interval)" },
    { "resource_type", "fs", "path", "a file or directory on the worker, versioned by content" },
    { "runner_type", "exec", "path, args", "runs a program" },
    { "runner_type", "shell", "cmd, file, shell", "runs a shell command or script" },
    { "runner_type", "docker", "image, cmd, args", "runs a command in a container" },
    { "secret_type", "file", "format, path", "a json, env or raw file on the worker (path per type or per variable)" },
    { "secret_type", "pikoci", "", "the server's own secret store (pikoci secrets set NAME; the variable's key names it)" },
    { NULL, NULL, NULL, NULL }
};

const char *
pk_registry_lookup(const char *name)
{
    for (const pk_registry_entry_t *e = pk_registry_entries; e->name; e++)
        if (!strcmp(e->name, name))
            return e->hcl;
    return NULL;
}

bool
pk_registry_native(const char *kind, const char *name)
{
    for (const pk_registry_native_t *n = pk_registry_natives; n->kind; n++)
        if (!strcmp(n->kind, kind) && !strcmp(n->name, name))
            return true;
    return false;
}

// The first line of the comment paragraph just above the block `kind "name"`,
// without "# name: ".
static void
s_summary(const char *hcl, const char *kind, const char *name, char *buf, size_t size)
{
    *buf = 0;
    char head[256];
    snprintf(head, sizeof head, "%s \"%s\"", kind, name);
    const char *at = strstr(hcl, head);
    while (at && at != hcl && at[-1] != '\n')
        at = strstr(at + 1, head);
    if (!at)
        return;
    const char *first = NULL;
    for (const char *line = at; line > hcl;) {
        const char *prev = line - 1;            // the '\n' ending the previous line
        while (prev > hcl && prev[-1] != '\n')
            prev--;
        if (strncmp(prev, "# ", 2))
            break;
        first = prev;
        line = prev;
    }
    if (!first)
        return;
    const char *s = first + 2;
    size_t nl = strlen(name);
    if (!strncmp(s, name, nl) && s[nl] == ':')
        s += nl + 1 + (s[nl + 1] == ' ');
    size_t len = strcspn(s, "\n");
    snprintf(buf, size, "%.*s", (int) len, s);
}

static void
s_params(const pk_hcl_body_t *body, char *buf, size_t size)
{
    *buf = 0;
    const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "params");
    pk_diags_t *diags = pk_diags_new();
    pk_hcl_ctx_t *ctx = pk_hcl_ctx_new();
    pk_value_t *v = a ? pk_hcl_eval(pk_hcl_attr_expr(a), ctx, diags) : NULL;
    pk_hcl_ctx_destroy(&ctx);
    for (size_t i = 0; v && pk_value_kind(v) == PK_V_LIST && i < pk_value_len(v); i++) {
        const char *p = pk_value_string(pk_value_list_at(v, i));
        if (p)
            snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", *buf ? ", " : "", p);
    }
    pk_value_destroy(&v);
    pk_diags_destroy(&diags);
}

int
pk_registry_each(pk_registry_fn *fn, void *arg)
{
    for (const pk_registry_native_t *n = pk_registry_natives; n->kind; n++) {
        int rc = fn(n->kind, n->name, n->params, n->summary, arg);
        if (rc)
            return rc;
    }
    for (const pk_registry_entry_t *e = pk_registry_entries; e->name; e++) {
        pk_diags_t *diags = pk_diags_new();
        pk_hcl_file_t *file = pk_hcl_parse(e->name, e->hcl, strlen(e->hcl), diags);
        const pk_hcl_body_t *body = file ? pk_hcl_file_body(file) : NULL;
        char summary[256], params[512];
        int rc = 0;
        for (size_t i = 0; body && !rc && i < pk_hcl_body_block_count(body); i++) {
            const pk_hcl_block_t *b = pk_hcl_body_block(body, i);
            if (!pk_hcl_block_label_count(b))
                continue;
            s_params(pk_hcl_block_body(b), params, sizeof params);
            s_summary(e->hcl, pk_hcl_block_type(b), pk_hcl_block_label(b, 0), summary,
                      sizeof summary);
            rc = fn(pk_hcl_block_type(b), pk_hcl_block_label(b, 0), params, summary, arg);
        }
        pk_hcl_file_destroy(&file);
        pk_diags_destroy(&diags);
        if (rc)
            return rc;
    }
    return 0;
}

typedef struct {
    const char *kind;
    char *out;
} s_names_t;

static int
s_add_name(const char *kind, const char *name, const char *params, const char *summary,
           void *arg)
{
    (void) params, (void) summary;
    s_names_t *n = arg;
    if (strcmp(kind, n->kind))
        return 0;
    char *grown = NULL;
    if (asprintf(&grown, "%s%s%s", n->out ? n->out : "", n->out ? ", " : "", name) < 0)
        return -1;
    free(n->out);
    n->out = grown;
    return 0;
}

char *
pk_registry_names(const char *kind)
{
    s_names_t n = { kind, NULL };
    pk_registry_each(s_add_name, &n);
    return n.out ? n.out : strdup("");
}
