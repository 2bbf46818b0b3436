// The broker with real runner actors and test peers playing the scheduler,
// the log sink, control and a client: dispatch by tags and slots, exclusive
// workers, pending work that waits visibly, worker loss, log credit routing,
// cancel of queued work, event fan-out with sequence numbers, request/reply
// through control, and garbage on the tcp port.
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
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "test_work_root.h"

// Each test its own inproc name: a closed socket's name is released by
// ZeroMQ's reaper thread, not at once.
static char EP[64];

static void
s_new_endpoint(void)
{
    static int n;
    snprintf(EP, sizeof EP, "inproc://pk-test-broker-%d", ++n);
}

static zsock_t *
s_peer(const char *endpoint, const char *role)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(s, "%s", endpoint), 0);
    if (role) {
        pk_msg_t h = { .type = PK_MSG_HELLO };
        h.hello.name = (char *) role;
        h.hello.role = (char *) role;
        assert_int_equal(pk_msg_send(s, &h), 0);
    }
    return s;
}

static bool
s_recv(zsock_t *s, pk_msg_t *m, int timeout_ms)
{
    zsock_set_rcvtimeo(s, timeout_ms);
    zmsg_t *z = zmsg_recv(s);
    if (!z)
        return false;
    int rc = pk_msg_from_zmsg(z, m, NULL, 0);
    zmsg_destroy(&z);
    return rc == 0;
}

// Next message of a type (others skipped), within timeout.
static bool
s_expect(zsock_t *s, pk_msg_type_t type, pk_msg_t *m, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    while (zclock_mono() < end) {
        if (!s_recv(s, m, (int) (end - zclock_mono())))
            return false;
        if (m->type == type)
            return true;
        pk_msg_clear(m);
    }
    return false;
}

static void
s_work(zsock_t *s, const char *id, const char *tags, const char *cmd)
{
    char json[512];
    snprintf(json, sizeof json, "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\",\"cmd\":{\"runner\":"
             "{\"name\":\"shell\"},\"params\":{\"cmd\":\"%s\"}}}]}", cmd);
    pk_value_t *plan = pk_value_from_json(json, strlen(json), NULL);
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = (char *) id;
    m.work.attempt = 1;
    m.work.kind = "build";
    char *t = tags ? strdup(tags) : NULL;
    for (char *tok = t ? strtok(t, ",") : NULL; tok; tok = strtok(NULL, ","))
        pk_strs_push(&m.work.tags, tok);
    pk_value_pack_bytes(plan, &m.work.plan.data, &m.work.plan.size);
    assert_int_equal(pk_msg_send(s, &m), 0);
    m.work.id = NULL;
    m.work.kind = NULL;
    pk_msg_clear(&m);
    free(t);
    pk_value_destroy(&plan);
}

// Wait until the broker's STATS show at least `workers` workers and
// exactly `pending` queued items (messages from different sockets have no
// order between them, so tests wait for the state they need).
static void
s_wait_stats(zactor_t *broker, unsigned workers, unsigned pending)
{
    int64_t end = zclock_mono() + 10000;
    while (zclock_mono() < end) {
        zstr_send(broker, "STATS");
        char *stats = zstr_recv(broker);
        unsigned w = 0, p = 0;
        sscanf(stats, "%u %u", &w, &p);
        zstr_free(&stats);
        if (w >= workers && p == pending)
            return;
        zclock_sleep(10);
    }
    fail_msg("broker never reached %u workers, %u pending", workers, pending);
}

static zactor_t *
s_runner(const char *name, const char *tags, bool exclusive, uint32_t slots)
{
    pk_runner_config_t cfg = { .name = name, .endpoint = EP, .slots = slots, .tags = tags,
                               .exclusive = exclusive, .work_root = test_work_root() };
    zactor_t *r = pk_runner_new(&cfg);
    assert_non_null(r);
    return r;
}

static zactor_t *
s_broker(const char *listen, int hb_ms)
{
    s_new_endpoint();
    // peers here play the server's actors over tcp too (trust: test_workerauth.c)
    pk_broker_config_t cfg = { .inproc = EP, .listen = listen, .heartbeat_timeout_ms = hb_ms,
                               .trust_network = true };
    zactor_t *b = pk_broker_new(&cfg);
    assert_non_null(b);
    return b;
}

