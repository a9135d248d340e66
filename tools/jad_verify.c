/*  jad-verify: check a journal end to end, the hub's or any mirror.
 *
 *  For every entry: its key and hub_seq (1, 2, 3… no gap), the hash chain
 *  (prev_hash = BLAKE2b-256 of the previous entry's bytes), and — unless
 *  --chain-only — the envelope's operation, origin bound to a roster agent
 *  whose key was in force at that hub_seq, and its Ed25519 signature.
 *  Then every checkpoint the hub signed, and every roster it recorded.
 *
 *  Trust anchor: the hub's signing key from --roster FILE when given (the
 *  roster the operation was set up with), else from the first roster
 *  recorded in the journal itself (which proves consistency, not origin).
 *
 *  Signatures are checked on every core (lib/pool.c): ~13,000/s per core.
 */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/config.h"
#include "jad/envelope.h"
#include "jad/history.h"
#include "jad/journal.h"
#include "jad/pool.h"
#include "jad/record.h"
#include "jad/report.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

#define S_CHUNK 4096            /* entries read per read transaction */

/* One entry of the current chunk. */
typedef struct {
    uint64_t key;               /* its LMDB key */
    uint8_t *buf;               /* a copy of its bytes */
    size_t   len;
    uint8_t  hash[JAD_HASH_BYTES];
    uint8_t  prev[JAD_HASH_BYTES];
    int      has_prev;
    uint64_t hub_seq;
    char     err[320];          /* what is wrong with it, "" when fine */
} s_item_t;

typedef struct {
    const char *dir;
    int         chain_only;
    int         progress;       /* stderr is a terminal */
    jad_journal_t *journal;
    uint8_t     op_id[JAD_ID_BYTES];
    jad_history_t *history;     /* --roster FILE from 1, then the recorded
                                   rosters; its hub key is the anchor */
    long        recorded;       /* rosters recorded in the journal */
    s_item_t    items[S_CHUNK];
    size_t      n_items;
    uint64_t    head;
    uint64_t    checked;
    uint64_t    signatures;
    uint64_t    checkpoints;
    char        first_bad[512]; /* "" while intact */
} s_verify_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-verify --data DIR [--roster FILE] [--chain-only]\n"
"                  [--config FILE] [--check]\n"
"\n"
"Checks a journal end to end: DIR is a hub's data directory (DIR/journal)\n"
"or an agent's (DIR/mirror).  Every entry's sequence and hash chain, every\n"
"signature against the roster in force at that entry (the rosters the hub\n"
"recorded in the journal, anchored in --roster FILE when given), every\n"
"checkpoint the hub signed.  --chain-only skips the signatures.\n"
"\n"
"--config FILE  settings as 'key = value' lines, a key being a long option's\n"
"               name (data, roster, chain-only); the command line wins\n"
"--check        check that the journal opens, that --roster FILE is this\n"
"               operation's (or that the journal records one) and exit,\n"
"               verifying nothing\n"
"\n"
"exit: 0 intact (one summary line; --check: valid); 1 not intact (names\n"
"the first bad hub_seq and what is wrong; --check: invalid); 2 usage or\n"
"I/O error\n");
}

static void
s_bad (s_verify_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
s_bad (s_verify_t *self, const char *fmt, ...)
{
    if (self->first_bad[0])
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (self->first_bad, sizeof self->first_bad, fmt, ap);
    va_end (ap);
}

/* ------------------------------------------------------------ rosters */

/* A recorded roster that does not decode, parse or verify: the journal is
 * not intact, and that is the first thing wrong with it. */
static int
s_bad_roster_fn (void *arg, uint64_t seq, const char *why)
{
    s_bad (arg, "roster record at %" PRIu64 ": %s", seq, why);
    return 1;
}

/* ------------------------------------------------------------ entries */

static int
s_collect_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_verify_t *self = arg;
    s_item_t *it = &self->items[self->n_items++];
    memset (it, 0, sizeof *it);
    it->key = seq;
    it->buf = malloc (len ? len : 1);
    if (it->buf)
        memcpy (it->buf, buf, len);
    it->len = len;
    return 0;
}

