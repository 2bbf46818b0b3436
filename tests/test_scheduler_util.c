// test_scheduler_util: see test_scheduler_util.h.
#include "test_scheduler_util.h"
#include "pk_broker.h"
#include "pk_value_msgpack.h"
#include <inttypes.h>
#include <string.h>

const char *TPIPELINE =
    "resource \"git\" \"app\" {\n"
    "  params {\n    url = \"file:///nonexistent/app.git\"\n  }\n"
    "  check_interval = \"@every 1h\"\n"
    "}\n"
    "resource \"git\" \"lib\" {\n"
    "  params {\n    url = \"file:///nonexistent/lib.git\"\n  }\n"
    "  check_interval = \"@every 1h\"\n"
    "}\n"
    "job \"one\" {\n"
    "  concurrency = 1\n"
    "  get \"git\" \"app\" {\n    trigger = true\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"a\" {\n"
    "  serial_groups = [\"g\"]\n"
    "  get \"git\" \"lib\" {\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"b\" {\n"
    "  serial_groups = [\"g\", \"h\"]\n"
    "  get \"git\" \"lib\" {\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"gate\" {\n"
    "  approve \"ship it\" {\n    approvals = 2\n  }\n"
    "  get \"git\" \"app\" {\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"inp\" {\n"
    "  input \"env\" {\n    type = \"string\"\n    default = \"staging\"\n"
    "    options = [\"staging\", \"production\"]\n  }\n"
    "  input \"count\" {\n    type = \"number\"\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"echo $INPUT_ENV $INPUT_COUNT\"\n    }\n  }\n"
    "}\n"
    "job \"intr\" {\n"
    "  interruptible = true\n"
    "  get \"git\" \"app\" {\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"soft\" {\n"
    "  allow_failure = true\n"
    "  get \"git\" \"lib\" {\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"false\"\n    }\n  }\n"
    "}\n"
    "job \"after\" {\n"
    "  get \"git\" \"lib\" {\n    trigger = true\n    passed = [\"soft\"]\n  }\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n"
    "job \"fixed\" {\n"
    "  disable_retry = true\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n"
    "}\n";

static zsock_t *
s_dealer(tenv_t *e, const char *name, const char *role)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    assert_non_null(s);
    zsock_set_rcvhwm(s, 0);
    assert_int_equal(zsock_connect(s, "%s", e->endpoint), 0);
    if (!strcmp(role, "runner")) {
        pk_msg_t r = { .type = PK_MSG_READY };
        r.ready.name = (char *) name;
        r.ready.slots = 16;
        assert_int_equal(pk_msg_send(zsock_resolve(s), &r), 0);
    }
    else {
        pk_msg_t h = { .type = PK_MSG_HELLO };
        h.hello.name = (char *) name;
        h.hello.role = (char *) role;
        assert_int_equal(pk_msg_send(zsock_resolve(s), &h), 0);
    }
    return s;
}

static void
s_start_scheduler(tenv_t *e)
{
    pk_scheduler_config_t cfg = { .endpoint = e->endpoint, .store = e->store };
    e->scheduler = pk_scheduler_new(&cfg);
    assert_non_null(e->scheduler);
    tsync(e);
}

