// test_checker: the checker actor with a real broker, and either real runner
// actors doing native git checks against bare repositories made with the git
// CLI, or a fake runner peer when a test needs to see and time every WORK.
// The test plays the scheduler: it sends the SIGNALs and receives
// versions.new. Expected versions come from `git rev-parse`, never literals.
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
#include "pk_checker.h"
#include "pk_cron.h"
#include "pk_git.h"
#include "pk_msg.h"
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"
#include "test_sh.h"

static char EP[256];        // each test its own broker endpoint
static char T[256];         // each test its own scratch directory

typedef struct _s_env_t s_env_t;
struct _s_env_t {
    zactor_t *broker;
    zsock_t *sched;         // the test as the scheduler
    zactor_t *checker;
    pk_store_t *store;
    pk_versions_t *versions;
    char store_dir[300];
};
static s_env_t *s_live;     // stopped by the teardown when a test failed midway

// --- plumbing

static bool
s_recv(zsock_t *s, pk_msg_t *m, int timeout_ms)
{
    zsock_set_rcvtimeo(s, timeout_ms < 0 ? 0 : timeout_ms);
    zmsg_t *z = zmsg_recv(s);
    if (!z)
        return false;
    int rc = pk_msg_from_zmsg(z, m, NULL, 0);
    zmsg_destroy(&z);
    return rc == 0;
}

// The next message of a type (and, for SIGNALs, of a `what`), others skipped.
static bool
s_expect(zsock_t *s, pk_msg_type_t type, const char *what, pk_msg_t *m, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    while (zclock_mono() < end) {
        if (!s_recv(s, m, (int) (end - zclock_mono())))
            return false;
        if (m->type == type && (!what || !strcmp(m->signal.what, what)))
            return true;
        pk_msg_clear(m);
    }
    return false;
}

static zsock_t *
s_peer(const char *role)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(s, "%s", EP), 0);
    if (role) {
        pk_msg_t h = { .type = PK_MSG_HELLO };
        h.hello.name = (char *) role;
        h.hello.role = (char *) role;
        assert_int_equal(pk_msg_send(s, &h), 0);
    }
    return s;
}

static void
s_signal(zsock_t *s, const char *to, const char *what, const char *pipeline, const char *resource,
         const pk_value_t *body)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup(to);
    m.signal.what = strdup(what);
    if (pipeline)
        pk_kv_set(&m.signal.args, "pipeline", pipeline);
    if (resource)
        pk_kv_set(&m.signal.args, "resource", resource);
    if (body)
        pk_value_pack_bytes(body, &m.signal.body.data, &m.signal.body.size);
    assert_int_equal(pk_msg_send(s, &m), 0);
    pk_msg_clear(&m);
}

static void
s_check_now(s_env_t *e, const char *resource)
{
    s_signal(e->sched, "checker", "check.now", "p", resource, NULL);
}

typedef struct {
    const char *canonical;
    const char *interval;
    const char *plan;       // JSON
    const char *tag;        // one tag, or NULL
} s_def_t;

static void
s_set(s_env_t *e, const char *pipeline, const s_def_t *defs, size_t n)
{
    pk_value_t *list = pk_value_new_list();
    for (size_t i = 0; i < n; i++) {
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "canonical", pk_value_new_string(defs[i].canonical));
        pk_value_object_set(o, "check_interval", pk_value_new_string(defs[i].interval));
        pk_value_t *tags = pk_value_new_list();
        if (defs[i].tag)
            pk_value_list_append(tags, pk_value_new_string(defs[i].tag));
        pk_value_object_set(o, "tags", tags);
        pk_value_t *plan = pk_value_from_json(defs[i].plan, strlen(defs[i].plan), NULL);
        assert_non_null(plan);
        pk_value_object_set(o, "plan", plan);
        pk_value_list_append(list, o);
    }
    s_signal(e->sched, "checker", "pipeline.set", pipeline, NULL, list);
    pk_value_destroy(&list);
}

// STATS: scheduled inflight checks failures new_versions ignored
typedef struct {
    uint64_t scheduled, inflight, checks, failures, news, ignored;
} s_stats_t;

static s_stats_t
s_stats(s_env_t *e)
{
    s_stats_t s = { 0 };
    zstr_send(e->checker, "STATS");
    char *text = zstr_recv(e->checker);
    assert_non_null(text);
    assert_int_equal(sscanf(text, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                            " %" SCNu64, &s.scheduled, &s.inflight, &s.checks, &s.failures,
                            &s.news, &s.ignored), 6);
    zstr_free(&text);
    return s;
}

