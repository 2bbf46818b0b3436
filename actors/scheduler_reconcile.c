// scheduler_reconcile: versions the checker recorded but whose versions.new
// never reached us still get their builds. The broker drops a signal to a
// role nobody has said HELLO for yet (a restart: the checker may store a
// version and signal it after our start-up catch-up read the store but
// before the broker learned our HELLO), and a restarted standalone broker
// forgets us until the next HELLO. So after each HELLO the scheduler sends
// itself "sched.registered" through the broker: when it comes back the
// broker routes to us, every later versions.new arrives, and one pass over
// the store (sched_catch_up per resource; the jobs' baselines make it
// idempotent) covers every version committed before. A version committed
// after that read sends its versions.new to a registered role.
// Cost: one newest-id read per resource; resources whose newest id did not
// change since the last pass are not looked at further -- except on every
// 12th pass (a minute), which looks at all, in case a catch-up failed on a
// store error.
#include "scheduler_internal.h"

void
sched_registered_ask(sched_t *self)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = strdup("scheduler");
    m.signal.what = strdup("sched.registered");
    sched_send(self, &m);
    pk_msg_clear(&m);
}

void
sched_reconcile(sched_t *self)
{
    zhash_t *seen = zhash_new();
    size_t caught = 0;
    bool all = self->reconcile_passes++ % 12 == 0;
    for (sched_pipe_t *sp = zhash_first(self->pipelines); sp; sp = zhash_next(self->pipelines))
        for (size_t r = 0; r < sp->model->resource_count; r++) {
            const char *res = sp->model->resources[r]->canonical;
            char key[600];
            snprintf(key, sizeof key, "%s\x1f%" PRIu64 "\x1f%s", sp->name, sp->life, res);
            uint64_t last = sched_latest_id(self, NULL, sp->name, res);
            uint64_t *before = self->reconciled ? zhash_lookup(self->reconciled, key) : NULL;
            if (all || !before || *before != last) {
                uint64_t created = self->created;
                sched_catch_up(self, sp, res, last);
                caught += self->created - created;
            }
            uint64_t *now = malloc(sizeof *now);
            if (now) {
                *now = last;
                zhash_insert(seen, key, now);
                zhash_freefn(seen, key, free);
            }
        }
    zhash_destroy(&self->reconciled);
    self->reconciled = seen;            // only resources that still exist
    if (caught)
        zsys_info("%s: %zu builds created for versions whose news was lost", self->name,
                  caught);
}
