/* Unit tests: lib/figures.c — every report kind, corrections with and
 * without replacement (and corrected twice), officers latest by event time
 * with ties by hub_seq, --from/--to, --country, by_* maps with non-zero keys
 * only, and --explain totals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/figures.h"
#include "jad/report_json.h"
#include "jad/timefmt.h"

/* A fake journal: entry SEQ is s_entries[SEQ]. */
#define S_MAX 64
static struct {
    Jad__Report *report;
    char         country[3];
    int64_t      time_ms;
} s_entries[S_MAX];
static uint64_t s_head;
static int s_fetches;

static int
s_fetch (void *arg, uint64_t seq, jad_figures_src_t *src)
{
    (void) arg;
    if (seq == 0)
        return 0;
    s_fetches++;
    if (seq > s_head)
        return 0;
    src->seq = seq;
    memcpy (src->country, s_entries[seq].country, 3);
    src->time_ms = s_entries[seq].time_ms;
    src->report = s_entries[seq].report;
    return 1;
}

static void
s_reset (void)
{
    for (uint64_t i = 1; i <= s_head; i++)
        jad__report__free_unpacked (s_entries[i].report, NULL);
    memset (s_entries, 0, sizeof s_entries);
    s_head = 0;
    s_fetches = 0;
}

/* Journal LINE (a JSON report with country and time) as the next entry and
 * count it. */
static uint64_t
s_feed (jad_figures_t *f, const char *line)
{
    char err[256];
    Jad__Report *r = NULL;
    int64_t t = 0;
    int has_t = 0;
    int rc = jad_report_json_parse (line, strlen (line), NULL, &r, &t, &has_t,
                                    err, sizeof err);
    if (rc != 0)
        fail_msg ("%s: %s", line, err);
    uint64_t seq = ++s_head;
    assert_true (seq < S_MAX);
    s_entries[seq].report = r;
    snprintf (s_entries[seq].country, 3, "%s", r->country ? r->country : "");
    s_entries[seq].time_ms = has_t ? t : 0;
    assert_int_equal (jad_figures_entry (f, seq, s_entries[seq].country,
                                         s_entries[seq].time_ms, r, s_fetch, NULL), 0);
    return seq;
}

/* The integer at PATH of the figures; -1 when absent, -2 when not an int. */
static long long
s_at (const json_t *fig, const char *path)
{
    char buf[256];
    snprintf (buf, sizeof buf, "%s", path);
    const json_t *v = fig;
    for (char *k = strtok (buf, "."); k && v; k = strtok (NULL, "."))
        v = json_object_get (v, k);
    if (!v)
        return -1;
    return json_is_integer (v) ? json_integer_value (v) : -2;
}

static json_t *
s_json (jad_figures_t *f)
{
    json_t *fig = jad_figures_json (f, "Test");
    assert_non_null (fig);
    return fig;
}

#define T(s) "\"time\":\"2020-11-16T" s "Z\""

