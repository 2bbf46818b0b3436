// control_queries: the read-only REQUEST ops of the control actor, answered
// from the store in one read transaction each (a consistent snapshot; LMDB
// readers never block the writers).
//
// Queries walk the pipeline's definition (control_lookup.c) in file order
// and join what the store holds (job records, builds, resource state,
// pins). Replies are msgpack written straight into the caller's buffer --
// already-packed values (version maps, inputs, vars) are copied as they
// are. Logs are read in bounded ranges, never whole.
#include "control_internal.h"
#include "pk_logs.h"
#include "pk_value_msgpack.h"

#define S_LOG_MAX_DEFAULT (1u << 20)
#define S_LOG_MAX_LIMIT (2u << 20)          // under PK_MSG_MAX_FRAME with room to spare
#define S_VERSIONS_DEFAULT 50         // a page, newest first (fly and PikoCI show 50)
#define S_BUILDS_DEFAULT 50           // the same for builds; --limit 0 asks for all

typedef int (s_query_fn)(ctl_q_t *q);


// An already packed object as it is, or nil when there is none (or it is
// not exactly one object: never let a bad stored value break the reply).
void
ctl_raw(msgpack_packer *pk, const void *data, size_t size)
{
    if (data && size && pk_msgpack_check(data, size, NULL, 0) == 0)
        pk->callback(pk->data, data, size);
    else
        msgpack_pack_nil(pk);
}

// --- builds

void
ctl_pack_build_head(msgpack_packer *pk, const char *pipeline, const char *job,
                    const pk_build_t *b)
{
    ctl_kstr(pk, "pipeline", pipeline);
    ctl_kstr(pk, "job", job);
    char *number = pk_build_number_str(b->number, b->retry);
    ctl_kstr(pk, "number", number);
    free(number);
    ctl_kstr(pk, "status", b->status);
    ctl_kint(pk, "attempt", b->attempt);
    ctl_kint(pk, "created_ms", b->created_ms);
    ctl_kint(pk, "started_ms", b->started_ms);
    ctl_kint(pk, "finished_ms", b->finished_ms);
    ctl_kstr(pk, "reason", b->reason);
    ctl_kstr(pk, "trigger", b->trigger);
    ctl_kstr(pk, "worker", b->worker);
}

static void
s_pack_build(ctl_q_t *q, const char *pipeline, uint64_t life, const char *job,
             const pk_build_t *b, bool with_steps)
{
    msgpack_packer *pk = &q->pk;
    msgpack_pack_map(pk, CTL_BUILD_HEAD_PAIRS + 5 + (with_steps ? 3 : 0));
    ctl_pack_build_head(pk, pipeline, job, b);
    ctl_str(pk, "versions");
    msgpack_pack_map(pk, b->versions.count);
    for (size_t i = 0; i < b->versions.count; i++) {
        ctl_str(pk, b->versions.names[i]);
        pk_version_t v = { 0 };
        if (pk_versions_get(q->self->versions, q->txn, pipeline, b->versions.names[i],
                            b->versions.ids[i], &v) == 0)
            ctl_raw(pk, v.data, v.size);
        else
            msgpack_pack_nil(pk);
        pk_version_clear(&v);
    }
    ctl_str(pk, "inputs");
    ctl_raw(pk, b->inputs, b->inputs_size);
    ctl_kint(pk, "approvals_needed", b->approvals_needed);
    ctl_kint(pk, "approvals", b->approvals);
    ctl_kint(pk, "trimmed_ms", b->trimmed_ms);      // retention removed log and steps
    if (!with_steps)
        return;
    ctl_kstr(pk, "by", b->by);              // who triggered it (a manual build)
    ctl_kstr(pk, "voters", b->voters);      // who approved it, one per line
    ctl_str(pk, "steps");
    pk_build_step_t *steps = NULL;
    size_t n = 0;
    if (pk_builds_steps_list(q->self->builds, q->txn, pipeline, job, b->number, b->retry,
                             &steps, &n) != 0)
        n = 0;
    // where each step's output lies in the log: the log sink's own record of
    // it (log_meta), for the steps that wrote anything
    pk_log_step_t *ranges = NULL;
    size_t nr = 0;
    char *id = pk_builds_work_id(pipeline, life, job, b->number, b->retry);
    if (!id || pk_logs_steps(q->self->store, id, b->attempt, &ranges, &nr) != 0)
        nr = 0;
    free(id);
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        const pk_build_step_t *s = &steps[i];
        const pk_log_step_t *r = NULL;
        for (size_t k = 0; k < nr && !r; k++)
            if (ranges[k].step == (uint32_t) s->step)
                r = &ranges[k];
        msgpack_pack_map(pk, r ? 10 : 8);
        ctl_kint(pk, "step", s->step);
        ctl_kstr(pk, "kind", s->kind);
        ctl_kstr(pk, "name", s->name);
        ctl_kstr(pk, "status", s->status);
        ctl_kint(pk, "exit_code", s->exit_code);
        ctl_kint(pk, "started_ms", s->started_ms);
        ctl_kint(pk, "finished_ms", s->finished_ms);
        ctl_kstr(pk, "message", s->message);
        if (r) {
            ctl_kint(pk, "log_from", (int64_t) r->first);
            ctl_kint(pk, "log_to", (int64_t) r->end);
        }
    }
    free(ranges);
    pk_build_steps_free(&steps, n);
}

