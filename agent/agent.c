/*  agent: the jad-agent daemon.  See agent/agent.h and docs/PROTOCOL.md.
 *
 *  The loop, once per wake-up (a message, or at most 10 ms):
 *    1. drain the DEALER (acks, errors, catch-up entries, heartbeat replies)
 *       and the SUB (live entries, hub heartbeats), without blocking;
 *    2. commit what they produced, each in one durable transaction: the
 *       mirror entries in order, then the acked outbox deletions;
 *    3. timers: our heartbeat (1 s), status.json (1 s), resends, catch-up;
 *    4. seal and send new outbox records while the window has room — this
 *       is also how records written by `submit` processes are noticed.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <czmq.h>

#include "jad/client.h"
#include "jad/config.h"
#include "jad/envelope.h"
#include "jad/file.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/sign.h"
#include "jad/log.h"
#include "jad/outbox.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "agent.h"

#define S_POLL_MS          10       /* idle wake-up: notices submits */
#define S_HEARTBEAT_MS     1000
#define S_STATUS_MS        1000
#define S_RESEND_MIN_MS    2000
#define S_RESEND_MAX_MS    30000
#define S_RESEND_CHECK_MS  100      /* how often in-flight timers are looked at */
#define S_CATCHUP_TIMEOUT  5000
#define S_REDIAL_MAX_MS    300000   /* redial at least this often while silent */
#define S_MIRROR_HOLD_MS   5000     /* after a mirror append failed */
#define S_DRAIN_MAX        2000     /* messages per socket per loop */
#define S_PENDING_MAX      2000     /* mirror entries per commit at most */
#define S_LIVE_BUF_MAX     10000    /* live entries held during a catch-up */
#define S_ACKS_MAX         4096     /* acks per commit at most */
#define S_FLIGHT_CAP       (2 * JAD_AGENT_WINDOW + 16)

/* One report sent and not yet answered. */
typedef struct {
    uint64_t seq;               /* origin_seq */
    int64_t  sent_at;           /* monotonic ms of the last send */
    int64_t  due;               /* monotonic ms of the next resend */
    int64_t  backoff;           /* current resend interval */
    int      resent;            /* sent more than once: no RTT sample */
    int      fast;              /* a later ack showed it lost: resend now */
    int      done;              /* acked or finally refused */
} s_flight_t;

/* An entry held in memory: mirror pending or live buffer. */
typedef struct {
    uint64_t seq;
    uint8_t *buf;
    size_t   len;
} s_entry_t;

struct _jad_agent_t {
    char *dir;                  /* --data */
    char *status_path;          /* DIR/status.json */
    char *status_tmp;           /* written first, then renamed */
    char country[3];
    jad_keys_t *keys;           /* ours, with secret */
    jad_keys_t *hub_keys;       /* the hub's public key */
    jad_outbox_t *outbox;
    jad_journal_t *mirror;
    zsock_t *dealer;            /* to the hub's collector */
    zsock_t *sub;               /* to the hub's feed */
    zpoller_t *poller;
    char *hub_endpoint;         /* --hub, --feed: dialled again by s_redial */
    char *feed_endpoint;

    /* the hub session */
    int has_operation;          /* the hub told us its operation id */
    uint8_t operation_id[JAD_ID_BYTES];
    int operation_bad;          /* it differs from the outbox's: send nothing */
    int64_t hub_heard;          /* monotonic ms of the last DEALER message, 0 never */
    int connected;              /* as last logged */
    uint64_t hub_head;          /* the hub's head, from heartbeats and catch-up */

    /* sending */
    uint64_t next_send;         /* origin_seq from which nothing was sent yet */
    s_flight_t flight[S_FLIGHT_CAP];  /* sorted by seq, [flo, fhi) in use */
    size_t flo, fhi;
    size_t inflight;            /* entries in [flo, fhi) not done */
    int blocked;                /* the DEALER refused a send this loop */
    uint64_t ack_seqs[S_ACKS_MAX];    /* acks to commit this loop */
    uint64_t ack_hubs[S_ACKS_MAX];
    size_t n_acks;
    int outbox_failed;          /* sealing failed; retried after a pause */
    int64_t outbox_hold;

    /* mirror */
    int mirror_off;             /* belongs to another operation: not kept */
    uint64_t mirror_head;       /* committed head */
    uint64_t pending_head;      /* mirror_head + entries pending */
    s_entry_t pending[S_PENDING_MAX];
    size_t n_pending;
    s_entry_t *live;            /* held while a catch-up is in flight */
    size_t n_live;
    int welcomed;               /* the SUB received its first message */
    int need_catchup;
    int catchup_inflight;
    int64_t catchup_sent;
    int64_t catchup_heard;      /* the last catch-up entry arrived then */
    int64_t mirror_hold;        /* no catch-up before this (after a failure) */

    /* trust: checkpoints and rosters from the hub */
    char alarm[512];            /* first break found in the chain, "" none */
    uint64_t cp_verified;       /* last checkpoint checked against the mirror */
    struct { uint64_t seq; uint8_t hash[JAD_HASH_BYTES]; } cp_wait[64];
    size_t n_cp_wait;           /* checkpoints past the mirror's head */

    /* timers, monotonic ms */
    int64_t heartbeat_due;
    int64_t status_due;
    int64_t resend_due;
    int64_t srtt, rttvar;       /* submit->ack round trip, smoothed; 0 none */
    int64_t rto_backoff;        /* resend interval backed off since a sample */
    int64_t redial_due;         /* silent this long: dial the hub again */
    int64_t redial_ms;          /* the interval, doubling while refused */
};

static void s_err (char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
s_err (char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}

static char *
s_join (const char *dir, const char *name)
{
    size_t len = strlen (dir) + strlen (name) + 2;
    char *path = malloc (len);
    if (path)
        snprintf (path, len, "%s/%s", dir, name);
    return path;
}

static const char *
s_code_name (int code)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&jad__error_code__descriptor, code);
    return v ? v->name : "UNKNOWN";
}

/* ------------------------------------------------------------ new, destroy */

