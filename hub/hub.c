/*  hub: ingest, journal, acknowledge, publish, catch-up.  See hub.h. */
#include "hub.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>
#include <sodium.h>

#include "jad/config.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/pool.h"
#include "jad/report.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "jad/timefmt.h"
#include "jad/wire.h"
#include "jad/zap.h"

#define S_CHECKPOINT_EVERY   1000   /* entries between two checkpoints */
#define S_CHECKPOINT_MS      5000   /* or this long, when there are new ones */
#define S_CATCHUPS_PER_PEER  4      /* catch-up requests queued per peer */

/* One connected participant, keyed by its CURVE public key. */
typedef struct {
    char     key[41];          /* Z85 public key (ZAP User-Id) */
    char     name[65];         /* roster name when last seen */
    int64_t  last_seen_mono;   /* jad_time_mono_ms of its last frame */
    int64_t  last_seen_wall;   /* same, wall clock, for status */
    int      silent;           /* logged as silent since last seen */
    uint64_t reports;          /* reports journaled from it since start */
    uint64_t mirror_seq;       /* from its heartbeats */
    uint64_t outbox_depth;     /* from its heartbeats */
    uint64_t last_acked;       /* from its heartbeats */
    int      catchups;         /* its requests waiting in the queue */
} s_peer_t;

/* A valid report waiting for this turn's commit. */
typedef struct {
    zframe_t *rid;             /* routing id to answer */
    uint8_t  *envelope;        /* bytes as received (owned) */
    size_t    envelope_len;
    char      origin[65];
    uint8_t   incarnation[JAD_ID_BYTES];
    uint64_t  origin_seq;
    s_peer_t *peer;
    uint8_t  *signed_msg;      /* the bytes the signature covers (owned) */
    size_t    signed_len;
    uint8_t   signature[JAD_SIGN_BYTES];
    uint8_t   sign_key[JAD_SIGN_PUBLIC_BYTES];  /* the sender's, from the roster */
    int       sig_ok;          /* set by the verification pool */
} s_pending_t;

/* A catch-up request waiting to be served. */
typedef struct {
    zframe_t *rid;
    uint64_t  from_seq;
    uint32_t  credit;
    void     *peer;             /* s_peer_t whose request it is */
} s_catchup_t;

struct _jad_hub_t {
    jad_hub_config_t config;
    jad_roster_t  *roster;       /* current roster */
    jad_keys_t    *keys;         /* the hub's CURVE key pair */
    jad_journal_t *journal;
    zactor_t      *zap;
    zsock_t       *router;       /* --listen */
    zsock_t       *pub;          /* --publish */
    zpoller_t     *poller;
    zhashx_t      *peers;        /* key -> s_peer_t */
    zlistx_t      *catchups;     /* s_catchup_t */
    uint8_t        op_id[JAD_ID_BYTES];
    uint32_t       epoch;
    uint64_t       head;         /* last journaled hub_seq */
    s_pending_t    pending[JAD_HUB_BATCH];
    jad_journal_item_t items[JAD_HUB_BATCH];
    size_t         n_pending;
    uint64_t       ingested;     /* new entries since start */
    uint64_t       rate_mark;    /* ingested at the last rate sample */
    double         rate;         /* entries/s, smoothed */
    int64_t        next_tick;    /* mono ms of the next heartbeat/status */
    jad_pool_t    *pool;         /* signature verification workers */
    uint64_t       cp_seq;       /* hub_seq of the last checkpoint */
    int64_t        cp_mono;      /* when it was made */
};

static volatile sig_atomic_t s_reload;

void
jad_hub_request_reload (void)
{
    s_reload = 1;
}

/* ------------------------------------------------------------ helpers */

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
        zframe_destroy (&c->rid);
        free (c);
    }
    *item = NULL;
}

/* Send FRAME (packed) to the peer behind RID.  A vanished peer or a full
 * queue loses the message: the peer resends or catches up. */
static int
s_send (jad_hub_t *self, zframe_t *rid, const Jad__Frame *frame)
{
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame->base, &len);
    if (!buf)
        return -1;
    int rc = -1;
    if (zframe_send (&rid, self->router,
                     ZFRAME_MORE | ZFRAME_REUSE | ZFRAME_DONTWAIT) == 0) {
        zframe_t *body = zframe_new (buf, len);
        rc = zframe_send (&body, self->router, ZFRAME_DONTWAIT);
        zframe_destroy (&body);
    }
    free (buf);
    return rc;
}

static void
s_send_error (jad_hub_t *self, zframe_t *rid, Jad__ErrorCode code,
              const char *message, const Jad__Envelope *env)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    Jad__ErrorReply reply = JAD__ERROR_REPLY__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_ERROR;
    frame.error = &reply;
    reply.has_code = 1;
    reply.code = code;
    reply.message = (char *) message;
    if (env) {
        reply.has_incarnation = 1;
        reply.incarnation = env->incarnation;
        reply.has_origin_seq = 1;
        reply.origin_seq = env->origin_seq;
    }
    s_send (self, rid, &frame);
}

static void
s_heartbeat_frame (jad_hub_t *self, Jad__Frame *frame, Jad__Heartbeat *hb)
{
    jad_wire_heartbeat_frame (frame, hb, self->head, self->epoch, self->op_id);
}

/* Publish FRAME on the feed; a slow subscriber drops it and repairs the
 * gap by catch-up (no XPUB_NODROP: one slow agent must not stall all). */
static void
s_publish_bytes (jad_hub_t *self, const uint8_t *buf, size_t len)
{
    if (!self->pub)
        return;     /* being rebound: subscribers repair the gap */
    zframe_t *f = zframe_new (buf, len);
    if (zframe_send (&f, self->pub, ZFRAME_DONTWAIT) != 0)
        zframe_destroy (&f);
}

static void
s_publish (jad_hub_t *self, const Jad__Frame *frame)
{
    size_t len;
    uint8_t *buf = jad_wire_encode (&frame->base, &len);
    if (buf)
        s_publish_bytes (self, buf, len);
    free (buf);
}


/* ------------------------------------------------------------ signed records */

/* Sign MSG with the hub's key; the hub's key id into KEY_ID. */
static int
s_hub_sign (jad_hub_t *self, const uint8_t *msg, size_t len,
            uint8_t *sig, uint8_t *key_id)
{
    memcpy (key_id, jad_keys_key_id (self->keys), JAD_KEY_ID_BYTES);
    return jad_keys_sign (self->keys, msg, len, sig);
}

static void
s_publish_record (jad_hub_t *self, Jad__Frame__BodyCase kind,
                  uint8_t *buf, size_t len)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = kind;
    if (kind == JAD__FRAME__BODY_CHECKPOINT) {
        frame.checkpoint.data = buf;
        frame.checkpoint.len = len;
    }
    else {
        frame.roster.data = buf;
        frame.roster.len = len;
    }
    s_publish (self, &frame);
}

/* Sign a checkpoint of the current head, store it beside the journal and
 * publish it: anyone holding the hub's public key can then prove entries
 * 1..head are the chain the hub vouched for. */
