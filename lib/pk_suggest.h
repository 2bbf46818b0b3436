// pk_suggest: "did you mean" for misspelt names (blocks, attributes,
// functions, references). Damerau-Levenshtein (adjacent swaps count as one
// edit) against a candidate list; the nearest candidate within a distance
// proportional to the word's length wins.
#ifndef PK_SUGGEST_H
#define PK_SUGGEST_H
#include <stddef.h>

// Edit distance between a and b (insert, delete, substitute, swap = 1 each).
size_t pk_edit_distance(const char *a, const char *b);
// Nearest of the NULL-terminated candidates, or NULL when none is close
// enough (max distance: 1 for words of up to 4 chars, 2 up to 8, else 3).
const char *pk_suggest(const char *word, const char *const *candidates);

#endif
