// bench_checker: the checker keeping 10,000 resources at "@every 10s" --
// cron-like resources, so every check is a new version stored and announced
// -- against a fake runner peer that answers each check at once, through a
// real broker. Measured after one warm-up interval: checks per second, how
// far each check strays from its resource's 10 s beat, and the CPU of the
// checker's thread (found by its name, "pk-checker") against the budget of
// 25% of one core.
//
// usage: bench_checker [resources] [seconds] [lmdb-dir]   (default 10000 30 mem)
#include "bench_util.h"
#include "pk_broker.h"
#include "pk_checker.h"
#include "pk_cronres.h"
#include "pk_msg.h"
#include "pk_value.h"
#include "pk_value_msgpack.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define EP "inproc://bench-checker"
#define INTERVAL_MS 10000

// utime + stime of the thread called name, in ms (-1 if not found).
static double
s_thread_cpu_ms(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    double ms = -1;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], comm[64] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = 0;
        fclose(f);
        if (strcmp(comm, name))
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        f = fopen(path, "r");
        char buf[1024] = "";
        if (f && fgets(buf, sizeof buf, f)) {
            const char *p = strrchr(buf, ')');     // fields after the command name
            unsigned long long ut = 0, st = 0;
            if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                            &ut, &st) == 2)
                ms = (double) (ut + st) * 1000.0 / (double) sysconf(_SC_CLK_TCK);
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return ms;
}

static double
s_process_cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static zsock_t *
s_peer(const char *role)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    zsock_set_rcvhwm(s, 0);
    zsock_set_sndhwm(s, 0);
    zsock_connect(s, "%s", EP);
    pk_msg_t h = { .type = PK_MSG_HELLO };
    h.hello.name = (char *) role;
    h.hello.role = (char *) role;
    pk_msg_send(s, &h);
    return s;
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

static bool
s_expect_signal(zsock_t *s, const char *what, int timeout_ms)
{
    int64_t end = zclock_mono() + timeout_ms;
    pk_msg_t m;
    while (zclock_mono() < end)
        if (s_recv(s, &m, (int) (end - zclock_mono()))) {
            bool hit = m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, what);
            pk_msg_clear(&m);
            if (hit)
                return true;
        }
    return false;
}

static void
s_answer(zsock_t *w, pk_msg_t *work)
{
    char *json = NULL, *err = NULL;
    pk_cronres_check_at(zclock_time(), &json, &err);
    pk_value_t *v = pk_value_from_json(json, strlen(json), NULL);
    pk_msg_t m = { .type = PK_MSG_VERSIONS };
    m.versions.id = work->work.id;
    m.versions.attempt = work->work.attempt;
    m.versions.resource = "cron.t";
    pk_value_pack_bytes(v, &m.versions.versions.data, &m.versions.versions.size);
    pk_msg_send(w, &m);
    free(m.versions.versions.data);
    pk_value_destroy(&v);
    free(json);
    free(err);
}

