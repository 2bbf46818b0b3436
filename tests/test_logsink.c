// test_logsink: the log sink with everything real around it -- a broker on
// its own inproc endpoint, runner actors running real processes, LMDB stores
// ("mem" and "lmdb" in a temp dir), a peer playing the scheduler (HELLO,
// WORK, waits for DONE) and, where a misbehaving runner is needed, a peer
// that says READY and then sends hand-made LOG frames.
//
// Task output comes from this very executable re-run as a generator
// (`test_logsink gen SEED BYTES`: xorshift bytes, every byte value), so the
// expected bytes are regenerated in-process, read back from a file the task
// tee'd, or hashed by sha256sum -- never typed into the test.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pk_broker.h"
#include "pk_key.h"
#include "pk_logs.h"
#include "pk_logsink.h"
#include "pk_msg.h"
#include "pk_runner.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include "test_work_root.h"
#include "runner_internal.h"      // RUNNER_INITIAL_CREDIT, RUNNER_LOG_CHUNK

// ASan's quarantine would hold freed log chunks and look like growth.
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
    return "quarantine_size_mb=8";
}

static char s_self[PATH_MAX];      // this executable, for `gen`

// --- the generator: a stream of 64-bit xorshift* words, cut at n bytes

static void
s_gen_fill(uint64_t *state, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        uint64_t w = *state * 0x2545F4914F6CDD1Dull;
        memcpy(buf + i, &w, n - i < 8 ? n - i : 8);
    }
}

static int
s_gen_main(uint64_t seed, uint64_t n)
{
    uint64_t state = seed ? seed : 1;
    static uint8_t buf[1 << 16];
    while (n) {
        size_t k = n < sizeof buf ? (size_t) n : sizeof buf;
        s_gen_fill(&state, buf, sizeof buf);
        if (fwrite(buf, 1, k, stdout) != k)
            return 1;
        n -= k;
    }
    return fflush(stdout) != 0;
}

// The same stream in memory (block by block, exactly as s_gen_main cuts it).
static uint8_t *
s_gen_buf(uint64_t seed, size_t n)
{
    uint64_t state = seed ? seed : 1;
    uint8_t *out = malloc(n + (1 << 16));
    for (size_t at = 0; at < n; at += 1 << 16)
        s_gen_fill(&state, out + at, 1 << 16);
    return out;
}

static char *
s_gen_cmd(uint64_t seed, uint64_t n)
{
    char *cmd;
    assert_true(asprintf(&cmd, "%s gen %llu %llu", s_self, (unsigned long long) seed,
                         (unsigned long long) n) > 0);
    return cmd;
}

// --- the world around the sink

typedef struct {
    char ep[64];
    char dir[64];             // lmdb directory, "" for mem
    zactor_t *broker;
    zactor_t *sink;
    zactor_t *runner;
    zsock_t *sched;
    pk_store_t *store;
} fx_t;

typedef struct {
    unsigned long long chunks, bytes, dropped, duplicates, gaps, pending, commits, errors;
} stats_t;

static stats_t
s_stats(zactor_t *sink)
{
    stats_t s;
    zstr_send(sink, "STATS");
    char *reply = zstr_recv(sink);
    assert_int_equal(sscanf(reply, "%llu %llu %llu %llu %llu %llu %llu %llu", &s.chunks, &s.bytes,
                            &s.dropped, &s.duplicates, &s.gaps, &s.pending, &s.commits, &s.errors), 8);
    zstr_free(&reply);
    return s;
}

static void
s_flush(zactor_t *sink)
{
    zstr_send(sink, "FLUSH");
    char *reply = zstr_recv(sink);
    assert_string_equal(reply, "ok");
    zstr_free(&reply);
}

static pk_store_t *
s_store(fx_t *f, const char *system)
{
    f->dir[0] = 0;
    if (!strcmp(system, "lmdb")) {
        strcpy(f->dir, "/tmp/pk-test-logsink-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
    }
    char *err = NULL;
    pk_store_t *s = pk_store_open(system, f->dir, &err);
    if (!s)
        fail_msg("store: %s", err);
    return s;
}

static zactor_t *
s_sink(fx_t *f, const pk_logsink_config_t *tuning)
{
    pk_logsink_config_t cfg = tuning ? *tuning : (pk_logsink_config_t) { 0 };
    cfg.endpoint = f->ep;
    cfg.store = f->store;
    zactor_t *sink = pk_logsink_new(&cfg);
    assert_non_null(sink);
    // LOG reaches the sink only once the broker has its HELLO
    int64_t end = zclock_mono() + 10000;
    for (;;) {
        zstr_send(sink, "STATUS");
        char *st = zstr_recv(sink);
        bool up = !strcmp(st, "connected");
        zstr_free(&st);
        if (up)
            return sink;
        if (zclock_mono() > end)
            fail_msg("the log sink never heard from the broker");
        zclock_sleep(5);
    }
}

static zsock_t *
s_peer(fx_t *f, const char *role)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    assert_int_equal(zsock_connect(s, "%s", f->ep), 0);
    if (role) {
        pk_msg_t h = { .type = PK_MSG_HELLO };
        h.hello.name = (char *) role;
        h.hello.role = (char *) role;
        assert_int_equal(pk_msg_send(s, &h), 0);
    }
    return s;
}

