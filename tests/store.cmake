# store/ tests: one implementation, every behaviour tested on "lmdb" and "mem".
pk_add_test(test_store SOURCES test_store.c LIBS pk_store)
# Re-executes itself (/proc/self/exe) for the crashing child processes.
pk_add_test(test_store_crash SOURCES test_store_crash.c LIBS pk_store)
# pk_store_open_all: every module's keyspace in one commit; kill -9 safe.
pk_add_test(test_store_keyspaces SOURCES test_store_keyspaces.c LIBS pk_store)
