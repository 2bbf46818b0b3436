// zmtp_link: the front end's plain-socket ZMTP link (tools/zmtp_link.c),
// driven through pk_client against a real libzmq ROUTER in a thread -- the
// broker's socket type, with the broker's heartbeats (shortened here).
// Requests and replies (short and long frames), EVENTs kept in order while a
// request waits, PINGs answered while a reply is slow (else the ROUTER drops
// the link and the reply never comes), a server that starts after the
// client, a server that goes and comes back (HELLO again), ipc://, and the
// endpoints and settings the link hands to the full program.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <czmq.h>
#include "pk_client.h"

// The server: a ROUTER answering REQUESTs. op "echo" replies with the
// request's body; "events" sends args n EVENTs first; "slow" replies after
// 1.5 s (ten heartbeat timeouts). HELLOs are counted.
static void
s_server(zsock_t *pipe, void *arg)
{
    const char *endpoint = arg;
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_set_heartbeat_ivl(router, 50);
    zsock_set_heartbeat_timeout(router, 150);
    zsock_set_heartbeat_ttl(router, 150);
    int rc = zsock_bind(router, "%s", endpoint);
    zsock_signal(pipe, 0);
    zsock_send(pipe, "i", rc);
    int hellos = 0;
    zpoller_t *poller = zpoller_new(pipe, router, NULL);
    bool done = false;
    while (!done) {
        void *which = zpoller_wait(poller, -1);
        if (which == pipe) {
            char *cmd = zstr_recv(pipe);
            if (cmd && !strcmp(cmd, "HELLOS"))
                zsock_send(pipe, "i", hellos);
            else
                done = true;
            free(cmd);
            continue;
        }
        if (which != router)
            break;
        zmsg_t *z = zmsg_recv(router);
        zframe_t *who = zmsg_pop(z);
        pk_msg_t m;
        if (pk_msg_from_zmsg(z, &m, NULL, 0) == 0) {
            if (m.type == PK_MSG_HELLO)
                hellos++;
            if (m.type == PK_MSG_REQUEST) {
                const char *op = m.request.op;
                if (!strcmp(op, "slow"))
                    zclock_sleep(1500);
                int events = !strcmp(op, "events") ? atoi(pk_kv_get(&m.request.args, "n")) : 0;
                for (int i = 0; i < events; i++) {
                    char topic[32];
                    snprintf(topic, sizeof topic, "build.%d", i);
                    pk_msg_t e = { .type = PK_MSG_EVENT };
                    e.event.seq = (uint64_t) i;
                    e.event.topic = topic;
                    e.event.body.data = (uint8_t *) "\x80";
                    e.event.body.size = 1;
                    zmsg_t *out = pk_msg_to_zmsg(&e);
                    zmsg_pushmem(out, zframe_data(who), zframe_size(who));
                    zmsg_send(&out, router);
                }
                pk_msg_t r = { .type = PK_MSG_REPLY };
                r.reply.rid = m.request.rid;
                r.reply.ok = strcmp(op, "refuse") != 0;
                r.reply.error = r.reply.ok ? NULL : "refused here";
                r.reply.body = m.request.body;
                zmsg_t *out = pk_msg_to_zmsg(&r);
                zmsg_pushmem(out, zframe_data(who), zframe_size(who));
                zmsg_send(&out, router);
            }
            pk_msg_clear(&m);
        }
        zframe_destroy(&who);
        zmsg_destroy(&z);
    }
    zpoller_destroy(&poller);
    zsock_destroy(&router);
}

static zactor_t *
s_start(const char *endpoint)
{
    zactor_t *a = zactor_new(s_server, (void *) endpoint);
    int rc = -1;
    zsock_recv(a, "i", &rc);
    assert_true(rc >= 0);
    return a;
}

static int
s_hellos(zactor_t *a)
{
    zstr_send(a, "HELLOS");
    int n = -1;
    zsock_recv(a, "i", &n);
    return n;
}

// A loopback port free now (a plain socket: a zmq listener closes later,
// in libzmq's own thread, and would still answer).
static int
s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

// A packed msgpack bin of n bytes.
static uint8_t *
s_bin(size_t n, size_t *size)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    uint8_t *raw = malloc(n);
    for (size_t i = 0; i < n; i++)
        raw[i] = (uint8_t) (i * 7);
    msgpack_pack_bin(&pk, n);
    msgpack_pack_bin_body(&pk, raw, n);
    free(raw);
    *size = sb.size;
    return (uint8_t *) sb.data;
}

