/* Unit tests: lib/config.c — --config FILE expanded into long options. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jad/config.h"
#include "testutil.h"

static const struct option s_opts [] = {
    { "data", required_argument, NULL, 'd' },
    { "listen", required_argument, NULL, 'l' },
    { "country", required_argument, NULL, 'c' },
    { "json", no_argument, NULL, 'j' },
    { "check", no_argument, NULL, 'C' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* A file holding TEXT in the test's directory; the path is valid until
 * the next jad_test_path. */
static const char *
s_file (void **state, const char *text)
{
    const char *path = jad_test_path (state, "test.conf");
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    assert_int_equal (fputs (text, f) >= 0, 1);
    assert_int_equal (fclose (f), 0);
    return path;
}

/* Expand ARGV (NULL-terminated) with FILE's TEXT; returns the rc. */
static int
s_expand (void **state, const char *text, char **argv, int first, int *argc_p,
          char ***argv_p, char *err, size_t errlen)
{
    const char *path = s_file (state, text);
    int argc = 0;
    while (argv [argc])
        argc++;
    static char joined [1100];
    snprintf (joined, sizeof joined, "--config=%s", path);
    for (int i = 0; i < argc; i++)
        if (strcmp (argv [i], "FILE") == 0)
            argv [i] = (char *) path;
        else
        if (strcmp (argv [i], "--config=FILE") == 0)
            argv [i] = joined;
    *argc_p = argc;
    *argv_p = argv;
    static const char *const others [] = { "hub", NULL };
    int rc = jad_config_expand (argc_p, argv_p, first, s_opts, others, err, errlen);
    unlink (path);
    return rc;
}

static void
test_settings_go_before_the_command_line (void **state)
{
    char *argv [] = { "prog", "status", "--country", "FR", "--config", "FILE",
                      "--json", NULL };
    int argc;
    char **out, err [256] = "";
    int rc = s_expand (state, "# a comment\n"
                       "\n"
                       "  data = /var/lib/x y  \n"
                       "country=DE\n"
                       "json = false\n"
                       "json = yes\n"
                       "hub = tcp://elsewhere:1\n",
                       argv, 2, &argc, &out, err, sizeof err);
    assert_int_equal (rc, 0);
    assert_int_equal (argc, 8);
    assert_string_equal (out [0], "prog");
    assert_string_equal (out [1], "status");
    assert_string_equal (out [2], "--data=/var/lib/x y");
    assert_string_equal (out [3], "--country=DE");
    assert_string_equal (out [4], "--json");
    assert_string_equal (out [5], "--country");
    assert_string_equal (out [6], "FR");
    assert_string_equal (out [7], "--json");
    assert_null (out [8]);

    /* getopt_long sees the file's value first and the flag's last. */
    const char *country = NULL;
    int c;
    optind = 2;
    while ((c = getopt_long (argc, out, "", s_opts, NULL)) != -1)
        if (c == 'c')
            country = optarg;
    assert_string_equal (country, "FR");
}

static void
test_equals_form_and_no_config (void **state)
{
    char *argv [] = { "prog", "--config=FILE", NULL };
    int argc;
    char **out, err [256] = "";
    assert_int_equal (s_expand (state, "listen = tcp://a:1#b\n", argv, 1, &argc,
                                &out, err, sizeof err), 0);
    assert_int_equal (argc, 2);
    assert_string_equal (out [1], "--listen=tcp://a:1#b");

    char *plain [] = { "prog", "--json", "--", "--config", NULL };
    argc = 4;
    out = plain;
    assert_int_equal (jad_config_expand (&argc, &out, 1, s_opts, NULL,
                                         err, sizeof err), 0);
    assert_ptr_equal (out, plain);
    assert_int_equal (argc, 4);
}

static void
s_refused (void **state, const char *text, const char *expected)
{
    char *argv [] = { "prog", "--config", "FILE", NULL };
    int argc;
    char **out, err [1400] = "";
    assert_int_equal (s_expand (state, text, argv, 1, &argc, &out, err, sizeof err),
                      -1);
    if (!strstr (err, expected))
        fail_msg ("error '%s' does not contain '%s'", err, expected);
}

static void
test_errors_name_the_line (void **state)
{
    s_refused (state, "data = x\nfoo = 1\n", ":2: unknown key 'foo'");
    s_refused (state, "json = maybe\n", ":1: 'json' is a flag");
    s_refused (state, "\n\ndata =\n", ":3: 'data' needs a value");
    s_refused (state, "data /x\n", ":1: expected 'key = value'");
    s_refused (state, "= x\n", ":1: missing key");
    s_refused (state, "config = other\n", ":1: 'config' cannot be set");
    s_refused (state, "help = true\n", ":1: 'help' cannot be set");
    s_refused (state, "check = true\n", ":1: 'check' cannot be set");

    char longline [5000];
    memset (longline, 'a', sizeof longline - 2);
    memcpy (longline, "data=", 5);
    longline [sizeof longline - 2] = '\n';
    longline [sizeof longline - 1] = '\0';
    s_refused (state, longline, ":1: line longer than 4096 bytes");
}

