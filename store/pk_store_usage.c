// pk_store_usage: what the store holds and how full its file is, for
// `pikoci store`. Keyspaces are the ones this process has opened (in a
// server, every actor shares one pk_store_t, so that is all of them), each
// with mdb_stat; pages used is mdb_env_info's last page + 1, and pages free
// the page numbers listed in LMDB's free DB (DB 0), which later writes
// reuse before the file grows.
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include "pk_store_internal.h"

int
pk_store_usage(pk_store_txn_t *txn, pk_store_usage_t *u, pk_store_ks_stat_t **ks_out,
               size_t *count_out)
{
    memset(u, 0, sizeof *u);
    *ks_out = NULL;
    *count_out = 0;
    pk_store_t *self = txn->store;
    MDB_envinfo info;
    MDB_stat st;
    int rc = mdb_env_info(self->env, &info);
    if (rc == 0)
        rc = mdb_env_stat(self->env, &st);
    if (rc != 0) {
        pk_store_fail(rc, "store usage");
        return -1;
    }
    u->map_size = info.me_mapsize;
    u->page_size = st.ms_psize;
    u->pages_used = (uint64_t) info.me_last_pgno + 1;
    // the free DB: each value is a list of page numbers, its first word the count
    MDB_cursor *cur;
    rc = mdb_cursor_open(txn->txn, 0, &cur);
    if (rc != 0) {
        pk_store_fail(rc, "store usage: free pages");
        return -1;
    }
    MDB_val k, v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t n;
        memcpy(&n, v.mv_data, sizeof n);
        u->pages_free += n;
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        pk_store_fail(rc, "store usage: free pages");
        return -1;
    }
    char path[PATH_MAX];
    struct stat fst;
    snprintf(path, sizeof path, "%s/data.mdb", self->dir);
    if (strcmp(self->system, "mem") && stat(path, &fst) == 0)
        u->file_bytes = (uint64_t) fst.st_size;
    pthread_mutex_lock(&self->lock);
    size_t count = self->nkeyspaces;
    pk_store_ks_stat_t *ks = calloc(count ? count : 1, sizeof *ks);
    for (size_t i = 0; ks && i < count; i++) {
        ks[i].name = strdup(self->keyspaces[i].name);
        ks[i].dbi = self->keyspaces[i].dbi;
    }
    pthread_mutex_unlock(&self->lock);
    if (!ks) {
        pk_store_fail(ENOMEM, "store usage");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        if ((rc = mdb_stat(txn->txn, ks[i].dbi, &st)) != 0) {
            pk_store_fail(rc, "store usage: keyspace %s", ks[i].name);
            pk_store_usage_free(&ks, count);
            return -1;
        }
        ks[i].entries = st.ms_entries;
        ks[i].pages = st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
        ks[i].depth = st.ms_depth;
    }
    *ks_out = ks;
    *count_out = count;
    return 0;
}

void
pk_store_usage_free(pk_store_ks_stat_t **ks_p, size_t count)
{
    if (!ks_p || !*ks_p)
        return;
    for (size_t i = 0; i < count; i++)
        free((*ks_p)[i].name);
    free(*ks_p);
    *ks_p = NULL;
}
