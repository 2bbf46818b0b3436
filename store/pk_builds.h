// pk_builds: pipelines, jobs, builds, their steps and pins -- what the
// scheduler decided. The scheduler is the only writer (DESIGN.md: one writer
// per keyspace); anyone (control, the CLI, tests) may read through a
// transaction of its own.
//
// Keyspaces (keys are pk_key composites, values msgpack maps):
//   pipelines   (str name) -> {source, vars (packed object, bin), set_ms,
//               version, paused}
//   jobs        (str pipeline, str job) -> {next_number, baseline {resource
//               -> id}, paused}
//   builds      (str pipeline, str job, u64 number, u32 retry) -> {number,
//               retry, status, attempt, created_ms, started_ms, finished_ms,
//               reason, versions {canonical -> version id}, trigger, worker,
//               inputs (packed object, bin), approvals_needed, approvals,
//               dispatched, trimmed_ms}
//   build_steps (str pipeline, str job, u64 number, u32 retry, u32 step) ->
//               {step, kind, name, status, message, exit_code, started_ms,
//               finished_ms}
//   pins        (str pipeline, str resource) -> {version_id, pinned_ms}
// Indexes, kept by pk_builds_put in the transaction that writes the build
// (pk_builds_index.c), so each costs what it returns however long the
// history grows:
//   builds_open   (str pipeline, str job, u64 number, u32 retry) -> nil:
//                 the unfinished builds (pending, waiting_for_approval,
//                 started)
//   builds_passed (str pipeline, str resource, u64 version id, str job) ->
//                 nil: a succeeded (or warned) build of job used that version
//   pipeline_lives (str name) -> u64: the last life given to a pipeline of
//                 that name; it never goes back, so a pipeline removed and
//                 set again never shares a work id (hence a log key) with
//                 its earlier life
//   builds_meta   (str "indexes") -> u64: 1 once the indexes were built for
//                 a store written before them (pk_builds_migrate)
// A build is (pipeline, job, number, retry): number counts per job from 1
// (the job's next_number when it was created); retry 0 is the original
// build "3", retry M >= 1 its M-th retry "3.M". Build keys end in big-endian
// (number, retry), so a reverse prefix scan lists a job's builds newest
// number first, the retries of a number before the number itself.
// The baseline holds, per resource the job gets, the newest version id the
// scheduler has handled for the job (built, or skipped because the job was
// new or paused): versions above it are still to be handled, so a crash
// between the checker storing a version and the scheduler creating its
// build loses nothing and builds nothing twice.
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
    uint8_t *types;         // packed msgpack object: the type definitions
    size_t types_size;      // fetched when it was set (may be NULL)
    int64_t set_ms;
    uint64_t version;       // 1 on the first set, +1 each time it is set again
    bool paused;
    uint64_t life;          // 1 for the first pipeline of its name, +1 for each
                            // re-creation after a removal; 0 in a record
                            // written before lives (means 1). Set by put.
} pk_pipeline_rec_t;

typedef struct {
    uint64_t next_number;   // the number the job's next build gets (from 1)
    pk_idmap_t baseline;    // resource -> newest version id handled for the job
    bool paused;
} pk_job_rec_t;

typedef struct {
    uint64_t number;
    uint32_t retry;         // 0: the build "N"; M >= 1: "N.M"
    char *status;           // pending | waiting_for_approval | started | succeeded |
                            // failed | errored | cancelled | warning
    uint32_t attempt;       // the attempt its WORK carries (logs are read with it)
    int64_t created_ms, started_ms, finished_ms;    // unix ms, 0 = not yet
    char *reason;           // may be NULL
    pk_idmap_t versions;
    char *trigger;          // version | passed | manual | retry
    char *worker;           // may be NULL
    uint8_t *inputs;        // packed msgpack object {name: value}, or NULL
    size_t inputs_size;
    uint32_t approvals_needed, approvals;
    char *by;               // who triggered it (manual), NULL when unknown
    char *voters;           // who approved it, one name per line, NULL: nobody yet
    bool dispatched;        // its WORK was sent
    int64_t trimmed_ms;     // when retention removed its log and steps (0: whole)
} pk_build_t;

