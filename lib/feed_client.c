/*  feed_client: a participant's side of the hub's feed.  See
 *  include/jad/feed_client.h for the contract.
 */
#include "jad/feed_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <czmq.h>

#include "jad/client.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

#define S_DRAIN_MAX  2000       /* messages per socket per drain */

/* A live entry held while a catch-up is in flight. */
typedef struct {
    uint64_t seq;
    uint8_t *buf;
    size_t   len;
} s_held_t;

struct _jad_feed_client_t {
    jad_feed_client_handlers_t on;  /* the owner's callbacks */
    void       *arg;
    const char *role;               /* for logs */
    uint32_t    credit;
    /* sockets (none in a detached client) */
    zsock_t    *dealer;             /* to the hub's collector */
    zsock_t    *sub;                /* to its feed */
    zpoller_t  *poller;
    char       *hub_endpoint;       /* dialled again by s_redial */
    char       *feed_endpoint;
    int         blocked;            /* a send was refused since the drain */
    /* the hub */
    int64_t     heard;              /* mono ms of its last DEALER message */
    int         connected;          /* as last logged */
    int64_t     redial_due;
    int64_t     redial_ms;
    int64_t     heartbeat_due;
    uint8_t     op_id[JAD_ID_BYTES];
    int         op_state;           /* 0 unknown, 1 taken, -1 refused */
    uint64_t    hub_head;           /* its head as last heard */
    /* the feed */
    uint64_t    head;               /* last entry delivered */
    int         welcomed;           /* the SUB's first message came */
    int         need_catchup;
    int         inflight;           /* a catch-up answer is expected */
    int64_t     catchup_sent;
    int64_t     catchup_heard;      /* the last part of its answer came */
    uint64_t    seen_top;           /* highest entry seen since it was sent */
    uint64_t    catchup_from;       /* ... the first entry it asked for */
    uint64_t    answer_top;         /* ... the highest entry of its answer */
    int         rewound;            /* ... the owner rewound meanwhile */
    uint64_t    dropped;            /* entries of its answer past a gap */
    uint64_t    dropped_first;      /* ... the first of them */
    uint64_t    dropped_head;       /* ... our head when it came */
    int         stalled;            /* the hub says it has more and sends
                                       none of it (logged once) */
    int64_t     hold_until;         /* no catch-up before (after a rewind,
                                       or an answer that brought nothing) */
    int         caught_up;
    s_held_t   *held;               /* live entries held during a catch-up */
    size_t      n_held, held_max;
};

/* ------------------------------------------------------------ sending */

int
jad_feed_client_send (jad_feed_client_t *self, const uint8_t *buf, size_t len)
{
    int rc;
    if (!buf)
        return -1;
    if (self->dealer)
        rc = zmq_send (zsock_resolve (self->dealer), buf, len, ZMQ_DONTWAIT) < 0
           ? -1 : 0;
    else
        rc = self->on.send ? self->on.send (self->arg, buf, len) : -1;
    if (rc != 0)
        self->blocked = 1;
    return rc;
}

/* Send BUF (a builder's, freed here).  Build it in a statement of its
 * own: in s_send_built (self, build (&len), len) the LEN argument may be
 * read before the builder sets it (C leaves the order of the arguments'
 * evaluation open). */
static int
s_send_built (jad_feed_client_t *self, uint8_t *buf, size_t len)
{
    int rc = jad_feed_client_send (self, buf, len);
    free (buf);
    return rc;
}

int
jad_feed_client_blocked (const jad_feed_client_t *self)
{
    return self->blocked;
}

/* ------------------------------------------------------------ the feed */

static int
s_feed_on (const jad_feed_client_t *self)
{
    return self->op_state == 1;
}