/* Everything about one entry that needs no other entry; runs on all cores. */
static void
s_check_fn (void *arg, size_t i)
{
    s_verify_t *self = arg;
    s_item_t *it = &self->items[i];
    char err[256];
    Jad__Entry *entry = NULL;
    Jad__Report *report = NULL;
    jad_envelope_t env = { 0 };
    if (!it->buf) {
        snprintf (it->err, sizeof it->err, "out of memory");
        return;
    }
    jad_sign_hash (it->buf, it->len, it->hash);
    entry = jad_wire_entry_decode (it->buf, it->len, err, sizeof err);
    if (!entry) {
        snprintf (it->err, sizeof it->err, "entry does not decode: %.200s", err);
        goto out;
    }
    it->hub_seq = entry->hub_seq;
    if (entry->has_prev_hash) {
        it->has_prev = 1;
        memcpy (it->prev, entry->prev_hash.data, JAD_HASH_BYTES);
    }
    if (self->chain_only)
        goto out;
    if (jad_envelope_open (entry->envelope.data, entry->envelope.len, &env,
                           err, sizeof err) != JAD_OK) {
        snprintf (it->err, sizeof it->err, "envelope: %.200s", err);
        goto out;
    }
    if (memcmp (env.id.operation_id, self->op_id, JAD_ID_BYTES) != 0) {
        snprintf (it->err, sizeof it->err, "envelope of another operation");
        goto out;
    }
    /* Named by the roster in force, an agent or a coordinator, not
     * revoked then: the one signer rule (lib/history.c). */
    const jad_participant_t *who = jad_history_signer (self->history, it->key,
                                                       env.id.origin,
                                                       err, sizeof err);
    if (!who) {
        snprintf (it->err, sizeof it->err, "%s", err);
        goto out;
    }
    /* What its role may send, by the hub's own rule (lib/report.c). */
    report = jad_wire_report_decode (env.report, env.report_len, err, sizeof err);
    if (!report) {
        snprintf (it->err, sizeof it->err, "report: %.200s", err);
        goto out;
    }
    if (jad_report_may_send (who, report, err, sizeof err) != 0) {
        snprintf (it->err, sizeof it->err, "origin %s: %.200s", who->name, err);
        goto out;
    }
    jad_err_t code = jad_envelope_verify (&env, who->sign_key, who->key_id,
                                          err, sizeof err);
    if (code == JAD_EUNAVAILABLE)
        snprintf (it->err, sizeof it->err, "out of memory");
    else
    if (code != JAD_OK)
        snprintf (it->err, sizeof it->err, "signature by %s does not verify "
                  "(%.200s)", who->name, err);
out:
    jad_wire_free (&report);
    jad_envelope_clear (&env);
    jad_wire_free (&entry);
}

/* Verify one chunk; PREV_HASH carries the chain from the previous one. */
static void
s_chunk (s_verify_t *self, jad_pool_t *pool, uint64_t *expect,
         uint8_t *prev_hash, int *has_prev_hash)
{
    jad_pool_run (pool, s_check_fn, self, self->n_items);
    for (size_t i = 0; i < self->n_items && !self->first_bad[0]; i++) {
        s_item_t *it = &self->items[i];
        if (it->key != *expect) {
            if (it->key > *expect)
                s_bad (self, "hub_seq %" PRIu64 ": missing (the journal "
                       "jumps to %" PRIu64 ")", *expect, it->key);
            else
                s_bad (self, "hub_seq %" PRIu64 ": out of order", it->key);
            break;
        }
        if (it->err[0]) {
            s_bad (self, "hub_seq %" PRIu64 ": %s", it->key, it->err);
            break;
        }
        if (it->hub_seq != it->key) {
            s_bad (self, "hub_seq %" PRIu64 ": the entry says it is %" PRIu64
                   " (moved)", it->key, it->hub_seq);
            break;
        }
        if (*has_prev_hash != it->has_prev
        ||  (it->has_prev && memcmp (it->prev, prev_hash, JAD_HASH_BYTES) != 0)) {
            s_bad (self, "hub_seq %" PRIu64 ": prev_hash is not the hash of "
                   "entry %" PRIu64 " (an entry changed, removed or inserted "
                   "at or before it)", it->key, it->key - 1);
            break;
        }
        memcpy (prev_hash, it->hash, JAD_HASH_BYTES);
        *has_prev_hash = 1;
        (*expect)++;
        self->checked++;
        if (!self->chain_only)
            self->signatures++;
    }
    for (size_t i = 0; i < self->n_items; i++)
        free (self->items[i].buf);
    self->n_items = 0;
}

/* ------------------------------------------------------------ checkpoints */

/* Checkpoints are read a chunk at a time, decoded and their signatures
 * checked in the read, and matched against the chain after it: a read
 * nested in a scan could not adopt a map another process grew meanwhile
 * (store.h), and jad-verify runs on a hub's live journal too. */
#define S_CP_CHUNK 256

typedef struct {
    s_verify_t      *self;
    jad_checkpoint_t cps[S_CP_CHUNK];
    size_t           n;
    uint64_t         last;          /* key of the last one read */
} s_cps_t;