// Which worker ran the work: STARTED carries its name; then wait for DONE.
static char *
s_run_to_done(zsock_t *sched, const char *id, char *status, size_t len)
{
    char *worker = NULL;
    int64_t end = zclock_mono() + 20000;
    while (zclock_mono() < end) {
        pk_msg_t m;
        if (!s_recv(sched, &m, 1000))
            continue;
        if (m.type == PK_MSG_STARTED && !strcmp(m.started.id, id))
            worker = strdup(m.started.worker);
        bool done = m.type == PK_MSG_DONE && !strcmp(m.done.id, id);
        if (done)
            snprintf(status, len, "%s", m.done.status);
        pk_msg_clear(&m);
        if (done)
            return worker ? worker : strdup("?");
    }
    fail_msg("no DONE for %s", id);
    return NULL;
}

static void
test_dispatch_by_tags(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(NULL, 3000);
    zsock_t *sched = s_peer(EP, "scheduler");
    zsock_t *sink = s_peer(EP, "logsink");
    zactor_t *gpu = s_runner("w-gpu", "gpu,linux", false, 1);
    zactor_t *plain = s_runner("w-plain", "linux", false, 1);
    zactor_t *excl = s_runner("w-excl", "arm", true, 1);
    char status[32];
    for (int i = 0; i < 3; i++) {
        char id[64];
        snprintf(id, sizeof id, "build:p/gpu/%d", i);
        s_work(sched, id, "gpu", "true");
        char *w = s_run_to_done(sched, id, status, sizeof status);
        assert_string_equal(w, "w-gpu");
        assert_string_equal(status, "succeeded");
        free(w);
    }
    // untagged work never goes to the exclusive worker
    for (int i = 0; i < 6; i++) {
        char id[64];
        snprintf(id, sizeof id, "build:p/any/%d", i);
        s_work(sched, id, NULL, "true");
        char *w = s_run_to_done(sched, id, status, sizeof status);
        assert_string_not_equal(w, "w-excl");
        free(w);
    }
    // the log of a task reaches the log sink, and credit finds the runner
    s_work(sched, "build:p/log/1", "linux", "for i in $(seq 40); do head -c 20000 /dev/zero; done");
    size_t bytes = 0;
    int64_t end = zclock_mono() + 20000;
    while (bytes < 800000 && zclock_mono() < end) {
        pk_msg_t m;
        if (!s_expect(sink, PK_MSG_LOG, &m, 2000))
            break;
        bytes += m.log.data.size;
        pk_msg_t c = { .type = PK_MSG_CREDIT };
        c.credit.id = m.log.id;
        c.credit.attempt = m.log.attempt;
        c.credit.credits = 1;
        pk_msg_send(sink, &c);
        pk_msg_clear(&m);
    }
    assert_int_equal(bytes, 800000);    // more than the initial credit allows: credit flowed
    // the runner's last word (an empty chunk) is confirmed too, as a sink
    // does: a log never confirmed keeps DONE waiting, then errors the build
    pk_msg_t last;
    assert_true(s_expect(sink, PK_MSG_LOG, &last, 5000));
    assert_int_equal(last.log.data.size, 0);
    pk_msg_t c = { .type = PK_MSG_CREDIT };
    c.credit.id = last.log.id;
    c.credit.attempt = last.log.attempt;
    c.credit.credits = 1;
    pk_msg_send(sink, &c);
    pk_msg_clear(&last);
    char *w = s_run_to_done(sched, "build:p/log/1", status, sizeof status);
    assert_string_equal(status, "succeeded");
    free(w);
    zactor_destroy(&gpu);
    zactor_destroy(&plain);
    zactor_destroy(&excl);
    zsock_destroy(&sched);
    zsock_destroy(&sink);
    zactor_destroy(&broker);
}

