// pk_msg: the generic codec behind every message. Encoding and decoding walk
// the field table of the message type (pk_msg_table.c); nothing here knows a
// particular message. Decoding first runs pk_msgpack_check so msgpack-c never
// sizes an allocation from an untrusted header.
#include "pk_msg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

static void *
s_at(const pk_msg_t *msg, const pk_field_t *f)
{
    return (char *) msg + f->offset;
}

static void
s_pack_str(msgpack_packer *pk, const char *s, size_t len)
{
    msgpack_pack_str_with_body(pk, s, len);
}

static bool
s_field_present(const pk_msg_t *msg, const pk_field_t *f)
{
    void *at = s_at(msg, f);
    switch (f->type) {
    case PK_F_STR:  return *(char **) at != NULL;
    // an empty bin is a value (an empty log chunk); an empty raw is no object at all
    case PK_F_BIN:  return ((pk_bytes_t *) at)->size > 0 || f->required;
    case PK_F_RAW:  return ((pk_bytes_t *) at)->size > 0;
    case PK_F_STRS: return ((pk_strs_t *) at)->count > 0;
    case PK_F_KV:   return ((pk_kv_t *) at)->count > 0;
    default:        return true;
    }
}

int
pk_msg_encode(const pk_msg_t *msg, msgpack_sbuffer *out)
{
    const pk_msg_spec_t *spec = pk_msg_spec(msg->type);
    if (!spec)
        return -1;
    size_t present = 0;
    for (size_t i = 0; i < spec->field_count; i++) {
        const pk_field_t *f = &spec->fields[i];
        if (s_field_present(msg, f))
            present++;
        else
        if (f->required)
            return -1;   // a required field left empty is the sender's bug: refuse to send it
    }
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, present);
    for (size_t i = 0; i < spec->field_count; i++) {
        const pk_field_t *f = &spec->fields[i];
        if (!s_field_present(msg, f))
            continue;
        void *at = s_at(msg, f);
        s_pack_str(&pk, f->name, strlen(f->name));
        switch (f->type) {
        case PK_F_STR: {
            const char *s = *(char **) at;
            s_pack_str(&pk, s, strlen(s));
            break;
        }
        case PK_F_U32:  msgpack_pack_uint32(&pk, *(uint32_t *) at); break;
        case PK_F_U64:  msgpack_pack_uint64(&pk, *(uint64_t *) at); break;
        case PK_F_I64:  msgpack_pack_int64(&pk, *(int64_t *) at); break;
        case PK_F_BOOL:
            if (*(bool *) at)
                msgpack_pack_true(&pk);
            else
                msgpack_pack_false(&pk);
            break;
        case PK_F_BIN: {
            const pk_bytes_t *b = at;
            msgpack_pack_bin_with_body(&pk, b->data, b->size);
            break;
        }
        case PK_F_RAW: {
            // already packed: must be exactly one valid object, copied as is
            const pk_bytes_t *b = at;
            if (pk_msgpack_check(b->data, b->size, NULL, 0) != 0)
                return -1;
            msgpack_sbuffer_write(out, (const char *) b->data, b->size);
            break;
        }
        case PK_F_STRS: {
            const pk_strs_t *l = at;
            msgpack_pack_array(&pk, l->count);
            for (size_t j = 0; j < l->count; j++)
                s_pack_str(&pk, l->items[j], strlen(l->items[j]));
            break;
        }
        case PK_F_KV: {
            const pk_kv_t *kv = at;
            msgpack_pack_map(&pk, kv->count);
            for (size_t j = 0; j < kv->count; j++) {
                s_pack_str(&pk, kv->keys[j], strlen(kv->keys[j]));
                s_pack_str(&pk, kv->values[j], strlen(kv->values[j]));
            }
            break;
        }
        }
    }
    return 0;
}

// A msgpack str as an owned C string; NULL when it holds a NUL byte, since
// every consumer treats these as C strings and must not see a truncated one.
static char *
s_strdup_obj(const msgpack_object *o)
{
    if (o->type != MSGPACK_OBJECT_STR || memchr(o->via.str.ptr, 0, o->via.str.size))
        return NULL;
    char *s = malloc(o->via.str.size + 1);
    memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = 0;
    return s;
}

