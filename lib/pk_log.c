// pk_log: czmq's log lines, filtered and formatted in one place (pk_log.h).
//
// Why a cookie stream rather than our own logging calls: every actor
// already logs with zsys_*, and czmq offers no callback, only a FILE*. So
// the FILE* is ours (fopencookie): czmq writes "L: (ident) yy-mm-dd
// HH:MM:SS message\n" into it under the stream's lock, we gather bytes up
// to each newline, parse the level letter and the message, and write the
// line in the chosen format. The stream's lock also serialises our buffer.
#include "pk_log.h"
#include <czmq.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { S_ERROR, S_WARN, S_INFO, S_DEBUG };
static const char *const s_levels[] = { "error", "warn", "info", "debug" };
static const int s_priority[] = { 3, 4, 6, 7 };     // syslog's, for journald

static int s_level = S_INFO;
static bool s_json;
static bool s_journal;
static char s_ident[64] = "pikoci";
static char s_line[2048];
static size_t s_len;

static int
s_lookup(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return i;
    return -1;
}

int
pk_log_options(int *argc, char **argv, const char *cmd)
{
    static const char *const formats[] = { "text", "json" };
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        bool level = !strncmp(a, "--log-level", 11) && (!a[11] || a[11] == '=');
        bool format = !strncmp(a, "--log-format", 12) && (!a[12] || a[12] == '=');
        if (!level && !format) {
            argv[kept++] = argv[i];
            continue;
        }
        const char *v = strchr(a, '=');
        if (v)
            v++;
        else
        if (i + 1 < *argc)
            v = argv[++i];
        else {
            fprintf(stderr, "%s: %s needs a value\n", cmd, a);
            return 2;
        }
        int k = level ? s_lookup(v, s_levels, 4) : s_lookup(v, formats, 2);
        if (k < 0) {
            fprintf(stderr, "%s: %s %s: unknown value; valid choices: %s\n", cmd,
                    level ? "--log-level" : "--log-format", v,
                    level ? "error, warn, info, debug" : "text, json");
            return 2;
        }
        if (level)
            s_level = k;
        else
            s_json = k == 1;
    }
    *argc = kept;
    argv[kept] = NULL;
    return 0;
}

// JSON string body of s into out (room: 6 * strlen + 1).
static size_t
s_escape(char *out, const char *s)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            out[o++] = '\\';
            out[o++] = (char) *c;
        }
        else
        if (*c < 0x20)
            o += (size_t) sprintf(out + o, "\\u%04x", *c);
        else
            out[o++] = (char) *c;
    }
    out[o] = 0;
    return o;
}

// One line as czmq wrote it (no newline), written out in our format.
static void
s_emit(char *line)
{
    int level = S_INFO;
    char *msg = line;
    // "L: (ident) yy-mm-dd HH:MM:SS message"; anything else is an info line
    if (line[0] && line[1] == ':' && line[2] == ' ') {
        const char *letters = "EWNID";
        static const int map[] = { S_ERROR, S_WARN, S_INFO, S_INFO, S_DEBUG };
        const char *at = strchr(letters, line[0]);
        if (at) {
            level = map[at - letters];
            msg = line + 3;
            if (*msg == '(' && strstr(msg, ") "))
                msg = strstr(msg, ") ") + 2;
            if (strlen(msg) > 18 && msg[2] == '-' && msg[5] == '-' && msg[8] == ' '
                && msg[11] == ':' && msg[14] == ':' && msg[17] == ' ')
                msg += 18;
        }
    }
    if (level > s_level)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[64];              // room for any int gcc's truncation check can imagine
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int) (ts.tv_nsec / 1000000));
    char prefix[8] = "";
    if (s_journal)
        snprintf(prefix, sizeof prefix, "<%d>", s_priority[level]);
    size_t room = strlen(msg) * 6 + 256;
    char *out = malloc(room);
    int n;
    if (s_json) {
        char *m = malloc(strlen(msg) * 6 + 1), ident[sizeof s_ident * 6];
        s_escape(m, msg);
        s_escape(ident, s_ident);
        n = snprintf(out, room, "%s{\"time\":\"%s\",\"level\":\"%s\",\"ident\":\"%s\",\"msg\":\"%s\"}\n",
                     prefix, when, s_levels[level], ident, m);
        free(m);
    }
    else
    if (s_journal)
        n = snprintf(out, room, "%s%s\n", prefix, msg);
    else
        n = snprintf(out, room, "%s %s %s: %s\n", when, s_levels[level], s_ident, msg);
    if (n > 0) {
        size_t len = (size_t) n < room ? (size_t) n : room - 1;
        for (size_t done = 0; done < len;) {
            ssize_t w = write(STDERR_FILENO, out + done, len - done);
            if (w <= 0)
                break;
            done += (size_t) w;
        }
    }
    free(out);
}

static ssize_t
s_write(void *cookie, const char *buf, size_t size)
{
    (void) cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') {
            s_line[s_len] = 0;
            s_emit(s_line);
            s_len = 0;
        }
        else
        if (s_len < sizeof s_line - 1)
            s_line[s_len++] = buf[i];
    }
    return (ssize_t) size;
}

// Is stderr the journal? systemd sets JOURNAL_STREAM to "device:inode" of it.
static bool
s_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    struct stat st;
    unsigned long long dev, ino;
    return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0
        && (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void
pk_log_start(const char *ident)
{
    snprintf(s_ident, sizeof s_ident, "%s", ident ? ident : "pikoci");
    s_journal = s_stderr_is_journal();
    cookie_io_functions_t io = { .write = s_write };
    FILE *f = fopencookie(NULL, "w", io);
    if (!f) {
        zsys_set_logstream(stderr);
        return;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    zsys_set_logstream(f);      // lives as long as the process
    zsys_set_logident(s_ident);
}
