// test_control: the control actor with a real broker (inproc for the actors,
// a tcp loopback port for the client), a real "mem" store and pk_client.
// Records are written straight into the store with the keyspaces' own
// writers (pk_builds, pk_versions, pk_logs), so every query is checked
// against what a reference reader of those keyspaces returns. Commands go
// to stand-in owners: DEALERs that say HELLO{role "scheduler"/"checker"}
// and answer (or, for the timeout path, do not answer) the SIGNALs.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "pk_broker.h"
#include "pk_builds.h"
#include "pk_checker.h"
#include "pk_client.h"
#include "pk_control.h"
#include "pk_logs.h"
#include "pk_msg.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"

#define TIMEOUT_MS 300          // the control's forward timeout in these tests

static const char *SRC =
    "resource \"cron\" \"tick\" {\n"
    "  check_interval = \"@every 1m\"\n"
    "}\n"
    "resource \"git\" \"app\" {\n"
    "  params {\n"
    "    url = \"https://example.org/app.git\"\n"
    "  }\n"
    "}\n"
    "job \"test\" {\n"
    "  get \"git\" \"app\" {\n"
    "    trigger = true\n"
    "  }\n"
    "  task \"unit\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"true\"\n"
    "    }\n"
    "  }\n"
    "}\n"
    "job \"deploy\" {\n"
    "  get \"git\" \"app\" {\n"
    "    passed = [\"test\"]\n"
    "  }\n"
    "  task \"ship\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"true\"\n"
    "    }\n"
    "  }\n"
    "}\n";

typedef struct {
    char ep[64];
    char *tcp;
    zactor_t *broker, *control;
    pk_store_t *store;
    pk_builds_t *builds;
    pk_client_t *client;
} fx_t;

// --- the world

static void
s_wait_connected(zactor_t *control)
{
    int64_t end = zclock_mono() + 10000;
    while (zclock_mono() < end) {
        zstr_send(control, "CONNECTED");
        char *r = zstr_recv(control);
        bool yes = r && !strcmp(r, "yes");
        zstr_free(&r);
        if (yes)
            return;
        zclock_sleep(5);
    }
    fail_msg("control never reached the broker");
}

static int
s_setup(void **state)
{
    static int n;
    fx_t *f = calloc(1, sizeof *f);
    snprintf(f->ep, sizeof f->ep, "inproc://pk-test-control-%d", ++n);
    pk_broker_config_t bc = { .inproc = f->ep, .listen = "tcp://127.0.0.1:*" };
    f->broker = pk_broker_new(&bc);
    assert_non_null(f->broker);
    zstr_send(f->broker, "ENDPOINT");
    f->tcp = zstr_recv(f->broker);
    assert_true(!strncmp(f->tcp, "tcp://127.0.0.1:", 16));
    char *err = NULL;
    f->store = pk_store_open("mem", NULL, &err);
    assert_non_null(f->store);
    f->builds = pk_builds_new(f->store, &err);
    assert_non_null(f->builds);
    assert_int_equal(pk_logs_init(f->store), 0);
    pk_control_config_t cc = { .endpoint = f->ep, .store = f->store,
                               .forward_timeout_ms = TIMEOUT_MS };
    f->control = pk_control_new(&cc);
    assert_non_null(f->control);
    s_wait_connected(f->control);
    f->client = pk_client_new(f->tcp, &err);
    assert_non_null(f->client);
    *state = f;
    return 0;
}

static int
s_teardown(void **state)
{
    fx_t *f = *state;
    pk_client_destroy(&f->client);
    zactor_destroy(&f->control);
    zactor_destroy(&f->broker);
    pk_builds_destroy(&f->builds);
    pk_store_close(&f->store);
    zstr_free(&f->tcp);
    free(f);
    return 0;
}

// --- records, written with the keyspaces' writers

static pk_store_txn_t *
s_write_begin(fx_t *f)
{
    pk_store_txn_t *txn = pk_store_begin(f->store, true);
    assert_non_null(txn);
    return txn;
}