/* Deliver entry SEQ if it is the next one; a later one is a gap. */
static void
s_offer (jad_feed_client_t *self, uint64_t seq, const uint8_t *buf,
         size_t len, int live)
{
    if (seq <= self->head)
        return;
    if (seq > self->head + 1) {
        if (live) {
            if (!self->need_catchup && !self->inflight)
                jad_log_info ("%s: gap before entry %" PRIu64 " (head %"
                              PRIu64 "), catching up", self->role, seq,
                              self->head);
            self->need_catchup = 1;
            self->caught_up = 0;
        }
        else
        if (self->dropped++ == 0) {
            /* The rest of an answer overtaken by the owner's rewind (or
             * an answer out of order): counted, said once at its end. */
            self->dropped_first = seq;
            self->dropped_head = self->head;
        }
        return;
    }
    if (self->on.entry (self->arg, seq, buf, len, live) == 0)
        self->head = seq;
    else {
        self->need_catchup = 1;
        self->caught_up = 0;
    }
}

static void
s_hold (jad_feed_client_t *self, uint64_t seq, const uint8_t *buf, size_t len)
{
    /* Past the bound the entry is dropped: a later catch-up fetches it. */
    if (seq <= self->head || self->n_held == self->held_max)
        return;
    uint8_t *copy = malloc (len ? len : 1);
    if (!copy)
        return;
    memcpy (copy, buf, len);
    self->held[self->n_held++] = (s_held_t) { seq, copy, len };
}

static void
s_drop_held (jad_feed_client_t *self)
{
    for (size_t i = 0; i < self->n_held; i++)
        free (self->held[i].buf);
    self->n_held = 0;
}

static void
s_on_entry (jad_feed_client_t *self, const uint8_t *buf, size_t len,
            int live, int64_t now)
{
    /* Its number, read in place: the owner decodes what it keeps. */
    char err[256] = "";
    jad_wire_view_t view;
    uint64_t seq = 0;
    if (jad_wire_peek (&jad__entry__descriptor, buf, len, &view,
                       err, sizeof err) == 0
    &&  jad_wire_has (&view, JAD_WIRE_ENTRY_HUB_SEQ))
        seq = view.field[JAD_WIRE_ENTRY_HUB_SEQ].value;
    else
    if (!err[0])
        snprintf (err, sizeof err, "Entry.hub_seq: missing");
    if (seq == 0) {
        jad_log_warn ("%s: %s entry dropped: %s", self->role,
                      live ? "feed" : "catch-up", err[0] ? err : "hub_seq 0");
        return;
    }
    if (!live) {
        self->catchup_heard = now;
        if (seq > self->answer_top)
            self->answer_top = seq;
    }
    if (seq > self->hub_head)
        self->hub_head = seq;
    if (seq > self->seen_top)
        self->seen_top = seq;
    if (live && self->inflight)
        s_hold (self, seq, buf, len);   /* applied when the answer ends */
    else
        s_offer (self, seq, buf, len, live);
}

/* Say once what an answer's entries past a gap were: the rest of an
 * answer the owner's rewind overtook (its own failure, which it logs), or
 * entries the hub sent out of order. */
static void
s_dropped_report (jad_feed_client_t *self)
{
    if (self->dropped == 0)
        return;
    if (self->rewound)
        jad_log_info ("%s: %" PRIu64 " entries of a catch-up answer dropped "
                      "(from %" PRIu64 "): we could not keep entry %" PRIu64
                      " and catch up again from it", self->role, self->dropped,
                      self->dropped_first, self->head + 1);
    else
        jad_log_warn ("%s: the hub's catch-up answer sent entry %" PRIu64
                      " after %" PRIu64 ": %" PRIu64 " entries out of order "
                      "dropped", self->role, self->dropped_first,
                      self->dropped_head, self->dropped);
    self->dropped = 0;
}

