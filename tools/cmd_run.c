// pikoci run: one job of a pipeline, here and now, with no server -- how a
// developer tries a pipeline before pushing it. The pipeline is validated,
// each resource the job gets is checked for its newest version (or replaced
// by a local directory with --resource), and the job runs through the very
// runner actor a worker uses: this command plays the broker and the log sink
// on an inproc socket, printing the log as it arrives. Exit status: 0 when
// the build succeeds, 1 when it fails (or is cancelled), 2 when it cannot be
// run (bad pipeline, unknown job, a check that fails).
#include "pk_cmds.h"
#include "pk_git.h"
#include "pk_msg.h"
#include "pk_pipeline.h"
#include "pk_proc.h"
#include "pk_resolve.h"
#include "pk_runner.h"
#include "pk_suggest.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void
s_usage(FILE *out)
{
    fprintf(out,
        "usage: pikoci run FILE --job JOB [--var NAME=VALUE]... [--vars FILE.json]\n"
        "                  [--resource TYPE.NAME=DIR]... [--allow-remote-types]\n"
        "       pikoci run -p FILE -j JOB [-v FILE.json] ...     (PikoCI's form)\n\n"
        "Runs one job of the pipeline in FILE locally, with no server, and streams its\n"
        "log to stdout. Each resource the job gets is checked first and its newest\n"
        "version used, unless --resource gives a local directory to use instead (it is\n"
        "copied into $WORKDIR/<name>). Ctrl-C cancels the build: on_cancel and ensure\n"
        "hooks run and every process of the build is stopped.\n\n"
        "Types with an https:// source are fetched once, before the job runs. A type\n"
        "whose pikoci://NAME is not built into pikoci is an error unless\n"
        "--allow-remote-types is given: then it is fetched from PikoCI's registry as\n"
        "BASE/<kind dir>/NAME.hcl (BASE: $PIKOCI_REMOTE_TYPES_URL, else\n"
        PK_SOURCES_REMOTE_BASE ").\n"
        "Built-in names are never fetched.\n\n"
        "options:\n"
        "  -p, --pipeline-config FILE  the pipeline (or FILE as the first argument)\n"
        "  -j, --job JOB               the job to run\n"
        "  --var NAME=VALUE            a pipeline variable (repeatable; wins over --vars)\n"
        "  -v, --vars FILE.json        pipeline variables from a JSON object\n"
        "  --resource TYPE.NAME=DIR    use DIR for that resource instead of checking it\n"
        "  --allow-remote-types        see above\n\n"
        "exit status: 0 the build succeeded, 1 it failed or was cancelled,\n"
        "             2 it could not be run (invalid pipeline, unknown job, failed check)\n");
}

typedef struct {
    zsock_t *router;
    zframe_t *runner_id;
    int sigfd;
    bool cancelled;
    const char *build_id;
} s_run_t;

