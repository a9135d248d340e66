/*  frame: the one message on every jadhub socket.  See include/jad/frame.h.
 *
 *  The decoder unpacks through lib/wire.c (size check, budgeted
 *  allocator, unknown fields refused) and then checks what protobuf-c
 *  cannot: the version, that the body is one this build knows, and that
 *  each body has what its readers rely on, so they never meet a half-filled
 *  member.
 */
#include "jad/frame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jad/envelope.h"

/* The kinds are the schema's body cases, number for number. */
_Static_assert ((int) JAD_FRAME_SUBMIT == (int) JAD__FRAME__BODY_SUBMIT, "frame: submit");
_Static_assert ((int) JAD_FRAME_ACK == (int) JAD__FRAME__BODY_ACK, "frame: ack");
_Static_assert ((int) JAD_FRAME_ERROR == (int) JAD__FRAME__BODY_ERROR, "frame: error");
_Static_assert ((int) JAD_FRAME_CATCHUP == (int) JAD__FRAME__BODY_CATCHUP, "frame: catchup");
_Static_assert ((int) JAD_FRAME_ENTRY == (int) JAD__FRAME__BODY_ENTRY, "frame: entry");
_Static_assert ((int) JAD_FRAME_CATCHUP_END == (int) JAD__FRAME__BODY_CATCHUP_END,
                "frame: catchup_end");
_Static_assert ((int) JAD_FRAME_HEARTBEAT == (int) JAD__FRAME__BODY_HEARTBEAT,
                "frame: heartbeat");
_Static_assert ((int) JAD_FRAME_CHECKPOINT == (int) JAD__FRAME__BODY_CHECKPOINT,
                "frame: checkpoint");
_Static_assert ((int) JAD_FRAME_ROSTER == (int) JAD__FRAME__BODY_ROSTER, "frame: roster");
_Static_assert ((int) JAD_FRAME_PARTICIPANTS == (int) JAD__FRAME__BODY_PARTICIPANTS,
                "frame: participants");

const char *
jad_frame_kind_name (int kind)
{
    static const char *names[] = {
        [JAD_FRAME_SUBMIT] = "submit", [JAD_FRAME_ACK] = "ack",
        [JAD_FRAME_ERROR] = "error", [JAD_FRAME_CATCHUP] = "catchup",
        [JAD_FRAME_ENTRY] = "entry", [JAD_FRAME_CATCHUP_END] = "catchup_end",
        [JAD_FRAME_HEARTBEAT] = "heartbeat", [JAD_FRAME_CHECKPOINT] = "checkpoint",
        [JAD_FRAME_ROSTER] = "roster", [JAD_FRAME_PARTICIPANTS] = "participants"
    };
    if (kind < 0 || (size_t) kind >= sizeof names / sizeof names[0] || !names[kind])
        return "unknown";
    return names[kind];
}

/* ------------------------------------------------------------ decoding */

void
jad_ident_set (jad_ident_t *out, int has_inc, const uint8_t *inc,
               size_t inc_len, int has_seq, uint64_t seq)
{
    memset (out, 0, sizeof *out);
    if (has_inc && inc_len <= sizeof out->incarnation) {
        out->has_incarnation = 1;
        if (inc_len)            /* an empty one has no data: NULL */
            memcpy (out->incarnation, inc, inc_len);
        out->incarnation_len = inc_len;
    }
    out->has_origin_seq = has_seq != 0;
    out->origin_seq = has_seq ? seq : 0;
}

static void
s_health (jad_health_t *out, const Jad__Health *in)
{
    out->outbox_depth = in->has_outbox_depth ? in->outbox_depth : 0;
    out->last_acked = in->has_last_acked ? in->last_acked : 0;
    out->mirror_seq = in->has_mirror_seq ? in->mirror_seq : 0;
}

