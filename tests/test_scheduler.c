// test_scheduler: the scheduler actor with every real part around it -- a
// broker on its own inproc endpoint, a runner running real shell tasks, the
// checker doing native git checks of bare repositories made with the git
// CLI, the logsink storing the builds' output, and a mem store. The test
// plays control: it sets pipelines and triggers jobs by SIGNAL, listens to
// the event bus, and reads what happened from the store (pk_builds,
// pk_versions, pk_logs). Expected commits and file contents come from git,
// never literals. Everything is awaited by polling with deadlines.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pk_broker.h"
#include "pk_builds.h"
#include "pk_checker.h"
#include "pk_git.h"
#include "pk_logs.h"
#include "pk_logsink.h"
#include "pk_msg.h"
#include "pk_runner.h"
#include "pk_scheduler.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"
#include "test_sh.h"

static char EP[256];        // each test its own broker endpoint
static char T[256];         // each test its own scratch directory

typedef struct {
    zactor_t *broker, *runner, *checker, *logsink, *scheduler;
    zsock_t *ctl;           // the test, as control: signals and events
    pk_store_t *store;
    pk_builds_t *builds;
    pk_versions_t *versions;
} s_env_t;
static s_env_t *s_live;     // stopped by the teardown when a test failed midway

#define WAIT_FOR(cond, ms) \
    do { \
        int64_t end_ = zclock_mono() + (ms); \
        while (!(cond) && zclock_mono() < end_) \
            zclock_sleep(5); \
        if (!(cond)) \
            fail_msg("timed out waiting for %s", #cond); \
    } while (0)

// --- shell and git

static void
s_repo(void)
{
    test_sh_ok("git init -q --bare '%s/app.git' && git clone -q '%s/app.git' '%s/app-wc' 2>/dev/null",
         T, T, T);
}

// A commit whose VERSION file holds text; returns its id (from git).
static char *
s_commit(const char *text)
{
    test_sh_ok("cd '%s/app-wc' && echo '%s' >VERSION && git add VERSION && "
         "git -c user.name=t -c user.email=t@t commit -qm '%s' && git push -q origin HEAD 2>/dev/null",
         T, text, text);
    return test_line("git -C '%s/app-wc' rev-parse HEAD", T);
}

// --- messages

static void
s_signal(s_env_t *e, const char *to, const char *what, const char *k1, const char *v1,
         const char *k2, const char *v2, const pk_value_t *body)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup(to);
    m.signal.what = strdup(what);
    if (k1)
        pk_kv_set(&m.signal.args, k1, v1);
    if (k2)
        pk_kv_set(&m.signal.args, k2, v2);
    if (body)
        pk_value_pack_bytes(body, &m.signal.body.data, &m.signal.body.size);
    assert_int_equal(pk_msg_send(zsock_resolve(e->ctl), &m), 0);
    pk_msg_clear(&m);
}

// The pipeline used throughout: "test" is triggered by every commit and
// fails when VERSION says "bad"; "deploy" takes only what passed "test".
static const char *S_PIPELINE =
    "variable \"repo\" {\n"
    "  type = string\n"
    "}\n"
    "resource \"git\" \"app\" {\n"
    "  params {\n"
    "    url  = var.repo\n"
    "    name = \"app\"\n"
    "  }\n"
    "  check_interval = \"@every 1h\"\n"
    "}\n"
    "job \"test\" {\n"
    "  get \"git\" \"app\" {\n"
    "    trigger = true\n"
    "  }\n"
    "  task \"unit\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"cat app/VERSION; ! grep -q bad app/VERSION\"\n"
    "    }\n"
    "  }\n"
    "}\n"
    "job \"deploy\" {\n"
    "  get \"git\" \"app\" {\n"
    "    trigger = true\n"
    "    passed  = [\"test\"]\n"
    "  }\n"
    "  task \"ship\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"echo deploying; cat app/VERSION\"\n"
    "    }\n"
    "  }\n"
    "}\n";

