// top_model_events: applying one event to the model. Each sets what the
// event says (never toggles), so an event the snapshot already reflects
// changes nothing; what an event cannot tell (a new build's wait, a
// started build's worker and step, a resource's next check) marks the model
// stale, and the feed then asks for a snapshot.
#include "top_model_internal.h"

// A build the model learns of from an event (the snapshot did not have it).
static top_build_t *
s_build_new(const char *p, const char *j, const char *n, uint64_t key, int64_t now)
{
    top_build_t *b = calloc(1, sizeof *b);
    b->pipeline = strdup(p);
    b->job = strdup(j);
    b->number = strdup(n);
    b->key = key;
    b->created_ms = now;
    return b;
}

static bool
s_on_build(top_model_t *self, const char *status, const pk_value_t *body, int64_t now_ms)
{
    const char *p = top_model_str(body, "pipeline"), *j = top_model_str(body, "job");
    const char *n = top_model_str(body, "number");
    if (top_model_str(body, "status"))
        status = top_model_str(body, "status");
    if (!p || !j || !n || !*status)
        return false;
    int64_t now = now_ms + self->skew_ms;
    uint64_t key = top_model_key(p, j, n);
    size_t i = 0;
    while (i < self->active_count && !top_model_same(self->active[i], key, p, j, n))
        i++;
    top_build_t *b = i < self->active_count ? self->active[i] : NULL;
    if (top_status_done(status)) {
        for (size_t k = 0; k < self->done_count; k++)
            if (top_model_same(self->done[k], key, p, j, n))
                return false;           // the snapshot had it already
        if (b) {
            memmove(self->active + i, self->active + i + 1,
                    (self->active_count - i - 1) * sizeof *self->active);
            self->active_count--;
        }
        else
            b = s_build_new(p, j, n, key, now);
        top_model_set_str(&b->status, status);
        top_model_set_str(&b->reason, top_model_str(body, "reason"));
        top_model_set_str(&b->wait, NULL);
        top_model_set_str(&b->step, NULL);
        b->finished_ms = now;
        top_model_done_push(self, b);
        top_model_count_finish(self, now);
        return true;
    }
    if (!b) {
        for (size_t k = 0; k < self->done_count; k++)
            if (top_model_same(self->done[k], key, p, j, n))
                return false;           // a late event of a finished build
        if (self->active_count == self->active_cap) {
            self->active_cap = self->active_cap ? self->active_cap * 2 : 16;
            self->active = realloc(self->active, self->active_cap * sizeof *self->active);
        }
        b = s_build_new(p, j, n, key, now);
        self->active[self->active_count++] = b;
        self->stale = true;             // why it waits: the next snapshot says
    }
    else
    if (b->status && !strcmp(b->status, status) && !pk_value_object_get(body, "approvals"))
        return false;
    top_model_set_str(&b->status, status);
    top_model_set_str(&b->reason, top_model_str(body, "reason"));
    if (!strcmp(status, "started")) {
        if (!b->started_ms)
            b->started_ms = now;
        top_model_set_str(&b->wait, NULL);
        self->stale = true;             // its worker and step
    }
    else
    if (!strcmp(status, "waiting_for_approval"))
        top_model_set_str(&b->wait, "approval");
    return true;
}

static bool
s_on_worker(top_model_t *self, const pk_value_t *body)
{
    const char *name = top_model_str(body, "name");
    if (!name)
        return false;
    size_t i = 0;
    while (i < self->worker_count && strcmp(self->workers[i].name, name))
        i++;
    if (i == self->worker_count) {
        self->workers = realloc(self->workers, (i + 1) * sizeof *self->workers);
        self->exclusive = realloc(self->exclusive, (i + 1) * sizeof *self->exclusive);
        memset(&self->workers[i], 0, sizeof self->workers[i]);
        self->exclusive[i] = false;
        self->workers[i].name = strdup(name);
        self->workers[i].tags = strdup("");
        self->worker_count++;
        self->stale = true;             // its tags: the next workers list
    }
    top_worker_t *w = &self->workers[i];
    top_model_set_str(&w->state, top_model_str(body, "state"));
    w->slots = (uint32_t) top_model_int(body, "slots");
    w->busy = (uint32_t) top_model_int(body, "busy");
    w->heartbeat_age_ms = 0;
    return true;
}

static bool
s_on_resource(top_model_t *self, const char *what, const pk_value_t *body, int64_t now_ms)
{
    const char *p = top_model_str(body, "pipeline"), *name = top_model_str(body, "resource");
    top_resource_t *r = NULL;
    for (size_t i = 0; p && name && i < self->res_count && !r; i++)
        if (!strcmp(self->res[i].pipeline, p) && !strcmp(self->res[i].name, name))
            r = &self->res[i];
    if (!r)
        return false;
    self->stale = true;                 // its next check
    if (!strcmp(what, "checked")) {
        int64_t at = top_model_int(body, "checked_ms");
        r->last_check_ms = at > 0 ? at : now_ms + self->skew_ms;
        const char *error = top_model_bool(body, "ok") ? NULL : top_model_str(body, "error");
        top_model_set_str(&r->error, error);
    }
    else
    if (!strcmp(what, "versions")) {
        r->last_check_ms = now_ms + self->skew_ms;
        top_model_set_str(&r->error, NULL);
    }
    else
    if (!strcmp(what, "pinned") || !strcmp(what, "unpinned")) {
        const char *v = top_model_str(body, "version");
        r->pinned = !strcmp(what, "pinned") && v ? strtoull(v, NULL, 10) : 0;
    }
    else
        return false;
    return true;
}

static bool
s_on_pause(top_model_t *self, bool job, bool paused, const pk_value_t *body)
{
    top_pipe_t *p = top_model_pipe(self, top_model_str(body, "pipeline"));
    if (!p)
        return false;
    if (!job) {
        p->paused = paused;
        return true;
    }
    const char *name = top_model_str(body, "job");
    for (size_t i = 0; name && i < p->job_count; i++)
        if (!strcmp(p->jobs[i], name)) {
            p->jobs_paused[i] = paused;
            return true;
        }
    return false;
}

bool
top_model_event(top_model_t *self, const char *topic, const pk_value_t *body, int64_t now_ms)
{
    bool changed = false;
    if (!topic || pk_value_kind(body) != PK_V_OBJECT)
        return false;
    if (!strncmp(topic, "build.", 6))
        changed = s_on_build(self, topic + 6, body, now_ms);
    else
    if (!strncmp(topic, "worker.", 7))
        changed = s_on_worker(self, body);
    else
    if (!strncmp(topic, "resource.", 9))
        changed = s_on_resource(self, topic + 9, body, now_ms);
    else
    if (!strcmp(topic, "pipeline.paused") || !strcmp(topic, "pipeline.unpaused"))
        changed = s_on_pause(self, false, !strcmp(topic, "pipeline.paused"), body);
    else
    if (!strcmp(topic, "job.paused") || !strcmp(topic, "job.unpaused"))
        changed = s_on_pause(self, true, !strcmp(topic, "job.paused"), body);
    else
    if (!strcmp(topic, "pipeline.set") || !strcmp(topic, "pipeline.removed"))
        self->stale = true;
    if (changed)
        self->version++;
    return changed;
}

