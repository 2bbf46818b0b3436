// pk_git against real repositories: a bare "origin" made with the git CLI
// and served over file://, pushed to from a work clone. Expected versions
// are computed with `git rev-parse` / `git rev-list`, never written by hand.
// Each scenario runs twice where it matters: with a cache mirror and
// without (temporary repository).
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "pk_git.h"
#include "test_sh.h"

typedef struct {
    char root[64];
    char origin[128];       // bare repository path
    char url[160];          // file:// URL of origin
    char work[128];         // clone that commits and pushes
    char cache[128];        // cache dir (mirror lives in cache/repo)
    const char *cache_dir;  // cache or NULL, per scenario
    int stamp;              // fake commit/tag dates, one second apart
} fx_t;

static char s_home[64];

static void
s_next_date(fx_t *fx)
{
    char date[32];
    snprintf(date, sizeof date, "@%d +0000", 1700000000 + fx->stamp++);
    setenv("GIT_AUTHOR_DATE", date, 1);
    setenv("GIT_COMMITTER_DATE", date, 1);
}

// Writes file=content in the work clone, commits, pushes; returns the sha.
static char *
s_commit_on(fx_t *fx, const char *branch, const char *file, const char *content)
{
    s_next_date(fx);
    assert_int_equal(test_sh("printf '%%s' '%s' > %s/%s && git -C %s add -A && "
                          "git -C %s commit -q -m 'set %s' && git -C %s push -q origin HEAD:%s",
                          content, fx->work, file, fx->work, fx->work, file, fx->work,
                          branch), 0);
    return test_line("git -C %s rev-parse HEAD", fx->work);
}

static char *
s_commit(fx_t *fx, const char *file, const char *content)
{
    return s_commit_on(fx, "main", file, content);
}

static char *
s_json1(const char *sha)
{
    char *out = NULL;
    assert_true(asprintf(&out, "[{\"ref\":\"%s\"}]", sha) >= 0);
    return out;
}

static char *
s_json2(const char *a, const char *b)
{
    char *out = NULL;
    assert_true(asprintf(&out, "[{\"ref\":\"%s\"},{\"ref\":\"%s\"}]", a, b) >= 0);
    return out;
}

static void
s_fx_init(fx_t *fx, bool cached)
{
    memset(fx, 0, sizeof *fx);
    strcpy(fx->root, "/tmp/pk-test-git-XXXXXX");
    assert_non_null(mkdtemp(fx->root));
    snprintf(fx->origin, sizeof fx->origin, "%s/origin.git", fx->root);
    snprintf(fx->url, sizeof fx->url, "file://%s", fx->origin);
    snprintf(fx->work, sizeof fx->work, "%s/work", fx->root);
    snprintf(fx->cache, sizeof fx->cache, "%s/cache", fx->root);
    fx->cache_dir = cached ? fx->cache : NULL;
    assert_int_equal(test_sh("git init -q --bare -b main %s && git init -q -b main %s && "
                          "git -C %s remote add origin %s", fx->origin, fx->work, fx->work,
                          fx->origin), 0);
}

static void
s_fx_fini(fx_t *fx)
{
    assert_int_equal(test_sh("rm -rf %s", fx->root), 0);
}

static char *
s_check(fx_t *fx, const pk_git_params_t *p, const char *last)
{
    char *versions = NULL, *err = NULL;
    int rc = pk_git_check(p, last, fx->cache_dir, &versions, &err);
    if (rc != 0)
        fail_msg("check failed: %s", err ? err : "(no message)");
    assert_null(err);
    assert_non_null(versions);
    return versions;
}

static char *
s_check_err(fx_t *fx, const pk_git_params_t *p, const char *last)
{
    char *versions = NULL, *err = NULL;
    assert_int_equal(pk_git_check(p, last, fx->cache_dir, &versions, &err), -1);
    assert_null(versions);
    assert_non_null(err);
    return err;
}

static void
s_expect(char *got, char *want)
{
    assert_string_equal(got, want);
    free(got);
    free(want);
}

// ---------------------------------------------------------------- check

static void
s_scenario_new_commits(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    pk_git_params_t p = { .url = fx.url };
    char *c1 = s_commit(&fx, "a", "1");
    char *c2 = s_commit(&fx, "a", "2");
    // First check: only the newest commit, never the history.
    s_expect(s_check(&fx, &p, NULL), s_json1(c2));
    // Unchanged.
    s_expect(s_check(&fx, &p, c2), strdup("[]"));
    // One new commit.
    char *c3 = s_commit(&fx, "b", "3");
    s_expect(s_check(&fx, &p, c2), s_json1(c3));
    // Two new commits: both, oldest first.
    char *c4 = s_commit(&fx, "a", "4");
    char *c5 = s_commit(&fx, "c", "5");
    s_expect(s_check(&fx, &p, c3), s_json2(c4, c5));
    s_expect(s_check(&fx, &p, c5), strdup("[]"));
    // A last version that is no sha at all: the tip, not an error.
    s_expect(s_check(&fx, &p, "not-a-sha"), s_json1(c5));
    free(c1), free(c2), free(c3), free(c4), free(c5);
    s_fx_fini(&fx);
}

