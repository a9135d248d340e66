/*  ingest: the hub's intake of reports.  See hub/ingest.h. */
#include "ingest.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jad/envelope.h"
#include "jad/frame.h"
#include "jad/log.h"
#include "jad/report.h"
#include "jad/sign.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

/* A valid report waiting for this turn's commit. */
typedef struct {
    void          *route;           /* where the answer goes (owner's) */
    void          *tag;             /* the sender, for the owner's counts */
    uint8_t       *bytes;           /* the envelope as received (owned) */
    size_t         len;
    jad_envelope_t env;             /* opened: its identity, for the
                                       signature and the answer */
    uint8_t        sign_key[JAD_SIGN_PUBLIC_BYTES];  /* the sender's, from
                                                        the roster */
    uint8_t        key_id[JAD_KEY_ID_BYTES];
    jad_err_t      verdict;         /* set by the verification pool */
    char           why[160];        /* its reason when not JAD_OK */
} s_waiting_t;

/* Keys of the dedupe index found damaged and logged, at most this many
 * (a short hash each): a damaged record is logged once, not at every
 * resend of its report. */
#define S_DAMAGE_LOGGED  1024

struct _jad_ingest_t {
    jad_journal_t *journal;         /* not owned */
    uint8_t        op_id[JAD_ID_BYTES];
    const jad_roster_t *roster;     /* in force; not owned */
    jad_pool_t    *pool;            /* not owned */
    jad_ingest_handlers_t on;
    void          *arg;
    uint64_t       head;            /* the journal's head */
    s_waiting_t    waiting[JAD_INGEST_BATCH];
    jad_journal_item_t items[JAD_INGEST_BATCH];
    size_t         n_waiting;
    /* what is logged once, not per batch or per resend */
    uint64_t       damage_logged[S_DAMAGE_LOGGED];  /* keys, hashed */
    size_t         n_damage_logged;
    int            damage_more;     /* more keys than that: said once */
    int            failing;         /* the journal's commits fail (logged
                                       when they start and when they stop) */
    uint64_t       failed_batches;  /* ... since they started */
    uint64_t       failed_reports;  /* ... answered UNAVAILABLE for it */
};

/* ------------------------------------------------------------ answers */

static void
s_answer (jad_ingest_t *self, void *route, uint8_t *frame, size_t len)
{
    /* A frame that could not be built (memory) is not sent: the agent
     * resends after its timer, which is what UNAVAILABLE would ask. */
    if (frame)
        self->on.answer (self->arg, route, frame, len);
    else
        self->on.drop (self->arg, route);
    free (frame);
}

static void
s_refuse (jad_ingest_t *self, void *route, jad_err_t code, const char *why,
          const jad_ident_t *ident)
{
    size_t len = 0;
    uint8_t *frame = jad_frame_error (code, why, ident, &len);
    s_answer (self, route, frame, len);
}

static void
s_ident_of (const jad_envelope_t *env, jad_ident_t *out)
{
    jad_ident_set (out, 1, env->id.incarnation, JAD_ID_BYTES, 1,
                   env->id.origin_seq);
}

/* ------------------------------------------------------------ checks */

/* Entry SEQ of the journal, opened down to its envelope and report.
 * JAD_OK; JAD_EMALFORMED with WHY when there is no such entry or it does
 * not decode; JAD_EUNAVAILABLE when the journal cannot be read. */
static jad_err_t
s_earlier (jad_ingest_t *self, uint64_t seq, const char *field,
           jad_envelope_t *env, Jad__Report **report_p, char *why, size_t whylen)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char derr[256];
    jad_err_t code = JAD_EMALFORMED;
    Jad__Entry *entry = NULL;
    int found = seq == 0 || seq > self->head ? 0
              : jad_journal_get (self->journal, seq, &buf, &len);
    if (found < 0) {
        snprintf (why, whylen, "%s: the journal cannot be read now", field);
        code = JAD_EUNAVAILABLE;
        goto out;
    }
    if (found == 0) {
        snprintf (why, whylen, "%s: no entry %" PRIu64 " in the journal",
                  field, seq);
        goto out;
    }
    entry = jad_wire_entry_decode (buf, len, derr, sizeof derr);
    if (!entry
    ||  jad_envelope_open (entry->envelope.data, entry->envelope.len, env,
                           derr, sizeof derr) != JAD_OK
    ||  !(*report_p = jad_wire_report_decode (env->report, env->report_len,
                                              derr, sizeof derr))) {
        /* The journal's own entry: whatever went wrong (memory, a
         * damaged page) is the hub's, not the report's. */
        snprintf (why, whylen, "%s: entry %" PRIu64 " cannot be read now "
                  "(%s); retry later", field, seq, derr);
        code = JAD_EUNAVAILABLE;
        goto out;
    }
    code = JAD_OK;
