// test_pipeline_validate: one case per validation error, each asserting the
// exact "line:col: error: message" (including the did-you-mean). Messages
// that embed another module's text (durations, cron) get it from that
// module, so the test follows it instead of hard-coding it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_cron.h"
#include "pk_duration.h"
#include "test_pipeline_util.h"

#define CRON_T "resource \"cron\" \"t\" {\n}\n"
#define RUN_OK "    run \"shell\" {\n      cmd = \"true\"\n    }\n"

typedef struct {
    const char *src;
    const char *want;
} s_case_t;

static void
s_run(const s_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        t_expect(cases[i].src, cases[i].want);
}

#define RUN(cases) s_run(cases, sizeof cases / sizeof cases[0])

static void
test_unknown_names(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "job \"j\" {\n  tsk \"x\" {\n  }\n}\n",
          "2:3: error: unknown block \"tsk\" in job \"j\"; did you mean \"task\"?" },
        { CRON_T "job \"j\" {\n  get \"cron\" \"t\" {\n    triggr = true\n  }\n}\n",
          "5:5: error: unknown attribute \"triggr\" in get \"cron\" \"t\"; did you mean "
          "\"trigger\"?" },
        { "jb \"x\" {\n}\n", "1:1: error: unknown block \"jb\"; did you mean \"job\"?" },
        { "x = 1\n", "1:1: error: unknown attribute \"x\"" },
        { "job \"j\" {\n  timeout {\n  }\n}\n",
          "2:3: error: \"timeout\" is an attribute, not a block: write timeout = ..." },
        { "resource \"cron\" \"t\" {\n  params = {}\n}\n",
          "2:3: error: \"params\" is a block, not an attribute: write params { ... }" },
        { "job \"j\" {\n  frobnicate = 1\n}\n",
          "2:3: error: unknown attribute \"frobnicate\" in job \"j\"" },
        { "variable \"v\" {\n  default = 1\n  secret \"file\" {\n    kye = \"k\"\n  }\n}\n",
          "4:5: error: unknown attribute \"kye\" in the secret of variable \"v\"; did you mean "
          "\"key\"?" },
        { "resource_type \"t\" {\n  sourse = \"pikoci://git\"\n}\n",
          "2:3: error: unknown attribute \"sourse\" in resource_type \"t\"; did you mean "
          "\"source\"?" },
        { "job \"j\" {\n  task \"t\" {\n    run \"shell\" {\n      cmd = \"x\"\n      oops {\n"
          "      }\n    }\n  }\n}\n",
          "5:7: error: unknown block \"oops\" in run \"shell\"" },
        { "job \"j\" {\n  in_parallel {\n    lmit = 2\n  }\n}\n",
          "3:5: error: unknown attribute \"lmit\" in in_parallel; did you mean \"limit\"?" },
    };
    RUN(cases);
}

static void
test_labels(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "job {\n}\n", "1:1: error: job block needs 1 label (name), found 0" },
        { "resource \"git\" {\n}\n",
          "1:1: error: resource block needs 2 labels (type and name), found 1" },
        { "job \"a\" \"b\" {\n}\n", "1:9: error: job block needs 1 label (name), found 2" },
        { "job \"j\" {\n  in_parallel \"x\" {\n  }\n}\n",
          "2:15: error: in_parallel block takes no labels, found 1" },
        { "job \"j\" {\n  on_success \"a\" \"b\" {\n  }\n}\n",
          "2:18: error: on_success block takes at most 1 label (the runner), found 2" },
        { "job \"j\" {\n  on_trigger \"exec\" {\n  }\n}\n",
          "2:14: error: on_trigger block takes no labels, found 1" },
    };
    RUN(cases);
}

