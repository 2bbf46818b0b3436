// msgs: every message type round-trips through the codec (filled generically
// from the table, so a new message is covered the day its row is added), and
// malformed bodies -- truncated, wrong types, missing fields, lying length
// headers, random bytes -- are refused with an error, never a crash.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_msg.h"

static uint64_t s_rng = 88172645463325252ull;
static uint64_t
s_rand(void)
{
    s_rng ^= s_rng << 13;
    s_rng ^= s_rng >> 7;
    s_rng ^= s_rng << 17;
    return s_rng;
}

static char *
s_rand_str(void)
{
    size_t n = s_rand() % 40;
    char *s = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = (char) (1 + s_rand() % 255);   // any byte but NUL, UTF-8 or not
    s[n] = 0;
    return s;
}

// Fill every field of msg with random values (all fields, optional too).
static void
s_fill(pk_msg_t *msg, pk_msg_type_t type)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = type;
    const pk_msg_spec_t *spec = pk_msg_spec(type);
    for (size_t i = 0; i < spec->field_count; i++) {
        const pk_field_t *f = &spec->fields[i];
        void *at = (char *) msg + f->offset;
        switch (f->type) {
        case PK_F_STR:  *(char **) at = s_rand_str(); break;
        case PK_F_U32:  *(uint32_t *) at = (uint32_t) s_rand(); break;
        case PK_F_U64:  *(uint64_t *) at = s_rand(); break;
        case PK_F_I64:  *(int64_t *) at = (int64_t) s_rand(); break;
        case PK_F_BOOL: *(bool *) at = s_rand() & 1; break;
        case PK_F_BIN: {
            pk_bytes_t *b = at;
            b->size = s_rand() % 3000;
            b->data = malloc(b->size + 1);
            for (size_t j = 0; j < b->size; j++)
                b->data[j] = (uint8_t) s_rand();   // NULs included: bin is bytes
            break;
        }
        case PK_F_RAW: {
            msgpack_sbuffer sb;
            msgpack_sbuffer_init(&sb);
            msgpack_packer pk;
            msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
            msgpack_pack_map(&pk, 2);
            msgpack_pack_str_with_body(&pk, "ref", 3);
            msgpack_pack_uint64(&pk, s_rand());
            msgpack_pack_str_with_body(&pk, "list", 4);
            msgpack_pack_array(&pk, 2);
            msgpack_pack_int64(&pk, -(int64_t) (s_rand() >> 2));
            msgpack_pack_nil(&pk);
            pk_bytes_t *b = at;
            b->size = sb.size;
            b->data = (uint8_t *) msgpack_sbuffer_release(&sb);
            break;
        }
        case PK_F_STRS: {
            size_t n = s_rand() % 5;
            for (size_t j = 0; j < n; j++) {
                char *s = s_rand_str();
                pk_strs_push(at, s);
                free(s);
            }
            break;
        }
        case PK_F_KV: {
            size_t n = s_rand() % 5;
            for (size_t j = 0; j < n; j++) {
                char key[32];
                snprintf(key, sizeof key, "K%zu_%u", j, (unsigned) (s_rand() % 1000));
                char *v = s_rand_str();
                pk_kv_set(at, key, v);
                free(v);
            }
            break;
        }
        }
    }
}

static void
s_encode(const pk_msg_t *msg, msgpack_sbuffer *sb)
{
    msgpack_sbuffer_init(sb);
    assert_int_equal(pk_msg_encode(msg, sb), 0);
}

static void
test_roundtrip_every_type(void **state)
{
    (void) state;
    for (int t = 0; t < PK_MSG_COUNT; t++) {
        for (int round = 0; round < 50; round++) {
            pk_msg_t in, out;
            s_fill(&in, (pk_msg_type_t) t);
            msgpack_sbuffer sb;
            s_encode(&in, &sb);
            char err[256] = "";
            assert_int_equal(pk_msg_decode((pk_msg_type_t) t, sb.data, sb.size, &out, err, sizeof err), 0);
            assert_true(pk_msg_equal(&in, &out));
            // and through zmq framing
            zmsg_t *z = pk_msg_to_zmsg(&in);
            assert_non_null(z);
            assert_int_equal(zmsg_size(z), 2);
            pk_msg_t viaz;
            assert_int_equal(pk_msg_from_zmsg(z, &viaz, err, sizeof err), 0);
            assert_true(pk_msg_equal(&in, &viaz));
            zmsg_destroy(&z);
            pk_msg_clear(&viaz);
            pk_msg_clear(&out);
            pk_msg_clear(&in);
            msgpack_sbuffer_destroy(&sb);
        }
    }
}

