// test_runner_mask: secret masking (actors/runner_mask.c). The expected
// output always comes from a reference computed here independently -- the
// forms of a value by a real python process or a plain bit-by-bit base64,
// the masking by a naive union of occurrences -- and the stream is checked
// against it for every cut of the input, then a real process that writes a
// secret one byte at a time runs through the runner.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "runner_harness.h"

// --- reference

typedef struct {
    size_t count;
    char *pats[64];
    size_t lens[64];
} ref_t;

static void
ref_add_raw(ref_t *r, const char *p, size_t len)
{
    if (len < 3)
        return;
    r->pats[r->count] = malloc(len);
    memcpy(r->pats[r->count], p, len);
    r->lens[r->count++] = len;
}

// base64 bit by bit: a different way from the module's table-per-triplet
static char *
ref_b64(const unsigned char *in, size_t len, size_t *out_len)
{
    const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t bits = len * 8, n = (bits + 5) / 6;
    char *out = calloc(n + 1, 1);
    for (size_t k = 0; k < n; k++) {
        unsigned v = 0;
        for (size_t b = 0; b < 6; b++) {
            size_t bit = k * 6 + b;
            unsigned x = bit < bits ? (in[bit / 8] >> (7 - bit % 8)) & 1 : 0;
            v = v << 1 | x;
        }
        out[k] = tbl[v];
    }
    *out_len = n;
    return out;
}

static void
ref_add_n(ref_t *r, const char *v, size_t len)
{
    if (len < 3)
        return;
    ref_add_raw(r, v, len);
    size_t t = len;
    while (t && (v[t - 1] == '\n' || v[t - 1] == '\r'))
        t--;
    ref_add_raw(r, v, t);
    size_t n;
    char *b = ref_b64((const unsigned char *) v, len, &n);
    ref_add_raw(r, b, n);
    free(b);
    char esc[1024];
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) v[i];
        if (c == '"' || c == '\\')
            o += (size_t) sprintf(esc + o, "\\%c", c);
        else if (c == '\n')
            o += (size_t) sprintf(esc + o, "\\n");
        else if (c == '\t')
            o += (size_t) sprintf(esc + o, "\\t");
        else if (c == '\r')
            o += (size_t) sprintf(esc + o, "\\r");
        else if (c == '\b')
            o += (size_t) sprintf(esc + o, "\\b");
        else if (c == '\f')
            o += (size_t) sprintf(esc + o, "\\f");
        else if (c < 0x20)
            o += (size_t) sprintf(esc + o, "\\u%04x", c);
        else
            esc[o++] = (char) c;
    }
    ref_add_raw(r, esc, o);
}

static void
ref_add(ref_t *r, const char *v)
{
    ref_add_n(r, v, strlen(v));
}

static void
ref_clear(ref_t *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->pats[i]);
    r->count = 0;
}

static char *
ref_mask(const ref_t *r, const char *in, size_t len, size_t *out_len)
{
    char *cov = calloc(len + 1, 1);
    for (size_t i = 0; i < len; i++)
        for (size_t k = 0; k < r->count; k++)
            if (r->lens[k] <= len - i && !memcmp(in + i, r->pats[k], r->lens[k]))
                memset(cov + i, 1, r->lens[k]);
    char *out = malloc(len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; ) {
        if (cov[i]) {
            memcpy(out + o, "***", 3);
            o += 3;
            while (i < len && cov[i])
                i++;
        }
        else
            out[o++] = in[i++];
    }
    free(cov);
    *out_len = o;
    return out;
}

// Feeds the text in pieces cut at the given positions; returns all output.
static char *
stream_cuts(const runner_mask_t *m, const char *in, size_t len, const size_t *cuts, size_t ncuts,
            size_t *out_len)
{
    runner_mask_stream_t *s = runner_mask_stream_new(m);
    char *all = malloc(len * 3 + 16);
    size_t o = 0, from = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t to = c < ncuts ? cuts[c] : len;
        const char *part;
        size_t n = runner_mask_stream_write(s, in + from, to - from, &part);
        memcpy(all + o, part, n);
        o += n;
        from = to;
    }
    const char *part;
    size_t n = runner_mask_stream_flush(s, &part);
    memcpy(all + o, part, n);
    o += n;
    runner_mask_stream_destroy(&s);
    *out_len = o;
    return all;
}

