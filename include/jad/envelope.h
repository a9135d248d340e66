/*  envelope: a report with its identity, event time and signature — sealed
 *  here, opened here, verified here.
 *
 *  (operation_id, origin, incarnation, origin_seq) names a report forever
 *  (docs/PROTOCOL.md §3).  The sender seals the envelope once and keeps the
 *  bytes (every resend is byte-identical: the hub refuses other bytes under
 *  a known identity as CONFLICT); the hub journals those bytes untouched;
 *  every reader opens them with jad_envelope_open and checks the signature
 *  with jad_envelope_verify against the participant the roster says.
 *
 *  Errors are codes (err.h), each with a one-line reason naming the field:
 *
 *    jad_envelope_open   JAD_ETOO_LARGE (over JAD_ENVELOPE_MAX, or a
 *                        report over JAD_REPORT_MAX),
 *                        JAD_EBAD_VERSION (version missing or not ours),
 *                        JAD_EMALFORMED (does not decode, a field missing
 *                        or of the wrong size)
 *    jad_envelope_verify JAD_EBAD_SIGNATURE (key id missing or not the
 *                        signer's, signature missing, not 64 bytes or not
 *                        valid), JAD_EUNAVAILABLE (the check itself failed
 *                        here: memory) — never a final code for a failure
 *                        of the verifier's own.
 *
 *  Threads: no shared state.  An opened envelope belongs to one thread at
 *  a time, but may be handed to another (the hub verifies on a pool).
 */
#ifndef JAD_ENVELOPE_H
#define JAD_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "jad/err.h"
#include "jad/frame.h"

struct _jad_keys_t;

/* Longest origin an envelope may carry (a roster name). */
#define JAD_ENVELOPE_ORIGIN_MAX  64

/* Who sends a report and under which number. */
typedef struct {
    const uint8_t *operation_id;    /* JAD_ID_BYTES */
    const char    *origin;          /* roster name, 1..JAD_ENVELOPE_ORIGIN_MAX */
    const uint8_t *incarnation;     /* JAD_ID_BYTES */
    uint64_t       origin_seq;      /* >= 1 */
} jad_envelope_id_t;

/* Seal REPORT (a packed, validated Report, REPORT_LEN bytes) as the
 * Envelope of ID at EVENT_TIME_MS, signed by SIGNER's Ed25519 key over the
 * bytes of jad_sign_report_bytes — or unsigned when SIGNER is NULL, which
 * only `jad-journal import` does (an imported journal verifies by chain,
 * not by signature).  Returns the Envelope bytes in a new malloc'd buffer
 * (caller frees) and their length in *LEN_P, or NULL with ERR (an invalid
 * identity, a report too large to send, a signer without a secret, memory). */
uint8_t *jad_envelope_seal (const jad_envelope_id_t *id, int64_t event_time_ms,
                            const uint8_t *report, size_t report_len,
                            const struct _jad_keys_t *signer,
                            size_t *len_p, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* An opened envelope.  Pointers point into the decoded message and live
 * until jad_envelope_clear. */
typedef struct {
    jad_envelope_id_t id;           /* all four checked present and sized */
    int64_t        event_time_ms;   /* >= 0 */
    const uint8_t *report;          /* the packed Report, 1..JAD_REPORT_MAX */
    size_t         report_len;
    const uint8_t *key_id;          /* JAD_KEY_ID_BYTES, or NULL (unsigned) */
    const uint8_t *signature;       /* as carried, SIGNATURE_LEN bytes (64
                                       when well formed), or NULL when
                                       unsigned: verify says which */
    size_t         signature_len;
    void          *msg;             /* the decoded Jad__Envelope (owned) */
} jad_envelope_t;

/* Open BUF[0..LEN): decode and check the structure above (not the
 * signature, not the report's meaning).  *OUT is cleared by the caller
 * with jad_envelope_clear whatever the result.  JAD_OK or a code above
 * with "Envelope.field: reason" in ERR. */
jad_err_t jad_envelope_open (const uint8_t *buf, size_t len,
                             jad_envelope_t *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Free what an open holds and zero *ENV; safe on a zeroed envelope. */
void jad_envelope_clear (jad_envelope_t *env);

/* The identity readable in BUF[0..LEN), bytes that may not open (a bad
 * version, fields of a newer schema, origin_seq 0, a short incarnation,
 * too large): incarnation as
 * sent and origin_seq, each when present.  What an ErrorReply about the
 * envelope says, so that its sender can match the refusal. */
void jad_envelope_ident (const uint8_t *buf, size_t len, jad_ident_t *out);

/* Check ENV's signature: its key id must be KEY_ID (the signer's, from
 * the roster) and its signature a valid Ed25519 signature by SIGN_KEY
 * over jad_sign_report_bytes of ENV.  JAD_OK, JAD_EBAD_SIGNATURE or
 * JAD_EUNAVAILABLE, with the reason in ERR.  Costs one Ed25519
 * verification (~50-76 µs). */
jad_err_t jad_envelope_verify (const jad_envelope_t *env,
                               const uint8_t *sign_key, const uint8_t *key_id,
                               char *err, size_t errlen)
    __attribute__((warn_unused_result));

#endif
