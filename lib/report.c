/*  report: the meaning of a Report, wherever it came from.
 *
 *  The JSON reader checks syntax and spelling; everything that can also go
 *  wrong in a Report decoded from protobuf bytes (a missing field, a field
 *  the item does not take, an enum value out of range, a bad country) is
 *  checked here, once, so the agent and the hub reject the same reports with
 *  the same words.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jad/report.h"

/* ---------------------------------------------------------------- names */

/* One enumeration: names[v - first] is the JSON name of value v. */
typedef struct {
    int first;                  /* value of names[0] */
    size_t count;               /* entries in names */
    const char *const *names;   /* JSON spellings, in value order */
} s_enum_t;

static const char *const s_type_names[] = {
    "checks", "hit", "seizure", "arrest", "detection", "cyber_target",
    "investigation", "deployment", "sitrep", "correction", "request",
    "request_ack"
};
static const char *const s_handling_names[] = { "H0", "H1", "H2", "H3" };
static const char *const s_database_names[] = {
    "wanted_persons", "sltd", "stolen_vehicles", "iarms", "sis", "national",
    "other"
};
static const char *const s_item_names[] = {
    "firearm", "firearm_part", "ammunition", "grenade", "explosive",
    "other_weapon", "drug", "cash", "vehicle", "document"
};
static const char *const s_firearm_names[] = {
    "pistol", "revolver", "rifle", "shotgun", "automatic_rifle",
    "machine_gun", "rocket_launcher", "converted_blank", "other"
};
static const char *const s_drug_names[] = {
    "cocaine", "heroin", "cannabis", "marijuana", "synthetic", "poppy_seed",
    "other"
};
static const char *const s_charge_names[] = {
    "firearms", "drug_trafficking", "firearms_and_drugs",
    "migrant_smuggling", "document_fraud", "arrest_warrant", "terrorism",
    "other"
};
static const char *const s_detection_names[] = {
    "illegal_entry", "forged_document"
};
static const char *const s_platform_names[] = {
    "messaging_app", "marketplace", "social_media", "clear_web", "dark_web"
};
static const char *const s_priority_names[] = { "routine", "urgent" };

#define S_ENUM(first, names) { (first), sizeof (names) / sizeof (names)[0], (names) }

/* Indexed by jad_report_enum_t.  The first values and counts are checked
 * against the generated enums below, so a schema change that forgets this
 * table fails to compile. */
static const s_enum_t s_enums[JAD_REPORT_ENUM_COUNT] = {
    [JAD_REPORT_ENUM_TYPE]           = S_ENUM (JAD__REPORT__BODY_CHECKS, s_type_names),
    [JAD_REPORT_ENUM_HANDLING]       = S_ENUM (JAD__HANDLING__H0, s_handling_names),
    [JAD_REPORT_ENUM_DATABASE]       = S_ENUM (JAD__DATABASE__WANTED_PERSONS, s_database_names),
    [JAD_REPORT_ENUM_ITEM]           = S_ENUM (JAD__ITEM__FIREARM, s_item_names),
    [JAD_REPORT_ENUM_FIREARM_TYPE]   = S_ENUM (JAD__FIREARM_TYPE__PISTOL, s_firearm_names),
    [JAD_REPORT_ENUM_DRUG_TYPE]      = S_ENUM (JAD__DRUG_TYPE__COCAINE, s_drug_names),
    [JAD_REPORT_ENUM_CHARGE]         = S_ENUM (JAD__CHARGE__FIREARMS, s_charge_names),
    [JAD_REPORT_ENUM_DETECTION_KIND] = S_ENUM (JAD__DETECTION_KIND__ILLEGAL_ENTRY, s_detection_names),
    [JAD_REPORT_ENUM_PLATFORM]       = S_ENUM (JAD__PLATFORM__MESSAGING_APP, s_platform_names),
    [JAD_REPORT_ENUM_PRIORITY]       = S_ENUM (JAD__PRIORITY__ROUTINE, s_priority_names),
};

#define S_LAST(names) (sizeof (names) / sizeof (names)[0])
_Static_assert (JAD__REPORT__BODY_REQUEST_ACK - JAD__REPORT__BODY_CHECKS + 1
                == S_LAST (s_type_names), "type names");
