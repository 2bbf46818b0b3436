// runner_harness: see runner_harness.h.
#include "runner_harness.h"
#include "test_work_root.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
harness_emit(void *arg, pk_msg_t *msg)
{
    harness_t *h = arg;
    pthread_mutex_lock(&h->lock);
    if (!msg) {     // the build's thread finished
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
        return;
    }
    switch (msg->type) {
    case PK_MSG_LOG:
        if (msg->log.seq != h->next_seq)
            h->seq_ok = false;
        h->next_seq = msg->log.seq + 1;
        h->log_msgs++;
        h->log_bytes += msg->log.data.size;
        if (h->keep_log && msg->log.data.size) {    // the last chunk is empty
            h->log = realloc(h->log, h->log_len + msg->log.data.size + 1);
            memcpy(h->log + h->log_len, msg->log.data.data, msg->log.data.size);
            h->log_len += msg->log.data.size;
            h->log[h->log_len] = 0;
        }
        break;
    case PK_MSG_STEP: {
        char buf[600];
        snprintf(buf, sizeof buf, "%s %s", msg->step.status, msg->step.name);
        zlist_append(h->steps, buf);   // autofree: the list keeps a copy
        break;
    }
    case PK_MSG_DONE:
        h->done_status = strdup(msg->done.status);
        h->done_reason = msg->done.reason ? strdup(msg->done.reason) : NULL;
        h->finished = true;
        break;
    case PK_MSG_VERSIONS:
        h->versions = *msg;
        memset(msg, 0, sizeof(*msg));
        h->versions.type = PK_MSG_VERSIONS;
        h->finished = true;
        break;
    default:
        break;
    }
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    // emit runs under the build's lock, so credit cannot be granted from
    // here; the waiting functions below grant it, one per LOG received
    pk_msg_clear(msg);
}

harness_t *
harness_start(const char *kind, const char *plan_json, bool auto_credit)
{
    harness_t *h = calloc(1, sizeof(*h));
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->auto_credit = auto_credit;
    h->keep_log = true;
    h->seq_ok = true;
    h->steps = zlist_new();
    zlist_autofree(h->steps);
    char *err = NULL;
    pk_value_t *plan = pk_value_from_json(plan_json, strlen(plan_json), &err);
    if (!plan) {
        fprintf(stderr, "harness: bad plan JSON: %s\n%s\n", err, plan_json);
        abort();
    }
    h->build = runner_build_new("build:test/job/1", 1, kind, plan, test_work_root(),
                                "test-worker", NULL, harness_emit, h);
    runner_build_start(h->build);
    return h;
}

static bool
s_wait_for(harness_t *h, bool (*pred)(harness_t *, const void *), const void *arg, int deadline_ms)
{
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += deadline_ms / 1000;
    end.tv_nsec += (long) (deadline_ms % 1000) * 1000000;
    if (end.tv_nsec >= 1000000000) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000;
    }
    size_t credited = 0;
    pthread_mutex_lock(&h->lock);
    for (;;) {
        if (pred(h, arg))
            break;
        // grant credit outside the emit path, one per LOG received
        if (h->auto_credit && credited < h->log_msgs) {
            uint32_t n = (uint32_t) (h->log_msgs - credited);
            credited = h->log_msgs;
            pthread_mutex_unlock(&h->lock);
            runner_build_credit(h->build, n);
            pthread_mutex_lock(&h->lock);
            continue;
        }
        struct timespec step;
        clock_gettime(CLOCK_REALTIME, &step);
        step.tv_nsec += 50 * 1000000;
        if (step.tv_nsec >= 1000000000) {
            step.tv_sec++;
            step.tv_nsec -= 1000000000;
        }
        if (step.tv_sec > end.tv_sec || (step.tv_sec == end.tv_sec && step.tv_nsec > end.tv_nsec))
            step = end;
        if (pthread_cond_timedwait(&h->cond, &h->lock, &step) != 0) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec)) {
                bool ok = pred(h, arg);
                pthread_mutex_unlock(&h->lock);
                return ok;
            }
        }
    }
    pthread_mutex_unlock(&h->lock);
    return true;
}

// DONE/VERSIONS arrived and the thread has finished (it says so last)
static bool
s_finished(harness_t *h, const void *arg)
{
    (void) arg;
    return h->finished && runner_build_finished(h->build);
}

static bool
s_logs(harness_t *h, const void *arg)
{
    return h->log_msgs >= *(const size_t *) arg;
}

static bool
s_text(harness_t *h, const void *arg)
{
    return h->log && strstr(h->log, (const char *) arg);
}

bool
harness_wait(harness_t *h, int deadline_ms)
{
    return s_wait_for(h, s_finished, NULL, deadline_ms);
}

bool
harness_wait_logs(harness_t *h, size_t n, int deadline_ms)
{
    return s_wait_for(h, s_logs, &n, deadline_ms);
}

bool
harness_wait_text(harness_t *h, const char *text, int deadline_ms)
{
    return s_wait_for(h, s_text, text, deadline_ms);
}

bool
harness_has_step(harness_t *h, const char *status_and_name)
{
    pthread_mutex_lock(&h->lock);
    bool found = false;
    for (char *s = zlist_first(h->steps); s && !found; s = zlist_next(h->steps))
        found = !strcmp(s, status_and_name);
    pthread_mutex_unlock(&h->lock);
    return found;
}

void
harness_destroy(harness_t **h_p)
{
    harness_t *h = *h_p;
    runner_build_destroy(&h->build);
    zlist_destroy(&h->steps);
    free(h->log);
    free(h->done_status);
    free(h->done_reason);
    pk_msg_clear(&h->versions);
    pthread_mutex_destroy(&h->lock);
    pthread_cond_destroy(&h->cond);
    free(h);
    *h_p = NULL;
}

char *
harness_tmpdir(void)
{
    char tmpl[] = "/tmp/pikoci-test-XXXXXX";
    return strdup(mkdtemp(tmpl));
}
