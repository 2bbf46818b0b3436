// pk_sha256: SHA-256 (FIPS 180-4) for content hashes (the fs resource).
//
// A small self-contained implementation so pk_lib needs no libcrypto: the
// hashes are for change detection and content addressing, never for
// secrets, and a streaming interface lets large files be hashed in chunks.
#ifndef PK_SHA256_H
#define PK_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define PK_SHA256_LEN 32
#define PK_SHA256_HEX_LEN 64

typedef struct {
    uint32_t state[8];
    uint64_t length;            // bytes hashed so far
    uint8_t block[64];
    size_t used;                // bytes waiting in block
} pk_sha256_t;

void pk_sha256_init(pk_sha256_t *self);
void pk_sha256_update(pk_sha256_t *self, const void *data, size_t len);
// Writes the 32-byte digest; self must be re-initialised before reuse.
void pk_sha256_final(pk_sha256_t *self, uint8_t digest[PK_SHA256_LEN]);
// Lower-case hex of a digest into hex (65 bytes incl. the NUL).
void pk_sha256_hex(const uint8_t digest[PK_SHA256_LEN], char hex[PK_SHA256_HEX_LEN + 1]);

#endif
