// cmd_report: `pikoci build P/J/N --report`, one build exported as a JSON
// document -- PikoCI's build report (status, steps, logs, approvals,
// versions) -- for archives, audits and other tools. The CLI assembles it
// from two answers the server already gives: the build (with its steps,
// versions, inputs, approvals) and its whole log, read from offset 0 to the
// end. The shape, one object with sorted keys:
//   report    {format "pikoci-build-report", version 1, generated_ms,
//              pikoci, commit: the CLI's version}
//   pipeline, job, number, status, attempt, reason, trigger, triggered_by,
//   worker, created_ms, started_ms, finished_ms, duration_ms
//   versions  {resource: version} the build used;  inputs {name: value}
//   approvals {needed, count, voters [user...]}
//   steps     [{step, kind, name, status, exit_code, started_ms,
//               finished_ms, duration_ms, message}]
//   logs      {bytes, text, lossy}: the log as stored; bytes that are not
//             UTF-8 become U+FFFD and set lossy (JSON carries text only)
#include "cli.h"
#include "pk_cmds.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double) ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

// Length of the valid UTF-8 character at s (n bytes left), or 0.
static size_t
s_utf8(const unsigned char *s, size_t n)
{
    size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n || (len == 2 && s[0] < 0xC2))
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

static pk_value_t *
s_text(const char *data, size_t size, bool *lossy)
{
    char *out = malloc(size * 3 + 1);
    size_t o = 0;
    *lossy = false;
    for (size_t i = 0; i < size;) {
        size_t len = s_utf8((const unsigned char *) data + i, size - i);
        if (len && data[i]) {
            memcpy(out + o, data + i, len);
            o += len;
            i += len;
        }
        else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);     // U+FFFD (also for NUL)
            o += 3;
            i++;
            *lossy = true;
        }
    }
    pk_value_t *v = pk_value_new_stringn(out, o);
    free(out);
    return v;
}

// The whole log of the build: 0, or the CLI's exit code.
static int
s_log(pk_cli_t *cli, const char *p, const char *j, const char *n, char **data, size_t *size)
{
    *data = NULL;
    *size = 0;
    uint64_t offset = 0;
    for (;;) {
        char off[32];
        snprintf(off, sizeof off, "%" PRIu64, offset);
        pk_value_t *v = NULL;
        int rc = pk_cli_request(cli, "logs", NULL, 0, &v, "pipeline", p, "job", j, "number", n,
                                "offset", off, NULL);
        if (rc != PK_CLI_OK)
            return rc;
        const pk_value_t *d = pk_value_object_get(v, "data");
        size_t len = pk_value_kind(d) == PK_V_STRING ? pk_value_len(d) : 0;
        *data = realloc(*data, *size + len + 1);
        memcpy(*data + *size, len ? pk_value_string(d) : "", len);
        *size += len;
        uint64_t next = (uint64_t) pk_cli_int(v, "next_offset");
        uint64_t total = (uint64_t) pk_cli_int(v, "size");
        pk_value_destroy(&v);
        if (next <= offset || next >= total)
            return PK_CLI_OK;
        offset = next;
    }
}

static void
s_copy(pk_value_t *out, const pk_value_t *b, const char *key)
{
    const pk_value_t *v = pk_value_object_get(b, key);
    pk_value_object_set(out, key, v ? pk_value_dup(v) : pk_value_new_null());
}

static pk_value_t *
s_span(const pk_value_t *o)
{
    int64_t from = pk_cli_int(o, "started_ms"), to = pk_cli_int(o, "finished_ms");
    return from && to >= from ? pk_value_new_number((double) (to - from)) : pk_value_new_null();
}

int
pk_cli_build_report(pk_cli_t *cli, const char *p, const char *j, const char *n)
{
    pk_value_t *b = NULL;
    int rc = pk_cli_request(cli, "build", NULL, 0, &b, "pipeline", p, "job", j, "number", n,
                            NULL);
    if (rc != PK_CLI_OK)
        return rc;
    char *log = NULL;
    size_t log_size = 0;
    rc = s_log(cli, p, j, pk_cli_str(b, "number"), &log, &log_size);
    if (rc != PK_CLI_OK) {
        pk_value_destroy(&b);
        return rc;
    }
    pk_value_t *r = pk_value_new_object();
    pk_value_t *meta = pk_value_new_object();
    pk_value_object_set(meta, "format", pk_value_new_string("pikoci-build-report"));
    pk_value_object_set(meta, "version", pk_value_new_number(1));
    pk_value_object_set(meta, "generated_ms", pk_value_new_number(s_now_ms()));
    pk_value_object_set(meta, "pikoci", pk_value_new_string(PK_VERSION));
    pk_value_object_set(meta, "commit", pk_value_new_string(PK_GIT_COMMIT));
    pk_value_object_set(r, "report", meta);
    static const char *const head[] = { "pipeline", "job", "number", "status", "attempt",
        "reason", "trigger", "worker", "created_ms", "started_ms", "finished_ms", "versions",
        "inputs", NULL };
    for (const char *const *k = head; *k; k++)
        s_copy(r, b, *k);
    const pk_value_t *by = pk_value_object_get(b, "by");
    pk_value_object_set(r, "triggered_by", by ? pk_value_dup(by) : pk_value_new_null());
    pk_value_object_set(r, "duration_ms", s_span(b));

    pk_value_t *approvals = pk_value_new_object();
    pk_value_object_set(approvals, "needed",
                        pk_value_new_number((double) pk_cli_int(b, "approvals_needed")));
    pk_value_object_set(approvals, "count", pk_value_new_number((double) pk_cli_int(b, "approvals")));
    pk_value_t *voters = pk_value_new_list();
    const char *names = pk_cli_str(b, "voters");        // one name per line
    for (const char *s = names; *s;) {
        size_t len = strcspn(s, "\n");
        if (len)
            pk_value_list_append(voters, pk_value_new_stringn(s, len));
        s += len + (s[len] ? 1 : 0);
    }
    pk_value_object_set(approvals, "voters", voters);
    pk_value_object_set(r, "approvals", approvals);

    pk_value_t *steps = pk_value_new_list();
    const pk_value_t *list = pk_value_object_get(b, "steps");
    for (size_t i = 0; i < pk_value_len(list); i++) {
        const pk_value_t *s = pk_value_list_at(list, i);
        pk_value_t *o = pk_value_dup(s);
        pk_value_object_set(o, "duration_ms", s_span(s));
        pk_value_list_append(steps, o);
    }
    pk_value_object_set(r, "steps", steps);

    pk_value_t *logs = pk_value_new_object();
    bool lossy;
    pk_value_object_set(logs, "bytes", pk_value_new_number((double) log_size));
    pk_value_object_set(logs, "text", s_text(log ? log : "", log_size, &lossy));
    pk_value_object_set(logs, "lossy", pk_value_new_bool(lossy));
    pk_value_object_set(r, "logs", logs);
    pk_cli_print_json(r);
    pk_value_destroy(&r);
    pk_value_destroy(&b);
    free(log);
    return PK_CLI_OK;
}
