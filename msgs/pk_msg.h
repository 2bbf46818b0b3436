// pk_msg: the message vocabulary of pikoci and its one generic codec.
//
// On the wire a message is two frames: a command (a short upper-case string,
// routable and loggable without decoding) and one msgpack map holding the
// fields. Every message type is a row in one table (pk_msg_table.c) listing
// its fields by name, type and offset in its C struct, and the encoder and
// decoder walk that table: adding a message is one struct here, one field
// list and one table row.
//
// Decoding is defensive because frames may come from the network: frames over
// PK_MSG_MAX_FRAME are refused, msgpack headers are validated before
// msgpack-c allocates anything (a 5-byte frame must not ask for gigabytes),
// unknown fields are ignored (newer peers may add some), and a missing
// required field or a field of the wrong type is an error.
#ifndef PK_MSG_H
#define PK_MSG_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>
#include <msgpack.h>

#define PK_MSG_MAX_FRAME (4u * 1024 * 1024)  // log chunks are <= 64 KiB; plans are small
#define PK_MSG_MAX_DEPTH 16

// Field value shapes
typedef struct {
    uint8_t *data;
    size_t size;
} pk_bytes_t;        // owned bytes (PK_F_BIN raw bytes, PK_F_RAW packed msgpack)

typedef struct {
    char **items;
    size_t count;
} pk_strs_t;         // owned list of owned strings

typedef struct {
    char **keys;
    char **values;
    size_t count;
} pk_kv_t;           // owned string map (env, versions, inputs), order kept

// Messages. Strings are owned by the struct once decoded; when encoding they
// are only read.
typedef struct {        // worker -> broker: I exist, this is what I can do and hold
    char *name;
    pk_strs_t tags;
    uint32_t slots;
    bool exclusive;
    pk_strs_t holding;  // "id:attempt" of work still running on this worker
    char *token;        // optional: the worker token (pk_tokens.h); a READY over
                        // the network without a listed one is refused
} pk_msg_ready_t;

typedef struct {        // actor or client -> broker: who I am (runners say READY instead)
    char *name;
    char *role;         // checker | scheduler | logsink | control | client
    char *token;        // optional: the server token, which a network peer needs
                        // for any role but client (pk_tokens.h)
} pk_msg_hello_t;

typedef struct {        // actor -> actor, routed by the broker to the role named in `to`
    char *to;           // scheduler | checker | logsink | control
    char *what;         // what happened or is asked: "versions.new", "check.now", ...
    pk_kv_t args;
    pk_bytes_t body;    // optional: packed msgpack
} pk_msg_signal_t;

typedef struct {        // worker -> broker, every second
    char *name;
    uint32_t slots_free;
    uint64_t seq;
} pk_msg_heartbeat_t;

typedef struct {        // either side: going away
    char *name;
    char *reason;
} pk_msg_disconnect_t;

typedef struct {        // scheduler/checker -> broker -> runner
    char *id;           // work id: "check:<pipeline>/<resource>:<n>" or "build:<p>/<j>/<n>"
    uint32_t attempt;   // fencing: reports carry (id, attempt); stale attempts are ignored
    char *kind;         // "check" | "build"
    pk_strs_t tags;
    uint64_t timeout_ms;
    pk_kv_t env;
    pk_bytes_t plan;    // packed msgpack: the resolved commands to run
    char *team;         // optional: the pipeline's team (absent: "main"); only
                        // workers of every team or of this one get it
    pk_kv_t secrets;    // optional: values of the server's secret store the plan
                        // names (plan "secrets" entries of type "pikoci"); never
                        // stored, never logged, masked by the runner
} pk_msg_work_t;

typedef struct {        // -> runner: stop this work
    char *id;
    uint32_t attempt;
    char *reason;
} pk_msg_cancel_t;

typedef struct {        // runner -> scheduler: work accepted and running
    char *id;
    uint32_t attempt;
    char *worker;
    uint64_t started_ms;
} pk_msg_started_t;

typedef struct {        // runner -> logsink: a chunk of output, as produced
    char *id;
    uint32_t attempt;
    uint32_t step;
    uint64_t seq;       // per (id, attempt), from 0, no gaps
    pk_bytes_t data;
} pk_msg_log_t;

typedef struct {        // logsink -> runner: you may send this many more chunks
    char *id;
    uint32_t attempt;
    uint32_t credits;
} pk_msg_credit_t;

typedef struct {        // runner -> scheduler: a step changed state
    char *id;
    uint32_t attempt;
    uint32_t step;
    char *kind;         // optional: get | task | put | notify | parallel | if | hook | ...
    char *name;
    char *status;       // started | succeeded | failed | errored | cancelled | skipped
    int64_t exit_code;
    uint64_t started_ms;
    uint64_t finished_ms;
    char *message;      // optional: "step timed out after 1m"
    pk_kv_t outputs;    // optional: exported GET_/TASK_ variables
    char *resource;     // optional, a put that succeeded: its resource ("type.name")
    pk_bytes_t versions;// optional, with resource: packed msgpack array of the version
                        // maps the put produced, oldest first (the last is the put's)
} pk_msg_step_t;

typedef struct {        // runner -> scheduler: the work ended
    char *id;
    uint32_t attempt;
    char *status;       // succeeded | failed | errored | cancelled
    int64_t exit_code;
    char *reason;       // optional
    uint64_t finished_ms;
} pk_msg_done_t;