static void
s_echo(pk_client_t *c, size_t n)
{
    size_t size;
    uint8_t *body = s_bin(n, &size), *out = NULL;
    size_t out_size = 0;
    assert_int_equal(pk_client_request(c, "echo", NULL, body, size, 5000, &out, &out_size, NULL),
                     0);
    assert_int_equal(out_size, size);
    assert_memory_equal(out, body, size);
    free(out);
    free(body);
}

static void
test_requests_and_events(void **state)
{
    (void) state;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", s_free_port());
    zactor_t *server = s_start(endpoint);
    pk_client_t *c = pk_client_new(endpoint, NULL);
    assert_non_null(c);
    assert_int_equal(pk_client_connect(c, 3000), 0);
    s_echo(c, 10);              // short frames
    s_echo(c, 300);             // long frames
    s_echo(c, 3 * 1024 * 1024); // many reads
    char *error = NULL;
    assert_int_equal(pk_client_request(c, "refuse", NULL, NULL, 0, 5000, NULL, NULL, &error), 1);
    assert_string_equal(error, "refused here");
    free(error);
    // EVENTs before the REPLY are kept, in order
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "n", "5");
    assert_int_equal(pk_client_request(c, "events", &args, NULL, 0, 5000, NULL, NULL, NULL), 0);
    pk_kv_clear(&args);
    for (int i = 0; i < 5; i++) {
        pk_msg_t e;
        assert_int_equal(pk_client_event(c, 0, &e), 0);
        char want[32];
        snprintf(want, sizeof want, "build.%d", i);
        assert_string_equal(e.event.topic, want);
        pk_msg_clear(&e);
    }
    pk_msg_t e;
    assert_int_equal(pk_client_event(c, 50, &e), -1);
    // a slow reply: the link answers the ROUTER's PINGs meanwhile
    assert_int_equal(pk_client_request(c, "slow", NULL, NULL, 0, 5000, NULL, NULL, NULL), 0);
    assert_int_equal(s_hellos(server), 1);
    pk_client_destroy(&c);
    zactor_destroy(&server);
}

static void
test_server_late_and_back(void **state)
{
    (void) state;
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", s_free_port());
    pk_client_t *c = pk_client_new(endpoint, NULL);
    assert_non_null(c);
    int64_t t0 = zclock_mono();
    assert_int_equal(pk_client_connect(c, 200), -1);     // nothing listens
    assert_true(zclock_mono() - t0 >= 150);
    assert_string_not_equal(pk_client_error(c), "");
    // a server started later is reached by the next request
    zactor_t *server = s_start(endpoint);
    s_echo(c, 1);
    zactor_destroy(&server);
    // gone: no answer within the timeout
    assert_int_equal(pk_client_request(c, "echo", NULL, NULL, 0, 300, NULL, NULL, NULL), -1);
    // back: the next request connects again and says HELLO again
    server = s_start(endpoint);
    s_echo(c, 1);
    assert_int_equal(s_hellos(server), 1);
    pk_client_destroy(&c);
    zactor_destroy(&server);
}

static void
test_ipc(void **state)
{
    (void) state;
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "ipc:///tmp/pk-zmtp-test-%d.sock", (int) getpid());
    zactor_t *server = s_start(endpoint);
    pk_client_t *c = pk_client_new(endpoint, NULL);
    assert_non_null(c);
    s_echo(c, 100);
    pk_client_destroy(&c);
    zactor_destroy(&server);
    unlink(endpoint + 6);
}

static void
test_hands_off(void **state)
{
    (void) state;
    pk_curve_client_t curve = { .cert = "a.cert", .server_key = "k" };
    pk_curve_client_t none = { 0 };
    assert_true(pk_client_speaks("tcp://127.0.0.1:7650", &none));
    assert_true(pk_client_speaks("ipc:///run/x", NULL));
    assert_false(pk_client_speaks("tcp://127.0.0.1:7650", &curve));
    assert_false(pk_client_speaks("inproc://broker", NULL));
    assert_false(pk_client_speaks("", NULL));
    char *err = NULL;
    assert_null(pk_client_new_secure("tcp://127.0.0.1:7650", &curve, &err));
    assert_non_null(err);
    free(err);
    assert_null(pk_client_new("tcp://nohostport", &err));
    assert_non_null(err);
    free(err);
}

int
main(void)
{
    zsys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests_and_events),
        cmocka_unit_test(test_server_late_and_back),
        cmocka_unit_test(test_ipc),
        cmocka_unit_test(test_hands_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
