// pk_actor: what every pikoci actor shares beyond czmq's zactor contract.
// zactor_new returns once the actor signals, whatever its setup did, so a
// constructor asks "STATUS" right away and an actor whose setup failed
// answers "failed" (then waits for $TERM like any actor) -- pk_actor_failed.
#ifndef PK_ACTOR_H
#define PK_ACTOR_H
#include <czmq.h>

// zactor_new, then STATUS: the actor, or NULL (destroyed) when its setup
// failed. An actor answers STATUS with anything but "failed" once it runs.
zactor_t *pk_actor_new(zactor_fn *fn, void *args);

// For an actor that could not set up: answer STATUS with "failed" until
// $TERM arrives, then return (the actor function returns right after).
void pk_actor_failed(zsock_t *pipe);

// A period in ms: configured when positive, else $env_name's value when
// positive (tests shorten periods through the environment), else fallback.
int64_t pk_actor_period_ms(int64_t configured, const char *env_name, int64_t fallback);

#endif
