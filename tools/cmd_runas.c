// cmd_runas: --run-as USER, shared by `pikoci worker` and `pikoci server
// --run-worker`. Dropping to USER for each build process needs the rights
// to change user (root); without them every build would fail at its first
// command, so the command stops at start instead, with the reason.
#include "pk_cmds.h"
#include "pk_proc.h"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int
pk_cmd_run_as(pk_proc_user_t *user, const char *name, const char *cmd)
{
    char *err = NULL;
    if (pk_proc_user_lookup(name, user, &err) != 0) {
        fprintf(stderr, "pikoci %s: --run-as %s\n", cmd, err);
        free(err);
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "pikoci %s: --run-as %s: only root can run builds as another user "
                "(this process runs as uid %u)\n", cmd, name, (unsigned) geteuid());
        pk_proc_user_clear(user);
        return 2;
    }
    return 0;
}
