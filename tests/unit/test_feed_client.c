/* Unit tests: lib/feed_client.c — the participant's side of the hub's feed,
 * driven without sockets (hub_endpoint NULL) on simulated time: frames go
 * in with jad_feed_client_input, what the client sends is captured by the
 * `send` handler and decoded with jad_frame_decode.  The entries are real:
 * unsigned envelopes sealed by lib/envelope.c, journaled by lib/journal.c,
 * and the Entry bytes it stored are what the "hub" sends.
 *
 * The Clone pattern of docs/PROTOCOL.md §6: nothing asked before the
 * feed's welcome and the hub's operation id; one catch-up from head + 1
 * with the configured credit; live entries held during a catch-up and
 * applied after catchup_end in order, duplicates dropped, past the bound
 * dropped and fetched again; gaps, a hub head past ours and `more` asking
 * again; a slow answer that keeps arriving is not asked again, a silent
 * one is after 5 s; refusals by the owner, rewind, the operation refused
 * or changed; records, participants and answers to their callbacks;
 * heartbeats with the owner's health; connected/heard and reconnect; an
 * answer with `more` and no entry held off for 5 s; entries past a gap
 * counted and said once per answer.
 * Multi-part messages need sockets and are not tested here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jad/envelope.h"
#include "jad/feed_client.h"
#include "jad/frame.h"
#include "jad/journal.h"
#include "jad/log.h"
#include "jad/wire.h"
#include "testutil.h"

/* ------------------------------------------------------------ entries */

#define S_N  40                 /* entries 1..S_N, made once */

static const uint8_t s_op[16] = {
    0x6c, 0x1e, 0x57, 0x0a, 0x11, 0x66, 0x40, 0x9c,
    0x69, 0x42, 0xc7, 0x90, 0x91, 0x0b, 0x9c, 0xb1 };
