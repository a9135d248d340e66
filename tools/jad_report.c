/*  jad-report: the operation's figures, from a journal (issue 5).
 *
 *  Reads a hub's journal or an agent's mirror read-only, in chunks of
 *  S_CHUNK entries (one short read transaction each, so a hub writing at
 *  the same time is not held up), decodes each chunk on every core
 *  (lib/pool.c: three protobuf unpacks per entry are the whole cost), then
 *  feeds the entries in hub order to lib/figures.c, which keeps the sums.
 *  Entries written after the start are not read: the figures are those of
 *  the journal's head when the tool started.
 *
 *  Formats: json (the issue's contract), text (the press-release view),
 *  csv (one row per country and a total row), html (one self-contained page,
 *  charts as inline SVG, no script and no fetch).  --explain PATH lists the
 *  entries that add up to one figure.  docs/REPORTS.md explains the figures.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "jad/config.h"
#include "jad/entry.h"
#include "jad/figures.h"
#include "jad/history.h"
#include "jad/journal.h"
#include "jad/pool.h"
#include "jad/report.h"
#include "jad/roster.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

#define S_CHUNK     8192        /* entries read per read transaction */

/* One entry of the current chunk, decoded on a worker. */
typedef struct {
    uint64_t       seq;         /* its LMDB key */
    uint8_t       *buf;         /* s_fetch: a copy of its bytes (malloc'd) */
    size_t         off;         /* chunk: where its bytes are in the arena */
    size_t         len;
    Jad__Report   *report;      /* NULL when it does not decode */
    int            in_mem;      /* REPORT lives in MEM: nothing to free */
    _Alignas (16) uint8_t mem[640];  /* room for a decoded report */
    char           country[3];  /* the report's country, "" when none */
    int64_t        time_ms;     /* its event time */
    char           err[200];    /* why it does not decode, "" when fine */
} s_item_t;

/* A chunk of up to S_CHUNK entries: their bytes, copied out of one read
 * transaction end to end into ARENA (one buffer reused for every chunk,
 * not a malloc per entry), and their decoded reports. */
typedef struct {
    s_item_t      *items;       /* S_CHUNK of them */
    size_t         n_items;
    uint8_t       *arena;
    size_t         arena_len;
    size_t         arena_cap;
    int            arena_full;  /* the chunk's bytes did not fit in memory */
} s_slot_t;

typedef struct {
    const char    *dir;
    jad_journal_t *journal;
    jad_history_t *history;     /* the rosters recorded: who is whose */
    s_slot_t       slots[3];    /* chunks being read, decoded, counted */
    s_slot_t      *read;        /* this round: the chunk to read, */
    s_slot_t      *decode;      /* the chunk to decode, */
    s_slot_t      *count;       /* the chunk to count */
    uint64_t       next_seq;    /* the first entry of the next chunk */
    uint64_t       head;        /* the last entry to read */
    int            read_failed; /* the journal could not be read */
    int            failed;      /* counting failed (fetch, memory) */
    jad_figures_t *figures;
    s_item_t       fetched;     /* the entry handed to lib/figures by s_fetch */
    uint64_t       bad;         /* entries that do not decode */
} s_report_t;

static void
s_usage (FILE *out)
{
    fprintf (out,
"usage: jad-report --data DIR [--format text|json|csv|html] [--out FILE]\n"
"                  [--country CC] [--from TIME] [--to TIME] [--explain PATH]\n"
"                  [--config FILE] [--check]\n"
"\n"
"The operation's figures from a journal: DIR is a hub's data directory\n"
"(DIR/journal) or an agent's (DIR/mirror); both give the same figures.\n"
"  --format   json (the figures contract), text (default: press-release\n"
"             view), csv (one row per country plus a total row), html (one\n"
"             self-contained page with charts)\n"
"  --out      write to FILE instead of standard output\n"
"  --country  only reports of country CC (two upper-case letters)\n"
"  --from, --to  only reports whose event time is in [FROM, TO] (RFC 3339)\n"
"  --explain  list the entries (hub_seq, country, time, value) that add up\n"
"             to the figure at PATH, e.g. seizures.firearms.by_type.pistol\n"
"             or by_country.DE.checks.persons; the last line is the total\n"
"  --config   settings from FILE, 'key = value' lines, a key being one of\n"
"             these options' names; the command line wins\n"
"  --check    check the options, that the journal opens and that --out\n"
"             can be written, and exit without counting or writing\n"
"See docs/REPORTS.md for what each figure means.\n"
"\n"
"exit: 0 done (--check: valid); 1 some entries could not be decoded (named\n"
"on stderr; the figures leave them out; --check: invalid); 2 usage error,\n"
"or the journal cannot be read\n");
}

