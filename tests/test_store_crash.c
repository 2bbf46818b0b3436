// test_store_crash: what survives kill -9. The children are this executable
// re-executed through /proc/self/exe (LMDB must never cross a fork without
// an exec). They report through a pipe on fd 3, always AFTER the thing
// reported is true (a record's commit has returned, a reader is open), and
// the parent kills them at a random point, then checks the store from a
// fresh process view:
//   - writer: every record reported committed is intact, every record
//     present is whole and self-consistent, records and the counter written
//     in the same transaction agree, the store keeps working afterwards
//   - reader: a dead process's reader slot is cleared at the next open
//     (mdb_reader_check), while a live process's slot is kept
//   - mem: the store's directory and files are gone even after kill -9
// Seeds come from PK_TEST_SEED or the clock and are printed for replay.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "pk_key.h"
#include "pk_store.h"

extern char **environ;

#define REPORT_FD 3
#define ROUNDS 6

// ---------------------------------------------------------------- records
// value = seq u64 | len u32 | payload[len] | fnv1a64 of all before, all BE.
// The payload is regenerated from (seed, seq), so the checker knows exactly
// what each record must hold, not only that it is self-consistent.

static uint64_t
s_fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void
s_be(uint8_t *p, uint64_t v, int width)
{
    for (int i = 0; i < width; i++)
        p[i] = (uint8_t) (v >> (8 * (width - 1 - i)));
}

static uint64_t
s_unbe(const uint8_t *p, int width)
{
    uint64_t v = 0;
    for (int i = 0; i < width; i++)
        v = (v << 8) | p[i];
    return v;
}

#define RECORD_MAX (8 + 4 + 9000 + 8)

static size_t
s_record(uint64_t seed, uint64_t seq, uint8_t *out)
{
    uint64_t x = (seed ^ (seq * 0x9E3779B97F4A7C15ull)) | 1;
    x ^= x << 13; x ^= x >> 7; x ^= x << 17;
    size_t len = seq % 50 == 0 ? 9000 : 16 + (size_t) (x % 1500);  // some span pages
    s_be(out, seq, 8);
    s_be(out + 8, len, 4);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        out[12 + i] = (uint8_t) x;
    }
    s_be(out + 12 + len, s_fnv(out, 12 + len), 8);
    return 12 + len + 8;
}

// 0 when value is exactly record seq of this seed.
static int
s_check_record(uint64_t seed, uint64_t seq, const void *value, size_t size)
{
    static _Thread_local uint8_t want[RECORD_MAX];
    const uint8_t *v = value;
    if (size < 20 || s_unbe(v, 8) != seq)
        return -1;
    size_t len = (size_t) s_unbe(v + 8, 4);
    if (size != 12 + len + 8 || s_unbe(v + 12 + len, 8) != s_fnv(v, 12 + len))
        return -1;
    size_t wsize = s_record(seed, seq, want);
    return wsize == size && memcmp(want, v, size) == 0 ? 0 : -1;
}

static void
s_seqkey(uint64_t seq, uint8_t key[8])
{
    pk_key_t k;
    pk_key_init(&k);
    pk_key_u64(&k, seq);
    memcpy(key, k.data, 8);
}

// ---------------------------------------------------------------- children

static void
s_report(const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size) {
        ssize_t n = write(REPORT_FD, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            _exit(4);       // parent gone
        p += n;
        size -= (size_t) n;
    }
}

typedef struct {
    pk_store_t *store;
    MDB_dbi records, meta;
    uint64_t seed;
    uint64_t seq;           // record being written
} child_t;

static int
s_write_one(pk_store_txn_t *txn, void *arg)
{
    child_t *c = arg;
    static uint8_t value[RECORD_MAX];
    uint8_t key[8], count[8];
    s_seqkey(c->seq, key);
    size_t size = s_record(c->seed, c->seq, value);
    s_be(count, c->seq, 8);
    if (pk_store_put(txn, c->records, key, 8, value, size) != 0)
        return -1;
    return pk_store_put(txn, c->meta, "count", 5, count, 8);
}

static uint64_t
s_read_count(pk_store_txn_t *txn, MDB_dbi meta)
{
    const void *v;
    size_t n;
    if (pk_store_get(txn, meta, "count", 5, &v, &n) != 0 || n != 8)
        return 0;
    return s_unbe(v, 8);
}