typedef struct {        // runner -> checker: result of a check
    char *id;
    uint32_t attempt;
    char *resource;     // canonical "type.name"
    pk_bytes_t versions;// packed msgpack array of version maps, oldest first
    char *error;        // optional: why the check failed (then versions is empty)
    char *output;       // optional: the check's output, kept when it failed
} pk_msg_versions_t;

typedef struct {        // any actor -> bus: a state change, for monitors
    uint64_t seq;
    char *topic;        // "build.", "worker.", "resource.", "log.<build>"
    pk_bytes_t body;    // packed msgpack map
} pk_msg_event_t;

typedef struct {        // client -> control
    uint64_t rid;
    char *op;           // "pipelines.list", "trigger", ...
    pk_kv_t args;
    pk_bytes_t body;    // optional: larger arguments (a pipeline file)
    char *token;        // optional: the caller's API token (control authorises by it)
} pk_msg_request_t;

typedef struct {        // control -> client
    uint64_t rid;
    bool ok;
    char *error;        // optional
    pk_bytes_t body;    // optional: packed msgpack result
    bool denied;        // refused for who the caller is (no/bad token) or their role
} pk_msg_reply_t;

typedef enum {
    PK_MSG_READY,
    PK_MSG_HEARTBEAT,
    PK_MSG_DISCONNECT,
    PK_MSG_WORK,
    PK_MSG_CANCEL,
    PK_MSG_STARTED,
    PK_MSG_LOG,
    PK_MSG_CREDIT,
    PK_MSG_STEP,
    PK_MSG_DONE,
    PK_MSG_VERSIONS,
    PK_MSG_EVENT,
    PK_MSG_REQUEST,
    PK_MSG_REPLY,
    PK_MSG_HELLO,
    PK_MSG_SIGNAL,
    PK_MSG_COUNT
} pk_msg_type_t;

typedef struct {
    pk_msg_type_t type;
    union {
        pk_msg_ready_t ready;
        pk_msg_heartbeat_t heartbeat;
        pk_msg_disconnect_t disconnect;
        pk_msg_work_t work;
        pk_msg_cancel_t cancel;
        pk_msg_started_t started;
        pk_msg_log_t log;
        pk_msg_credit_t credit;
        pk_msg_step_t step;
        pk_msg_done_t done;
        pk_msg_versions_t versions;
        pk_msg_event_t event;
        pk_msg_request_t request;
        pk_msg_reply_t reply;
        pk_msg_hello_t hello;
        pk_msg_signal_t signal;
    };
} pk_msg_t;

// The table (pk_msg_table.c)
typedef enum {
    PK_F_STR,     // char *
    PK_F_U32,     // uint32_t
    PK_F_U64,     // uint64_t
    PK_F_I64,     // int64_t
    PK_F_BOOL,    // bool
    PK_F_BIN,     // pk_bytes_t, raw bytes (msgpack bin)
    PK_F_RAW,     // pk_bytes_t holding one packed msgpack object of any shape
    PK_F_STRS,    // pk_strs_t
    PK_F_KV       // pk_kv_t
} pk_field_type_t;

typedef struct {
    const char *name;
    pk_field_type_t type;
    size_t offset;      // within the message struct (so within pk_msg_t's union)
    bool required;
} pk_field_t;

typedef struct {
    const char *command;
    const pk_field_t *fields;
    size_t field_count;
} pk_msg_spec_t;

const pk_msg_spec_t *pk_msg_spec(pk_msg_type_t type);
const char *pk_msg_command(pk_msg_type_t type);
// -1 when cmd names no message
int pk_msg_type_from_command(const char *cmd, size_t len);

// Codec. encode appends the body map to out (msgpack_sbuffer_init'd by caller).
int pk_msg_encode(const pk_msg_t *msg, msgpack_sbuffer *out);
// Decode a body of the given type into msg (zeroed first). On error returns -1,
// leaves msg empty and writes a reason to err (errlen bytes, may be NULL).
int pk_msg_decode(pk_msg_type_t type, const void *data, size_t size, pk_msg_t *msg,
                  char *err, size_t errlen);
// Field-by-field equality (by the table)
bool pk_msg_equal(const pk_msg_t *a, const pk_msg_t *b);
// Free what decode (or a builder) allocated in msg, leaving it zeroed.
void pk_msg_clear(pk_msg_t *msg);

// Header validation without allocation: 0 when data is exactly one msgpack
// object whose containers each claim no more elements than bytes remain and
// nest at most PK_MSG_MAX_DEPTH deep; -1 otherwise.
int pk_msgpack_check(const void *data, size_t size, char *err, size_t errlen);

// zmq framing: [command][body]. send frees nothing. recv pops the two frames
// from zmsg (routing frames must already be popped) and decodes; -1 on a
// malformed message (counted by the caller), with the reason in err.
int pk_msg_send(void *sock, const pk_msg_t *msg);
zmsg_t *pk_msg_to_zmsg(const pk_msg_t *msg);
int pk_msg_from_zmsg(zmsg_t *zmsg, pk_msg_t *msg, char *err, size_t errlen);

// Helpers for building messages
void pk_strs_push(pk_strs_t *strs, const char *s);
void pk_kv_set(pk_kv_t *kv, const char *key, const char *value);
// Sets the (const char *key, const char *value) pairs in ap up to a NULL
// key; a pair with a NULL value is skipped (an option not given).
void pk_kv_set_va(pk_kv_t *kv, va_list ap);
const char *pk_kv_get(const pk_kv_t *kv, const char *key);
void pk_kv_clear(pk_kv_t *kv);     // frees the strings, leaves an empty map

#endif
