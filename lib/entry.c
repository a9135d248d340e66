/*  entry: journal entries decoded for the post-operation tools. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad/entry.h"
#include "jad/history.h"
#include "jad/report_json.h"
#include "jad/timefmt.h"
#include "jad/wire.h"

struct _jad_entry_reader_t {
    jad_journal_t *journal;     /* read-only */
    jad_history_t *history;     /* the rosters recorded in it */
    int            bad_roster;  /* a record could not be read: said once */
    uint64_t       untrimmed;   /* entries read since the last trim */
};

/* ------------------------------------------------------------ rosters */

static int
s_bad_roster_fn (void *arg, uint64_t seq, const char *why)
{
    jad_entry_reader_t *self = arg;
    /* Only countries depend on it: say so, and go on without it. */
    if (!self->bad_roster)
        fprintf (stderr, "warning: roster recorded at %" PRIu64 " is not "
                 "readable (%s): countries come from the reports only\n",
                 seq, why);
    self->bad_roster = 1;
    return 0;
}

int
jad_entry_reader_refresh (jad_entry_reader_t *self)
{
    return jad_history_load (self->history, self->journal, 0, NULL,
                             s_bad_roster_fn, self) < 0 ? -1 : 0;
}

const char *
jad_entry_reader_roster_text (jad_entry_reader_t *self)
{
    return jad_history_last_text (self->history);
}

const jad_history_t *
jad_entry_reader_history (jad_entry_reader_t *self)
{
    return self->history;
}

/* ------------------------------------------------------------ lifecycle */

jad_entry_reader_t *
jad_entry_reader_new (const char *dir, char *err, size_t errlen)
{
    jad_entry_reader_t *self = NULL;
    struct stat st;
    if (stat (dir, &st) != 0) {
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
        return NULL;
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, errlen, "%s: not a directory", dir);
        return NULL;
    }
    if (access (dir, R_OK | X_OK) != 0) {
        snprintf (err, errlen, "%s: %s", dir, strerror (errno));
        return NULL;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->journal = jad_journal_find (dir, err, errlen);
    if (!self->journal)
        goto fail;
    self->history = jad_history_new ();
    if (!self->history) {
        snprintf (err, errlen, "out of memory");
        goto fail;
    }
    if (jad_entry_reader_refresh (self) != 0) {
        snprintf (err, errlen, "%s: cannot read the recorded rosters", dir);
        goto fail;
    }
    return self;
fail:
    jad_entry_reader_destroy (&self);
    return NULL;
}

void
jad_entry_reader_destroy (jad_entry_reader_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jad_entry_reader_t *self = *self_p;
    jad_history_destroy (&self->history);
    jad_journal_destroy (&self->journal);
    free (self);
    *self_p = NULL;
}

jad_journal_t *
jad_entry_reader_journal (jad_entry_reader_t *self)
{
    return self->journal;
}

/* ------------------------------------------------------------ entries */

/* A reader of the journal peels ten million of these; protobuf-c would
 * malloc each message and copy each bytes field, so the two outer layers
 * are walked in place (jad_wire_peek) and only the report is unpacked. */
int
jad_entry_peel (const uint8_t *buf, size_t len, jad_entry_peel_t *out,
                char *err, size_t errlen)
{
    int rc = -1;
    char why[160];
    jad_wire_view_t entry, env;
    memset (out, 0, sizeof *out);
    if (len > JAD_FRAME_MAX) {
        snprintf (err, errlen, "entry: %zu bytes, over %d", len, JAD_FRAME_MAX);
        goto out;
    }
    if (jad_wire_peek (&jad__entry__descriptor, buf, len, &entry,
                       why, sizeof why) != 0) {
        snprintf (err, errlen, "entry: %s", why);
        goto out;
    }
    if (!jad_wire_has (&entry, JAD_WIRE_ENTRY_ENVELOPE)) {
        snprintf (err, errlen, "entry: no envelope");
        goto out;
    }
    size_t env_len = (size_t) entry.field[JAD_WIRE_ENTRY_ENVELOPE].value;
    if (env_len > JAD_ENVELOPE_MAX) {
        snprintf (err, errlen, "entry: envelope too large");
        goto out;
    }
    if (jad_wire_has (&entry, JAD_WIRE_ENTRY_RECEIVED_MS))
        out->received_ms = (int64_t) entry.field[JAD_WIRE_ENTRY_RECEIVED_MS].value;
    if (jad_wire_peek (&jad__envelope__descriptor,
                       entry.field[JAD_WIRE_ENTRY_ENVELOPE].data, env_len,
                       &env, why, sizeof why) != 0) {
        snprintf (err, errlen, "envelope: %s", why);
        goto out;
    }
    if (jad_wire_has (&env, JAD_WIRE_ENVELOPE_ORIGIN)) {
        /* (jad_wire_peek refused a NUL in it: it is a string) */
        out->origin = env.field[JAD_WIRE_ENVELOPE_ORIGIN].data;
        out->origin_len = (size_t) env.field[JAD_WIRE_ENVELOPE_ORIGIN].value;
        if (out->origin_len > JAD_JOURNAL_ORIGIN_MAX) {
            snprintf (err, errlen, "envelope: origin: not a roster name");
            goto out;
        }
    }
    if (jad_wire_has (&env, JAD_WIRE_ENVELOPE_ORIGIN_SEQ))
        out->origin_seq = env.field[JAD_WIRE_ENVELOPE_ORIGIN_SEQ].value;
    if (jad_wire_has (&env, JAD_WIRE_ENVELOPE_INCARNATION)) {
        out->incarnation = env.field[JAD_WIRE_ENVELOPE_INCARNATION].data;
        out->incarnation_len =
            (size_t) env.field[JAD_WIRE_ENVELOPE_INCARNATION].value;
    }
    if (jad_wire_has (&env, JAD_WIRE_ENVELOPE_EVENT_TIME_MS)) {
        out->has_event_time = 1;
        out->event_time_ms =
            (int64_t) env.field[JAD_WIRE_ENVELOPE_EVENT_TIME_MS].value;
    }
    if (!jad_wire_has (&env, JAD_WIRE_ENVELOPE_REPORT)) {
        snprintf (err, errlen, "envelope: no report");
        goto out;
    }
    out->report = env.field[JAD_WIRE_ENVELOPE_REPORT].data;
    out->report_len = (size_t) env.field[JAD_WIRE_ENVELOPE_REPORT].value;
    if (out->report_len > JAD_REPORT_MAX) {
        snprintf (err, errlen, "envelope: report too large");
        goto out;
    }
    rc = 0;
out:
    return rc;
}

