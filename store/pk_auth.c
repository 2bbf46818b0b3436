// pk_auth: the identity keyspaces (pk_auth.h has the layout): users, teams
// and members, the pipelines' teams; the tokens are pk_auth_tokens.c.
// Values are short msgpack arrays: a newer binary may append fields, an
// older reader ignores what it does not know.
#include "pk_auth_internal.h"
#include "pk_key.h"
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static const char *const s_roles[] = { "none", "read", "write", "maintain", "admin" };

const char *
pk_role_name(pk_role_t role)
{
    return (unsigned) role <= PK_ROLE_ADMIN ? s_roles[role] : "none";
}

int
pk_role_parse(const char *name, pk_role_t *out)
{
    for (int r = PK_ROLE_READ; r <= PK_ROLE_ADMIN; r++)
        if (name && !strcmp(name, s_roles[r])) {
            *out = (pk_role_t) r;
            return 0;
        }
    return -1;
}

void
pk_user_clear(pk_user_t *u)
{
    free(u->name);
    memset(u, 0, sizeof *u);
}

void
pk_token_clear(pk_token_t *t)
{
    free(t->user);
    free(t->label);
    memset(t, 0, sizeof *t);
}

pk_auth_t *
pk_auth_new(pk_store_t *store, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    if (!store || sodium_init() < 0) {
        if (err_out)
            *err_out = strdup(store ? "pk_auth: libsodium does not initialise" : "pk_auth: no store");
        return NULL;
    }
    pk_auth_t *self = calloc(1, sizeof *self);
    self->store = store;
    self->users = pk_store_dbi(store, "auth_users");
    self->teams = pk_store_dbi(store, "auth_teams");
    self->members = pk_store_dbi(store, "auth_members");
    self->tokens = pk_store_dbi(store, "auth_tokens");
    self->pipeteams = pk_store_dbi(store, "auth_pipeteams");
    if (!self->users || !self->teams || !self->members || !self->tokens || !self->pipeteams) {
        if (err_out && asprintf(err_out, "pk_auth: cannot open keyspaces: %s",
                                pk_store_error()) < 0)
            *err_out = NULL;
        free(self);
        return NULL;
    }
    return self;
}

void
pk_auth_destroy(pk_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

pk_store_t *
pk_auth_store(pk_auth_t *self)
{
    return self->store;
}

// --- small helpers

// A read transaction of our own when the caller gave none.
pk_store_txn_t *
auth_txn(pk_auth_t *self, pk_store_txn_t *txn, bool *own)
{
    *own = !txn;
    return txn ? txn : pk_store_begin(self->store, false);
}

void
auth_end(pk_store_txn_t **txn, bool own)
{
    if (own)
        pk_store_abort(txn);
}

void
auth_pstr(msgpack_packer *pk, const char *s)
{
    s = s ? s : "";
    msgpack_pack_str_with_body(pk, s, strlen(s));
}

char *
auth_ostr(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR || !o->via.str.size)
        return strdup("");
    return strndup(o->via.str.ptr, o->via.str.size);
}

int64_t
auth_oint(const msgpack_object *o)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (int64_t) o->via.u64;
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        return o->via.i64;
    return 0;
}

// Get key's value as an array of at least min items into *un: 0, NOTFOUND, -1.
int
auth_get_array(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t size, size_t min,
            msgpack_unpacked *un)
{
    int rc = pk_store_get_msgpack(txn, dbi, key, size, un);
    if (rc != 0)
        return rc;
    if (un->data.type != MSGPACK_OBJECT_ARRAY || un->data.via.array.size < min)
        return -1;
    return 0;
}

int
auth_put(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t size, msgpack_sbuffer *sb)
{
    int rc = pk_store_put_msgpack(txn, dbi, key, size, sb);
    msgpack_sbuffer_destroy(sb);
    return rc;
}

static void
s_strkey(pk_key_t *k, const char *a, const char *b)
{
    pk_key_init(k);
    pk_key_str(k, a);
    if (b)
        pk_key_str(k, b);
}

// --- users

static int
s_user_put(pk_auth_t *self, pk_store_txn_t *txn, const char *name, const char *hash, bool admin,
           int64_t created_ms)
{
    pk_key_t k;
    s_strkey(&k, name, NULL);
    if (!pk_key_ok(&k))
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    auth_pstr(&pk, hash);
    admin ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
    msgpack_pack_int64(&pk, created_ms);
    return auth_put(txn, self->users, k.data, k.size, &sb);
}