static const uint8_t s_op2[16] = { 0xee, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t s_inc[16] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

static uint8_t *s_entry_buf[S_N + 1];   /* Entry bytes as journaled */
static size_t   s_entry_len[S_N + 1];

/* A journal in a temporary directory, entries 1..S_N appended as the hub
 * appends them (each an envelope sealed unsigned), their stored bytes kept. */
static int
s_group_setup (void **state)
{
    (void) state;
    jad_log_init ("test", JAD_LOG_ERROR);
    char err[256], path[600];
    char *dir = jad_test_mkdtemp ();
    if (!dir)
        return -1;
    snprintf (path, sizeof path, "%s/journal", dir);
    jad_journal_t *j = jad_journal_open (path, JAD_JOURNAL_CREATE, err, sizeof err);
    if (!j) {
        fprintf (stderr, "journal: %s\n", err);
        return -1;
    }
    jad_journal_meta_t m = { .epoch = 1 };
    snprintf (m.name, sizeof m.name, "Feed test");
    memcpy (m.id, s_op, 16);
    int rc = jad_journal_meta_set (j, &m);
    jad_journal_item_t items[S_N];
    uint8_t *envs[S_N];
    for (uint64_t i = 0; rc == 0 && i < S_N; i++) {
        uint8_t report[] = { 0x0a, 0x02, 'D', 'E', 0x32, 0x01, (uint8_t) ('A' + i) };
        jad_envelope_id_t id = { .operation_id = s_op, .origin = "agent-de",
                                 .incarnation = s_inc, .origin_seq = i + 1 };
        size_t len = 0;
        envs[i] = jad_envelope_seal (&id, 1605510000000LL + (int64_t) i, report,
                                     sizeof report, NULL, &len, err, sizeof err);
        if (!envs[i])
            return -1;
        items[i] = (jad_journal_item_t) {
            .origin = "agent-de", .incarnation = s_inc, .origin_seq = i + 1,
            .envelope = envs[i], .envelope_len = len,
            .received_ms = 1605510001000LL + (int64_t) i, .keep_entry = 1
        };
    }
    if (rc == 0)
        rc = jad_journal_append (j, items, S_N, err, sizeof err);
    for (uint64_t i = 0; i < S_N; i++) {
        free (envs[i]);
        if (rc == 0 && (items[i].status != JAD_JOURNAL_NEW
                        || items[i].hub_seq != i + 1 || !items[i].entry))
            rc = -1;
        s_entry_buf[i + 1] = items[i].entry;
        s_entry_len[i + 1] = items[i].entry_len;
    }
    jad_journal_destroy (&j);
    jad_test_rmtree (dir);
    free (dir);
    return rc;
}

static int
s_group_teardown (void **state)
{
    (void) state;
    for (size_t i = 0; i <= S_N; i++)
        free (s_entry_buf[i]);
    return 0;
}

/* ------------------------------------------------------------ the owner */

#define S_EVENTS_MAX  256
#define S_SENT_MAX    256
#define T0            1000000   /* simulated monotonic ms */

typedef struct {
    char     kind;              /* 'E' entry, 'X' entry refused, 'C'
                                   checkpoint, 'R' roster, 'P'
                                   participants, 'A' ack, 'F' error,
                                   'O' operation, 'N' reconnected */
    uint64_t seq;               /* E, X: the entry; P: peers; F: code */
    int      live;              /* E, X */
    char     text[32];          /* C, R: the bytes (short ones) */
} s_event_t;

typedef struct {
    jad_feed_client_t *fc;
    s_event_t events[S_EVENTS_MAX];
    size_t    n_events;
    uint8_t  *sent[S_SENT_MAX];         /* frames the client sent */
    size_t    sent_len[S_SENT_MAX];
    size_t    n_sent;
    int       send_rc;                  /* what `send` answers */
    uint64_t  refuse_seq;               /* entry refused (once), 0: none */
    const uint8_t *want_op;             /* the owner's operation; NULL: any */
    jad_health_t health;
} s_owner_t;

static void
s_event (s_owner_t *o, char kind, uint64_t seq, int live, const uint8_t *buf,
         size_t len)
{
    assert_true (o->n_events < S_EVENTS_MAX);
    s_event_t *e = &o->events[o->n_events++];
    memset (e, 0, sizeof *e);
    e->kind = kind;
    e->seq = seq;
    e->live = live;
    if (buf)
        memcpy (e->text, buf, len < sizeof e->text - 1 ? len : sizeof e->text - 1);
}

static int
s_on_entry (void *arg, uint64_t seq, const uint8_t *buf, size_t len, int live)
{
    s_owner_t *o = arg;
    /* Always the next one, with the bytes the hub journaled. */
    assert_int_equal (seq, jad_feed_client_head (o->fc) + 1);
    assert_true (seq >= 1 && seq <= S_N);
    assert_int_equal (len, s_entry_len[seq]);
    assert_memory_equal (buf, s_entry_buf[seq], len);
    if (seq == o->refuse_seq) {
        o->refuse_seq = 0;
        s_event (o, 'X', seq, live, NULL, 0);
        return -1;
    }
    s_event (o, 'E', seq, live, NULL, 0);
    return 0;
}

static void
s_on_checkpoint (void *arg, const uint8_t *buf, size_t len)
{
    s_event (arg, 'C', 0, 0, buf, len);
}

static void
s_on_roster (void *arg, const uint8_t *buf, size_t len)
{
    s_event (arg, 'R', 0, 0, buf, len);
}

static void
s_on_participants (void *arg, const jad_frame_t *f)
{
    assert_int_equal (f->kind, JAD_FRAME_PARTICIPANTS);
    s_event (arg, 'P', f->participants.n_peers, 0, NULL, 0);
}

static void
s_on_answer (void *arg, const jad_frame_t *f)
{
    if (f->kind == JAD_FRAME_ACK)
        s_event (arg, 'A', f->ack.ident.origin_seq, 0, NULL, 0);
    else {
        assert_int_equal (f->kind, JAD_FRAME_ERROR);
        s_event (arg, 'F', (uint64_t) f->error.code, 0, NULL, 0);
    }
}

static int
s_on_operation (void *arg, const uint8_t *op)
{
    s_owner_t *o = arg;
    s_event (o, 'O', op[0], 0, NULL, 0);
    return !o->want_op || memcmp (op, o->want_op, 16) == 0 ? 0 : -1;
}

static void
s_on_health (void *arg, jad_health_t *out)
{
    *out = ((s_owner_t *) arg)->health;
}

static void
s_on_reconnected (void *arg)
{
    s_event (arg, 'N', 0, 0, NULL, 0);
}

static int
s_on_send (void *arg, const uint8_t *buf, size_t len)
{
    s_owner_t *o = arg;
    assert_non_null (buf);
    assert_true (len > 0);              /* every frame has its version */
    if (o->send_rc != 0)
        return o->send_rc;
    assert_true (o->n_sent < S_SENT_MAX);
    o->sent[o->n_sent] = malloc (len);
    assert_non_null (o->sent[o->n_sent]);
    memcpy (o->sent[o->n_sent], buf, len);
    o->sent_len[o->n_sent++] = len;
    return 0;
}

/* A detached client starting from HEAD, credit CREDIT, holding HELD_MAX. */
static s_owner_t *
s_owner (uint64_t head, uint32_t credit, size_t held_max, int with_health)
{
    s_owner_t *o = calloc (1, sizeof *o);
    assert_non_null (o);
    o->want_op = s_op;
    o->health = (jad_health_t) { .outbox_depth = 3, .last_acked = 17,
                                 .mirror_seq = head };
    jad_feed_client_config_t config = {
        .hub_endpoint = NULL, .head = head, .credit = credit,
        .held_max = held_max, .role = "test"
    };
    jad_feed_client_handlers_t on = {
        .entry = s_on_entry, .checkpoint = s_on_checkpoint,
        .roster = s_on_roster, .participants = s_on_participants,
        .answer = s_on_answer, .operation = s_on_operation,
        .health = with_health ? s_on_health : NULL,
        .reconnected = s_on_reconnected, .send = s_on_send
    };
    char err[256];
    o->fc = jad_feed_client_new (&config, &on, o, err, sizeof err);
    if (!o->fc)
        fail_msg ("feed client: %s", err);
    assert_int_equal (jad_feed_client_head (o->fc), head);
    return o;
}

static void
s_clear_sent (s_owner_t *o)
{
    for (size_t i = 0; i < o->n_sent; i++)
        free (o->sent[i]);
    o->n_sent = 0;
}

static void
s_destroy (s_owner_t **o_p)
{
    s_owner_t *o = *o_p;
    s_clear_sent (o);
    jad_feed_client_destroy (&o->fc);
    assert_null (o->fc);
    free (o);
    *o_p = NULL;
}

/* The catch-ups sent since the last s_clear_sent: their count, the first
 * one's from_seq and credit.  Heartbeats are counted in *HEARTBEATS. */
static size_t
s_catchups (s_owner_t *o, uint64_t *from, uint32_t *credit, size_t *heartbeats)
{
    size_t n = 0, hb = 0;
    for (size_t i = 0; i < o->n_sent; i++) {
        jad_frame_t f;
        char err[256];
        assert_int_equal (jad_frame_decode (o->sent[i], o->sent_len[i], &f, err,
                                            sizeof err), JAD_OK);
        if (f.kind == JAD_FRAME_CATCHUP) {
            if (n == 0 && from)
                *from = f.catchup.from_seq;
            if (n == 0 && credit)
                *credit = f.catchup.credit;
            n++;
        }
        else {
            assert_int_equal (f.kind, JAD_FRAME_HEARTBEAT);
            hb++;
        }
        jad_frame_clear (&f);
    }
    if (heartbeats)
        *heartbeats = hb;
    return n;
}

/* Tick at NOW; 0 when no catch-up went out, else its from_seq. */
static uint64_t
s_tick (s_owner_t *o, int64_t now)
{
    s_clear_sent (o);
    jad_feed_client_tick (o->fc, now);
    uint64_t from = 0;
    size_t n = s_catchups (o, &from, NULL, NULL);
    assert_true (n <= 1);
    return n ? from : 0;
}

/* Input BUF[0..*LEN_P) (freed here) as from the feed or the DEALER.  The
 * length by pointer: it is read after the builder in the same call set it. */
static void
s_input (s_owner_t *o, uint8_t *buf, const size_t *len_p, int from_feed,
         int64_t now)
{
    assert_non_null (buf);
    jad_feed_client_input (o->fc, buf, *len_p, from_feed, now);
    free (buf);
}

static void
s_welcome (s_owner_t *o, int64_t now)
{
    jad_feed_client_input (o->fc, NULL, 0, 1, now);
}

/* The hub's heartbeat: head HEAD (when HAS_HEAD), operation OP (NULL:
 * none). */
static void
s_hub_heartbeat (s_owner_t *o, int has_head, uint64_t head, const uint8_t *op,
                 int from_feed, int64_t now)
{
    jad_heartbeat_t hb = { .has_head = has_head, .head_seq = head,
                           .has_time = 1, .time_ms = 1605510000000LL,
                           .has_epoch = 1, .epoch = 1, .operation_id = op };
    size_t len = 0;
    uint8_t *buf = jad_frame_heartbeat (&hb, &len);
    s_input (o, buf, &len, from_feed, now);
}

static void
s_entry (s_owner_t *o, uint64_t seq, int from_feed, int64_t now)
{
    size_t len = 0;
    uint8_t *buf = jad_frame_bytes (JAD_FRAME_ENTRY, s_entry_buf[seq],
                                    s_entry_len[seq], &len);
    s_input (o, buf, &len, from_feed, now);
}

static void
s_end (s_owner_t *o, uint64_t head, int more, int64_t now)
{
    size_t len = 0;
    uint8_t *buf = jad_frame_catchup_end (head, more, &len);
    s_input (o, buf, &len, 0, now);
}

static void
s_record (s_owner_t *o, jad_frame_kind_t kind, const char *text, int from_feed,
          int64_t now)
{
    size_t len = 0;
    uint8_t *buf = jad_frame_bytes (kind, (const uint8_t *) text, strlen (text),
                                    &len);
    s_input (o, buf, &len, from_feed, now);
}

/* The events since FROM as a string: "E1 E2 e3 R:text ..." (lower case
 * e/x: live), to compare in one assertion. */
static const char *
s_trace (const s_owner_t *o, size_t from)
{
    static char out[4096];
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = from; i < o->n_events && at < sizeof out - 64; i++) {
        const s_event_t *e = &o->events[i];
        const char *sep = i > from ? " " : "";
        switch (e->kind) {
        case 'E': case 'X':
            at += (size_t) snprintf (out + at, sizeof out - at, "%s%c%llu", sep,
                                     e->live ? e->kind + 32 : e->kind,
                                     (unsigned long long) e->seq);
            break;
        case 'C': case 'R':
            at += (size_t) snprintf (out + at, sizeof out - at, "%s%c:%s", sep,
                                     e->kind, e->text);
            break;
        default:
            at += (size_t) snprintf (out + at, sizeof out - at, "%s%c%llu", sep,
                                     e->kind, (unsigned long long) e->seq);
        }
    }
    return out;
}

