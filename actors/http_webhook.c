// http_webhook: POST /webhooks/<token> -- a forge announces a push and the
// token's resource is checked now, ahead of its timer.
//
// Three round trips through control, each to the part that owns the answer:
//   webhook.resolve {token}  the checker finds whose token it is (it owns the
//                            tokens; the comparison is constant-time, see
//                            store/pk_webhooks.h) -- refused: 404
//   pipeline.get {pipeline}  only for the resource's webhook_secret, read from
//                            the pipeline's definition: parsed once per
//                            pipeline version and cached here
//   check {pipeline, resource}  the same command as `pikoci check`
// With a webhook_secret the body must carry GitHub's X-Hub-Signature-256
// ("sha256=" + hex HMAC-SHA256 of the body under the secret), else 401,
// before anything is checked. HMAC is built on lib/pk_sha256 (FIPS 180-4,
// tested there) so the actors need no libcrypto.
#include "http_internal.h"
#include "pk_diag.h"
#include "pk_pipeline.h"
#include "pk_sha256.h"
#include "pk_webhooks.h"
#include <ctype.h>

#define S_CACHE_MAX 16

typedef struct {
    char *pipeline;
    double version;
    pk_pipeline_t *def;
} s_cached_t;

typedef struct {
    s_cached_t items[S_CACHE_MAX];
    size_t n, next;
} s_cache_t;

