// pipeline_index: name -> position hash indexes over the model's arrays, so
// lookups (decoding, validation, and later the runner and scheduler) cost
// O(1) and a pipeline with tens of thousands of blocks validates in linear
// time instead of quadratic. Arrays only ever grow by appending, so an index
// catches up lazily from the last position it saw; pk_pipeline_parse brings
// every index up to date before returning, after which lookups never write
// and a decoded pipeline can be read from several threads.
#include "pipeline_internal.h"
#include "pk_hash.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    size_t array;           // offsetof(pk_pipeline_t, <array>)
    size_t count;           // offsetof(pk_pipeline_t, <count>)
    size_t key;             // offsetof(<element>, <name field>)
} s_kind_t;

#define S_KIND(arr, cnt, type, field) \
    { offsetof(pk_pipeline_t, arr), offsetof(pk_pipeline_t, cnt), offsetof(type, field) }

static const s_kind_t s_kinds[PK_INDEX_COUNT] = {
    S_KIND(variables, variable_count, pk_variable_t, name),
    S_KIND(resource_types, resource_type_count, pk_resource_type_t, name),
    S_KIND(resources, resource_count, pk_resource_t, canonical),
    S_KIND(runner_types, runner_type_count, pk_runner_type_t, name),
    S_KIND(secret_types, secret_type_count, pk_secret_type_t, name),
    S_KIND(service_types, service_type_count, pk_service_type_t, name),
    S_KIND(notification_types, notification_type_count, pk_notification_type_t, name),
    S_KIND(notifications, notification_count, pk_notification_t, canonical),
    S_KIND(jobs, job_count, pk_job_t, name),
    S_KIND(jobs, job_count, pk_job_t, group),
};

// 0 added, 1 already present (first one kept), -1 out of memory.
int
pk_name_index_put(pk_name_index_t *ix, const char *key, size_t value)
{
    if ((ix->count + 1) * 2 > ix->cap) {
        size_t ncap = ix->cap ? ix->cap * 2 : 16;
        pk_name_index_t grown = { ncap, 0, calloc(ncap, sizeof(char *)),
                                  calloc(ncap, sizeof(size_t)) };
        if (!grown.keys || !grown.values) {
            free(grown.keys);
            free(grown.values);
            return -1;
        }
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->keys[i])
                pk_name_index_put(&grown, ix->keys[i], ix->values[i]);
        pk_name_index_clear(ix);
        *ix = grown;
    }
    size_t i = (size_t) pk_fnv1a_str(key) & (ix->cap - 1);
    while (ix->keys[i]) {
        if (!strcmp(ix->keys[i], key))
            return 1;
        i = (i + 1) & (ix->cap - 1);
    }
    ix->keys[i] = key;
    ix->values[i] = value;
    ix->count++;
    return 0;
}

bool
pk_name_index_get(const pk_name_index_t *ix, const char *key, size_t *value)
{
    if (!ix->cap || !key)
        return false;
    size_t i = (size_t) pk_fnv1a_str(key) & (ix->cap - 1);
    while (ix->keys[i]) {
        if (!strcmp(ix->keys[i], key)) {
            *value = ix->values[i];
            return true;
        }
        i = (i + 1) & (ix->cap - 1);
    }
    return false;
}

void
pk_name_index_clear(pk_name_index_t *ix)
{
    free(ix->keys);
    free(ix->values);
    memset(ix, 0, sizeof *ix);
}

static void
s_catch_up(pk_pipeline_priv_t *priv, const pk_pipeline_t *p, pk_index_kind_t kind)
{
    const s_kind_t *k = &s_kinds[kind];
    size_t count = *(const size_t *) ((const char *) p + k->count);
    void *const *items = *(void *const *const *) ((const char *) p + k->array);
    for (size_t i = priv->indexed[kind]; i < count; i++) {
        const char *key = *(const char *const *) ((const char *) items[i] + k->key);
        if (key && pk_name_index_put(&priv->index[kind], key, i) < 0)
            return;     // out of memory: retried on the next lookup
        priv->indexed[kind] = i + 1;
    }
}

size_t
pk_pipeline_find(const pk_pipeline_t *self, pk_index_kind_t kind, const char *name)
{
    if (!self || !self->priv || !name)
        return SIZE_MAX;
    pk_pipeline_priv_t *priv = self->priv;
    s_catch_up(priv, self, kind);
    size_t pos;
    return pk_name_index_get(&priv->index[kind], name, &pos) ? pos : SIZE_MAX;
}

void
pk_pipeline_index_all(pk_pipeline_t *self)
{
    for (int k = 0; k < PK_INDEX_COUNT; k++)
        s_catch_up(self->priv, self, (pk_index_kind_t) k);
}

void
pk_pipeline_index_clear(pk_pipeline_priv_t *priv)
{
    for (int k = 0; k < PK_INDEX_COUNT; k++)
        pk_name_index_clear(&priv->index[k]);
}

#define S_LOOKUP(kind, array)                                   \
    size_t pos = pk_pipeline_find(self, kind, name);            \
    return pos == SIZE_MAX ? NULL : self->array[pos]

const pk_variable_t *
pk_pipeline_variable(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_VARIABLES, variables);
}

const pk_resource_type_t *
pk_pipeline_resource_type(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_RESOURCE_TYPES, resource_types);
}

const pk_resource_t *
pk_pipeline_resource(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_RESOURCES, resources);
}

const pk_runner_type_t *
pk_pipeline_runner_type(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_RUNNER_TYPES, runner_types);
}

const pk_secret_type_t *
pk_pipeline_secret_type(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_SECRET_TYPES, secret_types);
}

const pk_service_type_t *
pk_pipeline_service_type(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_SERVICE_TYPES, service_types);
}

const pk_notification_type_t *
pk_pipeline_notification_type(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_NOTIFICATION_TYPES, notification_types);
}

const pk_notification_t *
pk_pipeline_notification(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_NOTIFICATIONS, notifications);
}

const pk_job_t *
pk_pipeline_job(const pk_pipeline_t *self, const char *name)
{
    S_LOOKUP(PK_INDEX_JOBS, jobs);
}
