/* Unit tests: lib/roster.c — the shipped sample parses, every rejection
 * names its line, lookups by key and name, and save -> load round trips. */
#define _XOPEN_SOURCE 700     /* nftw */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad/roster.h"
#include "jad/timefmt.h"

#define SAMPLE "deploy/examples/roster.sample"

/* Keys from the sample (agent-de's contains '#'). */
#define K_HUB  "@j7bD@I:UJqR.{g?M%iqR*K=uf^N3pZw3mb-a*v%"
#define K_DE   "=wO7(8P>H]mu#r9q}Ku5xz!PYvZ3/nKM80APHY-7"
#define K_FR   "{u<!l:WoLVM<x]bUJFQTo*g<K)nsn726jyhg$:=l"
#define K_OBS  "3kjJV)sFLBPd878k[uM.m$R00Yv.SKSJ8ZCnL$r}"

/* Lines 1-4; participants start on line 5. */
#define HEADER "operation     Test Op\n" \
               "operation_id  00112233445566778899aabbccddeeff\n" \
               "start         2020-11-16T07:00:00Z\n" \
               "end           2020-11-21T07:00:00Z\n"
#define P_HUB  "participant hub hub - " K_HUB "\n"
#define P_DE   "participant agent-de agent DE " K_DE "\n"

/* ------------------------------------------------------------ helpers */

static int
s_rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st, (void) flag, (void) ftw;
    return remove (path);
}

