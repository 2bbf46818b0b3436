// bench_auth: what checking identity costs a request. Two brokers in this
// process, each with a control actor on the same store -- one that checks
// every request's token and role (as `pikoci server` always does), one that
// does not (the floor) -- are asked the same `builds` query over tcp on
// loopback, one after the other, so both see the same (busy) machine. The
// row is the median authenticated request against the median floor request.
#include "bench_util.h"
#include "pk_broker.h"
#include "pk_builds.h"
#include "pk_client.h"
#include "pk_control.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char inproc[64];
    zactor_t *broker, *control;
    pk_client_t *client;
} s_side_t;

static int
s_side(s_side_t *s, const char *name, pk_store_t *store, bool auth)
{
    snprintf(s->inproc, sizeof s->inproc, "inproc://bench-auth-%s", name);
    pk_broker_config_t bc = { .inproc = s->inproc, .listen = "tcp://127.0.0.1:*" };
    if (!(s->broker = pk_broker_new(&bc)))
        return -1;
    zstr_send(s->broker, "ENDPOINT");
    char *tcp = zstr_recv(s->broker);
    pk_control_config_t cc = { .endpoint = s->inproc, .store = store, .authenticate = auth };
    s->control = pk_control_new(&cc);
    s->client = tcp ? pk_client_new(tcp, NULL) : NULL;
    zstr_free(&tcp);
    if (!s->control || !s->client)
        return -1;
    for (int i = 0; i < 500; i++) {             // REQUESTs reach control once it said HELLO
        zstr_send(s->control, "CONNECTED");
        char *yes = zstr_recv(s->control);
        bool ok = yes && streq(yes, "yes");
        zstr_free(&yes);
        if (ok)
            return 0;
        zclock_sleep(10);
    }
    return -1;
}

static void
s_side_stop(s_side_t *s)
{
    pk_client_destroy(&s->client);
    zactor_destroy(&s->control);
    zactor_destroy(&s->broker);
}

// One `builds` request: microseconds, or -1 when it failed.
static double
s_one(s_side_t *s)
{
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "bench");
    pk_kv_set(&args, "job", "j");
    int64_t t0 = bench_now_us();
    uint8_t *body = NULL;
    char *err = NULL;
    int rc = pk_client_request(s->client, "builds", &args, NULL, 0, 10000, &body, NULL, &err);
    double us = (double) (bench_now_us() - t0);
    free(body);
    pk_kv_clear(&args);
    if (rc != 0) {
        fprintf(stderr, "bench_auth: builds: %s\n", err ? err : pk_client_error(s->client));
        free(err);
        return -1;
    }
    return us;
}

static int
s_world(pk_store_t *store)
{
    char *err = NULL;
    pk_builds_t *bs = pk_builds_new(store, &err);
    free(err);
    if (!bs)
        return -1;
    pk_store_txn_t *txn = pk_store_begin(store, true);
    pk_pipeline_rec_t rec = { .source = "job \"j\" {\n  task \"t\" {\n    run \"exec\" {\n"
                                        "      path = \"/bin/true\"\n    }\n  }\n}\n",
                              .set_ms = 1000, .version = 1 };
    int rc = pk_builds_pipeline_put(bs, txn, "bench", &rec);
    for (uint64_t i = 1; i <= 20 && rc == 0; i++) {
        pk_build_t b = { .number = i, .status = "succeeded", .attempt = 1,
                         .created_ms = (int64_t) i * 1000, .trigger = "manual" };
        rc = pk_builds_put(bs, txn, "bench", "j", &b);
    }
    rc = rc == 0 ? pk_store_commit(&txn) : -1;
    pk_store_abort(&txn);
    pk_builds_destroy(&bs);
    return rc;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    zsys_handler_set(NULL);
    char *err = NULL, *token = NULL;
    pk_store_t *store = pk_store_open("mem", NULL, &err);
    if (!store || s_world(store) != 0 || pk_control_bootstrap(store, &token, &err) != 1) {
        fprintf(stderr, "bench_auth: cannot set up: %s\n", err ? err : pk_store_error());
        return 1;
    }
    s_side_t with = { 0 }, without = { 0 };
    if (s_side(&with, "with", store, true) != 0 || s_side(&without, "without", store, false) != 0) {
        fprintf(stderr, "bench_auth: cannot start the actors\n");
        return 1;
    }
    pk_client_set_token(with.client, token);
    n = n > 0 ? n : 1;
    double *a = calloc((size_t) n, sizeof *a), *b = calloc((size_t) n, sizeof *b);
    for (int i = 0; i < 100; i++)               // warm up both
        if (s_one(&with) < 0 || s_one(&without) < 0)
            return 1;
    for (int i = 0; i < n; i++) {
        if (i % 2) {                            // neither always goes first
            a[i] = s_one(&without);
            b[i] = s_one(&with);
        }
        else {
            b[i] = s_one(&with);
            a[i] = s_one(&without);
        }
        if (a[i] < 0 || b[i] < 0)
            return 1;
    }
    qsort(a, (size_t) n, sizeof *a, bench_cmp_double);
    qsort(b, (size_t) n, sizeof *b, bench_cmp_double);
    bench_row("control: `builds` request with token + role check, p50", b[n / 2], "us",
              a[n / 2], "the same request, no identity check");
    free(a);
    free(b);
    s_side_stop(&with);
    s_side_stop(&without);
    free(token);
    pk_store_close(&store);
    return 0;
}