// Next message from the runner; NULL msg type on a signal. Returns false on
// timeout (runner silent).
static bool
s_next(s_run_t *r, pk_msg_t *m, bool *signalled)
{
    *signalled = false;
    for (;;) {
        zmq_pollitem_t items[] = {
            { zsock_resolve(r->router), 0, ZMQ_POLLIN, 0 },
            { NULL, r->sigfd, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll(items, 2, 30000) <= 0)
            continue;    // the runner heartbeats every second; keep waiting for work to end
        if (items[1].revents & ZMQ_POLLIN) {
            struct signalfd_siginfo si;
            if (read(r->sigfd, &si, sizeof si) > 0) {
                *signalled = true;
                return true;
            }
        }
        if (!(items[0].revents & ZMQ_POLLIN))
            continue;
        zmsg_t *z = zmsg_recv(r->router);
        if (!z)
            return false;
        zframe_t *id = zmsg_pop(z);
        if (!r->runner_id)
            r->runner_id = zframe_dup(id);
        zframe_destroy(&id);
        char err[256];
        int rc = pk_msg_from_zmsg(z, m, err, sizeof err);
        zmsg_destroy(&z);
        if (rc == 0)
            return true;
        fprintf(stderr, "pikoci run: dropped a malformed message from the runner: %s\n", err);
    }
}

static void
s_send(s_run_t *r, const pk_msg_t *m)
{
    zmsg_t *z = pk_msg_to_zmsg(m);
    zmsg_pushmem(z, zframe_data(r->runner_id), zframe_size(r->runner_id));
    zmsg_send(&z, r->router);
}

static void
s_send_work(s_run_t *r, const char *id, const char *kind, const pk_value_t *plan)
{
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = (char *) id;
    m.work.attempt = 1;
    m.work.kind = (char *) kind;
    pk_value_pack_bytes(plan, &m.work.plan.data, &m.work.plan.size);
    s_send(r, &m);
    free(m.work.plan.data);
}

static void
s_cancel(s_run_t *r, const char *id)
{
    pk_msg_t m = { .type = PK_MSG_CANCEL };
    m.cancel.id = (char *) id;
    m.cancel.attempt = 1;
    m.cancel.reason = "cancelled (interrupted)";
    s_send(r, &m);
}

// Check one resource: its newest version (caller owns), or NULL with a message.
static pk_value_t *
s_check(s_run_t *r, const pk_pipeline_t *p, const pk_resource_t *res, const char *pname)
{
    char *err = NULL;
    pk_value_t *plan = pk_resolve_check(p, res, pname, NULL, &err);
    if (!plan) {
        fprintf(stderr, "pikoci run: %s\n", err);
        free(err);
        return NULL;
    }
    char id[512];
    snprintf(id, sizeof id, "check:%s/%s", pname, res->canonical);
    s_send_work(r, id, "check", plan);
    pk_value_destroy(&plan);
    pk_value_t *newest = NULL;
    for (;;) {
        pk_msg_t m;
        bool sig;
        if (!s_next(r, &m, &sig))
            return NULL;
        if (sig) {
            fprintf(stderr, "pikoci run: interrupted while checking %s\n", res->canonical);
            s_cancel(r, id);
            continue;
        }
        if (m.type == PK_MSG_VERSIONS && !strcmp(m.versions.id, id)) {
            if (m.versions.error) {
                fprintf(stderr, "pikoci run: check of %s failed: %s\n", res->canonical, m.versions.error);
                if (m.versions.output)
                    fprintf(stderr, "%s", m.versions.output);
            }
            else {
                pk_value_t *list = pk_value_unpack(m.versions.versions.data, m.versions.versions.size);
                size_t n = list ? pk_value_len(list) : 0;
                if (n)
                    newest = pk_value_dup(pk_value_list_at(list, n - 1));
                else
                    fprintf(stderr, "pikoci run: resource %s has no version (its check found none)\n",
                            res->canonical);
                pk_value_destroy(&list);
            }
            pk_msg_clear(&m);
            return newest;
        }
        pk_msg_clear(&m);
    }
}

static int
s_follow(s_run_t *r, const char *id)
{
    int exit_code = 1;
    for (;;) {
        pk_msg_t m;
        bool sig;
        if (!s_next(r, &m, &sig)) {
            fprintf(stderr, "pikoci run: lost the runner\n");
            return 1;
        }
        if (sig) {
            if (!r->cancelled)
                fprintf(stderr, "\npikoci run: cancelling (on_cancel and ensure hooks run)...\n");
            r->cancelled = true;
            s_cancel(r, id);
            continue;
        }
        switch (m.type) {
        case PK_MSG_LOG:
            fwrite(m.log.data.data, 1, m.log.data.size, stdout);
            fflush(stdout);
            pk_msg_t c = { .type = PK_MSG_CREDIT };
            c.credit.id = m.log.id;
            c.credit.attempt = m.log.attempt;
            c.credit.credits = 1;
            s_send(r, &c);
            break;
        case PK_MSG_STEP:
            if (!strcmp(m.step.status, "started"))
                printf("==> %s %s\n", m.step.kind ? m.step.kind : "step", m.step.name);
            else
            if (strcmp(m.step.status, "succeeded"))
                printf("<== %s %s: %s%s%s\n", m.step.kind ? m.step.kind : "step", m.step.name,
                       m.step.status, m.step.message ? ": " : "", m.step.message ? m.step.message : "");
            fflush(stdout);
            break;
        case PK_MSG_DONE:
            if (!strcmp(m.done.id, id)) {
                printf("build %s%s%s\n", m.done.status, m.done.reason ? ": " : "",
                       m.done.reason ? m.done.reason : "");
                exit_code = !strcmp(m.done.status, "succeeded") ? 0 : 1;
                pk_msg_clear(&m);
                return exit_code;
            }
            break;
        default:
            break;
        }
        pk_msg_clear(&m);
    }
}

typedef struct {
    const pk_pipeline_t *p;
    zlist_t *canonicals;
} s_gets_t;

static void
s_collect(const pk_step_t *get, void *arg)
{
    s_gets_t *g = arg;
    for (char *c = zlist_first(g->canonicals); c; c = zlist_next(g->canonicals))
        if (!strcmp(c, get->canonical))
            return;
    zlist_append(g->canonicals, get->canonical);
}

static int
s_run(const pk_pipeline_t *p, const pk_job_t *job, const char *pname, const pk_value_t *local)
{
    s_run_t r = { 0 };
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    r.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "inproc://pikoci-run-%d", (int) getpid());
    r.router = zsock_new(ZMQ_ROUTER);
    zsock_bind(r.router, "%s", endpoint);
    char work_root[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    snprintf(work_root, sizeof work_root, "%s/pikoci-run-%d", tmp && *tmp ? tmp : "/tmp", (int) getpid());
    pk_runner_config_t cfg = { .name = "local", .endpoint = endpoint, .slots = 1, .work_root = work_root };
    zactor_t *runner = pk_runner_new(&cfg);
    int rc = 2;
    pk_msg_t m;
    bool sig;
    if (!runner || !s_next(&r, &m, &sig) || sig || m.type != PK_MSG_READY) {
        fprintf(stderr, "pikoci run: the runner did not start\n");
        goto done;
    }
    pk_msg_clear(&m);
    s_gets_t g = { p, zlist_new() };
    pk_resolve_each_get(job, s_collect, &g);
    pk_value_t *versions = pk_value_new_object();
    bool ok = true;
    for (char *c = zlist_first(g.canonicals); c && ok; c = zlist_next(g.canonicals)) {
        if (local && pk_value_object_get(local, c))
            continue;
        pk_value_t *v = s_check(&r, p, pk_pipeline_resource(p, c), pname);
        ok = v != NULL;
        if (v)
            pk_value_object_set(versions, c, v);
    }
    zlist_destroy(&g.canonicals);
    if (ok) {
        pk_resolve_build_t args = { .pipeline = pname, .number = "1", .versions = versions,
                                    .local = local };
        char *err = NULL;
        pk_value_t *plan = pk_resolve_build(p, job, &args, &err);
        if (!plan) {
            fprintf(stderr, "pikoci run: %s\n", err);
            free(err);
        }
        else {
            char id[512];
            snprintf(id, sizeof id, "build:%s/%s/1", pname, job->name);
            s_send_work(&r, id, "build", plan);
            pk_value_destroy(&plan);
            rc = s_follow(&r, id);
        }
    }
    pk_value_destroy(&versions);
done:
    zactor_destroy(&runner);
    zframe_destroy(&r.runner_id);
    zsock_destroy(&r.router);
    close(r.sigfd);
    rmdir(work_root);
    return rc;
}

int
pk_cmd_run(int argc, char **argv)
{
    const char *file = NULL, *job_name = NULL, *vars_file = NULL;
    bool remote_types = false;
    const char **kvs = calloc((size_t) argc, sizeof(char *));
    size_t kv_count = 0;
    pk_value_t *local = pk_value_new_object();
    int rc = 2;
    pk_value_t *vars = NULL;
    pk_pipeline_t *p = NULL;
    pk_diags_t *diags = pk_diags_new();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            s_usage(stdout);
            rc = 0;
            goto out;
        }
        else
        // PikoCI's spellings (-p/--pipeline-config, -j, -v) are the same options
        if (!strcmp(a, "-j"))
            a = "--job";
        else
        if (!strcmp(a, "-v"))
            a = "--vars";
        else
        if (!strcmp(a, "-p"))
            a = "--pipeline-config";
        if ((!strcmp(a, "--job") || !strcmp(a, "--var") || !strcmp(a, "--vars")
             || !strcmp(a, "--resource") || !strcmp(a, "--pipeline-config")) && !val) {
            fprintf(stderr, "pikoci run: %s needs a value\n", a);
            goto out;
        }
        else
        if (!strcmp(a, "--allow-remote-types"))
            remote_types = true;
        else
        if (!strcmp(a, "--job"))
            job_name = argv[++i];
        else
        if (!strcmp(a, "--pipeline-config")) {
            if (file) {
                fprintf(stderr, "pikoci run: one pipeline at a time (%s and %s)\n", file, val);
                goto out;
            }
            file = argv[++i];
        }
        else
        if (!strcmp(a, "--var"))
            kvs[kv_count++] = argv[++i];
        else
        if (!strcmp(a, "--vars"))
            vars_file = argv[++i];
        else
        if (!strcmp(a, "--resource")) {
            const char *spec = argv[++i];
            const char *eq = strchr(spec, '=');
            char real[PATH_MAX];
            if (!eq || eq == spec || !realpath(eq + 1, real)) {
                fprintf(stderr, "pikoci run: --resource %s: expected TYPE.NAME=DIR with an existing DIR\n", spec);
                goto out;
            }
            char *canonical = strndup(spec, (size_t) (eq - spec));
            pk_value_object_set(local, canonical, pk_value_new_string(real));
            free(canonical);
        }
        else
        if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pikoci run: unknown option %s (see pikoci run --help)\n", a);
            goto out;
        }
        else
        if (!file)
            file = a;
        else {
            fprintf(stderr, "pikoci run: unexpected argument %s\n", a);
            goto out;
        }
    }
    if (!file || !job_name) {
        s_usage(stderr);
        goto out;
    }
    char *err = NULL;
    vars = pk_pipeline_vars_new(vars_file, kvs, kv_count, &err);
    if (!vars) {
        fprintf(stderr, "pikoci run: %s\n", err);
        free(err);
        goto out;
    }
    p = pk_pipeline_load(file, vars, diags, &err);
    if (!p) {
        fprintf(stderr, "pikoci run: %s\n", err ? err : "out of memory");
        free(err);
        goto out;
    }
    if (!pk_diags_errors(diags))
        pk_pipeline_load_sources(p, PK_SOURCES_HTTPS
                                 | (remote_types ? PK_SOURCES_REMOTE_BUILTINS : 0), diags);
    pk_diags_print(diags, stderr);     // warnings too: they point at likely mistakes
    if (pk_diags_errors(diags))
        goto out;
    const pk_job_t *job = pk_pipeline_job(p, job_name);
    if (!job) {
        const char **names = calloc(p->job_count + 1, sizeof(char *));
        for (size_t i = 0; i < p->job_count; i++)
            names[i] = p->jobs[i]->name;
        const char *hint = pk_suggest(job_name, names);
        fprintf(stderr, "pikoci run: %s has no job \"%s\"", file, job_name);
        if (hint)
            fprintf(stderr, "; did you mean \"%s\"?", hint);
        fprintf(stderr, "\njobs:");
        for (size_t i = 0; i < p->job_count; i++)
            fprintf(stderr, " %s", names[i]);
        fprintf(stderr, "\n");
        free(names);
        goto out;
    }
    for (size_t i = 0; i < pk_value_len(local); i++)
        if (!pk_pipeline_resource(p, pk_value_object_key(local, i))) {
            fprintf(stderr, "pikoci run: --resource: the pipeline has no resource \"%s\"\n",
                    pk_value_object_key(local, i));
            goto out;
        }
    char *path = strdup(file);
    char *base = basename(path);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = 0;
    zsys_handler_set(NULL);
    pk_proc_make_subreaper();
    pk_git_init();
    rc = s_run(p, job, base, local);
    pk_git_shutdown();
    free(path);
out:
    pk_diags_destroy(&diags);
    pk_pipeline_destroy(&p);
    pk_value_destroy(&vars);
    pk_value_destroy(&local);
    free(kvs);
    return rc;
}
