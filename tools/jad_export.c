/*  jad-export: every report of a journal, one row each, for analysts.
 *
 *  --format jsonl writes the intake format (report_json.c) with `country`
 *  and `time` always present, so the output re-imports through jad-sim (or
 *  an agent) unchanged; --format csv flattens the same JSON, so the column
 *  names are the intake format's keys, with a correction's replacement as
 *  "replacement.KEY".  --meta adds where each report came from.
 *
 *  Reads the journal read-only, in chunks of short read transactions, so it
 *  runs beside a hub that is still writing; memory is one chunk of decoded
 *  entries, whatever the journal's size.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "jad/config.h"
#include "jad/entry.h"
#include "jad/journal.h"
#include "jad/report_json.h"
#include "jad/timefmt.h"

#define S_CHUNK 1024            /* entries decoded per read transaction */

/* CSV columns: the intake format's keys, in its order (type, country, time,
 * each kind's fields, then the common ones).  A key that two kinds share
 * ("count") is one column.  "replacement.*" are a correction's replacement
 * report; a replacement of a replacement stays JSON in its one column. */
static const char *const s_columns[] = {
    "type", "country", "time",
    "persons", "vehicles", "parcels", "premises", "db_searches",
    "database", "count", "subject",
    "item", "subtype", "grams", "amount", "currency", "serial",
    "charge", "kind", "platform", "officers", "text",
    "supersedes",
    "replacement.type",
    "replacement.persons", "replacement.vehicles", "replacement.parcels",
    "replacement.premises", "replacement.db_searches",
    "replacement.database", "replacement.count", "replacement.subject",
    "replacement.item", "replacement.subtype", "replacement.grams",
    "replacement.amount", "replacement.currency", "replacement.serial",
    "replacement.charge", "replacement.kind", "replacement.platform",
    "replacement.officers", "replacement.text",
    "replacement.supersedes", "replacement.replacement",
    "replacement.location", "replacement.lat", "replacement.lon",
    "replacement.handling", "replacement.ref",
    "location", "lat", "lon", "handling", "ref",
};
#define S_NCOLUMNS (sizeof s_columns / sizeof s_columns[0])

typedef struct {
    int      csv;               /* --format csv, else jsonl */
    int      meta;              /* --meta */
    int      progress;          /* stderr is a terminal */
    uint64_t written;
    uint64_t bad;               /* entries that did not decode or format */
    uint64_t no_country;        /* jsonl rows without a country */
} s_export_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-export --data DIR --format jsonl|csv [--meta] [--config FILE]\n"
"                  [--check]\n"
"\n"
"Every report of the journal in DIR (a hub's data directory or an agent's),\n"
"in hub order, one row each, on stdout.\n"
"  jsonl   the intake format, always with \"country\" and \"time\": re-import\n"
"          it with jad-sim or an agent (without --meta)\n"
"  csv     a header row, then one row per report: every report field,\n"
"          flattened (a correction's replacement as replacement.KEY)\n"
"  --meta  adds hub_seq, origin, origin_seq, received (for analysis; such\n"
"          lines are not for re-import)\n"
"Corrections are exported as they are (type correction), not applied.\n"
"  --config FILE  settings as 'key = value' lines, a key being one of these\n"
"                 options' names (data, format, meta); the command line wins\n"
"  --check        check the options and that the journal opens, and exit\n"
"\n"
"exit: 0 done (--check: valid); 1 some entries did not decode (named on\n"
"stderr; --check: invalid); 2 usage or I/O error\n");
}

/* ------------------------------------------------------------ csv */

/* A CSV field (RFC 4180): quoted when it holds a comma, quote or newline. */
static void
s_csv_field (const char *s)
{
    if (strpbrk (s, ",\"\r\n") == NULL) {
        fputs (s, stdout);
        return;
    }
    putchar ('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar ('"');
        putchar (*s);
    }
    putchar ('"');
}

