/*  ingest: the hub's intake of reports — check, verify, journal, answer.
 *
 *  The protocol's order (docs/PROTOCOL.md §6 "Agent → hub"): a submitted
 *  envelope is checked at once (opens, this operation, the sender's own
 *  origin and role, the report valid and the sender's to send, a
 *  correction's or acknowledgement's target journaled) and refused at once
 *  with the code that says why; a valid one waits for the turn's commit.
 *  jad_ingest_commit then verifies the waiting signatures on every core,
 *  journals the valid reports in one durable commit, and only then answers
 *  each (Ack, duplicate Ack, CONFLICT, BAD_SIGNATURE) and hands the new
 *  entries on for publication.
 *
 *  A failure of the hub's own — the journal, memory — is answered
 *  UNAVAILABLE ("retry later"), never with a code that is final for the
 *  report: the agent keeps it and resends.  So is a report whose dedupe
 *  record is damaged when the stored entry cannot settle it
 *  (JAD_JOURNAL_DAMAGED: CONFLICT is final only once the stored entry's
 *  bytes were compared, lib/journal.c).  Logged once, not per batch or per
 *  resend: a damaged dedupe record per key (with the repair command), and
 *  failing commits (a full disk) when they start failing and when they
 *  succeed again, with the number of batches that failed meanwhile.
 *
 *  No sockets: answers and new entries go to the owner's callbacks, with
 *  the route the owner gave with each submit (opaque here).  So the whole
 *  state machine runs in unit tests against a real journal.
 *
 *  Threads: the owner's thread; signatures are checked on the pool.
 */
#ifndef JAD_HUB_INGEST_H
#define JAD_HUB_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "jad/journal.h"
#include "jad/pool.h"
#include "jad/roster.h"

typedef struct _jad_ingest_t jad_ingest_t;

#define JAD_INGEST_BATCH  1000  /* reports waiting for one commit at most */

typedef struct {
    /* Send FRAME[0..LEN) (an Ack or an ErrorReply) on ROUTE, the route
     * given with the submit; the callee owns ROUTE from now on. */
    void (*answer) (void *arg, void *route, const uint8_t *frame, size_t len);
    /* Entry SEQ is journaled: its stored bytes ENTRY[0..LEN), from the
     * participant TAG given with the submit (for counting). */
    void (*journaled) (void *arg, uint64_t seq, const uint8_t *entry,
                       size_t len, void *tag);
    /* Free ROUTE unanswered (the ingest is destroyed with reports
     * waiting). */
    void (*drop) (void *arg, void *route);
} jad_ingest_handlers_t;

/* An intake journaling into JOURNAL (not owned; its metadata must hold
 * the operation) for operation OP_ID, checking against ROSTER (not owned,
 * see jad_ingest_set_roster), verifying on POOL (not owned).  NULL when
 * memory runs out.  Caller owns the result. */
jad_ingest_t *jad_ingest_new (jad_journal_t *journal, const uint8_t *op_id,
                              const jad_roster_t *roster, jad_pool_t *pool,
                              const jad_ingest_handlers_t *handlers, void *arg);

/* Drop the waiting reports (their routes to `drop`); safe on NULL; nulls
 * *SELF_P. */
void jad_ingest_destroy (jad_ingest_t **self_p);

/* The roster in force from now on (not copied: it must live until the
 * next call or the end). */
void jad_ingest_set_roster (jad_ingest_t *self, const jad_roster_t *roster);

/* An envelope ENV[0..LEN) submitted by WHO (its roster line now; a
 * revoked one is refused FORBIDDEN) on ROUTE, from participant TAG.
 * Refused at once (answered on ROUTE), or kept for the next commit (ROUTE
 * kept).  1 when the batch is now full (commit before the next submit),
 * else 0. */
int jad_ingest_submit (jad_ingest_t *self, const jad_participant_t *who,
                       void *tag, const uint8_t *env, size_t len, void *route);

/* Reports waiting for the commit. */
size_t jad_ingest_waiting (const jad_ingest_t *self);

/* Verify, journal, answer, hand on (see above).  Returns the number of
 * new entries journaled, or -1 when the journal failed (every waiting
 * report was answered UNAVAILABLE, and the error logged). */
long jad_ingest_commit (jad_ingest_t *self);

/* The journal's head as this intake knows it. */
uint64_t jad_ingest_head (const jad_ingest_t *self);

#endif
