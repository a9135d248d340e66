/* Unit tests: lib/roster.c — the shipped sample parses, every rejection
 * names its line, lookups by key, name and key id, signing keys and key ids,
 * revocation, parse -> format round trips, and save -> load round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad/roster.h"
#include "jad/timefmt.h"
#include "testutil.h"

#define SAMPLE "deploy/examples/roster.sample"

/* Keys from the sample (hub's and agent-de's contain '#'): CURVE public
 * key, signing public key, key id. */
#define K_HUB  "^f1MczU0AGZwE7#&hHEpg+LoUbIf&nehhdrqxn!y"
#define S_HUB  "c47db3960446b03039aab8638a52c1694dc3f739966bede5121fe1f9ccb9aa59"
#define I_HUB  "ebd2c67ab8713710"
#define K_DE   "EanJrI6v:onn4$=qC@U]yt22*?fT#=[kBa-e.*qg"
#define S_DE   "f3115b5492a745ae5ef179ff24453f5d86ff642fc9c4259b745508cbf3a8cff3"
#define I_DE   "e487dd041bbbb70f"
#define K_FR   "}w08?V)Ca5+f)97F$bb=Bi4s+BD6?OQ*@vFayCs^"
#define S_FR   "1c8212237a9e937088fdc3868da86e740bec41b2462507c19e8a86ceb8199384"
#define I_FR   "73e9306a9c42abe7"
#define K_OBS  "pM@P+y[cQdYqMuYFSh?fVwfF:AjU-w-8[!g.]y{{"
#define K_BE   "sfoVI(&6=GK>g!<839d@FEkPsr^Rw)ux=<A.[+RF"
#define I_BE   "ab793e08eff60133"
/* agent-fr's signing columns, for lines that need some unused ones. */
#define SI_FR  " " S_FR " " I_FR

/* Lines 1-4; participants start on line 5. */
#define HEADER "operation     Test Op\n" \
               "operation_id  00112233445566778899aabbccddeeff\n" \
               "start         2020-11-16T07:00:00Z\n" \
               "end           2020-11-21T07:00:00Z\n"
#define P_HUB  "participant hub hub - " K_HUB " " S_HUB " " I_HUB "\n"
#define P_DE   "participant agent-de agent DE " K_DE " " S_DE " " I_DE "\n"

/* ------------------------------------------------------------ helpers */

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
    assert_int_equal (jad_roster_size (roster), 8);

    const jad_participant_t *p = jad_roster_at (roster, 0);
    assert_string_equal (p->name, "hub");
    assert_int_equal (p->role, JAD_ROLE_HUB);
    assert_string_equal (p->country, "");
    assert_string_equal (p->public_key, K_HUB);
    assert_ptr_equal (jad_roster_hub (roster), p);
    assert_false (p->revoked);
    assert_null (jad_roster_at (roster, 8));

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

    /* agent-be is revoked from hub_seq 1042: kept, but never admitted. */
    assert_null (jad_roster_find_key (roster, K_BE));
    p = jad_roster_find_key_any (roster, K_BE);
    assert_non_null (p);
    assert_string_equal (p->name, "agent-be");
    assert_true (p->revoked);
    assert_int_equal (p->revoked_seq, 1042);
    assert_ptr_equal (jad_roster_find_name (roster, "agent-be"), p);
    static const uint8_t be_id [8] = { 0xab, 0x79, 0x3e, 0x08, 0xef, 0xf6,
                                       0x01, 0x33 };
    assert_memory_equal (p->key_id, be_id, 8);
    assert_ptr_equal (jad_roster_find_key_id (roster, be_id), p);

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
    jad_roster_t *roster = s_load_text (jad_test_dir (state),
        "  # indented comment\n\n" HEADER "\t\n" P_HUB
        "participant\tagent-de\tagent\tDE\t" K_DE "\t" S_DE "\t" I_DE "  \r\n",
        err, sizeof err);
    if (!roster)
        fail_msg ("%s", err);
    assert_int_equal (jad_roster_size (roster), 2);
    assert_non_null (jad_roster_find_key (roster, K_DE));
    jad_roster_destroy (&roster);
}

