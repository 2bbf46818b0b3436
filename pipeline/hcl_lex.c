// hcl_lex: see hcl_lex.h. The structure mirrors hclsyntax's Ragel scanner
// (scan_tokens.rl): a brace counter plus a stack of brace levels at which a
// "}" closes a template sequence instead of an object, and per-heredoc
// "start of line" state so that only a whole line equal to the marker ends a
// heredoc. Heredoc literals are split at newlines, as the parser needs one
// literal per line for <<- indentation stripping and ~ strip markers.
#include "hcl_lex.h"
#include "hcl_utf8.h"
#include <stdlib.h>
#include <string.h>

typedef enum { S_MAIN, S_STRING, S_HEREDOC } s_mode_kind_t;

typedef struct {
    s_mode_kind_t kind;
    bool sol;               // heredoc: at the start of a line
    size_t marker;          // heredoc: marker offset and length in src
    size_t marker_len;
} s_mode_t;

typedef struct {
    const char *file;
    const char *s;
    size_t len;
    size_t pos;
    int line, col;
    hcl_tokens_t *out;
    pk_diags_t *diags;
    s_mode_t *modes;
    size_t nmodes, capmodes;
    long braces;
    long *ret;
    size_t nret, capret;
    int errors;             // lexical errors reported (capped)
    bool oom;
} s_lex_t;

#define S_MAX_LEX_ERRORS 10

static pk_pos_t
s_here(s_lex_t *lx)
{
    return (pk_pos_t) { lx->file, lx->line, lx->col, lx->pos };
}

static void
s_advance(s_lex_t *lx, size_t n)
{
    for (size_t i = 0; i < n && lx->pos < lx->len; i++) {
        unsigned char c = (unsigned char) lx->s[lx->pos++];
        if (c == '\n') {
            lx->line++;
            lx->col = 1;
        }
        else if ((c & 0xC0) != 0x80 && !(c == '\r' && lx->pos < lx->len && lx->s[lx->pos] == '\n'))
            lx->col++;
    }
}

static void
s_emit(s_lex_t *lx, hcl_tok_type_t type, uint8_t flags, pk_pos_t start)
{
    hcl_tokens_t *t = lx->out;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        hcl_tok_t *toks = realloc(t->toks, cap * sizeof(hcl_tok_t));
        if (!toks) {
            lx->oom = true;
            return;
        }
        t->toks = toks;
        t->cap = cap;
    }
    t->toks[t->count++] = (hcl_tok_t) { (uint8_t) type, flags, { start, s_here(lx) } };
}

static void
s_error(s_lex_t *lx, pk_pos_t start, pk_pos_t end, const char *msg)
{
    if (lx->errors++ < S_MAX_LEX_ERRORS)
        pk_diags_error(lx->diags, (pk_range_t) { start, end }, "%s", msg);
}

static int
s_push(s_lex_t *lx, s_mode_t mode)
{
    if (lx->nmodes == lx->capmodes) {
        size_t cap = lx->capmodes ? lx->capmodes * 2 : 16;
        s_mode_t *modes = realloc(lx->modes, cap * sizeof(s_mode_t));
        if (!modes)
            return -1;
        lx->modes = modes;
        lx->capmodes = cap;
    }
    lx->modes[lx->nmodes++] = mode;
    return 0;
}

static int
s_push_ret(s_lex_t *lx)
{
    if (lx->nret == lx->capret) {
        size_t cap = lx->capret ? lx->capret * 2 : 16;
        long *ret = realloc(lx->ret, cap * sizeof(long));
        if (!ret)
            return -1;
        lx->ret = ret;
        lx->capret = cap;
    }
    lx->ret[lx->nret++] = lx->braces;
    return 0;
}

static char
s_at(s_lex_t *lx, size_t off)
{
    return lx->pos + off < lx->len ? lx->s[lx->pos + off] : '\0';
}