static void
test_duplicates(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { CRON_T CRON_T, "3:17: error: duplicate resource \"cron.t\" (first defined at line 1)" },
        { "job \"a\" {\n}\njob \"a\" {\n}\n",
          "3:5: error: duplicate job \"a\" (first defined at line 1)" },
        { "runner_type \"r\" {\n  source = \"pikoci://docker\"\n}\n"
          "runner_type \"r\" {\n  source = \"pikoci://docker\"\n}\n",
          "4:13: error: duplicate runner_type \"r\" (first defined at line 1)" },
        { "notification_type \"n\" {\n  source = \"https://x/n.hcl\"\n}\n"
          "notification \"n\" \"x\" {\n}\nnotification \"n\" \"x\" {\n}\n",
          "6:18: error: duplicate notification \"n.x\" (first defined at line 4)" },
        { "job \"j\" {\n  task \"a\" {\n" RUN_OK "  }\n  task \"a\" {\n" RUN_OK "  }\n}\n",
          "7:3: error: duplicate task \"a\" in the same plan (first defined at line 2)" },
        { "job \"j\" {\n  input \"x\" {\n  }\n  input \"x\" {\n  }\n}\n",
          "4:9: error: duplicate input \"x\" (first defined at line 2)" },
        { "job \"j\" {\n  approve \"a\" {\n  }\n  approve \"b\" {\n  }\n}\n",
          "4:3: error: job \"j\" has more than one approve block" },
        { "job \"j\" {\n  task \"t\" {\n" RUN_OK RUN_OK "  }\n}\n",
          "6:5: error: task \"t\" has more than one run block" },
    };
    RUN(cases);
}

static void
test_undefined_references(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "resource \"gti\" \"x\" {\n}\n",
          "1:10: error: undefined resource type \"gti\"; did you mean \"git\"?" },
        { "job \"j\" {\n  task \"t\" {\n    run \"shel\" {\n      cmd = \"x\"\n    }\n  }\n}\n",
          "3:9: error: undefined runner type \"shel\"; did you mean \"shell\"?" },
        { "resource \"git\" \"app\" {\n}\njob \"j\" {\n  get \"git\" \"ap\" {\n  }\n}\n",
          "4:7: error: undefined resource \"git.ap\"; did you mean \"git.app\"?" },
        { CRON_T "job \"test\" {\n  get \"cron\" \"t\" {\n  }\n}\n"
          "job \"j\" {\n  get \"cron\" \"t\" {\n    passed = [\"tset\"]\n  }\n}\n",
          "9:14: error: undefined job \"tset\" in passed; did you mean \"test\"?" },
        { "service_type \"postgres\" {\n  source = \"pikoci://postgresql\"\n}\n"
          "job \"j\" {\n  service \"postgre\" {\n  }\n}\n",
          "5:11: error: undefined service type \"postgre\"; did you mean \"postgres\"?" },
        { "job \"j\" {\n  notify \"slack\" \"deploy\" {\n  }\n}\n",
          "2:10: error: undefined notification \"slack.deploy\"" },
        { "notification_type \"slack\" {\n  source = \"pikoci://slack\"\n}\n"
          "notification \"slak\" \"x\" {\n}\n",
          "4:14: error: undefined notification type \"slak\"; did you mean \"slack\"?" },
        { "secret_type \"vault\" {\n  source = \"pikoci://vault\"\n}\n"
          "variable \"v\" {\n  secret \"vualt\" {\n    key = \"k\"\n  }\n}\n",
          "5:10: error: undefined secret type \"vualt\"; did you mean \"vault\"?" },
        { "notification_type \"n\" {\n  source = \"pikoci://n\"\n}\n"
          "notification \"n\" \"x\" {\n  on   = [\"all\"]\n  jobs = [\"nope\"]\n}\n",
          "6:10: error: undefined job \"nope\" in jobs" },
        { "job \"j\" {\n  on_failure \"slack\" {\n  }\n}\n",
          "2:14: error: undefined runner type \"slack\"" },
    };
    RUN(cases);
}

