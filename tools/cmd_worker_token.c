// cmd_worker_token: `pikoci worker-token new [--team T] [--tokens FILE]
// [--label L] [--output FILE]` -- a new worker token, its hash appended to
// the broker's list (lib/pk_tokens.h). A local file operation on the
// machine of the server or standalone broker (which re-reads the list when
// it changes): no server is asked.
#include "pk_cmds.h"
#include "pk_tokens.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static void
s_usage(FILE *out)
{
    fprintf(out, "usage: pikoci worker-token new [--team T] [--label L] [--tokens FILE]\n"
            "                               [--output FILE]\n\n"
            "Makes a worker token and adds its hash to the list the server's (or\n"
            "standalone broker's) --worker-tokens names; prints the token, or writes it\n"
            "to --output FILE (0600) for `pikoci worker --worker-token FILE`.\n\n"
            "options:\n"
            "  --team T       the worker gets only team T's work (default: every team)\n"
            "  --label L      a note kept beside the hash (which machine it is for)\n"
            "  --tokens FILE  the list (default: worker-tokens in the runtime dir:\n"
            "                 $PIKOCI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/pikoci, else\n"
            "                 /tmp/pikoci-UID)\n"
            "  --output FILE  write the token there instead of printing it\n\n"
            "To revoke a token, delete its line from the list.\n"
            "exit status: 0 made, 2 usage error or the files cannot be written\n");
}

int
pk_cmd_worker_token(int argc, char **argv)
{
    const char *team = NULL, *label = NULL, *list = NULL, *output = NULL;
    bool is_new = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "new") && !is_new) {
            is_new = true;
            continue;
        }
        bool known = !strcmp(a, "--team") || !strcmp(a, "--label") || !strcmp(a, "--tokens")
                  || !strcmp(a, "--output");
        if (!known || i + 1 >= argc) {
            fprintf(stderr, known ? "pikoci worker-token: %s needs a value\n"
                    : "pikoci worker-token: unexpected '%s' (see pikoci worker-token --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--team"))
            team = v;
        else if (!strcmp(a, "--label"))
            label = v;
        else if (!strcmp(a, "--tokens"))
            list = v;
        else
            output = v;
    }
    if (!is_new) {
        fprintf(stderr, "pikoci worker-token: usage: pikoci worker-token new [--team T] ...\n");
        return 2;
    }
    if ((team && (!*team || strpbrk(team, " \t\n*"))) || (label && strpbrk(label, "\n"))) {
        fprintf(stderr, "pikoci worker-token: a team is one word (no spaces or '*')\n");
        return 2;
    }
    char *err = NULL, *dir = NULL, *path = NULL;
    if (!list) {
        if (!(dir = pk_runtime_dir(&err)) || pk_tokens_defaults(dir, &err) != 0) {
            fprintf(stderr, "pikoci worker-token: %s\n", err ? err : "no runtime dir");
            free(err);
            free(dir);
            return 2;
        }
        list = path = pk_path_join(dir, PK_TOKENS_LIST_FILE);
    }
    char *token = pk_token_new("pkw_");
    int rc = 0;
    if (output) {
        int fd = open(output, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        size_t n = strlen(token);
        if (fd < 0 || write(fd, token, n) != (ssize_t) n || write(fd, "\n", 1) != 1) {
            fprintf(stderr, "pikoci worker-token: cannot write %s (it must not exist yet)\n",
                    output);
            rc = 2;
        }
        if (fd >= 0)
            close(fd);
    }
    if (rc == 0 && pk_worker_tokens_add(list, token, team, label, &err) != 0) {
        fprintf(stderr, "pikoci worker-token: %s\n", err ? err : "cannot write the list");
        rc = 2;
    }
    if (rc == 0 && !output)
        printf("%s\n", token);
    if (rc == 0)
        fprintf(stderr, "pikoci worker-token: added to %s (%s)\n", list,
                team ? team : "every team");
    free(token);
    free(err);
    free(path);
    free(dir);
    return rc;
}
