// test_sh: see test_sh.h.
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "test_sh.h"

static char *
s_cmd(const char *fmt, va_list args)
{
    char *cmd = NULL;
    assert_true(vasprintf(&cmd, fmt, args) >= 0);
    return cmd;
}

static int
s_run(char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int
test_sh(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *cmd = s_cmd(fmt, args);
    va_end(args);
    int rc = s_run(cmd);
    free(cmd);
    return rc;
}

void
test_sh_ok(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *cmd = s_cmd(fmt, args);
    va_end(args);
    if (s_run(cmd) != 0)
        fail_msg("command failed: %s", cmd);
    free(cmd);
}

static char *
s_output(char *cmd, bool first_line)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *out = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&out, &len);
    assert_non_null(mem);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        fwrite(buf, 1, n, mem);
    pclose(p);
    fclose(mem);
    free(cmd);
    if (first_line)
        out[strcspn(out, "\n")] = '\0';
    len = strlen(out);
    while (len && out[len - 1] == '\n')
        out[--len] = '\0';
    return out;
}

char *
test_out(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *cmd = s_cmd(fmt, args);
    va_end(args);
    return s_output(cmd, false);
}

char *
test_line(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    char *cmd = s_cmd(fmt, args);
    va_end(args);
    return s_output(cmd, true);
}
