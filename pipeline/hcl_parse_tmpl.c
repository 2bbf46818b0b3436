// hcl_parse_tmpl: templates (quoted strings and heredocs) in two passes, as
// hclsyntax's parser_template.go does. Pass one reads tokens into a flat list
// of parts (literals, interpolations, directive markers) and applies ~ strip
// markers and <<- indentation removal, which are purely textual. Pass two
// nests the directive markers into conditional and for expressions. Also
// holds escape decoding for string literals and block labels.
#include "hcl_ast.h"
#include "hcl_buf.h"
#include "hcl_utf8.h"
#include "pk_suggest.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

typedef enum { S_LIT, S_INTERP, S_IF, S_ELSE, S_ENDIF, S_FOR, S_ENDFOR } s_kind_t;

typedef struct {
    s_kind_t kind;
    pk_range_t range;
    char *text;             // S_LIT: malloc'd; [off, off + len) is the live text
    size_t off, len;
    pk_hcl_expr_t *expr;    // S_INTERP value, S_IF condition, S_FOR collection
    const char *key_var, *val_var;
} s_part_t;

typedef struct {
    s_part_t *items;
    size_t count, cap;
    pk_range_t end;
} s_parts_t;

static s_part_t *
s_add(hcl_parser_t *p, s_parts_t *parts, s_kind_t kind, pk_range_t range)
{
    if (parts->count == parts->cap) {
        size_t cap = parts->cap ? parts->cap * 2 : 8;
        s_part_t *items = realloc(parts->items, cap * sizeof(s_part_t));
        if (!items) {
            p->abort = true;
            return NULL;
        }
        parts->items = items;
        parts->cap = cap;
    }
    s_part_t *part = &parts->items[parts->count++];
    memset(part, 0, sizeof *part);
    part->kind = kind;
    part->range = range;
    return part;
}

static void
s_parts_free(s_parts_t *parts)
{
    for (size_t i = 0; i < parts->count; i++)
        free(parts->items[i].text);
    free(parts->items);
}

// Position inside a single-line literal token, byte offset off from its start.
static pk_pos_t
s_pos_in(hcl_parser_t *p, const hcl_tok_t *tok, size_t off)
{
    pk_pos_t pos = tok->range.start;
    for (size_t i = 0; i < off; i++) {
        unsigned char c = (unsigned char) p->src[tok->range.start.byte + i];
        if ((c & 0xC0) != 0x80)
            pos.col++;
    }
    pos.byte += off;
    return pos;
}

static void
s_escape_error(hcl_parser_t *p, const hcl_tok_t *tok, size_t from, size_t to, const char *msg)
{
    pk_range_t r = { s_pos_in(p, tok, from), s_pos_in(p, tok, to) };
    hcl_p_error(p, r, "Invalid escape sequence; %s", msg);
}

