// CURVE between hosts, with real sockets on loopback: certificates that do
// or do not load (and why), the loopback test, a broker that refuses a
// non-loopback listen without keys, and a CURVE broker with its ZAP handler
// letting in a runner and a client whose keys are allowed while a key not
// in the allow directory, a wrong server key or no CURVE at all never get
// through -- until the operator copies the refused key's certificate in.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pk_broker.h"
#include "pk_client.h"
#include "pk_curve.h"
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"

static char T[256];               // this run's directory
static char BROKER_SEC[300], BROKER_PUB[300], ALLOW[300];
static char GOOD_SEC[300], GOOD_KEY[41], ROGUE_SEC[300], ROGUE_PUB[300], ROGUE_KEY[41];
static char EP[64];
static FILE *LOG;                 // zsys log, to count what the broker said

static void
s_keypair(const char *dir, const char *name, char *sec_out, char *key_out)
{
    char pub[280];
    snprintf(pub, sizeof pub, "%.200s/%.60s.cert", dir, name);
    zsys_dir_create("%s", dir);
    zcert_t *c = zcert_new();
    assert_int_equal(zcert_save(c, pub), 0);
    if (sec_out)
        snprintf(sec_out, 300, "%s_secret", pub);
    if (key_out)
        snprintf(key_out, 41, "%s", zcert_public_txt(c));
    zcert_destroy(&c);
}

