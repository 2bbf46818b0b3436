// pk_key: big-endian composite key builder and reader (see pk_key.h for the
// ordering rules). Integers go through one pair of helpers that write and
// read n big-endian bytes, so every width shares the same bounds checks.
#include <string.h>
#include "pk_key.h"

void
pk_key_init(pk_key_t *key)
{
    key->size = 0;
    key->overflow = false;
}

static void
s_append(pk_key_t *key, const void *data, size_t size)
{
    if (key->overflow || size > PK_KEY_MAX - key->size) {
        key->overflow = true;
        return;
    }
    if (size)
        memcpy(key->data + key->size, data, size);
    key->size += size;
}

static void
s_put_be(pk_key_t *key, uint64_t value, size_t width)
{
    uint8_t buf[8];
    for (size_t i = 0; i < width; i++)
        buf[i] = (uint8_t) (value >> (8 * (width - 1 - i)));
    s_append(key, buf, width);
}

void pk_key_u8(pk_key_t *key, uint8_t value)   { s_put_be(key, value, 1); }
void pk_key_u16(pk_key_t *key, uint16_t value) { s_put_be(key, value, 2); }
void pk_key_u32(pk_key_t *key, uint32_t value) { s_put_be(key, value, 4); }
void pk_key_u64(pk_key_t *key, uint64_t value) { s_put_be(key, value, 8); }

void
pk_key_i64(pk_key_t *key, int64_t value)
{
    // Flipping the sign bit maps INT64_MIN..INT64_MAX onto 0..UINT64_MAX in order.
    s_put_be(key, (uint64_t) value ^ (UINT64_C(1) << 63), 8);
}

void
pk_key_str(pk_key_t *key, const char *value)
{
    if (!value) {
        key->overflow = true;
        return;
    }
    s_append(key, value, strlen(value) + 1);
}

void
pk_key_str_prefix(pk_key_t *key, const char *value)
{
    if (!value) {
        key->overflow = true;
        return;
    }
    s_append(key, value, strlen(value));
}

void
pk_key_bytes(pk_key_t *key, const void *data, size_t size)
{
    if (!data && size) {
        key->overflow = true;
        return;
    }
    s_append(key, data, size);
}

bool
pk_key_ok(const pk_key_t *key)
{
    return !key->overflow && key->size > 0;
}

size_t
pk_key_next_prefix(const void *prefix, size_t prefix_size, uint8_t *out)
{
    const uint8_t *p = prefix;
    // Drop trailing 0xFF bytes (nothing follows them), then bump the last byte.
    size_t size = prefix_size;
    while (size > 0 && p[size - 1] == 0xFF)
        size--;
    if (size == 0)
        return 0;
    memmove(out, p, size);
    out[size - 1]++;
    return size;
}

void
pk_key_reader_init(pk_key_reader_t *reader, const void *key, size_t size)
{
    reader->data = key;
    reader->size = key ? size : 0;
    reader->pos = 0;
    reader->error = false;
}

static uint64_t
s_get_be(pk_key_reader_t *reader, size_t width)
{
    if (reader->error || width > reader->size - reader->pos) {
        reader->error = true;
        return 0;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < width; i++)
        value = (value << 8) | reader->data[reader->pos + i];
    reader->pos += width;
    return value;
}

uint8_t  pk_key_read_u8(pk_key_reader_t *r)  { return (uint8_t) s_get_be(r, 1); }
uint16_t pk_key_read_u16(pk_key_reader_t *r) { return (uint16_t) s_get_be(r, 2); }
uint32_t pk_key_read_u32(pk_key_reader_t *r) { return (uint32_t) s_get_be(r, 4); }
uint64_t pk_key_read_u64(pk_key_reader_t *r) { return s_get_be(r, 8); }

int64_t
pk_key_read_i64(pk_key_reader_t *reader)
{
    bool was_ok = !reader->error;
    uint64_t raw = s_get_be(reader, 8);
    if (!was_ok || reader->error)
        return 0;
    return (int64_t) (raw ^ (UINT64_C(1) << 63));
}

const char *
pk_key_read_str(pk_key_reader_t *reader, size_t *size_out)
{
    if (size_out)
        *size_out = 0;
    if (reader->error || reader->pos >= reader->size) {
        reader->error = true;
        return NULL;
    }
    const uint8_t *start = reader->data + reader->pos;
    const uint8_t *nul = memchr(start, 0, reader->size - reader->pos);
    if (!nul) {
        reader->error = true;
        return NULL;
    }
    size_t size = (size_t) (nul - start);
    reader->pos += size + 1;
    if (size_out)
        *size_out = size;
    return (const char *) start;
}

int
pk_key_reader_done(const pk_key_reader_t *reader)
{
    return (!reader->error && reader->pos == reader->size) ? 0 : -1;
}
