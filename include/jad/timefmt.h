/*  timefmt: RFC 3339 times <-> milliseconds since the epoch, UTC. */
#ifndef JAD_TIMEFMT_H
#define JAD_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Longest string jad_time_format writes, with its NUL. */
#define JAD_TIME_STRLEN 32

/* Parse an RFC 3339 date-time ("2020-11-16T07:00:03Z", optional fraction of
 * up to 9 digits, kept to the millisecond; "Z", "z" or "+hh:mm"/"-hh:mm").
 * Years 1970..9999.  0 on success, -1 if malformed. */
int jad_time_parse (const char *text, int64_t *ms_p)
    __attribute__((warn_unused_result));

/* Write MS as "YYYY-MM-DDThh:mm:ssZ", or with ".mmm" when MS has a
 * fractional second.  BUF must hold JAD_TIME_STRLEN bytes. */
void jad_time_format (int64_t ms, char *buf);

/* Wall clock, ms since the epoch; and a monotonic clock in ms. */
int64_t jad_time_now_ms (void);
int64_t jad_time_mono_ms (void);

/* Pacing by event time, SPEED times real time (3600: an operation hour a
 * second), as jad-replay --speed and jad-console --replay play a journal:
 * the first event paced sets the origin, every later one is due when as
 * much monotonic time has passed as event time since it, over SPEED.
 * Zero-initialise with the speed set. */
typedef struct {
    double  speed;              /* > 0 */
    int     started;            /* the origin is set */
    int64_t event0;             /* the first event's time, ms */
    int64_t mono0;              /* when it was paced (monotonic ms) */
} jad_time_pace_t;

/* Milliseconds until EVENT_MS is due at monotonic NOW; 0 or less: now (the
 * first call, and an event earlier than the origin, are due at once). */
int64_t jad_time_pace (jad_time_pace_t *pace, int64_t event_ms, int64_t now);

#endif