static void
s_put_pipeline(fx_t *f, const char *name, const char *src, bool paused)
{
    pk_store_txn_t *txn = s_write_begin(f);
    pk_pipeline_rec_t rec = { .source = (char *) src, .set_ms = 1000, .version = 1,
                              .paused = paused };
    assert_int_equal(pk_builds_pipeline_put(f->builds, txn, name, &rec), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
}

static void
s_put_build(fx_t *f, const char *job, uint64_t number, uint32_t retry, const char *status,
            uint64_t app_version, const char *inputs_json)
{
    pk_store_txn_t *txn = s_write_begin(f);
    pk_build_t b = { .number = number, .retry = retry, .status = (char *) status,
                     .attempt = 1, .created_ms = 100 * (int64_t) number, .trigger = "manual" };
    if (app_version)
        pk_idmap_set(&b.versions, "git.app", app_version);
    pk_value_t *inputs = inputs_json ? pk_value_from_json(inputs_json, strlen(inputs_json), NULL)
                                     : NULL;
    if (inputs)
        pk_value_pack_bytes(inputs, &b.inputs, &b.inputs_size);
    assert_int_equal(pk_builds_put(f->builds, txn, "demo", job, &b), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    pk_idmap_clear(&b.versions);
    free(b.inputs);
    pk_value_destroy(&inputs);
}

static void
s_put_world(fx_t *f)
{
    s_put_pipeline(f, "demo", SRC, false);
    s_put_pipeline(f, "other", "job \"solo\" {\n  task \"t\" {\n    run \"shell\" {\n"
                   "      cmd = \"true\"\n    }\n  }\n}\n", true);
    pk_store_txn_t *txn = s_write_begin(f);
    pk_job_rec_t jt = { .next_number = 3 }, jd = { .next_number = 1, .paused = true };
    assert_int_equal(pk_builds_job_put(f->builds, txn, "demo", "test", &jt), 0);
    assert_int_equal(pk_builds_job_put(f->builds, txn, "demo", "deploy", &jd), 0);
    assert_int_equal(pk_builds_pin_put(f->builds, txn, "demo", "git.app", 2), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    s_put_build(f, "test", 1, 0, "succeeded", 1, NULL);
    s_put_build(f, "test", 2, 0, "failed", 2, NULL);
    s_put_build(f, "test", 2, 1, "started", 2, "{\"who\":\"x\"}");
    txn = s_write_begin(f);
    pk_build_step_t s0 = { .step = 0, .kind = "get", .name = "app", .status = "succeeded",
                           .started_ms = 5, .finished_ms = 6 };
    pk_build_step_t s1 = { .step = 1, .kind = "task", .name = "unit", .status = "started",
                           .started_ms = 7 };
    assert_int_equal(pk_builds_step_put(f->builds, txn, "demo", "test", 2, 1, &s0), 0);
    assert_int_equal(pk_builds_step_put(f->builds, txn, "demo", "test", 2, 1, &s1), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    // three versions of git.app, found by one check
    char *err = NULL;
    pk_versions_t *vs = pk_versions_new(f->store, &err);
    assert_non_null(vs);
    const char *json = "[{\"ref\":\"a\"},{\"ref\":\"b\"},{\"ref\":\"c\"}]";
    pk_value_t *list = pk_value_from_json(json, strlen(json), NULL);
    uint8_t *packed;
    size_t size;
    pk_value_pack_bytes(list, &packed, &size);
    pk_check_result_t res = { .pipeline = "demo", .resource = "git.app", .versions = packed,
                              .versions_size = size, .checked_ms = 2000, .next_check_ms = 62000 };
    assert_int_equal(pk_versions_record(vs, &res, 1), 0);
    assert_int_equal(res.last_new, 3);
    pk_version_clear(&res.current);
    free(packed);
    pk_value_destroy(&list);
    pk_versions_destroy(&vs);
}

// --- requests

// op with NULL-terminated key/value pairs: the client's return code; the
// body (unpacked) in *out, the error in *err (both may be NULL).
static int
s_req(fx_t *f, const char *op, pk_value_t **out, char **err, ...)
{
    pk_kv_t args = { 0 };
    va_list ap;
    va_start(ap, err);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        pk_kv_set(&args, k, v);
    }
    va_end(ap);
    uint8_t *body = NULL;
    size_t size = 0;
    char *error = NULL;
    int rc = pk_client_request(f->client, op, &args, NULL, 0, 5000, &body, &size, &error);
    pk_kv_clear(&args);
    if (out)
        *out = body ? pk_value_unpack(body, size) : NULL;
    free(body);
    if (err)
        *err = error;
    else
        free(error);
    return rc;
}

static const pk_value_t *
s_get(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    if (!v)
        fail_msg("no \"%s\" in the reply", key);
    return v;
}

static const char *
s_gstr(const pk_value_t *o, const char *key)
{
    return pk_value_string(s_get(o, key));
}

static double
s_gnum(const pk_value_t *o, const char *key)
{
    return pk_value_number(s_get(o, key));
}

static void
s_expect_error(fx_t *f, const char *op, const char *needle, ...)
{
    pk_kv_t args = { 0 };
    va_list ap;
    va_start(ap, needle);
    const char *k;
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        pk_kv_set(&args, k, v);
    }
    va_end(ap);
    char *error = NULL;
    int rc = pk_client_request(f->client, op, &args, NULL, 0, 5000, NULL, NULL, &error);
    pk_kv_clear(&args);
    assert_int_equal(rc, 1);
    assert_non_null(error);
    bool found = strstr(error, needle) != NULL;
    if (!found)
        print_error("%s: expected \"%s\" in \"%s\"\n", op, needle, error);
    free(error);
    assert_true(found);
}

// --- queries

static void
test_pipelines_and_jobs(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    pk_value_t *v;
    assert_int_equal(s_req(f, "pipelines", &v, NULL, NULL), 0);
    assert_int_equal(pk_value_len(v), 2);
    const pk_value_t *demo = pk_value_list_at(v, 0), *other = pk_value_list_at(v, 1);
    assert_string_equal(s_gstr(demo, "name"), "demo");
    assert_int_equal(s_gnum(demo, "jobs"), 2);
    assert_int_equal(s_gnum(demo, "resources"), 2);
    assert_int_equal(s_gnum(demo, "version"), 1);
    assert_false(pk_value_bool(s_get(demo, "paused")));
    assert_string_equal(s_gstr(other, "name"), "other");
    assert_true(pk_value_bool(s_get(other, "paused")));
    pk_value_destroy(&v);

    assert_int_equal(s_req(f, "pipeline.get", &v, NULL, "pipeline", "demo", NULL), 0);
    assert_string_equal(s_gstr(v, "source"), SRC);
    assert_int_equal(pk_value_kind(s_get(v, "vars")), PK_V_NULL);
    pk_value_destroy(&v);

    assert_int_equal(s_req(f, "jobs", &v, NULL, "pipeline", "demo", NULL), 0);
    assert_int_equal(pk_value_len(v), 2);
    const pk_value_t *test = pk_value_list_at(v, 0), *deploy = pk_value_list_at(v, 1);
    assert_string_equal(s_gstr(test, "name"), "test");         // file order
    assert_false(pk_value_bool(s_get(test, "paused")));
    assert_string_equal(s_gstr(s_get(test, "latest"), "number"), "2.1");
    assert_string_equal(s_gstr(deploy, "name"), "deploy");
    assert_true(pk_value_bool(s_get(deploy, "paused")));
    assert_int_equal(pk_value_kind(s_get(deploy, "latest")), PK_V_NULL);
    pk_value_destroy(&v);

    s_expect_error(f, "pipeline.get", "no pipeline \"dmeo\" (did you mean \"demo\"?)",
                   "pipeline", "dmeo", NULL);
    s_expect_error(f, "jobs", "\"pipeline\" is missing", NULL);
    s_expect_error(f, "builds", "no job \"tset\" in pipeline \"demo\" (did you mean \"test\"?)",
                   "pipeline", "demo", "job", "tset", NULL);
}

static void
test_builds(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    pk_value_t *v;
    assert_int_equal(s_req(f, "builds", &v, NULL, "pipeline", "demo", "job", "test", NULL), 0);
    // the reference: pk_builds_list's own order, newest first
    pk_build_t *items;
    size_t n;
    assert_int_equal(pk_builds_list(f->builds, NULL, "demo", "test", 0, &items, &n), 0);
    assert_int_equal(pk_value_len(v), n);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        const pk_value_t *b = pk_value_list_at(v, i);
        char *num = pk_build_number_str(items[i].number, items[i].retry);
        assert_string_equal(s_gstr(b, "number"), num);
        assert_string_equal(s_gstr(b, "status"), items[i].status);
        assert_string_equal(s_gstr(b, "job"), "test");
        free(num);
    }
    assert_string_equal(s_gstr(pk_value_list_at(v, 0), "number"), "2.1");
    pk_builds_list_free(&items, n);
    pk_value_destroy(&v);

    assert_int_equal(s_req(f, "builds", &v, NULL, "pipeline", "demo", "job", "test",
                           "limit", "1", NULL), 0);
    assert_int_equal(pk_value_len(v), 1);
    pk_value_destroy(&v);

    // the log sink's record of where each step wrote: the get 4 bytes, then unit 5
    pk_store_txn_t *txn = s_write_begin(f);
    pk_log_chunk_t c[2] = {
        { .id = "build:demo/test/2.1", .attempt = 1, .step = 0, .seq = 0, .data = "get\n",
          .size = 4 },
        { .id = "build:demo/test/2.1", .attempt = 1, .step = 1, .seq = 1, .data = "unit\n",
          .size = 5 },
    };
    assert_int_equal(pk_logs_append(f->store, txn, c, 2), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
    assert_int_equal(s_req(f, "build", &v, NULL, "pipeline", "demo", "job", "test",
                           "number", "2.1", NULL), 0);
    assert_string_equal(s_gstr(v, "status"), "started");
    assert_string_equal(s_gstr(s_get(s_get(v, "versions"), "git.app"), "ref"), "b");
    assert_string_equal(s_gstr(s_get(v, "inputs"), "who"), "x");
    const pk_value_t *steps = s_get(v, "steps");
    assert_int_equal(pk_value_len(steps), 2);
    assert_string_equal(s_gstr(pk_value_list_at(steps, 0), "kind"), "get");
    assert_string_equal(s_gstr(pk_value_list_at(steps, 1), "name"), "unit");
    assert_int_equal(s_gnum(pk_value_list_at(steps, 0), "finished_ms"), 6);
    assert_int_equal(s_gnum(pk_value_list_at(steps, 0), "log_from"), 0);
    assert_int_equal(s_gnum(pk_value_list_at(steps, 0), "log_to"), 4);
    assert_int_equal(s_gnum(pk_value_list_at(steps, 1), "log_from"), 4);
    assert_int_equal(s_gnum(pk_value_list_at(steps, 1), "log_to"), 9);
    pk_value_destroy(&v);
    // a build whose steps wrote nothing has no ranges
    assert_int_equal(s_req(f, "build", &v, NULL, "pipeline", "demo", "job", "test",
                           "number", "1", NULL), 0);
    for (size_t i = 0; i < pk_value_len(s_get(v, "steps")); i++)
        assert_null(pk_value_object_get(pk_value_list_at(s_get(v, "steps"), i), "log_from"));
    pk_value_destroy(&v);

    s_expect_error(f, "build", "no build 9 of job \"demo/test\"", "pipeline", "demo",
                   "job", "test", "number", "9", NULL);
    s_expect_error(f, "build", "\"x1\" is not a build number", "pipeline", "demo",
                   "job", "test", "number", "x1", NULL);
    s_expect_error(f, "build", "\"number\" is missing", "pipeline", "demo", "job", "test",
                   NULL);
    s_expect_error(f, "builds", "\"-3\" is not a valid limit", "pipeline", "demo",
                   "job", "test", "limit", "-3", NULL);
}

static void
test_resources_and_versions(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    pk_value_t *v;
    assert_int_equal(s_req(f, "resources", &v, NULL, "pipeline", "demo", NULL), 0);
    assert_int_equal(pk_value_len(v), 2);
    const pk_value_t *tick = pk_value_list_at(v, 0), *app = pk_value_list_at(v, 1);
    assert_string_equal(s_gstr(tick, "name"), "cron.tick");
    assert_int_equal(pk_value_kind(s_get(tick, "pinned")), PK_V_NULL);
    assert_int_equal(s_gnum(tick, "last_id"), 0);
    assert_string_equal(s_gstr(app, "name"), "git.app");
    assert_string_equal(s_gstr(app, "type"), "git");
    assert_int_equal(s_gnum(app, "pinned"), 2);
    assert_int_equal(s_gnum(app, "last_id"), 3);
    assert_int_equal(s_gnum(app, "last_check_ms"), 2000);
    pk_value_destroy(&v);

    // the bare name works when it is unique; newest first, the pin marked
    assert_int_equal(s_req(f, "versions", &v, NULL, "pipeline", "demo", "resource", "app", NULL),
                     0);
    assert_int_equal(pk_value_len(v), 3);
    const char *refs[] = { "c", "b", "a" };
    for (size_t i = 0; i < 3; i++) {
        const pk_value_t *e = pk_value_list_at(v, i);
        assert_int_equal(s_gnum(e, "id"), 3 - i);
        assert_string_equal(s_gstr(s_get(e, "version"), "ref"), refs[i]);
        assert_int_equal(pk_value_bool(s_get(e, "pinned")), i == 1);
    }
    pk_value_destroy(&v);
    assert_int_equal(s_req(f, "versions", &v, NULL, "pipeline", "demo", "resource", "git.app",
                           "limit", "2", NULL), 0);
    assert_int_equal(pk_value_len(v), 2);
    pk_value_destroy(&v);
    s_expect_error(f, "versions",
                   "no resource \"ap\" in pipeline \"demo\" (did you mean \"git.app\"?)",
                   "pipeline", "demo", "resource", "ap", NULL);
}

// A log of several MiB, stored in 64 KiB chunks of every byte value, comes
// back byte-exact through ranged reads, from 0 and from odd offsets.
static void
test_log_ranges(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    const size_t total = 5 * 1024 * 1024 + 12345, chunk = 64 * 1024;
    uint8_t *log = malloc(total);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < total; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        log[i] = (uint8_t) x;
    }
    pk_store_txn_t *txn = s_write_begin(f);
    uint64_t seq = 0;
    for (size_t at = 0; at < total; at += chunk) {
        pk_log_chunk_t c = { .id = "build:demo/test/2.1", .attempt = 1, .seq = seq++,
                             .data = log + at, .size = total - at < chunk ? total - at : chunk };
        assert_int_equal(pk_logs_append(f->store, txn, &c, 1), 0);
    }
    assert_int_equal(pk_store_commit(&txn), 0);

    const uint64_t starts[] = { 0, 1, 65535, 3 * 1024 * 1024 + 7 };
    for (size_t s = 0; s < sizeof starts / sizeof starts[0]; s++) {
        uint64_t offset = starts[s];
        size_t got = 0, rounds = 0;
        bool finished = false;
        while (!finished && rounds++ < 100) {
            char off[32];
            snprintf(off, sizeof off, "%llu", (unsigned long long) offset);
            // no number: the newest build (2.1); its status is "started"
            pk_kv_t args = { 0 };
            pk_kv_set(&args, "pipeline", "demo");
            pk_kv_set(&args, "job", "test");
            pk_kv_set(&args, "offset", off);
            uint8_t *body = NULL;
            size_t size = 0;
            assert_int_equal(pk_client_request(f->client, "logs", &args, NULL, 0, 5000, &body,
                                               &size, NULL), 0);
            pk_kv_clear(&args);
            // read with msgpack itself: data is bin, byte for byte
            msgpack_unpacked u;
            msgpack_unpacked_init(&u);
            assert_int_equal(msgpack_unpack_next(&u, (const char *) body, size, NULL),
                             MSGPACK_UNPACK_SUCCESS);
            uint64_t next = 0, lsize = 0, from = UINT64_MAX;
            const msgpack_object_map *m = &u.data.via.map;
            for (uint32_t i = 0; i < m->size; i++) {
                const msgpack_object *k = &m->ptr[i].key, *val = &m->ptr[i].val;
                if (!strncmp(k->via.str.ptr, "data", k->via.str.size)) {
                    assert_int_equal(val->type, MSGPACK_OBJECT_BIN);
                    assert_true(val->via.bin.size <= 1024 * 1024);
                    assert_memory_equal(val->via.bin.ptr, log + offset, val->via.bin.size);
                    got += val->via.bin.size;
                }
                else if (!strncmp(k->via.str.ptr, "next_offset", k->via.str.size))
                    next = val->via.u64;
                else if (!strncmp(k->via.str.ptr, "offset", k->via.str.size))
                    from = val->via.u64;
                else if (!strncmp(k->via.str.ptr, "size", k->via.str.size))
                    lsize = val->via.u64;
                else if (!strncmp(k->via.str.ptr, "finished", k->via.str.size))
                    finished = val->via.boolean;
            }
            assert_int_equal(from, offset);
            assert_int_equal(lsize, total);
            msgpack_unpacked_destroy(&u);
            free(body);
            if (next == offset)
                break;                  // at the end of a build still running
            offset = next;
        }
        assert_false(finished);         // "started": more may come
        assert_int_equal(offset, total);
        assert_int_equal(got, total - starts[s]);
    }
    // requests in flight together (pikoci logs reads so): the replies come
    // in the order asked, each its own piece; one past the end is empty
    const uint64_t ahead[] = { 7, 7 + (1u << 20), 7 + (2u << 20), total + 10 };
    uint64_t rids[4];
    for (size_t i = 0; i < 4; i++) {
        char off[32];
        snprintf(off, sizeof off, "%llu", (unsigned long long) ahead[i]);
        pk_kv_t args = { 0 };
        pk_kv_set(&args, "pipeline", "demo");
        pk_kv_set(&args, "job", "test");
        pk_kv_set(&args, "number", "2.1");
        pk_kv_set(&args, "offset", off);
        pk_kv_set(&args, "max", "1048576");
        assert_int_equal(pk_client_send(f->client, "logs", &args, NULL, 0, 5000, &rids[i]), 0);
        pk_kv_clear(&args);
    }
    for (size_t i = 0; i < 4; i++) {
        uint8_t *body = NULL;
        size_t size = 0;
        assert_int_equal(pk_client_reply(f->client, rids[i], 5000, &body, &size, NULL), 0);
        pk_value_t *v = pk_value_unpack(body, size);
        free(body);
        const pk_value_t *data = pk_value_object_get(v, "data");
        uint64_t from = (uint64_t) pk_value_number(pk_value_object_get(v, "offset"));
        size_t len = pk_value_len(data);
        assert_int_equal(from, ahead[i] < total ? ahead[i] : total);
        assert_int_equal(len, ahead[i] < total ? 1u << 20 : 0);
        if (len)
            assert_memory_equal(pk_value_string(data), log + from, len);
        pk_value_destroy(&v);
    }
    free(log);
    s_expect_error(f, "logs", "\"abc\" is not a valid offset", "pipeline", "demo", "job", "test",
                   "offset", "abc", NULL);
    s_expect_error(f, "logs", "job \"demo/deploy\" has no builds yet", "pipeline", "demo",
                   "job", "deploy", NULL);
}

static void
test_unknown_op_and_bad_args(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    s_expect_error(f, "pipelnes", "unknown op \"pipelnes\" (did you mean \"pipelines\"?)", NULL);
    s_expect_error(f, "frobnicate", "known ops: pipelines, pipeline.get", NULL);
    s_expect_error(f, "trigger", "trigger needs the argument \"job\"", "pipeline", "demo", NULL);
    s_expect_error(f, "cancel", "\"3.x\" is not a build number", "pipeline", "demo",
                   "job", "test", "number", "3.x", NULL);
    s_expect_error(f, "pin", "\"abc\" is not a version id", "pipeline", "demo",
                   "resource", "app", "version", "abc", NULL);
    s_expect_error(f, "pipeline.set", "cannot be a pipeline name", "pipeline", "../", NULL);
    s_expect_error(f, "pipeline.set", "needs a body", "pipeline", "ok", NULL);
    s_expect_error(f, "check", "no resource \"nope\" in pipeline \"demo\"", "pipeline", "demo",
                   "resource", "nope", NULL);
    // garbage straight to the broker's tcp port does not hurt control
    zsock_t *raw = zsock_new_dealer(f->tcp);
    zstr_sendm(raw, "REQUEST");
    zstr_send(raw, "\xc1not msgpack");
    zsock_destroy(&raw);
    pk_value_t *v;
    assert_int_equal(s_req(f, "pipelines", &v, NULL, NULL), 0);
    pk_value_destroy(&v);
}

// --- commands, through a stand-in owner

static zsock_t *
s_owner(fx_t *f, const char *role)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(s, "%s", f->ep), 0);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = (char *) role;
    h.hello.role = (char *) role;
    assert_int_equal(pk_msg_send(s, &h), 0);
    // the broker answers this itself, after our HELLO: then the role is known
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 1;
    q.request.op = "broker.pending";
    assert_int_equal(pk_msg_send(s, &q), 0);
    zsock_set_rcvtimeo(s, 5000);
    zmsg_t *z = zmsg_recv(s);
    assert_non_null(z);
    zmsg_destroy(&z);
    return s;
}

