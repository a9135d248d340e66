/* Unit tests: lib/report_json.c and lib/report.c — every kind and enum
 * value accepted, every strictness rule rejected with its message, the
 * JSON -> protobuf -> JSON round trip, validation of reports built as the
 * hub would decode them, and the example operation read line by line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/lines.h"
#include "jad/report.h"
#include "jad/report_json.h"
#include "jad/frame.h"
#include "jad/wire.h"

/* Parse LINE, expecting success; check the round trip: format, reparse,
 * same protobuf bytes, same text.  Returns the report (caller frees). */
static Jad__Report *
s_ok_own (const char *line, const char *own)
{
    char err[256] = "";
    Jad__Report *r = NULL;
    int64_t ms = -1;
    int has_time = -1;
    if (jad_report_json_parse (line, strlen (line), own, &r, &ms, &has_time,
                               err, sizeof err) != 0)
        fail_msg ("rejected %s: %s", line, err);
    assert_non_null (r);
    assert_true (has_time == 0 || has_time == 1);

    char *text = jad_report_json_format (r, has_time, ms);
    if (!text)
        fail_msg ("format failed for %s", line);
    Jad__Report *back = NULL;
    int64_t ms2 = -1;
    int has_time2 = -1;
    if (jad_report_json_parse (text, strlen (text), own, &back, &ms2, &has_time2,
                               err, sizeof err) != 0)
        fail_msg ("reparse of %s rejected: %s", text, err);
    assert_int_equal (has_time, has_time2);
    if (has_time)
        assert_int_equal (ms, ms2);

    size_t len1, len2;
    uint8_t *b1 = jad_wire_encode (&r->base, &len1);
    uint8_t *b2 = jad_wire_encode (&back->base, &len2);
    assert_non_null (b1);
    assert_non_null (b2);
    assert_int_equal (len1, len2);
    assert_memory_equal (b1, b2, len1);

    char *text2 = jad_report_json_format (back, has_time2, ms2);
    assert_non_null (text2);
    assert_string_equal (text, text2);

    free (b1);
    free (b2);
    free (text);
    free (text2);
    jad__report__free_unpacked (back, NULL);
    return r;
}

static Jad__Report *
s_ok (const char *line)
{
    return s_ok_own (line, NULL);
}

static void
s_ok_free (const char *line)
{
    Jad__Report *r = s_ok (line);
    jad__report__free_unpacked (r, NULL);
}

/* Parse LINE (LEN bytes), expecting rejection with WANT in the message. */
static void
s_bad_len (const char *line, size_t len, const char *own, const char *want)
{
    char err[256] = "";
    Jad__Report *r = NULL;
    int64_t ms = 0;
    int has_time = 0;
    int rc = jad_report_json_parse (line, len, own, &r, &ms, &has_time,
                                    err, sizeof err);
    if (rc == 0)
        fail_msg ("accepted %.*s", (int) (len > 200 ? 200 : len), line);
    assert_null (r);
    if (!strstr (err, want))
        fail_msg ("%.*s: got \"%s\", want \"%s\"", (int) (len > 200 ? 200 : len),
                  line, err, want);
}

static void
s_bad (const char *line, const char *want)
{
    s_bad_len (line, strlen (line), NULL, want);
}

/* Parse then format, expecting exactly WANT. */
static void
s_canon (const char *line, const char *want)
{
    char err[256];
    Jad__Report *r = NULL;
    int64_t ms;
    int has_time;
    if (jad_report_json_parse (line, strlen (line), NULL, &r, &ms, &has_time,
                               err, sizeof err))
        fail_msg ("rejected %s: %s", line, err);
    char *text = jad_report_json_format (r, has_time, ms);
    assert_non_null (text);
    assert_string_equal (text, want);
    free (text);
    jad__report__free_unpacked (r, NULL);
}

/* ---------------------------------------------------------------- accept */

static void
test_every_kind (void **state)
{
    (void) state;
    s_ok_free ("{\"type\":\"checks\",\"persons\":1}");
    s_ok_free ("{\"type\":\"checks\",\"persons\":1,\"vehicles\":2,\"parcels\":3,"
               "\"premises\":4,\"db_searches\":5}");
    s_ok_free ("{\"type\":\"hit\",\"database\":\"sis\"}");
    s_ok_free ("{\"type\":\"hit\",\"database\":\"sis\",\"count\":3,\"subject\":\"J. Doe\"}");
    s_ok_free ("{\"type\":\"seizure\",\"item\":\"firearm\"}");
    s_ok_free ("{\"type\":\"seizure\",\"item\":\"drug\",\"subtype\":\"heroin\",\"grams\":1200}");
    s_ok_free ("{\"type\":\"seizure\",\"item\":\"explosive\",\"grams\":5}");
    s_ok_free ("{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":1000000,\"currency\":\"EUR\"}");
    s_ok_free ("{\"type\":\"seizure\",\"item\":\"vehicle\",\"count\":2,\"serial\":\"B-XY 123\"}");
    s_ok_free ("{\"type\":\"arrest\",\"charge\":\"terrorism\",\"count\":2}");
    s_ok_free ("{\"type\":\"detection\",\"kind\":\"illegal_entry\"}");
    s_ok_free ("{\"type\":\"cyber_target\",\"platform\":\"dark_web\",\"count\":4}");
    s_ok_free ("{\"type\":\"investigation\"}");
    s_ok_free ("{\"type\":\"investigation\",\"count\":0}");
    s_ok_free ("{\"type\":\"deployment\",\"officers\":0}");
    s_ok_free ("{\"type\":\"sitrep\",\"text\":\"\"}");
    s_ok_free ("{\"type\":\"sitrep\",\"text\":\"all quiet\"}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":12}");
    s_ok_free ("{\"type\":\"checks\",\"persons\":1,\"country\":\"XK\","
               "\"time\":\"2020-11-16T07:00:03Z\",\"location\":\"Port of Piraeus\","
               "\"lat\":37.94,\"lon\":23.63,\"handling\":\"H2\",\"ref\":\"GR-2020-0001\"}");

    /* Body fields land where they belong. */
    Jad__Report *r = s_ok ("{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":250,"
                           "\"currency\":\"CHF\",\"serial\":\"x\"}");
    assert_int_equal (r->body_case, JAD__REPORT__BODY_SEIZURE);
    assert_int_equal (r->seizure->item, JAD__ITEM__CASH);
    assert_true (r->seizure->has_amount);
    assert_int_equal (r->seizure->amount, 250);
    assert_string_equal (r->seizure->currency, "CHF");
    assert_string_equal (r->seizure->serial, "x");
    assert_false (r->seizure->has_count);
    assert_string_equal (jad_report_type_name (r), "seizure");
    jad__report__free_unpacked (r, NULL);
}