static void
s_on_catchup_end (jad_feed_client_t *self, uint64_t head, int more,
                  int64_t now)
{
    s_dropped_report (self);
    self->inflight = 0;
    self->catchup_heard = now;
    if (more) {
        if (head > self->hub_head)
            self->hub_head = head;
        self->need_catchup = 1;
        if (self->answer_top >= self->catchup_from || self->rewound) {
            if (self->stalled)
                jad_log_notice ("%s: the hub serves its entries again", self->role);
            self->stalled = 0;
            return;
        }
        /* More, and none of it: the hub cannot serve entry FROM now (a
         * damaged journal: it logs which).  Asking again at once would
         * make a loop of empty answers. */
        if (!self->stalled)
            jad_log_warn ("%s: the hub has entries past %" PRIu64 " but sent "
                          "none of them; asking again every %d s", self->role,
                          self->head, JAD_FEED_CLIENT_STALL_MS / 1000);
        self->stalled = 1;
        if (self->hold_until < now + JAD_FEED_CLIENT_STALL_MS)
            self->hold_until = now + JAD_FEED_CLIENT_STALL_MS;
        return;
    }
    if (self->stalled)
        jad_log_notice ("%s: the hub serves its entries again", self->role);
    self->stalled = 0;
    /* The answer reached the server's head: with the entries seen since
     * it was asked for (the feed's, held or dropped), that is its head
     * now, even below what was heard before it (a replay started again, a
     * hub restored) — asking for more than it has would go on for ever.
     * The held entries are applied; the feed's heartbeats move the head
     * on, and a gap among them asks again. */
    self->hub_head = head > self->seen_top ? head : self->seen_top;
    for (size_t i = 0; i < self->n_held; i++)
        s_offer (self, self->held[i].seq, self->held[i].buf,
                 self->held[i].len, 1);
    s_drop_held (self);
    if (self->hub_head > self->head)
        self->need_catchup = 1;
    else
        self->caught_up = 1;
}

static void
s_on_operation (jad_feed_client_t *self, const uint8_t *op_id)
{
    if (self->op_state != 0 && memcmp (op_id, self->op_id, JAD_ID_BYTES) == 0)
        return;
    int was = self->op_state;
    memcpy (self->op_id, op_id, JAD_ID_BYTES);
    self->op_state = !self->on.operation
                  || self->on.operation (self->arg, op_id) == 0 ? 1 : -1;
    if (was == 1 && self->op_state != 1)
        jad_log_error ("%s: the hub changed its operation id: the feed stops",
                       self->role);
}

/* A hub heartbeat.  Only the feed's say that the last entry may have been
 * lost: they travel behind the entries on the same connection, while the
 * answer to ours on the DEALER may overtake entries still on their way. */
static void
s_on_heartbeat (jad_feed_client_t *self, const jad_heartbeat_t *hb,
                int from_feed)
{
    if (hb->operation_id)
        s_on_operation (self, hb->operation_id);
    if (self->on.heartbeat)
        self->on.heartbeat (self->arg, hb, from_feed);
    if (hb->has_head && from_feed) {
        if (hb->head_seq > self->hub_head)
            self->hub_head = hb->head_seq;
        /* The last live entry may have been lost: the head says so. */
        if (hb->head_seq > self->head && !self->inflight) {
            self->need_catchup = 1;
            self->caught_up = 0;
        }
    }
}

