/*  hub: the jad-hub daemon.  See hub.h.
 *
 *  A thin loop over the library: the feed server (lib/feed_server.c)
 *  admits participants, answers their heartbeats and catch-ups and carries
 *  the feed; the intake (hub/ingest.c) checks, verifies, journals and
 *  answers their reports.  What is the hub's own: the signed side records
 *  (a checkpoint every 1,000 entries or 5 s, the roster at every change),
 *  the roster reload on SIGHUP, status.json and the Participants relay.
 */
#include "hub.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <czmq.h>
#include <jansson.h>
#include <sodium.h>

#include "jad/audit.h"
#include "jad/config.h"
#include "jad/feed_server.h"
#include "jad/history.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/log.h"
#include "jad/pool.h"
#include "jad/record.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "jad/timefmt.h"
#include "ingest.h"

#define S_CHECKPOINT_EVERY   1000   /* entries between two checkpoints */
#define S_CHECKPOINT_MS      5000   /* or this long, when there are new ones */

struct _jad_hub_t {
    jad_hub_config_t   config;
    jad_roster_t      *roster;      /* in force (feed and intake borrow it) */
    jad_keys_t        *keys;        /* the hub's key pairs */
    jad_journal_t     *journal;
    jad_pool_t        *pool;        /* signature verification */
    jad_ingest_t      *ingest;      /* reports in */
    jad_feed_server_t *feed;        /* participants, feed, catch-up */
    uint8_t            op_id[JAD_ID_BYTES];
    uint32_t           epoch;
    uint64_t           ingested;    /* new entries since start */
    uint64_t           rate_mark;   /* ingested at the last rate sample */
    double             rate;        /* entries/s, smoothed */
    int64_t            next_tick;   /* mono ms of the next status */
    uint64_t           cp_seq;      /* hub_seq of the last checkpoint */
    int64_t            cp_mono;     /* when it was made */
    int64_t            cp_retry;    /* after a failed one, not before this */
};

static volatile sig_atomic_t s_reload;

void
jad_hub_request_reload (void)
{
    s_reload = 1;
}

static uint64_t
s_head (const jad_hub_t *self)
{
    return self->ingest ? jad_ingest_head (self->ingest) : 0;
}

/* ------------------------------------------------------------ signed records */

/* Store record BUF under SEQ and let the feed publish it.  BUF is freed. */
static int
s_record (jad_hub_t *self, int kind, uint64_t seq, uint8_t *buf, size_t len)
{
    char err[512];
    int rc = -1;
    if (!buf)
        snprintf (err, sizeof err, "cannot sign (out of memory)");
    else
    if (jad_journal_record_put (self->journal, kind, seq, buf, len,
                                err, sizeof err) == 0)
        rc = 0;
    if (rc != 0)
        jad_log_error ("cannot record the %s at %" PRIu64 ": %s",
                       kind == JAD_JOURNAL_ROSTERS ? "roster" : "checkpoint",
                       seq, err);
    else
    if (self->feed)
        jad_feed_server_sync (self->feed);
    free (buf);
    return rc;
}

/* Sign a checkpoint of the head, store it beside the journal and publish
 * it: anyone holding the hub's public key can then prove entries 1..head
 * are the chain the hub vouched for. */
static int
s_checkpoint (jad_hub_t *self)
{
    uint64_t head = s_head (self);
    if (head == 0 || head == self->cp_seq)
        return 0;
    /* A failure (a full disk) is tried again in S_CHECKPOINT_MS, not at
     * every turn of the loop. */
    self->cp_retry = jad_time_mono_ms () + S_CHECKPOINT_MS;
    uint8_t hash[JAD_HASH_BYTES];
    if (jad_journal_hash (self->journal, head, hash) != 1) {
        jad_log_error ("checkpoint: cannot read entry %" PRIu64, head);
        return -1;
    }
    size_t len = 0;
    uint8_t *buf = jad_checkpoint_make (self->keys, self->op_id, head, hash,
                                        jad_time_now_ms (), &len);
    if (s_record (self, JAD_JOURNAL_CHECKPOINTS, head, buf, len) != 0)
        return -1;
    self->cp_retry = 0;
    self->cp_seq = head;
    self->cp_mono = jad_time_mono_ms ();
    jad_log_debug ("checkpoint at %" PRIu64, head);
    return 0;
}

