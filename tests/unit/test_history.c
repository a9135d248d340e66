/* Unit tests: lib/history.c — the roster governing an entry at the
 * boundaries and past the old 256-roster limits, replacement and
 * out-of-order records, the one country rule (the report's, the origin's,
 * a later roster's, "import-CC"), the one signer rule (role, revocation),
 * loading a journal's records incrementally with the bad ones reported,
 * and verification against an anchor. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "jad/history.h"
#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/record.h"
#include "jad/roster.h"
#include "jad/sign.h"
#include "testutil.h"

static const uint8_t s_op[16] = {
    0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

/* ------------------------------------------------------------ rosters */

/* The participants the tests use; each one's keys are derived from its
 * index, so a roster's text is the same on every run. */
static const char *s_names[] = { "hub", "agent-x", "agent-y", "agent-z",
                                 "coord", "obs", "hub2" };
#define S_N_NAMES (sizeof s_names / sizeof s_names[0])

typedef struct {
    char    curve_pk[41];       /* Z85 */
    char    curve_sk[41];
    char    sign_pk[65];        /* hex */
    char    seed[65];
    char    key_id[17];
} s_keys_t;

static s_keys_t s_keys[S_N_NAMES];

static void
s_keys_init (void)
{
    for (size_t i = 0; i < S_N_NAMES; i++) {
        uint8_t seed[32], pk[32], sk[64], csk[32], cpk[32], id[8];
        memset (seed, (int) (0x41 + i), sizeof seed);
        memset (csk, (int) (1 + i), sizeof csk);
        crypto_sign_seed_keypair (pk, sk, seed);
        crypto_scalarmult_base (cpk, csk);
        jad_sign_key_id (pk, id);
        zmq_z85_encode (s_keys[i].curve_pk, cpk, 32);
        zmq_z85_encode (s_keys[i].curve_sk, csk, 32);
        sodium_bin2hex (s_keys[i].sign_pk, 65, pk, 32);
        sodium_bin2hex (s_keys[i].seed, 65, seed, 32);
        sodium_bin2hex (s_keys[i].key_id, 17, id, 8);
    }
}

static size_t
s_index (const char *name)
{
    for (size_t i = 0; i < S_N_NAMES; i++)
        if (strcmp (s_names[i], name) == 0)
            return i;
    fail_msg ("no participant %s", name);
    return 0;
}

/* The text of a roster named OPERATION of operation OP_ID, one
 * participant per "name role country [revoked[=SEQ]]" of WHO (NULL
 * ended).  Caller frees. */
static char *
s_text (const char *operation, const uint8_t *op_id, const char **who)
{
    size_t cap = 8192, len = 0;
    char *text = malloc (cap), hex[33];
    assert_non_null (text);
    sodium_bin2hex (hex, sizeof hex, op_id, 16);
    len += (size_t) snprintf (text, cap, "operation     %s\noperation_id  %s\n"
                              "start         2020-11-16T07:00:00Z\n"
                              "end           2020-11-21T07:00:00Z\n",
                              operation, hex);
    for (size_t i = 0; who[i]; i++) {
        char name[65], role[16], country[4], extra[40] = "";
        assert_true (sscanf (who[i], "%64s %15s %3s %39s", name, role,
                             country, extra) >= 3);
        const s_keys_t *k = &s_keys[s_index (name)];
        len += (size_t) snprintf (text + len, cap - len, "participant %s %s %s "
                                  "%s %s %s %s\n", name, role, country,
                                  k->curve_pk, k->sign_pk, k->key_id, extra);
        assert_true (len < cap);
    }
    return text;
}

/* The keys of participant NAME, with its secret (written into the test's
 * directory once). */
