// control_secrets: control's ops on the server's secret store (keyspace
// "secrets", store/pk_secrets.h; control is its one writer).
//   secrets.set  {name, pipeline?, team?} body: the value (msgpack str or bin)
//                -> {name, scope, updated_ms}
//   secrets.list {pipeline?, team?} -> [{name, scope, updated_ms}] of that scope
//                (a pipeline's, else the team's, default team "main")
//   secrets.rm   {name, pipeline?, team?} -> {name, scope}
// No answer ever holds a value. Without the server's key every op is
// refused with what is missing (the key file or $PIKOCI_SECRET_KEY).
#ifndef CONTROL_SECRETS_H
#define CONTROL_SECRETS_H
#include <msgpack.h>
#include <stdint.h>
#include "pk_msg.h"
#include "pk_store.h"

// What each op needs of the caller, for control's authorisation table
// (op -> least role in the team): the secret store is the maintainers'.
typedef struct {
    const char *op;
    const char *role;
} ctl_secret_op_t;
extern const ctl_secret_op_t ctl_secret_ops[];     // ends with { NULL, NULL }

typedef struct _ctl_secrets_t ctl_secrets_t;
// key: 32 bytes (copied) or NULL; missing: why there is none (shown to
// clients), when key is NULL.
ctl_secrets_t *ctl_secrets_new(pk_store_t *store, const uint8_t *key, const char *missing);
void ctl_secrets_destroy(ctl_secrets_t **self_p);
// Is op a secrets op?
bool ctl_secrets_is_op(const char *op);
// Answer a secrets op: 0 with the reply packed into out, or 1 with *error.
int ctl_secrets_request(ctl_secrets_t *self, const pk_msg_request_t *q, msgpack_sbuffer *out,
                        char **error);

#endif
