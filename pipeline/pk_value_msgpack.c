// pk_value_msgpack: see the header. Recursion depth is bounded by the input:
// the message layer caps msgpack nesting before anything reaches here.
#include "pk_value_msgpack.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
pk_value_pack(const pk_value_t *self, msgpack_packer *pk)
{
    switch (pk_value_kind(self)) {
    case PK_V_NULL:
        msgpack_pack_nil(pk);
        break;
    case PK_V_BOOL:
        if (pk_value_bool(self))
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        break;
    case PK_V_NUMBER: {
        double n = pk_value_number(self);
        if (n == floor(n) && n >= -9.2e18 && n <= 1.8e19) {
            if (n < 0)
                msgpack_pack_int64(pk, (int64_t) n);
            else
                msgpack_pack_uint64(pk, (uint64_t) n);
        }
        else
            msgpack_pack_double(pk, n);
        break;
    }
    case PK_V_STRING:
        msgpack_pack_str_with_body(pk, pk_value_string(self), pk_value_len(self));
        break;
    case PK_V_LIST:
        msgpack_pack_array(pk, pk_value_len(self));
        for (size_t i = 0; i < pk_value_len(self); i++)
            pk_value_pack(pk_value_list_at(self, i), pk);
        break;
    case PK_V_OBJECT:
        msgpack_pack_map(pk, pk_value_len(self));
        for (size_t i = 0; i < pk_value_len(self); i++) {
            const char *k = pk_value_object_key(self, i);
            msgpack_pack_str_with_body(pk, k, strlen(k));
            pk_value_pack(pk_value_object_at(self, i), pk);
        }
        break;
    }
}

void
pk_value_pack_bytes(const pk_value_t *self, uint8_t **data_out, size_t *size_out)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pk_value_pack(self, &pk);
    *size_out = sb.size;
    *data_out = (uint8_t *) msgpack_sbuffer_release(&sb);
}

pk_value_t *
pk_value_from_msgpack(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return pk_value_new_null();
    case MSGPACK_OBJECT_BOOLEAN:
        return pk_value_new_bool(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        return pk_value_new_number((double) o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return pk_value_new_number((double) o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return pk_value_new_number(o->via.f64);
    case MSGPACK_OBJECT_STR:
        return pk_value_new_stringn(o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return pk_value_new_stringn(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_ARRAY: {
        pk_value_t *list = pk_value_new_list();
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            pk_value_t *item = pk_value_from_msgpack(&o->via.array.ptr[i]);
            if (!item) {
                pk_value_destroy(&list);
                return NULL;
            }
            pk_value_list_append(list, item);
        }
        return list;
    }
    case MSGPACK_OBJECT_MAP: {
        pk_value_t *obj = pk_value_new_object();
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            pk_value_t *item = k->type == MSGPACK_OBJECT_STR
                             ? pk_value_from_msgpack(&o->via.map.ptr[i].val) : NULL;
            if (!item || memchr(k->via.str.ptr, 0, k->via.str.size)) {
                pk_value_destroy(&item);
                pk_value_destroy(&obj);
                return NULL;
            }
            char *key = strndup(k->via.str.ptr, k->via.str.size);
            pk_value_object_set(obj, key, item);
            free(key);
        }
        return obj;
    }
    default:
        return NULL;
    }
}

pk_value_t *
pk_value_unpack(const void *data, size_t size)
{
    if (!data || !size)
        return NULL;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    pk_value_t *v = NULL;
    if (msgpack_unpack_next(&up, data, size, &off) == MSGPACK_UNPACK_SUCCESS && off == size)
        v = pk_value_from_msgpack(&up.data);
    msgpack_unpacked_destroy(&up);
    return v;
}