void
ctl_filter_names(ctl_q_t *q, char **names, size_t *n)
{
    if (!q->self->visible)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (q->self->visible(q->self->visible_arg, names[i]))
            names[kept++] = names[i];
        else
            free(names[i]);
    *n = kept;
}

// --- the queries

static int
s_q_pipelines(ctl_q_t *q)
{
    char **names = NULL;
    size_t n = 0;
    if (pk_builds_pipelines_list(q->self->builds, q->txn, &names, &n) != 0)
        return ctl_store_fail(q);
    ctl_filter_names(q, names, &n);
    msgpack_pack_array(&q->pk, n);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        pk_kv_t args = { 0 };
        pk_kv_set(&args, "pipeline", names[i]);
        const pk_kv_t *saved = q->args;
        q->args = &args;
        const char *name;
        pk_pipeline_rec_t rec;
        pk_pipeline_t *def = NULL;
        rc = ctl_pipeline(q, &name, &rec, &def);
        if (rc == 0) {
            msgpack_pack_map(&q->pk, 8);
            ctl_kstr(&q->pk, "name", names[i]);
            char *team = q->self->auth ? pk_auth_pipeline_team(q->self->auth, q->txn, names[i])
                                       : NULL;
            ctl_kstr(&q->pk, "team", team ? team : CTL_DEFAULT_TEAM);
            free(team);
            ctl_kbool(&q->pk, "exposed", q->self->auth
                      && pk_auth_pipeline_exposed(q->self->auth, q->txn, names[i]));
            ctl_kint(&q->pk, "version", (int64_t) rec.version);
            ctl_kint(&q->pk, "set_ms", rec.set_ms);
            ctl_kbool(&q->pk, "paused", rec.paused);
            ctl_kint(&q->pk, "jobs", (int64_t) def->job_count);
            ctl_kint(&q->pk, "resources", (int64_t) def->resource_count);
            pk_pipeline_rec_clear(&rec);
        }
        q->args = saved;
        pk_kv_clear(&args);
    }
    pk_builds_names_free(&names, n);
    return rc;
}

static int
s_q_pipeline_get(ctl_q_t *q)
{
    const char *name;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    msgpack_pack_map(&q->pk, 6);
    ctl_kstr(&q->pk, "name", name);
    ctl_kint(&q->pk, "version", (int64_t) rec.version);
    ctl_kint(&q->pk, "set_ms", rec.set_ms);
    ctl_kbool(&q->pk, "paused", rec.paused);
    // the public sees neither the source nor the variables (params, URLs)
    ctl_kstr(&q->pk, "source", q->self->redact ? NULL : rec.source ? rec.source : "");
    ctl_str(&q->pk, "vars");
    if (q->self->redact)
        msgpack_pack_nil(&q->pk);
    else
        ctl_raw(&q->pk, rec.vars, rec.vars_size);
    pk_pipeline_rec_clear(&rec);
    return 0;
}

bool
ctl_job_paused(ctl_q_t *q, const char *pipeline, const char *job)
{
    pk_job_rec_t jr = { 0 };
    bool paused = pk_builds_job_get(q->self->builds, q->txn, pipeline, job, &jr) == 0
               && jr.paused;
    pk_job_rec_clear(&jr);
    return paused;
}