static int
s_setup (void **state)
{
    char *dir = strdup ("/tmp/jad-roster-XXXXXX");
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

/* Write TEXT as DIR/roster and load it. */
static jad_roster_t *
s_load_text (const char *dir, const char *text, char *err, size_t errlen)
{
    char path [512];
    snprintf (path, sizeof path, "%s/roster", dir);
    FILE *f = fopen (path, "w");
    assert_non_null (f);
    fputs (text, f);
    assert_int_equal (fclose (f), 0);
    return jad_roster_load (path, err, errlen);
}

/* TEXT must be refused with "DIR/roster:LINE: ...WHY..." (or, with LINE 0,
 * "DIR/roster: ...WHY..."). */
static void
s_expect_reject (const char *dir, const char *text, int line, const char *why)
{
    char err [512] = "", prefix [600];
    jad_roster_t *roster = s_load_text (dir, text, err, sizeof err);
    if (roster) {
        jad_roster_destroy (&roster);
        fail_msg ("accepted, expected '%s'", why);
    }
    if (line)
        snprintf (prefix, sizeof prefix, "%s/roster:%d: ", dir, line);
    else
        snprintf (prefix, sizeof prefix, "%s/roster: ", dir);
    if (strncmp (err, prefix, strlen (prefix)) != 0 || !strstr (err, why))
        fail_msg ("got '%s', expected '%s' ... '%s'", err, prefix, why);
}

/* ------------------------------------------------------------ tests */

static void
test_sample_parses (void **state)
{
    (void) state;
    char err [512];
    jad_roster_t *roster = jad_roster_load (SAMPLE, err, sizeof err);
    if (!roster)
        fail_msg ("%s", err);
    assert_string_equal (jad_roster_operation (roster), "Armstrong VII");
    static const uint8_t id [16] = { 0x6c, 0x1e, 0x57, 0x0a, 0x11, 0x66, 0x40,
        0x9c, 0x69, 0x42, 0xc7, 0x90, 0x91, 0x0b, 0x9c, 0xb1 };
    assert_memory_equal (jad_roster_id (roster), id, 16);
    int64_t start, end;
    assert_int_equal (jad_time_parse ("2020-11-16T07:00:00Z", &start), 0);
    assert_int_equal (jad_time_parse ("2020-11-21T07:00:00Z", &end), 0);
    assert_int_equal (jad_roster_start_ms (roster), start);
    assert_int_equal (jad_roster_end_ms (roster), end);
    assert_int_equal (jad_roster_size (roster), 7);

    const jad_participant_t *p = jad_roster_at (roster, 0);
    assert_string_equal (p->name, "hub");
    assert_int_equal (p->role, JAD_ROLE_HUB);
    assert_string_equal (p->country, "");
    assert_string_equal (p->public_key, K_HUB);
    assert_ptr_equal (jad_roster_hub (roster), p);
    assert_null (jad_roster_at (roster, 7));

    /* A key with '#' in it is a key, not a comment. */
    p = jad_roster_find_key (roster, K_DE);
    assert_non_null (p);
    assert_string_equal (p->name, "agent-de");
    assert_int_equal (p->role, JAD_ROLE_AGENT);
    assert_string_equal (p->country, "DE");
    assert_ptr_equal (jad_roster_find_name (roster, "agent-de"), p);

    p = jad_roster_find_name (roster, "europol");
    assert_non_null (p);
    assert_int_equal (p->role, JAD_ROLE_COORDINATOR);
    assert_string_equal (p->country, "");
    p = jad_roster_find_key (roster, K_OBS);
    assert_non_null (p);
    assert_string_equal (jad_roster_role_name (p->role), "observer");

    assert_null (jad_roster_find_name (roster, "agent-xx"));
    assert_null (jad_roster_find_key (roster,
                 "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"));
    assert_null (jad_roster_find_key (roster, NULL));

    jad_roster_destroy (&roster);
    assert_null (roster);
    jad_roster_destroy (&roster);
}

static void
test_roles (void **state)
{
    (void) state;
    assert_string_equal (jad_roster_role_name (JAD_ROLE_HUB), "hub");
    assert_string_equal (jad_roster_role_name (JAD_ROLE_AGENT), "agent");
    assert_string_equal (jad_roster_role_name (JAD_ROLE_COORDINATOR),
                         "coordinator");
    assert_string_equal (jad_roster_role_name (JAD_ROLE_OBSERVER), "observer");
    assert_string_equal (jad_roster_role_name (0), "unknown");
    assert_int_equal (jad_roster_role_parse ("agent"), JAD_ROLE_AGENT);
    assert_int_equal (jad_roster_role_parse ("Agent"), -1);
}

static void
test_minimal_and_comments (void **state)
{
    char err [512];
    jad_roster_t *roster = s_load_text (*state,
        "  # indented comment\n\n" HEADER "\t\n" P_HUB
        "participant\tagent-de\tagent\tDE\t" K_DE "  \r\n", err, sizeof err);
    if (!roster)
        fail_msg ("%s", err);
    assert_int_equal (jad_roster_size (roster), 2);
    assert_non_null (jad_roster_find_key (roster, K_DE));
    jad_roster_destroy (&roster);
}

static void
test_rejections (void **state)
{
    const char *dir = *state;
    s_expect_reject (dir, HEADER P_HUB "colour blue\n", 6, "unknown keyword");
    s_expect_reject (dir, HEADER P_HUB P_DE
                     "participant agent-de agent FR " K_FR "\n", 7,
                     "duplicate name");
    s_expect_reject (dir, HEADER P_HUB P_DE
                     "participant agent-fr agent FR " K_DE "\n", 7,
                     "duplicate key");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x boss - " K_FR "\n", 6, "bad role");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent - " K_FR "\n", 6,
                     "agent needs a country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent de " K_FR "\n", 6, "bad country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent DEU " K_FR "\n", 6, "bad country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x observer FR " K_FR "\n", 6,
                     "has no country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x coordinator FR " K_FR "\n", 6,
                     "has no country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR "x\n", 6, "bad public key");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR ~u<!l:WoLVM<x]bUJFQTo*g<K)nsn726"
                     "jyhg$:=l\n", 6, "bad public key");
    s_expect_reject (dir, HEADER P_HUB
                     "participant X agent FR " K_FR "\n", 6, "invalid name");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR\n", 6, "expected NAME ROLE");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " extra\n", 6,
                     "expected NAME ROLE");
    s_expect_reject (dir, HEADER P_HUB
                     "participant hub2 hub - " K_FR "\n", 6, "second hub");
    s_expect_reject (dir, HEADER P_DE, 0, "no hub participant");
    s_expect_reject (dir, HEADER "operation Again\n" P_HUB, 5,
                     "'operation' given twice (first on line 1)");

    /* Missing header lines: named, with no line. */
    const char *no_op = "operation_id  00112233445566778899aabbccddeeff\n"
                        "start 2020-11-16T07:00:00Z\n"
                        "end 2020-11-21T07:00:00Z\n" P_HUB;
    s_expect_reject (dir, no_op, 0, "missing 'operation'");
    s_expect_reject (dir, "operation X\nstart 2020-11-16T07:00:00Z\n"
                     "end 2020-11-21T07:00:00Z\n" P_HUB, 0,
                     "missing 'operation_id'");
    s_expect_reject (dir, "operation X\n"
                     "operation_id  00112233445566778899aabbccddeeff\n"
                     "end 2020-11-21T07:00:00Z\n" P_HUB, 0, "missing 'start'");
    s_expect_reject (dir, "operation X\n"
                     "operation_id  00112233445566778899aabbccddeeff\n"
                     "start 2020-11-21T07:00:00Z\n" P_HUB, 0, "missing 'end'");

    /* Bad values. */
    s_expect_reject (dir, "operation X\n"
                     "operation_id  00112233445566778899aabbccddee\n", 2,
                     "operation_id");
    s_expect_reject (dir, "operation X\n"
                     "operation_id  00112233445566778899aabbccddeeZZ\n", 2,
                     "operation_id");
    s_expect_reject (dir, "operation X\nstart 2020-11-16 07:00\n", 2,
                     "not an RFC 3339 time");
    s_expect_reject (dir, "operation\n", 1, "without a value");
    s_expect_reject (dir, "operation bad\x01name\n", 1, "operation");
    s_expect_reject (dir, "operation bad\xc3name\n", 1, "operation");
    char long_op [300] = "operation ";
    memset (long_op + 10, 'x', 128);
    strcpy (long_op + 138, "\n");
    s_expect_reject (dir, long_op, 1, "operation");
    s_expect_reject (dir, "operation X\n"
                     "operation_id  00112233445566778899aabbccddeeff\n"
                     "end   2020-11-16T07:00:00Z\n"
                     "start 2020-11-21T07:00:00Z\n" P_HUB, 4,
                     "end is not after start");
    s_expect_reject (dir, "operation X\n"
                     "operation_id  00112233445566778899aabbccddeeff\n"
                     "start 2020-11-16T07:00:00Z\n"
                     "end   2020-11-16T07:00:00Z\n" P_HUB, 4,
                     "end is not after start");

    char err [512];
    assert_null (jad_roster_load ("/nonexistent/roster", err, sizeof err));
    assert_non_null (strstr (err, "/nonexistent/roster: "));
}