static void
s_set_pipeline(s_env_t *e, const char *source, const char *extra)
{
    char url[400];
    snprintf(url, sizeof url, "file://%s/app.git", T);
    pk_value_t *body = pk_value_new_object();
    size_t len = strlen(source) + (extra ? strlen(extra) : 0) + 1;
    char *text = malloc(len);
    snprintf(text, len, "%s%s", source, extra ? extra : "");
    pk_value_object_set(body, "source", pk_value_new_string(text));
    free(text);
    pk_value_t *vars = pk_value_new_object();
    pk_value_object_set(vars, "repo", pk_value_new_string(url));
    pk_value_object_set(body, "vars", vars);
    s_signal(e, "scheduler", "pipeline.set", "pipeline", "p", NULL, NULL, body);
    pk_value_destroy(&body);
}

// The next EVENT whose topic starts with prefix, others skipped.
static pk_value_t *
s_event(s_env_t *e, const char *prefix, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    while (zclock_mono() < end) {
        zsock_set_rcvtimeo(e->ctl, (int) (end - zclock_mono()));
        zmsg_t *z = zmsg_recv(e->ctl);
        if (!z)
            break;
        pk_msg_t m;
        int rc = pk_msg_from_zmsg(z, &m, NULL, 0);
        zmsg_destroy(&z);
        if (rc != 0)
            continue;
        pk_value_t *body = NULL;
        if (m.type == PK_MSG_EVENT && !strncmp(m.event.topic, prefix, strlen(prefix)))
            body = pk_value_unpack(m.event.body.data, m.event.body.size);
        pk_msg_clear(&m);
        if (body)
            return body;
    }
    return NULL;
}

// STATS: pipelines builds ignored
static uint64_t
s_ignored(s_env_t *e)
{
    zstr_send(e->scheduler, "STATS");
    char *text = zstr_recv(e->scheduler);
    assert_non_null(text);
    uint64_t pipelines, builds, ignored;
    assert_int_equal(sscanf(text, "%" SCNu64 " %" SCNu64 " %" SCNu64, &pipelines, &builds,
                            &ignored), 3);
    zstr_free(&text);
    return ignored;
}

// --- the store

// The build's status, or "" when it does not exist (yet).
static const char *
s_status(s_env_t *e, const char *job, uint64_t number)
{
    static char status[32];
    pk_build_t b;
    status[0] = 0;
    if (pk_builds_get(e->builds, NULL, "p", job, number, 0, &b) == 0) {
        snprintf(status, sizeof status, "%s", b.status);
        pk_build_clear(&b);
    }
    return status;
}

static bool
s_finished(s_env_t *e, const char *job, uint64_t number)
{
    const char *st = s_status(e, job, number);
    return *st && strcmp(st, "pending") && strcmp(st, "started");
}

static pk_build_t
s_build(s_env_t *e, const char *job, uint64_t number)
{
    pk_build_t b;
    assert_int_equal(pk_builds_get(e->builds, NULL, "p", job, number, 0, &b), 0);
    return b;
}

static size_t
s_count(s_env_t *e, const char *job)
{
    pk_build_t *bs;
    size_t n;
    assert_int_equal(pk_builds_list(e->builds, NULL, "p", job, 0, &bs, &n), 0);
    pk_builds_list_free(&bs, n);
    return n;
}

// The commit id of stored version id of git.app.
static char *
s_ref(s_env_t *e, uint64_t id)
{
    pk_version_t v;
    assert_int_equal(pk_versions_get(e->versions, NULL, "p", "git.app", id, &v), 0);
    pk_value_t *val = pk_value_unpack(v.data, v.size);
    char *s = strdup(pk_value_string(pk_value_object_get(val, "ref")));
    pk_value_destroy(&val);
    pk_version_clear(&v);
    return s;
}

static bool
s_log_has(s_env_t *e, const char *job, uint64_t number, const char *text)
{
    char id[128], buf[8192];
    snprintf(id, sizeof id, "build:p/%s/%" PRIu64, job, number);
    int64_t n = pk_logs_read_buf(e->store, id, 1, 0, buf, sizeof buf - 1);
    if (n < 0)
        return false;
    buf[n] = 0;
    return strstr(buf, text) != NULL;
}

// --- environment

