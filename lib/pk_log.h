// pk_log: the one place that formats the log lines of server, worker and
// broker. Everything logs through czmq's zsys_error/warning/notice/info/
// debug; pk_log_start points czmq's log stream at a stream of ours that
// takes each line czmq writes, drops it below --log-level, and writes it to
// stderr in one write(2) as
//   text  2026-12-06T19:34:50.123Z info pikoci: message
//   json  {"time":"2026-12-06T19:34:50.123Z","level":"info","ident":"pikoci","msg":"message"}
// Under systemd (stderr is the journal: $JOURNAL_STREAM names it) each line
// starts with the sd-daemon priority prefix <3>, <4>, <6> or <7> instead of
// the time, so journald files it at the right priority with its own
// timestamp (`journalctl -p warning` works); json keeps its time field.
#ifndef PK_LOG_H
#define PK_LOG_H

// Take --log-level LEVEL and --log-format FORMAT (also --opt=VALUE) out of
// argv, shifting the rest down (argv[0] stays). 0, or 2 with the error
// printed as "CMD: ..." on stderr (an unknown value, a missing one).
int pk_log_options(int *argc, char **argv, const char *cmd);
// Route czmq's log (and so every zsys_* call) through the format chosen by
// pk_log_options, under ident. Call once, before the actors start.
void pk_log_start(const char *ident);

// For --help.
#define PK_LOG_HELP \
    "  --log-level LEVEL        error, warn, info (default) or debug: lines below it\n" \
    "                           are dropped\n" \
    "  --log-format FORMAT      text (default) or json (one object per line); under\n" \
    "                           systemd lines carry journald's <N> priority prefix\n"

#endif