/* Every name of every enumeration, in the field that uses it. */
static void
test_every_enum_value (void **state)
{
    (void) state;
    static const struct {
        jad_report_enum_t e;
        const char *fmt;
        int n;
    } cases[] = {
        { JAD_REPORT_ENUM_TYPE, NULL, 12 },
        { JAD_REPORT_ENUM_HANDLING, "{\"type\":\"investigation\",\"handling\":\"%s\"}", 4 },
        { JAD_REPORT_ENUM_DATABASE, "{\"type\":\"hit\",\"database\":\"%s\"}", 7 },
        { JAD_REPORT_ENUM_ITEM, NULL, 10 },
        { JAD_REPORT_ENUM_FIREARM_TYPE,
          "{\"type\":\"seizure\",\"item\":\"firearm\",\"subtype\":\"%s\",\"count\":2}", 9 },
        { JAD_REPORT_ENUM_DRUG_TYPE,
          "{\"type\":\"seizure\",\"item\":\"drug\",\"subtype\":\"%s\",\"grams\":7}", 7 },
        { JAD_REPORT_ENUM_CHARGE, "{\"type\":\"arrest\",\"charge\":\"%s\"}", 8 },
        { JAD_REPORT_ENUM_DETECTION_KIND, "{\"type\":\"detection\",\"kind\":\"%s\",\"count\":1}", 2 },
        { JAD_REPORT_ENUM_PLATFORM, "{\"type\":\"cyber_target\",\"platform\":\"%s\"}", 5 },
        { JAD_REPORT_ENUM_PRIORITY,
          "{\"type\":\"request\",\"text\":\"t\",\"to\":\"all\",\"priority\":\"%s\"}", 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int first = cases[i].e == JAD_REPORT_ENUM_TYPE ? JAD__REPORT__BODY_CHECKS : 1;
        assert_null (jad_report_enum_name (cases[i].e, first - 1));
        assert_null (jad_report_enum_name (cases[i].e, first + cases[i].n));
        assert_int_equal (jad_report_enum_parse (cases[i].e, "bogus"), -1);
        for (int v = first; v < first + cases[i].n; v++) {
            const char *name = jad_report_enum_name (cases[i].e, v);
            assert_non_null (name);
            assert_int_equal (jad_report_enum_parse (cases[i].e, name), v);
            if (!cases[i].fmt)
                continue;
            char line[256];
            snprintf (line, sizeof line, cases[i].fmt, name);
            s_ok_free (line);
        }
    }
    /* Every item, with the fields it takes. */
    for (int v = 1; v <= 10; v++) {
        const char *item = jad_report_enum_name (JAD_REPORT_ENUM_ITEM, v);
        char line[256];
        if (v == JAD__ITEM__DRUG)
            snprintf (line, sizeof line, "{\"type\":\"seizure\",\"item\":\"%s\","
                      "\"subtype\":\"other\",\"grams\":1}", item);
        else if (v == JAD__ITEM__EXPLOSIVE)
            snprintf (line, sizeof line, "{\"type\":\"seizure\",\"item\":\"%s\",\"grams\":1}", item);
        else if (v == JAD__ITEM__CASH)
            snprintf (line, sizeof line, "{\"type\":\"seizure\",\"item\":\"%s\","
                      "\"amount\":1,\"currency\":\"USD\"}", item);
        else
            snprintf (line, sizeof line, "{\"type\":\"seizure\",\"item\":\"%s\",\"count\":3}", item);
        s_ok_free (line);
    }
    /* The "other" spellings map to the prefixed enum values. */
    assert_int_equal (jad_report_enum_parse (JAD_REPORT_ENUM_FIREARM_TYPE, "other"),
                      JAD__FIREARM_TYPE__FIREARM_OTHER);
    assert_int_equal (jad_report_enum_parse (JAD_REPORT_ENUM_DRUG_TYPE, "other"),
                      JAD__DRUG_TYPE__DRUG_OTHER);
    assert_int_equal (jad_report_enum_parse (JAD_REPORT_ENUM_DATABASE, "other"),
                      JAD__DATABASE__DATABASE_OTHER);
    assert_int_equal (jad_report_enum_parse (JAD_REPORT_ENUM_CHARGE, "other"),
                      JAD__CHARGE__CHARGE_OTHER);
    assert_int_equal (jad_report_enum_parse (JAD_REPORT_ENUM_HANDLING, "H3"),
                      JAD__HANDLING__H3);
    assert_int_equal (jad_report_enum_parse (JAD_REPORT_ENUM_TYPE, "cyber_target"),
                      JAD__REPORT__BODY_CYBER_TARGET);
}

/* ---------------------------------------------------------------- reject */

static void
test_rejections (void **state)
{
    (void) state;
    static const struct {
        const char *line;
        const char *want;
    } cases[] = {
        /* JSON itself */
        { "", "JSON: " },
        { "{", "JSON: " },
        { "{\"type\":\"checks\",\"persons\":1} x", "JSON: " },
        { "{\"type\":\"checks\",\"persons\":1,}", "JSON: " },
        { "[1,2]", "JSON: must be an object" },
        { "\"checks\"", "JSON: " },
        { "{\"type\":\"checks\",\"persons\":1,\"persons\":2}", "duplicate" },
        { "{\"type\":\"checks\",\"type\":\"checks\",\"persons\":1}", "duplicate" },
        { "{\"type\":\"sitrep\",\"text\":\"a\\u0000b\"}", "JSON: " },
        { "{\"type\":\"sitrep\",\"text\":\"\\ud800\"}", "JSON: " },
        { "{\"type\":\"sitrep\",\"text\":\"a\x01\"}", "JSON: " },
        /* type */
        { "{}", "type: required" },
        { "{\"persons\":1}", "type: required" },
        { "{\"type\":7}", "type: must be a string" },
        { "{\"type\":\"bogus\"}", "type: unknown report type \"bogus\"" },
        { "{\"type\":\"Checks\",\"persons\":1}", "type: unknown report type \"Checks\"" },
        /* unknown fields */
        { "{\"type\":\"hit\",\"databse\":\"sis\"}", "hit.databse: unknown field" },
        { "{\"type\":\"checks\",\"persons\":1,\"count\":1}", "checks.count: unknown field" },
        { "{\"type\":\"deployment\",\"officers\":1,\"Country\":\"DE\"}",
          "deployment.Country: unknown field" },
        { "{\"type\":\"sitrep\",\"text\":\"x\",\"subject\":\"y\"}", "sitrep.subject: unknown field" },
        /* wrong JSON types */
        { "{\"type\":\"checks\",\"parcels\":\"3\"}",
          "checks.parcels: must be an integer from 0 to 9007199254740991" },
        { "{\"type\":\"checks\",\"parcels\":true}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":null}", "checks.parcels: must be an integer" },
        { "{\"type\":\"hit\",\"database\":1}", "hit.database: must be a string" },
        { "{\"type\":\"hit\",\"database\":\"sis\",\"subject\":5}", "hit.subject: must be a string" },
        { "{\"type\":\"sitrep\",\"text\":[\"x\"]}", "sitrep.text: must be a string" },
        { "{\"type\":\"checks\",\"persons\":1,\"location\":{}}", "location: must be a string" },
        { "{\"type\":\"checks\",\"persons\":1,\"lat\":\"48.2\"}", "lat: must be a number" },
        { "{\"type\":\"checks\",\"persons\":1,\"country\":null}", "country: must be a string" },
        { "{\"type\":\"checks\",\"persons\":1,\"time\":1605510003}", "time: must be a string" },
        { "{\"type\":\"correction\",\"supersedes\":1,\"replacement\":\"x\"}",
          "correction.replacement: must be an object" },
        /* numbers */
        { "{\"type\":\"checks\",\"parcels\":-1}", "checks.parcels: must be an integer from 0 to 9007199254740991" },
        { "{\"type\":\"checks\",\"parcels\":2.0}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":2.5}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":1e3}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":1E3}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":9007199254740992}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":9223372036854775807}", "checks.parcels: must be an integer" },
        { "{\"type\":\"checks\",\"parcels\":99999999999999999999}", "JSON: " },
        { "{\"type\":\"checks\",\"parcels\":01}", "JSON: " },
        { "{\"type\":\"deployment\",\"officers\":-5}", "deployment.officers: must be an integer" },
        { "{\"type\":\"correction\",\"supersedes\":1.5}", "correction.supersedes: must be an integer" },
        /* enums */
        { "{\"type\":\"hit\",\"database\":\"foo\"}", "hit.database: unknown value \"foo\"" },
        { "{\"type\":\"hit\",\"database\":\"SIS\"}", "hit.database: unknown value \"SIS\"" },
        { "{\"type\":\"seizure\",\"item\":\"tank\"}", "seizure.item: unknown value \"tank\"" },
        { "{\"type\":\"seizure\",\"item\":\"firearm\",\"subtype\":\"heroin\"}",
          "seizure.subtype: unknown value \"heroin\"" },
        { "{\"type\":\"seizure\",\"item\":\"drug\",\"subtype\":\"pistol\",\"grams\":1}",
          "seizure.subtype: unknown value \"pistol\"" },
        { "{\"type\":\"arrest\",\"charge\":\"speeding\"}", "arrest.charge: unknown value \"speeding\"" },
        { "{\"type\":\"detection\",\"kind\":\"x\"}", "detection.kind: unknown value \"x\"" },
        { "{\"type\":\"cyber_target\",\"platform\":\"tv\"}", "cyber_target.platform: unknown value \"tv\"" },
        { "{\"type\":\"checks\",\"persons\":1,\"handling\":\"H4\"}", "handling: unknown value \"H4\"" },
        { "{\"type\":\"checks\",\"persons\":1,\"handling\":\"h0\"}", "handling: unknown value \"h0\"" },
        /* quantity fields the item does not take */
        { "{\"type\":\"seizure\",\"item\":\"drug\",\"subtype\":\"cocaine\",\"grams\":1,\"count\":1}",
          "seizure.count: not taken by item \"drug\"" },
        { "{\"type\":\"seizure\",\"item\":\"firearm\",\"grams\":1}",
          "seizure.grams: not taken by item \"firearm\"" },
        { "{\"type\":\"seizure\",\"item\":\"explosive\",\"grams\":1,\"count\":2}",
          "seizure.count: not taken by item \"explosive\"" },
        { "{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":1,\"currency\":\"EUR\",\"count\":2}",
          "seizure.count: not taken by item \"cash\"" },
        { "{\"type\":\"seizure\",\"item\":\"vehicle\",\"amount\":1}",
          "seizure.amount: not taken by item \"vehicle\"" },
        { "{\"type\":\"seizure\",\"item\":\"document\",\"currency\":\"EUR\"}",
          "seizure.currency: not taken by item \"document\"" },
        { "{\"type\":\"seizure\",\"item\":\"ammunition\",\"subtype\":\"pistol\"}",
          "seizure.subtype: not taken by item \"ammunition\"" },
        { "{\"type\":\"seizure\",\"item\":\"cash\",\"subtype\":\"other\",\"amount\":1,\"currency\":\"EUR\"}",
          "seizure.subtype: not taken by item \"cash\"" },
        /* missing required fields */
        { "{\"type\":\"checks\"}", "checks: at least one of" },
        { "{\"type\":\"hit\"}", "hit.database: required" },
        { "{\"type\":\"hit\",\"count\":2}", "hit.database: required" },
        { "{\"type\":\"seizure\",\"count\":2}", "seizure.item: required" },
        { "{\"type\":\"seizure\",\"subtype\":\"pistol\"}", "seizure.item: required" },
        { "{\"type\":\"seizure\",\"item\":\"drug\",\"subtype\":\"cocaine\"}",
          "seizure.grams: required for item \"drug\"" },
        { "{\"type\":\"seizure\",\"item\":\"drug\",\"grams\":12}",
          "seizure.subtype: required for item \"drug\"" },
        { "{\"type\":\"seizure\",\"item\":\"explosive\"}",
          "seizure.grams: required for item \"explosive\"" },
        { "{\"type\":\"seizure\",\"item\":\"cash\",\"currency\":\"EUR\"}",
          "seizure.amount: required for item \"cash\"" },
        { "{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":5}",
          "seizure.currency: required for item \"cash\"" },
        { "{\"type\":\"arrest\",\"count\":1}", "arrest.charge: required" },
        { "{\"type\":\"detection\"}", "detection.kind: required" },
        { "{\"type\":\"cyber_target\"}", "cyber_target.platform: required" },
        { "{\"type\":\"deployment\"}", "deployment.officers: required" },
        { "{\"type\":\"sitrep\"}", "sitrep.text: required" },
        { "{\"type\":\"correction\"}", "correction.supersedes: required" },
        { "{\"type\":\"correction\",\"supersedes\":0}", "correction.supersedes: required" },
        /* malformed values */
        { "{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":5,\"currency\":\"eur\"}",
          "seizure.currency: must be three upper-case letters" },
        { "{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":5,\"currency\":\"EURO\"}",
          "seizure.currency: must be three upper-case letters" },
        { "{\"type\":\"checks\",\"persons\":1,\"country\":\"de\"}", "country: \"de\" is not two upper-case letters" },
        { "{\"type\":\"checks\",\"persons\":1,\"country\":\"DEU\"}", "country: \"DEU\" is not two" },
        { "{\"type\":\"checks\",\"persons\":1,\"country\":\"\"}", "country: \"\" is not two" },
        { "{\"type\":\"checks\",\"persons\":1,\"time\":\"yesterday\"}", "time: not an RFC 3339 time" },
        { "{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16 07:00:03\"}", "time: not an RFC 3339 time" },
        { "{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16T07:00:03\"}", "time: not an RFC 3339 time" },
        { "{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-13-16T07:00:03Z\"}", "time: not an RFC 3339 time" },
        { "{\"type\":\"checks\",\"persons\":1,\"lat\":90.5}", "lat: must be a number from -90 to 90" },
        { "{\"type\":\"checks\",\"persons\":1,\"lat\":-91}", "lat: must be a number from -90 to 90" },
        { "{\"type\":\"checks\",\"persons\":1,\"lon\":180.01}", "lon: must be a number from -180 to 180" },
        { "{\"type\":\"checks\",\"persons\":1,\"lon\":1e400}", "JSON: " },
        /* corrections */
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"type\":\"correction\",\"supersedes\":2}}",
          "correction.replacement.type: a replacement cannot be a correction" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"type\":\"checks\",\"persons\":1,\"country\":\"DE\"}}",
          "correction.replacement.country: not allowed in a replacement" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16T07:00:03Z\"}}",
          "correction.replacement.time: not allowed in a replacement" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"persons\":1}}",
          "correction.replacement.type: required" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"type\":\"seizure\",\"item\":\"drug\",\"subtype\":\"cocaine\"}}",
          "correction.replacement.seizure.grams: required for item \"drug\"" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"type\":\"hit\",\"databse\":\"sis\"}}",
          "correction.replacement.hit.databse: unknown field" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{\"type\":\"checks\"}}",
          "correction.replacement.checks: at least one of" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"replacement\":{}}",
          "correction.replacement.type: required" },
        { "{\"type\":\"correction\",\"supersedes\":3,\"item\":\"drug\"}",
          "correction.item: unknown field" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        s_bad (cases[i].line, cases[i].want);
}

