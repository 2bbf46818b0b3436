// checker_webhooks: the webhook tokens (store/pk_webhooks.h) and counters
// for the http face. The tokens are kept by the checker, not by http,
// because a token is good only while its resource is checked and only the
// checker knows which are: it makes them at pipeline.set, purges them with
// the pipeline and will not resolve one whose resource went away. The http
// actor's questions come through control (a ref, answered by a reply), the
// counters for /metrics too ("stats").
#include "checker_internal.h"

// Every resource of a pipeline set has a token from the moment it is
// checked; a resource set again keeps its token (even after a restart).
void
checker_webhooks_ensure(checker_t *self, const char *pipeline, zhash_t *set)
{
    zlist_t *keys = zhash_keys(set);
    const char **names = calloc(zlist_size(keys) + 1, sizeof *names);
    size_t n = 0;
    for (const char *k = zlist_first(keys); k; k = zlist_next(keys))
        names[n++] = k;
    if (pk_webhooks_ensure(self->webhooks, pipeline, names, n) < 0)
        zsys_error("%s: cannot store the webhook tokens of %s: %s", self->name, pipeline,
                   pk_store_error());
    free(names);
    zlist_destroy(&keys);
}

// webhook.tokens {pipeline} -> {resource: token}; webhook.regenerate
// {pipeline, resource} -> {pipeline, resource, token}; webhook.resolve
// {token} -> {pipeline, resource} (refused alike for a token that is
// unknown, malformed or of a resource no longer checked); stats -> the
// STATS counters and lag_ms, how late the most overdue check is.
void
checker_on_webhook(checker_t *self, pk_msg_t *m)
{
    const char *what = m->signal.what;
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    pk_value_t *body = pk_value_new_object();
    char *error = NULL, *token = NULL, *p = NULL, *r = NULL;
    if (!strcmp(what, "stats")) {
        int64_t now = zclock_mono(), lag = 0;
        if (self->heap_n && !self->heap[0].res->seq && self->heap[0].due < now)
            lag = now - self->heap[0].due;
        const char *keys[] = { "scheduled", "inflight", "checks", "failures", "new_versions",
                               "ignored", "lag_ms" };
        double vals[] = { (double) self->heap_n, (double) self->inflight, (double) self->checks,
                          (double) self->failures, (double) self->news, (double) self->ignored,
                          (double) lag };
        for (size_t i = 0; i < sizeof vals / sizeof *vals; i++)
            pk_value_object_set(body, keys[i], pk_value_new_number(vals[i]));
    }
    else
    if (!strcmp(what, "webhook.tokens")) {
        zhash_t *set = pipeline ? zhash_lookup(self->pipelines, pipeline) : NULL;
        for (checker_res_t *res = set ? zhash_first(set) : NULL; res; res = zhash_next(set))
            if (pk_webhooks_get(self->webhooks, pipeline, res->canonical, &token) == 0) {
                pk_value_object_set(body, res->canonical, pk_value_new_string(token));
                zstr_free(&token);
            }
    }
    else
    if (!strcmp(what, "webhook.regenerate")) {
        if (!pipeline || !resource || !checker_lookup(self, pipeline, resource))
            error = checker_not_checked(self, pipeline, resource);
        else
        if (pk_webhooks_regenerate(self->webhooks, pipeline, resource, &token) != 0)
            error = strdup("cannot store the new webhook token");
        else {
            zsys_info("%s: %s/%s: new webhook token", self->name, pipeline, resource);
            pk_value_object_set(body, "pipeline", pk_value_new_string(pipeline));
            pk_value_object_set(body, "resource", pk_value_new_string(resource));
            pk_value_object_set(body, "token", pk_value_new_string(token));
        }
    }
    else
    if (!strcmp(what, "webhook.resolve")) {
        const char *t = pk_kv_get(&m->signal.args, "token");
        if (pk_webhooks_find(self->webhooks, t, &p, &r) != 0 || !checker_lookup(self, p, r))
            error = strdup("unknown webhook token");
        else {
            pk_value_object_set(body, "pipeline", pk_value_new_string(p));
            pk_value_object_set(body, "resource", pk_value_new_string(r));
        }
    }
    else {
        zsys_warning("%s: unknown signal \"%s\"", self->name, what);
        self->ignored++;
        error = strdup("unknown webhook operation");
    }
    checker_reply_control(self, m, error ? error : NULL, error ? NULL : body);
    free(error);
    free(token);
    free(p);
    free(r);
    pk_value_destroy(&body);
}