static void
test_check_new_commits(void **state)
{
    (void) state;
    s_scenario_new_commits(false);
}

static void
test_check_new_commits_cached(void **state)
{
    (void) state;
    s_scenario_new_commits(true);
}

static void
s_scenario_force_push(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    pk_git_params_t p = { .url = fx.url };
    char *a = s_commit(&fx, "f", "a");
    char *b = s_commit(&fx, "f", "b");
    // Let the mirror (when there is one) learn b.
    s_expect(s_check(&fx, &p, a), s_json1(b));
    // Rewrite history: drop b, commit c and d on a, force-push.
    assert_int_equal(test_sh("git -C %s reset -q --hard %s", fx.work, a), 0);
    s_next_date(&fx);
    assert_int_equal(test_sh("printf c > %s/f && git -C %s commit -qam c", fx.work, fx.work), 0);
    s_next_date(&fx);
    assert_int_equal(test_sh("printf d > %s/f && git -C %s commit -qam d && "
                          "git -C %s push -q -f origin HEAD:main", fx.work, fx.work,
                          fx.work), 0);
    char *c = test_line("git -C %s rev-parse HEAD", fx.work);
    // b is not an ancestor of d: just the new tip, not c and d (with the
    // mirror, b is a known object; without, it is unknown: both give the tip).
    s_expect(s_check(&fx, &p, b), s_json1(c));
    // A sha nobody has ever seen: the tip too.
    s_expect(s_check(&fx, &p, "0123456789abcdef0123456789abcdef01234567"), s_json1(c));
    free(a), free(b), free(c);
    s_fx_fini(&fx);
}

static void
test_check_force_push(void **state)
{
    (void) state;
    s_scenario_force_push(false);
}

static void
test_check_force_push_cached(void **state)
{
    (void) state;
    s_scenario_force_push(true);
}

static void
test_check_branches(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    char *m = s_commit(&fx, "m", "main");
    assert_int_equal(test_sh("git -C %s checkout -q -b dev", fx.work), 0);
    char *d1 = s_commit_on(&fx, "dev", "d", "1");
    char *d2 = s_commit_on(&fx, "dev", "d", "2");
    // Default: the remote HEAD's branch (main), not the newest commit.
    pk_git_params_t p = { .url = fx.url };
    s_expect(s_check(&fx, &p, NULL), s_json1(m));
    s_expect(s_check(&fx, &p, m), strdup("[]"));
    pk_git_params_t pd = { .url = fx.url, .branch = "dev" };
    s_expect(s_check(&fx, &pd, NULL), s_json1(d2));
    s_expect(s_check(&fx, &pd, m), s_json2(d1, d2));
    s_expect(s_check(&fx, &pd, d2), strdup("[]"));
    // A full ref name works too.
    pk_git_params_t pr = { .url = fx.url, .branch = "refs/heads/dev" };
    s_expect(s_check(&fx, &pr, d1), s_json1(d2));
    free(m), free(d1), free(d2);
    s_fx_fini(&fx);
}

// A plain path works like its file:// URL, for check and pull.
static void
test_plain_path(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, false);
    char *c1 = s_commit(&fx, "a", "1");
    char *c2 = s_commit(&fx, "a", "2");
    pk_git_params_t p = { .url = fx.origin };
    s_expect(s_check(&fx, &p, NULL), s_json1(c2));
    s_expect(s_check(&fx, &p, c1), s_json1(c2));
    char dest[192], *err = NULL;
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    assert_int_equal(pk_git_pull(&p, c1, dest, NULL, &err), 0);
    assert_null(err);
    char *head = test_line("git -C %s rev-parse HEAD", dest);
    assert_string_equal(head, c1);
    free(head), free(c1), free(c2);
    s_fx_fini(&fx);
}

static void
test_check_unknown_branch(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, false);
    free(s_commit(&fx, "a", "1"));
    free(s_commit_on(&fx, "release", "a", "2"));
    free(s_commit_on(&fx, "dev", "a", "3"));
    pk_git_params_t p = { .url = fx.url, .branch = "nope" };
    char *err = s_check_err(&fx, &p, NULL);
    char *want = NULL;
    assert_true(asprintf(&want, "git: branch \"nope\" not found in %s (branches: dev, main, "
                         "release)", fx.url) >= 0);
    s_expect(err, want);
    s_fx_fini(&fx);
}

