// pipeline_resources: the two instance blocks that take (type, name) labels,
// `resource` and `notification`. Both are canonically named "type.name";
// their `params {}` become an object handed to the type's commands as
// $param_*. References to types and jobs are checked later, in
// pipeline_validate.c, once every block is known.
#include "pipeline_internal.h"
#include "pk_cron.h"
#include "pk_suggest.h"
#include <stdlib.h>
#include <string.h>

#define S_MIN_CHECK_INTERVAL_MS 10000

static const char *const s_res_attrs[] = {
    "check_interval", "tags", "cache", "webhook_secret", NULL
};
static const pk_block_spec_t s_params_blocks[] = {
    { "params", 0, 0, NULL }, { NULL, 0, 0, NULL }
};
static const pk_block_spec_t s_no_blocks[] = { { NULL, 0, 0, NULL } };
static const char *const s_notif_attrs[] = { "message", "on", "jobs", "exclude", NULL };
static const char *const s_on_values[] = { "success", "failure", "cancel", "all", NULL };

// The `params {}` block(s) of body as one object (empty when none).
static pk_value_t *
s_params(pk_dec_t *d, const pk_hcl_block_t *owner)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(owner);
    pk_value_t *params = NULL;
    for (size_t i = 0; i < pk_hcl_body_block_count(body); i++) {
        const pk_hcl_block_t *pb = pk_hcl_body_block(body, i);
        if (!pk_dec_block_spec(s_params_blocks, pb))
            continue;
        if (params) {
            pk_diags_error(d->diags, pk_hcl_block_type_range(pb), "duplicate params block in %s",
                           pk_hcl_block_type(owner));
            continue;
        }
        char *where = pk_dec_where(owner);
        char *in = pk_dec_fmt("the params of %s", where ? where : "?");
        pk_dec_check_body(d, pk_hcl_block_body(pb), in, NULL, s_no_blocks);
        free(in);
        free(where);
        params = pk_dec_attrs_object(d, pk_hcl_block_body(pb), NULL, false);
    }
    return params ? params : pk_value_new_object();
}

static void
s_check_interval(pk_dec_t *d, pk_resource_t *r, const pk_hcl_body_t *body)
{
    int rc = pk_dec_string(d, body, "check_interval", &r->check_interval);
    if (rc <= 0) {
        if (!r->check_interval)
            r->check_interval = strdup("@every 1m");
        return;
    }
    const pk_hcl_attr_t *a = pk_hcl_body_attr_find(body, "check_interval");
    pk_range_t range = pk_hcl_expr_range(pk_hcl_attr_expr(a));
    char *err = NULL;
    pk_cron_t *cron = pk_cron_new(r->check_interval, &err);
    if (!cron) {
        // pk_cron's message quotes the expression itself
        pk_diags_error(d->diags, range, "invalid check_interval: %s",
                       err ? err : "not a cron expression or @every duration");
        free(err);
        return;
    }
    int64_t min = pk_cron_min_interval_ms(cron);
    if (min < S_MIN_CHECK_INTERVAL_MS)
        pk_diags_error(d->diags, range, "check_interval \"%s\" is shorter than the minimum of 10s",
                       r->check_interval);
    pk_cron_destroy(&cron);
}

void
pk_dec_resource(pk_dec_t *d, const pk_hcl_block_t *b)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *canonical = pk_dec_fmt("%s.%s", pk_hcl_block_label(b, 0), pk_hcl_block_label(b, 1));
    if (!canonical)
        return;
    const pk_resource_t *prev = pk_pipeline_resource(d->p, canonical);
    if (prev) {
        pk_diags_error(d->diags, pk_hcl_block_label_range(b, 1),
                       "duplicate resource \"%s\" (first defined at line %d)", canonical,
                       prev->range.start.line);
        free(canonical);
        return;
    }
    char *where = pk_dec_where(b);
    pk_dec_check_body(d, body, where, s_res_attrs, s_params_blocks);
    free(where);
    pk_dec_check_name(d, "resource name", pk_hcl_block_label(b, 1), pk_hcl_block_label_range(b, 1));
    pk_resource_t *r = calloc(1, sizeof *r);
    if (!r || pk_dec_push((void ***) &d->p->resources, &d->p->resource_count, r)) {
        free(r);
        free(canonical);
        return;
    }
    r->canonical = canonical;
    r->type = strdup(pk_hcl_block_label(b, 0));
    r->name = strdup(pk_hcl_block_label(b, 1));
    r->range = pk_hcl_block_range(b);
    r->type_range = pk_hcl_block_label_range(b, 0);
    r->cache = -1;
    bool cache;
    if (pk_dec_bool(d, body, "cache", &cache) > 0)
        r->cache = cache;
    pk_dec_strlist(d, body, "tags", &r->tags);
    char *owner = pk_dec_fmt("resource \"%s\"", canonical);
    pk_dec_check_tags(d, owner ? owner : "resource", &r->tags);
    free(owner);
    pk_dec_string(d, body, "webhook_secret", &r->webhook_secret);
    // Secrets resolve only on a runner, while the http face checks
    // signatures: it would compare against the placeholder itself.
    if (r->webhook_secret && strstr(r->webhook_secret, "((pikoci_secret:"))
        pk_diags_error(d->diags, pk_hcl_attr_range(pk_hcl_body_attr_find(body, "webhook_secret")),
                       "webhook_secret cannot come from a secret-backed variable (secrets "
                       "resolve on runners; the server checks signatures): give its value "
                       "with --var or --vars when setting the pipeline");
    s_check_interval(d, r, body);
    r->params = s_params(d, b);
}

