/*  report_json: the JSON Lines report format, read strictly, written
 *  canonically.
 *
 *  Reading is in two steps.  This file checks what only JSON can get wrong
 *  (syntax, duplicate keys, unknown fields, JSON types, integer literals,
 *  enum spellings, the time) and builds a Jad__Report with every field that
 *  was present; jad_report_validate() then checks what the report means, the
 *  same way as for a report decoded from the network.
 *
 *  Each kind's fields are a table of {JSON name, type, offsets into the
 *  generated struct}, used in both directions, so the reader and the writer
 *  cannot disagree on a name or an order.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jad/report.h"
#include "jad/report_json.h"
#include "jad/timefmt.h"

/* ---------------------------------------------------------------- tables */

typedef enum {
    S_QTY,          /* optional uint64, JSON integer 0..2^53-1 */
    S_STR,          /* optional string */
    S_ENUM,         /* optional enum, JSON name from jad_report_enum_* */
    S_SUBTYPE,      /* seizure.subtype: firearm_type or drug_type by item */
    S_REPLACEMENT,  /* correction.replacement: a nested Report */
    S_TO            /* request.to: ["HR", ...] or "all" (Request.all) */
} s_ftype_t;

typedef struct {
    const char *name;           /* JSON key, and the proto field name */
    s_ftype_t type;
    jad_report_enum_t en;       /* S_ENUM: which enumeration */
    size_t has_off;             /* S_QTY, S_ENUM: offset of has_<name> */
    size_t off;                 /* offset of the value */
} s_field_t;

#define S_F_QTY(T, f)     { #f, S_QTY, 0, offsetof (T, has_##f), offsetof (T, f) }
#define S_F_STR(T, f)     { #f, S_STR, 0, 0, offsetof (T, f) }
#define S_F_ENUM(T, f, e) { #f, S_ENUM, (e), offsetof (T, has_##f), offsetof (T, f) }

static const s_field_t s_checks_fields[] = {
    S_F_QTY (Jad__Checks, persons),
    S_F_QTY (Jad__Checks, vehicles),
    S_F_QTY (Jad__Checks, parcels),
    S_F_QTY (Jad__Checks, premises),
    S_F_QTY (Jad__Checks, db_searches),
};
static const s_field_t s_hit_fields[] = {
    S_F_ENUM (Jad__Hit, database, JAD_REPORT_ENUM_DATABASE),
    S_F_QTY (Jad__Hit, count),
    S_F_STR (Jad__Hit, subject),
};
static const s_field_t s_seizure_fields[] = {
    S_F_ENUM (Jad__Seizure, item, JAD_REPORT_ENUM_ITEM),   /* before subtype */
    { "subtype", S_SUBTYPE, 0, 0, 0 },
    S_F_QTY (Jad__Seizure, count),
    S_F_QTY (Jad__Seizure, grams),
    S_F_QTY (Jad__Seizure, amount),
    S_F_STR (Jad__Seizure, currency),
    S_F_STR (Jad__Seizure, serial),
};
static const s_field_t s_arrest_fields[] = {
    S_F_ENUM (Jad__Arrest, charge, JAD_REPORT_ENUM_CHARGE),
    S_F_QTY (Jad__Arrest, count),
};
static const s_field_t s_detection_fields[] = {
    S_F_ENUM (Jad__Detection, kind, JAD_REPORT_ENUM_DETECTION_KIND),
    S_F_QTY (Jad__Detection, count),
};
static const s_field_t s_cyber_target_fields[] = {
    S_F_ENUM (Jad__CyberTarget, platform, JAD_REPORT_ENUM_PLATFORM),
    S_F_QTY (Jad__CyberTarget, count),
};
static const s_field_t s_investigation_fields[] = {
    S_F_QTY (Jad__Investigation, count),
};
static const s_field_t s_deployment_fields[] = {
    S_F_QTY (Jad__Deployment, officers),
};
static const s_field_t s_sitrep_fields[] = {
    S_F_STR (Jad__Sitrep, text),
};
static const s_field_t s_correction_fields[] = {
    S_F_QTY (Jad__Correction, supersedes),
    { "replacement", S_REPLACEMENT, 0, 0, offsetof (Jad__Correction, replacement) },
};