static void
s_expect_signal(zsock_t *owner, const char *what, pk_msg_t *m)
{
    zsock_set_rcvtimeo(owner, 5000);
    zmsg_t *z = zmsg_recv(owner);
    assert_non_null(z);
    assert_int_equal(pk_msg_from_zmsg(z, m, NULL, 0), 0);
    zmsg_destroy(&z);
    assert_int_equal(m->type, PK_MSG_SIGNAL);
    assert_string_equal(m->signal.what, what);
    assert_non_null(pk_kv_get(&m->signal.args, "ref"));
}

static void
s_answer(zsock_t *owner, const char *ref, bool ok, const char *error, const char *body_json)
{
    pk_msg_t r = { .type = PK_MSG_SIGNAL };
    r.signal.to = "control";
    r.signal.what = "reply";
    pk_kv_set(&r.signal.args, "ref", ref);
    pk_kv_set(&r.signal.args, "ok", ok ? "1" : "0");
    if (error)
        pk_kv_set(&r.signal.args, "error", error);
    pk_value_t *body = body_json ? pk_value_from_json(body_json, strlen(body_json), NULL) : NULL;
    if (body)
        pk_value_pack_bytes(body, &r.signal.body.data, &r.signal.body.size);
    assert_int_equal(pk_msg_send(owner, &r), 0);
    r.signal.to = r.signal.what = NULL;
    pk_msg_clear(&r);
    pk_value_destroy(&body);
}

