/*  figures: the operation's results from its reports.  See figures.h and
 *  docs/REPORTS.md.
 *
 *  Sums are uint64 and a removal adds the two's complement of what was
 *  added, so add-then-remove restores every sum exactly (modular
 *  arithmetic), whatever the order of corrections.
 */
#include "jad/figures.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/report.h"
#include "jad/timefmt.h"

#define S_COUNTRIES   (26 * 26)
#define S_HOUR_MS     INT64_C(3600000)

/* Value slots of each enumeration: index = enum value (0 unused). */
#define S_N_DATABASE  (JAD__DATABASE__DATABASE_OTHER + 1)
#define S_N_CHARGE    (JAD__CHARGE__CHARGE_OTHER + 1)
#define S_N_FIREARM   (JAD__FIREARM_TYPE__FIREARM_OTHER + 1)
#define S_N_DRUG      (JAD__DRUG_TYPE__DRUG_OTHER + 1)
#define S_N_PLATFORM  (JAD__PLATFORM__DARK_WEB + 1)

typedef struct {
    char     currency[4];       /* ISO 4217 code */
    uint64_t amount;            /* minor units */
} s_cash_t;

/* The additive figures of one country, or of all. */
typedef struct {
    uint64_t reports;           /* counted reports of the intake kinds */
    uint64_t persons, vehicles, parcels, premises, db_searches;
    uint64_t hits, by_database[S_N_DATABASE];
    uint64_t arrests, by_charge[S_N_CHARGE];
    uint64_t firearms, by_firearm[S_N_FIREARM];
    uint64_t firearm_parts, ammunition, grenades, explosives_grams, other_weapons;
    uint64_t drugs_grams, by_drug[S_N_DRUG];
    s_cash_t *cash;             /* per currency, in order of first sight */
    size_t   n_cash, cap_cash;
    uint64_t seized_vehicles, documents;
    uint64_t illegal_entry, forged_document;
    uint64_t cyber_targets, by_platform[S_N_PLATFORM];
    uint64_t investigations;
} s_sums_t;

/* One deployment report (officers is the latest, not a sum). */
typedef struct {
    uint64_t seq;               /* the report's hub_seq */
    uint64_t via;               /* correction whose replacement this is; 0 */
    int      country;           /* index into countries, -1 when none */
    int64_t  time_ms;           /* its event time */
    uint64_t officers;
    int      active;            /* 0 once superseded or withdrawn */
} s_deploy_t;

/* Reports per hour, for the charts. */
typedef struct {
    uint64_t hits, seizures, arrests;
} s_hour_t;

struct _jad_figures_t {
    int64_t   from_ms, to_ms;   /* the event-time range counted */
    char      only[3];          /* --country, "" for all */
    s_sums_t  total;            /* every counted report */
    s_sums_t *countries[S_COUNTRIES];  /* by country index, NULL until seen */
    int64_t   first_ms, last_ms;/* span of counted reports */
    int       has_time;
    s_deploy_t *deploys;
    size_t    n_deploys, cap_deploys;
    uint64_t *fix_keys;         /* corrections in force: superseded seq ... */
    uint64_t *fix_vals;         /* ... -> the correction's seq (open addressing) */
    size_t    n_fix, cap_fix;
    s_hour_t *hours;
    size_t    n_hours;
    int64_t   hour0;            /* hour index (ms / 3600000) of hours[0] */
    char     *explain;          /* the explained path, NULL when none */
    jad_figures_t *scratch;     /* figures of one report, for explain */
    jad_figures_item_t *items;
    size_t    n_items, cap_items;
    uint64_t  items_total;
};

static int
s_country_index (const char *cc)
{
    if (!jad_report_country_valid (cc))
        return -1;
    return (cc[0] - 'A') * 26 + (cc[1] - 'A');
}

static void
s_country_code (int i, char *cc)
{
    cc[0] = (char) ('A' + i / 26);
    cc[1] = (char) ('A' + i % 26);
    cc[2] = 0;
}

jad_figures_t *
jad_figures_new (void)
{
    jad_figures_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->from_ms = INT64_MIN;
    self->to_ms = INT64_MAX;
    return self;
}

static void
s_sums_clear (s_sums_t *sums)
{
    free (sums->cash);
    memset (sums, 0, sizeof *sums);
}

