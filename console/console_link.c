/*  console_link: entries for the console, from a live hub or a journal.
 *  See console_link.h.  The live half follows agent/agent.c (sockets,
 *  catch-up, heartbeats); the replay half reads like hub/jad_replay.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <czmq.h>
#include <sodium.h>

#include "jad/entry.h"
#include "jad/journal.h"
#include "jad/client.h"
#include "jad/keys.h"
#include "jad/report_json.h"
#include "jad/sign.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "console_link.h"

#define S_CREDIT          1000      /* entries per catch-up answer */
#define S_CATCHUP_TIMEOUT 5000      /* ms before asking again */
#define S_HEARTBEAT_MS    1000
#define S_SILENT_MS       5000      /* the hub is silent after this */
#define S_HELD_MAX        100000    /* live entries held during a catch-up */
#define S_BATCH_MAX       (S_CREDIT + 24)  /* entries of one catch-up answer */
#define S_CHUNK           2048      /* replay: entries per read transaction */
#define S_FOLLOW_MS       200       /* replay: how often to look at the head */

typedef struct {
    uint64_t seq;
    uint8_t *buf;
    size_t   len;
} s_held_t;

struct _jad_link_t {
    int          live;          /* 1 live hub, 0 replay */
    /* live */
    jad_keys_t  *keys;          /* our key pair */
    jad_keys_t  *hub_keys;      /* the hub's public key */
    zsock_t     *dealer, *sub;
    zpoller_t   *poller;
    int          welcomed;      /* the feed's first message came */
    int          need_catchup, catchup_inflight;
    int64_t      catchup_sent;
    int          caught_up;     /* a catch-up reached the head */
    s_held_t    *held;          /* live entries held during a catch-up */
    size_t       n_held;
    s_held_t    *batch;         /* the catch-up answer's entries: applied at
                                   its end, after the rosters it carries
                                   (they say which country an origin is) */
    size_t       n_batch;
    int64_t      heartbeat_due;
    int64_t      hub_heard;     /* mono ms of the hub's last message */
    uint8_t      op_id[16];     /* from the hub's heartbeat */
    int          has_op_id;
    uint8_t      incarnation[16];  /* this run's, for requests */
    uint64_t     origin_seq;    /* last request's */
    char         answer[256];   /* the hub's answer to the last request */
    uint8_t     *unanswered;    /* the last request's Envelope, until answered */
    size_t       unanswered_len;
    int64_t      resend_due;    /* mono ms of its next resend */
    int64_t      resend_ivl;    /* 2 s doubling to 30 s */
    /* replay */
    jad_journal_t *journal;
    double       speed;
    int64_t      pace_event, pace_wall;  /* first paced entry, when */
    int64_t      follow_due;
    uint64_t     last_roster;   /* last roster record key read */
    int          done;          /* the head was reached */
    /* both */
    uint64_t     hub_head;
    char         state[64];
    int          failed;        /* the model ran out of memory */
};

/* ------------------------------------------------------------ common */

void
jad_link_destroy (jad_link_t **self_p)
{
    jad_link_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    for (size_t i = 0; i < self->n_held; i++)
        free (self->held[i].buf);
    free (self->held);
    for (size_t i = 0; i < self->n_batch; i++)
        free (self->batch[i].buf);
    free (self->batch);
    jad_keys_destroy (&self->keys);
    jad_keys_destroy (&self->hub_keys);
    jad_journal_destroy (&self->journal);
    free (self->unanswered);
    free (self);
    *self_p = NULL;
}

const char *
jad_link_state (const jad_link_t *self)
{
    return self->state;
}

uint64_t
jad_link_hub_head (const jad_link_t *self)
{
    return self->hub_head;
}

int
jad_link_caught_up (const jad_link_t *self)
{
    return self->live ? self->caught_up : self->done;
}

const char *
jad_link_last_answer (const jad_link_t *self)
{
    return self->answer;
}

/* ------------------------------------------------------------ live */

