/* Unit tests: lib/frame.c — every builder through jad_frame_decode with
 * every field; the decoder's codes (TOO_LARGE at JAD_FRAME_MAX + 1 and not
 * at JAD_FRAME_MAX, BAD_VERSION for a version 99 or none, MALFORMED for
 * bytes that do not decode, an empty body, a member missing what its
 * readers rely on, unknown fields at any depth); jad_frame_submit_ident on
 * frames that do not decode; and a few small frames pinned byte for byte
 * against hand-computed protobuf (libsodium .exp style: the wire encoding
 * of a frame must not drift). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/envelope.h"
#include "jad/err.h"
#include "jad/frame.h"
#include "jad/wire.h"

/* ------------------------------------------------------------ helpers */

static const uint8_t s_inc[16] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f };
static const uint8_t s_op[16] = {
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
    0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf };

static void
s_expect_hex (const uint8_t *buf, size_t len, const char *expected)
{
    char *hex = malloc (2 * len + 1);
    assert_non_null (hex);
    for (size_t i = 0; i < len; i++)
        snprintf (hex + 2 * i, 3, "%02x", buf[i]);
    hex[2 * len] = '\0';
    assert_string_equal (hex, expected);
    free (hex);
}

/* Decode BUF[0..*LEN_P) (freed here) into *F and insist on JAD_OK.  The
 * length by pointer: it is read after the builder in the same call set it. */
static void
s_decode (uint8_t *buf, const size_t *len_p, jad_frame_t *f)
{
    assert_non_null (buf);
    size_t len = *len_p;
    char err[256] = "";
    jad_err_t code = jad_frame_decode (buf, len, f, err, sizeof err);
    if (code != JAD_OK)
        fail_msg ("decode: %s: %s", jad_err_name (code), err);
    /* The decoded frame holds its own copy: the buffer can go. */
    memset (buf, 0xee, len);
    free (buf);
}

/* The code jad_frame_decode gives BUF[0..LEN); its reason into ERR. */
static jad_err_t
s_code (const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    jad_frame_t f;
    err[0] = '\0';
    jad_err_t code = jad_frame_decode (buf, len, &f, err, errlen);
    if (code != JAD_OK)
        assert_true (strlen (err) > 0);
    jad_frame_clear (&f);
    return code;
}

/* A Frame built by hand (version VERSION, or none when 0) packed. */
static uint8_t *
s_pack_frame (Jad__Frame *f, uint32_t version, size_t *len_p)
{
    f->has_version = version != 0;
    f->version = version;
    uint8_t *buf = jad_wire_encode (&f->base, len_p);
    assert_non_null (buf);
    return buf;
}

/* An Envelope built by hand: version VERSION (0: none), incarnation of
 * INC_LEN bytes, origin_seq SEQ (HAS_SEQ). */
static uint8_t *
s_envelope (uint32_t version, size_t inc_len, int has_seq, uint64_t seq,
            size_t *len_p)
{
    static const uint8_t report[] = { 0x0a, 0x02, 'D', 'E' };
    static uint8_t inc[JAD_IDENT_INCARNATION_MAX + 1];
    for (size_t i = 0; i < sizeof inc; i++)
        inc[i] = (uint8_t) (0x40 + i);
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = version != 0;
    env.version = version;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) s_op;
    env.operation_id.len = 16;
    env.origin = "agent-de";
    env.has_incarnation = 1;
    env.incarnation.data = inc;
    env.incarnation.len = inc_len;
    env.has_origin_seq = has_seq;
    env.origin_seq = seq;
    env.has_event_time_ms = 1;
    env.event_time_ms = 1605510000000;
    env.has_report = 1;
    env.report.data = (uint8_t *) report;
    env.report.len = sizeof report;
    uint8_t *buf = jad_wire_encode (&env.base, len_p);
    assert_non_null (buf);
    return buf;
}

/* A submit Frame of version VERSION around ENV (freed here). */
static uint8_t *
s_submit (uint32_t version, uint8_t *env, size_t env_len, size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    f.body_case = JAD__FRAME__BODY_SUBMIT;
    f.submit.data = env;
    f.submit.len = env_len;
    uint8_t *buf = s_pack_frame (&f, version, len_p);
    free (env);
    return buf;
}

/* ------------------------------------------------------------ round trips */

static void
test_kind_names (void **state)
{
    (void) state;
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_SUBMIT), "submit");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_ACK), "ack");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_ERROR), "error");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_CATCHUP), "catchup");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_ENTRY), "entry");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_CATCHUP_END), "catchup_end");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_HEARTBEAT), "heartbeat");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_CHECKPOINT), "checkpoint");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_ROSTER), "roster");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_PARTICIPANTS), "participants");
    assert_string_equal (jad_frame_kind_name (JAD_FRAME_NONE), "unknown");
    assert_string_equal (jad_frame_kind_name (1), "unknown");
    assert_string_equal (jad_frame_kind_name (12), "unknown");
    assert_string_equal (jad_frame_kind_name (-1), "unknown");
}