void
jad_figures_destroy (jad_figures_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    jad_figures_t *self = *self_p;
    s_sums_clear (&self->total);
    for (size_t i = 0; i < S_COUNTRIES; i++)
        if (self->countries[i]) {
            s_sums_clear (self->countries[i]);
            free (self->countries[i]);
        }
    free (self->deploys);
    free (self->fix_keys);
    free (self->fix_vals);
    free (self->hours);
    free (self->explain);
    free (self->items);
    jad_figures_destroy (&self->scratch);
    free (self);
    *self_p = NULL;
}

void
jad_figures_set_range (jad_figures_t *self, int64_t from_ms, int64_t to_ms)
{
    self->from_ms = from_ms;
    self->to_ms = to_ms;
}

int
jad_figures_set_country (jad_figures_t *self, const char *country)
{
    if (!country) {
        self->only[0] = 0;
        return 0;
    }
    if (s_country_index (country) < 0)
        return -1;
    memcpy (self->only, country, 3);
    return 0;
}

void
jad_figures_set_explain (jad_figures_t *self, const char *path)
{
    free (self->explain);
    self->explain = path ? strdup (path) : NULL;
}

/* ------------------------------------------------------------ sums */

/* Q, or its negation for a removal: sums stay exact modulo 2^64. */
#define S_Q(q)  (sign > 0 ? (uint64_t) (q) : (uint64_t) 0 - (uint64_t) (q))

static int
s_cash_add (s_sums_t *sums, const char *currency, uint64_t q)
{
    for (size_t i = 0; i < sums->n_cash; i++)
        if (strcmp (sums->cash[i].currency, currency) == 0) {
            sums->cash[i].amount += q;
            return 0;
        }
    if (sums->n_cash == sums->cap_cash) {
        size_t cap = sums->cap_cash ? sums->cap_cash * 2 : 4;
        s_cash_t *cash = realloc (sums->cash, cap * sizeof *cash);
        if (!cash)
            return -1;
        sums->cash = cash;
        sums->cap_cash = cap;
    }
    s_cash_t *c = &sums->cash[sums->n_cash++];
    snprintf (c->currency, sizeof c->currency, "%.3s", currency);
    c->amount = q;
    return 0;
}

/* Add (SIGN +1) or remove (-1) what report R says to SUMS.  R passed
 * jad_report_validate at the hub; enum values are still range-checked
 * here, since the figures must never index out of bounds. */