static void
s_wait_workers(fx_t *f, unsigned n)
{
    int64_t end = zclock_mono() + 10000;
    while (zclock_mono() < end) {
        zstr_send(f->broker, "STATS");
        char *stats = zstr_recv(f->broker);
        unsigned w = 0;
        sscanf(stats, "%u", &w);
        zstr_free(&stats);
        if (w >= n)
            return;
        zclock_sleep(5);
    }
    fail_msg("broker never saw %u workers", n);
}

// Broker, store, sink, scheduler peer and (slots > 0) one runner.
static void
s_up(fx_t *f, const char *system, const pk_logsink_config_t *tuning, uint32_t slots, int hb_ms)
{
    static int n;
    memset(f, 0, sizeof *f);
    snprintf(f->ep, sizeof f->ep, "inproc://pk-test-logsink-%d", ++n);
    pk_broker_config_t bcfg = { .inproc = f->ep, .heartbeat_timeout_ms = hb_ms };
    f->broker = pk_broker_new(&bcfg);
    assert_non_null(f->broker);
    f->store = s_store(f, system);
    f->sink = s_sink(f, tuning);
    f->sched = s_peer(f, "scheduler");
    if (slots) {
        pk_runner_config_t rcfg = { .name = "w1", .endpoint = f->ep, .slots = slots,
                                    .work_root = test_work_root() };
        f->runner = pk_runner_new(&rcfg);
        assert_non_null(f->runner);
        s_wait_workers(f, 1);
    }
}

static void
s_remove_dir(const char *dir)
{
    if (!*dir)
        return;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

// Runners first (they stop sending), then the sink (it commits what is
// left and credits through the broker), then the broker.
static void
s_down(fx_t *f)
{
    zactor_destroy(&f->runner);
    zactor_destroy(&f->sink);
    zsock_destroy(&f->sched);
    zactor_destroy(&f->broker);
    pk_store_close(&f->store);
    s_remove_dir(f->dir);
}

static char *
s_json_str(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 3), *o = out;
    *o++ = '"';
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '"';
    *o = 0;
    return out;
}

static void
s_work(fx_t *f, const char *id, uint32_t attempt, const char *shell_cmd)
{
    char *cmd = s_json_str(shell_cmd), *json;
    assert_true(asprintf(&json, "{\"steps\":[{\"kind\":\"task\",\"name\":\"t\",\"cmd\":{\"runner\":"
                         "{\"name\":\"shell\"},\"params\":{\"cmd\":%s}}}]}", cmd) > 0);
    pk_value_t *plan = pk_value_from_json(json, strlen(json), NULL);
    assert_non_null(plan);
    pk_msg_t m = { .type = PK_MSG_WORK };
    m.work.id = (char *) id;
    m.work.attempt = attempt;
    m.work.kind = "build";
    pk_value_pack_bytes(plan, &m.work.plan.data, &m.work.plan.size);
    assert_int_equal(pk_msg_send(f->sched, &m), 0);
    free(m.work.plan.data);
    pk_value_destroy(&plan);
    free(json);
    free(cmd);
}

static bool
s_recv(zsock_t *s, pk_msg_t *m, int timeout_ms)
{
    zsock_set_rcvtimeo(s, timeout_ms);
    zmsg_t *z = zmsg_recv(s);
    if (!z)
        return false;
    int rc = pk_msg_from_zmsg(z, m, NULL, 0);
    zmsg_destroy(&z);
    return rc == 0;
}

// Wait for n DONEs (any of the ids running), each "succeeded".
static void
s_wait_done(fx_t *f, int n, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    while (n > 0) {
        if (zclock_mono() > end)
            fail_msg("builds did not finish in %d ms", timeout_ms);
        pk_msg_t m;
        if (!s_recv(f->sched, &m, 200))
            continue;
        if (m.type == PK_MSG_DONE) {
            if (strcmp(m.done.status, "succeeded"))
                fail_msg("%s#%u: %s (%s)", m.done.id, m.done.attempt, m.done.status,
                         m.done.reason ? m.done.reason : "");
            n--;
        }
        pk_msg_clear(&m);
    }
}

// FLUSH until the log has size bytes (what arrived is taken in by FLUSH;
// this only covers messages still on their way through the broker).
static void
s_flush_until(fx_t *f, const char *id, uint32_t attempt, int64_t size)
{
    int64_t end = zclock_mono() + 10000, got = -1;
    while (zclock_mono() < end) {
        s_flush(f->sink);
        if ((got = pk_logs_size(f->store, id, attempt)) >= size)
            break;
        zclock_sleep(5);
    }
    assert_int_equal(got, size);
}

static void
s_assert_log(pk_store_t *store, const char *id, uint32_t attempt, const uint8_t *want, size_t n)
{
    assert_int_equal(pk_logs_size(store, id, attempt), (int64_t) n);
    uint8_t *got = malloc(n + 1);
    assert_int_equal(pk_logs_read_buf(store, id, attempt, 0, got, n + 1), (int64_t) n);
    if (memcmp(got, want, n)) {
        size_t i = 0;
        while (got[i] == want[i])
            i++;
        fail_msg("%s#%u differs from the reference at byte %zu of %zu", id, attempt, i, n);
    }
    free(got);
}