static const s_field_t s_request_fields[] = {
    S_F_STR (Jad__Request, text),
    { "to", S_TO, 0, 0, 0 },
    S_F_ENUM (Jad__Request, priority, JAD_REPORT_ENUM_PRIORITY),
};
static const s_field_t s_request_ack_fields[] = {
    S_F_QTY (Jad__RequestAck, request_seq),
    S_F_STR (Jad__RequestAck, text),
};

typedef struct {
    const ProtobufCMessageDescriptor *desc;    /* the body message */
    const s_field_t *fields;                   /* its JSON fields, in order */
    size_t nfields;
} s_kind_t;

#define S_KIND(d, f) { &(d), (f), sizeof (f) / sizeof (f)[0] }

/* Indexed by body case - JAD__REPORT__BODY_CHECKS. */
static const s_kind_t s_kinds[] = {
    S_KIND (jad__checks__descriptor, s_checks_fields),
    S_KIND (jad__hit__descriptor, s_hit_fields),
    S_KIND (jad__seizure__descriptor, s_seizure_fields),
    S_KIND (jad__arrest__descriptor, s_arrest_fields),
    S_KIND (jad__detection__descriptor, s_detection_fields),
    S_KIND (jad__cyber_target__descriptor, s_cyber_target_fields),
    S_KIND (jad__investigation__descriptor, s_investigation_fields),
    S_KIND (jad__deployment__descriptor, s_deployment_fields),
    S_KIND (jad__sitrep__descriptor, s_sitrep_fields),
    S_KIND (jad__correction__descriptor, s_correction_fields),
    S_KIND (jad__request__descriptor, s_request_fields),
    S_KIND (jad__request_ack__descriptor, s_request_ack_fields),
};
_Static_assert (sizeof s_kinds / sizeof s_kinds[0]
                == JAD__REPORT__BODY_REQUEST_ACK - JAD__REPORT__BODY_CHECKS + 1,
                "one kind per body case");
_Static_assert (sizeof (Jad__Item) == sizeof (int), "enums are int-sized");

/* Fields every kind may carry; country and time not in a replacement. */
static const char *const s_common[] = {
    "type", "country", "time", "location", "lat", "lon", "handling", "ref"
};

static const s_kind_t *
s_kind (Jad__Report__BodyCase c)
{
    assert (c >= JAD__REPORT__BODY_CHECKS && c <= JAD__REPORT__BODY_REQUEST_ACK);
    return &s_kinds[c - JAD__REPORT__BODY_CHECKS];
}

/* Attach BODY, a message of the kind's descriptor, as R's oneof member. */
static void
s_body_set (Jad__Report *r, Jad__Report__BodyCase c, void *body)
{
    r->body_case = c;
    switch (c) {
        case JAD__REPORT__BODY_CHECKS:        r->checks = body; break;
        case JAD__REPORT__BODY_HIT:           r->hit = body; break;
        case JAD__REPORT__BODY_SEIZURE:       r->seizure = body; break;
        case JAD__REPORT__BODY_ARREST:        r->arrest = body; break;
        case JAD__REPORT__BODY_DETECTION:     r->detection = body; break;
        case JAD__REPORT__BODY_CYBER_TARGET:  r->cyber_target = body; break;
        case JAD__REPORT__BODY_INVESTIGATION: r->investigation = body; break;
        case JAD__REPORT__BODY_DEPLOYMENT:    r->deployment = body; break;
        case JAD__REPORT__BODY_SITREP:        r->sitrep = body; break;
        case JAD__REPORT__BODY_CORRECTION:    r->correction = body; break;
        case JAD__REPORT__BODY_REQUEST:       r->request = body; break;
        case JAD__REPORT__BODY_REQUEST_ACK:   r->request_ack = body; break;
        default: assert (0);
    }
}