/* Fill OUT's member for F's body; NULL, or the field at fault. */
static const char *
s_body (const Jad__Frame *f, jad_frame_t *out)
{
    switch (f->body_case) {
    case JAD__FRAME__BODY_SUBMIT:
    case JAD__FRAME__BODY_ENTRY:
    case JAD__FRAME__BODY_CHECKPOINT:
    case JAD__FRAME__BODY_ROSTER: {
        const ProtobufCBinaryData *b = f->body_case == JAD__FRAME__BODY_SUBMIT ? &f->submit
                                     : f->body_case == JAD__FRAME__BODY_ENTRY ? &f->entry
                                     : f->body_case == JAD__FRAME__BODY_CHECKPOINT
                                     ? &f->checkpoint : &f->roster;
        if (b->len == 0)
            return "bytes: empty";
        out->bytes = b->data;
        out->len = b->len;
        return NULL;
    }
    case JAD__FRAME__BODY_ACK: {
        const Jad__Ack *a = f->ack;
        if (!a->has_incarnation || a->incarnation.len != JAD_ID_BYTES
        ||  !a->has_origin_seq || !a->has_hub_seq || a->hub_seq == 0)
            return "ack: incarnation, origin_seq or hub_seq missing";
        jad_ident_set (&out->ack.ident, 1, a->incarnation.data,
                       a->incarnation.len, 1, a->origin_seq);
        out->ack.hub_seq = a->hub_seq;
        out->ack.duplicate = a->has_duplicate && a->duplicate;
        return NULL;
    }
    case JAD__FRAME__BODY_ERROR: {
        const Jad__ErrorReply *e = f->error;
        if (!e->has_code || e->code == JAD__ERROR_CODE__ERROR_UNSPECIFIED)
            return "error.code: missing";
        out->error.code = (int) e->code;
        out->error.message = e->message ? e->message : "";
        jad_ident_set (&out->error.ident, e->has_incarnation,
                       e->incarnation.data, e->incarnation.len,
                       e->has_origin_seq, e->origin_seq);
        return NULL;
    }
    case JAD__FRAME__BODY_CATCHUP:
        out->catchup.from_seq = f->catchup->has_from_seq ? f->catchup->from_seq : 0;
        out->catchup.credit = f->catchup->has_credit ? f->catchup->credit : 0;
        return NULL;
    case JAD__FRAME__BODY_CATCHUP_END:
        if (!f->catchup_end->has_head_seq)
            return "catchup_end.head_seq: missing";
        out->catchup_end.head_seq = f->catchup_end->head_seq;
        out->catchup_end.more = f->catchup_end->has_more && f->catchup_end->more;
        return NULL;
    case JAD__FRAME__BODY_HEARTBEAT: {
        const Jad__Heartbeat *h = f->heartbeat;
        jad_heartbeat_t *hb = &out->heartbeat;
        if (h->has_operation_id && h->operation_id.len != JAD_ID_BYTES)
            return "heartbeat.operation_id: not 16 bytes";
        hb->has_head = h->has_head_seq;
        hb->head_seq = h->has_head_seq ? h->head_seq : 0;
        hb->has_time = h->has_time_ms;
        hb->time_ms = h->has_time_ms ? h->time_ms : 0;
        hb->has_epoch = h->has_epoch;
        hb->epoch = h->has_epoch ? h->epoch : 0;
        hb->operation_id = h->has_operation_id ? h->operation_id.data : NULL;
        hb->has_health = h->health != NULL;
        if (h->health)
            s_health (&hb->health, h->health);
        return NULL;
    }
    case JAD__FRAME__BODY_PARTICIPANTS:
        for (size_t i = 0; i < f->participants->n_peers; i++)
            if (!f->participants->peers[i]->name)
                return "participants.peers: a peer without a name";
        out->participants.n_peers = f->participants->n_peers;
        out->participants.time_ms = f->participants->has_time_ms
                                  ? f->participants->time_ms : 0;
        return NULL;
    default:
        return "body: empty or of a kind this build does not know";
    }
}

jad_err_t
jad_frame_decode (const uint8_t *buf, size_t len, jad_frame_t *out,
                  char *err, size_t errlen)
{
    memset (out, 0, sizeof *out);
    if (len > JAD_FRAME_MAX) {
        snprintf (err, errlen, "Frame: %zu bytes, over the limit of %d",
                  len, JAD_FRAME_MAX);
        return JAD_ETOO_LARGE;
    }
    Jad__Frame *f = (Jad__Frame *) jad_wire_decode (&jad__frame__descriptor,
                                                    buf, len, JAD_FRAME_MAX,
                                                    err, errlen);
    if (!f) {
        if (errno == ENOMEM)
            return JAD_EUNAVAILABLE;        /* ours, not the frame's */
        /* A newer schema's frame has fields this build does not know:
         * what it is refused for is its version. */
        int saved = errno;
        Jad__Frame *lax = (Jad__Frame *) jad_wire_decode_lax (
            &jad__frame__descriptor, buf, len, JAD_FRAME_MAX, NULL, 0);
        int newer = lax && lax->has_version && lax->version != JAD_SCHEMA_VERSION;
        if (newer)
            snprintf (err, errlen, "Frame.version: %u is not a schema version "
                      "this build speaks (%d)", lax->version, JAD_SCHEMA_VERSION);
        jad_wire_free (&lax);
        errno = saved;
        return newer ? JAD_EBAD_VERSION : JAD_EMALFORMED;
    }
    out->msg = f;
    if (!f->has_version || f->version != JAD_SCHEMA_VERSION) {
        if (f->has_version)
            snprintf (err, errlen, "Frame.version: %u is not a schema version "
                      "this build speaks (%d)", f->version, JAD_SCHEMA_VERSION);
        else
            snprintf (err, errlen, "Frame.version: missing");
        return JAD_EBAD_VERSION;
    }
    const char *bad = s_body (f, out);
    if (bad) {
        snprintf (err, errlen, "Frame.%s", bad);
        return JAD_EMALFORMED;
    }
    out->kind = (jad_frame_kind_t) f->body_case;
    return JAD_OK;
}

