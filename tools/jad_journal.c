/*  jad-journal: import JSON Lines into a journal, count and dump it, and
 *  repair a damaged one from its mirrors.
 *
 *  A tool for the analyst and for tests: it reads and writes the same LMDB
 *  journal the hub keeps, through lib/journal.c.  `import` journals reports
 *  without a hub (an operation recorded elsewhere, or the example scenario);
 *  each imported report gets an envelope whose origin is "import-CC", so the
 *  imported journal has the same shape as a live one.  `repair` is the
 *  administrator's, for a hub whose disk lost pages or the whole journal
 *  (lib/repair.c; the runbook is docs/OPERATIONS.md, "Lost or damaged hub
 *  disk").
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/config.h"
#include "jad/entry.h"
#include "jad/envelope.h"
#include "jad/err.h"
#include "jad/journal.h"
#include "jad/lines.h"
#include "jad/report.h"
#include "jad/repair.h"
#include "jad/report_json.h"
#include "jad/statusfile.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

#define S_BATCH 1000    /* reports per durable commit */

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-journal import --data DIR [--operation NAME] FILE|-\n"
"       jad-journal count  --data DIR [--json]\n"
"       jad-journal dump   --data DIR [--from SEQ] [--limit N]\n"
"       jad-journal repair --data DIR [--from MIRROR]... [--out NEWDIR]\n"
"       every command also takes [--config FILE] [--check]\n"
"\n"
"  import  validate each JSON line (each report needs its \"country\") and\n"
"          journal the valid ones; one result line per rejected line\n"
"  count   number of entries, by report type\n"
"  dump    one JSON line per entry: hub_seq, origin, origin_seq,\n"
"          received, and the report as submitted\n"
"  repair  rebuild a hub's damaged or lost journal (DIR: the hub's data\n"
"          directory, or its journal directory) into a new one, from the\n"
"          entries: each from DIR where it reads and links to the one\n"
"          before, else from a MIRROR (an agent's DIR with mirror/, a\n"
"          hub's DIR, or a journal directory; repeatable); checkpoints and\n"
"          rosters from all of them.  The damaged journal is never written:\n"
"          it is moved aside as journal.damaged-YYYYmmddTHHMMSSZ and the new\n"
"          one put in its place (with --out: built in NEWDIR, nothing\n"
"          moved).  Refused while the journal is open (a hub running)\n"
"\n"
"  --config FILE  settings as 'key = value' lines, a key being a long\n"
"                 option's name (data, operation, json, from, limit, out);\n"
"                 one file serves every command; the command line wins\n"
"  --check        check the options, the journal (import: that DIR can hold\n"
"                 one, and FILE; repair: that the hub is stopped and the\n"
"                 mirrors exist) and exit, writing nothing\n"
"\n"
"exit: 0 done (--check: valid); 1 some lines rejected, or (repair) entries\n"
"      lost or a checkpoint not matched: nothing was moved (--check:\n"
"      invalid); 2 usage or I/O error, or the journal in use\n");
}

/* Per-country origins for an import: one incarnation per run, sequences
 * 1, 2, 3... per country. */
typedef struct {
    char     origin[16];
    uint64_t seq;
} s_origin_t;

typedef struct {
    jad_journal_t *journal;
    uint8_t        op_id[JAD_ID_BYTES];
    uint8_t        incarnation[JAD_ID_BYTES];
    s_origin_t     origins[400];
    size_t         n_origins;
    jad_journal_item_t items[S_BATCH];
    uint8_t       *bufs[S_BATCH];
    size_t         n;
    uint64_t       imported;
} s_import_t;

static s_origin_t *
s_origin (s_import_t *self, const char *country)
{
    for (size_t i = 0; i < self->n_origins; i++)
        if (strcmp (self->origins[i].origin + 7, country) == 0)
            return &self->origins[i];
    if (self->n_origins == sizeof self->origins / sizeof self->origins[0])
        return NULL;
    s_origin_t *o = &self->origins[self->n_origins++];
    snprintf (o->origin, sizeof o->origin, "import-%s", country);
    o->seq = 0;
    return o;
}

