// checker_pipes: the resources checked, as the scheduler sets them, one
// pipeline at a time. Each pipeline has its own zhash (canonical ->
// checker_res_t) so that pipeline.set builds the new set beside the old:
// a resource set again moves over with its timer, version and check in
// flight, and whatever stays behind in the old set is what was dropped.
// Plans are packed here, once per set, so that firing a check packs nothing.
#include "checker_internal.h"
#include "pk_plan.h"
#include "pk_suggest.h"
#include "pk_value_msgpack.h"

#define S_TIMEOUT_MAX_MS (366LL * 24 * 3600 * 1000)
#define S_DEFAULT_INTERVAL "@every 1m"

// --- lookups

checker_res_t *
checker_lookup(checker_t *self, const char *pipeline, const char *canonical)
{
    zhash_t *set = zhash_lookup(self->pipelines, pipeline);
    return set ? zhash_lookup(set, canonical) : NULL;
}

// Why pipeline/resource cannot be checked now, with a "did you mean" among
// the resources it does check (caller frees).
char *
checker_not_checked(checker_t *self, const char *pipeline, const char *resource)
{
    zhash_t *set = pipeline ? zhash_lookup(self->pipelines, pipeline) : NULL;
    char *msg = NULL;
    if (!pipeline || !resource)
        msg = strdup("check.now needs a pipeline and a resource");
    else
    if (!set && asprintf(&msg, "pipeline \"%s\" has no checked resources", pipeline) < 0)
        msg = NULL;
    else
    if (set) {
        zlist_t *keys = zhash_keys(set);
        const char **cands = calloc(zlist_size(keys) + 1, sizeof *cands);
        size_t n = 0;
        for (const char *k = zlist_first(keys); k; k = zlist_next(keys))
            cands[n++] = k;
        const char *near = pk_suggest(resource, cands);
        if (asprintf(&msg, "resource \"%s\" of pipeline \"%s\" is not checked (no job gets "
                     "it)%s%s%s", resource, pipeline, near ? " (did you mean \"" : "",
                     near ? near : "", near ? "\"?)" : "") < 0)
            msg = NULL;
        free(cands);
        zlist_destroy(&keys);
    }
    return msg;
}

// --- the set of checked resources

void
checker_res_destroy(checker_res_t **r_p)
{
    checker_res_t *r = *r_p;
    if (!r)
        return;
    free(r->pipeline);
    free(r->canonical);
    free(r->interval);
    pk_cron_destroy(&r->cron);
    for (size_t i = 0; i < r->tags.count; i++)
        free(r->tags.items[i]);
    free(r->tags.items);
    free(r->plan);
    free(r->version);
    free(r);
    *r_p = NULL;
}

// Unschedule (cancelling a check in flight) and free.
static void
s_res_drop(checker_t *self, checker_res_t *r)
{
    if (r->seq) {
        checker_cancel(self, r, "resource no longer checked");
        self->inflight--;
    }
    checker_heap_remove(self, r);
    checker_res_destroy(&r);
}

static void
s_pipeline_free(void *item)
{
    zhash_t *set = item;
    zhash_destroy(&set);
}

// The plan packed without "version" and with a timeout; -1 if not an object.
static int
s_set_plan(checker_t *self, checker_res_t *r, const pk_value_t *plan)
{
    if (pk_value_kind(plan) != PK_V_OBJECT)
        return -1;
    pk_value_t *copy = pk_value_new_object();
    for (size_t i = 0; i < pk_value_len(plan); i++)
        if (strcmp(pk_value_object_key(plan, i), "version"))
            pk_value_object_set(copy, pk_value_object_key(plan, i),
                                pk_value_dup(pk_value_object_at(plan, i)));
    const pk_value_t *t = pk_value_object_get(copy, "timeout_ms");
    double ms = t && pk_value_kind(t) == PK_V_NUMBER ? pk_value_number(t) : 0;
    if (!(ms >= 1))
        ms = (double) self->check_timeout_ms;
    r->timeout_ms = ms < S_TIMEOUT_MAX_MS ? (int64_t) ms : S_TIMEOUT_MAX_MS;
    pk_value_object_set(copy, "timeout_ms", pk_value_new_number((double) r->timeout_ms));
    free(r->plan);
    pk_value_pack_bytes(copy, &r->plan, &r->plan_size);
    // msgpack's map header: fixmap, map16 or map32 by the entry count
    r->plan_n = (uint32_t) pk_value_len(copy);
    r->plan_hdr = r->plan_n < 16 ? 1 : r->plan_n < 65536 ? 3 : 5;
    pk_value_destroy(&copy);
    return 0;
}

static void
s_set_tags(checker_res_t *r, const pk_value_t *tags)
{
    for (size_t i = 0; i < r->tags.count; i++)
        free(r->tags.items[i]);
    free(r->tags.items);
    memset(&r->tags, 0, sizeof r->tags);
    for (size_t i = 0; pk_value_kind(tags) == PK_V_LIST && i < pk_value_len(tags); i++) {
        const pk_value_t *t = pk_value_list_at(tags, i);
        if (pk_value_kind(t) == PK_V_STRING)
            pk_strs_push(&r->tags, pk_value_string(t));
    }
}

