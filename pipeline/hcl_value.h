// hcl_value: internal extensions of pk_value used by the HCL evaluator and
// function library (not part of the public contract). They exist for speed
// (taking ownership of built buffers instead of copying), for sets (sorted,
// unique lists), and for resource caps: every value carries an approximate
// byte weight so the evaluator can refuse values that grow without bound.
#ifndef HCL_VALUE_H
#define HCL_VALUE_H
#include "pk_value.h"
#include <stdint.h>

// Largest value (approximate bytes, see hcl_value_weight) an evaluation may build.
#define HCL_MAX_WEIGHT ((size_t) 64 << 20)

// Takes ownership of s (malloc'd, len bytes plus a NUL at s[len]).
pk_value_t *hcl_value_string_take(char *s, size_t len);
// Like hcl_value_string_take, composing combining marks first (cty keeps
// every string in NFC).
pk_value_t *hcl_value_string_nfc(char *s, size_t len);
// Approximate bytes held by the value tree (kept up to date on append/set).
size_t hcl_value_weight(const pk_value_t *self);
// The storage slot of a list item or object value, for in-place conversion
// (call hcl_value_reweigh on the container afterwards).
pk_value_t **hcl_value_slot(pk_value_t *self, size_t index);
// Replaces the item at index (taking ownership, destroying the old one).
void hcl_value_list_replace(pk_value_t *self, size_t index, pk_value_t *item);
// Recomputes a container's weight from its direct children (after a child
// was modified in place through a cast-away const).
void hcl_value_reweigh(pk_value_t *self);
// Total order over values: kind, then content (sets and sort() use it).
int hcl_value_compare(const pk_value_t *a, const pk_value_t *b);
// Turns a list into a set in place: sorted by hcl_value_compare, unique.
void hcl_value_make_set(pk_value_t *self);
// Clears the set flag (tolist on a set).
void hcl_value_clear_set(pk_value_t *self);
// Removes and returns the item at index (caller owns it); list only.
pk_value_t *hcl_value_list_take(pk_value_t *self, size_t index);
// Number rendering as cty does it: shortest round-trip digits, plain
// decimal notation, no exponent, no trailing ".0". buf needs 400 bytes.
#define HCL_NUMBER_BUF 400
const char *hcl_number_format(double n, char *buf);
// JSON text with Go's encoding/json escaping when html_safe (<, >, & as \u00XX),
// invalid UTF-8 replaced by U+FFFD. NULL if the value holds a non-finite number.
char *hcl_value_to_json(const pk_value_t *self, bool html_safe);

#endif
