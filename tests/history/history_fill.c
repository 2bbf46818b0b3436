// history_fill: writes a pipeline and many builds straight into an lmdb
// store, as a long-lived server would have left them, for the history
// end-to-end tests:
//   history_fill DIR PIPELINE FILE JOB COUNT [PENDING] [--old|--format=N]
// stores pipeline PIPELINE (source FILE, no variables), COUNT succeeded
// builds of JOB numbered 1..COUNT with a log line each, then PENDING builds
// still pending (never dispatched), and 200 versions {ref: "v<id>"} of
// resource git.app. --old leaves the store as a binary from
// before the history indexes wrote it: no unfinished-builds index, no
// passed index, no marker -- the server must build them at start.
// --format=N (instead of --old) marks the store as of format N, as a newer
// binary would (store_meta "format").
#include "pk_builds.h"
#include "pk_key.h"
#include "pk_logs.h"
#include "pk_versions.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    pk_store_t *store;
    pk_builds_t *builds;
    const char *pipeline, *job;
    uint64_t from, to, pending_from;
} s_fill_t;

static int
s_fill(pk_store_txn_t *txn, void *arg)
{
    s_fill_t *f = arg;
    for (uint64_t n = f->from; n < f->to; n++) {
        bool done = n < f->pending_from;
        pk_build_t b = { .number = n, .status = (char *) (done ? "succeeded" : "pending"),
                         .attempt = 1, .trigger = (char *) "manual" };
        b.created_ms = 1700000000000 + (int64_t) n * 1000;
        b.started_ms = done ? b.created_ms + 10 : 0;
        b.finished_ms = done ? b.created_ms + 500 : 0;
        if (pk_builds_put(f->builds, txn, f->pipeline, f->job, &b) != 0)
            return -1;
        if (!done)
            continue;
        char *id = pk_builds_work_id(f->pipeline, 1, f->job, n, 0), line[64];
        int len = snprintf(line, sizeof line, "filled build %" PRIu64 "\n", n);
        pk_log_chunk_t c = { .id = id, .attempt = 1, .data = line, .size = (size_t) len };
        int rc = pk_logs_append(f->store, txn, &c, 1);
        free(id);
        if (rc != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    uint8_t (*keys)[PK_KEY_MAX];
    size_t *sizes, count;
} s_keys_t;

static int
s_key_one(const void *key, size_t key_size, const void *value, size_t value_size, void *arg)
{
    (void) value;
    (void) value_size;
    s_keys_t *k = arg;
    if (key_size > PK_KEY_MAX)
        return -1;
    k->keys = realloc(k->keys, (k->count + 1) * sizeof *k->keys);
    k->sizes = realloc(k->sizes, (k->count + 1) * sizeof *k->sizes);
    memcpy(k->keys[k->count], key, key_size);
    k->sizes[k->count++] = key_size;
    return 0;
}

// Empties the index keyspaces (keys collected first: a scan must not change
// its keyspace), as if no binary had ever written them.
static int
s_old(pk_store_txn_t *txn, void *arg)
{
    pk_store_t *store = arg;
    const char *names[] = { "builds_open", "builds_passed", "builds_meta" };
    for (size_t i = 0; i < 3; i++) {
        MDB_dbi dbi = pk_store_dbi(store, names[i]);
        s_keys_t k = { 0 };
        int rc = dbi != PK_STORE_NO_DBI
              && pk_store_scan(txn, dbi, NULL, 0, false, s_key_one, &k) >= 0 ? 0 : -1;
        for (size_t j = 0; j < k.count && rc == 0; j++)
            rc = pk_store_del(txn, dbi, k.keys[j], k.sizes[j]) < 0 ? -1 : 0;
        free(k.keys);
        free(k.sizes);
        if (rc != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    pk_store_t *store;
    const char *format;
} s_format_t;

static int
s_format(pk_store_txn_t *txn, void *arg)
{
    s_format_t *f = arg;
    pk_key_t k;
    pk_key_init(&k);
    pk_key_str(&k, "format");
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_uint64(&pk, strtoull(f->format, NULL, 10));
    int rc = pk_store_put_msgpack(txn, pk_store_dbi(f->store, "store_meta"), k.data, k.size, &sb);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

typedef struct {
    pk_builds_t *builds;
    const char *pipeline, *job, *source;
    uint64_t next;
} s_pipe_t;

static int
s_pipe(pk_store_txn_t *txn, void *arg)
{
    s_pipe_t *p = arg;
    pk_pipeline_rec_t rec = { .source = (char *) p->source, .version = 1, .set_ms = 1 };
    pk_job_rec_t jr = { .next_number = p->next };
    return pk_builds_pipeline_put(p->builds, txn, p->pipeline, &rec) == 0
        && pk_builds_job_put(p->builds, txn, p->pipeline, p->job, &jr) == 0 ? 0 : -1;
}

static char *
s_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

int
main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: history_fill DIR PIPELINE FILE JOB COUNT [PENDING] [--old|--format=N]\n");
        return 2;
    }
    uint64_t count = strtoull(argv[5], NULL, 10);
    uint64_t pending = argc > 6 && argv[6][0] != '-' ? strtoull(argv[6], NULL, 10) : 0;
    bool old = !strcmp(argv[argc - 1], "--old");
    // --format=N: the store says it is of format N (a newer binary's store)
    const char *format = !strncmp(argv[argc - 1], "--format=", 9) ? argv[argc - 1] + 9 : NULL;
    char *err = NULL, *source = s_slurp(argv[3]);
    pk_store_t *store = source ? pk_store_open("lmdb", argv[1], &err) : NULL;
    pk_builds_t *builds = store ? pk_builds_new(store, &err) : NULL;
    int rc = builds && pk_logs_init(store) == 0 ? 0 : -1;
    s_pipe_t p = { builds, argv[2], argv[4], source, count + pending + 1 };
    if (rc == 0)
        rc = pk_store_write(store, s_pipe, &p);
    for (uint64_t from = 1; rc == 0 && from <= count + pending; from += 5000) {
        s_fill_t f = { store, builds, argv[2], argv[4], from, from + 5000, count + 1 };
        if (f.to > count + pending + 1)
            f.to = count + pending + 1;
        rc = pk_store_write(store, s_fill, &f);
    }
    pk_versions_t *vs = rc == 0 ? pk_versions_new(store, &err) : NULL;
    if (rc == 0 && !vs)
        rc = -1;
    if (rc == 0) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 200);
        for (int i = 1; i <= 200; i++) {
            char ref[16];
            int len = snprintf(ref, sizeof ref, "v%d", i);
            msgpack_pack_map(&pk, 1);
            msgpack_pack_str_with_body(&pk, "ref", 3);
            msgpack_pack_str_with_body(&pk, ref, (size_t) len);
        }
        pk_check_result_t r = { .pipeline = argv[2], .resource = "git.app", .versions = sb.data,
                                .versions_size = sb.size, .checked_ms = 1 };
        rc = pk_versions_record(vs, &r, 1);
        pk_version_clear(&r.current);
        msgpack_sbuffer_destroy(&sb);
    }
    pk_versions_destroy(&vs);
    if (rc == 0 && old)
        rc = pk_store_write(store, s_old, store);
    if (rc == 0 && format)
        rc = pk_store_write(store, s_format, &(s_format_t) { store, format });
    if (rc != 0)
        fprintf(stderr, "history_fill: %s\n", err ? err : source ? pk_store_error()
                                                           : "cannot read the pipeline file");
    free(err);
    free(source);
    pk_builds_destroy(&builds);
    pk_store_close(&store);
    return rc == 0 ? 0 : 1;
}