static void
test_check_empty_repo(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, false);
    pk_git_params_t p = { .url = fx.url };
    char *err = s_check_err(&fx, &p, NULL);
    assert_non_null(strstr(err, "has no branches yet"));
    assert_non_null(strstr(err, fx.url));
    free(err);
    s_fx_fini(&fx);
}

static void
test_check_unreachable(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, false);
    char *url = NULL;
    assert_true(asprintf(&url, "file://%s/missing.git", fx.root) >= 0);
    pk_git_params_t p = { .url = url };
    char *err = s_check_err(&fx, &p, NULL);
    char *prefix = NULL;
    assert_true(asprintf(&prefix, "git: cannot reach %s: ", url) >= 0);
    assert_memory_equal(err, prefix, strlen(prefix));
    assert_true(strlen(err) > strlen(prefix));      // libgit2's reason follows
    free(err), free(prefix), free(url);
    // A closed loopback port: refused, not hung.
    pk_git_params_t ph = { .url = "http://127.0.0.1:1/x.git" };
    err = s_check_err(&fx, &ph, NULL);
    assert_non_null(strstr(err, "git: cannot reach http://127.0.0.1:1/x.git: "));
    free(err);
    s_fx_fini(&fx);
}

static void
test_check_bad_params(void **state)
{
    (void) state;
    char *versions = NULL, *err = NULL;
    pk_git_params_t none = { 0 };
    assert_int_equal(pk_git_check(&none, NULL, NULL, &versions, &err), -1);
    assert_string_equal(err, "git: param \"url\" is required");
    free(err), err = NULL;
    assert_int_equal(pk_git_check(NULL, NULL, NULL, &versions, &err), -1);
    free(err), err = NULL;
    pk_git_params_t commits = { .url = "file:///x" };
    assert_string_equal(pk_git_version_key(&commits), "ref");
    pk_git_params_t tag = { .url = "file:///x", .tag = true };
    assert_string_equal(pk_git_version_key(&tag), "tag");
}

static void
s_tag(fx_t *fx, const char *name, bool annotated)
{
    s_next_date(fx);
    assert_int_equal(test_sh("git -C %s tag %s %s && git -C %s push -q origin %s", fx->work,
                          annotated ? "-a -m release" : "", name, fx->work, name), 0);
}

static char *
s_tag_json(fx_t *fx, const char *const *names)
{
    char *out = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&out, &size);
    fputc('[', f);
    for (int i = 0; names[i]; i++) {
        char *sha = test_line("git -C %s rev-parse %s^{commit}", fx->origin, names[i]);
        fprintf(f, "%s{\"ref\":\"%s\",\"tag\":\"%s\"}", i ? "," : "", sha, names[i]);
        free(sha);
    }
    fputc(']', f);
    fclose(f);
    return out;
}

static void
s_scenario_tags(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    pk_git_params_t p = { .url = fx.url, .tag = true };
    free(s_commit(&fx, "a", "1"));
    s_expect(s_check(&fx, &p, NULL), strdup("[]"));     // no tags yet
    s_tag(&fx, "v1.0", false);
    free(s_commit(&fx, "a", "2"));
    s_tag(&fx, "v1.1", true);
    // First check: the newest tag only.
    s_expect(s_check(&fx, &p, NULL), s_tag_json(&fx, (const char *[]) { "v1.1", NULL }));
    s_expect(s_check(&fx, &p, "v1.1"), strdup("[]"));
    // Two new tags (one on an older commit, annotated now): oldest first.
    free(s_commit(&fx, "a", "3"));
    s_tag(&fx, "v1.2", false);
    assert_int_equal(test_sh("git -C %s checkout -q HEAD~2", fx.work), 0);
    s_tag(&fx, "v1.0.1", true);
    s_expect(s_check(&fx, &p, "v1.1"),
             s_tag_json(&fx, (const char *[]) { "v1.2", "v1.0.1", NULL }));
    s_expect(s_check(&fx, &p, "v1.0.1"), strdup("[]"));
    // The last tag was deleted: the newest, not the whole list.
    assert_int_equal(test_sh("git -C %s push -q origin :refs/tags/v1.0.1", fx.work), 0);
    s_expect(s_check(&fx, &p, "v1.0.1"), s_tag_json(&fx, (const char *[]) { "v1.2", NULL }));
    s_fx_fini(&fx);
}

static void
test_check_tags(void **state)
{
    (void) state;
    s_scenario_tags(false);
}

static void
test_check_tags_cached(void **state)
{
    (void) state;
    s_scenario_tags(true);
}

// ---------------------------------------------------------------- cache

static int
s_count_packs(const char *repo)
{
    char *n = test_line("ls %s/objects/pack/*.pack 2>/dev/null | wc -l", repo);
    int count = atoi(n);
    free(n);
    return count;
}

static long
s_in_pack(const char *repo)
{
    char *n = test_line("git -C %s count-objects -v | sed -n 's/^in-pack: //p'", repo);
    long count = atol(n);
    free(n);
    return count;
}

