// pk_cronres: the built-in "cron" resource type, a timer, in the shape of
// PikoCI's cron.hcl. The checker's check_interval decides when a check runs;
// every check is one new version, {"date": "<what `date` prints>"} (C
// locale, UTC: "Sun Dec  6 18:53:35 UTC 2026"), and pulling it prints
// "date: <that date>" to the step's log and fetches nothing.
//
// Like PikoCI's, the date has whole seconds: two checks within the same
// second find the same version, hence one build (the minimum interval is 10 s).
#ifndef PK_CRONRES_H
#define PK_CRONRES_H
#include <stdint.h>

#define PK_CRONRES_VERSION_KEY "date"

// [{"date":"<date now>"}]. Never fails except out of memory.
int pk_cronres_check(char **versions_json_out, char **err_out);
// The same at a given time (unix milliseconds), for tests and replays.
int pk_cronres_check_at(int64_t unix_ms, char **versions_json_out, char **err_out);
// Nothing to fetch: always 0, with *line_out = "date: <date>" (caller frees).
int pk_cronres_pull(const char *date, char **line_out);

#endif
