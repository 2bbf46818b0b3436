// http_metrics: GET /metrics in the Prometheus text format (0.0.4).
//
// Every figure comes from the same replies the CLI prints, so they agree
// with `pikoci builds/workers/resources --json` by construction:
//   builds by status      per pipeline and job, from "builds" (all of them)
//   active builds         "overview": unfinished builds by status; running
//                         is those started
//   queue                 "broker.pending": work waiting for a worker
//   workers               "broker.workers": by state, slots and busy slots
//   checks                "checker.stats" (the checker's own counters),
//                         check lag = how late the most overdue check is
//   broker                "broker.stats" when the broker answers it
//                         (message counts, dropped frames); else left out
//   log bytes, events     counted by the http actor on the event bus since
//                         it started (the log sink publishes each chunk once
//                         it is committed)
//   store                 "store": failed commits (no space left on device)
//   process               RSS, start time and CPU from /proc/self
// A scrape costs one request per job plus six; each is answered from one
// read transaction, so nothing here blocks the scheduler or the checker.
#include "http_internal.h"
#include <ctype.h>
#include <czmq.h>
#include <stdarg.h>
#include <unistd.h>

typedef struct {
    char *buf;
    size_t len, cap;
} s_out_t;

static void
s_printf(s_out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
s_printf(s_out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (o->len + (size_t) n + 1 > o->cap) {
        o->cap = (o->len + (size_t) n + 1) * 2;
        o->buf = realloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, line, (size_t) n + 1);
    o->len += (size_t) n;
    free(line);
}

static void
s_help(s_out_t *o, const char *name, const char *type, const char *help)
{
    s_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

// A label value with \, " and newlines escaped (caller frees).
static char *
s_label(const char *v)
{
    size_t n = strlen(v ? v : "");
    char *out = malloc(2 * n + 1), *p = out;
    for (const char *s = v ? v : ""; *s; s++) {
        if (*s == '\\' || *s == '"' || *s == '\n')
            *p++ = '\\';
        *p++ = *s == '\n' ? 'n' : *s;
    }
    *p = 0;
    return out;
}

static pk_value_t *
s_ask(http_t *h, const char *op, const char *k1, const char *v1, const char *k2, const char *v2)
{
    pk_kv_t args = { 0 };
    if (k1)
        pk_kv_set(&args, k1, v1);
    if (k2)
        pk_kv_set(&args, k2, v2);
    pk_value_t *v = NULL;
    char *err = NULL;
    if (http_request(h, op, &args, NULL, 0, &v, &err) != 0)
        pk_value_destroy(&v);
    free(err);
    pk_kv_clear(&args);
    return v;
}

static double
s_num(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_NUMBER ? pk_value_number(v) : 0;
}

static const char *
s_str(const pk_value_t *o, const char *key)
{
    const pk_value_t *v = pk_value_object_get(o, key);
    return pk_value_kind(v) == PK_V_STRING ? pk_value_string(v) : "";
}

// Count a list's entries by one string field into a zhash (field -> count).
static zhash_t *
s_count_by(const pk_value_t *list, const char *field)
{
    zhash_t *counts = zhash_new();
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const char *k = s_str(pk_value_list_at(list, i), field);
        size_t *c = zhash_lookup(counts, k);
        if (!c) {
            c = calloc(1, sizeof *c);
            zhash_insert(counts, k, c);
            zhash_freefn(counts, k, free);
        }
        (*c)++;
    }
    return counts;
}

static void
s_builds(http_t *h, s_out_t *o)
{
    s_help(o, "pikoci_builds", "gauge", "Builds stored, by pipeline, job and status.");
    pk_value_t *pipes = s_ask(h, "pipelines", NULL, NULL, NULL, NULL);
    for (size_t i = 0; i < pk_value_len(pipes); i++) {
        const char *p = s_str(pk_value_list_at(pipes, i), "name");
        pk_value_t *jobs = s_ask(h, "jobs", "pipeline", p, NULL, NULL);
        for (size_t j = 0; j < pk_value_len(jobs); j++) {
            const char *job = s_str(pk_value_list_at(jobs, j), "name");
            pk_value_t *builds = s_ask(h, "builds", "pipeline", p, "job", job);
            zhash_t *counts = s_count_by(builds, "status");
            char *lp = s_label(p), *lj = s_label(job);
            for (size_t *c = zhash_first(counts); c; c = zhash_next(counts)) {
                char *ls = s_label(zhash_cursor(counts));
                s_printf(o, "pikoci_builds{pipeline=\"%s\",job=\"%s\",status=\"%s\"} %zu\n",
                         lp, lj, ls, *c);
                free(ls);
            }
            free(lp);
            free(lj);
            zhash_destroy(&counts);
            pk_value_destroy(&builds);
        }
        pk_value_destroy(&jobs);
    }
    s_help(o, "pikoci_pipelines", "gauge", "Pipelines set.");
    s_printf(o, "pikoci_pipelines %zu\n", pk_value_len(pipes));
    pk_value_destroy(&pipes);

    pk_value_t *ov = s_ask(h, "overview", "recent", "1", NULL, NULL);
    const pk_value_t *active = pk_value_object_get(ov, "active");
    zhash_t *counts = s_count_by(active, "status");
    s_help(o, "pikoci_builds_active", "gauge", "Unfinished builds, by status.");
    for (size_t *c = zhash_first(counts); c; c = zhash_next(counts)) {
        char *ls = s_label(zhash_cursor(counts));
        s_printf(o, "pikoci_builds_active{status=\"%s\"} %zu\n", ls, *c);
        free(ls);
    }
    size_t *started = zhash_lookup(counts, "started"), *pending = zhash_lookup(counts, "pending");
    s_help(o, "pikoci_builds_running", "gauge", "Builds started and not finished.");
    s_printf(o, "pikoci_builds_running %zu\n", started ? *started : 0);
    s_help(o, "pikoci_builds_queued", "gauge", "Builds created and not started yet.");
    s_printf(o, "pikoci_builds_queued %zu\n", pending ? *pending : 0);
    zhash_destroy(&counts);
    pk_value_destroy(&ov);
}

// The store's failed commits ("store": a full filesystem shows here first).
static void
s_store(http_t *h, s_out_t *o)
{
    pk_value_t *st = s_ask(h, "store", NULL, NULL, NULL, NULL);
    const pk_value_t *hl = pk_value_object_get(st, "health");
    if (hl) {
        double all = s_num(hl, "write_errors"), full = s_num(hl, "no_space_errors");
        s_help(o, "pikoci_store_write_errors_total", "counter",
               "Store commits that failed since start, by reason.");
        s_printf(o, "pikoci_store_write_errors_total{reason=\"no_space\"} %.0f\n", full);
        s_printf(o, "pikoci_store_write_errors_total{reason=\"other\"} %.0f\n", all - full);
        s_help(o, "pikoci_store_no_space", "gauge",
               "1 while the store's last commit failed for want of disk space.");
        const pk_value_t *ns = pk_value_object_get(hl, "no_space");
        s_printf(o, "pikoci_store_no_space %d\n", ns && pk_value_bool(ns) ? 1 : 0);
    }
    pk_value_destroy(&st);
}

static void
s_workers(http_t *h, s_out_t *o)
{
    pk_value_t *pending = s_ask(h, "broker.pending", NULL, NULL, NULL, NULL);
    s_help(o, "pikoci_queue_length", "gauge", "Work (builds and checks) waiting for a worker.");
    s_printf(o, "pikoci_queue_length %zu\n", pk_value_len(pending));
    pk_value_destroy(&pending);
    pk_value_t *ws = s_ask(h, "broker.workers", NULL, NULL, NULL, NULL);
    zhash_t *counts = s_count_by(ws, "state");
    s_help(o, "pikoci_workers", "gauge", "Workers known to the broker, by state.");
    static const char *states[] = { "healthy", "lost", NULL };
    for (int i = 0; states[i]; i++) {
        size_t *c = zhash_lookup(counts, states[i]);
        s_printf(o, "pikoci_workers{state=\"%s\"} %zu\n", states[i], c ? *c : 0);
    }
    zhash_destroy(&counts);
    s_help(o, "pikoci_worker_slots", "gauge", "Work items a worker runs at once.");
    for (size_t i = 0; i < pk_value_len(ws); i++) {
        char *n = s_label(s_str(pk_value_list_at(ws, i), "name"));
        s_printf(o, "pikoci_worker_slots{worker=\"%s\"} %.0f\n", n,
                 s_num(pk_value_list_at(ws, i), "slots"));
        free(n);
    }
    s_help(o, "pikoci_worker_busy", "gauge", "Work items a worker runs now.");
    for (size_t i = 0; i < pk_value_len(ws); i++) {
        char *n = s_label(s_str(pk_value_list_at(ws, i), "name"));
        s_printf(o, "pikoci_worker_busy{worker=\"%s\"} %.0f\n", n,
                 s_num(pk_value_list_at(ws, i), "busy"));
        free(n);
    }
    pk_value_destroy(&ws);
}

static void
s_checks(http_t *h, s_out_t *o)
{
    pk_value_t *st = s_ask(h, "checker.stats", NULL, NULL, NULL, NULL);
    if (st) {
        s_help(o, "pikoci_checks_total", "counter", "Checks finished since the checker started.");
        s_printf(o, "pikoci_checks_total %.0f\n", s_num(st, "checks"));
        s_help(o, "pikoci_check_failures_total", "counter", "Checks that failed.");
        s_printf(o, "pikoci_check_failures_total %.0f\n", s_num(st, "failures"));
        s_help(o, "pikoci_checks_inflight", "gauge", "Checks sent and not answered yet.");
        s_printf(o, "pikoci_checks_inflight %.0f\n", s_num(st, "inflight"));
        s_help(o, "pikoci_resources_checked", "gauge", "Resources with a check timer.");
        s_printf(o, "pikoci_resources_checked %.0f\n", s_num(st, "scheduled"));
        s_help(o, "pikoci_versions_found_total", "counter", "New versions the checks found.");
        s_printf(o, "pikoci_versions_found_total %.0f\n", s_num(st, "new_versions"));
        s_help(o, "pikoci_check_lag_seconds", "gauge", "How late the most overdue check is.");
        s_printf(o, "pikoci_check_lag_seconds %.3f\n", s_num(st, "lag_ms") / 1000);
    }
    pk_value_destroy(&st);
    pk_value_t *bs = s_ask(h, "broker.stats", NULL, NULL, NULL, NULL);
    for (size_t i = 0; pk_value_kind(bs) == PK_V_OBJECT && i < pk_value_len(bs); i++) {
        const pk_value_t *v = pk_value_object_at(bs, i);
        if (pk_value_kind(v) != PK_V_NUMBER)
            continue;
        char name[96];
        snprintf(name, sizeof name, "pikoci_broker_%s", pk_value_object_key(bs, i));
        for (char *c = name; *c; c++)
            if (!isalnum((unsigned char) *c) && *c != '_')
                *c = '_';
        s_help(o, name, "untyped", "The broker's counter of that name (broker.stats).");
        s_printf(o, "%s %.0f\n", name, pk_value_number(v));
    }
    pk_value_destroy(&bs);
}

static void
s_process(http_t *h, s_out_t *o)
{
    s_help(o, "pikoci_log_bytes_total", "counter",
           "Log bytes written (announced on the event bus) since the http face started.");
    s_printf(o, "pikoci_log_bytes_total %" PRIu64 "\n", (uint64_t) atomic_load(&h->log_bytes));
    s_help(o, "pikoci_events_total", "counter", "Events seen on the bus since the http face started.");
    s_printf(o, "pikoci_events_total %" PRIu64 "\n", (uint64_t) atomic_load(&h->events));
    s_help(o, "pikoci_http_requests_total", "counter", "HTTP requests answered.");
    s_printf(o, "pikoci_http_requests_total %" PRIu64 "\n", (uint64_t) atomic_load(&h->requests));
    s_help(o, "pikoci_http_errors_total", "counter", "HTTP requests answered with 4xx or 5xx.");
    s_printf(o, "pikoci_http_errors_total %" PRIu64 "\n", (uint64_t) atomic_load(&h->errors));
    s_help(o, "pikoci_webhooks_total", "counter", "Webhook posts received.");
    s_printf(o, "pikoci_webhooks_total %" PRIu64 "\n", (uint64_t) atomic_load(&h->webhooks));
    s_help(o, "pikoci_http_streams_total", "counter", "Server-Sent Event streams opened.");
    s_printf(o, "pikoci_http_streams_total %" PRIu64 "\n", (uint64_t) atomic_load(&h->streams));
    s_help(o, "pikoci_http_log_reads_total", "counter",
           "Log reads the log streams asked of the server (to catch up, and every 2 s).");
    s_printf(o, "pikoci_http_log_reads_total %" PRIu64 "\n",
             (uint64_t) atomic_load(&h->log_reads));
    s_help(o, "pikoci_http_log_tail_bytes_total", "counter",
           "Log bytes the log streams sent from the tail the face keeps of each followed log.");
    s_printf(o, "pikoci_http_log_tail_bytes_total %" PRIu64 "\n",
             (uint64_t) atomic_load(&h->log_tail_bytes));
    s_help(o, "pikoci_http_streams_open", "gauge", "Server-Sent Event streams open now.");
    s_printf(o, "pikoci_http_streams_open %u\n", (unsigned) atomic_load(&h->streams_open));
    s_help(o, "pikoci_http_stream_events_dropped_total", "counter",
           "Events dropped because a stream's client read too slowly (its queue was full).");
    s_printf(o, "pikoci_http_stream_events_dropped_total %" PRIu64 "\n", http_hub_dropped(h->hub));
    long page = sysconf(_SC_PAGESIZE), ticks = sysconf(_SC_CLK_TCK);
    unsigned long size = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%lu %lu", &size, &rss) == 2) {
        s_help(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        s_printf(o, "process_resident_memory_bytes %lu\n", rss * (unsigned long) page);
        s_help(o, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        s_printf(o, "process_virtual_memory_bytes %lu\n", size * (unsigned long) page);
    }
    if (f)
        fclose(f);
    char stat[1024] = "";
    f = fopen("/proc/self/stat", "r");
    size_t n = f ? fread(stat, 1, sizeof stat - 1, f) : 0;
    stat[n] = 0;
    if (f)
        fclose(f);
    // after the command's ")": state is field 3; utime 14, stime 15, starttime 22
    char *p = strrchr(stat, ')');
    unsigned long long ut = 0, st = 0, start = 0;
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d "
                    "%*d %*d %*d %llu", &ut, &st, &start) == 3 && ticks > 0) {
        s_help(o, "process_cpu_seconds_total", "counter", "User and system CPU time in seconds.");
        s_printf(o, "process_cpu_seconds_total %.2f\n", (double) (ut + st) / (double) ticks);
        unsigned long long btime = 0;
        char line[256];
        FILE *sf = fopen("/proc/stat", "r");
        while (sf && fgets(line, sizeof line, sf))
            if (sscanf(line, "btime %llu", &btime) == 1)
                break;
        if (sf)
            fclose(sf);
        s_help(o, "process_start_time_seconds", "gauge", "Start time since the epoch in seconds.");
        s_printf(o, "process_start_time_seconds %.2f\n",
                 btime ? (double) btime + (double) start / (double) ticks
                       : (double) h->started_ms / 1000);
    }
}

void
http_metrics(http_t *h, http_answer_t *a)
{
    s_out_t o = { 0 };
    s_builds(h, &o);
    s_workers(h, &o);
    s_store(h, &o);
    s_checks(h, &o);
    s_process(h, &o);
    struct MHD_Response *r = MHD_create_response_from_buffer(o.len, o.buf ? o.buf : "",
                                                             MHD_RESPMEM_MUST_COPY);
    free(o.buf);
    if (r)
        MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    *a = (http_answer_t) { MHD_HTTP_OK, r };
}
