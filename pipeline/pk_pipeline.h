// pk_pipeline: the pipeline model, decoded from one HCL file in PikoCI's
// dialect and validated (every error at once, "file:line:col: error: ...").
//
// Shape: a pk_pipeline_t owns everything below it; all structs here are plain,
// read-only for users (runner, scheduler, checker), and live until
// pk_pipeline_destroy. Elements are arrays of pointers so a pointer taken to
// one element stays valid. Every element keeps its source range; the file
// name inside a range is owned by the pipeline (it also owns the HCL AST), so
// a pk_diags_t filled by pk_pipeline_parse must be printed before the
// pipeline is destroyed.
//
// What decoding settles for later code: variables are resolved (secret-backed
// ones become placeholder strings, see pk_pipeline_secret_placeholder);
// attribute expressions are evaluated (`var.*`, `each.*`, functions), so
// commands hold plain values; for_each/matrix jobs are expanded into one
// pk_job_t per instance; if/else_if/else chains are one PK_STEP_IF step with
// branches; built-in types a pipeline uses without declaring (runners exec,
// shell, docker; resource types git, cron, fs, trigger, artifact; secret type
// file) get an implicit declaration `source = "pikoci://NAME"`, flagged
// `implicit`, so every reference resolves to a declaration.
#ifndef PK_PIPELINE_H
#define PK_PIPELINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_diag.h"
#include "pk_value.h"
#include "pk_condition.h"

typedef struct {
    size_t count;
    char **items;           // count strings, then a NULL (items is NULL when count is 0)
    pk_range_t range;       // the attribute's expression
} pk_strlist_t;

// `OP "RUNNER" { ... }`: check/pull/push/get/notify/start/stop/ready_check,
// a task's run, a labelled hook, a type-level runner override.
typedef struct {
    char *op;               // block type as written: "check", "run", "on_failure", "runner", ...
    char *runner;           // runner_type name (the label)
    pk_value_t *attrs;      // object of evaluated attributes: path, args (a list of
                            // strings), cmd, image, file, shell, any other (primitives)
    pk_range_t range;       // whole block
    pk_range_t runner_range;
} pk_command_t;

typedef enum { PK_VAR_STRING, PK_VAR_NUMBER, PK_VAR_BOOL } pk_var_type_t;

typedef struct {
    char *name;
    pk_var_type_t type;
    pk_value_t *default_value;  // NULL when none
    char *secret_type;          // NULL unless a `secret "TYPE" {}` block is given
    char *secret_path;          // NULL when not given; path and key are evaluated and may
    char *secret_key;           // hold placeholders of other secret-backed variables
    pk_value_t *value;          // resolved value used for var.NAME (never NULL)
    bool is_placeholder;        // value is pk_pipeline_secret_placeholder(name)
    pk_range_t range;
    pk_range_t secret_range;    // the secret block's type label
} pk_variable_t;

typedef struct {
    char *name;
    char *source;               // "pikoci://NAME" or an http(s) URL; NULL when inline
    pk_strlist_t params;        // params the type accepts (only these reach $param_*)
    bool cache;
    pk_command_t *check, *pull, *push;  // NULL when absent
    pk_command_t *runner;       // type-level runner override, NULL when none
    bool implicit;              // built-in used without a declaration
    pk_range_t range;
} pk_resource_type_t;

typedef struct {
    char *type, *name;
    char *canonical;            // "type.name"
    pk_value_t *params;         // object (empty when none)
    char *check_interval;       // "@every 1m" when unset
    pk_strlist_t tags;
    int cache;                  // -1 unset (the type decides), 0, 1
    char *webhook_secret;       // NULL when unset
    pk_range_t range;
    pk_range_t type_range;      // the type label
} pk_resource_t;

typedef struct {
    char *name;
    char *source;               // NULL when `run` is given
    char *run_path;             // run { path, args }: elements expanded at run time
    pk_strlist_t run_args;
    bool implicit;
    pk_range_t range;
} pk_runner_type_t;

typedef struct {
    char *name;
    char *source;
    pk_strlist_t params;
    pk_value_t *config;         // every other attribute ($param_<attr>), an object
    pk_command_t *get;
    pk_command_t *runner;
    bool implicit;
    pk_range_t range;
} pk_secret_type_t;

typedef struct {
    char *name;
    char *source;
    pk_strlist_t params;
    pk_command_t *start, *ready_check, *stop;   // ready_check's attrs exclude interval/timeout
    int64_t ready_interval_ms;  // default 1000
    int64_t ready_timeout_ms;   // default 60000
    pk_command_t *runner;
    pk_range_t range;
} pk_service_type_t;

typedef struct {
    char *name;
    char *source;
    pk_strlist_t params;
    pk_command_t *notify;
    pk_command_t *runner;
    pk_range_t range;
} pk_notification_type_t;

enum { PK_NOTIFY_ON_SUCCESS = 1, PK_NOTIFY_ON_FAILURE = 2, PK_NOTIFY_ON_CANCEL = 4 };