static int
s_checkpoint (jad_hub_t *self)
{
    if (self->head == 0 || self->head == self->cp_seq)
        return 0;
    uint8_t hash[JAD_HASH_BYTES], msg[JAD_SIGN_CHECKPOINT_LEN];
    uint8_t sig[JAD_SIGN_BYTES], key_id[JAD_KEY_ID_BYTES];
    char err[512];
    if (jad_journal_hash (self->journal, self->head, hash) != 1)
        return -1;
    int64_t now = jad_time_now_ms ();
    jad_sign_checkpoint_bytes (self->op_id, self->head, hash, now, msg);
    if (s_hub_sign (self, msg, sizeof msg, sig, key_id) != 0)
        return -1;
    Jad__Checkpoint cp = JAD__CHECKPOINT__INIT;
    cp.has_hub_seq = 1;
    cp.hub_seq = self->head;
    cp.has_head_hash = 1;
    cp.head_hash.data = hash;
    cp.head_hash.len = sizeof hash;
    cp.has_time_ms = 1;
    cp.time_ms = now;
    cp.has_key_id = 1;
    cp.key_id.data = key_id;
    cp.key_id.len = sizeof key_id;
    cp.has_signature = 1;
    cp.signature.data = sig;
    cp.signature.len = sizeof sig;
    size_t len;
    uint8_t *buf = jad_wire_encode (&cp.base, &len);
    int rc = -1;
    if (buf && jad_journal_record_put (self->journal, JAD_JOURNAL_CHECKPOINTS,
                                       self->head, buf, len, err, sizeof err) == 0) {
        s_publish_record (self, JAD__FRAME__BODY_CHECKPOINT, buf, len);
        self->cp_seq = self->head;
        self->cp_mono = jad_time_mono_ms ();
        jad_log_debug ("checkpoint at %" PRIu64, self->head);
        rc = 0;
    }
    else
        jad_log_error ("checkpoint: %s", buf ? err : "out of memory");
    free (buf);
    return rc;
}

typedef struct {
    jad_hub_t *hub;
    int        ok;
} s_cp_check_t;

static int
s_cp_check_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_cp_check_t *check = arg;
    char err[256];
    uint8_t hash[JAD_HASH_BYTES];
    Jad__Checkpoint *cp = (Jad__Checkpoint *) jad_wire_decode (
        &jad__checkpoint__descriptor, buf, len, JAD_FRAME_MAX, err, sizeof err);
    check->ok = cp && cp->head_hash.len == JAD_HASH_BYTES
             && jad_journal_hash (check->hub->journal, seq, hash) == 1
             && memcmp (hash, cp->head_hash.data, JAD_HASH_BYTES) == 0;
    jad_wire_free (&cp);
    return 1;
}

static int
s_check_last_checkpoint (jad_hub_t *self, char *err, size_t errlen)
{
    s_cp_check_t check = { self, 0 };
    if (jad_journal_record_scan (self->journal, JAD_JOURNAL_CHECKPOINTS,
                                 self->cp_seq, 1, s_cp_check_fn, &check) != 1
    ||  !check.ok) {
        snprintf (err, errlen, "the journal does not match its last signed "
                  "checkpoint (entry %" PRIu64 "): it was altered; run "
                  "jad-verify, refusing to extend it", self->cp_seq);
        return -1;
    }
    return 0;
}

/* Record the current roster, signed, as governing entries from head + 1
 * on, and publish it.  The journal thus holds every roster the hub ever
 * applied, so a signature can be checked against the roster of its time
 * years later, revocations included. */
static int
s_record_roster (jad_hub_t *self)
{
    char *text = jad_roster_format (self->roster);
    if (!text)
        return -1;
    uint64_t effective = self->head + 1;
    int64_t now = jad_time_now_ms ();
    uint8_t msg[JAD_SIGN_ROSTER_LEN], sig[JAD_SIGN_BYTES];
    uint8_t key_id[JAD_KEY_ID_BYTES];
    char err[512];
    int rc = -1;
    jad_sign_roster_bytes (self->op_id, effective, text, strlen (text), now, msg);
    Jad__RosterRecord rec = JAD__ROSTER_RECORD__INIT;
    rec.has_effective_seq = 1;
    rec.effective_seq = effective;
    rec.has_roster = 1;
    rec.roster.data = (uint8_t *) text;
    rec.roster.len = strlen (text);
    rec.has_time_ms = 1;
    rec.time_ms = now;
    rec.has_key_id = 1;
    rec.key_id.data = key_id;
    rec.key_id.len = sizeof key_id;
    rec.has_signature = 1;
    rec.signature.data = sig;
    rec.signature.len = sizeof sig;
    size_t len = 0;
    uint8_t *buf = NULL;
    if (s_hub_sign (self, msg, sizeof msg, sig, key_id) == 0)
        buf = jad_wire_encode (&rec.base, &len);
    if (buf && jad_journal_record_put (self->journal, JAD_JOURNAL_ROSTERS,
                                       effective, buf, len, err, sizeof err) == 0) {
        s_publish_record (self, JAD__FRAME__BODY_ROSTER, buf, len);
        jad_log_notice ("roster recorded: governs entries from %" PRIu64,
                        effective);
        rc = 0;
    }
    else
        jad_log_error ("cannot record the roster: %s", buf ? err : "signing failed");
    free (buf);
    free (text);
    return rc;
}

typedef struct {
    char *text;     /* the last recorded roster's text (owned) */
} s_last_roster_t;

static int
s_last_roster_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_last_roster_t *last = arg;
    char err[256];
    (void) seq;
    Jad__RosterRecord *rec = (Jad__RosterRecord *) jad_wire_decode (
        &jad__roster_record__descriptor, buf, len, JAD_FRAME_MAX, err, sizeof err);
    if (rec && rec->has_roster) {
        free (last->text);
        last->text = strndup ((const char *) rec->roster.data, rec->roster.len);
    }
    jad_wire_free (&rec);
    return 0;
}

/* The roster last recorded in the journal, parsed; NULL when none. */
static jad_roster_t *
s_recorded_roster (jad_hub_t *self)
{
    uint64_t seq = 0;
    s_last_roster_t last = { NULL };
    jad_roster_t *roster = NULL;
    char err[512];
    if (jad_journal_record_last (self->journal, JAD_JOURNAL_ROSTERS, &seq) == 0
    &&  seq > 0
    &&  jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS, seq, 1,
                                 s_last_roster_fn, &last) == 1
    &&  last.text) {
        roster = jad_roster_parse (last.text, strlen (last.text),
                                   "recorded roster", err, sizeof err);
        if (!roster)
            jad_log_error ("the journal's last roster does not parse: %s", err);
    }
    free (last.text);
    return roster;
}

/* Carry revocations from PREVIOUS (the roster in force) into FRESH (the
 * file just loaded): a participant deleted from the file or marked
 * `revoked` is revoked from entry head + 1 on and stays listed, so the
 * entries it signed before still verify; a revocation is permanent.
 * Returns the number of newly revoked participants. */