/* Welcome and operation, then the first catch-up: from HEAD + 1. */
static void
s_start (s_owner_t *o, int64_t now)
{
    s_welcome (o, now);
    s_hub_heartbeat (o, 1, 0, s_op, 1, now);
    assert_int_equal (s_tick (o, now), jad_feed_client_head (o->fc) + 1);
}

/* Caught up from 0 to HEAD (all from one catch-up answer) at NOW. */
static void
s_caught_up (s_owner_t *o, uint64_t head, int64_t now)
{
    s_start (o, now);
    for (uint64_t seq = 1; seq <= head; seq++)
        s_entry (o, seq, 0, now);
    s_end (o, head, 0, now);
    assert_int_equal (jad_feed_client_head (o->fc), head);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (s_tick (o, now), 0);
}

/* ------------------------------------------------------------ tests */

static void
test_nothing_before_welcome_and_operation (void **state)
{
    (void) state;
    /* The operation first (on the DEALER), then the welcome. */
    s_owner_t *o = s_owner (0, 50, 0, 1);
    assert_int_equal (s_tick (o, T0), 0);
    assert_null (jad_feed_client_operation (o->fc));
    s_hub_heartbeat (o, 1, 7, s_op, 0, T0 + 10);
    assert_string_equal (s_trace (o, 0), "O108");     /* s_op[0] = 0x6c */
    assert_memory_equal (jad_feed_client_operation (o->fc), s_op, 16);
    assert_int_equal (s_tick (o, T0 + 20), 0);
    assert_int_equal (s_tick (o, T0 + 20000), 0);     /* however long */
    s_welcome (o, T0 + 20010);
    s_clear_sent (o);
    jad_feed_client_tick (o->fc, T0 + 20020);
    uint64_t from = 0;
    uint32_t credit = 0;
    assert_int_equal (s_catchups (o, &from, &credit, NULL), 1);
    assert_int_equal (from, 1);
    assert_int_equal (credit, 50);
    /* Asked once: not again while it is answered. */
    assert_int_equal (s_tick (o, T0 + 20030), 0);
    assert_int_equal (s_tick (o, T0 + 24000), 0);
    s_destroy (&o);

    /* The welcome first, then the operation (on the feed); from head + 1,
     * with the default credit. */
    o = s_owner (12, 0, 0, 1);
    s_welcome (o, T0);
    assert_int_equal (s_tick (o, T0), 0);
    s_hub_heartbeat (o, 1, 12, NULL, 1, T0 + 5);       /* no operation id */
    assert_int_equal (s_tick (o, T0 + 10), 0);
    s_hub_heartbeat (o, 1, 12, s_op, 1, T0 + 15);
    s_clear_sent (o);
    jad_feed_client_tick (o->fc, T0 + 20);
    assert_int_equal (s_catchups (o, &from, &credit, NULL), 1);
    assert_int_equal (from, 13);
    assert_int_equal (credit, JAD_FEED_CLIENT_CREDIT);
    s_destroy (&o);
}

static void
test_catchup_in_order (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (5, 10, 0, 1);
    s_start (o, T0);
    size_t mark = o->n_events;
    for (uint64_t seq = 6; seq <= 10; seq++)
        s_entry (o, seq, 0, T0 + 10);
    assert_string_equal (s_trace (o, mark), "E6 E7 E8 E9 E10");
    assert_int_equal (jad_feed_client_head (o->fc), 10);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    /* An entry already had, or past a gap, in an answer: not delivered. */
    s_entry (o, 9, 0, T0 + 11);
    s_entry (o, 12, 0, T0 + 11);
    assert_string_equal (s_trace (o, mark), "E6 E7 E8 E9 E10");
    /* A catchup_end on the feed is not ours. */
    size_t len = 0;
    s_input (o, jad_frame_catchup_end (10, 0, &len), &len, 1, T0 + 12);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (s_tick (o, T0 + 13), 0);      /* still in flight */
    s_end (o, 10, 0, T0 + 20);
    /* The hub said 12 exists (the entry past the gap): ask again. */
    assert_int_equal (jad_feed_client_hub_head (o->fc), 12);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (s_tick (o, T0 + 30), 11);
    s_entry (o, 11, 0, T0 + 40);
    s_entry (o, 12, 0, T0 + 40);
    s_end (o, 12, 0, T0 + 40);
    assert_string_equal (s_trace (o, mark), "E6 E7 E8 E9 E10 E11 E12");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (jad_feed_client_hub_head (o->fc), 12);
    assert_int_equal (s_tick (o, T0 + 50), 0);
    assert_int_equal (s_tick (o, T0 + 60000), 0);  /* nothing in flight */
    s_destroy (&o);
}

