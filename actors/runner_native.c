// runner_native: resource operations pikoci does in-process instead of
// spawning a command: cron (a new version at every check) for now; git and fs
// arrive with lib/pk_git and lib/pk_fsres.
#include "runner_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
s_unknown(const char *type, char **err_out)
{
    char buf[256];
    snprintf(buf, sizeof buf, "native resource type \"%s\" is not available in this runner", type);
    *err_out = strdup(buf);
    return -1;
}

int
runner_native_check(const pk_value_t *native, const pk_value_t *last_version,
                    const char *workdir, char **versions_json_out, char **err_out)
{
    (void) last_version;
    (void) workdir;
    *versions_json_out = NULL;
    *err_out = NULL;
    const char *type = pk_plan_str(native, "type", "");
    if (!strcmp(type, "cron")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char buf[128];
        snprintf(buf, sizeof buf, "[{\"date\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}]",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec);
        *versions_json_out = strdup(buf);
        return 0;
    }
    return s_unknown(type, err_out);
}

int
runner_native_get(const pk_value_t *native, const pk_value_t *version, const char *workdir,
                  char **err_out)
{
    (void) version;
    (void) workdir;
    *err_out = NULL;
    const char *type = pk_plan_str(native, "type", "");
    if (!strcmp(type, "cron"))
        return 0;    // nothing to fetch: the version is the tick
    return s_unknown(type, err_out);
}
