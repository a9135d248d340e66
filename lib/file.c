/*  file: whole files written durably and read with a bound (contract in
 *  include/jad/file.h).
 *
 *  Every writer goes through s_temp, so a file of ours is never visible
 *  with a wider mode than the one asked for, nor half-written under its
 *  final name.  Temporary files are named DIR/.jad.XXXXXX: hidden, and
 *  recognisable as ours should a crash leave one behind.
 */
#include "jad/file.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_TEMP_NAME  ".jad.XXXXXX"
#define S_READ_FIRST 4096       /* first buffer when the size says little */

/* What s_temp could not do. */
enum { S_TEMP_LONG = 1, S_TEMP_CREATE, S_TEMP_WRITE };

int
jad_file_write_all (int fd, const void *buf, size_t len)
{
    const char *at = buf;
    while (len > 0) {
        ssize_t n = write (fd, at, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {       /* not an error by POSIX, but no progress */
            errno = EIO;
            return -1;
        }
        at += n;
        len -= (size_t) n;
    }
    return 0;
}

int
jad_file_read_fd (int fd, void *buf, size_t cap, size_t *len_p)
{
    char *at = buf;
    size_t len = 0;
    int rc = 0;
    while (len < cap) {
        ssize_t n = read (fd, at + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        len += (size_t) n;
    }
    *len_p = len;
    return rc;
}

int
jad_file_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync (fd);
    int saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

int
jad_file_make_dirs (const char *dir, mode_t mode)
{
    char path [PATH_MAX];
    if (!dir || !*dir) {
        errno = ENOENT;
        return -1;
    }
    if ((size_t) snprintf (path, sizeof path, "%s", dir) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Each prefix ending at a '/' (the root itself skipped), then DIR. */
    for (char *p = path + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir (path, mode) && errno != EEXIST)
                return -1;
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat (dir, &st))
        return -1;
    if (!S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

void
jad_file_dirname (const char *path, char *dir)
{
    snprintf (dir, PATH_MAX, "%s", path);
    char *slash = strrchr (dir, '/');
    if (slash == dir)
        dir [1] = '\0';
    else
    if (slash)
        *slash = '\0';
    else
        strcpy (dir, ".");
}

/* The work of jad_file_temp without the messages: 0, or which step failed
 * (S_TEMP_*) with errno set, nothing left behind and TMP "". */
static int
s_temp (const char *dir, const char *text, size_t len, mode_t mode,
        char *tmp)
{
    if ((size_t) snprintf (tmp, PATH_MAX, "%s/" S_TEMP_NAME, dir)
        >= PATH_MAX) {
        tmp [0] = '\0';
        errno = ENAMETOOLONG;
        return S_TEMP_LONG;
    }
    int fd = mkstemp (tmp);     /* mode 0600 from its first instant */
    if (fd < 0) {
        tmp [0] = '\0';
        return S_TEMP_CREATE;
    }
    /* fchmod, not the umask: MODE exactly, and never wider before. */
    int failed = jad_file_write_all (fd, text, len) || fchmod (fd, mode)
              || fsync (fd);
    int saved = errno;
    if (close (fd) && !failed) {
        failed = 1;
        saved = errno;
    }
    if (failed) {
        unlink (tmp);
        tmp [0] = '\0';
        errno = saved;
        return S_TEMP_WRITE;
    }
    return 0;
}

int
jad_file_temp (const char *dir, const char *text, size_t len, mode_t mode,
               char *tmp, char *err, size_t errlen)
{
    int step = s_temp (dir, text, len, mode, tmp);
    int saved = errno;
    if (step == S_TEMP_LONG)
        snprintf (err, errlen, "%s: path too long", dir);
    else
    if (step == S_TEMP_CREATE)
        snprintf (err, errlen, "%s: cannot create a file: %s", dir,
                  strerror (saved));
    else
    if (step == S_TEMP_WRITE)
        snprintf (err, errlen, "%s: cannot write a file: %s", dir,
                  strerror (saved));
    errno = saved;
    return step ? -1 : 0;
}

int
jad_file_put (const char *path, const char *text, size_t len, mode_t mode,
              int exclusive, char *err, size_t errlen)
{
    int rc = -1;
    int saved = 0;
    char tmp [PATH_MAX] = "", dir [PATH_MAX];
    if (strlen (path) >= sizeof dir) {
        snprintf (err, errlen, "%s: path too long", path);
        errno = ENAMETOOLONG;
        return -1;
    }
    jad_file_dirname (path, dir);
    int step = s_temp (dir, text, len, mode, tmp);
    saved = errno;
    if (step == S_TEMP_LONG) {
        snprintf (err, errlen, "%s: path too long", path);
        goto out;
    }
    if (step == S_TEMP_CREATE) {
        snprintf (err, errlen, "%s: cannot create a file in %s: %s", path,
                  dir, strerror (saved));
        goto out;
    }
    if (step == S_TEMP_WRITE) {
        snprintf (err, errlen, "%s: cannot write: %s", path,
                  strerror (saved));
        goto out;
    }
    /* link() fails with EEXIST rather than replace: of two exclusive
     * writers one wins, and an existing file is never touched. */
    if (exclusive ? link (tmp, path) : rename (tmp, path)) {
        saved = errno;
        if (exclusive && saved == EEXIST)
            snprintf (err, errlen, "%s: exists; refusing to overwrite it",
                      path);
        else
            snprintf (err, errlen, "%s: cannot %s into place: %s", path,
                      exclusive ? "link" : "rename", strerror (saved));
        goto out;
    }
    if (exclusive)
        unlink (tmp);       /* the file lives on under PATH */
    tmp [0] = '\0';
    /* The new name (and the temporary one's removal) survive a crash
     * only once the directory is on disk too. */
    if (jad_file_sync_dir (dir)) {
        saved = errno;
        snprintf (err, errlen, "%s: cannot sync: %s", dir, strerror (saved));
        goto out;
    }
    rc = 0;
out:
    if (tmp [0])
        unlink (tmp);
    errno = saved;
    return rc;
}

char *
jad_file_read (const char *path, size_t max, size_t *len_p,
               char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0, cap = 0, first;
    int saved = 0;
    struct stat st;
    assert (max < SIZE_MAX / 2);
    /* O_NONBLOCK: a FIFO (or a device) at PATH would block the open
     * itself until a writer came, before the regular-file check below
     * could refuse it.  A regular file ignores O_NONBLOCK, so the reads
     * that follow are the usual blocking ones. */
    int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 || fstat (fd, &st)) {
        saved = errno;
        snprintf (err, errlen, "%s: %s", path, strerror (saved));
        goto fail;
    }
    if (!S_ISREG (st.st_mode)) {
        saved = EINVAL;
        snprintf (err, errlen, "%s: not a regular file", path);
        goto fail;
    }
    /* Sized by fstat, with one byte more to see the end (a file can grow,
     * and /proc's say 0): then doubled, up to MAX + 1, the byte that tells
     * a file that is too large. */
    first = st.st_size >= 0 && (uintmax_t) st.st_size < max
          ? (size_t) st.st_size + 1 : max + 1;
    if (first < S_READ_FIRST)
        first = max + 1 < S_READ_FIRST ? max + 1 : S_READ_FIRST;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                saved = EFBIG;
                snprintf (err, errlen, "%s: larger than %zu bytes", path,
                          max);
                goto fail;
            }
            size_t want = cap == 0 ? first
                        : cap > (max + 1) / 2 ? max + 1 : 2 * cap;
            char *grown = realloc (buf, want + 1);  /* + 1: the NUL */
            if (!grown) {
                saved = ENOMEM;
                snprintf (err, errlen, "%s: out of memory", path);
                goto fail;
            }
            buf = grown;
            cap = want;
        }
        size_t got = 0;
        int rc = jad_file_read_fd (fd, buf + len, cap - len, &got);
        len += got;
        if (rc) {
            saved = errno;
            snprintf (err, errlen, "%s: %s", path, strerror (saved));
            goto fail;
        }
        if (len < cap)
            break;      /* end of file */
    }
    close (fd);
    buf [len] = '\0';
    *len_p = len;
    return buf;
fail:
    if (fd >= 0)
        close (fd);
    free (buf);
    errno = saved;
    return NULL;
}