void
jad_frame_clear (jad_frame_t *f)
{
    if (!f)
        return;
    jad_wire_free (&f->msg);
    memset (f, 0, sizeof *f);
}

int
jad_frame_peer (const jad_frame_t *f, size_t i, jad_peer_status_t *out)
{
    if (f->kind != JAD_FRAME_PARTICIPANTS || i >= f->participants.n_peers)
        return -1;
    const Jad__PeerStatus *p = ((const Jad__Frame *) f->msg)->participants->peers[i];
    memset (out, 0, sizeof *out);
    out->name = p->name;
    out->role = p->role;
    out->country = p->country;
    out->connected = p->has_connected && p->connected;
    out->has_last_seen = p->has_last_seen_ms;
    out->last_seen_ms = p->has_last_seen_ms ? p->last_seen_ms : 0;
    out->has_health = p->has_outbox_depth || p->has_last_acked || p->has_mirror_seq;
    out->health.outbox_depth = p->has_outbox_depth ? p->outbox_depth : 0;
    out->health.last_acked = p->has_last_acked ? p->last_acked : 0;
    out->health.mirror_seq = p->has_mirror_seq ? p->mirror_seq : 0;
    return 0;
}

void
jad_frame_submit_ident (const uint8_t *buf, size_t len, jad_ident_t *out)
{
    /* A frame refused for its version still decodes as a Frame: its
     * submit is read whatever Frame.version says, and whatever fields a
     * newer schema added. */
    char err[128];
    Jad__Frame *f = (Jad__Frame *) jad_wire_decode_lax (&jad__frame__descriptor,
                                                        buf, len, JAD_FRAME_WIRE_MAX,
                                                        err, sizeof err);
    memset (out, 0, sizeof *out);
    if (f && f->body_case == JAD__FRAME__BODY_SUBMIT)
        jad_envelope_ident (f->submit.data, f->submit.len, out);
    jad_wire_free (&f);
}

/* ------------------------------------------------------------ builders */

static uint8_t *
s_pack (Jad__Frame *f, size_t *len_p)
{
    f->has_version = 1;
    f->version = JAD_SCHEMA_VERSION;
    return jad_wire_encode (&f->base, len_p);
}

uint8_t *
jad_frame_bytes (jad_frame_kind_t kind, const uint8_t *bytes, size_t n,
                 size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    ProtobufCBinaryData b = { n, (uint8_t *) bytes };
    f.body_case = (Jad__Frame__BodyCase) kind;
    switch (kind) {
    case JAD_FRAME_SUBMIT: f.submit = b; break;
    case JAD_FRAME_ENTRY: f.entry = b; break;
    case JAD_FRAME_CHECKPOINT: f.checkpoint = b; break;
    case JAD_FRAME_ROSTER: f.roster = b; break;
    default: return NULL;       /* not a bytes body: API misuse */
    }
    return s_pack (&f, len_p);
}

uint8_t *
jad_frame_ack (const uint8_t *incarnation, uint64_t origin_seq,
               uint64_t hub_seq, int duplicate, size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    Jad__Ack ack = JAD__ACK__INIT;
    f.body_case = JAD__FRAME__BODY_ACK;
    f.ack = &ack;
    ack.has_incarnation = 1;
    ack.incarnation.data = (uint8_t *) incarnation;
    ack.incarnation.len = JAD_ID_BYTES;
    ack.has_origin_seq = 1;
    ack.origin_seq = origin_seq;
    ack.has_hub_seq = 1;
    ack.hub_seq = hub_seq;
    ack.has_duplicate = 1;
    ack.duplicate = duplicate != 0;
    return s_pack (&f, len_p);
}