/* Untrusted text echoed in an error stays on one line and is bounded. */
static void
test_error_quoting (void **state)
{
    (void) state;
    s_bad ("{\"type\":\"a\\nb\\\"c\"}", "type: unknown report type \"a?b?c\"");
    char line[400];
    snprintf (line, sizeof line, "{\"type\":\"hit\",\"database\":\"%0200d\"}", 0);
    char err[256];
    Jad__Report *r = NULL;
    int64_t ms;
    int has_time;
    assert_int_equal (jad_report_json_parse (line, strlen (line), NULL, &r, &ms,
                                             &has_time, err, sizeof err), -1);
    assert_non_null (strstr (err, "...\""));
    assert_true (strlen (err) < 100);
    /* A tiny buffer is still terminated. */
    char small[8];
    assert_int_equal (jad_report_json_parse ("{}", 2, NULL, &r, &ms, &has_time,
                                             small, sizeof small), -1);
    assert_int_equal (strlen (small), 7);
}

/* ---------------------------------------------------------------- strings */

static void
test_strings (void **state)
{
    (void) state;
    /* Tab and any other non-NUL character are allowed in a string, escaped
     * as JSON (RFC 8259) requires for a control character: a raw tab is
     * not JSON. */
    s_bad ("{\"type\":\"sitrep\",\"text\":\"a\tb\"}", "JSON: control character 0x9");
    Jad__Report *r = s_ok ("{\"type\":\"sitrep\",\"text\":\"a\\tb\\tc \\u00e9 \xe2\x82\xac \xf0\x9f\x9a\x93\"}");
    assert_string_equal (r->sitrep->text, "a\tb\tc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x93");
    jad__report__free_unpacked (r, NULL);
    s_ok_free ("{\"type\":\"sitrep\",\"text\":\"quote \\\" backslash \\\\ slash \\/ nl \\n\"}");

    /* Invalid UTF-8: a lone continuation byte, an overlong form, a
     * surrogate, a truncated sequence. */
    s_bad ("{\"type\":\"sitrep\",\"text\":\"\x80\"}", "JSON: ");
    s_bad ("{\"type\":\"sitrep\",\"text\":\"\xc0\xaf\"}", "JSON: ");
    s_bad ("{\"type\":\"sitrep\",\"text\":\"\xed\xa0\x80\"}", "JSON: ");
    s_bad ("{\"type\":\"sitrep\",\"text\":\"\xe2\x82\"}", "JSON: ");
    s_bad ("{\"type\":\"sitrep\",\"text\":\"x\",\"\xff\":1}", "JSON: ");
    /* The message quotes no raw byte of the input. */
    s_bad ("{\"type\":\"sitrep\",\"text\":\"x\"}\xff\xfe", "JSON: ");
    {
        char err[256];
        Jad__Report *r2 = NULL;
        int64_t ms;
        int has_time;
        const char *bad = "{\"type\":\xc3\xa9\x01}";
        assert_int_equal (jad_report_json_parse (bad, strlen (bad), NULL, &r2, &ms,
                                                 &has_time, err, sizeof err), -1);
        for (const char *c = err; *c; c++)
            assert_true ((unsigned char) *c >= 0x20 && (unsigned char) *c < 0x7F);
    }
    /* \u0000 and a raw NUL byte. */
    s_bad ("{\"type\":\"sitrep\",\"text\":\"\\u0000\"}", "JSON: ");
    const char nul[] = "{\"type\":\"sitrep\",\"text\":\"a\0b\"}";
    s_bad_len (nul, sizeof nul - 1, NULL, "JSON: ");
    const char nul2[] = "{\"type\":\"sitrep\",\"text\":\"ab\"}\0";
    s_bad_len (nul2, sizeof nul2 - 1, NULL, "JSON: ");

    /* Sitrep text at and over 4096 bytes. */
    char line[5000];
    int n = snprintf (line, sizeof line, "{\"type\":\"sitrep\",\"text\":\"");
    memset (line + n, 'x', 4096);
    strcpy (line + n + 4096, "\"}");
    s_ok_free (line);
    memset (line + n, 'x', 4097);
    strcpy (line + n + 4097, "\"}");
    s_bad (line, "sitrep.text: longer than 4096 bytes");
    /* 4096 bytes counted as UTF-8 bytes, not characters. */
    n = snprintf (line, sizeof line, "{\"type\":\"sitrep\",\"text\":\"");
    for (int i = 0; i < 2049; i++)
        memcpy (line + n + 2 * i, "\xc3\xa9", 2);
    strcpy (line + n + 2 * 2049, "\"}");
    s_bad (line, "sitrep.text: longer than 4096 bytes");
}

