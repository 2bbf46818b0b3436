// pk_registry: lookups over the embedded definitions (see pk_registry.h).
#include "pk_registry.h"
#include <string.h>

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
    static const char *const resources[] = { "git", "cron", "fs", NULL };
    static const char *const runners[] = { "exec", "shell", "docker", NULL };
    static const char *const secrets[] = { "file", NULL };     // read by the runner itself
    const char *const *list = !strcmp(kind, "resource_type") ? resources
                            : !strcmp(kind, "runner_type") ? runners
                            : !strcmp(kind, "secret_type") ? secrets : NULL;
    for (size_t i = 0; list && list[i]; i++)
        if (!strcmp(list[i], name))
            return true;
    return false;
}
