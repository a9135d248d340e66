/*  feed_server: the serving side of the jadhub protocol — admission,
 *  the live feed, heartbeats and catch-up — for jad-hub and for
 *  jad-replay --publish alike.
 *
 *  It binds an XPUB (the feed) and, optionally, a ROUTER (the collector:
 *  heartbeats, catch-up, submits), both CURVE servers admitted by a ZAP
 *  handler that knows exactly the roster's active keys (lib/zap.c).  Every
 *  ROUTER message is checked against the roster in force when it arrives
 *  (a revoked key is refused from its next message on), decoded
 *  (lib/frame.c), and then:
 *
 *    HEARTBEAT  the peer's health is kept (clamped: shown, never trusted)
 *               and answered with the server's heartbeat;
 *    CATCHUP    queued (a few per peer) and served by jad_feed_server_serve;
 *    SUBMIT     handed to the owner's on_submit (the hub journals it), or
 *               refused UNAVAILABLE when there is none (a replay journals
 *               nothing);
 *    other      refused MALFORMED ("not something a participant sends").
 *
 *  What it serves comes from the journal it reads (entries, checkpoints,
 *  recorded rosters) up to a head the owner sets: the hub's journal head,
 *  or how far a replay has played.  docs/PROTOCOL.md §6 describes the
 *  feed as this module implements it:
 *
 *    - once a second, a heartbeat {head, time, epoch, operation_id} on the
 *      feed; silent peers (5 s) are logged once;
 *    - a new subscriber's first message is an empty heartbeat (the XPUB
 *      welcome): its subscription is live, it may catch up;
 *    - a catch-up from F with credit C is answered with the recorded
 *      rosters that govern F..L (the one in force at F and every later one
 *      up to L, or up to head + 1 when L reaches the head), the entries
 *      F..L (L = F + min(C, 1000) - 1, at most the head), the checkpoints
 *      of F..L, then CatchupEnd{L, more = L < head} — rosters first, so a
 *      reader knows who is who before it reads the entries they govern;
 *    - no entry that fails its own hash is served: each is sent only when
 *      it reads as an Entry numbered its key, its prev_hash is the hash
 *      of the entry before it, and the next entry's prev_hash is its hash
 *      (the journal's last entry: the hash of its bytes as published, or
 *      as read at the start).  An answer ends before a damaged or
 *      unreadable entry (and before the entry next to a broken link) with
 *      CatchupEnd{last sent, more}; logged once per entry, naming it and
 *      `jad-journal repair`;
 *    - side records are published live as they fall due: a roster when the
 *      head reaches its effective_seq - 1, before the entry it governs; a
 *      checkpoint when the head reaches it, after the entry; and when a
 *      new subscription arrives (once a second at most), the roster in
 *      force again.  So
 *      a subscriber that never catches up (a plain SUB, or one that joined
 *      a replay before it played) still receives every record it needs, in
 *      the order a reader needs them.
 *
 *  Memory: bounded by the queues (a few catch-ups per peer, libzmq's
 *  high-water marks) and one entry per peer heard.  Threads: the server
 *  belongs to the thread that polls it; the ZAP handler runs in its own.
 */
#ifndef JAD_FEED_SERVER_H
#define JAD_FEED_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <czmq.h>

#include "jad/err.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/roster.h"

struct _jad_keys_t;
typedef struct _jad_feed_server_t jad_feed_server_t;

#define JAD_FEED_CATCHUP_MAX  1000   /* entries in one catch-up answer */
#define JAD_FEED_SILENT_MS    5000   /* a peer unheard this long is silent */
#define JAD_FEED_TICK_MS      1000   /* heartbeat interval */

/* A participant the server has heard from, by CURVE key. */
typedef struct {
    char         key[41];           /* Z85 public key (ZAP User-Id) */
    char         name[65];          /* its roster name when last heard */
    int64_t      last_seen_mono;    /* jad_time_mono_ms of its last message */
    int64_t      last_seen_wall;    /* the same, wall clock */
    int          silent;            /* logged as silent since */
    int          has_health;        /* it sent a heartbeat with health */
    jad_health_t health;            /* as it says, clamped: mirror_seq to
                                       the head, the others below 2^53 */
    uint64_t     reports;           /* the owner's count (the hub: reports
                                       journaled from it since start) */
    int          catchups;          /* its requests waiting to be served */
} jad_feed_peer_t;

/* A submit from participant WHO (the roster's line for its key now; its
 * state PEER), carried in FRAME (kind JAD_FRAME_SUBMIT: FRAME->bytes is
 * the Envelope).  *ROUTE_P addresses the answer: take it (set *ROUTE_P to
 * NULL) to answer later with jad_feed_server_reply, or leave it and the
 * server frees it.  Return 0 to go on reading, 1 to stop this turn (the
 * owner's batch is full). */
