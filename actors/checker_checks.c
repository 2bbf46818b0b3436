// checker_checks: a check's round trip. It goes out as WORK (the plan was
// packed at pipeline.set; only the current version is appended), comes back
// as VERSIONS or is given up on, and joins the batch that checker_flush
// stores in one write transaction (why batches: checker.c). Only after the
// commit are the bus and the scheduler told, so nothing is announced that a
// crash could take back.
#include "checker_internal.h"
#include "pk_duration.h"

// Answers share a commit: at most one per flush_ms (CHECKER_FLUSH_MS). An
// answer to a checker that has not stored anything for flush_ms is stored
// at once (with what else is already queued on the socket): a lone `check`
// does not wait for company that a busy checker would have anyway.
#define S_REQUEUE_MS 1000       // a check its worker took down is checked again after this

// --- firing

static void
s_pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

static char *
s_work_id(const checker_res_t *r, uint64_t seq)
{
    size_t len = strlen(r->pipeline) + strlen(r->canonical) + 32;
    char *id = malloc(len);
    snprintf(id, len, "check:%s/%s:%" PRIu64, r->pipeline, r->canonical, seq);
    return id;
}

void
checker_cancel(checker_t *self, checker_res_t *r, const char *reason)
{
    char *id = s_work_id(r, r->seq);
    pk_msg_t m = { .type = PK_MSG_CANCEL };
    m.cancel.id = id;
    m.cancel.attempt = 1;
    m.cancel.reason = (char *) reason;
    checker_send(self, &m);
    free(id);
}

// Send r's check now.
void
checker_fire(checker_t *self, checker_res_t *r, int64_t now)
{
    int64_t base = r->manual ? now : r->due;
    r->manual = false;
    r->seq = ++self->seq;
    r->next_due = checker_next_due(r, base, now);
    self->inflight++;
    // the plan plus "version": one more map entry, appended after the others
    msgpack_sbuffer_clear(&self->scratch);
    const uint8_t *plan = r->plan;
    size_t plan_size = r->plan_size;
    if (r->version) {
        msgpack_packer pk;
        msgpack_packer_init(&pk, &self->scratch, msgpack_sbuffer_write);
        msgpack_pack_map(&pk, r->plan_n + 1);
        msgpack_sbuffer_write(&self->scratch, (const char *) r->plan + r->plan_hdr,
                              r->plan_size - r->plan_hdr);
        s_pack_str(&pk, "version");
        msgpack_sbuffer_write(&self->scratch, (const char *) r->version, r->version_size);
        plan = (const uint8_t *) self->scratch.data;
        plan_size = self->scratch.size;
    }
    char *id = s_work_id(r, r->seq);
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = id;
    m.work.attempt = 1;
    m.work.kind = "check";
    m.work.tags = r->tags;
    m.work.timeout_ms = (uint64_t) r->timeout_ms;
    m.work.plan.data = (uint8_t *) plan;
    m.work.plan.size = plan_size;
    checker_send(self, &m);
    free(id);
    checker_schedule(self, r, now + r->timeout_ms + self->grace_ms);
}

void
checker_check_now(checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    checker_res_t *r = pipeline && resource ? checker_lookup(self, pipeline, resource) : NULL;
    if (!r) {
        zsys_warning("%s: check.now: %s/%s is not checked", self->name,
                     pipeline ? pipeline : "?", resource ? resource : "?");
        self->ignored++;
        char *why = checker_not_checked(self, pipeline, resource);
        checker_reply_control(self, m, why ? why : "not checked", NULL);
        free(why);
        return;
    }
    checker_reply_control(self, m, NULL, NULL);
    if (r->seq)
        r->again = true;
    else {
        r->manual = true;
        checker_fire(self, r, zclock_mono());
    }
}

// --- results

// The check ended (answered, or given up on): free the slot, plan the next.
static void
s_landed(checker_t *self, checker_res_t *r, int64_t now)
{
    r->seq = 0;
    self->inflight--;
    self->checks++;
    if (r->again) {
        r->again = false;
        r->manual = true;
        checker_schedule(self, r, now); // fired right after the batch is stored
    }
    else
        checker_schedule(self, r, r->next_due > now ? r->next_due : now);
}

static checker_item_t *
s_batch_add(checker_t *self, checker_res_t *r)
{
    if (!self->batch_n) {
        int64_t now = zclock_mono(), next = self->flushed_at + self->flush_ms;
        self->flush_at = next > now ? next : now;
    }
    r->pending = true;
    checker_item_t *it = &self->batch[self->batch_n++];
    memset(it, 0, sizeof(*it));
    it->res = r;
    it->r.pipeline = r->pipeline;
    it->r.resource = r->canonical;
    it->r.checked_ms = zclock_time();
    return it;
}

