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

zactor_t *
pk_actor_new(zactor_fn *fn, void *args)
{
    zactor_t *actor = zactor_new(fn, args);
    if (!actor)
        return NULL;
    zstr_send(actor, "STATUS");
    char *status = zstr_recv(actor);
    bool ok = status && !streq(status, "failed");
    zstr_free(&status);
    if (!ok)
        zactor_destroy(&actor);
    return actor;
}

int64_t
pk_actor_period_ms(int64_t configured, const char *env_name, int64_t fallback)
{
    if (configured > 0)
        return configured;
    const char *env = getenv(env_name);
    int64_t ms = env && *env ? strtoll(env, NULL, 10) : 0;
    return ms > 0 ? ms : fallback;
}