static void
test_save_round_trip (void **state)
{
    const char *dir = *state;
    char err [512], path [512];
    jad_roster_t *a = jad_roster_load (SAMPLE, err, sizeof err);
    if (!a)
        fail_msg ("%s", err);
    size_t n = jad_roster_size (a);
    jad_participant_t *parts = calloc (n, sizeof *parts);
    assert_non_null (parts);
    for (size_t i = 0; i < n; i++)
        parts [i] = *jad_roster_at (a, i);

    snprintf (path, sizeof path, "%s/saved.roster", dir);
    if (jad_roster_save (path, jad_roster_operation (a), jad_roster_id (a),
                         jad_roster_start_ms (a) + 250, jad_roster_end_ms (a),
                         parts, n, err, sizeof err))
        fail_msg ("%s", err);
    struct stat st;
    assert_int_equal (stat (path, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0644);

    jad_roster_t *b = jad_roster_load (path, err, sizeof err);
    if (!b)
        fail_msg ("%s", err);
    assert_string_equal (jad_roster_operation (b), jad_roster_operation (a));
    assert_memory_equal (jad_roster_id (b), jad_roster_id (a), 16);
    assert_int_equal (jad_roster_start_ms (b), jad_roster_start_ms (a) + 250);
    assert_int_equal (jad_roster_end_ms (b), jad_roster_end_ms (a));
    assert_int_equal (jad_roster_size (b), n);
    for (size_t i = 0; i < n; i++)
        assert_memory_equal (jad_roster_at (b, i), &parts [i],
                             sizeof parts [i]);
    jad_roster_destroy (&b);

    /* A save that breaks a rule fails and leaves the old file alone. */
    strcpy (parts [1].public_key, parts [0].public_key);
    assert_int_equal (jad_roster_save (path, "Other", jad_roster_id (a), 0,
                                       1000, parts, n, err, sizeof err), -1);
    assert_non_null (strstr (err, "participant 2: "));
    assert_non_null (strstr (err, "duplicate key"));
    b = jad_roster_load (path, err, sizeof err);
    assert_non_null (b);
    assert_string_equal (jad_roster_operation (b), "Armstrong VII");
    jad_roster_destroy (&b);

    /* No hub; end before start; a bad operation name. */
    assert_int_equal (jad_roster_save (path, "X", jad_roster_id (a), 0, 1000,
                                       parts + 1, 1, err, sizeof err), -1);
    assert_non_null (strstr (err, "no hub"));
    assert_int_equal (jad_roster_save (path, "X", jad_roster_id (a), 1000, 0,
                                       parts, 1, err, sizeof err), -1);
    assert_int_equal (jad_roster_save (path, " X", jad_roster_id (a), 0, 1000,
                                       parts, 1, err, sizeof err), -1);

    /* Only the saved file is in the directory: no temporary left over. */
    DIR *d = opendir (dir);
    int files = 0;
    for (struct dirent *e; (e = readdir (d)); )
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
            files++;
    closedir (d);
    assert_int_equal (files, 1);

    /* A '-' country for a non-agent is accepted when saving, too. */
    jad_participant_t two [2] = { parts [0], parts [2] };
    strcpy (two [0].country, "-");
    assert_int_equal (jad_roster_save (path, "Two", jad_roster_id (a), 0, 1000,
                                       two, 2, err, sizeof err), 0);
    b = jad_roster_load (path, err, sizeof err);
    assert_non_null (b);
    assert_string_equal (jad_roster_at (b, 0)->country, "");
    jad_roster_destroy (&b);

    free (parts);
    jad_roster_destroy (&a);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_sample_parses),
        cmocka_unit_test (test_roles),
        cmocka_unit_test_setup_teardown (test_minimal_and_comments,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_rejections, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_save_round_trip,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
