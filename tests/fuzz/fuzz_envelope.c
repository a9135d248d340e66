/* libFuzzer target: bytes an agent (or an attacker holding a key) sends the
 * hub.  Decodes a Frame; a submit's Envelope; the Envelope's Report; and
 * runs the Report through the same validation the hub uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jad/wire.h"
#include "jad/report.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_envelope (const uint8_t *data, size_t size)
{
    char err[256];
    Jad__Envelope *env = jad_wire_envelope_decode (data, size, err, sizeof err);
    if (!env)
        return;
    Jad__Report *report = jad_wire_report_decode (env->report.data,
                                                  env->report.len,
                                                  err, sizeof err);
    if (report) {
        (void) jad_report_validate (report, err, sizeof err);
        /* A decoded message re-encodes without crashing. */
        size_t len;
        free (jad_wire_encode (&report->base, &len));
        jad_wire_free (&report);
    }
    jad_wire_free (&env);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err[256];
    Jad__Frame *frame = jad_wire_frame_decode (data, size, err, sizeof err);
    if (frame) {
        if (frame->body_case == JAD__FRAME__BODY_SUBMIT)
            s_envelope (frame->submit.data, frame->submit.len);
        jad_wire_free (&frame);
    }
    /* The same bytes as a bare envelope, as the journal tools read them. */
    s_envelope (data, size);
    return 0;
}