static void
test_forward_answered(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    zsock_t *sched = s_owner(f, "scheduler");
    // pk_client blocks in a request, and the owner answers from this same
    // thread: so this client is a plain DEALER sending REQUESTs by hand
    zsock_t *cl = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(cl, "%s", f->ep), 0);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 41;
    q.request.op = "trigger";
    pk_kv_set(&q.request.args, "pipeline", "demo");
    pk_kv_set(&q.request.args, "job", "test");
    const char *inputs = "{\"inputs\":{\"who\":\"y\"}}";
    pk_value_t *body = pk_value_from_json(inputs, strlen(inputs), NULL);
    pk_value_pack_bytes(body, &q.request.body.data, &q.request.body.size);
    assert_int_equal(pk_msg_send(cl, &q), 0);

    pk_msg_t m;
    s_expect_signal(sched, "trigger", &m);
    assert_string_equal(pk_kv_get(&m.signal.args, "pipeline"), "demo");
    assert_string_equal(pk_kv_get(&m.signal.args, "job"), "test");
    pk_value_t *fwd = pk_value_unpack(m.signal.body.data, m.signal.body.size);
    assert_true(pk_value_equal(fwd, body));                 // the body goes as it came
    pk_value_destroy(&fwd);
    s_answer(sched, pk_kv_get(&m.signal.args, "ref"), true, NULL,
             "{\"number\":\"4\",\"status\":\"pending\"}");
    pk_msg_clear(&m);

    zsock_set_rcvtimeo(cl, 5000);
    zmsg_t *z = zmsg_recv(cl);
    assert_non_null(z);
    pk_msg_t r;
    assert_int_equal(pk_msg_from_zmsg(z, &r, NULL, 0), 0);
    zmsg_destroy(&z);
    assert_int_equal(r.type, PK_MSG_REPLY);
    assert_int_equal(r.reply.rid, 41);
    assert_true(r.reply.ok);
    pk_value_t *rb = pk_value_unpack(r.reply.body.data, r.reply.body.size);
    assert_string_equal(s_gstr(rb, "number"), "4");
    pk_value_destroy(&rb);
    pk_msg_clear(&r);

    // refused by the owner: its error reaches the client unchanged
    q.request.rid = 42;
    assert_int_equal(pk_msg_send(cl, &q), 0);
    s_expect_signal(sched, "trigger", &m);
    s_answer(sched, pk_kv_get(&m.signal.args, "ref"), false, "job \"test\" is paused", NULL);
    pk_msg_clear(&m);
    z = zmsg_recv(cl);
    assert_non_null(z);
    assert_int_equal(pk_msg_from_zmsg(z, &r, NULL, 0), 0);
    zmsg_destroy(&z);
    assert_int_equal(r.reply.rid, 42);
    assert_false(r.reply.ok);
    assert_string_equal(r.reply.error, "job \"test\" is paused");
    pk_msg_clear(&r);

    q.request.op = NULL;
    pk_msg_clear(&q);
    pk_value_destroy(&body);
    zsock_destroy(&cl);
    zsock_destroy(&sched);
}