static int
s_flush (s_import_t *self)
{
    char err[256];
    int rc = 0;
    if (self->n && jad_journal_append (self->journal, self->items, self->n,
                                       err, sizeof err) != 0) {
        fprintf (stderr, "jad-journal: %s\n", err);
        rc = -1;
    }
    for (size_t i = 0; i < self->n; i++) {
        if (rc == 0 && self->items[i].status == JAD_JOURNAL_NEW)
            self->imported++;
        free (self->bufs[i]);
    }
    self->n = 0;
    return rc;
}

static int
s_import (const char *dir, const char *operation, const char *path)
{
    int rc = 2;
    char err[256];
    s_import_t *self = calloc (1, sizeof *self);
    FILE *in = strcmp (path, "-") == 0 ? stdin : fopen (path, "r");
    jad_lines_t *lines = NULL;
    uint64_t rejected = 0;
    if (!self)
        goto out;
    if (!in) {
        fprintf (stderr, "jad-journal: %s: %s\n", path, strerror (errno));
        goto out;
    }
    self->journal = jad_journal_open (dir, JAD_JOURNAL_CREATE, err, sizeof err);
    if (!self->journal) {
        fprintf (stderr, "jad-journal: %s\n", err);
        goto out;
    }
    jad_journal_meta_t meta;
    if (jad_journal_meta_get (self->journal, &meta) != 0)
        goto out;
    if (!meta.has) {
        char base[256];
        snprintf (base, sizeof base, "%s", path);
        char *name = basename (base);
        char *dot = strrchr (name, '.');
        if (dot && dot != name)
            *dot = '\0';
        snprintf (meta.name, sizeof meta.name, "%s",
                  operation ? operation : name);
        randombytes_buf (meta.id, sizeof meta.id);
        if (jad_journal_meta_set (self->journal, &meta) != 0) {
            fprintf (stderr, "jad-journal: cannot write the journal's metadata\n");
            goto out;
        }
    }
    memcpy (self->op_id, meta.id, sizeof self->op_id);
    randombytes_buf (self->incarnation, sizeof self->incarnation);

    lines = jad_lines_new (in);
    const char *line;
    size_t len, lineno;
    int too_long, got;
    while ((got = jad_lines_next (lines, &line, &len, &lineno, &too_long)) == 1) {
        Jad__Report *report = NULL;
        int64_t time_ms = 0;
        int has_time = 0;
        if (too_long) {
            printf ("line %zu: rejected: line longer than %d bytes\n",
                    lineno, JAD_REPORT_LINE_MAX);
            rejected++;
            continue;
        }
        if (len == 0 || strspn (line, " \t\r") == len)
            continue;
        if (jad_report_json_parse (line, len, NULL, &report, &time_ms,
                                   &has_time, err, sizeof err) != 0) {
            printf ("line %zu: rejected: %s\n", lineno, err);
            rejected++;
            continue;
        }
        s_origin_t *origin = report->country ? s_origin (self, report->country)
                                             : NULL;
        if (!origin) {
            printf ("line %zu: rejected: country: required when importing\n",
                    lineno);
            rejected++;
            jad__report__free_unpacked (report, NULL);
            continue;
        }
        size_t rlen;
        uint8_t *rbuf = jad_wire_encode (&report->base, &rlen);
        jad__report__free_unpacked (report, NULL);
        /* Unsigned: an imported journal is trusted by its chain, not by
         * signatures (jad-verify --chain-only). */
        jad_envelope_id_t id = {
            .operation_id = self->op_id, .origin = origin->origin,
            .incarnation = self->incarnation, .origin_seq = origin->seq + 1
        };
        jad_journal_item_t *item = &self->items[self->n];
        memset (item, 0, sizeof *item);
        if (!rbuf)
            snprintf (err, sizeof err, "out of memory");
        self->bufs[self->n] = rbuf
            ? jad_envelope_seal (&id, has_time ? time_ms : jad_time_now_ms (),
                                 rbuf, rlen, NULL, &item->envelope_len,
                                 err, sizeof err)
            : NULL;
        free (rbuf);
        if (!self->bufs[self->n]) {
            fprintf (stderr, "jad-journal: line %zu: %s\n", lineno, err);
            goto out;
        }
        origin->seq++;
        item->origin = origin->origin;
        item->incarnation = self->incarnation;
        item->origin_seq = origin->seq;
        item->envelope = self->bufs[self->n];
        item->received_ms = jad_time_now_ms ();
        if (++self->n == S_BATCH && s_flush (self) != 0)
            goto out;
    }
    if (got < 0) {
        fprintf (stderr, "jad-journal: %s: read error\n", path);
        goto out;
    }
    if (s_flush (self) != 0)
        goto out;
    printf ("imported %" PRIu64 " reports, %" PRIu64 " lines rejected\n",
            self->imported, rejected);
    rc = rejected ? 1 : 0;
out:
    if (self) {
        for (size_t i = 0; i < self->n; i++)
            free (self->bufs[i]);
        jad_journal_destroy (&self->journal);
    }
    free (self);
    jad_lines_destroy (&lines);
    if (in && in != stdin)
        fclose (in);
    return rc;
}