void
http_hmac_sha256_hex(const void *key, size_t key_len, const void *data, size_t len,
                     char out[65])
{
    uint8_t k[64] = { 0 }, pad[64], inner[PK_SHA256_LEN], digest[PK_SHA256_LEN];
    pk_sha256_t sha;
    if (key_len > sizeof k) {
        pk_sha256_init(&sha);
        pk_sha256_update(&sha, key, key_len);
        pk_sha256_final(&sha, k);
    }
    else
    if (key_len)
        memcpy(k, key, key_len);
    for (size_t i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x36;
    pk_sha256_init(&sha);
    pk_sha256_update(&sha, pad, sizeof pad);
    pk_sha256_update(&sha, data, len);
    pk_sha256_final(&sha, inner);
    for (size_t i = 0; i < 64; i++)
        pad[i] = k[i] ^ 0x5c;
    pk_sha256_init(&sha);
    pk_sha256_update(&sha, pad, sizeof pad);
    pk_sha256_update(&sha, inner, sizeof inner);
    pk_sha256_final(&sha, digest);
    pk_sha256_hex(digest, out);
}

bool
http_signature_ok(const char *secret, const char *header, const void *body, size_t len)
{
    if (!secret || !header || strncmp(header, "sha256=", 7) || strlen(header + 7) != 64)
        return false;
    char want[65], got[65];
    http_hmac_sha256_hex(secret, strlen(secret), body, len, want);
    for (size_t i = 0; i < 64; i++)
        got[i] = (char) tolower((unsigned char) header[7 + i]);
    got[64] = 0;
    return pk_webhooks_equal(want, got, 64);
}

void
http_webhook_cache_free(http_t *h)
{
    s_cache_t *cache = h->secrets;
    for (size_t i = 0; cache && i < cache->n; i++) {
        free(cache->items[i].pipeline);
        pk_pipeline_destroy(&cache->items[i].def);
    }
    free(cache);
    h->secrets = NULL;
}

// The resource's webhook_secret (caller frees; NULL when it has none): 0,
// the http_request failure code with *error, or 2 with *error when the
// resource's webhooks must be refused whatever their signature.
static int
s_secret(http_t *h, const char *pipeline, const char *resource, char **secret, char **error)
{
    *secret = NULL;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", pipeline);
    pk_value_t *v = NULL;
    int rc = http_request(h, "pipeline.get", &args, NULL, 0, &v, error);
    pk_kv_clear(&args);
    if (rc != 0) {
        pk_value_destroy(&v);
        return rc;
    }
    const pk_value_t *ver = pk_value_object_get(v, "version");
    double version = ver ? pk_value_number(ver) : 0;
    pthread_mutex_lock(&h->lock);
    if (!h->secrets)
        h->secrets = calloc(1, sizeof(s_cache_t));
    s_cache_t *cache = h->secrets;
    s_cached_t *hit = NULL;
    for (size_t i = 0; i < cache->n && !hit; i++)
        if (!strcmp(cache->items[i].pipeline, pipeline) && cache->items[i].version == version)
            hit = &cache->items[i];
    if (!hit) {
        const pk_value_t *src = pk_value_object_get(v, "source");
        pk_diags_t *diags = pk_diags_new();
        char filename[256];
        snprintf(filename, sizeof filename, "%s.hcl", pipeline);
        const pk_value_t *vars = pk_value_object_get(v, "vars");
        if (pk_value_kind(vars) != PK_V_OBJECT)
            vars = NULL;
        pk_pipeline_t *def = pk_value_kind(src) == PK_V_STRING
            ? pk_pipeline_parse(filename, pk_value_string(src), pk_value_len(src), vars, diags)
            : NULL;
        pk_diags_destroy(&diags);
        if (cache->n < S_CACHE_MAX)
            hit = &cache->items[cache->n++];
        else {
            hit = &cache->items[cache->next++ % S_CACHE_MAX];
            free(hit->pipeline);
            pk_pipeline_destroy(&hit->def);
        }
        *hit = (s_cached_t) { strdup(pipeline), version, def };
    }
    const pk_resource_t *res = hit->def ? pk_pipeline_resource(hit->def, resource) : NULL;
    if (res && res->webhook_secret && *res->webhook_secret)
        *secret = strdup(res->webhook_secret);
    bool parsed = hit->def != NULL;
    pthread_mutex_unlock(&h->lock);
    pk_value_destroy(&v);
    // Fail closed: a definition that does not parse hides whether there is
    // a secret, and a placeholder (a pipeline set before those were refused)
    // would be a signature key anyone can read.
    if (!parsed || (*secret && strstr(*secret, "((pikoci_secret:"))) {
        *error = strdup(parsed ? "the resource's webhook_secret comes from a secret-backed "
                        "variable, which the server cannot resolve: set the pipeline again "
                        "with the value given by --var" : "the pipeline's definition cannot "
                        "be read here");
        free(*secret);
        *secret = NULL;
        return 2;
    }
    return 0;
}

void
http_webhook(http_t *h, struct MHD_Connection *c, const char *token, const char *body,
             size_t size, http_answer_t *a)
{
    atomic_fetch_add(&h->webhooks, 1);
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "token", token);
    pk_value_t *who = NULL;
    char *error = NULL, *secret = NULL;
    int rc = http_request(h, "webhook.resolve", &args, NULL, 0, &who, &error);
    pk_kv_clear(&args);
    const char *pipeline = rc == 0 ? pk_value_string(pk_value_object_get(who, "pipeline")) : NULL;
    const char *resource = rc == 0 ? pk_value_string(pk_value_object_get(who, "resource")) : NULL;
    if (rc == 1 || (rc == 0 && (!pipeline || !resource))) {
        *a = http_error(MHD_HTTP_NOT_FOUND, "unknown webhook token");
        goto done;
    }
    if (rc != 0 || (rc = s_secret(h, pipeline, resource, &secret, &error)) != 0) {
        *a = rc == 2 ? http_error(MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", error)
                     : http_failed(rc, error);
        goto done;
    }
    if (secret) {
        const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                      "X-Hub-Signature-256");
        if (!http_signature_ok(secret, sig, body, size)) {
            *a = http_error(MHD_HTTP_UNAUTHORIZED, sig ? "X-Hub-Signature-256 does not match "
                            "the body under the resource's webhook_secret"
                            : "this resource needs an X-Hub-Signature-256 header");
            goto done;
        }
    }
    pk_kv_set(&args, "pipeline", pipeline);
    pk_kv_set(&args, "resource", resource);
    pk_value_t *ok = NULL;
    free(error);
    error = NULL;
    rc = http_request(h, "check", &args, NULL, 0, &ok, &error);
    pk_kv_clear(&args);
    pk_value_destroy(&ok);
    if (rc != 0)
        *a = http_failed(rc, error);
    else {
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
        pk_value_object_set(o, "resource", pk_value_new_string(resource));
        *a = http_json(MHD_HTTP_OK, o);
        pk_value_destroy(&o);
        zsys_info("http: webhook: checking %s/%s", pipeline, resource);
    }
done:
    free(secret);
    free(error);
    pk_value_destroy(&who);
}