static void
test_rejections (void **state)
{
    const char *dir = jad_test_dir (state);
    s_expect_reject (dir, HEADER P_HUB "colour blue\n", 6, "unknown keyword");
    s_expect_reject (dir, HEADER P_HUB P_DE
                     "participant agent-de agent FR " K_FR SI_FR "\n", 7,
                     "duplicate name");
    s_expect_reject (dir, HEADER P_HUB P_DE
                     "participant agent-fr agent FR " K_DE SI_FR "\n", 7,
                     "duplicate key");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x boss - " K_FR SI_FR "\n", 6, "bad role");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent - " K_FR SI_FR "\n", 6,
                     "agent needs a country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent de " K_FR SI_FR "\n", 6, "bad country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent DEU " K_FR SI_FR "\n", 6, "bad country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x observer FR " K_FR SI_FR "\n", 6,
                     "has no country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x coordinator FR " K_FR SI_FR "\n", 6,
                     "has no country");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR "x" SI_FR "\n", 6,
                     "bad public key");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR ~u<!l:WoLVM<x]bUJFQTo*g<K)nsn726"
                     "jyhg$:=l" SI_FR "\n", 6, "bad public key");
    s_expect_reject (dir, HEADER P_HUB
                     "participant X agent FR " K_FR SI_FR "\n", 6, "invalid name");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR\n", 6, "expected NAME ROLE");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " extra\n", 6,
                     "expected NAME ROLE");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR SI_FR " revoked extra\n",
                     6, "expected NAME ROLE");
    s_expect_reject (dir, HEADER P_HUB
                     "participant hub2 hub - " K_FR SI_FR "\n", 6, "second hub");
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
    const char *dir = jad_test_dir (state);
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
    /* The file holds exactly the canonical text. */
    char *canonical = jad_roster_format (b);
    assert_non_null (canonical);
    FILE *f = fopen (path, "r");
    assert_non_null (f);
    char *saved = calloc (1, 65536);
    assert_non_null (saved);
    size_t saved_len = fread (saved, 1, 65535, f);
    fclose (f);
    assert_int_equal (saved_len, strlen (canonical));
    assert_string_equal (saved, canonical);
    assert_non_null (strstr (saved, " revoked=1042\n"));
    free (saved);
    free (canonical);
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

    /* Signing columns are checked on save too: a zeroed signing key (a
     * caller that forgot to fill it), a key id that does not match,
     * revoked_seq without revoked, a revoked hub. */
    jad_participant_t bad [2] = { parts [0], parts [2] };
    memset (bad [1].sign_key, 0, sizeof bad [1].sign_key);
    assert_int_equal (jad_roster_save (path, "X", jad_roster_id (a), 0, 1000,
                                       bad, 2, err, sizeof err), -1);
    assert_non_null (strstr (err, "participant 2: "));
    assert_non_null (strstr (err, "bad signing key"));
    bad [1] = parts [2];
    bad [1].key_id [0] ^= 1;
    assert_int_equal (jad_roster_save (path, "X", jad_roster_id (a), 0, 1000,
                                       bad, 2, err, sizeof err), -1);
    assert_non_null (strstr (err, "key id does not match"));
    bad [1] = parts [2];
    bad [1].revoked_seq = 9;
    assert_int_equal (jad_roster_save (path, "X", jad_roster_id (a), 0, 1000,
                                       bad, 2, err, sizeof err), -1);
    assert_non_null (strstr (err, "not revoked"));
    bad [1].revoked = 1;
    if (jad_roster_save (path, "X", jad_roster_id (a), 0, 1000, bad, 2, err,
                         sizeof err))
        fail_msg ("%s", err);
    bad [0].revoked = 1;
    assert_int_equal (jad_roster_save (path, "X", jad_roster_id (a), 0, 1000,
                                       bad, 2, err, sizeof err), -1);
    assert_non_null (strstr (err, "hub cannot be revoked"));

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

static void
test_signing_columns (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [512];
    /* Upper-case hex is read; the bytes are the key's. */
    jad_roster_t *roster = s_load_text (dir, HEADER P_HUB
        "participant agent-fr agent FR " K_FR
        " 1C8212237A9E937088FDC3868DA86E740BEC41B2462507C19E8A86CEB8199384"
        " 73E9306A9C42ABE7\n", err, sizeof err);
    if (!roster)
        fail_msg ("%s", err);
    const jad_participant_t *p = jad_roster_find_name (roster, "agent-fr");
    assert_non_null (p);
    assert_int_equal (p->sign_key [0], 0x1c);
    assert_int_equal (p->sign_key [31], 0x84);
    static const uint8_t id [8] = { 0x73, 0xe9, 0x30, 0x6a, 0x9c, 0x42, 0xab,
                                    0xe7 };
    assert_memory_equal (p->key_id, id, 8);
    assert_false (p->revoked);
    assert_int_equal (p->revoked_seq, 0);
    jad_roster_destroy (&roster);

    /* A key id that is not the signing key's, named with the right one. */
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " " S_FR " " I_DE "\n", 6,
                     "key id does not match the signing key (its key id is "
                     I_FR ")");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " " S_FR " 73e9306a\n", 6,
                     "bad key id");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " " S_FR "0 " I_FR "\n", 6,
                     "bad signing key (64 hex digits");
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " zz" S_FR "zz " I_FR "\n",
                     6, "bad signing key");
    /* 32 zero bytes are a point of small order, not a public key. */
    s_expect_reject (dir, HEADER P_HUB
                     "participant x agent FR " K_FR " 00000000000000000000000"
                     "00000000000000000000000000000000000000000 " I_FR "\n", 6,
                     "not an Ed25519 public key");
    s_expect_reject (dir, HEADER P_HUB P_DE
                     "participant x agent FR " K_FR " " S_DE " " I_DE "\n", 7,
                     "duplicate signing key (also participant agent-de)");
    /* A roster from before signing keys says what is missing. */
    s_expect_reject (dir, HEADER "participant hub hub - " K_HUB "\n", 5,
                     "no signing key");
}