static int
s_checkpoint_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_cps_t *c = arg;
    s_verify_t *self = c->self;
    char err[256];
    jad_checkpoint_t *cp = &c->cps[c->n];
    const uint8_t *hub_key = jad_history_hub_key (self->history);
    c->last = seq;
    if (jad_checkpoint_decode (buf, len, cp, err, sizeof err) != 0)
        s_bad (self, "checkpoint at %" PRIu64 ": %s", seq, err);
    else
    if (cp->hub_seq != seq)
        s_bad (self, "checkpoint at %" PRIu64 ": it says it is at %" PRIu64,
               seq, cp->hub_seq);
    else
    if (hub_key && jad_checkpoint_verify (cp, self->op_id, hub_key) != 0)
        s_bad (self, "checkpoint at %" PRIu64 ": the hub's signature does not "
               "verify", seq);
    else
        c->n++;
    return self->first_bad[0] != 0 || c->n == S_CP_CHUNK;
}

/* Every checkpoint: signed by the hub, and its entry's hash the chain's.
 * 0, or -1 when they cannot be read (a break goes to first_bad). */
static int
s_checkpoints (s_verify_t *self)
{
    s_cps_t *c = calloc (1, sizeof *c);
    int rc = -1;
    if (!c)
        goto out;
    c->self = self;
    uint64_t from = 0;
    for (;;) {
        c->n = 0;
        long visited = jad_journal_record_scan (self->journal,
                                                JAD_JOURNAL_CHECKPOINTS, from,
                                                S_CP_CHUNK, s_checkpoint_fn, c);
        if (visited < 0)
            goto out;
        for (size_t i = 0; i < c->n && !self->first_bad[0]; i++) {
            uint64_t seq = c->cps[i].hub_seq;
            int match = seq > self->head ? -1
                      : jad_checkpoint_match (&c->cps[i], self->journal);
            if (match == -2)
                goto out;
            if (match == -1)
                s_bad (self, "hub_seq %" PRIu64 ": missing (a signed checkpoint "
                       "covers it, the journal ends at %" PRIu64 ")",
                       self->head + 1, self->head);
            else
            if (match == 0)
                s_bad (self, "hub_seq %" PRIu64 ": does not match the hub's "
                       "signed checkpoint (an entry at or before it changed)",
                       seq);
            else
                self->checkpoints++;
        }
        if (visited < S_CP_CHUNK || self->first_bad[0])
            break;
        from = c->last + 1;
    }
    rc = 0;
out:
    free (c);
    return rc;
}

/* ------------------------------------------------------------ main */

/* 0; 1 with ERR when the journal's file is damaged (errno EBADMSG from
 * the store: that is a verdict, "not intact"); -1 with ERR when it cannot
 * be opened at all. */
static int
s_open (s_verify_t *self, char *err, size_t errlen)
{
    char why[512];
    self->journal = jad_journal_find (self->dir, why, sizeof why);
    int damaged = !self->journal && errno == EBADMSG;
    if (!self->journal)
        snprintf (err, errlen, "%s%s", damaged ? "" : "--data: ", why);
    return self->journal ? 0 : damaged ? 1 : -1;
}

static int
s_any_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    (void) seq, (void) buf, (void) len;
    *(int *) arg = 1;
    return 1;
}

/* What a verification starts from, for the run and for --check alike:
 * the journal, its operation and head, and the trust anchor — --roster
 * FILE, which must be this operation's, or else a roster recorded in the
 * journal (unless only the chain is checked).  0; 1 with ERR when FILE is
 * another operation's roster or the journal's file is damaged (the journal
 * is then "not intact"); -1 with ERR when something cannot be read or is
 * missing. */