/* The same for S[0..LEN), which holds no NUL. */
static void
s_csv_span (const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            break;
    if (i == len) {
        fwrite (s, 1, len, stdout);
        return;
    }
    putchar ('"');
    for (i = 0; i < len; i++) {
        if (s[i] == '"')
            putchar ('"');
        putchar (s[i]);
    }
    putchar ('"');
}

/* The shortest decimal that reads back as V exactly. */
static void
s_csv_real (double v)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf (buf, sizeof buf, "%.*g", prec, v);
        if (strtod (buf, NULL) == v)
            break;
    }
    fputs (buf, stdout);
}

static void
s_csv_value (json_t *v)
{
    if (!v)
        return;
    if (json_is_string (v))
        s_csv_field (json_string_value (v));
    else
    if (json_is_integer (v))
        printf ("%" JSON_INTEGER_FORMAT, json_integer_value (v));
    else
    if (json_is_real (v))
        s_csv_real (json_real_value (v));
    else {
        char *text = json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text)
            s_csv_field (text);
        free (text);
    }
}

static void
s_csv_header (const s_export_t *self)
{
    for (size_t i = 0; i < S_NCOLUMNS; i++)
        printf ("%s%s", i ? "," : "", s_columns[i]);
    if (self->meta)
        fputs (",hub_seq,origin,origin_seq,received", stdout);
    putchar ('\n');
}

/* A member of a flat JSON object, as spans of the line. */
typedef struct {
    const char *key;            /* after the opening quote */
    size_t      key_len;
    const char *val;            /* the value's text (a string's without quotes) */
    size_t      val_len;
    int         kind;           /* 's' string, 'n' number, 'o' object */
} s_member_t;

/* Split the object at *P (after its '{') into members, up to MAX; *P ends
 * after its '}'.  LINE comes from jad_report_json_format: compact, keys
 * and strings without escapes (the caller checks there is no backslash),
 * numbers plain.  Returns the number of members, or -1 when the text is
 * not of that shape (the caller then takes the slow path). */
static int
s_members (const char **p, s_member_t *m, int max)
{
    const char *s = *p;
    int n = 0;
    if (*s == '}') {
        *p = s + 1;
        return 0;
    }
    for (;;) {
        if (*s != '"' || n == max)
            return -1;
        m[n].key = ++s;
        s = strchr (s, '"');
        if (!s || s[1] != ':')
            return -1;
        m[n].key_len = (size_t) (s - m[n].key);
        s += 2;
        if (*s == '"') {
            m[n].kind = 's';
            m[n].val = ++s;
            s = strchr (s, '"');
            if (!s)
                return -1;
            m[n].val_len = (size_t) (s - m[n].val);
            s++;
        }
        else
        if (*s == '{') {
            /* A nested object: only "replacement"; find its end. */
            int depth = 0, in_str = 0;
            m[n].kind = 'o';
            m[n].val = s;
            for (; *s; s++) {
                if (in_str) {
                    if (*s == '"')
                        in_str = 0;
                }
                else
                if (*s == '"')
                    in_str = 1;
                else
                if (*s == '{')
                    depth++;
                else
                if (*s == '}' && --depth == 0)
                    break;
            }
            if (!*s)
                return -1;
            s++;
            m[n].val_len = (size_t) (s - m[n].val);
        }
        else {
            m[n].kind = 'n';
            m[n].val = s;
            s += strcspn (s, ",}");
            m[n].val_len = (size_t) (s - m[n].val);
        }
        n++;
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s != '}')
            return -1;
        *p = s + 1;
        return n;
    }
}

static const s_member_t *
s_member (const s_member_t *m, int n, const char *key)
{
    size_t len = strlen (key);
    for (int i = 0; i < n; i++)
        if (m[i].key_len == len && memcmp (m[i].key, key, len) == 0)
            return &m[i];
    return NULL;
}

/* The fast path of s_csv_row: no JSON library, no allocation.  The values
 * come out as the jansson path writes them (strings as they are, integers
 * as they are, reals as their shortest exact decimal).  -1: not for this
 * line (a string with an escape, a nested replacement): take the slow
 * path; nothing has been written then. */