static int
s_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

int64_t
auth_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
pk_auth_user_add(pk_auth_t *self, pk_store_txn_t *txn, const char *name, const char *password,
                 bool admin)
{
    pk_key_t k;
    s_strkey(&k, name, NULL);
    const void *v;
    size_t vs;
    int rc = pk_store_get(txn, self->users, k.data, k.size, &v, &vs);
    if (rc != PK_STORE_NOTFOUND)
        return rc == 0 ? PK_STORE_EXISTS : -1;
    char hash[crypto_pwhash_STRBYTES] = "";
    if (password && s_hash(password, hash) != 0)
        return -1;
    return s_user_put(self, txn, name, hash, admin, auth_now_ms());
}

// The stored record: *hash (caller frees) and the rest into out (may be NULL).
static int
s_user_read(pk_auth_t *self, pk_store_txn_t *txn, const char *name, char **hash, pk_user_t *out)
{
    pk_key_t k;
    s_strkey(&k, name, NULL);
    if (!pk_key_ok(&k))
        return PK_STORE_NOTFOUND;
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    int rc = auth_get_array(txn, self->users, k.data, k.size, 3, &un);
    if (rc == 0) {
        const msgpack_object *a = un.data.via.array.ptr;
        char *h = auth_ostr(&a[0]);
        if (out) {
            out->name = strdup(name);
            out->admin = a[1].type == MSGPACK_OBJECT_BOOLEAN && a[1].via.boolean;
            out->has_password = *h != 0;
            out->created_ms = auth_oint(&a[2]);
        }
        if (hash)
            *hash = h;
        else
            free(h);
    }
    msgpack_unpacked_destroy(&un);
    return rc;
}

int
pk_auth_user_get(pk_auth_t *self, pk_store_txn_t *txn, const char *name, pk_user_t *out)
{
    memset(out, 0, sizeof *out);
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return -1;
    int rc = s_user_read(self, txn, name, NULL, out);
    auth_end(&txn, own);
    return rc;
}

int
pk_auth_user_set_password(pk_auth_t *self, pk_store_txn_t *txn, const char *name,
                          const char *password)
{
    pk_user_t u;
    int rc = s_user_read(self, txn, name, NULL, &u);
    if (rc != 0)
        return rc;
    char hash[crypto_pwhash_STRBYTES] = "";
    if (password && s_hash(password, hash) != 0)
        rc = -1;
    else
        rc = s_user_put(self, txn, name, hash, u.admin, u.created_ms);
    sodium_memzero(hash, sizeof hash);
    pk_user_clear(&u);
    return rc;
}

int
pk_auth_user_set_admin(pk_auth_t *self, pk_store_txn_t *txn, const char *name, bool admin)
{
    pk_user_t u;
    char *hash = NULL;
    int rc = s_user_read(self, txn, name, &hash, &u);
    if (rc == 0)
        rc = s_user_put(self, txn, name, hash, admin, u.created_ms);
    free(hash);
    pk_user_clear(&u);
    return rc;
}

int
pk_auth_user_hash(pk_auth_t *self, const char *name, char **hash_out)
{
    *hash_out = NULL;
    pk_store_txn_t *txn = pk_store_begin(self->store, false);
    if (!txn)
        return -1;
    int rc = s_user_read(self, txn, name, hash_out, NULL);
    pk_store_abort(&txn);
    return rc;
}

// A hash no password matches, with the same limits as every user's: what an
// unknown user (or one without a password) is checked against, so that they
// cost what a known one does. Made once, by the first caller.
static char s_dummy[crypto_pwhash_STRBYTES];
static pthread_once_t s_dummy_once = PTHREAD_ONCE_INIT;