jad_link_t *
jad_link_new_live (const char *hub, const char *feed, const char *key_file,
                   const char *hub_key_file, char *err, size_t errlen)
{
    jad_link_t *self = calloc (1, sizeof *self);
    char why[256];
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->live = 1;
    self->held = calloc (S_HELD_MAX, sizeof *self->held);
    self->batch = calloc (S_BATCH_MAX, sizeof *self->batch);
    self->keys = jad_keys_load (key_file, why, sizeof why);
    if (!self->keys) {
        snprintf (err, errlen, "--key %s: %s", key_file, why);
        goto fail;
    }
    if (!jad_keys_has_secret (self->keys)) {
        snprintf (err, errlen, "--key %s: not a secret key file", key_file);
        goto fail;
    }
    self->hub_keys = jad_keys_load (hub_key_file, why, sizeof why);
    if (!self->hub_keys) {
        snprintf (err, errlen, "--hub-key %s: %s", hub_key_file, why);
        goto fail;
    }
    self->dealer = zsock_new (ZMQ_DEALER);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->held || !self->batch || !self->dealer || !self->sub) {
        snprintf (err, errlen, "cannot create sockets");
        goto fail;
    }
    zsock_set_immediate (self->dealer, 1);
    zsock_set_rcvhwm (self->dealer, 10 * S_CREDIT);
    zsock_set_rcvhwm (self->sub, 100000);
    zsock_set_subscribe (self->sub, "");
    if (jad_client_connect (self->dealer, self->keys,
                            jad_keys_public (self->hub_keys),
                            hub, 0, err, errlen)
    ||  jad_client_connect (self->sub, self->keys,
                            jad_keys_public (self->hub_keys),
                            feed, 0, err, errlen))
        goto fail;
    self->poller = zpoller_new (self->dealer, self->sub, NULL);
    if (!self->poller) {
        snprintf (err, errlen, "cannot create the poller");
        goto fail;
    }
    randombytes_buf (self->incarnation, sizeof self->incarnation);
    snprintf (self->state, sizeof self->state, "connecting");
    return self;
fail:
    jad_link_destroy (&self);
    return NULL;
}

static int
s_send (jad_link_t *self, const Jad__Frame *frame)
{
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame->base, &len);
    if (!buf)
        return -1;
    int rc = zmq_send (zsock_resolve (self->dealer), buf, len, ZMQ_DONTWAIT);
    free (buf);
    return rc < 0 ? -1 : 0;
}

static void
s_heartbeat (jad_link_t *self, jad_model_t *model, int64_t now)
{
    if (now < self->heartbeat_due)
        return;
    Jad__Heartbeat hb = JAD__HEARTBEAT__INIT;
    hb.has_head_seq = 1;
    hb.head_seq = jad_model_head (model);
    hb.has_time_ms = 1;
    hb.time_ms = jad_time_now_ms ();
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_HEARTBEAT;
    frame.heartbeat = &hb;
    self->heartbeat_due = now + (s_send (self, &frame) == 0 ? S_HEARTBEAT_MS : 200);
}

static void
s_catchup_tick (jad_link_t *self, jad_model_t *model, int64_t now)
{
    if (!self->welcomed)
        return;
    if (self->catchup_inflight && now - self->catchup_sent >= S_CATCHUP_TIMEOUT) {
        self->catchup_inflight = 0;
        self->need_catchup = 1;
        for (size_t i = 0; i < self->n_batch; i++)
            free (self->batch[i].buf);
        self->n_batch = 0;
    }
    if (!self->need_catchup || self->catchup_inflight)
        return;
    Jad__CatchupRequest req = JAD__CATCHUP_REQUEST__INIT;
    req.has_from_seq = 1;
    req.from_seq = jad_model_head (model) + 1;
    req.has_credit = 1;
    req.credit = S_CREDIT;
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_CATCHUP;
    frame.catchup = &req;
    if (s_send (self, &frame) == 0) {
        self->catchup_inflight = 1;
        self->catchup_sent = now;
        self->need_catchup = 0;
    }
}