#define WAIT_FOR(cond, ms) \
    do { \
        int64_t end_ = zclock_mono() + (ms); \
        while (!(cond) && zclock_mono() < end_) \
            zclock_sleep(5); \
        if (!(cond)) \
            fail_msg("timed out waiting for %s", #cond); \
    } while (0)

static int64_t s_flush_ms;          // 0: the checker's default

static void
s_start_checker(s_env_t *e, int64_t first_max_ms, int64_t grace_ms)
{
    pk_checker_config_t cfg = { .endpoint = EP, .store = e->store,
                                .first_check_max_ms = first_max_ms, .answer_grace_ms = grace_ms,
                                .flush_ms = s_flush_ms };
    e->checker = pk_checker_new(&cfg);
    assert_non_null(e->checker);
    pk_msg_t m;
    assert_true(s_expect(e->sched, PK_MSG_SIGNAL, "checker.ready", &m, 5000));
    pk_msg_clear(&m);
}

static void
s_open_store(s_env_t *e, const char *system)
{
    char *err = NULL;
    e->store = pk_store_open(system, e->store_dir, &err);
    if (!e->store)
        fail_msg("store: %s", err);
    e->versions = pk_versions_new(e->store, &err);
    assert_non_null(e->versions);
}

// Broker, the scheduler peer (known to the broker before the checker
// starts, so checker.ready reaches it) and a checker on a fresh store.
static s_env_t *
s_env_start(const char *system, int hb_ms, int64_t first_max_ms, int64_t grace_ms)
{
    static int n;
    s_env_t *e = calloc(1, sizeof(*e));
    snprintf(EP, sizeof EP, "inproc://pk-test-checker-%d", ++n);
    pk_broker_config_t bcfg = { .inproc = EP, .heartbeat_timeout_ms = hb_ms };
    e->broker = pk_broker_new(&bcfg);
    assert_non_null(e->broker);
    e->sched = s_peer("scheduler");
    s_signal(e->sched, "scheduler", "ping", NULL, NULL, NULL);
    pk_msg_t m;
    assert_true(s_expect(e->sched, PK_MSG_SIGNAL, "ping", &m, 5000));
    pk_msg_clear(&m);
    snprintf(e->store_dir, sizeof e->store_dir, "%s/db", T);
    s_open_store(e, system);
    s_start_checker(e, first_max_ms, grace_ms);
    s_live = e;
    return e;
}

static void
s_env_stop(s_env_t *e)
{
    s_live = NULL;
    zactor_destroy(&e->checker);
    zsock_destroy(&e->sched);
    zactor_destroy(&e->broker);
    pk_versions_destroy(&e->versions);
    pk_store_close(&e->store);
    free(e);
}

static pk_resource_state_t
s_state(s_env_t *e, const char *resource)
{
    pk_resource_state_t st;
    int rc = pk_versions_state(e->versions, NULL, "p", resource, &st);
    assert_true(rc == 0 || rc == PK_STORE_NOTFOUND);
    return st;
}

static uint64_t
s_checks(s_env_t *e, const char *resource)
{
    pk_resource_state_t st = s_state(e, resource);
    uint64_t n = st.checks;
    pk_resource_state_clear(&st);
    return n;
}

// versions.new for resource: its first and last ids.
static void
s_expect_new(s_env_t *e, const char *resource, uint64_t first, uint64_t last, int timeout_ms)
{
    pk_msg_t m;
    if (!s_expect(e->sched, PK_MSG_SIGNAL, "versions.new", &m, timeout_ms))
        fail_msg("no versions.new for %s within %d ms", resource, timeout_ms);
    assert_string_equal(pk_kv_get(&m.signal.args, "pipeline"), "p");
    assert_string_equal(pk_kv_get(&m.signal.args, "resource"), resource);
    assert_int_equal(strtoull(pk_kv_get(&m.signal.args, "first_id"), NULL, 10), first);
    assert_int_equal(strtoull(pk_kv_get(&m.signal.args, "last_id"), NULL, 10), last);
    pk_msg_clear(&m);
}

static void
s_expect_no_new(s_env_t *e, int ms)
{
    pk_msg_t m;
    if (s_expect(e->sched, PK_MSG_SIGNAL, "versions.new", &m, ms)) {
        pk_msg_clear(&m);
        fail_msg("an unexpected versions.new");
    }
}

static char *
s_version_field(s_env_t *e, const char *resource, uint64_t id, const char *field)
{
    pk_version_t v;
    assert_int_equal(pk_versions_get(e->versions, NULL, "p", resource, id, &v), 0);
    pk_value_t *val = pk_value_unpack(v.data, v.size);
    char *s = strdup(pk_value_string(pk_value_object_get(val, field)));
    pk_value_destroy(&val);
    pk_version_clear(&v);
    return s;
}

// --- git

static void
s_repo(const char *name)
{
    test_sh_ok("git init -q --bare '%s/%s.git' && git clone -q '%s/%s.git' '%s/%s-wc' 2>/dev/null",
         T, name, T, name, T, name);
}

static void
s_commit(const char *name, const char *text)
{
    test_sh_ok("cd '%s/%s-wc' && echo '%s' >>f && git add f && "
         "git -c user.name=t -c user.email=t@t commit -qm '%s' && git push -q origin HEAD 2>/dev/null",
         T, name, text, text);
}

static char *
s_rev(const char *name, const char *rev)
{
    char cmd[1024], out[128] = "";
    snprintf(cmd, sizeof cmd, "git -C '%s/%s-wc' rev-parse %s", T, name, rev);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(out, sizeof out, p));
    pclose(p);
    out[strcspn(out, "\n")] = 0;
    return strdup(out);
}

static char *
s_git_plan(const char *resource, const char *repo)
{
    char *plan = malloc(1024);
    snprintf(plan, 1024, "{\"resource\":\"%s\",\"native\":{\"type\":\"git\",\"params\":"
             "{\"url\":\"file://%s/%s.git\"}}}", resource, T, repo);
    return plan;
}

static zactor_t *
s_runner(const char *name)
{
    char root[300];
    snprintf(root, sizeof root, "%s/work", T);
    pk_runner_config_t cfg = { .name = name, .endpoint = EP, .slots = 4, .work_root = root };
    zactor_t *r = pk_runner_new(&cfg);
    assert_non_null(r);
    return r;
}

// --- fake runner: sees every WORK, answers when the test says

