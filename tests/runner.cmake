# actors/runner: the executor and the actor, with real processes and sockets
pk_add_test(test_runner_build SOURCES test_runner_build.c runner_harness.c LIBS pk_actors)
pk_add_test(test_runner_actor SOURCES test_runner_actor.c fake_broker.c LIBS pk_actors)
# the git type's pr = true mode: which forge, API and repository params name
pk_add_test(test_runner_forge SOURCES test_runner_forge.c LIBS pk_actors)
# the per-build path: stacks reused, $WORKDIR made again and removed (#20)
pk_add_test(test_runner_spawnpath SOURCES test_runner_spawnpath.c fake_broker.c LIBS pk_actors)
