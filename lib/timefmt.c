/*  timefmt: RFC 3339 parsing and formatting without the locale- and
 *  TZ-dependent parts of libc (no mktime, no strptime). */
#include "jad/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days from 1970-01-01 to Y-M-D (proleptic Gregorian), after H. Hinnant. */
static int64_t
s_days_from_civil (int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned) (y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t) doe - 719468;
}

static int
s_digits (const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int
jad_time_parse (const char *s, int64_t *ms_p)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int Y, M, D, h, m, sec;
    if (strlen (s) < 20
    ||  s_digits (s, 4, &Y) || s[4] != '-' || s_digits (s + 5, 2, &M)
    ||  s[7] != '-' || s_digits (s + 8, 2, &D)
    ||  (s[10] != 'T' && s[10] != 't')
    ||  s_digits (s + 11, 2, &h) || s[13] != ':' || s_digits (s + 14, 2, &m)
    ||  s[16] != ':' || s_digits (s + 17, 2, &sec))
        return -1;
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60)
        return -1;
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (D > mdays[M - 1] + (M == 2 && leap))
        return -1;
    if (sec == 60)
        sec = 59;   /* a leap second is kept in its minute */
    const char *p = s + 19;
    int frac_ms = 0;
    if (*p == '.') {
        p++;
        int n = 0;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n == 0 || n > 9)
            return -1;
        for (int i = 0; i < 3; i++)
            frac_ms = frac_ms * 10 + (i < n ? p[i] - '0' : 0);
        p += n;
    }
    int offset_min = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        offset_min = 0;
    else
    if ((*p == '+' || *p == '-') && strlen (p) == 6 && p[3] == ':') {
        int oh, om;
        if (s_digits (p + 1, 2, &oh) || s_digits (p + 4, 2, &om)
        ||  oh > 23 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    }
    else
        return -1;
    int64_t secs = s_days_from_civil (Y, (unsigned) M, (unsigned) D) * 86400
                 + h * 3600 + m * 60 + sec - (int64_t) offset_min * 60;
    if (secs < 0)
        return -1;
    *ms_p = secs * 1000 + frac_ms;
    return 0;
}

void
jad_time_format (int64_t ms, char *buf)
{
    time_t secs = (time_t) (ms / 1000);
    int frac = (int) (ms % 1000);
    struct tm tm;
    char tmp[96];   /* room for any int gmtime_r can give: no truncation */
    gmtime_r (&secs, &tm);
    if (frac)
        snprintf (tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    else
        snprintf (tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    size_t n = strlen (tmp);
    if (n >= JAD_TIME_STRLEN)
        n = JAD_TIME_STRLEN - 1;
    memcpy (buf, tmp, n);
    buf[n] = '\0';
}

int64_t
jad_time_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
jad_time_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
jad_time_pace (jad_time_pace_t *pace, int64_t event_ms, int64_t now)
{
    if (!pace->started) {
        pace->started = 1;
        pace->event0 = event_ms;
        pace->mono0 = now;
        return 0;
    }
    int64_t due = pace->mono0
                + (int64_t) ((double) (event_ms - pace->event0) / pace->speed);
    return due - now;
}