static zsock_t *
s_fake_runner(const char *name, uint32_t slots)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_identity(s, name);
    zsock_set_rcvhwm(s, 0);
    assert_int_equal(zsock_connect(s, "%s", EP), 0);
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = (char *) name;
    r.ready.slots = slots;
    assert_int_equal(pk_msg_send(s, &r), 0);
    return s;
}

static void
s_answer(zsock_t *w, const char *id, uint32_t attempt, const char *json, const char *error)
{
    pk_msg_t m = { .type = PK_MSG_VERSIONS };
    m.versions.id = strdup(id);
    m.versions.attempt = attempt;
    m.versions.resource = strdup("?");
    if (json) {
        pk_value_t *v = pk_value_from_json(json, strlen(json), NULL);
        pk_value_pack_bytes(v, &m.versions.versions.data, &m.versions.versions.size);
        pk_value_destroy(&v);
    }
    if (error)
        m.versions.error = strdup(error);
    assert_int_equal(pk_msg_send(w, &m), 0);
    pk_msg_clear(&m);
}

static const char *FAKE_PLAN = "{\"resource\":\"x.r\",\"cmd\":{\"runner\":{\"name\":\"shell\"},"
                               "\"params\":{\"cmd\":\"true\"}}}";

// The resource named in a check id "check:p/<resource>:<seq>".
static void
s_id_resource(const char *id, char *out, size_t len)
{
    const char *slash = strchr(id, '/'), *colon = strrchr(id, ':');
    assert_non_null(slash);
    snprintf(out, len, "%.*s", (int) (colon - slash - 1), slash + 1);
}

// --- tests

static void
test_git_versions(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 3000, 1, 0);
    zactor_t *runner = s_runner("w1");
    s_repo("app");
    s_commit("app", "one");
    s_commit("app", "two");
    char *plan = s_git_plan("git.app", "app");
    s_def_t def = { "git.app", "@every 1h", plan, NULL };
    s_set(e, "p", &def, 1);
    // the first check: only the newest commit
    s_expect_new(e, "git.app", 1, 1, 20000);
    char *head = s_rev("app", "HEAD"), *ref = s_version_field(e, "git.app", 1, "ref");
    assert_string_equal(ref, head);
    free(head);
    free(ref);
    pk_version_t *items;
    size_t n;
    assert_int_equal(pk_versions_list(e->versions, NULL, "p", "git.app", 0, 0, &items, &n), 0);
    assert_int_equal(n, 1);
    pk_versions_list_free(&items, n);
    // a new commit, check now: signalled within a second
    s_commit("app", "three");
    int64_t t0 = zclock_mono();
    s_check_now(e, "git.app");
    s_expect_new(e, "git.app", 2, 2, 5000);
    int64_t took = zclock_mono() - t0;
    assert_true(took < 1000);
    head = s_rev("app", "HEAD");
    ref = s_version_field(e, "git.app", 2, "ref");
    assert_string_equal(ref, head);
    free(head);
    free(ref);
    // two commits: two versions, oldest first
    s_commit("app", "four");
    s_commit("app", "five");
    s_check_now(e, "git.app");
    s_expect_new(e, "git.app", 3, 4, 5000);
    char *c4 = s_rev("app", "HEAD~1"), *c5 = s_rev("app", "HEAD");
    char *v3 = s_version_field(e, "git.app", 3, "ref"), *v4 = s_version_field(e, "git.app", 4, "ref");
    assert_string_equal(v3, c4);
    assert_string_equal(v4, c5);
    free(c4);
    free(c5);
    free(v3);
    free(v4);
    // nothing new: the check is recorded, nothing signalled
    uint64_t before = s_checks(e, "git.app");
    s_check_now(e, "git.app");
    WAIT_FOR(s_checks(e, "git.app") == before + 1, 10000);
    s_expect_no_new(e, 300);
    pk_resource_state_t st = s_state(e, "git.app");
    assert_int_equal(st.last_id, 4);
    assert_null(st.error);
    assert_int_equal(st.failures, 0);
    assert_true(st.next_check_ms > st.last_check_ms + 3500 * 1000);   // about an hour ahead
    pk_resource_state_clear(&st);
    free(plan);
    zactor_destroy(&runner);
    s_env_stop(e);
}