// Output of a shell command (the reference for a task running it).
static char *
s_run(const char *cmd, size_t *len)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len + 65536 > cap)
            out = realloc(out, cap = (*len + 65536) * 2);
        size_t r = fread(out + *len, 1, 65536, p);
        if (!r)
            break;
        *len += r;
    }
    assert_int_equal(pclose(p), 0);
    return out;
}

// --- (1) known text, byte-exact, and live followers see the same bytes

static void
s_known_text(const char *system)
{
    fx_t f;
    s_up(&f, system, NULL, 1, 3000);
    // a follower: subscribed before the build starts
    zsock_t *client = s_peer(&f, NULL);
    pk_msg_t q = { .type = PK_MSG_REQUEST };
    q.request.rid = 1;
    q.request.op = "subscribe";
    pk_kv_set(&q.request.args, "prefix", "log.build:p/text/1");
    assert_int_equal(pk_msg_send(client, &q), 0);
    q.request.op = NULL;
    pk_msg_clear(&q);
    pk_msg_t r;
    assert_true(s_recv(client, &r, 5000));
    assert_int_equal(r.type, PK_MSG_REPLY);
    pk_msg_clear(&r);

    const char *cmd = "printf 'hello\\n\\tworld \"quoted\" \\\\ back\\n'; echo 'caf\xc3\xa9 \xe2\x9c\x93';"
                      " seq 1 3000; printf 'no newline at the end'";
    s_work(&f, "build:p/text/1", 1, cmd);
    s_wait_done(&f, 1, 30000);
    size_t len;
    char *want = s_run(cmd, &len);
    s_flush_until(&f, "build:p/text/1", 1, (int64_t) len);
    s_assert_log(f.store, "build:p/text/1", 1, (uint8_t *) want, len);

    // the follower's events put together give the same bytes, in order
    uint8_t *seen = calloc(1, len);
    size_t have = 0;
    int64_t end = zclock_mono() + 10000;
    while (have < len && zclock_mono() < end) {
        pk_msg_t ev;
        if (!s_recv(client, &ev, 500))
            continue;
        assert_int_equal(ev.type, PK_MSG_EVENT);
        assert_string_equal(ev.event.topic, "log.build:p/text/1");
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        assert_int_equal(msgpack_unpack_next(&up, (const char *) ev.event.body.data,
                                             ev.event.body.size, &off), MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(up.data.type, MSGPACK_OBJECT_MAP);
        int fields = 0;
        for (uint32_t i = 0; i < up.data.via.map.size; i++) {
            const msgpack_object *k = &up.data.via.map.ptr[i].key, *v = &up.data.via.map.ptr[i].val;
            if (k->via.str.size == 7 && !memcmp(k->via.str.ptr, "attempt", 7))
                fields++, assert_int_equal(v->via.u64, 1);
            if (k->via.str.size == 6 && !memcmp(k->via.str.ptr, "offset", 6))
                fields++, assert_int_equal(v->via.u64, have);
            if (k->via.str.size == 4 && !memcmp(k->via.str.ptr, "data", 4)) {
                fields++;
                assert_int_equal(v->type, MSGPACK_OBJECT_BIN);
                assert_true(have + v->via.bin.size <= len);
                memcpy(seen + have, v->via.bin.ptr, v->via.bin.size);
                have += v->via.bin.size;
            }
        }
        assert_int_equal(fields, 3);
        msgpack_unpacked_destroy(&up);
        pk_msg_clear(&ev);
    }
    assert_int_equal(have, len);
    assert_memory_equal(seen, want, len);
    free(seen);
    free(want);
    stats_t s = s_stats(f.sink);
    assert_int_equal(s.bytes, len);
    assert_int_equal(s.dropped + s.duplicates + s.gaps + s.pending + s.errors, 0);
    zsock_destroy(&client);
    s_down(&f);
}

static void
test_known_text_mem(void **state)
{
    (void) state;
    s_known_text("mem");
}

static void
test_known_text_lmdb(void **state)
{
    (void) state;
    s_known_text("lmdb");
}

// --- (2) 200 MB streamed with flat memory, hash-checked

static long
s_status_kb(const char *field)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, fp))
        if (!strncmp(line, field, strlen(field)))
            kb = atol(line + strlen(field));
    fclose(fp);
    return kb;
}

static long
s_rss_kb(void)
{
    return s_status_kb("VmRSS:");
}

static int
s_pipe_fn(const void *data, size_t size, void *arg)
{
    return fwrite(data, 1, size, arg) == size ? 0 : -1;
}

// sha256sum of a shell command's output, or (id != NULL) of a stored log
// streamed out of the store in 1 MiB pieces.
static void
s_sha256sum(const char *cmd, pk_store_t *store, const char *id, uint64_t size, char hex[65])
{
    char tmpl[] = "/tmp/pk-test-sha-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    char *sh;
    if (id)
        assert_true(asprintf(&sh, "sha256sum > %s", tmpl) > 0);
    else
        assert_true(asprintf(&sh, "%s | sha256sum > %s", cmd, tmpl) > 0);
    if (id) {
        FILE *p = popen(sh, "w");
        assert_non_null(p);
        for (uint64_t at = 0; at < size; at += 1 << 20)
            assert_true(pk_logs_read(store, id, 1, at, 1 << 20, s_pipe_fn, p) > 0);
        assert_int_equal(pclose(p), 0);
    }
    else
        assert_int_equal(system(sh), 0);
    assert_int_equal(read(fd, hex, 64), 64);
    hex[64] = 0;
    close(fd);
    unlink(tmpl);
    free(sh);
}

