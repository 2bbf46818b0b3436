// The http actor's pure parts and the webhook token keyspace: tokens made
// once per resource and kept, found only by the whole token, replaced by
// regenerate, forgotten by purge (on a real LMDB store); HMAC-SHA256 against
// Python's hmac module; the UTF-8 cut and the JSON text of log chunks; the
// streams' hub (http_hub.c).
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_internal.h"
#include "pk_value_msgpack.h"
#include "pk_webhooks.h"
#include <czmq.h>

static void
test_tokens(void **state)
{
    (void) state;
    char *err = NULL;
    pk_store_t *store = pk_store_open("mem", NULL, &err);
    assert_non_null(store);
    pk_webhooks_t *w = pk_webhooks_new(store, &err);
    assert_non_null(w);
    const char *names[] = { "git.a", "git.b" };
    assert_int_equal(pk_webhooks_ensure(w, "p", names, 2), 2);
    assert_int_equal(pk_webhooks_ensure(w, "p", names, 2), 0);       // kept, not remade
    char *ta = NULL, *tb = NULL, *p = NULL, *r = NULL;
    assert_int_equal(pk_webhooks_get(w, "p", "git.a", &ta), 0);
    assert_int_equal(pk_webhooks_get(w, "p", "git.b", &tb), 0);
    assert_int_equal(strlen(ta), PK_WEBHOOK_TOKEN_LEN);
    assert_int_equal(strspn(ta, "0123456789abcdef"), PK_WEBHOOK_TOKEN_LEN);
    assert_string_not_equal(ta, tb);
    assert_int_equal(pk_webhooks_find(w, ta, &p, &r), 0);
    assert_string_equal(p, "p");
    assert_string_equal(r, "git.a");
    free(p);
    free(r);
    // same selector, another verifier: not found
    char forged[PK_WEBHOOK_TOKEN_LEN + 1];
    memcpy(forged, ta, sizeof forged);
    forged[PK_WEBHOOK_TOKEN_LEN - 1] = forged[PK_WEBHOOK_TOKEN_LEN - 1] == '0' ? '1' : '0';
    assert_int_equal(pk_webhooks_find(w, forged, &p, &r), PK_STORE_NOTFOUND);
    assert_int_equal(pk_webhooks_find(w, "short", &p, &r), PK_STORE_NOTFOUND);
    assert_int_equal(pk_webhooks_find(w, "", &p, &r), PK_STORE_NOTFOUND);
    char upper[PK_WEBHOOK_TOKEN_LEN + 1];
    for (int i = 0; i <= PK_WEBHOOK_TOKEN_LEN; i++)
        upper[i] = (char) (ta[i] >= 'a' && ta[i] <= 'f' ? ta[i] - 32 : ta[i]);
    if (strcmp(upper, ta))
        assert_int_equal(pk_webhooks_find(w, upper, &p, &r), PK_STORE_NOTFOUND);
    // regenerate: a new token, the old one gone
    char *tn = NULL;
    assert_int_equal(pk_webhooks_regenerate(w, "p", "git.a", &tn), 0);
    assert_string_not_equal(tn, ta);
    assert_int_equal(pk_webhooks_find(w, ta, &p, &r), PK_STORE_NOTFOUND);
    assert_int_equal(pk_webhooks_find(w, tn, &p, &r), 0);
    free(p);
    free(r);
    // purge forgets the pipeline's tokens, not others'
    const char *other[] = { "git.a" };
    assert_int_equal(pk_webhooks_ensure(w, "q", other, 1), 1);
    assert_int_equal(pk_webhooks_purge(w, "p"), 0);
    assert_int_equal(pk_webhooks_find(w, tn, &p, &r), PK_STORE_NOTFOUND);
    assert_int_equal(pk_webhooks_get(w, "p", "git.b", &p), PK_STORE_NOTFOUND);
    char *tq = NULL;
    assert_int_equal(pk_webhooks_get(w, "q", "git.a", &tq), 0);
    free(ta);
    free(tb);
    free(tn);
    free(tq);
    pk_webhooks_destroy(&w);
    pk_store_close(&store);
}

// Python's hmac of (key, data), both given as hex.
static void
s_python_hmac(const char *key_hex, const char *data_hex, char out[65])
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import hmac,hashlib,sys; print(hmac.new("
             "bytes.fromhex(sys.argv[1]),bytes.fromhex(sys.argv[2]),hashlib.sha256).hexdigest())'"
             " '%s' '%s'", key_hex, data_hex);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    assert_non_null(fgets(out, 65, f));
    pclose(f);
}

static void
s_hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
    out[2 * n] = 0;
}

