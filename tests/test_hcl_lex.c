// Lexer tests: token kinds and their exact positions, modal scanning of
// templates and heredocs (including a heredoc inside a tuple closed by "]"
// on the next line), strip markers, escapes, comments acting as newlines,
// and the lexical errors reported once at the right spot.
#include "hcl_lex.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const char *s_names[] = {
    "EOF", "NL", "ID", "NUM", "{", "}", "[", "]", "(", ")", "OQ", "CQ", "OH", "CH", "QL", "SL",
    "${", "%{", "SEQ", "*", "/", "+", "-", "%", "=", "==", "!=", "<", "<=", ">", ">=", "&&",
    "||", "!", ".", ",", "...", "=>", "?", ":", "INV",
};

// "KIND@line:col" for each token, space separated; flags as +strip/+flush.
static char *
s_lex(const char *src, pk_diags_t *diags)
{
    hcl_tokens_t toks;
    assert_int_equal(hcl_lex("t.hcl", src, strlen(src), &toks, diags), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < toks.count; i++) {
        const hcl_tok_t *t = &toks.toks[i];
        fprintf(f, "%s%s@%d:%d%s%s", i ? " " : "", s_names[t->type], t->range.start.line,
                t->range.start.col, t->flags & HCL_TF_STRIP ? "+strip" : "",
                t->flags & HCL_TF_FLUSH ? "+flush" : "");
    }
    fclose(f);
    hcl_tokens_free(&toks);
    return buf;
}

static void
s_expect(const char *src, const char *want)
{
    pk_diags_t *diags = pk_diags_new();
    char *got = s_lex(src, diags);
    if (strcmp(got, want) != 0)
        fail_msg("lexing %s\n got: %s\nwant: %s", src, got, want);
    assert_int_equal(pk_diags_errors(diags), 0);
    free(got);
    pk_diags_destroy(&diags);
}

static void
test_basic_tokens(void **state)
{
    (void) state;
    s_expect("a = \"x${b}\" # c\n",
             "ID@1:1 =@1:3 OQ@1:5 QL@1:6 ${@1:7 ID@1:9 SEQ@1:10 CQ@1:11 NL@1:13 EOF@2:1");
    s_expect("x = a.b[0] ... => == != <= >= && || ! ? : , * / % + -",
             "ID@1:1 =@1:3 ID@1:5 .@1:6 ID@1:7 [@1:8 NUM@1:9 ]@1:10 ...@1:12 =>@1:16 ==@1:19 "
             "!=@1:22 <=@1:25 >=@1:28 &&@1:31 ||@1:34 !@1:37 ?@1:39 :@1:41 ,@1:43 *@1:45 /@1:47 "
             "%@1:49 +@1:51 -@1:53 EOF@1:54");
}

static void
test_numbers_and_idents(void **state)
{
    (void) state;
    // "1." is a number then a dot; "1e5" and "1.5e-3" are single numbers;
    // identifiers may hold dashes and non-ASCII letters.
    s_expect("1. 1e5 1.5e-3 1e kebab-case é_x _y",
             "NUM@1:1 .@1:2 NUM@1:4 NUM@1:8 NUM@1:15 ID@1:16 ID@1:18 ID@1:29 ID@1:33 EOF@1:35");
    s_expect("foo.0.1", "ID@1:1 .@1:4 NUM@1:5 EOF@1:8");
}

static void
test_comments(void **state)
{
    (void) state;
    // Line comments count as newlines; block comments as white space.
    s_expect("a = 1 // x\nb /* y\nz */ = 2 #e", "ID@1:1 =@1:3 NUM@1:5 NL@1:7 ID@2:1 =@3:6 NUM@3:8 EOF@3:12");
}

static void
test_heredoc_in_tuple(void **state)
{
    (void) state;
    s_expect("args = [\"-ec\", <<-EOT\n  cd app\n  EOT\n]\n",
             "ID@1:1 =@1:6 [@1:8 OQ@1:9 QL@1:10 CQ@1:13 ,@1:14 OH@1:16+flush SL@2:1 CH@3:1 NL@3:6 "
             "]@4:1 NL@4:2 EOF@5:1");
    // Only a whole line equal to the marker closes the heredoc.
    s_expect("x = <<EOT\n${a}EOT\n EOT \n", "ID@1:1 =@1:3 OH@1:5 ${@2:1 ID@2:3 SEQ@2:4 SL@2:5 CH@3:1 NL@3:6 EOF@4:1");
}

