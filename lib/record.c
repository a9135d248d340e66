/*  record: the hub's signed side records.  See record.h for the contract.
 *
 *  Decoding goes through lib/wire.c (size check, budget, unknown fields),
 *  signing through jad_keys_sign (only lib/keys.c holds a secret), and the
 *  bytes signed are sign.h's: this module only puts them together, so the
 *  hub, the agents, the console and jad-verify agree on what a record is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/journal.h"
#include "jad/keys.h"
#include "jad/record.h"
#include "jad/sign.h"
#include "jad/wire.h"

/* Largest record accepted: a roster record carries a roster's text (tens
 * of participants, a few hundred bytes each), well under a frame; records
 * travel in frames, so nothing larger can have been sent. */
#define S_RECORD_MAX  JAD_FRAME_MAX

/* Point BIN at LEN bytes of DATA (not copied: the caller's stay alive
 * until the message is encoded). */
static void
s_bytes (protobuf_c_boolean *has, ProtobufCBinaryData *bin,
         const uint8_t *data, size_t len)
{
    *has = 1;
    bin->data = (uint8_t *) data;
    bin->len = len;
}

/* The reason a bytes field is wrong, or NULL when it is HAS and LEN bytes
 * long. */
static const char *
s_sized (protobuf_c_boolean has, ProtobufCBinaryData bin, size_t len,
         const char *why)
{
    return has && bin.len == len ? NULL : why;
}

/* ------------------------------------------------------------ checkpoint */

uint8_t *
jad_checkpoint_make (const jad_keys_t *keys, const uint8_t *op_id,
                     uint64_t hub_seq, const uint8_t *head_hash,
                     int64_t time_ms, size_t *len_p)
{
    uint8_t msg[JAD_SIGN_CHECKPOINT_LEN], sig[JAD_SIGN_BYTES];
    jad_sign_checkpoint_bytes (op_id, hub_seq, head_hash, time_ms, msg);
    if (jad_keys_sign (keys, msg, sizeof msg, sig) != 0)
        return NULL;
    /* Fields set in number order, every one present: the hub's records
     * have always been encoded so, and tests/unit/test_record.c pins it. */
    Jad__Checkpoint cp = JAD__CHECKPOINT__INIT;
    cp.has_hub_seq = 1;
    cp.hub_seq = hub_seq;
    s_bytes (&cp.has_head_hash, &cp.head_hash, head_hash, JAD_HASH_BYTES);
    cp.has_time_ms = 1;
    cp.time_ms = time_ms;
    s_bytes (&cp.has_key_id, &cp.key_id, jad_keys_key_id (keys),
             JAD_KEY_ID_BYTES);
    s_bytes (&cp.has_signature, &cp.signature, sig, sizeof sig);
    return jad_wire_encode (&cp.base, len_p);
}

int
jad_checkpoint_decode (const uint8_t *buf, size_t len, jad_checkpoint_t *out,
                       char *err, size_t errlen)
{
    int rc = -1;
    const char *bad = NULL;
    memset (out, 0, sizeof *out);
    Jad__Checkpoint *cp = (Jad__Checkpoint *) jad_wire_decode (
        &jad__checkpoint__descriptor, buf, len, S_RECORD_MAX, err, errlen);
    if (!cp)
        goto out;
    if (!cp->has_hub_seq || cp->hub_seq == 0)
        bad = "hub_seq: missing or zero";
    else
        bad = s_sized (cp->has_head_hash, cp->head_hash, JAD_HASH_BYTES,
                       "head_hash: missing or not 32 bytes");
    if (!bad && !cp->has_time_ms)
        bad = "time_ms: missing";
    if (!bad)
        bad = s_sized (cp->has_key_id, cp->key_id, JAD_KEY_ID_BYTES,
                       "key_id: missing or not 8 bytes");
    if (!bad)
        bad = s_sized (cp->has_signature, cp->signature, JAD_SIGN_BYTES,
                       "signature: missing or not 64 bytes");
    if (bad) {
        snprintf (err, errlen, "Checkpoint.%s", bad);
        goto out;
    }
    out->hub_seq = cp->hub_seq;
    memcpy (out->head_hash, cp->head_hash.data, JAD_HASH_BYTES);
    out->time_ms = cp->time_ms;
    memcpy (out->key_id, cp->key_id.data, JAD_KEY_ID_BYTES);
    memcpy (out->signature, cp->signature.data, JAD_SIGN_BYTES);
    rc = 0;
out:
    jad_wire_free (&cp);
    return rc;
}

