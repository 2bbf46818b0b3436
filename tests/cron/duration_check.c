// duration_check: the C side of the Go differential test for pk_duration.
// Reads lines "go_result<TAB>text", go_result being what Go's
// time.ParseDuration gave (nanoseconds or "error"), and checks
// pk_duration_parse against it under pk_duration.h's documented rules:
// Go's error is our error; a leading '-' is our error (no negative
// durations); a non-zero result under 1ms is our error; otherwise we return
// Go's nanoseconds truncated to milliseconds. Prints each disagreement and
// exits 1 if there was any.
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_duration.h"

int
main(void)
{
    char *line = NULL;
    size_t cap = 0, n = 0, bad = 0, accepted = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab) {
            fprintf(stderr, "duration_check: line %zu is not go_result<TAB>text\n", n + 1);
            return 2;
        }
        *tab = '\0';
        const char *text = tab + 1;
        n++;
        bool go_error = strcmp(line, "error") == 0;
        int64_t go_ns = go_error ? 0 : strtoll(line, NULL, 10);
        bool must_fail = go_error || text[0] == '-' || (go_ns > 0 && go_ns < 1000000);
        int64_t ms = -1;
        char *err = NULL;
        int rc = pk_duration_parse(text, &ms, &err);
        if (must_fail && rc == 0) {
            printf("MISMATCH \"%s\": Go gives %s, pk_duration accepts it as %lld ms\n", text,
                   line, (long long) ms);
            bad++;
        }
        else if (!must_fail && rc != 0) {
            printf("MISMATCH \"%s\": Go gives %s ns, pk_duration rejects it: %s\n", text, line,
                   err ? err : "(no message)");
            bad++;
        }
        else if (!must_fail && ms != go_ns / 1000000) {
            printf("MISMATCH \"%s\": Go gives %s ns, pk_duration %lld ms\n", text, line,
                   (long long) ms);
            bad++;
        }
        else if (rc != 0 && !err) {
            printf("MISMATCH \"%s\": rejected without a message\n", text);
            bad++;
        }
        accepted += rc == 0;
        free(err);
    }
    free(line);
    printf("duration_check: %zu strings (%zu accepted), %zu mismatches\n", n, accepted, bad);
    return bad || n == 0 ? 1 : 0;
}
