/*  console_model: the console's picture of the operation.  See
 *  console_model.h for the contract.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/entry.h"
#include "jad/figures.h"
#include "jad/history.h"
#include "jad/report.h"
#include "jad/report_json.h"
#include "jad/roster.h"
#include "jad/wire.h"
#include "console_model.h"

#define S_AGENTS_MAX  1024      /* agents whose health is tracked */

/* Where entry N's report bytes are kept, for lib/figures' FETCH. */
typedef struct {
    uint64_t off;               /* in self->arena */
    uint32_t len;               /* 0: the entry did not decode */
    char     cc[3];
    int64_t  time_ms;
} s_rec_t;

/* A country's counters that lib/figures does not keep. */
typedef struct {
    char     cc[3];
    uint64_t seizures;          /* seizure reports */
    uint64_t reports;
    int64_t  last_report_ms;
} s_country_t;

/* One agent's health, as last relayed. */
typedef struct {
    char     name[65];
    char     cc[3];
    int      connected;
    int64_t  last_seen_ms;
    uint64_t outbox_depth;
    uint64_t mirror_seq;
    int64_t  time_ms;
} s_agent_t;

struct _jad_model_t {
    jad_figures_t *figures;     /* the totals, as jad-report counts them */
    jad_history_t *history;     /* the recorded rosters: the operation, and
                                   who is whose */
    uint64_t       head;        /* last entry applied */
    uint64_t       bad;         /* entries that did not decode */
    int64_t        latest_ms;   /* newest event time */
    s_rec_t       *recs;        /* recs[seq - 1] */
    size_t         recs_cap;
    uint8_t       *arena;       /* report bytes of every entry */
    size_t         arena_len, arena_cap;
    Jad__Report   *fetched;     /* handed to lib/figures by s_fetch */
    s_country_t    countries[JAD_MODEL_COUNTRIES_MAX];
    size_t         n_countries;
    short          country_ix[26 * 26];  /* code -> index + 1; 0 none */
    s_agent_t      agents[S_AGENTS_MAX];
    size_t         n_agents;
    jad_model_note_t notes[JAD_MODEL_NOTES_MAX];  /* a ring */
    size_t         notes_start, n_notes;
};

jad_model_t *
jad_model_new (void)
{
    jad_model_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->figures = jad_figures_new ();
    self->history = jad_history_new ();
    if (!self->figures || !self->history)
        jad_model_destroy (&self);
    return self;
}

void
jad_model_destroy (jad_model_t **self_p)
{
    jad_model_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    jad_figures_destroy (&self->figures);
    jad_history_destroy (&self->history);
    for (size_t i = 0; i < self->n_notes; i++)
        free (self->notes[(self->notes_start + i) % JAD_MODEL_NOTES_MAX].json);
    jad_wire_free (&self->fetched);
    free (self->recs);
    free (self->arena);
    free (self);
    *self_p = NULL;
}

/* The country's slot for CC (two upper-case letters), made on first use;
 * NULL for anything else. */
static s_country_t *
s_country (jad_model_t *self, const char *cc)
{
    if (!jad_report_country_valid (cc))
        return NULL;
    int code = (cc[0] - 'A') * 26 + (cc[1] - 'A');
    if (!self->country_ix[code]) {
        s_country_t *c = &self->countries[self->n_countries++];
        memcpy (c->cc, cc, 3);
        self->country_ix[code] = (short) self->n_countries;
    }
    return &self->countries[self->country_ix[code] - 1];
}

int
jad_model_roster (jad_model_t *self, const uint8_t *buf, size_t len,
                  char *err, size_t errlen)
{
    /* Not verified here: the live console trusts the hub it reaches over
     * CURVE, and a replay the journal it reads (jad-verify checks both).
     * A catch-up and the feed may both bring the same record: the history
     * replaces it. */
    if (jad_history_add_record (self->history, buf, len, 0, 0, NULL,
                                err, errlen) != 0)
        return -1;
    const jad_roster_t *last = jad_history_last (self->history);
    for (size_t i = 0; i < jad_roster_size (last); i++) {
        const jad_participant_t *p = jad_roster_at (last, i);
        if (p->role == JAD_ROLE_AGENT)
            s_country (self, p->country);
    }
    return 0;
}

