/*  envelope: sealed, opened and verified here.  See include/jad/envelope.h.
 *
 *  Sealing signs once and encodes once; the bytes it returns are what the
 *  sender keeps and resends, what the hub journals and what every reader
 *  verifies — never a re-encoding (protobuf encoding is not canonical).
 */
#include "jad/envelope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/keys.h"
#include "jad/sign.h"
#include "jad/wire.h"

/* ------------------------------------------------------------ seal */

uint8_t *
jad_envelope_seal (const jad_envelope_id_t *id, int64_t event_time_ms,
                   const uint8_t *report, size_t report_len,
                   const jad_keys_t *signer, size_t *len_p,
                   char *err, size_t errlen)
{
    uint8_t *msg = NULL, *buf = NULL;
    uint8_t sig[JAD_SIGN_BYTES];
    size_t origin_len = id->origin ? strlen (id->origin) : 0;
    if (!id->operation_id || !id->incarnation || origin_len == 0
    ||  origin_len > JAD_ENVELOPE_ORIGIN_MAX || id->origin_seq == 0
    ||  event_time_ms < 0) {
        snprintf (err, errlen, "envelope: identity incomplete (operation, "
                  "origin of 1..%d bytes, incarnation, origin_seq >= 1, "
                  "event time >= 0)", JAD_ENVELOPE_ORIGIN_MAX);
        goto out;
    }
    if (!report || report_len == 0 || report_len > JAD_REPORT_MAX) {
        snprintf (err, errlen, "envelope: report of %zu bytes (1..%d)",
                  report_len, JAD_REPORT_MAX);
        goto out;
    }
    Jad__Envelope env = JAD__ENVELOPE__INIT;
    env.has_version = 1;
    env.version = JAD_SCHEMA_VERSION;
    env.has_operation_id = 1;
    env.operation_id.data = (uint8_t *) id->operation_id;
    env.operation_id.len = JAD_ID_BYTES;
    env.origin = (char *) id->origin;
    env.has_incarnation = 1;
    env.incarnation.data = (uint8_t *) id->incarnation;
    env.incarnation.len = JAD_ID_BYTES;
    env.has_origin_seq = 1;
    env.origin_seq = id->origin_seq;
    env.has_event_time_ms = 1;
    env.event_time_ms = event_time_ms;
    env.has_report = 1;
    env.report.data = (uint8_t *) report;
    env.report.len = report_len;
    if (signer) {
        size_t mlen = 0;
        msg = jad_sign_report_bytes (id->operation_id, id->origin,
                                     id->incarnation, id->origin_seq,
                                     event_time_ms, report, report_len, &mlen);
        if (!msg) {
            snprintf (err, errlen, "envelope: out of memory");
            goto out;
        }
        if (jad_keys_sign (signer, msg, mlen, sig) != 0) {
            snprintf (err, errlen, "envelope: the key of %s cannot sign (no "
                      "secret)", jad_keys_name (signer));
            goto out;
        }
        env.has_key_id = 1;
        env.key_id.data = (uint8_t *) jad_keys_key_id (signer);
        env.key_id.len = JAD_KEY_ID_BYTES;
        env.has_signature = 1;
        env.signature.data = sig;
        env.signature.len = sizeof sig;
    }
    if (protobuf_c_message_get_packed_size (&env.base) > JAD_ENVELOPE_MAX) {
        snprintf (err, errlen, "envelope: over %d bytes", JAD_ENVELOPE_MAX);
        goto out;
    }
    buf = jad_wire_encode (&env.base, len_p);
    if (!buf)
        snprintf (err, errlen, "envelope: out of memory");
out:
    free (msg);
    return buf;
}

/* ------------------------------------------------------------ open */

static int
s_id_ok (protobuf_c_boolean has, ProtobufCBinaryData id)
{
    return has && id.len == JAD_ID_BYTES;
}