static void
s_stream(const char *system, uint64_t bytes, bool check_rss)
{
    fx_t f;
    s_up(&f, system, NULL, 1, 3000);
    char *cmd = s_gen_cmd(42, bytes);
    // RSS is measured from the first MiB on: by then the code paths of
    // spawning and streaming are paged in, and what grows is data
    long base = 0, peak = 0;
    int64_t t0 = zclock_usecs();
    s_work(&f, "build:p/big/1", 1, cmd);
    for (bool done = false; !done;) {
        pk_msg_t m;
        if (s_recv(f.sched, &m, 50)) {
            if (m.type == PK_MSG_DONE) {
                assert_string_equal(m.done.status, "succeeded");
                done = true;
            }
            pk_msg_clear(&m);
        }
        if (!base && s_stats(f.sink).bytes >= 1 << 20)
            base = peak = s_rss_kb();
        long now = s_rss_kb();
        peak = base && now > peak ? now : peak;
        if (zclock_usecs() - t0 > 240 * 1000000LL)
            fail_msg("streaming %llu bytes took over 4 minutes", (unsigned long long) bytes);
    }
    s_flush_until(&f, "build:p/big/1", 1, (int64_t) bytes);
    double secs = (double) (zclock_usecs() - t0) / 1e6;
    stats_t s = s_stats(f.sink);
    // the stored bytes against the command's own output, both through sha256sum
    char got[65], want[65];
    s_sha256sum(NULL, f.store, "build:p/big/1", bytes, got);
    s_sha256sum(cmd, NULL, NULL, 0, want);
    assert_string_equal(got, want);
    pk_log_meta_t meta;
    assert_int_equal(pk_logs_meta(f.store, "build:p/big/1", 1, &meta), 0);
    // every message is a chunk, but the runner's last one (empty) stores no byte
    assert_int_equal(meta.next_seq + 1, s.chunks);
    print_message("%s: %.0f MB in %.2f s = %.1f MB/s through runner->broker->logsink->%s; "
                  "%llu LOG messages, %llu commits, %llu stored chunks; RSS from the first MiB "
                  "%ld kB, peak %ld kB (+%ld kB)\n",
                  system, (double) bytes / 1e6, secs, (double) bytes / 1e6 / secs, system,
                  s.chunks, s.commits, (unsigned long long) meta.chunks, base, peak, peak - base);
    assert_int_equal(s.bytes, bytes);
    assert_int_equal(s.dropped + s.duplicates + s.gaps + s.errors, 0);
    assert_true(base > 0);
    if (check_rss)
        assert_true(peak - base < 32 * 1024);
    free(cmd);
    s_down(&f);
}

static void
test_200mb_flat_memory(void **state)
{
    (void) state;
    s_stream("mem", 200ull << 20, true);
}

static void
test_throughput_lmdb(void **state)
{
    (void) state;
    s_stream("lmdb", 64ull << 20, false);
}

// --- (3) reads from random offsets against the file the task tee'd

typedef struct {
    uint64_t *at;
    size_t count;
} offsets_t;

static int
s_key_offset(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    offsets_t *starts = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    pk_key_read_str(&r, NULL);
    pk_key_read_u32(&r);
    uint64_t off = pk_key_read_u64(&r);
    assert_int_equal(pk_key_reader_done(&r), 0);
    starts->at = realloc(starts->at, (starts->count + 1) * sizeof(uint64_t));
    starts->at[starts->count++] = off;
    return 0;
}

static void
s_check_range(fx_t *f, int fd, uint64_t size, uint64_t off, size_t len)
{
    uint8_t *got = malloc(len + 1), *want = malloc(len + 1);
    int64_t n = pk_logs_read_buf(f->store, "build:p/rand/1", 1, off, got, len);
    ssize_t w = off >= size ? 0 : pread(fd, want, len, (off_t) off);
    if (n != w || (n > 0 && memcmp(got, want, (size_t) n)))
        fail_msg("read(%llu, %zu): %lld bytes, reference %zd, %s", (unsigned long long) off, len,
                 (long long) n, w, n == w ? "contents differ" : "sizes differ");
    free(got);
    free(want);
}