static s_env_t *
s_env_start_with(bool real_runner)
{
    static int n;
    s_env_t *e = calloc(1, sizeof(*e));
    s_live = e;
    snprintf(EP, sizeof EP, "inproc://pk-test-scheduler-%d", ++n);
    pk_broker_config_t bcfg = { .inproc = EP };
    e->broker = pk_broker_new(&bcfg);
    assert_non_null(e->broker);
    char *err = NULL;
    e->store = pk_store_open("mem", NULL, &err);
    if (!e->store)
        fail_msg("store: %s", err);
    e->builds = pk_builds_new(e->store, &err);
    e->versions = pk_versions_new(e->store, &err);
    assert_non_null(e->builds);
    assert_non_null(e->versions);

    pk_scheduler_config_t scfg = { .endpoint = EP, .store = e->store };
    e->scheduler = pk_scheduler_new(&scfg);
    assert_non_null(e->scheduler);
    pk_logsink_config_t lcfg = { .endpoint = EP, .store = e->store, .flush_ms = 10 };
    e->logsink = pk_logsink_new(&lcfg);
    assert_non_null(e->logsink);
    char root[300];
    snprintf(root, sizeof root, "%s/work", T);
    pk_runner_config_t rcfg = { .name = "w1", .endpoint = EP, .slots = 4, .work_root = root };
    if (real_runner) {
        e->runner = pk_runner_new(&rcfg);
        assert_non_null(e->runner);
    }
    pk_checker_config_t ccfg = { .endpoint = EP, .store = e->store, .first_check_max_ms = 1 };
    e->checker = pk_checker_new(&ccfg);
    assert_non_null(e->checker);

    // control: subscribed to the whole event bus
    e->ctl = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(e->ctl, "%s", EP), 0);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = "control";
    h.hello.role = "control";
    assert_int_equal(pk_msg_send(zsock_resolve(e->ctl), &h), 0);
    pk_msg_t r = { .type = PK_MSG_REQUEST };
    r.request.rid = 1;
    r.request.op = strdup("subscribe");
    pk_kv_set(&r.request.args, "prefix", "");
    assert_int_equal(pk_msg_send(zsock_resolve(e->ctl), &r), 0);
    pk_msg_clear(&r);
    zsock_set_rcvtimeo(e->ctl, 5000);
    zmsg_t *z = zmsg_recv(e->ctl);
    assert_non_null(z);                 // the subscription's REPLY
    zmsg_destroy(&z);

    // The broker knows the scheduler's role once a signal to it arrives:
    // an unknown job is counted as ignored.
    uint64_t before = s_ignored(e);
    s_signal(e, "scheduler", "trigger", "pipeline", "nope", "job", "nope", NULL);
    WAIT_FOR(s_ignored(e) > before, 5000);
    return e;
}

static s_env_t *
s_env_start(void)
{
    return s_env_start_with(true);
}

static void
s_env_stop(s_env_t *e)
{
    s_live = NULL;
    zsock_destroy(&e->ctl);
    zactor_destroy(&e->checker);
    zactor_destroy(&e->runner);
    zactor_destroy(&e->scheduler);
    zactor_destroy(&e->logsink);
    zactor_destroy(&e->broker);
    pk_builds_destroy(&e->builds);
    pk_versions_destroy(&e->versions);
    pk_store_close(&e->store);
    free(e);
}

// Sets the pipeline and runs the first commit through test #1 and deploy #1.
static char *
s_first_round(s_env_t *e)
{
    s_repo();
    char *c1 = s_commit("release-one");
    s_set_pipeline(e, S_PIPELINE, NULL);
    pk_value_t *ev = s_event(e, "pipeline.set", 5000);
    assert_non_null(ev);
    pk_value_destroy(&ev);
    WAIT_FOR(s_finished(e, "test", 1), 20000);
    assert_string_equal(s_status(e, "test", 1), "succeeded");
    WAIT_FOR(s_finished(e, "deploy", 1), 20000);
    assert_string_equal(s_status(e, "deploy", 1), "succeeded");
    return c1;
}

// --- tests

