// top_model: see top_model.h; the events are applied in top_model_events.c.
// Unfinished builds are few (an array, found by
// a linear scan); finished ones are a newest-first array capped at
// TOP_MODEL_HISTORY. The filtered panel rows are rebuilt only when the
// version moved since they were last asked for, so a frame costs nothing
// when nothing changed and one pass over the builds when something did.
#include "top_model_internal.h"
#include "pk_hash.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
top_status_done(const char *status)
{
    static const char *const done[] = { "succeeded", "failed", "errored", "cancelled",
                                        "warning", NULL };
    for (size_t i = 0; status && done[i]; i++)
        if (!strcmp(status, done[i]))
            return true;
    return false;
}

// --- reading decoded bodies

const char *
top_model_str(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_STRING ? pk_value_string(v) : NULL;
}

int64_t
top_model_int(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_NUMBER ? (int64_t) pk_value_number(v) : 0;
}

bool
top_model_bool(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_BOOL && pk_value_bool(v);
}

char *
top_model_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void
top_model_set_str(char **field, const char *value)
{
    if (*field && value && !strcmp(*field, value))
        return;
    free(*field);
    *field = top_model_dup(value);
}

// --- records

static void
s_build_free(top_build_t **b_p)
{
    top_build_t *b = *b_p;
    if (!b)
        return;
    free(b->pipeline), free(b->job), free(b->number), free(b->status);
    free(b->reason), free(b->worker), free(b->step), free(b->wait);
    free(b);
    *b_p = NULL;
}

// FNV-1a of "pipeline/job/number": most lookups end at a hash compare.
uint64_t
top_model_key(const char *pipeline, const char *job, const char *number)
{
    uint64_t h = PK_FNV1A_START;
    const char *parts[3] = { pipeline, job, number };
    for (int i = 0; i < 3; i++)
        h = pk_fnv1a_more(pk_fnv1a_more(h, parts[i], strlen(parts[i])), "/", 1);
    return h;
}

static top_build_t *
s_build_from(const pk_value_t *o)
{
    const char *p = top_model_str(o, "pipeline"), *j = top_model_str(o, "job");
    const char *n = top_model_str(o, "number");
    const char *st = top_model_str(o, "status");
    if (!p || !j || !n || !st)
        return NULL;
    top_build_t *b = calloc(1, sizeof *b);
    b->pipeline = strdup(p);
    b->job = strdup(j);
    b->number = strdup(n);
    b->key = top_model_key(p, j, n);
    b->status = strdup(st);
    b->reason = top_model_dup(top_model_str(o, "reason"));
    b->worker = top_model_dup(top_model_str(o, "worker"));
    b->step = top_model_dup(top_model_str(o, "step"));
    b->wait = top_model_dup(top_model_str(o, "wait"));
    b->created_ms = top_model_int(o, "created_ms");
    b->started_ms = top_model_int(o, "started_ms");
    b->finished_ms = top_model_int(o, "finished_ms");
    b->dispatched = top_model_bool(o, "dispatched");
    return b;
}

bool
top_model_same(const top_build_t *b, uint64_t key, const char *pipeline, const char *job,
       const char *number)
{
    return b->key == key && !strcmp(b->number, number) && !strcmp(b->job, job)
        && !strcmp(b->pipeline, pipeline);
}

static void
s_workers_free(top_model_t *self)
{
    for (size_t i = 0; i < self->worker_count; i++) {
        free(self->workers[i].name);
        free(self->workers[i].tags);
        free(self->workers[i].state);
    }
    free(self->workers);
    free(self->exclusive);
    self->workers = NULL;
    self->exclusive = NULL;
    self->worker_count = 0;
}

static void
s_res_free(top_model_t *self)
{
    for (size_t i = 0; i < self->res_count; i++) {
        top_resource_t *r = &self->res[i];
        free(r->pipeline), free(r->name), free(r->type), free(r->error);
    }
    free(self->res);
    self->res = NULL;
    self->res_count = 0;
}

