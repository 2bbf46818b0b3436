// pk_slug: names as PikoCI makes them canonical (gosimple/slug, as PikoCI
// 0.1.0 slugifies pipeline names): lower-case, every run of characters
// other than [a-z0-9_] becomes one '-', and leading or trailing '-' and '_'
// go ("My Pipeline" -> "my-pipeline", "Build & Test!" -> "build-test").
// Unlike gosimple/slug, non-ASCII letters are not transliterated (no
// Unicode tables in pikoci): "Größe" -> "gr-e".
//
// Names pikoci stores -- pipelines (slugified when set), jobs and resources
// (refused unless already slugs) -- are what a CLI argument P/J/N, a log
// line and a terminal table can carry as they are: no '/', no '.', no
// spaces, no control characters or escape sequences.
#ifndef PK_SLUG_H
#define PK_SLUG_H
#include <stdbool.h>

// The longest name pikoci accepts.
#define PK_SLUG_MAX 200

// What makes a job or resource name or a tag valid, for error messages.
#define PK_SLUG_RULE "a lowercase letter or digit, then lowercase letters, digits, " \
                     "'-' and '_' (at most 200)"

// The slug of name ("" when nothing is left). Caller frees; NULL only when
// out of memory.
char *pk_slug(const char *name);

// Is name a valid job, resource or tag name: [a-z0-9][a-z0-9_-]*, at most
// PK_SLUG_MAX bytes?
bool pk_slug_valid(const char *name);

// name as a message may quote it: control bytes (C0, DEL, and C1 as UTF-8)
// written as \xNN, so a refused name cannot drive the terminal that shows
// the refusal. Caller frees; NULL only when out of memory.
char *pk_slug_printable(const char *name);

#endif