void
jad_feed_client_input (jad_feed_client_t *self, const uint8_t *buf, size_t len,
                       int from_feed, int64_t now)
{
    if (from_feed && !self->welcomed) {
        /* The subscription is live: what is missing is fetched now. */
        self->welcomed = 1;
        self->need_catchup = 1;
    }
    if (!from_feed) {
        if (self->heard && now - self->heard >= JAD_FEED_CLIENT_SILENT_MS) {
            /* Back after a silence: the connection may be new, and what was
             * in flight lost with the old one.  (The first message heard
             * is no comeback: it may be the first entry of the answer to a
             * catch-up asked once the feed said the operation.) */
            if (self->inflight) {
                self->inflight = 0;
                self->need_catchup = 1;
            }
            if (self->on.reconnected)
                self->on.reconnected (self->arg);
        }
        self->heard = now;
        if (!self->connected) {
            self->connected = 1;
            jad_log_notice ("%s: hub connected", self->role);
        }
    }
    if (len == 0)
        return;                 /* the welcome may be empty */
    char err[256];
    jad_frame_t f;
    jad_err_t code = jad_frame_decode (buf, len, &f, err, sizeof err);
    if (code != JAD_OK) {
        jad_log_warn ("%s: the hub sent a frame that does not decode (%s): %s",
                      self->role, jad_err_name (code), err);
        jad_frame_clear (&f);
        return;
    }
    switch (f.kind) {
    case JAD_FRAME_ENTRY:
        if (s_feed_on (self))
            s_on_entry (self, f.bytes, f.len, from_feed, now);
        break;
    case JAD_FRAME_CATCHUP_END:
        if (!from_feed && s_feed_on (self))
            s_on_catchup_end (self, f.catchup_end.head_seq,
                              f.catchup_end.more, now);
        break;
    case JAD_FRAME_HEARTBEAT:
        s_on_heartbeat (self, &f.heartbeat, from_feed);
        break;
    case JAD_FRAME_CHECKPOINT:
        if (!from_feed)
            self->catchup_heard = now;
        if (s_feed_on (self) && self->on.checkpoint)
            self->on.checkpoint (self->arg, f.bytes, f.len);
        break;
    case JAD_FRAME_ROSTER:
        if (!from_feed)
            self->catchup_heard = now;
        if (s_feed_on (self) && self->on.roster)
            self->on.roster (self->arg, f.bytes, f.len);
        break;
    case JAD_FRAME_PARTICIPANTS:
        if (self->on.participants)
            self->on.participants (self->arg, &f);
        break;
    case JAD_FRAME_ACK:
    case JAD_FRAME_ERROR:
        if (!from_feed && self->on.answer)
            self->on.answer (self->arg, &f);
        break;
    default:
        jad_log_warn ("%s: the hub sent an unexpected %s frame", self->role,
                      jad_frame_kind_name (f.kind));
        break;
    }
    jad_frame_clear (&f);
}

/* ------------------------------------------------------------ timers */

static void
s_heartbeat (jad_feed_client_t *self, int64_t now)
{
    jad_heartbeat_t hb = {
        .has_head = 1, .head_seq = self->head,
        .has_time = 1, .time_ms = jad_time_now_ms ()
    };
    if (self->on.health) {
        hb.has_health = 1;
        self->on.health (self->arg, &hb.health);
    }
    size_t len = 0;
    uint8_t *frame = jad_frame_heartbeat (&hb, &len);
    int sent = s_send_built (self, frame, len) == 0;
    /* Not connected: try again soon. */
    self->heartbeat_due = now + (sent ? JAD_FEED_CLIENT_HEARTBEAT_MS : 100);
}

static void
s_catchup_tick (jad_feed_client_t *self, int64_t now)
{
    /* Not before the hub said its operation: what a catch-up brings is
     * checked against it. */
    if (!self->welcomed || !s_feed_on (self))
        return;
    /* Unanswered: nothing of the answer for a while.  On a slow link one
     * answer takes longer than that to arrive whole; asking again then
     * would only queue a second copy behind the first. */
    int64_t heard = self->catchup_heard > self->catchup_sent
                  ? self->catchup_heard : self->catchup_sent;
    if (self->inflight && now - heard >= JAD_FEED_CLIENT_CATCHUP_MS) {
        jad_log_warn ("%s: catch-up from %" PRIu64 " unanswered for %d s, "
                      "asking again", self->role, self->head + 1,
                      JAD_FEED_CLIENT_CATCHUP_MS / 1000);
        self->inflight = 0;
        self->need_catchup = 1;
    }
    if (!self->need_catchup || self->inflight || now < self->hold_until
    ||  self->blocked)
        return;
    size_t len = 0;
    uint8_t *frame = jad_frame_catchup (self->head + 1, self->credit, &len);
    if (s_send_built (self, frame, len) == 0) {
        jad_log_debug ("%s: catch-up from %" PRIu64, self->role, self->head + 1);
        s_dropped_report (self);        /* an answer whose end was lost */
        self->catchup_from = self->head + 1;
        self->answer_top = 0;
        self->rewound = 0;
        self->seen_top = 0;
        self->inflight = 1;
        self->catchup_sent = now;
        self->need_catchup = 0;
    }
}