static void
s_pipes_free(top_model_t *self)
{
    for (size_t i = 0; i < self->pipe_count; i++) {
        top_pipe_t *p = &self->pipes[i];
        for (size_t j = 0; j < p->job_count; j++)
            free(p->jobs[j]);
        free(p->jobs);
        free(p->jobs_paused);
        free(p->name);
    }
    free(self->pipes);
    self->pipes = NULL;
    self->pipe_count = 0;
}

static void
s_active_free(top_model_t *self)
{
    for (size_t i = 0; i < self->active_count; i++)
        s_build_free(&self->active[i]);
    self->active_count = 0;
}

static void
s_done_free(top_model_t *self)
{
    for (size_t i = 0; i < self->done_count; i++)
        s_build_free(&self->done[i]);
    self->done_count = 0;
}

top_model_t *
top_model_new(void)
{
    return calloc(1, sizeof(top_model_t));
}

void
top_model_clear(top_model_t *self)
{
    s_active_free(self);
    s_done_free(self);
    s_workers_free(self);
    s_res_free(self);
    s_pipes_free(self);
    memset(self->minute, 0, sizeof self->minute);
    memset(self->per_minute, 0, sizeof self->per_minute);
    self->version++;
}

void
top_model_destroy(top_model_t **self_p)
{
    top_model_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    top_model_clear(self);
    free(self->active);
    free(self->filter);
    top_rows_t *rows[] = { &self->run, &self->queue, &self->fin, &self->wrk, &self->rsc };
    for (size_t i = 0; i < 5; i++)
        free(rows[i]->items);
    free(self);
    *self_p = NULL;
}

// --- finished builds and the per-minute counts

void
top_model_count_finish(top_model_t *self, int64_t finished_ms)
{
    if (finished_ms <= 0)
        return;
    int64_t m = finished_ms / 60000;
    size_t i = (size_t) (m % TOP_MODEL_MINUTES);
    if (self->minute[i] != m) {
        if (self->minute[i] > m)
            return;                     // older than the window
        self->minute[i] = m;
        self->per_minute[i] = 0;
    }
    self->per_minute[i]++;
}

// Keep b (owned) as the newest finished build.
void
top_model_done_push(top_model_t *self, top_build_t *b)
{
    if (self->done_count == TOP_MODEL_HISTORY)
        s_build_free(&self->done[--self->done_count]);
    memmove(self->done + 1, self->done, self->done_count * sizeof *self->done);
    self->done[0] = b;
    self->done_count++;
}

// --- snapshots

static void
s_pipes_load(top_model_t *self, const pk_value_t *list)
{
    s_pipes_free(self);
    size_t n = pk_value_len(list);
    self->pipes = calloc(n + 1, sizeof *self->pipes);
    for (size_t i = 0; i < n; i++) {
        const pk_value_t *o = pk_value_list_at(list, i);
        if (!top_model_str(o, "name"))
            continue;
        top_pipe_t *p = &self->pipes[self->pipe_count++];
        p->name = strdup(top_model_str(o, "name"));
        p->paused = top_model_bool(o, "paused");
        const pk_value_t *jobs = pk_value_object_get(o, "jobs");
        size_t m = pk_value_kind(jobs) == PK_V_LIST ? pk_value_len(jobs) : 0;
        p->jobs = calloc(m + 1, sizeof *p->jobs);
        p->jobs_paused = calloc(m + 1, sizeof *p->jobs_paused);
        for (size_t j = 0; j < m; j++) {
            const pk_value_t *jo = pk_value_list_at(jobs, j);
            if (!top_model_str(jo, "name"))
                continue;
            p->jobs[p->job_count] = strdup(top_model_str(jo, "name"));
            p->jobs_paused[p->job_count++] = top_model_bool(jo, "paused");
        }
    }
}

