/* Unit tests: lib/lines.c — blank lines skipped but counted, CRLF, no final
 * newline, an overlong line reported and skipped with bounded memory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/lines.h"
#include "jad/report_json.h"

/* A stream holding LEN bytes of DATA. */
static FILE *
s_stream (const char *data, size_t len)
{
    FILE *f = tmpfile ();
    assert_non_null (f);
    assert_int_equal (fwrite (data, 1, len, f), len);
    rewind (f);
    return f;
}

/* Expect the next line to be WANT at line number LINENO. */
static void
s_expect (jad_lines_t *lines, const char *want, size_t lineno)
{
    const char *line = NULL;
    size_t len = 0, n = 0;
    int too_long = -1;
    assert_int_equal (jad_lines_next (lines, &line, &len, &n, &too_long), 1);
    assert_int_equal (too_long, 0);
    assert_int_equal (n, lineno);
    assert_int_equal (len, strlen (want));
    assert_memory_equal (line, want, len);
    assert_int_equal (line[len], '\0');
}

static void
s_expect_end (jad_lines_t *lines)
{
    const char *line;
    size_t len, n;
    int too_long;
    assert_int_equal (jad_lines_next (lines, &line, &len, &n, &too_long), 0);
    /* And it stays at the end. */
    assert_int_equal (jad_lines_next (lines, &line, &len, &n, &too_long), 0);
}

static void
test_blank_and_numbering (void **state)
{
    (void) state;
    const char data[] = "a\n\nb\n   \n\t\r\nc\n\n";
    FILE *f = s_stream (data, sizeof data - 1);
    jad_lines_t *lines = jad_lines_new (f);
    assert_non_null (lines);
    s_expect (lines, "a", 1);
    s_expect (lines, "b", 3);
    s_expect (lines, "c", 6);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    assert_null (lines);
    jad_lines_destroy (&lines);     /* safe on NULL */
    fclose (f);
}

static void
test_empty_input (void **state)
{
    (void) state;
    FILE *f = s_stream ("", 0);
    jad_lines_t *lines = jad_lines_new (f);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    fclose (f);

    f = s_stream ("\n\n\n", 3);
    lines = jad_lines_new (f);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    fclose (f);
}

static void
test_no_final_newline (void **state)
{
    (void) state;
    const char data[] = "{\"a\":1}\n{\"b\":2}";
    FILE *f = s_stream (data, sizeof data - 1);
    jad_lines_t *lines = jad_lines_new (f);
    s_expect (lines, "{\"a\":1}", 1);
    s_expect (lines, "{\"b\":2}", 2);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    fclose (f);
}

static void
test_crlf (void **state)
{
    (void) state;
    const char data[] = "one\r\n\r\ntwo\r\nthree\r";
    FILE *f = s_stream (data, sizeof data - 1);
    jad_lines_t *lines = jad_lines_new (f);
    s_expect (lines, "one", 1);
    s_expect (lines, "two", 3);
    s_expect (lines, "three", 4);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    fclose (f);
}

/* A line keeps its NUL bytes and its inner spaces; only "\n" splits. */
static void
test_nul_and_spaces (void **state)
{
    (void) state;
    const char data[] = "a\0b\n  x  \n";
    FILE *f = s_stream (data, sizeof data - 1);
    jad_lines_t *lines = jad_lines_new (f);
    const char *line;
    size_t len, n;
    int too_long;
    assert_int_equal (jad_lines_next (lines, &line, &len, &n, &too_long), 1);
    assert_int_equal (len, 3);
    assert_memory_equal (line, "a\0b", 3);
    s_expect (lines, "  x  ", 2);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    fclose (f);
}