static int
s_csv_row_fast (s_export_t *self, const jad_entry_t *e, const char *line)
{
    s_member_t top[64], rep[64];
    int n_top, n_rep = 0;
    const char *p = line;
    if (strchr (line, '\\') || *p++ != '{')
        return -1;
    if ((n_top = s_members (&p, top, 64)) < 0 || *p)
        return -1;
    const s_member_t *r = s_member (top, n_top, "replacement");
    if (r) {
        const char *q = r->val + 1;
        if (r->kind != 'o' || (n_rep = s_members (&q, rep, 64)) < 0)
            return -1;
        for (int i = 0; i < n_rep; i++)
            if (rep[i].kind == 'o')
                return -1;
    }
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        if (i)
            putchar (',');
        const char *col = s_columns[i];
        const s_member_t *v = strncmp (col, "replacement.", 12) == 0
            ? s_member (rep, n_rep, col + 12) : s_member (top, n_top, col);
        if (!v)
            continue;
        if (v->kind == 's')
            s_csv_span (v->val, v->val_len);
        else
        if (v->kind == 'n' && strcspn (v->val, ".eE,}") >= v->val_len)
            fwrite (v->val, 1, v->val_len, stdout);
        else
        if (v->kind == 'n')
            s_csv_real (strtod (v->val, NULL));
        else
            return -1;      /* a replacement as a top-level column: none */
    }
    if (self->meta) {
        char received[JAD_TIME_STRLEN];
        jad_time_format (e->received_ms, received);
        printf (",%" PRIu64 ",", e->hub_seq);
        s_csv_field (e->origin);
        printf (",%" PRIu64 ",%s", e->origin_seq, received);
    }
    putchar ('\n');
    return 0;
}

static int
s_csv_row (s_export_t *self, const jad_entry_t *e, const char *line)
{
    json_error_t jerr;
    json_t *obj = json_loads (line, 0, &jerr);
    if (!obj)
        return -1;
    json_t *repl = json_object_get (obj, "replacement");
    for (size_t i = 0; i < S_NCOLUMNS; i++) {
        if (i)
            putchar (',');
        const char *col = s_columns[i];
        if (strncmp (col, "replacement.", 12) == 0)
            s_csv_value (json_is_object (repl) ? json_object_get (repl, col + 12)
                                               : NULL);
        else
            s_csv_value (json_object_get (obj, col));
    }
    if (self->meta) {
        char received[JAD_TIME_STRLEN];
        jad_time_format (e->received_ms, received);
        printf (",%" PRIu64 ",", e->hub_seq);
        s_csv_field (e->origin);
        printf (",%" PRIu64 ",%s", e->origin_seq, received);
    }
    putchar ('\n');
    json_decref (obj);
    return 0;
}

/* ------------------------------------------------------------ rows */

static void
s_row (s_export_t *self, jad_entry_t *e)
{
    if (!e->report) {
        fprintf (stderr, "jad-export: entry %" PRIu64 ": %s\n", e->hub_seq,
                 e->error);
        self->bad++;
        return;
    }
    char *line = jad_entry_json (e, self->meta && !self->csv);
    if (!line) {
        fprintf (stderr, "jad-export: entry %" PRIu64 ": report does not "
                 "format\n", e->hub_seq);
        self->bad++;
        return;
    }
    if (!e->country[0])
        self->no_country++;
    if (self->csv) {
        if (s_csv_row_fast (self, e, line) != 0 && s_csv_row (self, e, line) != 0) {
            fprintf (stderr, "jad-export: entry %" PRIu64 ": out of memory\n",
                     e->hub_seq);
            self->bad++;
        }
    }
    else {
        fputs (line, stdout);
        putchar ('\n');
    }
    free (line);
    self->written++;
}

/* What an export needs, for the run and for --check alike: a known
 * FORMAT, and the journal of DIR open (*READER_P) with its head read.
 * 0, or -1 with ERR naming the option. */
