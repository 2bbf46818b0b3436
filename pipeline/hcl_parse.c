// hcl_parse: the structural half of the parser (bodies, attributes, blocks,
// one-line blocks) plus the token peeker and error recovery the expression
// and template parsers share. It follows hclsyntax's parser.go closely, with
// one deliberate difference: hclsyntax stops reporting after its first
// recovery, while we resynchronise at the next body item (next line at
// bracket depth zero, never past the enclosing "}") and report again, so a
// file with three unrelated mistakes gets three errors.
#include "hcl_ast.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Peeker

static size_t
s_next_index(hcl_parser_t *p)
{
    if (p->abort)
        return p->ntoks - 1;
    bool nl = p->nl[p->nl_depth - 1];
    size_t i = p->pos;
    while (i < p->ntoks - 1 && !nl && p->toks[i].type == HCL_T_NEWLINE)
        i++;
    return i;
}

const hcl_tok_t *
hcl_p_peek(hcl_parser_t *p)
{
    return &p->toks[s_next_index(p)];
}

const hcl_tok_t *
hcl_p_read(hcl_parser_t *p)
{
    size_t i = s_next_index(p);
    p->pos = i < p->ntoks - 1 ? i + 1 : i;
    return &p->toks[i];
}

pk_range_t
hcl_p_prev_range(hcl_parser_t *p)
{
    if (p->pos == 0)
        return hcl_p_peek(p)->range;
    return p->toks[p->pos - 1].range;
}

void
hcl_p_push_nl(hcl_parser_t *p, bool include)
{
    if (p->nl_depth >= sizeof p->nl / sizeof p->nl[0]) {
        p->abort = true;
        return;
    }
    p->nl[p->nl_depth++] = include;
}

void
hcl_p_pop_nl(hcl_parser_t *p)
{
    if (p->nl_depth > 1)
        p->nl_depth--;
}

void
hcl_p_error(hcl_parser_t *p, pk_range_t range, const char *fmt, ...)
{
    if (p->abort)
        return;
    if (++p->errors > HCL_MAX_ERRORS) {
        pk_diags_error(p->diags, range, "Too many errors; Stopped after %d syntax errors.", HCL_MAX_ERRORS);
        p->abort = true;
        return;
    }
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    pk_diags_error(p->diags, range, "%s", msg ? msg : "syntax error");
    free(msg);
}

bool
hcl_p_enter(hcl_parser_t *p, pk_range_t at)
{
    if (p->abort)
        return false;
    if (++p->depth > HCL_MAX_DEPTH) {
        hcl_p_error(p, at, "Nesting too deep; Expressions and blocks may be nested at most %d levels deep.",
                    HCL_MAX_DEPTH);
        p->abort = true;
        return false;
    }
    return true;
}

void
hcl_p_leave(hcl_parser_t *p)
{
    p->depth--;
}

bool
hcl_p_is_keyword(hcl_parser_t *p, const hcl_tok_t *tok, const char *word)
{
    size_t n = strlen(word);
    return tok->type == HCL_T_IDENT && tok->range.end.byte - tok->range.start.byte == n
        && memcmp(p->src + tok->range.start.byte, word, n) == 0;
}

pk_range_t
hcl_range_between(pk_range_t a, pk_range_t b)
{
    return (pk_range_t) { a.start, b.end.byte >= a.start.byte ? b.end : a.end };
}

pk_hcl_expr_t *
hcl_p_new_expr(hcl_parser_t *p, hcl_expr_kind_t kind, pk_range_t range)
{
    pk_hcl_expr_t *e = hcl_arena_alloc(p->arena, sizeof *e);
    if (!e) {
        p->abort = true;
        // Out of memory: parsing stops (abort), and the callers' last writes
        // land in this scratch node instead of a NULL pointer.
        static _Thread_local pk_hcl_expr_t oom;
        oom.kind = HCL_E_ERROR;
        return &oom;
    }
    e->kind = kind;
    e->range = range;
    return e;
}

