// runner_secrets: secret-backed variables, resolved on the runner that needs
// them and nowhere else. The plan carries placeholders "((pikoci_secret:NAME))"
// and a "secrets" section saying how to get each one (pk_plan.h); here each
// is fetched (runner_secrets_get.c: a secret type's `get`, or the built-in
// `file` type, then the field `key`), and the placeholders
// in a process's argv and environment are replaced just before it is
// spawned -- so values exist only in this process's memory and in the
// processes that use them, never in a message, the store or a log (the mask
// made here covers output).
//
// A secret's path, key or get command may hold other secrets' placeholders
// (chaining): secrets resolve in dependency order, depth-first, with cycles
// and unknown names reported by name -- the plan comes from the network, so
// the decoder's own cycle check is not relied upon. Errors never include a
// value: a get's failing output is shown masked by the secrets known so far,
// a missing key lists the keys there are.
//
// A build resolves its secrets once, on first use, and every step shares
// them (a small table keyed by the build; see runner_build_secrets). The
// objects are reference-counted so a process keeps its secrets while it
// runs even if the table forgets the build.
#include "runner_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_PREFIX "((pikoci_secret:"
#define S_SUFFIX "))"

struct _runner_secrets_t {
    atomic_int refs;
    size_t count;
    char **names;
    char **values;              // NULL until resolved
    runner_mask_t *mask;
};