// Reads in the child while it writes, so reader slots are live at the kill
// and map growth has to wait for readers.
static void *
s_child_reader(void *arg)
{
    child_t *c = arg;
    for (uint64_t round = 0; ; round++) {
        pk_store_txn_t *txn = pk_store_begin(c->store, false);
        if (!txn) {
            fprintf(stderr, "child reader: %s\n", pk_store_error());
            _exit(5);
        }
        uint64_t count = s_read_count(txn, c->meta);
        uint64_t probes[2] = { count, count ? 1 + round % count : 0 };
        for (int i = 0; i < 2; i++) {
            if (!probes[i])
                continue;
            uint8_t key[8];
            const void *v;
            size_t n;
            s_seqkey(probes[i], key);
            if (pk_store_get(txn, c->records, key, 8, &v, &n) != 0
            ||  s_check_record(c->seed, probes[i], v, n) != 0) {
                fprintf(stderr, "child reader: record %llu bad\n",
                        (unsigned long long) probes[i]);
                _exit(3);
            }
        }
        pk_store_abort(&txn);
    }
    return NULL;
}

static pk_store_t *
s_child_open(const char *system, const char *dir)
{
    pk_store_opts_t opts = { .map_size = 256 << 10 };   // grows during the run
    char *err = NULL;
    pk_store_t *store = pk_store_open_opts(system, dir, &opts, &err);
    if (!store) {
        fprintf(stderr, "child: %s\n", err);
        _exit(2);
    }
    return store;
}

static int
s_child(int argc, char **argv)
{
    // Never outlive the test, whatever happens to it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(6);
    const char *mode = argv[2];
    if (strcmp(mode, "writer") == 0 && argc == 5) {
        child_t c = { .store = s_child_open("lmdb", argv[3]),
                      .seed = strtoull(argv[4], NULL, 10) };
        c.records = pk_store_dbi(c.store, "records");
        c.meta = pk_store_dbi(c.store, "meta");
        pk_store_txn_t *txn = pk_store_begin(c.store, false);
        uint64_t start = s_read_count(txn, c.meta) + 1;
        pk_store_abort(&txn);
        pthread_t t;
        pthread_create(&t, NULL, s_child_reader, &c);
        for (c.seq = start; c.seq < start + 1000000; c.seq++) {
            if (pk_store_write(c.store, s_write_one, &c) != 0) {
                fprintf(stderr, "child writer: %s\n", pk_store_error());
                _exit(2);
            }
            s_report(&c.seq, sizeof c.seq);     // only now is it committed
        }
        _exit(7);                               // the parent should have killed us
    }
    if (strcmp(mode, "reader") == 0 && argc == 4) {
        pk_store_t *store = s_child_open("lmdb", argv[3]);
        pk_store_txn_t *txn = pk_store_begin(store, false);
        uint64_t ready = txn ? 1 : 0;
        s_report(&ready, sizeof ready);
        for (;;)
            pause();                            // holding the reader until SIGKILL
    }
    if (strcmp(mode, "mem") == 0 && argc == 3) {
        child_t c = { .store = s_child_open("mem", NULL), .seed = 1 };
        c.records = pk_store_dbi(c.store, "records");
        c.meta = pk_store_dbi(c.store, "meta");
        for (c.seq = 1; c.seq <= 1000; c.seq++)
            if (pk_store_write(c.store, s_write_one, &c) != 0)
                _exit(2);
        const char *dir = pk_store_dir(c.store);
        uint64_t len = strlen(dir);
        s_report(&len, sizeof len);
        s_report(dir, len);
        for (;;)
            pause();
    }
    fprintf(stderr, "test_store_crash: bad child arguments\n");
    return 64;
}

// ---------------------------------------------------------------- parent

static pid_t
s_spawn(char *const argv[], int *report_fd)
{
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    // dup2 onto REPORT_FD clears close-on-exec only if the fds differ.
    int wfd = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
    assert_true(wfd >= 10);
    close(p[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, wfd, REPORT_FD);
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(wfd);
    assert_int_equal(rc, 0);
    *report_fd = p[0];
    return pid;
}

static int64_t
s_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct {
    uint8_t buf[8];
    size_t have;
    uint64_t count;         // reports received
    uint64_t last;          // last reported sequence number
    uint64_t first;
    bool eof;
} reports_t;

// Read 8-byte reports until `until` of them arrived, the deadline passed or
// the pipe closed. Reports must be consecutive sequence numbers.
static void
s_read_reports(int fd, reports_t *r, uint64_t until, int64_t deadline_ms)
{
    while (!r->eof && r->count < until) {
        int64_t left = deadline_ms - s_ms_now();
        if (left <= 0)
            return;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int n = poll(&pfd, 1, (int) left);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n >= 0);
        if (n == 0)
            return;
        ssize_t got = read(fd, r->buf + r->have, sizeof r->buf - r->have);
        if (got < 0 && errno == EINTR)
            continue;
        assert_true(got >= 0);
        if (got == 0) {
            r->eof = true;
            assert_int_equal(r->have, 0);       // a report is written whole
            return;
        }
        r->have += (size_t) got;
        if (r->have == sizeof r->buf) {
            uint64_t seq;
            memcpy(&seq, r->buf, sizeof seq);
            if (r->count == 0)
                r->first = seq;
            else
                assert_true(seq == r->last + 1);
            r->last = seq;
            r->count++;
            r->have = 0;
        }
    }
}