/* ------------------------------------------------------------ journal */

static int
s_open (s_report_t *self, char *err, size_t errlen)
{
    struct stat st;
    char why[512];
    if (stat (self->dir, &st) != 0) {
        snprintf (err, errlen, "--data: %s: %s", self->dir, strerror (errno));
        return -1;
    }
    self->journal = jad_journal_find (self->dir, why, sizeof why);
    if (!self->journal)
        snprintf (err, errlen, "--data: %s", why);
    return self->journal ? 0 : -1;
}

/* A roster record that cannot be read: said, and left out (only
 * countries depend on it). */
static int
s_bad_roster_fn (void *arg, uint64_t seq, const char *why)
{
    (void) arg;
    fprintf (stderr, "jad-report: roster record at %" PRIu64 " ignored: %s\n",
             seq, why);
    return 0;
}

static void
s_item_free (s_item_t *it)
{
    if (it->in_mem)
        it->report = NULL;
    it->in_mem = 0;
    jad_wire_free (&it->report);
    free (it->buf);
    it->buf = NULL;
}

/* Decode IT (its bytes at BUF) and find its country and time.  The Entry
 * and Envelope are peeled in place (lib/entry.c); only the report is
 * unpacked. */
static void
s_decode (const s_report_t *self, s_item_t *it, const uint8_t *buf)
{
    char err[160];
    jad_entry_peel_t peel;
    it->err[0] = 0;
    if (!buf) {
        snprintf (it->err, sizeof it->err, "out of memory");
        return;
    }
    if (jad_entry_peel (buf, it->len, &peel, it->err, sizeof it->err) != 0)
        return;
    /* Into the item's own memory: no malloc, no free from another thread
     * (which was a third of the run); a report too big for it is rare. */
    it->report = jad_wire_report_decode_in (peel.report, peel.report_len,
                                            it->mem, sizeof it->mem,
                                            err, sizeof err);
    it->in_mem = it->report != NULL;
    if (!it->report)
        it->report = jad_wire_report_decode (peel.report, peel.report_len,
                                             err, sizeof err);
    if (!it->report) {
        snprintf (it->err, sizeof it->err, "report: %s", err);
        return;
    }
    char origin[JAD_JOURNAL_ORIGIN_MAX + 1];
    it->time_ms = jad_entry_resolve (&peel, it->report, self->history, it->seq,
                                     origin, it->country);
}

static void
s_decode_fn (void *arg, size_t i)
{
    s_report_t *self = arg;
    s_slot_t *slot = self->decode;
    s_item_t *it = &slot->items[i];
    s_decode (self, it, slot->arena_full ? NULL : slot->arena + it->off);
}

static int s_collect_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len);
static int s_fetch (void *arg, uint64_t seq, jad_figures_src_t *src);

/* Read the next chunk into self->read. */
static void
s_read_chunk (s_report_t *self)
{
    s_slot_t *slot = self->read;
    slot->n_items = 0;
    slot->arena_len = 0;
    slot->arena_full = 0;
    if (self->next_seq > self->head)
        return;
    uint64_t left = self->head - self->next_seq + 1;
    size_t max = left < S_CHUNK ? (size_t) left : S_CHUNK;
    long n = jad_journal_scan (self->journal, self->next_seq, max,
                               s_collect_fn, slot);
    if (n < 0) {
        self->read_failed = 1;
        return;
    }
    if (n == 0)
        self->next_seq = self->head + 1;    /* the head moved back? stop */
    else
        self->next_seq = slot->items[slot->n_items - 1].seq + 1;
}

/* Count self->count in hub order, then free its reports. */
static void
s_count_chunk (s_report_t *self)
{
    s_slot_t *slot = self->count;
    for (size_t i = 0; i < slot->n_items; i++) {
        s_item_t *it = &slot->items[i];
        if (!self->failed && !it->report) {
            fprintf (stderr, "jad-report: hub_seq %" PRIu64 " left out: %s\n",
                     it->seq, it->err);
            self->bad++;
        }
        else
        if (!self->failed && jad_figures_entry (self->figures, it->seq,
                                                it->country, it->time_ms,
                                                it->report, s_fetch, self) != 0)
            self->failed = 1;
        s_item_free (it);
    }
}

/* One round of the pipeline: task 0 counts, task 1 reads, the others
 * decode item I - 2.  The pool hands out tasks in order, so counting and
 * reading start first and decoding fills the cores around them. */
static void
s_round_fn (void *arg, size_t i)
{
    s_report_t *self = arg;
    if (i == 0)
        s_count_chunk (self);
    else
    if (i == 1)
        s_read_chunk (self);
    else
        s_decode_fn (self, i - 2);
}