/* Entry bytes BUF from the feed (LIVE) or a catch-up answer. */
static void
s_on_entry (jad_link_t *self, jad_model_t *model, const uint8_t *buf,
            size_t len, int live)
{
    char err[256];
    Jad__Entry *entry = jad_wire_entry_decode (buf, len, err, sizeof err);
    uint64_t seq = entry && entry->has_hub_seq ? entry->hub_seq : 0;
    jad_wire_free (&entry);
    if (seq == 0)
        return;
    if (seq > self->hub_head)
        self->hub_head = seq;
    uint64_t head = jad_model_head (model);
    if (seq <= head)
        return;
    if (!live && self->catchup_inflight && self->n_batch < S_BATCH_MAX
    &&  (self->n_batch == 0 || seq > self->batch[self->n_batch - 1].seq)) {
        uint8_t *copy = malloc (len ? len : 1);
        if (copy) {
            memcpy (copy, buf, len);
            self->batch[self->n_batch++] = (s_held_t) { seq, copy, len };
            return;
        }
    }
    if (live && self->catchup_inflight) {
        if (self->n_held < S_HELD_MAX) {
            uint8_t *copy = malloc (len ? len : 1);
            if (copy) {
                memcpy (copy, buf, len);
                self->held[self->n_held++] = (s_held_t) { seq, copy, len };
            }
        }
        return;
    }
    if (seq != head + 1) {
        self->need_catchup = 1;     /* a gap: the journal has it */
        self->caught_up = 0;
        return;
    }
    if (jad_model_entry (model, seq, buf, len) != 0)
        self->failed = 1;
}

static void
s_on_catchup_end (jad_link_t *self, jad_model_t *model, const Jad__CatchupEnd *end)
{
    if (end->has_head_seq && end->head_seq > self->hub_head)
        self->hub_head = end->head_seq;
    self->catchup_inflight = 0;
    for (size_t i = 0; i < self->n_batch; i++) {
        s_on_entry (self, model, self->batch[i].buf, self->batch[i].len, 0);
        free (self->batch[i].buf);
    }
    self->n_batch = 0;
    if (end->has_more && end->more) {
        self->need_catchup = 1;
        return;
    }
    for (size_t i = 0; i < self->n_held; i++) {
        s_on_entry (self, model, self->held[i].buf, self->held[i].len, 1);
        free (self->held[i].buf);
    }
    self->n_held = 0;
    if (self->hub_head > jad_model_head (model))
        self->need_catchup = 1;
    else
        self->caught_up = 1;
}

static void
s_on_heartbeat (jad_link_t *self, jad_model_t *model, const Jad__Heartbeat *hb)
{
    if (hb->has_operation_id && hb->operation_id.len == 16) {
        memcpy (self->op_id, hb->operation_id.data, 16);
        self->has_op_id = 1;
    }
    if (hb->has_head_seq) {
        if (hb->head_seq > self->hub_head)
            self->hub_head = hb->head_seq;
        if (hb->head_seq > jad_model_head (model) && !self->catchup_inflight) {
            self->need_catchup = 1;
            self->caught_up = 0;
        }
    }
}

static const char *
s_code_name (int code)
{
    static const char *names[] = { "UNSPECIFIED", "MALFORMED", "BAD_VERSION",
        "WRONG_OPERATION", "FORBIDDEN", "CONFLICT", "TOO_LARGE", "UNAVAILABLE",
        "BAD_SIGNATURE" };
    return code >= 0 && code < 9 ? names[code] : "UNKNOWN";
}

