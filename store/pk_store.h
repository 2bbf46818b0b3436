// pk_store: the LMDB layer every actor uses (a library, not an actor).
//
// Two systems, one implementation:
//   "lmdb"  durable store in a directory (created if missing), LMDB's default
//           sync: a commit that returned 0 survives kill -9 and power loss.
//   "mem"   the same code on an LMDB environment in a private directory on
//           /dev/shm (or $TMPDIR, or /tmp, when /dev/shm is missing or has too
//           little room), MDB_NOSYNC, whose files are unlinked and directory
//           removed right after opening: LMDB keeps working through its open
//           fd and mmap, and nothing is left on disk even after kill -9.
//
// Keyspaces are LMDB named databases, opened lazily by name with
// pk_store_dbi() (cached; thread-safe). Open the keyspaces an actor uses when
// it starts, before its transactions: a transaction begun before a keyspace
// was first opened in this process cannot use that keyspace.
//
// Concurrency. LMDB allows one write transaction at a time; the store
// serializes writers of all threads with a mutex (held from pk_store_begin
// with write=true to commit/abort, which must happen on the same thread). By
// convention each keyspace still has exactly one writer actor (DESIGN.md:
// versions by the checker, builds by the scheduler, logs by the logsink);
// anyone may read. Read transactions are MVCC snapshots, never block, and
// (MDB_NOTLS) may be used from any thread. A thread that holds a read
// transaction may not begin a write transaction: read through the write
// transaction instead (the map cannot be resized under its own reader).
//
// Map growth. The map starts small (64 MiB by default). A write that hits
// MDB_MAP_FULL marks its transaction; when that transaction ends the store
// waits for other threads' read transactions to finish (new readers wait),
// doubles the map and lets everyone go on. pk_store_write() retries its
// function after growing, so batch writers never see MDB_MAP_FULL.
//
// Errors: functions return -1 (or NULL) and leave a code and message in
// thread-local storage (pk_store_errcode / pk_store_error), like errno.
// Never use a store in a child after fork(); exec first (LMDB rule).
#ifndef PK_STORE_H
#define PK_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>
#include <msgpack.h>

typedef struct _pk_store_t pk_store_t;
typedef struct _pk_store_txn_t pk_store_txn_t;

// get/del/insert outcomes besides 0 and -1.
#define PK_STORE_NOTFOUND 1
#define PK_STORE_EXISTS   1
// pk_store_dbi's failure value (LMDB's free-page DB, never a user keyspace).
#define PK_STORE_NO_DBI   0

typedef struct {
    size_t map_size;        // initial map, bytes (0: 64 MiB)
    size_t max_map_size;    // growth stops here (0: 1 TiB)
    unsigned max_dbs;       // named keyspaces (0: 32)
    const char *mem_dir;    // where "mem" tries first (NULL: /dev/shm)
    size_t mem_min_free;    // free bytes a mem directory needs (0: 256 MiB)
    int grow_wait_ms;       // how long growth waits for readers (0: 30000)
} pk_store_opts_t;

// Open a store. system is "mem" or "lmdb" (NULL: "mem", the default); path
// is the directory for "lmdb" (ignored for "mem"). On failure returns NULL and, if err_out is given, a
// message the caller frees.
pk_store_t *pk_store_open(const char *system, const char *path, char **err_out);
// Same with options (NULL: defaults).
pk_store_t *pk_store_open_opts(const char *system, const char *path,
                               const pk_store_opts_t *opts, char **err_out);
// Close and null the pointer. Every transaction must have ended.
void pk_store_close(pk_store_t **self_p);

const char *pk_store_system(pk_store_t *self);
// The directory the environment was opened in. For "mem" it no longer
// exists once pk_store_open has returned.
const char *pk_store_dir(pk_store_t *self);
// Current map size in bytes (grows on MDB_MAP_FULL).
size_t pk_store_map_size(pk_store_t *self);
// Reader slots of dead processes that mdb_reader_check cleared at open.
// Only other processes that still have the environment open keep such slots
// alive: the first process to open an environment rebuilds its lock table.
int pk_store_stale_readers(pk_store_t *self);

// The keyspace called name, created on first use. Returns PK_STORE_NO_DBI
// on failure (bad name, too many keyspaces, or called by a thread that has a
// write transaction open while the keyspace is not open yet).
MDB_dbi pk_store_dbi(pk_store_t *self, const char *name);

// Every keyspace the store's modules use (builds, versions, auth, audit,
// logs, secrets, webhooks), created or opened at once: in ONE write
// transaction, so a fresh lmdb store costs one commit's syncs instead of one
// per keyspace. A server calls it right after opening; a name missing from
// the list still works (pk_store_dbi creates it on first use, a commit of
// its own). 0, or -1 (pk_store_error).
int pk_store_open_all(pk_store_t *self);

// How many keyspaces this handle has open (tests: none is opened later).
size_t pk_store_keyspace_count(pk_store_t *self);

// Transactions. A write transaction holds the store's writer lock until it
// ends and must end on the thread that began it. commit returns 0, or -1
// (the transaction is gone either way; a transaction in which a write failed
// is never committed). Both null the pointer. When a write or the commit
// failed with MDB_MAP_FULL (pk_store_errcode), the map has already been
// grown by the time commit/abort returns: redo the transaction, or let
// pk_store_write do that.
pk_store_txn_t *pk_store_begin(pk_store_t *self, bool write);
int pk_store_commit(pk_store_txn_t **txn_p);
void pk_store_abort(pk_store_txn_t **txn_p);

