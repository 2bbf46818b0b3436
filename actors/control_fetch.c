// control_fetch: a pipeline.set resolved off the scheduler's thread. Type
// definitions may come from the network (https:// sources, and pikoci://
// names not built in under --allow-remote-types), each fetch capped at
// PK_FETCH_TIMEOUT_MS; done where the scheduler decodes, a slow registry
// would stop every dispatch meanwhile. So control starts one short-lived
// actor per set, which parses and loads the sources exactly as the
// scheduler would (same file name, same flags) and hands back the body to
// forward: the client's, plus either `types` (everything fetched: the
// scheduler finds each definition there and fetches nothing) or `errors`
// (the scheduler rejects with these as if it had found them, without
// fetching the failed sources a second time).
//
// The actor's pipe carries one frame, that body, then the actor ends.
// Destroying it before it answered (control stopping) raises the set's
// abort flag, which the fetch on that thread watches (pk_fetch_abort_on),
// so a server stops within a second even while a registry hangs.
//
// ctl_sets_t is the queue of those sets in control: their pipes for
// control's poll, and the sets ready to go out in the order they were
// asked for per pipeline -- a later set of P whose fetch ends first waits
// for the earlier one, or the older text would be stored last. Sets of
// different pipelines do not wait for each other.
#include "control_internal.h"
#include "pk_fetch.h"
#include "pk_value_msgpack.h"
#include <pthread.h>

struct _ctl_sets_t {
    int flags;
    ctl_set_t *sets[CTL_SETS_MAX];      // in the order asked for
    size_t count;
    ctl_set_t *polled[CTL_SETS_MAX];    // whose pipes ctl_sets_items gave, in order
    int npolled;
};

typedef struct {
    char *pipeline;
    pk_value_t *body;           // the client's body, unpacked (NULL: not msgpack)
    uint8_t *raw;               // ... and as it came, for a body that is not an object
    size_t raw_size;
    int flags;
    const atomic_int *abort;    // the set's: non-zero when control stops
} s_job_t;

static void
s_job_free(s_job_t **job_p)
{
    s_job_t *job = *job_p;
    if (!job)
        return;
    free(job->pipeline);
    pk_value_destroy(&job->body);
    free(job->raw);
    free(job);
    *job_p = NULL;
}

// Parse and load as sched_pipeline_set would (pk_pipeline_from_text, the
// same flags); what was fetched, or the errors, go into out.
static void
s_resolve(s_job_t *job, pk_value_t *out)
{
    const pk_value_t *src = pk_value_object_get(job->body, "source");
    const pk_value_t *vars = pk_value_object_get(job->body, "vars");
    if (!src || pk_value_kind(src) != PK_V_STRING
        || (vars && pk_value_kind(vars) != PK_V_OBJECT && pk_value_kind(vars) != PK_V_NULL))
        return;                         // the scheduler refuses the body's shape
    if (vars && pk_value_kind(vars) == PK_V_NULL)
        vars = NULL;
    pk_value_t *kept = pk_value_new_object(), *errors = NULL;
    pk_pipeline_t *p = pk_pipeline_from_text(job->pipeline, pk_value_string(src),
                                             pk_value_len(src), vars, job->flags, kept, &errors);
    if (p)
        pk_value_object_set(out, "types", kept);
    else {
        pk_value_object_set(out, "errors", errors);
        pk_value_destroy(&kept);
    }
    pk_pipeline_destroy(&p);
}

static void
s_actor(zsock_t *pipe, void *arg)
{
    s_job_t *job = arg;
    pthread_setname_np(pthread_self(), "pk-ctl-fetch");
    pk_fetch_abort_on(job->abort);
    zsock_signal(pipe, 0);
    uint8_t *data = NULL;
    size_t size = 0;
    if (pk_value_kind(job->body) == PK_V_OBJECT) {
        // the client's keys but ours: `types` and `errors` are only control's to say
        pk_value_t *out = pk_value_new_object();
        for (size_t i = 0; i < pk_value_len(job->body); i++) {
            const char *key = pk_value_object_key(job->body, i);
            if (strcmp(key, "types") && strcmp(key, "errors"))
                pk_value_object_set(out, key, pk_value_dup(pk_value_object_at(job->body, i)));
        }
        s_resolve(job, out);
        pk_value_pack_bytes(out, &data, &size);
        pk_value_destroy(&out);
    }
    zframe_t *f = data ? zframe_new(data, size) : zframe_new(job->raw, job->raw_size);
    free(data);
    zframe_send(&f, pipe, 0);
    s_job_free(&job);
}

