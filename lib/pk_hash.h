// pk_hash: 64-bit FNV-1a, the one hash of names and bytes for in-memory
// tables, change detection and cache file names. Not a digest (pk_sha256
// is): never for anything an adversary chooses to collide.
#ifndef PK_HASH_H
#define PK_HASH_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PK_FNV1A_START 14695981039346656037ULL

// h continued over size bytes of data (start from PK_FNV1A_START).
static inline uint64_t
pk_fnv1a_more(uint64_t h, const void *data, size_t size)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < size; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static inline uint64_t
pk_fnv1a(const void *data, size_t size)
{
    return pk_fnv1a_more(PK_FNV1A_START, data, size);
}

static inline uint64_t
pk_fnv1a_str(const char *s)
{
    return pk_fnv1a(s, strlen(s));
}

#endif
