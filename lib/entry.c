/*  entry: journal entries decoded for the post-operation tools. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad/entry.h"
#include "jad/roster.h"
#include "jad/wire.h"

/* A recorded roster and the first hub_seq it governs. */
typedef struct {
    uint64_t      from;         /* RosterRecord.effective_seq */
    jad_roster_t *roster;
    char         *text;         /* its canonical text, NUL-terminated */
} s_era_t;

struct _jad_entry_reader_t {
    jad_journal_t *journal;     /* read-only */
    s_era_t       *eras;        /* in key order */
    size_t         n_eras;
    size_t         cap_eras;
    int            bad_roster;  /* a record did not decode: said once */
};

/* ------------------------------------------------------------ rosters */

static int
s_roster_fn (void *arg, uint64_t seq, const uint8_t *buf, size_t len)
{
    jad_entry_reader_t *self = arg;
    char err[256];
    jad_roster_t *roster = NULL;
    char *text = NULL;
    Jad__RosterRecord *rec = (Jad__RosterRecord *) jad_wire_decode (
        &jad__roster_record__descriptor, buf, len, JAD_FRAME_MAX, err, sizeof err);
    if (rec && rec->has_roster)
        roster = jad_roster_parse ((const char *) rec->roster.data,
                                   rec->roster.len, "recorded roster",
                                   err, sizeof err);
    if (roster)
        text = strndup ((const char *) rec->roster.data, rec->roster.len);
    jad_wire_free (&rec);
    if (!roster || !text) {
        /* Only countries depend on it: say so, and go on without it. */
        if (!self->bad_roster)
            fprintf (stderr, "warning: roster recorded at %" PRIu64 " is not "
                     "readable (%s): countries come from the reports only\n",
                     seq, roster ? "out of memory" : err);
        self->bad_roster = 1;
        jad_roster_destroy (&roster);
        free (text);
        return 0;
    }
    if (self->n_eras == self->cap_eras) {
        size_t cap = self->cap_eras ? self->cap_eras * 2 : 8;
        s_era_t *eras = realloc (self->eras, cap * sizeof *eras);
        if (!eras) {
            jad_roster_destroy (&roster);
            free (text);
            return 1;
        }
        self->eras = eras;
        self->cap_eras = cap;
    }
    self->eras[self->n_eras++] = (s_era_t) { seq, roster, text };
    return 0;
}

int
jad_entry_reader_refresh (jad_entry_reader_t *self)
{
    uint64_t from = self->n_eras ? self->eras[self->n_eras - 1].from + 1 : 0;
    return jad_journal_record_scan (self->journal, JAD_JOURNAL_ROSTERS, from,
                                    SIZE_MAX, s_roster_fn, self) < 0 ? -1 : 0;
}

const char *
jad_entry_reader_roster_text (jad_entry_reader_t *self)
{
    return self->n_eras ? self->eras[self->n_eras - 1].text : NULL;
}

/* The country of ORIGIN at entry SEQ: from the roster governing SEQ, else
 * from any recorded roster (a participant's country never changes), else
 * from an import's "import-CC".  "" when nothing says. */
static void
s_origin_country (jad_entry_reader_t *self, uint64_t seq, const char *origin,
                  char *country)
{
    country[0] = 0;
    const jad_participant_t *who = NULL;
    for (size_t i = self->n_eras; i-- > 0 && !who; )
        if (self->eras[i].from <= seq)
            who = jad_roster_find_name (self->eras[i].roster, origin);
    for (size_t i = self->n_eras; i-- > 0 && !who; )
        who = jad_roster_find_name (self->eras[i].roster, origin);
    if (who && who->country[0]) {
        memcpy (country, who->country, 3);
        return;
    }
    if (!who && strncmp (origin, "import-", 7) == 0 && strlen (origin) == 9
    &&  origin[7] >= 'A' && origin[7] <= 'Z' && origin[8] >= 'A' && origin[8] <= 'Z') {
        country[0] = origin[7];
        country[1] = origin[8];
        country[2] = 0;
    }
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
    const char *subdirs[] = { "journal", "mirror", "" };
    char path[4096] = "";
    int found = 0;
    for (size_t i = 0; i < 3 && !found; i++) {
        char data[4200];
        snprintf (path, sizeof path, "%s%s%s", dir, *subdirs[i] ? "/" : "",
                  subdirs[i]);
        snprintf (data, sizeof data, "%s/data.mdb", path);
        found = stat (data, &st) == 0;
    }
    if (!found) {
        snprintf (err, errlen, "%s: no journal (neither %s/journal nor "
                  "%s/mirror)", dir, dir, dir);
        return NULL;
    }
    self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    char why[384];
    self->journal = jad_journal_open (path, JAD_JOURNAL_RDONLY, why, sizeof why);
    if (!self->journal) {
        snprintf (err, errlen, "%s: %s", path, why);
        goto fail;
    }
    if (jad_entry_reader_refresh (self) != 0) {
        snprintf (err, errlen, "%s: cannot read the recorded rosters", path);
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
    for (size_t i = 0; i < self->n_eras; i++) {
        jad_roster_destroy (&self->eras[i].roster);
        free (self->eras[i].text);
    }
    free (self->eras);
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

int
jad_entry_decode (jad_entry_reader_t *self, uint64_t seq,
                  const uint8_t *buf, size_t len, jad_entry_t *out,
                  char *err, size_t errlen)
{
    char why[256];
    memset (out, 0, sizeof *out);
    out->hub_seq = seq;
    out->entry = jad_wire_entry_decode (buf, len, why, sizeof why);
    if (!out->entry) {
        snprintf (err, errlen, "entry: %s", why);
        goto fail;
    }
    out->envelope = jad_wire_envelope_decode (out->entry->envelope.data,
                                              out->entry->envelope.len,
                                              why, sizeof why);
    if (!out->envelope) {
        snprintf (err, errlen, "envelope: %s", why);
        goto fail;
    }
    out->report = jad_wire_report_decode (out->envelope->report.data,
                                          out->envelope->report.len,
                                          why, sizeof why);
    if (!out->report) {
        snprintf (err, errlen, "report: %s", why);
        goto fail;
    }
    out->received_ms = out->entry->received_ms;
    out->event_time_ms = out->envelope->event_time_ms;
    out->origin = out->envelope->origin ? out->envelope->origin : "";
    out->origin_seq = out->envelope->origin_seq;
    if (out->report->country && strlen (out->report->country) == 2)
        memcpy (out->country, out->report->country, 3);
    else
        s_origin_country (self, seq, out->origin, out->country);
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
    return (long) rd.n;
}

void
jad_entry_clear (jad_entry_t *entry)
{
    jad_wire_free (&entry->report);
    jad_wire_free (&entry->envelope);
    jad_wire_free (&entry->entry);
    memset (entry, 0, sizeof *entry);
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