static void
assert_every_cut(const runner_mask_t *m, const ref_t *r, const char *in, size_t len)
{
    size_t elen;
    char *expect = ref_mask(r, in, len, &elen);
    size_t olen;
    char *one = runner_mask_apply(m, in, len, &olen);
    assert_int_equal(olen, elen);
    assert_memory_equal(one, expect, elen);
    free(one);
    for (size_t cut = 0; cut <= len; cut++) {           // two chunks, cut anywhere
        char *got = stream_cuts(m, in, len, &cut, 1, &olen);
        if (olen != elen || memcmp(got, expect, elen)) {
            fprintf(stderr, "cut at %zu: got %.*s\nexpected %.*s\n", cut, (int) olen, got,
                    (int) elen, expect);
            fail();
        }
        free(got);
    }
    for (size_t a = 0; a <= len && len <= 80; a++)      // three chunks, every pair of cuts
        for (size_t b = a; b <= len; b++) {
            size_t cuts[2] = { a, b };
            char *got = stream_cuts(m, in, len, cuts, 2, &olen);
            assert_int_equal(olen, elen);
            assert_memory_equal(got, expect, elen);
            free(got);
        }
    size_t *ones = malloc((len + 1) * sizeof(size_t));  // one byte at a time
    for (size_t i = 0; i < len; i++)
        ones[i] = i + 1;
    char *got = stream_cuts(m, in, len, ones, len ? len - 1 : 0, &olen);
    assert_int_equal(olen, elen);
    assert_memory_equal(got, expect, elen);
    free(got);
    free(ones);
    free(expect);
}

static runner_mask_t *
mask_of(ref_t *r, const char *const *values)
{
    runner_mask_t *m = runner_mask_new();
    for (size_t i = 0; values[i]; i++) {
        runner_mask_add(m, values[i], strlen(values[i]));
        ref_add(r, values[i]);
    }
    return m;
}

static void
test_split_everywhere(void **state)
{
    (void) state;
    const char *values[] = { "s3cr3t-token", "hunter2", NULL };
    ref_t r = { 0 };
    runner_mask_t *m = mask_of(&r, values);
    const char *texts[] = {
        "user=admin password=hunter2 token=s3cr3t-token\n",
        "s3cr3t-tokenhunter2s3cr3t-token",
        "s3cr3t-tokes3cr3t-token hunte hunter2hunter2",  // near misses before hits
        "no secret here at all, only s3cr3t- and hunter",
        "czNjcjN0LXRva2Vu is the base64 of the token",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_every_cut(m, &r, texts[i], strlen(texts[i]));
    size_t n;
    char *out = runner_mask_apply(m, texts[0], strlen(texts[0]), &n);
    assert_string_equal(out, "user=admin password=*** token=***\n");
    free(out);
    runner_mask_destroy(&m);
    assert_null(m);
    ref_clear(&r);
}

static void
test_overlapping(void **state)
{
    (void) state;
    const char *values[] = { "abcdef", "defghi", "xyzxyz", NULL };
    ref_t r = { 0 };
    runner_mask_t *m = mask_of(&r, values);
    const char *texts[] = { "..abcdefghi..", "abcdefdefghi", "xyzxyzxyz|xyzxyzxyzxyz", "abcdeXdefgh" };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        assert_every_cut(m, &r, texts[i], strlen(texts[i]));
    char *out = runner_mask_str(m, "..abcdefghi..");
    assert_string_equal(out, "..***..");       // one run, nothing of either revealed
    free(out);
    runner_mask_destroy(&m);
    ref_clear(&r);
}

static void
test_short_values_not_masked(void **state)
{
    (void) state;
    runner_mask_t *m = runner_mask_new();
    runner_mask_add(m, "ab", 2);
    runner_mask_add(m, "7", 1);
    runner_mask_add(m, "", 0);
    assert_int_equal(runner_mask_count(m), 0);
    char *out = runner_mask_str(m, "ab 7 ab7");
    assert_string_equal(out, "ab 7 ab7");
    free(out);
    runner_mask_add(m, "abc", 3);        // three is enough
    out = runner_mask_str(m, "ab abc");
    assert_string_equal(out, "ab ***");
    free(out);
    runner_mask_destroy(&m);
}

static void
test_binary(void **state)
{
    (void) state;
    const char bin_secret[] = "\x01\xff\x00zz\x80";   // with a NUL inside
    runner_mask_t *m = runner_mask_new();
    runner_mask_add(m, bin_secret, sizeof bin_secret - 1);
    runner_mask_add(m, "pass\tword\n", 10);
    ref_t r = { 0 };
    ref_add_n(&r, bin_secret, sizeof bin_secret - 1);
    ref_add(&r, "pass\tword\n");
    srand(7);
    char buf[300];
    for (int round = 0; round < 20; round++) {
        size_t len = 0;
        while (len < 200) {
            int pick = rand() % 10;
            if (pick == 0) {
                memcpy(buf + len, bin_secret, sizeof bin_secret - 1);
                len += sizeof bin_secret - 1;
            }
            else if (pick == 1) {
                memcpy(buf + len, "pass\tword", 9);
                len += 9;
            }
            else
                buf[len++] = (char) (rand() % 256);
        }
        assert_every_cut(m, &r, buf, len);
    }
    runner_mask_destroy(&m);
    ref_clear(&r);
}

// The forms as a real python prints them: base64 and JSON.
static void
test_forms_from_python(void **state)
{
    (void) state;
    const char *value = "p\"a\\ss\nw0rd/é";
    runner_mask_t *m = runner_mask_new();
    runner_mask_add(m, value, strlen(value));
    char *tmp = harness_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/v", tmp);
    FILE *f = fopen(path, "wb");
    fputs(value, f);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c 'import base64,json,sys; v=open(sys.argv[1],\"rb\").read(); "
             "print(\"b64:\", base64.b64encode(v).decode()); print(\"json:\", json.dumps(v.decode(), ensure_ascii=False)); "
             "print(\"yaml-ish:\", v.decode())' %s", path);
    FILE *p = popen(cmd, "r");
    char out[4096];
    size_t n = fread(out, 1, sizeof out - 1, p);
    assert_int_equal(pclose(p), 0);
    out[n] = 0;
    assert_non_null(strstr(out, "b64: "));
    size_t mlen;
    char *masked = runner_mask_apply(m, out, n, &mlen);
    assert_null(strstr(masked, "cCJhXHNzCncwcmQvw6k"));        // no trace of the base64 ...
    assert_null(strstr(masked, "w0rd"));                       // ... nor of the value or its JSON
    assert_non_null(strstr(masked, "b64: ***"));
    assert_non_null(strstr(masked, "json: \"***\""));
    assert_non_null(strstr(masked, "yaml-ish: ***"));
    free(masked);
    runner_mask_destroy(&m);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    assert_int_equal(system(rm), 0);
    free(tmp);
}

