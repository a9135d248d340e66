/*  statusfile: a daemon's status.json read back, and whether it is
 *  current.  See include/jad/statusfile.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "jad/statusfile.h"

int
jad_statusfile_pid_alive (long pid)
{
    if (pid <= 0)
        return 0;
    if (kill ((pid_t) pid, 0) != 0 && errno != EPERM)
        return 0;
    char path[64], buf[256];
    snprintf (path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen (path, "r");
    if (!f)
        return 1;               /* no /proc: trust kill */
    size_t n = fread (buf, 1, sizeof buf - 1, f);
    fclose (f);
    buf[n] = 0;
    const char *p = strrchr (buf, ')');     /* the name may hold spaces */
    return !(p && p[1] == ' ' && p[2] == 'Z');
}

json_t *
jad_statusfile_read (const char *path, int64_t now_ms, jad_statusfile_t *st)
{
    memset (st, 0, sizeof *st);
    struct stat sb;
    json_error_t jerr;
    json_t *root = json_load_file (path, 0, &jerr);
    if (root && !json_is_object (root)) {
        json_decref (root);
        root = NULL;
    }
    if (!root)
        return NULL;
    st->exists = 1;
    json_t *v = json_object_get (root, "pid");
    if (json_is_integer (v) && json_integer_value (v) > 0) {
        st->pid = (long) json_integer_value (v);
        st->running = jad_statusfile_pid_alive (st->pid);
    }
    v = json_object_get (root, "written_ms");
    if (json_is_integer (v) && json_integer_value (v) > 0)
        st->written_ms = (int64_t) json_integer_value (v);
    else
    if (stat (path, &sb) == 0)
        st->written_ms = (int64_t) sb.st_mtim.tv_sec * 1000
                       + sb.st_mtim.tv_nsec / 1000000;
    /* A clock set back makes a fresh file look written in the future:
     * that is age 0, not stale. */
    st->age_ms = now_ms > st->written_ms ? now_ms - st->written_ms : 0;
    st->stale = !st->running || st->age_ms > JAD_STATUSFILE_STALE_MS;
    return root;
}

/* AGE_MS for people: "12 s", "3 min", "5 h", "2 days". */
static void
s_age (int64_t age_ms, char *buf, size_t len)
{
    int64_t s = age_ms / 1000;
    if (s < 120)
        snprintf (buf, len, "%lld s", (long long) s);
    else
    if (s < 120 * 60)
        snprintf (buf, len, "%lld min", (long long) (s / 60));
    else
    if (s < 48 * 3600)
        snprintf (buf, len, "%lld h", (long long) (s / 3600));
    else
        snprintf (buf, len, "%lld days", (long long) (s / 86400));
}

void
jad_statusfile_describe (const jad_statusfile_t *st, char *buf, size_t len)
{
    char age[32];
    if (len == 0)
        return;
    buf[0] = 0;
    if (!st->exists || !st->stale)
        return;
    s_age (st->age_ms, age, sizeof age);
    if (!st->running)
        snprintf (buf, len, "stale: written %s ago by a process that is no "
                  "longer running", age);
    else
        snprintf (buf, len, "stale: written %s ago; its writer (pid %ld) "
                  "runs but has stopped writing", age, st->pid);
}