// Growable arrays used while a node's children are collected; the result
// is copied into the arena once complete.
void *
hcl_p_arr_push(hcl_parser_t *p, hcl_arr_t *a, size_t size)
{
    if (a->count == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        void *items = realloc(a->items, cap * size);
        if (!items) {
            p->abort = true;
            return NULL;
        }
        a->items = items;
        a->cap = cap;
    }
    void *slot = (char *) a->items + a->count++ * size;
    memset(slot, 0, size);
    return slot;
}

void *
hcl_p_arr_finish(hcl_parser_t *p, hcl_arr_t *a, size_t size)
{
    void *out = a->count ? hcl_arena_memdup(p->arena, a->items, a->count * size) : NULL;
    free(a->items);
    a->items = NULL;
    return out;
}

const char *
hcl_p_text(hcl_parser_t *p, const hcl_tok_t *tok)
{
    return hcl_arena_strndup(p->arena, p->src + tok->range.start.byte,
                             tok->range.end.byte - tok->range.start.byte);
}

static int
s_opposite(int type)
{
    switch (type) {
    case HCL_T_OBRACE: return HCL_T_CBRACE;
    case HCL_T_CBRACE: return HCL_T_OBRACE;
    case HCL_T_OBRACK: return HCL_T_CBRACK;
    case HCL_T_CBRACK: return HCL_T_OBRACK;
    case HCL_T_OPAREN: return HCL_T_CPAREN;
    case HCL_T_CPAREN: return HCL_T_OPAREN;
    case HCL_T_OQUOTE: return HCL_T_CQUOTE;
    case HCL_T_CQUOTE: return HCL_T_OQUOTE;
    case HCL_T_OHEREDOC: return HCL_T_CHEREDOC;
    case HCL_T_CHEREDOC: return HCL_T_OHEREDOC;
    case HCL_T_SEQEND: return HCL_T_INTERP;
    default: return -1;
    }
}

// Skips to the token closing the current bracket of type end (counting
// nested pairs) and returns it, leaving the peeker after it.
const hcl_tok_t *
hcl_p_recover(hcl_parser_t *p, int end)
{
    int start = s_opposite(end);
    p->recovery = true;
    long nest = 0;
    while (true) {
        const hcl_tok_t *tok = hcl_p_read(p);
        int type = tok->type;
        if (end == HCL_T_SEQEND && type == HCL_T_CONTROL)
            type = HCL_T_INTERP;
        if (type == HCL_T_EOF)
            return tok;
        if (type == start)
            nest++;
        else if (type == end) {
            if (nest < 1)
                return tok;
            nest--;
        }
    }
}

// Skips to the end of the current body item: the next newline outside any
// brackets. Stops before an unmatched "}" so the enclosing body still sees
// its own closing brace.
static void
s_recover_after_item(hcl_parser_t *p)
{
    p->recovery = true;
    long open = 0;
    while (true) {
        const hcl_tok_t *tok = hcl_p_peek(p);
        switch (tok->type) {
        case HCL_T_EOF:
            return;
        case HCL_T_NEWLINE:
            hcl_p_read(p);
            if (open == 0)
                return;
            continue;
        case HCL_T_OBRACE: case HCL_T_OBRACK: case HCL_T_OPAREN: case HCL_T_OQUOTE:
        case HCL_T_OHEREDOC: case HCL_T_INTERP: case HCL_T_CONTROL:
            open++;
            break;
        case HCL_T_CBRACE:
            if (open == 0)
                return;
            open--;
            break;
        case HCL_T_CBRACK: case HCL_T_CPAREN: case HCL_T_CQUOTE: case HCL_T_CHEREDOC:
        case HCL_T_SEQEND:
            if (open > 0)
                open--;
            break;
        default:
            break;
        }
        hcl_p_read(p);
    }
}

// Growable pointer vector used while a body is being parsed.
typedef struct {
    void **items;
    size_t count, cap;
} s_vec_t;

static void
s_vec_push(hcl_parser_t *p, s_vec_t *v, void *item)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        void **items = realloc(v->items, cap * sizeof(void *));
        if (!items) {
            p->abort = true;
            return;
        }
        v->items = items;
        v->cap = cap;
    }
    v->items[v->count++] = item;
}

