// bench_util: see bench_util.h.
#include "bench_util.h"
#include "pk_msg.h"
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

int64_t
bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
bench_row(const char *name, double ours, const char *unit, double floor, const char *floor_what)
{
    printf("BENCH | %-44s | %12.1f %-6s | %12.1f %-6s (%s) | %6.2fx\n", name, ours, unit, floor,
           unit, floor_what, floor > 0 ? ours / floor : 0.0);
    fflush(stdout);
}

double
bench_spawn_floor_us(const char *path, int n)
{
    extern char **environ;
    char *argv[] = { (char *) path, NULL };
    int64_t t0 = bench_now_us();
    for (int i = 0; i < n; i++) {
        pid_t pid;
        if (posix_spawn(&pid, path, NULL, NULL, argv, environ) == 0)
            waitpid(pid, NULL, 0);
    }
    return (double) (bench_now_us() - t0);
}

double
bench_runner_builds_us(int n, int slots)
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
        fprintf(stderr, "bench: %d runner builds did not succeed\n", failed);
    free(packed);
    pk_value_destroy(&plan);
    zactor_destroy(&runner);
    zframe_destroy(&peer);
    zsock_destroy(&router);
    return us;
}
