/*  wire: protobuf encode/decode with the checks protobuf-c does not make.
 *
 *  protobuf-c trusts its input's lengths and has no allocation limit, so
 *  every decode here checks the size first, unpacks through an allocator
 *  with a byte budget, and rejects messages carrying unknown fields (a
 *  sender speaking a schema we do not know must not have its extra fields
 *  silently dropped and then acked).
 */
#include "jad/wire.h"

#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Allocation budget for one decode: generous for legitimate messages (a
 * message's in-memory form is a small multiple of its wire size) and a hard
 * stop for crafted ones. */
#define S_BUDGET_FACTOR 8
#define S_BUDGET_BASE   (64 * 1024)

typedef struct {
    size_t left;    /* bytes this decode may still allocate */
    int    over;    /* set when an allocation was refused */
    int    oom;     /* set when malloc itself failed */
} s_budget_t;

static void *
s_budget_alloc (void *data, size_t size)
{
    s_budget_t *budget = data;
    if (size > budget->left) {
        budget->over = 1;
        return NULL;
    }
    budget->left -= size;
    void *p = malloc (size);
    if (!p)
        budget->oom = 1;
    return p;
}

static void
s_plain_free (void *data, void *ptr)
{
    (void) data;
    free (ptr);
}

/* Frees decoded messages: same free as the budgeted allocator. */
static ProtobufCAllocator s_free_allocator = {
    .alloc = NULL, .free = s_plain_free, .allocator_data = NULL
};

/* Deepest message nesting any jadhub message needs (Frame > … > Report >
 * Correction > Report > kind) is well under this. */
#define S_DEPTH_MAX 8

/* ------------------------------------------------------------ the walker
 * One varint reader and one field walker serve both the prescan (below,
 * before every unpack) and jad_wire_peek (the in-place reader of the
 * post-operation tools).  They are inline: the tools walk ten million
 * entries, and a call per varint would show. */

/* Inlined even where the compiler would rather call: the walker's cost is
 * its calls. */
#define S_INLINE static inline __attribute__((always_inline))

