// test_versions: the versions keyspaces, every behaviour on "lmdb" (in a
// temporary directory) and on "mem". Canonical forms are checked against
// pk_value's packing (sorted keys, integral numbers as integers) as the
// reference, with randomly generated versions packed in shuffled key orders.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pk_store.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "pk_versions.h"

typedef struct {
    const char *system;
    char tmp[256];
    pk_store_t *store;
    pk_versions_t *v;
} fixture_t;

static fixture_t s_lmdb = { .system = "lmdb" };
static fixture_t s_mem = { .system = "mem" };

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove(path);
}

static void
s_open(fixture_t *f)
{
    char path[512];
    snprintf(path, sizeof path, "%s/db", f->tmp);
    char *err = NULL;
    f->store = pk_store_open(f->system, path, &err);
    if (!f->store)
        fail_msg("open: %s", err);
    f->v = pk_versions_new(f->store, &err);
    if (!f->v)
        fail_msg("versions: %s", err);
}

static void
s_close(fixture_t *f)
{
    pk_versions_destroy(&f->v);
    pk_store_close(&f->store);
}

static int
s_setup(void **state)
{
    fixture_t *f = *state;
    const char *base = getenv("TMPDIR");
    snprintf(f->tmp, sizeof f->tmp, "%s/pk-test-versions-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(f->tmp));
    s_open(f);
    return 0;
}

static int
s_teardown(void **state)
{
    fixture_t *f = *state;
    s_close(f);
    nftw(f->tmp, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

// Packed array of the JSON array's objects (through pk_value: sorted keys).
static void
s_pack_json(const char *json, uint8_t **data, size_t *size)
{
    pk_value_t *v = pk_value_from_json(json, strlen(json), NULL);
    assert_non_null(v);
    pk_value_pack_bytes(v, data, size);
    pk_value_destroy(&v);
}

// Record one successful check of p/r returning versions (JSON); returns the result.
static pk_check_result_t
s_check(fixture_t *f, const char *r, const char *json)
{
    uint8_t *data;
    size_t size;
    s_pack_json(json, &data, &size);
    pk_check_result_t res = { .pipeline = "p", .resource = r, .versions = data,
                              .versions_size = size, .checked_ms = 1000, .next_check_ms = 2000 };
    assert_int_equal(pk_versions_record(f->v, &res, 1), 0);
    free(data);
    return res;
}

static char *
s_json(const pk_version_t *v)
{
    pk_value_t *val = pk_value_unpack(v->data, v->size);
    assert_non_null(val);
    char *json = pk_value_to_json(val);
    pk_value_destroy(&val);
    return json;
}

static void
s_assert_version(const pk_version_t *v, const char *json)
{
    char *got = s_json(v);
    pk_value_t *want = pk_value_from_json(json, strlen(json), NULL);
    char *want_json = pk_value_to_json(want);
    assert_string_equal(got, want_json);
    free(got);
    free(want_json);
    pk_value_destroy(&want);
}

static void
test_order_and_readers(void **state)
{
    fixture_t *f = *state;
    pk_check_result_t r = s_check(f, "git.app", "[{\"ref\":\"a\"}]");
    assert_int_equal(r.first_new, 1);
    assert_int_equal(r.last_new, 1);
    assert_int_equal(r.current.id, 1);
    pk_version_clear(&r.current);
    r = s_check(f, "git.app", "[{\"ref\":\"b\"},{\"ref\":\"c\"},{\"ref\":\"d\"}]");
    assert_int_equal(r.first_new, 2);
    assert_int_equal(r.last_new, 4);
    assert_int_equal(r.current.id, 4);
    s_assert_version(&r.current, "{\"ref\":\"d\"}");
    pk_version_clear(&r.current);
    // another resource has its own sequence
    r = s_check(f, "git.other", "[{\"ref\":\"x\"}]");
    assert_int_equal(r.first_new, 1);
    pk_version_clear(&r.current);

    pk_version_t v;
    assert_int_equal(pk_versions_latest(f->v, NULL, "p", "git.app", &v), 0);
    assert_int_equal(v.id, 4);
    s_assert_version(&v, "{\"ref\":\"d\"}");
    pk_version_clear(&v);
    assert_int_equal(pk_versions_get(f->v, NULL, "p", "git.app", 2, &v), 0);
    s_assert_version(&v, "{\"ref\":\"b\"}");
    pk_version_clear(&v);
    assert_int_equal(pk_versions_get(f->v, NULL, "p", "git.app", 9, &v), PK_STORE_NOTFOUND);
    assert_int_equal(pk_versions_latest(f->v, NULL, "p", "git.none", &v), PK_STORE_NOTFOUND);
    assert_int_equal(pk_versions_latest(f->v, NULL, "q", "git.app", &v), PK_STORE_NOTFOUND);

    // newest first, with a limit, and paging with before
    pk_version_t *items;
    size_t n;
    assert_int_equal(pk_versions_list(f->v, NULL, "p", "git.app", 0, 0, &items, &n), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(items[i].id, 4 - i);
    s_assert_version(&items[3], "{\"ref\":\"a\"}");
    pk_versions_list_free(&items, n);
    assert_int_equal(pk_versions_list(f->v, NULL, "p", "git.app", 0, 2, &items, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(items[1].id, 3);
    pk_versions_list_free(&items, n);
    assert_int_equal(pk_versions_list(f->v, NULL, "p", "git.app", 3, 10, &items, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(items[0].id, 2);
    assert_int_equal(items[1].id, 1);
    pk_versions_list_free(&items, n);

    // readers inside a caller's snapshot
    pk_store_txn_t *txn = pk_store_begin(f->store, false);
    pk_resource_state_t st;
    assert_int_equal(pk_versions_state(f->v, txn, "p", "git.app", &st), 0);
    assert_int_equal(st.last_id, 4);
    assert_int_equal(st.current_id, 4);
    assert_int_equal(st.checks, 2);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.last_check_ms, 1000);
    assert_int_equal(st.next_check_ms, 2000);
    assert_null(st.error);
    pk_resource_state_clear(&st);
    assert_int_equal(pk_versions_latest(f->v, txn, "p", "git.other", &v), 0);
    pk_version_clear(&v);
    pk_store_abort(&txn);
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "nothing", &st), PK_STORE_NOTFOUND);
}

static void
test_dedupe(void **state)
{
    fixture_t *f = *state;
    pk_check_result_t r = s_check(f, "git.app", "[{\"ref\":\"a\",\"n\":1}]");
    pk_version_clear(&r.current);
    // the same object packed by hand: keys in the other order, 1 as float64
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "ref", 3);
    msgpack_pack_bin_with_body(&pk, "a", 1);
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_double(&pk, 1.0);
    msgpack_pack_map(&pk, 2);           // and a new one, twice in one check
    msgpack_pack_str_with_body(&pk, "n", 1);
    msgpack_pack_float(&pk, 2.0f);
    msgpack_pack_str_with_body(&pk, "ref", 3);
    msgpack_pack_str_with_body(&pk, "b", 1);
    pk_check_result_t res = { .pipeline = "p", .resource = "git.app", .versions = sb.data,
                              .versions_size = sb.size, .checked_ms = 5 };
    assert_int_equal(pk_versions_record(f->v, &res, 1), 0);
    assert_int_equal(res.first_new, 2);
    assert_int_equal(res.last_new, 2);
    pk_version_clear(&res.current);
    // the whole batch again, plus the same results twice in one transaction
    pk_check_result_t batch[2] = { res, res };
    assert_int_equal(pk_versions_record(f->v, batch, 2), 0);
    assert_int_equal(batch[0].first_new, 0);
    assert_int_equal(batch[1].first_new, 0);
    assert_int_equal(batch[0].current.id, 0);     // still at id 2
    msgpack_sbuffer_destroy(&sb);
    pk_version_t *items;
    size_t n;
    assert_int_equal(pk_versions_list(f->v, NULL, "p", "git.app", 0, 0, &items, &n), 0);
    assert_int_equal(n, 2);
    s_assert_version(&items[0], "{\"n\":2,\"ref\":\"b\"}");
    pk_versions_list_free(&items, n);
    // a version seen before becomes current again without being stored twice
    r = s_check(f, "git.app", "[{\"n\":1,\"ref\":\"a\"}]");
    assert_int_equal(r.first_new, 0);
    assert_int_equal(r.current.id, 1);
    pk_version_clear(&r.current);
    pk_resource_state_t st;
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "git.app", &st), 0);
    assert_int_equal(st.last_id, 2);
    assert_int_equal(st.current_id, 1);
    assert_int_equal(st.checks, 5);
    pk_resource_state_clear(&st);
    // an empty result changes nothing but the counters
    r = s_check(f, "git.app", "[]");
    assert_int_equal(r.first_new, 0);
    assert_int_equal(r.current.id, 0);
}

// Random JSON-like objects, packed with keys in a shuffled order.
static void
s_random_value(msgpack_packer *pk, pk_value_t **out, int depth)
{
    int kind = rand() % (depth > 2 ? 4 : 6);
    if (kind == 0) {
        int64_t n = (int64_t) (rand() % 2000000) - 1000000;
        if (rand() % 2)
            msgpack_pack_int64(pk, n);
        else
            msgpack_pack_double(pk, (double) n);
        *out = pk_value_new_number((double) n);
    }
    else
    if (kind == 1) {
        double d = (rand() % 100000) / 7.0 + 0.5;
        msgpack_pack_double(pk, d);
        *out = pk_value_new_number(d);
    }
    else
    if (kind == 2) {
        char s[16];
        snprintf(s, sizeof s, "s%d", rand() % 1000);
        msgpack_pack_str_with_body(pk, s, strlen(s));
        *out = pk_value_new_string(s);
    }
    else
    if (kind == 3) {
        bool b = rand() % 2;
        b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        *out = pk_value_new_bool(b);
    }
    else
    if (kind == 4) {
        int n = rand() % 4;
        msgpack_pack_array(pk, n);
        *out = pk_value_new_list();
        for (int i = 0; i < n; i++) {
            pk_value_t *item;
            s_random_value(pk, &item, depth + 1);
            pk_value_list_append(*out, item);
        }
    }
    else {
        static const char *names[] = { "ref", "tag", "a", "ab", "b", "z", "version", "x1" };
        int order[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
        for (int i = 7; i > 0; i--) {
            int j = rand() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int n = rand() % 6;
        msgpack_pack_map(pk, n);
        *out = pk_value_new_object();
        for (int i = 0; i < n; i++) {
            const char *k = names[order[i]];
            msgpack_pack_str_with_body(pk, k, strlen(k));
            pk_value_t *item;
            s_random_value(pk, &item, depth + 1);
            pk_value_object_set(*out, k, item);
        }
    }
}

static void
test_canonical_against_pk_value(void **state)
{
    (void) state;
    srand(42);
    for (int i = 0; i < 2000; i++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        pk_value_t *v = NULL;
        do {
            msgpack_sbuffer_clear(&sb);
            pk_value_destroy(&v);
            s_random_value(&pk, &v, 0);
        } while (pk_value_kind(v) != PK_V_OBJECT);
        uint8_t *want, *got;
        size_t want_size, got_size;
        pk_value_pack_bytes(v, &want, &want_size);
        char why[128];
        assert_int_equal(pk_versions_canonical(sb.data, sb.size, &got, &got_size, why, sizeof why), 0);
        assert_int_equal(got_size, want_size);
        assert_memory_equal(got, want, want_size);
        // canonical is a fixed point
        uint8_t *again;
        size_t again_size;
        assert_int_equal(pk_versions_canonical(got, got_size, &again, &again_size, why, sizeof why), 0);
        assert_int_equal(again_size, got_size);
        assert_memory_equal(again, got, got_size);
        free(again);
        free(got);
        free(want);
        pk_value_destroy(&v);
        msgpack_sbuffer_destroy(&sb);
    }
}

static void
test_errors_and_output(void **state)
{
    fixture_t *f = *state;
    pk_check_result_t r = s_check(f, "git.app", "[{\"ref\":\"a\"}]");
    pk_version_clear(&r.current);
    // a failed check: error kept, output kept as its last 64 KiB
    size_t big = 100000;
    char *output = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        output[i] = (char) ('a' + (i * 7 + i / 13) % 26);
    output[big] = 0;
    char *long_error = malloc(10000);
    memset(long_error, 'e', 9999);
    long_error[9999] = 0;
    pk_check_result_t fail = { .pipeline = "p", .resource = "git.app", .error = "could not connect",
                               .output = output, .checked_ms = 7 };
    assert_int_equal(pk_versions_record(f->v, &fail, 1), 0);
    pk_resource_state_t st;
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "git.app", &st), 0);
    assert_string_equal(st.error, "could not connect");
    assert_int_equal(strlen(st.output), PK_VERSIONS_OUTPUT_MAX);
    assert_string_equal(st.output, output + big - PK_VERSIONS_OUTPUT_MAX);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.checks, 2);
    assert_int_equal(st.last_id, 1);
    pk_resource_state_clear(&st);
    fail.error = long_error;
    fail.output = NULL;
    assert_int_equal(pk_versions_record(f->v, &fail, 1), 0);
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "git.app", &st), 0);
    assert_int_equal(strlen(st.error), PK_VERSIONS_ERROR_MAX);
    assert_null(st.output);
    pk_resource_state_clear(&st);
    // the next success clears it, and says so
    r = s_check(f, "git.app", "[]");
    assert_true(r.error_cleared);
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "git.app", &st), 0);
    assert_null(st.error);
    assert_null(st.output);
    assert_int_equal(st.failures, 2);
    assert_int_equal(st.checks, 4);
    pk_resource_state_clear(&st);
    r = s_check(f, "git.app", "[]");
    assert_false(r.error_cleared);
    free(output);
    free(long_error);
}