static int
s_decode_field(const pk_field_t *f, const msgpack_object *o, void *at)
{
    switch (f->type) {
    case PK_F_STR:
        return (*(char **) at = s_strdup_obj(o)) ? 0 : -1;
    case PK_F_U32:
        if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > UINT32_MAX)
            return -1;
        *(uint32_t *) at = (uint32_t) o->via.u64;
        return 0;
    case PK_F_U64:
        if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            return -1;
        *(uint64_t *) at = o->via.u64;
        return 0;
    case PK_F_I64:
        if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            *(int64_t *) at = o->via.i64;
        else
        if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
            *(int64_t *) at = (int64_t) o->via.u64;
        else
            return -1;
        return 0;
    case PK_F_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            return -1;
        *(bool *) at = o->via.boolean;
        return 0;
    case PK_F_BIN: {
        if (o->type != MSGPACK_OBJECT_BIN)
            return -1;
        pk_bytes_t *b = at;
        b->size = o->via.bin.size;
        b->data = malloc(b->size ? b->size : 1);
        memcpy(b->data, o->via.bin.ptr, b->size);
        return 0;
    }
    case PK_F_RAW: {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_object(&pk, *o);
        pk_bytes_t *b = at;
        b->size = sb.size;
        b->data = (uint8_t *) msgpack_sbuffer_release(&sb);
        return 0;
    }
    case PK_F_STRS: {
        if (o->type != MSGPACK_OBJECT_ARRAY)
            return -1;
        pk_strs_t *l = at;
        l->items = calloc(o->via.array.size ? o->via.array.size : 1, sizeof(char *));
        for (uint32_t j = 0; j < o->via.array.size; j++) {
            if (!(l->items[j] = s_strdup_obj(&o->via.array.ptr[j])))
                return -1;
            l->count++;
        }
        return 0;
    }
    case PK_F_KV: {
        if (o->type != MSGPACK_OBJECT_MAP)
            return -1;
        pk_kv_t *kv = at;
        size_t n = o->via.map.size ? o->via.map.size : 1;
        kv->keys = calloc(n, sizeof(char *));
        kv->values = calloc(n, sizeof(char *));
        for (uint32_t j = 0; j < o->via.map.size; j++) {
            char *k = s_strdup_obj(&o->via.map.ptr[j].key);
            char *v = s_strdup_obj(&o->via.map.ptr[j].val);
            if (!k || !v) {
                free(k);
                free(v);
                return -1;
            }
            kv->keys[kv->count] = k;
            kv->values[kv->count++] = v;
        }
        return 0;
    }
    }
    return -1;
}

static const char *
s_type_name(pk_field_type_t t)
{
    static const char *names[] = { "string", "uint32", "uint64", "int64", "bool",
                                   "bin", "msgpack", "string list", "string map" };
    return names[t];
}

int
pk_msg_decode(pk_msg_type_t type, const void *data, size_t size, pk_msg_t *msg,
              char *err, size_t errlen)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = type;
    const pk_msg_spec_t *spec = pk_msg_spec(type);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    uint64_t seen = 0;   // bit per field; no message has 64 fields
    if (!spec)
        FAIL("unknown message type %d", (int) type);
    if (size > PK_MSG_MAX_FRAME)
        FAIL("%s: body of %zu bytes exceeds the %u byte limit", spec->command, size,
             PK_MSG_MAX_FRAME);
    if (pk_msgpack_check(data, size, err, errlen) != 0)
        goto fail;
    size_t off = 0;
    if (msgpack_unpack_next(&up, data, size, &off) != MSGPACK_UNPACK_SUCCESS)
        FAIL("%s: body is not valid msgpack", spec->command);
    if (up.data.type != MSGPACK_OBJECT_MAP)
        FAIL("%s: body is not a map", spec->command);
    for (uint32_t i = 0; i < up.data.via.map.size; i++) {
        const msgpack_object *k = &up.data.via.map.ptr[i].key;
        const msgpack_object *v = &up.data.via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            FAIL("%s: field name is not a string", spec->command);
        for (size_t j = 0; j < spec->field_count; j++) {
            const pk_field_t *f = &spec->fields[j];
            if (strlen(f->name) != k->via.str.size
            ||  memcmp(f->name, k->via.str.ptr, k->via.str.size))
                continue;
            if (seen & (1ull << j))
                FAIL("%s: field '%s' appears twice", spec->command, f->name);
            seen |= 1ull << j;
            if (s_decode_field(f, v, s_at(msg, f)) != 0)
                FAIL("%s: field '%s' must be a %s", spec->command, f->name,
                     s_type_name(f->type));
            break;
        }
        // unknown fields are skipped: newer peers may send more
    }
    for (size_t j = 0; j < spec->field_count; j++)
        if (spec->fields[j].required && !(seen & (1ull << j)))
            FAIL("%s: required field '%s' is missing", spec->command, spec->fields[j].name);
    msgpack_unpacked_destroy(&up);
    return 0;
