/*  sign: key ids, signature verification and the signed byte strings
 *  (layouts in include/jad/sign.h).  No secret key material here.
 */
#include "jad/sign.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* sodium_init is idempotent and thread-safe; verification needs it (it
 * picks the fastest implementation), hashing does not but costs nothing. */
static void
s_init (void)
{
    int rc = sodium_init ();
    assert (rc >= 0);
    (void) rc;
}

static uint8_t *
s_be64 (uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p [i] = (uint8_t) v;
        v >>= 8;
    }
    return p + 8;
}

static uint8_t *
s_be32 (uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--) {
        p [i] = (uint8_t) v;
        v >>= 8;
    }
    return p + 4;
}

static uint8_t *
s_put (uint8_t *p, const void *src, size_t len)
{
    if (len)
        memcpy (p, src, len);
    return p + len;
}

void
jad_sign_key_id (const uint8_t pk [JAD_SIGN_PUBLIC_BYTES],
                 uint8_t id [JAD_KEY_ID_BYTES])
{
    uint8_t hash [JAD_HASH_BYTES];
    jad_sign_hash (pk, JAD_SIGN_PUBLIC_BYTES, hash);
    memcpy (id, hash, JAD_KEY_ID_BYTES);
}

void
jad_sign_hash (const uint8_t *buf, size_t len, uint8_t out [JAD_HASH_BYTES])
{
    static const uint8_t empty [1] = { 0 };
    crypto_generichash (out, JAD_HASH_BYTES, buf ? buf : empty, len, NULL, 0);
}

int
jad_sign_verify (const uint8_t pk [JAD_SIGN_PUBLIC_BYTES],
                 const uint8_t *msg, size_t len,
                 const uint8_t sig [JAD_SIGN_BYTES])
{
    static const uint8_t empty [1] = { 0 };
    if (!pk || !sig || (!msg && len))
        return -1;
    s_init ();
    return crypto_sign_verify_detached (sig, msg ? msg : empty, len, pk) == 0
         ? 0 : -1;
}

uint8_t *
jad_sign_report_bytes (const uint8_t op_id [16], const char *origin,
                       const uint8_t incarnation [16], uint64_t origin_seq,
                       int64_t event_time_ms, const uint8_t *report,
                       size_t report_len, size_t *len_p)
{
    static const char tag [] = JAD_SIGN_REPORT_TAG;
    assert (op_id && incarnation && len_p);
    if (!origin || (!report && report_len))
        return NULL;
    size_t origin_len = strlen (origin);
    if (origin_len > JAD_SIGN_ORIGIN_MAX || report_len > UINT32_MAX)
        return NULL;
    size_t len = sizeof tag + 16 + 1 + origin_len + 16 + 8 + 8 + 4
               + report_len;
    uint8_t *buf = malloc (len);
    if (!buf)
        return NULL;
    uint8_t *p = s_put (buf, tag, sizeof tag);     /* with its NUL */
    p = s_put (p, op_id, 16);
    *p++ = (uint8_t) origin_len;
    p = s_put (p, origin, origin_len);
    p = s_put (p, incarnation, 16);
    p = s_be64 (p, origin_seq);
    p = s_be64 (p, (uint64_t) event_time_ms);
    p = s_be32 (p, (uint32_t) report_len);
    p = s_put (p, report, report_len);
    assert ((size_t) (p - buf) == len);
    *len_p = len;
    return buf;
}

size_t
jad_sign_checkpoint_bytes (const uint8_t op_id [16], uint64_t hub_seq,
                           const uint8_t head_hash [JAD_HASH_BYTES],
                           int64_t time_ms,
                           uint8_t out [JAD_SIGN_CHECKPOINT_LEN])
{
    static const char tag [] = JAD_SIGN_CHECKPOINT_TAG;
    uint8_t *p = s_put (out, tag, sizeof tag);
    p = s_put (p, op_id, 16);
    p = s_be64 (p, hub_seq);
    p = s_put (p, head_hash, JAD_HASH_BYTES);
    p = s_be64 (p, (uint64_t) time_ms);
    assert (p - out == JAD_SIGN_CHECKPOINT_LEN);
    return JAD_SIGN_CHECKPOINT_LEN;
}

size_t
jad_sign_roster_bytes (const uint8_t op_id [16], uint64_t effective_seq,
                       const char *text, size_t text_len, int64_t time_ms,
                       uint8_t out [JAD_SIGN_ROSTER_LEN])
{
    static const char tag [] = JAD_SIGN_ROSTER_TAG;
    uint8_t hash [JAD_HASH_BYTES];
    jad_sign_hash ((const uint8_t *) text, text_len, hash);
    uint8_t *p = s_put (out, tag, sizeof tag);
    p = s_put (p, op_id, 16);
    p = s_be64 (p, effective_seq);
    p = s_put (p, hash, JAD_HASH_BYTES);
    p = s_be64 (p, (uint64_t) time_ms);
    assert (p - out == JAD_SIGN_ROSTER_LEN);
    return JAD_SIGN_ROSTER_LEN;
}