static jad_keys_t *
s_secret (void **state, const char *name)
{
    const s_keys_t *k = &s_keys[s_index (name)];
    char path[600], text[1024], err[256];
    snprintf (path, sizeof path, "%s/%s.secret", jad_test_dir (state), name);
    if (access (path, F_OK) != 0) {
        snprintf (text, sizeof text, "name = %s\npublic-key = %s\n"
                  "sign-public-key = %s\nkey-id = %s\nsecret-key = %s\n"
                  "sign-secret-key = %s\n", name, k->curve_pk, k->sign_pk,
                  k->key_id, k->curve_sk, k->seed);
        int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        assert_true (fd >= 0);
        assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
        close (fd);
    }
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys)
        fail_msg ("%s", err);
    return keys;
}

/* A RosterRecord of TEXT from SEQ, signed by SIGNER for OP_ID.  Caller
 * frees. */
static uint8_t *
s_record (jad_keys_t *signer, const uint8_t *op_id, uint64_t seq,
          const char *text, size_t *len_p)
{
    uint8_t *buf = jad_roster_record_make (signer, op_id, seq, text,
                                           strlen (text), 1605510000000LL,
                                           len_p);
    assert_non_null (buf);
    return buf;
}

/* Add a record of a roster named OPERATION with WHO, from SEQ. */
static void
s_add (void **state, jad_history_t *h, uint64_t seq, const char *operation,
       const char **who)
{
    jad_keys_t *hub = s_secret (state, "hub");
    char *text = s_text (operation, s_op, who), err[512];
    size_t len;
    uint8_t *buf = s_record (hub, s_op, seq, text, &len);
    if (jad_history_add_record (h, buf, len, 0, 1, s_op, err, sizeof err) != 0)
        fail_msg ("%s", err);
    free (buf);
    free (text);
    jad_keys_destroy (&hub);
}

static const char *s_basic[] = {
    "hub hub -", "agent-x agent DE", "coord coordinator -", "obs observer -",
    NULL };

static const char *
s_op_at (const jad_history_t *h, uint64_t seq)
{
    const jad_roster_t *r = jad_history_at (h, seq);
    return r ? jad_roster_operation (r) : "(none)";
}

/* ------------------------------------------------------------ tests */

static void
test_governing (void **state)
{
    jad_history_t *h = jad_history_new ();
    assert_non_null (h);
    assert_null (jad_history_at (h, 1));
    assert_null (jad_history_last (h));
    assert_null (jad_history_last_text (h));
    assert_null (jad_history_hub_key (h));
    assert_int_equal (jad_history_last_seq (h), 0);
    s_add (state, h, 5, "Op 5", s_basic);
    s_add (state, h, 10, "Op 10", s_basic);
    s_add (state, h, 20, "Op 20", s_basic);
    assert_int_equal (jad_history_size (h), 3);
    assert_int_equal (jad_history_last_seq (h), 20);
    assert_string_equal (s_op_at (h, 0), "(none)");
    assert_string_equal (s_op_at (h, 4), "(none)");
    assert_string_equal (s_op_at (h, 5), "Op 5");
    assert_string_equal (s_op_at (h, 9), "Op 5");
    assert_string_equal (s_op_at (h, 10), "Op 10");
    assert_string_equal (s_op_at (h, 19), "Op 10");
    assert_string_equal (s_op_at (h, 20), "Op 20");
    assert_string_equal (s_op_at (h, UINT64_MAX), "Op 20");
    assert_string_equal (jad_roster_operation (jad_history_last (h)), "Op 20");
    /* The text as recorded, the hub key from the first roster. */
    char *text = s_text ("Op 20", s_op, s_basic);
    assert_string_equal (jad_history_last_text (h), text);
    free (text);
    uint8_t pk[32];
    assert_int_equal (sodium_hex2bin (pk, 32, s_keys[0].sign_pk, 64, NULL,
                                      NULL, NULL), 0);
    assert_memory_equal (jad_history_hub_key (h), pk, 32);
    jad_history_destroy (&h);
    assert_null (h);
    jad_history_destroy (&h);       /* safe on NULL */
}

/* 1,000 rosters, far past the 256 the readers used to keep (and where
 * they gave four different answers): agent-x's country changes with each
 * roster here, so the country tells which roster governed. */
