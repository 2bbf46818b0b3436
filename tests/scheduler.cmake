# store/pk_builds and actors/scheduler: the scheduler with a real broker,
# real runners, the real checker and logsink, git repositories made with the
# git CLI, and a mem store.
pk_add_test(test_scheduler SOURCES test_scheduler.c LIBS pk_actors pk_broker pk_store pk_lib)
