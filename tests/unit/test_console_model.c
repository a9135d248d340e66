/* Unit tests: console/console_model.c — the console's state, fed entries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "jad/wire.h"
#include "../../console/console_model.h"

/* A packed Entry SEQ holding REPORT, sent by ORIGIN. */
static uint8_t *
s_entry (uint64_t seq, const char *origin, Jad__Report *report, size_t *len_p)
{
    static uint8_t id[16] = { 7 };
    size_t rlen, elen;
    uint8_t *rbuf = jad_wire_encode (&report->base, &rlen);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1; env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1; env.operation_id.data = id; env.operation_id.len = 16;
    env.origin = (char *) origin;
    env.has_incarnation = 1; env.incarnation.data = id; env.incarnation.len = 16;
    env.has_origin_seq = 1; env.origin_seq = seq;
    env.has_event_time_ms = 1; env.event_time_ms = 1605510003000LL + (int64_t) seq;
    env.has_report = 1; env.report.data = rbuf; env.report.len = rlen;
    uint8_t *ebuf = jad_wire_encode (&env.base, &elen);
    Jad__Entry entry = JAD__ENTRY__INIT;
    entry.has_hub_seq = 1; entry.hub_seq = seq;
    entry.has_received_ms = 1; entry.received_ms = 1605510004000LL;
    entry.has_envelope = 1; entry.envelope.data = ebuf; entry.envelope.len = elen;
    uint8_t *buf = jad_wire_encode (&entry.base, len_p);
    free (rbuf);
    free (ebuf);
    return buf;
}

static void
s_feed (jad_model_t *m, uint64_t seq, const char *origin, Jad__Report *r)
{
    size_t len;
    uint8_t *buf = s_entry (seq, origin, r, &len);
    assert_int_equal (jad_model_entry (m, seq, buf, len), 0);
    free (buf);
}

static void
test_totals_and_notes (void **state)
{
    (void) state;
    jad_model_t *m = jad_model_new ();
    assert_non_null (m);

    Jad__Report checks = JAD__REPORT__INIT;
    Jad__Checks c = JAD__CHECKS__INIT;
    c.has_parcels = 1; c.parcels = 100;
    checks.country = "FR";
    checks.body_case = JAD__REPORT__BODY_CHECKS; checks.checks = &c;
    s_feed (m, 1, "agent-fr", &checks);

    Jad__Report seizure = JAD__REPORT__INIT;
    Jad__Seizure s = JAD__SEIZURE__INIT;
    s.has_item = 1; s.item = JAD__ITEM__FIREARM;
    s.has_firearm_type = 1; s.firearm_type = JAD__FIREARM_TYPE__PISTOL;
    s.has_count = 1; s.count = 2;
    seizure.country = "DE";
    seizure.body_case = JAD__REPORT__BODY_SEIZURE; seizure.seizure = &s;
    s_feed (m, 2, "agent-de", &seizure);

    /* an entry that does not decode: counted as bad, head moves on */
    const uint8_t junk[] = { 0xff, 0xff, 0xff };
    assert_int_equal (jad_model_entry (m, 3, junk, sizeof junk), 0);
    assert_int_equal (jad_model_head (m), 3);
    assert_int_equal (jad_model_bad (m), 1);

    json_t *fig = jad_model_figures (m);
    assert_non_null (fig);
    assert_int_equal (json_integer_value (json_object_get (fig, "reports")), 2);
    assert_int_equal (json_integer_value (json_object_get (
        json_object_get (fig, "checks"), "parcels")), 100);
    json_t *firearms = json_object_get (json_object_get (fig, "seizures"), "firearms");
    assert_int_equal (json_integer_value (json_object_get (firearms, "total")), 2);

    jad_model_country_t rows[8];
    size_t n = jad_model_countries (m, fig, rows, 8);
    assert_int_equal (n, 2);
    json_decref (fig);

    /* the seizure is notable, the checks are not */
    int seizures = 0;
    for (size_t i = 0; i < jad_model_notes (m); i++)
        if (strcmp (jad_model_note (m, i)->kind, "seizure") == 0) {
            seizures++;
            assert_string_equal (jad_model_note (m, i)->country, "DE");
        }
    assert_int_equal (seizures, 1);
    assert_true (jad_model_latest_ms (m) >= 1605510003002LL);
    jad_model_destroy (&m);
    assert_null (m);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_totals_and_notes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