tenv_t *
tenv_start(pk_store_t *store)
{
    static int n;
    tenv_t *e = calloc(1, sizeof(*e));
    e->events = zlist_new();
    zlist_autofree(e->events);
    snprintf(e->endpoint, sizeof e->endpoint, "inproc://pk-test-sched-q-%d-%d", getpid(), ++n);
    pk_broker_config_t bcfg = { .inproc = e->endpoint, .heartbeat_timeout_ms = 600000 };
    e->broker = pk_broker_new(&bcfg);
    assert_non_null(e->broker);
    char *err = NULL;
    e->store = store ? store : pk_store_open("mem", NULL, &err);
    assert_non_null(e->store);
    e->builds = pk_builds_new(e->store, &err);
    e->versions = pk_versions_new(e->store, &err);
    assert_non_null(e->builds);
    assert_non_null(e->versions);
    e->ctl = s_dealer(e, "control", "control");
    pk_msg_t r = { .type = PK_MSG_REQUEST };
    r.request.rid = 1;
    r.request.op = strdup("subscribe");
    pk_kv_set(&r.request.args, "prefix", "");
    assert_int_equal(pk_msg_send(zsock_resolve(e->ctl), &r), 0);
    pk_msg_clear(&r);
    zsock_set_rcvtimeo(e->ctl, 5000);
    zmsg_t *z = zmsg_recv(e->ctl);      // the subscription's REPLY
    assert_non_null(z);
    zmsg_destroy(&z);
    e->runner = s_dealer(e, "fake", "runner");
    e->checker = s_dealer(e, "checker", "checker");
    s_start_scheduler(e);
    return e;
}

void
tenv_restart_scheduler(tenv_t *e)
{
    zactor_destroy(&e->scheduler);
    s_start_scheduler(e);
}

void
tenv_stop(tenv_t *e, bool keep_store)
{
    zactor_destroy(&e->scheduler);
    zsock_destroy(&e->ctl);
    zsock_destroy(&e->runner);
    zsock_destroy(&e->checker);
    zactor_destroy(&e->broker);
    zlist_destroy(&e->events);
    pk_builds_destroy(&e->builds);
    pk_versions_destroy(&e->versions);
    if (!keep_store)
        pk_store_close(&e->store);
    free(e);
}

// --- commands

static void
s_keep_event(tenv_t *e, const pk_msg_t *m)
{
    pk_value_t *body = pk_value_unpack(m->event.body.data, m->event.body.size);
    char *json = body ? pk_value_to_json(body) : strdup("null");
    char *item = NULL;
    if (asprintf(&item, "%s\n%s", m->event.topic, json) >= 0)
        zlist_append(e->events, item);
    free(item);
    free(json);
    pk_value_destroy(&body);
}

static treply_t
s_vop(tenv_t *e, const char *what, const pk_value_t *body, va_list ap)
{
    char ref[24];
    snprintf(ref, sizeof ref, "%" PRIu64, ++e->ref);
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup("scheduler");
    m.signal.what = strdup(what);
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *))
        pk_kv_set(&m.signal.args, k, va_arg(ap, const char *));
    pk_kv_set(&m.signal.args, "ref", ref);
    if (body)
        pk_value_pack_bytes(body, &m.signal.body.data, &m.signal.body.size);
    assert_int_equal(pk_msg_send(zsock_resolve(e->ctl), &m), 0);
    pk_msg_clear(&m);
    int64_t end = zclock_mono() + 10000;
    treply_t r = { 0 };
    while (zclock_mono() < end) {
        zsock_set_rcvtimeo(e->ctl, (int) (end - zclock_mono()));
        zmsg_t *z = zmsg_recv(e->ctl);
        if (!z)
            break;
        int rc = pk_msg_from_zmsg(z, &m, NULL, 0);
        zmsg_destroy(&z);
        if (rc != 0)
            continue;
        bool mine = m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "reply")
                 && pk_kv_get(&m.signal.args, "ref") && !strcmp(pk_kv_get(&m.signal.args, "ref"), ref);
        if (mine) {
            const char *ok = pk_kv_get(&m.signal.args, "ok"), *err = pk_kv_get(&m.signal.args, "error");
            r.ok = ok && !strcmp(ok, "1");
            r.error = err ? strdup(err) : NULL;
            r.body = m.signal.body.size ? pk_value_unpack(m.signal.body.data, m.signal.body.size)
                                        : NULL;
        }
        else
        if (m.type == PK_MSG_EVENT)
            s_keep_event(e, &m);
        pk_msg_clear(&m);
        if (mine)
            return r;
    }
    fail_msg("no reply to %s", what);
    return r;
}

treply_t
top(tenv_t *e, const char *what, const pk_value_t *body, ...)
{
    va_list ap;
    va_start(ap, body);
    treply_t r = s_vop(e, what, body, ap);
    va_end(ap);
    return r;
}