static int
s_sums_add (s_sums_t *sums, const Jad__Report *r, int sign)
{
    sums->reports += S_Q (1);
    switch (r->body_case) {
    case JAD__REPORT__BODY_CHECKS: {
        const Jad__Checks *c = r->checks;
        sums->persons += S_Q (c->persons);
        sums->vehicles += S_Q (c->vehicles);
        sums->parcels += S_Q (c->parcels);
        sums->premises += S_Q (c->premises);
        sums->db_searches += S_Q (c->db_searches);
        break;
    }
    case JAD__REPORT__BODY_HIT: {
        uint64_t n = r->hit->has_count ? r->hit->count : 1;
        sums->hits += S_Q (n);
        if (r->hit->database > 0 && r->hit->database < S_N_DATABASE)
            sums->by_database[r->hit->database] += S_Q (n);
        break;
    }
    case JAD__REPORT__BODY_ARREST: {
        uint64_t n = r->arrest->has_count ? r->arrest->count : 1;
        sums->arrests += S_Q (n);
        if (r->arrest->charge > 0 && r->arrest->charge < S_N_CHARGE)
            sums->by_charge[r->arrest->charge] += S_Q (n);
        break;
    }
    case JAD__REPORT__BODY_SEIZURE: {
        const Jad__Seizure *s = r->seizure;
        uint64_t n = s->has_count ? s->count : 1;
        switch (s->item) {
        case JAD__ITEM__FIREARM:
            sums->firearms += S_Q (n);
            if (s->has_firearm_type && s->firearm_type > 0
            &&  s->firearm_type < S_N_FIREARM)
                sums->by_firearm[s->firearm_type] += S_Q (n);
            break;
        case JAD__ITEM__FIREARM_PART: sums->firearm_parts += S_Q (n); break;
        case JAD__ITEM__AMMUNITION:   sums->ammunition += S_Q (n); break;
        case JAD__ITEM__GRENADE:      sums->grenades += S_Q (n); break;
        case JAD__ITEM__EXPLOSIVE:    sums->explosives_grams += S_Q (s->grams); break;
        case JAD__ITEM__OTHER_WEAPON: sums->other_weapons += S_Q (n); break;
        case JAD__ITEM__DRUG:
            sums->drugs_grams += S_Q (s->grams);
            if (s->has_drug_type && s->drug_type > 0 && s->drug_type < S_N_DRUG)
                sums->by_drug[s->drug_type] += S_Q (s->grams);
            break;
        case JAD__ITEM__CASH:
            if (s->currency && s->has_amount
            &&  s_cash_add (sums, s->currency, S_Q (s->amount)) != 0)
                return -1;
            break;
        case JAD__ITEM__VEHICLE:      sums->seized_vehicles += S_Q (n); break;
        case JAD__ITEM__DOCUMENT:     sums->documents += S_Q (n); break;
        default: break;
        }
        break;
    }
    case JAD__REPORT__BODY_DETECTION: {
        uint64_t n = r->detection->has_count ? r->detection->count : 1;
        if (r->detection->kind == JAD__DETECTION_KIND__ILLEGAL_ENTRY)
            sums->illegal_entry += S_Q (n);
        else
        if (r->detection->kind == JAD__DETECTION_KIND__FORGED_DOCUMENT)
            sums->forged_document += S_Q (n);
        break;
    }
    case JAD__REPORT__BODY_CYBER_TARGET: {
        uint64_t n = r->cyber_target->has_count ? r->cyber_target->count : 1;
        sums->cyber_targets += S_Q (n);
        if (r->cyber_target->platform > 0 && r->cyber_target->platform < S_N_PLATFORM)
            sums->by_platform[r->cyber_target->platform] += S_Q (n);
        break;
    }
    case JAD__REPORT__BODY_INVESTIGATION:
        sums->investigations += S_Q (r->investigation->has_count
                                     ? r->investigation->count : 1);
        break;
    default:    /* deployment (not a sum), sitrep (counts as a report) */
        break;
    }
    return 0;
}

/* ------------------------------------------------------------ hours */

static int
s_hours_add (jad_figures_t *self, int64_t time_ms, const Jad__Report *r, int sign)
{
    uint64_t hits = 0, seizures = 0, arrests = 0;
    if (r->body_case == JAD__REPORT__BODY_HIT)
        hits = r->hit->has_count ? r->hit->count : 1;
    else
    if (r->body_case == JAD__REPORT__BODY_SEIZURE)
        seizures = 1;
    else
    if (r->body_case == JAD__REPORT__BODY_ARREST)
        arrests = r->arrest->has_count ? r->arrest->count : 1;
    else
        return 0;
    int64_t h = time_ms >= 0 ? time_ms / S_HOUR_MS : (time_ms + 1) / S_HOUR_MS - 1;
    if (self->n_hours == 0) {
        self->hours = calloc (1, sizeof *self->hours);
        if (!self->hours)
            return -1;
        self->n_hours = 1;
        self->hour0 = h;
    }
    if (h < self->hour0) {
        /* An earlier hour: grow at the front, within the charted span. */
        int64_t end = self->hour0 + (int64_t) self->n_hours;
        if (end - h > JAD_FIGURES_HOURS_MAX)
            return 0;
        size_t shift = (size_t) (self->hour0 - h);
        s_hour_t *hours = realloc (self->hours, (self->n_hours + shift) * sizeof *hours);
        if (!hours)
            return -1;
        memmove (hours + shift, hours, self->n_hours * sizeof *hours);
        memset (hours, 0, shift * sizeof *hours);
        self->hours = hours;
        self->n_hours += shift;
        self->hour0 = h;
    }
    if (h - self->hour0 >= (int64_t) self->n_hours) {
        if (h - self->hour0 >= JAD_FIGURES_HOURS_MAX)
            return 0;
        size_t n = (size_t) (h - self->hour0) + 1;
        s_hour_t *hours = realloc (self->hours, n * sizeof *hours);
        if (!hours)
            return -1;
        memset (hours + self->n_hours, 0, (n - self->n_hours) * sizeof *hours);
        self->hours = hours;
        self->n_hours = n;
    }
    s_hour_t *slot = &self->hours[h - self->hour0];
    slot->hits += S_Q (hits);
    slot->seizures += S_Q (seizures);
    slot->arrests += S_Q (arrests);
    return 0;
}