out:
    jad_wire_free (&entry);
    free (buf);
    return code;
}

/* A correction must supersede an earlier report of the sender's country;
 * a request_ack must name an earlier request to its country (or to all).
 * JAD_OK or a code with WHY. */
static jad_err_t
s_check_target (jad_ingest_t *self, const jad_participant_t *who,
                const Jad__Report *r, char *why, size_t whylen)
{
    jad_envelope_t env = { 0 };
    Jad__Report *target = NULL;
    jad_err_t code = JAD_OK;
    if (r->body_case == JAD__REPORT__BODY_CORRECTION) {
        uint64_t seq = r->correction->supersedes;
        code = s_earlier (self, seq, "correction.supersedes", &env, &target,
                          why, whylen);
        const jad_participant_t *was = code == JAD_OK
            ? jad_roster_find_name (self->roster, env.id.origin) : NULL;
        if (code == JAD_OK && (!was || strcmp (was->country, who->country) != 0)) {
            snprintf (why, whylen, "correction.supersedes: entry %" PRIu64
                      " is not a report from %s", seq, who->country);
            code = JAD_EMALFORMED;
        }
    }
    else
    if (r->body_case == JAD__REPORT__BODY_REQUEST_ACK) {
        uint64_t seq = r->request_ack->request_seq;
        code = s_earlier (self, seq, "request_ack.request_seq", &env, &target,
                          why, whylen);
        if (code == JAD_OK && target->body_case != JAD__REPORT__BODY_REQUEST) {
            snprintf (why, whylen, "request_ack.request_seq: entry %" PRIu64
                      " is not a request", seq);
            code = JAD_EMALFORMED;
        }
        else
        if (code == JAD_OK
        &&  !jad_report_request_addressed (target->request, who->country)) {
            snprintf (why, whylen, "request_ack.request_seq: request %" PRIu64
                      " is not addressed to %s", seq, who->country);
            code = JAD_EMALFORMED;
        }
    }
    jad_wire_free (&target);
    jad_envelope_clear (&env);
    return code;
}

int
jad_ingest_submit (jad_ingest_t *self, const jad_participant_t *who,
                   void *tag, const uint8_t *bytes, size_t len, void *route)
{
    char why[512];
    jad_ident_t ident;
    if (self->n_waiting == JAD_INGEST_BATCH) {
        /* The owner commits when told the batch is full: not reached. */
        jad_envelope_ident (bytes, len, &ident);
        s_refuse (self, route, JAD_EUNAVAILABLE, "the hub is busy; retry later",
                  &ident);
        return 1;
    }
    s_waiting_t *w = &self->waiting[self->n_waiting];
    Jad__Report *report = NULL;
    memset (w, 0, sizeof *w);
    jad_err_t code = JAD_EFORBIDDEN;
    if (who->revoked) {
        /* The owner finds WHO among the active keys; a revoked line that
         * reaches us anyway is refused all the same: an entry journaled
         * after the revocation would never verify (jad-verify). */
        jad_envelope_ident (bytes, len, &ident);
        snprintf (why, sizeof why, "participant %s is revoked: key not on "
                  "the roster", who->name);
        goto refuse;
    }
    code = jad_envelope_open (bytes, len, &w->env, why, sizeof why);
    if (code != JAD_OK) {
        /* Name the report when it can be read, or its sender cannot
         * match the refusal and resends it for ever. */
        jad_envelope_ident (bytes, len, &ident);
        goto refuse;
    }
    s_ident_of (&w->env, &ident);
    code = JAD_EWRONG_OPERATION;
    if (memcmp (w->env.id.operation_id, self->op_id, JAD_ID_BYTES) != 0) {
        snprintf (why, sizeof why, "operation_id: not this hub's operation");
        goto refuse;
    }
    code = JAD_EFORBIDDEN;
    if (strcmp (w->env.id.origin, who->name) != 0) {
        snprintf (why, sizeof why, "origin: \"%.64s\" is not the sender \"%s\"",
                  w->env.id.origin, who->name);
        goto refuse;
    }
    code = JAD_EMALFORMED;
    report = jad_wire_report_decode (w->env.report, w->env.report_len,
                                     why, sizeof why);
    if (!report && errno == ENOMEM)
        code = JAD_EUNAVAILABLE;            /* ours, not the report's */
    if (!report || jad_report_validate (report, why, sizeof why) != 0)
        goto refuse;
    code = JAD_EFORBIDDEN;
    if (jad_report_may_send (who, report, why, sizeof why) != 0)
        goto refuse;
    code = s_check_target (self, who, report, why, sizeof why);
    if (code != JAD_OK)
        goto refuse;
    w->bytes = malloc (len);
    if (!w->bytes) {
        code = JAD_EUNAVAILABLE;
        snprintf (why, sizeof why, "the hub is out of memory; retry later");
        goto refuse;
    }
    memcpy (w->bytes, bytes, len);
    w->len = len;
    w->route = route;
    w->tag = tag;
    memcpy (w->sign_key, who->sign_key, sizeof w->sign_key);
    memcpy (w->key_id, who->key_id, sizeof w->key_id);
    self->n_waiting++;
    jad_wire_free (&report);
    return self->n_waiting == JAD_INGEST_BATCH;
refuse:
    jad_log_warn ("refused a report from %s: %s: %s", who->name,
                  jad_err_name (code), why);
    s_refuse (self, route, code, why, &ident);
    jad_wire_free (&report);
    jad_envelope_clear (&w->env);
    return 0;
}

