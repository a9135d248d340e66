/*  audit: everything a journal holds, checked against everything else it
 *  holds.  See include/jad/audit.h for what is checked and what it costs.
 *
 *  The pass, a chunk of S_CHUNK hub_seqs at a time:
 *    1. read them key by key (jad_journal_walk), copying the bytes;
 *    2. on the pool, per entry: hash it, walk its bytes for the fields the
 *       audit needs, and from sign_from on open and verify the envelope;
 *    3. look every entry's identity up in dedupe, in one read transaction;
 *    4. (compare) read the same hub_seqs from the other journal;
 *    5. judge them in order: runs of missing or unreadable keys, then per
 *       entry its decoding, chain, signature, dedupe record, the compared
 *       entry and the checkpoint at its hub_seq.
 *  Then what only the end can tell: checkpoints past the head, dedupe
 *  records no entry accounts for, the compared journal's extra entries,
 *  and the tail after the last checkpoint.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lmdb.h>
#include <sodium.h>

#include "jad/audit.h"
#include "jad/envelope.h"
#include "jad/record.h"
#include "jad/report.h"
#include "jad/sign.h"
#include "jad/wire.h"

#define S_CHUNK        4096     /* hub_seqs read per read transaction */
#define S_CP_CHUNK     256      /* checkpoints read per read transaction */
#define S_EXTRA_CHUNK  1024     /* dedupe records read per read transaction */
#define S_DEDUPE_VAL   (8 + JAD_HASH_BYTES)

/* One hub_seq of the current chunk. */
typedef struct {
    uint64_t seq;                       /* its key */
    int      state;                     /* JAD_JOURNAL_PRESENT, _ABSENT or
                                         * _UNREADABLE */
    int      lmdb_rc;                   /* LMDB's code when UNREADABLE */
    size_t   off, len;                  /* its bytes in the chunk's arena */
    /* s_check_fn's: */
    uint8_t  hash[JAD_HASH_BYTES];      /* of the entry's bytes */
    int      has_prev;                  /* a prev_hash is there */
    uint8_t  prev[JAD_HASH_BYTES];
    uint64_t hub_seq;                   /* the hub_seq the entry names */
    int64_t  received_ms;
    const uint8_t *origin;              /* identity, pointing into the arena; */
    size_t   origin_len;                /* ORIGIN_LEN 0 when unknown */
    const uint8_t *incarnation;         /* JAD_ID_BYTES */
    uint64_t origin_seq;
    uint8_t  env_hash[JAD_HASH_BYTES];  /* of the envelope's bytes */
    int      signed_ok;                 /* its signature was verified */
    char     err[320];                  /* why it does not decode; "" */
    char     sig_err[320];              /* why it does not verify; "" */
    /* the compared journal's entry at this hub_seq: */
    int      other_state;
    uint8_t  other_hash[JAD_HASH_BYTES];
} s_item_t;

/* A checkpoint that decoded (and verified, given a hub key). */
typedef struct {
    uint64_t seq;
    uint8_t  hash[JAD_HASH_BYTES];
    int      other;             /* held by the compared journal, not this one */
} s_cp_t;

/* Hub_seqs in one state (missing or unreadable), pending until the next
 * entry that reads, or the end. */
typedef struct {
    uint64_t first, last;               /* FIRST 0: none */
    int      lmdb_rc;                   /* the first one's LMDB code */
} s_run_t;

/* A dedupe record read by s_extras. */
typedef struct {
    uint8_t  key[JAD_JOURNAL_ORIGIN_MAX + 1 + JAD_ID_BYTES + 8];
    size_t   key_len;
    uint64_t hub_seq;                   /* what it points to */
    int      malformed;                 /* not S_DEDUPE_VAL bytes */
} s_record_t;

typedef struct {
    jad_journal_t            *journal;
    const jad_audit_config_t *cfg;
    jad_audit_result_t       *res;
    int                       stopped;      /* on_finding said stop */
    int                       oom;          /* memory ran out */
    int64_t                   now_ms;       /* when the census was taken */
    jad_journal_census_t      census;
    uint64_t                  head;         /* judged up to here */
    uint64_t                  sign_from;    /* resolved */
    /* the checkpoints, in key order */
    s_cp_t                   *cps;
    size_t                    n_cps, cap_cps, next_cp;
    uint64_t                  cp_last_key;  /* last key s_cp_fn saw */
    int                       cp_other;     /* s_cp_fn reads the compared
                                             * journal's */
    /* the current chunk */
    s_item_t                 *items;
    size_t                    n_items;
    uint8_t                  *arena;
    size_t                    arena_len, arena_cap;
    jad_journal_ident_t      *idents;
    /* carried from entry to entry */
    int                       chain_known;  /* PREV_HASH / HAVE_PREV are the
                                             * entry just before's */
    int                       have_prev;    /* there is an entry before */
    uint8_t                   prev_hash[JAD_HASH_BYTES];
    s_run_t                   missing, unreadable;
    uint64_t                  unreadable_keys;
    uint64_t                  accounted;    /* dedupe records the entries
                                             * account for */
    int                       dedupe_unreadable;  /* a record could not be
                                             * read: no cursor over dedupe */
    int                       cp_pending;   /* note the next receipt */
    int64_t                   tail_ms;      /* receipt of the first entry
                                             * after the last match; -1 */
    uint64_t                  other_end;    /* compare: the first hub_seq the
                                             * other lacks, 0 */
    uint64_t                  other_unreadable;
} s_audit_t;

/* ------------------------------------------------------------ findings */

static const char *s_kind_names[JAD_AUDIT_KIND_MAX + 1] = {
    [JAD_AUDIT_ENTRY]               = "entry",
    [JAD_AUDIT_MISSING]             = "missing",
    [JAD_AUDIT_UNREADABLE]          = "unreadable",
    [JAD_AUDIT_CHAIN]               = "chain",
    [JAD_AUDIT_SIGNATURE]           = "signature",
    [JAD_AUDIT_DUPLICATE]           = "duplicate",
    [JAD_AUDIT_DEDUPE_MISSING]      = "dedupe-missing",
    [JAD_AUDIT_DEDUPE_ELSEWHERE]    = "dedupe-elsewhere",
    [JAD_AUDIT_DEDUPE_EXTRA]        = "dedupe-extra",
    [JAD_AUDIT_CHECKPOINT_BAD]      = "checkpoint-bad",
    [JAD_AUDIT_CHECKPOINT_MISMATCH] = "checkpoint-mismatch",
    [JAD_AUDIT_ROSTER_BAD]          = "roster-bad",
    [JAD_AUDIT_TAIL]                = "tail",
    [JAD_AUDIT_DIFFERS]             = "differs",
    [JAD_AUDIT_LIVE_TAIL]           = "live-tail",
    [JAD_AUDIT_COMPARE_SHORT]       = "compare-short",
    [JAD_AUDIT_FREE_PAGES]          = "free-pages",
};

