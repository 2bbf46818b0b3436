# store/pk_logs and actors/logsink: the log keyspaces alone, then the sink
# with a real broker, real runners and a real store (mem and lmdb).
pk_add_test(test_logs SOURCES test_logs.c LIBS pk_store pk_lib)
pk_add_test(test_logsink SOURCES test_logsink.c LIBS pk_actors pk_broker pk_store pk_lib)