static int
s_setup(void **state)
{
    (void) state;
    snprintf(T, sizeof T, "%s/pk-test-curve-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(T));
    char dir[270];
    snprintf(dir, sizeof dir, "%s/broker", T);
    s_keypair(dir, "broker", BROKER_SEC, NULL);
    snprintf(BROKER_PUB, sizeof BROKER_PUB, "%s/broker.cert", dir);
    // the allow directory holds the good key's public certificate only
    snprintf(ALLOW, sizeof ALLOW, "%s/allow", T);
    snprintf(dir, sizeof dir, "%s/good", T);
    s_keypair(dir, "good", GOOD_SEC, GOOD_KEY);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p %s && cp %s/good.cert %s/", ALLOW, dir, ALLOW);
    assert_int_equal(system(cmd), 0);
    snprintf(dir, sizeof dir, "%s/rogue", T);
    s_keypair(dir, "rogue", ROGUE_SEC, ROGUE_KEY);
    snprintf(ROGUE_PUB, sizeof ROGUE_PUB, "%s/rogue.cert", dir);
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", T);
    return system(cmd) == 0 ? 0 : -1;
}

static void
s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

// --- certificates and endpoints, no sockets

static void
test_cert_errors(void **state)
{
    (void) state;
    char *err = NULL, path[300], key[41];
    snprintf(path, sizeof path, "%s/missing.cert", T);
    assert_null(pk_curve_cert_load(path, true, &err));
    assert_non_null(strstr(err, "No such file"));
    free(err);
    snprintf(path, sizeof path, "%s/junk.cert", T);
    s_write(path, "this is not\n  a certificate = at all\n");
    assert_null(pk_curve_cert_load(path, false, &err));
    assert_non_null(strstr(err, "is not a certificate"));
    free(err);
    assert_null(pk_curve_cert_load(T, false, &err));            // a directory
    assert_non_null(strstr(err, "is not a certificate"));
    free(err);
    // a public certificate alone has no secret key
    char lone[300];
    snprintf(lone, sizeof lone, "%s/allow/good.cert", T);       // no _secret next to it
    assert_null(pk_curve_cert_load(lone, true, &err));
    assert_non_null(strstr(err, "has no secret key"));
    free(err);
    zcert_t *c = pk_curve_cert_load(lone, false, &err);
    assert_non_null(c);
    assert_string_equal(zcert_public_txt(c), GOOD_KEY);
    zcert_destroy(&c);
    // NAME.cert next to NAME.cert_secret, or NAME.cert_secret itself
    c = pk_curve_cert_load(ROGUE_PUB, true, &err);
    assert_non_null(c);
    zcert_destroy(&c);
    c = pk_curve_cert_load(ROGUE_SEC, true, &err);
    assert_non_null(c);
    assert_string_equal(zcert_public_txt(c), ROGUE_KEY);
    zcert_destroy(&c);
    // server keys: Z85 text or a certificate file
    assert_int_equal(pk_curve_server_key(ROGUE_KEY, key, &err), 0);
    assert_string_equal(key, ROGUE_KEY);
    assert_int_equal(pk_curve_server_key(lone, key, &err), 0);
    assert_string_equal(key, GOOD_KEY);
    assert_int_equal(pk_curve_server_key("short", key, &err), -1);
    assert_non_null(strstr(err, "neither a public key"));
    free(err);
    // half a client setting is refused with what is missing
    pk_curve_client_t half = { .cert = GOOD_SEC };
    assert_int_equal(pk_curve_client_check(&half, &err), -1);
    assert_non_null(strstr(err, "--curve-server-key"));
    free(err);
    half = (pk_curve_client_t) { .server_key = BROKER_PUB };
    assert_int_equal(pk_curve_client_check(&half, &err), -1);
    assert_non_null(strstr(err, "--curve-cert"));
    free(err);
    pk_curve_client_t none = { 0 };
    assert_int_equal(pk_curve_client_check(&none, &err), 0);
    assert_null(err);
}

static void
test_loopback(void **state)
{
    (void) state;
    const char *yes[] = { "tcp://127.0.0.1:7650", "tcp://127.1.2.3:*", "tcp://localhost:1",
                          "tcp://[::1]:7650", "ipc:///tmp/x", "inproc://a", NULL };
    const char *no[] = { "tcp://0.0.0.0:7650", "tcp://*:7650", "tcp://10.0.0.1:7650",
                         "tcp://[::]:7650", "tcp://eth0:7650", "tcp://127.0.0.1.evil.com:1",
                         "tcp://127.0.0.1;10.0.0.1:1", "tcp://localhost.example:1",
                         "tcp://128.0.0.1:1", "tcp://127.0.0.1", "ws://127.0.0.1:1", "",
                         NULL };
    for (int i = 0; yes[i]; i++)
        assert_true(pk_curve_is_loopback(yes[i]));
    for (int i = 0; no[i]; i++) {
        if (pk_curve_is_loopback(no[i]))
            fail_msg("%s taken for loopback", no[i]);
    }
    assert_false(pk_curve_is_loopback(NULL));
}

// The refusal is decided from the config before the actor starts: the
// wildcard address is never bound, not even for a moment (tests bind
// nothing but loopback).
static void
test_nonloopback_refused(void **state)
{
    (void) state;
    pk_broker_config_t cfg = { .inproc = "inproc://pk-test-curve-refuse",
                               .listen = "tcp://0.0.0.0:7659" };
    char *reason = NULL;
    assert_int_equal(pk_broker_config_check(&cfg, &reason), -1);
    assert_string_equal(reason, "refusing to listen on tcp://0.0.0.0:7659 without CURVE: make "
                        "keys with `pikoci keygen` and pass --curve-cert/--curve-allow");
    free(reason);
    assert_null(pk_broker_new(&cfg));
    // half the keys is refused too, whatever the address
    cfg.listen = "tcp://127.0.0.1:*";
    cfg.curve_cert = BROKER_SEC;
    assert_int_equal(pk_broker_config_check(&cfg, &reason), -1);
    assert_non_null(strstr(reason, "--curve-allow"));
    free(reason);
    assert_null(pk_broker_new(&cfg));
    // a certificate without its secret cannot serve
    cfg.curve_cert = BROKER_PUB;
    cfg.curve_allow = ALLOW;
    char copy[300], cmd[700];
    snprintf(copy, sizeof copy, "%s/public-only.cert", T);
    snprintf(cmd, sizeof cmd, "cp %s %s", BROKER_PUB, copy);
    assert_int_equal(system(cmd), 0);
    cfg.curve_cert = copy;
    assert_int_equal(pk_broker_config_check(&cfg, &reason), -1);
    assert_non_null(strstr(reason, "has no secret key"));
    free(reason);
}

// --- a CURVE broker

static unsigned long long
s_stat(zactor_t *broker, int field)
{
    zstr_send(broker, "STATS");
    char *stats = zstr_recv(broker);
    unsigned long long v[5] = { 0 };
    assert_int_equal(sscanf(stats, "%llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4]),
                     5);
    zstr_free(&stats);
    return v[field];
}

#define S_WORKERS 0
#define S_REJECTED 4

static bool
s_wait_stat(zactor_t *broker, int field, unsigned long long at_least, int timeout_ms)
{
    for (int64_t end = zclock_mono() + timeout_ms; zclock_mono() < end; zclock_sleep(10))
        if (s_stat(broker, field) >= at_least)
            return true;
    return false;
}

static zactor_t *
s_curve_broker(char *tcp, size_t len)
{
    static int n;
    snprintf(EP, sizeof EP, "inproc://pk-test-curve-%d", ++n);
    // runners here show no worker token: this is about CURVE (tokens: test_workerauth.c)
    pk_broker_config_t cfg = { .inproc = EP, .listen = "tcp://127.0.0.1:*", .trust_network = true,
                               .heartbeat_timeout_ms = 3000, .curve_cert = BROKER_SEC,
                               .curve_allow = ALLOW };
    zactor_t *b = pk_broker_new(&cfg);
    assert_non_null(b);
    zstr_send(b, "ENDPOINT");
    char *ep = zstr_recv(b);
    snprintf(tcp, len, "%s", ep);
    zstr_free(&ep);
    return b;
}

static zactor_t *
s_runner(const char *name, const char *endpoint, const char *cert, const char *server_key)
{
    char root[300];
    snprintf(root, sizeof root, "%s/work", T);
    pk_runner_config_t cfg = { .name = name, .endpoint = endpoint, .slots = 1,
                               .work_root = root,
                               .curve = { .cert = cert, .server_key = server_key } };
    zactor_t *r = pk_runner_new(&cfg);
    assert_non_null(r);
    return r;
}

// broker.workers through a client: the names, or NULL when no answer came.
static char *
s_workers(const char *endpoint, const pk_curve_client_t *curve, int timeout_ms)
{
    char *err = NULL;
    pk_client_t *c = pk_client_new_secure(endpoint, curve, &err);
    assert_non_null(c);
    uint8_t *body = NULL;
    size_t size = 0;
    int rc = pk_client_request(c, "broker.workers", NULL, NULL, 0, timeout_ms, &body, &size, NULL);
    char *names = NULL;
    if (rc == 0) {
        pk_value_t *v = pk_value_unpack(body, size);
        names = calloc(1, 256);
        for (size_t i = 0; i < pk_value_len(v); i++) {
            const pk_value_t *name = pk_value_object_get(pk_value_list_at(v, i), "name");
            strncat(names, pk_value_string(name), 200);
            strcat(names, " ");
        }
        pk_value_destroy(&v);
    }
    else {
        assert_int_equal(rc, -1);
        assert_non_null(strstr(pk_client_error(c), "127.0.0.1"));
    }
    free(body);
    pk_client_destroy(&c);
    return names;
}

static int
s_count_in_log(const char *needle)
{
    fflush(LOG);
    rewind(LOG);
    char line[2048];
    int n = 0;
    while (fgets(line, sizeof line, LOG))
        n += strstr(line, needle) != NULL;
    fseek(LOG, 0, SEEK_END);
    return n;
}

static void
test_curve_broker(void **state)
{
    (void) state;
    char tcp[256];
    zactor_t *broker = s_curve_broker(tcp, sizeof tcp);
    // a second CURVE broker in the process cannot have the ZAP endpoint: refused, no crash
    pk_broker_config_t other = { .listen = "tcp://127.0.0.1:*", .curve_cert = BROKER_SEC,
                                 .curve_allow = ALLOW };
    assert_null(pk_broker_new(&other));
    // the allowed runner, given the server key as the broker's .cert file
    zactor_t *good = s_runner("w-good", tcp, GOOD_SEC, BROKER_PUB);
    assert_true(s_wait_stat(broker, S_WORKERS, 1, 10000));
    // an allowed client, given the server key in Z85
    zcert_t *bc = zcert_load(BROKER_SEC);
    char broker_key[41];
    snprintf(broker_key, sizeof broker_key, "%s", zcert_public_txt(bc));
    zcert_destroy(&bc);
    pk_curve_client_t ok = { .cert = GOOD_SEC, .server_key = broker_key };
    char *names = s_workers(tcp, &ok, 5000);
    assert_non_null(names);
    assert_string_equal(names, "w-good ");
    free(names);
    assert_int_equal(s_stat(broker, S_REJECTED), 0);

    // a runner whose key is not allowed is refused, again when it retries
    // (every 5 s, the broker's handshake interval), and never becomes a worker
    zactor_t *rogue = s_runner("w-rogue", tcp, ROGUE_SEC, BROKER_PUB);
    assert_true(s_wait_stat(broker, S_REJECTED, 2, 15000));
    // a client with that key gets no answer
    pk_curve_client_t bad = { .cert = ROGUE_SEC, .server_key = broker_key };
    assert_null(s_workers(tcp, &bad, 1000));
    assert_int_equal(s_stat(broker, S_WORKERS), 1);
    // the key is logged once, however often it knocks
    assert_int_equal(s_count_in_log(ROGUE_KEY), 1);
    assert_int_equal(s_count_in_log("unknown public key"), 1);
    // an allowed key with a wrong server key: the handshake fails
    pk_curve_client_t wrong = { .cert = GOOD_SEC, .server_key = ROGUE_KEY };
    assert_null(s_workers(tcp, &wrong, 1000));
    // plain, no CURVE at all: no answer either
    assert_null(s_workers(tcp, NULL, 1000));
    // the broker is unharmed: the good client still gets through, one worker
    names = s_workers(tcp, &ok, 5000);
    assert_non_null(names);
    assert_string_equal(names, "w-good ");
    free(names);

    // the operator allows the logged key: the directory is read again, and
    // the runner (still retrying) and a client with that key get in
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cp %s %s/", ROGUE_PUB, ALLOW);
    assert_int_equal(system(cmd), 0);
    assert_true(s_wait_stat(broker, S_WORKERS, 2, 15000));     // the same runner, retrying
    names = s_workers(tcp, &bad, 5000);
    assert_non_null(names);
    assert_non_null(strstr(names, "w-rogue"));
    free(names);
    snprintf(cmd, sizeof cmd, "rm %s/rogue.cert", ALLOW);
    assert_int_equal(system(cmd), 0);

    zactor_destroy(&rogue);
    zactor_destroy(&good);
    zactor_destroy(&broker);
    // the ZAP endpoint is free again: a new CURVE broker starts at once
    broker = s_curve_broker(tcp, sizeof tcp);
    zactor_destroy(&broker);
}

// In-process actors use the plain inproc endpoint of a CURVE broker.
static void
test_inproc_stays_plain(void **state)
{
    (void) state;
    char tcp[256];
    zactor_t *broker = s_curve_broker(tcp, sizeof tcp);
    zactor_t *local = s_runner("w-local", EP, NULL, NULL);
    assert_true(s_wait_stat(broker, S_WORKERS, 1, 10000));
    char *names = s_workers(EP, NULL, 5000);
    assert_non_null(names);
    assert_string_equal(names, "w-local ");
    free(names);
    zactor_destroy(&local);
    zactor_destroy(&broker);
}

// Loopback without keys works as before.
static void
test_loopback_plain(void **state)
{
    (void) state;
    pk_broker_config_t cfg = { .inproc = "inproc://pk-test-curve-plain",
                               .listen = "tcp://127.0.0.1:*", .trust_network = true };
    zactor_t *broker = pk_broker_new(&cfg);
    assert_non_null(broker);
    zstr_send(broker, "ENDPOINT");
    char *tcp = zstr_recv(broker);
    zactor_t *r = s_runner("w-plain", tcp, NULL, NULL);
    assert_true(s_wait_stat(broker, S_WORKERS, 1, 10000));
    char *names = s_workers(tcp, NULL, 5000);
    assert_non_null(names);
    assert_string_equal(names, "w-plain ");
    free(names);
    assert_int_equal(s_stat(broker, S_REJECTED), 0);
    zstr_free(&tcp);
    zactor_destroy(&r);
    zactor_destroy(&broker);
}

int
main(void)
{
    zsys_handler_set(NULL);
    LOG = tmpfile();
    zsys_set_logstream(LOG);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_errors),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_nonloopback_refused),
        cmocka_unit_test(test_curve_broker),
        cmocka_unit_test(test_inproc_stays_plain),
        cmocka_unit_test(test_loopback_plain),
    };
    int rc = cmocka_run_group_tests(tests, s_setup, s_teardown);
    fclose(LOG);
    return rc;
}