const char *
jad_audit_kind_name (jad_audit_kind_t kind)
{
    return kind >= 1 && kind <= JAD_AUDIT_KIND_MAX ? s_kind_names[kind]
                                                   : "unknown";
}

/* How a damage finding ranks for "the first": what is wrong with the
 * entries first, then an index, then a tail that is only not yet signed
 * (it follows from most of the others); within a rank the lowest hub_seq,
 * findings without one last. */
static int
s_before (const jad_audit_finding_t *a, const jad_audit_finding_t *b)
{
    int ra = a->kind == JAD_AUDIT_TAIL ? 2 : a->index;
    int rb = b->kind == JAD_AUDIT_TAIL ? 2 : b->index;
    if (ra != rb)
        return ra < rb;
    uint64_t pa = a->first ? a->first : UINT64_MAX;
    uint64_t pb = b->first ? b->first : UINT64_MAX;
    return pa < pb;
}

/* Report one finding: KIND of SEVERITY about hub_seqs FIRST..LAST (0:
 * none; LAST 0: FIRST alone), OTHER, the dedupe key text KEY (NULL:
 * none), and the sentence. */
static void
s_find (s_audit_t *self, jad_audit_kind_t kind, int severity, uint64_t first,
        uint64_t last, uint64_t other, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
static void
s_find (s_audit_t *self, jad_audit_kind_t kind, int severity, uint64_t first,
        uint64_t last, uint64_t other, const char *key, const char *fmt, ...)
{
    jad_audit_finding_t f;
    memset (&f, 0, sizeof f);
    f.kind = kind;
    f.severity = severity;
    f.index = kind == JAD_AUDIT_DEDUPE_MISSING || kind == JAD_AUDIT_DEDUPE_ELSEWHERE
           || kind == JAD_AUDIT_DEDUPE_EXTRA;
    f.first = first;
    f.last = last ? last : first;
    f.other = other;
    snprintf (f.key, sizeof f.key, "%s", key ? key : "");
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (f.text, sizeof f.text, fmt, ap);
    va_end (ap);

    jad_audit_result_t *res = self->res;
    res->findings[severity]++;
    res->kinds[kind]++;
    if (severity == JAD_AUDIT_DAMAGE) {
        if (f.index)
            res->index_damage++;
        else
            res->entry_damage++;
        if (!res->first.kind || s_before (&f, &res->first))
            res->first = f;
    }
    if (self->cfg->on_finding && !self->stopped
    &&  self->cfg->on_finding (self->cfg->arg, &f) != 0)
        self->stopped = 1;
}

/* KEY = an identity's dedupe key as text: "(origin, hex, origin_seq)". */
static void
s_key_text (char *key, size_t keylen, const uint8_t *origin, size_t olen,
            const uint8_t *incarnation, uint64_t origin_seq)
{
    char hex[2 * JAD_ID_BYTES + 1] = "?";
    if (incarnation)
        sodium_bin2hex (hex, sizeof hex, incarnation, JAD_ID_BYTES);
    if (olen > JAD_JOURNAL_ORIGIN_MAX)
        olen = JAD_JOURNAL_ORIGIN_MAX;
    snprintf (key, keylen, "(%.*s, %s, %" PRIu64 ")", (int) olen,
              (const char *) origin, hex, origin_seq);
}

/* "hub_seq 5" or "hub_seq 5..9" into BUF. */
static const char *
s_range (char *buf, size_t len, uint64_t first, uint64_t last)
{
    if (last > first)
        snprintf (buf, len, "hub_seq %" PRIu64 "..%" PRIu64, first, last);
    else
        snprintf (buf, len, "hub_seq %" PRIu64, first);
    return buf;
}

/* ------------------------------------------------------------ rosters */

static int
s_bad_roster_fn (void *arg, uint64_t seq, const char *why)
{
    s_audit_t *self = arg;
    s_find (self, JAD_AUDIT_ROSTER_BAD, JAD_AUDIT_DAMAGE, 0, 0, seq, NULL,
            "roster record at %" PRIu64 ": %s", seq, why);
    return 0;
}

/* ------------------------------------------------------------ checkpoints */

static int
s_cp_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_audit_t *self = arg;
    char err[256];
    jad_checkpoint_t cp;
    const uint8_t *hub_key = jad_history_hub_key (self->cfg->history);
    const char *bad = NULL;
    self->cp_last_key = seq;
    if (jad_checkpoint_decode (buf, len, &cp, err, sizeof err) != 0)
        bad = err;
    else
    if (cp.hub_seq != seq)
        bad = "it names another hub_seq";
    else
    if (hub_key && jad_checkpoint_verify (&cp, self->cfg->op_id, hub_key) != 0)
        bad = "the hub's signature does not verify";
    if (bad && self->cp_other)
        s_find (self, JAD_AUDIT_COMPARE_SHORT, JAD_AUDIT_NOTE, 0, 0, seq, NULL,
                "%s: checkpoint at %" PRIu64 ": %s (not used)",
                self->cfg->compare_name, seq, bad);
    else
    if (bad)
        s_find (self, JAD_AUDIT_CHECKPOINT_BAD, JAD_AUDIT_DAMAGE, 0, 0, seq, NULL,
                "checkpoint at %" PRIu64 ": %s", seq, bad);
    /* The compared journal's checkpoints count only where this journal
     * has entries: past its head they are the compare's business. */
    if (bad || (self->cp_other && seq > self->head))
        return 0;
    if (self->n_cps == self->cap_cps) {
        size_t cap = self->cap_cps ? self->cap_cps * 2 : 64;
        s_cp_t *cps = realloc (self->cps, cap * sizeof *cps);
        if (!cps) {
            self->oom = 1;
            return 1;
        }
        self->cps = cps;
        self->cap_cps = cap;
    }
    s_cp_t *c = &self->cps[self->n_cps++];
    c->seq = seq;
    memcpy (c->hash, cp.head_hash, JAD_HASH_BYTES);
    c->other = self->cp_other;
    if (!self->cp_other)
        self->res->last_signed = seq;
    return 0;
}

