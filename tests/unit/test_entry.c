/* Unit tests: lib/entry.c — the country of an entry (the report's own, the
 * origin's from the roster recorded in the journal, "import-CC"), reading
 * in chunks, an entry that does not decode, and directories that hold no
 * journal. */
#define _XOPEN_SOURCE 700     /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
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

static const uint8_t s_opid[16] = { 0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };

static int
s_rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove (path);
}

static int
s_setup (void **state)
{
    char *dir = strdup ("/tmp/jad-entry-XXXXXX");
    if (!dir || !mkdtemp (dir))
        return -1;
    *state = dir;
    return 0;
}

static int
s_teardown (void **state)
{
    char *dir = *state;
    nftw (dir, s_rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free (dir);
    return 0;
}

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
    const char *dir = *state;
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
    const char *dir = *state;
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

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_countries, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_no_journal, s_setup, s_teardown),
        cmocka_unit_test (test_json_string),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
