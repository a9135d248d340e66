/*  agent: the jad-agent daemon.  See agent/agent.h and docs/PROTOCOL.md.
 *
 *  A loop over the library: the feed client (lib/feed_client.c) dials the
 *  hub, keeps the mirror's entries coming in order and carries our frames;
 *  the outbox (lib/outbox.c) keeps every report until the hub has it; the
 *  window (agent/window.c) says what is in flight and when to resend.
 *  What is the agent's own: sealing and sending the outbox, recording acks
 *  and refusals, committing the mirror, checking the hub's signed records
 *  against it and the hub's head against the last checkpoint it signed
 *  (the alarm), and status.json.
 *
 *  Once per wake-up (a message, or at most 10 ms):
 *    1. read both sockets; entries go to the pending mirror batch, acks to
 *       the pending ack batch;
 *    2. commit both, each in one durable transaction;
 *    3. timers: status.json, resends, the feed's heartbeat and catch-up;
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

#include "jad/report.h"
#include "jad/err.h"
#include "jad/config.h"
#include "jad/entry.h"
#include "jad/envelope.h"
#include "jad/feed_client.h"
#include "jad/file.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/outbox.h"
#include "jad/record.h"
#include "jad/timefmt.h"
#include "agent.h"
#include "window.h"

#define S_POLL_MS          10       /* idle wake-up: notices submits */
#define S_STATUS_MS        1000
#define S_RESEND_CHECK_MS  100      /* how often in-flight timers are looked at */
#define S_MIRROR_HOLD_MS   5000     /* after a mirror commit failed */
#define S_PENDING_MAX      2000     /* mirror entries per commit at most */
#define S_ACKS_MAX         4096     /* acks per commit at most */
#define S_CP_WAIT_MAX      64       /* checkpoints past the mirror's head */

/* An entry received, waiting for this turn's mirror commit. */
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
    jad_keys_t *hub_keys;       /* the hub's public keys */
    jad_outbox_t *outbox;
    jad_journal_t *mirror;
    jad_feed_client_t *feed;    /* the hub: our frames, its feed */
    jad_window_t *window;       /* reports in flight */
    int64_t now;                /* this turn's monotonic time */
    int (*send) (void *, const uint8_t *, size_t);  /* tests: no sockets */
    void *send_arg;

    /* the operation */
    int has_operation;          /* the hub said it and the outbox took it */
    uint8_t operation_id[JAD_ID_BYTES];
    int operation_bad;          /* another operation: send nothing */
    int mirror_off;             /* the mirror is another operation's */

    /* sending */
    uint64_t next_send;         /* origin_seq from which nothing was sent yet */
    uint64_t ack_seqs[S_ACKS_MAX];    /* acks to commit this turn */
    uint64_t ack_hubs[S_ACKS_MAX];
    size_t n_acks;
    int outbox_failed;          /* sealing failed; retried after a pause */
    int64_t outbox_hold;

    /* mirror */
    uint64_t mirror_head;       /* committed head */
    s_entry_t pending[S_PENDING_MAX];   /* received, to commit this turn */
    size_t n_pending;
    uint64_t mirror_failed;     /* our own commits failed in a row (a full
                                   disk): logged when it starts and ends */

    /* trust: the hub's signed records against the mirror */
    char alarm[512];            /* the first break found, "" none */
    uint64_t cp_verified;       /* last checkpoint matched by the mirror */
    int64_t cp_time_ms;         /* ... when the hub signed it (its clock) */
    int head_alarm;             /* the hub's head went behind it: said */
    jad_checkpoint_t cp_wait[S_CP_WAIT_MAX];  /* verified, their entry not
                                                 yet compared */
    size_t n_cp_wait;

    /* timers, monotonic ms */
    int64_t status_due;
    int64_t resend_due;
};

static char *
s_join (const char *dir, const char *name)
{
    size_t len = strlen (dir) + strlen (name) + 2;
    char *path = malloc (len);
    if (path)
        snprintf (path, len, "%s/%s", dir, name);
    return path;
}