// (1) a version triggers test, its success brings deploy with the same
// version; (2) a new commit and check.now bring test #2; (5) numbers per job.
static void
test_version_then_passed(void **state)
{
    (void) state;
    s_env_t *e = s_env_start();
    char *c1 = s_first_round(e);

    pk_build_t t1 = s_build(e, "test", 1), d1 = s_build(e, "deploy", 1);
    uint64_t v1 = pk_idmap_get(&t1.versions, "git.app");
    assert_true(v1 > 0);
    char *ref = s_ref(e, v1);
    assert_string_equal(ref, c1);
    free(ref);
    assert_int_equal(pk_idmap_get(&d1.versions, "git.app"), v1);
    assert_string_equal(t1.trigger, "version");
    assert_string_equal(d1.trigger, "passed");
    assert_string_equal(t1.worker, "w1");
    assert_int_equal(t1.attempt, 1);
    assert_true(t1.created_ms > 0 && t1.started_ms >= t1.created_ms - 1000);
    assert_true(t1.finished_ms >= t1.started_ms);
    assert_true(d1.created_ms >= t1.finished_ms - 1000);
    pk_build_clear(&t1);
    pk_build_clear(&d1);

    // deploy's own log shows the commit's file, read back through git
    char *content = test_line("git -C '%s/app-wc' show %s:VERSION", T, c1);
    WAIT_FOR(s_log_has(e, "deploy", 1, content), 5000);
    assert_true(s_log_has(e, "deploy", 1, "deploying"));
    free(content);

    // (2) a new commit, checked at once: test #2 within seconds, then deploy #2
    char *c2 = s_commit("release-two");
    s_signal(e, "checker", "check.now", "pipeline", "p", "resource", "git.app", NULL);
    WAIT_FOR(*s_status(e, "test", 2), 5000);
    WAIT_FOR(s_finished(e, "deploy", 2), 20000);
    assert_string_equal(s_status(e, "test", 2), "succeeded");
    pk_build_t t2 = s_build(e, "test", 2), d2 = s_build(e, "deploy", 2);
    uint64_t v2 = pk_idmap_get(&t2.versions, "git.app");
    assert_true(v2 > v1);
    ref = s_ref(e, v2);
    assert_string_equal(ref, c2);
    free(ref);
    assert_int_equal(pk_idmap_get(&d2.versions, "git.app"), v2);
    pk_build_clear(&t2);
    pk_build_clear(&d2);
    content = test_line("git -C '%s/app-wc' show %s:VERSION", T, c2);
    WAIT_FOR(s_log_has(e, "deploy", 2, content), 5000);
    free(content);

    // (5) numbers count per job: a manual test build is test #3, deploy
    // stays at 2 until it passes
    s_signal(e, "scheduler", "trigger", "pipeline", "p", "job", "test", NULL);
    WAIT_FOR(s_finished(e, "test", 3), 20000);
    pk_build_t t3 = s_build(e, "test", 3);
    assert_string_equal(t3.trigger, "manual");
    assert_int_equal(pk_idmap_get(&t3.versions, "git.app"), v2);
    pk_build_clear(&t3);
    assert_int_equal(s_count(e, "test"), 3);
    assert_int_equal(s_count(e, "deploy"), 2);      // same versions: no deploy #3
    pk_build_t *bs;
    size_t n;
    assert_int_equal(pk_builds_list(e->builds, NULL, "p", "test", 0, &bs, &n), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(bs[i].number, 3 - i);      // newest first
    pk_builds_list_free(&bs, n);
    pk_build_t latest;
    assert_int_equal(pk_builds_latest(e->builds, NULL, "p", "deploy", &latest), 0);
    assert_int_equal(latest.number, 2);
    pk_build_clear(&latest);
    free(c1);
    free(c2);
    s_env_stop(e);
}

// (3) a failing test build: deploy never gets that version.
static void
test_failed_build_not_deployed(void **state)
{
    (void) state;
    s_env_t *e = s_env_start();
    char *c1 = s_first_round(e);
    char *bad = s_commit("bad-release");
    s_signal(e, "checker", "check.now", "pipeline", "p", "resource", "git.app", NULL);
    WAIT_FOR(s_finished(e, "test", 2), 20000);
    assert_string_equal(s_status(e, "test", 2), "failed");
    pk_build_t t2 = s_build(e, "test", 2);
    uint64_t vbad = pk_idmap_get(&t2.versions, "git.app");
    char *ref = s_ref(e, vbad);
    assert_string_equal(ref, bad);
    free(ref);
    pk_build_clear(&t2);

    // a manual deploy now takes the newest version that passed: the first
    s_signal(e, "scheduler", "trigger", "pipeline", "p", "job", "deploy", NULL);
    WAIT_FOR(s_finished(e, "deploy", 2), 20000);
    pk_build_t d2 = s_build(e, "deploy", 2);
    assert_string_equal(d2.trigger, "manual");
    ref = s_ref(e, pk_idmap_get(&d2.versions, "git.app"));
    assert_string_equal(ref, c1);
    free(ref);
    pk_build_clear(&d2);
    pk_build_t *bs;
    size_t n;
    assert_int_equal(pk_builds_list(e->builds, NULL, "p", "deploy", 0, &bs, &n), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(pk_idmap_get(&bs[i].versions, "git.app"), vbad);
    pk_builds_list_free(&bs, n);
    free(c1);
    free(bad);
    s_env_stop(e);
}

// (4) an invalid pipeline changes nothing: rejected with file:line:col,
// the stored one and its model stay (a trigger still builds with it).
static void
test_invalid_pipeline_changes_nothing(void **state)
{
    (void) state;
    s_env_t *e = s_env_start();
    char *c1 = s_first_round(e);
    pk_pipeline_rec_t before;
    assert_int_equal(pk_builds_pipeline_get(e->builds, NULL, "p", &before), 0);
    assert_int_equal(before.version, 1);

    s_set_pipeline(e, S_PIPELINE, "job \"broken\" {\n  tsk \"x\" {\n  }\n}\n");
    pk_value_t *ev = s_event(e, "pipeline.rejected", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "pipeline")), "p");
    const pk_value_t *errors = pk_value_object_get(ev, "errors");
    assert_true(pk_value_len(errors) >= 1);
    assert_non_null(strstr(pk_value_string(pk_value_list_at(errors, 0)), "p.hcl:"));
    pk_value_destroy(&ev);
    // a body that is not {source} is rejected too
    s_signal(e, "scheduler", "pipeline.set", "pipeline", "p", NULL, NULL, NULL);
    ev = s_event(e, "pipeline.rejected", 5000);
    assert_non_null(ev);
    pk_value_destroy(&ev);

    pk_pipeline_rec_t after;
    assert_int_equal(pk_builds_pipeline_get(e->builds, NULL, "p", &after), 0);
    assert_int_equal(after.version, before.version);
    assert_string_equal(after.source, before.source);
    assert_int_equal(after.set_ms, before.set_ms);
    pk_pipeline_rec_clear(&before);
    pk_pipeline_rec_clear(&after);
    pk_job_rec_t jr;
    assert_int_equal(pk_builds_job_get(e->builds, NULL, "p", "broken", &jr), PK_STORE_NOTFOUND);

    s_signal(e, "scheduler", "trigger", "pipeline", "p", "job", "test", NULL);
    WAIT_FOR(s_finished(e, "test", 2), 20000);
    assert_string_equal(s_status(e, "test", 2), "succeeded");
    free(c1);
    s_env_stop(e);
}