static void
s_res_load(top_model_t *self, const pk_value_t *list)
{
    s_res_free(self);
    size_t n = pk_value_len(list);
    self->res = calloc(n + 1, sizeof *self->res);
    for (size_t i = 0; i < n; i++) {
        const pk_value_t *o = pk_value_list_at(list, i);
        if (!top_model_str(o, "pipeline") || !top_model_str(o, "name"))
            continue;
        top_resource_t *r = &self->res[self->res_count++];
        r->pipeline = strdup(top_model_str(o, "pipeline"));
        r->name = strdup(top_model_str(o, "name"));
        r->type = top_model_dup(top_model_str(o, "type"));
        r->error = top_model_dup(top_model_str(o, "error"));
        r->last_check_ms = top_model_int(o, "last_check_ms");
        r->next_check_ms = top_model_int(o, "next_check_ms");
        r->pinned = (uint64_t) top_model_int(o, "pinned");
    }
}

int
top_model_snapshot(top_model_t *self, const pk_value_t *ov, int64_t now_ms)
{
    const pk_value_t *pipes = pk_value_object_get(ov, "pipelines");
    const pk_value_t *active = pk_value_object_get(ov, "active");
    const pk_value_t *recent = pk_value_object_get(ov, "recent");
    const pk_value_t *res = pk_value_object_get(ov, "resources");
    if (pk_value_kind(ov) != PK_V_OBJECT || pk_value_kind(pipes) != PK_V_LIST
        || pk_value_kind(active) != PK_V_LIST || pk_value_kind(recent) != PK_V_LIST
        || pk_value_kind(res) != PK_V_LIST)
        return -1;
    int64_t server = top_model_int(ov, "now_ms");
    self->skew_ms = server > 0 ? server - now_ms : 0;
    s_pipes_load(self, pipes);
    s_res_load(self, res);
    s_active_free(self);
    size_t n = pk_value_len(active);
    if (n > self->active_cap) {
        self->active_cap = n;
        self->active = realloc(self->active, n * sizeof *self->active);
    }
    for (size_t i = 0; i < n; i++) {
        top_build_t *b = s_build_from(pk_value_list_at(active, i));
        if (b)
            self->active[self->active_count++] = b;
    }
    n = pk_value_len(recent);
    if (n) {
        s_done_free(self);
        memset(self->minute, 0, sizeof self->minute);
        memset(self->per_minute, 0, sizeof self->per_minute);
        for (size_t i = 0; i < n && self->done_count < TOP_MODEL_HISTORY; i++) {
            top_build_t *b = s_build_from(pk_value_list_at(recent, i));
            if (b) {
                self->done[self->done_count++] = b;
                top_model_count_finish(self, b->finished_ms);
            }
        }
    }
    self->stale = false;
    self->version++;
    return 0;
}

void
top_model_workers(top_model_t *self, const pk_value_t *list)
{
    if (pk_value_kind(list) != PK_V_LIST)
        return;
    s_workers_free(self);
    size_t n = pk_value_len(list);
    self->workers = calloc(n + 1, sizeof *self->workers);
    self->exclusive = calloc(n + 1, sizeof *self->exclusive);
    for (size_t i = 0; i < n; i++) {
        const pk_value_t *o = pk_value_list_at(list, i);
        if (!top_model_str(o, "name"))
            continue;
        top_worker_t *w = &self->workers[self->worker_count];
        self->exclusive[self->worker_count++] = top_model_bool(o, "exclusive");
        w->name = strdup(top_model_str(o, "name"));
        w->state = top_model_dup(top_model_str(o, "state"));
        w->slots = (uint32_t) top_model_int(o, "slots");
        w->busy = (uint32_t) top_model_int(o, "busy");
        w->heartbeat_age_ms = top_model_int(o, "heartbeat_age_ms");
        const pk_value_t *tags = pk_value_object_get(o, "tags");
        size_t len = 1;
        for (size_t t = 0; t < pk_value_len(tags); t++)
            len += pk_value_len(pk_value_list_at(tags, t)) + 1;
        w->tags = calloc(1, len);
        for (size_t t = 0; pk_value_kind(tags) == PK_V_LIST && t < pk_value_len(tags); t++) {
            const pk_value_t *tag = pk_value_list_at(tags, t);
            if (pk_value_kind(tag) != PK_V_STRING)
                continue;
            if (*w->tags)
                strcat(w->tags, ",");
            strcat(w->tags, pk_value_string(tag));
        }
    }
    self->version++;
}