_Static_assert (JAD__HANDLING__H3 == S_LAST (s_handling_names), "handling names");
_Static_assert (JAD__DATABASE__DATABASE_OTHER == S_LAST (s_database_names), "database names");
_Static_assert (JAD__ITEM__DOCUMENT == S_LAST (s_item_names), "item names");
_Static_assert (JAD__FIREARM_TYPE__FIREARM_OTHER == S_LAST (s_firearm_names), "firearm names");
_Static_assert (JAD__DRUG_TYPE__DRUG_OTHER == S_LAST (s_drug_names), "drug names");
_Static_assert (JAD__CHARGE__CHARGE_OTHER == S_LAST (s_charge_names), "charge names");
_Static_assert (JAD__DETECTION_KIND__FORGED_DOCUMENT == S_LAST (s_detection_names), "detection names");
_Static_assert (JAD__PLATFORM__DARK_WEB == S_LAST (s_platform_names), "platform names");
_Static_assert (JAD__PRIORITY__URGENT == S_LAST (s_priority_names), "priority names");

const char *
jad_report_enum_name (jad_report_enum_t e, int value)
{
    assert ((unsigned) e < JAD_REPORT_ENUM_COUNT);
    const s_enum_t *t = &s_enums[e];
    if (value < t->first || (size_t) (value - t->first) >= t->count)
        return NULL;
    return t->names[value - t->first];
}

int
jad_report_enum_parse (jad_report_enum_t e, const char *name)
{
    assert ((unsigned) e < JAD_REPORT_ENUM_COUNT);
    const s_enum_t *t = &s_enums[e];
    for (size_t i = 0; i < t->count; i++)
        if (strcmp (t->names[i], name) == 0)
            return t->first + (int) i;
    return -1;
}

const char *
jad_report_type_name (const Jad__Report *r)
{
    return jad_report_enum_name (JAD_REPORT_ENUM_TYPE, (int) r->body_case);
}

int
jad_report_is_intake (const Jad__Report *r)
{
    return r->body_case >= JAD__REPORT__BODY_CHECKS
        && r->body_case <= JAD__REPORT__BODY_SITREP;
}

/* ---------------------------------------------------------------- checks */

