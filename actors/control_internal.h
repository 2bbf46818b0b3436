// control_internal: what control_lookup.c, control_queries.c and
// control_overview.c share --
// the queries' state and the lookups that turn request arguments into
// stored records, with user-facing errors ("did you mean") -- and the
// pipeline.set fetch that control.c runs in a thread (control_fetch.c).
#ifndef CONTROL_INTERNAL_H
#define CONTROL_INTERNAL_H
#include <stdatomic.h>
#include <string.h>
#include "pk_audit.h"
#include "pk_auth.h"
#include "pk_builds.h"
#include "pk_control.h"
#include "pk_pipeline.h"
#include "pk_versions.h"
#include "pk_throttle.h"

struct _pk_control_queries_t {
    pk_store_t *store;
    pk_builds_t *builds;
    pk_versions_t *versions;
    zhash_t *defs;                  // pipeline name -> parsed definition (control_lookup.c)
    // which pipelines the caller may see in lists ("pipelines", "overview"):
    // set by control for each request; NULL shows every one
    bool (*visible)(void *arg, const char *pipeline);
    void *visible_arg;
    pk_auth_t *auth;                // the pipelines' teams and exposure (NULL: none kept)
    bool redact;                    // the caller reads as the public: no source or vars
};

// One query being answered: a read transaction, the request's arguments,
// the reply being packed and where an error goes.
typedef struct {
    pk_control_queries_t *self;
    pk_store_txn_t *txn;
    const pk_kv_t *args;
    msgpack_packer pk;
    char **error;
} ctl_q_t;

