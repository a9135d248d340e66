/* libFuzzer target: bytes a participant (or an attacker holding a key)
 * sends the hub, read as the hub reads them.
 *
 *   - the Frame, with jad_frame_decode (and, for a Participants frame, each
 *     peer with jad_frame_peer, as a console reads the relay);
 *   - the identity an ErrorReply would echo, read from the same frame
 *     bytes with jad_frame_submit_ident and from a submit's envelope with
 *     jad_envelope_ident: both read past what the decoders refuse (another
 *     version, origin_seq 0, a short incarnation, an envelope over its
 *     limit), so they must never crash or read outside the bytes;
 *   - a submit's Envelope with jad_envelope_open; when it opens, the
 *     identity read in place must be the one opened;
 *   - the Report inside with jad_wire_report_decode and
 *     jad_report_validate, and re-encoded.
 *
 * The same bytes are also tried as a bare envelope, as the journal tools
 * read them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jad/envelope.h"
#include "jad/frame.h"
#include "jad/report.h"
#include "jad/wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_envelope (const uint8_t *data, size_t size)
{
    char err[256];
    jad_ident_t ident;
    jad_envelope_ident (data, size, &ident);
    if (ident.has_incarnation && ident.incarnation_len > JAD_IDENT_INCARNATION_MAX)
        abort ();
    jad_envelope_t env;
    jad_err_t code = jad_envelope_open (data, size, &env, err, sizeof err);
    if (code != JAD_OK) {
        if (code != JAD_EMALFORMED && code != JAD_EBAD_VERSION
        &&  code != JAD_ETOO_LARGE)
            abort ();
        jad_envelope_clear (&env);
        return;
    }
    /* What opens names its report: the identity an answer echoes is the
     * one opened, byte for byte. */
    if (!ident.has_incarnation || ident.incarnation_len != JAD_ID_BYTES
    ||  memcmp (ident.incarnation, env.id.incarnation, JAD_ID_BYTES) != 0
    ||  !ident.has_origin_seq || ident.origin_seq != env.id.origin_seq
    ||  env.id.origin_seq == 0 || env.event_time_ms < 0
    ||  env.report_len == 0 || env.report_len > JAD_REPORT_MAX
    ||  strlen (env.id.origin) == 0
    ||  strlen (env.id.origin) > JAD_ENVELOPE_ORIGIN_MAX)
        abort ();
    Jad__Report *report = jad_wire_report_decode (env.report, env.report_len,
                                                  err, sizeof err);
    if (report) {
        (void) jad_report_validate (report, err, sizeof err);
        /* A decoded message re-encodes without crashing. */
        size_t len;
        free (jad_wire_encode (&report->base, &len));
        jad_wire_free (&report);
    }
    jad_envelope_clear (&env);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    jad_ident_t ident;
    jad_frame_submit_ident (data, size, &ident);
    jad_frame_t f;
    jad_err_t code = jad_frame_decode (data, size, &f, err, sizeof err);
    if (code == JAD_OK) {
        if (f.kind == JAD_FRAME_SUBMIT) {
            /* Read from the frame or from its envelope: the same. */
            jad_ident_t inner;
            jad_envelope_ident (f.bytes, f.len, &inner);
            if (inner.has_incarnation != ident.has_incarnation
            ||  inner.incarnation_len != ident.incarnation_len
            ||  memcmp (inner.incarnation, ident.incarnation,
                        ident.incarnation_len) != 0
            ||  inner.has_origin_seq != ident.has_origin_seq
            ||  inner.origin_seq != ident.origin_seq)
                abort ();
            s_envelope (f.bytes, f.len);
        }
        else
        if (f.kind == JAD_FRAME_PARTICIPANTS) {
            jad_peer_status_t peer;
            size_t i = 0;
            for (; jad_frame_peer (&f, i, &peer) == 0; i++)
                if (!peer.name)
                    abort ();
            if (i != f.participants.n_peers)
                abort ();
        }
        else
        if (f.kind == JAD_FRAME_ERROR)
            (void) strlen (f.error.message);
    }
    else
    if (code != JAD_EMALFORMED && code != JAD_EBAD_VERSION
    &&  code != JAD_ETOO_LARGE)
        abort ();
    jad_frame_clear (&f);
    s_envelope (data, size);
    return 0;
}