static int
s_collect_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_slot_t *self = arg;
    s_item_t *it = &self->items[self->n_items++];
    it->seq = seq;
    it->buf = NULL;
    it->report = NULL;
    it->country[0] = 0;
    it->time_ms = 0;
    it->len = len;
    it->off = self->arena_len;
    if (self->arena_len + len > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap : 1 << 20;
        while (cap < self->arena_len + len)
            cap *= 2;
        uint8_t *arena = realloc (self->arena, cap);
        if (!arena) {
            self->arena_full = 1;
            return 0;
        }
        self->arena = arena;
        self->arena_cap = cap;
    }
    memcpy (self->arena + self->arena_len, buf, len);
    self->arena_len += len;
    return 0;
}

/* lib/figures asks for an earlier entry again, to undo what a correction
 * supersedes; SEQ 0 releases the previous one. */
static int
s_fetch (void *arg, uint64_t seq, jad_figures_src_t *src)
{
    s_report_t *self = arg;
    s_item_free (&self->fetched);
    memset (&self->fetched, 0, sizeof self->fetched);
    if (seq == 0)
        return 0;
    s_item_t *it = &self->fetched;
    it->seq = seq;
    int found = jad_journal_get (self->journal, seq, &it->buf, &it->len);
    if (found <= 0)
        return found;
    s_decode (self, it, it->buf);
    if (!it->report)
        return 0;
    src->seq = seq;
    memcpy (src->country, it->country, 3);
    src->time_ms = it->time_ms;
    src->report = it->report;
    return 1;
}

/* ------------------------------------------------------------ output */

static const char *
s_str (const json_t *v, const char *key)
{
    const char *s = json_string_value (json_object_get (v, key));
    return s ? s : "-";
}

/* The figures columns of csv and the per-country tables, as JSON paths. */
static const char *s_scalars[] = {
    "officers", "checks.persons", "checks.vehicles", "checks.parcels",
    "checks.premises", "checks.entities", "checks.db_searches", "hits.total",
    "arrests.total", "seizures.firearms.total", "seizures.firearm_parts",
    "seizures.ammunition", "seizures.grenades", "seizures.explosives_grams",
    "seizures.other_weapons", "seizures.drugs_grams.total", "seizures.vehicles",
    "seizures.documents", "detections.illegal_entry",
    "detections.forged_document", "cyber_targets.total", "investigations"
};
#define S_N_SCALARS (sizeof s_scalars / sizeof s_scalars[0])

/* The enumeration maps, with their enum, for csv columns. */
static const struct {
    const char *path;
    jad_report_enum_t e;
} s_maps[] = {
    { "hits.by_database", JAD_REPORT_ENUM_DATABASE },
    { "arrests.by_charge", JAD_REPORT_ENUM_CHARGE },
    { "seizures.firearms.by_type", JAD_REPORT_ENUM_FIREARM_TYPE },
    { "seizures.drugs_grams.by_type", JAD_REPORT_ENUM_DRUG_TYPE },
    { "cyber_targets.by_platform", JAD_REPORT_ENUM_PLATFORM },
};
#define S_N_MAPS (sizeof s_maps / sizeof s_maps[0])

static void
s_csv_row (FILE *out, const char *name, const json_t *v, const json_t *cash)
{
    char path[160];
    fprintf (out, "%s", name);
    for (size_t i = 0; i < S_N_SCALARS; i++)
        fprintf (out, ",%" PRIu64, jad_figures_get (v, s_scalars[i]));
    for (size_t m = 0; m < S_N_MAPS; m++)
        for (int e = 1; jad_report_enum_name (s_maps[m].e, e); e++) {
            snprintf (path, sizeof path, "%s.%s", s_maps[m].path,
                      jad_report_enum_name (s_maps[m].e, e));
            fprintf (out, ",%" PRIu64, jad_figures_get (v, path));
        }
    const char *cur;
    json_t *amount;
    json_object_foreach ((json_t *) cash, cur, amount) {
        snprintf (path, sizeof path, "seizures.cash.%s", cur);
        fprintf (out, ",%" PRIu64, jad_figures_get (v, path));
    }
    fprintf (out, "\r\n");
}

/* RFC 4180: CRLF line ends, a header row; country codes need no quoting. */
static void
s_csv (FILE *out, const json_t *fig)
{
    const json_t *cash = json_object_get (json_object_get (fig, "seizures"), "cash");
    fprintf (out, "country");
    for (size_t i = 0; i < S_N_SCALARS; i++)
        fprintf (out, ",%s", s_scalars[i]);
    for (size_t m = 0; m < S_N_MAPS; m++)
        for (int e = 1; jad_report_enum_name (s_maps[m].e, e); e++)
            fprintf (out, ",%s.%s", s_maps[m].path, jad_report_enum_name (s_maps[m].e, e));
    const char *cur;
    json_t *amount;
    json_object_foreach ((json_t *) cash, cur, amount)
        fprintf (out, ",seizures.cash.%s", cur);
    fprintf (out, "\r\n");
    const char *cc;
    json_t *one;
    json_object_foreach (json_object_get (fig, "by_country"), cc, one)
        s_csv_row (out, cc, one, cash);
    s_csv_row (out, "total", fig, cash);
}

