// pk_control: the control actor, the server side of every client REQUEST
// the broker does not answer itself (CONTRACT.md has the ops).
//
// It connects a DEALER to the broker and says HELLO{role "control"} (again
// every 5 s, so a restarted broker relearns it). The broker hands it
// [REQUEST][body][client id]; it answers [REPLY][body][client id].
//   queries   answered at once from the store, in one read transaction
//             (pk_builds, pk_versions, pk_logs; logs in bounded ranges)
//   commands  forwarded as SIGNAL{to "scheduler" (or "checker" for check),
//             what OP, args + ref, body}; the owner's SIGNAL{to "control",
//             what "reply", args {ref, ok, error}, body} becomes the REPLY.
//             No answer within forward_timeout_ms: a refusal saying so.
//   pipeline.set  first parsed and its type definitions fetched, in a thread
//             of its own (https:// sources; pikoci:// names not built in
//             when allow_remote_types), so the scheduler never waits on the
//             network; then forwarded with the body gaining `types`
//             ({"KIND SOURCE": text}, what was fetched) or, when the
//             pipeline is not valid, `errors` (the scheduler rejects with
//             them). forward_timeout_ms starts when it is forwarded; the
//             fetch is bounded by the fetch timeouts. Sets of one pipeline
//             are forwarded in the order asked; other commands are not
//             held (a trigger meanwhile meets the pipeline as it was).
//   login     the password verified in threads of control's own
//             (control_login.c), the client answered when that is done;
//             bounded, and throttled per user name after failed attempts.
//   secrets.set/list/rm  the server's secret store, control's own keyspace,
//             answered here (control_secrets.h); never a value in a reply.
// Anything else gets a refusal listing the known ops; bad arguments get a
// sentence saying which and why. Queries read the pipeline's definition
// (jobs, resources) from its stored source, parsed once per version.
//
// The "overview" query {pipeline?, recent?} is a monitor's snapshot (what
// pikoci-top starts from, then follows events): {now_ms (the server's
// clock), pipelines [{name, paused, jobs [{name, paused}]}], active
// [build], recent [build], resources [{pipeline, ...as "resources"}]}.
// active: every unfinished build, oldest first; recent: the newest
// finished ones (finished_ms, newest first; default 100, at most 1000).
// A build here is {pipeline, job, number, status, attempt, created_ms,
// started_ms, finished_ms, reason, trigger, worker, dispatched,
// approvals_needed, approvals, wait, step}: wait says why an unfinished
// build is not running ("pipeline paused", "job paused", "concurrency 2
// reached", "serial group G (J #N runs)", "serial group G (behind J #N)",
// "approval (0 of 1)", "waiting for a worker" once dispatched, "queued"),
// step the step a started build is at ("task unit"); both nil otherwise.
// With pipeline, only that pipeline (unknown: an error with "did you mean").
//
// The "graph" query {pipeline}: the pipeline as nodes (jobs with their
// newest build's status, resources with their newest version and pin) and
// edges (get, put, passed) for the web face and `pikoci graph`
// (control_graph.c has the shape). "jobs" gives each job's inputs,
// allow_failure, approval (label or nil), approvals, paused and latest.
// build.warning {pipeline, job, number} is forwarded to the scheduler; its
// role (write with allow_failure, else maintain) is checked here.
//
// The queries are also a plain library (pk_control_queries_*), so they can
// be run and tested without a broker.
#ifndef PK_CONTROL_H
#define PK_CONTROL_H
#include <czmq.h>
#include <msgpack.h>
#include "pk_curve.h"
#include "pk_msg.h"
#include "pk_store.h"
#include "pk_throttle.h"

typedef struct {
    const char *endpoint;         // broker endpoint (inproc:// or tcp://)
    pk_store_t *store;            // borrowed: must outlive the actor
    const char *name;             // HELLO name (default "control")
    int forward_timeout_ms;       // how long a command waits for its owner (default 10000)
    pk_curve_client_t curve;      // CURVE to a broker on another machine (optional)
    bool allow_remote_types;      // as the scheduler's: a pipeline set may fetch a
                                  // pikoci:// type not built in from the remote registry
    bool authenticate;            // check every request's token and role (pikoci server
                                  // always sets it; false: everyone may do anything,
                                  // for tests of the other ops)
    const char *service_token;    // accepted as user "system", a global admin: the
                                  // server's own in-process clients (http actor,
                                  // --pipeline-config). NULL: none.
    const uint8_t *secret_key;    // the secret store's 32-byte key (copied; NULL: the
                                  // store is off and secrets.* say secret_key_missing)
    const char *secret_key_missing;
    // login: passwords are verified by login_verifiers threads (0: 2), at
    // most login_queue logins verifying or waiting (0: 16; more are refused
    // at once); failed logins per user name back off (pk_throttle.h;
    // failures 0: the default 5, < 0: no backoff)
    int login_verifiers, login_queue;
    pk_throttle_config_t login_throttle;
} pk_control_config_t;

// First start: when the store has no user yet, create team "main", user
// "admin" (a global admin, no password) and an API token for it. 1 with
// *token_out (caller frees; shown once, only its hash is stored), 0 when
// users exist already, -1 with *err. Run before control starts (it is
// control's keyspace; nothing else writes it meanwhile).
int pk_control_bootstrap(pk_store_t *store, char **token_out, char **err);

// NULL when the config is unusable (no endpoint or store) or the store's
// keyspaces cannot be opened (the reason is logged). Pipe commands:
//   "$TERM"; "STATUS" -> "ok";
//   "CONNECTED" -> "yes" once the broker has answered since our HELLO (so
//                  REQUESTs reach us), else "no";
//   "STATS" -> "queries forwarded answered timeouts refused dropped denied"
//              (denied: refused for who the caller is or what they may do,
//              also counted in refused).
zactor_t *pk_control_new(const pk_control_config_t *config);

// --- the queries, without the actor

typedef struct _pk_control_queries_t pk_control_queries_t;

// NULL with *err (caller frees; may be NULL) when the keyspaces cannot be opened.
pk_control_queries_t *pk_control_queries_new(pk_store_t *store, char **err);
void pk_control_queries_destroy(pk_control_queries_t **self_p);

// Is op one of the queries?
bool pk_control_is_query(const char *op);
// Answer query op: 0 with the result packed into out (one object), or 1
// with *error (caller frees) saying what is wrong. out is the caller's
// (msgpack_sbuffer_init'd); on 1 it may hold a partial result.
int pk_control_query(pk_control_queries_t *self, const char *op, const pk_kv_t *args,
                     msgpack_sbuffer *out, char **error);

// The canonical "type.name" of a pipeline's resource given as "type.name"
// or as its bare name (when unique): 0 with *canonical, or 1 with *error
// (no such pipeline or resource, with a "did you mean"). Caller frees.
int pk_control_resource(pk_control_queries_t *self, const char *pipeline,
                        const char *resource, char **canonical, char **error);

// The names of every op control knows, NULL-terminated (queries and commands).
const char *const *pk_control_ops(void);

#endif
