// pk_duration: Go-style duration strings ("30m", "1h30m", "1.5h", "250ms"),
// as written in pipelines (timeout, check_interval "@every 1m", service
// ready_check interval). Parsing follows Go's time.ParseDuration so that a
// pipeline PikoCI (Go) accepts is accepted here, with these deliberate
// differences:
//   - a negative duration is an error (no pipeline setting means "minus 5s");
//   - the result is whole milliseconds, the resolution of our timers: finer
//     parts are truncated, and a non-zero duration under 1ms is an error
//     rather than silently becoming 0 (which callers may read as "none");
//   - whitespace anywhere is an error with its own message.
// The limit is Go's (int64 nanoseconds, about 2562047h), so both agree on
// what is too large.
#ifndef PK_DURATION_H
#define PK_DURATION_H
#include <stdint.h>

// Parses text into milliseconds. Units: ns, us (or µs), ms, s, m, h;
// decimals ("1.5h", ".5s") and sequences ("2h45m10s"); a bare "0" needs no
// unit. Returns 0, or -1 with *err_out (caller frees; err_out may be NULL)
// saying what is wrong, e.g.
//   unknown unit "x" in duration "10x" (valid units: ns, us, ms, s, m, h)
// *ms_out is written only on success.
int pk_duration_parse(const char *text, int64_t *ms_out, char **err_out);

// Human form for logs: "1h30m", "1m30.5s", "250ms", "0s" (zero parts are
// left out; negative values get a leading "-"). pk_duration_parse reads any
// non-negative result back to the same value. Caller frees; NULL only when
// out of memory.
char *pk_duration_format(int64_t ms);

#endif