/* A map's lines, "    name   1,234", or "    none". */
static void
s_text_map (FILE *out, const json_t *map, const char *unit)
{
    const char *k;
    json_t *v;
    char n[40];
    if (json_object_size (map) == 0)
        fprintf (out, "    (none)\n");
    json_object_foreach ((json_t *) map, k, v)
        fprintf (out, "    %-22s %14s%s\n", k, jad_figures_num ((uint64_t) json_integer_value (v), n), unit);
}

static void
s_text (FILE *out, const json_t *fig)
{
    char a[40], b[40], c[40], d[40], e[40], f[40], g[40];
    const json_t *sz = json_object_get (fig, "seizures");
    fprintf (out, "%s\n", s_str (fig, "operation"));
    fprintf (out, "%s to %s: %s reports from %s countries, %s officers deployed\n\n",
             s_str (fig, "first_event"), s_str (fig, "last_event"),
             jad_figures_num (jad_figures_get (fig, "reports"), a), jad_figures_num (jad_figures_get (fig, "countries"), b),
             jad_figures_num (jad_figures_get (fig, "officers"), c));
    fprintf (out, "%s entities checked: %s people, %s vehicles, %s parcels, %s premises\n",
             jad_figures_num (jad_figures_get (fig, "checks.entities"), a),
             jad_figures_num (jad_figures_get (fig, "checks.persons"), b),
             jad_figures_num (jad_figures_get (fig, "checks.vehicles"), c),
             jad_figures_num (jad_figures_get (fig, "checks.parcels"), d),
             jad_figures_num (jad_figures_get (fig, "checks.premises"), e));
    fprintf (out, "%s database searches, %s hits\n",
             jad_figures_num (jad_figures_get (fig, "checks.db_searches"), a), jad_figures_num (jad_figures_get (fig, "hits.total"), b));
    fprintf (out, "%s illegal entries, %s forged documents detected\n",
             jad_figures_num (jad_figures_get (fig, "detections.illegal_entry"), a),
             jad_figures_num (jad_figures_get (fig, "detections.forged_document"), b));
    fprintf (out, "%s cyber targets, %s investigations opened\n\n",
             jad_figures_num (jad_figures_get (fig, "cyber_targets.total"), a),
             jad_figures_num (jad_figures_get (fig, "investigations"), b));

    fprintf (out, "Arrests: %s\n", jad_figures_num (jad_figures_get (fig, "arrests.total"), a));
    s_text_map (out, json_object_get (json_object_get (fig, "arrests"), "by_charge"), "");
    fprintf (out, "Hits by database: %s\n", jad_figures_num (jad_figures_get (fig, "hits.total"), a));
    s_text_map (out, json_object_get (json_object_get (fig, "hits"), "by_database"), "");

    fprintf (out, "\nSeizures\n");
    static const struct { const char *label, *path, *unit; } kinds[] = {
        { "firearms", "seizures.firearms.total", "" },
        { "firearm parts", "seizures.firearm_parts", "" },
        { "ammunition", "seizures.ammunition", " rounds" },
        { "grenades", "seizures.grenades", "" },
        { "explosives", "seizures.explosives_grams", " g" },
        { "other weapons", "seizures.other_weapons", "" },
        { "drugs", "seizures.drugs_grams.total", " g" },
        { "vehicles", "seizures.vehicles", "" },
        { "documents", "seizures.documents", "" },
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        fprintf (out, "  %-24s %14s%s\n", kinds[i].label,
                 jad_figures_num (jad_figures_get (fig, kinds[i].path), a), kinds[i].unit);
        if (i == 0)
            s_text_map (out, json_object_get (json_object_get (sz, "firearms"), "by_type"), "");
        if (i == 6)
            s_text_map (out, json_object_get (json_object_get (sz, "drugs_grams"), "by_type"), " g");
    }
    const char *cur;
    json_t *amount;
    json_object_foreach (json_object_get (sz, "cash"), cur, amount) {
        uint64_t m = (uint64_t) json_integer_value (amount);
        fprintf (out, "  cash %-19s %14s (minor units)\n", cur, jad_figures_num (m, a));
    }

    fprintf (out, "\nBy country\n%-7s %8s %12s %8s %8s %10s %10s %12s\n",
             "country", "officers", "entities", "hits", "arrests", "firearms",
             "ammunition", "drugs (g)");
    const char *cc;
    json_t *one;
    json_object_foreach (json_object_get (fig, "by_country"), cc, one)
        fprintf (out, "%-7s %8s %12s %8s %8s %10s %10s %12s\n", cc,
                 jad_figures_num (jad_figures_get (one, "officers"), a), jad_figures_num (jad_figures_get (one, "checks.entities"), b),
                 jad_figures_num (jad_figures_get (one, "hits.total"), c), jad_figures_num (jad_figures_get (one, "arrests.total"), d),
                 jad_figures_num (jad_figures_get (one, "seizures.firearms.total"), e),
                 jad_figures_num (jad_figures_get (one, "seizures.ammunition"), f),
                 jad_figures_num (jad_figures_get (one, "seizures.drugs_grams.total"), g));
}

