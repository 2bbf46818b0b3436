// bench_log: a task writing 200 MB through a durable server (`pikoci server
// --db-system lmdb`, a separate process): the time until the build is done
// -- DONE means its log is committed -- against writing the same bytes to a
// file and syncing it, the server's peak RSS while it streams (target: under
// 32 MB), and the log read back through `logs` ranges, byte-exact.
// Then 50 MB of a typical build log (bench/typical_log.awk) through the same
// server: how much data.mdb grows against zlib -6 of the same bytes (Laminar
// keeps its logs so: 14.1 MB for its 50 MB reference log), and reading it
// back through `logs` into memory against reading the same file into memory
// (then compared), one 1 MB request at a time and with the next asked for
// before the last arrives (as `pikoci logs` reads). It runs after the 200 MB log, whose RSS row would
// otherwise count the typical log's mapped pages. Last, in-process, the
// same log read with pk_logs_read_buf in 1 MB pieces (what a `logs` request
// reads) from a mem store, compressed against the same bytes stored as
// plain chunks (the layout before compression, still readable): the cost of
// decoding alone, without the server around it.
#include "bench_util.h"
#include "pk_key.h"
#include "pk_logs.h"
#include "pk_msg.h"
#include "pk_sha256.h"
#include "pk_value_msgpack.h"
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_TYPICAL 50000000
#define S_BYTES 200000000
#define S_GEN "yes 'pikoci bench log line: 0123456789 abcdefghijklmnopqrstuvwxyz' 2>/dev/null" \
              " | head -c 200000000"

static const char *s_pipeline =
    "job \"big\" {\n  task \"t\" {\n    run \"shell\" {\n      cmd = \"" S_GEN "\"\n"
    "    }\n  }\n}\n"
    "job \"typical\" {\n  task \"t\" {\n    run \"shell\" {\n      cmd = \"cat $TYPICAL_LOG\"\n"
    "    }\n  }\n}\n";

// Ask for the 1 MB piece of bench/job/number at offset.
static int
s_ask(bench_server_t *s, const char *job, const char *number, uint64_t offset, uint64_t *rid)
{
    char off[32];
    snprintf(off, sizeof off, "%llu", (unsigned long long) offset);
    pk_kv_t args = { 0 };
    pk_kv_set(&args, "pipeline", "bench");
    pk_kv_set(&args, "job", job);
    pk_kv_set(&args, "number", number);
    pk_kv_set(&args, "offset", off);
    pk_kv_set(&args, "max", "1048576");
    int rc = pk_client_send(s->client, "logs", &args, NULL, 0, 30000, rid);
    pk_kv_clear(&args);
    return rc;
}

// The log of bench/job/number read back in 1 MB ranges, ahead requests in
// flight (0: one at a time; 1: what `pikoci logs` does): its sha256 in
// digest, or (when out is not NULL) its first cap bytes in out; its size.
static uint64_t
s_read_back(bench_server_t *s, const char *job, const char *number, size_t ahead,
            uint8_t digest[PK_SHA256_LEN], uint8_t *out, size_t cap)
{
    pk_sha256_t sha;
    pk_sha256_init(&sha);
    uint64_t offset = 0, ask_at = 0, rids[4];
    size_t n = 0;
    for (;;) {
        while (n <= ahead && s_ask(s, job, number, ask_at, &rids[n]) == 0) {
            n++;
            ask_at += 1048576;
        }
        uint8_t *body = NULL;
        size_t body_size = 0;
        char *err = NULL;
        int rc = n ? pk_client_reply(s->client, rids[0], 30000, &body, &body_size, &err) : -1;
        memmove(rids, rids + 1, sizeof rids - sizeof *rids);
        n -= n > 0;
        free(err);
        pk_value_t *v = rc == 0 ? pk_value_unpack(body, body_size) : NULL;
        free(body);
        const pk_value_t *data = pk_value_object_get(v, "data");
        const pk_value_t *size = pk_value_object_get(v, "size");
        size_t len = data ? pk_value_len(data) : 0;
        if (len && out)
            memcpy(out + offset, pk_value_string(data), offset + len <= cap ? len
                   : offset < cap ? cap - offset : 0);
        else
        if (len)
            pk_sha256_update(&sha, pk_value_string(data), len);
        offset += len;
        bool end = !len || (size && offset >= (uint64_t) pk_value_number(size));
        pk_value_destroy(&v);
        if (end)
            break;
    }
    for (size_t i = 0; i < n; i++)      // the pieces asked for beyond the end
        pk_client_reply(s->client, rids[i], 30000, NULL, NULL, NULL);
    pk_sha256_final(&sha, digest);
    return offset;
}

static int64_t
s_file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t) st.st_size : -1;
}

