// The broker's trust rules with real sockets: peers over tcp playing
// workers, intruders and a remote scheduler, the server's own actors over
// inproc. Team-bound worker tokens get only their team's work (WORK.team,
// absent = "main"); a worker of every team gets any; a stranger gets none
// and cannot speak worker messages; server roles need inproc or the server
// token; a worker name cannot be taken over by another team's token.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pk_broker.h"
#include "pk_msg.h"
#include "pk_tokens.h"

static char DIR_[256], LIST[300], EP[64], TCP[256];

static zactor_t *
s_broker(const char *server_token)
{
    static int n;
    snprintf(EP, sizeof EP, "inproc://pk-test-workerauth-%d", ++n);
    pk_broker_config_t cfg = { .inproc = EP, .listen = "tcp://127.0.0.1:*",
                               .heartbeat_timeout_ms = 60000, .worker_tokens = LIST,
                               .server_token = server_token };
    zactor_t *b = pk_broker_new(&cfg);
    assert_non_null(b);
    zstr_send(b, "ENDPOINT");
    char *ep = zstr_recv(b);
    snprintf(TCP, sizeof TCP, "%s", ep);
    zstr_free(&ep);
    return b;
}

static zsock_t *
s_hello(const char *ep, const char *role, const char *token)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_linger(s, 0);
    assert_int_equal(zsock_connect(s, "%s", ep), 0);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = h.hello.role = (char *) role;
    h.hello.token = (char *) token;
    assert_int_equal(pk_msg_send(s, &h), 0);
    return s;
}

static zsock_t *
s_worker(const char *name, const char *token)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_linger(s, 0);
    assert_int_equal(zsock_connect(s, "%s", TCP), 0);
    pk_msg_t r = { .type = PK_MSG_READY };
    r.ready.name = (char *) name;
    r.ready.slots = 10;
    r.ready.token = (char *) token;
    assert_int_equal(pk_msg_send(s, &r), 0);
    return s;
}

// The next message within timeout_ms, or type -1.
static pk_msg_t
s_next(zsock_t *s, int timeout_ms)
{
    pk_msg_t m = { .type = (pk_msg_type_t) -1 };
    zsock_set_rcvtimeo(s, timeout_ms);
    zmsg_t *z = zmsg_recv(s);
    if (z && pk_msg_from_zmsg(z, &m, NULL, 0) != 0)
        m.type = (pk_msg_type_t) -1;
    zmsg_destroy(&z);
    return m;
}

static void
s_work(zsock_t *sched, const char *id, const char *team)
{
    pk_msg_t w = { .type = PK_MSG_WORK };
    w.work.id = (char *) id;
    w.work.attempt = 1;
    w.work.kind = "build";
    w.work.team = (char *) team;
    w.work.plan = (pk_bytes_t) { (uint8_t *) "\x80", 1 };
    assert_int_equal(pk_msg_send(sched, &w), 0);
}

// The work ids a worker receives within ms, space-separated, sorted as received.
static void
s_works(zsock_t *wk, int ms, char *out, size_t size)
{
    out[0] = 0;
    for (int64_t end = zclock_mono() + ms; zclock_mono() < end;) {
        pk_msg_t m = s_next(wk, 50);
        if (m.type == PK_MSG_WORK) {
            size_t n = strlen(out);
            snprintf(out + n, size - n, "%s%s", n ? " " : "", m.work.id);
        }
        pk_msg_clear(&m);
    }
}

