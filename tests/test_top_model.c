// test_top_model: pikoci-top's state without a terminal or a server. The
// snapshot and events are built as the server sends them (the overview
// reply, broker.workers/pending, build./worker./resource./job. events),
// decoded from JSON; the panels are read back through the same calls the
// view uses. Expected rows are computed from the inputs (a reference walk
// over what was fed), not written out.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "top_model.h"

#define NOW 1800000000000LL             // the local clock in these tests (unix ms)

static pk_value_t *
s_json(const char *fmt, ...)
{
    char *text;
    va_list ap;
    va_start(ap, fmt);
    assert_true(vasprintf(&text, fmt, ap) >= 0);
    va_end(ap);
    char *err = NULL;
    pk_value_t *v = pk_value_from_json(text, strlen(text), &err);
    if (!v)
        fail_msg("bad JSON in the test: %s: %s", err ? err : "?", text);
    free(text);
    return v;
}

static bool
s_event(top_model_t *m, const char *topic, const char *json)
{
    pk_value_t *body = s_json("%s", json);
    bool changed = top_model_event(m, topic, body, NOW);
    pk_value_destroy(&body);
    return changed;
}

// A build as the overview packs it.
static char *
s_build(const char *pipeline, const char *job, int number, const char *status,
        int64_t created, int64_t started, int64_t finished, const char *wait)
{
    char *s;
    assert_true(asprintf(&s, "{\"pipeline\":\"%s\",\"job\":\"%s\",\"number\":\"%d\","
                         "\"status\":\"%s\",\"created_ms\":%lld,\"started_ms\":%lld,"
                         "\"finished_ms\":%lld,\"worker\":\"w1\",\"dispatched\":%s,"
                         "\"wait\":%s%s%s,\"step\":%s}",
                         pipeline, job, number, status, (long long) created,
                         (long long) started, (long long) finished,
                         !strcmp(status, "started") || (wait && !strcmp(wait, "waiting for a worker"))
                             ? "true" : "false",
                         wait ? "\"" : "", wait ? wait : "null", wait ? "\"" : "",
                         !strcmp(status, "started") ? "\"task unit\"" : "null") >= 0);
    return s;
}

// An overview whose server clock runs skew ms ahead of ours: ci has a
// running build, three queued (one dispatched) and `finished` finished ones (one a minute,
// newest first); ops has one queued.
static pk_value_t *
s_overview(int finished, int64_t skew)
{
    int64_t now = NOW + skew;
    size_t cap = 4096 + (size_t) finished * 400;
    char *recent = calloc(1, cap);
    strcat(recent, "[");
    for (int i = 0; i < finished; i++) {
        char *b = s_build("ci", "test", finished - i, i % 3 ? "succeeded" : "failed",
                          now - 60000LL * i - 5000, now - 60000LL * i - 4000,
                          now - 60000LL * i - 1000, NULL);
        if (i)
            strcat(recent, ",");
        strcat(recent, b);
        free(b);
    }
    strcat(recent, "]");
    char *a1 = s_build("ci", "deploy", 1, "started", now - 9000, now - 8000, 0, NULL);
    char *a2 = s_build("ci", "deploy", 2, "pending", now - 7000, 0, 0, "concurrency 1 reached");
    char *a3 = s_build("ops", "nightly", 4, "pending", now - 6000, 0, 0, "job paused");
    char *a4 = s_build("ci", "release", 1, "waiting_for_approval", now - 5000, 0, 0,
                       "approval (0 of 1)");
    char *a5 = s_build("ci", "lint", 1, "pending", now - 4000, 0, 0, "waiting for a worker");
    pk_value_t *v = s_json(
        "{\"now_ms\":%lld,"
        "\"pipelines\":[{\"name\":\"ci\",\"paused\":false,\"jobs\":[{\"name\":\"test\","
        "\"paused\":false},{\"name\":\"deploy\",\"paused\":false}]},"
        "{\"name\":\"ops\",\"paused\":false,\"jobs\":[{\"name\":\"nightly\",\"paused\":true}]}],"
        "\"active\":[%s,%s,%s,%s,%s],\"recent\":%s,"
        "\"resources\":[{\"pipeline\":\"ci\",\"name\":\"git.app\",\"type\":\"git\","
        "\"last_check_ms\":%lld,\"next_check_ms\":%lld,\"error\":null,\"pinned\":null},"
        "{\"pipeline\":\"ops\",\"name\":\"cron.night\",\"type\":\"cron\","
        "\"last_check_ms\":0,\"next_check_ms\":0,\"error\":\"boom\",\"pinned\":3}]}",
        (long long) now, a1, a2, a3, a4, a5, recent, (long long) (now - 30000),
        (long long) (now + 30000));
    free(a1), free(a2), free(a3), free(a4), free(a5);
    free(recent);
    return v;
}

