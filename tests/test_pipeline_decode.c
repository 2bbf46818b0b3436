// test_pipeline_decode: HCL -> pipeline model. Each case decodes a small
// pipeline and checks the fields later code relies on: evaluated commands, implicit built-in types, step trees, if chains,
// for_each/matrix instances. The last case feeds truncated and mutated
// pipelines through the decoder to show it never crashes or leaks.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_pipeline_util.h"

static const char *
s_str(const pk_value_t *obj, const char *key)
{
    const pk_value_t *v = pk_value_object_get(obj, key);
    assert_non_null(v);
    assert_int_equal(pk_value_kind(v), PK_V_STRING);
    return pk_value_string(v);
}

static char *
s_read_example(const char *name)
{
    const char *dir = getenv("PIKOCI_SOURCE_DIR");
    assert_non_null(dir);
    char *path = NULL;
    assert_true(asprintf(&path, "%s/examples/%s", dir, name) > 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, mem);
    fclose(mem);
    fclose(f);
    free(path);
    return buf;
}

static void
test_pipeline_md_example(void **state)
{
    (void) state;
    char *src = s_read_example("git-test-deploy.hcl");
    pk_diags_t *diags;
    pk_pipeline_t *p = t_valid(src, &diags);
    assert_int_equal(pk_diags_count(diags), 0);

    assert_int_equal(p->variable_count, 1);
    const pk_variable_t *repo = pk_pipeline_variable(p, "repo");
    assert_int_equal(repo->type, PK_VAR_STRING);
    assert_string_equal(pk_value_string(repo->value), "https://example.org/app.git");

    assert_int_equal(p->resource_count, 1);
    const pk_resource_t *app = pk_pipeline_resource(p, "git.app");
    assert_non_null(app);
    assert_string_equal(app->check_interval, "@every 1m");
    assert_string_equal(s_str(app->params, "url"), "https://example.org/app.git");
    assert_string_equal(s_str(app->params, "name"), "app");
    assert_int_equal(app->cache, -1);

    // git, shell and exec are built-ins: implicit declarations
    const pk_resource_type_t *git = pk_pipeline_resource_type(p, "git");
    assert_non_null(git);
    assert_true(git->implicit);
    assert_string_equal(git->source, "pikoci://git");
    bool branch = false;
    for (size_t i = 0; i < git->params.count; i++)
        branch = branch || !strcmp(git->params.items[i], "branch");
    assert_true(branch);
    assert_true(pk_pipeline_runner_type(p, "shell")->implicit);
    assert_string_equal(pk_pipeline_runner_type(p, "exec")->source, "pikoci://exec");
    assert_null(pk_pipeline_runner_type(p, "docker"));

    assert_int_equal(p->job_count, 2);
    const pk_job_t *test = pk_pipeline_job(p, "test");
    assert_int_equal(test->plan.count, 2);
    const pk_step_t *get = test->plan.items[0];
    assert_int_equal(get->kind, PK_STEP_GET);
    assert_string_equal(get->canonical, "git.app");
    assert_true(get->trigger);
    assert_int_equal(get->attempts, 1);
    assert_int_equal(get->timeout_ms, 0);
    const pk_step_t *unit = test->plan.items[1];
    assert_int_equal(unit->kind, PK_STEP_TASK);
    assert_string_equal(unit->name, "unit");
    assert_string_equal(unit->run->runner, "shell");
    assert_string_equal(s_str(unit->run->attrs, "cmd"), "cd app && make test");

    const pk_job_t *deploy = pk_pipeline_job(p, "deploy");
    const pk_step_t *dget = deploy->plan.items[0];
    assert_int_equal(dget->passed.count, 1);
    assert_string_equal(dget->passed.items[0], "test");
    assert_int_equal(dget->passed_jobs.count, 1);
    assert_string_equal(dget->passed_jobs.items[0], "test");
    const pk_step_t *ship = deploy->plan.items[1];
    assert_string_equal(s_str(ship->run->attrs, "path"), "/bin/sh");
    const pk_value_t *args = pk_value_object_get(ship->run->attrs, "args");
    assert_int_equal(pk_value_len(args), 2);
    assert_string_equal(pk_value_string(pk_value_list_at(args, 0)), "-ec");
    assert_string_equal(pk_value_string(pk_value_list_at(args, 1)), "cd app\n./deploy.sh\n");
    // ranges point into the file
    assert_int_equal(test->range.start.line, 22);
    assert_int_equal(unit->range.start.line, 26);
    assert_string_equal(unit->range.start.file, "t.hcl");

    pk_pipeline_destroy(&p);
    assert_null(p);
    pk_diags_destroy(&diags);
    free(src);
}