static int
s_prepare (s_export_t *self, const char *dir, const char *format,
           jad_entry_reader_t **reader_p, uint64_t *head_p,
           char *err, size_t errlen)
{
    char why[512];
    self->csv = strcmp (format, "csv") == 0;
    if (!self->csv && strcmp (format, "jsonl") != 0) {
        snprintf (err, errlen, "--format: jsonl or csv, not \"%s\"", format);
        return -1;
    }
    *reader_p = jad_entry_reader_new (dir, why, sizeof why);
    if (!*reader_p) {
        snprintf (err, errlen, "--data: %s", why);
        return -1;
    }
    if (jad_journal_head (jad_entry_reader_journal (*reader_p), head_p) != 0) {
        snprintf (err, errlen, "--data: %s: cannot read the journal", dir);
        return -1;
    }
    return 0;
}

int
main (int argc, char **argv)
{
    static const struct option opts[] = {
        { "data", required_argument, NULL, 'd' },
        { "format", required_argument, NULL, 'f' },
        { "meta", no_argument, NULL, 'm' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    s_export_t export = { 0 }, *self = &export;
    const char *dir = NULL, *format = NULL;
    jad_entry_reader_t *reader = NULL;
    jad_entry_t *chunk = NULL;
    int c, rc = 2, check = 0;
    char err[1024];
    int config_rc = jad_config_apply ("jad-export", &argc, &argv, 1, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'f': format = optarg; break;
        case 'm': self->meta = 1; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc || !dir || !format) {
        fprintf (stderr, "jad-export: --data DIR and --format jsonl|csv are "
                 "required (--help)\n");
        return 2;
    }
    uint64_t head = 0, seq = 1;
    if (s_prepare (self, dir, format, &reader, &head, err, sizeof err) != 0) {
        fprintf (stderr, check ? "jad-export: configuration invalid: %s\n"
                               : "jad-export: %s\n", err);
        rc = check ? 1 : 2;
        goto out;
    }
    if (check) {
        printf ("jad-export: configuration valid\n");
        rc = 0;
        goto out;
    }
    self->progress = isatty (STDERR_FILENO);
    /* Rows are short and many: write them in large blocks. */
    static char obuf[1 << 16];
    setvbuf (stdout, obuf, _IOFBF, sizeof obuf);
    chunk = calloc (S_CHUNK, sizeof *chunk);
    if (!chunk) {
        fprintf (stderr, "jad-export: out of memory\n");
        goto out;
    }
    if (self->csv)
        s_csv_header (self);
    /* The entries up to the head seen now: an export is a snapshot, even
     * of a journal the hub is still writing. */
    int64_t t0 = jad_time_mono_ms (), shown = 0;
    while (seq <= head) {
        size_t max = head - seq + 1 < S_CHUNK ? (size_t) (head - seq + 1) : S_CHUNK;
        long n = jad_entry_reader_read (reader, seq, chunk, max);
        if (n < 0) {
            fprintf (stderr, "jad-export: %s: cannot read the journal\n", dir);
            goto out;
        }
        if (n == 0)
            break;
        for (long i = 0; i < n; i++) {
            s_row (self, &chunk[i]);
            jad_entry_clear (&chunk[i]);
        }
        seq += (uint64_t) n;
        int64_t now = jad_time_mono_ms ();
        if (self->progress && now - t0 >= 1000 && now - shown >= 200) {
            shown = now;
            fprintf (stderr, "\rexporting %" PRIu64 "/%" PRIu64 " (%d%%)",
                     seq - 1, head, (int) ((seq - 1) * 100 / head));
        }
    }
    if (shown)
        fprintf (stderr, "\r%50s\r", "");
    if (fflush (stdout) != 0 || ferror (stdout)) {
        fprintf (stderr, "jad-export: cannot write the output\n");
        goto out;
    }
    if (self->no_country && !self->csv)
        fprintf (stderr, "jad-export: %" PRIu64 " reports have no country "
                 "(their origin is on no recorded roster): they will not "
                 "re-import\n", self->no_country);
    rc = self->bad ? 1 : 0;
out:
    free (chunk);
    jad_entry_reader_destroy (&reader);
    return rc;
}
