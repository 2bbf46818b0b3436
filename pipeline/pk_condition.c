// pk_condition: tokeniser, recursive-descent parser and evaluator for `if`
// conditions (grammar in pk_condition.h). Tokenising comes first and keeps
// operand text raw; expansion of $VARS happens only when an operand is
// evaluated, which is what makes injection impossible. The parsed tree lives
// in one array owned by the condition, so destroy is a single walk-free free.
#include "pk_condition.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_DEPTH 64          // parentheses nesting; keeps hostile input off the stack

typedef enum {
    T_LPAREN, T_RPAREN, T_EQ, T_NE, T_LT, T_GT, T_AND, T_OR, T_VALUE, T_END
} s_tok_kind_t;

typedef struct {
    s_tok_kind_t kind;
    char *text;         // T_VALUE: operand text without quotes, unexpanded
    bool quoted;
    size_t offset;      // 0-based byte offset in the source
} s_tok_t;

typedef enum { N_VALUE, N_GROUP, N_CMP, N_AND, N_OR } s_node_kind_t;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_GT, OP_CONTAINS, OP_NOT_CONTAINS } s_op_t;

typedef struct {
    s_node_kind_t kind;
    s_op_t op;
    int left, right;    // node indexes (-1 none); N_GROUP uses left
    int next;           // the next operand of the enclosing N_AND/N_OR (-1 none)
    const char *text;   // N_VALUE: borrowed from the token array
} s_node_t;

struct _pk_condition_t {
    s_tok_t *toks;
    size_t ntoks;
    s_node_t *nodes;
    size_t nnodes, cap;
    int root;           // -1 for an empty condition (true)
};

typedef struct {
    pk_condition_t *c;
    size_t pos;         // token index
    int depth;
    char *err;
} s_parser_t;

static char *
s_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        out = NULL;
    va_end(ap);
    return out;
}

static int
s_push_tok(pk_condition_t *c, size_t *cap, s_tok_kind_t kind, const char *text, size_t len,
           bool quoted, size_t offset)
{
    if (c->ntoks == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        s_tok_t *n = realloc(c->toks, ncap * sizeof *n);
        if (!n)
            return -1;
        c->toks = n;
        *cap = ncap;
    }
    s_tok_t *t = &c->toks[c->ntoks];
    t->kind = kind;
    t->quoted = quoted;
    t->offset = offset;
    t->text = NULL;
    if (text) {
        t->text = strndup(text, len);
        if (!t->text)
            return -1;
    }
    c->ntoks++;
    return 0;
}

static bool
s_starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

// Splits the text into tokens. Bare words end at space, parentheses, quotes,
// < > and the two-character operators, as in PikoCI.
static int
s_tokenise(pk_condition_t *c, const char *text, char **err)
{
    size_t cap = 0;
    const char *p = text;
    while (*p) {
        size_t off = (size_t) (p - text);
        if (isspace((unsigned char) *p)) {
            p++;
            continue;
        }
        static const struct { const char *s; s_tok_kind_t k; } ops[] = {
            { "==", T_EQ }, { "!=", T_NE }, { "&&", T_AND }, { "||", T_OR },
            { "<", T_LT }, { ">", T_GT }, { "(", T_LPAREN }, { ")", T_RPAREN }
        };
        bool matched = false;
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (s_starts(p, ops[i].s)) {
                if (s_push_tok(c, &cap, ops[i].k, NULL, 0, false, off))
                    return -1;
                p += strlen(ops[i].s);
                matched = true;
                break;
            }
        if (matched)
            continue;
        if (*p == '\'') {
            const char *end = strchr(p + 1, '\'');
            if (!end) {
                *err = s_fmt("unterminated quoted string starting at character %zu", off + 1);
                return -1;
            }
            if (s_push_tok(c, &cap, T_VALUE, p + 1, (size_t) (end - p - 1), true, off))
                return -1;
            p = end + 1;
            continue;
        }
        const char *start = p;
        while (*p && !isspace((unsigned char) *p) && !strchr("()<>'", *p)
               && !s_starts(p, "==") && !s_starts(p, "!=") && !s_starts(p, "&&")
               && !s_starts(p, "||"))
            p++;
        if (s_push_tok(c, &cap, T_VALUE, start, (size_t) (p - start), false, off))
            return -1;
    }
    return s_push_tok(c, &cap, T_END, NULL, 0, false, strlen(text));
}