static int
s_merge_revocations (jad_hub_t *self, jad_roster_t *fresh,
                     const jad_roster_t *previous)
{
    int revoked = 0;
    uint64_t from = self->head + 1;
    for (size_t i = 0; previous && i < jad_roster_size (previous); i++) {
        const jad_participant_t *was = jad_roster_at (previous, i);
        const jad_participant_t *now = jad_roster_find_name (fresh, was->name);
        if (!now) {
            jad_participant_t kept = *was;
            if (!kept.revoked_seq) {
                kept.revoked = 1;
                kept.revoked_seq = from;
                revoked++;
                jad_log_notice ("participant %s revoked from entry %" PRIu64,
                                was->name, from);
            }
            if (jad_roster_add (fresh, &kept) != 0)
                jad_log_error ("cannot keep revoked participant %s", was->name);
            continue;
        }
        if (was->revoked_seq && (!now->revoked || now->revoked_seq != was->revoked_seq)) {
            if (!now->revoked)
                jad_log_warn ("participant %s stays revoked (since entry %" PRIu64
                              "): a revocation is permanent; give it a new key "
                              "and name", was->name, was->revoked_seq);
            jad_roster_set_revoked (fresh, was->name, was->revoked_seq);
        }
    }
    for (size_t i = 0; i < jad_roster_size (fresh); i++) {
        const jad_participant_t *p = jad_roster_at (fresh, i);
        if (p->revoked && !p->revoked_seq) {
            jad_roster_set_revoked (fresh, p->name, from);
            revoked++;
            jad_log_notice ("participant %s revoked from entry %" PRIu64,
                            p->name, from);
        }
    }
    return revoked;
}

/* ------------------------------------------------------------ sockets */


static int
s_apply_roster_keys (jad_hub_t *self)
{
    size_t n = jad_roster_size (self->roster);
    const char **keys = calloc (n ? n : 1, sizeof *keys);
    if (!keys)
        return -1;
    size_t admitted = 0;
    for (size_t i = 0; i < n; i++) {
        const jad_participant_t *p = jad_roster_at (self->roster, i);
        if (!p->revoked)
            keys[admitted++] = p->public_key;
    }
    int rc = jad_zap_set_keys (self->zap, keys, admitted);
    free (keys);
    return rc;
}

static int
s_rebuild_poller (jad_hub_t *self)
{
    zpoller_destroy (&self->poller);
    self->poller = zpoller_new (self->router, NULL);
    if (self->poller && self->pub)
        zpoller_add (self->poller, self->pub);
    return self->poller ? 0 : -1;
}

/* (Re)bind the feed socket.  libzmq closes a socket's listener in its
 * reaper thread, so right after a close the port may still be taken for a
 * moment: retry briefly here, and on every tick after that. */
static void
s_rebind_feed (jad_hub_t *self)
{
    char err[512] = "";
    for (int attempt = 0; attempt < 40 && !self->pub; attempt++) {
        self->pub = jad_zap_server_socket (self->keys, ZMQ_XPUB,
                                           self->config.publish,
                                           err, sizeof err);
        if (!self->pub)
            zclock_sleep (50);
    }
    if (!self->pub)
        jad_log_error ("feed socket: %s; retrying", err);
    else
        jad_log_notice ("feed socket rebound: subscribers reconnect through ZAP");
    s_rebuild_poller (self);
}

/* ------------------------------------------------------------ roster */

/* SIGHUP: load the roster again.  A roster of another operation is
 * refused.  When a key was revoked, the feed socket is rebound so every
 * subscriber goes through ZAP again (ZAP runs only at the handshake); the
 * ROUTER checks the roster on every message, so it needs nothing. */
static void
s_reload_roster (jad_hub_t *self)
{
    char err[512];
    jad_roster_t *fresh = jad_roster_load (self->config.roster, err, sizeof err);
    if (!fresh) {
        jad_log_error ("roster reload refused, keeping the old one: %s", err);
        return;
    }
    if (memcmp (jad_roster_id (fresh), self->op_id, JAD_ID_BYTES) != 0) {
        jad_log_error ("roster reload refused: %s belongs to another "
                       "operation", self->config.roster);
        jad_roster_destroy (&fresh);
        return;
    }
    int revoked = s_merge_revocations (self, fresh, self->roster);
    jad_roster_destroy (&self->roster);
    self->roster = fresh;
    if (s_apply_roster_keys (self) != 0)
        jad_log_error ("cannot update the ZAP handler's keys");
    jad_log_notice ("roster reloaded: %zu participants, %d revoked",
                    jad_roster_size (fresh), revoked);
    s_record_roster (self);
    if (revoked) {
        zsock_destroy (&self->pub);
        s_rebind_feed (self);
    }
}

/* ------------------------------------------------------------ ingest */