static void
test_passed(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "resource \"cron\" \"a\" {\n}\nresource \"cron\" \"b\" {\n}\n"
          "job \"up\" {\n  get \"cron\" \"a\" {\n  }\n}\n"
          "job \"down\" {\n  get \"cron\" \"b\" {\n    passed = [\"up\"]\n  }\n}\n",
          "11:14: error: job \"up\" in passed does not get resource \"cron.b\"" },
        { "resource \"cron\" \"a\" {\n}\n"
          "job \"x\" {\n  get \"cron\" \"a\" {\n    passed = [\"y\"]\n  }\n}\n"
          "job \"y\" {\n  get \"cron\" \"a\" {\n    passed = [\"x\"]\n  }\n}\n",
          "10:14: error: passed dependencies form a cycle: x -> y -> x" },
        { "resource \"cron\" \"a\" {\n}\njob \"x\" {\n  get \"cron\" \"a\" {\n"
          "    passed = [\"x\"]\n  }\n}\n",
          "5:14: error: passed dependencies form a cycle: x -> x" },
        // a put to an artifact counts as getting it
        { "resource \"artifact\" \"a\" {\n}\nresource \"cron\" \"c\" {\n}\n"
          "job \"up\" {\n  put \"artifact\" \"a\" {\n  }\n}\n"
          "job \"down\" {\n  get \"artifact\" \"a\" {\n    passed = [\"up\"]\n  }\n"
          "  get \"cron\" \"c\" {\n    passed = [\"up\"]\n  }\n}\n",
          "14:14: error: job \"up\" in passed does not get resource \"cron.c\"" },
    };
    RUN(cases);
}

static void
test_types_and_sources(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "resource_type \"t\" {\n  source = \"pikoci://git\"\n  check \"exec\" {\n"
          "    path = \"/bin/true\"\n  }\n}\n",
          "3:3: error: resource_type \"t\" has a source, so it cannot also define a check "
          "command" },
        { "resource_type \"t\" {\n}\n",
          "1:15: error: resource_type \"t\" needs a source or at least one of check, pull, push" },
        { "resource_type \"t\" {\n  source = \"git\"\n}\n",
          "2:12: error: \"source\" must be \"pikoci://NAME\" or an http(s) URL, not \"git\"" },
        { "runner_type \"r\" {\n}\n", "1:13: error: runner_type \"r\" needs a source or a run block" },
        { "runner_type \"r\" {\n  source = \"pikoci://docker\"\n  run {\n  }\n}\n",
          "3:3: error: runner_type \"r\" has a source, so it cannot also define run" },
        { "secret_type \"s\" {\n  address = \"x\"\n}\n",
          "1:13: error: secret_type \"s\" needs a source or a get command" },
        { "service_type \"s\" {\n  stop \"exec\" {\n  }\n}\n",
          "1:14: error: service_type \"s\" needs a start command (or a source)" },
        { "notification_type \"n\" {\n}\n",
          "1:19: error: notification_type \"n\" needs a source or a notify command" },
        { "resource_type \"t\" {\n  check \"exec\" {\n  }\n  check \"exec\" {\n  }\n}\n",
          "4:3: error: duplicate check block in resource_type \"t\"" },
        { "resource_type \"t\" {\n  runner \"docker\" {\n    image = \"alpine\"\n  }\n"
          "  check \"shell\" {\n    cmd = \"x\"\n  }\n}\n",
          "5:9: error: resource_type \"t\" routes its commands through runner \"docker\", so "
          "check must use \"exec\", not \"shell\"" },
        { "job \"j\" {\n  task \"t\" {\n    run \"shell\" {\n    }\n  }\n}\n",
          "3:9: error: run \"shell\" needs exactly one of \"cmd\" or \"file\"" },
        { "job \"j\" {\n  task \"t\" {\n    run \"docker\" {\n      cmd = \"x\"\n    }\n  }\n}\n",
          "3:9: error: run \"docker\" needs an \"image\"" },
        { "job \"j\" {\n  task \"t\" {\n  }\n}\n",
          "2:8: error: task \"t\" needs a run block, e.g. run \"shell\" { cmd = \"...\" }" },
    };
    RUN(cases);
}