// A job's input blocks, as a trigger form needs them.
static void
s_pack_inputs(msgpack_packer *pk, const pk_job_t *j)
{
    static const char *types[] = { "string", "number", "bool" };
    msgpack_pack_array(pk, j->input_count);
    for (size_t k = 0; k < j->input_count; k++) {
        const pk_input_t *in = j->inputs[k];
        msgpack_pack_map(pk, 5);
        ctl_kstr(pk, "name", in->name);
        ctl_kstr(pk, "type", in->type <= PK_INPUT_BOOL ? types[in->type] : "string");
        ctl_str(pk, "default");
        if (in->default_value)
            pk_value_pack(in->default_value, pk);
        else
            msgpack_pack_nil(pk);
        ctl_str(pk, "options");
        msgpack_pack_array(pk, in->options.count);
        for (size_t o = 0; o < in->options.count; o++)
            ctl_str(pk, in->options.items[o]);
        ctl_kbool(pk, "multiple", in->multiple);
    }
}

static int
s_q_jobs(ctl_q_t *q)
{
    const char *name;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    pk_pipeline_rec_clear(&rec);
    msgpack_pack_array(&q->pk, def->job_count);
    for (size_t i = 0; i < def->job_count; i++) {
        const pk_job_t *j = def->jobs[i];
        msgpack_pack_map(&q->pk, 7);
        ctl_kstr(&q->pk, "name", j->name);
        ctl_kbool(&q->pk, "paused", ctl_job_paused(q, name, j->name));
        ctl_str(&q->pk, "inputs");
        s_pack_inputs(&q->pk, j);
        ctl_kbool(&q->pk, "allow_failure", j->allow_failure);
        ctl_kstr(&q->pk, "approval", j->approve_label);
        ctl_kint(&q->pk, "approvals", j->approve_label ? j->approvals : 0);
        ctl_str(&q->pk, "latest");
        pk_build_t b = { 0 };
        if (pk_builds_latest(q->self->builds, q->txn, name, j->name, &b) == 0)
            s_pack_build(q, name, 0, j->name, &b, false);
        else
            msgpack_pack_nil(&q->pk);
        pk_build_clear(&b);
    }
    return 0;
}

static int
s_q_builds(ctl_q_t *q)
{
    const char *name, *job;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    uint64_t limit;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    pk_pipeline_rec_clear(&rec);
    uint64_t before, after;
    if (ctl_job(q, name, def, &job) || ctl_uint_arg(q, "limit", S_BUILDS_DEFAULT, &limit)
        || ctl_uint_arg(q, "before", 0, &before) || ctl_uint_arg(q, "after", 0, &after))
        return 1;
    pk_build_t *items = NULL;
    size_t n = 0;
    if (pk_builds_page(q->self->builds, q->txn, name, job, before, after, (size_t) limit,
                       &items, &n) != 0)
        return ctl_store_fail(q);
    msgpack_pack_array(&q->pk, n);
    for (size_t i = 0; i < n; i++)
        s_pack_build(q, name, 0, job, &items[i], false);
    pk_builds_list_free(&items, n);
    return 0;
}

static int
s_q_build(ctl_q_t *q)
{
    const char *name, *job;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    uint64_t life = rec.life;
    pk_pipeline_rec_clear(&rec);
    pk_build_t b = { 0 };
    if (ctl_job(q, name, def, &job) || ctl_build(q, name, job, false, &b)) {
        pk_build_clear(&b);
        return 1;
    }
    s_pack_build(q, name, life, job, &b, true);
    pk_build_clear(&b);
    return 0;
}

// want bytes of log (id, attempt) from offset decoded into the reply being
// packed, room made for them first: how many were there, or -1.
static int64_t
s_log_into(ctl_q_t *q, const char *id, uint32_t attempt, uint64_t offset, size_t want)
{
    msgpack_sbuffer *sb = q->pk.data;
    if (sb->alloc - sb->size < want) {
        size_t alloc = sb->size + want + 256;   // and the fields after it
        char *data = realloc(sb->data, alloc);
        if (!data)
            return -1;
        sb->data = data;
        sb->alloc = alloc;
    }
    int64_t got = pk_logs_read_buf(q->self->store, id, attempt, offset, sb->data + sb->size,
                                   want);
    if (got > 0)
        sb->size += (size_t) got;
    return got;
}

