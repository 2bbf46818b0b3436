# broker/: routing and dispatch with real runner actors
pk_add_test(test_broker SOURCES test_broker.c LIBS pk_broker pk_actors)
