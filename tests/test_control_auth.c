// test_control_auth: control with authenticate on, a real broker, a real
// "mem" store and pk_client over tcp loopback. Anonymous and unknown tokens
// are refused as "denied" and counted; a token revoked while its client
// stays connected is refused at its very next request; a role too small
// never reaches the owner; a forwarded command carries the token's user,
// whatever the client put in "user"; refusals are in the audit log.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_audit.h"
#include "pk_auth.h"
#include "pk_broker.h"
#include "pk_builds.h"
#include "pk_client.h"
#include "pk_control.h"
#include "pk_logs.h"
#include "pk_msg.h"

static const char *SRC =
    "job \"j\" {\n  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n}\n";

typedef struct {
    char ep[64];
    char *tcp;
    zactor_t *broker, *control;
    pk_store_t *store;
    zsock_t *sched;             // a stand-in scheduler
    char *admin;                // admin's first-start token
} fx_t;

static fx_t f;

// The next message on sock: 0, or -1 on timeout / a malformed one.
static int
s_recv(zsock_t *sock, pk_msg_t *m)
{
    zmsg_t *z = zmsg_recv(sock);
    if (!z)
        return -1;
    int rc = pk_msg_from_zmsg(z, m, NULL, 0);
    zmsg_destroy(&z);
    return rc;
}

