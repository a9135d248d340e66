/*  testutil: what the unit tests share.  See testutil.h. */
#define _XOPEN_SOURCE 700     /* nftw */
#include "testutil.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
