// test_runner_steplog: every STEP says where the step's output lies in the
// build's log (log_from, log_to: bytes of LOG sent before it started and when
// it ended). A three-step build whose middle step prints a secret (masked:
// the log holds "***", far shorter than the value) must get ranges that
// partition its log exactly, each slice being that step's own output -- the
// offsets count the bytes that leave, masked, as the sink stores them.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runner_harness.h"

static char *s_dir;

static int
s_setup(void **state)
{
    (void) state;
    s_dir = harness_tmpdir();
    return 0;
}

static int
s_teardown(void **state)
{
    (void) state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    int rc = system(cmd);
    free(s_dir);
    return rc;
}

// The last report named name with status (NULL: any but "started").
static int
s_report(harness_t *h, const char *name, const char *status)
{
    int found = -1;
    for (size_t i = 0; i < h->nreports; i++)
        if (!strcmp(h->reports[i].name, name)
            && (status ? !strcmp(h->reports[i].status, status)
                       : strcmp(h->reports[i].status, "started") != 0))
            found = (int) i;
    if (found < 0)
        fail_msg("no %s report of step %s", status ? status : "final", name);
    return found;
}

static void
s_slice_is(harness_t *h, const char *name, const char *want, uint64_t *at)
{
    int f = s_report(h, name, NULL), s = s_report(h, name, "started");
    assert_true(h->reports[f].log_known);
    assert_true(h->reports[s].log_known);
    // the start said at "started" is the start the end report repeats
    assert_int_equal(h->reports[s].log_from, h->reports[f].log_from);
    assert_int_equal(h->reports[s].log_to, h->reports[s].log_from);
    uint64_t from = h->reports[f].log_from, to = h->reports[f].log_to;
    if (from != *at)
        fail_msg("step %s starts at %llu, the previous one ended at %llu", name,
                 (unsigned long long) from, (unsigned long long) *at);
    assert_true(to >= from && to <= h->log_len);
    if (to - from != strlen(want) || memcmp(h->log + from, want, strlen(want)))
        fail_msg("step %s's slice [%llu, %llu) is \"%.*s\", expected \"%s\"; log:\n%s", name,
                 (unsigned long long) from, (unsigned long long) to, (int) (to - from),
                 h->log + from, want, h->log);
    *at = to;
}

static void
test_three_steps_partition_the_log(void **state)
{
    (void) state;
    char path[600];
    snprintf(path, sizeof path, "%s/c.json", s_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"token\": \"a-secret-value-much-longer-than-its-mask-0123456789\"}", f);
    fclose(f);
    char plan[4096];
    snprintf(plan, sizeof plan,
        "{\"secrets\": {\"a\": {\"type\": \"file\", \"key\": \"token\", \"path\": \"%s\","
        " \"native\": {\"type\": \"file\"}}}, \"steps\": ["
        "{\"kind\": \"task\", \"name\": \"one\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
        " \"params\": {\"cmd\": \"echo one-a; echo one-b\"}}},"
        "{\"kind\": \"task\", \"name\": \"two\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
        " \"params\": {\"T\": \"((pikoci_secret:a))\", \"cmd\": \"echo two=$T; echo $T $T\"}}},"
        "{\"kind\": \"task\", \"name\": \"three\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
        " \"params\": {\"cmd\": \"printf 'three\\\\nno newline at the end'\"}}}]}", path);
    harness_t *h = harness_start("build", plan, true);
    assert_true(harness_wait(h, 60000));
    if (strcmp(h->done_status, "succeeded"))
        fail_msg("build %s; log:\n%s", h->done_status, h->log ? h->log : "");
    assert_null(strstr(h->log, "a-secret-value"));
    uint64_t at = 0;
    s_slice_is(h, "one", "one-a\none-b\n", &at);
    s_slice_is(h, "two", "two=***\n*** ***\n", &at);
    s_slice_is(h, "three", "three\nno newline at the end", &at);
    assert_int_equal(at, h->log_len);     // nothing of the log is outside a step
    harness_destroy(&h);
}

// A step that fails part-way and a step that never runs: the failed one's
// slice still ends where its output ends; the skipped one says nothing.
static void
test_failed_step_range(void **state)
{
    (void) state;
    harness_t *h = harness_start("build",
        "{\"steps\": ["
        "{\"kind\": \"task\", \"name\": \"a\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
        " \"params\": {\"cmd\": \"echo aaa\"}}},"
        "{\"kind\": \"task\", \"name\": \"b\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
        " \"params\": {\"cmd\": \"echo bbb; exit 3\"}}},"
        "{\"kind\": \"task\", \"name\": \"c\", \"cmd\": {\"runner\": {\"name\": \"shell\"},"
        " \"params\": {\"cmd\": \"echo ccc\"}}}]}", true);
    assert_true(harness_wait(h, 60000));
    assert_string_equal(h->done_status, "failed");
    uint64_t at = 0;
    s_slice_is(h, "a", "aaa\n", &at);
    s_slice_is(h, "b", "bbb\n", &at);
    assert_int_equal(at, h->log_len);
    for (size_t i = 0; i < h->nreports; i++)
        assert_string_not_equal(h->reports[i].name, "c");
    harness_destroy(&h);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_steps_partition_the_log),
        cmocka_unit_test(test_failed_step_range),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