/* libzmq never reconnects a session the hub refused at the handshake:
 * dial a silent hub again from scratch.  Nothing is lost by it (the owner
 * resends, the feed catches up). */
static void
s_redial (jad_feed_client_t *self, int64_t now)
{
    /* A revoked key is refused for ever: ask less and less often. */
    self->redial_due = now + self->redial_ms;
    self->redial_ms = self->redial_ms * 2 > JAD_FEED_CLIENT_REDIAL_MAX
                    ? JAD_FEED_CLIENT_REDIAL_MAX : self->redial_ms * 2;
    if (!self->dealer)
        return;
    jad_log_notice ("%s: hub silent: dialling %s and %s again", self->role,
                    self->hub_endpoint, self->feed_endpoint);
    zsock_disconnect (self->dealer, "%s", self->hub_endpoint);
    zsock_disconnect (self->sub, "%s", self->feed_endpoint);
    if (zsock_connect (self->dealer, "%s", self->hub_endpoint) != 0
    ||  zsock_connect (self->sub, "%s", self->feed_endpoint) != 0)
        jad_log_error ("%s: cannot dial the hub again: %s", self->role,
                       zmq_strerror (zmq_errno ()));
}

void
jad_feed_client_tick (jad_feed_client_t *self, int64_t now)
{
    int connected = jad_feed_client_connected (self, now);
    if (self->connected && !connected) {
        self->connected = 0;
        jad_log_warn ("%s: hub silent for %d s", self->role,
                      JAD_FEED_CLIENT_SILENT_MS / 1000);
    }
    if (connected) {
        self->redial_ms = JAD_FEED_CLIENT_REDIAL_MS;
        self->redial_due = now + self->redial_ms;
    }
    else
    if (now >= self->redial_due)
        s_redial (self, now);
    if (now >= self->heartbeat_due)
        s_heartbeat (self, now);
    s_catchup_tick (self, now);
}

void
jad_feed_client_rewind (jad_feed_client_t *self, uint64_t head,
                        int64_t hold_until)
{
    self->head = head;
    self->need_catchup = 1;
    self->caught_up = 0;
    self->hold_until = hold_until;
    if (self->inflight)
        self->rewound = 1;      /* the rest of its answer is dropped */
    s_drop_held (self);         /* fetched again by the next catch-up */
}

/* ------------------------------------------------------------ sockets */

int
jad_feed_client_wait (jad_feed_client_t *self, int timeout_ms)
{
    if (!self->poller)
        return 0;
    void *which = zpoller_wait (self->poller, timeout_ms);
    if (!which && (zpoller_terminated (self->poller) || zsys_interrupted))
        return -1;
    return which != NULL;
}

/* Read up to S_DRAIN_MAX single-part messages from SOCK; a multi-part
 * message is not ours and is dropped whole. */
static void
s_drain (jad_feed_client_t *self, zsock_t *sock, int64_t now)
{
    void *raw = zsock_resolve (sock);
    for (int n = 0; n < S_DRAIN_MAX; n++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, raw, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        int more = zmq_msg_more (&msg);
        if (!more)
            jad_feed_client_input (self, zmq_msg_data (&msg), zmq_msg_size (&msg),
                                   sock == self->sub, now);
        else
            jad_log_warn ("%s: multi-part message dropped", self->role);
        zmq_msg_close (&msg);
        while (more) {
            zmq_msg_init (&msg);
            more = zmq_msg_recv (&msg, raw, ZMQ_DONTWAIT) >= 0 && zmq_msg_more (&msg);
            zmq_msg_close (&msg);
        }
    }
}

