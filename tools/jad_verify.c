/*  jad-verify: check a journal end to end, the hub's or any mirror.
 *
 *  Option parsing and printing around lib/audit.c, which checks
 *  everything the journal holds: entries, the hash chain, signatures,
 *  the uniqueness of every report's identity, the dedupe index, the hub's
 *  checkpoints and recorded rosters — and, with --compare DIR, another
 *  journal of the operation entry for entry (include/jad/audit.h).
 *
 *  Trust anchor: the hub's signing key from --roster FILE when given (the
 *  roster the operation was set up with), else from the first roster
 *  recorded in the journal itself (which proves consistency, not origin).
 *
 *  Signatures are checked on every core (lib/pool.c): ~13,000/s per core.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/audit.h"
#include "jad/config.h"
#include "jad/history.h"
#include "jad/journal.h"
#include "jad/pool.h"
#include "jad/roster.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

#define S_SHOWN  20             /* findings printed besides the first */

typedef struct {
    const char    *dir;
    const char    *compare_dir;
    int            chain_only;
    int            live;
    int            progress;        /* stderr is a terminal */
    int64_t        shown_ms;        /* last progress line */
    jad_journal_t *journal;
    jad_journal_t *compare;
    uint8_t        op_id[JAD_ID_BYTES];
    jad_history_t *history;         /* --roster FILE from 1, then the recorded
                                       rosters; its hub key is the anchor */
    char          *lines[S_SHOWN];  /* findings kept to print (not the
                                       first damage), malloc'd */
    size_t         n_lines;
    uint64_t       not_shown;       /* findings past S_SHOWN */
} s_verify_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-verify --data DIR [--roster FILE] [--chain-only] [--live]\n"
"                  [--compare DIR2] [--config FILE] [--check]\n"
"\n"
"Checks everything a journal holds: DIR is a hub's data directory\n"
"(DIR/journal) or an agent's (DIR/mirror).  Every entry's sequence and hash\n"
"chain; every signature against the roster in force at that entry (the\n"
"rosters the hub recorded in the journal, anchored in --roster FILE when\n"
"given); that no report's identity (origin, incarnation, origin_seq) is\n"
"journaled twice; the dedupe index against the entries; every checkpoint\n"
"the hub signed, the last of which must cover the head; every recorded\n"
"roster.  A page that cannot be read is named by the hub_seqs it held and\n"
"the check goes on after it.\n"
"\n"
"--chain-only   skip the signatures\n"
"--live         the journal is in use: accept a tail the hub has not signed\n"
"               yet when it is young (at most 2,000 entries, the first\n"
"               received less than 15 s before), and say so\n"
"--compare DIR2 hold the journal against another one of the operation (a\n"
"               hub's data directory or an agent's) entry for entry: an entry\n"
"               that differs, or entries DIR2 holds past DIR's head (a\n"
"               truncation to a signed prefix), make DIR not intact\n"
"--config FILE  settings as 'key = value' lines, a key being a long option's\n"
"               name (data, roster, chain-only, live, compare); the command\n"
"               line wins\n"
"--check        check that the journal opens, that --roster FILE is this\n"
"               operation's (or that the journal records one) and exit,\n"
"               verifying nothing\n"
"\n"
"Prints 'intact: N entries, N signatures verified, C checkpoints, R rosters,\n"
"in S s' (then any warning or note), or 'not intact: ' and the first thing\n"
"wrong (the hub_seq, range or dedupe key), then the others.\n"
"\n"
"exit: 0 intact, with a warning when only unused pages were lost (--check:\n"
"valid); 1 not intact: anything damaged, missing or\n"
"not covered by a checkpoint (--check: invalid); 2 usage error, or a\n"
"journal that cannot be opened at all\n");
}

/* ------------------------------------------------------------ audit */

static int
s_finding_fn (void *arg, const jad_audit_finding_t *f)
{
    s_verify_t *self = arg;
    if (self->progress)
        fprintf (stderr, "\r%60s\r", "");
    if (self->n_lines < S_SHOWN) {
        const char *label = f->severity == JAD_AUDIT_DAMAGE ? "  "
                          : f->severity == JAD_AUDIT_WARNING ? "warning: " : "note: ";
        size_t len = strlen (label) + strlen (f->text) + 1;
        char *line = malloc (len);
        if (line) {
            snprintf (line, len, "%s%s", label, f->text);
            self->lines[self->n_lines++] = line;
        }
    }
    else
        self->not_shown++;
    return 0;
}

static void
s_progress_fn (void *arg, uint64_t done, uint64_t total)
{
    s_verify_t *self = arg;
    int64_t now = jad_time_mono_ms ();
    if (!self->progress || now - self->shown_ms < 200)
        return;
    self->shown_ms = now;
    fprintf (stderr, "\rverifying %" PRIu64 "/%" PRIu64 " (%d%%)", done, total,
             total ? (int) (done * 100 / total) : 100);
}