static void *
s_vec_finish(hcl_parser_t *p, s_vec_t *v)
{
    void *out = v->count ? hcl_arena_memdup(p->arena, v->items, v->count * sizeof(void *)) : NULL;
    free(v->items);
    return out;
}

static pk_hcl_body_t *s_parse_body(hcl_parser_t *p, int end, pk_range_t open);

// After "name" has been read and "=" is next.
static pk_hcl_attr_t *
s_finish_attr(hcl_parser_t *p, const hcl_tok_t *ident, bool single_line)
{
    hcl_p_read(p);  // "="
    size_t errors = p->errors;
    pk_hcl_attr_t *attr = hcl_arena_alloc(p->arena, sizeof *attr);
    if (!attr) {
        p->abort = true;
        return NULL;
    }
    attr->name = hcl_p_text(p, ident);
    attr->name_range = ident->range;
    attr->expr = hcl_parse_expression(p);
    attr->range = hcl_range_between(ident->range, hcl_p_prev_range(p));
    if (p->recovery && p->errors > errors) {
        if (!single_line)
            s_recover_after_item(p);
        return attr;
    }
    if (single_line)
        return attr;
    const hcl_tok_t *end = hcl_p_peek(p);
    if (end->type == HCL_T_NEWLINE || end->type == HCL_T_EOF) {
        hcl_p_read(p);
        return attr;
    }
    if (!p->recovery) {
        if (end->type == HCL_T_COMMA)
            hcl_p_error(p, end->range, "Unexpected comma after argument; Argument definitions must be "
                        "separated by newlines, not commas. An argument definition must end with a newline.");
        else
            hcl_p_error(p, end->range, "Missing newline after argument; An argument definition must end "
                        "with a newline.");
    }
    s_recover_after_item(p);
    return attr;
}

// The body of "name {" when something other than a newline follows the
// brace: at most one attribute, then "}" on the same line.
static pk_hcl_body_t *
s_parse_single_attr_body(hcl_parser_t *p, const hcl_tok_t *obrace)
{
    pk_hcl_body_t *body = hcl_arena_alloc(p->arena, sizeof *body);
    if (!body) {
        p->abort = true;
        return NULL;
    }
    body->range = obrace->range;
    const hcl_tok_t *ident = hcl_p_peek(p);
    if (ident->type != HCL_T_IDENT) {
        if (ident->type != HCL_T_INVALID)
            hcl_p_error(p, ident->range, "Argument or block definition required; An argument or block "
                        "definition is required here.");
        hcl_p_recover(p, HCL_T_CBRACE);
        return body;
    }
    hcl_p_read(p);
    const hcl_tok_t *next = hcl_p_peek(p);
    if (next->type != HCL_T_EQUAL) {
        if (next->type == HCL_T_OQUOTE || next->type == HCL_T_OBRACE || next->type == HCL_T_IDENT)
            hcl_p_error(p, hcl_range_between(ident->range, next->range), "Argument definition required; "
                        "A single-line block definition can contain only a single argument. If you meant to "
                        "define argument \"%.*s\", use an equals sign to assign it a value. To define a nested "
                        "block, place it on a line of its own within its parent block.",
                        (int) (ident->range.end.byte - ident->range.start.byte),
                        p->src + ident->range.start.byte);
        else
            hcl_p_error(p, ident->range, "Argument or block definition required; An argument or block "
                        "definition is required here. To set an argument, use the equals sign \"=\" to "
                        "introduce the argument value.");
        hcl_p_recover(p, HCL_T_CBRACE);
        return body;
    }
    size_t errors = p->errors;
    pk_hcl_attr_t *attr = s_finish_attr(p, ident, true);
    if (attr) {
        body->attrs = hcl_arena_memdup(p->arena, &attr, sizeof attr);
        body->nattrs = body->attrs ? 1 : 0;
    }
    if (p->recovery && p->errors > errors) {
        hcl_p_recover(p, HCL_T_CBRACE);
        return body;
    }
    const hcl_tok_t *close = hcl_p_peek(p);
    switch (close->type) {
    case HCL_T_CBRACE:
        hcl_p_read(p);
        body->range = hcl_range_between(obrace->range, close->range);
        return body;
    case HCL_T_COMMA:
        hcl_p_error(p, close->range, "Invalid single-argument block definition; Single-line block syntax "
                    "can include only one argument definition. To define multiple arguments, use the "
                    "multi-line block syntax with one argument definition per line.");
        break;
    case HCL_T_NEWLINE:
        hcl_p_error(p, close->range, "Invalid single-argument block definition; An argument definition on "
                    "the same line as its containing block creates a single-line block definition, which "
                    "must also be closed on the same line. Place the block's closing brace immediately "
                    "after the argument definition.");
        break;
    case HCL_T_IDENT:
        hcl_p_error(p, close->range, "Invalid single-argument block definition; A single-line block can "
                    "hold only one argument. Put each argument on its own line, with the block's closing "
                    "brace on a line of its own.");
        break;
    case HCL_T_EOF:
        hcl_p_error(p, obrace->range, "Unclosed configuration block; There is no closing brace for this "
                    "block before the end of the file. This may be caused by incorrect brace nesting "
                    "elsewhere in this file.");
        return body;
    default:
        if (!p->recovery)
            hcl_p_error(p, close->range, "Invalid single-argument block definition; A single-line block "
                        "definition must end with a closing brace immediately after its single argument "
                        "definition.");
        break;
    }
    hcl_p_recover(p, HCL_T_CBRACE);
    return body;
}