jad_err_t
jad_envelope_open (const uint8_t *buf, size_t len, jad_envelope_t *out,
                   char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    if (len > JAD_ENVELOPE_MAX) {
        snprintf (err, errlen, "Envelope: %zu bytes, over the limit of %d",
                  len, JAD_ENVELOPE_MAX);
        return JAD_ETOO_LARGE;
    }
    Jad__Envelope *env = (Jad__Envelope *) jad_wire_decode (
        &jad__envelope__descriptor, buf, len, JAD_ENVELOPE_MAX, err, errlen);
    if (!env) {
        if (errno == ENOMEM)
            return JAD_EUNAVAILABLE;        /* ours, not the envelope's */
        /* A newer schema's envelope has fields this build does not know:
         * what it is refused for is its version. */
        int saved = errno;
        Jad__Envelope *lax = (Jad__Envelope *) jad_wire_decode_lax (
            &jad__envelope__descriptor, buf, len, JAD_ENVELOPE_MAX, NULL, 0);
        int newer = lax && lax->has_version && lax->version != JAD_SCHEMA_VERSION;
        if (newer)
            snprintf (err, errlen, "Envelope.version: %u is not a schema "
                      "version this build speaks (%d)", lax->version,
                      JAD_SCHEMA_VERSION);
        jad_wire_free (&lax);
        errno = saved;
        return newer ? JAD_EBAD_VERSION : JAD_EMALFORMED;
    }
    out->msg = env;
    if (!env->has_version || env->version != JAD_SCHEMA_VERSION) {
        if (env->has_version)
            snprintf (err, errlen, "Envelope.version: %u is not a schema "
                      "version this build speaks (%d)", env->version,
                      JAD_SCHEMA_VERSION);
        else
            snprintf (err, errlen, "Envelope.version: missing");
        return JAD_EBAD_VERSION;
    }
    const char *bad = NULL;
    if (!s_id_ok (env->has_operation_id, env->operation_id))
        bad = "operation_id: must be 16 bytes";
    else
    if (!env->origin || !*env->origin
    ||  strlen (env->origin) > JAD_ENVELOPE_ORIGIN_MAX)
        bad = "origin: missing or longer than 64 bytes";
    else
    if (!s_id_ok (env->has_incarnation, env->incarnation))
        bad = "incarnation: must be 16 bytes";
    else
    if (!env->has_origin_seq || env->origin_seq == 0)
        bad = "origin_seq: missing or zero";
    else
    if (!env->has_event_time_ms || env->event_time_ms < 0)
        bad = "event_time_ms: missing or negative";
    else
    if (!env->has_report || env->report.len == 0)
        bad = "report: missing";
    if (bad) {
        snprintf (err, errlen, "Envelope.%s", bad);
        return JAD_EMALFORMED;
    }
    if (env->report.len > JAD_REPORT_MAX) {
        snprintf (err, errlen, "Envelope.report: %zu bytes, over the limit "
                  "of %d", env->report.len, JAD_REPORT_MAX);
        return JAD_ETOO_LARGE;
    }
    out->id.operation_id = env->operation_id.data;
    out->id.origin = env->origin;
    out->id.incarnation = env->incarnation.data;
    out->id.origin_seq = env->origin_seq;
    out->event_time_ms = env->event_time_ms;
    out->report = env->report.data;
    out->report_len = env->report.len;
    if (env->has_key_id && env->key_id.len == JAD_KEY_ID_BYTES)
        out->key_id = env->key_id.data;
    if (env->has_signature) {
        out->signature = env->signature.data;
        out->signature_len = env->signature.len;
    }
    return JAD_OK;
}

void
jad_envelope_clear (jad_envelope_t *env)
{
    if (!env)
        return;
    jad_wire_free (&env->msg);
    memset (env, 0, sizeof *env);
}

void
jad_envelope_ident (const uint8_t *buf, size_t len, jad_ident_t *out)
{
    /* Read past what jad_envelope_open refuses (the version, fields a
     * newer schema added, the limit of an envelope: up to a frame's), so
     * the refusal can name the report. */
    char err[128];
    memset (out, 0, sizeof *out);
    Jad__Envelope *env = (Jad__Envelope *) jad_wire_decode_lax (
        &jad__envelope__descriptor, buf, len, JAD_FRAME_WIRE_MAX, err,
        sizeof err);
    if (!env)
        return;
    jad_ident_set (out, env->has_incarnation, env->incarnation.data,
                   env->incarnation.len, env->has_origin_seq, env->origin_seq);
    jad_wire_free (&env);
}

/* ------------------------------------------------------------ verify */

jad_err_t
jad_envelope_verify (const jad_envelope_t *env, const uint8_t *sign_key,
                     const uint8_t *key_id, char *err, size_t errlen)
{
    if (!env->key_id) {
        snprintf (err, errlen, "key_id: missing or not %d bytes (unsigned "
                  "report)", JAD_KEY_ID_BYTES);
        return JAD_EBAD_SIGNATURE;
    }
    if (memcmp (env->key_id, key_id, JAD_KEY_ID_BYTES) != 0) {
        snprintf (err, errlen, "key_id: not the sender's signing key");
        return JAD_EBAD_SIGNATURE;
    }
    if (!env->signature || env->signature_len != JAD_SIGN_BYTES) {
        snprintf (err, errlen, "signature: missing or not %d bytes",
                  JAD_SIGN_BYTES);
        return JAD_EBAD_SIGNATURE;
    }
    size_t mlen = 0;
    uint8_t *msg = jad_sign_report_bytes (env->id.operation_id, env->id.origin,
                                          env->id.incarnation,
                                          env->id.origin_seq, env->event_time_ms,
                                          env->report, env->report_len, &mlen);
    if (!msg) {
        /* Ours, not the report's: the sender must try again, not give up. */
        snprintf (err, errlen, "signature: cannot be checked now (out of "
                  "memory)");
        return JAD_EUNAVAILABLE;
    }
    int ok = jad_sign_verify (sign_key, msg, mlen, env->signature) == 0;
    free (msg);
    if (!ok) {
        snprintf (err, errlen, "signature: does not verify");
        return JAD_EBAD_SIGNATURE;
    }
    return JAD_OK;
}