// Keys are 1..511 bytes (see pk_key.h). Values returned by get and scans
// point into the map: valid until the transaction ends, never written to.
int pk_store_put(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
                 const void *value, size_t value_size);
// Put only if the key is absent: 0, PK_STORE_EXISTS, or -1.
int pk_store_insert(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
                    const void *value, size_t value_size);
// 0 (found), PK_STORE_NOTFOUND, or -1.
int pk_store_get(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size,
                 const void **value, size_t *value_size);
// 0 (deleted), PK_STORE_NOTFOUND, or -1.
int pk_store_del(pk_store_txn_t *txn, MDB_dbi dbi, const void *key, size_t key_size);
// Number of entries in the keyspace, or -1.
int64_t pk_store_count(pk_store_txn_t *txn, MDB_dbi dbi);

// Ordered iteration. The callback returns 0 to go on, 1 to stop, -1 to fail
// the scan. It must not modify the keyspace being scanned. Scans return the
// number of entries visited, or -1.
typedef int (pk_store_scan_fn)(const void *key, size_t key_size,
                               const void *value, size_t value_size, void *arg);
// Keys in [lo, hi): lo NULL = from the first key, hi NULL = to the last.
// reverse visits them from the highest down.
int64_t pk_store_range(pk_store_txn_t *txn, MDB_dbi dbi,
                       const void *lo, size_t lo_size, const void *hi, size_t hi_size,
                       bool reverse, pk_store_scan_fn *fn, void *arg);
// Keys starting with prefix (prefix_size 0: all keys).
int64_t pk_store_scan(pk_store_txn_t *txn, MDB_dbi dbi, const void *prefix,
                      size_t prefix_size, bool reverse, pk_store_scan_fn *fn, void *arg);

// Run fn in a write transaction and commit it. If the map fills up (in fn or
// at commit), the transaction is aborted, the map doubled and fn run again
// from scratch, so fn must keep no state outside the transaction between
// runs. fn returns 0 to commit, anything else to abort. Returns 0 when
// committed, -1 otherwise.
typedef int (pk_store_write_fn)(pk_store_txn_t *txn, void *arg);
int pk_store_write(pk_store_t *self, pk_store_write_fn *fn, void *arg);

// A consistent, compacted copy of the store as it is now (one snapshot;
// writers go on meanwhile) written to path, a new file (an absolute path;
// an existing file is never replaced), which appears whole or not at all.
// The file is an LMDB data file: as DIR/data.mdb it is a store for
// pk_store_open("lmdb", DIR). 0 with *bytes (may be NULL) its size, or -1
// with *err (caller frees). Blocks until done: call it on a thread of its
// own (pk_store_copy.c).
int pk_store_copy(pk_store_t *self, const char *path, uint64_t *bytes, char **err);

// msgpack values. put stores the packed buffer as it is. get/decode unpack
// one whole object into a caller-initialised msgpack_unpacked (strings point
// into the map: use them before the transaction ends). get returns 0,
// PK_STORE_NOTFOUND, or -1 (also when the value is not exactly one object).
int pk_store_put_msgpack(pk_store_txn_t *txn, MDB_dbi dbi, const void *key,
                         size_t key_size, const msgpack_sbuffer *buffer);
int pk_store_get_msgpack(pk_store_txn_t *txn, MDB_dbi dbi, const void *key,
                         size_t key_size, msgpack_unpacked *unpacked);
int pk_store_decode(const void *value, size_t value_size, msgpack_unpacked *unpacked);

// What the store holds (pk_store_usage.c), read in txn: the keyspaces this
// process has opened, each with mdb_stat, and the file's pages.
typedef struct {
    size_t map_size, page_size;
    uint64_t pages_used;        // up to the highest page ever written
    uint64_t pages_free;        // of those, free for reuse (LMDB's free DB)
    uint64_t file_bytes;        // data.mdb's size (0 for "mem")
} pk_store_usage_t;
typedef struct {
    char *name;
    MDB_dbi dbi;
    uint64_t entries, pages, depth;
} pk_store_ks_stat_t;
int pk_store_usage(pk_store_txn_t *txn, pk_store_usage_t *u, pk_store_ks_stat_t **ks_out,
                   size_t *count_out);
void pk_store_usage_free(pk_store_ks_stat_t **ks_p, size_t count);

// Failed commits since open: a full filesystem under an lmdb store makes
// every write fail with ENOSPC ("No space left on device", also when LMDB
// itself saw a short write and said EIO) until space is freed; reads go on
// and nothing committed is lost. no_space: the last commit failed so.
typedef struct {
    uint64_t write_errors, no_space_errors;
    bool no_space;
} pk_store_health_t;
void pk_store_health(pk_store_t *self, pk_store_health_t *out);

// Last failure on this thread: an LMDB code (MDB_MAP_FULL...) or errno
// value, and a message naming what failed. 0 / "" when none.
int pk_store_errcode(void);
const char *pk_store_error(void);

#endif
