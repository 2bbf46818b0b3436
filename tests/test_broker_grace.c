// The broker's two clocks with fake workers (DEALERs that say exactly what
// a test wants, when it wants): a worker silent past the heartbeat timeout
// is unreachable but keeps its work for the grace; back within it (READY
// holding the work) it carries on and its DONE is the build's end; after
// the grace, work it started is errored ("worker W lost") and work it
// never started goes to another worker -- and the first worker, back with
// that work, is told to cancel it and what it says about it is dropped, so
// the scheduler hears of exactly one run.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_broker.h"
#include "pk_msg.h"

static char EP[64];

static zactor_t *
s_broker(int hb_ms, int64_t grace_ms)
{
    static int n;
    snprintf(EP, sizeof EP, "inproc://pk-test-grace-%d", ++n);
    pk_broker_config_t cfg = { .inproc = EP, .heartbeat_timeout_ms = hb_ms,
                               .worker_grace_ms = grace_ms };
    zactor_t *b = pk_broker_new(&cfg);
    assert_non_null(b);
    return b;
}

static zsock_t *
s_peer(const char *role, const char *identity)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (identity)
        zsock_set_identity(s, identity);
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
s_ready(zsock_t *w, const char *name, const char *holding)
{
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = (char *) name;
    r.ready.slots = 1;
    if (holding)
        pk_strs_push(&r.ready.holding, holding);
    assert_int_equal(pk_msg_send(w, &r), 0);
    r.ready.name = NULL;
    pk_msg_clear(&r);
}

static void
s_beat(zsock_t *w, const char *name)
{
    pk_msg_t hb = { .type = PK_MSG_HEARTBEAT };
    hb.heartbeat.name = (char *) name;
    hb.heartbeat.slots_free = 1;
    assert_int_equal(pk_msg_send(w, &hb), 0);
}

// The next message of a type on s within ms; while waiting, w (if any)
// heartbeats as name every 100 ms. Others are skipped.
static bool
s_expect(zsock_t *s, pk_msg_type_t type, pk_msg_t *m, int ms, zsock_t *w, const char *name)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        if (w)
            s_beat(w, name);
        zsock_set_rcvtimeo(s, 100);
        zmsg_t *z = zmsg_recv(s);
        if (!z)
            continue;
        int rc = pk_msg_from_zmsg(z, m, NULL, 0);
        zmsg_destroy(&z);
        if (rc == 0 && m->type == type)
            return true;
        if (rc == 0)
            pk_msg_clear(m);
    }
    return false;
}

static void
s_work(zsock_t *sched, const char *id)
{
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = (char *) id;
    m.work.attempt = 1;
    m.work.kind = "build";
    m.work.plan.data = (uint8_t *) "\x80";     // {}: fake workers never read it
    m.work.plan.size = 1;
    assert_int_equal(pk_msg_send(sched, &m), 0);
}

static void
s_started(zsock_t *w, const char *id, const char *worker)
{
    pk_msg_t m = { .type = PK_MSG_STARTED };
    m.started.id = (char *) id;
    m.started.attempt = 1;
    m.started.worker = (char *) worker;
    m.started.started_ms = 1;
    assert_int_equal(pk_msg_send(w, &m), 0);
}

static void
s_done(zsock_t *w, const char *id, const char *status)
{
    pk_msg_t m = { .type = PK_MSG_DONE };
    m.done.id = (char *) id;
    m.done.attempt = 1;
    m.done.status = (char *) status;
    m.done.finished_ms = 2;
    assert_int_equal(pk_msg_send(w, &m), 0);
}

// The state broker.workers gives for name ("" if not listed), by asking as
// a client.
static char *
s_state(const char *name)
{
    zsock_t *c = s_peer(NULL, NULL);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 1;
    q.request.op = "broker.workers";
    assert_int_equal(pk_msg_send(c, &q), 0);
    pk_msg_t r;
    char *state = strdup("");
    if (s_expect(c, PK_MSG_REPLY, &r, 5000, NULL, NULL)) {
        // [{name, ..., state}]: find "name" then the next "state"
        const char *body = (const char *) r.reply.body.data;
        size_t n = r.reply.body.size;
        const char *at = memmem(body, n, name, strlen(name));
        const char *st = at ? memmem(at, n - (size_t) (at - body), "state", 5) : NULL;
        if (st) {
            const char *v = st + 6;         // after the key and the str header byte
            size_t len = (uint8_t) st[5] & 0x1f;
            free(state);
            state = strndup(v, len);
        }
        pk_msg_clear(&r);
    }
    zsock_destroy(&c);
    return state;
}

static bool
s_state_is(const char *name, const char *want, int ms)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        char *st = s_state(name);
        bool ok = !strcmp(st, want);
        free(st);
        if (ok)
            return true;
        zclock_sleep(50);
    }
    return false;
}