size_t
jad_figures_hours (const jad_figures_t *self)
{
    return self->n_hours;
}

int64_t
jad_figures_hour0_ms (const jad_figures_t *self)
{
    return self->hour0 * S_HOUR_MS;
}

void
jad_figures_hour (const jad_figures_t *self, size_t i, uint64_t *hits,
                  uint64_t *seizures, uint64_t *arrests)
{
    const s_hour_t *h = &self->hours[i];
    *hits = h->hits;
    *seizures = h->seizures;
    *arrests = h->arrests;
}

/* ------------------------------------------------------------ explain */

/* The value at dot-separated PATH in V; NULL when a key is missing. */
static const json_t *
s_resolve (const json_t *v, const char *path)
{
    char key[128];
    while (v && *path) {
        const char *dot = strchr (path, '.');
        size_t len = dot ? (size_t) (dot - path) : strlen (path);
        if (len >= sizeof key)
            return NULL;
        memcpy (key, path, len);
        key[len] = 0;
        v = json_is_object (v) ? json_object_get (v, key) : NULL;
        path += len + (dot ? 1 : 0);
    }
    return v;
}

static int
s_is_officers (const char *path)
{
    if (strcmp (path, "officers") == 0)
        return 1;
    return strncmp (path, "by_country.", 11) == 0 && strlen (path) == 22
        && strcmp (path + 13, ".officers") == 0;
}

static int s_count (jad_figures_t *self, uint64_t seq, uint64_t via,
                    const char *country, int64_t time_ms,
                    const Jad__Report *r, int sign);

/* What report R adds to the explained figure: render the figures of R alone. */
static int
s_explain_add (jad_figures_t *self, uint64_t seq, uint64_t via,
               const char *country, int64_t time_ms, const Jad__Report *r,
               int sign)
{
    if (sign < 0) {
        for (size_t i = self->n_items; i-- > 0;)
            if (self->items[i].seq == seq) {
                memmove (&self->items[i], &self->items[i + 1],
                         (self->n_items - i - 1) * sizeof *self->items);
                self->n_items--;
                break;
            }
        return 0;
    }
    if (s_is_officers (self->explain))
        return 0;   /* settled from the deployments at the end */
    if (!self->scratch && !(self->scratch = jad_figures_new ()))
        return -1;
    jad_figures_t *one = self->scratch;
    s_sums_clear (&one->total);
    for (size_t i = 0; i < S_COUNTRIES; i++)
        if (one->countries[i])
            s_sums_clear (one->countries[i]);
    one->n_deploys = 0;
    if (s_count (one, seq, via, country, time_ms, r, 1) != 0)
        return -1;
    json_t *fig = jad_figures_json (one, "");
    if (!fig)
        return -1;
    const json_t *v = s_resolve (fig, self->explain);
    uint64_t value = json_is_integer (v) ? (uint64_t) json_integer_value (v) : 0;
    json_decref (fig);
    if (value == 0)
        return 0;
    if (self->n_items == self->cap_items) {
        size_t cap = self->cap_items ? self->cap_items * 2 : 64;
        jad_figures_item_t *items = realloc (self->items, cap * sizeof *items);
        if (!items)
            return -1;
        self->items = items;
        self->cap_items = cap;
    }
    jad_figures_item_t *it = &self->items[self->n_items++];
    it->seq = seq;
    it->via = via;
    snprintf (it->country, sizeof it->country, "%s", country);
    it->time_ms = time_ms;
    it->value = value;
    return 0;
}

/* ------------------------------------------------------------ counting */

static int
s_is_intake (const Jad__Report *r)
{
    return r->body_case >= JAD__REPORT__BODY_CHECKS
        && r->body_case <= JAD__REPORT__BODY_SITREP;
}

/* Add (SIGN 1) or remove (-1) report R as entry SEQ (counted through
 * correction VIA, or 0) of COUNTRY at TIME_MS: one place for every figure,
 * so a removal undoes exactly what the add did. */