// After the block type identifier has been read.
static pk_hcl_block_t *
s_finish_block(hcl_parser_t *p, const hcl_tok_t *ident)
{
    pk_hcl_block_t *block = hcl_arena_alloc(p->arena, sizeof *block);
    if (!block) {
        p->abort = true;
        return NULL;
    }
    block->type = hcl_p_text(p, ident);
    block->type_range = ident->range;
    block->range = ident->range;
    s_vec_t labels = { 0 };
    pk_range_t *ranges = NULL;
    size_t nranges = 0;
    const hcl_tok_t *obrace = NULL;
    while (!obrace && !p->abort) {
        const hcl_tok_t *tok = hcl_p_peek(p);
        pk_range_t r;
        if (tok->type == HCL_T_OBRACE) {
            obrace = hcl_p_read(p);
            break;
        }
        if (tok->type == HCL_T_OQUOTE || tok->type == HCL_T_IDENT) {
            const char *label;
            if (tok->type == HCL_T_OQUOTE)
                label = hcl_parse_string_lit(p, NULL, &r);
            else {
                hcl_p_read(p);
                label = hcl_p_text(p, tok);
                r = tok->range;
            }
            s_vec_push(p, &labels, (void *) label);
            pk_range_t *grown = realloc(ranges, (nranges + 1) * sizeof *ranges);
            if (!grown) {
                p->abort = true;
                break;
            }
            ranges = grown;
            ranges[nranges++] = r;
            continue;
        }
        if (tok->type == HCL_T_EQUAL)
            hcl_p_error(p, tok->range, "Invalid block definition; The equals sign \"=\" indicates an "
                        "argument definition, and must not be used when defining a block.");
        else if (tok->type == HCL_T_NEWLINE)
            hcl_p_error(p, tok->range, "Invalid block definition; A block definition must have block content "
                        "delimited by \"{\" and \"}\", starting on the same line as the block header.");
        else if (!p->recovery && tok->type != HCL_T_INVALID)
            hcl_p_error(p, tok->range, "Invalid block definition; Either a quoted string block label or an "
                        "opening brace (\"{\") is expected here.");
        s_recover_after_item(p);
        break;
    }
    block->nlabels = labels.count;
    block->labels = s_vec_finish(p, &labels);
    block->label_ranges = nranges ? hcl_arena_memdup(p->arena, ranges, nranges * sizeof *ranges) : NULL;
    free(ranges);
    if (!obrace) {
        block->body = hcl_arena_alloc(p->arena, sizeof(pk_hcl_body_t));
        if (block->body)
            block->body->range = ident->range;
        return block;
    }
    const hcl_tok_t *next = hcl_p_peek(p);
    if (next->type == HCL_T_NEWLINE || next->type == HCL_T_EOF || next->type == HCL_T_CBRACE)
        block->body = s_parse_body(p, HCL_T_CBRACE, obrace->range);
    else
        block->body = s_parse_single_attr_body(p, obrace);
    block->range = hcl_range_between(ident->range, hcl_p_prev_range(p));
    const hcl_tok_t *eol = hcl_p_peek(p);
    if (eol->type == HCL_T_NEWLINE || eol->type == HCL_T_EOF) {
        hcl_p_read(p);
        return block;
    }
    if (!p->recovery)
        hcl_p_error(p, eol->range, "Missing newline after block definition; A block definition must end "
                    "with a newline.");
    s_recover_after_item(p);
    return block;
}