// A real process writes a secret one byte at a time, with pauses, so the
// runner reads it in many chunks.
static void
test_process_byte_by_byte(void **state)
{
    (void) state;
    char *tmp = harness_tmpdir();
    char plan[4096], path[512];
    snprintf(path, sizeof path, "%s/slow.sh", tmp);
    FILE *f = fopen(path, "w");
    fputs("printf 'before '\n"
          "v=\"$T\"\n"
          "while [ -n \"$v\" ]; do\n"
          "  rest=\"${v#?}\"\n"
          "  printf '%s' \"${v%\"$rest\"}\"\n"
          "  v=\"$rest\"\n"
          "  sleep 0.02\n"
          "done\n"
          "printf ' after\\n'\n"
          "printf 'tail %s' \"$(printf '%s' \"$T\" | cut -c1-5)\"\n", f);
    fclose(f);
    snprintf(plan, sizeof plan,
        "{\"secrets\": {\"tok\": {\"type\": \"file\", \"key\": \"content\", \"path\": \"%s/tok\","
        "  \"native\": {\"type\": \"file\", \"params\": {\"format\": \"raw\"}}}},"
        " \"steps\": [{\"kind\": \"task\", \"name\": \"slow\", \"env\": {\"T\": \"((pikoci_secret:tok))\"},"
        "  \"cmd\": {\"runner\": {\"name\": \"exec\"}, \"params\": {\"path\": \"/bin/sh\","
        "  \"args\": [\"%s\"]}}}]}", tmp, path);
    snprintf(path, sizeof path, "%s/tok", tmp);
    f = fopen(path, "w");
    fputs("Zq9-slow-secret-Zq9", f);
    fclose(f);
    harness_t *h = harness_start("build", plan, true);
    assert_true(harness_wait(h, 30000));
    assert_string_equal(h->done_status, "succeeded");
    assert_non_null(h->log);
    assert_non_null(strstr(h->log, "before *** after"));
    assert_null(strstr(h->log, "slow-secret"));
    // a prefix of the secret at the very end is held back, then flushed at exit
    assert_non_null(strstr(h->log, "tail Zq9-s"));
    harness_destroy(&h);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    assert_int_equal(system(rm), 0);
    free(tmp);
}

static double
s_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

