// fake_broker: see fake_broker.h.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_broker.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"

void
fake_broker_start(fake_broker_t *f, const char *bind, pk_runner_config_t cfg,
                  pk_msg_t *ready)
{
    memset(f, 0, sizeof(*f));
    f->router = zsock_new(ZMQ_ROUTER);
    assert_true(zsock_bind(f->router, "%s", bind) >= 0);
    char *ep = zsock_last_endpoint(f->router);
    snprintf(f->endpoint, sizeof f->endpoint, "%s", ep);
    zstr_free(&ep);
    cfg.endpoint = f->endpoint;
    f->runner = pk_runner_new(&cfg);
    assert_non_null(f->runner);
    pk_msg_t m;
    assert_true(fake_broker_recv(f, &m, 5000, false));
    assert_int_equal(m.type, PK_MSG_READY);
    if (ready)
        *ready = m;
    else
        pk_msg_clear(&m);
}

bool
fake_broker_recv(fake_broker_t *f, pk_msg_t *m, int timeout_ms, bool want_heartbeats)
{
    int64_t end = zclock_mono() + timeout_ms;
    while (zclock_mono() < end) {
        zsock_set_rcvtimeo(f->router, (int) (end - zclock_mono()));
        zmsg_t *z = zmsg_recv(f->router);
        if (!z)
            return false;
        zframe_t *id = zmsg_pop(z);
        if (!f->peer)
            f->peer = zframe_dup(id);
        zframe_destroy(&id);
        char err[256];
        if (pk_msg_from_zmsg(z, m, err, sizeof err) != 0)
            fail_msg("a malformed message from the runner: %s", err);
        zmsg_destroy(&z);
        if (m->type == PK_MSG_HEARTBEAT && !want_heartbeats) {
            pk_msg_clear(m);
            continue;
        }
        return true;
    }
    return false;
}

void
fake_broker_send(fake_broker_t *f, const pk_msg_t *m)
{
    zmsg_t *z = pk_msg_to_zmsg(m);
    assert_non_null(z);
    zmsg_pushmem(z, zframe_data(f->peer), zframe_size(f->peer));
    assert_int_equal(zmsg_send(&z, f->router), 0);
}

void
fake_broker_work(fake_broker_t *f, const char *id, const char *kind, const char *plan_json)
{
    char *err = NULL;
    pk_value_t *plan = pk_value_from_json(plan_json, strlen(plan_json), &err);
    if (!plan)
        fail_msg("bad plan %s: %s", plan_json, err ? err : "");
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = (char *) id;
    m.work.attempt = 1;
    m.work.kind = (char *) kind;
    pk_value_pack_bytes(plan, &m.work.plan.data, &m.work.plan.size);
    fake_broker_send(f, &m);
    free(m.work.plan.data);
    pk_value_destroy(&plan);
}

char *
fake_broker_until_done(fake_broker_t *f, const char *id, char *status, size_t status_len)
{
    char *log = calloc(1, 1);
    size_t len = 0;
    for (;;) {
        pk_msg_t m;
        if (!fake_broker_recv(f, &m, 20000, false))
            fail_msg("no DONE for %s; log so far:\n%s", id, log);
        if (m.type == PK_MSG_LOG && !strcmp(m.log.id, id)) {
            log = realloc(log, len + m.log.data.size + 1);
            memcpy(log + len, m.log.data.data, m.log.data.size);
            len += m.log.data.size;
            log[len] = 0;
            pk_msg_t c = { .type = PK_MSG_CREDIT };
            c.credit.id = m.log.id;
            c.credit.attempt = m.log.attempt;
            c.credit.credits = 1;
            fake_broker_send(f, &c);
        }
        bool done = m.type == PK_MSG_DONE && !strcmp(m.done.id, id);
        if (done) {
            snprintf(status, status_len, "%s", m.done.status);
            snprintf(f->done_reason, sizeof f->done_reason, "%s",
                     m.done.reason ? m.done.reason : "");
        }
        pk_msg_clear(&m);
        if (done)
            return log;
    }
}

void
fake_broker_stop(fake_broker_t *f)
{
    zactor_destroy(&f->runner);
    zframe_destroy(&f->peer);
    zsock_destroy(&f->router);
}