int
jad_agent_check (const jad_agent_config_t *cfg, char *err, size_t errlen)
{
    jad_keys_t *keys = NULL, *hub_keys = NULL;
    jad_outbox_t *outbox = NULL;
    char *path = NULL;
    int rc = -1;
    const char *cc = cfg->country;
    if (strlen (cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z') {
        s_err (err, errlen, "--country: '%s' is not two upper-case letters", cc);
        goto out;
    }
    if (jad_config_check_endpoint ("hub", cfg->hub_endpoint, err, errlen) != 0
    ||  jad_config_check_endpoint ("feed", cfg->feed_endpoint, err, errlen) != 0
    ||  jad_config_check_dir ("data", cfg->data_dir, err, errlen) != 0)
        goto out;
    keys = jad_keys_load (cfg->key_file, err, errlen);
    if (!keys)
        goto out;
    if (!jad_keys_has_secret (keys)) {
        s_err (err, errlen, "%s: no secret key (pass the .secret file)",
               cfg->key_file);
        goto out;
    }
    hub_keys = jad_keys_load (cfg->hub_key_file, err, errlen);
    if (!hub_keys)
        goto out;
    /* An existing outbox must be this country's and this key's. */
    path = s_join (cfg->data_dir, "outbox/data.mdb");
    if (!path) {
        s_err (err, errlen, "out of memory");
        goto out;
    }
    if (access (path, F_OK) == 0) {
        path [strlen (path) - strlen ("/data.mdb")] = '\0';
        char country[3] = "";
        outbox = jad_outbox_open (path, JAD_OUTBOX_RDONLY, err, errlen);
        if (!outbox)
            goto out;
        if (jad_outbox_country (outbox, country) == 1
        &&  strcmp (country, cc) != 0) {
            s_err (err, errlen, "%s belongs to country %s, not %s", path, country, cc);
            goto out;
        }
    }
    rc = 0;
out:
    free (path);
    jad_outbox_destroy (&outbox);
    jad_keys_destroy (&hub_keys);
    jad_keys_destroy (&keys);
    return rc;
}

jad_agent_t *
jad_agent_new (const jad_agent_config_t *cfg, char *err, size_t errlen)
{
    assert (cfg && cfg->data_dir && cfg->country && cfg->key_file
            && cfg->hub_key_file && cfg->hub_endpoint && cfg->feed_endpoint);
    jad_agent_t *self = calloc (1, sizeof *self);
    jad_agent_t *result = NULL;
    char *path = NULL;
    if (!self) {
        s_err (err, errlen, "out of memory");
        goto out;
    }
    self->dir = strdup (cfg->data_dir);
    self->hub_endpoint = strdup (cfg->hub_endpoint);
    self->feed_endpoint = strdup (cfg->feed_endpoint);
    self->status_path = s_join (cfg->data_dir, "status.json");
    self->status_tmp = s_join (cfg->data_dir, "status.json.tmp");
    self->live = calloc (S_LIVE_BUF_MAX, sizeof *self->live);
    if (!self->dir || !self->status_path || !self->status_tmp || !self->live
    ||  !self->hub_endpoint || !self->feed_endpoint) {
        s_err (err, errlen, "out of memory");
        goto out;
    }
    /* Parents as needed (what --check promised); the directory itself is
     * the agent's alone. */
    if (jad_file_make_dirs (cfg->data_dir, 0700) != 0) {
        s_err (err, errlen, "%s: mkdir: %s", cfg->data_dir, strerror (errno));
        goto out;
    }
    self->keys = jad_keys_load (cfg->key_file, err, errlen);
    if (!self->keys)
        goto out;
    if (!jad_keys_has_secret (self->keys)) {
        s_err (err, errlen, "%s: no secret key (pass the .secret file)",
               cfg->key_file);
        goto out;
    }
    self->hub_keys = jad_keys_load (cfg->hub_key_file, err, errlen);
    if (!self->hub_keys)
        goto out;

    path = s_join (cfg->data_dir, "outbox");
    if (!path) {
        s_err (err, errlen, "out of memory");
        goto out;
    }
    self->outbox = jad_outbox_open (path, JAD_OUTBOX_CREATE, err, errlen);
    if (!self->outbox
    ||  jad_outbox_set_country (self->outbox, cfg->country, err, errlen) != 0
    ||  jad_outbox_set_origin (self->outbox, jad_keys_name (self->keys),
                               err, errlen) != 0)
        goto out;
    memcpy (self->country, cfg->country, 2);
    free (path);
    path = s_join (cfg->data_dir, "mirror");
    if (!path) {
        s_err (err, errlen, "out of memory");
        goto out;
    }
    self->mirror = jad_journal_open (path, JAD_JOURNAL_CREATE, err, errlen);
    if (!self->mirror)
        goto out;
    if (jad_journal_head (self->mirror, &self->mirror_head) != 0) {
        s_err (err, errlen, "%s: cannot read the mirror's head", path);
        goto out;
    }
    self->pending_head = self->mirror_head;
    self->hub_head = self->mirror_head;     /* the hub has at least this */

    self->dealer = zsock_new (ZMQ_DEALER);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->dealer || !self->sub) {
        s_err (err, errlen, "cannot create sockets");
        goto out;
    }
    /* Only a connected hub takes messages, so a send never queues for a
     * peer that is not there (the resend timer covers what was lost). */
    zsock_set_immediate (self->dealer, 1);
    zsock_set_sndhwm (self->dealer, 4 * JAD_AGENT_WINDOW);
    zsock_set_rcvhwm (self->dealer, 10 * JAD_AGENT_WINDOW);
    zsock_set_rcvhwm (self->sub, 20000);
    zsock_set_subscribe (self->sub, "");    /* no filters: they make gaps */
    if (jad_client_connect (self->dealer, self->keys,
                            jad_keys_public (self->hub_keys),
                            cfg->hub_endpoint, 1000, err, errlen)
    ||  jad_client_connect (self->sub, self->keys,
                            jad_keys_public (self->hub_keys),
                            cfg->feed_endpoint, 1000, err, errlen))
        goto out;
    self->poller = zpoller_new (self->dealer, self->sub, NULL);
    if (!self->poller) {
        s_err (err, errlen, "cannot create the poller");
        goto out;
    }
    result = self;
    self = NULL;
out:
    free (path);
    jad_agent_destroy (&self);
    return result;
}

