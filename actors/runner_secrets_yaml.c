// runner_secrets_yaml: the YAML a secrets file holds, read for the built-in
// `file` secret type (format = "yaml", or a .yml/.yaml path). Secrets files
// are mappings -- `key: value`, nested by indentation, values plain or
// quoted -- so that subset is read here rather than linking a YAML library
// into every worker; anything beyond it (lists, anchors, block scalars,
// flow collections) is an error naming the line, never a guess. Nested
// mappings become nested objects, which a secret's dotted key walks.
#include "runner_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DEPTH 32

static char *
s_err(size_t line, const char *what)
{
    char *msg = NULL;
    if (asprintf(&msg, "line %zu: %s", line, what) < 0)
        msg = NULL;
    return msg;
}

// A double-quoted scalar's content (the common escapes), or NULL.
static char *
s_double_quoted(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\' || i + 1 == len) {
            *o++ = s[i];
            continue;
        }
        char c = s[++i];
        *o++ = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == '0' ? '\0' : c;
    }
    *o = 0;
    return out;
}

// The scalar after "key:" (trimmed), as a string value; NULL with *err.
static pk_value_t *
s_scalar(char *v, size_t line, char **err)
{
    size_t len = strlen(v);
    if (*v == '"' || *v == '\'') {
        char *end = v[0] == '"' ? strrchr(v + 1, '"') : strrchr(v + 1, '\'');
        if (!end || (end[1] && end[1 + strspn(end + 1, " \t")] != '#')) {
            *err = s_err(line, "an unterminated quoted value");
            return NULL;
        }
        if (*v == '\'') {
            char *out = malloc((size_t) (end - v)), *o = out;
            for (char *p = v + 1; out && p < end; p++) {
                *o++ = *p;
                if (*p == '\'' && p[1] == '\'')
                    p++;
            }
            if (out)
                *o = 0;
            pk_value_t *r = pk_value_new_string(out ? out : "");
            free(out);
            return r;
        }
        char *out = s_double_quoted(v + 1, (size_t) (end - v - 1));
        pk_value_t *r = pk_value_new_string(out ? out : "");
        free(out);
        return r;
    }
    if (*v == '|' || *v == '>' || *v == '&' || *v == '*' || *v == '[' || *v == '{') {
        *err = s_err(line, "block scalars, anchors and flow collections are not supported "
                     "in a secrets file");
        return NULL;
    }
    char *comment = strstr(v, " #");
    if (comment) {
        *comment = 0;
        len = strlen(v);
    }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        v[--len] = 0;
    return pk_value_new_string(v);
}

pk_value_t *
runner_secrets_yaml(const char *text, size_t len, char **err)
{
    *err = NULL;
    char *copy = strndup(text, len);
    pk_value_t *root = pk_value_new_object();
    pk_value_t *stack[S_DEPTH] = { root };
    int indents[S_DEPTH] = { -1 };
    int depth = 0, pending = -1;        // pending: a "key:" awaiting a nested mapping
    size_t lineno = 0;
    for (char *line = copy, *next; line && !*err; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = 0;
        int indent = (int) strspn(line, " ");
        char *s = line + indent;
        if (!*s || *s == '#' || !strcmp(s, "---") || !strcmp(s, "..."))
            continue;
        if (*s == '\t') {
            *err = s_err(lineno, "tabs cannot indent YAML");
            break;
        }
        if (*s == '-' && (s[1] == ' ' || !s[1])) {
            *err = s_err(lineno, "lists are not supported in a secrets file");
            break;
        }
        if (pending >= 0 && indent > indents[depth]) {
            depth++;                    // the nested mapping of the pending key
            indents[depth] = indent;
        }
        pending = -1;
        while (depth > 0 && indent < indents[depth])
            depth--;
        if (depth == 0 && indents[0] < 0)
            indents[0] = indent;
        if (indent != indents[depth]) {
            *err = s_err(lineno, "the indentation does not match any mapping above");
            break;
        }
        char *colon = strstr(s, ": ");
        if (!colon && l && line[l - 1] == ':')
            colon = line + l - 1;
        if (!colon || colon == s) {
            *err = s_err(lineno, "expected \"key: value\"");
            break;
        }
        *colon = 0;
        char *key = s;
        size_t kl = strlen(key);
        while (kl && key[kl - 1] == ' ')
            key[--kl] = 0;
        if (kl >= 2 && (key[0] == '"' || key[0] == '\'') && key[kl - 1] == key[0]) {
            key[kl - 1] = 0;
            key++;
        }
        char *value = colon + 1;
        value += strspn(value, " \t");
        if (!*value || *value == '#') {
            if (depth + 1 >= S_DEPTH) {
                *err = s_err(lineno, "nested too deeply");
                break;
            }
            pk_value_t *child = pk_value_new_object();
            pk_value_object_set(stack[depth], key, child);     // owned by the parent now
            stack[depth + 1] = child;
            pending = depth;
            continue;
        }
        pk_value_t *v = s_scalar(value, lineno, err);
        if (v)
            pk_value_object_set(stack[depth], key, v);
    }
    free(copy);
    if (*err)
        pk_value_destroy(&root);
    return root;
}
