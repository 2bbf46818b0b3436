// cmd_conf: the reader of conf.h -- flat settings files, one `key = value`
// or `key: value` a line, so a PikoCI user's config file (HCL, TOML or YAML,
// as long as it is flat) reads as it is. Nothing nested: a block or a
// mapping is an error with its line, never silently skipped.
#include "conf.h"
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
s_trim(char *s)
{
    while (isspace((unsigned char) *s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char) end[-1]))
        *--end = 0;
    return s;
}

// One value at *p: "quoted" (with \" \\ \n \t), 'quoted', or a bare word up
// to end, ',' or ']' (in a list). Unquoted into out. NULL on a bad quote.
static char *
s_value(char **p, char *out, size_t size, bool in_list)
{
    char *s = *p;
    size_t n = 0;
    if (*s == '"' || *s == '\'') {
        char q = *s++;
        while (*s && *s != q) {
            char c = *s++;
            if (c == '\\' && q == '"' && *s) {
                c = *s++;
                c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
            }
            if (n + 1 < size)
                out[n++] = c;
        }
        if (*s != q)
            return NULL;
        s++;
    }
    else {
        while (*s && !(in_list && (*s == ',' || *s == ']'))) {
            if (n + 1 < size)
                out[n++] = *s;
            s++;
        }
        while (n && isspace((unsigned char) out[n - 1]))
            n--;
    }
    out[n] = 0;
    *p = s;
    return out;
}

// The comment that ends line (# or // outside quotes, at the start or after
// a space: tcp://host stays whole) is cut off.
static void
s_cut_comment(char *line)
{
    char q = 0;
    for (char *s = line; *s; s++) {
        if (q) {
            if (*s == '\\' && q == '"' && s[1])
                s++;
            else if (*s == q)
                q = 0;
        }
        else if (*s == '"' || *s == '\'')
            q = *s;
        else if ((*s == '#' || (*s == '/' && s[1] == '/'))
                 && (s == line || isspace((unsigned char) s[-1]))) {
            *s = 0;
            return;
        }
    }
}

static int
s_line(char *line, const char *where, const char *who, pk_conf_fn *fn, void *arg)
{
    s_cut_comment(line);
    char *s = s_trim(line);
    if (!*s || !strcmp(s, "---"))
        return 0;
    size_t klen = strcspn(s, "=: \t");
    char *rest = s_trim(s + klen);
    if (!klen || (*rest != '=' && *rest != ':')) {
        fprintf(stderr, "%s: %s: expected KEY = VALUE (or KEY: VALUE)\n", who, where);
        return -1;
    }
    s[klen] = 0;
    rest = s_trim(rest + 1);
    char value[4096];
    if (*rest == '{' || !*rest) {
        fprintf(stderr, "%s: %s: %s: expected a value on the same line (nothing nested)\n",
                who, where, s);
        return -1;
    }
    if (*rest != '[') {
        char *p = rest;
        if (!s_value(&p, value, sizeof value, false) || *s_trim(p)) {
            fprintf(stderr, "%s: %s: %s: bad quoting\n", who, where, s);
            return -1;
        }
        return fn(s, value, where, arg);
    }
    char *p = rest + 1;
    for (;;) {
        while (isspace((unsigned char) *p))
            p++;
        if (*p == ']')
            break;
        if (!*p || !s_value(&p, value, sizeof value, true)) {
            fprintf(stderr, "%s: %s: %s: a list ends with ] on the same line\n", who, where, s);
            return -1;
        }
        if (fn(s, value, where, arg) != 0)
            return -1;
        while (isspace((unsigned char) *p))
            p++;
        if (*p == ',')
            p++;
    }
    return 0;
}

int
pk_conf_read(const char *path, const char *who, pk_conf_fn *fn, void *arg)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot read %s: %s\n", who, path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int number = 0, rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        char where[1100];
        snprintf(where, sizeof where, "%s:%d", path, ++number);
        rc = s_line(line, where, who, fn, arg);
    }
    free(line);
    fclose(f);
    return rc;
}