static void
test_overlong (void **state)
{
    (void) state;
    const size_t max = JAD_REPORT_LINE_MAX;
    /* Line 1 short; line 2 exactly the limit; line 3 the limit plus a CR
     * (still whole); line 4 one byte over; line 5 a megabyte; line 6 short,
     * after the skipped rest. */
    size_t cap = 4 * max + 1024 * 1024 + 100;
    char *data = malloc (cap);
    assert_non_null (data);
    size_t n = 0;
    memcpy (data + n, "first\n", 6); n += 6;
    memset (data + n, 'a', max); n += max; data[n++] = '\n';
    memset (data + n, 'b', max); n += max; data[n++] = '\r'; data[n++] = '\n';
    memset (data + n, 'c', max + 1); n += max + 1; data[n++] = '\n';
    memset (data + n, 'd', 1024 * 1024); n += 1024 * 1024; data[n++] = '\n';
    memcpy (data + n, "last", 4); n += 4;
    assert_true (n <= cap);
    FILE *f = s_stream (data, n);
    jad_lines_t *lines = jad_lines_new (f);

    const char *line;
    size_t len, lineno;
    int too_long;
    s_expect (lines, "first", 1);

    assert_int_equal (jad_lines_next (lines, &line, &len, &lineno, &too_long), 1);
    assert_int_equal (lineno, 2);
    assert_int_equal (too_long, 0);
    assert_int_equal (len, max);
    assert_int_equal (line[0], 'a');
    assert_int_equal (line[max - 1], 'a');

    assert_int_equal (jad_lines_next (lines, &line, &len, &lineno, &too_long), 1);
    assert_int_equal (lineno, 3);
    assert_int_equal (too_long, 0);
    assert_int_equal (len, max);
    assert_int_equal (line[max - 1], 'b');

    assert_int_equal (jad_lines_next (lines, &line, &len, &lineno, &too_long), 1);
    assert_int_equal (lineno, 4);
    assert_int_equal (too_long, 1);
    assert_int_equal (len, max + 1);
    /* The parser refuses it with the standard message. */
    Jad__Report *r = NULL;
    int64_t ms;
    int has_time;
    char err[128];
    assert_int_equal (jad_report_json_parse (line, len, NULL, &r, &ms, &has_time,
                                             err, sizeof err), -1);
    assert_string_equal (err, "line: longer than 65536 bytes");

    assert_int_equal (jad_lines_next (lines, &line, &len, &lineno, &too_long), 1);
    assert_int_equal (lineno, 5);
    assert_int_equal (too_long, 1);
    assert_int_equal (len, max + 1);
    assert_int_equal (line[0], 'd');

    s_expect (lines, "last", 6);
    s_expect_end (lines);
    jad_lines_destroy (&lines);
    fclose (f);
    free (data);
}

/* A stream that cannot be read reports an error, not the end. */
static void
test_read_error (void **state)
{
    (void) state;
    FILE *w = fopen ("/dev/null", "w");     /* write-only: reading fails */
    assert_non_null (w);
    jad_lines_t *lines = jad_lines_new (w);
    const char *line;
    size_t len, n;
    int too_long;
    assert_int_equal (jad_lines_next (lines, &line, &len, &n, &too_long), -1);
    jad_lines_destroy (&lines);
    fclose (w);
}

static void
test_trim (void **state)
{
    (void) state;
    char a[] = " \t key = value \t\r\n";
    assert_string_equal (jad_lines_trim (a), "key = value");
    char b[] = "";
    assert_string_equal (jad_lines_trim (b), "");
    char c[] = " \t\r\n";
    assert_string_equal (jad_lines_trim (c), "");
    char d[] = "a#b";
    assert_string_equal (jad_lines_trim (d), "a#b");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_blank_and_numbering),
        cmocka_unit_test (test_empty_input),
        cmocka_unit_test (test_no_final_newline),
        cmocka_unit_test (test_crlf),
        cmocka_unit_test (test_nul_and_spaces),
        cmocka_unit_test (test_overlong),
        cmocka_unit_test (test_read_error),
        cmocka_unit_test (test_trim),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
