// pk_actor: what every pikoci actor shares beyond czmq's zactor contract.
// zactor_new returns once the actor signals, whatever its setup did, so a
// constructor asks "STATUS" right away and an actor whose setup failed
// answers "failed" (then waits for $TERM like any actor) -- pk_actor_failed.
#ifndef PK_ACTOR_H
#define PK_ACTOR_H
#include <czmq.h>

// For an actor that could not set up: answer STATUS with "failed" until
// $TERM arrives, then return (the actor function returns right after).
void pk_actor_failed(zsock_t *pipe);

#endif
