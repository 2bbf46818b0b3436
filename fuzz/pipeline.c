// Fuzz target for the pipeline model: arbitrary bytes as a pipeline file
// must decode to a pipeline plus diagnostics, never a crash, leak, UB or
// hang; every diagnostic must carry a position inside the input. The same
// bytes, cut at the first NUL, are also an `if` condition, which must parse
// or explain why, and evaluate without trouble when it parses.
// PK_FUZZ_LIBS: pk_pipeline pk_lib
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pk_condition.h"
#include "pk_pipeline.h"

static const char *
s_lookup(const char *name, void *arg)
{
    (void) arg;
    return name[0] == 'A' ? "1" : name[0] == 'B' ? "' || 'x" : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_diags_t *diags = pk_diags_new();
    pk_pipeline_t *p = pk_pipeline_parse("fuzz.hcl", (const char *) data, size, NULL, diags);
    for (size_t i = 0; i < pk_diags_count(diags); i++) {
        const pk_diag_t *d = pk_diags_at(diags, i);
        if (d->range.start.line < 1 || d->range.start.col < 1 || d->range.start.byte > size) {
            fprintf(stderr, "pipeline fuzz: diagnostic outside the input: %d:%d (byte %zu): %s\n",
                    d->range.start.line, d->range.start.col, d->range.start.byte, d->message);
            abort();
        }
    }
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);

    char *text = strndup((const char *) data, size);
    char *err = NULL;
    pk_condition_t *c = pk_condition_new(text, &err);
    if (!c && !err)
        abort();        // a refusal always says why
    if (c)
        (void) pk_condition_eval(c, s_lookup, NULL);
    pk_condition_destroy(&c);
    free(err);
    free(text);
    return 0;
}