static void
test_template_sequences(void **state)
{
    (void) state;
    s_expect("\"%{ if a ~}x${~ b }$${c}%%{d}$e\"",
             "OQ@1:1 %{@1:2 ID@1:5 ID@1:8 SEQ@1:10+strip QL@1:12 ${@1:13+strip ID@1:17 SEQ@1:19 "
             "QL@1:20 CQ@1:32 EOF@1:33");
    // Braces inside an interpolation nest; the matching one closes it.
    s_expect("\"${ {a = 1} }\"", "OQ@1:1 ${@1:2 {@1:5 ID@1:6 =@1:8 NUM@1:10 }@1:11 SEQ@1:13 CQ@1:14 EOF@1:15");
    // Nested quoted templates inside interpolations.
    s_expect("\"${\"${\"x\"}\"}\"", "OQ@1:1 ${@1:2 OQ@1:4 ${@1:5 OQ@1:7 QL@1:8 CQ@1:9 SEQ@1:10 CQ@1:11 "
             "SEQ@1:12 CQ@1:13 EOF@1:14");
}

static void
test_crlf(void **state)
{
    (void) state;
    s_expect("a = 1\r\nb = <<EOT\r\nhi\r\nEOT\r\n", "ID@1:1 =@1:3 NUM@1:5 NL@1:6 ID@2:1 =@2:3 OH@2:5 SL@3:1 CH@4:1 NL@4:4 EOF@5:1");
}

// Errors: (source, first error position, message prefix)
static void
s_expect_error(const char *src, int line, int col, const char *prefix)
{
    pk_diags_t *diags = pk_diags_new();
    char *got = s_lex(src, diags);
    assert_true(pk_diags_errors(diags) >= 1);
    const pk_diag_t *d = pk_diags_at(diags, 0);
    if (d->range.start.line != line || d->range.start.col != col || strncmp(d->message, prefix, strlen(prefix)))
        fail_msg("lexing %s: got %d:%d %s, want %d:%d %s", src, d->range.start.line, d->range.start.col,
                 d->message, line, col, prefix);
    free(got);
    pk_diags_destroy(&diags);
}

static void
test_errors(void **state)
{
    (void) state;
    s_expect_error("a = 'x'", 1, 5, "Invalid character; Single quotes are not valid");
    s_expect_error("a = 1 & 2", 1, 7, "Unsupported operator; Bitwise operators are not supported. Did you mean boolean AND");
    s_expect_error("a = 1;", 1, 6, "Invalid character; The \";\" character");
    s_expect_error("a = \"x\ny\"", 1, 7, "Invalid multi-line string");
    s_expect_error("a = \"\xff\"", 1, 6, "Invalid character encoding");
    s_expect_error("a = 1\nb = \xe2\x80\x9cq\xe2\x80\x9d", 2, 5, "Invalid character; \"Curly quotes\"");
    s_expect_error("a = 1 /* open", 1, 7, "Unterminated comment");
    s_expect_error("a = <<EOT\nx\nEOT", 3, 1, "Unterminated template string");
}

static void
test_bom_is_a_warning(void **state)
{
    (void) state;
    pk_diags_t *diags = pk_diags_new();
    char *got = s_lex("\xEF\xBB\xBF" "a = 1\n", diags);
    assert_string_equal(got, "ID@1:2 =@1:4 NUM@1:6 NL@1:7 EOF@2:1");
    assert_int_equal(pk_diags_errors(diags), 0);
    assert_int_equal(pk_diags_count(diags), 1);
    assert_int_equal(pk_diags_at(diags, 0)->severity, PK_DIAG_WARNING);
    free(got);
    pk_diags_destroy(&diags);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_tokens),
        cmocka_unit_test(test_numbers_and_idents),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_heredoc_in_tuple),
        cmocka_unit_test(test_template_sequences),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bom_is_a_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