/* lib/figures asks for entry SEQ again (a correction supersedes it); SEQ 0
 * releases the last one. */
static int
s_fetch (void *arg, uint64_t seq, jad_figures_src_t *src)
{
    jad_model_t *self = arg;
    jad_wire_free (&self->fetched);
    if (seq == 0 || seq > self->head)
        return 0;
    const s_rec_t *rec = &self->recs[seq - 1];
    if (rec->len == 0)
        return 0;
    char err[160];
    self->fetched = jad_wire_report_decode (self->arena + rec->off, rec->len,
                                            err, sizeof err);
    if (!self->fetched)
        return 0;
    src->seq = seq;
    memcpy (src->country, rec->cc, 3);
    src->time_ms = rec->time_ms;
    src->report = self->fetched;
    return 1;
}

static int
s_keep (jad_model_t *self, uint64_t seq, const uint8_t *report, size_t len,
        const char *cc, int64_t time_ms)
{
    if (seq > self->recs_cap) {
        size_t cap = self->recs_cap ? self->recs_cap * 2 : 4096;
        while (cap < seq)
            cap *= 2;
        s_rec_t *recs = realloc (self->recs, cap * sizeof *recs);
        if (!recs)
            return -1;
        memset (recs + self->recs_cap, 0, (cap - self->recs_cap) * sizeof *recs);
        self->recs = recs;
        self->recs_cap = cap;
    }
    if (self->arena_len + len > self->arena_cap) {
        size_t cap = self->arena_cap ? self->arena_cap * 2 : 1 << 20;
        while (cap < self->arena_len + len)
            cap *= 2;
        uint8_t *arena = realloc (self->arena, cap);
        if (!arena)
            return -1;
        self->arena = arena;
        self->arena_cap = cap;
    }
    memcpy (self->arena + self->arena_len, report, len);
    s_rec_t *rec = &self->recs[seq - 1];
    rec->off = self->arena_len;
    rec->len = (uint32_t) len;
    memcpy (rec->cc, cc, 3);
    rec->time_ms = time_ms;
    self->arena_len += len;
    return 0;
}

static int
s_notable (const char *kind)
{
    static const char *kinds[] = { "hit", "seizure", "arrest", "sitrep",
                                   "request", "request_ack", "correction", NULL };
    for (size_t i = 0; kinds[i]; i++)
        if (strcmp (kind, kinds[i]) == 0)
            return 1;
    return 0;
}

/* One line from a report's JSON: "key=value" for the kind's fields. */
static void
s_summary (const json_t *obj, char *out, size_t outlen)
{
    static const char *skip[] = { "type", "country", "time", "lat", "lon",
                                  "handling", NULL };
    size_t o = 0;
    out[0] = 0;
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *) obj, key, v) {
        int skipped = 0;
        for (size_t i = 0; skip[i]; i++)
            skipped |= strcmp (key, skip[i]) == 0;
        if (skipped || o + 2 >= outlen)
            continue;
        char *text = json_is_string (v) ? NULL
                   : json_dumps (v, JSON_COMPACT | JSON_ENCODE_ANY);
        int n = snprintf (out + o, outlen - o, "%s%s=%s", o ? " " : "", key,
                          text ? text : json_string_value (v));
        free (text);
        if (n < 0)
            break;
        o += (size_t) n < outlen - o ? (size_t) n : outlen - o - 1;
    }
    /* Control characters from a report stay off the screen. */
    for (char *p = out; *p; p++)
        if ((unsigned char) *p < 0x20 || *p == 0x7f)
            *p = ' ';
}