static void
test_malformed_versions(void **state)
{
    fixture_t *f = *state;
    struct {
        const char *bytes;
        size_t size;
    } bad[] = {
        { "\x81\xa1" "a\x01", 4 },                 // a map, not an array
        { "\x91\x01", 2 },                         // an array of a number
        { "\x91\x81\xa1" "a", 4 },                 // truncated
        { "\xdd\xff\xff\xff\xff", 5 },             // claims 4 billion versions
        { "\x91\xdf\xff\xff\xff\xff", 6 },         // a map claiming 4 billion entries
        { "\x91\x81\xa1" "a\xd4\x01\x02", 7 },     // ext type
        { "\x91\x82\xa1" "a\x01\xa1" "a\x02", 8 }, // a key twice
        { "\x91\x81\x01\x02", 4 },                 // a number as key
        { "\x90\x90", 2 },                         // trailing bytes
        { "\xc1", 1 },                             // never used
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pk_check_result_t r = { .pipeline = "p", .resource = "x.y", .versions = bad[i].bytes,
                                .versions_size = bad[i].size, .checked_ms = 1 };
        assert_int_equal(pk_versions_record(f->v, &r, 1), 0);
        assert_non_null(strstr(r.rejected, "malformed versions"));
        assert_int_equal(r.first_new, 0);
        pk_resource_state_t st;
        assert_int_equal(pk_versions_state(f->v, NULL, "p", "x.y", &st), 0);
        assert_string_equal(st.error, r.rejected);
        assert_int_equal(st.failures, i + 1);
        pk_resource_state_clear(&st);
    }
    // nesting deeper than the limit
    uint8_t deep[64];
    size_t n = 0;
    deep[n++] = 0x91;
    deep[n++] = 0x81;
    deep[n++] = 0xa1;
    deep[n++] = 'k';
    for (int i = 0; i < 40; i++)
        deep[n++] = 0x91;
    deep[n++] = 0x01;
    pk_check_result_t r = { .pipeline = "p", .resource = "x.y", .versions = deep,
                            .versions_size = n };
    assert_int_equal(pk_versions_record(f->v, &r, 1), 0);
    assert_non_null(strstr(r.rejected, "deeper"));
    pk_version_t v;
    assert_int_equal(pk_versions_latest(f->v, NULL, "p", "x.y", &v), PK_STORE_NOTFOUND);
    // bad arguments are errors, not crashes
    pk_check_result_t none = { 0 };
    assert_int_equal(pk_versions_record(f->v, &none, 1), -1);
    assert_int_equal(pk_versions_record(NULL, &none, 1), -1);
    assert_int_equal(pk_versions_get(f->v, NULL, NULL, "x", 1, &v), -1);
    char longname[600];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    assert_int_equal(pk_versions_state(f->v, NULL, "p", longname, &(pk_resource_state_t) { 0 }), -1);
}