typedef struct {
    const char *names[16];
    uint64_t    counts[16];
    size_t      n;
    uint64_t    total;
    uint64_t    bad;
} s_walk_t;

static void
s_count (s_walk_t *walk, const jad_entry_t *e)
{
    const char *name = jad_report_type_name (e->report);
    size_t i;
    for (i = 0; i < walk->n; i++)
        if (strcmp (walk->names[i], name) == 0)
            break;
    if (i == walk->n && walk->n < 16)
        walk->names[walk->n++] = name;
    if (i < walk->n)
        walk->counts[i]++;
}

static void
s_dump (const jad_entry_t *e)
{
    char *json = jad_report_json_format (e->report, 1, e->event_time_ms);
    char received[JAD_TIME_STRLEN];
    jad_time_format (e->received_ms, received);
    printf ("{\"hub_seq\":%" PRIu64 ",\"origin\":", e->hub_seq);
    jad_entry_json_string (stdout, e->origin);
    printf (",\"origin_seq\":%" PRIu64 ",\"received\":\"%s\",\"report\":%s}\n",
            e->origin_seq, received, json ? json : "null");
    free (json);
}

/* count and dump: every entry from FROM (LIMIT of them, 0 all), decoded
 * as every reader of a journal decodes it (lib/entry.c). */
static int
s_walk (const char *dir, int dump, int json, uint64_t from, uint64_t limit)
{
    char err[512];
    int rc = 2;
    s_walk_t walk = { .n = 0 };
    jad_entry_t *chunk = calloc (4096, sizeof *chunk);
    jad_entry_reader_t *reader = jad_entry_reader_new (dir, err, sizeof err);
    if (!reader || !chunk) {
        fprintf (stderr, "jad-journal: %s\n", reader ? "out of memory" : err);
        goto out;
    }
    uint64_t seq = from ? from : 1, left = limit ? limit : UINT64_MAX;
    while (left > 0) {
        long n = jad_entry_reader_read (reader, seq, chunk,
                                        left < 4096 ? (size_t) left : 4096);
        if (n < 0) {
            fprintf (stderr, "jad-journal: cannot read the journal\n");
            goto out;
        }
        for (long i = 0; i < n; i++) {
            jad_entry_t *e = &chunk[i];
            walk.total++;
            if (!e->report) {
                fprintf (stderr, "jad-journal: entry %" PRIu64 ": %s\n",
                         e->hub_seq, e->error);
                walk.bad++;
            }
            else
            if (dump)
                s_dump (e);
            else
                s_count (&walk, e);
            seq = e->hub_seq + 1;
            jad_entry_clear (e);
        }
        if (n == 0)
            break;
        if (dump)
            left -= (uint64_t) n;
    }
    if (!dump) {
        if (json) {
            printf ("{\"entries\":%" PRIu64 ",\"undecodable\":%" PRIu64
                    ",\"by_type\":{", walk.total, walk.bad);
            for (size_t i = 0; i < walk.n; i++)
                printf ("%s\"%s\":%" PRIu64, i ? "," : "", walk.names[i],
                        walk.counts[i]);
            printf ("}}\n");
        }
        else {
            printf ("%" PRIu64 " entries\n", walk.total);
            for (size_t i = 0; i < walk.n; i++)
                printf ("  %-14s %8" PRIu64 "\n", walk.names[i], walk.counts[i]);
            if (walk.bad)
                printf ("  %-14s %8" PRIu64 "\n", "undecodable", walk.bad);
        }
    }
    rc = walk.bad ? 1 : 0;
out:
    free (chunk);
    jad_entry_reader_destroy (&reader);
    return rc;
}

