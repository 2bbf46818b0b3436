// services_util: see services_util.h.
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "services_util.h"

int64_t
t_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

harness_t *
t_build(const char *dir, const char *rest)
{
    size_t n = strlen(rest) + strlen(dir) + 256;
    char *json = malloc(n);
    snprintf(json, n, "{\"env\":{\"D\":\"%s\",\"BUILD_NUMBER\":\"4\",\"BUILD_JOB_NAME\":\"it\"},%s}",
             dir, rest);
    harness_t *h = harness_start("build", json, true);
    free(json);
    return h;
}

void
t_done(harness_t *h, const char *status)
{
    assert_true(harness_wait(h, 60000));
    if (strcmp(h->done_status, status))
        fail_msg("build %s, expected %s; log:\n%s", h->done_status, status, h->log ? h->log : "");
}

int
t_pos(harness_t *h, const char *status_and_name)
{
    pthread_mutex_lock(&h->lock);
    int i = 0, found = -1;
    for (char *s = zlist_first(h->steps); s && found < 0; s = zlist_next(h->steps), i++)
        if (!strcmp(s, status_and_name))
            found = i;
    pthread_mutex_unlock(&h->lock);
    return found;
}

char *
t_read(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

bool
t_exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0;
}

void
t_rmdir(char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}