static void
test_purge_and_reopen(void **state)
{
    fixture_t *f = *state;
    pk_check_result_t r = s_check(f, "git.app", "[{\"ref\":\"a\"},{\"ref\":\"b\"}]");
    pk_version_clear(&r.current);
    r = s_check(f, "git.web", "[{\"ref\":\"w\"}]");
    pk_version_clear(&r.current);
    uint8_t *data;
    size_t size;
    s_pack_json("[{\"ref\":\"q\"}]", &data, &size);
    pk_check_result_t other = { .pipeline = "p2", .resource = "git.app", .versions = data,
                                .versions_size = size };
    assert_int_equal(pk_versions_record(f->v, &other, 1), 0);
    pk_version_clear(&other.current);
    free(data);
    if (!strcmp(f->system, "lmdb")) {
        // durable: a new process sees the same and continues the sequence
        s_close(f);
        s_open(f);
        r = s_check(f, "git.app", "[{\"ref\":\"b\"},{\"ref\":\"c\"}]");
        assert_int_equal(r.first_new, 3);
        assert_int_equal(r.last_new, 3);
        pk_version_clear(&r.current);
    }
    assert_int_equal(pk_versions_purge(f->v, "p", "git.app"), 0);
    pk_version_t v;
    assert_int_equal(pk_versions_latest(f->v, NULL, "p", "git.app", &v), PK_STORE_NOTFOUND);
    pk_resource_state_t st;
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "git.app", &st), PK_STORE_NOTFOUND);
    assert_int_equal(pk_versions_latest(f->v, NULL, "p", "git.web", &v), 0);
    pk_version_clear(&v);
    // a purged resource starts again at 1
    r = s_check(f, "git.app", "[{\"ref\":\"a\"}]");
    assert_int_equal(r.first_new, 1);
    pk_version_clear(&r.current);
    assert_int_equal(pk_versions_purge(f->v, "p", NULL), 0);
    assert_int_equal(pk_versions_latest(f->v, NULL, "p", "git.web", &v), PK_STORE_NOTFOUND);
    assert_int_equal(pk_versions_latest(f->v, NULL, "p2", "git.app", &v), 0);
    pk_version_clear(&v);
}

