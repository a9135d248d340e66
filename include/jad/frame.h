/*  frame: the one message on every jadhub socket, built and read here.
 *
 *  Every ZeroMQ message a jadhub socket carries is one packed jad.Frame
 *  (docs/PROTOCOL.md §6).  The builders below are the only code that
 *  fills a generated Frame (version included); the decoder turns bytes
 *  into a jad_frame_t whose KIND says which member is filled, and returns
 *  an error code (err.h), never a text to be searched:
 *
 *    JAD_ETOO_LARGE     more than JAD_FRAME_MAX bytes
 *    JAD_EBAD_VERSION   Frame.version missing or not JAD_SCHEMA_VERSION
 *    JAD_EMALFORMED     anything else: bytes that do not decode, unknown
 *                       fields, an empty body, a member out of range
 *
 *  Bytes members (a submit's envelope, an entry, a checkpoint, a roster
 *  record) are handed on as they came: signed and hashed data is never
 *  decoded and re-encoded on its way (PROTOCOL.md §1).
 *
 *  Threads: no shared state; a decoded frame belongs to its caller.
 */
#ifndef JAD_FRAME_H
#define JAD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "jad/err.h"
#include "jad/wire.h"

/* What a frame carries: the numbers of the schema's Frame.body cases. */
typedef enum {
    JAD_FRAME_NONE         = 0,
    JAD_FRAME_SUBMIT       = 2,     /* participant -> hub: Envelope bytes */
    JAD_FRAME_ACK          = 3,     /* hub -> participant */
    JAD_FRAME_ERROR        = 4,     /* hub -> participant */
    JAD_FRAME_CATCHUP      = 5,     /* participant -> hub */
    JAD_FRAME_ENTRY        = 6,     /* hub -> participant: Entry bytes */
    JAD_FRAME_CATCHUP_END  = 7,     /* hub -> participant */
    JAD_FRAME_HEARTBEAT    = 8,     /* both ways */
    JAD_FRAME_CHECKPOINT   = 9,     /* hub -> participant: Checkpoint bytes */
    JAD_FRAME_ROSTER       = 10,    /* hub -> participant: RosterRecord bytes */
    JAD_FRAME_PARTICIPANTS = 11     /* hub -> feed */
} jad_frame_kind_t;

/* "submit", "ack", ... for logs; "unknown" for anything else. */
const char *jad_frame_kind_name (int kind);

/* A report's identity as an Ack or an ErrorReply carries it: the
 * incarnation and origin_seq of the envelope answered.  An ErrorReply
 * carries what could be read of a bad envelope, exactly as it was sent (a
 * short incarnation stays short), so that its sender can match it
 * (PROTOCOL.md §8, "Matching an answer"); HAS_* 0 when nothing could.  A
 * value: it holds its own copy of the bytes. */
#define JAD_IDENT_INCARNATION_MAX  64   /* longer ones are not echoed */
typedef struct {
    int      has_incarnation;
    uint8_t  incarnation[JAD_IDENT_INCARNATION_MAX];
    size_t   incarnation_len;
    int      has_origin_seq;
    uint64_t origin_seq;
} jad_ident_t;

/* Fill *OUT with an incarnation (HAS_INC: INC[0..INC_LEN), INC may be
 * NULL when INC_LEN is 0; one over JAD_IDENT_INCARNATION_MAX is left out)
 * and an origin_seq (HAS_SEQ: SEQ): the one way an identity is copied. */
void jad_ident_set (jad_ident_t *out, int has_inc, const uint8_t *inc,
                    size_t inc_len, int has_seq, uint64_t seq);

/* An agent's figures about itself, in its heartbeats: shown, never
 * trusted. */
typedef struct {
    uint64_t outbox_depth;          /* reports accepted, not yet acked */
    uint64_t last_acked;            /* highest origin_seq acked */
    uint64_t mirror_seq;            /* head of its mirror */
} jad_health_t;

/* A heartbeat.  The hub's says its head, epoch and operation; an agent's
 * its mirror head and health.  The XPUB welcome is a heartbeat with
 * nothing set. */
typedef struct {
    int            has_head;
    uint64_t       head_seq;
    int            has_time;
    int64_t        time_ms;
    int            has_epoch;
    uint32_t       epoch;
    const uint8_t *operation_id;    /* JAD_ID_BYTES, or NULL */
    int            has_health;
    jad_health_t   health;
} jad_heartbeat_t;