static void
test_back_within_grace(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(300, 3000);
    zsock_t *sched = s_peer("scheduler", NULL);
    zsock_t *w = s_peer(NULL, "w1");
    s_ready(w, "w1", NULL);
    s_work(sched, "build:p/j/1");
    pk_msg_t m;
    assert_true(s_expect(w, PK_MSG_WORK, &m, 5000, w, "w1"));
    pk_msg_clear(&m);
    s_started(w, "build:p/j/1", "w1");
    assert_true(s_expect(sched, PK_MSG_STARTED, &m, 5000, w, "w1"));
    pk_msg_clear(&m);
    // silent: unreachable within the heartbeat timeout, its build kept
    assert_true(s_state_is("w1", "unreachable", 3000));
    zclock_sleep(1000);
    zsock_set_rcvtimeo(sched, 0);
    assert_false(s_expect(sched, PK_MSG_DONE, &m, 300, NULL, NULL));
    // back: asked to announce itself; it holds the build and finishes it
    assert_true(s_expect(w, PK_MSG_DISCONNECT, &m, 2000, w, "w1"));
    pk_msg_clear(&m);
    s_ready(w, "w1", "build:p/j/1:1");
    assert_true(s_state_is("w1", "healthy", 3000));
    s_done(w, "build:p/j/1", "succeeded");
    assert_true(s_expect(sched, PK_MSG_DONE, &m, 5000, w, "w1"));
    assert_string_equal(m.done.status, "succeeded");
    pk_msg_clear(&m);
    zsock_destroy(&w);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
}

static void
test_grace_over(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(300, 700);
    zsock_t *sched = s_peer("scheduler", NULL);
    zsock_t *w = s_peer(NULL, "w1");
    s_ready(w, "w1", NULL);
    s_work(sched, "build:p/j/1");
    pk_msg_t m;
    assert_true(s_expect(w, PK_MSG_WORK, &m, 5000, w, "w1"));
    pk_msg_clear(&m);
    s_started(w, "build:p/j/1", "w1");
    int64_t t0 = zclock_mono();
    assert_true(s_expect(sched, PK_MSG_DONE, &m, 5000, NULL, NULL));
    int64_t took = zclock_mono() - t0;
    assert_string_equal(m.done.status, "errored");
    assert_string_equal(m.done.reason, "worker w1 lost");
    pk_msg_clear(&m);
    assert_true(took >= 900);           // heartbeat timeout + grace, not before
    assert_true(s_state_is("w1", "lost", 3000));
    zsock_destroy(&w);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
}

static void
test_unstarted_work_handed_on(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(300, 700);
    zsock_t *sched = s_peer("scheduler", NULL);
    zsock_t *sink = s_peer("logsink", NULL);
    zsock_t *w1 = s_peer(NULL, "w1");
    s_ready(w1, "w1", NULL);
    s_work(sched, "build:p/j/1");
    pk_msg_t m;
    assert_true(s_expect(w1, PK_MSG_WORK, &m, 5000, w1, "w1"));
    pk_msg_clear(&m);
    // w1 got it but is cut off before it could start it; after the grace
    // w2 takes it, with no error reported in between
    assert_true(s_state_is("w1", "lost", 5000));
    zsock_t *w2 = s_peer(NULL, "w2");
    s_ready(w2, "w2", NULL);
    assert_true(s_expect(w2, PK_MSG_WORK, &m, 5000, w2, "w2"));
    assert_string_equal(m.work.id, "build:p/j/1");
    pk_msg_clear(&m);
    s_started(w2, "build:p/j/1", "w2");
    assert_true(s_expect(sched, PK_MSG_STARTED, &m, 5000, w2, "w2"));
    assert_string_equal(m.started.worker, "w2");
    pk_msg_clear(&m);
    // w1 comes back holding it after all: it is told to cancel, and its
    // reports of that run reach neither the scheduler nor the log sink
    s_beat(w1, "w1");
    assert_true(s_expect(w1, PK_MSG_DISCONNECT, &m, 3000, w2, "w2"));
    pk_msg_clear(&m);
    s_ready(w1, "w1", "build:p/j/1:1");
    assert_true(s_expect(w1, PK_MSG_CANCEL, &m, 3000, w2, "w2"));
    pk_msg_clear(&m);
    s_started(w1, "build:p/j/1", "w1");
    pk_msg_t log = { .type = PK_MSG_LOG };
    log.log.id = "build:p/j/1";
    log.log.attempt = 1;
    log.log.data.data = (uint8_t *) "stale\n";
    log.log.data.size = 6;
    assert_int_equal(pk_msg_send(w1, &log), 0);
    s_done(w1, "build:p/j/1", "cancelled");
    s_done(w2, "build:p/j/1", "succeeded");
    assert_true(s_expect(sched, PK_MSG_DONE, &m, 5000, w2, "w2"));
    assert_string_equal(m.done.status, "succeeded");
    pk_msg_clear(&m);
    zsock_set_rcvtimeo(sched, 0);
    assert_false(s_expect(sched, PK_MSG_DONE, &m, 500, NULL, NULL));
    assert_false(s_expect(sched, PK_MSG_STARTED, &m, 200, NULL, NULL));
    assert_false(s_expect(sink, PK_MSG_LOG, &m, 300, NULL, NULL));
    zsock_destroy(&w1);
    zsock_destroy(&w2);
    zsock_destroy(&sink);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(stderr);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_back_within_grace),
        cmocka_unit_test(test_grace_over),
        cmocka_unit_test(test_unstarted_work_handed_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