#ifdef NDEBUG
#define S_PROC_MB 32
#else
#define S_PROC_MB 4
#endif

// Not a limit, a measurement: MB/s of masked vs. passed-through output in
// 16 KB chunks (the runner's read size). Printed for the record.
static void
test_throughput(void **state)
{
    (void) state;
    size_t total = (size_t) S_PROC_MB * 2 << 20, chunk = RUNNER_LOG_CHUNK;
    char *text = malloc(chunk);
    for (size_t i = 0; i < chunk; i++)
        text[i] = "abcdefghijklmnopqrstuvwxyz0123456789 =:/-\n"[(i * 7 + i / 13) % 42];
    memcpy(text + 1000, "s3cr3t-token", 12);
    runner_mask_t *m = runner_mask_new();
    const char *values[] = { "s3cr3t-token", "hunter2-password", "AKIAIOSFODNN7EXAMPLE",
                             "postgres://u:p@db/x" };
    for (size_t i = 0; i < 4; i++)
        runner_mask_add(m, values[i], strlen(values[i]));
    double rates[2];
    for (int masked = 0; masked < 2; masked++) {
        runner_mask_stream_t *s = runner_mask_stream_new(masked ? m : NULL);
        char *sink = malloc(chunk * 2);
        size_t out = 0;
        size_t seen = 0;
        double t0 = s_secs();
        for (size_t done = 0; done < total; done += chunk) {
            const char *part;
            size_t n = runner_mask_stream_write(s, text, chunk, &part);
            memcpy(sink, part, n);      // what runner_build_log does with it
            seen += (unsigned char) sink[n / 2];
            out += n;
        }
        rates[masked] = (double) total / (1 << 20) / (s_secs() - t0);
        assert_true(out > 0 && seen > 0);
        runner_mask_stream_destroy(&s);
        free(sink);
    }
    printf("# masking throughput: %.0f MB/s masked (4 secrets, %zu patterns), %.0f MB/s "
           "unmasked (copy only)\n", rates[1], runner_mask_count(m), rates[0]);
    runner_mask_destroy(&m);
    free(text);
}

// The same, end to end through the runner: a process writing 32 MB of log
// (4 MB under the sanitizers), with and without secrets in its plan.
// Printed for the record.
static void
test_process_throughput(void **state)
{
    (void) state;
    char *tmp = harness_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/tok.json", tmp);
    FILE *f = fopen(path, "w");
    fputs("{\"a\": \"s3cr3t-token\", \"b\": \"hunter2-password\"}", f);
    fclose(f);
    double rates[2];
    for (int masked = 0; masked < 2; masked++) {
        char plan[2048];
        snprintf(plan, sizeof plan,
            "{%s \"steps\": [{\"kind\": \"task\", \"name\": \"t\", \"env\": {\"A\": \"%s\"},"
            "  \"cmd\": {\"runner\": {\"name\": \"shell\"}, \"params\": {\"cmd\":"
            "  \"yes 'line of build output 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c %d\"}}}]}",
            masked ? "\"secrets\": {\"a\": {\"type\": \"file\", \"key\": \"a\", \"native\": {\"type\": "
                     "\"file\", \"params\": {\"path\": \"" : "",
            masked ? "((pikoci_secret:a))" : "x", S_PROC_MB << 20);
        if (masked) {
            char *p = strstr(plan, "\"path\": \"") + 9;
            char rest[2048];
            snprintf(rest, sizeof rest, "%s\"}}}}, %s", path, p);
            strcpy(p, rest);
        }
        double t0 = s_secs();
        harness_t *h = harness_start("build", plan, true);
        assert_true(harness_wait(h, 120000));
        if (strcmp(h->done_status, "succeeded"))
            fail_msg("%s: %.300s", plan, h->log ? h->log : "");
        assert_int_equal(h->log_len, S_PROC_MB << 20);
        rates[masked] = S_PROC_MB / (s_secs() - t0);
        harness_destroy(&h);
    }
    printf("# runner log throughput: %.0f MB/s with secrets (masked), %.0f MB/s without\n",
           rates[1], rates[0]);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", tmp);
    assert_int_equal(system(rm), 0);
    free(tmp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_everywhere),
        cmocka_unit_test(test_overlapping),
        cmocka_unit_test(test_short_values_not_masked),
        cmocka_unit_test(test_binary),
        cmocka_unit_test(test_forms_from_python),
        cmocka_unit_test(test_process_byte_by_byte),
        cmocka_unit_test(test_throughput),
        cmocka_unit_test(test_process_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