static void
test_forward_timeout(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    zsock_t *sched = s_owner(f, "scheduler");
    int64_t t0 = zclock_mono();
    char *error = NULL;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "demo");
    pk_kv_set(&args, "job", "test");
    pk_kv_set(&args, "number", "2");
    int rc = pk_client_request(f->client, "cancel", &args, NULL, 0, 5000, NULL, NULL, &error);
    int64_t took = zclock_mono() - t0;
    assert_int_equal(rc, 1);
    assert_string_equal(error, "the scheduler did not answer");
    assert_true(took >= TIMEOUT_MS - 5 && took < 5000);
    free(error);
    // the signal did reach the owner; its late answer is dropped, and
    // control goes on answering
    pk_msg_t m;
    s_expect_signal(sched, "cancel", &m);
    s_answer(sched, pk_kv_get(&m.signal.args, "ref"), true, NULL, NULL);
    pk_msg_clear(&m);
    pk_value_t *v;
    assert_int_equal(s_req(f, "pipelines", &v, NULL, NULL), 0);
    pk_value_destroy(&v);
    zstr_send(f->control, "STATS");
    char *stats = zstr_recv(f->control);
    unsigned long long nq, fw, an, to, re, dr;
    assert_int_equal(sscanf(stats, "%llu %llu %llu %llu %llu %llu", &nq, &fw, &an, &to, &re,
                            &dr), 6);
    assert_int_equal(fw, 1);
    assert_int_equal(to, 1);
    assert_int_equal(an, 0);
    zstr_free(&stats);
    pk_kv_clear(&args);
    zsock_destroy(&sched);
}

