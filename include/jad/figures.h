/*  figures: the operation's results, computed from its reports.
 *
 *  The post-operation tools feed every journal entry, in hub order, to
 *  jad_figures_entry(); the figures object keeps running sums (per country
 *  and in total), the deployment reports (for `officers`, which is not a
 *  sum), and the corrections in force, and renders the result as the JSON
 *  shape of issue 5 (docs/REPORTS.md says what each figure means).
 *
 *  Corrections: a `correction` always comes after the report it supersedes,
 *  which has therefore been counted already.  The figures object asks the
 *  caller to fetch the superseded entry again (FETCH below: a journal read,
 *  rare) and subtracts exactly what that entry added, then adds the
 *  replacement — with the superseded report's country and event time, since
 *  a correction fixes what was reported about that event, not when or where
 *  it happened.  No replacement: the report is withdrawn and counts nowhere.
 *  A later correction of the same hub_seq replaces the earlier one.  A
 *  correction of a correction, of a non-report, or of another country's
 *  report is ignored (the hub refuses the last already).
 *
 *  Memory: fixed per country (676 possible codes) plus one small record per
 *  deployment report, per correction, per currency and per hour of activity:
 *  independent of the number of other reports.  Not thread-safe: one thread
 *  feeds it (decoding may happen on many, see tools/jad_report.c).
 */
#ifndef JAD_FIGURES_H
#define JAD_FIGURES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "jad.pb-c.h"

typedef struct _jad_figures_t jad_figures_t;

/* What FETCH returns about an earlier entry.  REPORT belongs to the
 * caller's FETCH and must stay valid until the next FETCH call or the
 * return of jad_figures_entry, whichever comes first; see RELEASE. */
typedef struct {
    uint64_t     seq;           /* its hub_seq */
    char         country[3];    /* its country, "" when none */
    int64_t      time_ms;       /* its event time */
    Jad__Report *report;        /* its decoded report (owned by the caller) */
} jad_figures_src_t;

/* Fetch entry SEQ into *SRC; 1 found, 0 no such entry (or not a report),
 * -1 read error.  After use the figures object calls it again with SEQ 0
 * so the caller can free what it handed out. */
typedef int (jad_figures_fetch_fn) (void *arg, uint64_t seq,
                                    jad_figures_src_t *src);

/* A new, empty set of figures.  NULL when memory runs out. */
jad_figures_t *jad_figures_new (void);

/* Free; safe on NULL; nulls the caller's pointer. */
void jad_figures_destroy (jad_figures_t **self_p);

/* Count only reports whose event time is in [FROM_MS, TO_MS] (INT64_MIN,
 * INT64_MAX for no bound).  Set before the first entry. */
void jad_figures_set_range (jad_figures_t *self, int64_t from_ms, int64_t to_ms);

/* Count only reports of COUNTRY (two upper-case letters; NULL: all).  Set
 * before the first entry.  0, or -1 if COUNTRY is malformed. */
int jad_figures_set_country (jad_figures_t *self, const char *country);

/* Record, for jad_figures_explain_*, which entries add up to the figure at
 * PATH (dot-separated, as in the JSON: "seizures.firearms.by_type.pistol",
 * "by_country.DE.checks.persons", "officers").  Costs a JSON rendering per
 * entry: for --explain only.  Set before the first entry. */
void jad_figures_set_explain (jad_figures_t *self, const char *path);

/* Count one journal entry: hub_seq SEQ, the report's COUNTRY ("" when its
 * origin has none), its event TIME_MS and its decoded report R (not kept).
 * Reports of the intake kinds are counted; a correction is applied, calling
 * FETCH (ARG, ...) for the entries it needs again; other kinds are ignored.
 * 0, or -1 when FETCH fails or memory runs out (the figures are then
 * incomplete). */
int jad_figures_entry (jad_figures_t *self, uint64_t seq, const char *country,
                       int64_t time_ms, const Jad__Report *r,
                       jad_figures_fetch_fn *fetch, void *arg)
    __attribute__((warn_unused_result));

/* The figures as issue 5's JSON object, OPERATION as "operation".  Every
 * key is present; first_event/last_event are null when nothing counted;
 * by_* maps and cash hold only non-zero keys.  Caller owns the result
 * (json_decref).  NULL when memory runs out. */
json_t *jad_figures_json (jad_figures_t *self, const char *operation);

/* Activity per hour, for charts: hour I (0 <= I < jad_figures_hours) starts
 * at jad_figures_hour0_ms + I * 3600000; HITS, SEIZURES (reports) and
 * ARRESTS (persons) counted in that hour.  Hours span the counted reports
 * (at most JAD_FIGURES_HOURS_MAX from the first; later ones are not
 * charted). */
#define JAD_FIGURES_HOURS_MAX  (24 * 400)
size_t  jad_figures_hours    (const jad_figures_t *self);
int64_t jad_figures_hour0_ms (const jad_figures_t *self);
void    jad_figures_hour     (const jad_figures_t *self, size_t i,
                              uint64_t *hits, uint64_t *seizures,
                              uint64_t *arrests);

/* One entry adding to the explained figure. */
typedef struct {
    uint64_t seq;               /* the report's hub_seq */
    uint64_t via;               /* the correction whose replacement counts; 0 */
    char     country[3];        /* its country, "" when none */
    int64_t  time_ms;           /* its event time */
    uint64_t value;             /* what it adds to the figure */
} jad_figures_item_t;

/* After the last entry: check the explained PATH against FIGURES (from
 * jad_figures_json) and settle the list.  0, or -1 with a reason in ERR
 * when PATH names no figure ("first_event", "countries" and maps are not
 * sums of entries). */
int jad_figures_explain_finish (jad_figures_t *self, const json_t *figures,
                                char *err, size_t errlen);
/* The entries, in hub order, and their sum (the figure). */
size_t jad_figures_explain_size (const jad_figures_t *self);
const jad_figures_item_t *jad_figures_explain_at (const jad_figures_t *self,
                                                  size_t i);
uint64_t jad_figures_explain_total (const jad_figures_t *self);

/* ------------------------------------------------------------ reading them */

/* The integer at dotted PATH ("seizures.firearms.total") in FIGURES (the
 * JSON of jad_figures_json); 0 when absent or not an integer. */
uint64_t jad_figures_get (const json_t *figures, const char *path);

/* N with thousands separators ("288,774") into BUF, which holds
 * JAD_FIGURES_NUM_LEN bytes; returns BUF. */
#define JAD_FIGURES_NUM_LEN 32
const char *jad_figures_num (uint64_t n, char *buf);

#endif
