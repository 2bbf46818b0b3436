// Bounded broker state under a hostile or careless peer, with raw DEALERs:
// subscriptions per connection are capped (the same prefix twice is one),
// worker names per connection are capped, and lost workers are forgotten
// after the retention time or at once on broker.workers.prune.
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
s_broker(int hb_ms, int64_t retention_ms)
{
    static int n;
    snprintf(EP, sizeof EP, "inproc://pk-test-bounds-%d", ++n);
    pk_broker_config_t cfg = { .inproc = EP, .heartbeat_timeout_ms = hb_ms,
                               .lost_retention_ms = retention_ms };
    zactor_t *b = pk_broker_new(&cfg);
    assert_non_null(b);
    return b;
}

static zsock_t *
s_peer(void)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_rcvhwm(s, 0);
    assert_int_equal(zsock_connect(s, "%s", EP), 0);
    return s;
}

// REQUEST op (args: one key/value or none) and its REPLY; ok out, body kept in *r.
static bool
s_request(zsock_t *c, uint64_t rid, const char *op, const char *k, const char *v, pk_msg_t *r)
{
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = rid;
    q.request.op = (char *) op;
    if (k)
        pk_kv_set(&q.request.args, k, v);
    assert_int_equal(pk_msg_send(c, &q), 0);
    pk_kv_clear(&q.request.args);
    zsock_set_rcvtimeo(c, 5000);
    for (;;) {
        zmsg_t *z = zmsg_recv(c);
        assert_non_null(z);
        int rc = pk_msg_from_zmsg(z, r, NULL, 0);
        zmsg_destroy(&z);
        assert_int_equal(rc, 0);
        if (r->type == PK_MSG_REPLY && r->reply.rid == rid)
            return r->reply.ok;
        pk_msg_clear(r);
    }
}

static unsigned
s_workers(zactor_t *broker)
{
    zstr_send(broker, "STATS");
    char *stats = zstr_recv(broker);
    unsigned w = 0;
    sscanf(stats, "%u", &w);
    zstr_free(&stats);
    return w;
}

static bool
s_workers_are(zactor_t *broker, unsigned n, int ms)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        if (s_workers(broker) == n)
            return true;
        zclock_sleep(20);
    }
    return false;
}

static void
s_ready(zsock_t *w, const char *name)
{
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = (char *) name;
    r.ready.slots = 1;
    assert_int_equal(pk_msg_send(w, &r), 0);
}

static void
test_subscriptions_capped(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(3000, 0);
    zsock_t *c = s_peer();
    pk_msg_t r;
    int refused = 0;
    for (int i = 0; i < 300; i++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "log.build:p/j/%d", i);
        if (!s_request(c, (uint64_t) i + 1, "subscribe", "prefix", prefix, &r)) {
            refused++;
            assert_non_null(strstr(r.reply.error, "too many subscriptions"));
        }
        pk_msg_clear(&r);
    }
    assert_int_equal(refused, 300 - 256);
    // one already held is not a new one
    assert_true(s_request(c, 1000, "subscribe", "prefix", "log.build:p/j/7", &r));
    pk_msg_clear(&r);
    // another connection has its own allowance
    zsock_t *c2 = s_peer();
    assert_true(s_request(c2, 1, "subscribe", "prefix", "build.", &r));
    pk_msg_clear(&r);
    zsock_destroy(&c2);
    zsock_destroy(&c);
    zactor_destroy(&broker);
}

static void
test_names_per_connection_capped(void **state)
{
    (void) state;
    zactor_t *broker = s_broker(600000, 0);
    zsock_t *w = s_peer();
    for (int i = 0; i < 50; i++) {
        char name[32];
        snprintf(name, sizeof name, "fake-%d", i);
        s_ready(w, name);
    }
    // a request after the READYs: answered once they are all handled
    pk_msg_t r;
    assert_true(s_request(w, 1, "broker.stats", NULL, NULL, &r));
    pk_msg_clear(&r);
    assert_int_equal(s_workers(broker), 8);
    // a name it already has may announce itself again
    s_ready(w, "fake-3");
    assert_true(s_request(w, 2, "broker.stats", NULL, NULL, &r));
    pk_msg_clear(&r);
    assert_int_equal(s_workers(broker), 8);
    zsock_destroy(&w);
    zactor_destroy(&broker);
}

static void
test_lost_workers_forgotten(void **state)
{
    (void) state;
    // lost 300 ms after its last word (no grace), forgotten 700 ms later
    zactor_t *broker = s_broker(300, 700);
    zsock_t *w = s_peer();
    s_ready(w, "gone");
    assert_true(s_workers_are(broker, 1, 5000));
    assert_true(s_workers_are(broker, 0, 5000));
    zsock_destroy(&w);
    zactor_destroy(&broker);
    // broker.workers.prune: at once
    broker = s_broker(300, 3600000);
    w = s_peer();
    s_ready(w, "gone");
    zsock_t *c = s_peer();
    pk_msg_t r;
    int64_t end = zclock_mono() + 5000;
    uint64_t rid = 1;
    bool pruned = false;
    while (!pruned && zclock_mono() < end) {
        assert_true(s_request(c, rid++, "broker.workers.prune", NULL, NULL, &r));
        pruned = r.reply.body.size && memmem(r.reply.body.data, r.reply.body.size, "pruned\x01", 7);
        pk_msg_clear(&r);
        zclock_sleep(50);
    }
    assert_true(pruned);
    assert_int_equal(s_workers(broker), 0);
    zsock_destroy(&c);
    zsock_destroy(&w);
    zactor_destroy(&broker);
}

int
main(void)
{
    zsys_init();
    zsys_set_logstream(stderr);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subscriptions_capped),
        cmocka_unit_test(test_names_per_connection_capped),
        cmocka_unit_test(test_lost_workers_forgotten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