static void
s_on(pk_dec_t *d, pk_notification_t *n, const pk_hcl_body_t *body)
{
    pk_strlist_t on = { 0 };
    if (pk_dec_strlist(d, body, "on", &on) <= 0)
        return;
    for (size_t i = 0; i < on.count; i++) {
        const char *v = on.items[i];
        int bit = !strcmp(v, "success") ? PK_NOTIFY_ON_SUCCESS
                : !strcmp(v, "failure") ? PK_NOTIFY_ON_FAILURE
                : !strcmp(v, "cancel") ? PK_NOTIFY_ON_CANCEL
                : !strcmp(v, "all") ? -1 : 0;
        const char *hint = bit ? NULL : pk_suggest(v, s_on_values);
        if (bit == -1 && on.count > 1)
            pk_diags_error(d->diags, on.range, "\"all\" cannot be combined with other values in "
                           "\"on\"");
        else if (bit == -1)
            n->on = PK_NOTIFY_ON_SUCCESS | PK_NOTIFY_ON_FAILURE | PK_NOTIFY_ON_CANCEL;
        else if (bit)
            n->on |= bit;
        else if (hint)
            pk_diags_error(d->diags, on.range, "unknown value \"%s\" in \"on\"; did you mean "
                           "\"%s\"?", v, hint);
        else
            pk_diags_error(d->diags, on.range, "unknown value \"%s\" in \"on\"; use success, "
                           "failure, cancel or all", v);
    }
    pk_strlist_clear(&on);
}

void
pk_dec_notification(pk_dec_t *d, const pk_hcl_block_t *b)
{
    const pk_hcl_body_t *body = pk_hcl_block_body(b);
    char *canonical = pk_dec_fmt("%s.%s", pk_hcl_block_label(b, 0), pk_hcl_block_label(b, 1));
    if (!canonical)
        return;
    const pk_notification_t *prev = pk_pipeline_notification(d->p, canonical);
    if (prev) {
        pk_diags_error(d->diags, pk_hcl_block_label_range(b, 1),
                       "duplicate notification \"%s\" (first defined at line %d)", canonical,
                       prev->range.start.line);
        free(canonical);
        return;
    }
    char *where = pk_dec_where(b);
    pk_dec_check_body(d, body, where, s_notif_attrs, s_params_blocks);
    free(where);
    pk_notification_t *n = calloc(1, sizeof *n);
    if (!n || pk_dec_push((void ***) &d->p->notifications, &d->p->notification_count, n)) {
        free(n);
        free(canonical);
        return;
    }
    n->canonical = canonical;
    n->type = strdup(pk_hcl_block_label(b, 0));
    n->name = strdup(pk_hcl_block_label(b, 1));
    n->range = pk_hcl_block_range(b);
    n->type_range = pk_hcl_block_label_range(b, 0);
    pk_dec_string(d, body, "message", &n->message);
    s_on(d, n, body);
    bool jobs = pk_dec_strlist(d, body, "jobs", &n->jobs) > 0;
    bool exclude = pk_dec_strlist(d, body, "exclude", &n->exclude) > 0;
    if (jobs && exclude)
        pk_diags_error(d->diags, n->exclude.range,
                       "\"jobs\" and \"exclude\" cannot both be set in notification \"%s\"",
                       canonical);
    else if ((jobs || exclude) && !pk_hcl_body_attr_find(body, "on"))
        pk_diags_error(d->diags, jobs ? n->jobs.range : n->exclude.range,
                       "\"%s\" needs \"on\": without it the notification is only sent by notify "
                       "steps", jobs ? "jobs" : "exclude");
    n->params = s_params(d, b);
}

void
pk_dec_resources_destroy(pk_pipeline_t *p)
{
    for (size_t i = 0; i < p->resource_count; i++) {
        pk_resource_t *r = p->resources[i];
        free(r->type);
        free(r->name);
        free(r->canonical);
        pk_value_destroy(&r->params);
        free(r->check_interval);
        pk_strlist_clear(&r->tags);
        free(r->webhook_secret);
        free(r);
    }
    for (size_t i = 0; i < p->notification_count; i++) {
        pk_notification_t *n = p->notifications[i];
        free(n->type);
        free(n->name);
        free(n->canonical);
        pk_value_destroy(&n->params);
        free(n->message);
        pk_strlist_clear(&n->jobs);
        pk_strlist_clear(&n->exclude);
        free(n);
    }
    free(p->resources);
    free(p->notifications);
}