/* ------------------------------------------------------------ commit */

/* The dedupe index disagrees with the entries at IT's key (its DAMAGE
 * says how): log it the first time only — the report's agent resends it
 * until the index is repaired, and a line per resend would bury the
 * others. */
static void
s_log_damage (jad_ingest_t *self, const jad_journal_item_t *it)
{
    uint8_t digest[8];
    crypto_generichash_state st;
    uint8_t seqbuf[8];
    for (int b = 0; b < 8; b++)
        seqbuf[b] = (uint8_t) (it->origin_seq >> (56 - 8 * b));
    crypto_generichash_init (&st, NULL, 0, sizeof digest);
    crypto_generichash_update (&st, (const uint8_t *) it->origin,
                               strlen (it->origin) + 1);
    crypto_generichash_update (&st, it->incarnation, JAD_ID_BYTES);
    crypto_generichash_update (&st, seqbuf, sizeof seqbuf);
    crypto_generichash_final (&st, digest, sizeof digest);
    uint64_t key;
    memcpy (&key, digest, sizeof key);
    for (size_t i = 0; i < self->n_damage_logged; i++)
        if (self->damage_logged[i] == key)
            return;
    if (self->n_damage_logged == S_DAMAGE_LOGGED) {
        if (!self->damage_more)
            jad_log_error ("%s (and more keys than %d: the rest are not logged "
                           "one by one)", it->damage, S_DAMAGE_LOGGED);
        self->damage_more = 1;
        return;
    }
    self->damage_logged[self->n_damage_logged++] = key;
    jad_log_error ("%s", it->damage);
}

/* The journal's commit of N reports failed (OK 0, with ERR) or succeeded:
 * one line when commits start failing — a full disk fails every batch
 * until it is freed, hundreds a minute — and one when they succeed
 * again, with how many failed meanwhile. */
static void
s_commit_state (jad_ingest_t *self, int ok, size_t n, const char *err)
{
    if (!ok) {
        if (!self->failing)
            jad_log_error ("journal: %s; commits are failing: every report is "
                           "answered UNAVAILABLE (retry later) until one "
                           "succeeds", err);
        self->failing = 1;
        self->failed_batches++;
        self->failed_reports += n;
        return;
    }
    if (self->failing)
        jad_log_notice ("journal: commits succeed again after %" PRIu64
                        " failed batches (%" PRIu64 " reports answered "
                        "UNAVAILABLE meanwhile)", self->failed_batches,
                        self->failed_reports);
    self->failing = 0;
    self->failed_batches = 0;
    self->failed_reports = 0;
}

static void
s_verify_fn (void *arg, size_t i)
{
    s_waiting_t *w = &((s_waiting_t *) arg)[i];
    w->verdict = jad_envelope_verify (&w->env, w->sign_key, w->key_id,
                                      w->why, sizeof w->why);
}

static void
s_release (s_waiting_t *w)
{
    free (w->bytes);
    w->bytes = NULL;
    jad_envelope_clear (&w->env);
}

/* Verify on every core, outside any transaction; answer the failures and
 * keep the rest in order. */
static void
s_verify (jad_ingest_t *self)
{
    jad_pool_run (self->pool, s_verify_fn, self->waiting, self->n_waiting);
    size_t kept = 0;
    for (size_t i = 0; i < self->n_waiting; i++) {
        s_waiting_t *w = &self->waiting[i];
        if (w->verdict == JAD_OK) {
            if (kept != i)
                self->waiting[kept] = *w;
            kept++;
            continue;
        }
        jad_ident_t ident;
        s_ident_of (&w->env, &ident);
        jad_log_warn ("refused a report from %s: %s: %s (origin_seq %" PRIu64 ")",
                      w->env.id.origin, jad_err_name (w->verdict), w->why,
                      w->env.id.origin_seq);
        s_refuse (self, w->route, w->verdict, w->why, &ident);
        s_release (w);
    }
    self->n_waiting = kept;
}