static void
test_revocation (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [512];
    jad_roster_t *roster = s_load_text (dir, HEADER P_HUB
        "participant agent-de agent DE " K_DE " " S_DE " " I_DE " revoked\n"
        "participant agent-fr agent FR " K_FR SI_FR
        " revoked=18446744073709551615\n", err, sizeof err);
    if (!roster)
        fail_msg ("%s", err);
    const jad_participant_t *de = jad_roster_find_name (roster, "agent-de");
    const jad_participant_t *fr = jad_roster_find_name (roster, "agent-fr");
    assert_non_null (de);
    assert_non_null (fr);
    assert_true (de->revoked);
    assert_int_equal (de->revoked_seq, 0);
    assert_true (fr->revoked);
    assert_true (fr->revoked_seq == UINT64_MAX);
    /* Admission skips revoked participants; the other lookups find them. */
    assert_null (jad_roster_find_key (roster, K_DE));
    assert_null (jad_roster_find_key (roster, K_FR));
    assert_ptr_equal (jad_roster_find_key_any (roster, K_DE), de);
    assert_ptr_equal (jad_roster_find_key_id (roster, fr->key_id), fr);
    assert_non_null (jad_roster_find_key (roster, K_HUB));
    assert_null (jad_roster_find_key_any (roster, K_OBS));
    assert_null (jad_roster_find_key_id (roster, NULL));

    /* set_revoked fills in a bare "revoked"; 0 keeps a known sequence;
     * another sequence replaces it (permanence is the hub's policy). */
    assert_int_equal (jad_roster_set_revoked (roster, "agent-de", 78), 0);
    assert_int_equal (de->revoked_seq, 78);
    assert_int_equal (jad_roster_set_revoked (roster, "agent-de", 0), 0);
    assert_int_equal (de->revoked_seq, 78);
    assert_true (de->revoked);
    assert_int_equal (jad_roster_set_revoked (roster, "agent-de", 77), 0);
    assert_int_equal (de->revoked_seq, 77);
    assert_int_equal (jad_roster_set_revoked (roster, "hub", 5), -1);
    assert_int_equal (jad_roster_set_revoked (roster, "agent-xx", 5), -1);
    assert_int_equal (jad_roster_set_revoked (roster, NULL, 5), -1);
    char *text = jad_roster_format (roster);
    assert_non_null (text);
    assert_non_null (strstr (text, " " I_DE " revoked=77\n"));
    assert_non_null (strstr (text, " " I_FR
                             " revoked=18446744073709551615\n"));
    free (text);
    jad_roster_destroy (&roster);

    /* An active participant revoked by the hub: admission stops. */
    roster = s_load_text (dir, HEADER P_HUB P_DE, err, sizeof err);
    assert_non_null (roster);
    assert_non_null (jad_roster_find_key (roster, K_DE));
    assert_int_equal (jad_roster_set_revoked (roster, "agent-de", 0), 0);
    assert_null (jad_roster_find_key (roster, K_DE));
    text = jad_roster_format (roster);
    assert_non_null (strstr (text, " " I_DE " revoked\n"));
    free (text);

    /* jad_roster_add: a participant the file no longer lists, kept
     * revoked; the same checks as a line. */
    jad_roster_t *sample = jad_roster_load (SAMPLE, err, sizeof err);
    assert_non_null (sample);
    jad_participant_t kept = *jad_roster_find_name (sample, "agent-fr");
    kept.revoked = 1;
    kept.revoked_seq = 12;
    assert_int_equal (jad_roster_add (roster, &kept), 0);
    assert_int_equal (jad_roster_size (roster), 3);
    const jad_participant_t *added = jad_roster_find_name (roster, "agent-fr");
    assert_non_null (added);
    assert_memory_equal (added, &kept, sizeof kept);
    assert_null (jad_roster_find_key (roster, K_FR));
    assert_int_equal (jad_roster_add (roster, &kept), -1);     /* twice */
    jad_participant_t odd = *jad_roster_find_name (sample, "agent-nl");
    odd.key_id [7] ^= 1;
    assert_int_equal (jad_roster_add (roster, &odd), -1);
    odd = *jad_roster_find_name (sample, "hub");
    assert_int_equal (jad_roster_add (roster, &odd), -1);      /* a 2nd hub */
    odd = *jad_roster_find_name (sample, "agent-nl");
    odd.revoked_seq = 4;                                        /* not revoked */
    assert_int_equal (jad_roster_add (roster, &odd), -1);
    assert_int_equal (jad_roster_size (roster), 3);
    text = jad_roster_format (roster);
    assert_non_null (strstr (text, " " I_FR " revoked=12\n"));
    free (text);
    jad_roster_destroy (&sample);
    jad_roster_destroy (&roster);

    static const char *bad [] = {
        "revoked=0", "revoked=", "revoked=01", "revoked=+5", "revoked=5x",
        "revoked=18446744073709551616", "revoked=-1", "revokd", "REVOKED",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char line [512];
        snprintf (line, sizeof line, HEADER P_HUB
                  "participant x agent FR " K_FR SI_FR " %s\n", bad [i]);
        s_expect_reject (dir, line, 6, "'revoked' or 'revoked=SEQ'");
    }
    s_expect_reject (dir, HEADER "participant hub hub - " K_HUB " " S_HUB " "
                     I_HUB " revoked=3\n", 5, "the hub cannot be revoked");
}