static unsigned long long
s_stat(zactor_t *b, int field)
{
    zstr_send(b, "STATS");
    char *s = zstr_recv(b);
    unsigned long long v[6] = { 0 };
    sscanf(s, "%llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]);
    zstr_free(&s);
    return v[field];
}

static bool
s_workers_are(zactor_t *b, unsigned long long n)
{
    for (int64_t end = zclock_mono() + 5000; zclock_mono() < end; zclock_sleep(10))
        if (s_stat(b, 0) == n)
            return true;
    return false;
}

static int
s_setup(void **state)
{
    (void) state;
    snprintf(DIR_, sizeof DIR_, "/tmp/pk-test-workerauth-%d", (int) getpid());
    mkdir(DIR_, 0700);
    snprintf(LIST, sizeof LIST, "%s/worker-tokens", DIR_);
    unlink(LIST);
    assert_int_equal(pk_worker_tokens_add(LIST, "tok-blue", "blue", "b", NULL), 0);
    assert_int_equal(pk_worker_tokens_add(LIST, "tok-red", "red", NULL, NULL), 0);
    assert_int_equal(pk_worker_tokens_add(LIST, "tok-all", "*", "every team", NULL), 0);
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    unlink(LIST);
    rmdir(DIR_);
    return 0;
}

static void
test_team_bound_workers(void **state)
{
    (void) state;
    zactor_t *b = s_broker(NULL);
    zsock_t *sched = s_hello(EP, "scheduler", NULL);
    zsock_t *blue = s_worker("blue-1", "tok-blue");
    zsock_t *red = s_worker("red-1", "tok-red");
    assert_true(s_workers_are(b, 2));
    s_work(sched, "build:a/j/1", "red");
    s_work(sched, "build:b/j/1", "blue");
    s_work(sched, "build:a/j/2", "red");
    s_work(sched, "build:m/j/1", NULL);      // no team: "main"
    char got[256];
    s_works(blue, 700, got, sizeof got);
    assert_string_equal(got, "build:b/j/1");
    s_works(red, 300, got, sizeof got);
    assert_string_equal(got, "build:a/j/1 build:a/j/2");
    // main's build waits for a worker of main or of every team
    zsock_t *all = s_worker("any-1", "tok-all");
    s_works(all, 700, got, sizeof got);
    assert_string_equal(got, "build:m/j/1");
    // another team's token cannot take a live worker's name (and its work)
    zsock_t *thief = s_worker("blue-1", "tok-red");
    pk_msg_t m = s_next(thief, 2000);
    assert_int_equal(m.type, PK_MSG_DISCONNECT);
    assert_string_equal(m.disconnect.reason, "refused: a worker of another team has that name");
    pk_msg_clear(&m);
    s_work(sched, "build:b/j/2", "blue");      // blue-1 or any-1, never the thief
    char got2[256];
    s_works(blue, 500, got, sizeof got);
    s_works(all, 100, got2, sizeof got2);
    assert_string_equal(*got ? got : got2, "build:b/j/2");
    s_works(thief, 100, got, sizeof got);
    assert_string_equal(got, "");
    zsock_destroy(&thief);
    zsock_destroy(&all);
    zsock_destroy(&red);
    zsock_destroy(&blue);
    zsock_destroy(&sched);
    zactor_destroy(&b);
}

static void
test_strangers(void **state)
{
    (void) state;
    zactor_t *b = s_broker(NULL);
    zsock_t *sched = s_hello(EP, "scheduler", NULL);
    zsock_t *control = s_hello(EP, "control", NULL);
    // an intruder claims control and the scheduler over tcp: refused
    zsock_t *evil = s_hello(TCP, "control", "anything");
    zsock_t *evil2 = s_hello(TCP, "scheduler", NULL);
    zsock_t *nobody = s_worker("nobody", NULL);
    zsock_t *guess = s_worker("guess", "tok-green");
    pk_msg_t m = s_next(nobody, 2000);
    assert_int_equal(m.type, PK_MSG_DISCONNECT);
    assert_string_equal(m.disconnect.reason, "refused: no worker token");
    pk_msg_clear(&m);
    m = s_next(guess, 2000);
    assert_int_equal(m.type, PK_MSG_DISCONNECT);
    assert_string_equal(m.disconnect.reason,
                        "refused: the worker token is not in the broker's list");
    pk_msg_clear(&m);
    assert_int_equal(s_stat(b, 0), 0);
    // a client's request still reaches the real control
    zsock_t *client = s_hello(TCP, "client", NULL);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 7;
    q.request.op = "pipelines";
    pk_msg_send(client, &q);
    m = s_next(control, 2000);
    assert_int_equal(m.type, PK_MSG_REQUEST);
    pk_msg_clear(&m);
    // the scheduler's work and signals are not the intruders'
    s_work(sched, "build:x/j/1", NULL);
    pk_msg_t sig = { .type = PK_MSG_SIGNAL };
    sig.signal.to = "scheduler";
    sig.signal.what = "ping";
    pk_msg_send(control, &sig);
    m = s_next(sched, 2000);
    assert_int_equal(m.type, PK_MSG_SIGNAL);
    pk_msg_clear(&m);
    m = s_next(evil2, 300);
    assert_int_equal((int) m.type, -1);
    m = s_next(evil, 100);
    assert_int_equal((int) m.type, -1);
    m = s_next(nobody, 100);
    assert_int_equal((int) m.type, -1);
    // a stranger cannot report on work, send work or signal anyone
    pk_msg_t d = { .type = PK_MSG_DONE };
    d.done.id = "build:x/j/1";
    d.done.attempt = 1;
    d.done.status = "succeeded";
    pk_msg_send(client, &d);
    s_work(client, "build:y/j/1", NULL);
    sig.signal.to = "control";
    pk_msg_send(client, &sig);
    m = s_next(sched, 300);
    assert_int_equal((int) m.type, -1);
    m = s_next(control, 100);
    assert_int_equal((int) m.type, -1);
    for (int64_t end = zclock_mono() + 2000; zclock_mono() < end && s_stat(b, 5) < 7;)
        zclock_sleep(10);
    // 2 HELLOs, 2 READYs, DONE, WORK, SIGNAL
    assert_true(s_stat(b, 5) >= 7);
    assert_int_equal(s_stat(b, 1), 1);         // only the scheduler's work is pending
    zsock_destroy(&client);
    zsock_destroy(&guess);
    zsock_destroy(&nobody);
    zsock_destroy(&evil2);
    zsock_destroy(&evil);
    zsock_destroy(&control);
    zsock_destroy(&sched);
    zactor_destroy(&b);
}

// A standalone broker: the server's actors come over tcp with the token.
static void
test_server_token(void **state)
{
    (void) state;
    zactor_t *b = s_broker("pks_right");
    zsock_t *wrong = s_hello(TCP, "scheduler", "pks_wrong");
    zsock_t *sched = s_hello(TCP, "scheduler", "pks_right");
    zsock_t *control = s_hello(TCP, "control", "pks_right");
    zclock_sleep(200);      // both HELLOs in before the signal
    pk_msg_t sig = { .type = PK_MSG_SIGNAL };
    sig.signal.to = "scheduler";
    sig.signal.what = "ping";
    pk_msg_send(control, &sig);
    pk_msg_t m = s_next(sched, 2000);
    assert_int_equal(m.type, PK_MSG_SIGNAL);
    assert_string_equal(m.signal.what, "ping");
    pk_msg_clear(&m);
    m = s_next(wrong, 200);
    assert_int_equal((int) m.type, -1);
    zsock_destroy(&control);
    zsock_destroy(&sched);
    zsock_destroy(&wrong);
    zactor_destroy(&b);
}

static void
test_token_files(void **state)
{
    (void) state;
    char path[400];
    snprintf(path, sizeof path, "%s/t.token", DIR_);
    unlink(path);
    char *err = NULL;
    char *a = pk_token_file(path, true, "pkw_", &err);
    assert_non_null(a);
    assert_int_equal(strlen(a), 4 + 64);
    char *b = pk_token_file(path, true, "pkw_", &err);
    assert_string_equal(a, b);                  // made once, then read
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    pk_worker_tokens_t *l = pk_worker_tokens_new(LIST);
    const char *team = NULL, *why = NULL;
    assert_int_equal(pk_worker_tokens_check(l, a, &team, &why), -1);
    assert_int_equal(pk_worker_tokens_add(LIST, a, "green", NULL, NULL), 0);
    assert_int_equal(pk_worker_tokens_check(l, a, &team, &why), 0);     // re-read
    assert_string_equal(team, "green");
    assert_int_equal(pk_worker_tokens_check(l, "tok-all", &team, &why), 0);
    assert_string_equal(team, "");
    FILE *f = fopen(LIST, "r");
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    assert_null(strstr(text, a));               // hashes only
    assert_null(strstr(text, "tok-all"));
    pk_worker_tokens_destroy(&l);
    unlink(path);
    free(a);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_team_bound_workers),
        cmocka_unit_test(test_strangers),
        cmocka_unit_test(test_server_token),
        cmocka_unit_test(test_token_files),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