static void
s_event(checker_t *self, const char *topic, const checker_res_t *r, const char *error, bool ok,
        uint64_t first, uint64_t last)
{
    msgpack_sbuffer_clear(&self->scratch);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &self->scratch, msgpack_sbuffer_write);
    bool checked = !strcmp(topic, "resource.checked");
    msgpack_pack_map(&pk, checked ? (error ? 5 : 4) : 4);
    s_pack_str(&pk, "pipeline");
    s_pack_str(&pk, r->pipeline);
    s_pack_str(&pk, "resource");
    s_pack_str(&pk, r->canonical);
    if (checked) {
        s_pack_str(&pk, "ok");
        ok ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
        s_pack_str(&pk, "checked_ms");
        msgpack_pack_int64(&pk, zclock_time());
        if (error) {
            s_pack_str(&pk, "error");
            s_pack_str(&pk, error);
        }
    }
    else {
        s_pack_str(&pk, "first_id");
        msgpack_pack_uint64(&pk, first);
        s_pack_str(&pk, "last_id");
        msgpack_pack_uint64(&pk, last);
    }
    pk_msg_t m = { .type = PK_MSG_EVENT };
    m.event.topic = (char *) topic;
    m.event.body.data = (uint8_t *) self->scratch.data;
    m.event.body.size = self->scratch.size;
    checker_send(self, &m);
}

void
checker_flush(checker_t *self)
{
    if (!self->batch_n)
        return;
    int64_t now = zclock_mono(), wall = zclock_time();
    pk_check_result_t results[CHECKER_BATCH_MAX];
    for (size_t i = 0; i < self->batch_n; i++) {
        checker_item_t *it = &self->batch[i];
        checker_res_t *r = it->res;
        int64_t due = r->due == INT64_MAX ? 0 : wall + (r->due - now);
        it->r.next_check_ms = due > 0 ? due : 0;
        results[i] = it->r;
    }
    bool stored = pk_versions_record(self->versions, results, self->batch_n) == 0;
    if (!stored)
        zsys_error("%s: cannot store %zu check results: %s", self->name, self->batch_n,
                   pk_store_error());
    for (size_t i = 0; i < self->batch_n; i++) {
        checker_item_t *it = &self->batch[i];
        pk_check_result_t *res = &results[i];
        checker_res_t *r = it->res;
        r->pending = false;
        const char *error = res->rejected[0] ? res->rejected : it->r.error;
        if (error)
            self->failures++;
        if (stored) {
            if (res->current.id) {
                free(r->version);
                r->version = res->current.data;
                r->version_size = res->current.size;
                res->current.data = NULL;
            }
            if (error)
                s_event(self, "resource.checked", r, error, false, 0, 0);
            else
            if (res->error_cleared)
                s_event(self, "resource.checked", r, NULL, true, 0, 0);
            if (res->first_new) {
                self->news += res->last_new - res->first_new + 1;
                s_event(self, "resource.versions", r, NULL, true, res->first_new, res->last_new);
                checker_signal_scheduler(self, "versions.new", r, res->first_new, res->last_new);
            }
        }
        pk_version_clear(&res->current);
        if (it->has_msg)
            pk_msg_clear(&it->msg);
        free(it->error);
        // a check asked for while this one ran goes now, ahead of the backlog
        if (r->manual && r->seq == 0 && r->due <= now)
            checker_fire(self, r, now);
    }
    self->batch_n = 0;
    self->flushed_at = now;
}

// Work ids are "check:<pipeline>/<canonical>:<seq>"; canonical has no '/'.
static checker_res_t *
s_res_of_id(checker_t *self, const char *id, uint64_t *seq_out)
{
    if (strncmp(id, "check:", 6))
        return NULL;
    const char *colon = strrchr(id, ':');
    char *end;
    uint64_t seq = strtoull(colon + 1, &end, 10);
    if (colon < id + 6 || *end || !seq)
        return NULL;
    char *key = strndup(id + 6, (size_t) (colon - id - 6));
    char *slash = strrchr(key, '/');
    checker_res_t *r = NULL;
    if (slash) {
        *slash = 0;
        r = checker_lookup(self, key, slash + 1);
    }
    free(key);
    *seq_out = seq;
    return r;
}

void
checker_on_versions(checker_t *self, pk_msg_t *m)
{
    uint64_t seq = 0;
    checker_res_t *r = s_res_of_id(self, m->versions.id, &seq);
    if (!r || r->seq != seq || m->versions.attempt != 1) {
        self->ignored++;            // stale, or a resource no longer checked
        pk_msg_clear(m);
        return;
    }
    int64_t now = zclock_mono();
    s_landed(self, r, now);
    // the broker's answer, not a runner's: the check never ran to the end
    // (its worker was lost). Recorded like any failure, and checked again
    // soon rather than an interval later.
    if (m->versions.error && m->versions.resource && !*m->versions.resource
        && r->due > now + S_REQUEUE_MS)
        checker_schedule(self, r, now + S_REQUEUE_MS);
    checker_item_t *it = s_batch_add(self, r);
    it->msg = *m;
    it->has_msg = true;
    it->r.versions = it->msg.versions.versions.data;
    it->r.versions_size = it->msg.versions.versions.size;
    it->r.error = it->msg.versions.error;
    it->r.output = it->msg.versions.output;
    if (self->batch_n == CHECKER_BATCH_MAX)
        checker_flush(self);
}

// r's check has not been answered within its timeout and grace.
void
checker_give_up(checker_t *self, checker_res_t *r, int64_t now)
{
    checker_cancel(self, r, "no answer in time");
    char *d = pk_duration_format(r->timeout_ms + self->grace_ms);
    char buf[128];
    snprintf(buf, sizeof buf, "no answer to the check within %s", d ? d : "?");
    free(d);
    s_landed(self, r, now);
    checker_item_t *it = s_batch_add(self, r);
    it->error = strdup(buf);
    it->r.error = it->error;
    if (self->batch_n == CHECKER_BATCH_MAX)
        checker_flush(self);
}