static void
test_parse_format (void **state)
{
    (void) state;
    char err [512];
    FILE *f = fopen (SAMPLE, "r");
    assert_non_null (f);
    char *sample = calloc (1, 65536);
    assert_non_null (sample);
    size_t len = fread (sample, 1, 65535, f);
    fclose (f);

    /* The text need not be NUL-terminated: parse a copy without one. */
    char *copy = malloc (len);
    assert_non_null (copy);
    memcpy (copy, sample, len);
    jad_roster_t *a = jad_roster_parse (copy, len, "journal", err, sizeof err);
    free (copy);
    if (!a)
        fail_msg ("%s", err);
    jad_roster_t *from_file = jad_roster_load (SAMPLE, err, sizeof err);
    assert_non_null (from_file);
    assert_int_equal (jad_roster_size (a), jad_roster_size (from_file));
    for (size_t i = 0; i < jad_roster_size (a); i++)
        assert_memory_equal (jad_roster_at (a, i), jad_roster_at (from_file, i),
                             sizeof (jad_participant_t));
    jad_roster_destroy (&from_file);

    /* format (parse (format (x))) == format (x) */
    char *one = jad_roster_format (a);
    assert_non_null (one);
    jad_roster_t *b = jad_roster_parse (one, strlen (one), NULL, err,
                                        sizeof err);
    if (!b)
        fail_msg ("%s", err);
    char *two = jad_roster_format (b);
    assert_non_null (two);
    assert_string_equal (one, two);
    assert_non_null (strstr (one, "\noperation_id  "
                             "6c1e570a1166409c6942c790910b9cb1\n"));
    assert_non_null (strstr (one, "\nparticipant   agent-de             agent"
                             "        DE       " K_DE " " S_DE " " I_DE "\n"));
    assert_non_null (strstr (one, "\nparticipant   agent-be             agent"
                             "        BE       " K_BE));
    assert_non_null (strstr (one, " " I_BE " revoked=1042\n"));
    assert_null (strstr (one, "Revocation"));   /* comments are not kept */
    free (one);
    free (two);
    jad_roster_destroy (&b);
    jad_roster_destroy (&a);

    /* Errors name the given name ("roster" without one) and the line. */
    static const char broken [] = HEADER "colour blue\n";
    assert_null (jad_roster_parse (broken, strlen (broken), "journal entry 9",
                                   err, sizeof err));
    assert_non_null (strstr (err, "journal entry 9:5: unknown keyword"));
    assert_null (jad_roster_parse (broken, strlen (broken), NULL, err,
                                   sizeof err));
    assert_non_null (strstr (err, "roster:5: unknown keyword"));
    /* Cut short: the text ends before 'end'. */
    assert_null (jad_roster_parse (broken, 22, NULL, err, sizeof err));
    assert_non_null (strstr (err, "missing"));
    /* A NUL inside the text. */
    static const char nul [] = "operation X\0Y\n";
    assert_null (jad_roster_parse (nul, sizeof nul - 1, NULL, err,
                                   sizeof err));
    assert_non_null (strstr (err, "roster:1: NUL byte"));
    assert_null (jad_roster_parse ("", 0, NULL, err, sizeof err));
    assert_non_null (strstr (err, "missing 'operation'"));
    free (sample);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_sample_parses),
        cmocka_unit_test (test_roles),
        cmocka_unit_test_setup_teardown (test_minimal_and_comments,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_rejections, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_save_round_trip,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_signing_columns,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test_setup_teardown (test_revocation, jad_test_dir_setup,
                                         jad_test_dir_teardown),
        cmocka_unit_test (test_parse_format),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