/* Text for HTML: the only strings are ours, enum names and an operation
 * name, which may hold anything. */
static void
s_html_text (FILE *out, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '<': fputs ("&lt;", out); break;
        case '>': fputs ("&gt;", out); break;
        case '&': fputs ("&amp;", out); break;
        case '"': fputs ("&quot;", out); break;
        default: fputc (*s, out);
        }
}

/* Activity per hour: three polylines in one SVG, scaled to the maximum. */
static void
s_html_activity (FILE *out, const jad_figures_t *figures)
{
    size_t n = jad_figures_hours (figures);
    uint64_t max = 1, h, s, a;
    for (size_t i = 0; i < n; i++) {
        jad_figures_hour (figures, i, &h, &s, &a);
        max = h > max ? h : max;
        max = s > max ? s : max;
        max = a > max ? a : max;
    }
    const int W = 900, H = 240;
    fprintf (out, "<h2>Activity per hour</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
             "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n"
             "<rect width=\"%d\" height=\"%d\" fill=\"#fafafa\" stroke=\"#ccc\"/>\n",
             W, H + 30, W, H + 30, W, H);
    static const char *colors[] = { "#d62728", "#1f77b4", "#2ca02c" };
    static const char *names[] = { "hits", "seizures", "arrests" };
    for (int k = 0; k < 3; k++) {
        fprintf (out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                 colors[k]);
        for (size_t i = 0; i < n; i++) {
            jad_figures_hour (figures, i, &h, &s, &a);
            uint64_t v = k == 0 ? h : k == 1 ? s : a;
            double x = n > 1 ? (double) i * (W - 20) / (double) (n - 1) + 10 : W / 2.0;
            double y = H - 10 - (double) v * (H - 20) / (double) max;
            fprintf (out, "%.1f,%.1f ", x, y);
        }
        fprintf (out, "\"/>\n<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"13\">%s</text>\n",
                 10 + k * 110, H + 22, colors[k], names[k]);
    }
    char t0[JAD_TIME_STRLEN], t1[JAD_TIME_STRLEN];
    jad_time_format (jad_figures_hour0_ms (figures), t0);
    jad_time_format (jad_figures_hour0_ms (figures) + (int64_t) n * 3600000, t1);
    fprintf (out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s &#8594; "
             "%s, peak %" PRIu64 "/h</text>\n</svg>\n", W - 10, H + 22, t0, t1, max);
}

/* Horizontal bars per country of the figure at PATH. */
static void
s_html_bars (FILE *out, const json_t *fig, const char *title, const char *path)
{
    const json_t *bc = json_object_get (fig, "by_country");
    uint64_t max = 1;
    const char *cc;
    json_t *one;
    json_object_foreach ((json_t *) bc, cc, one)
        if (jad_figures_get (one, path) > max)
            max = jad_figures_get (one, path);
    size_t n = json_object_size (bc);
    fprintf (out, "<h2>%s per country</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
             "width=\"600\" height=\"%zu\" role=\"img\">\n", title, n * 18 + 4);
    size_t i = 0;
    char num[40];
    json_object_foreach ((json_t *) bc, cc, one) {
        uint64_t v = jad_figures_get (one, path);
        fprintf (out, "<text x=\"0\" y=\"%zu\" font-size=\"12\">%s</text>"
                 "<rect x=\"30\" y=\"%zu\" width=\"%.1f\" height=\"13\" fill=\"#1f77b4\"/>"
                 "<text x=\"%.1f\" y=\"%zu\" font-size=\"11\">%s</text>\n",
                 i * 18 + 14, cc, i * 18 + 3, (double) v * 480.0 / (double) max,
                 (double) v * 480.0 / (double) max + 34, i * 18 + 14, jad_figures_num (v, num));
        i++;
    }
    fprintf (out, "</svg>\n");
}