typedef int (jad_feed_submit_fn) (void *arg, const jad_participant_t *who,
                                  jad_feed_peer_t *peer,
                                  const jad_frame_t *frame,
                                  zframe_t **route_p);

typedef struct {
    const struct _jad_keys_t *keys; /* the server's key pair (with secret);
                                       not owned, outlives the server */
    const char    *publish;         /* the feed's (XPUB) endpoint */
    const char    *listen;          /* the collector's (ROUTER), or NULL */
    jad_journal_t *journal;         /* read for catch-up and records; not
                                       owned; the owner may write it */
    const uint8_t *operation_id;    /* JAD_ID_BYTES, copied */
    uint32_t       epoch;
    uint64_t       head;            /* entries served so far (see set_head) */
    jad_feed_submit_fn *on_submit;  /* NULL: submits refused UNAVAILABLE */
    void          *arg;             /* for on_submit */
    const char    *no_submit_reason;/* UNAVAILABLE's message without it */
} jad_feed_server_config_t;

/* Start the ZAP handler admitting ROSTER's active keys (ROSTER is not
 * copied: it must stay alive until the next jad_feed_server_set_roster or
 * the server's end), then bind the sockets.  Records due at the initial
 * head count as published (a subscriber gets them by catch-up).  NULL
 * with a reason in ERR.  Caller owns the result. */
jad_feed_server_t *jad_feed_server_new (const jad_feed_server_config_t *config,
                                        const jad_roster_t *roster,
                                        char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Close the sockets, stop the ZAP handler; safe on NULL; nulls *SELF_P. */
void jad_feed_server_destroy (jad_feed_server_t **self_p);

/* A new roster in force (same lifetime rule as at _new): its active keys
 * are admitted from now on, and the others refused from their next
 * message.  REVOKED: someone lost access, so the feed is bound again and
 * every subscriber passes ZAP afresh (ZAP runs only at the handshake).
 * 0, or -1 when the ZAP handler could not be told (logged). */
int jad_feed_server_set_roster (jad_feed_server_t *self,
                                const jad_roster_t *roster, int revoked);

/* Wait up to TIMEOUT_MS for traffic (not at all when catch-ups wait) and
 * handle what came: subscriptions, then up to JAD_FEED_DRAIN ROUTER
 * messages (fewer when on_submit asks to stop); the heartbeat when its
 * second is up. */
#define JAD_FEED_DRAIN  1000
void jad_feed_server_poll (jad_feed_server_t *self, int timeout_ms);

/* Serve a slice of the queued catch-ups (a few requests, each one answer
 * of at most JAD_FEED_CATCHUP_MAX entries), so live traffic keeps flowing.
 * 1 when requests still wait, else 0. */
int jad_feed_server_serve (jad_feed_server_t *self);

/* Publish entry SEQ (its stored bytes, BUF[0..LEN)) on the feed and make
 * SEQ the head: rosters due before it go first, checkpoints due at it
 * after.  A slow subscriber may lose it and catch up. */
void jad_feed_server_publish_entry (jad_feed_server_t *self, uint64_t seq,
                                    const uint8_t *buf, size_t len);

/* Make HEAD the head without publishing an entry (a replay skipping an
 * entry its filters leave out, or going back to its start) and publish
 * the records now due. */
void jad_feed_server_set_head (jad_feed_server_t *self, uint64_t head);
uint64_t jad_feed_server_head (const jad_feed_server_t *self);

/* Look for side records stored since the last look (the owner recorded a
 * checkpoint or a roster) and publish those due.  Also done every tick. */
void jad_feed_server_sync (jad_feed_server_t *self);

/* Publish an owner's frame (the hub's Participants relay) on the feed. */
void jad_feed_server_publish (jad_feed_server_t *self, const uint8_t *frame,
                              size_t len);

/* Answer on the ROUTER: FRAME[0..LEN) to *ROUTE_P, which is freed and
 * nulled.  A full or vanished peer loses it (it resends).  0 or -1. */
int jad_feed_server_reply (jad_feed_server_t *self, zframe_t **route_p,
                           const uint8_t *frame, size_t len);

/* An ErrorReply {CODE, MESSAGE, IDENT (NULL: none)} to *ROUTE_P, freed
 * and nulled. */
void jad_feed_server_error (jad_feed_server_t *self, zframe_t **route_p,
                            jad_err_t code, const char *message,
                            const jad_ident_t *ident);

/* The state of the peer whose CURVE key is KEY (Z85), NULL when it was
 * never heard since the start. */
jad_feed_peer_t *jad_feed_server_peer (jad_feed_server_t *self, const char *key);

/* Subscribe messages seen on the feed since the start (a replay waits for
 * its first subscriber). */
uint64_t jad_feed_server_subscriptions (const jad_feed_server_t *self);

#endif
