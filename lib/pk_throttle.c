// pk_throttle: failures per key and their backoff (pk_throttle.h).
#include "pk_throttle.h"
#include <czmq.h>

typedef struct {
    int count;                  // failures in the current run
    int64_t last_ms;            // the latest failure
    int64_t until_ms;           // no attempt before this
} s_entry_t;

struct _pk_throttle_t {
    pk_throttle_config_t cfg;
    zhash_t *keys;              // key -> s_entry_t
};

pk_throttle_t *
pk_throttle_new(const pk_throttle_config_t *cfg)
{
    pk_throttle_t *self = calloc(1, sizeof *self);
    if (cfg)
        self->cfg = *cfg;
    if (self->cfg.failures < 0)
        self->cfg.failures = 0;
    if (self->cfg.window_ms <= 0)
        self->cfg.window_ms = PK_THROTTLE_WINDOW_MS;
    if (self->cfg.backoff_ms <= 0)
        self->cfg.backoff_ms = PK_THROTTLE_BACKOFF_MS;
    if (self->cfg.backoff_max_ms <= 0)
        self->cfg.backoff_max_ms = PK_THROTTLE_BACKOFF_MAX_MS;
    if (self->cfg.backoff_max_ms < self->cfg.backoff_ms)
        self->cfg.backoff_max_ms = self->cfg.backoff_ms;
    if (!self->cfg.max_keys)
        self->cfg.max_keys = 65536;
    self->keys = zhash_new();
    return self;
}

void
pk_throttle_destroy(pk_throttle_t **self_p)
{
    pk_throttle_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zhash_destroy(&self->keys);
    free(self);
    *self_p = NULL;
}

static bool
s_stale(const pk_throttle_t *self, const s_entry_t *e, int64_t now)
{
    return now - e->last_ms >= self->cfg.window_ms && now >= e->until_ms;
}

// Room for one more key: drop the stale ones, then (a flood of names) the
// one whose last failure is oldest.
static void
s_make_room(pk_throttle_t *self, int64_t now)
{
    if (zhash_size(self->keys) < self->cfg.max_keys)
        return;
    zlist_t *keys = zhash_keys(self->keys);
    const char *oldest = NULL;
    int64_t oldest_ms = INT64_MAX;
    for (const char *k = zlist_first(keys); k; k = zlist_next(keys)) {
        s_entry_t *e = zhash_lookup(self->keys, k);
        if (s_stale(self, e, now))
            zhash_delete(self->keys, k);
        else
        if (e->last_ms < oldest_ms) {
            oldest_ms = e->last_ms;
            oldest = k;
        }
    }
    if (zhash_size(self->keys) >= self->cfg.max_keys && oldest)
        zhash_delete(self->keys, oldest);
    zlist_destroy(&keys);
}

int64_t
pk_throttle_wait(pk_throttle_t *self, const char *key, int64_t now_ms)
{
    s_entry_t *e = self->cfg.failures ? zhash_lookup(self->keys, key) : NULL;
    return e && e->until_ms > now_ms ? e->until_ms - now_ms : 0;
}

int64_t
pk_throttle_failed(pk_throttle_t *self, const char *key, int64_t now_ms)
{
    if (!self->cfg.failures)
        return 0;
    s_entry_t *e = zhash_lookup(self->keys, key);
    if (e && s_stale(self, e, now_ms))
        e->count = 0;
    if (!e) {
        s_make_room(self, now_ms);
        e = calloc(1, sizeof *e);
        zhash_insert(self->keys, key, e);
        zhash_freefn(self->keys, key, free);
    }
    e->count++;
    e->last_ms = now_ms;
    if (e->count < self->cfg.failures)
        return 0;
    int64_t wait = self->cfg.backoff_ms;
    for (int i = self->cfg.failures; i < e->count && wait < self->cfg.backoff_max_ms; i++)
        wait *= 2;
    if (wait > self->cfg.backoff_max_ms)
        wait = self->cfg.backoff_max_ms;
    e->until_ms = now_ms + wait;
    return wait;
}

void
pk_throttle_ok(pk_throttle_t *self, const char *key)
{
    zhash_delete(self->keys, key);
}

size_t
pk_throttle_size(pk_throttle_t *self)
{
    return zhash_size(self->keys);
}

int64_t
pk_throttle_seconds(int64_t ms)
{
    int64_t s = (ms + 999) / 1000;
    return s < 1 ? 1 : s;
}