static s_peer_t *
s_peer (jad_hub_t *self, const char *key, const jad_participant_t *who)
{
    s_peer_t *peer = zhashx_lookup (self->peers, key);
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

/* Check that CORRECTION supersedes an earlier entry from COUNTRY. */
static int
s_check_correction (jad_hub_t *self, const Jad__Correction *correction,
                    const char *country, char *err, size_t errlen)
{
    uint64_t seq = correction->supersedes;
    if (seq == 0 || seq > self->head) {
        snprintf (err, errlen, "correction.supersedes: no entry %" PRIu64
                  " in the journal", seq);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len;
    int rc = -1;
    Jad__Entry *entry = NULL;
    Jad__Envelope *env = NULL;
    if (jad_journal_get (self->journal, seq, &buf, &len) != 1) {
        snprintf (err, errlen, "correction.supersedes: entry %" PRIu64
                  " cannot be read", seq);
        goto out;
    }
    char derr[256];
    entry = jad_wire_entry_decode (buf, len, derr, sizeof derr);
    env = entry ? jad_wire_envelope_decode (entry->envelope.data,
                                            entry->envelope.len,
                                            derr, sizeof derr) : NULL;
    const jad_participant_t *was = env ? jad_roster_find_name (self->roster,
                                                              env->origin) : NULL;
    if (!was || strcmp (was->country, country) != 0) {
        snprintf (err, errlen, "correction.supersedes: entry %" PRIu64
                  " is not a report from %s", seq, country);
        goto out;
    }
    rc = 0;
out:
    jad_wire_free (&env);
    jad_wire_free (&entry);
    free (buf);
    return rc;
}

/* Check that ACK names an earlier journaled request addressed to COUNTRY
 * (or to all countries).  The request must be in the journal already: one
 * in this turn's batch is not yet, and the agent cannot have seen it. */
static int
s_check_request_ack (jad_hub_t *self, const Jad__RequestAck *ack,
                     const char *country, char *err, size_t errlen)
{
    uint64_t seq = ack->request_seq;
    uint8_t *buf = NULL;
    size_t len;
    int rc = -1;
    Jad__Entry *entry = NULL;
    Jad__Envelope *env = NULL;
    Jad__Report *report = NULL;
    char derr[256];
    if (seq == 0 || seq > self->head
    ||  jad_journal_get (self->journal, seq, &buf, &len) != 1) {
        snprintf (err, errlen, "request_ack.request_seq: no entry %" PRIu64
                  " in the journal", seq);
        goto out;
    }
    entry = jad_wire_entry_decode (buf, len, derr, sizeof derr);
    env = entry ? jad_wire_envelope_decode (entry->envelope.data,
                                            entry->envelope.len,
                                            derr, sizeof derr) : NULL;
    report = env ? jad_wire_report_decode (env->report.data, env->report.len,
                                           derr, sizeof derr) : NULL;
    if (!report || report->body_case != JAD__REPORT__BODY_REQUEST) {
        snprintf (err, errlen, "request_ack.request_seq: entry %" PRIu64
                  " is not a request", seq);
        goto out;
    }
    int addressed = report->request->has_all && report->request->all;
    for (size_t i = 0; !addressed && i < report->request->n_to; i++)
        addressed = strcmp (report->request->to[i], country) == 0;
    if (!addressed) {
        snprintf (err, errlen, "request_ack.request_seq: request %" PRIu64
                  " is not addressed to %s", seq, country);
        goto out;
    }
    rc = 0;
out:
    jad_wire_free (&report);
    jad_wire_free (&env);
    jad_wire_free (&entry);
    free (buf);
    return rc;
}

/* What each role may send: agents every kind but request; coordinators
 * request and sitrep, without a country; nobody else anything.  0, or -1
 * with the reason in ERR (FORBIDDEN). */
static int
s_check_role (const jad_participant_t *who, const Jad__Report *report,
              char *err, size_t errlen)
{
    const char *kind = jad_report_type_name (report);
    if (who->role == JAD_ROLE_AGENT) {
        if (report->body_case == JAD__REPORT__BODY_REQUEST) {
            snprintf (err, errlen, "role agent may not send %s", kind);
            return -1;
        }
        if (report->country && strcmp (report->country, who->country) != 0) {
            snprintf (err, errlen, "country: \"%s\" is not the sender's "
                      "country \"%s\"", report->country, who->country);
            return -1;
        }
        return 0;
    }
    if (report->body_case != JAD__REPORT__BODY_REQUEST
    &&  report->body_case != JAD__REPORT__BODY_SITREP) {
        snprintf (err, errlen, "role %s may not send %s",
                  jad_roster_role_name (who->role), kind);
        return -1;
    }
    if (report->country) {
        snprintf (err, errlen, "country: a %s's reports carry no country",
                  jad_roster_role_name (who->role));
        return -1;
    }
    return 0;
}

/* A submitted envelope: validate it and queue it for this turn's commit,
 * or answer with an error.  Takes ownership of RID. */
static void
s_submit (jad_hub_t *self, zframe_t **rid_p, s_peer_t *peer,
          const jad_participant_t *who, const Jad__Frame *frame)
{
    char err[512];
    Jad__Envelope *env = jad_wire_envelope_decode (frame->submit.data,
                                                   frame->submit.len,
                                                   err, sizeof err);
    Jad__Report *report = NULL;
    Jad__ErrorCode code = JAD__ERROR_CODE__MALFORMED;
    if (!env) {
        if (strstr (err, "over the limit"))
            code = JAD__ERROR_CODE__TOO_LARGE;
        goto refuse;
    }
    if (memcmp (env->operation_id.data, self->op_id, JAD_ID_BYTES) != 0) {
        code = JAD__ERROR_CODE__WRONG_OPERATION;
        snprintf (err, sizeof err, "operation_id: not this hub's operation");
        goto refuse;
    }
    if (who->role != JAD_ROLE_AGENT && who->role != JAD_ROLE_COORDINATOR) {
        code = JAD__ERROR_CODE__FORBIDDEN;
        snprintf (err, sizeof err, "role %s may not submit reports",
                  jad_roster_role_name (who->role));
        goto refuse;
    }
    if (strcmp (env->origin, who->name) != 0) {
        code = JAD__ERROR_CODE__FORBIDDEN;
        snprintf (err, sizeof err, "origin: \"%.64s\" is not the sender "
                  "\"%s\"", env->origin, who->name);
        goto refuse;
    }
    if (!env->has_key_id || env->key_id.len != JAD_KEY_ID_BYTES
    ||  memcmp (env->key_id.data, who->key_id, JAD_KEY_ID_BYTES) != 0) {
        code = JAD__ERROR_CODE__BAD_SIGNATURE;
        snprintf (err, sizeof err, "key_id: %s", env->has_key_id
                  ? "not the sender's signing key" : "missing (unsigned report)");
        goto refuse;
    }
    if (!env->has_signature || env->signature.len != JAD_SIGN_BYTES) {
        code = JAD__ERROR_CODE__BAD_SIGNATURE;
        snprintf (err, sizeof err, "signature: missing or not %d bytes",
                  JAD_SIGN_BYTES);
        goto refuse;
    }
    report = jad_wire_report_decode (env->report.data, env->report.len,
                                     err, sizeof err);
    if (!report || jad_report_validate (report, err, sizeof err) != 0)
        goto refuse;
    if (s_check_role (who, report, err, sizeof err) != 0) {
        code = JAD__ERROR_CODE__FORBIDDEN;
        goto refuse;
    }
    if (report->body_case == JAD__REPORT__BODY_CORRECTION
    &&  s_check_correction (self, report->correction, who->country,
                            err, sizeof err) != 0)
        goto refuse;
    if (report->body_case == JAD__REPORT__BODY_REQUEST_ACK
    &&  s_check_request_ack (self, report->request_ack, who->country,
                             err, sizeof err) != 0)
        goto refuse;

    s_pending_t *p = &self->pending[self->n_pending++];
    p->rid = *rid_p;
    *rid_p = NULL;
    p->envelope = malloc (frame->submit.len);
    memcpy (p->envelope, frame->submit.data, frame->submit.len);
    p->envelope_len = frame->submit.len;
    snprintf (p->origin, sizeof p->origin, "%s", env->origin);
    memcpy (p->incarnation, env->incarnation.data, JAD_ID_BYTES);
    p->origin_seq = env->origin_seq;
    p->peer = peer;
    p->signed_msg = jad_sign_report_bytes (self->op_id, env->origin,
                                           env->incarnation.data,
                                           env->origin_seq, env->event_time_ms,
                                           env->report.data, env->report.len,
                                           &p->signed_len);
    memcpy (p->signature, env->signature.data, JAD_SIGN_BYTES);
    memcpy (p->sign_key, who->sign_key, JAD_SIGN_PUBLIC_BYTES);
    p->sig_ok = 0;
    jad_wire_free (&report);
    jad_wire_free (&env);
    return;
refuse:
    jad_log_warn ("refused a report from %s: %s", who->name, err);
    s_send_error (self, *rid_p, code, err, env);
    jad_wire_free (&report);
    jad_wire_free (&env);
}

static void
s_verify_fn (void *arg, size_t i)
{
    s_pending_t *p = &((s_pending_t *) arg)[i];
    p->sig_ok = p->signed_msg
             && jad_sign_verify (p->sign_key, p->signed_msg, p->signed_len,
                                 p->signature) == 0;
}

/* Verify this turn's signatures on all cores (outside any transaction),
 * answer BAD_SIGNATURE for the failures and keep the rest, in order. */
static void
s_verify (jad_hub_t *self)
{
    jad_pool_run (self->pool, s_verify_fn, self->pending, self->n_pending);
    size_t kept = 0;
    for (size_t i = 0; i < self->n_pending; i++) {
        s_pending_t *p = &self->pending[i];
        if (p->sig_ok) {
            if (kept != i)
                self->pending[kept] = *p;
            kept++;
            continue;
        }
        Jad__Envelope env = JAD__ENVELOPE__INIT;
        env.incarnation.data = p->incarnation;
        env.incarnation.len = JAD_ID_BYTES;
        env.origin_seq = p->origin_seq;
        jad_log_warn ("refused a report from %s: signature: does not verify "
                      "(origin_seq %" PRIu64 ")", p->origin, p->origin_seq);
        s_send_error (self, p->rid, JAD__ERROR_CODE__BAD_SIGNATURE,
                      "signature: does not verify", &env);
        zframe_destroy (&p->rid);
        free (p->envelope);
        free (p->signed_msg);
    }
    self->n_pending = kept;
}

/* Publish one entry, wrapped in a Frame. */
static void
s_publish_entry (jad_hub_t *self, const uint8_t *buf, size_t len)
{
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_ENTRY;
    frame.entry.data = (uint8_t *) buf;
    frame.entry.len = len;
    s_publish (self, &frame);
}

/* Journal this turn's reports in one durable commit, then acknowledge,
 * then publish.  On a journal failure nothing is acknowledged: the agents
 * are told UNAVAILABLE and resend. */
static void
s_commit (jad_hub_t *self)
{
    size_t n = self->n_pending;
    if (n == 0)
        return;
    int64_t now = jad_time_now_ms ();
    for (size_t i = 0; i < n; i++) {
        s_pending_t *p = &self->pending[i];
        jad_journal_item_t *it = &self->items[i];
        memset (it, 0, sizeof *it);
        it->origin = p->origin;
        it->incarnation = p->incarnation;
        it->origin_seq = p->origin_seq;
        it->envelope = p->envelope;
        it->envelope_len = p->envelope_len;
        it->received_ms = now;
        it->keep_entry = 1;
    }
    char err[512];
    uint64_t first_new = self->head + 1;
    int ok = jad_journal_append (self->journal, self->items, n,
                                 err, sizeof err) == 0;
    if (!ok)
        jad_log_error ("journal: %s", err);
    uint64_t fresh = 0;
    for (size_t i = 0; i < n; i++) {
        s_pending_t *p = &self->pending[i];
        jad_journal_item_t *it = &self->items[i];
        Jad__Frame frame = JAD__FRAME__INIT;
        Jad__Ack ack = JAD__ACK__INIT;
        frame.has_version = 1;
        frame.version = JAD_SCHEMA_VERSION;
        if (!ok) {
            Jad__ErrorReply reply = JAD__ERROR_REPLY__INIT;
            frame.body_case = JAD__FRAME__BODY_ERROR;
            frame.error = &reply;
            reply.has_code = 1;
            reply.code = JAD__ERROR_CODE__UNAVAILABLE;
            reply.message = "journal unavailable; retry later";
            reply.has_incarnation = 1;
            reply.incarnation.data = p->incarnation;
            reply.incarnation.len = JAD_ID_BYTES;
            reply.has_origin_seq = 1;
            reply.origin_seq = p->origin_seq;
            s_send (self, p->rid, &frame);
        }
        else
        if (it->status == JAD_JOURNAL_CONFLICT) {
            Jad__Envelope env = JAD__ENVELOPE__INIT;
            env.incarnation.data = p->incarnation;
            env.incarnation.len = JAD_ID_BYTES;
            env.origin_seq = p->origin_seq;
            jad_log_warn ("conflict: %s resent origin_seq %" PRIu64
                          " with other bytes", p->origin, p->origin_seq);
            s_send_error (self, p->rid, JAD__ERROR_CODE__CONFLICT,
                          "origin_seq already used for another report", &env);
        }
        else {
            frame.body_case = JAD__FRAME__BODY_ACK;
            frame.ack = &ack;
            ack.has_incarnation = 1;
            ack.incarnation.data = p->incarnation;
            ack.incarnation.len = JAD_ID_BYTES;
            ack.has_origin_seq = 1;
            ack.origin_seq = p->origin_seq;
            ack.has_hub_seq = 1;
            ack.hub_seq = it->hub_seq;
            ack.has_duplicate = 1;
            ack.duplicate = it->status == JAD_JOURNAL_DUPLICATE;
            s_send (self, p->rid, &frame);
            if (it->status == JAD_JOURNAL_NEW) {
                fresh++;
                if (p->peer)
                    p->peer->reports++;
            }
        }
        zframe_destroy (&p->rid);
        free (p->envelope);
        p->envelope = NULL;
        free (p->signed_msg);
        p->signed_msg = NULL;
    }
    self->n_pending = 0;
    if (ok && fresh) {
        self->head = first_new + fresh - 1;
        self->ingested += fresh;
    }
    /* Then publish the new entries, from the bytes just stored (reading
     * them back would map the journal's pages into the hub's memory). */
    for (size_t i = 0; i < n; i++) {
        jad_journal_item_t *it = &self->items[i];
        if (ok && it->entry)
            s_publish_entry (self, it->entry, it->entry_len);
        free (it->entry);
        it->entry = NULL;
    }
}

typedef struct {
    jad_hub_t *hub;
    zframe_t  *rid;
    uint64_t   last;        /* last hub_seq sent */
    int        blocked;     /* the peer's queue is full */
} s_serve_t;

static int
s_serve_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_serve_t *serve = arg;
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_ENTRY;
    frame.entry.data = (uint8_t *) buf;
    frame.entry.len = len;
    if (s_send (serve->hub, serve->rid, &frame) != 0) {
        serve->blocked = 1;
        return 1;
    }
    serve->last = seq;
    return 0;
}

typedef struct {
    s_serve_t *serve;
    uint64_t   upto;        /* last key to send */
    int        kind;        /* JAD__FRAME__BODY_CHECKPOINT or _ROSTER */
} s_record_serve_t;

static int
s_record_serve_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_record_serve_t *rs = arg;
    if (seq > rs->upto)
        return 1;
    Jad__Frame frame = JAD__FRAME__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = rs->kind;
    if (rs->kind == JAD__FRAME__BODY_CHECKPOINT) {
        frame.checkpoint.data = (uint8_t *) buf;
        frame.checkpoint.len = len;
    }
    else {
        frame.roster.data = (uint8_t *) buf;
        frame.roster.len = len;
    }
    if (s_send (rs->serve->hub, rs->serve->rid, &frame) != 0) {
        rs->serve->blocked = 1;
        return 1;
    }
    return 0;
}