typedef struct {
    uint32_t step;
    char *kind, *name, *status, *message;   // may be NULL
    int64_t exit_code;
    int64_t started_ms, finished_ms;
} pk_build_step_t;

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
// Names of all stored pipelines, sorted; *names_out (free with
// pk_builds_names_free) and *count_out; 0 or -1.
int pk_builds_pipelines_list(pk_builds_t *self, pk_store_txn_t *txn, char ***names_out,
                             size_t *count_out);
// Names of a pipeline's job records, sorted (jobs no longer in the pipeline
// included); 0 or -1.
int pk_builds_jobs_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                        char ***names_out, size_t *count_out);
void pk_builds_names_free(char ***names_p, size_t count);
// Removes a pipeline with its jobs, builds, build steps and pins: 0,
// PK_STORE_NOTFOUND (no such pipeline; nothing removed) or -1.
int pk_builds_pipeline_del(pk_builds_t *self, pk_store_txn_t *txn, const char *name);

int pk_builds_job_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *job, const pk_job_rec_t *rec);
int pk_builds_job_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *job, pk_job_rec_t *out);

int pk_builds_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, const pk_build_t *build);
int pk_builds_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                  const char *job, uint64_t number, uint32_t retry, pk_build_t *out);
// A job's builds newest first (see above), at most limit (0: all).
// *items_out (free with pk_builds_list_free) and *count_out; 0 or -1.
int pk_builds_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *job, size_t limit, pk_build_t **items_out, size_t *count_out);
void pk_builds_list_free(pk_build_t **items_p, size_t count);
// The job's newest build: 0, PK_STORE_NOTFOUND or -1.
int pk_builds_latest(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *job, pk_build_t *out);
// The highest retry stored for (job, number): 0, PK_STORE_NOTFOUND (no such
// build) or -1.
int pk_builds_last_retry(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                         const char *job, uint64_t number, uint32_t *retry_out);
// Every build of a pipeline (all jobs, key order); fn returns 0 to go on, 1
// to stop, -1 to fail. The build is borrowed for the call. 0 or -1.
typedef int (pk_builds_each_fn)(const char *job, const pk_build_t *build, void *arg);
int pk_builds_each(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   pk_builds_each_fn *fn, void *arg);

// A page of a job's builds, newest first: limit (0: all) builds with a
// number below before (0: no bound) and above after (0: no bound). With
// after and no before, the page is the oldest limit builds above after (the
// page that follows it going forward), still newest first. 0 or -1.
int pk_builds_page(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *job, uint64_t before, uint64_t after, size_t limit,
                   pk_build_t **items_out, size_t *count_out);
// Every unfinished build (pipeline NULL: of all pipelines), from the
// builds_open index: what it costs does not grow with finished history.
typedef int (pk_builds_open_fn)(const char *pipeline, const char *job, const pk_build_t *build,
                                void *arg);
int pk_builds_open_each(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                        pk_builds_open_fn *fn, void *arg);
// The newest version id of resource used by a succeeded (or warned) build of
// every job in jobs -- or want, when want (non-zero) is such a version; 0
// when none. From the builds_passed index. 0 or -1.
int pk_builds_passed_newest(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                            const char *resource, const char *const *jobs, size_t njobs,
                            uint64_t want, uint64_t *id_out);
// The store's format (pk_builds_format.c): store_meta "format" -> uint.
// 1: before the history indexes; 2: with them; 3: log chunks may be
// compressed (pk_logs_codec.h). A newer binary upgrades an older store at
// start; an older binary refuses a newer store.
#define PK_STORE_FORMAT 3
// The format of the store (stored, or inferred for a store written before
// the key: 0 for an empty store). 0 or -1.
int pk_builds_format(pk_builds_t *self, pk_store_txn_t *txn, uint64_t *format_out);
// Upgrades the store to PK_STORE_FORMAT in one write transaction (the
// server calls it before the actors start): 0 when it was current, 1 when
// upgraded from *from_out (*builds_out builds indexed; from 0 = a new store
// marked), -2 when the store is newer than this binary (pk_store_error says
// "store format N is newer than this pikoci understands (M): upgrade
// pikoci"), -1 on a store error.
int pk_builds_upgrade(pk_builds_t *self, uint64_t *from_out, uint64_t *builds_out);
// pk_builds_upgrade for the scheduler's start: 0 nothing to do, 1 upgraded,
// -1 on any failure (a newer store included).
int pk_builds_migrate(pk_builds_t *self, uint64_t *builds_out);
// The work id of a build, "build:<pipeline>/<job>/<N or N.M>", and for a
// pipeline in its second life or later "...@<life>" (caller frees). The log
// of the build is stored under it.
char *pk_builds_work_id(const char *pipeline, uint64_t life, const char *job, uint64_t number,
                        uint32_t retry);
