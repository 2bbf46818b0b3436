// The fs and cron resources and pk_sha256, on real files. File hashes are
// checked against `sha256sum`, copies against `diff -r --no-dereference`
// and `stat`, cron dates against `date -u`.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "pk_cronres.h"
#include "pk_fsres.h"
#include "pk_sha256.h"
#include "test_sh.h"

static char s_root[64];

static char *
s_path(const char *rel)
{
    char *out = NULL;
    assert_true(asprintf(&out, "%s/%s", s_root, rel) >= 0);
    return out;
}

static char *
s_check(const char *path, const char *last)
{
    char *versions = NULL, *err = NULL;
    int rc = pk_fsres_check(path, last, &versions, &err);
    if (rc != 0)
        fail_msg("check failed: %s", err ? err : "(no message)");
    assert_null(err);
    return versions;
}

// The hash inside [{"path":...,"hash":"<hex>"}] (caller frees).
static char *
s_hash_of(const char *versions)
{
    // an offset, not a moved pointer: gcc 12 -O2 misreads the latter as
    // dangling (-Wdangling-pointer) through cmocka's assertion macros
    const char *key = strstr(versions, "\"hash\":\"");
    if (!key)
        fail_msg("no hash in %s", versions);
    size_t at = (size_t) (key - versions) + 8;
    assert_int_equal(strcspn(versions + at, "\""), 64);
    return strndup(versions + at, 64);
}

static char *
s_new_hash(const char *path, const char *last)
{
    char *v = s_check(path, last);
    char *h = s_hash_of(v);
    if (last)
        assert_string_not_equal(h, last);
    free(v);
    return h;
}

static void
s_unchanged(const char *path, const char *last)
{
    char *v = s_check(path, last);
    assert_string_equal(v, "[]");
    free(v);
}

// ---------------------------------------------------------------- sha256

static void
test_sha256_against_sha256sum(void **state)
{
    (void) state;
    // Lengths around the padding boundaries, and one spanning many blocks.
    const size_t sizes[] = { 0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 1 << 20 };
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    for (size_t i = 0; i < (size_t) 1 << 20; i++)
        buf[i] = (unsigned char) (i * 2654435761u >> 13);
    char *file = s_path("blob");
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        FILE *f = fopen(file, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, sizes[s], f), sizes[s]);
        fclose(f);
        char *want = test_line("sha256sum %s | cut -d' ' -f1", file);
        // In one piece, and fed in uneven chunks.
        pk_sha256_t ctx;
        uint8_t digest[PK_SHA256_LEN];
        char hex[65];
        pk_sha256_init(&ctx);
        pk_sha256_update(&ctx, buf, sizes[s]);
        pk_sha256_final(&ctx, digest);
        pk_sha256_hex(digest, hex);
        assert_string_equal(hex, want);
        pk_sha256_init(&ctx);
        for (size_t off = 0, step = 1; off < sizes[s]; off += step, step = step * 3 % 97 + 1)
            pk_sha256_update(&ctx, buf + off, off + step > sizes[s] ? sizes[s] - off : step);
        pk_sha256_final(&ctx, digest);
        pk_sha256_hex(digest, hex);
        assert_string_equal(hex, want);
        // A file's version hash is its sha256sum.
        assert_int_equal(pk_fsres_hash(file, hex, NULL), 0);
        assert_string_equal(hex, want);
        free(want);
    }
    free(file);
    free(buf);
}

// ---------------------------------------------------------------- fs check

static void
test_file_changes(void **state)
{
    (void) state;
    char *file = s_path("config.yml");
    // Missing: no version, no error.
    s_unchanged(file, NULL);
    assert_int_equal(test_sh("printf 'a: 1\\n' > %s", file), 0);
    char *v = s_check(file, NULL);
    char *want_hash = test_line("sha256sum %s | cut -d' ' -f1", file);
    char *mtime = test_line("stat -c %%Y %s", file);
    char *want = NULL;
    // PikoCI's fs.hcl shape: a file adds its mtime and size, as strings
    assert_true(asprintf(&want, "[{\"path\":\"%s\",\"hash\":\"%s\",\"modified\":\"%s\","
                         "\"size\":\"5\"}]", file, want_hash, mtime) >= 0);
    free(mtime);
    assert_string_equal(v, want);
    char *h1 = s_hash_of(v);
    free(v), free(want), free(want_hash);
    s_unchanged(file, h1);
    // Touching without changing content is not a version.
    assert_int_equal(test_sh("touch -d '2001-01-01' %s", file), 0);
    s_unchanged(file, h1);
    assert_int_equal(test_sh("printf 'a: 2\\n' > %s", file), 0);
    char *h2 = s_new_hash(file, h1);
    s_unchanged(file, h2);
    // Deleted: no new version (the last one stays the last).
    assert_int_equal(unlink(file), 0);
    s_unchanged(file, h2);
    free(h1), free(h2), free(file);
}