long
jad_ingest_commit (jad_ingest_t *self)
{
    if (self->n_waiting)
        s_verify (self);
    size_t n = self->n_waiting;
    if (n == 0)
        return 0;
    int64_t now = jad_time_now_ms ();
    for (size_t i = 0; i < n; i++) {
        s_waiting_t *w = &self->waiting[i];
        jad_journal_item_t *it = &self->items[i];
        memset (it, 0, sizeof *it);
        it->origin = w->env.id.origin;
        it->incarnation = w->env.id.incarnation;
        it->origin_seq = w->env.id.origin_seq;
        it->envelope = w->bytes;
        it->envelope_len = w->len;
        it->received_ms = now;
        it->keep_entry = 1;
    }
    char err[512] = "";
    int ok = jad_journal_append (self->journal, self->items, n,
                                 err, sizeof err) == 0;
    s_commit_state (self, ok, n, err);
    long fresh = 0;
    for (size_t i = 0; i < n; i++) {
        s_waiting_t *w = &self->waiting[i];
        jad_journal_item_t *it = &self->items[i];
        jad_ident_t ident;
        s_ident_of (&w->env, &ident);
        size_t len = 0;
        if (ok && it->damage[0])
            s_log_damage (self, it);
        if (!ok)
            s_refuse (self, w->route, JAD_EUNAVAILABLE,
                      "journal unavailable; retry later", &ident);
        else
        if (it->status == JAD_JOURNAL_DAMAGED)
            /* Whether this report is journaled cannot be told until the
             * index is repaired: never a final answer. */
            s_refuse (self, w->route, JAD_EUNAVAILABLE,
                      "the hub's dedupe index is damaged at this report; "
                      "retry later", &ident);
        else
        if (it->status == JAD_JOURNAL_CONFLICT) {
            jad_log_warn ("conflict: %s resent origin_seq %" PRIu64
                          " with other bytes", w->env.id.origin,
                          w->env.id.origin_seq);
            s_refuse (self, w->route, JAD_ECONFLICT,
                      "origin_seq already used for another report", &ident);
        }
        else {
            uint8_t *ack = jad_frame_ack (w->env.id.incarnation,
                                          w->env.id.origin_seq, it->hub_seq,
                                          it->status == JAD_JOURNAL_DUPLICATE,
                                          &len);
            s_answer (self, w->route, ack, len);
            if (it->status == JAD_JOURNAL_NEW)
                fresh++;
        }
        w->route = NULL;
    }
    /* Then hand on the new entries, from the bytes just stored (reading
     * them back would map the journal's pages into the hub's memory). */
    for (size_t i = 0; i < n; i++) {
        jad_journal_item_t *it = &self->items[i];
        if (ok && it->entry) {
            self->head = it->hub_seq;
            self->on.journaled (self->arg, it->hub_seq, it->entry,
                                it->entry_len, self->waiting[i].tag);
        }
        free (it->entry);
        it->entry = NULL;
        s_release (&self->waiting[i]);
    }
    self->n_waiting = 0;
    return ok ? fresh : -1;
}

/* ------------------------------------------------------------ lifecycle */

jad_ingest_t *
jad_ingest_new (jad_journal_t *journal, const uint8_t *op_id,
                const jad_roster_t *roster, jad_pool_t *pool,
                const jad_ingest_handlers_t *handlers, void *arg)
{
    jad_ingest_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->journal = journal;
    memcpy (self->op_id, op_id, JAD_ID_BYTES);
    self->roster = roster;
    self->pool = pool;
    self->on = *handlers;
    self->arg = arg;
    if (jad_journal_head (journal, &self->head) != 0) {
        free (self);
        return NULL;
    }
    return self;
}

void
jad_ingest_destroy (jad_ingest_t **self_p)
{
    jad_ingest_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_waiting; i++) {
        self->on.drop (self->arg, self->waiting[i].route);
        s_release (&self->waiting[i]);
    }
    free (self);
    *self_p = NULL;
}

void
jad_ingest_set_roster (jad_ingest_t *self, const jad_roster_t *roster)
{
    self->roster = roster;
}

size_t
jad_ingest_waiting (const jad_ingest_t *self)
{
    return self->n_waiting;
}

uint64_t
jad_ingest_head (const jad_ingest_t *self)
{
    return self->head;
}