static void
s_on_frame (jad_link_t *self, jad_model_t *model, const uint8_t *buf,
            size_t len, int live)
{
    char err[256];
    Jad__Frame *frame = jad_wire_frame_decode (buf, len, err, sizeof err);
    if (!frame)
        return;
    switch (frame->body_case) {
    case JAD__FRAME__BODY_ENTRY:
        s_on_entry (self, model, frame->entry.data, frame->entry.len, live);
        break;
    case JAD__FRAME__BODY_CATCHUP_END:
        s_on_catchup_end (self, model, frame->catchup_end);
        break;
    case JAD__FRAME__BODY_HEARTBEAT:
        s_on_heartbeat (self, model, frame->heartbeat);
        break;
    case JAD__FRAME__BODY_ROSTER:
        if (jad_model_roster (model, frame->roster.data, frame->roster.len,
                              err, sizeof err) != 0)
            { /* a record we cannot read changes nothing */ }
        break;
    case JAD__FRAME__BODY_ACK:
        if (frame->ack->has_origin_seq && frame->ack->origin_seq == self->origin_seq) {
            snprintf (self->answer, sizeof self->answer,
                      "request accepted: hub_seq %" PRIu64,
                      frame->ack->has_hub_seq ? frame->ack->hub_seq : 0);
            free (self->unanswered);
            self->unanswered = NULL;
        }
        break;
    case JAD__FRAME__BODY_ERROR:
        if (frame->error->has_origin_seq && frame->error->origin_seq == self->origin_seq
        &&  frame->error->has_code && frame->error->code == JAD__ERROR_CODE__UNAVAILABLE)
            break;      /* the hub asks for a resend later: keep it */
        if (!frame->error->has_origin_seq || frame->error->origin_seq == self->origin_seq) {
            snprintf (self->answer, sizeof self->answer, "refused: %s: %s",
                      s_code_name (frame->error->has_code ? (int) frame->error->code : 0),
                      frame->error->message ? frame->error->message : "");
            if (frame->error->has_origin_seq) {
                free (self->unanswered);
                self->unanswered = NULL;
            }
        }
        break;
#ifdef JAD__PARTICIPANTS__INIT
    /* The hub's health relay (issue 6): not journaled, once a second. */
    case JAD__FRAME__BODY_PARTICIPANTS: {
        const Jad__Participants *ps = frame->participants;
        int64_t t = ps->has_time_ms ? ps->time_ms : jad_time_now_ms ();
        for (size_t i = 0; i < ps->n_peers; i++) {
            const Jad__PeerStatus *p = ps->peers[i];
            jad_model_health (model, p->name, p->country,
                              p->has_connected && p->connected,
                              p->has_last_seen_ms ? p->last_seen_ms : 0,
                              p->has_outbox_depth ? p->outbox_depth : 0,
                              p->has_mirror_seq ? p->mirror_seq : 0, t);
        }
        break;
    }
#endif
    default:
        break;
    }
    jad_wire_free (&frame);
}

/* Up to MAX messages from SOCK; 1 when one came. */
static int
s_drain (jad_link_t *self, jad_model_t *model, zsock_t *sock, int max)
{
    void *raw = zsock_resolve (sock);
    int got = 0;
    for (int n = 0; n < max; n++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, raw, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        got = 1;
        int more = zmq_msg_more (&msg);
        const uint8_t *data = zmq_msg_data (&msg);
        size_t size = zmq_msg_size (&msg);
        if (sock == self->dealer)
            self->hub_heard = jad_time_mono_ms ();
        if (sock == self->sub && !self->welcomed) {
            self->welcomed = 1;
            self->need_catchup = 1;
        }
        if (!more && size > 0)
            s_on_frame (self, model, data, size, sock == self->sub);
        zmq_msg_close (&msg);
        while (more) {          /* multi-part: not ours, dropped */
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, raw, ZMQ_DONTWAIT) < 0)
                more = 0;
            else
                more = zmq_msg_more (&msg);
            zmq_msg_close (&msg);
        }
    }
    return got;
}

static int
s_pump_live (jad_link_t *self, jad_model_t *model, int budget_ms)
{
    int64_t start = jad_time_mono_ms (), now = start;
    do {
        s_heartbeat (self, model, now);
        s_catchup_tick (self, model, now);
        int got = s_drain (self, model, self->dealer, 2000);
        got |= s_drain (self, model, self->sub, 2000);
        now = jad_time_mono_ms ();
        if (!got) {
            int wait = budget_ms - (int) (now - start);
            if (wait <= 0)
                break;
            zpoller_wait (self->poller, wait < 50 ? wait : 50);
            if (zpoller_terminated (self->poller))
                break;
            now = jad_time_mono_ms ();
        }
    } while (now - start < budget_ms && !self->failed);
    if (!self->hub_heard)
        snprintf (self->state, sizeof self->state, "connecting");
    else
    if (now - self->hub_heard >= S_SILENT_MS)
        snprintf (self->state, sizeof self->state, "hub silent %" PRId64 "s",
                  (now - self->hub_heard) / 1000);
    else
    if (!self->caught_up)
        snprintf (self->state, sizeof self->state, "catching up");
    else
        snprintf (self->state, sizeof self->state, "live");
    return self->failed ? -1 : 0;
}

