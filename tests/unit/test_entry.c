/* Unit tests: lib/entry.c — the country of an entry (the report's own, the
 * origin's from the roster recorded in the journal, "import-CC"), reading
 * in chunks, an entry that does not decode, directories that hold no
 * journal, and peeling an entry in place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "jad/entry.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/roster.h"
#include "jad/wire.h"
#include "testutil.h"


/* An envelope's bytes as a message, structure only (what the code under
 * test wrote is checked field by field below). */
static ProtobufCMessage *
s_envelope_decode (const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    return jad_wire_decode (&jad__envelope__descriptor, buf, len,
                            JAD_ENVELOPE_MAX, err, errlen);
}

static const uint8_t s_opid[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

/* Journal one deployment report from ORIGIN (with COUNTRY, or none), or
 * RAW bytes as the report when RAW is not NULL. */
static void
s_append (jad_journal_t *j, const char *origin, uint64_t seq,
          const char *country, const char *raw)
{
    Jad__Report r = JAD__REPORT__INIT;
    Jad__Deployment d = JAD__DEPLOYMENT__INIT;
    d.has_officers = 1;
    d.officers = seq;
    r.country = (char *) country;
    r.body_case = JAD__REPORT__BODY_DEPLOYMENT;
    r.deployment = &d;
    size_t rlen;
    uint8_t *rbuf = raw ? (uint8_t *) strdup (raw) : jad_wire_encode (&r.base, &rlen);
    if (raw)
        rlen = strlen (raw);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1; env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) s_opid; env.operation_id.len = 16;
    env.origin = (char *) origin;
    env.has_incarnation = 1;
    env.incarnation.data = (uint8_t *) s_inc; env.incarnation.len = 16;
    env.has_origin_seq = 1; env.origin_seq = seq;
    env.has_event_time_ms = 1; env.event_time_ms = 1605510003000 + (int64_t) seq;
    env.has_report = 1; env.report.data = rbuf; env.report.len = rlen;
    size_t len;
    uint8_t *buf = jad_wire_encode (&env.base, &len);
    jad_journal_item_t item = { .origin = origin, .incarnation = s_inc,
                                .origin_seq = seq, .envelope = buf,
                                .envelope_len = len, .received_ms = 1 };
    char err[256];
    assert_int_equal (jad_journal_append (j, &item, 1, err, sizeof err), 0);
    assert_int_equal (item.status, JAD_JOURNAL_NEW);
    free (buf);
    free (rbuf);
}

/* A roster with agent-de (DE) and a coordinator, recorded at 1. */
static void
s_record_roster (jad_journal_t *j, const char *dir)
{
    char err[256], path[512];
    jad_participant_t p[3];
    const char *names[3] = { "hub", "agent-de", "coord" };
    const int roles[3] = { JAD_ROLE_HUB, JAD_ROLE_AGENT, JAD_ROLE_COORDINATOR };
    memset (p, 0, sizeof p);
    for (int i = 0; i < 3; i++) {
        assert_int_equal (jad_keys_generate (names[i], dir, err, sizeof err), 0);
        snprintf (path, sizeof path, "%s/%s.pub", dir, names[i]);
        jad_keys_t *k = jad_keys_load (path, err, sizeof err);
        assert_non_null (k);
        snprintf (p[i].name, sizeof p[i].name, "%s", names[i]);
        p[i].role = roles[i];
        snprintf (p[i].country, sizeof p[i].country, "%s", i == 1 ? "DE" : "");
        snprintf (p[i].public_key, sizeof p[i].public_key, "%s", jad_keys_public (k));
        memcpy (p[i].sign_key, jad_keys_sign_public (k), 32);
        memcpy (p[i].key_id, jad_keys_key_id (k), 8);
        jad_keys_destroy (&k);
    }
    snprintf (path, sizeof path, "%s/roster", dir);
    assert_int_equal (jad_roster_save (path, "Test", s_opid, 1605510000000,
                                       1605600000000, p, 3, err, sizeof err), 0);
    jad_roster_t *roster = jad_roster_load (path, err, sizeof err);
    assert_non_null (roster);
    char *text = jad_roster_format (roster);
    Jad__RosterRecord rec = JAD__ROSTER_RECORD__INIT;
    uint8_t sig[64] = { 0 }, kid[8] = { 0 };
    rec.has_effective_seq = 1; rec.effective_seq = 1;
    rec.has_roster = 1;
    rec.roster.data = (uint8_t *) text; rec.roster.len = strlen (text);
    rec.has_time_ms = 1; rec.time_ms = 1;
    rec.has_key_id = 1; rec.key_id.data = kid; rec.key_id.len = 8;
    rec.has_signature = 1; rec.signature.data = sig; rec.signature.len = 64;
    size_t len;
    uint8_t *buf = jad_wire_encode (&rec.base, &len);
    assert_int_equal (jad_journal_record_put (j, JAD_JOURNAL_ROSTERS, 1, buf, len,
                                              err, sizeof err), 0);
    free (buf);
    free (text);
    jad_roster_destroy (&roster);
}

