# lib/ tests
pk_add_test(test_suggest SOURCES test_suggest.c LIBS pk_lib)