static int
s_count (jad_figures_t *self, uint64_t seq, uint64_t via,
         const char *country, int64_t time_ms, const Jad__Report *r, int sign)
{
    if (time_ms < self->from_ms || time_ms > self->to_ms)
        return 0;
    int ci = s_country_index (country);
    if (ci >= 0 && !self->countries[ci]
    &&  !(self->countries[ci] = calloc (1, sizeof (s_sums_t))))
        return -1;
    if (s_sums_add (&self->total, r, sign) != 0
    ||  (ci >= 0 && s_sums_add (self->countries[ci], r, sign) != 0))
        return -1;
    if (sign > 0) {
        if (!self->has_time || time_ms < self->first_ms)
            self->first_ms = time_ms;
        if (!self->has_time || time_ms > self->last_ms)
            self->last_ms = time_ms;
        self->has_time = 1;
    }
    if (r->body_case == JAD__REPORT__BODY_DEPLOYMENT) {
        if (sign < 0) {
            for (size_t i = 0; i < self->n_deploys; i++)
                if (self->deploys[i].seq == seq && self->deploys[i].active)
                    self->deploys[i].active = 0;
        }
        else {
            if (self->n_deploys == self->cap_deploys) {
                size_t cap = self->cap_deploys ? self->cap_deploys * 2 : 64;
                s_deploy_t *d = realloc (self->deploys, cap * sizeof *d);
                if (!d)
                    return -1;
                self->deploys = d;
                self->cap_deploys = cap;
            }
            self->deploys[self->n_deploys++] = (s_deploy_t) {
                .seq = seq, .via = via, .country = ci, .time_ms = time_ms,
                .officers = r->deployment->officers, .active = 1 };
        }
    }
    if (s_hours_add (self, time_ms, r, sign) != 0)
        return -1;
    if (self->explain && s_explain_add (self, seq, via, country, time_ms, r, sign) != 0)
        return -1;
    return 0;
}

/* The correction in force for SEQ (its hub_seq), 0 when none. */
static uint64_t
s_fix_get (const jad_figures_t *self, uint64_t seq)
{
    if (!self->cap_fix)
        return 0;
    size_t mask = self->cap_fix - 1;
    for (size_t i = (size_t) (seq * UINT64_C(0x9E3779B97F4A7C15)) & mask;;
         i = (i + 1) & mask) {
        if (self->fix_keys[i] == 0)
            return 0;
        if (self->fix_keys[i] == seq)
            return self->fix_vals[i];
    }
}

static int
s_fix_put (jad_figures_t *self, uint64_t seq, uint64_t via)
{
    if ((self->n_fix + 1) * 2 > self->cap_fix) {
        size_t cap = self->cap_fix ? self->cap_fix * 2 : 64;
        uint64_t *keys = calloc (cap, sizeof *keys), *vals = calloc (cap, sizeof *vals);
        if (!keys || !vals) {
            free (keys);
            free (vals);
            return -1;
        }
        uint64_t *old_k = self->fix_keys, *old_v = self->fix_vals;
        size_t old_cap = self->cap_fix;
        self->fix_keys = keys;
        self->fix_vals = vals;
        self->cap_fix = cap;
        self->n_fix = 0;
        for (size_t i = 0; i < old_cap; i++)
            if (old_k[i])
                s_fix_put (self, old_k[i], old_v[i]);
        free (old_k);
        free (old_v);
    }
    size_t mask = self->cap_fix - 1;
    for (size_t i = (size_t) (seq * UINT64_C(0x9E3779B97F4A7C15)) & mask;;
         i = (i + 1) & mask) {
        if (self->fix_keys[i] == seq) {
            self->fix_vals[i] = via;
            return 0;
        }
        if (self->fix_keys[i] == 0) {
            self->fix_keys[i] = seq;
            self->fix_vals[i] = via;
            self->n_fix++;
            return 0;
        }
    }
}