void
jad_agent_destroy (jad_agent_t **self_p)
{
    assert (self_p);
    jad_agent_t *self = *self_p;
    if (!self)
        return;
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->dealer);
    zsock_destroy (&self->sub);
    for (size_t i = 0; i < self->n_pending; i++)
        free (self->pending[i].buf);
    if (self->live)
        for (size_t i = 0; i < self->n_live; i++)
            free (self->live[i].buf);
    free (self->live);
    jad_journal_destroy (&self->mirror);
    jad_outbox_destroy (&self->outbox);
    jad_keys_destroy (&self->keys);
    jad_keys_destroy (&self->hub_keys);
    free (self->dir);
    free (self->hub_endpoint);
    free (self->feed_endpoint);
    free (self->status_path);
    free (self->status_tmp);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ sending */

/* Send FRAME on the DEALER without blocking.  0 sent; -1 the hub is not
 * connected or the queue is full (self->blocked is set: try later). */
static int
s_send (jad_agent_t *self, const Jad__Frame *frame)
{
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame->base, &len);
    if (!buf)
        return -1;
    int rc = zmq_send (zsock_resolve (self->dealer), buf, len, ZMQ_DONTWAIT);
    free (buf);
    if (rc < 0) {
        self->blocked = 1;
        return -1;
    }
    return 0;
}

static int
s_send_submit (jad_agent_t *self, const uint8_t *envelope, size_t len)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_SUBMIT;
    frame.submit.data = (uint8_t *) envelope;
    frame.submit.len = len;
    return s_send (self, &frame);
}

/* Index of SEQ in the flight table, or -1.  The table is sorted because
 * reports are sent first in origin_seq order. */
