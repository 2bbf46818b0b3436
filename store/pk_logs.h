// pk_logs: the build logs keyspaces. The logsink is their only writer
// (DESIGN.md); anyone reads them.
//
//   "logs"      (str id, u32 attempt, u64 offset) -> a chunk: zstd-compressed
//                 or plain behind a tag byte from offset z on, the bytes
//                 themselves below z (pk_logs_codec.h)
//   "log_meta"  (str id, u32 attempt) -> msgpack {z, last, size, chunks,
//                                         next_seq, steps: [[step, first, end], ...]}
//
// A log is keyed by the byte offset of each stored chunk's first byte, so a
// read from any offset is one reverse seek (the chunk holding it) and a
// forward scan, and a log is never loaded whole. Offsets count the log's
// bytes (decoded), and are contiguous: chunk k+1 starts where chunk k ends.
// Stored chunks are not what the writer appended: appends are re-cut into
// chunks of at most 128 KiB, and a small last chunk takes the next bytes in
// (small chunks compress badly); `last` is the offset of the last one.
// Logs begun before compression have no z (all plain) or z at the size they
// had then. `steps` records, per step, the offset of its first byte and
// the end of its last, so a reader can jump to a step (with parallel steps
// the ranges may overlap). `next_seq` is one past the last runner sequence
// number stored: a restarted sink uses it to recognise retransmits.
#ifndef PK_LOGS_H
#define PK_LOGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pk_store.h"

// Longest build id a log key can hold (PK_KEY_MAX - NUL - attempt - offset).
#define PK_LOGS_ID_MAX 498

typedef struct {
    const char *id;
    uint32_t attempt;
    uint32_t step;
    uint64_t seq;           // runner sequence number of the last message in data
    const void *data;
    size_t size;            // 1.. bytes (an empty chunk only moves next_seq)
    uint64_t offset;        // out: where data landed in the log
} pk_log_chunk_t;

typedef struct {
    uint64_t size;          // bytes stored
    uint64_t chunks;        // stored values
    uint64_t next_seq;      // one past the last runner sequence number stored
} pk_log_meta_t;

// Open both keyspaces. Call once before the first transaction that uses
// them (pk_store_dbi's rule); readers below call it themselves. 0 or -1.
int pk_logs_init(pk_store_t *store);

// Append chunks, in order, inside the caller's write transaction (one txn per
// batch is the point: the sink group-commits). Fills each chunk's offset.
// Safe to run again from scratch in a fresh txn (pk_store_write's retry).
// 0 or -1 (the txn is then poisoned; errors in pk_store_error()).
int pk_logs_append(pk_store_t *store, pk_store_txn_t *txn, pk_log_chunk_t *chunks,
                   size_t count);

// Delete a log and its meta inside the caller's write transaction.
// 0, PK_STORE_NOTFOUND, or -1.
int pk_logs_delete(pk_store_t *store, pk_store_txn_t *txn, const char *id, uint32_t attempt);

// Delete at most max logs (all attempts are separate logs) whose id starts
// with id_prefix and for which match (NULL: all) is true, inside the
// caller's write transaction; *deleted gets how many. Call again in a new
// transaction until it deletes none: a removed pipeline's logs go in
// bounded transactions. 0 or -1.
typedef bool (pk_logs_match_fn)(const char *id, void *arg);
int pk_logs_delete_where(pk_store_t *store, pk_store_txn_t *txn, const char *id_prefix,
                         pk_logs_match_fn *match, void *arg, size_t max, size_t *deleted);

// 0, PK_STORE_NOTFOUND (no such log: *meta zeroed), or -1.
int pk_logs_meta(pk_store_t *store, const char *id, uint32_t attempt, pk_log_meta_t *meta);
// Bytes stored (0 when there is no such log), or -1.
int64_t pk_logs_size(pk_store_t *store, const char *id, uint32_t attempt);
// Where each step's output lies in the log: [first, end), the offset of its
// first byte and the end of its last (steps running side by side overlap).
typedef struct {
    uint32_t step;
    uint64_t first, end;
} pk_log_step_t;

// Every step that wrote to (id, attempt), in the order they first wrote.
// 0 (*steps NULL and *n 0 for no log or no output), or -1. Caller frees *steps.
int pk_logs_steps(pk_store_t *store, const char *id, uint32_t attempt, pk_log_step_t **steps,
                  size_t *n);
// Where step's output starts and ends. 0, PK_STORE_NOTFOUND, or -1.
int pk_logs_step_range(pk_store_t *store, const char *id, uint32_t attempt, uint32_t step,
                       uint64_t *first, uint64_t *end);

// Stream the bytes [offset, offset + max_bytes), cut at the log's end, to fn,
// one call per stored chunk touched. data points into the map or a decode
// buffer: valid during the call only. The read transaction stays open while fn runs, and a long
// one delays map growth: read big logs in bounded pieces. fn returns 0 to go
// on, anything else to stop. Returns the bytes delivered (0 at or past the
// end), or -1.
typedef int (pk_logs_read_fn)(const void *data, size_t size, void *arg);
int64_t pk_logs_read(pk_store_t *store, const char *id, uint32_t attempt, uint64_t offset,
                     size_t max_bytes, pk_logs_read_fn *fn, void *arg);
// The same into a buffer: bytes copied, or -1.
int64_t pk_logs_read_buf(pk_store_t *store, const char *id, uint32_t attempt,
                         uint64_t offset, void *buf, size_t len);

#endif