static void
s_random_offsets(const char *system)
{
    fx_t f;
    s_up(&f, system, NULL, 1, 3000);
    char tmpl[] = "/tmp/pk-test-logref-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *gen = s_gen_cmd(7, 3000017), *cmd;
    assert_true(asprintf(&cmd, "%s | tee %s/ref", gen, tmpl) > 0);
    s_work(&f, "build:p/rand/1", 1, cmd);
    s_wait_done(&f, 1, 30000);
    char path[128];
    snprintf(path, sizeof path, "%s/ref", tmpl);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint64_t size = (uint64_t) lseek(fd, 0, SEEK_END);
    assert_int_equal(size, 3000017);
    s_flush_until(&f, "build:p/rand/1", 1, (int64_t) size);
    // chunk boundaries, from the keys themselves
    offsets_t starts = { 0 };
    pk_key_t prefix;
    pk_key_init(&prefix);
    pk_key_str(&prefix, "build:p/rand/1");
    pk_key_u32(&prefix, 1);
    pk_store_txn_t *txn = pk_store_begin(f.store, false);
    assert_true(pk_store_scan(txn, pk_store_dbi(f.store, "logs"), prefix.data, prefix.size, false,
                              s_key_offset, &starts) > 1);
    pk_store_abort(&txn);
    for (size_t i = 0; i < starts.count; i++) {
        uint64_t b = starts.at[i];
        s_check_range(&f, fd, size, b, 1 + (size_t) (b % 70000));
        if (b)
            s_check_range(&f, fd, size, b - 1, 2);
    }
    s_check_range(&f, fd, size, 0, (size_t) size + 100);
    s_check_range(&f, fd, size, 0, 1);
    s_check_range(&f, fd, size, size - 1, 10);
    s_check_range(&f, fd, size, size, 10);
    s_check_range(&f, fd, size, size + 12345, 10);
    uint64_t x = (uint64_t) zclock_usecs() | 1;
    print_message("%zu stored chunks; random reads seeded with %llu\n", starts.count,
                  (unsigned long long) x);
    for (int i = 0; i < 500; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s_check_range(&f, fd, size, x % (size + 100), (size_t) ((x >> 32) % 200000));
    }
    free(starts.at);
    close(fd);
    s_remove_dir(tmpl);
    free(gen);
    free(cmd);
    s_down(&f);
}

static void
test_random_offsets_mem(void **state)
{
    (void) state;
    s_random_offsets("mem");
}

static void
test_random_offsets_lmdb(void **state)
{
    (void) state;
    s_random_offsets("lmdb");
}

// --- (4) builds logging at once stay apart and in order

static void
test_concurrent_builds(void **state)
{
    (void) state;
    fx_t f;
    s_up(&f, "mem", NULL, 3, 3000);
    struct { const char *id; uint32_t attempt; const char *cmd; } b[3] = {
        { "build:p/a/1", 1, "seq 1 300000 | sed 's/^/A1 /'" },
        { "build:p/a/1", 2, "seq 1 250000 | sed 's/^/A2 /'" },
        { "build:p/b/1", 1, "seq 1 280000 | sed 's/^/B1 /'" },
    };
    for (int i = 0; i < 3; i++)
        s_work(&f, b[i].id, b[i].attempt, b[i].cmd);
    s_wait_done(&f, 3, 60000);
    for (int i = 0; i < 3; i++) {
        size_t len;
        char *want = s_run(b[i].cmd, &len);
        s_flush_until(&f, b[i].id, b[i].attempt, (int64_t) len);
        s_assert_log(f.store, b[i].id, b[i].attempt, (uint8_t *) want, len);
        free(want);
    }
    stats_t s = s_stats(f.sink);
    assert_int_equal(s.dropped + s.duplicates + s.gaps, 0);
    s_down(&f);
}

// --- (5) a bad runner: retransmits, gaps, malformed frames

static void
s_log_frame(zsock_t *s, const char *id, uint64_t seq, const char *data)
{
    pk_msg_t m = { .type = PK_MSG_LOG };
    m.log.id = (char *) id;
    m.log.attempt = 1;
    m.log.seq = seq;
    m.log.data.data = (uint8_t *) data;
    m.log.data.size = strlen(data);
    assert_int_equal(pk_msg_send(s, &m), 0);
}

// [LOG][body] with a body built by hand
static void
s_raw_log(zsock_t *s, const char *body, size_t size)
{
    zmsg_t *z = zmsg_new();
    zmsg_addstr(z, "LOG");
    zmsg_addmem(z, body, size);
    assert_int_equal(zmsg_send(&z, s), 0);
}

// A worker of the test's own that said READY and took id's WORK: it writes
// whatever LOG frames the test wants.
static zsock_t *
s_fake_took(fx_t *f, const char *id)
{
    zsock_t *fake = s_peer(f, NULL);
    pk_msg_t ready = { .type = PK_MSG_READY };
    ready.ready.name = "fake";
    ready.ready.slots = 1;
    assert_int_equal(pk_msg_send(fake, &ready), 0);
    s_wait_workers(f, 1);
    s_work(f, id, 1, "true");
    pk_msg_t m;
    assert_true(s_recv(fake, &m, 5000));
    assert_int_equal(m.type, PK_MSG_WORK);
    pk_msg_clear(&m);
    return fake;
}