static long
s_flight_find (jad_agent_t *self, uint64_t seq)
{
    size_t lo = self->flo, hi = self->fhi;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->flight[mid].seq == seq)
            return (long) mid;
        if (self->flight[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void
s_flight_done (jad_agent_t *self, long i)
{
    if (i < 0 || self->flight[i].done)
        return;
    self->flight[i].done = 1;
    self->inflight--;
    while (self->flo < self->fhi && self->flight[self->flo].done)
        self->flo++;
    if (self->flo == self->fhi)
        self->flo = self->fhi = 0;
}

/* The first resend interval: the round trip as measured (RFC 6298's
 * srtt + 4 rttvar, from acks of reports sent once), never under
 * S_RESEND_MIN_MS.  On a slow link a report waits behind a window's worth
 * of others; a fixed 2 s would resend everything in flight again and
 * again, and the duplicates would crowd out the link that carries them. */
static int64_t
s_rto (const jad_agent_t *self)
{
    int64_t rto = self->srtt + 4 * self->rttvar;
    /* Karn: while every report times out before its ack comes, no sample
     * is taken (an ack of a resent report is ambiguous), so the interval
     * stays backed off until a report sent once is acked. */
    if (rto < self->rto_backoff)
        rto = self->rto_backoff;
    return rto < S_RESEND_MIN_MS ? S_RESEND_MIN_MS
         : rto > S_RESEND_MAX_MS ? S_RESEND_MAX_MS : rto;
}

static void
s_rtt_sample (jad_agent_t *self, int64_t rtt)
{
    self->rto_backoff = 0;
    if (self->srtt == 0) {
        self->srtt = rtt > 0 ? rtt : 1;
        self->rttvar = rtt / 2;
        return;
    }
    int64_t diff = self->srtt > rtt ? self->srtt - rtt : rtt - self->srtt;
    self->rttvar = (3 * self->rttvar + diff) / 4;
    self->srtt = (7 * self->srtt + rtt) / 8;
    if (self->srtt == 0)
        self->srtt = 1;
}

static void
s_flight_add (jad_agent_t *self, uint64_t seq, int64_t now)
{
    if (self->fhi == S_FLIGHT_CAP) {
        /* Drop answered entries; at most a window's worth remain. */
        size_t n = 0;
        for (size_t i = self->flo; i < self->fhi; i++)
            if (!self->flight[i].done)
                self->flight[n++] = self->flight[i];
        self->flo = 0;
        self->fhi = n;
    }
    assert (self->fhi < S_FLIGHT_CAP);
    s_flight_t *f = &self->flight[self->fhi++];
    f->seq = seq;
    f->sent_at = now;
    f->backoff = s_rto (self);
    f->due = now + f->backoff;
    f->resent = 0;
    f->fast = 0;
    f->done = 0;
    self->inflight++;
}

typedef struct {
    jad_agent_t *self;
    int64_t now;
    size_t sent;
} s_send_ctx_t;

static int
s_send_new_cb (void *arg, const jad_outbox_record_t *rec)
{
    s_send_ctx_t *c = arg;
    jad_agent_t *self = c->self;
    if (!rec->sealed)
        return 1;               /* sealed next loop */
    if (s_send_submit (self, rec->data, rec->len) != 0)
        return 1;
    s_flight_add (self, rec->origin_seq, c->now);
    self->next_send = rec->origin_seq + 1;
    c->sent++;
    return self->inflight >= JAD_AGENT_WINDOW;
}

/* The outbox's sealer: the envelope of one report, signed with this
 * agent's key (the outbox holds no key). */
static uint8_t *
s_seal_cb (void *arg, const jad_envelope_id_t *id, int64_t event_time_ms,
           const uint8_t *report, size_t report_len, size_t *len_p,
           char *err, size_t errlen)
{
    jad_agent_t *self = arg;
    return jad_envelope_seal (id, event_time_ms, report, report_len,
                              self->keys, len_p, err, errlen);
}

/* Seal and send what the outbox holds beyond next_send, while the window
 * has room.  Records written by `submit` processes are found here. */
static void
s_send_new (jad_agent_t *self, int64_t now)
{
    if (!self->has_operation || self->operation_bad || self->blocked
    ||  self->inflight >= JAD_AGENT_WINDOW)
        return;
    if (self->outbox_failed && now < self->outbox_hold)
        return;
    char err[256];
    size_t room = JAD_AGENT_WINDOW - self->inflight;
    if (jad_outbox_seal (self->outbox, room, s_seal_cb, self,
                         err, sizeof err) < 0) {
        jad_log_error ("outbox: %s", err);
        self->outbox_failed = 1;
        self->outbox_hold = now + 1000;
        return;
    }
    self->outbox_failed = 0;
    s_send_ctx_t c = { self, now, 0 };
    if (jad_outbox_scan (self->outbox, self->next_send, room, s_send_new_cb, &c) < 0)
        jad_log_error ("outbox: cannot read the queue");
    if (c.sent)
        jad_log_debug ("sent %zu reports, %zu in flight", c.sent, self->inflight);
}

typedef struct {
    uint64_t seq;
    int found;
    int sent;
    jad_agent_t *self;
} s_resend_ctx_t;

static int
s_resend_cb (void *arg, const jad_outbox_record_t *rec)
{
    s_resend_ctx_t *c = arg;
    if (rec->origin_seq != c->seq || !rec->sealed)
        return 1;
    c->found = 1;
    c->sent = s_send_submit (c->self, rec->data, rec->len) == 0;
    return 1;
}

/* Resend every report whose timer ran out, with the same bytes. */
static void
s_resend (jad_agent_t *self, int64_t now)
{
    size_t resent = 0;
    for (size_t i = self->flo; i < self->fhi && !self->blocked; i++) {
        s_flight_t *f = &self->flight[i];
        if (f->done || f->due > now)
            continue;
        s_resend_ctx_t c = { f->seq, 0, 0, self };
        if (jad_outbox_scan (self->outbox, f->seq, 1, s_resend_cb, &c) < 0)
            break;
        if (!c.found) {
            s_flight_done (self, (long) i);     /* acked or refused meanwhile */
            continue;
        }
        if (!c.sent)
            break;
        resent++;
        f->sent_at = now;
        f->resent = 1;
        f->due = now + f->backoff;
        if (f->fast) {
            /* Loss seen from acks says nothing about a slow round trip:
             * no backing off (RFC 6298 backs off on timeouts only). */
            f->fast = 0;
            continue;
        }
        f->backoff = f->backoff * 2 > S_RESEND_MAX_MS ? S_RESEND_MAX_MS : f->backoff * 2;
        if (f->backoff > self->rto_backoff)
            self->rto_backoff = f->backoff;
    }
    if (resent)
        jad_log_info ("resent %zu unacknowledged reports", resent);
}

/* The hub is back after a silence: what is in flight may have been lost
 * with the old connection, so resend it now with a fresh backoff. */
static void
s_flight_reset (jad_agent_t *self, int64_t now)
{
    for (size_t i = self->flo; i < self->fhi; i++) {
        self->flight[i].due = now;
        self->flight[i].backoff = s_rto (self);
    }
}

/* Commit the acks collected this loop in one transaction. */
static void
s_flush_acks (jad_agent_t *self)
{
    if (self->n_acks == 0)
        return;
    char err[256];
    if (jad_outbox_ack (self->outbox, self->ack_seqs, self->ack_hubs,
                        self->n_acks, err, sizeof err) != 0)
        /* Not fatal: the records stay, are resent after a restart and
         * acked again as duplicates. */
        jad_log_error ("outbox: cannot record %zu acks: %s", self->n_acks, err);
    self->n_acks = 0;
}

/* ------------------------------------------------------------ mirror */

static void s_checkpoints_check (jad_agent_t *self);
static void s_alarm (jad_agent_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
s_mirror_flush (jad_agent_t *self, int64_t now)
{
    if (self->n_pending == 0)
        return;
    const uint8_t *bufs[S_PENDING_MAX];
    size_t lens[S_PENDING_MAX];
    for (size_t i = 0; i < self->n_pending; i++) {
        bufs[i] = self->pending[i].buf;
        lens[i] = self->pending[i].len;
    }
    char err[256];
    int rc = jad_journal_append_entries (self->mirror, bufs, lens,
                                         self->n_pending, err, sizeof err);
    if (rc == JAD_JOURNAL_OK) {
        self->mirror_head = self->pending_head;
        if (self->n_cp_wait)
            s_checkpoints_check (self);
        jad_log_debug ("mirror: head %" PRIu64, self->mirror_head);
    }
    else {
        /* An entry that does not chain onto ours means the hub's history
         * differs from what it sent us before: a break, not a glitch. */
        if (rc == JAD_JOURNAL_EBROKEN)
            s_alarm (self, "the hub's chain does not continue the mirror's "
                     "(%s)", err);
        jad_log_error ("mirror: %s; catching up from %" PRIu64 " in %d s",
                       err, self->mirror_head + 1, S_MIRROR_HOLD_MS / 1000);
        self->pending_head = self->mirror_head;
        self->need_catchup = 1;
        self->mirror_hold = now + S_MIRROR_HOLD_MS;
    }
    for (size_t i = 0; i < self->n_pending; i++)
        free (self->pending[i].buf);
    self->n_pending = 0;
}

/* Take an entry from the hub (LIVE: from the feed, else from catch-up):
 * the next one in order is kept for this loop's commit, an old one is
 * dropped, a later one means a gap. */
static void
s_mirror_offer (jad_agent_t *self, uint64_t seq, const uint8_t *buf,
                size_t len, int live, int64_t now)
{
    if (seq <= self->pending_head)
        return;
    if (seq > self->pending_head + 1) {
        if (live) {
            if (!self->need_catchup && !self->catchup_inflight)
                jad_log_info ("mirror: gap before entry %" PRIu64 " (head %"
                              PRIu64 "), catching up", seq, self->pending_head);
            self->need_catchup = 1;
        }
        else
            jad_log_warn ("mirror: catch-up sent entry %" PRIu64
                          " after %" PRIu64, seq, self->pending_head);
        return;
    }
    if (self->n_pending == S_PENDING_MAX)
        s_mirror_flush (self, now);
    if (seq != self->pending_head + 1)
        return;                 /* the flush failed and reset the head */
    uint8_t *copy = malloc (len ? len : 1);
    if (!copy)
        return;
    memcpy (copy, buf, len);
    self->pending[self->n_pending++] = (s_entry_t) { seq, copy, len };
    self->pending_head = seq;
}

/* ------------------------------------------------------------ trust */

/* Something in what the hub sent does not verify: say so loudly, once per
 * kind of break, in the log and in status.json (the console shows it). */
static void
s_alarm (jad_agent_t *self, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    jad_log_error ("ALARM: %s", text);
    if (!self->alarm[0])
        snprintf (self->alarm, sizeof self->alarm, "%s", text);
}

/* Compare waiting checkpoints with the mirror once it holds their entry. */
static void
s_checkpoints_check (jad_agent_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n_cp_wait; i++) {
        uint64_t seq = self->cp_wait[i].seq;
        uint8_t hash[JAD_HASH_BYTES];
        if (seq > self->mirror_head) {
            self->cp_wait[kept++] = self->cp_wait[i];
            continue;
        }
        int found = jad_journal_hash (self->mirror, seq, hash);
        if (found != 1)
            s_alarm (self, "checkpoint %" PRIu64 ": entry missing from the "
                     "mirror", seq);
        else
        if (memcmp (hash, self->cp_wait[i].hash, JAD_HASH_BYTES) != 0)
            s_alarm (self, "checkpoint %" PRIu64 ": the mirror's chain does "
                     "not match the hub's signed head", seq);
        else
        if (seq > self->cp_verified)
            self->cp_verified = seq;
    }
    self->n_cp_wait = kept;
}

/* A checkpoint from the hub: check the hub's signature, keep it beside
 * the mirror, and compare its head hash with the mirror's chain. */
static void
s_on_checkpoint (jad_agent_t *self, const uint8_t *buf, size_t len)
{
    if (self->mirror_off || !self->has_operation)
        return;
    char err[256];
    Jad__Checkpoint *cp = (Jad__Checkpoint *) jad_wire_decode (
        &jad__checkpoint__descriptor, buf, len, JAD_FRAME_MAX, err, sizeof err);
    uint8_t msg[JAD_SIGN_CHECKPOINT_LEN];
    if (!cp || !cp->has_hub_seq || cp->head_hash.len != JAD_HASH_BYTES
    ||  cp->signature.len != JAD_SIGN_BYTES) {
        s_alarm (self, "malformed checkpoint from the hub: %s",
                 cp ? "fields missing" : err);
        goto out;
    }
    jad_sign_checkpoint_bytes (self->operation_id, cp->hub_seq,
                               cp->head_hash.data, cp->time_ms, msg);
    if (jad_sign_verify (jad_keys_sign_public (self->hub_keys), msg, sizeof msg,
                         cp->signature.data) != 0) {
        s_alarm (self, "checkpoint %" PRIu64 ": the hub's signature does not "
                 "verify", cp->hub_seq);
        goto out;
    }
    if (jad_journal_record_put (self->mirror, JAD_JOURNAL_CHECKPOINTS,
                                cp->hub_seq, buf, len, err, sizeof err) != 0)
        jad_log_warn ("mirror: cannot store checkpoint %" PRIu64 ": %s",
                      cp->hub_seq, err);
    if (self->n_cp_wait == sizeof self->cp_wait / sizeof self->cp_wait[0])
        s_checkpoints_check (self);
    if (self->n_cp_wait < sizeof self->cp_wait / sizeof self->cp_wait[0]) {
        self->cp_wait[self->n_cp_wait].seq = cp->hub_seq;
        memcpy (self->cp_wait[self->n_cp_wait].hash, cp->head_hash.data,
                JAD_HASH_BYTES);
        self->n_cp_wait++;
    }
    s_checkpoints_check (self);
out:
    jad_wire_free (&cp);
}

/* A roster record: check the hub's signature and keep it, so the mirror
 * can be verified on its own, years later. */
static void
s_on_roster (jad_agent_t *self, const uint8_t *buf, size_t len)
{
    if (self->mirror_off || !self->has_operation)
        return;
    char err[256];
    Jad__RosterRecord *rec = (Jad__RosterRecord *) jad_wire_decode (
        &jad__roster_record__descriptor, buf, len, JAD_FRAME_MAX, err, sizeof err);
    uint8_t msg[JAD_SIGN_ROSTER_LEN];
    if (!rec || !rec->has_effective_seq || rec->signature.len != JAD_SIGN_BYTES) {
        s_alarm (self, "malformed roster record from the hub: %s",
                 rec ? "fields missing" : err);
        goto out;
    }
    jad_sign_roster_bytes (self->operation_id, rec->effective_seq,
                           (const char *) rec->roster.data, rec->roster.len,
                           rec->time_ms, msg);
    if (jad_sign_verify (jad_keys_sign_public (self->hub_keys), msg, sizeof msg,
                         rec->signature.data) != 0) {
        s_alarm (self, "roster from entry %" PRIu64 ": the hub's signature "
                 "does not verify", rec->effective_seq);
        goto out;
    }
    if (jad_journal_record_put (self->mirror, JAD_JOURNAL_ROSTERS,
                                rec->effective_seq, buf, len, err, sizeof err) != 0)
        jad_log_warn ("mirror: cannot store the roster: %s", err);
out:
    jad_wire_free (&rec);
}

/* An entry arrived (on either socket): check it names its sequence. */
static void
s_on_entry (jad_agent_t *self, const uint8_t *buf, size_t len, int live,
            int64_t now)
{
    if (self->mirror_off)
        return;
    char err[256];
    Jad__Entry *entry = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!entry || !entry->has_hub_seq || entry->hub_seq == 0) {
        jad_log_warn ("%s entry dropped: %s", live ? "feed" : "catch-up",
                      entry ? "no hub_seq" : err);
        jad_wire_free (&entry);
        return;
    }
    uint64_t seq = entry->hub_seq;
    jad_wire_free (&entry);
    if (!live)
        self->catchup_heard = now;
    if (seq > self->hub_head)
        self->hub_head = seq;
    if (live && self->catchup_inflight) {
        /* Held until the catch-up ends (the Clone pattern); when the
         * buffer is full the entry is dropped and a later catch-up gets it. */
        if (seq > self->pending_head && self->n_live < S_LIVE_BUF_MAX) {
            uint8_t *copy = malloc (len ? len : 1);
            if (copy) {
                memcpy (copy, buf, len);
                self->live[self->n_live++] = (s_entry_t) { seq, copy, len };
            }
        }
        return;
    }
    s_mirror_offer (self, seq, buf, len, live, now);
}

/* Ask for entries from pending_head + 1 when one is wanted and none is in
 * flight. */
static void
s_catchup_tick (jad_agent_t *self, int64_t now)
{
    /* Not before the hub told us its operation: the checkpoints and
     * rosters a catch-up brings are verified against it. */
    if (self->mirror_off || !self->welcomed || !self->has_operation)
        return;
    /* Unanswered: nothing of the answer for a while.  On a slow link one
     * answer takes longer than that to arrive whole; asking again then
     * would only queue a second copy behind the first. */
    int64_t heard = self->catchup_heard > self->catchup_sent
                  ? self->catchup_heard : self->catchup_sent;
    if (self->catchup_inflight && now - heard >= S_CATCHUP_TIMEOUT) {
        jad_log_warn ("mirror: catch-up from %" PRIu64 " unanswered for %d s, "
                      "asking again", self->pending_head + 1,
                      S_CATCHUP_TIMEOUT / 1000);
        self->catchup_inflight = 0;
        self->need_catchup = 1;
    }
    if (!self->need_catchup || self->catchup_inflight || now < self->mirror_hold
    ||  self->blocked)
        return;
    Jad__CatchupRequest req = JAD__CATCHUP_REQUEST__INIT;
    req.has_from_seq = 1;
    req.from_seq = self->pending_head + 1;
    req.has_credit = 1;
    req.credit = JAD_AGENT_CREDIT;
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_CATCHUP;
    frame.catchup = &req;
    if (s_send (self, &frame) == 0) {
        jad_log_debug ("mirror: catch-up from %" PRIu64, req.from_seq);
        self->catchup_inflight = 1;
        self->catchup_sent = now;
        self->need_catchup = 0;
    }
}

static void
s_on_catchup_end (jad_agent_t *self, const Jad__CatchupEnd *end, int64_t now)
{
    if (end->has_head_seq && end->head_seq > self->hub_head)
        self->hub_head = end->head_seq;
    self->catchup_inflight = 0;
    if (end->has_more && end->more) {
        self->need_catchup = 1;
        return;
    }
    /* Apply the live entries held meanwhile; a gap among them asks again. */
    for (size_t i = 0; i < self->n_live; i++) {
        s_mirror_offer (self, self->live[i].seq, self->live[i].buf,
                        self->live[i].len, 1, now);
        free (self->live[i].buf);
    }
    self->n_live = 0;
    if (self->hub_head > self->pending_head)
        self->need_catchup = 1;
}

/* The operation id, from a hub heartbeat: the outbox's envelopes are
 * sealed for it; a different one stops sending (logged once). */
static void
s_on_operation (jad_agent_t *self, const ProtobufCBinaryData *id)
{
    if (id->len != JAD_ID_BYTES)
        return;
    if (self->has_operation || self->operation_bad) {
        if (self->has_operation && memcmp (id->data, self->operation_id, JAD_ID_BYTES) != 0
        &&  !self->operation_bad) {
            jad_log_error ("hub changed its operation id: sending stops");
            self->operation_bad = 1;
        }
        return;
    }
    char err[256];
    if (jad_outbox_set_operation (self->outbox, id->data, err, sizeof err) != 0) {
        jad_log_error ("%s: the hub runs another operation; "
                       "nothing will be sent", err);
        self->operation_bad = 1;
        return;
    }
    memcpy (self->operation_id, id->data, JAD_ID_BYTES);
    self->has_operation = 1;
    jad_log_notice ("operation id learned from the hub; sending");

    jad_journal_meta_t m;
    if (jad_journal_meta_get (self->mirror, &m) == 0) {
        if (!m.has) {
            memcpy (m.id, id->data, JAD_ID_BYTES);
            if (jad_journal_meta_set (self->mirror, &m) != 0)
                jad_log_warn ("mirror: cannot record the operation id");
        }
        else
        if (memcmp (m.id, id->data, JAD_ID_BYTES) != 0) {
            jad_log_error ("mirror %s/mirror belongs to another operation: "
                           "not mirroring", self->dir);
            self->mirror_off = 1;
        }
    }
}

static void
s_on_heartbeat (jad_agent_t *self, const Jad__Heartbeat *hb)
{
    if (hb->has_operation_id)
        s_on_operation (self, &hb->operation_id);
    if (hb->has_head_seq) {
        if (hb->head_seq > self->hub_head)
            self->hub_head = hb->head_seq;
        /* The last live entry may have been lost: the head says so. */
        if (hb->head_seq > self->pending_head && !self->catchup_inflight)
            self->need_catchup = 1;
    }
}

/* ------------------------------------------------------------ receiving */

static int
s_incarnation_ours (jad_agent_t *self, protobuf_c_boolean has,
                    const ProtobufCBinaryData *inc)
{
    return has && inc->len == JAD_ID_BYTES
        && memcmp (inc->data, jad_outbox_incarnation (self->outbox), JAD_ID_BYTES) == 0;
}

/* An ack for flight entry I, sent at SENT_AT.  One connection delivers in
 * order and the hub answers in the order it received, so an entry still
 * unanswered that was sent before it was lost on the way, or its answer
 * was (a hub drops what a full pipe to us cannot take): resend it now
 * rather than at its timer, which after a long outage may be 30 s away. */
static void
s_flight_answered (jad_agent_t *self, long i, int64_t now)
{
    if (i < 0 || self->flight[i].done)
        return;
    s_flight_t *acked = &self->flight[i];
    if (!acked->resent)
        s_rtt_sample (self, now - acked->sent_at);
    for (long j = (long) self->flo; j < i; j++) {
        s_flight_t *f = &self->flight[j];
        if (!f->done && f->sent_at < acked->sent_at && f->due > now) {
            f->due = now;
            f->fast = 1;
        }
    }
    s_flight_done (self, i);
}

static void
s_on_ack (jad_agent_t *self, const Jad__Ack *ack, int64_t now)
{
    if (!s_incarnation_ours (self, ack->has_incarnation, &ack->incarnation)
    ||  !ack->has_origin_seq || !ack->has_hub_seq) {
        jad_log_warn ("ack for another incarnation or incomplete: ignored");
        return;
    }
    s_flight_answered (self, s_flight_find (self, ack->origin_seq), now);
    if (self->n_acks == S_ACKS_MAX)
        s_flush_acks (self);
    self->ack_seqs[self->n_acks] = ack->origin_seq;
    self->ack_hubs[self->n_acks] = ack->hub_seq;
    self->n_acks++;
}

static void
s_on_error (jad_agent_t *self, const Jad__ErrorReply *e, int64_t now)
{
    const char *code = e->has_code ? s_code_name (e->code) : "UNSPECIFIED";
    const char *msg = e->message ? e->message : "";
    if (!e->has_origin_seq
    ||  !s_incarnation_ours (self, e->has_incarnation, &e->incarnation)) {
        jad_log_warn ("hub error %s: %s", code, msg);
        return;
    }
    long i = s_flight_find (self, e->origin_seq);
    if (e->has_code && e->code == JAD__ERROR_CODE__UNAVAILABLE) {
        jad_log_info ("hub unavailable for origin_seq %" PRIu64 ": %s; "
                      "retrying later", e->origin_seq, msg);
        if (i >= 0) {
            s_flight_t *f = &self->flight[i];
            f->due = now + f->backoff;
            f->backoff = f->backoff * 2 > S_RESEND_MAX_MS ? S_RESEND_MAX_MS : f->backoff * 2;
        }
        return;
    }
    /* Final: resending the same bytes gets the same answer.  Kept in
     * `rejected`, shown by status, never dropped silently. */
    jad_log_error ("hub refused origin_seq %" PRIu64 ": %s: %s",
                   e->origin_seq, code, msg);
    s_flush_acks (self);
    char err[256];
    if (jad_outbox_reject (self->outbox, e->origin_seq,
                           e->has_code ? (uint32_t) e->code : 0, msg,
                           err, sizeof err) < 0)
        jad_log_error ("outbox: cannot move origin_seq %" PRIu64
                       " to rejected: %s", e->origin_seq, err);
    s_flight_done (self, i);
}

/* Receive one single-part message from SOCK without blocking into MSG.
 * 1 got one, 0 nothing waiting, -1 a multi-part message (dropped). */
static int
s_recv (zsock_t *sock, zmq_msg_t *msg)
{
    void *raw = zsock_resolve (sock);
    if (zmq_msg_recv (msg, raw, ZMQ_DONTWAIT) < 0)
        return 0;
    if (!zmq_msg_more (msg))
        return 1;
    zmq_msg_t rest;
    zmq_msg_init (&rest);
    while (zmq_msg_more (msg) || zmq_msg_more (&rest)) {
        if (zmq_msg_recv (&rest, raw, ZMQ_DONTWAIT) < 0)
            break;
        if (!zmq_msg_more (&rest))
            break;
    }
    zmq_msg_close (&rest);
    return -1;
}

static void
s_on_dealer (jad_agent_t *self, const uint8_t *buf, size_t len, int64_t now)
{
    if (self->hub_heard == 0 || now - self->hub_heard >= JAD_AGENT_SILENT_MS) {
        /* back after a silence: the connection may be new */
        s_flight_reset (self, now);
        if (self->catchup_inflight) {
            self->catchup_inflight = 0;
            self->need_catchup = 1;
        }
    }
    self->hub_heard = now;
    if (!self->connected) {
        self->connected = 1;
        jad_log_notice ("hub connected");
    }
    char err[256];
    Jad__Frame *frame = jad_wire_frame_decode (buf, len, err, sizeof err);
    if (!frame) {
        jad_log_warn ("hub sent an undecodable frame: %s", err);
        return;
    }
    switch (frame->body_case) {
        case JAD__FRAME__BODY_ACK:
            s_on_ack (self, frame->ack, now);
            break;
        case JAD__FRAME__BODY_ERROR:
            s_on_error (self, frame->error, now);
            break;
        case JAD__FRAME__BODY_HEARTBEAT:
            s_on_heartbeat (self, frame->heartbeat);
            break;
        case JAD__FRAME__BODY_ENTRY:
            s_on_entry (self, frame->entry.data, frame->entry.len, 0, now);
            break;
        case JAD__FRAME__BODY_CATCHUP_END:
            s_on_catchup_end (self, frame->catchup_end, now);
            break;
        case JAD__FRAME__BODY_CHECKPOINT:
            s_mirror_flush (self, now);
            s_on_checkpoint (self, frame->checkpoint.data, frame->checkpoint.len);
            break;
        case JAD__FRAME__BODY_ROSTER:
            s_on_roster (self, frame->roster.data, frame->roster.len);
            break;
        default:
            jad_log_warn ("hub sent an unexpected frame (body %d)",
                          (int) frame->body_case);
            break;
    }
    jad_wire_free (&frame);
}

static void
s_on_sub (jad_agent_t *self, const uint8_t *buf, size_t len, int64_t now)
{
    if (!self->welcomed) {
        /* The subscription is live: what is missing is fetched now. */
        self->welcomed = 1;
        self->need_catchup = 1;
        jad_log_info ("feed subscribed; catching up from %" PRIu64,
                      self->pending_head + 1);
    }
    if (len == 0)
        return;                 /* an empty welcome */
    char err[256];
    Jad__Frame *frame = jad_wire_frame_decode (buf, len, err, sizeof err);
    if (!frame) {
        jad_log_warn ("feed sent an undecodable frame: %s", err);
        return;
    }
    switch (frame->body_case) {
        case JAD__FRAME__BODY_ENTRY:
            s_on_entry (self, frame->entry.data, frame->entry.len, 1, now);
            break;
        case JAD__FRAME__BODY_HEARTBEAT:
            s_on_heartbeat (self, frame->heartbeat);
            break;
        case JAD__FRAME__BODY_CHECKPOINT:
            s_mirror_flush (self, now);
            s_on_checkpoint (self, frame->checkpoint.data, frame->checkpoint.len);
            break;
        case JAD__FRAME__BODY_ROSTER:
            s_on_roster (self, frame->roster.data, frame->roster.len);
            break;
        case JAD__FRAME__BODY_PARTICIPANTS:
            break;      /* the hub's health relay, for consoles */
        default:
            jad_log_warn ("feed sent an unexpected frame (body %d)",
                          (int) frame->body_case);
            break;
    }
    jad_wire_free (&frame);
}

static void
s_drain (jad_agent_t *self, zsock_t *sock, int64_t now)
{
    for (int n = 0; n < S_DRAIN_MAX; n++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        int rc = s_recv (sock, &msg);
        if (rc == 1) {
            const uint8_t *data = zmq_msg_data (&msg);
            size_t size = zmq_msg_size (&msg);
            if (sock == self->dealer)
                s_on_dealer (self, data, size, now);
            else
                s_on_sub (self, data, size, now);
        }
        else
        if (rc < 0)
            jad_log_warn ("multi-part message dropped");
        zmq_msg_close (&msg);
        if (rc == 0)
            break;
    }
}

/* ------------------------------------------------------------ timers */

static void
s_heartbeat (jad_agent_t *self, const jad_outbox_stats_t *st)
{
    Jad__Health health = JAD__HEALTH__INIT;
    health.has_outbox_depth = 1;
    health.outbox_depth = st->depth;
    health.has_last_acked = 1;
    health.last_acked = st->last_acked;
    health.has_mirror_seq = 1;
    health.mirror_seq = self->mirror_head;
    Jad__Heartbeat hb = JAD__HEARTBEAT__INIT;
    hb.has_head_seq = 1;
    hb.head_seq = self->mirror_head;
    hb.has_time_ms = 1;
    hb.time_ms = jad_time_now_ms ();
    hb.health = &health;
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_HEARTBEAT;
    frame.heartbeat = &hb;
    int64_t now = jad_time_mono_ms ();
    if (s_send (self, &frame) == 0)
        self->heartbeat_due = now + S_HEARTBEAT_MS;
    else
        self->heartbeat_due = now + 100;   /* not connected: try again soon */
}

/* Write DIR/status.json atomically (temp file + rename). */
static void
s_write_status (jad_agent_t *self, const jad_outbox_stats_t *st, int64_t now)
{
    char updated[JAD_TIME_STRLEN];
    jad_time_format (jad_time_now_ms (), updated);
    int connected = self->hub_heard && now - self->hub_heard < JAD_AGENT_SILENT_MS;
    uint64_t lag = self->hub_head > self->mirror_head
                 ? self->hub_head - self->mirror_head : 0;
    FILE *f = fopen (self->status_tmp, "w");
    if (!f) {
        jad_log_warn ("%s: %s", self->status_tmp, strerror (errno));
        return;
    }
    fprintf (f, "{\"pid\":%ld,\"country\":\"%s\",\"origin\":\"%s\","
             "\"connected\":%s,\"hub_head\":%" PRIu64 ",\"outbox_depth\":%" PRIu64
             ",\"last_acked\":%" PRIu64 ",\"last_acked_hub_seq\":%" PRIu64
             ",\"rejected\":%" PRIu64 ",\"mirror_seq\":%" PRIu64
             ",\"mirror_lag\":%" PRIu64 ",\"checkpoint\":%" PRIu64
             ",\"alarm\":%s%s%s,\"updated\":\"%s\"}\n",
             (long) getpid (), self->country, jad_keys_name (self->keys),
             connected ? "true" : "false", self->hub_head, st->depth,
             st->last_acked, st->last_acked_hub_seq, st->rejected,
             self->mirror_head, lag, self->cp_verified,
             self->alarm[0] ? "\"" : "", self->alarm[0] ? self->alarm : "null",
             self->alarm[0] ? "\"" : "", updated);
    if (fclose (f) != 0 || rename (self->status_tmp, self->status_path) != 0)
        jad_log_warn ("%s: %s", self->status_path, strerror (errno));
}

/* libzmq never reconnects a session the hub refused at the handshake
 * (ZAP said no: a key not yet in the roster, or revoked).  An agent whose
 * key is admitted later by a roster reload must not stay deaf until
 * restarted, so a silent hub is dialled again from scratch every
 * JAD_AGENT_REDIAL_MS.  Nothing is lost by it: unacknowledged reports are
 * resent from the outbox and the mirror catches up on the next entry. */
static void
s_redial (jad_agent_t *self, int64_t now)
{
    /* A revoked key is refused for ever: ask less and less often. */
    self->redial_due = now + self->redial_ms;
    self->redial_ms = self->redial_ms * 2 > S_REDIAL_MAX_MS
                    ? S_REDIAL_MAX_MS : self->redial_ms * 2;
    jad_log_notice ("hub silent: dialling %s and %s again",
                    self->hub_endpoint, self->feed_endpoint);
    zsock_disconnect (self->dealer, "%s", self->hub_endpoint);
    zsock_disconnect (self->sub, "%s", self->feed_endpoint);
    if (zsock_connect (self->dealer, "%s", self->hub_endpoint) != 0
    ||  zsock_connect (self->sub, "%s", self->feed_endpoint) != 0)
        jad_log_error ("cannot dial the hub again: %s", zmq_strerror (zmq_errno ()));
}

static void
s_timers (jad_agent_t *self, int64_t now)
{
    int connected = self->hub_heard && now - self->hub_heard < JAD_AGENT_SILENT_MS;
    if (self->connected && !connected) {
        self->connected = 0;
        jad_log_warn ("hub silent for %d s", JAD_AGENT_SILENT_MS / 1000);
    }
    if (connected) {
        self->redial_ms = JAD_AGENT_REDIAL_MS;
        self->redial_due = now + self->redial_ms;
    }
    else
    if (now >= self->redial_due)
        s_redial (self, now);
    if (now >= self->heartbeat_due || now >= self->status_due) {
        jad_outbox_stats_t st;
        if (jad_outbox_stats (self->outbox, &st) != 0) {
            jad_log_error ("outbox: cannot read its statistics");
            memset (&st, 0, sizeof st);
        }
        if (now >= self->heartbeat_due)
            s_heartbeat (self, &st);
        if (now >= self->status_due) {
            s_write_status (self, &st, now);
            self->status_due = now + S_STATUS_MS;
        }
    }
    if (now >= self->resend_due) {
        s_resend (self, now);
        self->resend_due = now + S_RESEND_CHECK_MS;
    }
    s_catchup_tick (self, now);
}

/* ------------------------------------------------------------ run */

int
jad_agent_run (jad_agent_t *self)
{
    assert (self);
    jad_outbox_stats_t st;
    if (jad_outbox_stats (self->outbox, &st) == 0)
        jad_log_notice ("agent %s (%s) running: outbox %" PRIu64 " reports, "
                        "mirror at %" PRIu64, jad_keys_name (self->keys),
                        self->country, st.depth, self->mirror_head);
    self->redial_ms = JAD_AGENT_REDIAL_MS;
    self->redial_due = jad_time_mono_ms () + self->redial_ms;
    while (!zsys_interrupted) {
        void *which = zpoller_wait (self->poller, S_POLL_MS);
        if (!which && (zpoller_terminated (self->poller) || zsys_interrupted))
            break;
        int64_t now = jad_time_mono_ms ();
        self->blocked = 0;
        s_drain (self, self->dealer, now);
        s_drain (self, self->sub, now);
        s_mirror_flush (self, now);
        s_flush_acks (self);
        s_timers (self, now);
        s_send_new (self, now);
    }
    /* Stop cleanly: commit what this loop received, then close. */
    int64_t now = jad_time_mono_ms ();
    s_mirror_flush (self, now);
    s_flush_acks (self);
    if (jad_outbox_stats (self->outbox, &st) == 0)
        s_write_status (self, &st, now);
    jad_log_notice ("stopping: outbox %" PRIu64 " reports, mirror at %" PRIu64,
                    st.depth, self->mirror_head);
    return 0;
}