static void
test_cache_reused(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    pk_git_params_t p = { .url = fx.url };
    char mirror[160];
    snprintf(mirror, sizeof mirror, "%s/repo", fx.cache);
    char *c1 = s_commit(&fx, "a", "1");
    s_expect(s_check(&fx, &p, NULL), s_json1(c1));
    char *c2 = s_commit(&fx, "b", "2");
    s_expect(s_check(&fx, &p, c1), s_json1(c2));
    // The mirror now holds the branch; note its pack files.
    assert_int_equal(s_count_packs(mirror), 1);
    char *packs1 = test_line("ls -i %s/objects/pack/*.pack", mirror);
    long objects1 = s_in_pack(mirror);
    char *c3 = s_commit(&fx, "a", "3");
    char *c4 = s_commit(&fx, "c", "4");
    s_expect(s_check(&fx, &p, c2), s_json2(c3, c4));
    // Incremental: the first pack is untouched (same inode), one pack more,
    // holding exactly the objects the two new commits brought.
    assert_int_equal(s_count_packs(mirror), 2);
    char *still = test_line("ls -i %s/objects/pack/*.pack | grep -F '%s'", mirror, packs1);
    assert_string_equal(still, packs1);
    char *added = test_line("git -C %s rev-list --objects %s..%s | wc -l", fx.origin, c2, c4);
    assert_int_equal(s_in_pack(mirror) - objects1, atol(added));
    // Unchanged: no fetch at all.
    s_expect(s_check(&fx, &p, c4), strdup("[]"));
    assert_int_equal(s_count_packs(mirror), 2);
    free(c1), free(c2), free(c3), free(c4), free(packs1), free(still), free(added);
    s_fx_fini(&fx);
}

static void s_assert_checkout(fx_t *fx, const char *dest, const char *sha);

static void
test_cache_damaged(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    pk_git_params_t p = { .url = fx.url };
    char *c1 = s_commit(&fx, "a", "1");
    char *c2 = s_commit(&fx, "a", "2");
    s_expect(s_check(&fx, &p, c1), s_json1(c2));
    // Damage the mirror: it is rebuilt, the check still answers right.
    assert_int_equal(test_sh("rm -rf %s/repo/objects %s/repo/refs && echo junk > %s/repo/HEAD",
                          fx.cache, fx.cache, fx.cache), 0);
    char *c3 = s_commit(&fx, "a", "3");
    s_expect(s_check(&fx, &p, c2), s_json1(c3));
    // The cache path taken by a plain file: rebuilt too.
    assert_int_equal(test_sh("rm -rf %s/repo && echo junk > %s/repo", fx.cache, fx.cache), 0);
    char *c4 = s_commit(&fx, "a", "4");
    s_expect(s_check(&fx, &p, c3), s_json1(c4));
    free(c1), free(c2), free(c3), free(c4);
    s_fx_fini(&fx);
}

// Several threads checking and pulling through one cache at once: each call
// has its own libgit2 objects, the lock file serialises the mirror.
typedef struct {
    fx_t *fx;
    const char *first, *tip;
    int id;
    int failures;
} s_worker_t;

static void *
s_worker_run(void *arg)
{
    s_worker_t *w = arg;
    pk_git_params_t p = { .url = w->fx->url };
    for (int i = 0; i < 4; i++) {
        char *versions = NULL, *err = NULL, *want = NULL;
        char dest[224];
        snprintf(dest, sizeof dest, "%s/t%d-%d/app", w->fx->root, w->id, i);
        if (pk_git_check(&p, w->first, w->fx->cache, &versions, &err) != 0
            || asprintf(&want, "{\"ref\":\"%s\"}]", w->tip) < 0
            || strlen(versions) < strlen(want)
            || strcmp(versions + strlen(versions) - strlen(want), want))
            w->failures++;
        free(versions), free(want), free(err), err = NULL;
        if (pk_git_pull(&p, i % 2 ? w->tip : w->first, dest, w->fx->cache, &err) != 0)
            w->failures++;
        free(err);
    }
    return NULL;
}