// Does worker i offer every tag of a work?
static bool
s_worker_fits(top_model_t *self, size_t i, const pk_value_t *tags)
{
    const top_worker_t *w = &self->workers[i];
    if (w->state && !strcmp(w->state, "lost"))
        return false;
    if (self->exclusive[i] && pk_value_len(tags) == 0)
        return false;
    for (size_t t = 0; t < pk_value_len(tags); t++) {
        const char *tag = pk_value_string(pk_value_list_at(tags, t));
        size_t len = tag ? strlen(tag) : 0;
        bool has = false;
        for (const char *at = w->tags; tag && at && *at && !has; ) {
            const char *comma = strchr(at, ',');
            size_t n = comma ? (size_t) (comma - at) : strlen(at);
            has = n == len && !strncmp(at, tag, n);
            at = comma ? comma + 1 : NULL;
        }
        if (!has)
            return false;
    }
    return true;
}

void
top_model_pending(top_model_t *self, const pk_value_t *list)
{
    for (size_t i = 0; pk_value_kind(list) == PK_V_LIST && i < pk_value_len(list); i++) {
        const pk_value_t *o = pk_value_list_at(list, i);
        const char *id = top_model_str(o, "id");
        if (!id || strncmp(id, "build:", 6))
            continue;
        for (size_t k = 0; k < self->active_count; k++) {
            top_build_t *b = self->active[k];
            if (strcmp(b->status, "pending"))
                continue;               // started meanwhile
            size_t pl = strlen(b->pipeline), jl = strlen(b->job);
            const char *at = id + 6;
            if (strncmp(at, b->pipeline, pl) || at[pl] != '/' || strncmp(at + pl + 1, b->job, jl)
                || at[pl + 1 + jl] != '/'
                || strncmp(at + pl + 2 + jl, b->number, strlen(b->number))
                || (at[pl + 2 + jl + strlen(b->number)]       // "@life": a later life's
                    && at[pl + 2 + jl + strlen(b->number)] != '@'))
                continue;
            const pk_value_t *tags = pk_value_object_get(o, "tags");
            bool fits = false;
            for (size_t w = 0; w < self->worker_count && !fits; w++)
                fits = s_worker_fits(self, w, tags);
            char why[256] = "all matching workers are busy";
            if (!fits && pk_value_len(tags) == 0)
                snprintf(why, sizeof why, "no worker");
            else
            if (!fits) {
                snprintf(why, sizeof why, "no worker with tags");
                for (size_t t = 0; t < pk_value_len(tags); t++) {
                    const char *tag = pk_value_string(pk_value_list_at(tags, t));
                    size_t used = strlen(why);
                    snprintf(why + used, sizeof why - used, "%s%s", t ? "," : " ",
                             tag ? tag : "?");
                }
            }
            if (!b->wait || strcmp(b->wait, why)) {
                top_model_set_str(&b->wait, why);
                self->version++;
            }
            break;
        }
    }
}

// --- events

top_pipe_t *
top_model_pipe(top_model_t *self, const char *name)
{
    for (size_t i = 0; name && i < self->pipe_count; i++)
        if (!strcmp(self->pipes[i].name, name))
            return &self->pipes[i];
    return NULL;
}

bool
top_model_stale(top_model_t *self)
{
    return self->stale;
}

uint64_t
top_model_version(top_model_t *self)
{
    return self->version;
}

// --- the panels

void
top_model_set_filter(top_model_t *self, const char *pipeline)
{
    free(self->filter);
    self->filter = pipeline && *pipeline ? strdup(pipeline) : NULL;
    self->version++;
}