static void
s_html (FILE *out, const json_t *fig, const jad_figures_t *figures)
{
    char a[40], b[40];
    fprintf (out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>");
    s_html_text (out, s_str (fig, "operation"));
    fprintf (out, " — figures</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}"
             "table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
             "td.n{text-align:right;font-variant-numeric:tabular-nums}"
             ".big{font-size:1.4em;margin:.2em 0}\n</style></head><body>\n<h1>");
    s_html_text (out, s_str (fig, "operation"));
    fprintf (out, "</h1>\n<p>%s to %s — %s reports from %s countries</p>\n",
             s_str (fig, "first_event"), s_str (fig, "last_event"),
             jad_figures_num (jad_figures_get (fig, "reports"), a), jad_figures_num (jad_figures_get (fig, "countries"), b));
    static const struct { const char *label, *path; } heads[] = {
        { "officers deployed", "officers" }, { "entities checked", "checks.entities" },
        { "persons", "checks.persons" }, { "vehicles", "checks.vehicles" },
        { "parcels", "checks.parcels" }, { "premises", "checks.premises" },
        { "hits", "hits.total" }, { "arrests", "arrests.total" },
        { "firearms seized", "seizures.firearms.total" },
        { "rounds of ammunition", "seizures.ammunition" },
        { "grams of drugs", "seizures.drugs_grams.total" },
        { "illegal entries", "detections.illegal_entry" },
        { "forged documents", "detections.forged_document" },
        { "cyber targets", "cyber_targets.total" }, { "investigations", "investigations" },
    };
    fprintf (out, "<table>\n");
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++)
        fprintf (out, "<tr><td class=\"n big\">%s</td><td>%s</td></tr>\n",
                 jad_figures_num (jad_figures_get (fig, heads[i].path), a), heads[i].label);
    fprintf (out, "</table>\n");
    s_html_activity (out, figures);
    s_html_bars (out, fig, "Entities checked", "checks.entities");
    s_html_bars (out, fig, "Officers", "officers");
    fprintf (out, "<h2>Per country</h2>\n<table>\n<tr><th>country</th>");
    for (size_t i = 0; i < S_N_SCALARS; i++)
        fprintf (out, "<th>%s</th>", s_scalars[i]);
    fprintf (out, "</tr>\n");
    const char *cc;
    json_t *one;
    json_object_foreach (json_object_get (fig, "by_country"), cc, one) {
        fprintf (out, "<tr><td>%s</td>", cc);
        for (size_t i = 0; i < S_N_SCALARS; i++)
            fprintf (out, "<td class=\"n\">%s</td>", jad_figures_num (jad_figures_get (one, s_scalars[i]), a));
        fprintf (out, "</tr>\n");
    }
    fprintf (out, "<tr><th>total</th>");
    for (size_t i = 0; i < S_N_SCALARS; i++)
        fprintf (out, "<th class=\"n\">%s</th>", jad_figures_num (jad_figures_get (fig, s_scalars[i]), a));
    fprintf (out, "</tr>\n</table>\n</body></html>\n");
}

static void
s_explain (FILE *out, const jad_figures_t *figures, const char *path)
{
    fprintf (out, "# %s: hub_seq country time value\n", path);
    for (size_t i = 0; i < jad_figures_explain_size (figures); i++) {
        const jad_figures_item_t *it = jad_figures_explain_at (figures, i);
        char t[JAD_TIME_STRLEN];
        jad_time_format (it->time_ms, t);
        fprintf (out, "%" PRIu64 " %s %s %" PRIu64, it->seq,
                 it->country[0] ? it->country : "-", t, it->value);
        if (it->via)
            fprintf (out, " (as corrected by %" PRIu64 ")", it->via);
        fprintf (out, "\n");
    }
    fprintf (out, "total %" PRIu64 "\n", jad_figures_explain_total (figures));
}

/* ------------------------------------------------------------ main */

/* The options, as given (on the command line or in --config FILE). */
typedef struct {
    const char *format;         /* text, json, csv, html */
    const char *out_path;       /* --out, NULL: stdout */
    const char *country;        /* --country, NULL: all */
    const char *from, *to;      /* --from, --to as given, NULL: open */
    const char *explain;        /* --explain PATH */
} s_options_t;

/* Check the options and set FIGURES up by them: for the run and for
 * --check alike.  0, or -1 with ERR naming the option. */
