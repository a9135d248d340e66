/*  feed_client: a participant's side of the hub's feed — for the agent's
 *  mirror and the console alike.
 *
 *  It dials the hub (a CURVE DEALER to its collector, a SUB to its feed),
 *  and delivers the hub's entries to its owner in order, each once, by
 *  callback — the Clone pattern of docs/PROTOCOL.md §6:
 *
 *    - the first message on the feed (the XPUB welcome) says the
 *      subscription is live; then, once the hub has said its operation
 *      (its heartbeat), the client asks for entries from head + 1
 *      (Frame{catchup}, credit JAD_FEED_CLIENT_CREDIT by default);
 *    - while a catch-up is in flight, live entries are held back (up to a
 *      bound; past it they are dropped and fetched again), and applied
 *      when the answer ends and the gap is closed;
 *    - a live entry past head + 1 is a gap: catch up again; a hub
 *      heartbeat whose head is past ours, too (the last entry was lost);
 *    - a catch-up is unanswered when nothing of its answer has arrived for
 *      5 s (a long answer on a slow link keeps arriving and is not asked
 *      again); then it is asked again;
 *    - an answer that ends with `more` but brought no entry of its range
 *      means the hub cannot serve the next entry now (a damaged journal,
 *      which the hub logs): the next catch-up waits 5 s
 *      (JAD_FEED_CLIENT_STALL_MS), whatever asks for it — a gap, a
 *      heartbeat — so a damaged hub is asked every 5 s, not in a loop;
 *      logged once, and once more when entries come again;
 *    - entries of an answer past a gap (the rest of an answer overtaken by
 *      the owner's rewind, or sent out of order) are dropped and counted:
 *      one line per answer, which says which of the two it was;
 *    - our heartbeat goes to the hub every second, with the owner's health;
 *      the hub is "connected" while heard within 5 s; silent for 30 s, it
 *      is dialled again from scratch, then after 60 s, 120 s ... up to 5
 *      minutes (libzmq never retries a handshake ZAP refused, and a key
 *      admitted later by a roster reload must get in without a restart).
 *
 *  Records (checkpoints, rosters), the Participants relay and answers to
 *  the owner's own frames (acks, errors) go to their callbacks as they
 *  come.  The owner sends its own frames (submits) on the same DEALER with
 *  jad_feed_client_send.
 *
 *  Time is the caller's (monotonic ms) so the state machine can be driven
 *  without sockets: with no endpoints, jad_feed_client_input feeds it
 *  messages and what it would send goes to the `send` callback.
 *
 *  Threads: a client belongs to one thread.
 */
#ifndef JAD_FEED_CLIENT_H
#define JAD_FEED_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "jad/frame.h"

struct _jad_keys_t;
typedef struct _jad_feed_client_t jad_feed_client_t;

#define JAD_FEED_CLIENT_CREDIT      1000    /* entries asked per catch-up */
#define JAD_FEED_CLIENT_HELD        10000   /* live entries held by default */
#define JAD_FEED_CLIENT_SILENT_MS   5000    /* the hub unheard: disconnected */
#define JAD_FEED_CLIENT_CATCHUP_MS  5000    /* nothing of an answer: ask again */
#define JAD_FEED_CLIENT_HEARTBEAT_MS 1000
#define JAD_FEED_CLIENT_REDIAL_MS   30000   /* silent this long: dial again */
#define JAD_FEED_CLIENT_REDIAL_MAX  300000  /* ... doubling up to this */
#define JAD_FEED_CLIENT_STALL_MS    5000    /* an answer with `more` and no
                                             * entry: ask again after this */

typedef struct {
    /* Entry SEQ, always head + 1, its bytes BUF[0..LEN) valid during the
     * call; LIVE: from the feed (else a catch-up answer).  Return 0 when
     * taken (the head becomes SEQ), -1 when not (the client asks for it
     * again when it next catches up). */
    int  (*entry) (void *arg, uint64_t seq, const uint8_t *buf, size_t len,
                   int live);
    /* A Checkpoint's or a RosterRecord's bytes, as the hub sent them. */
    void (*checkpoint) (void *arg, const uint8_t *buf, size_t len);
    void (*roster) (void *arg, const uint8_t *buf, size_t len);
    /* The hub's Participants relay (NULL: ignored). */
    void (*participants) (void *arg, const jad_frame_t *frame);
    /* An ACK or ERROR on the DEALER: the hub's answer to the owner. */
    void (*answer) (void *arg, const jad_frame_t *frame);
    /* The hub's operation id (JAD_ID_BYTES), from the first heartbeat that
     * carries one and again whenever it changes: 0 to go on, -1 when it is
     * not the owner's (the feed stops: no catch-up, no entries, no records;
     * heartbeats and answers go on).  NULL: every operation is taken. */
    int  (*operation) (void *arg, const uint8_t *operation_id);
    /* The owner's health for its heartbeats (NULL: they carry none). */
    void (*health) (void *arg, jad_health_t *out);
    /* The hub is heard after a silence (the connection may be new): what
     * was in flight may be lost.  NULL: nothing to do. */
    void (*reconnected) (void *arg);
    /* Without sockets only: where a frame the client sends goes.  0 sent,
     * -1 refused (as a full or unconnected DEALER). */
    int  (*send) (void *arg, const uint8_t *buf, size_t len);
    /* A hub heartbeat, from the feed (FROM_FEED) or the DEALER, before the
     * client acts on it: its head and time are the hub's word at that
     * time (NULL: not wanted). */
    void (*heartbeat) (void *arg, const jad_heartbeat_t *hb, int from_feed);
} jad_feed_client_handlers_t;

