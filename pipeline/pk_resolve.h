// pk_resolve: from the pipeline model to the plans a runner executes
// (actors/pk_plan.h documents the shape). Everything that depends only on
// the pipeline and the chosen versions is settled here -- runner types looked
// up, type-level runner overrides applied, $param_/$put_/$notify_ variables
// computed, hooks flattened to step lists -- so the runner needs no pipeline.
// What depends on the runner's machine ($WORKDIR, $CACHE_DIR, its own
// environment, exports of earlier steps) is left for the runner.
#ifndef PK_RESOLVE_H
#define PK_RESOLVE_H
#include "pk_pipeline.h"

typedef struct {
    const char *pipeline;       // BUILD_PIPELINE_NAME
    const char *team;           // BUILD_TEAM_NAME (default "main")
    const char *number;         // BUILD_NUMBER ("3", "3.1")
    const pk_value_t *versions; // object: resource canonical -> chosen version object
    const pk_value_t *inputs;   // object: input name -> value (manual trigger), may be NULL
    const pk_value_t *local;    // object: resource canonical -> local directory to use
                                // instead of pulling (pikoci run --resource), may be NULL
} pk_resolve_build_t;

// A build plan for job, or NULL with *err_out (caller frees).
pk_value_t *pk_resolve_build(const pk_pipeline_t *pipeline, const pk_job_t *job,
                             const pk_resolve_build_t *args, char **err_out);
// A check plan for resource; last_version may be NULL (first check).
pk_value_t *pk_resolve_check(const pk_pipeline_t *pipeline, const pk_resource_t *resource,
                             const char *pipeline_name, const pk_value_t *last_version,
                             char **err_out);
// Calls fn for every get step of a job, in plan order, hooks included (a
// resource got twice is reported twice).
typedef void (pk_resolve_get_fn)(const pk_step_t *get, void *arg);
void pk_resolve_each_get(const pk_job_t *job, pk_resolve_get_fn *fn, void *arg);
// The same walk for the steps of another kind (puts: the pipeline graph).
void pk_resolve_each_step(const pk_job_t *job, pk_step_kind_t kind, pk_resolve_get_fn *fn,
                          void *arg);

#endif
