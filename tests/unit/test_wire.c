/* Unit tests: lib/wire.c — size limits, unknown fields, structural checks,
 * a byte-exact encoding checked against an expected vector, and the
 * in-place walker (jad_wire_peek) on good and hostile bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>

#include "jad/wire.h"

static uint8_t s_id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

static uint8_t *
s_envelope (size_t *len_p, uint32_t version)
{
    Jad__Report report = JAD__REPORT__INIT;
    Jad__Deployment dep = JAD__DEPLOYMENT__INIT;
    dep.has_officers = 1;
    dep.officers = 7;
    report.body_case = JAD__REPORT__BODY_DEPLOYMENT;
    report.deployment = &dep;
    size_t rlen;
    uint8_t *rbuf = jad_wire_encode (&report.base, &rlen);

    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1; env.version = version;
    env.has_operation_id = 1; env.operation_id.data = s_id; env.operation_id.len = 16;
    env.origin = "cy-police";
    env.has_incarnation = 1; env.incarnation.data = s_id; env.incarnation.len = 16;
    env.has_origin_seq = 1; env.origin_seq = 1;
    env.has_event_time_ms = 1; env.event_time_ms = 1605510003000;
    env.has_report = 1; env.report.data = rbuf; env.report.len = rlen;
    uint8_t *buf = jad_wire_encode (&env.base, len_p);
    free (rbuf);
    return buf;
}

static void
test_report_bytes (void **state)
{
    (void) state;
    /* Deployment{officers=7} in Report field 17: tag (17<<3|2)=0x8a 0x01,
     * length 2, then field 1 varint 7. */
    Jad__Report report = JAD__REPORT__INIT;
    Jad__Deployment dep = JAD__DEPLOYMENT__INIT;
    dep.has_officers = 1; dep.officers = 7;
    report.body_case = JAD__REPORT__BODY_DEPLOYMENT;
    report.deployment = &dep;
    size_t len;
    uint8_t *buf = jad_wire_encode (&report.base, &len);
    const uint8_t expect[] = { 0x8a, 0x01, 0x02, 0x08, 0x07 };
    assert_int_equal (len, sizeof expect);
    assert_memory_equal (buf, expect, len);
    char err[128];
    Jad__Report *back = jad_wire_report_decode (buf, len, err, sizeof err);
    assert_non_null (back);
    assert_int_equal (back->body_case, JAD__REPORT__BODY_DEPLOYMENT);
    assert_int_equal (back->deployment->officers, 7);
    jad_wire_free (&back);
    assert_null (back);
    free (buf);
}



static void
test_unknown_field_rejected (void **state)
{
    (void) state;
    /* Deployment with an extra field 9 (varint 1) nested in a Report. */
    const uint8_t bytes[] = { 0x8a, 0x01, 0x04, 0x08, 0x07, 0x48, 0x01 };
    char err[128];
    Jad__Report *r = jad_wire_report_decode (bytes, sizeof bytes, err, sizeof err);
    assert_null (r);
    assert_non_null (strstr (err, "unknown fields"));
}

static void
test_garbage_and_truncation (void **state)
{
    (void) state;
    size_t len;
    uint8_t *buf = s_envelope (&len, JAD_SCHEMA_VERSION);
    char err[128];
    for (size_t cut = 0; cut < len; cut++) {
        ProtobufCMessage *env = jad_wire_decode (&jad__envelope__descriptor,
                                                 buf, cut, JAD_ENVELOPE_MAX,
                                                 err, sizeof err);
        jad_wire_free (&env);   /* a prefix may decode; it must not crash */
    }
    const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                             0xff, 0xff, 0xff };
    assert_null (jad_wire_decode (&jad__frame__descriptor, junk, sizeof junk,
                                  JAD_FRAME_MAX, err, sizeof err));
    free (buf);
}

static void
test_oversize_rejected (void **state)
{
    (void) state;
    size_t big = JAD_FRAME_MAX + 1;
    uint8_t *buf = calloc (1, big);
    char err[128];
    assert_null (jad_wire_decode (&jad__frame__descriptor, buf, big,
                                  JAD_FRAME_MAX, err, sizeof err));
    assert_non_null (strstr (err, "over the limit"));
    free (buf);
}