static void
s_load(top_model_t *m, int finished, int64_t skew)
{
    pk_value_t *ov = s_overview(finished, skew);
    assert_int_equal(top_model_snapshot(m, ov, NOW), 0);
    pk_value_destroy(&ov);
}

static void
test_snapshot_panels(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    s_load(m, 12, 0);
    const top_build_t *const *rows;
    assert_int_equal(top_model_running(m, &rows), 1);
    assert_string_equal(rows[0]->job, "deploy");
    assert_string_equal(rows[0]->step, "task unit");
    assert_string_equal(rows[0]->worker, "w1");
    assert_int_equal(top_model_queue(m, &rows), 4);           // oldest first, as sent
    assert_string_equal(rows[0]->number, "2");
    assert_string_equal(rows[0]->wait, "concurrency 1 reached");
    assert_string_equal(rows[1]->pipeline, "ops");
    assert_string_equal(rows[2]->wait, "approval (0 of 1)");
    assert_int_equal(top_model_finished(m, &rows), 12);
    assert_string_equal(rows[0]->number, "12");               // newest first
    assert_string_equal(rows[11]->number, "1");
    assert_true(top_status_done(rows[0]->status));
    const top_resource_t *const *res;
    assert_int_equal(top_model_resources(m, &res), 2);
    assert_string_equal(res[1]->error, "boom");
    assert_int_equal(res[1]->pinned, 3);
    assert_true(top_model_job_paused(m, "ops", "nightly"));
    assert_false(top_model_job_paused(m, "ci", "test"));
    assert_false(top_model_stale(m));

    // the filter: one pipeline's builds and resources
    top_model_set_filter(m, "ops");
    assert_string_equal(top_model_filter(m), "ops");
    assert_int_equal(top_model_running(m, &rows), 0);
    assert_int_equal(top_model_queue(m, &rows), 1);
    assert_int_equal(top_model_finished(m, &rows), 0);
    assert_int_equal(top_model_resources(m, &res), 1);
    top_model_set_filter(m, "");
    assert_null(top_model_filter(m));
    assert_int_equal(top_model_queue(m, &rows), 4);
    top_model_destroy(&m);
    assert_null(m);
}

