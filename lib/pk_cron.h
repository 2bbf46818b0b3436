// pk_cron: resource check_interval schedules: "@every <duration>" or a
// 5-field cron expression, answering "when is the next check after t?".
//
// All times are UTC: unix seconds in, unix seconds out. There are no time
// zones, so no DST gaps or repeated hours; "0 9 * * *" is 09:00 UTC. (Per
// schedule zones would need localtime under a fixed process TZ: left out.)
//
// Grammar (vixie cron, which croniter and PikoCI's go-cron follow):
//   minute hour day-of-month month day-of-week, separated by spaces or tabs
//   each field a comma list of: *  N  A-B  */S  A-B/S  A/S (= A-max/S)
//   ranges 0-59, 0-23, 1-31, 1-12 (or JAN-DEC), 0-7 (or SUN-SAT; 0 and 7 are
//   Sunday, and "FRI-SUN" / "5-0" reads as 5-7); names are case-insensitive
//   @yearly @annually @monthly @weekly @daily @midnight @hourly
//   @every <duration>   (pk_duration syntax, e.g. "@every 1m30s")
// Day matching follows vixie cron: when both day-of-month and day-of-week are
// restricted (neither field starts with '*'), a day matches if EITHER
// matches; otherwise both must ("0 0 13 * 5" is every 13th and every Friday,
// "0 0 */2 * 5" is odd-numbered Fridays). Note that go-cron differs on the
// second form (it treats "*/2" as restricted).
//
// Fields are bitmasks, and pk_cron_next finds the first matching month, then
// (by mask arithmetic) the day, hour and minute: constant work per month
// visited, never a scan minute by minute.
#ifndef PK_CRON_H
#define PK_CRON_H
#include <stdbool.h>
#include <stdint.h>

typedef struct _pk_cron_t pk_cron_t;

// Parses expr. Returns NULL with *err_out (caller frees; err_out may be NULL)
// naming the expression, the field and the problem, e.g.
//   cron "61 * * * *": minute field: 61 is out of range 0-59
// An expression that can never fire ("0 0 30 2 *") is accepted: its
// pk_cron_next is always -1.
pk_cron_t *pk_cron_new(const char *expr, char **err_out);
void pk_cron_destroy(pk_cron_t **self_p);

// The first fire time strictly after after_unix_seconds (UTC), or -1 when
// the schedule never fires. For "@every D" it is after + D, rounded up to a
// whole second. Cron schedules fire on whole minutes and are searched over
// 401 years, enough to be exact because the Gregorian calendar repeats every
// 400 years. Cron works in years 1..9999: an instant outside them, or a
// next fire beyond them, gives -1.
int64_t pk_cron_next(const pk_cron_t *self, int64_t after_unix_seconds);

// True for "@every <duration>"; pk_cron_every_ms is then its interval
// (0 for cron expressions).
bool pk_cron_is_every(const pk_cron_t *self);
int64_t pk_cron_every_ms(const pk_cron_t *self);

// The smallest gap between two fires, in milliseconds, for validating
// minimum intervals: the interval for @every, at least 60000 for cron. For
// cron it is exact within a day; across midnight it assumes two consecutive
// days can both fire, so it may understate (never overstate) the gap of a
// schedule whose days are never adjacent.
int64_t pk_cron_min_interval_ms(const pk_cron_t *self);

#endif