static int
s_q_logs(ctl_q_t *q)
{
    const char *name, *job;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    uint64_t offset, max;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    uint64_t life = rec.life;
    pk_pipeline_rec_clear(&rec);
    pk_build_t b = { 0 };
    if (ctl_job(q, name, def, &job) || ctl_uint_arg(q, "offset", 0, &offset)
        || ctl_uint_arg(q, "max", S_LOG_MAX_DEFAULT, &max) || ctl_build(q, name, job, true, &b)) {
        pk_build_clear(&b);
        return 1;
    }
    if (max == 0 || max > S_LOG_MAX_LIMIT)
        max = S_LOG_MAX_LIMIT;
    char *number = pk_build_number_str(b.number, b.retry);
    if (b.trimmed_ms) {
        ctl_fail(q, "the log of build %s/%s/%s was removed by retention (build_log_retention "
                 "or --retain-builds/--retain-days); its summary is still listed by `pikoci "
                 "builds %s/%s`", name, job, number ? number : "?", name, job);
        free(number);
        pk_build_clear(&b);
        return 1;
    }
    char *id = pk_builds_work_id(name, life, job, b.number, b.retry);
    int64_t size = id ? pk_logs_size(q->self->store, id, b.attempt) : -1;
    int rc = 0;
    if (size < 0)
        rc = ctl_store_fail(q);
    uint64_t from = rc == 0 && offset < (uint64_t) size ? offset : (uint64_t) size;
    size_t want = rc == 0 ? (size_t) ((uint64_t) size - from < max ? (uint64_t) size - from
                                                                   : max) : 0;
    if (rc == 0) {
        msgpack_packer *pk = &q->pk;
        msgpack_pack_map(pk, 9);
        ctl_kstr(pk, "id", id);
        ctl_kstr(pk, "number", number);
        ctl_kint(pk, "attempt", b.attempt);
        ctl_kstr(pk, "status", b.status);
        ctl_str(pk, "data");
        msgpack_pack_bin(pk, (uint32_t) want);
        // the bytes are decoded straight into the reply (no buffer of their
        // own, no growing copies of it): a log only grows, so all of them
        // are there unless it was removed meanwhile
        int64_t got = want ? s_log_into(q, id, b.attempt, from, want) : 0;
        if (got != (int64_t) want) {
            rc = got < 0 ? ctl_store_fail(q)
               : ctl_fail(q, "the log of build %s/%s/%s was removed while it was read", name,
                          job, number ? number : "?");
        }
        else {
            uint64_t next = from + (uint64_t) got;
            ctl_kint(pk, "offset", (int64_t) from);
            ctl_kint(pk, "next_offset", (int64_t) next);
            ctl_kint(pk, "size", size);
            ctl_kbool(pk, "finished", pk_build_status_terminal(b.status)
                                      && next == (uint64_t) size);
        }
    }
    free(id);
    free(number);
    pk_build_clear(&b);
    return rc;
}

// One resource's check state and pin; with_pipeline for the overview.
void
ctl_pack_resource(ctl_q_t *q, const char *pipeline, const pk_resource_t *r, bool with_pipeline)
{
    msgpack_packer *pk = &q->pk;
    pk_resource_state_t st = { 0 };
    if (pk_versions_state(q->self->versions, q->txn, pipeline, r->canonical, &st) != 0)
        memset(&st, 0, sizeof st);
    uint64_t pin = 0;
    if (pk_builds_pin_get(q->self->builds, q->txn, pipeline, r->canonical, &pin) != 0)
        pin = 0;
    msgpack_pack_map(pk, 10 + (with_pipeline ? 1 : 0));
    if (with_pipeline)
        ctl_kstr(pk, "pipeline", pipeline);
    ctl_kstr(pk, "name", r->canonical);
    ctl_kstr(pk, "type", r->type);
    ctl_kstr(pk, "check_interval", r->check_interval);
    ctl_kint(pk, "last_check_ms", st.last_check_ms);
    ctl_kint(pk, "next_check_ms", st.next_check_ms);
    ctl_kstr(pk, "error", st.error);
    ctl_kint(pk, "last_id", (int64_t) st.last_id);
    ctl_kint(pk, "checks", (int64_t) st.checks);
    ctl_kint(pk, "failures", (int64_t) st.failures);
    ctl_str(pk, "pinned");
    if (pin)
        msgpack_pack_uint64(pk, pin);
    else
        msgpack_pack_nil(pk);
    pk_resource_state_clear(&st);
}

