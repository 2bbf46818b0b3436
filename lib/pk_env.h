// pk_env: an environment under construction for a child process: ordered
// NAME=VALUE entries where a later set of a name replaces the earlier value.
// Commands get the runner's own environment, then the build's, the step's and
// the exported GET_/TASK_ variables on top, each layer a set over the last.
#ifndef PK_ENV_H
#define PK_ENV_H
#include <stddef.h>

typedef struct _pk_env_t pk_env_t;

pk_env_t *pk_env_new(void);
// A copy of this process's environment
pk_env_t *pk_env_from_environ(void);
// The runner's environment as build processes may inherit it: without the
// PIKOCI_* variables that carry a credential or point at one (PIKOCI_TOKEN,
// PIKOCI_WORKER_TOKEN, PIKOCI_SECRET_KEY, PIKOCI_CURVE_CERT, and any
// PIKOCI_*_TOKEN, _KEY, _CERT, _SECRET, _PASSWORD). Builds never hold a key.
pk_env_t *pk_env_for_builds(void);
// Whether NAME is such a variable.
int pk_env_is_credential(const char *name);
pk_env_t *pk_env_dup(const pk_env_t *self);
void pk_env_destroy(pk_env_t **self_p);

void pk_env_set(pk_env_t *self, const char *name, const char *value);
void pk_env_setn(pk_env_t *self, const char *name, const char *value, size_t value_len);
void pk_env_unset(pk_env_t *self, const char *name);
const char *pk_env_get(const pk_env_t *self, const char *name);   // NULL if unset
// Sets every entry of other over self
void pk_env_merge(pk_env_t *self, const pk_env_t *other);
size_t pk_env_size(const pk_env_t *self);
const char *pk_env_entry(const pk_env_t *self, size_t index);   // "NAME=VALUE"
const char *pk_env_value(const pk_env_t *self, size_t index);   // "VALUE"
// NULL-terminated "NAME=VALUE" array, valid until the next change of self
char *const *pk_env_envp(pk_env_t *self);

// Variable names as PikoCI makes them: upper-case, every character that is
// not [A-Z0-9_] becomes '_' ("my-repo" -> "MY_REPO"). Caller frees.
char *pk_env_name_from(const char *prefix, const char *name);

#endif
