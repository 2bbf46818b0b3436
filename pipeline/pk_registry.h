// pk_registry: the type definitions built into pikoci, so pipelines that say
// `source = "pikoci://NAME"` resolve with no network. Each is an HCL file in
// pipeline/registry/NAME.hcl holding the type block(s) of that name -- one
// per kind it exists as (vault is a service type and a secret type) --
// compiled into the binary (cmake/embed_registry.cmake). Types pikoci runs
// natively (resource types git, cron, fs; runners exec, shell, docker; the
// file secret type) need no definition here; they are described in
// pk_registry_natives so `pikoci types` can list everything in one place.
#ifndef PK_REGISTRY_H
#define PK_REGISTRY_H
#include <stdbool.h>

typedef struct {
    const char *name;
    const char *hcl;
} pk_registry_entry_t;

extern const pk_registry_entry_t pk_registry_entries[];   // NULL-terminated

typedef struct {
    const char *kind;       // "resource_type", "runner_type", "secret_type", ...
    const char *name;
    const char *params;     // comma-separated, "" for none
    const char *summary;
} pk_registry_native_t;

extern const pk_registry_native_t pk_registry_natives[];  // NULL-terminated (kind)

// The definition text for name, or NULL.
const char *pk_registry_lookup(const char *name);
// True for names pikoci implements natively for that kind of type.
bool pk_registry_native(const char *kind, const char *name);

// Every built-in type, natives first then the embedded definitions (one
// call per block), with its params ("a, b") and a one-line summary (the
// first comment line of its file). Stops at the first non-zero return.
typedef int (pk_registry_fn)(const char *kind, const char *name, const char *params,
                             const char *summary, void *arg);
int pk_registry_each(pk_registry_fn *fn, void *arg);

// "a, b, c": every built-in name of kind (natives included). Caller frees.
char *pk_registry_names(const char *kind);

#endif