static const char *s_types_src =
    "resource_type \"mytype\" {\n"
    "  params = [\"a\", \"b\"]\n"
    "  cache  = true\n"
    "  runner \"docker\" {\n"
    "    image = \"alpine\"\n"
    "  }\n"
    "  check \"exec\" {\n"
    "    path = \"/bin/sh\"\n"
    "    args = [\"-ec\", \"echo '[]'\", 3]\n"
    "  }\n"
    "  push \"exec\" {\n"
    "  }\n"
    "}\n"
    "runner_type \"bash\" {\n"
    "  run {\n"
    "    path = \"/bin/bash\"\n"
    "    args = [\"-c\", \"$script\"]\n"
    "  }\n"
    "}\n"
    "secret_type \"vault\" {\n"
    "  source  = \"pikoci://vault\"\n"
    "  params  = [\"path\"]\n"
    "  address = \"https://vault\"\n"
    "}\n"
    "service_type \"pg\" {\n"
    "  params = [\"version\"]\n"
    "  start \"exec\" {\n"
    "    path = \"/bin/true\"\n"
    "  }\n"
    "  ready_check \"exec\" {\n"
    "    path     = \"/bin/true\"\n"
    "    interval = \"2s\"\n"
    "    timeout  = \"30s\"\n"
    "  }\n"
    "  stop \"exec\" {\n"
    "    path = \"/bin/true\"\n"
    "  }\n"
    "}\n"
    "notification_type \"log\" {\n"
    "  notify \"shell\" {\n"
    "    cmd = \"echo $NOTIFY_MESSAGE\"\n"
    "  }\n"
    "}\n"
    "notification \"log\" \"all\" {\n"
    "  params {\n"
    "    level = \"info\"\n"
    "  }\n"
    "  message = \"done\"\n"
    "  on      = [\"success\", \"failure\"]\n"
    "  jobs    = [\"j\"]\n"
    "}\n"
    "resource \"mytype\" \"x\" {\n"
    "  params {\n"
    "    a = 1\n"
    "  }\n"
    "  check_interval = \"*/5 * * * *\"\n"
    "  tags           = [\"vpn\"]\n"
    "  cache          = false\n"
    "  webhook_secret = \"s3cret\"\n"
    "}\n"
    "job \"j\" {\n"
    "  service \"pg\" {\n"
    "    version = \"16\"\n"
    "  }\n"
    "  task \"t\" {\n"
    "    run \"bash\" {\n"
    "      script = \"echo hi\"\n"
    "    }\n"
    "  }\n"
    "  notify \"log\" \"all\" {\n"
    "    message = \"override\"\n"
    "  }\n"
    "}\n";

