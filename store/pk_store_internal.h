// pk_store_internal: the store's private structures, shared by its files
// (pk_store.c: environment and keyspaces; pk_store_txn.c: transactions and
// map growth; pk_store_ops.c: reads, writes, scans, msgpack). Not for actors.
//
// Locks, always taken in this order:
//   writer  error-checking mutex owned by the thread with the write txn, so
//           a second begin on that thread is an error, not a deadlock; also
//           held while a keyspace is created and while the map is resized
//   lock    protects the open-reader list, the growing flag and the
//           keyspace cache; cond wakes the grower when readers drain and
//           readers when growth is over
#ifndef PK_STORE_INTERNAL_H
#define PK_STORE_INTERNAL_H
#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include "pk_store.h"

typedef struct {
    char *name;
    MDB_dbi dbi;
} pk_store_ks_t;

struct _pk_store_t {
    MDB_env *env;
    char *system;
    char *dir;
    pid_t pid;                  // LMDB env must not be used after fork
    size_t max_map_size;
    int grow_wait_ms;
    int stale_readers;

    pthread_mutex_t writer;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool growing;
    size_t nreaders;
    pk_store_txn_t *readers;    // open read txns (to find this thread's own)

    pk_store_ks_t *keyspaces;
    size_t nkeyspaces;
    size_t max_keyspaces;

    atomic_uint_fast64_t write_errors;      // commits that failed (pk_store_health)
    atomic_uint_fast64_t no_space_errors;   // of those, the filesystem was full
    atomic_bool no_space;                   // the last commit failed for want of space
};

struct _pk_store_txn_t {
    pk_store_t *store;
    MDB_txn *txn;
    bool write;
    bool failed;                // a write failed: never commit this txn
    bool map_full;              // grow the map when this txn ends
    pthread_t thread;           // the thread that began it
    pk_store_txn_t *prev, *next;    // in store->readers (read txns only)
};

// Thread-local error: code plus "what: strerror(code)".
void pk_store_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pk_store_clear_error(void);

// Set the map size (0: adopt the size another process set). Caller holds
// the writer mutex and has no LMDB write txn; waits for other threads'
// readers. 0 or -1.
int pk_store_resize(pk_store_t *self, size_t size);
// Double the map (capped at max_map_size). 0 or -1.
int pk_store_grow(pk_store_t *self);

#endif
