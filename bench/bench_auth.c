// bench_auth: what checking identity costs a request. Two brokers in this
// process, each with a control actor on the same store -- one that checks
// every request's token and role (as `pikoci server` always does), one that
// does not (the floor) -- are asked the same `builds` query over tcp on
// loopback, in alternating rounds so both see the same machine. The row is
// the authenticated request's time against the floor's.
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

// n `builds` requests: microseconds in all, or -1 when one failed.
static double
s_round(s_side_t *s, int n)
{
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "bench");
    pk_kv_set(&args, "job", "j");
    int64_t t0 = bench_now_us();
    for (int i = 0; i < n; i++) {
        uint8_t *body = NULL;
        char *err = NULL;
        int rc = pk_client_request(s->client, "builds", &args, NULL, 0, 10000, &body, NULL, &err);
        free(body);
        if (rc != 0) {
            fprintf(stderr, "bench_auth: builds: %s\n", err ? err : pk_client_error(s->client));
            free(err);
            pk_kv_clear(&args);
            return -1;
        }
    }
    pk_kv_clear(&args);
    return (double) (bench_now_us() - t0);
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
    double us_with = 0, us_without = 0;
    int rounds = 10, per = n / rounds > 0 ? n / rounds : 1;
    s_round(&with, per);                        // warm up both
    s_round(&without, per);
    for (int r = 0; r < rounds; r++) {
        double a = s_round(&without, per), b = s_round(&with, per);
        if (a < 0 || b < 0)
            return 1;
        us_without += a;
        us_with += b;
    }
    char name[96];
    snprintf(name, sizeof name, "control: `builds` request with token + role check");
    bench_row(name, us_with / (rounds * per), "us", us_without / (rounds * per),
              "the same request, no identity check");
    s_side_stop(&with);
    s_side_stop(&without);
    free(token);
    pk_store_close(&store);
    return 0;
}
