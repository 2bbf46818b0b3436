// services_util: what the service and notification executor tests share:
// plans written as JSON with a few macros, a build run through the real
// executor (runner_harness) with $D pointing at a scratch directory, and
// small file and step-order helpers.
#ifndef SERVICES_UTIL_H
#define SERVICES_UTIL_H
#include "runner_harness.h"

#define SH(script) "{\"runner\":{\"name\":\"shell\"},\"params\":{\"cmd\":\"" script "\"}}"
#define TASK(name, script) "{\"kind\":\"task\",\"name\":\"" name "\",\"cmd\":" SH(script) "}"
// a service with a ready_check polled every 50 ms for at most 5 s
#define SVC(name, start, ready, stop, extra) \
    "{\"kind\":\"service\",\"name\":\"" name "\",\"start\":" SH(start) \
    ",\"ready_check\":" SH(ready) ",\"ready_interval_ms\":50,\"ready_timeout_ms\":5000" \
    ",\"stop\":" SH(stop) extra "}"
// the marker service of the acceptance test: start writes $D/marker a little
// later, ready_check waits for it, stop removes it and says so in $D/stops
#define MARKER SVC("db", "sleep 0.2; echo up > $D/marker", "test -f $D/marker", \
                   "rm -f $D/marker; echo stopped-db >> $D/stops", "")

int64_t t_now_ms(void);
// Runs a build whose plan is {"env": {"D": dir, BUILD_NUMBER 4, BUILD_JOB_NAME it}, REST}.
harness_t *t_build(const char *dir, const char *rest);
// Waits for DONE and fails the test (showing the log) unless it has status.
void t_done(harness_t *h, const char *status);
// Position of a "status name" step message, -1 when absent.
int t_pos(harness_t *h, const char *status_and_name);
// dir/name's content ("" when absent; caller frees), existence.
char *t_read(const char *dir, const char *name);
bool t_exists(const char *dir, const char *name);
// rm -rf dir, and frees the string.
void t_rmdir(char *dir);

#endif
