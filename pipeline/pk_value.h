// pk_value: the dynamic values HCL expressions evaluate to (cty's role in Go).
// A value is an owned tree: every container owns its elements, pk_value_dup
// deep-copies. Lists, tuples and sets are all PK_V_LIST (sets are kept sorted
// and unique, flagged by pk_value_is_set); maps and objects are PK_V_OBJECT with
// keys kept in sorted order, as HCL iterates them.
#ifndef PK_VALUE_H
#define PK_VALUE_H
#include <stddef.h>
#include <stdbool.h>

typedef enum {
    PK_V_NULL,
    PK_V_BOOL,
    PK_V_NUMBER,
    PK_V_STRING,
    PK_V_LIST,
    PK_V_OBJECT
} pk_value_kind_t;

typedef struct _pk_value_t pk_value_t;

pk_value_t *pk_value_new_null(void);
pk_value_t *pk_value_new_bool(bool b);
pk_value_t *pk_value_new_number(double n);
pk_value_t *pk_value_new_string(const char *s);               // copies, NUL-terminated
pk_value_t *pk_value_new_stringn(const char *s, size_t len);  // copies len bytes
pk_value_t *pk_value_new_list(void);
pk_value_t *pk_value_new_object(void);
void pk_value_destroy(pk_value_t **self_p);
pk_value_t *pk_value_dup(const pk_value_t *self);

pk_value_kind_t pk_value_kind(const pk_value_t *self);
const char *pk_value_kind_name(pk_value_kind_t kind);  // "null", "bool", "number", "string", "list", "object"
bool pk_value_bool(const pk_value_t *self);
double pk_value_number(const pk_value_t *self);
const char *pk_value_string(const pk_value_t *self);   // NUL-terminated, borrowed
size_t pk_value_len(const pk_value_t *self);           // string bytes, list/object elements
bool pk_value_is_set(const pk_value_t *self);

// Lists
void pk_value_list_append(pk_value_t *self, pk_value_t *item);   // takes ownership
const pk_value_t *pk_value_list_at(const pk_value_t *self, size_t index);

// Objects (keys unique, iterated in sorted key order)
void pk_value_object_set(pk_value_t *self, const char *key, pk_value_t *item);  // takes ownership, replaces
const pk_value_t *pk_value_object_get(const pk_value_t *self, const char *key); // NULL if absent
const char *pk_value_object_key(const pk_value_t *self, size_t index);
const pk_value_t *pk_value_object_at(const pk_value_t *self, size_t index);

bool pk_value_equal(const pk_value_t *a, const pk_value_t *b);
// JSON text (objects with sorted keys; numbers that are integers print without ".0")
char *pk_value_to_json(const pk_value_t *self);
// NULL on bad JSON, with *err (caller frees) set when err is not NULL
pk_value_t *pk_value_from_json(const char *text, size_t len, char **err);
// Render a primitive as a string the way HCL's tostring does (NULL for containers/null)
char *pk_value_to_string(const pk_value_t *self);

#endif