static void
test_commands_unique(void **state)
{
    (void) state;
    for (int t = 0; t < PK_MSG_COUNT; t++) {
        const char *cmd = pk_msg_command((pk_msg_type_t) t);
        assert_non_null(cmd);
        assert_int_equal(pk_msg_type_from_command(cmd, strlen(cmd)), t);
    }
    assert_int_equal(pk_msg_type_from_command("NOPE", 4), -1);
    assert_int_equal(pk_msg_type_from_command("READ", 4), -1);   // prefix is not a match
}

// Every strict prefix of a valid body must be refused.
static void
test_truncated(void **state)
{
    (void) state;
    for (int t = 0; t < PK_MSG_COUNT; t++) {
        pk_msg_t in, out;
        s_fill(&in, (pk_msg_type_t) t);
        msgpack_sbuffer sb;
        s_encode(&in, &sb);
        for (size_t n = 0; n < sb.size; n++) {
            char err[256] = "";
            assert_int_equal(pk_msg_decode((pk_msg_type_t) t, sb.data, n, &out, err, sizeof err), -1);
            assert_true(err[0] != 0);
        }
        pk_msg_clear(&in);
        msgpack_sbuffer_destroy(&sb);
    }
}

// Build a body from a printf-like recipe of msgpack calls: keys and values.
static void
s_pack_kv_str(msgpack_packer *pk, const char *k, const char *v)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
    msgpack_pack_str_with_body(pk, v, strlen(v));
}

static int
s_decode_buf(pk_msg_type_t t, msgpack_sbuffer *sb, char *err)
{
    pk_msg_t out;
    int rc = pk_msg_decode(t, sb->data, sb->size, &out, err, 256);
    pk_msg_clear(&out);
    return rc;
}

static void
test_wrong_types_and_missing(void **state)
{
    (void) state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char err[256];

    // missing required field
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    s_pack_kv_str(&pk, "name", "w1");
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    assert_non_null(strstr(err, "required field 'slots' is missing"));
    msgpack_sbuffer_destroy(&sb);

    // wrong type: slots as a string
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    s_pack_kv_str(&pk, "name", "w1");
    s_pack_kv_str(&pk, "slots", "4");
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    assert_non_null(strstr(err, "field 'slots' must be a uint32"));
    msgpack_sbuffer_destroy(&sb);

    // uint32 overflow, negative into unsigned
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    s_pack_kv_str(&pk, "name", "w1");
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_uint64(&pk, 1ull << 33);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    s_pack_kv_str(&pk, "name", "w1");
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_int64(&pk, -1);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    msgpack_sbuffer_destroy(&sb);

    // a string list holding a number
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    s_pack_kv_str(&pk, "name", "w1");
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_uint32(&pk, 2);
    msgpack_pack_str_with_body(&pk, "tags", 4);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_str_with_body(&pk, "gpu", 3);
    msgpack_pack_uint32(&pk, 7);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    assert_non_null(strstr(err, "'tags'"));
    msgpack_sbuffer_destroy(&sb);

    // NUL inside a string field
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "name", 4);
    msgpack_pack_str_with_body(&pk, "w\0x", 3);
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_uint32(&pk, 2);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    msgpack_sbuffer_destroy(&sb);

    // duplicate field, non-map body, non-string key
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    s_pack_kv_str(&pk, "name", "w1");
    s_pack_kv_str(&pk, "name", "w2");
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_uint32(&pk, 2);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    assert_non_null(strstr(err, "twice"));
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 0);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_uint32(&pk, 1);
    msgpack_pack_uint32(&pk, 1);
    assert_int_equal(s_decode_buf(PK_MSG_READY, &sb, err), -1);
    msgpack_sbuffer_destroy(&sb);
}

static void
test_unknown_fields_ignored(void **state)
{
    (void) state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 4);
    s_pack_kv_str(&pk, "name", "w1");
    msgpack_pack_str_with_body(&pk, "future", 6);     // a field from a newer peer
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 0);
    msgpack_pack_str_with_body(&pk, "slots", 5);
    msgpack_pack_uint32(&pk, 3);
    s_pack_kv_str(&pk, "zz", "yy");
    pk_msg_t out;
    char err[256] = "";
    assert_int_equal(pk_msg_decode(PK_MSG_READY, sb.data, sb.size, &out, err, sizeof err), 0);
    assert_string_equal(out.ready.name, "w1");
    assert_int_equal(out.ready.slots, 3);
    pk_msg_clear(&out);
    msgpack_sbuffer_destroy(&sb);
}