static void
s_make_tree(const char *dir)
{
    assert_int_equal(test_sh("mkdir -p %s/src/lib %s/empty && printf main > %s/src/main.c && "
                          "printf lib > %s/src/lib/lib.c && printf '#!/bin/sh\\n' > %s/run.sh && "
                          "chmod +x %s/run.sh && ln -s src/main.c %s/link && "
                          "ln -s ../outside.txt %s/escape && printf 'a \"q\" \\\\ b' > '%s/we\"ird'",
                          dir, dir, dir, dir, dir, dir, dir, dir, dir), 0);
}

static void
test_tree_changes(void **state)
{
    (void) state;
    char *dir = s_path("tree");
    char *outside = s_path("outside.txt");
    assert_int_equal(test_sh("printf out > %s", outside), 0);
    s_make_tree(dir);
    char *h = s_new_hash(dir, NULL);
    s_unchanged(dir, h);
    // Only content counts, not times.
    assert_int_equal(test_sh("touch -d '2001-01-01' %s/src/main.c", dir), 0);
    s_unchanged(dir, h);
    // What a link points at outside the tree is not followed.
    assert_int_equal(test_sh("printf changed > %s", outside), 0);
    s_unchanged(dir, h);

    struct { const char *change, *undo; } cases[] = {
        { "printf MAIN > %s/src/main.c", "printf main > %s/src/main.c" },
        { "chmod +x %s/src/lib/lib.c", "chmod -x %s/src/lib/lib.c" },
        { "ln -sfn src/lib/lib.c %s/link", "ln -sfn src/main.c %s/link" },
        { "mkdir %s/empty/sub", "rmdir %s/empty/sub" },
        { "mv %s/src/main.c %s/src/main2.c", "mv %s/src/main2.c %s/src/main.c" },
        { "rm %s/escape", "ln -s ../outside.txt %s/escape" },
        { "touch %s/src/new.c", "rm %s/src/new.c" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        assert_int_equal(test_sh(cases[i].change, dir, dir), 0);
        char *changed = s_new_hash(dir, h);
        assert_int_equal(test_sh(cases[i].undo, dir, dir), 0);
        // Undoing the change restores the original hash.
        char *back = s_new_hash(dir, changed);
        assert_string_equal(back, h);
        free(changed), free(back);
    }
    // A directory given through a symlink is followed (only links inside
    // the tree are recorded as links).
    char *alias = s_path("tree-alias");
    assert_int_equal(symlink(dir, alias), 0);
    char hex[65];
    assert_int_equal(pk_fsres_hash(alias, hex, NULL), 0);
    assert_string_equal(hex, h);
    free(alias), free(h), free(dir), free(outside);
}

static void
test_tree_errors(void **state)
{
    (void) state;
    char *dir = s_path("fifo-tree");
    assert_int_equal(test_sh("mkdir -p %s/sub && mkfifo %s/sub/pipe", dir, dir), 0);
    char *versions = NULL, *err = NULL;
    assert_int_equal(pk_fsres_check(dir, NULL, &versions, &err), -1);
    assert_null(versions);
    char *want = NULL;
    assert_true(asprintf(&want, "fs: \"%s/sub/pipe\" is a fifo; an fs resource holds only "
                         "files, directories and symlinks", dir) >= 0);
    assert_string_equal(err, want);
    free(err), free(want), err = NULL;
    // Unreadable file (skipped when running as root, who can read anything).
    if (geteuid() != 0) {
        assert_int_equal(test_sh("rm -f %s/sub/pipe && printf x > %s/sub/secret && "
                              "chmod 000 %s/sub/secret", dir, dir, dir), 0);
        assert_int_equal(pk_fsres_check(dir, NULL, &versions, &err), -1);
        assert_non_null(strstr(err, "sub/secret"));
        assert_non_null(strstr(err, "Permission denied"));
        free(err), err = NULL;
    }
    assert_int_equal(pk_fsres_check("", NULL, &versions, &err), -1);
    assert_string_equal(err, "fs: param \"path\" is required");
    free(err);
    assert_int_equal(test_sh("chmod -R u+rwx %s", dir), 0);
    free(dir);
}

// ---------------------------------------------------------------- fs pull

static void
test_pull_tree(void **state)
{
    (void) state;
    char *dir = s_path("ptree"), *dest = s_path("work/ptree");
    s_make_tree(dir);
    char *h = s_new_hash(dir, NULL);
    char *err = NULL;
    assert_int_equal(pk_fsres_pull(dir, h, dest, &err), 0);
    assert_null(err);
    // Identical tree: contents, links as links, exec bits, empty dirs.
    assert_int_equal(test_sh("diff -r --no-dereference %s %s", dir, dest), 0);
    assert_int_equal(test_sh("test -L %s/escape && test -x %s/run.sh && test -d %s/empty",
                          dest, dest, dest), 0);
    char *want = test_line("readlink %s/escape", dir), *got = test_line("readlink %s/escape", dest);
    assert_string_equal(got, want);
    free(want), free(got);
    char hex[65];
    assert_int_equal(pk_fsres_hash(dest, hex, NULL), 0);
    assert_string_equal(hex, h);
    // Again into the same place: merged over the first copy (PikoCI's
    // cp -r), what else is there stays.
    assert_int_equal(test_sh("echo mine > %s/other.txt", dest), 0);
    assert_int_equal(pk_fsres_pull(dir, h, dest, &err), 0);
    assert_null(err);
    assert_int_equal(test_sh("grep -q mine %s/other.txt && test -L %s/escape", dest, dest), 0);
    // Content changed since the version was found: an error, not a silent
    // substitution.
    char *dest2 = s_path("work2/ptree");
    assert_int_equal(test_sh("printf other > %s/src/main.c", dir), 0);
    assert_int_equal(pk_fsres_pull(dir, h, dest2, &err), -1);
    assert_non_null(strstr(err, "changed since version"));
    free(err);
    free(dir), free(dest), free(dest2), free(h);
}

static void
test_pull_file(void **state)
{
    (void) state;
    char *file = s_path("tool.sh"), *dest = s_path("work3/tool");
    assert_int_equal(test_sh("printf '#!/bin/sh\\necho hi\\n' > %s && chmod 750 %s", file, file), 0);
    char *h = s_new_hash(file, NULL);
    char *err = NULL;
    assert_int_equal(pk_fsres_pull(file, h, dest, &err), 0);
    assert_null(err);
    assert_int_equal(test_sh("cmp %s %s/tool.sh", file, dest), 0);
    char *want = test_line("stat -c %%a %s", file), *got = test_line("stat -c %%a %s/tool.sh", dest);
    assert_string_equal(got, want);
    free(want), free(got);
    // Missing source: a clear error naming it.
    assert_int_equal(unlink(file), 0);
    char *dest2 = s_path("work4/tool");
    assert_int_equal(pk_fsres_pull(file, h, dest2, &err), -1);
    assert_non_null(strstr(err, file));
    assert_non_null(strstr(err, "No such file"));
    free(err);
    free(file), free(dest), free(dest2), free(h);
}

// ---------------------------------------------------------------- cron

static void
test_cron_versions(void **state)
{
    (void) state;
    char *v = NULL, *err = NULL;
    // PikoCI's cron.hcl: [{"date":"$(date)"}]; ours is `date` in UTC, C locale
    const int64_t secs[] = { 0, 951827696, 1709210096, 4102444799 };
    for (size_t i = 0; i < sizeof secs / sizeof *secs; i++) {
        assert_int_equal(pk_cronres_check_at(secs[i] * 1000 + 789, &v, &err), 0);
        char *date = test_line("LC_ALL=C TZ=UTC date -d @%lld", (long long) secs[i]);
        char *want = NULL;
        assert_true(asprintf(&want, "[{\"date\":\"%s\"}]", date) >= 0);
        assert_string_equal(v, want);
        free(v), free(want), free(date);
    }
    // Before the epoch: the second the instant is in.
    assert_int_equal(pk_cronres_check_at(-1, &v, &err), 0);
    assert_string_equal(v, "[{\"date\":\"Wed Dec 31 23:59:59 UTC 1969\"}]");
    free(v);
    // Now: it is the current time.
    time_t before = time(NULL);
    assert_int_equal(pk_cronres_check(&v, &err), 0);
    time_t after = time(NULL);
    struct tm tm = { 0 };
    char *rest = strptime(v, "[{\"date\":\"%a %b %e %H:%M:%S UTC %Y", &tm);
    assert_non_null(rest);
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);
    assert_string_equal(rest, "\"}]");
    free(v);
    // The get prints the date, as PikoCI's pull does.
    char *line = NULL;
    assert_int_equal(pk_cronres_pull("Sun Dec  6 18:53:35 UTC 2026", &line), 0);
    assert_string_equal(line, "date: Sun Dec  6 18:53:35 UTC 2026");
    free(line);
}

static int
s_setup(void **state)
{
    (void) state;
    strcpy(s_root, "/tmp/pk-test-fs-XXXXXX");
    return mkdtemp(s_root) ? 0 : -1;
}

static int
s_teardown(void **state)
{
    (void) state;
    return test_sh("chmod -R u+rwx %s; rm -rf %s", s_root, s_root);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_against_sha256sum),
        cmocka_unit_test(test_file_changes),
        cmocka_unit_test(test_tree_changes),
        cmocka_unit_test(test_tree_errors),
        cmocka_unit_test(test_pull_tree),
        cmocka_unit_test(test_pull_file),
        cmocka_unit_test(test_cron_versions),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