/* ---------------------------------------------------------------- numbers */

static void
test_numbers (void **state)
{
    (void) state;
    Jad__Report *r = s_ok ("{\"type\":\"checks\",\"persons\":0,\"parcels\":9007199254740991}");
    assert_true (r->checks->has_persons);
    assert_int_equal (r->checks->persons, 0);
    assert_int_equal (r->checks->parcels, UINT64_C (9007199254740991));
    assert_false (r->checks->has_vehicles);
    jad__report__free_unpacked (r, NULL);

    /* count absent stays absent (it means 1), present is kept as given. */
    r = s_ok ("{\"type\":\"arrest\",\"charge\":\"other\"}");
    assert_false (r->arrest->has_count);
    jad__report__free_unpacked (r, NULL);
    r = s_ok ("{\"type\":\"arrest\",\"charge\":\"other\",\"count\":1}");
    assert_true (r->arrest->has_count);
    assert_int_equal (r->arrest->count, 1);
    jad__report__free_unpacked (r, NULL);

    /* lat/lon: integers or reals, bounds inclusive. */
    r = s_ok ("{\"type\":\"checks\",\"persons\":1,\"lat\":-90,\"lon\":180}");
    assert_true (r->has_lat && r->has_lon);
    assert_true (r->lat == -90.0 && r->lon == 180.0);
    jad__report__free_unpacked (r, NULL);
    r = s_ok ("{\"type\":\"checks\",\"persons\":1,\"lat\":48.2082,\"lon\":1.6e1}");
    assert_true (r->lat == 48.2082 && r->lon == 16.0);
    jad__report__free_unpacked (r, NULL);
    s_ok_free ("{\"type\":\"checks\",\"persons\":1,\"lat\":0.1,\"lon\":-0.0}");
    s_ok_free ("{\"type\":\"checks\",\"persons\":1,\"lat\":1e-7,\"lon\":179.99999999999997}");
    s_ok_free ("{\"type\":\"checks\",\"persons\":1,\"lat\":33.333333333333336,\"lon\":-0.30000000000000004}");
}