/* One participant as the hub's relay shows it (Frame.participants). */
typedef struct {
    const char *name;
    const char *role;               /* "agent", "coordinator", ...; NULL
                                       when the relay does not say */
    const char *country;            /* agents; NULL otherwise */
    int         connected;
    int         has_last_seen;
    int64_t     last_seen_ms;       /* wall clock */
    int         has_health;         /* the three figures below are set */
    jad_health_t health;
} jad_peer_status_t;

/* A decoded frame: KIND says which member holds it.  Pointers point into
 * the decoded message and live until jad_frame_clear. */
typedef struct {
    jad_frame_kind_t kind;
    /* SUBMIT, ENTRY, CHECKPOINT, ROSTER: the bytes carried */
    const uint8_t   *bytes;
    size_t           len;
    struct {
        jad_ident_t  ident;         /* ack: both set (checked on decode) */
        uint64_t     hub_seq;
        int          duplicate;     /* journaled earlier */
    } ack;
    struct {
        int          code;          /* jad_err_t, or a number this build
                                       does not know (then final) */
        const char  *message;       /* "" when absent */
        jad_ident_t  ident;
    } error;
    struct {
        uint64_t     from_seq;      /* 0 means 1 */
        uint32_t     credit;        /* 0: the server's maximum */
    } catchup;
    struct {
        uint64_t     head_seq;      /* last hub_seq sent */
        int          more;          /* ask again: the head was not reached */
    } catchup_end;
    jad_heartbeat_t  heartbeat;
    struct {
        size_t       n_peers;       /* read them with jad_frame_peer */
        int64_t      time_ms;
    } participants;
    void            *msg;           /* the decoded Jad__Frame (owned) */
} jad_frame_t;

/* Decode BUF[0..LEN) into *OUT (which the caller clears with
 * jad_frame_clear, whatever the result).  JAD_OK, or a code from the list
 * above with "Frame...: reason" in ERR. */
jad_err_t jad_frame_decode (const uint8_t *buf, size_t len, jad_frame_t *out,
                            char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Free what a decode holds and zero *F; safe on a zeroed frame. */
void jad_frame_clear (jad_frame_t *f);

/* Peer I (< participants.n_peers) of a PARTICIPANTS frame into *OUT; its
 * strings live as long as F.  0, or -1 when I is out of range. */
int jad_frame_peer (const jad_frame_t *f, size_t i, jad_peer_status_t *out);

/* The identity a SUBMIT frame's envelope carries, read in place from
 * frame bytes that may not decode at all (a newer version, a bad field):
 * what an ErrorReply about it should say.  Fills what it can read. */
void jad_frame_submit_ident (const uint8_t *buf, size_t len, jad_ident_t *out);

/* ------------------------------------------------------------ builders */

/* Each builder returns the packed Frame in a new malloc'd buffer (caller
 * frees) with its length in *LEN_P, or NULL when memory runs out.
 * Borrowed pointers are only read during the call. */

/* SUBMIT, ENTRY, CHECKPOINT or ROSTER carrying BYTES[0..N) untouched. */
uint8_t *jad_frame_bytes (jad_frame_kind_t kind, const uint8_t *bytes,
                          size_t n, size_t *len_p);

/* ACK of the report with incarnation INCARNATION (JAD_ID_BYTES) and
 * ORIGIN_SEQ, journaled as HUB_SEQ (DUPLICATE: earlier). */
uint8_t *jad_frame_ack (const uint8_t *incarnation, uint64_t origin_seq,
                        uint64_t hub_seq, int duplicate, size_t *len_p);

/* ERROR with CODE (not JAD_OK), MESSAGE (may be NULL) and what IDENT
 * holds (NULL: nothing, the error is about no report). */
uint8_t *jad_frame_error (jad_err_t code, const char *message,
                          const jad_ident_t *ident, size_t *len_p);

/* CATCHUP from FROM_SEQ, CREDIT entries at most. */
uint8_t *jad_frame_catchup (uint64_t from_seq, uint32_t credit, size_t *len_p);

/* CATCHUP_END after HEAD_SEQ, MORE to come. */
uint8_t *jad_frame_catchup_end (uint64_t head_seq, int more, size_t *len_p);

/* HEARTBEAT with what HB sets (NULL or all unset: the XPUB welcome). */
uint8_t *jad_frame_heartbeat (const jad_heartbeat_t *hb, size_t *len_p);

/* PARTICIPANTS: PEERS[0..N) as of TIME_MS. */
uint8_t *jad_frame_participants (const jad_peer_status_t *peers, size_t n,
                                 int64_t time_ms, size_t *len_p);

#endif
