# Built-in resource types run in-process: git (libgit2), fs, cron.
pk_add_test(test_git SOURCES test_git.c LIBS pk_lib)
pk_add_test(test_fsres SOURCES test_fsres.c LIBS pk_lib)
