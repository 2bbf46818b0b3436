// Fuzz the message decoder: the first byte picks the message type, the rest is
// the body as it would arrive from the network. Whatever decodes must encode
// again and decode to an equal message.
// PK_FUZZ_LIBS: pk_msgs
#include "pk_msg.h"
#include <assert.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    pk_msg_type_t type = (pk_msg_type_t) (data[0] % PK_MSG_COUNT);
    pk_msg_t msg;
    char err[256];
    if (pk_msg_decode(type, data + 1, size - 1, &msg, err, sizeof err) != 0)
        return 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    int rc = pk_msg_encode(&msg, &sb);
    assert(rc == 0);
    pk_msg_t again;
    rc = pk_msg_decode(type, sb.data, sb.size, &again, err, sizeof err);
    assert(rc == 0);
    assert(pk_msg_equal(&msg, &again));
    pk_msg_clear(&again);
    pk_msg_clear(&msg);
    msgpack_sbuffer_destroy(&sb);
    return 0;
}