static void
test_live_held_during_catchup (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_start (o, T0);
    size_t mark = o->n_events;
    /* Live entries before the answer: held. */
    s_entry (o, 4, 1, T0 + 1);
    s_entry (o, 5, 1, T0 + 2);
    s_entry (o, 5, 1, T0 + 3);          /* twice */
    s_entry (o, 6, 1, T0 + 4);
    assert_string_equal (s_trace (o, mark), "");
    assert_int_equal (jad_feed_client_head (o->fc), 0);
    /* The answer: 1..4, and one more live entry meanwhile. */
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_entry (o, seq, 0, T0 + 10);
    s_entry (o, 7, 1, T0 + 11);
    s_entry (o, 4, 0, T0 + 12);
    assert_string_equal (s_trace (o, mark), "E1 E2 E3 E4");
    s_end (o, 4, 0, T0 + 13);
    /* Then the held ones, in order, duplicates dropped, as live. */
    assert_string_equal (s_trace (o, mark), "E1 E2 E3 E4 e5 e6 e7");
    assert_int_equal (jad_feed_client_head (o->fc), 7);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (s_tick (o, T0 + 20), 0);
    /* Live entries now go straight through. */
    s_entry (o, 8, 1, T0 + 30);
    s_entry (o, 8, 1, T0 + 31);
    assert_string_equal (s_trace (o, mark), "E1 E2 E3 E4 e5 e6 e7 e8");
    s_destroy (&o);
}

static void
test_gap (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 3, T0);
    size_t mark = o->n_events;
    s_entry (o, 4, 1, T0 + 100);
    s_entry (o, 6, 1, T0 + 200);        /* 5 lost */
    assert_string_equal (s_trace (o, mark), "e4");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (jad_feed_client_hub_head (o->fc), 6);
    assert_int_equal (s_tick (o, T0 + 210), 5);
    s_entry (o, 7, 1, T0 + 220);        /* held now */
    s_entry (o, 5, 0, T0 + 230);
    s_entry (o, 6, 0, T0 + 230);
    s_end (o, 6, 0, T0 + 240);
    assert_string_equal (s_trace (o, mark), "e4 E5 E6 e7");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (s_tick (o, T0 + 250), 0);

    /* A gap among the held entries asks again after catchup_end. */
    s_entry (o, 9, 1, T0 + 300);
    assert_int_equal (s_tick (o, T0 + 310), 8);
    s_entry (o, 11, 1, T0 + 320);       /* held; 10 lost as well */
    s_entry (o, 8, 0, T0 + 330);
    s_entry (o, 9, 0, T0 + 330);
    s_end (o, 9, 0, T0 + 340);
    assert_string_equal (s_trace (o, mark), "e4 E5 E6 e7 E8 E9");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (s_tick (o, T0 + 350), 10);
    s_destroy (&o);
}

static void
test_heartbeat_head (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 3, T0);
    /* The hub's head is ours: nothing; past ours: the last entry was
     * lost, catch up. */
    s_hub_heartbeat (o, 1, 3, s_op, 1, T0 + 1000);
    assert_int_equal (s_tick (o, T0 + 1010), 0);
    s_hub_heartbeat (o, 0, 0, s_op, 1, T0 + 1500);     /* no head */
    assert_int_equal (s_tick (o, T0 + 1510), 0);
    s_hub_heartbeat (o, 1, 5, s_op, 1, T0 + 2000);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (jad_feed_client_hub_head (o->fc), 5);
    assert_int_equal (s_tick (o, T0 + 2010), 4);
    /* While it is answered, another heartbeat asks nothing more. */
    s_hub_heartbeat (o, 1, 6, s_op, 0, T0 + 2020);
    assert_int_equal (s_tick (o, T0 + 2030), 0);
    s_entry (o, 4, 0, T0 + 2040);
    s_entry (o, 5, 0, T0 + 2040);
    s_entry (o, 6, 0, T0 + 2040);
    s_end (o, 6, 0, T0 + 2040);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (s_tick (o, T0 + 2050), 0);
    s_destroy (&o);
}

/* The answer to our heartbeat on the DEALER may overtake entries still on
 * their way on the feed: its head asks for nothing; the feed's does. */
static void
test_dealer_heartbeat_head (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 3, T0);
    s_hub_heartbeat (o, 1, 5, s_op, 0, T0 + 1000);
    assert_int_equal (s_tick (o, T0 + 1010), 0);
    s_entry (o, 4, 1, T0 + 1020);
    s_entry (o, 5, 1, T0 + 1020);
    assert_int_equal (jad_feed_client_head (o->fc), 5);
    s_hub_heartbeat (o, 1, 6, s_op, 1, T0 + 2000);
    assert_int_equal (s_tick (o, T0 + 2010), 6);
    s_destroy (&o);
}

/* A server whose head went back (a replay started again, a hub restored
 * from a backup) is believed at the end of an answer: no catch-up after
 * catch-up for entries it does not have. */
static void
test_head_went_back (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_start (o, T0);
    s_hub_heartbeat (o, 1, 10, s_op, 1, T0 + 10);
    for (uint64_t seq = 1; seq <= 5; seq++)
        s_entry (o, seq, 0, T0 + 20);
    s_end (o, 5, 0, T0 + 20);
    assert_int_equal (jad_feed_client_head (o->fc), 5);
    assert_int_equal (jad_feed_client_hub_head (o->fc), 5);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (s_tick (o, T0 + 30), 0);
    assert_int_equal (s_tick (o, T0 + 6000), 0);
    s_destroy (&o);
}

static void
test_more (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 3, 0, 1);
    s_start (o, T0);
    size_t mark = o->n_events;
    s_entry (o, 1, 0, T0 + 1);
    s_entry (o, 2, 0, T0 + 1);
    s_entry (o, 3, 0, T0 + 1);
    s_entry (o, 5, 1, T0 + 2);          /* live, held */
    s_end (o, 3, 1, T0 + 3);            /* more */
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_string_equal (s_trace (o, mark), "E1 E2 E3");
    s_clear_sent (o);
    jad_feed_client_tick (o->fc, T0 + 4);
    uint64_t from = 0;
    uint32_t credit = 0;
    assert_int_equal (s_catchups (o, &from, &credit, NULL), 1);
    assert_int_equal (from, 4);
    assert_int_equal (credit, 3);
    s_entry (o, 4, 0, T0 + 5);
    s_entry (o, 5, 0, T0 + 5);
    s_end (o, 5, 0, T0 + 6);
    assert_string_equal (s_trace (o, mark), "E1 E2 E3 E4 E5");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    s_destroy (&o);
}

/* A catch-up counts as unanswered only after 5 s without any of its
 * answer. */