static void
test_build_events(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    s_load(m, 3, 0);
    const top_build_t *const *rows;
    uint64_t v0 = top_model_version(m);

    // a new build: queued, and a snapshot is wanted to say why it waits
    assert_true(s_event(m, "build.pending",
                        "{\"pipeline\":\"ci\",\"job\":\"test\",\"number\":\"4\",\"status\":\"pending\"}"));
    assert_true(top_model_version(m) > v0);
    assert_true(top_model_stale(m));
    assert_int_equal(top_model_queue(m, &rows), 5);
    assert_string_equal(rows[4]->number, "4");
    assert_int_equal(rows[4]->created_ms, NOW);
    // the same event again changes nothing
    uint64_t v1 = top_model_version(m);
    assert_false(s_event(m, "build.pending",
                         "{\"pipeline\":\"ci\",\"job\":\"test\",\"number\":\"4\",\"status\":\"pending\"}"));
    assert_int_equal(top_model_version(m), v1);

    // started: running, with its start time
    assert_true(s_event(m, "build.started",
                        "{\"pipeline\":\"ci\",\"job\":\"test\",\"number\":\"4\",\"status\":\"started\"}"));
    assert_int_equal(top_model_running(m, &rows), 2);
    assert_string_equal(rows[1]->number, "4");
    assert_int_equal(rows[1]->started_ms, NOW);
    assert_int_equal(top_model_queue(m, &rows), 4);

    // finished: out of the running panel, the newest finished, counted
    double rate = top_model_rate(m, NOW);
    assert_true(s_event(m, "build.failed", "{\"pipeline\":\"ci\",\"job\":\"test\","
                        "\"number\":\"4\",\"status\":\"failed\",\"reason\":\"exit 1\"}"));
    assert_int_equal(top_model_running(m, &rows), 1);
    assert_int_equal(top_model_finished(m, &rows), 4);
    assert_string_equal(rows[0]->number, "4");
    assert_string_equal(rows[0]->status, "failed");
    assert_string_equal(rows[0]->reason, "exit 1");
    assert_int_equal(rows[0]->finished_ms, NOW);
    assert_true(top_model_rate(m, NOW) > rate);
    // a repeated or late event of a finished build changes nothing
    assert_false(s_event(m, "build.failed", "{\"pipeline\":\"ci\",\"job\":\"test\","
                         "\"number\":\"4\",\"status\":\"failed\"}"));
    assert_false(s_event(m, "build.started", "{\"pipeline\":\"ci\",\"job\":\"test\","
                         "\"number\":\"4\",\"status\":\"started\"}"));
    assert_int_equal(top_model_finished(m, &rows), 4);
    // a snapshot's finished build is not counted twice by its event
    assert_false(s_event(m, "build.succeeded", "{\"pipeline\":\"ci\",\"job\":\"test\","
                         "\"number\":\"2\",\"status\":\"succeeded\"}"));

    // a build that finishes without ever being seen (its events were dropped)
    assert_true(s_event(m, "build.cancelled", "{\"pipeline\":\"ops\",\"job\":\"nightly\","
                        "\"number\":\"9\",\"status\":\"cancelled\"}"));
    assert_int_equal(top_model_finished(m, &rows), 5);
    assert_string_equal(rows[0]->pipeline, "ops");

    // approval votes move the build without changing its status
    assert_true(s_event(m, "build.waiting_for_approval", "{\"pipeline\":\"ci\","
                        "\"job\":\"release\",\"number\":\"1\",\"status\":\"waiting_for_approval\","
                        "\"approvals\":1}"));

    // a refresh without history keeps the finished builds
    pk_value_t *ov = s_json("{\"now_ms\":%lld,\"pipelines\":[],\"active\":[],\"recent\":[],"
                            "\"resources\":[]}", (long long) NOW);
    assert_int_equal(top_model_snapshot(m, ov, NOW), 0);
    pk_value_destroy(&ov);
    assert_false(top_model_stale(m));
    assert_int_equal(top_model_running(m, &rows), 0);
    assert_int_equal(top_model_queue(m, &rows), 0);
    assert_int_equal(top_model_finished(m, &rows), 5);
    top_model_clear(m);
    assert_int_equal(top_model_finished(m, &rows), 0);
    top_model_destroy(&m);
}