int
jad_report_utf8_valid (const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *) buf;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned cp, min;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)      { n = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; min = 0x10000; }
        else
            return 0;
        if (len - i - 1 < n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* Write "PREFIXfield: reason" into ERR; always returns -1 so a check can
 * `return s_fail (...)`. */
static int
    __attribute__((format (printf, 4, 5)))
s_fail (char *err, size_t errlen, const char *prefix, const char *fmt, ...)
{
    if (err && errlen > 0) {
        int n = snprintf (err, errlen, "%s", prefix);
        if (n >= 0 && (size_t) n < errlen) {
            va_list ap;
            va_start (ap, fmt);
            vsnprintf (err + n, errlen - (size_t) n, fmt, ap);
            va_end (ap);
        }
    }
    return -1;
}

/* The things every check needs to report a failure. */
typedef struct {
    const char *prefix;         /* "" or "correction.replacement." */
    char *err;                  /* caller's buffer */
    size_t errlen;
} s_ctx_t;

#define FAIL(ctx, ...) s_fail ((ctx)->err, (ctx)->errlen, (ctx)->prefix, __VA_ARGS__)

static int
s_upper (const char *s, size_t n)
{
    if (strlen (s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'A' || s[i] > 'Z')
            return 0;
    return 1;
}

static int
s_text (s_ctx_t *ctx, const char *field, const char *s)
{
    if (s && !jad_report_utf8_valid (s, strlen (s)))
        return FAIL (ctx, "%s: not valid UTF-8", field);
    return 0;
}

static int
s_quantity (s_ctx_t *ctx, const char *field, protobuf_c_boolean has, uint64_t v)
{
    if (has && v > JAD_QUANTITY_MAX)
        return FAIL (ctx, "%s: must be an integer from 0 to %llu", field,
                     (unsigned long long) JAD_QUANTITY_MAX);
    return 0;
}

static int
s_enum (s_ctx_t *ctx, const char *field, jad_report_enum_t e,
        protobuf_c_boolean has, int v, int required)
{
    if (!has) {
        if (required)
            return FAIL (ctx, "%s: required", field);
        return 0;
    }
    if (!jad_report_enum_name (e, v))
        return FAIL (ctx, "%s: invalid value %d", field, v);
    return 0;
}

/* Which quantity and subtype fields each seizure item takes. */
enum {
    S_TAKES_COUNT    = 1 << 0,
    S_TAKES_FIREARM  = 1 << 1,
    S_TAKES_DRUG     = 1 << 2,
    S_TAKES_GRAMS    = 1 << 3,
    S_TAKES_CASH     = 1 << 4,  /* amount and currency */
};

static int
s_item_takes (Jad__Item item)
{
    switch (item) {
        case JAD__ITEM__FIREARM:   return S_TAKES_FIREARM | S_TAKES_COUNT;
        case JAD__ITEM__DRUG:      return S_TAKES_DRUG | S_TAKES_GRAMS;
        case JAD__ITEM__EXPLOSIVE: return S_TAKES_GRAMS;
        case JAD__ITEM__CASH:      return S_TAKES_CASH;
        default:                   return S_TAKES_COUNT;
    }
}

/* A field the item does not take, or one it requires but lacks. */
static int
s_item_field (s_ctx_t *ctx, const char *item, const char *field,
              int has, int takes, int required)
{
    if (has && !takes)
        return FAIL (ctx, "seizure.%s: not taken by item \"%s\"", field, item);
    if (!has && required)
        return FAIL (ctx, "seizure.%s: required for item \"%s\"", field, item);
    return 0;
}

static int
s_seizure (s_ctx_t *ctx, const Jad__Seizure *s)
{
    if (s_enum (ctx, "seizure.item", JAD_REPORT_ENUM_ITEM,
                s->has_item, s->item, 1))
        return -1;
    const char *item = jad_report_enum_name (JAD_REPORT_ENUM_ITEM, s->item);
    int takes = s_item_takes (s->item);

    /* Both subtypes are spelled "subtype" in JSON: one field, two enums. */
    if (s->has_firearm_type && !(takes & S_TAKES_FIREARM))
        return FAIL (ctx, "seizure.subtype: firearm subtype not taken by item \"%s\"", item);
    if (s->has_drug_type && !(takes & S_TAKES_DRUG))
        return FAIL (ctx, "seizure.subtype: drug subtype not taken by item \"%s\"", item);
    if (s_enum (ctx, "seizure.subtype", JAD_REPORT_ENUM_FIREARM_TYPE,
                s->has_firearm_type, s->firearm_type, 0)
    ||  s_enum (ctx, "seizure.subtype", JAD_REPORT_ENUM_DRUG_TYPE,
                s->has_drug_type, s->drug_type, 0))
        return -1;
    if ((takes & S_TAKES_DRUG) && !s->has_drug_type)
        return FAIL (ctx, "seizure.subtype: required for item \"%s\"", item);

    if (s_item_field (ctx, item, "count", s->has_count,
                      takes & S_TAKES_COUNT, 0)
    ||  s_item_field (ctx, item, "grams", s->has_grams,
                      takes & S_TAKES_GRAMS, takes & S_TAKES_GRAMS)
    ||  s_item_field (ctx, item, "amount", s->has_amount,
                      takes & S_TAKES_CASH, takes & S_TAKES_CASH)
    ||  s_item_field (ctx, item, "currency", s->currency != NULL,
                      takes & S_TAKES_CASH, takes & S_TAKES_CASH))
        return -1;
    if (s_quantity (ctx, "seizure.count", s->has_count, s->count)
    ||  s_quantity (ctx, "seizure.grams", s->has_grams, s->grams)
    ||  s_quantity (ctx, "seizure.amount", s->has_amount, s->amount))
        return -1;
    if (s->currency && !s_upper (s->currency, 3))
        return FAIL (ctx, "seizure.currency: must be three upper-case letters (ISO 4217)");
    return s_text (ctx, "seizure.serial", s->serial);
}

static int s_report (s_ctx_t *ctx, const Jad__Report *r, int replacement);

/* Free text of a request or an acknowledgement: UTF-8, bounded. */
static int
s_long_text (s_ctx_t *ctx, const char *field, const char *s, int required)
{
    if (!s)
        return required ? FAIL (ctx, "%s: required", field) : 0;
    if (strlen (s) > JAD_SITREP_TEXT_MAX)
        return FAIL (ctx, "%s: longer than %d bytes", field, JAD_SITREP_TEXT_MAX);
    return s_text (ctx, field, s);
}

/* A request names its countries (distinct, well formed) or all of them;
 * `all` is never false when given, so each request has one encoding. */
static int
s_request (s_ctx_t *ctx, const Jad__Request *q)
{
    if (s_long_text (ctx, "request.text", q->text, 1))
        return -1;
    if (q->has_all && !q->all)
        return FAIL (ctx, "request.to: \"all\" is the only value of all");
    if (q->has_all && q->n_to > 0)
        return FAIL (ctx, "request.to: countries or \"all\", not both");
    if (!q->has_all && q->n_to == 0)
        return FAIL (ctx, "request.to: required, a list of countries or \"all\"");
    if (q->n_to > JAD_REQUEST_TO_MAX)
        return FAIL (ctx, "request.to: more than %d countries", JAD_REQUEST_TO_MAX);
    for (size_t i = 0; i < q->n_to; i++) {
        if (!q->to[i] || !s_upper (q->to[i], 2))
            return FAIL (ctx, "request.to: element %zu is not two upper-case "
                         "letters (ISO 3166 alpha-2)", i);
        for (size_t k = 0; k < i; k++)
            if (strcmp (q->to[k], q->to[i]) == 0)
                return FAIL (ctx, "request.to: %s given twice", q->to[i]);
    }
    return s_enum (ctx, "request.priority", JAD_REPORT_ENUM_PRIORITY,
                   q->has_priority, q->priority, 0);
}

static int
s_request_ack (s_ctx_t *ctx, const Jad__RequestAck *a)
{
    if (!a->has_request_seq || a->request_seq < 1)
        return FAIL (ctx, "request_ack.request_seq: required, a hub sequence "
                     "number from 1");
    if (s_quantity (ctx, "request_ack.request_seq", 1, a->request_seq))
        return -1;
    return s_long_text (ctx, "request_ack.text", a->text, 0);
}

static int
s_correction (s_ctx_t *ctx, const Jad__Correction *c)
{
    if (!c->has_supersedes || c->supersedes < 1)
        return FAIL (ctx, "correction.supersedes: required, a hub sequence number from 1");
    if (s_quantity (ctx, "correction.supersedes", 1, c->supersedes))
        return -1;
    if (!c->replacement)
        return 0;
    /* A replacement never nests further: s_report refuses a correction
     * inside one, so recursion is one level deep at most. */
    s_ctx_t inner = { "correction.replacement.", ctx->err, ctx->errlen };
    return s_report (&inner, c->replacement, 1);
}

static int
s_body (s_ctx_t *ctx, const Jad__Report *r)
{
    switch (r->body_case) {
        case JAD__REPORT__BODY_CHECKS: {
            const Jad__Checks *c = r->checks;
            if (!c->has_persons && !c->has_vehicles && !c->has_parcels
            &&  !c->has_premises && !c->has_db_searches)
                return FAIL (ctx, "checks: at least one of persons, vehicles, "
                             "parcels, premises, db_searches is required");
            if (s_quantity (ctx, "checks.persons", c->has_persons, c->persons)
            ||  s_quantity (ctx, "checks.vehicles", c->has_vehicles, c->vehicles)
            ||  s_quantity (ctx, "checks.parcels", c->has_parcels, c->parcels)
            ||  s_quantity (ctx, "checks.premises", c->has_premises, c->premises)
            ||  s_quantity (ctx, "checks.db_searches", c->has_db_searches, c->db_searches))
                return -1;
            return 0;
        }
        case JAD__REPORT__BODY_HIT:
            if (s_enum (ctx, "hit.database", JAD_REPORT_ENUM_DATABASE,
                        r->hit->has_database, r->hit->database, 1)
            ||  s_quantity (ctx, "hit.count", r->hit->has_count, r->hit->count))
                return -1;
            return s_text (ctx, "hit.subject", r->hit->subject);
        case JAD__REPORT__BODY_SEIZURE:
            return s_seizure (ctx, r->seizure);
        case JAD__REPORT__BODY_ARREST:
            if (s_enum (ctx, "arrest.charge", JAD_REPORT_ENUM_CHARGE,
                        r->arrest->has_charge, r->arrest->charge, 1))
                return -1;
            return s_quantity (ctx, "arrest.count", r->arrest->has_count, r->arrest->count);
        case JAD__REPORT__BODY_DETECTION:
            if (s_enum (ctx, "detection.kind", JAD_REPORT_ENUM_DETECTION_KIND,
                        r->detection->has_kind, r->detection->kind, 1))
                return -1;
            return s_quantity (ctx, "detection.count", r->detection->has_count,
                               r->detection->count);
        case JAD__REPORT__BODY_CYBER_TARGET:
            if (s_enum (ctx, "cyber_target.platform", JAD_REPORT_ENUM_PLATFORM,
                        r->cyber_target->has_platform, r->cyber_target->platform, 1))
                return -1;
            return s_quantity (ctx, "cyber_target.count", r->cyber_target->has_count,
                               r->cyber_target->count);
        case JAD__REPORT__BODY_INVESTIGATION:
            return s_quantity (ctx, "investigation.count", r->investigation->has_count,
                               r->investigation->count);
        case JAD__REPORT__BODY_DEPLOYMENT:
            if (!r->deployment->has_officers)
                return FAIL (ctx, "deployment.officers: required");
            return s_quantity (ctx, "deployment.officers", 1, r->deployment->officers);
        case JAD__REPORT__BODY_SITREP:
            if (!r->sitrep->text)
                return FAIL (ctx, "sitrep.text: required");
            if (strlen (r->sitrep->text) > JAD_SITREP_TEXT_MAX)
                return FAIL (ctx, "sitrep.text: longer than %d bytes", JAD_SITREP_TEXT_MAX);
            return s_text (ctx, "sitrep.text", r->sitrep->text);
        case JAD__REPORT__BODY_CORRECTION:
            return s_correction (ctx, r->correction);
        case JAD__REPORT__BODY_REQUEST:
            return s_request (ctx, r->request);
        case JAD__REPORT__BODY_REQUEST_ACK:
            return s_request_ack (ctx, r->request_ack);
        default:
            return FAIL (ctx, "type: required");
    }
}

/* REPLACEMENT: R is a correction's replacement, which has no country and
 * is not itself a correction. */
static int
s_report (s_ctx_t *ctx, const Jad__Report *r, int replacement)
{
    if (!jad_report_type_name (r))
        return FAIL (ctx, "type: required");
    /* protobuf-c always allocates the member of a set oneof case; a NULL
     * here is a message built by hand, wrongly. */
    if (!r->checks)
        return FAIL (ctx, "%s: missing body", jad_report_type_name (r));
    if (replacement && r->body_case == JAD__REPORT__BODY_CORRECTION)
        return FAIL (ctx, "type: a replacement cannot be a correction");
    if (replacement && !jad_report_is_intake (r))
        return FAIL (ctx, "type: a replacement cannot be a %s",
                     jad_report_type_name (r));
    if (r->country && r->body_case == JAD__REPORT__BODY_REQUEST)
        return FAIL (ctx, "country: not allowed in a request (it goes to request.to)");

    if (r->country) {
        if (replacement)
            return FAIL (ctx, "country: not allowed in a replacement");
        if (!s_upper (r->country, 2))
            return FAIL (ctx, "country: must be two upper-case letters (ISO 3166 alpha-2)");
    }
    if (s_text (ctx, "location", r->location) || s_text (ctx, "ref", r->ref))
        return -1;
    if (r->has_lat && !(isfinite (r->lat) && r->lat >= -90.0 && r->lat <= 90.0))
        return FAIL (ctx, "lat: must be a number from -90 to 90");
    if (r->has_lon && !(isfinite (r->lon) && r->lon >= -180.0 && r->lon <= 180.0))
        return FAIL (ctx, "lon: must be a number from -180 to 180");
    if (s_enum (ctx, "handling", JAD_REPORT_ENUM_HANDLING,
                r->has_handling, r->handling, 0))
        return -1;
    return s_body (ctx, r);
}

int
jad_report_validate (const Jad__Report *r, char *err, size_t errlen)
{
    assert (r);
    if (err && errlen > 0)
        err[0] = '\0';
    s_ctx_t ctx = { "", err, errlen };
    return s_report (&ctx, r, 0);
}

int
jad_report_may_send (const jad_participant_t *who, const Jad__Report *r,
                     char *err, size_t errlen)
{
    const char *kind = jad_report_type_name (r);
    const char *role = jad_roster_role_name (who->role);
    if (who->role == JAD_ROLE_AGENT) {
        if (r->body_case == JAD__REPORT__BODY_REQUEST) {
            snprintf (err, errlen, "role agent may not send %s", kind);
            return -1;
        }
        if (r->country && strcmp (r->country, who->country) != 0) {
            snprintf (err, errlen, "country: \"%s\" is not the sender's "
                      "country \"%s\"", r->country, who->country);
            return -1;
        }
        return 0;
    }
    if (who->role != JAD_ROLE_COORDINATOR) {
        snprintf (err, errlen, "role %s may not submit reports", role);
        return -1;
    }
    if (r->body_case != JAD__REPORT__BODY_REQUEST
    &&  r->body_case != JAD__REPORT__BODY_SITREP) {
        snprintf (err, errlen, "role %s may not send %s", role,
                  kind ? kind : "a report without a body");
        return -1;
    }
    if (r->country) {
        snprintf (err, errlen, "country: a %s's reports carry no country", role);
        return -1;
    }
    return 0;
}

int
jad_report_request_addressed (const Jad__Request *q, const char *country)
{
    if (q->has_all && q->all)
        return 1;
    for (size_t i = 0; i < q->n_to; i++)
        if (strcmp (q->to[i], country) == 0)
            return 1;
    return 0;
}

int
jad_report_country_valid (const char *cc)
{
    return cc && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z'
        && cc[2] == 0;
}
