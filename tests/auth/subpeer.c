// subpeer: a bare client that subscribes to one event prefix and counts
// what arrives, for tests/auth/subscribe.sh -- what any process on
// loopback could do with the client library and no pikoci CLI.
//
//   subpeer ENDPOINT PREFIX SECONDS [TOKEN]
// Prints "subscribed" or "refused: WHY" (and "denied" when refused for
// who it is), then each event's topic, and at the end "events N".
#include "pk_client.h"
#include <czmq.h>

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: subpeer ENDPOINT PREFIX SECONDS [TOKEN]\n");
        return 2;
    }
    zsys_handler_set(NULL);
    char *err = NULL;
    pk_client_t *c = pk_client_new(argv[1], &err);
    if (!c) {
        fprintf(stderr, "subpeer: %s\n", err ? err : "no client");
        return 2;
    }
    if (argc > 4)
        pk_client_set_token(c, argv[4]);
    if (pk_client_subscribe(c, argv[2], NULL) == 0)
        printf("subscribed\n");
    else
        printf("refused: %s\n%s", pk_client_error(c), pk_client_denied(c) ? "denied\n" : "");
    fflush(stdout);
    int64_t end = zclock_mono() + atoi(argv[3]) * 1000;
    size_t n = 0;
    while (zclock_mono() < end) {
        pk_msg_t ev;
        if (pk_client_event(c, 100, &ev) != 0)
            continue;
        printf("event %s\n", ev.event.topic);
        fflush(stdout);
        n++;
        pk_msg_clear(&ev);
    }
    printf("events %zu\n", n);
    pk_client_destroy(&c);
    return 0;
}
