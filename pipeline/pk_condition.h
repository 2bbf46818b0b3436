// pk_condition: the small language of `if "x" { condition = "..." }` steps.
// A condition is tokenised and parsed once (at validation, so a typo fails
// when the pipeline is set, not in a build), then evaluated at run time
// against the build's variables ($GET_*, $TASK_*, $BUILD_*, $INPUT_*).
// $VAR references are expanded per operand AFTER tokenising, so a value that
// holds quotes, spaces or operators is compared as data and can never change
// the shape of the expression.
//
// Grammar (PikoCI's):  or  := and ('||' and)*      and := cmp ('&&' cmp)*
//                      cmp := operand [op operand]  operand := '(' or ')' | value
// value: 'single-quoted' (no escapes) or a bare word; op: == != < > contains
// !contains. == and != compare text; < and > compare numerically when both
// sides parse as numbers, else byte-wise. A lone operand is true unless it
// is "", "0" or "false" (any case). A leading `!` is rejected (there is no
// negation). An empty condition is true. $NAME and ${NAME} (NAME =
// [A-Za-z_][A-Za-z0-9_]*) expand, unset names to ""; any other `$` is literal.
#ifndef PK_CONDITION_H
#define PK_CONDITION_H
#include <stdbool.h>

typedef struct _pk_condition_t pk_condition_t;

// Returns the value of a variable or NULL when unset (treated as "").
typedef const char *(pk_condition_lookup_fn)(const char *name, void *arg);

// Parses text. NULL on a syntax error, with *err_out (caller frees, may be
// NULL) like: expected a value after "==" at character 9
pk_condition_t *pk_condition_new(const char *text, char **err_out);
void pk_condition_destroy(pk_condition_t **self_p);
// Evaluates a parsed condition; lookup may be NULL (every variable unset).
bool pk_condition_eval(const pk_condition_t *self, pk_condition_lookup_fn *lookup, void *arg);
// Parse and evaluate in one go: 0 with *result set, or -1 with *err_out.
int pk_condition_evaluate(const char *text, pk_condition_lookup_fn *lookup, void *arg,
                          bool *result, char **err_out);
// The operand expansion on its own (caller frees).
char *pk_condition_expand(const char *text, pk_condition_lookup_fn *lookup, void *arg);

#endif
