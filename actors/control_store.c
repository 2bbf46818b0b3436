// control_store: the "store" query behind `pikoci store` (read-only; for a
// global admin once roles exist): the store's keyspaces with their entries
// and pages (mdb_stat), the file's pages used and free (mdb_env_info and
// LMDB's free DB), its format and what the last retention collection
// removed (builds_meta "retention", written by the scheduler; versions_meta
// "retention", written by the checker's version collector), and the
// failed commits since start (a full filesystem: pk_store_health).
#include "control_internal.h"

int
ctl_q_store(ctl_q_t *q)
{
    pk_store_usage_t u;
    pk_store_ks_stat_t *ks = NULL;
    size_t n = 0;
    pk_retention_stats_t rs;
    pk_versions_retention_t vs;
    uint64_t format = 0;
    if (pk_store_usage(q->txn, &u, &ks, &n) != 0
        || pk_builds_retention_get(q->self->builds, q->txn, &rs) != 0
        || pk_versions_retention_get(q->self->versions, q->txn, &vs) != 0
        || pk_builds_format(q->self->builds, q->txn, &format) != 0) {
        pk_store_usage_free(&ks, n);
        return ctl_store_fail(q);
    }
    msgpack_packer *pk = &q->pk;
    pk_store_health_t health;
    pk_store_health(q->self->store, &health);
    msgpack_pack_map(pk, 12);
    ctl_kstr(pk, "system", pk_store_system(q->self->store));
    ctl_kint(pk, "format", (int64_t) format);
    ctl_kint(pk, "map_size", (int64_t) u.map_size);
    ctl_kint(pk, "page_size", (int64_t) u.page_size);
    ctl_kint(pk, "pages_used", (int64_t) u.pages_used);
    ctl_kint(pk, "pages_free", (int64_t) u.pages_free);
    ctl_kint(pk, "file_bytes", (int64_t) u.file_bytes);
    ctl_str(pk, "keyspaces");
    msgpack_pack_array(pk, n);
    uint64_t pages = 0;
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 4);
        ctl_kstr(pk, "name", ks[i].name);
        ctl_kint(pk, "entries", (int64_t) ks[i].entries);
        ctl_kint(pk, "pages", (int64_t) ks[i].pages);
        ctl_kint(pk, "depth", (int64_t) ks[i].depth);
        pages += ks[i].pages;
    }
    ctl_kint(pk, "keyspace_pages", (int64_t) pages);
    ctl_str(pk, "retention");
    msgpack_pack_map(pk, 5);
    ctl_kint(pk, "at_ms", rs.at_ms);
    ctl_kint(pk, "builds", (int64_t) rs.builds);
    ctl_kint(pk, "steps", (int64_t) rs.steps);
    ctl_kint(pk, "logs", (int64_t) rs.logs);
    ctl_kint(pk, "total_builds", (int64_t) rs.total_builds);
    ctl_str(pk, "version_retention");  // the checker's (versions_meta "retention")
    msgpack_pack_map(pk, 5);
    ctl_kint(pk, "at_ms", vs.at_ms);
    ctl_kint(pk, "versions", (int64_t) vs.versions);
    ctl_kint(pk, "resources", (int64_t) vs.resources);
    ctl_kint(pk, "total_versions", (int64_t) vs.total_versions);
    ctl_kint(pk, "keep", (int64_t) vs.keep);
    ctl_str(pk, "health");              // failed commits since the server started
    msgpack_pack_map(pk, 3);
    ctl_kint(pk, "write_errors", (int64_t) health.write_errors);
    ctl_kint(pk, "no_space_errors", (int64_t) health.no_space_errors);
    ctl_kbool(pk, "no_space", health.no_space);
    pk_store_usage_free(&ks, n);
    return 0;
}