/* Print the verdict.  1 when not intact, 0 when intact. */
static int
s_print (s_verify_t *self, const jad_audit_result_t *res, double secs)
{
    int damaged = res->findings[JAD_AUDIT_DAMAGE] > 0;
    if (damaged)
        printf ("not intact: %s\n", res->first.text);
    else
        printf ("intact: %" PRIu64 " entries, %s%" PRIu64 " signatures verified, "
                "%" PRIu64 " checkpoints%s, %ld rosters, in %.1f s\n",
                res->entries, self->chain_only ? "chain only, " : "",
                res->signatures, res->checkpoints,
                res->hub_key ? ""
                    : " (hashes only: no roster to check the hub's signature)",
                res->rosters, secs);
    /* The first damage is the verdict's: the rest as they were found. */
    int skipped = 0;
    for (size_t i = 0; i < self->n_lines; i++) {
        const char *line = self->lines[i];
        if (damaged && !skipped && strncmp (line, "  ", 2) == 0
        &&  strcmp (line + 2, res->first.text) == 0) {
            skipped = 1;
            continue;
        }
        printf ("%s\n", line);
    }
    if (self->not_shown)
        printf ("  ... and %" PRIu64 " more\n", self->not_shown);
    if (damaged)
        printf ("%" PRIu64 " entries read, %" PRIu64 " signatures verified, "
                "%" PRIu64 " checkpoints matched, in %.1f s\n", res->entries,
                res->signatures, res->checkpoints, secs);
    return damaged;
}

/* ------------------------------------------------------------ setup */

static int
s_any_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    (void) seq, (void) buf, (void) len;
    *(int *) arg = 1;
    return 1;
}

/* A journal's operation id into OP_ID.  0, or -1. */
static int
s_operation (jad_journal_t *journal, uint8_t *op_id)
{
    jad_journal_meta_t meta;
    if (jad_journal_meta_get (journal, &meta) != 0)
        return -1;
    memcpy (op_id, meta.id, JAD_ID_BYTES);
    return 0;
}

/* What a verification starts from, for the run and for --check alike:
 * the journal, its operation, the trust anchor — --roster FILE, which
 * must be this operation's, or else a roster recorded in the journal
 * (unless only the chain is checked) — and the journal to compare with.
 * 0; 1 with ERR when the journal's file is damaged, its metadata cannot
 * be read or FILE is another operation's roster (the journal is then "not
 * intact"); -1 with ERR when something cannot be opened or is missing
 * (exit 2). */
static int
s_setup (s_verify_t *self, const char *roster_file, char *err, size_t errlen)
{
    char why[512];
    self->journal = jad_journal_find (self->dir, why, sizeof why);
    if (!self->journal) {
        /* A file the store finds damaged (errno EBADMSG) is a verdict;
         * anything else is a journal that cannot be opened at all. */
        int damaged = errno == EBADMSG;
        snprintf (err, errlen, "%s%s", damaged ? "" : "--data: ", why);
        return damaged ? 1 : -1;
    }
    if (s_operation (self->journal, self->op_id) != 0) {
        snprintf (err, errlen, "%s: the journal's metadata cannot be read",
                  self->dir);
        return 1;
    }
    self->history = jad_history_new ();
    if (!self->history) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    if (self->compare_dir) {
        uint8_t other[JAD_ID_BYTES];
        self->compare = jad_journal_find (self->compare_dir, why, sizeof why);
        if (!self->compare) {
            snprintf (err, errlen, "--compare: %s", why);
            return -1;
        }
        if (s_operation (self->compare, other) != 0
        ||  memcmp (other, self->op_id, JAD_ID_BYTES) != 0) {
            snprintf (err, errlen, "--compare: %s is not a journal of this "
                      "operation", self->compare_dir);
            return -1;
        }
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
    uint64_t head = 0;
    if (jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS, 0, 1,
                                 s_any_fn, &recorded) < 0
    ||  jad_journal_head (self->journal, &head) != 0)
        recorded = 1;   /* the audit says what cannot be read */
    if (!recorded && !self->chain_only && head) {
        snprintf (err, errlen, "--data: %s: the journal records no roster: "
                  "pass --roster FILE", self->dir);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ main */

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "roster", required_argument, NULL, 'r' },
        { "chain-only", no_argument, NULL, 'c' },
        { "live", no_argument, NULL, 'l' },
        { "compare", required_argument, NULL, 'p' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    s_verify_t verify = { 0 };
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
        case 'l': self->live = 1; break;
        case 'p': self->compare_dir = optarg; break;
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
    pool = jad_pool_new (0);
    if (!pool) {
        fprintf (stderr, "jad-verify: cannot start threads\n");
        goto out;
    }
    jad_audit_config_t cfg = {
        .history = self->history,
        .op_id = self->op_id,
        .sign_from = self->chain_only ? JAD_AUDIT_SIGN_NONE : JAD_AUDIT_SIGN_ALL,
        .live = self->live,
        .compare = self->compare,
        .compare_name = self->compare_dir,
        .pool = pool,
        .on_finding = s_finding_fn,
        .progress = s_progress_fn,
        .arg = self,
    };
    jad_audit_result_t *res = calloc (1, sizeof *res);
    if (!res) {
        fprintf (stderr, "jad-verify: out of memory\n");
        goto out;
    }
    int64_t t0 = jad_time_mono_ms ();
    if (jad_audit_run (self->journal, &cfg, res, err, sizeof err) != 0) {
        if (self->progress)
            fprintf (stderr, "\r%60s\r", "");
        fprintf (stderr, "jad-verify: %s: %s\n", self->dir, err);
        free (res);
        goto out;
    }
    if (self->progress)
        fprintf (stderr, "\r%60s\r", "");
    rc = s_print (self, res, (double) (jad_time_mono_ms () - t0) / 1000.0);
    free (res);
out:
    for (size_t i = 0; i < self->n_lines; i++)
        free (self->lines[i]);
    jad_pool_destroy (&pool);
    jad_history_destroy (&self->history);
    jad_journal_destroy (&self->compare);
    jad_journal_destroy (&self->journal);
    return rc;
}
