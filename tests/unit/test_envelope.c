/* Unit tests: lib/envelope.c — seal, open and verify with real keys made by
 * jad_keys_generate (the signature checked again, independently, over
 * jad_sign_report_bytes); unsigned envelopes; every signed field tampered
 * with; what seal refuses; the codes of open (TOO_LARGE at
 * JAD_ENVELOPE_MAX + 1, BAD_VERSION, MALFORMED for each field missing or
 * of the wrong size) on envelopes built by hand; and jad_envelope_ident
 * on each of those: the identity exactly as sent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/envelope.h"
#include "jad/keys.h"
#include "jad/sign.h"
#include "jad/wire.h"
#include "testutil.h"

/* ------------------------------------------------------------ fixtures */

static const uint8_t s_op[16] = {
    0x6c, 0x1e, 0x57, 0x0a, 0x11, 0x66, 0x40, 0x9c,
    0x69, 0x42, 0xc7, 0x90, 0x91, 0x0b, 0x9c, 0xb1 };
static const uint8_t s_inc[16] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
/* A packed Report: {country: "DE", location: "Kehl"}. */
static const uint8_t s_report[] = { 0x0a, 0x02, 'D', 'E', 0x12, 0x04, 'K', 'e', 'h', 'l' };
#define S_TIME  1605510000000LL

/* Keys made once for the whole file: generating costs an fsync or two. */
static char       *s_dir;
static jad_keys_t *s_de;        /* agent-de, with secret */
static jad_keys_t *s_de_pub;    /* agent-de, public only */
static jad_keys_t *s_fr;        /* agent-fr, with secret */

static jad_keys_t *
s_load (const char *name, const char *ext)
{
    char path[1024], err[256];
    snprintf (path, sizeof path, "%s/%s.%s", s_dir, name, ext);
    jad_keys_t *keys = jad_keys_load (path, err, sizeof err);
    if (!keys)
        fail_msg ("%s: %s", path, err);
    return keys;
}

static int
s_group_setup (void **state)
{
    (void) state;
    char err[256];
    s_dir = jad_test_mkdtemp ();
    if (!s_dir
    ||  jad_keys_generate ("agent-de", s_dir, err, sizeof err) != 0
    ||  jad_keys_generate ("agent-fr", s_dir, err, sizeof err) != 0)
        return -1;
    s_de = s_load ("agent-de", "secret");
    s_de_pub = s_load ("agent-de", "pub");
    s_fr = s_load ("agent-fr", "secret");
    return 0;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    jad_keys_destroy (&s_de);
    jad_keys_destroy (&s_de_pub);
    jad_keys_destroy (&s_fr);
    if (s_dir)
        jad_test_rmtree (s_dir);
    free (s_dir);
    return 0;
}

static const jad_envelope_id_t s_id = {
    .operation_id = s_op, .origin = "agent-de", .incarnation = s_inc,
    .origin_seq = 42
};

/* Seal s_report as s_id signed by SIGNER (NULL: unsigned); insist on it. */
static uint8_t *
s_seal (const jad_keys_t *signer, size_t *len_p)
{
    char err[256] = "";
    uint8_t *buf = jad_envelope_seal (&s_id, S_TIME, s_report, sizeof s_report,
                                      signer, len_p, err, sizeof err);
    if (!buf)
        fail_msg ("seal: %s", err);
    return buf;
}

/* A valid Envelope built by hand (no signature), for the tests to spoil
 * one field at a time.  The pointers are static. */
static void
s_raw_valid (Jad__Envelope *env)
{
    jad__envelope__init (env);
    env->has_version = 1;
    env->version = JAD_SCHEMA_VERSION;
    env->has_operation_id = 1;
    env->operation_id.data = (uint8_t *) s_op;
    env->operation_id.len = 16;
    env->origin = "agent-de";
    env->has_incarnation = 1;
    env->incarnation.data = (uint8_t *) s_inc;
    env->incarnation.len = 16;
    env->has_origin_seq = 1;
    env->origin_seq = 42;
    env->has_event_time_ms = 1;
    env->event_time_ms = S_TIME;
    env->has_report = 1;
    env->report.data = (uint8_t *) s_report;
    env->report.len = sizeof s_report;
}

static uint8_t *
s_pack (const Jad__Envelope *env, size_t *len_p)
{
    uint8_t *buf = jad_wire_encode (&env->base, len_p);
    assert_non_null (buf);
    return buf;
}

