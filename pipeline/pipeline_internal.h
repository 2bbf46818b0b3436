// pipeline_internal: what the pipeline decoder files share and nobody else
// sees. A pk_dec_t carries the pipeline under construction, the diagnostics
// list and the evaluation context (var, and each while a for_each instance
// is decoded). Getters evaluate an attribute, convert it the way HCL's type
// conversion does (numbers and "true"/"false" strings are accepted where a
// string/number/bool is expected) and report a positioned error otherwise,
// so each block decoder is a list of calls rather than type plumbing.
#ifndef PIPELINE_INTERNAL_H
#define PIPELINE_INTERNAL_H
#include "pk_pipeline.h"
#include "pk_hcl.h"

// Name -> array position hash index (pipeline_index.c); keys are borrowed
// from the model, whose strings never move.
typedef struct {
    size_t cap, count;
    const char **keys;
    size_t *values;
} pk_name_index_t;

typedef enum {
    PK_INDEX_VARIABLES, PK_INDEX_RESOURCE_TYPES, PK_INDEX_RESOURCES, PK_INDEX_RUNNER_TYPES,
    PK_INDEX_SECRET_TYPES, PK_INDEX_SERVICE_TYPES, PK_INDEX_NOTIFICATION_TYPES,
    PK_INDEX_NOTIFICATIONS, PK_INDEX_JOBS, PK_INDEX_GROUPS, PK_INDEX_COUNT
} pk_index_kind_t;

// What pk_pipeline_t.priv points to.
typedef struct {
    pk_hcl_file_t *file;
    pk_hcl_file_t **sources;            // definitions of sourced types (pipeline_sources.c)
    size_t source_count;
    pk_name_index_t index[PK_INDEX_COUNT];
    size_t indexed[PK_INDEX_COUNT];     // array elements already in each index
} pk_pipeline_priv_t;

int pk_name_index_put(pk_name_index_t *ix, const char *key, size_t value);
bool pk_name_index_get(const pk_name_index_t *ix, const char *key, size_t *value);
void pk_name_index_clear(pk_name_index_t *ix);
// Position of the element named `name` (jobs: by name; groups: the first
// instance of a for_each group), SIZE_MAX when absent.
size_t pk_pipeline_find(const pk_pipeline_t *self, pk_index_kind_t kind, const char *name);
void pk_pipeline_index_all(pk_pipeline_t *self);
void pk_pipeline_index_clear(pk_pipeline_priv_t *priv);

typedef struct {
    pk_pipeline_t *p;
    pk_diags_t *diags;
    pk_hcl_ctx_t *ctx;          // current evaluation context (never NULL)
    pk_hcl_file_t *file;
    bool syntax_errors;         // the HCL parse failed: cross-reference checks are skipped
    pk_strlist_t broken_jobs;   // job blocks whose for_each/matrix failed: not "undefined"
    bool too_many_jobs;         // the job limit was reported (once: 20,000 jobs are not
                                // 10,000 errors, whose answer would outgrow a message)
} pk_dec_t;

// An allowed nested block: its type and how many labels it takes.
typedef struct {
    const char *name;
    int min_labels, max_labels;
    const char *labels;         // for messages: "name", "type and name", "runner"
} pk_block_spec_t;

// Body schema checks: every attribute not in attrs (NULL = any attribute is
// allowed) and every block not in blocks (terminated by {NULL}) is reported
// with a "did you mean"; wrong label counts too. `where` describes the
// enclosing block for messages (NULL at top level).
void pk_dec_check_body(pk_dec_t *d, const pk_hcl_body_t *body, const char *where,
                       const char *const *attrs, const pk_block_spec_t *blocks);
// The spec of b when its type is known and its label count fits, else NULL.
const pk_block_spec_t *pk_dec_block_spec(const pk_block_spec_t *blocks, const pk_hcl_block_t *b);
// `get "git" "app"` (caller frees).
char *pk_dec_where(const pk_hcl_block_t *b);
char *pk_dec_strdup(const char *s);     // NULL-safe strdup
char *pk_dec_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// "string \"x\"", "number 3", "a list", ... for type error messages (caller frees).
char *pk_dec_describe(const pk_value_t *v);

