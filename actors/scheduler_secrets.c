// scheduler_secrets: the values of the server's secret store a build's plan
// names, looked up when its WORK is sent (the scheduler reads the keyspace,
// control writes it: store/pk_secrets.h). Only the names the plan's
// "secrets" section gives with native type "pikoci" are sent, each as the
// pipeline's secret if there is one, else its team's. What cannot be had
// goes as "!NAME" -> why, so the build fails (only if it uses the secret)
// with that reason instead of a bare "not found". Values go in WORK.secrets
// only: never in the plan, the build record or a log.
#include "scheduler_internal.h"
#include "pk_plan.h"
#include "pk_secrets.h"
#include <sodium.h>

struct _sched_secrets_t {
    pk_secrets_box_t box;
};

sched_secrets_t *
sched_secrets_new(pk_store_t *store, const uint8_t *key, const char *missing)
{
    sched_secrets_t *self = calloc(1, sizeof *self);
    pk_secrets_box_init(&self->box, store, key, missing);
    return self;
}

void
sched_secrets_destroy(sched_secrets_t **self_p)
{
    sched_secrets_t *self = *self_p;
    if (!self)
        return;
    pk_secrets_box_clear(&self->box);
    free(self);
    *self_p = NULL;
}

static void
s_missing(pk_kv_t *out, const char *key, const char *why)
{
    char bang[512];
    snprintf(bang, sizeof bang, "!%s", key);
    pk_kv_set(out, bang, why);
}

void
sched_secrets_fill(sched_secrets_t *self, const char *pipeline, const char *team,
                   const pk_value_t *plan, pk_kv_t *out)
{
    const pk_value_t *secrets = pk_value_object_get(plan, "secrets");
    pk_store_txn_t *txn = NULL;
    for (size_t i = 0; i < pk_value_len(secrets); i++) {
        const pk_value_t *e = pk_value_object_at(secrets, i);
        const pk_value_t *native = pk_value_object_get(e, "native");
        const pk_value_t *type = pk_value_object_get(native, "type");
        if (!type || strcmp(pk_value_string(type), "pikoci"))
            continue;
        const char *key = pk_value_string(pk_value_object_get(e, "key"));
        if (!key || !*key || pk_kv_get(out, key))
            continue;
        if (!self || !self->box.has_key) {
            char why[600];
            snprintf(why, sizeof why, "the server's secret store is off: %s",
                     self ? self->box.missing : "no key");
            s_missing(out, key, why);
            continue;
        }
        if (!txn && !(txn = pk_store_begin(self->box.store, false))) {
            s_missing(out, key, "the store cannot be read");
            continue;
        }
        char scope[300], *value = NULL;
        int rc = pk_secrets_get(txn, self->box.dbi, self->box.key,
                                pk_secrets_scope(scope, sizeof scope, NULL, pipeline), key, &value);
        if (rc == PK_STORE_NOTFOUND)
            rc = pk_secrets_get(txn, self->box.dbi, self->box.key,
                                pk_secrets_scope(scope, sizeof scope, team, NULL), key, &value);
        if (rc == 0)
            pk_kv_set(out, key, value);
        else {
            char why[700];
            snprintf(why, sizeof why, rc == PK_STORE_NOTFOUND
                     ? "no secret \"%s\" in the server's store (pipeline %s or team %s; "
                       "pikoci secrets set)"
                     : "secret \"%s\" of the server's store cannot be opened with this "
                       "server's key (pipeline %s, team %s)", key, pipeline, team);
            s_missing(out, key, why);
        }
        if (value) {
            sodium_memzero(value, strlen(value));
            free(value);
        }
    }
    pk_store_abort(&txn);
}
