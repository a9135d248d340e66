/*  file: whole files written durably and read with a bound — the few
 *  system-call loops every module that keeps a file needs, written once.
 *
 *  A file is put in place the way a crash cannot tear it: the text goes to
 *  a temporary file in the same directory (created by mkstemp, so mode
 *  0600 from its first instant), gets its final mode with fchmod (exactly
 *  MODE, whatever the umask), is fsync'd and closed, and only then takes
 *  the final name, by rename() (replacing) or by link() (exclusive: never
 *  replaces, so two writers cannot both win); last the directory is
 *  fsync'd so that the new name survives a crash too.  A reader sees the
 *  old file or the new one, never a part.
 *
 *  Errors follow the library's habit: 0 or -1 (NULL for a buffer), with a
 *  message naming the path in ERR (ERRLEN bytes) for the functions that
 *  take one, and errno kept for the caller that wants to tell cases apart
 *  (EEXIST from an exclusive jad_file_put, EFBIG from jad_file_read).
 *
 *  Secret material never goes through jad_file_read, whose buffer is
 *  ordinary heap memory: a module reading a secret opens the file itself
 *  and reads into its own sodium_malloc'd memory with jad_file_read_fd.
 */
#ifndef JAD_FILE_H
#define JAD_FILE_H

#include <stddef.h>
#include <sys/types.h>

/* Write all LEN bytes of BUF to FD, going on after short writes and
 * EINTR.  0, or -1 with errno. */
int jad_file_write_all (int fd, const void *buf, size_t len);

/* Read from FD into BUF until end of file or CAP bytes, going on after
 * short reads and EINTR; the count in *LEN_P (also on error: what was read
 * before it).  *LEN_P == CAP means the file may hold more.  0, or -1 with
 * errno.  For buffers the caller owns (sodium_malloc'd ones for secrets). */
int jad_file_read_fd (int fd, void *buf, size_t cap, size_t *len_p)
    __attribute__ ((warn_unused_result));

/* fsync the directory DIR, which makes a creation, rename or link in it
 * durable.  0, or -1 with errno. */
int jad_file_sync_dir (const char *dir)
    __attribute__ ((warn_unused_result));

/* The directory part of PATH in DIR (PATH_MAX bytes): "." for a bare
 * name, "/" for a name in the root. */
void jad_file_dirname (const char *path, char *dir);

/* mkdir -p: create DIR and its missing parents, each with MODE (less the
 * umask, as mkdir does); existing ones are left as they are.  0 when DIR
 * is a directory at the end, else -1 with errno (ENOTDIR when it exists as
 * something else). */
int jad_file_make_dirs (const char *dir, mode_t mode)
    __attribute__ ((warn_unused_result));

/* Write TEXT (LEN bytes) to a new temporary file in DIR, made with mode
 * 0600, then given MODE, fsync'd and closed; its path in TMP (PATH_MAX
 * bytes), for the caller to rename() or link() into place and then
 * jad_file_sync_dir (DIR) — or unlink.  For a caller putting several files
 * in place all or nothing; one file is jad_file_put's.  0, or -1 with a
 * reason in ERR, nothing left behind and TMP "". */
int jad_file_temp (const char *dir, const char *text, size_t len,
                   mode_t mode, char *tmp, char *err, size_t errlen)
    __attribute__ ((warn_unused_result));

/* Put TEXT (LEN bytes) at PATH with exactly MODE, durably (see above):
 * EXCLUSIVE, PATH must not exist yet (-1 with errno EEXIST and "PATH:
 * exists; refusing to overwrite it" when it does), else an existing file
 * is replaced.  0, or -1 with a reason in ERR; on -1 no temporary file is
 * left and PATH is as it was, unless only the final directory fsync
 * failed (the file is then in place but perhaps not yet on disk). */
int jad_file_put (const char *path, const char *text, size_t len,
                  mode_t mode, int exclusive, char *err, size_t errlen)
    __attribute__ ((warn_unused_result));

/* The whole regular file at PATH, at most MAX bytes, in a malloc'd buffer
 * with a NUL after the last byte (the file may hold NULs of its own: *LEN_P
 * says how many bytes it has).  Caller frees.  NULL with a reason in ERR:
 * PATH and strerror, "PATH: not a regular file" (errno EINVAL; a FIFO
 * or a device is refused without waiting for a writer), or (errno EFBIG)
 * "PATH: larger than MAX bytes". */
char *jad_file_read (const char *path, size_t max, size_t *len_p,
                     char *err, size_t errlen)
    __attribute__ ((warn_unused_result));

#endif