// Trigger job and wait until it is done: its number, or -1.
static int
s_run(bench_server_t *s, const char *job, char *number, size_t size, long *peak)
{
    pk_value_t *reply = NULL;
    int64_t t0 = bench_now_us();
    if (bench_request(s, "trigger", "pipeline", "bench", "job", job, NULL, &reply) != 0)
        return -1;
    const pk_value_t *num = pk_value_object_get(reply, "number");
    snprintf(number, size, "%s", num ? pk_value_string(num) : "1");
    pk_value_destroy(&reply);
    bool done = false, ok = false;
    while (!done && bench_now_us() - t0 < 600 * 1000000LL) {
        long kb = bench_rss_kb(s->pid);
        if (peak)
            *peak = kb > *peak ? kb : *peak;
        pk_msg_t e;
        if (pk_client_event(s->client, 20, &e) == 0) {
            ok = !strcmp(e.event.topic, "build.succeeded");
            done = ok || !strcmp(e.event.topic, "build.failed")
                || !strcmp(e.event.topic, "build.errored");
            pk_msg_clear(&e);
        }
    }
    return ok ? 0 : -1;
}

typedef struct {
    pk_store_t *store;
    const uint8_t *data;
    size_t size;
} s_fill_t;

// The log as today's code stores it: 64 KiB chunks, as the sink sends them.
static int
s_fill_new(pk_store_txn_t *txn, void *arg)
{
    s_fill_t *f = arg;
    for (size_t at = 0, seq = 0; at < f->size; at += 65536, seq++) {
        pk_log_chunk_t c = { .id = "new", .attempt = 1, .seq = seq, .data = f->data + at,
                             .size = f->size - at < 65536 ? f->size - at : 65536 };
        if (pk_logs_append(f->store, txn, &c, 1) != 0)
            return -1;
    }
    return 0;
}