typedef struct {
    char *type, *name;
    char *canonical;            // "type.name"
    pk_value_t *params;         // object
    char *message;              // NULL when unset
    int on;                     // PK_NOTIFY_ON_* bits; 0 = manual only
    pk_strlist_t jobs;          // at most one of jobs/exclude is non-empty
    pk_strlist_t exclude;
    pk_range_t range;
    pk_range_t type_range;      // the type label
} pk_notification_t;

typedef enum {
    PK_STEP_GET, PK_STEP_TASK, PK_STEP_PUT, PK_STEP_NOTIFY, PK_STEP_SERVICE,
    PK_STEP_IN_PARALLEL, PK_STEP_IF
} pk_step_kind_t;

typedef enum { PK_HOOK_ON_SUCCESS, PK_HOOK_ON_FAILURE, PK_HOOK_ON_CANCEL, PK_HOOK_ENSURE,
               PK_HOOK_ON_TRIGGER, PK_HOOK_COUNT } pk_hook_kind_t;

typedef struct _pk_step_t pk_step_t;

typedef struct {
    size_t count;
    pk_step_t **items;
} pk_steps_t;

// One hook block: labelled = a command, unlabelled = steps (task/put/notify).
typedef struct {
    pk_command_t *command;      // NULL for the unlabelled form
    pk_steps_t steps;
    pk_range_t range;
} pk_hook_t;

typedef struct {
    size_t count;
    pk_hook_t **items;          // in source order; several blocks of a kind may appear
} pk_hooks_t;

// One arm of an if/else_if/else chain.
typedef struct {
    char *name;                 // NULL for else
    char *condition;            // NULL for else
    pk_condition_t *cond;       // parsed condition, NULL for else or when it did not parse
    pk_steps_t steps;
    pk_range_t range;
} pk_branch_t;

struct _pk_step_t {
    pk_step_kind_t kind;
    char *type;                 // get/put/notify: the type label; service: the service_type
    char *name;                 // get/put/notify: resource/notification name; task: name;
                                // service: the service_type; if: the first branch's name;
                                // in_parallel: NULL
    char *canonical;            // get/put: "type.name" (resource); notify: notification canonical
    int64_t timeout_ms;         // 0 = none
    int attempts;               // >= 1
    pk_hooks_t hooks[PK_HOOK_ENSURE + 1];
    pk_range_t range;           // the whole block (if: the first branch's block)
    pk_range_t label_range;     // the labels, or the block type when it has none
    // get
    bool trigger;
    bool every_version;         // version = "every": each new version triggers a build
    bool latest_version;        // version = "latest" said: only the newest of those
                                // found (the default, but for a git pr = true resource)
    pk_strlist_t passed;        // as written: job names or for_each group names
    pk_strlist_t passed_jobs;   // expanded to concrete job (instance) names
    // task
    pk_command_t *run;
    pk_strlist_t inputs, outputs;
    // put / notify / service: the remaining attributes (put also merges `params {}`)
    pk_value_t *attrs;
    // in_parallel (steps) and if (branches)
    int limit;                  // 0 = unlimited
    bool fail_fast;
    pk_steps_t steps;
    size_t branch_count;
    pk_branch_t **branches;
};

typedef enum { PK_INPUT_STRING, PK_INPUT_NUMBER, PK_INPUT_BOOL } pk_input_type_t;

typedef struct {
    char *name;
    pk_input_type_t type;
    pk_value_t *default_value;  // NULL = required on a manual trigger
    pk_strlist_t options;       // empty = free value
    bool multiple;
    pk_range_t range;
} pk_input_t;

// A job's build_log_retention: builds beyond it keep their row (a summary)
// but lose their log and step records. 0 = no bound of that kind.
typedef struct {
    bool set;                   // the block was given
    int builds;                 // keep the newest N builds whole
    int days;                   // keep builds younger than D days whole
    int minimum_succeeded_builds;   // and at least M succeeded ones, however old
} pk_retention_t;

typedef struct {
    char *name;                 // concrete name: "test" or for_each instance "test--linux"
    char *group;                // the job block's label ("test")
    char *each_key;             // for_each instance key as given (NULL when not expanded)
    pk_value_t *each;           // { key, value } for instances, else NULL
    int concurrency;            // 0 = unlimited
    pk_strlist_t serial_groups;
    int64_t timeout_ms;
    pk_strlist_t tags;
    bool interruptible, allow_failure, disable_retry;
    char *approve_label;        // NULL when no approval gate
    int approvals;              // >= 1 when approve_label is set
    bool self_approve;          // may who triggered a build approve it (default true)
    size_t input_count;
    pk_input_t **inputs;
    pk_retention_t retention;
    pk_hooks_t hooks[PK_HOOK_COUNT];
    pk_steps_t plan;
    pk_range_t range;
} pk_job_t;

typedef struct _pk_pipeline_t pk_pipeline_t;
struct _pk_pipeline_t {
    char *filename;
    size_t variable_count, resource_type_count, resource_count, runner_type_count,
           secret_type_count, service_type_count, notification_type_count,
           notification_count, job_count;
    pk_variable_t **variables;
    pk_resource_type_t **resource_types;
    pk_resource_t **resources;
    pk_runner_type_t **runner_types;
    pk_secret_type_t **secret_types;
    pk_service_type_t **service_types;
    pk_notification_type_t **notification_types;
    pk_notification_t **notifications;
    pk_job_t **jobs;
    void *priv;                 // decoder state (HCL AST); not for users
};