/* The code jad_envelope_open gives ENV's bytes; the reason in ERR.  The
 * identity jad_envelope_ident reads from them into *ID. */
static jad_err_t
s_open_code (const Jad__Envelope *env, char *err, size_t errlen, jad_ident_t *id)
{
    size_t len = 0;
    uint8_t *buf = s_pack (env, &len);
    jad_envelope_t e;
    err[0] = '\0';
    jad_err_t code = jad_envelope_open (buf, len, &e, err, errlen);
    if (code != JAD_OK) {
        assert_true (strlen (err) > 0);
        /* Nothing of a refused envelope is handed out. */
        assert_null (e.id.origin);
        assert_null (e.report);
        assert_null (e.key_id);
    }
    jad_envelope_clear (&e);
    memset (id, 0xcc, sizeof *id);
    jad_envelope_ident (buf, len, id);
    free (buf);
    return code;
}

/* *ID holds incarnation INC[0..INC_LEN) and origin_seq SEQ. */
static void
s_expect_ident (const jad_ident_t *id, const uint8_t *inc, size_t inc_len,
                uint64_t seq)
{
    assert_int_equal (id->has_incarnation, 1);
    assert_int_equal (id->incarnation_len, inc_len);
    if (inc_len)
        assert_memory_equal (id->incarnation, inc, inc_len);
    assert_int_equal (id->has_origin_seq, 1);
    assert_int_equal (id->origin_seq, seq);
}

/* ------------------------------------------------------------ seal, open, verify */

static void
test_seal_open_verify (void **state)
{
    (void) state;
    char err[256] = "";
    size_t len = 0;
    uint8_t *buf = s_seal (s_de, &len);

    jad_envelope_t env;
    assert_int_equal (jad_envelope_open (buf, len, &env, err, sizeof err), JAD_OK);
    assert_memory_equal (env.id.operation_id, s_op, 16);
    assert_string_equal (env.id.origin, "agent-de");
    assert_memory_equal (env.id.incarnation, s_inc, 16);
    assert_int_equal (env.id.origin_seq, 42);
    assert_int_equal (env.event_time_ms, S_TIME);
    assert_int_equal (env.report_len, sizeof s_report);
    assert_memory_equal (env.report, s_report, sizeof s_report);
    assert_non_null (env.key_id);
    assert_memory_equal (env.key_id, jad_keys_key_id (s_de), JAD_KEY_ID_BYTES);
    assert_non_null (env.signature);
    assert_int_equal (env.signature_len, JAD_SIGN_BYTES);
    assert_non_null (env.msg);

    assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                           jad_keys_key_id (s_de_pub),
                                           err, sizeof err), JAD_OK);

    /* The signature is Ed25519 over jad_sign_report_bytes, nothing else:
     * checked here without lib/envelope.c, and made again (Ed25519 is
     * deterministic) to the same 64 bytes. */
    size_t mlen = 0;
    uint8_t *msg = jad_sign_report_bytes (s_op, "agent-de", s_inc, 42, S_TIME,
                                          s_report, sizeof s_report, &mlen);
    assert_non_null (msg);
    assert_int_equal (jad_sign_verify (jad_keys_sign_public (s_de_pub), msg, mlen,
                                       env.signature), 0);
    uint8_t sig[JAD_SIGN_BYTES];
    assert_int_equal (jad_keys_sign (s_de, msg, mlen, sig), 0);
    assert_memory_equal (sig, env.signature, JAD_SIGN_BYTES);
    free (msg);

    /* Sealing is deterministic: a resend is byte-identical. */
    size_t len2 = 0;
    uint8_t *buf2 = s_seal (s_de, &len2);
    assert_int_equal (len2, len);
    assert_memory_equal (buf2, buf, len);
    free (buf2);

    /* Another key id, another signing key: both refused. */
    assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                           jad_keys_key_id (s_fr),
                                           err, sizeof err), JAD_EBAD_SIGNATURE);
    assert_non_null (strstr (err, "key_id"));
    assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_fr),
                                           jad_keys_key_id (s_de_pub),
                                           err, sizeof err), JAD_EBAD_SIGNATURE);
    assert_non_null (strstr (err, "does not verify"));

    jad_envelope_clear (&env);
    assert_null (env.msg);
    assert_null (env.report);
    jad_envelope_clear (&env);          /* safe twice */
    jad_envelope_clear (NULL);
    free (buf);
}