/* ---------------------------------------------------------------- country, time */

static void
test_own_country (void **state)
{
    (void) state;
    Jad__Report *r = s_ok_own ("{\"type\":\"checks\",\"persons\":1,\"country\":\"DE\"}", "DE");
    assert_string_equal (r->country, "DE");
    jad__report__free_unpacked (r, NULL);
    r = s_ok_own ("{\"type\":\"checks\",\"persons\":1}", "DE");
    assert_null (r->country);
    jad__report__free_unpacked (r, NULL);
    const char *fr = "{\"type\":\"checks\",\"persons\":1,\"country\":\"FR\"}";
    s_bad_len (fr, strlen (fr), "DE", "country: \"FR\" is not this agent's country \"DE\"");
    r = s_ok (fr);              /* no own country: anything well-formed */
    jad__report__free_unpacked (r, NULL);
}

static void
test_time (void **state)
{
    (void) state;
    char err[256];
    Jad__Report *r = NULL;
    int64_t ms = 0;
    int has_time = -1;
    const char *a = "{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16T09:00:03+02:00\"}";
    assert_int_equal (jad_report_json_parse (a, strlen (a), NULL, &r, &ms, &has_time,
                                             err, sizeof err), 0);
    assert_int_equal (has_time, 1);
    assert_int_equal (ms, INT64_C (1605510003000));
    char *text = jad_report_json_format (r, has_time, ms);
    assert_string_equal (text, "{\"type\":\"checks\",\"time\":\"2020-11-16T07:00:03Z\",\"persons\":1}");
    free (text);
    jad__report__free_unpacked (r, NULL);

    const char *b = "{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16T02:30:03-04:30\"}";
    assert_int_equal (jad_report_json_parse (b, strlen (b), NULL, &r, &ms, &has_time,
                                             err, sizeof err), 0);
    assert_int_equal (ms, INT64_C (1605510003000));
    jad__report__free_unpacked (r, NULL);

    const char *c = "{\"type\":\"checks\",\"persons\":1}";
    has_time = -1;
    assert_int_equal (jad_report_json_parse (c, strlen (c), NULL, &r, &ms, &has_time,
                                             err, sizeof err), 0);
    assert_int_equal (has_time, 0);
    jad__report__free_unpacked (r, NULL);

    /* Fractions are kept to the millisecond and written back. */
    s_canon ("{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16T07:00:03.250Z\"}",
             "{\"type\":\"checks\",\"time\":\"2020-11-16T07:00:03.250Z\",\"persons\":1}");
    s_ok_free ("{\"type\":\"checks\",\"persons\":1,\"time\":\"2020-11-16T07:00:03.250+01:00\"}");
}

/* ---------------------------------------------------------------- format */

static void
test_canonical_form (void **state)
{
    (void) state;
    s_canon ("{ \"ref\": \"r1\", \"handling\": \"H1\", \"lon\": 16.37, \"lat\": 48.2,"
             " \"location\": \"Wien\", \"count\": 2, \"subtype\": \"pistol\","
             " \"item\": \"firearm\", \"serial\": \"A123\", \"time\": \"2020-11-16T07:00:03Z\","
             " \"country\": \"AT\", \"type\": \"seizure\" }",
             "{\"type\":\"seizure\",\"country\":\"AT\",\"time\":\"2020-11-16T07:00:03Z\","
             "\"item\":\"firearm\",\"subtype\":\"pistol\",\"count\":2,\"serial\":\"A123\","
             "\"location\":\"Wien\",\"lat\":48.2,\"lon\":16.37,\"handling\":\"H1\",\"ref\":\"r1\"}");
    s_canon ("{\"type\":\"checks\",\"persons\":1,\"lat\":48,\"lon\":-0.5}\r",
             "{\"type\":\"checks\",\"persons\":1,\"lat\":48.0,\"lon\":-0.5}");
    s_canon ("{\"db_searches\":5,\"premises\":4,\"parcels\":3,\"vehicles\":2,\"persons\":1,\"type\":\"checks\"}",
             "{\"type\":\"checks\",\"persons\":1,\"vehicles\":2,\"parcels\":3,\"premises\":4,\"db_searches\":5}");
    s_canon ("{\"type\":\"sitrep\",\"text\":\"caf\\u00e9\\t\\\"x\\\"\"}",
             "{\"type\":\"sitrep\",\"text\":\"caf\xc3\xa9\\t\\\"x\\\"\"}");
    s_canon ("{\"type\":\"correction\",\"supersedes\":7,\"country\":\"SE\",\"ref\":\"c1\","
             "\"replacement\":{\"officers\":4,\"type\":\"deployment\",\"location\":\"Malm\xc3\xb6\"}}",
             "{\"type\":\"correction\",\"country\":\"SE\",\"supersedes\":7,"
             "\"replacement\":{\"type\":\"deployment\",\"officers\":4,\"location\":\"Malm\xc3\xb6\"},"
             "\"ref\":\"c1\"}");
}