// Length of an identifier starting at off (0 if none starts there).
static size_t
s_ident_len(s_lex_t *lx, size_t off)
{
    size_t i = off;
    bool first = true;
    while (i < lx->len) {
        unsigned char c = (unsigned char) lx->s[i];
        unsigned cp = c;
        size_t n = 1;
        if (c >= 0x80) {
            n = hcl_utf8_valid_len(lx->s + i, lx->len - i);
            if (n == 0)
                break;
            hcl_utf8_decode(lx->s + i, n, &cp);
        }
        bool ok = first ? hcl_utf8_is_id_start(cp) : (cp == '-' || hcl_utf8_is_id_continue(cp));
        if (!ok)
            break;
        first = false;
        i += n;
    }
    return i - off;
}

// "${" / "%{" opening a template sequence; switches to expression mode.
static void
s_open_seq(s_lex_t *lx, hcl_tok_type_t type)
{
    pk_pos_t start = s_here(lx);
    bool strip = s_at(lx, 2) == '~';
    s_advance(lx, strip ? 3 : 2);
    s_emit(lx, type, strip ? HCL_TF_STRIP : 0, start);
    if (lx->modes[lx->nmodes - 1].kind == S_HEREDOC)
        lx->modes[lx->nmodes - 1].sol = false;
    lx->braces++;
    if (s_push_ret(lx) < 0 || s_push(lx, (s_mode_t) { S_MAIN, false, 0, 0 }) < 0)
        lx->oom = true;
}

static void
s_close_brace(s_lex_t *lx, bool strip)
{
    pk_pos_t start = s_here(lx);
    s_advance(lx, strip ? 2 : 1);
    if (lx->nret > 0 && lx->ret[lx->nret - 1] == lx->braces) {
        s_emit(lx, HCL_T_SEQEND, strip ? HCL_TF_STRIP : 0, start);
        lx->nret--;
        lx->nmodes--;
    }
    else
        s_emit(lx, strip ? HCL_T_SEQEND : HCL_T_CBRACE, strip ? HCL_TF_STRIP : 0, start);
    lx->braces--;
}

// Heredoc introducer "<<" "-"? Ident Newline at pos; returns its length.
static size_t
s_heredoc_intro(s_lex_t *lx, size_t *marker, size_t *marker_len)
{
    size_t i = lx->pos + 2;
    if (i < lx->len && lx->s[i] == '-')
        i++;
    size_t n = s_ident_len(lx, i);
    if (n == 0)
        return 0;
    *marker = i;
    *marker_len = n;
    i += n;
    if (i < lx->len && lx->s[i] == '\n')
        return i + 1 - lx->pos;
    if (i + 1 < lx->len && lx->s[i] == '\r' && lx->s[i + 1] == '\n')
        return i + 2 - lx->pos;
    return 0;
}

static void
s_invalid_char(s_lex_t *lx, size_t n, unsigned cp)
{
    pk_pos_t start = s_here(lx);
    s_advance(lx, n);
    pk_pos_t end = s_here(lx);
    s_emit(lx, HCL_T_INVALID, 0, start);
    const char *msg = "Invalid character; This character is not used within the language.";
    switch (cp) {
    case '&': msg = "Unsupported operator; Bitwise operators are not supported. Did you mean boolean AND (\"&&\")?"; break;
    case '|': msg = "Unsupported operator; Bitwise operators are not supported. Did you mean boolean OR (\"||\")?"; break;
    case '~': msg = "Unsupported operator; Bitwise operators are not supported. Did you mean boolean NOT (\"!\")?"; break;
    case '^': msg = "Unsupported operator; Bitwise operators are not supported."; break;
    case ';': msg = "Invalid character; The \";\" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values."; break;
    case '`': msg = "Invalid character; The \"`\" character is not valid. To create a multi-line string, use the \"heredoc\" syntax, like \"<<EOT\"."; break;
    case '\'': msg = "Invalid character; Single quotes are not valid. Use double quotes (\") to enclose strings."; break;
    case 0x201C: case 0x201D:
        msg = "Invalid character; \"Curly quotes\" are not valid here. These can sometimes be inadvertently introduced when sharing code via documents or discussion forums. It might help to replace the character with a \"straight quote\".";
        break;
    default: break;
    }
    s_error(lx, start, end, msg);
}