/* One finding of the start-up audit, logged (the first 20). */
static int
s_audit_fn (void *arg, const jad_audit_finding_t *f)
{
    unsigned *logged = arg;
    if (f->severity != JAD_AUDIT_DAMAGE || f->kind == JAD_AUDIT_TAIL)
        return 0;
    if ((*logged)++ < 20)
        jad_log_error ("audit: %s", f->text);
    return 0;
}

/* Audit the journal before extending it (include/jad/audit.h): walk
 * every database and the chain back to the last checkpoint this hub
 * signed, verify every entry after it (signature, chain, uniqueness)
 * before signing over it, rebuild a dedupe index that does not match the
 * entries from them, and refuse anything else with the command that
 * repairs it.  Linear in the entries: a read, two hashes and a lookup
 * each, a signature check past the checkpoint.  0, or -1 with ERR. */
static int
s_audit (jad_hub_t *self, const char *path, char *err, size_t errlen)
{
    char why[512];
    unsigned logged = 0;
    int rc = -1;
    jad_history_t *history = jad_history_new ();
    jad_audit_result_t *res = calloc (1, sizeof *res);
    if (!history || !res) {
        snprintf (err, errlen, "out of memory");
        goto out;
    }
    jad_history_set_hub_key (history, jad_keys_sign_public (self->keys));
    jad_audit_config_t cfg = {
        .history = history, .op_id = self->op_id,
        .sign_from = JAD_AUDIT_SIGN_TAIL, .pool = self->pool,
        .on_finding = s_audit_fn, .arg = &logged
    };
    int64_t t0 = jad_time_mono_ms ();
    if (jad_audit_run (self->journal, &cfg, res, why, sizeof why) != 0) {
        snprintf (err, errlen, "%s: %s; refusing to extend it: run `jad-verify "
                  "--data %s`, then `jad-journal repair --data %s`", path, why,
                  self->config.data, self->config.data);
        goto out;
    }
    if (logged > 20)
        jad_log_error ("audit: ... and %u more", logged - 20);
    /* Never extend a chain that no longer matches what this hub signed. */
    if (res->last_signed && res->last_checkpoint != res->last_signed) {
        snprintf (err, errlen, "the journal does not match its last signed "
                  "checkpoint (entry %" PRIu64 "): it was altered; refusing to "
                  "extend it: run `jad-verify --data %s` to see what is wrong, "
                  "`jad-journal repair --data %s` to rebuild it from a mirror",
                  res->last_signed, self->config.data, self->config.data);
        goto out;
    }
    if (res->entry_damage > res->kinds[JAD_AUDIT_TAIL]) {
        snprintf (err, errlen, "%s is not intact: %s; refusing to extend it: run "
                  "`jad-verify --data %s` to see what is wrong, `jad-journal "
                  "repair --data %s` to rebuild it from a mirror", path,
                  res->first.text, self->config.data, self->config.data);
        goto out;
    }
    if (res->index_damage) {
        /* Only the index is wrong: the entries, verified, say what it must
         * hold.  Rebuilt in one durable commit; two entries of one
         * identity (a duplicate no record betrayed) refuse the start. */
        uint64_t records = 0, dup = 0, dup_of = 0;
        int rb = jad_journal_dedupe_rebuild (self->journal, &records, &dup,
                                             &dup_of, why, sizeof why);
        if (rb != JAD_JOURNAL_OK) {
            snprintf (err, errlen, "%s: the dedupe index does not match the "
                      "entries (%s) and cannot be rebuilt: %s; refusing to "
                      "extend it: run `jad-journal repair --data %s`", path,
                      res->first.text, why, self->config.data);
            goto out;
        }
        jad_log_warn ("dedupe index rebuilt from the entries: %" PRIu64
                      " records (it did not match them: %s)", records,
                      res->first.text);
    }
    if (res->head > res->last_checkpoint)
        jad_log_notice ("audit: hub_seq %" PRIu64 "..%" PRIu64 " past the last "
                        "checkpoint verified (signature, chain, uniqueness)",
                        res->last_checkpoint + 1, res->head);
    jad_log_notice ("journal audited: %" PRIu64 " entries, %" PRIu64
                    " checkpoints, %" PRIu64 " signatures verified, in %.2f s",
                    res->entries, res->checkpoints, res->signatures,
                    (double) (jad_time_mono_ms () - t0) / 1000.0);
    rc = 0;
out:
    free (res);
    jad_history_destroy (&history);
    return rc;
}