static void
test_thousand (void **state)
{
    jad_history_t *h = jad_history_new ();
    jad_keys_t *hub = s_secret (state, "hub");
    char err[512];
    const size_t n = 1000;
    /* Added newest first: the console hears them in any order. */
    for (size_t k = n; k-- > 0; ) {
        char op[32], agent[32];
        snprintf (op, sizeof op, "Op %zu", k);
        snprintf (agent, sizeof agent, "agent-x agent %c%c",
                  (char) ('A' + k % 26), (char) ('A' + k / 26 % 26));
        const char *who[] = { "hub hub -", agent, NULL };
        char *text = s_text (op, s_op, who);
        size_t len;
        uint8_t *buf = s_record (hub, s_op, 1 + 100 * k, text, &len);
        if (jad_history_add_record (h, buf, len, 1 + 100 * k, k % 2, s_op,
                                    err, sizeof err) != 0)
            fail_msg ("%s", err);
        free (buf);
        free (text);
    }
    assert_int_equal (jad_history_size (h), n);
    const uint64_t seqs[] = { 1, 50, 100, 101, 25601, 25700, 50001, 99901,
                              99999, 100000, 5000000000ULL };
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        size_t k = (size_t) ((seqs[i] - 1) / 100);
        if (k >= n)
            k = n - 1;
        char want_op[32], want_cc[3] = { (char) ('A' + k % 26),
                                         (char) ('A' + k / 26 % 26), 0 }, cc[3];
        snprintf (want_op, sizeof want_op, "Op %zu", k);
        assert_string_equal (s_op_at (h, seqs[i]), want_op);
        jad_history_country (h, seqs[i], "agent-x", NULL, cc);
        assert_string_equal (cc, want_cc);
        /* The report's own country wins. */
        jad_history_country (h, seqs[i], "agent-x", "NL", cc);
        assert_string_equal (cc, "NL");
    }
    assert_string_equal (jad_roster_operation (jad_history_last (h)), "Op 999");
    assert_int_equal (jad_history_last_seq (h), 1 + 100 * 999);
    jad_keys_destroy (&hub);
    jad_history_destroy (&h);
}

/* A record with an effective_seq already held replaces that roster; one
 * added with jad_history_add too. */
static void
test_replace (void **state)
{
    jad_history_t *h = jad_history_new ();
    s_add (state, h, 1, "Op A", s_basic);
    s_add (state, h, 10, "Op B", s_basic);
    s_add (state, h, 10, "Op C", s_basic);
    assert_int_equal (jad_history_size (h), 2);
    assert_string_equal (s_op_at (h, 10), "Op C");
    char *text = s_text ("Op C", s_op, s_basic), err[256];
    assert_string_equal (jad_history_last_text (h), text);
    free (text);
    /* A roster from a file, from 1: replaced by a record at 1 or
     * replacing it; its text is the canonical one. */
    text = s_text ("Op file", s_op, s_basic);
    jad_roster_t *r = jad_roster_parse (text, strlen (text), NULL, err, sizeof err);
    assert_non_null (r);
    free (text);
    assert_int_equal (jad_history_add (h, 1, &r), 0);
    assert_null (r);
    assert_int_equal (jad_history_size (h), 2);
    assert_string_equal (s_op_at (h, 9), "Op file");
    r = jad_roster_parse (jad_history_last_text (h), strlen (jad_history_last_text (h)),
                          NULL, err, sizeof err);
    assert_int_equal (jad_history_add (h, 0, &r), -1);     /* no entry 0 */
    assert_null (r);
    r = jad_roster_parse (jad_history_last_text (h), strlen (jad_history_last_text (h)),
                          NULL, err, sizeof err);
    assert_int_equal (jad_history_add (h, 30, &r), 0);
    assert_int_equal (jad_history_last_seq (h), 30);
    char *canon = jad_roster_format (jad_history_last (h));
    assert_string_equal (jad_history_last_text (h), canon);
    free (canon);
    jad_history_destroy (&h);
}

