// pk_audit: the audit log keyspace, appended to only by control.
//
//   audit   (u64 time_ms, u32 seq) -> [time_ms, user, action, target, result, detail]
//
// One entry per state-changing request (and per refused request): who, when,
// what, on what, and how it ended ("ok", "failed", "refused"). Keys sort by
// time, so "newest first" is a reverse scan and --before a range bound.
#ifndef PK_AUDIT_H
#define PK_AUDIT_H
#include <stdint.h>
#include "pk_store.h"

typedef struct _pk_audit_t pk_audit_t;

typedef struct {
    int64_t time_ms;
    uint32_t seq;               // orders entries of one millisecond
    char *user, *action, *target, *result, *detail;
} pk_audit_entry_t;

void pk_audit_entry_clear(pk_audit_entry_t *e);

pk_audit_t *pk_audit_new(pk_store_t *store, char **err_out);
void pk_audit_destroy(pk_audit_t **self_p);

// Append one entry at now (its own write transaction): 0 or -1. Strings may be NULL.
int pk_audit_append(pk_audit_t *self, const char *user, const char *action,
                    const char *target, const char *result, const char *detail);

typedef struct {
    const char *user, *action;  // exact matches, NULL: any
    int64_t since_ms;           // entries at or after (0: any)
    int64_t before_ms;          // entries strictly before (0: up to now)
    size_t limit;               // at most (0: 100)
} pk_audit_filter_t;

// Matching entries, newest first: *out (free each with pk_audit_entry_clear,
// then the array), *n. 0 or -1.
int pk_audit_query(pk_audit_t *self, const pk_audit_filter_t *f, pk_audit_entry_t **out,
                   size_t *n);

#endif
