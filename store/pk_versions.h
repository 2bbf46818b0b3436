// pk_versions: what checks found -- every resource's versions in the order
// they were found -- and each resource's check state. The checker is the
// only writer (DESIGN.md: one writer per keyspace); anyone may read.
//
// Keyspaces (keys are pk_key composites, values msgpack):
//   versions       (str pipeline, str resource, u64 id) -> version map
//   version_index  (str pipeline, str resource, u64 hash, u64 id) -> ""
//   resource_state (str pipeline, str resource) -> {last_check_ms,
//                  next_check_ms, error, output, last_id, current_id,
//                  checks, failures}
//   versions_meta  (str "retention") -> what the last trim removed
// Versions beyond a horizon that no build refers to are trimmed by the
// checker (actors/checker_retain.c): ids then have gaps, never reuse.
// Ids count from 1 per resource. A version is stored in a canonical form
// (map keys sorted, integers in their shortest encoding, integral floats as
// integers, bin as str), so two versions that are the same JSON object are
// the same bytes whatever their key order. The index is keyed by a 64-bit
// hash of those bytes and every candidate is compared byte for byte, so a
// hash collision costs a comparison, never a lost version, and the key stays
// short whatever the version holds.
//
// current_id is the version the last non-empty successful check ended at:
// the next check starts from it ($version_*). It is usually last_id, but a
// branch reset to a commit seen before makes an old version current again
// (without storing it twice), so the check stops re-reporting it.
#ifndef PK_VERSIONS_H
#define PK_VERSIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_store.h"

#define PK_VERSIONS_OUTPUT_MAX (64 * 1024)  // a failed check's output: its tail
#define PK_VERSIONS_ERROR_MAX  4096         // an error message: its head

typedef struct _pk_versions_t pk_versions_t;

typedef struct {
    uint64_t id;
    uint8_t *data;          // packed msgpack map, canonical form (owned)
    size_t size;
} pk_version_t;

typedef struct {
    int64_t last_check_ms;  // unix ms the last check finished; 0 = never
    int64_t next_check_ms;  // unix ms the next check was planned for then
    char *error;            // why the last check failed; NULL when it succeeded
    char *output;           // tail of the failed check's output, or NULL
    uint64_t last_id;       // newest version; 0 = none yet
    uint64_t current_id;    // where the next check starts from; 0 = first check
    uint64_t checks;        // checks finished
    uint64_t failures;      // of which failed
} pk_resource_state_t;

// One finished check for pk_versions_record. Inputs are borrowed.
typedef struct {
    const char *pipeline;
    const char *resource;   // canonical "type.name"
    const void *versions;   // packed msgpack array of maps, oldest first
    size_t versions_size;   // (0: no versions)
    const char *error;      // non-NULL: the check failed
    const char *output;     // the failed check's output (may be NULL)
    int64_t checked_ms;     // unix ms
    int64_t next_check_ms;  // unix ms, 0 if unknown
    bool put;               // not a check but a put's versions: the check state
                            // (counts, times, error) is left as it is
    // Filled in by pk_versions_record:
    uint64_t first_new;     // ids of the versions this check added,
    uint64_t last_new;      // 0 when none
    pk_version_t current;   // the new current version when it changed (id 0:
                            // unchanged); the caller frees with pk_version_clear
    bool error_cleared;     // succeeded after a failed check
    uint64_t given_last;    // the id of the last version given, new or stored before
    char rejected[160];     // versions were malformed: stored as this error
} pk_check_result_t;

// Opens the three keyspaces (do it before any transaction that uses them).
// NULL with *err_out (caller frees; may be NULL) on failure.
pk_versions_t *pk_versions_new(pk_store_t *store, char **err_out);
void pk_versions_destroy(pk_versions_t **self_p);
pk_store_t *pk_versions_store(pk_versions_t *self);

// Stores a batch of finished checks in one write transaction: new versions
// (each not seen before gets the next id, in the order given), state updated
// (checks, failures, error/output set or cleared). A result whose versions
// are not an array of maps is stored as a failed check (see rejected).
// 0, or -1 with pk_store_error() (then nothing was stored).
int pk_versions_record(pk_versions_t *self, pk_check_result_t *results, size_t count);

// Readers. txn is any open transaction of the store (a snapshot to read
// several things consistently), or NULL for one of their own. Copies are
// returned, so they outlive the transaction.
// 0, PK_STORE_NOTFOUND, or -1.
int pk_versions_latest(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                       const char *resource, pk_version_t *out);
int pk_versions_get(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                    const char *resource, uint64_t id, pk_version_t *out);
int pk_versions_state(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                      const char *resource, pk_resource_state_t *out);
// Newest first: ids below before (0: from the newest), at most limit (0: no
// limit). *items_out (free with pk_versions_list_free) and *count_out;
// 0 or -1.
int pk_versions_list(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *resource, uint64_t before, size_t limit,
                     pk_version_t **items_out, size_t *count_out);
void pk_versions_list_free(pk_version_t **items_p, size_t count);

// Forgets a resource (or, resource NULL, every resource of the pipeline):
// versions, index and state. 0 or -1.
int pk_versions_purge(pk_versions_t *self, const char *pipeline, const char *resource);

// Trimming (pk_versions_trim.c; the checker's collector). Ids of versions
// older than the keep newest (keep 0 counts as 1: the newest always stays),
// above after, oldest first, at most max, into ids; *count_out of them.
// txn: any transaction. 0 or -1.
int pk_versions_trim_candidates(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                                const char *resource, size_t keep, uint64_t after,
                                uint64_t *ids, size_t max, size_t *count_out);
// Removes one version and its index entry in a write transaction; what may
// be removed is the caller's to judge (builds' references, pins, the
// current version). 0, PK_STORE_NOTFOUND or -1.
int pk_versions_trim(pk_versions_t *self, pk_store_txn_t *txn, const char *pipeline,
                     const char *resource, uint64_t id);
// What the last collection removed (versions_meta "retention").
typedef struct {
    int64_t at_ms;              // when it removed something (0: never)
    uint64_t versions;          // versions it removed
    uint64_t resources;         // of how many resources
    uint64_t total_versions;    // removed since the store was created
    uint64_t keep;              // the horizon it ran with
} pk_versions_retention_t;
int pk_versions_retention_put(pk_versions_t *self, pk_store_txn_t *txn,
                              const pk_versions_retention_t *st);
// 0 (zeroed when never written) or -1.
int pk_versions_retention_get(pk_versions_t *self, pk_store_txn_t *txn,
                              pk_versions_retention_t *st);

void pk_version_clear(pk_version_t *version);
void pk_resource_state_clear(pk_resource_state_t *state);

// The canonical form of one packed version map (caller frees *out), or -1
// with a reason in why (whylen bytes) when it is not a map of string keys,
// nests too deep, holds ext types or is not exactly one object.
int pk_versions_canonical(const void *data, size_t size, uint8_t **out, size_t *out_size,
                          char *why, size_t whylen);

#endif
