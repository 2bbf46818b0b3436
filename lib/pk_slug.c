// pk_slug: see pk_slug.h.
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_slug.h"

char *
pk_slug(const char *name)
{
    size_t len = strlen(name);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        char c = (char) tolower((unsigned char) *p);
        bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!keep) {
            if (n > 0 && out[n - 1] != '-')
                out[n++] = '-';
            continue;
        }
        out[n++] = c;
    }
    while (n > 0 && (out[n - 1] == '-' || out[n - 1] == '_'))
        n--;
    out[n] = '\0';
    size_t skip = strspn(out, "-_");
    memmove(out, out + skip, n - skip + 1);
    return out;
}

bool
pk_slug_valid(const char *name)
{
    if (!name || !*name || strlen(name) > PK_SLUG_MAX)
        return false;
    if (!((*name >= 'a' && *name <= 'z') || (*name >= '0' && *name <= '9')))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_'))
            return false;
    return true;
}

char *
pk_slug_printable(const char *name)
{
    char *out = malloc(strlen(name) * 4 + 1), *o = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            o += sprintf(o, "\\x%02x", *p);
        else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            o += sprintf(o, "\\xc2\\x%02x", p[1]);
            p++;
        }
        else
            *o++ = (char) *p;
    }
    *o = 0;
    return out;
}