/* Serve queued catch-up requests, at most JAD_HUB_CATCHUP_MAX entries
 * each and a few requests per turn, so live ingest keeps flowing. */
static void
s_serve_catchups (jad_hub_t *self)
{
    for (int served = 0; served < 4; served++) {
        s_catchup_t *c = zlistx_first (self->catchups);
        if (!c)
            break;
        s_serve_t serve = { .hub = self, .rid = c->rid,
                            .last = c->from_seq ? c->from_seq - 1 : 0 };
        size_t max = c->credit ? c->credit : JAD_HUB_CATCHUP_MAX;
        if (max > JAD_HUB_CATCHUP_MAX)
            max = JAD_HUB_CATCHUP_MAX;
        if (c->from_seq <= self->head
        &&  jad_journal_scan (self->journal, c->from_seq ? c->from_seq : 1,
                              max, s_serve_fn, &serve) < 0)
            jad_log_error ("catch-up: cannot read the journal");
        /* The checkpoints of the range sent, and the rosters up to its
         * end (all of them once the requester reaches the head). */
        if (!serve.blocked && serve.last >= c->from_seq) {
            s_record_serve_t rs = { .serve = &serve, .upto = serve.last,
                                    .kind = JAD__FRAME__BODY_CHECKPOINT };
            jad_journal_record_scan (self->journal, JAD_JOURNAL_CHECKPOINTS,
                                     c->from_seq, SIZE_MAX, s_record_serve_fn, &rs);
        }
        if (!serve.blocked) {
            s_record_serve_t rs = { .serve = &serve,
                                    .upto = serve.last < self->head ? serve.last
                                                                   : UINT64_MAX,
                                    .kind = JAD__FRAME__BODY_ROSTER };
            /* From the first: the roster governing from_seq may have been
             * recorded long before it, and rosters are few. */
            jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS,
                                     0, SIZE_MAX, s_record_serve_fn, &rs);
        }
        Jad__Frame frame = JAD__FRAME__INIT;
        Jad__CatchupEnd end = JAD__CATCHUP_END__INIT;
        frame.has_version = 1;
        frame.version = JAD_SCHEMA_VERSION;
        frame.body_case = JAD__FRAME__BODY_CATCHUP_END;
        frame.catchup_end = &end;
        end.has_head_seq = 1;
        end.head_seq = serve.last;
        end.has_more = 1;
        end.more = serve.last < self->head;
        s_send (self, c->rid, &frame);
        if (c->peer)
            ((s_peer_t *) c->peer)->catchups--;
        zlistx_delete (self->catchups, zlistx_cursor (self->catchups));
    }
}

