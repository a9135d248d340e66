/* Unit tests: lib/record.c — checkpoints and roster records made, decoded
 * and verified: round trips, every missing or mis-sized field refused, a
 * bad signature or another operation's refused, and the bytes of one
 * record of each kind pinned (a change to them breaks every journal). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include "jad/keys.h"
#include "jad/record.h"
#include "jad/sign.h"
#include "jad/wire.h"
#include "testutil.h"

static const uint8_t s_op[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };

/* RFC 8032 section 7.1, test 1: a signing key everyone can check. */
static const char *s_seed_hex =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *s_pk_hex =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

/* Lower-case hex of BUF; caller frees. */
static char *
s_hex (const uint8_t *buf, size_t len)
{
    char *out = malloc (2 * len + 1);
    assert_non_null (out);
    sodium_bin2hex (out, 2 * len + 1, buf, len);
    return out;
}

/* Write NAME.secret into the test's directory with the Ed25519 seed
 * SEED_HEX and a CURVE secret of FILL bytes, and load it: a hub key whose
 * signatures are the same on every run. */
static jad_keys_t *
s_keys_fixed (void **state, const char *name, const char *seed_hex,
              uint8_t fill)
{
    uint8_t seed[32], sign_pk[32], sign_sk[64], sk[32], pk[32], id[8];
    char pk_z85[41], sk_z85[41], pk_hex[65], id_hex[17], text[1024], err[256];
    assert_int_equal (sodium_hex2bin (seed, sizeof seed, seed_hex,
                                      strlen (seed_hex), NULL, NULL, NULL), 0);
    crypto_sign_seed_keypair (sign_pk, sign_sk, seed);
    memset (sk, fill, sizeof sk);
    crypto_scalarmult_base (pk, sk);
    zmq_z85_encode (pk_z85, pk, 32);
    zmq_z85_encode (sk_z85, sk, 32);
    jad_sign_key_id (sign_pk, id);
    sodium_bin2hex (pk_hex, sizeof pk_hex, sign_pk, 32);
    sodium_bin2hex (id_hex, sizeof id_hex, id, 8);
    snprintf (text, sizeof text, "name = %s\npublic-key = %s\n"
              "sign-public-key = %s\nkey-id = %s\nsecret-key = %s\n"
              "sign-secret-key = %s\n", name, pk_z85, pk_hex, id_hex, sk_z85,
              seed_hex);
    char path[600];
    snprintf (path, sizeof path, "%s/%s.secret", jad_test_dir (state), name);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    close (fd);
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys)
        fail_msg ("%s", err);
    return keys;
}

static void
s_head (uint8_t head[JAD_HASH_BYTES])
{
    for (int i = 0; i < JAD_HASH_BYTES; i++)
        head[i] = (uint8_t) (0x20 + i);
}

/* ------------------------------------------------------------ checkpoint */