// (6) fencing: a DONE of another attempt, or of a finished build, is ignored.
static void
test_stale_done_ignored(void **state)
{
    (void) state;
    s_env_t *e = s_env_start();
    char *c1 = s_first_round(e);
    zsock_t *fake = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(fake, "%s", EP), 0);
    const uint32_t attempts[] = { 2, 1 };       // wrong attempt; right one, but late
    for (size_t i = 0; i < 2; i++) {
        uint64_t before = s_ignored(e);
        pk_msg_t m = { .type = PK_MSG_DONE };
        m.done.id = strdup("build:p/test/1");
        m.done.attempt = attempts[i];
        m.done.status = strdup("failed");
        m.done.reason = strdup("stale");
        assert_int_equal(pk_msg_send(zsock_resolve(fake), &m), 0);
        pk_msg_clear(&m);
        WAIT_FOR(s_ignored(e) > before, 5000);
        pk_build_t b = s_build(e, "test", 1);
        assert_string_equal(b.status, "succeeded");
        assert_null(b.reason);
        pk_build_clear(&b);
    }
    // malformed ids are counted, not fatal
    uint64_t before = s_ignored(e);
    pk_msg_t m = { .type = PK_MSG_STARTED };
    m.started.id = strdup("build:p//");
    m.started.attempt = 1;
    m.started.worker = strdup("x");
    assert_int_equal(pk_msg_send(zsock_resolve(fake), &m), 0);
    pk_msg_clear(&m);
    WAIT_FOR(s_ignored(e) > before, 5000);
    assert_int_equal(s_count(e, "deploy"), 1);
    zsock_destroy(&fake);
    free(c1);
    s_env_stop(e);
}

