// control_graph: the "graph" query -- a pipeline as nodes and edges, what
// the web face draws and `pikoci graph` prints as DOT. One read transaction,
// like every query (control_queries.c).
//
// Nothing here is a rule of its own: the edges are the pipeline's
// declarations (its gets, with their trigger and passed, found by the
// resolver's walk the scheduler uses, and its puts), a get of one resource
// counted once as the scheduler counts it; the state is what the store says
// (the newest build, the unfinished builds of the builds_open index, the
// jobs' pause flags, pins, the newest version). Its cost is the pipeline's
// size and its unfinished builds, never its history.
//
// {pipeline, paused,
//  nodes [{id "job:J", kind "job", name, status (of the newest build, or
//          "none"), build (its number, or nil), paused, running (a build of
//          it has started), waiting (one waits for approval)}
//         {id "res:R", kind "resource", name (canonical), type, pinned,
//          version (the newest, or nil), version_id, pinned_id, check_error}],
//  edges [{from "res:R", to "job:J", kind "get", trigger, passed [jobs]}
//         {from "job:J", to "res:R", kind "put"}
//         {from "job:A", to "job:B", kind "passed", resource R, trigger}]}
#include "control_internal.h"
#include "pk_resolve.h"

typedef struct {
    const pk_step_t **items;        // borrowed from the definition
    size_t count;
} s_steps_t;

// A resource got (or put) twice by a job is one edge, the first step's.
static void
s_collect(const pk_step_t *st, void *arg)
{
    s_steps_t *s = arg;
    for (size_t i = 0; i < s->count; i++)
        if (!strcmp(s->items[i]->canonical, st->canonical))
            return;
    s->items = realloc(s->items, (s->count + 1) * sizeof *s->items);
    s->items[s->count++] = st;
}

typedef struct {
    const pk_pipeline_t *def;
    bool *running, *waiting;        // per job of def
} s_open_t;

static int
s_open(const char *pipeline, const char *job, const pk_build_t *b, void *arg)
{
    (void) pipeline;
    s_open_t *o = arg;
    for (size_t j = 0; j < o->def->job_count; j++)
        if (!strcmp(o->def->jobs[j]->name, job)) {
            o->running[j] |= !strcmp(b->status, "started");
            o->waiting[j] |= !strcmp(b->status, "waiting_for_approval");
        }
    return 0;
}

static void
s_id(msgpack_packer *pk, const char *key, const char *prefix, const char *name)
{
    char *id = NULL;
    if (asprintf(&id, "%s:%s", prefix, name) < 0)
        id = NULL;
    ctl_kstr(pk, key, id);
    free(id);
}

static void
s_job_node(ctl_q_t *q, const char *pipeline, const pk_job_t *j, bool running, bool waiting)
{
    msgpack_packer *pk = &q->pk;
    pk_build_t b = { 0 };
    bool has = pk_builds_latest(q->self->builds, q->txn, pipeline, j->name, &b) == 0;
    msgpack_pack_map(pk, 8);
    s_id(pk, "id", "job", j->name);
    ctl_kstr(pk, "kind", "job");
    ctl_kstr(pk, "name", j->name);
    ctl_kstr(pk, "status", has && b.status ? b.status : "none");
    char *number = has ? pk_build_number_str(b.number, b.retry) : NULL;
    ctl_kstr(pk, "build", number);
    free(number);
    ctl_kbool(pk, "paused", ctl_job_paused(q, pipeline, j->name));
    ctl_kbool(pk, "running", running);
    ctl_kbool(pk, "waiting", waiting);
    pk_build_clear(&b);
}

static void
s_resource_node(ctl_q_t *q, const char *pipeline, const pk_resource_t *r)
{
    msgpack_packer *pk = &q->pk;
    uint64_t pin = 0;
    if (pk_builds_pin_get(q->self->builds, q->txn, pipeline, r->canonical, &pin) != 0)
        pin = 0;
    pk_resource_state_t st = { 0 };
    if (pk_versions_state(q->self->versions, q->txn, pipeline, r->canonical, &st) != 0)
        memset(&st, 0, sizeof st);
    pk_version_t v = { 0 };
    bool has = pk_versions_latest(q->self->versions, q->txn, pipeline, r->canonical, &v) == 0;
    msgpack_pack_map(pk, 9);
    s_id(pk, "id", "res", r->canonical);
    ctl_kstr(pk, "kind", "resource");
    ctl_kstr(pk, "name", r->canonical);
    ctl_kstr(pk, "type", r->type);
    ctl_kbool(pk, "pinned", pin != 0);
    ctl_str(pk, "version");
    ctl_raw(pk, has ? v.data : NULL, has ? v.size : 0);
    ctl_str(pk, "version_id");
    has ? msgpack_pack_uint64(pk, v.id) : msgpack_pack_nil(pk);
    ctl_str(pk, "pinned_id");
    pin ? msgpack_pack_uint64(pk, pin) : msgpack_pack_nil(pk);
    ctl_kstr(pk, "check_error", st.error);
    pk_version_clear(&v);
    pk_resource_state_clear(&st);
}