static void
s_dummy_make(void)
{
    uint8_t raw[32];
    char pw[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(pw, sizeof pw, raw, sizeof raw);
    if (s_hash(pw, s_dummy) != 0)
        s_dummy[0] = 0;
    sodium_memzero(pw, sizeof pw);
    sodium_memzero(raw, sizeof raw);
}

void
pk_auth_password_warm(void)
{
    if (sodium_init() >= 0)
        pthread_once(&s_dummy_once, s_dummy_make);
}

int
pk_auth_password_check(const char *hash, const char *password)
{
    pk_auth_password_warm();
    bool real = hash && *hash;
    const char *h = real ? hash : s_dummy;
    const char *pw = password ? password : "";
    bool ok = *h && crypto_pwhash_str_verify(h, pw, strlen(pw)) == 0;
    return real && ok && password ? 0 : 1;
}

int
pk_auth_user_verify(pk_auth_t *self, const char *name, const char *password)
{
    char *hash = NULL;
    int rc = pk_auth_user_hash(self, name, &hash);
    if (rc < 0)
        return -1;
    rc = pk_auth_password_check(rc == 0 ? hash : NULL, password);
    free(hash);
    return rc;
}

typedef struct {
    pk_user_t *users;
    size_t n;
    pk_auth_t *self;
} s_users_t;

static int
s_user_cb(const void *key, size_t ks, const void *value, size_t vs, void *arg)
{
    (void) value;
    (void) vs;
    s_users_t *u = arg;
    char *name = strndup(key, ks);             // the key: name NUL
    u->users = realloc(u->users, (u->n + 1) * sizeof *u->users);
    memset(&u->users[u->n], 0, sizeof *u->users);
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    if (pk_store_decode(value, vs, &un) == 0 && un.data.type == MSGPACK_OBJECT_ARRAY
        && un.data.via.array.size >= 3) {
        const msgpack_object *a = un.data.via.array.ptr;
        u->users[u->n].admin = a[1].type == MSGPACK_OBJECT_BOOLEAN && a[1].via.boolean;
        u->users[u->n].has_password = a[0].type == MSGPACK_OBJECT_STR && a[0].via.str.size;
        u->users[u->n].created_ms = auth_oint(&a[2]);
    }
    msgpack_unpacked_destroy(&un);
    u->users[u->n++].name = name;
    return 0;
}

int
pk_auth_users(pk_auth_t *self, pk_store_txn_t *txn, pk_user_t **out, size_t *n)
{
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return -1;
    s_users_t u = { NULL, 0, self };
    int64_t rc = pk_store_scan(txn, self->users, NULL, 0, false, s_user_cb, &u);
    auth_end(&txn, own);
    *out = u.users;
    *n = u.n;
    return rc < 0 ? -1 : 0;
}

int64_t
pk_auth_user_count(pk_auth_t *self, pk_store_txn_t *txn)
{
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return -1;
    int64_t n = pk_store_count(txn, self->users);
    auth_end(&txn, own);
    return n;
}

// --- keys collected in a scan, deleted afterwards (a scan must not modify)

typedef struct {
    pk_key_t *keys;
    size_t n;
    const char *match;          // tokens: only this user's (NULL: all)
    size_t field;               // the array field compared with match
} s_keys_t;

static int
s_key_cb(const void *key, size_t ks, const void *value, size_t vs, void *arg)
{
    s_keys_t *c = arg;
    if (c->match) {
        msgpack_unpacked un;
        msgpack_unpacked_init(&un);
        bool hit = false;
        if (pk_store_decode(value, vs, &un) == 0 && un.data.type == MSGPACK_OBJECT_ARRAY
            && un.data.via.array.size > c->field) {
            const msgpack_object *o = &un.data.via.array.ptr[c->field];
            hit = o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(c->match)
               && (!o->via.str.size || !memcmp(o->via.str.ptr, c->match, o->via.str.size));
        }
        msgpack_unpacked_destroy(&un);
        if (!hit)
            return 0;
    }
    c->keys = realloc(c->keys, (c->n + 1) * sizeof *c->keys);
    pk_key_init(&c->keys[c->n]);
    pk_key_bytes(&c->keys[c->n++], key, ks);
    return 0;
}

static int
s_del_keys(pk_store_txn_t *txn, MDB_dbi dbi, s_keys_t *c)
{
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++)
        if (pk_store_del(txn, dbi, c->keys[i].data, c->keys[i].size) < 0)
            rc = -1;
    free(c->keys);
    return rc;
}

int
pk_auth_user_del(pk_auth_t *self, pk_store_txn_t *txn, const char *name)
{
    pk_key_t k;
    s_strkey(&k, name, NULL);
    int rc = pk_store_del(txn, self->users, k.data, k.size);
    if (rc != 0)
        return rc;
    s_keys_t c = { NULL, 0, name, 0 };
    if (pk_store_scan(txn, self->tokens, NULL, 0, false, s_key_cb, &c) < 0
        || s_del_keys(txn, self->tokens, &c) != 0)
        return -1;
    char **teams = pk_auth_teams(self, txn);
    for (size_t i = 0; teams && teams[i]; i++) {
        if (rc == 0 && pk_auth_member_set(self, txn, teams[i], name, PK_ROLE_NONE) < 0)
            rc = -1;
        free(teams[i]);
    }
    free(teams);
    return rc;
}

