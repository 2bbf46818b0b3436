# lib/pk_proc: real processes
pk_add_test(test_proc SOURCES test_proc.c LIBS pk_lib)
