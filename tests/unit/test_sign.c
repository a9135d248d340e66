/* Unit tests: lib/sign.c — the signed byte strings pinned byte for byte
 * (libsodium .exp style: any change to a layout breaks every signature ever
 * made, so it must show up here), key ids, BLAKE2b-256, the RFC 8032 test
 * vector, and a sign/verify round trip with a real jad_keys key. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jad/keys.h"
#include "jad/sign.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static const uint8_t s_op [16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t s_inc [16] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

/* Lower-case hex of BUF; caller frees. */
static char *
s_hex (const uint8_t *buf, size_t len)
{
    char *out = malloc (2 * len + 1);
    assert_non_null (out);
    for (size_t i = 0; i < len; i++)
        snprintf (out + 2 * i, 3, "%02x", buf [i]);
    out [2 * len] = '\0';
    return out;
}

static void
s_expect_hex (const uint8_t *buf, size_t len, const char *expected)
{
    char *hex = s_hex (buf, len);
    assert_string_equal (hex, expected);
    free (hex);
}

static void
s_unhex (const char *hex, uint8_t *out, size_t len)
{
    assert_int_equal (strlen (hex), 2 * len);
    for (size_t i = 0; i < len; i++) {
        unsigned v;
        assert_int_equal (sscanf (hex + 2 * i, "%2x", &v), 1);
        out [i] = (uint8_t) v;
    }
}


/* ------------------------------------------------------------ tests */

static void
test_report_bytes (void **state)
{
    (void) state;
    static const uint8_t report [] = { 0x0a, 0x03, 'a', 'b', 'c' };
    size_t len = 0;
    uint8_t *buf = jad_sign_report_bytes (s_op, "agent-de", s_inc,
                                          0x0102030405060708ULL, -2,
                                          report, sizeof report, &len);
    assert_non_null (buf);
    assert_int_equal (len, 83);
    s_expect_hex (buf, len,
        "6a61646875622d7265706f72742d763100"            /* tag + NUL */
        "000102030405060708090a0b0c0d0e0f"              /* operation_id */
        "08" "6167656e742d6465"                         /* origin */
        "101112131415161718191a1b1c1d1e1f"              /* incarnation */
        "0102030405060708"                              /* origin_seq */
        "fffffffffffffffe"                              /* event_time_ms -2 */
        "00000005" "0a03616263");                       /* report */
    free (buf);

    /* Empty origin and report. */
    buf = jad_sign_report_bytes (s_op, "", s_inc, 1, 1605510000000LL,
                                 NULL, 0, &len);
    assert_non_null (buf);
    assert_int_equal (len, 70);
    s_expect_hex (buf, len,
        "6a61646875622d7265706f72742d763100"
        "000102030405060708090a0b0c0d0e0f"
        "00"
        "101112131415161718191a1b1c1d1e1f"
        "0000000000000001"
        "00000175cfda6d80"
        "00000000");
    free (buf);

    /* Origin of 255 bytes: fine; 256: refused; NULL: refused. */
    char origin [300];
    memset (origin, 'o', 255);
    origin [255] = '\0';
    buf = jad_sign_report_bytes (s_op, origin, s_inc, 1, 0, report,
                                 sizeof report, &len);
    assert_non_null (buf);
    assert_int_equal (len, 17 + 16 + 1 + 255 + 16 + 8 + 8 + 4 + 5);
    assert_int_equal (buf [33], 255);
    free (buf);
    origin [255] = 'o';
    origin [256] = '\0';
    assert_null (jad_sign_report_bytes (s_op, origin, s_inc, 1, 0, report,
                                        sizeof report, &len));
    assert_null (jad_sign_report_bytes (s_op, NULL, s_inc, 1, 0, report,
                                        sizeof report, &len));
    assert_null (jad_sign_report_bytes (s_op, "x", s_inc, 1, 0, NULL, 3,
                                        &len));
}

static void
test_checkpoint_bytes (void **state)
{
    (void) state;
    uint8_t head [JAD_HASH_BYTES];
    for (int i = 0; i < JAD_HASH_BYTES; i++)
        head [i] = (uint8_t) (0x20 + i);
    uint8_t out [JAD_SIGN_CHECKPOINT_LEN];
    assert_int_equal (JAD_SIGN_CHECKPOINT_LEN, 85);
    assert_int_equal (jad_sign_checkpoint_bytes (s_op, 42, head,
                                                 1605510000000LL, out), 85);
    s_expect_hex (out, sizeof out,
        "6a61646875622d636865636b706f696e742d763100"    /* tag + NUL */
        "000102030405060708090a0b0c0d0e0f"              /* operation_id */
        "000000000000002a"                              /* hub_seq */
        "202122232425262728292a2b2c2d2e2f"              /* head_hash */
        "303132333435363738393a3b3c3d3e3f"
        "00000175cfda6d80");                            /* time_ms */
}