static void
test_hmac(void **state)
{
    (void) state;
    srand(42);
    size_t key_lens[] = { 0, 1, 20, 63, 64, 65, 131 };
    size_t data_lens[] = { 0, 1, 55, 56, 64, 1000 };
    for (size_t k = 0; k < sizeof key_lens / sizeof *key_lens; k++)
        for (size_t d = 0; d < sizeof data_lens / sizeof *data_lens; d++) {
            uint8_t key[200], data[1000];
            for (size_t i = 0; i < key_lens[k]; i++)
                key[i] = (uint8_t) rand();
            for (size_t i = 0; i < data_lens[d]; i++)
                data[i] = (uint8_t) rand();
            char kh[401], dh[2001], ours[65], theirs[65];
            s_hex(key, key_lens[k], kh);
            s_hex(data, data_lens[d], dh);
            http_hmac_sha256_hex(key, key_lens[k], data, data_lens[d], ours);
            s_python_hmac(kh, dh, theirs);
            assert_string_equal(ours, theirs);
        }
    char sig[80], mac[65];
    http_hmac_sha256_hex("s3cret", 6, "body", 4, mac);
    snprintf(sig, sizeof sig, "sha256=%s", mac);
    assert_true(http_signature_ok("s3cret", sig, "body", 4));
    assert_false(http_signature_ok("s3cret", sig, "bodY", 4));
    assert_false(http_signature_ok("other", sig, "body", 4));
    assert_false(http_signature_ok("s3cret", NULL, "body", 4));
    assert_false(http_signature_ok("s3cret", mac, "body", 4));       // no "sha256="
    sig[strlen(sig) - 1] = 0;
    assert_false(http_signature_ok("s3cret", sig, "body", 4));       // one short
}

static void
test_utf8(void **state)
{
    (void) state;
    const char *s = "ab\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80";     // a b ü € 😀
    size_t n = strlen(s);
    assert_int_equal(http_utf8_whole(s, n), n);
    assert_int_equal(http_utf8_whole(s, n - 1), 7);     // the emoji cut: before it
    assert_int_equal(http_utf8_whole(s, 6), 4);         // the euro cut
    assert_int_equal(http_utf8_whole(s, 3), 2);         // the ü cut
    assert_int_equal(http_utf8_whole("", 0), 0);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    http_json_str(&buf, &len, &cap, "a\"\\\n\x01\xff\xc3\xbc", 8);
    assert_string_equal(buf, "\"a\\\"\\\\\\n\\u0001\\ufffd\xc3\xbc\"");
    free(buf);
}

// An event on topic with body {pipeline: "p", job: "j", number} (number
// NULL: no body).
static void
s_publish(http_hub_t *hub, const char *topic, const char *number)
{
    static uint64_t seq;
    pk_msg_t ev = { .type = PK_MSG_EVENT };
    ev.event.topic = (char *) topic;
    ev.event.seq = ++seq;
    uint8_t *body = NULL;
    size_t size = 0;
    if (number) {
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "pipeline", pk_value_new_string("p"));
        pk_value_object_set(o, "job", pk_value_new_string("j"));
        pk_value_object_set(o, "number", pk_value_new_string(number));
        pk_value_pack_bytes(o, &body, &size);
        pk_value_destroy(&o);
        ev.event.body.data = body;
        ev.event.body.size = size;
    }
    http_hub_publish(hub, &ev);
    free(body);
}

// Waits for sub's news as a stream does, after the actor's flush: the
// news bits, 0 when none came within 1 s.
static int
s_news(http_hub_t *hub, http_sub_t *sub, http_change_t *c, uint64_t *dropped)
{
    for (int i = 0; i < 100; i++) {
        int due = http_hub_flush(hub);
        int news = http_hub_wait(hub, sub, due >= 0 && due < 10 ? due + 1 : 10, c, dropped);
        if (news)
            return news;
    }
    return 0;
}