static void
s_scan_main(s_lex_t *lx)
{
    static const struct { const char *text; hcl_tok_type_t type; } ops[] = {
        { "...", HCL_T_ELLIPSIS }, { "==", HCL_T_EQOP }, { "!=", HCL_T_NOTEQ },
        { ">=", HCL_T_GE }, { "<=", HCL_T_LE }, { "&&", HCL_T_AND }, { "||", HCL_T_OR },
        { "=>", HCL_T_FATARROW }, { "[", HCL_T_OBRACK }, { "]", HCL_T_CBRACK },
        { "(", HCL_T_OPAREN }, { ")", HCL_T_CPAREN }, { ".", HCL_T_DOT }, { ",", HCL_T_COMMA },
        { "*", HCL_T_STAR }, { "/", HCL_T_SLASH }, { "%", HCL_T_PERCENT }, { "+", HCL_T_PLUS },
        { "-", HCL_T_MINUS }, { "=", HCL_T_EQUAL }, { "<", HCL_T_LT }, { ">", HCL_T_GT },
        { "!", HCL_T_BANG }, { "?", HCL_T_QUESTION }, { ":", HCL_T_COLON },
    };
    char c = lx->s[lx->pos];
    char c1 = s_at(lx, 1);
    pk_pos_t start = s_here(lx);
    if (c == ' ' || c == '\t') {
        s_advance(lx, 1);
        return;
    }
    if (c == '\n' || (c == '\r' && c1 == '\n')) {
        s_advance(lx, c == '\n' ? 1 : 2);
        s_emit(lx, HCL_T_NEWLINE, 0, start);
        return;
    }
    if (c == '#' || (c == '/' && c1 == '/')) {
        const char *nl = memchr(lx->s + lx->pos, '\n', lx->len - lx->pos);
        if (!nl) {
            s_advance(lx, lx->len - lx->pos);
            return;
        }
        s_advance(lx, (size_t) (nl - (lx->s + lx->pos)) + 1);
        s_emit(lx, HCL_T_NEWLINE, 0, start);
        return;
    }
    if (c == '/' && c1 == '*') {
        const char *end = memmem(lx->s + lx->pos + 2, lx->len - lx->pos - 2, "*/", 2);
        if (!end) {
            s_advance(lx, 2);
            s_error(lx, start, s_here(lx), "Unterminated comment; This /* comment has no closing */ before the end of the file.");
            s_advance(lx, lx->len - lx->pos);
            return;
        }
        s_advance(lx, (size_t) (end + 2 - (lx->s + lx->pos)));
        return;
    }
    if (c >= '0' && c <= '9') {
        size_t i = lx->pos + 1, good = i;
        while (i < lx->len) {
            char d = lx->s[i];
            if (d >= '0' && d <= '9')
                good = ++i;
            else if (d == '.')
                i++;
            else if ((d == 'e' || d == 'E') && i + 1 < lx->len) {
                size_t j = i + 1;
                if ((lx->s[j] == '+' || lx->s[j] == '-') && j + 1 < lx->len)
                    j++;
                if (lx->s[j] < '0' || lx->s[j] > '9')
                    break;
                good = i = j + 1;
            }
            else
                break;
        }
        s_advance(lx, good - lx->pos);
        s_emit(lx, HCL_T_NUMBER, 0, start);
        return;
    }
    size_t idn = s_ident_len(lx, lx->pos);
    if (idn > 0) {
        s_advance(lx, idn);
        s_emit(lx, HCL_T_IDENT, 0, start);
        return;
    }
    if (c == '{') {
        s_advance(lx, 1);
        s_emit(lx, HCL_T_OBRACE, 0, start);
        lx->braces++;
        return;
    }
    if (c == '}' || (c == '~' && c1 == '}')) {
        s_close_brace(lx, c == '~');
        return;
    }
    if (c == '"') {
        s_advance(lx, 1);
        s_emit(lx, HCL_T_OQUOTE, 0, start);
        if (s_push(lx, (s_mode_t) { S_STRING, false, 0, 0 }) < 0)
            lx->oom = true;
        return;
    }
    if (c == '<' && c1 == '<') {
        size_t marker, marker_len, n = s_heredoc_intro(lx, &marker, &marker_len);
        if (n > 0) {
            bool flush = s_at(lx, 2) == '-';
            s_advance(lx, n);
            s_emit(lx, HCL_T_OHEREDOC, flush ? HCL_TF_FLUSH : 0, start);
            if (s_push(lx, (s_mode_t) { S_HEREDOC, true, marker, marker_len }) < 0)
                lx->oom = true;
            return;
        }
    }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (lx->len - lx->pos >= n && memcmp(lx->s + lx->pos, ops[i].text, n) == 0) {
            s_advance(lx, n);
            s_emit(lx, ops[i].type, 0, start);
            return;
        }
    }
    unsigned cp = (unsigned char) c;
    size_t n = 1;
    if (cp >= 0x80) {
        n = hcl_utf8_valid_len(lx->s + lx->pos, lx->len - lx->pos);
        if (n == 0) {
            // Already reported by the up-front encoding check.
            s_advance(lx, 1);
            s_emit(lx, HCL_T_INVALID, 0, start);
            return;
        }
        hcl_utf8_decode(lx->s + lx->pos, n, &cp);
    }
    s_invalid_char(lx, n, cp);
}