static void
s_kill_and_reap(pid_t pid)
{
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail_msg("child did not die by our SIGKILL (status 0x%x): it failed on its own",
                 status);
}

typedef struct {
    uint64_t seed;
    uint64_t next;          // next sequence number expected
    uint64_t bad;
} verify_t;

static int
s_verify_cb(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    verify_t *v = arg;
    pk_key_reader_t r;
    pk_key_reader_init(&r, key, key_size);
    uint64_t seq = pk_key_read_u64(&r);
    if (pk_key_reader_done(&r) != 0 || seq != v->next
    ||  s_check_record(v->seed, seq, value, value_size) != 0)
        v->bad++;
    v->next = seq + 1;
    return 0;
}

// The store after a crash: records 1..count, all whole, count >= reported.
// Writes one more record and returns the new count.
static uint64_t
s_verify_store(const char *dir, uint64_t seed, uint64_t reported)
{
    char *err = NULL;
    pk_store_t *s = pk_store_open("lmdb", dir, &err);
    if (!s)
        fail_msg("reopen after crash: %s", err);
    MDB_dbi records = pk_store_dbi(s, "records"), meta = pk_store_dbi(s, "meta");
    pk_store_txn_t *txn = pk_store_begin(s, false);
    assert_non_null(txn);
    uint64_t count = s_read_count(txn, meta);
    verify_t v = { .seed = seed, .next = 1 };
    int64_t n = pk_store_scan(txn, records, NULL, 0, false, s_verify_cb, &v);
    pk_store_abort(&txn);
    if (v.bad || n != (int64_t) count || count < reported)
        fail_msg("after crash: %llu records scanned, counter %llu, %llu reported "
                 "committed, %llu bad", (unsigned long long) n, (unsigned long long) count,
                 (unsigned long long) reported, (unsigned long long) v.bad);
    // And the store takes new writes.
    child_t c = { .store = s, .records = records, .meta = meta, .seed = seed,
                  .seq = count + 1 };
    assert_int_equal(pk_store_write(s, s_write_one, &c), 0);
    pk_store_close(&s);
    return count + 1;
}

static uint64_t
s_base_seed(void)
{
    const char *env = getenv("PK_TEST_SEED");
    if (env && *env)
        return strtoull(env, NULL, 10);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_nsec ^ ((uint64_t) getpid() << 32);
}

static int
s_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove(path);
}

static void
s_make_tmp(char *out, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, size, "%s/pk-test-crash-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(out));
}

