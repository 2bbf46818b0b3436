# store/pk_versions and actors/checker: versions keyspaces on lmdb and mem;
# the checker actor with a real broker, real runners, real git repositories.
pk_add_test(test_versions SOURCES test_versions.c LIBS pk_store pk_pipeline)
# The checker needs the store layer, which pk_actors does not link yet.
pk_add_test(test_checker SOURCES test_checker.c test_sh.c LIBS pk_actors pk_broker pk_store)
# the checker's version collector (--retain-versions) and the builds_uses
# index it reads
pk_add_test(test_checker_retain SOURCES test_checker_retain.c LIBS pk_actors pk_broker pk_store)
