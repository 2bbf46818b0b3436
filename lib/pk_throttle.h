// pk_throttle: failed attempts per key (a user name, a client address) and
// the backoff they earn. After `failures` failures, each no more than
// `window_ms` after the one before, the key must wait `backoff_ms` before
// its next attempt; each further failure doubles the wait, up to
// `backoff_max_ms`. A success (pk_throttle_ok) forgets the key; so does a
// window with no failure. Keys are bounded (max_keys): the stale ones are
// dropped first, then the ones whose last failure is oldest.
//
// Not thread-safe: one owner thread (control), or the caller's lock (the
// web face's connection threads).
#ifndef PK_THROTTLE_H
#define PK_THROTTLE_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int failures;               // failures before the first wait (0: no throttle)
    int64_t window_ms;          // a failure counts while the next comes within this
    int64_t backoff_ms;         // the first wait; doubled per further failure
    int64_t backoff_max_ms;     // ... up to this
    size_t max_keys;            // keys remembered at most (0: 65536)
} pk_throttle_config_t;

// The defaults: 5 failures, 15 min window, 30 s doubling up to 5 min.
#define PK_THROTTLE_FAILURES 5
#define PK_THROTTLE_WINDOW_MS (15 * 60 * 1000)
#define PK_THROTTLE_BACKOFF_MS (30 * 1000)
#define PK_THROTTLE_BACKOFF_MAX_MS (5 * 60 * 1000)

typedef struct _pk_throttle_t pk_throttle_t;

// Zero fields of cfg take the defaults above, except failures (0: off).
pk_throttle_t *pk_throttle_new(const pk_throttle_config_t *cfg);
void pk_throttle_destroy(pk_throttle_t **self_p);
// How long key must still wait before its next attempt (ms; 0: it may try).
int64_t pk_throttle_wait(pk_throttle_t *self, const char *key, int64_t now_ms);
// Count a failure of key: the wait it now has (0: none yet).
int64_t pk_throttle_failed(pk_throttle_t *self, const char *key, int64_t now_ms);
// A success: key starts afresh.
void pk_throttle_ok(pk_throttle_t *self, const char *key);
// Keys remembered (for tests).
size_t pk_throttle_size(pk_throttle_t *self);
// Seconds to tell a client to wait for ms (rounded up, at least 1).
int64_t pk_throttle_seconds(int64_t ms);

#endif