static void
test_ack (void **state)
{
    (void) state;
    size_t len = 0;
    jad_frame_t f;
    s_decode (jad_frame_ack (s_inc, 0xfedcba9876543210ULL, 4242, 0, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_ACK);
    assert_int_equal (f.ack.ident.has_incarnation, 1);
    assert_int_equal (f.ack.ident.incarnation_len, 16);
    assert_memory_equal (f.ack.ident.incarnation, s_inc, 16);
    assert_int_equal (f.ack.ident.has_origin_seq, 1);
    assert_true (f.ack.ident.origin_seq == 0xfedcba9876543210ULL);
    assert_int_equal (f.ack.hub_seq, 4242);
    assert_int_equal (f.ack.duplicate, 0);
    jad_frame_clear (&f);
    assert_int_equal (f.kind, JAD_FRAME_NONE);
    assert_null (f.msg);

    s_decode (jad_frame_ack (s_inc, 1, 1, 7, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_ACK);
    assert_int_equal (f.ack.ident.origin_seq, 1);
    assert_int_equal (f.ack.hub_seq, 1);
    assert_int_equal (f.ack.duplicate, 1);
    jad_frame_clear (&f);
    jad_frame_clear (&f);       /* twice: safe on a zeroed frame */
}

static void
test_error (void **state)
{
    (void) state;
    size_t len = 0;
    jad_frame_t f;

    /* With a full identity. */
    jad_ident_t id = { .has_incarnation = 1, .incarnation_len = 16,
                       .has_origin_seq = 1, .origin_seq = 77 };
    memcpy (id.incarnation, s_inc, 16);
    s_decode (jad_frame_error (JAD_ECONFLICT, "origin_seq already used", &id,
                               &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_ERROR);
    assert_int_equal (f.error.code, JAD_ECONFLICT);
    assert_string_equal (f.error.message, "origin_seq already used");
    assert_int_equal (f.error.ident.has_incarnation, 1);
    assert_int_equal (f.error.ident.incarnation_len, 16);
    assert_memory_equal (f.error.ident.incarnation, s_inc, 16);
    assert_int_equal (f.error.ident.has_origin_seq, 1);
    assert_int_equal (f.error.ident.origin_seq, 77);
    jad_frame_clear (&f);

    /* As sent by a bad envelope: a 15-byte incarnation and origin_seq 0,
     * echoed exactly. */
    jad_ident_t bad = { .has_incarnation = 1, .incarnation_len = 15,
                        .has_origin_seq = 1, .origin_seq = 0 };
    memcpy (bad.incarnation, s_inc, 15);
    s_decode (jad_frame_error (JAD_EMALFORMED, "Envelope.incarnation: must be 16 bytes",
                               &bad, &len), &len, &f);
    assert_int_equal (f.error.code, JAD_EMALFORMED);
    assert_int_equal (f.error.ident.has_incarnation, 1);
    assert_int_equal (f.error.ident.incarnation_len, 15);
    assert_memory_equal (f.error.ident.incarnation, s_inc, 15);
    assert_int_equal (f.error.ident.has_origin_seq, 1);
    assert_int_equal (f.error.ident.origin_seq, 0);
    jad_frame_clear (&f);

    /* An empty incarnation is still "given". */
    jad_ident_t empty = { .has_incarnation = 1, .incarnation_len = 0 };
    s_decode (jad_frame_error (JAD_EMALFORMED, "x", &empty, &len), &len, &f);
    assert_int_equal (f.error.ident.has_incarnation, 1);
    assert_int_equal (f.error.ident.incarnation_len, 0);
    assert_int_equal (f.error.ident.has_origin_seq, 0);
    jad_frame_clear (&f);

    /* Only origin_seq. */
    jad_ident_t seq_only = { .has_origin_seq = 1, .origin_seq = 5 };
    s_decode (jad_frame_error (JAD_EUNAVAILABLE, NULL, &seq_only, &len), &len, &f);
    assert_int_equal (f.error.code, JAD_EUNAVAILABLE);
    assert_string_equal (f.error.message, "");
    assert_int_equal (f.error.ident.has_incarnation, 0);
    assert_int_equal (f.error.ident.has_origin_seq, 1);
    assert_int_equal (f.error.ident.origin_seq, 5);
    jad_frame_clear (&f);

    /* About no report; no message. */
    s_decode (jad_frame_error (JAD_EBAD_VERSION, NULL, NULL, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_ERROR);
    assert_int_equal (f.error.code, JAD_EBAD_VERSION);
    assert_string_equal (f.error.message, "");
    assert_int_equal (f.error.ident.has_incarnation, 0);
    assert_int_equal (f.error.ident.incarnation_len, 0);
    assert_int_equal (f.error.ident.has_origin_seq, 0);
    jad_frame_clear (&f);

    /* A code this build does not know comes through as its number. */
    s_decode (jad_frame_error ((jad_err_t) 42, "newer", NULL, &len), &len, &f);
    assert_int_equal (f.error.code, 42);
    assert_int_equal (jad_err_final (f.error.code), 1);
    jad_frame_clear (&f);

    /* An incarnation over JAD_IDENT_INCARNATION_MAX is not echoed. */
    Jad__Frame raw = JAD__FRAME__INIT;
    Jad__ErrorReply e = JAD__ERROR_REPLY__INIT;
    uint8_t long_inc[JAD_IDENT_INCARNATION_MAX + 1] = { 0 };
    raw.body_case = JAD__FRAME__BODY_ERROR;
    raw.error = &e;
    e.has_code = 1;
    e.code = JAD__ERROR_CODE__MALFORMED;
    e.has_incarnation = 1;
    e.incarnation.data = long_inc;
    e.incarnation.len = sizeof long_inc;
    e.has_origin_seq = 1;
    e.origin_seq = 3;
    s_decode (s_pack_frame (&raw, 1, &len), &len, &f);
    assert_int_equal (f.error.ident.has_incarnation, 0);
    assert_int_equal (f.error.ident.has_origin_seq, 1);
    assert_int_equal (f.error.ident.origin_seq, 3);
    jad_frame_clear (&f);
}

static void
test_catchup (void **state)
{
    (void) state;
    size_t len = 0;
    jad_frame_t f;
    s_decode (jad_frame_catchup (123456789012ULL, 1000, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_CATCHUP);
    assert_true (f.catchup.from_seq == 123456789012ULL);
    assert_int_equal (f.catchup.credit, 1000);
    jad_frame_clear (&f);

    s_decode (jad_frame_catchup (0, 0, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_CATCHUP);
    assert_int_equal (f.catchup.from_seq, 0);
    assert_int_equal (f.catchup.credit, 0);
    jad_frame_clear (&f);

    s_decode (jad_frame_catchup (1, UINT32_MAX, &len), &len, &f);
    assert_int_equal (f.catchup.credit, UINT32_MAX);
    jad_frame_clear (&f);

    /* Neither field: both 0 (from the start, the server's maximum). */
    Jad__Frame raw = JAD__FRAME__INIT;
    Jad__CatchupRequest req = JAD__CATCHUP_REQUEST__INIT;
    raw.body_case = JAD__FRAME__BODY_CATCHUP;
    raw.catchup = &req;
    s_decode (s_pack_frame (&raw, 1, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_CATCHUP);
    assert_int_equal (f.catchup.from_seq, 0);
    assert_int_equal (f.catchup.credit, 0);
    jad_frame_clear (&f);
}

static void
test_catchup_end (void **state)
{
    (void) state;
    size_t len = 0;
    jad_frame_t f;
    s_decode (jad_frame_catchup_end (99, 1, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_CATCHUP_END);
    assert_int_equal (f.catchup_end.head_seq, 99);
    assert_int_equal (f.catchup_end.more, 1);
    jad_frame_clear (&f);

    s_decode (jad_frame_catchup_end (0, 0, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_CATCHUP_END);
    assert_int_equal (f.catchup_end.head_seq, 0);
    assert_int_equal (f.catchup_end.more, 0);
    jad_frame_clear (&f);

    /* MORE is a flag: any nonzero is 1. */
    s_decode (jad_frame_catchup_end (5, 17, &len), &len, &f);
    assert_int_equal (f.catchup_end.more, 1);
    jad_frame_clear (&f);
}

static void
test_heartbeat (void **state)
{
    (void) state;
    size_t len = 0;
    jad_frame_t f;

    /* Everything: a hub's heartbeat with an agent's health. */
    jad_heartbeat_t hb = {
        .has_head = 1, .head_seq = 1234,
        .has_time = 1, .time_ms = -5,
        .has_epoch = 1, .epoch = 3,
        .operation_id = s_op,
        .has_health = 1,
        .health = { .outbox_depth = 10, .last_acked = 20, .mirror_seq = 30 }
    };
    s_decode (jad_frame_heartbeat (&hb, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_HEARTBEAT);
    assert_int_equal (f.heartbeat.has_head, 1);
    assert_int_equal (f.heartbeat.head_seq, 1234);
    assert_int_equal (f.heartbeat.has_time, 1);
    assert_int_equal (f.heartbeat.time_ms, -5);
    assert_int_equal (f.heartbeat.has_epoch, 1);
    assert_int_equal (f.heartbeat.epoch, 3);
    assert_non_null (f.heartbeat.operation_id);
    assert_memory_equal (f.heartbeat.operation_id, s_op, 16);
    assert_int_equal (f.heartbeat.has_health, 1);
    assert_int_equal (f.heartbeat.health.outbox_depth, 10);
    assert_int_equal (f.heartbeat.health.last_acked, 20);
    assert_int_equal (f.heartbeat.health.mirror_seq, 30);
    jad_frame_clear (&f);

    /* Without health and operation id; a head of 0 is still a head. */
    jad_heartbeat_t agent = { .has_head = 1, .head_seq = 0, .has_time = 1,
                              .time_ms = 1605510000000 };
    s_decode (jad_frame_heartbeat (&agent, &len), &len, &f);
    assert_int_equal (f.heartbeat.has_head, 1);
    assert_int_equal (f.heartbeat.head_seq, 0);
    assert_int_equal (f.heartbeat.time_ms, 1605510000000);
    assert_int_equal (f.heartbeat.has_epoch, 0);
    assert_null (f.heartbeat.operation_id);
    assert_int_equal (f.heartbeat.has_health, 0);
    jad_frame_clear (&f);

    /* Health of zeros is still health. */
    jad_heartbeat_t zeros = { .has_health = 1 };
    s_decode (jad_frame_heartbeat (&zeros, &len), &len, &f);
    assert_int_equal (f.heartbeat.has_head, 0);
    assert_int_equal (f.heartbeat.has_health, 1);
    assert_int_equal (f.heartbeat.health.outbox_depth, 0);
    jad_frame_clear (&f);

    /* The XPUB welcome: nothing set, from NULL or from an empty one. */
    jad_heartbeat_t none = { 0 };
    const jad_heartbeat_t *welcomes[] = { NULL, &none };
    for (int i = 0; i < 2; i++) {
        s_decode (jad_frame_heartbeat (welcomes[i], &len), &len, &f);
        assert_int_equal (f.kind, JAD_FRAME_HEARTBEAT);
        assert_int_equal (f.heartbeat.has_head, 0);
        assert_int_equal (f.heartbeat.has_time, 0);
        assert_int_equal (f.heartbeat.has_epoch, 0);
        assert_null (f.heartbeat.operation_id);
        assert_int_equal (f.heartbeat.has_health, 0);
        jad_frame_clear (&f);
    }

    /* A Health with only some figures: the others read 0. */
    Jad__Frame raw = JAD__FRAME__INIT;
    Jad__Heartbeat h = JAD__HEARTBEAT__INIT;
    Jad__Health health = JAD__HEALTH__INIT;
    raw.body_case = JAD__FRAME__BODY_HEARTBEAT;
    raw.heartbeat = &h;
    h.health = &health;
    health.has_last_acked = 1;
    health.last_acked = 9;
    s_decode (s_pack_frame (&raw, 1, &len), &len, &f);
    assert_int_equal (f.heartbeat.has_health, 1);
    assert_int_equal (f.heartbeat.health.outbox_depth, 0);
    assert_int_equal (f.heartbeat.health.last_acked, 9);
    assert_int_equal (f.heartbeat.health.mirror_seq, 0);
    jad_frame_clear (&f);
}

static void
test_participants (void **state)
{
    (void) state;
    size_t len = 0;
    jad_frame_t f;
    jad_peer_status_t peers[3] = {
        { .name = "agent-de", .role = "agent", .country = "DE", .connected = 1,
          .has_last_seen = 1, .last_seen_ms = 1605510000123,
          .has_health = 1, .health = { 4, 100, 250 } },
        { .name = "coord", .role = "coordinator", .country = NULL,
          .connected = 0 },
        { .name = "agent-fr", .role = "agent", .country = "FR", .connected = 1,
          .has_last_seen = 1, .last_seen_ms = 0, .has_health = 1,
          .health = { 0, 0, 0 } },
    };
    s_decode (jad_frame_participants (peers, 3, 1605510001000, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_PARTICIPANTS);
    assert_int_equal (f.participants.n_peers, 3);
    assert_int_equal (f.participants.time_ms, 1605510001000);

    jad_peer_status_t p;
    assert_int_equal (jad_frame_peer (&f, 0, &p), 0);
    assert_string_equal (p.name, "agent-de");
    assert_string_equal (p.role, "agent");
    assert_string_equal (p.country, "DE");
    assert_int_equal (p.connected, 1);
    assert_int_equal (p.has_last_seen, 1);
    assert_int_equal (p.last_seen_ms, 1605510000123);
    assert_int_equal (p.has_health, 1);
    assert_int_equal (p.health.outbox_depth, 4);
    assert_int_equal (p.health.last_acked, 100);
    assert_int_equal (p.health.mirror_seq, 250);

    assert_int_equal (jad_frame_peer (&f, 1, &p), 0);
    assert_string_equal (p.name, "coord");
    assert_string_equal (p.role, "coordinator");
    assert_null (p.country);
    assert_int_equal (p.connected, 0);
    assert_int_equal (p.has_last_seen, 0);
    assert_int_equal (p.last_seen_ms, 0);
    assert_int_equal (p.has_health, 0);

    assert_int_equal (jad_frame_peer (&f, 2, &p), 0);
    assert_string_equal (p.name, "agent-fr");
    assert_int_equal (p.has_last_seen, 1);
    assert_int_equal (p.last_seen_ms, 0);
    assert_int_equal (p.has_health, 1);

    assert_int_equal (jad_frame_peer (&f, 3, &p), -1);
    assert_int_equal (jad_frame_peer (&f, (size_t) -1, &p), -1);
    jad_frame_clear (&f);

    /* None at all. */
    s_decode (jad_frame_participants (NULL, 0, 7, &len), &len, &f);
    assert_int_equal (f.kind, JAD_FRAME_PARTICIPANTS);
    assert_int_equal (f.participants.n_peers, 0);
    assert_int_equal (f.participants.time_ms, 7);
    assert_int_equal (jad_frame_peer (&f, 0, &p), -1);
    jad_frame_clear (&f);

    /* jad_frame_peer on another kind of frame. */
    s_decode (jad_frame_catchup (1, 1, &len), &len, &f);
    assert_int_equal (jad_frame_peer (&f, 0, &p), -1);
    jad_frame_clear (&f);
}

static void
test_bytes_kinds (void **state)
{
    (void) state;
    const jad_frame_kind_t kinds[] = { JAD_FRAME_SUBMIT, JAD_FRAME_ENTRY,
                                       JAD_FRAME_CHECKPOINT, JAD_FRAME_ROSTER };
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t) (i * 13 + 1);
    for (size_t k = 0; k < 4; k++) {
        size_t len = 0;
        jad_frame_t f;
        s_decode (jad_frame_bytes (kinds[k], payload, sizeof payload, &len),
                  &len, &f);
        assert_int_equal (f.kind, kinds[k]);
        assert_int_equal (f.len, sizeof payload);
        assert_memory_equal (f.bytes, payload, sizeof payload);
        jad_frame_clear (&f);

        /* One byte, a zero. */
        uint8_t zero = 0;
        s_decode (jad_frame_bytes (kinds[k], &zero, 1, &len), &len, &f);
        assert_int_equal (f.kind, kinds[k]);
        assert_int_equal (f.len, 1);
        assert_int_equal (f.bytes[0], 0);
        jad_frame_clear (&f);
    }
    /* Not a bytes body: refused by the builder. */
    size_t len = 0;
    assert_null (jad_frame_bytes (JAD_FRAME_ACK, payload, 1, &len));
    assert_null (jad_frame_bytes (JAD_FRAME_HEARTBEAT, payload, 1, &len));
    assert_null (jad_frame_bytes (JAD_FRAME_NONE, payload, 1, &len));
}

/* ------------------------------------------------------------ decode codes */

static void
test_too_large (void **state)
{
    (void) state;
    char err[256];
    /* Exactly JAD_FRAME_MAX bytes: an entry frame of 2 + 1 + 3 + N bytes. */
    size_t n = JAD_FRAME_MAX - 6;
    uint8_t *payload = calloc (1, n + 1);
    assert_non_null (payload);
    size_t len = 0;
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_ENTRY, payload, n, &len);
    assert_non_null (buf);
    assert_int_equal (len, JAD_FRAME_MAX);
    jad_frame_t f;
    assert_int_equal (jad_frame_decode (buf, len, &f, err, sizeof err), JAD_OK);
    assert_int_equal (f.kind, JAD_FRAME_ENTRY);
    assert_int_equal (f.len, n);
    jad_frame_clear (&f);
    free (buf);

    /* One byte more. */
    buf = jad_frame_bytes (JAD_FRAME_ENTRY, payload, n + 1, &len);
    assert_non_null (buf);
    assert_int_equal (len, JAD_FRAME_MAX + 1);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_ETOO_LARGE);
    assert_non_null (strstr (err, "over the limit"));
    free (buf);
    free (payload);

    /* Whatever the bytes: the size is checked first. */
    uint8_t *junk = malloc (JAD_FRAME_MAX + 1);
    assert_non_null (junk);
    memset (junk, 0xff, JAD_FRAME_MAX + 1);
    assert_int_equal (s_code (junk, JAD_FRAME_MAX + 1, err, sizeof err),
                      JAD_ETOO_LARGE);
    free (junk);
}

static void
test_bad_version (void **state)
{
    (void) state;
    char err[256];
    size_t len = 0;
    Jad__Frame raw = JAD__FRAME__INIT;
    Jad__CatchupRequest req = JAD__CATCHUP_REQUEST__INIT;
    raw.body_case = JAD__FRAME__BODY_CATCHUP;
    raw.catchup = &req;

    uint8_t *buf = s_pack_frame (&raw, 99, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EBAD_VERSION);
    assert_non_null (strstr (err, "99"));
    free (buf);

    buf = s_pack_frame (&raw, 0, &len);       /* no version at all */
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EBAD_VERSION);
    assert_non_null (strstr (err, "missing"));
    free (buf);

    /* Version 2 without a body: the version is checked before the body. */
    Jad__Frame empty = JAD__FRAME__INIT;
    buf = s_pack_frame (&empty, 2, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EBAD_VERSION);
    free (buf);

    /* No bytes at all: a Frame without a version. */
    assert_int_equal (s_code (NULL, 0, err, sizeof err), JAD_EBAD_VERSION);
}

static void
test_malformed (void **state)
{
    (void) state;
    char err[256];
    jad_frame_t f;

    /* Bytes that do not decode. */
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff };
    assert_int_equal (s_code (garbage, sizeof garbage, err, sizeof err),
                      JAD_EMALFORMED);
    static const uint8_t cut[] = { 0x08, 0x01, 0x2a, 0x05, 0x08, 0x05 };
    assert_int_equal (s_code (cut, sizeof cut, err, sizeof err), JAD_EMALFORMED);
    static const uint8_t group[] = { 0x08, 0x01, 0x0b };    /* wire type 3 */
    assert_int_equal (s_code (group, sizeof group, err, sizeof err),
                      JAD_EMALFORMED);
    static const uint8_t text[] = "hello, hub";
    assert_int_equal (s_code (text, sizeof text - 1, err, sizeof err),
                      JAD_EMALFORMED);
    /* version of the wrong wire type */
    static const uint8_t wrong_type[] = { 0x0a, 0x01, 0x01 };
    assert_int_equal (s_code (wrong_type, sizeof wrong_type, err, sizeof err),
                      JAD_EMALFORMED);

    /* A version and no body. */
    static const uint8_t no_body[] = { 0x08, 0x01 };
    assert_int_equal (s_code (no_body, sizeof no_body, err, sizeof err),
                      JAD_EMALFORMED);
    assert_non_null (strstr (err, "body"));

    /* A field given twice; two members of the oneof. */
    static const uint8_t twice[] = { 0x08, 0x01, 0x08, 0x01, 0x42, 0x00 };
    assert_int_equal (s_code (twice, sizeof twice, err, sizeof err),
                      JAD_EMALFORMED);
    static const uint8_t two_bodies[] = { 0x08, 0x01, 0x42, 0x00, 0x32, 0x01, 0x61 };
    assert_int_equal (s_code (two_bodies, sizeof two_bodies, err, sizeof err),
                      JAD_EMALFORMED);

    /* A bytes body with no bytes, for each bytes kind. */
    static const uint8_t empty_bodies[][4] = {
        { 0x08, 0x01, 0x12, 0x00 },     /* submit */
        { 0x08, 0x01, 0x32, 0x00 },     /* entry */
        { 0x08, 0x01, 0x4a, 0x00 },     /* checkpoint */
        { 0x08, 0x01, 0x52, 0x00 },     /* roster */
    };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal (s_code (empty_bodies[i], 4, err, sizeof err),
                          JAD_EMALFORMED);
        assert_non_null (strstr (err, "empty"));
    }

    size_t len = 0;
    uint8_t *buf;
    Jad__Frame raw = JAD__FRAME__INIT;

    /* An ack missing hub_seq, with hub_seq 0, without origin_seq, with a
     * 15-byte incarnation, without incarnation. */
    Jad__Ack ack = JAD__ACK__INIT;
    raw.body_case = JAD__FRAME__BODY_ACK;
    raw.ack = &ack;
    ack.has_incarnation = 1;
    ack.incarnation.data = (uint8_t *) s_inc;
    ack.incarnation.len = 16;
    ack.has_origin_seq = 1;
    ack.origin_seq = 3;
    buf = s_pack_frame (&raw, 1, &len);         /* no hub_seq */
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    assert_non_null (strstr (err, "ack"));
    free (buf);
    ack.has_hub_seq = 1;
    ack.hub_seq = 0;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    free (buf);
    ack.hub_seq = 8;
    buf = s_pack_frame (&raw, 1, &len);         /* now complete */
    assert_int_equal (jad_frame_decode (buf, len, &f, err, sizeof err), JAD_OK);
    assert_int_equal (f.ack.hub_seq, 8);
    assert_int_equal (f.ack.duplicate, 0);     /* absent: not a duplicate */
    jad_frame_clear (&f);
    free (buf);
    ack.has_origin_seq = 0;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    free (buf);
    ack.has_origin_seq = 1;
    ack.incarnation.len = 15;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    free (buf);
    ack.has_incarnation = 0;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    free (buf);

    /* An error without a code, or with code 0. */
    Jad__ErrorReply e = JAD__ERROR_REPLY__INIT;
    jad__frame__init (&raw);
    raw.body_case = JAD__FRAME__BODY_ERROR;
    raw.error = &e;
    e.message = "no code";
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    assert_non_null (strstr (err, "error.code"));
    free (buf);
    e.has_code = 1;
    e.code = JAD__ERROR_CODE__ERROR_UNSPECIFIED;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    free (buf);

    /* A catchup_end without head_seq. */
    Jad__CatchupEnd end = JAD__CATCHUP_END__INIT;
    jad__frame__init (&raw);
    raw.body_case = JAD__FRAME__BODY_CATCHUP_END;
    raw.catchup_end = &end;
    end.has_more = 1;
    end.more = 1;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    free (buf);

    /* A heartbeat whose operation id is 15 or 17 bytes, or empty. */
    Jad__Heartbeat hb = JAD__HEARTBEAT__INIT;
    uint8_t op[17] = { 0 };
    jad__frame__init (&raw);
    raw.body_case = JAD__FRAME__BODY_HEARTBEAT;
    raw.heartbeat = &hb;
    hb.has_operation_id = 1;
    hb.operation_id.data = op;
    const size_t op_lens[] = { 15, 17, 0 };
    for (size_t i = 0; i < 3; i++) {
        hb.operation_id.len = op_lens[i];
        buf = s_pack_frame (&raw, 1, &len);
        assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
        assert_non_null (strstr (err, "operation_id"));
        free (buf);
    }
    hb.operation_id.len = 16;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_OK);
    free (buf);

    /* A peer without a name is refused; one without a role is not (the
     * relay need not say it): its role reads NULL. */
    Jad__Participants parts = JAD__PARTICIPANTS__INIT;
    Jad__PeerStatus ps = JAD__PEER_STATUS__INIT;
    Jad__PeerStatus *pp = &ps;
    jad__frame__init (&raw);
    raw.body_case = JAD__FRAME__BODY_PARTICIPANTS;
    raw.participants = &parts;
    parts.n_peers = 1;
    parts.peers = &pp;
    ps.role = "agent";
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EMALFORMED);
    assert_non_null (strstr (err, "name"));
    free (buf);
    ps.name = "x";
    ps.role = NULL;
    buf = s_pack_frame (&raw, 1, &len);
    assert_int_equal (jad_frame_decode (buf, len, &f, err, sizeof err), JAD_OK);
    jad_peer_status_t peer;
    assert_int_equal (jad_frame_peer (&f, 0, &peer), 0);
    assert_string_equal (peer.name, "x");
    assert_null (peer.role);
    jad_frame_clear (&f);
    free (buf);

    /* A string holding a NUL byte (a peer's name). */
    static const uint8_t nul_name[] = {
        0x08, 0x01, 0x5a, 0x0b, 0x0a, 0x09,
        0x0a, 0x02, 'a', 0x00,                  /* name "a\0" */
        0x12, 0x03, 'x', 'y', 'z' };            /* role */
    assert_int_equal (s_code (nul_name, sizeof nul_name, err, sizeof err),
                      JAD_EMALFORMED);
}

static void
test_unknown_fields (void **state)
{
    (void) state;
    char err[256];
    /* catchup(5, 1000) as packed, then with field 15 appended to the
     * Frame, then with field 3 inside the CatchupRequest. */
    static const uint8_t plain[] = {
        0x08, 0x01, 0x2a, 0x05, 0x08, 0x05, 0x10, 0xe8, 0x07 };
    assert_int_equal (s_code (plain, sizeof plain, err, sizeof err), JAD_OK);
    static const uint8_t outer[] = {
        0x08, 0x01, 0x2a, 0x05, 0x08, 0x05, 0x10, 0xe8, 0x07, 0x78, 0x01 };
    assert_int_equal (s_code (outer, sizeof outer, err, sizeof err),
                      JAD_EMALFORMED);
    assert_non_null (strstr (err, "unknown"));
    static const uint8_t inner[] = {
        0x08, 0x01, 0x2a, 0x07, 0x08, 0x05, 0x10, 0xe8, 0x07, 0x18, 0x01 };
    assert_int_equal (s_code (inner, sizeof inner, err, sizeof err),
                      JAD_EMALFORMED);
    assert_non_null (strstr (err, "unknown"));

    /* A real frame with an unknown length-delimited field appended. */
    size_t len = 0;
    uint8_t *buf = jad_frame_ack (s_inc, 1, 2, 0, &len);
    assert_non_null (buf);
    uint8_t *more = malloc (len + 4);
    assert_non_null (more);
    memcpy (more, buf, len);
    memcpy (more + len, "\xa2\x01\x01\x00", 4);     /* field 20, 1 byte */
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_OK);
    assert_int_equal (s_code (more, len + 4, err, sizeof err), JAD_EMALFORMED);
    free (more);
    free (buf);

    /* An unknown field inside a repeated message (a peer). */
    static const uint8_t peer[] = {
        0x08, 0x01, 0x5a, 0x0c, 0x0a, 0x0a,
        0x0a, 0x01, 'a', 0x12, 0x01, 'b',       /* name, role */
        0x48, 0x01,                             /* field 9: unknown */
        0x20, 0x01 };                           /* connected */
    assert_int_equal (s_code (peer, sizeof peer, err, sizeof err),
                      JAD_EMALFORMED);
}

/* ------------------------------------------------------------ identity */

static void
test_submit_ident (void **state)
{
    (void) state;
    jad_ident_t id;
    size_t elen = 0, len = 0;
    uint8_t *env, *buf;
    char err[256];

    /* A version-99 Frame holding a version-99 envelope: the frame does
     * not decode, the identity still reads. */
    env = s_envelope (99, 16, 1, 31, &elen);
    buf = s_submit (99, env, elen, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_EBAD_VERSION);
    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.incarnation_len, 16);
    for (size_t i = 0; i < 16; i++)
        assert_int_equal (id.incarnation[i], 0x40 + i);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 31);
    free (buf);

    /* A newer schema's: Frame version 2 with a field this build does not
     * know, around an Envelope version 2 with one too.  Neither decodes
     * (BAD_VERSION); the identity still reads, so the refusal names its
     * report. */
    env = s_envelope (2, 16, 1, 33, &elen);
    uint8_t *newer = malloc (elen + 3);
    assert_non_null (newer);
    memcpy (newer, env, elen);
    memcpy (newer + elen, "\x52\x01\x07", 3);       /* field 10, 1 byte */
    free (env);
    buf = s_submit (2, newer, elen + 3, &len);
    uint8_t *newer_frame = malloc (len + 2);
    assert_non_null (newer_frame);
    memcpy (newer_frame, buf, len);
    memcpy (newer_frame + len, "\x60\x01", 2);       /* field 12, varint */
    free (buf);
    /* Refused for what makes it newer: its version. */
    assert_int_equal (s_code (newer_frame, len + 2, err, sizeof err), JAD_EBAD_VERSION);
    assert_non_null (strstr (err, "Frame.version: 2"));
    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (newer_frame, len + 2, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.incarnation_len, 16);
    assert_int_equal (id.incarnation[0], 0x40);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 33);
    free (newer_frame);

    /* A frame without a version around an envelope of version 1. */
    env = s_envelope (1, 16, 1, 32, &elen);
    buf = s_submit (0, env, elen, &len);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.origin_seq, 32);
    free (buf);

    /* origin_seq 0: said, as 0. */
    env = s_envelope (1, 16, 1, 0, &elen);
    buf = s_submit (1, env, elen, &len);
    assert_int_equal (s_code (buf, len, err, sizeof err), JAD_OK);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.incarnation_len, 16);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 0);
    free (buf);

    /* A 15-byte incarnation: echoed as 15 bytes, exactly. */
    env = s_envelope (1, 15, 1, 9, &elen);
    buf = s_submit (1, env, elen, &len);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.incarnation_len, 15);
    for (size_t i = 0; i < 15; i++)
        assert_int_equal (id.incarnation[i], 0x40 + i);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 9);
    free (buf);

    /* An empty incarnation: given, of 0 bytes. */
    env = s_envelope (1, 0, 1, 6, &elen);
    buf = s_submit (1, env, elen, &len);
    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.incarnation_len, 0);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 6);
    free (buf);

    /* No origin_seq: only the incarnation. */
    env = s_envelope (1, 16, 0, 0, &elen);
    buf = s_submit (1, env, elen, &len);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.has_origin_seq, 0);
    assert_int_equal (id.origin_seq, 0);
    free (buf);

    /* The longest incarnation echoed, and one byte more: only the
     * origin_seq then. */
    env = s_envelope (1, JAD_IDENT_INCARNATION_MAX, 1, 4, &elen);
    buf = s_submit (1, env, elen, &len);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 1);
    assert_int_equal (id.incarnation_len, JAD_IDENT_INCARNATION_MAX);
    assert_int_equal (id.incarnation[JAD_IDENT_INCARNATION_MAX - 1],
                      0x40 + JAD_IDENT_INCARNATION_MAX - 1);
    free (buf);
    env = s_envelope (1, JAD_IDENT_INCARNATION_MAX + 1, 1, 4, &elen);
    buf = s_submit (1, env, elen, &len);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.incarnation_len, 0);
    assert_int_equal (id.has_origin_seq, 1);
    assert_int_equal (id.origin_seq, 4);
    free (buf);

    /* Nothing from garbage, from a frame that is not a submit, from a
     * submit whose bytes are not an envelope, from nothing. */
    static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (garbage, sizeof garbage, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.incarnation_len, 0);
    assert_int_equal (id.has_origin_seq, 0);
    assert_int_equal (id.origin_seq, 0);

    buf = jad_frame_ack (s_inc, 1, 2, 0, &len);
    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.has_origin_seq, 0);
    free (buf);

    buf = jad_frame_bytes (JAD_FRAME_SUBMIT, garbage, sizeof garbage, &len);
    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (buf, len, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.has_origin_seq, 0);
    free (buf);

    memset (&id, 0xcc, sizeof id);
    jad_frame_submit_ident (NULL, 0, &id);
    assert_int_equal (id.has_incarnation, 0);
    assert_int_equal (id.has_origin_seq, 0);
}

