/* Unit tests: lib/file.c — putting a file in place (new, replacing,
 * exclusive refusing an existing file or link, exact modes whatever the
 * umask, no temporary file left behind, errors naming the path), temporary
 * files for the caller to rename, bounded whole-file reads (limit, empty,
 * NUL bytes, a file larger than the first buffer, a missing file, a
 * directory, a FIFO without a writer), the descriptor loops, mkdir -p. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad/file.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

/* DIR/NAME in a static buffer (one of two, so two may be used at once). */
static const char *
s_path (const char *dir, const char *name)
{
    static char bufs [2][PATH_MAX];
    static int next;
    char *buf = bufs [next++ % 2];
    snprintf (buf, PATH_MAX, "%s/%s", dir, name);
    return buf;
}

static mode_t
s_mode (const char *path)
{
    struct stat st;
    assert_int_equal (lstat (path, &st), 0);
    return st.st_mode & 07777;
}

/* The entries of DIR besides . and .. */
static int
s_entries (const char *dir)
{
    DIR *d = opendir (dir);
    assert_non_null (d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d)))
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
            n++;
    closedir (d);
    return n;
}

/* PATH's whole text, which must be EXPECT. */
static void
s_expect_text (const char *path, const char *expect)
{
    char err [512];
    size_t len = 0;
    char *text = jad_file_read (path, 1 << 20, &len, err, sizeof err);
    assert_non_null (text);
    assert_int_equal (len, strlen (expect));
    assert_string_equal (text, expect);
    free (text);
}

/* ------------------------------------------------------------ put */

static void
test_put_new_and_replace (void **state)
{
    const char *dir = jad_test_dir (state);
    const char *path = s_path (dir, "roster.txt");
    char err [512] = "";
    assert_int_equal (jad_file_put (path, "one\n", 4, 0644, 0, err,
                                    sizeof err), 0);
    s_expect_text (path, "one\n");
    assert_int_equal (s_mode (path), 0644);
    /* Replaced, mode and all; no temporary file stays behind. */
    assert_int_equal (jad_file_put (path, "two lines\nhere\n", 15, 0640, 0,
                                    err, sizeof err), 0);
    s_expect_text (path, "two lines\nhere\n");
    assert_int_equal (s_mode (path), 0640);
    assert_int_equal (s_entries (dir), 1);
    /* An empty file is a file. */
    assert_int_equal (jad_file_put (path, "", 0, 0644, 0, err, sizeof err),
                      0);
    s_expect_text (path, "");
    /* A name without a directory goes into the current one. */
    char cwd [PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (dir), 0);
    int rc = jad_file_put ("plain", "x", 1, 0600, 0, err, sizeof err);
    assert_int_equal (chdir (cwd), 0);
    assert_int_equal (rc, 0);
    s_expect_text (s_path (dir, "plain"), "x");
    assert_int_equal (s_entries (dir), 2);
}

static void
test_put_exclusive (void **state)
{
    const char *dir = jad_test_dir (state);
    const char *path = s_path (dir, "a.bundle");
    char err [512] = "";
    assert_int_equal (jad_file_put (path, "first\n", 6, 0600, 1, err,
                                    sizeof err), 0);
    assert_int_equal (s_mode (path), 0600);
    /* Never replaced: refused with EEXIST and a message naming it. */
    errno = 0;
    assert_int_equal (jad_file_put (path, "second\n", 7, 0644, 1, err,
                                    sizeof err), -1);
    assert_int_equal (errno, EEXIST);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "exists; refusing to overwrite it"));
    s_expect_text (path, "first\n");
    assert_int_equal (s_mode (path), 0600);
    assert_int_equal (s_entries (dir), 1);
    /* Nor is a link followed: a dangling one counts as existing. */
    const char *link_path = s_path (dir, "dangling");
    assert_int_equal (symlink ("nowhere", link_path), 0);
    assert_int_equal (jad_file_put (link_path, "x", 1, 0600, 1, err,
                                    sizeof err), -1);
    assert_int_equal (errno, EEXIST);
    assert_int_equal (access (s_path (dir, "nowhere"), F_OK), -1);
    assert_int_equal (s_entries (dir), 2);
}

static void
test_modes_whatever_the_umask (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [512] = "";
    mode_t saved = umask (077);
    int a = jad_file_put (s_path (dir, "a"), "a", 1, 0644, 0, err,
                          sizeof err);
    umask (0);
    int b = jad_file_put (s_path (dir, "b"), "b", 1, 0600, 1, err,
                          sizeof err);
    umask (0777);
    char tmp [PATH_MAX];
    int c = jad_file_temp (dir, "c", 1, 0640, tmp, err, sizeof err);
    umask (saved);
    assert_int_equal (a, 0);
    assert_int_equal (b, 0);
    assert_int_equal (c, 0);
    assert_int_equal (s_mode (s_path (dir, "a")), 0644);
    assert_int_equal (s_mode (s_path (dir, "b")), 0600);
    assert_int_equal (s_mode (tmp), 0640);
}