static void
test_check_error_kept_then_cleared(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 3000, 1, 0);
    zactor_t *runner = s_runner("w1");
    // a monitor subscribed to resource events
    zsock_t *mon = s_peer(NULL);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 1;
    q.request.op = strdup("subscribe");
    pk_kv_set(&q.request.args, "prefix", "resource.");
    pk_msg_send(mon, &q);
    pk_msg_clear(&q);
    pk_msg_t m;
    assert_true(s_expect(mon, PK_MSG_REPLY, NULL, &m, 5000));
    pk_msg_clear(&m);
    // the repository does not exist yet
    char *plan = s_git_plan("git.later", "later");
    s_def_t def = { "git.later", "@every 1h", plan, NULL };
    s_set(e, "p", &def, 1);
    WAIT_FOR(s_checks(e, "git.later") == 1, 20000);
    pk_resource_state_t st = s_state(e, "git.later");
    assert_non_null(st.error);
    assert_non_null(strstr(st.error, "later.git"));
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.last_id, 0);
    char *error = strdup(st.error);
    pk_resource_state_clear(&st);
    assert_true(s_expect(mon, PK_MSG_EVENT, NULL, &m, 5000));
    assert_string_equal(m.event.topic, "resource.checked");
    pk_value_t *body = pk_value_unpack(m.event.body.data, m.event.body.size);
    assert_false(pk_value_bool(pk_value_object_get(body, "ok")));
    assert_string_equal(pk_value_string(pk_value_object_get(body, "error")), error);
    assert_string_equal(pk_value_string(pk_value_object_get(body, "resource")), "git.later");
    pk_value_destroy(&body);
    pk_msg_clear(&m);
    free(error);
    s_expect_no_new(e, 100);
    // it appears: the next check succeeds and the error is gone
    s_repo("later");
    s_commit("later", "one");
    s_check_now(e, "git.later");
    s_expect_new(e, "git.later", 1, 1, 10000);
    st = s_state(e, "git.later");
    assert_null(st.error);
    assert_null(st.output);
    assert_int_equal(st.checks, 2);
    assert_int_equal(st.failures, 1);
    pk_resource_state_clear(&st);
    // the monitor saw it cleared, then the new version
    assert_true(s_expect(mon, PK_MSG_EVENT, NULL, &m, 5000));
    assert_string_equal(m.event.topic, "resource.checked");
    body = pk_value_unpack(m.event.body.data, m.event.body.size);
    assert_true(pk_value_bool(pk_value_object_get(body, "ok")));
    pk_value_destroy(&body);
    pk_msg_clear(&m);
    assert_true(s_expect(mon, PK_MSG_EVENT, NULL, &m, 5000));
    assert_string_equal(m.event.topic, "resource.versions");
    body = pk_value_unpack(m.event.body.data, m.event.body.size);
    assert_int_equal((int) pk_value_number(pk_value_object_get(body, "last_id")), 1);
    pk_value_destroy(&body);
    pk_msg_clear(&m);
    free(plan);
    zsock_destroy(&mon);
    zactor_destroy(&runner);
    s_env_stop(e);
}

// No WORK until mono time `until`.
static void
s_wait_quiet(zsock_t *w, int64_t until)
{
    pk_msg_t m;
    while (zclock_mono() < until)
        if (s_expect(w, PK_MSG_WORK, NULL, &m, (int) (until - zclock_mono()))) {
            pk_msg_clear(&m);
            fail_msg("an unexpected check");
        }
}

// When the next WORK came; it is answered with "[]".
static int64_t
s_next_work_at(zsock_t *w, int timeout_ms)
{
    pk_msg_t m;
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, timeout_ms));
    int64_t t = zclock_mono();
    s_answer(w, m.work.id, m.work.attempt, "[]", NULL);
    pk_msg_clear(&m);
    return t;
}

static void
test_timers_and_check_now(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 600000, 1, 0);
    zsock_t *w = s_fake_runner("fake", 10);
    s_def_t def = { "x.r", "@every 300ms", FAKE_PLAN, NULL };
    s_set(e, "p", &def, 1);
    // checks come on their own, an interval apart (the first at once)
    int64_t times[6];
    pk_msg_t m;
    for (int i = 0; i < 6; i++) {
        assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 3000));
        times[i] = zclock_mono();
        assert_string_equal(m.work.kind, "check");
        pk_value_t *plan = pk_value_unpack(m.work.plan.data, m.work.plan.size);
        assert_string_equal(pk_value_string(pk_value_object_get(plan, "resource")), "x.r");
        // the version is the one the previous check ended at
        const pk_value_t *v = pk_value_object_get(plan, "version");
        if (i == 0)
            assert_null(v);
        else
            assert_int_equal((int) pk_value_number(pk_value_object_get(v, "n")), i - 1);
        assert_true(pk_value_number(pk_value_object_get(plan, "timeout_ms")) > 0);
        pk_value_destroy(&plan);
        char json[64];
        snprintf(json, sizeof json, "[{\"n\":%d}]", i);
        s_answer(w, m.work.id, m.work.attempt, json, NULL);
        pk_msg_clear(&m);
        s_expect_new(e, "x.r", (uint64_t) i + 1, (uint64_t) i + 1, 3000);
    }
    for (int i = 2; i < 6; i++) {
        int64_t gap = times[i] - times[i - 1];
        if (gap < 250 || gap > 700)
            fail_msg("automatic checks %d ms apart, not about 300", (int) gap);
    }
    // a slower interval, then check.now midway: the next automatic check
    // comes a full interval after the manual one, not on the old beat
    def.interval = "@every 1s";
    s_set(e, "p", &def, 1);
    int64_t t1 = 0;
    for (int i = 0; i < 2; i++) {          // one possibly already planned, then the new beat
        assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 3000));
        t1 = zclock_mono();
        s_answer(w, m.work.id, m.work.attempt, "[]", NULL);
        pk_msg_clear(&m);
    }
    s_wait_quiet(w, t1 + 400);
    s_check_now(e, "x.r");
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 1000));
    int64_t tm = zclock_mono();
    assert_true(tm - t1 < 900);
    s_answer(w, m.work.id, m.work.attempt, "[]", NULL);
    pk_msg_clear(&m);
    int64_t t2 = s_next_work_at(w, 3000);
    if (t2 - tm < 800 || t2 - tm > 1300)
        fail_msg("the next automatic check came %d ms after the manual one, not ~1000",
                 (int) (t2 - tm));
    // check.now while a check runs starts nothing...
    s_wait_quiet(w, t2 + 300);
    s_check_now(e, "x.r");
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 1000));
    s_check_now(e, "x.r");
    pk_msg_t m2;
    assert_false(s_expect(w, PK_MSG_WORK, NULL, &m2, 400));
    assert_int_equal(s_stats(e).inflight, 1);
    // ...until it is answered: then the remembered one goes at once, and
    // the interval restarts from it
    s_answer(w, m.work.id, m.work.attempt, "[]", NULL);
    pk_msg_clear(&m);
    int64_t tm2 = s_next_work_at(w, 1000);
    int64_t t3 = s_next_work_at(w, 3000);
    if (t3 - tm2 < 800 || t3 - tm2 > 1300)
        fail_msg("the next automatic check came %d ms after the remembered one, not ~1000",
                 (int) (t3 - tm2));
    zsock_destroy(&w);
    s_env_stop(e);
}

