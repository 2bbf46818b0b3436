// hcl_lex: the HCL native-syntax scanner. Turns a whole file into one token
// array up front (as hclsyntax does), so the parser can peek freely and
// recover by skipping tokens. Scanning is modal: normal expression mode,
// quoted template mode and heredoc template mode, kept on an explicit heap
// stack (never C recursion) so nesting such as "${"${"${...}"}"}" costs no
// stack. Lexical errors (bad UTF-8, stray characters, newlines in quoted
// strings) are reported here once; the offending spot becomes an
// HCL_T_INVALID token the parser skips without reporting again.
#ifndef HCL_LEX_H
#define HCL_LEX_H
#include "pk_diag.h"
#include <stdint.h>

typedef enum {
    HCL_T_EOF,
    HCL_T_NEWLINE,      // also a line comment ending in a newline
    HCL_T_IDENT,
    HCL_T_NUMBER,
    HCL_T_OBRACE, HCL_T_CBRACE,
    HCL_T_OBRACK, HCL_T_CBRACK,
    HCL_T_OPAREN, HCL_T_CPAREN,
    HCL_T_OQUOTE, HCL_T_CQUOTE,
    HCL_T_OHEREDOC,     // "<<EOT\n" or "<<-EOT\n" (flag HCL_TF_FLUSH)
    HCL_T_CHEREDOC,     // the closing marker line, without its newline
    HCL_T_QLIT,         // quoted template literal, escapes not yet processed
    HCL_T_SLIT,         // heredoc literal (one line at most, with its newline)
    HCL_T_INTERP,       // "${" (flag HCL_TF_STRIP for "${~")
    HCL_T_CONTROL,      // "%{" (flag HCL_TF_STRIP for "%{~")
    HCL_T_SEQEND,       // "}" closing a template sequence (HCL_TF_STRIP for "~}")
    HCL_T_STAR, HCL_T_SLASH, HCL_T_PLUS, HCL_T_MINUS, HCL_T_PERCENT,
    HCL_T_EQUAL, HCL_T_EQOP, HCL_T_NOTEQ,
    HCL_T_LT, HCL_T_LE, HCL_T_GT, HCL_T_GE,
    HCL_T_AND, HCL_T_OR, HCL_T_BANG,
    HCL_T_DOT, HCL_T_COMMA, HCL_T_ELLIPSIS, HCL_T_FATARROW,
    HCL_T_QUESTION, HCL_T_COLON,
    HCL_T_INVALID
} hcl_tok_type_t;

#define HCL_TF_STRIP 1
#define HCL_TF_FLUSH 2

typedef struct {
    uint8_t type;
    uint8_t flags;
    pk_range_t range;   // range.start.file is the interned file name
} hcl_tok_t;

typedef struct {
    hcl_tok_t *toks;
    size_t count;
    size_t cap;
} hcl_tokens_t;

// Scans src (len bytes). file must outlive the tokens. Always ends the array
// with HCL_T_EOF. Returns -1 only on out-of-memory.
int hcl_lex(const char *file, const char *src, size_t len, hcl_tokens_t *out, pk_diags_t *diags);
void hcl_tokens_free(hcl_tokens_t *tokens);
const char *hcl_tok_name(hcl_tok_type_t type);

#endif