fail:
    msgpack_unpacked_destroy(&up);
    pk_msg_clear(msg);
    return -1;
}

void
pk_msg_clear(pk_msg_t *msg)
{
    const pk_msg_spec_t *spec = pk_msg_spec(msg->type);
    for (size_t i = 0; spec && i < spec->field_count; i++) {
        const pk_field_t *f = &spec->fields[i];
        void *at = s_at(msg, f);
        switch (f->type) {
        case PK_F_STR:
            free(*(char **) at);
            break;
        case PK_F_BIN:
        case PK_F_RAW:
            free(((pk_bytes_t *) at)->data);
            break;
        case PK_F_STRS: {
            pk_strs_t *l = at;
            for (size_t j = 0; j < l->count; j++)
                free(l->items[j]);
            free(l->items);
            break;
        }
        case PK_F_KV:
            pk_kv_clear(at);
            break;
        default:
            break;
        }
    }
    memset(msg, 0, sizeof(*msg));
}

void
pk_strs_push(pk_strs_t *strs, const char *s)
{
    strs->items = realloc(strs->items, (strs->count + 1) * sizeof(char *));
    strs->items[strs->count++] = strdup(s);
}

void
pk_kv_set(pk_kv_t *kv, const char *key, const char *value)
{
    for (size_t i = 0; i < kv->count; i++)
        if (!strcmp(kv->keys[i], key)) {
            free(kv->values[i]);
            kv->values[i] = strdup(value);
            return;
        }
    kv->keys = realloc(kv->keys, (kv->count + 1) * sizeof(char *));
    kv->values = realloc(kv->values, (kv->count + 1) * sizeof(char *));
    kv->keys[kv->count] = strdup(key);
    kv->values[kv->count++] = strdup(value);
}

void
pk_kv_set_va(pk_kv_t *kv, va_list ap)
{
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        if (v)
            pk_kv_set(kv, k, v);
    }
}

void
pk_kv_clear(pk_kv_t *kv)
{
    for (size_t i = 0; i < kv->count; i++) {
        free(kv->keys[i]);
        free(kv->values[i]);
    }
    free(kv->keys);
    free(kv->values);
    memset(kv, 0, sizeof(*kv));
}

const char *
pk_kv_get(const pk_kv_t *kv, const char *key)
{
    for (size_t i = 0; i < kv->count; i++)
        if (!strcmp(kv->keys[i], key))
            return kv->values[i];
    return NULL;
}

bool
pk_msg_equal(const pk_msg_t *a, const pk_msg_t *b)
{
    if (a->type != b->type)
        return false;
    const pk_msg_spec_t *spec = pk_msg_spec(a->type);
    for (size_t i = 0; spec && i < spec->field_count; i++) {
        const pk_field_t *f = &spec->fields[i];
        const void *x = s_at(a, f), *y = s_at(b, f);
        switch (f->type) {
        case PK_F_STR: {
            const char *sx = *(char *const *) x, *sy = *(char *const *) y;
            if ((sx == NULL) != (sy == NULL) || (sx && strcmp(sx, sy)))
                return false;
            break;
        }
        case PK_F_U32:  if (*(const uint32_t *) x != *(const uint32_t *) y) return false; break;
        case PK_F_U64:  if (*(const uint64_t *) x != *(const uint64_t *) y) return false; break;
        case PK_F_I64:  if (*(const int64_t *) x != *(const int64_t *) y) return false; break;
        case PK_F_BOOL: if (*(const bool *) x != *(const bool *) y) return false; break;
        case PK_F_BIN:
        case PK_F_RAW: {
            const pk_bytes_t *bx = x, *by = y;
            if (bx->size != by->size || (bx->size && memcmp(bx->data, by->data, bx->size)))
                return false;
            break;
        }
        case PK_F_STRS: {
            const pk_strs_t *lx = x, *ly = y;
            if (lx->count != ly->count)
                return false;
            for (size_t j = 0; j < lx->count; j++)
                if (strcmp(lx->items[j], ly->items[j]))
                    return false;
            break;
        }
        case PK_F_KV: {
            const pk_kv_t *kx = x, *ky = y;
            if (kx->count != ky->count)
                return false;
            for (size_t j = 0; j < kx->count; j++)
                if (strcmp(kx->keys[j], ky->keys[j]) || strcmp(kx->values[j], ky->values[j]))
                    return false;
            break;
        }
        }
    }
    return true;
}