// --- teams and members

int
pk_auth_team_add(pk_auth_t *self, pk_store_txn_t *txn, const char *team)
{
    pk_key_t k;
    s_strkey(&k, team, NULL);
    if (!pk_key_ok(&k))
        return -1;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int64(&pk, auth_now_ms());
    int rc = pk_store_insert(txn, self->teams, k.data, k.size, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

bool
pk_auth_team_exists(pk_auth_t *self, pk_store_txn_t *txn, const char *team)
{
    pk_key_t k;
    s_strkey(&k, team, NULL);
    bool own;
    txn = auth_txn(self, txn, &own);
    const void *v;
    size_t vs;
    bool yes = txn && pk_key_ok(&k) && pk_store_get(txn, self->teams, k.data, k.size, &v, &vs) == 0;
    auth_end(&txn, own);
    return yes;
}

int
pk_auth_team_del(pk_auth_t *self, pk_store_txn_t *txn, const char *team)
{
    pk_key_t k;
    s_strkey(&k, team, NULL);
    int rc = pk_store_del(txn, self->teams, k.data, k.size);
    if (rc != 0)
        return rc;
    s_keys_t c = { NULL, 0, NULL, 0 };
    if (pk_store_scan(txn, self->members, k.data, k.size, false, s_key_cb, &c) < 0)
        return -1;
    return s_del_keys(txn, self->members, &c);
}

typedef struct {
    char **names;
    pk_role_t *roles;
    size_t n;
    size_t skip;                // key bytes before the name (the team and its NUL)
} s_names_t;

static int
s_name_cb(const void *key, size_t ks, const void *value, size_t vs, void *arg)
{
    s_names_t *c = arg;
    c->names = realloc(c->names, (c->n + 2) * sizeof *c->names);
    c->names[c->n] = strndup((const char *) key + c->skip, ks - c->skip);
    c->names[c->n + 1] = NULL;
    if (c->roles) {
        c->roles = realloc(c->roles, (c->n + 1) * sizeof *c->roles);
        msgpack_unpacked un;
        msgpack_unpacked_init(&un);
        pk_role_t r = PK_ROLE_NONE;
        if (pk_store_decode(value, vs, &un) == 0 && un.data.type == MSGPACK_OBJECT_ARRAY
            && un.data.via.array.size >= 1) {
            int64_t v = auth_oint(&un.data.via.array.ptr[0]);
            r = v >= PK_ROLE_READ && v <= PK_ROLE_ADMIN ? (pk_role_t) v : PK_ROLE_NONE;
        }
        msgpack_unpacked_destroy(&un);
        c->roles[c->n] = r;
    }
    c->n++;
    return 0;
}

char **
pk_auth_teams(pk_auth_t *self, pk_store_txn_t *txn)
{
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return NULL;
    s_names_t c = { calloc(1, sizeof(char *)), NULL, 0, 0 };
    pk_store_scan(txn, self->teams, NULL, 0, false, s_name_cb, &c);
    auth_end(&txn, own);
    return c.names;
}

int
pk_auth_member_set(pk_auth_t *self, pk_store_txn_t *txn, const char *team, const char *user,
                   pk_role_t role)
{
    pk_key_t k;
    s_strkey(&k, team, user);
    if (!pk_key_ok(&k))
        return -1;
    if (role == PK_ROLE_NONE) {
        int rc = pk_store_del(txn, self->members, k.data, k.size);
        return rc == PK_STORE_NOTFOUND ? 0 : rc;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, (int) role);
    return auth_put(txn, self->members, k.data, k.size, &sb);
}

pk_role_t
pk_auth_member_role(pk_auth_t *self, pk_store_txn_t *txn, const char *team, const char *user)
{
    pk_key_t k;
    s_strkey(&k, team, user);
    if (!pk_key_ok(&k))
        return PK_ROLE_NONE;
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return PK_ROLE_NONE;
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    pk_role_t r = PK_ROLE_NONE;
    if (auth_get_array(txn, self->members, k.data, k.size, 1, &un) == 0) {
        int64_t v = auth_oint(&un.data.via.array.ptr[0]);
        r = v >= PK_ROLE_READ && v <= PK_ROLE_ADMIN ? (pk_role_t) v : PK_ROLE_NONE;
    }
    msgpack_unpacked_destroy(&un);
    auth_end(&txn, own);
    return r;
}

int
pk_auth_members(pk_auth_t *self, pk_store_txn_t *txn, const char *team, char ***users,
                pk_role_t **roles, size_t *n)
{
    pk_key_t k;
    s_strkey(&k, team, NULL);
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return -1;
    s_names_t c = { calloc(1, sizeof(char *)), calloc(1, sizeof(pk_role_t)), 0, k.size };
    int64_t rc = pk_store_scan(txn, self->members, k.data, k.size, false, s_name_cb, &c);
    auth_end(&txn, own);
    *users = c.names;
    *roles = c.roles;
    *n = c.n;
    return rc < 0 ? -1 : 0;
}

size_t
pk_auth_team_admins(pk_auth_t *self, pk_store_txn_t *txn, const char *team)
{
    char **users = NULL;
    pk_role_t *roles = NULL;
    size_t n = 0, admins = 0;
    pk_auth_members(self, txn, team, &users, &roles, &n);
    for (size_t i = 0; i < n; i++) {
        admins += roles[i] == PK_ROLE_ADMIN;
        free(users[i]);
    }
    free(users);
    free(roles);
    return admins;
}

// --- pipelines' teams

char *
pk_auth_pipeline_team(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline)
{
    pk_key_t k;
    s_strkey(&k, pipeline, NULL);
    if (!pk_key_ok(&k))
        return NULL;
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return NULL;
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    char *team = NULL;
    if (auth_get_array(txn, self->pipeteams, k.data, k.size, 1, &un) == 0)
        team = auth_ostr(&un.data.via.array.ptr[0]);
    msgpack_unpacked_destroy(&un);
    auth_end(&txn, own);
    return team;
}

// The record's team (caller frees) and flag; -1 when there is none.
static int
s_pipe_get(pk_auth_t *self, pk_store_txn_t *txn, const pk_key_t *k, char **team, bool *exposed)
{
    msgpack_unpacked un;
    msgpack_unpacked_init(&un);
    *team = NULL;
    *exposed = false;
    int rc = auth_get_array(txn, self->pipeteams, k->data, k->size, 1, &un);
    if (rc == 0) {
        const msgpack_object_array *a = &un.data.via.array;
        *team = auth_ostr(&a->ptr[0]);
        *exposed = a->size > 1 && a->ptr[1].type == MSGPACK_OBJECT_BOOLEAN
                && a->ptr[1].via.boolean;
    }
    msgpack_unpacked_destroy(&un);
    return rc == 0 ? 0 : -1;
}

static int
s_pipe_put(pk_auth_t *self, pk_store_txn_t *txn, const pk_key_t *k, const char *team,
           bool exposed)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, exposed ? 2 : 1);
    auth_pstr(&pk, team);
    if (exposed)
        msgpack_pack_true(&pk);
    return auth_put(txn, self->pipeteams, k->data, k->size, &sb);
}