static void
test_pending_until_worker_comes(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(NULL, 3000);
    zsock_t *sched = s_peer(EP, "scheduler");
    zsock_t *client = s_peer(EP, NULL);
    s_work(sched, "build:p/riscv/1", "riscv", "true");
    s_work(sched, "build:p/riscv/2", "riscv", "true");
    s_wait_stats(broker, 0, 2);
    // visible as pending
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 7;
    q.request.op = "broker.pending";
    pk_msg_send(client, &q);
    pk_msg_t r;
    assert_true(s_expect(client, PK_MSG_REPLY, &r, 5000));
    assert_true(r.reply.ok);
    pk_value_t *list = pk_value_unpack(r.reply.body.data, r.reply.body.size);
    assert_int_equal(pk_value_len(list), 2);
    assert_string_equal(pk_value_string(pk_value_object_get(pk_value_list_at(list, 0), "id")), "build:p/riscv/1");
    pk_value_destroy(&list);
    pk_msg_clear(&r);
    // cancel the second while it waits: it never runs
    pk_msg_t c = { .type = PK_MSG_CANCEL };
    c.cancel.id = "build:p/riscv/2";
    c.cancel.attempt = 1;
    c.cancel.reason = "not needed";
    pk_msg_send(sched, &c);
    char status[32];
    char *w = s_run_to_done(sched, "build:p/riscv/2", status, sizeof status);
    assert_string_equal(status, "cancelled");
    free(w);
    // a matching worker arrives: the first runs
    zactor_t *rv = s_runner("w-riscv", "riscv", false, 1);
    w = s_run_to_done(sched, "build:p/riscv/1", status, sizeof status);
    assert_string_equal(w, "w-riscv");
    assert_string_equal(status, "succeeded");
    free(w);
    zactor_destroy(&rv);
    zsock_destroy(&client);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
}

static void
test_worker_loss(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(NULL, 600);
    zsock_t *sched = s_peer(EP, "scheduler");
    // a worker that takes work and then goes silent
    zsock_t *ghost = s_peer(EP, NULL);
    zsock_set_identity(ghost, "ghost");
    pk_msg_t ready = { .type = PK_MSG_READY };
    ready.ready.name = "ghost";
    ready.ready.slots = 1;
    pk_msg_send(ghost, &ready);
    s_wait_stats(broker, 1, 0);
    s_work(sched, "build:p/j/1", NULL, "true");
    pk_msg_t m;
    assert_true(s_expect(ghost, PK_MSG_WORK, &m, 5000));
    pk_msg_clear(&m);
    // started, then silent (work it never started would go elsewhere)
    pk_msg_t st = { .type = PK_MSG_STARTED };
    st.started.id = "build:p/j/1";
    st.started.attempt = 1;
    st.started.worker = "ghost";
    pk_msg_send(ghost, &st);
    assert_true(s_expect(sched, PK_MSG_DONE, &m, 5000));
    assert_string_equal(m.done.status, "errored");
    assert_string_equal(m.done.reason, "worker ghost lost");
    pk_msg_clear(&m);
    // it comes back and heartbeats: it is asked to announce itself again
    pk_msg_t hb = { .type = PK_MSG_HEARTBEAT };
    hb.heartbeat.name = "ghost";
    hb.heartbeat.slots_free = 1;
    pk_msg_send(ghost, &hb);
    assert_true(s_expect(ghost, PK_MSG_DISCONNECT, &m, 5000));
    pk_msg_clear(&m);
    zsock_destroy(&ghost);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
}

// Control's side of a forwarded request: in is [REQUEST][body][client id];
// control answers ok with rid, and the answer must reach the client.
static void
s_answer_forwarded(zmsg_t **in, zsock_t *control, zsock_t *client, uint64_t rid)
{
    assert_non_null(*in);
    assert_int_equal(zmsg_size(*in), 3);
    zframe_t *client_id = zframe_dup(zmsg_last(*in));
    zmsg_destroy(in);
    pk_msg_t rep = { .type = PK_MSG_REPLY };
    rep.reply.rid = rid;
    rep.reply.ok = true;
    zmsg_t *out = pk_msg_to_zmsg(&rep);
    zmsg_append(out, &client_id);
    zmsg_send(&out, control);
    pk_msg_t r;
    assert_true(s_expect(client, PK_MSG_REPLY, &r, 5000));
    assert_int_equal(r.reply.rid, rid);
    assert_true(r.reply.ok);
    pk_msg_clear(&r);
}