static void
test_every_kind (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("08:00:00") ",\"persons\":10,"
               "\"vehicles\":2,\"parcels\":3,\"premises\":4,\"db_searches\":50}");
    s_feed (f, "{\"type\":\"hit\",\"country\":\"DE\"," T("08:00:01") ",\"database\":\"sis\",\"count\":3}");
    s_feed (f, "{\"type\":\"hit\",\"country\":\"FR\"," T("08:00:02") ",\"database\":\"sltd\"}");
    s_feed (f, "{\"type\":\"arrest\",\"country\":\"FR\"," T("08:00:03") ",\"charge\":\"terrorism\",\"count\":2}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:04") ",\"item\":\"firearm\",\"subtype\":\"pistol\",\"count\":2}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:05") ",\"item\":\"firearm\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:06") ",\"item\":\"firearm_part\",\"count\":5}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:07") ",\"item\":\"ammunition\",\"count\":100}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:08") ",\"item\":\"grenade\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:09") ",\"item\":\"explosive\",\"grams\":250}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:10") ",\"item\":\"other_weapon\",\"count\":3}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:11") ",\"item\":\"drug\",\"subtype\":\"cocaine\",\"grams\":626000}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"FR\"," T("08:00:12") ",\"item\":\"drug\",\"subtype\":\"heroin\",\"grams\":5}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:13") ",\"item\":\"cash\",\"amount\":1000,\"currency\":\"EUR\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"FR\"," T("08:00:14") ",\"item\":\"cash\",\"amount\":500,\"currency\":\"EUR\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"FR\"," T("08:00:15") ",\"item\":\"cash\",\"amount\":7,\"currency\":\"USD\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:16") ",\"item\":\"vehicle\",\"count\":2}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:17") ",\"item\":\"document\"}");
    s_feed (f, "{\"type\":\"detection\",\"country\":\"FR\"," T("08:00:18") ",\"kind\":\"illegal_entry\",\"count\":4}");
    s_feed (f, "{\"type\":\"detection\",\"country\":\"FR\"," T("08:00:19") ",\"kind\":\"forged_document\"}");
    s_feed (f, "{\"type\":\"cyber_target\",\"country\":\"FR\"," T("08:00:20") ",\"platform\":\"dark_web\",\"count\":4}");
    s_feed (f, "{\"type\":\"investigation\",\"country\":\"FR\"," T("08:00:21") "}");
    s_feed (f, "{\"type\":\"investigation\",\"country\":\"FR\"," T("08:00:22") ",\"count\":0}");
    s_feed (f, "{\"type\":\"deployment\",\"country\":\"DE\"," T("07:00:00") ",\"officers\":30}");
    s_feed (f, "{\"type\":\"sitrep\",\"country\":\"DE\"," T("09:30:00.250") ",\"text\":\"quiet\"}");
    /* a report without a country counts in totals only */
    s_feed (f, "{\"type\":\"checks\"," T("08:30:00") ",\"persons\":1}");
    json_t *fig = s_json (f);
    assert_int_equal (s_at (fig, "reports"), 26);
    assert_int_equal (s_at (fig, "countries"), 2);
    assert_int_equal (json_object_size (json_object_get (fig, "by_country")), 2);
    assert_string_equal (json_string_value (json_object_get (fig, "first_event")),
                         "2020-11-16T07:00:00Z");
    assert_string_equal (json_string_value (json_object_get (fig, "last_event")),
                         "2020-11-16T09:30:00.250Z");
    assert_int_equal (s_at (fig, "officers"), 30);
    assert_int_equal (s_at (fig, "checks.persons"), 11);
    assert_int_equal (s_at (fig, "checks.entities"), 11 + 2 + 3 + 4);
    assert_int_equal (s_at (fig, "checks.db_searches"), 50);
    assert_int_equal (s_at (fig, "hits.total"), 4);
    assert_int_equal (s_at (fig, "hits.by_database.sis"), 3);
    assert_int_equal (s_at (fig, "hits.by_database.sltd"), 1);
    /* by_* maps list the non-zero keys only */
    assert_int_equal (s_at (fig, "hits.by_database.iarms"), -1);
    assert_int_equal (json_object_size (json_object_get (json_object_get (fig, "hits"),
                                                         "by_database")), 2);
    assert_int_equal (s_at (fig, "arrests.total"), 2);
    assert_int_equal (s_at (fig, "arrests.by_charge.terrorism"), 2);
    assert_int_equal (s_at (fig, "seizures.firearms.total"), 3);
    assert_int_equal (s_at (fig, "seizures.firearms.by_type.pistol"), 2);
    assert_int_equal (s_at (fig, "seizures.firearm_parts"), 5);
    assert_int_equal (s_at (fig, "seizures.ammunition"), 100);
    assert_int_equal (s_at (fig, "seizures.grenades"), 1);
    assert_int_equal (s_at (fig, "seizures.explosives_grams"), 250);
    assert_int_equal (s_at (fig, "seizures.other_weapons"), 3);
    assert_int_equal (s_at (fig, "seizures.drugs_grams.total"), 626005);
    assert_int_equal (s_at (fig, "seizures.drugs_grams.by_type.cocaine"), 626000);
    assert_int_equal (s_at (fig, "seizures.drugs_grams.by_type.heroin"), 5);
    assert_int_equal (s_at (fig, "seizures.cash.EUR"), 1500);
    assert_int_equal (s_at (fig, "seizures.cash.USD"), 7);
    assert_int_equal (s_at (fig, "seizures.vehicles"), 2);
    assert_int_equal (s_at (fig, "seizures.documents"), 1);
    assert_int_equal (s_at (fig, "detections.illegal_entry"), 4);
    assert_int_equal (s_at (fig, "detections.forged_document"), 1);
    assert_int_equal (s_at (fig, "cyber_targets.total"), 4);
    assert_int_equal (s_at (fig, "cyber_targets.by_platform.dark_web"), 4);
    assert_int_equal (s_at (fig, "investigations"), 1);
    assert_int_equal (s_at (fig, "by_country.DE.checks.persons"), 10);
    assert_int_equal (s_at (fig, "by_country.DE.officers"), 30);
    assert_int_equal (s_at (fig, "by_country.FR.officers"), 0);
    assert_int_equal (s_at (fig, "by_country.FR.seizures.cash.EUR"), 500);
    assert_int_equal (s_at (fig, "by_country.FR.seizures.firearms.total"), 0);
    assert_int_equal (s_at (fig, "by_country.FR.reports"), -1);   /* not a country key */
    json_decref (fig);
    jad_figures_destroy (&f);
    assert_null (f);
    jad_figures_destroy (&f);
    s_reset ();
}