static void
test_cache_concurrent(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    char *first = s_commit(&fx, "a", "1");
    for (int i = 2; i < 6; i++)
        free(s_commit(&fx, "a", i % 2 ? "odd" : "even"));
    char *tip = test_line("git -C %s rev-parse HEAD", fx.work);
    enum { T = 3 };
    s_worker_t workers[T];
    pthread_t threads[T];
    for (int i = 0; i < T; i++) {
        workers[i] = (s_worker_t) { .fx = &fx, .first = first, .tip = tip, .id = i };
        assert_int_equal(pthread_create(&threads[i], NULL, s_worker_run, &workers[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].failures, 0);
    }
    char dest[224];
    snprintf(dest, sizeof dest, "%s/t0-1/app", fx.root);
    s_assert_checkout(&fx, dest, tip);
    free(first), free(tip);
    s_fx_fini(&fx);
}

// ---------------------------------------------------------------- pull

static void
s_pull(fx_t *fx, const pk_git_params_t *p, const char *sha, const char *dest)
{
    char *err = NULL;
    int rc = pk_git_pull(p, sha, dest, fx->cache_dir, &err);
    if (rc != 0)
        fail_msg("pull failed: %s", err ? err : "(no message)");
    assert_null(err);
}

// dest is a clean checkout of exactly sha: detached HEAD there, nothing
// modified or untracked, and every file equal to the commit's.
static void
s_assert_checkout(fx_t *fx, const char *dest, const char *sha)
{
    char *head = test_line("git -C %s rev-parse HEAD", dest);
    assert_string_equal(head, sha);
    assert_int_not_equal(test_sh("git -C %s symbolic-ref -q HEAD", dest), 0);
    char *status = test_line("git -C %s status --porcelain --untracked-files=all", dest);
    assert_string_equal(status, "");
    // Same file list and contents as the commit in origin.
    assert_int_equal(test_sh("cd %s && git ls-files | sort > ../files.got && "
                          "git -C %s ls-tree -r --name-only %s | sort > ../files.want && "
                          "cmp -s ../files.got ../files.want", dest, fx->origin, sha), 0);
    assert_int_equal(test_sh("cd %s && for f in $(git ls-files); do git -C %s cat-file blob "
                          "%s:$f | cmp -s - $f || exit 1; done", dest, fx->origin, sha), 0);
    char *origin = test_line("git -C %s remote get-url origin", dest);
    assert_string_equal(origin, fx->url);
    free(head), free(status), free(origin);
}

static void
s_scenario_pull(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    pk_git_params_t p = { .url = fx.url };
    char *c1 = s_commit(&fx, "a", "one");
    char *c2 = s_commit(&fx, "b", "two");
    char *c3 = s_commit(&fx, "a", "three");
    char dest[192];
    // An older commit, not the tip: at c2, b exists and a is still "one".
    snprintf(dest, sizeof dest, "%s/build1/app", fx.root);
    s_pull(&fx, &p, c2, dest);
    s_assert_checkout(&fx, dest, c2);
    char *a = test_line("cat %s/a", dest);
    assert_string_equal(a, "one");
    free(a);
    // The oldest: b does not exist there.
    snprintf(dest, sizeof dest, "%s/build2/app", fx.root);
    s_pull(&fx, &p, c1, dest);
    s_assert_checkout(&fx, dest, c1);
    assert_int_not_equal(access(dest, F_OK), -1);
    char bpath[224];
    snprintf(bpath, sizeof bpath, "%s/b", dest);
    assert_int_equal(access(bpath, F_OK), -1);
    // The tip.
    snprintf(dest, sizeof dest, "%s/build3/app", fx.root);
    s_pull(&fx, &p, c3, dest);
    s_assert_checkout(&fx, dest, c3);
    free(c1), free(c2), free(c3);
    s_fx_fini(&fx);
}

static void
test_pull_exact_commit(void **state)
{
    (void) state;
    s_scenario_pull(false);
}

static void
test_pull_exact_commit_cached(void **state)
{
    (void) state;
    s_scenario_pull(true);
}

static void
test_pull_from_mirror_links(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    pk_git_params_t p = { .url = fx.url };
    char *c1 = s_commit(&fx, "a", "1");
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    s_pull(&fx, &p, c1, dest);
    // Cloned from the mirror: its packs are hard links of the mirror's.
    char *links = test_line("stat -c %%h %s/.git/objects/pack/*.pack | sort -n | head -1", dest);
    assert_true(atoi(links) >= 2);
    free(links);
    // A commit pushed after the mirror was filled: the mirror fetches it.
    char *c2 = s_commit(&fx, "a", "2");
    snprintf(dest, sizeof dest, "%s/build2/app", fx.root);
    s_pull(&fx, &p, c2, dest);
    s_assert_checkout(&fx, dest, c2);
    free(c1), free(c2);
    s_fx_fini(&fx);
}

// A pull request's head lives on a ref that is neither a branch nor a tag
// (refs/pull/N/head on GitHub and Gitea, refs/merge-requests/N/head on
// GitLab): the pull fetches that ref and checks the commit out on pr-N.
static void
s_scenario_pull_request(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    char *base = s_commit(&fx, "a", "main");
    // The contributor's commits, pushed only to the forge's PR ref.
    assert_int_equal(test_sh("git -C %s checkout -q -b feature", fx.work), 0);
    char *h1 = s_commit_on(&fx, "refs/pull/7/head", "b", "pr one");
    pk_git_params_t p = { .url = fx.url, .fetch_ref = "refs/pull/7/head",
                          .checkout_branch = "pr-7" };
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build1/app", fx.root);
    s_pull(&fx, &p, h1, dest);
    char *head = test_line("git -C %s rev-parse HEAD", dest);
    char *branch = test_line("git -C %s symbolic-ref -q HEAD", dest);
    char *status = test_line("git -C %s status --porcelain --untracked-files=all", dest);
    char *b = test_line("cat %s/b", dest);
    assert_string_equal(head, h1);
    assert_string_equal(branch, "refs/heads/pr-7");
    assert_string_equal(status, "");
    assert_string_equal(b, "pr one");
    free(head), free(branch), free(status), free(b);
    // The PR moves on (a push to it): the new head is fetched, also into
    // an existing mirror.
    char *h2 = s_commit_on(&fx, "refs/pull/7/head", "b", "pr two");
    snprintf(dest, sizeof dest, "%s/build2/app", fx.root);
    s_pull(&fx, &p, h2, dest);
    b = test_line("cat %s/b", dest);
    assert_string_equal(b, "pr two");
    free(b);
    // Without the ref the mirror never gets the commit, and the message
    // says what was fetched. (A clone straight from a file:// URL is not
    // asserted on: libgit2's local transport sends more than was asked.)
    if (!cached) {
        free(base), free(h1), free(h2);
        s_fx_fini(&fx);
        return;
    }
    pk_git_params_t plain = { .url = fx.url };
    char *h3 = s_commit_on(&fx, "refs/pull/7/head", "b", "pr three");
    char *err = NULL;
    snprintf(dest, sizeof dest, "%s/build3/app", fx.root);
    assert_int_equal(pk_git_pull(&plain, h3, dest, fx.cache_dir, &err), -1);
    assert_non_null(strstr(err, "not found"));
    assert_int_equal(access(dest, F_OK), -1);
    free(err);
    free(base), free(h1), free(h2), free(h3);
    s_fx_fini(&fx);
}

static void
test_pull_request(void **state)
{
    (void) state;
    s_scenario_pull_request(false);
}

static void
test_pull_request_cached(void **state)
{
    (void) state;
    s_scenario_pull_request(true);
}

static void
s_scenario_pull_unknown(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    pk_git_params_t p = { .url = fx.url };
    free(s_commit(&fx, "a", "1"));
    char dest[192], *err = NULL;
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    const char *sha = "0123456789abcdef0123456789abcdef01234567";
    assert_int_equal(pk_git_pull(&p, sha, dest, fx.cache_dir, &err), -1);
    char *want = NULL;
    assert_true(asprintf(&want, "git: commit %s not found in %s (fetched every branch and "
                         "tag)", sha, fx.url) >= 0);
    s_expect(err, want);
    // Nothing left behind, so a retry starts clean.
    assert_int_equal(access(dest, F_OK), -1);
    // Not a sha at all.
    err = NULL;
    assert_int_equal(pk_git_pull(&p, "main", dest, fx.cache_dir, &err), -1);
    assert_string_equal(err, "git: \"main\" is not a commit sha (40 hex digits)");
    free(err);
    s_fx_fini(&fx);
}

static void
test_pull_unknown_commit(void **state)
{
    (void) state;
    s_scenario_pull_unknown(false);
}

static void
test_pull_unknown_commit_cached(void **state)
{
    (void) state;
    s_scenario_pull_unknown(true);
}

// A commit no branch reaches, only a tag: tag mode finds it, pull gets it.
static void
s_scenario_pull_tag_only(bool cached)
{
    fx_t fx;
    s_fx_init(&fx, cached);
    free(s_commit(&fx, "a", "main"));
    assert_int_equal(test_sh("git -C %s checkout -q --detach", fx.work), 0);
    s_next_date(&fx);
    assert_int_equal(test_sh("printf hotfix > %s/a && git -C %s commit -qam hotfix && "
                          "git -C %s tag v9-hotfix && git -C %s push -q origin v9-hotfix",
                          fx.work, fx.work, fx.work, fx.work), 0);
    char *sha = test_line("git -C %s rev-parse v9-hotfix^{commit}", fx.origin);
    pk_git_params_t p = { .url = fx.url, .tag = true };
    char *want = NULL;
    assert_true(asprintf(&want, "[{\"ref\":\"%s\",\"tag\":\"v9-hotfix\"}]", sha) >= 0);
    s_expect(s_check(&fx, &p, NULL), want);
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    s_pull(&fx, &p, sha, dest);
    s_assert_checkout(&fx, dest, sha);
    free(sha);
    s_fx_fini(&fx);
}

static void
test_pull_tag_only_commit(void **state)
{
    (void) state;
    s_scenario_pull_tag_only(false);
    s_scenario_pull_tag_only(true);
}

static void
test_pull_into_non_empty(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, false);
    pk_git_params_t p = { .url = fx.url };
    char *c1 = s_commit(&fx, "a", "1");
    char dest[192], *err = NULL;
    snprintf(dest, sizeof dest, "%s/build", fx.root);
    assert_int_equal(test_sh("mkdir -p %s && echo keep > %s/keep", dest, dest), 0);
    assert_int_equal(pk_git_pull(&p, c1, dest, NULL, &err), -1);
    assert_non_null(strstr(err, "cannot clone"));
    assert_non_null(strstr(err, "not an empty directory"));
    // The user's file is untouched.
    char *keep = test_line("cat %s/keep", dest);
    assert_string_equal(keep, "keep");
    free(keep), free(err), free(c1);
    s_fx_fini(&fx);
}