/* Apply correction entry SEQ (COUNTRY's) to the entry it supersedes. */
static int
s_correct (jad_figures_t *self, uint64_t seq, const char *country,
           const Jad__Correction *c, jad_figures_fetch_fn *fetch, void *arg)
{
    int rc = -1;
    uint64_t target = c->supersedes;
    if (target == 0 || target >= seq || !fetch)
        return 0;
    jad_figures_src_t src = { 0 };
    int found = fetch (arg, target, &src);
    if (found < 0)
        goto out;
    if (found == 0 || !src.report || !s_is_intake (src.report)
    ||  strcmp (src.country, country) != 0) {
        rc = 0;     /* not a report of this country: nothing to correct */
        goto out;
    }
    char t_country[3];
    memcpy (t_country, src.country, 3);
    int64_t t_time = src.time_ms;
    uint64_t prev = s_fix_get (self, target);
    if (!prev) {
        if (s_count (self, target, 0, t_country, t_time, src.report, -1) != 0)
            goto out;
    }
    else {
        fetch (arg, 0, NULL);
        memset (&src, 0, sizeof src);
        found = fetch (arg, prev, &src);
        if (found < 0)
            goto out;
        const Jad__Report *old = found && src.report
            && src.report->body_case == JAD__REPORT__BODY_CORRECTION
            ? src.report->correction->replacement : NULL;
        if (old && s_count (self, target, prev, t_country, t_time, old, -1) != 0)
            goto out;
    }
    if (c->replacement && s_is_intake (c->replacement)
    &&  s_count (self, target, seq, t_country, t_time, c->replacement, 1) != 0)
        goto out;
    if (s_fix_put (self, target, seq) != 0)
        goto out;
    rc = 0;
out:
    fetch (arg, 0, NULL);
    return rc;
}

int
jad_figures_entry (jad_figures_t *self, uint64_t seq, const char *country,
                   int64_t time_ms, const Jad__Report *r,
                   jad_figures_fetch_fn *fetch, void *arg)
{
    if (!country)
        country = "";
    if (self->only[0] && strcmp (country, self->only) != 0)
        return 0;
    if (r->body_case == JAD__REPORT__BODY_CORRECTION)
        return s_correct (self, seq, country, r->correction, fetch, arg);
    if (!s_is_intake (r))
        return 0;
    return s_count (self, seq, 0, country, time_ms, r, 1);
}

/* ------------------------------------------------------------ output */

static json_t *
s_int (uint64_t v)
{
    return json_integer (v > (uint64_t) LLONG_MAX ? LLONG_MAX : (json_int_t) v);
}

/* {name: value} of the non-zero slots of an enumeration's counters. */
static json_t *
s_map (jad_report_enum_t e, const uint64_t *v, size_t n)
{
    json_t *map = json_object ();
    for (size_t i = 1; map && i < n; i++)
        if (v[i]) {
            const char *name = jad_report_enum_name (e, (int) i);
            if (name)
                json_object_set_new (map, name, s_int (v[i]));
        }
    return map;
}

/* The keys "officers" .. "investigations" of SUMS. */
static json_t *
s_sums_json (const s_sums_t *s, uint64_t officers)
{
    json_t *cash = json_object ();
    for (size_t i = 0; cash && i < s->n_cash; i++)
        if (s->cash[i].amount)
            json_object_set_new (cash, s->cash[i].currency, s_int (s->cash[i].amount));
    return json_pack (
        "{s:o, s:{s:o,s:o,s:o,s:o,s:o,s:o}, s:{s:o,s:o}, s:{s:o,s:o},"
        " s:{s:{s:o,s:o}, s:o,s:o,s:o,s:o,s:o, s:{s:o,s:o}, s:o,s:o,s:o},"
        " s:{s:o,s:o}, s:{s:o,s:o}, s:o}",
        "officers", s_int (officers),
        "checks",
          "persons", s_int (s->persons), "vehicles", s_int (s->vehicles),
          "parcels", s_int (s->parcels), "premises", s_int (s->premises),
          "entities", s_int (s->persons + s->vehicles + s->parcels + s->premises),
          "db_searches", s_int (s->db_searches),
        "hits", "total", s_int (s->hits),
          "by_database", s_map (JAD_REPORT_ENUM_DATABASE, s->by_database, S_N_DATABASE),
        "arrests", "total", s_int (s->arrests),
          "by_charge", s_map (JAD_REPORT_ENUM_CHARGE, s->by_charge, S_N_CHARGE),
        "seizures",
          "firearms", "total", s_int (s->firearms),
            "by_type", s_map (JAD_REPORT_ENUM_FIREARM_TYPE, s->by_firearm, S_N_FIREARM),
          "firearm_parts", s_int (s->firearm_parts),
          "ammunition", s_int (s->ammunition),
          "grenades", s_int (s->grenades),
          "explosives_grams", s_int (s->explosives_grams),
          "other_weapons", s_int (s->other_weapons),
          "drugs_grams", "total", s_int (s->drugs_grams),
            "by_type", s_map (JAD_REPORT_ENUM_DRUG_TYPE, s->by_drug, S_N_DRUG),
          "cash", cash,
          "vehicles", s_int (s->seized_vehicles),
          "documents", s_int (s->documents),
        "detections", "illegal_entry", s_int (s->illegal_entry),
          "forged_document", s_int (s->forged_document),
        "cyber_targets", "total", s_int (s->cyber_targets),
          "by_platform", s_map (JAD_REPORT_ENUM_PLATFORM, s->by_platform, S_N_PLATFORM),
        "investigations", s_int (s->investigations));
}

