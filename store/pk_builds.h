// pk_builds: pipelines, jobs and builds -- what the scheduler decided. The
// scheduler is the only writer (DESIGN.md: one writer per keyspace); anyone
// (control, the CLI, tests) may read through a transaction of its own.
//
// Keyspaces (keys are pk_key composites, values msgpack maps):
//   pipelines (str name) -> {source, vars (packed object, bin), set_ms, version}
//   jobs      (str pipeline, str job) -> {next_number, baseline {resource -> id}}
//   builds    (str pipeline, str job, u64 number) -> {number, status, attempt,
//             created_ms, started_ms, finished_ms, reason, versions {canonical
//             -> version id}, trigger, worker}
// A build's number is its job's next_number when it was created: numbers
// count per job from 1. The baseline is the newest version id of each
// resource the job got when the job was first stored, so a new job does not
// replay versions found before it existed. Build keys end in a big-endian
// number, so a reverse prefix scan lists a job's builds newest first.
// Values are decoded leniently (a missing field takes its zero value) so a
// newer scheduler may add fields.
#ifndef PK_BUILDS_H
#define PK_BUILDS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_store.h"

typedef struct _pk_builds_t pk_builds_t;

typedef struct {            // resource canonical -> version id, order kept
    size_t count;
    char **names;
    uint64_t *ids;
} pk_idmap_t;

typedef struct {
    char *source;           // pipeline text as set
    uint8_t *vars;          // packed msgpack object (may be NULL)
    size_t vars_size;
    int64_t set_ms;
    uint64_t version;       // 1 on the first set, +1 each time it is set again
} pk_pipeline_rec_t;

typedef struct {
    uint64_t next_number;   // the number the job's next build gets (from 1)
    pk_idmap_t baseline;
} pk_job_rec_t;

typedef struct {
    uint64_t number;
    char *status;           // pending | started | succeeded | failed | errored | cancelled
    uint32_t attempt;
    int64_t created_ms, started_ms, finished_ms;    // unix ms, 0 = not yet
    char *reason;           // may be NULL
    pk_idmap_t versions;
    char *trigger;          // version | passed | manual
    char *worker;           // may be NULL
} pk_build_t;

// Opens the keyspaces (before any transaction that uses them). NULL with
// *err_out (caller frees; may be NULL) on failure.
pk_builds_t *pk_builds_new(pk_store_t *store, char **err_out);
void pk_builds_destroy(pk_builds_t **self_p);

// Writers take a write transaction of the store; readers any transaction,
// or NULL for one of their own. Readers return copies: 0,
// PK_STORE_NOTFOUND or -1.
int pk_builds_pipeline_put(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                           const pk_pipeline_rec_t *rec);
int pk_builds_pipeline_get(pk_builds_t *self, pk_store_txn_t *txn, const char *name,
                           pk_pipeline_rec_t *out);
int pk_builds_job_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *job, const pk_job_rec_t *rec);
int pk_builds_job_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *job, pk_job_rec_t *out);
int pk_builds_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, const pk_build_t *build);
int pk_builds_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, uint64_t number, pk_build_t *out);
// A job's builds newest first, at most limit (0: all). *items_out (free with
// pk_builds_list_free) and *count_out; 0 or -1.
int pk_builds_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *job, size_t limit, pk_build_t **items_out, size_t *count_out);
void pk_builds_list_free(pk_build_t **items_p, size_t count);
// The job's newest build: 0, PK_STORE_NOTFOUND or -1.
int pk_builds_latest(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *job, pk_build_t *out);

void pk_build_clear(pk_build_t *build);
void pk_job_rec_clear(pk_job_rec_t *rec);
void pk_pipeline_rec_clear(pk_pipeline_rec_t *rec);

// Small map helpers.
void pk_idmap_set(pk_idmap_t *map, const char *name, uint64_t id);
// The id under name, or 0.
uint64_t pk_idmap_get(const pk_idmap_t *map, const char *name);
void pk_idmap_clear(pk_idmap_t *map);
bool pk_idmap_equal(const pk_idmap_t *a, const pk_idmap_t *b);

#endif