// A job added later starts from the versions of its time (baseline): it is
// not built for old versions, only for the next one.
static void
test_new_job_baseline(void **state)
{
    (void) state;
    s_env_t *e = s_env_start();
    char *c1 = s_first_round(e);
    const char *lint =
        "job \"lint\" {\n"
        "  get \"git\" \"app\" {\n"
        "    trigger = true\n"
        "  }\n"
        "  task \"l\" {\n"
        "    run \"shell\" {\n"
        "      cmd = \"cat app/VERSION\"\n"
        "    }\n"
        "  }\n"
        "}\n";
    s_set_pipeline(e, S_PIPELINE, lint);
    pk_value_t *ev = s_event(e, "pipeline.set", 5000);
    assert_non_null(ev);
    assert_int_equal((int) pk_value_number(pk_value_object_get(ev, "version")), 2);
    pk_value_destroy(&ev);
    pk_job_rec_t jr;
    assert_int_equal(pk_builds_job_get(e->builds, NULL, "p", "lint", &jr), 0);
    pk_build_t t1 = s_build(e, "test", 1);
    assert_int_equal(pk_idmap_get(&jr.baseline, "git.app"), pk_idmap_get(&t1.versions, "git.app"));
    assert_int_equal(jr.next_number, 1);
    pk_job_rec_clear(&jr);
    pk_build_clear(&t1);
    assert_int_equal(pk_builds_job_get(e->builds, NULL, "p", "test", &jr), 0);
    assert_int_equal(jr.next_number, 2);            // kept across the re-set
    pk_job_rec_clear(&jr);

    char *c2 = s_commit("release-two");
    s_signal(e, "checker", "check.now", "pipeline", "p", "resource", "git.app", NULL);
    WAIT_FOR(s_finished(e, "lint", 1), 20000);
    WAIT_FOR(s_finished(e, "test", 2), 20000);
    assert_int_equal(s_count(e, "lint"), 1);
    pk_build_t l1 = s_build(e, "lint", 1);
    char *ref = s_ref(e, pk_idmap_get(&l1.versions, "git.app"));
    assert_string_equal(ref, c2);
    free(ref);
    pk_build_clear(&l1);
    free(c1);
    free(c2);
    s_env_stop(e);
}


// --- pk_builds alone, on both store systems

typedef struct {
    pk_builds_t *b;
    const char *job;
    uint64_t number;
    const char *status;
    uint64_t version;
} s_put_t;

static int
s_put_build(pk_store_txn_t *txn, void *arg)
{
    s_put_t *a = arg;
    pk_build_t b = { .number = a->number, .status = (char *) a->status, .attempt = 1,
                     .created_ms = 1000 + (int64_t) a->number, .trigger = "version" };
    pk_idmap_set(&b.versions, "git.app", a->version);
    int rc = pk_builds_put(a->b, txn, "p", a->job, &b);
    pk_idmap_clear(&b.versions);
    return rc;
}