static void
test_empty (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    /* neither a correction of nothing nor a sitrep-less journal breaks it */
    json_t *fig = s_json (f);
    assert_true (json_is_null (json_object_get (fig, "first_event")));
    assert_int_equal (s_at (fig, "reports"), 0);
    assert_int_equal (s_at (fig, "countries"), 0);
    assert_int_equal (s_at (fig, "seizures.firearms.total"), 0);
    assert_int_equal (json_object_size (json_object_get (fig, "by_country")), 0);
    static const char *keys[] = { "operation", "first_event", "last_event", "reports",
        "countries", "officers", "checks", "hits", "arrests", "seizures", "detections",
        "cyber_targets", "investigations", "by_country" };
    assert_int_equal (json_object_size (fig), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null (json_object_get (fig, keys[i]));
    json_decref (fig);
    jad_figures_destroy (&f);
}

static void
test_corrections (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    uint64_t a = s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:00")
                            ",\"item\":\"firearm\",\"subtype\":\"pistol\",\"count\":2}");
    uint64_t b = s_feed (f, "{\"type\":\"arrest\",\"country\":\"DE\"," T("09:00:00")
                            ",\"charge\":\"firearms\",\"count\":3}");
    s_feed (f, "{\"type\":\"checks\",\"country\":\"FR\"," T("10:00:00") ",\"persons\":7}");
    char line[256];
    /* a: replaced by a rifle, then by a revolver (the later correction wins) */
    snprintf (line, sizeof line, "{\"type\":\"correction\",\"country\":\"DE\"," T("12:00:00")
              ",\"supersedes\":%llu,\"replacement\":{\"type\":\"seizure\",\"item\":\"firearm\","
              "\"subtype\":\"rifle\",\"count\":1}}", (unsigned long long) a);
    uint64_t c1 = s_feed (f, line);
    snprintf (line, sizeof line, "{\"type\":\"correction\",\"country\":\"DE\"," T("13:00:00")
              ",\"supersedes\":%llu,\"replacement\":{\"type\":\"seizure\",\"item\":\"firearm\","
              "\"subtype\":\"revolver\",\"count\":4}}", (unsigned long long) a);
    uint64_t c2 = s_feed (f, line);
    /* b: withdrawn */
    snprintf (line, sizeof line, "{\"type\":\"correction\",\"country\":\"DE\"," T("14:00:00")
              ",\"supersedes\":%llu}", (unsigned long long) b);
    s_feed (f, line);
    /* ignored: another country's report, a later entry, a correction */
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("15:00:00") ",\"supersedes\":3}");
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("15:00:00") ",\"supersedes\":60}");
    snprintf (line, sizeof line, "{\"type\":\"correction\",\"country\":\"DE\"," T("16:00:00")
              ",\"supersedes\":%llu}", (unsigned long long) c1);
    s_feed (f, line);
    assert_true (c2 > c1);
    json_t *fig = s_json (f);
    assert_int_equal (s_at (fig, "reports"), 2);     /* a (as replaced) and FR's */
    assert_int_equal (s_at (fig, "countries"), 2);
    assert_int_equal (s_at (fig, "seizures.firearms.total"), 4);
    assert_int_equal (s_at (fig, "seizures.firearms.by_type.revolver"), 4);
    assert_int_equal (s_at (fig, "seizures.firearms.by_type.pistol"), -1);   /* only non-zero */
    assert_int_equal (s_at (fig, "seizures.firearms.by_type.rifle"), -1);
    assert_int_equal (s_at (fig, "arrests.total"), 0);
    assert_int_equal (json_object_size (json_object_get (json_object_get (fig, "arrests"),
                                                         "by_charge")), 0);
    assert_int_equal (s_at (fig, "by_country.FR.checks.persons"), 7);
    assert_int_equal (s_at (fig, "by_country.DE.seizures.firearms.total"), 4);
    json_decref (fig);
    jad_figures_destroy (&f);
    s_reset ();

    /* the replacement keeps the superseded report's time: outside --to,
     * correcting it changes nothing */
    f = jad_figures_new ();
    int64_t to;
    assert_int_equal (jad_time_parse ("2020-11-16T08:30:00Z", &to), 0);
    jad_figures_set_range (f, INT64_MIN, to);
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("09:00:00") ",\"persons\":5}");
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("08:00:00") ",\"persons\":1}");
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("10:00:00") ",\"supersedes\":1,"
               "\"replacement\":{\"type\":\"checks\",\"persons\":50}}");
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("10:00:00") ",\"supersedes\":2,"
               "\"replacement\":{\"type\":\"checks\",\"persons\":20}}");
    fig = s_json (f);
    assert_int_equal (s_at (fig, "checks.persons"), 20);
    assert_int_equal (s_at (fig, "reports"), 1);
    json_decref (fig);
    jad_figures_destroy (&f);
    s_reset ();
}