// Scans template literal text up to the next sequence opener; in quoted
// mode also stops at '"' and newlines and skips over backslash escapes.
static size_t
s_literal_len(s_lex_t *lx, bool quoted)
{
    size_t i = lx->pos;
    while (i < lx->len) {
        char c = lx->s[i];
        char n1 = i + 1 < lx->len ? lx->s[i + 1] : '\0';
        char n2 = i + 2 < lx->len ? lx->s[i + 2] : '\0';
        if (c == '\n')
            return quoted ? i - lx->pos : i + 1 - lx->pos;
        if (quoted && (c == '"' || c == '\r'))
            break;
        if ((c == '$' || c == '%') && n1 == '{')
            break;
        if ((c == '$' || c == '%') && n1 == c && n2 == '{') {
            i += 3;
            continue;
        }
        if (quoted && c == '\\' && n1 != '\0' && n1 != '\n' && n1 != '\r') {
            i += 2;
            continue;
        }
        i++;
    }
    return i - lx->pos;
}

static void
s_scan_string(s_lex_t *lx)
{
    char c = lx->s[lx->pos];
    char c1 = s_at(lx, 1);
    pk_pos_t start = s_here(lx);
    if (c == '"') {
        s_advance(lx, 1);
        s_emit(lx, HCL_T_CQUOTE, 0, start);
        lx->nmodes--;
        return;
    }
    if ((c == '$' || c == '%') && c1 == '{') {
        s_open_seq(lx, c == '$' ? HCL_T_INTERP : HCL_T_CONTROL);
        return;
    }
    if (c == '\n' || c == '\r') {
        // The string ends here: the newline goes back to expression mode
        // so the next line parses normally instead of as string content.
        s_emit(lx, HCL_T_INVALID, 0, start);
        s_error(lx, start, start, "Invalid multi-line string; Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the \"heredoc\" multi-line template syntax.");
        lx->nmodes--;
        if (c == '\r' && c1 != '\n') {
            s_advance(lx, 1);
        }
        return;
    }
    s_advance(lx, s_literal_len(lx, true));
    s_emit(lx, HCL_T_QLIT, 0, start);
}

static bool
s_is_trim_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void
s_scan_heredoc(s_lex_t *lx)
{
    s_mode_t *mode = &lx->modes[lx->nmodes - 1];
    pk_pos_t start = s_here(lx);
    if (mode->sol) {
        const char *line = lx->s + lx->pos;
        const char *nl = memchr(line, '\n', lx->len - lx->pos);
        size_t line_len = nl ? (size_t) (nl - line) : lx->len - lx->pos;
        size_t b = 0, e = line_len;
        while (b < e && s_is_trim_space(line[b]))
            b++;
        while (e > b && s_is_trim_space(line[e - 1]))
            e--;
        if (e - b == mode->marker_len && memcmp(line + b, lx->s + mode->marker, e - b) == 0) {
            size_t body = line_len;
            if (body > 0 && line[body - 1] == '\r')
                body--;
            s_advance(lx, body);
            s_emit(lx, HCL_T_CHEREDOC, 0, start);
            if (!nl)
                s_error(lx, start, s_here(lx), "Unterminated template string; The heredoc closing marker must be followed by a newline.");
            pk_pos_t nl_start = s_here(lx);
            s_advance(lx, line_len - body + (nl ? 1 : 0));
            if (nl)
                s_emit(lx, HCL_T_NEWLINE, 0, nl_start);
            lx->nmodes--;
            return;
        }
    }
    char c = lx->s[lx->pos];
    if ((c == '$' || c == '%') && s_at(lx, 1) == '{') {
        s_open_seq(lx, c == '$' ? HCL_T_INTERP : HCL_T_CONTROL);
        return;
    }
    size_t n = s_literal_len(lx, false);
    s_advance(lx, n);
    mode->sol = lx->s[lx->pos - 1] == '\n';
    s_emit(lx, HCL_T_SLIT, 0, start);
}