static void
test_roster_bytes (void **state)
{
    (void) state;
    static const char text [] = "operation X\n";
    uint8_t out [JAD_SIGN_ROSTER_LEN];
    assert_int_equal (JAD_SIGN_ROSTER_LEN, 81);
    assert_int_equal (jad_sign_roster_bytes (s_op, 7, text, strlen (text),
                                             1605510000000LL, out), 81);
    s_expect_hex (out, sizeof out,
        "6a61646875622d726f737465722d763100"            /* tag + NUL */
        "000102030405060708090a0b0c0d0e0f"              /* operation_id */
        "0000000000000007"                              /* effective_seq */
        "cb9b99e6ed92807cd5d67e20aa159a68"              /* BLAKE2b-256 */
        "62cbc932f444717b1beb6aee8c88d8cf"              /*   of the text */
        "00000175cfda6d80");                            /* time_ms */
}

static void
test_hash_and_key_id (void **state)
{
    (void) state;
    uint8_t hash [JAD_HASH_BYTES];
    jad_sign_hash (NULL, 0, hash);
    s_expect_hex (hash, sizeof hash, "0e5751c026e543b2e8ab2eb06099daa1"
                                     "d1e5df47778f7787faab45cdf12fe3a8");
    uint8_t pk [JAD_SIGN_PUBLIC_BYTES], id [JAD_KEY_ID_BYTES];
    for (int i = 0; i < JAD_SIGN_PUBLIC_BYTES; i++)
        pk [i] = (uint8_t) i;
    jad_sign_key_id (pk, id);
    s_expect_hex (id, sizeof id, "cb2f5160fc1f7e05");
}

/* RFC 8032 section 7.1, test 1: the empty message. */
static void
test_rfc8032_vector (void **state)
{
    (void) state;
    uint8_t pk [32], sig [64], id [8];
    s_unhex ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
             pk, sizeof pk);
    s_unhex ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
             "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
             sig, sizeof sig);
    assert_int_equal (jad_sign_verify (pk, NULL, 0, sig), 0);
    assert_int_equal (jad_sign_verify (pk, (const uint8_t *) "x", 1, sig), -1);
    sig [0] ^= 1;
    assert_int_equal (jad_sign_verify (pk, NULL, 0, sig), -1);
    jad_sign_key_id (pk, id);
    s_expect_hex (id, sizeof id, "7849ac3049680be1");
}

static void
test_sign_verify_round_trip (void **state)
{
    const char *dir = jad_test_dir (state);
    char err [256], path [1100];
    assert_int_equal (jad_keys_generate ("agent-de", dir, err, sizeof err), 0);
    snprintf (path, sizeof path, "%s/agent-de.secret", dir);
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys)
        fail_msg ("%s", err);
    snprintf (path, sizeof path, "%s/agent-de.pub", dir);
    jad_keys_t *pub = jad_keys_load (path, err, sizeof err);
    assert_non_null (pub);

    static const uint8_t report [] = { 0x0a, 0x03, 'a', 'b', 'c' };
    size_t len;
    uint8_t *msg = jad_sign_report_bytes (s_op, "agent-de", s_inc, 1, 2,
                                          report, sizeof report, &len);
    assert_non_null (msg);
    uint8_t sig [JAD_SIGN_BYTES];
    assert_int_equal (jad_keys_sign (keys, msg, len, sig), 0);
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (pub), msg, len,
                                       sig), 0);
    /* The key id in the file is the derived one. */
    uint8_t id [JAD_KEY_ID_BYTES];
    jad_sign_key_id (jad_keys_sign_public (pub), id);
    assert_memory_equal (id, jad_keys_key_id (pub), JAD_KEY_ID_BYTES);

    /* Any flipped bit, in the message or the signature, fails. */
    for (size_t bit = 0; bit < 8 * len; bit += 7) {
        msg [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        assert_int_equal (jad_sign_verify (jad_keys_sign_public (pub), msg,
                                           len, sig), -1);
        msg [bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    for (size_t bit = 0; bit < 8 * JAD_SIGN_BYTES; bit += 5) {
        sig [bit / 8] ^= (uint8_t) (1u << (bit % 8));
        assert_int_equal (jad_sign_verify (jad_keys_sign_public (pub), msg,
                                           len, sig), -1);
        sig [bit / 8] ^= (uint8_t) (1u << (bit % 8));
    }
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (pub), msg, len,
                                       sig), 0);
    /* A truncated message fails too. */
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (pub), msg,
                                       len - 1, sig), -1);

    /* A public-only object cannot sign. */
    assert_int_equal (jad_keys_sign (pub, msg, len, sig), -1);
    free (msg);
    jad_keys_destroy (&keys);
    jad_keys_destroy (&pub);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_report_bytes),
        cmocka_unit_test (test_checkpoint_bytes),
        cmocka_unit_test (test_roster_bytes),
        cmocka_unit_test (test_hash_and_key_id),
        cmocka_unit_test (test_rfc8032_vector),
        cmocka_unit_test_setup_teardown (test_sign_verify_round_trip,
                                         jad_test_dir_setup,
                                         jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
