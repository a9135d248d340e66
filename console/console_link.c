/*  console_link: entries for the console, from a live hub or a journal.
 *  See console_link.h.  The live half is the common feed client
 *  (lib/feed_client.c) — the same catch-up, gap repair, slow-link timeout
 *  and redial as the agent's mirror; the replay half reads the journal
 *  as jad-replay does.
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
#include "jad/envelope.h"
#include "jad/feed_client.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/report_json.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "console_link.h"

#define S_HELD_MAX        100000    /* live entries held during a catch-up */
#define S_CHUNK           2048      /* replay: entries per read transaction */
#define S_FOLLOW_MS       200       /* replay: how often to look at the head */
#define S_RESEND_FIRST_MS 2000      /* a request unanswered: resend, doubling */
#define S_RESEND_MAX_MS   30000

struct _jad_link_t {
    int          live;          /* 1 live hub, 0 replay */
    /* live */
    jad_keys_t  *keys;          /* our key pair */
    jad_keys_t  *hub_keys;      /* the hub's public key */
    jad_feed_client_t *feed;    /* the hub's feed, our requests */
    jad_model_t *model;         /* fed during jad_link_pump */
    uint8_t      incarnation[JAD_ID_BYTES];  /* this run's, for requests */
    uint64_t     origin_seq;    /* last request's */
    char         answer[256];   /* the hub's answer to the last request */
    uint8_t     *unanswered;    /* the last request's frame, until answered */
    size_t       unanswered_len;
    int64_t      resend_due;    /* mono ms of its next resend */
    int64_t      resend_ivl;
    /* replay */
    jad_journal_t *journal;
    double       speed;
    jad_time_pace_t pace;       /* --speed */
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
    jad_feed_client_destroy (&self->feed);
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
    return self->live ? jad_feed_client_hub_head (self->feed) : self->hub_head;
}

const char *
jad_link_last_answer (const jad_link_t *self)
{
    return self->answer;
}

/* ------------------------------------------------------------ live */

static int
s_on_entry (void *arg, uint64_t seq, const uint8_t *buf, size_t len, int live)
{
    jad_link_t *self = arg;
    (void) live;
    /* Out of memory leaves the totals incomplete: said, and the entry
     * still counts as seen (asking for it again would not help). */
    if (jad_model_entry (self->model, seq, buf, len) != 0)
        self->failed = 1;
    return 0;
}

static void
s_on_roster (void *arg, const uint8_t *buf, size_t len)
{
    jad_link_t *self = arg;
    char err[256];
    if (jad_model_roster (self->model, buf, len, err, sizeof err) != 0)
        { /* a record we cannot read changes nothing */ }
}

static void
s_on_participants (void *arg, const jad_frame_t *f)
{
    jad_link_t *self = arg;
    int64_t t = f->participants.time_ms ? f->participants.time_ms
                                        : jad_time_now_ms ();
    jad_peer_status_t p;
    for (size_t i = 0; jad_frame_peer (f, i, &p) == 0; i++)
        jad_model_health (self->model, p.name, p.country, p.connected,
                          p.last_seen_ms, p.health.outbox_depth,
                          p.health.mirror_seq, t);
}

/* The hub's answer to a request: an ack or a refusal of our last one. */
static void
s_on_answer (void *arg, const jad_frame_t *f)
{
    jad_link_t *self = arg;
    const jad_ident_t *id = f->kind == JAD_FRAME_ACK ? &f->ack.ident
                                                     : &f->error.ident;
    int ours = id->has_origin_seq && id->origin_seq == self->origin_seq
            && id->has_incarnation && id->incarnation_len == JAD_ID_BYTES
            && memcmp (id->incarnation, self->incarnation, JAD_ID_BYTES) == 0;
    if (f->kind == JAD_FRAME_ACK) {
        if (!ours)
            return;
        snprintf (self->answer, sizeof self->answer,
                  "request accepted: hub_seq %" PRIu64, f->ack.hub_seq);
    }
    else {
        if (!jad_err_final (f->error.code) && ours)
            return;             /* the hub asks for a resend later: keep it */
        if (!ours && id->has_origin_seq)
            return;             /* about another report */
        snprintf (self->answer, sizeof self->answer, "refused: %s: %s",
                  jad_err_name (f->error.code), f->error.message);
        if (!ours)
            return;             /* about no report: keep ours going */
    }
    free (self->unanswered);
    self->unanswered = NULL;
}

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
    jad_feed_client_config_t fc = {
        .keys = self->keys, .hub_public = jad_keys_public (self->hub_keys),
        .hub_endpoint = hub, .feed_endpoint = feed, .head = 0,
        .held_max = S_HELD_MAX, .rcvhwm = 100000, .linger_ms = 0,
        .role = "console"
    };
    jad_feed_client_handlers_t on = {
        .entry = s_on_entry, .roster = s_on_roster,
        .participants = s_on_participants, .answer = s_on_answer
    };
    self->feed = jad_feed_client_new (&fc, &on, self, err, errlen);
    if (!self->feed)
        goto fail;
    randombytes_buf (self->incarnation, sizeof self->incarnation);
    snprintf (self->state, sizeof self->state, "connecting");
    return self;
