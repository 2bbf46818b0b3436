// test_pipeline_util: see test_pipeline_util.h.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "test_pipeline_util.h"

pk_pipeline_t *
t_parse(const char *src, const pk_value_t *vars, pk_diags_t **diags)
{
    *diags = pk_diags_new();
    assert_non_null(*diags);
    pk_pipeline_t *p = pk_pipeline_parse("t.hcl", src, strlen(src), vars, *diags);
    assert_non_null(p);
    return p;
}

char *
t_diags_text(const pk_diags_t *diags)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    for (size_t i = 0; i < pk_diags_count(diags); i++) {
        const pk_diag_t *d = pk_diags_at(diags, i);
        fprintf(f, "%d:%d: %s: %s\n", d->range.start.line, d->range.start.col,
                d->severity == PK_DIAG_ERROR ? "error" : "warning", d->message);
    }
    fclose(f);
    return out;
}

void
t_expect(const char *src, const char *want)
{
    pk_diags_t *diags;
    pk_pipeline_t *p = t_parse(src, NULL, &diags);
    char *text = t_diags_text(diags);
    char *line = NULL;
    if (asprintf(&line, "%s\n", want) < 0)
        fail();
    // must match a whole line: at the start or right after a newline
    bool found = false;
    for (const char *at = strstr(text, line); at && !found; at = strstr(at + 1, line))
        found = at == text || at[-1] == '\n';
    if (!found)
        fail_msg("expected \"%s\" among:\n%s--- in:\n%s", want, text, src);
    free(line);
    free(text);
    pk_pipeline_destroy(&p);
    pk_diags_destroy(&diags);
}

pk_pipeline_t *
t_valid(const char *src, pk_diags_t **diags)
{
    pk_pipeline_t *p = t_parse(src, NULL, diags);
    if (pk_diags_errors(*diags)) {
        char *text = t_diags_text(*diags);
        fail_msg("expected a valid pipeline, got:\n%s--- in:\n%s", text, src);
    }
    return p;
}

char *
t_temp_file(const char *text)
{
    char *path = strdup("/tmp/pk_test_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t) len);
    close(fd);
    return path;
}
