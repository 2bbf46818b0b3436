# actors/control + lib/pk_client: the control actor (its queries, the
# overview pikoci-top starts from, forwarding to the scheduler and the
# checker) with a real broker, store and client.
pk_add_test(test_control SOURCES test_control.c)