// Read WORKs, answering each with "[]", until one for `hold` comes: that
// one is left unanswered (so nothing else of it can be on its way) and its
// id returned. Every resource seen is counted in seen[] by defs order.
static char *
s_run_until_held(zsock_t *w, const s_def_t *defs, int ndefs, int *seen, const char *hold,
                 int min_each)
{
    pk_msg_t m;
    for (;;) {
        assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 3000));
        char res[64];
        s_id_resource(m.work.id, res, sizeof res);
        bool all = true;
        for (int i = 0; i < ndefs; i++) {
            seen[i] += !strcmp(res, defs[i].canonical);
            all = all && seen[i] >= min_each;
        }
        if (all && !strcmp(res, hold)) {
            char *id = strdup(m.work.id);
            pk_msg_clear(&m);
            return id;
        }
        s_answer(w, m.work.id, 1, "[]", NULL);
        pk_msg_clear(&m);
    }
}

static void
s_expect_cancel(zsock_t *w, const char *id)
{
    pk_msg_t m;
    assert_true(s_expect(w, PK_MSG_CANCEL, NULL, &m, 3000));
    assert_string_equal(m.cancel.id, id);
    pk_msg_clear(&m);
}

static void
test_set_and_remove(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 600000, 1, 0);
    zsock_t *w = s_fake_runner("fake", 10);
    s_def_t defs[] = { { "x.keep", "@every 200ms", FAKE_PLAN, NULL },
                       { "x.gone", "@every 200ms", FAKE_PLAN, NULL },
                       { "x.cron", "0 0 1 1 *", FAKE_PLAN, NULL } };
    s_set(e, "p", defs, 3);
    // each gets its first check at once (the cron one too), the @every ones
    // come back; one of x.gone is left running
    int seen[3] = { 0 };
    char *held = s_run_until_held(w, defs, 2, seen, "x.gone", 2);
    assert_int_equal(s_stats(e).scheduled, 3);
    // the cron resource's next check is the schedule's next fire (UTC)
    WAIT_FOR(s_checks(e, "x.cron") == 1, 5000);
    pk_resource_state_t st = s_state(e, "x.cron");
    pk_cron_t *cron = pk_cron_new("0 0 1 1 *", NULL);
    int64_t want = pk_cron_next(cron, st.last_check_ms / 1000) * 1000;
    pk_cron_destroy(&cron);
    if (llabs(st.next_check_ms - want) > 50)
        fail_msg("cron next check %lld, schedule says %lld", (long long) st.next_check_ms,
                 (long long) want);
    pk_resource_state_clear(&st);
    // x.gone (and x.cron) leave the pipeline: the running check is
    // cancelled and no other comes; x.keep's go on
    s_set(e, "p", defs, 1);
    s_expect_cancel(w, held);
    free(held);
    assert_int_equal(s_stats(e).scheduled, 1);
    int keep = 0;
    pk_msg_t m;
    int64_t end = zclock_mono() + 1200;
    while (zclock_mono() < end) {
        if (!s_recv(w, &m, (int) (end - zclock_mono())))
            continue;
        if (m.type == PK_MSG_WORK) {
            char res[64];
            s_id_resource(m.work.id, res, sizeof res);
            if (strcmp(res, "x.keep"))
                fail_msg("%s checked after it was removed", res);
            keep++;
            s_answer(w, m.work.id, 1, "[]", NULL);
        }
        pk_msg_clear(&m);
    }
    assert_true(keep >= 3);
    // the whole pipeline goes, while a check of x.keep runs
    int seen_keep = 0;
    held = s_run_until_held(w, defs, 1, &seen_keep, "x.keep", 1);
    s_signal(e->sched, "checker", "pipeline.remove", "p", NULL, NULL);
    s_expect_cancel(w, held);
    free(held);
    assert_int_equal(s_stats(e).scheduled, 0);
    assert_int_equal(s_stats(e).inflight, 0);
    assert_false(s_expect(w, PK_MSG_WORK, NULL, &m, 600));
    zsock_destroy(&w);
    s_env_stop(e);
}

static void
test_jitter(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 600000, 10000, 0);
    zsock_t *w = s_fake_runner("fake", 1000);
    enum { N = 200 };
    s_def_t defs[N];
    char names[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "x.r%d", i);
        defs[i] = (s_def_t) { names[i], "@every 2s", FAKE_PLAN, NULL };
    }
    int64_t t0 = zclock_mono();
    s_set(e, "p", defs, N);
    // the first check of each, and when it was dispatched
    int64_t when[N];
    for (int i = 0; i < N; i++)
        when[i] = -1;
    int got = 0;
    pk_msg_t m;
    while (got < N) {
        if (!s_expect(w, PK_MSG_WORK, NULL, &m, 5000))
            fail_msg("only %d of %d resources checked", got, N);
        char res[64];
        s_id_resource(m.work.id, res, sizeof res);
        int i = atoi(res + 3);
        if (when[i] < 0) {
            when[i] = zclock_mono() - t0;
            got++;
        }
        s_answer(w, m.work.id, 1, "[]", NULL);
        pk_msg_clear(&m);
    }
    // distinct milliseconds, and spread over the interval
    int distinct = 0;
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < N; i++) {
        bool dup = false;
        for (int j = 0; j < i && !dup; j++)
            dup = when[j] == when[i];
        distinct += !dup;
        lo = when[i] < lo ? when[i] : lo;
        hi = when[i] > hi ? when[i] : hi;
    }
    print_message("jitter: %d resources, first checks in %d distinct ms over %d ms\n", N, distinct,
                  (int) (hi - lo));
    assert_true(distinct >= N / 2);
    assert_true(hi - lo >= 1000);
    assert_true(hi <= 2000 + 500);
    zsock_destroy(&w);
    s_env_stop(e);
}