static int
s_cp_cmp (const void *a, const void *b)
{
    const s_cp_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every checkpoint of JOURNAL into self->cps, a chunk per read
 * transaction; a bad one is a finding.  0, or -1 when memory ran out. */
static int
s_load_checkpoints_of (s_audit_t *self, jad_journal_t *journal)
{
    uint64_t from = 0;
    for (;;) {
        long n = jad_journal_record_scan (journal, JAD_JOURNAL_CHECKPOINTS,
                                          from, S_CP_CHUNK, s_cp_fn, self);
        if (self->oom)
            return -1;
        if (n < 0 && self->cp_other)
            s_find (self, JAD_AUDIT_COMPARE_SHORT, JAD_AUDIT_NOTE, 0, 0, 0, NULL,
                    "%s: checkpoints from %" PRIu64 " on cannot be read",
                    self->cfg->compare_name, from);
        else
        if (n < 0)
            s_find (self, JAD_AUDIT_CHECKPOINT_BAD, JAD_AUDIT_DAMAGE, 0, 0, 0, NULL,
                    "checkpoints from %" PRIu64 " on: cannot be read (LMDB "
                    "cannot read their page)", from);
        if (n < S_CP_CHUNK || self->cp_last_key == UINT64_MAX)
            return 0;
        from = self->cp_last_key + 1;
    }
}

/* This journal's checkpoints, and the compared journal's: a checkpoint is
 * the hub's signature over an entry's hash, whichever journal keeps it, so
 * a mirror stopped before the hub's last one reached it is covered by the
 * hub's (when its entries are the same).  Sorted by hub_seq. */
static int
s_load_checkpoints (s_audit_t *self)
{
    if (s_load_checkpoints_of (self, self->journal) != 0)
        return -1;
    if (self->cfg->compare) {
        self->cp_other = 1;
        self->cp_last_key = 0;
        if (s_load_checkpoints_of (self, self->cfg->compare) != 0)
            return -1;
        self->cp_other = 0;
        qsort (self->cps, self->n_cps, sizeof *self->cps, s_cp_cmp);
    }
    return 0;
}

/* ------------------------------------------------------------ reading */

/* Walk callback: the chunk's next hub_seq, its bytes copied. */
static int
s_collect_fn (void *arg, uint64_t seq, int state, const uint8_t *buf,
              size_t len, int lmdb_rc)
{
    s_audit_t *self = arg;
    s_item_t *it = &self->items[self->n_items];
    memset (it, 0, offsetof (s_item_t, err));
    it->err[0] = it->sig_err[0] = 0;
    it->seq = seq;
    it->state = state;
    it->lmdb_rc = lmdb_rc;
    it->other_state = JAD_JOURNAL_ABSENT;
    if (state == JAD_JOURNAL_PRESENT) {
        if (self->arena_len + len > self->arena_cap) {
            size_t cap = self->arena_cap ? self->arena_cap : 1 << 20;
            while (cap < self->arena_len + len)
                cap *= 2;
            uint8_t *arena = realloc (self->arena, cap);
            if (!arena) {
                self->oom = 1;
                return 1;
            }
            self->arena = arena;
            self->arena_cap = cap;
        }
        it->off = self->arena_len;
        it->len = len;
        if (len)
            memcpy (self->arena + it->off, buf, len);
        self->arena_len += len;
    }
    self->n_items++;
    return 0;
}

/* Walk callback on the compared journal: the hash of its entry at SEQ. */
static int
s_other_fn (void *arg, uint64_t seq, int state, const uint8_t *buf,
            size_t len, int lmdb_rc)
{
    (void) lmdb_rc;
    s_audit_t *self = arg;
    uint64_t i = seq - self->items[0].seq;
    if (i < self->n_items) {
        s_item_t *it = &self->items[i];
        it->other_state = state;
        if (state == JAD_JOURNAL_PRESENT)
            jad_sign_hash (buf, len, it->other_hash);
    }
    return 0;
}

/* The identity of an envelope's bytes (ENV[0..LEN)), walked in place:
 * origin, incarnation of JAD_ID_BYTES, origin_seq.  0, or -1 with WHY. */
static int
s_identity (const uint8_t *env, size_t len, const uint8_t **origin_p,
            size_t *olen_p, const uint8_t **inc_p, uint64_t *oseq_p,
            char *why, size_t whylen)
{
    jad_wire_view_t ev;
    char err[160];
    if (jad_wire_peek (&jad__envelope__descriptor, env, len, &ev,
                       err, sizeof err) != 0) {
        snprintf (why, whylen, "envelope does not decode: %s", err);
        return -1;
    }
    if (!jad_wire_has (&ev, JAD_WIRE_ENVELOPE_ORIGIN)
    ||  ev.field[JAD_WIRE_ENVELOPE_ORIGIN].value == 0
    ||  ev.field[JAD_WIRE_ENVELOPE_ORIGIN].value > JAD_JOURNAL_ORIGIN_MAX) {
        snprintf (why, whylen, "envelope: origin missing or not a roster name");
        return -1;
    }
    if (!jad_wire_has (&ev, JAD_WIRE_ENVELOPE_INCARNATION)
    ||  ev.field[JAD_WIRE_ENVELOPE_INCARNATION].value != JAD_ID_BYTES) {
        snprintf (why, whylen, "envelope: incarnation missing or not %d bytes",
                  JAD_ID_BYTES);
        return -1;
    }
    if (!jad_wire_has (&ev, JAD_WIRE_ENVELOPE_ORIGIN_SEQ)) {
        snprintf (why, whylen, "envelope: origin_seq missing");
        return -1;
    }
    *origin_p = ev.field[JAD_WIRE_ENVELOPE_ORIGIN].data;
    *olen_p = (size_t) ev.field[JAD_WIRE_ENVELOPE_ORIGIN].value;
    *inc_p = ev.field[JAD_WIRE_ENVELOPE_INCARNATION].data;
    *oseq_p = ev.field[JAD_WIRE_ENVELOPE_ORIGIN_SEQ].value;
    return 0;
}

/* The envelope of the entry BUF[0..LEN), walked in place.  0, or -1 with
 * WHY. */
static int
s_entry_view (const uint8_t *buf, size_t len, jad_wire_view_t *view,
              char *why, size_t whylen)
{
    char err[160];
    if (jad_wire_peek (&jad__entry__descriptor, buf, len, view,
                       err, sizeof err) != 0) {
        snprintf (why, whylen, "entry does not decode: %s", err);
        return -1;
    }
    if (!jad_wire_has (view, JAD_WIRE_ENTRY_HUB_SEQ)) {
        snprintf (why, whylen, "entry does not decode: no hub_seq");
        return -1;
    }
    if (!jad_wire_has (view, JAD_WIRE_ENTRY_ENVELOPE)
    ||  view->field[JAD_WIRE_ENTRY_ENVELOPE].value > JAD_ENVELOPE_MAX) {
        snprintf (why, whylen, "entry does not decode: envelope missing or "
                  "over %d bytes", JAD_ENVELOPE_MAX);
        return -1;
    }
    if (jad_wire_has (view, JAD_WIRE_ENTRY_PREV_HASH)
    &&  view->field[JAD_WIRE_ENTRY_PREV_HASH].value != JAD_HASH_BYTES) {
        snprintf (why, whylen, "entry does not decode: prev_hash of %" PRIu64
                  " bytes", view->field[JAD_WIRE_ENTRY_PREV_HASH].value);
        return -1;
    }
    return 0;
}

/* The checks of one envelope's signature, as the hub made them when it
 * journaled it: this operation's, an origin allowed to sign at SEQ by
 * the roster then in force, allowed to send that kind, and signed by it.
 * 0, or -1 with WHY. */
static int
s_verify_envelope (s_audit_t *self, uint64_t seq, const uint8_t *buf,
                   size_t len, char *why, size_t whylen)
{
    char err[256];
    jad_envelope_t env = { 0 };
    Jad__Report *report = NULL;
    int rc = -1;
    if (jad_envelope_open (buf, len, &env, err, sizeof err) != JAD_OK) {
        snprintf (why, whylen, "envelope: %.200s", err);
        goto out;
    }
    if (memcmp (env.id.operation_id, self->cfg->op_id, JAD_ID_BYTES) != 0) {
        snprintf (why, whylen, "envelope of another operation");
        goto out;
    }
    const jad_participant_t *who = jad_history_signer (self->cfg->history, seq,
                                                       env.id.origin,
                                                       err, sizeof err);
    if (!who) {
        snprintf (why, whylen, "%.250s", err);
        goto out;
    }
    report = jad_wire_report_decode (env.report, env.report_len, err, sizeof err);
    if (!report) {
        snprintf (why, whylen, "report: %.200s", err);
        goto out;
    }
    if (jad_report_may_send (who, report, err, sizeof err) != 0) {
        snprintf (why, whylen, "origin %s: %.200s", who->name, err);
        goto out;
    }
    jad_err_t code = jad_envelope_verify (&env, who->sign_key, who->key_id,
                                          err, sizeof err);
    if (code == JAD_EUNAVAILABLE)
        snprintf (why, whylen, "out of memory");
    else
    if (code != JAD_OK)
        snprintf (why, whylen, "signature by %s does not verify (%.200s)",
                  who->name, err);
    else
        rc = 0;
out:
    jad_wire_free (&report);
    jad_envelope_clear (&env);
    return rc;
}

/* Everything about one entry that needs no other entry; runs on the pool. */
static void
s_check_fn (void *arg, size_t i)
{
    s_audit_t *self = arg;
    s_item_t *it = &self->items[i];
    if (it->state != JAD_JOURNAL_PRESENT)
        return;
    const uint8_t *buf = self->arena + it->off;
    jad_wire_view_t view;
    jad_sign_hash (buf, it->len, it->hash);
    if (s_entry_view (buf, it->len, &view, it->err, sizeof it->err) != 0)
        return;
    it->hub_seq = view.field[JAD_WIRE_ENTRY_HUB_SEQ].value;
    if (jad_wire_has (&view, JAD_WIRE_ENTRY_RECEIVED_MS))
        it->received_ms = (int64_t) view.field[JAD_WIRE_ENTRY_RECEIVED_MS].value;
    if (jad_wire_has (&view, JAD_WIRE_ENTRY_PREV_HASH)) {
        it->has_prev = 1;
        memcpy (it->prev, view.field[JAD_WIRE_ENTRY_PREV_HASH].data, JAD_HASH_BYTES);
    }
    const uint8_t *env = view.field[JAD_WIRE_ENTRY_ENVELOPE].data;
    size_t env_len = (size_t) view.field[JAD_WIRE_ENTRY_ENVELOPE].value;
    jad_sign_hash (env, env_len, it->env_hash);
    if (s_identity (env, env_len, &it->origin, &it->origin_len,
                    &it->incarnation, &it->origin_seq,
                    it->err, sizeof it->err) != 0) {
        it->origin_len = 0;
        return;
    }
    if (it->seq >= self->sign_from)
        it->signed_ok = s_verify_envelope (self, it->seq, env, env_len,
                                           it->sig_err, sizeof it->sig_err) == 0;
}

/* ------------------------------------------------------------ judging */

/* A run of missing hub_seqs ends: at the entry NEXT (0: at the end). */
static void
s_flush_missing (s_audit_t *self, uint64_t next)
{
    s_run_t *r = &self->missing;
    if (!r->first)
        return;
    if (next && r->first == r->last)
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, r->first, 0, 0, NULL,
                "hub_seq %" PRIu64 ": missing (the journal jumps to %" PRIu64 ")",
                r->first, next);
    else
    if (next)
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, r->first, r->last, 0,
                NULL, "hub_seq %" PRIu64 ": missing (%" PRIu64 "..%" PRIu64
                ": the journal jumps to %" PRIu64 ")", r->first, r->first,
                r->last, next);
    else
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, r->first, r->last, 0,
                NULL, "hub_seq %" PRIu64 ": missing (%" PRIu64 "..%" PRIu64
                ": the journal's counts or checkpoints say they were there)",
                r->first, r->first, r->last);
    r->first = r->last = 0;
}

