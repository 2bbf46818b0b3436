// pk_logs_codec: log chunk values (layout in pk_logs_codec.h). zstd at level
// 1: on build logs in 64-128 KiB chunks it keeps ~23 % of the bytes (zlib -6
// over the whole log: ~21 %) at several hundred MB/s each way, so the log
// sink's throughput and a reader's latency stay about where they were.
// Contexts are pooled: a reader decodes a few chunks per request and making
// a context costs more than decoding a small chunk; the pool is a global
// (still reachable at exit, never a leak) shared by every thread.
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "pk_logs_codec.h"
#include "pk_store_internal.h"

#define S_LEVEL 1
#define S_POOL 4
#define S_DECODED_MAX (1u << 30)    // a chunk never decodes to more (sanity)

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static ZSTD_CCtx *s_cctx[S_POOL];
static ZSTD_DCtx *s_dctx[S_POOL];
static size_t s_ncctx, s_ndctx;

static void *
s_take(void **pool, size_t *n)
{
    void *ctx = NULL;
    pthread_mutex_lock(&s_lock);
    if (*n)
        ctx = pool[--*n];
    pthread_mutex_unlock(&s_lock);
    return ctx;
}

// Back into the pool; false when it is full (the caller frees ctx).
static bool
s_give(void **pool, size_t *n, void *ctx)
{
    pthread_mutex_lock(&s_lock);
    bool kept = *n < S_POOL;
    if (kept)
        pool[(*n)++] = ctx;
    pthread_mutex_unlock(&s_lock);
    return kept;
}

int
pk_logs_encode(const void *data, size_t size, uint8_t **out, size_t *out_size)
{
    size_t bound = ZSTD_compressBound(size);
    uint8_t *v = malloc(1 + (bound > size ? bound : size));
    ZSTD_CCtx *cc = s_take((void **) s_cctx, &s_ncctx);
    if (!cc)
        cc = ZSTD_createCCtx();
    if (!v || !cc) {
        free(v);
        ZSTD_freeCCtx(cc);
        pk_store_fail(ENOMEM, "logs: no memory to compress a chunk");
        return -1;
    }
    size_t n = ZSTD_compressCCtx(cc, v + 1, bound, data, size, S_LEVEL);
    if (!s_give((void **) s_cctx, &s_ncctx, cc))
        ZSTD_freeCCtx(cc);
    if (!ZSTD_isError(n) && n < size) {
        v[0] = PK_LOGS_ZSTD;
        *out_size = 1 + n;
    }
    else {
        v[0] = PK_LOGS_RAW;
        memcpy(v + 1, data, size);
        *out_size = 1 + size;
    }
    *out = v;
    return 0;
}

int64_t
pk_logs_decoded_size(const void *value, size_t size)
{
    const uint8_t *v = value;
    if (size < 2)
        return -1;
    if (v[0] == PK_LOGS_RAW)
        return (int64_t) size - 1;
    if (v[0] != PK_LOGS_ZSTD)
        return -1;
    unsigned long long n = ZSTD_getFrameContentSize(v + 1, size - 1);
    if (n == ZSTD_CONTENTSIZE_UNKNOWN || n == ZSTD_CONTENTSIZE_ERROR || n == 0
        || n > S_DECODED_MAX)
        return -1;
    return (int64_t) n;
}

int64_t
pk_logs_decode(const void *value, size_t size, uint8_t **buf, size_t *cap,
               const uint8_t **data)
{
    int64_t n = pk_logs_decoded_size(value, size);
    if (n < 0) {
        pk_store_fail(MDB_CORRUPTED, "logs: a stored chunk is not a valid encoded chunk");
        return -1;
    }
    const uint8_t *v = value;
    if (v[0] == PK_LOGS_RAW) {
        *data = v + 1;
        return n;
    }
    if ((size_t) n > *cap) {
        uint8_t *b = realloc(*buf, (size_t) n);
        if (!b) {
            pk_store_fail(ENOMEM, "logs: no memory to decode a chunk");
            return -1;
        }
        *buf = b;
        *cap = (size_t) n;
    }
    ZSTD_DCtx *dc = s_take((void **) s_dctx, &s_ndctx);
    if (!dc && !(dc = ZSTD_createDCtx())) {
        pk_store_fail(ENOMEM, "logs: no memory to decode a chunk");
        return -1;
    }
    size_t got = ZSTD_decompressDCtx(dc, *buf, (size_t) n, v + 1, size - 1);
    if (!s_give((void **) s_dctx, &s_ndctx, dc))
        ZSTD_freeDCtx(dc);
    if (ZSTD_isError(got) || got != (size_t) n) {
        pk_store_fail(MDB_CORRUPTED, "logs: a stored chunk does not decode: %s",
                      ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short");
        return -1;
    }
    *data = *buf;
    return n;
}
