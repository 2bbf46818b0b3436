# store/pk_builds and actors/scheduler: the scheduler with a real broker,
# real runners, the real checker and logsink, git repositories made with the
# git CLI, and a mem store.
pk_add_test(test_scheduler SOURCES test_scheduler.c test_sh.c LIBS pk_actors pk_broker pk_store pk_lib)
# The queue and control's commands: real scheduler and broker, a fake runner
# and control played by the test (test_scheduler_util.c).
pk_add_test(test_scheduler_queue SOURCES test_scheduler_queue.c test_scheduler_util.c
            LIBS pk_actors pk_broker pk_store pk_lib)
pk_add_test(test_scheduler_ops SOURCES test_scheduler_ops.c test_scheduler_util.c
            LIBS pk_actors pk_broker pk_store pk_lib)
# runners' reports that arrive together committed in one transaction (#20)
pk_add_test(test_scheduler_batch SOURCES test_scheduler_batch.c test_scheduler_util.c
            LIBS pk_actors pk_broker pk_store pk_lib)