static void
s_flush_unreadable (s_audit_t *self)
{
    s_run_t *r = &self->unreadable;
    char range[64];
    if (!r->first)
        return;
    s_find (self, JAD_AUDIT_UNREADABLE, JAD_AUDIT_DAMAGE, r->first, r->last, 0,
            NULL, "%s: unreadable: LMDB cannot read the page that holds %s (%s)",
            s_range (range, sizeof range, r->first, r->last),
            r->last > r->first ? "them" : "it", mdb_strerror (r->lmdb_rc));
    r->first = r->last = 0;
}

static void
s_extend (s_run_t *r, uint64_t seq, int lmdb_rc)
{
    if (!r->first) {
        r->first = seq;
        r->lmdb_rc = lmdb_rc;
    }
    r->last = seq;
}

/* What is stored at SEQ, against IT's identity: S_HOLDS_IT (that very
 * identity), S_HOLDS_OTHER (another), S_NONE (no entry), S_CANNOT (it
 * cannot be read, or its bytes do not say: the walk named it). */
enum { S_CANNOT = -1, S_NONE = 0, S_HOLDS_OTHER = 1, S_HOLDS_IT = 2 };

static int
s_holds (s_audit_t *self, uint64_t seq, const s_item_t *it)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    jad_wire_view_t view;
    char why[160];
    const uint8_t *origin, *inc;
    size_t olen;
    uint64_t oseq;
    int found = jad_journal_get (self->journal, seq, &buf, &len);
    int holds = found < 0 ? S_CANNOT : found == 0 ? S_NONE : S_HOLDS_OTHER;
    if (found == 1
    &&  (s_entry_view (buf, len, &view, why, sizeof why) != 0
         || s_identity (view.field[JAD_WIRE_ENTRY_ENVELOPE].data,
                        (size_t) view.field[JAD_WIRE_ENTRY_ENVELOPE].value,
                        &origin, &olen, &inc, &oseq, why, sizeof why) != 0))
        holds = S_CANNOT;       /* its bytes do not say: the walk named it */
    else
    if (found == 1
    &&  olen == it->origin_len && memcmp (origin, it->origin, olen) == 0
    &&  memcmp (inc, it->incarnation, JAD_ID_BYTES) == 0
    &&  oseq == it->origin_seq)
        holds = S_HOLDS_IT;
    free (buf);
    return holds;
}