static void
test_type_errors(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { CRON_T "job \"j\" {\n  get \"cron\" \"t\" {\n    trigger = \"yes\"\n  }\n}\n",
          "5:15: error: \"trigger\" must be true or false, not \"yes\"" },
        { CRON_T "job \"j\" {\n  get \"cron\" \"t\" {\n    attempts = -1\n  }\n}\n",
          "5:16: error: \"attempts\" must be a whole number of at least 1, not -1" },
        { CRON_T "job \"j\" {\n  get \"cron\" \"t\" {\n    attempts = 1.5\n  }\n}\n",
          "5:16: error: \"attempts\" must be a whole number of at least 1, not 1.5" },
        { "job \"j\" {\n  concurrency = \"many\"\n}\n",
          "2:17: error: \"concurrency\" must be a whole number of at least 0, not \"many\"" },
        { CRON_T "job \"j\" {\n  get \"cron\" \"t\" {\n    passed = \"x\"\n  }\n}\n",
          "5:14: error: \"passed\" must be a list of strings, not \"x\"" },
        { "job \"j\" {\n  tags = [[\"a\"]]\n}\n",
          "2:10: error: \"tags\" must be a list of strings; element 1 is a list" },
        { "job \"j\" {\n  tags = [\"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\", "
          "\"10\", \"11\"]\n}\n",
          "2:10: error: a job may have at most 10 tags, not 11" },
        { "job \"j\" {\n  approve \"a\" {\n    approvals = 0\n  }\n}\n",
          "3:17: error: \"approvals\" must be a whole number of at least 1, not 0" },
        { "job \"j\" {\n  timeout = \"0s\"\n}\n",
          "2:13: error: \"timeout\" must be a positive duration, not \"0s\"" },
        { "job \"j\" {\n  timeout = 30\n}\n",
          "2:13: error: \"timeout\" must be a duration such as \"30s\" or \"5m\", not 30" },
        { "resource \"cron\" \"t\" {\n  check_interval = \"@every 5s\"\n}\n",
          "2:20: error: check_interval \"@every 5s\" is shorter than the minimum of 10s" },
        { "job \"j\" {\n  task \"t\" {\n    run \"exec\" {\n      path = \"x\"\n"
          "      env  = [\"a\"]\n    }\n  }\n}\n",
          "5:14: error: \"env\" must be a string, number or bool, not a list" },
        { "job \"j\" {\n  task \"t\" {\n    run \"exec\" {\n      args = \"-c\"\n    }\n  }\n}\n",
          "4:14: error: \"args\" must be a list of strings, not \"-c\"" },
    };
    RUN(cases);
}

// Messages that carry pk_duration's or pk_cron's own explanation.
static void
test_duration_and_cron_messages(void **state)
{
    (void) state;
    char *err = NULL;
    int64_t ms;
    assert_int_equal(pk_duration_parse("5 minutes", &ms, &err), -1);
    char *want = NULL;
    assert_true(asprintf(&want, "2:13: error: invalid duration for \"timeout\": %s", err) > 0);
    t_expect("job \"j\" {\n  timeout = \"5 minutes\"\n}\n", want);
    free(want);
    free(err);

    assert_int_equal(pk_duration_parse("soon", &ms, &err), -1);
    assert_true(asprintf(&want, "5:16: error: invalid duration for \"interval\": %s", err) > 0);
    t_expect("service_type \"s\" {\n  start \"exec\" {\n  }\n  ready_check \"exec\" {\n"
             "    interval = \"soon\"\n  }\n  stop \"exec\" {\n  }\n}\n", want);
    free(want);
    free(err);

    assert_null(pk_cron_new("61 * * * *", &err));
    assert_true(asprintf(&want, "2:20: error: invalid check_interval: %s", err) > 0);
    t_expect("resource \"cron\" \"t\" {\n  check_interval = \"61 * * * *\"\n}\n", want);
    free(want);
    free(err);
}