/* Read a varint at *P (< END); -1 when truncated or over 10 bytes. */
S_INLINE int
s_varint (const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    if (*p < end && !(**p & 0x80)) {
        *v = *(*p)++;           /* one byte: every tag, most lengths */
        return 0;
    }
    uint64_t x = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        x |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* One field as the wire format carries it. */
typedef struct {
    uint32_t       number;      /* field number, 1 .. 2^29 - 1 */
    int            type;        /* wire type: 0 varint, 1 64-bit,
                                   2 length-delimited, 5 32-bit */
    uint64_t       value;       /* 0, 1, 5: the value; 2: the length */
    const uint8_t *data;        /* 2: the bytes, inside the buffer */
} s_field_t;

/* The field at *P (< END) into *F, *P moved past it.  0, or -1 when the
 * bytes are malformed: a varint or value cut short, a length past END,
 * field number 0 or over 2^29 - 1, or wire type 3, 4, 6 or 7 (groups,
 * which no jadhub message has, and junk). */
S_INLINE int
s_field_next (const uint8_t **p, const uint8_t *end, s_field_t *f)
{
    uint64_t tag;
    if (s_varint (p, end, &tag) != 0 || (tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return -1;
    f->number = (uint32_t) (tag >> 3);
    f->type = (int) (tag & 7);
    switch (f->type) {
    case 0:
        return s_varint (p, end, &f->value);
    case 1:
    case 5: {
        size_t n = f->type == 1 ? 8 : 4;
        if ((size_t) (end - *p) < n)
            return -1;
        f->value = 0;
        for (size_t i = n; i-- > 0; )      /* little-endian */
            f->value = f->value << 8 | (*p)[i];
        *p += n;
        return 0;
    }
    case 2:
        if (s_varint (p, end, &f->value) != 0 || f->value > (uint64_t) (end - *p))
            return -1;
        f->data = *p;
        *p += f->value;
        return 0;
    default:
        return -1;
    }
}

/* DESC's field NUMBER, or NULL.  Every jadhub message numbers its fields
 * 1, 2, 3… in order, so fields[number - 1] is the answer without a call
 * into protobuf-c's range search. */
S_INLINE const ProtobufCFieldDescriptor *
s_field_desc (const ProtobufCMessageDescriptor *desc, uint32_t number)
{
    if (number >= 1 && number <= desc->n_fields
    &&  desc->fields[number - 1].id == number)
        return &desc->fields[number - 1];
    return protobuf_c_message_descriptor_get_field (desc, number);
}

/* The wire type a field of protobuf-c type TYPE is carried with. */
S_INLINE int
s_wire_type (ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return 5;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return 2;
    default:
        return 0;   /* the integers, bool and enum */
    }
}

/* Walk the wire bytes of a DESC message before protobuf-c sees them, and
 * refuse what it would accept silently: nesting deeper than S_DEPTH_MAX
 * (protobuf-c recurses without a limit: a crafted report of nested
 * corrections overflows the stack), a string holding a NUL byte (it would
 * reach C code shorter than the bytes that were signed), and a field or a
 * oneof given twice (protobuf keeps the last one; the signed bytes would
 * hold a value no one sees).  Malformed encodings are left for unpack to
 * reject.  0 or -1 with ERR. */
static int
s_prescan (const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
           size_t len, int depth, char *err, size_t errlen)
{
    if (depth > S_DEPTH_MAX) {
        snprintf (err, errlen, "%s: nested deeper than %d messages",
                  desc->short_name, S_DEPTH_MAX);
        return -1;
    }
    if (len == 0)
        return 0;       /* (BUF may be NULL: no arithmetic on it) */
    const uint8_t *p = buf, *end = buf + len;
    uint64_t seen = 0;          /* field numbers < 64 seen so far */
    uint64_t oneofs_seen = 0;   /* oneof groups (by first member) seen */
    s_field_t fld = { 0 };
    while (p < end) {
        if (s_field_next (&p, end, &fld) != 0)
            return 0;
        const ProtobufCFieldDescriptor *f = s_field_desc (desc, fld.number);
        if (f && f->label != PROTOBUF_C_LABEL_REPEATED && fld.number < 64) {
            if (seen & ((uint64_t) 1 << fld.number)) {
                snprintf (err, errlen, "%s.%s: given twice", desc->short_name,
                          f->name);
                return -1;
            }
            seen |= (uint64_t) 1 << fld.number;
            if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
                /* Members of one oneof share its case offset. */
                uint64_t group = (uint64_t) 1 << (f->quantifier_offset % 64);
                if (oneofs_seen & group) {
                    snprintf (err, errlen, "%s.%s: a second member of a oneof",
                              desc->short_name, f->name);
                    return -1;
                }
                oneofs_seen |= group;
            }
        }
        if (fld.type != 2 || !f)
            continue;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE
        &&  s_prescan (f->descriptor, fld.data, (size_t) fld.value, depth + 1,
                       err, errlen) != 0)
            return -1;
        if (f->type == PROTOBUF_C_TYPE_STRING
        &&  memchr (fld.data, 0, (size_t) fld.value)) {
            snprintf (err, errlen, "%s.%s: contains a NUL byte",
                      desc->short_name, f->name);
            return -1;
        }
    }
    return 0;
}

