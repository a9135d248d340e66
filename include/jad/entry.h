/*  entry: a journal entry decoded for the post-operation tools, with the
 *  country it counts for.
 *
 *  jad-replay and jad-export read a journal (a hub's or an agent's mirror)
 *  read-only and need, for every entry, its report and the country the
 *  report belongs to.  A report names its country only when the agent put
 *  it there; otherwise it is the origin's, from the roster in force at that
 *  entry — the rosters the hub recorded beside its entries
 *  (JAD_JOURNAL_ROSTERS), kept in a history (history.h, whose
 *  jad_history_country is the rule).  A journal made by `jad-journal
 *  import` records no roster: its origins are "import-CC", and CC is the
 *  country.
 *
 *  The reader trusts the journal: signatures and the hash chain are
 *  jad-verify's job.  It checks only what it decodes (through lib/wire.c).
 *
 *  Threads: a reader belongs to one thread.
 */
#ifndef JAD_ENTRY_H
#define JAD_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "jad.pb-c.h"
#include "jad/history.h"
#include "jad/journal.h"

typedef struct _jad_entry_reader_t jad_entry_reader_t;

/* One decoded entry.  REPORT belongs to the entry: valid until
 * jad_entry_clear, which frees it.  Only the report is unpacked (one
 * protobuf-c unpack); the Entry and Envelope around it are peeled in place
 * (jad_entry_peel), which is two thirds of the decoding cost saved. */
typedef struct {
    uint64_t       hub_seq;        /* the journal key */
    int64_t        received_ms;    /* hub clock at receipt */
    int64_t        event_time_ms;  /* the envelope's event time */
    char           origin[JAD_JOURNAL_ORIGIN_MAX + 1];  /* sender's roster name */
    uint64_t       origin_seq;
    char           country[3];     /* "DE"; "" when nothing says */
    Jad__Report   *report;         /* the decoded report */
    char           error[224];     /* read: why it did not decode; "" if it did */
} jad_entry_t;

/* The fields of a stored Entry and of the Envelope inside it that the
 * post-operation tools use, found by walking the protobuf wire format in
 * place (jad_wire_peek): no allocation, no copy; the pointers are into the
 * bytes given. */
typedef struct {
    int64_t        received_ms;    /* Entry.received_ms, 0 when absent */
    int            has_event_time; /* Envelope.event_time_ms present */
    int64_t        event_time_ms;
    const uint8_t *origin;         /* Envelope.origin, not NUL-terminated */
    size_t         origin_len;
    uint64_t       origin_seq;
    const uint8_t *incarnation;    /* Envelope.incarnation as sent (any
                                      length), NULL when absent */
    size_t         incarnation_len;
    const uint8_t *report;         /* Envelope.report: a packed Report */
    size_t         report_len;
} jad_entry_peel_t;

/* Peel the entry BUF[0..LEN) down to its report bytes.  Checks the wire
 * structure (every field known, of its declared wire type, inside the
 * buffer, given once; sizes within JAD_FRAME_MAX / JAD_ENVELOPE_MAX /
 * JAD_REPORT_MAX; an origin without NUL of at most JAD_JOURNAL_ORIGIN_MAX
 * bytes; an envelope and a report present); the report itself is for
 * jad_wire_report_decode.  0, or -1 with "entry: ..." or "envelope: ..."
 * in ERR.  Thread-safe. */
int jad_entry_peel (const uint8_t *buf, size_t len, jad_entry_peel_t *out,
                    char *err, size_t errlen)
    __attribute__((warn_unused_result));

struct _jad_history_t;

/* The time a peeled entry counts at: its envelope's event time, or the
 * hub's receipt time when the envelope carries none. */
int64_t jad_entry_time (const jad_entry_peel_t *peel);

/* What every reader makes of a peeled entry SEQ whose report is R: its
 * origin as a string into ORIGIN (JAD_JOURNAL_ORIGIN_MAX + 1 bytes), the
 * country it counts for into COUNTRY (3 bytes; the one rule,
 * jad_history_country, against HISTORY), and — returned — the time it
 * counts at: the envelope's event time, or the hub's receipt time when the
 * envelope carries none.  jad-report, jad-export, jad-replay, the console
 * and the agent's inbox all place an entry through here. */
int64_t jad_entry_resolve (const jad_entry_peel_t *peel, const Jad__Report *r,
                           const struct _jad_history_t *history, uint64_t seq,
                           char *origin, char *country);

/* Open the journal of DIR read-only: DIR/journal (a hub's data directory),
 * DIR/mirror (an agent's), or DIR itself when it holds an LMDB journal;
 * and read the rosters recorded in it.  NULL with a one-line reason in ERR
 * when DIR is missing, unreadable, holds no journal or a foreign one.
 * Caller owns the result. */
jad_entry_reader_t *jad_entry_reader_new (const char *dir,
                                          char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Close the journal and free the rosters; safe on NULL; nulls *SELF_P. */
void jad_entry_reader_destroy (jad_entry_reader_t **self_p);

/* The journal (owned by the reader), for jad_journal_scan and friends. */
jad_journal_t *jad_entry_reader_journal (jad_entry_reader_t *self);

/* Read rosters recorded since the last call (a hub that is still running
 * records new ones as the operator edits its roster).  0 or -1. */
int jad_entry_reader_refresh (jad_entry_reader_t *self);

/* The last recorded roster's canonical text, NUL-terminated, or NULL when
 * the journal records none.  Valid until the next refresh. */
const char *jad_entry_reader_roster_text (jad_entry_reader_t *self);

/* The rosters recorded in the journal (owned by the reader), for who an
 * origin was at an entry (jad_history_origin, jad_history_signer).  Valid
 * while the reader lives; it changes at each refresh. */
const jad_history_t *jad_entry_reader_history (jad_entry_reader_t *self);

/* Decode entry SEQ (its stored bytes BUF[0..LEN)) into *OUT, which the
 * caller later clears with jad_entry_clear.  0, or -1 with "what: reason"
 * in ERR (and *OUT cleared) when the entry, its envelope or its report does
 * not decode. */
int jad_entry_decode (jad_entry_reader_t *self, uint64_t seq,
                      const uint8_t *buf, size_t len, jad_entry_t *out,
                      char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Decode up to MAX entries from FROM_SEQ into OUT[0..), in one short read
 * transaction (so the caller may take its time over them: nothing stays
 * pinned).  An entry that does not decode is returned too, with its
 * hub_seq, report NULL and the reason in ->error.  Returns the number
 * filled (0 at the head), or -1 when the journal cannot be read.  Clear
 * each with jad_entry_clear. */
long jad_entry_reader_read (jad_entry_reader_t *self, uint64_t from_seq,
                            jad_entry_t *out, size_t max);

/* Free what jad_entry_decode put in ENTRY and zero it; safe on a zeroed
 * entry. */
void jad_entry_clear (jad_entry_t *entry);

/* Write S as a JSON string (with its quotes) to F: for origin names and
 * other text taken from a journal, which is not trusted to be clean. */
void jad_entry_json_string (FILE *f, const char *s);

/* Entry E (decoded: E->report set) as one JSON line without its newline:
 * the report in the intake format (report_json.h) with the country the
 * entry counts for and its event time; with META, followed by "hub_seq",
 * "origin", "origin_seq" and "received" — what jad-replay prints and
 * jad-export --meta writes, one way for both.  Caller frees; NULL when the
 * report does not format (jad_report_validate refuses it) or memory runs
 * out. */
char *jad_entry_json (const jad_entry_t *e, int meta);

#endif
