// hcl_parse_coll: the bracketed expression forms: function calls (with
// "..." expansion), tuples, objects (newline- or comma-separated, "=" or
// ":" between key and value, parenthesised keys) and for expressions in both
// tuple and object form. Inside () and [] newlines are insignificant; inside
// an object's braces they separate items, as in hclsyntax.
#include "hcl_ast.h"
#include <stdlib.h>
#include <string.h>

static pk_hcl_expr_t *
s_error_expr(hcl_parser_t *p, pk_range_t range)
{
    return hcl_p_new_expr(p, HCL_E_ERROR, range);
}

pk_hcl_expr_t *
hcl_parse_call(hcl_parser_t *p, const hcl_tok_t *name)
{
    const hcl_tok_t *open = hcl_p_read(p);
    hcl_arr_t args = { 0 };
    bool expand = false;
    const hcl_tok_t *close = open;
    hcl_p_push_nl(p, false);
    while (!p->abort) {
        const hcl_tok_t *tok = hcl_p_peek(p);
        if (tok->type == HCL_T_CPAREN) {
            close = hcl_p_read(p);
            break;
        }
        size_t errors = p->errors;
        pk_hcl_expr_t *arg = hcl_parse_expression(p);
        pk_hcl_expr_t **slot = hcl_p_arr_push(p, &args, sizeof *slot);
        if (slot)
            *slot = arg;
        if (p->recovery && p->errors > errors) {
            close = hcl_p_recover(p, HCL_T_CPAREN);
            break;
        }
        const hcl_tok_t *sep = hcl_p_read(p);
        if (sep->type == HCL_T_CPAREN) {
            close = sep;
            break;
        }
        if (sep->type == HCL_T_ELLIPSIS) {
            expand = true;
            if (hcl_p_peek(p)->type != HCL_T_CPAREN) {
                if (!p->recovery)
                    hcl_p_error(p, sep->range, "Missing closing parenthesis; An expanded function argument "
                                "(with ...) must be immediately followed by closing parentheses.");
                close = hcl_p_recover(p, HCL_T_CPAREN);
            }
            else
                close = hcl_p_read(p);
            break;
        }
        if (sep->type != HCL_T_COMMA) {
            if (sep->type == HCL_T_EOF)
                hcl_p_error(p, hcl_range_between(name->range, open->range), "Unterminated function call; "
                            "There is no closing parenthesis for this function call before the end of the "
                            "file. This may be caused by incorrect parenthesis nesting elsewhere in this file.");
            else if (!p->recovery)
                hcl_p_error(p, sep->range, "Missing argument separator; A comma is required to separate "
                            "each function argument from the next.");
            close = hcl_p_recover(p, HCL_T_CPAREN);
            break;
        }
        if (hcl_p_peek(p)->type == HCL_T_CPAREN) {
            close = hcl_p_read(p);
            break;
        }
    }
    hcl_p_pop_nl(p);
    pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_CALL, hcl_range_between(name->range, close->range));
    size_t n = args.count;
    e->u.call.name = hcl_p_text(p, name);
    e->u.call.name_range = name->range;
    e->u.call.args = hcl_p_arr_finish(p, &args, sizeof(pk_hcl_expr_t *));
    e->u.call.nargs = e->u.call.args ? n : 0;
    e->u.call.expand = expand && n > 0;
    return e;
}

static pk_hcl_expr_t *
s_for_fail(hcl_parser_t *p, const hcl_tok_t *open, int close_type, const char *detail)
{
    const hcl_tok_t *at = hcl_p_peek(p);
    if (!p->recovery)
        hcl_p_error(p, at->range, "Invalid 'for' expression; %s", detail);
    const hcl_tok_t *close = hcl_p_recover(p, close_type);
    return s_error_expr(p, hcl_range_between(open->range, close->range));
}