static void
test_bad_runner(void **state)
{
    (void) state;
    fx_t f;
    s_up(&f, "mem", NULL, 0, 60000);
    // a worker that takes the work and then writes its own LOG frames
    zsock_t *fake = s_fake_took(&f, "build:p/bad/1");
    pk_msg_t m;
    const char *id = "build:p/bad/1";
    s_log_frame(fake, id, 0, "aaa");
    s_log_frame(fake, id, 1, "bbb");
    s_log_frame(fake, id, 1, "BBB");          // retransmit
    s_log_frame(fake, id, 0, "AAA");          // retransmit
    s_log_frame(fake, id, 2, "ccc");
    s_log_frame(fake, id, 5, "fff");          // 3 and 4 never came: a gap
    s_log_frame(fake, id, 4, "eee");          // late: behind what we have
    // valid msgpack the broker passes on, but not a LOG the sink can take
    s_raw_log(fake, "\x81\xa2id\xa1x", 6);                      // fields missing
    s_raw_log(fake, "\xa5hello", 6);                           // not a map
    static const char str_data[] = "\x85\xa2id\xa1x\xa7""attempt\x01\xa4step\x00\xa3seq\x07"
                                   "\xa4""data\xa3str";           // data is a str, not bin
    s_raw_log(fake, str_data, sizeof str_data - 1);
    char long_id[600];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;
    s_log_frame(fake, long_id, 0, "zzz");     // too long for a log key
    pk_msg_t sig = { .type = PK_MSG_SIGNAL };  // routed to us, not a LOG
    sig.signal.to = "logsink";
    sig.signal.what = "nonsense";
    assert_int_equal(pk_msg_send(fake, &sig), 0);
    // invalid msgpack: the broker drops it before it reaches the sink
    s_raw_log(fake, "\xc1", 1);
    stats_t s = { 0 };
    int64_t end = zclock_mono() + 10000;
    while (s.chunks + s.duplicates + s.dropped < 12 && zclock_mono() < end) {
        s_flush(f.sink);
        s = s_stats(f.sink);
    }
    assert_int_equal(s.chunks, 4);
    assert_int_equal(s.duplicates, 3);
    assert_int_equal(s.gaps, 1);
    assert_int_equal(s.dropped, 5);
    assert_int_equal(s.bytes, 12);
    s_assert_log(f.store, id, 1, (const uint8_t *) "aaabbbcccfff", 12);
    pk_log_meta_t meta;
    assert_int_equal(pk_logs_meta(f.store, id, 1, &meta), 0);
    assert_int_equal(meta.next_seq, 6);
    // credit came back for every message of this build it sent, stored or not
    uint32_t credits = 0;
    end = zclock_mono() + 5000;
    while (credits < 7 && zclock_mono() < end) {
        if (!s_recv(fake, &m, 200))
            continue;
        if (m.type == PK_MSG_CREDIT) {
            assert_string_equal(m.credit.id, id);
            credits += m.credit.credits;
        }
        pk_msg_clear(&m);
    }
    assert_int_equal(credits, 7);
    zsock_destroy(&fake);
    s_down(&f);
}

// --- (5b) an idle sink commits a lone chunk at once: a build's first line
// is not held for the flush timer (it was: "check -> task's first byte"
// waited up to flush_ms for the log event)

static void
test_idle_commits_at_once(void **state)
{
    (void) state;
    fx_t f;
    pk_logsink_config_t slow = { .flush_ms = 3000, .flush_bytes = (size_t) 1 << 40,
                                 .flush_chunks = UINT32_MAX };
    s_up(&f, "mem", &slow, 0, 60000);
    zsock_t *fake = s_fake_took(&f, "build:p/idle/1");
    pk_msg_t m;
    // idle means no commit for flush_ms: the start counts as one
    zclock_sleep(slow.flush_ms + 100);
    int64_t t0 = zclock_mono();
    s_log_frame(fake, "build:p/idle/1", 0, "first line\n");
    bool credited = false;
    while (!credited && s_recv(fake, &m, 1000)) {
        credited = m.type == PK_MSG_CREDIT;
        pk_msg_clear(&m);
    }
    assert_true(credited);
    assert_true(zclock_mono() - t0 < 1500);     // the timer was 3 s away
    assert_int_equal(pk_logs_size(f.store, "build:p/idle/1", 1), 11);
    zsock_destroy(&fake);
    s_down(&f);
}

// --- (6) credit gates the runner: nothing committed, nothing more sent

static void
test_credit_gates(void **state)
{
    (void) state;
    fx_t f;
    pk_logsink_config_t never = { .flush_ms = 3600 * 1000, .flush_bytes = (size_t) 1 << 40,
                                  .flush_chunks = UINT32_MAX };
    s_up(&f, "mem", &never, 1, 3000);
    const uint64_t n = 2000003;
    char *cmd = s_gen_cmd(3, n);
    s_work(&f, "build:p/credit/1", 1, cmd);
    stats_t s = { 0 };
    int64_t end = zclock_mono() + 20000;
    while (s.chunks < RUNNER_INITIAL_CREDIT && zclock_mono() < end) {
        zclock_sleep(5);
        s = s_stats(f.sink);
    }
    assert_int_equal(s.chunks, RUNNER_INITIAL_CREDIT);
    // and no more for a while: the runner waits for credit
    end = zclock_mono() + 500;
    while (zclock_mono() < end) {
        s = s_stats(f.sink);
        assert_int_equal(s.chunks, RUNNER_INITIAL_CREDIT);
        assert_int_equal(s.pending, RUNNER_INITIAL_CREDIT);
        assert_int_equal(s.commits, 0);
        zclock_sleep(20);
    }
    assert_int_equal(pk_logs_size(f.store, "build:p/credit/1", 1), 0);
    // each FLUSH commits and credits one window; the build then runs to its end
    bool done = false;
    uint64_t flushes = 0;
    end = zclock_mono() + 60000;
    while (!done && zclock_mono() < end) {
        s_flush(f.sink);
        flushes++;
        pk_msg_t m;
        while (!done && s_recv(f.sched, &m, 2)) {
            done = m.type == PK_MSG_DONE;
            pk_msg_clear(&m);
        }
    }
    assert_true(done);
    s_flush_until(&f, "build:p/credit/1", 1, (int64_t) n);
    uint8_t *want = s_gen_buf(3, n);
    s_assert_log(f.store, "build:p/credit/1", 1, want, n);
    s = s_stats(f.sink);
    // never more than one window between two commits
    assert_true(s.chunks >= n / RUNNER_LOG_CHUNK);
    assert_true(s.chunks <= (s.commits + 1) * RUNNER_INITIAL_CREDIT);
    free(want);
    free(cmd);
    s_down(&f);
}