static int
s_configure (const s_options_t *o, jad_figures_t *figures, char *err, size_t errlen)
{
    int64_t from_ms = INT64_MIN, to_ms = INT64_MAX;
    if (strcmp (o->format, "text") && strcmp (o->format, "json")
    &&  strcmp (o->format, "csv") && strcmp (o->format, "html")) {
        snprintf (err, errlen, "--format: \"%s\" is not text, json, csv or html",
                  o->format);
        return -1;
    }
    const char *times[2] = { o->from, o->to };
    int64_t *ms[2] = { &from_ms, &to_ms };
    for (size_t i = 0; i < 2; i++)
        if (times[i] && jad_time_parse (times[i], ms[i]) != 0) {
            snprintf (err, errlen, "--%s: \"%s\" is not an RFC 3339 time "
                      "(e.g. 2020-11-16T07:00:00Z)", i ? "to" : "from", times[i]);
            return -1;
        }
    if (from_ms > to_ms) {
        snprintf (err, errlen, "--from is after --to");
        return -1;
    }
    if (o->country && jad_figures_set_country (figures, o->country) != 0) {
        snprintf (err, errlen, "--country: \"%s\" is not two upper-case "
                  "letters (ISO 3166 alpha-2)", o->country);
        return -1;
    }
    jad_figures_set_range (figures, from_ms, to_ms);
    if (o->explain)
        jad_figures_set_explain (figures, o->explain);
    if (o->out_path) {
        /* The report is written beside FILE and renamed onto it. */
        char dir[4096];
        struct stat st;
        snprintf (dir, sizeof dir, "%s", o->out_path);
        if (stat (o->out_path, &st) == 0 && S_ISDIR (st.st_mode)) {
            snprintf (err, errlen, "--out: %s is a directory", o->out_path);
            return -1;
        }
        if (access (dirname (dir), W_OK | X_OK) != 0) {
            snprintf (err, errlen, "--out: %.900s: %s", dir, strerror (errno));
            return -1;
        }
    }
    return 0;
}