// Check and pull with no git binary reachable: libgit2 only.
static void
test_no_git_binary(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    pk_git_params_t p = { .url = fx.url };
    char *c1 = s_commit(&fx, "a", "1");
    char *c2 = s_commit(&fx, "a", "2");
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    char *path = strdup(getenv("PATH"));
    setenv("PATH", "/nonexistent", 1);
    char *versions = NULL, *err = NULL;
    int rc1 = pk_git_check(&p, c1, fx.cache_dir, &versions, &err);
    int rc2 = pk_git_pull(&p, c1, dest, NULL, &err);
    setenv("PATH", path, 1);
    free(path);
    assert_int_equal(rc1, 0);
    assert_int_equal(rc2, 0);
    assert_null(err);
    s_expect(versions, s_json1(c2));
    s_assert_checkout(&fx, dest, c1);
    free(c1), free(c2);
    s_fx_fini(&fx);
}

// ---------------------------------------------------------------- auth

// A loopback HTTP server that demands Basic auth and refuses everything,
// recording the Authorization headers it was sent.
typedef struct {
    int listener;
    int port;
    int requests;
    char auth[4][256];
    int auth_count;
    volatile int stop;
} s_http_t;

static void *
s_http_run(void *arg)
{
    s_http_t *h = arg;
    while (!h->stop) {
        struct pollfd pfd = { h->listener, POLLIN, 0 };
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int c = accept(h->listener, NULL, NULL);
        if (c < 0)
            continue;
        char req[8192] = "";
        size_t len = 0;
        while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
            ssize_t n = read(c, req + len, sizeof req - 1 - len);
            if (n <= 0)
                break;
            len += (size_t) n;
            req[len] = '\0';
        }
        req[len] = '\0';
        h->requests++;
        char *a = strstr(req, "Authorization: ");
        if (a && h->auth_count < 4) {
            size_t n = strcspn(a, "\r\n");
            snprintf(h->auth[h->auth_count++], sizeof h->auth[0], "%.*s", (int) n, a);
        }
        const char *resp = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n"
                           "Content-Length: 0\r\nConnection: close\r\n\r\n";
        ssize_t w = write(c, resp, strlen(resp));
        (void) w;
        close(c);
    }
    return NULL;
}

