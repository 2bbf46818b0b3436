// pk_msg_zmq: the zmq framing of a message, [command][body] (pk_msg.h).
// Apart from the codec (pk_msg.c) so that a program speaking ZMTP itself --
// the small `pikoci` front end (tools/pikoci.c) -- links the codec without
// libczmq.
#include "pk_msg.h"
#include <stdio.h>
#include <string.h>

zmsg_t *
pk_msg_to_zmsg(const pk_msg_t *msg)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    if (pk_msg_encode(msg, &sb) != 0) {
        msgpack_sbuffer_destroy(&sb);
        return NULL;
    }
    zmsg_t *z = zmsg_new();
    zmsg_addstr(z, pk_msg_command(msg->type));
    zmsg_addmem(z, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return z;
}

int
pk_msg_send(void *sock, const pk_msg_t *msg)
{
    zmsg_t *z = pk_msg_to_zmsg(msg);
    if (!z)
        return -1;
    int rc = zmsg_send(&z, sock);
    zmsg_destroy(&z);           // still ours when the send failed (timeout, no peer)
    return rc;
}

int
pk_msg_from_zmsg(zmsg_t *zmsg, pk_msg_t *msg, char *err, size_t errlen)
{
    memset(msg, 0, sizeof(*msg));
    zframe_t *cmd = zmsg_pop(zmsg);
    zframe_t *body = zmsg_pop(zmsg);
    int rc = -1;
    if (!cmd || !body) {
        if (err)
            snprintf(err, errlen, "message needs a command frame and a body frame");
    }
    else {
        int type = pk_msg_type_from_command((const char *) zframe_data(cmd), zframe_size(cmd));
        if (type < 0) {
            if (err)
                snprintf(err, errlen, "unknown command (%zu bytes)", zframe_size(cmd));
        }
        else
            rc = pk_msg_decode((pk_msg_type_t) type, zframe_data(body), zframe_size(body),
                               msg, err, errlen);
    }
    zframe_destroy(&cmd);
    zframe_destroy(&body);
    return rc;
}