char *
runner_fmt(const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

void
runner_wipe(char *s)
{
    if (s)
        explicit_bzero(s, strlen(s));
    free(s);
}

void
runner_secrets_destroy(runner_secrets_t **self_p)
{
    runner_secrets_t *self = *self_p;
    *self_p = NULL;
    if (!self || atomic_fetch_sub(&self->refs, 1) > 1)
        return;
    for (size_t i = 0; i < self->count; i++) {
        free(self->names[i]);
        runner_wipe(self->values[i]);
    }
    free(self->names);
    free(self->values);
    runner_mask_destroy(&self->mask);
    free(self);
}

const runner_mask_t *
runner_secrets_mask(const runner_secrets_t *self)
{
    return self ? self->mask : NULL;
}

static ssize_t
s_index(const runner_secrets_t *self, const char *name, size_t len)
{
    for (size_t i = 0; self && i < self->count; i++)
        if (strlen(self->names[i]) == len && !strncmp(self->names[i], name, len))
            return (ssize_t) i;
    return -1;
}

const char *
runner_secrets_get(const runner_secrets_t *self, const char *name)
{
    ssize_t i = s_index(self, name, strlen(name));
    return i < 0 ? NULL : self->values[i];
}

// Calls fn for every placeholder in text (name, length); stops when fn
// returns non-zero and returns that.
typedef int (s_ref_fn)(const char *name, size_t len, void *arg);

static int
s_each_ref(const char *text, s_ref_fn *fn, void *arg)
{
    for (const char *p = strstr(text, S_PREFIX); p; p = strstr(p + 1, S_PREFIX)) {
        const char *name = p + strlen(S_PREFIX);
        const char *end = strstr(name, S_SUFFIX);
        if (!end || end == name)
            continue;
        int rc = fn(name, (size_t) (end - name), arg);
        if (rc)
            return rc;
    }
    return 0;
}

char *
runner_secrets_subst(const runner_secrets_t *self, const char *text, char **err)
{
    *err = NULL;
    if (!strstr(text, S_PREFIX))
        return strdup(text);
    size_t cap = strlen(text) + 64, len = 0;
    char *out = malloc(cap);
    const char *p = text;
    for (const char *at; (at = strstr(p, S_PREFIX)); ) {
        const char *name = at + strlen(S_PREFIX);
        const char *end = strstr(name, S_SUFFIX);
        size_t lit = (size_t) (at - p);
        const char *val = NULL;
        size_t skip = strlen(S_PREFIX);
        if (end && end > name) {
            ssize_t i = s_index(self, name, (size_t) (end - name));
            if (i < 0 || !self->values[i]) {
                *err = runner_fmt("secret \"%.*s\" is not available to this build (its plan "
                             "does not say how to get it)", (int) (end - name), name);
                explicit_bzero(out, len);
                free(out);
                return NULL;
            }
            val = self->values[i];
            skip = (size_t) (end + strlen(S_SUFFIX) - at);
        }
        size_t vlen = val ? strlen(val) : skip;
        if (len + lit + vlen + 1 > cap) {
            cap = (len + lit + vlen + 1) * 2;
            char *grown = malloc(cap);
            memcpy(grown, out, len);
            explicit_bzero(out, len);
            free(out);
            out = grown;
        }
        memcpy(out + len, p, lit);
        memcpy(out + len + lit, val ? val : at, vlen);
        len += lit + vlen;
        p = at + skip;
    }
    size_t rest = strlen(p);
    if (len + rest + 1 > cap) {
        char *grown = malloc(len + rest + 1);
        memcpy(grown, out, len);
        explicit_bzero(out, len);
        free(out);
        out = grown;
    }
    memcpy(out + len, p, rest + 1);
    return out;
}

int
runner_secrets_apply(const runner_secrets_t *self, runner_cmdline_t *cl, char **err)
{
    *err = NULL;
    for (size_t i = 0; cl->argv && cl->argv[i]; i++) {
        if (!strstr(cl->argv[i], S_PREFIX))
            continue;
        char *v = runner_secrets_subst(self, cl->argv[i], err);
        if (!v)
            return -1;
        free(cl->argv[i]);
        cl->argv[i] = v;
    }
    for (size_t i = 0; cl->env && i < pk_env_size(cl->env); i++) {
        const char *entry = pk_env_entry(cl->env, i);
        if (!strstr(entry, S_PREFIX))
            continue;
        char *v = runner_secrets_subst(self, pk_env_value(cl->env, i), err);
        if (!v)
            return -1;
        char *name = strndup(entry, (size_t) (strchr(entry, '=') - entry));
        pk_env_set(cl->env, name, v);      // replaces in place: index i stays
        free(name);
        runner_wipe(v);
    }
    return 0;
}

// A value with every string's placeholders replaced (NULL with *err).
pk_value_t *
runner_secrets_subst_value(const runner_secrets_t *self, const pk_value_t *v, char **err)
{
    pk_value_kind_t k = pk_value_kind(v);
    if (k == PK_V_STRING) {
        char *t = runner_secrets_subst(self, pk_value_string(v), err);
        pk_value_t *out = t ? pk_value_new_string(t) : NULL;
        runner_wipe(t);
        return out;
    }
    if (k != PK_V_LIST && k != PK_V_OBJECT)
        return pk_value_dup(v);
    pk_value_t *out = k == PK_V_LIST ? pk_value_new_list() : pk_value_new_object();
    for (size_t i = 0; i < pk_value_len(v); i++) {
        pk_value_t *e = runner_secrets_subst_value(self, k == PK_V_LIST ? pk_value_list_at(v, i)
                                                           : pk_value_object_at(v, i), err);
        if (!e) {
            pk_value_destroy(&out);
            return NULL;
        }
        if (k == PK_V_LIST)
            pk_value_list_append(out, e);
        else
            pk_value_object_set(out, pk_value_object_key(v, i), e);
    }
    return out;
}

// --- getting one secret

typedef struct {
    runner_secrets_t *self;
    runner_build_t *b;
    const pk_value_t *section;
    const run_ctx_t *ctx;
    int *state;                 // 0 new, 1 on the stack, 2 resolved
    size_t *stack;
    size_t depth;
    char *err;
    bool transient;             // cancelled or timed out: worth trying again
} s_res_t;

static int s_resolve(s_res_t *r, size_t i);

static int
s_dep(const char *name, size_t len, void *arg)
{
    s_res_t *r = arg;
    ssize_t j = s_index(r->self, name, len);
    const char *from = r->self->names[r->stack[r->depth - 1]];
    if (j < 0) {
        r->err = runner_fmt("secret \"%s\" uses secret \"%.*s\", which this plan does not define",
                       from, (int) len, name);
        return -1;
    }
    return s_resolve(r, (size_t) j);
}

static int
s_resolve(s_res_t *r, size_t i)
{
    runner_secrets_t *self = r->self;
    if (r->state[i] == 2)
        return 0;
    if (r->state[i] == 1) {
        char chain[1024] = "";
        size_t from = 0;
        while (r->stack[from] != i)
            from++;
        for (size_t k = from; k < r->depth; k++)
            snprintf(chain + strlen(chain), sizeof chain - strlen(chain), "%s -> ",
                     self->names[r->stack[k]]);
        r->err = runner_fmt("secrets form a dependency cycle: %s%s", chain, self->names[i]);
        return -1;
    }
    if (r->depth >= RUNNER_SECRET_MAX_DEPTH) {
        r->err = runner_fmt("secret \"%s\" is at the end of a chain of more than %d secrets",
                       self->names[i], RUNNER_SECRET_MAX_DEPTH);
        return -1;
    }
    const char *name = self->names[i];
    const pk_value_t *raw = pk_value_object_get(r->section, name);
    if (pk_value_kind(raw) != PK_V_OBJECT || !pk_plan_str(raw, "key", NULL)) {
        r->err = runner_fmt("secret \"%s\": the plan's secrets entry must be an object with a "
                       "\"key\"", name);
        return -1;
    }
    r->state[i] = 1;
    r->stack[r->depth++] = i;
    char *json = pk_value_to_json(raw);
    int rc = s_each_ref(json, s_dep, r);
    free(json);
    r->depth--;
    if (rc)
        return -1;
    pk_value_t *entry = runner_secrets_subst_value(self, raw, &r->err);
    if (!entry)
        return -1;
    bool transient = false;
    char *value = runner_secret_fetch(r->b, r->ctx, name, entry, self->mask, &r->err, &transient);
    r->transient |= transient;
    if (value) {
        self->values[i] = value;
        runner_mask_add(self->mask, value, strlen(value));
    }
    pk_value_destroy(&entry);
    if (!self->values[i])
        return -1;
    r->state[i] = 2;
    return 0;
}

static runner_secrets_t *
s_resolve_all(runner_build_t *b, const pk_value_t *section, const run_ctx_t *ctx, char **err,
              bool *transient)
{
    *err = NULL;
    if (pk_value_kind(section) != PK_V_OBJECT) {
        *err = strdup("the plan's \"secrets\" must be an object");
        return NULL;
    }
    runner_secrets_t *self = calloc(1, sizeof(*self));
    atomic_init(&self->refs, 1);
    self->count = pk_value_len(section);
    self->names = calloc(self->count + 1, sizeof(char *));
    self->values = calloc(self->count + 1, sizeof(char *));
    self->mask = runner_mask_new();
    for (size_t i = 0; i < self->count; i++)
        self->names[i] = strdup(pk_value_object_key(section, i));
    s_res_t r = { .self = self, .b = b, .section = section, .ctx = ctx };
    r.state = calloc(self->count + 1, sizeof(int));
    r.stack = calloc(RUNNER_SECRET_MAX_DEPTH + 1, sizeof(size_t));
    for (size_t i = 0; i < self->count && !r.err; i++)
        s_resolve(&r, i);
    free(r.state);
    free(r.stack);
    if (transient)
        *transient = r.transient;
    if (r.err) {
        *err = r.err;
        runner_secrets_destroy(&self);
    }
    return self;
}

runner_secrets_t *
runner_secrets_new(runner_build_t *b, const pk_value_t *section, const run_ctx_t *ctx, char **err)
{
    return s_resolve_all(b, section, ctx, err, NULL);
}

// --- one resolution per build

typedef struct s_entry {
    runner_build_t *b;          // compared, never dereferenced once the build is gone
    char *id, *workdir;
    uint32_t attempt;
    pthread_mutex_t lock;       // held while resolving
    bool done;
    runner_secrets_t *secrets;
    char *error;
    struct s_entry *next;
} s_entry_t;

static pthread_mutex_t s_table_lock = PTHREAD_MUTEX_INITIALIZER;
static s_entry_t *s_table;

static bool
s_same(const s_entry_t *e, const runner_build_t *b)
{
    return e->b == b && e->attempt == b->attempt && !strcmp(e->id, b->id)
        && !strcmp(e->workdir, b->workdir);
}

static void
s_entry_free(s_entry_t *e)
{
    runner_secrets_destroy(&e->secrets);
    free(e->error);
    free(e->id);
    free(e->workdir);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

// Forgets the builds that ended: a build's $WORKDIR is removed when it ends.
// Under s_table_lock.
static void
s_sweep(const runner_build_t *keep)
{
    for (s_entry_t **pp = &s_table; *pp; ) {
        s_entry_t *e = *pp;
        struct stat st;
        if (!s_same(e, keep) && stat(e->workdir, &st) != 0 && pthread_mutex_trylock(&e->lock) == 0) {
            pthread_mutex_unlock(&e->lock);
            *pp = e->next;
            s_entry_free(e);
        }
        else
            pp = &e->next;
    }
}

runner_secrets_t *
runner_build_secrets(runner_build_t *b, const run_ctx_t *ctx, char **err)
{
    *err = NULL;
    const pk_value_t *section = pk_value_object_get(b->plan, "secrets");
    if (!section || (pk_value_kind(section) == PK_V_OBJECT && !pk_value_len(section)))
        return NULL;
    pthread_mutex_lock(&s_table_lock);
    s_sweep(b);
    s_entry_t *e = s_table;
    while (e && !s_same(e, b))
        e = e->next;
    if (!e) {
        e = calloc(1, sizeof(*e));
        e->b = b;
        e->id = strdup(b->id);
        e->workdir = strdup(b->workdir);
        e->attempt = b->attempt;
        pthread_mutex_init(&e->lock, NULL);
        e->next = s_table;
        s_table = e;
    }
    pthread_mutex_lock(&e->lock);        // in this order only: table, then entry
    pthread_mutex_unlock(&s_table_lock);
    if (!e->done) {
        bool transient = false;
        char *why = NULL;
        e->secrets = s_resolve_all(b, section, ctx, &why, &transient);
        e->done = e->secrets || !transient;
        if (!e->secrets && e->done)
            e->error = why;
        else
            *err = why;
    }
    runner_secrets_t *s = e->secrets;
    if (s)
        atomic_fetch_add(&s->refs, 1);
    else
    if (e->error && !*err)
        *err = strdup(e->error);
    pthread_mutex_unlock(&e->lock);
    return s;
}

int
runner_secrets_prepare(runner_build_t *b, char **err)
{
    run_ctx_t ctx = { .build = b, .gen = atomic_load(&b->cancel_gen) };
    runner_secrets_t *s = runner_build_secrets(b, &ctx, err);
    runner_secrets_destroy(&s);
    return *err ? -1 : 0;
}

char *
runner_build_mask(runner_build_t *b, const char *text)
{
    runner_secrets_t *s = NULL;
    pthread_mutex_lock(&s_table_lock);
    for (s_entry_t *e = s_table; e && !s; e = e->next)
        if (s_same(e, b) && (s = e->secrets))
            atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&s_table_lock);
    char *out = runner_mask_str(runner_secrets_mask(s), text);
    runner_secrets_destroy(&s);
    return out;
}

void
runner_secrets_release(runner_build_t *b)
{
    pthread_mutex_lock(&s_table_lock);
    for (s_entry_t **pp = &s_table; *pp; pp = &(*pp)->next)
        if (s_same(*pp, b)) {
            s_entry_t *e = *pp;
            *pp = e->next;
            pthread_mutex_lock(&e->lock);     // nobody is resolving it any more
            pthread_mutex_unlock(&e->lock);
            s_entry_free(e);
            break;
        }
    pthread_mutex_unlock(&s_table_lock);
}