static void *
s_body_get (const Jad__Report *r)
{
    switch (r->body_case) {
        case JAD__REPORT__BODY_CHECKS:        return r->checks;
        case JAD__REPORT__BODY_HIT:           return r->hit;
        case JAD__REPORT__BODY_SEIZURE:       return r->seizure;
        case JAD__REPORT__BODY_ARREST:        return r->arrest;
        case JAD__REPORT__BODY_DETECTION:     return r->detection;
        case JAD__REPORT__BODY_CYBER_TARGET:  return r->cyber_target;
        case JAD__REPORT__BODY_INVESTIGATION: return r->investigation;
        case JAD__REPORT__BODY_DEPLOYMENT:    return r->deployment;
        case JAD__REPORT__BODY_SITREP:        return r->sitrep;
        case JAD__REPORT__BODY_CORRECTION:    return r->correction;
        case JAD__REPORT__BODY_REQUEST:       return r->request;
        case JAD__REPORT__BODY_REQUEST_ACK:   return r->request_ack;
        default:                              return NULL;
    }
}

#define S_AT(msg, off, T) ((T *) ((char *) (msg) + (off)))

/* ---------------------------------------------------------------- parse */

typedef struct {
    const char *prefix;         /* "" or "correction.replacement." */
    int replacement;            /* parsing a correction's replacement */
    const char *own_country;    /* NULL: any country */
    int64_t time_ms;            /* the line's time, when has_time */
    int has_time;
    char *err;
    size_t errlen;
} s_parse_t;

static int
    __attribute__((format (printf, 2, 3)))
s_fail (s_parse_t *p, const char *fmt, ...)
{
    if (p->err && p->errlen > 0) {
        int n = snprintf (p->err, p->errlen, "%s", p->prefix);
        if (n >= 0 && (size_t) n < p->errlen) {
            va_list ap;
            va_start (ap, fmt);
            vsnprintf (p->err + n, p->errlen - (size_t) n, fmt, ap);
            va_end (ap);
        }
    }
    return -1;
}

/* Copy untrusted text S into BUF (of 48 bytes) for an error message: at
 * most 40 bytes, control characters and quotes replaced by '?', so an
 * error line stays one readable line whatever the input held. */
#define S_QUOTE_MAX 48
static const char *
s_quote (const char *s, char *buf)
{
    size_t i = 0;
    for (; s[i] && i < 40; i++) {
        unsigned char c = (unsigned char) s[i];
        buf[i] = (c < 0x20 || c == 0x7F || c == '"' || c == '\\') ? '?' : (char) c;
    }
    if (s[i]) {
        /* Cut before a continuation byte would split a character. */
        while (i > 0 && ((unsigned char) s[i] & 0xC0) == 0x80)
            i--;
        memcpy (buf + i, "...", 4);
    }
    else
        buf[i] = '\0';
    return buf;
}

static const char *
s_json_type (const json_t *v)
{
    switch (json_typeof (v)) {
        case JSON_OBJECT:  return "an object";
        case JSON_ARRAY:   return "an array";
        case JSON_STRING:  return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL:    return "a real number";
        case JSON_TRUE:
        case JSON_FALSE:   return "a boolean";
        default:           return "null";
    }
}

/* A quantity: a JSON integer literal in 0..2^53-1.  jansson reads "2.0"
 * and "1e3" as reals, so those fail here too. */
static int
s_get_qty (s_parse_t *p, const char *path, const json_t *v, uint64_t *out)
{
    if (!json_is_integer (v) || json_integer_value (v) < 0
    ||  (uint64_t) json_integer_value (v) > JAD_QUANTITY_MAX)
        return s_fail (p, "%s: must be an integer from 0 to %llu", path,
                       (unsigned long long) JAD_QUANTITY_MAX);
    *out = (uint64_t) json_integer_value (v);
    return 0;
}

/* A string, copied with malloc (jansson has refused invalid UTF-8 and
 * \u0000 already). */
static int
s_get_str (s_parse_t *p, const char *path, const json_t *v, char **out)
{
    if (!json_is_string (v))
        return s_fail (p, "%s: must be a string, not %s", path, s_json_type (v));
    char *s = strdup (json_string_value (v));
    if (!s)
        return s_fail (p, "%s: out of memory", path);
    free (*out);
    *out = s;
    return 0;
}

static int
s_get_enum (s_parse_t *p, const char *path, const json_t *v,
            jad_report_enum_t e, int *out)
{
    char q[S_QUOTE_MAX];
    if (!json_is_string (v))
        return s_fail (p, "%s: must be a string, not %s", path, s_json_type (v));
    int value = jad_report_enum_parse (e, json_string_value (v));
    if (value < 0)
        return s_fail (p, "%s: unknown value \"%s\"", path,
                       s_quote (json_string_value (v), q));
    *out = value;
    return 0;
}