static int
s_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    int secs = argc > 2 ? atoi(argv[2]) : 30;
    const char *lmdb = argc > 3 ? argv[3] : NULL;
    if (n <= 0 || secs <= 0) {
        fprintf(stderr, "usage: bench_checker [resources] [seconds] [lmdb-dir]\n");
        return 2;
    }
    zsys_handler_set(NULL);
    pk_broker_config_t bcfg = { .inproc = EP, .heartbeat_timeout_ms = 3000 };
    zactor_t *broker = pk_broker_new(&bcfg);
    char *err = NULL;
    pk_store_t *store = pk_store_open(lmdb ? "lmdb" : "mem", lmdb, &err);
    if (!broker || !store) {
        fprintf(stderr, "bench_checker: %s\n", err ? err : "no broker");
        return 1;
    }
    zsock_t *sched = s_peer("scheduler");
    pk_msg_t ping = { .type = PK_MSG_SIGNAL };
    ping.signal.to = "scheduler";
    ping.signal.what = "ping";
    pk_msg_send(sched, &ping);
    s_expect_signal(sched, "ping", 5000);
    zsock_t *runner = zsock_new(ZMQ_DEALER);
    zsock_set_identity(runner, "bench-runner");
    zsock_set_rcvhwm(runner, 0);
    zsock_set_sndhwm(runner, 0);
    zsock_connect(runner, "%s", EP);
    pk_msg_t ready = { .type = PK_MSG_READY };
    ready.ready.name = "bench-runner";
    ready.ready.slots = (uint32_t) n;
    pk_msg_send(runner, &ready);
    pk_checker_config_t ccfg = { .endpoint = EP, .store = store };
    zactor_t *checker = pk_checker_new(&ccfg);
    if (!checker || !s_expect_signal(sched, "checker.ready", 5000)) {
        fprintf(stderr, "bench_checker: the checker did not start\n");
        return 1;
    }

    // one pipeline of n resources
    pk_value_t *list = pk_value_new_list();
    for (int i = 0; i < n; i++) {
        char name[32], plan[128];
        snprintf(name, sizeof name, "cron.t%d", i);
        snprintf(plan, sizeof plan, "{\"resource\":\"%s\",\"native\":{\"type\":\"cron\"}}", name);
        pk_value_t *o = pk_value_new_object();
        pk_value_object_set(o, "canonical", pk_value_new_string(name));
        pk_value_object_set(o, "check_interval", pk_value_new_string("@every 10s"));
        pk_value_object_set(o, "plan", pk_value_from_json(plan, strlen(plan), NULL));
        pk_value_list_append(list, o);
    }
    pk_msg_t set = { .type = PK_MSG_SIGNAL };
    set.signal.to = strdup("checker");
    set.signal.what = strdup("pipeline.set");
    pk_kv_set(&set.signal.args, "pipeline", "bench");
    pk_value_pack_bytes(list, &set.signal.body.data, &set.signal.body.size);
    pk_value_destroy(&list);
    int64_t t_set = zclock_mono();
    pk_msg_send(sched, &set);
    pk_msg_clear(&set);

    int64_t *last = calloc((size_t) n, sizeof(int64_t));       // µs of the last check
    size_t late_cap = (size_t) n * (size_t) (secs / 10 + 2), late_n = 0;
    int64_t *late = malloc(late_cap * sizeof(int64_t));         // |gap - interval|, µs
    int64_t warm_end = t_set + INTERVAL_MS + 1000, end = warm_end + secs * 1000LL;
    uint64_t checks = 0, signals = 0, firsts = 0;
    double cpu0 = -1, proc0 = 0;
    int64_t hb_at = 0, t_measure = 0;
    zpoller_t *poller = zpoller_new(runner, sched, NULL);
    while (zclock_mono() < end) {
        int64_t now = zclock_mono();
        if (now >= hb_at) {
            pk_msg_t hb = { .type = PK_MSG_HEARTBEAT };
            hb.heartbeat.name = "bench-runner";
            hb.heartbeat.slots_free = (uint32_t) n;
            pk_msg_send(runner, &hb);
            hb_at = now + 1000;
        }
        if (cpu0 < 0 && now >= warm_end) {
            cpu0 = s_thread_cpu_ms("pk-checker");
            proc0 = s_process_cpu_ms();
            t_measure = now;
        }
        zsock_t *which = zpoller_wait(poller, 100);
        if (!which)
            continue;
        pk_msg_t m;
        if (!s_recv(which, &m, 0))
            continue;
        if (m.type == PK_MSG_WORK) {
            int64_t t = bench_now_us();
            const char *p = strstr(m.work.id, "cron.t");
            int i = p ? atoi(p + 6) : -1;
            if (i >= 0 && i < n) {
                if (!last[i])
                    firsts++;
                else
                if (cpu0 >= 0 && late_n < late_cap) {
                    int64_t d = t - last[i] - INTERVAL_MS * 1000LL;
                    late[late_n++] = d < 0 ? -d : d;
                }
                last[i] = t;
            }
            if (cpu0 >= 0)
                checks++;
            s_answer(runner, &m);
        }
        else
        if (m.type == PK_MSG_SIGNAL && !strcmp(m.signal.what, "versions.new") && cpu0 >= 0)
            signals++;
        pk_msg_clear(&m);
    }
    double wall_ms = (double) (zclock_mono() - t_measure);
    double cpu = s_thread_cpu_ms("pk-checker") - cpu0, proc = s_process_cpu_ms() - proc0;
    qsort(late, late_n, sizeof(int64_t), s_cmp_i64);
    double p50 = late_n ? late[late_n / 2] / 1000.0 : 0, p99 = late_n ? late[late_n * 99 / 100] / 1000.0 : 0;
    double worst = late_n ? late[late_n - 1] / 1000.0 : 0;
    size_t over_1s = 0;
    for (size_t i = 0; i < late_n; i++)
        over_1s += late[i] > 1000000;
    printf("bench_checker: %d resources @every 10s, %s store, %d s measured: %llu checks, "
           "%llu versions.new, %llu first checks; beat error p50 %.1f ms p99 %.1f ms max %.1f ms, "
           "%zu over 1 s; checker thread %.0f ms CPU, whole process %.0f ms\n",
           n, lmdb ? "lmdb" : "mem", secs, (unsigned long long) checks,
           (unsigned long long) signals, (unsigned long long) firsts, p50, p99, worst, over_1s,
           cpu, proc);
    double rate = checks * 1000.0 / wall_ms;
    bench_row("checker: checks/s (10k @every 10s)", rate, "chk/s", n * 1000.0 / INTERVAL_MS,
              "due rate");
    bench_row("checker: checker thread CPU", cpu * 100.0 / wall_ms, "%core", 25.0, "budget");
    bench_row("checker: checker CPU per check", checks ? cpu * 1000.0 / checks : 0, "us",
              250.0, "budget at 1000/s");
    bench_row("checker: whole process CPU (broker, fake runner)", proc * 100.0 / wall_ms, "%core",
              100.0, "one core");
    bench_row("checker: p99 beat error", p99, "ms", 100.0, "100 ms");
    zpoller_destroy(&poller);
    zactor_destroy(&checker);
    zsock_destroy(&runner);
    zsock_destroy(&sched);
    zactor_destroy(&broker);
    pk_store_close(&store);
    free(last);
    free(late);
    zsys_shutdown();
    return over_1s || (uint64_t) firsts < (uint64_t) n ? 1 : 0;
}