// --- (7) DONE means stored: a runner reports a build done only once the
// sink has committed its log, even a sink that would not commit for an hour

static void
test_done_means_stored(void **state)
{
    (void) state;
    fx_t f;
    pk_logsink_config_t lazy = { .flush_ms = 3600 * 1000, .flush_bytes = (size_t) 1 << 40,
                                 .flush_chunks = UINT32_MAX };
    s_up(&f, "lmdb", &lazy, 1, 3000);
    const size_t n = 30001;     // a few LOG messages, far from a credit window
    char *cmd = s_gen_cmd(9, n);
    s_work(&f, "build:p/done/1", 1, cmd);
    s_wait_done(&f, 1, 30000);
    // no FLUSH, no timer: the runner's last (empty) chunk made the sink commit
    uint8_t *want = s_gen_buf(9, n);
    s_assert_log(f.store, "build:p/done/1", 1, want, n);
    free(want);
    free(cmd);
    s_down(&f);
}

// --- (8) durable: $TERM commits, the log survives a reopen, and a new
// sink knows which sequence numbers it already has

static void
test_durable_lmdb(void **state)
{
    (void) state;
    fx_t f;
    pk_logsink_config_t lazy = { .flush_ms = 3600 * 1000, .flush_bytes = (size_t) 1 << 40,
                                 .flush_chunks = UINT32_MAX };
    s_up(&f, "lmdb", &lazy, 1, 3000);
    // a runner in the middle of a build (no final empty chunk): five chunks
    // wait in the lazy sink until $TERM
    zsock_t *early = s_peer(&f, NULL);
    const char *parts[] = { "one ", "two ", "three ", "four ", "five" };
    for (uint64_t i = 0; i < 5; i++)
        s_log_frame(early, "build:p/dur/1", i, parts[i]);
    stats_t st = { 0 };
    int64_t end = zclock_mono() + 10000;
    while (st.chunks < 5 && zclock_mono() < end)
        st = s_stats(f.sink);
    assert_int_equal(st.chunks, 5);
    assert_int_equal(st.pending, 5);
    assert_int_equal(pk_logs_size(f.store, "build:p/dur/1", 1), 0);
    zsock_destroy(&early);
    zactor_destroy(&f.sink);                 // $TERM: commits what arrived
    pk_store_close(&f.store);
    char *err = NULL;
    const char *text = "one two three four five";
    const size_t n = strlen(text);
    f.store = pk_store_open("lmdb", f.dir, &err);
    assert_non_null(f.store);
    s_assert_log(f.store, "build:p/dur/1", 1, (const uint8_t *) text, n);
    pk_log_meta_t meta;
    assert_int_equal(pk_logs_meta(f.store, "build:p/dur/1", 1, &meta), 0);
    assert_true(meta.next_seq > 0);
    // a new sink on the reopened store: a retransmit of the last stored
    // message is recognised, the next one is appended
    f.sink = s_sink(&f, NULL);
    zsock_t *fake = s_peer(&f, NULL);
    s_log_frame(fake, "build:p/dur/1", meta.next_seq - 1, "again");
    s_log_frame(fake, "build:p/dur/1", meta.next_seq, "more");
    s_flush_until(&f, "build:p/dur/1", 1, (int64_t) n + 4);
    stats_t s = s_stats(f.sink);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.chunks, 1);
    uint8_t tail[8];
    assert_int_equal(pk_logs_read_buf(f.store, "build:p/dur/1", 1, n, tail, sizeof tail), 4);
    assert_memory_equal(tail, "more", 4);
    zsock_destroy(&fake);
    s_down(&f);
}

// --- (9) the store fails: chunks wait, no credit leaves, and once the
// store has room again everything is committed in order

typedef struct {
    pk_store_t *store;
    enum { JUNK_FILL, JUNK_DELETE, JUNK_MARK } what;
} junk_t;

