// Re-adoption, the runner's side: the test plays a broker that restarts
// (a ROUTER over inproc; DISCONNECT is what a restarted broker says to a
// worker it does not know) and checks that the runner actor then announces
// what it holds and re-sends what may have been lost -- STARTED with its
// original time, the steps, every LOG chunk not credited yet with its
// original seq and bytes, and a finished build's DONE -- and that credit is
// counted against that window only, so a sink crediting a retransmit and
// its original cannot open the window wider than RUNNER_INITIAL_CREDIT.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pk_runner.h"
#include "pk_msg.h"
#include "runner_internal.h"
#include "fake_broker.h"

#define ID "build:p/j/1"
// about 1.3 MB at once: far more than the credit window lets out
#define FLOOD "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\",\"cmd\":{\"runner\":{\"name\":\"shell\"}," \
              "\"params\":{\"cmd\":\"seq 1 1000000\"}}}]}"

// The next message of a type (others are skipped), within ms.
static bool
s_expect(fake_broker_t *f, pk_msg_type_t type, pk_msg_t *m, int ms)
{
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        if (!fake_broker_recv(f, m, (int) (end - zclock_mono()), false))
            return false;
        if (m->type == type)
            return true;
        pk_msg_clear(m);
    }
    return false;
}

static void
s_credit(fake_broker_t *f, uint32_t n)
{
    pk_msg_t c = { .type = PK_MSG_CREDIT };
    c.credit.id = ID;
    c.credit.attempt = 1;
    c.credit.credits = n;
    fake_broker_send(f, &c);
}

static void
s_disconnect(fake_broker_t *f)
{
    pk_msg_t d = { .type = PK_MSG_DISCONNECT };
    d.disconnect.name = "w1";
    d.disconnect.reason = "unknown worker: send READY";
    fake_broker_send(f, &d);
}

static void
s_start(fake_broker_t *f, const char *name)
{
    char ep[128];
    snprintf(ep, sizeof ep, "inproc://pk-test-readopt-%s", name);
    pk_runner_config_t cfg = { .name = "w1", .slots = 1,
                               .work_root = "/tmp/pikoci-test-readopt" };
    pk_msg_t m;
    fake_broker_start(f, ep, cfg, &m);
    assert_int_equal(m.ready.holding.count, 0);
    pk_msg_clear(&m);
    fake_broker_work(f, ID, "build", FLOOD);
}

typedef struct {
    uint64_t seq;
    uint8_t *data;
    size_t size;
} chunk_t;

// Exactly n LOG chunks (no more come within quiet_ms after them).
static void
s_logs(fake_broker_t *f, chunk_t *out, size_t n, int quiet_ms)
{
    for (size_t i = 0; i < n; i++) {
        pk_msg_t m;
        assert_true(s_expect(f, PK_MSG_LOG, &m, 10000));
        assert_string_equal(m.log.id, ID);
        out[i] = (chunk_t) { m.log.seq, m.log.data.data, m.log.data.size };
        m.log.data = (pk_bytes_t) { 0 };
        pk_msg_clear(&m);
    }
    pk_msg_t m;
    if (s_expect(f, PK_MSG_LOG, &m, quiet_ms))
        fail_msg("LOG seq %llu beyond the window", (unsigned long long) m.log.seq);
}

static void
s_chunks_free(chunk_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].data);
}