// Set *q->error and return 1.
int ctl_fail(ctl_q_t *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ctl_store_fail(ctl_q_t *q);

// An argument, NULL when absent or empty.
const char *ctl_arg(ctl_q_t *q, const char *name);
// An optional unsigned decimal argument: 0 (absent: *out = dflt), or 1.
int ctl_uint_arg(ctl_q_t *q, const char *name, uint64_t dflt, uint64_t *out);

// The lookups: 0, or 1 with the error set. What they return is the
// caller's (rec: pk_pipeline_rec_clear, build: pk_build_clear) except the
// definition, which the cache keeps.
int ctl_pipeline(ctl_q_t *q, const char **name_out, pk_pipeline_rec_t *rec,
                 pk_pipeline_t **def_out);
int ctl_job(ctl_q_t *q, const char *pipeline, const pk_pipeline_t *def, const char **job_out);
int ctl_resource(ctl_q_t *q, const char *pipeline, const pk_pipeline_t *def,
                 const pk_resource_t **out);
int ctl_build(ctl_q_t *q, const char *pipeline, const char *job, bool newest_if_absent,
              pk_build_t *out);

// Pack one resource's definition, check state and pin (control_queries.c);
// with_pipeline adds its pipeline's name.
void ctl_pack_resource(ctl_q_t *q, const char *pipeline, const pk_resource_t *r,
                       bool with_pipeline);
// The pairs every answer about a build starts with (pipeline, job, number,
// status, attempt, times, reason, trigger, worker); the caller's map counts
// CTL_BUILD_HEAD_PAIRS for them (control_queries.c).
#define CTL_BUILD_HEAD_PAIRS 11
void ctl_pack_build_head(msgpack_packer *pk, const char *pipeline, const char *job,
                         const pk_build_t *b);

// The "overview" query (control_overview.c).
int ctl_q_overview(ctl_q_t *q);
// The "graph" query (control_graph.c).
int ctl_q_graph(ctl_q_t *q);
// An already packed object as it is, or nil when there is none or it is not
// exactly one object (control_queries.c).
void ctl_raw(msgpack_packer *pk, const void *data, size_t size);
// Does pipeline's job say allow_failure? 0 with *out, or 1 when there is no
// such pipeline or job (the owner says so in its words).
int ctl_job_allows_failure(pk_control_queries_t *self, const char *pipeline, const char *job,
                           bool *out);
// Is the job's pause flag set (the pipeline's pause sets every job's)?
bool ctl_job_paused(ctl_q_t *q, const char *pipeline, const char *job);
// The "store" query (control_store.c).
int ctl_q_store(ctl_q_t *q);

// The pipeline.sets whose types are being fetched, each by an actor of its
// own (control_fetch.c) with flags as the scheduler's load_sources flags,
// so nobody who schedules waits on the network. A set that is ready
// carries the body to forward: the client's with `types` (what was
// fetched) or `errors` (the scheduler's wording of why it is not valid).
#define CTL_SETS_MAX 16             // being fetched at once; more are refused
typedef struct _ctl_sets_t ctl_sets_t;
typedef struct {
    uint64_t rid;                   // the client's request id
    zframe_t *client;               // the client's routing id
    pk_kv_t args;                   // the request's
    uint8_t *body;                  // to forward, once fetched
    size_t body_size;
    zactor_t *fetch;                // NULL once it answered
    atomic_int abort;               // raised to stop the fetch (control stopping)
} ctl_set_t;

ctl_sets_t *ctl_sets_new(int flags);
// Stops the fetches still running and waits for them (a second at most).
void ctl_sets_destroy(ctl_sets_t **self_p);
// Start fetching q's set, taking *client: 0, or -1 (too many, or no
// thread) with *client left.
int ctl_sets_start(ctl_sets_t *self, const pk_msg_request_t *q, zframe_t **client);
// Fill items (room for CTL_SETS_MAX) with the running fetches' pipes: how many.
int ctl_sets_items(ctl_sets_t *self, zmq_pollitem_t *items);
// After the poll, with those items: take the answers in.
void ctl_sets_answered(ctl_sets_t *self, const zmq_pollitem_t *items, int n);
// The next set to forward (fetched, and no set of its pipeline asked for
// before it still fetching), or NULL. Caller destroys.
ctl_set_t *ctl_sets_next(ctl_sets_t *self);
void ctl_set_destroy(ctl_set_t **self_p);

// store.backup: a hot copy of the store in a thread of its own
// (control_backup.c), one at a time. control polls its pipe with the rest.
typedef struct _ctl_backup_t ctl_backup_t;
typedef struct {
    uint64_t rid;                   // the client's request id
    zframe_t *client;               // the client's routing id
    char *path, *user;
    bool ok;
    uint64_t bytes;                 // the file's size
    int64_t ms;                     // how long the copy took
    char *error;
} ctl_backup_result_t;
ctl_backup_t *ctl_backup_new(pk_store_t *store);
// Waits for a running copy to end.
void ctl_backup_destroy(ctl_backup_t **self_p);
// Start copying to path for client, taking *client: 0, or -1 with *error
// (caller frees; one is running already, a relative path) and *client left.
int ctl_backup_start(ctl_backup_t *self, const char *path, const char *user, uint64_t rid,
                     zframe_t **client, char **error);
// Fill items[0] with the running copy's pipe: 1, or 0 when idle.
int ctl_backup_items(ctl_backup_t *self, zmq_pollitem_t *items);
// After the poll: true with *r (ctl_backup_result_clear it) when the copy ended.
bool ctl_backup_done(ctl_backup_t *self, const zmq_pollitem_t *items, int n,
                     ctl_backup_result_t *r);
void ctl_backup_result_clear(ctl_backup_result_t *r);

// Drop the names q->self->visible refuses (freeing them), keeping the order.
void ctl_filter_names(ctl_q_t *q, char **names, size_t *n);

// --- identity (control_auth.c)

#define CTL_DEFAULT_TEAM "main"
typedef struct _ctl_auth_t ctl_auth_t;

typedef struct {
    char *user;                     // NULL: anonymous
    bool admin;                     // global admin
    bool service;                   // the server's own in-process clients
    char token_id[PK_AUTH_TOKEN_ID_LEN + 1];
} ctl_who_t;

ctl_auth_t *ctl_auth_new(pk_store_t *store, const char *service_token, char **err);
void ctl_auth_destroy(ctl_auth_t **self_p);
pk_auth_t *ctl_auth_store(ctl_auth_t *self);
void ctl_who_clear(ctl_who_t *who);
// Who presents token: 0 with *who (clear it), or 1 with *error (caller
// frees) saying why not -- no token, or one revoked/expired/unknown.
int ctl_auth_identify(ctl_auth_t *self, const char *token, ctl_who_t *who, char **error);
// who's role in team (a global admin is an admin everywhere).
pk_role_t ctl_auth_role(ctl_auth_t *self, const ctl_who_t *who, const char *team);
// The team pipeline belongs to: its record, else "main". Caller frees.
char *ctl_auth_pipeline_team(ctl_auth_t *self, const char *pipeline);

// --- who may do what (control_access.c)

// control's own request argument: the team a new pipeline was given when
// its first set was authorised (never forwarded to the owner)
#define CTL_CLAIMED "_claimed"
// Is op in the access table (every op control knows)?
bool ctl_access_known(const char *op);
// Is op one the broker answers itself once control authorised it?
bool ctl_access_broker_op(const char *op);
// May op be asked without a token (login)?
bool ctl_access_anonymous(const char *op);
// Is op a read an anonymous caller may ask (of an exposed pipeline)?
bool ctl_access_public_read(const char *op);
// May who do q's op with q's arguments? 0 with *team_out (caller frees; the
// team concerned, NULL for none; a new pipeline's set also gets CTL_CLAIMED
// in q's args), or 1 with *error (caller frees) saying why not.
int ctl_authorise(ctl_auth_t *auth, pk_builds_t *builds, pk_msg_request_t *q,
                  const ctl_who_t *who, char **team_out, char **error);
// What ctl_authorise's table cannot say, asked after it said yes: marking a
// build as warning (build.warning) needs maintain in team unless the job has
// allow_failure (then write, the table's row, is enough). 0, or 1 with
// *error (caller frees).
int ctl_authorise_job(ctl_auth_t *auth, pk_control_queries_t *queries,
                      const pk_msg_request_t *q, const ctl_who_t *who, const char *team,
                      char **error);

// The ops control answers itself from the identity keyspaces and the audit
// log (control_admin.c): login, logout, whoami, tokens.*, users.*, teams.*,
// audit. Is op one of them?
bool ctl_is_admin_op(const char *op);
// Answer it for who (already allowed by control's table): 0 with the
// result in out, or 1 with *error. Changes are audited here.
int ctl_admin(ctl_auth_t *auth, pk_audit_t *audit, const char *op, const pk_kv_t *args,
              const ctl_who_t *who, const char *token, msgpack_sbuffer *out, char **error);

// --- login (control_login.c): passwords verified off control's thread

#define CTL_LOGIN_VERIFIERS_MAX 8   // verifier threads at most
typedef struct _ctl_login_t ctl_login_t;
typedef struct {
    uint64_t rid;                   // the client's request id
    zframe_t *client;               // the client's routing id
    bool ok;
    char *error;                    // when not ok: the refusal
    msgpack_sbuffer body;           // when ok: the token
} ctl_login_result_t;
// verifiers threads (0: 2), queue logins verifying or waiting at most (0:
// 16), throttle per user name (failures 0: the default 5; < 0: none).
ctl_login_t *ctl_login_new(ctl_auth_t *auth, pk_audit_t *audit, int verifiers, int queue,
                           const pk_throttle_config_t *throttle);
// Waits for the verifications running (tens of ms); the waiting ones are dropped.
void ctl_login_destroy(ctl_login_t **self_p);
// Start q's login, taking *client: 0 (answered later by ctl_login_next), or
// 1 with *error (caller frees; answer it now: a refusal) and *client left.
int ctl_login_start(ctl_login_t *self, const pk_msg_request_t *q, zframe_t **client,
                    char **error);
// Fill items (room for CTL_LOGIN_VERIFIERS_MAX) with the verifiers' pipes.
int ctl_login_items(ctl_login_t *self, zmq_pollitem_t *items);
// After the poll, with those items: take the verdicts in, start the next.
void ctl_login_answered(ctl_login_t *self, const zmq_pollitem_t *items, int n);
// A finished login to answer (ctl_login_result_clear it): true, or false.
bool ctl_login_next(ctl_login_t *self, ctl_login_result_t *r);
void ctl_login_result_clear(ctl_login_result_t *r);
// Make the token of a login whose password was verified (control_admin.c).
int ctl_login_issue(ctl_auth_t *auth, pk_audit_t *audit, const pk_kv_t *args,
                    msgpack_sbuffer *out, char **error);

// Packing helpers the queries share: a string or nil, and key/value pairs.
static inline void
ctl_str(msgpack_packer *pk, const char *s)
{
    if (s)
        msgpack_pack_str_with_body(pk, s, strlen(s));
    else
        msgpack_pack_nil(pk);
}

static inline void
ctl_kstr(msgpack_packer *pk, const char *key, const char *value)
{
    ctl_str(pk, key);
    ctl_str(pk, value);
}

static inline void
ctl_kint(msgpack_packer *pk, const char *key, int64_t value)
{
    ctl_str(pk, key);
    msgpack_pack_int64(pk, value);
}

static inline void
ctl_kbool(msgpack_packer *pk, const char *key, bool value)
{
    ctl_str(pk, key);
    value ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
}

#endif