static void
test_put_errors (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [512] = "";
    /* A missing directory: the message names the file asked for. */
    const char *path = s_path (dir, "missing/file");
    assert_int_equal (jad_file_put (path, "x", 1, 0644, 0, err, sizeof err),
                      -1);
    assert_int_equal (errno, ENOENT);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "cannot create a file"));
    /* A path too long for the system. */
    char *longpath = malloc (PATH_MAX + 10);
    assert_non_null (longpath);
    memset (longpath, 'a', PATH_MAX + 9);
    longpath [0] = '/';
    longpath [PATH_MAX + 9] = '\0';
    char longerr [PATH_MAX + 64];     /* the message holds the path */
    assert_int_equal (jad_file_put (longpath, "x", 1, 0644, 0, longerr,
                                    sizeof longerr), -1);
    assert_non_null (strstr (longerr, "path too long"));
    free (longpath);
    /* Renaming over a directory fails, and leaves nothing behind. */
    assert_int_equal (mkdir (s_path (dir, "sub"), 0700), 0);
    assert_int_equal (jad_file_put (s_path (dir, "sub"), "x", 1, 0644, 0, err,
                                    sizeof err), -1);
    assert_non_null (strstr (err, "cannot rename into place"));
    assert_int_equal (s_entries (dir), 1);
}

/* ------------------------------------------------------------ temp */

static void
test_temp (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [512] = "", tmp [PATH_MAX];
    assert_int_equal (jad_file_temp (dir, "secret\n", 7, 0600, tmp, err,
                                     sizeof err), 0);
    assert_int_equal (strncmp (tmp, dir, strlen (dir)), 0);
    assert_int_equal (tmp [strlen (dir)], '/');
    s_expect_text (tmp, "secret\n");
    assert_int_equal (s_mode (tmp), 0600);
    /* The caller puts it in place. */
    const char *path = s_path (dir, "k.secret");
    assert_int_equal (link (tmp, path), 0);
    assert_int_equal (unlink (tmp), 0);
    assert_int_equal (jad_file_sync_dir (dir), 0);
    s_expect_text (path, "secret\n");
    /* A directory that is not there: TMP is "", the message names DIR. */
    const char *missing = s_path (dir, "nope");
    assert_int_equal (jad_file_temp (missing, "x", 1, 0644, tmp, err,
                                     sizeof err), -1);
    assert_string_equal (tmp, "");
    assert_non_null (strstr (err, missing));
    assert_int_equal (s_entries (dir), 1);
    assert_int_equal (jad_file_sync_dir (missing), -1);
}

/* ------------------------------------------------------------ read */

static void
test_read_limit (void **state)
{
    const char *dir = jad_test_dir (state);
    const char *path = s_path (dir, "f");
    char err [512] = "";
    size_t len = 99;
    /* Empty: "" and 0. */
    assert_int_equal (jad_file_put (path, "", 0, 0644, 0, err, sizeof err),
                      0);
    char *text = jad_file_read (path, 10, &len, err, sizeof err);
    assert_non_null (text);
    assert_int_equal (len, 0);
    assert_string_equal (text, "");
    free (text);
    /* Exactly MAX bytes is allowed, with NULs counted by *LEN_P. */
    assert_int_equal (jad_file_put (path, "ab\0defghij", 10, 0644, 0, err,
                                    sizeof err), 0);
    text = jad_file_read (path, 10, &len, err, sizeof err);
    assert_non_null (text);
    assert_int_equal (len, 10);
    assert_memory_equal (text, "ab\0defghij", 11);
    free (text);
    /* One more is refused with EFBIG. */
    errno = 0;
    assert_null (jad_file_read (path, 9, &len, err, sizeof err));
    assert_int_equal (errno, EFBIG);
    assert_non_null (strstr (err, path));
    assert_non_null (strstr (err, "larger than 9 bytes"));
    assert_null (jad_file_read (path, 0, &len, err, sizeof err));
    assert_int_equal (errno, EFBIG);
}