// A put's versions (put = true): stored like a check's, given_last is the
// put's version whether new or stored before, and the check's own state
// (counts, times, error) is left alone.
static void
test_put(void **state)
{
    fixture_t *f = *state;
    pk_check_result_t r = s_check(f, "artifact.out", "[{\"sha\":\"a\"}]");
    pk_version_clear(&r.current);
    pk_check_result_t bad = { .pipeline = "p", .resource = "artifact.out", .error = "boom",
                              .checked_ms = 1500 };
    assert_int_equal(pk_versions_record(f->v, &bad, 1), 0);
    uint8_t *data;
    size_t size;
    s_pack_json("[{\"sha\":\"b\"}]", &data, &size);
    pk_check_result_t put = { .pipeline = "p", .resource = "artifact.out", .versions = data,
                              .versions_size = size, .checked_ms = 9999, .put = true };
    assert_int_equal(pk_versions_record(f->v, &put, 1), 0);
    assert_int_equal(put.first_new, 2);
    assert_int_equal(put.given_last, 2);
    assert_int_equal(put.current.id, 2);
    pk_version_clear(&put.current);
    free(data);
    s_pack_json("[{\"sha\":\"a\"}]", &data, &size);   // stored before: its id
    pk_check_result_t again = { .pipeline = "p", .resource = "artifact.out", .versions = data,
                                .versions_size = size, .put = true };
    assert_int_equal(pk_versions_record(f->v, &again, 1), 0);
    assert_int_equal(again.first_new, 0);
    assert_int_equal(again.given_last, 1);
    pk_version_clear(&again.current);
    free(data);
    pk_resource_state_t st;
    assert_int_equal(pk_versions_state(f->v, NULL, "p", "artifact.out", &st), 0);
    assert_int_equal(st.checks, 2);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.last_check_ms, 1500);
    assert_string_equal(st.error, "boom");      // a put says nothing about checks
    assert_int_equal(st.last_id, 2);
    pk_resource_state_clear(&st);
}

#define BOTH(fn) \
    cmocka_unit_test_prestate_setup_teardown(fn, s_setup, s_teardown, &s_lmdb), \
    cmocka_unit_test_prestate_setup_teardown(fn, s_setup, s_teardown, &s_mem)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_order_and_readers),
        BOTH(test_dedupe),
        cmocka_unit_test(test_canonical_against_pk_value),
        BOTH(test_errors_and_output),
        BOTH(test_malformed_versions),
        BOTH(test_purge_and_reopen),
        BOTH(test_put),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