int
pk_auth_pipeline_team_set(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline,
                          const char *team)
{
    pk_key_t k;
    s_strkey(&k, pipeline, NULL);
    if (!pk_key_ok(&k))
        return -1;
    if (!team) {
        int rc = pk_store_del(txn, self->pipeteams, k.data, k.size);
        return rc == PK_STORE_NOTFOUND ? 0 : rc;
    }
    char *was = NULL;
    bool exposed = false;
    s_pipe_get(self, txn, &k, &was, &exposed);
    free(was);
    return s_pipe_put(self, txn, &k, team, exposed);
}

bool
pk_auth_pipeline_exposed(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline)
{
    pk_key_t k;
    s_strkey(&k, pipeline, NULL);
    if (!pk_key_ok(&k))
        return false;
    bool own;
    txn = auth_txn(self, txn, &own);
    if (!txn)
        return false;
    char *team = NULL;
    bool exposed = false;
    s_pipe_get(self, txn, &k, &team, &exposed);
    free(team);
    auth_end(&txn, own);
    return exposed;
}

int
pk_auth_pipeline_expose(pk_auth_t *self, pk_store_txn_t *txn, const char *pipeline,
                        const char *team, bool exposed)
{
    pk_key_t k;
    s_strkey(&k, pipeline, NULL);
    if (!pk_key_ok(&k))
        return -1;
    char *was = NULL;
    bool old = false;
    s_pipe_get(self, txn, &k, &was, &old);
    int rc = s_pipe_put(self, txn, &k, was ? was : team, exposed);
    free(was);
    return rc;
}

