// test_work_root: a runner work root of this test process's own. Several
// test programs run builds with the same ids at once (ctest -j); with one
// shared root they would build in, and remove, each other's directories.
// Removed at exit when the builds left it empty, as they should.
#ifndef TEST_WORK_ROOT_H
#define TEST_WORK_ROOT_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char s_test_work_root[64];

static void
s_test_work_root_rm(void)
{
    rmdir(s_test_work_root);
}

static inline const char *
test_work_root(void)
{
    if (!*s_test_work_root) {
        snprintf(s_test_work_root, sizeof s_test_work_root, "/tmp/pikoci-test-work.%d",
                 (int) getpid());
        atexit(s_test_work_root_rm);
    }
    return s_test_work_root;
}

#endif