/* The dedupe record of IT's identity, as looked up in ID. */
static void
s_judge_dedupe (s_audit_t *self, const s_item_t *it, const jad_journal_ident_t *id)
{
    char key[JAD_AUDIT_KEY_MAX];
    uint64_t seq = it->seq;
    if (id->state == JAD_JOURNAL_PRESENT && id->hub_seq == seq
    &&  memcmp (id->hash, it->env_hash, JAD_HASH_BYTES) == 0) {
        self->accounted++;
        return;                 /* the common case, kept cheap */
    }
    s_key_text (key, sizeof key, it->origin, it->origin_len, it->incarnation,
                it->origin_seq);
    switch (id->state) {
    case JAD_JOURNAL_ABSENT:
        s_find (self, JAD_AUDIT_DEDUPE_MISSING, JAD_AUDIT_DAMAGE, seq, 0, 0, key,
                "dedupe key %s: missing: hub_seq %" PRIu64 "'s report is not "
                "indexed (a resend would be journaled again)", key, seq);
        return;
    case JAD_JOURNAL_UNREADABLE:
        self->dedupe_unreadable = 1;
        s_find (self, JAD_AUDIT_DEDUPE_MISSING, JAD_AUDIT_DAMAGE, seq, 0, 0, key,
                "dedupe key %s: unreadable: LMDB cannot read the page that holds "
                "it (%s); it indexes hub_seq %" PRIu64, key,
                mdb_strerror (id->lmdb_rc), seq);
        return;
    case JAD_JOURNAL_MALFORMED:
        self->accounted++;
        s_find (self, JAD_AUDIT_DEDUPE_ELSEWHERE, JAD_AUDIT_DAMAGE, seq, 0, 0, key,
                "dedupe key %s: its record is not %d bytes (it indexes hub_seq %"
                PRIu64 ")", key, S_DEDUPE_VAL, seq);
        return;
    default:
        break;
    }
    if (id->hub_seq == seq) {
        self->accounted++;
        if (memcmp (id->hash, it->env_hash, JAD_HASH_BYTES) != 0)
            s_find (self, JAD_AUDIT_DEDUPE_ELSEWHERE, JAD_AUDIT_DAMAGE, seq, 0,
                    seq, key, "dedupe key %s: its hash is not that of hub_seq %"
                    PRIu64 "'s envelope", key, seq);
        return;
    }
    /* Another hub_seq: a second copy of one report, or a damaged record. */
    uint64_t other = id->hub_seq;
    if (other != 0 && s_holds (self, other, it) == S_HOLDS_IT) {
        uint64_t copy = other > seq ? other : seq;
        uint64_t orig = other > seq ? seq : other;
        s_find (self, JAD_AUDIT_DUPLICATE, JAD_AUDIT_DAMAGE, copy, 0, orig, key,
                "hub_seq %" PRIu64 ": a second copy of the report journaled as "
                "hub_seq %" PRIu64 " (identity %s): a report counted twice",
                copy, orig, key);
        return;
    }
    self->accounted++;
    s_find (self, JAD_AUDIT_DEDUPE_ELSEWHERE, JAD_AUDIT_DAMAGE, seq, 0, other, key,
            "dedupe key %s: points to hub_seq %" PRIu64 ", but the report is "
            "hub_seq %" PRIu64 "'s", key, other, seq);
}

/* Judge one entry that was read. */
static void
s_judge_entry (s_audit_t *self, const s_item_t *it, const jad_journal_ident_t *id)
{
    uint64_t seq = it->seq;
    self->res->entries++;
    if (self->cp_pending) {
        self->tail_ms = it->received_ms;
        self->cp_pending = 0;
    }
    if (it->err[0])
        s_find (self, JAD_AUDIT_ENTRY, JAD_AUDIT_DAMAGE, seq, 0, 0, NULL,
                "hub_seq %" PRIu64 ": %s", seq, it->err);
    else
    if (it->hub_seq != seq)
        s_find (self, JAD_AUDIT_ENTRY, JAD_AUDIT_DAMAGE, seq, 0, it->hub_seq, NULL,
                "hub_seq %" PRIu64 ": the entry says it is %" PRIu64 " (moved)",
                seq, it->hub_seq);
    /* The link to the entry before, when that one was read. */
    if (self->chain_known && (it->has_prev || !it->err[0])
    &&  (it->has_prev != self->have_prev
         || (it->has_prev && memcmp (it->prev, self->prev_hash,
                                     JAD_HASH_BYTES) != 0)))
        s_find (self, JAD_AUDIT_CHAIN, JAD_AUDIT_DAMAGE, seq, 0, 0, NULL,
                "hub_seq %" PRIu64 ": prev_hash is not the hash of entry %" PRIu64
                " (an entry changed, removed or inserted at or before it)",
                seq, seq - 1);
    if (!it->err[0] && seq >= self->sign_from) {
        if (it->signed_ok)
            self->res->signatures++;
        else
            s_find (self, JAD_AUDIT_SIGNATURE, JAD_AUDIT_DAMAGE, seq, 0, 0, NULL,
                    "hub_seq %" PRIu64 ": %s", seq, it->sig_err);
    }
    if (it->origin_len)
        s_judge_dedupe (self, it, id);
    if (self->cfg->compare) {
        if (it->other_state == JAD_JOURNAL_PRESENT
        &&  memcmp (it->other_hash, it->hash, JAD_HASH_BYTES) != 0)
            s_find (self, JAD_AUDIT_DIFFERS, JAD_AUDIT_DAMAGE, seq, 0, 0, NULL,
                    "hub_seq %" PRIu64 ": differs from %s's entry %" PRIu64
                    " (one of the two was altered: verify both)", seq,
                    self->cfg->compare_name, seq);
        else
        if (it->other_state == JAD_JOURNAL_ABSENT && !self->other_end)
            self->other_end = seq;
        else
        if (it->other_state == JAD_JOURNAL_UNREADABLE)
            self->other_unreadable++;
    }
    /* Checkpoints at hub_seqs that were not read are passed over: the
     * missing or unreadable run names them. */
    while (self->next_cp < self->n_cps && self->cps[self->next_cp].seq < seq)
        self->next_cp++;
    int matched = 0;
    for (; self->next_cp < self->n_cps && self->cps[self->next_cp].seq == seq;
         self->next_cp++) {
        const s_cp_t *cp = &self->cps[self->next_cp];
        if (memcmp (cp->hash, it->hash, JAD_HASH_BYTES) == 0)
            matched = 1;
        else
            s_find (self, JAD_AUDIT_CHECKPOINT_MISMATCH, JAD_AUDIT_DAMAGE, seq, 0,
                    0, NULL, "hub_seq %" PRIu64 ": does not match the hub's signed "
                    "checkpoint%s%s (an entry at or before it changed)", seq,
                    cp->other ? " held by " : "",
                    cp->other ? self->cfg->compare_name : "");
    }
    if (matched) {
        self->res->checkpoints++;
        self->res->last_checkpoint = seq;
        self->cp_pending = 1;
        self->tail_ms = -1;
    }
    memcpy (self->prev_hash, it->hash, JAD_HASH_BYTES);
    self->have_prev = 1;
    self->chain_known = 1;
}

