# lib/ tests
pk_add_test(test_suggest SOURCES test_suggest.c LIBS pk_lib)
# failed attempts per key and their backoff (logins: control, the web face)
pk_add_test(test_throttle SOURCES test_throttle.c LIBS pk_lib)