// Attribute names seen in one body: an open-addressing hash set, so a body
// with very many attributes still checks uniqueness in linear time.
typedef struct {
    const pk_hcl_attr_t **slots;
    size_t cap, count;
} s_names_t;

static size_t
s_hash(const char *name)
{
    size_t h = 14695981039346656037u;
    for (; *name; name++)
        h = (h ^ (unsigned char) *name) * 1099511628211u;
    return h;
}

// Returns the attribute already holding attr's name, or adds attr and
// returns NULL.
static const pk_hcl_attr_t *
s_names_add(hcl_parser_t *p, s_names_t *names, const pk_hcl_attr_t *attr)
{
    if (2 * (names->count + 1) > names->cap) {
        size_t cap = names->cap ? names->cap * 2 : 16;
        const pk_hcl_attr_t **slots = calloc(cap, sizeof *slots);
        if (!slots) {
            p->abort = true;
            return NULL;
        }
        for (size_t i = 0; i < names->cap; i++) {
            if (!names->slots[i])
                continue;
            size_t k = s_hash(names->slots[i]->name) & (cap - 1);
            while (slots[k])
                k = (k + 1) & (cap - 1);
            slots[k] = names->slots[i];
        }
        free(names->slots);
        names->slots = slots;
        names->cap = cap;
    }
    size_t k = s_hash(attr->name) & (names->cap - 1);
    for (; names->slots[k]; k = (k + 1) & (names->cap - 1))
        if (strcmp(names->slots[k]->name, attr->name) == 0)
            return names->slots[k];
    names->slots[k] = attr;
    names->count++;
    return NULL;
}

static pk_hcl_body_t *
s_parse_body(hcl_parser_t *p, int end, pk_range_t open)
{
    pk_hcl_body_t *body = hcl_arena_alloc(p->arena, sizeof *body);
    if (!body) {
        p->abort = true;
        return NULL;
    }
    bool entered = hcl_p_enter(p, open);
    s_vec_t attrs = { 0 }, blocks = { 0 };
    s_names_t names = { 0 };
    pk_range_t end_range = open;
    while (entered && !p->abort) {
        p->recovery = false;
        const hcl_tok_t *tok = hcl_p_peek(p);
        if (tok->type == end) {
            end_range = tok->range;
            hcl_p_read(p);
            break;
        }
        if (tok->type == HCL_T_NEWLINE) {
            hcl_p_read(p);
            continue;
        }
        if (tok->type == HCL_T_EOF) {
            hcl_p_error(p, open, "Unclosed configuration block; There is no closing brace for this block "
                        "before the end of the file. This may be caused by incorrect brace nesting "
                        "elsewhere in this file.");
            end_range = tok->range;
            break;
        }
        if (tok->type != HCL_T_IDENT) {
            if (tok->type == HCL_T_OQUOTE)
                hcl_p_error(p, tok->range, "Invalid argument name; Argument names must not be quoted.");
            else if (tok->type == HCL_T_CBRACE)
                hcl_p_error(p, tok->range, "Unexpected closing brace; There is no open block for this "
                            "\"}\" to close.");
            else if (tok->type != HCL_T_INVALID)
                hcl_p_error(p, tok->range, "Argument or block definition required; An argument or block "
                            "definition is required here.");
            hcl_p_read(p);
            s_recover_after_item(p);
            continue;
        }
        hcl_p_read(p);
        const hcl_tok_t *next = hcl_p_peek(p);
        if (next->type == HCL_T_EQUAL) {
            pk_hcl_attr_t *attr = s_finish_attr(p, tok, false);
            if (!attr)
                continue;
            const pk_hcl_attr_t *prev = s_names_add(p, &names, attr);
            if (prev)
                hcl_p_error(p, attr->name_range, "Attribute redefined; The argument \"%s\" was already set "
                            "at %s:%d:%d. Each argument may be set only once.", attr->name,
                            prev->name_range.start.file, prev->name_range.start.line,
                            prev->name_range.start.col);
            else
                s_vec_push(p, &attrs, attr);
        }
        else if (next->type == HCL_T_OQUOTE || next->type == HCL_T_OBRACE || next->type == HCL_T_IDENT) {
            pk_hcl_block_t *block = s_finish_block(p, tok);
            if (block)
                s_vec_push(p, &blocks, block);
        }
        else {
            hcl_p_error(p, tok->range, "Argument or block definition required; An argument or block "
                        "definition is required here. To set an argument, use the equals sign \"=\" to "
                        "introduce the argument value.");
            s_recover_after_item(p);
        }
    }
    if (entered)
        hcl_p_leave(p);
    free(names.slots);
    body->nattrs = attrs.count;
    body->attrs = s_vec_finish(p, &attrs);
    body->nblocks = blocks.count;
    body->blocks = s_vec_finish(p, &blocks);
    body->range = hcl_range_between(open, end_range);
    return body;
}