fail:
    jad_link_destroy (&self);
    return NULL;
}

static int
s_pump_live (jad_link_t *self, jad_model_t *model, int budget_ms)
{
    self->model = model;
    int64_t start = jad_time_mono_ms (), now = start;
    for (;;) {
        jad_feed_client_tick (self->feed, now);
        jad_feed_client_drain (self->feed, now);
        now = jad_time_mono_ms ();
        int left = budget_ms - (int) (now - start);
        if (left <= 0 || self->failed
        ||  jad_feed_client_wait (self->feed, left < 50 ? left : 50) < 0)
            break;
        now = jad_time_mono_ms ();
    }
    int64_t heard = jad_feed_client_heard (self->feed);
    if (!heard)
        snprintf (self->state, sizeof self->state, "connecting");
    else
    if (!jad_feed_client_connected (self->feed, now))
        snprintf (self->state, sizeof self->state, "hub silent %" PRId64 "s",
                  (now - heard) / 1000);
    else
    if (!jad_feed_client_caught_up (self->feed))
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
    uint8_t *report = NULL, *env = NULL;
    size_t report_len = 0, env_len = 0;
    if (jad_report_json_parse (line, strlen (line), NULL, &r, &t, &has_t,
                               err, errlen) != 0)
        return -1;
    const uint8_t *op = jad_feed_client_operation (self->feed);
    if (!op)
        op = jad_model_operation_id (model);
    if (!op || !jad_feed_client_heard (self->feed)) {
        snprintf (err, errlen, "not connected to the hub yet");
        goto out;
    }
    report = jad_wire_encode (&r->base, &report_len);
    if (!report) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    jad_envelope_id_t id = {
        .operation_id = op, .origin = jad_keys_name (self->keys),
        .incarnation = self->incarnation, .origin_seq = self->origin_seq + 1
    };
    env = jad_envelope_seal (&id, jad_time_now_ms (), report, report_len,
                             self->keys, &env_len, err, errlen);
    if (!env)
        goto out;
    /* Kept until the hub answers and resent as the same bytes meanwhile:
     * the hub recognises a resend by its sequence and acks it once. */
    free (self->unanswered);
    self->unanswered = jad_frame_bytes (JAD_FRAME_SUBMIT, env, env_len,
                                        &self->unanswered_len);
    if (!self->unanswered) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    self->origin_seq = id.origin_seq;
    self->resend_ivl = S_RESEND_FIRST_MS;
    self->resend_due = jad_time_mono_ms () + self->resend_ivl;
    if (jad_feed_client_send (self->feed, self->unanswered,
                              self->unanswered_len) != 0)
        snprintf (self->answer, sizeof self->answer,
                  "request kept: the hub is not connected, resending");
    else
        snprintf (self->answer, sizeof self->answer,
                  "request sent, waiting for the hub");
    rc = 0;
out:
    free (env);
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
    self->pace.speed = speed;
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
        if (jad_entry_peel (buf, len, &peel, err, sizeof err) == 0
        &&  jad_time_pace (&self->pace, jad_entry_time (&peel),
                           jad_time_mono_ms ()) > 0) {
            scan->paused = 1;
            return 1;
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
    if (jad_feed_client_send (self->feed, self->unanswered,
                              self->unanswered_len) == 0)
        snprintf (self->answer, sizeof self->answer,
                  "request resent, waiting for the hub");
    self->resend_ivl = self->resend_ivl * 2 > S_RESEND_MAX_MS
                     ? S_RESEND_MAX_MS : self->resend_ivl * 2;
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
