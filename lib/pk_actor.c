// pk_actor: see pk_actor.h.
#include "pk_actor.h"

void
pk_actor_failed(zsock_t *pipe)
{
    char *cmd;
    while ((cmd = zstr_recv(pipe))) {
        bool term = streq(cmd, "$TERM");
        if (streq(cmd, "STATUS"))
            zstr_send(pipe, "failed");
        zstr_free(&cmd);
        if (term)
            break;
    }
}