static void
test_rate_and_skew(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    int64_t skew = 123456;                  // the server's clock runs ahead
    s_load(m, 30, skew);
    assert_int_equal(top_model_server_ms(m, NOW), NOW + skew);
    // the reference: which minute each finished build falls in
    int want[20] = { 0 };
    int64_t now_min = (NOW + skew) / 60000;
    for (int i = 0; i < 30; i++) {
        int64_t fin = NOW + skew - 60000LL * i - 1000;
        int64_t back = now_min - fin / 60000;
        if (back < 20)
            want[19 - back]++;
    }
    int got[20];
    top_model_per_minute(m, NOW, got, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(got[i], want[i]);
    double rate = (want[15] + want[16] + want[17] + want[18] + want[19]) / 5.0;
    assert_true(top_model_rate(m, NOW) == rate);
    // an hour later, nothing in the window
    top_model_per_minute(m, NOW + 3600000, got, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(got[i], 0);
    assert_true(top_model_rate(m, NOW + 3600000) == 0.0);
    top_model_destroy(&m);
}

static void
test_workers_and_pending(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    s_load(m, 0, 0);
    pk_value_t *w = s_json("[{\"name\":\"a\",\"tags\":[\"linux\"],\"slots\":2,\"busy\":2,"
                           "\"exclusive\":false,\"heartbeat_age_ms\":400,\"state\":\"healthy\"},"
                           "{\"name\":\"b\",\"tags\":[\"linux\",\"gpu\"],\"slots\":1,\"busy\":0,"
                           "\"exclusive\":true,\"heartbeat_age_ms\":100,\"state\":\"lost\"}]");
    top_model_workers(m, w);
    pk_value_destroy(&w);
    const top_worker_t *const *ws;
    assert_int_equal(top_model_worker_list(m, &ws), 2);
    assert_string_equal(ws[1]->tags, "linux,gpu");
    assert_int_equal(ws[0]->busy, 2);
    assert_int_equal(ws[0]->heartbeat_age_ms, 400);
    // ci/lint #1 is dispatched: the broker holds it
    const char *pend = "[{\"id\":\"build:ci/lint/1\",\"attempt\":1,\"tags\":%s,"
                       "\"waiting_ms\":10}]";
    const top_build_t *const *rows;
    struct { const char *tags, *why; } cases[] = {
        { "[\"linux\"]", "all matching workers are busy" },
        { "[\"linux\",\"gpu\"]", "no worker with tags linux,gpu" },     // b is lost
        { "[\"arm\"]", "no worker with tags arm" },
    };
    for (size_t i = 0; i < 3; i++) {
        pk_value_t *p = s_json(pend, cases[i].tags);
        top_model_pending(m, p);
        pk_value_destroy(&p);
        assert_int_equal(top_model_queue(m, &rows), 4);
        assert_string_equal(rows[3]->job, "lint");
        assert_string_equal(rows[3]->wait, cases[i].why);
    }
    // a worker event: state and load at once; a new worker makes it stale
    assert_true(s_event(m, "worker.lost", "{\"name\":\"a\",\"state\":\"lost\",\"slots\":2,"
                        "\"busy\":0}"));
    assert_string_equal(ws[0]->state, "lost");
    pk_value_t *p = s_json(pend, "[]");
    top_model_pending(m, p);
    pk_value_destroy(&p);
    top_model_queue(m, &rows);
    assert_string_equal(rows[3]->wait, "no worker");   // a lost, b exclusive
    assert_false(top_model_stale(m));
    assert_true(s_event(m, "worker.ready", "{\"name\":\"c\",\"state\":\"healthy\","
                        "\"slots\":4,\"busy\":0}"));
    assert_int_equal(top_model_worker_list(m, &ws), 3);
    assert_true(top_model_stale(m));
    top_model_destroy(&m);
}

static void
test_pause_and_resource_events(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    s_load(m, 0, 0);
    assert_true(s_event(m, "job.unpaused", "{\"pipeline\":\"ops\",\"job\":\"nightly\"}"));
    assert_false(top_model_job_paused(m, "ops", "nightly"));
    assert_true(s_event(m, "pipeline.paused", "{\"pipeline\":\"ci\"}"));
    assert_true(top_model_pipeline_paused(m, "ci"));
    assert_false(s_event(m, "job.paused", "{\"pipeline\":\"nope\",\"job\":\"x\"}"));
    const top_resource_t *const *res;
    top_model_resources(m, &res);
    assert_true(s_event(m, "resource.checked", "{\"pipeline\":\"ci\",\"resource\":\"git.app\","
                        "\"ok\":false,\"error\":\"no route\",\"checked_ms\":42}"));
    assert_string_equal(res[0]->error, "no route");
    assert_int_equal(res[0]->last_check_ms, 42);
    assert_true(top_model_stale(m));
    assert_true(s_event(m, "resource.versions", "{\"pipeline\":\"ci\",\"resource\":\"git.app\","
                        "\"first_id\":2,\"last_id\":3}"));
    assert_null(res[0]->error);
    assert_int_equal(res[0]->last_check_ms, NOW);
    assert_true(s_event(m, "resource.pinned", "{\"pipeline\":\"ci\",\"resource\":\"git.app\","
                        "\"version\":\"7\"}"));
    assert_int_equal(res[0]->pinned, 7);
    assert_true(s_event(m, "resource.unpinned", "{\"pipeline\":\"ci\",\"resource\":\"git.app\"}"));
    assert_int_equal(res[0]->pinned, 0);
    top_model_destroy(&m);
}

// Bad input changes nothing and never crashes.
static void
test_bad_input(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    s_load(m, 2, 0);
    uint64_t v = top_model_version(m);
    const char *bad[] = { "null", "[]", "{\"pipelines\":[]}",
                          ("{\"pipelines\":1,\"active\":[],\"recent\":[],\"resources\":[]}") };
    for (size_t i = 0; i < 4; i++) {
        pk_value_t *o = s_json("%s", bad[i]);
        assert_int_equal(top_model_snapshot(m, o, NOW), -1);
        pk_value_destroy(&o);
    }
    assert_int_equal(top_model_snapshot(m, NULL, NOW), -1);
    assert_false(top_model_event(m, "build.started", NULL, NOW));
    assert_false(top_model_event(m, NULL, NULL, NOW));
    assert_false(s_event(m, "build.started", "{\"pipeline\":\"ci\"}"));
    assert_false(s_event(m, "build.started", "{\"pipeline\":1,\"job\":2,\"number\":3}"));
    assert_false(s_event(m, "build.", "{\"pipeline\":\"a\",\"job\":\"b\",\"number\":\"1\"}"));
    assert_false(s_event(m, "worker.ready", "{\"state\":\"healthy\"}"));
    assert_false(s_event(m, "resource.checked", "{\"pipeline\":\"zz\",\"resource\":\"x\"}"));
    assert_false(s_event(m, "something.else", "{}"));
    top_model_workers(m, NULL);
    top_model_pending(m, NULL);
    pk_value_t *junk = s_json("[1, {\"id\":\"build:\"}, {\"id\":\"build:ci/deploy\"}, "
                              "{\"id\":\"check:ci/x:1\"}]");
    top_model_pending(m, junk);
    assert_int_equal(top_model_version(m), v);
    const top_build_t *const *rows;
    assert_int_equal(top_model_finished(m, &rows), 2);
    top_model_workers(m, junk);     // a list, but of nothing usable: no workers
    pk_value_destroy(&junk);
    const top_worker_t *const *ws;
    assert_int_equal(top_model_worker_list(m, &ws), 0);
    top_model_destroy(&m);
    top_model_destroy(&m);          // twice: a no-op
}

// 1,000 finished builds and a stream of events: the history stays capped,
// newest first, and applying events stays cheap (the figure is printed).
static void
test_history_cap_and_cost(void **state)
{
    (void) state;
    top_model_t *m = top_model_new();
    s_load(m, TOP_MODEL_HISTORY, 0);
    const top_build_t *const *rows;
    assert_int_equal(top_model_finished(m, &rows), TOP_MODEL_HISTORY);
    int events = 30000;             // pending, started, succeeded for each of 10,000 builds
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char body[256];
    static const char *const steps[] = { "pending", "started", "succeeded" };
    for (int i = 0; i < events; i++) {
        const char *st = steps[i % 3];
        snprintf(body, sizeof body, "{\"pipeline\":\"load\",\"job\":\"j%d\",\"number\":\"%d\","
                 "\"status\":\"%s\"}", (i / 3) % 50, i / 3, st);
        char topic[64];
        snprintf(topic, sizeof topic, "build.%s", st);
        s_event(m, topic, body);
        if (i % 300 == 0) {         // a frame now and then reads the panels
            top_model_running(m, &rows);
            top_model_finished(m, &rows);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double) (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("# %d events (JSON decode included) in %.3f s: %.0f events/s\n", events, secs,
                  events / secs);
    assert_int_equal(top_model_finished(m, &rows), TOP_MODEL_HISTORY);
    char want[32];
    snprintf(want, sizeof want, "%d", events / 3 - 1);
    assert_string_equal(rows[0]->number, want);
    assert_string_equal(rows[0]->pipeline, "load");
    assert_int_equal(top_model_running(m, &rows), 1);  // the snapshot's, untouched
    assert_int_equal(top_model_queue(m, &rows), 4);
    assert_true(events / secs > 1000);                 // 10x what the issue asks, even under ASan
    top_model_destroy(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_panels),
        cmocka_unit_test(test_build_events),
        cmocka_unit_test(test_rate_and_skew),
        cmocka_unit_test(test_workers_and_pending),
        cmocka_unit_test(test_pause_and_resource_events),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_history_cap_and_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