static int
s_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *
hcl_p_unescape(hcl_parser_t *p, const hcl_tok_t *tok, bool quoted, size_t *len)
{
    const char *s = p->src + tok->range.start.byte;
    size_t n = tok->range.end.byte - tok->range.start.byte;
    hcl_buf_t b;
    hcl_buf_init(&b);
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if ((c == '$' || c == '%') && i + 2 < n && s[i + 1] == c && s[i + 2] == '{') {
            hcl_buf_addc(&b, c);
            hcl_buf_addc(&b, '{');
            i += 3;
            continue;
        }
        if (c != '\\' || !quoted) {
            hcl_buf_addc(&b, c);
            i++;
            continue;
        }
        if (i + 1 >= n) {
            s_escape_error(p, tok, i, i + 1, "Backslash must be followed by an escape sequence selector "
                           "character.");
            i++;
            continue;
        }
        char sel = s[i + 1];
        const char *simple = strchr("nrt\"\\", sel);
        if (simple && sel) {
            static const char out[] = "\n\r\t\"\\";
            hcl_buf_addc(&b, out[simple - "nrt\"\\"]);
            i += 2;
            continue;
        }
        if (sel == 'u' || sel == 'U') {
            size_t want = sel == 'u' ? 4 : 8, got = 0;
            unsigned long cp = 0;
            while (got < want && i + 2 + got < n && s_hex(s[i + 2 + got]) >= 0)
                cp = cp * 16 + (unsigned long) s_hex(s[i + 2 + got++]);
            if (got < want) {
                s_escape_error(p, tok, i, i + 2 + got, sel == 'u'
                    ? "The \\u escape sequence must be followed by four hexadecimal digits."
                    : "The \\U escape sequence must be followed by eight hexadecimal digits.");
                i += 2 + got;
                continue;
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                char msg[80];
                snprintf(msg, sizeof msg, "Cannot encode character U+%04lx in UTF-8.", cp);
                s_escape_error(p, tok, i, i + 2 + got, msg);
            }
            else
                hcl_buf_add_utf8(&b, (unsigned) cp);
            i += 2 + got;
            continue;
        }
        unsigned cp;
        size_t cl = hcl_utf8_decode(s + i + 1, n - i - 1, &cp);
        char msg[80];
        snprintf(msg, sizeof msg, "The symbol \"%.*s\" is not a valid escape sequence selector.",
                 (int) cl, s + i + 1);
        s_escape_error(p, tok, i, i + 1 + cl, msg);
        hcl_buf_add(&b, s + i + 1, cl);
        i += 1 + cl;
    }
    if (b.overflow)
        hcl_p_error(p, tok->range, "String too long; String literals may be at most %zu bytes.",
                    (size_t) HCL_MAX_STRING);
    return hcl_buf_take(&b, len);
}

static bool
s_space_at(const char *s, size_t len, size_t *n)
{
    unsigned cp;
    *n = hcl_utf8_decode(s, len, &cp);
    return hcl_utf8_is_space(cp);
}

static void
s_trim_left(s_part_t *part)
{
    size_t n;
    while (part->len > 0 && s_space_at(part->text + part->off, part->len, &n)) {
        part->off += n;
        part->len -= n;
    }
}

static void
s_trim_right(s_part_t *part)
{
    while (part->len > 0) {
        // Step back to the start of the last code point.
        size_t start = part->len - 1;
        while (start > 0 && ((unsigned char) part->text[part->off + start] & 0xC0) == 0x80)
            start--;
        size_t n;
        if (!s_space_at(part->text + part->off + start, part->len - start, &n))
            return;
        part->len = start;
    }
}