/* ---------------------------------------------------------------- correction */

static void
test_correction (void **state)
{
    (void) state;
    Jad__Report *r = s_ok ("{\"type\":\"correction\",\"supersedes\":42}");
    assert_int_equal (r->body_case, JAD__REPORT__BODY_CORRECTION);
    assert_int_equal (r->correction->supersedes, 42);
    assert_null (r->correction->replacement);
    jad__report__free_unpacked (r, NULL);

    r = s_ok ("{\"type\":\"correction\",\"country\":\"IT\",\"time\":\"2020-11-16T07:00:03Z\","
              "\"supersedes\":42,\"replacement\":{\"type\":\"seizure\",\"item\":\"drug\","
              "\"subtype\":\"cocaine\",\"grams\":1500,\"lat\":41.9,\"lon\":12.5,\"handling\":\"H1\"}}");
    const Jad__Report *rep = r->correction->replacement;
    assert_non_null (rep);
    assert_null (rep->country);
    assert_int_equal (rep->body_case, JAD__REPORT__BODY_SEIZURE);
    assert_int_equal (rep->seizure->drug_type, JAD__DRUG_TYPE__COCAINE);
    assert_int_equal (rep->seizure->grams, 1500);
    assert_true (rep->lat == 41.9);
    jad__report__free_unpacked (r, NULL);

    /* Every non-correction kind can be a replacement. */
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"checks\",\"persons\":3}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"hit\",\"database\":\"iarms\"}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"arrest\",\"charge\":\"firearms\"}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"detection\",\"kind\":\"forged_document\"}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"cyber_target\",\"platform\":\"marketplace\"}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"investigation\",\"count\":2}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":1,\"replacement\":{\"type\":\"sitrep\",\"text\":\"fixed\"}}");
    s_ok_free ("{\"type\":\"correction\",\"supersedes\":9007199254740991,\"replacement\":"
               "{\"type\":\"seizure\",\"item\":\"cash\",\"amount\":5,\"currency\":\"GBP\",\"ref\":\"r\"}}");
}

/* ---------------------------------------------------------------- 64 KiB */

static void
test_line_limit (void **state)
{
    (void) state;
    size_t max = JAD_REPORT_LINE_MAX;
    char *line = malloc (max + 2);
    assert_non_null (line);
    /* A location that fills the line to exactly 64 KiB is fine... */
    const char *head = "{\"type\":\"checks\",\"persons\":1,\"location\":\"";
    size_t hl = strlen (head);
    memcpy (line, head, hl);
    memset (line + hl, 'y', max - hl - 2);
    memcpy (line + max - 2, "\"}", 2);
    line[max] = '\0';
    Jad__Report *r = NULL;
    int64_t ms;
    int has_time;
    char err[256];
    assert_int_equal (jad_report_json_parse (line, max, NULL, &r, &ms, &has_time,
                                             err, sizeof err), 0);
    jad__report__free_unpacked (r, NULL);
    /* ...and still fine with a trailing CR past the limit?  No: the limit
     * counts every byte the caller passes. */
    line[max] = '\r';
    line[max + 1] = '\0';
    s_bad_len (line, max + 1, NULL, "line: longer than 65536 bytes");
    /* One byte more is refused, whatever it holds. */
    memcpy (line, head, hl);
    memset (line + hl, 'y', max - hl - 1);
    memcpy (line + max - 1, "\"}", 2);
    s_bad_len (line, max + 1, NULL, "line: longer than 65536 bytes");
    /* Refused before LINE is read. */
    s_bad_len (NULL, max + 100, NULL, "line: longer than 65536 bytes");
    free (line);
}

/* ---------------------------------------------------------------- validate */

/* Reports as the hub decodes them from bytes: no JSON to catch anything. */
static void
test_validate_protobuf (void **state)
{
    (void) state;
    char err[256];
    Jad__Report r = JAD__REPORT__INIT;
    Jad__Seizure s = JAD__SEIZURE__INIT;
    Jad__Checks c = JAD__CHECKS__INIT;
    Jad__Hit h = JAD__HIT__INIT;
    Jad__Sitrep sr = JAD__SITREP__INIT;
    Jad__Correction cor = JAD__CORRECTION__INIT;
    Jad__Report inner = JAD__REPORT__INIT;

    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "type: required");

    r.body_case = JAD__REPORT__BODY_SEIZURE;
    r.seizure = &s;
    s.has_item = 1;
    s.item = JAD__ITEM__DRUG;
    s.has_drug_type = 1;
    s.drug_type = JAD__DRUG_TYPE__HEROIN;
    s.has_grams = 1;
    s.grams = 10;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), 0);
    s.has_count = 1;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "seizure.count: not taken by item \"drug\"");
    s.has_count = 0;
    s.has_firearm_type = 1;
    s.firearm_type = JAD__FIREARM_TYPE__PISTOL;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_non_null (strstr (err, "seizure.subtype: "));
    s.has_firearm_type = 0;
    s.drug_type = (Jad__DrugType) 99;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "seizure.subtype: invalid value 99");
    s.drug_type = JAD__DRUG_TYPE__DRUG_TYPE_UNSPECIFIED;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    s.drug_type = JAD__DRUG_TYPE__HEROIN;
    s.grams = JAD_QUANTITY_MAX + 1;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "seizure.grams: must be an integer from 0 to 9007199254740991");
    s.grams = JAD_QUANTITY_MAX;
    s.item = JAD__ITEM__ITEM_UNSPECIFIED;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "seizure.item: invalid value 0");
    s.item = JAD__ITEM__DRUG;
    s.serial = "\xff";
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "seizure.serial: not valid UTF-8");
    s.serial = NULL;

    r.has_lat = 1;
    r.lat = NAN;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "lat: must be a number from -90 to 90");
    r.lat = 10;
    r.has_lon = 1;
    r.lon = INFINITY;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "lon: must be a number from -180 to 180");
    r.lon = -180;
    r.has_handling = 1;
    r.handling = JAD__HANDLING__HANDLING_UNSPECIFIED;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "handling: invalid value 0");
    r.handling = JAD__HANDLING__H3;
    r.country = "D1";
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_non_null (strstr (err, "country: must be two upper-case letters"));
    r.country = "DE";
    r.location = "\xc0\x80";
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "location: not valid UTF-8");
    r.location = NULL;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), 0);

    r.body_case = JAD__REPORT__BODY_CHECKS;
    r.checks = &c;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_non_null (strstr (err, "checks: at least one of"));
    c.has_db_searches = 1;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), 0);

    r.body_case = JAD__REPORT__BODY_HIT;
    r.hit = &h;
    h.has_database = 1;
    h.database = (Jad__Database) 8;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "hit.database: invalid value 8");

    r.body_case = JAD__REPORT__BODY_SITREP;
    r.sitrep = &sr;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "sitrep.text: required");

    /* Corrections: supersedes from 1, replacement one level, no country. */
    r.body_case = JAD__REPORT__BODY_CORRECTION;
    r.correction = &cor;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_non_null (strstr (err, "correction.supersedes: required"));
    cor.has_supersedes = 1;
    cor.supersedes = 5;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), 0);
    cor.replacement = &inner;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "correction.replacement.type: required");
    inner.body_case = JAD__REPORT__BODY_CORRECTION;
    inner.correction = &cor;    /* a cycle, which must not be followed */
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "correction.replacement.type: a replacement cannot be a correction");
    inner.body_case = JAD__REPORT__BODY_CHECKS;
    inner.checks = &c;
    inner.country = "DE";
    assert_int_equal (jad_report_validate (&r, err, sizeof err), -1);
    assert_string_equal (err, "correction.replacement.country: not allowed in a replacement");
    inner.country = NULL;
    assert_int_equal (jad_report_validate (&r, err, sizeof err), 0);

    /* format refuses what does not validate. */
    inner.has_handling = 1;
    inner.handling = (Jad__Handling) 9;
    assert_null (jad_report_json_format (&r, 0, 0));
    inner.has_handling = 0;
    char *text = jad_report_json_format (&r, 0, 0);
    assert_string_equal (text, "{\"type\":\"correction\",\"country\":\"DE\",\"supersedes\":5,"
                         "\"replacement\":{\"type\":\"checks\",\"db_searches\":0},"
                         "\"lat\":10.0,\"lon\":-180.0,\"handling\":\"H3\"}");
    free (text);
}

