// pk_cronres: the built-in "cron" resource type, a timer. The checker's
// check_interval decides when a check runs; every check is one new version
// stamped with the current UTC time, and pulling it does nothing.
//
// The date carries milliseconds ("2026-11-28T09:15:00.123Z") so two checks
// in the same second are still two distinct versions.
#ifndef PK_CRONRES_H
#define PK_CRONRES_H
#include <stdint.h>

#define PK_CRONRES_VERSION_KEY "date"

// [{"date":"<ISO-8601 UTC now>"}]. Never fails except out of memory.
int pk_cronres_check(char **versions_json_out, char **err_out);
// The same at a given time (unix milliseconds), for tests and replays.
int pk_cronres_check_at(int64_t unix_ms, char **versions_json_out, char **err_out);
// Nothing to fetch: always 0.
int pk_cronres_pull(char **err_out);

#endif