/* A setting the command cannot use: under --check the configuration is
 * invalid (exit 1), otherwise the command cannot start (exit 2). */
static int
s_refuse (int check, const char *err)
{
    fprintf (stderr, check ? "jad-journal: configuration invalid: %s\n"
                           : "jad-journal: %s\n", err);
    return check ? 1 : 2;
}

/* --from, --limit: a sequence number or a count. */
static int
s_number (const char *name, const char *text, uint64_t *v_p,
          char *err, size_t errlen)
{
    char *end;
    errno = 0;
    *v_p = strtoull (text, &end, 10);
    if (errno || *end || text[0] == '-' || !*text) {
        snprintf (err, errlen, "--%s: not a number: %s", name, text);
        return -1;
    }
    return 0;
}

/* --check: what COMMAND would open, opened read-only, and nothing written:
 * count and dump need DIR's journal; import needs FILE and a DIR that
 * holds a journal or can be made into one.  0, or -1 with ERR. */
static int
s_check (const char *cmd, const char *dir, const char *input,
         char *err, size_t errlen)
{
    char why[512], path[4200];
    if (strcmp (cmd, "import") == 0) {
        if (jad_config_check_dir ("data", dir, err, errlen) != 0)
            return -1;
        /* The import makes DIR, not its parents. */
        snprintf (path, sizeof path, "%s", dir);
        if (access (dir, F_OK) != 0 && access (dirname (path), F_OK) != 0) {
            snprintf (err, errlen, "--data: %.900s: %s", path, strerror (errno));
            return -1;
        }
        if (strcmp (input, "-") != 0 && access (input, R_OK) != 0) {
            snprintf (err, errlen, "import FILE %s: %s", input, strerror (errno));
            return -1;
        }
        snprintf (path, sizeof path, "%s/data.mdb", dir);
        if (access (path, F_OK) != 0)
            return 0;       /* the import will create it */
    }
    jad_journal_t *journal = jad_journal_open (dir, JAD_JOURNAL_RDONLY,
                                               why, sizeof why);
    if (!journal) {
        snprintf (err, errlen, "--data: %s", why);
        return -1;
    }
    jad_journal_destroy (&journal);
    return 0;
}

/* ------------------------------------------------------------ repair */

/* snprintf for paths, as jad-sim's s_fmt: a path too long for its buffer
 * is cut, and the call that uses it fails with a clear error. */