/* Every signed field changed after sealing, the signature kept: open
 * takes it (the structure is fine), verify refuses it. */
static void
test_tampered (void **state)
{
    (void) state;
    char err[256];
    size_t len = 0;
    uint8_t *sealed = s_seal (s_de, &len);

    /* A flipped report byte, in the sealed bytes themselves. */
    uint8_t *at = NULL;
    for (size_t i = 0; !at && i + sizeof s_report <= len; i++)
        if (memcmp (sealed + i, s_report, sizeof s_report) == 0)
            at = sealed + i;
    assert_non_null (at);
    at[5] ^= 0x01;                      /* 'K' -> 'J' */
    jad_envelope_t env;
    assert_int_equal (jad_envelope_open (sealed, len, &env, err, sizeof err), JAD_OK);
    assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                           jad_keys_key_id (s_de_pub),
                                           err, sizeof err), JAD_EBAD_SIGNATURE);
    assert_string_equal (err, "signature: does not verify");
    jad_envelope_clear (&env);
    at[5] ^= 0x01;

    /* Each other field, through the generated struct. */
    for (int field = 0; field < 7; field++) {
        Jad__Envelope *e = (Jad__Envelope *) jad_wire_decode (
            &jad__envelope__descriptor, sealed, len, JAD_ENVELOPE_MAX,
            err, sizeof err);
        assert_non_null (e);
        uint8_t op[16], inc[16], sig[JAD_SIGN_BYTES];
        memcpy (op, s_op, 16);
        memcpy (inc, s_inc, 16);
        memcpy (sig, e->signature.data, sizeof sig);
        uint8_t *op_was = e->operation_id.data, *inc_was = e->incarnation.data;
        uint8_t *sig_was = e->signature.data;
        char *origin_was = e->origin;
        switch (field) {
        case 0: op[15] ^= 0x80; e->operation_id.data = op; break;
        case 1: e->origin = "agent-fr"; break;
        case 2: inc[0] ^= 0x01; e->incarnation.data = inc; break;
        case 3: e->origin_seq = 43; break;
        case 4: e->event_time_ms += 1; break;
        case 5: e->report.len -= 1; break;
        case 6: sig[63] ^= 0x40; e->signature.data = sig; break;
        }
        size_t tlen = 0;
        uint8_t *tampered = s_pack (e, &tlen);
        e->operation_id.data = op_was;
        e->incarnation.data = inc_was;
        e->signature.data = sig_was;
        e->origin = origin_was;
        jad_wire_free (&e);
        assert_int_equal (jad_envelope_open (tampered, tlen, &env, err, sizeof err),
                          JAD_OK);
        assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                               jad_keys_key_id (s_de_pub),
                                               err, sizeof err),
                          JAD_EBAD_SIGNATURE);
        assert_string_equal (err, "signature: does not verify");
        jad_envelope_clear (&env);
        free (tampered);
    }

    /* A signature of 63 bytes, none at all, a key id of 7 bytes. */
    for (int c = 0; c < 3; c++) {
        Jad__Envelope *e = (Jad__Envelope *) jad_wire_decode (
            &jad__envelope__descriptor, sealed, len, JAD_ENVELOPE_MAX,
            err, sizeof err);
        assert_non_null (e);
        if (c == 0)
            e->signature.len = 63;
        else if (c == 1)
            e->has_signature = 0;
        else
            e->key_id.len = 7;
        size_t tlen = 0;
        uint8_t *tampered = s_pack (e, &tlen);
        jad_wire_free (&e);
        assert_int_equal (jad_envelope_open (tampered, tlen, &env, err, sizeof err),
                          JAD_OK);
        if (c == 0) {
            assert_non_null (env.signature);
            assert_int_equal (env.signature_len, 63);
        }
        if (c == 1)
            assert_null (env.signature);
        if (c == 2)
            assert_null (env.key_id);
        assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                               jad_keys_key_id (s_de_pub),
                                               err, sizeof err),
                          JAD_EBAD_SIGNATURE);
        assert_non_null (strstr (err, c == 2 ? "key_id: missing" : "signature: missing"));
        jad_envelope_clear (&env);
        free (tampered);
    }
    free (sealed);
}