static void
test_out_of_order (void **state)
{
    jad_history_t *h = jad_history_new ();
    s_add (state, h, 30, "Op 30", s_basic);
    s_add (state, h, 10, "Op 10", s_basic);
    s_add (state, h, 20, "Op 20", s_basic);
    s_add (state, h, 1, "Op 1", s_basic);
    s_add (state, h, 25, "Op 25", s_basic);
    assert_int_equal (jad_history_size (h), 5);
    assert_string_equal (s_op_at (h, 1), "Op 1");
    assert_string_equal (s_op_at (h, 15), "Op 10");
    assert_string_equal (s_op_at (h, 24), "Op 20");
    assert_string_equal (s_op_at (h, 25), "Op 25");
    assert_string_equal (s_op_at (h, 31), "Op 30");
    assert_string_equal (jad_roster_operation (jad_history_last (h)), "Op 30");
    jad_history_destroy (&h);
}

/* The one country rule, every branch of it. */
static void
test_country (void **state)
{
    jad_history_t *h = jad_history_new ();
    char cc[3];
    /* No roster at all: an import's names only. */
    jad_history_country (h, 1, "import-FR", NULL, cc);
    assert_string_equal (cc, "FR");
    const char *not_cc[] = { "import-fr", "import-F", "import-FRA", "import-F1",
                             "import-", "importFR", "xmport-FR", "" };
    for (size_t i = 0; i < sizeof not_cc / sizeof not_cc[0]; i++) {
        jad_history_country (h, 1, not_cc[i], NULL, cc);
        assert_string_equal (cc, "");
    }
    jad_history_country (h, 1, NULL, NULL, cc);
    assert_string_equal (cc, "");
    /* The report's country when it is two upper-case letters. */
    jad_history_country (h, 1, "import-FR", "DE", cc);
    assert_string_equal (cc, "DE");
    const char *bad_report[] = { "de", "DEU", "D", "", "D1" };
    for (size_t i = 0; i < sizeof bad_report / sizeof bad_report[0]; i++) {
        jad_history_country (h, 1, "import-FR", bad_report[i], cc);
        assert_string_equal (cc, "FR");
    }
    /* The origin's from its roster; none for a coordinator (not "import"). */
    s_add (state, h, 1, "Op", s_basic);
    jad_history_country (h, 5, "agent-x", NULL, cc);
    assert_string_equal (cc, "DE");
    jad_history_country (h, 5, "coord", NULL, cc);
    assert_string_equal (cc, "");
    jad_history_country (h, 5, "nobody", NULL, cc);
    assert_string_equal (cc, "");
    jad_history_country (h, 5, "import-IT", NULL, cc);
    assert_string_equal (cc, "IT");
    jad_history_destroy (&h);
}

/* An origin the governing roster does not name: the nearest later roster
 * that does, then the nearest earlier one. */
static void
test_origin_elsewhere (void **state)
{
    jad_history_t *h = jad_history_new ();
    const char *r10[] = { "hub hub -", "agent-x agent DE", "agent-z agent FR",
                          NULL };
    const char *r100[] = { "hub hub -", "agent-x agent DE", "agent-y agent NL",
                           NULL };
    const char *r200[] = { "hub hub -", "agent-x agent DE", "agent-y agent BE",
                           NULL };
    s_add (state, h, 10, "Op", r10);
    s_add (state, h, 100, "Op", r100);
    s_add (state, h, 200, "Op", r200);
    char cc[3], err[256];
    /* Before every roster: the first names agent-x. */
    jad_history_country (h, 3, "agent-x", NULL, cc);
    assert_string_equal (cc, "DE");
    /* agent-y joined at 100: an entry at 50 finds it there, not at 200. */
    jad_history_country (h, 50, "agent-y", NULL, cc);
    assert_string_equal (cc, "NL");
    assert_non_null (jad_history_origin (h, 50, "agent-y"));
    assert_null (jad_history_signer (h, 50, "agent-y", err, sizeof err));
    assert_string_equal (err, "origin \"agent-y\" is not on the roster in force");
    assert_non_null (jad_history_signer (h, 100, "agent-y", err, sizeof err));
    /* agent-z left at 100: an entry at 150 finds it before. */
    jad_history_country (h, 150, "agent-z", NULL, cc);
    assert_string_equal (cc, "FR");
    assert_null (jad_history_signer (h, 150, "agent-z", err, sizeof err));
    assert_non_null (jad_history_signer (h, 99, "agent-z", err, sizeof err));
    assert_null (jad_history_origin (h, 150, "agent-w"));
    jad_history_destroy (&h);
}

