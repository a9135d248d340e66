/*  console_model: what jad-console knows about the operation, fed by
 *  journal entries, recorded rosters and the hub's health relay.
 *
 *  The model is the console's only state about the operation; it knows
 *  nothing of sockets or the screen.  Entries must arrive in hub order,
 *  each exactly once (the link's Clone pattern, or a journal scan, sees to
 *  that).  The totals are lib/figures.c's, so they equal jad-report's for
 *  the same entries.
 *
 *  Cost: one Entry peel and one Report unpack per entry (~2 µs), plus a
 *  copy of the report bytes kept for corrections (lib/figures asks for a
 *  superseded report again): memory grows with the journal, about 100
 *  bytes per entry.  The notable entries (hits, seizures, arrests, sitreps,
 *  requests, acks, corrections) keep their JSON text, at most
 *  JAD_MODEL_NOTES_MAX of them (the oldest are dropped).
 *
 *  Threads: a model belongs to one thread.
 */
#ifndef JAD_CONSOLE_MODEL_H
#define JAD_CONSOLE_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef struct _jad_model_t jad_model_t;

#define JAD_MODEL_NOTES_MAX   5000   /* notable entries kept for the feed */
#define JAD_MODEL_COUNTRIES_MAX 676  /* every two-letter code */

/* One notable entry, for the feed panel. */
typedef struct {
    uint64_t seq;               /* its hub_seq */
    int64_t  time_ms;           /* event time */
    int64_t  received_ms;       /* hub clock at receipt */
    char     country[3];        /* "" when none */
    char     origin[66];        /* sender's roster name (truncated) */
    char     kind[24];          /* "hit", "seizure", ..., "request" */
    char     summary[200];      /* one line: the kind's fields */
    char    *json;              /* the report as JSON (owned by the model) */
    uint32_t acks;              /* a request: acknowledgements seen */
    char     acked_by[96];      /* a request: countries that acked, "HR RS" */
} jad_model_note_t;

/* One participating country, for the countries panel. */
typedef struct {
    char     cc[3];
    uint64_t officers, checks, hits, seizures, arrests;
    uint64_t reports;           /* entries counted for it */
    int64_t  last_report_ms;    /* hub receipt time of its newest report; 0 */
    int      has_health;        /* the hub relayed its agents' health */
    int      connected;         /* one of its agents is connected */
    int64_t  last_seen_ms;      /* newest heartbeat of its agents (hub clock) */
    int64_t  health_time_ms;    /* hub clock of that health relay */
    uint64_t outbox_depth;      /* summed over its agents */
    uint64_t mirror_lag;        /* largest over its agents: head - mirror */
    int64_t  silent_ms;         /* how long nothing was heard; -1 unknown */
} jad_model_country_t;

/* A new, empty model.  NULL when memory runs out.  Caller owns it. */
jad_model_t *jad_model_new (void);

/* Free; safe on NULL; nulls the caller's pointer. */
void jad_model_destroy (jad_model_t **self_p);

/* A RosterRecord (its packed bytes) as the hub recorded it, in any order
 * (a record with an effective_seq already held replaces it): the
 * operation's name, start and end, its countries, and who is who
 * (lib/history.c).  0, or -1 with a reason in ERR when it does not decode
 * or its roster does not parse (the model is unchanged). */
int jad_model_roster (jad_model_t *self, const uint8_t *buf, size_t len,
                      char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Entry SEQ (its packed Entry bytes BUF[0..LEN)).  SEQ must be the next
 * one (jad_model_head + 1).  An entry that does not decode is counted as
 * bad and skipped (it still advances the head).  0, or -1 when memory runs
 * out (the totals are then incomplete). */
int jad_model_entry (jad_model_t *self, uint64_t seq,
                     const uint8_t *buf, size_t len)
    __attribute__((warn_unused_result));

/* An agent's health, as the hub relays it: participant NAME of COUNTRY,
 * CONNECTED, last heard at LAST_SEEN_MS, its outbox depth and mirror head,
 * all as of the hub's TIME_MS.  Participants without a country are
 * ignored. */
void jad_model_health (jad_model_t *self, const char *name,
                       const char *country, int connected,
                       int64_t last_seen_ms, uint64_t outbox_depth,
                       uint64_t mirror_seq, int64_t time_ms);

/* The last entry applied (0 before the first); entries that did not
 * decode. */
uint64_t jad_model_head (const jad_model_t *self);
uint64_t jad_model_bad  (const jad_model_t *self);
/* The newest event time among the entries (0 before the first): a
 * replay's "now". */
int64_t  jad_model_latest_ms (const jad_model_t *self);

/* The operation's name ("" until a roster arrives), planned start and end
 * (0 when unknown), and the operation id (NULL when unknown), from the
 * last recorded roster.  The strings are valid until the next
 * jad_model_roster. */
const char    *jad_model_operation (const jad_model_t *self);
int64_t        jad_model_start_ms  (const jad_model_t *self);
int64_t        jad_model_end_ms    (const jad_model_t *self);
const uint8_t *jad_model_operation_id (const jad_model_t *self);

/* The figures of every entry so far (lib/figures.c's JSON, as jad-report
 * --format json prints them).  Caller owns the result (json_decref); NULL
 * when memory runs out.  Costs a rendering: call it per redraw, not per
 * entry. */
json_t *jad_model_figures (jad_model_t *self);

/* The countries into OUT (at most MAX), in roster order then first-seen
 * order, with FIGURES (from jad_model_figures) for their sums.  Returns how
 * many. */
size_t jad_model_countries (jad_model_t *self, const json_t *figures,
                            jad_model_country_t *out, size_t max);

/* The notable entries: I = 0 is the oldest kept; valid until the next
 * jad_model_entry. */
size_t jad_model_notes (const jad_model_t *self);
const jad_model_note_t *jad_model_note (const jad_model_t *self, size_t i);

#endif