// Attribute getters: 1 when present and valid, 0 when absent, -1 after an error.
pk_value_t *pk_dec_eval(pk_dec_t *d, const pk_hcl_attr_t *attr);
int pk_dec_string(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, char **out);
int pk_dec_bool(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, bool *out);
int pk_dec_int(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, int min, int *out);
int pk_dec_duration(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, int64_t *out_ms);
int pk_dec_strlist(pk_dec_t *d, const pk_hcl_body_t *body, const char *name, pk_strlist_t *out);
// Names and tags are slugs (pk_slug_valid): an error at range naming the
// rule otherwise. what: "job name", "resource name"; tags: "tag of job \"x\"".
void pk_dec_check_name(pk_dec_t *d, const char *what, const char *name, pk_range_t range);
void pk_dec_check_tags(pk_dec_t *d, const char *owner, const pk_strlist_t *tags);
// Object of every attribute of body not named in skip (NULL-terminated),
// each value required to be a string, number or bool (args may be a list of
// those when allow_args). Never NULL except out of memory.
pk_value_t *pk_dec_attrs_object(pk_dec_t *d, const pk_hcl_body_t *body, const char *const *skip,
                                bool allow_args);
// Value conversions (no diagnostics): 0 ok, -1 not convertible.
int pk_dec_to_bool(const pk_value_t *v, bool *out);
int pk_dec_to_number(const pk_value_t *v, double *out);
char *pk_dec_to_string(const pk_value_t *v);    // NULL for null/containers

// `OP "RUNNER" { attrs }`; attributes named in skip are left out of attrs.
pk_command_t *pk_dec_command(pk_dec_t *d, const pk_hcl_block_t *b, const char *const *skip);
void pk_command_destroy(pk_command_t **self_p);
void pk_strlist_clear(pk_strlist_t *list);
int pk_strlist_add(pk_strlist_t *list, const char *s);
bool pk_strlist_has(const pk_strlist_t *list, const char *s);
// Append to a pointer array (grows by doubling); -1 when out of memory.
int pk_dec_push(void ***items, size_t *count, void *item);
// Copy diags of src into dst unless an identical one (range + message) is
// among dst's entries from index `from` on.
void pk_dec_merge_diags(pk_diags_t *dst, size_t from, const pk_diags_t *src);

// Block families (pipeline_vars.c, pipeline_types.c, pipeline_resources.c,
// pipeline_jobs.c, pipeline_steps.c).
void pk_dec_variables(pk_dec_t *d, const pk_hcl_body_t *root, const pk_value_t *vars);
void pk_dec_variable_destroy(pk_variable_t **self_p);
void pk_dec_type_block(pk_dec_t *d, const pk_hcl_block_t *b);
// Fills a type (kind "resource_type", ...) from the block `def` of its
// source's definition: commands, and params/cache unless the pipeline set them.
void pk_dec_type_definition(pk_dec_t *d, const char *kind, void *type, const pk_hcl_block_t *def);

void pk_dec_types_destroy(pk_pipeline_t *p);
void pk_dec_resource(pk_dec_t *d, const pk_hcl_block_t *b);
void pk_dec_notification(pk_dec_t *d, const pk_hcl_block_t *b);
void pk_dec_resources_destroy(pk_pipeline_t *p);
void pk_dec_job(pk_dec_t *d, const pk_hcl_block_t *b);
void pk_dec_job_destroy(pk_job_t **self_p);

typedef enum { PK_STEPS_PLAN, PK_STEPS_PARALLEL, PK_STEPS_HOOK, PK_STEPS_TRIGGER } pk_steps_ctx_t;
// Block specs of every plan step kind and of the step hooks, for schemas.
#define PK_DEC_STEP_SPECS \
    { "get", 2, 2, "type and name" }, { "task", 1, 1, "name" }, \
    { "put", 2, 2, "type and name" }, { "notify", 2, 2, "type and name" }, \
    { "service", 1, 1, "service type" }, { "in_parallel", 0, 0, NULL }, \
    { "if", 1, 1, "name" }, { "else_if", 1, 1, "name" }, { "else", 0, 0, NULL }
#define PK_DEC_HOOK_SPECS \
    { "on_success", 0, 1, "the runner" }, { "on_failure", 0, 1, "the runner" }, \
    { "on_cancel", 0, 1, "the runner" }, { "ensure", 0, 1, "the runner" }
// Decodes the step blocks of body, in order, ignoring other block types.
void pk_dec_steps(pk_dec_t *d, const pk_hcl_body_t *body, pk_steps_ctx_t ctx, pk_steps_t *out);
// Decodes hook blocks (on_success, ..., on_trigger) of body into hooks[].
void pk_dec_hooks(pk_dec_t *d, const pk_hcl_body_t *body, pk_hooks_t *hooks, size_t nkinds);
void pk_dec_steps_clear(pk_steps_t *steps);
void pk_dec_hooks_clear(pk_hooks_t *hooks, size_t nkinds);
extern const char *const pk_dec_hook_names[PK_HOOK_COUNT];

// Cross-reference validation (pipeline_validate.c), after decoding.
void pk_pipeline_validate(pk_dec_t *d);

#endif