/* Open the journal and keep the rosters it records.  0, or -1 with ERR. */
static int
s_journal (s_report_t *self, jad_journal_meta_t *meta, uint64_t *head,
           char *err, size_t errlen)
{
    if (s_open (self, err, errlen) != 0)
        return -1;
    self->history = jad_history_new ();
    if (!self->history) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    if (jad_journal_meta_get (self->journal, meta) != 0
    ||  jad_journal_head (self->journal, head) != 0
    ||  jad_history_load (self->history, self->journal, 0, NULL,
                          s_bad_roster_fn, NULL) < 0) {
        snprintf (err, errlen, "--data: %s: cannot read the journal", self->dir);
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
        { "out", required_argument, NULL, 'o' },
        { "country", required_argument, NULL, 'c' },
        { "from", required_argument, NULL, 'F' },
        { "to", required_argument, NULL, 'T' },
        { "explain", required_argument, NULL, 'e' },
        { "check", no_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    s_report_t report = { 0 }, *self = &report;
    s_options_t o = { .format = "text" };
    int c, rc = 2, check = 0;
    char err[1024];
    jad_pool_t *pool = NULL;
    jad_figures_t *figures = NULL;
    json_t *fig = NULL;
    FILE *out = NULL;
    char *tmp_path = NULL;
    int config_rc = jad_config_apply ("jad-report", &argc, &argv, 1, opts, NULL);
    if (config_rc != 0)
        return config_rc;
    while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': self->dir = optarg; break;
        case 'f': o.format = optarg; break;
        case 'o': o.out_path = optarg; break;
        case 'c': o.country = optarg; break;
        case 'e': o.explain = optarg; break;
        case 'F': o.from = optarg; break;
        case 'T': o.to = optarg; break;
        case 'C': check = 1; break;
        case 'h': s_usage (stdout); return 0;
        default: s_usage (stderr); return 2;
        }
    }
    if (optind != argc || !self->dir) {
        fprintf (stderr, "jad-report: --data DIR is required (--help for usage)\n");
        return 2;
    }
    figures = jad_figures_new ();
    if (!figures) {
        fprintf (stderr, "jad-report: out of memory\n");
        goto out;
    }
    jad_journal_meta_t meta;
    uint64_t head;
    if (s_configure (&o, figures, err, sizeof err) != 0
    ||  s_journal (self, &meta, &head, err, sizeof err) != 0) {
        fprintf (stderr, check ? "jad-report: configuration invalid: %s\n"
                               : "jad-report: %s\n", err);
        rc = check ? 1 : 2;
        goto out;
    }
    if (check) {
        printf ("jad-report: configuration valid\n");
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < 3; i++)
        self->slots[i].items = calloc (S_CHUNK, sizeof *self->slots[i].items);
    pool = jad_pool_new (0);
    if (!self->slots[0].items || !self->slots[1].items
    ||  !self->slots[2].items || !pool) {
        fprintf (stderr, "jad-report: out of memory or threads\n");
        goto out;
    }

    /* The scan, as a pipeline of three chunks: each round reads chunk N+1
     * (one short read transaction), decodes chunk N and counts chunk N-1
     * in hub order, all at once on every core (s_round_fn): counting is
     * one thread's work, and decoding the rest keeps the others busy. */
    int progress = isatty (STDERR_FILENO);
    int64_t t0 = jad_time_mono_ms (), shown = 0;
    uint64_t done = 0, trimmed = 0;
    self->next_seq = 1;
    self->head = head;
    self->figures = figures;
    self->read = &self->slots[0];
    self->decode = &self->slots[1];
    self->count = &self->slots[2];
    for (;;) {
        size_t n_decode = self->decode->n_items;
        if (self->next_seq > head && n_decode == 0 && self->count->n_items == 0)
            break;
        jad_pool_run (pool, s_round_fn, self, 2 + n_decode);
        if (self->read_failed) {
            fprintf (stderr, "jad-report: %s: cannot read the journal\n", self->dir);
            goto out;
        }
        if (self->failed) {
            fprintf (stderr, "jad-report: %s: cannot read the journal (or out "
                     "of memory)\n", self->dir);
            goto out;
        }
        done += self->count->n_items;
        self->count->n_items = 0;
        /* Rotate: what was read is decoded next, what was decoded is
         * counted next, the counted slot is read into. */
        s_slot_t *counted = self->count;
        self->count = self->decode;
        self->decode = self->read;
        self->read = counted;
        /* Drop the journal pages mapped so far now and then: they are
         * file-backed, but they would make RSS look like the journal. */
        if (done - trimmed >= 16 * S_CHUNK) {
            jad_journal_trim (self->journal);
            trimmed = done;
        }
        int64_t now = jad_time_mono_ms ();
        if (progress && head && now - t0 >= 1000 && now - shown >= 200) {
            shown = now;
            int pct = (int) (done * 100 / head), bar = pct / 4;
            fprintf (stderr, "\r[%.*s%*s] %3d%% %" PRIu64 "/%" PRIu64 " entries",
                     bar, "#########################", 25 - bar, "", pct, done, head);
        }
    }
    if (shown)
        fprintf (stderr, "\r%70s\r", "");

    /* The operation's name from the roster the hub recorded, which a mirror
     * holds too (its meta has only the id); an imported journal has none. */
    const jad_roster_t *last = jad_history_last (self->history);
    const char *operation = last ? jad_roster_operation (last) : meta.name;
    fig = jad_figures_json (figures, operation);
    if (!fig) {
        fprintf (stderr, "jad-report: out of memory\n");
        goto out;
    }
    if (o.explain && jad_figures_explain_finish (figures, fig, err, sizeof err) != 0) {
        fprintf (stderr, "jad-report: --explain %s\n", err);
        goto out;
    }
    /* --out: a temporary file renamed into place, so a reader never sees
     * half a report. */
    if (o.out_path) {
        size_t len = strlen (o.out_path) + 16;
        tmp_path = malloc (len);
        if (tmp_path)
            snprintf (tmp_path, len, "%s.tmp%ld", o.out_path, (long) getpid ());
        out = tmp_path ? fopen (tmp_path, "w") : NULL;
        if (!out) {
            fprintf (stderr, "jad-report: %s: %s\n", o.out_path, strerror (errno));
            goto out;
        }
    }
    FILE *to = out ? out : stdout;
    if (o.explain)
        s_explain (to, figures, o.explain);
    else
    if (strcmp (o.format, "json") == 0) {
        json_dumpf (fig, to, JSON_INDENT (1));
        fputc ('\n', to);
    }
    else
    if (strcmp (o.format, "csv") == 0)
        s_csv (to, fig);
    else
    if (strcmp (o.format, "html") == 0)
        s_html (to, fig, figures);
    else
        s_text (to, fig);
    if (fflush (to) != 0 || ferror (to)
    ||  (out && (fclose (out) != 0 || rename (tmp_path, o.out_path) != 0))) {
        fprintf (stderr, "jad-report: %s: %s\n", o.out_path ? o.out_path : "stdout",
                 strerror (errno));
        out = NULL;
        goto out;
    }
    out = NULL;
    rc = self->bad ? 1 : 0;
out:
    if (out)
        fclose (out);
    if (tmp_path && rc == 2)
        unlink (tmp_path);
    free (tmp_path);
    json_decref (fig);
    s_item_free (&self->fetched);
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < self->slots[k].n_items; i++)
            s_item_free (&self->slots[k].items[i]);
        free (self->slots[k].items);
        free (self->slots[k].arena);
    }
    jad_history_destroy (&self->history);
    jad_figures_destroy (&figures);
    jad_pool_destroy (&pool);
    jad_journal_destroy (&self->journal);
    return rc;
}