static void
test_officers (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    s_feed (f, "{\"type\":\"deployment\",\"country\":\"DE\"," T("08:00:00") ",\"officers\":10}");
    s_feed (f, "{\"type\":\"deployment\",\"country\":\"DE\"," T("12:00:00") ",\"officers\":30}");
    /* reported later, about an earlier time: not the latest */
    s_feed (f, "{\"type\":\"deployment\",\"country\":\"DE\"," T("09:00:00") ",\"officers\":20}");
    /* a tie on time: the higher hub_seq wins */
    s_feed (f, "{\"type\":\"deployment\",\"country\":\"FR\"," T("10:00:00") ",\"officers\":5}");
    s_feed (f, "{\"type\":\"deployment\",\"country\":\"FR\"," T("10:00:00") ",\"officers\":6}");
    json_t *fig = s_json (f);
    assert_int_equal (s_at (fig, "by_country.DE.officers"), 30);
    assert_int_equal (s_at (fig, "by_country.FR.officers"), 6);
    assert_int_equal (s_at (fig, "officers"), 36);
    json_decref (fig);

    /* explain officers: the deployments in force */
    jad_figures_destroy (&f);
    uint64_t head = s_head;
    f = jad_figures_new ();
    jad_figures_set_explain (f, "officers");
    for (uint64_t i = 1; i <= head; i++)
        assert_int_equal (jad_figures_entry (f, i, s_entries[i].country,
                          s_entries[i].time_ms, s_entries[i].report, s_fetch, NULL), 0);
    fig = s_json (f);
    char err[256];
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), 0);
    assert_int_equal (jad_figures_explain_size (f), 2);
    assert_int_equal (jad_figures_explain_at (f, 0)->seq, 2);
    assert_int_equal (jad_figures_explain_at (f, 1)->seq, 5);
    assert_int_equal (jad_figures_explain_total (f), 36);
    json_decref (fig);
    jad_figures_destroy (&f);

    /* --to: the latest at or before it; withdrawing it falls back */
    f = jad_figures_new ();
    int64_t to;
    assert_int_equal (jad_time_parse ("2020-11-16T11:00:00Z", &to), 0);
    jad_figures_set_range (f, INT64_MIN, to);
    for (uint64_t i = 1; i <= head; i++)
        assert_int_equal (jad_figures_entry (f, i, s_entries[i].country,
                          s_entries[i].time_ms, s_entries[i].report, s_fetch, NULL), 0);
    s_feed (f, "{\"type\":\"correction\",\"country\":\"FR\"," T("13:00:00") ",\"supersedes\":5}");
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("13:00:00") ",\"supersedes\":3,"
               "\"replacement\":{\"type\":\"deployment\",\"officers\":25}}");
    fig = s_json (f);
    assert_int_equal (s_at (fig, "by_country.DE.officers"), 25);
    assert_int_equal (s_at (fig, "by_country.FR.officers"), 5);
    assert_int_equal (s_at (fig, "officers"), 30);
    json_decref (fig);
    jad_figures_destroy (&f);
    s_reset ();
}

