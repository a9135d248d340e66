/*  report_json: one JSON Lines report <-> a Jad__Report.
 *
 *  The format is the one national systems feed us (issue 2, section 3):
 *  one JSON object per line, strict — an unknown field, a duplicate key, a
 *  number that is not a plain integer where a quantity is expected, an
 *  unknown enum name: each rejects the line with "field: reason".
 *  The event time is not part of a Report (it travels in the envelope), so
 *  it is passed beside it.
 */
#ifndef JAD_REPORT_JSON_H
#define JAD_REPORT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "jad.pb-c.h"
#include "jad/report.h"

/* Parse LINE[0..LEN) (no newline; one trailing "\r" is tolerated) into a
 * new Report that passed jad_report_validate().  OWN_COUNTRY, when not
 * NULL, is the only `country` the line may carry.  On success returns 0,
 * *REPORT_P gets the report (caller owns it; every part is malloc'd, free
 * it with jad__report__free_unpacked (r, NULL)), *TIME_MS_P the line's
 * `time` in ms since the epoch, UTC, and *HAS_TIME_P 1 — or 0 when the line
 * has no `time`.  On failure returns -1, writes "field: reason" into ERR
 * (no "line N: " prefix: the caller knows the line number) and leaves the
 * outputs untouched.  A LEN over JAD_REPORT_LINE_MAX is refused before
 * LINE is read. */
int jad_report_json_parse (const char *line, size_t len,
                           const char *own_country,
                           Jad__Report **report_p,
                           int64_t *time_ms_p, int *has_time_p,
                           char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Write R (and the time, when HAS_TIME) as one compact JSON line, without
 * newline, keys in a fixed order: type, country, time, the kind's fields,
 * location, lat, lon, handling, ref.  Fields absent from R are absent from
 * the line, so parse(format(r)) == r.  Caller owns the result (free()).
 * NULL if R does not pass jad_report_validate() or memory runs out. */
char *jad_report_json_format (const Jad__Report *r, int has_time,
                              int64_t time_ms);

#endif