/* One frame from the ROUTER: identify the sender by its CURVE key, check
 * the roster now (revocation), and dispatch. */
static void
s_handle (jad_hub_t *self, zframe_t *rid, zframe_t *body)
{
    const char *key = zframe_meta (body, "User-Id");
    const jad_participant_t *who = key ? jad_roster_find_key (self->roster, key)
                                       : NULL;
    char err[512];
    if (!who) {
        jad_log_warn ("refused a frame: key %s is not on the roster",
                      key ? key : "(none)");
        s_send_error (self, rid, JAD__ERROR_CODE__FORBIDDEN,
                      "key not on the roster", NULL);
        zframe_destroy (&rid);
        return;
    }
    s_peer_t *peer = s_peer (self, key, who);
    Jad__Frame *frame = jad_wire_frame_decode (zframe_data (body),
                                               zframe_size (body),
                                               err, sizeof err);
    if (!frame) {
        Jad__ErrorCode code = strstr (err, "over the limit")
                            ? JAD__ERROR_CODE__TOO_LARGE
                            : strstr (err, "version")
                            ? JAD__ERROR_CODE__BAD_VERSION
                            : JAD__ERROR_CODE__MALFORMED;
        jad_log_warn ("bad frame from %s: %s", who->name, err);
        s_send_error (self, rid, code, err, NULL);
        zframe_destroy (&rid);
        return;
    }
    switch (frame->body_case) {
    case JAD__FRAME__BODY_SUBMIT:
        s_submit (self, &rid, peer, who, frame);
        break;
    case JAD__FRAME__BODY_CATCHUP: {
        /* A few pending requests per participant at most: a flood of them
         * must not grow the hub's memory (the peer asks again on timeout). */
        s_catchup_t *c = NULL;
        if (peer && peer->catchups < S_CATCHUPS_PER_PEER)
            c = calloc (1, sizeof *c);
        if (c) {
            c->peer = peer;
            peer->catchups++;
            c->rid = rid;
            rid = NULL;
            c->from_seq = frame->catchup->from_seq;
            c->credit = frame->catchup->credit;
            zlistx_add_end (self->catchups, c);
        }
        break;
    }
    case JAD__FRAME__BODY_HEARTBEAT: {
        Jad__Heartbeat *in = frame->heartbeat;
        /* Figures a participant claims are shown, never trusted: kept in
         * the range every JSON reader handles exactly. */
        if (peer && in->health) {
            peer->mirror_seq = in->health->mirror_seq <= self->head
                             ? in->health->mirror_seq : self->head;
            peer->outbox_depth = in->health->outbox_depth < ((uint64_t) 1 << 53)
                               ? in->health->outbox_depth : 0;
            peer->last_acked = in->health->last_acked < ((uint64_t) 1 << 53)
                             ? in->health->last_acked : 0;
        }
        Jad__Frame reply;
        Jad__Heartbeat hb;
        s_heartbeat_frame (self, &reply, &hb);
        s_send (self, rid, &reply);
        break;
    }
    default:
        s_send_error (self, rid, JAD__ERROR_CODE__MALFORMED,
                      "Frame.body: not something a participant sends", NULL);
        break;
    }
    zframe_destroy (&rid);
    jad_wire_free (&frame);
}

/* ------------------------------------------------------------ status */

static void
s_write_status (jad_hub_t *self)
{
    char path[4096], tmp[4200];
    snprintf (path, sizeof path, "%s/status.json", self->config.data);
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return;
    uint64_t bytes = 0;
    jad_journal_stat (self->journal, &bytes);
    char now[JAD_TIME_STRLEN];
    jad_time_format (jad_time_now_ms (), now);
    /* The operation name is free text: let jansson quote it. */
    json_t *op = json_string (jad_roster_operation (self->roster));
    char *op_json = op ? json_dumps (op, JSON_ENCODE_ANY) : NULL;
    json_decref (op);
    fprintf (f, "{\"pid\":%ld,\"operation\":%s,\"head_seq\":%" PRIu64
             ",\"epoch\":%u,\"journal_bytes\":%" PRIu64
             ",\"ingest_rate\":%.1f,\"ingested\":%" PRIu64
             ",\"updated\":\"%s\",\"participants\":[",
             (long) getpid (), op_json ? op_json : "null", self->head,
             self->epoch, bytes, self->rate, self->ingested, now);
    int64_t mono = jad_time_mono_ms ();
    for (size_t i = 0; i < jad_roster_size (self->roster); i++) {
        const jad_participant_t *p = jad_roster_at (self->roster, i);
        s_peer_t *peer = zhashx_lookup (self->peers, p->public_key);
        char seen[JAD_TIME_STRLEN] = "";
        if (peer)
            jad_time_format (peer->last_seen_wall, seen);
        fprintf (f, "%s{\"name\":\"%s\",\"role\":\"%s\",\"country\":\"%s\","
                 "\"connected\":%s,\"last_seen\":%s%s%s,\"reports\":%" PRIu64
                 ",\"mirror_seq\":%" PRIu64 ",\"outbox_depth\":%" PRIu64 "}",
                 i ? "," : "", p->name, jad_roster_role_name (p->role),
                 p->country, peer && mono - peer->last_seen_mono
                                     < JAD_HUB_SILENT_MS ? "true" : "false",
                 peer ? "\"" : "", peer ? seen : "null", peer ? "\"" : "",
                 peer ? peer->reports : 0, peer ? peer->mirror_seq : 0,
                 peer ? peer->outbox_depth : 0);
    }
    fprintf (f, "]}\n");
    free (op_json);
    if (fclose (f) == 0)
        rename (tmp, path);
}