// Reads "%{ keyword ... }" after the "%{" token; adds one part.
static bool
s_directive(hcl_parser_t *p, s_parts_t *parts, const hcl_tok_t *open)
{
    static const char *const words[] = { "if", "for", "else", "endif", "endfor", NULL };
    const hcl_tok_t *kw = hcl_p_peek(p);
    if (kw->type != HCL_T_IDENT) {
        if (!p->recovery)
            hcl_p_error(p, kw->range, "Invalid template directive; A template directive keyword (\"if\", "
                        "\"for\", etc) is expected at the beginning of a %%{ sequence.");
        hcl_p_recover(p, HCL_T_SEQEND);
        return false;
    }
    hcl_p_read(p);
    s_part_t *part;
    if (hcl_p_is_keyword(p, kw, "if")) {
        pk_hcl_expr_t *cond = hcl_parse_expression(p);
        part = s_add(p, parts, S_IF, hcl_range_between(open->range, hcl_p_peek(p)->range));
        if (part)
            part->expr = cond;
    }
    else if (hcl_p_is_keyword(p, kw, "else"))
        s_add(p, parts, S_ELSE, hcl_range_between(open->range, hcl_p_peek(p)->range));
    else if (hcl_p_is_keyword(p, kw, "endif"))
        s_add(p, parts, S_ENDIF, hcl_range_between(open->range, hcl_p_peek(p)->range));
    else if (hcl_p_is_keyword(p, kw, "endfor"))
        s_add(p, parts, S_ENDFOR, hcl_range_between(open->range, hcl_p_peek(p)->range));
    else if (hcl_p_is_keyword(p, kw, "for")) {
        const char *key_var = NULL, *val_var;
        const char *fail = NULL;
        const hcl_tok_t *t = hcl_p_peek(p);
        if (t->type != HCL_T_IDENT)
            fail = "For directive requires variable name after 'for'.";
        else {
            hcl_p_read(p);
            val_var = hcl_arena_strndup(p->arena, p->src + t->range.start.byte,
                                        t->range.end.byte - t->range.start.byte);
            if (hcl_p_peek(p)->type == HCL_T_COMMA) {
                hcl_p_read(p);
                key_var = val_var;
                t = hcl_p_peek(p);
                if (t->type != HCL_T_IDENT)
                    fail = "For directive requires value variable name after comma.";
                else {
                    hcl_p_read(p);
                    val_var = hcl_arena_strndup(p->arena, p->src + t->range.start.byte,
                                                t->range.end.byte - t->range.start.byte);
                }
            }
            if (!fail && !hcl_p_is_keyword(p, hcl_p_peek(p), "in"))
                fail = "For directive requires 'in' keyword after names.";
        }
        if (fail) {
            if (!p->recovery)
                hcl_p_error(p, hcl_p_peek(p)->range, "Invalid 'for' directive; %s", fail);
            hcl_p_recover(p, HCL_T_SEQEND);
            return false;
        }
        hcl_p_read(p);
        pk_hcl_expr_t *coll = hcl_parse_expression(p);
        part = s_add(p, parts, S_FOR, hcl_range_between(open->range, hcl_p_peek(p)->range));
        if (part) {
            part->expr = coll;
            part->key_var = key_var;
            part->val_var = val_var;
        }
    }
    else {
        if (!p->recovery) {
            size_t n = kw->range.end.byte - kw->range.start.byte;
            char *given = strndup(p->src + kw->range.start.byte, n);
            const char *sugg = given ? pk_suggest(given, words) : NULL;
            hcl_p_error(p, kw->range, "Invalid template control keyword; \"%s\" is not a valid template "
                        "control keyword.%s%s%s", given ? given : "", sugg ? " Did you mean \"" : "",
                        sugg ? sugg : "", sugg ? "\"?" : "");
            free(given);
        }
        hcl_p_recover(p, HCL_T_SEQEND);
        return false;
    }
    const hcl_tok_t *close = hcl_p_peek(p);
    if (close->type != HCL_T_SEQEND) {
        if (!p->recovery)
            hcl_p_error(p, close->range, "Extra characters in %.*s marker; Expected a closing brace to end "
                        "the sequence, but found extra characters.",
                        (int) (kw->range.end.byte - kw->range.start.byte), p->src + kw->range.start.byte);
        hcl_p_recover(p, HCL_T_SEQEND);
        return false;
    }
    hcl_p_read(p);
    return close->flags & HCL_TF_STRIP;
}