static void
test_stale_and_unknown_answers(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 600000, 1, 0);
    zsock_t *w = s_fake_runner("fake", 10);
    s_def_t def = { "x.r", "@every 1h", FAKE_PLAN, NULL };
    s_set(e, "p", &def, 1);
    pk_msg_t m;
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 5000));
    char *id = strdup(m.work.id);
    pk_msg_clear(&m);
    // wrong sequence, wrong attempt, unknown resource, not a check id
    char stale[256];
    const char *colon = strrchr(id, ':');
    snprintf(stale, sizeof stale, "%.*s:%llu", (int) (colon - id), id,
             strtoull(colon + 1, NULL, 10) + 1);
    uint64_t ignored = s_stats(e).ignored;
    s_answer(w, stale, 1, "[{\"v\":\"stale\"}]", NULL);
    s_answer(w, id, 2, "[{\"v\":\"stale\"}]", NULL);
    s_answer(w, "check:p/x.other:5", 1, "[{\"v\":\"stale\"}]", NULL);
    s_answer(w, "check:nonsense", 1, "[{\"v\":\"stale\"}]", NULL);
    s_answer(w, "check:p/x.r:", 1, "[{\"v\":\"stale\"}]", NULL);
    WAIT_FOR(s_stats(e).ignored == ignored + 5, 5000);
    s_expect_no_new(e, 100);
    pk_version_t v;
    assert_int_equal(pk_versions_latest(e->versions, NULL, "p", "x.r", &v), PK_STORE_NOTFOUND);
    assert_int_equal(s_stats(e).inflight, 1);
    // the real answer counts
    s_answer(w, id, 1, "[{\"v\":\"real\"}]", NULL);
    s_expect_new(e, "x.r", 1, 1, 5000);
    char *val = s_version_field(e, "x.r", 1, "v");
    assert_string_equal(val, "real");
    free(val);
    // a second answer to the same check is stale too
    s_answer(w, id, 1, "[{\"v\":\"again\"}]", NULL);
    s_expect_no_new(e, 300);
    // malformed versions from a runner are a failed check, kept on the resource
    s_check_now(e, "x.r");
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 5000));
    s_answer(w, m.work.id, 1, "[1,2]", NULL);
    pk_msg_clear(&m);
    WAIT_FOR(s_checks(e, "x.r") == 2, 5000);
    pk_resource_state_t st = s_state(e, "x.r");
    assert_non_null(strstr(st.error, "malformed versions"));
    pk_resource_state_clear(&st);
    free(id);
    zsock_destroy(&w);
    s_env_stop(e);
}

// A lone answer is stored and announced at once, not after the commit
// window; one arriving right after waits for the next window (commits stay
// at most one per flush_ms). The window is 3 s here so load cannot blur it.
static void
test_lone_answer_at_once(void **state)
{
    (void) state;
    s_flush_ms = 3000;
    s_env_t *e = s_env_start("mem", 600000, 1, 0);
    s_flush_ms = 0;
    zsock_t *w = s_fake_runner("fake", 10);
    s_def_t defs[] = { { "x.r", "@every 1h", FAKE_PLAN, NULL },
                       { "x.s", "@every 1h", FAKE_PLAN, NULL } };
    s_set(e, "p", defs, 2);
    pk_msg_t m1, m2;
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m1, 5000));
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m2, 5000));
    char first[64];
    s_id_resource(m1.work.id, first, sizeof first);
    int64_t t0 = zclock_mono();
    s_answer(w, m1.work.id, 1, "[{\"v\":\"1\"}]", NULL);
    s_expect_new(e, first, 1, 1, 5000);
    int64_t took = zclock_mono() - t0;
    if (took >= 1500)
        fail_msg("a lone answer waited %lld ms for the commit window", (long long) took);
    char second[64];
    s_id_resource(m2.work.id, second, sizeof second);
    s_answer(w, m2.work.id, 1, "[{\"v\":\"2\"}]", NULL);
    s_expect_no_new(e, 1000);
    s_expect_new(e, second, 1, 1, 5000);
    pk_msg_clear(&m1);
    pk_msg_clear(&m2);
    zsock_destroy(&w);
    s_env_stop(e);
}