void
jad_feed_client_drain (jad_feed_client_t *self, int64_t now)
{
    self->blocked = 0;
    if (!self->dealer)
        return;
    s_drain (self, self->dealer, now);
    s_drain (self, self->sub, now);
}

/* ------------------------------------------------------------ lifecycle */

jad_feed_client_t *
jad_feed_client_new (const jad_feed_client_config_t *config,
                     const jad_feed_client_handlers_t *handlers, void *arg,
                     char *err, size_t errlen)
{
    jad_feed_client_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->on = *handlers;
    self->arg = arg;
    self->role = config->role ? config->role : "feed";
    self->credit = config->credit ? config->credit : JAD_FEED_CLIENT_CREDIT;
    self->held_max = config->held_max ? config->held_max : JAD_FEED_CLIENT_HELD;
    self->head = config->head;
    self->hub_head = config->head;      /* the hub has at least this */
    self->redial_ms = JAD_FEED_CLIENT_REDIAL_MS;
    self->redial_due = jad_time_mono_ms () + self->redial_ms;
    self->held = calloc (self->held_max, sizeof *self->held);
    if (!self->held || !handlers->entry) {
        snprintf (err, errlen, self->held ? "feed client: no entry handler"
                                          : "out of memory");
        goto fail;
    }
    if (!config->hub_endpoint)
        return self;                    /* driven by jad_feed_client_input */
    self->hub_endpoint = strdup (config->hub_endpoint);
    self->feed_endpoint = strdup (config->feed_endpoint);
    self->dealer = zsock_new (ZMQ_DEALER);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->hub_endpoint || !self->feed_endpoint || !self->dealer || !self->sub) {
        snprintf (err, errlen, "cannot create sockets");
        goto fail;
    }
    /* Only a connected hub takes messages, so a send never queues for a
     * peer that is not there (resends cover what was lost). */
    zsock_set_immediate (self->dealer, 1);
    zsock_set_sndhwm (self->dealer, 4 * (int) self->credit);
    zsock_set_rcvhwm (self->dealer, 10 * (int) self->credit);
    zsock_set_rcvhwm (self->sub, config->rcvhwm ? config->rcvhwm : 20000);
    zsock_set_subscribe (self->sub, "");    /* no filters: they make gaps */
    if (jad_client_connect (self->dealer, config->keys, config->hub_public,
                            config->hub_endpoint, config->linger_ms, err, errlen)
    ||  jad_client_connect (self->sub, config->keys, config->hub_public,
                            config->feed_endpoint, config->linger_ms, err, errlen))
        goto fail;
    self->poller = zpoller_new (self->dealer, self->sub, NULL);
    if (!self->poller) {
        snprintf (err, errlen, "cannot create the poller");
        goto fail;
    }
    return self;
fail:
    jad_feed_client_destroy (&self);
    return NULL;
}

void
jad_feed_client_destroy (jad_feed_client_t **self_p)
{
    jad_feed_client_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    if (self->held)
        s_drop_held (self);
    free (self->held);
    free (self->hub_endpoint);
    free (self->feed_endpoint);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ state */

uint64_t
jad_feed_client_head (const jad_feed_client_t *self)
{
    return self->head;
}

uint64_t
jad_feed_client_hub_head (const jad_feed_client_t *self)
{
    return self->hub_head > self->head ? self->hub_head : self->head;
}

int
jad_feed_client_caught_up (const jad_feed_client_t *self)
{
    return self->caught_up;
}

int
jad_feed_client_connected (const jad_feed_client_t *self, int64_t now)
{
    return self->heard && now - self->heard < JAD_FEED_CLIENT_SILENT_MS;
}

int64_t
jad_feed_client_heard (const jad_feed_client_t *self)
{
    return self->heard;
}

const uint8_t *
jad_feed_client_operation (const jad_feed_client_t *self)
{
    return self->op_state == 1 ? self->op_id : NULL;
}
