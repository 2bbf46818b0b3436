// pk_proc: one child process, started the way the runner needs it.
//
// posix_spawn (vfork-cheap and safe in a threaded daemon with live zmq
// contexts) in a NEW process group, stdin on /dev/null, stdout and stderr
// merged into ONE pipe (so output keeps its interleaving), every other fd
// closed in the child, default signal dispositions and an empty signal mask.
// A pidfd reports the exit, so the owner polls two fds (output, pidfd) in its
// zloop and never needs SIGCHLD. Signals go to the whole group, so a task's
// grandchildren die with it; pk_proc_make_subreaper() makes the calling process
// inherit orphans so they are reaped (this sandbox's PID 1 does not reap).
//
// A build's processes are started with pk_proc_spawn_opts instead: the same
// vfork-cheap clone (CLONE_VM|CLONE_VFORK, what posix_spawn does inside), but
// our own child code can do what posix_spawn cannot before the exec: drop to
// an unprivileged user (setgroups, setgid, setuid: each checked, a failure
// ends the child before the exec, never a process left running as root) and
// PR_SET_PDEATHSIG(SIGKILL), so the process dies with its runner. The child
// runs in the parent's memory until the exec, so it makes raw system calls
// only (no malloc, no glibc setuid: that one would signal the parent's
// threads) and reports a failure through that shared memory.
//
// Not thread-safe: one owner thread per pk_proc_t, like every pk_ object.
#ifndef PK_PROC_H
#define PK_PROC_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct _pk_proc_t pk_proc_t;

// An unprivileged user to run processes as (--run-as).
typedef struct {
    char *name;
    uid_t uid;
    gid_t gid;
    gid_t *groups;        // supplementary groups (getgrouplist), ngroups of them
    size_t ngroups;
    char *home;           // the passwd entry's home directory
} pk_proc_user_t;

// Looks name (or a numeric uid) up in the user database. Refuses root
// (uid 0): running builds "as root" is what not giving --run-as does.
// 0, or -1 with *err_out (caller frees).
int pk_proc_user_lookup(const char *name, pk_proc_user_t *out, char **err_out);
void pk_proc_user_clear(pk_proc_user_t *self);
// A deep copy of src into dst.
void pk_proc_user_copy(pk_proc_user_t *dst, const pk_proc_user_t *src);

typedef struct {
    // SIGKILL the process when the THREAD that spawned it ends (that is
    // what PR_SET_PDEATHSIG watches, not the process): spawn from a thread
    // that outlives the process. The whole runner being killed ends every
    // thread, so a build's processes go with it.
    bool die_with_parent;
    const pk_proc_user_t *user;   // NULL: run as ourselves
    bool setup_failed;            // out: the failure was in dropping privileges
} pk_proc_opts_t;

// argv[0] is the program name; path is looked up in PATH when it has no '/'
// (using the PATH of envp if it has one, else the caller's). envp NULL means
// the caller's environment. cwd NULL means the caller's directory.
// Returns NULL with *err_out set (caller frees) when the program cannot be
// started (not found, not executable, bad cwd).
pk_proc_t *pk_proc_spawn(const char *path, char *const argv[], char *const envp[],
                         const char *cwd, char **err_out);
// pk_proc_spawn with opts (see the top). opts NULL is pk_proc_spawn.
pk_proc_t *pk_proc_spawn_opts(const char *path, char *const argv[], char *const envp[],
                              const char *cwd, pk_proc_opts_t *opts, char **err_out);
// Kills the group (SIGKILL) if still alive, reaps it, closes the fds.
void pk_proc_destroy(pk_proc_t **self_p);

pid_t pk_proc_pid(const pk_proc_t *self);
// Read end of the merged output pipe (non-blocking), -1 once EOF was read.
int pk_proc_output_fd(const pk_proc_t *self);
// Readable when the child has exited; -1 after it was reaped.
int pk_proc_exit_fd(const pk_proc_t *self);

// Reads available output: >0 bytes, 0 at EOF (fd then closed), -1 when
// nothing is available right now.
ssize_t pk_proc_read(pk_proc_t *self, void *buf, size_t len);
// Reaps the child if it has exited: true once it has (and then forever).
bool pk_proc_reap(pk_proc_t *self);
bool pk_proc_exited(const pk_proc_t *self);
// Exit status the shell way: the exit code, or 128 + signal number.
int pk_proc_status(const pk_proc_t *self);
// Output EOF reached and child reaped.
bool pk_proc_done(const pk_proc_t *self);

// Signal the whole process group (kill(-pgid)). 0 or -1 (errno set; ESRCH
// when the group is already gone).
int pk_proc_signal(pk_proc_t *self, int sig);

// Make this process a child subreaper (PR_SET_CHILD_SUBREAPER), so processes
// orphaned by our children are reparented here and can be reaped.
int pk_proc_make_subreaper(void);
// The guardian: a tiny child forked at start that outlives a runner killed
// with -9 just long enough to SIGKILL the process groups of that runner's
// build processes. PR_SET_PDEATHSIG only reaches each group's leader; its
// background jobs (grandchildren) would live on and finish their side
// effects. Each die_with_parent spawn registers its group with the guardian
// over a pipe ("+PGID\n", "-PGID\n" once reaped); when the pipe's write end
// closes -- the runner's process is gone, however it went -- the guardian
// kills the groups still registered and exits. Call once, early (before
// threads and sockets: the child only makes async-signal-safe calls).
// 0, or -1 (spawns then only have the leader's PDEATHSIG).
int pk_proc_guard_start(void);

// Reap every exited process in the group (reparented grandchildren). Safe to
// call at any time; never blocks.
void pk_proc_reap_group(pk_proc_t *self);

#endif