static int s_parse_report (s_parse_t *p, const json_t *obj, Jad__Report *r);

/* seizure.subtype: which enumeration depends on the item, read before. */
static int
s_get_subtype (s_parse_t *p, const json_t *v, Jad__Seizure *s)
{
    if (!s->has_item)
        return s_fail (p, "seizure.item: required");
    const char *item = jad_report_enum_name (JAD_REPORT_ENUM_ITEM, s->item);
    const char *path = "seizure.subtype";
    int value;
    if (s->item == JAD__ITEM__FIREARM) {
        if (s_get_enum (p, path, v, JAD_REPORT_ENUM_FIREARM_TYPE, &value))
            return -1;
        s->has_firearm_type = 1;
        s->firearm_type = value;
    }
    else if (s->item == JAD__ITEM__DRUG) {
        if (s_get_enum (p, path, v, JAD_REPORT_ENUM_DRUG_TYPE, &value))
            return -1;
        s->has_drug_type = 1;
        s->drug_type = value;
    }
    else
        return s_fail (p, "seizure.subtype: not taken by item \"%s\"", item);
    return 0;
}

static int
s_get_replacement (s_parse_t *p, const json_t *v, Jad__Correction *c)
{
    if (!json_is_object (v))
        return s_fail (p, "correction.replacement: must be an object, not %s",
                       s_json_type (v));
    Jad__Report *inner = malloc (sizeof *inner);
    if (!inner)
        return s_fail (p, "correction.replacement: out of memory");
    jad__report__init (inner);
    c->replacement = inner;     /* owned by C from here on, even on error */

    s_parse_t sub = *p;
    sub.prefix = "correction.replacement.";
    sub.replacement = 1;
    sub.own_country = NULL;
    return s_parse_report (&sub, v, inner);
}

/* request.to: the string "all", or an array of strings (their number and
 * spelling are checked by jad_report_validate, as for protobuf). */
static int
s_get_to (s_parse_t *p, const json_t *v, Jad__Request *q)
{
    static const char *const what = "must be an array of country codes or \"all\"";
    if (json_is_string (v)) {
        if (strcmp (json_string_value (v), "all") != 0)
            return s_fail (p, "request.to: %s", what);
        q->has_all = 1;
        q->all = 1;
        return 0;
    }
    if (!json_is_array (v))
        return s_fail (p, "request.to: %s, not %s", what, s_json_type (v));
    size_t n = json_array_size (v);
    if (n > JAD_REQUEST_TO_MAX)
        return s_fail (p, "request.to: more than %d countries", JAD_REQUEST_TO_MAX);
    if (n == 0)
        return 0;
    q->to = calloc (n, sizeof *q->to);
    if (!q->to)
        return s_fail (p, "request.to: out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get (v, i);
        if (!json_is_string (e))
            return s_fail (p, "request.to: element %zu must be a string, not %s",
                           i, s_json_type (e));
        q->to[i] = strdup (json_string_value (e));
        if (!q->to[i])
            return s_fail (p, "request.to: out of memory");
        q->n_to = i + 1;        /* owned by Q from here on */
    }
    return 0;
}

/* Fill BODY from OBJ's kind fields, in table order. */
static int
s_parse_body (s_parse_t *p, const json_t *obj, const char *kind_name,
              const s_kind_t *kind, void *body)
{
    for (size_t i = 0; i < kind->nfields; i++) {
        const s_field_t *f = &kind->fields[i];
        const json_t *v = json_object_get (obj, f->name);
        if (!v)
            continue;
        char path[64];
        snprintf (path, sizeof path, "%s.%s", kind_name, f->name);
        int rc = 0;
        switch (f->type) {
            case S_QTY:
                rc = s_get_qty (p, path, v, S_AT (body, f->off, uint64_t));
                if (rc == 0)
                    *S_AT (body, f->has_off, protobuf_c_boolean) = 1;
                break;
            case S_STR:
                rc = s_get_str (p, path, v, S_AT (body, f->off, char *));
                break;
            case S_ENUM: {
                int value;
                rc = s_get_enum (p, path, v, f->en, &value);
                if (rc == 0) {
                    memcpy (S_AT (body, f->off, char), &value, sizeof value);
                    *S_AT (body, f->has_off, protobuf_c_boolean) = 1;
                }
                break;
            }
            case S_SUBTYPE:
                rc = s_get_subtype (p, v, body);
                break;
            case S_REPLACEMENT:
                rc = s_get_replacement (p, v, body);
                break;
            case S_TO:
                rc = s_get_to (p, v, body);
                break;
        }
        if (rc)
            return -1;
    }
    return 0;
}

