// The subcommands of the pikoci binary, one per tools/cmd_<name>.c. Each gets
// argv starting at its own name and returns the process exit code
// (0 ok, 1 failure of the thing run, 2 usage or configuration error).
#ifndef PK_CMDS_H
#define PK_CMDS_H

#define PK_VERSION "0.1.0"

typedef int (pk_cmd_fn)(int argc, char **argv);

pk_cmd_fn pk_cmd_validate;
pk_cmd_fn pk_cmd_run;

#endif
