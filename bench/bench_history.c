// bench_history: does a year of history cost anything? A store is filled to
// 100, 10,000 and 100,000 builds (and as many versions and logs) directly
// through the store API, then `pikoci server` runs on it, and each figure is
// set against the same figure on a store of 10 builds measured in the same
// run (target: every ratio under 1.5x at 100,000 builds):
//   - `builds` (the default page), `build`, `logs`, `versions` (default
//     page) and `overview`: the median request round trip over loopback;
//   - trigger -> succeeded of a plain job, and of a job behind `passed`
//     (its version is chosen among everything the upstream job passed);
//   - restart -> ready: `pikoci server` started on the filled store until
//     it says "server ready" (the scheduler recovers before that).
// Each size first runs the pipeline for real once (a check, one build of
// each job) so the filled builds look like the scheduler's own; the fill then
// adds builds numbered after them.
#include "bench_util.h"
#include "pk_builds.h"
#include "pk_logs.h"
#include "pk_versions.h"
#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_ROUNDS 41             // requests per query figure (the median counts)
#define S_TRIGGERS 9            // builds per trigger figure
#define S_RESTARTS 5            // starts per restart figure
#define S_BATCH 5000            // builds per fill transaction

static char s_dir[128];         // the run's directory: git repository, stores

static int
s_git_init(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && git init -q --bare %s/repo.git && "
             "git clone -q %s/repo.git %s/wc 2>/dev/null && cd %s/wc && echo 0 > V && "
             "git add V && git -c user.name=b -c user.email=b@b commit -qm 0 && "
             "git push -q origin HEAD 2>/dev/null", s_dir, s_dir, s_dir, s_dir, s_dir, s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *
s_source(void)
{
    char *src;
    if (asprintf(&src,
                 "resource_type \"git\" {\n  source = \"pikoci://git\"\n"
                 "  params = [\"url\", \"name\"]\n}\n"
                 "resource \"git\" \"app\" {\n  params {\n    url  = \"file://%s/repo.git\"\n"
                 "    name = \"app\"\n  }\n  check_interval = \"@every 1h\"\n}\n"
                 "job \"say\" {\n  task \"t\" {\n    run \"exec\" {\n"
                 "      path = \"/bin/echo\"\n      args = [\"said\"]\n    }\n  }\n}\n"
                 "job \"up\" {\n  get \"git\" \"app\" {\n    trigger = true\n  }\n"
                 "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n"
                 "job \"after\" {\n  get \"git\" \"app\" {\n    trigger = true\n"
                 "    passed  = [\"up\"]\n  }\n"
                 "  task \"t\" {\n    run \"exec\" {\n      path = \"/bin/true\"\n    }\n  }\n}\n",
                 s_dir) < 0)
        return NULL;
    return src;
}

static int
s_start(bench_server_t *s, const char *db, double *ready_ms)
{
    const char *extra[] = { "--db-system", "lmdb", "--db-path", db, "--concurrency", "2",
                            NULL };
    int64_t t0 = bench_now_us();
    if (bench_server_start(s, extra) != 0
        || bench_wait_log(s->logs[s->count - 1], "server ready", NULL, 0) != 0)
        return -1;
    if (ready_ms)
        *ready_ms = (double) (bench_now_us() - t0) / 1000;
    pk_client_subscribe(s->client, "build.", NULL);
    return 0;
}

// The pipeline run for real once: the check finds the commit, `up` builds
// it, `after` follows; `say` once.
static int
s_seed(const char *db)
{
    bench_server_t s = { 0 };
    char *src = s_source();
    int rc = src && s_start(&s, db, NULL) == 0 && bench_set(&s, "h", src) == 0
          && bench_request(&s, "check", "pipeline", "h", "resource", "app", NULL, NULL) == 0
          && bench_await(&s, "build.succeeded", "after", NULL, 0, 60000) == 0
          && bench_request(&s, "trigger", "pipeline", "h", "job", "say", NULL, NULL) == 0
          && bench_await(&s, "build.succeeded", "say", NULL, 0, 60000) == 0 ? 0 : -1;
    bench_server_stop(&s);
    free(src);
    return rc;
}

// --- the fill, straight into the store

typedef struct {
    pk_builds_t *builds;
    pk_store_t *store;
    const char *job;
    uint64_t from, to;          // build numbers [from, to)
    const pk_idmap_t *versions;
} s_fill_t;

static int
s_fill_txn(pk_store_txn_t *txn, void *arg)
{
    s_fill_t *f = arg;
    char line[] = "said\n";
    for (uint64_t n = f->from; n < f->to; n++) {
        pk_build_t b = { .number = n, .status = (char *) "succeeded", .attempt = 1,
                         .trigger = (char *) "manual", .worker = (char *) "bench",
                         .dispatched = true };
        b.created_ms = b.started_ms = 1700000000000 + (int64_t) n * 1000;
        b.finished_ms = b.created_ms + 500;
        if (f->versions)
            b.versions = *f->versions;
        if (pk_builds_put(f->builds, txn, "h", f->job, &b) != 0)
            return -1;
        char *id = pk_builds_work_id("h", 1, f->job, n, 0);
        pk_log_chunk_t c = { .id = id, .attempt = 1, .seq = 0, .data = line,
                             .size = sizeof line - 1 };
        int rc = pk_logs_append(f->store, txn, &c, 1);
        free(id);
        if (rc != 0)
            return -1;
    }
    pk_job_rec_t jr;
    if (pk_builds_job_get(f->builds, txn, "h", f->job, &jr) != 0)
        return -1;
    if (jr.next_number < f->to)
        jr.next_number = f->to;
    int rc = pk_builds_job_put(f->builds, txn, "h", f->job, &jr);
    pk_job_rec_clear(&jr);
    return rc;
}

// Versions fill-1.. of git.app after the real one (as many as builds).
static int
s_fill_versions(pk_versions_t *vs, const char *resource, size_t count)
{
    for (size_t done = 0; done < count; ) {
        size_t n = count - done < S_BATCH ? count - done : S_BATCH;
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, n);
        for (size_t i = 0; i < n; i++) {
            char ref[48];
            int len = snprintf(ref, sizeof ref, "fill-%zu", done + i);
            msgpack_pack_map(&pk, 1);
            msgpack_pack_str_with_body(&pk, "ref", 3);
            msgpack_pack_str_with_body(&pk, ref, (size_t) len);
        }
        pk_check_result_t r = { .pipeline = "h", .resource = resource, .versions = sb.data,
                                .versions_size = sb.size, .checked_ms = zclock_time() };
        int rc = pk_versions_record(vs, &r, 1);
        pk_version_clear(&r.current);
        msgpack_sbuffer_destroy(&sb);
        if (rc != 0)
            return -1;
        done += n;
    }
    return 0;
}

