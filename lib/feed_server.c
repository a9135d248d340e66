/*  feed_server: admission, the live feed, heartbeats and catch-up.  See
 *  include/jad/feed_server.h for the contract.
 */
#include "jad/feed_server.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/envelope.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "jad/zap.h"

#define S_CATCHUPS_PER_PEER  4      /* requests queued per peer at most */
#define S_SERVE_PER_TURN     4      /* requests answered per serve call */
#define S_FIGURE_MAX         (((uint64_t) 1 << 53) - 1)  /* JSON-exact */

/* A catch-up request waiting to be served. */
typedef struct {
    zframe_t        *route;         /* whom to answer */
    uint64_t         from_seq;      /* first entry wanted (>= 1) */
    uint32_t         credit;        /* entries it can take (<= MAX) */
    jad_feed_peer_t *peer;          /* whose: its count of waiting requests */
} s_catchup_t;

struct _jad_feed_server_t {
    const jad_keys_t *keys;         /* the server's (not owned) */
    char            *publish;       /* endpoints, copied */
    char            *listen;
    jad_journal_t   *journal;       /* read (not owned) */
    uint8_t          op_id[JAD_ID_BYTES];
    uint32_t         epoch;
    const jad_roster_t *roster;     /* in force (not owned) */
    jad_feed_submit_fn *on_submit;
    void            *arg;
    const char      *no_submit;     /* UNAVAILABLE's message */
    zactor_t        *zap;
    zsock_t         *pub;           /* NULL while being bound again */
    zsock_t         *router;        /* NULL without --listen */
    zpoller_t       *poller;
    zhashx_t        *peers;         /* Z85 key -> jad_feed_peer_t */
    zlistx_t        *catchups;      /* s_catchup_t, oldest first */
    uint64_t         head;          /* entries served up to here */
    uint64_t         tip_seq;       /* the last entry whose hash is known */
    uint8_t          tip_hash[JAD_JOURNAL_HASH_BYTES];  /* ... from its bytes
                                       as published (or read at the start):
                                       what vouches for the journal's last
                                       entry, which no next one does */
    uint64_t         damage_logged; /* the damaged entry last logged */
    uint64_t         roster_done;   /* rosters published up to this key */
    uint64_t         cp_done;       /* checkpoints published up to this key */
    uint64_t         roster_next;   /* next roster key not published; 0 none */
    uint64_t         cp_next;       /* next checkpoint key; 0 none */
    uint64_t         subscriptions; /* subscribe messages seen */
    uint64_t         subs_done;     /* ... when rosters were last resent */
    int64_t          subs_sent_mono;/* ... and at what time */
    int64_t          next_tick;     /* mono ms of the next heartbeat */
};

/* ------------------------------------------------------------ sending */

static void
s_publish (jad_feed_server_t *self, const uint8_t *buf, size_t len)
{
    if (!self->pub || !buf)
        return;     /* being bound again: subscribers repair the gap */
    /* No XPUB_NODROP: a slow subscriber loses frames and catches up; it
     * never stalls the others. */
    zmq_send (zsock_resolve (self->pub), buf, len, ZMQ_DONTWAIT);
}

/* Send BUF on the ROUTER to ROUTE (kept).  0, or -1 when the peer's pipe
 * is full or it is gone. */
