/*  window: the agent's reports in flight — what was sent and not yet
 *  answered, when each is due again, and how long to wait (jad-agent only).
 *
 *  The rules (docs/PROTOCOL.md §6, "Agent → hub"):
 *    - at most JAD_WINDOW_MAX reports unanswered; they are sent first in
 *      origin_seq order, so the table stays sorted;
 *    - a report is resent when its timer runs out.  The first wait is the
 *      measured round trip, as TCP measures it (RFC 6298: srtt + 4 rttvar,
 *      from acks of reports sent once — Karn), never under 2 s; every
 *      timeout doubles that report's wait up to 30 s, and until a report
 *      sent once is acked again new reports start from the backed-off wait;
 *    - one connection delivers in order and the hub answers in order, so
 *      an answer to a report shows that every earlier one still unanswered
 *      (or its answer) was lost: those are due at once, without backing
 *      off (a loss seen from acks says nothing about a slow round trip);
 *    - when the hub is heard again after a silence, everything in flight
 *      is due at once with a fresh wait;
 *    - UNAVAILABLE ("retry later") backs that report off like a timeout.
 *
 *  Pure state, no I/O: times are the caller's monotonic ms.  Threads: one.
 */
#ifndef JAD_AGENT_WINDOW_H
#define JAD_AGENT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define JAD_WINDOW_MAX        1000    /* reports unanswered at most */
#define JAD_WINDOW_RTO_MIN    2000    /* ms: the shortest wait */
#define JAD_WINDOW_RTO_MAX    30000   /* ms: the longest */

typedef struct _jad_window_t jad_window_t;

/* A new, empty window; NULL when memory runs out. */
jad_window_t *jad_window_new (void);
void jad_window_destroy (jad_window_t **self_p);

/* Reports unanswered, and room for more (JAD_WINDOW_MAX - inflight). */
size_t jad_window_inflight (const jad_window_t *self);
size_t jad_window_room (const jad_window_t *self);

/* Report SEQ sent for the first time at NOW (SEQ above every earlier
 * one).  0, or -1 when the window is full (API misuse). */
int jad_window_sent (jad_window_t *self, uint64_t seq, int64_t now);

/* The hub answered SEQ (acked or refused for good) at NOW: take a round
 * trip sample when it was sent once, make the earlier unanswered ones due
 * now, and close it.  A SEQ not in flight changes nothing.  1 when it was
 * in flight, else 0. */
int jad_window_answered (jad_window_t *self, uint64_t seq, int64_t now);

/* The hub said UNAVAILABLE for SEQ: wait longer before resending it. */
void jad_window_unavailable (jad_window_t *self, uint64_t seq, int64_t now);

/* SEQ is no longer in the outbox (acked or refused meanwhile): close it
 * without a sample. */
void jad_window_forget (jad_window_t *self, uint64_t seq);

/* The hub is heard again after a silence: everything in flight is due at
 * NOW with a fresh wait. */
void jad_window_reset (jad_window_t *self, int64_t now);

/* The first report due at NOW from SEQ on (in origin_seq order): 1 with
 * *SEQ_P, or 0 when none is. */
int jad_window_next_due (const jad_window_t *self, uint64_t from, int64_t now,
                         uint64_t *seq_p);

/* SEQ was sent again at NOW: its next wait (doubled after a timeout,
 * unchanged after a loss seen from acks). */
void jad_window_resent (jad_window_t *self, uint64_t seq, int64_t now);

/* The wait a report sent now gets (ms), and the smoothed round trip (0
 * before the first sample). */
int64_t jad_window_rto (const jad_window_t *self);
int64_t jad_window_srtt (const jad_window_t *self);

#endif