static void
test_nul_byte (void **state)
{
    char path [1100];
    snprintf (path, sizeof path, "%s", jad_test_path (state, "nul.conf"));
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    assert_int_equal (fwrite ("json = true\ndata = a\0b\n", 1, 24, f), 24);
    assert_int_equal (fclose (f), 0);
    char *argv [] = { "prog", "--config", path, NULL };
    int argc = 3;
    char **out = argv, err [1400] = "";
    assert_int_equal (jad_config_expand (&argc, &out, 1, s_opts, NULL,
                                         err, sizeof err), -1);
    if (!strstr (err, ":2: NUL byte in line"))
        fail_msg ("error '%s'", err);
}

static void
test_usage_errors (void **state)
{
    (void) state;
    char err [256] = "";
    char *missing [] = { "prog", "--config", NULL };
    int argc = 2;
    char **out = missing;
    assert_int_equal (jad_config_expand (&argc, &out, 1, s_opts, NULL,
                                         err, sizeof err), -1);
    assert_non_null (strstr (err, "needs a FILE"));

    char *twice [] = { "prog", "--config", "a", "--config=b", NULL };
    argc = 4;
    out = twice;
    assert_int_equal (jad_config_expand (&argc, &out, 1, s_opts, NULL,
                                         err, sizeof err), -1);
    assert_non_null (strstr (err, "given twice"));

    char *absent [] = { "prog", "--config", "/nonexistent/jad.conf", NULL };
    argc = 3;
    out = absent;
    assert_int_equal (jad_config_expand (&argc, &out, 1, s_opts, NULL,
                                         err, sizeof err), -1);
    assert_non_null (strstr (err, "/nonexistent/jad.conf"));
}

static void
test_checks (void **state)
{
    char err [1400];
    assert_int_equal (jad_config_check_endpoint ("hub", "tcp://127.0.0.1:7401", err, sizeof err), 0);
    assert_int_equal (jad_config_check_endpoint ("hub", "tcp://[::1]:1", err, sizeof err), 0);
    assert_int_equal (jad_config_check_endpoint ("hub", "tcp://*:65535", err, sizeof err), 0);
    assert_int_equal (jad_config_check_endpoint ("hub", "ipc:///run/jad", err, sizeof err), 0);
    assert_int_equal (jad_config_check_endpoint ("hub", "tcp://host:0", err, sizeof err), -1);
    assert_non_null (strstr (err, "--hub: 'tcp://host:0': port must be 1..65535"));
    assert_int_equal (jad_config_check_endpoint ("feed", "tcp://host:7x", err, sizeof err), -1);
    assert_int_equal (jad_config_check_endpoint ("feed", "tcp://:7401", err, sizeof err), -1);
    assert_int_equal (jad_config_check_endpoint ("feed", "udp://h:1", err, sizeof err), -1);
    assert_non_null (strstr (err, "--feed: 'udp://h:1' is not tcp://HOST:PORT"));
    assert_int_equal (jad_config_check_endpoint ("feed", NULL, err, sizeof err), -1);

    const char *dir = jad_test_dir (state);
    char path [1100];
    assert_int_equal (jad_config_check_dir ("data", dir, err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/a/b/c", dir);     /* creatable */
    assert_int_equal (jad_config_check_dir ("data", path, err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/file", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    assert_int_equal (jad_config_check_file ("roster", path, err, sizeof err), 0);
    assert_int_equal (jad_config_check_dir ("data", path, err, sizeof err), -1);
    assert_non_null (strstr (err, "is not a directory"));
    unlink (path);
    assert_int_equal (jad_config_check_file ("roster", path, err, sizeof err), -1);
    assert_non_null (strstr (err, "--roster: "));

    char *check [] = { "prog", "--json", "--check", NULL };
    char *plain [] = { "prog", "--", "--check", NULL };
    assert_int_equal (jad_config_failure_status (3, check), 1);
    assert_int_equal (jad_config_failure_status (3, plain), 2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_settings_go_before_the_command_line,
                                         jad_test_dir_setup, jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_equals_form_and_no_config,
                                         jad_test_dir_setup, jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_errors_name_the_line,
                                         jad_test_dir_setup, jad_test_dir_teardown),
        cmocka_unit_test (test_usage_errors),
        cmocka_unit_test_setup_teardown (test_nul_byte,
                                         jad_test_dir_setup, jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_checks,
                                         jad_test_dir_setup, jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