/* Judge the chunk, in order. */
static void
s_judge_chunk (s_audit_t *self)
{
    size_t k = 0;       /* the next ident: one per present entry */
    for (size_t i = 0; i < self->n_items && !self->stopped; i++) {
        s_item_t *it = &self->items[i];
        if (it->state == JAD_JOURNAL_ABSENT) {
            s_flush_unreadable (self);
            s_extend (&self->missing, it->seq, 0);
            self->chain_known = 0;
            continue;
        }
        if (it->state == JAD_JOURNAL_UNREADABLE) {
            s_flush_missing (self, it->seq);
            s_extend (&self->unreadable, it->seq, it->lmdb_rc);
            self->unreadable_keys++;
            self->chain_known = 0;
            continue;
        }
        s_flush_missing (self, it->seq);
        s_flush_unreadable (self);
        s_judge_entry (self, it, &self->idents[k++]);
    }
}

/* Read, check and judge hub_seqs FROM.. (a chunk).  The next hub_seq, or
 * 0 when memory ran out or the journal could not be read. */
static uint64_t
s_chunk (s_audit_t *self, uint64_t from)
{
    const jad_audit_config_t *cfg = self->cfg;
    self->n_items = 0;
    self->arena_len = 0;
    long n = jad_journal_walk (self->journal, from, self->head, S_CHUNK,
                               s_collect_fn, self);
    if (n <= 0 || self->oom)
        return 0;
    if (cfg->pool)
        jad_pool_run (cfg->pool, s_check_fn, self, self->n_items);
    else
        for (size_t i = 0; i < self->n_items; i++)
            s_check_fn (self, i);
    size_t k = 0;
    for (size_t i = 0; i < self->n_items; i++) {
        const s_item_t *it = &self->items[i];
        if (it->state != JAD_JOURNAL_PRESENT)
            continue;
        jad_journal_ident_t *id = &self->idents[k++];
        memset (id, 0, sizeof *id);
        id->origin = it->origin;
        id->origin_len = it->origin_len;
        id->incarnation = it->incarnation;
        id->origin_seq = it->origin_seq;
    }
    if (jad_journal_lookup_many (self->journal, self->idents, k) != 0)
        return 0;
    if (cfg->compare
    &&  jad_journal_walk (cfg->compare, from, self->items[self->n_items - 1].seq,
                          self->n_items, s_other_fn, self) < 0)
        for (size_t i = 0; i < self->n_items; i++)
            self->items[i].other_state = JAD_JOURNAL_UNREADABLE;
    s_judge_chunk (self);
    return self->items[self->n_items - 1].seq + 1;
}

/* ------------------------------------------------------------ the end */

/* Checkpoints past the head: each names an entry the journal must hold
 * (a truncation below a signed checkpoint), unless a live hub appended it
 * since the audit began. */
static void
s_checkpoints_past (s_audit_t *self)
{
    uint64_t first = 0, last = 0;
    for (size_t i = self->next_cp; i < self->n_cps && !self->stopped; i++) {
        const s_cp_t *cp = &self->cps[i];
        if (cp->seq <= self->head)
            continue;
        uint8_t hash[JAD_HASH_BYTES];
        int found = jad_journal_hash (self->journal, cp->seq, hash);
        if (found == 1 && memcmp (hash, cp->hash, JAD_HASH_BYTES) != 0)
            s_find (self, JAD_AUDIT_CHECKPOINT_MISMATCH, JAD_AUDIT_DAMAGE,
                    cp->seq, 0, 0, NULL, "hub_seq %" PRIu64 ": does not match "
                    "the hub's signed checkpoint (an entry at or before it "
                    "changed)", cp->seq);
        if (found == 0) {
            if (!first)
                first = cp->seq;
            last = cp->seq;
        }
    }
    if (!last)
        return;
    if (last == self->head + 1)
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, last, 0, 0, NULL,
                "hub_seq %" PRIu64 ": missing (a signed checkpoint covers it, "
                "the journal ends at %" PRIu64 ")", last, self->head);
    else
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, self->head + 1, last,
                0, NULL, "hub_seq %" PRIu64 ": missing (%" PRIu64 "..%" PRIu64
                ": a signed checkpoint at %" PRIu64 " covers them, the journal "
                "ends at %" PRIu64 ")", self->head + 1, self->head + 1, last,
                last, self->head);
}

/* A chunk of dedupe records, copied for s_extras. */
typedef struct {
    s_record_t *recs;
    size_t      n;
} s_records_t;

static int
s_record_fn (void *arg, const uint8_t *key, size_t key_len, const uint8_t *val,
             size_t val_len)
{
    s_records_t *r = arg;
    s_record_t *rec = &r->recs[r->n++];
    rec->key_len = key_len < sizeof rec->key ? key_len : sizeof rec->key;
    memcpy (rec->key, key, rec->key_len);
    rec->malformed = val_len != S_DEDUPE_VAL;
    rec->hub_seq = 0;
    for (int i = 0; !rec->malformed && i < 8; i++)
        rec->hub_seq = (rec->hub_seq << 8) | val[i];
    return 0;
}

/* Dedupe holds records no entry accounts for: find them (a cursor over
 * dedupe, whose every record read, and a read of the entry each names).
 * One that names a hub_seq past the head is a report the journal held and
 * lost: those make one MISSING range. */