static void
test_slow_link (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_start (o, T0);
    /* An entry every 2 s for 20 s, ticks every 250 ms: never asked again. */
    int64_t now = T0, last = T0;
    uint64_t seq = 0;
    for (; now <= T0 + 20000; now += 250) {
        if ((now - T0) % 2000 == 0 && now > T0) {
            s_entry (o, ++seq, 0, now);
            last = now;
        }
        assert_int_equal (s_tick (o, now), 0);
    }
    assert_int_equal (seq, 10);
    assert_int_equal (jad_feed_client_head (o->fc), 10);
    /* Then silence: asked again exactly 5 s after the last entry. */
    for (now = last + 1; now < last + 5000; now += 100)
        assert_int_equal (s_tick (o, now), 0);
    assert_int_equal (s_tick (o, last + 4999), 0);
    assert_int_equal (s_tick (o, last + 5000), 11);
    assert_int_equal (s_tick (o, last + 5001), 0);
    s_destroy (&o);

    /* A record of the answer (a roster, first) counts as the answer
     * arriving; nothing at all: asked again 5 s after asking. */
    o = s_owner (0, 0, 0, 1);
    s_start (o, T0);
    s_record (o, JAD_FRAME_ROSTER, "roster-1", 0, T0 + 3000);
    assert_int_equal (s_tick (o, T0 + 7999), 0);
    assert_int_equal (s_tick (o, T0 + 8000), 1);
    assert_int_equal (s_tick (o, T0 + 12999), 0);
    assert_int_equal (s_tick (o, T0 + 13000), 1);
    /* Live entries do not count as the answer. */
    s_entry (o, 2, 1, T0 + 15000);
    assert_int_equal (s_tick (o, T0 + 17999), 0);
    assert_int_equal (s_tick (o, T0 + 18000), 1);
    s_destroy (&o);
}

static void
test_held_max (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 3, 1);
    s_start (o, T0);
    size_t mark = o->n_events;
    for (uint64_t seq = 2; seq <= 7; seq++)
        s_entry (o, seq, 1, T0 + 1);            /* 2, 3, 4 held; 5..7 dropped */
    s_entry (o, 1, 0, T0 + 2);
    s_end (o, 1, 0, T0 + 3);
    assert_string_equal (s_trace (o, mark), "E1 e2 e3 e4");
    assert_int_equal (jad_feed_client_head (o->fc), 4);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (jad_feed_client_hub_head (o->fc), 7);
    /* The dropped ones are fetched. */
    assert_int_equal (s_tick (o, T0 + 4), 5);
    for (uint64_t seq = 5; seq <= 7; seq++)
        s_entry (o, seq, 0, T0 + 5);
    s_end (o, 7, 0, T0 + 6);
    assert_string_equal (s_trace (o, mark), "E1 e2 e3 e4 E5 E6 E7");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    s_destroy (&o);
}

/* The owner cannot take an entry: delivery stops there and the entry is
 * asked for again. */
static void
test_entry_refused (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_start (o, T0);
    size_t mark = o->n_events;
    o->refuse_seq = 3;
    for (uint64_t seq = 1; seq <= 5; seq++)
        s_entry (o, seq, 0, T0 + 1);
    assert_string_equal (s_trace (o, mark), "E1 E2 X3");
    assert_int_equal (jad_feed_client_head (o->fc), 2);
    assert_int_equal (s_tick (o, T0 + 2), 0);       /* the answer is not over */
    s_end (o, 5, 0, T0 + 3);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (s_tick (o, T0 + 4), 3);
    for (uint64_t seq = 3; seq <= 5; seq++)
        s_entry (o, seq, 0, T0 + 5);
    s_end (o, 5, 0, T0 + 6);
    assert_string_equal (s_trace (o, mark), "E1 E2 X3 E3 E4 E5");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);

    /* A live one refused: asked for by a catch-up. */
    o->refuse_seq = 6;
    s_entry (o, 6, 1, T0 + 10);
    s_entry (o, 7, 1, T0 + 11);
    assert_string_equal (s_trace (o, mark), "E1 E2 X3 E3 E4 E5 x6");
    assert_int_equal (jad_feed_client_head (o->fc), 5);
    assert_int_equal (s_tick (o, T0 + 12), 6);
    s_destroy (&o);
}

static void
test_rewind (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 10, T0);
    size_t mark = o->n_events;
    jad_feed_client_rewind (o->fc, 5, T0 + 3000);
    assert_int_equal (jad_feed_client_head (o->fc), 5);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 0);
    assert_int_equal (jad_feed_client_hub_head (o->fc), 10);
    for (int64_t now = T0 + 100; now < T0 + 3000; now += 100)
        assert_int_equal (s_tick (o, now), 0);
    assert_int_equal (s_tick (o, T0 + 2999), 0);
    assert_int_equal (s_tick (o, T0 + 3000), 6);
    for (uint64_t seq = 6; seq <= 10; seq++)
        s_entry (o, seq, 0, T0 + 3001);
    s_end (o, 10, 0, T0 + 3002);
    assert_string_equal (s_trace (o, mark), "E6 E7 E8 E9 E10");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    /* A rewind whose hold is past at once asks at the next tick. */
    jad_feed_client_rewind (o->fc, 9, 0);
    assert_int_equal (s_tick (o, T0 + 3010), 10);
    s_destroy (&o);
}

/* The owner refuses the hub's operation: the feed stops, answers do not. */
static void
test_operation_refused (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_welcome (o, T0);
    s_hub_heartbeat (o, 1, 5, s_op2, 1, T0);
    assert_string_equal (s_trace (o, 0), "O238");      /* 0xee */
    assert_null (jad_feed_client_operation (o->fc));
    s_hub_heartbeat (o, 1, 5, s_op2, 0, T0 + 1);       /* asked once */
    assert_string_equal (s_trace (o, 0), "O238");
    size_t mark = o->n_events;
    /* No catch-up, however long; heartbeats go on. */
    for (int64_t now = T0; now <= T0 + 20000; now += 500) {
        s_clear_sent (o);
        jad_feed_client_tick (o->fc, now);
        size_t hb = 0;
        assert_int_equal (s_catchups (o, NULL, NULL, &hb), 0);
        assert_int_equal (hb, (now - T0) % 1000 == 0 ? 1 : 0);
    }
    /* No entries, no records; participants and answers still come. */
    s_entry (o, 1, 1, T0 + 1);
    s_entry (o, 1, 0, T0 + 1);
    s_end (o, 1, 0, T0 + 1);
    s_record (o, JAD_FRAME_ROSTER, "roster", 1, T0 + 2);
    s_record (o, JAD_FRAME_CHECKPOINT, "checkpoint", 0, T0 + 2);
    jad_peer_status_t peer = { .name = "agent-de", .role = "agent",
                               .country = "DE", .connected = 1 };
    size_t len = 0;
    s_input (o, jad_frame_participants (&peer, 1, 5, &len), &len, 1, T0 + 3);
    s_input (o, jad_frame_ack (s_inc, 4, 9, 0, &len), &len, 0, T0 + 4);
    s_input (o, jad_frame_error (JAD_EWRONG_OPERATION, "not ours", NULL, &len),
             &len, 0, T0 + 5);
    /* Answers on the feed are not answers. */
    s_input (o, jad_frame_ack (s_inc, 5, 10, 0, &len), &len, 1, T0 + 6);
    assert_string_equal (s_trace (o, mark), "P1 A4 F3");
    assert_int_equal (jad_feed_client_head (o->fc), 0);
    s_destroy (&o);
}

