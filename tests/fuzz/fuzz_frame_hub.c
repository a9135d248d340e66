/* libFuzzer target: every frame a participant receives from the hub, on its
 * DEALER (ack, error, catch-up end, heartbeat, catch-up entries) and on the
 * feed (live entries, heartbeats, checkpoints, roster records).  A mirror
 * trusts none of it: it decodes the Frame, then whatever the body carries —
 * an Entry and its Envelope and Report (validated), a Checkpoint, a
 * RosterRecord — and every decoded message must re-encode to bytes that
 * decode again to the same encoding.  The same input is also tried as a
 * bare Checkpoint and RosterRecord, as read back from the journal
 * environment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jad/report.h"
#include "jad/wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Encode MSG, decode that as DESC, encode again: the bytes must match, or
 * the decoder accepted something it cannot reproduce. */
static void
s_stable (const ProtobufCMessage *msg, size_t max)
{
    char err[256];
    size_t len1 = 0, len2 = 0;
    uint8_t *buf1 = jad_wire_encode (msg, &len1);
    if (!buf1)
        abort ();
    ProtobufCMessage *again = jad_wire_decode (msg->descriptor, buf1, len1,
                                               max, err, sizeof err);
    if (!again)
        abort ();
    uint8_t *buf2 = jad_wire_encode (again, &len2);
    if (!buf2 || len1 != len2 || memcmp (buf1, buf2, len1) != 0)
        abort ();
    free (buf1);
    free (buf2);
    jad_wire_free (&again);
}

/* Decode BUF as DESC; when it decodes, check it round-trips. */
static void
s_try (const ProtobufCMessageDescriptor *desc, const uint8_t *buf, size_t len)
{
    char err[256];
    ProtobufCMessage *msg = jad_wire_decode (desc, buf, len, JAD_FRAME_MAX,
                                             err, sizeof err);
    if (!msg)
        return;
    s_stable (msg, JAD_FRAME_MAX);
    jad_wire_free (&msg);
}

static void
s_entry (const uint8_t *buf, size_t len)
{
    char err[256];
    Jad__Entry *entry = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!entry)
        return;
    s_stable (&entry->base, JAD_FRAME_MAX);
    Jad__Envelope *env = jad_wire_envelope_decode (entry->envelope.data,
                                                   entry->envelope.len,
                                                   err, sizeof err);
    if (env) {
        Jad__Report *report = jad_wire_report_decode (env->report.data,
                                                      env->report.len,
                                                      err, sizeof err);
        if (report) {
            (void) jad_report_validate (report, err, sizeof err);
            jad_wire_free (&report);
        }
        jad_wire_free (&env);
    }
    jad_wire_free (&entry);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    Jad__Frame *frame = jad_wire_frame_decode (data, size, err, sizeof err);
    if (frame) {
        s_stable (&frame->base, JAD_FRAME_MAX);
        switch (frame->body_case) {
        case JAD__FRAME__BODY_ENTRY:
            s_entry (frame->entry.data, frame->entry.len);
            break;
        case JAD__FRAME__BODY_CHECKPOINT:
            s_try (&jad__checkpoint__descriptor,
                   frame->checkpoint.data, frame->checkpoint.len);
            break;
        case JAD__FRAME__BODY_ROSTER:
            s_try (&jad__roster_record__descriptor,
                   frame->roster.data, frame->roster.len);
            break;
        case JAD__FRAME__BODY_ERROR:
            /* A mirror prints the hub's message: it must be a C string. */
            if (frame->error->message)
                (void) strlen (frame->error->message);
            break;
        default:
            break;
        }
        jad_wire_free (&frame);
    }
    s_try (&jad__checkpoint__descriptor, data, size);
    s_try (&jad__roster_record__descriptor, data, size);
    return 0;
}