// The life of a pipeline, 1 when it has no record or was written before lives.
uint64_t pk_builds_life(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline);

// Build steps (written by the scheduler from STEP reports).
int pk_builds_step_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                       const char *job, uint64_t number, uint32_t retry,
                       const pk_build_step_t *step);
int pk_builds_step_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                       const char *job, uint64_t number, uint32_t retry, uint32_t step,
                       pk_build_step_t *out);
// A build's steps in step order; 0 or -1.
int pk_builds_steps_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                         const char *job, uint64_t number, uint32_t retry,
                         pk_build_step_t **items, size_t *count);
void pk_build_steps_free(pk_build_step_t **items, size_t count);
void pk_build_step_clear(pk_build_step_t *step);

// Retention (pk_builds_retain.c). Trims a finished build: its step records
// are deleted and the build row marked trimmed_ms = now (the row stays, a
// summary). *steps_out gets the step records deleted. 0, PK_STORE_NOTFOUND
// or -1.
int pk_builds_trim(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                   const char *job, uint64_t number, uint32_t retry, int64_t now_ms,
                   uint64_t *steps_out);
// What the last collection removed (builds_meta "retention").
typedef struct {
    int64_t at_ms;          // when it ran (0: never)
    uint64_t builds, steps, logs;   // trimmed builds, step records, logs asked away
    uint64_t total_builds;  // builds trimmed since the store was created
} pk_retention_stats_t;
int pk_builds_retention_put(pk_builds_t *self, pk_store_txn_t *txn,
                            const pk_retention_stats_t *st);
// 0 (zeroed when never written) or -1.
int pk_builds_retention_get(pk_builds_t *self, pk_store_txn_t *txn, pk_retention_stats_t *st);

// Pins: resource -> the version id every build of the pipeline must use.
int pk_builds_pin_get(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *resource, uint64_t *version_id);
int pk_builds_pin_put(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *resource, uint64_t version_id);
// 0, PK_STORE_NOTFOUND (was not pinned) or -1.
int pk_builds_pin_del(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *resource);
// All pins of a pipeline (resource -> version id); 0 or -1.
int pk_builds_pins_list(pk_builds_t *self, pk_store_txn_t *txn, const char *pipeline,
                        pk_idmap_t *out);

void pk_build_clear(pk_build_t *build);
void pk_job_rec_clear(pk_job_rec_t *rec);
void pk_pipeline_rec_clear(pk_pipeline_rec_t *rec);

// Statuses: true for succeeded, failed, errored, cancelled, warning.
bool pk_build_status_terminal(const char *status);
// True for succeeded and warning (allow_failure, or marked): what `passed`
// downstream accepts and what makes downstream jobs look again.
bool pk_build_status_passes(const char *status);

// "3" (retry 0) or "3.1" (caller frees).
char *pk_build_number_str(uint64_t number, uint32_t retry);
// "3" -> (3, 0), "3.1" -> (3, 1); number >= 1, retry >= 1 when given, plain
// decimal digits only. 0, or -1 for anything else.
int pk_build_number_parse(const char *s, uint64_t *number, uint32_t *retry);

// Small map helpers.
void pk_idmap_set(pk_idmap_t *map, const char *name, uint64_t id);
// The id under name, or 0.
uint64_t pk_idmap_get(const pk_idmap_t *map, const char *name);
void pk_idmap_clear(pk_idmap_t *map);
bool pk_idmap_equal(const pk_idmap_t *a, const pk_idmap_t *b);
void pk_idmap_copy(pk_idmap_t *dst, const pk_idmap_t *src);

#endif