/* ------------------------------------------------------------ pinned bytes */

static void
test_pinned_bytes (void **state)
{
    (void) state;
    size_t len = 0;
    uint8_t *buf;

    /* Frame{version: 1, catchup: {from_seq: 5, credit: 1000}}:
     *   08 01            field 1 varint: 1
     *   2a 05            field 5 length-delimited, 5 bytes:
     *     08 05            field 1 varint: 5
     *     10 e8 07         field 2 varint: 1000 = 0x68 | 0x80, 0x07 */
    buf = jad_frame_catchup (5, 1000, &len);
    assert_non_null (buf);
    assert_int_equal (len, 9);
    s_expect_hex (buf, len, "0801" "2a05" "0805" "10e807");
    free (buf);

    /* Frame{version: 1, catchup_end: {head_seq: 7, more: true}} */
    buf = jad_frame_catchup_end (7, 1, &len);
    s_expect_hex (buf, len, "0801" "3a04" "0807" "1001");
    free (buf);

    /* The XPUB welcome: Frame{version: 1, heartbeat: {}} */
    buf = jad_frame_heartbeat (NULL, &len);
    s_expect_hex (buf, len, "0801" "4200");
    free (buf);

    /* Frame{version: 1, entry: "abc"} */
    buf = jad_frame_bytes (JAD_FRAME_ENTRY, (const uint8_t *) "abc", 3, &len);
    s_expect_hex (buf, len, "0801" "3203616263");
    free (buf);

    /* Frame{version: 1, ack: {incarnation, origin_seq: 3, hub_seq: 300,
     * duplicate: false}}: 2 + 16 + 2 + 3 + 2 = 25 bytes of Ack. */
    buf = jad_frame_ack (s_inc, 3, 300, 0, &len);
    s_expect_hex (buf, len, "0801" "1a19"
                            "0a10" "000102030405060708090a0b0c0d0e0f"
                            "1003" "18ac02" "2000");
    free (buf);

    /* Frame{version: 1, error: {code: TOO_LARGE, message: "x"}} */
    buf = jad_frame_error (JAD_ETOO_LARGE, "x", NULL, &len);
    s_expect_hex (buf, len, "0801" "2205" "0806" "120178");
    free (buf);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_kind_names),
        cmocka_unit_test (test_ack),
        cmocka_unit_test (test_error),
        cmocka_unit_test (test_catchup),
        cmocka_unit_test (test_catchup_end),
        cmocka_unit_test (test_heartbeat),
        cmocka_unit_test (test_participants),
        cmocka_unit_test (test_bytes_kinds),
        cmocka_unit_test (test_too_large),
        cmocka_unit_test (test_bad_version),
        cmocka_unit_test (test_malformed),
        cmocka_unit_test (test_unknown_fields),
        cmocka_unit_test (test_submit_ident),
        cmocka_unit_test (test_pinned_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