/* The hub's view of every participant but itself, for the consoles: who
 * is connected, when each was last heard, and the health its agent
 * reports.  Published on the feed, never journaled: report counts and the
 * chain do not change. */
static void
s_publish_participants (jad_hub_t *self)
{
    size_t n = jad_roster_size (self->roster);
    Jad__PeerStatus *st = calloc (n ? n : 1, sizeof *st);
    Jad__PeerStatus **ptrs = calloc (n ? n : 1, sizeof *ptrs);
    if (!st || !ptrs)
        goto out;
    int64_t mono = jad_time_mono_ms ();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const jad_participant_t *p = jad_roster_at (self->roster, i);
        if (p->role == JAD_ROLE_HUB)
            continue;
        Jad__PeerStatus *ps = &st[k];
        jad__peer_status__init (ps);
        ps->name = (char *) p->name;
        ps->role = (char *) jad_roster_role_name (p->role);
        if (p->country[0])
            ps->country = (char *) p->country;
        s_peer_t *peer = zhashx_lookup (self->peers, p->public_key);
        ps->has_connected = 1;
        ps->connected = !p->revoked && peer
                     && mono - peer->last_seen_mono < JAD_HUB_SILENT_MS;
        if (peer) {
            ps->has_last_seen_ms = 1;
            ps->last_seen_ms = peer->last_seen_wall;
            ps->has_outbox_depth = 1;
            ps->outbox_depth = peer->outbox_depth;
            ps->has_last_acked = 1;
            ps->last_acked = peer->last_acked;
            ps->has_mirror_seq = 1;
            ps->mirror_seq = peer->mirror_seq;
        }
        ptrs[k++] = ps;
    }
    Jad__Frame frame = JAD__FRAME__INIT;
    Jad__Participants parts = JAD__PARTICIPANTS__INIT;
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_PARTICIPANTS;
    frame.participants = &parts;
    parts.n_peers = k;
    parts.peers = ptrs;
    parts.has_time_ms = 1;
    parts.time_ms = jad_time_now_ms ();
    s_publish (self, &frame);
out:
    free (ptrs);
    free (st);
}

/* Once a second: heartbeat and participants on the feed, silent peers,
 * rate, status. */
static void
s_tick (jad_hub_t *self)
{
    Jad__Frame frame;
    Jad__Heartbeat hb;
    if (!self->pub)
        s_rebind_feed (self);
    s_heartbeat_frame (self, &frame, &hb);
    s_publish (self, &frame);
    s_publish_participants (self);
    int64_t mono = jad_time_mono_ms ();
    for (s_peer_t *peer = zhashx_first (self->peers); peer;
         peer = zhashx_next (self->peers))
        if (!peer->silent && mono - peer->last_seen_mono > JAD_HUB_SILENT_MS) {
            peer->silent = 1;
            jad_log_warn ("participant %s silent for %d s", peer->name,
                          JAD_HUB_SILENT_MS / 1000);
        }
    double now_rate = (double) (self->ingested - self->rate_mark);
    self->rate = self->rate * 0.7 + now_rate * 0.3;
    self->rate_mark = self->ingested;
    s_write_status (self);
    jad_journal_trim (self->journal);
}

/* ------------------------------------------------------------ lifecycle */

/* The hub's key and roster, checked against each other: what both
 * jad_hub_new and jad_hub_check start from.  0, or -1 with ERR. */
static int
s_identity_load (const jad_hub_config_t *config, jad_keys_t **keys_p,
                 jad_roster_t **roster_p, char *err, size_t errlen)
{
    char why[512];
    *keys_p = jad_keys_load (config->key, why, sizeof why);
    if (!*keys_p || !jad_keys_has_secret (*keys_p)) {
        snprintf (err, errlen, "%s: %s", config->key,
                  *keys_p ? "not a secret key file" : why);
        return -1;
    }
    *roster_p = jad_roster_load (config->roster, why, sizeof why);
    if (!*roster_p) {
        snprintf (err, errlen, "%s", why);
        return -1;
    }
    if (config->operation
    &&  strcmp (config->operation, jad_roster_operation (*roster_p)) != 0) {
        snprintf (err, errlen, "roster is for operation \"%s\", not \"%s\"",
                  jad_roster_operation (*roster_p), config->operation);
        return -1;
    }
    const jad_participant_t *me = jad_roster_find_key (*roster_p,
                                                       jad_keys_public (*keys_p));
    if (!me || me->role != JAD_ROLE_HUB) {
        snprintf (err, errlen, "the key in %s is not the roster's hub",
                  config->key);
        return -1;
    }
    return 0;
}

int
jad_hub_check (const jad_hub_config_t *config, char *err, size_t errlen)
{
    jad_keys_t *keys = NULL;
    jad_roster_t *roster = NULL;
    jad_journal_t *journal = NULL;
    char path[4096], why[512];
    int rc = -1;
    if (s_identity_load (config, &keys, &roster, err, errlen) != 0
    ||  jad_config_check_endpoint ("listen", config->listen, err, errlen) != 0
    ||  jad_config_check_endpoint ("publish", config->publish, err, errlen) != 0)
        goto done;
    if (jad_config_check_dir ("data", config->data, err, errlen) != 0)
        goto done;
    /* An existing journal must be this roster's operation's. */
    snprintf (path, sizeof path, "%s/journal/data.mdb", config->data);
    if (access (path, F_OK) == 0) {
        snprintf (path, sizeof path, "%s/journal", config->data);
        journal = jad_journal_open (path, JAD_JOURNAL_RDONLY, why, sizeof why);
        jad_journal_meta_t meta;
        if (!journal) {
            snprintf (err, errlen, "%s", why);
            goto done;
        }
        if (jad_journal_meta_get (journal, &meta) != 0) {
            snprintf (err, errlen, "%s: cannot read the journal's metadata", path);
            goto done;
        }
        if (meta.has && memcmp (meta.id, jad_roster_id (roster), JAD_ID_BYTES) != 0) {
            snprintf (err, errlen, "%s belongs to operation \"%s\", another "
                      "operation than the roster's", path, meta.name);
            goto done;
        }
    }
    rc = 0;
done:
    jad_journal_destroy (&journal);
    jad_roster_destroy (&roster);
    jad_keys_destroy (&keys);
    return rc;
}