static int
s_send (jad_feed_server_t *self, zframe_t *route, const uint8_t *buf, size_t len)
{
    if (!buf || !self->router)
        return -1;
    void *raw = zsock_resolve (self->router);
    if (zmq_send (raw, zframe_data (route), zframe_size (route),
                  ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send (raw, buf, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* Send a frame built by one of frame.h's builders (BUF, freed here),
 * built in a statement of its own (see lib/feed_client.c's). */
static int
s_send_built (jad_feed_server_t *self, zframe_t *route, uint8_t *buf, size_t len)
{
    int rc = s_send (self, route, buf, len);
    free (buf);
    return rc;
}

int
jad_feed_server_reply (jad_feed_server_t *self, zframe_t **route_p,
                       const uint8_t *frame, size_t len)
{
    int rc = *route_p ? s_send (self, *route_p, frame, len) : -1;
    zframe_destroy (route_p);
    return rc;
}

void
jad_feed_server_error (jad_feed_server_t *self, zframe_t **route_p,
                       jad_err_t code, const char *message,
                       const jad_ident_t *ident)
{
    size_t len = 0;
    uint8_t *buf = jad_frame_error (code, message, ident, &len);
    jad_feed_server_reply (self, route_p, buf, len);
    free (buf);
}

void
jad_feed_server_publish (jad_feed_server_t *self, const uint8_t *frame,
                         size_t len)
{
    s_publish (self, frame, len);
}

static uint8_t *
s_heartbeat (jad_feed_server_t *self, size_t *len_p)
{
    jad_heartbeat_t hb = {
        .has_head = 1, .head_seq = self->head,
        .has_time = 1, .time_ms = jad_time_now_ms (),
        .has_epoch = 1, .epoch = self->epoch,
        .operation_id = self->op_id
    };
    return jad_frame_heartbeat (&hb, len_p);
}

/* ------------------------------------------------------------ records */

/* The greatest key <= SEQ in the KIND records (0 when none, or when the
 * journal cannot say: then a little more is sent, never less). */
static uint64_t
s_floor (jad_feed_server_t *self, int kind, uint64_t seq)
{
    uint64_t key = 0;
    return jad_journal_record_floor (self->journal, kind, seq, &key) == 1 ? key : 0;
}

typedef struct {
    jad_feed_server_t *self;
    jad_frame_kind_t   kind;        /* JAD_FRAME_ROSTER or _CHECKPOINT */
    uint64_t           upto;        /* publish keys up to here */
    uint64_t           done;        /* out: last key published */
    uint64_t           next;        /* out: first key past UPTO; 0 none */
} s_due_t;

static int
s_due_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_due_t *due = arg;
    if (seq > due->upto) {
        due->next = seq;
        return 1;
    }
    size_t flen = 0;
    uint8_t *frame = jad_frame_bytes (due->kind, buf, len, &flen);
    s_publish (due->self, frame, flen);
    free (frame);
    due->done = seq;
    return 0;
}

/* Publish the records of KIND past *DONE_P up to UPTO; *NEXT_P the next
 * key beyond (0: none stored yet). */
static void
s_publish_due (jad_feed_server_t *self, int kind, jad_frame_kind_t fkind,
               uint64_t upto, uint64_t *done_p, uint64_t *next_p)
{
    s_due_t due = { self, fkind, upto, *done_p, 0 };
    if (jad_journal_record_scan (self->journal, kind, *done_p + 1, SIZE_MAX,
                                 s_due_fn, &due) < 0) {
        jad_log_error ("feed: cannot read the journal's %s",
                       kind == JAD_JOURNAL_ROSTERS ? "rosters" : "checkpoints");
        return;
    }
    *done_p = due.done;
    *next_p = due.next;
}

/* A roster governs entries from its key on: it is due once the entry
 * before is out (head + 1).  A checkpoint is due at its entry. */
static void
s_rosters_due (jad_feed_server_t *self, uint64_t upto)
{
    s_publish_due (self, JAD_JOURNAL_ROSTERS, JAD_FRAME_ROSTER, upto,
                   &self->roster_done, &self->roster_next);
}

static void
s_checkpoints_due (jad_feed_server_t *self, uint64_t upto)
{
    s_publish_due (self, JAD_JOURNAL_CHECKPOINTS, JAD_FRAME_CHECKPOINT, upto,
                   &self->cp_done, &self->cp_next);
}

void
jad_feed_server_sync (jad_feed_server_t *self)
{
    s_rosters_due (self, self->head + 1);
    s_checkpoints_due (self, self->head);
}

void
jad_feed_server_publish_entry (jad_feed_server_t *self, uint64_t seq,
                               const uint8_t *buf, size_t len)
{
    /* The bytes as journaled: what a catch-up that reaches this entry
     * while it is the journal's last checks the stored ones against. */
    crypto_generichash (self->tip_hash, sizeof self->tip_hash, buf, len,
                        NULL, 0);
    self->tip_seq = seq;
    /* Most entries have no record due: the cached next keys say so
     * without reading the journal. */
    if (self->roster_next && self->roster_next <= seq)
        s_rosters_due (self, seq);
    size_t flen = 0;
    uint8_t *frame = jad_frame_bytes (JAD_FRAME_ENTRY, buf, len, &flen);
    s_publish (self, frame, flen);
    free (frame);
    self->head = seq;
    if (self->cp_next && self->cp_next <= seq)
        s_checkpoints_due (self, seq);
}

void
jad_feed_server_set_head (jad_feed_server_t *self, uint64_t head)
{
    self->head = head;
    if (self->roster_next && self->roster_next <= head + 1)
        s_rosters_due (self, head + 1);
    if (self->cp_next && self->cp_next <= head)
        s_checkpoints_due (self, head);
}

uint64_t
jad_feed_server_head (const jad_feed_server_t *self)
{
    return self->head;
}

/* ------------------------------------------------------------ catch-up */

typedef struct {
    jad_feed_server_t *self;
    zframe_t          *route;
    jad_frame_kind_t   kind;
    uint64_t           upto;        /* last key to send */
    uint64_t           last;        /* last key sent */
    int                blocked;     /* the peer's pipe is full */
} s_serve_t;

static int
s_serve_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_serve_t *sv = arg;
    if (seq > sv->upto)
        return 1;
    size_t flen = 0;
    uint8_t *frame = jad_frame_bytes (sv->kind, buf, len, &flen);
    if (s_send_built (sv->self, sv->route, frame, flen) != 0) {
        sv->blocked = 1;
        return 1;
    }
    sv->last = seq;
    return 0;
}

/* The entries of one answer, each sent only once the entry after it has
 * vouched for it: an entry is served when it reads as an Entry numbered
 * its key, its prev_hash is the hash of the entry before it, and the next
 * entry's prev_hash is its own hash (for the journal's last entry, which
 * has no next one: the hash of its bytes as published, when known).  A
 * damaged entry breaks one of its two links, so it is never served —
 * neither is the one before it when the link between them is what broke,
 * since either may be the damaged one.  The cost: one hash per entry, and
 * one more entry read on either side of the range. */
typedef struct {
    jad_feed_server_t *self;
    zframe_t      *route;
    uint64_t       start;           /* first entry read: FROM - 1, or 1 */
    uint64_t       from, last;      /* the range to serve */
    uint64_t       sent;            /* last entry sent (FROM - 1: none) */
    uint64_t       seen;            /* last entry read (0: none yet) */
    uint8_t        hash[JAD_JOURNAL_HASH_BYTES];   /* BLAKE2b of entry SEEN */
    int            holding;         /* entry SEEN is held: checked so far,
                                       waiting for the next one's word */
    uint8_t       *held;            /* its bytes */
    size_t         held_len, held_cap;
    int            blocked;         /* the peer's pipe is full */
    uint64_t       bad;             /* the damaged entry found, 0 none */
    char           why[192];        /* ... what is wrong with it */
} s_entries_t;

/* Entry SEQ is damaged (WHY): serving ends before it, or before the held
 * entry it cannot vouch for.  Returns 1 (stop the scan). */
static int s_entries_bad (s_entries_t *en, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
s_entries_bad (s_entries_t *en, uint64_t seq, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (en->why, sizeof en->why, fmt, ap);
    va_end (ap);
    en->bad = seq;
    return 1;
}

/* Send the held entry, now vouched for.  0, or -1 when blocked. */
static int
s_entries_send (s_entries_t *en)
{
    size_t flen = 0;
    uint8_t *frame = jad_frame_bytes (JAD_FRAME_ENTRY, en->held, en->held_len,
                                      &flen);
    if (s_send_built (en->self, en->route, frame, flen) != 0) {
        en->blocked = 1;
        return -1;
    }
    en->sent = en->seen;
    en->holding = 0;
    return 0;
}

static int
s_entries_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_entries_t *en = arg;
    uint64_t expected = en->seen ? en->seen + 1 : en->start;
    if (seq != expected)
        return s_entries_bad (en, expected, "is missing");
    if (seq >= en->from) {
        /* Its own shape, and its link to the entry before it. */
        char err[128] = "";
        jad_wire_view_t view;
        if (jad_wire_peek (&jad__entry__descriptor, buf, len, &view,
                           err, sizeof err) != 0)
            return s_entries_bad (en, seq, "does not decode: %s", err);
        if (!jad_wire_has (&view, JAD_WIRE_ENTRY_HUB_SEQ)
        ||  view.field[JAD_WIRE_ENTRY_HUB_SEQ].value != seq
        ||  !jad_wire_has (&view, JAD_WIRE_ENTRY_ENVELOPE))
            return s_entries_bad (en, seq, "is not an Entry numbered %" PRIu64
                                  " with an envelope", seq);
        int has_prev = jad_wire_has (&view, JAD_WIRE_ENTRY_PREV_HASH);
        size_t prev_len = has_prev ? view.field[JAD_WIRE_ENTRY_PREV_HASH].value : 0;
        if (seq == 1 ? prev_len != 0
                     : prev_len != JAD_JOURNAL_HASH_BYTES
                       || sodium_memcmp (view.field[JAD_WIRE_ENTRY_PREV_HASH].data,
                                         en->hash, JAD_JOURNAL_HASH_BYTES) != 0) {
            if (en->holding)
                return s_entries_bad (en, seq - 1, "does not hash to the "
                                      "prev_hash of entry %" PRIu64 " (one of "
                                      "the two is damaged)", seq);
            return s_entries_bad (en, seq, "has a prev_hash that is not the "
                                  "hash of entry %" PRIu64, seq - 1);
        }
        if (en->holding && s_entries_send (en) != 0)
            return 1;
    }
    en->seen = seq;
    crypto_generichash (en->hash, sizeof en->hash, buf, len, NULL, 0);
    if (seq < en->from)
        return 0;                   /* the one before: its hash only */
    if (seq > en->last)
        return 1;                   /* the one after: it has vouched */
    if (len > en->held_cap) {
        uint8_t *grown = realloc (en->held, len);
        if (!grown)
            return s_entries_bad (en, seq, "cannot be held (out of memory)");
        en->held = grown;
        en->held_cap = len;
    }
    memcpy (en->held, buf, len);
    en->held_len = len;
    en->holding = 1;
    return 0;
}

/* jad_journal_walk's visit: a present entry goes to s_entries_fn; a
 * missing or unreadable one ends the answer there (the one after LAST may
 * simply not exist yet: the head). */
static int
s_walk_fn (void *arg, uint64_t seq, int state, const uint8_t *buf, size_t len,
           int lmdb_rc)
{
    s_entries_t *en = arg;
    if (state == JAD_JOURNAL_PRESENT)
        return s_entries_fn (en, seq, buf, len);
    if (seq > en->last)
        return 1;
    if (state == JAD_JOURNAL_UNREADABLE)
        return s_entries_bad (en, seq, "cannot be read (%s)",
                              mdb_strerror (lmdb_rc));
    return s_entries_bad (en, seq, "is missing");
}

/* Serve entries FROM..LAST on ROUTE (see s_entries_t); on damage, log it
 * once per entry.  Returns the last entry sent (FROM - 1: none);
 * *BLOCKED_P when the peer's pipe filled. */
static uint64_t
s_serve_entries (jad_feed_server_t *self, zframe_t *route, uint64_t from,
                 uint64_t last, int *blocked_p)
{
    s_entries_t en = { .self = self, .route = route,
                       .start = from > 1 ? from - 1 : 1, .from = from,
                       .last = last, .sent = from - 1 };
    /* Key by key, each from the root: a cursor stepping from entry to
     * entry onto a damaged page makes LMDB 0.9 assert (the store's hook
     * then stops the hub), where a read by key reports the page and the
     * answer ends before it. */
    long visited = jad_journal_walk (self->journal, en.start, last + 1,
                                     (size_t) (last - en.start + 2),
                                     s_walk_fn, &en);
    if (!en.bad && !en.blocked) {
        uint64_t next = en.seen ? en.seen + 1 : en.start;
        if (visited < 0)
            s_entries_bad (&en, next, "cannot be read (LMDB failed)");
        else
        if (en.seen < last)
            s_entries_bad (&en, next, "is missing (the journal ends at %"
                           PRIu64 ")", en.seen);
        else
        if (en.holding && self->tip_seq == last
        &&  sodium_memcmp (self->tip_hash, en.hash, JAD_JOURNAL_HASH_BYTES) != 0)
            s_entries_bad (&en, last, "is not the entry published as %"
                           PRIu64, last);
        else
        if (en.holding)
            s_entries_send (&en);   /* the journal's last, as published */
    }
    if (en.bad && en.bad != self->damage_logged) {
        /* Once per damaged entry: every requester asks again, and again. */
        self->damage_logged = en.bad;
        jad_log_error ("catch-up: entry %" PRIu64 " of journal %s %s: no entry "
                       "from %" PRIu64 " on is served; run `jad-journal repair "
                       "--data %s`", en.bad, jad_journal_path (self->journal),
                       en.why, en.sent + 1, jad_journal_path (self->journal));
    }
    free (en.held);
    *blocked_p = en.blocked;
    return en.sent;
}

/* Answer one request (see the header for what and in which order). */
static void
s_answer (jad_feed_server_t *self, const s_catchup_t *c)
{
    uint64_t from = c->from_seq, head = self->head;
    uint64_t last = from - 1;
    if (from <= head)
        last = head - from + 1 > c->credit ? from + c->credit - 1 : head;
    int reached = last >= head;
    /* Rosters: the one in force at FROM, and every later one up to LAST
     * (to head + 1 at the head: the roster the next entry will be under). */
    s_serve_t sv = { self, c->route, JAD_FRAME_ROSTER,
                     reached ? head + 1 : last, 0, 0 };
    if (jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS,
                                 s_floor (self, JAD_JOURNAL_ROSTERS, from),
                                 SIZE_MAX, s_serve_fn, &sv) < 0)
        jad_log_error ("catch-up: cannot read the recorded rosters");
    uint64_t sent = from - 1;
    if (!sv.blocked && from <= last) {
        sent = s_serve_entries (self, c->route, from, last, &sv.blocked);
        if (!sv.blocked && sent >= from) {
            sv.kind = JAD_FRAME_CHECKPOINT;
            sv.upto = sent;
            if (jad_journal_record_scan (self->journal, JAD_JOURNAL_CHECKPOINTS,
                                         from, SIZE_MAX, s_serve_fn, &sv) < 0)
                jad_log_error ("catch-up: cannot read the checkpoints");
        }
    }
    /* The end says how far it got (never past the head: a requester that
     * claims more than the head gets the head); a blocked answer ends
     * short and the requester asks again; so does one that met a damaged
     * entry — with `more`, and no entry when it was the first: the
     * requester holds off before it asks again (feed_client.h). */
    if (sent > head)
        sent = head;
    size_t flen = 0;
    uint8_t *frame = jad_frame_catchup_end (sent, sent < head, &flen);
    s_send_built (self, c->route, frame, flen);
}

int
jad_feed_server_serve (jad_feed_server_t *self)
{
    for (int n = 0; n < S_SERVE_PER_TURN; n++) {
        s_catchup_t *c = zlistx_first (self->catchups);
        if (!c)
            break;
        /* Asked before a revocation: not answered after it. */
        if (jad_roster_find_key (self->roster, c->peer->key))
            s_answer (self, c);
        c->peer->catchups--;
        zlistx_delete (self->catchups, zlistx_cursor (self->catchups));
    }
    return zlistx_size (self->catchups) > 0;
}

/* ------------------------------------------------------------ receiving */

static jad_feed_peer_t *
s_peer (jad_feed_server_t *self, const char *key, const jad_participant_t *who)
{
    jad_feed_peer_t *peer = zhashx_lookup (self->peers, key);
    if (!peer) {
        peer = calloc (1, sizeof *peer);
        if (!peer)
            return NULL;
        snprintf (peer->key, sizeof peer->key, "%s", key);
        zhashx_insert (self->peers, key, peer);
        jad_log_notice ("participant %s (%s) connected", who->name,
                        jad_roster_role_name (who->role));
    }
    else
    if (peer->silent)
        jad_log_notice ("participant %s heard again", who->name);
    snprintf (peer->name, sizeof peer->name, "%s", who->name);
    peer->last_seen_mono = jad_time_mono_ms ();
    peer->last_seen_wall = jad_time_now_ms ();
    peer->silent = 0;
    return peer;
}

static void
s_on_heartbeat (jad_feed_server_t *self, jad_feed_peer_t *peer,
                const jad_heartbeat_t *hb, zframe_t *route)
{
    if (peer && hb->has_health) {
        /* Shown, never trusted: kept where every JSON reader is exact. */
        const jad_health_t *h = &hb->health;
        peer->has_health = 1;
        peer->health.mirror_seq = h->mirror_seq <= self->head ? h->mirror_seq
                                                              : self->head;
        peer->health.outbox_depth = h->outbox_depth <= S_FIGURE_MAX
                                  ? h->outbox_depth : 0;
        peer->health.last_acked = h->last_acked <= S_FIGURE_MAX
                                ? h->last_acked : 0;
    }
    size_t len = 0;
    uint8_t *frame = s_heartbeat (self, &len);
    s_send_built (self, route, frame, len);
}

static void
s_on_catchup (jad_feed_server_t *self, jad_feed_peer_t *peer,
              const jad_frame_t *f, zframe_t **route_p)
{
    /* A few per participant at most: a flood of requests must not grow
     * memory (an honest peer asks again when it hears nothing). */
    if (!peer || peer->catchups >= S_CATCHUPS_PER_PEER)
        return;
    s_catchup_t *c = calloc (1, sizeof *c);
    if (!c)
        return;
    c->route = *route_p;
    *route_p = NULL;
    c->from_seq = f->catchup.from_seq ? f->catchup.from_seq : 1;
    c->credit = f->catchup.credit && f->catchup.credit < JAD_FEED_CATCHUP_MAX
              ? f->catchup.credit : JAD_FEED_CATCHUP_MAX;
    c->peer = peer;
    peer->catchups++;
    zlistx_add_end (self->catchups, c);
}

/* One ROUTER message: ROUTE then BODY.  Identify the sender by its CURVE
 * key, check the roster now (revocation), decode, dispatch.  1 when the
 * owner asked to stop reading. */
static int
s_on_message (jad_feed_server_t *self, zframe_t **route_p, zframe_t *body)
{
    const char *key = zframe_meta (body, "User-Id");
    const jad_participant_t *who = key && self->roster
                                 ? jad_roster_find_key (self->roster, key) : NULL;
    const uint8_t *data = zframe_data (body);
    size_t size = zframe_size (body);
    jad_ident_t ident;
    char err[512];
    int stop = 0;
    if (!who) {
        jad_log_warn ("refused a message: key %s is not on the roster",
                      key ? key : "(none)");
        jad_frame_submit_ident (data, size, &ident);
        jad_feed_server_error (self, route_p, JAD_EFORBIDDEN,
                               "key not on the roster", &ident);
        return 0;
    }
    jad_feed_peer_t *peer = s_peer (self, key, who);
    jad_frame_t f;
    jad_err_t code = jad_frame_decode (data, size, &f, err, sizeof err);
    if (code != JAD_OK) {
        /* Name the report when one can be read: its sender must be able
         * to match the refusal, or it resends for ever. */
        jad_log_warn ("bad frame from %s: %s", who->name, err);
        jad_frame_submit_ident (data, size, &ident);
        jad_feed_server_error (self, route_p, code, err, &ident);
        jad_frame_clear (&f);
        return 0;
    }
    switch (f.kind) {
    case JAD_FRAME_SUBMIT:
        if (self->on_submit && peer)
            stop = self->on_submit (self->arg, who, peer, &f, route_p);
        else {
            jad_envelope_ident (f.bytes, f.len, &ident);
            jad_feed_server_error (self, route_p, JAD_EUNAVAILABLE,
                                   self->no_submit ? self->no_submit
                                   : "this server journals nothing", &ident);
        }
        break;
    case JAD_FRAME_CATCHUP:
        s_on_catchup (self, peer, &f, route_p);
        break;
    case JAD_FRAME_HEARTBEAT:
        s_on_heartbeat (self, peer, &f.heartbeat, *route_p);
        break;
    default:
        jad_feed_server_error (self, route_p, JAD_EMALFORMED,
                               "Frame.body: not something a participant sends",
                               NULL);
        break;
    }
    jad_frame_clear (&f);
    return stop;
}

/* Read up to JAD_FEED_DRAIN messages from the ROUTER without blocking. */
static void
s_drain_router (jad_feed_server_t *self)
{
    for (int n = 0; n < JAD_FEED_DRAIN; n++) {
        if (!(zsock_events (self->router) & ZMQ_POLLIN))
            break;
        zframe_t *route = zframe_recv (self->router);
        if (!route)
            break;
        zframe_t *body = zframe_more (route) ? zframe_recv (self->router) : NULL;
        /* More than one body part is not our protocol: drop all of it. */
        int extra = 0;
        while (body && zsock_rcvmore (self->router)) {
            zframe_t *junk = zframe_recv (self->router);
            extra = 1;
            if (!junk)
                break;
            zframe_destroy (&junk);
        }
        int stop = body && !extra ? s_on_message (self, &route, body) : 0;
        zframe_destroy (&route);
        zframe_destroy (&body);
        if (stop)
            break;
    }
}

static void
s_drain_subscriptions (jad_feed_server_t *self)
{
    while (self->pub && (zsock_events (self->pub) & ZMQ_POLLIN)) {
        zframe_t *sub = zframe_recv (self->pub);
        if (sub && zframe_size (sub) >= 1 && zframe_data (sub)[0] == 1)
            self->subscriptions++;
        zframe_destroy (&sub);
    }
}

/* ------------------------------------------------------------ sockets */

static int
s_rebuild_poller (jad_feed_server_t *self)
{
    zpoller_destroy (&self->poller);
    self->poller = self->pub ? zpoller_new (self->pub, NULL)
                             : zpoller_new (self->router, NULL);
    if (self->poller && self->pub && self->router)
        zpoller_add (self->poller, self->router);
    return self->poller ? 0 : -1;
}

/* (Re)bind the feed, in up to ATTEMPTS tries 50 ms apart.  libzmq closes
 * a listener in its reaper thread, so right after a close the port may
 * still be taken: a rebind tries for up to 2 s, then once a tick — a port
 * that stays taken must not hold the loop (acks, catch-ups) every second. */
static void
s_bind_feed (jad_feed_server_t *self, int attempts)
{
    char err[512] = "";
    for (int attempt = 0; attempt < attempts && !self->pub; attempt++) {
        if (attempt)
            zclock_sleep (50);
        self->pub = jad_zap_server_socket (self->keys, ZMQ_XPUB, self->publish,
                                           err, sizeof err);
    }
    if (!self->pub)
        jad_log_error ("feed socket: %s; retrying", err);
    else
        jad_log_notice ("feed socket bound again: subscribers reconnect "
                        "through ZAP");
    s_rebuild_poller (self);
}

static int
s_admit (jad_feed_server_t *self)
{
    size_t n = jad_roster_size (self->roster), admitted = 0;
    const char **keys = calloc (n ? n : 1, sizeof *keys);
    if (!keys)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const jad_participant_t *p = jad_roster_at (self->roster, i);
        if (!p->revoked)
            keys[admitted++] = p->public_key;
    }
    int rc = jad_zap_set_keys (self->zap, keys, admitted);
    free (keys);
    return rc;
}

int
jad_feed_server_set_roster (jad_feed_server_t *self, const jad_roster_t *roster,
                            int revoked)
{
    self->roster = roster;
    int rc = s_admit (self);
    if (rc != 0)
        jad_log_error ("cannot update the ZAP handler's keys");
    if (revoked) {
        zsock_destroy (&self->pub);
        s_bind_feed (self, 40);
    }
    return rc;
}

/* ------------------------------------------------------------ lifecycle */

static void
s_peer_free (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_catchup_free (void **item)
{
    s_catchup_t *c = *item;
    if (c) {
        zframe_destroy (&c->route);
        free (c);
    }
    *item = NULL;
}

jad_feed_server_t *
jad_feed_server_new (const jad_feed_server_config_t *config,
                     const jad_roster_t *roster, char *err, size_t errlen)
{
    jad_feed_server_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->keys = config->keys;
    self->publish = strdup (config->publish);
    self->listen = config->listen ? strdup (config->listen) : NULL;
    self->journal = config->journal;
    memcpy (self->op_id, config->operation_id, JAD_ID_BYTES);
    self->epoch = config->epoch;
    self->head = config->head;
    self->roster = roster;
    self->on_submit = config->on_submit;
    self->arg = config->arg;
    self->no_submit = config->no_submit_reason;
    self->peers = zhashx_new ();
    self->catchups = zlistx_new ();
    if (!self->publish || (config->listen && !self->listen) || !self->peers
    ||  !self->catchups) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    zhashx_set_destructor (self->peers, s_peer_free);
    zlistx_set_destructor (self->catchups, s_catchup_free);
    /* What is due at the start has been recorded before anyone could
     * subscribe: catch-up serves it. */
    /* The head's hash as the journal holds it at the start (the owner
     * checked the journal then): what vouches for the last entry. */
    if (self->head
    &&  jad_journal_hash (self->journal, self->head, self->tip_hash) == 1)
        self->tip_seq = self->head;
    self->roster_done = s_floor (self, JAD_JOURNAL_ROSTERS, self->head + 1);
    self->cp_done = s_floor (self, JAD_JOURNAL_CHECKPOINTS, self->head);
    jad_feed_server_sync (self);
    /* ZAP first: a CURVE server without a handler admits everyone. */
    self->zap = zactor_new (jad_zap_actor, NULL);
    if (!self->zap || s_admit (self) != 0) {
        snprintf (err, errlen, "cannot start the ZAP handler");
        goto fail;
    }
    if (self->listen) {
        self->router = jad_zap_server_socket (self->keys, ZMQ_ROUTER,
                                              self->listen, err, errlen);
        if (!self->router)
            goto fail;
    }
    self->pub = jad_zap_server_socket (self->keys, ZMQ_XPUB, self->publish,
                                       err, errlen);
    if (!self->pub || s_rebuild_poller (self) != 0)
        goto fail;
    self->next_tick = jad_time_mono_ms ();
    return self;
fail:
    jad_feed_server_destroy (&self);
    return NULL;
}

void
jad_feed_server_destroy (jad_feed_server_t **self_p)
{
    jad_feed_server_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
    zactor_destroy (&self->zap);
    zlistx_destroy (&self->catchups);
    zhashx_destroy (&self->peers);
    free (self->publish);
    free (self->listen);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ the loop */

/* Someone subscribed: send the roster in force (and any later one due)
 * again, so a subscriber that never catches up — a plain SUB, or one that
 * joined a replay before it played — knows who is who before the entries
 * it governs.  Once a second at most (the rest waits for the tick):
 * subscribing again and again must not make the feed carry rosters to
 * everyone at the subscriber's pace. */
static void
s_welcome_rosters (jad_feed_server_t *self, int64_t now)
{
    if (self->subscriptions == self->subs_done
    ||  now - self->subs_sent_mono < JAD_FEED_TICK_MS)
        return;
    self->subs_done = self->subscriptions;
    self->subs_sent_mono = now;
    uint64_t from = s_floor (self, JAD_JOURNAL_ROSTERS, self->head + 1);
    if (from) {
        uint64_t done = from - 1, next = 0;
        s_publish_due (self, JAD_JOURNAL_ROSTERS, JAD_FRAME_ROSTER,
                       self->head + 1, &done, &next);
    }
}

/* Once a second: the heartbeat on the feed, silent peers, new records. */
static void
s_tick (jad_feed_server_t *self, int64_t now)
{
    if (!self->pub)
        s_bind_feed (self, 1);
    size_t len = 0;
    uint8_t *hb = s_heartbeat (self, &len);
    s_publish (self, hb, len);
    free (hb);
    for (jad_feed_peer_t *peer = zhashx_first (self->peers); peer;
         peer = zhashx_next (self->peers))
        if (!peer->silent && now - peer->last_seen_mono > JAD_FEED_SILENT_MS) {
            peer->silent = 1;
            jad_log_warn ("participant %s silent for %d s", peer->name,
                          JAD_FEED_SILENT_MS / 1000);
        }
    jad_feed_server_sync (self);
    s_welcome_rosters (self, now);
}

void
jad_feed_server_poll (jad_feed_server_t *self, int timeout_ms)
{
    int64_t now = jad_time_mono_ms ();
    if (now >= self->next_tick) {
        s_tick (self, now);
        self->next_tick = now + JAD_FEED_TICK_MS;
    }
    int64_t until = self->next_tick - now;
    if (zlistx_size (self->catchups) || timeout_ms < 0)
        timeout_ms = 0;
    if (until < timeout_ms)
        timeout_ms = (int) (until > 0 ? until : 0);
    if (self->poller)
        zpoller_wait (self->poller, timeout_ms);
    s_drain_subscriptions (self);
    s_welcome_rosters (self, jad_time_mono_ms ());
    if (self->router)
        s_drain_router (self);
}

jad_feed_peer_t *
jad_feed_server_peer (jad_feed_server_t *self, const char *key)
{
    return zhashx_lookup (self->peers, key);
}

uint64_t
jad_feed_server_subscriptions (const jad_feed_server_t *self)
{
    return self->subscriptions;
}