// The same as plain 64 KiB chunks and a meta without "z" (the old layout).
static int
s_fill_plain(pk_store_txn_t *txn, void *arg)
{
    s_fill_t *f = arg;
    pk_key_t k;
    for (size_t at = 0; at < f->size; at += 65536) {
        pk_key_init(&k);
        pk_key_str(&k, "plain");
        pk_key_u32(&k, 1);
        pk_key_u64(&k, at);
        if (pk_store_put(txn, pk_store_dbi(f->store, "logs"), k.data, k.size, f->data + at,
                         f->size - at < 65536 ? f->size - at : 65536) != 0)
            return -1;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str_with_body(&pk, "size", 4);
    msgpack_pack_uint64(&pk, f->size);
    msgpack_pack_str_with_body(&pk, "chunks", 6);
    msgpack_pack_uint64(&pk, (f->size + 65535) / 65536);
    pk_key_init(&k);
    pk_key_str(&k, "plain");
    pk_key_u32(&k, 1);
    int rc = pk_store_put_msgpack(txn, pk_store_dbi(f->store, "log_meta"), k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

// Best of 5 whole reads of log id in 1 MB pieces, in µs; -1 if not exact.
static double
s_read_us(pk_store_t *store, const char *id, const uint8_t *want, size_t size, uint8_t *buf)
{
    double best = 1e18;
    for (int rep = 0; rep < 5; rep++) {
        int64_t t0 = bench_now_us();
        size_t at = 0;
        int64_t n;
        while (at < size && (n = pk_logs_read_buf(store, id, 1, at, buf + at, 1 << 20)) > 0)
            at += (size_t) n;
        double us = (double) (bench_now_us() - t0);
        if (at != size || memcmp(buf, want, size))
            return -1;
        best = us < best ? us : best;
    }
    return best;
}

static bool
s_in_process(const uint8_t *data, size_t size)
{
    pk_store_t *store = pk_store_open("mem", NULL, NULL);
    if (!store || pk_logs_init(store) != 0)
        return false;
    s_fill_t f = { store, data, size };
    uint8_t *buf = malloc(size + (1 << 20));
    bool ok = pk_store_write(store, s_fill_new, &f) == 0
           && pk_store_write(store, s_fill_plain, &f) == 0;
    double us = ok ? s_read_us(store, "new", data, size, buf) : -1;
    double floor = ok ? s_read_us(store, "plain", data, size, buf) : -1;
    char name[160];
    snprintf(name, sizeof name, "log: the 50 MB read in-process, 1 MB pieces (%.0f MB/s, %s)",
             (double) size / us, us > 0 && floor > 0 ? "byte-exact" : "NOT EXACT");
    bench_row(name, us / 1e3, "ms", floor / 1e3, "same log, plain chunks (old layout)");
    free(buf);
    pk_store_close(&store);
    return us > 0 && floor > 0;
}

// The typical log: stored size against zlib -6, read back against a file.
static bool
s_typical(bench_server_t *s, const char *dir, const char *file)
{
    char cmd[600], db[200], number[32];
    snprintf(cmd, sizeof cmd, "awk -v bytes=%d -f %s/bench/typical_log.awk > %s", S_TYPICAL,
             PK_SOURCE_DIR, file);
    if (system(cmd) != 0)
        return false;
    int64_t raw = s_file_size(file);
    snprintf(cmd, sizeof cmd, "gzip -6 -c %s | wc -c", file);
    FILE *p = popen(cmd, "r");
    long long zlib = 0;
    if (!p || fscanf(p, "%lld", &zlib) != 1)
        zlib = 0;
    if (p)
        pclose(p);
    snprintf(db, sizeof db, "%s/data.mdb", dir);
    int64_t before = s_file_size(db);
    if (s_run(s, "typical", number, sizeof number, NULL) != 0)
        return false;
    int64_t stored = s_file_size(db) - before;
    // the floor: the same bytes read from a (cached) file into memory
    uint8_t digest[PK_SHA256_LEN];
    uint8_t *want = malloc((size_t) raw + 1), *got = malloc((size_t) raw + 1);
    int64_t t0 = bench_now_us();
    FILE *f = fopen(file, "rb");
    size_t n = f ? fread(want, 1, (size_t) raw, f) : 0;
    if (f)
        fclose(f);
    double floor = (double) (bench_now_us() - t0);
    t0 = bench_now_us();
    uint64_t size = s_read_back(s, "typical", number, 0, digest, got, (size_t) raw);
    double us = (double) (bench_now_us() - t0);
    bool exact = (int64_t) size == raw && n == size && !memcmp(got, want, n);
    memset(got, 0, (size_t) raw);
    t0 = bench_now_us();
    size = s_read_back(s, "typical", number, 1, digest, got, (size_t) raw);
    double ahead_us = (double) (bench_now_us() - t0);
    bool ahead_exact = (int64_t) size == raw && n == size && !memcmp(got, want, n);
    free(got);
    char name[200];
    snprintf(name, sizeof name, "log: 50 MB typical log, data.mdb growth (%.1f %% of raw; "
             "Laminar: 14.1 MB)", 100.0 * (double) stored / (double) raw);
    bench_row(name, (double) stored / 1e6, "MB", (double) zlib / 1e6, "zlib -6 of the log");
    snprintf(name, sizeof name, "log: read back 50 MB through `logs` (%.0f MB/s, %s)",
             (double) raw / us, exact ? "byte-exact" : "NOT EXACT");
    bench_row(name, us / 1e3, "ms", floor / 1e3, "file read into memory");
    snprintf(name, sizeof name, "log: the same, the next 1 MB asked for before the last "
             "arrives, as `pikoci logs` reads (%.0f MB/s, %s)", (double) raw / ahead_us,
             ahead_exact ? "byte-exact" : "NOT EXACT");
    bench_row(name, ahead_us / 1e3, "ms", floor / 1e3, "file read into memory");
    exact = s_in_process(want, n) && exact && ahead_exact;
    free(want);
    return exact;
}

int
main(void)
{
    zsys_handler_set(NULL);
    signal(SIGPIPE, SIG_IGN);
    char dir[64], file[80], typical[96], cmd[512];
    snprintf(dir, sizeof dir, "/tmp/pikoci-bench-log-%d", (int) getpid());
    snprintf(file, sizeof file, "%s.out", dir);
    snprintf(typical, sizeof typical, "%s.typical", dir);
    setenv("TYPICAL_LOG", typical, 1);      // the server's tasks inherit it
    // the floor: the same bytes into a file, synced
    int64_t t0 = bench_now_us();
    snprintf(cmd, sizeof cmd, S_GEN " > %s && sync %s", file, file);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_log: the floor command failed\n");
    double floor = (double) (bench_now_us() - t0);
    unlink(file);

    bench_server_t s = { 0 };
    const char *extra[] = { "--db-system", "lmdb", "--db-path", dir, NULL };
    if (bench_server_start(&s, extra) != 0 || bench_set(&s, "bench", s_pipeline) != 0) {
        bench_server_stop(&s);
        return 1;
    }
    pk_client_subscribe(s.client, "build.", NULL);
    long before = bench_rss_kb(s.pid), peak = before;
    char number[32];
    t0 = bench_now_us();
    bool ok = s_run(&s, "big", number, sizeof number, &peak) == 0;
    double us = (double) (bench_now_us() - t0);
    uint8_t got[PK_SHA256_LEN], want[PK_SHA256_LEN];
    uint64_t size = ok ? s_read_back(&s, "big", number, 1, got, NULL, 0) : 0;
    pk_sha256_t sha;
    pk_sha256_init(&sha);
    FILE *p = popen(S_GEN, "r");
    char buf[65536];
    size_t n;
    while (p && (n = fread(buf, 1, sizeof buf, p)) > 0)
        pk_sha256_update(&sha, buf, n);
    if (p)
        pclose(p);
    pk_sha256_final(&sha, want);
    bool exact = size == S_BYTES && !memcmp(got, want, sizeof got);
    char name[160];
    snprintf(name, sizeof name, "log: 200 MB to durable lmdb (%.0f MB/s, read back %s)",
             S_BYTES / us, exact ? "byte-exact" : "NOT EXACT");
    bench_row(name, us / 1e3, "ms", floor / 1e3, "same bytes > file + sync");
    bench_row("log: server peak RSS while it streams 200 MB", (double) peak / 1024, "MB", 32,
              "target");
    bool typical_ok = s_typical(&s, dir, typical);
    unlink(typical);
    bench_server_stop(&s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_log: could not remove %s\n", dir);
    zsys_shutdown();
    return exact && typical_ok ? 0 : 1;
}