static void
test_range_and_country (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    int64_t from, to;
    assert_int_equal (jad_time_parse ("2020-11-16T08:00:00Z", &from), 0);
    assert_int_equal (jad_time_parse ("2020-11-16T09:00:00Z", &to), 0);
    jad_figures_set_range (f, from, to);
    assert_int_equal (jad_figures_set_country (f, "de"), -1);
    assert_int_equal (jad_figures_set_country (f, "DE"), 0);
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("07:59:59.999") ",\"persons\":1}");
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("08:00:00") ",\"persons\":2}");
    s_feed (f, "{\"type\":\"checks\",\"country\":\"FR\"," T("08:30:00") ",\"persons\":4}");
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("09:00:00") ",\"persons\":8}");
    s_feed (f, "{\"type\":\"checks\",\"country\":\"DE\"," T("09:00:00.001") ",\"persons\":16}");
    json_t *fig = s_json (f);
    assert_int_equal (s_at (fig, "checks.persons"), 10);
    assert_int_equal (s_at (fig, "reports"), 2);
    assert_int_equal (s_at (fig, "countries"), 1);
    assert_int_equal (s_at (fig, "by_country.FR.checks.persons"), -1);
    assert_string_equal (json_string_value (json_object_get (fig, "first_event")),
                         "2020-11-16T08:00:00Z");
    assert_string_equal (json_string_value (json_object_get (fig, "last_event")),
                         "2020-11-16T09:00:00Z");
    json_decref (fig);
    jad_figures_destroy (&f);
    s_reset ();
}

static void
test_explain (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    jad_figures_set_explain (f, "seizures.firearms.by_type.pistol");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:00") ",\"item\":\"firearm\",\"subtype\":\"pistol\",\"count\":2}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"FR\"," T("08:00:01") ",\"item\":\"firearm\",\"subtype\":\"rifle\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"FR\"," T("08:00:02") ",\"item\":\"firearm\",\"subtype\":\"pistol\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("08:00:03") ",\"item\":\"firearm\",\"subtype\":\"pistol\"}");
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("09:00:00") ",\"supersedes\":1,"
               "\"replacement\":{\"type\":\"seizure\",\"item\":\"firearm\",\"subtype\":\"pistol\",\"count\":5}}");
    s_feed (f, "{\"type\":\"correction\",\"country\":\"DE\"," T("09:00:00") ",\"supersedes\":4}");
    json_t *fig = s_json (f);
    char err[256];
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), 0);
    assert_int_equal (jad_figures_explain_size (f), 2);
    const jad_figures_item_t *it = jad_figures_explain_at (f, 0);
    assert_int_equal (it->seq, 1);
    assert_int_equal (it->via, 5);
    assert_int_equal (it->value, 5);
    assert_string_equal (it->country, "DE");
    assert_int_equal (jad_figures_explain_at (f, 1)->seq, 3);
    assert_int_equal (jad_figures_explain_total (f),
                      s_at (fig, "seizures.firearms.by_type.pistol"));
    assert_int_equal (jad_figures_explain_total (f), 6);
    /* paths that name no sum are refused */
    jad_figures_set_explain (f, "countries");
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), -1);
    jad_figures_set_explain (f, "seizures.firearms.by_type.banana");
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), -1);
    jad_figures_set_explain (f, "first_event");
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), -1);
    /* a map key with nothing counted, a country that sent nothing: zero */
    jad_figures_set_explain (f, "hits.by_database.sis");
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), 0);
    jad_figures_set_explain (f, "by_country.XK.checks.persons");
    assert_int_equal (jad_figures_explain_finish (f, fig, err, sizeof err), 0);
    json_decref (fig);
    jad_figures_destroy (&f);
    s_reset ();
}

static void
test_hours (void **state)
{
    (void) state;
    jad_figures_t *f = jad_figures_new ();
    s_feed (f, "{\"type\":\"hit\",\"country\":\"DE\"," T("10:10:00") ",\"database\":\"sis\",\"count\":3}");
    s_feed (f, "{\"type\":\"arrest\",\"country\":\"DE\"," T("08:59:59") ",\"charge\":\"firearms\"}");
    s_feed (f, "{\"type\":\"seizure\",\"country\":\"DE\"," T("10:00:00") ",\"item\":\"grenade\"}");
    assert_int_equal (jad_figures_hours (f), 3);
    uint64_t h, s, a;
    jad_figures_hour (f, 0, &h, &s, &a);
    assert_true (h == 0 && s == 0 && a == 1);
    jad_figures_hour (f, 2, &h, &s, &a);
    assert_true (h == 3 && s == 1 && a == 0);
    char t[JAD_TIME_STRLEN];
    jad_time_format (jad_figures_hour0_ms (f), t);
    assert_string_equal (t, "2020-11-16T08:00:00Z");
    jad_figures_destroy (&f);
    s_reset ();
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_every_kind),
        cmocka_unit_test (test_empty),
        cmocka_unit_test (test_corrections),
        cmocka_unit_test (test_officers),
        cmocka_unit_test (test_range_and_country),
        cmocka_unit_test (test_explain),
        cmocka_unit_test (test_hours),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