// The hub: a log follower learns that its log grew or its own build
// changed, and copies the bytes from the tail its log's followers share; a
// change stream queues events up to its cap, then drops and counts, and is
// told of the loss after what it kept. News is a flag taken at once, however
// many events came.
static void
test_hub(void **state)
{
    (void) state;
    http_hub_t *hub = http_hub_new();
    const char *const build[3] = { "p", "j", "7" };
    http_sub_t *log = http_hub_join(hub, "log.b1", build);
    http_sub_t *chg = http_hub_join(hub, NULL, NULL);
    http_change_t c;
    uint64_t dropped = 0;
    assert_int_equal(http_hub_wait(hub, log, 10, &c, &dropped), 0);    // nothing yet
    assert_int_equal(http_hub_flush(hub), -1);                          // nothing due
    http_hub_tail_add(hub, "log.b2", 1, 0, "x", 1);                     // another log
    assert_int_equal(s_news(hub, log, &c, &dropped), 0);
    char buf[64];
    assert_int_equal(http_hub_log_copy(hub, log, 1, 0, buf, sizeof buf), -1);   // no tail yet
    http_hub_tail_add(hub, "log.b1", 1, 0, "ab\n", 3);
    int due = http_hub_flush(hub);
    assert_true(due >= 0 && due <= 100);        // batched: not woken at once
    for (int i = 1; i < 60000; i++)                                     // nothing queues
        http_hub_tail_add(hub, "log.b1", 1, (uint64_t) i * 3, "ab\n", 3);
    assert_int_equal(s_news(hub, log, &c, &dropped), HTTP_NEWS_LOG);
    assert_null(c.json);
    assert_int_equal(http_hub_wait(hub, log, 10, &c, &dropped), 0);    // one flag, not 60000
    // the tail: the last 128 KiB, shared; behind it or another attempt: the store
    uint64_t end = 60000 * 3;
    assert_int_equal(http_hub_log_copy(hub, log, 1, end - 6, buf, sizeof buf), 6);
    assert_memory_equal(buf, "ab\nab\n", 6);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end, buf, sizeof buf), 0);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end + 9, buf, sizeof buf), 0);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end - 5, buf, 2), 2);
    assert_memory_equal(buf, "b\n", 2);
    assert_int_equal(http_hub_log_copy(hub, log, 2, end - 6, buf, sizeof buf), -1);
    assert_int_equal(http_hub_log_copy(hub, log, 1, 0, buf, sizeof buf), -1);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end - 128 * 1024, buf, 3), 3);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end - 128 * 1024 - 1, buf, 3), -1);
    // a gap (an event lost): the tail starts again after it
    http_hub_tail_add(hub, "log.b1", 1, end + 10, "zz", 2);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end, buf, sizeof buf), -1);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end + 10, buf, sizeof buf), 2);
    assert_int_equal(s_news(hub, log, &c, &dropped), HTTP_NEWS_LOG);
    // a second follower of the same log shares its tail
    http_sub_t *log2 = http_hub_join(hub, "log.b1", build);
    assert_int_equal(http_hub_log_copy(hub, log2, 1, end + 11, buf, sizeof buf), 1);
    http_hub_leave(hub, &log2);
    assert_int_equal(http_hub_log_copy(hub, log, 1, end + 11, buf, sizeof buf), 1);
    // only its own build's events concern a follower
    s_publish(hub, "build.started", "8");
    assert_int_equal(s_news(hub, log, &c, &dropped), 0);
    s_publish(hub, "build.succeeded", "7");
    assert_int_equal(s_news(hub, log, &c, &dropped), HTTP_NEWS_BUILD);
    // the change stream saw the build events only (log.* is not a change)
    assert_int_equal(s_news(hub, chg, &c, &dropped), HTTP_NEWS_CHANGE);
    assert_non_null(strstr(c.json, "\"topic\":\"build.started\""));
    assert_string_equal(c.pipeline, "p");
    assert_false(c.pipeline_event);
    http_change_clear(&c);
    assert_int_equal(http_hub_wait(hub, chg, 0, &c, &dropped), HTTP_NEWS_CHANGE);
    assert_non_null(strstr(c.json, "\"topic\":\"build.succeeded\""));
    http_change_clear(&c);
    s_publish(hub, "pipeline.exposed", "1");
    assert_int_equal(s_news(hub, chg, &c, &dropped), HTTP_NEWS_CHANGE);
    assert_true(c.pipeline_event);
    http_change_clear(&c);
    for (int i = 0; i < 1000; i++)
        s_publish(hub, "job.paused", NULL);
    assert_int_equal(http_hub_dropped(hub), 1000 - 128);
    int kept = 0;
    while (http_hub_wait(hub, chg, 10, &c, &dropped) && c.json) {
        kept++;
        assert_int_equal(dropped, 0);           // the loss is told after what was kept
        assert_null(c.pipeline);
        http_change_clear(&c);
    }
    assert_int_equal(kept, 128);
    assert_int_equal(dropped, 1000 - 128);
    assert_int_equal(http_hub_wait(hub, chg, 10, &c, &dropped), 0);
    http_hub_stop(hub);                         // wakes at once, for good
    assert_int_equal(http_hub_wait(hub, chg, 5000, &c, &dropped), 0);
    http_hub_leave(hub, &log);
    http_hub_leave(hub, &chg);
    assert_null(log);
    http_hub_destroy(&hub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_hmac),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_hub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
