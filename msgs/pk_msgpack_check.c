// pk_msgpack_check: walk msgpack headers without allocating anything, so that
// untrusted bytes are refused before msgpack-c sizes its zone from them. The
// trap it closes: an array32 header claims 4 G elements in 5 bytes and the
// unpacker allocates for all of them up front. Here every container must claim
// no more elements than bytes remain (each element needs at least one byte,
// each map pair two), nesting is capped, and the frame must be exactly one
// object with no trailing bytes.
#include "pk_msg.h"
#include <stdio.h>

static uint64_t
s_be(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

#define FAIL(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int
pk_msgpack_check(const void *data, size_t size, char *err, size_t errlen)
{
    const uint8_t *p = data;
    size_t pos = 0;
    // pending[d] = objects still expected at depth d (depth 0 is the root)
    uint64_t pending[PK_MSG_MAX_DEPTH + 2];
    int depth = 0;
    pending[0] = 1;
    if (!data || size == 0)
        FAIL("empty frame");
    while (depth >= 0) {
        if (pending[depth] == 0) {
            depth--;
            continue;
        }
        pending[depth]--;
        if (pos >= size)
            FAIL("truncated at byte %zu", pos);
        uint8_t b = p[pos++];
        size_t remain = size - pos;
        uint64_t skip = 0;       // payload bytes after the header
        uint64_t children = 0;   // objects contained (map: 2 per pair)
        size_t lenbytes = 0;     // size of a length field that follows b
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            skip = 0;
        else if ((b & 0xf0) == 0x80)
            children = 2u * (b & 0x0f);
        else if ((b & 0xf0) == 0x90)
            children = b & 0x0f;
        else if ((b & 0xe0) == 0xa0)
            skip = b & 0x1f;
        else {
            switch (b) {
            case 0xc4: case 0xd9: lenbytes = 1; break;                 // bin8, str8
            case 0xc5: case 0xda: lenbytes = 2; break;                 // bin16, str16
            case 0xc6: case 0xdb: lenbytes = 4; break;                 // bin32, str32
            case 0xc7: case 0xc8: case 0xc9:                           // ext8/16/32
                lenbytes = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
                break;
            case 0xca: skip = 4; break;
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: case 0xde: lenbytes = 2; break;                 // array16, map16
            case 0xdd: case 0xdf: lenbytes = 4; break;                 // array32, map32
            default:
                FAIL("invalid msgpack type byte 0x%02x at byte %zu", b, pos - 1);
            }
            if (lenbytes) {
                if (remain < lenbytes)
                    FAIL("truncated length at byte %zu", pos);
                uint64_t n = s_be(p + pos, lenbytes);
                pos += lenbytes;
                remain -= lenbytes;
                if (b == 0xdc || b == 0xdd)
                    children = n;
                else
                if (b == 0xde || b == 0xdf)
                    children = 2 * n;
                else
                if (b >= 0xc7 && b <= 0xc9)
                    skip = n + 1;   // type byte + data
                else
                    skip = n;
            }
        }
        if (skip > remain)
            FAIL("object at byte %zu claims %llu bytes, %zu remain",
                 pos - 1, (unsigned long long) skip, remain);
        pos += skip;
        if (children) {
            if (children > size - pos)
                FAIL("container claims %llu elements, %zu bytes remain",
                     (unsigned long long) children, size - pos);
            if (depth + 1 > PK_MSG_MAX_DEPTH)
                FAIL("nesting deeper than %d", PK_MSG_MAX_DEPTH);
            pending[++depth] = children;
        }
    }
    if (pos != size)
        FAIL("%zu trailing bytes after the message", size - pos);
    return 0;
}
