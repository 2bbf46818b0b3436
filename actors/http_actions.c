// http_actions: the API's state-changing routes (POST, DELETE), each one
// control op asked as the caller (http_call with their token; control's
// access table decides, the owners answer), the reply passed back as JSON.
// Paths are without their /api/v1 (or /api) prefix:
//
//   POST /pipelines/P/pause, /unpause                pipeline.pause/unpause (write)
//   POST /pipelines/P/expose, /hide                  pipeline.expose/hide (maintain)
//   POST /pipelines/P/jobs/J/pause, /unpause         job.pause/unpause (write)
//   POST /pipelines/P/jobs/J/trigger                 trigger (write), body
//        {"inputs": {name: value}, "versions": {resource: id}} (both optional)
//   POST .../jobs/J/builds/N/cancel, /retry          cancel, retry (write)
//   POST .../builds/N/approve {"message"?}           approve (maintain)
//   POST .../builds/N/reject {"message"}             reject (maintain)
//   POST .../builds/N/warning                        build.warning
//   POST /pipelines/P/resources/R/check              check (write)
//   POST .../resources/R/pin {"version": id}, /unpin pin, unpin (write)
//   POST /tokens {"name"?, "expires"?}               tokens.create (any user)
//   DELETE /tokens/I, POST /tokens/I/revoke          tokens.revoke (one's own)
//
// A body is JSON, an object (or empty); anything else is 400 before the
// server is asked. Refusals map to statuses in one place (http.c).
#include "http_internal.h"
#include "pk_value_msgpack.h"

typedef struct {
    const char *name;           // the path's last segment
    const char *op;
} s_verb_t;

static const s_verb_t s_pipeline_verbs[] = {
    { "pause", "pipeline.pause" }, { "unpause", "pipeline.unpause" },
    { "expose", "pipeline.expose" }, { "hide", "pipeline.hide" }, { NULL, NULL }
};
static const s_verb_t s_job_verbs[] = {
    { "pause", "job.pause" }, { "unpause", "job.unpause" }, { "trigger", "trigger" },
    { NULL, NULL }
};
static const s_verb_t s_build_verbs[] = {
    { "cancel", "cancel" }, { "retry", "retry" }, { "approve", "approve" },
    { "reject", "reject" }, { "warning", "build.warning" }, { NULL, NULL }
};
static const s_verb_t s_resource_verbs[] = {
    { "check", "check" }, { "pin", "pin" }, { "unpin", "unpin" }, { NULL, NULL }
};

static const char *
s_op_of(const s_verb_t *verbs, const char *name)
{
    for (const s_verb_t *v = verbs; v->name; v++)
        if (!strcmp(v->name, name))
            return v->op;
    return NULL;
}

// The request's body as an object (an empty body: {}), or NULL with *a a 400.
static pk_value_t *
s_body(const char *body, size_t size, http_answer_t *a)
{
    if (strspn(body, " \t\r\n") == size)
        return pk_value_new_object();
    char *err = NULL;
    pk_value_t *v = pk_value_from_json(body, size, &err);
    if (!v || pk_value_kind(v) != PK_V_OBJECT) {
        *a = http_error(MHD_HTTP_BAD_REQUEST, "the body must be a JSON object%s%s",
                        err ? ": " : "", err ? err : "");
        pk_value_destroy(&v);
        v = NULL;
    }
    free(err);
    return v;
}

// A body field as a request argument's text: a string, or a number
// written as a whole number; NULL when absent or of another kind.
static char *
s_field_text(const pk_value_t *o, const char *name)
{
    const pk_value_t *v = pk_value_object_get(o, name);
    if (pk_value_kind(v) == PK_V_STRING)
        return strdup(pk_value_string(v));
    char *t = NULL;
    if (pk_value_kind(v) == PK_V_NUMBER && asprintf(&t, "%.0f", pk_value_number(v)) < 0)
        t = NULL;
    return t;
}

// Ask op as who with args and, when given, body (packed as msgpack): the
// reply as JSON ({} for none), or the refusal.
static http_answer_t
s_ask(http_t *h, http_who_t *who, const char *op, const pk_kv_t *args, const pk_value_t *body)
{
    uint8_t *packed = NULL;
    size_t size = 0;
    if (body)
        pk_value_pack_bytes(body, &packed, &size);
    pk_value_t *v = NULL;
    char *err = NULL;
    int rc = http_call(h, who, op, args, packed, size, &v, &err);
    free(packed);
    http_answer_t a;
    if (rc != 0)
        a = http_refused(who, rc, err);
    else
    if (!v || pk_value_kind(v) == PK_V_NULL) {
        pk_value_t *o = pk_value_new_object();
        a = http_json(MHD_HTTP_OK, o);
        pk_value_destroy(&o);
    }
    else
        a = http_json(MHD_HTTP_OK, v);
    free(err);
    pk_value_destroy(&v);
    return a;
}

// The body a build or trigger op takes: its known fields only.
static pk_value_t *
s_pick(const pk_value_t *in, const char *const *fields)
{
    pk_value_t *out = NULL;
    for (int i = 0; fields[i]; i++) {
        const pk_value_t *v = pk_value_object_get(in, fields[i]);
        if (!v || pk_value_kind(v) == PK_V_NULL)
            continue;
        if (!out)
            out = pk_value_new_object();
        pk_value_object_set(out, fields[i], pk_value_dup(v));
    }
    return out;
}

