/* Unit tests: lib/statusfile.c — a status file is current only while its
 * writer runs and keeps writing: a file written by a process that is gone
 * (exited, or a zombie), or not rewritten for 5 s by one that runs (hung,
 * stopped, or a pid now someone else's), is stale and says why in words;
 * a file of an older build without "written_ms" is aged by its mtime; a
 * missing or malformed file is neither. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jad/statusfile.h"
#include "jad/timefmt.h"
#include "testutil.h"

/* Write TEXT into the test's status.json; its path. */
static const char *
s_file (void **state, const char *text)
{
    const char *path = jad_test_path (state, "status.json");
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    fclose (f);
    return path;
}

/* A pid that no process has now: a child that exited and was reaped. */
static long
s_dead_pid (void)
{
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0)
        _exit (0);
    waitpid (pid, NULL, 0);
    return (long) pid;
}

static void
test_current (void **state)
{
    char text[256], why[192];
    int64_t now = jad_time_now_ms ();
    jad_statusfile_t st;
    snprintf (text, sizeof text, "{\"pid\":%ld,\"connected\":true,"
              "\"written_ms\":%lld}", (long) getpid (), (long long) now - 1500);
    json_t *root = jad_statusfile_read (s_file (state, text), now, &st);
    assert_non_null (root);
    assert_true (json_is_true (json_object_get (root, "connected")));
    json_decref (root);
    assert_int_equal (st.exists, 1);
    assert_int_equal (st.pid, getpid ());
    assert_int_equal (st.running, 1);
    assert_int_equal (st.written_ms, now - 1500);
    assert_int_equal (st.age_ms, 1500);
    assert_int_equal (st.stale, 0);
    jad_statusfile_describe (&st, why, sizeof why);
    assert_string_equal (why, "");
}

/* The writer runs but the file is 12 s old: hung, stopped, or the pid is
 * someone else's now. */
static void
test_writer_silent (void **state)
{
    char text[256], why[192];
    int64_t now = jad_time_now_ms ();
    jad_statusfile_t st;
    snprintf (text, sizeof text, "{\"pid\":%ld,\"written_ms\":%lld}",
              (long) getpid (), (long long) now - 12000);
    json_decref (jad_statusfile_read (s_file (state, text), now, &st));
    assert_int_equal (st.running, 1);
    assert_int_equal (st.stale, 1);
    jad_statusfile_describe (&st, why, sizeof why);
    snprintf (text, sizeof text, "stale: written 12 s ago; its writer (pid %ld) "
              "runs but has stopped writing", (long) getpid ());
    assert_string_equal (why, text);
    /* exactly the limit is still current */
    snprintf (text, sizeof text, "{\"pid\":%ld,\"written_ms\":%lld}",
              (long) getpid (), (long long) now - JAD_STATUSFILE_STALE_MS);
    json_decref (jad_statusfile_read (s_file (state, text), now, &st));
    assert_int_equal (st.stale, 0);
}

/* The writer is gone: stale however fresh the file, the age in words. */
static void
test_writer_gone (void **state)
{
    char text[256], why[192];
    int64_t now = jad_time_now_ms ();
    jad_statusfile_t st;
    long pid = s_dead_pid ();
    snprintf (text, sizeof text, "{\"pid\":%ld,\"written_ms\":%lld}", pid,
              (long long) now - 3 * 60000 - 5000);
    json_decref (jad_statusfile_read (s_file (state, text), now, &st));
    assert_int_equal (st.running, 0);
    assert_int_equal (st.stale, 1);
    jad_statusfile_describe (&st, why, sizeof why);
    assert_string_equal (why, "stale: written 3 min ago by a process that is "
                         "no longer running");
    snprintf (text, sizeof text, "{\"pid\":%ld,\"written_ms\":%lld}", pid,
              (long long) now);
    json_decref (jad_statusfile_read (s_file (state, text), now, &st));
    assert_int_equal (st.stale, 1);
    jad_statusfile_describe (&st, why, sizeof why);
    assert_string_equal (why, "stale: written 0 s ago by a process that is "
                         "no longer running");
    /* hours and days */
    snprintf (text, sizeof text, "{\"pid\":%ld,\"written_ms\":%lld}", pid,
              (long long) now - 5 * 3600000LL);
    json_decref (jad_statusfile_read (s_file (state, text), now, &st));
    jad_statusfile_describe (&st, why, sizeof why);
    assert_non_null (strstr (why, "written 5 h ago"));
    snprintf (text, sizeof text, "{\"pid\":%ld,\"written_ms\":%lld}", pid,
              (long long) now - 3 * 86400000LL);
    json_decref (jad_statusfile_read (s_file (state, text), now, &st));
    jad_statusfile_describe (&st, why, sizeof why);
    assert_non_null (strstr (why, "written 3 days ago"));
    /* no pid at all: nobody runs it */
    json_decref (jad_statusfile_read (s_file (state, "{\"connected\":true}"),
                                      now, &st));
    assert_int_equal (st.running, 0);
    assert_int_equal (st.stale, 1);
}

/* A daemon killed with SIGKILL stays a zombie until reaped: not running. */
static void
test_zombie (void **state)
{
    (void) state;
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0)
        _exit (0);
    /* until it has exited (a zombie), kill says it exists */
    for (int i = 0; i < 200 && jad_statusfile_pid_alive (pid); i++)
        usleep (10000);
    assert_int_equal (jad_statusfile_pid_alive (pid), 0);
    assert_int_equal (kill (pid, 0), 0);        /* still there, a zombie */
    waitpid (pid, NULL, 0);
    assert_int_equal (jad_statusfile_pid_alive (getpid ()), 1);
    assert_int_equal (jad_statusfile_pid_alive (0), 0);
    assert_int_equal (jad_statusfile_pid_alive (-1), 0);
}

/* An older build's file has no written_ms: its mtime tells its age. */
static void
test_mtime (void **state)
{
    char text[256];
    jad_statusfile_t st;
    snprintf (text, sizeof text, "{\"pid\":%ld,\"updated\":\"x\"}",
              (long) getpid ());
    const char *path = s_file (state, text);
    int64_t now = jad_time_now_ms ();
    json_decref (jad_statusfile_read (path, now, &st));
    assert_int_equal (st.stale, 0);
    struct timeval tv[2] = { { (time_t) (now / 1000) - 7200, 0 },
                             { (time_t) (now / 1000) - 7200, 0 } };
    assert_int_equal (utimes (path, tv), 0);
    json_decref (jad_statusfile_read (path, now, &st));
    assert_true (st.age_ms >= 7200000 && st.age_ms < 7202000);
    assert_int_equal (st.stale, 1);
}

/* Missing, not JSON, not an object: nothing to show, nothing stale. */
static void
test_no_file (void **state)
{
    jad_statusfile_t st;
    int64_t now = jad_time_now_ms ();
    assert_null (jad_statusfile_read (jad_test_path (state, "none.json"), now, &st));
    assert_int_equal (st.exists, 0);
    assert_int_equal (st.stale, 0);
    assert_null (jad_statusfile_read (s_file (state, "{\"pid\":"), now, &st));
    assert_int_equal (st.exists, 0);
    assert_null (jad_statusfile_read (s_file (state, "[1,2]"), now, &st));
    assert_int_equal (st.stale, 0);
    char why[64] = "x";
    jad_statusfile_describe (&st, why, sizeof why);
    assert_string_equal (why, "");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_current, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_writer_silent, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_writer_gone, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_zombie, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_mtime, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_no_file, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