// Pass one: tokens up to the closing quote or heredoc marker into parts.
static void
s_read_parts(hcl_parser_t *p, const hcl_tok_t *open, s_parts_t *parts)
{
    int end = open->type == HCL_T_OQUOTE ? HCL_T_CQUOTE : HCL_T_CHEREDOC;
    bool ltrim_next = false, next_can_trim_prev = false;
    pk_range_t start = hcl_p_peek(p)->range;
    parts->end = start;
    while (!p->abort) {
        const hcl_tok_t *tok = hcl_p_read(p);
        if (tok->type == end) {
            parts->end = tok->range;
            break;
        }
        bool ltrim = ltrim_next, can_trim_prev = next_can_trim_prev;
        ltrim_next = next_can_trim_prev = false;
        if (tok->type == HCL_T_QLIT || tok->type == HCL_T_SLIT) {
            size_t len;
            char *text = hcl_p_unescape(p, tok, tok->type == HCL_T_QLIT, &len);
            s_part_t *part = text ? s_add(p, parts, S_LIT, tok->range) : NULL;
            if (!part) {
                free(text);
                continue;
            }
            part->text = text;
            part->len = len;
            if (ltrim)
                s_trim_left(part);
            next_can_trim_prev = true;
            continue;
        }
        if (tok->type == HCL_T_INTERP || tok->type == HCL_T_CONTROL) {
            if (can_trim_prev && (tok->flags & HCL_TF_STRIP) && parts->count > 0
            &&  parts->items[parts->count - 1].kind == S_LIT)
                s_trim_right(&parts->items[parts->count - 1]);
            hcl_p_push_nl(p, false);
            if (tok->type == HCL_T_CONTROL) {
                ltrim_next = s_directive(p, parts, tok);
                hcl_p_pop_nl(p);
                continue;
            }
            pk_hcl_expr_t *expr = hcl_parse_expression(p);
            const hcl_tok_t *close = hcl_p_peek(p);
            if (close->type != HCL_T_SEQEND) {
                if (!p->recovery) {
                    if (close->type == HCL_T_EOF)
                        hcl_p_error(p, tok->range, "Unclosed template interpolation sequence; There is no "
                                    "closing brace for this interpolation sequence before the end of the "
                                    "file. This might be caused by incorrect nesting inside the given "
                                    "expression.");
                    else if (close->type == HCL_T_COLON)
                        hcl_p_error(p, close->range, "Extra characters after interpolation expression; "
                                    "Template interpolation doesn't expect a colon at this location. Did you "
                                    "intend this to be a literal sequence to be processed as part of another "
                                    "language? If so, you can escape it by starting with \"$${\" instead of "
                                    "just \"${\".");
                    else if ((close->type == HCL_T_CQUOTE || close->type == HCL_T_OQUOTE)
                         &&  end == HCL_T_CQUOTE)
                        hcl_p_error(p, tok->range, "Unclosed template interpolation sequence; There is no "
                                    "closing brace for this interpolation sequence before the end of the "
                                    "quoted template. This might be caused by incorrect nesting inside the "
                                    "given expression.");
                    else if (close->type != HCL_T_INVALID)
                        hcl_p_error(p, close->range, "Extra characters after interpolation expression; "
                                    "Expected a closing brace to end the interpolation expression, but found "
                                    "extra characters. This can happen when you include interpolation syntax "
                                    "for another language, such as shell scripting, but forget to escape the "
                                    "interpolation start token. If this is an embedded sequence for another "
                                    "language, escape it by starting with \"$${\" instead of just \"${\".");
                }
                hcl_p_recover(p, HCL_T_SEQEND);
            }
            else {
                hcl_p_read(p);
                ltrim_next = close->flags & HCL_TF_STRIP;
            }
            hcl_p_pop_nl(p);
            s_part_t *part = s_add(p, parts, S_INTERP, hcl_range_between(tok->range, close->range));
            if (part)
                part->expr = expr;
            continue;
        }
        // A newline inside quotes (reported by the lexer), end of file, or
        // anything else that cannot be in a template ends it here.
        if (tok->type == HCL_T_INVALID) {
            p->recovery = true;
            parts->end = tok->range;
            break;
        }
        if (!p->recovery)
            hcl_p_error(p, open->range, "Unterminated template string; No closing marker was found for the "
                        "string.");
        parts->end = tok->type == HCL_T_EOF ? tok->range : hcl_p_recover(p, end)->range;
        p->recovery = true;
        break;
    }
    if (parts->count == 0) {
        s_part_t *part = s_add(p, parts, S_LIT, (pk_range_t) { start.start, start.start });
        if (part)
            part->text = calloc(1, 1);
    }
}

static bool
s_ends_line(const s_part_t *part)
{
    return part->kind == S_LIT && part->len > 0 && part->text[part->off + part->len - 1] == '\n';
}