// pipeline.set goes once its types are resolved (control_fetch.c): the
// body gains `types` (nothing to fetch here: an empty object) or, for an
// invalid pipeline, `errors`; a client's own types/errors never pass. Two
// sets of one pipeline reach the owner in the order they were asked.
static void
s_send_set(zsock_t *cl, uint64_t rid, const char *source)
{
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = rid;
    q.request.op = "pipeline.set";
    pk_kv_set(&q.request.args, "pipeline", "two");
    pk_value_t *body = pk_value_new_object();
    pk_value_object_set(body, "source", pk_value_new_string(source));
    pk_value_t *forged = pk_value_new_object();
    pk_value_object_set(forged, "resource_type https://x.example/t.hcl",
                        pk_value_new_string("resource_type \"t\" {}"));
    pk_value_object_set(body, "types", forged);
    pk_value_object_set(body, "errors", pk_value_new_list());
    pk_value_pack_bytes(body, &q.request.body.data, &q.request.body.size);
    pk_value_destroy(&body);
    assert_int_equal(pk_msg_send(cl, &q), 0);
    q.request.op = NULL;
    pk_msg_clear(&q);
}

static void
test_set_fetched_first(void **state)
{
    fx_t *f = *state;
    zsock_t *sched = s_owner(f, "scheduler");
    zsock_t *cl = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(cl, "%s", f->ep), 0);
    const char *bad = "job \"x\" {\n  tsk \"y\" {\n  }\n}\n";
    s_send_set(cl, 51, bad);
    s_send_set(cl, 52, SRC);
    for (int i = 0; i < 2; i++) {
        pk_msg_t m;
        s_expect_signal(sched, "pipeline.set", &m);
        assert_string_equal(pk_kv_get(&m.signal.args, "pipeline"), "two");
        pk_value_t *fwd = pk_value_unpack(m.signal.body.data, m.signal.body.size);
        const pk_value_t *types = pk_value_object_get(fwd, "types");
        const pk_value_t *errors = pk_value_object_get(fwd, "errors");
        assert_string_equal(pk_value_string(pk_value_object_get(fwd, "source")),
                            i == 0 ? bad : SRC);
        if (i == 0) {                   // the invalid one, first
            assert_null(types);
            assert_non_null(errors);
            assert_true(pk_value_len(errors) > 0);
            assert_true(!strncmp(pk_value_string(pk_value_list_at(errors, 0)),
                                 "two.hcl:2:3: error: ", 20));
        }
        else {
            assert_null(errors);
            assert_non_null(types);
            assert_int_equal(pk_value_kind(types), PK_V_OBJECT);
            assert_int_equal(pk_value_len(types), 0);
        }
        pk_value_destroy(&fwd);
        s_answer(sched, pk_kv_get(&m.signal.args, "ref"), i == 1,
                 i == 1 ? NULL : "pipeline \"two\" is not valid", NULL);
        pk_msg_clear(&m);
    }
    zsock_set_rcvtimeo(cl, 5000);
    for (uint64_t rid = 51; rid <= 52; rid++) {
        zmsg_t *z = zmsg_recv(cl);
        assert_non_null(z);
        pk_msg_t r;
        assert_int_equal(pk_msg_from_zmsg(z, &r, NULL, 0), 0);
        zmsg_destroy(&z);
        assert_int_equal(r.reply.rid, rid);
        assert_true(r.reply.ok == (rid == 52));
        pk_msg_clear(&r);
    }
    zsock_destroy(&cl);
    zsock_destroy(&sched);
}

// check goes to the checker, the bare resource name made canonical
static void
test_check_forwarded(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    zsock_t *checker = s_owner(f, "checker");
    zsock_t *cl = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(cl, "%s", f->ep), 0);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 7;
    q.request.op = "check";
    pk_kv_set(&q.request.args, "pipeline", "demo");
    pk_kv_set(&q.request.args, "resource", "app");
    assert_int_equal(pk_msg_send(cl, &q), 0);
    pk_msg_t m;
    s_expect_signal(checker, "check.now", &m);
    assert_string_equal(pk_kv_get(&m.signal.args, "resource"), "git.app");
    s_answer(checker, pk_kv_get(&m.signal.args, "ref"), true, NULL, NULL);
    pk_msg_clear(&m);
    zsock_set_rcvtimeo(cl, 5000);
    zmsg_t *z = zmsg_recv(cl);
    assert_non_null(z);
    pk_msg_t r;
    assert_int_equal(pk_msg_from_zmsg(z, &r, NULL, 0), 0);
    zmsg_destroy(&z);
    assert_int_equal(r.reply.rid, 7);
    assert_true(r.reply.ok);
    pk_msg_clear(&r);
    q.request.op = NULL;
    pk_msg_clear(&q);
    zsock_destroy(&cl);
    zsock_destroy(&checker);
}

// The real checker answers control's check.now: refused while it does not
// check the resource (with the reason), accepted once it does.
static void
test_check_real_checker(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    pk_checker_config_t kc = { .endpoint = f->ep, .store = f->store };
    zactor_t *checker = pk_checker_new(&kc);
    assert_non_null(checker);
    // its HELLO may still be on its way: the broker drops signals to an
    // unknown role, so ask until the checker's own refusal comes back
    char *error = NULL;
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "demo");
    pk_kv_set(&args, "resource", "app");
    int64_t end = zclock_mono() + 10000;
    int rc;
    do {
        free(error);
        rc = pk_client_request(f->client, "check", &args, NULL, 0, 5000, NULL, NULL, &error);
    } while (rc == 1 && !strcmp(error, "the checker did not answer") && zclock_mono() < end);
    assert_int_equal(rc, 1);
    assert_string_equal(error, "pipeline \"demo\" has no checked resources");
    free(error);
    // a scheduler's pipeline.set makes it check git.app (its checks wait at
    // the broker: no runner here)
    zsock_t *sched = s_owner(f, "scheduler");
    const char *list = "[{\"canonical\":\"git.app\",\"check_interval\":\"@every 1h\","
                       "\"plan\":{\"steps\":[]}}]";
    pk_value_t *v = pk_value_from_json(list, strlen(list), NULL);
    pk_msg_t set = { .type = PK_MSG_SIGNAL };
    set.signal.to = "checker";
    set.signal.what = "pipeline.set";
    pk_kv_set(&set.signal.args, "pipeline", "demo");
    pk_value_pack_bytes(v, &set.signal.body.data, &set.signal.body.size);
    assert_int_equal(pk_msg_send(sched, &set), 0);
    set.signal.to = set.signal.what = NULL;
    pk_msg_clear(&set);
    pk_value_destroy(&v);
    end = zclock_mono() + 10000;
    do {
        error = NULL;
        rc = pk_client_request(f->client, "check", &args, NULL, 0, 5000, NULL, NULL, &error);
        if (rc == 1)
            assert_non_null(strstr(error, "has no checked resources"));
        free(error);
    } while (rc == 1 && zclock_mono() < end);
    assert_int_equal(rc, 0);
    // a resource no job gets is named in the refusal
    pk_kv_clear(&args);
    pk_kv_set(&args, "pipeline", "demo");
    pk_kv_set(&args, "resource", "tick");
    assert_int_equal(pk_client_request(f->client, "check", &args, NULL, 0, 5000, NULL, NULL,
                                       &error), 1);
    assert_string_equal(error, "resource \"cron.tick\" of pipeline \"demo\" is not checked "
                        "(no job gets it)");
    free(error);
    pk_kv_clear(&args);
    zsock_destroy(&sched);
    zactor_destroy(&checker);
}