static void
test_entry_checks (void **state)
{
    (void) state;
    Jad__Entry entry = JAD__ENTRY__INIT;
    uint8_t env[3] = { 1, 2, 3 };
    entry.has_envelope = 1; entry.envelope.data = env; entry.envelope.len = 3;
    size_t len;
    uint8_t *buf = jad_wire_encode (&entry.base, &len);
    char err[128];
    assert_null (jad_wire_entry_decode (buf, len, err, sizeof err));
    assert_non_null (strstr (err, "hub_seq"));
    free (buf);
    entry.has_hub_seq = 1; entry.hub_seq = 5;
    buf = jad_wire_encode (&entry.base, &len);
    Jad__Entry *back = jad_wire_entry_decode (buf, len, err, sizeof err);
    assert_non_null (back);
    assert_int_equal (back->hub_seq, 5);
    jad_wire_free (&back);
    free (buf);
}

/* What protobuf-c would take silently is refused before it sees it. */
static void
test_prescan (void **state)
{
    (void) state;
    char err[128];
    /* Corrections nested 5000 deep: Report{19: Correction{2: Report{…}}} */
    size_t depth = 5000, cap = depth * 8 + 16, len = 0;
    uint8_t *buf = calloc (1, cap);
    uint8_t *inner = calloc (1, cap);
    inner[0] = 0x8a; inner[1] = 0x01; inner[2] = 0x02; inner[3] = 0x08; inner[4] = 0x07;
    len = 5;                                  /* Report{deployment{7}} */
    for (size_t i = 0; i < depth; i++) {
        /* wrap: Correction{replacement(2) = inner} then Report{correction(19)} */
        uint8_t hdr[16];
        size_t h = 0;
        hdr[h++] = 0x12;                      /* field 2, LEN */
        size_t n = len;
        do { hdr[h++] = (uint8_t) ((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>= 7; } while (n);
        size_t clen = h + len;
        uint8_t hdr2[16];
        size_t h2 = 0;
        hdr2[h2++] = 0x9a; hdr2[h2++] = 0x01; /* field 19, LEN */
        n = clen;
        do { hdr2[h2++] = (uint8_t) ((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); n >>= 7; } while (n);
        if (h2 + clen > cap)
            break;
        memcpy (buf, hdr2, h2);
        memcpy (buf + h2, hdr, h);
        memcpy (buf + h2 + h, inner, len);
        len = h2 + clen;
        memcpy (inner, buf, len);
    }
    assert_null (jad_wire_decode (&jad__report__descriptor, buf, len, cap, err, sizeof err));
    assert_non_null (strstr (err, "nested deeper"));
    free (buf);
    free (inner);

    /* A location with a NUL byte: Report{location(2) = "Ni\0ia"} + body */
    const uint8_t nul[] = { 0x12, 0x05, 'N', 'i', 0x00, 'i', 'a',
                            0x8a, 0x01, 0x02, 0x08, 0x07 };
    assert_null (jad_wire_report_decode (nul, sizeof nul, err, sizeof err));
    assert_non_null (strstr (err, "NUL"));

    /* Two bodies (oneof members) */
    const uint8_t two[] = { 0x8a, 0x01, 0x02, 0x08, 0x07,
                            0x92, 0x01, 0x02, 0x0a, 0x00 };
    assert_null (jad_wire_report_decode (two, sizeof two, err, sizeof err));
    assert_non_null (strstr (err, "oneof"));

    /* The same field twice */
    const uint8_t twice[] = { 0x8a, 0x01, 0x04, 0x08, 0x07, 0x08, 0x09 };
    assert_null (jad_wire_report_decode (twice, sizeof twice, err, sizeof err));
    assert_non_null (strstr (err, "given twice"));
}

/* Decoding into caller memory: same result, nothing to free, and a
 * clear failure when the memory is too small. */
static void
test_decode_in (void **state)
{
    (void) state;
    const uint8_t bytes[] = { 0x12, 0x05, 'N', 'i', 'c', 'i', 'a',
                              0x8a, 0x01, 0x02, 0x08, 0x07 };
    _Alignas (16) uint8_t mem[512];
    char err[128];
    Jad__Report *r = jad_wire_report_decode_in (bytes, sizeof bytes, mem,
                                                sizeof mem, err, sizeof err);
    assert_non_null (r);
    assert_true ((uint8_t *) r >= mem && (uint8_t *) r < mem + sizeof mem);
    assert_string_equal (r->location, "Nicia");
    assert_int_equal (r->deployment->officers, 7);
    assert_null (jad_wire_report_decode_in (bytes, sizeof bytes, mem, 16,
                                            err, sizeof err));
    const uint8_t unknown[] = { 0x8a, 0x01, 0x04, 0x08, 0x07, 0x48, 0x01 };
    assert_null (jad_wire_report_decode_in (unknown, sizeof unknown, mem,
                                            sizeof mem, err, sizeof err));
    assert_non_null (strstr (err, "unknown"));
}


/* ------------------------------------------------------------ peek */

static void
test_peek_envelope (void **state)
{
    (void) state;
    size_t len;
    uint8_t *buf = s_envelope (&len, JAD_SCHEMA_VERSION);
    jad_wire_view_t v;
    char err[128];
    assert_int_equal (jad_wire_peek (&jad__envelope__descriptor, buf, len, &v,
                                     err, sizeof err), 0);
    /* Exactly the fields given: 1..7, not the key id or signature. */
    assert_int_equal (v.present, 0xfe);
    assert_int_equal (v.field[JAD_WIRE_ENVELOPE_VERSION].value, JAD_SCHEMA_VERSION);
    assert_int_equal (v.field[JAD_WIRE_ENVELOPE_OPERATION_ID].value, 16);
    assert_memory_equal (v.field[JAD_WIRE_ENVELOPE_OPERATION_ID].data, s_id, 16);
    assert_int_equal (v.field[JAD_WIRE_ENVELOPE_ORIGIN].value, 9);
    assert_memory_equal (v.field[JAD_WIRE_ENVELOPE_ORIGIN].data, "cy-police", 9);
    assert_int_equal (v.field[JAD_WIRE_ENVELOPE_ORIGIN_SEQ].value, 1);
    assert_int_equal ((int64_t) v.field[JAD_WIRE_ENVELOPE_EVENT_TIME_MS].value,
                      1605510003000);
    const uint8_t report[] = { 0x8a, 0x01, 0x02, 0x08, 0x07 };
    assert_int_equal (v.field[JAD_WIRE_ENVELOPE_REPORT].value, sizeof report);
    assert_memory_equal (v.field[JAD_WIRE_ENVELOPE_REPORT].data, report,
                         sizeof report);
    /* Pointers into the buffer, nothing copied. */
    assert_true (v.field[JAD_WIRE_ENVELOPE_REPORT].data > buf
                 && v.field[JAD_WIRE_ENVELOPE_REPORT].data < buf + len);
    assert_true (jad_wire_has (&v, JAD_WIRE_ENVELOPE_REPORT));
    assert_false (jad_wire_has (&v, JAD_WIRE_ENVELOPE_SIGNATURE));

    /* Every prefix: a cut between fields peeks (fewer fields), a cut
     * inside one is refused — never a read past the cut (ASan). */
    size_t boundaries = 0;
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *part = malloc (cut ? cut : 1);
        memcpy (part, buf, cut);
        if (jad_wire_peek (&jad__envelope__descriptor, part, cut, &v, err,
                           sizeof err) == 0)
            boundaries++;
        else
            assert_non_null (strstr (err, "cut short"));
        free (part);
    }
    assert_int_equal (boundaries, 7);       /* before each of the 7 fields */
    free (buf);

    /* Nothing at all is an empty message. */
    v.present = 0xffff;
    assert_int_equal (jad_wire_peek (&jad__envelope__descriptor, NULL, 0, &v,
                                     err, sizeof err), 0);
    assert_int_equal (v.present, 0);
}

/* Peek BYTES as DESC: it must be refused with WHY in the reason. */
static void
s_peek_refused (const ProtobufCMessageDescriptor *desc, const uint8_t *bytes,
                size_t len, const char *why)
{
    jad_wire_view_t v;
    char err[128];
    uint8_t *copy = malloc (len ? len : 1);     /* exact size, for ASan */
    memcpy (copy, bytes, len);
    assert_int_equal (jad_wire_peek (desc, copy, len, &v, err, sizeof err), -1);
    if (!strstr (err, why))
        fail_msg ("\"%s\" does not say \"%s\"", err, why);
    free (copy);
}

static void
test_peek_refused (void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *env = &jad__envelope__descriptor;
    /* Malformed: a varint cut short, one of 11 bytes, a length past the
     * end, field number 0, a group, wire types 6 and 7, 64- and 32-bit
     * values cut short. */
    s_peek_refused (env, (const uint8_t []) { 0x28, 0x80 }, 2, "cut short at byte 0");
    s_peek_refused (env, (const uint8_t []) { 0x28, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, 12, "cut short");
    s_peek_refused (env, (const uint8_t []) { 0x08, 0x01, 0x1a, 0x05, 'a' }, 5,
                    "cut short at byte 2");
    s_peek_refused (env, (const uint8_t []) { 0x1a, 0x80, 0x80, 0x80, 0x80,
        0x10, 'a' }, 7, "cut short");       /* 4 GiB */
    s_peek_refused (env, (const uint8_t []) { 0x00, 0x01 }, 2, "cut short");
    s_peek_refused (env, (const uint8_t []) { 0x0b, 0x0c }, 2, "cut short");
    s_peek_refused (env, (const uint8_t []) { 0x0e }, 1, "cut short");
    s_peek_refused (env, (const uint8_t []) { 0x0f }, 1, "cut short");
    s_peek_refused (&jad__report__descriptor,
                    (const uint8_t []) { 0x19, 1, 2, 3, 4, 5, 6, 7 }, 8, "cut short");
    /* Unknown fields: one the schema does not have, one past the view. */
    s_peek_refused (env, (const uint8_t []) { 0x50, 0x01 }, 2, "field 10: unknown");
    s_peek_refused (env, (const uint8_t []) { 0x80, 0x04, 0x01 }, 3,
                    "field 64: unknown");
    /* Wrong wire types: origin as a varint, version as bytes. */
    s_peek_refused (env, (const uint8_t []) { 0x18, 0x01 }, 2,
                    "field 3 (origin): wire type 0, not 2");
    s_peek_refused (env, (const uint8_t []) { 0x0a, 0x00 }, 2,
                    "field 1 (version): wire type 2, not 0");
    s_peek_refused (env, (const uint8_t []) { 0x0d, 1, 0, 0, 0 }, 5,
                    "field 1 (version): wire type 5, not 0");
    /* Given twice, even with the same value. */
    s_peek_refused (env, (const uint8_t []) { 0x08, 0x01, 0x28, 0x02, 0x08, 0x01 },
                    6, "field 1 (version): given twice");
    s_peek_refused (env, (const uint8_t []) { 0x3a, 0x00, 0x3a, 0x00 }, 4,
                    "field 7 (report): given twice");
    /* A string with a NUL byte; bytes may hold one. */
    s_peek_refused (env, (const uint8_t []) { 0x1a, 0x02, 'a', 0x00 }, 4,
                    "field 3 (origin): contains a NUL");
    jad_wire_view_t v;
    char err[128];
    assert_int_equal (jad_wire_peek (env, (const uint8_t []) { 0x22, 0x01, 0x00 },
                                     3, &v, err, sizeof err), 0);
    /* A repeated field: not what the view can hold. */
    s_peek_refused (&jad__participants__descriptor,
                    (const uint8_t []) { 0x0a, 0x00 }, 2,
                    "field 1 (peers): repeated");
}

/* A 64-bit and a 32-bit field, and nested messages: peeked in turn, each
 * within its own bounds. */
static void
test_peek_nested (void **state)
{
    (void) state;
    jad_wire_view_t v, inner;
    char err[128];
    /* Report{lat = 1.5 (double, field 3), deployment (17) = {officers 7}} */
    const uint8_t report[] = { 0x19, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
                               0x8a, 0x01, 0x02, 0x08, 0x07 };
    assert_int_equal (jad_wire_peek (&jad__report__descriptor, report,
                                     sizeof report, &v, err, sizeof err), 0);
    double lat;
    uint64_t bits = v.field[3].value;
    memcpy (&lat, &bits, sizeof lat);
    assert_true (lat == 1.5);
    assert_int_equal (v.field[17].value, 2);
    assert_int_equal (jad_wire_peek (&jad__deployment__descriptor,
                                     v.field[17].data, v.field[17].value,
                                     &inner, err, sizeof err), 0);
    assert_int_equal (inner.field[1].value, 7);

    /* Entry{envelope (4) = {origin (3) of length 5, but only 2 bytes
     * inside the envelope}, prev_hash (5) = 3 bytes}: the entry peeks (the
     * envelope is opaque bytes to it); the envelope, peeked within its own
     * bounds, is refused although the entry's bytes go on. */
    const uint8_t entry[] = { 0x08, 0x01, 0x22, 0x04, 0x1a, 0x05, 'a', 'b',
                              0x2a, 0x03, 'c', 'd', 'e' };
    assert_int_equal (jad_wire_peek (&jad__entry__descriptor, entry,
                                     sizeof entry, &v, err, sizeof err), 0);
    assert_int_equal (v.field[JAD_WIRE_ENTRY_ENVELOPE].value, 4);
    assert_int_equal (jad_wire_peek (&jad__envelope__descriptor,
                                     v.field[JAD_WIRE_ENTRY_ENVELOPE].data,
                                     v.field[JAD_WIRE_ENTRY_ENVELOPE].value,
                                     &inner, err, sizeof err), -1);
    assert_non_null (strstr (err, "cut short at byte 0"));
    /* An envelope longer than the entry: refused at the entry. */
    const uint8_t longer[] = { 0x08, 0x01, 0x22, 0x09, 0x08, 0x01 };
    s_peek_refused (&jad__entry__descriptor, longer, sizeof longer,
                    "cut short at byte 2");
}

/* The field numbers jad_wire_peek's callers use are the schema's. */
static void
test_peek_numbers (void **state)
{
    (void) state;
    static const struct {
        const ProtobufCMessageDescriptor *desc;
        const char *name;
        unsigned    number;
        int         bytes;      /* length-delimited */
    } fields[] = {
        { &jad__entry__descriptor, "hub_seq", JAD_WIRE_ENTRY_HUB_SEQ, 0 },
        { &jad__entry__descriptor, "epoch", JAD_WIRE_ENTRY_EPOCH, 0 },
        { &jad__entry__descriptor, "received_ms", JAD_WIRE_ENTRY_RECEIVED_MS, 0 },
        { &jad__entry__descriptor, "envelope", JAD_WIRE_ENTRY_ENVELOPE, 1 },
        { &jad__entry__descriptor, "prev_hash", JAD_WIRE_ENTRY_PREV_HASH, 1 },
        { &jad__envelope__descriptor, "version", JAD_WIRE_ENVELOPE_VERSION, 0 },
        { &jad__envelope__descriptor, "operation_id", JAD_WIRE_ENVELOPE_OPERATION_ID, 1 },
        { &jad__envelope__descriptor, "origin", JAD_WIRE_ENVELOPE_ORIGIN, 1 },
        { &jad__envelope__descriptor, "incarnation", JAD_WIRE_ENVELOPE_INCARNATION, 1 },
        { &jad__envelope__descriptor, "origin_seq", JAD_WIRE_ENVELOPE_ORIGIN_SEQ, 0 },
        { &jad__envelope__descriptor, "event_time_ms", JAD_WIRE_ENVELOPE_EVENT_TIME_MS, 0 },
        { &jad__envelope__descriptor, "report", JAD_WIRE_ENVELOPE_REPORT, 1 },
        { &jad__envelope__descriptor, "key_id", JAD_WIRE_ENVELOPE_KEY_ID, 1 },
        { &jad__envelope__descriptor, "signature", JAD_WIRE_ENVELOPE_SIGNATURE, 1 },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field_by_name (fields[i].desc,
                                                             fields[i].name);
        assert_non_null (f);
        assert_int_equal (f->id, fields[i].number);
        assert_true (f->id < JAD_WIRE_PEEK_MAX);
        assert_int_equal (f->type == PROTOBUF_C_TYPE_BYTES
                          || f->type == PROTOBUF_C_TYPE_STRING, fields[i].bytes);
    }
    /* Every field of both is listed: a new one gets a name here. */
    assert_int_equal (jad__entry__descriptor.n_fields, 5);
    assert_int_equal (jad__envelope__descriptor.n_fields, 9);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_report_bytes),
        cmocka_unit_test (test_unknown_field_rejected),
        cmocka_unit_test (test_garbage_and_truncation),
        cmocka_unit_test (test_oversize_rejected),
        cmocka_unit_test (test_entry_checks),
        cmocka_unit_test (test_prescan),
        cmocka_unit_test (test_decode_in),
        cmocka_unit_test (test_peek_envelope),
        cmocka_unit_test (test_peek_refused),
        cmocka_unit_test (test_peek_nested),
        cmocka_unit_test (test_peek_numbers),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
