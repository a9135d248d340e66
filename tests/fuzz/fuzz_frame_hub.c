/* libFuzzer target: every frame a participant receives from the hub, on its
 * DEALER (ack, error, catch-up end, heartbeat, catch-up entries) and on the
 * feed (live entries, heartbeats, checkpoints, roster records, the
 * participants relay).  A mirror trusts none of it: it decodes the Frame
 * (jad_frame_decode), then whatever the body carries — an Entry, its
 * Envelope (jad_envelope_open) and Report (validated), a Checkpoint
 * (jad_checkpoint_decode), a RosterRecord (jad_roster_record_decode, its
 * text parsed as a roster) — and every decoded message must re-encode to
 * bytes that decode again to the same encoding.  The same input is also
 * tried as a bare Checkpoint and RosterRecord, as read back from the
 * journal environment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jad/envelope.h"
#include "jad/frame.h"
#include "jad/record.h"
#include "jad/report.h"
#include "jad/roster.h"
#include "jad/wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Encode MSG, decode that as its own type, encode again: the bytes must
 * match, or the decoder accepted something it cannot reproduce. */
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

/* The frame re-encoded decodes again to a frame of the same kind. */
static void
s_stable_frame (const jad_frame_t *f)
{
    char err[256];
    size_t len = 0;
    s_stable ((const ProtobufCMessage *) f->msg, JAD_FRAME_MAX);
    uint8_t *buf = jad_wire_encode ((const ProtobufCMessage *) f->msg, &len);
    jad_frame_t again;
    if (!buf
    ||  jad_frame_decode (buf, len, &again, err, sizeof err) != JAD_OK
    ||  again.kind != f->kind || again.len != f->len
    ||  (f->len && memcmp (again.bytes, f->bytes, f->len) != 0))
        abort ();
    jad_frame_clear (&again);
    free (buf);
}

static void
s_checkpoint (const uint8_t *buf, size_t len)
{
    char err[256];
    jad_checkpoint_t cp;
    if (jad_checkpoint_decode (buf, len, &cp, err, sizeof err) == 0
    &&  cp.hub_seq == 0)
        abort ();
    /* The codec under it: whatever decodes round-trips. */
    ProtobufCMessage *msg = jad_wire_decode (&jad__checkpoint__descriptor,
                                             buf, len, JAD_FRAME_MAX,
                                             err, sizeof err);
    if (msg)
        s_stable (msg, JAD_FRAME_MAX);
    jad_wire_free (&msg);
}

static void
s_roster (const uint8_t *buf, size_t len)
{
    char err[256];
    jad_roster_record_t rec;
    if (jad_roster_record_decode (buf, len, &rec, err, sizeof err) == 0) {
        if (rec.effective_seq == 0 || rec.text_len == 0)
            abort ();
        s_stable ((const ProtobufCMessage *) rec.msg, JAD_FRAME_MAX);
        /* A mirror parses the text into its history. */
        jad_roster_t *roster = jad_roster_parse (rec.text, rec.text_len,
                                                 "fuzz", err, sizeof err);
        jad_roster_destroy (&roster);
    }
    jad_roster_record_clear (&rec);
}

static void
s_entry (const uint8_t *buf, size_t len)
{
    char err[256];
    Jad__Entry *entry = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!entry)
        return;
    s_stable (&entry->base, JAD_FRAME_MAX);
    jad_envelope_t env;
    if (jad_envelope_open (entry->envelope.data, entry->envelope.len, &env,
                           err, sizeof err) == JAD_OK) {
        s_stable ((const ProtobufCMessage *) env.msg, JAD_FRAME_MAX);
        Jad__Report *report = jad_wire_report_decode (env.report,
                                                      env.report_len,
                                                      err, sizeof err);
        if (report) {
            (void) jad_report_validate (report, err, sizeof err);
            jad_wire_free (&report);
        }
    }
    jad_envelope_clear (&env);
    jad_wire_free (&entry);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    jad_frame_t f;
    if (jad_frame_decode (data, size, &f, err, sizeof err) == JAD_OK) {
        s_stable_frame (&f);
        switch (f.kind) {
        case JAD_FRAME_ENTRY:
            s_entry (f.bytes, f.len);
            break;
        case JAD_FRAME_CHECKPOINT:
            s_checkpoint (f.bytes, f.len);
            break;
        case JAD_FRAME_ROSTER:
            s_roster (f.bytes, f.len);
            break;
        case JAD_FRAME_ERROR:
            /* A mirror prints the hub's message: it must be a C string. */
            (void) strlen (f.error.message);
            if (f.error.ident.incarnation_len > JAD_IDENT_INCARNATION_MAX)
                abort ();
            break;
        case JAD_FRAME_ACK:
            if (!f.ack.ident.has_incarnation || !f.ack.ident.has_origin_seq
            ||  f.ack.ident.incarnation_len != JAD_ID_BYTES
            ||  f.ack.hub_seq == 0)
                abort ();
            break;
        case JAD_FRAME_PARTICIPANTS: {
            jad_peer_status_t peer;
            for (size_t i = 0; jad_frame_peer (&f, i, &peer) == 0; i++)
                (void) strlen (peer.name);
            break;
        }
        default:
            break;
        }
    }
    jad_frame_clear (&f);
    s_checkpoint (data, size);
    s_roster (data, size);
    return 0;
}