uint8_t *
jad_frame_error (jad_err_t code, const char *message, const jad_ident_t *ident,
                 size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    Jad__ErrorReply e = JAD__ERROR_REPLY__INIT;
    f.body_case = JAD__FRAME__BODY_ERROR;
    f.error = &e;
    e.has_code = 1;
    e.code = (Jad__ErrorCode) code;
    e.message = (char *) message;
    if (ident && ident->has_incarnation) {
        e.has_incarnation = 1;
        e.incarnation.data = (uint8_t *) ident->incarnation;
        e.incarnation.len = ident->incarnation_len;
    }
    if (ident && ident->has_origin_seq) {
        e.has_origin_seq = 1;
        e.origin_seq = ident->origin_seq;
    }
    return s_pack (&f, len_p);
}

uint8_t *
jad_frame_catchup (uint64_t from_seq, uint32_t credit, size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    Jad__CatchupRequest req = JAD__CATCHUP_REQUEST__INIT;
    f.body_case = JAD__FRAME__BODY_CATCHUP;
    f.catchup = &req;
    req.has_from_seq = 1;
    req.from_seq = from_seq;
    req.has_credit = 1;
    req.credit = credit;
    return s_pack (&f, len_p);
}

uint8_t *
jad_frame_catchup_end (uint64_t head_seq, int more, size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    Jad__CatchupEnd end = JAD__CATCHUP_END__INIT;
    f.body_case = JAD__FRAME__BODY_CATCHUP_END;
    f.catchup_end = &end;
    end.has_head_seq = 1;
    end.head_seq = head_seq;
    end.has_more = 1;
    end.more = more != 0;
    return s_pack (&f, len_p);
}

uint8_t *
jad_frame_heartbeat (const jad_heartbeat_t *hb, size_t *len_p)
{
    Jad__Frame f = JAD__FRAME__INIT;
    Jad__Heartbeat h = JAD__HEARTBEAT__INIT;
    Jad__Health health = JAD__HEALTH__INIT;
    f.body_case = JAD__FRAME__BODY_HEARTBEAT;
    f.heartbeat = &h;
    if (hb) {
        h.has_head_seq = hb->has_head;
        h.head_seq = hb->head_seq;
        h.has_time_ms = hb->has_time;
        h.time_ms = hb->time_ms;
        h.has_epoch = hb->has_epoch;
        h.epoch = hb->epoch;
        if (hb->operation_id) {
            h.has_operation_id = 1;
            h.operation_id.data = (uint8_t *) hb->operation_id;
            h.operation_id.len = JAD_ID_BYTES;
        }
        if (hb->has_health) {
            health.has_outbox_depth = 1;
            health.outbox_depth = hb->health.outbox_depth;
            health.has_last_acked = 1;
            health.last_acked = hb->health.last_acked;
            health.has_mirror_seq = 1;
            health.mirror_seq = hb->health.mirror_seq;
            h.health = &health;
        }
    }
    return s_pack (&f, len_p);
}

uint8_t *
jad_frame_participants (const jad_peer_status_t *peers, size_t n,
                        int64_t time_ms, size_t *len_p)
{
    uint8_t *buf = NULL;
    Jad__PeerStatus *st = calloc (n ? n : 1, sizeof *st);
    Jad__PeerStatus **ptrs = calloc (n ? n : 1, sizeof *ptrs);
    if (!st || !ptrs)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const jad_peer_status_t *p = &peers[i];
        Jad__PeerStatus *ps = &st[i];
        jad__peer_status__init (ps);
        ps->name = (char *) p->name;
        ps->role = (char *) p->role;
        ps->country = (char *) p->country;
        ps->has_connected = 1;
        ps->connected = p->connected != 0;
        ps->has_last_seen_ms = p->has_last_seen;
        ps->last_seen_ms = p->last_seen_ms;
        ps->has_outbox_depth = ps->has_last_acked = ps->has_mirror_seq = p->has_health;
        ps->outbox_depth = p->health.outbox_depth;
        ps->last_acked = p->health.last_acked;
        ps->mirror_seq = p->health.mirror_seq;
        ptrs[i] = ps;
    }
    Jad__Frame f = JAD__FRAME__INIT;
    Jad__Participants parts = JAD__PARTICIPANTS__INIT;
    f.body_case = JAD__FRAME__BODY_PARTICIPANTS;
    f.participants = &parts;
    parts.n_peers = n;
    parts.peers = ptrs;
    parts.has_time_ms = 1;
    parts.time_ms = time_ms;
    buf = s_pack (&f, len_p);
out:
    free (ptrs);
    free (st);
    return buf;
}
