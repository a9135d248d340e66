/*  jad-journal: import JSON Lines into a journal, count and dump it.
 *
 *  A tool for the analyst and for tests: it reads and writes the same LMDB
 *  journal the hub keeps, through lib/journal.c.  `import` journals reports
 *  without a hub (an operation recorded elsewhere, or the example scenario);
 *  each imported report gets an envelope whose origin is "import-CC", so the
 *  imported journal has the same shape as a live one.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "jad/config.h"
#include "jad/entry.h"
#include "jad/envelope.h"
#include "jad/journal.h"
#include "jad/lines.h"
#include "jad/report.h"
#include "jad/report_json.h"
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
"       every command also takes [--config FILE] [--check]\n"
"\n"
"  import  validate each JSON line (each report needs its \"country\") and\n"
"          journal the valid ones; one result line per rejected line\n"
"  count   number of entries, by report type\n"
"  dump    one JSON line per entry: hub_seq, origin, origin_seq,\n"
"          received, and the report as submitted\n"
"\n"
"  --config FILE  settings as 'key = value' lines, a key being a long\n"
"                 option's name (data, operation, json, from, limit); one\n"
"                 file serves every command; the command line wins\n"
"  --check        check the options, the journal (import: that DIR can hold\n"
"                 one, and FILE) and exit, writing nothing\n"
"\n"
"exit: 0 done (--check: valid); 1 some lines rejected (--check: invalid);\n"
"      2 usage or I/O error\n");
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

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "operation", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },
        { "from", required_argument, NULL, 'f' },
        { "limit", required_argument, NULL, 'l' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *dir = NULL, *operation = NULL, *from_arg = NULL, *limit_arg = NULL;
    int json = 0, check = 0;
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
        case 'f': from_arg = optarg; break;
        case 'l': limit_arg = optarg; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    int import = strcmp (cmd, "import") == 0;
    if (!import && strcmp (cmd, "count") != 0 && strcmp (cmd, "dump") != 0) {
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