static jad_model_note_t *
s_note_find (jad_model_t *self, uint64_t seq)
{
    size_t lo = 0, hi = self->n_notes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        jad_model_note_t *n = &self->notes[(self->notes_start + mid) % JAD_MODEL_NOTES_MAX];
        if (n->seq == seq)
            return n;
        if (n->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void
s_note (jad_model_t *self, uint64_t seq, const jad_entry_peel_t *peel,
        const char *origin, const char *cc, int64_t time_ms,
        const Jad__Report *r, const char *kind)
{
    char *text = jad_report_json_format (r, 1, time_ms);
    json_t *obj = text ? json_loads (text, 0, NULL) : NULL;
    jad_model_note_t *n;
    if (self->n_notes == JAD_MODEL_NOTES_MAX) {
        n = &self->notes[self->notes_start];
        free (n->json);
        self->notes_start = (self->notes_start + 1) % JAD_MODEL_NOTES_MAX;
        self->n_notes--;
    }
    n = &self->notes[(self->notes_start + self->n_notes++) % JAD_MODEL_NOTES_MAX];
    memset (n, 0, sizeof *n);
    n->seq = seq;
    n->time_ms = time_ms;
    n->received_ms = peel->received_ms;
    memcpy (n->country, cc, 3);
    snprintf (n->origin, sizeof n->origin, "%.64s", origin);
    snprintf (n->kind, sizeof n->kind, "%s", kind);
    n->json = text;
    if (obj)
        s_summary (obj, n->summary, sizeof n->summary);
    /* An acknowledgement counts on its request. */
    json_t *rs = obj ? json_object_get (obj, "request_seq") : NULL;
    if (strcmp (kind, "request_ack") == 0 && json_is_integer (rs)) {
        jad_model_note_t *req = s_note_find (self, (uint64_t) json_integer_value (rs));
        if (req && strcmp (req->kind, "request") == 0) {
            req->acks++;
            size_t l = strlen (req->acked_by);
            if (l + 4 < sizeof req->acked_by)
                snprintf (req->acked_by + l, sizeof req->acked_by - l, "%s%s",
                          l ? " " : "", *cc ? cc : "?");
        }
    }
    json_decref (obj);
}

int
jad_model_entry (jad_model_t *self, uint64_t seq, const uint8_t *buf, size_t len)
{
    if (seq != self->head + 1)
        return 0;               /* the caller's ordering is wrong: ignore */
    self->head = seq;
    char err[224];
    jad_entry_peel_t peel;
    Jad__Report *r = NULL;
    if (jad_entry_peel (buf, len, &peel, err, sizeof err) != 0
    ||  !(r = jad_wire_report_decode (peel.report, peel.report_len, err, sizeof err))) {
        self->bad++;
        return 0;
    }
    char origin[JAD_JOURNAL_ORIGIN_MAX + 1], cc[3] = "";
    int64_t time_ms = jad_entry_resolve (&peel, r, self->history, seq, origin, cc);
    if (time_ms > self->latest_ms)
        self->latest_ms = time_ms;
    int rc = 0;
    if (s_keep (self, seq, peel.report, peel.report_len, cc, time_ms) != 0
    ||  jad_figures_entry (self->figures, seq, cc, time_ms, r, s_fetch, self) != 0)
        rc = -1;
    const char *kind = jad_report_type_name (r);
    s_country_t *c = s_country (self, cc);
    if (c) {
        c->reports++;
        if (r->body_case == JAD__REPORT__BODY_SEIZURE)
            c->seizures++;
        if (peel.received_ms > c->last_report_ms)
            c->last_report_ms = peel.received_ms;
    }
    if (kind && s_notable (kind))
        s_note (self, seq, &peel, origin, cc, time_ms, r, kind);
    jad_wire_free (&r);
    return rc;
}

void
jad_model_health (jad_model_t *self, const char *name, const char *country,
                  int connected, int64_t last_seen_ms, uint64_t outbox_depth,
                  uint64_t mirror_seq, int64_t time_ms)
{
    if (!name || !country || !s_country (self, country))
        return;
    s_agent_t *a = NULL;
    for (size_t i = 0; i < self->n_agents && !a; i++)
        if (strcmp (self->agents[i].name, name) == 0)
            a = &self->agents[i];
    if (!a) {
        if (self->n_agents == S_AGENTS_MAX)
            return;
        a = &self->agents[self->n_agents++];
        snprintf (a->name, sizeof a->name, "%s", name);
    }
    snprintf (a->cc, sizeof a->cc, "%s", country);
    a->connected = connected;
    a->last_seen_ms = last_seen_ms;
    a->outbox_depth = outbox_depth;
    a->mirror_seq = mirror_seq;
    a->time_ms = time_ms;
}

uint64_t jad_model_head (const jad_model_t *self) { return self->head; }
uint64_t jad_model_bad (const jad_model_t *self) { return self->bad; }
int64_t jad_model_latest_ms (const jad_model_t *self) { return self->latest_ms; }
/* The operation is the last recorded roster's (a roster edited during the
 * operation may rename it or move its end). */
const char *
jad_model_operation (const jad_model_t *self)
{
    const jad_roster_t *last = jad_history_last (self->history);
    return last ? jad_roster_operation (last) : "";
}

int64_t
jad_model_start_ms (const jad_model_t *self)
{
    const jad_roster_t *last = jad_history_last (self->history);
    return last ? jad_roster_start_ms (last) : 0;
}

int64_t
jad_model_end_ms (const jad_model_t *self)
{
    const jad_roster_t *last = jad_history_last (self->history);
    return last ? jad_roster_end_ms (last) : 0;
}

const uint8_t *
jad_model_operation_id (const jad_model_t *self)
{
    const jad_roster_t *last = jad_history_last (self->history);
    return last ? jad_roster_id (last) : NULL;
}

json_t *
jad_model_figures (jad_model_t *self)
{
    return jad_figures_json (self->figures, jad_model_operation (self));
}

size_t
jad_model_countries (jad_model_t *self, const json_t *figures,
                     jad_model_country_t *out, size_t max)
{
    const json_t *by = json_object_get (figures, "by_country");
    size_t n = 0;
    for (size_t i = 0; i < self->n_countries && n < max; i++) {
        const s_country_t *c = &self->countries[i];
        jad_model_country_t *o = &out[n++];
        memset (o, 0, sizeof *o);
        memcpy (o->cc, c->cc, 3);
        const json_t *f = json_object_get (by, c->cc);
        o->officers = jad_figures_get (f, "officers");
        o->checks = jad_figures_get (f, "checks.entities");
        o->hits = jad_figures_get (f, "hits.total");
        o->arrests = jad_figures_get (f, "arrests.total");
        o->seizures = c->seizures;
        o->reports = c->reports;
        o->last_report_ms = c->last_report_ms;
        o->silent_ms = -1;
        for (size_t j = 0; j < self->n_agents; j++) {
            const s_agent_t *a = &self->agents[j];
            if (strcmp (a->cc, c->cc) != 0)
                continue;
            o->has_health = 1;
            o->connected |= a->connected;
            if (a->last_seen_ms > o->last_seen_ms)
                o->last_seen_ms = a->last_seen_ms;
            if (a->time_ms > o->health_time_ms)
                o->health_time_ms = a->time_ms;
            o->outbox_depth += a->outbox_depth;
            uint64_t lag = self->head > a->mirror_seq ? self->head - a->mirror_seq : 0;
            if (lag > o->mirror_lag)
                o->mirror_lag = lag;
        }
        if (o->has_health)
            o->silent_ms = o->last_seen_ms
                         ? (o->health_time_ms > o->last_seen_ms
                            ? o->health_time_ms - o->last_seen_ms : 0)
                         : INT64_MAX;
    }
    return n;
}

size_t
jad_model_notes (const jad_model_t *self)
{
    return self->n_notes;
}

const jad_model_note_t *
jad_model_note (const jad_model_t *self, size_t i)
{
    if (i >= self->n_notes)
        return NULL;
    return &self->notes[(self->notes_start + i) % JAD_MODEL_NOTES_MAX];
}
