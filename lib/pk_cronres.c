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
    int64_t secs = unix_ms / 1000 - (unix_ms % 1000 < 0);
    time_t t = (time_t) secs;
    struct tm tm;
    char date[64];
    // what `date` prints in the C locale, in UTC: "Sun Dec  6 18:53:35 UTC 2026"
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
                                          "Aug", "Sep", "Oct", "Nov", "Dec" };
    if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11) {
        if (err_out)
            *err_out = strdup("cron: the clock is out of range");
        return -1;
    }
    snprintf(date, sizeof date, "%s %s %2d %02d:%02d:%02d UTC %d", days[tm.tm_wday],
             months[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
    if (asprintf(versions_json_out, "[{\"date\":\"%s\"}]", date) < 0) {
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
pk_cronres_pull(const char *date, char **line_out)
{
    if (asprintf(line_out, "date: %s", date ? date : "") < 0)
        *line_out = NULL;
    return 0;
}
