// top_model_internal: the model's state, shared by top_model.c (snapshots,
// panels) and top_model_events.c (events), with the helpers both use.
#ifndef TOP_MODEL_INTERNAL_H
#define TOP_MODEL_INTERNAL_H
#include "top_model.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    bool paused;
    size_t job_count;
    char **jobs;
    bool *jobs_paused;
} top_pipe_t;

typedef struct {
    const void **items;
    size_t count, cap;
} top_rows_t;

struct _top_model_t {
    top_build_t **active;           // unfinished, oldest first
    size_t active_count, active_cap;
    top_build_t *done[TOP_MODEL_HISTORY];   // finished, newest first
    size_t done_count;
    top_worker_t *workers;
    bool *exclusive;                // per worker: takes only tagged work
    size_t worker_count;
    top_resource_t *res;
    size_t res_count;
    top_pipe_t *pipes;
    size_t pipe_count;
    int64_t skew_ms;                // server clock - local clock
    int64_t minute[TOP_MODEL_MINUTES];  // bucket i counts minute[i] (unix minutes)
    int per_minute[TOP_MODEL_MINUTES];
    char *filter;
    bool stale;
    uint64_t version, rows_version;
    top_rows_t run, queue, fin, wrk, rsc;
};

// Reply fields: NULL / 0 / false when absent or of another kind.
const char *top_model_str(const pk_value_t *o, const char *key);
int64_t top_model_int(const pk_value_t *o, const char *key);
bool top_model_bool(const pk_value_t *o, const char *key);
char *top_model_dup(const char *s);
// Replace a string field (a copy of value, or NULL).
void top_model_set_str(char **field, const char *value);
// Builds are found by a hash of pipeline/job/number, then compared.
uint64_t top_model_key(const char *pipeline, const char *job, const char *number);
bool top_model_same(const top_build_t *b, uint64_t key, const char *pipeline, const char *job,
             const char *number);
// Keep b (owned) as the newest finished build; count it in its minute.
void top_model_done_push(top_model_t *self, top_build_t *b);
void top_model_count_finish(top_model_t *self, int64_t finished_ms);
top_pipe_t *top_model_pipe(top_model_t *self, const char *name);

#endif
