# Built-in resource types run in-process: git (libgit2), fs, cron.
pk_add_test(test_git SOURCES test_git.c test_sh.c LIBS pk_lib)
pk_add_test(test_fsres SOURCES test_fsres.c test_sh.c LIBS pk_lib)
# pk_git_pull from the runner's mirror (lib/pk_git_local.c): links, git's
# view of the checkout, the mirror changed or gone afterwards, builds at once
pk_add_test(test_git_local SOURCES test_git_local.c test_sh.c LIBS pk_lib)
