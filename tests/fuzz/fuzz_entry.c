/* libFuzzer target: bytes a participant receives on the hub's feed or reads
 * from a journal.  Decodes an Entry (jad_wire_entry_decode) and, when it
 * decodes, opens the Envelope it carries (jad_envelope_open); each decoded
 * message is re-encoded, and encoding is checked to be stable: decode
 * (encode (m)) encodes to the same bytes again.  The same bytes are peeled
 * in place (jad_entry_peel, over jad_wire_peek), as the post-operation
 * tools and jad-bench read them: what both decoders take, the walker must
 * take too, and find the same values in. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jad/entry.h"
#include "jad/envelope.h"
#include "jad/wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Encode MSG, decode that with DECODE, encode again: the two encodings
 * must match, or the decoder accepted something it cannot reproduce. */
static void
s_stable (const ProtobufCMessage *msg,
          void *(*decode) (const uint8_t *, size_t, char *, size_t))
{
    char err[256];
    size_t len1 = 0, len2 = 0;
    uint8_t *buf1 = jad_wire_encode (msg, &len1);
    if (!buf1)
        abort ();
    ProtobufCMessage *again = decode (buf1, len1, err, sizeof err);
    /* What decoded once decodes again after a round trip. */
    if (!again)
        abort ();
    uint8_t *buf2 = jad_wire_encode (again, &len2);
    if (!buf2 || len1 != len2 || memcmp (buf1, buf2, len1) != 0)
        abort ();
    free (buf1);
    free (buf2);
    jad_wire_free (&again);
}

static void *
s_entry_decode (const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    return jad_wire_entry_decode (buf, len, err, errlen);
}

/* jad_envelope_open as a decoder of messages: the opened message, or
 * NULL (it is taken from the envelope, which is then cleared). */
static void *
s_envelope_decode (const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    jad_envelope_t env;
    void *msg = NULL;
    if (jad_envelope_open (buf, len, &env, err, errlen) == JAD_OK) {
        msg = env.msg;
        env.msg = NULL;
    }
    jad_envelope_clear (&env);
    return msg;
}

/* The peel of an entry that the decoder took and whose envelope opened:
 * it must succeed and agree with them. */
static void
s_same_peel (const uint8_t *data, size_t size, const Jad__Entry *entry,
             const jad_envelope_t *env)
{
    char err[256];
    jad_entry_peel_t peel;
    if (jad_entry_peel (data, size, &peel, err, sizeof err) != 0)
        abort ();
    if (peel.received_ms != (entry->has_received_ms ? entry->received_ms : 0)
    ||  peel.origin_len != strlen (env->id.origin)
    ||  memcmp (peel.origin, env->id.origin, peel.origin_len) != 0
    ||  peel.origin_seq != env->id.origin_seq
    ||  peel.incarnation_len != JAD_ID_BYTES
    ||  memcmp (peel.incarnation, env->id.incarnation, JAD_ID_BYTES) != 0
    ||  !peel.has_event_time || peel.event_time_ms != env->event_time_ms
    ||  peel.report_len != env->report_len
    ||  memcmp (peel.report, env->report, peel.report_len) != 0)
        abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    jad_wire_view_t view;
    jad_entry_peel_t peel;
    /* Whatever the bytes: no crash, no read outside them. */
    if (jad_wire_peek (&jad__envelope__descriptor, data, size, &view,
                       err, sizeof err) == 0
    &&  view.present & ~(uint32_t) 0x3fe)
        abort ();       /* only fields 1..9 can be present */
    if (jad_entry_peel (data, size, &peel, err, sizeof err) == 0
    &&  (peel.report < data || peel.report + peel.report_len > data + size
    ||   (peel.incarnation && (peel.incarnation < data
                            || peel.incarnation + peel.incarnation_len > data + size))))
        abort ();       /* what is peeled lies inside the bytes */
    Jad__Entry *entry = jad_wire_entry_decode (data, size, err, sizeof err);
    if (!entry)
        return 0;
    s_stable (&entry->base, s_entry_decode);
    jad_envelope_t env;
    if (jad_envelope_open (entry->envelope.data, entry->envelope.len, &env,
                           err, sizeof err) == JAD_OK) {
        s_stable ((const ProtobufCMessage *) env.msg, s_envelope_decode);
        s_same_peel (data, size, entry, &env);
    }
    jad_envelope_clear (&env);
    jad_wire_free (&entry);
    return 0;
}