static void
test_events_requests_and_garbage(void **state)
{
    (void) state;
    zactor_t *broker = s_broker("tcp://127.0.0.1:*", 3000);
    zstr_send(broker, "ENDPOINT");
    char *tcp = zstr_recv(broker);
    char connect[256];
    snprintf(connect, sizeof connect, "%s", tcp);
    zstr_free(&tcp);
    zsock_t *client = s_peer(connect, NULL);
    // no control yet: a clear error
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 1;
    q.request.op = "pipelines.list";
    pk_msg_send(client, &q);
    pk_msg_t r;
    assert_true(s_expect(client, PK_MSG_REPLY, &r, 5000));
    assert_false(r.reply.ok);
    assert_non_null(strstr(r.reply.error, "control"));
    pk_msg_clear(&r);
    // subscribe to worker events, then a worker arrives
    q.request.rid = 2;
    q.request.op = "subscribe";
    pk_kv_set(&q.request.args, "prefix", "worker.");
    pk_msg_send(client, &q);
    assert_true(s_expect(client, PK_MSG_REPLY, &r, 5000));
    assert_true(r.reply.ok);
    pk_msg_clear(&r);
    zactor_t *w1 = s_runner("w1", NULL, false, 2);
    pk_msg_t ev;
    assert_true(s_expect(client, PK_MSG_EVENT, &ev, 5000));
    assert_string_equal(ev.event.topic, "worker.ready");
    uint64_t seq1 = ev.event.seq;
    pk_msg_clear(&ev);
    zactor_t *w2 = s_runner("w2", NULL, false, 2);
    assert_true(s_expect(client, PK_MSG_EVENT, &ev, 5000));
    assert_true(ev.event.seq > seq1);
    pk_msg_clear(&ev);
    // garbage on the tcp port: raw bytes from a plain socket, bad frames
    zsock_t *junk = zsock_new(ZMQ_DEALER);
    zsock_set_linger(junk, 5000);    // czmq's default of 0 would drop them unsent
    zsock_connect(junk, "%s", connect);
    zstr_send(junk, "GARBAGE");
    zstr_sendm(junk, "WORK");
    zstr_send(junk, "\xdd\xff\xff\xff\xff");
    zstr_sendm(junk, "LOG");
    zstr_send(junk, "\xc1");
    zsock_destroy(&junk);
    // control answers through the broker
    zsock_t *control = s_peer(connect, "control");
    // until control's HELLO has landed, the broker answers "not running"
    zmsg_t *in = NULL;
    zsock_set_rcvtimeo(control, 100);
    for (int i = 0; i < 100 && !in; i++) {
        q.request.rid = 3;
        q.request.op = "pipelines.list";
        pk_msg_send(client, &q);
        in = zmsg_recv(control);
        if (!in && s_expect(client, PK_MSG_REPLY, &r, 1000))
            pk_msg_clear(&r);
    }
    s_answer_forwarded(&in, control, client, 3);
    // the garbage was counted, not fatal
    unsigned workers = 0, pending = 0;
    unsigned long long dropped = 0, events = 0;
    for (int64_t end = zclock_mono() + 10000; zclock_mono() < end && dropped < 3; zclock_sleep(10)) {
        zstr_send(broker, "STATS");
        char *stats = zstr_recv(broker);
        assert_int_equal(sscanf(stats, "%u %u %llu %llu", &workers, &pending, &dropped, &events), 4);
        zstr_free(&stats);
    }
    assert_int_equal(workers, 2);
    assert_true(dropped >= 3);
    q.request.op = NULL;    // a literal; the args map is ours to free
    pk_msg_clear(&q);
    zactor_destroy(&w1);
    zactor_destroy(&w2);
    zsock_destroy(&control);
    zsock_destroy(&client);
    zactor_destroy(&broker);
}

