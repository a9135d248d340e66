/*  testutil: what the unit tests share.  See testutil.h. */
#define _XOPEN_SOURCE 700     /* nftw */
#include "testutil.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static int
s_rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) ftw;
    /* A directory a test made unreadable is opened up before it is read. */
    if (flag == FTW_DNR)
        chmod (path, 0700);
    remove (path);
    return 0;             /* go on: what stays is found by the caller */
}

int
jad_test_rmtree (const char *dir)
{
    /* Twice: the first pass opens directories a test made unreadable. */
    nftw (dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw (dir, s_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    struct stat st;
    return stat (dir, &st) == 0 ? -1 : 0;
}

char *
jad_test_mkdtemp (void)
{
    const char *tmp = getenv ("TMPDIR");
    char buf[512];
    snprintf (buf, sizeof buf, "%s/jad-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (buf))
        return NULL;
    return strdup (buf);
}

int
jad_test_dir_setup (void **state)
{
    jad_test_dir_t *t = calloc (1, sizeof *t);
    char *dir = jad_test_mkdtemp ();
    if (!t || !dir || strlen (dir) >= sizeof t->dir) {
        free (t);
        free (dir);
        return -1;
    }
    snprintf (t->dir, sizeof t->dir, "%s", dir);
    free (dir);
    *state = t;
    return 0;
}

int
jad_test_dir_teardown (void **state)
{
    jad_test_dir_t *t = *state;
    if (t) {
        jad_test_rmtree (t->dir);
        free (t);
    }
    *state = NULL;
    return 0;
}

const char *
jad_test_dir (void **state)
{
    return ((jad_test_dir_t *) *state)->dir;
}

const char *
jad_test_path (void **state, const char *name)
{
    jad_test_dir_t *t = *state;
    snprintf (t->path, sizeof t->path, "%s/%s", t->dir, name);
    return t->path;
}

int
jad_test_keys_make (const char *const *names, size_t n, jad_keys_t **keys,
                    char **dir_p)
{
    char err[256], path[1024];
    *dir_p = jad_test_mkdtemp ();
    if (!*dir_p)
        return -1;
    for (size_t k = 0; k < n; k++) {
        if (jad_keys_generate (names[k], *dir_p, err, sizeof err) != 0)
            return fprintf (stderr, "keygen %s: %s\n", names[k], err), -1;
        snprintf (path, sizeof path, "%s/%s.secret", *dir_p, names[k]);
        keys[k] = jad_keys_load (path, err, sizeof err);
        if (!keys[k])
            return fprintf (stderr, "keys %s: %s\n", names[k], err), -1;
    }
    return 0;
}

void
jad_test_keys_free (jad_keys_t **keys, size_t n, char **dir_p)
{
    for (size_t k = 0; k < n; k++)
        jad_keys_destroy (&keys[k]);
    if (*dir_p)
        jad_test_rmtree (*dir_p);
    free (*dir_p);
    *dir_p = NULL;
}

static int s_saved_stderr = -1;
static FILE *s_capture;

void
jad_test_log_capture (jad_log_level_t level)
{
    fflush (stderr);
    s_capture = tmpfile ();
    assert_non_null (s_capture);
    s_saved_stderr = dup (STDERR_FILENO);
    assert_true (s_saved_stderr >= 0);
    assert_true (dup2 (fileno (s_capture), STDERR_FILENO) >= 0);
    jad_log_init ("test", level);
}

char *
jad_test_log_release (void)
{
    jad_log_init ("test", JAD_LOG_ERROR);
    fflush (stderr);
    dup2 (s_saved_stderr, STDERR_FILENO);
    close (s_saved_stderr);
    s_saved_stderr = -1;
    assert_int_equal (fseek (s_capture, 0, SEEK_END), 0);
    long size = ftell (s_capture);
    assert_true (size >= 0);
    char *text = calloc (1, (size_t) size + 1);
    assert_non_null (text);
    rewind (s_capture);
    assert_int_equal (fread (text, 1, (size_t) size, s_capture), (size_t) size);
    fclose (s_capture);
    s_capture = NULL;
    return text;
}

int
jad_test_lines_with (const char *text, const char *what)
{
    int n = 0;
    for (const char *line = text; line && *line; ) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        const char *hit = strstr (line, what);
        if (hit && hit < line + len)
            n++;
        line = end ? end + 1 : NULL;
    }
    return n;
}