int
jad_wire_peek (const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
               size_t len, jad_wire_view_t *view, char *err, size_t errlen)
{
    view->present = 0;
    if (len == 0)
        return 0;       /* (BUF may be NULL: no arithmetic on it) */
    const uint8_t *p = buf, *end = buf + len;
    s_field_t fld = { 0 };
    while (p < end) {
        size_t at = (size_t) (p - buf);
        if (s_field_next (&p, end, &fld) != 0) {
            snprintf (err, errlen, "malformed or cut short at byte %zu", at);
            return -1;
        }
        const ProtobufCFieldDescriptor *f = fld.number < JAD_WIRE_PEEK_MAX
                                          ? s_field_desc (desc, fld.number) : NULL;
        if (!f) {
            snprintf (err, errlen, "field %" PRIu32 ": unknown", fld.number);
            return -1;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            snprintf (err, errlen, "field %" PRIu32 " (%s): repeated, not "
                      "peekable", fld.number, f->name);
            return -1;
        }
        if (fld.type != s_wire_type (f->type)) {
            snprintf (err, errlen, "field %" PRIu32 " (%s): wire type %d, "
                      "not %d", fld.number, f->name, fld.type,
                      s_wire_type (f->type));
            return -1;
        }
        if (view->present & ((uint32_t) 1 << fld.number)) {
            snprintf (err, errlen, "field %" PRIu32 " (%s): given twice",
                      fld.number, f->name);
            return -1;
        }
        if (f->type == PROTOBUF_C_TYPE_STRING
        &&  memchr (fld.data, 0, (size_t) fld.value)) {
            snprintf (err, errlen, "field %" PRIu32 " (%s): contains a NUL "
                      "byte", fld.number, f->name);
            return -1;
        }
        view->present |= (uint32_t) 1 << fld.number;
        view->field[fld.number].value = fld.value;
        view->field[fld.number].data = fld.data;
    }
    return 0;
}

/* True when MSG or any message nested in it has unknown fields. */
static int
s_has_unknown (const ProtobufCMessage *msg, int depth)
{
    if (msg->n_unknown_fields > 0 || depth > 16)
        return 1;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            /* Participants.peers: a count at quantifier_offset, an array
             * of message pointers at offset. */
            size_t n = *(const size_t *) ((const char *) msg + f->quantifier_offset);
            ProtobufCMessage *const *subs = *(ProtobufCMessage *const *const *)
                ((const char *) msg + f->offset);
            for (size_t k = 0; k < n; k++)
                if (subs[k] && s_has_unknown (subs[k], depth + 1))
                    return 1;
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            const uint32_t *qcase = (const uint32_t *)
                ((const char *) msg + f->quantifier_offset);
            if (*qcase != f->id)
                continue;
        }
        const ProtobufCMessage *sub = *(ProtobufCMessage *const *)
            ((const char *) msg + f->offset);
        if (sub && s_has_unknown (sub, depth + 1))
            return 1;
    }
    return 0;
}

static ProtobufCMessage *
s_decode (const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
          size_t len, size_t max, int lax, char *err, size_t errlen)
{
    errno = EBADMSG;        /* the bytes' fault, unless memory ran out */
    if (len > max) {
        snprintf (err, errlen, "%s: %zu bytes, over the limit of %zu",
                  desc->short_name, len, max);
        return NULL;
    }
    if (s_prescan (desc, buf, len, 0, err, errlen) != 0)
        return NULL;
    s_budget_t budget = { .left = S_BUDGET_BASE + S_BUDGET_FACTOR * len };
    ProtobufCAllocator allocator = {
        .alloc = s_budget_alloc, .free = s_plain_free, .allocator_data = &budget
    };
    ProtobufCMessage *msg = protobuf_c_message_unpack (desc, &allocator,
                                                       len, buf);
    if (!msg) {
        snprintf (err, errlen, "%s: %s", desc->short_name,
                  budget.oom ? "out of memory"
                  : budget.over ? "decoding needs too much memory"
                  : "bytes do not decode");
        errno = budget.oom ? ENOMEM : EBADMSG;
        return NULL;
    }
    if (!lax && s_has_unknown (msg, 0)) {
        snprintf (err, errlen, "%s: unknown fields (newer schema?)",
                  desc->short_name);
        protobuf_c_message_free_unpacked (msg, &s_free_allocator);
        return NULL;
    }
    return msg;
}

ProtobufCMessage *
jad_wire_decode (const ProtobufCMessageDescriptor *desc,
                 const uint8_t *buf, size_t len, size_t max,
                 char *err, size_t errlen)
{
    return s_decode (desc, buf, len, max, 0, err, errlen);
}