static void
s_builds_roundtrip(const char *system)
{
    char dir[300], *err = NULL;
    snprintf(dir, sizeof dir, "%s/db", T);
    pk_store_t *store = pk_store_open(system, dir, &err);
    if (!store)
        fail_msg("store: %s", err);
    pk_builds_t *b = pk_builds_new(store, &err);
    assert_non_null(b);
    pk_build_t out;
    assert_int_equal(pk_builds_latest(b, NULL, "p", "job", &out), PK_STORE_NOTFOUND);
    // numbers 1..12 of "job" (9 < 10 only if keys are big-endian) and one
    // build of "jobs", whose name "job" is a prefix of
    for (uint64_t n = 1; n <= 12; n++) {
        s_put_t a = { b, "job", n, n % 2 ? "succeeded" : "failed", 100 + n };
        assert_int_equal(pk_store_write(store, s_put_build, &a), 0);
    }
    s_put_t other = { b, "jobs", 1, "errored", 7 };
    assert_int_equal(pk_store_write(store, s_put_build, &other), 0);

    pk_build_t *bs;
    size_t n;
    assert_int_equal(pk_builds_list(b, NULL, "p", "job", 0, &bs, &n), 0);
    assert_int_equal(n, 12);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bs[i].number, 12 - i);
        assert_int_equal(pk_idmap_get(&bs[i].versions, "git.app"), 100 + 12 - i);
        assert_string_equal(bs[i].status, (12 - i) % 2 ? "succeeded" : "failed");
    }
    pk_builds_list_free(&bs, n);
    assert_int_equal(pk_builds_list(b, NULL, "p", "job", 3, &bs, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(bs[2].number, 10);
    pk_builds_list_free(&bs, n);
    assert_int_equal(pk_builds_latest(b, NULL, "p", "jobs", &out), 0);
    assert_int_equal(out.number, 1);
    assert_string_equal(out.status, "errored");
    assert_string_equal(out.trigger, "version");
    assert_null(out.worker);
    assert_int_equal(out.created_ms, 1001);
    pk_build_clear(&out);
    assert_int_equal(pk_builds_get(b, NULL, "p", "job", 13, 0, &out), PK_STORE_NOTFOUND);
    pk_builds_destroy(&b);
    pk_store_close(&store);
    if (!strcmp(system, "lmdb")) {      // durable: all there after reopening
        store = pk_store_open(system, dir, &err);
        assert_non_null(store);
        b = pk_builds_new(store, &err);
        assert_int_equal(pk_builds_get(b, NULL, "p", "job", 9, 0, &out), 0);
        assert_int_equal(pk_idmap_get(&out.versions, "git.app"), 109);
        pk_build_clear(&out);
        pk_builds_destroy(&b);
        pk_store_close(&store);
    }
}

static void
test_builds_store(void **state)
{
    (void) state;
    s_builds_roundtrip("mem");
    s_builds_roundtrip("lmdb");
}

// --- a fake runner: the test sees each WORK as it is dispatched

static zsock_t *
s_fake_runner(void)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_identity(s, "fake");
    assert_int_equal(zsock_connect(s, "%s", EP), 0);
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = "fake";
    r.ready.slots = 4;
    assert_int_equal(pk_msg_send(zsock_resolve(s), &r), 0);
    return s;
}

static bool
s_work(zsock_t *w, pk_msg_t *m, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    while (zclock_mono() < end) {
        zsock_set_rcvtimeo(w, (int) (end - zclock_mono()));
        zmsg_t *z = zmsg_recv(w);
        if (!z)
            return false;
        int rc = pk_msg_from_zmsg(z, m, NULL, 0);
        zmsg_destroy(&z);
        if (rc == 0 && m->type == PK_MSG_WORK)
            return true;
        if (rc == 0)
            pk_msg_clear(m);
    }
    return false;
}

static void
s_report(zsock_t *w, pk_msg_type_t type, const char *id, uint32_t attempt, const char *status)
{
    pk_msg_t m = { .type = type };
    if (type == PK_MSG_STARTED) {
        m.started.id = strdup(id);
        m.started.attempt = attempt;
        m.started.worker = strdup("fake");
        m.started.started_ms = (uint64_t) zclock_time();
    }
    else
    if (type == PK_MSG_STEP) {
        m.step.id = strdup(id);
        m.step.attempt = attempt;
        m.step.name = strdup("unit");
        m.step.status = strdup(status);
    }
    else {
        m.done.id = strdup(id);
        m.done.attempt = attempt;
        m.done.status = strdup(status);
        m.done.finished_ms = (uint64_t) zclock_time();
    }
    assert_int_equal(pk_msg_send(zsock_resolve(w), &m), 0);
    pk_msg_clear(&m);
}