// User-supplied variable values: an object built from the --vars JSON file
// (read first) and then "--var k=v" (wins). --var values stay strings and are
// converted to the variable's declared type when the pipeline is decoded.
// Returns NULL with *err (caller frees) on an unreadable or non-object JSON
// file, or a --var without "=" / with an empty name.
pk_value_t *pk_pipeline_vars_new(const char *vars_file, const char *const *kvs, size_t kv_count,
                                 char **err);

// Decode and validate. vars may be NULL. Errors and warnings go to diags,
// sorted by position. Returns NULL only when memory runs out (or, for
// _load, the file cannot be read: *err says why). A pipeline returned while
// pk_diags_errors(diags) > 0 is partial: print the diags, then destroy it.
pk_pipeline_t *pk_pipeline_parse(const char *filename, const char *src, size_t len,
                                 const pk_value_t *vars, pk_diags_t *diags);
pk_pipeline_t *pk_pipeline_load(const char *path, const pk_value_t *vars, pk_diags_t *diags,
                                char **err);
void pk_pipeline_destroy(pk_pipeline_t **self_p);

// What pk_pipeline_load_sources may fetch over the network (flags, or'ed).
// With none, nothing leaves the machine: built-in pikoci:// definitions are
// compiled in, and those never go to the network whatever the flags say.
enum {
    PK_SOURCES_HTTPS = 1,           // fetch `source = "https://..."` (and http://)
    PK_SOURCES_REMOTE_BUILTINS = 2  // a pikoci://NAME not built in is fetched from
                                    // BASE/<kind dir>/NAME.hcl (--allow-remote-types)
};
// BASE: PikoCI's own registry, unless $PIKOCI_REMOTE_TYPES_URL names another
// (a mirror). Kind dirs as PikoCI lays them out: resource_types, runners,
// secret_types, services, notification_types.
#define PK_SOURCES_REMOTE_BASE \
    "https://raw.githubusercontent.com/PikoCI/pikoci/master/pikoci/builtin"

// Loads the definitions of types declared with a `source` (runner types
// included): built-in ones (`pikoci://NAME`, compiled into pikoci) always;
// remote ones (fetched once, size and time capped) as flags allow. A
// pikoci://NAME neither built in nor allowed to be fetched is an error that
// lists the built-in names. Decoding never does I/O; whoever is about to run
// a pipeline (pikoci run, the server when a pipeline is set, pikoci validate
// unless --offline) calls this once after a clean decode. Errors and
// warnings go to diags; returns the errors added.
size_t pk_pipeline_load_sources(pk_pipeline_t *self, int flags, pk_diags_t *diags);
// The same, keeping what was fetched: kept (an object, may be NULL) maps
// "KIND SOURCE" to a definition's text. A source found there is used as is,
// whatever the flags (no fetch); what is fetched now is added. The server
// stores it with the pipeline, so a restart resolves nothing again.
size_t pk_pipeline_load_sources_kept(pk_pipeline_t *self, int flags, pk_value_t *kept,
                                     pk_diags_t *diags);
// A pipeline as the server takes it in (pipeline.set, a reload): text
// parsed as NAME.hcl with vars, then its sources loaded (flags and kept as
// above). NULL with *errors, a list of "file:line:col: error: message"
// strings (caller destroys), when it is not valid.
pk_pipeline_t *pk_pipeline_from_text(const char *name, const char *text, size_t len,
                                     const pk_value_t *vars, int flags, pk_value_t *kept,
                                     pk_value_t **errors);

// Lookups (NULL when absent).
const pk_variable_t *pk_pipeline_variable(const pk_pipeline_t *self, const char *name);
const pk_resource_type_t *pk_pipeline_resource_type(const pk_pipeline_t *self, const char *name);
const pk_resource_t *pk_pipeline_resource(const pk_pipeline_t *self, const char *canonical);
const pk_runner_type_t *pk_pipeline_runner_type(const pk_pipeline_t *self, const char *name);
const pk_secret_type_t *pk_pipeline_secret_type(const pk_pipeline_t *self, const char *name);
const pk_service_type_t *pk_pipeline_service_type(const pk_pipeline_t *self, const char *name);
const pk_notification_type_t *pk_pipeline_notification_type(const pk_pipeline_t *self,
                                                             const char *name);
const pk_notification_t *pk_pipeline_notification(const pk_pipeline_t *self,
                                                  const char *canonical);
const pk_job_t *pk_pipeline_job(const pk_pipeline_t *self, const char *name);

// The text a secret-backed variable holds until a runner resolves it:
// "((pikoci_secret:NAME))" (caller frees).
char *pk_pipeline_secret_placeholder(const char *var_name);
// for_each instance naming: lower-case, runs of characters outside
// [a-z0-9_-] become one "-", "-" and "_" trimmed at the ends (caller frees).
char *pk_pipeline_slug(const char *key);

#endif
