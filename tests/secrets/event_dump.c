// event_dump: a raw capture of the server's event bus for the secrets
// script test. Subscribes to every topic ("") at ENDPOINT, prints
// "subscribed" once it is, then appends every EVENT -- its topic and its
// packed msgpack body, as they came off the wire -- to OUT until the file
// STOP exists (or 300 s pass). The script greps the capture for raw secret
// values: msgpack keeps strings as raw bytes, so any value that travelled
// on the bus would be there verbatim.
#include "pk_client.h"
#include "pk_cred.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: event_dump ENDPOINT OUT STOP\n");
        return 2;
    }
    char *err = NULL;
    pk_client_t *c = pk_client_new(argv[1], &err);
    if (c)
        pk_cred_apply(c, argv[1]);      // the first-start admin's: subscriptions are authorised
    if (!c || pk_client_connect(c, 10000) != 0 || pk_client_subscribe(c, "", NULL) != 0) {
        fprintf(stderr, "event_dump: %s\n", err ? err : c ? pk_client_error(c) : "?");
        free(err);
        pk_client_destroy(&c);
        return 1;
    }
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        pk_client_destroy(&c);
        return 1;
    }
    printf("subscribed\n");
    fflush(stdout);
    size_t events = 0;
    time_t end = time(NULL) + 300;
    while (access(argv[3], F_OK) != 0 && time(NULL) < end) {
        pk_msg_t m;
        if (pk_client_event(c, 100, &m) != 0)
            continue;
        if (m.type == PK_MSG_EVENT) {
            fprintf(out, "\n%s\n", m.event.topic ? m.event.topic : "");
            fwrite(m.event.body.data, 1, m.event.body.size, out);
            events++;
        }
        pk_msg_clear(&m);
    }
    fclose(out);
    printf("events %zu\n", events);
    pk_client_destroy(&c);
    return 0;
}
