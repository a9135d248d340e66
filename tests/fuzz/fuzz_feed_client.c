/* libFuzzer target: a participant's feed client (lib/feed_client.c) — the
 * agent's mirror and the console — driven by whatever a hub, or anyone
 * between it and the client, may send it, without sockets.
 *
 * Input: two header bytes, then messages.
 *   byte 0          the owner's head at start (0..255)
 *   byte 1          bits 0-2: held_max - 1 (1..8 live entries held during
 *                   a catch-up), bits 3-5: credit - 1 (1..8 per catch-up)
 *   then, repeated: LEN (2 bytes, big-endian), FLAGS, DT, LEN bytes (cut
 *                   at the end of the input)
 *     FLAGS bit 0   the message came on the feed (SUB), else the DEALER
 *           bit 1   the owner refuses the next entry it is offered
 *           bit 2   before the message, the owner rewinds to half its head
 *                   (a failed commit: jad_feed_client_rewind)
 *           bit 3   the DEALER refuses what the client sends until the
 *                   next message (a full queue)
 *     DT            the clock advances DT x 40 ms before the message
 *   After each message: jad_feed_client_drain (clears "blocked") and
 *   jad_feed_client_tick.
 *
 * Invariants (abort otherwise):
 *   - entries are delivered strictly in order, each the head + 1 (never
 *     twice, never with a gap), as Entry bytes whose hub_seq is that
 *     number; a catch-up entry (not live) only while a DEALER message is
 *     read; and only while the owner has taken the hub's operation
 *     (likewise checkpoints and roster records);
 *   - the client's head is the owner's after every step;
 *   - every frame the client sends decodes (jad_frame_decode) and is a
 *     heartbeat saying the head, or a catch-up from the head + 1 with the
 *     configured credit;
 *   - answers (acks, errors) come only from the DEALER, and are acks or
 *     errors; a Participants frame's peers all read back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jad/feed_client.h"
#include "jad/log.h"
#include "jad/wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

/* The owner's side, as the harness keeps it. */
typedef struct {
    jad_feed_client_t *client;
    uint64_t head;              /* entries 1..head taken */
    uint32_t credit;            /* configured */
    int      op_taken;          /* the operation handler said yes last */
    int      refuse_next;       /* refuse the next entry offered */
    int      send_refused;      /* the DEALER is full */
    int      from_feed;         /* the message being read came on the feed */
    int      in_input;          /* inside jad_feed_client_input */
    uint64_t entries, records, answers;
} s_owner_t;

static int
s_entry (void *arg, uint64_t seq, const uint8_t *buf, size_t len, int live)
{
    s_owner_t *o = arg;
    char err[256];
    if (seq != o->head + 1 || !o->op_taken || !o->in_input
    ||  (!live && o->from_feed))
        abort ();
    Jad__Entry *entry = jad_wire_entry_decode (buf, len, err, sizeof err);
    if (!entry || entry->hub_seq != seq)
        abort ();
    jad_wire_free (&entry);
    if (o->refuse_next) {
        o->refuse_next = 0;
        return -1;
    }
    o->head = seq;
    o->entries++;
    return 0;
}

static void
s_record (void *arg, const uint8_t *buf, size_t len)
{
    s_owner_t *o = arg;
    if (!o->op_taken || !buf || len == 0)
        abort ();
    o->records++;
}

static void
s_participants (void *arg, const jad_frame_t *frame)
{
    (void) arg;
    jad_peer_status_t peer;
    size_t i = 0;
    if (frame->kind != JAD_FRAME_PARTICIPANTS)
        abort ();
    for (; jad_frame_peer (frame, i, &peer) == 0; i++)
        (void) strlen (peer.name);
    if (i != frame->participants.n_peers)
        abort ();
}

static void
s_answer (void *arg, const jad_frame_t *frame)
{
    s_owner_t *o = arg;
    if (o->from_feed
    ||  (frame->kind != JAD_FRAME_ACK && frame->kind != JAD_FRAME_ERROR))
        abort ();
    o->answers++;
}

static int
s_operation (void *arg, const uint8_t *op_id)
{
    /* Every operation but those whose id starts with 0xff is ours. */
    s_owner_t *o = arg;
    o->op_taken = op_id[0] != 0xff;
    return o->op_taken ? 0 : -1;
}

static void
s_health (void *arg, jad_health_t *out)
{
    s_owner_t *o = arg;
    out->outbox_depth = 0;
    out->last_acked = 0;
    out->mirror_seq = o->head;
}

static int
s_send (void *arg, const uint8_t *buf, size_t len)
{
    s_owner_t *o = arg;
    char err[256];
    jad_frame_t f;
    if (jad_frame_decode (buf, len, &f, err, sizeof err) != JAD_OK)
        abort ();
    if (f.kind == JAD_FRAME_HEARTBEAT) {
        if (!f.heartbeat.has_head || f.heartbeat.head_seq != o->head
        ||  !f.heartbeat.has_health || f.heartbeat.health.mirror_seq != o->head)
            abort ();
    }
    else
    if (f.kind == JAD_FRAME_CATCHUP) {
        if (f.catchup.from_seq != o->head + 1 || f.catchup.credit != o->credit
        ||  !o->op_taken)
            abort ();
    }
    else
        abort ();
    jad_frame_clear (&f);
    return o->send_refused ? -1 : 0;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    jad_log_init ("fuzz", JAD_LOG_ERROR);
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    s_owner_t o = { .head = data[0], .credit = 1 + ((data[1] >> 3) & 7) };
    jad_feed_client_config_t config = {
        .head = o.head, .credit = o.credit,
        .held_max = 1 + (data[1] & 7), .role = "fuzz"
    };
    jad_feed_client_handlers_t on = {
        .entry = s_entry, .checkpoint = s_record, .roster = s_record,
        .participants = s_participants, .answer = s_answer,
        .operation = s_operation, .health = s_health, .send = s_send
    };
    char err[256];
    o.client = jad_feed_client_new (&config, &on, &o, err, sizeof err);
    if (!o.client)
        abort ();
    int64_t now = 1000000;
    size_t at = 2;
    while (at + 4 <= size) {
        size_t len = (size_t) data[at] << 8 | data[at + 1];
        uint8_t flags = data[at + 2];
        now += (int64_t) data[at + 3] * 40;
        at += 4;
        if (len > size - at)
            len = size - at;
        o.from_feed = flags & 1;
        o.refuse_next = (flags >> 1) & 1;
        o.send_refused = (flags >> 3) & 1;
        if (flags & 4) {
            o.head /= 2;
            jad_feed_client_rewind (o.client, o.head, now + 1000);
        }
        o.in_input = 1;
        jad_feed_client_input (o.client, data + at, len, o.from_feed, now);
        o.in_input = 0;
        at += len;
        if (jad_feed_client_head (o.client) != o.head)
            abort ();
        jad_feed_client_drain (o.client, now);
        jad_feed_client_tick (o.client, now);
        if (jad_feed_client_head (o.client) != o.head
        ||  jad_feed_client_hub_head (o.client) < o.head)
            abort ();
    }
    jad_feed_client_destroy (&o.client);
    return 0;
}