static int
s_setup(void **state)
{
    (void) state;
    snprintf(f.ep, sizeof f.ep, "inproc://pk-test-control-auth");
    pk_broker_config_t bc = { .inproc = f.ep, .listen = "tcp://127.0.0.1:*" };
    f.broker = pk_broker_new(&bc);
    assert_non_null(f.broker);
    zstr_send(f.broker, "ENDPOINT");
    f.tcp = zstr_recv(f.broker);
    char *err = NULL;
    f.store = pk_store_open("mem", NULL, &err);
    assert_non_null(f.store);
    pk_builds_t *bs = pk_builds_new(f.store, &err);
    assert_int_equal(pk_logs_init(f.store), 0);
    pk_store_txn_t *txn = pk_store_begin(f.store, true);
    pk_pipeline_rec_t rec = { .source = (char *) SRC, .set_ms = 1000, .version = 1 };
    assert_int_equal(pk_builds_pipeline_put(bs, txn, "p", &rec), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_builds_destroy(&bs);
    assert_int_equal(pk_control_bootstrap(f.store, &f.admin, &err), 1);
    char *again = NULL;
    assert_int_equal(pk_control_bootstrap(f.store, &again, &err), 0);     // once only
    assert_null(again);
    pk_control_config_t cc = { .endpoint = f.ep, .store = f.store, .forward_timeout_ms = 2000,
                               .authenticate = true };
    f.control = pk_control_new(&cc);
    assert_non_null(f.control);
    f.sched = zsock_new_dealer(f.ep);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = "sched";
    h.hello.role = "scheduler";
    assert_int_equal(pk_msg_send(f.sched, &h), 0);
    for (int i = 0; i < 1000; i++) {
        zstr_send(f.control, "CONNECTED");
        char *yes = zstr_recv(f.control);
        bool ok = yes && streq(yes, "yes");
        zstr_free(&yes);
        if (ok)
            return 0;
        zclock_sleep(5);
    }
    fail_msg("control never reached the broker");
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    zsock_destroy(&f.sched);
    zactor_destroy(&f.control);
    zactor_destroy(&f.broker);
    pk_store_close(&f.store);
    zstr_free(&f.tcp);
    free(f.admin);
    return 0;
}

static pk_client_t *
s_client(const char *token)
{
    pk_client_t *c = pk_client_new(f.tcp, NULL);
    assert_non_null(c);
    pk_client_set_token(c, token);
    return c;
}

static int
s_ask(pk_client_t *c, const char *op, char **error, ...)
{
    pk_kv_t args = { 0 };
    va_list ap;
    va_start(ap, error);
    pk_kv_set_va(&args, ap);
    va_end(ap);
    uint8_t *body = NULL;
    int rc = pk_client_request(c, op, &args, NULL, 0, 5000, &body, NULL, error);
    free(body);
    pk_kv_clear(&args);
    return rc;
}

static uint64_t
s_denied(void)
{
    zstr_send(f.control, "STATS");
    char *s = zstr_recv(f.control);
    unsigned long long v[7] = { 0 };
    assert_int_equal(sscanf(s, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                            &v[4], &v[5], &v[6]), 7);
    zstr_free(&s);
    return v[6];
}

static void
test_anonymous_and_unknown(void **state)
{
    (void) state;
    uint64_t before = s_denied();
    pk_client_t *c = s_client(NULL);
    char *err = NULL;
    assert_int_equal(s_ask(c, "builds", &err, "pipeline", "p", "job", "j", NULL), 1);
    assert_true(pk_client_denied(c));
    assert_non_null(strstr(err, "not logged in"));
    free(err);
    pk_client_set_token(c, "pkt_0123");
    assert_int_equal(s_ask(c, "pipelines", &err, NULL), 1);
    assert_true(pk_client_denied(c));
    assert_non_null(strstr(err, "not valid"));
    free(err);
    // a plain refusal (an unknown job) is not "denied"
    pk_client_set_token(c, f.admin);
    assert_int_equal(s_ask(c, "builds", &err, "pipeline", "p", "job", "nope", NULL), 1);
    assert_false(pk_client_denied(c));
    free(err);
    assert_int_equal(s_denied(), before + 2);
    pk_client_destroy(&c);
}

static void
test_revoked_mid_session(void **state)
{
    (void) state;
    pk_auth_t *auth = pk_auth_new(f.store, NULL);
    char *tok = NULL, id[16];
    pk_store_txn_t *txn = pk_store_begin(f.store, true);
    assert_int_equal(pk_auth_token_new(auth, txn, "admin", "short", 0, &tok, id), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_client_t *c = s_client(tok);
    char *err = NULL;
    assert_int_equal(s_ask(c, "pipelines", &err, NULL), 0);
    txn = pk_store_begin(f.store, true);
    assert_int_equal(pk_auth_token_revoke(auth, txn, NULL, id), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    assert_int_equal(s_ask(c, "pipelines", &err, NULL), 1);     // the same connection
    assert_true(pk_client_denied(c));
    free(err);
    pk_client_destroy(&c);
    pk_auth_destroy(&auth);
    free(tok);
}

// The stand-in scheduler's next SIGNAL (answered ok), or fail.
static void
s_owner_answers(char **user_out)
{
    zsock_set_rcvtimeo(f.sched, 5000);
    for (;;) {
        pk_msg_t m;
        assert_int_equal(s_recv(f.sched, &m), 0);
        if (m.type != PK_MSG_SIGNAL) {
            pk_msg_clear(&m);
            continue;
        }
        const char *user = pk_kv_get(&m.signal.args, "user");
        *user_out = user ? strdup(user) : NULL;
        pk_msg_t r = { .type = PK_MSG_SIGNAL };
        r.signal.to = "control";
        r.signal.what = "reply";
        pk_kv_set(&r.signal.args, "ref", pk_kv_get(&m.signal.args, "ref"));
        pk_kv_set(&r.signal.args, "ok", "1");
        assert_int_equal(pk_msg_send(f.sched, &r), 0);
        pk_kv_clear(&r.signal.args);
        pk_msg_clear(&m);
        return;
    }
}

static void
test_roles_and_the_owner(void **state)
{
    (void) state;
    pk_auth_t *auth = pk_auth_new(f.store, NULL);
    char *tok = NULL, id[16];
    pk_store_txn_t *txn = pk_store_begin(f.store, true);
    assert_int_equal(pk_auth_user_add(auth, txn, "rita", NULL, false), 0);
    assert_int_equal(pk_auth_member_set(auth, txn, "main", "rita", PK_ROLE_READ), 0);
    assert_int_equal(pk_auth_token_new(auth, txn, "rita", "", 0, &tok, id), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_client_t *c = s_client(tok);
    char *err = NULL;
    assert_int_equal(s_ask(c, "builds", &err, "pipeline", "p", "job", "j", NULL), 0);
    // read may not trigger: refused before the owner hears of it
    assert_int_equal(s_ask(c, "trigger", &err, "pipeline", "p", "job", "j", NULL), 1);
    assert_true(pk_client_denied(c));
    assert_non_null(strstr(err, "needs the role write"));
    free(err);
    zsock_set_rcvtimeo(f.sched, 100);
    pk_msg_t m;
    assert_int_not_equal(s_recv(f.sched, &m), 0);
    // write may; the owner is told who, not what the client claimed
    txn = pk_store_begin(f.store, true);
    assert_int_equal(pk_auth_member_set(auth, txn, "main", "rita", PK_ROLE_WRITE), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "p");
    pk_kv_set(&args, "job", "j");
    pk_kv_set(&args, "user", "mallory");
    // pk_client waits for its reply, and the owner is this thread too: so a
    // raw DEALER sends the REQUEST, the owner answers, then the reply is read
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    zsock_t *raw = zsock_new_dealer(f.tcp);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = "raw";
    h.hello.role = "client";
    assert_int_equal(pk_msg_send(raw, &h), 0);
    q.request.rid = 7;
    q.request.op = "trigger";
    q.request.args = args;
    q.request.token = tok;
    assert_int_equal(pk_msg_send(raw, &q), 0);
    char *user = NULL;
    s_owner_answers(&user);
    assert_string_equal(user, "rita");
    free(user);
    zsock_set_rcvtimeo(raw, 5000);
    pk_msg_t r;
    assert_int_equal(s_recv(raw, &r), 0);
    assert_int_equal(r.type, PK_MSG_REPLY);
    assert_true(r.reply.ok);
    pk_msg_clear(&r);
    zsock_destroy(&raw);
    pk_kv_clear(&args);
    // both are in the audit log: the refused trigger and the one that went
    pk_audit_t *audit = pk_audit_new(f.store, NULL);
    pk_audit_filter_t fl = { .user = "rita", .action = "trigger" };
    pk_audit_entry_t *e = NULL;
    size_t n = 0;
    assert_int_equal(pk_audit_query(audit, &fl, &e, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].result, "ok");
    assert_string_equal(e[1].result, "refused");
    assert_string_equal(e[1].target, "p/j");
    for (size_t i = 0; i < n; i++)
        pk_audit_entry_clear(&e[i]);
    free(e);
    pk_audit_destroy(&audit);
    pk_client_destroy(&c);
    pk_auth_destroy(&auth);
    free(tok);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anonymous_and_unknown),
        cmocka_unit_test(test_revoked_mid_session),
        cmocka_unit_test(test_roles_and_the_owner),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