// A build is in the store, pending, before its WORK reaches a runner; the
// WORK is the contract's; reports move the build and are published.
static void
test_persisted_before_dispatch(void **state)
{
    (void) state;
    s_env_t *e = s_env_start_with(false);
    zsock_t *w = s_fake_runner();
    s_repo();
    s_set_pipeline(e, S_PIPELINE, NULL);
    pk_msg_t m;
    assert_true(s_work(w, &m, 10000));          // the checker's first check
    assert_string_equal(m.work.kind, "check");
    pk_msg_t v = { .type = PK_MSG_VERSIONS };
    v.versions.id = strdup(m.work.id);
    v.versions.attempt = m.work.attempt;
    v.versions.resource = strdup("git.app");
    const char *found = "[{\"ref\":\"0123abcd\"}]";
    pk_value_t *list = pk_value_from_json(found, strlen(found), NULL);
    assert_non_null(list);
    pk_value_pack_bytes(list, &v.versions.versions.data, &v.versions.versions.size);
    pk_value_destroy(&list);
    assert_int_equal(pk_msg_send(zsock_resolve(w), &v), 0);
    pk_msg_clear(&v);
    pk_msg_clear(&m);

    assert_true(s_work(w, &m, 10000));
    assert_string_equal(m.work.id, "build:p/test/1");
    assert_string_equal(m.work.kind, "build");
    assert_int_equal(m.work.attempt, 1);
    pk_build_t b = s_build(e, "test", 1);       // already there as it arrives
    assert_string_equal(b.status, "pending");
    assert_int_equal(b.attempt, 1);
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), 1);
    pk_build_clear(&b);
    pk_value_t *plan = pk_value_unpack(m.work.plan.data, m.work.plan.size);
    assert_non_null(plan);
    char *json = pk_value_to_json(plan);
    assert_non_null(strstr(json, "0123abcd"));  // the chosen version reached the get
    assert_non_null(strstr(json, "cat app/VERSION"));
    free(json);
    pk_value_destroy(&plan);
    pk_msg_clear(&m);
    assert_int_equal(s_count(e, "deploy"), 0);  // nothing passed yet

    s_report(w, PK_MSG_STARTED, "build:p/test/1", 1, NULL);
    pk_value_t *ev = s_event(e, "build.started", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "job")), "test");
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "number")), "1");
    pk_value_destroy(&ev);
    b = s_build(e, "test", 1);
    assert_string_equal(b.status, "started");
    assert_string_equal(b.worker, "fake");
    pk_build_clear(&b);
    s_report(w, PK_MSG_STEP, "build:p/test/1", 1, "succeeded");
    s_report(w, PK_MSG_DONE, "build:p/test/1", 1, "succeeded");
    ev = s_event(e, "build.succeeded", 5000);
    assert_non_null(ev);
    assert_string_equal(pk_value_string(pk_value_object_get(ev, "status")), "succeeded");
    pk_value_destroy(&ev);

    assert_true(s_work(w, &m, 10000));          // deploy follows
    assert_string_equal(m.work.id, "build:p/deploy/1");
    b = s_build(e, "deploy", 1);
    assert_string_equal(b.status, "pending");
    assert_string_equal(b.trigger, "passed");
    assert_int_equal(pk_idmap_get(&b.versions, "git.app"), 1);
    pk_build_clear(&b);
    pk_msg_clear(&m);
    s_report(w, PK_MSG_DONE, "build:p/deploy/1", 1, "no-such-status");
    WAIT_FOR(s_finished(e, "deploy", 1), 5000);
    assert_string_equal(s_status(e, "deploy", 1), "errored");
    zsock_destroy(&w);
    s_env_stop(e);
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove(path);
}

static int
s_setup(void **state)
{
    (void) state;
    const char *base = getenv("TMPDIR");
    snprintf(T, sizeof T, "%s/pk-test-scheduler-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(T));
    char cache[300];
    snprintf(cache, sizeof cache, "%s/cache", T);
    setenv("PIKOCI_CACHE_DIR", cache, 1);
    setenv("HOME", T, 1);
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    if (s_live)
        s_env_stop(s_live);
    nftw(T, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int
main(void)
{
    zsys_handler_set(NULL);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    pk_git_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builds_store, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_version_then_passed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_failed_build_not_deployed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_pipeline_changes_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stale_done_ignored, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_new_job_baseline, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_persisted_before_dispatch, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pk_git_shutdown();
    zsys_shutdown();
    return rc;
}
