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
    uint64_t       untrimmed;   /* entries read since the last trim */
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
    self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    self->journal = jad_journal_find (dir, err, errlen);
    if (!self->journal)
        goto fail;
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

/* Protobuf wire format, the little of it an Entry and an Envelope use:
 * varints (wire type 0), length-delimited fields (2).  A reader of the
 * journal decodes ten million of these; protobuf-c would malloc each
 * message and copy each bytes field, so the two outer layers are walked in
 * place and only the report is unpacked (through lib/wire.c). */
static int
s_varint (const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Next field of BUF: its number, wire type, and its value (a varint in *V,
 * or bytes at *DATA, *DLEN).  1 a field, 0 at the end, -1 malformed or a
 * wire type other than 0 and 2. */
static int
s_field (const uint8_t **p, const uint8_t *end, uint32_t *num, int *type,
         uint64_t *v, const uint8_t **data, size_t *dlen)
{
    uint64_t key;
    if (*p == end)
        return 0;
    if (s_varint (p, end, &key) != 0 || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
        return -1;
    *num = (uint32_t) (key >> 3);
    *type = (int) (key & 7);
    if (*type == 0)
        return s_varint (p, end, v) == 0 ? 1 : -1;
    if (*type != 2 || s_varint (p, end, v) != 0 || *v > (uint64_t) (end - *p))
        return -1;
    *data = *p;
    *dlen = (size_t) *v;
    *p += *dlen;
    return 1;
}

int
jad_entry_peel (const uint8_t *buf, size_t len, jad_entry_peel_t *out,
                char *err, size_t errlen)
{
    const uint8_t *p = buf, *end = buf + len, *data = NULL, *env = NULL;
    const uint8_t *d = NULL;
    size_t dlen = 0, env_len = 0;
    uint32_t num;
    int type, got;
    uint64_t v;
    memset (out, 0, sizeof *out);
    if (len > JAD_FRAME_MAX) {
        snprintf (err, errlen, "entry: %zu bytes, over %d", len, JAD_FRAME_MAX);
        return -1;
    }
    /* Entry: 1 hub_seq, 2 epoch, 3 received_ms (varints); 4 envelope,
     * 5 prev_hash (bytes). */
    while ((got = s_field (&p, end, &num, &type, &v, &d, &dlen)) == 1) {
        int want = num >= 1 && num <= 3 ? 0 : num <= 5 ? 2 : -1;
        if (want != type) {
            snprintf (err, errlen, "entry: field %u: unknown or of the wrong "
                      "wire type", num);
            return -1;
        }
        if (num == 3)
            out->received_ms = (int64_t) v;
        else
        if (num == 4) {
            env = d;
            env_len = dlen;
        }
    }
    if (got < 0) {
        snprintf (err, errlen, "entry: malformed");
        return -1;
    }
    if (!env || env_len > JAD_ENVELOPE_MAX) {
        snprintf (err, errlen, "entry: %s", env ? "envelope too large"
                                                : "no envelope");
        return -1;
    }
    /* Envelope: 1 version, 5 origin_seq, 6 event_time_ms (varints);
     * 2 operation_id, 3 origin, 4 incarnation, 7 report, 8 key_id,
     * 9 signature (bytes). */
    p = env;
    end = env + env_len;
    while ((got = s_field (&p, end, &num, &type, &v, &data, &dlen)) == 1) {
        int want = num == 1 || num == 5 || num == 6 ? 0
                 : num >= 2 && num <= 9 ? 2 : -1;
        if (want != type) {
            snprintf (err, errlen, "envelope: field %u: unknown or of the "
                      "wrong wire type", num);
            return -1;
        }
        switch (num) {
        case 3:
            if (dlen > JAD_JOURNAL_ORIGIN_MAX || memchr (data, 0, dlen)) {
                snprintf (err, errlen, "envelope: origin: not a roster name");
                return -1;
            }
            out->origin = data;
            out->origin_len = dlen;
            break;
        case 5: out->origin_seq = v; break;
        case 6: out->has_event_time = 1; out->event_time_ms = (int64_t) v; break;
        case 7: out->report = data; out->report_len = dlen; break;
        default: break;
        }
    }
    if (got < 0) {
        snprintf (err, errlen, "envelope: malformed");
        return -1;
    }
    if (!out->report || out->report_len > JAD_REPORT_MAX) {
        snprintf (err, errlen, "envelope: %s", out->report ? "report too large"
                                                         : "no report");
        return -1;
    }
    return 0;
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
    out->event_time_ms = peel.event_time_ms;
    memcpy (out->origin, peel.origin, peel.origin_len);
    out->origin[peel.origin_len] = 0;
    out->origin_seq = peel.origin_seq;
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