// After "[" or "{" has been read and "for" is next.
static pk_hcl_expr_t *
s_parse_for(hcl_parser_t *p, const hcl_tok_t *open)
{
    bool is_object = open->type == HCL_T_OBRACE;
    int close_type = is_object ? HCL_T_CBRACE : HCL_T_CBRACK;
    hcl_p_read(p);  // "for"
    if (hcl_p_peek(p)->type != HCL_T_IDENT)
        return s_for_fail(p, open, close_type, "For expression requires variable name after 'for'.");
    const char *key_var = NULL, *val_var = hcl_p_text(p, hcl_p_read(p));
    if (hcl_p_peek(p)->type == HCL_T_COMMA) {
        hcl_p_read(p);
        key_var = val_var;
        if (hcl_p_peek(p)->type != HCL_T_IDENT)
            return s_for_fail(p, open, close_type, "For expression requires value variable name after comma.");
        val_var = hcl_p_text(p, hcl_p_read(p));
    }
    if (!hcl_p_is_keyword(p, hcl_p_peek(p), "in"))
        return s_for_fail(p, open, close_type, "For expression requires the 'in' keyword after its name "
                          "declarations.");
    hcl_p_read(p);
    size_t errors = p->errors;
    pk_hcl_expr_t *coll = hcl_parse_expression(p);
    if (p->recovery && p->errors > errors)
        return s_error_expr(p, hcl_range_between(open->range, hcl_p_recover(p, close_type)->range));
    if (hcl_p_peek(p)->type != HCL_T_COLON)
        return s_for_fail(p, open, close_type, "For expression requires a colon after the collection "
                          "expression.");
    hcl_p_read(p);
    pk_hcl_expr_t *key = NULL, *val = hcl_parse_expression(p);
    if (hcl_p_peek(p)->type == HCL_T_FATARROW) {
        hcl_p_read(p);
        key = val;
        val = hcl_parse_expression(p);
    }
    if (p->recovery && p->errors > errors)
        return s_error_expr(p, hcl_range_between(open->range, hcl_p_recover(p, close_type)->range));
    const hcl_tok_t *ellipsis = NULL;
    if (hcl_p_peek(p)->type == HCL_T_ELLIPSIS)
        ellipsis = hcl_p_read(p);
    pk_hcl_expr_t *cond = NULL;
    if (hcl_p_is_keyword(p, hcl_p_peek(p), "if")) {
        hcl_p_read(p);
        cond = hcl_parse_expression(p);
        if (p->recovery && p->errors > errors)
            return s_error_expr(p, hcl_range_between(open->range, hcl_p_recover(p, close_type)->range));
    }
    const hcl_tok_t *close;
    if (hcl_p_peek(p)->type == close_type)
        close = hcl_p_read(p);
    else {
        if (!p->recovery)
            hcl_p_error(p, hcl_p_peek(p)->range, "Invalid 'for' expression; Extra characters after the end "
                        "of the 'for' expression.");
        close = hcl_p_recover(p, close_type);
    }
    pk_range_t range = hcl_range_between(open->range, close->range);
    if (!is_object && key)
        hcl_p_error(p, key->range, "Invalid 'for' expression; Key expression is not valid when building a "
                    "tuple.");
    if (!is_object && ellipsis)
        hcl_p_error(p, ellipsis->range, "Invalid 'for' expression; Grouping ellipsis (...) cannot be used "
                    "when building a tuple.");
    if (is_object && !key)
        hcl_p_error(p, val->range, "Invalid 'for' expression; Key expression is required when building an "
                    "object.");
    pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_FOR, range);
    e->u.fr.key_var = key_var;
    e->u.fr.val_var = val_var;
    e->u.fr.coll = coll;
    e->u.fr.key = key;
    e->u.fr.val = val;
    e->u.fr.cond = cond;
    e->u.fr.is_object = is_object;
    e->u.fr.group = ellipsis != NULL;
    return e;
}

pk_hcl_expr_t *
hcl_parse_tuple(hcl_parser_t *p)
{
    const hcl_tok_t *open = hcl_p_read(p);
    hcl_p_push_nl(p, false);
    if (hcl_p_is_keyword(p, hcl_p_peek(p), "for")) {
        pk_hcl_expr_t *e = s_parse_for(p, open);
        hcl_p_pop_nl(p);
        return e;
    }
    hcl_arr_t items = { 0 };
    const hcl_tok_t *close = open;
    while (!p->abort) {
        const hcl_tok_t *next = hcl_p_peek(p);
        if (next->type == HCL_T_CBRACK) {
            close = hcl_p_read(p);
            break;
        }
        size_t errors = p->errors;
        pk_hcl_expr_t *item = hcl_parse_expression(p);
        pk_hcl_expr_t **slot = hcl_p_arr_push(p, &items, sizeof *slot);
        if (slot)
            *slot = item;
        if (p->recovery && p->errors > errors) {
            close = hcl_p_recover(p, HCL_T_CBRACK);
            break;
        }
        next = hcl_p_peek(p);
        if (next->type == HCL_T_CBRACK) {
            close = hcl_p_read(p);
            break;
        }
        if (next->type != HCL_T_COMMA) {
            if (!p->recovery) {
                if (next->type == HCL_T_EOF)
                    hcl_p_error(p, open->range, "Unterminated tuple constructor expression; There is no "
                                "corresponding closing bracket before the end of the file. This may be caused "
                                "by incorrect bracket nesting elsewhere in this file.");
                else
                    hcl_p_error(p, next->range, "Missing item separator; Expected a comma to mark the "
                                "beginning of the next item.");
            }
            close = hcl_p_recover(p, HCL_T_CBRACK);
            break;
        }
        hcl_p_read(p);
    }
    hcl_p_pop_nl(p);
    size_t n = items.count;
    pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_TUPLE, hcl_range_between(open->range, close->range));
    e->u.list.items = hcl_p_arr_finish(p, &items, sizeof(pk_hcl_expr_t *));
    e->u.list.count = e->u.list.items ? n : 0;
    return e;
}

