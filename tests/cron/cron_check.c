// cron_check: the C side of the croniter differential test. Reads lines
// "after<TAB>expected<TAB>expr" (expected: unix seconds, -1 for "never",
// or "invalid" when the expression must be rejected; expr last because it
// may itself hold tabs), prints every pair on
// which pk_cron disagrees, and exits 1 if there was any. It also reports the
// mean cost of pk_cron_next over the whole corpus, since that mix (random
// fields, far-apart instants, rare schedules) is a fair benchmark.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pk_cron.h"

typedef struct {
    char *expr;
    int64_t after;
    int64_t expected;
    bool invalid;
} s_case_t;

static double
s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
main(void)
{
    s_case_t *cases = NULL;
    size_t n = 0, cap = 0, bad = 0, lineno = 0;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, stdin)) > 0) {
        lineno++;
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab2) {
            fprintf(stderr, "cron_check: line %zu is not after<TAB>expected<TAB>expr\n", lineno);
            return 2;
        }
        *tab1 = *tab2 = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            s_case_t *grown = realloc(cases, cap * sizeof *cases);
            if (!grown)
                return 2;
            cases = grown;
        }
        s_case_t *c = &cases[n++];
        c->expr = strdup(tab2 + 1);
        c->after = strtoll(line, NULL, 10);
        c->invalid = strcmp(tab1 + 1, "invalid") == 0;
        c->expected = c->invalid ? 0 : strtoll(tab1 + 1, NULL, 10);
    }
    free(line);

    size_t valid = 0;
    for (size_t i = 0; i < n; i++) {
        s_case_t *c = &cases[i];
        char *err = NULL;
        pk_cron_t *cron = pk_cron_new(c->expr, &err);
        if (c->invalid) {
            if (cron) {
                printf("MISMATCH \"%s\": croniter rejects it, pk_cron accepts it\n", c->expr);
                bad++;
            }
        }
        else if (!cron) {
            printf("MISMATCH \"%s\": croniter accepts it, pk_cron rejects it: %s\n", c->expr, err);
            bad++;
        }
        else {
            valid++;
            int64_t got = pk_cron_next(cron, c->after);
            if (got != c->expected) {
                printf("MISMATCH \"%s\" after %lld: croniter %lld, pk_cron %lld\n", c->expr,
                       (long long) c->after, (long long) c->expected, (long long) got);
                bad++;
            }
        }
        free(err);
        pk_cron_destroy(&cron);
    }

    // Timing: parse once, then call next() for every valid pair, many rounds.
    pk_cron_t **parsed = calloc(n ? n : 1, sizeof *parsed);
    for (size_t i = 0; i < n; i++)
        parsed[i] = cases[i].invalid ? NULL : pk_cron_new(cases[i].expr, NULL);
    int rounds = 20;
    size_t calls = 0;
    int64_t sink = 0;
    double t0 = s_now();
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++)
            if (parsed[i]) {
                sink += pk_cron_next(parsed[i], cases[i].after + r);
                calls++;
            }
    double secs = s_now() - t0;
    double t1 = s_now();
    size_t parses = 0;
    for (size_t i = 0; i < n; i++) {
        pk_cron_t *c = pk_cron_new(cases[i].expr, NULL);
        parses += c != NULL;
        pk_cron_destroy(&c);
    }
    double parse_secs = s_now() - t1;
    printf("cron_check: %zu pairs (%zu valid), %zu mismatches; pk_cron_next %.0f ns/call, "
           "pk_cron_new %.0f ns/call (checksum %lld)\n", n, valid, bad,
           calls ? secs * 1e9 / (double) calls : 0.0,
           parses ? parse_secs * 1e9 / (double) parses : 0.0, (long long) (sink & 0xffff));
    for (size_t i = 0; i < n; i++) {
        pk_cron_destroy(&parsed[i]);
        free(cases[i].expr);
    }
    free(parsed);
    free(cases);
    return bad ? 1 : 0;
}