void
treply_clear(treply_t *r)
{
    free(r->error);
    pk_value_destroy(&r->body);
}

const char *
tok(tenv_t *e, const char *what, const char *field, ...)
{
    static char out[128];
    va_list ap;
    va_start(ap, field);
    treply_t r = s_vop(e, what, NULL, ap);
    va_end(ap);
    if (!r.ok)
        fail_msg("%s refused: %s", what, r.error ? r.error : "?");
    const pk_value_t *v = field ? pk_value_object_get(r.body, field) : NULL;
    snprintf(out, sizeof out, "%s", v && pk_value_kind(v) == PK_V_STRING ? pk_value_string(v) : "");
    treply_clear(&r);
    return out;
}

void
tset(tenv_t *e, const char *source)
{
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(source));
    treply_t r = top(e, "pipeline.set", body, "pipeline", "p", NULL);
    pk_value_destroy(&body);
    if (!r.ok)
        fail_msg("pipeline.set refused: %s", r.error ? r.error : "?");
    treply_clear(&r);
}

void
tsync(tenv_t *e)
{
    treply_t r = top(e, "job.pause", NULL, "pipeline", "no-such-pipeline", "job", "x", NULL);
    assert_false(r.ok);
    treply_clear(&r);
}

uint64_t
tversion(tenv_t *e, const char *resource, const char *ref, bool announce)
{
    char json[128];
    snprintf(json, sizeof json, "[{\"ref\":\"%s\"}]", ref);
    pk_value_t *list = pk_value_from_json(json, strlen(json), NULL);
    uint8_t *data;
    size_t size;
    pk_value_pack_bytes(list, &data, &size);
    pk_value_destroy(&list);
    pk_check_result_t res = { .pipeline = "p", .resource = resource, .versions = data,
                              .versions_size = size, .checked_ms = zclock_time() };
    assert_int_equal(pk_versions_record(e->versions, &res, 1), 0);
    free(data);
    pk_version_clear(&res.current);
    assert_true(res.last_new > 0);
    if (announce) {
        char id[24];
        snprintf(id, sizeof id, "%" PRIu64, res.last_new);
        pk_msg_t m = { .type = PK_MSG_SIGNAL };
        m.signal.to = strdup("scheduler");
        m.signal.what = strdup("versions.new");
        pk_kv_set(&m.signal.args, "pipeline", "p");
        pk_kv_set(&m.signal.args, "resource", resource);
        pk_kv_set(&m.signal.args, "first_id", id);
        pk_kv_set(&m.signal.args, "last_id", id);
        assert_int_equal(pk_msg_send(zsock_resolve(e->ctl), &m), 0);
        pk_msg_clear(&m);
        tsync(e);
    }
    return res.last_new;
}

// --- the fake runner

bool
twork(tenv_t *e, pk_msg_t *m, pk_msg_type_t type, int ms)
{
    int64_t end = zclock_mono() + ms;
    do {
        zsock_set_rcvtimeo(e->runner, (int) (end > zclock_mono() ? end - zclock_mono() : 0));
        zmsg_t *z = zmsg_recv(e->runner);
        if (!z)
            return false;
        int rc = pk_msg_from_zmsg(z, m, NULL, 0);
        zmsg_destroy(&z);
        if (rc == 0 && m->type == type)
            return true;
        if (rc == 0)
            pk_msg_clear(m);
    } while (zclock_mono() < end);
    return false;
}

void
tstart(tenv_t *e, const char *id, pk_value_t **plan_out)
{
    pk_msg_t m;
    if (!twork(e, &m, PK_MSG_WORK, 5000))
        fail_msg("no WORK for %s", id);
    assert_string_equal(m.work.id, id);
    if (plan_out)
        *plan_out = pk_value_unpack(m.work.plan.data, m.work.plan.size);
    uint32_t attempt = m.work.attempt;
    pk_msg_clear(&m);
    treport(e, PK_MSG_STARTED, id, attempt, NULL);
}

