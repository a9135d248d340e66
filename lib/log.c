/*  log: leveled logging to stderr.  One write(2) per line so that lines
 *  from several processes sharing a log file do not interleave. */
#include "jad/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

jad_log_level_t jad_log_level = JAD_LOG_NOTICE;
static const char *s_role = "jad";

static const char *s_names[] = { "error", "warn", "notice", "info", "debug" };

void
jad_log_init (const char *role, jad_log_level_t level)
{
    s_role = role;
    jad_log_level = level;
}

int
jad_log_level_parse (const char *name)
{
    for (int i = 0; i < (int) (sizeof s_names / sizeof s_names[0]); i++)
        if (strcmp (name, s_names[i]) == 0)
            return i;
    return -1;
}

void
jad_log_write (jad_log_level_t level, const char *fmt, ...)
{
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime (CLOCK_REALTIME, &ts);
    gmtime_r (&ts.tv_sec, &tm);
    int n = snprintf (line, sizeof line,
                      "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                      s_role, s_names[level]);
    va_list ap;
    va_start (ap, fmt);
    int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, ap);
    va_end (ap);
    size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write (STDERR_FILENO, line, len);
    (void) w;
}
