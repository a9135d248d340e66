/* Unit tests: lib/log.c — line format, levels, level names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jad/log.h"

/* Run the log calls with stderr sent to a temporary file; return its text. */
static char *
s_capture (void (*fn) (void))
{
    char path[] = "/tmp/jad-log-XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    int saved = dup (STDERR_FILENO);
    dup2 (fd, STDERR_FILENO);
    fn ();
    dup2 (saved, STDERR_FILENO);
    close (saved);
    static char text[4096];
    ssize_t n = pread (fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    close (fd);
    unlink (path);
    return text;
}

static void
s_lines (void)
{
    jad_log_init ("hub", JAD_LOG_NOTICE);
    jad_log_notice ("journal head %d", 42);
    jad_log_info ("not shown at notice level");
    jad_log_error ("a %s", "failure");
}

static void
test_format_and_levels (void **state)
{
    (void) state;
    char *text = s_capture (s_lines);
    assert_non_null (strstr (text, " hub notice: journal head 42\n"));
    assert_non_null (strstr (text, " hub error: a failure\n"));
    assert_null (strstr (text, "not shown"));
    /* every line starts with an RFC 3339 UTC time */
    assert_int_equal (text[4], '-');
    assert_int_equal (text[10], 'T');
    assert_non_null (strstr (text, "Z hub notice"));
}

static void
s_long (void)
{
    char big[3000];
    memset (big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    jad_log_init ("agent", JAD_LOG_DEBUG);
    jad_log_debug ("%s", big);
}

static void
test_long_line_cut (void **state)
{
    (void) state;
    char *text = s_capture (s_long);
    size_t len = strlen (text);
    assert_true (len < 1100);
    assert_int_equal (text[len - 1], '\n');
}

static void
test_level_names (void **state)
{
    (void) state;
    assert_int_equal (jad_log_level_parse ("error"), JAD_LOG_ERROR);
    assert_int_equal (jad_log_level_parse ("debug"), JAD_LOG_DEBUG);
    assert_int_equal (jad_log_level_parse ("loud"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_format_and_levels),
        cmocka_unit_test (test_long_line_cut),
        cmocka_unit_test (test_level_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