typedef struct {
    const struct _jad_keys_t *keys;     /* ours, with secret; not owned */
    const char *hub_public;             /* the hub's CURVE key, Z85 */
    const char *hub_endpoint;           /* its collector; NULL: no sockets */
    const char *feed_endpoint;          /* its feed */
    uint64_t    head;                   /* the owner has entries 1..head */
    uint32_t    credit;                 /* 0: JAD_FEED_CLIENT_CREDIT */
    size_t      held_max;               /* 0: JAD_FEED_CLIENT_HELD */
    int         rcvhwm;                 /* SUB high-water mark; 0: 20,000 */
    int         linger_ms;              /* at close */
    const char *role;                   /* for logs: "mirror", "console" */
} jad_feed_client_config_t;

/* Dial (unless there are no endpoints) and start from CONFIG->head.
 * HANDLERS is copied; ARG goes to every callback.  NULL with a reason in
 * ERR.  Caller owns the result. */
jad_feed_client_t *jad_feed_client_new (const jad_feed_client_config_t *config,
                                        const jad_feed_client_handlers_t *handlers,
                                        void *arg, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Close; safe on NULL; nulls *SELF_P. */
void jad_feed_client_destroy (jad_feed_client_t **self_p);

/* Wait up to TIMEOUT_MS for a message on either socket (returns at once
 * without sockets).  1 when something came, 0 on timeout, -1 when
 * interrupted (czmq's zsys_interrupted). */
int jad_feed_client_wait (jad_feed_client_t *self, int timeout_ms);

/* Read what is waiting on both sockets (up to a few thousand messages
 * each) and act on it, at NOW.  Also clears the "blocked" flag. */
void jad_feed_client_drain (jad_feed_client_t *self, int64_t now);

/* One message as if it came from the feed (FROM_FEED) or the DEALER: the
 * state machine's input, for the tests and for drain. */
void jad_feed_client_input (jad_feed_client_t *self, const uint8_t *buf,
                            size_t len, int from_feed, int64_t now);

/* Timers at NOW: our heartbeat, a catch-up to ask or ask again, silence,
 * redial. */
void jad_feed_client_tick (jad_feed_client_t *self, int64_t now);

/* Send the owner's frame BUF[0..LEN) on the DEALER without blocking.  0,
 * or -1 when the hub is not connected or the queue is full (then
 * jad_feed_client_blocked says so until the next drain). */
int jad_feed_client_send (jad_feed_client_t *self, const uint8_t *buf,
                          size_t len);
int jad_feed_client_blocked (const jad_feed_client_t *self);

/* The owner could not keep entries past HEAD (a failed commit): take
 * HEAD as the head and catch up from HEAD + 1, not before HOLD_UNTIL
 * (monotonic ms).  The rest of an answer in flight is dropped, and said
 * to be dropped for this, not for the hub's fault; why the owner could
 * not keep them is for the owner to log. */
void jad_feed_client_rewind (jad_feed_client_t *self, uint64_t head,
                             int64_t hold_until);

/* The last entry delivered; the hub's head as last heard (at least ours);
 * whether a catch-up has reached the hub's head since the last gap. */
uint64_t jad_feed_client_head (const jad_feed_client_t *self);
uint64_t jad_feed_client_hub_head (const jad_feed_client_t *self);
int      jad_feed_client_caught_up (const jad_feed_client_t *self);

/* Heard from the hub (on the DEALER) within JAD_FEED_CLIENT_SILENT_MS of
 * NOW; when it was last heard (0: never). */
int      jad_feed_client_connected (const jad_feed_client_t *self, int64_t now);
int64_t  jad_feed_client_heard (const jad_feed_client_t *self);

/* The hub's operation id (JAD_ID_BYTES) once a heartbeat said it and the
 * owner took it; NULL before. */
const uint8_t *jad_feed_client_operation (const jad_feed_client_t *self);

#endif
