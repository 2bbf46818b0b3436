// pk_registry: the type definitions built into pikoci, so pipelines that say
// `source = "pikoci://NAME"` resolve with no network. Each is an HCL file in
// pipeline/registry/NAME.hcl holding one type block, compiled into the binary
// (cmake/embed_registry.cmake). Types pikoci runs natively (resource types
// git, cron, fs; runners exec, shell, docker) need no definition here.
#ifndef PK_REGISTRY_H
#define PK_REGISTRY_H
#include <stdbool.h>

typedef struct {
    const char *name;
    const char *hcl;
} pk_registry_entry_t;

extern const pk_registry_entry_t pk_registry_entries[];   // NULL-terminated

// The definition text for name, or NULL.
const char *pk_registry_lookup(const char *name);
// True for names pikoci implements natively for that kind of type.
bool pk_registry_native(const char *kind, const char *name);

#endif