/* Record the roster in force, signed, as governing entries from head + 1
 * on, and publish it.  The journal thus holds every roster the hub ever
 * applied, so a signature can be checked against the roster of its time
 * years later, revocations included. */
static int
s_record_roster (jad_hub_t *self)
{
    char *text = jad_roster_format (self->roster);
    if (!text) {
        jad_log_error ("cannot record the roster: out of memory");
        return -1;
    }
    uint64_t effective = s_head (self) + 1;
    size_t len = 0;
    uint8_t *buf = jad_roster_record_make (self->keys, self->op_id, effective,
                                           text, strlen (text),
                                           jad_time_now_ms (), &len);
    free (text);
    if (s_record (self, JAD_JOURNAL_ROSTERS, effective, buf, len) != 0)
        return -1;
    jad_log_notice ("roster recorded: governs entries from %" PRIu64, effective);
    return 0;
}

static int
s_bad_roster_fn (void *arg, uint64_t seq, const char *why)
{
    (void) arg;
    jad_log_error ("the journal's roster at %" PRIu64 " does not parse: %s",
                   seq, why);
    return 0;
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
    uint64_t from = s_head (self) + 1;
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

/* ------------------------------------------------------------ roster */

/* SIGHUP: load the roster again.  A roster of another operation is
 * refused.  The feed server admits the new keys (and rebinds the feed when
 * someone was revoked: ZAP runs only at the handshake); the intake checks
 * the roster at every report. */
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
    jad_ingest_set_roster (self->ingest, fresh);
    jad_feed_server_set_roster (self->feed, fresh, revoked);
    jad_roster_destroy (&self->roster);
    self->roster = fresh;
    jad_log_notice ("roster reloaded: %zu participants, %d revoked",
                    jad_roster_size (fresh), revoked);
    s_record_roster (self);
}

/* ------------------------------------------------------------ wiring */

/* The feed server hands submits to the intake; the intake answers through
 * the feed server and hands new entries back to it for publication. */
static int
s_on_submit (void *arg, const jad_participant_t *who, jad_feed_peer_t *peer,
             const jad_frame_t *frame, zframe_t **route_p)
{
    jad_hub_t *self = arg;
    zframe_t *route = *route_p;
    *route_p = NULL;
    return jad_ingest_submit (self->ingest, who, peer, frame->bytes, frame->len,
                              route);
}

static void
s_on_answer (void *arg, void *route, const uint8_t *frame, size_t len)
{
    jad_hub_t *self = arg;
    zframe_t *r = route;
    jad_feed_server_reply (self->feed, &r, frame, len);
}

static void
s_on_drop (void *arg, void *route)
{
    (void) arg;
    zframe_t *r = route;
    zframe_destroy (&r);
}

static void
s_on_journaled (void *arg, uint64_t seq, const uint8_t *entry, size_t len,
                void *tag)
{
    jad_hub_t *self = arg;
    jad_feed_peer_t *peer = tag;
    if (peer)
        peer->reports++;
    self->ingested++;
    jad_feed_server_publish_entry (self->feed, seq, entry, len);
}

/* ------------------------------------------------------------ status */

