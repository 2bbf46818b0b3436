# lib/pk_fetch against HTTP servers on loopback
pk_add_test(test_fetch SOURCES test_fetch.c LIBS pk_lib)