// <<- heredocs: remove the smallest leading indentation from every line
// (lines holding only white space neither count nor change). A literal
// starts a line when the literal before it (after ~ stripping) ended one.
static void
s_flush(hcl_parser_t *p, s_parts_t *parts)
{
    size_t min = SIZE_MAX, nadjust = 0;
    size_t *adjust = malloc((parts->count + 1) * sizeof *adjust);
    if (!adjust) {
        p->abort = true;
        return;
    }
    bool newline = true;
    for (size_t i = 0; i < parts->count; i++) {
        s_part_t *part = &parts->items[i];
        if (newline) {
            size_t spaces = 0;
            if (part->kind == S_LIT && part->text) {
                s_part_t probe = *part;
                s_trim_left(&probe);
                if (probe.len == 0 && s_ends_line(part))
                    spaces = SIZE_MAX;
                else {
                    spaces = hcl_utf8_graphemes(part->text + part->off, probe.off - part->off);
                    adjust[nadjust++] = i;
                }
            }
            if (spaces < min)
                min = spaces;
        }
        newline = s_ends_line(part);
    }
    for (size_t k = 0; k < nadjust && min != SIZE_MAX; k++) {
        s_part_t *part = &parts->items[adjust[k]];
        for (size_t j = 0; j < min && part->len > 0; j++) {
            size_t n = hcl_utf8_grapheme(part->text + part->off, part->len);
            part->off += n;
            part->len -= n;
            part->range.start.col++;
            part->range.start.byte += n;
        }
    }
    free(adjust);
}

// Pass two.

typedef struct {
    s_parts_t *parts;
    size_t pos;
} s_tree_t;

static pk_hcl_expr_t *s_tree_item(hcl_parser_t *p, s_tree_t *t);

static pk_hcl_expr_t *
s_template_of(hcl_parser_t *p, pk_hcl_expr_t **items, size_t count, pk_range_t empty_at)
{
    pk_hcl_expr_t *e;
    if (count == 0) {
        e = hcl_p_new_expr(p, HCL_E_TEMPLATE, empty_at);
        pk_hcl_expr_t *lit = hcl_p_new_expr(p, HCL_E_LITERAL, empty_at);
        lit->u.lit.kind = HCL_LIT_STRING;
        lit->u.lit.s = "";
        e->u.list.items = hcl_arena_memdup(p->arena, &lit, sizeof lit);
        e->u.list.count = e->u.list.items ? 1 : 0;
        return e;
    }
    e = hcl_p_new_expr(p, HCL_E_TEMPLATE, hcl_range_between(items[0]->range, items[count - 1]->range));
    e->u.list.items = hcl_arena_memdup(p->arena, items, count * sizeof *items);
    e->u.list.count = e->u.list.items ? count : 0;
    return e;
}

typedef struct {
    pk_hcl_expr_t **items;
    size_t count, cap;
} s_list_t;

static void
s_list_push(hcl_parser_t *p, s_list_t *l, pk_hcl_expr_t *e)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        pk_hcl_expr_t **items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            p->abort = true;
            return;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = e;
}

static const char *
s_kind_name(s_kind_t kind)
{
    return kind == S_ELSE ? "else" : kind == S_ENDIF ? "endif" : "endfor";
}

// Reads items up to a closing directive; returns it (or NULL at the end).
static s_part_t *
s_tree_until(hcl_parser_t *p, s_tree_t *t, s_list_t *out)
{
    while (t->pos < t->parts->count && !p->abort) {
        s_part_t *part = &t->parts->items[t->pos];
        if (part->kind == S_ELSE || part->kind == S_ENDIF || part->kind == S_ENDFOR) {
            t->pos++;
            return part;
        }
        s_list_push(p, out, s_tree_item(p, t));
    }
    return NULL;
}