static void
test_unsigned (void **state)
{
    (void) state;
    char err[256];
    size_t len = 0;
    uint8_t *buf = s_seal (NULL, &len);
    jad_envelope_t env;
    assert_int_equal (jad_envelope_open (buf, len, &env, err, sizeof err), JAD_OK);
    assert_string_equal (env.id.origin, "agent-de");
    assert_int_equal (env.id.origin_seq, 42);
    assert_memory_equal (env.report, s_report, sizeof s_report);
    assert_null (env.key_id);
    assert_null (env.signature);
    assert_int_equal (env.signature_len, 0);
    assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                           jad_keys_key_id (s_de_pub),
                                           err, sizeof err), JAD_EBAD_SIGNATURE);
    assert_int_equal (strncmp (err, "key_id: missing", 15), 0);
    jad_envelope_clear (&env);

    /* The same as a signed one minus key id and signature: 8 + 2 and
     * 64 + 2 bytes shorter. */
    size_t slen = 0;
    uint8_t *signed_buf = s_seal (s_de, &slen);
    assert_int_equal (slen, len + 10 + 66);
    assert_memory_equal (signed_buf, buf, len);
    free (signed_buf);
    free (buf);
}

static void
test_seal_refuses (void **state)
{
    (void) state;
    char err[256], origin[80];
    size_t len = 0;
    jad_envelope_id_t id = s_id;
    uint8_t *buf;

    /* Origins of 64 bytes (fine) and 65 (refused), empty, none. */
    memset (origin, 'o', sizeof origin);
    origin[64] = '\0';
    id.origin = origin;
    buf = jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report, s_de,
                             &len, err, sizeof err);
    assert_non_null (buf);
    jad_envelope_t env;
    assert_int_equal (jad_envelope_open (buf, len, &env, err, sizeof err), JAD_OK);
    assert_int_equal (strlen (env.id.origin), 64);
    jad_envelope_clear (&env);
    free (buf);
    origin[64] = 'o';
    origin[65] = '\0';
    err[0] = '\0';
    assert_null (jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report,
                                    s_de, &len, err, sizeof err));
    assert_non_null (strstr (err, "origin"));
    id.origin = "";
    assert_null (jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report,
                                    NULL, &len, err, sizeof err));
    id.origin = NULL;
    assert_null (jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report,
                                    NULL, &len, err, sizeof err));

    /* origin_seq 0, no operation, no incarnation, a negative event time. */
    id = s_id;
    id.origin_seq = 0;
    err[0] = '\0';
    assert_null (jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report,
                                    s_de, &len, err, sizeof err));
    assert_non_null (strstr (err, "origin_seq"));
    id = s_id;
    id.operation_id = NULL;
    assert_null (jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report,
                                    NULL, &len, err, sizeof err));
    id = s_id;
    id.incarnation = NULL;
    assert_null (jad_envelope_seal (&id, S_TIME, s_report, sizeof s_report,
                                    NULL, &len, err, sizeof err));
    assert_null (jad_envelope_seal (&s_id, -1, s_report, sizeof s_report,
                                    NULL, &len, err, sizeof err));
    buf = jad_envelope_seal (&s_id, 0, s_report, sizeof s_report, NULL,
                             &len, err, sizeof err);
    assert_non_null (buf);              /* 1970 itself is fine */
    free (buf);

    /* Reports: none, empty, JAD_REPORT_MAX (fine), one byte more. */
    err[0] = '\0';
    assert_null (jad_envelope_seal (&s_id, S_TIME, s_report, 0, s_de, &len,
                                    err, sizeof err));
    assert_non_null (strstr (err, "report"));
    assert_null (jad_envelope_seal (&s_id, S_TIME, NULL, 5, s_de, &len,
                                    err, sizeof err));
    uint8_t *big = calloc (1, JAD_REPORT_MAX + 1);
    assert_non_null (big);
    buf = jad_envelope_seal (&s_id, S_TIME, big, JAD_REPORT_MAX, s_de, &len,
                             err, sizeof err);
    assert_non_null (buf);
    assert_true (len <= JAD_ENVELOPE_MAX);
    assert_int_equal (jad_envelope_open (buf, len, &env, err, sizeof err), JAD_OK);
    assert_int_equal (env.report_len, JAD_REPORT_MAX);
    assert_int_equal (jad_envelope_verify (&env, jad_keys_sign_public (s_de_pub),
                                           jad_keys_key_id (s_de_pub),
                                           err, sizeof err), JAD_OK);
    jad_envelope_clear (&env);
    free (buf);
    err[0] = '\0';
    assert_null (jad_envelope_seal (&s_id, S_TIME, big, JAD_REPORT_MAX + 1,
                                    s_de, &len, err, sizeof err));
    assert_non_null (strstr (err, "report"));
    free (big);

    /* A signer without its secret. */
    err[0] = '\0';
    assert_null (jad_envelope_seal (&s_id, S_TIME, s_report, sizeof s_report,
                                    s_de_pub, &len, err, sizeof err));
    assert_non_null (strstr (err, "cannot sign"));
}