static int
s_is_common (const char *key)
{
    for (size_t i = 0; i < sizeof s_common / sizeof s_common[0]; i++)
        if (strcmp (key, s_common[i]) == 0)
            return 1;
    return 0;
}

static int
s_is_kind_field (const s_kind_t *kind, const char *key)
{
    for (size_t i = 0; i < kind->nfields; i++)
        if (strcmp (key, kind->fields[i].name) == 0)
            return 1;
    return 0;
}

static int
s_parse_country (s_parse_t *p, const json_t *v, Jad__Report *r)
{
    char q[S_QUOTE_MAX];
    if (s_get_str (p, "country", v, &r->country))
        return -1;
    const char *c = r->country;
    if (!jad_report_country_valid (c))
        return s_fail (p, "country: \"%s\" is not two upper-case letters "
                       "(ISO 3166 alpha-2)", s_quote (c, q));
    if (p->own_country && strcmp (c, p->own_country) != 0)
        return s_fail (p, "country: \"%s\" is not this agent's country \"%s\"",
                       c, p->own_country);
    return 0;
}

static int
s_parse_time (s_parse_t *p, const json_t *v)
{
    if (!json_is_string (v))
        return s_fail (p, "time: must be a string, not %s", s_json_type (v));
    int64_t ms;
    if (jad_time_parse (json_string_value (v), &ms) != 0)
        return s_fail (p, "time: not an RFC 3339 time");
    p->time_ms = ms;
    p->has_time = 1;
    return 0;
}

static int
s_parse_degrees (s_parse_t *p, const char *name, const json_t *v,
                 double limit, protobuf_c_boolean *has, double *out)
{
    if (!json_is_number (v)
    ||  json_number_value (v) < -limit || json_number_value (v) > limit)
        return s_fail (p, "%s: must be a number from %g to %g", name, -limit, limit);
    *out = json_number_value (v);
    *has = 1;
    return 0;
}

/* Build R from OBJ: type, then a pass over the keys for unknown ones, then
 * the common fields, then the kind's fields.  Semantic checks are left to
 * jad_report_validate(), called once on the whole report. */
static int
s_parse_report (s_parse_t *p, const json_t *obj, Jad__Report *r)
{
    char q[S_QUOTE_MAX];
    const json_t *v = json_object_get (obj, "type");
    if (!v)
        return s_fail (p, "type: required");
    if (!json_is_string (v))
        return s_fail (p, "type: must be a string, not %s", s_json_type (v));
    int c = jad_report_enum_parse (JAD_REPORT_ENUM_TYPE, json_string_value (v));
    if (c < 0)
        return s_fail (p, "type: unknown report type \"%s\"",
                       s_quote (json_string_value (v), q));
    if (p->replacement && c == JAD__REPORT__BODY_CORRECTION)
        return s_fail (p, "type: a replacement cannot be a correction");
    const char *kind_name = json_string_value (v);
    const s_kind_t *kind = s_kind (c);

    const char *key;
    json_t *value;
    json_object_foreach ((json_t *) obj, key, value) {
        if (s_is_common (key)) {
            if (p->replacement && (!strcmp (key, "country") || !strcmp (key, "time")))
                return s_fail (p, "%s: not allowed in a replacement", key);
        }
        else if (!s_is_kind_field (kind, key))
            return s_fail (p, "%s.%s: unknown field", kind_name, s_quote (key, q));
    }

    void *body = malloc (kind->desc->sizeof_message);
    if (!body)
        return s_fail (p, "type: out of memory");
    protobuf_c_message_init (kind->desc, body);
    s_body_set (r, c, body);    /* owned by R from here on */

    if ((v = json_object_get (obj, "country")) && s_parse_country (p, v, r))
        return -1;
    if ((v = json_object_get (obj, "time")) && s_parse_time (p, v))
        return -1;
    if ((v = json_object_get (obj, "location")) && s_get_str (p, "location", v, &r->location))
        return -1;
    if ((v = json_object_get (obj, "lat"))
    &&  s_parse_degrees (p, "lat", v, 90.0, &r->has_lat, &r->lat))
        return -1;
    if ((v = json_object_get (obj, "lon"))
    &&  s_parse_degrees (p, "lon", v, 180.0, &r->has_lon, &r->lon))
        return -1;
    if ((v = json_object_get (obj, "handling"))) {
        int h;
        if (s_get_enum (p, "handling", v, JAD_REPORT_ENUM_HANDLING, &h))
            return -1;
        r->has_handling = 1;
        r->handling = h;
    }
    if ((v = json_object_get (obj, "ref")) && s_get_str (p, "ref", v, &r->ref))
        return -1;
    return s_parse_body (p, obj, kind_name, kind, body);
}