static void
test_lost_worker_and_no_answer(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("mem", 2000, 1, 200);
    // a worker that takes the check and goes silent
    zsock_t *ghost = s_fake_runner("ghost", 1);
    s_def_t def = { "x.r", "@every 1h", FAKE_PLAN, NULL };
    s_set(e, "p", &def, 1);
    pk_msg_t m;
    assert_true(s_expect(ghost, PK_MSG_WORK, NULL, &m, 5000));
    // it starts the check (a check it never started would go to another worker)
    pk_msg_t started = { .type = PK_MSG_STARTED };
    started.started.id = m.work.id;
    started.started.attempt = m.work.attempt;
    started.started.worker = "ghost";
    assert_int_equal(pk_msg_send(ghost, &started), 0);
    pk_msg_clear(&m);
    WAIT_FOR(s_checks(e, "x.r") == 1, 5000);
    pk_resource_state_t st = s_state(e, "x.r");
    assert_string_equal(st.error, "worker ghost lost");
    assert_int_equal(st.failures, 1);
    pk_resource_state_clear(&st);
    zsock_destroy(&ghost);
    // still scheduled: the next check runs on a real runner
    assert_int_equal(s_stats(e).scheduled, 1);
    zactor_t *runner = s_runner("w1");
    def.plan = "{\"resource\":\"x.r\",\"cmd\":{\"runner\":{\"name\":\"shell\"},"
               "\"params\":{\"cmd\":\"echo '[{\\\"v\\\":\\\"1\\\"}]'\"}}}";
    s_set(e, "p", &def, 1);
    s_check_now(e, "x.r");
    s_expect_new(e, "x.r", 1, 1, 10000);
    st = s_state(e, "x.r");
    assert_null(st.error);
    pk_resource_state_clear(&st);
    zactor_destroy(&runner);
    // a runner that never answers: given up after timeout + grace, cancelled
    zsock_t *mute = s_fake_runner("mute", 1);
    def.plan = "{\"resource\":\"x.r\",\"timeout_ms\":300,\"cmd\":{\"runner\":{\"name\":\"shell\"},"
               "\"params\":{\"cmd\":\"true\"}}}";
    s_set(e, "p", &def, 1);
    s_check_now(e, "x.r");
    int64_t t0 = zclock_mono();
    assert_true(s_expect(mute, PK_MSG_WORK, NULL, &m, 5000));
    char *id = strdup(m.work.id);
    pk_msg_clear(&m);
    assert_true(s_expect(mute, PK_MSG_CANCEL, NULL, &m, 5000));
    assert_true(zclock_mono() - t0 >= 450);
    assert_string_equal(m.cancel.id, id);
    pk_msg_clear(&m);
    WAIT_FOR(s_checks(e, "x.r") == 3, 5000);
    st = s_state(e, "x.r");
    assert_string_equal(st.error, "no answer to the check within 500ms");
    pk_resource_state_clear(&st);
    assert_int_equal(s_stats(e).inflight, 0);
    // the late answer is stale
    s_answer(mute, id, 1, "[{\"v\":\"late\"}]", NULL);
    s_expect_no_new(e, 300);
    free(id);
    zsock_destroy(&mute);
    s_env_stop(e);
}

static void
test_restart_lmdb(void **state)
{
    (void) state;
    s_env_t *e = s_env_start("lmdb", 3000, 1, 0);
    zactor_t *runner = s_runner("w1");
    s_repo("app");
    s_commit("app", "one");
    char *plan = s_git_plan("git.app", "app");
    s_def_t def = { "git.app", "@every 1h", plan, NULL };
    s_set(e, "p", &def, 1);
    s_expect_new(e, "git.app", 1, 1, 20000);
    s_commit("app", "two");
    s_check_now(e, "git.app");
    s_expect_new(e, "git.app", 2, 2, 10000);
    // stop the checker and close the store; start both again
    zactor_destroy(&e->checker);
    pk_versions_destroy(&e->versions);
    pk_store_close(&e->store);
    s_open_store(e, "lmdb");
    s_start_checker(e, 1, 0);
    s_set(e, "p", &def, 1);
    WAIT_FOR(s_stats(e).scheduled == 1, 5000);
    // its timer survived: no check right away...
    assert_int_equal(s_checks(e, "git.app"), 2);
    zclock_sleep(300);      // (a check would have come at once: give it the chance)
    assert_int_equal(s_checks(e, "git.app"), 2);
    // ...and a check finds nothing new: the known versions are not news
    s_check_now(e, "git.app");
    WAIT_FOR(s_checks(e, "git.app") == 3, 10000);
    s_expect_no_new(e, 300);
    // the next commit continues the sequence
    s_commit("app", "three");
    s_check_now(e, "git.app");
    s_expect_new(e, "git.app", 3, 3, 10000);
    char *head = s_rev("app", "HEAD"), *ref = s_version_field(e, "git.app", 3, "ref");
    assert_string_equal(ref, head);
    free(head);
    free(ref);
    free(plan);
    zactor_destroy(&runner);
    s_env_stop(e);
}