static void
test_token_auth(void **state)
{
    (void) state;
    s_http_t h = { 0 };
    h.listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(h.listener, (struct sockaddr *) &sa, sizeof sa), 0);
    assert_int_equal(listen(h.listener, 8), 0);
    assert_int_equal(getsockname(h.listener, (struct sockaddr *) &sa, &sl), 0);
    h.port = ntohs(sa.sin_port);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, s_http_run, &h), 0);

    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/org/app.git", h.port);
    const char *token = "s3cr3t-t0ken";
    pk_git_params_t p = { .url = url, .token = token };
    char *versions = NULL, *err = NULL;
    assert_int_equal(pk_git_check(&p, NULL, NULL, &versions, &err), -1);
    char *want = NULL;
    assert_true(asprintf(&want, "git: authentication to %s failed: ", url) >= 0);
    assert_memory_equal(err, want, strlen(want));
    assert_null(strstr(err, token));
    free(want), free(err), err = NULL;
    // The token was offered once, as oauth2:<token>, and not in a loop.
    assert_int_equal(h.auth_count, 1);
    char *b64 = test_line("printf oauth2:%s | base64", token);
    char *hdr = NULL;
    assert_true(asprintf(&hdr, "Authorization: Basic %s", b64) >= 0);
    assert_string_equal(h.auth[0], hdr);
    free(b64), free(hdr);
    assert_true(h.requests <= 3);

    // No token: says so.
    pk_git_params_t pn = { .url = url };
    assert_int_equal(pk_git_check(&pn, NULL, NULL, &versions, &err), -1);
    assert_non_null(strstr(err, "no token is set"));
    free(err), err = NULL;

    // A password in the URL is masked in messages too.
    char url2[160];
    snprintf(url2, sizeof url2, "http://bob:hunter2@127.0.0.1:%d/app.git", h.port);
    pk_git_params_t pu = { .url = url2, .token = token };
    assert_int_equal(pk_git_check(&pu, NULL, NULL, &versions, &err), -1);
    assert_null(strstr(err, "hunter2"));
    assert_null(strstr(err, token));
    assert_non_null(strstr(err, "http://bob:***@127.0.0.1"));
    free(err);

    h.stop = 1;
    pthread_join(th, NULL);
    close(h.listener);
}

