// pk_suggest: see pk_suggest.h. Names are short, so a full O(n*m) table on
// the stack (capped length) is simpler and faster than anything clever.
#include "pk_suggest.h"
#include <string.h>

#define PK_SUGGEST_MAX 64

size_t
pk_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > PK_SUGGEST_MAX || m > PK_SUGGEST_MAX)
        return n > m ? n : m;   // too long to be a typo worth suggesting for
    size_t d[PK_SUGGEST_MAX + 1][PK_SUGGEST_MAX + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
            &&  d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[n][m];
}

const char *
pk_suggest(const char *word, const char *const *candidates)
{
    if (!word || !candidates)
        return NULL;
    size_t len = strlen(word);
    size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; candidates[i]; i++) {
        size_t d = pk_edit_distance(word, candidates[i]);
        if (d < best_d && d > 0) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}