/* ------------------------------------------------------------ open's codes */

static void
test_open_too_large (void **state)
{
    (void) state;
    char err[256];
    jad_ident_t id;
    /* An envelope of exactly JAD_ENVELOPE_MAX bytes and one of a byte
     * more: the first carries a report over JAD_REPORT_MAX, the second is
     * over the envelope's limit: both TOO_LARGE, both name their report. */
    Jad__Envelope e;
    s_raw_valid (&e);
    size_t rlen = JAD_REPORT_MAX + 1000;
    uint8_t *report = calloc (1, JAD_ENVELOPE_MAX);
    assert_non_null (report);
    e.report.data = report;
    e.report.len = rlen;
    size_t len = protobuf_c_message_get_packed_size (&e.base);
    e.report.len = rlen + (JAD_ENVELOPE_MAX - len);
    assert_int_equal (protobuf_c_message_get_packed_size (&e.base), JAD_ENVELOPE_MAX);
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_ETOO_LARGE);
    assert_non_null (strstr (err, "Envelope.report:"));
    assert_non_null (strstr (err, "over the limit"));
    s_expect_ident (&id, s_inc, 16, 42);
    e.report.len++;
    assert_int_equal (protobuf_c_message_get_packed_size (&e.base),
                      JAD_ENVELOPE_MAX + 1);
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_ETOO_LARGE);
    assert_non_null (strstr (err, "over the limit"));
    s_expect_ident (&id, s_inc, 16, 42);
    free (report);
}

static void
test_open_bad_version (void **state)
{
    (void) state;
    char err[256];
    jad_ident_t id;
    Jad__Envelope e;
    s_raw_valid (&e);
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_OK);

    e.version = 99;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EBAD_VERSION);
    assert_non_null (strstr (err, "99"));
    s_expect_ident (&id, s_inc, 16, 42);

    e.has_version = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EBAD_VERSION);
    assert_non_null (strstr (err, "missing"));
    s_expect_ident (&id, s_inc, 16, 42);

    /* Version 0, said: not ours either. */
    e.has_version = 1;
    e.version = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EBAD_VERSION);

    /* The version is checked before the other fields: a version-99
     * envelope with origin_seq 0 and a short incarnation is BAD_VERSION,
     * and names itself as it was sent. */
    e.version = 99;
    e.origin_seq = 0;
    e.incarnation.len = 15;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EBAD_VERSION);
    s_expect_ident (&id, s_inc, 15, 0);
}