// ---------------------------------------------------------------- timing

static double
s_ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double) (t1.tv_sec - t0->tv_sec) * 1e3 + (double) (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

// Numbers for the report (not asserted: a loaded machine must not fail).
static void
test_timing(void **state)
{
    (void) state;
    fx_t fx;
    s_fx_init(&fx, true);
    pk_git_params_t p = { .url = fx.url };
    s_next_date(&fx);
    assert_int_equal(test_sh("cd %s && for i in $(seq 100); do echo $i > f$((i %% 10)) && "
                          "git add -A && git commit -qm $i || exit 1; done && "
                          "git push -q origin HEAD:main", fx.work), 0);
    char *tip = test_line("git -C %s rev-parse HEAD", fx.work);
    enum { N = 50, M = 5 };
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < N; i++)
        s_expect(s_check(&fx, &p, tip), strdup("[]"));
    print_message("unchanged file:// check: %.2f ms per check\n", s_ms_since(&t0) / N);
    // One new commit each round, through the mirror and through a temporary
    // repository (full fetch of 100+ commits).
    double cached = 0, uncached = 0;
    for (int i = 0; i < M; i++) {
        char *next = s_commit(&fx, "x", i % 2 ? "a" : "b");
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fx.cache_dir = fx.cache;
        s_expect(s_check(&fx, &p, tip), s_json1(next));
        cached += s_ms_since(&t0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fx.cache_dir = NULL;
        s_expect(s_check(&fx, &p, tip), s_json1(next));
        uncached += s_ms_since(&t0);
        free(tip);
        tip = next;
    }
    print_message("one new commit: %.2f ms with the cache mirror, %.2f ms with a "
                  "temporary repository\n", cached / M, uncached / M);
    char dest[192];
    snprintf(dest, sizeof dest, "%s/build/app", fx.root);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fx.cache_dir = fx.cache;
    s_pull(&fx, &p, tip, dest);
    print_message("pull from the mirror: %.2f ms\n", s_ms_since(&t0));
    free(tip);
    s_fx_fini(&fx);
}

static int
s_group_setup(void **state)
{
    (void) state;
    // Nothing may depend on the machine's git configuration.
    strcpy(s_home, "/tmp/pk-test-home-XXXXXX");
    if (!mkdtemp(s_home))
        return -1;
    setenv("HOME", s_home, 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("GIT_DIR");
    setenv("GIT_AUTHOR_NAME", "pk test", 1);
    setenv("GIT_AUTHOR_EMAIL", "pk@example.invalid", 1);
    setenv("GIT_COMMITTER_NAME", "pk test", 1);
    setenv("GIT_COMMITTER_EMAIL", "pk@example.invalid", 1);
    setenv("GIT_TERMINAL_PROMPT", "0", 1);
    return pk_git_init();
}

static int
s_group_teardown(void **state)
{
    (void) state;
    pk_git_shutdown();
    return test_sh("rm -rf %s", s_home);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_new_commits),
        cmocka_unit_test(test_check_new_commits_cached),
        cmocka_unit_test(test_check_force_push),
        cmocka_unit_test(test_check_force_push_cached),
        cmocka_unit_test(test_check_branches),
        cmocka_unit_test(test_plain_path),
        cmocka_unit_test(test_check_unknown_branch),
        cmocka_unit_test(test_check_empty_repo),
        cmocka_unit_test(test_check_unreachable),
        cmocka_unit_test(test_check_bad_params),
        cmocka_unit_test(test_check_tags),
        cmocka_unit_test(test_check_tags_cached),
        cmocka_unit_test(test_cache_reused),
        cmocka_unit_test(test_cache_damaged),
        cmocka_unit_test(test_cache_concurrent),
        cmocka_unit_test(test_pull_exact_commit),
        cmocka_unit_test(test_pull_exact_commit_cached),
        cmocka_unit_test(test_pull_request),
        cmocka_unit_test(test_pull_request_cached),
        cmocka_unit_test(test_pull_from_mirror_links),
        cmocka_unit_test(test_pull_unknown_commit),
        cmocka_unit_test(test_pull_unknown_commit_cached),
        cmocka_unit_test(test_pull_tag_only_commit),
        cmocka_unit_test(test_pull_into_non_empty),
        cmocka_unit_test(test_no_git_binary),
        cmocka_unit_test(test_token_auth),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, s_group_setup, s_group_teardown);
}
