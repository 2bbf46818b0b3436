// rawpeer: a bare ZeroMQ DEALER that says one thing to a broker and reports
// everything it hears back, for the trust tests (tests/workerauth/*.sh) --
// what an intruder on loopback could do without any pikoci code on its side
// but the message codec.
//
//   rawpeer hello ENDPOINT ROLE SECONDS [TOKEN]
//       HELLO{role} (again every second), then prints each message received
//   rawpeer ready ENDPOINT NAME SECONDS [TOKEN]
//       READY{name, slots 4, token}, heartbeats every 500 ms (and READY
//       again whenever asked), then prints each message received
// Each received message is printed as "COMMAND detail" on a line of its
// own; at the end "received N" (N counts every message).
#include "pk_msg.h"
#include <czmq.h>

int
main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: rawpeer hello|ready ENDPOINT ROLE|NAME SECONDS [TOKEN]\n");
        return 2;
    }
    zsys_handler_set(NULL);
    bool hello = !strcmp(argv[1], "hello");
    const char *what = argv[3], *token = argc > 5 ? argv[5] : NULL;
    int64_t end = zclock_mono() + atoi(argv[4]) * 1000;
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_linger(s, 0);
    if (zsock_connect(s, "%s", argv[2]) != 0)
        return 2;
    pk_msg_t m = { .type = hello ? PK_MSG_HELLO : PK_MSG_READY };
    if (hello) {
        m.hello.name = (char *) what;
        m.hello.role = (char *) what;
        m.hello.token = (char *) token;
    }
    else {
        m.ready.name = (char *) what;
        m.ready.slots = 4;
        m.ready.token = (char *) token;
    }
    pk_msg_send(zsock_resolve(s), &m);
    int received = 0;
    int64_t next = zclock_mono() + 500;
    uint64_t seq = 0;
    zpoller_t *poller = zpoller_new(s, NULL);
    while (zclock_mono() < end) {
        if (zclock_mono() >= next) {
            if (hello)
                pk_msg_send(zsock_resolve(s), &m);
            else {
                pk_msg_t hb = { .type = PK_MSG_HEARTBEAT };
                hb.heartbeat.name = (char *) what;
                hb.heartbeat.slots_free = 4;
                hb.heartbeat.seq = ++seq;
                pk_msg_send(zsock_resolve(s), &hb);
            }
            next = zclock_mono() + (hello ? 1000 : 500);
        }
        if (zpoller_wait(poller, 100) != s)
            continue;
        zmsg_t *z = zmsg_recv(s);
        if (!z)
            break;
        received++;
        pk_msg_t r;
        if (pk_msg_from_zmsg(z, &r, NULL, 0) != 0) {
            printf("MALFORMED\n");
            zmsg_destroy(&z);
            continue;
        }
        zmsg_destroy(&z);
        if (r.type == PK_MSG_WORK)
            printf("WORK %s\n", r.work.id);
        else
        if (r.type == PK_MSG_DISCONNECT) {
            printf("DISCONNECT %s\n", r.disconnect.reason ? r.disconnect.reason : "");
            if (!hello && r.disconnect.reason && strncmp(r.disconnect.reason, "refused:", 8))
                pk_msg_send(zsock_resolve(s), &m);
        }
        else
            printf("%s\n", pk_msg_command(r.type));
        fflush(stdout);
        pk_msg_clear(&r);
    }
    printf("received %d\n", received);
    zpoller_destroy(&poller);
    zsock_destroy(&s);
    return 0;
}