/* Something in what the hub sent does not verify: say so loudly, in the
 * log and in status.json (the console shows it); the first break is kept. */
static void s_alarm (jad_agent_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

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

/* ------------------------------------------------------------ check */

int
jad_agent_check (const jad_agent_config_t *cfg, char *err, size_t errlen)
{
    jad_keys_t *keys = NULL, *hub_keys = NULL;
    jad_outbox_t *outbox = NULL;
    char *path = NULL;
    int rc = -1;
    const char *cc = cfg->country;
    if (!jad_report_country_valid (cc)) {
        jad_err_set (err, errlen, "--country: '%s' is not two upper-case letters", cc);
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
        jad_err_set (err, errlen, "%s: no secret key (pass the .secret file)",
               cfg->key_file);
        goto out;
    }
    hub_keys = jad_keys_load (cfg->hub_key_file, err, errlen);
    if (!hub_keys)
        goto out;
    /* An existing outbox must be this country's and this key's. */
    path = s_join (cfg->data_dir, "outbox/data.mdb");
    if (!path) {
        jad_err_set (err, errlen, "out of memory");
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
            jad_err_set (err, errlen, "%s belongs to country %s, not %s", path, country, cc);
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

/* ------------------------------------------------------------ sending */

static int
s_send_submit (jad_agent_t *self, const uint8_t *envelope, size_t len)
{
    size_t flen = 0;
    uint8_t *frame = jad_frame_bytes (JAD_FRAME_SUBMIT, envelope, len, &flen);
    int rc = jad_feed_client_send (self->feed, frame, flen);
    free (frame);
    return rc;
}

/* The outbox seals each new record through here: our signature, once, in
 * the bytes every resend carries. */
static uint8_t *
s_seal_fn (void *arg, const jad_envelope_id_t *id, int64_t event_time_ms,
           const uint8_t *report, size_t report_len, size_t *len_p,
           char *err, size_t errlen)
{
    jad_agent_t *self = arg;
    return jad_envelope_seal (id, event_time_ms, report, report_len,
                              self->keys, len_p, err, errlen);
}

typedef struct {
    jad_agent_t *self;
    size_t sent;
} s_send_ctx_t;

static int
s_send_new_cb (void *arg, const jad_outbox_record_t *rec)
{
    s_send_ctx_t *c = arg;
    jad_agent_t *self = c->self;
    if (!rec->sealed)
        return 1;               /* sealed next turn */
    if (s_send_submit (self, rec->data, rec->len) != 0)
        return 1;
    /* Room was asked for and records come in order: cannot fail. */
    int tracked = jad_window_sent (self->window, rec->origin_seq, self->now);
    assert (tracked == 0);
    (void) tracked;
    self->next_send = rec->origin_seq + 1;
    c->sent++;
    return jad_window_room (self->window) == 0;
}

/* Seal and send what the outbox holds beyond next_send, while the window
 * has room.  Records written by `submit` processes are found here. */
static void
s_send_new (jad_agent_t *self)
{
    size_t room = jad_window_room (self->window);
    if (!self->has_operation || self->operation_bad || room == 0
    ||  jad_feed_client_blocked (self->feed))
        return;
    if (self->outbox_failed && self->now < self->outbox_hold)
        return;
    char err[256];
    if (jad_outbox_seal (self->outbox, room, s_seal_fn, self, err, sizeof err) < 0) {
        jad_log_error ("outbox: %s", err);
        self->outbox_failed = 1;
        self->outbox_hold = self->now + 1000;
        return;
    }
    self->outbox_failed = 0;
    s_send_ctx_t c = { self, 0 };
    if (jad_outbox_scan (self->outbox, self->next_send, room, s_send_new_cb, &c) < 0)
        jad_log_error ("outbox: cannot read the queue");
    if (c.sent)
        jad_log_debug ("sent %zu reports, %zu in flight", c.sent,
                       jad_window_inflight (self->window));
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

/* Resend every report whose timer ran out, with the same bytes.  Not to
 * a hub of another operation: the envelopes are sealed for ours, and its
 * WRONG_OPERATION, final, would move them all to `rejected`. */
static void
s_resend (jad_agent_t *self)
{
    size_t resent = 0;
    uint64_t seq = 0;
    if (self->operation_bad)
        return;
    while (!jad_feed_client_blocked (self->feed)
    &&     jad_window_next_due (self->window, seq, self->now, &seq)) {
        s_resend_ctx_t c = { seq, 0, 0, self };
        if (jad_outbox_scan (self->outbox, seq, 1, s_resend_cb, &c) < 0)
            break;
        if (!c.found) {
            jad_window_forget (self->window, seq);  /* answered meanwhile */
            continue;
        }
        if (!c.sent)
            break;
        resent++;
        jad_window_resent (self->window, seq, self->now);
        seq++;
    }
    if (resent)
        jad_log_info ("resent %zu unacknowledged reports", resent);
}

/* Commit the acks collected this turn in one transaction. */
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

/* ------------------------------------------------------------ answers */

static int
s_ours (jad_agent_t *self, const jad_ident_t *ident)
{
    return ident->has_incarnation && ident->incarnation_len == JAD_ID_BYTES
        && ident->has_origin_seq
        && memcmp (ident->incarnation, jad_outbox_incarnation (self->outbox),
                   JAD_ID_BYTES) == 0;
}

static void
s_on_ack (jad_agent_t *self, const jad_frame_t *f)
{
    if (!s_ours (self, &f->ack.ident)) {
        jad_log_warn ("ack for another incarnation: ignored");
        return;
    }
    jad_window_answered (self->window, f->ack.ident.origin_seq, self->now);
    if (self->n_acks == S_ACKS_MAX)
        s_flush_acks (self);
    self->ack_seqs[self->n_acks] = f->ack.ident.origin_seq;
    self->ack_hubs[self->n_acks] = f->ack.hub_seq;
    self->n_acks++;
}

static void
s_on_error (jad_agent_t *self, const jad_frame_t *f)
{
    const char *code = jad_err_name (f->error.code);
    const char *msg = f->error.message;
    uint64_t seq = f->error.ident.origin_seq;
    if (!s_ours (self, &f->error.ident)) {
        /* About no report of ours (PROTOCOL.md §8): nothing to match. */
        jad_log_warn ("hub error %s: %s", code, msg);
        return;
    }
    if (!jad_err_final (f->error.code)) {
        jad_log_info ("hub unavailable for origin_seq %" PRIu64 ": %s; "
                      "retrying later", seq, msg);
        jad_window_unavailable (self->window, seq, self->now);
        return;
    }
    /* Final: resending the same bytes gets the same answer.  Kept in
     * `rejected`, shown by status, never dropped silently. */
    jad_log_error ("hub refused origin_seq %" PRIu64 ": %s: %s", seq, code, msg);
    s_flush_acks (self);
    char err[256];
    if (jad_outbox_reject (self->outbox, seq, (uint32_t) f->error.code, msg,
                           err, sizeof err) < 0)
        jad_log_error ("outbox: cannot move origin_seq %" PRIu64
                       " to rejected: %s", seq, err);
    jad_window_answered (self->window, seq, self->now);
}

static void
s_on_answer (void *arg, const jad_frame_t *f)
{
    jad_agent_t *self = arg;
    if (f->kind == JAD_FRAME_ACK)
        s_on_ack (self, f);
    else
        s_on_error (self, f);
}

/* ------------------------------------------------------------ mirror */

static void s_checkpoints_check (jad_agent_t *self);

/* Commit this turn's entries to the mirror in one durable transaction. */
static void
s_mirror_flush (jad_agent_t *self)
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
    if (rc == 0) {
        self->mirror_head = self->pending[self->n_pending - 1].seq;
        if (self->mirror_failed)
            jad_log_notice ("mirror: writes succeed again after %" PRIu64
                            " failed commits", self->mirror_failed);
        self->mirror_failed = 0;
        if (self->n_cp_wait)
            s_checkpoints_check (self);
        jad_log_debug ("mirror: head %" PRIu64, self->mirror_head);
    }
    else
    if (rc == JAD_JOURNAL_EIO) {
        /* Our own write failed (a full disk, LMDB): nothing the hub did.
         * Said when it starts failing, not at every try. */
        if (self->mirror_failed++ == 0)
            jad_log_error ("mirror: cannot write %s/mirror: %s; the entries "
                           "are fetched again from the hub every %d s until "
                           "a write succeeds", self->dir, err,
                           S_MIRROR_HOLD_MS / 1000);
        jad_feed_client_rewind (self->feed, self->mirror_head,
                                self->now + S_MIRROR_HOLD_MS);
    }
    else {
        /* An entry that does not chain onto ours means the hub's history
         * differs from what it sent us before: a break, not a glitch. */
        if (rc == JAD_JOURNAL_EBROKEN)
            s_alarm (self, "the hub's chain does not continue the mirror's "
                     "(%s)", err);
        jad_log_error ("mirror: the hub sent what does not follow it: %s; "
                       "catching up from %" PRIu64 " in %d s", err,
                       self->mirror_head + 1, S_MIRROR_HOLD_MS / 1000);
        jad_feed_client_rewind (self->feed, self->mirror_head,
                                self->now + S_MIRROR_HOLD_MS);
    }
    for (size_t i = 0; i < self->n_pending; i++)
        free (self->pending[i].buf);
    self->n_pending = 0;
}

/* The feed client's next entry: kept for this turn's commit. */
static int
s_on_entry (void *arg, uint64_t seq, const uint8_t *buf, size_t len, int live)
{
    jad_agent_t *self = arg;
    (void) live;
    if (self->n_pending == S_PENDING_MAX) {
        s_mirror_flush (self);
        if (jad_feed_client_head (self->feed) != self->mirror_head
        ||  seq != self->mirror_head + 1)
            return -1;          /* the commit failed and rewound the feed */
    }
    uint8_t *copy = malloc (len ? len : 1);
    if (!copy)
        return -1;
    memcpy (copy, buf, len);
    self->pending[self->n_pending++] = (s_entry_t) { seq, copy, len };
    return 0;
}

/* Compare waiting checkpoints with the mirror once it holds their entry;
 * one the mirror cannot read now waits for the next look. */
static void
s_checkpoints_check (jad_agent_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n_cp_wait; i++) {
        const jad_checkpoint_t *cp = &self->cp_wait[i];
        int match = cp->hub_seq > self->mirror_head ? -2
                  : jad_checkpoint_match (cp, self->mirror);
        if (match == -2)
            self->cp_wait[kept++] = *cp;
        else
        if (match == -1)
            s_alarm (self, "checkpoint %" PRIu64 ": entry missing from the "
                     "mirror", cp->hub_seq);
        else
        if (match == 0)
            s_alarm (self, "checkpoint %" PRIu64 ": the mirror's chain does "
                     "not match the hub's signed head", cp->hub_seq);
        else
        if (cp->hub_seq > self->cp_verified) {
            self->cp_verified = cp->hub_seq;
            self->cp_time_ms = cp->time_ms;
        }
    }
    self->n_cp_wait = kept;
}

/* At the start: the last checkpoint the mirror keeps (stored once it
 * verified), checked again, so that the hub's head is held against what
 * it signed before this agent restarted.  Nothing when the mirror has
 * none, or it does not check now (the hub's next ones will). */
static void
s_checkpoint_reload (jad_agent_t *self)
{
    jad_journal_meta_t m;
    jad_checkpoint_t cp;
    uint8_t *buf = NULL;
    size_t len = 0;
    uint64_t key = 0, at = 0;
    char err[256];
    if (jad_journal_meta_get (self->mirror, &m) != 0 || !m.has
    ||  jad_journal_record_floor (self->mirror, JAD_JOURNAL_CHECKPOINTS,
                                  self->mirror_head, &key) != 1
    ||  jad_journal_record_next (self->mirror, JAD_JOURNAL_CHECKPOINTS, key,
                                 &at, &buf, &len) != 1
    ||  at != key)
        goto out;
    if (jad_checkpoint_decode (buf, len, &cp, err, sizeof err) == 0
    &&  cp.hub_seq == key
    &&  jad_checkpoint_verify (&cp, m.id, jad_keys_sign_public (self->hub_keys)) == 0
    &&  jad_checkpoint_match (&cp, self->mirror) == 1) {
        self->cp_verified = cp.hub_seq;
        self->cp_time_ms = cp.time_ms;
    }
out:
    free (buf);
}

/* A hub heartbeat.  A head below a checkpoint the hub signed earlier
 * means it lost entries it had vouched for — restored from an old backup,
 * its journal cut short — and nothing else would say so: its next entries
 * would chain onto a shorter history, refused only once they reach our
 * head.  Only a heartbeat made after that checkpoint counts, by the hub's
 * own clock that stamps both: one already on its way when the checkpoint
 * was signed may arrive after it (the DEALER and the feed are two
 * connections).  Said once. */
static void
s_on_heartbeat (void *arg, const jad_heartbeat_t *hb, int from_feed)
{
    jad_agent_t *self = arg;
    (void) from_feed;
    if (self->head_alarm || self->cp_verified == 0 || !hb->has_head
    ||  !hb->has_time || !self->has_operation || self->operation_bad
    ||  self->mirror_off
    ||  (hb->operation_id && memcmp (hb->operation_id, self->operation_id,
                                     JAD_ID_BYTES) != 0))
        return;
    if (hb->head_seq >= self->cp_verified || hb->time_ms <= self->cp_time_ms)
        return;
    self->head_alarm = 1;
    s_alarm (self, "the hub's head %" PRIu64 " is behind checkpoint %" PRIu64
             " it signed earlier: entries %" PRIu64 "..%" PRIu64 " are gone "
             "from the hub", hb->head_seq, self->cp_verified,
             hb->head_seq + 1, self->cp_verified);
}

/* A checkpoint from the hub: check the hub's signature, keep it beside
 * the mirror, and compare its head hash with the mirror's chain. */
static void
s_on_checkpoint (void *arg, const uint8_t *buf, size_t len)
{
    jad_agent_t *self = arg;
    char err[256];
    jad_checkpoint_t cp;
    s_mirror_flush (self);
    if (jad_checkpoint_decode (buf, len, &cp, err, sizeof err) != 0) {
        s_alarm (self, "malformed checkpoint from the hub: %s", err);
        return;
    }
    if (jad_checkpoint_verify (&cp, self->operation_id,
                               jad_keys_sign_public (self->hub_keys)) != 0) {
        s_alarm (self, "checkpoint %" PRIu64 ": the hub's signature does not "
                 "verify", cp.hub_seq);
        return;
    }
    if (jad_journal_record_put (self->mirror, JAD_JOURNAL_CHECKPOINTS,
                                cp.hub_seq, buf, len, err, sizeof err) != 0)
        jad_log_warn ("mirror: cannot store checkpoint %" PRIu64 ": %s",
                      cp.hub_seq, err);
    if (self->n_cp_wait == S_CP_WAIT_MAX)
        s_checkpoints_check (self);
    if (self->n_cp_wait < S_CP_WAIT_MAX)
        self->cp_wait[self->n_cp_wait++] = cp;
    s_checkpoints_check (self);
}

/* A roster record: check the hub's signature and keep it, so the mirror
 * can be verified on its own, years later. */
static void
s_on_roster (void *arg, const uint8_t *buf, size_t len)
{
    jad_agent_t *self = arg;
    char err[256];
    jad_roster_record_t rec;
    if (jad_roster_record_decode (buf, len, &rec, err, sizeof err) != 0)
        s_alarm (self, "malformed roster record from the hub: %s", err);
    else
    if (jad_roster_record_verify (&rec, self->operation_id,
                                  jad_keys_sign_public (self->hub_keys)) != 0)
        s_alarm (self, "roster from entry %" PRIu64 ": the hub's signature "
                 "does not verify", rec.effective_seq);
    else
    if (jad_journal_record_put (self->mirror, JAD_JOURNAL_ROSTERS,
                                rec.effective_seq, buf, len, err, sizeof err) != 0)
        jad_log_warn ("mirror: cannot store the roster: %s", err);
    jad_roster_record_clear (&rec);
}

/* The hub's operation id: the outbox's envelopes are sealed for it, the
 * mirror holds its entries.  Another one stops sending (the outbox's) or
 * mirroring (the mirror's), logged once. */
static int
s_on_operation (void *arg, const uint8_t *id)
{
    jad_agent_t *self = arg;
    char err[256];
    if (self->operation_bad)
        return -1;              /* said once; nothing more to decide */
    if (self->has_operation) {
        if (memcmp (id, self->operation_id, JAD_ID_BYTES) == 0)
            return self->mirror_off ? -1 : 0;
        jad_log_error ("hub changed its operation id: sending and mirroring "
                       "stop");
        self->operation_bad = 1;
        return -1;
    }
    if (jad_outbox_set_operation (self->outbox, id, err, sizeof err) != 0) {
        /* Neither sent to nor mirrored from: the mirror is not stamped
         * with an operation the outbox refused. */
        jad_log_error ("%s: the hub runs another operation; nothing will be "
                       "sent or mirrored", err);
        self->operation_bad = 1;
        return -1;
    }
    jad_journal_meta_t m;
    if (jad_journal_meta_get (self->mirror, &m) == 0) {
        if (!m.has) {
            memcpy (m.id, id, JAD_ID_BYTES);
            if (jad_journal_meta_set (self->mirror, &m) != 0)
                jad_log_warn ("mirror: cannot record the operation id");
        }
        else
        if (memcmp (m.id, id, JAD_ID_BYTES) != 0) {
            jad_log_error ("mirror %s/mirror belongs to another operation: "
                           "not mirroring", self->dir);
            self->mirror_off = 1;
        }
    }
    memcpy (self->operation_id, id, JAD_ID_BYTES);
    self->has_operation = 1;
    jad_log_notice ("operation id learned from the hub; sending");
    /* Records are verified against the operation: none without one. */
    return self->mirror_off ? -1 : 0;
}

static void
s_health (void *arg, jad_health_t *out)
{
    jad_agent_t *self = arg;
    jad_outbox_stats_t st;
    if (jad_outbox_stats (self->outbox, &st) != 0)
        memset (&st, 0, sizeof st);
    out->outbox_depth = st.depth;
    out->last_acked = st.last_acked;
    out->mirror_seq = self->mirror_head;
}

/* The hub is back after a silence: what is in flight may have been lost
 * with the old connection, so resend it now with a fresh wait. */
static void
s_reconnected (void *arg)
{
    jad_agent_t *self = arg;
    jad_window_reset (self->window, self->now);
}

/* Without sockets (tests): our frames go to the configured hook. */
static int
s_send_hook (void *arg, const uint8_t *buf, size_t len)
{
    jad_agent_t *self = arg;
    return self->send (self->send_arg, buf, len);
}

/* ------------------------------------------------------------ status */

/* Write DIR/status.json atomically (temp file + rename).  "written_ms"
 * (and "updated", the same time in RFC 3339) let a reader tell the file
 * of a daemon that stopped or hangs from a current one (statusfile.h). */
static void
s_write_status (jad_agent_t *self, const jad_outbox_stats_t *st)
{
    char updated[JAD_TIME_STRLEN];
    int64_t written = jad_time_now_ms ();
    jad_time_format (written, updated);
    int connected = jad_feed_client_connected (self->feed, self->now);
    uint64_t hub_head = jad_feed_client_hub_head (self->feed);
    uint64_t lag = hub_head > self->mirror_head ? hub_head - self->mirror_head : 0;
    FILE *f = fopen (self->status_tmp, "w");
    if (!f) {
        jad_log_warn ("%s: %s", self->status_tmp, strerror (errno));
        return;
    }
    fprintf (f, "{\"pid\":%ld,\"country\":\"%s\",\"origin\":\"%s\","
             "\"connected\":%s,\"hub_head\":%" PRIu64 ",\"outbox_depth\":%" PRIu64
             ",\"last_acked\":%" PRIu64 ",\"last_acked_hub_seq\":%" PRIu64
             ",\"rejected\":%" PRIu64 ",\"mirror_seq\":%" PRIu64
             ",\"mirror_lag\":%" PRIu64 ",\"checkpoint\":%" PRIu64 ",\"alarm\":",
             (long) getpid (), self->country, jad_keys_name (self->keys),
             connected ? "true" : "false", hub_head, st->depth,
             st->last_acked, st->last_acked_hub_seq, st->rejected,
             self->mirror_head, lag, self->cp_verified);
    if (self->alarm[0])
        jad_entry_json_string (f, self->alarm);
    else
        fputs ("null", f);
    fprintf (f, ",\"updated\":\"%s\",\"written_ms\":%" PRId64 "}\n", updated,
             written);
    if (fclose (f) != 0 || rename (self->status_tmp, self->status_path) != 0)
        jad_log_warn ("%s: %s", self->status_path, strerror (errno));
}

/* ------------------------------------------------------------ new, destroy */

jad_agent_t *
jad_agent_new (const jad_agent_config_t *cfg, char *err, size_t errlen)
{
    assert (cfg && cfg->data_dir && cfg->country && cfg->key_file
            && cfg->hub_key_file);
    assert ((cfg->hub_endpoint && cfg->feed_endpoint) || cfg->send);
    jad_agent_t *self = calloc (1, sizeof *self);
    jad_agent_t *result = NULL;
    char *path = NULL;
    if (!self) {
        jad_err_set (err, errlen, "out of memory");
        goto out;
    }
    self->dir = strdup (cfg->data_dir);
    self->status_path = s_join (cfg->data_dir, "status.json");
    self->status_tmp = s_join (cfg->data_dir, "status.json.tmp");
    self->window = jad_window_new ();
    if (!self->dir || !self->status_path || !self->status_tmp || !self->window) {
        jad_err_set (err, errlen, "out of memory");
        goto out;
    }
    /* Parents as needed (what --check promised); the directory itself is
     * the agent's alone. */
    if (jad_file_make_dirs (cfg->data_dir, 0700) != 0) {
        jad_err_set (err, errlen, "%s: mkdir: %s", cfg->data_dir, strerror (errno));
        goto out;
    }
    self->keys = jad_keys_load (cfg->key_file, err, errlen);
    if (!self->keys)
        goto out;
    if (!jad_keys_has_secret (self->keys)) {
        jad_err_set (err, errlen, "%s: no secret key (pass the .secret file)",
               cfg->key_file);
        goto out;
    }
    self->hub_keys = jad_keys_load (cfg->hub_key_file, err, errlen);
    if (!self->hub_keys)
        goto out;
    path = s_join (cfg->data_dir, "outbox");
    if (!path) {
        jad_err_set (err, errlen, "out of memory");
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
        jad_err_set (err, errlen, "out of memory");
        goto out;
    }
    self->mirror = jad_journal_open (path, JAD_JOURNAL_CREATE, err, errlen);
    if (!self->mirror)
        goto out;
    if (jad_journal_head (self->mirror, &self->mirror_head) != 0) {
        jad_err_set (err, errlen, "%s: cannot read the mirror's head", path);
        goto out;
    }
    s_checkpoint_reload (self);
    jad_feed_client_config_t fc = {
        .keys = self->keys, .hub_public = jad_keys_public (self->hub_keys),
        .hub_endpoint = cfg->hub_endpoint, .feed_endpoint = cfg->feed_endpoint,
        .head = self->mirror_head,
        .linger_ms = 1000, .role = "mirror"
    };
    jad_feed_client_handlers_t on = {
        .entry = s_on_entry, .checkpoint = s_on_checkpoint,
        .roster = s_on_roster, .answer = s_on_answer,
        .operation = s_on_operation, .health = s_health,
        .reconnected = s_reconnected, .send = cfg->send ? s_send_hook : NULL,
        .heartbeat = s_on_heartbeat
    };
    self->send = cfg->send;
    self->send_arg = cfg->send_arg;
    self->feed = jad_feed_client_new (&fc, &on, self, err, errlen);
    if (!self->feed)
        goto out;
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
    jad_feed_client_destroy (&self->feed);
    for (size_t i = 0; i < self->n_pending; i++)
        free (self->pending[i].buf);
    jad_window_destroy (&self->window);
    jad_journal_destroy (&self->mirror);
    jad_outbox_destroy (&self->outbox);
    jad_keys_destroy (&self->keys);
    jad_keys_destroy (&self->hub_keys);
    free (self->dir);
    free (self->status_path);
    free (self->status_tmp);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ run */

void
jad_agent_input (jad_agent_t *self, const uint8_t *buf, size_t len,
                 int from_feed, int64_t now)
{
    self->now = now;
    jad_feed_client_input (self->feed, buf, len, from_feed, now);
}

void
jad_agent_step (jad_agent_t *self, int64_t now)
{
    self->now = now;
    jad_feed_client_drain (self->feed, now);
    s_mirror_flush (self);
    s_flush_acks (self);
    if (now >= self->status_due) {
        jad_outbox_stats_t st;
        if (jad_outbox_stats (self->outbox, &st) != 0) {
            jad_log_error ("outbox: cannot read its statistics");
            memset (&st, 0, sizeof st);
        }
        s_write_status (self, &st);
        self->status_due = now + S_STATUS_MS;
    }
    if (now >= self->resend_due) {
        s_resend (self);
        self->resend_due = now + S_RESEND_CHECK_MS;
    }
    jad_feed_client_tick (self->feed, now);
    s_send_new (self);
}

int
jad_agent_run (jad_agent_t *self)
{
    assert (self);
    jad_outbox_stats_t st;
    if (jad_outbox_stats (self->outbox, &st) == 0)
        jad_log_notice ("agent %s (%s) running: outbox %" PRIu64 " reports, "
                        "mirror at %" PRIu64, jad_keys_name (self->keys),
                        self->country, st.depth, self->mirror_head);
    while (!zsys_interrupted) {
        if (jad_feed_client_wait (self->feed, S_POLL_MS) < 0)
            break;
        jad_agent_step (self, jad_time_mono_ms ());
    }
    /* Stop cleanly: commit what this turn received, then close. */
    self->now = jad_time_mono_ms ();
    s_mirror_flush (self);
    s_flush_acks (self);
    if (jad_outbox_stats (self->outbox, &st) == 0)
        s_write_status (self, &st);
    jad_log_notice ("stopping: outbox %" PRIu64 " reports, mirror at %" PRIu64,
                    st.depth, self->mirror_head);
    return 0;
}

const char *
jad_agent_alarm (const jad_agent_t *self)
{
    return self->alarm;
}

uint64_t
jad_agent_mirror_head (const jad_agent_t *self)
{
    return self->mirror_head;
}
