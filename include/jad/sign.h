/*  sign: Ed25519 signatures over jadhub's domain-separated byte strings —
 *  the public-key side only (key ids, verification, the bytes that get
 *  signed).  Signing needs a secret, so it lives in keys.h (jad_keys_sign):
 *  only lib/keys.c touches secret key material.
 *
 *  Every signed byte string starts with a tag naming what it is and its
 *  version, NUL-terminated, so a signature over one kind of thing can never
 *  be replayed as another.  Integers are big-endian; signed integers are
 *  encoded as their uint64 two's complement.
 *
 *    report      "jadhub-report-v1\0"     (17 bytes)
 *                operation_id (16) ‖ u8 origin length ‖ origin bytes ‖
 *                incarnation (16) ‖ BE64 origin_seq ‖ BE64 event_time_ms ‖
 *                BE32 report length ‖ report bytes (the packed Report
 *                exactly as carried in Envelope.report, never re-encoded)
 *    checkpoint  "jadhub-checkpoint-v1\0" (21 bytes)
 *                operation_id (16) ‖ BE64 hub_seq ‖ head_hash (32) ‖
 *                BE64 time_ms                       — 85 bytes in all
 *    roster      "jadhub-roster-v1\0"     (17 bytes)
 *                operation_id (16) ‖ BE64 effective_seq ‖
 *                BLAKE2b-256 (roster text) (32) ‖ BE64 time_ms
 *                                                   — 81 bytes in all
 *
 *  The report string has a variable length and is returned in a malloc'd
 *  buffer; the checkpoint and roster strings have fixed lengths
 *  (JAD_SIGN_CHECKPOINT_LEN, JAD_SIGN_ROSTER_LEN) and are written into a
 *  buffer the caller supplies.  tests/unit/test_sign.c pins every byte.
 *
 *  A key id is the first 8 bytes of BLAKE2b-256 of the 32-byte Ed25519
 *  public key: short enough for humans and rosters, derived so it can
 *  always be checked.
 */
#ifndef JAD_SIGN_H
#define JAD_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define JAD_SIGN_BYTES          64  /* an Ed25519 detached signature */
#define JAD_SIGN_PUBLIC_BYTES   32  /* an Ed25519 public key */
#define JAD_KEY_ID_BYTES         8  /* a key id */
#define JAD_HASH_BYTES          32  /* BLAKE2b-256 */

#define JAD_SIGN_REPORT_TAG      "jadhub-report-v1"
#define JAD_SIGN_CHECKPOINT_TAG  "jadhub-checkpoint-v1"
#define JAD_SIGN_ROSTER_TAG      "jadhub-roster-v1"

/* Lengths of the fixed-size signed strings (tag with its NUL included). */
#define JAD_SIGN_CHECKPOINT_LEN (21 + 16 + 8 + JAD_HASH_BYTES + 8)   /* 85 */
#define JAD_SIGN_ROSTER_LEN     (17 + 16 + 8 + JAD_HASH_BYTES + 8)   /* 81 */

/* The longest origin the report string can carry (its length is a u8). */
#define JAD_SIGN_ORIGIN_MAX     255

/* The key id of Ed25519 public key PK: BLAKE2b-256 (PK), first 8 bytes. */
void jad_sign_key_id (const uint8_t pk [JAD_SIGN_PUBLIC_BYTES],
                      uint8_t id [JAD_KEY_ID_BYTES]);

/* BLAKE2b-256 of BUF (LEN bytes; BUF may be NULL when LEN is 0). */
void jad_sign_hash (const uint8_t *buf, size_t len,
                    uint8_t out [JAD_HASH_BYTES]);

/* Verify the detached Ed25519 signature SIG over MSG (LEN bytes) with
 * public key PK.  0 when it is valid, -1 otherwise (a bad signature, a
 * public key that is not a valid point).  Costs ~76 µs. */
int jad_sign_verify (const uint8_t pk [JAD_SIGN_PUBLIC_BYTES],
                     const uint8_t *msg, size_t len,
                     const uint8_t sig [JAD_SIGN_BYTES])
    __attribute__((warn_unused_result));

/* The byte string an agent signs for a report (layout above).  ORIGIN is a
 * NUL-terminated string of 0..255 bytes; REPORT may be NULL when
 * REPORT_LEN is 0.  Returns a malloc'd buffer the caller owns (free) and
 * its length in *LEN_P, or NULL when ORIGIN is NULL or longer than 255
 * bytes, REPORT_LEN does not fit in 32 bits, or memory runs out. */
uint8_t *jad_sign_report_bytes (const uint8_t op_id [16], const char *origin,
                                const uint8_t incarnation [16],
                                uint64_t origin_seq, int64_t event_time_ms,
                                const uint8_t *report, size_t report_len,
                                size_t *len_p)
    __attribute__((warn_unused_result));

/* The byte string the hub signs for a checkpoint, written into OUT
 * (JAD_SIGN_CHECKPOINT_LEN bytes).  Returns JAD_SIGN_CHECKPOINT_LEN. */
size_t jad_sign_checkpoint_bytes (const uint8_t op_id [16], uint64_t hub_seq,
                                  const uint8_t head_hash [JAD_HASH_BYTES],
                                  int64_t time_ms,
                                  uint8_t out [JAD_SIGN_CHECKPOINT_LEN]);

/* The byte string the hub signs when it records a roster that takes effect
 * at hub_seq EFFECTIVE_SEQ, written into OUT (JAD_SIGN_ROSTER_LEN bytes).
 * TEXT (TEXT_LEN bytes) is the roster text exactly as recorded (normally
 * jad_roster_format's); only its BLAKE2b-256 hash enters the string.
 * Returns JAD_SIGN_ROSTER_LEN. */
size_t jad_sign_roster_bytes (const uint8_t op_id [16], uint64_t effective_seq,
                              const char *text, size_t text_len,
                              int64_t time_ms,
                              uint8_t out [JAD_SIGN_ROSTER_LEN]);

#endif