// `up` has handled every version: a restart builds none of the filled ones.
static int
s_baseline_txn(pk_store_txn_t *txn, void *arg)
{
    void **a = arg;
    pk_builds_t *builds = a[0];
    const char *res = a[1];
    pk_version_t v;
    if (pk_versions_latest(a[2], txn, "h", res, &v) != 0)
        return -1;
    pk_job_rec_t jr;
    int rc = pk_builds_job_get(builds, txn, "h", "up", &jr);
    if (rc == 0) {
        pk_idmap_set(&jr.baseline, res, v.id);
        rc = pk_builds_job_put(builds, txn, "h", "up", &jr);
        pk_job_rec_clear(&jr);
    }
    pk_version_clear(&v);
    return rc;
}

// size builds in all: `say` and `up` get half each (up's with the version
// that after's passed choice looks through), as many versions, a log each.
static int
s_fill(const char *db, size_t size)
{
    char *err = NULL;
    pk_store_t *store = pk_store_open("lmdb", db, &err);
    pk_builds_t *builds = store ? pk_builds_new(store, &err) : NULL;
    pk_versions_t *vs = builds ? pk_versions_new(store, &err) : NULL;
    int rc = vs && pk_logs_init(store) == 0 ? 0 : -1;
    pk_build_t up = { 0 };
    if (rc == 0 && pk_builds_latest(builds, NULL, "h", "up", &up) != 0)
        rc = -1;
    const char *res = up.versions.count ? up.versions.names[0] : "git.app";
    const char *jobs[] = { "say", "up" };
    for (int j = 0; j < 2 && rc == 0; j++) {
        uint64_t first = 2, end = 2 + (size > 2 ? size / 2 - 1 : 0);
        for (uint64_t from = first; from < end && rc == 0; from += S_BATCH) {
            s_fill_t f = { builds, store, jobs[j], from,
                           from + S_BATCH < end ? from + S_BATCH : end,
                           j == 1 ? &up.versions : NULL };
            rc = pk_store_write(store, s_fill_txn, &f);
        }
    }
    if (rc == 0)
        rc = s_fill_versions(vs, res, size);
    void *adv[3] = { builds, (void *) res, vs };
    if (rc == 0)
        rc = pk_store_write(store, s_baseline_txn, adv);
    if (rc != 0)
        fprintf(stderr, "bench_history: cannot fill %s: %s\n", db,
                err ? err : pk_store_error());
    pk_build_clear(&up);
    free(err);
    pk_versions_destroy(&vs);
    pk_builds_destroy(&builds);
    pk_store_close(&store);
    return rc;
}

