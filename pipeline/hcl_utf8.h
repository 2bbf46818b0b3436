// hcl_utf8: the small slice of Unicode the HCL lexer and string functions
// need, without pulling in ICU: strict UTF-8 validation and decoding,
// identifier classes (ASCII exact, other letters approximated: any non-ASCII
// code point that is not whitespace, punctuation or a symbol block), white
// space as Go's unicode.IsSpace, approximate grapheme clusters (a code point
// plus following combining marks, ZWJ joins and variation selectors; CRLF as
// one) and simple case mapping for Latin, Greek and Cyrillic.
#ifndef HCL_UTF8_H
#define HCL_UTF8_H
#include <stdbool.h>
#include <stddef.h>

// Decodes one code point from s (len > 0). Returns the bytes used (>= 1);
// an invalid sequence yields *cp = 0xFFFD and length 1.
size_t hcl_utf8_decode(const char *s, size_t len, unsigned *cp);
// Length of a valid sequence at s, or 0 when invalid (strict: no overlongs,
// surrogates or code points above U+10FFFF).
size_t hcl_utf8_valid_len(const char *s, size_t len);
// Byte offset of the first invalid sequence, or len when all is valid.
size_t hcl_utf8_check(const char *s, size_t len);
bool hcl_utf8_is_id_start(unsigned cp);
bool hcl_utf8_is_id_continue(unsigned cp);
bool hcl_utf8_is_space(unsigned cp);
bool hcl_utf8_is_letter(unsigned cp);
// Bytes of the grapheme cluster starting at s (>= 1 when len > 0).
size_t hcl_utf8_grapheme(const char *s, size_t len);
// Number of grapheme clusters in s.
size_t hcl_utf8_graphemes(const char *s, size_t len);
unsigned hcl_utf8_upper(unsigned cp);
// Canonical composition (hcl_utf8_nfc.c): a new malloc'd string, or NULL
// when s needs no change.
char *hcl_utf8_nfc(const char *s, size_t len, size_t *out_len);
unsigned hcl_utf8_lower(unsigned cp);
// Title case: as upper case except for the DŽ/LJ/NJ/DZ digraphs.
unsigned hcl_utf8_title(unsigned cp);

#endif
