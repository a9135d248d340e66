/*  statusfile: a daemon's status.json read back, and whether it is current.
 *
 *  jad-hub and jad-agent rewrite DIR/status.json every second (a temporary
 *  file renamed over it) with their pid, the time it was written
 *  ("written_ms", ms since the epoch, beside the older "updated" in RFC
 *  3339) and what they see: connected, heads, lag.  The file outlives its
 *  writer — a crash, a stop, a reboot leave the last one behind — and a
 *  writer that hangs (or is stopped with SIGSTOP) leaves it unchanged while
 *  its pid still runs.  Whoever shows the file must not present it as the
 *  present: `jad-hub status`, `jad-agent status` and `jad-journal repair`
 *  (is the hub still running?) ask here.
 *
 *  A file is current when its writer's pid runs and it was written at most
 *  JAD_STATUSFILE_STALE_MS ago; otherwise it is stale.  The age also
 *  covers a pid that now belongs to another process (after a reboot): that
 *  process does not rewrite the file.  A file of an older build has no
 *  "written_ms": its modification time is taken instead (the writer
 *  renames a fresh file into place each time).
 *
 *  Threads: no shared state.
 */
#ifndef JAD_STATUSFILE_H
#define JAD_STATUSFILE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Older than this while its writer runs, a status file is stale: the
 * writers rewrite it every second, so 5 s is four missed writes. */
#define JAD_STATUSFILE_STALE_MS  5000

/* What a status file says about itself. */
typedef struct {
    int      exists;        /* the file was read and is a JSON object */
    long     pid;           /* its "pid"; 0 when absent */
    int      running;       /* that process exists and is not a zombie */
    int64_t  written_ms;    /* when it was written (wall clock, ms): its
                             * "written_ms", else the file's mtime */
    int64_t  age_ms;        /* NOW_MS - written_ms, at least 0 */
    int      stale;         /* exists, and not (running and age_ms <=
                             * JAD_STATUSFILE_STALE_MS) */
} jad_statusfile_t;

/* Read the status file PATH as of NOW_MS (wall clock, ms since the epoch)
 * into *ST.  Returns the file's object (the caller owns it: json_decref),
 * or NULL when the file is missing or not a JSON object (*ST is then all
 * zero: not there, so not stale either). */
json_t *jad_statusfile_read (const char *path, int64_t now_ms,
                             jad_statusfile_t *st);

/* 1 when process PID exists and is not a zombie (a daemon killed with
 * SIGKILL stays a zombie until its parent reaps it), else 0.  A process of
 * another user counts (kill says EPERM): the group reading a daemon's
 * status file is not its user. */
int jad_statusfile_pid_alive (long pid);

/* Why ST is stale, for people, into BUF (LEN bytes): "stale: written 3
 * min ago by a process that is no longer running", or "stale: written 12
 * s ago; its writer (pid 4242) runs but has stopped writing".  "" when ST
 * is not stale. */
void jad_statusfile_describe (const jad_statusfile_t *st, char *buf,
                              size_t len);

#endif
