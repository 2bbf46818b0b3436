// pk_value_msgpack: dynamic values to and from msgpack, so HCL-evaluated data
// (params, versions, resolved build plans) travels inside messages unchanged.
// Integral numbers pack as msgpack integers, others as float64; bin unpacks as
// a string; ext types are refused.
#ifndef PK_VALUE_MSGPACK_H
#define PK_VALUE_MSGPACK_H
#include <msgpack.h>
#include "pk_value.h"

void pk_value_pack(const pk_value_t *self, msgpack_packer *pk);
// Packed bytes of the value (caller frees *data_out).
void pk_value_pack_bytes(const pk_value_t *self, uint8_t **data_out, size_t *size_out);
// NULL when the object holds an ext type or a non-string map key.
pk_value_t *pk_value_from_msgpack(const msgpack_object *o);
// Decodes exactly one msgpack object (already header-checked by the message
// layer); NULL on anything else.
pk_value_t *pk_value_unpack(const void *data, size_t size);

#endif