/* The one signer rule: an agent or a coordinator, not revoked then. */
static void
test_signer (void **state)
{
    jad_history_t *h = jad_history_new ();
    const char *r1[] = { "hub hub -", "agent-x agent DE", "agent-y agent NL",
                         "coord coordinator -", "obs observer -", NULL };
    const char *r50[] = { "hub hub -", "agent-x agent DE revoked=60",
                          "agent-y agent NL", "coord coordinator -",
                          "obs observer -", NULL };
    const char *r70[] = { "hub hub -", "agent-x agent DE revoked=60",
                          "agent-y agent NL revoked", "coord coordinator -",
                          "obs observer -", NULL };
    s_add (state, h, 1, "Op", r1);
    s_add (state, h, 50, "Op", r50);
    s_add (state, h, 70, "Op", r70);
    char err[256];
    const jad_participant_t *p;
    assert_null (jad_history_signer (h, 0, "agent-x", err, sizeof err));
    assert_non_null (p = jad_history_signer (h, 10, "agent-x", err, sizeof err));
    assert_string_equal (p->name, "agent-x");
    assert_non_null (jad_history_signer (h, 55, "agent-x", err, sizeof err));
    assert_non_null (jad_history_signer (h, 59, "agent-x", err, sizeof err));
    assert_null (jad_history_signer (h, 60, "agent-x", err, sizeof err));
    assert_string_equal (err, "origin agent-x's key was revoked (from entry 60)");
    assert_null (jad_history_signer (h, 1000, "agent-x", err, sizeof err));
    /* Revoked with no sequence: from the roster that says so. */
    assert_non_null (jad_history_signer (h, 69, "agent-y", err, sizeof err));
    assert_null (jad_history_signer (h, 70, "agent-y", err, sizeof err));
    assert_string_equal (err, "origin agent-y's key was revoked (from entry 0)");
    assert_non_null (jad_history_signer (h, 70, "coord", err, sizeof err));
    assert_null (jad_history_signer (h, 70, "obs", err, sizeof err));
    assert_string_equal (err, "origin obs is a observer, not an agent or "
                              "coordinator");
    assert_null (jad_history_signer (h, 70, "hub", err, sizeof err));
    assert_null (jad_history_signer (h, 70, "import-DE", err, sizeof err));
    /* Country and who-is-who do not care about revocation. */
    char cc[3];
    jad_history_country (h, 1000, "agent-x", NULL, cc);
    assert_string_equal (cc, "DE");
    jad_history_destroy (&h);
}

/* What jad_history_load's ON_BAD heard. */
typedef struct {
    uint64_t seqs[16];
    char     whys[16][256];
    size_t   n;
    int      stop;          /* answer nonzero */
} s_bad_t;

static int
s_bad_fn (void *arg, uint64_t seq, const char *why)
{
    s_bad_t *bad = arg;
    if (bad->n < 16) {
        bad->seqs[bad->n] = seq;
        snprintf (bad->whys[bad->n], sizeof bad->whys[0], "%s", why);
    }
    bad->n++;
    return bad->stop;
}

static void
s_put (jad_journal_t *j, uint64_t key, const uint8_t *buf, size_t len)
{
    char err[256];
    if (jad_journal_record_put (j, JAD_JOURNAL_ROSTERS, key, buf, len, err,
                                sizeof err) != 0)
        fail_msg ("%s", err);
}