ProtobufCMessage *
jad_wire_decode_lax (const ProtobufCMessageDescriptor *desc,
                     const uint8_t *buf, size_t len, size_t max,
                     char *err, size_t errlen)
{
    return s_decode (desc, buf, len, max, 1, err, errlen);
}

/* A bump allocator over caller memory: nothing to free, no lock, no
 * cross-thread free.  Used where millions of short-lived messages are
 * decoded (post-operation tools). */
typedef struct {
    uint8_t *base;
    size_t   used, cap;
} s_arena_t;

static void *
s_arena_alloc (void *data, size_t size)
{
    s_arena_t *arena = data;
    size_t at = (arena->used + 15) & ~(size_t) 15;
    if (at > arena->cap || size > arena->cap - at)
        return NULL;
    arena->used = at + size;
    return arena->base + at;
}

static void
s_arena_free (void *data, void *ptr)
{
    (void) data, (void) ptr;
}

Jad__Report *
jad_wire_report_decode_in (const uint8_t *buf, size_t len, void *mem,
                           size_t mem_len, char *err, size_t errlen)
{
    if (len > JAD_REPORT_MAX) {
        snprintf (err, errlen, "Report: %zu bytes, over the limit of %d",
                  len, JAD_REPORT_MAX);
        return NULL;
    }
    if (s_prescan (&jad__report__descriptor, buf, len, 0, err, errlen) != 0)
        return NULL;
    s_arena_t arena = { mem, 0, mem_len };
    ProtobufCAllocator allocator = {
        .alloc = s_arena_alloc, .free = s_arena_free, .allocator_data = &arena
    };
    ProtobufCMessage *msg = protobuf_c_message_unpack (&jad__report__descriptor,
                                                       &allocator, len, buf);
    if (!msg) {
        snprintf (err, errlen, "Report: %s", arena.used + 64 >= mem_len
                  ? "decoding needs more memory than given"
                  : "bytes do not decode");
        return NULL;
    }
    if (s_has_unknown (msg, 0)) {
        snprintf (err, errlen, "Report: unknown fields (newer schema?)");
        return NULL;
    }
    return (Jad__Report *) msg;
}

uint8_t *
jad_wire_encode (const ProtobufCMessage *msg, size_t *len_p)
{
    size_t len = protobuf_c_message_get_packed_size (msg);
    uint8_t *buf = malloc (len ? len : 1);
    if (!buf)
        return NULL;
    *len_p = protobuf_c_message_pack (msg, buf);
    return buf;
}

void
jad_wire_free (void *msg_p)
{
    ProtobufCMessage **p = msg_p;
    if (p && *p) {
        protobuf_c_message_free_unpacked (*p, &s_free_allocator);
        *p = NULL;
    }
}

Jad__Report *
jad_wire_report_decode (const uint8_t *buf, size_t len,
                        char *err, size_t errlen)
{
    return (Jad__Report *) jad_wire_decode (&jad__report__descriptor, buf, len,
                                            JAD_REPORT_MAX, err, errlen);
}

Jad__Entry *
jad_wire_entry_decode (const uint8_t *buf, size_t len,
                       char *err, size_t errlen)
{
    Jad__Entry *entry = (Jad__Entry *) jad_wire_decode (
        &jad__entry__descriptor, buf, len, JAD_FRAME_MAX, err, errlen);
    if (!entry)
        return NULL;
    const char *bad = NULL;
    if (!entry->has_hub_seq || entry->hub_seq == 0)
        bad = "hub_seq: missing or zero";
    else
    if (!entry->has_envelope || entry->envelope.len == 0)
        bad = "envelope: missing";
    else
    if (entry->has_prev_hash && entry->prev_hash.len != 32)
        bad = "prev_hash: must be 32 bytes";
    if (bad) {
        snprintf (err, errlen, "Entry.%s", bad);
        jad_wire_free (&entry);
    }
    return entry;
}
