// hcl_utf8: see hcl_utf8.h. Tables are ranges checked in order; the inputs
// are configuration files, so clarity beats speed here.
#include "hcl_utf8.h"

size_t
hcl_utf8_valid_len(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *) str;
    if (len == 0)
        return 0;
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
        min = 0x80;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
        min = 0x800;
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    }
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

size_t
hcl_utf8_decode(const char *str, size_t len, unsigned *cp)
{
    const unsigned char *s = (const unsigned char *) str;
    size_t n = hcl_utf8_valid_len(str, len);
    if (n == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    if (n == 1)
        *cp = s[0];
    else if (n == 2)
        *cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    else if (n == 3)
        *cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    else
        *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    return n;
}

size_t
hcl_utf8_check(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if ((unsigned char) s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = hcl_utf8_valid_len(s + i, len - i);
        if (n == 0)
            return i;
        i += n;
    }
    return len;
}

bool
hcl_utf8_is_space(unsigned cp)
{
    switch (cp) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

// Non-ASCII code points that are not letters: spaces, Latin-1 symbols,
// general punctuation, symbol and arrow blocks, CJK punctuation, BOM.
static bool
s_non_letter(unsigned cp)
{
    if (hcl_utf8_is_space(cp))
        return true;
    if (cp >= 0x80 && cp <= 0xBF)
        return cp != 0xAA && cp != 0xB5 && cp != 0xBA;
    if (cp == 0xD7 || cp == 0xF7)
        return true;
    return (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x3003)
        || (cp >= 0x3008 && cp <= 0x3020) || cp == 0xFEFF || cp == 0xFFFD
        || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF01 && cp <= 0xFF0F)
        || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xD800 && cp <= 0xDFFF)
        || (cp >= 0x1F000 && cp <= 0x1FAFF);
}

static bool
s_is_mark(unsigned cp)
{
    return (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x483 && cp <= 0x489)
        || (cp >= 0x591 && cp <= 0x5BD) || (cp >= 0x610 && cp <= 0x61A)
        || (cp >= 0x64B && cp <= 0x65F) || (cp >= 0x900 && cp <= 0x903)
        || (cp >= 0x93A && cp <= 0x94F) || (cp >= 0x1AB0 && cp <= 0x1AFF)
        || (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF)
        || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xFE20 && cp <= 0xFE2F)
        || cp == 0x200C || cp == 0x200D || (cp >= 0x1F3FB && cp <= 0x1F3FF)
        || (cp >= 0xE0100 && cp <= 0xE01EF);
}

bool
hcl_utf8_is_letter(unsigned cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return !s_non_letter(cp) && !s_is_mark(cp);
}

bool
hcl_utf8_is_id_start(unsigned cp)
{
    return cp == '_' || hcl_utf8_is_letter(cp);
}

bool
hcl_utf8_is_id_continue(unsigned cp)
{
    if (cp < 0x80)
        return cp == '_' || (cp >= '0' && cp <= '9') || hcl_utf8_is_letter(cp);
    return !s_non_letter(cp) || cp == 0xB7;
}

size_t
hcl_utf8_grapheme(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (len >= 2 && s[0] == '\r' && s[1] == '\n')
        return 2;
    unsigned cp;
    size_t i = hcl_utf8_decode(s, len, &cp);
    if (cp >= 0x1F1E6 && cp <= 0x1F1FF && i < len) {
        // Regional indicators pair up into one flag.
        unsigned next;
        size_t n = hcl_utf8_decode(s + i, len - i, &next);
        if (next >= 0x1F1E6 && next <= 0x1F1FF)
            i += n;
    }
    bool joined = false;
    while (i < len) {
        unsigned next;
        size_t n = hcl_utf8_decode(s + i, len - i, &next);
        if (joined || s_is_mark(next)) {
            joined = next == 0x200D;
            i += n;
            continue;
        }
        break;
    }
    return i;
}

size_t
hcl_utf8_graphemes(const char *s, size_t len)
{
    size_t count = 0;
    for (size_t i = 0; i < len; count++)
        i += hcl_utf8_grapheme(s + i, len - i);
    return count;
}

// Latin Extended-B: the DŽ/LJ/NJ/DZ digraphs come in upper, title and
// lower forms; most other letters pair up case by parity.
static int
s_digraph(unsigned cp)
{
    if (cp >= 0x1C4 && cp <= 0x1CC)
        return (int) (cp - 0x1C4) % 3;
    if (cp >= 0x1F1 && cp <= 0x1F3)
        return (int) (cp - 0x1F1);
    return -1;
}

static bool
s_ext_b_pair(unsigned cp, bool *upper)
{
    bool odd_upper = cp >= 0x1CD && cp <= 0x1DC;
    bool even_upper = (cp >= 0x1DE && cp <= 0x1EF) || cp == 0x1F4 || cp == 0x1F5
                   || (cp >= 0x1F8 && cp <= 0x21F) || (cp >= 0x222 && cp <= 0x233);
    if (!odd_upper && !even_upper)
        return false;
    *upper = odd_upper ? (cp & 1) : !(cp & 1);
    return true;
}

unsigned
hcl_utf8_title(unsigned cp)
{
    int d = s_digraph(cp);
    return d >= 0 ? cp - (unsigned) d + 1 : hcl_utf8_upper(cp);
}

unsigned
hcl_utf8_upper(unsigned cp)
{
    int d = s_digraph(cp);
    bool is_upper;
    if (d >= 0)
        return cp - (unsigned) d;
    if (s_ext_b_pair(cp, &is_upper))
        return is_upper ? cp : cp - 1;
    if (cp >= 'a' && cp <= 'z')
        return cp - 32;
    if (cp < 0x80)
        return cp;
    if ((cp >= 0xE0 && cp <= 0xFE && cp != 0xF7))
        return cp - 32;
    if (cp == 0xFF)
        return 0x178;
    if (cp == 0xB5)
        return 0x39C;
    if (cp >= 0x100 && cp <= 0x17F) {
        if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
            return (cp & 1) ? cp : cp - 1;
        if (cp == 0x131)
            return 'I';
        if (cp == 0x17F)
            return 'S';
        if (cp == 0x130 || cp == 0x138 || cp == 0x149 || cp == 0x178)
            return cp;
        return (cp & 1) ? cp - 1 : cp;
    }
    if (cp >= 0x3B1 && cp <= 0x3C9)
        return cp == 0x3C2 ? 0x3A3 : cp - 32;
    if (cp >= 0x430 && cp <= 0x44F)
        return cp - 32;
    if (cp >= 0x450 && cp <= 0x45F)
        return cp - 80;
    return cp;
}

unsigned
hcl_utf8_lower(unsigned cp)
{
    int d = s_digraph(cp);
    bool is_upper;
    if (d >= 0)
        return cp - (unsigned) d + 2;
    if (s_ext_b_pair(cp, &is_upper))
        return is_upper ? cp + 1 : cp;
    if (cp >= 'A' && cp <= 'Z')
        return cp + 32;
    if (cp < 0x80)
        return cp;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    if (cp == 0x178)
        return 0xFF;
    if (cp >= 0x100 && cp <= 0x17F) {
        if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
            return (cp & 1) ? cp + 1 : cp;
        if (cp == 0x130)
            return 'i';
        if (cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F)
            return cp;
        return (cp & 1) ? cp : cp + 1;
    }
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2)
        return cp + 32;
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 32;
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 80;
    return cp;
}
