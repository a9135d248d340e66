/* Unit tests: console/console_model.c — the console's state, fed entries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "jad/keys.h"
#include "jad/wire.h"
#include "../../console/console_model.h"
#include "testutil.h"

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

/* The public keys of a new participant NAME, as a roster line's last
 * three fields, into LINE. */
static void
s_keys (void **state, const char *name, char *line, size_t linelen)
{
    char err[256], hex[65], id[17];
    assert_int_equal (jad_keys_generate (name, jad_test_dir (state), err,
                                         sizeof err), 0);
    char path[600];
    snprintf (path, sizeof path, "%s.pub", jad_test_path (state, name));
    jad_keys_t *k = jad_keys_load (path, err, sizeof err);
    assert_non_null (k);
    sodium_bin2hex (hex, sizeof hex, jad_keys_sign_public (k), 32);
    sodium_bin2hex (id, sizeof id, jad_keys_key_id (k), 8);
    snprintf (line, linelen, "%s %s %s", jad_keys_public (k), hex, id);
    jad_keys_destroy (&k);
}

/* A RosterRecord (unsigned: the console does not verify) of a roster
 * named OPERATION where agent-x is of COUNTRY, from SEQ. */
static uint8_t *
s_roster (const char *hub, const char *agent, const char *operation,
          const char *country, uint64_t seq, size_t *len_p)
{
    char text[1024];
    snprintf (text, sizeof text, "operation     %s\n"
              "operation_id  0700000000000000000000000000000a\n"
              "start         2020-11-16T07:00:00Z\n"
              "end           2020-11-21T07:00:00Z\n"
              "participant   hub hub - %s\n"
              "participant   agent-x agent %s %s\n", operation, hub, country,
              agent);
    uint8_t kid[8] = { 0 }, sig[64] = { 0 };
    Jad__RosterRecord rec = JAD__ROSTER_RECORD__INIT;
    rec.has_effective_seq = 1; rec.effective_seq = seq;
    rec.has_roster = 1;
    rec.roster.data = (uint8_t *) text; rec.roster.len = strlen (text);
    rec.has_time_ms = 1; rec.time_ms = 1;
    rec.has_key_id = 1; rec.key_id.data = kid; rec.key_id.len = 8;
    rec.has_signature = 1; rec.signature.data = sig; rec.signature.len = 64;
    return jad_wire_encode (&rec.base, len_p);
}

/* 300 recorded rosters (the console used to keep 256, dropping the
 * oldest), received newest first: each entry counts for the country the
 * roster of its time gives its origin, and the operation is the last
 * roster's. */
static void
test_rosters (void **state)
{
    char hub[200], agent[200], err[256], op[32], cc[3];
    s_keys (state, "hub", hub, sizeof hub);
    s_keys (state, "agent-x", agent, sizeof agent);
    jad_model_t *m = jad_model_new ();
    assert_non_null (m);
    assert_string_equal (jad_model_operation (m), "");
    assert_null (jad_model_operation_id (m));
    for (int k = 299; k >= 0; k--) {
        snprintf (op, sizeof op, "Op %d", k);
        snprintf (cc, sizeof cc, "%c%c", 'A' + k % 26, 'A' + k / 26);
        size_t len;
        uint8_t *buf = s_roster (hub, agent, op, cc, 1 + 10 * (uint64_t) k, &len);
        if (jad_model_roster (m, buf, len, err, sizeof err) != 0)
            fail_msg ("%s", err);
        free (buf);
    }
    assert_string_equal (jad_model_operation (m), "Op 299");
    assert_int_equal (jad_model_start_ms (m), 1605510000000LL);
    assert_non_null (jad_model_operation_id (m));
    assert_int_equal (jad_model_operation_id (m)[0], 7);
    /* A record that does not decode changes nothing. */
    const uint8_t junk[] = { 0x08 };
    assert_int_equal (jad_model_roster (m, junk, sizeof junk, err, sizeof err), -1);

    /* Entries 1 (roster 0: AA), 11 (roster 1: BA), 2991 (roster 299: NL). */
    Jad__Report dep = JAD__REPORT__INIT;
    Jad__Deployment d = JAD__DEPLOYMENT__INIT;
    d.has_officers = 1; d.officers = 1;
    dep.body_case = JAD__REPORT__BODY_DEPLOYMENT; dep.deployment = &d;
    Jad__Report sitrep = JAD__REPORT__INIT;
    Jad__Sitrep st = JAD__SITREP__INIT;
    st.text = "calm";
    sitrep.body_case = JAD__REPORT__BODY_SITREP; sitrep.sitrep = &st;
    s_feed (m, 1, "agent-x", &sitrep);
    for (uint64_t seq = 2; seq < 2991; seq++)
        s_feed (m, seq, "agent-x", seq == 11 ? &sitrep : &dep);
    s_feed (m, 2991, "agent-x", &sitrep);
    const char *want[] = { "AA", "BA", "NL" };
    size_t n = 0;
    for (size_t i = 0; i < jad_model_notes (m); i++) {
        const jad_model_note_t *note = jad_model_note (m, i);
        assert_true (n < 3);
        assert_string_equal (note->country, want[n]);
        n++;
    }
    assert_int_equal (n, 3);
    json_t *fig = jad_model_figures (m);
    assert_string_equal (json_string_value (json_object_get (fig, "operation")),
                         "Op 299");
    json_decref (fig);
    jad_model_destroy (&m);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_totals_and_notes),
        cmocka_unit_test_setup_teardown (test_rosters, jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