static int
s_q_resources(ctl_q_t *q)
{
    const char *name;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    pk_pipeline_rec_clear(&rec);
    msgpack_pack_array(&q->pk, def->resource_count);
    for (size_t i = 0; i < def->resource_count; i++)
        ctl_pack_resource(q, name, def->resources[i], false);
    return 0;
}

static int
s_q_versions(ctl_q_t *q)
{
    const char *name;
    pk_pipeline_rec_t rec;
    pk_pipeline_t *def;
    const pk_resource_t *r;
    uint64_t limit, before, after;
    if (ctl_pipeline(q, &name, &rec, &def))
        return 1;
    pk_pipeline_rec_clear(&rec);
    if (ctl_resource(q, name, def, &r) || ctl_uint_arg(q, "limit", S_VERSIONS_DEFAULT, &limit)
        || ctl_uint_arg(q, "before", 0, &before) || ctl_uint_arg(q, "after", 0, &after))
        return 1;
    // ids of a resource are consecutive: the page above after ends at after + limit
    if (after && !before && limit)
        before = after + limit + 1;
    uint64_t pin = 0;
    if (pk_builds_pin_get(q->self->builds, q->txn, name, r->canonical, &pin) != 0)
        pin = 0;
    pk_version_t *items = NULL;
    size_t n = 0;
    if (pk_versions_list(q->self->versions, q->txn, name, r->canonical, before, (size_t) limit,
                         &items, &n) != 0)
        return ctl_store_fail(q);
    while (after && n && items[n - 1].id <= after)
        pk_version_clear(&items[--n]);
    msgpack_pack_array(&q->pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(&q->pk, 3);
        ctl_kint(&q->pk, "id", (int64_t) items[i].id);
        ctl_str(&q->pk, "version");
        ctl_raw(&q->pk, items[i].data, items[i].size);
        ctl_kbool(&q->pk, "pinned", pin && pin == items[i].id);
    }
    pk_versions_list_free(&items, n);
    return 0;
}

static const struct {
    const char *op;
    s_query_fn *fn;
} s_queries[] = {
    { "pipelines", s_q_pipelines },
    { "pipeline.get", s_q_pipeline_get },
    { "jobs", s_q_jobs },
    { "builds", s_q_builds },
    { "build", s_q_build },
    { "logs", s_q_logs },
    { "resources", s_q_resources },
    { "versions", s_q_versions },
    { "overview", ctl_q_overview },
    { "graph", ctl_q_graph },
    { "store", ctl_q_store },
    { NULL, NULL }
};

bool
pk_control_is_query(const char *op)
{
    for (size_t i = 0; op && s_queries[i].op; i++)
        if (!strcmp(s_queries[i].op, op))
            return true;
    return false;
}

int
pk_control_query(pk_control_queries_t *self, const char *op, const pk_kv_t *args,
                 msgpack_sbuffer *out, char **error)
{
    *error = NULL;
    static const pk_kv_t none = { 0 };
    ctl_q_t q = { .self = self, .args = args ? args : &none, .error = error };
    msgpack_packer_init(&q.pk, out, msgpack_sbuffer_write);
    for (size_t i = 0; op && s_queries[i].op; i++) {
        if (strcmp(s_queries[i].op, op))
            continue;
        q.txn = pk_store_begin(self->store, false);
        if (!q.txn)
            return ctl_store_fail(&q);
        int rc = s_queries[i].fn(&q);
        pk_store_abort(&q.txn);
        if (rc != 0 && !*error)
            *error = strdup("the query failed");
        // an answer that cannot travel as one message (the REPLY around it
        // needs a little room) is refused here, so it never reaches a link
        // that would drop it: the caller counts the refusal
        if (rc == 0 && out->size > PK_MSG_MAX_FRAME - 1024) {
            zsys_warning("control: refused an answer of %zu bytes to \"%s\" (over %u)",
                         out->size, op, PK_MSG_MAX_FRAME);
            if (asprintf(error, "the answer is %zu bytes, over the %u byte limit of one "
                         "message: ask for less (a smaller --limit, or a page with "
                         "--before/--after)", out->size, PK_MSG_MAX_FRAME) < 0)
                *error = NULL;
            out->size = 0;
            rc = 1;
        }
        return rc ? 1 : 0;
    }
    return ctl_fail(&q, "\"%s\" is not a query", op ? op : "");
}