static void
s_put_record (jad_journal_t *j, jad_keys_t *signer, const uint8_t *op_id,
              uint64_t key, uint64_t seq, const char *operation,
              const uint8_t *roster_op_id)
{
    char *text = s_text (operation, roster_op_id, s_basic);
    size_t len;
    uint8_t *buf = s_record (signer, op_id, seq, text, &len);
    s_put (j, key, buf, len);
    free (buf);
    free (text);
}

/* A journal's records, loaded incrementally; the bad ones reported once
 * each, with their key. */
static void
test_load (void **state)
{
    char err[512];
    jad_journal_t *j = jad_journal_open (jad_test_path (state, "journal"),
                                         JAD_JOURNAL_CREATE, err, sizeof err);
    assert_non_null (j);
    jad_keys_t *hub = s_secret (state, "hub");
    s_put_record (j, hub, s_op, 1, 1, "Op 1", s_op);
    const uint8_t junk[] = { 0xff, 0xff, 0xff };
    s_put (j, 5, junk, sizeof junk);
    s_put_record (j, hub, s_op, 7, 8, "Op 8", s_op);   /* says 8, under 7 */
    size_t len;
    uint8_t *buf = s_record (hub, s_op, 9, "garbage\n", &len);
    s_put (j, 9, buf, len);
    free (buf);
    s_put_record (j, hub, s_op, 11, 11, "Op 11", s_op);

    jad_history_t *h = jad_history_new ();
    s_bad_t bad = { .n = 0 };
    assert_int_equal (jad_history_load (h, j, 0, NULL, s_bad_fn, &bad), 2);
    assert_int_equal (jad_history_size (h), 2);
    assert_int_equal (bad.n, 3);
    assert_int_equal (bad.seqs[0], 5);
    assert_int_equal (bad.seqs[1], 7);
    assert_non_null (strstr (bad.whys[1], "effective_seq 8"));
    assert_int_equal (bad.seqs[2], 9);
    assert_non_null (strstr (bad.whys[2], "recorded roster"));
    assert_string_equal (s_op_at (h, 10), "Op 1");
    assert_string_equal (s_op_at (h, 11), "Op 11");

    /* Nothing new: nothing read again, nothing reported again. */
    bad.n = 0;
    assert_int_equal (jad_history_load (h, j, 0, NULL, s_bad_fn, &bad), 0);
    assert_int_equal (bad.n, 0);
    /* A hub still running records more: only those are read. */
    s_put_record (j, hub, s_op, 20, 20, "Op 20", s_op);
    assert_int_equal (jad_history_load (h, j, 0, NULL, s_bad_fn, &bad), 1);
    assert_int_equal (bad.n, 0);
    assert_string_equal (s_op_at (h, 20), "Op 20");
    assert_int_equal (jad_history_size (h), 3);
    jad_history_destroy (&h);

    /* ON_BAD may stop the load; NULL skips the bad ones quietly. */
    h = jad_history_new ();
    bad = (s_bad_t) { .stop = 1 };
    assert_int_equal (jad_history_load (h, j, 0, NULL, s_bad_fn, &bad), -1);
    assert_int_equal (bad.n, 1);
    assert_int_equal (jad_history_size (h), 1);
    jad_history_destroy (&h);
    h = jad_history_new ();
    assert_int_equal (jad_history_load (h, j, 0, NULL, NULL, NULL), 3);
    jad_history_destroy (&h);

    /* Verified: the same, and a record of another operation or signed by
     * another key is bad too. */
    uint8_t other[16];
    memcpy (other, s_op, 16);
    other[1] ^= 1;
    jad_keys_t *hub2 = s_secret (state, "hub2");
    s_put_record (j, hub, s_op, 30, 30, "Op 30", other);   /* its roster */
    s_put_record (j, hub, other, 31, 31, "Op 31", s_op);   /* its signature */
    s_put_record (j, hub2, s_op, 32, 32, "Op 32", s_op);   /* another hub */
    s_put_record (j, hub, s_op, 33, 33, "Op 33", s_op);
    h = jad_history_new ();
    bad = (s_bad_t) { .n = 0 };
    assert_int_equal (jad_history_load (h, j, 1, s_op, s_bad_fn, &bad), 4);
    assert_int_equal (bad.n, 6);
    assert_int_equal (bad.seqs[3], 30);
    assert_string_equal (bad.whys[3], "another operation's roster");
    assert_int_equal (bad.seqs[4], 31);
    assert_string_equal (bad.whys[4], "the hub's signature does not verify");
    assert_int_equal (bad.seqs[5], 32);
    assert_string_equal (bad.whys[5], "the hub's signature does not verify");
    assert_string_equal (s_op_at (h, 40), "Op 33");
    jad_history_destroy (&h);

    jad_keys_destroy (&hub);
    jad_keys_destroy (&hub2);
    jad_journal_destroy (&j);
}