static void
test_checkpoint_round_trip (void **state)
{
    jad_keys_t *hub = s_keys_fixed (state, "hub", s_seed_hex, 1);
    uint8_t head[JAD_HASH_BYTES], other[16];
    s_head (head);
    size_t len = 0;
    uint8_t *buf = jad_checkpoint_make (hub, s_op, 42, head, 1605510000000LL,
                                        &len);
    assert_non_null (buf);
    char err[256];
    jad_checkpoint_t cp;
    assert_int_equal (jad_checkpoint_decode (buf, len, &cp, err, sizeof err), 0);
    assert_int_equal (cp.hub_seq, 42);
    assert_memory_equal (cp.head_hash, head, JAD_HASH_BYTES);
    assert_int_equal (cp.time_ms, 1605510000000LL);
    assert_memory_equal (cp.key_id, jad_keys_key_id (hub), JAD_KEY_ID_BYTES);
    const uint8_t *pk = jad_keys_sign_public (hub);
    assert_int_equal (jad_checkpoint_verify (&cp, s_op, pk), 0);

    /* Another operation, another key, any field changed: refused. */
    memcpy (other, s_op, 16);
    other[15] ^= 1;
    assert_int_equal (jad_checkpoint_verify (&cp, other, pk), -1);
    uint8_t wrong[32];
    memcpy (wrong, pk, 32);
    wrong[0] ^= 1;
    assert_int_equal (jad_checkpoint_verify (&cp, s_op, wrong), -1);
    jad_checkpoint_t bad = cp;
    bad.hub_seq++;
    assert_int_equal (jad_checkpoint_verify (&bad, s_op, pk), -1);
    bad = cp;
    bad.head_hash[31] ^= 1;
    assert_int_equal (jad_checkpoint_verify (&bad, s_op, pk), -1);
    bad = cp;
    bad.time_ms++;
    assert_int_equal (jad_checkpoint_verify (&bad, s_op, pk), -1);
    bad = cp;
    bad.signature[10] ^= 4;
    assert_int_equal (jad_checkpoint_verify (&bad, s_op, pk), -1);

    /* Every strict prefix is refused (the signature is last, so a prefix
     * lacks at least part of it), and so is an unknown field after it. */
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal (jad_checkpoint_decode (buf, cut, &cp, err,
                                                 sizeof err), -1);
    uint8_t *more = malloc (len + 2);
    assert_non_null (more);
    memcpy (more, buf, len);
    more[len] = 0x30;       /* field 6, varint */
    more[len + 1] = 1;
    assert_int_equal (jad_checkpoint_decode (more, len + 2, &cp, err,
                                             sizeof err), -1);
    assert_non_null (strstr (err, "unknown"));
    free (more);
    free (buf);

    /* A public-only key cannot make one. */
    char path[600];
    jad_keys_destroy (&hub);
    assert_int_equal (jad_keys_generate ("pub", jad_test_dir (state), err,
                                         sizeof err), 0);
    snprintf (path, sizeof path, "%s/pub.pub", jad_test_dir (state));
    jad_keys_t *pub = jad_keys_load (path, err, sizeof err);
    assert_non_null (pub);
    assert_null (jad_checkpoint_make (pub, s_op, 1, head, 0, &len));
    assert_null (jad_roster_record_make (pub, s_op, 1, "x", 1, 0, &len));
    jad_keys_destroy (&pub);
}

/* A Checkpoint with every field right but what FIELD says. */
static uint8_t *
s_checkpoint_without (int field, int short_by, size_t *len_p)
{
    uint8_t head[32] = { 0 }, kid[8] = { 0 }, sig[64] = { 0 };
    Jad__Checkpoint cp = JAD__CHECKPOINT__INIT;
    cp.has_hub_seq = field != 1 || short_by;
    cp.hub_seq = field == 1 ? 0 : 5;
    cp.has_head_hash = field != 2 || short_by;
    cp.head_hash.data = head;
    cp.head_hash.len = 32 - (field == 2 ? short_by : 0);
    cp.has_time_ms = field != 3;
    cp.time_ms = 7;
    cp.has_key_id = field != 4 || short_by;
    cp.key_id.data = kid;
    cp.key_id.len = 8 - (field == 4 ? short_by : 0);
    cp.has_signature = field != 5 || short_by;
    cp.signature.data = sig;
    cp.signature.len = 64 - (field == 5 ? short_by : 0);
    return jad_wire_encode (&cp.base, len_p);
}

static void
test_checkpoint_refused (void **state)
{
    (void) state;
    static const char *names[] = { NULL, "hub_seq", "head_hash", "time_ms",
                                   "key_id", "signature" };
    char err[256];
    jad_checkpoint_t cp;
    size_t len;
    uint8_t *buf = s_checkpoint_without (0, 0, &len);
    assert_int_equal (jad_checkpoint_decode (buf, len, &cp, err, sizeof err), 0);
    free (buf);
    for (int field = 1; field <= 5; field++)
        for (int short_by = 0; short_by <= 1; short_by++) {
            if (field == 3 && short_by)
                continue;       /* an integer has no size */
            buf = s_checkpoint_without (field, short_by, &len);
            assert_int_equal (jad_checkpoint_decode (buf, len, &cp, err,
                                                     sizeof err), -1);
            assert_true (strncmp (err, "Checkpoint.", 11) == 0);
            assert_non_null (strstr (err, names[field]));
            free (buf);
        }
    const uint8_t junk[] = { 0xff, 0xff, 0xff };
    assert_int_equal (jad_checkpoint_decode (junk, sizeof junk, &cp, err,
                                             sizeof err), -1);
    assert_int_equal (jad_checkpoint_decode (NULL, 0, &cp, err, sizeof err), -1);
}