/* The hub's operation id changes under a running feed: it stops. */
static void
test_operation_changed (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 2, T0);
    size_t mark = o->n_events;
    s_hub_heartbeat (o, 1, 2, s_op, 1, T0 + 1000);     /* the same: no call */
    assert_string_equal (s_trace (o, mark), "");
    s_hub_heartbeat (o, 1, 4, s_op2, 1, T0 + 2000);
    assert_string_equal (s_trace (o, mark), "O238");
    assert_null (jad_feed_client_operation (o->fc));
    s_hub_heartbeat (o, 1, 4, s_op2, 0, T0 + 2001);
    s_entry (o, 3, 1, T0 + 2002);
    s_record (o, JAD_FRAME_CHECKPOINT, "checkpoint", 1, T0 + 2003);
    assert_int_equal (s_tick (o, T0 + 2010), 0);
    assert_int_equal (s_tick (o, T0 + 30000), 0);
    assert_string_equal (s_trace (o, mark), "O238");
    assert_int_equal (jad_feed_client_head (o->fc), 2);
    s_destroy (&o);

    /* An owner that takes any operation is never stopped. */
    o = s_owner (0, 0, 0, 1);
    o->want_op = NULL;
    s_caught_up (o, 1, T0);
    s_hub_heartbeat (o, 1, 1, s_op2, 1, T0 + 10);
    assert_memory_equal (jad_feed_client_operation (o->fc), s_op2, 16);
    s_entry (o, 2, 1, T0 + 20);
    assert_int_equal (jad_feed_client_head (o->fc), 2);
    s_destroy (&o);
}

static void
test_records (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    /* Before the operation is taken: dropped. */
    s_record (o, JAD_FRAME_ROSTER, "early-roster", 1, T0);
    s_record (o, JAD_FRAME_CHECKPOINT, "early-checkpoint", 0, T0);
    assert_string_equal (s_trace (o, 0), "");
    s_start (o, T0 + 1);
    size_t mark = o->n_events;
    /* A catch-up answer: rosters first, entries, checkpoints, end. */
    s_record (o, JAD_FRAME_ROSTER, "roster@1", 0, T0 + 2);
    s_entry (o, 1, 0, T0 + 2);
    s_entry (o, 2, 0, T0 + 2);
    s_record (o, JAD_FRAME_ROSTER, "roster@3", 0, T0 + 2);
    s_entry (o, 3, 0, T0 + 2);
    s_record (o, JAD_FRAME_CHECKPOINT, "cp@3", 0, T0 + 2);
    s_end (o, 3, 0, T0 + 3);
    assert_string_equal (s_trace (o, mark),
                         "R:roster@1 E1 E2 R:roster@3 E3 C:cp@3");
    /* Live: a roster change mid-stream reaches the owner between the
     * entries it comes between. */
    mark = o->n_events;
    s_entry (o, 4, 1, T0 + 10);
    s_record (o, JAD_FRAME_ROSTER, "roster@5", 1, T0 + 11);
    s_entry (o, 5, 1, T0 + 12);
    s_entry (o, 6, 1, T0 + 13);
    s_record (o, JAD_FRAME_CHECKPOINT, "cp@6", 1, T0 + 14);
    assert_string_equal (s_trace (o, mark), "e4 R:roster@5 e5 e6 C:cp@6");
    /* The bytes reach the owner whole. */
    const char *big = "a roster text longer than the trace keeps";
    mark = o->n_events;
    s_record (o, JAD_FRAME_ROSTER, big, 1, T0 + 20);
    assert_int_equal (o->n_events, mark + 1);
    assert_memory_equal (o->events[mark].text, big, sizeof o->events[mark].text - 1);
    s_destroy (&o);
}

static void
test_participants (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    jad_peer_status_t peers[2] = {
        { .name = "agent-de", .role = "agent", .country = "DE", .connected = 1 },
        { .name = "coord", .role = "coordinator" },
    };
    size_t len = 0;
    /* Before anything else, on the feed as the hub publishes it. */
    s_input (o, jad_frame_participants (peers, 2, 99, &len), &len, 1, T0);
    s_input (o, jad_frame_participants (peers, 0, 99, &len), &len, 1, T0 + 1000);
    assert_string_equal (s_trace (o, 0), "P2 P0");
    s_destroy (&o);
}

static void
test_heartbeats (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (7, 0, 0, 1);
    o->health = (jad_health_t) { .outbox_depth = 11, .last_acked = 22,
                                 .mirror_seq = 7 };
    uint64_t beats = 0;
    for (int64_t now = T0; now < T0 + 3000; now += 100) {
        s_clear_sent (o);
        jad_feed_client_tick (o->fc, now);
        size_t hb = 0;
        assert_int_equal (s_catchups (o, NULL, NULL, &hb), 0);
        assert_int_equal (hb, (now - T0) % 1000 == 0 ? 1 : 0);
        if (!hb)
            continue;
        jad_frame_t f;
        char err[256];
        assert_int_equal (jad_frame_decode (o->sent[0], o->sent_len[0], &f, err,
                                            sizeof err), JAD_OK);
        assert_int_equal (f.heartbeat.has_head, 1);
        assert_int_equal (f.heartbeat.head_seq, 7);
        assert_int_equal (f.heartbeat.has_time, 1);
        assert_true (f.heartbeat.time_ms > 1600000000000LL);   /* wall clock */
        assert_null (f.heartbeat.operation_id);
        assert_int_equal (f.heartbeat.has_health, 1);
        assert_int_equal (f.heartbeat.health.outbox_depth, 11 + beats);
        assert_int_equal (f.heartbeat.health.last_acked, 22 + beats);
        assert_int_equal (f.heartbeat.health.mirror_seq, 7);
        jad_frame_clear (&f);
        o->health.outbox_depth++;       /* asked afresh each time */
        o->health.last_acked++;
        beats++;
    }
    assert_int_equal (beats, 3);
    s_destroy (&o);

    /* Without a health callback: none in the heartbeat. */
    o = s_owner (0, 0, 0, 0);
    s_clear_sent (o);
    jad_feed_client_tick (o->fc, T0);
    assert_int_equal (o->n_sent, 1);
    jad_frame_t f;
    char err[256];
    assert_int_equal (jad_frame_decode (o->sent[0], o->sent_len[0], &f, err,
                                        sizeof err), JAD_OK);
    assert_int_equal (f.kind, JAD_FRAME_HEARTBEAT);
    assert_int_equal (f.heartbeat.head_seq, 0);
    assert_int_equal (f.heartbeat.has_health, 0);
    jad_frame_clear (&f);

    /* A refused send (not connected): blocked until the next drain, and
     * the heartbeat tried again 100 ms later. */
    o->send_rc = -1;
    jad_feed_client_tick (o->fc, T0 + 1000);
    assert_int_equal (jad_feed_client_blocked (o->fc), 1);
    o->send_rc = 0;
    s_clear_sent (o);
    jad_feed_client_tick (o->fc, T0 + 1099);
    assert_int_equal (o->n_sent, 0);
    jad_feed_client_tick (o->fc, T0 + 1100);
    assert_int_equal (o->n_sent, 1);
    jad_feed_client_drain (o->fc, T0 + 1101);
    assert_int_equal (jad_feed_client_blocked (o->fc), 0);
    /* The owner's own frames go the same way. */
    static const uint8_t frame[] = { 0x08, 0x01 };
    assert_int_equal (jad_feed_client_send (o->fc, frame, sizeof frame), 0);
    assert_int_equal (o->n_sent, 2);
    assert_memory_equal (o->sent[1], frame, sizeof frame);
    assert_int_equal (jad_feed_client_send (o->fc, NULL, 0), -1);
    s_destroy (&o);
}