int
jad_report_json_parse (const char *line, size_t len, const char *own_country,
                       Jad__Report **report_p, int64_t *time_ms_p,
                       int *has_time_p, char *err, size_t errlen)
{
    int rc = -1;
    json_t *root = NULL;
    Jad__Report *r = NULL;
    s_parse_t p = { "", 0, own_country, 0, 0, err, errlen };
    assert (report_p && time_ms_p && has_time_p);
    if (err && errlen > 0)
        err[0] = '\0';

    if (len > JAD_REPORT_LINE_MAX) {
        s_fail (&p, "line: longer than %d bytes", JAD_REPORT_LINE_MAX);
        goto out;
    }
    if (len > 0 && line[len - 1] == '\r')
        len--;

    /* No JSON_ALLOW_NUL: "\u0000" is refused.  jansson checks UTF-8. */
    json_error_t jerr;
    root = json_loadb (line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* jansson quotes the offending token; keep the message ASCII and on
         * one line whatever bytes that token held. */
        for (char *c = jerr.text; *c; c++)
            if ((unsigned char) *c < 0x20 || (unsigned char) *c >= 0x7F)
                *c = '?';
        s_fail (&p, "JSON: %s at column %d", jerr.text, jerr.column);
        goto out;
    }
    if (!json_is_object (root)) {
        s_fail (&p, "JSON: must be an object, not %s", s_json_type (root));
        goto out;
    }
    r = malloc (sizeof *r);
    if (!r) {
        s_fail (&p, "line: out of memory");
        goto out;
    }
    jad__report__init (r);
    if (s_parse_report (&p, root, r))
        goto out;
    if (jad_report_validate (r, err, errlen))
        goto out;

    *report_p = r;
    r = NULL;
    *time_ms_p = p.has_time ? p.time_ms : 0;
    *has_time_p = p.has_time;
    rc = 0;
out:
    if (r)
        jad__report__free_unpacked (r, NULL);
    json_decref (root);
    return rc;
}

/* ---------------------------------------------------------------- format */

/* Digits %g needs so that V reads back as V exactly: the shortest form
 * makes "48.2" come out as 48.2, not 48.200000000000003.  At least the
 * digits of the integer part, or %g would write 180 as 1.8e+02. */
static int
s_precision (double v)
{
    char buf[40];
    int prec = 1;
    for (double a = fabs (v); a >= 10.0 && prec < 17; a /= 10.0)
        prec++;
    for (; prec < 17; prec++) {
        snprintf (buf, sizeof buf, "%.*g", prec, v);
        if (strtod (buf, NULL) == v)
            return prec;
    }
    return 17;
}

typedef struct {
    int precision;              /* largest s_precision of any real written */
    int failed;                 /* a jansson allocation failed */
} s_format_t;

static void
s_set (s_format_t *f, json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new (obj, key, v) != 0)
        f->failed = 1;
}

static void
s_set_real (s_format_t *f, json_t *obj, const char *key, double v)
{
    int prec = s_precision (v);
    if (prec > f->precision)
        f->precision = prec;
    s_set (f, obj, key, json_real (v));
}