/* Write DIR/status.json atomically (temp file + rename).  "written_ms"
 * (and "updated", the same time in RFC 3339) let a reader tell the file
 * of a hub that stopped or hangs from a current one (statusfile.h). */
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
    int64_t written = jad_time_now_ms ();
    jad_time_format (written, now);
    /* The operation name is free text: let jansson quote it. */
    json_t *op = json_string (jad_roster_operation (self->roster));
    char *op_json = op ? json_dumps (op, JSON_ENCODE_ANY) : NULL;
    json_decref (op);
    fprintf (f, "{\"pid\":%ld,\"operation\":%s,\"head_seq\":%" PRIu64
             ",\"epoch\":%u,\"journal_bytes\":%" PRIu64
             ",\"ingest_rate\":%.1f,\"ingested\":%" PRIu64
             ",\"updated\":\"%s\",\"written_ms\":%" PRId64
             ",\"participants\":[",
             (long) getpid (), op_json ? op_json : "null", s_head (self),
             self->epoch, bytes, self->rate, self->ingested, now, written);
    int64_t mono = jad_time_mono_ms ();
    for (size_t i = 0; i < jad_roster_size (self->roster); i++) {
        const jad_participant_t *p = jad_roster_at (self->roster, i);
        const jad_feed_peer_t *peer = jad_feed_server_peer (self->feed, p->public_key);
        char seen[JAD_TIME_STRLEN] = "";
        if (peer)
            jad_time_format (peer->last_seen_wall, seen);
        fprintf (f, "%s{\"name\":\"%s\",\"role\":\"%s\",\"country\":\"%s\","
                 "\"connected\":%s,\"last_seen\":%s%s%s,\"reports\":%" PRIu64
                 ",\"mirror_seq\":%" PRIu64 ",\"outbox_depth\":%" PRIu64 "}",
                 i ? "," : "", p->name, jad_roster_role_name (p->role),
                 p->country, peer && mono - peer->last_seen_mono
                                     < JAD_FEED_SILENT_MS ? "true" : "false",
                 peer ? "\"" : "", peer ? seen : "null", peer ? "\"" : "",
                 peer ? peer->reports : 0, peer ? peer->health.mirror_seq : 0,
                 peer ? peer->health.outbox_depth : 0);
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
    size_t n = jad_roster_size (self->roster), k = 0, len = 0;
    jad_peer_status_t *st = calloc (n ? n : 1, sizeof *st);
    if (!st)
        return;
    int64_t mono = jad_time_mono_ms ();
    for (size_t i = 0; i < n; i++) {
        const jad_participant_t *p = jad_roster_at (self->roster, i);
        if (p->role == JAD_ROLE_HUB)
            continue;
        const jad_feed_peer_t *peer = jad_feed_server_peer (self->feed,
                                                            p->public_key);
        jad_peer_status_t *ps = &st[k++];
        ps->name = p->name;
        ps->role = jad_roster_role_name (p->role);
        ps->country = p->country[0] ? p->country : NULL;
        ps->connected = !p->revoked && peer
                     && mono - peer->last_seen_mono < JAD_FEED_SILENT_MS;
        if (peer) {
            ps->has_last_seen = 1;
            ps->last_seen_ms = peer->last_seen_wall;
            ps->has_health = 1;
            ps->health = peer->health;
        }
    }
    uint8_t *buf = jad_frame_participants (st, k, jad_time_now_ms (), &len);
    jad_feed_server_publish (self->feed, buf, len);
    free (buf);
    free (st);
}

/* Once a second: participants, rate, status, and the journal's pages
 * unmapped (serving catch-ups must not keep the file resident). */
