# broker/: routing and dispatch with real runner actors
pk_add_test(test_broker SOURCES test_broker.c LIBS pk_broker pk_actors)
# the two clocks: unreachable within seconds, work kept for the grace, handed on after it
pk_add_test(test_broker_grace SOURCES test_broker_grace.c LIBS pk_broker pk_actors)
# bounded state: subscriptions and worker names per connection, lost workers forgotten
pk_add_test(test_broker_bounds SOURCES test_broker_bounds.c LIBS pk_broker pk_actors)
