// pk_logs_codec: how a stored log chunk is encoded (store-internal; used by
// pk_logs.c). A log's chunks from its meta's `z` offset on are one tag byte
// then the payload:
//
//   PK_LOGS_RAW   the bytes as they are (what does not compress)
//   PK_LOGS_ZSTD  one zstd frame that records its content size
//
// Chunks below `z` (written before logs were compressed) are the bytes
// themselves, with no tag. Offsets always count the decoded bytes.
#ifndef PK_LOGS_CODEC_H
#define PK_LOGS_CODEC_H
#include <stddef.h>
#include <stdint.h>

#define PK_LOGS_RAW 0
#define PK_LOGS_ZSTD 1

// Encode size bytes into a malloc'd value (*out, *out_size): zstd when that
// is smaller, else raw. 0, or -1 (errors in pk_store_error()).
int pk_logs_encode(const void *data, size_t size, uint8_t **out, size_t *out_size);

// How many bytes a value decodes to, or -1 (not a valid value).
int64_t pk_logs_decoded_size(const void *value, size_t size);

// Decode a value. Raw payloads are not copied: *data points into value.
// Others are decoded into *buf (grown with realloc to fit, *cap its size;
// the caller frees it). Returns the decoded size, or -1 (errors in
// pk_store_error()).
int64_t pk_logs_decode(const void *value, size_t size, uint8_t **buf, size_t *cap,
                       const uint8_t **data);

#endif