const char *
top_model_filter(top_model_t *self)
{
    return self->filter;
}

static void
s_rows_add(top_rows_t *rows, const void *item)
{
    if (rows->count == rows->cap) {
        rows->cap = rows->cap ? rows->cap * 2 : 64;
        rows->items = realloc(rows->items, rows->cap * sizeof *rows->items);
    }
    rows->items[rows->count++] = item;
}

static bool
s_shown(top_model_t *self, const char *pipeline)
{
    return !self->filter || !strcmp(self->filter, pipeline);
}

static void
s_rows_build(top_model_t *self)
{
    if (self->rows_version == self->version && self->version)
        return;
    self->run.count = self->queue.count = self->fin.count = 0;
    self->wrk.count = self->rsc.count = 0;
    for (size_t i = 0; i < self->active_count; i++) {
        const top_build_t *b = self->active[i];
        if (s_shown(self, b->pipeline))
            s_rows_add(!strcmp(b->status, "started") ? &self->run : &self->queue, b);
    }
    for (size_t i = 0; i < self->done_count; i++)
        if (s_shown(self, self->done[i]->pipeline))
            s_rows_add(&self->fin, self->done[i]);
    for (size_t i = 0; i < self->worker_count; i++)
        s_rows_add(&self->wrk, &self->workers[i]);
    for (size_t i = 0; i < self->res_count; i++)
        if (s_shown(self, self->res[i].pipeline))
            s_rows_add(&self->rsc, &self->res[i]);
    self->rows_version = self->version;
}

#define S_ROWS(fn, field, type) \
    size_t fn(top_model_t *self, const type *const **rows) \
    { \
        s_rows_build(self); \
        *rows = (const type *const *) self->field.items; \
        return self->field.count; \
    }
S_ROWS(top_model_running, run, top_build_t)
S_ROWS(top_model_queue, queue, top_build_t)
S_ROWS(top_model_finished, fin, top_build_t)
S_ROWS(top_model_worker_list, wrk, top_worker_t)
S_ROWS(top_model_resources, rsc, top_resource_t)

bool
top_model_pipeline_paused(top_model_t *self, const char *pipeline)
{
    top_pipe_t *p = top_model_pipe(self, pipeline);
    return p && p->paused;
}

bool
top_model_job_paused(top_model_t *self, const char *pipeline, const char *job)
{
    top_pipe_t *p = top_model_pipe(self, pipeline);
    for (size_t i = 0; p && job && i < p->job_count; i++)
        if (!strcmp(p->jobs[i], job))
            return p->jobs_paused[i];
    return false;
}

bool
top_model_active(top_model_t *self, const char *pipeline, const char *job, const char *number)
{
    uint64_t key = top_model_key(pipeline, job, number);
    for (size_t i = 0; i < self->active_count; i++)
        if (top_model_same(self->active[i], key, pipeline, job, number))
            return true;
    return false;
}

int64_t
top_model_server_ms(top_model_t *self, int64_t now_ms)
{
    return now_ms + self->skew_ms;
}

void
top_model_per_minute(top_model_t *self, int64_t now_ms, int *counts, int n)
{
    int64_t m = top_model_server_ms(self, now_ms) / 60000;
    if (n > TOP_MODEL_MINUTES)
        n = TOP_MODEL_MINUTES;
    for (int k = 0; k < n; k++) {
        int64_t want = m - (n - 1 - k);
        size_t i = (size_t) (((want % TOP_MODEL_MINUTES) + TOP_MODEL_MINUTES) % TOP_MODEL_MINUTES);
        counts[k] = self->minute[i] == want ? self->per_minute[i] : 0;
    }
}

double
top_model_rate(top_model_t *self, int64_t now_ms)
{
    int counts[5];
    top_model_per_minute(self, now_ms, counts, 5);
    int sum = 0;
    for (int k = 0; k < 5; k++)
        sum += counts[k];
    return sum / 5.0;
}