// How many edges job j has: a get each, a passed edge per job each get
// names, a put each.
static size_t
s_edge_count(const s_steps_t *gets, const s_steps_t *puts)
{
    size_t n = gets->count + puts->count;
    for (size_t i = 0; i < gets->count; i++)
        n += gets->items[i]->passed_jobs.count;
    return n;
}

static void
s_edges(msgpack_packer *pk, const pk_job_t *j, const s_steps_t *gets, const s_steps_t *puts)
{
    for (size_t i = 0; i < gets->count; i++) {
        const pk_step_t *g = gets->items[i];
        msgpack_pack_map(pk, 5);
        s_id(pk, "from", "res", g->canonical);
        s_id(pk, "to", "job", j->name);
        ctl_kstr(pk, "kind", "get");
        ctl_kbool(pk, "trigger", g->trigger);
        ctl_str(pk, "passed");
        msgpack_pack_array(pk, g->passed_jobs.count);
        for (size_t k = 0; k < g->passed_jobs.count; k++)
            ctl_str(pk, g->passed_jobs.items[k]);
        for (size_t k = 0; k < g->passed_jobs.count; k++) {
            msgpack_pack_map(pk, 5);
            s_id(pk, "from", "job", g->passed_jobs.items[k]);
            s_id(pk, "to", "job", j->name);
            ctl_kstr(pk, "kind", "passed");
            ctl_kstr(pk, "resource", g->canonical);
            ctl_kbool(pk, "trigger", g->trigger);
        }
    }
    for (size_t i = 0; i < puts->count; i++) {
        msgpack_pack_map(pk, 3);
        s_id(pk, "from", "job", j->name);
        s_id(pk, "to", "res", puts->items[i]->canonical);
        ctl_kstr(pk, "kind", "put");
    }
}

int
ctl_q_graph(ctl_q_t *q)
{
    const char *name;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    bool paused = rec.paused;
    pk_pipeline_rec_clear(&rec);
    size_t nj = def->job_count;
    s_open_t open = { def, calloc(nj + 1, sizeof(bool)), calloc(nj + 1, sizeof(bool)) };
    s_steps_t *gets = calloc(nj + 1, sizeof *gets), *puts = calloc(nj + 1, sizeof *puts);
    int rc = pk_builds_open_each(q->self->builds, q->txn, name, s_open, &open) != 0
           ? ctl_store_fail(q) : 0;
    size_t edges = 0;
    for (size_t j = 0; j < nj; j++) {
        pk_resolve_each_get(def->jobs[j], s_collect, &gets[j]);
        pk_resolve_each_step(def->jobs[j], PK_STEP_PUT, s_collect, &puts[j]);
        edges += s_edge_count(&gets[j], &puts[j]);
    }
    if (rc == 0) {
        msgpack_packer *pk = &q->pk;
        msgpack_pack_map(pk, 4);
        ctl_kstr(pk, "pipeline", name);
        ctl_kbool(pk, "paused", paused);
        ctl_str(pk, "nodes");
        msgpack_pack_array(pk, nj + def->resource_count);
        for (size_t j = 0; j < nj; j++)
            s_job_node(q, name, def->jobs[j], open.running[j], open.waiting[j]);
        for (size_t r = 0; r < def->resource_count; r++)
            s_resource_node(q, name, def->resources[r]);
        ctl_str(pk, "edges");
        msgpack_pack_array(pk, edges);
        for (size_t j = 0; j < nj; j++)
            s_edges(pk, def->jobs[j], &gets[j], &puts[j]);
    }
    for (size_t j = 0; j < nj; j++) {
        free(gets[j].items);
        free(puts[j].items);
    }
    free(gets);
    free(puts);
    free(open.running);
    free(open.waiting);
    return rc;
}