static void
test_countries (void **state)
{
    const char *dir = jad_test_dir (state);
    char err[512], jdir[512];
    snprintf (jdir, sizeof jdir, "%s/journal", dir);
    jad_journal_t *j = jad_journal_open (jdir, JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    s_record_roster (j, dir);
    s_append (j, "agent-de", 1, NULL, NULL);      /* origin's country */
    s_append (j, "agent-de", 2, "DE", NULL);      /* its own */
    s_append (j, "import-FR", 1, NULL, NULL);     /* an import's origin */
    s_append (j, "coord", 1, NULL, NULL);         /* no country anywhere */
    s_append (j, "import-fr", 2, NULL, NULL);     /* not an import name */
    s_append (j, "agent-de", 3, NULL, "\xff\xff garbage");
    jad_journal_destroy (&j);

    jad_entry_reader_t *reader = jad_entry_reader_new (dir, err, sizeof err);
    assert_non_null (reader);
    assert_non_null (jad_entry_reader_roster_text (reader));
    assert_int_equal (jad_history_size (jad_entry_reader_history (reader)), 1);
    jad_entry_t e[4];
    long n = jad_entry_reader_read (reader, 1, e, 4);
    assert_int_equal (n, 4);
    assert_string_equal (e[0].country, "DE");
    assert_int_equal (e[0].hub_seq, 1);
    assert_string_equal (e[0].origin, "agent-de");
    assert_int_equal (e[0].event_time_ms, 1605510003001);
    assert_string_equal (e[1].country, "DE");
    assert_string_equal (e[2].country, "FR");
    assert_string_equal (e[3].country, "");
    for (int i = 0; i < 4; i++) {
        assert_non_null (e[i].report);
        assert_string_equal (e[i].error, "");
        jad_entry_clear (&e[i]);
    }
    n = jad_entry_reader_read (reader, 5, e, 4);
    assert_int_equal (n, 2);
    assert_string_equal (e[0].country, "");
    assert_null (e[1].report);
    assert_int_equal (e[1].hub_seq, 6);
    assert_true (strncmp (e[1].error, "report: ", 8) == 0);
    jad_entry_clear (&e[0]);
    jad_entry_clear (&e[1]);
    assert_int_equal (jad_entry_reader_read (reader, 7, e, 4), 0);
    assert_int_equal (jad_entry_reader_refresh (reader), 0);
    jad_entry_reader_destroy (&reader);
    assert_null (reader);
    jad_entry_reader_destroy (&reader);     /* safe on NULL */
}

static void
test_no_journal (void **state)
{
    const char *dir = jad_test_dir (state);
    char err[512], path[600];
    snprintf (path, sizeof path, "%s/missing", dir);
    assert_null (jad_entry_reader_new (path, err, sizeof err));
    assert_non_null (strstr (err, "No such file"));
    assert_null (jad_entry_reader_new (dir, err, sizeof err));
    assert_non_null (strstr (err, "no journal"));
    snprintf (path, sizeof path, "%s/file", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fclose (f);
    assert_null (jad_entry_reader_new (path, err, sizeof err));
    assert_non_null (strstr (err, "not a directory"));
}

static void
test_json_string (void **state)
{
    (void) state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    assert_non_null (f);
    jad_entry_json_string (f, "a\"b\\c\n");
    fclose (f);
    assert_string_equal (buf, "\"a\\\"b\\\\c\\u000a\"");
    free (buf);
}

/* ------------------------------------------------------------ peel */

/* An Entry holding ENVELOPE (LEN bytes), packed. */
static uint8_t *
s_entry (const uint8_t *envelope, size_t len, size_t *len_p)
{
    Jad__Entry entry = JAD__ENTRY__INIT;
    entry.has_hub_seq = 1; entry.hub_seq = 9;
    entry.has_epoch = 1; entry.epoch = 2;
    entry.has_received_ms = 1; entry.received_ms = 1605510004000;
    entry.has_envelope = 1;
    entry.envelope.data = (uint8_t *) envelope; entry.envelope.len = len;
    uint8_t hash[32] = { 0 };
    entry.has_prev_hash = 1; entry.prev_hash.data = hash; entry.prev_hash.len = 32;
    return jad_wire_encode (&entry.base, len_p);
}

/* An Envelope from ORIGIN with a report of REPORT_LEN bytes (a sitrep). */
static uint8_t *
s_envelope (const char *origin, size_t report_len, size_t *len_p)
{
    uint8_t *report = calloc (1, report_len);
    assert_non_null (report);
    if (report_len >= 2) {
        report[0] = 0x92; report[1] = 0x01;     /* Report.sitrep (18) ... */
    }
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    uint8_t kid[8] = { 1 }, sig[64] = { 2 };
    env.has_version = 1; env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) s_opid; env.operation_id.len = 16;
    env.origin = (char *) origin;
    env.has_incarnation = 1;
    env.incarnation.data = (uint8_t *) s_inc; env.incarnation.len = 16;
    env.has_origin_seq = 1; env.origin_seq = 77;
    env.has_event_time_ms = 1; env.event_time_ms = 1605510003000;
    env.has_report = 1; env.report.data = report; env.report.len = report_len;
    env.has_key_id = 1; env.key_id.data = kid; env.key_id.len = 8;
    env.has_signature = 1; env.signature.data = sig; env.signature.len = 64;
    uint8_t *buf = jad_wire_encode (&env.base, len_p);
    free (report);
    return buf;
}

static void
test_peel (void **state)
{
    (void) state;
    size_t elen, len;
    uint8_t *env = s_envelope ("agent-de", 5, &elen);
    uint8_t *buf = s_entry (env, elen, &len);
    jad_entry_peel_t p;
    char err[224];
    assert_int_equal (jad_entry_peel (buf, len, &p, err, sizeof err), 0);
    assert_int_equal (p.received_ms, 1605510004000);
    assert_true (p.has_event_time);
    assert_int_equal (p.event_time_ms, 1605510003000);
    assert_int_equal (p.origin_len, 8);
    assert_memory_equal (p.origin, "agent-de", 8);
    assert_int_equal (p.origin_seq, 77);
    assert_int_equal (p.report_len, 5);
    /* The same as unpacking both layers. */
    Jad__Entry *e = jad_wire_entry_decode (buf, len, err, sizeof err);
    assert_non_null (e);
    Jad__Envelope *v = (Jad__Envelope *) s_envelope_decode (e->envelope.data,
                                                 e->envelope.len, err, sizeof err);
    assert_non_null (v);
    assert_int_equal (p.received_ms, e->received_ms);
    assert_int_equal (p.report_len, v->report.len);
    assert_memory_equal (p.report, v->report.data, p.report_len);
    assert_true (p.report >= buf && p.report + p.report_len <= buf + len);
    jad_wire_free (&v);
    jad_wire_free (&e);
    /* Cut anywhere: refused or (at a field boundary) peeled, never read
     * past the cut. */
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *part = malloc (cut ? cut : 1);
        memcpy (part, buf, cut);
        if (jad_entry_peel (part, cut, &p, err, sizeof err) != 0)
            assert_true (strncmp (err, "entry: ", 7) == 0);
        free (part);
    }
    free (buf);

    /* Each layer's errors say which layer. */
    uint8_t twice[600];
    assert_true (elen + 2 <= sizeof twice);
    memcpy (twice, env, elen);
    twice[elen] = 0x28;                     /* origin_seq again */
    twice[elen + 1] = 0x01;
    buf = s_entry (twice, elen + 2, &len);
    assert_int_equal (jad_entry_peel (buf, len, &p, err, sizeof err), -1);
    assert_string_equal (err, "envelope: field 5 (origin_seq): given twice");
    free (buf);
    twice[elen] = 0x50;                     /* field 10 */
    buf = s_entry (twice, elen + 2, &len);
    assert_int_equal (jad_entry_peel (buf, len, &p, err, sizeof err), -1);
    assert_string_equal (err, "envelope: field 10: unknown");
    free (buf);
    const uint8_t no_env[] = { 0x08, 0x01 };
    assert_int_equal (jad_entry_peel (no_env, sizeof no_env, &p, err,
                                      sizeof err), -1);
    assert_string_equal (err, "entry: no envelope");
    const uint8_t entry_twice[] = { 0x08, 0x01, 0x08, 0x01 };
    assert_int_equal (jad_entry_peel (entry_twice, sizeof entry_twice, &p, err,
                                      sizeof err), -1);
    assert_string_equal (err, "entry: field 1 (hub_seq): given twice");
    const uint8_t no_report[] = { 0x22, 0x02, 0x08, 0x01 };
    assert_int_equal (jad_entry_peel (no_report, sizeof no_report, &p, err,
                                      sizeof err), -1);
    assert_string_equal (err, "envelope: no report");
    free (env);

    /* The size limits of each layer, and of the origin. */
    char origin[300];
    memset (origin, 'o', sizeof origin);
    origin[JAD_JOURNAL_ORIGIN_MAX + 1] = 0;
    env = s_envelope (origin, 5, &elen);
    buf = s_entry (env, elen, &len);
    assert_int_equal (jad_entry_peel (buf, len, &p, err, sizeof err), -1);
    assert_string_equal (err, "envelope: origin: not a roster name");
    free (buf);
    free (env);
    env = s_envelope ("a", JAD_REPORT_MAX + 1, &elen);
    buf = s_entry (env, elen, &len);
    assert_int_equal (jad_entry_peel (buf, len, &p, err, sizeof err), -1);
    assert_string_equal (err, "envelope: report too large");
    free (buf);
    free (env);
    uint8_t *big = calloc (1, JAD_FRAME_MAX + 1);
    assert_non_null (big);
    buf = s_entry (big, JAD_ENVELOPE_MAX + 1, &len);
    assert_int_equal (jad_entry_peel (buf, len, &p, err, sizeof err), -1);
    assert_string_equal (err, "entry: envelope too large");
    free (buf);
    assert_int_equal (jad_entry_peel (big, JAD_FRAME_MAX + 1, &p, err,
                                      sizeof err), -1);
    assert_non_null (strstr (err, "over"));
    free (big);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_countries, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_no_journal, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test (test_json_string),
        cmocka_unit_test (test_peel),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
