// pk_env: see pk_env.h. Entries live in one array searched linearly: a
// command's environment is a few hundred entries at most, built once per
// command, so a hash table would cost more than it saves.
#include "pk_env.h"
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct _pk_env_t {
    char **entries;     // "NAME=VALUE"
    size_t count;
    size_t cap;
    char **envp;        // NULL-terminated view, rebuilt on demand
    bool dirty;
};

pk_env_t *
pk_env_new(void)
{
    pk_env_t *self = calloc(1, sizeof(*self));
    self->dirty = true;
    return self;
}

pk_env_t *
pk_env_from_environ(void)
{
    extern char **environ;
    pk_env_t *self = pk_env_new();
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq && eq != *e) {
            char *name = strndup(*e, (size_t) (eq - *e));
            pk_env_set(self, name, eq + 1);
            free(name);
        }
    }
    return self;
}

int
pk_env_is_credential(const char *name)
{
    if (strncmp(name, "PIKOCI_", 7))
        return 0;
    static const char *names[] = { "PIKOCI_TOKEN", "PIKOCI_WORKER_TOKEN", "PIKOCI_SECRET_KEY",
                                   "PIKOCI_CURVE_CERT", "PIKOCI_CURVE_SERVER_KEY", NULL };
    for (const char **n = names; *n; n++)
        if (!strcmp(name, *n))
            return 1;
    static const char *suffixes[] = { "_TOKEN", "_KEY", "_CERT", "_SECRET", "_PASSWORD",
                                      "_TOKEN_FILE", "_KEY_FILE", "_CERT_FILE", NULL };
    size_t len = strlen(name);
    for (const char **s = suffixes; *s; s++) {
        size_t n = strlen(*s);
        if (len > n && !strcmp(name + len - n, *s))
            return 1;
    }
    return 0;
}

pk_env_t *
pk_env_for_builds(void)
{
    pk_env_t *self = pk_env_from_environ();
    for (size_t i = 0; i < self->count;) {
        const char *e = self->entries[i];
        char *name = strndup(e, (size_t) (strchr(e, '=') - e));
        if (pk_env_is_credential(name))
            pk_env_unset(self, name);
        else
            i++;
        free(name);
    }
    return self;
}

pk_env_t *
pk_env_dup(const pk_env_t *self)
{
    pk_env_t *copy = pk_env_new();
    copy->cap = self->count ? self->count : 1;
    copy->entries = malloc(copy->cap * sizeof(char *));
    for (size_t i = 0; i < self->count; i++)
        copy->entries[i] = strdup(self->entries[i]);
    copy->count = self->count;
    return copy;
}

void
pk_env_destroy(pk_env_t **self_p)
{
    pk_env_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        free(self->entries[i]);
    free(self->entries);
    free(self->envp);
    free(self);
    *self_p = NULL;
}

static size_t
s_find(const pk_env_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (!strncmp(self->entries[i], name, len) && self->entries[i][len] == '=')
            return i;
    return self->count;
}

void
pk_env_setn(pk_env_t *self, const char *name, const char *value, size_t value_len)
{
    size_t nlen = strlen(name);
    char *entry = malloc(nlen + 1 + value_len + 1);
    memcpy(entry, name, nlen);
    entry[nlen] = '=';
    memcpy(entry + nlen + 1, value, value_len);
    entry[nlen + 1 + value_len] = 0;
    size_t i = s_find(self, name, nlen);
    if (i < self->count) {
        free(self->entries[i]);
        self->entries[i] = entry;
    }
    else {
        if (self->count == self->cap) {
            self->cap = self->cap ? self->cap * 2 : 16;
            self->entries = realloc(self->entries, self->cap * sizeof(char *));
        }
        self->entries[self->count++] = entry;
    }
    self->dirty = true;
}

void
pk_env_set(pk_env_t *self, const char *name, const char *value)
{
    pk_env_setn(self, name, value, strlen(value));
}

void
pk_env_unset(pk_env_t *self, const char *name)
{
    size_t i = s_find(self, name, strlen(name));
    if (i == self->count)
        return;
    free(self->entries[i]);
    memmove(self->entries + i, self->entries + i + 1, (self->count - i - 1) * sizeof(char *));
    self->count--;
    self->dirty = true;
}

const char *
pk_env_get(const pk_env_t *self, const char *name)
{
    size_t len = strlen(name);
    size_t i = s_find(self, name, len);
    return i < self->count ? self->entries[i] + len + 1 : NULL;
}

void
pk_env_merge(pk_env_t *self, const pk_env_t *other)
{
    for (size_t i = 0; other && i < other->count; i++) {
        const char *e = other->entries[i];
        const char *eq = strchr(e, '=');
        char *name = strndup(e, (size_t) (eq - e));
        pk_env_set(self, name, eq + 1);
        free(name);
    }
}

size_t
pk_env_size(const pk_env_t *self)
{
    return self->count;
}

const char *
pk_env_entry(const pk_env_t *self, size_t index)
{
    return index < self->count ? self->entries[index] : NULL;
}

const char *
pk_env_value(const pk_env_t *self, size_t index)
{
    return index < self->count ? strchr(self->entries[index], '=') + 1 : NULL;
}

char *const *
pk_env_envp(pk_env_t *self)
{
    if (self->dirty) {
        free(self->envp);
        self->envp = malloc((self->count + 1) * sizeof(char *));
        memcpy(self->envp, self->entries, self->count * sizeof(char *));
        self->envp[self->count] = NULL;
        self->dirty = false;
    }
    return self->envp;
}

char *
pk_env_name_from(const char *prefix, const char *name)
{
    size_t plen = prefix ? strlen(prefix) : 0;
    size_t nlen = strlen(name);
    char *out = malloc(plen + nlen + 1);
    for (size_t i = 0; i < plen; i++)
        out[i] = prefix[i];
    for (size_t i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char) toupper((unsigned char) name[i]);
        out[plen + i] = (isalnum(c) && c < 128) || c == '_' ? (char) c : '_';
    }
    out[plen + nlen] = 0;
    return out;
}
