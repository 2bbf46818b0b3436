# Built-in resource types run in-process: git (libgit2), fs, cron.
# pk_lib does not link libgit2 itself (yet), so the git test adds it.
pk_add_test(test_git SOURCES test_git.c LIBS pk_lib PkgConfig::GIT2)
pk_add_test(test_fsres SOURCES test_fsres.c LIBS pk_lib)