/* The deployment in force for country CI: latest by event time, ties by
 * hub_seq; NULL when none. */
static const s_deploy_t *
s_latest (const jad_figures_t *self, int ci)
{
    const s_deploy_t *best = NULL;
    for (size_t i = 0; i < self->n_deploys; i++) {
        const s_deploy_t *d = &self->deploys[i];
        if (!d->active || d->country != ci)
            continue;
        if (!best || d->time_ms > best->time_ms
        ||  (d->time_ms == best->time_ms && d->seq > best->seq))
            best = d;
    }
    return best;
}

json_t *
jad_figures_json (jad_figures_t *self, const char *operation)
{
    json_t *root = NULL, *by_country = json_object ();
    uint64_t officers = 0, countries = 0;
    if (!by_country)
        goto fail;
    for (int ci = 0; ci < S_COUNTRIES; ci++) {
        const s_sums_t *s = self->countries[ci];
        if (!s || s->reports == 0)
            continue;
        const s_deploy_t *d = s_latest (self, ci);
        uint64_t n = d ? d->officers : 0;
        json_t *one = s_sums_json (s, n);
        char cc[3];
        s_country_code (ci, cc);
        if (!one || json_object_set_new (by_country, cc, one) != 0)
            goto fail;
        officers += n;
        countries++;
    }
    json_t *sums = s_sums_json (&self->total, officers);
    char first[JAD_TIME_STRLEN], last[JAD_TIME_STRLEN];
    jad_time_format (self->first_ms, first);
    jad_time_format (self->last_ms, last);
    int has = self->has_time && self->total.reports;
    /* Keys in the order of the contract (jansson keeps it). */
    root = json_pack ("{s:s, s:o, s:o, s:o, s:o}",
                      "operation", operation ? operation : "",
                      "first_event", has ? json_string (first) : json_null (),
                      "last_event", has ? json_string (last) : json_null (),
                      "reports", s_int (self->total.reports),
                      "countries", s_int (countries));
    if (!sums || !root || json_object_update (root, sums) != 0
    ||  json_object_set (root, "by_country", by_country) != 0) {
        json_decref (sums);
        goto fail;
    }
    json_decref (sums);
    json_decref (by_country);
    return root;
fail:
    json_decref (root);
    json_decref (by_country);
    return NULL;
}

/* ------------------------------------------------------------ explain out */

