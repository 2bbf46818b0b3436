// bench_runner: per-task overhead of the runner. N one-task builds
// (`exec /bin/true`) go through the real runner actor over inproc, the way
// `pikoci run` and the server drive it (WORK in; STARTED, STEP, DONE out),
// at concurrency 1 and 2, against N plain posix_spawn+wait of /bin/true
// measured in the same run.
#include "bench_util.h"
#include "pk_msg.h"
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>

static double
s_run(int n, int slots)
{
    zsock_t *router = zsock_new(ZMQ_ROUTER);
    zsock_bind(router, "inproc://bench-runner-%d", slots);
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://bench-runner-%d", slots);
    pk_runner_config_t cfg = { .name = "bench", .endpoint = ep, .slots = (uint32_t) slots,
                               .work_root = "/tmp/pikoci-bench-work" };
    zactor_t *runner = pk_runner_new(&cfg);
    zmsg_t *z = zmsg_recv(router);           // READY
    zframe_t *peer = zmsg_pop(z);
    zmsg_destroy(&z);
    const char *json = "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\",\"cmd\":{\"runner\":"
                       "{\"name\":\"exec\"},\"params\":{\"path\":\"/bin/true\"}}}]}";
    pk_value_t *plan = pk_value_from_json(json, strlen(json), NULL);
    uint8_t *packed;
    size_t packed_size;
    pk_value_pack_bytes(plan, &packed, &packed_size);
    int sent = 0, done = 0, failed = 0;
    int64_t t0 = bench_now_us();
    while (done < n) {
        while (sent < n && sent - done < slots) {
            char id[64];
            snprintf(id, sizeof id, "build:bench/t/%d", sent);
            pk_msg_t m = { .type = PK_MSG_WORK };
            m.work.id = id;
            m.work.attempt = 1;
            m.work.kind = "build";
            m.work.plan.data = packed;
            m.work.plan.size = packed_size;
            zmsg_t *w = pk_msg_to_zmsg(&m);
            zmsg_pushmem(w, zframe_data(peer), zframe_size(peer));
            zmsg_send(&w, router);
            sent++;
        }
        zmsg_t *r = zmsg_recv(router);
        zframe_t *id = zmsg_pop(r);
        zframe_destroy(&id);
        pk_msg_t m;
        if (pk_msg_from_zmsg(r, &m, NULL, 0) == 0 && m.type == PK_MSG_DONE) {
            done++;
            failed += strcmp(m.done.status, "succeeded") != 0;
        }
        pk_msg_clear(&m);
        zmsg_destroy(&r);
    }
    double us = (double) (bench_now_us() - t0);
    if (failed)
        fprintf(stderr, "bench_runner: %d builds did not succeed\n", failed);
    free(packed);
    pk_value_destroy(&plan);
    zactor_destroy(&runner);
    zframe_destroy(&peer);
    zsock_destroy(&router);
    return us;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    zsys_handler_set(NULL);
    s_run(20, 1);                                         // warm up
    double floor = bench_spawn_floor_us("/bin/true", n);
    double one = s_run(n, 1);
    double floor2 = bench_spawn_floor_us("/bin/true", n);
    double two = s_run(n, 2);
    char name[128];
    snprintf(name, sizeof name, "runner: %d exec /bin/true builds, conc 1", n);
    bench_row(name, one / n, "us", floor / n, "posix_spawn+wait");
    snprintf(name, sizeof name, "runner: %d exec /bin/true builds, conc 2", n);
    bench_row(name, two / n, "us", floor2 / n, "posix_spawn+wait");
    zsys_shutdown();
    return 0;
}