static void
test_open_malformed (void **state)
{
    (void) state;
    char err[256], origin[80];
    jad_ident_t id;
    Jad__Envelope e;
    static const uint8_t zeros[20] = { 0 };

    /* operation_id: 15 bytes, 17, missing. */
    s_raw_valid (&e);
    e.operation_id.len = 15;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "operation_id"));
    s_expect_ident (&id, s_inc, 16, 42);
    e.operation_id.data = (uint8_t *) zeros;
    e.operation_id.len = 17;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    e.has_operation_id = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "operation_id"));

    /* origin: missing, empty, 65 bytes (64 is fine). */
    s_raw_valid (&e);
    e.origin = NULL;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "origin"));
    s_expect_ident (&id, s_inc, 16, 42);
    e.origin = "";
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    memset (origin, 'o', sizeof origin);
    origin[64] = '\0';
    e.origin = origin;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_OK);
    origin[64] = 'o';
    origin[65] = '\0';
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "origin"));

    /* incarnation: 15 bytes (echoed as 15), 17, empty, missing. */
    s_raw_valid (&e);
    e.incarnation.len = 15;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "incarnation"));
    s_expect_ident (&id, s_inc, 15, 42);
    e.incarnation.data = (uint8_t *) zeros;
    e.incarnation.len = 17;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    s_expect_ident (&id, zeros, 17, 42);
    e.incarnation.len = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    s_expect_ident (&id, NULL, 0, 42);
    e.has_incarnation = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.incarnation_len, 0);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 42);

    /* origin_seq: 0 (said: has_origin_seq 1), missing. */
    s_raw_valid (&e);
    e.origin_seq = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "origin_seq"));
    s_expect_ident (&id, s_inc, 16, 0);
    e.has_origin_seq = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.has_origin_seq, 0);
    assert_int_equal (id.origin_seq, 0);

    /* event time: negative, missing; 0 is fine. */
    s_raw_valid (&e);
    e.event_time_ms = -1;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "event_time_ms"));
    s_expect_ident (&id, s_inc, 16, 42);
    e.has_event_time_ms = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    e.has_event_time_ms = 1;
    e.event_time_ms = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_OK);

    /* report: missing, empty, JAD_REPORT_MAX + 1 bytes. */
    s_raw_valid (&e);
    e.has_report = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    assert_non_null (strstr (err, "report"));
    s_expect_ident (&id, s_inc, 16, 42);
    e.has_report = 1;
    e.report.len = 0;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_EMALFORMED);
    uint8_t *big = calloc (1, JAD_REPORT_MAX + 1);
    assert_non_null (big);
    e.report.data = big;
    e.report.len = JAD_REPORT_MAX + 1;
    assert_int_equal (s_open_code (&e, err, sizeof err, &id), JAD_ETOO_LARGE);
    assert_non_null (strstr (err, "report"));
    s_expect_ident (&id, s_inc, 16, 42);
    free (big);
}

static void
test_open_garbage (void **state)
{
    (void) state;
    char err[256];
    jad_envelope_t env;
    jad_ident_t id;

    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
    assert_int_equal (jad_envelope_open (garbage, sizeof garbage, &env, err,
                                         sizeof err), JAD_EMALFORMED);
    jad_envelope_clear (&env);
    memset (&id, 0xcc, sizeof id);
    jad_envelope_ident (garbage, sizeof garbage, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.incarnation_len, 0);
    assert_int_equal (id.has_origin_seq, 0);
    assert_int_equal (id.origin_seq, 0);

    /* No bytes: an Envelope without a version. */
    assert_int_equal (jad_envelope_open (NULL, 0, &env, err, sizeof err),
                      JAD_EBAD_VERSION);
    jad_envelope_clear (&env);
    memset (&id, 0xcc, sizeof id);
    jad_envelope_ident (NULL, 0, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.has_origin_seq, 0);

    /* A valid envelope with an unknown field appended. */
    size_t len = 0;
    uint8_t *buf = s_seal (NULL, &len);
    uint8_t *more = malloc (len + 2);
    assert_non_null (more);
    memcpy (more, buf, len);
    more[len] = 0x78;                   /* field 15, varint */
    more[len + 1] = 0x01;
    assert_int_equal (jad_envelope_open (more, len + 2, &env, err, sizeof err),
                      JAD_EMALFORMED);
    assert_non_null (strstr (err, "unknown"));
    jad_envelope_clear (&env);
    /* ... its identity still reads (a newer schema's envelope is answered
     * with the identity it was sent with). */
    memset (&id, 0xcc, sizeof id);
    jad_envelope_ident (more, len + 2, &id);
    s_expect_ident (&id, s_inc, 16, 42);
    /* A field given twice (origin_seq again). */
    more[len] = 0x28;
    more[len + 1] = 0x2b;
    assert_int_equal (jad_envelope_open (more, len + 2, &env, err, sizeof err),
                      JAD_EMALFORMED);
    jad_envelope_clear (&env);
    free (more);
    free (buf);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_seal_open_verify),
        cmocka_unit_test (test_tampered),
        cmocka_unit_test (test_unsigned),
        cmocka_unit_test (test_seal_refuses),
        cmocka_unit_test (test_open_too_large),
        cmocka_unit_test (test_open_bad_version),
        cmocka_unit_test (test_open_malformed),
        cmocka_unit_test (test_open_garbage),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