static void
s_extras (s_audit_t *self)
{
    uint64_t expect = self->census.dedupe - self->accounted;
    uint64_t found = 0, past = 0, past_first = 0, past_last = 0;
    s_records_t r = { calloc (S_EXTRA_CHUNK, sizeof (s_record_t)), 0 };
    uint8_t after[sizeof r.recs->key];
    size_t after_len = 0;
    if (!r.recs) {
        self->oom = 1;
        return;
    }
    while (found < expect && !self->stopped) {
        r.n = 0;
        long n = jad_journal_dedupe_scan (self->journal, after_len ? after : NULL,
                                          after_len, S_EXTRA_CHUNK, s_record_fn, &r);
        if (n <= 0)
            break;
        for (size_t i = 0; i < r.n && !self->stopped; i++) {
            s_record_t *rec = &r.recs[i];
            char origin[JAD_JOURNAL_ORIGIN_MAX + 1], key[JAD_AUDIT_KEY_MAX];
            uint8_t inc[JAD_ID_BYTES];
            uint64_t oseq = 0;
            if (rec->malformed)
                continue;       /* named where its entry was judged */
            if (jad_journal_dedupe_key_split (rec->key, rec->key_len, origin, inc,
                                              &oseq) != 0) {
                char hex[2 * 64 + 1];
                sodium_bin2hex (hex, sizeof hex, rec->key,
                                rec->key_len < 64 ? rec->key_len : 64);
                found++;
                s_find (self, JAD_AUDIT_DEDUPE_EXTRA, JAD_AUDIT_DAMAGE, 0, 0, 0,
                        hex, "dedupe key %s: not the shape of a dedupe key", hex);
                continue;
            }
            s_key_text (key, sizeof key, (const uint8_t *) origin, strlen (origin),
                        inc, oseq);
            s_item_t probe;
            probe.origin = (const uint8_t *) origin;
            probe.origin_len = strlen (origin);
            probe.incarnation = inc;
            probe.origin_seq = oseq;
            int holds = rec->hub_seq ? s_holds (self, rec->hub_seq, &probe)
                                     : S_NONE;
            if (holds == S_CANNOT || holds == S_HOLDS_IT)
                continue;       /* named by the walk; or its entry's own (or
                                 * one a live hub appended since) */
            found++;
            if (holds == S_NONE && rec->hub_seq > self->head) {
                past++;
                if (!past_first || rec->hub_seq < past_first)
                    past_first = rec->hub_seq;
                if (rec->hub_seq > past_last)
                    past_last = rec->hub_seq;
                continue;
            }
            s_find (self, JAD_AUDIT_DEDUPE_EXTRA, JAD_AUDIT_DAMAGE, 0, 0,
                    rec->hub_seq, key, "dedupe key %s: names hub_seq %" PRIu64
                    ", which %s", key, rec->hub_seq,
                    holds == S_HOLDS_OTHER ? "holds another report"
                                           : "the journal does not hold");
        }
        if (r.n == 0)
            break;
        s_record_t *last = &r.recs[r.n - 1];
        memcpy (after, last->key, last->key_len);
        after_len = last->key_len;
        if ((size_t) n < S_EXTRA_CHUNK)
            break;
    }
    free (r.recs);
    if (past)
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, past_first, past_last,
                0, NULL, "hub_seq %" PRIu64 ": missing (%" PRIu64 "..%" PRIu64
                ": the dedupe index names %" PRIu64 " reports journaled there, "
                "the journal ends at %" PRIu64 ")", past_first, past_first,
                past_last, past, self->head);
}

/* Walk callback: the receipt time of the first entry it is given. */
static int
s_received_fn (void *arg, uint64_t seq, int state, const uint8_t *buf,
               size_t len, int lmdb_rc)
{
    (void) seq, (void) lmdb_rc;
    int64_t *ms = arg;
    jad_wire_view_t view;
    char why[160];
    if (state == JAD_JOURNAL_PRESENT
    &&  jad_wire_peek (&jad__entry__descriptor, buf, len, &view, why, sizeof why) == 0
    &&  jad_wire_has (&view, JAD_WIRE_ENTRY_RECEIVED_MS))
        *ms = (int64_t) view.field[JAD_WIRE_ENTRY_RECEIVED_MS].value;
    return 1;
}

/* A range whose first entry was received at FIRST_MS is young enough for
 * a live hub's tail (LEN entries). */
static int
s_young (const s_audit_t *self, uint64_t len, int64_t first_ms)
{
    return self->cfg->live && len <= JAD_AUDIT_LIVE_TAIL_ENTRIES && first_ms >= 0
        && self->now_ms - first_ms <= JAD_AUDIT_LIVE_TAIL_MS;
}

/* The compared journal past this one's head, and where it ended early. */
static void
s_compare_end (s_audit_t *self)
{
    const char *name = self->cfg->compare_name;
    jad_journal_census_t oc;
    if (self->other_end)
        s_find (self, JAD_AUDIT_COMPARE_SHORT, JAD_AUDIT_NOTE, self->other_end,
                self->head, 0, NULL, "%s lacks hub_seq %" PRIu64 "..%" PRIu64
                ": compared up to %" PRIu64 " only", name, self->other_end,
                self->head, self->other_end - 1);
    if (self->other_unreadable)
        s_find (self, JAD_AUDIT_COMPARE_SHORT, JAD_AUDIT_NOTE, 0, 0, 0, NULL,
                "%s: %" PRIu64 " entries could not be read there to compare",
                name, self->other_unreadable);
    if (jad_journal_census (self->cfg->compare, &oc) != 0) {
        s_find (self, JAD_AUDIT_COMPARE_SHORT, JAD_AUDIT_NOTE, 0, 0, 0, NULL,
                "%s cannot be read", name);
        return;
    }
    uint64_t other_head = oc.head ? oc.head : oc.entries;
    if (other_head <= self->head)
        return;
    uint64_t first = self->head + 1, n = other_head - self->head;
    int64_t first_ms = -1;
    if (jad_journal_walk (self->cfg->compare, first, first, 1, s_received_fn,
                          &first_ms) < 0)
        first_ms = -1;
    if (s_young (self, n, first_ms))
        s_find (self, JAD_AUDIT_COMPARE_SHORT, JAD_AUDIT_NOTE, first, other_head,
                0, NULL, "%s is ahead: hub_seq %" PRIu64 "..%" PRIu64 " (%"
                PRIu64 " entries, received in the last %d s) are not here yet: "
                "accepted (live)", name, first, other_head, n,
                JAD_AUDIT_LIVE_TAIL_MS / 1000);
    else
    if (first == other_head)
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, first, 0, 0, NULL,
                "hub_seq %" PRIu64 ": missing (%s holds it, this journal ends at "
                "%" PRIu64 ")", first, name, self->head);
    else
        s_find (self, JAD_AUDIT_MISSING, JAD_AUDIT_DAMAGE, first, other_head, 0,
                NULL, "hub_seq %" PRIu64 ": missing (%" PRIu64 "..%" PRIu64
                ": %s holds them, this journal ends at %" PRIu64 ")", first,
                first, other_head, name, self->head);
}