static void
s_tick (jad_hub_t *self)
{
    s_publish_participants (self);
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

/* JOURNAL's metadata into *META; a journal of another operation than OP_ID
 * (the roster's) is refused: what jad_hub_new and jad_hub_check both ask
 * of an existing journal at PATH.  0, or -1 with ERR. */
static int
s_journal_meta (jad_journal_t *journal, const char *path, const uint8_t *op_id,
                jad_journal_meta_t *meta, char *err, size_t errlen)
{
    if (jad_journal_meta_get (journal, meta) != 0) {
        snprintf (err, errlen, "%s: cannot read the journal's metadata", path);
        return -1;
    }
    if (meta->has && memcmp (meta->id, op_id, JAD_ID_BYTES) != 0) {
        snprintf (err, errlen, "%s belongs to operation \"%s\", another "
                  "operation than the roster's", path, meta->name);
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
        if (s_journal_meta (journal, path, jad_roster_id (roster), &meta,
                            err, errlen) != 0)
            goto done;
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
    char why[512], path[4096];
    if (s_identity_load (config, &self->keys, &self->roster, err, errlen) != 0)
        goto fail;
    memcpy (self->op_id, jad_roster_id (self->roster), JAD_ID_BYTES);
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
    if (s_journal_meta (self->journal, path, self->op_id, &meta,
                        err, errlen) != 0)
        goto fail;
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
    self->pool = jad_pool_new (0);
    if (!self->pool) {
        snprintf (err, errlen, "cannot start verification threads");
        goto fail;
    }
    jad_ingest_handlers_t in = {
        .answer = s_on_answer, .journaled = s_on_journaled, .drop = s_on_drop
    };
    self->ingest = jad_ingest_new (self->journal, self->op_id, self->roster,
                                   self->pool, &in, self);
    if (!self->ingest
    ||  jad_journal_record_last (self->journal, JAD_JOURNAL_CHECKPOINTS,
                                 &self->cp_seq) != 0) {
        snprintf (err, errlen, "%s: cannot read the head", path);
        goto fail;
    }
    self->cp_mono = jad_time_mono_ms ();
    if (s_audit (self, path, err, errlen) != 0)
        goto fail;
    /* The roster in force is the file's, with every revocation the journal
     * recorded before carried over; record it if it changed. */
    jad_history_t *history = jad_history_new ();
    if (!history
    ||  jad_history_load (history, self->journal, 0, NULL, s_bad_roster_fn,
                          NULL) < 0) {
        jad_history_destroy (&history);
        snprintf (err, errlen, "%s: cannot read the recorded rosters", path);
        goto fail;
    }
    const jad_roster_t *recorded = jad_history_last (history);
    s_merge_revocations (self, self->roster, recorded);
    char *was = recorded ? jad_roster_format (recorded) : NULL;
    char *now = jad_roster_format (self->roster);
    int same = was && now && strcmp (was, now) == 0;
    free (was);
    free (now);
    jad_history_destroy (&history);
    if (!same && s_record_roster (self) != 0) {
        snprintf (err, errlen, "%s: cannot record the roster", path);
        goto fail;
    }
    jad_feed_server_config_t fc = {
        .keys = self->keys, .publish = config->publish, .listen = config->listen,
        .journal = self->journal, .operation_id = self->op_id,
        .epoch = self->epoch, .head = s_head (self),
        .on_submit = s_on_submit, .arg = self
    };
    self->feed = jad_feed_server_new (&fc, self->roster, err, errlen);
    if (!self->feed)
        goto fail;
    jad_log_notice ("operation \"%s\": journal head %" PRIu64 ", listening "
                    "on %s, publishing on %s", jad_roster_operation (self->roster),
                    s_head (self), config->listen, config->publish);
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
    /* The intake first: its waiting routes are freed, not answered. */
    jad_ingest_destroy (&self->ingest);
    jad_feed_server_destroy (&self->feed);
    jad_pool_destroy (&self->pool);
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
        /* Read a batch of messages (submits go to the intake), commit it,
         * checkpoint when due, then serve a slice of the catch-ups. */
        jad_feed_server_poll (self->feed, (int) (self->next_tick - now));
        jad_ingest_commit (self->ingest);
        uint64_t head = s_head (self);
        int64_t mono = jad_time_mono_ms ();
        if (mono >= self->cp_retry
        &&  (head >= self->cp_seq + S_CHECKPOINT_EVERY
             || (head > self->cp_seq && mono - self->cp_mono >= S_CHECKPOINT_MS)))
            s_checkpoint (self);
        jad_feed_server_serve (self->feed);
    }
    s_checkpoint (self);
    jad_log_notice ("stopping: journal head %" PRIu64, s_head (self));
    s_write_status (self);
    return 0;
}