static zactor_t *
s_fetch_new(const char *pipeline, const void *body, size_t size, int flags,
            const atomic_int *abort)
{
    s_job_t *job = calloc(1, sizeof *job);
    job->pipeline = strdup(pipeline);
    job->raw = malloc(size ? size : 1);
    if (size)
        memcpy(job->raw, body, size);
    job->raw_size = size;
    job->body = size ? pk_value_unpack(body, size) : NULL;
    job->flags = flags;
    job->abort = abort;
    zactor_t *actor = zactor_new(s_actor, job);
    if (!actor)
        s_job_free(&job);
    return actor;
}

static int
s_fetch_result(zactor_t *fetch, uint8_t **body, size_t *size)
{
    zframe_t *f = zframe_recv(fetch);
    if (!f)
        return -1;
    *size = zframe_size(f);
    *body = malloc(*size ? *size : 1);
    memcpy(*body, zframe_data(f), *size);
    zframe_destroy(&f);
    return 0;
}

// --- the queue

ctl_sets_t *
ctl_sets_new(int flags)
{
    ctl_sets_t *self = calloc(1, sizeof *self);
    self->flags = flags;
    return self;
}

void
ctl_set_destroy(ctl_set_t **self_p)
{
    ctl_set_t *set = *self_p;
    if (!set)
        return;
    // a fetch still running is told to give up, and waited for (a second
    // at most: libcurl looks at the flag while it waits)
    atomic_store(&set->abort, 1);
    zactor_destroy(&set->fetch);
    zframe_destroy(&set->client);
    pk_kv_clear(&set->args);
    free(set->body);
    free(set);
    *self_p = NULL;
}

void
ctl_sets_destroy(ctl_sets_t **self_p)
{
    ctl_sets_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        ctl_set_destroy(&self->sets[i]);
    free(self);
    *self_p = NULL;
}

int
ctl_sets_start(ctl_sets_t *self, const pk_msg_request_t *q, zframe_t **client)
{
    if (self->count == CTL_SETS_MAX)
        return -1;
    ctl_set_t *set = calloc(1, sizeof *set);
    set->fetch = s_fetch_new(pk_kv_get(&q->args, "pipeline"), q->body.data, q->body.size,
                             self->flags, &set->abort);
    if (!set->fetch) {
        free(set);
        return -1;
    }
    set->rid = q->rid;
    set->client = *client;
    *client = NULL;
    for (size_t i = 0; i < q->args.count; i++)
        pk_kv_set(&set->args, q->args.keys[i], q->args.values[i]);
    self->sets[self->count++] = set;
    return 0;
}

int
ctl_sets_items(ctl_sets_t *self, zmq_pollitem_t *items)
{
    self->npolled = 0;
    for (size_t i = 0; i < self->count; i++)
        if (self->sets[i]->fetch) {
            self->polled[self->npolled] = self->sets[i];
            items[self->npolled++] = (zmq_pollitem_t) { zsock_resolve(self->sets[i]->fetch),
                                                        0, ZMQ_POLLIN, 0 };
        }
    return self->npolled;
}

void
ctl_sets_answered(ctl_sets_t *self, const zmq_pollitem_t *items, int n)
{
    // sets started since ctl_sets_items were not polled; none went away
    for (int i = 0; i < n && i < self->npolled; i++) {
        ctl_set_t *set = self->polled[i];
        if (!(items[i].revents & ZMQ_POLLIN))
            continue;
        if (s_fetch_result(set->fetch, &set->body, &set->body_size) != 0) {
            set->body = NULL;           // forwarded without a body: the scheduler refuses
            set->body_size = 0;
        }
        zactor_destroy(&set->fetch);
    }
    self->npolled = 0;
}

ctl_set_t *
ctl_sets_next(ctl_sets_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        ctl_set_t *set = self->sets[i];
        bool held = set->fetch != NULL;
        for (size_t j = 0; j < i && !held; j++)
            held = !strcmp(pk_kv_get(&self->sets[j]->args, "pipeline"),
                           pk_kv_get(&set->args, "pipeline"));
        if (held)
            continue;
        memmove(&self->sets[i], &self->sets[i + 1], (self->count - i - 1) * sizeof set);
        self->count--;
        return set;
    }
    return NULL;
}