// --- the overview (pikoci-top's snapshot)

static const char *GRP_SRC =
    "job \"a\" {\n  concurrency = 1\n  serial_groups = [\"prod\"]\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n}\n"
    "job \"b\" {\n  serial_groups = [\"prod\"]\n"
    "  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n}\n"
    "job \"c\" {\n  task \"t\" {\n    run \"shell\" {\n      cmd = \"true\"\n    }\n  }\n}\n";

static void
s_put_ov_build(fx_t *f, const char *pipeline, const char *job, uint64_t number,
               const char *status, bool dispatched, int64_t created_ms, int64_t finished_ms)
{
    pk_store_txn_t *txn = s_write_begin(f);
    pk_build_t b = { .number = number, .status = (char *) status, .attempt = 1,
                     .created_ms = created_ms, .finished_ms = finished_ms,
                     .started_ms = finished_ms ? created_ms + 1 : 0, .trigger = "manual",
                     .dispatched = dispatched, .approvals_needed = 1,
                     .worker = finished_ms ? "w1" : NULL };
    assert_int_equal(pk_builds_put(f->builds, txn, pipeline, job, &b), 0);
    assert_int_equal(pk_store_commit(&txn), 0);
}

// The unfinished build P/J #N in an overview reply, or a failure.
static const pk_value_t *
s_ov_find(const pk_value_t *list, const char *pipeline, const char *job, const char *number)
{
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *b = pk_value_list_at(list, i);
        if (!strcmp(s_gstr(b, "pipeline"), pipeline) && !strcmp(s_gstr(b, "job"), job)
            && !strcmp(s_gstr(b, "number"), number))
            return b;
    }
    fail_msg("no build %s/%s #%s in the overview", pipeline, job, number);
    return NULL;
}

static void
s_expect_wait(const pk_value_t *active, const char *pipeline, const char *job,
              const char *number, const char *wait)
{
    const pk_value_t *w = s_get(s_ov_find(active, pipeline, job, number), "wait");
    if (!wait) {
        assert_int_equal(pk_value_kind(w), PK_V_NULL);
        return;
    }
    if (pk_value_kind(w) != PK_V_STRING || strcmp(pk_value_string(w), wait))
        fail_msg("%s/%s #%s waits for \"%s\", expected \"%s\"", pipeline, job, number,
                 pk_value_kind(w) == PK_V_STRING ? pk_value_string(w) : "(nil)", wait);
}

typedef struct {
    size_t finished;
    int64_t newest_finished_ms;
} s_ov_ref_t;

static int
s_ov_ref_fn(const char *job, const pk_build_t *b, void *arg)
{
    (void) job;
    s_ov_ref_t *r = arg;
    if (pk_build_status_terminal(b->status)) {
        r->finished++;
        if (b->finished_ms > r->newest_finished_ms)
            r->newest_finished_ms = b->finished_ms;
    }
    return 0;
}