static int
s_node(s_parser_t *ps, s_node_kind_t kind, int left, int right)
{
    pk_condition_t *c = ps->c;
    if (c->nnodes == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 16;
        s_node_t *n = realloc(c->nodes, ncap * sizeof *n);
        if (!n) {
            free(ps->err);
            ps->err = strdup("out of memory");
            return -1;
        }
        c->nodes = n;
        c->cap = ncap;
    }
    s_node_t *n = &c->nodes[c->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->left = left;
    n->right = right;
    n->next = -1;
    return (int) c->nnodes++;
}

static const s_tok_t *
s_peek(s_parser_t *ps)
{
    return &ps->c->toks[ps->pos];
}

static const char *
s_tok_desc(const s_tok_t *t)
{
    switch (t->kind) {
    case T_LPAREN: return "(";
    case T_RPAREN: return ")";
    case T_EQ: return "==";
    case T_NE: return "!=";
    case T_LT: return "<";
    case T_GT: return ">";
    case T_AND: return "&&";
    case T_OR: return "||";
    case T_VALUE: return t->text;
    default: return "end of condition";
    }
}

static void
s_error(s_parser_t *ps, const s_tok_t *t, const char *what)
{
    if (ps->err)
        return;
    if (t->kind == T_END)
        ps->err = s_fmt("%s at end of condition", what);
    else
        ps->err = s_fmt("%s, found \"%s\" at character %zu", what, s_tok_desc(t), t->offset + 1);
}

static int s_parse_or(s_parser_t *ps);

static int
s_parse_operand(s_parser_t *ps)
{
    const s_tok_t *t = s_peek(ps);
    if (t->kind == T_LPAREN) {
        if (++ps->depth > S_MAX_DEPTH) {
            ps->err = s_fmt("parentheses nested deeper than %d at character %zu",
                            S_MAX_DEPTH, t->offset + 1);
            return -1;
        }
        ps->pos++;
        int inner = s_parse_or(ps);
        if (inner < 0)
            return -1;
        if (s_peek(ps)->kind != T_RPAREN) {
            s_error(ps, s_peek(ps), "expected \")\"");
            return -1;
        }
        ps->pos++;
        ps->depth--;
        return s_node(ps, N_GROUP, inner, -1);
    }
    if (t->kind != T_VALUE) {
        s_error(ps, t, "expected a value");
        return -1;
    }
    if (!t->quoted && t->text[0] == '!') {
        ps->err = s_fmt("\"!\" at character %zu: negation is not supported; "
                        "compare explicitly instead (e.g. $X == 'false')", t->offset + 1);
        return -1;
    }
    ps->pos++;
    int n = s_node(ps, N_VALUE, -1, -1);
    if (n >= 0)
        ps->c->nodes[n].text = t->text;
    return n;
}

// An operator token, or a bare contains/!contains word in operator position.
static bool
s_take_op(s_parser_t *ps, s_op_t *op)
{
    const s_tok_t *t = s_peek(ps);
    switch (t->kind) {
    case T_EQ: *op = OP_EQ; break;
    case T_NE: *op = OP_NE; break;
    case T_LT: *op = OP_LT; break;
    case T_GT: *op = OP_GT; break;
    case T_VALUE:
        if (t->quoted)
            return false;
        if (!strcmp(t->text, "contains"))
            *op = OP_CONTAINS;
        else if (!strcmp(t->text, "!contains"))
            *op = OP_NOT_CONTAINS;
        else
            return false;
        break;
    default:
        return false;
    }
    ps->pos++;
    return true;
}

static int
s_parse_cmp(s_parser_t *ps)
{
    int left = s_parse_operand(ps);
    if (left < 0)
        return -1;
    s_op_t op;
    const s_tok_t *optok = s_peek(ps);
    if (!s_take_op(ps, &op)) {
        s_tok_kind_t k = s_peek(ps)->kind;
        if (k != T_AND && k != T_OR && k != T_RPAREN && k != T_END) {
            s_error(ps, s_peek(ps),
                    "expected an operator (==, !=, <, >, contains, !contains, &&, ||)");
            return -1;
        }
        return left;
    }
    int right = s_parse_operand(ps);
    if (right < 0) {
        if (s_peek(ps)->kind == T_END && ps->err) {
            free(ps->err);
            ps->err = s_fmt("expected a value after \"%s\" at character %zu",
                            op == OP_CONTAINS ? "contains" : op == OP_NOT_CONTAINS
                            ? "!contains" : s_tok_desc(optok), optok->offset + 1);
        }
        return -1;
    }
    int n = s_node(ps, N_CMP, left, right);
    if (n >= 0)
        ps->c->nodes[n].op = op;
    return n;
}

// `a && b && c` (and the same for ||) is one node whose operands are linked
// through `next`, so a long chain costs no recursion when evaluated.
static int
s_parse_chain(s_parser_t *ps, s_tok_kind_t sep, s_node_kind_t kind, int (*operand)(s_parser_t *))
{
    int first = operand(ps);
    if (first < 0 || s_peek(ps)->kind != sep)
        return first;
    int chain = s_node(ps, kind, first, -1);
    int last = first;
    while (chain >= 0 && s_peek(ps)->kind == sep) {
        ps->pos++;
        int next = operand(ps);
        if (next < 0)
            return -1;
        ps->c->nodes[last].next = next;
        last = next;
    }
    return chain;
}

static int
s_parse_and(s_parser_t *ps)
{
    return s_parse_chain(ps, T_AND, N_AND, s_parse_cmp);
}

static int
s_parse_or(s_parser_t *ps)
{
    return s_parse_chain(ps, T_OR, N_OR, s_parse_and);
}

pk_condition_t *
pk_condition_new(const char *text, char **err_out)
{
    if (err_out)
        *err_out = NULL;
    pk_condition_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->root = -1;
    s_parser_t ps = { .c = self };
    if (s_tokenise(self, text ? text : "", &ps.err) == 0) {
        // A blank condition has only T_END and stays root -1: always true.
        if (s_peek(&ps)->kind != T_END) {
            self->root = s_parse_or(&ps);
            if (self->root >= 0 && s_peek(&ps)->kind != T_END)
                s_error(&ps, s_peek(&ps), "unexpected text after the condition");
        }
    }
    else if (!ps.err)
        ps.err = strdup("out of memory");
    if (ps.err) {
        if (err_out)
            *err_out = ps.err;
        else
            free(ps.err);
        pk_condition_destroy(&self);
        return NULL;
    }
    return self;
}

void
pk_condition_destroy(pk_condition_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pk_condition_t *self = *self_p;
    for (size_t i = 0; i < self->ntoks; i++)
        free(self->toks[i].text);
    free(self->toks);
    free(self->nodes);
    free(self);
    *self_p = NULL;
}

static bool
s_name_start(char ch)
{
    return isalpha((unsigned char) ch) || ch == '_';
}

static bool
s_name_char(char ch)
{
    return isalnum((unsigned char) ch) || ch == '_';
}

char *
pk_condition_expand(const char *text, pk_condition_lookup_fn *lookup, void *arg)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (!f)
        return NULL;
    for (const char *p = text; *p; ) {
        const char *name = NULL;
        size_t nlen = 0, skip = 0;
        if (p[0] == '$' && s_name_start(p[1])) {
            name = p + 1;
            while (s_name_char(name[nlen]))
                nlen++;
            skip = 1 + nlen;
        }
        else if (p[0] == '$' && p[1] == '{' && s_name_start(p[2])) {
            size_t n = 0;
            while (s_name_char(p[2 + n]))
                n++;
            if (p[2 + n] == '}') {
                name = p + 2;
                nlen = n;
                skip = 3 + n;
            }
        }
        if (!name) {
            fputc(*p++, f);
            continue;
        }
        char *key = strndup(name, nlen);
        const char *val = key && lookup ? lookup(key, arg) : NULL;
        if (val)
            fputs(val, f);
        free(key);
        p += skip;
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

typedef struct {
    const pk_condition_t *c;
    pk_condition_lookup_fn *lookup;
    void *arg;
} s_eval_t;

static bool s_eval_bool(const s_eval_t *e, int n);

// The text an operand stands for; a parenthesised group is "true" or "".
static char *
s_eval_text(const s_eval_t *e, int n)
{
    const s_node_t *node = &e->c->nodes[n];
    if (node->kind == N_VALUE)
        return pk_condition_expand(node->text, e->lookup, e->arg);
    return strdup(s_eval_bool(e, n) ? "true" : "");
}

static bool
s_truthy(const char *s)
{
    return s && *s && strcmp(s, "0") != 0 && strcasecmp(s, "false") != 0;
}

static bool
s_number(const char *s, double *out)
{
    if (!*s || isspace((unsigned char) *s))
        return false;
    char *end = NULL;
    *out = strtod(s, &end);
    return end && *end == '\0';
}

static bool
s_compare(s_op_t op, const char *l, const char *r)
{
    double ln, rn;
    bool numeric = s_number(l, &ln) && s_number(r, &rn);
    switch (op) {
    case OP_EQ: return strcmp(l, r) == 0;
    case OP_NE: return strcmp(l, r) != 0;
    case OP_LT: return numeric ? ln < rn : strcmp(l, r) < 0;
    case OP_GT: return numeric ? ln > rn : strcmp(l, r) > 0;
    case OP_CONTAINS: return strstr(l, r) != NULL;
    case OP_NOT_CONTAINS: return strstr(l, r) == NULL;
    }
    return false;
}

static bool
s_eval_bool(const s_eval_t *e, int n)
{
    const s_node_t *node = &e->c->nodes[n];
    switch (node->kind) {
    case N_GROUP:
        return s_eval_bool(e, node->left);
    case N_AND:
        for (int i = node->left; i >= 0; i = e->c->nodes[i].next)
            if (!s_eval_bool(e, i))
                return false;
        return true;
    case N_OR:
        for (int i = node->left; i >= 0; i = e->c->nodes[i].next)
            if (s_eval_bool(e, i))
                return true;
        return false;
    case N_VALUE: {
        char *v = s_eval_text(e, n);
        bool b = s_truthy(v);
        free(v);
        return b;
    }
    case N_CMP: {
        char *l = s_eval_text(e, node->left);
        char *r = s_eval_text(e, node->right);
        bool b = l && r && s_compare(node->op, l, r);
        free(l);
        free(r);
        return b;
    }
    }
    return false;
}

bool
pk_condition_eval(const pk_condition_t *self, pk_condition_lookup_fn *lookup, void *arg)
{
    if (!self || self->root < 0)
        return true;
    s_eval_t e = { self, lookup, arg };
    return s_eval_bool(&e, self->root);
}

int
pk_condition_evaluate(const char *text, pk_condition_lookup_fn *lookup, void *arg,
                      bool *result, char **err_out)
{
    pk_condition_t *c = pk_condition_new(text, err_out);
    if (!c)
        return -1;
    *result = pk_condition_eval(c, lookup, arg);
    pk_condition_destroy(&c);
    return 0;
}