static http_answer_t
s_pipeline_action(http_t *h, http_who_t *who, char **seg, int n, const pk_value_t *in)
{
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", seg[1]);
    const char *op = NULL;
    pk_value_t *body = NULL;
    http_answer_t a = { 0 };
    if (n == 3)
        op = s_op_of(s_pipeline_verbs, seg[2]);
    else
    if (n == 5 && !strcmp(seg[2], "jobs")) {
        pk_kv_set(&args, "job", seg[3]);
        op = s_op_of(s_job_verbs, seg[4]);
        static const char *const fields[] = { "inputs", "versions", NULL };
        const pk_value_t *inputs = pk_value_object_get(in, "inputs"),
                         *versions = pk_value_object_get(in, "versions");
        if (op && !strcmp(op, "trigger")) {
            if ((inputs && pk_value_kind(inputs) != PK_V_OBJECT
                 && pk_value_kind(inputs) != PK_V_NULL)
                || (versions && pk_value_kind(versions) != PK_V_OBJECT
                    && pk_value_kind(versions) != PK_V_NULL))
                a = http_error(MHD_HTTP_BAD_REQUEST, "trigger's \"inputs\" and \"versions\" "
                               "are objects ({\"name\": value}, {\"resource\": version_id})");
            body = s_pick(in, fields);
        }
    }
    else
    if (n == 7 && !strcmp(seg[2], "jobs") && !strcmp(seg[4], "builds")) {
        pk_kv_set(&args, "job", seg[3]);
        pk_kv_set(&args, "number", seg[5]);
        op = s_op_of(s_build_verbs, seg[6]);
        static const char *const fields[] = { "message", NULL };
        const pk_value_t *m = pk_value_object_get(in, "message");
        if (m && pk_value_kind(m) != PK_V_STRING && pk_value_kind(m) != PK_V_NULL)
            a = http_error(MHD_HTTP_BAD_REQUEST, "\"message\" is a string");
        body = s_pick(in, fields);
    }
    else
    if (n == 5 && !strcmp(seg[2], "resources")) {
        pk_kv_set(&args, "resource", seg[3]);
        op = s_op_of(s_resource_verbs, seg[4]);
        if (op && !strcmp(op, "pin")) {
            char *version = s_field_text(in, "version");
            if (version)
                pk_kv_set(&args, "version", version);
            else
                a = http_error(MHD_HTTP_BAD_REQUEST, "pin needs {\"version\": version_id} (see "
                               "the resource's versions)");
            free(version);
        }
    }
    if (!a.response && !op)
        a = http_error(MHD_HTTP_NOT_FOUND, "no such action (see README, HTTP API)");
    if (!a.response)
        a = s_ask(h, who, op, &args, body);
    pk_value_destroy(&body);
    pk_kv_clear(&args);
    return a;
}

static http_answer_t
s_tokens_action(http_t *h, http_who_t *who, const char *method, char **seg, int n,
                const pk_value_t *in)
{
    pk_kv_t args = { 0 };
    http_answer_t a = { 0 };
    bool del = !strcmp(method, "DELETE");
    if (n == 1 && !del) {
        char *name = s_field_text(in, "name"), *expires = s_field_text(in, "expires");
        if (name)
            pk_kv_set(&args, "label", name);
        if (expires)
            pk_kv_set(&args, "expires", expires);
        free(name);
        free(expires);
        a = s_ask(h, who, "tokens.create", &args, NULL);
    }
    else
    if ((n == 2 && del) || (n == 3 && !del && !strcmp(seg[2], "revoke"))) {
        pk_kv_set(&args, "id", seg[1]);
        a = s_ask(h, who, "tokens.revoke", &args, NULL);
    }
    else
        a = http_error(MHD_HTTP_NOT_FOUND, "no such action (see README, HTTP API)");
    pk_kv_clear(&args);
    return a;
}

bool
http_actions_route(http_t *h, http_who_t *who, struct MHD_Connection *c, const char *method,
                   const char *path, const char *body, size_t size, http_answer_t *a)
{
    (void) c;
    char *copy = strdup(path), *seg[10] = { 0 }, *save = NULL;
    int n = 0;
    for (char *t = strtok_r(copy, "/", &save); t && n < 10; t = strtok_r(NULL, "/", &save))
        seg[n++] = t;
    bool del = !strcmp(method, "DELETE");
    bool tokens = n >= 1 && !strcmp(seg[0], "tokens");
    bool pipes = n >= 3 && !strcmp(seg[0], "pipelines");
    pk_value_t *in = NULL;
    if (!tokens && !pipes)
        *a = http_error(MHD_HTTP_NOT_FOUND, "no such action: %s %s (see README, HTTP API)",
                        method, path);
    else
    if (strcmp(method, "POST") && !(del && tokens))
        *a = http_error(MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: actions take POST", method, path);
    else
    if ((in = s_body(body, size, a)) != NULL)
        *a = tokens ? s_tokens_action(h, who, method, seg, n, in)
                    : s_pipeline_action(h, who, seg, n, in);
    pk_value_destroy(&in);
    free(copy);
    return true;
}