pk_hcl_file_t *
pk_hcl_parse(const char *filename, const char *src, size_t len, pk_diags_t *diags)
{
    hcl_arena_t *arena = hcl_arena_new();
    pk_hcl_file_t *file = arena ? hcl_arena_alloc(arena, sizeof *file) : NULL;
    const char *name = file ? hcl_arena_strndup(arena, filename ? filename : "<input>",
                                                filename ? strlen(filename) : 7) : NULL;
    hcl_tokens_t toks;
    if (!name || hcl_lex(name, src, len, &toks, diags) < 0) {
        hcl_arena_destroy(&arena);
        return NULL;
    }
    file->arena = arena;
    file->name = name;
    hcl_parser_t *p = calloc(1, sizeof *p);
    if (!p) {
        hcl_tokens_free(&toks);
        hcl_arena_destroy(&arena);
        return NULL;
    }
    p->src = src ? src : "";
    p->toks = toks.toks;
    p->ntoks = toks.count;
    p->arena = arena;
    p->diags = diags;
    p->nl[0] = true;
    p->nl_depth = 1;
    pk_range_t start = { { name, 1, 1, 0 }, { name, 1, 1, 0 } };
    file->body = s_parse_body(p, HCL_T_EOF, start);
    if (file->body)
        file->body->range = (pk_range_t) { start.start, toks.toks[toks.count - 1].range.end };
    bool failed = !file->body;
    free(p);
    hcl_tokens_free(&toks);
    if (failed) {
        hcl_arena_destroy(&arena);
        return NULL;
    }
    return file;
}

#define S_MAX_FILE ((long) 256 << 20)

pk_hcl_file_t *
pk_hcl_parse_file(const char *path, pk_diags_t *diags)
{
    pk_range_t nowhere = { { NULL, 0, 0, 0 }, { NULL, 0, 0, 0 } };
    FILE *f = fopen(path, "rb");
    if (!f) {
        pk_diags_error(diags, nowhere, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    while (true) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            char *grown = (long) cap > S_MAX_FILE ? NULL : realloc(buf, cap);
            if (!grown) {
                pk_diags_error(diags, nowhere, "cannot read %s: file too large", path);
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    bool failed = ferror(f);
    fclose(f);
    if (failed) {
        pk_diags_error(diags, nowhere, "cannot read %s: read error", path);
        free(buf);
        return NULL;
    }
    pk_hcl_file_t *file = pk_hcl_parse(path, buf, len, diags);
    free(buf);
    return file;
}

void
pk_hcl_file_destroy(pk_hcl_file_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hcl_arena_t *arena = (*self_p)->arena;
    hcl_arena_destroy(&arena);
    *self_p = NULL;
}