// A few bytes claiming huge containers must be refused before any allocation.
static void
test_lying_headers(void **state)
{
    (void) state;
    const uint8_t bodies[][16] = {
        { 0xdd, 0xff, 0xff, 0xff, 0xff },             // array32 of 4 G elements
        { 0xdf, 0xff, 0xff, 0xff, 0xff },             // map32 of 4 G pairs
        { 0xdb, 0xff, 0xff, 0xff, 0xff, 'a' },        // str32 of 4 GB
        { 0xc6, 0x7f, 0xff, 0xff, 0xff },             // bin32 of 2 GB
        { 0xc9, 0xff, 0xff, 0xff, 0xf0, 1 },          // ext32
        { 0x81, 0xa4, 'n', 'a', 'm', 'e', 0xdd, 0, 1, 0, 0 },  // nested lie
        { 0xc1 },                                     // never-used type byte
        { 0x80, 0x00 },                               // trailing byte
    };
    const size_t sizes[] = { 5, 5, 6, 5, 6, 11, 1, 2 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char err[256] = "";
        assert_int_equal(pk_msgpack_check(bodies[i], sizes[i], err, sizeof err), -1);
        pk_msg_t out;
        for (int t = 0; t < PK_MSG_COUNT; t++)
            assert_int_equal(pk_msg_decode((pk_msg_type_t) t, bodies[i], sizes[i], &out, err, sizeof err), -1);
    }
    // nesting deeper than the cap
    uint8_t deep[64];
    memset(deep, 0x91, sizeof deep);   // fixarray(1) ... 
    deep[PK_MSG_MAX_DEPTH + 1] = 0xc0;
    assert_int_equal(pk_msgpack_check(deep, PK_MSG_MAX_DEPTH + 2, NULL, 0), -1);
    deep[PK_MSG_MAX_DEPTH] = 0xc0;
    assert_int_equal(pk_msgpack_check(deep, PK_MSG_MAX_DEPTH + 1, NULL, 0), 0);
    // oversized frame
    size_t big = PK_MSG_MAX_FRAME + 1;
    uint8_t *buf = calloc(1, big);
    pk_msg_t out;
    char err[256] = "";
    assert_int_equal(pk_msg_decode(PK_MSG_LOG, buf, big, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "exceeds"));
    free(buf);
}

static void
test_random_bytes(void **state)
{
    (void) state;
    uint8_t buf[512];
    for (int i = 0; i < 20000; i++) {
        size_t n = s_rand() % sizeof buf;
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t) s_rand();
        if (n && (i & 1))
            buf[0] = 0x80 | (buf[0] & 0x0f);   // start like a map half the time
        pk_msg_t out;
        if (pk_msg_decode((pk_msg_type_t) (i % PK_MSG_COUNT), buf, n, &out, NULL, 0) == 0)
            pk_msg_clear(&out);
    }
}

static void
test_refuse_to_send_incomplete(void **state)
{
    (void) state;
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = "build:p/j/1";
    m.work.kind = "build";
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    assert_int_equal(pk_msg_encode(&m, &sb), -1);   // plan is required
    msgpack_sbuffer_destroy(&sb);
    assert_null(pk_msg_to_zmsg(&m));
}

// Real sockets: inproc and tcp loopback carry the same frames.
static void
test_over_sockets(void **state)
{
    (void) state;
    const char *pairs[][2] = {
        { "@inproc://pk-test-msgs", ">inproc://pk-test-msgs" },
        { "@tcp://127.0.0.1:*", NULL },
    };
    for (size_t i = 0; i < 2; i++) {
        zsock_t *server = zsock_new_router(pairs[i][0]);
        assert_non_null(server);
        char *ep = zsock_last_endpoint(server);
        char connect[128];
        snprintf(connect, sizeof connect, ">%s", ep);
        zstr_free(&ep);
        zsock_t *client = zsock_new_dealer(pairs[i][1] ? pairs[i][1] : connect);
        assert_non_null(client);
        pk_msg_t in;
        s_fill(&in, PK_MSG_LOG);
        assert_int_equal(pk_msg_send(client, &in), 0);
        zsock_set_rcvtimeo(server, 5000);
        zmsg_t *z = zmsg_recv(server);
        assert_non_null(z);
        zframe_t *routing = zmsg_pop(z);
        zframe_destroy(&routing);
        pk_msg_t out;
        char err[256] = "";
        assert_int_equal(pk_msg_from_zmsg(z, &out, err, sizeof err), 0);
        assert_true(pk_msg_equal(&in, &out));
        zmsg_destroy(&z);
        pk_msg_clear(&in);
        pk_msg_clear(&out);
        zsock_destroy(&client);
        zsock_destroy(&server);
    }
}

int
main(void)
{
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_unique),
        cmocka_unit_test(test_roundtrip_every_type),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_wrong_types_and_missing),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_lying_headers),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_refuse_to_send_incomplete),
        cmocka_unit_test(test_over_sockets),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