// Six children in turn on one store, each killed at a random point; every
// recovery is checked over the whole history, and the next child carries on
// after what survived (so recovery of a recovered store is covered too).
static void
test_crash_writer(void **state)
{
    (void) state;
    char dir[256];
    s_make_tmp(dir, sizeof dir);
    uint64_t seed = s_base_seed();
    print_message("      crash seed %llu (replay with PK_TEST_SEED)\n",
                  (unsigned long long) seed);
    char seedarg[32];
    snprintf(seedarg, sizeof seedarg, "%llu", (unsigned long long) seed);
    uint64_t count = 0;             // records in the store
    for (int round = 0; round < ROUNDS; round++) {
        char *argv[] = { "test_store_crash", "--child", "writer", dir, seedarg, NULL };
        int fd;
        pid_t pid = s_spawn(argv, &fd);
        // Kill after a random number of committed records, or after a random
        // time (which can land mid-commit, mid-growth, or before any commit).
        uint64_t r = (seed + (uint64_t) round) * 6364136223846793005ull
                   + 1442695040888963407ull;
        r ^= r >> 29;
        reports_t rep = { 0 };
        char how[64];
        if (round % 2 == 0) {
            uint64_t k = 1 + r % 400;
            s_read_reports(fd, &rep, k, s_ms_now() + 60000);
            if (rep.count < k)
                fail_msg("child stopped reporting after %llu of %llu records",
                         (unsigned long long) rep.count, (unsigned long long) k);
            snprintf(how, sizeof how, "after %llu records", (unsigned long long) k);
        }
        else {
            int ms = 5 + (int) (r % 300);
            s_read_reports(fd, &rep, UINT64_MAX, s_ms_now() + ms);
            snprintf(how, sizeof how, "after %d ms", ms);
        }
        s_kill_and_reap(pid);
        // Whatever is still in the pipe was reported after a commit too.
        s_read_reports(fd, &rep, UINT64_MAX, s_ms_now() + 10000);
        assert_true(rep.eof);
        close(fd);
        if (rep.count)
            assert_int_equal(rep.first, count + 1);
        uint64_t now = s_verify_store(dir, seed, rep.count ? rep.last : count);
        print_message("      round %d: killed %s: %llu reported, %llu in the store\n",
                      round, how, (unsigned long long) rep.count,
                      (unsigned long long) (now - 1 - count));
        count = now;                // including the record the check wrote
    }
    nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

// A reader slot left by a killed process is cleared when the store is next
// opened while another process still has it open (when nobody has, LMDB's
// first opener rebuilds the whole lock table, so there is nothing to clear).
static void
test_crash_stale_reader(void **state)
{
    (void) state;
    char dir[256];
    s_make_tmp(dir, sizeof dir);
    char *argv[] = { "test_store_crash", "--child", "reader", dir, NULL };
    int fd[2];
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = s_spawn(argv, &fd[i]);
        reports_t rep = { 0 };
        s_read_reports(fd[i], &rep, 1, s_ms_now() + 30000);
        assert_int_equal(rep.count, 1);
        assert_int_equal(rep.last, 1);              // its read txn is open
    }
    s_kill_and_reap(pid[0]);
    char *err = NULL;
    pk_store_t *s = pk_store_open("lmdb", dir, &err);
    assert_non_null(s);
    assert_int_equal(pk_store_stale_readers(s), 1); // the dead one, not the live one
    pk_store_close(&s);
    s = pk_store_open("lmdb", dir, &err);
    assert_int_equal(pk_store_stale_readers(s), 0);
    pk_store_close(&s);
    s_kill_and_reap(pid[1]);
    for (int i = 0; i < 2; i++)
        close(fd[i]);
    nftw(dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool
s_maps_have(pid_t pid, const char *want)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/maps", (int) pid);
    FILE *fp = fopen(path, "r");
    bool found = false;
    while (fp && fgets(line, sizeof line, fp))
        found = found || strstr(line, want) != NULL;
    if (fp)
        fclose(fp);
    return found;
}

static void
test_crash_mem_leaves_nothing(void **state)
{
    (void) state;
    char *argv[] = { "test_store_crash", "--child", "mem", NULL };
    int fd;
    pid_t pid = s_spawn(argv, &fd);
    // Length, then the directory's bytes.
    uint64_t len = 0;
    char dir[512] = "";
    size_t have = 0;
    int64_t deadline = s_ms_now() + 60000;
    while (have < 8 + len) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int64_t left = deadline - s_ms_now();
        if (left <= 0 || poll(&pfd, 1, (int) left) <= 0)
            fail_msg("mem child did not report its directory");
        char buf[512];
        size_t want = have < 8 ? 8 - have : 8 + len - have;
        ssize_t n = read(fd, buf, want);
        if (n <= 0)
            fail_msg("mem child closed its pipe early");
        if (have < 8)
            memcpy((char *) &len + have, buf, (size_t) n);
        else
            memcpy(dir + (have - 8), buf, (size_t) n);
        have += (size_t) n;
        assert_true(len < sizeof dir);
    }
    dir[len] = '\0';
    assert_non_null(strstr(dir, "/pikoci-store-"));
    // While it runs, its store lives in that (already unlinked) directory.
    char want[600];
    snprintf(want, sizeof want, "%s/data.mdb (deleted)", dir);
    assert_true(s_maps_have(pid, want));
    s_kill_and_reap(pid);
    close(fd);
    const char *paths[] = { "", "/data.mdb", "/lock.mdb" };
    for (int i = 0; i < 3; i++) {
        char path[600];
        struct stat st;
        snprintf(path, sizeof path, "%s%s", dir, paths[i]);
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(errno, ENOENT);
    }
    print_message("      mem child used %s; nothing left after kill -9\n", dir);
}

int
main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--child") == 0)
        return s_child(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_writer),
        cmocka_unit_test(test_crash_stale_reader),
        cmocka_unit_test(test_crash_mem_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