/* Verification against an anchor: the first roster's hub, or one set. */
static void
test_anchor (void **state)
{
    jad_keys_t *hub = s_secret (state, "hub"), *hub2 = s_secret (state, "hub2");
    char *text = s_text ("Op", s_op, s_basic), err[512];
    size_t len, len2;
    uint8_t *buf = s_record (hub, s_op, 1, text, &len);
    uint8_t *buf2 = s_record (hub2, s_op, 5, text, &len2);

    /* A wrong anchor set: the hub's own record is refused, unchanged. */
    jad_history_t *h = jad_history_new ();
    jad_history_set_hub_key (h, jad_keys_sign_public (hub2));
    assert_int_equal (jad_history_add_record (h, buf, len, 1, 1, s_op, err,
                                              sizeof err), -1);
    assert_string_equal (err, "roster record at 1: the hub's signature does "
                              "not verify");
    assert_int_equal (jad_history_size (h), 0);
    /* ... and the other hub's is taken; unverified, anything is. */
    assert_int_equal (jad_history_add_record (h, buf2, len2, 5, 1, s_op, err,
                                              sizeof err), 0);
    assert_int_equal (jad_history_add_record (h, buf, len, 1, 0, NULL, err,
                                              sizeof err), 0);
    assert_int_equal (jad_history_size (h), 2);
    jad_history_destroy (&h);

    /* No anchor: the first roster's hub becomes it, once it verifies. */
    h = jad_history_new ();
    assert_int_equal (jad_history_add_record (h, buf2, len2, 0, 1, s_op, err,
                                              sizeof err), -1);
    assert_null (jad_history_hub_key (h));      /* hub2 is not the roster's hub */
    assert_int_equal (jad_history_add_record (h, buf, len, 0, 1, s_op, err,
                                              sizeof err), 0);
    assert_memory_equal (jad_history_hub_key (h), jad_keys_sign_public (hub), 32);
    assert_int_equal (jad_history_add_record (h, buf2, len2, 0, 1, s_op, err,
                                              sizeof err), -1);
    assert_string_equal (err, "roster record at 5: the hub's signature does "
                              "not verify");
    /* The wrong key given for a record stored under another key. */
    assert_int_equal (jad_history_add_record (h, buf, len, 2, 1, s_op, err,
                                              sizeof err), -1);
    assert_string_equal (err, "roster record at 2: effective_seq 1 is not the "
                              "key it is stored under (2)");
    const uint8_t junk[] = { 0x08 };
    assert_int_equal (jad_history_add_record (h, junk, sizeof junk, 0, 0, NULL,
                                              err, sizeof err), -1);
    assert_true (strncmp (err, "roster record: ", 15) == 0);
    assert_int_equal (jad_history_size (h), 1);
    jad_history_destroy (&h);
    free (buf);
    free (buf2);
    free (text);
    jad_keys_destroy (&hub);
    jad_keys_destroy (&hub2);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    s_keys_init ();
#define T(f) cmocka_unit_test_setup_teardown (f, jad_test_dir_setup, \
                                              jad_test_dir_teardown)
    const struct CMUnitTest tests[] = {
        T (test_governing),
        T (test_thousand),
        T (test_replace),
        T (test_out_of_order),
        T (test_country),
        T (test_origin_elsewhere),
        T (test_signer),
        T (test_load),
        T (test_anchor),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