/* The entries after the last checkpoint that matched. */
static void
s_tail (s_audit_t *self)
{
    uint64_t last_cp = self->res->last_checkpoint;
    if (self->head == 0 || last_cp >= self->head)
        return;
    uint64_t first = last_cp + 1, n = self->head - last_cp;
    char range[64];
    s_range (range, sizeof range, first, self->head);
    if (s_young (self, n, self->tail_ms)) {
        s_find (self, JAD_AUDIT_LIVE_TAIL, JAD_AUDIT_NOTE, first, self->head, 0,
                NULL, "%s: not yet covered by a signed checkpoint: %" PRIu64
                " entries, the first received %.1f s before the audit began "
                "(a live hub signs within %d s): accepted (live)", range, n,
                (double) (self->now_ms - self->tail_ms) / 1000.0,
                JAD_AUDIT_LIVE_TAIL_MS / 1000);
        return;
    }
    char why[160] = "";
    if (self->cfg->live)
        snprintf (why, sizeof why, "; too %s for a live hub's tail",
                  n > JAD_AUDIT_LIVE_TAIL_ENTRIES ? "long" : "old");
    if (last_cp)
        s_find (self, JAD_AUDIT_TAIL, JAD_AUDIT_DAMAGE, first, self->head, 0, NULL,
                "%s: not covered by a signed checkpoint (the last one is at %"
                PRIu64 "%s)", range, last_cp, why);
    else
        s_find (self, JAD_AUDIT_TAIL, JAD_AUDIT_DAMAGE, first, self->head, 0, NULL,
                "%s: not covered by a signed checkpoint (none matches%s)",
                range, why);
}

/* ------------------------------------------------------------ run */

static int64_t
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
jad_audit_run (jad_journal_t *journal, const jad_audit_config_t *config,
               jad_audit_result_t *result, char *err, size_t errlen)
{
    assert (journal && config && config->history && config->op_id && result);
    s_audit_t audit;
    s_audit_t *self = &audit;
    int rc = -1;

    memset (result, 0, sizeof *result);
    memset (self, 0, sizeof *self);
    self->journal = journal;
    self->cfg = config;
    self->res = result;
    self->chain_known = 1;
    self->cp_pending = 1;
    self->tail_ms = -1;
    self->items = calloc (S_CHUNK, sizeof *self->items);
    self->idents = calloc (S_CHUNK, sizeof *self->idents);
    if (!self->items || !self->idents) {
        snprintf (err, errlen, "audit: out of memory");
        goto out;
    }
    /* The head and the counts together, and the time they were taken:
     * what follows is judged against this one moment. */
    if (jad_journal_census (journal, &self->census) != 0) {
        snprintf (err, errlen, "cannot read the journal at all");
        goto out;
    }
    self->now_ms = config->now_ms ? config->now_ms : s_now_ms ();
    self->head = self->census.head;
    /* Pages past the file's end: the store opened it, so they are all on
     * the free list — nothing lost, but said. */
    if (self->census.file_bytes < self->census.last_page_end
    &&  self->census.page_size) {
        uint64_t ps = self->census.page_size;
        uint64_t first = (self->census.file_bytes + ps - 1) / ps;
        uint64_t last = self->census.last_page_end / ps - 1;
        s_find (self, JAD_AUDIT_FREE_PAGES, JAD_AUDIT_WARNING, 0, 0, 0, NULL,
                "data.mdb ends at byte %" PRIu64 ", before its last page: "
                "pages %" PRIu64 "..%" PRIu64 " are gone, all of them unused "
                "(on the free list): nothing is lost (a copy made by mdb_copy "
                "ends so too)", self->census.file_bytes, first, last);
    }

    /* Rosters first (signers), then the checkpoints (sign_from, and the
     * hashes to match while walking). */
    result->rosters = jad_history_load (config->history, journal, 1,
                                        config->op_id, s_bad_roster_fn, self);
    if (result->rosters < 0) {
        result->rosters = (long) jad_history_size (config->history);
        s_find (self, JAD_AUDIT_ROSTER_BAD, JAD_AUDIT_DAMAGE, 0, 0, 0, NULL,
                "rosters: cannot be read (LMDB cannot read their page)");
    }
    result->hub_key = jad_history_hub_key (config->history) != NULL;
    if (s_load_checkpoints (self) != 0) {
        snprintf (err, errlen, "audit: out of memory");
        goto out;
    }
    if (self->census.head_rc) {
        /* The last page cannot be read: go as far as anything says. */
        self->head = self->census.entries;
        if (self->n_cps && self->cps[self->n_cps - 1].seq > self->head)
            self->head = self->cps[self->n_cps - 1].seq;
    }
    self->sign_from = config->sign_from == JAD_AUDIT_SIGN_TAIL
                    ? result->last_signed + 1 : config->sign_from;

    uint64_t seq = 1;
    while (seq && seq <= self->head && !self->stopped) {
        seq = s_chunk (self, seq);
        if (self->oom) {
            snprintf (err, errlen, "audit: out of memory");
            goto out;
        }
        if (seq == 0) {
            snprintf (err, errlen, "cannot read the journal any more");
            goto out;
        }
        if (config->progress)
            config->progress (config->arg, seq - 1, self->head);
    }
    result->head = self->head;
    s_flush_unreadable (self);
    s_flush_missing (self, 0);
    if (!self->stopped)
        s_checkpoints_past (self);
    if (!self->stopped && self->census.head_rc == 0
    &&  self->census.entries > result->entries + self->unreadable_keys)
        s_find (self, JAD_AUDIT_ENTRY, JAD_AUDIT_DAMAGE, 0, 0, 0, NULL,
                "entries: %" PRIu64 " records under keys that are not hub_seq 1..%"
                PRIu64, self->census.entries - result->entries
                - self->unreadable_keys, self->head);
    if (!self->stopped && config->compare)
        s_compare_end (self);
    if (!self->stopped && self->census.dedupe > self->accounted
    &&  !self->dedupe_unreadable)
        s_extras (self);
    if (self->oom) {
        snprintf (err, errlen, "audit: out of memory");
        goto out;
    }
    if (!self->stopped)
        s_tail (self);
    rc = 0;
out:
    free (self->items);
    free (self->idents);
    free (self->arena);
    free (self->cps);
    return rc;
}
