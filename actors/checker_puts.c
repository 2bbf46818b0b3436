// checker_puts: the versions a put produced (Concourse's implicit get after
// put). The scheduler sends them here because the checker is the only
// writer of versions; they are stored like a check's (in order, never twice,
// the resource's current version moves to the last), but the check's own
// state (counts, times, error) is left alone.
//
//   in  SIGNAL{what "put.versions", args {pipeline, resource, build?,
//         attempt?}, body [version maps, oldest first]}
//   out SIGNAL{to "scheduler", what "put.recorded", args {pipeline,
//         resource, build, attempt, id}} when build was given: id is the
//         put's version (the last), new or stored before -- before
//         versions.new, so the build counts as having it when the jobs it
//         triggers are chosen
//   out EVENT "resource.versions" and SIGNAL "versions.new" as a check
//         does, when any version was new
#include "checker_internal.h"
#include "pk_value_msgpack.h"

static void
s_tell_scheduler(checker_t *self, const char *what, const char *pipeline, const char *resource,
                 const char *const *kv)
{
    pk_msg_t m = { .type = PK_MSG_SIGNAL };
    m.signal.to = "scheduler";
    m.signal.what = (char *) what;
    pk_kv_set(&m.signal.args, "pipeline", pipeline);
    pk_kv_set(&m.signal.args, "resource", resource);
    for (size_t i = 0; kv[i]; i += 2)
        pk_kv_set(&m.signal.args, kv[i], kv[i + 1]);
    checker_send(self, &m);
    m.signal.to = m.signal.what = NULL;
    pk_msg_clear(&m);
}

static void
s_versions_event(checker_t *self, const char *pipeline, const char *resource, uint64_t first,
                 uint64_t last)
{
    pk_value_t *o = pk_value_new_object();
    pk_value_object_set(o, "pipeline", pk_value_new_string(pipeline));
    pk_value_object_set(o, "resource", pk_value_new_string(resource));
    pk_value_object_set(o, "first_id", pk_value_new_number((double) first));
    pk_value_object_set(o, "last_id", pk_value_new_number((double) last));
    pk_msg_t m = { .type = PK_MSG_EVENT };
    m.event.topic = "resource.versions";
    pk_value_pack_bytes(o, &m.event.body.data, &m.event.body.size);
    checker_send(self, &m);
    free(m.event.body.data);
    pk_value_destroy(&o);
}

void
checker_on_put(checker_t *self, pk_msg_t *m)
{
    const char *pipeline = pk_kv_get(&m->signal.args, "pipeline");
    const char *resource = pk_kv_get(&m->signal.args, "resource");
    const char *build = pk_kv_get(&m->signal.args, "build");
    const char *attempt = pk_kv_get(&m->signal.args, "attempt");
    if (!pipeline || !resource || !m->signal.body.size) {
        self->ignored++;
        return;
    }
    checker_flush(self);                // a check answered before keeps its order
    pk_check_result_t r = { .pipeline = pipeline, .resource = resource,
                            .versions = m->signal.body.data,
                            .versions_size = m->signal.body.size,
                            .checked_ms = zclock_time(), .put = true };
    if (pk_versions_record(self->versions, &r, 1) != 0) {
        zsys_error("%s: cannot store the versions a put made of %s/%s: %s", self->name,
                   pipeline, resource, pk_store_error());
        return;
    }
    if (r.rejected[0]) {
        zsys_warning("%s: a put of %s/%s %s", self->name, pipeline, resource, r.rejected);
        self->ignored++;
        return;
    }
    checker_res_t *res = checker_lookup(self, pipeline, resource);
    if (res && r.current.id) {          // the next check starts from the put's version
        free(res->version);
        res->version = r.current.data;
        res->version_size = r.current.size;
        r.current.data = NULL;
    }
    pk_version_clear(&r.current);
    char id[24], first[24], last[24];
    snprintf(id, sizeof id, "%" PRIu64, r.given_last);
    snprintf(first, sizeof first, "%" PRIu64, r.first_new);
    snprintf(last, sizeof last, "%" PRIu64, r.last_new);
    if (build && r.given_last) {
        const char *kv[] = { "build", build, "attempt", attempt ? attempt : "0", "id", id, NULL };
        s_tell_scheduler(self, "put.recorded", pipeline, resource, kv);
    }
    if (r.first_new) {
        self->news += r.last_new - r.first_new + 1;
        s_versions_event(self, pipeline, resource, r.first_new, r.last_new);
        const char *kv[] = { "first_id", first, "last_id", last, NULL };
        s_tell_scheduler(self, "versions.new", pipeline, resource, kv);
    }
}