static void
test_read_large (void **state)
{
    const char *dir = jad_test_dir (state);
    const char *path = s_path (dir, "big");
    char err [512] = "";
    size_t n = 3 * 100000 + 7, len = 0;
    char *big = malloc (n);
    assert_non_null (big);
    for (size_t i = 0; i < n; i++)
        big [i] = (char) ('a' + i % 26);
    assert_int_equal (jad_file_put (path, big, n, 0644, 0, err, sizeof err),
                      0);
    char *text = jad_file_read (path, n, &len, err, sizeof err);
    assert_non_null (text);
    assert_int_equal (len, n);
    assert_memory_equal (text, big, n);
    assert_int_equal (text [n], '\0');
    free (text);
    assert_null (jad_file_read (path, n - 1, &len, err, sizeof err));
    assert_int_equal (errno, EFBIG);
    /* A file whose size says nothing (/proc's are 0) grows the buffer. */
    text = jad_file_read ("/proc/self/status", 1 << 20, &len, err,
                          sizeof err);
    assert_non_null (text);
    assert_true (len > 0);
    assert_non_null (strstr (text, "Name:"));
    free (text);
    free (big);
}

static void
test_read_errors (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [512] = "";
    size_t len = 0;
    const char *path = s_path (dir, "absent");
    assert_null (jad_file_read (path, 100, &len, err, sizeof err));
    assert_int_equal (errno, ENOENT);
    char expect [PATH_MAX + 64];
    snprintf (expect, sizeof expect, "%s: %s", path, strerror (ENOENT));
    assert_string_equal (err, expect);
    assert_null (jad_file_read (dir, 100, &len, err, sizeof err));
    snprintf (expect, sizeof expect, "%s: not a regular file", dir);
    assert_string_equal (err, expect);
    /* A FIFO with no writer is refused at once, not waited on in open()
     * (the alarm ends a test that would hang there). */
    const char *fifo = s_path (dir, "fifo");
    assert_int_equal (mkfifo (fifo, 0600), 0);
    alarm (10);
    assert_null (jad_file_read (fifo, 100, &len, err, sizeof err));
    alarm (0);
    assert_int_equal (errno, EINVAL);
    snprintf (expect, sizeof expect, "%s: not a regular file", fifo);
    assert_string_equal (err, expect);
}

/* ------------------------------------------------------------ descriptors */

static void
test_descriptors (void **state)
{
    const char *dir = jad_test_dir (state);
    int fds [2];
    assert_int_equal (pipe (fds), 0);
    assert_int_equal (jad_file_write_all (fds [1], "0123456789", 10), 0);
    close (fds [1]);
    char buf [100];
    size_t len = 0;
    assert_int_equal (jad_file_read_fd (fds [0], buf, 4, &len), 0);
    assert_int_equal (len, 4);
    assert_memory_equal (buf, "0123", 4);
    assert_int_equal (jad_file_read_fd (fds [0], buf, sizeof buf, &len), 0);
    assert_int_equal (len, 6);
    assert_memory_equal (buf, "456789", 6);
    assert_int_equal (jad_file_read_fd (fds [0], buf, sizeof buf, &len), 0);
    assert_int_equal (len, 0);
    close (fds [0]);
    /* A descriptor open for reading only cannot be written. */
    int fd = open (dir, O_RDONLY | O_DIRECTORY);
    assert_true (fd >= 0);
    assert_int_equal (jad_file_write_all (fd, "x", 1), -1);
    assert_int_equal (jad_file_read_fd (fd, buf, sizeof buf, &len), -1);
    assert_int_equal (errno, EISDIR);
    close (fd);
}

static void
test_make_dirs (void **state)
{
    const char *dir = jad_test_dir (state);
    const char *deep = s_path (dir, "a/b/c");
    assert_int_equal (jad_file_make_dirs (deep, 0700), 0);
    assert_int_equal (s_mode (deep), 0700);
    assert_int_equal (s_mode (s_path (dir, "a")), 0700);
    assert_int_equal (jad_file_make_dirs (deep, 0700), 0);   /* again */
    char with_slash [PATH_MAX];
    snprintf (with_slash, sizeof with_slash, "%s/", deep);
    assert_int_equal (jad_file_make_dirs (with_slash, 0700), 0);
    /* A file in the way. */
    char err [512];
    assert_int_equal (jad_file_put (s_path (dir, "f"), "x", 1, 0644, 0, err,
                                    sizeof err), 0);
    assert_int_equal (jad_file_make_dirs (s_path (dir, "f"), 0700), -1);
    assert_int_equal (errno, ENOTDIR);
    assert_int_equal (jad_file_make_dirs (s_path (dir, "f/g"), 0700), -1);
    assert_int_equal (errno, ENOTDIR);
    assert_int_equal (jad_file_make_dirs ("", 0700), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_put_new_and_replace,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_put_exclusive,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_modes_whatever_the_umask,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_put_errors,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_temp, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_read_limit,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_read_large,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_read_errors,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_descriptors,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_make_dirs,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