// --- the figures

typedef struct {
    double builds, builds5, build, logs, versions, overview, overview10, plain, passed, ready;
} s_figs_t;

static double
s_query_ms(bench_server_t *s, const char *op, const char *k1, const char *v1, const char *k2,
           const char *v2, const char *k3, const char *v3)
{
    double t[S_ROUNDS];
    for (int i = 0; i < S_ROUNDS; i++) {
        pk_kv_t args = { 0 };
        pk_kv_set(&args, k1, v1);
        if (k2)
            pk_kv_set(&args, k2, v2);
        if (k3)
            pk_kv_set(&args, k3, v3);
        uint8_t *reply = NULL;
        size_t size = 0;
        char *err = NULL;
        int64_t t0 = bench_now_us();
        int rc = pk_client_request(s->client, op, &args, NULL, 0, 30000, &reply, &size, &err);
        t[i] = (double) (bench_now_us() - t0) / 1000;
        if (rc != 0)
            fprintf(stderr, "bench_history: %s: %s\n", op, err ? err : "no answer");
        free(reply);
        free(err);
        pk_kv_clear(&args);
    }
    qsort(t, S_ROUNDS, sizeof(double), bench_cmp_double);
    return t[S_ROUNDS / 2];
}

static double
s_trigger_ms(bench_server_t *s, const char *job)
{
    double t[S_TRIGGERS];
    for (int i = 0; i < S_TRIGGERS; i++) {
        int64_t t0 = bench_now_us();
        if (bench_request(s, "trigger", "pipeline", "h", "job", job, NULL, NULL) != 0
            || bench_await(s, "build.succeeded", job, NULL, 0, 60000) != 0)
            return 0;
        t[i] = (double) (bench_now_us() - t0) / 1000;
    }
    qsort(t, S_TRIGGERS, sizeof(double), bench_cmp_double);
    return t[S_TRIGGERS / 2];
}