static void s_path (char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
s_path (char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (buf, size, fmt, ap);
    va_end (ap);
}

typedef struct {
    char        dir[4096];      /* --data, without trailing slashes */
    char        journal[4200];  /* the journal directory: DIR or DIR/journal */
    char        hubdir[4200];   /* the hub's data directory (status.json) */
    const char *mirrors[JAD_REPAIR_MIRRORS_MAX];    /* --from */
    size_t      n_mirrors;
    const char *out;            /* --out NEWDIR, or NULL: swap in place */
} s_repair_args_t;

/* Where --data's journal is: DIR itself when it holds a data.mdb, else
 * DIR/journal — a hub's data directory, whose journal may be gone with
 * its disk.  Every --from a directory; --out without a journal.  0, or -1
 * with ERR. */
static int
s_repair_paths (s_repair_args_t *a, const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char path[4300];
    s_path (a->dir, sizeof a->dir, "%s", dir);
    for (size_t n = strlen (a->dir); n > 1 && a->dir[n - 1] == '/'; n--)
        a->dir[n - 1] = 0;
    if (stat (a->dir, &st) != 0) {
        jad_err_set (err, errlen, "--data: %s: %s", a->dir, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        jad_err_set (err, errlen, "--data: %s: not a directory", a->dir);
        return -1;
    }
    s_path (path, sizeof path, "%s/data.mdb", a->dir);
    if (stat (path, &st) == 0) {
        s_path (a->journal, sizeof a->journal, "%s", a->dir);
        s_path (path, sizeof path, "%s", a->dir);
        s_path (a->hubdir, sizeof a->hubdir, "%s", dirname (path));
    }
    else {
        s_path (a->journal, sizeof a->journal, "%s/journal", a->dir);
        s_path (a->hubdir, sizeof a->hubdir, "%s", a->dir);
    }
    for (size_t i = 0; i < a->n_mirrors; i++)
        if (stat (a->mirrors[i], &st) != 0) {
            jad_err_set (err, errlen, "--from: %s: %s", a->mirrors[i],
                      strerror (errno));
            return -1;
        }
        else
        if (!S_ISDIR (st.st_mode)) {
            jad_err_set (err, errlen, "--from: %s: not a directory", a->mirrors[i]);
            return -1;
        }
    if (a->out) {
        s_path (path, sizeof path, "%s/data.mdb", a->out);
        if (stat (path, &st) == 0) {
            jad_err_set (err, errlen, "--out: %s holds a journal already", a->out);
            return -1;
        }
    }
    return 0;
}

/* The hub must be stopped: no process may hold the journal open (the
 * hub, a tool reading it, a hung one), and the hub's status.json must not
 * be a current one.  0, or -1 with ERR. */
static int
s_repair_idle (const s_repair_args_t *a, char *err, size_t errlen)
{
    char path[4300];
    long pid = 0;
    int used = jad_repair_in_use (a->journal, &pid);
    if (used < 0) {
        jad_err_set (err, errlen, "--data: %s/lock.mdb: %s", a->journal,
                  strerror (errno));
        return -1;
    }
    if (used) {
        jad_err_set (err, errlen, "%s is open by process %ld (the hub, or a tool "
                  "reading the journal): stop it first", a->journal, pid);
        return -1;
    }
    s_path (path, sizeof path, "%s/status.json", a->hubdir);
    jad_statusfile_t st;
    json_t *root = jad_statusfile_read (path, jad_time_now_ms (), &st);
    json_decref (root);
    if (st.running && !st.stale) {
        jad_err_set (err, errlen, "the hub (pid %ld, %s) is running: stop it "
                  "first", st.pid, path);
        return -1;
    }
    return 0;
}

/* Remove what a failed repair made in BUILT (a directory it created). */
static void
s_repair_discard (const char *built)
{
    char path[4400];
    s_path (path, sizeof path, "%s/data.mdb", built);
    unlink (path);
    s_path (path, sizeof path, "%s/lock.mdb", built);
    unlink (path);
    rmdir (built);
}

/* Run as root (an administrator in a hurry), give the new journal to the
 * owner of the hub's data directory: the hub's user must open it. */
static void
s_repair_chown (const char *built, const char *hubdir)
{
    struct stat st;
    char path[4400];
    if (geteuid () != 0 || stat (hubdir, &st) != 0 || st.st_uid == 0)
        return;
    const char *files[] = { "", "/data.mdb", "/lock.mdb" };
    for (size_t i = 0; i < 3; i++) {
        s_path (path, sizeof path, "%s%s", built, files[i]);
        if (lchown (path, st.st_uid, st.st_gid) != 0 && errno != ENOENT)
            fprintf (stderr, "jad-journal: %s: chown: %s\n", path,
                     strerror (errno));
    }
}

/* "1644 entries (1636 from the damaged journal, 8 from M)" into BUF. */
static void
s_repair_taken (const s_repair_args_t *a, const jad_repair_result_t *res,
                char *buf, size_t len)
{
    size_t used = (size_t) snprintf (buf, len, "%" PRIu64 " entries", res->head);
    const char *sep = " (";
    for (size_t k = 0; k <= a->n_mirrors && used < len; k++) {
        if (!res->taken[k])
            continue;
        used += (size_t) snprintf (buf + used, len - used, "%s%" PRIu64 " from %s",
                                   sep, res->taken[k],
                                   k ? a->mirrors[k - 1] : "the damaged journal");
        sep = ", ";
    }
    if (used < len && *sep == ',')
        snprintf (buf + used, len - used, ")");
}

static int
s_repair (s_repair_args_t *a)
{
    char ts[32], built[4400], damaged_as[4400], err[1024], taken[2048];
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    if (a->out)
        s_path (built, sizeof built, "%s", a->out);
    else
        s_path (built, sizeof built, "%s.repair-%s", a->journal, ts);
    s_path (damaged_as, sizeof damaged_as, "%s.damaged-%s", a->journal, ts);
    jad_repair_config_t cfg = { .damaged = a->journal, .out = built,
                                .n_mirrors = a->n_mirrors };
    for (size_t i = 0; i < a->n_mirrors; i++)
        cfg.mirrors[i] = a->mirrors[i];
    jad_repair_result_t *res = calloc (1, sizeof *res);
    if (!res) {
        fprintf (stderr, "jad-journal: out of memory\n");
        return 2;
    }
    int rc = jad_repair_run (&cfg, res, err, sizeof err);
    for (const char *line = res->notes; *line; ) {
        const char *end = strchr (line, '\n');
        int n = end ? (int) (end - line) : (int) strlen (line);
        printf ("note: %.*s\n", n, line);
        line += n + (end ? 1 : 0);
    }
    s_repair_taken (a, res, taken, sizeof taken);
    if (rc < 0) {
        fprintf (stderr, "jad-journal: %s\n", err);
        if (!a->out)
            s_repair_discard (built);
        rc = 2;
        goto out;
    }
    if (rc == 1) {
        if (res->lost_from)
            printf ("lost: the operation lost entries %" PRIu64 "..%" PRIu64
                    ": no source can give entry %" PRIu64 " linked to the one "
                    "before it\n", res->lost_from, res->lost_to,
                    res->lost_from);
        if (res->bad_checkpoint)
            printf ("not repaired: the hub's checkpoint at %" PRIu64 " does not "
                    "match the rebuilt chain\n", res->bad_checkpoint);
        printf ("the rebuilt journal (%s) is in %s; %s was left as it was\n",
                taken, built, a->journal);
        rc = 1;
        goto out;
    }
    s_repair_chown (built, a->hubdir);
    if (a->out) {
        printf ("repaired: %s, %" PRIu64 " checkpoints, %" PRIu64 " rosters; "
                "the new journal is %s (%s was left as it was); run "
                "`jad-verify --data %s`\n", taken, res->checkpoints,
                res->rosters, built, a->journal, built);
        goto out;
    }
    if (jad_repair_swap (a->journal, built, damaged_as, err, sizeof err) != 0) {
        fprintf (stderr, "jad-journal: %s\n", err);
        rc = 2;
        goto out;
    }
    printf ("repaired: %s, %" PRIu64 " checkpoints, %" PRIu64 " rosters; ",
            taken, res->checkpoints, res->rosters);
    if (access (damaged_as, F_OK) == 0)
        printf ("the damaged journal is kept as %s", damaged_as);
    else
        printf ("there was no journal in %s", a->journal);
    printf ("; run `jad-verify --data %s`\n", a->dir);
out:
    free (res);
    return rc;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "operation", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "from", required_argument, NULL, 'f' },
        { "limit", required_argument, NULL, 'l' },
        { "out", required_argument, NULL, 'O' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *operation = NULL, *from_arg = NULL, *limit_arg = NULL;
    int json = 0, check = 0, too_many = 0;
    /* --from: dump's first SEQ (the last one given), repair's mirrors (all
     * of them). */
    static s_repair_args_t repair_args;
    s_repair_args_t *ra = &repair_args;
    uint64_t from = 0, limit = 0;
    char err[1024];
    if (argc < 2) {
        s_usage (stderr);
        return 2;
    }
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
        s_usage (stdout);
        return 0;
    }
    /* One table for every command, so one file serves them all. */
    int config_rc = jad_config_apply ("jad-journal", &argc, &argv, 2, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    const char *cmd = argv[1];
    optind = 2;
    int c;
    while ((c = getopt_long (argc, argv, "d:o:jf:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'o': operation = optarg; break;
        case 'j': json = 1; break;
        case 'f':
            from_arg = optarg;
            if (ra->n_mirrors < JAD_REPAIR_MIRRORS_MAX)
                ra->mirrors[ra->n_mirrors++] = optarg;
            else
                too_many = 1;
            break;
        case 'l': limit_arg = optarg; break;
        case 'O': ra->out = optarg; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    int import = strcmp (cmd, "import") == 0;
    int repair = strcmp (cmd, "repair") == 0;
    if (!import && !repair && strcmp (cmd, "count") != 0
    &&  strcmp (cmd, "dump") != 0) {
        fprintf (stderr, "jad-journal: unknown command: %s\n", cmd);
        s_usage (stderr);
        return 2;
    }
    if (!dir) {
        fprintf (stderr, "jad-journal: --data DIR is required\n");
        return 2;
    }
    if (import && optind != argc - 1) {
        fprintf (stderr, "jad-journal: import takes one FILE (or -)\n");
        return 2;
    }
    if (!import && optind != argc) {
        fprintf (stderr, "jad-journal: unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    if (repair) {
        if (too_many) {
            fprintf (stderr, "jad-journal: repair reads at most %d mirrors\n",
                     JAD_REPAIR_MIRRORS_MAX);
            return 2;
        }
        if (s_repair_paths (ra, dir, err, sizeof err) != 0
        ||  s_repair_idle (ra, err, sizeof err) != 0)
            return s_refuse (check, err);
        if (ra->n_mirrors == 0 && access (ra->journal, F_OK) != 0)
            return s_refuse (check, "--data: no journal there, and no --from "
                             "MIRROR to rebuild it from");
        if (check) {
            printf ("jad-journal: configuration valid\n");
            return 0;
        }
        return s_repair (ra);
    }
    if ((from_arg && s_number ("from", from_arg, &from, err, sizeof err) != 0)
    ||  (limit_arg && s_number ("limit", limit_arg, &limit, err, sizeof err) != 0))
        return s_refuse (check, err);
    if (check) {
        if (s_check (cmd, dir, import ? argv[optind] : NULL, err, sizeof err) != 0)
            return s_refuse (check, err);
        printf ("jad-journal: configuration valid\n");
        return 0;
    }
    if (sodium_init () < 0) {
        fprintf (stderr, "jad-journal: libsodium failed to initialise\n");
        return 2;
    }
    if (import)
        return s_import (dir, operation, argv[optind]);
    if (strcmp (cmd, "count") == 0)
        return s_walk (dir, 0, json, 0, 0);
    return s_walk (dir, 1, 0, from, limit);
}