static void
test_step_placement(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "job \"j\" {\n  in_parallel {\n    service \"s\" {\n    }\n  }\n}\n",
          "3:5: error: service is not allowed inside in_parallel (only get, task, put and "
          "notify)" },
        { "job \"j\" {\n  in_parallel {\n    in_parallel {\n    }\n  }\n}\n",
          "3:5: error: in_parallel is not allowed inside in_parallel (only get, task, put and "
          "notify)" },
        { CRON_T "job \"j\" {\n  on_failure {\n    get \"cron\" \"t\" {\n    }\n  }\n}\n",
          "5:5: error: get is not allowed in a hook (only task, put and notify)" },
        { "job \"j\" {\n  on_trigger {\n    task \"t\" {\n" RUN_OK "    }\n  }\n}\n",
          "3:5: error: task is not allowed in on_trigger (only notify steps)" },
        { "job \"j\" {\n  else {\n  }\n}\n",
          "2:3: error: else without a preceding if or else_if" },
        { "job \"j\" {\n  if \"a\" {\n    condition = \"x\"\n  }\n  else {\n  }\n"
          "  else_if \"b\" {\n    condition = \"y\"\n  }\n}\n",
          "7:3: error: else_if without a preceding if or else_if" },
        { "job \"j\" {\n  if \"x\" {\n    condition = \"!$FLAG\"\n  }\n}\n",
          "3:17: error: invalid condition in if \"x\": \"!\" at character 1: negation is not "
          "supported; compare explicitly instead (e.g. $X == 'false')" },
        { "job \"j\" {\n  if \"x\" {\n    condition = \"$A == 'b\"\n  }\n}\n",
          "3:17: error: invalid condition in if \"x\": unterminated quoted string starting at "
          "character 7" },
        { "job \"j\" {\n  if \"x\" {\n  }\n}\n", "2:6: error: if \"x\" needs a condition" },
    };
    RUN(cases);
}

static void
test_notifications(void **state)
{
    (void) state;
#define NT "notification_type \"n\" {\n  source = \"pikoci://n\"\n}\njob \"a\" {\n}\n"
    static const s_case_t cases[] = {
        { NT "notification \"n\" \"x\" {\n  on      = [\"all\"]\n  jobs    = [\"a\"]\n"
          "  exclude = [\"a\"]\n}\n",
          "9:13: error: \"jobs\" and \"exclude\" cannot both be set in notification \"n.x\"" },
        { NT "notification \"n\" \"x\" {\n  jobs = [\"a\"]\n}\n",
          "7:10: error: \"jobs\" needs \"on\": without it the notification is only sent by "
          "notify steps" },
        { NT "notification \"n\" \"x\" {\n  on = [\"sucess\"]\n}\n",
          "7:8: error: unknown value \"sucess\" in \"on\"; did you mean \"success\"?" },
        { NT "notification \"n\" \"x\" {\n  on = [\"all\", \"failure\"]\n}\n",
          "7:8: error: \"all\" cannot be combined with other values in \"on\"" },
    };
#undef NT
    RUN(cases);
}

static void
test_for_each_errors(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "job \"t\" {\n  for_each = [\"a\", \"b\"]\n}\n",
          "2:14: error: for_each must be a set (use toset([...])) or a map, not a list" },
        { "job \"t\" {\n  for_each = toset([\"a.b\", \"a-b\"])\n}\n",
          "2:14: error: keys \"a-b\" and \"a.b\" of job \"t\" both name the job \"t--a-b\"" },
        { "job \"t--a\" {\n}\njob \"t\" {\n  for_each = toset([\"a\"])\n}\n",
          "3:5: error: duplicate job \"t--a\" (first defined at line 1)" },
        { "job \"t\" {\n  for_each = toset([])\n}\n",
          "2:14: error: for_each of job \"t\" produces no jobs" },
        { "job \"t\" {\n  for_each = toset([\"...\"])\n}\n",
          "2:14: error: key \"...\" of job \"t\" gives an empty instance name" },
        { "job \"t\" {\n  for_each = toset([\"a\"])\n  matrix {\n    x = [\"1\"]\n  }\n}\n",
          "3:3: error: job \"t\" cannot have both for_each and matrix" },
        { "job \"t\" {\n  matrix {\n    x = []\n  }\n}\n",
          "3:9: error: matrix axis \"x\" is empty" },
        { "job \"t\" {\n  matrix {\n  }\n}\n", "2:3: error: matrix has no axes" },
        // an error inside a for_each job is reported once, not once per instance
    };
    RUN(cases);
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse("job \"t\" {\n  for_each = toset([\"a\", \"b\", \"c\"])\n"
                               "  tsk \"x\" {\n  }\n}\n", NULL, &diags);
    assert_int_equal(p->job_count, 3);
    assert_int_equal(pk_diags_count(diags), 1);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    // a broken for_each job is not also "undefined" where it is referenced
    p = t_parse(CRON_T "job \"t\" {\n  for_each = [\"a\"]\n}\n"
                "job \"u\" {\n  get \"cron\" \"t\" {\n    passed = [\"t\"]\n  }\n}\n", NULL, &diags);
    assert_int_equal(pk_diags_count(diags), 1);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