static void
test_utf8 (void **state)
{
    (void) state;
    assert_true (jad_report_utf8_valid ("", 0));
    assert_true (jad_report_utf8_valid ("abc\t", 4));
    assert_true (jad_report_utf8_valid ("\xc3\xa9\xe2\x82\xac\xf0\x9f\x9a\x93\xf4\x8f\xbf\xbf", 13));
    assert_false (jad_report_utf8_valid ("a\0b", 3));
    assert_false (jad_report_utf8_valid ("\x80", 1));
    assert_false (jad_report_utf8_valid ("\xc1\xbf", 2));           /* overlong */
    assert_false (jad_report_utf8_valid ("\xe0\x80\xaf", 3));       /* overlong */
    assert_false (jad_report_utf8_valid ("\xed\xbf\xbf", 3));       /* surrogate */
    assert_false (jad_report_utf8_valid ("\xf4\x90\x80\x80", 4));   /* > U+10FFFF */
    assert_false (jad_report_utf8_valid ("\xe2\x82", 2));           /* truncated */
    assert_false (jad_report_utf8_valid ("\xe2\x82x", 3));
}

/* ---------------------------------------------------------------- example */

/* Every line of the example operation is accepted and round-trips. */
static void
test_armstrong (void **state)
{
    (void) state;
    FILE *f = fopen ("tests/data/armstrong-vii.jsonl", "r");
    if (!f)
        fail_msg ("tests/data/armstrong-vii.jsonl: run the tests from the repository root");
    jad_lines_t *lines = jad_lines_new (f);
    assert_non_null (lines);
    const char *line;
    size_t len, lineno;
    int too_long, rc;
    size_t n = 0;
    size_t by_type[JAD__REPORT__BODY_CORRECTION + 1] = { 0 };
    while ((rc = jad_lines_next (lines, &line, &len, &lineno, &too_long)) == 1) {
        assert_false (too_long);
        assert_int_equal (strlen (line), len);
        Jad__Report *r = s_ok (line);
        assert_non_null (r->country);
        by_type[r->body_case]++;
        jad__report__free_unpacked (r, NULL);
        n++;
    }
    assert_int_equal (rc, 0);
    assert_int_equal (n, 1644);
    assert_int_equal (by_type[JAD__REPORT__BODY_CHECKS], 1469);
    assert_int_equal (by_type[JAD__REPORT__BODY_SEIZURE], 117);
    assert_int_equal (by_type[JAD__REPORT__BODY_DEPLOYMENT], 50);
    assert_int_equal (by_type[JAD__REPORT__BODY_SITREP], 8);
    jad_lines_destroy (&lines);
    assert_null (lines);
    fclose (f);
}

/* Requests and their acknowledgements: JSON <-> protobuf, and the rules
 * both readers share. */