int
jad_link_request (jad_link_t *self, jad_model_t *model, const char *line,
                  char *err, size_t errlen)
{
    if (!self->live) {
        snprintf (err, errlen, "not available in replay");
        return -1;
    }
    Jad__Report *r = NULL;
    int64_t t = 0;
    int has_t = 0, rc = -1;
    char why[256];
    uint8_t *report = NULL, *msg = NULL, *env_buf = NULL;
    if (jad_report_json_parse (line, strlen (line), NULL, &r, &t, &has_t,
                               why, sizeof why) != 0) {
        if (strstr (why, "type"))
            snprintf (err, errlen, "not available: this build has no request "
                      "kind (%s)", why);
        else
            snprintf (err, errlen, "%s", why);
        return -1;
    }
    const uint8_t *op = self->has_op_id ? self->op_id : jad_model_operation_id (model);
    if (!op || !self->hub_heard) {
        snprintf (err, errlen, "not connected to the hub yet");
        goto out;
    }
    size_t report_len, mlen, env_len;
    report = jad_wire_encode (&r->base, &report_len);
    if (!report) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    uint64_t seq = self->origin_seq + 1;
    int64_t when = jad_time_now_ms ();
    msg = jad_sign_report_bytes (op, jad_keys_name (self->keys), self->incarnation,
                                 seq, when, report, report_len, &mlen);
    uint8_t sig[64], key_id[8];
    memcpy (key_id, jad_keys_key_id (self->keys), 8);
    if (!msg || jad_keys_sign (self->keys, msg, mlen, sig) != 0) {
        snprintf (err, errlen, "cannot sign");
        goto out;
    }
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1;
    env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) op;
    env.operation_id.len = 16;
    env.origin = (char *) jad_keys_name (self->keys);
    env.has_incarnation = 1;
    env.incarnation.data = self->incarnation;
    env.incarnation.len = 16;
    env.has_origin_seq = 1;
    env.origin_seq = seq;
    env.has_event_time_ms = 1;
    env.event_time_ms = when;
    env.has_report = 1;
    env.report.data = report;
    env.report.len = report_len;
    env.has_key_id = 1;
    env.key_id.data = key_id;
    env.key_id.len = 8;
    env.has_signature = 1;
    env.signature.data = sig;
    env.signature.len = 64;
    env_buf = jad_wire_encode (&env.base, &env_len);
    if (!env_buf) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_SUBMIT;
    frame.submit.data = env_buf;
    frame.submit.len = env_len;
    /* Kept until the hub answers and resent as the same bytes meanwhile:
     * the hub recognises a resend by its sequence and acks it once. */
    free (self->unanswered);
    self->unanswered = jad_wire_encode (&frame.base, &self->unanswered_len);
    self->resend_ivl = 2000;
    self->resend_due = jad_time_mono_ms () + self->resend_ivl;
    self->origin_seq = seq;
    if (s_send (self, &frame) != 0)
        snprintf (self->answer, sizeof self->answer,
                  "request kept: the hub is not connected, resending");
    else
        snprintf (self->answer, sizeof self->answer,
                  "request sent, waiting for the hub");
    rc = 0;
out:
    free (env_buf);
    free (msg);
    free (report);
    if (r)
        jad__report__free_unpacked (r, NULL);
    return rc;
}

/* ------------------------------------------------------------ replay */

jad_link_t *
jad_link_new_replay (const char *dir, double speed, char *err, size_t errlen)
{
    struct stat st;
    if (stat (dir, &st) != 0) {
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
        return NULL;
    }
    jad_link_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->speed = speed;
    self->journal = jad_journal_find (dir, err, errlen);
    if (!self->journal)
        goto fail;
    snprintf (self->state, sizeof self->state, "replay");
    return self;
fail:
    jad_link_destroy (&self);
    return NULL;
}

