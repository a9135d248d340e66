/*  report: what a valid Report is, and the names of its kinds and enums.
 *
 *  A Report reaches us two ways: parsed from a JSON line (report_json) or
 *  decoded from an agent's envelope by the hub (wire).  Both go through
 *  jad_report_validate(), so one set of rules decides, with one set of
 *  error messages ("field: reason", the field named by its JSON path).
 *
 *  The name tables here are the JSON spellings; the JSON reader and writer
 *  and the figures tools all use them, so a name is spelled in one place.
 */
#ifndef JAD_REPORT_H
#define JAD_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "jad.pb-c.h"
#include "jad/roster.h"

/* Largest quantity: the JSON format's integer range, 2^53 - 1. */
#define JAD_QUANTITY_MAX     UINT64_C(9007199254740991)
/* Longest sitrep text, in bytes. */
#define JAD_SITREP_TEXT_MAX  4096
/* Most countries a request names (there are fewer than 256 codes). */
#define JAD_REQUEST_TO_MAX   256
/* Longest JSON Lines line, in bytes, without its newline. */
#define JAD_REPORT_LINE_MAX  65536

/* Check that R means something: exactly one body; enums in range and not
 * UNSPECIFIED; the fields each kind and each seizure item requires, and
 * none it does not take; quantities <= JAD_QUANTITY_MAX; text valid UTF-8;
 * country, currency, lat, lon well formed; a correction's replacement of
 * an intake kind, without country, itself valid; a request's text, its
 * `to` (distinct country codes) or `all`, no country; a request_ack's
 * request_seq.  Absent `count` means 1.
 * 0 if valid; -1 with "field: reason" in ERR (always NUL-terminated when
 * ERRLEN > 0) otherwise. */
int jad_report_validate (const Jad__Report *r, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* 1 when CC is a country code's shape — two upper-case ASCII letters and
 * nothing more (ISO 3166-1 alpha-2, XK included; whether it is assigned is
 * jad_bundle_country_known's question) — else 0; NULL is not. */
int jad_report_country_valid (const char *cc);

/* True (1) if BUF[0..LEN) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) without a NUL byte; 0 otherwise. */
int jad_report_utf8_valid (const char *buf, size_t len);

/* The enumerations the JSON format names.  TYPE maps a report's body case
 * (JAD__REPORT__BODY_CHECKS...) to "checks", "hit", ... "correction",
 * "request", "request_ack". */
typedef enum {
    JAD_REPORT_ENUM_TYPE = 0,        /* Jad__Report__BodyCase */
    JAD_REPORT_ENUM_HANDLING,        /* Jad__Handling: "H0".."H3" */
    JAD_REPORT_ENUM_DATABASE,        /* Jad__Database */
    JAD_REPORT_ENUM_ITEM,            /* Jad__Item */
    JAD_REPORT_ENUM_FIREARM_TYPE,    /* Jad__FirearmType */
    JAD_REPORT_ENUM_DRUG_TYPE,       /* Jad__DrugType */
    JAD_REPORT_ENUM_CHARGE,          /* Jad__Charge */
    JAD_REPORT_ENUM_DETECTION_KIND,  /* Jad__DetectionKind */
    JAD_REPORT_ENUM_PLATFORM,        /* Jad__Platform */
    JAD_REPORT_ENUM_PRIORITY,        /* Jad__Priority: "routine", "urgent" */
    JAD_REPORT_ENUM_COUNT
} jad_report_enum_t;

/* JSON name of VALUE in enumeration E, or NULL if VALUE is not a valid
 * value (UNSPECIFIED included).  Values are contiguous: 1..n for the enums,
 * JAD__REPORT__BODY_CHECKS..JAD__REPORT__BODY_REQUEST_ACK for TYPE, so a
 * tool can list an enumeration by counting up until NULL.  The string is
 * static. */
const char *jad_report_enum_name (jad_report_enum_t e, int value);

/* Value of JSON name NAME in enumeration E, or -1 if unknown. */
int jad_report_enum_parse (jad_report_enum_t e, const char *name);

/* "checks", "hit", ... "request_ack" for R's body; NULL if R has none. */
const char *jad_report_type_name (const Jad__Report *r);

/* What a participant may send, by its roster role (docs/PROTOCOL.md §3):
 * an agent every kind but `request`, with no `country` or its own; a
 * coordinator `request` and `sitrep` only, with no `country`; an observer
 * or the hub nothing.  The hub refuses anything else FORBIDDEN, and
 * jad-verify holds journals to the same rule.  0, or -1 with the reason in
 * ERR. */
int jad_report_may_send (const jad_participant_t *who, const Jad__Report *r,
                         char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* 1 when request Q is addressed to COUNTRY (named in `to`, or `all`). */
int jad_report_request_addressed (const Jad__Request *q, const char *country);

/* True (1) when R is of an intake kind (checks .. sitrep), the kinds the
 * figures count: not a correction, request or request_ack. */
int jad_report_is_intake (const Jad__Report *r);

#endif