// Held work, STARTED, STEP and the uncredited chunks come again after a
// DISCONNECT, identical; then the build goes on and its DONE comes again
// after the next one.
static void
test_resync_resends_what_was_not_confirmed(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "resend");
    pk_msg_t m;
    assert_true(s_expect(&f, PK_MSG_STARTED, &m, 5000));
    uint64_t started_ms = m.started.started_ms;
    pk_msg_clear(&m);
    chunk_t first[RUNNER_INITIAL_CREDIT + 4];
    s_logs(&f, first, RUNNER_INITIAL_CREDIT, 300);      // the window, then a stall
    for (size_t i = 0; i < RUNNER_INITIAL_CREDIT; i++)
        assert_int_equal(first[i].seq, i);
    s_credit(&f, 4);                                    // 0..3 are stored
    s_logs(&f, first + RUNNER_INITIAL_CREDIT, 4, 300);
    // the broker restarted: 4..19 are unconfirmed
    s_disconnect(&f);
    assert_true(s_expect(&f, PK_MSG_READY, &m, 5000));
    assert_int_equal(m.ready.holding.count, 1);
    assert_string_equal(m.ready.holding.items[0], ID ":1");
    pk_msg_clear(&m);
    assert_true(fake_broker_recv(&f, &m, 5000, false));
    assert_int_equal(m.type, PK_MSG_STARTED);
    assert_int_equal(m.started.started_ms, started_ms);
    assert_string_equal(m.started.worker, "w1");
    pk_msg_clear(&m);
    assert_true(fake_broker_recv(&f, &m, 5000, false));
    assert_int_equal(m.type, PK_MSG_STEP);
    assert_string_equal(m.step.status, "started");
    assert_string_equal(m.step.name, "t");
    pk_msg_clear(&m);
    chunk_t again[RUNNER_INITIAL_CREDIT];
    s_logs(&f, again, RUNNER_INITIAL_CREDIT, 300);
    for (size_t i = 0; i < RUNNER_INITIAL_CREDIT; i++) {
        assert_int_equal(again[i].seq, first[i + 4].seq);
        assert_int_equal(again[i].size, first[i + 4].size);
        assert_memory_equal(again[i].data, first[i + 4].data, again[i].size);
    }
    s_chunks_free(again, RUNNER_INITIAL_CREDIT);
    // the new sink credits the resent chunks: the output flows again, and
    // the log put together by seq is exactly what the task printed
    size_t cap = 16 << 20, len = 0;
    char *log = malloc(cap);
    uint64_t next = 0;
    for (size_t i = 0; i < RUNNER_INITIAL_CREDIT + 4; i++) {
        memcpy(log + len, first[i].data, first[i].size);
        len += first[i].size;
        next = first[i].seq + 1;
    }
    s_chunks_free(first, RUNNER_INITIAL_CREDIT + 4);
    s_credit(&f, RUNNER_INITIAL_CREDIT);
    char status[32] = "";
    uint64_t finished_ms = 0;
    while (!*status) {
        assert_true(fake_broker_recv(&f, &m, 20000, false));
        if (m.type == PK_MSG_LOG) {
            assert_int_equal(m.log.seq, next);
            next++;
            assert_true(len + m.log.data.size <= cap);
            memcpy(log + len, m.log.data.data, m.log.data.size);
            len += m.log.data.size;
            s_credit(&f, 1);
        }
        else
        if (m.type == PK_MSG_DONE) {
            snprintf(status, sizeof status, "%s", m.done.status);
            finished_ms = m.done.finished_ms;
        }
        pk_msg_clear(&m);
    }
    assert_string_equal(status, "succeeded");
    // what `seq 1 1000000` prints (more than a window of 64 KiB chunks)
    size_t want_len = 0;
    for (int i = 1; i <= 1000000; i++)
        want_len += (size_t) snprintf(NULL, 0, "%d\n", i);
    assert_int_equal(len, want_len);
    size_t at = 0;
    for (int i = 1; i <= 1000000; i++) {
        char line[16];
        int n = snprintf(line, sizeof line, "%d\n", i);
        if (memcmp(log + at, line, (size_t) n))
            fail_msg("the log differs at line %d", i);
        at += (size_t) n;
    }
    free(log);
    // a DONE can be lost with a dying server too: it comes again, and the
    // finished build is no longer held
    s_disconnect(&f);
    assert_true(s_expect(&f, PK_MSG_READY, &m, 5000));
    assert_int_equal(m.ready.holding.count, 0);
    pk_msg_clear(&m);
    assert_true(s_expect(&f, PK_MSG_DONE, &m, 5000));
    assert_string_equal(m.done.id, ID);
    assert_string_equal(m.done.status, "succeeded");
    assert_int_equal(m.done.finished_ms, finished_ms);
    pk_msg_clear(&m);
    fake_broker_stop(&f);
}

// A sink crediting more than was sent (a retransmit and its original) does
// not let more than RUNNER_INITIAL_CREDIT chunks be in flight.
static void
test_credit_counts_against_the_window(void **state)
{
    (void) state;
    fake_broker_t f;
    s_start(&f, "clamp");
    chunk_t c[RUNNER_INITIAL_CREDIT];
    s_logs(&f, c, RUNNER_INITIAL_CREDIT, 300);
    s_chunks_free(c, RUNNER_INITIAL_CREDIT);
    s_credit(&f, 100);
    s_logs(&f, c, RUNNER_INITIAL_CREDIT, 500);
    assert_int_equal(c[0].seq, RUNNER_INITIAL_CREDIT);
    s_chunks_free(c, RUNNER_INITIAL_CREDIT);
    // cancel the stalled task, crediting what is left like a sink would
    pk_msg_t m = { .type = PK_MSG_CANCEL };
    m.cancel.id = ID;
    m.cancel.attempt = 1;
    m.cancel.reason = "enough";
    fake_broker_send(&f, &m);
    s_credit(&f, 2 * RUNNER_INITIAL_CREDIT);
    for (bool done = false; !done; ) {
        assert_true(fake_broker_recv(&f, &m, 10000, false));
        if (m.type == PK_MSG_LOG)
            s_credit(&f, 1);
        done = m.type == PK_MSG_DONE;
        if (done)
            assert_string_equal(m.done.status, "cancelled");
        pk_msg_clear(&m);
    }
    fake_broker_stop(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resync_resends_what_was_not_confirmed),
        cmocka_unit_test(test_credit_counts_against_the_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
