// pk_cronres: the "cron" resource; see pk_cronres.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pk_cronres.h"

int
pk_cronres_check_at(int64_t unix_ms, char **versions_json_out, char **err_out)
{
    *versions_json_out = NULL;
    int64_t ms = unix_ms % 1000, secs = unix_ms / 1000;
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    time_t t = (time_t) secs;
    struct tm tm;
    char date[64];
    if (!gmtime_r(&t, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm)) {
        if (err_out)
            *err_out = strdup("cron: the clock is out of range");
        return -1;
    }
    if (asprintf(versions_json_out, "[{\"date\":\"%s.%03dZ\"}]", date, (int) ms) < 0) {
        *versions_json_out = NULL;
        if (err_out)
            *err_out = strdup("cron: out of memory");
        return -1;
    }
    return 0;
}

int
pk_cronres_check(char **versions_json_out, char **err_out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return pk_cronres_check_at((int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000,
                               versions_json_out, err_out);
}

int
pk_cronres_pull(char **err_out)
{
    (void) err_out;
    return 0;
}