// AWAIT answers once every named role has said HELLO, not before: what
// `pikoci server` waits on before it says it is ready.
static void
test_await_roles(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(NULL, 0);
    zsock_set_rcvtimeo(broker, 5000);
    zstr_send(broker, "AWAIT control scheduler");
    zsock_t *control = s_peer(EP, "control");
    // one role of two: the next answer on the pipe is STATUS's, not AWAIT's
    zstr_send(broker, "STATUS");
    char *reply = zstr_recv(broker);
    assert_non_null(reply);
    assert_string_equal(reply, "ok");
    zstr_free(&reply);
    zsock_t *sched = s_peer(EP, "scheduler");
    reply = zstr_recv(broker);
    assert_non_null(reply);
    assert_string_equal(reply, "ready");
    zstr_free(&reply);
    // roles already known: answered at once
    zstr_send(broker, "AWAIT scheduler");
    reply = zstr_recv(broker);
    assert_non_null(reply);
    assert_string_equal(reply, "ready");
    zstr_free(&reply);
    zsock_destroy(&sched);
    zsock_destroy(&control);
    zactor_destroy(&broker);
}

// hold_ms: a request that comes before control's first HELLO waits for it
// (the server's port is open before its actors are up) instead of being
// refused; with no control within hold_ms it is refused then.
static void
test_request_held_until_control(void **state)
{
    (void) state;
    s_new_endpoint();
    pk_broker_config_t cfg = { .inproc = EP, .listen = "tcp://127.0.0.1:*", .hold_ms = 10000 };
    zactor_t *broker = pk_broker_new(&cfg);
    assert_non_null(broker);
    // an in-process client: the broker answers its broker ops itself
    zsock_t *client = s_peer(EP, NULL);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 1;
    q.request.op = "pipelines";
    assert_int_equal(pk_msg_send(client, &q), 0);
    // the request is in the broker (a broker op sent after it is answered)
    q.request.rid = 2;
    q.request.op = "broker.pending";
    assert_int_equal(pk_msg_send(client, &q), 0);
    pk_msg_t r;
    assert_true(s_expect(client, PK_MSG_REPLY, &r, 5000));
    assert_int_equal(r.reply.rid, 2);
    pk_msg_clear(&r);
    // control comes: it gets the held request, and its answer reaches the client
    zsock_t *control = s_peer(EP, "control");
    zsock_set_rcvtimeo(control, 5000);
    zmsg_t *in = zmsg_recv(control);
    s_answer_forwarded(&in, control, client, 1);
    zsock_destroy(&control);
    zsock_destroy(&client);
    zactor_destroy(&broker);

    // no control within the hold: refused when it ends, not before
    s_new_endpoint();
    cfg = (pk_broker_config_t) { .inproc = EP, .listen = "tcp://127.0.0.1:*", .hold_ms = 300 };
    broker = pk_broker_new(&cfg);
    assert_non_null(broker);
    zstr_send(broker, "ENDPOINT");
    char *tcp = zstr_recv(broker);
    client = s_peer(tcp, NULL);
    int64_t t0 = zclock_mono();
    q.request.rid = 3;
    q.request.op = "pipelines";
    assert_int_equal(pk_msg_send(client, &q), 0);
    assert_true(s_expect(client, PK_MSG_REPLY, &r, 5000));
    assert_int_equal(r.reply.rid, 3);
    assert_false(r.reply.ok);
    assert_non_null(strstr(r.reply.error, "control"));
    assert_true(zclock_mono() - t0 >= 200);
    pk_msg_clear(&r);
    zsock_destroy(&client);
    zactor_destroy(&broker);
    zstr_free(&tcp);
}

static void
test_bind_failure(void **state)
{
    (void) state;
    pk_broker_config_t cfg = { .listen = "tcp://256.1.1.1:1" };
    assert_null(pk_broker_new(&cfg));
}

int
main(void)
{
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch_by_tags),
        cmocka_unit_test(test_pending_until_worker_comes),
        cmocka_unit_test(test_worker_loss),
        cmocka_unit_test(test_events_requests_and_garbage),
        cmocka_unit_test(test_await_roles),
        cmocka_unit_test(test_request_held_until_control),
        cmocka_unit_test(test_bind_failure),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