/* ------------------------------------------------------------ roster */

static void
test_roster_record_round_trip (void **state)
{
    jad_keys_t *hub = s_keys_fixed (state, "hub", s_seed_hex, 1);
    static const char text[] = "operation X\n";
    size_t len = 0;
    uint8_t *buf = jad_roster_record_make (hub, s_op, 7, text, strlen (text),
                                           1605510000000LL, &len);
    assert_non_null (buf);
    char err[256];
    jad_roster_record_t rec;
    assert_int_equal (jad_roster_record_decode (buf, len, &rec, err,
                                                sizeof err), 0);
    assert_int_equal (rec.effective_seq, 7);
    assert_int_equal (rec.text_len, strlen (text));
    assert_memory_equal (rec.text, text, rec.text_len);
    assert_int_equal (rec.time_ms, 1605510000000LL);
    assert_memory_equal (rec.key_id, jad_keys_key_id (hub), JAD_KEY_ID_BYTES);
    const uint8_t *pk = jad_keys_sign_public (hub);
    assert_int_equal (jad_roster_record_verify (&rec, s_op, pk), 0);
    uint8_t other[16];
    memcpy (other, s_op, 16);
    other[0] ^= 0x80;
    assert_int_equal (jad_roster_record_verify (&rec, other, pk), -1);
    rec.effective_seq = 8;
    assert_int_equal (jad_roster_record_verify (&rec, s_op, pk), -1);
    rec.effective_seq = 7;
    rec.signature[63] ^= 1;
    assert_int_equal (jad_roster_record_verify (&rec, s_op, pk), -1);
    rec.signature[63] ^= 1;
    assert_int_equal (jad_roster_record_verify (&rec, s_op, pk), 0);
    jad_roster_record_clear (&rec);
    assert_null (rec.msg);
    assert_null (rec.text);
    jad_roster_record_clear (&rec);         /* safe on a cleared one */

    /* The text is signed through its hash: one byte changed is refused. */
    assert_memory_equal (buf + 4, text, 4);     /* after 08 07 12 0c */
    buf[4] ^= 1;
    assert_int_equal (jad_roster_record_decode (buf, len, &rec, err,
                                                sizeof err), 0);
    assert_int_equal (jad_roster_record_verify (&rec, s_op, pk), -1);
    jad_roster_record_clear (&rec);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal (jad_roster_record_decode (buf, cut, &rec, err,
                                                    sizeof err), -1);
        jad_roster_record_clear (&rec);
    }
    free (buf);
    jad_keys_destroy (&hub);
}

/* A RosterRecord with every field right but what FIELD says. */
static uint8_t *
s_roster_without (int field, int short_by, size_t *len_p)
{
    uint8_t kid[8] = { 0 }, sig[64] = { 0 };
    Jad__RosterRecord rec = JAD__ROSTER_RECORD__INIT;
    rec.has_effective_seq = field != 1 || short_by;
    rec.effective_seq = field == 1 ? 0 : 5;
    rec.has_roster = field != 2 || short_by;
    rec.roster.data = (uint8_t *) "text";
    rec.roster.len = field == 2 ? 0 : 4;
    rec.has_time_ms = field != 3;
    rec.time_ms = 7;
    rec.has_key_id = field != 4 || short_by;
    rec.key_id.data = kid;
    rec.key_id.len = 8 - (field == 4 ? short_by : 0);
    rec.has_signature = field != 5 || short_by;
    rec.signature.data = sig;
    rec.signature.len = 64 - (field == 5 ? short_by : 0);
    return jad_wire_encode (&rec.base, len_p);
}

