/*  record: the hub's signed side records — checkpoints and recorded
 *  rosters — made, read and verified in one place.
 *
 *  A checkpoint says "entries 1..hub_seq are the chain whose last entry
 *  hashes to head_hash"; a roster record "this roster governs entries from
 *  effective_seq on".  The hub makes both (signed with its Ed25519 key,
 *  over sign.h's byte strings), stores them beside its journal and sends
 *  them on its feed; agents verify and keep them in their mirrors;
 *  jad-verify checks them years later.  The bytes are stored and forwarded
 *  as made, never re-encoded.
 *
 *  Threads: no shared state.
 */
#ifndef JAD_RECORD_H
#define JAD_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "jad/sign.h"

struct _jad_keys_t;

/* A checkpoint, decoded and structurally checked. */
typedef struct {
    uint64_t hub_seq;                       /* >= 1 */
    uint8_t  head_hash[JAD_HASH_BYTES];
    int64_t  time_ms;
    uint8_t  key_id[JAD_KEY_ID_BYTES];
    uint8_t  signature[JAD_SIGN_BYTES];
} jad_checkpoint_t;

/* A roster record, decoded and structurally checked.  TEXT points into
 * the decoded message (not NUL-terminated) and lives until
 * jad_roster_record_clear. */
typedef struct {
    uint64_t    effective_seq;              /* >= 1 */
    const char *text;                       /* the canonical roster text */
    size_t      text_len;
    int64_t     time_ms;
    uint8_t     key_id[JAD_KEY_ID_BYTES];
    uint8_t     signature[JAD_SIGN_BYTES];
    void       *msg;                        /* the decoded message (owned) */
} jad_roster_record_t;

/* Sign a checkpoint of HUB_SEQ whose entry hashes to HEAD_HASH, made at
 * TIME_MS in operation OP_ID, with the hub's KEYS.  The Checkpoint bytes
 * in a new malloc'd buffer (caller frees), length in *LEN_P; NULL when
 * KEYS has no secret or memory runs out. */
uint8_t *jad_checkpoint_make (const struct _jad_keys_t *keys,
                              const uint8_t *op_id, uint64_t hub_seq,
                              const uint8_t *head_hash, int64_t time_ms,
                              size_t *len_p);

/* Decode BUF[0..LEN) into *OUT: every field present, sizes right,
 * hub_seq >= 1.  0, or -1 with the reason in ERR as lib/wire.c's typed
 * decoders give it ("Checkpoint.head_hash: missing or not 32 bytes", or
 * wire's own "Checkpoint: bytes do not decode"): the caller says where the
 * record came from ("checkpoint at N: ..."). */
int jad_checkpoint_decode (const uint8_t *buf, size_t len,
                           jad_checkpoint_t *out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* 0 when CP is signed by HUB_KEY (JAD_SIGN_PUBLIC_BYTES) for operation
 * OP_ID, -1 otherwise.  KEY_ID is not signed, so it is not compared: the
 * signature is the proof. */
int jad_checkpoint_verify (const jad_checkpoint_t *cp, const uint8_t *op_id,
                           const uint8_t *hub_key)
    __attribute__((warn_unused_result));

struct _jad_journal_t;

/* Compare CP with JOURNAL's chain: 1 when entry CP->hub_seq is there and
 * hashes to CP->head_hash, 0 when it hashes to something else (an entry at
 * or before it changed), -1 when the journal has no such entry, -2 when it
 * cannot be read now.  One read; not from inside a scan of JOURNAL (see
 * store.h). */
int jad_checkpoint_match (const jad_checkpoint_t *cp,
                          struct _jad_journal_t *journal);

/* Sign the roster TEXT (TEXT_LEN bytes, canonical) as governing entries
 * from EFFECTIVE_SEQ on, recorded at TIME_MS, with the hub's KEYS.  As
 * jad_checkpoint_make. */
uint8_t *jad_roster_record_make (const struct _jad_keys_t *keys,
                                 const uint8_t *op_id, uint64_t effective_seq,
                                 const char *text, size_t text_len,
                                 int64_t time_ms, size_t *len_p);

/* Decode BUF[0..LEN) into *OUT (cleared by the caller with
 * jad_roster_record_clear, whatever the result): every field present,
 * sizes right, effective_seq >= 1, a roster text that is not empty (it
 * is not parsed here: jad_roster_parse).  0, or -1 with the reason in ERR
 * as for jad_checkpoint_decode ("RosterRecord.signature: ..."). */
int jad_roster_record_decode (const uint8_t *buf, size_t len,
                              jad_roster_record_t *out,
                              char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* 0 when REC is signed by HUB_KEY for operation OP_ID, -1 otherwise. */
int jad_roster_record_verify (const jad_roster_record_t *rec,
                              const uint8_t *op_id, const uint8_t *hub_key)
    __attribute__((warn_unused_result));

/* Free what a decode holds and zero *REC; safe on a zeroed record. */
void jad_roster_record_clear (jad_roster_record_t *rec);

#endif