static pk_hcl_expr_t *
s_tree_if(hcl_parser_t *p, s_tree_t *t, s_part_t *open)
{
    s_list_t yes = { 0 }, no = { 0 }, *cur = &yes;
    pk_range_t endif = t->parts->end;
    pk_hcl_expr_t *fail = NULL;
    while (!fail && !p->abort) {
        s_part_t *end = s_tree_until(p, t, cur);
        if (!end) {
            hcl_p_error(p, t->parts->end, "Unexpected end of template; The if directive at %s:%d:%d is "
                        "missing its corresponding endif directive.", open->range.start.file,
                        open->range.start.line, open->range.start.col);
            fail = hcl_p_new_expr(p, HCL_E_ERROR, t->parts->end);
        }
        else if (end->kind == S_ELSE && cur == &yes)
            cur = &no;
        else if (end->kind == S_ENDIF) {
            endif = end->range;
            break;
        }
        else {
            if (end->kind == S_ELSE)
                hcl_p_error(p, end->range, "Unexpected else directive; Already in the else clause for the if "
                            "started at %s:%d:%d.", open->range.start.file, open->range.start.line,
                            open->range.start.col);
            else
                hcl_p_error(p, end->range, "Unexpected %s directive; Expecting an endif directive for the if "
                            "started at %s:%d:%d.", s_kind_name(end->kind), open->range.start.file,
                            open->range.start.line, open->range.start.col);
            fail = hcl_p_new_expr(p, HCL_E_ERROR, end->range);
        }
    }
    pk_hcl_expr_t *e = fail;
    if (!e) {
        e = hcl_p_new_expr(p, HCL_E_COND, hcl_range_between(open->range, endif));
        e->u.cond.cond = open->expr;
        e->u.cond.yes = s_template_of(p, yes.items, yes.count, (pk_range_t) { open->range.end, open->range.end });
        e->u.cond.no = s_template_of(p, no.items, no.count, (pk_range_t) { endif.start, endif.start });
    }
    free(yes.items);
    free(no.items);
    return e;
}

static pk_hcl_expr_t *
s_tree_for(hcl_parser_t *p, s_tree_t *t, s_part_t *open)
{
    s_list_t body = { 0 };
    pk_hcl_expr_t *e = NULL;
    s_part_t *end = s_tree_until(p, t, &body);
    if (!end)
        hcl_p_error(p, t->parts->end, "Unexpected end of template; The for directive at %s:%d:%d is missing "
                    "its corresponding endfor directive.", open->range.start.file, open->range.start.line,
                    open->range.start.col);
    else if (end->kind == S_ELSE)
        hcl_p_error(p, end->range, "Unexpected else directive; An else clause is not expected for a for "
                    "directive.");
    else if (end->kind != S_ENDFOR)
        hcl_p_error(p, end->range, "Unexpected %s directive; Expecting an endfor directive corresponding to "
                    "the for directive at %s:%d:%d.", s_kind_name(end->kind), open->range.start.file,
                    open->range.start.line, open->range.start.col);
    else {
        pk_hcl_expr_t *fr = hcl_p_new_expr(p, HCL_E_FOR, hcl_range_between(open->range, end->range));
        fr->u.fr.key_var = open->key_var;
        fr->u.fr.val_var = open->val_var;
        fr->u.fr.coll = open->expr;
        fr->u.fr.val = s_template_of(p, body.items, body.count, (pk_range_t) { open->range.end, open->range.end });
        e = hcl_p_new_expr(p, HCL_E_JOIN, fr->range);
        e->u.inner = fr;
    }
    free(body.items);
    return e ? e : hcl_p_new_expr(p, HCL_E_ERROR, end ? end->range : t->parts->end);
}