static void
test_roster_record_refused (void **state)
{
    (void) state;
    static const char *names[] = { NULL, "effective_seq", "roster", "time_ms",
                                   "key_id", "signature" };
    char err[256];
    jad_roster_record_t rec;
    size_t len;
    uint8_t *buf = s_roster_without (0, 0, &len);
    assert_int_equal (jad_roster_record_decode (buf, len, &rec, err,
                                                sizeof err), 0);
    jad_roster_record_clear (&rec);
    free (buf);
    for (int field = 1; field <= 5; field++)
        for (int short_by = 0; short_by <= 1; short_by++) {
            if (field == 3 && short_by)
                continue;
            buf = s_roster_without (field, short_by, &len);
            assert_int_equal (jad_roster_record_decode (buf, len, &rec, err,
                                                        sizeof err), -1);
            assert_true (strncmp (err, "RosterRecord.", 13) == 0);
            assert_non_null (strstr (err, names[field]));
            assert_null (rec.msg);
            jad_roster_record_clear (&rec);
            free (buf);
        }
    const uint8_t junk[] = { 0x0a, 0x7f, 0x00 };
    assert_int_equal (jad_roster_record_decode (junk, sizeof junk, &rec, err,
                                                sizeof err), -1);
    jad_roster_record_clear (&rec);
}

/* ------------------------------------------------------------ bytes */

/* One record of each kind, byte for byte: Ed25519 is deterministic, so
 * with the RFC 8032 key the signatures are fixed too (computed apart from
 * this code, with Python's `cryptography`, over sign.h's bytes).  The same
 * layout the hub has always written: fields in number order, all present. */
static void
test_pinned_bytes (void **state)
{
    jad_keys_t *hub = s_keys_fixed (state, "hub", s_seed_hex, 1);
    uint8_t pk[32];
    assert_int_equal (sodium_hex2bin (pk, sizeof pk, s_pk_hex, 64, NULL, NULL,
                                      NULL), 0);
    assert_memory_equal (jad_keys_sign_public (hub), pk, 32);
    uint8_t head[JAD_HASH_BYTES];
    s_head (head);
    size_t len;
    uint8_t *buf = jad_checkpoint_make (hub, s_op, 42, head, 1605510000000LL,
                                        &len);
    assert_non_null (buf);
    char *hex = s_hex (buf, len);
    assert_string_equal (hex,
        "082a"                                          /* 1 hub_seq 42 */
        "1220" "202122232425262728292a2b2c2d2e2f"       /* 2 head_hash */
               "303132333435363738393a3b3c3d3e3f"
        "1880dbe9fedc2e"                                /* 3 time_ms */
        "2208" "7849ac3049680be1"                       /* 4 key_id */
        "2a40" "8ebb8461dd1a528f76ce14e3cb8c83d4"       /* 5 signature */
               "8912b20c193e06b32150b8ee9f93ac21"
               "10c50dafeda4735e1f2e10f807ff59e7"
               "2dff6e05a314d2f29d7cdf05c482d309");
    free (hex);
    free (buf);

    static const char text[] = "operation X\n";
    buf = jad_roster_record_make (hub, s_op, 7, text, strlen (text),
                                  1605510000000LL, &len);
    assert_non_null (buf);
    hex = s_hex (buf, len);
    assert_string_equal (hex,
        "0807"                                          /* 1 effective_seq */
        "120c" "6f7065726174696f6e20580a"               /* 2 roster */
        "1880dbe9fedc2e"                                /* 3 time_ms */
        "2208" "7849ac3049680be1"                       /* 4 key_id */
        "2a40" "43d049ab497d6d31fc3315b5085a3fe8"       /* 5 signature */
               "a615c3dedc3c8579133ee456ced69a71"
               "b17c3ca2b55d812f0af51eb020ad0a34"
               "765d6d363f8bb9853c1429c9b3960708");
    free (hex);
    free (buf);
    jad_keys_destroy (&hub);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_checkpoint_round_trip,
                                         jad_test_dir_setup, jad_test_dir_teardown),
        cmocka_unit_test (test_checkpoint_refused),
        cmocka_unit_test_setup_teardown (test_roster_record_round_trip,
                                         jad_test_dir_setup, jad_test_dir_teardown),
        cmocka_unit_test (test_roster_record_refused),
        cmocka_unit_test_setup_teardown (test_pinned_bytes,
                                         jad_test_dir_setup, jad_test_dir_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