static void
test_types(void **state)
{
    (void) state;
    pk_diags_t *diags;
    pk_pipeline_t *p = t_valid(s_types_src, &diags);
    assert_int_equal(pk_diags_count(diags), 0);
    const pk_resource_type_t *rt = pk_pipeline_resource_type(p, "mytype");
    assert_false(rt->implicit);
    assert_null(rt->source);
    assert_true(rt->cache);
    assert_int_equal(rt->params.count, 2);
    assert_string_equal(rt->runner->runner, "docker");
    assert_string_equal(s_str(rt->runner->attrs, "image"), "alpine");
    assert_string_equal(rt->check->op, "check");
    const pk_value_t *args = pk_value_object_get(rt->check->attrs, "args");
    assert_int_equal(pk_value_len(args), 3);
    assert_string_equal(pk_value_string(pk_value_list_at(args, 2)), "3");  // args are strings
    assert_null(rt->pull);
    assert_non_null(rt->push);
    assert_int_equal(pk_value_len(rt->push->attrs), 0);

    const pk_runner_type_t *bash = pk_pipeline_runner_type(p, "bash");
    assert_string_equal(bash->run_path, "/bin/bash");
    assert_int_equal(bash->run_args.count, 2);
    assert_string_equal(bash->run_args.items[1], "$script");
    assert_null(bash->run_args.items[2]);

    const pk_secret_type_t *vault = pk_pipeline_secret_type(p, "vault");
    assert_string_equal(vault->source, "pikoci://vault");
    assert_string_equal(s_str(vault->config, "address"), "https://vault");
    assert_null(pk_value_object_get(vault->config, "source"));

    const pk_service_type_t *pg = pk_pipeline_service_type(p, "pg");
    assert_int_equal(pg->ready_interval_ms, 2000);
    assert_int_equal(pg->ready_timeout_ms, 30000);
    assert_null(pk_value_object_get(pg->ready_check->attrs, "interval"));
    assert_string_equal(s_str(pg->ready_check->attrs, "path"), "/bin/true");

    const pk_notification_t *n = pk_pipeline_notification(p, "log.all");
    assert_int_equal(n->on, PK_NOTIFY_ON_SUCCESS | PK_NOTIFY_ON_FAILURE);
    assert_string_equal(n->message, "done");
    assert_string_equal(s_str(n->params, "level"), "info");
    assert_string_equal(n->jobs.items[0], "j");

    const pk_resource_t *x = pk_pipeline_resource(p, "mytype.x");
    assert_int_equal(x->cache, 0);
    assert_string_equal(x->check_interval, "*/5 * * * *");
    assert_string_equal(x->tags.items[0], "vpn");
    assert_string_equal(x->webhook_secret, "s3cret");
    assert_true(pk_value_number(pk_value_object_get(x->params, "a")) == 1);

    const pk_job_t *j = pk_pipeline_job(p, "j");
    assert_int_equal(j->plan.items[0]->kind, PK_STEP_SERVICE);
    assert_string_equal(j->plan.items[0]->type, "pg");
    assert_string_equal(s_str(j->plan.items[0]->attrs, "version"), "16");
    assert_string_equal(j->plan.items[1]->run->runner, "bash");
    assert_int_equal(j->plan.items[2]->kind, PK_STEP_NOTIFY);
    assert_string_equal(j->plan.items[2]->canonical, "log.all");
    assert_string_equal(s_str(j->plan.items[2]->attrs, "message"), "override");
    // docker (type-level override), exec and shell were used: implicit
    assert_true(pk_pipeline_runner_type(p, "docker")->implicit);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

static const char *s_steps_src =
    "resource \"trigger\" \"go\" {\n"
    "}\n"
    "job \"j\" {\n"
    "  timeout     = \"1h\"\n"
    "  concurrency = 2\n"
    "  get \"trigger\" \"go\" {\n"
    "    trigger  = true\n"
    "    timeout  = \"1m30s\"\n"
    "    attempts = 3\n"
    "    on_failure \"exec\" {\n"
    "      path = \"/bin/echo\"\n"
    "    }\n"
    "    ensure {\n"
    "      task \"cleanup\" {\n"
    "        run \"shell\" {\n"
    "          cmd = \"true\"\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  in_parallel {\n"
    "    limit     = 2\n"
    "    fail_fast = true\n"
    "    task \"a\" {\n"
    "      run \"shell\" {\n"
    "        cmd = \"true\"\n"
    "      }\n"
    "    }\n"
    "    task \"b\" {\n"
    "      run \"shell\" {\n"
    "        file = \"b.sh\"\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  if \"prod\" {\n"
    "    condition = \"$INPUT_ENV == 'production'\"\n"
    "    task \"deploy-prod\" {\n"
    "      run \"shell\" {\n"
    "        cmd = \"true\"\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  else_if \"staging\" {\n"
    "    condition = \"$INPUT_ENV == staging\"\n"
    "  }\n"
    "  else {\n"
    "    task \"skip\" {\n"
    "      run \"shell\" {\n"
    "        cmd = \"true\"\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "  if \"again\" {\n"
    "    condition = \"true\"\n"
    "  }\n"
    "  put \"trigger\" \"go\" {\n"
    "    k        = \"v\"\n"
    "    attempts = 2\n"
    "    params {\n"
    "      p = \"q\"\n"
    "    }\n"
    "  }\n"
    "  on_success {\n"
    "    put \"trigger\" \"go\" {\n"
    "      done = true\n"
    "    }\n"
    "  }\n"
    "  on_trigger {\n"
    "    notify \"n\" \"x\" {\n"
    "    }\n"
    "  }\n"
    "}\n"
    "notification_type \"n\" {\n"
    "  source = \"https://example.org/n.hcl\"\n"
    "}\n"
    "notification \"n\" \"x\" {\n"
    "}\n";

static const char *
s_env(const char *name, void *arg)
{
    return !strcmp(name, "INPUT_ENV") ? arg : NULL;
}

static void
test_steps(void **state)
{
    (void) state;
    pk_diags_t *diags;
    pk_pipeline_t *p = t_valid(s_steps_src, &diags);
    const pk_job_t *j = pk_pipeline_job(p, "j");
    assert_int_equal(j->timeout_ms, 3600000);
    assert_int_equal(j->concurrency, 2);
    assert_int_equal(j->plan.count, 5);
    const pk_step_t *get = j->plan.items[0];
    assert_int_equal(get->timeout_ms, 90000);
    assert_int_equal(get->attempts, 3);
    assert_int_equal(get->hooks[PK_HOOK_ON_FAILURE].count, 1);
    assert_string_equal(get->hooks[PK_HOOK_ON_FAILURE].items[0]->command->runner, "exec");
    assert_string_equal(get->hooks[PK_HOOK_ON_FAILURE].items[0]->command->op, "on_failure");
    assert_int_equal(get->hooks[PK_HOOK_ENSURE].count, 1);
    assert_null(get->hooks[PK_HOOK_ENSURE].items[0]->command);
    assert_string_equal(get->hooks[PK_HOOK_ENSURE].items[0]->steps.items[0]->name, "cleanup");

    const pk_step_t *par = j->plan.items[1];
    assert_int_equal(par->kind, PK_STEP_IN_PARALLEL);
    assert_int_equal(par->limit, 2);
    assert_true(par->fail_fast);
    assert_int_equal(par->steps.count, 2);
    assert_string_equal(par->steps.items[1]->name, "b");

    const pk_step_t *chain = j->plan.items[2];
    assert_int_equal(chain->kind, PK_STEP_IF);
    assert_string_equal(chain->name, "prod");
    assert_int_equal(chain->branch_count, 3);
    assert_string_equal(chain->branches[1]->name, "staging");
    assert_null(chain->branches[2]->name);
    assert_null(chain->branches[2]->cond);
    assert_int_equal(chain->branches[0]->steps.count, 1);
    assert_int_equal(chain->branches[1]->steps.count, 0);
    assert_true(pk_condition_eval(chain->branches[0]->cond, s_env, "production"));
    assert_false(pk_condition_eval(chain->branches[0]->cond, s_env, "staging"));
    assert_true(pk_condition_eval(chain->branches[1]->cond, s_env, "staging"));
    // a second `if` starts a new chain
    assert_int_equal(j->plan.items[3]->kind, PK_STEP_IF);
    assert_int_equal(j->plan.items[3]->branch_count, 1);

    const pk_step_t *put = j->plan.items[4];
    assert_int_equal(put->attempts, 2);
    assert_string_equal(s_str(put->attrs, "k"), "v");
    assert_string_equal(s_str(put->attrs, "p"), "q");
    assert_null(pk_value_object_get(put->attrs, "attempts"));

    assert_int_equal(j->hooks[PK_HOOK_ON_SUCCESS].count, 1);
    const pk_step_t *hput = j->hooks[PK_HOOK_ON_SUCCESS].items[0]->steps.items[0];
    assert_true(pk_value_bool(pk_value_object_get(hput->attrs, "done")));
    assert_int_equal(j->hooks[PK_HOOK_ON_TRIGGER].items[0]->steps.items[0]->kind,
                     PK_STEP_NOTIFY);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

static const char *s_for_each_src =
    "resource \"cron\" \"tick\" {\n"
    "}\n"
    "job \"test\" {\n"
    "  for_each = toset([\"1.22\", \"1.21\"])\n"
    "  get \"cron\" \"tick\" {\n"
    "  }\n"
    "  task \"t\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"go${each.value} ${each.key}\"\n"
    "    }\n"
    "  }\n"
    "}\n"
    "job \"m\" {\n"
    "  matrix {\n"
    "    os = [\"linux\", \"darwin\"]\n"
    "    go = [\"1.21\", \"1.22\"]\n"
    "  }\n"
    "  task \"t\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"${each.value.go}/${each.value.os} ${each.key}\"\n"
    "    }\n"
    "  }\n"
    "}\n"
    "job \"map\" {\n"
    "  for_each = {\n"
    "    small = 1\n"
    "    \"Big One\" = 2\n"
    "  }\n"
    "  task \"t\" {\n"
    "    run \"shell\" {\n"
    "      cmd = \"${each.key}=${each.value}\"\n"
    "    }\n"
    "  }\n"
    "}\n"
    "job \"after\" {\n"
    "  get \"cron\" \"tick\" {\n"
    "    passed = [\"test\"]\n"
    "  }\n"
    "}\n"
    "job \"map--small-extra\" {\n"
    "  get \"cron\" \"tick\" {\n"
    "    passed = [\"test--1-22\"]\n"
    "  }\n"
    "}\n";

static void
test_for_each(void **state)
{
    (void) state;
    pk_diags_t *diags;
    pk_pipeline_t *p = t_valid(s_for_each_src, &diags);
    const char *names[] = {
        "test--1-21", "test--1-22",
        "m--1-21-linux", "m--1-21-darwin", "m--1-22-linux", "m--1-22-darwin",
        "map--big-one", "map--small", "after", "map--small-extra"
    };
    assert_int_equal(p->job_count, 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(p->jobs[i]->name, names[i]);
    const pk_job_t *t = pk_pipeline_job(p, "test--1-21");
    assert_string_equal(t->group, "test");
    assert_string_equal(t->each_key, "1.21");
    assert_string_equal(s_str(t->plan.items[1]->run->attrs, "cmd"), "go1.21 1.21");
    const pk_job_t *m = pk_pipeline_job(p, "m--1-22-darwin");
    assert_string_equal(s_str(m->plan.items[0]->run->attrs, "cmd"), "1.22/darwin 1-22-darwin");
    const pk_value_t *mv = pk_value_object_get(m->each, "value");
    assert_string_equal(s_str(mv, "os"), "darwin");
    const pk_job_t *big = pk_pipeline_job(p, "map--big-one");
    assert_string_equal(s_str(big->plan.items[0]->run->attrs, "cmd"), "Big One=2");
    assert_null(pk_pipeline_job(p, "after")->each);
    // passed naming a for_each group means every instance
    const pk_step_t *get = pk_pipeline_job(p, "after")->plan.items[0];
    assert_int_equal(get->passed_jobs.count, 2);
    assert_string_equal(get->passed_jobs.items[0], "test--1-21");
    assert_string_equal(get->passed_jobs.items[1], "test--1-22");
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

static void
test_inputs_and_approve(void **state)
{
    (void) state;
    const char *src =
        "job \"d\" {\n"
        "  approve \"ship it\" {\n"
        "    approvals = 2\n"
        "  }\n"
        "  input \"env\" {\n"
        "    type    = \"string\"\n"
        "    default = \"staging\"\n"
        "    options = [\"staging\", \"production\"]\n"
        "  }\n"
        "  input \"count\" {\n"
        "    type    = number\n"
        "    default = 3\n"
        "  }\n"
        "  input \"tags\" {\n"
        "    options  = [\"a\", \"b\", \"c\"]\n"
        "    multiple = true\n"
        "    default  = [\"a\", \"c\"]\n"
        "  }\n"
        "  input \"required\" {\n"
        "    type = bool\n"
        "  }\n"
        "}\n";
    pk_diags_t *diags;
    pk_pipeline_t *p = t_valid(src, &diags);
    const pk_job_t *d = pk_pipeline_job(p, "d");
    assert_string_equal(d->approve_label, "ship it");
    assert_int_equal(d->approvals, 2);
    assert_int_equal(d->input_count, 4);
    assert_int_equal(d->inputs[0]->options.count, 2);
    assert_string_equal(pk_value_string(d->inputs[0]->default_value), "staging");
    assert_int_equal(d->inputs[1]->type, PK_INPUT_NUMBER);
    assert_true(d->inputs[2]->multiple);
    assert_int_equal(pk_value_len(d->inputs[2]->default_value), 2);
    assert_int_equal(d->inputs[3]->type, PK_INPUT_BOOL);
    assert_null(d->inputs[3]->default_value);
    assert_int_equal(d->plan.count, 0);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

static void
test_slug(void **state)
{
    (void) state;
    const char *cases[][2] = {
        { "1.21", "1-21" }, { "Hello World!", "hello-world" }, { "a__b", "a__b" },
        { "--x--", "x" }, { "_a_", "a" }, { "a - b", "a-b" }, { "\xc3\x9cn\xc3\xaf", "n" },
        { "", "" }, { "...", "" }, { "linux", "linux" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = pk_pipeline_slug(cases[i][0]);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

// Every prefix of a real pipeline, and every byte replaced by characters
// that matter to HCL: the decoder must survive all of them (ASan/LSan on).
static void
test_never_crashes(void **state)
{
    (void) state;
    const char *sources[] = { s_types_src, s_steps_src, s_for_each_src };
    for (size_t s = 0; s < sizeof sources / sizeof sources[0]; s++) {
        const char *src = sources[s];
        size_t len = strlen(src);
        char *buf = malloc(len + 1);
        for (size_t cut = 0; cut <= len; cut += 3) {
            pk_diags_t *diags = pk_diags_new();
            pk_pipeline_t *p = pk_pipeline_parse("t.hcl", src, cut, NULL, diags);
            pk_pipeline_destroy(&p);
            pk_diags_destroy(&diags);
        }
        const char subst[] = "{}\"\n=[$";
        for (size_t i = 0; i < len; i += 2) {
            memcpy(buf, src, len + 1);
            buf[i] = subst[i % (sizeof subst - 1)];
            pk_diags_t *diags = pk_diags_new();
            pk_pipeline_t *p = pk_pipeline_parse("t.hcl", buf, len, NULL, diags);
            pk_pipeline_destroy(&p);
            pk_diags_destroy(&diags);
        }
        free(buf);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipeline_md_example),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_for_each),
        cmocka_unit_test(test_inputs_and_approve),
        cmocka_unit_test(test_slug),
        cmocka_unit_test(test_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