pk_hcl_expr_t *
hcl_parse_object(hcl_parser_t *p)
{
    const hcl_tok_t *open = hcl_p_read(p);
    hcl_p_push_nl(p, false);
    bool is_for = hcl_p_is_keyword(p, hcl_p_peek(p), "for");
    if (is_for) {
        pk_hcl_expr_t *e = s_parse_for(p, open);
        hcl_p_pop_nl(p);
        return e;
    }
    hcl_p_pop_nl(p);
    hcl_p_push_nl(p, true);
    hcl_arr_t items = { 0 };
    const hcl_tok_t *close = open;
    while (!p->abort) {
        const hcl_tok_t *next = hcl_p_peek(p);
        if (next->type == HCL_T_NEWLINE) {
            hcl_p_read(p);
            continue;
        }
        if (next->type == HCL_T_CBRACE) {
            close = hcl_p_read(p);
            break;
        }
        bool force = next->type == HCL_T_OPAREN;
        size_t errors = p->errors;
        pk_hcl_expr_t *key = hcl_parse_expression(p);
        if (p->recovery && p->errors > errors) {
            close = hcl_p_recover(p, HCL_T_CBRACE);
            break;
        }
        next = hcl_p_peek(p);
        if (next->type != HCL_T_EQUAL && next->type != HCL_T_COLON) {
            if (!p->recovery) {
                if (next->type == HCL_T_NEWLINE || next->type == HCL_T_COMMA)
                    hcl_p_error(p, next->range, "Missing attribute value; Expected an attribute value, "
                                "introduced by an equals sign (\"=\").");
                else if (next->type == HCL_T_EOF)
                    hcl_p_error(p, open->range, "Unterminated object constructor expression; There is no "
                                "corresponding closing brace before the end of the file. This may be caused "
                                "by incorrect brace nesting elsewhere in this file.");
                else
                    hcl_p_error(p, next->range, "Missing key/value separator; Expected an equals sign "
                                "(\"=\") to mark the beginning of the attribute value.");
            }
            close = hcl_p_recover(p, HCL_T_CBRACE);
            break;
        }
        hcl_p_read(p);
        pk_hcl_expr_t *value = hcl_parse_expression(p);
        hcl_obj_item_t *item = hcl_p_arr_push(p, &items, sizeof *item);
        if (item) {
            item->key = key;
            item->value = value;
            item->key_is_expr = force;
        }
        if (p->recovery && p->errors > errors) {
            close = hcl_p_recover(p, HCL_T_CBRACE);
            break;
        }
        next = hcl_p_peek(p);
        if (next->type == HCL_T_CBRACE) {
            close = hcl_p_read(p);
            break;
        }
        if (next->type != HCL_T_COMMA && next->type != HCL_T_NEWLINE) {
            if (!p->recovery) {
                if (next->type == HCL_T_EOF)
                    hcl_p_error(p, open->range, "Unterminated object constructor expression; There is no "
                                "corresponding closing brace before the end of the file. This may be caused "
                                "by incorrect brace nesting elsewhere in this file.");
                else
                    hcl_p_error(p, next->range, "Missing attribute separator; Expected a newline or comma "
                                "to mark the beginning of the next attribute.");
            }
            close = hcl_p_recover(p, HCL_T_CBRACE);
            break;
        }
        hcl_p_read(p);
    }
    hcl_p_pop_nl(p);
    size_t n = items.count;
    pk_hcl_expr_t *e = hcl_p_new_expr(p, HCL_E_OBJECT, hcl_range_between(open->range, close->range));
    e->u.obj.items = hcl_p_arr_finish(p, &items, sizeof(hcl_obj_item_t));
    e->u.obj.count = e->u.obj.items ? n : 0;
    return e;
}

