// pk_key: big-endian composite keys for the store.
//
// LMDB orders keys with memcmp, so every integer is written big-endian (build
// 10 sorts after build 9) and a key is a plain concatenation of fields, e.g.
// (u32 pipeline, u32 job, u64 build, u32 step, u64 seq). Any leading run of
// whole fields is a prefix: scanning it with pk_store_scan visits exactly the
// keys that share those fields, in numeric order.
//
// Strings are written followed by a NUL byte (they cannot contain one).
// Within one position names sort byte-lexicographically ("a" < "ab" < "b"),
// and a prefix that ends right after a string's NUL matches only that whole
// string ("job\0" is not a prefix of "jobs\0"). To match names that merely
// start with some text, end the prefix with pk_key_str_prefix (no NUL).
// Signed integers are stored with the sign bit flipped so negatives sort
// before positives.
//
// The builder is a plain value on the stack: no allocation, and a field that
// does not fit marks the key as overflowed instead of truncating it silently.
#ifndef PK_KEY_H
#define PK_KEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_KEY_MAX 511      // LMDB 0.9's largest key

typedef struct {
    uint8_t data[PK_KEY_MAX];
    size_t size;
    bool overflow;          // a field did not fit: the key must not be used
} pk_key_t;

void pk_key_init(pk_key_t *key);
void pk_key_u8(pk_key_t *key, uint8_t value);
void pk_key_u16(pk_key_t *key, uint16_t value);
void pk_key_u32(pk_key_t *key, uint32_t value);
void pk_key_u64(pk_key_t *key, uint64_t value);
void pk_key_i64(pk_key_t *key, int64_t value);
// A whole string component: its bytes and a NUL.
void pk_key_str(pk_key_t *key, const char *value);
// The start of a string component (no NUL): only useful as a scan prefix.
void pk_key_str_prefix(pk_key_t *key, const char *value);
// Raw bytes (a fixed-width field the caller encodes itself).
void pk_key_bytes(pk_key_t *key, const void *data, size_t size);
// True when every field fitted.
bool pk_key_ok(const pk_key_t *key);

// Smallest key greater than every key starting with prefix: the exclusive
// upper bound of a prefix scan. Writes it to out (room for prefix_size bytes)
// and returns its size; returns 0 when no such key exists (the prefix is
// empty or all 0xFF), which means "scan to the end".
size_t pk_key_next_prefix(const void *prefix, size_t prefix_size, uint8_t *out);

// Reading a key back, field by field, in the order it was built. A read past
// the end (or a string without its NUL) sets the reader's error flag and
// returns 0 / NULL; check pk_key_reader_done once at the end.
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    bool error;
} pk_key_reader_t;

void pk_key_reader_init(pk_key_reader_t *reader, const void *key, size_t size);
uint8_t pk_key_read_u8(pk_key_reader_t *reader);
uint16_t pk_key_read_u16(pk_key_reader_t *reader);
uint32_t pk_key_read_u32(pk_key_reader_t *reader);
uint64_t pk_key_read_u64(pk_key_reader_t *reader);
int64_t pk_key_read_i64(pk_key_reader_t *reader);
// Points into the key (valid as long as the key bytes are, i.e. inside the
// transaction that returned them); NUL-terminated. *size_out gets its length.
const char *pk_key_read_str(pk_key_reader_t *reader, size_t *size_out);
// 0 when no read failed and the whole key was consumed, else -1.
int pk_key_reader_done(const pk_key_reader_t *reader);

#endif