// A new resource: its current version and stored next check (read in txn),
// then its timer.
static void
s_res_start(checker_t *self, pk_store_txn_t *txn, checker_res_t *r, int64_t now)
{
    pk_resource_state_t st;
    int64_t stored_next = 0;
    if (txn && pk_versions_state(self->versions, txn, r->pipeline, r->canonical, &st) == 0) {
        stored_next = st.next_check_ms;
        pk_version_t v;
        if (st.current_id && pk_versions_get(self->versions, txn, r->pipeline, r->canonical,
                                             st.current_id, &v) == 0) {
            r->version = v.data;
            r->version_size = v.size;
        }
        pk_resource_state_clear(&st);
    }
    checker_schedule(self, r, checker_first_due(self, r, now, stored_next));
}

// Detach r from a pipeline's set without freeing it.
static void
s_detach(zhash_t *set, const char *canonical)
{
    zhash_freefn(set, canonical, NULL);
    zhash_delete(set, canonical);
}

static void
s_drop_all(checker_t *self, zhash_t *set)
{
    for (checker_res_t *r = zhash_first(set); r; r = zhash_next(set))
        s_res_drop(self, r);
}

void
checker_pipeline_set(checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    pk_value_t *list = m->signal.body.data
                     ? pk_value_unpack(m->signal.body.data, m->signal.body.size) : NULL;
    if (!pipeline || !*pipeline || strchr(pipeline, '/') || pk_value_kind(list) != PK_V_LIST) {
        zsys_warning("%s: pipeline.set without a pipeline name or a list of resources", self->name);
        self->ignored++;
        pk_value_destroy(&list);
        return;
    }
    zhash_t *old = zhash_lookup(self->pipelines, pipeline);
    zhash_t *set = zhash_new();
    int64_t now = zclock_mono();
    // one snapshot for every new resource's stored state
    pk_store_txn_t *txn = pk_store_begin(pk_versions_store(self->versions), false);
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *e = pk_value_list_at(list, i);
        const char *canonical = pk_plan_str(e, "canonical", NULL);
        const char *interval = pk_plan_str(e, "check_interval", S_DEFAULT_INTERVAL);
        const pk_value_t *plan = pk_plan_object(e, "plan");
        if (!canonical || !*canonical || strchr(canonical, '/') || !plan
            || zhash_lookup(set, canonical)) {
            zsys_warning("%s: pipeline %s: resource %zu has no canonical name or plan, "
                         "or comes twice", self->name, pipeline, i);
            self->ignored++;
            continue;
        }
        checker_res_t *r = old ? zhash_lookup(old, canonical) : NULL;
        bool fresh = !r;
        if (r)
            s_detach(old, canonical);
        else {
            r = calloc(1, sizeof(*r));
            r->pipeline = strdup(pipeline);
            r->canonical = strdup(canonical);
            r->heap_at = CHECKER_NOT_IN_HEAP;
        }
        bool changed = !r->interval || strcmp(r->interval, interval);
        char *err = NULL;
        if (changed && checker_set_interval(self, r, interval, &err) != 0) {
            zsys_warning("%s: %s/%s: %s", self->name, pipeline, canonical, err);
            free(err);
            self->ignored++;
            changed = false;
            if (fresh) {
                checker_res_destroy(&r);
                continue;
            }
        }
        s_set_plan(self, r, plan);
        s_set_tags(r, pk_plan_list(e, "tags"));
        zhash_insert(set, canonical, r);
        if (fresh)
            s_res_start(self, txn, r, now);
        else
        if (changed && !r->seq)
            checker_schedule(self, r, checker_first_due(self, r, now, 0));
        else
        if (changed)
            r->next_due = checker_next_due(r, now, now);
    }
    pk_store_abort(&txn);
    if (old)
        s_drop_all(self, old);
    zhash_update(self->pipelines, pipeline, set);
    zhash_freefn(self->pipelines, pipeline, s_pipeline_free);
    pk_value_destroy(&list);
    checker_webhooks_ensure(self, pipeline, set);
}

void
checker_pipeline_remove(checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *purge = pk_kv_get(&m->signal.args, "purge");
    zhash_t *set = pipeline ? zhash_lookup(self->pipelines, pipeline) : NULL;
    if (set) {
        s_drop_all(self, set);
        zhash_delete(self->pipelines, pipeline);
    }
    if (pipeline && purge && !strcmp(purge, "true")
        && (pk_versions_purge(self->versions, pipeline, NULL) != 0
            || pk_webhooks_purge(self->webhooks, pipeline) != 0))
        zsys_error("%s: cannot purge pipeline %s: %s", self->name, pipeline, pk_store_error());
}
