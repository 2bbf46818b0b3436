// test_git_local: pk_git_pull from the runner's mirror (lib/pk_git_local.c):
// the checkout is a repository of its own that git itself can use (log,
// tags, origin's branches, fsck), its objects are links of the mirror's (a
// copy across file systems), and it outlives what happens to the mirror
// afterwards: fetched again, deleted, pulled from by two builds at once.
// Real repositories over file://, the git binary to look at the result.
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "pk_git.h"
#include "test_sh.h"

typedef struct {
    char root[64];
    char origin[128];
    char url[160];
    char work[128];
    char cache[128];
    int stamp;
} fx_t;

static char *
s_commit(fx_t *fx, const char *content)
{
    char date[32];
    snprintf(date, sizeof date, "@%d +0000", 1700000000 + fx->stamp++);
    setenv("GIT_AUTHOR_DATE", date, 1);
    setenv("GIT_COMMITTER_DATE", date, 1);
    assert_int_equal(test_sh("printf '%%s' '%s' > %s/a && git -C %s add -A && "
                          "git -C %s commit -q -m '%s' && git -C %s push -q origin HEAD:main",
                          content, fx->work, fx->work, fx->work, content, fx->work), 0);
    return test_out("git -C %s rev-parse HEAD", fx->work);
}

static void
s_fx_init(fx_t *fx, const char *cache_base)
{
    memset(fx, 0, sizeof *fx);
    strcpy(fx->root, "/tmp/pk-test-gitl-XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    snprintf(fx->origin, sizeof fx->origin, "%s/origin.git", fx->root);
    snprintf(fx->url, sizeof fx->url, "file://%s", fx->origin);
    snprintf(fx->work, sizeof fx->work, "%s/work", fx->root);
    if (cache_base) {
        snprintf(fx->cache, sizeof fx->cache, "%s/pk-test-gitl-cache-XXXXXX", cache_base);
        assert_non_null(mkdtemp(fx->cache));
    }
    else
        snprintf(fx->cache, sizeof fx->cache, "%s/cache", fx->root);
    assert_int_equal(test_sh("git init -q --bare -b main %s && git init -q -b main %s && "
                          "git -C %s config user.name t && git -C %s config user.email t@t && "
                          "git -C %s remote add origin %s", fx->origin, fx->work, fx->work,
                          fx->work, fx->work, fx->origin), 0);
}

static void
s_fx_fini(fx_t *fx)
{
    assert_int_equal(test_sh("rm -rf %s %s", fx->root, fx->cache), 0);
}

static void
s_pull(fx_t *fx, const char *sha, const char *dest)
{
    pk_git_params_t p = { .url = fx->url };
    char *err = NULL;
    if (pk_git_pull(&p, sha, dest, fx->cache, &err) != 0)
        fail_msg("pull failed: %s", err ? err : "(no message)");
}

static void
s_check(fx_t *fx, const char *last)
{
    pk_git_params_t p = { .url = fx->url };
    char *versions = NULL, *err = NULL;
    if (pk_git_check(&p, last, fx->cache, &versions, &err) != 0)
        fail_msg("check failed: %s", err ? err : "(no message)");
    free(versions);
}

// dest is a sound repository at exactly sha, with history down to first.
static void
s_assert_repo(const char *dest, const char *sha, const char *history)
{
    char *head = test_out("git -C %s rev-parse HEAD", dest);
    assert_string_equal(head, sha);
    assert_int_not_equal(test_sh("git -C %s symbolic-ref -q HEAD", dest), 0);
    char *status = test_out("git -C %s status --porcelain --untracked-files=all", dest);
    assert_string_equal(status, "");
    char *log = test_out("git -C %s log --format=%%s | tr '\\n' ,", dest);
    assert_string_equal(log, history);
    assert_int_equal(test_sh("git -C %s fsck --full --no-dangling --no-progress >&2", dest), 0);
    free(head), free(status), free(log);
}

static void
test_checkout_is_a_clone(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    assert_int_equal(test_sh("git -C %s tag -a v1 -m v1 && git -C %s push -q origin v1",
                          fx.work, fx.work), 0);
    char *c2 = s_commit(&fx, "two");
    // (the mirror fetches every branch and tag for the pull: it lacks c2)
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    s_pull(&fx, c2, dest);
    s_assert_repo(dest, c2, "two,one,");
    // what a clone has: origin's branch, the tags, origin's URL
    char *branches = test_out("git -C %s branch -r", dest);
    assert_string_equal(branches, "  origin/main");
    char *describe = test_out("git -C %s describe --tags", dest);
    assert_non_null(strstr(describe, "v1-1-g"));
    char *url = test_out("git -C %s remote get-url origin", dest);
    assert_string_equal(url, fx.url);
    char *a = test_out("cat %s/a", dest);
    assert_string_equal(a, "two");
    // git can fetch from origin in it (the refspec is a clone's)
    char *c3 = s_commit(&fx, "three");
    assert_int_equal(test_sh("git -C %s fetch -q && git -C %s merge-base --is-ancestor %s "
                          "origin/main", dest, dest, c3), 0);
    // the objects are links of the mirror's, not copies
    char *links = test_out("stat -c %%h %s/.git/objects/pack/*.pack | sort -n | head -1", dest);
    assert_true(atoi(links) >= 2);
    free(c1), free(c2), free(c3), free(branches), free(describe), free(url), free(a);
    free(links);
    s_fx_fini(&fx);
}

// A checkout has the tags of its history that the repository had when the
// commit was checked (what a clone has): tags come with the check's fetches
// too, not only with a get's own fetch -- `git describe` in a task needs
// them, and a get whose commit the check already fetched fetches nothing.
static void
test_checkout_has_new_tags(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    s_check(&fx, NULL);
    char *c2 = s_commit(&fx, "two");
    s_check(&fx, c1);                       // the mirror is made: it fetches c2
    assert_int_equal(test_sh("git -C %s tag -a v2 -m v2 && git -C %s push -q origin v2",
                          fx.work, fx.work), 0);
    char *c3 = s_commit(&fx, "three");
    s_check(&fx, c2);                       // fetches c3 (and v2, on c2)
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    s_pull(&fx, c3, dest);                  // the mirror has c3: no fetch here
    s_assert_repo(dest, c3, "three,two,one,");
    char *describe = test_out("git -C %s describe --tags 2>&1", dest);
    assert_non_null(strstr(describe, "v2-1-g"));
    free(c1), free(c2), free(c3), free(describe);
    s_fx_fini(&fx);
}

// The checkout outlives the mirror: fetched into again, then deleted.
static void
test_checkout_outlives_mirror(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    char d1[192], d2[192];
    snprintf(d1, sizeof d1, "%s/b1/app", fx.root);
    snprintf(d2, sizeof d2, "%s/b2/app", fx.root);
    s_pull(&fx, c1, d1);
    char *c2 = s_commit(&fx, "two");
    s_check(&fx, c1);               // fetches into the mirror
    s_pull(&fx, c2, d2);
    s_assert_repo(d1, c1, "one,");
    assert_int_equal(test_sh("rm -rf %s", fx.cache), 0);
    s_assert_repo(d1, c1, "one,");
    s_assert_repo(d2, c2, "two,one,");
    // a rebuilt mirror serves new builds
    char d3[192];
    snprintf(d3, sizeof d3, "%s/b3/app", fx.root);
    s_pull(&fx, c1, d3);
    s_assert_repo(d3, c1, "one,");
    free(c1), free(c2);
    s_fx_fini(&fx);
}

typedef struct {
    fx_t *fx;
    const char *sha;
    int id;
    int failures;
} s_puller_t;

static void *
s_puller(void *arg)
{
    s_puller_t *w = arg;
    pk_git_params_t p = { .url = w->fx->url };
    for (int i = 0; i < 5; i++) {
        char dest[224], *err = NULL;
        snprintf(dest, sizeof dest, "%s/p%d-%d/app", w->fx->root, w->id, i);
        if (pk_git_pull(&p, w->sha, dest, w->fx->cache, &err) != 0)
            w->failures++;
        free(err);
    }
    return NULL;
}

// Two builds at once from one mirror, one of them making the mirror fetch
// (its commit is not there yet) while the other links from it.
static void
test_concurrent_builds(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    s_check(&fx, NULL);
    char *c2 = s_commit(&fx, "two");
    s_puller_t w[2] = { { .fx = &fx, .sha = c1, .id = 0 }, { .fx = &fx, .sha = c2, .id = 1 } };
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, s_puller, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    for (int i = 0; i < 5; i++) {
        char dest[224];
        snprintf(dest, sizeof dest, "%s/p0-%d/app", fx.root, i);
        s_assert_repo(dest, c1, "one,");
        snprintf(dest, sizeof dest, "%s/p1-%d/app", fx.root, i);
        s_assert_repo(dest, c2, "two,one,");
    }
    free(c1), free(c2);
    s_fx_fini(&fx);
}

// A mirror git itself fetched into keeps small fetches as loose objects:
// those are linked too.
static void
test_loose_objects(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    char dest[192];
    snprintf(dest, sizeof dest, "%s/b1/app", fx.root);
    s_pull(&fx, c1, dest);          // makes the mirror
    char *c2 = s_commit(&fx, "two");
    assert_int_equal(test_sh("git --git-dir=%s/repo -c fetch.unpackLimit=1000 fetch -q %s >&2 "
                          "+refs/heads/main:refs/heads/main", fx.cache, fx.origin), 0);
    char *loose = test_out("git --git-dir=%s/repo count-objects | cut -d' ' -f1", fx.cache);
    assert_true(atoi(loose) > 0);
    snprintf(dest, sizeof dest, "%s/b/app", fx.root);
    s_pull(&fx, c2, dest);
    s_assert_repo(dest, c2, "two,one,");
    free(c1), free(c2), free(loose);
    s_fx_fini(&fx);
}

// The cache on another file system than the work dir: copies, not links.
static void
test_other_file_system(void **state)
{
    (void) state;
    struct stat a, b;
    if (stat("/dev/shm", &a) != 0 || stat("/tmp", &b) != 0 || a.st_dev == b.st_dev
        || access("/dev/shm", W_OK) != 0)
        skip();
    fx_t fx;
    s_fx_init(&fx, "/dev/shm");
    char *c1 = s_commit(&fx, "one");
    char *c2 = s_commit(&fx, "two");
    s_check(&fx, c1);
    char dest[192];
    snprintf(dest, sizeof dest, "%s/b/app", fx.root);
    s_pull(&fx, c2, dest);
    s_assert_repo(dest, c2, "two,one,");
    char *links = test_out("stat -c %%h %s/.git/objects/pack/*.pack | sort -n | tail -1", dest);
    assert_int_equal(atoi(links), 1);
    free(c1), free(c2), free(links);
    s_fx_fini(&fx);
}

// A check after each of 40 commits: one pack per fetch, merged once there
// are more than 16 (PK_GIT_PACKS_MAX); nothing lost, old checkouts untouched.
static void
test_packs_kept_few(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *first = s_commit(&fx, "c0");
    char *last = strdup(first);
    char early[192];
    snprintf(early, sizeof early, "%s/early/app", fx.root);
    s_pull(&fx, first, early);      // makes the mirror: its first pack
    char history[512] = "c0,";
    for (int i = 1; i <= 40; i++) {
        char msg[16];
        snprintf(msg, sizeof msg, "c%d", i);
        char *c = s_commit(&fx, msg);
        s_check(&fx, last);
        free(last);
        last = c;
        char h[512];
        snprintf(h, sizeof h, "%s,%s", msg, history);
        strcpy(history, h);
    }
    char *packs = test_out("ls %s/repo/objects/pack/*.pack | wc -l", fx.cache);
    assert_true(atoi(packs) <= 17);
    assert_true(atoi(packs) >= 2);
    char *idx = test_out("ls %s/repo/objects/pack/*.idx | wc -l", fx.cache);
    assert_string_equal(idx, packs);
    assert_int_equal(test_sh("git --git-dir=%s/repo fsck --full --no-progress >&2", fx.cache), 0);
    char dest[192];
    snprintf(dest, sizeof dest, "%s/late/app", fx.root);
    s_pull(&fx, last, dest);
    s_assert_repo(dest, last, history);
    snprintf(dest, sizeof dest, "%s/old/app", fx.root);
    s_pull(&fx, first, dest);
    s_assert_repo(dest, first, "c0,");
    s_assert_repo(early, first, "c0,");
    free(first), free(last), free(packs), free(idx);
    s_fx_fini(&fx);
}

// The mirror stays open in the process between calls (pk_git_mirrors.h):
// another process repacking it (every pack replaced by one) or rebuilding
// it in its place is seen by the next call, which opens it afresh.
static void
test_kept_mirror_follows_disk(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    char dest[192];
    snprintf(dest, sizeof dest, "%s/b1/app", fx.root);
    s_pull(&fx, c1, dest);          // makes the mirror, kept open
    char *c2 = s_commit(&fx, "two");
    s_check(&fx, c1);               // a second pack, through the kept mirror
    assert_int_equal(test_sh("git --git-dir=%s/repo repack -a -d -q >&2", fx.cache), 0);
    char *packs = test_out("ls %s/repo/objects/pack/*.pack | wc -l", fx.cache);
    assert_string_equal(packs, "1");
    snprintf(dest, sizeof dest, "%s/b2/app", fx.root);
    s_pull(&fx, c2, dest);
    s_assert_repo(dest, c2, "two,one,");
    // rebuilt by someone else from another origin with other history
    char *c3 = s_commit(&fx, "three");
    assert_int_equal(test_sh("rm -rf %s/repo && git clone -q --bare %s %s/repo", fx.cache,
                          fx.origin, fx.cache), 0);
    snprintf(dest, sizeof dest, "%s/b3/app", fx.root);
    s_pull(&fx, c3, dest);
    s_assert_repo(dest, c3, "three,two,one,");
    free(c1), free(c2), free(c3), free(packs);
    s_fx_fini(&fx);
}

// An idle check readies the next get's skeleton beside the mirror; the
// get renames it into place (gone after), and the checkout is whole.
static void
test_skeleton(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    char dest[192];
    snprintf(dest, sizeof dest, "%s/b1/app", fx.root);
    s_pull(&fx, c1, dest);
    assert_int_not_equal(test_sh("ls -d %s/repo.skel-* 2>/dev/null", fx.cache), 0);
    s_check(&fx, c1);               // nothing new: makes one
    char *skels = test_out("ls -d %s/repo.skel-* | wc -l", fx.cache);
    assert_string_equal(skels, "1");
    s_check(&fx, c1);               // one is enough
    char *again = test_out("ls -d %s/repo.skel-* | wc -l", fx.cache);
    assert_string_equal(again, "1");
    char *c2 = s_commit(&fx, "two");
    s_check(&fx, c1);
    snprintf(dest, sizeof dest, "%s/b2/app", fx.root);
    assert_int_equal(mkdir(dest, 0755) == 0 ? 0 : test_sh("mkdir -p %s", dest), 0);  // empty: fine
    s_pull(&fx, c2, dest);
    assert_int_not_equal(test_sh("ls -d %s/repo.skel-* 2>/dev/null", fx.cache), 0);
    s_assert_repo(dest, c2, "two,one,");
    char *url = test_out("git -C %s remote get-url origin", dest);
    assert_string_equal(url, fx.url);
    free(c1), free(c2), free(skels), free(again), free(url);
    s_fx_fini(&fx);
}

// The runner user's own git config does not rewrite the files checked out
// (core.autocrlf here): the working tree is the commit's tree, byte for byte.
static void
test_user_config_ignored(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one\ntwo\n");
    char gitconfig[256], dest[192];
    snprintf(gitconfig, sizeof gitconfig, "%s/.gitconfig", getenv("HOME"));
    FILE *f = fopen(gitconfig, "w");
    assert_non_null(f);
    fputs("[core]\n\tautocrlf = true\n\teol = crlf\n", f);
    fclose(f);
    snprintf(dest, sizeof dest, "%s/b1/app", fx.root);
    s_pull(&fx, c1, dest);
    unlink(gitconfig);
    char *bytes = test_out("od -An -c %s/a | tr -d ' \\n'", dest);
    assert_string_equal(bytes, "one\\ntwo\\n");
    free(c1), free(bytes);
    s_fx_fini(&fx);
}

// A work dir that is not empty: refused, the user's file untouched.
static void
test_not_empty(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, NULL);
    char *c1 = s_commit(&fx, "one");
    pk_git_params_t p = { .url = fx.url };
    char dest[192], *err = NULL;
    snprintf(dest, sizeof dest, "%s/build", fx.root);
    assert_int_equal(test_sh("mkdir -p %s && echo keep > %s/keep", dest, dest), 0);
    assert_int_equal(pk_git_pull(&p, c1, dest, fx.cache, &err), -1);
    assert_non_null(strstr(err, "not an empty directory"));
    char *keep = test_out("ls -A %s", dest);
    assert_string_equal(keep, "keep");
    free(keep), free(err), free(c1);
    s_fx_fini(&fx);
}

int
main(void)
{
    // git run by the test reads no user or system config
    char home[] = "/tmp/pk-test-gitl-home-XXXXXX";
    assert_non_null(mkdtemp(home));
    setenv("HOME", home, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    assert_int_equal(pk_git_init(), 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkout_is_a_clone),
        cmocka_unit_test(test_checkout_has_new_tags),
        cmocka_unit_test(test_checkout_outlives_mirror),
        cmocka_unit_test(test_concurrent_builds),
        cmocka_unit_test(test_loose_objects),
        cmocka_unit_test(test_other_file_system),
        cmocka_unit_test(test_not_empty),
        cmocka_unit_test(test_packs_kept_few),
        cmocka_unit_test(test_kept_mirror_follows_disk),
        cmocka_unit_test(test_user_config_ignored),
        cmocka_unit_test(test_skeleton),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    pk_git_shutdown();
    test_sh("rm -rf %s", home);
    return rc;
}