static void
test_overview(void **state)
{
    fx_t *f = *state;
    s_put_world(f);
    s_put_pipeline(f, "grp", GRP_SRC, false);
    s_put_pipeline(f, "grp2", GRP_SRC, false);
    s_put_ov_build(f, "demo", "deploy", 1, "pending", false, 50, 0);
    s_put_ov_build(f, "demo", "test", 3, "waiting_for_approval", false, 60, 0);
    s_put_ov_build(f, "other", "solo", 1, "pending", false, 70, 0);
    s_put_ov_build(f, "grp", "a", 1, "started", true, 200, 0);
    s_put_ov_build(f, "grp", "b", 1, "pending", false, 250, 0);
    s_put_ov_build(f, "grp", "a", 2, "pending", false, 300, 0);
    s_put_ov_build(f, "grp", "c", 1, "pending", false, 310, 0);
    s_put_ov_build(f, "grp", "c", 2, "pending", true, 320, 0);
    s_put_ov_build(f, "grp", "c", 3, "succeeded", false, 400, 5000);
    s_put_ov_build(f, "grp", "c", 4, "failed", false, 410, 7000);
    s_put_ov_build(f, "grp", "b", 2, "cancelled", false, 420, 6000);
    s_put_ov_build(f, "grp2", "b", 1, "pending", false, 100, 0);
    s_put_ov_build(f, "grp2", "a", 1, "pending", false, 200, 0);
    s_put_pipeline(f, "grp3", GRP_SRC, false);
    s_put_ov_build(f, "grp3", "a", 1, "started", true, 500, 0);
    s_put_ov_build(f, "grp3", "a", 2, "pending", false, 510, 0);

    pk_value_t *v;
    assert_int_equal(s_req(f, "overview", &v, NULL, NULL), 0);
    assert_true(s_gnum(v, "now_ms") > 0);
    const pk_value_t *pipes = s_get(v, "pipelines");
    assert_int_equal(pk_value_len(pipes), 5);
    const pk_value_t *demo = pk_value_list_at(pipes, 0);
    assert_string_equal(s_gstr(demo, "name"), "demo");
    assert_false(pk_value_bool(s_get(demo, "paused")));
    const pk_value_t *jobs = s_get(demo, "jobs");
    assert_int_equal(pk_value_len(jobs), 2);
    assert_string_equal(s_gstr(pk_value_list_at(jobs, 1), "name"), "deploy");
    assert_true(pk_value_bool(s_get(pk_value_list_at(jobs, 1), "paused")));
    assert_true(pk_value_bool(s_get(pk_value_list_at(pipes, 4), "paused")));  // "other"

    // every unfinished build, oldest first, each with why it waits
    const pk_value_t *active = s_get(v, "active");
    assert_int_equal(pk_value_len(active), 13);
    for (size_t i = 1; i < pk_value_len(active); i++)
        assert_true(s_gnum(pk_value_list_at(active, i - 1), "created_ms")
                    <= s_gnum(pk_value_list_at(active, i), "created_ms"));
    s_expect_wait(active, "demo", "test", "2.1", NULL);
    assert_string_equal(s_gstr(s_ov_find(active, "demo", "test", "2.1"), "step"), "task unit");
    s_expect_wait(active, "demo", "deploy", "1", "job paused");
    s_expect_wait(active, "demo", "test", "3", "approval (0 of 1)");
    s_expect_wait(active, "other", "solo", "1", "pipeline paused");
    s_expect_wait(active, "grp", "a", "1", NULL);
    s_expect_wait(active, "grp", "b", "1", "serial group prod (a #1 runs)");
    s_expect_wait(active, "grp", "a", "2", "serial group prod (behind b #1)");
    s_expect_wait(active, "grp", "c", "1", "queued");
    s_expect_wait(active, "grp", "c", "2", "waiting for a worker");
    s_expect_wait(active, "grp2", "b", "1", "queued");
    s_expect_wait(active, "grp2", "a", "1", "serial group prod (behind b #1)");
    s_expect_wait(active, "grp3", "a", "2", "concurrency 1 reached");
    assert_true(pk_value_bool(s_get(s_ov_find(active, "grp", "c", "2"), "dispatched")));

    // finished builds across pipelines, newest first, as many as stored
    const pk_value_t *recent = s_get(v, "recent");
    s_ov_ref_t ref = { 0 };
    const char *names[] = { "demo", "grp", "grp2", "grp3", "other" };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(pk_builds_each(f->builds, NULL, names[i], s_ov_ref_fn, &ref), 0);
    assert_int_equal(pk_value_len(recent), ref.finished);
    assert_int_equal(s_gnum(pk_value_list_at(recent, 0), "finished_ms"), ref.newest_finished_ms);
    for (size_t i = 1; i < pk_value_len(recent); i++)
        assert_true(s_gnum(pk_value_list_at(recent, i - 1), "finished_ms")
                    >= s_gnum(pk_value_list_at(recent, i), "finished_ms"));
    assert_string_equal(s_gstr(pk_value_list_at(recent, 0), "worker"), "w1");

    // every resource of every pipeline, with its pipeline
    const pk_value_t *res = s_get(v, "resources");
    assert_int_equal(pk_value_len(res), 2);
    const pk_value_t *app = pk_value_list_at(res, 1);
    assert_string_equal(s_gstr(app, "pipeline"), "demo");
    assert_string_equal(s_gstr(app, "name"), "git.app");
    assert_int_equal(s_gnum(app, "pinned"), 2);
    assert_int_equal(s_gnum(app, "next_check_ms"), 62000);
    pk_value_destroy(&v);

    // one pipeline; fewer finished builds
    assert_int_equal(s_req(f, "overview", &v, NULL, "pipeline", "grp", "recent", "2", NULL), 0);
    assert_int_equal(pk_value_len(s_get(v, "pipelines")), 1);
    assert_int_equal(pk_value_len(s_get(v, "active")), 5);
    recent = s_get(v, "recent");
    assert_int_equal(pk_value_len(recent), 2);
    assert_string_equal(s_gstr(pk_value_list_at(recent, 0), "number"), "4");
    assert_string_equal(s_gstr(pk_value_list_at(recent, 1), "job"), "b");
    assert_int_equal(pk_value_len(s_get(v, "resources")), 0);
    pk_value_destroy(&v);

    assert_int_equal(s_req(f, "overview", &v, NULL, "recent", "0", NULL), 0);
    assert_int_equal(pk_value_len(s_get(v, "recent")), 0);
    assert_int_equal(pk_value_len(s_get(v, "active")), 13);
    pk_value_destroy(&v);

    s_expect_error(f, "overview", "no pipeline \"gpr\" (did you mean \"grp\"?)",
                   "pipeline", "gpr", NULL);
    s_expect_error(f, "overview", "at most 1000", "recent", "5000", NULL);
    s_expect_error(f, "overview", "\"x\" is not a valid recent", "recent", "x", NULL);
}

// An empty store: an overview with empty lists, not an error.
static void
test_overview_empty(void **state)
{
    fx_t *f = *state;
    pk_value_t *v;
    assert_int_equal(s_req(f, "overview", &v, NULL, NULL), 0);
    assert_int_equal(pk_value_len(s_get(v, "pipelines")), 0);
    assert_int_equal(pk_value_len(s_get(v, "active")), 0);
    assert_int_equal(pk_value_len(s_get(v, "recent")), 0);
    assert_int_equal(pk_value_len(s_get(v, "resources")), 0);
    pk_value_destroy(&v);
}

// A client with nothing listening: -1, quickly, and a reason.
static void
test_client_no_server(void **state)
{
    (void) state;
    // a port below the ephemeral range that was free a moment ago: an
    // ephemeral one may be handed to another test's bind meanwhile, or even
    // to our own connect (a TCP self-connect, which a DEALER accepts). The
    // probe is a plain socket: a zmq socket closes asynchronously, and its
    // listener may still accept our connection.
    int port = 0;
    for (int tries = 0; tries < 1000 && !port; tries++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_port = htons((uint16_t) (10000 + random() % 20000)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (bind(fd, (struct sockaddr *) &a, sizeof a) == 0)
            port = ntohs(a.sin_port);
        close(fd);
    }
    assert_true(port > 0);
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    pk_client_t *c = pk_client_new(ep, NULL);
    assert_non_null(c);
    uint8_t *body = (uint8_t *) 1;
    char *error = (char *) 1;
    int64_t t0 = zclock_mono();
    assert_int_equal(pk_client_request(c, "pipelines", NULL, NULL, 0, 300, &body, NULL, &error),
                     -1);
    assert_true(zclock_mono() - t0 < 2000);
    assert_null(body);
    assert_null(error);
    assert_non_null(strstr(pk_client_error(c), "cannot reach"));
    pk_client_destroy(&c);
    assert_null(c);
    char *err = NULL;
    assert_null(pk_client_new("nonsense://x", &err));
    assert_non_null(err);
    free(err);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pipelines_and_jobs, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_builds, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_resources_and_versions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_log_ranges, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_op_and_bad_args, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forward_answered, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_forward_timeout, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_set_fetched_first, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_check_forwarded, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_check_real_checker, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_overview, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_overview_empty, s_setup, s_teardown),
        cmocka_unit_test(test_client_no_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