int
jad_checkpoint_verify (const jad_checkpoint_t *cp, const uint8_t *op_id,
                       const uint8_t *hub_key)
{
    uint8_t msg[JAD_SIGN_CHECKPOINT_LEN];
    jad_sign_checkpoint_bytes (op_id, cp->hub_seq, cp->head_hash, cp->time_ms,
                               msg);
    return jad_sign_verify (hub_key, msg, sizeof msg, cp->signature);
}

/* ------------------------------------------------------------ roster */

uint8_t *
jad_roster_record_make (const jad_keys_t *keys, const uint8_t *op_id,
                        uint64_t effective_seq, const char *text,
                        size_t text_len, int64_t time_ms, size_t *len_p)
{
    uint8_t msg[JAD_SIGN_ROSTER_LEN], sig[JAD_SIGN_BYTES];
    jad_sign_roster_bytes (op_id, effective_seq, text, text_len, time_ms, msg);
    if (jad_keys_sign (keys, msg, sizeof msg, sig) != 0)
        return NULL;
    Jad__RosterRecord rec = JAD__ROSTER_RECORD__INIT;
    rec.has_effective_seq = 1;
    rec.effective_seq = effective_seq;
    s_bytes (&rec.has_roster, &rec.roster, (const uint8_t *) text, text_len);
    rec.has_time_ms = 1;
    rec.time_ms = time_ms;
    s_bytes (&rec.has_key_id, &rec.key_id, jad_keys_key_id (keys),
             JAD_KEY_ID_BYTES);
    s_bytes (&rec.has_signature, &rec.signature, sig, sizeof sig);
    return jad_wire_encode (&rec.base, len_p);
}

int
jad_roster_record_decode (const uint8_t *buf, size_t len,
                          jad_roster_record_t *out, char *err, size_t errlen)
{
    int rc = -1;
    const char *bad = NULL;
    memset (out, 0, sizeof *out);
    Jad__RosterRecord *rec = (Jad__RosterRecord *) jad_wire_decode (
        &jad__roster_record__descriptor, buf, len, S_RECORD_MAX, err, errlen);
    if (!rec)
        goto out;
    if (!rec->has_effective_seq || rec->effective_seq == 0)
        bad = "effective_seq: missing or zero";
    else
    if (!rec->has_roster || rec->roster.len == 0)
        bad = "roster: missing or empty";
    else
    if (!rec->has_time_ms)
        bad = "time_ms: missing";
    else
        bad = s_sized (rec->has_key_id, rec->key_id, JAD_KEY_ID_BYTES,
                       "key_id: missing or not 8 bytes");
    if (!bad)
        bad = s_sized (rec->has_signature, rec->signature, JAD_SIGN_BYTES,
                       "signature: missing or not 64 bytes");
    if (bad) {
        snprintf (err, errlen, "RosterRecord.%s", bad);
        goto out;
    }
    out->effective_seq = rec->effective_seq;
    out->text = (const char *) rec->roster.data;
    out->text_len = rec->roster.len;
    out->time_ms = rec->time_ms;
    memcpy (out->key_id, rec->key_id.data, JAD_KEY_ID_BYTES);
    memcpy (out->signature, rec->signature.data, JAD_SIGN_BYTES);
    out->msg = rec;             /* TEXT points into it: kept until clear */
    rec = NULL;
    rc = 0;
out:
    jad_wire_free (&rec);
    return rc;
}

int
jad_roster_record_verify (const jad_roster_record_t *rec, const uint8_t *op_id,
                          const uint8_t *hub_key)
{
    uint8_t msg[JAD_SIGN_ROSTER_LEN];
    jad_sign_roster_bytes (op_id, rec->effective_seq, rec->text, rec->text_len,
                           rec->time_ms, msg);
    return jad_sign_verify (hub_key, msg, sizeof msg, rec->signature);
}

void
jad_roster_record_clear (jad_roster_record_t *rec)
{
    Jad__RosterRecord *msg = rec->msg;
    jad_wire_free (&msg);
    memset (rec, 0, sizeof *rec);
}

int
jad_checkpoint_match (const jad_checkpoint_t *cp, jad_journal_t *journal)
{
    uint8_t hash[JAD_HASH_BYTES];
    int found = jad_journal_hash (journal, cp->hub_seq, hash);
    if (found < 0)
        return -2;
    if (found == 0)
        return -1;
    return memcmp (hash, cp->head_hash, JAD_HASH_BYTES) == 0;
}