/* A refused send blocks catch-ups too, until the next drain. */
static void
test_blocked_catchup (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_welcome (o, T0);
    s_hub_heartbeat (o, 1, 0, s_op, 1, T0);
    o->send_rc = -1;
    jad_feed_client_tick (o->fc, T0);
    assert_int_equal (jad_feed_client_blocked (o->fc), 1);
    o->send_rc = 0;
    assert_int_equal (s_tick (o, T0 + 200), 0);
    jad_feed_client_drain (o->fc, T0 + 300);
    assert_int_equal (s_tick (o, T0 + 300), 1);
    s_destroy (&o);
}

static void
test_connected (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    assert_int_equal (jad_feed_client_connected (o->fc, T0), 0);
    assert_int_equal (jad_feed_client_heard (o->fc), 0);
    /* The feed is not the hub's DEALER: heard stays 0. */
    s_welcome (o, T0);
    s_hub_heartbeat (o, 1, 0, s_op, 1, T0 + 1);
    s_entry (o, 1, 1, T0 + 2);
    assert_int_equal (jad_feed_client_heard (o->fc), 0);
    assert_int_equal (jad_feed_client_connected (o->fc, T0 + 3), 0);
    /* A DEALER message, even one that does not decode. */
    static const uint8_t junk[] = { 0xff, 0xff };
    jad_feed_client_input (o->fc, junk, sizeof junk, 0, T0 + 100);
    assert_int_equal (jad_feed_client_heard (o->fc), T0 + 100);
    assert_int_equal (jad_feed_client_connected (o->fc, T0 + 100), 1);
    assert_int_equal (jad_feed_client_connected (o->fc, T0 + 5099), 1);
    assert_int_equal (jad_feed_client_connected (o->fc, T0 + 5100), 0);
    jad_feed_client_tick (o->fc, T0 + 5100);
    /* Feed traffic does not bring it back. */
    s_hub_heartbeat (o, 1, 1, s_op, 1, T0 + 5200);
    assert_int_equal (jad_feed_client_connected (o->fc, T0 + 5200), 0);
    s_hub_heartbeat (o, 1, 1, s_op, 0, T0 + 6000);
    assert_int_equal (jad_feed_client_heard (o->fc), T0 + 6000);
    assert_int_equal (jad_feed_client_connected (o->fc, T0 + 6000), 1);
    s_destroy (&o);
}

static void
test_reconnected (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    /* The first DEALER message is no reconnect. */
    s_hub_heartbeat (o, 1, 0, s_op, 0, T0);
    assert_string_equal (s_trace (o, 0), "O108");
    size_t mark = o->n_events;
    s_hub_heartbeat (o, 1, 0, s_op, 0, T0 + 4999);
    assert_string_equal (s_trace (o, mark), "");
    /* Heard again after 5 s of silence: one. */
    s_hub_heartbeat (o, 1, 0, s_op, 0, T0 + 4999 + 5000);
    assert_string_equal (s_trace (o, mark), "N0");
    s_hub_heartbeat (o, 1, 0, s_op, 0, T0 + 4999 + 5001);
    assert_string_equal (s_trace (o, mark), "N0");

    /* A catch-up in flight when the hub comes back is asked again at
     * once (2 s after asking: not the 5 s timer). */
    int64_t t = T0 + 20000;             /* DEALER silent since T0 + 10000 */
    s_welcome (o, t);
    s_hub_heartbeat (o, 1, 3, NULL, 1, t);
    assert_int_equal (s_tick (o, t), 1);
    s_hub_heartbeat (o, 1, 3, s_op, 0, t + 2000);
    assert_string_equal (s_trace (o, mark), "N0 N0");
    assert_int_equal (s_tick (o, t + 2000), 1);
    /* That one's answer, now. */
    s_entry (o, 1, 0, t + 2100);
    s_end (o, 1, 0, t + 2100);
    assert_int_equal (jad_feed_client_head (o->fc), 1);
    /* Its end says 1 is the head: that is the hub's word now, over the
     * 3 heard before it asked (a hub restored lower must not be asked for
     * ever); the feed's next heartbeat saying 3 asks again. */
    assert_int_equal (s_tick (o, t + 2200), 0);
    s_hub_heartbeat (o, 1, 3, NULL, 1, t + 2300);
    assert_int_equal (s_tick (o, t + 2300), 2);
    s_destroy (&o);
}

/* The first message heard on the DEALER may be the first entry of the
 * first catch-up's answer (the hub's operation came on the feed): that is
 * no reconnect, and the catch-up is not asked again while its answer
 * arrives. */
static void
test_first_answer_not_a_reconnect (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_start (o, T0);                    /* all on the feed */
    assert_int_equal (jad_feed_client_heard (o->fc), 0);
    s_entry (o, 1, 0, T0 + 300);
    assert_int_equal (jad_feed_client_heard (o->fc), T0 + 300);
    s_entry (o, 3, 1, T0 + 310);        /* live, held meanwhile */
    assert_int_equal (s_tick (o, T0 + 320), 0);
    s_entry (o, 2, 0, T0 + 330);
    s_end (o, 2, 0, T0 + 340);
    assert_string_equal (s_trace (o, 1), "E1 E2 e3");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    assert_int_equal (s_tick (o, T0 + 350), 0);
    s_destroy (&o);
}

