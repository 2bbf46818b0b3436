// hcl_ast: the per-file arena and the public read-only accessors of
// pk_hcl.h (bodies, attributes, blocks, expression keywords and variable
// traversals). The arena hands out zeroed, 16-byte-aligned memory from
// 256 KiB chunks; big requests get a chunk of their own.
#include "hcl_ast.h"
#include <stdlib.h>
#include <string.h>

#define S_CHUNK 262144

// 32-byte header keeps the data behind it 16-byte aligned.
typedef struct s_chunk {
    struct s_chunk *next;
    size_t used, size, pad;
} s_chunk_t;

#define S_DATA(c) ((unsigned char *) ((c) + 1))

struct _hcl_arena_t {
    s_chunk_t *head;
};

hcl_arena_t *
hcl_arena_new(void)
{
    return calloc(1, sizeof(hcl_arena_t));
}

void
hcl_arena_destroy(hcl_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_chunk_t *c = (*self_p)->head;
    while (c) {
        s_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    free(*self_p);
    *self_p = NULL;
}

void *
hcl_arena_alloc(hcl_arena_t *self, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    s_chunk_t *c = self->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > S_CHUNK / 4 ? size : S_CHUNK;
        s_chunk_t *n = malloc(sizeof(s_chunk_t) + cap);
        if (!n)
            return NULL;
        n->used = 0;
        n->size = cap;
        if (c && cap != S_CHUNK) {
            // Keep filling the current chunk: put the big one behind it.
            n->next = c->next;
            c->next = n;
        }
        else {
            n->next = c;
            self->head = n;
        }
        c = n;
    }
    void *p = S_DATA(c) + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *
hcl_arena_strndup(hcl_arena_t *self, const char *s, size_t len)
{
    char *p = hcl_arena_alloc(self, len + 1);
    if (p && len)
        memcpy(p, s, len);
    return p;
}

void *
hcl_arena_memdup(hcl_arena_t *self, const void *src, size_t size)
{
    void *p = hcl_arena_alloc(self, size);
    if (p && size)
        memcpy(p, src, size);
    return p;
}

// Files and bodies

const pk_hcl_body_t *
pk_hcl_file_body(const pk_hcl_file_t *self)
{
    return self ? self->body : NULL;
}

const char *
pk_hcl_file_name(const pk_hcl_file_t *self)
{
    return self ? self->name : NULL;
}

size_t
pk_hcl_body_attr_count(const pk_hcl_body_t *body)
{
    return body ? body->nattrs : 0;
}

const pk_hcl_attr_t *
pk_hcl_body_attr(const pk_hcl_body_t *body, size_t index)
{
    return body && index < body->nattrs ? body->attrs[index] : NULL;
}

const pk_hcl_attr_t *
pk_hcl_body_attr_find(const pk_hcl_body_t *body, const char *name)
{
    for (size_t i = 0; body && name && i < body->nattrs; i++)
        if (strcmp(body->attrs[i]->name, name) == 0)
            return body->attrs[i];
    return NULL;
}

size_t
pk_hcl_body_block_count(const pk_hcl_body_t *body)
{
    return body ? body->nblocks : 0;
}

const pk_hcl_block_t *
pk_hcl_body_block(const pk_hcl_body_t *body, size_t index)
{
    return body && index < body->nblocks ? body->blocks[index] : NULL;
}

pk_range_t
pk_hcl_body_range(const pk_hcl_body_t *body)
{
    return body ? body->range : (pk_range_t) { { 0 }, { 0 } };
}

const char *
pk_hcl_attr_name(const pk_hcl_attr_t *attr)
{
    return attr ? attr->name : NULL;
}

pk_range_t
pk_hcl_attr_name_range(const pk_hcl_attr_t *attr)
{
    return attr ? attr->name_range : (pk_range_t) { { 0 }, { 0 } };
}

pk_range_t
pk_hcl_attr_range(const pk_hcl_attr_t *attr)
{
    return attr ? attr->range : (pk_range_t) { { 0 }, { 0 } };
}

const pk_hcl_expr_t *
pk_hcl_attr_expr(const pk_hcl_attr_t *attr)
{
    return attr ? attr->expr : NULL;
}

const char *
pk_hcl_block_type(const pk_hcl_block_t *block)
{
    return block ? block->type : NULL;
}

pk_range_t
pk_hcl_block_type_range(const pk_hcl_block_t *block)
{
    return block ? block->type_range : (pk_range_t) { { 0 }, { 0 } };
}

size_t
pk_hcl_block_label_count(const pk_hcl_block_t *block)
{
    return block ? block->nlabels : 0;
}

const char *
pk_hcl_block_label(const pk_hcl_block_t *block, size_t index)
{
    return block && index < block->nlabels ? block->labels[index] : NULL;
}

pk_range_t
pk_hcl_block_label_range(const pk_hcl_block_t *block, size_t index)
{
    if (!block || index >= block->nlabels || !block->label_ranges)
        return (pk_range_t) { { 0 }, { 0 } };
    return block->label_ranges[index];
}

const pk_hcl_body_t *
pk_hcl_block_body(const pk_hcl_block_t *block)
{
    return block ? block->body : NULL;
}

pk_range_t
pk_hcl_block_range(const pk_hcl_block_t *block)
{
    return block ? block->range : (pk_range_t) { { 0 }, { 0 } };
}

// Expressions

pk_range_t
pk_hcl_expr_range(const pk_hcl_expr_t *expr)
{
    return expr ? expr->range : (pk_range_t) { { 0 }, { 0 } };
}

const char *
pk_hcl_expr_keyword(const pk_hcl_expr_t *expr)
{
    if (!expr)
        return NULL;
    if (expr->kind == HCL_E_SCOPE && expr->u.trav.nsteps == 0)
        return expr->u.trav.root;
    if (expr->kind == HCL_E_LITERAL) {
        // true, false and null written as keywords (spec: "Static Traversal").
        if (expr->u.lit.kind == HCL_LIT_NULL)
            return "null";
        if (expr->u.lit.kind == HCL_LIT_BOOL)
            return expr->u.lit.b ? "true" : "false";
    }
    return NULL;
}

// Names bound by enclosing for expressions, innermost first.
typedef struct s_bound {
    const char *a, *b;
    const struct s_bound *up;
} s_bound_t;

static bool
s_is_bound(const s_bound_t *scope, const char *name)
{
    for (; scope; scope = scope->up)
        if ((scope->a && strcmp(scope->a, name) == 0) || (scope->b && strcmp(scope->b, name) == 0))
            return true;
    return false;
}

static void
s_walk(const pk_hcl_expr_t *e, const s_bound_t *scope, pk_hcl_traversal_fn *fn, void *arg)
{
    if (!e)
        return;
    switch (e->kind) {
    case HCL_E_SCOPE:
        if (!s_is_bound(scope, e->u.trav.root)) {
            const char *attr = NULL;
            if (e->u.trav.nsteps > 0) {
                const hcl_step_t *s = &e->u.trav.steps[0];
                if (!s->is_index)
                    attr = s->name;
                else if (s->key.kind == HCL_LIT_STRING)
                    attr = s->key.s;
            }
            fn(e->u.trav.root, attr, e->range, arg);
        }
        break;
    case HCL_E_RELATIVE:
        s_walk(e->u.trav.source, scope, fn, arg);
        break;
    case HCL_E_TEMPLATE:
    case HCL_E_TUPLE:
        for (size_t i = 0; i < e->u.list.count; i++)
            s_walk(e->u.list.items[i], scope, fn, arg);
        break;
    case HCL_E_WRAP:
    case HCL_E_JOIN:
    case HCL_E_PAREN:
        s_walk(e->u.inner, scope, fn, arg);
        break;
    case HCL_E_INDEX:
        s_walk(e->u.index.coll, scope, fn, arg);
        s_walk(e->u.index.key, scope, fn, arg);
        break;
    case HCL_E_SPLAT:
        s_walk(e->u.splat.source, scope, fn, arg);
        s_walk(e->u.splat.each, scope, fn, arg);
        break;
    case HCL_E_CALL:
        for (size_t i = 0; i < e->u.call.nargs; i++)
            s_walk(e->u.call.args[i], scope, fn, arg);
        break;
    case HCL_E_UNARY:
    case HCL_E_BINARY:
        s_walk(e->u.op.lhs, scope, fn, arg);
        s_walk(e->u.op.rhs, scope, fn, arg);
        break;
    case HCL_E_COND:
        s_walk(e->u.cond.cond, scope, fn, arg);
        s_walk(e->u.cond.yes, scope, fn, arg);
        s_walk(e->u.cond.no, scope, fn, arg);
        break;
    case HCL_E_FOR: {
        s_walk(e->u.fr.coll, scope, fn, arg);
        s_bound_t inner = { e->u.fr.key_var, e->u.fr.val_var, scope };
        s_walk(e->u.fr.key, &inner, fn, arg);
        s_walk(e->u.fr.val, &inner, fn, arg);
        s_walk(e->u.fr.cond, &inner, fn, arg);
        break;
    }
    case HCL_E_OBJECT:
        for (size_t i = 0; i < e->u.obj.count; i++) {
            const hcl_obj_item_t *item = &e->u.obj.items[i];
            bool literal_key = !item->key_is_expr && pk_hcl_expr_keyword(item->key);
            if (!literal_key)
                s_walk(item->key, scope, fn, arg);
            s_walk(item->value, scope, fn, arg);
        }
        break;
    default:
        break;
    }
}

void
pk_hcl_expr_traversals(const pk_hcl_expr_t *expr, pk_hcl_traversal_fn *fn, void *arg)
{
    if (fn)
        s_walk(expr, NULL, fn, arg);
}