static int
s_setup (s_verify_t *self, const char *roster_file, char *err, size_t errlen)
{
    char why[512];
    int opened = s_open (self, err, errlen);
    if (opened != 0)
        return opened;
    jad_journal_meta_t meta;
    if (jad_journal_meta_get (self->journal, &meta) != 0
    ||  jad_journal_head (self->journal, &self->head) != 0) {
        snprintf (err, errlen, "--data: %s: cannot read the journal", self->dir);
        return -1;
    }
    memcpy (self->op_id, meta.id, JAD_ID_BYTES);
    self->history = jad_history_new ();
    if (!self->history) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    if (roster_file) {
        jad_roster_t *pinned = jad_roster_load (roster_file, why, sizeof why);
        if (!pinned) {
            snprintf (err, errlen, "--roster: %s", why);
            return -1;
        }
        if (memcmp (jad_roster_id (pinned), self->op_id, JAD_ID_BYTES) != 0) {
            snprintf (err, errlen, "--roster: %s is the roster of another "
                      "operation than this journal's", roster_file);
            jad_roster_destroy (&pinned);
            return 1;
        }
        /* The anchor, and the roster of entries no recorded one governs. */
        jad_history_set_hub_key (self->history,
                                 jad_roster_hub (pinned)->sign_key);
        if (jad_history_add (self->history, 1, &pinned) != 0) {
            snprintf (err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    int recorded = 0;
    if (jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS, 0, 1,
                                 s_any_fn, &recorded) < 0) {
        snprintf (err, errlen, "--data: %s: cannot read the recorded rosters",
                  self->dir);
        return -1;
    }
    if (!recorded && !self->chain_only && self->head) {
        snprintf (err, errlen, "--data: %s: the journal records no roster: "
                  "pass --roster FILE", self->dir);
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "roster", required_argument, NULL, 'r' },
        { "chain-only", no_argument, NULL, 'c' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    static s_verify_t verify;
    s_verify_t *self = &verify;
    const char *roster_file = NULL;
    int c, rc = 2, check = 0;
    char err[1024];
    jad_pool_t *pool = NULL;
    int config_rc = jad_config_apply ("jad-verify", &argc, &argv, 1, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': self->dir = optarg; break;
        case 'r': roster_file = optarg; break;
        case 'c': self->chain_only = 1; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc || !self->dir) {
        fprintf (stderr, "jad-verify: --data DIR is required\n");
        return 2;
    }
    if (sodium_init () < 0)
        return 2;
    int bad = s_setup (self, roster_file, err, sizeof err);
    if (check) {
        if (bad)
            fprintf (stderr, "jad-verify: configuration invalid: %s\n", err);
        else
            printf ("jad-verify: configuration valid\n");
        rc = bad ? 1 : 0;
        goto out;
    }
    if (bad == 1) {
        printf ("not intact: %s\n", err);
        rc = 1;
        goto out;
    }
    if (bad) {
        fprintf (stderr, "jad-verify: %s\n", err);
        goto out;
    }
    self->progress = isatty (STDERR_FILENO);
    /* Every recorded roster, checked against the anchor (--roster FILE's
     * hub, else the first recorded roster's); the first bad one stops. */
    self->recorded = jad_history_load (self->history, self->journal, 1,
                                       self->op_id, s_bad_roster_fn, self);
    if (self->recorded < 0 && !self->first_bad[0]) {
        fprintf (stderr, "jad-verify: cannot read the recorded rosters\n");
        goto out;
    }
    pool = jad_pool_new (0);
    if (!pool) {
        fprintf (stderr, "jad-verify: cannot start threads\n");
        goto out;
    }
    uint64_t expect = 1, seq = 1;
    uint8_t prev_hash[JAD_HASH_BYTES];
    int has_prev = 0;
    int64_t t0 = jad_time_mono_ms (), shown = 0;
    while (!self->first_bad[0]) {
        long n = jad_journal_scan (self->journal, seq, S_CHUNK, s_collect_fn, self);
        if (n < 0) {
            fprintf (stderr, "jad-verify: cannot read the journal\n");
            goto out;
        }
        if (n == 0)
            break;
        seq = self->items[self->n_items - 1].key + 1;
        s_chunk (self, pool, &expect, prev_hash, &has_prev);
        int64_t now = jad_time_mono_ms ();
        if (self->progress && now - shown >= 200) {
            shown = now;
            fprintf (stderr, "\rverifying %" PRIu64 "/%" PRIu64 " (%d%%)",
                     self->checked, self->head,
                     self->head ? (int) (self->checked * 100 / self->head) : 100);
        }
    }
    if (self->progress)
        fprintf (stderr, "\r%40s\r", "");
    if (!self->first_bad[0] && s_checkpoints (self) != 0) {
        fprintf (stderr, "jad-verify: cannot read the checkpoints\n");
        goto out;
    }
    double secs = (double) (jad_time_mono_ms () - t0) / 1000.0;
    if (self->first_bad[0]) {
        printf ("not intact: %s\n", self->first_bad);
        rc = 1;
        goto out;
    }
    printf ("intact: %" PRIu64 " entries, %s%" PRIu64 " signatures verified, "
            "%" PRIu64 " checkpoints%s, %zu rosters, in %.1f s\n",
            self->checked, self->chain_only ? "chain only, " : "",
            self->signatures, self->checkpoints,
            jad_history_hub_key (self->history) ? ""
                : " (hashes only: no roster to check the hub's signature)",
            (size_t) self->recorded, secs);
    rc = 0;
out:
    jad_pool_destroy (&pool);
    jad_history_destroy (&self->history);
    jad_journal_destroy (&self->journal);
    return rc;
}