static void
test_inputs(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "job \"j\" {\n  input \"x\" {\n    type = \"list\"\n  }\n}\n",
          "3:12: error: unknown input type \"list\"; use string, number or bool" },
        { "job \"j\" {\n  input \"env\" {\n    default = \"prod\"\n"
          "    options = [\"staging\", \"production\"]\n  }\n}\n",
          "3:15: error: the default \"prod\" of input \"env\" is not one of its options" },
        { "job \"j\" {\n  input \"n\" {\n    type    = number\n    default = \"abc\"\n  }\n}\n",
          "4:15: error: the default of input \"n\" must be a number, not \"abc\"" },
        { "job \"j\" {\n  input \"b\" {\n    type    = bool\n    options = [\"true\", \"maybe\"]\n"
          "  }\n}\n",
          "4:15: error: option \"maybe\" of input \"b\" is not a bool" },
    };
    RUN(cases);
}

static void
test_warnings(void **state)
{
    (void) state;
    static const s_case_t cases[] = {
        { "resource \"trigger\" \"x\" {\n}\njob \"j\" {\n  put \"trigger\" \"x\" {\n"
          "    timout = \"5m\"\n  }\n}\n",
          "5:5: warning: \"timout\" is passed to the put as a parameter; did you mean "
          "\"timeout\"?" },
        { "resource \"git\" \"x\" {\n  params {\n    url    = \"u\"\n    brnach = \"main\"\n"
          "  }\n}\n",
          "1:1: warning: resource type \"git\" does not take param \"brnach\"; did you mean "
          "\"branch\"?" },
    };
    RUN(cases);
}

// Every error at once, sorted by position whatever order they were found in.
static void
test_all_errors_sorted(void **state)
{
    (void) state;
    const char *src =
        "job \"b\" {\n"
        "  get \"cron\" \"nope\" {\n"
        "    passed = [\"zzz\"]\n"
        "  }\n"
        "  tsk \"x\" {\n"
        "  }\n"
        "}\n"
        "resource \"crn\" \"t\" {\n"
        "  check_interval = \"@every 1s\"\n"
        "}\n";
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse(src, NULL, &diags);
    char *text = t_diags_text(diags);
    assert_string_equal(text,
        "2:7: error: undefined resource \"cron.nope\"\n"
        "3:14: error: undefined job \"zzz\" in passed\n"
        "5:3: error: unknown block \"tsk\" in job \"b\"; did you mean \"task\"?\n"
        "8:10: error: undefined resource type \"crn\"; did you mean \"cron\"?\n"
        "9:20: error: check_interval \"@every 1s\" is shorter than the minimum of 10s\n");
    free(text);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

// A pipeline past the job limit gets one error, not one per job over it
// (20,000 jobs gave 10,000, an answer too big for the server to send).
static void
test_job_limit_once(void **state)
{
    (void) state;
    size_t n = 10050, cap = n * 128 + 1, len = 0;     // a job is under 100 bytes
    char *src = malloc(cap);
    for (size_t i = 0; i < n; i++)
        len += (size_t) snprintf(src + len, cap - len, "job \"j%zu\" {\n  task \"t\" {\n"
                                 RUN_OK "  }\n}\n", i);
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse(src, NULL, &diags);
    assert_int_equal(pk_diags_errors(diags), 1);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
    // job i starts on line 7i+1; its label at column 5
    t_expect(src, "70001:5: error: job \"j10000\": a pipeline may hold at most 10000 jobs "
             "(this job and every later one are over the limit)");
    free(src);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_undefined_references),
        cmocka_unit_test(test_passed),
        cmocka_unit_test(test_types_and_sources),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_duration_and_cron_messages),
        cmocka_unit_test(test_step_placement),
        cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_for_each_errors),
        cmocka_unit_test(test_inputs),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_all_errors_sorted),
        cmocka_unit_test(test_job_limit_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