static void
s_check_encoding(s_lex_t *lx)
{
    if (lx->len >= 3 && memcmp(lx->s, "\xEF\xBB\xBF", 3) == 0) {
        pk_pos_t start = s_here(lx);
        s_advance(lx, 3);
        // The spec forbids a BOM; hclsyntax skips it. Skip it too, but say so.
        pk_diags_warning(lx->diags, (pk_range_t) { start, s_here(lx) }, "UTF-8 byte order mark ignored; "
                         "the HCL specification does not permit one: save the file as UTF-8 without a BOM.");
    }
    size_t bad = hcl_utf8_check(lx->s, lx->len);
    if (bad == lx->len)
        return;
    // Compute the line and column of the bad byte.
    int line = 1, col = 1;
    for (size_t i = 0; i < bad; i++) {
        unsigned char c = (unsigned char) lx->s[i];
        if (c == '\n') {
            line++;
            col = 1;
        }
        else if ((c & 0xC0) != 0x80)
            col++;
    }
    pk_pos_t p = { lx->file, line, col, bad };
    pk_pos_t q = { lx->file, line, col + 1, bad + 1 };
    s_error(lx, p, q, "Invalid character encoding; All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor.");
}

int
hcl_lex(const char *file, const char *src, size_t len, hcl_tokens_t *out, pk_diags_t *diags)
{
    memset(out, 0, sizeof *out);
    s_lex_t lx = { .file = file, .s = src ? src : "", .len = src ? len : 0, .line = 1, .col = 1,
                   .out = out, .diags = diags };
    // Configuration text averages a token per three to five bytes: size the
    // array once instead of growing it through copies (fresh pages are what
    // a cold parse spends its time on).
    out->cap = lx.len / 3 + 64;
    out->toks = malloc(out->cap * sizeof(hcl_tok_t));
    if (!out->toks || s_push(&lx, (s_mode_t) { S_MAIN, false, 0, 0 }) < 0) {
        hcl_tokens_free(out);
        free(lx.modes);
        return -1;
    }
    s_check_encoding(&lx);
    while (lx.pos < lx.len && !lx.oom) {
        switch (lx.modes[lx.nmodes - 1].kind) {
        case S_MAIN: s_scan_main(&lx); break;
        case S_STRING: s_scan_string(&lx); break;
        case S_HEREDOC: s_scan_heredoc(&lx); break;
        }
    }
    s_emit(&lx, HCL_T_EOF, 0, s_here(&lx));
    free(lx.modes);
    free(lx.ret);
    if (lx.oom) {
        hcl_tokens_free(out);
        return -1;
    }
    return 0;
}

void
hcl_tokens_free(hcl_tokens_t *tokens)
{
    free(tokens->toks);
    memset(tokens, 0, sizeof *tokens);
}

const char *
hcl_tok_name(hcl_tok_type_t type)
{
    static const char *names[] = {
        "end of file", "newline", "identifier", "number", "\"{\"", "\"}\"", "\"[\"", "\"]\"",
        "\"(\"", "\")\"", "opening quote", "closing quote", "heredoc", "heredoc end",
        "string", "string", "\"${\"", "\"%{\"", "\"}\"", "\"*\"", "\"/\"", "\"+\"", "\"-\"",
        "\"%\"", "\"=\"", "\"==\"", "\"!=\"", "\"<\"", "\"<=\"", "\">\"", "\">=\"", "\"&&\"",
        "\"||\"", "\"!\"", "\".\"", "\",\"", "\"...\"", "\"=>\"", "\"?\"", "\":\"", "invalid character",
    };
    return type <= HCL_T_INVALID ? names[type] : "token";
}
