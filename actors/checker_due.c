// checker_due: when each resource's check is due. The min-heap behind the
// actor's single poll timeout (pk_checker.h: a heap, not a timer per
// resource), and the arithmetic that feeds it.
//
// The heap keeps a copy of each deadline in its slot, so sifting walks one
// array and never touches the resources, and each resource knows its slot
// (heap_at), so moving or dropping one costs O(log n) and no search. Times
// are monotonic ms; the wall clock is read only where it is the truth: cron
// fire times and next checks stored before a restart.
#include "checker_internal.h"

// --- the heap: earliest due first

static void
s_heap_set(checker_t *self, size_t i, checker_slot_t slot)
{
    self->heap[i] = slot;
    slot.res->heap_at = i;
}

static void
s_heap_up(checker_t *self, size_t i)
{
    checker_slot_t slot = self->heap[i];
    while (i > 0 && slot.due < self->heap[(i - 1) / 2].due) {
        s_heap_set(self, i, self->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    s_heap_set(self, i, slot);
}

static void
s_heap_down(checker_t *self, size_t i)
{
    checker_slot_t slot = self->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= self->heap_n)
            break;
        if (c + 1 < self->heap_n && self->heap[c + 1].due < self->heap[c].due)
            c++;
        if (self->heap[c].due >= slot.due)
            break;
        s_heap_set(self, i, self->heap[c]);
        i = c;
    }
    s_heap_set(self, i, slot);
}

void
checker_heap_remove(checker_t *self, checker_res_t *r)
{
    size_t i = r->heap_at;
    if (i == CHECKER_NOT_IN_HEAP)
        return;
    r->heap_at = CHECKER_NOT_IN_HEAP;
    checker_slot_t last = self->heap[--self->heap_n];
    if (i == self->heap_n)
        return;
    s_heap_set(self, i, last);
    s_heap_up(self, i);
    s_heap_down(self, last.res->heap_at);
}

// Put r in the heap at due (or move it there).
void
checker_schedule(checker_t *self, checker_res_t *r, int64_t due)
{
    r->due = due;
    if (r->heap_at != CHECKER_NOT_IN_HEAP) {
        size_t i = r->heap_at;
        self->heap[i].due = due;
        s_heap_up(self, i);
        s_heap_down(self, r->heap_at);
        return;
    }
    if (self->heap_n == self->heap_cap) {
        self->heap_cap = self->heap_cap ? self->heap_cap * 2 : 64;
        self->heap = realloc(self->heap, self->heap_cap * sizeof(*self->heap));
    }
    s_heap_set(self, self->heap_n++, (checker_slot_t) { due, r });
    s_heap_up(self, r->heap_at);
}

// --- time

static uint64_t
s_random(checker_t *self)
{
    uint64_t x = self->rng;      // xorshift64*
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    self->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static int64_t
s_random_below(checker_t *self, int64_t n)
{
    return n > 0 ? (int64_t) (s_random(self) % (uint64_t) n) : 0;
}

// The shortest gap between two checks of r.
static int64_t
s_gap_ms(const checker_res_t *r)
{
    return r->every_ms ? r->every_ms : pk_cron_min_interval_ms(r->cron);
}

// Mono ms of the first cron fire after mono time `after` (INT64_MAX: never).
static int64_t
s_cron_due(const checker_res_t *r, int64_t after_mono)
{
    int64_t now_mono = zclock_mono(), now_wall = zclock_time();
    int64_t after_wall = now_wall + (after_mono - now_mono);
    int64_t next = pk_cron_next(r->cron, after_wall / 1000);
    if (next < 0)
        return INT64_MAX;
    return now_mono + (next * 1000 - now_wall) + r->offset_ms;
}

// When the check after one fired at `now` (planned for `base`) is due.
int64_t
checker_next_due(const checker_res_t *r, int64_t base, int64_t now)
{
    // a second past the fire it follows: cron fires whole minutes apart, and
    // a wall clock slewed a little behind the monotonic one must not make
    // the same minute fire twice
    if (!r->every_ms)
        return s_cron_due(r, (base > now ? base : now) + 1000);
    if (base + r->every_ms > now)
        return base + r->every_ms;
    // late by more than an interval: skip the missed ones, keep the phase
    return base + ((now - base) / r->every_ms + 1) * r->every_ms;
}

int64_t
checker_first_due(checker_t *self, const checker_res_t *r, int64_t now,
                  int64_t stored_next_wall)
{
    int64_t wall = zclock_time();
    if (stored_next_wall > wall) {
        // known from before a restart and not yet due: keep its timer
        int64_t stored = now + (stored_next_wall - wall);
        if (r->every_ms && stored <= now + r->every_ms)
            return stored;
        if (!r->every_ms)
            return s_cron_due(r, now);
    }
    int64_t window = s_gap_ms(r);
    if (window > self->first_max_ms)
        window = self->first_max_ms;
    return now + s_random_below(self, window);
}

int
checker_set_interval(checker_t *self, checker_res_t *r, const char *text, char **err)
{
    pk_cron_t *cron = pk_cron_new(text, err);
    if (!cron)
        return -1;
    pk_cron_destroy(&r->cron);
    r->cron = cron;
    free(r->interval);
    r->interval = strdup(text);
    r->every_ms = pk_cron_is_every(cron) ? pk_cron_every_ms(cron) : 0;
    int64_t spread = pk_cron_min_interval_ms(cron) / 4;
    if (spread > self->first_max_ms)
        spread = self->first_max_ms;
    r->offset_ms = r->every_ms ? 0 : s_random_below(self, spread);
    return 0;
}