static int
s_measure(size_t size, int pass, s_figs_t *f)
{
    char db[192];
    snprintf(db, sizeof db, "%s/db-%zu-%d", s_dir, size, pass);
    if (s_seed(db) != 0 || s_fill(db, size) != 0)
        return -1;
    bench_server_t s = { 0 };
    double ready[S_RESTARTS];
    for (int i = 0; i < S_RESTARTS; i++) {
        if (s_start(&s, db, &ready[i]) != 0) {
            bench_server_stop(&s);
            return -1;
        }
        if (i < S_RESTARTS - 1)
            bench_server_stop(&s);
    }
    qsort(ready, S_RESTARTS, sizeof(double), bench_cmp_double);
    f->ready = ready[S_RESTARTS / 2];
    char mid[32];
    snprintf(mid, sizeof mid, "%zu", size / 4 > 1 ? size / 4 : 1);
    f->builds = s_query_ms(&s, "builds", "pipeline", "h", "job", "say", NULL, NULL);
    f->builds5 = s_query_ms(&s, "builds", "pipeline", "h", "job", "say", "limit", "5");
    f->build = s_query_ms(&s, "build", "pipeline", "h", "job", "say", "number", mid);
    f->logs = s_query_ms(&s, "logs", "pipeline", "h", "job", "say", "number", mid);
    f->versions = s_query_ms(&s, "versions", "pipeline", "h", "resource", "app", NULL, NULL);
    f->overview = s_query_ms(&s, "overview", "recent", "100", NULL, NULL, NULL, NULL);
    f->overview10 = s_query_ms(&s, "overview", "recent", "10", NULL, NULL, NULL, NULL);
    f->plain = s_trigger_ms(&s, "say");
    f->passed = s_trigger_ms(&s, "after");
    bench_server_stop(&s);
    return f->plain > 0 && f->passed > 0 ? 0 : -1;
}

int
main(void)
{
    snprintf(s_dir, sizeof s_dir, "/tmp/pikoci-bench-history-%d", (int) getpid());
    if (s_git_init() != 0) {
        fprintf(stderr, "bench_history: cannot make a git repository in %s\n", s_dir);
        return 1;
    }
    // the store of 10 is measured again right before each size (a fresh one
    // each time): on a shared machine the floor must see the same weather
    const size_t sizes[] = { 100, 10000, 100000 };
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++) {
        s_figs_t z = { 0 }, a = { 0 };
        rc = s_measure(10, i, &z) == 0 && s_measure(sizes[i], i, &a) == 0 ? 0 : -1;
        if (rc != 0) {
            fprintf(stderr, "bench_history: the run at %zu builds failed\n", sizes[i]);
            break;
        }
        char name[96];
        const struct { const char *what; double ours, floor; const char *unit; } rows[] = {
            // a store of 10 has 5 builds of the job and 11 finished in all: the
            // default page and overview return fewer rows there than at 100+;
            // the "5" and "10 recent" rows compare answers of the same size
            { "builds (default page, 50)", a.builds, z.builds, "us" },
            { "builds (page of 5)", a.builds5, z.builds5, "us" },
            { "build", a.build, z.build, "us" },
            { "logs", a.logs, z.logs, "us" },
            { "versions (default page, 50)", a.versions, z.versions, "us" },
            { "overview (100 recent)", a.overview, z.overview, "us" },
            { "overview (10 recent)", a.overview10, z.overview10, "us" },
            { "trigger -> done, plain job", a.plain, z.plain, "ms" },
            { "trigger -> done, behind passed", a.passed, z.passed, "ms" },
            { "restart -> ready", a.ready, z.ready, "ms" },
        };
        for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
            double k = !strcmp(rows[r].unit, "us") ? 1000 : 1;
            snprintf(name, sizeof name, "history %zu builds: %s", sizes[i], rows[r].what);
            bench_row(name, rows[r].ours * k, rows[r].unit, rows[r].floor * k,
                      "same on 10 builds");
        }
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s_dir);
    if (getenv("BENCH_HISTORY_KEEP"))           // to look at the stores afterwards
        fprintf(stderr, "bench_history: kept %s\n", s_dir);
    else
    if (system(cmd) != 0)
        fprintf(stderr, "bench_history: cannot remove %s\n", s_dir);
    return rc == 0 ? 0 : 1;
}