static json_t *s_format_report (s_format_t *f, const Jad__Report *r,
                                int has_time, int64_t time_ms);

static void
s_format_body (s_format_t *f, json_t *obj, const s_kind_t *kind, const void *body)
{
    for (size_t i = 0; i < kind->nfields; i++) {
        const s_field_t *fd = &kind->fields[i];
        switch (fd->type) {
            case S_QTY:
                if (*S_AT (body, fd->has_off, protobuf_c_boolean))
                    s_set (f, obj, fd->name,
                           json_integer ((json_int_t) *S_AT (body, fd->off, uint64_t)));
                break;
            case S_STR: {
                const char *s = *S_AT (body, fd->off, char *);
                if (s)
                    s_set (f, obj, fd->name, json_string (s));
                break;
            }
            case S_ENUM:
                if (*S_AT (body, fd->has_off, protobuf_c_boolean)) {
                    int value;
                    memcpy (&value, S_AT (body, fd->off, char), sizeof value);
                    s_set (f, obj, fd->name,
                           json_string (jad_report_enum_name (fd->en, value)));
                }
                break;
            case S_SUBTYPE: {
                const Jad__Seizure *s = body;
                if (s->has_firearm_type)
                    s_set (f, obj, "subtype", json_string (jad_report_enum_name (
                               JAD_REPORT_ENUM_FIREARM_TYPE, s->firearm_type)));
                else if (s->has_drug_type)
                    s_set (f, obj, "subtype", json_string (jad_report_enum_name (
                               JAD_REPORT_ENUM_DRUG_TYPE, s->drug_type)));
                break;
            }
            case S_REPLACEMENT: {
                const Jad__Correction *c = body;
                if (c->replacement)
                    s_set (f, obj, "replacement",
                           s_format_report (f, c->replacement, 0, 0));
                break;
            }
            case S_TO: {
                const Jad__Request *q = body;
                if (q->has_all && q->all) {
                    s_set (f, obj, "to", json_string ("all"));
                    break;
                }
                json_t *to = json_array ();
                for (size_t k = 0; to && k < q->n_to; k++)
                    if (json_array_append_new (to, json_string (q->to[k])) != 0)
                        f->failed = 1;
                s_set (f, obj, "to", to);
                break;
            }
        }
    }
}

static json_t *
s_format_report (s_format_t *f, const Jad__Report *r, int has_time, int64_t time_ms)
{
    json_t *obj = json_object ();
    if (!obj) {
        f->failed = 1;
        return NULL;
    }
    s_set (f, obj, "type", json_string (jad_report_type_name (r)));
    if (r->country)
        s_set (f, obj, "country", json_string (r->country));
    if (has_time) {
        char buf[JAD_TIME_STRLEN];
        jad_time_format (time_ms, buf);
        s_set (f, obj, "time", json_string (buf));
    }
    s_format_body (f, obj, s_kind (r->body_case), s_body_get (r));
    if (r->location)
        s_set (f, obj, "location", json_string (r->location));
    if (r->has_lat)
        s_set_real (f, obj, "lat", r->lat);
    if (r->has_lon)
        s_set_real (f, obj, "lon", r->lon);
    if (r->has_handling)
        s_set (f, obj, "handling", json_string (
                   jad_report_enum_name (JAD_REPORT_ENUM_HANDLING, r->handling)));
    if (r->ref)
        s_set (f, obj, "ref", json_string (r->ref));
    return obj;
}

char *
jad_report_json_format (const Jad__Report *r, int has_time, int64_t time_ms)
{
    char *line = NULL;
    json_t *obj = NULL;
    char err[128];
    assert (r);

    /* The writer trusts the tables: every enum has a name, every string is
     * UTF-8.  Validation makes that so. */
    if (jad_report_validate (r, err, sizeof err))
        goto out;
    s_format_t f = { 1, 0 };
    obj = s_format_report (&f, r, has_time, time_ms);
    if (!obj || f.failed)
        goto out;
    /* jansson keeps keys in insertion order; one precision serves all the
     * reals, and more digits than a value needs still read back exactly. */
    line = json_dumps (obj, JSON_COMPACT | JSON_REAL_PRECISION (f.precision));
out:
    json_decref (obj);
    return line;
}
