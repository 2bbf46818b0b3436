// runner_harness: runs one work item through runner_build (the real executor,
// real processes) and collects what it emits, the way the runner actor would
// forward it. Credit is granted back per LOG message unless told otherwise.
#ifndef RUNNER_HARNESS_H
#define RUNNER_HARNESS_H
#include "runner_internal.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    runner_build_t *build;
    bool auto_credit;
    bool keep_log;          // keep LOG bytes (else only count them)
    char *log;              // all LOG bytes, in order
    size_t log_len;
    size_t log_bytes;
    size_t log_msgs;
    uint64_t next_seq;      // LOG seq must arrive gap-free
    bool seq_ok;
    zlist_t *steps;         // "status name" strings in order
    char *done_status;
    char *done_reason;
    pk_msg_t versions;      // the VERSIONS message, for checks
    bool finished;
} harness_t;

// The emit callback harness_start installs (for tests that build by hand).
void harness_emit(void *arg, pk_msg_t *msg);
// plan_json: the plan as JSON. kind "build" or "check".
harness_t *harness_start(const char *kind, const char *plan_json, bool auto_credit);
// Waits (deadline ms) for DONE/VERSIONS; false on timeout.
bool harness_wait(harness_t *h, int deadline_ms);
// Waits until at least n LOG messages arrived.
bool harness_wait_logs(harness_t *h, size_t n, int deadline_ms);
// Waits until the log contains text.
bool harness_wait_text(harness_t *h, const char *text, int deadline_ms);
bool harness_has_step(harness_t *h, const char *status_and_name);
void harness_destroy(harness_t **h_p);
// A fresh temporary directory (caller frees), removed by the test itself.
char *harness_tmpdir(void);

#endif