typedef struct {
    jad_link_t  *self;
    jad_model_t *model;
    int          paused;        /* the next entry is not due yet */
} s_scan_t;

static int
s_roster_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_scan_t *scan = arg;
    char err[256];
    if (jad_model_roster (scan->model, buf, len, err, sizeof err) != 0)
        { /* unreadable: skipped, as jad-report does */ }
    scan->self->last_roster = seq;
    return 0;
}

static int
s_entry_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_scan_t *scan = arg;
    jad_link_t *self = scan->self;
    if (self->speed > 0) {
        jad_entry_peel_t peel;
        char err[224];
        if (jad_entry_peel (buf, len, &peel, err, sizeof err) == 0) {
            int64_t ev = peel.has_event_time ? peel.event_time_ms : peel.received_ms;
            int64_t wall = jad_time_mono_ms ();
            if (!self->pace_wall) {
                self->pace_wall = wall;
                self->pace_event = ev;
            }
            if ((double) (ev - self->pace_event) / self->speed > (double) (wall - self->pace_wall)) {
                scan->paused = 1;
                return 1;
            }
        }
    }
    if (jad_model_entry (scan->model, seq, buf, len) != 0)
        self->failed = 1;
    return 0;
}

static int
s_pump_replay (jad_link_t *self, jad_model_t *model, int budget_ms)
{
    int64_t start = jad_time_mono_ms (), now = start;
    s_scan_t scan = { self, model, 0 };
    if (now >= self->follow_due) {
        /* New rosters and a new head: a running hub writes on. */
        self->follow_due = now + S_FOLLOW_MS;
        if (jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS,
                                     self->last_roster + 1, SIZE_MAX,
                                     s_roster_fn, &scan) < 0
        ||  jad_journal_head (self->journal, &self->hub_head) != 0) {
            self->failed = 1;
            return -1;
        }
    }
    while (now - start < budget_ms && !self->failed) {
        scan.paused = 0;
        uint64_t from = jad_model_head (model) + 1;
        if (from > self->hub_head)
            break;
        long n = jad_journal_scan (self->journal, from, S_CHUNK, s_entry_fn, &scan);
        if (n < 0) {
            self->failed = 1;
            break;
        }
        if (n == 0 || scan.paused)
            break;
        now = jad_time_mono_ms ();
    }
    self->done = jad_model_head (model) >= self->hub_head;
    if (self->speed > 0)
        snprintf (self->state, sizeof self->state,
                  self->speed >= 10 ? "replay %.0fx%s" : "replay %.2gx%s",
                  self->speed, self->done ? ": at the head" : "");
    else
        snprintf (self->state, sizeof self->state, "replay%s",
                  self->done ? ": at the head" : "");
    now = jad_time_mono_ms ();
    if (scan.paused || self->done) {
        int left = budget_ms - (int) (now - start);
        if (left > 0)
            zclock_sleep (left < 20 ? left : 20);
    }
    return self->failed ? -1 : 0;
}

/* Resend the unanswered request when its time comes (live mode). */
static void
s_resend_request (jad_link_t *self)
{
    int64_t now = jad_time_mono_ms ();
    if (!self->unanswered || now < self->resend_due)
        return;
    if (zmq_send (zsock_resolve (self->dealer), self->unanswered,
                  self->unanswered_len, ZMQ_DONTWAIT) >= 0)
        snprintf (self->answer, sizeof self->answer,
                  "request resent, waiting for the hub");
    self->resend_ivl = self->resend_ivl * 2 > 30000 ? 30000 : self->resend_ivl * 2;
    self->resend_due = now + self->resend_ivl;
}

int
jad_link_pump (jad_link_t *self, jad_model_t *model, int budget_ms)
{
    if (self->live)
        s_resend_request (self);
    return self->live ? s_pump_live (self, model, budget_ms)
                      : s_pump_replay (self, model, budget_ms);
}