void
tsend_report(tenv_t *e, pk_msg_type_t type, const char *id, uint32_t attempt, uint32_t step,
             const char *status)
{
    pk_msg_t m = { .type = type };
    if (type == PK_MSG_STARTED) {
        m.started.id = strdup(id);
        m.started.attempt = attempt;
        m.started.worker = strdup("fake");
        m.started.started_ms = (uint64_t) zclock_time();
    }
    else
    if (type == PK_MSG_STEP) {
        m.step.id = strdup(id);
        m.step.attempt = attempt;
        m.step.step = step;
        m.step.kind = strdup("task");
        m.step.name = strdup("t");
        m.step.status = strdup(status);
        m.step.exit_code = !strcmp(status, "failed");
        m.step.started_ms = (uint64_t) zclock_time();
        if (strcmp(status, "started"))
            m.step.finished_ms = (uint64_t) zclock_time();
    }
    else {
        m.done.id = strdup(id);
        m.done.attempt = attempt;
        m.done.status = strdup(status);
        m.done.finished_ms = (uint64_t) zclock_time();
    }
    assert_int_equal(pk_msg_send(zsock_resolve(e->runner), &m), 0);
    pk_msg_clear(&m);
}

void
treport(tenv_t *e, pk_msg_type_t type, const char *id, uint32_t attempt, const char *status)
{
    tsend_report(e, type, id, attempt, 1, status);
    // two round trips: the broker reads its peers in turn, so by the second
    // the report (sent first, by another peer) has reached the scheduler
    tsync(e);
    tsync(e);
}

pk_value_t *
tevent(tenv_t *e, const char *topic, int ms)
{
    for (char *item = zlist_first(e->events); item; item = zlist_next(e->events)) {
        char *nl = strchr(item, '\n');
        if (nl && (size_t) (nl - item) == strlen(topic) && !strncmp(item, topic, strlen(topic))) {
            pk_value_t *body = pk_value_from_json(nl + 1, strlen(nl + 1), NULL);
            zlist_remove(e->events, item);      // autofree
            return body;
        }
    }
    int64_t end = zclock_mono() + ms;
    while (zclock_mono() < end) {
        zsock_set_rcvtimeo(e->ctl, (int) (end - zclock_mono()));
        zmsg_t *z = zmsg_recv(e->ctl);
        if (!z)
            break;
        pk_msg_t m;
        int rc = pk_msg_from_zmsg(z, &m, NULL, 0);
        zmsg_destroy(&z);
        if (rc != 0)
            continue;
        pk_value_t *body = NULL;
        if (m.type == PK_MSG_EVENT && !strcmp(m.event.topic, topic))
            body = pk_value_unpack(m.event.body.data, m.event.body.size);
        pk_msg_clear(&m);
        if (body)
            return body;
    }
    return NULL;
}

// --- the store

pk_build_t
tbuild(tenv_t *e, const char *job, const char *number)
{
    uint64_t n;
    uint32_t r;
    assert_int_equal(pk_build_number_parse(number, &n, &r), 0);
    pk_build_t b;
    if (pk_builds_get(e->builds, NULL, "p", job, n, r, &b) != 0)
        memset(&b, 0, sizeof b);
    return b;
}

const char *
tstatus(tenv_t *e, const char *job, const char *number)
{
    static char status[32];
    pk_build_t b = tbuild(e, job, number);
    snprintf(status, sizeof status, "%s", b.status ? b.status : "");
    pk_build_clear(&b);
    return status;
}

bool
tdispatched(tenv_t *e, const char *job, const char *number)
{
    pk_build_t b = tbuild(e, job, number);
    bool d = b.dispatched;
    pk_build_clear(&b);
    return d;
}

size_t
tcount(tenv_t *e, const char *job)
{
    pk_build_t *bs;
    size_t n;
    assert_int_equal(pk_builds_list(e->builds, NULL, "p", job, 0, &bs, &n), 0);
    pk_builds_list_free(&bs, n);
    return n;
}
