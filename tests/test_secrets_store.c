// store/pk_secrets on a real (mem) store: a value round-trips under its key
// and scope, the stored bytes never hold it, another key or another slot
// (a box copied to another name or scope) does not open it, list gives
// names of one scope only, del removes.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "pk_secrets.h"

static const char *VALUE = "v3ry-s3cret-value";

static void
s_names(const char *name, int64_t updated_ms, void *arg)
{
    char *out = arg;
    assert_true(updated_ms > 0);
    strcat(out, name);
    strcat(out, ",");
}

static void
test_roundtrip_and_sealing(void **state)
{
    (void) state;
    pk_store_t *store = pk_store_open("mem", NULL, NULL);
    assert_non_null(store);
    MDB_dbi dbi = pk_store_dbi(store, PK_SECRETS_KEYSPACE);
    uint8_t key[32], other[32];
    assert_int_equal(pk_secrets_key_parse("00112233445566778899aabbccddeeff"
                                          "00112233445566778899aabbccddeeff", key), 0);
    assert_int_equal(pk_secrets_key_parse("ff112233445566778899aabbccddeeff"
                                          "00112233445566778899aabbccddeeff", other), 0);
    assert_int_equal(pk_secrets_key_parse("short", other), -1);
    pk_store_txn_t *txn = pk_store_begin(store, true);
    assert_int_equal(pk_secrets_put(txn, dbi, key, "t:main", "api", VALUE, strlen(VALUE), 5), 0);
    assert_int_equal(pk_secrets_put(txn, dbi, key, "p:web", "api", "pipe", 4, 6), 0);
    assert_int_equal(pk_secrets_put(txn, dbi, key, "t:main", "zz", "z", 1, 7), 0);
    assert_int_equal(pk_store_commit(&txn), 0);

    txn = pk_store_begin(store, false);
    char *v = NULL;
    assert_int_equal(pk_secrets_get(txn, dbi, key, "t:main", "api", &v), 0);
    assert_string_equal(v, VALUE);
    free(v);
    assert_int_equal(pk_secrets_get(txn, dbi, key, "p:web", "api", &v), 0);
    assert_string_equal(v, "pipe");
    free(v);
    assert_int_equal(pk_secrets_get(txn, dbi, key, "t:blue", "api", &v), PK_STORE_NOTFOUND);
    assert_int_equal(pk_secrets_get(txn, dbi, other, "t:main", "api", &v), -1);   // wrong key
    assert_null(v);
    // the stored bytes do not hold the value
    const void *raw;
    size_t raw_size;
    assert_int_equal(pk_store_get(txn, dbi, "t:main\0api", 10, &raw, &raw_size), 0);
    assert_null(memmem(raw, raw_size, VALUE, strlen(VALUE)));
    void *copy = malloc(raw_size);
    memcpy(copy, raw, raw_size);
    char names[256] = "";
    assert_int_equal(pk_secrets_list(txn, dbi, "t:main", s_names, names), 0);
    assert_string_equal(names, "api,zz,");
    names[0] = 0;
    assert_int_equal(pk_secrets_list(txn, dbi, "p:web", s_names, names), 0);
    assert_string_equal(names, "api,");
    pk_store_abort(&txn);

    // a box moved to another slot does not open there
    txn = pk_store_begin(store, true);
    assert_int_equal(pk_store_put(txn, dbi, "p:evil\0api", 10, copy, raw_size), 0);
    assert_int_equal(pk_secrets_del(txn, dbi, "t:main", "zz"), 0);
    assert_int_equal(pk_secrets_del(txn, dbi, "t:main", "zz"), PK_STORE_NOTFOUND);
    assert_int_equal(pk_store_commit(&txn), 0);
    txn = pk_store_begin(store, false);
    assert_int_equal(pk_secrets_get(txn, dbi, key, "p:evil", "api", &v), -1);
    names[0] = 0;
    assert_int_equal(pk_secrets_list(txn, dbi, "t:main", s_names, names), 0);
    assert_string_equal(names, "api,");
    pk_store_abort(&txn);
    free(copy);
    pk_store_close(&store);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_and_sealing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