static int
s_junk(pk_store_txn_t *txn, void *arg)
{
    junk_t *j = arg;
    MDB_dbi dbi = pk_store_dbi(j->store, "junk");
    static uint8_t block[60000];
    if (j->what == JUNK_MARK)
        return pk_store_put(txn, dbi, "mark", 4, "x", 1);
    for (uint32_t i = 0; i < 24; i++) {
        uint8_t key[4] = { 0, 0, 0, (uint8_t) i };
        int rc = j->what == JUNK_FILL ? pk_store_put(txn, dbi, key, 4, block, sizeof block)
                         : pk_store_del(txn, dbi, key, 4);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void
test_store_failure(void **state)
{
    (void) state;
    fx_t f;
    memset(&f, 0, sizeof f);
    // a store that cannot grow past 2 MiB, 1.4 MB of it taken by junk
    pk_store_opts_t opts = { .map_size = 2 << 20, .max_map_size = 2 << 20 };
    char *err = NULL;
    pk_store_t *store = pk_store_open_opts("mem", NULL, &opts, &err);
    assert_non_null(store);
    assert_true(pk_store_dbi(store, "junk") != PK_STORE_NO_DBI);
    junk_t j = { store, JUNK_FILL };
    assert_int_equal(pk_store_write(store, s_junk, &j), 0);
    static int n;
    snprintf(f.ep, sizeof f.ep, "inproc://pk-test-logsink-fail-%d", ++n);
    pk_broker_config_t bcfg = { .inproc = f.ep, .heartbeat_timeout_ms = 3000 };
    f.broker = pk_broker_new(&bcfg);
    f.store = store;
    f.sink = s_sink(&f, NULL);
    f.sched = s_peer(&f, "scheduler");
    pk_runner_config_t rcfg = { .name = "w1", .endpoint = f.ep, .slots = 1,
                                .work_root = test_work_root() };
    f.runner = pk_runner_new(&rcfg);
    s_wait_workers(&f, 1);
    const uint64_t size = 1500007;
    char *cmd = s_gen_cmd(5, size);
    s_work(&f, "build:p/full/1", 1, cmd);
    // commits fail once the map is full; the runner then runs out of credit
    stats_t s = { 0 };
    int64_t end = zclock_mono() + 20000;
    while (s.errors == 0 && zclock_mono() < end) {
        zclock_sleep(5);
        s = s_stats(f.sink);
    }
    assert_true(s.errors > 0);
    zstr_send(f.sink, "FLUSH");
    char *reply = zstr_recv(f.sink);
    assert_non_null(strstr(reply, "error"));
    assert_non_null(strstr(reply, "full"));
    zstr_free(&reply);
    int64_t stored = pk_logs_size(f.store, "build:p/full/1", 1);
    s = s_stats(f.sink);
    assert_true(s.pending > 0);
    assert_true(stored < (int64_t) size);
    // the runner may still use what is left of its window, then nothing
    // more arrives: what waits never exceeds one window
    int64_t stable_since = zclock_mono();
    end = zclock_mono() + 10000;
    while (zclock_mono() < end && zclock_mono() - stable_since < 300) {
        zclock_sleep(20);
        stats_t now = s_stats(f.sink);
        if (now.chunks != s.chunks) {
            s = now;
            stable_since = zclock_mono();
        }
    }
    assert_true(zclock_mono() - stable_since >= 300);
    assert_true(s.pending > 0);
    assert_true(s.pending <= RUNNER_INITIAL_CREDIT);
    // room again: the kept chunks go in, credit flows, the build ends. (LMDB
    // reuses pages a commit freed only from the second commit after it, and
    // the sink's failing commits never commit: write once more ourselves.)
    j.what = JUNK_DELETE;
    assert_int_equal(pk_store_write(store, s_junk, &j), 0);
    j.what = JUNK_MARK;
    assert_int_equal(pk_store_write(store, s_junk, &j), 0);
    s_wait_done(&f, 1, 30000);
    s_flush_until(&f, "build:p/full/1", 1, (int64_t) size);
    uint8_t *want = s_gen_buf(5, size);
    s_assert_log(f.store, "build:p/full/1", 1, want, size);
    s = s_stats(f.sink);
    assert_int_equal(s.pending, 0);
    assert_int_equal(s.dropped + s.duplicates + s.gaps, 0);
    free(want);
    free(cmd);
    s_down(&f);
}

static void
test_bad_config(void **state)
{
    (void) state;
    assert_null(pk_logsink_new(NULL));
    pk_logsink_config_t cfg = { .endpoint = "inproc://nowhere" };
    assert_null(pk_logsink_new(&cfg));
    char *err = NULL;
    cfg.store = pk_store_open("mem", NULL, &err);
    assert_non_null(cfg.store);
    cfg.endpoint = "bogus://x";
    assert_null(pk_logsink_new(&cfg));
    pk_store_close(&cfg.store);
}

int
main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "gen"))
        return s_gen_main(strtoull(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
    ssize_t n = readlink("/proc/self/exe", s_self, sizeof s_self - 1);
    assert_true(n > 0);
    s_self[n] = 0;
    zsys_handler_set(NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_text_mem),
        cmocka_unit_test(test_known_text_lmdb),
        cmocka_unit_test(test_200mb_flat_memory),
        cmocka_unit_test(test_throughput_lmdb),
        cmocka_unit_test(test_random_offsets_mem),
        cmocka_unit_test(test_random_offsets_lmdb),
        cmocka_unit_test(test_concurrent_builds),
        cmocka_unit_test(test_bad_runner),
        cmocka_unit_test(test_idle_commits_at_once),
        cmocka_unit_test(test_credit_gates),
        cmocka_unit_test(test_done_means_stored),
        cmocka_unit_test(test_durable_lmdb),
        cmocka_unit_test(test_store_failure),
        cmocka_unit_test(test_bad_config),
    };
    if (getenv("PK_TEST_FILTER"))             // e.g. PK_TEST_FILTER='*200mb*'
        cmocka_set_test_filter(getenv("PK_TEST_FILTER"));
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    zsys_shutdown();
    return rc;
}
