/*  wire: the only module that encodes and decodes protobuf.
 *
 *  Every byte string that comes from a socket or a file is decoded here, and
 *  only here, after a size check, with a budgeted allocator, and with unknown
 *  fields rejected.  Decoded messages belong to the caller, who frees them
 *  with jad_wire_free().  Encoded buffers are malloc'd; the caller frees them.
 */
#ifndef JAD_WIRE_H
#define JAD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include "jad.pb-c.h"

#define JAD_SCHEMA_VERSION   1
/* Largest Frame a socket accepts (ZMQ_MAXMSGSIZE) and largest envelope. */
#define JAD_FRAME_MAX        (256 * 1024)
#define JAD_REPORT_MAX       (96 * 1024)
/* An envelope is a report plus ~100 bytes (a signature later); an entry
 * an envelope plus ~60; a frame an entry plus a few: all fit a frame. */
#define JAD_ENVELOPE_MAX     (JAD_REPORT_MAX + 4096)
#define JAD_ID_BYTES         16     /* operation id, incarnation */
/* What a jadhub socket lets through (ZMQ_MAXMSGSIZE): a frame over
 * JAD_FRAME_MAX but under this arrives, and is refused TOO_LARGE by its
 * decoder, naming the report it carries; over this, libzmq drops the
 * connection. */
#define JAD_FRAME_WIRE_MAX   (JAD_FRAME_MAX + 4096)

/* Decode BUF[0..LEN) as a message of descriptor DESC.  Returns NULL and
 * writes a one-line reason into ERR when the bytes are over MAX, do not
 * decode, exceed the allocation budget, or carry unknown fields — errno
 * EBADMSG, the bytes' fault — or when memory ran out here: errno ENOMEM,
 * the decoder's fault, which a server answers UNAVAILABLE, never with a
 * final code.  The typed decoders below say the same through errno. */
ProtobufCMessage *jad_wire_decode (const ProtobufCMessageDescriptor *desc,
                                   const uint8_t *buf, size_t len, size_t max,
                                   char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* jad_wire_decode, but a message carrying fields DESC does not know (a
 * newer schema's) is kept, its unknown fields ignored.  Only for reading
 * what can be read of bytes that are refused anyway — the identity an
 * ErrorReply echoes to a newer sender (docs/PROTOCOL.md §6, "Matching an
 * answer") — never for accepting anything. */
ProtobufCMessage *jad_wire_decode_lax (const ProtobufCMessageDescriptor *desc,
                                       const uint8_t *buf, size_t len, size_t max,
                                       char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Encode MSG into a new malloc'd buffer; *LEN_P gets its size.  NULL only
 * when memory runs out. */
uint8_t *jad_wire_encode (const ProtobufCMessage *msg, size_t *len_p);

/* Free a message from jad_wire_decode (or one built with malloc'd parts);
 * safe on NULL, nulls the caller's pointer. */
void jad_wire_free (void *msg_p);

/* Typed decoders for the untrusted inputs.  Structural checks only (sizes,
 * id lengths); the meaning of a Report is checked by jad_report.  Frames
 * and envelopes are read by their owners, which return error codes:
 * jad_frame_decode (frame.h) and jad_envelope_open (envelope.h); records
 * by jad_checkpoint_decode and jad_roster_record_decode (record.h). */
Jad__Report   *jad_wire_report_decode   (const uint8_t *buf, size_t len,
                                         char *err, size_t errlen)
    __attribute__((warn_unused_result));
/* Decode a Report into MEM (MEM_LEN bytes, 16-byte aligned), with the same
 * checks; the result lives in MEM and is never freed.  NULL with ERR when
 * it does not decode or does not fit (then decode it with the function
 * above).  For tools that decode millions of reports. */
Jad__Report   *jad_wire_report_decode_in (const uint8_t *buf, size_t len,
                                          void *mem, size_t mem_len,
                                          char *err, size_t errlen)
    __attribute__((warn_unused_result));
Jad__Entry    *jad_wire_entry_decode    (const uint8_t *buf, size_t len,
                                         char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* ------------------------------------------------------------ in place */

/* jad_wire_peek's answer: the fields of one message as found in its bytes,
 * indexed by field number.  Nothing is copied or allocated: DATA points
 * into the buffer peeked.  Read field N only when jad_wire_has (view, N):
 * the others are left unset (a reader of ten million entries does not
 * clear 512 bytes twice per entry). */
#define JAD_WIRE_PEEK_MAX   32      /* field numbers 1..31 */

typedef struct {
    uint32_t present;               /* bit N: field N was given */
    struct {
        uint64_t       value;       /* varint, 32- or 64-bit field: its value
                                       (the raw bits: the caller casts);
                                       length-delimited: its length */
        const uint8_t *data;        /* length-delimited: its bytes */
    } field[JAD_WIRE_PEEK_MAX];
} jad_wire_view_t;

/* 1 when VIEW holds field NUMBER (< JAD_WIRE_PEEK_MAX). */
static inline int
jad_wire_has (const jad_wire_view_t *view, unsigned number)
{
    return (view->present >> number) & 1;
}

/* Walk BUF[0..LEN) as one message of DESC without unpacking it, into
 * *VIEW: for the tools that read ten million journal entries, where
 * protobuf-c's malloc per message and copy per bytes field would be two
 * thirds of the cost.  Nested messages are not entered: peek them in turn
 * (the bounds are then the nested field's).  Refuses, with a reason naming
 * the field ("field 4 (envelope): given twice") in ERR: a truncated varint
 * or value, a length past the end, field number 0, a group or unknown wire
 * type, a field DESC does not know or numbered JAD_WIRE_PEEK_MAX or more,
 * a field of another wire type than its declared type's, a field given
 * twice, a repeated field (not peekable), a string holding a NUL byte.
 * No size limit and no check of the values: the caller's.  0 or -1.
 * Thread-safe; BUF may be NULL when LEN is 0. */
int jad_wire_peek (const ProtobufCMessageDescriptor *desc,
                   const uint8_t *buf, size_t len, jad_wire_view_t *view,
                   char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Field numbers of the messages read with jad_wire_peek, as in
 * proto/jad.proto (field numbers are forever); tests/unit/test_wire.c
 * checks each against the generated descriptors. */
enum {
    JAD_WIRE_ENTRY_HUB_SEQ          = 1,
    JAD_WIRE_ENTRY_EPOCH            = 2,
    JAD_WIRE_ENTRY_RECEIVED_MS      = 3,
    JAD_WIRE_ENTRY_ENVELOPE         = 4,
    JAD_WIRE_ENTRY_PREV_HASH        = 5,
    JAD_WIRE_ENVELOPE_VERSION       = 1,
    JAD_WIRE_ENVELOPE_OPERATION_ID  = 2,
    JAD_WIRE_ENVELOPE_ORIGIN        = 3,
    JAD_WIRE_ENVELOPE_INCARNATION   = 4,
    JAD_WIRE_ENVELOPE_ORIGIN_SEQ    = 5,
    JAD_WIRE_ENVELOPE_EVENT_TIME_MS = 6,
    JAD_WIRE_ENVELOPE_REPORT        = 7,
    JAD_WIRE_ENVELOPE_KEY_ID        = 8,
    JAD_WIRE_ENVELOPE_SIGNATURE     = 9
};

#endif