static void
test_bad_input(void **state)
{
    (void) state;
    // unusable configurations
    assert_null(pk_checker_new(NULL));
    pk_checker_config_t none = { .endpoint = "inproc://x" };
    assert_null(pk_checker_new(&none));
    s_env_t *e = s_env_start("mem", 600000, 1, 0);
    pk_checker_config_t bad = { .endpoint = "no-such-transport://x", .store = e->store };
    assert_null(pk_checker_new(&bad));
    zsock_t *w = s_fake_runner("fake", 10);
    uint64_t ignored = s_stats(e).ignored;
    // no pipeline, a body that is not a list, no body
    pk_value_t *notlist = pk_value_new_string("x");
    s_signal(e->sched, "checker", "pipeline.set", NULL, NULL, notlist);
    s_signal(e->sched, "checker", "pipeline.set", "p", NULL, notlist);
    s_signal(e->sched, "checker", "pipeline.set", "p", NULL, NULL);
    pk_value_destroy(&notlist);
    // entries without a name or plan, a bad interval, a duplicate; one good
    s_def_t defs[] = { { "x.bad", "@every banana", FAKE_PLAN, NULL },
                       { "x.good", "@every 1h", FAKE_PLAN, "linux" },
                       { "x.good", "@every 1h", FAKE_PLAN, NULL },
                       { "x.noplan", "@every 1h", "\"not an object\"", NULL },
                       { "x.huge", "@every 1h", "{\"resource\":\"x.huge\",\"timeout_ms\":1e300}",
                         "huge" } };
    s_set(e, "p", defs, 5);
    s_check_now(e, "x.nothing");
    s_signal(e->sched, "checker", "no.such.thing", "p", NULL, NULL);
    WAIT_FOR(s_stats(e).ignored == ignored + 8, 5000);
    assert_int_equal(s_stats(e).scheduled, 2);
    // the good one's check needs a "linux" worker: it waits in the broker
    pk_msg_t m;
    assert_false(s_expect(w, PK_MSG_WORK, NULL, &m, 300));
    zsock_t *linux_w = s_fake_runner("linux-w", 1);
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = "linux-w";
    r.ready.slots = 1;
    pk_strs_push(&r.ready.tags, "linux");
    pk_msg_send(linux_w, &r);
    pk_strs_t tags = r.ready.tags;
    for (size_t i = 0; i < tags.count; i++)
        free(tags.items[i]);
    free(tags.items);
    assert_true(s_expect(linux_w, PK_MSG_WORK, NULL, &m, 5000));
    assert_int_equal(m.work.tags.count, 1);
    assert_string_equal(m.work.tags.items[0], "linux");
    pk_msg_clear(&m);
    // an absurd timeout is capped (a year), never an overflow
    zsock_t *huge_w = s_fake_runner("huge-w", 1);
    r.ready.name = "huge-w";
    memset(&r.ready.tags, 0, sizeof r.ready.tags);
    pk_strs_push(&r.ready.tags, "huge");
    pk_msg_send(huge_w, &r);
    free(r.ready.tags.items[0]);
    free(r.ready.tags.items);
    assert_true(s_expect(huge_w, PK_MSG_WORK, NULL, &m, 5000));
    assert_int_equal(m.work.timeout_ms, 366ULL * 24 * 3600 * 1000);
    pk_value_t *plan = pk_value_unpack(m.work.plan.data, m.work.plan.size);
    assert_true(pk_value_number(pk_value_object_get(plan, "timeout_ms")) == 366.0 * 24 * 3600 * 1000);
    pk_value_destroy(&plan);
    pk_msg_clear(&m);
    zsock_destroy(&huge_w);
    zsock_destroy(&linux_w);
    zsock_destroy(&w);
    s_env_stop(e);
}

static void
test_broker_restart(void **state)
{
    (void) state;
    // everything over tcp, as with a standalone `pikoci broker`
    pk_broker_config_t bcfg = { .listen = "tcp://127.0.0.1:*", .heartbeat_timeout_ms = 600000,
                                .trust_network = true };
    zactor_t *broker = pk_broker_new(&bcfg);
    assert_non_null(broker);
    zstr_send(broker, "ENDPOINT");
    char *tcp = zstr_recv(broker);
    snprintf(EP, sizeof EP, "%s", tcp);
    zstr_free(&tcp);
    s_env_t *e = calloc(1, sizeof(*e));
    e->broker = broker;
    e->sched = s_peer("scheduler");
    s_signal(e->sched, "scheduler", "ping", NULL, NULL, NULL);
    pk_msg_t m;
    assert_true(s_expect(e->sched, PK_MSG_SIGNAL, "ping", &m, 5000));
    pk_msg_clear(&m);
    snprintf(e->store_dir, sizeof e->store_dir, "%s/db", T);
    s_open_store(e, "mem");
    s_start_checker(e, 1, 0);
    s_live = e;
    zsock_t *w = s_fake_runner("fake", 10);
    s_def_t def = { "x.r", "@every 1h", FAKE_PLAN, NULL };
    s_set(e, "p", &def, 1);
    assert_true(s_expect(w, PK_MSG_WORK, NULL, &m, 5000));
    s_answer(w, m.work.id, 1, "[]", NULL);
    pk_msg_clear(&m);
    WAIT_FOR(s_stats(e).inflight == 0, 5000);
    zsock_destroy(&w);
    // the broker goes away and a new one takes its port: it knows no roles
    zactor_destroy(&e->broker);
    bcfg.listen = EP;
    for (int i = 0; i < 100 && !e->broker; i++)
        if (!(e->broker = pk_broker_new(&bcfg)))
            zclock_sleep(50);
    assert_non_null(e->broker);
    zsock_destroy(&e->sched);
    e->sched = s_peer("scheduler");
    w = s_fake_runner("fake", 10);
    // the checker says HELLO again by itself: check.now reaches it again
    bool worked = false;
    for (int64_t end = zclock_mono() + 15000; !worked && zclock_mono() < end;) {
        s_check_now(e, "x.r");
        worked = s_expect(w, PK_MSG_WORK, NULL, &m, 500);
    }
    assert_true(worked);
    s_answer(w, m.work.id, 1, "[{\"v\":\"after\"}]", NULL);
    pk_msg_clear(&m);
    s_expect_new(e, "x.r", 1, 1, 5000);
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
    snprintf(T, sizeof T, "%s/pk-test-checker-XXXXXX", base && *base ? base : "/tmp");
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
        cmocka_unit_test_setup_teardown(test_git_versions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_check_error_kept_then_cleared, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_timers_and_check_now, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_set_and_remove, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_jitter, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_stale_and_unknown_answers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lone_answer_at_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lost_worker_and_no_answer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_restart_lmdb, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_broker_restart, s_setup, s_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pk_git_shutdown();
    zsys_shutdown();
    return rc;
}
