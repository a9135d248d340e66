/*  history: the rosters an operation went through, and which one governs
 *  each entry — the one answer to "who was this origin at hub_seq N".
 *
 *  The hub records every roster it applies (record.h), effective from a
 *  hub_seq on; the roster governing entry N is the one with the greatest
 *  effective_seq <= N (docs/PROTOCOL.md §9).  A history holds any number
 *  of them — no fixed limit, nothing dropped — so every reader (jad-report,
 *  jad-export, jad-replay, jad-verify, the console, the agent's inbox) puts
 *  an entry in the same country and checks it against the same roster.
 *
 *  The country of an entry is its report's, else its origin's:
 *  jad_history_country says how it is found, once for everyone; who may
 *  sign an entry, jad_history_signer.
 *
 *  Cost: a lookup is a binary search over the rosters plus a roster's
 *  linear name lookup (tens of participants).  Memory: one parsed roster
 *  and its text per record.
 *
 *  Threads: a history belongs to one thread; lookups only read, so a
 *  history that no longer changes may be read from many (jad-report's
 *  decoding pool does).
 */
#ifndef JAD_HISTORY_H
#define JAD_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "jad/journal.h"
#include "jad/roster.h"

typedef struct _jad_history_t jad_history_t;

/* A new, empty history; NULL when memory runs out.  Caller owns it. */
jad_history_t *jad_history_new (void);

/* Free it and every roster in it; safe on NULL; nulls *SELF_P. */
void jad_history_destroy (jad_history_t **self_p);

/* Take *ROSTER_P (nulled: the history owns it now) as governing entries
 * from EFFECTIVE_SEQ (>= 1) on, replacing a roster with the same
 * effective_seq.  jad-verify adds the --roster file this way, as
 * governing from 1 until a recorded roster says otherwise.  0, or -1 when
 * memory runs out or EFFECTIVE_SEQ is 0 (the roster is freed). */
int jad_history_add (jad_history_t *self, uint64_t effective_seq,
                     jad_roster_t **roster_p)
    __attribute__((warn_unused_result));

/* Add a RosterRecord (its bytes, as stored or received): it must decode,
 * its roster text parse, and, when EXPECT_SEQ is not 0, its effective_seq
 * be EXPECT_SEQ (the key it is stored under).  When VERIFY is set, it must
 * also be the operation OP_ID's and signed by the history's hub key
 * (jad_history_hub_key); an empty history with no hub key takes this
 * record's hub as the anchor first.  A record with an effective_seq
 * already held replaces that roster (a catch-up and the feed may both
 * bring one).  0, or -1 with "roster record at N: reason" in ERR (the
 * history unchanged). */
int jad_history_add_record (jad_history_t *self, const uint8_t *buf,
                            size_t len, uint64_t expect_seq, int verify,
                            const uint8_t *op_id, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* A record jad_history_load could not add: its key and why (the reason
 * alone, as jad_history_add_record writes it after "roster record at N:
 * ").  Return 0 to go on with the next record, nonzero to stop the load
 * (it then returns -1). */
typedef int (jad_history_bad_fn) (void *arg, uint64_t seq, const char *why);

/* Add every roster record JOURNAL holds past the last one loaded (a hub
 * that is still running records new ones: call again to follow it), as
 * jad_history_add_record with the record's key as EXPECT_SEQ.  A record
 * that cannot be added goes to ON_BAD (NULL: skipped), once: the next
 * load starts after it.  The number of records added, or -1 when the
 * journal cannot be read, memory runs out, or ON_BAD stopped it. */
long jad_history_load (jad_history_t *self, jad_journal_t *journal,
                       int verify, const uint8_t *op_id,
                       jad_history_bad_fn *on_bad, void *arg)
    __attribute__((warn_unused_result));

/* The hub's signing key (JAD_SIGN_PUBLIC_BYTES) that records are verified
 * against: set with jad_history_set_hub_key, else the hub of the first
 * roster added.  NULL while the history is empty and none was set. */
const uint8_t *jad_history_hub_key (const jad_history_t *self);
void jad_history_set_hub_key (jad_history_t *self, const uint8_t *key);

/* Rosters held, and the last effective_seq (0 when none). */
size_t   jad_history_size (const jad_history_t *self);
uint64_t jad_history_last_seq (const jad_history_t *self);

/* The roster governing entry SEQ (greatest effective_seq <= SEQ); NULL
 * when none does.  Valid until the history changes. */
const jad_roster_t *jad_history_at (const jad_history_t *self, uint64_t seq);

/* The roster with the greatest effective_seq, and its text as recorded
 * (NUL-terminated; canonical text for a roster added with
 * jad_history_add); NULL when empty. */
const jad_roster_t *jad_history_last (const jad_history_t *self);
const char *jad_history_last_text (const jad_history_t *self);

/* Who ORIGIN is at entry SEQ: its line in the roster governing SEQ; else,
 * when that roster does not name it (an entry older than every recorded
 * roster), in the nearest roster after SEQ that does, then the nearest
 * before.  NULL when no roster names it.  A participant's name, role and
 * country never change within an operation, so this is the answer for
 * every purpose but signing rights (jad_history_signer). */
const jad_participant_t *jad_history_origin (const jad_history_t *self,
                                             uint64_t seq, const char *origin);

/* The country entry SEQ from ORIGIN counts for, REPORT_COUNTRY being
 * what its report names (NULL when none): the one rule every reader
 * applies.  REPORT_COUNTRY when it is two upper-case letters; else
 * jad_history_origin's country; for an origin no roster names, CC of
 * "import-CC" (two upper-case letters: how `jad-journal import` names its
 * origins); else "" (a participant without a country, or unknown).
 * COUNTRY holds 3 bytes. */
void jad_history_country (const jad_history_t *self, uint64_t seq,
                          const char *origin, const char *report_country,
                          char *country);

/* The participant whose signature entry SEQ from ORIGIN must carry: named
 * by the roster governing SEQ, an agent or a coordinator, and not revoked
 * at SEQ (revoked_seq <= SEQ, or revoked with no sequence recorded).  NULL
 * otherwise, with the reason in ERR, as jad-verify prints it:
 *   origin "NAME" is not on the roster in force
 *   origin NAME is a ROLE, not an agent or coordinator
 *   origin NAME's key was revoked (from entry SEQ)
 * What a coordinator may send (requests and sitreps) is the caller's. */
const jad_participant_t *jad_history_signer (const jad_history_t *self,
                                             uint64_t seq, const char *origin,
                                             char *err, size_t errlen);

#endif