int64_t
jad_entry_resolve (const jad_entry_peel_t *peel, const Jad__Report *r,
                   const jad_history_t *history, uint64_t seq,
                   char *origin, char *country)
{
    size_t olen = peel->origin ? peel->origin_len : 0;
    if (olen)
        memcpy (origin, peel->origin, olen);
    origin[olen] = 0;
    jad_history_country (history, seq, origin, r->country, country);
    return jad_entry_time (peel);
}

int64_t
jad_entry_time (const jad_entry_peel_t *peel)
{
    return peel->has_event_time ? peel->event_time_ms : peel->received_ms;
}

int
jad_entry_decode (jad_entry_reader_t *self, uint64_t seq,
                  const uint8_t *buf, size_t len, jad_entry_t *out,
                  char *err, size_t errlen)
{
    char why[256];
    jad_entry_peel_t peel;
    out->report = NULL;
    out->hub_seq = seq;
    out->origin[0] = 0;
    out->country[0] = 0;
    out->error[0] = 0;
    if (jad_entry_peel (buf, len, &peel, err, errlen) != 0)
        goto fail;
    out->report = jad_wire_report_decode (peel.report, peel.report_len,
                                          why, sizeof why);
    if (!out->report) {
        snprintf (err, errlen, "report: %s", why);
        goto fail;
    }
    out->received_ms = peel.received_ms;
    out->origin_seq = peel.origin_seq;
    out->event_time_ms = jad_entry_resolve (&peel, out->report, self->history,
                                            seq, out->origin, out->country);
    return 0;
fail:
    jad_entry_clear (out);
    return -1;
}

typedef struct {
    jad_entry_reader_t *self;
    jad_entry_t        *out;
    size_t              n;
} s_read_t;

static int
s_read_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    s_read_t *rd = arg;
    jad_entry_t *e = &rd->out[rd->n++];
    char err[sizeof e->error];
    if (jad_entry_decode (rd->self, seq, buf, len, e, err, sizeof err) != 0) {
        e->hub_seq = seq;
        snprintf (e->error, sizeof e->error, "%s", err);
    }
    return 0;
}

long
jad_entry_reader_read (jad_entry_reader_t *self, uint64_t from_seq,
                       jad_entry_t *out, size_t max)
{
    s_read_t rd = { self, out, 0 };
    long n = jad_journal_scan (self->journal, from_seq ? from_seq : 1, max,
                               s_read_fn, &rd);
    if (n < 0) {
        for (size_t i = 0; i < rd.n; i++)
            jad_entry_clear (&out[i]);
        return -1;
    }
    /* Drop the journal pages mapped so far every 128k entries: file-backed
     * and shared, but otherwise RSS grows to the journal's size. */
    self->untrimmed += rd.n;
    if (self->untrimmed >= 131072) {
        jad_journal_trim (self->journal);
        self->untrimmed = 0;
    }
    return (long) rd.n;
}

void
jad_entry_clear (jad_entry_t *entry)
{
    /* Not a memset of the whole struct: it is mostly fixed buffers, and
     * a reader clears ten million of them. */
    jad_wire_free (&entry->report);
    entry->hub_seq = 0;
    entry->received_ms = entry->event_time_ms = 0;
    entry->origin[0] = 0;
    entry->origin_seq = 0;
    entry->country[0] = 0;
    entry->error[0] = 0;
}

void
jad_entry_json_string (FILE *f, const char *s)
{
    putc ('"', f);
    for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (f, "\\%c", *p);
        else
        if (*p < 0x20)
            fprintf (f, "\\u%04x", *p);
        else
            putc (*p, f);
    }
    putc ('"', f);
}

char *
jad_entry_json (const jad_entry_t *e, int meta)
{
    /* The intake format always carries the country: lend the resolved one
     * to the report while formatting it. */
    Jad__Report *r = e->report;
    char *own = r->country;
    if (e->country[0])
        r->country = (char *) e->country;
    char *line = jad_report_json_format (r, 1, e->event_time_ms);
    r->country = own;
    if (!line || !meta)
        return line;
    char *out = NULL, received[JAD_TIME_STRLEN];
    size_t size = 0;
    FILE *f = open_memstream (&out, &size);
    if (f) {
        jad_time_format (e->received_ms, received);
        line[strlen (line) - 1] = 0;        /* drop the closing brace */
        fprintf (f, "%s,\"hub_seq\":%" PRIu64 ",\"origin\":", line, e->hub_seq);
        jad_entry_json_string (f, e->origin);
        fprintf (f, ",\"origin_seq\":%" PRIu64 ",\"received\":\"%s\"}",
                 e->origin_seq, received);
        if (fclose (f) != 0) {
            free (out);
            out = NULL;
        }
    }
    free (line);
    return out;
}