jad_hub_t *
jad_hub_new (const jad_hub_config_t *config, char *err, size_t errlen)
{
    jad_hub_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->config = *config;
    self->peers = zhashx_new ();
    zhashx_set_destructor (self->peers, s_peer_free);
    self->catchups = zlistx_new ();
    zlistx_set_destructor (self->catchups, s_catchup_free);
    char why[512];

    if (s_identity_load (config, &self->keys, &self->roster, err, errlen) != 0)
        goto fail;
    memcpy (self->op_id, jad_roster_id (self->roster), JAD_ID_BYTES);

    char path[4096];
    if (zsys_dir_create ("%s", config->data) != 0) {
        snprintf (err, errlen, "cannot create %s: %s", config->data,
                  strerror (errno));
        goto fail;
    }
    snprintf (path, sizeof path, "%s/journal", config->data);
    self->journal = jad_journal_open (path, JAD_JOURNAL_CREATE, why, sizeof why);
    if (!self->journal) {
        snprintf (err, errlen, "%s", why);
        goto fail;
    }
    jad_journal_meta_t meta;
    if (jad_journal_meta_get (self->journal, &meta) != 0) {
        snprintf (err, errlen, "%s: cannot read the journal's metadata", path);
        goto fail;
    }
    if (meta.has && memcmp (meta.id, self->op_id, JAD_ID_BYTES) != 0) {
        snprintf (err, errlen, "%s belongs to operation \"%s\", another "
                  "operation than the roster's", path, meta.name);
        goto fail;
    }
    if (!meta.has) {
        snprintf (meta.name, sizeof meta.name, "%s",
                  jad_roster_operation (self->roster));
        memcpy (meta.id, self->op_id, JAD_ID_BYTES);
        meta.start_ms = jad_roster_start_ms (self->roster);
        meta.end_ms = jad_roster_end_ms (self->roster);
        if (jad_journal_meta_set (self->journal, &meta) != 0) {
            snprintf (err, errlen, "%s: cannot write the journal's metadata",
                      path);
            goto fail;
        }
    }
    self->epoch = meta.epoch;
    if (jad_journal_head (self->journal, &self->head) != 0
    ||  jad_journal_record_last (self->journal, JAD_JOURNAL_CHECKPOINTS,
                                 &self->cp_seq) != 0) {
        snprintf (err, errlen, "%s: cannot read the head", path);
        goto fail;
    }
    self->cp_mono = jad_time_mono_ms ();
    /* Never extend a chain that no longer matches what this hub signed:
     * the entry of the last checkpoint must still hash to its head_hash. */
    if (self->cp_seq && s_check_last_checkpoint (self, err, errlen) != 0)
        goto fail;
    /* The roster in force is the file's, with every revocation the journal
     * recorded before carried over; record it if it changed. */
    jad_roster_t *recorded = s_recorded_roster (self);
    s_merge_revocations (self, self->roster, recorded);
    char *was = recorded ? jad_roster_format (recorded) : NULL;
    char *now = jad_roster_format (self->roster);
    int same = was && now && strcmp (was, now) == 0;
    free (was);
    free (now);
    jad_roster_destroy (&recorded);
    if (!same && s_record_roster (self) != 0) {
        snprintf (err, errlen, "%s: cannot record the roster", path);
        goto fail;
    }
    self->pool = jad_pool_new (0);
    if (!self->pool) {
        snprintf (err, errlen, "cannot start verification threads");
        goto fail;
    }

    /* ZAP first: a CURVE server without a handler admits everyone. */
    self->zap = zactor_new (jad_zap_actor, NULL);
    if (!self->zap || s_apply_roster_keys (self) != 0) {
        snprintf (err, errlen, "cannot start the ZAP handler");
        goto fail;
    }
    self->router = jad_zap_server_socket (self->keys, ZMQ_ROUTER,
                                          config->listen, err, errlen);
    if (!self->router)
        goto fail;
    self->pub = jad_zap_server_socket (self->keys, ZMQ_XPUB, config->publish,
                                       err, errlen);
    if (!self->pub || s_rebuild_poller (self) != 0)
        goto fail;
    jad_log_notice ("operation \"%s\": journal head %" PRIu64 ", listening "
                    "on %s, publishing on %s", jad_roster_operation (self->roster),
                    self->head, config->listen, config->publish);
    return self;
fail:
    jad_hub_destroy (&self);
    return NULL;
}

void
jad_hub_destroy (jad_hub_t **self_p)
{
    jad_hub_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_pending; i++) {
        zframe_destroy (&self->pending[i].rid);
        free (self->pending[i].envelope);
        free (self->pending[i].signed_msg);
    }
    jad_pool_destroy (&self->pool);
    zpoller_destroy (&self->poller);
    zsock_destroy (&self->router);
    zsock_destroy (&self->pub);
    zactor_destroy (&self->zap);
    zlistx_destroy (&self->catchups);
    zhashx_destroy (&self->peers);
    jad_journal_destroy (&self->journal);
    jad_roster_destroy (&self->roster);
    jad_keys_destroy (&self->keys);
    free (self);
    *self_p = NULL;
}

int
jad_hub_run (jad_hub_t *self)
{
    self->next_tick = jad_time_mono_ms ();
    while (!zsys_interrupted) {
        if (s_reload) {
            s_reload = 0;
            s_reload_roster (self);
        }
        int64_t now = jad_time_mono_ms ();
        if (now >= self->next_tick) {
            s_tick (self);
            self->next_tick = now + 1000;
        }
        int timeout = zlistx_size (self->catchups) ? 0
                    : (int) (self->next_tick - now);
        zpoller_wait (self->poller, timeout < 0 ? 0 : timeout);
        if (zpoller_terminated (self->poller) && zsys_interrupted)
            break;
        /* Subscriptions arriving on the XPUB: read and drop. */
        while (self->pub && (zsock_events (self->pub) & ZMQ_POLLIN)) {
            zframe_t *f = zframe_recv (self->pub);
            zframe_destroy (&f);
        }
        /* Drain the ROUTER: up to one batch of frames this turn. */
        size_t handled = 0;
        while (handled < JAD_HUB_BATCH && self->n_pending < JAD_HUB_BATCH
        &&     (zsock_events (self->router) & ZMQ_POLLIN)) {
            zframe_t *rid = zframe_recv (self->router);
            if (!rid)
                break;
            zframe_t *body = NULL;
            if (zframe_more (rid))
                body = zframe_recv (self->router);
            /* More than one body frame is not our protocol: drop it all. */
            int extra = 0;
            while (body && zframe_more (body)) {
                zframe_t *junk = zframe_recv (self->router);
                extra = 1;
                if (!junk)
                    break;
                int more = zframe_more (junk);
                zframe_destroy (&junk);
                if (!more)
                    break;
            }
            if (body && !extra)
                s_handle (self, rid, body);
            else
                zframe_destroy (&rid);
            zframe_destroy (&body);
            handled++;
        }
        s_verify (self);
        s_commit (self);
        if (self->head >= self->cp_seq + S_CHECKPOINT_EVERY
        ||  (self->head > self->cp_seq
             && jad_time_mono_ms () - self->cp_mono >= S_CHECKPOINT_MS))
            s_checkpoint (self);
        s_serve_catchups (self);
    }
    s_checkpoint (self);
    jad_log_notice ("stopping: journal head %" PRIu64, self->head);
    s_write_status (self);
    return 0;
}