static pk_hcl_expr_t *
s_tree_item(hcl_parser_t *p, s_tree_t *t)
{
    s_part_t *part = &t->parts->items[t->pos++];
    pk_hcl_expr_t *e;
    switch (part->kind) {
    case S_LIT:
        e = hcl_p_new_expr(p, HCL_E_LITERAL, part->range);
        e->u.lit.kind = HCL_LIT_STRING;
        e->u.lit.s = hcl_arena_strndup(p->arena, part->text ? part->text + part->off : "", part->len);
        e->u.lit.len = e->u.lit.s ? part->len : 0;
        if (!e->u.lit.s)
            e->u.lit.s = "";
        return e;
    case S_INTERP:
        return part->expr;
    case S_IF:
    case S_FOR:
        if (!hcl_p_enter(p, part->range))
            return hcl_p_new_expr(p, HCL_E_ERROR, part->range);
        e = part->kind == S_IF ? s_tree_if(p, t, part) : s_tree_for(p, t, part);
        hcl_p_leave(p);
        return e;
    default:
        hcl_p_error(p, part->range, "Unexpected %s directive; The control directives within this template "
                    "are unbalanced.", s_kind_name(part->kind));
        return hcl_p_new_expr(p, HCL_E_ERROR, part->range);
    }
}

pk_hcl_expr_t *
hcl_parse_template(hcl_parser_t *p, const hcl_tok_t *open)
{
    s_parts_t parts = { 0 };
    s_read_parts(p, open, &parts);
    if (open->flags & HCL_TF_FLUSH)
        s_flush(p, &parts);
    pk_range_t range = hcl_range_between(open->range, hcl_p_prev_range(p));
    pk_hcl_expr_t *e;
    if (parts.count == 1 && parts.items[0].kind == S_INTERP) {
        e = hcl_p_new_expr(p, HCL_E_WRAP, range);
        e->u.inner = parts.items[0].expr;
    }
    else {
        s_tree_t t = { &parts, 0 };
        s_list_t items = { 0 };
        while (t.pos < parts.count && !p->abort)
            s_list_push(p, &items, s_tree_item(p, &t));
        e = hcl_p_new_expr(p, HCL_E_TEMPLATE, range);
        e->u.list.items = items.count ? hcl_arena_memdup(p->arena, items.items, items.count * sizeof *items.items) : NULL;
        e->u.list.count = e->u.list.items ? items.count : 0;
        free(items.items);
    }
    s_parts_free(&parts);
    return e;
}

char *
hcl_parse_string_lit(hcl_parser_t *p, size_t *len, pk_range_t *range)
{
    const hcl_tok_t *open = hcl_p_read(p);
    hcl_buf_t b;
    hcl_buf_init(&b);
    pk_range_t end = open->range;
    while (!p->abort) {
        const hcl_tok_t *tok = hcl_p_read(p);
        end = tok->range;
        if (tok->type == HCL_T_CQUOTE)
            break;
        if (tok->type == HCL_T_QLIT) {
            size_t n;
            char *s = hcl_p_unescape(p, tok, true, &n);
            if (s)
                hcl_buf_add(&b, s, n);
            free(s);
            continue;
        }
        if (tok->type == HCL_T_INTERP || tok->type == HCL_T_CONTROL) {
            char which = tok->type == HCL_T_INTERP ? '$' : '%';
            hcl_p_error(p, tok->range, "Invalid string literal; Template sequences are not allowed in this "
                        "string. To include a literal \"%c\", double it (as \"%c%c\") to escape it.",
                        which, which, which);
            hcl_buf_addc(&b, which);
            hcl_buf_adds(&b, "{ ... }");
            hcl_p_recover(p, HCL_T_SEQEND);
            continue;
        }
        if (tok->type == HCL_T_INVALID) {
            p->recovery = true;
            break;
        }
        if (tok->type == HCL_T_EOF)
            hcl_p_error(p, open->range, "Unterminated string literal; Unable to find the closing quote mark "
                        "before the end of the file.");
        else {
            hcl_p_error(p, tok->range, "Invalid string literal; This item is not valid in a string literal.");
            hcl_p_recover(p, HCL_T_CQUOTE);
        }
        break;
    }
    size_t n;
    char *s = hcl_buf_take(&b, &n);
    char *out = hcl_arena_strndup(p->arena, s ? s : "", s ? n : 0);
    free(s);
    if (len)
        *len = n;
    if (range)
        *range = hcl_range_between(open->range, end);
    return out ? out : (char *) "";
}