static int
s_item_cmp (const void *a, const void *b)
{
    const jad_figures_item_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The enumeration a by_* map at PARENT (the key holding it) and GRAND
 * (the key above) is keyed by; -1 when it is not an enumeration map. */
static int
s_map_enum (const char *parent, const char *grand)
{
    if (strcmp (parent, "by_database") == 0) return JAD_REPORT_ENUM_DATABASE;
    if (strcmp (parent, "by_charge") == 0)   return JAD_REPORT_ENUM_CHARGE;
    if (strcmp (parent, "by_platform") == 0) return JAD_REPORT_ENUM_PLATFORM;
    if (strcmp (parent, "by_type") == 0 && strcmp (grand, "firearms") == 0)
        return JAD_REPORT_ENUM_FIREARM_TYPE;
    if (strcmp (parent, "by_type") == 0 && strcmp (grand, "drugs_grams") == 0)
        return JAD_REPORT_ENUM_DRUG_TYPE;
    return -1;
}

/* PATH names a summable figure of the shape, present or (in a map) not. */
static int
s_path_ok (const json_t *figures, const char *path)
{
    if (strncmp (path, "by_country.", 11) == 0) {
        const char *rest = path + 11;
        if (strlen (rest) < 4 || rest[2] != '.' )
            return 0;
        char cc[3] = { rest[0], rest[1], 0 };
        if (s_country_index (cc) < 0)
            return 0;
        rest += 3;
        if (strncmp (rest, "by_country", 10) == 0 || strcmp (rest, "reports") == 0
        ||  strcmp (rest, "countries") == 0)
            return 0;
        return s_path_ok (figures, rest);
    }
    if (strcmp (path, "countries") == 0)
        return 0;
    const json_t *v = s_resolve (figures, path);
    if (v)
        return json_is_integer (v);
    /* Absent: allowed only as a key of a map, which lists non-zero keys. */
    char buf[256], *parts[8];
    size_t n = 0;
    snprintf (buf, sizeof buf, "%s", path);
    for (char *p = strtok (buf, "."); p && n < 8; p = strtok (NULL, "."))
        parts[n++] = p;
    if (n < 2)
        return 0;
    const char *leaf = parts[n - 1], *parent = parts[n - 2];
    const char *grand = n >= 3 ? parts[n - 3] : "";
    if (strcmp (parent, "cash") == 0)
        return strlen (leaf) == 3 && leaf[0] >= 'A' && leaf[0] <= 'Z';
    int e = s_map_enum (parent, grand);
    return e >= 0 && jad_report_enum_parse ((jad_report_enum_t) e, leaf) > 0;
}

int
jad_figures_explain_finish (jad_figures_t *self, const json_t *figures,
                            char *err, size_t errlen)
{
    if (!self->explain || !s_path_ok (figures, self->explain)) {
        snprintf (err, errlen, "%s: not a figure that entries add up to (try "
                  "e.g. checks.persons, seizures.firearms.by_type.pistol, "
                  "by_country.DE.arrests.total, officers)",
                  self->explain ? self->explain : "(none)");
        return -1;
    }
    if (s_is_officers (self->explain)) {
        int only = -1;
        if (strncmp (self->explain, "by_country.", 11) == 0) {
            char cc[3] = { self->explain[11], self->explain[12], 0 };
            only = s_country_index (cc);
        }
        self->n_items = 0;
        for (int ci = 0; ci < S_COUNTRIES; ci++) {
            const s_deploy_t *d;
            if ((only >= 0 && ci != only) || !self->countries[ci]
            ||  !self->countries[ci]->reports || !(d = s_latest (self, ci)))
                continue;
            if (self->n_items == self->cap_items) {
                size_t cap = self->cap_items ? self->cap_items * 2 : 64;
                jad_figures_item_t *items = realloc (self->items, cap * sizeof *items);
                if (!items) {
                    snprintf (err, errlen, "out of memory");
                    return -1;
                }
                self->items = items;
                self->cap_items = cap;
            }
            jad_figures_item_t *it = &self->items[self->n_items++];
            *it = (jad_figures_item_t) { .seq = d->seq, .via = d->via,
                                         .time_ms = d->time_ms, .value = d->officers };
            s_country_code (ci, it->country);
        }
    }
    if (self->n_items)
        qsort (self->items, self->n_items, sizeof *self->items, s_item_cmp);
    self->items_total = 0;
    for (size_t i = 0; i < self->n_items; i++)
        self->items_total += self->items[i].value;
    return 0;
}

size_t
jad_figures_explain_size (const jad_figures_t *self)
{
    return self->n_items;
}

const jad_figures_item_t *
jad_figures_explain_at (const jad_figures_t *self, size_t i)
{
    return i < self->n_items ? &self->items[i] : NULL;
}

uint64_t
jad_figures_explain_total (const jad_figures_t *self)
{
    return self->items_total;
}

uint64_t
jad_figures_get (const json_t *v, const char *path)
{
    char key[128];
    while (v && *path) {
        const char *dot = strchr (path, '.');
        size_t len = dot ? (size_t) (dot - path) : strlen (path);
        snprintf (key, sizeof key, "%.*s", (int) len, path);
        v = json_object_get (v, key);
        path += len + (dot ? 1 : 0);
    }
    return json_is_integer (v) ? (uint64_t) json_integer_value (v) : 0;
}

const char *
jad_figures_num (uint64_t n, char *buf)
{
    char tmp[32];
    int len = snprintf (tmp, sizeof tmp, "%" PRIu64, n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
    return buf;
}
