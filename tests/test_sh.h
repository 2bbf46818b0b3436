// test_sh: shell commands from C tests (git repositories, files), with
// printf-style command lines. One copy for the tests that drive git and
// the file system through the real tools.
#ifndef TEST_SH_H
#define TEST_SH_H

// The command's exit status (-1 if it did not exit).
int test_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// The command must succeed: the test fails otherwise, naming it.
void test_sh_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// The command's whole output, trailing newlines removed; caller frees.
char *test_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// Its first line, without the newline; caller frees.
char *test_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