static void
test_requests (void **state)
{
    (void) state;
    Jad__Report *r = s_ok ("{\"type\":\"request\",\"text\":\"Check lorry NL-123\","
                           "\"to\":[\"HR\",\"RS\"],\"priority\":\"urgent\"}");
    assert_int_equal (r->body_case, JAD__REPORT__BODY_REQUEST);
    assert_string_equal (jad_report_type_name (r), "request");
    assert_false (jad_report_is_intake (r));
    assert_int_equal (r->request->n_to, 2);
    assert_string_equal (r->request->to[1], "RS");
    assert_false (r->request->has_all);
    assert_int_equal (r->request->priority, JAD__PRIORITY__URGENT);
    jad__report__free_unpacked (r, NULL);
    r = s_ok ("{\"type\":\"request\",\"text\":\"all of you\",\"to\":\"all\"}");
    assert_true (r->request->has_all && r->request->all);
    assert_int_equal (r->request->n_to, 0);
    assert_false (r->request->has_priority);    /* absent: routine */
    jad__report__free_unpacked (r, NULL);
    s_canon ("{\"priority\":\"routine\",\"to\":[\"DE\"],\"text\":\"x\",\"type\":\"request\"}",
             "{\"type\":\"request\",\"text\":\"x\",\"to\":[\"DE\"],\"priority\":\"routine\"}");
    s_canon ("{\"to\":\"all\",\"type\":\"request\",\"text\":\"x\"}",
             "{\"type\":\"request\",\"text\":\"x\",\"to\":\"all\"}");

    r = s_ok ("{\"type\":\"request_ack\",\"request_seq\":42,\"text\":\"on it\"}");
    assert_int_equal (r->body_case, JAD__REPORT__BODY_REQUEST_ACK);
    assert_false (jad_report_is_intake (r));
    assert_int_equal (r->request_ack->request_seq, 42);
    jad__report__free_unpacked (r, NULL);
    s_ok_free ("{\"type\":\"request_ack\",\"request_seq\":1}");
    s_ok_free ("{\"type\":\"request_ack\",\"country\":\"DE\",\"request_seq\":7}");

    s_bad ("{\"type\":\"request\",\"to\":\"all\"}", "request.text: required");
    s_bad ("{\"type\":\"request\",\"text\":\"x\"}", "request.to: required");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":[]}", "request.to: required");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":\"DE\"}",
           "request.to: must be an array of country codes or \"all\"");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":7}", "request.to: must be an array");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":[\"DE\",3]}",
           "request.to: element 1 must be a string, not an integer");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":[\"de\"]}",
           "request.to: element 0 is not two upper-case letters");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":[\"DE\",\"FR\",\"DE\"]}",
           "request.to: DE given twice");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":\"all\",\"priority\":\"high\"}",
           "request.priority: unknown value \"high\"");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":\"all\",\"country\":\"DE\"}",
           "country: not allowed in a request");
    s_bad ("{\"type\":\"request\",\"text\":\"x\",\"to\":\"all\",\"all\":true}",
           "request.all: unknown field");
    s_bad ("{\"type\":\"request_ack\"}", "request_ack.request_seq: required");
    s_bad ("{\"type\":\"request_ack\",\"request_seq\":0}", "request_ack.request_seq: required");
    s_bad ("{\"type\":\"request_ack\",\"request_seq\":\"5\"}",
           "request_ack.request_seq: must be an integer");
    s_bad ("{\"type\":\"correction\",\"supersedes\":3,\"replacement\":"
           "{\"type\":\"request\",\"text\":\"x\",\"to\":\"all\"}}",
           "correction.replacement.type: a replacement cannot be a request");
    s_bad ("{\"type\":\"correction\",\"supersedes\":3,\"replacement\":"
           "{\"type\":\"request_ack\",\"request_seq\":2}}",
           "a replacement cannot be a request_ack");
    char line[4200];
    snprintf (line, sizeof line, "{\"type\":\"request\",\"to\":\"all\",\"text\":\"%4097s\"}", "x");
    s_bad (line, "request.text: longer than 4096 bytes");
    snprintf (line, sizeof line, "{\"type\":\"request_ack\",\"request_seq\":1,\"text\":\"%4097s\"}", "x");
    s_bad (line, "request_ack.text: longer than 4096 bytes");

    /* The same rules for a report built in protobuf. */
    char err[256];
    Jad__Report rep = JAD__REPORT__INIT;
    Jad__Request q = JAD__REQUEST__INIT;
    rep.body_case = JAD__REPORT__BODY_REQUEST;
    rep.request = &q;
    q.text = "x";
    q.has_all = 1;
    q.all = 0;
    assert_int_equal (jad_report_validate (&rep, err, sizeof err), -1);
    assert_non_null (strstr (err, "request.to: \"all\" is the only value of all"));
    q.all = 1;
    assert_int_equal (jad_report_validate (&rep, err, sizeof err), 0);
    char *to[] = { "DE" };
    q.to = to;
    q.n_to = 1;
    assert_int_equal (jad_report_validate (&rep, err, sizeof err), -1);
    assert_string_equal (err, "request.to: countries or \"all\", not both");
    q.has_all = 0;
    assert_int_equal (jad_report_validate (&rep, err, sizeof err), 0);
    q.has_priority = 1;
    q.priority = (Jad__Priority) 3;
    assert_int_equal (jad_report_validate (&rep, err, sizeof err), -1);
    assert_string_equal (err, "request.priority: invalid value 3");

    /* Through the wire: a request with its repeated `to` decodes, with no
     * unknown field; a Participants frame with repeated peers too, and an
     * unknown field inside one of its peers is refused. */
    q.has_priority = 0;
    size_t len;
    uint8_t *buf = jad_wire_encode (&rep.base, &len);
    Jad__Report *back = jad_wire_report_decode (buf, len, err, sizeof err);
    assert_non_null (back);
    assert_int_equal (back->request->n_to, 1);
    assert_string_equal (back->request->to[0], "DE");
    jad_wire_free (&back);
    free (buf);

    Jad__Frame frame = JAD__FRAME__INIT;
    Jad__Participants parts = JAD__PARTICIPANTS__INIT;
    Jad__PeerStatus p1 = JAD__PEER_STATUS__INIT, p2 = JAD__PEER_STATUS__INIT;
    Jad__PeerStatus *peers[] = { &p1, &p2 };
    p1.name = "agent-de";
    p1.has_mirror_seq = 1;
    p1.mirror_seq = 9;
    p2.name = "coord";
    frame.has_version = 1;
    frame.version = JAD_SCHEMA_VERSION;
    frame.body_case = JAD__FRAME__BODY_PARTICIPANTS;
    frame.participants = &parts;
    parts.n_peers = 2;
    parts.peers = peers;
    buf = jad_wire_encode (&frame.base, &len);
    jad_frame_t fb;
    jad_peer_status_t peer;
    assert_int_equal (jad_frame_decode (buf, len, &fb, err, sizeof err), JAD_OK);
    assert_int_equal (fb.participants.n_peers, 2);
    assert_int_equal (jad_frame_peer (&fb, 0, &peer), 0);
    assert_int_equal (peer.health.mirror_seq, 9);
    assert_int_equal (jad_frame_peer (&fb, 1, &peer), 0);
    assert_string_equal (peer.name, "coord");
    jad_frame_clear (&fb);
    free (buf);
    /* coord's PeerStatus with field 15 (varint 1) appended: the peer is the
     * last field of the frame, so patch its length and the frame's. */
    p2.name = "c";
    buf = jad_wire_encode (&frame.base, &len);
    uint8_t *big = malloc (len + 2);
    memcpy (big, buf, len);
    /* ... 0x0a LEN_PARTS [0x0a L1 peer1] [0x0a 0x03 0x0a 0x01 'c'] */
    assert_int_equal (big[len - 5], 0x0a);
    assert_int_equal (big[len - 4], 3);
    big[len - 4] = 5;
    big[len] = 15 << 3;
    big[len + 1] = 1;
    /* the Participants length byte: after the version (0x08 0x01), 0x5a */
    assert_int_equal (big[2], (11 << 3) | 2);
    big[3] += 2;
    assert_int_equal (jad_frame_decode (big, len + 2, &fb, err, sizeof err),
                      JAD_EMALFORMED);
    jad_frame_clear (&fb);
    assert_non_null (strstr (err, "unknown fields"));
    free (big);
    free (buf);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_kind),
        cmocka_unit_test (test_every_enum_value),
        cmocka_unit_test (test_rejections),
        cmocka_unit_test (test_error_quoting),
        cmocka_unit_test (test_strings),
        cmocka_unit_test (test_numbers),
        cmocka_unit_test (test_own_country),
        cmocka_unit_test (test_time),
        cmocka_unit_test (test_canonical_form),
        cmocka_unit_test (test_correction),
        cmocka_unit_test (test_line_limit),
        cmocka_unit_test (test_validate_protobuf),
        cmocka_unit_test (test_utf8),
        cmocka_unit_test (test_armstrong),
        cmocka_unit_test (test_requests),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