static void
test_garbage (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 2, T0);
    size_t mark = o->n_events;
    static const uint8_t junk[] = { 0x08, 0x63, 0x42, 0x00 };   /* version 99 */
    jad_feed_client_input (o->fc, junk, sizeof junk, 1, T0 + 1);
    jad_feed_client_input (o->fc, junk, sizeof junk, 0, T0 + 1);
    /* An entry frame whose bytes are no Entry. */
    size_t len = 0;
    s_input (o, jad_frame_bytes (JAD_FRAME_ENTRY, (const uint8_t *) "nope", 4, &len),
             &len, 1, T0 + 2);
    /* A frame the client never expects (a catch-up request). */
    s_input (o, jad_frame_catchup (1, 1, &len), &len, 0, T0 + 3);
    assert_string_equal (s_trace (o, mark), "");
    assert_int_equal (jad_feed_client_head (o->fc), 2);
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    s_entry (o, 3, 1, T0 + 4);
    assert_string_equal (s_trace (o, mark), "e3");
    s_destroy (&o);
}

/* ------------------------------------------------------------ logs */

/* An answer that says `more` but brings no entry of its range: the hub
 * cannot serve the next entry now (a damaged journal).  Asked again only
 * after 5 s, whatever asks meanwhile (the feed's heartbeats, a gap), not
 * in a loop; said once, and once when entries come again. */
static void
test_stalled_answer (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_caught_up (o, 3, T0);
    jad_test_log_capture (JAD_LOG_INFO);
    s_hub_heartbeat (o, 1, 6, s_op, 1, T0 + 100);
    uint64_t asked1 = s_tick (o, T0 + 110);
    s_end (o, 3, 1, T0 + 120);                  /* more, and nothing */
    uint64_t early[4];
    early[0] = s_tick (o, T0 + 130);
    s_hub_heartbeat (o, 1, 6, s_op, 1, T0 + 1000);
    early[1] = s_tick (o, T0 + 1010);
    s_entry (o, 8, 1, T0 + 2000);               /* a gap */
    early[2] = s_tick (o, T0 + 2010);
    early[3] = s_tick (o, T0 + 120 + JAD_FEED_CLIENT_STALL_MS - 1);
    uint64_t asked2 = s_tick (o, T0 + 120 + JAD_FEED_CLIENT_STALL_MS);
    s_end (o, 3, 1, T0 + 6000);                 /* again nothing */
    uint64_t early2 = s_tick (o, T0 + 6000 + JAD_FEED_CLIENT_STALL_MS - 1);
    uint64_t asked3 = s_tick (o, T0 + 6000 + JAD_FEED_CLIENT_STALL_MS);
    s_hub_heartbeat (o, 1, 8, s_op, 0, T0 + 10000);    /* heard all along */
    size_t mark = o->n_events;
    for (uint64_t seq = 4; seq <= 8; seq++)
        s_entry (o, seq, 0, T0 + 11100);
    s_end (o, 8, 0, T0 + 11100);
    char *log = jad_test_log_release ();
    assert_int_equal (asked1, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal (early[i], 0);
    assert_int_equal (asked2, 4);
    assert_int_equal (early2, 0);
    assert_int_equal (asked3, 4);
    assert_string_equal (s_trace (o, mark), "E4 E5 E6 E7 E8");
    assert_int_equal (jad_feed_client_caught_up (o->fc), 1);
    if (jad_test_lines_with (log, "test: the hub has entries past 3 but sent none of "
                           "them; asking again every 5 s") != 1
    ||  jad_test_lines_with (log, "the hub serves its entries again") != 1)
        fail_msg ("log:\n%s", log);
    free (log);
    s_destroy (&o);
}

/* Entries of an answer past a gap are dropped and said once per answer,
 * with their number: as the rest of an answer the owner's rewind overtook
 * (its own failure), or, without a rewind, as the hub's disorder. */
static void
test_dropped_entries (void **state)
{
    (void) state;
    s_owner_t *o = s_owner (0, 0, 0, 1);
    s_start (o, T0);
    jad_test_log_capture (JAD_LOG_INFO);
    size_t mark = o->n_events;
    for (uint64_t seq = 1; seq <= 3; seq++)
        s_entry (o, seq, 0, T0 + 10);
    jad_feed_client_rewind (o->fc, 1, T0 + 3000);      /* kept only 1 */
    for (uint64_t seq = 4; seq <= 10; seq++)
        s_entry (o, seq, 0, T0 + 20);
    s_end (o, 10, 0, T0 + 30);
    uint64_t from = s_tick (o, T0 + 3000);
    s_entry (o, 2, 0, T0 + 3010);
    s_entry (o, 5, 0, T0 + 3010);               /* 3 and 4 skipped */
    s_entry (o, 6, 0, T0 + 3010);
    s_end (o, 6, 0, T0 + 3020);
    char *log = jad_test_log_release ();
    assert_int_equal (from, 2);
    assert_string_equal (s_trace (o, mark), "E1 E2 E3 E2");
    if (jad_test_lines_with (log, "test: 7 entries of a catch-up answer dropped (from 4): "
                           "we could not keep entry 2") != 1
    ||  jad_test_lines_with (log, "test: the hub's catch-up answer sent entry 5 after 2: "
                           "2 entries out of order dropped") != 1
    ||  jad_test_lines_with (log, "dropped") != 2)
        fail_msg ("log:\n%s", log);
    free (log);
    s_destroy (&o);
}

static void
test_new_refuses (void **state)
{
    (void) state;
    jad_feed_client_config_t config = { .hub_endpoint = NULL };
    jad_feed_client_handlers_t on = { .entry = NULL };
    char err[256] = "";
    jad_feed_client_t *fc = jad_feed_client_new (&config, &on, NULL, err, sizeof err);
    assert_null (fc);
    assert_non_null (strstr (err, "entry"));
    jad_feed_client_destroy (&fc);
    jad_feed_client_destroy (NULL);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_nothing_before_welcome_and_operation),
        cmocka_unit_test (test_catchup_in_order),
        cmocka_unit_test (test_live_held_during_catchup),
        cmocka_unit_test (test_gap),
        cmocka_unit_test (test_heartbeat_head),
        cmocka_unit_test (test_dealer_heartbeat_head),
        cmocka_unit_test (test_head_went_back),
        cmocka_unit_test (test_more),
        cmocka_unit_test (test_slow_link),
        cmocka_unit_test (test_held_max),
        cmocka_unit_test (test_entry_refused),
        cmocka_unit_test (test_rewind),
        cmocka_unit_test (test_operation_refused),
        cmocka_unit_test (test_operation_changed),
        cmocka_unit_test (test_records),
        cmocka_unit_test (test_participants),
        cmocka_unit_test (test_heartbeats),
        cmocka_unit_test (test_blocked_catchup),
        cmocka_unit_test (test_connected),
        cmocka_unit_test (test_reconnected),
        cmocka_unit_test (test_first_answer_not_a_reconnect),
        cmocka_unit_test (test_garbage),
        cmocka_unit_test (test_stalled_answer),
        cmocka_unit_test (test_dropped_entries),
        cmocka_unit_test (test_new_refuses),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
